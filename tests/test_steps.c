/* test_steps.c: declarative steps: each kind's success and errors, build-time refusals,
 * every require condition both ways with its message, payload operands (present, missing,
 * wrong type), all-or-nothing application (a failing list leaves the tree byte-identical,
 * compared through canonical JSON), the read-only check, copies, and descriptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/path.h"
#include "core/steps.h"
#include "core/value.h"

static const char profile_json[] =
    "{\"Wallet\":{\"Coins\":10,\"Gems\":0.5},"
    "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],"
    "\"Name\":\"bob\",\"Flag\":true,\"Zero\":0,\"Gone\":null,\"Empty\":[]}";

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    if (vs_json_decode(text, strlen(text), &v, NULL) != VS_OK)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

static vs_value *profile(void) { return json(profile_json); }

static vs_path path(const char *text)
{
    vs_path p;
    assert_int_equal(vs_path_parse(text, &p), VS_OK);
    return p;
}

/* Canonical JSON of v, for byte-exact comparisons; the caller frees it. */
static char *text_of(const vs_value *v)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    char *t = strdup(b.data);
    vs_buf_free(&b);
    return t;
}

static void expect_json(const vs_value *v, const char *want)
{
    char *got = text_of(v);
    if (strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got, want);
    free(got);
}

/* Builders that parse their path text, to keep the tests short. */
static void push_set(vs_steps *s, const char *p, const char *value_json)
{
    vs_path pp = path(p);
    assert_int_equal(vs_steps_push_set(s, &pp, json(value_json)), VS_OK);
    vs_path_free(&pp);
}

static void push_add(vs_steps *s, const char *p, double delta)
{
    vs_path pp = path(p);
    assert_int_equal(vs_steps_push_add(s, &pp, delta), VS_OK);
    vs_path_free(&pp);
}

static void push_insert(vs_steps *s, const char *p, size_t index1, const char *value_json)
{
    vs_path pp = path(p);
    assert_int_equal(vs_steps_push_insert(s, &pp, index1, json(value_json)), VS_OK);
    vs_path_free(&pp);
}

static void push_remove(vs_steps *s, const char *p)
{
    vs_path pp = path(p);
    assert_int_equal(vs_steps_push_remove(s, &pp), VS_OK);
    vs_path_free(&pp);
}

/* operand_json NULL: no operand (exists, absent). */
static void push_require(vs_steps *s, const char *p, vs_require_op op, const char *operand_json)
{
    vs_path pp = path(p);
    assert_int_equal(vs_steps_push_require(s, &pp, op, operand_json ? json(operand_json) : NULL),
                     VS_OK);
    vs_path_free(&pp);
}

static void push_from(vs_steps *s, vs_step_kind kind, const char *p, vs_require_op op,
                      const char *payload_path)
{
    vs_path pp = path(p), from = path(payload_path);
    vs_status st = VS_ERR_ARG;
    switch (kind) {
    case VS_STEP_SET: st = vs_steps_push_set_from(s, &pp, &from); break;
    case VS_STEP_ADD: st = vs_steps_push_add_from(s, &pp, &from); break;
    case VS_STEP_INSERT: st = vs_steps_push_insert_from(s, &pp, 0, &from); break;
    case VS_STEP_REQUIRE: st = vs_steps_push_require_from(s, &pp, op, &from); break;
    case VS_STEP_REMOVE: break;
    }
    assert_int_equal(st, VS_OK);
    vs_path_free(&pp);
    vs_path_free(&from);
}

/* Applies s to a fresh profile and expects failure with status, index and message, and the
 * profile unchanged byte for byte, at the same address. */
static void expect_failure(const vs_steps *s, const vs_value *payload, vs_status status,
                           size_t index, const char *message)
{
    vs_value *root = profile();
    vs_value *before_ptr = root;
    char *before = text_of(root);
    vs_steps_error err;
    vs_status st = vs_steps_apply(s, root, payload, &err);
    if (st != status)
        fail_msg("status %s, want %s (%s)", vs_status_name(st), vs_status_name(status),
                 err.message);
    assert_int_equal(err.status, status);
    assert_int_equal(err.index, index);
    if (message && strcmp(err.message, message) != 0)
        fail_msg("message \"%s\"\n   want \"%s\"", err.message, message);
    assert_ptr_equal(root, before_ptr);
    char *after = text_of(root);
    assert_string_equal(after, before);
    free(after);
    free(before);
    vs_free(root);
}

/* Applies s to a fresh profile and expects success and the given canonical JSON. */
static void expect_result(const vs_steps *s, const vs_value *payload, const char *want)
{
    vs_value *root = profile();
    vs_steps_error err;
    vs_status st = vs_steps_apply(s, root, payload, &err);
    if (st != VS_OK)
        fail_msg("apply failed: %s: %s", vs_status_name(st), err.message);
    assert_int_equal(err.status, VS_OK);
    assert_int_equal(err.index, VS_STEPS_NO_INDEX);
    assert_string_equal(err.message, "");
    expect_json(root, want);
    vs_free(root);
}

/* ---- names ---- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(vs_step_kind_name(VS_STEP_SET), "set");
    assert_string_equal(vs_step_kind_name(VS_STEP_REQUIRE), "require");
    const char *ops[] = {"exists", "absent", "equals", "at_least", "at_most", "type"};
    for (size_t i = 0; i < 6; i++) {
        vs_require_op op;
        assert_true(vs_require_op_parse(ops[i], &op));
        assert_int_equal(op, (vs_require_op)i);
        assert_string_equal(vs_require_op_name(op), ops[i]);
    }
    assert_false(vs_require_op_parse("atleast", NULL));
    assert_false(vs_require_op_parse(NULL, NULL));
    assert_string_equal(vs_require_op_name((vs_require_op)99), "unknown");
    vs_type t;
    assert_true(vs_require_type_parse("boolean", &t));
    assert_int_equal(t, VS_BOOL);
    assert_true(vs_require_type_parse("nil", &t));
    assert_int_equal(t, VS_NIL);
    assert_false(vs_require_type_parse("bool", &t));
    assert_false(vs_require_type_parse("table", &t));
}

/* ---- each kind ---- */

static void test_set(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    push_set(&s, "Name", "\"al\"");
    push_set(&s, "Wallet.New", "{\"a\":[1,2]}");
    push_set(&s, "Inventory.2", "\"Axe\"");
    push_set(&s, "Inventory.4", "\"Bow2\""); /* n + 1 appends */
    expect_result(&s, NULL,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Axe\",\"Bow\",\"Bow2\"],\"Name\":\"al\","
                  "\"Wallet\":{\"Coins\":10,\"Gems\":0.5,\"New\":{\"a\":[1,2]}},\"Zero\":0}");
    vs_steps_free(&s);

    push_set(&s, "Missing.X", "5");
    expect_failure(&s, NULL, VS_ERR_NO_PARENT, 0,
                   "set Missing.X 5: the parent of this path does not exist");
    vs_steps_free(&s);
    push_set(&s, "Inventory.9", "\"x\"");
    expect_failure(&s, NULL, VS_ERR_INDEX, 0, "set Inventory.9 \"x\": array index out of range");
    vs_steps_free(&s);
    push_set(&s, "Name.First", "\"x\"");
    expect_failure(&s, NULL, VS_ERR_TYPE, 0,
                   "set Name.First \"x\": the value at this path has the wrong type");
    vs_steps_free(&s);
}

static void test_add(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    push_add(&s, "Wallet.Coins", -4);
    push_add(&s, "Wallet.Gems", 0.25);
    expect_result(&s, NULL,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"Coins\":6,\"Gems\":0.75},\"Zero\":0}");
    vs_steps_free(&s);

    push_add(&s, "Wallet.Silver", 1);
    expect_failure(&s, NULL, VS_ERR_NOT_FOUND, 0, "add Wallet.Silver 1: nothing at this path");
    vs_steps_free(&s);
    push_add(&s, "Name", 1);
    expect_failure(&s, NULL, VS_ERR_TYPE, 0,
                   "add Name 1: the value at this path has the wrong type (found a string)");
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1.7e308);
    push_add(&s, "Wallet.Coins", 1.7e308);
    expect_failure(&s, NULL, VS_ERR_NOT_FINITE, 1,
                   "add Wallet.Coins 1.7e+308: NaN and infinities are not storable");
    vs_steps_free(&s);
}

static void test_insert(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    push_insert(&s, "Inventory", 0, "\"Last\"");
    push_insert(&s, "Inventory", 1, "\"First\"");
    push_insert(&s, "Inventory", 6, "\"After\""); /* n + 1 */
    push_insert(&s, "Empty", 0, "{\"x\":1}");
    expect_result(&s, NULL,
                  "{\"Empty\":[{\"x\":1}],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"First\",\"Sword\",\"Shield\",\"Bow\",\"Last\",\"After\"],"
                  "\"Name\":\"bob\",\"Wallet\":{\"Coins\":10,\"Gems\":0.5},\"Zero\":0}");
    vs_steps_free(&s);

    push_insert(&s, "Inventory", 5, "1");
    expect_failure(&s, NULL, VS_ERR_INDEX, 0, "insert Inventory 1 at 5: array index out of range");
    vs_steps_free(&s);
    push_insert(&s, "Wallet", 0, "1");
    expect_failure(&s, NULL, VS_ERR_TYPE, 0,
                   "insert Wallet 1: the value at this path has the wrong type (found a map)");
    vs_steps_free(&s);
    push_insert(&s, "Bag", 0, "1");
    expect_failure(&s, NULL, VS_ERR_NOT_FOUND, 0, "insert Bag 1: nothing at this path");
    vs_steps_free(&s);
}

static void test_remove(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    push_remove(&s, "Inventory.1");
    push_remove(&s, "Wallet.Gems");
    push_remove(&s, "Gone");
    expect_result(&s, NULL,
                  "{\"Empty\":[],\"Flag\":true,\"Inventory\":[\"Shield\",\"Bow\"],"
                  "\"Name\":\"bob\",\"Wallet\":{\"Coins\":10},\"Zero\":0}");
    vs_steps_free(&s);

    push_remove(&s, "Wallet.Silver");
    expect_failure(&s, NULL, VS_ERR_NOT_FOUND, 0, "remove Wallet.Silver: nothing at this path");
    vs_steps_free(&s);
    push_remove(&s, "Inventory.4");
    expect_failure(&s, NULL, VS_ERR_INDEX, 0, "remove Inventory.4: array index out of range");
    vs_steps_free(&s);
}

/* ---- build-time refusals ---- */

static void test_build_refusals(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    vs_path root = path(""), p = path("X"), from = path("Amount");

    assert_int_equal(vs_steps_push_set(&s, &root, vs_new_number(1)), VS_ERR_PATH);
    assert_int_equal(vs_steps_push_add(&s, &root, 1), VS_ERR_PATH);
    assert_int_equal(vs_steps_push_insert(&s, &root, 0, vs_new_number(1)), VS_ERR_PATH);
    assert_int_equal(vs_steps_push_remove(&s, &root), VS_ERR_PATH);
    assert_int_equal(vs_steps_push_add_from(&s, &root, &from), VS_ERR_PATH);
    assert_int_equal(vs_steps_push_add(&s, &p, NAN), VS_ERR_NOT_FINITE);
    assert_int_equal(vs_steps_push_add(&s, &p, INFINITY), VS_ERR_NOT_FINITE);
    assert_int_equal(vs_steps_push_set(&s, &p, vs_new_number(NAN)), VS_ERR_NOT_FINITE);
    assert_int_equal(vs_steps_push_set(&s, &p, json("\"\\u00e9\"")), VS_OK); /* valid UTF-8 */
    assert_int_equal(vs_steps_push_set(&s, &p, vs_new_string_n("\xff", 1)), VS_ERR_UTF8);
    vs_value *holey = vs_new_array();
    assert_int_equal(vs_array_push(holey, vs_new_nil()), VS_OK);
    assert_int_equal(vs_steps_push_set(&s, &p, holey), VS_ERR_ARRAY_HOLE);
    assert_int_equal(vs_steps_push_insert(&s, &p, 0, vs_new_nil()), VS_ERR_ARRAY_HOLE);
    assert_int_equal(vs_steps_push_set(&s, &p, NULL), VS_ERR_NOMEM);
    /* require operands */
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_EXISTS, vs_new_number(1)),
                     VS_ERR_ARG);
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_AT_LEAST, vs_new_string("1")),
                     VS_ERR_TYPE);
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_AT_MOST, vs_new_number(NAN)),
                     VS_ERR_NOT_FINITE);
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_AT_MOST, NULL), VS_ERR_NOMEM);
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_TYPE, vs_new_string("float")),
                     VS_ERR_ARG);
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_TYPE, vs_new_number(1)),
                     VS_ERR_ARG);
    assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_EQUALS, vs_new_number(INFINITY)),
                     VS_ERR_NOT_FINITE);
    assert_int_equal(vs_steps_push_require(&s, &p, (vs_require_op)42, NULL), VS_ERR_ARG);
    assert_int_equal(vs_steps_push_require_from(&s, &p, VS_REQUIRE_EXISTS, &from), VS_ERR_ARG);
    assert_int_equal(vs_steps_push_require_from(&s, &p, VS_REQUIRE_TYPE, &from), VS_ERR_ARG);
    /* a require may test the root */
    assert_int_equal(vs_steps_push_require(&s, &root, VS_REQUIRE_TYPE, vs_new_string("map")),
                     VS_OK);
    /* NULL arguments */
    assert_int_equal(vs_steps_push_set(NULL, &p, vs_new_number(1)), VS_ERR_ARG);
    assert_int_equal(vs_steps_push_set(&s, NULL, vs_new_number(1)), VS_ERR_ARG);
    assert_int_equal(vs_steps_push_add_from(&s, &p, NULL), VS_ERR_ARG);
    assert_int_equal(vs_steps_push_remove(NULL, &p), VS_ERR_ARG);

    /* Only the two good steps went in. */
    assert_int_equal(s.count, 2);
    assert_int_equal(s.items[0].kind, VS_STEP_SET);
    assert_int_equal(s.items[1].kind, VS_STEP_REQUIRE);
    assert_int_equal(s.items[1].path.count, 0);
    vs_path_free(&root);
    vs_path_free(&p);
    vs_path_free(&from);
    vs_steps_free(&s);
    vs_steps_free(&s); /* twice is fine */
    assert_int_equal(s.count, 0);
}

/* ---- conditions ---- */

typedef struct condition_case {
    const char *path;
    vs_require_op op;
    const char *operand; /* JSON, or NULL */
    const char *message; /* NULL: holds */
} condition_case;

static void test_require_conditions(void **state)
{
    (void)state;
    static const condition_case cases[] = {
        {"Wallet.Coins", VS_REQUIRE_EXISTS, NULL, NULL},
        {"Inventory.3", VS_REQUIRE_EXISTS, NULL, NULL},
        {"", VS_REQUIRE_EXISTS, NULL, NULL},
        {"Wallet.Silver", VS_REQUIRE_EXISTS, NULL, "require Wallet.Silver exists: found nothing"},
        {"Gone", VS_REQUIRE_EXISTS, NULL, "require Gone exists: found nothing"},
        {"Inventory.4", VS_REQUIRE_EXISTS, NULL, "require Inventory.4 exists: found nothing"},
        {"Name.First", VS_REQUIRE_EXISTS, NULL, "require Name.First exists: found nothing"},
        {"Wallet.Silver", VS_REQUIRE_ABSENT, NULL, NULL},
        {"Gone", VS_REQUIRE_ABSENT, NULL, NULL},
        {"Name", VS_REQUIRE_ABSENT, NULL, "require Name absent: found \"bob\""},
        {"Name", VS_REQUIRE_EQUALS, "\"bob\"", NULL},
        {"Name", VS_REQUIRE_EQUALS, "\"al\"", "require Name equals \"al\": found \"bob\""},
        {"Wallet", VS_REQUIRE_EQUALS, "{\"Gems\":0.5,\"Coins\":10}", NULL},
        {"Wallet", VS_REQUIRE_EQUALS, "{\"Coins\":10}",
         "require Wallet equals {\"Coins\":10}: found {\"Coins\":10,\"Gems\":0.5}"},
        {"Inventory", VS_REQUIRE_EQUALS, "[\"Sword\",\"Shield\",\"Bow\"]", NULL},
        {"Inventory", VS_REQUIRE_EQUALS, "[\"Sword\",\"Bow\",\"Shield\"]",
         "require Inventory equals [\"Sword\",\"Bow\",\"Shield\"]: "
         "found [\"Sword\",\"Shield\",\"Bow\"]"},
        {"Zero", VS_REQUIRE_EQUALS, "-0", NULL}, /* numbers compare as numbers */
        {"Wallet.Coins", VS_REQUIRE_EQUALS, "\"10\"", "require Wallet.Coins equals \"10\": found 10"},
        {"Wallet.Silver", VS_REQUIRE_EQUALS, "null", NULL},
        {"Wallet.Silver", VS_REQUIRE_EQUALS, "0", "require Wallet.Silver equals 0: found nothing"},
        {"Flag", VS_REQUIRE_EQUALS, "true", NULL},
        {"Flag", VS_REQUIRE_EQUALS, "false", "require Flag equals false: found true"},
        {"Wallet.Coins", VS_REQUIRE_AT_LEAST, "10", NULL},
        {"Wallet.Coins", VS_REQUIRE_AT_LEAST, "-5", NULL},
        {"Wallet.Coins", VS_REQUIRE_AT_LEAST, "10.5",
         "require Wallet.Coins at_least 10.5: found 10"},
        {"Name", VS_REQUIRE_AT_LEAST, "0", "require Name at_least 0: found \"bob\", not a number"},
        {"Wallet.Silver", VS_REQUIRE_AT_LEAST, "0",
         "require Wallet.Silver at_least 0: found nothing"},
        {"Wallet.Coins", VS_REQUIRE_AT_MOST, "10", NULL},
        {"Wallet.Coins", VS_REQUIRE_AT_MOST, "9", "require Wallet.Coins at_most 9: found 10"},
        {"Wallet.Gems", VS_REQUIRE_AT_MOST, "0.5", NULL},
        {"Name", VS_REQUIRE_TYPE, "\"string\"", NULL},
        {"Name", VS_REQUIRE_TYPE, "\"number\"", "require Name type number: found a string"},
        {"Wallet.Coins", VS_REQUIRE_TYPE, "\"number\"", NULL},
        {"Inventory", VS_REQUIRE_TYPE, "\"array\"", NULL},
        {"Inventory", VS_REQUIRE_TYPE, "\"map\"", "require Inventory type map: found an array"},
        {"Wallet", VS_REQUIRE_TYPE, "\"map\"", NULL},
        {"", VS_REQUIRE_TYPE, "\"map\"", NULL},
        {"Flag", VS_REQUIRE_TYPE, "\"boolean\"", NULL},
        {"Wallet.Silver", VS_REQUIRE_TYPE, "\"nil\"", NULL},
        {"Gone", VS_REQUIRE_TYPE, "\"nil\"", NULL},
        {"Wallet", VS_REQUIRE_TYPE, "\"nil\"", "require Wallet type nil: found a map"},
        {"Wallet.Silver", VS_REQUIRE_TYPE, "\"number\"",
         "require Wallet.Silver type number: found nothing"},
        {"", VS_REQUIRE_ABSENT, NULL, NULL}, /* last: the message is checked below */
    };
    size_t n = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < n; i++) {
        const condition_case *c = &cases[i];
        vs_steps s;
        vs_steps_init(&s);
        push_require(&s, c->path, c->op, c->operand);
        vs_value *root = profile();
        vs_steps_error err;
        vs_status st = vs_steps_apply(&s, root, NULL, &err);
        const char *want = c->message;
        if (i == n - 1) {
            /* The root itself, shown clipped: a long found value stays one short line. */
            assert_int_equal(st, VS_ERR_REQUIRE);
            assert_string_equal(err.message,
                                "require (root) absent: found {\"Empty\":[],\"Flag\":true,"
                                "\"Gone\":null,\"Inventory\":[\"Sword\",...");
        } else if (!want && st != VS_OK) {
            fail_msg("case %zu (%s %s): failed: %s", i, c->path, vs_require_op_name(c->op),
                     err.message);
        } else if (want) {
            if (st != VS_ERR_REQUIRE || strcmp(err.message, want) != 0)
                fail_msg("case %zu: status %s message \"%s\"\n want \"%s\"", i,
                         vs_status_name(st), err.message, want);
            assert_int_equal(err.index, 0);
        }
        vs_free(root);
        vs_steps_free(&s);
    }
}

/* ---- all-or-nothing ---- */

static void test_all_or_nothing(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    /* Two successful changes, then a require that does not hold: nothing may show. */
    push_set(&s, "Name", "\"al\"");
    push_add(&s, "Wallet.Coins", -30);
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "0");
    expect_failure(&s, NULL, VS_ERR_REQUIRE, 2, "require Wallet.Coins at_least 0: found -20");
    vs_steps_free(&s);

    /* The same with a change that fails after successful ones. */
    push_insert(&s, "Inventory", 0, "\"Axe\"");
    push_remove(&s, "Wallet");
    push_remove(&s, "Wallet.Coins");
    expect_failure(&s, NULL, VS_ERR_NO_PARENT, 2,
                   "remove Wallet.Coins: the parent of this path does not exist");
    vs_steps_free(&s);

    /* A require before a single last change: the in-place path; a failing require there
     * also leaves the tree as it was. */
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "50");
    push_add(&s, "Wallet.Coins", -50);
    expect_failure(&s, NULL, VS_ERR_REQUIRE, 0, "require Wallet.Coins at_least 50: found 10");
    vs_steps_free(&s);

    /* Success: every change shows, and the required condition held on the changed tree. */
    push_add(&s, "Wallet.Coins", -10);
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "0");
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_MOST, "0");
    push_insert(&s, "Empty", 0, "1");
    expect_result(&s, NULL,
                  "{\"Empty\":[1],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"Coins\":0,\"Gems\":0.5},\"Zero\":0}");
    vs_steps_free(&s);

    /* A single change runs in place: the node changed is the one that was there. */
    push_set(&s, "Name", "\"al\"");
    vs_value *root = profile();
    vs_value *inventory = vs_map_get(root, "Inventory");
    assert_int_equal(vs_steps_apply(&s, root, NULL, NULL), VS_OK);
    assert_string_equal(vs_string_of(vs_map_get(root, "Name"), NULL), "al");
    assert_ptr_equal(vs_map_get(root, "Inventory"), inventory);
    /* A list is not changed by applying it: apply again to the result. */
    push_add(&s, "Wallet.Coins", 1);
    assert_int_equal(vs_steps_apply(&s, root, NULL, NULL), VS_OK);
    assert_int_equal(vs_steps_apply(&s, root, NULL, NULL), VS_OK);
    assert_true(vs_number_of(vs_map_get(vs_map_get(root, "Wallet"), "Coins")) == 12);
    vs_free(root);
    vs_steps_free(&s);

    /* The empty list succeeds and changes nothing. */
    expect_result(&s, NULL,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"Coins\":10,\"Gems\":0.5},\"Zero\":0}");
}

static void test_in_place_and_check(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    push_add(&s, "Wallet.Coins", -30);
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "0");
    /* In place: the first step's change stays (the caller throws the tree away). */
    vs_value *root = profile();
    vs_steps_error err;
    assert_int_equal(vs_steps_apply_in_place(&s, root, NULL, &err), VS_ERR_REQUIRE);
    assert_int_equal(err.index, 1);
    assert_true(vs_number_of(vs_map_get(vs_map_get(root, "Wallet"), "Coins")) == -20);
    vs_free(root);

    /* The read-only check refuses a change at its index, and runs requires. */
    root = profile();
    char *before = text_of(root);
    assert_int_equal(vs_steps_check(&s, root, NULL, &err), VS_ERR_ARG);
    assert_int_equal(err.index, 0);
    assert_string_equal(err.message,
                        "add Wallet.Coins -30: not a require: this list may only test the "
                        "profile");
    vs_steps_free(&s);
    push_require(&s, "Name", VS_REQUIRE_TYPE, "\"string\"");
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_MOST, "5");
    assert_int_equal(vs_steps_check(&s, root, NULL, &err), VS_ERR_REQUIRE);
    assert_int_equal(err.index, 1);
    assert_string_equal(err.message, "require Wallet.Coins at_most 5: found 10");
    char *after = text_of(root);
    assert_string_equal(after, before);
    free(after);
    free(before);
    vs_steps_free(&s);
    push_require(&s, "Name", VS_REQUIRE_TYPE, "\"string\"");
    assert_int_equal(vs_steps_check(&s, root, NULL, &err), VS_OK);
    assert_int_equal(err.index, VS_STEPS_NO_INDEX);
    vs_steps_free(&s);

    /* Bad arguments say so without a step. */
    assert_int_equal(vs_steps_apply(NULL, root, NULL, &err), VS_ERR_ARG);
    assert_int_equal(err.index, VS_STEPS_NO_INDEX);
    assert_int_equal(vs_steps_apply(&s, NULL, NULL, &err), VS_ERR_ARG);
    assert_int_equal(vs_steps_apply_in_place(&s, NULL, NULL, NULL), VS_ERR_ARG);
    assert_int_equal(vs_steps_check(&s, NULL, NULL, NULL), VS_ERR_ARG);
    vs_free(root);
}

/* ---- committing ---- */

/* Several changes run on a copy of only the top-level entries the paths start with; the
 * commit moves them in, and every other entry stays where it was. */
static void test_scoped_commit(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    push_add(&s, "Wallet.Coins", 5);
    push_set(&s, "Title", "\"new key\"");
    push_remove(&s, "Gone");
    push_require(&s, "Missing", VS_REQUIRE_ABSENT, NULL);
    vs_value *root = profile();
    vs_value *inventory = vs_map_get(root, "Inventory"), *name = vs_map_get(root, "Name");
    vs_steps_error err;
    assert_int_equal(vs_steps_apply(&s, root, NULL, &err), VS_OK);
    expect_json(root, "{\"Empty\":[],\"Flag\":true,"
                      "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                      "\"Title\":\"new key\",\"Wallet\":{\"Coins\":15,\"Gems\":0.5},\"Zero\":0}");
    assert_ptr_equal(vs_map_get(root, "Inventory"), inventory); /* not copied */
    assert_ptr_equal(vs_map_get(root, "Name"), name);
    vs_free(root);

    /* A key that is both removed and re-created, and one created then removed. */
    vs_steps_free(&s);
    push_remove(&s, "Wallet");
    push_set(&s, "Wallet", "{\"Coins\":1}");
    push_set(&s, "Temp", "1");
    push_remove(&s, "Temp");
    expect_result(&s, NULL,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"Coins\":1},\"Zero\":0}");
    vs_steps_free(&s);

    /* A require on the root reaches everything: the whole profile is copied, and the
     * result is the same. */
    push_add(&s, "Wallet.Coins", 5);
    push_remove(&s, "Flag");
    push_require(&s, "", VS_REQUIRE_TYPE, "\"map\"");
    expect_result(&s, NULL,
                  "{\"Empty\":[],\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"Coins\":15,\"Gems\":0.5},\"Zero\":0}");
    push_require(&s, "", VS_REQUIRE_ABSENT, NULL);
    expect_failure(&s, NULL, VS_ERR_REQUIRE, 3, NULL);
    vs_steps_free(&s);

    /* An array root: copied whole, committed element by element. */
    root = json("[1,2,3]");
    push_remove(&s, "1");
    push_add(&s, "1", 10);
    vs_path top = path("");
    assert_int_equal(vs_steps_push_insert(&s, &top, 0, vs_new_number(9)), VS_ERR_PATH);
    vs_path_free(&top);
    assert_int_equal(s.count, 2);
    assert_int_equal(vs_steps_apply(&s, root, NULL, &err), VS_OK);
    expect_json(root, "[12,3]");
    push_insert(&s, "1", 0, "1"); /* 12 is not an array */
    assert_int_equal(vs_steps_apply(&s, root, NULL, &err), VS_ERR_TYPE);
    assert_int_equal(err.index, 2);
    expect_json(root, "[12,3]");
    vs_steps_free(&s);
    vs_free(root);
}

static void test_adopt(void **state)
{
    (void)state;
    /* Maps: keys added, replaced and removed; the replacement's children move. */
    vs_value *root = json("{\"a\":1,\"b\":{\"x\":[1]},\"c\":3}");
    vs_value *with = json("{\"b\":{\"y\":2},\"c\":3,\"d\":[4]}");
    vs_value *b = vs_map_get(with, "b");
    assert_int_equal(vs_steps_adopt(root, with), VS_OK);
    expect_json(root, "{\"b\":{\"y\":2},\"c\":3,\"d\":[4]}");
    assert_ptr_equal(vs_map_get(root, "b"), b);
    assert_int_equal(vs_steps_adopt(root, json("{}")), VS_OK);
    expect_json(root, "{}");
    vs_free(root);

    /* Arrays grow and shrink. */
    root = json("[1,2]");
    assert_int_equal(vs_steps_adopt(root, json("[\"a\",\"b\",\"c\"]")), VS_OK);
    expect_json(root, "[\"a\",\"b\",\"c\"]");
    assert_int_equal(vs_steps_adopt(root, json("[true]")), VS_OK);
    expect_json(root, "[true]");

    /* Different types, scalars, integer keys: refused, root unchanged. */
    assert_int_equal(vs_steps_adopt(root, json("{}")), VS_ERR_TYPE);
    expect_json(root, "[true]");
    vs_free(root);
    root = vs_new_number(1);
    assert_int_equal(vs_steps_adopt(root, vs_new_number(1)), VS_OK);
    assert_int_equal(vs_steps_adopt(root, vs_new_number(2)), VS_ERR_TYPE);
    assert_true(vs_number_of(root) == 1);
    vs_free(root);
    root = json("{\"a\":1}");
    with = json("{\"a\":2,\"b\":1}");
    assert_int_equal(vs_map_set_int(with, 7, vs_new_number(7)), VS_OK);
    assert_int_equal(vs_steps_adopt(root, with), VS_ERR_MIXED_TABLE);
    expect_json(root, "{\"a\":1}");
    /* The same integer key on both sides: its value is taken over (as a copy). */
    assert_int_equal(vs_map_set_int(root, 7, vs_new_number(0)), VS_OK);
    with = vs_copy(root);
    assert_int_equal(vs_map_set_int(with, 7, json("{\"v\":1}")), VS_OK);
    assert_int_equal(vs_map_set(with, "z", vs_new_number(26)), VS_OK);
    assert_int_equal(vs_steps_adopt(root, with), VS_OK);
    assert_int_equal(vs_map_len(root), 3);
    assert_true(vs_map_key_is_int(root, 0)); /* "7" sorts before "a" */
    assert_true(vs_number_of(vs_map_get(vs_map_value_at(root, 0), "v")) == 1);
    assert_true(vs_number_of(vs_map_get(root, "z")) == 26);
    /* An integer key the replacement lacks cannot be removed. */
    assert_int_equal(vs_steps_adopt(root, json("{\"a\":1}")), VS_ERR_MIXED_TABLE);
    assert_int_equal(vs_map_len(root), 3);
    vs_free(root);
    assert_int_equal(vs_steps_adopt(NULL, json("{}")), VS_ERR_ARG);
    root = vs_new_map();
    assert_int_equal(vs_steps_adopt(root, NULL), VS_ERR_NOMEM); /* a constructor that failed */
    vs_free(root);
}

/* ---- payload operands ---- */

static void test_payload_operands(void **state)
{
    (void)state;
    vs_value *payload = json("{\"Amount\":5,\"Item\":{\"Name\":\"Axe\"},\"Word\":\"five\","
                             "\"Price\":12,\"Hole\":null,\"Huge\":1e308}");
    char *payload_before = text_of(payload);
    vs_steps s;
    vs_steps_init(&s);
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Amount");
    push_from(&s, VS_STEP_REQUIRE, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "Price");
    push_from(&s, VS_STEP_SET, "Wallet.Last", 0, "Item");
    push_from(&s, VS_STEP_INSERT, "Inventory", 0, "Item.Name");
    push_from(&s, VS_STEP_REQUIRE, "Wallet.Last", VS_REQUIRE_EQUALS, "Item");
    push_from(&s, VS_STEP_SET, "Wallet.All", 0, "");
    assert_true(vs_steps_uses_payload(&s, NULL));
    expect_result(&s, payload,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\",\"Axe\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"All\":{\"Amount\":5,\"Hole\":null,\"Huge\":1e+308,"
                  "\"Item\":{\"Name\":\"Axe\"},\"Price\":12,\"Word\":\"five\"},\"Coins\":15,"
                  "\"Gems\":0.5,\"Last\":{\"Name\":\"Axe\"}},\"Zero\":0}");
    /* The payload is read, never changed, and the profile holds copies. */
    char *payload_after = text_of(payload);
    assert_string_equal(payload_after, payload_before);
    free(payload_after);

    /* A bound from the payload that does not hold. */
    vs_steps_free(&s);
    push_from(&s, VS_STEP_REQUIRE, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "Price");
    vs_value *root = profile();
    vs_steps_error err;
    assert_int_equal(vs_steps_apply(&s, root, payload, &err), VS_ERR_REQUIRE);
    assert_string_equal(err.message, "require Wallet.Coins at_least payload.Price: found 10");
    vs_free(root);

    /* Missing, nil, wrong type, no payload at all, and a sum that overflows: each fails
     * at its step and leaves the profile untouched, even after a successful change. */
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1);
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Bonus");
    expect_failure(&s, payload, VS_ERR_NOT_FOUND, 1,
                   "add Wallet.Coins payload.Bonus: nothing at payload.Bonus");
    expect_failure(&s, NULL, VS_ERR_NOT_FOUND, 1,
                   "add Wallet.Coins payload.Bonus: there is no payload");
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1);
    push_from(&s, VS_STEP_SET, "Wallet.Coins", 0, "Hole");
    expect_failure(&s, payload, VS_ERR_NOT_FOUND, 1,
                   "set Wallet.Coins payload.Hole: nothing at payload.Hole");
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1);
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Word");
    expect_failure(&s, payload, VS_ERR_TYPE, 1,
                   "add Wallet.Coins payload.Word: payload.Word is a string, not a number");
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1);
    push_from(&s, VS_STEP_REQUIRE, "Wallet.Coins", VS_REQUIRE_AT_MOST, "Item");
    expect_failure(&s, payload, VS_ERR_TYPE, 1,
                   "require Wallet.Coins at_most payload.Item: payload.Item is a map, not a "
                   "number");
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1);
    push_from(&s, VS_STEP_REQUIRE, "Wallet.Coins", VS_REQUIRE_EQUALS, "Nothing.Here");
    expect_failure(&s, payload, VS_ERR_NOT_FOUND, 1,
                   "require Wallet.Coins equals payload.Nothing.Here: nothing at "
                   "payload.Nothing.Here");
    vs_steps_free(&s);
    push_set(&s, "Wallet.Coins", "5e307");
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Huge");
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Huge");
    expect_failure(&s, payload, VS_ERR_NOT_FINITE, 2,
                   "add Wallet.Coins payload.Huge: NaN and infinities are not storable");
    vs_steps_free(&s);
    /* A payload that is not a map: the whole payload as the operand works, a key does not. */
    vs_value *five = vs_new_number(5);
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "");
    expect_result(&s, five,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"bob\","
                  "\"Wallet\":{\"Coins\":15,\"Gems\":0.5},\"Zero\":0}");
    vs_steps_free(&s);
    push_add(&s, "Wallet.Coins", 1);
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Amount");
    expect_failure(&s, five, VS_ERR_NOT_FOUND, 1,
                   "add Wallet.Coins payload.Amount: nothing at payload.Amount");
    vs_steps_free(&s);
    vs_free(five);
    free(payload_before);
    vs_free(payload);
}

/* ---- lists as data ---- */

static void test_copy_and_queries(void **state)
{
    (void)state;
    vs_steps s, c;
    vs_steps_init(&s);
    push_set(&s, "Name", "\"al\"");
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Amount");
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "0");
    assert_int_equal(vs_steps_copy(&s, &c), VS_OK);
    vs_steps_free(&s); /* the copy owns its own paths and values */
    assert_int_equal(c.count, 3);
    vs_value *payload = json("{\"Amount\":-10}");
    expect_result(&c, payload,
                  "{\"Empty\":[],\"Flag\":true,\"Gone\":null,"
                  "\"Inventory\":[\"Sword\",\"Shield\",\"Bow\"],\"Name\":\"al\","
                  "\"Wallet\":{\"Coins\":0,\"Gems\":0.5},\"Zero\":0}");
    size_t at = 99;
    assert_false(vs_steps_only_requires(&c, &at));
    assert_int_equal(at, 0);
    assert_true(vs_steps_uses_payload(&c, &at));
    assert_int_equal(at, 1);
    vs_steps_free(&c);
    assert_true(vs_steps_only_requires(&c, NULL));
    assert_false(vs_steps_uses_payload(&c, NULL));
    push_require(&c, "Name", VS_REQUIRE_EXISTS, NULL);
    assert_true(vs_steps_only_requires(&c, NULL));
    assert_int_equal(vs_steps_copy(NULL, &s), VS_ERR_ARG);
    assert_int_equal(s.count, 0);
    vs_steps_free(&c);
    vs_free(payload);
}

static void test_describe(void **state)
{
    (void)state;
    vs_steps s;
    vs_steps_init(&s);
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_steps_describe(&s, &b), VS_OK);
    assert_string_equal(b.data, "(no steps)");
    vs_buf_clear(&b);

    push_set(&s, "Profile.Title", "\"Hero \\\"One\\\"\\n\"");
    push_add(&s, "Wallet.Coins", -50);
    push_insert(&s, "Inventory", 0, "{\"Name\":\"Bow\"}");
    push_insert(&s, "Inventory", 2, "\"Axe\"");
    push_remove(&s, "Inventory.1");
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "0");
    push_require(&s, "Wallet.Coins", VS_REQUIRE_AT_MOST, "1e21");
    push_require(&s, "Name", VS_REQUIRE_EQUALS, "\"bob\"");
    push_require(&s, "Ban", VS_REQUIRE_ABSENT, NULL);
    push_require(&s, "Name", VS_REQUIRE_EXISTS, NULL);
    push_require(&s, "", VS_REQUIRE_TYPE, "\"map\"");
    push_from(&s, VS_STEP_ADD, "Wallet.Coins", 0, "Amount");
    push_from(&s, VS_STEP_REQUIRE, "Wallet.Coins", VS_REQUIRE_AT_LEAST, "Cost.Coins");
    push_from(&s, VS_STEP_SET, "Last", 0, "");
    assert_int_equal(vs_steps_describe(&s, &b), VS_OK);
    assert_string_equal(b.data,
                        "set Profile.Title \"Hero \\\"One\\\"\\n\"; add Wallet.Coins -50; "
                        "insert Inventory {\"Name\":\"Bow\"}; insert Inventory \"Axe\" at 2; "
                        "remove Inventory.1; require Wallet.Coins at_least 0; "
                        "require Wallet.Coins at_most 1e+21; require Name equals \"bob\"; "
                        "require Ban absent; require Name exists; require (root) type map; "
                        "add Wallet.Coins payload.Amount; "
                        "require Wallet.Coins at_least payload.Cost.Coins; set Last payload");
    assert_null(strchr(b.data, '\n')); /* one line */
    /* One step, appended after what the buffer holds. */
    vs_buf_clear(&b);
    assert_int_equal(vs_buf_puts(&b, "> "), VS_OK);
    assert_int_equal(vs_step_describe(&s.items[1], &b), VS_OK);
    assert_string_equal(b.data, "> add Wallet.Coins -50");
    vs_steps_free(&s);

    /* A long literal is clipped to 60 bytes, at a character boundary. */
    vs_buf_clear(&b);
    char long_text[200] = "\"";
    for (int i = 0; i < 40; i++)
        strcat(long_text, "\xc3\xa9"); /* é, two bytes each */
    strcat(long_text, "\"");
    push_set(&s, "Name", long_text);
    assert_int_equal(vs_steps_describe(&s, &b), VS_OK);
    const char *lit = b.data + strlen("set Name ");
    assert_true(strlen(lit) <= 60);
    assert_string_equal(lit + strlen(lit) - 3, "...");
    assert_true(vs_utf8_valid(b.data, b.len));
    vs_buf_free(&b);
    vs_steps_free(&s);
    assert_int_equal(vs_steps_describe(NULL, &b), VS_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_insert),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_build_refusals),
        cmocka_unit_test(test_require_conditions),
        cmocka_unit_test(test_all_or_nothing),
        cmocka_unit_test(test_in_place_and_check),
        cmocka_unit_test(test_scoped_commit),
        cmocka_unit_test(test_adopt),
        cmocka_unit_test(test_payload_operands),
        cmocka_unit_test(test_copy_and_queries),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
