/* test_oracle_delivery.c: the exactly-once oracle passes a correct history (delivered, applied
 * with its receipt, receipts pruned, dead letters, an offline player's pending operation) and
 * fires on each violation: a receipt written twice, a duplicate let into the inbox after its
 * receipt, and an accepted operation that is nowhere at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "sim/oracle_delivery.h"

#define KEY "PlayerData\x1fPlayer_1"
#define KEY_LEN (sizeof KEY - 1)

static vs_value *final_doc; /* what stored() answers for KEY */

static const vs_value *stored(void *arg, const char *full_key)
{
    (void)arg;
    return strcmp(full_key, KEY) == 0 ? final_doc : NULL;
}

static vs_value *doc(const char *meta_json)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"data\":{\"Coins\":0},\"meta\":%s}", meta_json);
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(json, strlen(json), &v, NULL), VS_OK);
    return v;
}

static void commit(delivery_oracle *o, int t, const char *meta_json)
{
    vs_value *v = meta_json ? doc(meta_json) : NULL;
    delivery_oracle_commit(o, (int64_t)t * 1000000, 1, KEY, KEY_LEN, v);
    vs_free(v);
}

static void finish(delivery_oracle *o, const char *final_meta)
{
    final_doc = final_meta ? doc(final_meta) : NULL;
    delivery_oracle_finish(o, 100000000, stored, NULL);
    vs_free(final_doc);
    final_doc = NULL;
}

static void a_correct_history_passes(void **state)
{
    (void)state;
    delivery_oracle o;
    delivery_oracle_init(&o);
    commit(&o, 1, "{\"inbox\":[{\"id\":\"a\"}]}");
    delivery_oracle_accepted(&o, 1000000, KEY, "a");
    commit(&o, 2, "{\"inbox\":[{\"id\":\"a\"},{\"id\":\"b\"}]}");
    delivery_oracle_accepted(&o, 2000000, KEY, "b");
    commit(&o, 3, "{\"inbox\":[{\"id\":\"b\"}],\"receipts\":[\"a\"]}");        /* a applied */
    commit(&o, 4, "{\"inbox\":[],\"receipts\":[\"a\"],\"dead\":[{\"id\":\"b\"}]}"); /* b dead */
    commit(&o, 5, "{\"receipts\":[\"a\",\"c\"]}");
    commit(&o, 6, "{\"receipts\":[\"c\"]}");  /* a pruned: still remembered as applied */
    commit(&o, 7, "{\"receipts\":[\"c\"],\"inbox\":[{\"id\":\"d\"}]}");
    delivery_oracle_accepted(&o, 7000000, KEY, "d"); /* pending: the player is offline */
    finish(&o, "{\"receipts\":[\"c\"],\"inbox\":[{\"id\":\"d\"}],\"dead\":[{\"id\":\"b\"}]}");
    assert_int_equal(o.verdict.violations, 0);
    delivery_oracle_free(&o);
}

static void a_receipt_written_twice_fires(void **state)
{
    (void)state;
    delivery_oracle o;
    delivery_oracle_init(&o);
    commit(&o, 1, "{\"receipts\":[\"a\"]}");
    commit(&o, 2, "{\"receipts\":[]}");
    commit(&o, 3, "{\"receipts\":[\"a\"]}");
    assert_int_equal(o.verdict.violations, 1);
    assert_true(o.verdict.first_time_us == 3000000);
    assert_non_null(strstr(o.verdict.first, "key Player_1: server 1 committed operation a's receipt again: it was applied twice"));
    delivery_oracle_free(&o);
}

static void a_duplicate_let_in_fires(void **state)
{
    (void)state;
    delivery_oracle o;
    delivery_oracle_init(&o);
    commit(&o, 1, "{\"receipts\":[\"a\"]}");
    commit(&o, 2, "{\"receipts\":[\"a\"],\"inbox\":[{\"id\":\"a\"}]}");
    assert_int_equal(o.verdict.violations, 1);
    assert_non_null(strstr(o.verdict.first, "committed operation a into the inbox although its receipt was written before"));
    delivery_oracle_free(&o);
}

static void a_lost_operation_fires(void **state)
{
    (void)state;
    delivery_oracle o;
    delivery_oracle_init(&o);
    commit(&o, 1, "{\"inbox\":[{\"id\":\"a\"}]}");
    delivery_oracle_accepted(&o, 1500000, KEY, "a");
    commit(&o, 2, "{\"inbox\":[]}"); /* dropped without a receipt */
    finish(&o, "{\"inbox\":[]}");
    assert_int_equal(o.verdict.violations, 1);
    assert_non_null(strstr(o.verdict.first, "operation a was accepted at 1.500000s but is in none of the inbox, receipts "
                                    "and dead letters at the end: it was lost"));
    delivery_oracle_free(&o);
    /* ... and with no profile at all at the end. */
    delivery_oracle_init(&o);
    delivery_oracle_accepted(&o, 1000000, KEY, "z");
    finish(&o, NULL);
    assert_int_equal(o.verdict.violations, 1);
    delivery_oracle_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_correct_history_passes),
        cmocka_unit_test(a_receipt_written_twice_fires),
        cmocka_unit_test(a_duplicate_let_in_fires),
        cmocka_unit_test(a_lost_operation_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
