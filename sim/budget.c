/* budget.c: exact integer token buckets, the per-server DataStore budgets and throttle
 * queues, and the experience-wide budgets (see budget.h for what is kept true).
 *
 * Units. A bucket holds `units` = tokens × 60,000,000 (µs per minute), so a rate of r tokens
 * per minute adds exactly r units per µs. A budget_cut share s (ppm) makes that r × s / 1e6
 * units per µs, which is not whole: the remainder is kept in `carry`, in millionths of a unit.
 * The bucket's exact content is therefore units + carry / 1e6, and refill adds exactly
 * rate × elapsed × share millionths of a unit, whatever the intervals it is split into.
 *
 * Overflow. Figures are clamped to rate <= 1e9/min, cap <= 100 min, share <= 1e9 ppm. Then:
 * - the cap, cap × rate × 6e7 units, is at most 6e18 (< 9.22e18 = INT64_MAX);
 * - E_full = cap × 6e7 × 1e6 <= 6e15 is the elapsed × share that fills an empty bucket, so
 *   refill first checks elapsed >= ceil(E_full / share) (full, whatever the rate) and
 *   otherwise computes e = elapsed × share < E_full + share <= 6.001e15; so a month (2.6e12 µs)
 *   or any longer gap never multiplies a large elapsed by anything;
 * - rate × (e / 1e6) < 1e9 × (6e9 + 1e3) ~ 6e18, and rate × (e % 1e6) + carry < 1e15 + 1e6;
 * - their sum is compared with what the cap still allows before it is added to units;
 * - ready_at divides a deficit of at most 6e7 × 1e6 = 6e13 by rate × share <= 1e18.
 * Starting tokens are clamped to 1e11 (6e18 units). */
#include "sim/budget.h"

#include <stdlib.h>

#include "core/ds_error.h"

#define QUEUE_CAP_MAX ((size_t)1 << 20) /* a bigger queue_size is clamped (one allocation) */

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t ceil_div(int64_t a, int64_t b) /* a >= 0, b > 0 */
{
    return a / b + (a % b != 0);
}

/* ---- one token bucket ---- */

void budget_bucket_init(budget_bucket *b, int64_t tokens, int64_t now_us)
{
    *b = (budget_bucket){
        .units = clamp(tokens, 0, BUDGET_TOKENS_MAX) * BUDGET_TOKEN_UNITS,
        .carry = 0,
        .updated_us = now_us,
    };
}

void budget_bucket_refill(budget_bucket *b, int64_t now_us, int64_t rate_per_minute,
                          int64_t cap_minutes, int64_t share_ppm)
{
    if (now_us <= b->updated_us)
        return; /* time does not go back: nothing to add */
    int64_t elapsed = now_us - b->updated_us;
    b->updated_us = now_us;
    int64_t rate = clamp(rate_per_minute, 0, BUDGET_RATE_MAX);
    int64_t cap = clamp(cap_minutes, 0, BUDGET_CAP_MINUTES_MAX);
    int64_t share = clamp(share_ppm, 0, BUDGET_SHARE_MAX);
    if (rate == 0 || cap == 0 || share == 0)
        return; /* no refill at all; the carry waits for a rate to be credited at */
    int64_t cap_units = cap * rate * BUDGET_TOKEN_UNITS;
    if (b->units >= cap_units) {
        /* Full (or above a cap that fell): refill adds nothing, and never takes away. */
        b->carry = 0;
        return;
    }
    int64_t e_full = cap * BUDGET_TOKEN_UNITS * BUDGET_PPM;
    int64_t room = cap_units - b->units;
    if (elapsed >= ceil_div(e_full, share)) {
        b->units = cap_units; /* long enough to fill even an empty bucket */
        b->carry = 0;
        return;
    }
    int64_t e = elapsed * share; /* µs × ppm: < e_full + share */
    int64_t fine = rate * (e % BUDGET_PPM) + b->carry; /* millionths of a unit */
    int64_t add = rate * (e / BUDGET_PPM) + fine / BUDGET_PPM;
    if (add >= room) {
        b->units = cap_units; /* what goes past the cap, fraction included, is lost */
        b->carry = 0;
        return;
    }
    b->units += add;
    b->carry = fine % BUDGET_PPM;
}

int64_t budget_bucket_tokens(const budget_bucket *b)
{
    return b->units / BUDGET_TOKEN_UNITS;
}

bool budget_bucket_try_take_n(budget_bucket *b, int64_t n)
{
    if (n <= 0)
        return true;
    if (n > BUDGET_TOKENS_MAX || b->units < n * BUDGET_TOKEN_UNITS) /* n × units <= 6e18 */
        return false;
    b->units -= n * BUDGET_TOKEN_UNITS;
    return true;
}

bool budget_bucket_try_take(budget_bucket *b)
{
    return budget_bucket_try_take_n(b, 1);
}

int64_t budget_bucket_ready_at(const budget_bucket *b, int64_t now_us, int64_t rate_per_minute,
                               int64_t cap_minutes, int64_t share_ppm)
{
    /* Refill a copy up to now: the same figures would be used by a refill at any later time,
     * and refill is exact across intervals, so the answer does not depend on this step. */
    budget_bucket c = *b;
    budget_bucket_refill(&c, now_us, rate_per_minute, cap_minutes, share_ppm);
    if (c.units >= BUDGET_TOKEN_UNITS)
        return now_us;
    int64_t rate = clamp(rate_per_minute, 0, BUDGET_RATE_MAX);
    int64_t cap = clamp(cap_minutes, 0, BUDGET_CAP_MINUTES_MAX);
    int64_t share = clamp(share_ppm, 0, BUDGET_SHARE_MAX);
    if (rate == 0 || cap == 0 || share == 0)
        return INT64_MAX;
    /* The cap is at least one token (cap >= 1 minute × rate >= 1), so it never stops the
     * bucket short of the token: the first whole token arrives when rate × share × dt
     * millionths of a unit cover the deficit. */
    int64_t deficit = (BUDGET_TOKEN_UNITS - c.units) * BUDGET_PPM - c.carry;
    int64_t dt = ceil_div(deficit, rate * share);
    return c.updated_us > INT64_MAX - dt ? INT64_MAX : c.updated_us + dt;
}

/* ---- request classes ---- */

#define KIND(k) (1u << (k))
enum { EXP_READ = 1, EXP_WRITE = 2 };

/* Where PLATFORM.md is silent, the choices are:
 * - UpdateAsync waits in the set queue: it is a write (it ends in a commit), and the platform
 *   names it with the set-queue errors; it leaves only when a get and a set token are both there.
 * - list (ListKeys, ListVersions, GetVersion) waits in the get queue: it reads the plain
 *   DataStore (the two sorted queues belong to the OrderedDataStore); dropped, it gets 301
 *   GetAsyncThrottle, the code of a read of that store dropped from that queue.
 * - sorted set (every OrderedDataStore write) waits in the sorted set queue; dropped, it gets
 *   302 SetAsyncThrottle: the platform has no code of its own for an ordered write, and 302 is
 *   the one for a write dropped because its queue is full (the datastore may remap an ordered
 *   increment to 303 if it wants to be finer).
 * - The experience budgets count requests to the plain DataStore only (get, update, list are
 *   reads; set, update, increment, remove are writes; an update is both): the platform lists
 *   OrderedDataStore limits apart from the standard store's. */
static const struct class_info {
    const char *name;
    unsigned kinds;      /* KIND(k) for each server bucket it takes a token from */
    unsigned experience; /* EXP_READ / EXP_WRITE: the experience buckets it takes from */
    budget_queue queue;
    int drop_code;
} classes[BUDGET_CLASS_COUNT] = {
    [BUDGET_GET] = {"get", KIND(BUDGET_KIND_GET), EXP_READ, BUDGET_Q_GET,
                    VS_DS_GetAsyncThrottle},
    [BUDGET_SET] = {"set", KIND(BUDGET_KIND_SET), EXP_WRITE, BUDGET_Q_SET,
                    VS_DS_SetAsyncThrottle},
    [BUDGET_UPDATE] = {"update", KIND(BUDGET_KIND_GET) | KIND(BUDGET_KIND_SET),
                       EXP_READ | EXP_WRITE, BUDGET_Q_SET, VS_DS_UpdateAsyncThrottle},
    [BUDGET_INCREMENT] = {"increment", KIND(BUDGET_KIND_SET), EXP_WRITE, BUDGET_Q_SET,
                          VS_DS_IncreAsyncThrottle},
    [BUDGET_REMOVE] = {"remove", KIND(BUDGET_KIND_SET), EXP_WRITE, BUDGET_Q_SET,
                       VS_DS_RemoveAsyncThrottle},
    [BUDGET_SORTED_GET] = {"sorted_get", KIND(BUDGET_KIND_SORTED_GET), 0, BUDGET_Q_SORTED_GET,
                           VS_DS_GetSortedThrottle},
    [BUDGET_SORTED_SET] = {"sorted_set", KIND(BUDGET_KIND_SORTED_SET), 0, BUDGET_Q_SORTED_SET,
                           VS_DS_SetAsyncThrottle},
    [BUDGET_LIST] = {"list", KIND(BUDGET_KIND_LIST), EXP_READ, BUDGET_Q_GET,
                     VS_DS_GetAsyncThrottle},
};

const char *budget_class_name(budget_class cls)
{
    return (unsigned)cls < BUDGET_CLASS_COUNT ? classes[cls].name : "unknown";
}

budget_queue budget_class_queue(budget_class cls)
{
    return classes[cls].queue;
}

int budget_class_drop_code(budget_class cls)
{
    return classes[cls].drop_code;
}

/* ---- rates ---- */

/* limits.h: a rate whose two parts are both 0 means "no such limit". */
static bool is_limit(limit_rate r)
{
    return r.base != 0 || r.per_player != 0;
}

/* The rate for n players (or CCU), per minute, in 0..BUDGET_RATE_MAX. The parts are clamped
 * first so that limits_rate cannot overflow on an absurd scenario figure. */
static int64_t rate_of(limit_rate r, int64_t n)
{
    limit_rate c = {clamp(r.base, -BUDGET_RATE_MAX, BUDGET_RATE_MAX),
                    clamp(r.per_player, -BUDGET_RATE_MAX, BUDGET_RATE_MAX)};
    return clamp(limits_rate(c, clamp(n, 0, BUDGET_RATE_MAX)), 0, BUDGET_RATE_MAX);
}

static limit_rate kind_limit(const platform_limits *l, budget_kind k)
{
    switch (k) {
    case BUDGET_KIND_GET: return l->budget_get;
    case BUDGET_KIND_SET: return l->budget_set;
    case BUDGET_KIND_SORTED_GET: return l->budget_sorted_get;
    case BUDGET_KIND_SORTED_SET: return l->budget_sorted_set;
    case BUDGET_KIND_LIST: return l->budget_list;
    default: return (limit_rate){0, 0};
    }
}

/* ---- the experience budgets ---- */

void budget_experience_init(budget_experience *e, const platform_limits *l, int64_t ccu,
                            int64_t now_us)
{
    budget_bucket_init(&e->reads, rate_of(l->experience_reads, ccu), now_us);
    budget_bucket_init(&e->writes, rate_of(l->experience_writes, ccu), now_us);
}

void budget_experience_settle(budget_experience *e, const platform_limits *l, int64_t ccu,
                              int64_t now_us)
{
    budget_bucket_refill(&e->reads, now_us, rate_of(l->experience_reads, ccu),
                         l->budget_cap_minutes, BUDGET_PPM);
    budget_bucket_refill(&e->writes, now_us, rate_of(l->experience_writes, ccu),
                         l->budget_cap_minutes, BUDGET_PPM);
}

/* ---- what one request needs ---- */

enum { SLOT_EXP_READS = BUDGET_KIND_COUNT, SLOT_EXP_WRITES };

typedef struct need {
    int slot; /* a budget_kind, or SLOT_EXP_* */
    int64_t rate, cap_minutes, share_ppm;
} need;

/* The buckets a request of class cls takes a token from, with the figures to refill them at:
 * at most two server buckets and two experience buckets. A bucket whose rate is "no such
 * limit" is left out. The experience buckets refill at the normal share: budget_cut aims at
 * servers, and the shared buckets are refilled by calls from every server, which must agree. */
static size_t needs_of(const budget_env *env, budget_class cls, need out[4])
{
    const platform_limits *l = env->limits;
    const struct class_info *ci = &classes[cls];
    size_t n = 0;
    for (int k = 0; k < BUDGET_KIND_COUNT; k++) {
        limit_rate r = kind_limit(l, (budget_kind)k);
        if ((ci->kinds & KIND(k)) && is_limit(r))
            out[n++] = (need){k, rate_of(r, env->players), l->budget_cap_minutes, env->share_ppm};
    }
    if (env->experience) {
        if ((ci->experience & EXP_READ) && is_limit(l->experience_reads))
            out[n++] = (need){SLOT_EXP_READS, rate_of(l->experience_reads, env->ccu),
                              l->budget_cap_minutes, BUDGET_PPM};
        if ((ci->experience & EXP_WRITE) && is_limit(l->experience_writes))
            out[n++] = (need){SLOT_EXP_WRITES, rate_of(l->experience_writes, env->ccu),
                              l->budget_cap_minutes, BUDGET_PPM};
    }
    return n;
}

static budget_bucket *slot_bucket(server_budget *sb, const budget_env *env, int slot)
{
    if (slot == SLOT_EXP_READS)
        return &env->experience->reads;
    if (slot == SLOT_EXP_WRITES)
        return &env->experience->writes;
    return &sb->buckets[slot];
}

static const budget_bucket *slot_bucket_const(const server_budget *sb, const budget_env *env,
                                              int slot)
{
    if (slot == SLOT_EXP_READS)
        return &env->experience->reads;
    if (slot == SLOT_EXP_WRITES)
        return &env->experience->writes;
    return &sb->buckets[slot];
}

/* Refills what cls needs and takes one token from each, all or none. */
static bool take_all(server_budget *sb, const budget_env *env, budget_class cls, int64_t now_us)
{
    need needs[4];
    size_t n = needs_of(env, cls, needs);
    for (size_t i = 0; i < n; i++) {
        budget_bucket *b = slot_bucket(sb, env, needs[i].slot);
        budget_bucket_refill(b, now_us, needs[i].rate, needs[i].cap_minutes, needs[i].share_ppm);
        if (budget_bucket_tokens(b) < 1)
            return false;
    }
    for (size_t i = 0; i < n; i++)
        budget_bucket_try_take(slot_bucket(sb, env, needs[i].slot));
    return true;
}

/* ---- the server budget ---- */

bool server_budget_init(server_budget *sb, const platform_limits *l, int64_t players,
                        int64_t now_us)
{
    *sb = (server_budget){0};
    for (int k = 0; k < BUDGET_KIND_COUNT; k++) {
        bool burst = k == BUDGET_KIND_GET || k == BUDGET_KIND_SET;
        int64_t tokens = burst ? l->budget_burst : rate_of(kind_limit(l, (budget_kind)k), players);
        budget_bucket_init(&sb->buckets[k], tokens, now_us);
    }
    sb->queue_cap = (size_t)clamp(l->queue_size, 0, (int64_t)QUEUE_CAP_MAX);
    if (sb->queue_cap > 0) {
        sb->storage = calloc(sb->queue_cap * BUDGET_QUEUE_COUNT, sizeof *sb->storage);
        if (!sb->storage)
            return false;
    }
    for (int q = 0; q < BUDGET_QUEUE_COUNT; q++)
        sb->queues[q].items = sb->storage ? sb->storage + (size_t)q * sb->queue_cap : NULL;
    return true;
}

void server_budget_drain(server_budget *sb, budget_drop_fn drop, void *ctx)
{
    for (int q = 0; q < BUDGET_QUEUE_COUNT; q++) {
        budget_ring *r = &sb->queues[q];
        while (r->len > 0) {
            budget_entry e = r->items[r->head];
            r->head = (r->head + 1) % sb->queue_cap;
            r->len--;
            if (drop)
                drop(e.req, e.cls, ctx);
        }
        r->head = 0;
    }
}

void server_budget_free(server_budget *sb, budget_drop_fn drop, void *ctx)
{
    server_budget_drain(sb, drop, ctx);
    free(sb->storage);
    *sb = (server_budget){0};
}

void server_budget_settle(server_budget *sb, const budget_env *env, int64_t now_us)
{
    const platform_limits *l = env->limits;
    for (int k = 0; k < BUDGET_KIND_COUNT; k++) {
        int64_t rate = rate_of(kind_limit(l, (budget_kind)k), env->players);
        budget_bucket_refill(&sb->buckets[k], now_us, rate, l->budget_cap_minutes, env->share_ppm);
    }
}

budget_verdict server_budget_admit(server_budget *sb, const budget_env *env, budget_class cls,
                                   void *req, int64_t now_us)
{
    budget_ring *r = &sb->queues[classes[cls].queue];
    /* Only an empty queue lets a request through directly: otherwise it would overtake the
     * requests already waiting whenever it arrives just as tokens come back. */
    if (r->len == 0 && take_all(sb, env, cls, now_us))
        return BUDGET_ADMITTED;
    if (r->len >= sb->queue_cap)
        return BUDGET_DROPPED;
    r->items[(r->head + r->len) % sb->queue_cap] = (budget_entry){req, cls};
    r->len++;
    return BUDGET_QUEUED;
}

int64_t server_budget_next_ready(const server_budget *sb, const budget_env *env, budget_queue q,
                                 int64_t now_us)
{
    const budget_ring *r = &sb->queues[q];
    if (r->len == 0)
        return INT64_MAX;
    need needs[4];
    size_t n = needs_of(env, r->items[r->head].cls, needs);
    /* Buckets refill independently and nothing else takes from them meanwhile (by assumption),
     * so all hold a token together from the latest of their own first times on. */
    int64_t at = now_us;
    for (size_t i = 0; i < n; i++) {
        int64_t t = budget_bucket_ready_at(slot_bucket_const(sb, env, needs[i].slot), now_us,
                                           needs[i].rate, needs[i].cap_minutes, needs[i].share_ppm);
        if (t > at)
            at = t;
    }
    return at;
}

void *server_budget_pop_ready(server_budget *sb, const budget_env *env, budget_queue q,
                              int64_t now_us, budget_class *cls_out)
{
    budget_ring *r = &sb->queues[q];
    if (r->len == 0)
        return NULL;
    budget_entry e = r->items[r->head];
    if (!take_all(sb, env, e.cls, now_us))
        return NULL;
    r->head = (r->head + 1) % sb->queue_cap;
    r->len--;
    if (cls_out)
        *cls_out = e.cls;
    return e.req;
}

size_t server_budget_queue_len(const server_budget *sb, budget_queue q)
{
    return sb->queues[q].len;
}
