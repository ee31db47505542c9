/* store.h: a store of player profiles, the engine's public face.
 *
 * A store is made from a config (its DataStore name and the template of a new profile) and a
 * platform. Each player in the game has one session: join starts loading the profile, the
 * game reads and changes it on paths while it is ACTIVE, and leave saves and releases it.
 *
 *   join -> LOADING -> ACTIVE -> (leave) RELEASING -> RELEASED (session gone)
 *
 * A profile seen for the first time is created from the template inside the load's update
 * transform, so two loads can never both think they created it. Mutations are all-or-nothing
 * (core/path.h) and refused unless the session is ACTIVE. */
#ifndef VS_STORE_H
#define VS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "core/platform.h"
#include "core/status.h"
#include "core/value.h"

typedef enum vs_session_state {
    VS_SESSION_NONE, /* no session for this player on this server */
    VS_SESSION_LOADING,
    VS_SESSION_ACTIVE,
    VS_SESSION_RELEASING,
} vs_session_state;

const char *vs_session_state_name(vs_session_state state);

typedef struct vs_store_config {
    const char *name;          /* DataStore name */
    const vs_value *template_; /* a map; copied at vs_store_new */
    const char *key_prefix;    /* key = prefix + user id; "Player_" when NULL */
    int64_t schema;            /* schema version written into new documents; 1 when 0 */
} vs_store_config;

/* Why a load or a release did not succeed. */
typedef struct vs_error {
    vs_status status; /* VS_ERR_DATASTORE when the store said no, with its code */
    int code;         /* the DataStore error code, or 0 */
    char message[200];
} vs_error;

/* Completion of a join (err NULL: the profile is ACTIVE) or of a leave (err NULL: saved and
 * released). user_id says which player. */
typedef void (*vs_session_fn)(void *arg, int64_t user_id, const vs_error *err);

typedef struct vs_store vs_store;

vs_status vs_store_new(const vs_store_config *config, const vs_platform *platform, vs_store **out);
/* Frees the store and every session in it, without saving: the caller decides when it is
 * safe (the platform must not call back into a freed store; see core/platform.h). */
void vs_store_free(vs_store *store);

const char *vs_store_name(const vs_store *store);
/* Writes the DataStore key of a player ("Player_42") into buf. */
void vs_store_key(const vs_store *store, int64_t user_id, char *buf, size_t size);

/* Starts loading. VS_ERR_BUSY when the player already has a session here. */
vs_status vs_store_join(vs_store *store, int64_t user_id, vs_session_fn done, void *arg);
/* Starts saving and releasing. A leave during loading takes effect when the load ends.
 * VS_ERR_NOT_LOADED when there is no session, VS_ERR_BUSY when it is already releasing. */
vs_status vs_store_leave(vs_store *store, int64_t user_id, vs_session_fn done, void *arg);

vs_session_state vs_store_state(const vs_store *store, int64_t user_id);
size_t vs_store_session_count(const vs_store *store);
/* The user id of session i, in increasing user id order (i < vs_store_session_count). */
int64_t vs_store_user_at(const vs_store *store, size_t i);

/* Reads the node at path (the root for the empty path); NULL when absent or not ACTIVE. The
 * pointer is valid until the next mutation of that profile. */
const vs_value *vs_store_get(const vs_store *store, int64_t user_id, const vs_path *path);
/* Mutations (core/path.h semantics); VS_ERR_NOT_LOADED unless ACTIVE. Take ownership of item. */
vs_status vs_store_set(vs_store *store, int64_t user_id, const vs_path *path, vs_value *item);
vs_status vs_store_add(vs_store *store, int64_t user_id, const vs_path *path, double delta);
vs_status vs_store_insert(vs_store *store, int64_t user_id, const vs_path *path, size_t index1,
                          vs_value *item);
vs_status vs_store_remove(vs_store *store, int64_t user_id, const vs_path *path);

#endif
