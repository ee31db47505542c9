/* test_ordered.c: the simulated OrderedDataStore: get, set, increment and remove with their
 * answers and latency; integer range and name checks; sorted pages (both directions, ranges,
 * page sizes, ties, cursors across pages and across changes, NULL cursor on the last page);
 * the index lag to the microsecond; faults; answers through endpoints; thousands of keys
 * against a model; determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/ordered.h"

#define SEC 1000000LL
#define NSERVERS 3
#define MAXPAGE 100

typedef struct env {
    world w;
    platform_limits lim;
    fault_plan faults;
    ordered o;
    endpoint ep[NSERVERS + 1]; /* ep[1..NSERVERS] */
} env;

typedef struct answer {
    world *w;
    int calls;
    int code;
    bool has;
    int64_t value;
    int64_t at_us;
} answer;

typedef struct page {
    world *w;
    int calls;
    int code;
    size_t count;
    char keys[MAXPAGE][64];
    int64_t values[MAXPAGE];
    char *cursor; /* a copy, or NULL */
    int64_t at_us;
} page;

static void on_done(void *arg, const vs_ds_result *r)
{
    answer *a = arg;
    assert_non_null(r->message);
    assert_non_null(r->info);
    assert_int_equal(r->info->version, 0);
    a->calls++;
    a->code = r->code;
    a->has = r->value != NULL;
    a->value = r->value ? (int64_t)vs_number_of(r->value) : 0;
    a->at_us = a->w->now_us;
}

static void on_page(void *arg, const vs_ods_page *p)
{
    page *pg = arg;
    assert_non_null(p->message);
    pg->calls++;
    pg->code = p->code;
    pg->count = p->count;
    assert_true(p->count <= MAXPAGE);
    for (size_t i = 0; i < p->count; i++) {
        snprintf(pg->keys[i], sizeof pg->keys[i], "%s", p->entries[i].key);
        pg->values[i] = p->entries[i].value;
    }
    free(pg->cursor);
    pg->cursor = p->next_cursor ? strdup(p->next_cursor) : NULL;
    pg->at_us = pg->w->now_us;
}

static env *env_new(uint64_t seed)
{
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_true(world_init(&e->w, seed));
    limits_init(&e->lim, LIMITS_CURRENT);
    fault_plan_init(&e->faults);
    assert_true(ordered_init(&e->o, &e->w, &e->lim, &e->faults));
    for (int i = 1; i <= NSERVERS; i++)
        endpoint_init(&e->ep[i], &e->w, i);
    return e;
}

static void env_free(env *e)
{
    ordered_free(&e->o);
    for (int i = 1; i <= NSERVERS; i++)
        endpoint_free(&e->ep[i]);
    world_free(&e->w);
    fault_plan_free(&e->faults);
    free(e);
}

static void run_all(env *e)
{
    world_run_until(&e->w, INT64_MAX, true);
}

static void wait_lag(env *e)
{
    world_run_until(&e->w, e->w.now_us + e->lim.ordered_index_lag_us, false);
}

/* Synchronous helpers: send from server 1, run until answered. */
static answer get(env *e, const char *key)
{
    answer a = {.w = &e->w};
    ordered_get(&e->o, &e->ep[1], "S", key, on_done, &a);
    run_all(e);
    assert_int_equal(a.calls, 1);
    return a;
}

static answer set(env *e, const char *key, int64_t v)
{
    answer a = {.w = &e->w};
    ordered_set(&e->o, &e->ep[1], "S", key, v, on_done, &a);
    run_all(e);
    assert_int_equal(a.calls, 1);
    return a;
}

static answer incr(env *e, const char *key, int64_t d)
{
    answer a = {.w = &e->w};
    ordered_increment(&e->o, &e->ep[1], "S", key, d, on_done, &a);
    run_all(e);
    assert_int_equal(a.calls, 1);
    return a;
}

static answer rem(env *e, const char *key)
{
    answer a = {.w = &e->w};
    ordered_remove(&e->o, &e->ep[1], "S", key, on_done, &a);
    run_all(e);
    assert_int_equal(a.calls, 1);
    return a;
}

/* One page into *pg (whose cursor is replaced). */
static void sorted(env *e, page *pg, bool asc, size_t size, int64_t min, int64_t max,
                   const char *cursor)
{
    pg->w = &e->w;
    pg->calls = 0;
    ordered_get_sorted(&e->o, &e->ep[1], "S", asc, size, min, max, cursor, on_page, pg);
    run_all(e);
    assert_int_equal(pg->calls, 1);
}

static void add_fault(env *e, fault_kind kind, fault_op op, uint64_t mask, int64_t start,
                      int64_t end, uint32_t ppm, int code)
{
    fault f = fault_default(kind);
    f.op = op;
    f.server_mask = mask;
    f.start_us = start;
    f.end_us = end;
    f.ppm = ppm;
    f.code = code;
    assert_true(fault_plan_add(&e->faults, &f));
}

/* ---- tests ---- */

static void get_set_increment_remove(void **state)
{
    env *e = env_new(1);
    answer a = get(e, "a");
    assert_int_equal(a.code, 0);
    assert_false(a.has);
    assert_in_range(a.at_us, e->lim.ds_latency_min_us, e->lim.ds_latency_max_us);

    a = set(e, "a", 5);
    assert_int_equal(a.code, 0);
    assert_true(a.has);
    assert_int_equal(a.value, 5);
    a = get(e, "a");
    assert_true(a.has);
    assert_int_equal(a.value, 5);
    a = incr(e, "a", 3);
    assert_int_equal(a.value, 8);
    a = incr(e, "a", -10);
    assert_int_equal(a.value, -2);
    a = incr(e, "b", 2); /* a missing key counts from 0 */
    assert_int_equal(a.code, 0);
    assert_int_equal(a.value, 2);
    int64_t v = 0;
    assert_true(ordered_peek(&e->o, "S", "a", &v));
    assert_int_equal(v, -2);
    assert_false(ordered_peek(&e->o, "T", "a", &v)); /* another store */

    a = rem(e, "a");
    assert_int_equal(a.code, 0);
    assert_true(a.has);
    assert_int_equal(a.value, -2); /* the old value */
    assert_false(get(e, "a").has);
    a = rem(e, "a");
    assert_int_equal(a.code, 0);
    assert_false(a.has);
    assert_false(ordered_peek(&e->o, "S", "a", NULL));
    assert_int_equal(e->o.stats.writes, 5); /* set, 3 increments, 1 remove of a present key */
    /* an increment after a remove starts from 0 again */
    assert_int_equal(incr(e, "a", 7).value, 7);
    env_free(e);
}

static void answers_come_after_a_full_round_trip(void **state)
{
    /* The apply point is anywhere inside the round trip, but the answer always comes at its
     * end: never sooner than the shortest latency, never later than the longest. */
    env *e = env_new(21);
    answer a[300];
    int64_t sent = e->w.now_us;
    for (int i = 0; i < 300; i++) {
        a[i] = (answer){.w = &e->w};
        if (i % 2)
            ordered_set(&e->o, &e->ep[1 + i % NSERVERS], "S", "k", i, on_done, &a[i]);
        else
            ordered_get(&e->o, &e->ep[1 + i % NSERVERS], "S", "k", on_done, &a[i]);
    }
    run_all(e);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 300; i++) {
        assert_int_equal(a[i].calls, 1);
        assert_in_range(a[i].at_us - sent, e->lim.ds_latency_min_us, e->lim.ds_latency_max_us);
        lo = a[i].at_us < lo ? a[i].at_us : lo;
        hi = a[i].at_us > hi ? a[i].at_us : hi;
    }
    assert_true(hi - lo > (e->lim.ds_latency_max_us - e->lim.ds_latency_min_us) / 2);
    /* requests sent together apply in a drawn order: some gets see a set sent after them */
    int saw_later = 0;
    for (int i = 0; i < 300; i += 2)
        saw_later += a[i].has && a[i].value > i;
    assert_true(saw_later > 0);
    env_free(e);
}

static void values_stay_integers(void **state)
{
    env *e = env_new(2);
    const int64_t top = ORDERED_VALUE_MAX;
    assert_int_equal(set(e, "hi", top).value, top);
    assert_int_equal(set(e, "lo", -top).value, -top);
    assert_int_equal(set(e, "x", top + 1).code, VS_DS_CantStoreValue);
    assert_int_equal(set(e, "x", -top - 1).code, VS_DS_CantStoreValue);
    assert_int_equal(set(e, "x", INT64_MIN).code, VS_DS_CantStoreValue);
    assert_false(ordered_peek(&e->o, "S", "x", NULL));
    assert_int_equal(incr(e, "x", top + 1).code, VS_DS_CantStoreValue);
    assert_int_equal(incr(e, "x", INT64_MAX).code, VS_DS_CantStoreValue);
    /* a result beyond the range fails and leaves the value as it was */
    answer a = incr(e, "hi", 1);
    assert_int_equal(a.code, VS_DS_CantStoreValue);
    assert_false(a.has);
    int64_t v;
    assert_true(ordered_peek(&e->o, "S", "hi", &v));
    assert_int_equal(v, top);
    assert_int_equal(incr(e, "lo", -1).code, VS_DS_CantStoreValue);
    assert_int_equal(incr(e, "hi", -top).value, 0);
    assert_int_equal(vs_ds_classify(VS_DS_CantStoreValue), VS_DS_CLASS_CALLER);
    env_free(e);
}

static void names_are_checked(void **state)
{
    env *e = env_new(3);
    char name[80];
    memset(name, 'k', 50);
    name[50] = '\0';
    assert_int_equal(set(e, name, 1).code, 0);
    name[50] = 'k';
    name[51] = '\0';
    assert_int_equal(set(e, name, 1).code, VS_DS_KeyNameLimit);
    assert_int_equal(get(e, name).code, VS_DS_KeyNameLimit);
    assert_int_equal(set(e, "", 1).code, VS_DS_KeyNameEmpty);
    assert_int_equal(rem(e, "").code, VS_DS_KeyNameEmpty);
    answer a = {.w = &e->w};
    ordered_set(&e->o, &e->ep[1], "", "k", 1, on_done, &a);
    ordered_set(&e->o, &e->ep[1], name, "k", 1, on_done, &a);
    run_all(e);
    assert_int_equal(a.calls, 2);
    assert_int_equal(a.code, VS_DS_KeyNameLimit);
    /* refused requests still answer after a drawn latency */
    page pg = {.w = &e->w};
    int64_t sent = e->w.now_us;
    ordered_get_sorted(&e->o, &e->ep[1], "", true, 10, 0, 10, NULL, on_page, &pg);
    assert_int_equal(pg.calls, 0);
    run_all(e);
    assert_int_equal(pg.calls, 1);
    assert_int_equal(pg.code, VS_DS_KeyNameEmpty);
    assert_in_range(pg.at_us - sent, e->lim.ds_latency_min_us, e->lim.ds_latency_max_us);
    env_free(e);
}

/* 25 keys k00..k24 with value i % 5: many ties. */
static void fill_ties(env *e)
{
    char key[16];
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        ordered_set(&e->o, &e->ep[1 + i % NSERVERS], "S", key, i % 5, NULL, NULL);
    }
    run_all(e);
    wait_lag(e);
}

/* The expected order: value ascending, then key ascending. */
static void expected_tie_order(char keys[25][16], int64_t values[25])
{
    int n = 0;
    for (int v = 0; v < 5; v++)
        for (int i = v; i < 25; i += 5) {
            snprintf(keys[n], sizeof keys[n], "k%02d", i);
            values[n++] = v;
        }
}

/* Walks every page; returns the number of pages and fills the entries seen. */
static int walk(env *e, bool asc, size_t size, int64_t min, int64_t max, char keys[][64],
                int64_t *values, size_t *count)
{
    page pg = {0};
    char *cursor = NULL;
    int pages = 0;
    *count = 0;
    do {
        sorted(e, &pg, asc, size, min, max, cursor);
        assert_int_equal(pg.code, 0);
        free(cursor);
        cursor = pg.cursor ? strdup(pg.cursor) : NULL;
        pages++;
        if (cursor)
            assert_int_equal(pg.count, size); /* only the last page may be short */
        for (size_t i = 0; i < pg.count; i++) {
            strcpy(keys[*count], pg.keys[i]);
            values[(*count)++] = pg.values[i];
        }
        assert_true(pages < 1000);
    } while (cursor);
    free(pg.cursor);
    return pages;
}

static void sorted_pages_with_ties_and_cursors(void **state)
{
    env *e = env_new(4);
    fill_ties(e);
    char want_keys[25][16];
    int64_t want_values[25];
    expected_tie_order(want_keys, want_values);
    char keys[200][64];
    int64_t values[200];
    size_t n;

    /* ascending, page of 4: 7 pages, the last one of 1 with no cursor */
    assert_int_equal(walk(e, true, 4, INT64_MIN, INT64_MAX, keys, values, &n), 7);
    assert_int_equal(n, 25);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(keys[i], want_keys[i]);
        assert_int_equal(values[i], want_values[i]);
    }
    /* descending is the exact reverse, ties included */
    assert_int_equal(walk(e, false, 4, INT64_MIN, INT64_MAX, keys, values, &n), 7);
    assert_int_equal(n, 25);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(keys[i], want_keys[24 - i]);
        assert_int_equal(values[i], want_values[24 - i]);
    }
    /* a page size that divides the count: the last full page already has no cursor */
    assert_int_equal(walk(e, true, 5, INT64_MIN, INT64_MAX, keys, values, &n), 5);
    assert_int_equal(walk(e, false, 25, INT64_MIN, INT64_MAX, keys, values, &n), 1);
    assert_int_equal(n, 25);
    /* page sizes 1 and the maximum */
    assert_int_equal(walk(e, true, 1, INT64_MIN, INT64_MAX, keys, values, &n), 25);
    assert_int_equal(walk(e, true, (size_t)e->lim.ordered_page_max, INT64_MIN, INT64_MAX, keys,
                          values, &n), 1);
    assert_int_equal(n, 25);
    /* a cursor splitting a run of ties continues inside it */
    page pg = {0};
    sorted(e, &pg, true, 7, INT64_MIN, INT64_MAX, NULL); /* ends at (1, k06) mid-run */
    assert_string_equal(pg.keys[6], "k06");
    char *c = strdup(pg.cursor);
    sorted(e, &pg, true, 2, INT64_MIN, INT64_MAX, c);
    assert_string_equal(pg.keys[0], "k11");
    assert_string_equal(pg.keys[1], "k16");
    free(c);
    free(pg.cursor);
    env_free(e);
}

static void min_and_max_bound_the_pages(void **state)
{
    env *e = env_new(5);
    char key[16];
    for (int v = -10; v <= 10; v++) {
        snprintf(key, sizeof key, "v%+03d", v);
        ordered_set(&e->o, &e->ep[1], "S", key, v, NULL, NULL);
    }
    run_all(e);
    wait_lag(e);
    char keys[200][64];
    int64_t values[200];
    size_t n;
    walk(e, true, 3, -3, 4, keys, values, &n);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(values[i], -3 + (int64_t)i);
    walk(e, false, 3, -3, 4, keys, values, &n);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(values[i], 4 - (int64_t)i);
    walk(e, false, 10, 0, 0, keys, values, &n);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "v+00");
    /* nothing in range: one empty page, no cursor, no error */
    page pg = {0};
    sorted(e, &pg, true, 10, 11, 100, NULL);
    assert_int_equal(pg.code, 0);
    assert_int_equal(pg.count, 0);
    assert_null(pg.cursor);
    sorted(e, &pg, false, 10, -100, -11, NULL);
    assert_int_equal(pg.count, 0);
    /* a store nobody wrote is empty too */
    pg.calls = 0;
    ordered_get_sorted(&e->o, &e->ep[1], "Nothing", true, 10, INT64_MIN, INT64_MAX, NULL, on_page, &pg);
    run_all(e);
    assert_int_equal(pg.calls, 1);
    assert_int_equal(pg.code, 0);
    assert_int_equal(pg.count, 0);
    /* a page ends exactly at the range's end: no cursor */
    sorted(e, &pg, true, 3, 8, 10, NULL);
    assert_int_equal(pg.count, 3);
    assert_null(pg.cursor);
    sorted(e, &pg, true, 3, 7, 10, NULL);
    assert_non_null(pg.cursor);
    free(pg.cursor);
    env_free(e);
}

static void cursor_survives_changes_between_pages(void **state)
{
    env *e = env_new(6);
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        ordered_set(&e->o, &e->ep[1], "S", keys[i], 10 * (i + 1), NULL, NULL);
    run_all(e);
    wait_lag(e);
    page pg = {0};
    sorted(e, &pg, true, 3, INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(pg.count, 3); /* a10 b20 c30 */
    char *c = strdup(pg.cursor);
    /* a moves past the cursor, e moves before it, b (already seen) changes but stays before */
    set(e, "a", 45);
    set(e, "e", 5);
    set(e, "b", 25);
    wait_lag(e);
    sorted(e, &pg, true, 3, INT64_MIN, INT64_MAX, c);
    assert_int_equal(pg.code, 0);
    assert_int_equal(pg.count, 2);
    assert_string_equal(pg.keys[0], "d");
    assert_string_equal(pg.keys[1], "a"); /* seen again, at its new place */
    assert_int_equal(pg.values[1], 45);
    assert_null(pg.cursor);
    /* the key at the cursor itself was removed: the next page still starts after it */
    rem(e, "c");
    wait_lag(e);
    sorted(e, &pg, true, 10, INT64_MIN, INT64_MAX, c);
    assert_int_equal(pg.count, 2);
    assert_string_equal(pg.keys[0], "d");
    /* a cursor carries no direction: descending from (30, c) goes down */
    sorted(e, &pg, false, 10, INT64_MIN, INT64_MAX, c);
    assert_int_equal(pg.count, 2);
    assert_string_equal(pg.keys[0], "b");
    assert_string_equal(pg.keys[1], "e");
    free(c);
    free(pg.cursor);
    env_free(e);
}

typedef struct timed_read {
    env *e;
    page *pg;
} timed_read;

static void read_now(void *arg)
{
    timed_read *t = arg;
    t->pg->w = &t->e->w;
    ordered_get_sorted(&t->e->o, &t->e->ep[1], "S", true, 10, INT64_MIN, INT64_MAX, NULL, on_page,
                       t->pg);
}

/* Reads the index with a request applied at exactly `at` (latency is 0 in this test). */
static void read_at(env *e, int64_t at, page *pg)
{
    timed_read t = {e, pg};
    pg->calls = 0;
    world_at(&e->w, at, "test.read", read_now, &t);
    world_run_until(&e->w, at, false);
    assert_int_equal(pg->calls, 1);
    assert_int_equal(pg->at_us, at);
}

typedef struct timed_write {
    env *e;
    int kind; /* 0 set, 1 remove */
    int64_t v;
} timed_write;

static void write_now(void *arg)
{
    timed_write *t = arg;
    if (t->kind == 0)
        ordered_set(&t->e->o, &t->e->ep[1], "S", "a", t->v, NULL, NULL);
    else
        ordered_remove(&t->e->o, &t->e->ep[1], "S", "a", NULL, NULL);
}

static void write_at(env *e, int64_t at, int kind, int64_t v)
{
    timed_write t = {e, kind, v};
    world_at(&e->w, at, "test.write", write_now, &t);
    world_run_until(&e->w, at, false);
}

static void index_lags_writes_exactly(void **state)
{
    env *e = env_new(7);
    e->lim.ds_latency_min_us = e->lim.ds_latency_max_us = 0; /* apply when sent */
    const int64_t lag = e->lim.ordered_index_lag_us;
    assert_true(lag > 1);
    page pg = {0};
    write_at(e, SEC, 0, 1);
    int64_t v;
    assert_true(ordered_peek(&e->o, "S", "a", &v)); /* committed at once */
    answer a = {.w = &e->w};
    ordered_get(&e->o, &e->ep[1], "S", "a", on_done, &a); /* a get sees it at once */
    world_run_until(&e->w, SEC, false);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.value, 1);
    read_at(e, SEC + lag - 1, &pg);
    assert_int_equal(pg.count, 0);
    assert_int_equal(ordered_index_count(&e->o, "S"), 0);
    read_at(e, SEC + lag, &pg);
    assert_int_equal(pg.count, 1);
    assert_int_equal(pg.values[0], 1);

    /* an overwrite: the old value until the lag has passed, then the new one */
    int64_t t = 10 * SEC;
    write_at(e, t, 0, 2);
    write_at(e, t + lag / 2, 0, 3);
    read_at(e, t + lag - 1, &pg);
    assert_int_equal(pg.values[0], 1);
    read_at(e, t + lag, &pg);
    assert_int_equal(pg.values[0], 2);
    read_at(e, t + lag / 2 + lag - 1, &pg);
    assert_int_equal(pg.values[0], 2);
    read_at(e, t + lag / 2 + lag, &pg);
    assert_int_equal(pg.values[0], 3);

    /* a remove: still listed until the lag has passed */
    t = 20 * SEC;
    write_at(e, t, 1, 0);
    assert_false(ordered_peek(&e->o, "S", "a", NULL));
    read_at(e, t + lag - 1, &pg);
    assert_int_equal(pg.count, 1);
    assert_int_equal(pg.values[0], 3);
    read_at(e, t + lag, &pg);
    assert_int_equal(pg.count, 0);
    /* removed and set again inside one lag: the index goes through both in order */
    t = 30 * SEC;
    write_at(e, t, 0, 7);
    write_at(e, t + 1, 1, 0);
    write_at(e, t + 2, 0, 8);
    read_at(e, t + lag, &pg);
    assert_int_equal(pg.count, 1);
    assert_int_equal(pg.values[0], 7);
    read_at(e, t + lag + 1, &pg);
    assert_int_equal(pg.count, 0);
    read_at(e, t + lag + 2, &pg);
    assert_int_equal(pg.values[0], 8);
    free(pg.cursor);
    env_free(e);
}

static void lag_with_drawn_latency(void **state)
{
    /* With the default latency the write applies somewhere inside its round trip: a read sent
     * right after the write's answer never sees it; one sent a lag + a round trip later does. */
    env *e = env_new(8);
    page pg = {0};
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof key, "x%d", i);
        set(e, key, i);
        sorted(e, &pg, true, 100, INT64_MIN, INT64_MAX, NULL);
        assert_true(pg.count <= (size_t)i);
        for (size_t j = 0; j < pg.count; j++)
            assert_string_not_equal(pg.keys[j], key); /* not yet the new one */
    }
    world_run_until(&e->w, e->w.now_us + e->lim.ordered_index_lag_us, false);
    sorted(e, &pg, true, 100, INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(pg.count, 20);
    free(pg.cursor);
    env_free(e);
}

static void expect_page_error(env *e, size_t size, int64_t min, int64_t max, const char *cursor,
                              int code)
{
    page pg = {0};
    int64_t sent = e->w.now_us;
    sorted(e, &pg, true, size, min, max, cursor);
    assert_int_equal(pg.code, code);
    assert_int_equal(pg.count, 0);
    assert_null(pg.cursor);
    assert_in_range(pg.at_us - sent, e->lim.ds_latency_min_us, e->lim.ds_latency_max_us);
}

static void page_size_range_and_cursor_errors(void **state)
{
    env *e = env_new(9);
    fill_ties(e);
    expect_page_error(e, 0, 0, 10, NULL, ORDERED_ERR_PageSize);
    expect_page_error(e, (size_t)e->lim.ordered_page_max + 1, 0, 10, NULL, ORDERED_ERR_PageSize);
    expect_page_error(e, 10, 5, 4, NULL, VS_DS_MaxValueInvalid);
    expect_page_error(e, 10, INT64_MAX, INT64_MIN, NULL, VS_DS_MaxValueInvalid);
    const char *bad[] = {"", "garbage", "o1:", "o1:5", "o1:5:", "o1:5:6", "o1:x:61", "o1:5:0061",
                         "o1:5:6G", "o1:99999999999999999999:61", "o1: 5:61", "o2:5:61",
                         "o1:5:61 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_page_error(e, 10, 0, 10, bad[i], ORDERED_ERR_Cursor);
    /* the largest page is fine, and so is min == max */
    page pg = {0};
    sorted(e, &pg, true, (size_t)e->lim.ordered_page_max, 2, 2, NULL);
    assert_int_equal(pg.code, 0);
    assert_int_equal(pg.count, 5);
    /* a hand-made cursor in the documented form works: after (2, "k12") */
    sorted(e, &pg, true, 10, 2, 2, "o1:2:6b3132");
    assert_int_equal(pg.count, 2);
    assert_string_equal(pg.keys[0], "k17");
    free(pg.cursor);
    env_free(e);
}

static void faults_fail_requests(void **state)
{
    env *e = env_new(10);
    set(e, "a", 1);
    /* an outage fails everything with its code, and nothing is written */
    add_fault(e, FAULT_STORE_OUTAGE, FAULT_OP_ANY, 0, e->w.now_us, e->w.now_us + 10 * SEC,
              FAULT_PPM, 503);
    assert_int_equal(get(e, "a").code, 503);
    assert_int_equal(set(e, "a", 2).code, 503);
    assert_int_equal(incr(e, "a", 2).code, 503);
    assert_int_equal(rem(e, "a").code, 503);
    page pg = {0};
    sorted(e, &pg, true, 10, INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(pg.code, 503);
    int64_t v;
    assert_true(ordered_peek(&e->o, "S", "a", &v));
    assert_int_equal(v, 1);
    world_run_until(&e->w, e->w.now_us + 10 * SEC, false); /* healed */
    assert_int_equal(set(e, "a", 2).code, 0);
    env_free(e);

    /* error_rate aimed at sorted_get hits reads only; at sorted_set, writes only */
    e = env_new(11);
    add_fault(e, FAULT_ERROR_RATE, FAULT_OP_SORTED_GET, 0, 0, 100 * SEC, FAULT_PPM, 502);
    assert_int_equal(set(e, "a", 1).code, 0);
    assert_int_equal(incr(e, "a", 1).code, 0);
    assert_int_equal(get(e, "a").code, 502);
    sorted(e, &pg, true, 10, INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(pg.code, 502);
    world_run_until(&e->w, 100 * SEC, false);
    add_fault(e, FAULT_ERROR_RATE, FAULT_OP_SORTED_SET, 0, 100 * SEC, 200 * SEC, FAULT_PPM, 0);
    assert_int_equal(get(e, "a").code, 0);
    assert_int_equal(set(e, "a", 5).code, VS_DS_InternalError); /* no code: 501 */
    assert_int_equal(incr(e, "a", 1).code, VS_DS_InternalError);
    assert_int_equal(rem(e, "a").code, VS_DS_InternalError);
    assert_int_equal(get(e, "a").value, 2);
    /* faults aimed at the DataStore's own ops leave the ordered store alone */
    add_fault(e, FAULT_ERROR_RATE, FAULT_OP_GET, 0, 0, FAULT_FOREVER, FAULT_PPM, 502);
    add_fault(e, FAULT_STORE_OUTAGE, FAULT_OP_UPDATE, 0, 0, FAULT_FOREVER, FAULT_PPM, 503);
    world_run_until(&e->w, 200 * SEC, false);
    assert_int_equal(get(e, "a").code, 0);
    assert_int_equal(set(e, "a", 5).code, 0);
    env_free(e);

    /* a partition cuts off only its servers; a partition without a code fails with 501 */
    e = env_new(12);
    add_fault(e, FAULT_PARTITION_STORE, FAULT_OP_ANY, 1u << 1, 0, FAULT_FOREVER, 0, 0);
    answer a1 = {.w = &e->w}, a2 = {.w = &e->w};
    ordered_set(&e->o, &e->ep[1], "S", "k", 1, on_done, &a1);
    ordered_set(&e->o, &e->ep[2], "S", "k", 2, on_done, &a2);
    run_all(e);
    assert_int_equal(a1.code, 0);
    assert_int_equal(a2.code, VS_DS_InternalError);
    int64_t k;
    assert_true(ordered_peek(&e->o, "S", "k", &k));
    assert_int_equal(k, 1);
    env_free(e);

    /* a rate: about half of 2000 requests fail at 500000 ppm (5 standard deviations: 112) */
    e = env_new(13);
    add_fault(e, FAULT_ERROR_RATE, FAULT_OP_ANY, 0, 0, FAULT_FOREVER, 500000, 0);
    answer many[2000];
    for (int i = 0; i < 2000; i++) {
        many[i] = (answer){.w = &e->w};
        ordered_get(&e->o, &e->ep[1 + i % NSERVERS], "S", "a", on_done, &many[i]);
    }
    run_all(e);
    int failed = 0;
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(many[i].calls, 1);
        failed += many[i].code != 0;
    }
    assert_in_range(failed, 1000 - 112, 1000 + 112);
    assert_int_equal(e->o.stats.errors, (uint64_t)failed);
    env_free(e);
}

static void answers_follow_the_endpoint(void **state)
{
    env *e = env_new(14);
    answer a = {.w = &e->w}, b = {.w = &e->w};
    ordered_set(&e->o, &e->ep[2], "S", "crashed", 7, on_done, &a);
    endpoint_stop(&e->ep[2]); /* right after sending: the write still commits */
    ordered_set(&e->o, &e->ep[3], "S", "frozen", 8, on_done, &b);
    endpoint_freeze(&e->ep[3]);
    world_run_until(&e->w, 5 * SEC, false);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 0);
    int64_t v;
    assert_true(ordered_peek(&e->o, "S", "crashed", &v));
    assert_int_equal(v, 7);
    assert_true(ordered_peek(&e->o, "S", "frozen", &v));
    endpoint_resume(&e->ep[3]);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.value, 8);
    assert_int_equal(b.at_us, 5 * SEC);
    run_all(e);
    assert_int_equal(a.calls, 0);
    /* still in flight or held when everything is freed: released, not leaked */
    endpoint_freeze(&e->ep[1]);
    for (int i = 0; i < 10; i++)
        ordered_increment(&e->o, &e->ep[1 + i % 2], "S", "z", 1, on_done, &a);
    world_run_until(&e->w, e->w.now_us + 60000, false);
    env_free(e);
}

/* ---- a model for many keys ---- */

typedef struct mkey {
    char key[16];
    bool present;
    int64_t value;
} mkey;

static int cmp_entry(const void *x, const void *y)
{
    const mkey *a = x, *b = y;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* Every present entry of the model, sorted as the store sorts. */
static size_t model_sorted(const mkey *model, size_t n, mkey *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (model[i].present)
            out[m++] = model[i];
    qsort(out, m, sizeof *out, cmp_entry);
    return m;
}

static void check_against(env *e, const mkey *model, size_t n)
{
    mkey *want = malloc(n * sizeof *want);
    size_t m = model_sorted(model, n, want);
    char (*keys)[64] = malloc((n + 1) * sizeof *keys);
    int64_t *values = malloc((n + 1) * sizeof *values);
    size_t got;
    walk(e, true, 100, INT64_MIN, INT64_MAX, keys, values, &got);
    assert_int_equal(got, m);
    for (size_t i = 0; i < m; i++) {
        assert_string_equal(keys[i], want[i].key);
        assert_int_equal(values[i], want[i].value);
    }
    walk(e, false, 37, INT64_MIN, INT64_MAX, keys, values, &got);
    assert_int_equal(got, m);
    for (size_t i = 0; i < m; i++)
        assert_string_equal(keys[i], want[m - 1 - i].key);
    assert_int_equal(ordered_index_count(&e->o, "S"), m);
    free(want);
    free(keys);
    free(values);
}

/* Random sets, increments and removes over `keys` keys, spaced 1 us apart from `start`. */
static void random_ops(env *e, rng *r, mkey *model, size_t keys, int ops, int64_t start)
{
    for (int i = 0; i < ops; i++) {
        world_run_until(&e->w, start + i, false);
        mkey *k = &model[rng_below(r, keys)];
        uint64_t what = rng_below(r, 10);
        if (what < 5) {
            int64_t v = rng_range(r, -50, 50); /* a small range: plenty of ties */
            ordered_set(&e->o, &e->ep[1], "S", k->key, v, NULL, NULL);
            k->present = true;
            k->value = v;
        } else if (what < 8) {
            int64_t d = rng_range(r, -5, 5);
            ordered_increment(&e->o, &e->ep[2], "S", k->key, d, NULL, NULL);
            k->value = (k->present ? k->value : 0) + d;
            k->present = true;
        } else {
            ordered_remove(&e->o, &e->ep[3], "S", k->key, NULL, NULL);
            k->present = false;
        }
    }
    world_run_until(&e->w, start + ops, false);
}

static void thousands_of_keys_match_a_model(void **state)
{
    env *e = env_new(15);
    e->lim.ds_latency_min_us = e->lim.ds_latency_max_us = 0; /* applied in the order sent */
    const size_t nkeys = 3000;
    mkey *model = calloc(nkeys, sizeof *model);
    mkey *before = calloc(nkeys, sizeof *before);
    for (size_t i = 0; i < nkeys; i++)
        snprintf(model[i].key, sizeof model[i].key, "p%zu", i * 7919 % 10007);
    rng r;
    rng_seed(&r, 99, "test");
    random_ops(e, &r, model, nkeys, 20000, 0);
    memcpy(before, model, nkeys * sizeof *model);
    int64_t lag = e->lim.ordered_index_lag_us;
    world_run_until(&e->w, lag + 20000, false);
    check_against(e, model, nkeys);
    /* a second burst: until its first write's lag has passed, pages show the first state */
    int64_t start = e->w.now_us + 1;
    random_ops(e, &r, model, nkeys, 20000, start);
    world_run_until(&e->w, start + lag - 1, false);
    check_against(e, before, nkeys);
    world_run_until(&e->w, start + 20000 + lag, false);
    check_against(e, model, nkeys);
    /* every value matches a get too */
    for (size_t i = 0; i < nkeys; i += 97) {
        int64_t v;
        assert_int_equal(ordered_peek(&e->o, "S", model[i].key, &v), model[i].present);
        if (model[i].present)
            assert_int_equal(v, model[i].value);
    }
    free(model);
    free(before);
    env_free(e);
}

static void story(uint64_t seed, int64_t twist, char fp[33])
{
    env *e = env_new(seed);
    for (int i = 0; i < 50; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 9);
        ordered_increment(&e->o, &e->ep[1 + i % NSERVERS], "S", key, i == 25 ? twist : i, NULL, NULL);
        ordered_get_sorted(&e->o, &e->ep[1], "S", i % 2, 5, INT64_MIN, INT64_MAX, NULL, NULL, NULL);
        world_run_until(&e->w, e->w.now_us + 30000, false);
    }
    run_all(e);
    world_fingerprint(&e->w, fp);
    env_free(e);
}

static void same_seed_same_run(void **state)
{
    char a[33], b[33], c[33], d[33];
    story(5, 1, a);
    story(5, 1, b);
    story(5, 2, c); /* one committed value differs */
    story(6, 1, d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_set_increment_remove),
        cmocka_unit_test(answers_come_after_a_full_round_trip),
        cmocka_unit_test(values_stay_integers),
        cmocka_unit_test(names_are_checked),
        cmocka_unit_test(sorted_pages_with_ties_and_cursors),
        cmocka_unit_test(min_and_max_bound_the_pages),
        cmocka_unit_test(cursor_survives_changes_between_pages),
        cmocka_unit_test(index_lags_writes_exactly),
        cmocka_unit_test(lag_with_drawn_latency),
        cmocka_unit_test(page_size_range_and_cursor_errors),
        cmocka_unit_test(faults_fail_requests),
        cmocka_unit_test(answers_follow_the_endpoint),
        cmocka_unit_test(thousands_of_keys_match_a_model),
        cmocka_unit_test(same_seed_same_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
