/* runner.c: scenario steps and fault edges as world events, the quiet phase, expectations. */
#include "scenarios/runner.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/grow.h"
#include "core/helpers/cooldown.h"
#include "core/helpers/daily.h"
#include "core/helpers/effects.h"
#include "faults/swarm.h"
#include "faults/workload.h"
#include "core/json.h"
#include "core/text.h"
#include "sim/experience.h"
#include "sim/explain.h"
#include "sim/oracle_delivery.h"
#include "sim/oracle_liveness.h"
#include "sim/oracle_lease.h"
#include "sim/oracle_model.h"
#include "sim/oracle_replica.h"
#include "sim/world.h"

/* The scenario's receipt handler on one server. */
typedef struct shop {
    struct run *r;
    int server;
} shop;

/* A server's own build of the engine store (another schema). */
typedef struct server_build {
    vs_store_config config;
    vs_migrations migrations;
} server_build;

typedef struct run {
    const scenario *sc;
    run_result *result;
    shop shops[DS_MAX_SERVERS + 1];
    world w;
    fault_plan plan; /* the scenario's faults, each ending at the duration at the latest */
    experience x;
    bool experience_ready;
    server_build *builds; /* one per scenario server */
    vs_op_handler *handlers; /* the scenario's operation handlers, for the engine */
    vs_leaderboard_config leaderboard;
    lease_oracle lease;       /* judges every commit as the run goes */
    delivery_oracle delivery; /* ... and so does this, with the accepted operations at the end */
    model_oracle model;       /* follows every acknowledged change, every commit and session */
    oracle_verdict convergence; /* replicas at quiet points */
    oracle_verdict liveness;    /* the probes after the heal */
    struct op_call {          /* the operation handler the engine ran last, until it says how it went */
        const scenario_handler *h;
        const vs_value *payload; /* the engine's, valid until its op_applied or op_failed event */
    } last_op;
    struct handler_ctx *handler_ctxs; /* one per scenario handler */
    struct engine_grant **grants; /* purchases given to the engine's receipt handler; freed at the
                                     end, since a crashed server never answers its own */
    size_t grant_count, grant_cap;
    bool swarm; /* faults drawn around the scenario: judged by the built-in checks alone */
    scenario_step *workload;  /* swarm: the background players' steps, in time order */
    struct step_ctx *workload_ctx;
    size_t workload_count;
} run;

typedef struct step_ctx {
    run *r;
    const scenario_step *step;
} step_ctx;

/* A scenario operation handler, as the engine calls it on any server. */
typedef struct handler_ctx {
    run *r;
    const scenario_handler *h;
} handler_ctx;

typedef struct edge_ctx {
    run *r;
    const fault *f;
    int server;
    bool at_start;
} edge_ctx;

static void step_fail(run *r, const scenario_step *st, const char *what)
{
    if (r->swarm)
        return; /* drawn faults change what a step can do: the built-in checks judge the run */
    char at[32];
    world_format_time(st->at_us, at, sizeof at);
    char who[64] = "";
    if (st->player)
        snprintf(who, sizeof who, " for player %" PRId64, st->player);
    else if (st->server)
        snprintf(who, sizeof who, " on server %d", st->server);
    char *path = vs_path_format(&st->path);
    run_result_fail(r->result, "script", "%s:%d:%d: at %s, %s%s%s%s: %s", r->sc->file, st->pos.line,
                    st->pos.column, at, scenario_step_kind_name(st->kind), path && *path ? " " : "",
                    path ? path : "", who, what);
    free(path);
}

/* ---- steps ---- */

static const char *status_word(vs_status st)
{
    switch (st) {
    case VS_OK: return "none";
    case VS_ERR_TIMEOUT: return "timeout";
    case VS_ERR_LEASE_HELD: return "lease_held";
    case VS_ERR_UNAVAILABLE: return "unavailable";
    case VS_ERR_SCHEMA_TOO_NEW: return "schema_too_new";
    case VS_ERR_INVALID: return "invalid";
    case VS_ERR_CLOSED: return "closed";
    case VS_ERR_NOT_LOADED: return "not_loaded";
    case VS_ERR_LOST: return "lost";
    case VS_ERR_BUSY: return "duplicate";
    case VS_ERR_NOT_FOUND: return "not_found";
    default: return vs_status_name(st);
    }
}

/* The outcome of a wait, clear_lease or repair step must be the one the scenario expects. */
static void outcome_checked(void *arg, int64_t user_id, const vs_error *err)
{
    step_ctx *ctx = arg;
    vs_status got = err ? err->status : VS_OK;
    if (got == ctx->step->expect_status)
        return;
    char what[400];
    snprintf(what, sizeof what, "expected %s, got %s%s%s", status_word(ctx->step->expect_status),
             status_word(got), err ? ": " : "", err ? err->message : "");
    step_fail(ctx->r, ctx->step, what);
}

typedef struct edit_args {
    const scenario_step *st;
    vs_steps_error err;
} edit_args;

/* Game code that relies on the engine's transaction: it changes the draft step by step and
 * may fail half way, leaving the rollback to the engine (as a hand-written edit would). */
static vs_status apply_edit(void *arg, vs_value *draft)
{
    edit_args *a = arg;
    return vs_steps_apply_in_place(&a->st->edit, draft, NULL, &a->err);
}

static vs_store *store_of(run *r, int64_t player)
{
    server *srv = experience_server(&r->x, experience_player_server(&r->x, player));
    return srv ? srv->store : NULL;
}

/* The simulated DataStore's name for the player's profile: "store\x1fPlayer_<id>". */
static void profile_key(const run *r, int64_t player, char *buf, size_t size)
{
    snprintf(buf, size, "%s\x1fPlayer_%" PRId64, r->sc->store.name, player);
}

/* The player's profile document as stored now, or NULL. */
static const vs_value *stored_profile(run *r, int64_t player)
{
    char key[64];
    snprintf(key, sizeof key, "Player_%" PRId64, player);
    const ds_entry *e = datastore_peek(&r->x.ds, r->sc->store.name, key);
    return e ? e->value : NULL;
}

/* The reference model follows a change the game asked of srv's engine: the model applies it
 * too when the engine acknowledged it (status VS_OK), and either way the engine's data in
 * memory must then equal the model (a refused or cancelled change leaves no trace). */
static void follow_change(run *r, server *srv, int64_t player, vs_status status, model_change_fn fn,
                          void *arg, const char *what)
{
    if (!srv || !srv->store)
        return;
    char key[160];
    profile_key(r, player, key, sizeof key);
    if (status == VS_OK)
        model_oracle_change(&r->model, r->w.now_us, srv->id, key, fn, arg, what);
    vs_path root = {0};
    const vs_value *data = vs_store_get(srv->store, player, &root);
    if (data) /* nothing to compare while the profile is not readable (loading, gone) */
        model_oracle_memory(&r->model, r->w.now_us, srv->id, key, data, what);
}

/* A set, add, insert or remove step, as the model applies it. */
static vs_status mutate_model(void *arg, vs_value *draft)
{
    const scenario_step *st = arg;
    vs_value *item = NULL;
    switch (st->kind) {
    case STEP_SET:
        return (item = vs_copy(st->value)) ? vs_path_set(draft, &st->path, item) : VS_ERR_NOMEM;
    case STEP_ADD: return vs_path_add(draft, &st->path, vs_number_of(st->value));
    case STEP_INSERT:
        return (item = vs_copy(st->value)) ? vs_path_insert(draft, &st->path, st->index, item) : VS_ERR_NOMEM;
    case STEP_REMOVE: return vs_path_remove(draft, &st->path);
    default: return VS_ERR_ARG;
    }
}

static vs_status mutate(run *r, const scenario_step *st)
{
    vs_store *store = store_of(r, st->player);
    vs_status status = VS_ERR_NOT_LOADED;
    const char *what = "engine.set";
    switch (st->kind) {
    case STEP_SET:
        if (store)
            status = vs_store_set(store, st->player, &st->path, vs_copy(st->value));
        break;
    case STEP_ADD:
        what = "engine.add";
        if (store)
            status = vs_store_add(store, st->player, &st->path, vs_number_of(st->value));
        break;
    case STEP_INSERT:
        what = "engine.insert";
        if (store)
            status = vs_store_insert(store, st->player, &st->path, st->index, vs_copy(st->value));
        break;
    case STEP_REMOVE:
        what = "engine.remove";
        if (store)
            status = vs_store_remove(store, st->player, &st->path);
        break;
    default:
        return VS_ERR_ARG;
    }
    int at = experience_player_server(&r->x, st->player);
    experience_note_call(&r->x, at, what, st->player, status);
    follow_change(r, experience_server(&r->x, at), st->player, status, mutate_model, (void *)st, what);
    return status;
}

static vs_status edit_step(run *r, const scenario_step *st)
{
    vs_store *store = store_of(r, st->player);
    if (!store)
        return VS_ERR_NOT_LOADED;
    edit_args a = {.st = st}, model_args = {.st = st};
    vs_status status = vs_store_edit(store, st->player, apply_edit, &a);
    int at = experience_player_server(&r->x, st->player);
    experience_note_call(&r->x, at, "engine.edit", st->player, status);
    follow_change(r, experience_server(&r->x, at), st->player, status, apply_edit, &model_args, "engine.edit");
    if (st->expect_cancel) {
        if (status == VS_OK)
            step_fail(r, st, "expected the edit to be cancelled, but it committed");
        return VS_OK;
    }
    if (status != VS_OK && a.err.message[0]) {
        char what[400];
        snprintf(what, sizeof what, "the edit did not commit: %s", a.err.message);
        step_fail(r, st, what);
        return VS_OK;
    }
    return status;
}

/* ---- gameplay helpers, judged by the clock of the player's server ---- */

typedef struct helper_call {
    const scenario_step *st;
    vs_time_us now;
    bool flag;            /* cooldown: started; daily: claimed */
    vs_daily_result daily;
} helper_call;

static vs_status helper_edit(void *arg, vs_value *draft)
{
    helper_call *h = arg;
    const scenario_step *st = h->st;
    switch (st->kind) {
    case STEP_COOLDOWN:
        return vs_cooldown_use(draft, &st->path, st->text, h->now, st->timeout_us, &h->flag);
    case STEP_DAILY: {
        vs_status s2 = vs_daily_claim(draft, &st->path, h->now, st->amount, &h->daily);
        h->flag = h->daily.claimed;
        return s2;
    }
    case STEP_EFFECT_ADD:
        return vs_effect_add(draft, &st->path, st->text, h->now, st->timeout_us);
    default:
        return VS_ERR_ARG;
    }
}

static vs_status helper_step(run *r, const scenario_step *st)
{
    server *srv = experience_server(&r->x, experience_player_server(&r->x, st->player));
    if (!srv || !srv->store)
        return VS_ERR_NOT_LOADED;
    helper_call h = {.st = st, .now = srv->platform.ops->now(srv->platform.ctx)};
    char what[200];
    if (st->kind == STEP_EFFECT_CHECK) {
        vs_path root = {0};
        const vs_value *data = vs_store_get(srv->store, st->player, &root);
        if (!data)
            return VS_ERR_NOT_LOADED;
        vs_status s2 = vs_effect_active(data, &st->path, st->text, h.now, &h.flag);
        if (s2 != VS_OK)
            return s2;
        if (h.flag == st->expect_cancel) {
            snprintf(what, sizeof what, "effect '%s' is %s, expected %s", st->text,
                     h.flag ? "active" : "not active", st->expect_cancel ? "not active" : "active");
            step_fail(r, st, what);
        }
        return VS_OK;
    }
    helper_call model_h = h; /* the same call at the same instant, for the model */
    vs_status s2 = vs_store_edit(srv->store, st->player, helper_edit, &h);
    follow_change(r, srv, st->player, s2, helper_edit, &model_h, "engine.edit");
    if (s2 != VS_OK)
        return s2;
    if (st->kind == STEP_COOLDOWN && h.flag == st->expect_cancel) {
        snprintf(what, sizeof what, "cooldown '%s' %s, expected it %s", st->text,
                 h.flag ? "started" : "was not ready", st->expect_cancel ? "not ready" : "to start");
        step_fail(r, st, what);
    }
    if (st->kind == STEP_DAILY && (h.flag == st->expect_cancel ||
                                   (h.flag && (int64_t)st->index != h.daily.streak))) {
        snprintf(what, sizeof what, "daily reward %s (streak %lld), expected %s (streak %lld)",
                 h.flag ? "claimed" : "refused", (long long)h.daily.streak,
                 st->expect_cancel ? "refused" : "claimed", (long long)st->index);
        step_fail(r, st, what);
    }
    return VS_OK;
}

static void client_check(run *r, const scenario_step *st)
{
    client *c = experience_client(&r->x, st->player);
    const vs_value *replica = c ? client_replica(c) : NULL;
    const vs_value *found = replica ? vs_path_get(replica, &st->path) : NULL;
    if (st->value ? (found && vs_equal(found, st->value)) : found == NULL)
        return;
    char want[256], got[256], what[600];
    vs_text_value(st->value, want, sizeof want);
    vs_text_value(found, got, sizeof got);
    snprintf(what, sizeof what, "the client's replica has %s, expected %s%s", got, want,
             replica ? "" : " (the client has no replica)");
    step_fail(r, st, what);
}

static void leaderboard_done(void *arg, const vs_leaderboard_entry *entries, size_t count,
                             const vs_leaderboard_error *err)
{
    step_ctx *ctx = arg;
    if (err) {
        char what[300];
        snprintf(what, sizeof what, "the leaderboard read failed: %s", err->message);
        step_fail(ctx->r, ctx->step, what);
        return;
    }
    vs_value *got = vs_new_array();
    for (size_t i = 0; i < count; i++) {
        vs_value *pair = vs_new_array();
        vs_array_push(pair, vs_new_number((double)entries[i].user_id));
        vs_array_push(pair, vs_new_number((double)entries[i].value));
        vs_array_push(got, pair);
    }
    if (!vs_equal(got, ctx->step->value)) {
        char want[400], found[400], what[900];
        vs_text_value(ctx->step->value, want, sizeof want);
        vs_text_value(got, found, sizeof found);
        snprintf(what, sizeof what, "the leaderboard's top was %s, expected %s", found, want);
        step_fail(ctx->r, ctx->step, what);
    }
    vs_free(got);
}

static void publish_done(void *arg, int code, const char *message)
{
    (void)arg, (void)code, (void)message; /* the history has it */
}

static void on_message(void *arg, const char *topic, const char *data, size_t len)
{
    (void)arg, (void)topic, (void)data, (void)len; /* the history has it */
}

static void ods_check_done(void *arg, const vs_ods_page *page)
{
    step_ctx *ctx = arg;
    const scenario_step *st = ctx->step;
    if (page->code != 0) {
        char what[300];
        snprintf(what, sizeof what, "the sorted read failed: error %d: %s", page->code, page->message);
        step_fail(ctx->r, st, what);
        return;
    }
    vs_value *got = vs_new_array();
    for (size_t i = 0; i < page->count; i++) {
        vs_value *pair = vs_new_array();
        vs_array_push(pair, vs_new_string(page->entries[i].key));
        vs_array_push(pair, vs_new_number((double)page->entries[i].value));
        vs_array_push(got, pair);
    }
    if (!vs_equal(got, st->value)) {
        char want[512], found[512], what[1100];
        vs_text_value(st->value, want, sizeof want);
        vs_text_value(got, found, sizeof found);
        snprintf(what, sizeof what, "the sorted page was %s, expected %s", found, want);
        step_fail(ctx->r, st, what);
    }
    vs_free(got);
}

/* A durable operation handler written as steps: the payload gives the `from` operands. */
static vs_status steps_handler(void *arg, vs_value *draft, const vs_value *payload, char *why,
                               size_t size)
{
    const handler_ctx *ctx = arg;
    const scenario_handler *h = ctx->h;
    ctx->r->last_op = (struct op_call){h, payload};
    vs_steps_error err = {0};
    vs_status st = vs_steps_apply_in_place(&h->steps, draft, payload, &err); /* the engine's draft */
    if (st != VS_OK)
        snprintf(why, size, "%s", err.message[0] ? err.message : vs_status_message(st));
    return st;
}

/* The model applies the handler the engine ran last, with the same payload. */
static vs_status op_model(void *arg, vs_value *draft)
{
    const struct op_call *call = arg;
    vs_steps_error err = {0};
    return vs_steps_apply(&call->h->steps, draft, call->payload, &err);
}

/* Tells the delivery oracle that operation op_id to player's profile was accepted. */
static void operation_accepted(run *r, int64_t player, const char *op_id)
{
    char full_key[160];
    profile_key(r, player, full_key, sizeof full_key);
    delivery_oracle_accepted(&r->delivery, r->w.now_us, full_key, op_id);
}

static void deliver_checked(void *arg, int64_t user_id, bool duplicate, const vs_error *err)
{
    step_ctx *ctx = arg;
    if (!err && !duplicate)
        operation_accepted(ctx->r, user_id, ctx->step->text);
    outcome_checked(arg, user_id,
                    err ? err : duplicate ? &(vs_error){.status = VS_ERR_BUSY, .message = "a duplicate"} : NULL);
}

static vs_status repair_edit(void *arg, vs_value *draft)
{
    const scenario_step *st = arg;
    vs_steps_error err;
    return vs_steps_apply(&st->edit, draft, NULL, &err);
}

static void server_step(step_ctx *ctx)
{
    run *r = ctx->r;
    const scenario_step *st = ctx->step;
    experience *x = &r->x;
    server *srv = experience_server(x, st->server);
    vs_status status = VS_OK;
    int code = 0;
    switch (st->kind) {
    case STEP_START: status = experience_start(x, st->server); break;
    case STEP_CRASH: status = experience_crash(x, st->server); break;
    case STEP_FREEZE: status = experience_freeze(x, st->server); break;
    case STEP_RESUME: status = experience_resume(x, st->server); break;
    case STEP_SHUTDOWN: status = experience_shutdown(x, st->server); break;
    default:
        if (!srv || srv->state == SERVER_STOPPED) {
            step_fail(r, st, "the server is not running");
            return;
        }
        break;
    }
    switch (st->kind) {
    case STEP_PUBLISH:
        messaging_publish(&x->msg, srv->ep, st->topic, st->text, strlen(st->text), publish_done, NULL);
        break;
    case STEP_SUBSCRIBE:
        if (messaging_subscribe(&x->msg, srv->ep, st->topic, on_message, NULL, &code) == 0) {
            char what[120];
            snprintf(what, sizeof what, "the subscription was refused (error %d)", code);
            step_fail(r, st, what);
        }
        break;
    case STEP_ODS_SET:
        ordered_set(&x->ods, srv->ep, st->store, st->key, st->amount, NULL, NULL);
        break;
    case STEP_ODS_INCREMENT:
        ordered_increment(&x->ods, srv->ep, st->store, st->key, st->amount, NULL, NULL);
        break;
    case STEP_ODS_CHECK:
        ordered_get_sorted(&x->ods, srv->ep, st->store, st->ascending, st->page_size, INT64_MIN,
                           INT64_MAX, NULL, ods_check_done, ctx);
        break;
    case STEP_CLEAR_LEASE:
    case STEP_REPAIR: {
        /* An operator's edit outside any session: the model takes the result as it comes. */
        char key[160];
        profile_key(r, st->player, key, sizeof key);
        model_oracle_forget(&r->model, key);
        break;
    }
    default:
        break;
    }
    switch (st->kind) {
    case STEP_CLEAR_LEASE: {
        vs_status s2 = vs_store_clear_lease(srv->store, st->player, outcome_checked, ctx);
        if (s2 != VS_OK)
            outcome_checked(ctx, st->player, &(vs_error){.status = s2, .message = "refused"});
        break;
    }
    case STEP_LEADERBOARD_CHECK: {
        vs_status s2 = vs_store_leaderboard_top(srv->store, st->page_size, false, leaderboard_done, ctx);
        if (s2 != VS_OK)
            step_fail(r, st, "the store has no leaderboard");
        break;
    }
    case STEP_DELIVER: {
        vs_status s2 = vs_store_deliver(srv->store, st->player, st->text, st->key, st->value,
                                        deliver_checked, ctx);
        if (s2 != VS_OK)
            outcome_checked(ctx, st->player, &(vs_error){.status = s2, .message = "refused"});
        break;
    }
    case STEP_DEAD_LETTER: {
        vs_status s2 = vs_store_dead_letter(srv->store, st->player, st->text, st->retry_dead,
                                            outcome_checked, ctx);
        if (s2 != VS_OK)
            outcome_checked(ctx, st->player, &(vs_error){.status = s2, .message = "refused"});
        break;
    }
    case STEP_REPAIR: {
        vs_status s2 = vs_store_repair(srv->store, st->player, repair_edit, (void *)st, outcome_checked, ctx);
        if (s2 != VS_OK)
            outcome_checked(ctx, st->player, &(vs_error){.status = s2, .message = "refused"});
        break;
    }
    default:
        if (status != VS_OK) {
            char what[160];
            snprintf(what, sizeof what, "server %d is %s", st->server,
                     srv ? server_state_name(srv->state) : "not declared");
            step_fail(r, st, what);
        }
        break;
    }
}

static void run_step_now(void *arg);

/* The server a step's game code runs on: the player's (for leave, mutations and moves), the
 * target of a join, or none. */
static server *step_server(run *r, const scenario_step *st)
{
    switch (st->kind) {
    case STEP_JOIN: return experience_server(&r->x, st->server ? st->server : 1);
    case STEP_TELEPORT: /* the leave is held by a frozen old server (see experience_leave) */
    case STEP_DELIVER:
    case STEP_DEAD_LETTER:
    case STEP_CLEAR_LEASE:
    case STEP_REPAIR:
    case STEP_LEADERBOARD_CHECK:
        return experience_server(&r->x, st->server);
    case STEP_LEAVE:
    case STEP_SET:
    case STEP_ADD:
    case STEP_INSERT:
    case STEP_REMOVE:
    case STEP_WAIT:
    case STEP_EDIT:
    case STEP_SAVE:
    case STEP_COOLDOWN:
    case STEP_DAILY:
    case STEP_EFFECT_ADD:
    case STEP_EFFECT_CHECK:
    case STEP_REJOIN: return experience_server(&r->x, experience_player_server(&r->x, st->player));
    default: return NULL;
    }
}

/* A step whose game code would run on a frozen server waits, like everything else that server
 * is told, until it resumes (or is dropped if it stops). */
static void run_step(void *arg)
{
    step_ctx *ctx = arg;
    server *srv = step_server(ctx->r, ctx->step);
    if (srv && srv->ep && srv->state == SERVER_FROZEN)
        endpoint_deliver(srv->ep, "script", run_step_now, NULL, ctx);
    else
        run_step_now(ctx);
}

static void run_step_now(void *arg)
{
    step_ctx *ctx = arg;
    run *r = ctx->r;
    const scenario_step *st = ctx->step;
    experience *x = &r->x;
    vs_status status = VS_OK;
    switch (st->kind) {
    case STEP_JOIN:
        status = experience_join(x, st->player, st->server ? st->server : 1, NULL, NULL);
        break;
    case STEP_LEAVE:
        status = experience_leave(x, st->player, NULL, NULL);
        break;
    case STEP_TELEPORT:
    case STEP_REJOIN: {
        int to = st->server ? st->server : experience_player_server(x, st->player);
        status = experience_move(x, st->player, to, NULL, NULL, NULL, NULL);
        break;
    }
    case STEP_SET:
    case STEP_ADD:
    case STEP_INSERT:
    case STEP_REMOVE:
        status = mutate(r, st);
        break;
    case STEP_WAIT:
        status = store_of(r, st->player)
                     ? vs_store_wait(store_of(r, st->player), st->player, st->timeout_us, outcome_checked, ctx)
                     : (outcome_checked(ctx, st->player, &(vs_error){.status = VS_ERR_NOT_LOADED,
                                                                     .message = "the player is on no server"}),
                        VS_OK);
        status = status == VS_ERR_NOT_LOADED ? VS_OK : status; /* already reported through the check */
        break;
    case STEP_EDIT:
        status = edit_step(r, st);
        break;
    case STEP_SAVE:
        status = store_of(r, st->player) ? vs_store_save(store_of(r, st->player), st->player) : VS_ERR_NOT_LOADED;
        break;
    case STEP_PURCHASE:
        if (!experience_purchase(x, st->player, st->text, st->product, st->price))
            status = VS_ERR_NOT_LOADED;
        break;
    case STEP_COOLDOWN:
    case STEP_DAILY:
    case STEP_EFFECT_ADD:
    case STEP_EFFECT_CHECK:
        status = helper_step(r, st);
        break;
    case STEP_CLIENT_CHECK:
        client_check(r, st);
        break;
    default:
        server_step(ctx);
        return;
    }
    if (status != VS_OK)
        step_fail(r, st, vs_status_message(status));
}

/* ---- faults that act on servers ---- */

static void run_edge(void *arg)
{
    edge_ctx *e = arg;
    experience *x = &e->r->x;
    switch (e->f->kind) {
    case FAULT_SERVER_CRASH:
        if (e->at_start)
            experience_crash(x, e->server);
        else
            experience_start(x, e->server);
        break;
    case FAULT_SERVER_FREEZE:
        if (e->at_start)
            experience_freeze(x, e->server);
        else
            experience_resume(x, e->server);
        break;
    case FAULT_SERVER_SHUTDOWN:
        if (e->at_start) {
            experience_shutdown(x, e->server);
        } else {
            /* It comes back once it has stopped; a start while it is still closing waits. */
            server *srv = experience_server(x, e->server);
            if (srv && srv->state == SERVER_STOPPED)
                experience_start(x, e->server);
        }
        break;
    default:
        break; /* clock faults are read by the server's clock when it is asked */
    }
}

static void schedule_fault_edges(run *r, edge_ctx **ctxs, size_t *count)
{
    size_t n = 0, cap = 0;
    edge_ctx *out = NULL;
    for (size_t i = 0; i < r->plan.count; i++) {
        const fault *f = &r->plan.items[i];
        if (f->kind != FAULT_SERVER_CRASH && f->kind != FAULT_SERVER_FREEZE &&
            f->kind != FAULT_SERVER_SHUTDOWN)
            continue;
        for (size_t k = 0; k < r->sc->server_count; k++) {
            int id = r->sc->servers[k].id;
            if (f->server_mask && !(f->server_mask >> (id - 1) & 1))
                continue;
            for (int edge = 0; edge < 2; edge++) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 8;
                    out = realloc(out, cap * sizeof *out);
                    if (!out)
                        abort();
                }
                out[n++] = (edge_ctx){r, f, id, edge == 0};
            }
        }
    }
    /* Pointers into out are taken only once it has stopped growing. */
    for (size_t i = 0; i < n; i++)
        world_at(&r->w, out[i].at_start ? out[i].f->start_us : out[i].f->end_us, "fault.edge",
                 run_edge, &out[i]);
    *ctxs = out;
    *count = n;
}

/* ---- the quiet phase and the checks ---- */

static void heal_and_leave(run *r)
{
    experience *x = &r->x;
    /* Faults with an end at the duration have ended by now (their end edges ran); servers
     * still frozen or stopped by a script step come back too, so every profile can be saved. */
    for (size_t k = 0; k < r->sc->server_count; k++) {
        server *srv = experience_server(x, r->sc->servers[k].id);
        if (srv->state == SERVER_FROZEN)
            experience_resume(x, srv->id);
    }
    while (x->player_count > 0)
        experience_leave(x, x->players[0].player, NULL, NULL);
}

static void check_quiet(run *r)
{
    for (size_t k = 0; k < r->sc->server_count; k++) {
        server *srv = experience_server(&r->x, r->sc->servers[k].id);
        if (!srv->store || vs_store_session_count(srv->store) == 0)
            continue;
        char limit[32];
        world_format_time(RUNNER_DRAIN_LIMIT_US, limit, sizeof limit);
        int64_t first = vs_store_user_at(srv->store, 0);
        run_result_fail(r->result, "quiesce",
                        "server %d still has %zu open profile(s) %s after the end of the script "
                        "(first: player %" PRId64 ", %s)",
                        srv->id, vs_store_session_count(srv->store), limit, first,
                        vs_session_state_name(vs_store_state(srv->store, first)));
    }
}

static void check_stored(run *r, const scenario_expect *ex)
{
    const scenario *sc = r->sc;
    const vs_value *doc = stored_profile(r, ex->player);
    const vs_value *data = doc ? vs_doc_data(doc) : NULL;
    const vs_value *found = data ? vs_path_get(data, &ex->path) : NULL;
    bool ok = ex->equals ? (found && vs_equal(found, ex->equals)) : found == NULL;
    if (ok)
        return;
    char want[256], got[256];
    vs_text_value(ex->equals, want, sizeof want);
    vs_text_value(found, got, sizeof got);
    char *path = vs_path_format(&ex->path);
    run_result_fail(r->result, "expect",
                    "%s:%d:%d: stored profile of player %" PRId64 " at '%s': expected %s, found %s%s",
                    sc->file, ex->pos.line, ex->pos.column, ex->player, path ? path : "", want, got,
                    doc ? "" : " (no profile stored)");
    free(path);
}

static void check_count(run *r, const scenario_expect *ex)
{
    int64_t n = history_count(&r->x.hist, ex->counter, ex->player, ex->server);
    if ((ex->at_least < 0 || n >= ex->at_least) && (ex->at_most < 0 || n <= ex->at_most))
        return;
    char bounds[96], scope[96] = "";
    if (ex->at_least >= 0 && ex->at_least == ex->at_most)
        snprintf(bounds, sizeof bounds, "exactly %" PRId64, ex->at_least);
    else if (ex->at_least >= 0 && ex->at_most >= 0)
        snprintf(bounds, sizeof bounds, "%" PRId64 " to %" PRId64, ex->at_least, ex->at_most);
    else if (ex->at_least >= 0)
        snprintf(bounds, sizeof bounds, "at least %" PRId64, ex->at_least);
    else
        snprintf(bounds, sizeof bounds, "at most %" PRId64, ex->at_most);
    if (ex->player)
        snprintf(scope, sizeof scope, " for player %" PRId64, ex->player);
    if (ex->server)
        snprintf(scope + strlen(scope), sizeof scope - strlen(scope), " on server %d", ex->server);
    run_result_fail(r->result, "expect", "%s:%d:%d: count of %s%s: expected %s, found %" PRId64,
                    r->sc->file, ex->pos.line, ex->pos.column, ex->counter, scope, bounds, n);
}

/* ---- liveness after the heal ---- */

#define PROBE_MAX 64               /* profiles probed after the heal, at most */
#define PROBE_SPACING_US 1000000LL /* between two probes' joins */
#define PROBE_STAY_US 5000000LL    /* how long a probe stays once loaded */

/* A player who joins once the world is healed and quiet; sim/oracle_liveness.c judges it. */
typedef struct probe {
    run *r;
    liveness_probe p;
} probe;

static void probe_leave(void *arg)
{
    probe *pr = arg;
    experience_leave(&pr->r->x, pr->p.player, NULL, NULL);
}

static void probe_answered(void *arg, int64_t user_id, const vs_error *err)
{
    probe *pr = arg;
    pr->p.answered = true;
    pr->p.answered_us = pr->r->w.now_us;
    pr->p.status = err ? err->status : VS_OK;
    if (err)
        snprintf(pr->p.why, sizeof pr->p.why, "%.150s", err->message);
    else /* online a moment, long enough for waiting operations to be applied, then gone */
        world_at(&pr->r->w, pr->r->w.now_us + PROBE_STAY_US, "probe.leave", probe_leave, pr);
    (void)user_id;
}

static void probe_join(void *arg)
{
    probe *pr = arg;
    pr->p.joined_us = pr->r->w.now_us;
    vs_status st = experience_join(&pr->r->x, pr->p.player, pr->p.server, probe_answered, pr);
    if (st != VS_OK)
        probe_answered(pr, pr->p.player, &(vs_error){.status = st, .message = "the join was refused"});
}

/* Liveness (sim/oracle_liveness.h): after the heal and the drain, the players whose profiles
 * need a session to settle (and the first player, so every run asks at least once) join
 * again, one a second, on the running servers in turn; each load is judged, then they leave,
 * and once drained their profiles are judged again. */
static void check_liveness(run *r)
{
    experience *x = &r->x;
    int servers[DS_MAX_SERVERS];
    size_t server_count = 0;
    for (size_t k = 0; k < r->sc->server_count; k++) {
        server *srv = experience_server(x, r->sc->servers[k].id);
        if (srv->state == SERVER_STOPPED && experience_start(x, srv->id) != VS_OK)
            continue; /* every server comes back for the probes */
        if (srv->state == SERVER_RUNNING)
            servers[server_count++] = srv->id;
    }
    probe *probes = calloc(PROBE_MAX, sizeof *probes);
    if (!probes || server_count == 0) {
        free(probes);
        if (server_count == 0)
            oracle_violation(&r->liveness, r->w.now_us, NULL, 0, "no server could be started after the heal");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < x->client_count && n < PROBE_MAX; i++) {
        int64_t player = x->clients[i].player;
        const vs_value *doc = stored_profile(r, player);
        if (i > 0 && !(doc && liveness_needs_probe(doc)))
            continue;
        probes[n] = (probe){.r = r, .p = {.player = player, .server = servers[n % server_count]}};
        world_at(&r->w, r->w.now_us + (int64_t)n * PROBE_SPACING_US, "probe", probe_join, &probes[n]);
        n++;
    }
    int64_t lease = r->sc->store.lease_us > 0 ? r->sc->store.lease_us : 90LL * 1000000;
    vs_retry_policy retry = vs_retry_policy_with_defaults(&r->sc->store.retry);
    int64_t bound = liveness_bound_us(lease, &retry, r->x.lim.ds_timeout_us);
    world_run_until(&r->w, r->w.now_us + (int64_t)n * PROBE_SPACING_US + bound, false);
    for (size_t i = 0; i < n; i++)
        liveness_judge_load(&r->liveness, &probes[i].p, bound);
    heal_and_leave(r);
    world_run_until(&r->w, r->w.now_us + RUNNER_DRAIN_LIMIT_US, true);
    for (size_t i = 0; i < n; i++)
        liveness_judge_settled(&r->liveness, r->w.now_us, &probes[i].p, stored_profile(r, probes[i].p.player));
    free(probes);
}

/* ---- the scenario's receipt handler ---- */

typedef struct receipt_call {
    run *r;
    int server;
    vs_receipt_reply_fn reply;
    void *reply_arg;
    int64_t product;
} receipt_call;

static const scenario_product *product_of(const scenario *sc, int64_t id)
{
    for (size_t i = 0; i < sc->store.product_count; i++)
        if (sc->store.products[i].id == id)
            return &sc->store.products[i];
    return NULL;
}

/* The naive handler's grant, as the model applies it. */
static vs_status grant_model(void *arg, vs_value *draft)
{
    const scenario_product *p = arg;
    return vs_path_add(draft, &p->path, p->amount);
}

static void receipt_loaded(void *arg, int64_t user_id, const vs_error *err)
{
    receipt_call *c = arg;
    server *srv = experience_server(&c->r->x, c->server);
    const scenario_product *p = product_of(c->r->sc, c->product);
    vs_receipt_decision d = VS_RECEIPT_NOT_PROCESSED_YET;
    /* The naive handler of many games: grant by adding to the profile, then say GRANTED. It
     * has no purchase-id check and does not wait for the grant to be saved, which is what
     * the platform's contract punishes (an unrecorded grant is offered, and granted, again). */
    if (!err && p && srv && srv->store) {
        vs_status st = vs_store_add(srv->store, user_id, &p->path, p->amount);
        follow_change(c->r, srv, user_id, st, grant_model, (void *)p, "the receipt handler's add");
        if (st == VS_OK)
            d = VS_RECEIPT_GRANTED;
    }
    vs_receipt_reply_fn reply = c->reply;
    void *reply_arg = c->reply_arg;
    free(c);
    reply(reply_arg, d);
}

/* A purchase handed to the engine's receipt handler: a GRANTED answer means the grant is a
 * saved durable operation, which the delivery oracle then holds the engine to. */
typedef struct engine_grant {
    run *r;
    int64_t player;
    char op_id[96];
    vs_receipt_reply_fn reply;
    void *reply_arg;
} engine_grant;

static void engine_grant_answered(void *arg, vs_receipt_decision decision)
{
    engine_grant *g = arg;
    if (decision == VS_RECEIPT_GRANTED)
        operation_accepted(g->r, g->player, g->op_id);
    g->reply(g->reply_arg, decision);
}

static void receipt_handler(void *arg, const vs_receipt *receipt, vs_receipt_reply_fn reply, void *reply_arg)
{
    shop *sh = arg;
    run *r = sh->r;
    server *srv = experience_server(&r->x, sh->server);
    receipt_call *c = malloc(sizeof *c);
    if (!c || !srv || !srv->store) {
        free(c);
        reply(reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        return;
    }
    const scenario_product *p = product_of(r->sc, receipt->product);
    if (p && p->handler) {
        /* The engine's receipt handler: once per purchase id, answered after the save. */
        free(c);
        engine_grant *g = malloc(sizeof *g);
        engine_grant **list = vs_grow(r->grants, &r->grant_cap, sizeof *list, r->grant_count + 1);
        if (!g || !list) {
            free(g);
            reply(reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
            return;
        }
        r->grants = list;
        r->grants[r->grant_count++] = g;
        *g = (engine_grant){.r = r, .player = receipt->player, .reply = reply, .reply_arg = reply_arg};
        snprintf(g->op_id, sizeof g->op_id, "purchase:%s", receipt->purchase_id ? receipt->purchase_id : "");
        vs_store_process_receipt(srv->store, receipt, p->handler, engine_grant_answered, g);
        return;
    }
    *c = (receipt_call){r, sh->server, reply, reply_arg, receipt->product};
    /* Like game code, wait (a while) for the player's profile before granting. The wait
     * answers through receipt_loaded in every case but running out of memory. */
    if (vs_store_wait(srv->store, receipt->player, 10LL * 1000000, receipt_loaded, c) == VS_ERR_NOMEM) {
        free(c);
        reply(reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
    }
}

static void server_started(void *arg, server *srv)
{
    run *r = arg;
    if (r->sc->store.product_count == 0 || !srv->platform.ops->receipt_handler_set)
        return;
    r->shops[srv->id] = (shop){r, srv->id};
    srv->platform.ops->receipt_handler_set(srv->platform.ctx, receipt_handler, &r->shops[srv->id]);
}

/* ---- building and running ---- */

static uint64_t swarm_next(void *ctx)
{
    return rng_next(ctx);
}

/* Draws this seed's own faults around the scenario and adds them to the plan. */
static vs_status add_swarm_faults(run *r)
{
    const scenario *sc = r->sc;
    swarm_config cfg = swarm_config_default(sc->duration_us, 0);
    cfg.server_ids = 0;
    for (size_t i = 0; i < sc->server_count; i++)
        cfg.server_ids |= 1ull << (sc->servers[i].id - 1);
    rng g;
    world_stream(&r->w, "swarm", &g);
    fault_plan drawn;
    fault_plan_init(&drawn);
    if (!swarm_draw(&cfg, swarm_next, &g, &drawn)) {
        fault_plan_free(&drawn);
        return VS_ERR_NOMEM;
    }
    for (size_t i = 0; i < drawn.count; i++)
        if (!fault_plan_add(&r->plan, &drawn.items[i])) {
            fault_plan_free(&drawn);
            return VS_ERR_NOMEM;
        }
    size_t len = swarm_describe(&drawn, NULL, 0);
    r->result->swarm = true;
    r->result->swarm_faults = malloc(len + 1);
    if (r->result->swarm_faults)
        swarm_describe(&drawn, r->result->swarm_faults, len + 1);
    fault_plan_free(&drawn);
    return r->result->swarm_faults ? VS_OK : VS_ERR_NOMEM;
}

/* The first id above every player the scenario names (and at least 900001, so background
 * players read as such in traces). */
static int64_t first_background_player(const scenario *sc)
{
    int64_t first = 900001;
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].player >= first)
            first = sc->steps[i].player + 1;
    for (size_t i = 0; i < sc->expect_count; i++)
        if (sc->expects[i].player >= first)
            first = sc->expects[i].player + 1;
    return first;
}

/* One background event as a script step (faults/workload.h). */
static vs_status workload_step(const workload_event *e, scenario_step *st)
{
    static const scenario_step_kind kinds[WORKLOAD_ACTION_COUNT] = {
        [WORKLOAD_JOIN] = STEP_JOIN, [WORKLOAD_LEAVE] = STEP_LEAVE, [WORKLOAD_SET] = STEP_SET,
        [WORKLOAD_ADD] = STEP_ADD,   [WORKLOAD_TELEPORT] = STEP_TELEPORT, [WORKLOAD_SAVE] = STEP_SAVE,
    };
    *st = (scenario_step){.at_us = e->at_us, .kind = kinds[e->action], .player = e->player, .server = e->server};
    if (e->action != WORKLOAD_SET && e->action != WORKLOAD_ADD)
        return VS_OK;
    vs_status status = vs_path_parse(WORKLOAD_PATH, &st->path);
    st->value = status == VS_OK ? vs_new_number((double)e->amount) : NULL;
    return st->value ? VS_OK : VS_ERR_NOMEM;
}

/* Draws this seed's background players and turns their events into steps the run schedules
 * with the script's. */
static vs_status add_swarm_workload(run *r)
{
    const scenario *sc = r->sc;
    uint64_t ids = 0;
    for (size_t i = 0; i < sc->server_count; i++)
        ids |= 1ull << (sc->servers[i].id - 1);
    workload_config cfg = workload_config_default(sc->duration_us, ids, first_background_player(sc));
    rng g;
    world_stream(&r->w, "swarm.workload", &g);
    workload_plan plan;
    if (!workload_draw(&cfg, swarm_next, &g, &plan))
        return VS_ERR_NOMEM;
    size_t len = workload_describe(&plan, NULL, 0);
    r->result->swarm_workload = malloc(len + 1);
    r->workload = calloc(plan.count ? plan.count : 1, sizeof *r->workload);
    r->workload_ctx = calloc(plan.count ? plan.count : 1, sizeof *r->workload_ctx);
    vs_status st = r->result->swarm_workload && r->workload && r->workload_ctx ? VS_OK : VS_ERR_NOMEM;
    if (st == VS_OK)
        workload_describe(&plan, r->result->swarm_workload, len + 1);
    for (size_t i = 0; st == VS_OK && i < plan.count; i++) {
        st = workload_step(&plan.events[i], &r->workload[i]);
        r->workload_count = i + 1; /* what it holds is freed with the run */
        r->workload_ctx[i] = (step_ctx){.r = r, .step = &r->workload[i]};
    }
    workload_plan_free(&plan);
    return st;
}

static void free_workload(run *r)
{
    for (size_t i = 0; i < r->workload_count; i++) {
        vs_path_free(&r->workload[i].path);
        vs_free(r->workload[i].value);
    }
    free(r->workload);
    free(r->workload_ctx);
}

/* Every committed write goes past the oracles. */
static void judge_commit(void *arg, int server_id, const char *full_key, size_t len, const vs_value *value,
                         const uint64_t *data_hash)
{
    run *r = arg;
    lease_oracle_commit(&r->lease, r->w.now_us, server_id, full_key, len, value, data_hash);
    delivery_oracle_commit(&r->delivery, r->w.now_us, server_id, full_key, len, value);
    model_oracle_commit(&r->model, r->w.now_us, server_id, full_key, value, data_hash);
}

/* The engines' events tell the model when sessions start and end and when operations ran. */
static void judge_event(void *arg, server *srv, const vs_event *ev)
{
    run *r = arg;
    if (!ev->user_id || !srv->store)
        return;
    char key[160];
    profile_key(r, ev->user_id, key, sizeof key);
    vs_path root = {0};
    switch (ev->kind) {
    case VS_EV_PROFILE_LOADED:
        model_oracle_loaded(&r->model, r->w.now_us, srv->id, key, vs_store_get(srv->store, ev->user_id, &root),
                            lease_oracle_acquirer(&r->lease, key, strlen(key)));
        break;
    case VS_EV_PROFILE_RELEASED:
        model_oracle_released(&r->model, r->w.now_us, srv->id, key);
        break;
    case VS_EV_LEASE_LOST:
        model_oracle_ended(&r->model, srv->id, key);
        break;
    case VS_EV_VALIDATION_FAILED:
        model_oracle_refused(&r->model, srv->id, key);
        break;
    case VS_EV_OP_APPLIED:
    case VS_EV_OP_FAILED:
    case VS_EV_OP_DEAD: {
        char what[120];
        snprintf(what, sizeof what, "operation %s", ev->kind == VS_EV_OP_APPLIED ? ev->message : "attempt");
        struct op_call call = r->last_op;
        r->last_op = (struct op_call){0};
        follow_change(r, srv, ev->user_id, ev->kind == VS_EV_OP_APPLIED && call.h ? VS_OK : VS_ERR_ARG,
                      op_model, &call, what);
        break;
    }
    default:
        break;
    }
}

/* A quiet point of a player's client: its replica must be the public part of the profile in
 * the memory of the server it follows, once that server's session is active. */
/* A stopped server's sessions ended with it; its next incarnation starts afresh. */
static void judge_server_stopped(void *arg, server *srv)
{
    run *r = arg;
    model_oracle_server_stopped(&r->model, r->w.now_us, srv->id);
}

static void judge_replica(void *arg, int64_t player, client *c)
{
    run *r = arg;
    int at = experience_player_server(&r->x, player);
    server *srv = experience_server(&r->x, at);
    vs_session_state state = srv && srv->store ? vs_store_state(srv->store, player) : VS_SESSION_NONE;
    if ((state != VS_SESSION_ACTIVE && state != VS_SESSION_SAVING) || c->server != at ||
        r->sc->store.public_paths.count == 0)
        return;
    vs_path root = {0};
    replica_oracle_quiet(&r->convergence, r->w.now_us, player, at, &r->sc->store.public_paths,
                         vs_store_get(srv->store, player, &root), client_replica(c));
}

/* The end of the script is a quiet point for every client with nothing on its way. */
static void judge_replicas_at_end(run *r)
{
    for (size_t i = 0; i < r->x.player_count; i++) {
        int64_t player = r->x.players[i].player;
        client *c = experience_client(&r->x, player);
        if (c && experience_replica_quiet(&r->x, player))
            judge_replica(r, player, c);
    }
}

static vs_status build(run *r, bool swarm, experience_server_config **servers_out)
{
    const scenario *sc = r->sc;
    fault_plan_init(&r->plan);
    for (size_t i = 0; i < sc->fault_count; i++) {
        fault f = sc->faults[i].f;
        if (f.end_us > sc->duration_us)
            f.end_us = sc->duration_us; /* every fault heals when the script ends */
        if (f.start_us >= f.end_us)
            continue;
        if (!fault_plan_add(&r->plan, &f))
            return VS_ERR_NOMEM;
    }
    if (swarm) {
        vs_status st = add_swarm_faults(r);
        if (st == VS_OK)
            st = add_swarm_workload(r);
        if (st != VS_OK)
            return st;
    }
    experience_config cfg = {.faults = &r->plan,
                             .store_clock_skew_us = sc->platform.store_clock_skew_us,
                             .store = {.name = sc->store.name,
                                       .template_ = sc->store.template_,
                                       .schema = sc->store.schema,
                                       .autosave_interval_us = sc->store.autosave_us,
                                       .lease_us = sc->store.lease_us,
                                       .retry = sc->store.retry,
                                       .migrations = &sc->store.migrations,
                                       .validators = &sc->store.validators,
                                       .no_reconcile = sc->store.no_reconcile,
                                       .op_max_attempts = sc->store.op_max_attempts,
                                       .receipt_keep = sc->store.receipt_keep,
                                       .unsafe = sc->store.unsafe,
                                       .public_paths = sc->store.public_paths.count ? &sc->store.public_paths : NULL},
                             .public_paths = &sc->store.public_paths,
                             .on_server_started = server_started,
                             .on_server_started_arg = r,
                             .on_engine_event = judge_event,
                             .on_engine_event_arg = r,
                             .on_replica_quiet = judge_replica,
                             .on_replica_quiet_arg = r,
                             .on_server_stopped = judge_server_stopped,
                             .on_server_stopped_arg = r};
    limits_init(&cfg.limits, sc->platform.profile);
    if (sc->store.leaderboard_store) {
        r->leaderboard = (vs_leaderboard_config){.store = sc->store.leaderboard_store,
                                                 .path = &sc->store.leaderboard_path};
        cfg.store.leaderboard = &r->leaderboard;
    }
    if (sc->store.handler_count) {
        r->handlers = calloc(sc->store.handler_count, sizeof *r->handlers);
        if (!r->handlers)
            return VS_ERR_NOMEM;
        r->handler_ctxs = calloc(sc->store.handler_count, sizeof *r->handler_ctxs);
        if (!r->handler_ctxs)
            return VS_ERR_NOMEM;
        for (size_t i = 0; i < sc->store.handler_count; i++) {
            r->handler_ctxs[i] = (handler_ctx){r, &sc->store.handlers[i]};
            r->handlers[i] = (vs_op_handler){sc->store.handlers[i].name, steps_handler, &r->handler_ctxs[i]};
        }
        cfg.store.handlers = r->handlers;
        cfg.store.handler_count = sc->store.handler_count;
    }
    for (size_t i = 0; i < sc->platform.override_count; i++)
        *limits_field(&cfg.limits, sc->platform.overrides[i].param) = sc->platform.overrides[i].value;
    cfg.store.value_max_bytes = cfg.limits.value_max_bytes; /* the engine checks the size the store has */
    experience_server_config *servers = calloc(sc->server_count ? sc->server_count : 1, sizeof *servers);
    if (!servers)
        return VS_ERR_NOMEM;
    r->builds = calloc(sc->server_count ? sc->server_count : 1, sizeof *r->builds);
    if (!r->builds)
        return VS_ERR_NOMEM;
    for (size_t i = 0; i < sc->server_count; i++) {
        servers[i] = (experience_server_config){sc->servers[i].id, sc->servers[i].skew_us,
                                                sc->servers[i].drift_ppm, sc->servers[i].starts_stopped, NULL};
        if (sc->servers[i].schema <= 0)
            continue;
        /* Another build: its schema, and only the migrations that lead up to it. */
        server_build *b = &r->builds[i];
        b->config = cfg.store;
        b->config.schema = sc->servers[i].schema;
        vs_migrations_init(&b->migrations);
        for (size_t k = 0; k < sc->store.migrations.count; k++) {
            const vs_migration *m = &sc->store.migrations.items[k];
            if (m->from < b->config.schema &&
                (m->fn ? vs_migrations_add_fn(&b->migrations, m->from, m->name, m->fn, m->arg)
                       : vs_migrations_add_steps(&b->migrations, m->from, m->name, &m->steps)) != VS_OK)
                return VS_ERR_NOMEM;
        }
        b->config.migrations = &b->migrations;
        servers[i].store = &b->config;
    }
    cfg.servers = servers;
    cfg.server_count = sc->server_count;
    *servers_out = servers;
    r->experience_ready = true;
    return experience_init(&r->x, &r->w, &cfg);
}

/* The document stored at "store\x1fkey" now, for the oracles' final checks. */
static const vs_value *stored_document(void *arg, const char *full_key)
{
    run *r = arg;
    const char *sep = strchr(full_key, '\x1f');
    if (!sep)
        return NULL;
    char store[128];
    snprintf(store, sizeof store, "%.*s", (int)(sep - full_key), full_key);
    const ds_entry *e = datastore_peek(&r->x.ds, store, sep + 1);
    return e ? e->value : NULL;
}

/* False when the scenario turned the check off (checks_off, with its reason). */
static bool check_on(const scenario *sc, const char *check)
{
    for (size_t i = 0; i < sc->checks_off_count; i++)
        if (strcmp(sc->checks_off[i].check, check) == 0)
            return false;
    return true;
}

#define EXPLAIN_LINES 10 /* history lines shown with an oracle's first violation */

/* The player whose profile key this is ("Player_12" -> 12), or 0. */
static int64_t player_of_key(const char *key)
{
    const char *digits = key && strncmp(key, "Player_", 7) == 0 ? key + 7 : NULL;
    if (!digits || !isdigit((unsigned char)*digits))
        return 0;
    char *end = NULL;
    long long id = strtoll(digits, &end, 10);
    return *end == '\0' ? (int64_t)id : 0;
}

/* An oracle's first violation, with the history about its key and player that led to it. */
static void report_oracle(run *r, const char *check, const oracle_verdict *v)
{
    if (v->violations == 0 || !check_on(r->sc, check))
        return;
    char at[32];
    world_format_time(v->first_time_us, at, sizeof at);
    run_result_fail(r->result, check, "at %s: %s (%" PRId64 " violation%s in all)", at, v->first, v->violations,
                    v->violations == 1 ? "" : "s");
    const char *key = v->first_key[0] ? oracle_key_name(v->first_key) : NULL;
    int64_t player = v->first_player ? v->first_player : player_of_key(key);
    char *lines = explain_excerpt(&r->x.hist, v->first_time_us, key, player, EXPLAIN_LINES);
    if (lines)
        run_result_explain(r->result, lines);
    free(lines);
}

/* The oracles' verdicts, each under its own check name. */
static void check_oracles(run *r)
{
    delivery_oracle_finish(&r->delivery, r->w.now_us, stored_document, r);
    report_oracle(r, "lease", &r->lease.verdict);
    report_oracle(r, "data", &r->model.lost);
    report_oracle(r, "delivery", &r->delivery.verdict);
    report_oracle(r, "atomic", &r->model.atomic);
    report_oracle(r, "replication", &r->convergence);
    report_oracle(r, "liveness", &r->liveness);
}

bool runner_run(const scenario *sc, uint64_t seed, const runner_options *opts, run_result *out)
{
    if (!run_result_init(out, sc->file, sc->name, seed))
        return false;
    run r = {.sc = sc, .result = out};
    lease_oracle_init(&r.lease);
    delivery_oracle_init(&r.delivery);
    model_oracle_init(&r.model);
    step_ctx *ctx = calloc(sc->step_count ? sc->step_count : 1, sizeof *ctx);
    experience_server_config *servers = NULL;
    edge_ctx *edges = NULL;
    size_t edge_count = 0;
    bool ok = ctx && world_init(&r.w, seed);
    /* A run that must make a check fire is a canary: it runs as written, since drawn faults
     * could keep its broken engine from ever reaching the mistake. */
    bool swarm = opts && opts->swarm && !sc->must_fail_check;
    r.swarm = swarm;
    vs_status st = ok ? build(&r, swarm, &servers) : VS_ERR_NOMEM;
    if (st != VS_OK) {
        run_result_fail(out, "setup", "%s: cannot build the world: %s", sc->file, vs_status_message(st));
        ok = st != VS_ERR_NOMEM;
    } else {
        r.x.ds.on_commit = judge_commit;
        r.x.ds.on_commit_arg = &r;
        r.x.ds.commit_member = "data"; /* the oracles compare profiles by their data's hash */
        for (size_t i = 0; i < sc->step_count; i++) {
            ctx[i] = (step_ctx){.r = &r, .step = &sc->steps[i]};
            world_at(&r.w, sc->steps[i].at_us, "script", run_step, &ctx[i]);
        }
        for (size_t i = 0; i < r.workload_count; i++)
            world_at(&r.w, r.workload[i].at_us, "workload", run_step, &r.workload_ctx[i]);
        schedule_fault_edges(&r, &edges, &edge_count);
        world_run_until(&r.w, sc->duration_us, false);
        judge_replicas_at_end(&r);
        heal_and_leave(&r);
        world_run_until(&r.w, sc->duration_us + RUNNER_DRAIN_LIMIT_US, true);
        check_quiet(&r);
        /* The scenario's own expectations describe the run as written (before the probes);
         * faults drawn around it may legitimately change counts and values, so a swarm run
         * checks only those marked to hold whatever the faults (swarm: true). */
        for (size_t i = 0; i < sc->expect_count; i++) {
            if (swarm && !sc->expects[i].in_swarm)
                continue;
            if (sc->expects[i].kind == EXPECT_STORED)
                check_stored(&r, &sc->expects[i]);
            else
                check_count(&r, &sc->expects[i]);
        }
        check_liveness(&r);
        check_oracles(&r);
        for (size_t i = 0; i < r.x.client_count; i++) {
            const char *leak = client_first_leak(r.x.clients[i].c);
            if (leak && *leak && check_on(sc, "replication"))
                run_result_fail(out, "replication", "player %" PRId64 "'s client received a value "
                                "outside the public paths: %s", r.x.clients[i].player, leak);
        }
        if (sc->must_fail_check) {
            /* A run that must make a check fire passes exactly when that check fired. */
            if (run_result_has_failure(out, sc->must_fail_check))
                run_result_clear_failures(out);
            else
                run_result_fail(out, "must_fail", "check %s was expected to fire (%s) and did not",
                                sc->must_fail_check, sc->must_fail_why);
        }
        if (opts && opts->inspect)
            opts->inspect(opts->inspect_arg, &r.x.hist);
    }
    world_fingerprint(&r.w, out->fingerprint);
    out->events = r.w.events_run;
    out->sim_time_us = r.w.now_us;
    if (r.experience_ready)
        experience_free(&r.x);
    world_free(&r.w);
    fault_plan_free(&r.plan);
    lease_oracle_free(&r.lease);
    delivery_oracle_free(&r.delivery);
    model_oracle_free(&r.model);
    free_workload(&r);
    free(r.handler_ctxs);
    for (size_t i = 0; i < r.grant_count; i++)
        free(r.grants[i]);
    free(r.grants);
    free(servers);
    for (size_t i = 0; r.builds && i < sc->server_count; i++)
        vs_migrations_free(&r.builds[i].migrations);
    free(r.builds);
    free(r.handlers);
    free(edges);
    free(ctx);
    return ok;
}
