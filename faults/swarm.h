/* swarm.h: random fault plans drawn from a seed (swarm testing).
 *
 * `vstore run --swarm` runs each seed with its own mix of faults. Following swarm testing,
 * each draw first switches every allowed kind on or off, so mixes differ a lot from seed to
 * seed (a seed without message faults explores storage corner cases deeper, and the other way
 * round), then draws, for each kind switched on, a few faults with timings, targets, ops, codes,
 * rates and amounts inside the configured bounds. The draw reads only the random source it is
 * given (the simulator passes one of its named streams), uses integer arithmetic only, and
 * draws bounded integers without bias, so a seed gives the same plan on every machine.
 *
 * swarm_describe prints a plan as a YAML `faults:` block that a scenario can paste, so a
 * failing seed's faults can be replayed as a scripted scenario. */
#ifndef SWARM_H
#define SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults/fault.h"

/* The random source: a full 64-bit uniform word per call. */
typedef uint64_t (*swarm_random_fn)(void *ctx);

#define SWARM_KIND_BIT(kind) (1u << (kind)) /* for swarm_config.allowed */
#define SWARM_OP_BIT(op) (1u << (op))       /* for swarm_bounds.ops */
#define SWARM_ALL_KINDS ((1u << FAULT_KIND_COUNT) - 1u)
#define SWARM_CODES_MAX 8

/* Bounds of one kind. Lengths and amounts are drawn uniformly in [min, max]; a field the kind
 * does not read (faults/fault_fields.h) is ignored and keeps fault_default's value. */
typedef struct swarm_bounds {
    uint32_t max_count;           /* most faults of this kind in one plan; 0: never drawn */
    int64_t min_length_us;        /* end - start of one fault, >= 1 ... */
    int64_t max_length_us;        /* ... and at most this (also cut to the run's end) */
    uint32_t min_ppm, max_ppm;    /* rate kinds; max_ppm <= 1000000 */
    int64_t min_amount;           /* amount kinds: the magnitude of amount, >= 0 ... */
    int64_t max_amount;           /* ... (us or ppm, as the kind reads it) */
    bool signed_amount;           /* the sign is drawn too, half and half (clocks ahead or behind) */
    uint32_t ops;                 /* op kinds: SWARM_OP_BIT per op that may be drawn, non-zero */
} swarm_bounds;

typedef struct swarm_config {
    int64_t duration_us;    /* every fault lies inside [0, duration_us]: start < duration_us,
                             * end <= duration_us, never FAULT_FOREVER */
    uint64_t server_ids;    /* the servers that exist: bit (id - 1); targets are drawn among them */
    uint32_t allowed;       /* SWARM_KIND_BIT per kind that may be drawn */
    uint32_t kind_on_ppm;   /* chance that an allowed kind is switched on in one plan */
    uint32_t max_faults;    /* most faults in one plan */
    int64_t max_outage_us;  /* most total length of store_outage plus partition_store faults */
    uint32_t max_servers_down; /* most servers crashed, frozen or shut down at one instant; a
                                * server is never the target of two of these at once */
    int64_t grain_us;       /* starts, lengths and duration amounts are multiples of this when
                             * the bounds allow one (readable YAML); >= 1 */
    int codes[SWARM_CODES_MAX]; /* the codes error faults may carry, drawn uniformly */
    size_t code_count;          /* 1..SWARM_CODES_MAX */
    swarm_bounds kinds[FAULT_KIND_COUNT];
} swarm_config;

/* Bounds a correct engine (retries with backoff, leases that expire and are taken over,
 * UpdateAsync transforms that check what they find) is expected to survive; swarm.c says why
 * for each. Servers are ids 1..servers (clamped to 1..64); every kind is allowed.
 *
 *   each kind on with 30%; at most 6 faults; store outage + store partition <= 60 s in all;
 *   one server down at a time; times in whole ms; codes 501..505
 *   kind                 count  length      ppm               amount (magnitude)     ops
 *   store_outage         2      1s..30s     1000000           -                      -
 *   error_rate           2      5s..2m      10000..200000     -                      all
 *   ambiguous_commit     2      5s..2m      10000..200000     -                      any, writes
 *   lost_response        2      5s..1m      10000..100000     -                      all
 *   latency_spike        2      1s..30s     100000..1000000   100ms..3s              all
 *   latency_tail         2      10s..2m     1000..50000       500ms..5s              all
 *   budget_cut           1      10s..1m     -                 0..500000 ppm          -
 *   nil_read             1      1s..30s     10000..100000     -                      get
 *   message_loss         2      5s..2m      10000..500000     -
 *   message_delay        2      5s..2m      -                 1s..10s
 *   message_duplication  2      5s..2m      10000..200000     -
 *   message_reorder      2      5s..2m      10000..200000     500ms..5s
 *   server_crash         2      1s..1m      (one server each)
 *   server_freeze        2      1s..20s     (one server each)
 *   server_shutdown      1      5s..1m      (one server each)
 *   clock_skew           2      10s..end    -                 1s..2m, either sign
 *   clock_drift          2      10s..end    -                 10..1000 ppm, either sign
 *   clock_jump           2      1s..end     -                 1s..2m, either sign
 *   partition_store      2      1s..30s
 *   partition_messaging  2      5s..2m
 *   receipt_unrecorded   2      5s..2m      10000..500000     -
 * Other kinds than the server ones hit every server half the time, else a random proper
 * subset; `any` is drawn half the time where specific ops are allowed too. */
swarm_config swarm_config_default(int64_t duration_us, int servers);

/* True when the config can be drawn from; otherwise false, with a sentence saying what is
 * wrong written to why (snprintf rules; why may be NULL): "error_rate: min_ppm is above
 * max_ppm". Bounds of kinds that are not allowed, or whose max_count is 0, are not checked. */
bool swarm_config_check(const swarm_config *cfg, char *why, size_t size);

/* Empties *out (an initialized plan) and fills it with a plan drawn from next(ctx), sorted by
 * start (ties keep draw order). A kind whose shortest fault does not fit in the duration is
 * not drawn. Returns false on an invalid config (out stays empty) or when memory runs out
 * (out holds part of the plan). */
bool swarm_draw(const swarm_config *cfg, swarm_random_fn next, void *ctx, fault_plan *out);

/* Uniform in [lo, hi] (lo >= hi gives lo), unbiased, from next(ctx): for other draws of a
 * swarm run (faults/workload.c) that must be as reproducible as the fault plan. */
int64_t swarm_between(swarm_random_fn next, void *ctx, int64_t lo, int64_t hi);

/* The plan as a YAML block, one fault per line in plan order, in the form the scenario loader
 * reads under `faults:`:
 *
 *   faults:
 *     - {kind: error_rate, start: 12.5s, end: 40s, servers: [1, 3], op: update, code: 502, ppm: 150000}
 *
 * Fields in this order, each only when it matters (what a kind reads is fault_kind_fields):
 *   kind     always
 *   start    always, a duration
 *   end      a duration; absent when FAULT_FOREVER (the fault never ends)
 *   servers  kinds that read servers: a flow list of ids, ascending; absent when server_mask
 *            is 0 (every server)
 *   op       kinds that read op, always, `any` included
 *   code     kinds that read code
 *   ppm      kinds that read ppm, a plain integer
 *   amount   a duration for FAULT_AMOUNT_DURATION kinds, a plain integer for FAULT_AMOUNT_PPM
 *            kinds; either may be negative (`-30s`, `-250`)
 * A duration is whole seconds plus at most six decimals, trailing zeros dropped: 0s, 1.5s,
 * 0.000001s, 3600s, -2.25s. An empty plan is `faults: []`. Every line ends with "\n".
 *
 * Writes at most size bytes including a terminating NUL (truncating like snprintf) and
 * returns the length of the whole text, so a caller can size a buffer with (NULL, 0). */
size_t swarm_describe(const fault_plan *plan, char *buf, size_t size);

/* One fault as the flow mapping above (no "- ", no newline); same return convention. */
size_t swarm_describe_fault(const fault *f, char *buf, size_t size);

#endif
