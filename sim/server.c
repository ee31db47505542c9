/* server.c: a server's lifecycle and the platform it gives its engine store.
 *
 * Everything that reaches the engine (answers, messages, timers) goes through the current
 * incarnation's endpoint, so a frozen server hears nothing until it resumes and a stopped one
 * never hears anything again. The server is stopped in an event of its own, never from inside
 * an engine callback, so the engine store is never freed under its own feet. */
#include "sim/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

const char *server_state_name(server_state s)
{
    switch (s) {
    case SERVER_STOPPED: return "stopped";
    case SERVER_RUNNING: return "running";
    case SERVER_FROZEN: return "frozen";
    case SERVER_CLOSING: return "closing";
    }
    return "unknown";
}

/* ---- clock ---- */

vs_time_us server_clock(const server *srv)
{
    const world *w = srv->env.w;
    int64_t now = w->now_us;
    int64_t t = now + srv->skew_us + srv->drift_ppm * now / 1000000;
    const fault_plan *plan = srv->env.faults;
    for (size_t i = 0; plan && i < plan->count; i++) {
        const fault *f = &plan->items[i];
        if (f->server_mask && (srv->id < 1 || srv->id > 64 || !(f->server_mask >> (srv->id - 1) & 1)))
            continue;
        if (f->start_us > now)
            continue;
        int64_t end = f->end_us < now ? f->end_us : now;
        switch (f->kind) {
        case FAULT_CLOCK_SKEW:
            if (now < f->end_us)
                t += f->amount;
            break;
        case FAULT_CLOCK_DRIFT: /* gained while active, kept afterwards */
            t += f->amount * (end - f->start_us) / 1000000;
            break;
        case FAULT_CLOCK_JUMP: /* a jump is permanent */
            t += f->amount;
            break;
        default:
            break;
        }
    }
    return t;
}

/* ---- timers ---- */

typedef struct server_timer timer;

struct server_timer {
    server *srv;
    endpoint *ep;
    evq_id id;      /* its world event, the engine's handle for it */
    bool held;      /* fired while the server was frozen: in srv->held_timers */
    bool cancelled; /* cancelled after it fired, while held: it must not run */
    vs_timer_fn fn;
    void *arg;
};

static void unhold(timer *t)
{
    server *srv = t->srv;
    for (size_t i = 0; t->held && i < srv->held_timer_count; i++)
        if (srv->held_timers[i] == t) {
            srv->held_timers[i] = srv->held_timers[--srv->held_timer_count];
            break;
        }
    t->held = false;
}

static void timer_drop(void *arg)
{
    timer *t = arg;
    unhold(t);
    free(t);
}

static void timer_run(void *arg)
{
    timer *t = arg;
    vs_timer_fn fn = t->fn;
    void *fn_arg = t->arg;
    bool cancelled = t->cancelled;
    timer_drop(t);
    if (!cancelled)
        fn(fn_arg);
}

/* A timer that falls due while the server is frozen waits for the resume, like everything
 * else; it stays cancellable meanwhile, since what runs before it at the resume (a script
 * step, an earlier timer) may cancel it. */
static void timer_fire(void *arg)
{
    timer *t = arg;
    if (t->ep->alive && t->ep->frozen) {
        server *srv = t->srv;
        timer **p = vs_grow(srv->held_timers, &srv->held_timer_cap, sizeof *p, srv->held_timer_count + 1);
        WORLD_ASSERT(srv->env.w, p != NULL);
        srv->held_timers = p;
        srv->held_timers[srv->held_timer_count++] = t;
        t->held = true;
    }
    endpoint_deliver(t->ep, "timer", timer_run, timer_drop, t);
}

static const char *p_server_name(void *ctx)
{
    server *srv = ctx;
    return srv->incarnation_name;
}

static vs_time_us p_now(void *ctx)
{
    return server_clock(ctx);
}

static uint64_t p_random(void *ctx)
{
    server *srv = ctx;
    return rng_next(&srv->rng);
}

static vs_timer_id p_timer_start(void *ctx, vs_time_us delay_us, vs_timer_fn fn, void *arg)
{
    server *srv = ctx;
    timer *t = malloc(sizeof *t);
    WORLD_ASSERT(srv->env.w, t != NULL);
    *t = (timer){.srv = srv, .ep = srv->ep, .fn = fn, .arg = arg};
    t->id = world_at_owned(srv->env.w, srv->env.w->now_us + (delay_us > 0 ? delay_us : 0), "timer",
                           timer_fire, free, t);
    return t->id;
}

static void p_timer_cancel(void *ctx, vs_timer_id id)
{
    server *srv = ctx;
    void *arg = NULL;
    if (world_cancel(srv->env.w, id, &arg)) {
        free(arg);
        return;
    }
    /* It fired while the server was frozen and waits in the endpoint: it must not run. */
    for (size_t i = 0; i < srv->held_timer_count; i++)
        if (srv->held_timers[i]->id == id)
            srv->held_timers[i]->cancelled = true;
}

/* ---- DataStore, OrderedDataStore, MessagingService ---- */

static void p_ds_get(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_get(srv->env.ds, srv->ep, store, key, true, done, arg);
}

static void p_ds_get_uncached(void *ctx, const char *store, const char *key, vs_ds_done_fn done,
                              void *arg)
{
    server *srv = ctx;
    datastore_get(srv->env.ds, srv->ep, store, key, false, done, arg);
}

static void p_ds_set(void *ctx, const char *store, const char *key, vs_value *value,
                     vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_set(srv->env.ds, srv->ep, store, key, value, done, arg);
}

static void p_ds_update(void *ctx, const char *store, const char *key, vs_ds_transform_fn transform,
                        void *transform_arg, vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_update(srv->env.ds, srv->ep, store, key, transform, transform_arg, done, arg);
}

static void p_ds_increment(void *ctx, const char *store, const char *key, int64_t delta,
                           vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_increment(srv->env.ds, srv->ep, store, key, delta, done, arg);
}

static void p_ds_remove(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_remove(srv->env.ds, srv->ep, store, key, done, arg);
}

static void p_ds_list_versions(void *ctx, const char *store, const char *key, bool descending,
                               vs_time_us min_us, vs_time_us max_us, size_t limit,
                               vs_ds_versions_fn done, void *arg)
{
    server *srv = ctx;
    datastore_list_versions(srv->env.ds, srv->ep, store, key, descending, min_us, max_us, limit,
                            done, arg);
}

static void p_ds_get_version(void *ctx, const char *store, const char *key, int64_t version,
                             vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_get_version(srv->env.ds, srv->ep, store, key, version, done, arg);
}

static void p_ds_get_version_at_time(void *ctx, const char *store, const char *key, vs_time_us at_us,
                                     vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    datastore_get_version_at_time(srv->env.ds, srv->ep, store, key, at_us, done, arg);
}

static void p_ods_get(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    ordered_get(srv->env.ods, srv->ep, store, key, done, arg);
}

static void p_ods_set(void *ctx, const char *store, const char *key, int64_t value,
                      vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    ordered_set(srv->env.ods, srv->ep, store, key, value, done, arg);
}

static void p_ods_increment(void *ctx, const char *store, const char *key, int64_t delta,
                            vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    ordered_increment(srv->env.ods, srv->ep, store, key, delta, done, arg);
}

static void p_ods_remove(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    server *srv = ctx;
    ordered_remove(srv->env.ods, srv->ep, store, key, done, arg);
}

static void p_ods_get_sorted(void *ctx, const char *store, bool ascending, size_t page_size,
                             int64_t min, int64_t max, const char *cursor, vs_ods_page_fn done,
                             void *arg)
{
    server *srv = ctx;
    ordered_get_sorted(srv->env.ods, srv->ep, store, ascending, page_size, min, max, cursor, done, arg);
}

static void p_msg_publish(void *ctx, const char *topic, const char *data, size_t len,
                          vs_status_fn done, void *arg)
{
    server *srv = ctx;
    messaging_publish(srv->env.msg, srv->ep, topic, data, len, done, arg);
}

static vs_sub_id p_msg_subscribe(void *ctx, const char *topic, vs_msg_fn on_message, void *arg,
                                 int *code)
{
    server *srv = ctx;
    return messaging_subscribe(srv->env.msg, srv->ep, topic, on_message, arg, code);
}

static void p_msg_unsubscribe(void *ctx, vs_sub_id id)
{
    server *srv = ctx;
    messaging_unsubscribe(srv->env.msg, id);
}

static void p_client_send(void *ctx, int64_t player, bool snapshot, uint64_t seq, const vs_value *view,
                          const struct vs_change_list *changes)
{
    server *srv = ctx;
    if (srv->env.client_send)
        srv->env.client_send(srv->env.client_arg, srv, player, snapshot, seq, view, changes);
}

static void p_receipt_handler_set(void *ctx, vs_receipt_fn handler, void *arg)
{
    server *srv = ctx;
    purchases_set_handler(srv->env.purchases, srv->id, handler, arg);
}

static void p_emit(void *ctx, const vs_event *event)
{
    server *srv = ctx;
    history_note(srv->env.hist, srv->id, history_event_what(event->kind), event->user_id, NULL,
                 event->code, 0, 0, event->message);
    if (srv->env.on_event)
        srv->env.on_event(srv->env.event_arg, srv, event);
}

static const vs_platform_ops server_ops = {
    .server_name = p_server_name,
    .now = p_now,
    .random_bits = p_random,
    .timer_start = p_timer_start,
    .timer_cancel = p_timer_cancel,
    .ds_get = p_ds_get,
    .ds_get_uncached = p_ds_get_uncached,
    .ds_set = p_ds_set,
    .ds_update = p_ds_update,
    .ds_increment = p_ds_increment,
    .ds_remove = p_ds_remove,
    .ds_list_versions = p_ds_list_versions,
    .ds_get_version = p_ds_get_version,
    .ds_get_version_at_time = p_ds_get_version_at_time,
    .ods_get = p_ods_get,
    .ods_set = p_ods_set,
    .ods_increment = p_ods_increment,
    .ods_remove = p_ods_remove,
    .ods_get_sorted = p_ods_get_sorted,
    .msg_publish = p_msg_publish,
    .msg_subscribe = p_msg_subscribe,
    .msg_unsubscribe = p_msg_unsubscribe,
    .receipt_handler_set = p_receipt_handler_set,
    .client_send = p_client_send,
    .emit = p_emit,
};

/* ---- lifecycle ---- */

server *server_new(const server_env *env, int id, int64_t skew_us, int64_t drift_ppm)
{
    server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->env = *env;
    srv->id = id;
    srv->skew_us = skew_us;
    srv->drift_ppm = drift_ppm;
    snprintf(srv->name, sizeof srv->name, "server.%d", id);
    world_stream(env->w, srv->name, &srv->rng);
    srv->platform = (vs_platform){.ops = &server_ops, .ctx = srv};
    return srv;
}

void server_free(server *srv)
{
    if (!srv)
        return;
    vs_store_free(srv->store);
    if (srv->ep) {
        endpoint_free(srv->ep);
        free(srv->ep);
    }
    for (size_t i = 0; i < srv->old_count; i++) {
        endpoint_free(srv->old_eps[i]);
        free(srv->old_eps[i]);
    }
    free(srv->old_eps);
    free(srv->held_timers);
    free(srv);
}

vs_status server_start(server *srv)
{
    if (srv->state != SERVER_STOPPED)
        return VS_ERR_BUSY;
    if (srv->ep) {
        endpoint **p = realloc(srv->old_eps, (srv->old_count + 1) * sizeof *p);
        if (!p)
            return VS_ERR_NOMEM;
        srv->old_eps = p;
        srv->old_eps[srv->old_count++] = srv->ep;
        srv->ep = NULL;
    }
    srv->ep = malloc(sizeof *srv->ep);
    if (!srv->ep)
        return VS_ERR_NOMEM;
    endpoint_init(srv->ep, srv->env.w, srv->id);
    srv->incarnation++;
    snprintf(srv->incarnation_name, sizeof srv->incarnation_name, "%s#%u", srv->name, srv->incarnation);
    vs_status st = vs_store_new(srv->store_config ? srv->store_config : srv->env.store_config,
                                &srv->platform, &srv->store);
    if (st != VS_OK)
        return st;
    datastore_server_start(srv->env.ds, srv->ep);
    srv->state = SERVER_RUNNING;
    history_note(srv->env.hist, srv->id, "server.start", 0, NULL, 0, srv->incarnation, 0, NULL);
    return VS_OK;
}

/* Stops the current incarnation: nothing of it runs again. */
static void stop(server *srv, const char *what)
{
    void *old = NULL;
    if (srv->close_deadline && world_cancel(srv->env.w, srv->close_deadline, &old))
        free(old);
    srv->close_deadline = 0;
    endpoint_stop(srv->ep);
    purchases_server_stopped(srv->env.purchases, srv->id);
    datastore_server_stop(srv->env.ds, srv->ep);
    messaging_unsubscribe_all(srv->env.msg, srv->ep);
    vs_store_free(srv->store);
    srv->store = NULL;
    srv->state = SERVER_STOPPED;
    srv->ep->players = 0;
    history_note(srv->env.hist, srv->id, what, 0, NULL, 0, srv->incarnation, 0, NULL);
    if (srv->on_stopped)
        srv->on_stopped(srv->on_stopped_arg, srv);
}

vs_status server_crash(server *srv)
{
    if (srv->state == SERVER_STOPPED)
        return VS_ERR_BUSY;
    stop(srv, "server.crash");
    return VS_OK;
}

vs_status server_freeze(server *srv)
{
    if (srv->state != SERVER_RUNNING && srv->state != SERVER_CLOSING)
        return VS_ERR_BUSY;
    endpoint_freeze(srv->ep);
    srv->state = SERVER_FROZEN;
    history_note(srv->env.hist, srv->id, "server.freeze", 0, NULL, 0, 0, 0, NULL);
    return VS_OK;
}

vs_status server_resume(server *srv)
{
    if (srv->state != SERVER_FROZEN)
        return VS_ERR_BUSY;
    srv->state = srv->close_deadline ? SERVER_CLOSING : SERVER_RUNNING;
    history_note(srv->env.hist, srv->id, "server.resume", 0, NULL, 0, 0, 0, NULL);
    endpoint_resume(srv->ep);
    return VS_OK;
}

typedef struct close_ctx {
    server *srv;
    unsigned incarnation;
} close_ctx;

static void deadline_reached(void *arg)
{
    close_ctx *c = arg;
    server *srv = c->srv;
    if (c->incarnation == srv->incarnation && srv->state != SERVER_STOPPED) {
        srv->close_deadline = 0;
        /* The platform stops the server after the close window, frozen or not. */
        if (srv->state == SERVER_FROZEN)
            srv->state = SERVER_CLOSING;
        stop(srv, "server.stop");
    }
    free(c);
}

/* The engine says every profile is released: the server stops now (in an event of its own,
 * since this is called from inside the engine). */
static void close_stop(void *arg)
{
    close_ctx *c = arg;
    server *srv = c->srv;
    bool same = c->incarnation == srv->incarnation && srv->state == SERVER_CLOSING;
    free(c);
    if (same)
        stop(srv, "server.stop");
}

static void store_closed(void *arg)
{
    server *srv = arg;
    close_ctx *c = malloc(sizeof *c);
    WORLD_ASSERT(srv->env.w, c != NULL);
    *c = (close_ctx){srv, srv->incarnation};
    world_at_owned(srv->env.w, srv->env.w->now_us, "server.stop", close_stop, free, c);
}

vs_status server_shutdown(server *srv)
{
    if (srv->state != SERVER_RUNNING)
        return VS_ERR_BUSY;
    srv->state = SERVER_CLOSING;
    history_note(srv->env.hist, srv->id, "server.shutdown", 0, NULL, 0, 0, 0, NULL);
    close_ctx *c = malloc(sizeof *c);
    WORLD_ASSERT(srv->env.w, c != NULL);
    *c = (close_ctx){srv, srv->incarnation};
    srv->close_deadline = world_at_owned(srv->env.w, srv->env.w->now_us + srv->env.lim->close_window_us,
                                         "server.close_deadline", deadline_reached, free, c);
    /* The close handler: the engine releases every profile in parallel and says when it is
     * done; the platform stops the server then, or at the deadline, whichever comes first. */
    vs_store_close(srv->store, store_closed, srv);
    return VS_OK;
}
