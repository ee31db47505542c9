/* test_json.c: canonical JSON: exact encodings, the strict decoder's refusals and where it
 * points, round-trip properties over generated values (seeded splitmix64, so every run
 * checks the same values), shortest number text, buffers, and the value hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/json.h"
#include "core/value.h"

/* ---- helpers ---- */

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

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Encodes v and compares with want, byte for byte. */
static void expect_encoding(const vs_value *v, const char *want, size_t want_len)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    if (b.len != want_len || memcmp(b.data, want, want_len) != 0)
        fail_msg("encoded \"%s\", expected \"%s\"", b.data, want);
    assert_int_equal(b.data[b.len], '\0');
    size_t len = 0;
    assert_int_equal(vs_json_encoded_len(v, &len), VS_OK);
    assert_int_equal(len, want_len);
    vs_buf_free(&b);
}

static vs_value *decode_ok(const char *text)
{
    vs_value *v = NULL;
    size_t off = 0;
    vs_status st = vs_json_decode(text, strlen(text), &v, &off);
    if (st != VS_OK)
        fail_msg("decoding \"%s\": %s at %zu", text, vs_status_name(st), off);
    return v;
}

/* ---- buffers ---- */

static void test_buf(void **state)
{
    (void)state;
    vs_buf b;
    vs_buf_init(&b);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.data[0], '\0');
    vs_buf_clear(&b);
    assert_int_equal(vs_buf_puts(&b, "ab"), VS_OK);
    assert_int_equal(vs_buf_append(&b, "c\0d", 3), VS_OK);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "abc\0d", 6);
    assert_int_equal(vs_buf_printf(&b, "[%d:%s]", 42, "x"), VS_OK);
    assert_memory_equal(b.data, "abc\0d[42:x]", 12);
    /* Longer than the first try's room. */
    char big[300];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(vs_buf_printf(&b, "<%s>", big), VS_OK);
    assert_int_equal(b.len, 11 + 301);
    assert_int_equal(b.data[b.len - 1], '>');
    assert_int_equal(b.data[b.len], '\0');
    vs_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(vs_buf_append(&b, NULL, 0), VS_OK);
    vs_buf_free(&b);
    vs_buf_free(&b); /* leaves an empty buffer, safe to free again */
    assert_int_equal(b.data[0], '\0');
}

/* ---- exact encodings ---- */

typedef struct number_case {
    double n;
    const char *text;
} number_case;

static void test_number_encodings(void **state)
{
    (void)state;
    const number_case cases[] = {
        {0.0, "0"},
        {-0.0, "-0"},
        {1, "1"},
        {-1, "-1"},
        {100, "100"},
        {123000, "123000"},
        {1.5, "1.5"},
        {-2.25, "-2.25"},
        {0.1, "0.1"},
        {0.5, "0.5"},
        {123.456, "123.456"},
        {0.001, "0.001"},
        {1e-6, "0.000001"},
        {1.5e-6, "0.0000015"},
        {1e-7, "1e-7"},
        {1.5e-7, "1.5e-7"},
        {1e20, "100000000000000000000"},
        {1.2345e20, "123450000000000000000"},
        {1e21, "1e+21"},
        {1.5e21, "1.5e+21"},
        {1e23, "1e+23"},
        {5e-324, "5e-324"},
        {-5e-324, "-5e-324"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {9007199254740992.0, "9007199254740992"},   /* 2^53 */
        {9007199254740993.0, "9007199254740992"},   /* rounds to 2^53 */
        {18014398509481984.0, "18014398509481984"}, /* 2^54 */
        {0.30000000000000004, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {123456789012.5, "123456789012.5"},
        {4.35, "4.35"},
        {1e300, "1e+300"},
        /* Powers of two where the shortest string is the upper neighbour of the nearest
         * 16-digit one (ECMAScript, Ryu and Python agree on these). */
        {5.9604644775390625e-8, "5.960464477539063e-8"},     /* 2^-24 */
        {6.3866889905111034e+293, "6.386688990511104e+293"}, /* 2^976 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        vs_buf b;
        vs_buf_init(&b);
        assert_int_equal(vs_json_number(cases[i].n, &b), VS_OK);
        if (strcmp(b.data, cases[i].text) != 0)
            fail_msg("case %zu: \"%s\", expected \"%s\"", i, b.data, cases[i].text);
        vs_buf_free(&b);
        vs_value *v = must(vs_new_number(cases[i].n));
        expect_encoding(v, cases[i].text, strlen(cases[i].text));
        vs_free(v);
    }
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_number(NAN, &b), VS_ERR_NOT_FINITE);
    assert_int_equal(vs_json_number(-INFINITY, &b), VS_ERR_NOT_FINITE);
    assert_int_equal(b.len, 0);
    vs_buf_free(&b);
}

static void test_structure_encodings(void **state)
{
    (void)state;
    vs_value *v = must(vs_new_nil());
    expect_encoding(v, "null", 4);
    vs_free(v);
    v = must(vs_new_bool(true));
    expect_encoding(v, "true", 4);
    vs_free(v);
    v = must(vs_new_bool(false));
    expect_encoding(v, "false", 5);
    vs_free(v);
    v = must(vs_new_array());
    expect_encoding(v, "[]", 2);
    vs_free(v);
    v = must(vs_new_map());
    expect_encoding(v, "{}", 2);
    vs_free(v);

    /* Keys come out sorted at every level, whatever the insertion order. */
    vs_value *inner = must(vs_new_map());
    set(inner, "z", vs_new_number(1));
    set(inner, "aa", vs_new_nil());
    set(inner, "a", vs_new_bool(false));
    vs_value *arr = must(vs_new_array());
    push(arr, vs_new_string("x"));
    push(arr, inner);
    push(arr, vs_new_array());
    v = must(vs_new_map());
    set(v, "b", arr);
    set(v, "B", vs_new_number(2));
    set(v, "", vs_new_map());
    set(v, "a", vs_new_number(0.25));
    const char *want = "{\"\":{},\"B\":2,\"a\":0.25,\"b\":[\"x\",{\"a\":false,\"aa\":null,\"z\":1},[]]}";
    expect_encoding(v, want, strlen(want));
    vs_free(v);
}

static void test_string_encodings(void **state)
{
    (void)state;
    const char raw[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\0z";
    const char want[] = "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u0000z\"";
    vs_value *v = must(vs_new_string_n(raw, sizeof raw - 1));
    expect_encoding(v, want, sizeof want - 1);
    vs_free(v);

    /* UTF-8 passes through untouched, in values and in keys. */
    const char *utf = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf";
    v = must(vs_new_map());
    set(v, utf, vs_new_string(utf));
    vs_buf want2;
    vs_buf_init(&want2);
    assert_int_equal(vs_buf_printf(&want2, "{\"%s\":\"%s\"}", utf, utf), VS_OK);
    expect_encoding(v, want2.data, want2.len);
    vs_buf_free(&want2);
    vs_free(v);

    /* vs_json_string escapes the same way but does not check UTF-8. */
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_string("a\xff\n", 3, &b), VS_OK);
    assert_string_equal(b.data, "\"a\xff\\n\"");
    vs_buf_free(&b);
}

static void test_encode_refuses_unstorable(void **state)
{
    (void)state;
    vs_value *bad[5];
    bad[0] = must(vs_new_number(NAN));
    bad[1] = must(vs_new_array());
    push(bad[1], vs_new_nil());
    bad[2] = must(vs_new_map());
    assert_int_equal(vs_map_set_int(bad[2], 1, vs_new_number(1)), VS_OK);
    set(bad[2], "x", vs_new_number(1));
    bad[3] = must(vs_new_string("\xc3"));
    bad[4] = must(vs_new_map());
    set(bad[4], "ok", vs_new_number(1));
    set(bad[4], "zz", vs_new_number(INFINITY));
    const vs_status want[] = {VS_ERR_NOT_FINITE, VS_ERR_ARRAY_HOLE, VS_ERR_MIXED_TABLE, VS_ERR_UTF8,
                              VS_ERR_NOT_FINITE};
    for (size_t i = 0; i < 5; i++) {
        vs_buf b;
        vs_buf_init(&b);
        assert_int_equal(vs_buf_puts(&b, "prefix"), VS_OK);
        assert_int_equal(vs_json_encode(bad[i], &b), want[i]);
        assert_int_equal(b.len, 6); /* out left as it was */
        assert_string_equal(b.data, "prefix");
        size_t len = 12345;
        assert_int_equal(vs_json_encoded_len(bad[i], &len), want[i]);
        uint64_t h = 0;
        assert_int_equal(vs_value_hash(bad[i], &h), want[i]);
        vs_buf_free(&b);
        vs_free(bad[i]);
    }
}

/* ---- decoding ---- */

static void test_decode_accepts(void **state)
{
    (void)state;
    vs_value *v = decode_ok(" \t\r\n{ \"b\" : [ 1 , -0 , 2.5e-3 , 1E2 , null , true ] ,"
                            " \"a\" : \"x\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\\u0000\" } \n");
    vs_value *b = vs_map_get(v, "b");
    assert_int_equal(vs_array_len(b), 6);
    assert_true(vs_number_of(vs_array_at(b, 0)) == 1);
    assert_int_equal(double_bits(vs_number_of(vs_array_at(b, 1))), double_bits(-0.0));
    assert_true(vs_number_of(vs_array_at(b, 2)) == 2.5e-3);
    assert_true(vs_number_of(vs_array_at(b, 3)) == 100);
    assert_int_equal(vs_type_of(vs_array_at(b, 4)), VS_NIL); /* a hole: storability is separate */
    assert_true(vs_bool_of(vs_array_at(b, 5)));
    size_t len;
    const char *s = vs_string_of(vs_map_get(v, "a"), &len);
    const char want[] = "x\xc3\xa9\xf0\x9f\x98\x80/\"\\\b\f\n\r\t";
    assert_int_equal(len, sizeof want); /* and the \u0000 */
    assert_memory_equal(s, want, sizeof want);
    assert_int_equal(vs_value_check_storable(v, 0, NULL), VS_ERR_ARRAY_HOLE);
    vs_free(v);

    v = decode_ok("1e-400"); /* underflow is not an error: it reads as zero */
    assert_true(vs_number_of(v) == 0);
    vs_free(v);
    v = decode_ok("\"\\uD83D\\uDE00\""); /* upper-case hex */
    assert_string_equal(vs_string_of(v, NULL), "\xf0\x9f\x98\x80");
    vs_free(v);
    v = decode_ok("-1.7976931348623157e308");
    assert_true(vs_number_of(v) == -1.7976931348623157e308);
    vs_free(v);
    v = decode_ok("{\"\":{}}");
    assert_int_equal(vs_type_of(vs_map_get(v, "")), VS_MAP);
    vs_free(v);

    /* The output pointer is NULL after a failure. */
    v = must(vs_new_nil());
    vs_value *keep = v;
    assert_int_equal(vs_json_decode("[", 1, &v, NULL), VS_ERR_JSON);
    assert_null(v);
    vs_free(keep);
}

typedef struct reject_case {
    const char *text;
    size_t len; /* 0: strlen */
    size_t offset;
} reject_case;

static void test_decode_rejects(void **state)
{
    (void)state;
    const reject_case cases[] = {
        {"", 0, 0},                                 /* empty input */
        {"   ", 0, 3},                              /* only white space */
        {"1 x", 0, 2},                              /* trailing garbage */
        {"[1]]", 0, 3},
        {"{} {}", 0, 3},
        {"01", 0, 1},                               /* leading zero */
        {"-01", 0, 2},
        {"[00]", 0, 2},
        {"+1", 0, 0},
        {".5", 0, 0},
        {"1.", 0, 2},
        {"1.e5", 0, 2},
        {"1e", 0, 2},
        {"1e+", 0, 3},
        {"-", 0, 1},
        {"0x10", 0, 1},
        {"nan", 0, 1},                              /* where it stops matching "null" */
        {"NaN", 0, 0},
        {"Infinity", 0, 0},
        {"-Infinity", 0, 1},
        {"1e400", 0, 0},                            /* overflows to infinity */
        {"[0, -1e400]", 0, 4},
        {"tru", 0, 3},
        {"nul", 0, 3},
        {"falsy", 0, 4},
        {"\"\\ud800\"", 0, 1},                      /* lone high surrogate */
        {"\"ab\\udc00\"", 0, 3},                    /* lone low surrogate */
        {"\"\\ud800\\u0041\"", 0, 1},               /* high followed by a non-surrogate */
        {"\"\\ud800\\ud800\"", 0, 1},
        {"\"\\ud800x\"", 0, 1},
        {"\"\\u12g4\"", 0, 5},
        {"\"\\u12", 0, 5},
        {"\"\\x\"", 0, 1},                          /* unknown escape */
        {"\"\\'\"", 0, 1},
        {"\"a\x01\"", 0, 2},                        /* raw control character */
        {"\"a\tb\"", 0, 2},
        {"\"a\nb\"", 0, 2},
        {"\"a\0b\"", 5, 2},                         /* raw NUL */
        {"\"abc", 0, 4},                            /* unterminated */
        {"\"\xff\"", 0, 1},                         /* invalid UTF-8 */
        {"\"ab\xc3\"", 0, 3},                       /* truncated sequence */
        {"\"\xc0\xaf\"", 0, 1},                     /* overlong */
        {"\"x\xed\xa0\x80\"", 0, 2},                /* a surrogate in raw UTF-8 */
        {"{\"\xf4\x90\x80\x80\":1}", 0, 2},         /* above U+10FFFF, in a key */
        {"{\"a\":1,\"a\":2}", 0, 7},                /* duplicate key */
        {"{\"a\":1,\"b\":{},\"\\u0061\":3}", 0, 14}, /* duplicate by escape */
        {"{\"a\":1,}", 0, 7},
        {"{\"a\" 1}", 0, 5},
        {"{a:1}", 0, 1},
        {"{,}", 0, 1},
        {"{\"a\":}", 0, 5},
        {"[1,]", 0, 3},
        {"[1 2]", 0, 3},
        {"[,1]", 0, 1},
        {"[", 0, 1},
        {"{", 0, 1},
        {"]", 0, 0},
        {"'a'", 0, 0},
        {"\xef\xbb\xbf{}", 0, 0},                   /* a byte-order mark is not white space */
        {"1\x0b", 0, 1},                            /* vertical tab is not white space */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        vs_value *v = NULL;
        size_t off = 9999;
        vs_status st = vs_json_decode(cases[i].text, len, &v, &off);
        if (st != VS_ERR_JSON || off != cases[i].offset)
            fail_msg("case %zu (%s): %s at %zu, expected VS_ERR_JSON at %zu", i, cases[i].text,
                     vs_status_name(st), off, cases[i].offset);
        assert_null(v);
    }
    assert_int_equal(vs_json_decode(NULL, 0, &(vs_value *){NULL}, NULL), VS_ERR_JSON);
    assert_int_equal(vs_json_decode("1", 1, NULL, NULL), VS_ERR_ARG);
}

/* Nesting: 512 levels are fine, 513 are refused where the 513th opens, and 10000 levels
 * (arrays or objects) are refused without exhausting the stack. */
static void test_decode_depth(void **state)
{
    (void)state;
    size_t n = 10000;
    char *text = malloc(2 * n * 6 + 2);
    assert_non_null(text);
    for (size_t depth = 511; depth <= 513; depth++) {
        memset(text, '[', depth);
        memset(text + depth, ']', depth);
        vs_value *v = NULL;
        size_t off = 0;
        vs_status st = vs_json_decode(text, 2 * depth, &v, &off);
        if (depth <= 512) {
            assert_int_equal(st, VS_OK);
            vs_free(v);
        } else {
            assert_int_equal(st, VS_ERR_JSON);
            assert_int_equal(off, 512);
        }
    }
    memset(text, '[', n);
    vs_value *v = NULL;
    size_t off = 0;
    assert_int_equal(vs_json_decode(text, n, &v, &off), VS_ERR_JSON);
    assert_int_equal(off, 512);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(text + len, "{\"a\":", 5);
        len += 5;
    }
    assert_int_equal(vs_json_decode(text, len, &v, &off), VS_ERR_JSON);
    assert_int_equal(off, 512 * 5);
    free(text);
}

/* ---- generated values ---- */

typedef struct gen {
    uint64_t state;
} gen;

/* splitmix64 (Steele, Lea, Flood): a fixed, portable sequence for a given seed. */
static uint64_t next(gen *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t below(gen *g, uint64_t n) { return next(g) % n; }

static const double special_doubles[] = {
    0.0, -0.0, 1, -1, 0.1, 0.5, 1e21, 1e-7, 1e-6, 1e20, 5e-324, -5e-324,
    2.2250738585072014e-308, 2.2250738585072009e-308, 1.7976931348623157e308,
    -1.7976931348623157e308, 9007199254740992.0, 9007199254740993.0, 4503599627370496.5,
    123.456, 1e23, 0.30000000000000004, 1e-323, 1e308, 999999999999999999999.0,
};

static double gen_double(gen *g)
{
    switch (below(g, 5)) {
    case 0:
        return special_doubles[below(g, sizeof special_doubles / sizeof *special_doubles)];
    case 1: /* a game-like integer */
        return (double)((int64_t)below(g, 2000001) - 1000000);
    case 2: /* a short decimal */
        return (double)((int64_t)below(g, 200001) - 100000) / (double)(1 + below(g, 1000));
    default:
        for (;;) {
            double d = bits_double(next(g));
            if (isfinite(d))
                return d;
        }
    }
}

static void put_code_point(vs_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F)),
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F)),
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    assert_int_equal(vs_buf_append(b, u, n), VS_OK);
}

/* Random valid UTF-8: ASCII, the characters JSON escapes, and 2-, 3- and 4-byte forms. */
static void gen_utf8(gen *g, vs_buf *b, size_t max_chars)
{
    static const char escaped[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f";
    vs_buf_clear(b);
    size_t n = (size_t)below(g, max_chars + 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        switch (below(g, 6)) {
        case 0: cp = (uint32_t)escaped[below(g, sizeof escaped - 1)]; break;
        case 1: cp = (uint32_t)below(g, 0x20); break; /* control characters, NUL too */
        case 2: cp = 0x80 + (uint32_t)below(g, 0x800 - 0x80); break;
        case 3:
            do
                cp = 0x800 + (uint32_t)below(g, 0x10000 - 0x800);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            break;
        case 4: cp = 0x10000 + (uint32_t)below(g, 0x110000 - 0x10000); break;
        default: cp = 0x20 + (uint32_t)below(g, 0x5F); break;
        }
        put_code_point(b, cp);
    }
}

/* A random storable tree: nil only where it is storable (map values, the root). */
static vs_value *gen_value(gen *g, int depth, bool in_array, vs_buf *scratch)
{
    int kinds = depth > 0 ? 6 : 4;
    for (;;) {
        switch (below(g, (uint64_t)kinds)) {
        case 0:
            if (in_array)
                continue;
            return must(vs_new_nil());
        case 1: return must(vs_new_bool(below(g, 2)));
        case 2: return must(vs_new_number(gen_double(g)));
        case 3:
            gen_utf8(g, scratch, 12);
            return must(vs_new_string_n(scratch->data, scratch->len));
        case 4: {
            vs_value *a = must(vs_new_array());
            size_t n = (size_t)below(g, 6);
            for (size_t i = 0; i < n; i++)
                push(a, gen_value(g, depth - 1, true, scratch));
            return a;
        }
        default: {
            vs_value *m = must(vs_new_map());
            size_t n = (size_t)below(g, 6);
            for (size_t i = 0; i < n; i++) {
                gen_utf8(g, scratch, 6);
                vs_buf key; /* the scratch buffer is reused by the value */
                vs_buf_init(&key);
                assert_int_equal(vs_buf_append(&key, scratch->data, scratch->len), VS_OK);
                vs_value *item = gen_value(g, depth - 1, false, scratch);
                assert_int_equal(vs_map_set_n(m, key.data, key.len, item), VS_OK);
                vs_buf_free(&key);
            }
            return m;
        }
        }
    }
}

static void test_round_trip_property(void **state)
{
    (void)state;
    gen g = {0x5EED0001u};
    vs_buf scratch, first, second;
    vs_buf_init(&scratch);
    vs_buf_init(&first);
    vs_buf_init(&second);
    const int count = 6000;
    for (int i = 0; i < count; i++) {
        vs_value *v = gen_value(&g, (int)below(&g, 6), false, &scratch);
        vs_buf_clear(&first);
        vs_buf_clear(&second);
        assert_int_equal(vs_json_encode(v, &first), VS_OK);
        size_t len = 0;
        assert_int_equal(vs_json_encoded_len(v, &len), VS_OK);
        assert_int_equal(len, first.len);

        vs_value *back = NULL;
        size_t off = 0;
        vs_status st = vs_json_decode(first.data, first.len, &back, &off);
        if (st != VS_OK)
            fail_msg("value %d: %s at %zu in %s", i, vs_status_name(st), off, first.data);
        if (!vs_equal(v, back))
            fail_msg("value %d: decode(encode(v)) != v for %s", i, first.data);
        assert_int_equal(vs_json_encode(back, &second), VS_OK);
        assert_int_equal(second.len, first.len);
        assert_memory_equal(second.data, first.data, first.len);

        uint64_t h1 = 0, h2 = 1;
        assert_int_equal(vs_value_hash(v, &h1), VS_OK);
        assert_int_equal(vs_value_hash(back, &h2), VS_OK);
        assert_int_equal(h1, h2);
        assert_int_equal(h1, XXH3_64bits(first.data, first.len));
        vs_free(back);
        vs_free(v);
    }
    vs_buf_free(&scratch);
    vs_buf_free(&first);
    vs_buf_free(&second);
}

/* Significant digits of a number text: the mantissa without sign, point, leading zeros
 * or trailing zeros ("0.00120" -> 2, "1200" -> 2, "1.5e-7" -> 2). */
static int significant_digits(const char *text)
{
    char digits[64];
    int k = 0;
    for (const char *p = text; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    int start = 0;
    while (start < k - 1 && digits[start] == '0')
        start++;
    while (k - 1 > start && digits[k - 1] == '0')
        k--;
    return k - start;
}

static void check_number(double d)
{
    char text[64];
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_number(d, &b), VS_OK);
    assert_true(b.len < sizeof text);
    memcpy(text, b.data, b.len + 1);
    vs_buf_free(&b);

    /* It reads back to the same bits, with the JSON decoder and with strtod. */
    if (double_bits(strtod(text, NULL)) != double_bits(d))
        fail_msg("%s does not read back as %.17g", text, d);
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(text, strlen(text), &v, NULL), VS_OK);
    assert_int_equal(double_bits(vs_number_of(v)), double_bits(d));
    vs_free(v);
    if (d == 0)
        return;

    /* No shorter precision reads back. */
    int k = significant_digits(text);
    for (int p = 1; p < k; p++) {
        char shorter[64];
        snprintf(shorter, sizeof shorter, "%.*e", p - 1, d);
        if (strtod(shorter, NULL) == d)
            fail_msg("%s has %d digits but %s reads back too", text, k, shorter);
        /* The upper neighbour in the last digit can read back where the nearest does not
         * (at powers of two); it must not be shorter either. */
        const char *e = strchr(shorter, 'e');
        unsigned long long m = 0;
        for (const char *q = shorter; q < e; q++)
            if (*q >= '0' && *q <= '9')
                m = m * 10 + (unsigned long long)(*q - '0');
        char up[64];
        snprintf(up, sizeof up, "%s%llue%d", d < 0 ? "-" : "", m + 1, atoi(e + 1) - (p - 1));
        if (strtod(up, NULL) == d)
            fail_msg("%s has %d digits but %s reads back too", text, k, up);
    }

    /* ECMAScript layout: exponent form exactly outside [1e-6, 1e21); no '+' or trailing
     * zero after a point; integers written out without a point. */
    double a = fabs(d);
    bool expo = strchr(text, 'e') != NULL;
    if (expo != (a < 1e-6 || a >= 1e21))
        fail_msg("%s: wrong layout for %.17g", text, d);
    const char *point = strchr(text, '.');
    const char *end = expo ? strchr(text, 'e') : text + strlen(text);
    if (point && end[-1] == '0')
        fail_msg("%s: trailing zero", text);
    if (!expo && strchr(text, '+'))
        fail_msg("%s: stray '+'", text);
    if (!expo && a == floor(a) && point)
        fail_msg("%s: integer with a point", text);
    if (expo && (text[d < 0] < '1' || text[d < 0] > '9'))
        fail_msg("%s: exponent form must start with a nonzero digit", text);
}

static void test_shortest_numbers_property(void **state)
{
    (void)state;
    gen g = {0xD0AB1E5u};
    for (size_t i = 0; i < sizeof special_doubles / sizeof *special_doubles; i++)
        check_number(special_doubles[i]);
    for (int e = -1074; e <= 1023; e++) /* every power of two: where shortest is subtle */
        check_number(ldexp(1.0, e));
    for (int i = 0; i < 200000; i++) {
        double d;
        if (i % 4 == 3) {
            d = gen_double(&g); /* integers and short decimals too */
        } else {
            do
                d = bits_double(next(&g));
            while (!isfinite(d));
        }
        check_number(d);
    }
}

/* ---- hash ---- */

static void test_hash(void **state)
{
    (void)state;
    /* Equal values built in different orders hash the same. */
    vs_value *a = must(vs_new_map()), *b = must(vs_new_map());
    set(a, "x", vs_new_number(1));
    set(a, "y", vs_new_string("two"));
    set(b, "y", vs_new_string("two"));
    set(b, "x", vs_new_number(1));
    uint64_t ha = 0, hb = 1;
    assert_int_equal(vs_value_hash(a, &ha), VS_OK);
    assert_int_equal(vs_value_hash(b, &hb), VS_OK);
    assert_int_equal(ha, hb);
    assert_int_equal(ha, XXH3_64bits("{\"x\":1,\"y\":\"two\"}", 17));

    /* A changed leaf, and a changed sign of zero, change it. */
    set(b, "x", vs_new_number(2));
    assert_int_equal(vs_value_hash(b, &hb), VS_OK);
    assert_int_not_equal(ha, hb);
    set(b, "x", vs_new_number(0.0));
    set(a, "x", vs_new_number(-0.0));
    assert_int_equal(vs_value_hash(a, &ha), VS_OK);
    assert_int_equal(vs_value_hash(b, &hb), VS_OK);
    assert_int_not_equal(ha, hb);

    /* Large values are streamed in chunks: the result is the one-shot hash of the text, for
     * many small pieces and for a single piece larger than a chunk. */
    vs_value *big = must(vs_new_array());
    for (int i = 0; i < 5000; i++)
        push(big, vs_new_number(i * 1.25));
    char *s = malloc(20000);
    assert_non_null(s);
    memset(s, 'w', 20000);
    push(big, vs_new_string_n(s, 20000));
    free(s);
    vs_buf text;
    vs_buf_init(&text);
    assert_int_equal(vs_json_encode(big, &text), VS_OK);
    assert_true(text.len > 40000);
    uint64_t hbig = 0;
    assert_int_equal(vs_value_hash(big, &hbig), VS_OK);
    assert_int_equal(hbig, XXH3_64bits(text.data, text.len));
    vs_buf_free(&text);

    /* Unstorable values are refused. */
    set(a, "bad", vs_new_number(NAN));
    assert_int_equal(vs_value_hash(a, &ha), VS_ERR_NOT_FINITE);
    vs_value *hole = must(vs_new_array());
    push(hole, vs_new_nil());
    assert_int_equal(vs_value_hash(hole, &ha), VS_ERR_ARRAY_HOLE);
    vs_free(a), vs_free(b), vs_free(big), vs_free(hole);
}

/* One walk gives what three did: the length, the hash, and a member's own hash, equal to
 * what vs_json_encoded_len and vs_value_hash give, whatever the chunk boundaries. */
static void test_digest(void **state)
{
    (void)state;
    /* a member longer than the hash's chunk, between two others */
    size_t big = 3 * 4096 + 17;
    char *text = malloc(big + 200);
    assert_non_null(text);
    int n = snprintf(text, 200, "{\"aaa\":[1,2,\"x\"],\"data\":{\"Coins\":5,\"Long\":\"");
    memset(text + n, 'y', big);
    snprintf(text + n + big, 200, "\"},\"meta\":{\"schema\":1}}");
    vs_value *doc = NULL;
    assert_int_equal(vs_json_decode(text, strlen(text), &doc, NULL), VS_OK);
    free(text);
    vs_json_digest d;
    assert_int_equal(vs_json_digest_of(doc, "data", &d), VS_OK);
    size_t len;
    uint64_t whole, data;
    assert_int_equal(vs_json_encoded_len(doc, &len), VS_OK);
    assert_int_equal(vs_value_hash(doc, &whole), VS_OK);
    assert_int_equal(vs_value_hash(vs_map_get(doc, "data"), &data), VS_OK);
    assert_int_equal(d.len, len);
    assert_true(d.hash == whole);
    assert_true(d.has_member);
    assert_true(d.member_hash == data);
    assert_true(d.member_hash != d.hash);
    /* no such member, or no member asked for: the same length and hash, no member hash */
    vs_json_digest none;
    assert_int_equal(vs_json_digest_of(doc, "nothere", &none), VS_OK);
    assert_false(none.has_member);
    assert_true(none.hash == whole && none.len == len && none.member_hash == 0);
    assert_int_equal(vs_json_digest_of(doc, NULL, &none), VS_OK);
    assert_false(none.has_member);
    assert_true(none.hash == whole);
    vs_free(doc);
    /* not a map: the member is not looked for */
    vs_value *num = must(vs_new_number(5));
    assert_int_equal(vs_json_digest_of(num, "data", &d), VS_OK);
    assert_false(d.has_member);
    assert_int_equal(d.len, 1);
    vs_free(num);
    /* not storable: fails, and says nothing */
    vs_value *bad = must(vs_new_map());
    assert_int_equal(vs_map_set(bad, "data", must(vs_new_number(NAN))), VS_OK);
    assert_int_equal(vs_json_digest_of(bad, "data", &d), VS_ERR_NOT_FINITE);
    assert_true(d.len == 0 && d.hash == 0 && !d.has_member && d.member_hash == 0);
    vs_free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_number_encodings),
        cmocka_unit_test(test_structure_encodings),
        cmocka_unit_test(test_string_encodings),
        cmocka_unit_test(test_encode_refuses_unstorable),
        cmocka_unit_test(test_decode_accepts),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_decode_depth),
        cmocka_unit_test(test_round_trip_property),
        cmocka_unit_test(test_shortest_numbers_property),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
