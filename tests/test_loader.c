/* test_loader.c: the YAML scenario loader (scenarios/loader.h).
 *
 * Every error test asserts the exact 1-based line and column and a distinctive part of the
 * message; the positive tests check every parsed field. Fixtures live in tests/data/loader/
 * (paths relative to the top of the tree, where make runs the tests); byte-level cases
 * (invalid UTF-8, NUL) are inline. The platform sections (platform, servers, faults) are read
 * against tables owned elsewhere (sim/limits.h, faults/fault_fields.h), so some tests walk
 * those tables: every parameter and every fault kind is loaded, and refused in the wrong form.
 * The engine slice (the store's engine settings, migrations, validators, products, step lists
 * and the steps that use them) is built with core/steps.h and friends, so its tests check
 * the built steps field by field, and that the engine's refusals come back at the right
 * line and column. Durable operations (handlers, whose step lists alone may take operands
 * `from` a payload, deliver and dead_letter) are checked the same way, and every other
 * owner of a step list still refuses `from`. The fuzz test mutates the valid fixtures with a
 * fixed splitmix64 stream, so it is the same run every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "core/store.h"
#include "core/value.h"
#include "faults/fault.h"
#include "faults/fault_fields.h"
#include "scenarios/loader.h"
#include "sim/limits.h"

/* ---- helpers ---- */

/* Fixtures, relative to the top of the tree (where make runs the tests). */
#define DATA "tests/data/loader/"

static void check_error(int rc, scenario *s, const loader_error *err, int line, int column,
                        const char *part)
{
    char buf[2200];
    loader_error_format(err, buf, sizeof buf);
    if (rc != -1 || s != NULL || err->line != line || err->column != column ||
        !strstr(err->message, part)) {
        print_error("expected an error at %d:%d containing \"%s\"; got rc=%d: %s\n", line,
                    column, part, rc, buf);
        scenario_free(s);
        fail();
    }
}

static void expect_file_error(const char *rel, int line, int column, const char *part)
{
    scenario *s = (scenario *)1;
    loader_error err;
    char path[512];
    snprintf(path, sizeof path, DATA "%s", rel);
    int rc = loader_load_file(path, &s, &err);
    check_error(rc, s, &err, line, column, part);
    assert_string_equal(err.file, path);
}

static void expect_text_error_n(const char *text, size_t len, int line, int column,
                                const char *part)
{
    scenario *s = (scenario *)1;
    loader_error err;
    int rc = loader_load_text("inline.yaml", text, len, &s, &err);
    check_error(rc, s, &err, line, column, part);
    assert_string_equal(err.file, "inline.yaml");
}

static void expect_text_error(const char *text, int line, int column, const char *part)
{
    expect_text_error_n(text, strlen(text), line, column, part);
}

static scenario *load_ok_text(const char *text)
{
    scenario *s = NULL;
    loader_error err;
    if (loader_load_text("inline.yaml", text, strlen(text), &s, &err) != 0) {
        char buf[2200];
        loader_error_format(&err, buf, sizeof buf);
        print_error("unexpected error: %s\n", buf);
        fail();
    }
    assert_non_null(s);
    return s;
}

static scenario *load_ok_file(const char *rel)
{
    scenario *s = NULL;
    loader_error err;
    char path[512];
    snprintf(path, sizeof path, DATA "%s", rel);
    if (loader_load_file(path, &s, &err) != 0) {
        char buf[2200];
        loader_error_format(&err, buf, sizeof buf);
        print_error("unexpected error: %s\n", buf);
        fail();
    }
    assert_non_null(s);
    return s;
}

#define HEAD "name: t\nduration: 10s\nstore: {name: S, template: {}}\n"

static void assert_path(const vs_path *p, const char *text)
{
    char *s = vs_path_format(p);
    assert_non_null(s);
    assert_string_equal(s, text);
    free(s);
}

static void assert_string_value(const vs_value *v, const char *text)
{
    assert_non_null(v);
    assert_int_equal(vs_type_of(v), VS_STRING);
    size_t len;
    const char *s = vs_string_of(v, &len);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(s, text, len);
}

static void assert_number_value(const vs_value *v, double n)
{
    assert_non_null(v);
    assert_int_equal(vs_type_of(v), VS_NUMBER);
    assert_true(vs_number_of(v) == n);
}

static const vs_value *get(const vs_value *map, const char *key)
{
    const vs_value *v = vs_map_get(map, key);
    if (!v) {
        print_error("no key '%s'\n", key);
        fail();
    }
    return v;
}

/* The value at integer key k of a map, or NULL. */
static const vs_value *get_int_key(const vs_value *map, const char *k)
{
    for (size_t i = 0; i < vs_map_len(map); i++) {
        size_t len;
        const char *key = vs_map_key_at(map, i, &len);
        if (vs_map_key_is_int(map, i) && len == strlen(k) && memcmp(key, k, len) == 0)
            return vs_map_value_at(map, i);
    }
    return NULL;
}

/* ---- positive tests ---- */

static void test_full_scenario(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/full.yaml");
    assert_string_equal(s->file, DATA "good/full.yaml");
    assert_string_equal(s->name, "coins are saved on leave");
    assert_true(s->seed == 42);
    assert_true(s->duration_us == 120000000);
    assert_string_equal(s->store.name, "PlayerData");

    const vs_value *t = s->store.template_;
    assert_int_equal(vs_type_of(t), VS_MAP);
    assert_int_equal(vs_map_len(t), 3);
    assert_number_value(get(get(t, "Wallet"), "Coins"), 0);
    assert_int_equal(vs_type_of(get(t, "Inventory")), VS_ARRAY);
    assert_int_equal(vs_array_len(get(t, "Inventory")), 0);
    assert_string_value(get(get(t, "Profile"), "Name"), "");
    assert_number_value(get(get(t, "Profile"), "Level"), 1);

    /* sorted by time; the three steps at 3s keep their file order (set, insert, remove) */
    static const struct {
        int64_t at_us;
        scenario_step_kind kind;
        int64_t player;
        const char *path;
        int line;
        size_t index;
    } want[] = {
        {250000, STEP_JOIN, 7, "", 27, 0},
        {1000000, STEP_JOIN, 1, "", 14, 0},
        {1500000, STEP_INSERT, 1, "Inventory", 22, 0},
        {2000000, STEP_ADD, 1, "Wallet.Coins", 16, 0},
        {3000000, STEP_SET, 1, "Profile.Name", 18, 0},
        {3000000, STEP_INSERT, 1, "Inventory", 20, 1},
        {3000000, STEP_REMOVE, 1, "Inventory.1", 29, 0},
        {90000000, STEP_LEAVE, 1, "", 31, 0},
        {100000000, STEP_LEAVE, 7, "", 33, 0},
    };
    assert_int_equal(s->step_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s->step_count; i++) {
        const scenario_step *st = &s->steps[i];
        assert_true(st->at_us == want[i].at_us);
        assert_int_equal(st->kind, want[i].kind);
        assert_true(st->player == want[i].player);
        assert_path(&st->path, want[i].path);
        assert_int_equal(st->pos.line, want[i].line);
        assert_int_equal(st->pos.column, 5);
        assert_int_equal(st->index, want[i].index);
    }
    assert_null(s->steps[0].value);
    assert_string_value(s->steps[2].value, "shield");
    assert_number_value(s->steps[3].value, 10);
    assert_string_value(s->steps[4].value, "Ada");
    assert_string_value(get(s->steps[5].value, "Id"), "sword");
    assert_null(s->steps[6].value);
    assert_int_equal(s->steps[2].path.count, 1);
    assert_string_equal(s->steps[3].path.keys[0], "Wallet");
    assert_string_equal(s->steps[3].path.keys[1], "Coins");

    for (size_t i = 0; i < s->step_count; i++) /* join's server defaults to 1 */
        assert_int_equal(s->steps[i].server, s->steps[i].kind == STEP_JOIN ? 1 : 0);
    assert_int_equal(s->expect_count, 3);
    for (size_t i = 0; i < s->expect_count; i++)
        assert_int_equal(s->expects[i].kind, EXPECT_STORED);
    assert_int_equal(s->expects[0].pos.line, 36);
    assert_int_equal(s->expects[0].pos.column, 5);
    assert_true(s->expects[0].player == 1);
    assert_path(&s->expects[0].path, "Wallet.Coins");
    assert_number_value(s->expects[0].equals, 10);
    assert_path(&s->expects[1].path, "Profile.Nickname");
    assert_null(s->expects[1].equals);
    assert_int_equal(s->expects[2].path.count, 0);
    const vs_value *whole = s->expects[2].equals;
    assert_int_equal(vs_type_of(whole), VS_MAP);
    assert_number_value(get(get(whole, "Wallet"), "Coins"), 10);
    assert_string_value(vs_array_at(get(whole, "Inventory"), 0), "shield");
    scenario_free(s);
}

static void test_defaults_and_empty_script(void **state)
{
    (void)state;
    scenario *s = load_ok_text(HEAD "script: []\n");
    assert_true(s->seed == 1);
    assert_int_equal(s->step_count, 0);
    assert_null(s->steps);
    assert_int_equal(s->expect_count, 0);
    assert_string_equal(s->file, "inline.yaml");
    /* no platform, servers or faults: the current limits, one server with id 1, no fault */
    assert_int_equal(s->platform.profile, LIMITS_CURRENT);
    assert_int_equal(s->platform.override_count, 0);
    assert_null(s->platform.overrides);
    assert_true(s->platform.store_clock_skew_us == 0);
    assert_int_equal(s->server_count, 1);
    assert_int_equal(s->servers[0].id, 1);
    assert_true(s->servers[0].skew_us == 0);
    assert_true(s->servers[0].drift_ppm == 0);
    assert_false(s->servers[0].starts_stopped);
    assert_int_equal(s->servers[0].pos.line, 1);
    assert_int_equal(s->servers[0].pos.column, 1);
    assert_int_equal(s->fault_count, 0);
    assert_null(s->faults);
    scenario_free(s);

    s = load_ok_text("name: 'quoted name'\nseed: 0xFFFFFFFFFFFFFFFF\nduration: \"1.5h\"\n"
                     "store: {name: \"Store\", template: {}}\nscript: []\nexpect: []\n");
    assert_string_equal(s->name, "quoted name");
    assert_true(s->seed == UINT64_MAX);
    assert_true(s->duration_us == 5400000000LL);
    scenario_free(s);

    s = load_ok_text("name: 42\nseed: 0\nduration: 1us\nstore: {name: 007, template: {}}\n"
                     "script: []\n");
    assert_string_equal(s->name, "42"); /* a plain scalar is fine where a string is wanted */
    assert_string_equal(s->store.name, "007");
    assert_true(s->seed == 0);
    assert_true(s->duration_us == 1);
    scenario_free(s);
}

static void assert_fault_equal(const fault *got, const fault *want)
{
    assert_int_equal(got->kind, want->kind);
    assert_true(got->start_us == want->start_us);
    assert_true(got->end_us == want->end_us);
    assert_true(got->server_mask == want->server_mask);
    assert_int_equal(got->op, want->op);
    assert_int_equal(got->code, want->code);
    assert_true(got->ppm == want->ppm);
    assert_true(got->amount == want->amount);
}

static void assert_override(const scenario_override *o, const char *name, int64_t value,
                            int line, int column)
{
    assert_non_null(o->param);
    assert_string_equal(o->param->name, name);
    assert_ptr_equal(o->param, limits_find(name));
    assert_true(o->value == value);
    assert_int_equal(o->pos.line, line);
    assert_int_equal(o->pos.column, column);
}

static void test_platform_scenario(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/platform.yaml");

    /* platform: `limits` comes last in the file but is the profile; overrides in file order */
    assert_int_equal(s->platform.profile, LIMITS_CLASSIC);
    assert_true(s->platform.store_clock_skew_us == -3000000);
    assert_int_equal(s->platform.override_count, 4);
    assert_override(&s->platform.overrides[0], "write_cooldown", 10000000, 6, 3);
    assert_int_equal(s->platform.overrides[0].param->unit, LIMIT_DURATION);
    assert_override(&s->platform.overrides[1], "budget_get_per_player", 20, 7, 3);
    assert_int_equal(s->platform.overrides[1].param->unit, LIMIT_COUNT);
    assert_override(&s->platform.overrides[2], "ds_tail_ppm", 250000, 8, 3);
    assert_int_equal(s->platform.overrides[2].param->unit, LIMIT_PPM);
    assert_override(&s->platform.overrides[3], "msg_max_bytes", 2048, 10, 3);
    assert_int_equal(s->platform.overrides[3].param->unit, LIMIT_BYTES);

    /* servers, sorted by id */
    assert_int_equal(s->server_count, 3);
    static const struct {
        int id;
        int64_t skew_us, drift_ppm;
        bool stopped;
        int line, column;
    } srv[] = {
        {1, 0, 0, false, 15, 5},
        {2, -90000000, -200, false, 16, 5},
        {3, 0, 0, true, 13, 5},
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s->servers[i].id, srv[i].id);
        assert_true(s->servers[i].skew_us == srv[i].skew_us);
        assert_true(s->servers[i].drift_ppm == srv[i].drift_ppm);
        assert_int_equal(s->servers[i].starts_stopped, srv[i].stopped);
        assert_int_equal(s->servers[i].pos.line, srv[i].line);
        assert_int_equal(s->servers[i].pos.column, srv[i].column);
    }

    /* faults, in file order; what a fault does not set is its kind's default */
    assert_int_equal(s->fault_count, 5);
    fault want = fault_default(FAULT_STORE_OUTAGE);
    want.start_us = 10000000;
    want.end_us = 40000000;
    want.server_mask = 0x3; /* servers 1 and 2 */
    want.code = 503;
    assert_fault_equal(&s->faults[0].f, &want);
    assert_int_equal(s->faults[0].pos.line, 18);
    assert_int_equal(s->faults[0].pos.column, 5);
    want = fault_default(FAULT_ERROR_RATE);
    want.op = FAULT_OP_UPDATE;
    want.ppm = 250000;
    assert_fault_equal(&s->faults[1].f, &want);
    assert_true(s->faults[1].f.end_us == FAULT_FOREVER);
    assert_true(s->faults[1].f.server_mask == 0);
    want = fault_default(FAULT_CLOCK_SKEW);
    want.amount = -2500000;
    want.server_mask = 0x4;
    assert_fault_equal(&s->faults[2].f, &want);
    assert_int_equal(s->faults[2].pos.line, 26);
    assert_int_equal(s->faults[2].pos.column, 5);
    want = fault_default(FAULT_CLOCK_DRIFT);
    want.amount = -150;
    want.start_us = 60000000;
    want.end_us = 7200000000LL;
    assert_fault_equal(&s->faults[3].f, &want);
    want = fault_default(FAULT_LATENCY_SPIKE);
    assert_fault_equal(&s->faults[4].f, &want);
    assert_true(s->faults[4].f.start_us == 0);

    /* steps, sorted by time (equal times in file order) */
    static const struct {
        int64_t at_us;
        scenario_step_kind kind;
        int64_t player;
        int server;
        int line;
    } st[] = {
        {1000000, STEP_JOIN, 1, 2, 31},
        {1000000, STEP_JOIN, 2, 1, 32},
        {2000000, STEP_TELEPORT, 1, 3, 33},
        {3000000, STEP_REJOIN, 1, 0, 34},
        {3500000, STEP_REJOIN, 2, 2, 35},
        {4000000, STEP_CRASH, 0, 2, 36},
        {4000000, STEP_START, 0, 3, 37},
        {4500000, STEP_FREEZE, 0, 1, 38},
        {4750000, STEP_RESUME, 0, 1, 39},
        {5000000, STEP_PUBLISH, 0, 1, 40},
        {5000000, STEP_SUBSCRIBE, 0, 2, 41},
        {6000000, STEP_ODS_SET, 0, 1, 42},
        {6000000, STEP_ODS_INCREMENT, 0, 1, 43},
        {8000000, STEP_SHUTDOWN, 0, 3, 44},
        {9000000, STEP_ODS_CHECK, 0, 1, 30},
        {9000000, STEP_ODS_CHECK, 0, 2, 45},
    };
    assert_int_equal(s->step_count, sizeof st / sizeof st[0]);
    for (size_t i = 0; i < s->step_count; i++) {
        const scenario_step *x = &s->steps[i];
        assert_true(x->at_us == st[i].at_us);
        assert_int_equal(x->kind, st[i].kind);
        assert_true(x->player == st[i].player);
        assert_int_equal(x->server, st[i].server);
        assert_int_equal(x->pos.line, st[i].line);
        assert_int_equal(x->pos.column, 5);
        assert_int_equal(x->path.count, 0);
        bool text = x->kind == STEP_PUBLISH || x->kind == STEP_SUBSCRIBE;
        bool ods = x->kind == STEP_ODS_SET || x->kind == STEP_ODS_INCREMENT ||
                   x->kind == STEP_ODS_CHECK;
        if (!text)
            assert_null(x->topic);
        if (x->kind != STEP_PUBLISH)
            assert_null(x->text);
        if (!ods)
            assert_null(x->store);
        if (x->kind != STEP_ODS_SET && x->kind != STEP_ODS_INCREMENT) {
            assert_null(x->key);
            assert_true(x->amount == 0);
        }
        if (x->kind != STEP_ODS_CHECK) {
            assert_null(x->value);
            assert_int_equal(x->page_size, 0);
            assert_false(x->ascending);
        }
    }
    assert_string_equal(s->steps[9].topic, "rewards");
    assert_string_equal(s->steps[9].text, "hello");
    assert_string_equal(s->steps[10].topic, "rewards");
    assert_string_equal(s->steps[11].store, "Wins");
    assert_string_equal(s->steps[11].key, "Player_1");
    assert_true(s->steps[11].amount == 10);
    assert_string_equal(s->steps[12].store, "Wins");
    assert_string_equal(s->steps[12].key, "Player_1");
    assert_true(s->steps[12].amount == -2);

    const scenario_step *check = &s->steps[14];
    assert_string_equal(check->store, "Wins");
    assert_true(check->ascending);
    assert_int_equal(check->page_size, 100);
    assert_int_equal(vs_type_of(check->value), VS_ARRAY);
    assert_int_equal(vs_array_len(check->value), 2);
    const vs_value *e0 = vs_array_at(check->value, 0), *e1 = vs_array_at(check->value, 1);
    assert_int_equal(vs_array_len(e0), 2);
    assert_string_value(vs_array_at(e0, 0), "Player_2");
    assert_number_value(vs_array_at(e0, 1), -9007199254740992.0);
    assert_string_value(vs_array_at(e1, 0), "Player_1");
    assert_number_value(vs_array_at(e1, 1), 8);
    check = &s->steps[15];
    assert_string_equal(check->store, "Wins");
    assert_false(check->ascending);
    assert_int_equal(check->page_size, 10); /* the default */
    assert_int_equal(vs_type_of(check->value), VS_ARRAY);
    assert_int_equal(vs_array_len(check->value), 0);

    /* expectations */
    static const struct {
        scenario_expect_kind kind;
        const char *counter;
        int64_t player;
        int server;
        int64_t at_least, at_most;
        int line;
    } ex[] = {
        {EXPECT_STORED, NULL, 1, 0, -1, -1, 51},
        {EXPECT_COUNT, "event.load_failed", 1, 0, 1, -1, 52},
        {EXPECT_COUNT, "ds.update.unknown", 0, 2, -1, 0, 53},
        {EXPECT_COUNT, "msg.delivered", 0, 0, 3, 3, 54},
        {EXPECT_COUNT, "ds.any.fail", 0, 0, 2, 5, 55},
    };
    assert_int_equal(s->expect_count, sizeof ex / sizeof ex[0]);
    for (size_t i = 0; i < s->expect_count; i++) {
        const scenario_expect *e = &s->expects[i];
        assert_int_equal(e->kind, ex[i].kind);
        if (ex[i].counter)
            assert_string_equal(e->counter, ex[i].counter);
        else
            assert_null(e->counter);
        assert_true(e->player == ex[i].player);
        assert_int_equal(e->server, ex[i].server);
        assert_true(e->at_least == ex[i].at_least);
        assert_true(e->at_most == ex[i].at_most);
        assert_int_equal(e->pos.line, ex[i].line);
        assert_int_equal(e->pos.column, 5);
        if (e->kind == EXPECT_COUNT) {
            assert_null(e->equals);
            assert_int_equal(e->path.count, 0);
        }
    }
    assert_path(&s->expects[0].path, "Coins");
    assert_number_value(s->expects[0].equals, 0);
    scenario_free(s);
}

/* Every row of limit_params is a key of `platform`, read in its unit. */
static void test_every_platform_param(void **state)
{
    (void)state;
    for (size_t i = 0; i < limit_param_count; i++) {
        const limit_param *p = &limit_params[i];
        const char *written = p->unit == LIMIT_DURATION ? "1500ms"
                              : p->unit == LIMIT_PPM    ? "1000000"
                                                        : "0x7";
        int64_t want = p->unit == LIMIT_DURATION ? 1500000 : p->unit == LIMIT_PPM ? 1000000 : 7;
        char text[512];
        snprintf(text, sizeof text, HEAD "script: []\nplatform:\n  limits: 2023\n  %s: %s\n",
                 p->name, written);
        scenario *s = load_ok_text(text);
        assert_int_equal(s->platform.profile, LIMITS_2023);
        assert_int_equal(s->platform.override_count, 1);
        assert_override(&s->platform.overrides[0], p->name, want, 7, 3);
        scenario_free(s);

        /* the wrong unit: the message names the unit and the default under the profile */
        const char *wrong = p->unit == LIMIT_DURATION ? "5" : "5s";
        char def[64], part[256];
        if (p->unit == LIMIT_DURATION) {
            int64_t us = p->defaults[LIMITS_2023];
            if (us == 0)
                snprintf(def, sizeof def, "0s");
            else if (us % 3600000000LL == 0)
                snprintf(def, sizeof def, "%lldh", (long long)(us / 3600000000LL));
            else if (us % 60000000 == 0)
                snprintf(def, sizeof def, "%lldm", (long long)(us / 60000000));
            else if (us % 1000000 == 0)
                snprintf(def, sizeof def, "%llds", (long long)(us / 1000000));
            else if (us % 1000 == 0)
                snprintf(def, sizeof def, "%lldms", (long long)(us / 1000));
            else
                snprintf(def, sizeof def, "%lldus", (long long)us);
        } else {
            snprintf(def, sizeof def, "%lld", (long long)p->defaults[LIMITS_2023]);
        }
        snprintf(part, sizeof part, "'%s' takes %s, default %s under the 2023 limits", p->name,
                 p->unit == LIMIT_DURATION ? "a duration (like 5s or 250ms)"
                 : p->unit == LIMIT_PPM    ? "parts per million (an integer from 0 to 1000000)"
                 : p->unit == LIMIT_BYTES  ? "a number of bytes (an integer >= 0)"
                                           : "a count (an integer >= 0)",
                 def);
        snprintf(text, sizeof text, HEAD "script: []\nplatform:\n  %s: %s\n  limits: '2023'\n",
                 p->name, wrong);
        expect_text_error(text, 6, (int)strlen(p->name) + 5, part);
    }
}

static void test_platform_values(void **state)
{
    (void)state;
    scenario *s = load_ok_text(HEAD "script: []\nplatform: {limits: current, store_clock_skew: "
                                    "+1.5m, ds_tail_ppm: 0, queue_size: 0, write_cooldown: 0s}\n");
    assert_int_equal(s->platform.profile, LIMITS_CURRENT);
    assert_true(s->platform.store_clock_skew_us == 90000000);
    assert_int_equal(s->platform.override_count, 3);
    assert_override(&s->platform.overrides[2], "write_cooldown", 0, 5, 85);
    scenario_free(s);
    s = load_ok_text(HEAD "script: []\nplatform: {store_clock_skew: -0s}\n");
    assert_true(s->platform.store_clock_skew_us == 0);
    assert_int_equal(s->platform.profile, LIMITS_CURRENT);
    scenario_free(s);
    s = load_ok_text(HEAD "script: []\nplatform: {}\n");
    assert_int_equal(s->platform.override_count, 0);
    scenario_free(s);
    /* merge keys work as anywhere else: the key written in the mapping wins */
    s = load_ok_text(HEAD "script: []\nplatform:\n  <<: {ds_latency_min: 1s, ds_latency_max: 2s}\n"
                          "  ds_latency_max: 3s\n");
    assert_int_equal(s->platform.override_count, 2);
    assert_override(&s->platform.overrides[0], "ds_latency_max", 3000000, 7, 3);
    assert_string_equal(s->platform.overrides[1].param->name, "ds_latency_min");
    assert_true(s->platform.overrides[1].value == 1000000);
    assert_int_equal(s->platform.overrides[1].pos.line, 6);
    assert_int_equal(s->platform.overrides[1].pos.column, 8);
    scenario_free(s);
}

/* Every fault kind: alone it is fault_default(kind); a field it reads is taken, a field it
 * does not read is refused, naming the kind and the fields it reads. */
static void test_every_fault_kind(void **state)
{
    (void)state;
    static const char *const fields[] = {"op", "code", "ppm", "amount", "servers"};
    for (int k = 0; k < FAULT_KIND_COUNT; k++) {
        const char *name = fault_kind_name((fault_kind)k);
        const fault_fields *ff = fault_kind_fields((fault_kind)k);
        char text[512];
        snprintf(text, sizeof text, HEAD "script: []\nfaults:\n  - kind: %s\n", name);
        scenario *s = load_ok_text(text);
        fault want = fault_default((fault_kind)k);
        assert_int_equal(s->fault_count, 1);
        assert_fault_equal(&s->faults[0].f, &want);
        scenario_free(s);

        char reads[128] = "";
        size_t o = 0;
        bool reads_field[5];
        for (size_t f = 0; f < 5; f++) {
            reads_field[f] = f == 0   ? ff->op
                             : f == 1 ? ff->code
                             : f == 2 ? ff->ppm
                             : f == 3 ? ff->amount != FAULT_AMOUNT_NONE
                                      : ff->servers;
            if (reads_field[f])
                o += (size_t)snprintf(reads + o, sizeof reads - o, "%s%s", o ? ", " : "",
                                      fields[f]);
        }
        for (size_t f = 0; f < 5; f++) {
            const char *value = f == 0   ? "sorted_get"
                                : f == 1 ? "404"
                                : f == 2 ? "5"
                                : f == 3 ? (ff->amount == FAULT_AMOUNT_PPM ? "-7" : "-7ms")
                                         : "[1]";
            snprintf(text, sizeof text, HEAD "script: []\nfaults:\n  - kind: %s\n    %s: %s\n",
                     name, fields[f], value);
            if (!reads_field[f]) {
                char part[256];
                snprintf(part, sizeof part, "%s reads %s; it has no '%s'", name,
                         reads[0] ? reads : "only start and end", fields[f]);
                expect_text_error(text, 7, 5, part);
                continue;
            }
            s = load_ok_text(text);
            fault got = s->faults[0].f;
            switch (f) {
            case 0: want.op = FAULT_OP_SORTED_GET; assert_int_equal(got.op, want.op); break;
            case 1: assert_int_equal(got.code, 404); break;
            case 2: assert_true(got.ppm == 5); break;
            case 3: assert_true(got.amount == (ff->amount == FAULT_AMOUNT_PPM ? -7 : -7000)); break;
            case 4: assert_true(got.server_mask == 1); break;
            }
            scenario_free(s);
        }
    }
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t us;
    } ok[] = {
        {"1us", 1},
        {"250ms", 250000},
        {"1.5s", 1500000},
        {"0.000001s", 1},
        {"2m", 120000000},
        {"1.25m", 75000000},
        {"1h", 3600000000LL},
        {"0.5ms", 500},
        {"007s", 7000000},
        {"1.000000000000s", 1000000},
        {"2562047788h", 2562047788LL * 3600000000LL},
        {"9223372036854775807us", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "name: t\nduration: %s\nstore: {name: S, template: {}}\nscript: []\n",
                 ok[i].text);
        scenario *s = load_ok_text(text);
        assert_true(s->duration_us == ok[i].us);
        scenario_free(s);
    }
}

static void test_anchors_and_merge_keys(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/anchors.yaml");
    vs_value *t = s->store.template_;
    vs_value *base = vs_map_get(t, "Base"), *copy = vs_map_get(t, "Copy");
    assert_non_null(base);
    assert_non_null(copy);
    assert_ptr_not_equal(base, copy);
    assert_true(vs_equal(base, copy));
    /* independent: changing the copy leaves the original alone */
    assert_int_equal(vs_map_set(copy, "Coins", vs_new_number(99)), VS_OK);
    assert_int_equal(vs_array_push(vs_map_get(copy, "Tags"), vs_new_string("c")), VS_OK);
    assert_number_value(get(base, "Coins"), 5);
    assert_int_equal(vs_array_len(get(base, "Tags")), 2);

    const vs_value *merged = get(t, "Merged");
    assert_int_equal(vs_map_len(merged), 2);
    assert_number_value(get(merged, "Coins"), 9); /* the key written in the mapping wins */
    assert_string_value(vs_array_at(get(merged, "Tags"), 1), "b");
    const vs_value *many = get(t, "Many");
    assert_int_equal(vs_map_len(many), 3);
    assert_number_value(get(many, "x"), 1); /* the first merged mapping wins */
    assert_number_value(get(many, "y"), 3);
    assert_number_value(get(many, "z"), 2);

    assert_int_equal(s->step_count, 3);
    assert_int_equal(s->steps[1].kind, STEP_SET);
    assert_true(s->steps[1].player == 1); /* from the merged *p1 */
    assert_path(&s->steps[1].path, "Gift");
    assert_true(vs_equal(s->steps[1].value, base));
    assert_ptr_not_equal(s->steps[1].value, base);
    assert_int_equal(s->steps[2].kind, STEP_LEAVE);
    assert_true(s->steps[2].player == 1);
    scenario_free(s);
}

static void test_integer_keys(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/int_keys.yaml");
    const vs_value *t = s->store.template_;

    const vs_value *shuffled = get(t, "Shuffled"); /* {3: c, 1: a, 2: b} */
    assert_int_equal(vs_type_of(shuffled), VS_ARRAY);
    assert_int_equal(vs_array_len(shuffled), 3);
    assert_string_value(vs_array_at(shuffled, 0), "a");
    assert_string_value(vs_array_at(shuffled, 1), "b");
    assert_string_value(vs_array_at(shuffled, 2), "c");

    const vs_value *sparse = get(t, "Sparse"); /* {1: a, 3: c} */
    assert_int_equal(vs_type_of(sparse), VS_MAP);
    assert_int_equal(vs_map_len(sparse), 2);
    assert_string_value(get_int_key(sparse, "1"), "a");
    assert_string_value(get_int_key(sparse, "3"), "c");
    assert_null(vs_map_get(sparse, "1")); /* not a string key */

    const vs_value *mixed = get(t, "Mixed"); /* {1: a, Name: b} */
    assert_int_equal(vs_type_of(mixed), VS_MAP);
    assert_string_value(get_int_key(mixed, "1"), "a");
    assert_string_value(get(mixed, "Name"), "b");

    const vs_value *quoted = get(t, "Quoted"); /* {"1": a, "2": b}: string keys */
    assert_int_equal(vs_type_of(quoted), VS_MAP);
    assert_string_value(get(quoted, "1"), "a");
    assert_null(get_int_key(quoted, "1"));

    const vs_value *hex = get(t, "Hex"); /* {0x1: a, 0o2: b} */
    assert_int_equal(vs_type_of(hex), VS_ARRAY);
    assert_string_value(vs_array_at(hex, 1), "b");

    assert_int_equal(vs_type_of(get(t, "Empty")), VS_MAP);
    assert_int_equal(vs_map_len(get(t, "Empty")), 0);
    assert_int_equal(vs_type_of(get(t, "EmptyList")), VS_ARRAY);
    assert_string_value(get_int_key(get(t, "Negative"), "-1"), "a");
    scenario_free(s);
}

static void test_special_numbers_and_scalars(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/special_numbers.yaml");
    const vs_value *t = s->store.template_;
    assert_int_equal(vs_type_of(get(t, "NaN")), VS_NUMBER);
    assert_true(isnan(vs_number_of(get(t, "NaN"))));
    assert_true(isinf(vs_number_of(get(t, "Inf"))) && vs_number_of(get(t, "Inf")) > 0);
    assert_true(isinf(vs_number_of(get(t, "NegInf"))) && vs_number_of(get(t, "NegInf")) < 0);
    assert_string_value(get(t, "QuotedOne"), "1");
    assert_string_value(get(t, "SingleQuoted"), "2");
    assert_number_value(get(t, "One"), 1);
    assert_number_value(get(t, "Float"), 1.5);
    assert_number_value(get(t, "Exp"), 1000);
    assert_number_value(get(t, "Hex"), 31);
    assert_number_value(get(t, "Octal"), 15);
    assert_number_value(get(t, "Big"), 9007199254740992.0);
    assert_int_equal(vs_type_of(get(t, "Null")), VS_NIL);
    assert_int_equal(vs_type_of(get(t, "Empty")), VS_NIL);
    assert_int_equal(vs_type_of(get(t, "Yes")), VS_BOOL);
    assert_true(vs_bool_of(get(t, "Yes")));
    assert_int_equal(vs_type_of(get(t, "No")), VS_BOOL);
    assert_false(vs_bool_of(get(t, "No")));
    assert_string_value(get(t, "Word"), "yes"); /* YAML 1.2: yes is a string */
    assert_string_value(get(t, "Block"), "two\nlines\n");
    scenario_free(s);

    s = load_ok_text(HEAD "script:\n  - at: 1s\n    add: {player: 1, path: a, value: .nan}\n"
                          "  - at: 1s\n    set: {player: 1, path: b, value: ~}\n"
                          "  - at: 1s\n    set: {player: 1, path: c, value: 9007199254740994}\n"
                          "  - at: 1s\n    set: {player: 1, path: d, value: !!str 5}\n");
    assert_true(isnan(vs_number_of(s->steps[0].value)));
    assert_int_equal(vs_type_of(s->steps[1].value), VS_NIL);
    assert_number_value(s->steps[2].value, 9007199254740994.0);
    assert_string_value(s->steps[3].value, "5");
    scenario_free(s);
}

/* ---- error tests: one per kind of mistake ---- */

static void test_bad_indentation(void **state)
{
    (void)state;
    expect_file_error("bad/bad_indent.yaml", 5, 2, "YAML syntax error: invalid indentation");
    expect_text_error("name: [1, 2\n", 2, 1, "YAML syntax error: flow sequence without a closing");
    expect_text_error("name: t\nstore:\n\t- 1\n", 3, 1, "YAML syntax error: tab character");
}

static void test_wrong_type(void **state)
{
    (void)state;
    expect_file_error("bad/wrong_type.yaml", 2, 7,
                      "expected an integer for 'seed', found a string 'abc'");
    expect_text_error("seed: '7'\n" HEAD "script: []\n", 1, 7,
                      "expected an integer for 'seed', found a string '7'");
    expect_text_error("seed: -1\n" HEAD "script: []\n", 1, 7,
                      "expected an integer from 0 to 18446744073709551615 for 'seed', found -1");
    expect_text_error("seed: 18446744073709551616\n" HEAD "script: []\n", 1, 7,
                      "found 18446744073709551616");
    expect_text_error(HEAD "script: {}\n", 4, 9, "expected a sequence for 'script'");
    expect_text_error("name: t\nduration: 1s\nstore: [1]\nscript: []\n", 3, 8,
                      "expected a mapping for 'store', found a sequence");
    expect_text_error(HEAD "script:\n  - at: 1s\n    join: {player: 0}\n", 6, 20,
                      "expected an integer >= 1 for 'player', found 0");
    expect_text_error(HEAD "script:\n  - at: 1s\n    join: {player: 1.5}\n", 6, 20,
                      "expected an integer for 'player', found a number '1.5'");
    expect_text_error(HEAD "script:\n  - at: 1s\n    add: {player: 1, path: a, value: '5'}\n", 6,
                      38, "expected a number for 'value', found a string '5'");
    expect_text_error(HEAD "script:\n  - at: 1s\n    insert: {player: 1, path: a, value: 1, "
                           "index: 0}\n",
                      6, 51, "expected an integer from 1 to 9007199254740992 for 'index'");
    expect_text_error(HEAD "script:\n  - at: 1s\n    join: 1\n", 6, 11,
                      "expected a mapping for 'join'");
    expect_text_error(HEAD "script:\n  - join\n", 5, 5, "expected a step");
    expect_text_error(HEAD "script: []\nexpect:\n  - stored: {player: 1, path: a, absent: no}\n",
                      6, 42, "expected 'true' for 'absent'");
    expect_text_error("name: ~\nduration: 1s\nstore: {name: S, template: {}}\nscript: []\n", 1, 7,
                      "expected a name for 'name', found null '~'");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: [1]}\nscript: []\n", 3,
                      28, "expected a mapping for 'template'");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {1: a}}\nscript: []\n",
                      3, 28, "the template must be a map");
    expect_text_error("name: t\nduration: 1s\nstore: {name: "
                      "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijX, template: {}}\n"
                      "script: []\n",
                      3, 15, "expected a store name of 1 to 50 characters for 'name', found 51");
}

static void test_paths(void **state)
{
    (void)state;
    expect_text_error(HEAD "script:\n  - at: 1s\n    remove: {player: 1, path: a..b}\n", 6, 31,
                      "malformed path 'a..b'");
    expect_text_error(HEAD "script:\n  - at: 1s\n    remove: {player: 1, path: ''}\n", 6, 31,
                      "the path of a step must not be empty");
    expect_text_error(HEAD "script: []\nexpect:\n  - stored: {player: 1, path: , equals: 1}\n", 6,
                      29, "write \"\" for the whole profile");
    scenario *s = load_ok_text(HEAD "script:\n  - at: 1s\n    set: {player: 1, path: 1, "
                                    "value: x}\nexpect:\n  - stored: {player: 2, path: '', "
                                    "equals: {}}\n");
    assert_path(&s->steps[0].path, "1");
    assert_int_equal(s->expects[0].path.count, 0);
    assert_true(s->expects[0].player == 2);
    scenario_free(s);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_file_error("bad/unknown_key.yaml", 2, 1,
                      "unknown key 'duraton' (did you mean 'duration'?)");
    expect_text_error(HEAD "script: []\nexpcet: []\n", 5, 1,
                      "unknown key 'expcet' (did you mean 'expect'?)");
    expect_text_error(HEAD "script: []\nworkload: []\n", 5, 1,
                      "unknown key 'workload' (expected one of name, seed, duration, store, "
                      "platform, servers, faults, script, expect, must_fail, checks_off)");
    expect_text_error(HEAD "script:\n  - at: 1s\n    jion: {player: 1}\n", 6, 5,
                      "unknown key 'jion' (did you mean 'join'?)");
    expect_text_error(HEAD "script:\n  - at: 1s\n    join: {playr: 1}\n", 6, 12,
                      "unknown key 'playr' (did you mean 'player'?)");
    expect_text_error("name: t\nduration: 1s\nstore: {nmae: S, template: {}}\nscript: []\n", 3, 9,
                      "unknown key 'nmae' (did you mean 'name'?)");
    expect_text_error(HEAD "script: []\nexpect:\n  - stored: {player: 1, path: a, equal: 1}\n", 6,
                      34, "unknown key 'equal' (did you mean 'equals'?)");
}

static void test_missing_required_key(void **state)
{
    (void)state;
    expect_file_error("bad/missing_key.yaml", 2, 1,
                      "missing required key 'duration' in the scenario");
    expect_text_error("name: t\nduration: 1s\nstore:\n  name: S\nscript: []\n", 4, 3,
                      "missing required key 'template' in store");
    expect_text_error(HEAD "script:\n  - join: {player: 1}\n", 5, 5,
                      "missing required key 'at' in the step at line 5");
    expect_text_error(HEAD "script:\n  - at: 1s\n    set: {player: 1, path: a}\n", 6, 10,
                      "missing required key 'value' in 'set'");
    expect_text_error(HEAD "script: []\nexpect:\n  - stored: {player: 1, path: a}\n", 6, 13,
                      "missing 'equals' or 'absent: true' in 'stored'");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* the column counts characters: "é" and "ü" are one each */
    static const char bad[] = "name: t\n  \xc3\xa9\xc3\xbc: \xff\n";
    expect_text_error_n(bad, sizeof bad - 1, 2, 7, "invalid UTF-8 (byte 0xFF)");
    static const char overlong[] = "a: \xc0\xaf\n";
    expect_text_error_n(overlong, sizeof overlong - 1, 1, 4, "invalid UTF-8 (byte 0xC0)");
    static const char surrogate[] = "a: x\r\nb: \xed\xa0\x80\n";
    expect_text_error_n(surrogate, sizeof surrogate - 1, 2, 4, "invalid UTF-8 (byte 0xED)");
    static const char too_big[] = "a: \xf4\x90\x80\x80\n";
    expect_text_error_n(too_big, sizeof too_big - 1, 1, 4, "invalid UTF-8 (byte 0xF4)");
    static const char truncated[] = "a: b\n\xe2\x82";
    expect_text_error_n(truncated, sizeof truncated - 1, 2, 1, "invalid UTF-8 (byte 0xE2)");
    static const char continuation[] = "\x80";
    expect_text_error_n(continuation, 1, 1, 1, "invalid UTF-8 (byte 0x80)");
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "name: t\nduration: 1\xc3\xa9s\x00\n";
    expect_text_error_n(text, sizeof text - 1, 2, 14, "NUL byte in the file");
}

static void test_empty_file(void **state)
{
    (void)state;
    const char *msg = "empty file: expected a scenario mapping with name, duration, store and "
                      "script";
    expect_file_error("bad/empty.yaml", 1, 1, msg);
    expect_file_error("bad/comments_only.yaml", 1, 1, msg);
    expect_text_error_n(NULL, 0, 1, 1, msg);
    expect_text_error("\n\n   \n", 1, 1, msg);
}

static void test_missing_file(void **state)
{
    (void)state;
    scenario *s = (scenario *)1;
    loader_error err;
    const char *path = DATA "no/such/file.yaml";
    assert_int_equal(loader_load_file(path, &s, &err), -1);
    assert_null(s);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_string_equal(err.message, "cannot open: No such file or directory");

    char buf[2200], want[2200];
    loader_error_format(&err, buf, sizeof buf);
    snprintf(want, sizeof want, "%s:1:1: cannot open: No such file or directory", path);
    assert_string_equal(buf, want);

    /* a folder is not a scenario file */
    s = (scenario *)1;
    path = DATA "good";
    assert_int_equal(loader_load_file(path, &s, &err), -1);
    assert_null(s);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.message, "cannot open: Is a directory"));
}

static void test_two_documents(void **state)
{
    (void)state;
    expect_file_error("bad/two_documents.yaml", 5, 1, "a second YAML document starts here");
    expect_text_error(HEAD "script: []\n...\nname: again\n", 6, 1,
                      "a second YAML document starts here");
}

static void test_unknown_anchor(void **state)
{
    (void)state;
    expect_file_error("bad/unknown_anchor.yaml", 6, 11,
                      "alias '*player' refers to an unknown anchor");
    /* an anchor cannot be used inside its own value */
    expect_text_error(HEAD "script: &s [*s]\n", 4, 13, "alias '*s' refers to an unknown anchor");
}

static void test_two_actions(void **state)
{
    (void)state;
    expect_file_error("bad/two_actions.yaml", 7, 5,
                      "two actions in one step, 'join' and 'leave'");
    expect_text_error(HEAD "script:\n  - at: 1s\n", 5, 5,
                      "no action in the step at line 5: expected one of join, leave, set, add, "
                      "insert, remove, teleport, rejoin, start, crash, freeze, resume, "
                      "shutdown, publish, subscribe, ods_set, ods_increment, ods_check, wait, "
                      "edit, save, purchase, clear_lease, repair");
    expect_text_error(HEAD "script: []\nexpect:\n  - {}\n", 6, 5,
                      "no kind in the expectation at line 6: expected one of stored, count");
    expect_text_error(HEAD "script: []\nexpect:\n  - stored: {player: 1, path: a, equals: 1, "
                           "absent: true}\n",
                      6, 53, "use either 'equals' or 'absent: true' in 'stored', not both");
}

static void test_bad_duration(void **state)
{
    (void)state;
    expect_file_error("bad/bad_duration.yaml", 2, 11,
                      "expected a duration with a unit, like 5s, 250ms or 2m");
    static const struct {
        const char *text;
        const char *part;
    } bad[] = {
        {"1.5", "found the bare number '1.5'"},
        {"-1s", "the duration '-1s' for 'duration' has a sign: 'duration' takes a duration "
                ">= 0"},
        {"+1s", "the duration '+1s' for 'duration' has a sign"},
        {"--1s", "found a string '--1s'"},
        {"5 s", "found a string '5 s'"},
        {"5S", "found a string '5S'"},
        {".5s", "found a string '.5s'"},
        {"1.s", "found a string '1.s'"},
        {"[1s]", "found a sequence"},
        {"1.0000001s", "'1.0000001s' for 'duration' is not a whole number of microseconds"},
        {"0.5us", "is not a whole number of microseconds"},
        {"2562047789h", "'2562047789h' for 'duration' is too long"},
        {"9223372036854775808us", "is too long"},
        {"99999999999999999999999s", "is too long"},
        {"0s", "the duration must be longer than 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "name: t\nduration: %s\nstore: {name: S, template: {}}\nscript: []\n",
                 bad[i].text);
        expect_text_error(text, 2, 11, bad[i].part);
    }
    expect_text_error("name: t\nduration:\nstore: {name: S, template: {}}\nscript: []\n", 2, 9,
                      "found nothing");
}

static void test_step_after_end(void **state)
{
    (void)state;
    expect_file_error("bad/step_after_end.yaml", 7, 9,
                      "the step at 10s is not before the end of the scenario (duration 10s)");
    /* the check does not depend on the order of the keys */
    expect_text_error("script:\n  - at: 11s\n    join: {player: 1}\nname: t\nduration: 10s\n"
                      "store: {name: S, template: {}}\n",
                      2, 9, "the step at 11s is not before the end of the scenario (duration 10s)");
}

static void test_duplicate_and_odd_keys(void **state)
{
    (void)state;
    expect_text_error("name: a\nname: b\n", 2, 1,
                      "duplicate key 'name' (first at line 1, column 1)");
    /* the first duplicate in the file is the one reported */
    expect_text_error("b: 1\na: 1\nb: 2\na: 2\n", 3, 1,
                      "duplicate key 'b' (first at line 1, column 1)");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {1: a, 01: b}}\n"
                      "script: []\n",
                      3, 35, "duplicate key '01' (first at line 3, column 29)");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {[1]: a}}\nscript: []\n",
                      3, 29, "a mapping key must be a scalar");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {a: 9007199254740993}}\n"
                      "script: []\n",
                      3, 32, "the integer 9007199254740993 cannot be represented exactly");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {a: !foo 1}}\n"
                      "script: []\n",
                      3, 32, "unsupported tag '!foo'");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {a: !!int x}}\n"
                      "script: []\n",
                      3, 38, "'x' is not a valid !!int");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {a: !!map [1]}}\n"
                      "script: []\n",
                      3, 32, "the tag !!map does not fit a sequence");
    expect_text_error("name: t\nduration: 1s\nstore: {name: S, template: {<<: 1}}\nscript: []\n",
                      3, 33, "a merge key '<<' takes a mapping");
}

static void test_top_level_not_a_mapping(void **state)
{
    (void)state;
    expect_text_error("- name: t\n", 1, 1,
                      "expected a scenario mapping with name, duration, store and script at "
                      "the top level, found a sequence");
    expect_text_error("# x\nhello\n", 2, 1, "at the top level, found a string 'hello'");
    expect_text_error("---\n", 1, 4, "at the top level, found nothing");
}

static void test_limits(void **state)
{
    (void)state;
    size_t len = ((size_t)16 << 20) + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    expect_text_error_n(big, len, 1, 1, "the file is too large");
    free(big);

    char deep[2048];
    int n = snprintf(deep, sizeof deep, "name: t\nduration: 1s\nstore: {name: S, template: {a: ");
    for (int i = 0; i < 300; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    expect_text_error(deep, 3, 285, "values nest deeper than 256 levels");

    /* an alias bomb: each level repeats the one before ten times */
    char bomb[4096];
    n = snprintf(bomb, sizeof bomb, "name: t\nduration: 1s\nscript: []\nstore:\n  name: S\n"
                                    "  template:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
        n += snprintf(bomb + n, sizeof bomb - (size_t)n, "    a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            n += snprintf(bomb + n, sizeof bomb - (size_t)n, "%s*a%d", j ? ", " : "", i - 1);
        n += snprintf(bomb + n, sizeof bomb - (size_t)n, "]\n");
    }
    expect_text_error(bomb, 13, 13, "aliases expand this value");
}

/* ---- platform, servers, faults, new steps and counts: errors ---- */

static void test_platform_errors(void **state)
{
    (void)state;
    expect_text_error(HEAD "platform:\n  write_cooldwn: 10s\nscript: []\n", 5, 3,
                      "unknown key 'write_cooldwn' (did you mean 'write_cooldown'?)");
    expect_text_error(HEAD "platform: {budget_get_per_playr: 5}\nscript: []\n", 4, 12,
                      "unknown key 'budget_get_per_playr' (did you mean 'budget_get_per_player'?)");
    expect_text_error(HEAD "platform: {limts: classic}\nscript: []\n", 4, 12,
                      "unknown key 'limts' (did you mean 'limits'?)");
    expect_text_error(HEAD "platform: {store_clock_skw: 1s}\nscript: []\n", 4, 12,
                      "(did you mean 'store_clock_skew'?)");
    expect_text_error(HEAD "platform: {frobnicate: 1}\nscript: []\n", 4, 12,
                      "unknown key 'frobnicate' (expected limits, store_clock_skew or the name "
                      "of a platform parameter; docs/platform.md lists them all)");
    /* a count given a duration, a duration given a count: the unit and the default */
    expect_text_error(HEAD "platform: {budget_get_per_player: 5s}\nscript: []\n", 4, 35,
                      "expected an integer for 'budget_get_per_player', found a string '5s'; "
                      "'budget_get_per_player' takes a count (an integer >= 0), default 40 "
                      "under the current limits");
    expect_text_error(HEAD "platform:\n  write_cooldown: 5\n  limits: classic\nscript: []\n", 5,
                      19,
                      "found the bare number '5'; 'write_cooldown' takes a duration (like 5s or "
                      "250ms), default 6s under the classic limits");
    expect_text_error(HEAD "platform: {budget_get_per_player: 1.5, limits: 2023}\nscript: []\n",
                      4, 35, "default 10 under the 2023 limits");
    expect_text_error(HEAD "platform: {value_max_bytes: 4KB}\nscript: []\n", 4, 29,
                      "takes a number of bytes (an integer >= 0), default 4194304 under the "
                      "current limits");
    expect_text_error(HEAD "platform: {ds_tail_ppm: 1000001}\nscript: []\n", 4, 25,
                      "expected an integer from 0 to 1000000 for 'ds_tail_ppm', found 1000001; "
                      "'ds_tail_ppm' takes parts per million");
    expect_text_error(HEAD "platform: {queue_size: -1}\nscript: []\n", 4, 24,
                      "expected an integer >= 0 for 'queue_size', found -1");
    expect_text_error(HEAD "platform: {version_keep: 1}\nscript: []\n", 4, 26,
                      "default 720h under the current limits");
    /* a sign where a duration cannot be negative */
    expect_text_error(HEAD "platform: {write_cooldown: -1s}\nscript: []\n", 4, 28,
                      "the duration '-1s' for 'write_cooldown' has a sign");
    expect_text_error(HEAD "platform: {store_clock_skew: 5}\nscript: []\n", 4, 30,
                      "expected a duration with a unit, like 5s, -250ms or 2m, for "
                      "'store_clock_skew'; found the bare number '5'");
    /* the profile */
    expect_text_error(HEAD "platform: {limits: modern}\nscript: []\n", 4, 20,
                      "unknown limits profile 'modern' (expected classic, 2023 or current)");
    expect_text_error(HEAD "platform: {limits: 2024}\nscript: []\n", 4, 20,
                      "unknown limits profile '2024'");
    expect_text_error(HEAD "platform: {limits: ~}\nscript: []\n", 4, 20,
                      "expected a limits profile for 'limits', found null '~'");
    /* the profile is read first: its error comes before an override's */
    expect_text_error(HEAD "platform: {queue_size: x, limits: Classic}\nscript: []\n", 4, 35,
                      "unknown limits profile 'Classic'");
    expect_text_error(HEAD "platform: [limits]\nscript: []\n", 4, 11,
                      "expected a mapping for 'platform' (like {limits: classic, "
                      "write_cooldown: 10s}), found a sequence");
}

static void test_server_errors(void **state)
{
    (void)state;
    expect_text_error(HEAD "servers:\n  - id: 2\n  - {id: 2}\nscript: []\n", 6, 10,
                      "duplicate server id 2 (first at line 5, column 9)");
    expect_text_error(HEAD "servers: [{id: 0}]\nscript: []\n", 4, 16,
                      "expected an integer from 1 to 64 for 'id', found 0");
    expect_text_error(HEAD "servers: [{id: 65}]\nscript: []\n", 4, 16,
                      "expected an integer from 1 to 64 for 'id', found 65");
    expect_text_error(HEAD "servers:\n  - {skew: 1s}\nscript: []\n", 5, 5,
                      "missing required key 'id' in the server at line 5");
    expect_text_error(HEAD "servers: []\nscript: []\n", 4, 10,
                      "'servers' is empty: declare at least one server");
    expect_text_error(HEAD "servers: {id: 1}\nscript: []\n", 4, 10,
                      "expected a sequence of servers for 'servers'");
    expect_text_error(HEAD "servers: [1]\nscript: []\n", 4, 11,
                      "expected a server (a mapping like {id: 2, skew: -90s}), found an "
                      "integer '1'");
    expect_text_error(HEAD "servers: [{id: 1, skwe: 1s}]\nscript: []\n", 4, 19,
                      "unknown key 'skwe' (did you mean 'skew'?)");
    expect_text_error(HEAD "servers: [{id: 1, skew: 1}]\nscript: []\n", 4, 25,
                      "expected a duration with a unit, like 5s, -250ms or 2m, for 'skew'; "
                      "found the bare number '1'");
    expect_text_error(HEAD "servers: [{id: 1, drift_ppm: 1000001}]\nscript: []\n", 4, 30,
                      "expected an integer from -1000000 to 1000000 for 'drift_ppm'");
    expect_text_error(HEAD "servers: [{id: 1, stopped: yes}]\nscript: []\n", 4, 28,
                      "expected true or false for 'stopped', found a string 'yes'");

    /* every server id used must be declared, wherever `servers` is in the file */
    expect_text_error(HEAD "servers: [{id: 1}, {id: 3}]\nscript:\n"
                           "  - {at: 1s, crash: {server: 2}}\n",
                      6, 30, "server 2 is not declared (the declared servers are 1, 3)");
    expect_text_error(HEAD "script:\n  - {at: 1s, teleport: {player: 1, to: 3}}\n"
                           "servers: [{id: 1}, {id: 2}]\n",
                      5, 40, "server 3 is not declared (the declared servers are 1, 2)");
    expect_text_error(HEAD "script:\n  - {at: 1s, crash: {server: 2}}\n", 5, 30,
                      "server 2 is not declared (without 'servers' there is one server, id 1)");
    expect_text_error(HEAD "servers: [{id: 2}, {id: 3}]\nscript:\n"
                           "  - {at: 1s, join: {player: 1}}\n",
                      6, 20,
                      "'join' without 'server' is on server 1, which is not declared (the "
                      "declared servers are 2, 3)");
    expect_text_error(HEAD "servers: [{id: 2}]\nscript: []\nexpect:\n"
                           "  - count: {counter: msg.lost, server: 1, at_least: 0}\n",
                      7, 40, "server 1 is not declared (the only declared server is 2)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: server_crash, servers: [1, 2]}\n", 6,
                      39, "server 2 is not declared (without 'servers' there is one server, id 1)");
    /* the first use in the file is the one reported */
    expect_text_error(HEAD "script:\n  - {at: 1s, crash: {server: 5}}\nfaults:\n"
                           "  - {kind: server_crash, servers: [4]}\nservers: [{id: 1}]\n",
                      5, 30, "server 5 is not declared");
    expect_text_error(HEAD "script:\n  - {at: 1s, crash: {server: 65}}\n", 5, 30,
                      "expected an integer from 1 to 64 for 'server', found 65");

    /* rejoin without a server stays on the same one; servers 1..64 */
    scenario *s = load_ok_text(HEAD "servers: [{id: 64}, {id: 2, skew: +1s, stopped: false}]\n"
                                    "script:\n  - {at: 1s, rejoin: {player: 1}}\n"
                                    "  - {at: 2s, join: {player: 1, server: 64}}\n");
    assert_int_equal(s->server_count, 2);
    assert_int_equal(s->servers[0].id, 2);
    assert_true(s->servers[0].skew_us == 1000000);
    assert_false(s->servers[0].starts_stopped);
    assert_int_equal(s->servers[1].id, 64);
    assert_int_equal(s->steps[0].server, 0);
    assert_int_equal(s->steps[1].server, 64);
    scenario_free(s);
}

static void test_fault_errors(void **state)
{
    (void)state;
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: clock_skew, code: 503}\n", 6, 24,
                      "clock_skew reads amount, servers; it has no 'code'");
    expect_text_error(HEAD "script: []\nfaults:\n  - kind: store_outage\n    op: update\n", 7, 5,
                      "store_outage reads code, ppm, servers; it has no 'op'");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: store_outag}\n", 6, 12,
                      "unknown fault kind 'store_outag' (did you mean 'store_outage'?)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: meteor}\n", 6, 12,
                      "unknown fault kind 'meteor' (expected one of store_outage, error_rate, "
                      "ambiguous_commit, lost_response, latency_spike, latency_tail, budget_cut, "
                      "nil_read, message_loss, message_delay, message_duplication, "
                      "message_reorder, server_crash, server_freeze, server_shutdown, "
                      "clock_skew, clock_drift, clock_jump, partition_store, "
                      "partition_messaging, receipt_unrecorded)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {start: 10s}\n", 6, 5,
                      "missing required key 'kind' in the fault at line 6");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: error_rate, strat: 1s}\n", 6, 24,
                      "unknown key 'strat' (did you mean 'start'?)");
    /* the kind is read first, wherever it is */
    expect_text_error(HEAD "script: []\nfaults:\n  - {code: 1, kind: nope}\n", 6, 21,
                      "unknown fault kind 'nope'");
    /* end after start */
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: store_outage, start: 10s, end: 10s}\n",
                      6, 43,
                      "the fault ends at 10s, which is not after its start (10s): a fault is "
                      "active in [start, end)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: store_outage, end: 5s, start: 1m}\n",
                      6, 31, "the fault ends at 5s, which is not after its start (1m)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: store_outage, end: 0s}\n", 6, 31,
                      "the fault ends at 0s, which is not after its start (0s)");
    /* values */
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: error_rate, op: updte}\n", 6, 28,
                      "unknown request kind 'updte' for 'op' (did you mean 'update'?)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: error_rate, op: everything}\n", 6, 28,
                      "(expected one of any, get, set, update, increment, remove, list, "
                      "sorted_get, sorted_set)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: error_rate, code: 1000}\n", 6, 30,
                      "expected an integer from 1 to 999 for 'code', found 1000");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: error_rate, ppm: 1000001}\n", 6, 29,
                      "expected an integer from 0 to 1000000 for 'ppm', found 1000001");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: clock_drift, amount: 1s}\n", 6, 33,
                      "expected an integer for 'amount', found a string '1s'; the amount of "
                      "clock_drift is parts per million, an integer from -1000000 to 1000000");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: clock_skew, amount: 5}\n", 6, 32,
                      "found the bare number '5'; the amount of clock_skew is a duration, which "
                      "may be negative");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: server_crash, servers: []}\n", 6, 35,
                      "'servers' is empty: list at least one server id (without 'servers' the "
                      "fault hits every server)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: server_crash, servers: [1, 1]}\n", 6,
                      39, "server 1 is twice in 'servers' (first at line 6, column 36)");
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: server_crash, servers: 1}\n", 6, 35,
                      "expected a sequence of server ids for 'servers', like [1, 2], found an "
                      "integer '1'");
    /* a sign where a duration cannot be negative */
    expect_text_error(HEAD "script: []\nfaults:\n  - {kind: clock_skew, start: -1s}\n", 6, 31,
                      "the duration '-1s' for 'start' has a sign: 'start' takes a duration >= 0");
    expect_text_error(HEAD "script: []\nfaults: {kind: store_outage}\n", 5, 9,
                      "expected a sequence for 'faults'");
    expect_text_error(HEAD "script: []\nfaults: [store_outage]\n", 5, 10,
                      "expected a fault (a mapping like {kind: store_outage, start: 10s, end: "
                      "40s}), found a string 'store_outage'");
    scenario *s = load_ok_text(HEAD "script: []\nfaults: []\n");
    assert_int_equal(s->fault_count, 0);
    scenario_free(s);
}

static void test_new_step_errors(void **state)
{
    (void)state;
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: [], "
                           "page_size: 0}}\n",
                      5, 70, "expected an integer from 1 to 100 for 'page_size', found 0");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: [], "
                           "page_size: 101}}\n",
                      5, 70, "expected an integer from 1 to 100 for 'page_size', found 101");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_set: {server: 1, store: W, key: k, value: "
                           "9007199254740993}}\n",
                      5, 60,
                      "expected an integer from -9007199254740992 to 9007199254740992 for "
                      "'value', found 9007199254740993");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_increment: {server: 1, store: W, key: k, "
                           "by: -9007199254740993}}\n",
                      5, 63, "for 'by', found -9007199254740993");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_set: {server: 1, store: W, key: k, value: "
                           "1.5}}\n",
                      5, 60, "expected an integer for 'value', found a number '1.5'");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: "
                           "[[a, 1], [a, 2]]}}\n",
                      5, 65, "the key 'a' is twice in 'equals' (first at line 5, column 57)");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: "
                           "[[a, 1], [b, 2], [c, 3]], page_size: 2}}\n",
                      5, 55,
                      "'equals' lists 3 entries, but a page of this check holds at most 2 "
                      "(page_size)");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: "
                           "[[a, 1, 3]]}}\n",
                      5, 56,
                      "expected a [key, value] pair in 'equals', found a sequence of 3 items");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: [a]}}\n",
                      5, 56,
                      "expected a [key, value] pair in 'equals', like [Player_1, 12], found a "
                      "string 'a'");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: "
                           "[[a, x]]}}\n",
                      5, 60, "expected an integer for 'equals', found a string 'x'");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: "
                           "[['', 1]]}}\n",
                      5, 57, "'equals' must not be empty");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, "
                           "equals: {a: 1}}}\n",
                      5, 55, "expected a sequence of [key, value] pairs for 'equals'");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W, equals: [], "
                           "ascending: yes}}\n",
                      5, 70, "expected true or false for 'ascending', found a string 'yes'");
    expect_text_error(HEAD "script:\n  - {at: 1s, ods_check: {server: 1, store: W}}\n", 5, 25,
                      "missing required key 'equals' in 'ods_check'");
    expect_text_error(HEAD "script:\n  - {at: 1s, publish: {server: 1, topic: '', message: hi}}\n",
                      5, 42, "'topic' must not be empty");
    expect_text_error(HEAD "script:\n  - {at: 1s, publish: {server: 1, topic: t, message: ~}}\n",
                      5, 54, "expected a message for 'message', found null '~'");
    expect_text_error(HEAD "script:\n  - {at: 1s, publish: {server: 1, topic: t}}\n", 5, 23,
                      "missing required key 'message' in 'publish'");
    expect_text_error(HEAD "script:\n  - {at: 1s, subscribe: {server: 1, topc: t}}\n", 5, 37,
                      "unknown key 'topc' (did you mean 'topic'?)");
    expect_text_error(HEAD "script:\n  - {at: 1s, crash: {}}\n", 5, 21,
                      "missing required key 'server' in 'crash'");
    expect_text_error(HEAD "script:\n  - {at: 1s, shutdown: {server: 1, player: 1}}\n", 5, 36,
                      "unknown key 'player' (expected one of server)");
    expect_text_error(HEAD "script:\n  - {at: 1s, freeze: 1}\n", 5, 22,
                      "expected a mapping for 'freeze' (like freeze: {server: 1}), found an "
                      "integer '1'");
    expect_text_error(HEAD "script:\n  - {at: 1s, teleport: {player: 1}}\n", 5, 24,
                      "missing required key 'to' in 'teleport'");
    expect_text_error(HEAD "script:\n  - {at: 1s, rejoin: {server: 1}}\n", 5, 22,
                      "missing required key 'player' in 'rejoin'");
    expect_text_error(HEAD "script:\n  - {at: 1s, resum: {server: 1}}\n", 5, 14,
                      "unknown key 'resum' (did you mean 'resume'?)");
    /* a sign where a duration cannot be negative */
    expect_text_error(HEAD "script:\n  - {at: -1s, crash: {server: 1}}\n", 5, 10,
                      "the duration '-1s' for 'at' has a sign: 'at' takes a duration >= 0");
}

static void test_count_errors(void **state)
{
    (void)state;
    /* the list of counters is sim/history.h's; only its start is checked here */
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: event.nope, at_least: 1}\n",
                      6, 22, "unknown counter 'event.nope' (counters: ");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: ds.update}\n", 6, 22,
                      "unknown counter 'ds.update'");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost}\n", 6, 12,
                      "no bound in 'count': give at_least, at_most or equals");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost, equals: 1, "
                           "at_least: 1}\n",
                      6, 53, "use either 'equals' or 'at_least'/'at_most' in 'count', not both");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost, at_most: 2, "
                           "equals: 1}\n",
                      6, 41, "use either 'equals' or 'at_least'/'at_most' in 'count', not both");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost, at_least: 3, "
                           "at_most: 1}\n",
                      6, 54,
                      "at_most (1) is less than at_least (3) in 'count': no number is within "
                      "both");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost, at_least: -1}\n",
                      6, 42, "expected an integer >= 0 for 'at_least', found -1");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost, player: 0, "
                           "at_least: 1}\n",
                      6, 40, "expected an integer >= 1 for 'player', found 0");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {at_least: 1}\n", 6, 12,
                      "missing required key 'counter' in 'count'");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: [a], at_least: 1}\n", 6, 22,
                      "expected a counter name for 'counter', found a sequence");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: {counter: msg.lost, at_leat: 1}\n", 6,
                      32, "unknown key 'at_leat' (did you mean 'at_least'?)");
    expect_text_error(HEAD "script: []\nexpect:\n  - count: 1\n", 6, 12,
                      "expected a mapping for 'count' (like count: {counter: msg.lost, ...})");
    scenario *s = load_ok_text(HEAD "script: []\nexpect:\n  - count: {counter: ds.get.ok, "
                                    "at_least: 0, at_most: 0}\n");
    assert_int_equal(s->expects[0].kind, EXPECT_COUNT);
    assert_true(s->expects[0].at_least == 0 && s->expects[0].at_most == 0);
    scenario_free(s);
}

/* ---- the engine slice: store settings, migrations, validators, products, new steps ---- */

/* A step of a list: its kind and path (and no payload operand: nothing here has one). */
static const vs_step *step_at(const vs_steps *list, size_t i, vs_step_kind kind, const char *path)
{
    assert_true(i < list->count);
    const vs_step *st = &list->items[i];
    assert_int_equal(st->kind, kind);
    assert_path(&st->path, path);
    assert_false(st->from_payload);
    assert_int_equal(st->payload_path.count, 0);
    return st;
}

static void assert_require(const vs_steps *list, size_t i, const char *path, vs_require_op op)
{
    const vs_step *st = step_at(list, i, VS_STEP_REQUIRE, path);
    assert_int_equal(st->op, op);
}

static void test_engine_scenario(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/engine.yaml");
    const scenario_store *st = &s->store;
    assert_string_equal(st->name, "PlayerData");
    assert_true(st->schema == 3);
    assert_true(st->autosave_us == 45000000);
    assert_true(st->lease_us == 120000000);
    assert_true(st->retry.base_us == 250000);
    assert_true(st->retry.max_us == 10000000);
    assert_int_equal(st->retry.max_attempts, 5);
    assert_true(st->retry.closing_max_us == 500000);
    assert_int_equal(st->retry.closing_max_attempts, 3);
    assert_true(st->no_reconcile);
    /* a server of another build writes its own schema; 0 is the store's */
    assert_int_equal(s->server_count, 2);
    assert_true(s->servers[0].schema == 0);
    assert_true(s->servers[1].schema == 2);

    /* migrations in file order, each with its steps */
    assert_int_equal(st->migrations.count, 2);
    const vs_migration *m = &st->migrations.items[0];
    assert_true(m->from == 2);
    assert_null(m->name);
    assert_null(m->fn);
    assert_int_equal(m->steps.count, 1);
    step_at(&m->steps, 0, VS_STEP_REMOVE, "Legacy");
    m = &st->migrations.items[1];
    assert_true(m->from == 1);
    assert_string_equal(m->name, "add level");
    assert_int_equal(m->steps.count, 2);
    assert_number_value(step_at(&m->steps, 0, VS_STEP_SET, "Level")->value, 1);
    const vs_step *ins = step_at(&m->steps, 1, VS_STEP_INSERT, "Inventory");
    assert_string_value(ins->value, "starter");
    assert_int_equal(ins->index1, 1);

    /* validators: requires only, every condition */
    assert_int_equal(st->validators.count, 2);
    const vs_validator *v = &st->validators.items[0];
    assert_string_equal(v->name, "coins never negative");
    assert_null(v->fn);
    assert_int_equal(v->steps.count, 1);
    assert_require(&v->steps, 0, "Wallet.Coins", VS_REQUIRE_AT_LEAST);
    assert_true(v->steps.items[0].number == 0);
    v = &st->validators.items[1];
    assert_null(v->name);
    assert_int_equal(v->steps.count, 5);
    assert_require(&v->steps, 0, "Level", VS_REQUIRE_AT_MOST);
    assert_true(v->steps.items[0].number == 100);
    assert_require(&v->steps, 1, "Wallet", VS_REQUIRE_TYPE);
    assert_int_equal(v->steps.items[1].type, VS_MAP);
    assert_require(&v->steps, 2, "Banned", VS_REQUIRE_ABSENT);
    assert_null(v->steps.items[2].value);
    assert_require(&v->steps, 3, "Wallet.Gems", VS_REQUIRE_EXISTS);
    assert_require(&v->steps, 4, "", VS_REQUIRE_EQUALS);
    assert_int_equal(vs_type_of(v->steps.items[4].value), VS_MAP);
    assert_true(vs_type_of(get(v->steps.items[4].value, "Frozen")) == VS_BOOL);
    assert_false(vs_bool_of(get(v->steps.items[4].value, "Frozen")));

    /* products */
    assert_int_equal(st->product_count, 2);
    assert_true(st->products[0].id == 7);
    assert_path(&st->products[0].path, "Wallet.Gems");
    assert_true(st->products[0].amount == 100);
    assert_int_equal(st->products[0].pos.line, 32);
    assert_int_equal(st->products[0].pos.column, 7);
    assert_true(st->products[1].id == 8);
    assert_path(&st->products[1].path, "Wallet.Coins");
    assert_true(st->products[1].amount == 2.5);
    assert_int_equal(st->products[1].pos.line, 33);

    /* the steps, in time order */
    static const struct {
        int64_t at_us;
        scenario_step_kind kind;
        int64_t player;
        int server;
        int line;
        vs_status expect_status;
        size_t edit_steps;
    } want[] = {
        {1000000, STEP_JOIN, 1, 1, 35, VS_OK, 0},
        {1000000, STEP_WAIT, 1, 0, 36, VS_OK, 0},
        {1000000, STEP_WAIT, 2, 0, 37, VS_ERR_LEASE_HELD, 0},
        {2000000, STEP_EDIT, 1, 0, 38, VS_OK, 2},
        {2500000, STEP_EDIT, 1, 0, 45, VS_OK, 4},
        {3000000, STEP_SAVE, 1, 0, 54, VS_OK, 0},
        {4000000, STEP_PURCHASE, 1, 0, 55, VS_OK, 0},
        {4000000, STEP_PURCHASE, 1, 0, 56, VS_OK, 0},
        {5000000, STEP_CLEAR_LEASE, 3, 2, 57, VS_OK, 0},
        {6000000, STEP_REPAIR, 3, 1, 58, VS_ERR_NOT_LOADED, 1},
        {7000000, STEP_EDIT, 1, 0, 64, VS_OK, 0},
    };
    assert_int_equal(s->step_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s->step_count; i++) {
        const scenario_step *x = &s->steps[i];
        assert_true(x->at_us == want[i].at_us);
        assert_int_equal(x->kind, want[i].kind);
        assert_true(x->player == want[i].player);
        assert_int_equal(x->server, want[i].server);
        assert_int_equal(x->pos.line, want[i].line);
        assert_int_equal(x->pos.column, 5);
        assert_int_equal(x->expect_status, want[i].expect_status);
        assert_int_equal(x->edit.count, want[i].edit_steps);
        assert_int_equal(x->path.count, 0);
        assert_null(x->value);
        assert_true(x->timeout_us == (x->kind != STEP_WAIT ? 0 : x->player == 1 ? 10000000
                                                                                  : 5000000));
        if (x->kind != STEP_PURCHASE) {
            assert_null(x->text);
            assert_true(x->product == 0 && x->price == 0);
        }
        if (x->kind != STEP_EDIT || i != 3)
            assert_false(x->expect_cancel);
    }
    /* edit: add, then require, cancelled */
    const scenario_step *e = &s->steps[3];
    assert_true(e->expect_cancel);
    assert_true(step_at(&e->edit, 0, VS_STEP_ADD, "Wallet.Coins")->number == -50);
    assert_require(&e->edit, 1, "Wallet.Coins", VS_REQUIRE_AT_LEAST);
    assert_true(e->edit.items[1].number == 0);
    /* edit: set, insert (appended), remove, require equals; expect: committed */
    e = &s->steps[4];
    assert_false(e->expect_cancel);
    const vs_step *set = step_at(&e->edit, 0, VS_STEP_SET, "Profile");
    assert_string_value(get(set->value, "Name"), "Ada");
    ins = step_at(&e->edit, 1, VS_STEP_INSERT, "Inventory");
    assert_string_value(ins->value, "sword");
    assert_int_equal(ins->index1, 0);
    assert_null(step_at(&e->edit, 2, VS_STEP_REMOVE, "Inventory.1")->value);
    assert_require(&e->edit, 3, "Profile.Name", VS_REQUIRE_EQUALS);
    assert_string_value(e->edit.items[3].value, "Ada");
    /* purchases */
    assert_string_equal(s->steps[6].text, "P-1");
    assert_true(s->steps[6].product == 7);
    assert_true(s->steps[6].price == 100);
    assert_string_equal(s->steps[7].text, "P-2");
    assert_true(s->steps[7].product == 8);
    assert_true(s->steps[7].price == 0); /* the default */
    /* repair */
    assert_number_value(step_at(&s->steps[9].edit, 0, VS_STEP_SET, "Level")->value, 5);
    scenario_free(s);
}

/* Without the new keys the store has the engine's defaults: zeros, which the engine reads as
 * "the default", and empty lists. */
static void test_engine_defaults(void **state)
{
    (void)state;
    scenario *s = load_ok_text(HEAD "script: []\n");
    const scenario_store *st = &s->store;
    assert_true(st->schema == 0);
    assert_true(st->autosave_us == 0 && st->lease_us == 0);
    assert_true(st->retry.base_us == 0 && st->retry.max_us == 0 && st->retry.closing_max_us == 0);
    assert_true(st->retry.max_attempts == 0 && st->retry.closing_max_attempts == 0);
    assert_false(st->no_reconcile);
    assert_int_equal(st->migrations.count, 0);
    assert_int_equal(st->validators.count, 0);
    assert_int_equal(st->product_count, 0);
    assert_null(st->products);
    scenario_free(s);

    /* a partial retry policy keeps zeros (the engine's defaults) where nothing is given;
     * reconcile: true is the default, written out; an empty migration list is fine */
    s = load_ok_text("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                     "  retry: {max: 2m}\n  reconcile: true\n  migrations: []\n  validators: []\n"
                     "  products: []\n  schema: 1\n");
    st = &s->store;
    assert_true(st->retry.max_us == 120000000);
    assert_true(st->retry.base_us == 0 && st->retry.closing_max_us == 0);
    assert_false(st->no_reconcile);
    assert_true(st->schema == 1);
    assert_int_equal(st->product_count, 0);
    scenario_free(s);

    /* error: none is the default, written out; a wait with every outcome name */
    static const struct {
        const char *name;
        vs_status status;
    } outcomes[] = {
        {"none", VS_OK},
        {"timeout", VS_ERR_TIMEOUT},
        {"lease_held", VS_ERR_LEASE_HELD},
        {"unavailable", VS_ERR_UNAVAILABLE},
        {"schema_too_new", VS_ERR_SCHEMA_TOO_NEW},
        {"invalid", VS_ERR_INVALID},
        {"closed", VS_ERR_CLOSED},
        {"not_loaded", VS_ERR_NOT_LOADED},
        {"lost", VS_ERR_LOST},
    };
    for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 HEAD "script:\n  - {at: 1s, wait: {player: 1, timeout: 1us, error: %s}}\n"
                      "  - {at: 1s, clear_lease: {server: 1, player: 1, error: %s}}\n"
                      "  - {at: 1s, repair: {server: 1, player: 1, steps: [], error: %s}}\n",
                 outcomes[i].name, outcomes[i].name, outcomes[i].name);
        s = load_ok_text(text);
        for (size_t k = 0; k < 3; k++)
            assert_int_equal(s->steps[k].expect_status, outcomes[i].status);
        assert_true(s->steps[0].timeout_us == 1);
        scenario_free(s);
    }
}

/* Step lists: every kind and condition, anchors, and what the engine refuses at build. */
static void test_step_lists(void **state)
{
    (void)state;
    scenario *s = load_ok_text(
        HEAD "script:\n  - at: 1s\n    edit:\n      player: 1\n      steps:\n"
             "        - {require: {path: a, type: boolean}}\n"
             "        - {require: {path: a, type: nil}}\n"
             "        - {require: {path: a, at_most: -1.5}}\n"
             "        - {require: {path: a, equals: !!map {from: X}}}\n"
             "        - {require: {path: a, equals: ~}}\n"
             "        - {insert: {path: a, value: [1, 2], index: 3}}\n"
             "        - {set: {path: a, value: ~}}\n"
             "        - &bump {add: {path: a.b, value: 1e3}}\n"
             "        - *bump\n");
    const vs_steps *l = &s->steps[0].edit;
    assert_int_equal(l->count, 9);
    assert_require(l, 0, "a", VS_REQUIRE_TYPE);
    assert_int_equal(l->items[0].type, VS_BOOL);
    assert_require(l, 1, "a", VS_REQUIRE_TYPE);
    assert_int_equal(l->items[1].type, VS_NIL);
    assert_require(l, 2, "a", VS_REQUIRE_AT_MOST);
    assert_true(l->items[2].number == -1.5);
    assert_require(l, 3, "a", VS_REQUIRE_EQUALS); /* !!map: a literal map, not a payload */
    assert_string_value(get(l->items[3].value, "from"), "X");
    assert_require(l, 4, "a", VS_REQUIRE_EQUALS);
    assert_int_equal(vs_type_of(l->items[4].value), VS_NIL);
    const vs_step *ins = step_at(l, 5, VS_STEP_INSERT, "a");
    assert_int_equal(ins->index1, 3);
    assert_int_equal(vs_array_len(ins->value), 2);
    assert_int_equal(vs_type_of(step_at(l, 6, VS_STEP_SET, "a")->value), VS_NIL);
    assert_true(step_at(l, 7, VS_STEP_ADD, "a.b")->number == 1000);
    assert_true(step_at(l, 8, VS_STEP_ADD, "a.b")->number == 1000);
    scenario_free(s);

    /* a block-style step list, in a repair, with the player before the server */
    s = load_ok_text(HEAD "script:\n  - at: 1s\n    repair:\n      player: 4\n      server: 1\n"
                          "      steps:\n        - remove:\n            path: Old\n");
    assert_int_equal(s->steps[0].kind, STEP_REPAIR);
    assert_true(s->steps[0].player == 4);
    step_at(&s->steps[0].edit, 0, VS_STEP_REMOVE, "Old");
    scenario_free(s);

#define EDIT(steps) HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: [" steps "]}}\n"
    /* refusals of vs_steps_push_*, at the step */
    expect_text_error(EDIT("{add: {path: a, value: .nan}}"), 5, 40,
                      "this 'add' step is refused: NaN and infinities are not storable");
    expect_text_error(EDIT("{set: {path: a, value: [1, .inf]}}"), 5, 40,
                      "this 'set' step is refused: NaN and infinities are not storable");
    expect_text_error(EDIT("{require: {path: a, at_least: .nan}}"), 5, 40,
                      "this 'require' step is refused: NaN and infinities are not storable");
    expect_text_error(EDIT("{insert: {path: a, value: ~}}"), 5, 40,
                      "this 'insert' step is refused: inserting nil would leave a hole in the "
                      "array, which is not storable");
    expect_text_error(EDIT("{set: {path: '', value: 1}}"), 5, 40,
                      "this 'set' step would change the whole profile: its path must name a "
                      "value inside it, like Wallet.Coins");
    expect_text_error(EDIT("{remove: {path: ''}}"), 5, 40,
                      "this 'remove' step would change the whole profile");
    expect_text_error(EDIT("{set: {path: a, value: {1: a, x: b}}}"), 5, 40,
                      "this 'set' step is refused: a table that mixes array and map parts is "
                      "not storable");
    expect_text_error(EDIT("{set: {path: a, value: {1: a, 3: b}}}"), 5, 40,
                      "this 'set' step is refused: an array with holes");
    /* the second step of the list is the one reported */
    expect_text_error(EDIT("{set: {path: a, value: 1}}, {add: {path: b, value: -.inf}}"), 5, 68,
                      "this 'add' step is refused");
    /* shapes */
    expect_text_error(EDIT("1"), 5, 40,
                      "expected a step (a mapping with one of set, add, insert, remove, require, "
                      "like {set: {path: Level, value: 1}}), found an integer '1'");
    expect_text_error(EDIT("{}"), 5, 40,
                      "no kind in the step at line 5: expected one of set, add, insert, remove, "
                      "require");
    expect_text_error(EDIT("{set: {path: a, value: 1}, add: {path: a, value: 1}}"), 5, 67,
                      "two kinds in one step, 'set' and 'add': a step has exactly one of set, "
                      "add, insert, remove, require");
    expect_text_error(EDIT("{joni: {path: a}}"), 5, 41,
                      "unknown step kind 'joni' (expected one of set, add, insert, remove, "
                      "require)");
    expect_text_error(EDIT("{set: 1}"), 5, 46,
                      "expected a mapping for 'set' (like set: {path: Level, value: 1}), found "
                      "an integer '1'");
    expect_text_error(EDIT("{set: {path: a}}"), 5, 46, "missing required key 'value' in 'set'");
    expect_text_error(EDIT("{insert: {value: 1}}"), 5, 49,
                      "missing required key 'path' in 'insert'");
    expect_text_error(EDIT("{remove: {path: a, value: 1}}"), 5, 59,
                      "unknown key 'value' (expected one of path)");
    expect_text_error(EDIT("{add: {path: a, value: '1'}}"), 5, 63,
                      "expected a number for 'value', found a string '1'");
    expect_text_error(EDIT("{insert: {path: a, value: 1, index: 0}}"), 5, 76,
                      "expected an integer from 1 to 9007199254740992 for 'index', found 0");
    expect_text_error(EDIT("{set: {path: a..b, value: 1}}"), 5, 53, "malformed path 'a..b'");
    expect_text_error(EDIT("{set: {path: ~, value: 1}}"), 5, 53,
                      "expected a path like Wallet.Coins for 'path', found null '~' (\"\" is the "
                      "whole profile)");
    /* conditions */
    expect_text_error(EDIT("{require: {path: a, exists: false}}"), 5, 68,
                      "expected 'true' for 'exists' (to require that nothing is there, use "
                      "'absent: true'), found a boolean 'false'");
    expect_text_error(EDIT("{require: {path: a, absent: 1}}"), 5, 68,
                      "expected 'true' for 'absent' (to require that something is there, use "
                      "'exists: true')");
    expect_text_error(EDIT("{require: {path: a, at_most: [1]}}"), 5, 69,
                      "expected a number for 'at_most', found a sequence");
    expect_text_error(EDIT("{require: {path: a, type: bool}}"), 5, 66,
                      "unknown type 'bool' for 'type' (did you mean 'boolean'? the types are nil, "
                      "boolean, number, string, array and map)");
    expect_text_error(EDIT("{require: {path: a, type: strng}}"), 5, 66,
                      "unknown type 'strng' for 'type' (did you mean 'string'?)");
    expect_text_error(EDIT("{require: {path: a, type: widget}}"), 5, 66,
                      "unknown type 'widget' for 'type' (expected one of nil, boolean, number, "
                      "string, array, map)");
    expect_text_error(EDIT("{require: {path: a, exists: true, absent: true}}"), 5, 74,
                      "two conditions in one require, 'exists' and 'absent'");
    /* `from` is refused wherever there is no payload, at the key */
    expect_text_error(EDIT("{set: {path: a, from: X}}"), 5, 56,
                      "'from' takes the operand from a payload, but an edit has no payload "
                      "(only operation handlers are given one): write the operand itself, like "
                      "value: 10");
    expect_text_error(EDIT("{require: {path: a, at_most: {from: Cap}}}"), 5, 70,
                      "but an edit has no payload (only operation handlers are given one): write "
                      "the operand itself, like at_most: 0");
    expect_text_error(EDIT("{require: {path: a, equals: {from: X}}}"), 5, 69,
                      "like equals: 5 (to compare with a map whose only key is 'from', tag it: "
                      "equals: !!map {from: ...})");
    expect_text_error(HEAD "script:\n  - {at: 1s, repair: {server: 1, player: 1, steps: "
                           "[{insert: {path: a, from: ''}}]}}\n",
                      5, 72, "but a repair has no payload");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  schema: 2\n  migrations:\n    - {from: 1, steps: [{add: {path: a, "
                      "from: X}}]}\n",
                      9, 41, "but a migration has no payload");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  validators:\n    - steps: [{require: {path: a, equals: {from: X}}}]\n",
                      8, 44, "but a validator has no payload");
    expect_text_error(EDIT("{set: {path: a, valeu: 1}}"), 5, 56,
                      "unknown key 'valeu' (did you mean 'value'?)");
#undef EDIT
}

static void test_engine_errors(void **state)
{
    (void)state;
#define STORE(keys) "name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n" keys
    /* the brief's cases */
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: [{sett: {path: a, "
                           "value: 1}}]}}\n",
                      5, 41, "unknown step kind 'sett' (did you mean 'set'?)");
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: [{require: {path: a, "
                           "at_least: 0, at_most: 5}}]}}\n",
                      5, 73,
                      "two conditions in one require, 'at_least' and 'at_most': a require tests "
                      "exactly one of exists, absent, equals, at_least, at_most, type");
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: [{require: {path: "
                           "a}}]}}\n",
                      5, 50,
                      "no condition in 'require': give exactly one of exists: true, absent: "
                      "true, equals, at_least, at_most or type");
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: [{add: {path: a, "
                           "from: Amount}}]}}\n",
                      5, 56,
                      "'from' takes the operand from a payload, but an edit has no payload");
    expect_text_error(STORE("  validators:\n    - name: v\n      steps:\n"
                            "        - {require: {path: a, exists: true}}\n"
                            "        - {set: {path: a, value: 1}}\n"),
                      11, 11,
                      "validator 1 (v): step 2 (set a 1) is not a require: a validator may only "
                      "test the data, never change it");
    expect_text_error(STORE("  validators:\n    - {steps: []}\n    - {steps: [{remove: {path: "
                            "a}}]}\n"),
                      9, 16, "validator 2: step 1 (remove a) is not a require");
    expect_text_error(STORE("  schema: 4\n  migrations:\n    - {from: 1, steps: []}\n"
                            "    - {from: 3, steps: []}\n"),
                      8, 3,
                      "the chain has a gap: no migration from schema 2 to 3, so a profile at "
                      "schema 1 could never load; the store's schema is 4");
    expect_text_error(STORE("  retry: {base: 2s, max: 1s}\n"), 7, 10,
                      "invalid retry policy: max must be at least base (with the engine's "
                      "defaults for what is not given, it is {base: 2s, max: 1s, attempts: 0, "
                      "closing_max: 1s, closing_attempts: 0})");
    expect_text_error(HEAD "script:\n  - {at: 1s, wait: {player: 1, timeout: 1s, error: "
                           "lease_hold}}\n",
                      5, 52, "unknown error 'lease_hold' for 'error' (did you mean 'lease_held'?)");
    expect_text_error(HEAD "script:\n  - {at: 1s, wait: {player: 1}}\n", 5, 20,
                      "missing required key 'timeout' in 'wait'");
    expect_text_error("name: t\nduration: 10s\nscript:\n  - {at: 1s, purchase: {player: 1, id: "
                      "P-1, product: 9}}\nstore: {name: S, template: {}, products: [{id: 7, "
                      "path: a, add: 1}, {id: 8, path: b, add: 1}]}\n",
                      4, 54, "product 9 is not declared (the declared products are 7, 8)");
    expect_text_error(HEAD "script:\n  - {at: 1s, purchase: {player: 1, id: P-1, product: "
                           "7}}\n",
                      5, 54,
                      "product 7 is not declared (the store declares no products: list them "
                      "under 'products' in 'store', like {id: 7, path: Wallet.Gems, add: 100})");
    expect_text_error("name: t\nduration: 10s\nstore: {name: S, template: {}, products: [{id: 7, "
                      "path: a, add: 1}]}\nscript:\n"
                      "  - {at: 3s, purchase: {player: 1, id: P-1, product: 7}}\n"
                      "  - {at: 2s, purchase: {player: 1, id: P-2, product: 7}}\n"
                      "  - {at: 1s, purchase: {player: 2, id: P-1, product: 7}}\n"
                      "  - {at: 1s, purchase: {player: 2, id: P-2, product: 7}}\n",
                      7, 40,
                      "duplicate purchase id 'P-1' (first at line 5, column 40): every purchase "
                      "has its own id");
    expect_text_error(STORE("  products:\n    - {id: 7, path: a, add: 1}\n"
                            "    - {id: 8, path: b, add: 1}\n    - {id: 7, path: c, add: 2}\n"),
                      10, 12, "duplicate product id 7 (first at line 8, column 12)");

    /* the store's settings */
    expect_text_error(STORE("  schema: 0\n"), 7, 11,
                      "expected an integer from 1 to 9007199254740992 for 'schema', found 0");
    expect_text_error(STORE("  autosave: 0s\n"), 7, 13,
                      "'autosave' must be longer than 0 (leave it out for the engine's default, "
                      "30s)");
    expect_text_error(STORE("  lease: 90\n"), 7, 10,
                      "expected a duration with a unit, like 5s, 250ms or 2m, for 'lease'; found "
                      "the bare number '90'");
    expect_text_error(STORE("  lease: 0ms\n"), 7, 10, "the engine's default, 90s");
    expect_text_error(STORE("  reconcile: yes\n"), 7, 14,
                      "expected true or false for 'reconcile', found a string 'yes'");
    expect_text_error(STORE("  shema: 2\n"), 7, 3, "unknown key 'shema' (did you mean 'schema'?)");
    expect_text_error(HEAD "servers: [{id: 1, schema: 0}]\nscript: []\n", 4, 27,
                      "expected an integer from 1 to 9007199254740992 for 'schema', found 0");
    /* retry */
    expect_text_error(STORE("  retry: {base: 1s, maximum: 2s}\n"), 7, 21,
                      "unknown key 'maximum' (expected one of base, max, attempts, closing_max, "
                      "closing_attempts)");
    expect_text_error(STORE("  retry: {base: 0s}\n"), 7, 17,
                      "'base' must be longer than 0 (leave it out for the engine's default, "
                      "500ms)");
    expect_text_error(STORE("  retry: {closing_max: 0s}\n"), 7, 24, "the engine's default, 1s)");
    expect_text_error(STORE("  retry: {attempts: -1}\n"), 7, 21,
                      "expected an integer from 0 to 2147483647 for 'attempts', found -1");
    expect_text_error(STORE("  retry: {closing_attempts: 2147483648}\n"), 7, 29,
                      "for 'closing_attempts', found 2147483648");
    /* a base above the default max: the message shows the default */
    expect_text_error(STORE("  retry: {base: 40s}\n"), 7, 10,
                      "invalid retry policy: max must be at least base (with the engine's "
                      "defaults for what is not given, it is {base: 40s, max: 30s, attempts: 0, "
                      "closing_max: 1s, closing_attempts: 0})");
    expect_text_error(STORE("  retry: [1s]\n"), 7, 10,
                      "expected a mapping for 'retry' (like {base: 500ms, max: 30s}), found a "
                      "sequence");
    /* migrations */
    expect_text_error(STORE("  migrations:\n    - {from: 1, steps: []}\n"), 7, 3,
                      "migration 1 -> 2 goes beyond the current schema 1: it would never run "
                      "(was the schema not raised?); the store gives no 'schema', so it is the "
                      "engine's default, 1");
    expect_text_error(STORE("  migrations:\n    - {from: 2, name: gems, steps: []}\n  schema: 2\n"),
                      7, 3,
                      "migration 2 -> 3 (gems) goes beyond the current schema 2: it would never "
                      "run (was the schema not raised?); the store's schema is 2");
    expect_text_error(STORE("  schema: 3\n  migrations:\n    - {from: 1, steps: []}\n"
                            "    - {from: 2, steps: []}\n"
                            "    - {from: 1, name: again, steps: []}\n"),
                      11, 14,
                      "a second migration from schema 1 (the first is at line 9, column 14): each "
                      "version has one migration to the next");
    expect_text_error(STORE("  schema: 2\n  migrations:\n    - {from: 0, steps: []}\n"), 9, 14,
                      "expected an integer from 1 to 9007199254740992 for 'from', found 0");
    expect_text_error(STORE("  schema: 2\n  migrations:\n    - {from: 1}\n"), 9, 7,
                      "missing required key 'steps' in the migration at line 9");
    expect_text_error(STORE("  schema: 2\n  migrations:\n    - {from: 1, name: '', steps: []}\n"),
                      9, 23, "'name' must not be empty");
    expect_text_error(STORE("  migrations: {from: 1}\n"), 7, 15,
                      "expected a sequence for 'migrations' (write migrations: [] for none)");
    expect_text_error(STORE("  schema: 2\n  migrations: [1]\n"), 8, 16,
                      "expected a migration (a mapping like {from: 1, steps: [...]}), found an "
                      "integer '1'");
    /* validators and products */
    expect_text_error(STORE("  validators:\n    - {name: v}\n"), 8, 7,
                      "missing required key 'steps' in the validator at line 8");
    expect_text_error(STORE("  validators: [coins]\n"), 7, 16,
                      "expected a validator (a mapping like {name: coins, steps: [{require: "
                      "{path: Coins, at_least: 0}}]}), found a string 'coins'");
    expect_text_error(STORE("  products:\n    - {id: 7, path: a}\n"), 8, 7,
                      "a product needs 'handler' (the engine's receipt handler runs that operation handler once per purchase) or both 'path' and 'add'");
    expect_text_error(STORE("  products:\n    - {id: 7, path: '', add: 1}\n"), 8, 21,
                      "the path of a product must not be empty: it names the number a purchase "
                      "adds to, like Wallet.Gems");
    expect_text_error(STORE("  products:\n    - {id: 7, path: a, add: .nan}\n"), 8, 29,
                      "expected a finite number for 'add', found '.nan' (NaN and infinities are "
                      "not storable)");
    expect_text_error(STORE("  products:\n    - {id: 7, path: a, add: ten}\n"), 8, 29,
                      "expected a number for 'add', found a string 'ten'");
    expect_text_error(STORE("  products:\n    - {id: 0, path: a, add: 1}\n"), 8, 12,
                      "expected an integer from 1 to 9007199254740992 for 'id', found 0");
    expect_text_error(STORE("  products: [7]\n"), 7, 14,
                      "expected a product (a mapping like {id: 7, path: Wallet.Gems, add: 100}), "
                      "found an integer '7'");
#undef STORE

    /* the new steps */
    expect_text_error(HEAD "script:\n  - {at: 1s, wait: {player: 1, timeout: 0s}}\n", 5, 41,
                      "'timeout' must be longer than 0");
    expect_text_error(HEAD "script:\n  - {at: 1s, wait: {player: 1, timeout: 1s, error: ~}}\n", 5,
                      52, "expected an error name for 'error', found null '~'");
    expect_text_error(HEAD "script:\n  - {at: 1s, wait: {player: 1, timeout: 1s, error: boom}}\n",
                      5, 52,
                      "unknown error 'boom' for 'error' (expected one of none, timeout, "
                      "lease_held, unavailable, schema_too_new, invalid, closed, not_loaded, "
                      "lost)");
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: [], expect: "
                           "canceled}}\n",
                      5, 51, "unknown outcome 'canceled' for 'expect' (did you mean 'cancelled'?)");
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1}}\n", 5, 20,
                      "missing required key 'steps' in 'edit'");
    expect_text_error(HEAD "script:\n  - {at: 1s, edit: {player: 1, steps: {set: {path: a, "
                           "value: 1}}}}\n",
                      5, 39,
                      "expected a sequence of steps for 'steps', like [{add: {path: "
                      "Wallet.Coins, value: 10}}] ([] for none), found a mapping");
    expect_text_error(HEAD "script:\n  - {at: 1s, save: {player: 1, server: 1}}\n", 5, 32,
                      "unknown key 'server' (expected one of player)");
    expect_text_error(HEAD "script:\n  - {at: 1s, purchase: {player: 1, id: '', product: 7}}\n", 5,
                      40, "'id' must not be empty");
    expect_text_error(HEAD "script:\n  - {at: 1s, purchase: {player: 1, id: P, product: 7, "
                           "price: -1}}\n",
                      5, 62,
                      "expected an integer from 0 to 9007199254740992 for 'price', found -1");
    expect_text_error(HEAD "script:\n  - {at: 1s, purchase: {player: 1, id: P, product: 7.5}}\n",
                      5, 52, "expected an integer for 'product', found a number '7.5'");
    expect_text_error(HEAD "script:\n  - {at: 1s, purchase: {player: 1, product: 7}}\n", 5, 24,
                      "missing required key 'id' in 'purchase'");
    expect_text_error(HEAD "script:\n  - {at: 1s, clear_lease: {player: 1}}\n", 5, 27,
                      "missing required key 'server' in 'clear_lease'");
    expect_text_error(HEAD "script:\n  - {at: 1s, clear_lease: {server: 2, player: 1}}\n", 5, 36,
                      "server 2 is not declared (without 'servers' there is one server, id 1)");
    expect_text_error(HEAD "script:\n  - {at: 1s, repair: {server: 1, player: 1}}\n", 5, 22,
                      "missing required key 'steps' in 'repair'");
    expect_text_error(HEAD "script:\n  - {at: 1s, clear_leas: {server: 1, player: 1}}\n", 5, 14,
                      "unknown key 'clear_leas' (did you mean 'clear_lease'?)");
}

/* ---- durable operations: handlers, their settings, deliver and dead_letter ---- */

/* A step of a handler's list whose operand comes from the payload at payload_path. */
static const vs_step *from_step_at(const vs_steps *list, size_t i, vs_step_kind kind,
                                   const char *path, const char *payload_path)
{
    assert_true(i < list->count);
    const vs_step *st = &list->items[i];
    assert_int_equal(st->kind, kind);
    assert_path(&st->path, path);
    assert_true(st->from_payload);
    assert_path(&st->payload_path, payload_path);
    assert_null(st->value);
    return st;
}

static void test_operations_scenario(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/operations.yaml");
    const scenario_store *st = &s->store;
    assert_int_equal(st->op_max_attempts, 3);
    assert_int_equal(st->receipt_keep, 100);

    /* handlers in file order, each with its position and steps */
    assert_int_equal(st->handler_count, 3);
    const scenario_handler *h = &st->handlers[0];
    assert_string_equal(h->name, "grant");
    assert_int_equal(h->pos.line, 29);
    assert_int_equal(h->pos.column, 7);
    assert_int_equal(h->steps.count, 2);
    from_step_at(&h->steps, 0, VS_STEP_ADD, "Wallet.Coins", "Amount");
    assert_require(&h->steps, 1, "Wallet.Coins", VS_REQUIRE_AT_MOST);
    assert_true(h->steps.items[1].number == 1000000);

    h = &st->handlers[1];
    assert_string_equal(h->name, "buy");
    assert_int_equal(h->pos.line, 33);
    assert_int_equal(h->pos.column, 7);
    assert_int_equal(h->steps.count, 6);
    assert_int_equal(from_step_at(&h->steps, 0, VS_STEP_REQUIRE, "Wallet.Coins", "Price")->op,
                     VS_REQUIRE_AT_LEAST);
    assert_int_equal(from_step_at(&h->steps, 1, VS_STEP_INSERT, "Inventory", "Item")->index1, 1);
    from_step_at(&h->steps, 2, VS_STEP_SET, "Flags.Last", ""); /* the whole payload */
    assert_int_equal(from_step_at(&h->steps, 3, VS_STEP_REQUIRE, "Flags.Last.Item", "Item")->op,
                     VS_REQUIRE_EQUALS);
    /* !!map {from: x}: a literal map, even where there is a payload */
    assert_require(&h->steps, 4, "Flags.Mode", VS_REQUIRE_EQUALS);
    assert_string_value(get(h->steps.items[4].value, "from"), "x");
    assert_true(step_at(&h->steps, 5, VS_STEP_ADD, "Wallet.Coins")->number == -1);

    h = &st->handlers[2];
    assert_string_equal(h->name, "noop");
    assert_int_equal(h->pos.line, 41);
    assert_int_equal(h->pos.column, 7);
    assert_int_equal(h->steps.count, 0);

    /* the steps, in time order (the two at 7s in file order) */
    static const struct {
        int64_t at_us;
        scenario_step_kind kind;
        int server;
        int64_t player;
        const char *id;
        const char *handler;
        bool retry_dead;
        vs_status expect_status;
        int line;
    } want[] = {
        {1000000, STEP_JOIN, 1, 2, NULL, NULL, false, VS_OK, 8},
        {5000000, STEP_DELIVER, 1, 2, "match-7", "grant", false, VS_OK, 9},
        {6000000, STEP_DELIVER, 1, 2, "match-7", "grant", false, VS_ERR_BUSY, 10},
        {7000000, STEP_DELIVER, 2, 3, "shop/\xc3\xbc-1", "buy", false, VS_OK, 11},
        {7000000, STEP_DELIVER, 2, 9, "ghost", "noop", false, VS_ERR_NOT_FOUND, 19},
        {8000000, STEP_DELIVER, 1, 2, "cut", "noop", false, VS_ERR_UNAVAILABLE, 20},
        {9000000, STEP_DEAD_LETTER, 1, 2, "bad-1", NULL, true, VS_OK, 21},
        {10000000, STEP_DEAD_LETTER, 2, 2, "bad-2", NULL, false, VS_OK, 22},
        {11000000, STEP_DEAD_LETTER, 1, 2, "nope", NULL, false, VS_ERR_NOT_FOUND, 23},
        {12000000, STEP_DEAD_LETTER, 1, 4, "bad-3", NULL, true, VS_ERR_UNAVAILABLE, 24},
    };
    assert_int_equal(s->step_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s->step_count; i++) {
        const scenario_step *x = &s->steps[i];
        assert_true(x->at_us == want[i].at_us);
        assert_int_equal(x->kind, want[i].kind);
        assert_int_equal(x->server, want[i].server);
        assert_true(x->player == want[i].player);
        if (want[i].id)
            assert_string_equal(x->text, want[i].id);
        else
            assert_null(x->text);
        if (want[i].handler)
            assert_string_equal(x->key, want[i].handler);
        else
            assert_null(x->key);
        assert_int_equal(x->retry_dead, want[i].retry_dead);
        assert_int_equal(x->expect_status, want[i].expect_status);
        assert_int_equal(x->pos.line, want[i].line);
        assert_int_equal(x->pos.column, 5);
        assert_int_equal(x->path.count, 0);
        assert_int_equal(x->edit.count, 0);
        assert_null(x->topic);
        assert_null(x->store);
        assert_false(x->expect_cancel);
        if (x->kind != STEP_DELIVER)
            assert_null(x->value);
    }
    /* the payloads: any value, or none */
    const vs_value *p = s->steps[1].value;
    assert_int_equal(vs_type_of(p), VS_MAP);
    assert_int_equal(vs_map_len(p), 1);
    assert_number_value(get(p, "Amount"), 100);
    p = s->steps[2].value;
    assert_int_equal(vs_map_len(p), 1);
    assert_number_value(get(p, "Amount"), 100);
    p = s->steps[3].value;
    assert_int_equal(vs_map_len(p), 3);
    assert_number_value(get(p, "Price"), 25);
    assert_string_value(get(get(p, "Item"), "Id"), "sword");
    assert_int_equal(vs_array_len(get(p, "Tags")), 2);
    assert_string_value(vs_array_at(get(p, "Tags"), 0), "new");
    assert_string_value(vs_array_at(get(p, "Tags"), 1), "rare");
    assert_null(s->steps[4].value);
    assert_number_value(s->steps[5].value, 5);
    scenario_free(s);
}

/* Without the new keys: no handlers, and zeros (the engine's defaults). */
static void test_operations_defaults(void **state)
{
    (void)state;
    scenario *s = load_ok_text(HEAD "script: []\n");
    assert_int_equal(s->store.handler_count, 0);
    assert_null(s->store.handlers);
    assert_int_equal(s->store.op_max_attempts, 0);
    assert_int_equal(s->store.receipt_keep, 0);
    scenario_free(s);

    /* an empty list; the largest settings; an id of exactly 100 bytes; a nil payload; a
     * handler name of 63 bytes, used in a block-style deliver with an anchored payload */
    char text[2048];
    char id[101], name[64];
    memset(id, 'i', 100);
    id[100] = '\0';
    memset(name, 'n', 63);
    name[63] = '\0';
    snprintf(text, sizeof text,
             "name: t\nduration: 10s\nstore:\n  name: S\n  template: {}\n  handlers: []\n"
             "  op_max_attempts: 2147483647\n  receipt_keep: 1\n"
             "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: %s, action: drop}}\n",
             id);
    s = load_ok_text(text);
    assert_int_equal(s->store.handler_count, 0);
    assert_int_equal(s->store.op_max_attempts, 2147483647);
    assert_int_equal(s->store.receipt_keep, 1);
    assert_string_equal(s->steps[0].text, id);
    assert_false(s->steps[0].retry_dead);
    assert_int_equal(s->steps[0].expect_status, VS_OK);
    scenario_free(s);

    snprintf(text, sizeof text,
             "name: t\nduration: 10s\nstore:\n  name: S\n  template: {}\n"
             "  handlers: [{name: %s, steps: [{add: {path: a, from: b.1}}]}]\n"
             "script:\n  - at: 1s\n    deliver:\n      server: 1\n      player: 5\n"
             "      id: '42'\n      handler: %s\n      payload: ~\n"
             "  - {at: 2s, deliver: {server: 1, player: 5, id: x, handler: %s, payload: &p {b: "
             "[1]}}}\n  - {at: 3s, deliver: {server: 1, player: 5, id: y, handler: %s, payload: "
             "*p}}\n",
             name, name, name, name);
    s = load_ok_text(text);
    assert_string_equal(s->store.handlers[0].name, name);
    from_step_at(&s->store.handlers[0].steps, 0, VS_STEP_ADD, "a", "b.1");
    assert_string_equal(s->steps[0].text, "42"); /* a quoted number is an id */
    assert_string_equal(s->steps[0].key, name);
    assert_int_equal(vs_type_of(s->steps[0].value), VS_NIL);
    assert_int_equal(s->steps[0].expect_status, VS_OK);
    assert_int_equal(vs_array_len(get(s->steps[1].value, "b")), 1);
    assert_int_equal(vs_array_len(get(s->steps[2].value, "b")), 1);
    assert_true(s->steps[1].value != s->steps[2].value); /* an alias is a copy */
    scenario_free(s);
}

static void test_operation_errors(void **state)
{
    (void)state;
#define OPS "name: t\nduration: 10s\nstore:\n  name: S\n  template: {}\n  handlers:\n" \
            "    - {name: grant, steps: []}\n    - {name: refund, steps: []}\nscript:\n"
#define DELIVER(args) OPS "  - {at: 1s, deliver: {server: 1, player: 1, id: a, " args "}}\n"
#define DEAD(args) OPS "  - {at: 1s, dead_letter: {server: 1, player: 1, id: a, " args "}}\n"
    /* the brief's cases: an undeclared handler (with a suggestion when one is near) */
    expect_text_error(DELIVER("handler: bonus"), 10, 62,
                      "handler 'bonus' is not declared (the declared handlers are grant, "
                      "refund)");
    expect_text_error(DELIVER("handler: grnat"), 10, 62,
                      "handler 'grnat' is not declared (did you mean 'grant'? the declared "
                      "handlers are grant, refund)");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: a, "
                           "handler: grant}}\n",
                      5, 62,
                      "handler 'grant' is not declared (the store declares no handlers: list "
                      "them under 'handlers' in 'store', like {name: grant, steps: [{add: {path: "
                      "Wallet.Coins, from: Amount}}]})");
    /* ... checked at the end, so `store` may come after `script`; reported at the step */
    expect_text_error("name: t\nduration: 10s\nscript:\n"
                      "  - {at: 1s, deliver: {server: 1, player: 1, id: a, handler: grant}}\n"
                      "  - {at: 2s, deliver: {server: 1, player: 1, id: b, handler: refnd}}\n"
                      "store: {name: S, template: {}, handlers: [{name: grant, steps: []}]}\n",
                      5, 62,
                      "handler 'refnd' is not declared (the only declared handler is grant)");
    /* a duplicate handler name, at the second */
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  handlers:\n    - {name: grant, steps: []}\n    - {name: refund, steps: "
                      "[]}\n    - name: grant\n      steps: []\n",
                      10, 13, "duplicate handler name 'grant' (first at line 8, column 14)");
    /* an unknown action, an unknown outcome */
    expect_text_error(DEAD("action: retyr"), 10, 65,
                      "unknown action 'retyr' for 'action' (did you mean 'retry'?)");
    expect_text_error(DEAD("action: keep"), 10, 65,
                      "unknown action 'keep' for 'action' (expected one of retry, drop)");
    expect_text_error(DELIVER("handler: grant, outcome: duplicat"), 10, 78,
                      "unknown outcome 'duplicat' for 'outcome' (did you mean 'duplicate'?)");
    expect_text_error(DEAD("action: drop, outcome: not_fond"), 10, 80,
                      "unknown outcome 'not_fond' for 'outcome' (did you mean 'not_found'?)");
    /* each step has its own outcomes: a dead_letter is done, a delivery accepted */
    expect_text_error(DELIVER("handler: grant, outcome: done"), 10, 78,
                      "unknown outcome 'done' for 'outcome' (expected one of accepted, duplicate, "
                      "not_found, unavailable)");
    expect_text_error(DEAD("action: drop, outcome: accepted"), 10, 80,
                      "unknown outcome 'accepted' for 'outcome' (expected one of done, not_found, "
                      "unavailable)");
    expect_text_error(DEAD("action: drop, outcome: duplicate"), 10, 80,
                      "unknown outcome 'duplicate' for 'outcome' (expected one of done, "
                      "not_found, unavailable)");
    /* `from` is still refused outside handlers */
    expect_text_error(OPS "  - {at: 1s, edit: {player: 1, steps: [{add: {path: a, from: "
                          "Amount}}]}}\n",
                      10, 56,
                      "'from' takes the operand from a payload, but an edit has no payload (only "
                      "operation handlers are given one): write the operand itself, like value: "
                      "10");
    expect_text_error(OPS "  - {at: 1s, repair: {server: 1, player: 1, steps: [{require: {path: a, "
                          "at_least: {from: P}}}]}}\n",
                      10, 84, "but a repair has no payload");
    /* op_max_attempts 0, and the other wrong settings */
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  op_max_attempts: 0\n",
                      7, 20,
                      "'op_max_attempts' must be at least 1 (leave it out for the engine's "
                      "default, 5)");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  receipt_keep: 0\n",
                      7, 17,
                      "'receipt_keep' must be at least 1 (leave it out for the engine's default, "
                      "1000)");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  op_max_attempts: -2\n",
                      7, 20,
                      "expected an integer from 1 to 2147483647 for 'op_max_attempts', found -2");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  receipt_keep: 2147483648\n",
                      7, 17,
                      "expected an integer from 1 to 2147483647 for 'receipt_keep', found "
                      "2147483648");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  op_max_attempts: '3'\n",
                      7, 20, "expected an integer for 'op_max_attempts', found a string '3'");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
                      "  receipt_kept: 5\n",
                      7, 3, "unknown key 'receipt_kept' (did you mean 'receipt_keep'?)");
#undef DEAD
#undef DELIVER
#undef OPS
}

/* The shapes of handlers, deliveries and dead letters, and what a handler's steps accept. */
static void test_operation_shapes(void **state)
{
    (void)state;
#define STORE(keys) "name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n" keys
#define HANDLER(steps) STORE("  handlers:\n    - {name: h, steps: [" steps "]}\n")
    /* handlers */
    expect_text_error(STORE("  handlers: {name: grant}\n"), 7, 13,
                      "expected a sequence for 'handlers' (write handlers: [] for none), found a "
                      "mapping");
    expect_text_error(STORE("  handlers: [grant]\n"), 7, 14,
                      "expected a handler (a mapping like {name: grant, steps: [{add: {path: "
                      "Wallet.Coins, from: Amount}}]}), found a string 'grant'");
    expect_text_error(STORE("  handlers:\n    - {steps: []}\n"), 8, 7,
                      "missing required key 'name' in the handler at line 8");
    expect_text_error(STORE("  handlers:\n    - {name: grant}\n"), 8, 7,
                      "missing required key 'steps' in the handler at line 8");
    expect_text_error(STORE("  handlers:\n    - {name: '', steps: []}\n"), 8, 14,
                      "'name' must not be empty");
    expect_text_error(STORE("  handlers:\n    - {name: grant, stpes: []}\n"), 8, 21,
                      "unknown key 'stpes' (did you mean 'steps'?)");
    expect_text_error(STORE("  handlers:\n    - {name: grant, steps: {add: {path: a, from: "
                            "b}}}\n"),
                      8, 28, "expected a sequence of steps for 'steps'");
    expect_text_error(STORE("  handlers:\n    - {name: "
                            "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn, "
                            "steps: []}\n"),
                      8, 14,
                      "the handler name for 'name' is 64 bytes long; a handler name is at most "
                      "63 bytes");
    /* a handler's steps: `from` or a literal, not both, and one of them */
    expect_text_error(HANDLER("{add: {path: a, from: X, value: 1}}"), 8, 50,
                      "use either 'value' or 'from' in one step, not both");
    expect_text_error(HANDLER("{set: {path: a, value: 1, from: X}}"), 8, 51,
                      "use either 'value' or 'from' in one step, not both");
    expect_text_error(HANDLER("{insert: {path: a, index: 2}}"), 8, 34,
                      "missing 'value' or 'from' in 'insert'");
    expect_text_error(HANDLER("{add: {path: a, from: ~}}"), 8, 47,
                      "expected a path like Wallet.Coins for 'from', found null '~' (a path in "
                      "the payload, like Amount; \"\" for the whole payload)");
    expect_text_error(HANDLER("{add: {path: a, from: x..y}}"), 8, 47, "malformed path 'x..y'");
    expect_text_error(HANDLER("{require: {path: a, at_least: ten}}"), 8, 55,
                      "expected a number for 'at_least' (or {from: <payload path>}), found a "
                      "string 'ten'");
    expect_text_error(HANDLER("{set: {path: '', from: X}}"), 8, 25,
                      "this 'set' step would change the whole profile");
    /* deliver */
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: a}}\n", 5,
                      23, "missing required key 'handler' in 'deliver'");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {player: 1, id: a, handler: h}}\n", 5,
                      23, "missing required key 'server' in 'deliver'");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, id: a, handler: h}}\n", 5,
                      23, "missing required key 'player' in 'deliver'");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, handler: h}}\n",
                      5, 23, "missing required key 'id' in 'deliver'");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: a, handler: "
                           "h, payload: 1, paylod: 2}}\n",
                      5, 77, "unknown key 'paylod' (did you mean 'payload'?)");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 0, id: a, handler: "
                           "h}}\n",
                      5, 43, "expected an integer >= 1 for 'player', found 0");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 3, player: 1, id: a, handler: "
                           "h}}\n",
                      5, 32, "server 3 is not declared (without 'servers' there is one server, "
                             "id 1)");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: '', "
                           "handler: h}}\n",
                      5, 50, "'id' must not be empty");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: ~, "
                           "handler: h}}\n",
                      5, 50, "expected an operation id for 'id', found null '~'");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: [a], "
                           "handler: h}}\n",
                      5, 50, "expected an operation id for 'id', found a sequence");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: {server: 1, player: 1, id: a, "
                           "handler: ''}}\n",
                      5, 62, "'handler' must not be empty");
    expect_text_error(HEAD "script:\n  - {at: 1s, deliver: [1]}\n", 5, 23,
                      "expected a mapping for 'deliver' (like deliver: {server: 1, player: 1, id: "
                      "op-1, handler: grant}), found a sequence");
    expect_text_error(HEAD "script:\n  - {at: 1s, delivr: {}}\n", 5, 14,
                      "unknown key 'delivr' (did you mean 'deliver'?)");
    /* an id of 101 bytes; 100 bytes of 'é' are 50 characters but 100 bytes, and fine */
    {
        char text[1024], id[256];
        memset(id, 'i', 101);
        id[101] = '\0';
        snprintf(text, sizeof text,
                 HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: %s, action: "
                      "retry}}\n",
                 id);
        expect_text_error(text, 5, 54,
                          "the operation id for 'id' is 101 bytes long; an operation id is at "
                          "most 100 bytes");
        for (size_t i = 0; i < 51; i++)
            memcpy(id + 2 * i, "\xc3\xa9", 2);
        id[102] = '\0';
        snprintf(text, sizeof text,
                 HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: %s, action: "
                      "retry}}\n",
                 id);
        expect_text_error(text, 5, 54, "the operation id for 'id' is 102 bytes long");
        id[100] = '\0';
        snprintf(text, sizeof text,
                 HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: %s, action: "
                      "retry}}\n",
                 id);
        scenario *s = load_ok_text(text);
        assert_int_equal(strlen(s->steps[0].text), 100);
        assert_true(s->steps[0].retry_dead);
        scenario_free(s);
    }
    /* a payload the store could never hold */
#define PAY(payload) "name: t\nduration: 10s\nstore: {name: S, template: {}, handlers: [{name: " \
                     "h, steps: []}]}\nscript:\n  - {at: 1s, deliver: {server: 1, player: 1, id: " \
                     "a, handler: h, payload: " payload "}}\n"
    expect_text_error(PAY("{Amount: .nan}"), 5, 74,
                      "this payload is refused: NaN and infinities are not storable (at Amount): "
                      "an operation is stored with its payload");
    expect_text_error(PAY("-.inf"), 5, 74,
                      "this payload is refused: NaN and infinities are not storable: an operation "
                      "is stored with its payload");
    expect_text_error(PAY("{a: {1: x, k: y}}"), 5, 74,
                      "this payload is refused: a table that mixes array and map parts is not "
                      "storable (at a)");
    expect_text_error(PAY("[{b: {1: x, 3: y}}]"), 5, 74, "an array with holes");
    expect_text_error(PAY("{1: [.inf]}"), 5, 74, "(at 1.1)");
    /* dead_letter */
    expect_text_error(HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: a}}\n",
                      5, 27, "missing required key 'action' in 'dead_letter'");
    expect_text_error(HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: a, "
                           "action: drop, handler: h}}\n",
                      5, 71,
                      "unknown key 'handler' (expected one of server, player, id, action, "
                      "outcome)");
    /* `action: true` is the string 'true' (any scalar but null is a name) */
    expect_text_error(HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: a, "
                           "action: true}}\n",
                      5, 65,
                      "unknown action 'true' for 'action' (expected one of retry, drop)");
    expect_text_error(HEAD "script:\n  - {at: 1s, dead_letter: {server: 1, player: 1, id: a, "
                           "action: drop, outcome: ~}}\n",
                      5, 80, "expected an outcome name for 'outcome', found null '~'");
#undef PAY
#undef HANDLER
#undef STORE
}

/* vs_migrations_check is quadratic in the number of migrations: a store has at most 10000. */
/* ---- what a client sees, the leaderboard, and the helpers ---- */

static void test_helpers_scenario(void **state)
{
    (void)state;
    scenario *s = load_ok_file("good/helpers.yaml");
    const scenario_store *st = &s->store;
    /* normalised: sorted, the repeat and the path under Wallet.Coins gone */
    assert_int_equal(st->public_paths.count, 2);
    assert_path(&st->public_paths.paths[0], "Profile");
    assert_path(&st->public_paths.paths[1], "Wallet.Coins");
    assert_string_equal(st->leaderboard_store, "Wins");
    assert_path(&st->leaderboard_path, "Stats.Wins");

    static const struct {
        int64_t at_us;
        scenario_step_kind kind;
        int64_t player;
        int server;
        const char *path;
        const char *text;
        int64_t timeout_us;
        int64_t amount;
        size_t index;
        size_t page_size;
        bool expect_cancel;
        int line;
    } want[] = {
        {1000000, STEP_CLIENT_CHECK, 2, 0, "Profile.Hidden", NULL, 0, 0, 0, 0, false, 14},
        {2000000, STEP_CLIENT_CHECK, 3, 0, "", NULL, 0, 0, 0, 0, false, 15},
        {3000000, STEP_LEADERBOARD_CHECK, 0, 2, "", NULL, 0, 0, 0, 3, false, 16},
        {3000000, STEP_LEADERBOARD_CHECK, 0, 1, "", NULL, 0, 0, 0, 100, false, 17},
        {4000000, STEP_COOLDOWN, 1, 0, "Cooldowns", "dash", 30000000, 0, 0, 0, false, 18},
        {5000000, STEP_COOLDOWN, 4, 0, "State.Cd", "42", 250000, 0, 0, 0, true, 25},
        {6000000, STEP_DAILY, 1, 0, "Daily", NULL, 0, 7, 2, 0, false, 26},
        {7000000, STEP_DAILY, 5, 0, "Rewards.Daily", NULL, 0, 1, 0, 0, true, 27},
        {8000000, STEP_EFFECT_ADD, 1, 0, "Effects", "speed", 60000000, 0, 0, 0, false, 28},
        {9000000, STEP_CLIENT_CHECK, 1, 0, "Wallet.Coins", NULL, 0, 0, 0, 0, false, 13},
        {10000000, STEP_EFFECT_CHECK, 1, 0, "Effects", "speed", 0, 0, 0, 0, false, 29},
        {11000000, STEP_EFFECT_CHECK, 6, 0, "Buffs.Timed", "sp\xc3\xa9" "ed", 0, 0, 0, 0, true,
         30},
    };
    assert_int_equal(s->step_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s->step_count; i++) {
        const scenario_step *x = &s->steps[i];
        assert_true(x->at_us == want[i].at_us);
        assert_int_equal(x->kind, want[i].kind);
        assert_true(x->player == want[i].player);
        assert_int_equal(x->server, want[i].server);
        assert_path(&x->path, want[i].path);
        if (want[i].text)
            assert_string_equal(x->text, want[i].text);
        else
            assert_null(x->text);
        assert_true(x->timeout_us == want[i].timeout_us);
        assert_true(x->amount == want[i].amount);
        assert_int_equal(x->index, want[i].index);
        assert_int_equal(x->page_size, want[i].page_size);
        assert_int_equal(x->expect_cancel, want[i].expect_cancel);
        assert_int_equal(x->pos.line, want[i].line);
        assert_int_equal(x->pos.column, 5);
        assert_null(x->topic);
        assert_null(x->store);
        assert_null(x->key);
        assert_false(x->ascending);
        assert_int_equal(x->expect_status, VS_OK);
        assert_int_equal(x->edit.count, 0);
        bool has_value = x->kind == STEP_LEADERBOARD_CHECK ||
                         (x->kind == STEP_CLIENT_CHECK && x->player != 2);
        if (!has_value)
            assert_null(x->value);
    }
    /* client_check: absent is NULL; equals any value, also for the whole replica */
    const vs_value *v = s->steps[1].value;
    assert_int_equal(vs_type_of(v), VS_MAP);
    assert_int_equal(vs_map_len(v), 1);
    assert_number_value(get(get(v, "Wallet"), "Coins"), 5);
    assert_number_value(s->steps[9].value, 10);
    /* leaderboard_check: [player, value] pairs as arrays of two numbers, in order */
    v = s->steps[2].value;
    assert_int_equal(vs_type_of(v), VS_ARRAY);
    assert_int_equal(vs_array_len(v), 2);
    assert_int_equal(vs_array_len(vs_array_at(v, 0)), 2);
    assert_number_value(vs_array_at(vs_array_at(v, 0), 0), 1);
    assert_number_value(vs_array_at(vs_array_at(v, 0), 1), 10);
    assert_int_equal(vs_array_len(vs_array_at(v, 1)), 2);
    assert_number_value(vs_array_at(vs_array_at(v, 1), 0), 2);
    assert_number_value(vs_array_at(vs_array_at(v, 1), 1), -7);
    v = s->steps[3].value;
    assert_int_equal(vs_type_of(v), VS_ARRAY);
    assert_int_equal(vs_array_len(v), 0);
    scenario_free(s);
}

/* Without the new keys: nothing public, no leaderboard; "" publishes the whole profile. */
static void test_helpers_defaults(void **state)
{
    (void)state;
    scenario *s = load_ok_text(HEAD "script: []\n");
    assert_int_equal(s->store.public_paths.count, 0);
    assert_null(s->store.leaderboard_store);
    assert_int_equal(s->store.leaderboard_path.count, 0);
    scenario_free(s);
    s = load_ok_text("name: t\nduration: 10s\nstore: {name: S, template: {}, public: [a.b, \"\", "
                     "c]}\nscript:\n  - {at: 1s, daily: {player: 1, path: D, max_streak: 3, "
                     "expect: {streak: 3, claimed: true}}}\n");
    assert_int_equal(s->store.public_paths.count, 1);
    assert_int_equal(s->store.public_paths.paths[0].count, 0);
    assert_true(s->steps[0].amount == 3);
    assert_int_equal(s->steps[0].index, 3);
    assert_false(s->steps[0].expect_cancel);
    scenario_free(s);
}

static void test_helper_errors(void **state)
{
    (void)state;
#define STEP(action) HEAD "script:\n  - {at: 1s, " action "}\n"
#define LB "name: t\nduration: 10s\nstore: {name: S, template: {}, leaderboard: {store: W, " \
           "path: a}}\nscript:\n"
    /* the brief's cases: a leaderboard_check without store.leaderboard (checked at the end,
     * reported at the action's key) */
    expect_text_error(STEP("leaderboard_check: {server: 1, top: 3, equals: [[1, 10]]}"), 5, 14,
                      "'leaderboard_check' reads the store's leaderboard, but the store has "
                      "none: add one to 'store', like leaderboard: {store: Wins, path: "
                      "Stats.Wins}");
    /* ... a daily claimed without a streak, at the expect mapping */
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7, expect: {claimed: "
                           "true}}"),
                      5, 65, "missing 'streak' in 'expect': a claimed daily reward makes a "
                             "streak, like {claimed: true, streak: 1}");
    /* ... top 0 */
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 0, equals: []}}\n", 5,
                      50, "expected an integer from 1 to 100 for 'top', found 0");
    /* ... an unknown expect value, with a suggestion */
    expect_text_error(STEP("cooldown: {player: 1, name: d, length: 1s, path: C, expect: "
                           "strated}"),
                      5, 74, "unknown outcome 'strated' for 'expect' (did you mean 'started'?)");
    expect_text_error(STEP("cooldown: {player: 1, name: d, length: 1s, path: C, expect: "
                           "not_redy}"),
                      5, 74,
                      "unknown outcome 'not_redy' for 'expect' (did you mean 'not_ready'?)");
    expect_text_error(STEP("cooldown: {player: 1, name: d, length: 1s, path: C, expect: "
                           "done}"),
                      5, 74,
                      "unknown outcome 'done' for 'expect' (expected one of started, "
                      "not_ready)");
    /* more */
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7, expect: {claimed: "
                           "false, streak: 1}}"),
                      5, 90, "'streak' is only for a claimed reward");
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7, expect: {claimed: "
                           "true, streak: 8}}"),
                      5, 89, "streak 8 is more than max_streak 7");
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 0, expect: {claimed: "
                           "false}}"),
                      5, 54, "expected an integer from 1 to 9007199254740992 for 'max_streak', "
                             "found 0");
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7, expect: claimed}"), 5,
                      65, "expected a mapping for 'expect' (like {claimed: true, streak: 1} or "
                          "{claimed: false}), found a string 'claimed'");
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7, expect: {streak: 1}}"), 5,
                      65, "missing required key 'claimed' in 'expect'");
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7, expect: {claimd: true}}"),
                      5, 66, "unknown key 'claimd' (did you mean 'claimed'?)");
    expect_text_error(STEP("daily: {player: 1, path: D, max_streak: 7}"), 5, 21,
                      "missing required key 'expect' in 'daily'");
    expect_text_error(STEP("effect_add: {player: 1, name: s, duration: 0s, path: E}"), 5, 57,
                      "'duration' must be longer than 0");
    expect_text_error(STEP("cooldown: {player: 1, name: d, length: -1s, path: C, expect: "
                           "started}"),
                      5, 53, "'length'");
    expect_text_error(STEP("effect_add: {player: 1, name: s, duration: 1s, path: \"\"}"), 5, 67,
                      "the path must not be empty: it names the map inside the profile where "
                      "the helper keeps its state, like Cooldowns");
    expect_text_error(STEP("effect_add: {player: 1, name: \"\", duration: 1s, path: E}"), 5, 44,
                      "'name' must not be empty");
    expect_text_error(STEP("effect_check: {player: 1, name: s, path: E, active: yes}"), 5, 66,
                      "expected true or false for 'active', found a string 'yes'");
    expect_text_error(STEP("effect_check: {player: 1, name: s, path: E}"), 5, 28,
                      "missing required key 'active' in 'effect_check'");
    expect_text_error(STEP("efect_check: {player: 1, name: s, path: E, active: true}"), 5, 14,
                      "unknown key 'efect_check' (did you mean 'effect_check'?)");
    /* client_check: exactly one of equals and absent; the whole replica is never absent */
    expect_text_error(STEP("client_check: {player: 1, path: a}"), 5, 28,
                      "missing 'equals' or 'absent: true' in 'client_check'");
    expect_text_error(STEP("client_check: {player: 1, path: a, equals: 1, absent: true}"), 5,
                      68, "use either 'equals' or 'absent: true' in 'client_check', not both");
    expect_text_error(STEP("client_check: {player: 1, path: '', absent: true}"), 5, 58,
                      "the whole replica is never absent");
    expect_text_error(STEP("client_check: {player: 1, path: a..b, equals: 1}"), 5, 46,
                      "malformed path 'a..b'");
    /* leaderboard_check's pairs */
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 1, equals: [[1, 2], "
                         "[2, 1]]}}\n",
                      5, 61, "'equals' lists 2 entries, but this check reads only the top 1");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 5, equals: [[1, 2], "
                         "[1, 1]]}}\n",
                      5, 71, "player 1 is twice in 'equals' (first at line 5, column 63)");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 5, equals: [[0, "
                         "2]]}}\n",
                      5, 63, "expected an integer from 1 to 9007199254740992 for 'player', "
                             "found 0");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 5, equals: [[1, "
                         "2.5]]}}\n",
                      5, 66, "expected an integer for 'equals', found a number '2.5'");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 5, equals: [[1]]}}\n",
                      5, 62, "expected a [player, value] pair in 'equals', found a sequence of 1 "
                             "item");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, top: 5, equals: {a: 1}}}\n",
                      5, 61, "expected a sequence of [player, value] pairs for 'equals'");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 3, top: 5, equals: []}}\n", 5,
                      42, "server 3 is not declared");
    expect_text_error(LB "  - {at: 1s, leaderboard_check: {server: 1, equals: []}}\n", 5, 33,
                      "missing required key 'top' in 'leaderboard_check'");
    /* the store's keys */
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, public: "
                      "[]}\n",
                      4, 40, "'public' lists no path (leave it out when nothing is public)");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, public: "
                      "Wallet}\n",
                      4, 40, "expected a sequence of paths for 'public', like [Wallet.Coins, "
                             "Profile], found a string 'Wallet'");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, public: "
                      "[a, b.]}\n",
                      4, 44, "malformed path 'b.'");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, public: "
                      "[a, [b]]}\n",
                      4, 44, "expected a path like Wallet.Coins for 'public', found a sequence");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, "
                      "leaderboard: {store: W}}\n",
                      4, 45, "missing required key 'path' in 'leaderboard'");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, "
                      "leaderboard: {store: W, path: ''}}\n",
                      4, 62, "the leaderboard's path must not be empty");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, "
                      "leaderboard: {store: '', path: a}}\n",
                      4, 53,
                      "expected an ordered store name of 1 to 50 characters for 'store', found "
                      "0");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, "
                      "leaderboard: Wins}\n",
                      4, 45, "expected a mapping for 'leaderboard' (like {store: Wins, path: "
                             "Stats.Wins}), found a string 'Wins'");
    expect_text_error("name: t\nduration: 10s\nscript: []\nstore: {name: S, template: {}, "
                      "leaderbord: {store: W, path: a}}\n",
                      4, 32, "unknown key 'leaderbord' (did you mean 'leaderboard'?)");
#undef LB
#undef STEP
}

static void test_migration_limit(void **state)
{
    (void)state;
    size_t n = 10001, cap = 64 + n * 40;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, cap, "name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n"
                                           "  template: {}\n  schema: 10002\n  migrations:\n");
    for (size_t i = 1; i <= n; i++)
        o += (size_t)snprintf(text + o, cap - o, "    - {from: %zu, steps: []}\n", i);
    expect_text_error(text, 9, 5, "'migrations' lists 10001 migrations; a store has at most 10000");
    /* 10000 are fine, and checked (a chain from 1 to 10001) */
    char *last = strstr(text, "    - {from: 10001");
    assert_non_null(last);
    *last = '\0';
    memcpy(strstr(text, "10002"), "10001", 5);
    scenario *s = load_ok_text(text);
    assert_int_equal(s->store.migrations.count, 10000);
    assert_true(s->store.schema == 10001);
    scenario_free(s);
    free(text);
}

/* ---- expanding command-line paths ---- */

static void write_file(const char *dir, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(HEAD "script: []\n", f);
    fclose(f);
}

static void make_dir(const char *dir, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void remove_entry(const char *dir, const char *rel, bool is_dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(is_dir ? rmdir(path) : unlink(path), 0);
}

static void test_expand_paths(void **state)
{
    (void)state;
    char root[] = "/tmp/test_loader.XXXXXX";
    assert_non_null(mkdtemp(root));
    make_dir(root, "a");
    make_dir(root, "a/deep");
    make_dir(root, ".hidden");
    make_dir(root, "empty");
    make_dir(root, "empty/sub");
    write_file(root, "z.yml");
    write_file(root, "a.yaml");
    write_file(root, "B.yaml");
    write_file(root, "a/c.yml");
    write_file(root, "a/b.yaml");
    write_file(root, "a/deep/x.yaml");
    write_file(root, "a/notes.txt");
    write_file(root, "a/x.yaml.bak");
    write_file(root, ".secret.yaml");
    write_file(root, ".hidden/h.yaml");
    write_file(root, "empty/sub/readme.md");
    char link[1024];
    snprintf(link, sizeof link, "%s/a/loop", root);
    assert_int_equal(symlink("..", link), 0); /* a loop back to root */

    char notes[1024], empty[1024];
    snprintf(notes, sizeof notes, "%s/a/notes.txt", root);
    snprintf(empty, sizeof empty, "%s/empty", root);
    const char *args[] = {root, notes};
    char **files = NULL;
    size_t count = 0;
    loader_error err;
    assert_int_equal(loader_expand_paths(args, 2, &files, &count, &err), 0);
    static const char *const want[] = {
        "B.yaml", "a.yaml", "a/b.yaml", "a/c.yml", "a/deep/x.yaml", "z.yml", "a/notes.txt",
    };
    assert_int_equal(count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < count; i++) {
        char expected[1024];
        snprintf(expected, sizeof expected, "%s/%s", root, want[i]);
        assert_string_equal(files[i], expected);
    }
    loader_free_list(files, count);

    /* a folder with no scenario files below it */
    const char *only_empty[] = {empty};
    files = (char **)1;
    assert_int_equal(loader_expand_paths(only_empty, 1, &files, &count, &err), -1);
    assert_null(files);
    assert_string_equal(err.file, empty);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_string_equal(err.message, "no scenario files (*.yaml, *.yml) in this folder");

    /* a missing path */
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/nothing-here", root);
    const char *with_missing[] = {root, missing};
    assert_int_equal(loader_expand_paths(with_missing, 2, &files, &count, &err), -1);
    assert_string_equal(err.file, missing);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_string_equal(err.message, "cannot open: No such file or directory");

    /* a trailing slash does not double */
    char slashed[1024];
    snprintf(slashed, sizeof slashed, "%s/a/deep/", root);
    const char *one[] = {slashed};
    assert_int_equal(loader_expand_paths(one, 1, &files, &count, &err), 0);
    assert_int_equal(count, 1);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s/a/deep/x.yaml", root);
    assert_string_equal(files[0], expected);
    loader_free_list(files, count);

    remove_entry(root, "a/loop", false);
    static const char *const file_list[] = {
        "z.yml", "a.yaml", "B.yaml", "a/c.yml", "a/b.yaml", "a/deep/x.yaml", "a/notes.txt",
        "a/x.yaml.bak", ".secret.yaml", ".hidden/h.yaml", "empty/sub/readme.md",
    };
    for (size_t i = 0; i < sizeof file_list / sizeof file_list[0]; i++)
        remove_entry(root, file_list[i], false);
    static const char *const dir_list[] = {"a/deep", "a", ".hidden", "empty/sub", "empty"};
    for (size_t i = 0; i < sizeof dir_list / sizeof dir_list[0]; i++)
        remove_entry(root, dir_list[i], true);
    assert_int_equal(rmdir(root), 0);
}

/* libfyaml must not print: errors are collected, not written to stderr. */
static void test_nothing_printed(void **state)
{
    (void)state;
    char path[] = "/tmp/test_loader_stderr.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    static const char *const inputs[] = {
        "a: [1, 2\n",  "a:\n\t- 1\n",  "a: b: c\n",  "{a: 1}}\n", "a: \"x\n", "a: *x\n",
        "a: 1\n---\nb\n", "a: !!int x\n", "a: \"\\ud800\"\n", "a: |\n  x\n b\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        scenario *s = NULL;
        loader_error err;
        assert_int_equal(loader_load_text("x.yaml", inputs[i], strlen(inputs[i]), &s, &err), -1);
    }
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    unlink(path);
    assert_int_equal(st.st_size, 0);
}

/* ---- fuzz: truncations and byte mutations of the valid fixture ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void fuzz_one(const char *text, size_t len)
{
    scenario *s = (scenario *)1;
    loader_error err;
    memset(&err, 0, sizeof err);
    int rc = loader_load_text("fuzz.yaml", text, len, &s, &err);
    if (rc == 0) {
        assert_non_null(s);
        scenario_free(s);
        return;
    }
    assert_int_equal(rc, -1);
    assert_null(s);
    assert_true(err.message[0] != '\0');
    assert_true(err.line >= 1);
    assert_true(err.column >= 1);
    assert_string_equal(err.file, "fuzz.yaml");
}

static char *read_fixture(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA "%s", rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void fuzz_fixture(const char *rel)
{
    size_t len;
    char *base = read_fixture(rel, &len);
    char *buf = malloc(len + 64);
    assert_non_null(buf);

    for (size_t cut = 0; cut <= len; cut++) { /* every truncation */
        memcpy(buf, base, cut);
        fuzz_one(buf, cut);
    }

    static const char specials[] = ":-[]{},&*!|>'\"#%@`\n\t ~.<0\xc3\xa9\x80\xff";
    uint64_t rng = 0x5eed;
    for (int round = 0; round < 3000; round++) {
        memcpy(buf, base, len);
        size_t n = len;
        int edits = 1 + (int)(splitmix64(&rng) % 4);
        for (int e = 0; e < edits; e++) {
            uint64_t r = splitmix64(&rng);
            size_t at = (size_t)((r >> 8) % n);
            switch (r % 4) {
            case 0: buf[at] = (char)(r >> 40); break;                         /* any byte */
            case 1: buf[at] ^= (char)(1u << ((r >> 40) % 8)); break;          /* one bit */
            case 2: buf[at] = specials[(r >> 40) % (sizeof specials - 1)]; break;
            case 3: /* delete a byte */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            }
        }
        fuzz_one(buf, n);
    }
    free(buf);
    free(base);
}

static void test_fuzz(void **state)
{
    (void)state;
    fuzz_fixture("good/full.yaml");
    fuzz_fixture("good/platform.yaml");
    fuzz_fixture("good/engine.yaml");
    fuzz_fixture("good/operations.yaml");
    fuzz_fixture("good/helpers.yaml");
}

/* must_fail and the unsafe settings it allows; unsafe alone is refused at its own key. */
static void test_must_fail_and_unsafe(void **state)
{
    (void)state;
#define BASE "name: t\nduration: 10s\nscript: []\nstore:\n  name: S\n  template: {}\n"
    scenario *s = load_ok_text(BASE "  unsafe: [save_ignores_lease]\nmust_fail: {check: lease, why: a test}\n");
    assert_int_equal(s->store.unsafe, VS_UNSAFE_SAVE_IGNORES_LEASE);
    assert_string_equal(s->must_fail_check, "lease");
    assert_string_equal(s->must_fail_why, "a test");
    scenario_free(s);
    s = load_ok_text(BASE);
    assert_int_equal(s->store.unsafe, 0);
    assert_null(s->must_fail_check);
    scenario_free(s);
    expect_text_error(BASE "  unsafe: [save_ignores_lease]\n", 7, 11,
                      "'unsafe' breaks the engine on purpose and is allowed only in a scenario that "
                      "declares 'must_fail'");
    expect_text_error(BASE "  unsafe: [skip_receipts]\nmust_fail: {check: lease, why: x}\n", 7, 12,
                      "expected an unsafe setting (save_ignores_lease, deliver_skips_receipts, "
                      "snapshot_whole_profile, create_on_nil_read, edit_in_place, changes_not_sent or "
                      "never_take_over), found a string "
                      "'skip_receipts'");
    expect_text_error(BASE "must_fail: {check: leases, why: x}\n", 7, 20,
                      "expected a built-in check (lease, data, delivery, atomic, replication, liveness, quiesce "
                      "or expect), found "
                      "'leases'");
    expect_text_error(BASE "must_fail: {check: lease}\n", 7, 12, "'why'");
    /* An expectation that holds whatever faults a swarm run draws. */
    s = load_ok_text(BASE "expect:\n  - {stored: {player: 1, path: C, equals: 1}, swarm: true}\n"
                          "  - {count: {counter: player.join, at_least: 0}}\n");
    assert_int_equal(s->expect_count, 2);
    assert_true(s->expects[0].in_swarm);
    assert_false(s->expects[1].in_swarm);
    scenario_free(s);
    expect_text_error(BASE "expect:\n  - {stored: {player: 1, path: C, equals: 1}, swarm: maybe}\n", 8, 54,
                      "expected true or false for 'swarm', found a string 'maybe'");
#undef BASE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_scenario),
        cmocka_unit_test(test_defaults_and_empty_script),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_platform_scenario),
        cmocka_unit_test(test_every_platform_param),
        cmocka_unit_test(test_platform_values),
        cmocka_unit_test(test_every_fault_kind),
        cmocka_unit_test(test_anchors_and_merge_keys),
        cmocka_unit_test(test_integer_keys),
        cmocka_unit_test(test_special_numbers_and_scalars),
        cmocka_unit_test(test_bad_indentation),
        cmocka_unit_test(test_must_fail_and_unsafe),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_missing_required_key),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_two_documents),
        cmocka_unit_test(test_unknown_anchor),
        cmocka_unit_test(test_two_actions),
        cmocka_unit_test(test_bad_duration),
        cmocka_unit_test(test_step_after_end),
        cmocka_unit_test(test_duplicate_and_odd_keys),
        cmocka_unit_test(test_top_level_not_a_mapping),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_platform_errors),
        cmocka_unit_test(test_server_errors),
        cmocka_unit_test(test_fault_errors),
        cmocka_unit_test(test_new_step_errors),
        cmocka_unit_test(test_count_errors),
        cmocka_unit_test(test_engine_scenario),
        cmocka_unit_test(test_engine_defaults),
        cmocka_unit_test(test_step_lists),
        cmocka_unit_test(test_engine_errors),
        cmocka_unit_test(test_operations_scenario),
        cmocka_unit_test(test_operations_defaults),
        cmocka_unit_test(test_operation_errors),
        cmocka_unit_test(test_operation_shapes),
        cmocka_unit_test(test_helpers_scenario),
        cmocka_unit_test(test_helpers_defaults),
        cmocka_unit_test(test_helper_errors),
        cmocka_unit_test(test_migration_limit),
        cmocka_unit_test(test_expand_paths),
        cmocka_unit_test(test_nothing_printed),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
