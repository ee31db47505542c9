/* test_datastore.c: the simulated DataStore: latency, the apply point, key info, the
 * storability and name limits with their codes, update transforms and cancel, and what
 * happens to requests of a server that stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "sim/datastore.h"

typedef struct answer {
    int calls;
    int code;
    bool cancelled;
    int64_t at_us;
    int64_t version;
    vs_value *value;
    world *w;
} answer;

static void on_done(void *arg, const vs_ds_result *r)
{
    answer *a = arg;
    a->calls++;
    a->code = r->code;
    a->cancelled = r->cancelled;
    a->at_us = a->w->now_us;
    a->version = r->info ? r->info->version : -1;
    vs_free(a->value);
    a->value = r->value ? vs_copy(r->value) : NULL;
}

typedef struct env {
    world w;
    datastore ds;
    ds_client client;
} env;

static env *env_new(uint64_t seed)
{
    env *e = calloc(1, sizeof *e);
    assert_true(world_init(&e->w, seed));
    datastore_config cfg;
    datastore_config_default(&cfg);
    assert_true(datastore_init(&e->ds, &e->w, &cfg));
    e->client = (ds_client){.id = 1, .alive = true};
    return e;
}

static void env_free(env *e)
{
    datastore_free(&e->ds);
    world_free(&e->w);
    free(e);
}

static vs_value *parse(const char *json)
{
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(json, strlen(json), &v, NULL), VS_OK);
    return v;
}

static void defaults_follow_the_platform(void **state)
{
    datastore_config cfg;
    datastore_config_default(&cfg);
    assert_int_equal(cfg.max_value_bytes, 4194304);
    assert_int_equal(cfg.max_name_bytes, 50);
    assert_true(cfg.latency_min_us <= cfg.latency_max_us);
}

static void get_of_missing_key_answers_nothing_after_latency(void **state)
{
    env *e = env_new(1);
    answer a = {.w = &e->w};
    datastore_get(&e->ds, &e->client, "S", "k", on_done, &a);
    assert_int_equal(a.calls, 0); /* never synchronous */
    world_run_until(&e->w, INT64_MAX, true);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    assert_null(a.value);
    assert_int_equal(a.version, 0);
    assert_in_range(a.at_us, e->ds.cfg.latency_min_us, e->ds.cfg.latency_max_us);
    env_free(e);
}

static void set_then_get_sees_value_and_version(void **state)
{
    env *e = env_new(2);
    answer s = {.w = &e->w}, g = {.w = &e->w};
    datastore_set(&e->ds, &e->client, "S", "k", parse("{\"a\":1}"), on_done, &s);
    world_run_until(&e->w, INT64_MAX, true);
    assert_int_equal(s.code, 0);
    assert_int_equal(s.version, 1);
    datastore_get(&e->ds, &e->client, "S", "k", on_done, &g);
    world_run_until(&e->w, INT64_MAX, true);
    assert_true(vs_equal(g.value, s.value));
    const ds_entry *en = datastore_peek(&e->ds, "S", "k");
    assert_non_null(en);
    assert_int_equal(en->json_len, strlen("{\"a\":1}"));
    assert_true(en->info.created_us <= en->info.updated_us);
    /* same key in another store is another key */
    assert_null(datastore_peek(&e->ds, "T", "k"));
    vs_free(s.value);
    vs_free(g.value);
    env_free(e);
}

static bool add_one(void *arg, const vs_value *current, const vs_key_info *info, vs_ds_write *out)
{
    int *calls = arg;
    (*calls)++;
    double n = current ? vs_number_of(current) : 0;
    out->value = vs_new_number(n + 1);
    out->metadata = parse("{\"m\":1}");
    return true;
}

static bool cancel(void *arg, const vs_value *current, const vs_key_info *info, vs_ds_write *out)
{
    (void)arg, (void)current, (void)info;
    out->value = vs_new_number(99); /* must be discarded */
    return false;
}

static void updates_apply_in_order_and_cancel_writes_nothing(void **state)
{
    env *e = env_new(3);
    int transforms = 0;
    answer a[3] = {{.w = &e->w}, {.w = &e->w}, {.w = &e->w}};
    for (int i = 0; i < 3; i++)
        datastore_update(&e->ds, &e->client, "S", "n", add_one, &transforms, on_done, &a[i]);
    world_run_until(&e->w, INT64_MAX, true);
    assert_int_equal(transforms, 3);
    const ds_entry *en = datastore_peek(&e->ds, "S", "n");
    assert_true(vs_number_of(en->value) == 3);
    assert_int_equal(en->info.version, 3);
    assert_non_null(en->info.metadata);
    answer c = {.w = &e->w};
    datastore_update(&e->ds, &e->client, "S", "n", cancel, NULL, on_done, &c);
    world_run_until(&e->w, INT64_MAX, true);
    assert_true(c.cancelled);
    assert_int_equal(c.code, 0);
    assert_null(c.value);
    assert_int_equal(datastore_peek(&e->ds, "S", "n")->info.version, 3);
    for (int i = 0; i < 3; i++)
        vs_free(a[i].value);
    env_free(e);
}

static void unstorable_and_oversized_values_are_refused_with_their_codes(void **state)
{
    env *e = env_new(4);
    answer nan = {.w = &e->w}, hole = {.w = &e->w}, big = {.w = &e->w};
    datastore_set(&e->ds, &e->client, "S", "a", vs_new_number(NAN), on_done, &nan);
    vs_value *arr = vs_new_array();
    vs_array_push(arr, vs_new_number(1));
    vs_array_push(arr, vs_new_nil());
    datastore_set(&e->ds, &e->client, "S", "b", arr, on_done, &hole);
    e->ds.cfg.max_value_bytes = 10;
    datastore_set(&e->ds, &e->client, "S", "c", vs_new_string("this is longer than ten"), on_done, &big);
    world_run_until(&e->w, INT64_MAX, true);
    assert_int_equal(nan.code, VS_DS_CantStoreValue);
    assert_int_equal(hole.code, VS_DS_CantStoreValue);
    assert_int_equal(big.code, VS_DS_ValueTooLarge);
    assert_null(datastore_peek(&e->ds, "S", "a"));
    assert_null(datastore_peek(&e->ds, "S", "b"));
    assert_null(datastore_peek(&e->ds, "S", "c"));
    env_free(e);
}

static void key_names_are_checked(void **state)
{
    env *e = env_new(5);
    answer empty = {.w = &e->w}, longk = {.w = &e->w}, ok50 = {.w = &e->w};
    char k51[52], k50[51];
    memset(k51, 'k', 51);
    k51[51] = '\0';
    memset(k50, 'k', 50);
    k50[50] = '\0';
    datastore_get(&e->ds, &e->client, "S", "", on_done, &empty);
    datastore_get(&e->ds, &e->client, "S", k51, on_done, &longk);
    datastore_get(&e->ds, &e->client, "S", k50, on_done, &ok50);
    world_run_until(&e->w, INT64_MAX, true);
    assert_int_equal(empty.code, VS_DS_KeyNameEmpty);
    assert_int_equal(longk.code, VS_DS_KeyNameLimit);
    assert_int_equal(ok50.code, 0);
    env_free(e);
}

static void stopped_client_gets_no_answer_but_applied_writes_stay(void **state)
{
    env *e = env_new(6);
    answer s = {.w = &e->w};
    int transforms = 0;
    answer u = {.w = &e->w};
    datastore_set(&e->ds, &e->client, "S", "k", vs_new_number(1), on_done, &s);
    /* run until the set is applied but not answered */
    while (datastore_peek(&e->ds, "S", "k") == NULL)
        world_run_until(&e->w, e->w.now_us + 1, false);
    datastore_update(&e->ds, &e->client, "S", "k", add_one, &transforms, on_done, &u);
    e->client.alive = false; /* the server crashes */
    world_run_until(&e->w, INT64_MAX, true);
    assert_int_equal(s.calls, 0);
    assert_int_equal(u.calls, 0);
    assert_int_equal(transforms, 0); /* the transform would run on the dead server */
    assert_true(vs_number_of(datastore_peek(&e->ds, "S", "k")->value) == 1);
    env_free(e);
}

static void latency_is_drawn_within_bounds_and_varies(void **state)
{
    env *e = env_new(7);
    enum { N = 200 };
    answer a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (answer){.w = &e->w};
        datastore_get(&e->ds, &e->client, "S", "k", on_done, &a[i]);
    }
    world_run_until(&e->w, INT64_MAX, true);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < N; i++) {
        assert_in_range(a[i].at_us, e->ds.cfg.latency_min_us, e->ds.cfg.latency_max_us);
        lo = a[i].at_us < lo ? a[i].at_us : lo;
        hi = a[i].at_us > hi ? a[i].at_us : hi;
    }
    assert_true(hi - lo > (e->ds.cfg.latency_max_us - e->ds.cfg.latency_min_us) / 2);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_follow_the_platform),
        cmocka_unit_test(get_of_missing_key_answers_nothing_after_latency),
        cmocka_unit_test(set_then_get_sees_value_and_version),
        cmocka_unit_test(updates_apply_in_order_and_cancel_writes_nothing),
        cmocka_unit_test(unstorable_and_oversized_values_are_refused_with_their_codes),
        cmocka_unit_test(key_names_are_checked),
        cmocka_unit_test(stopped_client_gets_no_answer_but_applied_writes_stay),
        cmocka_unit_test(latency_is_drawn_within_bounds_and_varies),
    };
    return cmocka_run_group_tests_name("datastore", tests, NULL, NULL);
}
