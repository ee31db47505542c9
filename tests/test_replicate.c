/* test_replicate.c: public paths, views, diffs and change lists: normalisation of nested and
 * overlapping paths, views through maps and arrays with missing parts, diffs that set,
 * remove or say nothing, applying change lists, the privacy check of a received view, and a
 * property test over generated profiles (a fixed splitmix64 stream, so every run draws the
 * same trees): applying the diff to the old view gives the new view, and nothing outside
 * the public paths ever appears in a view or a change, checked by code that shares nothing
 * with the module's own search. */
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

static vs_public_paths public_of(const char *const *texts, size_t count)
{
    vs_public_paths pp;
    assert_int_equal(vs_public_parse(texts, count, &pp), VS_OK);
    return pp;
}
#define PUBLIC(...)                                                                           \
    public_of((const char *const[]){__VA_ARGS__},                                             \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static char *to_json(const vs_value *v)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    return b.data;
}

static void expect_json(const vs_value *v, const char *want)
{
    char *got = to_json(v);
    if (strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got, want);
    free(got);
}

static void expect_described(const vs_change_list *cl, const char *want)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_change_list_describe(cl, &b), VS_OK);
    if (strcmp(b.data, want) != 0)
        fail_msg("got  %s\nwant %s", b.data, want);
    vs_buf_free(&b);
}

/* The set as "A.B|C" to compare with an expected text. */
static void expect_set(const vs_public_paths *pp, const char *want)
{
    vs_buf b;
    vs_buf_init(&b);
    for (size_t i = 0; i < pp->count; i++) {
        char *t = vs_path_format(&pp->paths[i]);
        assert_non_null(t);
        assert_int_equal(vs_buf_printf(&b, "%s%s", i ? "|" : "", t), VS_OK);
        free(t);
    }
    assert_int_equal(vs_buf_puts(&b, ""), VS_OK);
    if (strcmp(b.data, want) != 0)
        fail_msg("got  %s\nwant %s", b.data, want);
    vs_buf_free(&b);
}

static bool is_public_text(const vs_public_paths *pp, const char *text)
{
    vs_path p = path(text);
    bool yes = vs_path_is_public(pp, &p);
    vs_path_free(&p);
    return yes;
}

/* The view of data_json under the set, checked against want. */
static void expect_view(const vs_public_paths *pp, const char *data_json, const char *want)
{
    vs_value *data = json(data_json);
    vs_value *view = vs_public_view(pp, data);
    assert_non_null(view);
    expect_json(view, want);
    assert_int_equal(vs_public_check_view(pp, view, NULL), VS_OK);
    vs_free(view);
    vs_free(data);
}

static void expect_diff(const vs_public_paths *pp, const char *before_json,
                        const char *after_json, const char *want)
{
    vs_value *before = json(before_json), *after = json(after_json);
    vs_change_list cl;
    assert_int_equal(vs_public_diff(pp, before, after, &cl), VS_OK);
    expect_described(&cl, want);
    vs_change_list_free(&cl);
    vs_free(before);
    vs_free(after);
}

static const char profile_json[] =
    "{\"Wallet\":{\"Coins\":10,\"Gems\":5},\"Level\":3,\"Name\":\"bob\","
    "\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Shield\"},{\"Name\":\"Bow\"}]}";

/* ---- public paths ---- */

static void test_build_sorts_and_drops_covered_paths(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins", "Wallet", "Level", "Wallet", "Inventory.2",
                                "Inventory.10", "Inventory.1", "A.B.C", "A.B", "A.Bx");
    expect_set(&pp, "A.B|A.Bx|Inventory.1|Inventory.10|Inventory.2|Level|Wallet");
    vs_public_paths copy;
    assert_int_equal(vs_public_copy(&pp, &copy), VS_OK);
    expect_set(&copy, "A.B|A.Bx|Inventory.1|Inventory.10|Inventory.2|Level|Wallet");
    vs_public_free(&copy);
    vs_public_free(&pp);
    vs_public_free(&pp); /* twice is fine */
    assert_int_equal(pp.count, 0);

    /* The root covers everything. */
    pp = PUBLIC("Wallet", "", "Level.X");
    assert_int_equal(pp.count, 1);
    assert_int_equal(pp.paths[0].count, 0);
    vs_public_free(&pp);
}

static void test_build_refuses_bad_input(void **state)
{
    (void)state;
    vs_public_paths pp;
    assert_int_equal(vs_public_parse((const char *const[]){"Wallet", "a..b"}, 2, &pp),
                     VS_ERR_PATH);
    assert_int_equal(pp.count, 0);
    assert_null(pp.paths);
    assert_int_equal(vs_public_build(NULL, 2, &pp), VS_ERR_ARG);
    assert_int_equal(vs_public_copy(NULL, &pp), VS_ERR_ARG);
    assert_int_equal(pp.count, 0);
    assert_int_equal(vs_public_build(NULL, 0, &pp), VS_OK); /* the empty set */
    assert_int_equal(pp.count, 0);
    assert_false(is_public_text(&pp, "Wallet"));
    assert_false(is_public_text(&pp, ""));
}

static void test_is_public_nested_and_overlapping(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins", "Level", "Inventory.2");
    assert_true(is_public_text(&pp, "Wallet.Coins"));
    assert_true(is_public_text(&pp, "Wallet.Coins.Deep"));
    assert_true(is_public_text(&pp, "Level"));
    assert_true(is_public_text(&pp, "Inventory.2.Name"));
    assert_false(is_public_text(&pp, "Wallet"));      /* above a public path */
    assert_false(is_public_text(&pp, "Wallet.Gems"));  /* a sibling */
    assert_false(is_public_text(&pp, "Wallet.CoinsX")); /* keys compare whole, not as text */
    assert_false(is_public_text(&pp, "Inventory.1"));
    assert_false(is_public_text(&pp, "Inventory"));
    assert_false(is_public_text(&pp, "Levels"));
    assert_false(is_public_text(&pp, "A"));
    assert_false(is_public_text(&pp, "Z"));
    assert_false(is_public_text(&pp, ""));
    vs_public_free(&pp);

    pp = PUBLIC("Wallet", "Wallet.Coins");
    assert_true(is_public_text(&pp, "Wallet"));
    assert_true(is_public_text(&pp, "Wallet.Gems"));
    vs_public_free(&pp);

    pp = PUBLIC("");
    assert_true(is_public_text(&pp, ""));
    assert_true(is_public_text(&pp, "Anything.At.All"));
    vs_public_free(&pp);
}

/* ---- views ---- */

static void test_view_nested_path_shows_only_that_leaf(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins");
    expect_view(&pp, profile_json, "{\"Wallet\":{\"Coins\":10}}");
    vs_public_free(&pp);

    pp = PUBLIC("Wallet.Coins", "Level");
    expect_view(&pp, profile_json, "{\"Level\":3,\"Wallet\":{\"Coins\":10}}");
    vs_public_free(&pp);
}

static void test_view_overlapping_paths_are_the_union(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet", "Wallet.Coins");
    expect_view(&pp, profile_json, "{\"Wallet\":{\"Coins\":10,\"Gems\":5}}");
    vs_public_free(&pp);
}

static void test_view_through_arrays(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Inventory.2");
    /* The array above becomes a map of the published indices: neither the other elements
     * nor the length show. */
    expect_view(&pp, profile_json, "{\"Inventory\":{\"2\":{\"Name\":\"Shield\"}}}");
    vs_public_free(&pp);

    pp = PUBLIC("Inventory.3.Name", "Inventory.1.Name");
    expect_view(&pp, profile_json,
                "{\"Inventory\":{\"1\":{\"Name\":\"Sword\"},\"3\":{\"Name\":\"Bow\"}}}");
    vs_public_free(&pp);

    pp = PUBLIC("Inventory");
    expect_view(&pp, profile_json,
                "{\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Shield\"},{\"Name\":\"Bow\"}]}");
    vs_public_free(&pp);
}

static void test_view_missing_paths_are_absent(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins", "Pets.1", "Inventory.9", "Level.Deep", "Name");
    expect_view(&pp, "{\"Wallet\":5,\"Inventory\":[1],\"Level\":2,\"Name\":\"x\"}",
                "{\"Name\":\"x\"}");
    expect_view(&pp, "{}", "{}");
    expect_view(&pp, "{\"Wallet\":{\"Gems\":1}}", "{}"); /* no empty Wallet either */
    vs_public_free(&pp);

    pp = PUBLIC("");
    expect_view(&pp, profile_json,
                "{\"Inventory\":[{\"Name\":\"Sword\"},{\"Name\":\"Shield\"},{\"Name\":\"Bow\"}],"
                "\"Level\":3,\"Name\":\"bob\",\"Wallet\":{\"Coins\":10,\"Gems\":5}}");
    vs_public_free(&pp);

    vs_public_paths none = {0, NULL};
    expect_view(&none, profile_json, "{}");
}

/* ---- diffs ---- */

static void test_diff_set_remove_and_unchanged(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins", "Level", "Name");
    expect_diff(&pp, "{\"Wallet\":{\"Coins\":10,\"Gems\":5},\"Level\":3,\"Name\":\"a\"}",
                "{\"Wallet\":{\"Coins\":12,\"Gems\":9},\"Name\":\"a\"}",
                "remove Level; set Wallet.Coins 12");
    /* A new public node is a set; a private change alone is nothing. */
    expect_diff(&pp, "{\"Wallet\":{\"Gems\":5}}", "{\"Wallet\":{\"Gems\":6,\"Coins\":1},\"Level\":1}",
                "set Level 1; set Wallet.Coins 1");
    expect_diff(&pp, "{\"Wallet\":{\"Coins\":1,\"Gems\":5},\"Secret\":1}",
                "{\"Wallet\":{\"Coins\":1,\"Gems\":6},\"Secret\":2}", "(no changes)");
    expect_diff(&pp, profile_json, profile_json, "(no changes)");
    /* The type changing under a public path is a set of the whole node. */
    expect_diff(&pp, "{\"Level\":{\"A\":1}}", "{\"Level\":[1]}", "set Level [1]");
    /* +0 and -0 differ: the client must see the sign. */
    expect_diff(&pp, "{\"Level\":0}", "{\"Level\":-0}", "set Level -0");
    vs_public_free(&pp);

    pp = PUBLIC("Wallet", "Wallet.Coins");
    expect_diff(&pp, "{\"Wallet\":{\"Coins\":1}}", "{\"Wallet\":{\"Coins\":2}}",
                "set Wallet {\"Coins\":2}");
    vs_public_free(&pp);

    pp = PUBLIC("Inventory.2");
    expect_diff(&pp, profile_json, "{\"Inventory\":[{\"Name\":\"Shield\"}]}", "remove Inventory.2");
    expect_diff(&pp, "{\"Inventory\":[1,2,3]}", "{\"Inventory\":[2,3]}", "set Inventory.2 3");
    vs_public_free(&pp);
}

static void test_diff_never_sends_private_siblings(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins");
    vs_value *before = json("{\"Wallet\":{\"Coins\":1,\"Gems\":\"SECRET1\"}}");
    vs_value *after = json("{\"Wallet\":{\"Coins\":2,\"Gems\":\"SECRET2\"}}");
    vs_change_list cl;
    assert_int_equal(vs_public_diff(&pp, before, after, &cl), VS_OK);
    assert_int_equal(cl.count, 1);
    char *value = to_json(cl.items[0].value);
    assert_string_equal(value, "2");
    free(value);
    vs_value *view = vs_public_view(&pp, after);
    char *text = to_json(view);
    assert_null(strstr(text, "SECRET"));
    assert_null(strstr(text, "Gems"));
    free(text);
    vs_free(view);
    vs_change_list_free(&cl);
    vs_free(before);
    vs_free(after);
    vs_public_free(&pp);
}

/* ---- change lists ---- */

static void apply_text(vs_value **replica, const char *path_text, const char *value_json,
                       vs_status want)
{
    vs_change_list cl;
    vs_change_list_init(&cl);
    vs_path p = path(path_text);
    if (value_json)
        assert_int_equal(vs_change_list_push_set(&cl, &p, json(value_json)), VS_OK);
    else
        assert_int_equal(vs_change_list_push_remove(&cl, &p), VS_OK);
    assert_int_equal(vs_change_list_apply(&cl, replica), want);
    vs_path_free(&p);
    vs_change_list_free(&cl);
}

static void test_apply_creates_and_prunes_maps(void **state)
{
    (void)state;
    vs_value *r = json("{}");
    apply_text(&r, "A.B.C", "1", VS_OK);
    expect_json(r, "{\"A\":{\"B\":{\"C\":1}}}");
    apply_text(&r, "A.D", "{}", VS_OK);
    expect_json(r, "{\"A\":{\"B\":{\"C\":1},\"D\":{}}}");
    apply_text(&r, "A.B.C", NULL, VS_OK); /* B empties and goes; A still holds D */
    expect_json(r, "{\"A\":{\"D\":{}}}");
    apply_text(&r, "A.D", NULL, VS_OK); /* A empties and goes */
    expect_json(r, "{}");
    apply_text(&r, "X.Y", NULL, VS_OK); /* removing what is not there changes nothing */
    expect_json(r, "{}");
    apply_text(&r, "", "{\"Z\":1}", VS_OK); /* the root */
    expect_json(r, "{\"Z\":1}");
    apply_text(&r, "", NULL, VS_OK);
    expect_json(r, "{}");
    vs_free(r);

    /* Through an existing array a key is an index, and an element left empty stays. */
    r = json("{\"Inv\":[{\"N\":1},{\"N\":2}]}");
    apply_text(&r, "Inv.2.N", "5", VS_OK);
    expect_json(r, "{\"Inv\":[{\"N\":1},{\"N\":5}]}");
    apply_text(&r, "Inv.1.N", NULL, VS_OK);
    expect_json(r, "{\"Inv\":[{},{\"N\":5}]}");
    apply_text(&r, "Inv.7.N", "1", VS_ERR_INDEX);
    apply_text(&r, "Inv.2.N.Q", "1", VS_ERR_TYPE); /* N is a number */
    apply_text(&r, "Inv.1.N.Q", "1", VS_OK);       /* a missing map is made */
    expect_json(r, "{\"Inv\":[{\"N\":{\"Q\":1}},{\"N\":5}]}");
    vs_free(r);

    r = json("{\"A\":5}");
    apply_text(&r, "A.B", "1", VS_ERR_TYPE);
    vs_free(r);

    r = NULL; /* NULL is the empty map */
    apply_text(&r, "A", "1", VS_OK);
    expect_json(r, "{\"A\":1}");
    vs_free(r);
}

static void test_change_list_copy_push_and_describe(void **state)
{
    (void)state;
    vs_change_list cl, copy;
    vs_change_list_init(&cl);
    expect_described(&cl, "(no changes)");
    vs_path p = path("Wallet.Coins"), root = path("");
    assert_int_equal(vs_change_list_push_set(&cl, &p, NULL), VS_ERR_NOMEM);
    assert_int_equal(cl.count, 0);
    assert_int_equal(vs_change_list_push_set(&cl, &p, vs_new_number(15)), VS_OK);
    assert_int_equal(vs_change_list_push_remove(&cl, &root), VS_OK);
    assert_int_equal(vs_change_list_push_set(&cl, &p, vs_new_string("0123456789012345678901234"
                                                                     "56789012345678901234567890"
                                                                     "123456789")),
                     VS_OK);
    assert_int_equal(vs_change_list_copy(&cl, &copy), VS_OK);
    assert_int_equal(copy.count, 3);
    for (size_t i = 0; i < 5; i++) { /* grows past the first capacity */
        vs_path k = path("K");
        assert_int_equal(vs_change_list_push_remove(&copy, &k), VS_OK);
        vs_path_free(&k);
    }
    expect_described(&cl, "set Wallet.Coins 15; remove (root); set Wallet.Coins "
                          "\"01234567890123456789012345678901234567890123456789012345...");
    vs_change_list_free(&cl);
    vs_change_list_free(&cl);
    assert_int_equal(copy.count, 8);
    assert_true(vs_equal(copy.items[0].value, copy.items[0].value));
    assert_null(copy.items[1].value);
    vs_change_list_free(&copy);
    vs_path_free(&p);
    vs_path_free(&root);
}

/* ---- the privacy check of a received view ---- */

static void expect_private_at(const vs_public_paths *pp, const char *view_json, const char *bad)
{
    vs_value *view = json(view_json);
    char *where = NULL;
    vs_status st = vs_public_check_view(pp, view, &where);
    if (!bad) {
        assert_int_equal(st, VS_OK);
        assert_null(where);
    } else {
        assert_int_equal(st, VS_ERR_INVALID);
        assert_non_null(where);
        assert_string_equal(where, bad);
    }
    free(where);
    vs_free(view);
}

static void test_check_view(void **state)
{
    (void)state;
    vs_public_paths pp = PUBLIC("Wallet.Coins", "Inventory.1", "Level");
    expect_private_at(&pp, "{}", NULL);
    expect_private_at(&pp, "{\"Wallet\":{\"Coins\":{\"Deep\":[1,2]}},\"Level\":[]}", NULL);
    expect_private_at(&pp, "{\"Inventory\":{\"1\":5}}", NULL);
    expect_private_at(&pp, "{\"Wallet\":{\"Coins\":1,\"Gems\":2}}", "Wallet.Gems");
    expect_private_at(&pp, "{\"Wallet\":{}}", "Wallet");   /* an empty map shows Wallet exists */
    expect_private_at(&pp, "{\"Wallet\":7}", "Wallet");
    expect_private_at(&pp, "{\"Inventory\":[1,2]}", "Inventory"); /* the array shows element 2 */
    expect_private_at(&pp, "{\"Inventory\":{\"2\":5}}", "Inventory.2");
    expect_private_at(&pp, "{\"Level\":1,\"Name\":\"x\"}", "Name");
    expect_private_at(&pp, "[1]", "");
    vs_public_free(&pp);

    /* An integer key is reachable by no path, even when its text matches a public key. */
    pp = PUBLIC("A.1");
    vs_value *view = json("{\"A\":{}}");
    vs_value *a = vs_map_get(view, "A");
    assert_int_equal(vs_map_set_int(a, 1, vs_new_number(1)), VS_OK);
    char *where = NULL;
    assert_int_equal(vs_public_check_view(&pp, view, &where), VS_ERR_INVALID);
    assert_string_equal(where, "A.1");
    free(where);
    vs_free(view);
    vs_public_free(&pp);

    pp = PUBLIC("");
    expect_private_at(&pp, profile_json, NULL);
    vs_public_free(&pp);
}

/* ---- the property test ---- */

typedef struct gen {
    uint64_t state;
} gen;

/* splitmix64: a fixed, seedable stream, the same on every machine. */
static uint64_t next(gen *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(gen *g, unsigned n)
{
    return (unsigned)(next(g) % n);
}

/* Few keys, digits among them, so that paths often meet both maps and arrays. */
static const char *const keys[] = {"A", "B", "C", "1", "2", "3"};
#define KEY_COUNT (sizeof keys / sizeof *keys)

static vs_value *gen_tree(gen *g, int depth)
{
    unsigned pick = below(g, 10);
    if (depth == 0 || pick < 3) {
        switch (below(g, 4)) {
        case 0:
            return vs_new_number((double)below(g, 4));
        case 1:
            return vs_new_bool(below(g, 2));
        default:
            return vs_new_string("?"); /* labelled later with its path */
        }
    }
    if (pick < 6) {
        vs_value *arr = vs_new_array();
        unsigned n = below(g, 4);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(vs_array_push(arr, gen_tree(g, depth - 1)), VS_OK);
        return arr;
    }
    vs_value *map = vs_new_map();
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (below(g, 2))
            assert_int_equal(vs_map_set(map, keys[i], gen_tree(g, depth - 1)), VS_OK);
    return map;
}

/* A profile is a map. */
static vs_value *gen_profile(gen *g)
{
    vs_value *v = gen_tree(g, 4);
    if (vs_type_of(v) == VS_MAP)
        return v;
    vs_free(v);
    v = vs_new_map();
    assert_int_equal(vs_map_set(v, keys[below(g, KEY_COUNT)], gen_tree(g, 3)), VS_OK);
    return v;
}

/* Replaces every string with "@" and its own path, so that wherever a string turns up later
 * it says where in the profile it came from. */
static void label(vs_value *node, const char *at)
{
    char here[256];
    if (vs_type_of(node) == VS_MAP) {
        for (size_t i = 0; i < vs_map_len(node); i++) {
            const char *k = vs_map_key_at(node, i, NULL);
            snprintf(here, sizeof here, "%s%s%s", at, *at ? "." : "", k);
            if (vs_type_of(vs_map_value_at(node, i)) == VS_STRING) {
                char text[260];
                snprintf(text, sizeof text, "@%s", here);
                assert_int_equal(vs_map_set(node, k, vs_new_string(text)), VS_OK);
            } else {
                label(vs_map_value_at(node, i), here);
            }
        }
    } else if (vs_type_of(node) == VS_ARRAY) {
        for (size_t i = 0; i < vs_array_len(node); i++) {
            snprintf(here, sizeof here, "%s%s%zu", at, *at ? "." : "", i + 1);
            if (vs_type_of(vs_array_at(node, i)) == VS_STRING) {
                char text[260];
                snprintf(text, sizeof text, "@%s", here);
                assert_int_equal(vs_array_replace(node, i, vs_new_string(text)), VS_OK);
            } else {
                label(vs_array_at(node, i), here);
            }
        }
    }
}

/* A few random edits somewhere in the tree: replace, remove or add a child. */
static void mutate(gen *g, vs_value *root)
{
    unsigned edits = 1 + below(g, 3);
    for (unsigned e = 0; e < edits; e++) {
        vs_value *node = root;
        while (below(g, 3) != 0) { /* walk down a random way */
            size_t n = vs_type_of(node) == VS_MAP ? vs_map_len(node)
                       : vs_type_of(node) == VS_ARRAY ? vs_array_len(node) : 0;
            if (n == 0)
                break;
            vs_value *child = vs_type_of(node) == VS_MAP ? vs_map_value_at(node, below(g, (unsigned)n))
                                                         : vs_array_at(node, below(g, (unsigned)n));
            if (vs_type_of(child) != VS_MAP && vs_type_of(child) != VS_ARRAY)
                break;
            node = child;
        }
        unsigned op = below(g, 3);
        if (vs_type_of(node) == VS_MAP) {
            const char *k = keys[below(g, KEY_COUNT)];
            if (op == 0)
                vs_free(vs_map_take(node, k));
            else
                assert_int_equal(vs_map_set(node, k, gen_tree(g, 2)), VS_OK);
        } else if (vs_type_of(node) == VS_ARRAY) {
            size_t n = vs_array_len(node);
            if (op == 0 && n > 0)
                vs_free(vs_array_take(node, below(g, (unsigned)n)));
            else if (op == 1 && n > 0)
                assert_int_equal(vs_array_replace(node, below(g, (unsigned)n), gen_tree(g, 2)), VS_OK);
            else
                assert_int_equal(vs_array_push(node, gen_tree(g, 2)), VS_OK);
        }
    }
}

/* The raw public list as drawn (overlaps and repeats included), for the naive checks. */
typedef struct raw_paths {
    size_t count;
    vs_path paths[6];
} raw_paths;

static void gen_public(gen *g, raw_paths *raw)
{
    raw->count = 1 + below(g, 5);
    for (size_t i = 0; i < raw->count; i++) {
        if (below(g, 100) == 0) { /* now and then the whole profile */
            assert_int_equal(vs_path_parse("", &raw->paths[i]), VS_OK);
            continue;
        }
        const char *ks[3];
        size_t len = 1 + below(g, 3);
        for (size_t j = 0; j < len; j++)
            ks[j] = keys[below(g, KEY_COUNT)];
        assert_int_equal(vs_path_from_keys(ks, len, &raw->paths[i]), VS_OK);
    }
}

/* Naive: some drawn path is a prefix of p (a plain loop, not the module's binary search). */
static bool naive_public(const raw_paths *raw, const vs_path *p)
{
    for (size_t i = 0; i < raw->count; i++)
        if (vs_path_has_prefix(p, &raw->paths[i]))
            return true;
    return false;
}

static bool naive_above_public(const raw_paths *raw, const vs_path *p)
{
    for (size_t i = 0; i < raw->count; i++)
        if (raw->paths[i].count > p->count && vs_path_has_prefix(&raw->paths[i], p))
            return true;
    return false;
}

/* Every string in v is a label whose path is public. */
static void expect_labels_public(const raw_paths *raw, const vs_value *v)
{
    if (vs_type_of(v) == VS_STRING) {
        const char *s = vs_string_of(v, NULL);
        assert_true(s[0] == '@');
        vs_path p = path(s + 1);
        if (!naive_public(raw, &p))
            fail_msg("a private value reached a client: %s", s);
        vs_path_free(&p);
    } else if (vs_type_of(v) == VS_MAP) {
        for (size_t i = 0; i < vs_map_len(v); i++)
            expect_labels_public(raw, vs_map_value_at(v, i));
    } else if (vs_type_of(v) == VS_ARRAY) {
        for (size_t i = 0; i < vs_array_len(v); i++)
            expect_labels_public(raw, vs_array_at(v, i));
    }
}

/* Naive view shape: each node is at or under a drawn path, or a non-empty map strictly on
 * the way to one (the root may be an empty map). */
static void expect_view_shape(const raw_paths *raw, const vs_value *v, char **ks, size_t depth)
{
    vs_path p = {depth, ks};
    if (naive_public(raw, &p))
        return;
    if (depth == 0 && vs_type_of(v) == VS_MAP && vs_map_len(v) == 0)
        return;
    assert_int_equal(vs_type_of(v), VS_MAP);
    assert_true(vs_map_len(v) > 0);
    assert_true(naive_above_public(raw, &p));
    for (size_t i = 0; i < vs_map_len(v); i++) {
        ks[depth] = (char *)vs_map_key_at(v, i, NULL);
        expect_view_shape(raw, vs_map_value_at(v, i), ks, depth + 1);
    }
}

static void check_pair(const raw_paths *raw, const vs_public_paths *pp, const vs_value *before,
                       const vs_value *after, size_t *sets, size_t *removes)
{
    vs_value *vb = vs_public_view(pp, before), *va = vs_public_view(pp, after);
    assert_non_null(vb);
    assert_non_null(va);
    char *ks[16];

    /* The views: the public nodes and nothing else. */
    for (size_t i = 0; i < raw->count; i++) {
        const vs_value *in_data = vs_path_get(after, &raw->paths[i]);
        const vs_value *in_view = vs_path_get(va, &raw->paths[i]);
        assert_true(in_data ? in_view && vs_equal(in_data, in_view) : !in_view);
    }
    expect_view_shape(raw, va, ks, 0);
    expect_view_shape(raw, vb, ks, 0);
    expect_labels_public(raw, va);
    expect_labels_public(raw, vb);
    assert_int_equal(vs_public_check_view(pp, va, NULL), VS_OK);

    /* The diff: public paths only, in order, each a real difference, values from after. */
    vs_change_list cl;
    assert_int_equal(vs_public_diff(pp, before, after, &cl), VS_OK);
    for (size_t i = 0; i < cl.count; i++) {
        const vs_change *c = &cl.items[i];
        if (!naive_public(raw, &c->path)) {
            char *t = vs_path_format(&c->path);
            fail_msg("a change outside the public paths: %s", t);
        }
        assert_true(vs_path_is_public(pp, &c->path));
        const vs_value *was = vs_path_get(before, &c->path), *now = vs_path_get(after, &c->path);
        if (c->value) {
            assert_non_null(now);
            assert_true(vs_equal(c->value, now));
            assert_false(was && vs_equal(was, now));
            expect_labels_public(raw, c->value);
            (*sets)++;
        } else {
            assert_null(now);
            assert_non_null(was);
            (*removes)++;
        }
        if (i > 0) { /* strictly increasing, key by key */
            const vs_path *a = &cl.items[i - 1].path, *b = &c->path;
            size_t k = 0;
            while (k < a->count && k < b->count && strcmp(a->keys[k], b->keys[k]) == 0)
                k++;
            assert_true(k < a->count && k < b->count);
            assert_true(strcmp(a->keys[k], b->keys[k]) < 0);
        }
    }

    /* The property: view(before) + diff = view(after). */
    vs_value *replica = vs_copy(vb);
    assert_int_equal(vs_change_list_apply(&cl, &replica), VS_OK);
    if (!vs_equal(replica, va)) {
        char *got = to_json(replica), *want = to_json(va);
        fail_msg("replica %s\nview    %s", got, want);
    }
    vs_free(replica);
    vs_change_list_free(&cl);

    assert_int_equal(vs_public_diff(pp, after, after, &cl), VS_OK);
    assert_int_equal(cl.count, 0);
    vs_change_list_free(&cl);
    vs_free(vb);
    vs_free(va);
}

static void test_property_view_plus_diff_is_view(void **state)
{
    (void)state;
    gen g = {20240607};
    size_t sets = 0, removes = 0, nested = 0;
    for (int round = 0; round < 4000; round++) {
        raw_paths raw;
        gen_public(&g, &raw);
        vs_public_paths pp;
        assert_int_equal(vs_public_build(raw.paths, raw.count, &pp), VS_OK);
        for (size_t i = 0; i < pp.count; i++)
            nested += pp.paths[i].count > 1;

        vs_value *before = gen_profile(&g);
        vs_value *after;
        if (below(&g, 4) == 0) {
            after = gen_profile(&g);
        } else {
            after = vs_copy(before);
            mutate(&g, after);
        }
        label(before, "");
        label(after, "");

        check_pair(&raw, &pp, before, after, &sets, &removes);
        check_pair(&raw, &pp, after, before, &sets, &removes);

        vs_free(before);
        vs_free(after);
        vs_public_free(&pp);
        for (size_t i = 0; i < raw.count; i++)
            vs_path_free(&raw.paths[i]);
    }
    /* The generator must reach every case, or the property says little. */
    assert_true(sets > 1000);
    assert_true(removes > 500);
    assert_true(nested > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_sorts_and_drops_covered_paths),
        cmocka_unit_test(test_build_refuses_bad_input),
        cmocka_unit_test(test_is_public_nested_and_overlapping),
        cmocka_unit_test(test_view_nested_path_shows_only_that_leaf),
        cmocka_unit_test(test_view_overlapping_paths_are_the_union),
        cmocka_unit_test(test_view_through_arrays),
        cmocka_unit_test(test_view_missing_paths_are_absent),
        cmocka_unit_test(test_diff_set_remove_and_unchanged),
        cmocka_unit_test(test_diff_never_sends_private_siblings),
        cmocka_unit_test(test_apply_creates_and_prunes_maps),
        cmocka_unit_test(test_change_list_copy_push_and_describe),
        cmocka_unit_test(test_check_view),
        cmocka_unit_test(test_property_view_plus_diff_is_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
