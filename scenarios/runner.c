/* runner.c: scenario steps as world events, the end-of-run drain, and expectations. */
#include "scenarios/runner.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/json.h"
#include "sim/datastore.h"
#include "sim/server.h"
#include "sim/world.h"

typedef struct run {
    const scenario *sc;
    run_result *result;
    world w;
    datastore ds;
    server *srv;
} run;

typedef struct step_ctx {
    run *r;
    const scenario_step *step;
} step_ctx;

/* The canonical JSON of v for a message, or a description when it has none. */
static void describe(const vs_value *v, char *buf, size_t size)
{
    if (!v) {
        snprintf(buf, size, "nothing");
        return;
    }
    vs_buf b;
    vs_buf_init(&b);
    vs_status st = vs_json_encode(v, &b);
    if (st == VS_OK)
        snprintf(buf, size, "%s", b.data);
    else
        snprintf(buf, size, "a %s that is not storable (%s)", vs_type_name(vs_type_of(v)),
                 vs_status_message(st));
    vs_buf_free(&b);
}

static void step_fail(run *r, const scenario_step *st, const char *what)
{
    char at[32];
    world_format_time(st->at_us, at, sizeof at);
    char *path = vs_path_format(&st->path);
    run_result_fail(r->result, "script", "%s:%d:%d: at %s, %s %s%sfor player %" PRId64 ": %s",
                    r->sc->file, st->pos.line, st->pos.column, at,
                    scenario_step_kind_name(st->kind), path ? path : "", path && *path ? " " : "",
                    st->player, what);
    free(path);
}

static void on_loaded(void *arg, int64_t user_id, const vs_error *err)
{
    step_ctx *ctx = arg;
    if (err) {
        char what[300];
        snprintf(what, sizeof what, "the profile did not load: %s", err->message);
        step_fail(ctx->r, ctx->step, what);
    }
}

static void on_released(void *arg, int64_t user_id, const vs_error *err)
{
    step_ctx *ctx = arg;
    if (err) {
        char what[300];
        snprintf(what, sizeof what, "the profile was not saved: %s", err->message);
        step_fail(ctx->r, ctx->step, what);
    }
}

static void run_step(void *arg)
{
    step_ctx *ctx = arg;
    run *r = ctx->r;
    const scenario_step *st = ctx->step;
    vs_store *store = r->srv->store;
    vs_status status = VS_OK;
    switch (st->kind) {
    case STEP_JOIN:
        status = vs_store_join(store, st->player, on_loaded, ctx);
        break;
    case STEP_LEAVE:
        status = vs_store_leave(store, st->player, on_released, ctx);
        break;
    case STEP_SET:
        status = vs_store_set(store, st->player, &st->path, vs_copy(st->value));
        break;
    case STEP_ADD:
        status = vs_store_add(store, st->player, &st->path, vs_number_of(st->value));
        break;
    case STEP_INSERT:
        status = vs_store_insert(store, st->player, &st->path, st->index, vs_copy(st->value));
        break;
    case STEP_REMOVE:
        status = vs_store_remove(store, st->player, &st->path);
        break;
    }
    if (status != VS_OK)
        step_fail(r, st, vs_status_message(status));
}

/* At the end of the script every player still online leaves, as players do when a server
 * closes; the world then runs until nothing is left to do. */
static void leave_everyone(run *r)
{
    vs_store *store = r->srv->store;
    size_t n = vs_store_session_count(store);
    int64_t *users = malloc((n ? n : 1) * sizeof *users);
    if (!users)
        abort();
    for (size_t i = 0; i < n; i++)
        users[i] = vs_store_user_at(store, i);
    for (size_t i = 0; i < n; i++)
        vs_store_leave(store, users[i], NULL, NULL); /* BUSY when already leaving: fine */
    free(users);
}

static void check_quiet(run *r)
{
    vs_store *store = r->srv->store;
    size_t n = vs_store_session_count(store);
    if (n == 0)
        return;
    char limit[32];
    world_format_time(RUNNER_DRAIN_LIMIT_US, limit, sizeof limit);
    run_result_fail(r->result, "quiesce",
                    "%zu profile(s) still open %s after the end of the script (first: player "
                    "%" PRId64 ", %s)",
                    n, limit, vs_store_user_at(store, 0),
                    vs_session_state_name(vs_store_state(store, vs_store_user_at(store, 0))));
}

static void check_expectations(run *r)
{
    const scenario *sc = r->sc;
    for (size_t i = 0; i < sc->expect_count; i++) {
        const scenario_expect *ex = &sc->expects[i];
        char key[64];
        vs_store_key(r->srv->store, ex->player, key, sizeof key);
        const ds_entry *e = datastore_peek(&r->ds, sc->store.name, key);
        const vs_value *data = e ? vs_doc_data(e->value) : NULL;
        const vs_value *found = data ? vs_path_get(data, &ex->path) : NULL;
        bool ok = ex->equals ? (found && vs_equal(found, ex->equals)) : found == NULL;
        if (ok)
            continue;
        char want[256], got[256];
        describe(ex->equals, want, sizeof want);
        describe(found, got, sizeof got);
        char *path = vs_path_format(&ex->path);
        run_result_fail(r->result, "expect",
                        "%s:%d:%d: stored profile of player %" PRId64 " at '%s': expected %s, "
                        "found %s%s",
                        sc->file, ex->pos.line, ex->pos.column, ex->player, path ? path : "",
                        want, got, e ? "" : " (no profile stored)");
        free(path);
    }
}

bool runner_run(const scenario *sc, uint64_t seed, run_result *out)
{
    if (!run_result_init(out, sc->file, sc->name, seed))
        return false;
    run r = {.sc = sc, .result = out};
    datastore_config dcfg;
    datastore_config_default(&dcfg);
    step_ctx *ctx = calloc(sc->step_count ? sc->step_count : 1, sizeof *ctx);
    bool ok = ctx && world_init(&r.w, seed) && datastore_init(&r.ds, &r.w, &dcfg) &&
              (r.srv = server_new(&r.w, &r.ds, 1)) != NULL;
    if (ok) {
        vs_store_config cfg = {.name = sc->store.name, .template_ = sc->store.template_};
        vs_status st = server_open_store(r.srv, &cfg);
        if (st != VS_OK) {
            run_result_fail(out, "setup", "%s: cannot open the store: %s", sc->file,
                            vs_status_message(st));
            ok = st != VS_ERR_NOMEM;
        }
    }
    if (ok && r.srv->store) {
        for (size_t i = 0; i < sc->step_count; i++) {
            ctx[i] = (step_ctx){.r = &r, .step = &sc->steps[i]};
            world_at(&r.w, sc->steps[i].at_us, "script", run_step, &ctx[i]);
        }
        world_run_until(&r.w, sc->duration_us, false);
        leave_everyone(&r);
        world_run_until(&r.w, sc->duration_us + RUNNER_DRAIN_LIMIT_US, true);
        check_quiet(&r);
        check_expectations(&r);
    }
    world_fingerprint(&r.w, out->fingerprint);
    out->events = r.w.events_run;
    out->sim_time_us = r.w.now_us;
    server_free(r.srv);
    datastore_free(&r.ds);
    world_free(&r.w);
    free(ctx);
    return ok;
}
