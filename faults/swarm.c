/* swarm.c: fault plans drawn from a random source within bounds, and their YAML text.
 *
 * What it keeps true: a drawn plan depends only on the config and the words the source
 * returns; every fault lies inside [0, duration] and inside its kind's bounds; the plan's
 * global limits (fault count, total store outage, servers down at once) hold; bounded integers
 * are drawn without bias (Lemire's multiply-and-reject), and no floating point is used, so the
 * same seed gives the same plan on every machine. */
#include "faults/swarm.h"

#include "core/text.h"
#include "faults/fault_fields.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MS 1000LL
#define SEC 1000000LL
#define MINUTE (60 * SEC)

/* How often one fault is redrawn when it breaks a plan-wide limit (servers down at once)
 * before it is given up: enough to find a gap in a plan of a few faults, and bounded so a
 * draw always ends. */
#define ATTEMPTS 8

_Static_assert(FAULT_KIND_COUNT <= 32, "swarm_config.allowed has one bit per kind");
_Static_assert(FAULT_OP_COUNT <= 32, "swarm_bounds.ops has one bit per op");

#define ALL_OPS ((1u << FAULT_OP_COUNT) - 1u)
#define WRITE_OPS                                                                           \
    (SWARM_OP_BIT(FAULT_OP_ANY) | SWARM_OP_BIT(FAULT_OP_SET) | SWARM_OP_BIT(FAULT_OP_UPDATE) | \
     SWARM_OP_BIT(FAULT_OP_INCREMENT) | SWARM_OP_BIT(FAULT_OP_REMOVE) |                      \
     SWARM_OP_BIT(FAULT_OP_SORTED_SET))

static swarm_bounds bounds(uint32_t max_count, int64_t min_length_us, int64_t max_length_us)
{
    swarm_bounds b = {.max_count = max_count, .min_length_us = min_length_us,
                      .max_length_us = max_length_us, .ops = SWARM_OP_BIT(FAULT_OP_ANY)};
    return b;
}

static swarm_bounds rate(swarm_bounds b, uint32_t min_ppm, uint32_t max_ppm)
{
    b.min_ppm = min_ppm;
    b.max_ppm = max_ppm;
    return b;
}

static swarm_bounds amount(swarm_bounds b, int64_t min_amount, int64_t max_amount, bool is_signed)
{
    b.min_amount = min_amount;
    b.max_amount = max_amount;
    b.signed_amount = is_signed;
    return b;
}

static swarm_bounds ops(swarm_bounds b, uint32_t op_bits)
{
    b.ops = op_bits;
    return b;
}

swarm_config swarm_config_default(int64_t duration_us, int servers)
{
    if (servers < 1)
        servers = 1;
    if (servers > 64)
        servers = 64;
    swarm_config c;
    memset(&c, 0, sizeof c);
    c.duration_us = duration_us;
    c.server_ids = servers == 64 ? UINT64_MAX : (UINT64_C(1) << servers) - 1;
    c.allowed = SWARM_ALL_KINDS;
    /* Each kind on with 30%: about 6 of the 21 kinds per plan, so most kinds are off in any
     * one plan and two seeds rarely share a mix, yet a kind is on in about a third of seeds. */
    c.kind_on_ppm = 300000;
    /* A handful of faults at once is where the interesting interleavings are; more mostly
     * piles up unavailability that tells nothing new. */
    c.max_faults = 6;
    /* Retries with capped backoff must ride out the DataStore being away; two 30 s outages per
     * run (or one outage and one partition) is rough but fair. */
    c.max_outage_us = 60 * SEC;
    /* One server down at a time: the takeover path (lease expiry, release requests) is
     * exercised without turning a run into a mass outage no game would survive either. */
    c.max_servers_down = 1;
    c.grain_us = 1 * MS; /* times print as 12.345s, not 12.345678s */
    /* The transient codes of PLATFORM.md: retried with backoff. Caller errors (101-107,
     * 509-513) and shutdown codes (401-402) are not faults a correct engine survives by
     * retrying, so they are left to scripted scenarios. */
    c.code_count = 5;
    for (int i = 0; i < 5; i++)
        c.codes[i] = 501 + i;

    swarm_bounds *k = c.kinds;
    /* DataStore requests. Rates up to 20% with retries; lengths up to two minutes. */
    k[FAULT_STORE_OUTAGE] = rate(bounds(2, 1 * SEC, 30 * SEC), FAULT_PPM, FAULT_PPM);
    k[FAULT_ERROR_RATE] = ops(rate(bounds(2, 5 * SEC, 2 * MINUTE), 10000, 200000), ALL_OPS);
    /* A failed write that committed: the engine must recognise its own write on retry. */
    k[FAULT_AMBIGUOUS_COMMIT] = ops(rate(bounds(2, 5 * SEC, 2 * MINUTE), 10000, 200000), WRITE_OPS);
    /* Each lost answer costs the caller a full timeout (ds_timeout, 15 s), so 10% at most. */
    k[FAULT_LOST_RESPONSE] = ops(rate(bounds(2, 5 * SEC, 1 * MINUTE), 10000, 100000), ALL_OPS);
    /* Slowness, not loss: spikes stay well under the 15 s request timeout. */
    k[FAULT_LATENCY_SPIKE] =
        ops(amount(rate(bounds(2, 1 * SEC, 30 * SEC), 100000, FAULT_PPM), 100 * MS, 3 * SEC, false),
            ALL_OPS);
    k[FAULT_LATENCY_TAIL] =
        ops(amount(rate(bounds(2, 10 * SEC, 2 * MINUTE), 1000, 50000), 500 * MS, 5 * SEC, false),
            ALL_OPS);
    /* Refill at 0..50% for up to a minute: budgets hold three minutes' worth, so a cut drains
     * them without starving a server that spends sensibly; queues and retries absorb the rest. */
    k[FAULT_BUDGET_CUT] = amount(bounds(1, 10 * SEC, 1 * MINUTE), 0, 500000, false);
    /* GetAsync answering nothing for a key that exists (the field incident). Only `get`, not
     * `any`: an UpdateAsync transform shown nil for real data could not be told from a new
     * player by any engine, so that is left to scripted scenarios. */
    k[FAULT_NIL_READ] =
        ops(rate(bounds(1, 1 * SEC, 30 * SEC), 10000, 100000), SWARM_OP_BIT(FAULT_OP_GET));

    /* MessagingService is best effort and correct code uses it only to be faster, so these
     * may be heavy. */
    k[FAULT_MESSAGE_LOSS] = rate(bounds(2, 5 * SEC, 2 * MINUTE), 10000, 500000);
    k[FAULT_MESSAGE_DELAY] = amount(bounds(2, 5 * SEC, 2 * MINUTE), 1 * SEC, 10 * SEC, false);
    k[FAULT_MESSAGE_DUPLICATION] = rate(bounds(2, 5 * SEC, 2 * MINUTE), 10000, 200000);
    k[FAULT_MESSAGE_REORDER] =
        amount(rate(bounds(2, 5 * SEC, 2 * MINUTE), 10000, 200000), 500 * MS, 5 * SEC, false);

    /* Servers: one at a time (max_servers_down); the length is the time it stays down. A
     * freeze is short (a paused server that wakes and carries on, and must then find out
     * whether its leases were taken); a crash or a shutdown may last a minute, long enough
     * that its leases must expire or be taken over. */
    k[FAULT_SERVER_CRASH] = bounds(2, 1 * SEC, 1 * MINUTE);
    k[FAULT_SERVER_FREEZE] = bounds(2, 1 * SEC, 20 * SEC);
    k[FAULT_SERVER_SHUTDOWN] = bounds(1, 5 * SEC, 1 * MINUTE);

    /* Clocks: either way, up to two minutes off (a lease's expiry must not depend on two
     * servers' clocks agreeing); drift up to 0.1%. These may last the rest of the run. */
    k[FAULT_CLOCK_SKEW] = amount(bounds(2, 10 * SEC, INT64_MAX), 1 * SEC, 2 * MINUTE, true);
    k[FAULT_CLOCK_DRIFT] = amount(bounds(2, 10 * SEC, INT64_MAX), 10, 1000, true);
    k[FAULT_CLOCK_JUMP] = amount(bounds(2, 1 * SEC, INT64_MAX), 1 * SEC, 2 * MINUTE, true);

    /* Partitions: from the store like an outage (and counted in max_outage_us); from
     * messaging like heavy message loss. */
    k[FAULT_PARTITION_STORE] = bounds(2, 1 * SEC, 30 * SEC);
    k[FAULT_PARTITION_MESSAGING] = bounds(2, 5 * SEC, 2 * MINUTE);

    /* Purchases: a grant the platform fails to record is offered again on the next join, so
     * a handler without a purchase-id check grants twice. A handler that checks purchase ids
     * survives any rate; up to half of the grants makes re-offers of granted purchases common
     * in a run without turning every join into one. */
    k[FAULT_RECEIPT_UNRECORDED] = rate(bounds(2, 5 * SEC, 2 * MINUTE), 10000, 500000);
    return c;
}

static bool complain(char *why, size_t size, const char *fmt, ...)
{
    if (why && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool swarm_config_check(const swarm_config *cfg, char *why, size_t size)
{
    if (cfg->duration_us < 1)
        return complain(why, size, "the duration must be at least 1 us");
    if (cfg->server_ids == 0)
        return complain(why, size, "there must be at least one server");
    if (cfg->allowed & ~SWARM_ALL_KINDS)
        return complain(why, size, "allowed has bits beyond the fault kinds");
    if (cfg->kind_on_ppm > FAULT_PPM)
        return complain(why, size, "kind_on_ppm is above 1000000");
    if (cfg->max_outage_us < 0)
        return complain(why, size, "max_outage_us is negative");
    if (cfg->grain_us < 1)
        return complain(why, size, "grain_us must be at least 1");
    if (cfg->code_count < 1 || cfg->code_count > SWARM_CODES_MAX)
        return complain(why, size, "code_count must be 1..%d", SWARM_CODES_MAX);
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++) {
        const swarm_bounds *b = &cfg->kinds[k];
        if (!(cfg->allowed & SWARM_KIND_BIT(k)) || b->max_count == 0)
            continue;
        const char *name = fault_kind_name((fault_kind)k);
        const fault_fields *ff = fault_kind_fields((fault_kind)k);
        if (b->min_length_us < 1)
            return complain(why, size, "%s: min_length_us must be at least 1", name);
        if (b->min_length_us > b->max_length_us)
            return complain(why, size, "%s: min_length_us is above max_length_us", name);
        if (ff->ppm && b->min_ppm > b->max_ppm)
            return complain(why, size, "%s: min_ppm is above max_ppm", name);
        if (ff->ppm && b->max_ppm > FAULT_PPM)
            return complain(why, size, "%s: max_ppm is above 1000000", name);
        if (ff->amount != FAULT_AMOUNT_NONE && b->min_amount < 0)
            return complain(why, size, "%s: min_amount is negative (it bounds a magnitude)", name);
        if (ff->amount != FAULT_AMOUNT_NONE && b->min_amount > b->max_amount)
            return complain(why, size, "%s: min_amount is above max_amount", name);
        if (ff->op && (b->ops == 0 || (b->ops & ~ALL_OPS)))
            return complain(why, size, "%s: ops must name at least one op and only ops", name);
    }
    if (why && size)
        why[0] = '\0';
    return true;
}

/* ---- drawing ---- */

typedef struct source {
    swarm_random_fn next;
    void *ctx;
} source;

/* Uniform in [0, n); n == 0 gives 0. Lemire's multiply-and-reject: unbiased, and usually one
 * word per draw. */
static uint64_t below(source *s, uint64_t n)
{
    if (n == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)s->next(s->ctx) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)s->next(s->ctx) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Uniform in [lo, hi]; lo >= hi gives lo. */
static int64_t between(source *s, int64_t lo, int64_t hi)
{
    if (lo >= hi)
        return lo;
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX)
        return (int64_t)s->next(s->ctx);
    return (int64_t)((uint64_t)lo + below(s, span + 1));
}

int64_t swarm_between(swarm_random_fn next, void *ctx, int64_t lo, int64_t hi)
{
    source s = {next, ctx};
    return between(&s, lo, hi);
}

/* Uniform among the multiples of grain in [lo, hi] (0 <= lo <= hi), or among all of
 * [lo, hi] when no multiple lies there: bounds always win over readability. */
static int64_t draw_time(source *s, int64_t lo, int64_t hi, int64_t grain)
{
    int64_t klo = lo / grain + (lo % grain != 0), khi = hi / grain;
    if (klo <= khi)
        return between(s, klo, khi) * grain;
    return between(s, lo, hi);
}

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* The bits of `bits` placed on the set bits of `where`, lowest first (bit i of bits goes to
 * the i-th set bit of where). */
static uint64_t deposit(uint64_t bits, uint64_t where)
{
    uint64_t out = 0;
    for (int i = 0; where; i++, where &= where - 1)
        if ((bits >> i) & 1u)
            out |= where & -where;
    return out;
}

static bool is_down_kind(fault_kind k)
{
    return k == FAULT_SERVER_CRASH || k == FAULT_SERVER_FREEZE || k == FAULT_SERVER_SHUTDOWN;
}

static bool is_outage_kind(fault_kind k)
{
    return k == FAULT_STORE_OUTAGE || k == FAULT_PARTITION_STORE;
}

/* A server kind hits exactly one server, so max_servers_down counts faults. Others hit every
 * server half the time, else a random non-empty proper subset of the existing ones. */
static uint64_t draw_servers(source *s, fault_kind kind, uint64_t ids)
{
    int n = popcount64(ids);
    if (is_down_kind(kind))
        return deposit(UINT64_C(1) << below(s, (uint64_t)n), ids);
    if (n < 2 || below(s, 2) == 0)
        return 0;
    /* 1 .. 2^n - 2: every subset but the empty and the full one (the full one is mask 0). */
    uint64_t proper = n == 64 ? UINT64_MAX - 1 : (UINT64_C(1) << n) - 2;
    return deposit(1 + below(s, proper), ids);
}

/* `any` half the time when it is allowed alongside specific ops (it is the broadest aim),
 * else a specific op uniformly. */
static fault_op draw_op(source *s, uint32_t op_bits)
{
    uint32_t specific = op_bits & ~SWARM_OP_BIT(FAULT_OP_ANY);
    if (specific == 0 || ((op_bits & SWARM_OP_BIT(FAULT_OP_ANY)) && below(s, 2) == 0))
        return FAULT_OP_ANY;
    uint64_t pick = below(s, (uint64_t)popcount64(specific));
    for (unsigned op = 0; op < FAULT_OP_COUNT; op++)
        if ((specific & SWARM_OP_BIT(op)) && pick-- == 0)
            return (fault_op)op;
    return FAULT_OP_ANY; /* not reached */
}

/* True when a server-down fault f can join the plan: its server is not already down during
 * f, and adding it never puts more than max_down servers down at one instant. The count can
 * only peak where f starts or where another down fault starts inside f. */
static bool down_fits(const fault_plan *plan, const fault *f, uint32_t max_down)
{
    if (max_down == 0)
        return false;
    for (size_t i = 0; i < plan->count; i++) {
        const fault *d = &plan->items[i];
        if (!is_down_kind(d->kind) || d->start_us >= f->end_us || f->start_us >= d->end_us)
            continue;
        if (d->server_mask & f->server_mask)
            return false;
        int64_t t = d->start_us > f->start_us ? d->start_us : f->start_us;
        uint32_t down = 1; /* f itself */
        for (size_t j = 0; j < plan->count; j++) {
            const fault *e = &plan->items[j];
            if (is_down_kind(e->kind) && e->start_us <= t && t < e->end_us)
                down++;
        }
        if (down > max_down)
            return false;
    }
    return true;
}

/* Draws one fault of this kind into *f; false when none fits. */
static bool draw_fault(const swarm_config *cfg, source *s, fault_kind kind, int64_t outage_left,
                       fault *f)
{
    const swarm_bounds *b = &cfg->kinds[kind];
    const fault_fields *ff = fault_kind_fields(kind);
    int64_t g = cfg->grain_us;
    int64_t len_max = b->max_length_us;
    if (is_outage_kind(kind) && outage_left < len_max)
        len_max = outage_left;
    if (len_max < b->min_length_us || cfg->duration_us < b->min_length_us)
        return false;

    *f = fault_default(kind);
    /* The start leaves room for the shortest fault; the length is then cut to the run's end,
     * so the whole fault lies inside the run and inside its bounds. */
    f->start_us = draw_time(s, 0, cfg->duration_us - b->min_length_us, g);
    if (cfg->duration_us - f->start_us < len_max)
        len_max = cfg->duration_us - f->start_us;
    f->end_us = f->start_us + draw_time(s, b->min_length_us, len_max, g);
    if (ff->servers)
        f->server_mask = draw_servers(s, kind, cfg->server_ids);
    if (ff->op)
        f->op = draw_op(s, b->ops);
    if (ff->code)
        f->code = cfg->codes[below(s, cfg->code_count)];
    if (ff->ppm)
        f->ppm = (uint32_t)between(s, b->min_ppm, b->max_ppm);
    if (ff->amount != FAULT_AMOUNT_NONE) {
        f->amount = ff->amount == FAULT_AMOUNT_DURATION
                        ? draw_time(s, b->min_amount, b->max_amount, g)
                        : between(s, b->min_amount, b->max_amount);
        if (b->signed_amount && f->amount > 0 && below(s, 2) == 1)
            f->amount = -f->amount;
    }
    return true;
}

/* Stable, so equal starts keep draw order (which decides the code of overlapping faults). */
static void sort_by_start(fault_plan *plan)
{
    for (size_t i = 1; i < plan->count; i++) {
        fault f = plan->items[i];
        size_t j = i;
        for (; j > 0 && plan->items[j - 1].start_us > f.start_us; j--)
            plan->items[j] = plan->items[j - 1];
        plan->items[j] = f;
    }
}

bool swarm_draw(const swarm_config *cfg, swarm_random_fn next, void *ctx, fault_plan *out)
{
    out->count = 0;
    if (!swarm_config_check(cfg, NULL, 0))
        return false;
    source s = {next, ctx};

    /* Switch kinds on or off first. A word is drawn for every kind, allowed or not, so that
     * forbidding one kind leaves the others' switches as they were for the same seed. */
    bool on[FAULT_KIND_COUNT];
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++) {
        bool roll = below(&s, FAULT_PPM) < cfg->kind_on_ppm;
        on[k] = roll && (cfg->allowed & SWARM_KIND_BIT(k)) && cfg->kinds[k].max_count > 0;
    }
    /* Visit the kinds in a shuffled order so that max_faults does not always starve the kinds
     * at the end of the table. */
    fault_kind order[FAULT_KIND_COUNT];
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++)
        order[k] = (fault_kind)k;
    for (unsigned k = FAULT_KIND_COUNT - 1; k > 0; k--) {
        unsigned j = (unsigned)below(&s, k + 1);
        fault_kind t = order[k];
        order[k] = order[j];
        order[j] = t;
    }

    int64_t outage_left = cfg->max_outage_us;
    for (unsigned i = 0; i < FAULT_KIND_COUNT && out->count < cfg->max_faults; i++) {
        fault_kind kind = order[i];
        if (!on[kind])
            continue;
        uint64_t count = 1 + below(&s, cfg->kinds[kind].max_count);
        for (uint64_t n = 0; n < count && out->count < cfg->max_faults; n++) {
            fault f;
            bool placed = false;
            for (int a = 0; a < ATTEMPTS && !placed; a++) {
                if (!draw_fault(cfg, &s, kind, outage_left, &f))
                    break; /* nothing of this kind fits any more */
                placed = !is_down_kind(kind) || down_fits(out, &f, cfg->max_servers_down);
            }
            if (!placed)
                continue;
            if (!fault_plan_add(out, &f))
                return false;
            if (is_outage_kind(kind))
                outage_left -= f.end_us - f.start_us;
        }
    }
    sort_by_start(out);
    return true;
}

/* ---- YAML ---- */

/* Seconds with up to six decimals, trailing zeros dropped: exact, and read back by the
 * scenario loader's duration syntax (a leading '-' only for negative amounts). */
static void put_duration(vs_text *t, int64_t us)
{
    uint64_t mag = us < 0 ? -(uint64_t)us : (uint64_t)us;
    vs_text_appendf(t, "%s%" PRIu64, us < 0 ? "-" : "", mag / 1000000u);
    uint64_t frac = mag % 1000000u;
    if (frac) {
        int digits = 6;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        vs_text_appendf(t, ".%0*" PRIu64, digits, frac);
    }
    vs_text_appendf(t, "s");
}

static void put_fault(vs_text *t, const fault *f)
{
    const fault_fields *ff = fault_kind_fields(f->kind);
    vs_text_appendf(t, "{kind: %s, start: ", fault_kind_name(f->kind));
    put_duration(t, f->start_us);
    if (f->end_us != FAULT_FOREVER) {
        vs_text_appendf(t, ", end: ");
        put_duration(t, f->end_us);
    }
    if (ff->servers && f->server_mask) {
        const char *sep = "";
        vs_text_appendf(t, ", servers: [");
        for (int id = 1; id <= 64; id++)
            if ((f->server_mask >> (id - 1)) & 1u) {
                vs_text_appendf(t, "%s%d", sep, id);
                sep = ", ";
            }
        vs_text_appendf(t, "]");
    }
    if (ff->op)
        vs_text_appendf(t, ", op: %s", fault_op_name(f->op));
    if (ff->code)
        vs_text_appendf(t, ", code: %d", f->code);
    if (ff->ppm)
        vs_text_appendf(t, ", ppm: %" PRIu32, f->ppm);
    if (ff->amount == FAULT_AMOUNT_DURATION) {
        vs_text_appendf(t, ", amount: ");
        put_duration(t, f->amount);
    } else if (ff->amount == FAULT_AMOUNT_PPM) {
        vs_text_appendf(t, ", amount: %" PRId64, f->amount);
    }
    vs_text_appendf(t, "}");
}

size_t swarm_describe_fault(const fault *f, char *buf, size_t size)
{
    vs_text t = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    put_fault(&t, f);
    return t.len;
}

size_t swarm_describe(const fault_plan *plan, char *buf, size_t size)
{
    vs_text t = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    if (plan->count == 0) {
        vs_text_appendf(&t, "faults: []\n");
        return t.len;
    }
    vs_text_appendf(&t, "faults:\n");
    for (size_t i = 0; i < plan->count; i++) {
        vs_text_appendf(&t, "  - ");
        put_fault(&t, &plan->items[i]);
        vs_text_appendf(&t, "\n");
    }
    return t.len;
}
