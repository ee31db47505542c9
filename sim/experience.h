/* experience.h: everything one game's run happens in.
 *
 * An experience is the platform's word for a game: many servers sharing one DataStore, one
 * OrderedDataStore and one MessagingService. This struct owns the simulated services, the
 * history, the servers, and where each player is. It keeps the counts that budgets are
 * computed from (players per server, players in the whole experience) true at every instant.
 *
 * A player is on at most one server. Joining, leaving, teleporting and rejoining are what the
 * platform does: a teleport or a fast rejoin starts the new session at the same instant the old
 * server begins to save, which is the race that duplicates items in the field. */
#ifndef EXPERIENCE_H
#define EXPERIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"
#include "faults/fault.h"
#include "sim/datastore.h"
#include "sim/history.h"
#include "sim/limits.h"
#include "sim/messaging.h"
#include "sim/ordered.h"
#include "sim/client.h"
#include "sim/purchases.h"
#include "sim/server.h"
#include "sim/world.h"

typedef struct experience_server_config {
    int id; /* 1..DS_MAX_SERVERS */
    int64_t skew_us;
    int64_t drift_ppm;
    bool starts_stopped;
    const vs_store_config *store; /* this server's engine store, or NULL for the experience's */
} experience_server_config;

typedef struct experience_config {
    platform_limits limits;
    const fault_plan *faults; /* borrowed */
    int64_t store_clock_skew_us;
    vs_store_config store;    /* borrowed strings and template */
    const experience_server_config *servers;
    size_t server_count;
    /* Called each time a server starts, so the game can set it up (a receipt handler...). */
    void (*on_server_started)(void *arg, server *srv);
    void *on_server_started_arg;
    /* Called with every event any server's engine emits (the oracles follow sessions). */
    void (*on_engine_event)(void *arg, server *srv, const vs_event *event);
    void *on_engine_event_arg;
    /* Called when a replication arrives and nothing more is on its way to that client: a
     * quiet point, where its replica must equal the public part of the profile. */
    void (*on_replica_quiet)(void *arg, int64_t player, client *c);
    void *on_replica_quiet_arg;
    /* Called when a server stops (a crash, or the end of a shutdown): its engine's sessions
     * ended with it, released or not. */
    void (*on_server_stopped)(void *arg, server *srv);
    void *on_server_stopped_arg;
    const vs_public_paths *public_paths; /* what clients may see (borrowed), for their checks */
} experience_config;

typedef struct player_place {
    int64_t player;
    int server; /* the server the player is on */
    uint64_t client_session; /* the client's connection to that server */
} player_place;

/* A player's virtual client, kept for the whole run (it outlives the player's sessions). */
typedef struct client_slot {
    int64_t player;
    client *c;
    uint32_t in_flight; /* replications sent to it and not yet arrived */
} client_slot;

/* An engine call whose completion comes later (join, leave), kept until the run ends so a
 * server that stops before answering leaks nothing. */
typedef struct engine_call {
    struct experience *x;
    uint64_t request;
    vs_session_fn done;
    void *arg;
} engine_call;

typedef struct experience {
    world *w;
    platform_limits lim;
    const fault_plan *faults;
    vs_store_config store_config;
    history hist;
    datastore ds;
    ordered ods;
    messaging msg;
    purchases purchases;
    void (*on_server_started)(void *arg, server *srv);
    void *on_server_started_arg;
    server *servers[DS_MAX_SERVERS + 1]; /* by id; NULL for ids not in the scenario */
    player_place *players; /* sorted by player id */
    size_t player_count, player_cap;
    engine_call **calls; /* every join and leave made, in order */
    size_t call_count, call_cap;
    const vs_public_paths *public_paths;
    client_slot *clients; /* sorted by player */
    size_t client_count, client_cap;
    void (*on_replica_quiet)(void *arg, int64_t player, client *c);
    void *on_replica_quiet_arg;
    void (*on_server_stopped)(void *arg, server *srv);
    void *on_server_stopped_arg;
} experience;

/* Builds the experience and starts the servers that do not start stopped. */
vs_status experience_init(experience *x, world *w, const experience_config *cfg);
void experience_free(experience *x);

server *experience_server(experience *x, int id);
/* The player's virtual client, or NULL when the player never joined. */
client *experience_client(const experience *x, int64_t player);

/* True when no replication is on its way to the player's client. */
bool experience_replica_quiet(const experience *x, int64_t player);

/* The server a player is on, or 0. */
int experience_player_server(const experience *x, int64_t player);

/* A player joins a running server; the engine starts loading the profile. VS_ERR_BUSY when
 * the player is already on a server or the server is not running. */
vs_status experience_join(experience *x, int64_t player, int server_id, vs_session_fn done, void *arg);
/* The player leaves its server; the engine saves and releases. VS_ERR_NOT_LOADED when the
 * player is on no server. */
vs_status experience_leave(experience *x, int64_t player, vs_session_fn done, void *arg);
/* The player leaves its server and joins to_server at the same instant (to_server may be the
 * same server: a fast rejoin). */
vs_status experience_move(experience *x, int64_t player, int to_server, vs_session_fn left,
                          void *left_arg, vs_session_fn joined, void *joined_arg);

/* Records a synchronous engine call (set, add, insert, remove) and its status. */
void experience_note_call(experience *x, int server_id, const char *what, int64_t player,
                          vs_status status);

/* The player buys something on the server they are on: the platform calls that server's
 * receipt handler (and again on later joins until it is granted and recorded). false when
 * the player is on no server or the purchase id was used before. */
bool experience_purchase(experience *x, int64_t player, const char *purchase_id, int64_t product,
                         int64_t price);

/* Server lifecycle, recorded in the history; players on a server that crashes or stops are
 * gone from it (a crash runs nothing for them). */
vs_status experience_start(experience *x, int id);
vs_status experience_crash(experience *x, int id);
vs_status experience_freeze(experience *x, int id);
vs_status experience_resume(experience *x, int id);
vs_status experience_shutdown(experience *x, int id);

#endif
