/* test_client.c: the virtual client: a snapshot and change lists in order, refusals (out of
 * order, wrong session, disconnected) that change nothing but the counters, listeners
 * (once per delivery, registration order, values and absence, changes made by callbacks),
 * disconnect and reconnect with a new session's snapshot, the privacy witness firing on
 * deliberately bad deliveries, and a run of core/replicate diffs fed to a client whose
 * replica must equal the view of the profile after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/path.h"
#include "core/replicate.h"
#include "core/value.h"
#include "sim/client.h"

/* ---- helpers ---- */

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    if (vs_json_decode(text, strlen(text), &v, NULL) != VS_OK)
        fail_msg("bad test JSON: %s", text);
    return v;
}

static vs_path path(const char *text)
{
    vs_path p;
    assert_int_equal(vs_path_parse(text, &p), VS_OK);
    return p;
}

static void expect_json(const vs_value *v, const char *want)
{
    if (!want) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    if (strcmp(b.data, want) != 0)
        fail_msg("got  %s\nwant %s", b.data, want);
    vs_buf_free(&b);
}

/* The store's public paths in every test. */
static vs_public_paths the_public(void)
{
    vs_public_paths pp;
    assert_int_equal(vs_public_parse((const char *const[]){"Wallet.Coins", "Level", "Items"}, 3, &pp),
                     VS_OK);
    return pp;
}

static client_result snapshot(client *c, uint64_t session, uint64_t seq, const char *view_json)
{
    vs_value *v = json(view_json);
    client_result r = client_apply_snapshot(c, session, seq, v);
    vs_free(v);
    return r;
}

/* A change list from text: "set Wallet.Coins 5; remove Level" (values are JSON). */
static void changes_of(const char *text, vs_change_list *cl)
{
    vs_change_list_init(cl);
    char *copy = strdup(text);
    char *save = NULL;
    for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        while (*part == ' ')
            part++;
        char op[8], where[64];
        int used = 0;
        assert_int_equal(sscanf(part, "%7s %63s %n", op, where, &used), 2);
        vs_path p = path(strcmp(where, "(root)") == 0 ? "" : where);
        if (strcmp(op, "set") == 0)
            assert_int_equal(vs_change_list_push_set(cl, &p, json(part + used)), VS_OK);
        else
            assert_int_equal(vs_change_list_push_remove(cl, &p), VS_OK);
        vs_path_free(&p);
    }
    free(copy);
}

static client_result changes(client *c, uint64_t session, uint64_t seq, const char *text)
{
    vs_change_list cl;
    changes_of(text, &cl);
    client_result r = client_apply_changes(c, session, seq, &cl);
    vs_change_list_free(&cl);
    return r;
}

/* Listener calls, recorded as "path=value" (or "path=absent") joined with " ". */
typedef struct call_log {
    char text[1024];
    int calls;
} call_log;

static void record(void *arg, client *c, const vs_path *p, const vs_value *value)
{
    (void)c;
    call_log *log = arg;
    char *where = vs_path_format(p);
    vs_buf b;
    vs_buf_init(&b);
    if (value)
        assert_int_equal(vs_json_encode(value, &b), VS_OK);
    size_t at = strlen(log->text);
    snprintf(log->text + at, sizeof log->text - at, "%s%s=%s", at ? " " : "", where,
             value ? b.data : "absent");
    vs_buf_free(&b);
    free(where);
    log->calls++;
}

static uint64_t listen(client *c, const char *where, call_log *log)
{
    vs_path p = path(where);
    uint64_t id = client_listen(c, &p, record, log);
    vs_path_free(&p);
    assert_true(id > 0);
    return id;
}

static void expect_log(call_log *log, const char *want)
{
    if (strcmp(log->text, want) != 0)
        fail_msg("got  %s\nwant %s", log->text, want);
    log->text[0] = '\0';
    log->calls = 0;
}

/* ---- deliveries in order ---- */

static void test_snapshot_then_changes_in_order(void **state)
{
    (void)state;
    vs_public_paths pp = the_public();
    client c;
    client_init(&c, 42, &pp);
    assert_int_equal(c.player, 42);
    assert_null(client_replica(&c));
    uint64_t s = client_connect(&c, 3);
    assert_int_equal(s, 1);
    assert_int_equal(c.server, 3);
    assert_null(client_replica(&c)); /* nothing until the snapshot */

    assert_int_equal(snapshot(&c, s, 0, "{\"Level\":1,\"Wallet\":{\"Coins\":10}}"), CLIENT_APPLIED);
    expect_json(client_replica(&c), "{\"Level\":1,\"Wallet\":{\"Coins\":10}}");
    assert_int_equal(changes(&c, s, 1, "set Wallet.Coins 12; set Items [\"Bow\"]"), CLIENT_APPLIED);
    expect_json(client_replica(&c), "{\"Items\":[\"Bow\"],\"Level\":1,\"Wallet\":{\"Coins\":12}}");
    assert_int_equal(changes(&c, s, 2, "remove Wallet.Coins"), CLIENT_APPLIED);
    expect_json(client_replica(&c), "{\"Items\":[\"Bow\"],\"Level\":1}");
    assert_int_equal(changes(&c, s, 3, "set Level 2"), CLIENT_APPLIED);
    expect_json(client_replica(&c), "{\"Items\":[\"Bow\"],\"Level\":2}");

    assert_int_equal(c.counts.snapshots, 1);
    assert_int_equal(c.counts.change_lists, 3);
    assert_int_equal(c.counts.changes, 4);
    assert_int_equal(c.counts.refused_order + c.counts.refused_session + c.counts.failed, 0);
    assert_int_equal(c.counts.leaks, 0);
    assert_null(client_first_leak(&c));
    client_free(&c);
    client_free(&c); /* twice is fine */
    vs_public_free(&pp);
}

static void test_out_of_order_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    client c;
    client_init(&c, 1, NULL);
    uint64_t s = client_connect(&c, 1);
    assert_int_equal(changes(&c, s, 0, "set Level 9"), CLIENT_OUT_OF_ORDER); /* before the snapshot */
    assert_null(client_replica(&c));
    assert_int_equal(snapshot(&c, s, 0, "{\"Level\":1}"), CLIENT_APPLIED);
    assert_int_equal(changes(&c, s, 2, "set Level 3"), CLIENT_OUT_OF_ORDER); /* a gap */
    expect_json(client_replica(&c), "{\"Level\":1}");
    assert_int_equal(changes(&c, s, 0, "set Level 0"), CLIENT_OUT_OF_ORDER); /* an old one */
    assert_int_equal(changes(&c, s, 1, "set Level 2"), CLIENT_APPLIED);
    assert_int_equal(changes(&c, s, 1, "set Level 2"), CLIENT_OUT_OF_ORDER); /* a repeat */
    assert_int_equal(changes(&c, s, 3, "set Level 4"), CLIENT_OUT_OF_ORDER); /* still a gap */
    expect_json(client_replica(&c), "{\"Level\":2}");
    /* A snapshot may not go back, but may move the session forward past a gap. */
    assert_int_equal(snapshot(&c, s, 1, "{\"Level\":0}"), CLIENT_OUT_OF_ORDER);
    expect_json(client_replica(&c), "{\"Level\":2}");
    assert_int_equal(snapshot(&c, s, 5, "{\"Level\":5}"), CLIENT_APPLIED);
    assert_int_equal(changes(&c, s, 6, "set Level 6"), CLIENT_APPLIED);
    expect_json(client_replica(&c), "{\"Level\":6}");
    assert_int_equal(c.counts.refused_order, 6);
    assert_int_equal(c.counts.snapshots, 2);
    assert_int_equal(c.counts.change_lists, 2);
    assert_int_equal(c.counts.refused_session, 0);
    client_free(&c);
}

static void test_sessions_disconnect_and_reconnect(void **state)
{
    (void)state;
    vs_public_paths pp = the_public();
    client c;
    client_init(&c, 7, &pp);
    call_log log = {{0}, 0};
    listen(&c, "Level", &log);

    /* Deliveries before any connect, and for sessions never started, are refused. */
    assert_int_equal(snapshot(&c, 0, 0, "{\"Level\":1}"), CLIENT_WRONG_SESSION);
    uint64_t s1 = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s1 + 1, 0, "{\"Level\":1}"), CLIENT_WRONG_SESSION);
    assert_int_equal(snapshot(&c, s1, 0, "{\"Level\":1}"), CLIENT_APPLIED);
    expect_log(&log, "Level=1");
    assert_int_equal(changes(&c, s1, 1, "set Level 2"), CLIENT_APPLIED);
    expect_log(&log, "Level=2");

    /* Teleport: a new session, and the old server's late messages are refused. */
    uint64_t s2 = client_connect(&c, 2);
    assert_true(s2 > s1);
    assert_int_equal(c.server, 2);
    assert_null(client_replica(&c));
    assert_int_equal(changes(&c, s1, 2, "set Level 99"), CLIENT_WRONG_SESSION);
    assert_int_equal(snapshot(&c, s1, 9, "{\"Level\":99}"), CLIENT_WRONG_SESSION);
    assert_int_equal(changes(&c, s2, 0, "set Level 99"), CLIENT_OUT_OF_ORDER);
    assert_null(client_replica(&c));
    expect_log(&log, "");
    assert_int_equal(snapshot(&c, s2, 0, "{\"Level\":2}"), CLIENT_APPLIED);
    expect_log(&log, "Level=2"); /* the replica was empty, so Level appeared */

    /* Leave: everything is refused until the next connect, also for the session just left. */
    client_disconnect(&c);
    assert_int_equal(c.server, 0);
    assert_null(client_replica(&c));
    assert_int_equal(changes(&c, s2, 1, "set Level 3"), CLIENT_WRONG_SESSION);
    assert_int_equal(snapshot(&c, s2, 1, "{\"Level\":3}"), CLIENT_WRONG_SESSION);
    uint64_t s3 = client_connect(&c, 1); /* rejoin the first server */
    assert_true(s3 > s2);
    assert_int_equal(changes(&c, s2, 1, "set Level 3"), CLIENT_WRONG_SESSION);
    assert_int_equal(snapshot(&c, s3, 0, "{\"Level\":4,\"Items\":[]}"), CLIENT_APPLIED);
    expect_json(client_replica(&c), "{\"Items\":[],\"Level\":4}");
    expect_log(&log, "Level=4");
    assert_int_equal(changes(&c, s3, 1, "set Level 5"), CLIENT_APPLIED);
    expect_log(&log, "Level=5");

    assert_int_equal(c.counts.refused_session, 7);
    assert_int_equal(c.counts.refused_order, 1);
    assert_int_equal(c.counts.snapshots, 3);
    assert_int_equal(c.counts.change_lists, 2);
    assert_int_equal(c.counts.leaks, 0);
    client_free(&c);
    vs_public_free(&pp);
}

/* ---- listeners ---- */

static void test_listeners_fire_once_in_order_after_the_list(void **state)
{
    (void)state;
    client c;
    client_init(&c, 1, NULL);
    call_log log = {{0}, 0};
    listen(&c, "Wallet", &log);           /* above the changes */
    listen(&c, "Level", &log);
    listen(&c, "Wallet.Coins", &log);     /* at them */
    listen(&c, "Wallet.Coins.Deep", &log); /* under them: a number has nothing there */
    listen(&c, "Other", &log);            /* untouched */
    uint64_t s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 0, "{}"), CLIENT_APPLIED);
    expect_log(&log, ""); /* nothing appeared */

    /* Two changes under Wallet: Wallet fires once, with the whole list applied. */
    assert_int_equal(changes(&c, s, 1, "set Wallet.Coins 5; set Wallet.Gems 2"), CLIENT_APPLIED);
    expect_log(&log, "Wallet={\"Coins\":5,\"Gems\":2} Wallet.Coins=5 Wallet.Coins.Deep=absent");
    assert_int_equal(changes(&c, s, 2, "set Level 3; remove Wallet.Coins"), CLIENT_APPLIED);
    expect_log(&log, "Wallet={\"Gems\":2} Level=3 Wallet.Coins=absent Wallet.Coins.Deep=absent");
    assert_int_equal(changes(&c, s, 3, "remove Level"), CLIENT_APPLIED);
    expect_log(&log, "Level=absent");
    /* Touching fires even when the value ends up the same. */
    assert_int_equal(changes(&c, s, 4, "set Wallet {\"Gems\":2}"), CLIENT_APPLIED);
    expect_log(&log, "Wallet={\"Gems\":2} Wallet.Coins=absent Wallet.Coins.Deep=absent");
    /* A set at the root touches everyone. */
    assert_int_equal(changes(&c, s, 5, "set (root) {\"Other\":1}"), CLIENT_APPLIED);
    expect_log(&log, "Wallet=absent Level=absent Wallet.Coins=absent Wallet.Coins.Deep=absent "
                     "Other=1");
    /* A refused list fires nothing; an empty one touches nothing. */
    assert_int_equal(changes(&c, s, 9, "set Other 2"), CLIENT_OUT_OF_ORDER);
    vs_change_list empty;
    vs_change_list_init(&empty);
    assert_int_equal(client_apply_changes(&c, s, 6, &empty), CLIENT_APPLIED);
    expect_log(&log, "");
    assert_int_equal(c.counts.listener_calls, 16);
    client_free(&c);
}

static void test_listeners_on_snapshots_fire_where_the_node_differs(void **state)
{
    (void)state;
    client c;
    client_init(&c, 1, NULL);
    call_log log = {{0}, 0};
    listen(&c, "Level", &log);
    listen(&c, "Wallet.Coins", &log);
    listen(&c, "Items", &log);
    uint64_t s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 0, "{\"Level\":1,\"Wallet\":{\"Coins\":3}}"), CLIENT_APPLIED);
    expect_log(&log, "Level=1 Wallet.Coins=3");
    assert_int_equal(snapshot(&c, s, 1, "{\"Level\":1,\"Wallet\":{\"Coins\":3}}"), CLIENT_APPLIED);
    expect_log(&log, "");
    assert_int_equal(snapshot(&c, s, 2, "{\"Level\":2,\"Items\":[1]}"), CLIENT_APPLIED);
    expect_log(&log, "Level=2 Wallet.Coins=absent Items=[1]");
    client_free(&c);
}

/* A listener that unlistens itself and another, and registers a new one, mid-delivery. */
typedef struct juggler {
    call_log *log;
    uint64_t self, victim;
    bool done;
} juggler;

static void juggle(void *arg, client *c, const vs_path *p, const vs_value *value)
{
    juggler *j = arg;
    record(j->log, c, p, value);
    if (j->done)
        return;
    j->done = true;
    assert_true(client_unlisten(c, j->self));
    assert_true(client_unlisten(c, j->victim));
    assert_false(client_unlisten(c, j->victim));
    for (int i = 0; i < 8; i++) /* enough to move the array */
        listen(c, "Late", j->log);
    /* The path given stays readable after unlistening. */
    char *text = vs_path_format(p);
    assert_string_equal(text, "Level");
    free(text);
}

static void test_listeners_changed_by_callbacks(void **state)
{
    (void)state;
    client c;
    client_init(&c, 1, NULL);
    call_log log = {{0}, 0};
    juggler j = {&log, 0, 0, false};
    vs_path level = path("Level");
    j.self = client_listen(&c, &level, juggle, &j);
    assert_true(j.self > 0);
    j.victim = listen(&c, "Level", &log);
    uint64_t after = listen(&c, "Level", &log);
    assert_int_equal(client_listen(&c, &level, NULL, NULL), 0);
    uint64_t s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 0, "{}"), CLIENT_APPLIED);
    assert_int_equal(changes(&c, s, 1, "set Level 1; set Late 0"), CLIENT_APPLIED);
    /* The juggler ran, the victim was skipped, the third still ran, and the new ones wait. */
    expect_log(&log, "Level=1 Level=1");
    assert_int_equal(changes(&c, s, 2, "set Level 2; set Late 1"), CLIENT_APPLIED);
    expect_log(&log, "Level=2 Late=1 Late=1 Late=1 Late=1 Late=1 Late=1 Late=1 Late=1");
    assert_int_equal(c.listener_count, 9); /* the two unlistened are gone */
    assert_true(client_unlisten(&c, after));
    assert_false(client_unlisten(&c, 12345));
    assert_int_equal(c.listener_count, 8);
    vs_path_free(&level);
    client_free(&c);
}

/* ---- the privacy witness ---- */

static void test_privacy_check_fires_on_bad_deliveries(void **state)
{
    (void)state;
    vs_public_paths pp = the_public();
    client c;
    client_init(&c, 1, &pp);
    uint64_t s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 0, "{\"Wallet\":{\"Coins\":1},\"Items\":{\"Deep\":[1]}}"),
                     CLIENT_APPLIED);
    assert_int_equal(changes(&c, s, 1, "set Wallet.Coins 2; set Items.Deep.1 5; remove Level"),
                     CLIENT_APPLIED);
    assert_int_equal(c.counts.leaks, 0);
    assert_null(client_first_leak(&c));

    /* A change list that sends the whole Wallet: the engine broke the guarantee. */
    assert_int_equal(changes(&c, s, 2, "set Wallet.Coins 3; set Wallet {\"Coins\":3,\"Gems\":9}"),
                     CLIENT_APPLIED);
    assert_int_equal(c.counts.leaks, 1);
    assert_string_equal(client_first_leak(&c), "change list 2 of session 1: Wallet");
    /* Later ones are counted, the first is kept; refused deliveries were still received. */
    assert_int_equal(snapshot(&c, s + 1, 0, "{\"Wallet\":{\"Coins\":1,\"Gems\":2}}"),
                     CLIENT_WRONG_SESSION);
    assert_int_equal(changes(&c, s, 9, "set Secret 1"), CLIENT_OUT_OF_ORDER);
    assert_int_equal(c.counts.leaks, 3);
    assert_string_equal(client_first_leak(&c), "change list 2 of session 1: Wallet");
    client_free(&c);

    client_init(&c, 1, &pp);
    s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 4, "{\"Wallet\":{\"Coins\":1,\"Gems\":2}}"), CLIENT_APPLIED);
    assert_string_equal(client_first_leak(&c), "snapshot 4 of session 1: Wallet.Gems");
    assert_int_equal(changes(&c, s, 5, "set (root) {}"), CLIENT_APPLIED);
    assert_int_equal(c.counts.leaks, 2);
    client_free(&c);

    /* Without public paths the witness is off. */
    client_init(&c, 1, NULL);
    s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 0, "{\"Secret\":1}"), CLIENT_APPLIED);
    assert_int_equal(c.counts.leaks, 0);
    client_free(&c);
    vs_public_free(&pp);
}

static void test_a_list_that_does_not_fit_drops_the_replica(void **state)
{
    (void)state;
    client c;
    client_init(&c, 1, NULL);
    call_log log = {{0}, 0};
    listen(&c, "Level", &log);
    uint64_t s = client_connect(&c, 1);
    assert_int_equal(snapshot(&c, s, 0, "{\"Level\":1}"), CLIENT_APPLIED);
    expect_log(&log, "Level=1");
    assert_int_equal(changes(&c, s, 1, "set Level 2; set Level.X 1"), CLIENT_FAILED);
    assert_null(client_replica(&c));
    expect_log(&log, "");
    assert_int_equal(c.counts.failed, 1);
    assert_int_equal(changes(&c, s, 2, "set Level 3"), CLIENT_OUT_OF_ORDER);
    assert_int_equal(snapshot(&c, s, 1, "{\"Level\":3}"), CLIENT_OUT_OF_ORDER); /* seq 1 was used */
    assert_int_equal(snapshot(&c, s, 2, "{\"Level\":3}"), CLIENT_APPLIED);
    expect_log(&log, "Level=3");
    expect_json(client_replica(&c), "{\"Level\":3}");
    client_free(&c);
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(client_result_name(CLIENT_APPLIED), "CLIENT_APPLIED");
    assert_string_equal(client_result_name(CLIENT_OUT_OF_ORDER), "CLIENT_OUT_OF_ORDER");
    assert_string_equal(client_result_name(CLIENT_FAILED), "CLIENT_FAILED");
    assert_string_equal(client_result_name((client_result)99), "CLIENT_RESULT_UNKNOWN");
    assert_non_null(strstr(client_result_message(CLIENT_WRONG_SESSION), "session"));
}

/* ---- with core/replicate: the engine's side of the wire ---- */

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void test_replica_follows_the_view_of_a_changing_profile(void **state)
{
    (void)state;
    vs_public_paths pp = the_public();
    client c;
    client_init(&c, 1, &pp);
    uint64_t rnd = 99;
    const char *const paths[] = {"Wallet.Coins", "Wallet.Gems", "Level", "Items", "Items.1",
                                 "Secret", "Wallet"};
    vs_value *profile = json("{\"Wallet\":{\"Coins\":0,\"Gems\":0},\"Secret\":\"x\"}");
    uint64_t s = 0, seq = 0;
    for (int step = 0; step < 3000; step++) {
        if (step % 500 == 0) { /* a teleport now and then: a new session, a new snapshot */
            s = client_connect(&c, 1 + step / 500);
            seq = 0;
            vs_value *view = vs_public_view(&pp, profile);
            assert_int_equal(client_apply_snapshot(&c, s, seq, view), CLIENT_APPLIED);
            vs_free(view);
        }
        vs_value *before = vs_copy(profile);
        vs_path p = path(paths[splitmix(&rnd) % 7]);
        uint64_t r = splitmix(&rnd) % 4;
        if (r == 0) {
            (void)vs_path_remove(profile, &p);
        } else if (vs_path_get(profile, &p) || p.count == 1 || vs_path_get(profile, &(vs_path){1, p.keys})) {
            vs_value *v = r == 1 ? vs_new_number((double)(splitmix(&rnd) % 100))
                          : r == 2 ? json("[\"a\",\"b\"]")
                                   : json("{\"Coins\":1,\"Gems\":2}");
            (void)vs_path_set(profile, &p, v);
        }
        vs_path_free(&p);
        vs_change_list cl;
        assert_int_equal(vs_public_diff(&pp, before, profile, &cl), VS_OK);
        assert_int_equal(client_apply_changes(&c, s, ++seq, &cl), CLIENT_APPLIED);
        vs_change_list_free(&cl);
        vs_free(before);
        vs_value *view = vs_public_view(&pp, profile);
        if (!vs_equal(client_replica(&c), view))
            fail_msg("step %d: the replica is not the view", step);
        vs_free(view);
    }
    assert_int_equal(c.counts.leaks, 0);
    assert_int_equal(c.counts.snapshots, 6);
    assert_int_equal(c.counts.change_lists, 3000);
    assert_true(c.counts.changes > 500);
    vs_free(profile);
    client_free(&c);
    vs_public_free(&pp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_then_changes_in_order),
        cmocka_unit_test(test_out_of_order_is_refused_and_changes_nothing),
        cmocka_unit_test(test_sessions_disconnect_and_reconnect),
        cmocka_unit_test(test_listeners_fire_once_in_order_after_the_list),
        cmocka_unit_test(test_listeners_on_snapshots_fire_where_the_node_differs),
        cmocka_unit_test(test_listeners_changed_by_callbacks),
        cmocka_unit_test(test_privacy_check_fires_on_bad_deliveries),
        cmocka_unit_test(test_a_list_that_does_not_fit_drops_the_replica),
        cmocka_unit_test(test_result_names),
        cmocka_unit_test(test_replica_follows_the_view_of_a_changing_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
