/* budget.h: the request budgets and throttle queues of the simulated DataStore and
 * OrderedDataStore (PLATFORM.md, "DataStore").
 *
 * Each server has five token buckets (get, set, sorted get, sorted set, list), refilled
 * continuously at `base + per_player × players` per minute and capped at budget_cap_minutes
 * minutes' worth, and four FIFO queues (set, sorted set, get, sorted get) of queue_size
 * requests each. Under the `current` profile the whole experience also has a read bucket and a
 * write bucket (300 + 40 × CCU, 300 + 20 × CCU), shared by every server: a request takes a
 * token from its server's buckets and from the experience's.
 *
 * What this module keeps true:
 * - Integer arithmetic only, exact: a bucket holds tokens × BUDGET_TOKEN_UNITS plus a carry in
 *   millionths of a unit, so refilling over [a, b] and then [b, c] gives exactly what refilling
 *   over [a, c] gives (at one rate), whatever the budget_cut share; nothing is lost to
 *   rounding except what the cap cuts off.
 * - Refill is lazy: every call refills the buckets it touches up to `now` at the rate it is
 *   given, as if that rate had held since the last refill. When the player count, the CCU or
 *   the share changes, call server_budget_settle / budget_experience_settle with the OLD
 *   figures first, so each interval is refilled at the rate that was in force.
 * - Refill never removes tokens: a bucket above its cap (the starting burst, or a cap that fell
 *   with the player count) keeps them until they are spent, and only refills below the cap.
 * - A queue is strictly FIFO: a request whose queue is not empty waits behind it even when
 *   tokens exist; only the head leaves, and only when all its tokens can be taken at once.
 * - budget_bucket_ready_at and server_budget_next_ready give the exact first microsecond at
 *   which the tokens will be there (if the rates stay as given): a pop at that time succeeds,
 *   one microsecond earlier it does not.
 * - Nothing here reads a clock, draws a random number or allocates per request: time comes
 *   from the caller, and the queues are ring buffers allocated once per server.
 *
 * Overflow: figures are clamped to the domain below, where every intermediate product fits in
 * int64_t (the bounds are worked out in budget.c). Times are non-negative microseconds. */
#ifndef BUDGET_H
#define BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/limits.h"

#define BUDGET_PPM 1000000LL                  /* a share of 1,000,000 ppm is the normal rate */
#define BUDGET_TOKEN_UNITS 60000000LL         /* units per token: µs per minute, so that a rate
                                                 of r per minute adds exactly r units per µs */
#define BUDGET_RATE_MAX 1000000000LL          /* per minute; higher rates are clamped */
#define BUDGET_CAP_MINUTES_MAX 100LL          /* higher caps are clamped */
#define BUDGET_SHARE_MAX (1000LL * BUDGET_PPM) /* budget_cut shares above 1000× are clamped */
#define BUDGET_TOKENS_MAX (BUDGET_RATE_MAX * BUDGET_CAP_MINUTES_MAX) /* starting tokens */

/* ---- one token bucket ---- */

typedef struct budget_bucket {
    int64_t units;      /* tokens × BUDGET_TOKEN_UNITS, >= 0 */
    int64_t carry;      /* millionths of a unit refilled but not yet whole, 0..999999 */
    int64_t updated_us; /* the time it was last refilled up to */
} budget_bucket;

/* Starts with `tokens` whole tokens (clamped to 0..BUDGET_TOKENS_MAX), refilled up to now. */
void budget_bucket_init(budget_bucket *b, int64_t tokens, int64_t now_us);
/* Refills from the last refill up to now at rate_per_minute × share_ppm / 1e6, stopping at
 * cap_minutes × rate_per_minute tokens. A time before the last refill adds nothing. */
void budget_bucket_refill(budget_bucket *b, int64_t now_us, int64_t rate_per_minute,
                          int64_t cap_minutes, int64_t share_ppm);
/* Whole tokens held (as of the last refill). */
int64_t budget_bucket_tokens(const budget_bucket *b);
/* Takes one whole token if there is one (refill first). */
bool budget_bucket_try_take(budget_bucket *b);
/* Takes n whole tokens if there are n, else nothing (a byte budget takes a request's bytes).
 * n <= 0 takes nothing and succeeds; n above BUDGET_TOKENS_MAX never succeeds. */
bool budget_bucket_try_take_n(budget_bucket *b, int64_t n);
/* The first time >= now at which the bucket will hold a whole token if refilled at these
 * figures; now when it already does; INT64_MAX when it never will (a rate, share or cap of 0). */
int64_t budget_bucket_ready_at(const budget_bucket *b, int64_t now_us, int64_t rate_per_minute,
                               int64_t cap_minutes, int64_t share_ppm);

/* ---- request classes, budgets and queues ---- */

/* What a DataStore operation is, as far as budgets go: the datastore maps its operations onto
 * these. UpdateAsync takes a get and a set token; ListKeys, ListVersions and GetVersion are
 * `list`; every OrderedDataStore write (set, increment, update, remove) is `sorted_set`. */
typedef enum budget_class {
    BUDGET_GET,
    BUDGET_SET,
    BUDGET_UPDATE,
    BUDGET_INCREMENT,
    BUDGET_REMOVE,
    BUDGET_SORTED_GET,
    BUDGET_SORTED_SET,
    BUDGET_LIST,
    BUDGET_CLASS_COUNT
} budget_class;

/* The five per-server buckets (the request types of PLATFORM.md's budget table). */
typedef enum budget_kind {
    BUDGET_KIND_GET,
    BUDGET_KIND_SET,
    BUDGET_KIND_SORTED_GET,
    BUDGET_KIND_SORTED_SET,
    BUDGET_KIND_LIST,
    BUDGET_KIND_COUNT
} budget_kind;

/* The four per-server queues. */
typedef enum budget_queue {
    BUDGET_Q_SET,
    BUDGET_Q_SORTED_SET,
    BUDGET_Q_GET,
    BUDGET_Q_SORTED_GET,
    BUDGET_QUEUE_COUNT
} budget_queue;

/* "get", "update", "sorted_set", ... */
const char *budget_class_name(budget_class cls);
/* The queue a request of this class waits in. */
budget_queue budget_class_queue(budget_class cls);
/* The error code of a request of this class dropped because its queue is full (301..306). */
int budget_class_drop_code(budget_class cls);

/* The experience-wide buckets, shared by every server (one per world). */
typedef struct budget_experience {
    budget_bucket reads;
    budget_bucket writes;
} budget_experience;

/* Each bucket starts with one minute's worth at this CCU. */
void budget_experience_init(budget_experience *e, const platform_limits *l, int64_t ccu,
                            int64_t now_us);
/* Refills both buckets up to now at this CCU: call it with the old CCU before it changes. */
void budget_experience_settle(budget_experience *e, const platform_limits *l, int64_t ccu,
                              int64_t now_us);

/* The figures in force for one server at one call. */
typedef struct budget_env {
    const platform_limits *limits;
    int64_t players;               /* on this server now: its rates */
    int64_t ccu;                   /* in the whole experience now: the experience rates */
    int64_t share_ppm;             /* refill share (budget_cut); BUDGET_PPM = normal */
    budget_experience *experience; /* the shared buckets; NULL = none, like a rate of 0 + 0 */
} budget_env;

typedef struct budget_entry {
    void *req; /* owned by the caller */
    budget_class cls;
} budget_entry;

typedef struct budget_ring {
    budget_entry *items; /* queue_cap slots of server_budget.storage */
    size_t head, len;
} budget_ring;

typedef struct server_budget {
    budget_bucket buckets[BUDGET_KIND_COUNT];
    budget_ring queues[BUDGET_QUEUE_COUNT];
    size_t queue_cap;      /* each queue's size (limits.queue_size at init) */
    budget_entry *storage; /* one allocation for the four rings */
} server_budget;

typedef enum budget_verdict {
    BUDGET_ADMITTED, /* tokens taken: send the request now */
    BUDGET_QUEUED,   /* waiting in its queue: wake up at server_budget_next_ready */
    BUDGET_DROPPED,  /* its queue is full: fail with budget_class_drop_code(cls) */
} budget_verdict;

/* Called for each request still queued when the queues are drained, oldest first. */
typedef void (*budget_drop_fn)(void *req, budget_class cls, void *ctx);

/* A new server: get and set start with budget_burst tokens, the other buckets with one
 * minute's worth at `players`. Returns false when memory runs out. */
bool server_budget_init(server_budget *sb, const platform_limits *l, int64_t players,
                        int64_t now_us);
/* Drains (see below) and frees the queues. drop may be NULL when the queues are known empty. */
void server_budget_free(server_budget *sb, budget_drop_fn drop, void *ctx);
/* Empties the queues, calling drop for each request: queue by queue in budget_queue order,
 * oldest first within a queue. */
void server_budget_drain(server_budget *sb, budget_drop_fn drop, void *ctx);

/* Refills the server's five buckets up to now at env's figures: call it with the old figures
 * before the player count or the share changes. */
void server_budget_settle(server_budget *sb, const budget_env *env, int64_t now_us);

/* A new request of class cls. ADMITTED when its queue is empty and every token it needs is
 * there (they are taken); otherwise QUEUED at the tail of its queue, or DROPPED when the queue
 * is full. After QUEUED into an empty queue, the caller schedules a wake-up at
 * server_budget_next_ready. */
budget_verdict server_budget_admit(server_budget *sb, const budget_env *env, budget_class cls,
                                   void *req, int64_t now_us);
/* When the head of queue q could leave at the rates in env: the first time >= now at which all
 * its tokens will be there; INT64_MAX for an empty queue or when that never comes. The answer
 * can change when the rates change or another server spends experience tokens: a pop at that
 * time that returns NULL means "ask again". */
int64_t server_budget_next_ready(const server_budget *sb, const budget_env *env, budget_queue q,
                                 int64_t now_us);
/* The head of queue q if all its tokens can be taken now (taking them and removing it), else
 * NULL. *cls_out (when not NULL) receives its class. */
void *server_budget_pop_ready(server_budget *sb, const budget_env *env, budget_queue q,
                              int64_t now_us, budget_class *cls_out);
size_t server_budget_queue_len(const server_budget *sb, budget_queue q);

#endif
