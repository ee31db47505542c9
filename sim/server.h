/* server.h: a virtual game server.
 *
 * A server runs one engine store and gives it a platform (core/platform.h): its own clock
 * (true time plus skew, drift and jumps, from the scenario and clock faults), its own random
 * stream, timers on the world's queue, and the simulated DataStore, OrderedDataStore and
 * MessagingService. It lives through incarnations: each start makes a fresh endpoint and a
 * fresh engine store, so nothing sent by or to an earlier incarnation can reach the new one.
 *
 *   STOPPED --start--> RUNNING --freeze--> FROZEN --resume--> RUNNING
 *   RUNNING --crash--> STOPPED (nothing runs; requests already sent may still commit)
 *   RUNNING --shutdown--> CLOSING (every player leaves; stops when all profiles are released
 *                                  or after close_window, whichever comes first) --> STOPPED
 *
 * A server is allocated for the whole run; old endpoints too, because events in flight may
 * still name them. */
#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>

#include "core/platform.h"
#include "core/replicate.h"
#include "core/store.h"
#include "sim/datastore.h"
#include "sim/endpoint.h"
#include "sim/history.h"
#include "sim/messaging.h"
#include "sim/ordered.h"
#include "sim/purchases.h"
#include "sim/world.h"

typedef enum server_state { SERVER_STOPPED, SERVER_RUNNING, SERVER_FROZEN, SERVER_CLOSING } server_state;

const char *server_state_name(server_state s);

typedef struct server server;
typedef struct server_timer server_timer;

/* What a server needs from the world around it; borrowed, outliving the server. */
typedef struct server_env {
    world *w;
    const platform_limits *lim;
    const fault_plan *faults;
    history *hist;
    datastore *ds;
    ordered *ods;
    messaging *msg;
    purchases *purchases;
    const vs_store_config *store_config;
    /* Where a server's replication goes (the experience routes it to the player's client). */
    void (*client_send)(void *arg, server *srv, int64_t player, bool snapshot, uint64_t seq,
                        const vs_value *view, const vs_change_list *changes);
    void *client_arg; /* the engine store every incarnation opens */
    /* Told of every event the engine emits, after the history records it (the oracles). */
    void (*on_event)(void *arg, server *srv, const vs_event *event);
    void *event_arg;
} server_env;

struct server {
    server_env env;
    int id;
    char name[24]; /* "server.<id>" */
    server_state state;
    int64_t skew_us;   /* from the scenario */
    int64_t drift_ppm; /* from the scenario */
    rng rng;
    endpoint *ep;         /* the current incarnation's, NULL before the first start */
    endpoint **old_eps;   /* earlier incarnations', kept until the server is freed */
    size_t old_count;
    unsigned incarnation;
    char incarnation_name[40]; /* "server.<id>#<incarnation>" */
    vs_platform platform;
    vs_store *store;      /* the engine, while RUNNING, FROZEN or CLOSING */
    const vs_store_config *store_config; /* this server's build of the engine store (a newer
                                            server may have a newer schema); env's by default */
    evq_id close_deadline;
    server_timer **held_timers; /* fired while frozen, waiting for the resume (cancellable) */
    size_t held_timer_count, held_timer_cap;
    void (*on_stopped)(void *arg, server *srv); /* told when the server stops (crash or close) */
    void *on_stopped_arg;
};

/* Returns NULL when memory runs out. The server starts STOPPED. */
server *server_new(const server_env *env, int id, int64_t skew_us, int64_t drift_ppm);
void server_free(server *srv);

/* Lifecycle. Each returns VS_OK, or VS_ERR_BUSY when the server is not in a state that allows
 * the transition (starting a running server, freezing a stopped one, ...). */
vs_status server_start(server *srv);
vs_status server_crash(server *srv);
vs_status server_freeze(server *srv);
vs_status server_resume(server *srv);
vs_status server_shutdown(server *srv);

/* The server's wall clock now. */
vs_time_us server_clock(const server *srv);

#endif
