/* datastore.h: the simulated DataStore (PLATFORM.md, "DataStore").
 *
 * A request goes through the same stages as on the platform:
 *   send      the server's read cache may answer a get at once (no budget); a partitioned
 *             server's request fails; a write to a key in its cooldown (classic) waits;
 *   admission the server's budget for the request type (and the experience's, `current`)
 *             admits it, queues it (FIFO, 30 per queue) or drops it with 301-306;
 *   flight    a latency is drawn (plus latency faults); the request takes effect at one
 *             instant inside it (the apply point) and is answered at the end;
 *   apply     outage and error faults, the per-key throughput limit, then the operation. An
 *             UpdateAsync reads, runs its transform on the server (held while the server is
 *             frozen, never run for a stopped one), and commits after a short gap only if no
 *             one wrote in between; otherwise the transform runs again on the newer value;
 *   answer    through the server's endpoint. An answer may be lost, or arrive after the
 *             timeout: the caller then gets 504 although the request may have taken effect;
 *             an ambiguous-commit fault commits and then reports an error.
 * Every request is in the history as an invocation and a completion (ok, fail, unknown,
 * cancelled); every committed write as a "ds.commit" note with the value's hash and version.
 * Keys keep their key info (version, created and updated in the store's clock, user ids,
 * metadata) and the first version written in each UTC hour of the store's clock, for
 * version_keep. Nothing here reads the real clock; every draw is from the "datastore" stream. */
#ifndef DATASTORE_H
#define DATASTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/platform.h"
#include "faults/fault.h"
#include "sim/budget.h"
#include "sim/endpoint.h"
#include "sim/history.h"
#include "sim/limits.h"
#include "sim/rng.h"
#include "sim/strmap.h"
#include "sim/world.h"

#define DS_MAX_SERVERS 64

typedef struct ds_version {
    int64_t version;
    int64_t created_us; /* store clock */
    bool deleted;
    vs_value *value; /* NULL when deleted */
} ds_version;

typedef struct ds_last_write {
    int server;
    int64_t at_us; /* true time of the last write to this key from that server */
} ds_last_write;

/* One stored key. value is NULL after a RemoveAsync (the key then reads as missing, but keeps
 * its version count and its kept versions). */
typedef struct ds_entry {
    vs_value *value;
    size_t json_len;
    uint64_t hash;
    vs_key_info info; /* info.user_ids and info.metadata point to the two fields below */
    vs_value *user_ids;
    vs_value *metadata;
    ds_version *versions; /* oldest first */
    size_t version_count, version_cap;
    int64_t kept_hour; /* UTC hour (store clock) of the newest kept version; -1 before any */
    ds_last_write *last_writes; /* for the classic write cooldown */
    size_t last_write_count;
    budget_bucket read_bytes;  /* per-key throughput, current profile */
    budget_bucket write_bytes;
} ds_entry;

typedef struct datastore_stats {
    uint64_t requests, cache_hits, queued, dropped, applied, commits, reruns, errors, lost;
} datastore_stats;

typedef struct ds_server {
    bool started;
    strmap cache;          /* full key -> cache_item */
    server_budget budget;  /* request budgets and the four queues */
    evq_id wake[BUDGET_QUEUE_COUNT]; /* pending queue wake-ups, 0 when none */
    int64_t wake_at[BUDGET_QUEUE_COUNT];
} ds_server;

typedef struct datastore {
    world *w;
    const platform_limits *lim;
    const fault_plan *faults;
    history *hist;
    rng rng;
    strmap entries; /* "store\x1fkey" -> ds_entry */
    ds_server servers[DS_MAX_SERVERS + 1]; /* by server id */
    endpoint *endpoints[DS_MAX_SERVERS + 1]; /* the server of each id, for queue wake-ups */
    budget_experience experience;
    int64_t store_clock_skew_us;
    int64_t ccu; /* players in the whole experience, for experience budgets; kept by the owner */
    datastore_stats stats;
    /* Told of every committed write (value NULL: a removal), for the oracles; may be NULL.
     * member_hash is the hash of the value's top-level member named commit_member (the
     * profile's "data"), taken in the same walk as the value's own hash; NULL when there is
     * no such member or the value has no hash. */
    void (*on_commit)(void *arg, int server, const char *full_key, size_t full_key_len, const vs_value *value,
                      const uint64_t *member_hash);
    void *on_commit_arg;
    const char *commit_member; /* NULL: none */
} datastore;

/* lim, faults and hist are borrowed and must outlive the store. */
bool datastore_init(datastore *ds, world *w, const platform_limits *lim, const fault_plan *faults,
                    history *hist);
void datastore_free(datastore *ds);

/* A server (re)starts: it gets a fresh budget (with the start-up burst) and an empty cache.
 * Requests it had queued are dropped. */
void datastore_server_start(datastore *ds, endpoint *ep);
/* A server stopped: what it had queued is dropped, its cache forgotten. */
void datastore_server_stop(datastore *ds, endpoint *ep);
/* Brings every budget up to now at the figures in force: call it just before the player
 * counts change, so each interval refills at the rate that held during it. */
void datastore_settle_budgets(datastore *ds);
/* ... and just after they changed: queues waiting on the old rates are planned again. */
void datastore_counts_changed(datastore *ds);

/* The store's clock now (true time plus its skew). */
int64_t datastore_clock(const datastore *ds);

void datastore_get(datastore *ds, endpoint *ep, const char *store, const char *key, bool use_cache,
                   vs_ds_done_fn done, void *arg);
void datastore_set(datastore *ds, endpoint *ep, const char *store, const char *key, vs_value *value,
                   vs_ds_done_fn done, void *arg); /* takes ownership of value */
void datastore_update(datastore *ds, endpoint *ep, const char *store, const char *key,
                      vs_ds_transform_fn transform, void *transform_arg, vs_ds_done_fn done,
                      void *arg);
void datastore_increment(datastore *ds, endpoint *ep, const char *store, const char *key,
                         int64_t delta, vs_ds_done_fn done, void *arg);
void datastore_remove(datastore *ds, endpoint *ep, const char *store, const char *key,
                      vs_ds_done_fn done, void *arg);
void datastore_list_versions(datastore *ds, endpoint *ep, const char *store, const char *key,
                             bool descending, int64_t min_us, int64_t max_us, size_t limit,
                             vs_ds_versions_fn done, void *arg);
void datastore_get_version(datastore *ds, endpoint *ep, const char *store, const char *key,
                           int64_t version, vs_ds_done_fn done, void *arg);
void datastore_get_version_at_time(datastore *ds, endpoint *ep, const char *store,
                                   const char *key, int64_t at_us, vs_ds_done_fn done, void *arg);

/* What is stored now, for oracles and expectations (no latency, no budget, no faults): NULL
 * when the key was never written. A removed key has an entry whose value is NULL. */
const ds_entry *datastore_peek(const datastore *ds, const char *store, const char *key);

#endif
