/* test_strmap.c: the hash table agrees with a reference over random operations, including
 * deletions that must not break probe runs, and walks keys in sorted order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/rng.h"
#include "sim/strmap.h"

static void basic_put_get_remove(void **state)
{
    strmap m;
    strmap_init(&m);
    int a = 1, b = 2;
    assert_null(strmap_get(&m, "x", 1));
    assert_true(strmap_put(&m, "x", 1, &a));
    assert_true(strmap_put(&m, "x\0y", 3, &b)); /* keys are byte strings */
    assert_ptr_equal(strmap_get(&m, "x", 1), &a);
    assert_ptr_equal(strmap_get(&m, "x\0y", 3), &b);
    assert_true(strmap_put(&m, "x", 1, &b)); /* replace */
    assert_int_equal(strmap_count(&m), 2);
    assert_ptr_equal(strmap_remove(&m, "x", 1), &b);
    assert_null(strmap_remove(&m, "x", 1));
    assert_int_equal(strmap_count(&m), 1);
    strmap_free(&m);
}

static void agrees_with_reference(void **state)
{
    enum { KEYS = 300, OPS = 50000 };
    strmap m;
    strmap_init(&m);
    int present[KEYS] = {0};
    int values[KEYS];
    rng r;
    rng_seed(&r, 17, "strmap-test");
    char key[16];
    for (int op = 0; op < OPS; op++) {
        int k = (int)rng_below(&r, KEYS);
        int len = snprintf(key, sizeof key, "k%d", k);
        if (rng_below(&r, 2)) {
            values[k] = op;
            assert_true(strmap_put(&m, key, (size_t)len, &values[k]));
            present[k] = 1;
        } else {
            void *got = strmap_remove(&m, key, (size_t)len);
            assert_true((got != NULL) == present[k]);
            present[k] = 0;
        }
        /* every key answers as the reference says */
        if (op % 97 == 0) {
            size_t count = 0;
            for (int j = 0; j < KEYS; j++) {
                len = snprintf(key, sizeof key, "k%d", j);
                void *got = strmap_get(&m, key, (size_t)len);
                assert_true((got != NULL) == present[j]);
                if (present[j])
                    assert_ptr_equal(got, &values[j]);
                count += present[j];
            }
            assert_int_equal(strmap_count(&m), count);
        }
    }
    strmap_free(&m);
}

static void sorted_entries_are_sorted_bytewise(void **state)
{
    strmap m;
    strmap_init(&m);
    const char *keys[] = {"b", "a", "ab", "", "B", "aa"};
    for (size_t i = 0; i < 6; i++)
        assert_true(strmap_put(&m, keys[i], strlen(keys[i]), (void *)keys[i]));
    const strmap_entry **e = strmap_sorted_entries(&m);
    const char *want[] = {"", "B", "a", "aa", "ab", "b"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(e[i]->key, want[i]);
    free(e);
    strmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_put_get_remove),
        cmocka_unit_test(agrees_with_reference),
        cmocka_unit_test(sorted_entries_are_sorted_bytewise),
    };
    return cmocka_run_group_tests_name("strmap", tests, NULL, NULL);
}
