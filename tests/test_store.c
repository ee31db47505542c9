/* test_store.c: the engine's sessions (core/store.c), driven one completion and one timer at a
 * time through the scripted platform (tests/support/fake_platform.h).
 *
 * Covers, in groups:
 *   loading   creation from the template (only once the version list says the key never
 *             existed), loading, template reconciliation, the nil-read guard, invalid
 *             documents and newer schemas left untouched, migrations, error classes and
 *             backoff, leases held elsewhere (release requests, wait reasons, renewals, takeover
 *             after lease_us of this server's timers whatever its wall clock says), leave
 *             during loading;
 *   saving    autosave's hash skip and lease renewal, one request in flight with merged
 *             saves, lost leases, ambiguous commits, releases recognised by last_token,
 *             validation;
 *   sessions  leave, nothing acquiring after a release, rejoin while releasing, close (parallel
 *             releases, one done, the closing backoff);
 *   API       path mutations, edits, locks, inspection, clear_lease, repair, the critical
 *             state, config checks.
 * The tests under "ENGINE BUGS" at the end of the list show bugs in core/store.c: each fails
 * until the bug described above it is fixed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/document.h"
#include "core/json.h"
#include "core/store.h"
#include "tests/support/fake_platform.h"

#define S 1000000LL /* one second in microseconds */
#define TEMPLATE "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}"
#define OTHER_OWNER "other.2#1"
#define OTHER_TOKEN "tok-other"

/* ------------------------------------------------------------------------------------------
 * Fixture and helpers
 * ---------------------------------------------------------------------------------------- */

typedef struct fixture {
    fake_platform fp;
    vs_store *store;
    vs_value *template_;
    vs_migrations migrations;
    vs_validators validators;
} fixture;

/* What a vs_session_fn heard. */
typedef struct outcome {
    int calls;
    bool failed;
    vs_error err;
} outcome;

static void record(void *arg, int64_t user_id, const vs_error *err)
{
    (void)user_id;
    outcome *o = arg;
    o->calls++;
    o->failed = err != NULL;
    if (err)
        o->err = *err;
}

static void count_call(void *arg)
{
    (*(int *)arg)++;
}

/* Canonical JSON of a value, by value so that asserts read in one line. */
typedef struct text {
    char s[2048];
} text;

static text json_of(const vs_value *v)
{
    text t;
    if (!v) {
        snprintf(t.s, sizeof t.s, "(none)");
        return t;
    }
    vs_buf b;
    vs_buf_init(&b);
    if (vs_json_encode(v, &b) == VS_OK)
        snprintf(t.s, sizeof t.s, "%s", b.data);
    else
        snprintf(t.s, sizeof t.s, "(unstorable)");
    vs_buf_free(&b);
    return t;
}

static vs_value *parse(const char *json)
{
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(json, strlen(json), &v, NULL), VS_OK);
    return v;
}

static void open_store(fixture *f, vs_store_config cfg)
{
    vs_store_free(f->store);
    f->store = NULL;
    if (!cfg.name)
        cfg.name = "PlayerData";
    if (!cfg.template_)
        cfg.template_ = f->template_;
    assert_int_equal(vs_store_new(&cfg, &f->fp.platform, &f->store), VS_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fake_init(&f->fp);
    f->template_ = parse(TEMPLATE);
    open_store(f, (vs_store_config){0});
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vs_store_free(f->store);
    fake_free(&f->fp);
    vs_free(f->template_);
    vs_migrations_free(&f->migrations);
    vs_validators_free(&f->validators);
    free(f);
    return 0;
}

/* ---- the stored document ---- */

static const char *key_of(fixture *f, int64_t user_id)
{
    static char key[64];
    vs_store_key(f->store, user_id, key, sizeof key);
    return key;
}

static const vs_value *stored(fixture *f, int64_t user_id)
{
    return fake_stored(&f->fp, key_of(f, user_id));
}

static text stored_text(fixture *f, int64_t user_id)
{
    return json_of(stored(f, user_id));
}

static text stored_data(fixture *f, int64_t user_id)
{
    return json_of(vs_doc_data(stored(f, user_id)));
}

static vs_lease stored_lease(fixture *f, int64_t user_id)
{
    vs_lease l;
    vs_doc_lease(stored(f, user_id), &l);
    return l;
}

static int64_t stored_meta(fixture *f, int64_t user_id, const char *field)
{
    return vs_doc_meta_int(stored(f, user_id), field, -1);
}

static text stored_last_token(fixture *f, int64_t user_id)
{
    text t;
    vs_doc_meta_string(stored(f, user_id), "last_token", t.s, sizeof t.s);
    return t;
}

static double stored_number(fixture *f, int64_t user_id, const char *where)
{
    vs_path p;
    assert_int_equal(vs_path_parse(where, &p), VS_OK);
    const vs_value *v = vs_path_get(vs_doc_data(stored(f, user_id)), &p);
    vs_path_free(&p);
    assert_int_equal(vs_type_of(v), VS_NUMBER);
    return vs_number_of(v);
}

/* Stores a profile document as another server would have written it. owner NULL: no lease. */
static void put_profile(fixture *f, int64_t user_id, const char *data_json, int64_t schema,
                        int64_t generation, const char *owner, const char *token, int64_t renewals)
{
    char json[2048], lease[512] = "";
    if (owner)
        snprintf(lease, sizeof lease,
                 ",\"lease\":{\"owner\":\"%s\",\"token\":\"%s\",\"generation\":%lld,\"renewals\":%lld}",
                 owner, token, (long long)generation, (long long)renewals);
    snprintf(json, sizeof json, "{\"data\":%s,\"meta\":{\"schema\":%lld,\"generation\":%lld%s}}",
             data_json, (long long)schema, (long long)generation, lease);
    fake_put(&f->fp, key_of(f, user_id), parse(json));
}

/* The stored document with its lease replaced by another server's (as a takeover writes it),
 * every other field kept. */
static void put_foreign_lease_over(fixture *f, int64_t user_id, int64_t generation)
{
    vs_lease other = {.held = true, .generation = generation};
    snprintf(other.owner, sizeof other.owner, OTHER_OWNER);
    snprintf(other.token, sizeof other.token, OTHER_TOKEN);
    vs_doc_change change = {.lease = &other, .generation = generation};
    vs_value *doc = vs_doc_apply(stored(f, user_id), &change);
    assert_non_null(doc);
    fake_put(&f->fp, key_of(f, user_id), doc);
}

/* ---- the loaded profile ---- */

static vs_path path_of(const char *where)
{
    vs_path p;
    assert_int_equal(vs_path_parse(where, &p), VS_OK);
    return p;
}

static text memory(fixture *f, int64_t user_id)
{
    vs_path root = {0};
    return json_of(vs_store_get(f->store, user_id, &root));
}

static vs_status set_at(fixture *f, int64_t user_id, const char *where, vs_value *item)
{
    vs_path p = path_of(where);
    vs_status st = vs_store_set(f->store, user_id, &p, item);
    vs_path_free(&p);
    return st;
}

static vs_status add_at(fixture *f, int64_t user_id, const char *where, double delta)
{
    vs_path p = path_of(where);
    vs_status st = vs_store_add(f->store, user_id, &p, delta);
    vs_path_free(&p);
    return st;
}

static vs_status insert_at(fixture *f, int64_t user_id, const char *where, size_t index1, vs_value *item)
{
    vs_path p = path_of(where);
    vs_status st = vs_store_insert(f->store, user_id, &p, index1, item);
    vs_path_free(&p);
    return st;
}

static vs_status remove_at(fixture *f, int64_t user_id, const char *where)
{
    vs_path p = path_of(where);
    vs_status st = vs_store_remove(f->store, user_id, &p);
    vs_path_free(&p);
    return st;
}

static const vs_value *get_at(fixture *f, int64_t user_id, const char *where)
{
    vs_path p = path_of(where);
    const vs_value *v = vs_store_get(f->store, user_id, &p);
    vs_path_free(&p);
    return v;
}

static void set_coins(fixture *f, int64_t user_id, double coins)
{
    assert_int_equal(set_at(f, user_id, "Wallet.Coins", vs_new_number(coins)), VS_OK);
}

/* ---- driving sessions ---- */

/* Joins and answers every request until the profile is ACTIVE. */
static void load(fixture *f, int64_t user_id)
{
    outcome o = {0};
    assert_int_equal(vs_store_join(f->store, user_id, record, &o), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(o.calls, 1);
    assert_false(o.failed);
    assert_int_equal(vs_store_state(f->store, user_id), VS_SESSION_ACTIVE);
}

/* The newest request, which must be open. */
static size_t newest_open(fixture *f)
{
    assert_true(f->fp.request_count > 0);
    size_t i = f->fp.request_count - 1;
    assert_true(fake_request_at(&f->fp, i)->open);
    return i;
}

/* The session's token, as its lease in the store names it. */
static text token_of(fixture *f, int64_t user_id)
{
    vs_lease l = stored_lease(f, user_id);
    assert_true(l.held);
    text t;
    snprintf(t.s, sizeof t.s, "%s", l.token);
    return t;
}

/* ---- migrations and validators ---- */

static vs_status add_level(void *arg, vs_value *data, char *why, size_t size)
{
    (void)arg, (void)why, (void)size;
    return vs_map_set(data, "Level", vs_new_number(1));
}

static vs_status refuse_migration(void *arg, vs_value *data, char *why, size_t size)
{
    (void)arg;
    vs_map_set(data, "Broken", vs_new_bool(true)); /* a half-done change, thrown away */
    snprintf(why, size, "boom");
    return VS_ERR_MIGRATION;
}

/* Migration 1 -> 2 as steps: set Wallet.Gems 0. */
static void add_gems_migration(fixture *f)
{
    vs_steps steps;
    vs_steps_init(&steps);
    vs_path p = path_of("Wallet.Gems");
    assert_int_equal(vs_steps_push_set(&steps, &p, vs_new_number(0)), VS_OK);
    vs_path_free(&p);
    assert_int_equal(vs_migrations_add_steps(&f->migrations, 1, "gems", &steps), VS_OK);
    vs_steps_free(&steps);
}

static bool coins_not_negative(void *arg, const vs_value *data, char *why, size_t size)
{
    (void)arg;
    const vs_value *wallet = vs_map_get(data, "Wallet");
    const vs_value *coins = wallet ? vs_map_get(wallet, "Coins") : NULL;
    if (coins && vs_number_of(coins) < 0) {
        snprintf(why, size, "Wallet.Coins is negative");
        return false;
    }
    return true;
}

static void use_coins_validator(fixture *f)
{
    assert_int_equal(vs_validators_add_fn(&f->validators, "coins", coins_not_negative, NULL), VS_OK);
    open_store(f, (vs_store_config){.validators = &f->validators});
}

/* ------------------------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------------------------- */

static void new_player_is_created_from_the_template_with_a_fresh_lease(void **state)
{
    fixture *f = *state;
    outcome joined = {0};
    assert_int_equal(vs_store_join(f->store, 7, record, &joined), VS_OK);
    assert_int_equal(vs_store_state(f->store, 7), VS_SESSION_LOADING);
    assert_int_equal(fake_request_at(&f->fp, 0)->kind, FAKE_UPDATE);
    assert_string_equal(fake_request_at(&f->fp, 0)->key, "Player_7");

    /* The key reads as missing: the engine asks the version history before creating it. */
    fake_complete(&f->fp, 0, 0);
    assert_null(stored(f, 7));
    assert_int_equal(fake_request_at(&f->fp, 1)->kind, FAKE_LIST);
    fake_complete(&f->fp, 1, 0);
    assert_int_equal(fake_request_at(&f->fp, 2)->kind, FAKE_UPDATE);
    fake_complete(&f->fp, 2, 0);

    assert_int_equal(joined.calls, 1);
    assert_false(joined.failed);
    assert_int_equal(vs_store_state(f->store, 7), VS_SESSION_ACTIVE);
    assert_string_equal(stored_data(f, 7).s, TEMPLATE);
    assert_string_equal(memory(f, 7).s, TEMPLATE);
    vs_lease l = stored_lease(f, 7);
    assert_true(l.held);
    assert_string_equal(l.owner, "fake.1#1");
    assert_true(strlen(l.token) > 0);
    assert_int_equal(l.generation, 1);
    assert_int_equal(stored_meta(f, 7, "generation"), 1);
    assert_int_equal(stored_meta(f, 7, "schema"), 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_PROFILE_LOADED), 1);
    assert_int_equal(fake_open_requests(&f->fp), 0);
}

static void existing_profile_loads_its_data_and_bumps_the_generation(void **state)
{
    fixture *f = *state;
    put_profile(f, 3, "{\"Inventory\":[\"Sword\"],\"Wallet\":{\"Coins\":55}}", 1, 4, NULL, NULL, 0);
    load(f, 3);
    assert_int_equal(f->fp.request_count, 1); /* no version check for a key that reads */
    assert_string_equal(memory(f, 3).s, "{\"Inventory\":[\"Sword\"],\"Wallet\":{\"Coins\":55}}");
    assert_int_equal(stored_lease(f, 3).generation, 5);
    assert_int_equal(stored_meta(f, 3, "generation"), 5);
    assert_string_equal(stored_data(f, 3).s, "{\"Inventory\":[\"Sword\"],\"Wallet\":{\"Coins\":55}}");
}

static void missing_top_level_template_fields_are_added_on_load(void **state)
{
    fixture *f = *state;
    put_profile(f, 4, "{\"Extra\":true,\"Wallet\":{\"Gems\":2}}", 1, 1, NULL, NULL, 0);
    load(f, 4);
    /* Inventory is added; Wallet exists, so it is kept as stored (no Coins inside it). */
    assert_string_equal(memory(f, 4).s, "{\"Extra\":true,\"Inventory\":[],\"Wallet\":{\"Gems\":2}}");
}

static void no_reconcile_keeps_the_profile_as_stored(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.no_reconcile = true});
    put_profile(f, 4, "{\"Wallet\":{\"Gems\":2}}", 1, 1, NULL, NULL, 0);
    load(f, 4);
    assert_string_equal(memory(f, 4).s, "{\"Wallet\":{\"Gems\":2}}");
}

static void nil_read_never_creates_from_the_template_and_loads_once_reads_are_honest(void **state)
{
    fixture *f = *state;
    put_profile(f, 5, "{\"Inventory\":[],\"Wallet\":{\"Coins\":70}}", 1, 2, NULL, NULL, 0);
    text before = stored_text(f, 5);
    f->fp.nil_reads = true;
    outcome joined = {0}, waited = {0};
    assert_int_equal(vs_store_join(f->store, 5, record, &joined), VS_OK);
    fake_complete(&f->fp, 0, 0); /* reads as missing */
    assert_int_equal(fake_request_at(&f->fp, 1)->kind, FAKE_LIST);
    fake_complete(&f->fp, 1, 0); /* ... but it has versions */
    assert_int_equal(fake_event_count(&f->fp, VS_EV_NIL_READ_SUSPECTED), 1);
    assert_string_equal(stored_text(f, 5).s, before.s);
    assert_int_equal(vs_store_state(f->store, 5), VS_SESSION_LOADING);
    assert_int_equal(fake_open_requests(&f->fp), 0);

    /* A wait meanwhile says the store is the trouble. */
    assert_int_equal(vs_store_wait(f->store, 5, 100000, record, &waited), VS_OK);
    fake_advance(&f->fp, 100000);
    assert_int_equal(waited.calls, 1);
    assert_int_equal(waited.err.status, VS_ERR_UNAVAILABLE);

    /* Still lying on the next try: still not created. */
    fake_advance(&f->fp, 400000);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    fake_complete_all(&f->fp);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_NIL_READ_SUSPECTED), 2);
    assert_string_equal(stored_text(f, 5).s, before.s);

    f->fp.nil_reads = false;
    fake_run(&f->fp, 2 * S);
    assert_int_equal(joined.calls, 1);
    assert_false(joined.failed);
    assert_int_equal(vs_store_state(f->store, 5), VS_SESSION_ACTIVE);
    assert_string_equal(memory(f, 5).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":70}}");
    assert_string_equal(stored_data(f, 5).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":70}}");
}

static void version_list_error_is_retried_not_taken_for_a_new_player(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 6, NULL, NULL), VS_OK);
    fake_complete(&f->fp, 0, 0);
    fake_complete(&f->fp, 1, 503); /* the version list failed */
    assert_null(stored(f, 6));
    assert_int_equal(fake_open_requests(&f->fp), 0);
    fake_run(&f->fp, S);
    assert_int_equal(vs_store_state(f->store, 6), VS_SESSION_ACTIVE);
    assert_string_equal(stored_data(f, 6).s, TEMPLATE);
}

static void stored_value_that_is_not_a_profile_document_is_invalid_and_untouched(void **state)
{
    fixture *f = *state;
    fake_put(&f->fp, "Player_8", parse("{\"Coins\":5}"));
    outcome joined = {0}, waited = {0};
    assert_int_equal(vs_store_join(f->store, 8, record, &joined), VS_OK);
    assert_int_equal(vs_store_wait(f->store, 8, 10 * S, record, &waited), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(joined.calls, 1);
    assert_int_equal(joined.err.status, VS_ERR_INVALID);
    assert_int_equal(waited.calls, 1);
    assert_int_equal(waited.err.status, VS_ERR_INVALID);
    assert_int_equal(vs_store_state(f->store, 8), VS_SESSION_NONE);
    assert_string_equal(stored_text(f, 8).s, "{\"Coins\":5}");
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LOAD_FAILED), 1);
    fake_run(&f->fp, 60 * S);
    assert_int_equal(f->fp.request_count, 1);
    assert_int_equal(waited.calls, 1);
}

static void newer_schema_is_refused_and_untouched(void **state)
{
    fixture *f = *state;
    put_profile(f, 9, "{\"Wallet\":{\"Coins\":5},\"New\":1}", 3, 2, NULL, NULL, 0);
    text before = stored_text(f, 9);
    outcome joined = {0};
    assert_int_equal(vs_store_join(f->store, 9, record, &joined), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(joined.calls, 1);
    assert_int_equal(joined.err.status, VS_ERR_SCHEMA_TOO_NEW);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_SCHEMA_TOO_NEW), 1);
    assert_int_equal(vs_store_state(f->store, 9), VS_SESSION_NONE);
    assert_string_equal(stored_text(f, 9).s, before.s);
}

static void migrations_run_on_load_and_the_next_save_writes_the_new_schema(void **state)
{
    fixture *f = *state;
    add_gems_migration(f);
    assert_int_equal(vs_migrations_add_fn(&f->migrations, 2, "level", add_level, NULL), VS_OK);
    open_store(f, (vs_store_config){.schema = 3, .migrations = &f->migrations});
    put_profile(f, 10, "{\"Inventory\":[],\"Wallet\":{\"Coins\":5}}", 1, 1, NULL, NULL, 0);
    load(f, 10);
    assert_string_equal(memory(f, 10).s, "{\"Inventory\":[],\"Level\":1,\"Wallet\":{\"Coins\":5,\"Gems\":0}}");
    assert_int_equal(vs_store_save(f->store, 10), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(stored_meta(f, 10, "schema"), 3);
    assert_string_equal(stored_data(f, 10).s, "{\"Inventory\":[],\"Level\":1,\"Wallet\":{\"Coins\":5,\"Gems\":0}}");
}

static void failing_migration_gives_the_lease_back_and_leaves_the_data(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_migrations_add_fn(&f->migrations, 1, "explode", refuse_migration, NULL), VS_OK);
    open_store(f, (vs_store_config){.schema = 2, .migrations = &f->migrations});
    put_profile(f, 11, "{\"Inventory\":[],\"Wallet\":{\"Coins\":5}}", 1, 2, NULL, NULL, 0);
    outcome joined = {0};
    assert_int_equal(vs_store_join(f->store, 11, record, &joined), VS_OK);
    fake_complete(&f->fp, 0, 0); /* the lease is acquired; the migration fails */
    text token = token_of(f, 11);
    assert_int_equal(joined.calls, 1);
    assert_int_equal(joined.err.status, VS_ERR_MIGRATION);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_MIGRATION_FAILED), 1);
    fake_complete_all(&f->fp);
    assert_false(stored_lease(f, 11).held);
    assert_string_equal(stored_last_token(f, 11).s, token.s);
    assert_int_equal(stored_meta(f, 11, "schema"), 1);
    assert_string_equal(stored_data(f, 11).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":5}}");
    assert_int_equal(vs_store_state(f->store, 11), VS_SESSION_NONE);
}

static void transient_load_error_is_retried_after_a_backoff(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 12, NULL, NULL), VS_OK);
    fake_complete(&f->fp, 0, 501);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_RETRY), 1);
    assert_int_equal(fake_event_code(&f->fp, VS_EV_RETRY), 501);
    assert_int_equal(vs_store_state(f->store, 12), VS_SESSION_LOADING);
    /* The first retry waits 0.25-0.5 s (the default policy). */
    fake_advance(&f->fp, 250000 - 1);
    assert_int_equal(fake_open_requests(&f->fp), 0);
    fake_advance(&f->fp, 250000 + 1);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    fake_complete_all(&f->fp);
    assert_int_equal(vs_store_state(f->store, 12), VS_SESSION_ACTIVE);
}

static void dropped_load_is_reported_as_budget_exhausted_and_retried(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 12, NULL, NULL), VS_OK);
    fake_complete(&f->fp, 0, 304);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_BUDGET_EXHAUSTED), 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_RETRY), 1);
    fake_run(&f->fp, S);
    assert_int_equal(vs_store_state(f->store, 12), VS_SESSION_ACTIVE);
}

static void caller_error_on_load_is_not_retried(void **state)
{
    fixture *f = *state;
    outcome joined = {0};
    assert_int_equal(vs_store_join(f->store, 13, record, &joined), VS_OK);
    fake_complete(&f->fp, 0, 104);
    assert_int_equal(joined.calls, 1);
    assert_true(joined.failed);
    assert_int_equal(joined.err.code, 104);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_RETRY), 0);
    assert_int_equal(fake_event_code(&f->fp, VS_EV_LOAD_FAILED), 104);
    assert_int_equal(vs_store_state(f->store, 13), VS_SESSION_NONE);
    fake_run(&f->fp, 60 * S);
    assert_int_equal(f->fp.request_count, 1);
}

static void shutdown_code_on_load_ends_it_closed(void **state)
{
    fixture *f = *state;
    outcome joined = {0};
    assert_int_equal(vs_store_join(f->store, 14, record, &joined), VS_OK);
    fake_complete(&f->fp, 0, 401);
    assert_int_equal(joined.calls, 1);
    assert_int_equal(joined.err.status, VS_ERR_CLOSED);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_RETRY), 0);
    fake_run(&f->fp, 60 * S);
    assert_int_equal(f->fp.request_count, 1);
    assert_int_equal(vs_store_state(f->store, 14), VS_SESSION_NONE);
}

static void held_lease_is_asked_to_release_and_wait_times_out_with_lease_held(void **state)
{
    fixture *f = *state;
    put_profile(f, 15, "{\"Wallet\":{\"Coins\":1}}", 1, 3, OTHER_OWNER, OTHER_TOKEN, 5);
    outcome joined = {0}, waited = {0};
    assert_int_equal(vs_store_join(f->store, 15, record, &joined), VS_OK);
    assert_int_equal(vs_store_wait(f->store, 15, 2 * S, record, &waited), VS_OK);
    fake_complete(&f->fp, 0, 0);
    assert_int_equal(f->fp.published_count, 1);
    assert_string_equal(f->fp.published[0].topic, "vstore.release/" OTHER_OWNER);
    assert_string_equal(f->fp.published[0].data, "PlayerData\nPlayer_15\n" OTHER_TOKEN);

    fake_run(&f->fp, 2 * S - 1);
    assert_int_equal(waited.calls, 0);
    fake_run(&f->fp, 1);
    assert_int_equal(waited.calls, 1);
    assert_int_equal(waited.err.status, VS_ERR_LEASE_HELD);
    assert_int_equal(joined.calls, 0);
    assert_int_equal(vs_store_state(f->store, 15), VS_SESSION_LOADING);
    assert_string_equal(stored_lease(f, 15).token, OTHER_TOKEN);
}

static void holder_that_keeps_renewing_is_never_taken_over(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.lease_us = 30 * S});
    put_profile(f, 16, "{\"Wallet\":{\"Coins\":1}}", 1, 3, OTHER_OWNER, OTHER_TOKEN, 0);
    assert_int_equal(vs_store_join(f->store, 16, NULL, NULL), VS_OK);
    for (int second = 1; second <= 90; second++) {
        fake_run(&f->fp, S);
        if (second % 5 == 0) /* the holder saves every 5 s */
            put_profile(f, 16, "{\"Wallet\":{\"Coins\":1}}", 1, 3, OTHER_OWNER, OTHER_TOKEN, second / 5);
    }
    assert_int_equal(vs_store_state(f->store, 16), VS_SESSION_LOADING);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 0);
    assert_string_equal(stored_lease(f, 16).token, OTHER_TOKEN);
    assert_int_equal(stored_lease(f, 16).renewals, 18);
}

static void unchanged_lease_is_taken_over_exactly_after_lease_us_of_timers(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.lease_us = 30 * S});
    put_profile(f, 17, "{\"Inventory\":[],\"Wallet\":{\"Coins\":12}}", 1, 3, OTHER_OWNER, OTHER_TOKEN, 2);
    assert_int_equal(vs_store_join(f->store, 17, NULL, NULL), VS_OK);
    fake_run(&f->fp, 30 * S - 1);
    assert_int_equal(vs_store_state(f->store, 17), VS_SESSION_LOADING);
    assert_string_equal(stored_lease(f, 17).token, OTHER_TOKEN);
    fake_run(&f->fp, 1);
    assert_int_equal(vs_store_state(f->store, 17), VS_SESSION_ACTIVE);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 1);
    vs_lease l = stored_lease(f, 17);
    assert_string_equal(l.owner, "fake.1#1");
    assert_int_equal(l.generation, 4);
    assert_int_equal(stored_meta(f, 17, "generation"), 4);
    assert_string_equal(memory(f, 17).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":12}}");
}

static void wall_clock_jumps_do_not_cause_an_early_takeover(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.lease_us = 30 * S});
    put_profile(f, 18, "{\"Wallet\":{\"Coins\":1}}", 1, 3, OTHER_OWNER, OTHER_TOKEN, 0);
    assert_int_equal(vs_store_join(f->store, 18, NULL, NULL), VS_OK);
    fake_run(&f->fp, S);
    f->fp.wall_offset_us += 3600 * S; /* the wall clock jumps an hour ahead */
    fake_run(&f->fp, 10 * S);
    f->fp.wall_offset_us -= 7200 * S; /* ... then an hour behind */
    fake_run(&f->fp, 10 * S);
    f->fp.wall_offset_us += 1000000 * S;
    fake_run(&f->fp, 9 * S - 1);
    assert_int_equal(vs_store_state(f->store, 18), VS_SESSION_LOADING);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 0);
    fake_run(&f->fp, 1); /* 30 s of timers since the lease was first seen */
    assert_int_equal(vs_store_state(f->store, 18), VS_SESSION_ACTIVE);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 1);
}

static void ambiguous_load_commit_is_recognised_as_ours_on_retry(void **state)
{
    fixture *f = *state;
    put_profile(f, 19, "{\"Wallet\":{\"Coins\":4}}", 1, 2, NULL, NULL, 0);
    assert_int_equal(vs_store_join(f->store, 19, NULL, NULL), VS_OK);
    fake_complete_ambiguous(&f->fp, 0, 501); /* the lease was written; we heard 501 */
    assert_true(stored_lease(f, 19).held);
    fake_run(&f->fp, S);
    assert_int_equal(vs_store_state(f->store, 19), VS_SESSION_ACTIVE);
    assert_int_equal(stored_lease(f, 19).generation, 3);
    assert_int_equal(f->fp.published_count, 0);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 0);
}

static void leave_during_loading_releases_the_lease_once_loaded(void **state)
{
    fixture *f = *state;
    put_profile(f, 20, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3}}", 1, 1, NULL, NULL, 0);
    outcome left = {0};
    assert_int_equal(vs_store_join(f->store, 20, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 20, record, &left), VS_OK);
    assert_int_equal(left.calls, 0);
    fake_complete(&f->fp, 0, 0); /* the load acquired the lease */
    text token = token_of(f, 20);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_false(stored_lease(f, 20).held);
    assert_string_equal(stored_last_token(f, 20).s, token.s);
    assert_string_equal(stored_data(f, 20).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3}}");
    assert_int_equal(vs_store_state(f->store, 20), VS_SESSION_NONE);
}

static void leave_while_a_load_waits_to_retry_ends_the_session_at_once(void **state)
{
    fixture *f = *state;
    outcome joined = {0}, left = {0};
    assert_int_equal(vs_store_join(f->store, 21, record, &joined), VS_OK);
    fake_complete(&f->fp, 0, 501);
    assert_int_equal(vs_store_leave(f->store, 21, record, &left), VS_OK);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_int_equal(joined.calls, 1);
    assert_int_equal(joined.err.status, VS_ERR_NOT_LOADED);
    assert_int_equal(vs_store_state(f->store, 21), VS_SESSION_NONE);
    fake_run(&f->fp, 60 * S);
    assert_int_equal(f->fp.request_count, 1);
}

static void wait_answers_at_once_when_loaded_and_otherwise_after_its_timeout(void **state)
{
    fixture *f = *state;
    outcome none = {0}, slow = {0}, pending = {0}, ready = {0};
    assert_int_equal(vs_store_wait(f->store, 22, S, record, &none), VS_ERR_NOT_LOADED);
    assert_int_equal(none.calls, 1);
    assert_int_equal(none.err.status, VS_ERR_NOT_LOADED);

    put_profile(f, 22, "{\"Wallet\":{\"Coins\":2}}", 1, 1, NULL, NULL, 0);
    assert_int_equal(vs_store_join(f->store, 22, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_wait(f->store, 22, S, record, &slow), VS_OK);
    assert_int_equal(vs_store_wait(f->store, 22, 10 * S, record, &pending), VS_OK);
    fake_advance(&f->fp, S - 1);
    assert_int_equal(slow.calls, 0);
    fake_advance(&f->fp, 1); /* the load is still in flight, with no error yet */
    assert_int_equal(slow.calls, 1);
    assert_int_equal(slow.err.status, VS_ERR_TIMEOUT);
    assert_int_equal(pending.calls, 0);

    fake_complete_all(&f->fp);
    assert_int_equal(pending.calls, 1);
    assert_false(pending.failed);
    assert_int_equal(vs_store_wait(f->store, 22, S, record, &ready), VS_OK);
    assert_int_equal(ready.calls, 1);
    assert_false(ready.failed);
    fake_run(&f->fp, 20 * S); /* no timeout fires after the answer */
    assert_int_equal(slow.calls + pending.calls + ready.calls, 3);
}

/* ------------------------------------------------------------------------------------------
 * Saving
 * ---------------------------------------------------------------------------------------- */

static void autosave_skips_unchanged_data_and_saves_changed_data(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.autosave_interval_us = 10 * S, .lease_us = 300 * S});
    load(f, 30);
    size_t made = f->fp.request_count;
    fake_advance(&f->fp, 50 * S);
    assert_int_equal(f->fp.request_count, made);

    set_coins(f, 30, 5);
    fake_advance(&f->fp, 10 * S);
    assert_int_equal(f->fp.request_count, made + 1);
    fake_complete_all(&f->fp);
    assert_true(stored_number(f, 30, "Wallet.Coins") == 5);

    fake_advance(&f->fp, 30 * S);
    assert_int_equal(f->fp.request_count, made + 1);
}

static void autosave_renews_the_lease_every_third_of_its_length_without_changes(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.autosave_interval_us = 60 * S, .lease_us = 30 * S});
    load(f, 31);
    text token = token_of(f, 31);
    assert_int_equal(stored_lease(f, 31).renewals, 0);
    /* The first renewal comes well inside the lease (the first tick is spread at random) ... */
    int64_t waited_us = 0;
    while (stored_lease(f, 31).renewals == 0) {
        fake_run(&f->fp, S);
        waited_us += S;
        assert_true(waited_us <= 20 * S);
    }
    /* ... and from then on one every lease_us / 3, with nothing changed. */
    for (int64_t n = 2; n <= 5; n++) {
        fake_run(&f->fp, 10 * S);
        assert_int_equal(stored_lease(f, 31).renewals, n);
    }
    assert_string_equal(stored_lease(f, 31).token, token.s);
    assert_string_equal(stored_data(f, 31).s, TEMPLATE);
}

static void saves_asked_for_while_one_is_in_flight_merge_into_one(void **state)
{
    fixture *f = *state;
    load(f, 32);
    set_coins(f, 32, 1);
    assert_int_equal(vs_store_save(f->store, 32), VS_OK);
    size_t first = newest_open(f);
    assert_int_equal(vs_store_state(f->store, 32), VS_SESSION_SAVING);
    set_coins(f, 32, 2);
    assert_int_equal(vs_store_save(f->store, 32), VS_OK);
    assert_int_equal(vs_store_save(f->store, 32), VS_OK);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    assert_int_equal(f->fp.request_count, first + 1);

    fake_complete(&f->fp, first, 0);
    assert_true(stored_number(f, 32, "Wallet.Coins") == 1);
    assert_int_equal(f->fp.request_count, first + 2); /* exactly one more write */
    fake_complete(&f->fp, first + 1, 0);
    assert_true(stored_number(f, 32, "Wallet.Coins") == 2);
    assert_int_equal(fake_open_requests(&f->fp), 0);
    assert_int_equal(f->fp.request_count, first + 2);
    assert_int_equal(vs_store_state(f->store, 32), VS_SESSION_ACTIVE);
}

static void save_that_finds_another_sessions_lease_is_lost_and_writes_nothing(void **state)
{
    fixture *f = *state;
    load(f, 33);
    put_foreign_lease_over(f, 33, 2); /* another server took it over */
    text taken = stored_text(f, 33);
    set_coins(f, 33, 9);
    assert_int_equal(vs_store_save(f->store, 33), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(vs_store_state(f->store, 33), VS_SESSION_LOST);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_LOST), 1);
    assert_string_equal(stored_text(f, 33).s, taken.s);

    assert_int_equal(set_at(f, 33, "Wallet.Coins", vs_new_number(10)), VS_ERR_NOT_LOADED);
    assert_int_equal(add_at(f, 33, "Wallet.Coins", 1), VS_ERR_NOT_LOADED);
    assert_int_equal(vs_store_save(f->store, 33), VS_ERR_NOT_LOADED);
    assert_null(get_at(f, 33, "Wallet.Coins"));
    outcome waited = {0};
    vs_store_wait(f->store, 33, S, record, &waited);
    assert_int_equal(waited.calls, 1);
    assert_int_equal(waited.err.status, VS_ERR_LOST);
    fake_run(&f->fp, 600 * S);
    assert_string_equal(stored_text(f, 33).s, taken.s);

    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 33, record, &left), VS_OK);
    assert_int_equal(left.calls, 1);
    assert_int_equal(left.err.status, VS_ERR_LOST);
    assert_int_equal(vs_store_state(f->store, 33), VS_SESSION_NONE);
    assert_string_equal(stored_text(f, 33).s, taken.s);
}

static void save_retried_after_an_ambiguous_commit_writes_the_latest_data(void **state)
{
    fixture *f = *state;
    load(f, 34);
    set_coins(f, 34, 5);
    assert_int_equal(vs_store_save(f->store, 34), VS_OK);
    fake_complete_ambiguous(&f->fp, newest_open(f), 501);
    assert_true(stored_number(f, 34, "Wallet.Coins") == 5);
    assert_int_equal(stored_lease(f, 34).renewals, 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_RETRY), 1);

    set_coins(f, 34, 7);
    fake_advance(&f->fp, S / 2);
    fake_complete_all(&f->fp);
    assert_true(stored_number(f, 34, "Wallet.Coins") == 7);
    assert_int_equal(stored_lease(f, 34).renewals, 2);
    assert_int_equal(vs_store_state(f->store, 34), VS_SESSION_ACTIVE);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_LOST), 0);
}

static void save_whose_answer_was_lost_is_retried_harmlessly(void **state)
{
    fixture *f = *state;
    load(f, 35);
    set_coins(f, 35, 5);
    assert_int_equal(vs_store_save(f->store, 35), VS_OK);
    size_t i = newest_open(f);
    fake_commit(&f->fp, i); /* written; the answer never comes ... */
    set_coins(f, 35, 6);
    fake_complete(&f->fp, i, 504); /* ... and the request times out */
    fake_advance(&f->fp, S / 2);
    fake_complete_all(&f->fp);
    assert_true(stored_number(f, 35, "Wallet.Coins") == 6);
    assert_int_equal(stored_lease(f, 35).renewals, 2);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_LOST), 0);
    assert_int_equal(vs_store_state(f->store, 35), VS_SESSION_ACTIVE);
}

static void release_whose_first_try_committed_is_recognised_on_retry(void **state)
{
    fixture *f = *state;
    load(f, 36);
    text token = token_of(f, 36);
    set_coins(f, 36, 3);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 36, record, &left), VS_OK);
    fake_complete_ambiguous(&f->fp, newest_open(f), 501);
    assert_false(stored_lease(f, 36).held);
    assert_string_equal(stored_last_token(f, 36).s, token.s);
    assert_int_equal(left.calls, 0);

    fake_advance(&f->fp, S / 2);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_LOST), 0);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_PROFILE_RELEASED), 1);
    assert_false(stored_lease(f, 36).held);
    assert_true(stored_number(f, 36, "Wallet.Coins") == 3);
    assert_int_equal(vs_store_state(f->store, 36), VS_SESSION_NONE);
}

static void unstorable_value_refuses_the_save_and_stays_in_memory(void **state)
{
    fixture *f = *state;
    load(f, 37);
    size_t made = f->fp.request_count;
    assert_int_equal(set_at(f, 37, "Wallet.Coins", vs_new_number(NAN)), VS_OK);
    assert_int_equal(vs_store_save(f->store, 37), VS_OK);
    assert_int_equal(f->fp.request_count, made);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_VALIDATION_FAILED), 1);
    assert_int_equal(fake_event_code(&f->fp, VS_EV_VALIDATION_FAILED), VS_ERR_NOT_FINITE);
    assert_true(isnan(vs_number_of(get_at(f, 37, "Wallet.Coins"))));
    assert_int_equal(vs_store_state(f->store, 37), VS_SESSION_ACTIVE);
    assert_string_equal(stored_data(f, 37).s, TEMPLATE);

    set_coins(f, 37, 4); /* fixed: saves again */
    assert_int_equal(vs_store_save(f->store, 37), VS_OK);
    fake_complete_all(&f->fp);
    assert_true(stored_number(f, 37, "Wallet.Coins") == 4);
}

static void user_validator_refuses_the_save_and_keeps_the_data(void **state)
{
    fixture *f = *state;
    use_coins_validator(f);
    load(f, 38);
    size_t made = f->fp.request_count;
    set_coins(f, 38, -5);
    assert_int_equal(vs_store_save(f->store, 38), VS_OK);
    assert_int_equal(f->fp.request_count, made);
    assert_int_equal(fake_event_code(&f->fp, VS_EV_VALIDATION_FAILED), VS_ERR_INVALID);
    assert_true(vs_number_of(get_at(f, 38, "Wallet.Coins")) == -5);
    assert_string_equal(stored_data(f, 38).s, TEMPLATE);
}

static void release_of_unstorable_data_still_gives_the_lease_back(void **state)
{
    fixture *f = *state;
    load(f, 39);
    text token = token_of(f, 39);
    set_coins(f, 39, 4);
    assert_int_equal(vs_store_save(f->store, 39), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(set_at(f, 39, "Wallet.Coins", vs_new_number(INFINITY)), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 39, NULL, NULL), VS_OK);
    fake_complete_all(&f->fp);
    assert_false(stored_lease(f, 39).held);
    assert_string_equal(stored_last_token(f, 39).s, token.s);
    assert_true(stored_number(f, 39, "Wallet.Coins") == 4);
    assert_int_equal(vs_store_state(f->store, 39), VS_SESSION_NONE);
}

/* ------------------------------------------------------------------------------------------
 * Release and sessions
 * ---------------------------------------------------------------------------------------- */

static void leave_saves_and_releases_keeping_the_generation(void **state)
{
    fixture *f = *state;
    put_profile(f, 40, "{\"Inventory\":[],\"Wallet\":{\"Coins\":1}}", 1, 4, NULL, NULL, 0);
    load(f, 40);
    text token = token_of(f, 40);
    set_coins(f, 40, 8);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 40, record, &left), VS_OK);
    assert_int_equal(vs_store_state(f->store, 40), VS_SESSION_RELEASING);
    assert_int_equal(vs_store_leave(f->store, 40, record, &left), VS_ERR_BUSY);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_false(stored_lease(f, 40).held);
    assert_int_equal(stored_meta(f, 40, "generation"), 5);
    assert_string_equal(stored_last_token(f, 40).s, token.s);
    assert_true(stored_number(f, 40, "Wallet.Coins") == 8);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_PROFILE_RELEASED), 1);
    assert_int_equal(vs_store_session_count(f->store), 0);
    assert_int_equal(fake_active_timers(&f->fp), 0);
}

static void nothing_writes_or_acquires_after_a_release(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.autosave_interval_us = 5 * S, .lease_us = 15 * S});
    load(f, 41);
    set_coins(f, 41, 2);
    assert_int_equal(vs_store_leave(f->store, 41, NULL, NULL), VS_OK);
    fake_complete_all(&f->fp);
    size_t made = f->fp.request_count;
    fake_run(&f->fp, 3600 * S);
    assert_int_equal(f->fp.request_count, made);
    assert_false(stored_lease(f, 41).held);
}

static void release_cancels_a_pending_save_retry(void **state)
{
    fixture *f = *state;
    load(f, 42);
    set_coins(f, 42, 2);
    assert_int_equal(vs_store_save(f->store, 42), VS_OK);
    fake_complete(&f->fp, newest_open(f), 503); /* the save waits to retry */
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 42, record, &left), VS_OK);
    assert_int_equal(fake_open_requests(&f->fp), 1); /* the release goes at once */
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    size_t made = f->fp.request_count;
    fake_run(&f->fp, 3600 * S);
    assert_int_equal(f->fp.request_count, made);
    assert_false(stored_lease(f, 42).held);
    assert_true(stored_number(f, 42, "Wallet.Coins") == 2);
}

static void release_request_from_another_server_releases_the_named_session(void **state)
{
    fixture *f = *state;
    load(f, 43);
    text token = token_of(f, 43);
    assert_string_equal(f->fp.subs[0].topic, "vstore.release/fake.1#1");
    assert_string_equal(f->fp.subs[1].topic, "vstore.inbox/fake.1#1");
    fake_deliver(&f->fp, "vstore.release/fake.1#1", "PlayerData\nPlayer_43\nnot-the-token");
    fake_deliver(&f->fp, "vstore.release/fake.1#1", "OtherStore\nPlayer_43\n");
    assert_int_equal(vs_store_state(f->store, 43), VS_SESSION_ACTIVE);

    char body[128];
    snprintf(body, sizeof body, "PlayerData\nPlayer_43\n%.40s", token.s);
    fake_deliver(&f->fp, "vstore.release/fake.1#1", body);
    assert_int_equal(vs_store_state(f->store, 43), VS_SESSION_RELEASING);
    fake_complete_all(&f->fp);
    assert_false(stored_lease(f, 43).held);
    assert_int_equal(vs_store_state(f->store, 43), VS_SESSION_NONE);
}

/* A leave while a plain save is in flight: the save ends, then the release is a write of
 * its own, with the data as it was at the leave. */
static void leave_during_a_save_in_flight_writes_the_latest_data(void **state)
{
    fixture *f = *state;
    load(f, 70);
    set_coins(f, 70, 1);
    assert_int_equal(vs_store_save(f->store, 70), VS_OK);
    set_coins(f, 70, 2);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 70, record, &left), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_false(stored_lease(f, 70).held);
    assert_true(stored_number(f, 70, "Wallet.Coins") == 2);
}

/* The same when the save's transform ran (renewing the lease) before the leave. */
static void leave_after_a_save_committed_still_gives_the_lease_back(void **state)
{
    fixture *f = *state;
    load(f, 71);
    set_coins(f, 71, 1);
    assert_int_equal(vs_store_save(f->store, 71), VS_OK);
    size_t save = newest_open(f);
    fake_commit(&f->fp, save); /* the store ran the save's transform; the answer is on its way */
    set_coins(f, 71, 2);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 71, record, &left), VS_OK);
    fake_complete(&f->fp, save, 0);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_int_equal(vs_store_state(f->store, 71), VS_SESSION_NONE);
    assert_false(stored_lease(f, 71).held);
    assert_true(stored_number(f, 71, "Wallet.Coins") == 2);
}

static void rejoin_while_releasing_loads_one_session_after_the_release(void **state)
{
    fixture *f = *state;
    load(f, 44);
    text old_token = token_of(f, 44);
    set_coins(f, 44, 5);
    outcome left = {0}, rejoined = {0};
    assert_int_equal(vs_store_leave(f->store, 44, record, &left), VS_OK);
    size_t release = newest_open(f);
    assert_int_equal(vs_store_join(f->store, 44, record, &rejoined), VS_OK);
    assert_int_equal(vs_store_join(f->store, 44, record, &rejoined), VS_ERR_BUSY);
    assert_int_equal(vs_store_session_count(f->store), 1);
    assert_int_equal(fake_open_requests(&f->fp), 1); /* no load before the release */

    fake_complete(&f->fp, release, 0);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_int_equal(vs_store_session_count(f->store), 1);
    assert_int_equal(vs_store_state(f->store, 44), VS_SESSION_LOADING);
    assert_int_equal(rejoined.calls, 0);
    fake_complete_all(&f->fp);
    assert_int_equal(rejoined.calls, 1);
    assert_false(rejoined.failed);
    assert_true(vs_number_of(get_at(f, 44, "Wallet.Coins")) == 5);
    vs_lease l = stored_lease(f, 44);
    assert_true(l.held);
    assert_string_not_equal(l.token, old_token.s);
    assert_int_equal(l.generation, 2);
}

/* ENGINE BUG (vs_store_leave, found by scenarios/field/fast-rejoin.yaml): a player who left
 * again while a rejoin waited for the old session's release lost both calls: the waiting
 * join was never answered and the new leave never called back, so game code waiting on either
 * hung. The join is answered "not loaded" and the leave at once; nothing loads. */
static void leave_before_a_waiting_rejoin_loads_answers_both_calls(void **state)
{
    fixture *f = *state;
    load(f, 45);
    outcome left = {0}, rejoined = {0}, left_again = {0};
    assert_int_equal(vs_store_leave(f->store, 45, record, &left), VS_OK);
    size_t release = newest_open(f);
    assert_int_equal(vs_store_join(f->store, 45, record, &rejoined), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 45, record, &left_again), VS_OK);
    assert_int_equal(rejoined.calls, 1);
    assert_true(rejoined.failed);
    assert_int_equal(rejoined.err.status, VS_ERR_NOT_LOADED);
    assert_int_equal(left_again.calls, 1);
    assert_false(left_again.failed);
    fake_complete(&f->fp, release, 0);
    fake_run(&f->fp, 10 * S);
    assert_int_equal(left.calls, 1);
    assert_int_equal(rejoined.calls, 1);
    assert_int_equal(vs_store_state(f->store, 45), VS_SESSION_NONE);
    assert_false(stored_lease(f, 45).held);
}

/* ENGINE BUG (save_done, found by scenarios/field/nil-read.yaml): a save that reads the key it
 * holds as missing is retried, but its attempt count was reset first, so it retried every few
 * hundred milliseconds for as long as the reads lied (61 times in 27 s), burning the budget.
 * The waits now grow like every other retry's. */
static void save_that_reads_nil_backs_off(void **state)
{
    fixture *f = *state;
    load(f, 46);
    set_coins(f, 46, 7);
    fake_remove(&f->fp, "Player_46"); /* every read of it says nothing from now on */
    size_t before = fake_request_count(&f->fp, FAKE_UPDATE);
    assert_int_equal(vs_store_save(f->store, 46), VS_OK);
    fake_run(&f->fp, 30 * S);
    size_t tries = fake_request_count(&f->fp, FAKE_UPDATE) - before;
    assert_true(tries >= 3);
    assert_true(tries <= 12); /* 0.25-0.5 s doubling to the 30 s cap: about 8 in 30 s */
    assert_true(fake_event_count(&f->fp, VS_EV_NIL_READ_SUSPECTED) >= 3);
}

static void close_releases_every_session_at_once_and_calls_done_once(void **state)
{
    fixture *f = *state;
    for (int64_t u = 1; u <= 3; u++) {
        load(f, u);
        set_coins(f, u, (double)u * 10);
    }
    int closed = 0;
    vs_store_close(f->store, count_call, &closed);
    assert_int_equal(fake_open_requests(&f->fp), 3);
    assert_int_equal(closed, 0);
    assert_int_equal(vs_store_join(f->store, 9, NULL, NULL), VS_ERR_CLOSED);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0);
    assert_int_equal(closed, 0);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0);
    assert_int_equal(closed, 1);
    for (int64_t u = 1; u <= 3; u++) {
        assert_false(stored_lease(f, u).held);
        assert_true(stored_number(f, u, "Wallet.Coins") == (double)u * 10);
    }
    fake_run(&f->fp, 60 * S);
    assert_int_equal(closed, 1);
    assert_int_equal(vs_store_session_count(f->store), 0);
}

static void close_with_no_sessions_calls_done_at_once(void **state)
{
    fixture *f = *state;
    int closed = 0;
    vs_store_close(f->store, count_call, &closed);
    assert_int_equal(closed, 1);
}

static void closing_shortens_the_retry_backoff_to_a_second(void **state)
{
    fixture *f = *state;
    load(f, 45);
    int closed = 0;
    vs_store_close(f->store, count_call, &closed);
    for (int k = 0; k < 10; k++) {
        fake_complete(&f->fp, newest_open(f), 503);
        assert_int_equal(fake_open_requests(&f->fp), 0);
        fake_advance(&f->fp, S);
        assert_int_equal(fake_open_requests(&f->fp), 1);
    }
    fake_complete_all(&f->fp);
    assert_int_equal(closed, 1);
    assert_false(stored_lease(f, 45).held);
}

static void close_retries_a_release_waiting_on_a_long_backoff_at_once(void **state)
{
    fixture *f = *state;
    load(f, 46);
    assert_int_equal(vs_store_leave(f->store, 46, NULL, NULL), VS_OK);
    for (int k = 0; k < 6; k++) {
        if (k > 0)
            fake_advance(&f->fp, 30 * S);
        fake_complete(&f->fp, newest_open(f), 503);
    }
    assert_int_equal(fake_open_requests(&f->fp), 0); /* the next try is 8-16 s away */
    int closed = 0;
    vs_store_close(f->store, count_call, &closed);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    fake_complete_all(&f->fp);
    assert_int_equal(closed, 1);
    assert_false(stored_lease(f, 46).held);
}

/* ------------------------------------------------------------------------------------------
 * The API
 * ---------------------------------------------------------------------------------------- */

static void changes_are_refused_until_loaded(void **state)
{
    fixture *f = *state;
    assert_int_equal(add_at(f, 50, "Wallet.Coins", 1), VS_ERR_NOT_LOADED); /* no session */
    assert_int_equal(vs_store_save(f->store, 50), VS_ERR_NOT_LOADED);
    assert_int_equal(vs_store_join(f->store, 50, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_join(f->store, 50, NULL, NULL), VS_ERR_BUSY);
    assert_int_equal(add_at(f, 50, "Wallet.Coins", 1), VS_ERR_NOT_LOADED); /* loading */
    assert_int_equal(set_at(f, 50, "Wallet.Coins", vs_new_number(1)), VS_ERR_NOT_LOADED);
    assert_int_equal(insert_at(f, 50, "Inventory", 0, vs_new_string("x")), VS_ERR_NOT_LOADED);
    assert_int_equal(remove_at(f, 50, "Wallet"), VS_ERR_NOT_LOADED);
    assert_null(get_at(f, 50, "Wallet"));
    fake_complete_all(&f->fp);
    assert_int_equal(add_at(f, 50, "Wallet.Coins", 1), VS_OK);
    assert_true(vs_number_of(get_at(f, 50, "Wallet.Coins")) == 1);
}

static void wrong_types_and_missing_parents_are_refused_and_change_nothing(void **state)
{
    fixture *f = *state;
    load(f, 51);
    assert_int_equal(insert_at(f, 51, "Inventory", 0, vs_new_string("Sword")), VS_OK);
    text before = memory(f, 51);
    assert_int_equal(set_at(f, 51, "Wallet.Coins.Copper", vs_new_number(1)), VS_ERR_TYPE);
    assert_int_equal(set_at(f, 51, "Bank.Coins", vs_new_number(1)), VS_ERR_NO_PARENT);
    assert_int_equal(set_at(f, 51, "Inventory.5", vs_new_number(1)), VS_ERR_INDEX);
    assert_int_equal(add_at(f, 51, "Inventory", 1), VS_ERR_TYPE);
    assert_int_equal(add_at(f, 51, "Inventory.1", 1), VS_ERR_TYPE);
    assert_int_equal(add_at(f, 51, "Wallet.Gems", 1), VS_ERR_NOT_FOUND);
    assert_int_equal(add_at(f, 51, "Bank.Coins", 1), VS_ERR_NO_PARENT);
    assert_int_equal(add_at(f, 51, "Wallet.Coins", INFINITY), VS_ERR_NOT_FINITE);
    assert_int_equal(insert_at(f, 51, "Wallet", 0, vs_new_string("x")), VS_ERR_TYPE);
    assert_int_equal(insert_at(f, 51, "Bank.Items", 0, vs_new_string("x")), VS_ERR_NO_PARENT);
    assert_int_equal(insert_at(f, 51, "Inventory", 9, vs_new_string("x")), VS_ERR_INDEX);
    assert_int_equal(remove_at(f, 51, "Wallet.Gems"), VS_ERR_NOT_FOUND);
    assert_int_equal(remove_at(f, 51, "Bank.Coins"), VS_ERR_NO_PARENT);
    assert_int_equal(remove_at(f, 51, "Wallet.Coins.Copper"), VS_ERR_TYPE);
    assert_null(get_at(f, 51, "Bank.Coins"));
    assert_string_equal(memory(f, 51).s, before.s);
    assert_string_equal(before.s, "{\"Inventory\":[\"Sword\"],\"Wallet\":{\"Coins\":0}}");
}

static vs_status edit_give_gold(void *arg, vs_value *draft)
{
    (void)arg;
    vs_path p = path_of("Wallet.Coins");
    vs_status st = vs_path_add(draft, &p, 100);
    vs_path_free(&p);
    if (st == VS_OK) {
        vs_path inv = path_of("Inventory");
        st = vs_path_insert(draft, &inv, 0, vs_new_string("Gold bar"));
        vs_path_free(&inv);
    }
    return st;
}

/* Changes a lot, then returns the status it is given. */
static vs_status edit_then_fail(void *arg, vs_value *draft)
{
    vs_status *result = arg;
    assert_int_equal(edit_give_gold(NULL, draft), VS_OK);
    vs_map_set(draft, "Junk", vs_new_bool(true));
    vs_free(vs_map_take(draft, "Wallet"));
    return *result;
}

static void edit_commits_the_draft_when_it_returns_ok(void **state)
{
    fixture *f = *state;
    load(f, 52);
    assert_int_equal(vs_store_edit(f->store, 52, edit_give_gold, NULL), VS_OK);
    assert_string_equal(memory(f, 52).s, "{\"Inventory\":[\"Gold bar\"],\"Wallet\":{\"Coins\":100}}");
}

static void cancelled_or_failed_edit_leaves_the_data_byte_identical(void **state)
{
    fixture *f = *state;
    load(f, 53);
    text before = memory(f, 53);
    vs_status cancel = VS_ERR_CANCELLED, fail = VS_ERR_REQUIRE;
    assert_int_equal(vs_store_edit(f->store, 53, edit_then_fail, &cancel), VS_ERR_CANCELLED);
    assert_string_equal(memory(f, 53).s, before.s);
    assert_int_equal(vs_store_edit(f->store, 53, edit_then_fail, &fail), VS_ERR_REQUIRE);
    assert_string_equal(memory(f, 53).s, before.s);
    assert_int_equal(vs_store_edit(f->store, 999, edit_give_gold, NULL), VS_ERR_NOT_LOADED);
}

typedef struct lock_log {
    int calls;
    vs_lock_id id;
} lock_log;

static void on_locked(void *arg, int64_t user_id, vs_lock_id lock)
{
    (void)user_id;
    lock_log *log = arg;
    log->calls++;
    log->id = lock;
}

static void locks_queue_block_plain_changes_and_hand_over(void **state)
{
    fixture *f = *state;
    load(f, 54);
    lock_log a = {0}, b = {0};
    assert_int_equal(vs_store_lock(f->store, 54, on_locked, &a), VS_OK);
    assert_int_equal(a.calls, 1);
    assert_int_equal(vs_store_lock(f->store, 54, on_locked, &b), VS_OK);
    assert_int_equal(b.calls, 0);

    text before = memory(f, 54);
    assert_int_equal(set_at(f, 54, "Wallet.Coins", vs_new_number(1)), VS_ERR_BUSY);
    assert_int_equal(add_at(f, 54, "Wallet.Coins", 1), VS_ERR_BUSY);
    assert_int_equal(insert_at(f, 54, "Inventory", 0, vs_new_string("x")), VS_ERR_BUSY);
    assert_int_equal(remove_at(f, 54, "Wallet"), VS_ERR_BUSY);
    assert_int_equal(vs_store_edit(f->store, 54, edit_give_gold, NULL), VS_ERR_BUSY);
    assert_int_equal(vs_store_edit_locked(f->store, 54, a.id + 1, edit_give_gold, NULL), VS_ERR_BUSY);
    assert_int_equal(vs_store_edit_locked(f->store, 54, 0, edit_give_gold, NULL), VS_ERR_BUSY);
    assert_string_equal(memory(f, 54).s, before.s);
    assert_int_equal(vs_store_edit_locked(f->store, 54, a.id, edit_give_gold, NULL), VS_OK);
    assert_true(vs_number_of(get_at(f, 54, "Wallet.Coins")) == 100);

    assert_int_equal(vs_store_unlock(f->store, 54, a.id + 7), VS_ERR_ARG);
    assert_int_equal(vs_store_unlock(f->store, 54, a.id), VS_OK);
    assert_int_equal(b.calls, 1);
    assert_true(b.id != a.id);
    assert_int_equal(vs_store_edit_locked(f->store, 54, a.id, edit_give_gold, NULL), VS_ERR_BUSY);
    assert_int_equal(set_at(f, 54, "Wallet.Coins", vs_new_number(1)), VS_ERR_BUSY);
    assert_int_equal(vs_store_edit_locked(f->store, 54, b.id, edit_give_gold, NULL), VS_OK);
    assert_int_equal(vs_store_unlock(f->store, 54, b.id), VS_OK);
    assert_int_equal(set_at(f, 54, "Wallet.Coins", vs_new_number(1)), VS_OK);
}

typedef struct inspected {
    int calls;
    bool failed;
    text doc;
} inspected;

static void on_inspected(void *arg, int64_t user_id, const vs_value *document, const vs_error *err)
{
    (void)user_id;
    inspected *in = arg;
    in->calls++;
    in->failed = err != NULL;
    in->doc = json_of(document);
}

static void inspect_reads_the_stored_document_without_taking_the_lease(void **state)
{
    fixture *f = *state;
    put_profile(f, 55, "{\"Wallet\":{\"Coins\":3}}", 1, 2, OTHER_OWNER, OTHER_TOKEN, 1);
    text before = stored_text(f, 55);
    inspected in = {0};
    assert_int_equal(vs_store_inspect(f->store, 55, on_inspected, &in), VS_OK);
    assert_int_equal(fake_request_at(&f->fp, 0)->kind, FAKE_GET);
    fake_complete_all(&f->fp);
    assert_int_equal(in.calls, 1);
    assert_false(in.failed);
    assert_string_equal(in.doc.s, before.s);
    assert_string_equal(stored_text(f, 55).s, before.s);
    assert_int_equal(vs_store_session_count(f->store), 0);

    inspected missing = {0};
    assert_int_equal(vs_store_inspect(f->store, 56, on_inspected, &missing), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(missing.calls, 1);
    assert_false(missing.failed);
    assert_string_equal(missing.doc.s, "(none)");
    assert_null(stored(f, 56));
}

static void clear_lease_removes_a_stale_lease_and_keeps_data_and_generation(void **state)
{
    fixture *f = *state;
    put_profile(f, 57, "{\"Inventory\":[],\"Wallet\":{\"Coins\":30}}", 1, 6, OTHER_OWNER, OTHER_TOKEN, 4);
    outcome cleared = {0};
    assert_int_equal(vs_store_clear_lease(f->store, 57, record, &cleared), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(cleared.calls, 1);
    assert_false(cleared.failed);
    assert_false(stored_lease(f, 57).held);
    assert_int_equal(stored_meta(f, 57, "generation"), 6);
    assert_string_equal(stored_data(f, 57).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":30}}");

    /* The next join loads at once, without waiting out the old lease. */
    load(f, 57);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 0);
    assert_int_equal(stored_lease(f, 57).generation, 7);
}

static void clear_lease_refuses_a_profile_this_server_has_loaded(void **state)
{
    fixture *f = *state;
    load(f, 58);
    text before = stored_text(f, 58);
    size_t made = f->fp.request_count;
    outcome cleared = {0};
    vs_status st = vs_store_clear_lease(f->store, 58, record, &cleared);
    fake_complete_all(&f->fp);
    /* Refused one way or the other (the return value or done), and nothing written. */
    assert_true(st == VS_ERR_LEASE_HELD || (cleared.calls == 1 && cleared.err.status == VS_ERR_LEASE_HELD));
    assert_int_equal(f->fp.request_count, made);
    assert_string_equal(stored_text(f, 58).s, before.s);
}

static vs_status repair_set_coins(void *arg, vs_value *draft)
{
    vs_path p = path_of("Wallet.Coins");
    vs_status st = vs_path_set(draft, &p, vs_new_number(*(double *)arg));
    vs_path_free(&p);
    return st;
}

static void repair_is_refused_while_a_lease_is_held(void **state)
{
    fixture *f = *state;
    put_profile(f, 59, "{\"Wallet\":{\"Coins\":1}}", 1, 2, OTHER_OWNER, OTHER_TOKEN, 0);
    text before = stored_text(f, 59);
    double coins = 99;
    outcome repaired = {0};
    assert_int_equal(vs_store_repair(f->store, 59, repair_set_coins, &coins, record, &repaired), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(repaired.calls, 1);
    assert_int_equal(repaired.err.status, VS_ERR_LEASE_HELD);
    assert_string_equal(stored_text(f, 59).s, before.s);
}

static void repair_applies_to_a_free_profile(void **state)
{
    fixture *f = *state;
    put_profile(f, 60, "{\"Wallet\":{\"Coins\":1}}", 1, 3, NULL, NULL, 0);
    double coins = 99;
    outcome repaired = {0};
    assert_int_equal(vs_store_repair(f->store, 60, repair_set_coins, &coins, record, &repaired), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(repaired.calls, 1);
    assert_false(repaired.failed);
    assert_string_equal(stored_data(f, 60).s, "{\"Wallet\":{\"Coins\":99}}");
    assert_int_equal(stored_meta(f, 60, "generation"), 3);
    assert_int_equal(stored_meta(f, 60, "schema"), 1);
    assert_false(stored_lease(f, 60).held);
    assert_int_equal(vs_store_session_count(f->store), 0);
}

static void repair_that_fails_validation_writes_nothing(void **state)
{
    fixture *f = *state;
    put_profile(f, 61, "{\"Wallet\":{\"Coins\":1}}", 1, 3, NULL, NULL, 0);
    text before = stored_text(f, 61);
    double coins = NAN;
    outcome repaired = {0};
    assert_int_equal(vs_store_repair(f->store, 61, repair_set_coins, &coins, record, &repaired), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(repaired.calls, 1);
    assert_int_equal(repaired.err.status, VS_ERR_NOT_FINITE);
    assert_string_equal(stored_text(f, 61).s, before.s);
    assert_int_equal(vs_store_repair(f->store, 61, NULL, NULL, record, &repaired), VS_ERR_ARG);
}

static void critical_state_is_entered_after_n_errors_and_left_after_a_quiet_window(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.critical_threshold = 3, .critical_window_us = 10 * S});
    assert_int_equal(vs_store_join(f->store, 62, NULL, NULL), VS_OK);
    fake_complete(&f->fp, newest_open(f), 501);
    fake_advance(&f->fp, S / 2);
    fake_complete(&f->fp, newest_open(f), 501);
    assert_false(vs_store_is_critical(f->store));
    assert_int_equal(fake_event_count(&f->fp, VS_EV_CRITICAL_ENTERED), 0);
    fake_advance(&f->fp, S);
    fake_complete(&f->fp, newest_open(f), 501);
    assert_true(vs_store_is_critical(f->store));
    assert_int_equal(fake_event_count(&f->fp, VS_EV_CRITICAL_ENTERED), 1);

    fake_advance(&f->fp, 2 * S);
    fake_complete_all(&f->fp); /* loads: a success, but within the window */
    assert_int_equal(vs_store_state(f->store, 62), VS_SESSION_ACTIVE);
    assert_true(vs_store_is_critical(f->store));
    assert_int_equal(fake_event_count(&f->fp, VS_EV_CRITICAL_LEFT), 0);

    fake_run(&f->fp, 10 * S);
    assert_int_equal(vs_store_save(f->store, 62), VS_OK);
    fake_complete_all(&f->fp);
    assert_false(vs_store_is_critical(f->store));
    assert_int_equal(fake_event_count(&f->fp, VS_EV_CRITICAL_LEFT), 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_CRITICAL_ENTERED), 1);
}

static void store_config_is_checked(void **state)
{
    fixture *f = *state;
    vs_store *s = NULL;
    vs_value *not_a_map = vs_new_array();
    vs_store_config cfg = {.name = "PlayerData", .template_ = not_a_map};
    assert_int_equal(vs_store_new(&cfg, &f->fp.platform, &s), VS_ERR_ARG);
    assert_null(s);
    vs_free(not_a_map);
    cfg = (vs_store_config){.name = "PlayerData", .template_ = f->template_,
                            .retry = {.base_us = 10 * S, .max_us = S}};
    assert_int_equal(vs_store_new(&cfg, &f->fp.platform, &s), VS_ERR_ARG);
    assert_int_equal(vs_migrations_add_fn(&f->migrations, 2, "gap", add_level, NULL), VS_OK);
    cfg = (vs_store_config){.name = "PlayerData", .template_ = f->template_, .schema = 4,
                            .migrations = &f->migrations};
    assert_int_equal(vs_store_new(&cfg, &f->fp.platform, &s), VS_ERR_MIGRATION);
    assert_null(s);
    char key[64];
    vs_store_key(f->store, 42, key, sizeof key);
    assert_string_equal(key, "Player_42");
}

/* ------------------------------------------------------------------------------------------
 * ENGINE BUGS: each test below fails against the current core/store.c; the comment above it
 * says what is wrong and where.
 * ---------------------------------------------------------------------------------------- */

/* ENGINE BUG (load_done, "Loaded for nobody"): when the player leaves while the load is in
 * flight and the load then acquires the lease, the join's callback is never called (only
 * end_session_with and loaded() call finish_waiting). store.h: "done hears the end of it". */
static void leave_during_loading_tells_the_join_callback(void **state)
{
    fixture *f = *state;
    put_profile(f, 72, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3}}", 1, 1, NULL, NULL, 0);
    outcome joined = {0}, left = {0};
    assert_int_equal(vs_store_join(f->store, 72, record, &joined), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 72, record, &left), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_int_equal(joined.calls, 1);
    assert_true(joined.failed);
}

/* ENGINE BUG (load_done, "Loaded for nobody"): a leave during the load of an older-schema
 * profile copies the unmigrated stored data into s->data and releases it through
 * save_transform, which writes it with meta.schema = the store's schema. The data is then
 * labelled with the new schema without having been migrated, so its migrations never run.
 * (It should release the lease without writing data, or migrate first.) */
static void leave_during_loading_of_an_old_schema_does_not_stamp_unmigrated_data(void **state)
{
    fixture *f = *state;
    add_gems_migration(f);
    open_store(f, (vs_store_config){.schema = 2, .migrations = &f->migrations});
    put_profile(f, 73, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3}}", 1, 1, NULL, NULL, 0);
    assert_int_equal(vs_store_join(f->store, 73, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 73, NULL, NULL), VS_OK);
    fake_complete_all(&f->fp);
    assert_false(stored_lease(f, 73).held);
    if (stored_meta(f, 73, "schema") == 2)
        assert_string_equal(stored_data(f, 73).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3,\"Gems\":0}}");
    else
        assert_string_equal(stored_data(f, 73).s, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3}}");
}

/* ENGINE BUG (load_transform, held_changed): when the store runs the load transform again on
 * a conflict (PLATFORM.md: UpdateAsync re-runs it "as often as needed") and both runs see the
 * same new lease, the second run computes held_changed = false because the first run already
 * stored it in s->held. load_done then neither starts the stale timer nor asks the holder to
 * release, and no later attempt ever sees a "change": a dead holder's lease is never taken
 * over. held_changed must compare with what the previous completed attempt saw. */
static void transform_rerun_on_conflict_does_not_stop_the_takeover_clock(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.lease_us = 30 * S});
    put_profile(f, 74, "{\"Wallet\":{\"Coins\":1}}", 1, 3, OTHER_OWNER, OTHER_TOKEN, 0);
    assert_int_equal(vs_store_join(f->store, 74, NULL, NULL), VS_OK);
    fake_conflict(&f->fp, 0); /* the first run is thrown away: someone wrote the inbox */
    fake_complete(&f->fp, 0, 0);
    fake_run(&f->fp, 60 * S);
    assert_int_equal(vs_store_state(f->store, 74), VS_SESSION_ACTIVE);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_TAKEN_OVER), 1);
    assert_true(f->fp.published_count >= 1);
}

/* ENGINE BUG (save_transform): a release whose first try committed (answered 501) is
 * recognised on retry only when the lease is still free. If another server acquired the
 * profile in between (the player rejoined elsewhere, the usual teleport), last_token still
 * names this session but the lease is held, so the retry is judged SAVE_LOST: the leave
 * reports VS_ERR_LOST and a critical lease_lost event although everything was saved and
 * released. last_token == token alone proves the release committed. */
static void release_retry_after_another_server_acquired_is_not_reported_lost(void **state)
{
    fixture *f = *state;
    load(f, 75);
    set_coins(f, 75, 3);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 75, record, &left), VS_OK);
    fake_complete_ambiguous(&f->fp, newest_open(f), 501);
    put_foreign_lease_over(f, 75, 2); /* the player joined another server meanwhile */
    fake_advance(&f->fp, S / 2);
    fake_complete_all(&f->fp);
    assert_int_equal(left.calls, 1);
    assert_true(stored_number(f, 75, "Wallet.Coins") == 3);
    assert_false(left.failed);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LEASE_LOST), 0);
}

/* ENGINE BUG (attempt_save / autosave_tick): while the data fails validation, autosave's
 * renewal is refused together with the data (prepare_snapshot fails, nothing is written), so
 * the lease is not renewed at all, against store.h ("The holder renews at least every
 * lease_us / 3"): after lease_us a contender takes over a live session. The renewal could
 * write the lease alone, as the release already does. */
static void unstorable_data_still_renews_the_lease(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.autosave_interval_us = 60 * S, .lease_us = 30 * S});
    load(f, 76);
    assert_int_equal(set_at(f, 76, "Wallet.Coins", vs_new_number(NAN)), VS_OK);
    fake_run(&f->fp, 40 * S); /* valid data would have been renewed three times */
    assert_true(fake_event_count(&f->fp, VS_EV_VALIDATION_FAILED) >= 1);
    assert_true(stored_lease(f, 76).held);
    assert_true(stored_lease(f, 76).renewals >= 2);
}

/* ENGINE BUG (start_release / release_finished): a leave whose data fails validation gives
 * the lease back without writing the data (right), but then tells the leave's callback NULL,
 * which store.h defines as "saved and released": the game is told its data was saved. */
static void release_of_unstorable_data_reports_that_nothing_was_saved(void **state)
{
    fixture *f = *state;
    load(f, 77);
    assert_int_equal(set_at(f, 77, "Wallet.Coins", vs_new_number(NAN)), VS_OK);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 77, record, &left), VS_OK);
    fake_complete_all(&f->fp);
    assert_false(stored_lease(f, 77).held);
    assert_int_equal(left.calls, 1);
    assert_true(left.failed);
}

/* ENGINE BUG (run_edit): store.h says an edit returning VS_OK "commits the copy (after
 * validation)", but run_edit commits without validating: an edit can make the profile
 * unsavable (or break a user validator) and the change is visible in memory. */
static void edit_that_makes_the_data_invalid_is_discarded(void **state)
{
    fixture *f = *state;
    use_coins_validator(f);
    load(f, 78);
    text before = memory(f, 78);
    double minus = -10;
    vs_status st = vs_store_edit(f->store, 78, repair_set_coins, &minus);
    assert_int_not_equal(st, VS_OK);
    assert_string_equal(memory(f, 78).s, before.s);
}

/* ENGINE BUG (start_repair): store.h says clear_lease is refused with "done gets
 * VS_ERR_LEASE_HELD" while this server has a session of the player; start_repair returns
 * VS_ERR_LEASE_HELD and never calls done, so a caller waiting for done waits forever. */
static void clear_lease_while_this_server_has_a_session_tells_done(void **state)
{
    fixture *f = *state;
    load(f, 79);
    outcome cleared = {0};
    vs_store_clear_lease(f->store, 79, record, &cleared);
    fake_complete_all(&f->fp);
    assert_int_equal(cleared.calls, 1);
    assert_int_equal(cleared.err.status, VS_ERR_LEASE_HELD);
}

/* ENGINE BUG (release_finished): a join made while the player's previous session was
 * releasing (vs_store_join returned VS_OK) is dropped silently when the store closes before the
 * release ends: `rejoin && !store->closing` skips it and rejoin_done is never called. */
static void close_during_a_rejoin_tells_the_rejoins_callback(void **state)
{
    fixture *f = *state;
    load(f, 80);
    outcome rejoined = {0};
    assert_int_equal(vs_store_leave(f->store, 80, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_join(f->store, 80, record, &rejoined), VS_OK);
    int closed = 0;
    vs_store_close(f->store, count_call, &closed);
    fake_complete_all(&f->fp);
    assert_int_equal(closed, 1);
    assert_int_equal(rejoined.calls, 1);
    assert_int_equal(rejoined.err.status, VS_ERR_CLOSED);
}

/* ENGINE BUG (versions_done): a profile that was removed (RemoveAsync, e.g. a data-erasure
 * request) reads as missing and has versions (the tombstone and the writes before it), so the
 * nil-read guard takes it for a lying read forever and the player can never join again for
 * the 30 days the versions are kept. The guard asks for the oldest version only; the newest
 * one (descending) being a deletion means the key truly does not exist. */
static void removed_profile_is_created_afresh_from_the_template(void **state)
{
    fixture *f = *state;
    put_profile(f, 81, "{\"Wallet\":{\"Coins\":5}}", 1, 1, NULL, NULL, 0);
    fake_remove(&f->fp, "Player_81");
    assert_int_equal(vs_store_join(f->store, 81, NULL, NULL), VS_OK);
    fake_run(&f->fp, 60 * S);
    assert_int_equal(vs_store_state(f->store, 81), VS_SESSION_ACTIVE);
    assert_string_equal(stored_data(f, 81).s, TEMPLATE);
}

/* ENGINE BUG (note_success only): the critical state is polled only when a request succeeds,
 * and no timer is set (core/diag.h: "call it on a timer (see vs_critical_leave_delay_us) or
 * on successes"). A server that saw a burst of errors and then has nothing to do stays
 * critical forever, although diag.h promises "with no more errors it is left exactly
 * window_us after entering". */
static void critical_state_is_left_a_window_after_the_errors_even_when_idle(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.critical_threshold = 3, .critical_window_us = 10 * S});
    for (int64_t u = 1; u <= 3; u++) {
        assert_int_equal(vs_store_join(f->store, u, NULL, NULL), VS_OK);
        fake_complete(&f->fp, newest_open(f), 104); /* caller errors: the sessions end */
    }
    assert_true(vs_store_is_critical(f->store));
    fake_run(&f->fp, 11 * S);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_CRITICAL_LEFT), 1);
    assert_false(vs_store_is_critical(f->store));
}

/* ENGINE BUG (save_done -> save_retry_timer -> attempt_save): a leave while a plain save is
 * in flight, and that save then fails transiently (or its answer is lost). save_done
 * schedules a retry; attempt_save sees s->releasing, skips prepare_snapshot and sends the
 * release with the old save's snapshot (writing_release = true). Coins 2, set before the
 * leave, is never written. The retry of a caught save must take a fresh snapshot (as
 * start_release does), e.g. by going through start_release when releasing && !writing_release. */
static void leave_during_a_save_that_then_fails_writes_the_latest_data(void **state)
{
    fixture *f = *state;
    load(f, 82);
    set_coins(f, 82, 1);
    assert_int_equal(vs_store_save(f->store, 82), VS_OK);
    size_t save = newest_open(f);
    set_coins(f, 82, 2);
    outcome left = {0};
    assert_int_equal(vs_store_leave(f->store, 82, record, &left), VS_OK);
    fake_complete(&f->fp, save, 503);
    fake_run(&f->fp, 2 * S);
    assert_int_equal(left.calls, 1);
    assert_false(left.failed);
    assert_false(stored_lease(f, 82).held);
    assert_true(stored_number(f, 82, "Wallet.Coins") == 2);
}

/* ENGINE BUG, minor (autosave_tick / schedule_autosave): the first autosave tick after a load
 * comes at a random point of the first tick (1..lease_us/3 here) and since_write_us counts
 * only that delay, so the first renewal waits for the second tick: up to 2 * lease_us / 3
 * after the load's write, against store.h ("The holder renews at least every lease_us / 3").
 * It still renews before lease_us, but with half the margin against a contender whose timers
 * run fast (clock drift). */
static void first_lease_renewal_comes_within_a_third_of_the_lease(void **state)
{
    fixture *f = *state;
    open_store(f, (vs_store_config){.autosave_interval_us = 60 * S, .lease_us = 30 * S});
    load(f, 83);
    fake_run(&f->fp, 10 * S);
    assert_true(stored_lease(f, 83).renewals >= 1);
}

/* ENGINE BUG (load_done, error path): a leave during loading, and the load then answers a
 * transient error although it committed (PLATFORM.md: "A failed write may have committed").
 * load_done sees leave_requested and ends the session at once (end_session_with), so the
 * lease it may have written is never given back: the player's next join, here or anywhere,
 * waits a whole lease length for a takeover. With a transient code the engine should settle
 * the outcome (retry: the transform recognises its own token) and release. */
static void leave_during_a_load_that_committed_but_failed_still_gives_the_lease_back(void **state)
{
    fixture *f = *state;
    put_profile(f, 84, "{\"Inventory\":[],\"Wallet\":{\"Coins\":3}}", 1, 1, NULL, NULL, 0);
    assert_int_equal(vs_store_join(f->store, 84, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 84, NULL, NULL), VS_OK);
    fake_complete_ambiguous(&f->fp, 0, 501); /* the lease was written; we heard 501 */
    fake_run(&f->fp, 5 * S);
    assert_int_equal(vs_store_state(f->store, 84), VS_SESSION_NONE);
    assert_false(stored_lease(f, 84).held);
}


/* ENGINE BUG (save_transform, found by the quiesce check in a swarm run): a new player leaves
 * while the first load of the profile is failing. The release that follows a failed load
 * (the load might have committed) found no key at all and took it for a nil read of a key it
 * held, so it retried for ever and the session stayed RELEASING: the server could never
 * close. A key that reads as missing holds no lease of ours to give back. */
static void leave_during_a_failed_first_load_ends_even_though_the_key_never_existed(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 85, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 85, NULL, NULL), VS_OK);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 501); /* nothing committed */
    fake_run(&f->fp, 60 * S);
    assert_int_equal(vs_store_state(f->store, 85), VS_SESSION_NONE);
    assert_null(fake_stored(&f->fp, "Player_85"));
    assert_int_equal(fake_event_count(&f->fp, VS_EV_NIL_READ_SUSPECTED), 0);
}

/* ---- durable operations ---- */

typedef struct delivered {
    int calls;
    bool duplicate;
    bool failed;
    vs_status status;
} delivered;

static void on_delivered(void *arg, int64_t user_id, bool duplicate, const vs_error *err)
{
    delivered *d = arg;
    d->calls++;
    d->duplicate = duplicate;
    d->failed = err != NULL;
    d->status = err ? err->status : VS_OK;
}

/* Adds payload.Amount to Wallet.Coins; fails while the "failures" counter it is given is > 0. */
typedef struct grant_handler {
    int failures;
    int calls;
} grant_handler;

static vs_status grant(void *arg, vs_value *draft, const vs_value *payload, char *why, size_t size)
{
    grant_handler *g = arg;
    g->calls++;
    if (g->failures > 0) {
        g->failures--;
        snprintf(why, size, "the shop is closed");
        return VS_ERR_ARG;
    }
    vs_path p;
    vs_path_parse("Wallet.Coins", &p);
    vs_status st = vs_path_add(draft, &p, vs_number_of(vs_map_get(payload, "Amount")));
    vs_path_free(&p);
    return st;
}

static void open_with_grant(fixture *f, grant_handler *g, int max_attempts, int keep)
{
    static vs_op_handler handlers[1];
    handlers[0] = (vs_op_handler){"grant", grant, g};
    open_store(f, (vs_store_config){.handlers = handlers, .handler_count = 1,
                                    .op_max_attempts = max_attempts, .receipt_keep = keep});
}

static vs_value *amount(double n)
{
    vs_value *p = vs_new_map();
    vs_map_set(p, "Amount", vs_new_number(n));
    return p;
}

static void deliver(fixture *f, int64_t user_id, const char *id, double n, delivered *d)
{
    vs_value *p = amount(n);
    assert_int_equal(vs_store_deliver(f->store, user_id, id, "grant", p, on_delivered, d), VS_OK);
    vs_free(p);
}

static size_t meta_len(fixture *f, int64_t user_id, const char *field)
{
    return vs_array_len(vs_doc_meta_array(stored(f, user_id), field));
}

static void delivery_to_an_offline_player_is_applied_once_at_the_next_join(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 0);
    put_profile(f, 8, "{\"Inventory\":[],\"Wallet\":{\"Coins\":5}}", 1, 1, NULL, NULL, 0);
    delivered d = {0};
    deliver(f, 8, "match-1", 100, &d);
    fake_complete_all(&f->fp);
    assert_int_equal(d.calls, 1);
    assert_false(d.duplicate);
    assert_false(d.failed);
    assert_int_equal(meta_len(f, 8, "inbox"), 1);
    assert_true(stored_number(f, 8, "Wallet.Coins") == 5); /* not applied while offline */
    load(f, 8);
    fake_run(&f->fp, 1000);
    assert_int_equal(g.calls, 1);
    assert_true(stored_number(f, 8, "Wallet.Coins") == 105);
    assert_int_equal(meta_len(f, 8, "inbox"), 0);
    assert_int_equal(meta_len(f, 8, "receipts"), 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_OP_APPLIED), 1);
    /* Later writes do not apply it again. */
    fake_run(&f->fp, 600LL * 1000000);
    assert_int_equal(g.calls, 1);
    assert_true(stored_number(f, 8, "Wallet.Coins") == 105);
}

static void a_second_delivery_with_the_same_id_is_a_duplicate(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 0);
    put_profile(f, 9, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    delivered a = {0}, b = {0}, c = {0};
    deliver(f, 9, "r-1", 10, &a);
    fake_complete_all(&f->fp);
    deliver(f, 9, "r-1", 10, &b); /* still in the inbox */
    fake_complete_all(&f->fp);
    assert_true(b.duplicate);
    load(f, 9);
    fake_run(&f->fp, 1000);
    deliver(f, 9, "r-1", 10, &c); /* now among the receipts */
    fake_run(&f->fp, 1000);
    assert_true(c.duplicate);
    assert_int_equal(g.calls, 1);
    assert_true(stored_number(f, 9, "Wallet.Coins") == 10);
}

static void delivery_retried_after_an_ambiguous_commit_is_accepted_once(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 0);
    put_profile(f, 10, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    delivered d = {0};
    deliver(f, 10, "x-1", 7, &d);
    fake_complete_ambiguous(&f->fp, newest_open(f), 501); /* committed, heard as failed */
    assert_int_equal(d.calls, 0);
    fake_run(&f->fp, 5LL * 1000000); /* the delivery retries and finds its own operation */
    assert_int_equal(d.calls, 1);
    assert_false(d.duplicate);
    assert_false(d.failed);
    assert_int_equal(meta_len(f, 10, "inbox"), 1);
}

static void delivery_to_a_player_without_a_profile_is_refused(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 0);
    delivered d = {0};
    deliver(f, 11, "x-1", 7, &d);
    fake_complete_all(&f->fp);
    assert_true(d.failed);
    assert_int_equal(d.status, VS_ERR_NOT_FOUND);
    assert_null(stored(f, 11));
}

static void a_failing_handler_is_dead_lettered_then_retried_by_repair(void **state)
{
    fixture *f = *state;
    grant_handler g = {.failures = 3};
    open_with_grant(f, &g, 3, 0);
    put_profile(f, 12, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    delivered d = {0};
    deliver(f, 12, "bad-1", 50, &d);
    fake_complete_all(&f->fp);
    load(f, 12);
    fake_run(&f->fp, 300LL * 1000000); /* one attempt per autosave round */
    assert_int_equal(g.calls, 3);
    assert_int_equal(meta_len(f, 12, "inbox"), 0);
    assert_int_equal(meta_len(f, 12, "dead"), 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_OP_FAILED), 2);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_OP_DEAD), 1);
    const vs_value *dead = vs_array_at(vs_doc_meta_array(stored(f, 12), "dead"), 0);
    assert_true(vs_number_of(vs_map_get(dead, "attempts")) == 3);
    assert_string_equal(vs_string_of(vs_map_get(dead, "error"), NULL), "the shop is closed");
    assert_true(stored_number(f, 12, "Wallet.Coins") == 0);
    /* Repair: back to the inbox; the holder applies it at its next look. */
    outcome o = {0};
    assert_int_equal(vs_store_dead_letter(f->store, 12, "bad-1", true, record, &o), VS_OK);
    fake_run(&f->fp, 100LL * 1000000);
    assert_int_equal(o.calls, 1);
    assert_false(o.failed);
    assert_int_equal(meta_len(f, 12, "dead"), 0);
    assert_true(stored_number(f, 12, "Wallet.Coins") == 50);
    assert_int_equal(meta_len(f, 12, "receipts"), 1);
    /* A dead letter that is not there. */
    outcome none = {0};
    assert_int_equal(vs_store_dead_letter(f->store, 12, "bad-1", false, record, &none), VS_OK);
    fake_complete_all(&f->fp);
    assert_true(none.failed);
    assert_int_equal(none.err.status, VS_ERR_NOT_FOUND);
}

static void a_dropped_dead_letter_stays_a_duplicate(void **state)
{
    fixture *f = *state;
    grant_handler g = {.failures = 100};
    open_with_grant(f, &g, 1, 0);
    put_profile(f, 13, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    delivered d = {0}, again = {0};
    deliver(f, 13, "bad-2", 1, &d);
    fake_complete_all(&f->fp);
    load(f, 13);
    fake_run(&f->fp, 100LL * 1000000);
    assert_int_equal(meta_len(f, 13, "dead"), 1);
    outcome o = {0};
    assert_int_equal(vs_store_dead_letter(f->store, 13, "bad-2", false, record, &o), VS_OK);
    fake_run(&f->fp, 1000);
    assert_false(o.failed);
    assert_int_equal(meta_len(f, 13, "dead"), 0);
    deliver(f, 13, "bad-2", 1, &again);
    fake_run(&f->fp, 1000);
    assert_true(again.duplicate);
}

static void the_holder_is_nudged_and_applies_without_waiting_for_a_renewal(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 0);
    load(f, 14);
    size_t published = f->fp.published_count;
    delivered d = {0};
    deliver(f, 14, "now-1", 3, &d);
    fake_complete_all(&f->fp);
    assert_int_equal(f->fp.published_count, published + 1);
    assert_string_equal(f->fp.published[published].topic, "vstore.inbox/fake.1#1");
    fake_deliver(&f->fp, f->fp.published[published].topic, f->fp.published[published].data);
    fake_complete_all(&f->fp); /* the nudged save sees it ... */
    fake_complete_all(&f->fp); /* ... and the next writes effect and receipt */
    assert_int_equal(g.calls, 1);
    assert_true(stored_number(f, 14, "Wallet.Coins") == 3);
    assert_int_equal(meta_len(f, 14, "receipts"), 1);
}

static void receipts_are_pruned_oldest_first(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 2);
    put_profile(f, 15, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        delivered d = {0};
        deliver(f, 15, ids[i], 1, &d);
        fake_complete_all(&f->fp);
    }
    load(f, 15);
    fake_run(&f->fp, 1000);
    const vs_value *r = vs_doc_meta_array(stored(f, 15), "receipts");
    assert_int_equal(vs_array_len(r), 2);
    assert_string_equal(vs_string_of(vs_array_at(r, 0), NULL), "b");
    assert_string_equal(vs_string_of(vs_array_at(r, 1), NULL), "c");
    assert_true(stored_number(f, 15, "Wallet.Coins") == 3);
}

static void an_effect_applied_by_a_session_that_loses_its_lease_is_not_written(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    open_with_grant(f, &g, 0, 0);
    load(f, 16);
    delivered d = {0};
    deliver(f, 16, "lost-1", 9, &d);
    fake_complete_all(&f->fp);
    assert_int_equal(vs_store_save(f->store, 16), VS_OK);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0); /* the save sees the operation ... */
    assert_int_equal(g.calls, 1);                       /* ... which is applied in memory */
    size_t effect_write = fake_oldest_open(&f->fp);
    assert_true(effect_write != (size_t)-1);
    /* Before the effect is written, another server takes the lease over (its document keeps
     * the operation in the inbox for the new holder). */
    vs_value *doc = vs_copy(stored(f, 16));
    vs_value *meta = vs_map_get(doc, "meta");
    vs_value *lease = vs_map_get(meta, "lease");
    vs_map_set(lease, "token", vs_new_string("feedfeedfeedfeed"));
    vs_map_set(lease, "owner", vs_new_string("other.2#1"));
    fake_put(&f->fp, key_of(f, 16), doc);
    fake_complete(&f->fp, effect_write, 0);
    assert_int_equal(vs_store_state(f->store, 16), VS_SESSION_LOST);
    assert_true(stored_number(f, 16, "Wallet.Coins") == 0); /* the effect was not written */
    assert_int_equal(meta_len(f, 16, "inbox"), 1);           /* the next holder will apply it */
    assert_int_equal(meta_len(f, 16, "receipts"), 0);
}

/* Entering the critical state must leave the store's operation handlers alone (they were once
 * freed there by mistake: the sanitizers see a use after free if it comes back). */
static void operations_still_apply_after_the_critical_state_was_entered(void **state)
{
    fixture *f = *state;
    grant_handler g = {0};
    static vs_op_handler handlers[1];
    handlers[0] = (vs_op_handler){"grant", grant, &g};
    open_store(f, (vs_store_config){.handlers = handlers, .handler_count = 1, .critical_threshold = 1});
    put_profile(f, 17, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    delivered d = {0};
    deliver(f, 17, "c-1", 4, &d);
    fake_complete_all(&f->fp);
    assert_int_equal(vs_store_join(f->store, 17, NULL, NULL), VS_OK);
    fake_complete(&f->fp, newest_open(f), 501); /* one error: critical */
    assert_true(vs_store_is_critical(f->store));
    fake_run(&f->fp, 5LL * 1000000);             /* the retry loads; the operation applies */
    assert_int_equal(g.calls, 1);
    assert_true(stored_number(f, 17, "Wallet.Coins") == 4);
}

/* ---- the receipt handler ---- */

typedef struct receipt_answer {
    int calls;
    vs_receipt_decision decision;
} receipt_answer;

static void on_receipt(void *arg, vs_receipt_decision decision)
{
    receipt_answer *a = arg;
    a->calls++;
    a->decision = decision;
}

static vs_status grant_gems(void *arg, vs_value *draft, const vs_value *payload, char *why, size_t size)
{
    int *calls = arg;
    (*calls)++;
    vs_path p;
    vs_path_parse("Wallet.Coins", &p);
    vs_status st = vs_path_add(draft, &p, 100);
    vs_path_free(&p);
    return st;
}

static void receipts_are_granted_once_and_only_after_the_save(void **state)
{
    fixture *f = *state;
    int grants = 0;
    static vs_op_handler handlers[1];
    handlers[0] = (vs_op_handler){"gems", grant_gems, &grants};
    open_store(f, (vs_store_config){.handlers = handlers, .handler_count = 1});
    load(f, 18);
    vs_receipt r = {.purchase_id = "P-9", .player = 18, .product = 7, .price = 99};
    receipt_answer first = {0};
    vs_store_process_receipt(f->store, &r, "gems", on_receipt, &first);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0); /* the grant is in the inbox */
    assert_int_equal(first.calls, 0);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0); /* the holder sees it, applies it */
    assert_int_equal(grants, 1);
    assert_int_equal(first.calls, 0);                  /* not before the receipt is saved */
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 0); /* effect and receipt written */
    assert_int_equal(first.calls, 1);
    assert_int_equal(first.decision, VS_RECEIPT_GRANTED);
    assert_true(stored_number(f, 18, "Wallet.Coins") == 100);
    /* The platform offers it again (its record failed): granted at once, not again. */
    receipt_answer again = {0};
    vs_store_process_receipt(f->store, &r, "gems", on_receipt, &again);
    fake_complete_all(&f->fp);
    assert_int_equal(again.decision, VS_RECEIPT_GRANTED);
    assert_int_equal(grants, 1);
    assert_true(stored_number(f, 18, "Wallet.Coins") == 100);
}

/* The platform offers a purchase while the profile is still loading, and the load read the
 * inbox before the grant was in it: once the profile is active the engine looks at the inbox
 * at once rather than at the next renewal, so the purchase is answered within a few requests. */
static void a_receipt_offered_during_the_load_is_applied_as_soon_as_the_load_ends(void **state)
{
    fixture *f = *state;
    int grants = 0;
    static vs_op_handler handlers[1];
    handlers[0] = (vs_op_handler){"gems", grant_gems, &grants};
    open_store(f, (vs_store_config){.handlers = handlers, .handler_count = 1});
    put_profile(f, 21, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, NULL, NULL, 0);
    outcome o = {0};
    assert_int_equal(vs_store_join(f->store, 21, record, &o), VS_OK);
    size_t load_request = newest_open(f);
    vs_receipt r = {.purchase_id = "P-12", .player = 21, .product = 7, .price = 99};
    receipt_answer a = {0};
    vs_store_process_receipt(f->store, &r, "gems", on_receipt, &a);
    size_t deliver_request = newest_open(f);
    assert_true(deliver_request != load_request);
    fake_commit(&f->fp, load_request);          /* the load reads an empty inbox ... */
    fake_complete(&f->fp, deliver_request, 0);  /* ... then the grant lands in it */
    assert_int_equal(a.calls, 0);
    fake_complete(&f->fp, load_request, 0);     /* the load's answer */
    assert_int_equal(vs_store_state(f->store, 21), VS_SESSION_SAVING);
    fake_complete_all(&f->fp);                  /* no timer runs: only the requests */
    assert_int_equal(grants, 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.decision, VS_RECEIPT_GRANTED);
    assert_true(stored_number(f, 21, "Wallet.Coins") == 100);
}

static void a_receipt_for_a_player_held_elsewhere_is_not_processed_yet(void **state)
{
    fixture *f = *state;
    int grants = 0;
    static vs_op_handler handlers[1];
    handlers[0] = (vs_op_handler){"gems", grant_gems, &grants};
    open_store(f, (vs_store_config){.handlers = handlers, .handler_count = 1});
    put_profile(f, 19, "{\"Inventory\":[],\"Wallet\":{\"Coins\":0}}", 1, 1, "other.2#1",
                "abcdabcdabcdabcd", 0);
    vs_receipt r = {.purchase_id = "P-10", .player = 19, .product = 7, .price = 99};
    receipt_answer a = {0};
    vs_store_process_receipt(f->store, &r, "gems", on_receipt, &a);
    fake_complete_all(&f->fp);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.decision, VS_RECEIPT_NOT_PROCESSED_YET);
    assert_int_equal(grants, 0);
    assert_int_equal(meta_len(f, 19, "inbox"), 1); /* the holder will apply it */
    /* Another receipt for a player with no profile at all. */
    vs_receipt none = {.purchase_id = "P-11", .player = 20, .product = 7, .price = 1};
    receipt_answer b = {0};
    vs_store_process_receipt(f->store, &none, "gems", on_receipt, &b);
    fake_complete_all(&f->fp);
    assert_int_equal(b.decision, VS_RECEIPT_NOT_PROCESSED_YET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* loading */
        cmocka_unit_test_setup_teardown(new_player_is_created_from_the_template_with_a_fresh_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(existing_profile_loads_its_data_and_bumps_the_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_top_level_template_fields_are_added_on_load, setup, teardown),
        cmocka_unit_test_setup_teardown(no_reconcile_keeps_the_profile_as_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(nil_read_never_creates_from_the_template_and_loads_once_reads_are_honest, setup, teardown),
        cmocka_unit_test_setup_teardown(version_list_error_is_retried_not_taken_for_a_new_player, setup, teardown),
        cmocka_unit_test_setup_teardown(stored_value_that_is_not_a_profile_document_is_invalid_and_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_is_refused_and_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations_run_on_load_and_the_next_save_writes_the_new_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_migration_gives_the_lease_back_and_leaves_the_data, setup, teardown),
        cmocka_unit_test_setup_teardown(transient_load_error_is_retried_after_a_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(dropped_load_is_reported_as_budget_exhausted_and_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(caller_error_on_load_is_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(shutdown_code_on_load_ends_it_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(held_lease_is_asked_to_release_and_wait_times_out_with_lease_held, setup, teardown),
        cmocka_unit_test_setup_teardown(holder_that_keeps_renewing_is_never_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(unchanged_lease_is_taken_over_exactly_after_lease_us_of_timers, setup, teardown),
        cmocka_unit_test_setup_teardown(wall_clock_jumps_do_not_cause_an_early_takeover, setup, teardown),
        cmocka_unit_test_setup_teardown(ambiguous_load_commit_is_recognised_as_ours_on_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_answers_at_once_when_loaded_and_otherwise_after_its_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_during_loading_releases_the_lease_once_loaded, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_while_a_load_waits_to_retry_ends_the_session_at_once, setup, teardown),
        /* saving */
        cmocka_unit_test_setup_teardown(autosave_skips_unchanged_data_and_saves_changed_data, setup, teardown),
        cmocka_unit_test_setup_teardown(autosave_renews_the_lease_every_third_of_its_length_without_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(saves_asked_for_while_one_is_in_flight_merge_into_one, setup, teardown),
        cmocka_unit_test_setup_teardown(save_that_finds_another_sessions_lease_is_lost_and_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(save_retried_after_an_ambiguous_commit_writes_the_latest_data, setup, teardown),
        cmocka_unit_test_setup_teardown(save_whose_answer_was_lost_is_retried_harmlessly, setup, teardown),
        cmocka_unit_test_setup_teardown(release_whose_first_try_committed_is_recognised_on_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(unstorable_value_refuses_the_save_and_stays_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(user_validator_refuses_the_save_and_keeps_the_data, setup, teardown),
        cmocka_unit_test_setup_teardown(release_of_unstorable_data_still_gives_the_lease_back, setup, teardown),
        /* release and sessions */
        cmocka_unit_test_setup_teardown(leave_saves_and_releases_keeping_the_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_writes_or_acquires_after_a_release, setup, teardown),
        cmocka_unit_test_setup_teardown(release_cancels_a_pending_save_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(release_request_from_another_server_releases_the_named_session, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_during_a_save_in_flight_writes_the_latest_data, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_after_a_save_committed_still_gives_the_lease_back, setup, teardown),
        cmocka_unit_test_setup_teardown(rejoin_while_releasing_loads_one_session_after_the_release, setup, teardown),
        cmocka_unit_test_setup_teardown(close_releases_every_session_at_once_and_calls_done_once, setup, teardown),
        cmocka_unit_test_setup_teardown(close_with_no_sessions_calls_done_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(closing_shortens_the_retry_backoff_to_a_second, setup, teardown),
        cmocka_unit_test_setup_teardown(close_retries_a_release_waiting_on_a_long_backoff_at_once, setup, teardown),
        /* the API */
        cmocka_unit_test_setup_teardown(changes_are_refused_until_loaded, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_types_and_missing_parents_are_refused_and_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(edit_commits_the_draft_when_it_returns_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(cancelled_or_failed_edit_leaves_the_data_byte_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(locks_queue_block_plain_changes_and_hand_over, setup, teardown),
        cmocka_unit_test_setup_teardown(inspect_reads_the_stored_document_without_taking_the_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(clear_lease_removes_a_stale_lease_and_keeps_data_and_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(clear_lease_refuses_a_profile_this_server_has_loaded, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_is_refused_while_a_lease_is_held, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_applies_to_a_free_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_that_fails_validation_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(critical_state_is_entered_after_n_errors_and_left_after_a_quiet_window, setup, teardown),
        cmocka_unit_test_setup_teardown(store_config_is_checked, setup, teardown),
        /* ENGINE BUGS: these fail until core/store.c is fixed (see the comments above each) */
        cmocka_unit_test_setup_teardown(leave_during_loading_tells_the_join_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_during_loading_of_an_old_schema_does_not_stamp_unmigrated_data, setup, teardown),
        cmocka_unit_test_setup_teardown(transform_rerun_on_conflict_does_not_stop_the_takeover_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(release_retry_after_another_server_acquired_is_not_reported_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(unstorable_data_still_renews_the_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(release_of_unstorable_data_reports_that_nothing_was_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(edit_that_makes_the_data_invalid_is_discarded, setup, teardown),
        cmocka_unit_test_setup_teardown(clear_lease_while_this_server_has_a_session_tells_done, setup, teardown),
        cmocka_unit_test_setup_teardown(close_during_a_rejoin_tells_the_rejoins_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(removed_profile_is_created_afresh_from_the_template, setup, teardown),
        cmocka_unit_test_setup_teardown(critical_state_is_left_a_window_after_the_errors_even_when_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_during_a_save_that_then_fails_writes_the_latest_data, setup, teardown),
        cmocka_unit_test_setup_teardown(first_lease_renewal_comes_within_a_third_of_the_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_during_a_load_that_committed_but_failed_still_gives_the_lease_back, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_during_a_failed_first_load_ends_even_though_the_key_never_existed, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_before_a_waiting_rejoin_loads_answers_both_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(save_that_reads_nil_backs_off, setup, teardown),
        cmocka_unit_test_setup_teardown(delivery_to_an_offline_player_is_applied_once_at_the_next_join, setup, teardown),
        cmocka_unit_test_setup_teardown(a_second_delivery_with_the_same_id_is_a_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(delivery_retried_after_an_ambiguous_commit_is_accepted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(delivery_to_a_player_without_a_profile_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failing_handler_is_dead_lettered_then_retried_by_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(a_dropped_dead_letter_stays_a_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(the_holder_is_nudged_and_applies_without_waiting_for_a_renewal, setup, teardown),
        cmocka_unit_test_setup_teardown(receipts_are_pruned_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(an_effect_applied_by_a_session_that_loses_its_lease_is_not_written, setup, teardown),
        cmocka_unit_test_setup_teardown(operations_still_apply_after_the_critical_state_was_entered, setup, teardown),
        cmocka_unit_test_setup_teardown(receipts_are_granted_once_and_only_after_the_save, setup, teardown),
        cmocka_unit_test_setup_teardown(a_receipt_for_a_player_held_elsewhere_is_not_processed_yet, setup, teardown),
        cmocka_unit_test_setup_teardown(a_receipt_offered_during_the_load_is_applied_as_soon_as_the_load_ends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
