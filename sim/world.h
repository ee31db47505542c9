/* world.h: the deterministic world kernel.
 *
 * A world owns true simulated time (integer microseconds), the one event queue, the run's
 * seed (from which every named random stream is drawn) and the run's fingerprint: an
 * XXH3-128 over every event that runs (its time, sequence number and label) and every record
 * that components add with world_record (history entries, committed writes). Two runs of the
 * same scenario, seed and build run the same events in the same order and so end with the
 * same fingerprint; any divergence, however small, changes it.
 *
 * Time never goes backwards: an event scheduled in the past runs at the current time (after
 * the events already due then, by sequence number). */
#ifndef WORLD_H
#define WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/evq.h"
#include "sim/rng.h"

typedef struct world {
    int64_t now_us;
    uint64_t seed;
    evq queue;
    uint64_t events_run;
    void *fingerprint_state; /* XXH3_state_t, opaque here to keep xxhash.h out of headers */
} world;

/* Returns false when memory runs out. */
bool world_init(world *w, uint64_t seed);
/* Drops every event still pending (see world_at_owned), then frees the world. */
void world_free(world *w);

/* Schedules fn(arg) at an absolute time (clamped to now) or after a delay. label is static
 * text naming the kind of event ("ds.apply"); it is part of the fingerprint. */
evq_id world_at(world *w, int64_t time_us, const char *label, evq_fn fn, void *arg);
evq_id world_after(world *w, int64_t delay_us, const char *label, evq_fn fn, void *arg);
/* The same, with a drop function that frees arg if the world ends before the event runs. */
evq_id world_at_owned(world *w, int64_t time_us, const char *label, evq_fn fn, evq_fn drop, void *arg);
bool world_cancel(world *w, evq_id id, void **arg_out); /* see evq_cancel */

/* Seeds a random stream from the run's seed and the stream's name. */
void world_stream(const world *w, const char *name, rng *out);

/* Runs every event due at or before until_us, in order; then time stands at until_us (or at
 * the last event's time, when the queue empties first and stop_when_idle is true). Returns
 * the number of events run. */
uint64_t world_run_until(world *w, int64_t until_us, bool stop_when_idle);

/* Adds bytes to the fingerprint (a history record, a committed write's hash). */
void world_record(world *w, const void *bytes, size_t len);

/* The fingerprint so far, as 32 lowercase hex digits and a NUL. */
void world_fingerprint(const world *w, char hex[33]);

/* Formats a time in seconds with no trailing zeros: "2.5s", "60s", "0.000001s". */
void world_format_time(int64_t us, char *buf, size_t size);

/* An assertion that stays on in every build and says which run broke it. */
#define WORLD_ASSERT(w, cond)                                                                 \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: assertion failed: %s (seed %llu, time %lld us)\n",        \
                    __FILE__, __LINE__, #cond, (unsigned long long)(w)->seed,                 \
                    (long long)(w)->now_us);                                                  \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#endif
