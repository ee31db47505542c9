/* datastore.h: the simulated DataStore (PLATFORM.md, "DataStore").
 *
 * Each request is sent by a client (a server) and travels for a drawn latency: it takes effect
 * at one instant inside that interval (the apply point) and its answer reaches the client at
 * the end. Between the two, other requests can commit, which is what makes races between
 * servers real. An answer to a client that stopped is dropped, and a transform of a stopped
 * client is never called (but a write already applied stays committed).
 *
 * The store keeps, per key, the decoded value, the length and XXH3 hash of its canonical JSON,
 * and its key info. Every committed write is recorded in the world's fingerprint (key,
 * version, hash), so a change in what was stored changes the run's fingerprint. */
#ifndef DATASTORE_H
#define DATASTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/platform.h"
#include "sim/rng.h"
#include "sim/strmap.h"
#include "sim/world.h"

typedef struct datastore_config {
    int64_t latency_min_us;  /* round trip, drawn uniformly in [min, max] */
    int64_t latency_max_us;
    size_t max_value_bytes;  /* canonical JSON, PLATFORM.md: 4,194,304 */
    size_t max_name_bytes;   /* store names and keys, PLATFORM.md: 50 */
} datastore_config;

void datastore_config_default(datastore_config *cfg);

/* Who sends a request. The client owns this struct and keeps it alive until the world ends;
 * `alive` turns false when its server stops. */
typedef struct ds_client {
    int id;
    bool alive;
} ds_client;

/* One stored key. */
typedef struct ds_entry {
    vs_value *value;
    size_t json_len;
    uint64_t hash;
    vs_key_info info; /* info.user_ids and info.metadata point to the two fields below */
    vs_value *user_ids;
    vs_value *metadata;
} ds_entry;

typedef struct datastore_stats {
    uint64_t gets, sets, updates, transforms, writes, errors;
} datastore_stats;

typedef struct datastore {
    world *w;
    datastore_config cfg;
    rng rng;
    strmap entries; /* "store\x1fkey" -> ds_entry */
    datastore_stats stats;
} datastore;

/* Returns false when memory runs out. */
bool datastore_init(datastore *ds, world *w, const datastore_config *cfg);
void datastore_free(datastore *ds);

void datastore_get(datastore *ds, ds_client *client, const char *store, const char *key,
                   vs_ds_done_fn done, void *arg);
/* Takes ownership of value. */
void datastore_set(datastore *ds, ds_client *client, const char *store, const char *key,
                   vs_value *value, vs_ds_done_fn done, void *arg);
void datastore_update(datastore *ds, ds_client *client, const char *store, const char *key,
                      vs_ds_transform_fn transform, void *transform_arg, vs_ds_done_fn done,
                      void *arg);

/* What is stored now, for oracles and expectations (no latency, no budget): NULL when the
 * key is missing. */
const ds_entry *datastore_peek(const datastore *ds, const char *store, const char *key);

#endif
