/* test_loader.c: the YAML scenario loader (scenarios/loader.h).
 *
 * Every error test asserts the exact 1-based line and column and a distinctive part of the
 * message; the positive tests check every parsed field. Fixtures live in tests/data/loader/
 * (paths relative to the top of the tree, where make runs the tests); byte-level cases
 * (invalid UTF-8, NUL) are inline. The fuzz test mutates the valid fixture with a fixed
 * splitmix64 stream, so it is the same run every time. */
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
#include "core/value.h"
#include "scenarios/loader.h"

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

    assert_int_equal(s->expect_count, 3);
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
    expect_text_error(HEAD "script: []\nfaults: []\n", 5, 1,
                      "unknown key 'faults' (expected one of name, seed, duration, store, "
                      "script, expect)");
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
                      "insert, remove");
    expect_text_error(HEAD "script: []\nexpect:\n  - {}\n", 6, 5,
                      "no kind in the expectation at line 6: expected one of stored");
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
        {"-1s", "found a string '-1s'"},
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

static void test_fuzz(void **state)
{
    (void)state;
    size_t len;
    char *base = read_fixture("good/full.yaml", &len);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_scenario),
        cmocka_unit_test(test_defaults_and_empty_script),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_anchors_and_merge_keys),
        cmocka_unit_test(test_integer_keys),
        cmocka_unit_test(test_special_numbers_and_scalars),
        cmocka_unit_test(test_bad_indentation),
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
        cmocka_unit_test(test_expand_paths),
        cmocka_unit_test(test_nothing_printed),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
