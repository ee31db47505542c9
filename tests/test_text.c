/* test_text.c: message text: clipping at character boundaries, with printf formatting, and
 * values as messages show them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/text.h"

static vs_value *must(vs_value *v)
{
    assert_non_null(v);
    return v;
}

/* Clipping never splits a character, always terminates, and says it cut. */
static void test_clip(void **state)
{
    (void)state;
    char buf[8];
    vs_text_clip(buf, sizeof buf, "short", 5);
    assert_string_equal(buf, "short");
    vs_text_clip(buf, sizeof buf, "exactly", 7); /* 7 bytes fit in 8 */
    assert_string_equal(buf, "exactly");
    vs_text_clip(buf, sizeof buf, "too long!", 9);
    assert_string_equal(buf, "too ...");
    /* "ab" then é (2 bytes) then "cdef": a cut at byte 4 would split é. */
    vs_text_clip(buf, sizeof buf, "ab\xc3\xa9" "cdef", 8);
    assert_string_equal(buf, "ab\xc3\xa9...");
    vs_text_clip(buf, sizeof buf, "abc\xc3\xa9" "def", 9);
    assert_string_equal(buf, "abc...");
    vs_text_clip(buf, 3, "abcdef", 6);
    assert_string_equal(buf, "ab");
    vs_text_clip(buf, 1, "abcdef", 6);
    assert_string_equal(buf, "");
    vs_text_clip(buf, sizeof buf, NULL, 3);
    assert_string_equal(buf, "");
    assert_int_equal(vs_text_clipf(buf, sizeof buf, VS_ERR_TYPE, "n=%d%s", 12345, "6789"),
                     VS_ERR_TYPE);
    assert_string_equal(buf, "n=12...");
    assert_int_equal(vs_text_clipf(NULL, 0, VS_ERR_ARG, "x"), VS_ERR_ARG);
}

/* Values as messages show them: JSON clipped with "..." to the buffer, "nothing", a word for
 * a number JSON cannot hold, or why a value is not storable. */
static void test_value(void **state)
{
    (void)state;
    char buf[64];
    vs_text_value(NULL, buf, sizeof buf);
    assert_string_equal(buf, "nothing");
    vs_value *v = must(vs_new_string("abcdefghij"));
    vs_text_value(v, buf, sizeof buf);
    assert_string_equal(buf, "\"abcdefghij\"");
    vs_text_value(v, buf, 13); /* 12 bytes fit in 13: whole */
    assert_string_equal(buf, "\"abcdefghij\"");
    vs_text_value(v, buf, 9);
    assert_string_equal(buf, "\"abcd...");
    vs_free(v);
    v = must(vs_new_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9")); /* never cut inside a character */
    vs_text_value(v, buf, 8);
    assert_string_equal(buf, "\"\xc3\xa9...");
    vs_free(v);
    v = must(vs_new_number(NAN));
    vs_text_value(v, buf, sizeof buf);
    assert_string_equal(buf, "nan");
    vs_free(v);
    v = must(vs_new_number(-INFINITY));
    vs_text_value(v, buf, sizeof buf);
    assert_string_equal(buf, "-inf");
    vs_free(v);
    v = must(vs_new_map()); /* a map with a NaN inside has no JSON */
    assert_int_equal(vs_map_set(v, "x", must(vs_new_number(NAN))), VS_OK);
    char long_buf[160];
    vs_text_value(v, long_buf, sizeof long_buf);
    assert_string_equal(long_buf, "a map that is not storable (NaN and infinities are not storable)");
    vs_free(v);
    vs_text_value(NULL, buf, 0); /* nothing to write into: nothing happens */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
