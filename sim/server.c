/* server.c: the platform of core/platform.h, implemented over the world. */
#include "sim/server.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct timer {
    server *srv;
    vs_timer_fn fn;
    void *arg;
} timer;

static vs_time_us server_now(void *ctx)
{
    server *srv = ctx;
    return srv->w->now_us;
}

static uint64_t server_random(void *ctx)
{
    server *srv = ctx;
    return rng_next(&srv->rng);
}

static void timer_fire(void *arg)
{
    timer *t = arg;
    if (t->srv->client.alive)
        t->fn(t->arg);
    free(t);
}

static vs_timer_id server_timer_start(void *ctx, vs_time_us delay_us, vs_timer_fn fn, void *arg)
{
    server *srv = ctx;
    timer *t = malloc(sizeof *t);
    WORLD_ASSERT(srv->w, t != NULL);
    *t = (timer){.srv = srv, .fn = fn, .arg = arg};
    return world_after(srv->w, delay_us, "timer", timer_fire, t);
}

static void server_timer_cancel(void *ctx, vs_timer_id id)
{
    server *srv = ctx;
    void *arg = NULL;
    if (world_cancel(srv->w, id, &arg))
        free(arg);
}

static void server_ds_get(void *ctx, const char *store, const char *key, vs_ds_done_fn done,
                          void *arg)
{
    server *srv = ctx;
    datastore_get(srv->ds, &srv->client, store, key, done, arg);
}

static void server_ds_set(void *ctx, const char *store, const char *key, vs_value *value,
                          vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_set(srv->ds, &srv->client, store, key, value, done, arg);
}

static void server_ds_update(void *ctx, const char *store, const char *key,
                             vs_ds_transform_fn transform, void *transform_arg, vs_ds_done_fn done,
                             void *arg)
{
    server *srv = ctx;
    datastore_update(srv->ds, &srv->client, store, key, transform, transform_arg, done, arg);
}

static void server_emit(void *ctx, const vs_event *event)
{
    server *srv = ctx;
    if (srv->on_event)
        srv->on_event(srv->on_event_arg, srv, event);
}

static const vs_platform_ops server_ops = {
    .now = server_now,
    .random = server_random,
    .timer_start = server_timer_start,
    .timer_cancel = server_timer_cancel,
    .ds_get = server_ds_get,
    .ds_set = server_ds_set,
    .ds_update = server_ds_update,
    .emit = server_emit,
};

server *server_new(world *w, datastore *ds, int id)
{
    server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->w = w;
    srv->ds = ds;
    srv->id = id;
    snprintf(srv->name, sizeof srv->name, "server.%d", id);
    world_stream(w, srv->name, &srv->rng);
    srv->client = (ds_client){.id = id, .alive = true};
    srv->platform = (vs_platform){.ops = &server_ops, .ctx = srv};
    return srv;
}

vs_status server_open_store(server *srv, const vs_store_config *config)
{
    if (srv->store)
        return VS_ERR_BUSY;
    return vs_store_new(config, &srv->platform, &srv->store);
}

void server_free(server *srv)
{
    if (!srv)
        return;
    vs_store_free(srv->store);
    free(srv);
}
