/* test_store.c: the engine's session state machine, driven one completion at a time through
 * the scripted platform, including every error path of this slice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/document.h"
#include "core/json.h"
#include "core/store.h"
#include "tests/support/fake_platform.h"

typedef struct fixture {
    fake_platform fp;
    vs_store *store;
    vs_value *template_;
} fixture;

typedef struct outcome {
    int calls;
    int64_t user_id;
    vs_error err;
    bool failed;
} outcome;

static void record_outcome(void *arg, int64_t user_id, const vs_error *err)
{
    outcome *o = arg;
    o->calls++;
    o->user_id = user_id;
    o->failed = err != NULL;
    if (err)
        o->err = *err;
}

static vs_value *parse(const char *json)
{
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(json, strlen(json), &v, NULL), VS_OK);
    return v;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    fake_init(&f->fp);
    f->template_ = parse("{\"Wallet\":{\"Coins\":0},\"Inventory\":[]}");
    vs_store_config cfg = {.name = "PlayerData", .template_ = f->template_};
    assert_int_equal(vs_store_new(&cfg, &f->fp.platform, &f->store), VS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vs_store_free(f->store);
    fake_free(&f->fp);
    vs_free(f->template_);
    free(f);
    return 0;
}

static vs_path path(const char *text)
{
    vs_path p;
    assert_int_equal(vs_path_parse(text, &p), VS_OK);
    return p;
}

static void expect_json(const vs_value *v, const char *json)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_non_null(v);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    assert_string_equal(b.data, json);
    vs_buf_free(&b);
}

static void key_is_prefix_and_user_id(void **state)
{
    fixture *f = *state;
    char key[64];
    vs_store_key(f->store, 42, key, sizeof key);
    assert_string_equal(key, "Player_42");
}

static void new_player_is_created_from_template(void **state)
{
    fixture *f = *state;
    outcome loaded = {0};
    assert_int_equal(vs_store_join(f->store, 7, record_outcome, &loaded), VS_OK);
    assert_int_equal(vs_store_state(f->store, 7), VS_SESSION_LOADING);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    assert_int_equal(fake_request_at(&f->fp, 0)->kind, FAKE_UPDATE);
    assert_string_equal(fake_request_at(&f->fp, 0)->key, "Player_7");
    assert_int_equal(loaded.calls, 0);

    fake_complete(&f->fp, 0, 0);
    assert_int_equal(loaded.calls, 1);
    assert_false(loaded.failed);
    assert_int_equal(loaded.user_id, 7);
    assert_int_equal(vs_store_state(f->store, 7), VS_SESSION_ACTIVE);
    expect_json(fake_stored(&f->fp, "Player_7"),
                "{\"data\":{\"Inventory\":[],\"Wallet\":{\"Coins\":0}},\"meta\":{\"schema\":1}}");
    assert_int_equal(fake_event_count(&f->fp, VS_EV_PROFILE_LOADED), 1);
}

static void existing_profile_loads_its_data(void **state)
{
    fixture *f = *state;
    fake_put(&f->fp, "Player_3", parse("{\"data\":{\"Wallet\":{\"Coins\":55}},\"meta\":{\"schema\":1}}"));
    outcome loaded = {0};
    assert_int_equal(vs_store_join(f->store, 3, record_outcome, &loaded), VS_OK);
    fake_complete_all(&f->fp);
    assert_false(loaded.failed);
    vs_path p = path("Wallet.Coins");
    assert_true(vs_number_of(vs_store_get(f->store, 3, &p)) == 55);
    vs_path_free(&p);
}

static void mutations_are_refused_until_loaded(void **state)
{
    fixture *f = *state;
    vs_path p = path("Wallet.Coins");
    assert_int_equal(vs_store_add(f->store, 1, &p, 5), VS_ERR_NOT_LOADED); /* no session */
    assert_int_equal(vs_store_join(f->store, 1, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_add(f->store, 1, &p, 5), VS_ERR_NOT_LOADED); /* loading */
    assert_int_equal(vs_store_set(f->store, 1, &p, vs_new_number(3)), VS_ERR_NOT_LOADED);
    assert_int_equal(vs_store_insert(f->store, 1, &p, 0, vs_new_number(3)), VS_ERR_NOT_LOADED);
    assert_int_equal(vs_store_remove(f->store, 1, &p), VS_ERR_NOT_LOADED);
    assert_null(vs_store_get(f->store, 1, &p));
    fake_complete_all(&f->fp);
    assert_int_equal(vs_store_add(f->store, 1, &p, 5), VS_OK);
    assert_true(vs_number_of(vs_store_get(f->store, 1, &p)) == 5);
    vs_path_free(&p);
}

static void failed_mutation_changes_nothing(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 1, NULL, NULL), VS_OK);
    fake_complete_all(&f->fp);
    vs_path root = {0};
    vs_value *before = vs_copy(vs_store_get(f->store, 1, &root));
    vs_path p = path("Wallet.Coins.Deep");
    assert_int_equal(vs_store_set(f->store, 1, &p, vs_new_number(1)), VS_ERR_TYPE);
    vs_path q = path("Missing.Key");
    assert_int_equal(vs_store_set(f->store, 1, &q, vs_new_number(1)), VS_ERR_NO_PARENT);
    assert_true(vs_equal(before, vs_store_get(f->store, 1, &root)));
    vs_free(before);
    vs_path_free(&p);
    vs_path_free(&q);
}

static void leave_saves_changes_and_keeps_unknown_meta(void **state)
{
    fixture *f = *state;
    fake_put(&f->fp, "Player_9",
             parse("{\"data\":{\"Wallet\":{\"Coins\":1}},\"meta\":{\"schema\":1,\"future\":true},\"x\":2}"));
    assert_int_equal(vs_store_join(f->store, 9, NULL, NULL), VS_OK);
    fake_complete_all(&f->fp);
    vs_path p = path("Wallet.Coins");
    assert_int_equal(vs_store_add(f->store, 9, &p, 10), VS_OK);
    outcome released = {0};
    assert_int_equal(vs_store_leave(f->store, 9, record_outcome, &released), VS_OK);
    assert_int_equal(vs_store_state(f->store, 9), VS_SESSION_RELEASING);
    assert_int_equal(vs_store_leave(f->store, 9, NULL, NULL), VS_ERR_BUSY);
    assert_int_equal(vs_store_add(f->store, 9, &p, 1), VS_ERR_NOT_LOADED); /* no change after leave */
    fake_complete_all(&f->fp);
    assert_int_equal(released.calls, 1);
    assert_false(released.failed);
    assert_int_equal(vs_store_state(f->store, 9), VS_SESSION_NONE);
    assert_int_equal(vs_store_session_count(f->store), 0);
    expect_json(fake_stored(&f->fp, "Player_9"),
                "{\"data\":{\"Wallet\":{\"Coins\":11}},\"meta\":{\"future\":true,\"schema\":1},\"x\":2}");
    assert_int_equal(fake_event_count(&f->fp, VS_EV_PROFILE_SAVED), 1);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_PROFILE_RELEASED), 1);
    vs_path_free(&p);
}

static void leave_during_load_releases_after_load(void **state)
{
    fixture *f = *state;
    outcome loaded = {0}, released = {0};
    assert_int_equal(vs_store_join(f->store, 4, record_outcome, &loaded), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 4, record_outcome, &released), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 4, NULL, NULL), VS_ERR_BUSY);
    fake_complete(&f->fp, 0, 0);
    assert_int_equal(loaded.calls, 1);
    assert_int_equal(released.calls, 0);
    assert_int_equal(vs_store_state(f->store, 4), VS_SESSION_RELEASING);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    fake_complete(&f->fp, 1, 0);
    assert_int_equal(released.calls, 1);
    assert_false(released.failed);
    assert_int_equal(vs_store_session_count(f->store), 0);
}

static void load_error_ends_the_session_with_the_code(void **state)
{
    fixture *f = *state;
    outcome loaded = {0};
    assert_int_equal(vs_store_join(f->store, 5, record_outcome, &loaded), VS_OK);
    fake_complete(&f->fp, 0, VS_DS_InternalError);
    assert_int_equal(loaded.calls, 1);
    assert_true(loaded.failed);
    assert_int_equal(loaded.err.status, VS_ERR_DATASTORE);
    assert_int_equal(loaded.err.code, VS_DS_InternalError);
    assert_non_null(strstr(loaded.err.message, "501"));
    assert_int_equal(vs_store_state(f->store, 5), VS_SESSION_NONE);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_LOAD_FAILED), 1);
    assert_null(fake_stored(&f->fp, "Player_5"));
    /* and the player can try again */
    assert_int_equal(vs_store_join(f->store, 5, NULL, NULL), VS_OK);
}

static void load_failure_with_pending_leave_reports_both(void **state)
{
    fixture *f = *state;
    outcome loaded = {0}, released = {0};
    assert_int_equal(vs_store_join(f->store, 6, record_outcome, &loaded), VS_OK);
    assert_int_equal(vs_store_leave(f->store, 6, record_outcome, &released), VS_OK);
    fake_complete(&f->fp, 0, VS_DS_InternalError);
    assert_true(loaded.failed);
    assert_true(released.failed);
    assert_int_equal(vs_store_session_count(f->store), 0);
}

static void foreign_value_is_not_overwritten(void **state)
{
    fixture *f = *state;
    fake_put(&f->fp, "Player_8", parse("[1,2,3]"));
    outcome loaded = {0};
    assert_int_equal(vs_store_join(f->store, 8, record_outcome, &loaded), VS_OK);
    fake_complete_all(&f->fp);
    assert_true(loaded.failed);
    assert_int_equal(loaded.err.status, VS_ERR_TYPE);
    expect_json(fake_stored(&f->fp, "Player_8"), "[1,2,3]");
}

static void save_error_is_reported(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 2, NULL, NULL), VS_OK);
    fake_complete_all(&f->fp);
    outcome released = {0};
    assert_int_equal(vs_store_leave(f->store, 2, record_outcome, &released), VS_OK);
    fake_complete(&f->fp, 1, VS_DS_InternalError);
    assert_true(released.failed);
    assert_int_equal(released.err.code, VS_DS_InternalError);
    assert_int_equal(fake_event_count(&f->fp, VS_EV_SAVE_FAILED), 1);
}

static void join_twice_and_leave_without_session(void **state)
{
    fixture *f = *state;
    assert_int_equal(vs_store_join(f->store, 1, NULL, NULL), VS_OK);
    assert_int_equal(vs_store_join(f->store, 1, NULL, NULL), VS_ERR_BUSY);
    assert_int_equal(vs_store_leave(f->store, 2, NULL, NULL), VS_ERR_NOT_LOADED);
    assert_int_equal(fake_open_requests(&f->fp), 1);
}

static void sessions_are_listed_in_user_order(void **state)
{
    fixture *f = *state;
    int64_t ids[] = {30, 10, 20, 5};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(vs_store_join(f->store, ids[i], NULL, NULL), VS_OK);
    assert_int_equal(vs_store_session_count(f->store), 4);
    int64_t want[] = {5, 10, 20, 30};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(vs_store_user_at(f->store, i), want[i]);
}

static void config_is_checked(void **state)
{
    fake_platform fp;
    fake_init(&fp);
    vs_store *s = NULL;
    vs_value *not_a_map = vs_new_array();
    vs_store_config cfg = {.name = "P", .template_ = not_a_map};
    assert_int_equal(vs_store_new(&cfg, &fp.platform, &s), VS_ERR_ARG);
    assert_null(s);
    cfg.template_ = NULL;
    assert_int_equal(vs_store_new(&cfg, &fp.platform, &s), VS_ERR_ARG);
    vs_free(not_a_map);
    fake_free(&fp);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(key_is_prefix_and_user_id),
        T(new_player_is_created_from_template),
        T(existing_profile_loads_its_data),
        T(mutations_are_refused_until_loaded),
        T(failed_mutation_changes_nothing),
        T(leave_saves_changes_and_keeps_unknown_meta),
        T(leave_during_load_releases_after_load),
        T(load_error_ends_the_session_with_the_code),
        T(load_failure_with_pending_leave_reports_both),
        T(foreign_value_is_not_overwritten),
        T(save_error_is_reported),
        T(join_twice_and_leave_without_session),
        T(sessions_are_listed_in_user_order),
        cmocka_unit_test(config_is_checked),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
