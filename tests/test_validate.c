/* test_validate.c: validation before a write: every storability failure with the path it
 * names, the size limit at its exact boundary (also through vs_validate_room, against the
 * canonical JSON of the whole document), user validators in order with the first refusal
 * winning, a step-list validator with a non-require step refused when it is built, and the
 * data never changed by any of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/json.h"
#include "core/path.h"
#include "core/steps.h"
#include "core/validate.h"
#include "core/value.h"

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    if (vs_json_decode(text, strlen(text), &v, NULL) != VS_OK)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

static vs_value *profile(void)
{
    return json("{\"Wallet\":{\"Coins\":10},\"Inventory\":[\"Sword\",\"Bow\"],"
                "\"Scores\":[1,2,3],\"Name\":\"bob\"}");
}

static size_t json_len(const vs_value *v)
{
    size_t len = 0;
    assert_int_equal(vs_json_encoded_len(v, &len), VS_OK);
    return len;
}

/* Validates data and expects status and message, and data exactly as before (compared
 * with a deep copy: unstorable data has no JSON to compare). */
static void expect_validate(const vs_validators *v, const vs_value *data, size_t max,
                            vs_status status, const char *message)
{
    vs_value *before = vs_copy(data);
    assert_non_null(before);
    char why[300] = "junk";
    vs_status st = vs_validate(v, data, max, why, sizeof why);
    if (st != status)
        fail_msg("status %s, want %s (%s)", vs_status_name(st), vs_status_name(status), why);
    if (strcmp(why, message) != 0)
        fail_msg("why  \"%s\"\nwant \"%s\"", why, message);
    assert_true(vs_utf8_valid(why, strlen(why)));
    assert_true(vs_equal(data, before));
    vs_free(before);
}

/* ---- storability ---- */

static void test_storability_failures(void **state)
{
    (void)state;
    vs_value *d = profile();
    expect_validate(NULL, d, 0, VS_OK, "");

    vs_value *wallet = vs_map_get(d, "Wallet");
    assert_int_equal(vs_map_set(wallet, "Coins", vs_new_number(NAN)), VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_NOT_FINITE,
                    "not storable at Wallet.Coins: NaN and infinities are not storable");
    vs_free(d);

    d = profile();
    assert_int_equal(vs_array_replace(vs_map_get(d, "Scores"), 1, vs_new_number(-INFINITY)),
                     VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_NOT_FINITE,
                    "not storable at Scores.2: NaN and infinities are not storable");
    vs_free(d);

    d = profile();
    vs_value *mixed = vs_new_map();
    assert_int_equal(vs_map_set(mixed, "a", vs_new_number(1)), VS_OK);
    assert_int_equal(vs_map_set_int(mixed, 1, vs_new_number(2)), VS_OK);
    assert_int_equal(vs_map_set(vs_map_get(d, "Wallet"), "Mixed", mixed), VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_MIXED_TABLE,
                    "not storable at Wallet.Mixed: a table that mixes array and map parts is "
                    "not storable");
    vs_free(d);

    d = profile();
    vs_value *sparse = vs_new_map();
    assert_int_equal(vs_map_set_int(sparse, 1, vs_new_number(1)), VS_OK);
    assert_int_equal(vs_map_set_int(sparse, 3, vs_new_number(3)), VS_OK);
    assert_int_equal(vs_map_set(d, "Sparse", sparse), VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_ARRAY_HOLE,
                    "not storable at Sparse: an array with holes (nil elements) is not "
                    "storable");
    vs_free(d);

    d = profile();
    assert_int_equal(vs_array_insert(vs_map_get(d, "Inventory"), 1, vs_new_nil()), VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_ARRAY_HOLE,
                    "not storable at Inventory.2: an array with holes (nil elements) is not "
                    "storable");
    vs_free(d);

    d = profile();
    assert_int_equal(vs_map_set(d, "Name", vs_new_string_n("b\xc0\xafo", 4)), VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_UTF8,
                    "not storable at Name: a string that is not valid UTF-8 is not storable");
    vs_free(d);

    /* A bad key is reported at itself; its bad bytes become '?' in the message. */
    d = profile();
    assert_int_equal(vs_map_set_n(vs_map_get(d, "Wallet"), "Gold\xff\xfe", 6, vs_new_number(1)),
                     VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_UTF8,
                    "not storable at Wallet.Gold??: a string that is not valid UTF-8 is not "
                    "storable");
    vs_free(d);

    /* The first problem in canonical order wins: Inventory before Wallet. */
    d = profile();
    assert_int_equal(vs_map_set(vs_map_get(d, "Wallet"), "Coins", vs_new_number(NAN)), VS_OK);
    assert_int_equal(vs_array_push(vs_map_get(d, "Inventory"), vs_new_number(INFINITY)), VS_OK);
    expect_validate(NULL, d, 0, VS_ERR_NOT_FINITE,
                    "not storable at Inventory.3: NaN and infinities are not storable");
    vs_free(d);

    d = vs_new_number(NAN);
    expect_validate(NULL, d, 0, VS_ERR_NOT_FINITE,
                    "not storable at the root: NaN and infinities are not storable");
    vs_free(d);

    char why[100];
    assert_int_equal(vs_validate(NULL, NULL, 0, why, sizeof why), VS_ERR_ARG);
}

/* ---- size ---- */

static void test_size_boundary(void **state)
{
    (void)state;
    vs_value *d = profile();
    size_t len = json_len(d);
    expect_validate(NULL, d, len, VS_OK, "");
    expect_validate(NULL, d, 0, VS_OK, ""); /* no limit */
    char want[200];
    snprintf(want, sizeof want,
             "too large: the data's canonical JSON is %zu bytes and at most %zu fit in the "
             "stored document",
             len, len - 1);
    expect_validate(NULL, d, len - 1, VS_ERR_TOO_LARGE, want);
    /* The size is checked after storability: an unstorable value says what is wrong with
     * it, not that it is large. */
    assert_int_equal(vs_map_set(d, "Name", vs_new_number(NAN)), VS_OK);
    expect_validate(NULL, d, 1, VS_ERR_NOT_FINITE,
                    "not storable at Name: NaN and infinities are not storable");
    vs_free(d);
}

/* The room vs_validate_room computes is exact: data passes with it exactly when the whole
 * document holding that data fits in the limit. */
static void test_room_in_document(void **state)
{
    (void)state;
    vs_value *old_data = profile();
    vs_value *doc = vs_new_map();
    assert_int_equal(vs_map_set(doc, VS_DOC_DATA, old_data), VS_OK);
    assert_int_equal(vs_map_set(doc, VS_DOC_META,
                                json("{\"lease\":{\"owner\":\"server-1\",\"generation\":7},"
                                     "\"schema\":3,\"inbox\":[]}")),
                     VS_OK);
    /* The data to be written differs from what the document holds now. */
    vs_value *new_data = profile();
    assert_int_equal(vs_map_set(new_data, "Bio", vs_new_string("a much longer text \xc3\xa9")),
                     VS_OK);
    vs_value *new_doc = vs_copy(doc);
    assert_int_equal(vs_map_set(new_doc, VS_DOC_DATA, vs_copy(new_data)), VS_OK);
    size_t exact = json_len(new_doc);

    size_t room = 0;
    assert_int_equal(vs_validate_room(doc, exact, &room), VS_OK);
    assert_int_equal(room, json_len(new_data));
    char why[200];
    assert_int_equal(vs_validate(NULL, new_data, room, why, sizeof why), VS_OK);
    assert_int_equal(vs_validate_room(doc, exact - 1, &room), VS_OK);
    assert_int_equal(vs_validate(NULL, new_data, room, why, sizeof why), VS_ERR_TOO_LARGE);

    /* No room at all for data, no limit, no data entry, bad arguments. */
    size_t rest = json_len(doc) - json_len(old_data);
    assert_int_equal(vs_validate_room(doc, rest, &room), VS_ERR_TOO_LARGE);
    assert_int_equal(room, 0);
    assert_int_equal(vs_validate_room(doc, rest + 1, &room), VS_OK);
    assert_int_equal(room, 1);
    assert_int_equal(vs_validate_room(doc, 0, &room), VS_OK);
    assert_int_equal(room, 0);
    vs_value *meta_only = json("{\"meta\":{}}");
    assert_int_equal(vs_validate_room(meta_only, 100, &room), VS_ERR_ARG);
    assert_int_equal(vs_validate_room(old_data, 100, &room), VS_ERR_ARG); /* not a document */
    assert_int_equal(vs_validate_room(NULL, 100, &room), VS_ERR_ARG);
    assert_int_equal(vs_validate_room(doc, 100, NULL), VS_ERR_ARG);
    vs_free(meta_only);
    vs_free(new_doc);
    vs_free(new_data);
    vs_free(doc);
}

/* ---- user validators ---- */

typedef struct probe {
    int calls;
    bool accept;
    const char *reason; /* NULL: none given */
} probe;

static bool probe_fn(void *arg, const vs_value *data, char *why, size_t size)
{
    probe *p = arg;
    p->calls++;
    assert_non_null(data);
    assert_string_equal(why, ""); /* the promise to callbacks */
    if (!p->accept && p->reason)
        snprintf(why, size, "%s", p->reason);
    return p->accept;
}

static void require_step(vs_steps *s, const char *path, vs_require_op op, vs_value *operand)
{
    vs_path p;
    assert_int_equal(vs_path_parse(path, &p), VS_OK);
    assert_int_equal(vs_steps_push_require(s, &p, op, operand), VS_OK);
    vs_path_free(&p);
}

static void test_validators_in_order(void **state)
{
    (void)state;
    probe first = {0, true, NULL}, third = {0, true, NULL};
    vs_validators v;
    vs_validators_init(&v);
    vs_steps s;
    vs_steps_init(&s);
    require_step(&s, "Name", VS_REQUIRE_TYPE, vs_new_string("string"));
    require_step(&s, "Wallet.Coins", VS_REQUIRE_AT_LEAST, vs_new_number(0));
    char why[200];
    assert_int_equal(vs_validators_add_fn(&v, "first", probe_fn, &first), VS_OK);
    assert_int_equal(vs_validators_add_steps(&v, "coins", &s, why, sizeof why), VS_OK);
    assert_string_equal(why, "");
    assert_int_equal(vs_validators_add_fn(&v, NULL, probe_fn, &third), VS_OK);
    vs_steps_free(&s); /* the list keeps its own copy */

    vs_value *d = profile();
    expect_validate(&v, d, 0, VS_OK, "");
    assert_int_equal(first.calls, 1);
    assert_int_equal(third.calls, 1);

    /* The steps validator refuses: the third never runs. */
    assert_int_equal(vs_map_set(vs_map_get(d, "Wallet"), "Coins", vs_new_number(-20)), VS_OK);
    expect_validate(&v, d, 0, VS_ERR_INVALID,
                    "validator 2 (coins): require Wallet.Coins at_least 0: found -20");
    assert_int_equal(first.calls, 2);
    assert_int_equal(third.calls, 1);

    /* The first refuses, with and without a reason: nothing after it runs. */
    first.accept = false;
    first.reason = "Name is banned";
    expect_validate(&v, d, 0, VS_ERR_INVALID, "validator 1 (first): Name is banned");
    first.reason = NULL;
    expect_validate(&v, d, 0, VS_ERR_INVALID,
                    "validator 1 (first) refused the data (no reason given)");
    assert_int_equal(first.calls, 4);
    assert_int_equal(third.calls, 1);

    /* An unnamed validator is named by its place. */
    first.accept = true;
    assert_int_equal(vs_map_set(vs_map_get(d, "Wallet"), "Coins", vs_new_number(0)), VS_OK);
    third.accept = false;
    third.reason = "no";
    expect_validate(&v, d, 0, VS_ERR_INVALID, "validator 3: no");

    /* Storability comes first: no validator sees unstorable data. */
    int before = first.calls;
    assert_int_equal(vs_map_set(d, "Name", vs_new_number(INFINITY)), VS_OK);
    expect_validate(&v, d, 0, VS_ERR_NOT_FINITE,
                    "not storable at Name: NaN and infinities are not storable");
    assert_int_equal(first.calls, before);

    /* A copy runs the same validators (callback arguments shared). */
    vs_validators c;
    assert_int_equal(vs_validators_copy(&v, &c), VS_OK);
    vs_validators_free(&v);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.items[1].name, "coins");
    assert_null(c.items[2].name);
    assert_int_equal(vs_map_set(d, "Name", vs_new_string("bob")), VS_OK);
    assert_int_equal(vs_map_set(vs_map_get(d, "Wallet"), "Coins", vs_new_number(-1)), VS_OK);
    expect_validate(&c, d, 0, VS_ERR_INVALID,
                    "validator 2 (coins): require Wallet.Coins at_least 0: found -1");
    vs_validators_free(&c);
    vs_validators_free(&c); /* twice is fine */
    vs_free(d);
}

static void test_steps_validator_refused_at_build(void **state)
{
    (void)state;
    vs_validators v;
    vs_validators_init(&v);
    probe ok = {0, true, NULL};
    assert_int_equal(vs_validators_add_fn(&v, "ok", probe_fn, &ok), VS_OK);

    vs_steps s;
    vs_steps_init(&s);
    require_step(&s, "Name", VS_REQUIRE_EXISTS, NULL);
    vs_path p;
    assert_int_equal(vs_path_parse("Name", &p), VS_OK);
    assert_int_equal(vs_steps_push_set(&s, &p, vs_new_string("x")), VS_OK);
    char why[300];
    assert_int_equal(vs_validators_add_steps(&v, "sneaky", &s, why, sizeof why), VS_ERR_ARG);
    assert_string_equal(why, "validator 2 (sneaky): step 2 (set Name \"x\") is not a require: a "
                             "validator may only test the data, never change it");
    assert_int_equal(v.count, 1);
    vs_steps_free(&s);

    /* A payload operand: a validator has no payload. */
    vs_path from;
    assert_int_equal(vs_path_parse("Min", &from), VS_OK);
    assert_int_equal(vs_steps_push_require_from(&s, &p, VS_REQUIRE_AT_LEAST, &from), VS_OK);
    assert_int_equal(vs_validators_add_steps(&v, NULL, &s, why, sizeof why), VS_ERR_ARG);
    assert_string_equal(why, "validator 2: step 1 (require Name at_least payload.Min) takes its "
                             "operand from a payload: a validator has none");
    assert_int_equal(vs_validators_add_steps(&v, NULL, &s, NULL, 0), VS_ERR_ARG);
    assert_int_equal(v.count, 1);
    vs_steps_free(&s);
    vs_path_free(&p);
    vs_path_free(&from);

    /* An empty list is a validator that always passes; NULL arguments are refused. */
    assert_int_equal(vs_validators_add_steps(&v, "empty", &s, why, sizeof why), VS_OK);
    assert_int_equal(vs_validators_add_steps(&v, "none", NULL, why, sizeof why), VS_ERR_ARG);
    assert_int_equal(vs_validators_add_fn(&v, "none", NULL, NULL), VS_ERR_ARG);
    assert_int_equal(vs_validators_add_fn(NULL, "none", probe_fn, &ok), VS_ERR_ARG);
    assert_int_equal(v.count, 2);
    vs_value *d = profile();
    expect_validate(&v, d, 0, VS_OK, "");
    assert_int_equal(ok.calls, 1);
    vs_free(d);
    vs_validators_free(&v);
    vs_validators c;
    assert_int_equal(vs_validators_copy(NULL, &c), VS_ERR_ARG);
    assert_int_equal(c.count, 0); /* initialised even so */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storability_failures),
        cmocka_unit_test(test_size_boundary),
        cmocka_unit_test(test_room_in_document),
        cmocka_unit_test(test_validators_in_order),
        cmocka_unit_test(test_steps_validator_refused_at_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
