/* test_path.c: paths: parsing and formatting, lookups through maps and arrays, and every
 * mutation's success and error codes, with the tree compared to a copy taken before each
 * failing call to prove that a failure changes nothing. */
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
#include "core/value.h"

static const char profile_json[] =
    "{\"Wallet\":{\"Coins\":10,\"Gems\":0.5},"
    "\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Shield\"},{\"Name\":\"Bow\"}],"
    "\"Scores\":[1,2,3],\"Name\":\"bob\",\"Empty\":[],\"Flag\":true}";

static vs_value *profile(void)
{
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(profile_json, strlen(profile_json), &v, NULL), VS_OK);
    return v;
}

static vs_path path(const char *text)
{
    vs_path p;
    assert_int_equal(vs_path_parse(text, &p), VS_OK);
    return p;
}

/* The tree as canonical JSON, to compare with an expected text. */
static void expect_json(const vs_value *v, const char *want)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    if (strcmp(b.data, want) != 0)
        fail_msg("got %s\nwant %s", b.data, want);
    vs_buf_free(&b);
}

/* ---- paths as data ---- */

static void test_parse_format_round_trip(void **state)
{
    (void)state;
    const char *texts[] = {"", "Wallet", "Wallet.Coins", "Inventory.2.Name", "a.b.c.d.e", "0.01.-1"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        vs_path p = path(texts[i]);
        char *back = vs_path_format(&p);
        assert_non_null(back);
        assert_string_equal(back, texts[i]);
        free(back);
        vs_path_free(&p);
    }
    vs_path p = path("Inventory.2.Name");
    assert_int_equal(p.count, 3);
    assert_string_equal(p.keys[0], "Inventory");
    assert_string_equal(p.keys[1], "2");
    assert_string_equal(p.keys[2], "Name");
    vs_path_free(&p);
    assert_int_equal(p.count, 0);
    assert_null(p.keys);
    vs_path_free(&p); /* twice is fine */
    p = path("");
    assert_int_equal(p.count, 0);
    vs_path_free(&p);
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {".", "..", "a..b", ".a", "a.", "a.b.", ".a.b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        vs_path p = {99, (char **)&bad};
        assert_int_equal(vs_path_parse(bad[i], &p), VS_ERR_PATH);
        assert_int_equal(p.count, 0); /* out is left empty, nothing to free */
        assert_null(p.keys);
    }
    vs_path p;
    assert_int_equal(vs_path_parse(NULL, &p), VS_ERR_ARG);
    assert_int_equal(vs_path_parse("a", NULL), VS_ERR_ARG);
}

static void test_from_keys_copy_prefix(void **state)
{
    (void)state;
    /* A key with a dot is written as is, and parses back as two keys: such keys are
     * reachable only through vs_path_from_keys. */
    const char *keys[] = {"Stats", "v1.2", ""};
    vs_path p;
    assert_int_equal(vs_path_from_keys(keys, 3, &p), VS_OK);
    char *text = vs_path_format(&p);
    assert_string_equal(text, "Stats.v1.2.");
    vs_path q;
    assert_int_equal(vs_path_parse(text, &q), VS_ERR_PATH); /* the empty key */
    free(text);

    vs_path c;
    assert_int_equal(vs_path_copy(&p, &c), VS_OK);
    assert_int_equal(c.count, 3);
    assert_ptr_not_equal(c.keys[1], p.keys[1]);
    assert_string_equal(c.keys[1], "v1.2");

    vs_path stats = path("Stats"), other = path("Stat"), root = path(""), longer = path("Stats.v1.2.x");
    assert_true(vs_path_has_prefix(&p, &stats));
    assert_true(vs_path_has_prefix(&p, &root));
    assert_true(vs_path_has_prefix(&p, &c)); /* equal */
    assert_true(vs_path_has_prefix(&root, &root));
    assert_false(vs_path_has_prefix(&p, &other)); /* whole keys, not characters */
    assert_false(vs_path_has_prefix(&stats, &p));
    assert_false(vs_path_has_prefix(&root, &stats));
    vs_path split = path("Stats.v1");
    assert_false(vs_path_has_prefix(&p, &split));
    assert_false(vs_path_has_prefix(&p, &longer));

    const char *with_null[] = {"a", NULL};
    vs_path z = {7, NULL};
    assert_int_equal(vs_path_from_keys(with_null, 2, &z), VS_ERR_ARG);
    assert_int_equal(z.count, 0);
    assert_int_equal(vs_path_from_keys(NULL, 0, &z), VS_OK);
    assert_int_equal(z.count, 0);

    vs_path_free(&p), vs_path_free(&c), vs_path_free(&stats), vs_path_free(&other);
    vs_path_free(&root), vs_path_free(&longer), vs_path_free(&split), vs_path_free(&z);
}

/* ---- lookups ---- */

static void test_get(void **state)
{
    (void)state;
    vs_value *root = profile();
    struct {
        const char *path;
        const char *want; /* canonical JSON of the node, NULL for none */
    } cases[] = {
        {"", NULL}, /* checked separately */
        {"Wallet.Coins", "10"},
        {"Wallet", "{\"Coins\":10,\"Gems\":0.5}"},
        {"Inventory.2.Name", "\"Shield\""},
        {"Inventory.1", "{\"Name\":\"Sword\"}"},
        {"Inventory.3.Name", "\"Bow\""},
        {"Scores.3", "3"},
        {"Inventory.0", NULL},
        {"Inventory.4", NULL},
        {"Inventory.01", NULL},
        {"Inventory.+1", NULL},
        {"Inventory.-1", NULL},
        {"Inventory.1.5", NULL},
        {"Inventory.x", NULL},
        {"Inventory.99999999999999999999999", NULL},
        {"Wallet.Coins.x", NULL}, /* through a number */
        {"Name.1", NULL},         /* through a string */
        {"Missing", NULL},
        {"Missing.x", NULL},
        {"Empty.1", NULL},
    };
    assert_ptr_equal(vs_path_get(root, &(vs_path){0, NULL}), root);
    for (size_t i = 1; i < sizeof cases / sizeof *cases; i++) {
        vs_path p = path(cases[i].path);
        vs_value *v = vs_path_get(root, &p);
        if (!cases[i].want) {
            if (v)
                fail_msg("%s: expected nothing", cases[i].path);
        } else {
            if (!v)
                fail_msg("%s: expected %s", cases[i].path, cases[i].want);
            expect_json(v, cases[i].want);
        }
        vs_path_free(&p);
    }

    /* Map lookups see string keys only: an integer key 1 is not "1". */
    vs_value *m = vs_new_map();
    assert_int_equal(vs_map_set_int(m, 1, vs_new_string("int")), VS_OK);
    vs_path one = path("1");
    assert_null(vs_path_get(m, &one));
    assert_int_equal(vs_map_set(m, "1", vs_new_string("str")), VS_OK);
    assert_string_equal(vs_string_of(vs_path_get(m, &one), NULL), "str");
    vs_path_free(&one);
    vs_free(m);
    vs_free(root);
}

/* ---- mutations ---- */

typedef enum op { SET, ADD, INSERT, REMOVE } op;

typedef struct mutation {
    op op;
    const char *path;
    double number;  /* SET: the new number; ADD: the delta */
    size_t index1;  /* INSERT */
    vs_status want;
    const char *after; /* canonical JSON of the whole tree after success */
} mutation;

static vs_status apply(vs_value *root, const mutation *m)
{
    vs_path p = path(m->path);
    vs_status st = VS_ERR_ARG;
    switch (m->op) {
    case SET: st = vs_path_set(root, &p, vs_new_number(m->number)); break;
    case ADD: st = vs_path_add(root, &p, m->number); break;
    case INSERT: st = vs_path_insert(root, &p, m->index1, vs_new_number(m->number)); break;
    case REMOVE: st = vs_path_remove(root, &p); break;
    }
    vs_path_free(&p);
    return st;
}

#define W "\"Wallet\":{\"Coins\":10,\"Gems\":0.5}"
#define I "\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Shield\"},{\"Name\":\"Bow\"}]"
#define S "\"Scores\":[1,2,3]"
#define REST "\"Name\":\"bob\""
/* Keys sorted: Empty, Flag, Inventory, Name, Scores, Wallet. */
#define TREE(empty, inv, scores, wallet) \
    "{\"Empty\":" empty ",\"Flag\":true," inv "," REST "," scores "," wallet "}"

static void test_mutations_succeed(void **state)
{
    (void)state;
    const mutation cases[] = {
        {SET, "Wallet.Coins", 25, 0, VS_OK,
         TREE("[]", I, S, "\"Wallet\":{\"Coins\":25,\"Gems\":0.5}")},
        {SET, "Wallet.New", 1, 0, VS_OK,
         TREE("[]", I, S, "\"Wallet\":{\"Coins\":10,\"Gems\":0.5,\"New\":1}")},
        {SET, "Top", 7, 0, VS_OK,
         "{\"Empty\":[],\"Flag\":true," I "," REST "," S ",\"Top\":7," W "}"},
        {SET, "Scores.2", 20, 0, VS_OK, TREE("[]", I, "\"Scores\":[1,20,3]", W)},
        {SET, "Scores.4", 4, 0, VS_OK, TREE("[]", I, "\"Scores\":[1,2,3,4]", W)},
        {SET, "Empty.1", 1, 0, VS_OK, TREE("[1]", I, S, W)},
        {SET, "Inventory.1.Name", 0, 0, VS_OK,
         TREE("[]", "\"Inventory\":[{\"Name\":0},{\"Name\":\"Shield\"},{\"Name\":\"Bow\"}]", S, W)},
        {SET, "Inventory.3", 9, 0, VS_OK,
         TREE("[]", "\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Shield\"},9]", S, W)},
        {ADD, "Wallet.Coins", -15, 0, VS_OK,
         TREE("[]", I, S, "\"Wallet\":{\"Coins\":-5,\"Gems\":0.5}")},
        {ADD, "Wallet.Gems", 0.25, 0, VS_OK,
         TREE("[]", I, S, "\"Wallet\":{\"Coins\":10,\"Gems\":0.75}")},
        {ADD, "Scores.1", 10, 0, VS_OK, TREE("[]", I, "\"Scores\":[11,2,3]", W)},
        {INSERT, "Scores", 9, 0, VS_OK, TREE("[]", I, "\"Scores\":[1,2,3,9]", W)},
        {INSERT, "Scores", 9, 1, VS_OK, TREE("[]", I, "\"Scores\":[9,1,2,3]", W)},
        {INSERT, "Scores", 9, 2, VS_OK, TREE("[]", I, "\"Scores\":[1,9,2,3]", W)},
        {INSERT, "Scores", 9, 4, VS_OK, TREE("[]", I, "\"Scores\":[1,2,3,9]", W)},
        {INSERT, "Empty", 9, 1, VS_OK, TREE("[9]", I, S, W)},
        {INSERT, "Empty", 9, 0, VS_OK, TREE("[9]", I, S, W)},
        {REMOVE, "Wallet.Gems", 0, 0, VS_OK, TREE("[]", I, S, "\"Wallet\":{\"Coins\":10}")},
        {REMOVE, "Wallet", 0, 0, VS_OK, "{\"Empty\":[],\"Flag\":true," I "," REST "," S "}"},
        {REMOVE, "Scores.1", 0, 0, VS_OK, TREE("[]", I, "\"Scores\":[2,3]", W)},
        {REMOVE, "Scores.3", 0, 0, VS_OK, TREE("[]", I, "\"Scores\":[1,2]", W)},
        {REMOVE, "Inventory.2", 0, 0, VS_OK,
         TREE("[]", "\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Bow\"}]", S, W)},
        {REMOVE, "Inventory.2.Name", 0, 0, VS_OK,
         TREE("[]", "\"Inventory\":[{\"Name\":\"Sword\"},{},{\"Name\":\"Bow\"}]", S, W)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        vs_value *root = profile();
        vs_status st = apply(root, &cases[i]);
        if (st != VS_OK)
            fail_msg("case %zu (%s): %s", i, cases[i].path, vs_status_name(st));
        expect_json(root, cases[i].after);
        vs_free(root);
    }

    /* Set replaces whole subtrees and takes any value. */
    vs_value *root = profile();
    vs_path p = path("Wallet");
    vs_value *wallet = vs_new_map();
    assert_int_equal(vs_map_set(wallet, "Coins", vs_new_number(1)), VS_OK);
    assert_int_equal(vs_path_set(root, &p, wallet), VS_OK);
    expect_json(root, TREE("[]", I, S, "\"Wallet\":{\"Coins\":1}"));
    vs_path_free(&p);
    vs_free(root);
}

static void test_mutations_fail_and_change_nothing(void **state)
{
    (void)state;
    const mutation cases[] = {
        /* The root itself. */
        {SET, "", 1, 0, VS_ERR_PATH, NULL},
        {ADD, "", 1, 0, VS_ERR_PATH, NULL},
        {INSERT, "", 1, 0, VS_ERR_PATH, NULL},
        {REMOVE, "", 0, 0, VS_ERR_PATH, NULL},
        /* A missing ancestor. */
        {SET, "Missing.x", 1, 0, VS_ERR_NO_PARENT, NULL},
        {SET, "Missing.x.y", 1, 0, VS_ERR_NO_PARENT, NULL},
        {ADD, "Missing.x", 1, 0, VS_ERR_NO_PARENT, NULL},
        {INSERT, "Missing.x", 1, 0, VS_ERR_NO_PARENT, NULL},
        {REMOVE, "Missing.x", 0, 0, VS_ERR_NO_PARENT, NULL},
        {SET, "Inventory.1.Missing.x", 1, 0, VS_ERR_NO_PARENT, NULL},
        /* Through a non-container, or a target of the wrong type. */
        {SET, "Wallet.Coins.x", 1, 0, VS_ERR_TYPE, NULL},
        {SET, "Name.1", 1, 0, VS_ERR_TYPE, NULL},
        {SET, "Flag.x.y", 1, 0, VS_ERR_TYPE, NULL},
        {ADD, "Name", 1, 0, VS_ERR_TYPE, NULL},
        {ADD, "Wallet", 1, 0, VS_ERR_TYPE, NULL},
        {ADD, "Wallet.Coins.x", 1, 0, VS_ERR_TYPE, NULL},
        {INSERT, "Wallet", 1, 0, VS_ERR_TYPE, NULL},
        {INSERT, "Wallet.Coins", 1, 0, VS_ERR_TYPE, NULL},
        {INSERT, "Name.x", 1, 0, VS_ERR_TYPE, NULL},
        {REMOVE, "Name.x", 0, 0, VS_ERR_TYPE, NULL},
        {REMOVE, "Wallet.Coins.x", 0, 0, VS_ERR_TYPE, NULL},
        /* A missing target. */
        {ADD, "Wallet.Missing", 1, 0, VS_ERR_NOT_FOUND, NULL},
        {INSERT, "Missing", 1, 0, VS_ERR_NOT_FOUND, NULL},
        {REMOVE, "Missing", 0, 0, VS_ERR_NOT_FOUND, NULL},
        {REMOVE, "Wallet.Missing", 0, 0, VS_ERR_NOT_FOUND, NULL},
        /* Array indices out of range or not decimal. */
        {SET, "Scores.0", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores.5", 1, 0, VS_ERR_INDEX, NULL}, /* n + 2 */
        {SET, "Scores.01", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores.-1", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores.+1", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores.x", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores.1x", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores. 1", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Scores.18446744073709551617", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Empty.2", 1, 0, VS_ERR_INDEX, NULL},
        {SET, "Inventory.4.Name", 1, 0, VS_ERR_INDEX, NULL}, /* an ancestor's index */
        {SET, "Inventory.x.Name", 1, 0, VS_ERR_INDEX, NULL},
        {ADD, "Scores.4", 1, 0, VS_ERR_INDEX, NULL},
        {ADD, "Scores.0", 1, 0, VS_ERR_INDEX, NULL},
        {INSERT, "Scores", 1, 5, VS_ERR_INDEX, NULL},
        {INSERT, "Empty", 1, 2, VS_ERR_INDEX, NULL},
        {INSERT, "Scores", 1, SIZE_MAX, VS_ERR_INDEX, NULL},
        {INSERT, "Inventory.9", 1, 0, VS_ERR_INDEX, NULL},
        {REMOVE, "Scores.4", 0, 0, VS_ERR_INDEX, NULL},
        {REMOVE, "Scores.0", 0, 0, VS_ERR_INDEX, NULL},
        {REMOVE, "Empty.1", 0, 0, VS_ERR_INDEX, NULL},
        {REMOVE, "Scores.02", 0, 0, VS_ERR_INDEX, NULL},
        /* A result that is not storable. */
        {ADD, "Wallet.Coins", INFINITY, 0, VS_ERR_NOT_FINITE, NULL},
        {ADD, "Wallet.Coins", NAN, 0, VS_ERR_NOT_FINITE, NULL},
        {ADD, "Wallet.Coins", 1.7976931348623157e308, 0, VS_OK, NULL}, /* finite: fine */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        vs_value *root = profile();
        vs_value *before = vs_copy(root);
        assert_non_null(before);
        vs_status st = apply(root, &cases[i]);
        if (st != cases[i].want)
            fail_msg("case %zu (%s): %s, expected %s", i, cases[i].path, vs_status_name(st),
                     vs_status_name(cases[i].want));
        if (st != VS_OK && !vs_equal(root, before))
            fail_msg("case %zu (%s): the tree changed on failure", i, cases[i].path);
        vs_free(before);
        vs_free(root);
    }

    /* An overflow to infinity after a change that was fine. */
    vs_value *root = profile();
    vs_path p = path("Wallet.Coins");
    assert_int_equal(vs_path_add(root, &p, 1.7976931348623157e308), VS_OK);
    vs_value *before = vs_copy(root);
    assert_int_equal(vs_path_add(root, &p, 1.7976931348623157e308), VS_ERR_NOT_FINITE);
    assert_true(vs_equal(root, before));
    vs_free(before);

    /* A NULL item (a constructor out of memory), a NULL root or path. */
    before = vs_copy(root);
    assert_int_equal(vs_path_set(root, &p, NULL), VS_ERR_NOMEM);
    assert_int_equal(vs_path_insert(root, &p, 0, NULL), VS_ERR_NOMEM);
    assert_int_equal(vs_path_set(NULL, &p, vs_new_number(1)), VS_ERR_ARG);
    assert_int_equal(vs_path_set(root, NULL, vs_new_number(1)), VS_ERR_ARG);
    assert_int_equal(vs_path_add(NULL, &p, 1), VS_ERR_ARG);
    assert_int_equal(vs_path_remove(root, NULL), VS_ERR_ARG);
    assert_null(vs_path_get(NULL, &p));
    assert_true(vs_equal(root, before));
    vs_free(before);
    vs_path_free(&p);

    /* The root is not a container. */
    vs_value *n = vs_new_number(1);
    p = path("x");
    assert_int_equal(vs_path_set(n, &p, vs_new_number(2)), VS_ERR_TYPE);
    assert_int_equal(vs_path_remove(n, &p), VS_ERR_TYPE);
    assert_true(vs_number_of(n) == 1);
    vs_path_free(&p);
    vs_free(n);
    vs_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format_round_trip),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_from_keys_copy_prefix),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_mutations_succeed),
        cmocka_unit_test(test_mutations_fail_and_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
