/* server.h: a virtual game server.
 *
 * A server runs one engine store and gives it a platform: its clock (true time for now), its
 * own random stream ("server.<id>"), timers on the world's queue, and the simulated DataStore.
 * A server stays allocated until the world ends, even after it stops, because requests it
 * sent may still be in flight and refer to it; `client.alive` is what tells them it is gone. */
#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>

#include "core/platform.h"
#include "core/store.h"
#include "sim/datastore.h"
#include "sim/world.h"

typedef struct server server;

/* Called for every event the engine emits, with the emitting server. */
typedef void (*server_event_fn)(void *arg, server *srv, const vs_event *event);

struct server {
    world *w;
    datastore *ds;
    int id;
    char name[24]; /* "server.<id>" */
    rng rng;
    ds_client client;
    vs_platform platform;
    vs_store *store;
    server_event_fn on_event;
    void *on_event_arg;
};

/* Returns NULL when memory runs out. The server is started and has no store yet. */
server *server_new(world *w, datastore *ds, int id);
/* Opens the engine store on this server. */
vs_status server_open_store(server *srv, const vs_store_config *config);
/* Frees the server and its store. Only when the world is done with it. */
void server_free(server *srv);

#endif
