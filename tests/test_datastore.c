/* test_datastore.c: the simulated DataStore, stage by stage: latency and the apply point,
 * the read cache, update conflicts and cancel, increment, remove and versions, limits and
 * storability, budgets and queues, the classic cooldown, per-key throughput, every DataStore
 * fault, frozen and stopped servers, and what the history records. */
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
    platform_limits lim;
    fault_plan plan;
    history hist;
    datastore ds;
    endpoint ep[3]; /* servers 1 and 2 (index 0 unused) */
} env;

static env *env_new(uint64_t seed, limits_profile profile)
{
    env *e = calloc(1, sizeof *e);
    assert_true(world_init(&e->w, seed));
    limits_init(&e->lim, profile);
    fault_plan_init(&e->plan);
    history_init(&e->hist, &e->w);
    assert_true(datastore_init(&e->ds, &e->w, &e->lim, &e->plan, &e->hist));
    for (int i = 1; i <= 2; i++) {
        endpoint_init(&e->ep[i], &e->w, i);
        datastore_server_start(&e->ds, &e->ep[i]);
    }
    return e;
}

static void env_free(env *e)
{
    datastore_free(&e->ds);
    world_free(&e->w);
    for (int i = 1; i <= 2; i++)
        endpoint_free(&e->ep[i]);
    history_free(&e->hist);
    fault_plan_free(&e->plan);
    free(e);
}

static void run(env *e)
{
    world_run_until(&e->w, INT64_MAX / 4, true);
}

static void add_fault(env *e, fault_kind kind, uint32_t ppm, int64_t amount, int code)
{
    fault f = fault_default(kind);
    f.ppm = ppm;
    f.amount = amount;
    f.code = code;
    assert_true(fault_plan_add(&e->plan, &f));
}

static vs_value *parse(const char *json)
{
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(json, strlen(json), &v, NULL), VS_OK);
    return v;
}

static void free_answers(answer *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vs_free(a[i].value);
}

/* ---- flight ---- */

static void answers_come_after_a_latency_within_bounds(void **state)
{
    env *e = env_new(1, LIMITS_CURRENT);
    enum { N = 100 };
    answer a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (answer){.w = &e->w};
        datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &a[i]);
        assert_int_equal(a[i].calls, 0); /* never synchronous */
    }
    run(e);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(a[i].calls, 1);
        assert_null(a[i].value);
        assert_in_range(a[i].at_us, e->lim.ds_latency_min_us, e->lim.ds_latency_max_us);
        lo = a[i].at_us < lo ? a[i].at_us : lo;
        hi = a[i].at_us > hi ? a[i].at_us : hi;
    }
    assert_true(hi - lo > (e->lim.ds_latency_max_us - e->lim.ds_latency_min_us) / 2);
    assert_int_equal(history_count(&e->hist, "ds.get.ok", 0, 1), N);
    env_free(e);
}

/* ---- cache ---- */

static void cache_answers_within_ttl_then_expires(void **state)
{
    env *e = env_new(2, LIMITS_CURRENT);
    answer s = {.w = &e->w}, g1 = {.w = &e->w}, g2 = {.w = &e->w}, g3 = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[2], "S", "k", vs_new_number(1), on_done, &s);
    run(e);
    datastore_get(&e->ds, &e->ep[1], "S", "k", true, on_done, &g1); /* fills server 1's cache */
    run(e);
    /* Server 2 changes the value; server 1 keeps reading its cached 1 until the TTL passes. */
    datastore_set(&e->ds, &e->ep[2], "S", "k", vs_new_number(2), on_done, &s);
    run(e);
    int64_t cached_at = g1.at_us;
    datastore_get(&e->ds, &e->ep[1], "S", "k", true, on_done, &g2);
    run(e);
    assert_true(e->w.now_us < cached_at + e->lim.cache_ttl_us);
    assert_true(vs_number_of(g2.value) == 1);
    assert_int_equal(g2.at_us, e->w.now_us); /* answered at once */
    assert_int_equal(history_count(&e->hist, "ds.cache_hit", 0, 1), 1);
    /* After the TTL the store is asked again. */
    world_run_until(&e->w, cached_at + e->lim.cache_ttl_us, false);
    datastore_get(&e->ds, &e->ep[1], "S", "k", true, on_done, &g3);
    run(e);
    assert_true(vs_number_of(g3.value) == 2);
    assert_int_equal(history_count(&e->hist, "ds.cache_hit", 0, 1), 1);
    free_answers(&s, 1), free_answers(&g1, 1), free_answers(&g2, 1), free_answers(&g3, 1);
    env_free(e);
}

static void own_write_refreshes_cache_and_uncached_read_bypasses(void **state)
{
    env *e = env_new(3, LIMITS_CURRENT);
    answer a = {.w = &e->w}, g = {.w = &e->w};
    datastore_get(&e->ds, &e->ep[1], "S", "k", true, on_done, &g); /* caches "missing" */
    run(e);
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(7), on_done, &a);
    run(e);
    datastore_get(&e->ds, &e->ep[1], "S", "k", true, on_done, &g);
    run(e);
    assert_true(vs_number_of(g.value) == 7); /* the write refreshed the cache */
    assert_int_equal(history_count(&e->hist, "ds.cache_hit", 0, 0), 1);
    datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &g);
    run(e);
    assert_int_equal(history_count(&e->hist, "ds.cache_hit", 0, 0), 1); /* not from the cache */
    free_answers(&a, 1), free_answers(&g, 1);
    env_free(e);
}

/* ---- update ---- */

static bool add_one(void *arg, const vs_value *current, const vs_key_info *info, vs_ds_write *out)
{
    int *calls = arg;
    (*calls)++;
    out->value = vs_new_number((current ? vs_number_of(current) : 0) + 1);
    return true;
}

static bool cancel(void *arg, const vs_value *current, const vs_key_info *info, vs_ds_write *out)
{
    out->value = vs_new_number(99); /* must be discarded */
    return false;
}

static void concurrent_updates_rerun_and_lose_nothing(void **state)
{
    env *e = env_new(4, LIMITS_CURRENT);
    e->lim.update_gap_us = 200000; /* a wide read-to-commit gap makes conflicts certain */
    int transforms = 0;
    enum { N = 10 };
    answer a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (answer){.w = &e->w};
        datastore_update(&e->ds, &e->ep[1 + i % 2], "S", "n", add_one, &transforms, on_done, &a[i]);
    }
    run(e);
    const ds_entry *en = datastore_peek(&e->ds, "S", "n");
    assert_true(vs_number_of(en->value) == N); /* every increment landed exactly once */
    assert_int_equal(en->info.version, N);
    assert_true(transforms > N); /* some transforms ran again on a newer value */
    assert_int_equal(history_count(&e->hist, "ds.rerun", 0, 0), transforms - N);
    assert_int_equal(history_count(&e->hist, "ds.update.ok", 0, 0), N);
    free_answers(a, N);
    env_free(e);
}

static void cancelled_update_writes_nothing(void **state)
{
    env *e = env_new(5, LIMITS_CURRENT);
    answer s = {.w = &e->w}, c = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &s);
    run(e);
    datastore_update(&e->ds, &e->ep[1], "S", "k", cancel, NULL, on_done, &c);
    run(e);
    assert_true(c.cancelled);
    assert_int_equal(c.code, 0);
    assert_int_equal(datastore_peek(&e->ds, "S", "k")->info.version, 1);
    assert_int_equal(history_count(&e->hist, "ds.update.cancelled", 0, 0), 1);
    free_answers(&s, 1), free_answers(&c, 1);
    env_free(e);
}

/* ---- increment, remove, versions ---- */

static void increment_is_for_integers(void **state)
{
    env *e = env_new(6, LIMITS_CURRENT);
    answer a = {.w = &e->w}, b = {.w = &e->w}, s = {.w = &e->w}, bad = {.w = &e->w};
    datastore_increment(&e->ds, &e->ep[1], "S", "n", 5, on_done, &a);
    run(e);
    datastore_increment(&e->ds, &e->ep[1], "S", "n", -2, on_done, &b);
    run(e);
    assert_true(vs_number_of(b.value) == 3);
    datastore_set(&e->ds, &e->ep[1], "S", "f", vs_new_number(1.5), on_done, &s);
    run(e);
    datastore_increment(&e->ds, &e->ep[1], "S", "f", 1, on_done, &bad);
    run(e);
    assert_int_equal(bad.code, VS_DS_ValueNotAllowed);
    assert_true(vs_number_of(datastore_peek(&e->ds, "S", "f")->value) == 1.5);
    free_answers(&a, 1), free_answers(&b, 1), free_answers(&s, 1), free_answers(&bad, 1);
    env_free(e);
}

static void remove_leaves_a_tombstone_and_versions_are_hourly(void **state)
{
    env *e = env_new(7, LIMITS_CURRENT);
    answer a = {.w = &e->w};
    const int64_t hour = 3600LL * 1000000;
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &a); /* hour 0: kept */
    run(e);
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(2), on_done, &a); /* hour 0: not kept */
    run(e);
    world_run_until(&e->w, hour + 10, false);
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(3), on_done, &a); /* hour 1: kept */
    run(e);
    world_run_until(&e->w, 2 * hour + 10, false);
    answer rm = {.w = &e->w};
    datastore_remove(&e->ds, &e->ep[1], "S", "k", on_done, &rm); /* hour 2: tombstone kept */
    run(e);
    assert_true(vs_number_of(rm.value) == 3); /* the old value */
    const ds_entry *en = datastore_peek(&e->ds, "S", "k");
    assert_null(en->value);
    assert_int_equal(en->info.version, 4);
    assert_int_equal(en->version_count, 3);
    assert_int_equal(en->versions[0].version, 1);
    assert_int_equal(en->versions[1].version, 3);
    assert_true(en->versions[2].deleted);
    answer g = {.w = &e->w};
    datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &g);
    run(e);
    assert_null(g.value);
    /* The value in force half-way through hour 1 is version 3's. */
    answer at = {.w = &e->w};
    datastore_get_version_at_time(&e->ds, &e->ep[1], "S", "k", hour + hour / 2, on_done, &at);
    run(e);
    assert_true(vs_number_of(at.value) == 3);
    answer v1 = {.w = &e->w};
    datastore_get_version(&e->ds, &e->ep[1], "S", "k", 1, on_done, &v1);
    run(e);
    assert_true(vs_number_of(v1.value) == 1);
    free_answers(&a, 1), free_answers(&rm, 1), free_answers(&g, 1), free_answers(&at, 1),
        free_answers(&v1, 1);
    env_free(e);
}

typedef struct versions_answer {
    int count;
    int64_t first, last;
} versions_answer;

static void on_versions(void *arg, const vs_ds_versions *v)
{
    versions_answer *a = arg;
    a->count = (int)v->count;
    a->first = v->count ? v->items[0].version : -1;
    a->last = v->count ? v->items[v->count - 1].version : -1;
}

static void list_versions_orders_and_limits(void **state)
{
    env *e = env_new(8, LIMITS_CURRENT);
    answer a = {.w = &e->w};
    for (int h = 0; h < 5; h++) {
        world_run_until(&e->w, (int64_t)h * 3600 * 1000000 + 1, false);
        datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(h), on_done, &a);
        run(e);
    }
    versions_answer asc = {0}, desc = {0};
    datastore_list_versions(&e->ds, &e->ep[1], "S", "k", false, INT64_MIN, INT64_MAX, 3, on_versions, &asc);
    datastore_list_versions(&e->ds, &e->ep[1], "S", "k", true, INT64_MIN, INT64_MAX, 2, on_versions, &desc);
    run(e);
    assert_int_equal(asc.count, 3);
    assert_int_equal(asc.first, 1);
    assert_int_equal(asc.last, 3);
    assert_int_equal(desc.count, 2);
    assert_int_equal(desc.first, 5);
    free_answers(&a, 1);
    env_free(e);
}

/* ---- limits and storability ---- */

static void refusals_carry_their_codes(void **state)
{
    env *e = env_new(9, LIMITS_CURRENT);
    answer nan = {.w = &e->w}, hole = {.w = &e->w}, big = {.w = &e->w}, empty = {.w = &e->w},
           longk = {.w = &e->w}, meta = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "a", vs_new_number(NAN), on_done, &nan);
    vs_value *arr = vs_new_array();
    vs_array_push(arr, vs_new_number(1));
    vs_array_push(arr, vs_new_nil());
    datastore_set(&e->ds, &e->ep[1], "S", "b", arr, on_done, &hole);
    e->lim.value_max_bytes = 10;
    datastore_set(&e->ds, &e->ep[1], "S", "c", vs_new_string("longer than ten"), on_done, &big);
    datastore_get(&e->ds, &e->ep[1], "S", "", false, on_done, &empty);
    char k51[52];
    memset(k51, 'k', 51);
    k51[51] = '\0';
    datastore_get(&e->ds, &e->ep[1], "S", k51, false, on_done, &longk);
    run(e);
    assert_int_equal(nan.code, VS_DS_CantStoreValue);
    assert_int_equal(hole.code, VS_DS_CantStoreValue);
    assert_int_equal(big.code, VS_DS_ValueTooLarge);
    assert_int_equal(empty.code, VS_DS_KeyNameEmpty);
    assert_int_equal(longk.code, VS_DS_KeyNameLimit);
    assert_null(datastore_peek(&e->ds, "S", "a"));
    assert_int_equal(history_count(&e->hist, "ds.set.fail", 0, 0), 3);
    (void)meta;
    free_answers(&nan, 1), free_answers(&hole, 1), free_answers(&big, 1), free_answers(&empty, 1),
        free_answers(&longk, 1);
    env_free(e);
}

static bool with_metadata(void *arg, const vs_value *current, const vs_key_info *info, vs_ds_write *out)
{
    out->value = vs_new_number(1);
    out->metadata = parse(arg);
    out->user_ids = parse("[42]");
    return true;
}

static void metadata_is_replaced_and_limited(void **state)
{
    env *e = env_new(10, LIMITS_CURRENT);
    answer ok = {.w = &e->w}, big = {.w = &e->w};
    datastore_update(&e->ds, &e->ep[1], "S", "k", with_metadata, "{\"a\":1}", on_done, &ok);
    run(e);
    const ds_entry *en = datastore_peek(&e->ds, "S", "k");
    assert_non_null(en->info.metadata);
    assert_int_equal(vs_array_len(en->info.user_ids), 1);
    char large[400];
    memset(large, 'x', sizeof large);
    memcpy(large, "{\"a\":\"", 6);
    memcpy(large + sizeof large - 3, "\"}", 3);
    datastore_update(&e->ds, &e->ep[1], "S", "k", with_metadata, large, on_done, &big);
    run(e);
    assert_int_equal(big.code, VS_DS_AttributeTooLarge);
    assert_int_equal(datastore_peek(&e->ds, "S", "k")->info.version, 1);
    /* A plain set replaces user ids and metadata with none. */
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(2), on_done, &ok);
    run(e);
    assert_null(datastore_peek(&e->ds, "S", "k")->info.metadata);
    free_answers(&ok, 1), free_answers(&big, 1);
    env_free(e);
}

/* ---- budgets, cooldown, throughput ---- */

static void a_flood_fills_the_queue_then_drops_with_301(void **state)
{
    env *e = env_new(11, LIMITS_CLASSIC);
    /* No players: get refills at 60/min; the burst is 100; the queue holds 30. */
    enum { N = 140 };
    answer a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (answer){.w = &e->w};
        datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &a[i]);
    }
    run(e);
    int ok = 0, dropped = 0;
    int64_t last_ok = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(a[i].calls, 1);
        if (a[i].code == 0) {
            ok++;
            last_ok = a[i].at_us > last_ok ? a[i].at_us : last_ok;
        } else {
            assert_int_equal(a[i].code, VS_DS_GetAsyncThrottle);
            dropped++;
        }
    }
    assert_int_equal(ok, 130);
    assert_int_equal(dropped, 10);
    assert_int_equal(history_count(&e->hist, "ds.queued", 0, 1), 30);
    /* The 30 queued gets left one per second (60 per minute). */
    assert_in_range(last_ok, 29 * 1000000, 31 * 1000000);
    free_answers(a, N);
    env_free(e);
}

static void classic_cooldown_spaces_writes_to_one_key(void **state)
{
    env *e = env_new(12, LIMITS_CLASSIC);
    answer a = {.w = &e->w}, b = {.w = &e->w}, other = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &a);
    run(e);
    int64_t t0 = e->w.now_us;
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(2), on_done, &b);
    datastore_set(&e->ds, &e->ep[2], "S", "k", vs_new_number(3), on_done, &other); /* another server */
    run(e);
    assert_true(b.at_us >= t0 - e->lim.ds_latency_max_us + e->lim.write_cooldown_us);
    assert_true(other.at_us < t0 + e->lim.ds_latency_max_us + 1);
    free_answers(&a, 1), free_answers(&b, 1), free_answers(&other, 1);
    env_free(e);
}

static void current_key_throughput_throttles(void **state)
{
    env *e = env_new(13, LIMITS_CURRENT);
    e->lim.key_write_bytes_per_minute = 4096; /* 4 writes of up to 1 KB per minute */
    enum { N = 6 };
    answer a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (answer){.w = &e->w};
        datastore_set(&e->ds, &e->ep[1], "S", "hot", vs_new_number(i), on_done, &a[i]);
        run(e);
    }
    int throttled = 0;
    for (int i = 0; i < N; i++)
        throttled += a[i].code == VS_DS_KeyThrottled;
    assert_true(throttled >= 1);
    assert_int_equal(vs_ds_classify(VS_DS_KeyThrottled), VS_DS_CLASS_TRANSIENT);
    free_answers(a, N);
    env_free(e);
}

/* ---- faults ---- */

static void outage_and_error_rate_fail_requests(void **state)
{
    env *e = env_new(14, LIMITS_CURRENT);
    add_fault(e, FAULT_STORE_OUTAGE, FAULT_PPM, 0, 503);
    answer a = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &a);
    run(e);
    assert_int_equal(a.code, 503);
    assert_null(datastore_peek(&e->ds, "S", "k"));
    assert_int_equal(history_count(&e->hist, "ds.set.fail", 0, 0), 1);
    free_answers(&a, 1);
    env_free(e);
}

static void ambiguous_commit_commits_then_reports_an_error(void **state)
{
    env *e = env_new(15, LIMITS_CURRENT);
    add_fault(e, FAULT_AMBIGUOUS_COMMIT, FAULT_PPM, 0, 502);
    answer a = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &a);
    run(e);
    assert_int_equal(a.code, 502);
    assert_non_null(datastore_peek(&e->ds, "S", "k")); /* but it committed */
    assert_int_equal(history_count(&e->hist, "ds.set.unknown", 0, 0), 1);
    assert_int_equal(history_count(&e->hist, "ds.commit", 0, 0), 1);
    free_answers(&a, 1);
    env_free(e);
}

static void lost_answer_times_out_but_the_write_stands(void **state)
{
    env *e = env_new(16, LIMITS_CURRENT);
    add_fault(e, FAULT_LOST_RESPONSE, FAULT_PPM, 0, 0);
    answer a = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &a);
    run(e);
    assert_int_equal(a.code, VS_DS_RequestTimedOut);
    assert_int_equal(a.at_us, e->lim.ds_timeout_us);
    assert_non_null(datastore_peek(&e->ds, "S", "k"));
    assert_int_equal(history_count(&e->hist, "ds.set.unknown", 0, 0), 1);
    free_answers(&a, 1);
    env_free(e);
}

static bool saw(void *arg, const vs_value *current, const vs_key_info *info, vs_ds_write *out)
{
    *(bool *)arg = current != NULL;
    return false;
}

static void nil_read_hides_an_existing_key(void **state)
{
    env *e = env_new(17, LIMITS_CURRENT);
    answer s = {.w = &e->w}, g = {.w = &e->w}, u = {.w = &e->w};
    datastore_set(&e->ds, &e->ep[1], "S", "k", vs_new_number(1), on_done, &s);
    run(e);
    add_fault(e, FAULT_NIL_READ, FAULT_PPM, 0, 0);
    datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &g);
    bool seen = true;
    datastore_update(&e->ds, &e->ep[1], "S", "k", saw, &seen, on_done, &u);
    run(e);
    assert_int_equal(g.code, 0);
    assert_null(g.value);
    assert_false(seen); /* the transform was told the key is missing */
    assert_non_null(datastore_peek(&e->ds, "S", "k")->value);
    free_answers(&s, 1), free_answers(&g, 1), free_answers(&u, 1);
    env_free(e);
}

static void partition_and_latency_spike(void **state)
{
    env *e = env_new(18, LIMITS_CURRENT);
    fault p = fault_default(FAULT_PARTITION_STORE);
    p.server_mask = 1u << 1; /* server 2 only */
    assert_true(fault_plan_add(&e->plan, &p));
    add_fault(e, FAULT_LATENCY_SPIKE, FAULT_PPM, 2000000, 0);
    answer a = {.w = &e->w}, b = {.w = &e->w};
    datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &a);
    datastore_get(&e->ds, &e->ep[2], "S", "k", false, on_done, &b);
    run(e);
    assert_int_equal(a.code, 0);
    assert_true(a.at_us >= 2000000 + e->lim.ds_latency_min_us);
    assert_int_equal(b.code, VS_DS_InternalError);
    free_answers(&a, 1), free_answers(&b, 1);
    env_free(e);
}

/* ---- servers that freeze or stop ---- */

static void frozen_server_hears_later_stopped_server_never(void **state)
{
    env *e = env_new(19, LIMITS_CURRENT);
    answer a = {.w = &e->w}, b = {.w = &e->w};
    int transforms = 0;
    endpoint_freeze(&e->ep[1]);
    datastore_get(&e->ds, &e->ep[1], "S", "k", false, on_done, &a);
    datastore_update(&e->ds, &e->ep[2], "S", "k", add_one, &transforms, on_done, &b);
    endpoint_stop(&e->ep[2]);
    world_run_until(&e->w, 10 * 1000000, false);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 0);
    assert_int_equal(transforms, 0); /* the transform would run on the stopped server */
    endpoint_resume(&e->ep[1]);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.at_us, 10 * 1000000);
    free_answers(&a, 1), free_answers(&b, 1);
    env_free(e);
}

static void same_seed_same_history(void **state)
{
    char f[2][33];
    for (int k = 0; k < 2; k++) {
        env *e = env_new(20, LIMITS_CURRENT);
        add_fault(e, FAULT_ERROR_RATE, 300000, 0, 501);
        add_fault(e, FAULT_LATENCY_TAIL, 100000, 3000000, 0);
        int transforms = 0;
        answer a[20];
        for (int i = 0; i < 20; i++) {
            a[i] = (answer){.w = &e->w};
            datastore_update(&e->ds, &e->ep[1 + i % 2], "S", "n", add_one, &transforms, on_done, &a[i]);
        }
        run(e);
        world_fingerprint(&e->w, f[k]);
        free_answers(a, 20);
        env_free(e);
    }
    assert_string_equal(f[0], f[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_come_after_a_latency_within_bounds),
        cmocka_unit_test(cache_answers_within_ttl_then_expires),
        cmocka_unit_test(own_write_refreshes_cache_and_uncached_read_bypasses),
        cmocka_unit_test(concurrent_updates_rerun_and_lose_nothing),
        cmocka_unit_test(cancelled_update_writes_nothing),
        cmocka_unit_test(increment_is_for_integers),
        cmocka_unit_test(remove_leaves_a_tombstone_and_versions_are_hourly),
        cmocka_unit_test(list_versions_orders_and_limits),
        cmocka_unit_test(refusals_carry_their_codes),
        cmocka_unit_test(metadata_is_replaced_and_limited),
        cmocka_unit_test(a_flood_fills_the_queue_then_drops_with_301),
        cmocka_unit_test(classic_cooldown_spaces_writes_to_one_key),
        cmocka_unit_test(current_key_throughput_throttles),
        cmocka_unit_test(outage_and_error_rate_fail_requests),
        cmocka_unit_test(ambiguous_commit_commits_then_reports_an_error),
        cmocka_unit_test(lost_answer_times_out_but_the_write_stands),
        cmocka_unit_test(nil_read_hides_an_existing_key),
        cmocka_unit_test(partition_and_latency_spike),
        cmocka_unit_test(frozen_server_hears_later_stopped_server_never),
        cmocka_unit_test(same_seed_same_history),
    };
    return cmocka_run_group_tests_name("datastore", tests, NULL, NULL);
}
