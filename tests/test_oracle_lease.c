/* test_oracle_lease.c: the lease oracle passes a correct lease history (acquire, save, release,
 * takeover, deliveries by others, removal and re-creation) and fires on each kind of violation:
 * a generation going down, a foreign token at the acquired generation, and a data change by a
 * session that does not hold the lease; it explains the first one with time, server and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "sim/oracle_lease.h"
#include "tests/support/doc_hash.h"

#define KEY "PlayerData\x1fPlayer_1"
#define KEY_LEN (sizeof KEY - 1)

/* Commits the document written as JSON at time t (in seconds) from server. */
static void commit(lease_oracle *o, int t, int server, const char *json)
{
    vs_value *v = NULL;
    if (json)
        assert_int_equal(vs_json_decode(json, strlen(json), &v, NULL), VS_OK);
    uint64_t hash;
    assert_true(lease_oracle_commit(o, (int64_t)t * 1000000, server, KEY, KEY_LEN, v,
                                    doc_data_hash(v, &hash)));
    vs_free(v);
}

#define HELD(data, gen, tok) \
    "{\"data\":" data ",\"meta\":{\"generation\":" #gen ",\"lease\":{\"owner\":\"s\",\"token\":\"" tok \
    "\",\"generation\":" #gen ",\"renewals\":0}}}"
#define FREE(data, gen, last) "{\"data\":" data ",\"meta\":{\"generation\":" #gen ",\"last_token\":\"" last "\"}}"
#define HELD_INBOX(data, gen, tok) \
    "{\"data\":" data ",\"meta\":{\"generation\":" #gen ",\"inbox\":[{\"id\":\"r1\"}],\"lease\":{\"owner\":\"s\"," \
    "\"token\":\"" tok "\",\"generation\":" #gen ",\"renewals\":0}}}"

static void a_correct_history_passes(void **state)
{
    (void)state;
    lease_oracle o;
    lease_oracle_init(&o);
    assert_int_equal(lease_oracle_acquirer(&o, KEY, KEY_LEN), 0);
    commit(&o, 1, 1, HELD("{\"Coins\":0}", 1, "aaaa"));        /* server 1 acquires */
    commit(&o, 2, 1, HELD("{\"Coins\":5}", 1, "aaaa"));        /* saves */
    commit(&o, 3, 2, HELD_INBOX("{\"Coins\":5}", 1, "aaaa"));  /* server 2 delivers into the inbox */
    assert_int_equal(lease_oracle_acquirer(&o, KEY, KEY_LEN), 1); /* a delivery acquires nothing */
    commit(&o, 4, 1, FREE("{\"Coins\":9}", 1, "aaaa"));        /* releases with its last change */
    commit(&o, 5, 2, HELD("{\"Coins\":9}", 2, "bbbb"));        /* server 2 acquires */
    commit(&o, 6, 2, HELD("{\"Coins\":11}", 2, "bbbb"));
    assert_int_equal(lease_oracle_acquirer(&o, KEY, KEY_LEN), 2);
    commit(&o, 7, 3, HELD("{\"Coins\":11}", 3, "cccc"));       /* server 3 takes over a stale lease */
    commit(&o, 8, 3, HELD("{\"Coins\":12}", 3, "cccc"));
    assert_int_equal(lease_oracle_acquirer(&o, KEY, KEY_LEN), 3);
    commit(&o, 9, 3, NULL);                                    /* the profile is removed ... */
    assert_int_equal(lease_oracle_acquirer(&o, KEY, KEY_LEN), 0);
    commit(&o, 10, 1, HELD("{\"Coins\":0}", 1, "dddd"));       /* ... and created afresh */
    assert_int_equal(lease_oracle_acquirer(&o, KEY, KEY_LEN), 1);
    commit(&o, 11, 9, "{\"not\":\"a profile\"}");               /* not a profile document */
    assert_int_equal(o.verdict.violations, 0);
    assert_string_equal(o.verdict.first, "");
    lease_oracle_free(&o);
}

static void a_generation_going_down_fires(void **state)
{
    (void)state;
    lease_oracle o;
    lease_oracle_init(&o);
    commit(&o, 1, 1, HELD("{\"Coins\":0}", 1, "aaaa"));
    commit(&o, 2, 2, HELD("{\"Coins\":0}", 2, "bbbb"));
    commit(&o, 3, 1, HELD("{\"Coins\":7}", 1, "aaaa")); /* the old session saves its own lease */
    assert_int_equal(o.verdict.violations, 1);
    assert_true(o.verdict.first_time_us == 3000000);
    assert_non_null(strstr(o.verdict.first, "key Player_1: server 1 committed lease generation 1 after generation 2"));
    assert_non_null(strstr(o.verdict.first, "server 2 (token bbbb)"));
    lease_oracle_free(&o);
}

static void a_foreign_token_at_the_same_generation_fires(void **state)
{
    (void)state;
    lease_oracle o;
    lease_oracle_init(&o);
    commit(&o, 1, 1, HELD("{\"Coins\":0}", 4, "aaaa"));
    commit(&o, 2, 2, HELD("{\"Coins\":0}", 4, "bbbb")); /* a second acquirer without a new generation */
    assert_int_equal(o.verdict.violations, 1);
    assert_non_null(strstr(o.verdict.first, "lease held by token bbbb at generation 4, which server 1 acquired with token aaaa"));
    lease_oracle_free(&o);
}

static void a_data_change_without_the_lease_fires(void **state)
{
    (void)state;
    lease_oracle o;
    lease_oracle_init(&o);
    commit(&o, 1, 1, HELD("{\"Coins\":0}", 1, "aaaa"));
    commit(&o, 2, 2, HELD("{\"Coins\":50}", 1, "aaaa")); /* fine: judged by session token, not by server */
    assert_int_equal(o.verdict.violations, 0);
    commit(&o, 3, 1, FREE("{\"Coins\":50}", 1, "aaaa"));
    commit(&o, 4, 2, FREE("{\"Coins\":99}", 1, "zzzz")); /* a write after release by someone else */
    commit(&o, 5, 2, FREE("{\"Coins\":98}", 1, "zzzz"));
    assert_int_equal(o.verdict.violations, 2);
    assert_true(o.verdict.first_time_us == 4000000); /* the first is the one explained */
    assert_non_null(strstr(o.verdict.first, "server 2 changed the data at generation 1 without holding the lease"));
    lease_oracle_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_correct_history_passes),
        cmocka_unit_test(a_generation_going_down_fires),
        cmocka_unit_test(a_foreign_token_at_the_same_generation_fires),
        cmocka_unit_test(a_data_change_without_the_lease_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
