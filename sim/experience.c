/* experience.c: services, servers and players of one run. */
#include "sim/experience.h"

#include "core/grow.h"

#include <stdlib.h>
#include <string.h>

static size_t lower_bound(const experience *x, int64_t player)
{
    size_t lo = 0, hi = x->player_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->players[mid].player < player)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int experience_player_server(const experience *x, int64_t player)
{
    size_t i = lower_bound(x, player);
    return i < x->player_count && x->players[i].player == player ? x->players[i].server : 0;
}

static void place(experience *x, int64_t player, int server_id)
{
    size_t i = lower_bound(x, player);
    if (i < x->player_count && x->players[i].player == player) {
        x->players[i].server = server_id;
        return;
    }
    if (x->player_count == x->player_cap) {
        size_t cap = x->player_cap ? x->player_cap * 2 : 64;
        player_place *p = realloc(x->players, cap * sizeof *p);
        WORLD_ASSERT(x->w, p != NULL);
        x->players = p;
        x->player_cap = cap;
    }
    memmove(&x->players[i + 1], &x->players[i], (x->player_count - i) * sizeof *x->players);
    x->players[i] = (player_place){player, server_id, 0};
    x->player_count++;
}

/* ---- virtual clients ---- */

static size_t client_lower_bound(const experience *x, int64_t player)
{
    size_t lo = 0, hi = x->client_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->clients[mid].player < player)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

client *experience_client(const experience *x, int64_t player)
{
    size_t i = client_lower_bound(x, player);
    return i < x->client_count && x->clients[i].player == player ? x->clients[i].c : NULL;
}

static client *client_for(experience *x, int64_t player)
{
    client *c = experience_client(x, player);
    if (c)
        return c;
    client_slot *p = vs_grow(x->clients, &x->client_cap, sizeof *x->clients, x->client_count + 1);
    c = malloc(sizeof *c);
    WORLD_ASSERT(x->w, p != NULL && c != NULL);
    x->clients = p;
    client_init(c, player, x->public_paths);
    size_t i = client_lower_bound(x, player);
    memmove(&x->clients[i + 1], &x->clients[i], (x->client_count - i) * sizeof *x->clients);
    x->clients[i] = (client_slot){player, c, 0};
    x->client_count++;
    return c;
}

static void disconnect_client(experience *x, int64_t player)
{
    client *c = experience_client(x, player);
    if (c)
        client_disconnect(c);
}

typedef struct replication {
    experience *x;
    int64_t player;
    uint64_t session;
    uint64_t seq;
    vs_value *view;          /* a snapshot ... */
    vs_change_list changes;  /* ... or changes */
} replication;

static void replication_free(void *arg)
{
    replication *rp = arg;
    vs_free(rp->view);
    vs_change_list_free(&rp->changes);
    free(rp);
}

static client_slot *slot_of(experience *x, int64_t player)
{
    size_t i = client_lower_bound(x, player);
    return i < x->client_count && x->clients[i].player == player ? &x->clients[i] : NULL;
}

bool experience_replica_quiet(const experience *x, int64_t player)
{
    size_t i = client_lower_bound(x, player);
    return i >= x->client_count || x->clients[i].player != player || x->clients[i].in_flight == 0;
}

static void replication_arrive(void *arg)
{
    replication *rp = arg;
    experience *x = rp->x;
    client_slot *slot = slot_of(x, rp->player);
    if (slot) {
        client *c = slot->c;
        client_result res = rp->view ? client_apply_snapshot(c, rp->session, rp->seq, rp->view)
                                     : client_apply_changes(c, rp->session, rp->seq, &rp->changes);
        if (res != CLIENT_APPLIED)
            history_note(&x->hist, 0, "client.refused", rp->player, NULL, (int)res, (int64_t)rp->seq,
                         0, client_result_name(res));
        if (slot->in_flight > 0)
            slot->in_flight--;
        if (slot->in_flight == 0 && x->on_replica_quiet)
            x->on_replica_quiet(x->on_replica_quiet_arg, rp->player, c);
    }
    replication_free(rp);
}

/* A server replicates to its player's client: it gets there after the replication delay, in
 * order, if the player is still on that server. */
static void route_client(void *arg, server *srv, int64_t player, bool snapshot, uint64_t seq,
                         const vs_value *view, const vs_change_list *changes)
{
    experience *x = arg;
    size_t i = lower_bound(x, player);
    if (i >= x->player_count || x->players[i].player != player || x->players[i].server != srv->id)
        return; /* the player is not (or no longer) on that server */
    replication *rp = calloc(1, sizeof *rp);
    WORLD_ASSERT(x->w, rp != NULL);
    *rp = (replication){.x = x, .player = player, .session = x->players[i].client_session, .seq = seq};
    vs_change_list_init(&rp->changes);
    if (snapshot)
        rp->view = vs_copy(view);
    else
        WORLD_ASSERT(x->w, vs_change_list_copy(changes, &rp->changes) == VS_OK);
    history_note(&x->hist, srv->id, snapshot ? "client.snapshot" : "client.changes", player, NULL, 0,
                 (int64_t)seq, 0, NULL);
    client_slot *slot = slot_of(x, player);
    if (slot)
        slot->in_flight++;
    world_at_owned(x->w, x->w->now_us + x->lim.replication_delay_us, "client.arrive",
                   replication_arrive, replication_free, rp);
}

static void unplace(experience *x, int64_t player)
{
    disconnect_client(x, player);
    size_t i = lower_bound(x, player);
    if (i < x->player_count && x->players[i].player == player) {
        memmove(&x->players[i], &x->players[i + 1], (x->player_count - i - 1) * sizeof *x->players);
        x->player_count--;
    }
}

/* Players per server and in the experience: what budgets are computed from. The budgets
 * are brought up to now at the old counts first. */
static void recount(experience *x)
{
    datastore_settle_budgets(&x->ds);
    for (int id = 1; id <= DS_MAX_SERVERS; id++)
        if (x->servers[id] && x->servers[id]->ep)
            x->servers[id]->ep->players = 0;
    for (size_t i = 0; i < x->player_count; i++) {
        server *srv = x->servers[x->players[i].server];
        if (srv && srv->ep)
            srv->ep->players++;
    }
    x->ds.ccu = (int64_t)x->player_count;
    datastore_counts_changed(&x->ds);
}

static void count_running(experience *x)
{
    int running = 0;
    for (int id = 1; id <= DS_MAX_SERVERS; id++)
        running += x->servers[id] && x->servers[id]->state != SERVER_STOPPED;
    x->msg.servers = running;
}

/* A server stopped (crash or end of shutdown): its players are gone from it. */
static void server_stopped(void *arg, server *srv)
{
    experience *x = arg;
    size_t kept = 0;
    for (size_t i = 0; i < x->player_count; i++) {
        if (x->players[i].server != srv->id)
            x->players[kept++] = x->players[i];
        else
            disconnect_client(x, x->players[i].player);
    }
    x->player_count = kept;
    recount(x);
    count_running(x);
    if (x->on_server_stopped)
        x->on_server_stopped(x->on_server_stopped_arg, srv);
}

vs_status experience_init(experience *x, world *w, const experience_config *cfg)
{
    *x = (experience){.w = w, .lim = cfg->limits, .faults = cfg->faults, .store_config = cfg->store};
    history_init(&x->hist, w);
    if (!datastore_init(&x->ds, w, &x->lim, cfg->faults, &x->hist))
        return VS_ERR_NOMEM;
    x->ds.store_clock_skew_us = cfg->store_clock_skew_us;
    if (!ordered_init(&x->ods, w, &x->lim, cfg->faults) ||
        !messaging_init(&x->msg, w, &x->lim, cfg->faults))
        return VS_ERR_NOMEM;
    x->ods.hist = &x->hist;
    x->msg.hist = &x->hist;
    if (!purchases_init(&x->purchases, w, cfg->faults))
        return VS_ERR_NOMEM;
    x->purchases.hist = &x->hist;
    x->on_server_started = cfg->on_server_started;
    x->public_paths = cfg->public_paths;
    x->on_server_started_arg = cfg->on_server_started_arg;
    x->on_replica_quiet = cfg->on_replica_quiet;
    x->on_replica_quiet_arg = cfg->on_replica_quiet_arg;
    x->on_server_stopped = cfg->on_server_stopped;
    x->on_server_stopped_arg = cfg->on_server_stopped_arg;
    server_env env = {.w = w, .lim = &x->lim, .faults = cfg->faults, .hist = &x->hist,
                      .ds = &x->ds, .ods = &x->ods, .msg = &x->msg, .purchases = &x->purchases,
                      .store_config = &x->store_config, .client_send = route_client, .client_arg = x,
                      .on_event = cfg->on_engine_event, .event_arg = cfg->on_engine_event_arg};
    for (size_t i = 0; i < cfg->server_count; i++) {
        const experience_server_config *sc = &cfg->servers[i];
        if (sc->id < 1 || sc->id > DS_MAX_SERVERS || x->servers[sc->id])
            return VS_ERR_ARG;
        server *srv = server_new(&env, sc->id, sc->skew_us, sc->drift_ppm);
        if (!srv)
            return VS_ERR_NOMEM;
        srv->store_config = sc->store;
        srv->on_stopped = server_stopped;
        srv->on_stopped_arg = x;
        x->servers[sc->id] = srv;
    }
    for (size_t i = 0; i < cfg->server_count; i++) {
        if (cfg->servers[i].starts_stopped)
            continue;
        vs_status st = experience_start(x, cfg->servers[i].id);
        if (st != VS_OK)
            return st;
    }
    return VS_OK;
}

void experience_free(experience *x)
{
    /* Servers first: their engine stores may be mid-request, and the services' pending
     * events are dropped by world_free (the caller frees the world after this). */
    for (int id = 1; id <= DS_MAX_SERVERS; id++)
        server_free(x->servers[id]);
    purchases_free(&x->purchases);
    messaging_free(&x->msg);
    ordered_free(&x->ods);
    datastore_free(&x->ds);
    history_free(&x->hist);
    for (size_t i = 0; i < x->call_count; i++)
        free(x->calls[i]);
    free(x->calls);
    for (size_t i = 0; i < x->client_count; i++) {
        client_free(x->clients[i].c);
        free(x->clients[i].c);
    }
    free(x->clients);
    free(x->players);
    *x = (experience){0};
}

server *experience_server(experience *x, int id)
{
    return id >= 1 && id <= DS_MAX_SERVERS ? x->servers[id] : NULL;
}

/* ---- engine calls in the history ---- */

static void call_done(void *arg, int64_t user_id, const vs_error *err)
{
    engine_call *c = arg;
    history_complete(&c->x->hist, c->request, err ? HIST_FAIL : HIST_OK, err ? (err->code ? err->code : (int)err->status) : 0,
                     err ? err->message : NULL);
    if (c->done)
        c->done(c->arg, user_id, err);
}

static engine_call *new_call(experience *x, int server_id, const char *what, int64_t player,
                             vs_session_fn done, void *arg)
{
    if (x->call_count == x->call_cap) {
        size_t cap = x->call_cap ? x->call_cap * 2 : 64;
        engine_call **p = realloc(x->calls, cap * sizeof *p);
        WORLD_ASSERT(x->w, p != NULL);
        x->calls = p;
        x->call_cap = cap;
    }
    engine_call *c = malloc(sizeof *c);
    WORLD_ASSERT(x->w, c != NULL);
    *c = (engine_call){x, history_invoke(&x->hist, server_id, what, player, NULL), done, arg};
    x->calls[x->call_count++] = c;
    return c;
}

void experience_note_call(experience *x, int server_id, const char *what, int64_t player,
                          vs_status status)
{
    uint64_t req = history_invoke(&x->hist, server_id, what, player, NULL);
    history_complete(&x->hist, req, status == VS_OK ? HIST_OK : HIST_FAIL, (int)status,
                     status == VS_OK ? NULL : vs_status_message(status));
}

vs_status experience_join(experience *x, int64_t player, int server_id, vs_session_fn done, void *arg)
{
    server *srv = experience_server(x, server_id);
    if (!srv || srv->state != SERVER_RUNNING || experience_player_server(x, player) != 0)
        return VS_ERR_BUSY;
    engine_call *c = new_call(x, server_id, "engine.join", player, done, arg);
    vs_status st = vs_store_join(srv->store, player, call_done, c);
    if (st != VS_OK) {
        history_complete(&x->hist, c->request, HIST_FAIL, (int)st, vs_status_message(st));
        return st;
    }
    place(x, player, server_id);
    x->players[lower_bound(x, player)].client_session = client_connect(client_for(x, player), server_id);
    recount(x);
    history_note(&x->hist, server_id, "player.join", player, NULL, 0, 0, 0, NULL);
    /* The platform offers the player's unfinished purchases again on every join. */
    purchases_player_joined(&x->purchases, player, srv->ep);
    return VS_OK;
}

typedef struct held_leave {
    experience *x;
    int server;
    int64_t player;
    engine_call *call;
} held_leave;

static void call_done(void *arg, int64_t user_id, const vs_error *err);

/* A frozen server hears that its player left when it resumes. */
static void run_held_leave(void *arg)
{
    held_leave *h = arg;
    server *srv = experience_server(h->x, h->server);
    vs_status st = srv && srv->store ? vs_store_leave(srv->store, h->player, call_done, h->call)
                                     : VS_ERR_NOT_LOADED;
    if (st != VS_OK)
        history_complete(&h->x->hist, h->call->request, HIST_FAIL, (int)st, vs_status_message(st));
    free(h);
}

static engine_call *new_call(experience *x, int server_id, const char *what, int64_t player,
                             vs_session_fn done, void *arg);

vs_status experience_leave(experience *x, int64_t player, vs_session_fn done, void *arg)
{
    int id = experience_player_server(x, player);
    server *srv = experience_server(x, id);
    if (!srv)
        return VS_ERR_NOT_LOADED;
    unplace(x, player);
    recount(x);
    history_note(&x->hist, id, "player.leave", player, NULL, 0, 0, 0, NULL);
    if (!srv->store)
        return VS_ERR_NOT_LOADED;
    if (srv->state == SERVER_FROZEN) {
        /* The platform removes the player now; the paused server's game code hears it later. */
        held_leave *h = malloc(sizeof *h);
        WORLD_ASSERT(x->w, h != NULL);
        *h = (held_leave){x, id, player, new_call(x, id, "engine.leave", player, done, arg)};
        endpoint_deliver(srv->ep, "player.leave", run_held_leave, free, h);
        return VS_OK;
    }
    engine_call *c = new_call(x, id, "engine.leave", player, done, arg);
    vs_status st = vs_store_leave(srv->store, player, call_done, c);
    if (st != VS_OK)
        history_complete(&x->hist, c->request, HIST_FAIL, (int)st, vs_status_message(st));
    return st;
}

vs_status experience_move(experience *x, int64_t player, int to_server, vs_session_fn left,
                          void *left_arg, vs_session_fn joined, void *joined_arg)
{
    int from = experience_player_server(x, player);
    if (!from)
        return VS_ERR_NOT_LOADED;
    vs_status st = experience_leave(x, player, left, left_arg);
    if (st != VS_OK && st != VS_ERR_BUSY)
        return st;
    history_note(&x->hist, to_server, "player.teleport", player, NULL, 0, from, 0, NULL);
    return experience_join(x, player, to_server, joined, joined_arg);
}

vs_status experience_start(experience *x, int id)
{
    server *srv = experience_server(x, id);
    if (!srv)
        return VS_ERR_ARG;
    vs_status st = server_start(srv);
    recount(x);
    count_running(x);
    if (st == VS_OK && x->on_server_started)
        x->on_server_started(x->on_server_started_arg, srv);
    return st;
}

bool experience_purchase(experience *x, int64_t player, const char *purchase_id, int64_t product,
                         int64_t price)
{
    server *srv = experience_server(x, experience_player_server(x, player));
    if (!srv || !srv->ep)
        return false;
    vs_receipt receipt = {.purchase_id = purchase_id, .player = player, .product = product, .price = price};
    return purchases_buy(&x->purchases, srv->ep, &receipt);
}

vs_status experience_crash(experience *x, int id)
{
    server *srv = experience_server(x, id);
    return srv ? server_crash(srv) : VS_ERR_ARG;
}

vs_status experience_freeze(experience *x, int id)
{
    server *srv = experience_server(x, id);
    return srv ? server_freeze(srv) : VS_ERR_ARG;
}

vs_status experience_resume(experience *x, int id)
{
    server *srv = experience_server(x, id);
    return srv ? server_resume(srv) : VS_ERR_ARG;
}

vs_status experience_shutdown(experience *x, int id)
{
    server *srv = experience_server(x, id);
    if (!srv)
        return VS_ERR_ARG;
    if (srv->state != SERVER_RUNNING)
        return VS_ERR_BUSY;
    /* The platform removes every player from a closing server. */
    size_t kept = 0;
    for (size_t i = 0; i < x->player_count; i++) {
        if (x->players[i].server == id) {
            history_note(&x->hist, id, "player.leave", x->players[i].player, NULL, 0, 0, 0, NULL);
            disconnect_client(x, x->players[i].player);
        } else
            x->players[kept++] = x->players[i];
    }
    x->player_count = kept;
    recount(x);
    return server_shutdown(srv);
}
