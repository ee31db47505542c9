/* test_value.c: the value tree: constructors, copies, equality, canonical map order, array
 * edits, ownership on failure (run under ASan for the leak check), storability with its
 * error paths, and the UTF-8 validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/value.h"

static double bits_to_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static vs_value *must(vs_value *v)
{
    assert_non_null(v);
    return v;
}

static void set(vs_value *map, const char *key, vs_value *item)
{
    assert_int_equal(vs_map_set(map, key, item), VS_OK);
}

static void push(vs_value *arr, vs_value *item)
{
    assert_int_equal(vs_array_push(arr, item), VS_OK);
}

static void test_constructors(void **state)
{
    (void)state;
    vs_value *n = must(vs_new_nil()), *t = must(vs_new_bool(true)), *f = must(vs_new_bool(false));
    vs_value *num = must(vs_new_number(2.5)), *s = must(vs_new_string("hi"));
    vs_value *bin = must(vs_new_string_n("a\0b", 3)), *a = must(vs_new_array());
    vs_value *m = must(vs_new_map());

    assert_int_equal(vs_type_of(n), VS_NIL);
    assert_int_equal(vs_type_of(NULL), VS_NIL);
    assert_int_equal(vs_type_of(t), VS_BOOL);
    assert_int_equal(vs_type_of(num), VS_NUMBER);
    assert_int_equal(vs_type_of(s), VS_STRING);
    assert_int_equal(vs_type_of(a), VS_ARRAY);
    assert_int_equal(vs_type_of(m), VS_MAP);
    assert_string_equal(vs_type_name(VS_NIL), "nil");
    assert_string_equal(vs_type_name(VS_BOOL), "boolean");
    assert_string_equal(vs_type_name(VS_NUMBER), "number");
    assert_string_equal(vs_type_name(VS_STRING), "string");
    assert_string_equal(vs_type_name(VS_ARRAY), "array");
    assert_string_equal(vs_type_name(VS_MAP), "map");

    assert_true(vs_bool_of(t));
    assert_false(vs_bool_of(f));
    assert_false(vs_bool_of(num)); /* not a boolean */
    assert_true(vs_number_of(num) == 2.5);
    assert_true(vs_number_of(s) == 0);

    size_t len = 99;
    assert_string_equal(vs_string_of(s, &len), "hi");
    assert_int_equal(len, 2);
    const char *b = vs_string_of(bin, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(b, "a\0b", 4); /* NUL-terminated after the bytes too */
    assert_string_equal(vs_string_of(num, &len), "");
    assert_int_equal(len, 0);
    assert_int_equal(vs_array_len(a), 0);
    assert_int_equal(vs_map_len(m), 0);
    assert_int_equal(vs_array_len(m), 0);
    assert_int_equal(vs_map_len(a), 0);

    vs_free(n), vs_free(t), vs_free(f), vs_free(num), vs_free(s), vs_free(bin), vs_free(a);
    vs_free(m);
    vs_free(NULL);
}

/* {"Name":"bob","Inventory":[{"Id":1},"x"],"Flags":{"a":true}} */
static vs_value *sample(void)
{
    vs_value *root = must(vs_new_map());
    vs_value *inv = must(vs_new_array());
    vs_value *item = must(vs_new_map());
    set(item, "Id", vs_new_number(1));
    push(inv, item);
    push(inv, vs_new_string("x"));
    vs_value *flags = must(vs_new_map());
    set(flags, "a", vs_new_bool(true));
    set(root, "Name", vs_new_string("bob"));
    set(root, "Inventory", inv);
    set(root, "Flags", flags);
    return root;
}

static void test_copy_is_independent(void **state)
{
    (void)state;
    vs_value *a = sample();
    vs_value *b = must(vs_copy(a));
    assert_true(vs_equal(a, b));
    assert_ptr_not_equal(vs_map_get(a, "Inventory"), vs_map_get(b, "Inventory"));

    /* Changing the copy deep down leaves the original as it was. */
    vs_value *item = vs_array_at(vs_map_get(b, "Inventory"), 0);
    set(item, "Id", vs_new_number(2));
    assert_false(vs_equal(a, b));
    assert_true(vs_number_of(vs_map_get(vs_array_at(vs_map_get(a, "Inventory"), 0), "Id")) == 1);

    vs_free(vs_map_take(a, "Flags"));
    assert_non_null(vs_map_get(b, "Flags"));
    assert_null(vs_copy(NULL));
    vs_free(a);
    vs_free(b);
}

static void test_equality(void **state)
{
    (void)state;
    vs_value *pz = must(vs_new_number(0.0)), *nz = must(vs_new_number(-0.0));
    assert_false(vs_equal(pz, nz));
    vs_value *nan1 = must(vs_new_number(bits_to_double(0x7ff8000000000001u)));
    vs_value *nan1b = must(vs_new_number(bits_to_double(0x7ff8000000000001u)));
    vs_value *nan2 = must(vs_new_number(bits_to_double(0x7ff8000000000002u)));
    assert_true(vs_equal(nan1, nan1b));
    assert_false(vs_equal(nan1, nan2));
    assert_true(vs_equal(NULL, NULL));
    assert_false(vs_equal(pz, NULL));

    /* Same text, different kind of key. */
    vs_value *mi = must(vs_new_map()), *ms = must(vs_new_map());
    assert_int_equal(vs_map_set_int(mi, 1, vs_new_bool(true)), VS_OK);
    set(ms, "1", vs_new_bool(true));
    assert_false(vs_equal(mi, ms));

    /* Different types with "similar" content. */
    vs_value *s0 = must(vs_new_string("0")), *f = must(vs_new_bool(false)), *nil = must(vs_new_nil());
    assert_false(vs_equal(s0, pz));
    assert_false(vs_equal(f, nil));
    assert_false(vs_equal(nil, pz));

    /* Strings compare all their bytes, NULs included. */
    vs_value *x1 = must(vs_new_string_n("a\0b", 3)), *x2 = must(vs_new_string_n("a\0c", 3));
    vs_value *x3 = must(vs_new_string_n("a", 1));
    assert_false(vs_equal(x1, x2));
    assert_false(vs_equal(x1, x3));

    /* Arrays compare in order; an empty array is not an empty map. */
    vs_value *a1 = must(vs_new_array()), *a2 = must(vs_new_array()), *m0 = must(vs_new_map());
    push(a1, vs_new_number(1));
    push(a1, vs_new_number(2));
    push(a2, vs_new_number(2));
    push(a2, vs_new_number(1));
    assert_false(vs_equal(a1, a2));
    vs_value *e = must(vs_new_array());
    assert_false(vs_equal(e, m0));

    /* Maps: value difference and extra key. */
    vs_value *p = sample(), *q = sample();
    assert_true(vs_equal(p, q));
    set(q, "Extra", vs_new_nil());
    assert_false(vs_equal(p, q));
    vs_free(vs_map_take(q, "Extra"));
    assert_true(vs_equal(p, q));
    set(vs_map_get(q, "Flags"), "a", vs_new_bool(false));
    assert_false(vs_equal(p, q));

    vs_value *all[] = {pz, nz, nan1, nan1b, nan2, mi, ms, s0, f, nil, x1, x2, x3, a1, a2, m0, e, p, q};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        vs_free(all[i]);
}

/* Keys in canonical order (bytewise, shorter first, string before integer). */
typedef struct key_case {
    const char *text;
    size_t len;
    bool is_int;
    int64_t n;
} key_case;

static const key_case ordered_keys[] = {
    {"", 0, false, 0},
    {"-5", 2, true, -5},
    {"1", 1, false, 0},
    {"1", 1, true, 1},
    {"10", 2, true, 10},
    {"2", 1, false, 0},
    {"B", 1, false, 0},
    {"a", 1, false, 0},
    {"a\0b", 3, false, 0},
    {"ab", 2, false, 0},
    {"b", 1, false, 0},
    {"\xc3\xa9", 2, false, 0},
    {"\xff", 1, false, 0},
};
#define NKEYS (sizeof ordered_keys / sizeof *ordered_keys)

static void test_map_order_independent_of_insertion(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    vs_value *first = NULL;
    for (int round = 0; round < 50; round++) {
        size_t order[NKEYS];
        for (size_t i = 0; i < NKEYS; i++)
            order[i] = i;
        if (round == 1) /* reverse */
            for (size_t i = 0; i < NKEYS; i++)
                order[i] = NKEYS - 1 - i;
        else if (round > 1) /* Fisher-Yates with an LCG: deterministic shuffles */
            for (size_t i = NKEYS - 1; i > 0; i--) {
                seed = seed * 6364136223846793005u + 1442695040888963407u;
                size_t j = (size_t)((seed >> 33) % (i + 1));
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        vs_value *m = must(vs_new_map());
        for (size_t i = 0; i < NKEYS; i++) {
            const key_case *k = &ordered_keys[order[i]];
            vs_value *v = must(vs_new_number((double)order[i]));
            vs_status st = k->is_int ? vs_map_set_int(m, k->n, v) : vs_map_set_n(m, k->text, k->len, v);
            assert_int_equal(st, VS_OK);
        }
        assert_int_equal(vs_map_len(m), NKEYS);
        for (size_t i = 0; i < NKEYS; i++) {
            size_t len;
            const char *text = vs_map_key_at(m, i, &len);
            assert_int_equal(len, ordered_keys[i].len);
            assert_memory_equal(text, ordered_keys[i].text, len);
            assert_int_equal(text[len], '\0');
            assert_int_equal(vs_map_key_is_int(m, i), ordered_keys[i].is_int);
            assert_true(vs_number_of(vs_map_value_at(m, i)) == (double)i);
        }
        if (!first)
            first = m;
        else {
            assert_true(vs_equal(first, m));
            vs_free(m);
        }
    }

    /* Lookups see string keys only: "1" finds the string entry, never the integer one. */
    assert_true(vs_number_of(vs_map_get(first, "1")) == 2);
    assert_null(vs_map_get(first, "10"));
    assert_null(vs_map_get(first, "-5"));
    assert_true(vs_number_of(vs_map_get_n(first, "a\0b", 3)) == 8);
    assert_true(vs_number_of(vs_map_get(first, "")) == 0);
    vs_value *taken = vs_map_take(first, "1");
    assert_true(vs_number_of(taken) == 2);
    vs_free(taken);
    assert_null(vs_map_take(first, "1")); /* the integer key 1 is still there */
    assert_int_equal(vs_map_len(first), NKEYS - 1);
    size_t len;
    assert_string_equal(vs_map_key_at(first, 2, &len), "1");
    assert_true(vs_map_key_is_int(first, 2));
    assert_null(vs_map_key_at(first, NKEYS, &len));
    assert_null(vs_map_value_at(first, NKEYS));
    vs_free(first);
}

static void test_map_set_replace_take(void **state)
{
    (void)state;
    vs_value *m = must(vs_new_map());
    set(m, "k", vs_new_number(1));
    set(m, "k", vs_new_string("two")); /* replaces, frees the old */
    assert_int_equal(vs_map_len(m), 1);
    assert_string_equal(vs_string_of(vs_map_get(m, "k"), NULL), "two");
    assert_int_equal(vs_map_set_int(m, INT64_MIN, vs_new_nil()), VS_OK);
    assert_int_equal(vs_map_set_int(m, INT64_MIN, vs_new_bool(true)), VS_OK);
    assert_int_equal(vs_map_len(m), 2);
    assert_string_equal(vs_map_key_at(m, 0, NULL), "-9223372036854775808");
    assert_true(vs_bool_of(vs_map_value_at(m, 0)));
    assert_null(vs_map_take(m, "missing"));
    assert_null(vs_map_take(m, "-9223372036854775808")); /* an integer key: not by string */
    /* Many keys: binary search and growth. */
    char k[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "k%04d", (i * 7919) % 1000);
        set(m, k, vs_new_number(i));
    }
    assert_int_equal(vs_map_len(m), 1002);
    for (size_t i = 1; i + 1 < vs_map_len(m); i++) {
        size_t la, lb;
        const char *a = vs_map_key_at(m, i, &la), *b = vs_map_key_at(m, i + 1, &lb);
        assert_true(strcmp(a, b) < 0);
    }
    vs_value *v = vs_map_take(m, "k0500");
    assert_non_null(v);
    vs_free(v);
    assert_null(vs_map_get(m, "k0500"));
    assert_non_null(vs_map_get(m, "k0499"));
    vs_free(m);
}

static void assert_numbers(const vs_value *arr, const double *want, size_t n)
{
    assert_int_equal(vs_array_len(arr), n);
    for (size_t i = 0; i < n; i++)
        assert_true(vs_number_of(vs_array_at(arr, i)) == want[i]);
}

static void test_array_edits(void **state)
{
    (void)state;
    vs_value *a = must(vs_new_array());
    push(a, vs_new_number(2));
    assert_int_equal(vs_array_insert(a, 0, vs_new_number(1)), VS_OK);
    assert_int_equal(vs_array_insert(a, 2, vs_new_number(4)), VS_OK); /* i == len: append */
    assert_int_equal(vs_array_insert(a, 2, vs_new_number(3)), VS_OK);
    assert_numbers(a, (double[]){1, 2, 3, 4}, 4);

    assert_int_equal(vs_array_replace(a, 1, vs_new_number(20)), VS_OK);
    assert_numbers(a, (double[]){1, 20, 3, 4}, 4);

    vs_value *t = vs_array_take(a, 0);
    assert_true(vs_number_of(t) == 1);
    vs_free(t);
    assert_numbers(a, (double[]){20, 3, 4}, 3);
    t = vs_array_take(a, 2);
    assert_true(vs_number_of(t) == 4);
    vs_free(t);
    assert_numbers(a, (double[]){20, 3}, 2);
    assert_null(vs_array_take(a, 2));
    assert_null(vs_array_at(a, 2));

    for (int i = 0; i < 10000; i++)
        push(a, vs_new_number(i));
    assert_int_equal(vs_array_len(a), 10002);
    assert_true(vs_number_of(vs_array_at(a, 10001)) == 9999);
    vs_free(a);
}

/* Every failing call below must free its item: ASan's leak check is what proves it. */
static void test_ownership_on_failure(void **state)
{
    (void)state;
    vs_value *m = must(vs_new_map()), *a = must(vs_new_array()), *s = must(vs_new_string("s"));
    vs_value *before_m = must(vs_copy(m)), *before_a = must(vs_copy(a));

    assert_int_equal(vs_array_push(m, vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_array_push(NULL, vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_array_insert(a, 1, vs_new_string("leak?")), VS_ERR_INDEX);
    assert_int_equal(vs_array_insert(s, 0, vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_array_replace(a, 0, vs_new_string("leak?")), VS_ERR_INDEX);
    assert_int_equal(vs_array_replace(m, 0, vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_map_set(a, "k", vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_map_set_n(s, "k", 1, vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_map_set_int(a, 1, vs_new_string("leak?")), VS_ERR_TYPE);
    assert_int_equal(vs_map_set(m, NULL, vs_new_string("leak?")), VS_ERR_ARG);
    assert_int_equal(vs_map_set_n(m, NULL, 2, vs_new_string("leak?")), VS_ERR_ARG);
    /* A NULL item is what a constructor returns when memory ran out. */
    assert_int_equal(vs_array_push(a, NULL), VS_ERR_NOMEM);
    assert_int_equal(vs_map_set(m, "k", NULL), VS_ERR_NOMEM);
    /* A whole subtree handed over and refused is freed too. */
    assert_int_equal(vs_array_push(s, sample()), VS_ERR_TYPE);

    assert_true(vs_equal(m, before_m));
    assert_true(vs_equal(a, before_a));
    vs_free(m), vs_free(a), vs_free(s), vs_free(before_m), vs_free(before_a);
}

/* ---- storability ---- */

static void expect_unstorable(vs_value *v, vs_status want, const char *want_where)
{
    char *where = (char *)"untouched";
    assert_int_equal(vs_value_check_storable(v, 0, &where), want);
    assert_non_null(where);
    assert_string_equal(where, want_where);
    free(where);
    assert_int_equal(vs_value_check_storable(v, 0, NULL), want); /* where is optional */
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), want); /* the encoder refuses it the same way */
    vs_buf_free(&b);
    vs_free(v);
}

static vs_value *wrap(const char *key, vs_value *inner)
{
    vs_value *m = must(vs_new_map());
    set(m, key, inner);
    return m;
}

static void test_storable_errors(void **state)
{
    (void)state;
    /* Storable, including a nil map value and empty containers. */
    vs_value *ok = sample();
    set(ok, "Nothing", vs_new_nil());
    set(ok, "Empty", vs_new_array());
    char *where = (char *)"untouched";
    assert_int_equal(vs_value_check_storable(ok, 0, &where), VS_OK);
    assert_null(where);
    vs_free(ok);

    expect_unstorable(must(vs_new_number(NAN)), VS_ERR_NOT_FINITE, "");
    expect_unstorable(wrap("Stats", wrap("Speed", vs_new_number(INFINITY))), VS_ERR_NOT_FINITE,
                      "Stats.Speed");

    vs_value *holes = must(vs_new_array());
    push(holes, vs_new_number(1));
    push(holes, vs_new_nil());
    push(holes, vs_new_number(3));
    expect_unstorable(wrap("Inventory", holes), VS_ERR_ARRAY_HOLE, "Inventory.2");

    vs_value *mixed = must(vs_new_map());
    assert_int_equal(vs_map_set_int(mixed, 1, vs_new_number(1)), VS_OK);
    set(mixed, "x", vs_new_number(2));
    expect_unstorable(wrap("T", mixed), VS_ERR_MIXED_TABLE, "T");

    vs_value *sparse = must(vs_new_map());
    assert_int_equal(vs_map_set_int(sparse, 1, vs_new_number(1)), VS_OK);
    assert_int_equal(vs_map_set_int(sparse, 5, vs_new_number(5)), VS_OK);
    expect_unstorable(wrap("T", sparse), VS_ERR_ARRAY_HOLE, "T");

    vs_value *inv = must(vs_new_array());
    push(inv, wrap("Name", vs_new_string("ok")));
    push(inv, wrap("Name", vs_new_string("ok")));
    push(inv, wrap("Name", vs_new_string("bad \xc3(")));
    expect_unstorable(wrap("Inventory", inv), VS_ERR_UTF8, "Inventory.3.Name");

    vs_value *badkey = must(vs_new_map());
    set(badkey, "\xed\xa0\x80", vs_new_number(1)); /* a surrogate in a key */
    expect_unstorable(wrap("A", badkey), VS_ERR_UTF8, "A.\xed\xa0\x80");
}

static void test_storable_canonical_order(void **state)
{
    (void)state;
    /* Map entries in key order: "a" (bad UTF-8 deep inside) comes before "b" (NaN). */
    vs_value *v = must(vs_new_map());
    set(v, "b", vs_new_number(NAN));
    set(v, "a", wrap("x", vs_new_string("\xff")));
    expect_unstorable(v, VS_ERR_UTF8, "a.x");

    /* Array elements in order. */
    vs_value *arr = must(vs_new_array());
    push(arr, vs_new_number(1));
    push(arr, wrap("s", vs_new_string("\xc0\x80")));
    push(arr, vs_new_nil());
    push(arr, vs_new_number(NAN));
    expect_unstorable(arr, VS_ERR_UTF8, "2.s");

    arr = must(vs_new_array());
    push(arr, vs_new_number(-INFINITY));
    push(arr, vs_new_nil());
    expect_unstorable(arr, VS_ERR_NOT_FINITE, "1");

    /* A map's own problem comes before its children's. */
    vs_value *mixed = must(vs_new_map());
    assert_int_equal(vs_map_set_int(mixed, 2, vs_new_number(NAN)), VS_OK);
    set(mixed, "s", vs_new_number(NAN));
    expect_unstorable(wrap("m", mixed), VS_ERR_MIXED_TABLE, "m");

    /* A key's problem comes before its value's. */
    expect_unstorable(wrap("\xff", vs_new_number(NAN)), VS_ERR_UTF8, "\xff");

    /* Structure is checked before size. */
    char *where = NULL;
    vs_value *big = wrap("n", vs_new_number(NAN));
    assert_int_equal(vs_value_check_storable(big, 1, &where), VS_ERR_NOT_FINITE);
    assert_string_equal(where, "n");
    free(where);
    vs_free(big);
}

static void test_storable_size_limit(void **state)
{
    (void)state;
    /* {"a":"x\ny","b":[1,0.5]} is 24 bytes; the escape counts as 2. */
    vs_value *v = wrap("a", vs_new_string("x\ny"));
    vs_value *arr = must(vs_new_array());
    push(arr, vs_new_number(1));
    push(arr, vs_new_number(0.5));
    set(v, "b", arr);
    size_t len = 0;
    assert_int_equal(vs_json_encoded_len(v, &len), VS_OK);
    assert_int_equal(len, 24);

    char *where = NULL;
    assert_int_equal(vs_value_check_storable(v, 24, &where), VS_OK);
    assert_null(where);
    assert_int_equal(vs_value_check_storable(v, 23, &where), VS_ERR_TOO_LARGE);
    assert_string_equal(where, "");
    free(where);
    assert_int_equal(vs_value_check_storable(v, 0, NULL), VS_OK); /* 0: no size check */
    assert_int_equal(vs_value_check_storable(NULL, 0, NULL), VS_ERR_ARG);
    vs_free(v);

    /* The platform's limit on a large value. */
    size_t max = 4194304;
    size_t n = max - 2; /* the quotes */
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, 'z', n);
    v = must(vs_new_string_n(s, n));
    assert_int_equal(vs_value_check_storable(v, max, NULL), VS_OK);
    assert_int_equal(vs_value_check_storable(v, max - 1, NULL), VS_ERR_TOO_LARGE);
    free(s);
    vs_free(v);
}

typedef struct utf8_case {
    const char *bytes;
    size_t len;
    bool valid;
    size_t prefix; /* vs_utf8_valid_prefix */
} utf8_case;

#define U(s, ok, pre) {s, sizeof(s) - 1, ok, pre}

static const utf8_case utf8_cases[] = {
    U("", true, 0),
    U("plain ascii", true, 11),
    U("\0", true, 1),                  /* NUL is a character */
    U("\x7f", true, 1),
    U("\xc2\x80", true, 2),            /* U+0080, smallest 2-byte */
    U("\xdf\xbf", true, 2),            /* U+07FF */
    U("\xe0\xa0\x80", true, 3),        /* U+0800, smallest 3-byte */
    U("\xed\x9f\xbf", true, 3),        /* U+D7FF, below the surrogates */
    U("\xee\x80\x80", true, 3),        /* U+E000, above them */
    U("\xef\xbf\xbf", true, 3),        /* U+FFFF */
    U("\xf0\x90\x80\x80", true, 4),    /* U+10000, smallest 4-byte */
    U("\xf4\x8f\xbf\xbf", true, 4),    /* U+10FFFF, the largest */
    U("h\xc3\xa9llo \xf0\x9f\x98\x80", true, 11),
    U("\x80", false, 0),               /* a lone continuation byte */
    U("\xbf", false, 0),
    U("\xc0\x80", false, 0),           /* overlong NUL */
    U("\xc1\xbf", false, 0),           /* overlong U+007F */
    U("\xe0\x80\x80", false, 0),       /* overlong 3-byte */
    U("\xe0\x9f\xbf", false, 0),       /* overlong U+07FF */
    U("\xf0\x80\x80\x80", false, 0),   /* overlong 4-byte */
    U("\xf0\x8f\xbf\xbf", false, 0),   /* overlong U+FFFF */
    U("\xed\xa0\x80", false, 0),       /* U+D800 */
    U("\xed\xbf\xbf", false, 0),       /* U+DFFF */
    U("\xed\xa0\x80\xed\xb0\x80", false, 0), /* a surrogate pair written as UTF-8 (CESU) */
    U("\xf4\x90\x80\x80", false, 0),   /* U+110000 */
    U("\xf5\x80\x80\x80", false, 0),
    U("\xf8\x88\x80\x80\x80", false, 0), /* old 5-byte form */
    U("\xfe", false, 0),
    U("\xff", false, 0),
    U("\xc3", false, 0),               /* truncated 2-byte */
    U("\xe2\x82", false, 0),           /* truncated 3-byte */
    U("\xf0\x9f\x98", false, 0),       /* truncated 4-byte */
    U("ab\xc3", false, 2),
    U("\xc3\x28", false, 0),           /* bad continuation */
    U("\xe2\x28\xa1", false, 0),
    U("\xf0\x9f\x28\x80", false, 0),
    U("ok\xe2\x82\xacok\xff!", false, 7),
};

static void test_utf8_validator(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof *utf8_cases; i++) {
        const utf8_case *c = &utf8_cases[i];
        if (vs_utf8_valid(c->bytes, c->len) != c->valid)
            fail_msg("case %zu: expected %s", i, c->valid ? "valid" : "invalid");
        if (vs_utf8_valid_prefix(c->bytes, c->len) != c->prefix)
            fail_msg("case %zu: prefix %zu, expected %zu", i,
                     vs_utf8_valid_prefix(c->bytes, c->len), c->prefix);
    }
    /* Every code point encodes to something the validator accepts, except surrogates. */
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        unsigned char u[4];
        size_t n;
        if (cp < 0x80)
            u[0] = (unsigned char)cp, n = 1;
        else if (cp < 0x800)
            u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
        else if (cp < 0x10000)
            u[0] = (unsigned char)(0xE0 | cp >> 12), u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)),
            u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
        else
            u[0] = (unsigned char)(0xF0 | cp >> 18), u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F)),
            u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F)),
            n = 4;
        bool want = cp < 0xD800 || cp > 0xDFFF;
        if (vs_utf8_valid((const char *)u, n) != want)
            fail_msg("U+%04X: expected %s", (unsigned)cp, want ? "valid" : "invalid");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_copy_is_independent),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_map_order_independent_of_insertion),
        cmocka_unit_test(test_map_set_replace_take),
        cmocka_unit_test(test_array_edits),
        cmocka_unit_test(test_ownership_on_failure),
        cmocka_unit_test(test_storable_errors),
        cmocka_unit_test(test_storable_canonical_order),
        cmocka_unit_test(test_storable_size_limit),
        cmocka_unit_test(test_utf8_validator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
