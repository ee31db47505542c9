/* test_retry.c: retry decisions for every class of DataStore code (the lists here are written from
 * PLATFORM.md, not taken from the table, and every table code must appear in one of them), the
 * attempt limits, policy defaults and validation, and the backoff: exact caps for known attempts,
 * no overflow up to attempt 1000 and beyond, jitter bounds and spread over many random words, and
 * the closing cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "core/ds_error.h"
#include "core/retry.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S 1000000LL /* one second in microseconds */
/* A policy in the order the tests think of it. */
#define P(base, max, attempts, closing_max, closing_attempts)                                    \
    ((vs_retry_policy){.base_us = (base), .max_us = (max), .max_attempts = (attempts),          \
                       .closing_max_us = (closing_max), .closing_max_attempts = (closing_attempts)})

static const int caller_codes[] = {101, 102, 103, 104, 105, 106, 107, 108, 109,
                                   509, 510, 511, 512, 513};
static const int transient_codes[] = {301, 302, 303, 304, 305, 306, 404,
                                      501, 502, 503, 504, 505, VS_DS_KeyThrottled};
static const int shutdown_codes[] = {401, 402};
static const int unknown_codes[] = {1, -1, 100, 110, 300, 307, 400, 403, 405, 500, 506, 508,
                                    514, 600, 602, 999, INT_MAX, INT_MIN};

/* A fixed stream of random words for the jitter tests (splitmix64). */
static uint64_t next_word(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static vs_retry_policy policy(vs_time_us base, vs_time_us max, int attempts, vs_time_us closing_max,
                              int closing_attempts)
{
    vs_retry_policy p = P(base, max, attempts, closing_max, closing_attempts);
    assert_int_equal(vs_retry_policy_check(&p, NULL), VS_OK);
    return p;
}

static bool in_list(const int *list, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == code)
            return true;
    return false;
}

/* ---- decisions ---- */

/* Every code the platform table knows is in exactly one of the lists above, so a new row cannot
 * slip in untested. */
static void test_lists_cover_the_table(void **state)
{
    (void)state;
#define CODE(code, name, cls, message) code,
    static const int table[] = {VS_DS_ERROR_TABLE(CODE)};
#undef CODE
    for (size_t i = 0; i < LEN(table); i++) {
        int in = in_list(caller_codes, LEN(caller_codes), table[i]) +
                 in_list(transient_codes, LEN(transient_codes), table[i]) +
                 in_list(shutdown_codes, LEN(shutdown_codes), table[i]);
        if (in != 1)
            fail_msg("code %d is in %d of the test's lists", table[i], in);
        assert_false(in_list(unknown_codes, LEN(unknown_codes), table[i]));
    }
}

static void test_success(void **state)
{
    (void)state;
    vs_retry_policy p = policy(500000, 30 * S, 3, S, 2);
    for (int closing = 0; closing < 2; closing++)
        for (int a = 0; a < 10; a++) {
            vs_retry_decision d = vs_retry_decide(&p, 0, a, closing);
            assert_int_equal(d.action, VS_RETRY_SUCCESS);
            assert_int_equal(d.cls, VS_DS_CLASS_OK);
            assert_false(d.unknown);
        }
}

static void test_caller_errors_never_retried(void **state)
{
    (void)state;
    vs_retry_policy unlimited = vs_retry_policy_default();
    vs_retry_policy limited = policy(500000, 30 * S, 3, S, 2);
    for (size_t i = 0; i < LEN(caller_codes); i++)
        for (int closing = 0; closing < 2; closing++)
            for (int a = 1; a <= 5; a++) {
                /* Even on the first attempt, and even below the attempt limit. */
                vs_retry_decision d = vs_retry_decide(&unlimited, caller_codes[i], a, closing);
                if (d.action != VS_RETRY_GIVE_UP_CALLER)
                    fail_msg("code %d attempt %d closing %d: %s", caller_codes[i], a, closing,
                             vs_retry_action_name(d.action));
                assert_int_equal(d.cls, VS_DS_CLASS_CALLER);
                assert_false(d.unknown);
                /* The class decides before the limit: a caller error is never "exhausted". */
                assert_int_equal(vs_retry_decide(&limited, caller_codes[i], a, closing).action,
                                 VS_RETRY_GIVE_UP_CALLER);
            }
}

static void test_transient_errors_retried(void **state)
{
    (void)state;
    vs_retry_policy p = vs_retry_policy_default();
    for (size_t i = 0; i < LEN(transient_codes); i++)
        for (int closing = 0; closing < 2; closing++)
            for (int a = 1; a <= 1000; a++) {
                vs_retry_decision d = vs_retry_decide(&p, transient_codes[i], a, closing);
                if (d.action != VS_RETRY_AGAIN)
                    fail_msg("code %d attempt %d closing %d: %s", transient_codes[i], a, closing,
                             vs_retry_action_name(d.action));
                assert_int_equal(d.cls, VS_DS_CLASS_TRANSIENT);
                assert_false(d.unknown);
            }
}

static void test_shutdown_gives_up(void **state)
{
    (void)state;
    vs_retry_policy p = vs_retry_policy_default();
    for (size_t i = 0; i < LEN(shutdown_codes); i++)
        for (int closing = 0; closing < 2; closing++) {
            /* Also when the engine has not heard yet that the server is closing. */
            vs_retry_decision d = vs_retry_decide(&p, shutdown_codes[i], 1, closing);
            assert_int_equal(d.action, VS_RETRY_GIVE_UP_SHUTDOWN);
            assert_int_equal(d.cls, VS_DS_CLASS_SHUTDOWN);
            assert_false(d.unknown);
        }
}

static void test_unknown_codes_retried_and_flagged(void **state)
{
    (void)state;
    vs_retry_policy unlimited = vs_retry_policy_default();
    vs_retry_policy limited = policy(500000, 30 * S, 2, S, 2);
    for (size_t i = 0; i < LEN(unknown_codes); i++) {
        vs_retry_decision d = vs_retry_decide(&unlimited, unknown_codes[i], 1, false);
        if (d.action != VS_RETRY_AGAIN || !d.unknown)
            fail_msg("code %d: %s unknown=%d", unknown_codes[i], vs_retry_action_name(d.action),
                     d.unknown);
        assert_int_equal(d.cls, VS_DS_CLASS_UNKNOWN);
        /* Still flagged when the limit ends it: the engine reports it either way. */
        d = vs_retry_decide(&limited, unknown_codes[i], 2, false);
        assert_int_equal(d.action, VS_RETRY_GIVE_UP_EXHAUSTED);
        assert_true(d.unknown);
    }
}

static void test_max_attempts(void **state)
{
    (void)state;
    vs_retry_policy p = policy(500000, 30 * S, 3, S, 0);
    int code = VS_DS_ServiceUnavailable;
    assert_int_equal(vs_retry_decide(&p, code, 1, false).action, VS_RETRY_AGAIN);
    assert_int_equal(vs_retry_decide(&p, code, 2, false).action, VS_RETRY_AGAIN);
    assert_int_equal(vs_retry_decide(&p, code, 3, false).action, VS_RETRY_GIVE_UP_EXHAUSTED);
    assert_int_equal(vs_retry_decide(&p, code, 4, false).action, VS_RETRY_GIVE_UP_EXHAUSTED);
    assert_int_equal(vs_retry_decide(&p, code, INT_MAX, false).action, VS_RETRY_GIVE_UP_EXHAUSTED);
    /* An attempt count below 1 counts as the first attempt. */
    assert_int_equal(vs_retry_decide(&p, code, 0, false).action, VS_RETRY_AGAIN);
    assert_int_equal(vs_retry_decide(&p, code, -5, false).action, VS_RETRY_AGAIN);

    /* One attempt in all: never retried. */
    vs_retry_policy once = policy(500000, 30 * S, 1, S, 1);
    assert_int_equal(vs_retry_decide(&once, code, 1, false).action, VS_RETRY_GIVE_UP_EXHAUSTED);
    assert_int_equal(vs_retry_decide(&once, code, 1, true).action, VS_RETRY_GIVE_UP_EXHAUSTED);
    assert_int_equal(vs_retry_decide(&once, code, 0, false).action, VS_RETRY_GIVE_UP_EXHAUSTED);

    /* While closing the closing limit applies: here none, so the close window bounds it. */
    assert_int_equal(vs_retry_decide(&p, code, 3, true).action, VS_RETRY_AGAIN);
    assert_int_equal(vs_retry_decide(&p, code, 1000, true).action, VS_RETRY_AGAIN);
    vs_retry_policy q = policy(500000, 30 * S, 0, S, 4);
    assert_int_equal(vs_retry_decide(&q, code, 3, true).action, VS_RETRY_AGAIN);
    assert_int_equal(vs_retry_decide(&q, code, 4, true).action, VS_RETRY_GIVE_UP_EXHAUSTED);
    assert_int_equal(vs_retry_decide(&q, code, 1000, false).action, VS_RETRY_AGAIN);
}

static void test_action_names(void **state)
{
    (void)state;
    assert_string_equal(vs_retry_action_name(VS_RETRY_SUCCESS), "success");
    assert_string_equal(vs_retry_action_name(VS_RETRY_AGAIN), "retry");
    assert_string_equal(vs_retry_action_name(VS_RETRY_GIVE_UP_CALLER), "give_up_caller");
    assert_string_equal(vs_retry_action_name(VS_RETRY_GIVE_UP_SHUTDOWN), "give_up_shutdown");
    assert_string_equal(vs_retry_action_name(VS_RETRY_GIVE_UP_EXHAUSTED), "give_up_exhausted");
    assert_string_equal(vs_retry_action_name(VS_RETRY_ACTION_COUNT), "unknown");
    assert_string_equal(vs_retry_action_name((vs_retry_action)-1), "unknown");
}

/* ---- policies ---- */

static void test_default_policy(void **state)
{
    (void)state;
    vs_retry_policy p = vs_retry_policy_default();
    assert_int_equal(p.base_us, 500000);
    assert_int_equal(p.max_us, 30 * S);
    assert_int_equal(p.max_attempts, 0);
    assert_int_equal(p.closing_max_us, S);
    assert_int_equal(p.closing_max_attempts, 0);
    const char *why = "untouched";
    assert_int_equal(vs_retry_policy_check(&p, &why), VS_OK);
    assert_null(why);

    /* The zero policy (a config that says nothing) becomes the default one. */
    vs_retry_policy zero = {0};
    vs_retry_policy filled = vs_retry_policy_with_defaults(&zero);
    assert_int_equal(filled.base_us, p.base_us);
    assert_int_equal(filled.max_us, p.max_us);
    assert_int_equal(filled.closing_max_us, p.closing_max_us);
    assert_int_equal(filled.max_attempts, p.max_attempts);
    assert_int_equal(filled.closing_max_attempts, p.closing_max_attempts);
    /* Fields that are set are kept. */
    vs_retry_policy some = {.base_us = 100000, .max_attempts = 7};
    filled = vs_retry_policy_with_defaults(&some);
    assert_int_equal(filled.base_us, 100000);
    assert_int_equal(filled.max_us, 30 * S);
    assert_int_equal(filled.max_attempts, 7);
    assert_int_equal(filled.closing_max_us, S);
    assert_int_equal(filled.closing_max_attempts, 0);
}

static void test_policy_check(void **state)
{
    (void)state;
    struct {
        vs_retry_policy p;
        const char *field; /* NULL: valid */
    } cases[] = {
        {P(1, 1, 0, 1, 0), NULL},
        {P(500000, 30 * S, 5, S, 3), NULL},
        {P(500000, 30 * S, 0, 60 * S, 0), NULL}, /* closing cap above max: no effect, allowed */
        {P(1, INT64_MAX, INT_MAX, INT64_MAX, INT_MAX), NULL},
        {P(0, 30 * S, 0, S, 0), "base_us"},
        {P(-1, 30 * S, 0, S, 0), "base_us"},
        {P(INT64_MIN, 30 * S, 0, S, 0), "base_us"},
        {P(500000, 499999, 0, S, 0), "max_us"},
        {P(500000, 0, 0, S, 0), "max_us"},
        {P(500000, 30 * S, 0, 0, 0), "closing_max_us"},
        {P(500000, 30 * S, 0, -S, 0), "closing_max_us"},
        {P(500000, 30 * S, -1, S, 0), "max_attempts"},
        {P(500000, 30 * S, 0, S, -1), "closing_max_attempts"},
    };
    for (size_t i = 0; i < LEN(cases); i++) {
        const char *why = NULL;
        vs_status st = vs_retry_policy_check(&cases[i].p, &why);
        if (!cases[i].field) {
            if (st != VS_OK)
                fail_msg("case %zu refused: %s", i, why);
            continue;
        }
        if (st != VS_ERR_ARG)
            fail_msg("case %zu (%s) accepted", i, cases[i].field);
        assert_non_null(why);
        /* The sentence names the field at fault (and not merely a longer name containing it). */
        const char *at = strstr(why, cases[i].field);
        if (!at || (at > why && at[-1] != ' '))
            fail_msg("case %zu: \"%s\" does not name %s", i, why, cases[i].field);
        assert_int_equal(vs_retry_policy_check(&cases[i].p, NULL), VS_ERR_ARG);
    }
}

/* ---- delays ---- */

/* With equal jitter the delay is in [cap/2, cap]: word 0 gives the floor and the word equal to
 * the range's width gives the top, so the caps can be read off exactly. */
static vs_time_us lowest(const vs_retry_policy *p, int retry, bool closing)
{
    return vs_retry_delay_us(p, retry, closing, 0);
}

static vs_time_us highest(const vs_retry_policy *p, int retry, bool closing)
{
    vs_time_us low = lowest(p, retry, closing);
    /* cap/2 rounded down: the cap is 2*low or 2*low+1; the top of the range is the cap. */
    vs_time_us a = vs_retry_delay_us(p, retry, closing, (uint64_t)low);
    vs_time_us b = vs_retry_delay_us(p, retry, closing, (uint64_t)low + 1);
    return a > b ? a : b;
}

static void test_delays_grow_to_the_cap(void **state)
{
    (void)state;
    vs_retry_policy p = vs_retry_policy_default();
    static const vs_time_us caps[] = {500000, S,      2 * S,  4 * S, 8 * S,
                                      16 * S, 30 * S, 30 * S, 30 * S};
    for (size_t i = 0; i < LEN(caps); i++) {
        int retry = (int)i + 1;
        if (lowest(&p, retry, false) != caps[i] / 2 || highest(&p, retry, false) != caps[i])
            fail_msg("retry %d: [%lld, %lld], want [%lld, %lld]", retry,
                     (long long)lowest(&p, retry, false), (long long)highest(&p, retry, false),
                     (long long)caps[i] / 2, (long long)caps[i]);
    }
    /* A retry number below 1 counts as the first retry. */
    assert_int_equal(highest(&p, 0, false), 500000);
    assert_int_equal(highest(&p, INT_MIN, false), 500000);
}

static void test_no_overflow_for_large_attempts(void **state)
{
    (void)state;
    vs_retry_policy ps[] = {
        vs_retry_policy_default(),
        policy(1, INT64_MAX, 0, INT64_MAX, 0),
        policy(3, INT64_MAX - 1, 0, 1, 0),
        policy(INT64_MAX, INT64_MAX, 0, INT64_MAX / 3, 0),
        policy(7, 7, 0, 7, 0),
        policy(1000, 1000 * S, 0, S, 0),
    };
    uint64_t words[] = {0, 1, UINT64_MAX, UINT64_MAX / 2, 0x8000000000000000ULL, 12345};
    for (size_t i = 0; i < LEN(ps); i++) {
        vs_time_us prev_low = 0;
        for (int retry = 1; retry <= 1100; retry++) {
            int r = retry > 1000 ? INT_MAX - (1100 - retry) : retry;
            vs_time_us low = lowest(&ps[i], r, false);
            assert_true(low >= prev_low); /* the floor never goes down */
            prev_low = low;
            for (size_t w = 0; w < LEN(words); w++) {
                vs_time_us d = vs_retry_delay_us(&ps[i], r, false, words[w]);
                if (d < ps[i].max_us / 2 && r > 200)
                    fail_msg("policy %zu retry %d: %lld is below the capped floor", i, r,
                             (long long)d);
                if (d < 0 || d > ps[i].max_us)
                    fail_msg("policy %zu retry %d: %lld outside [0, %lld]", i, r, (long long)d,
                             (long long)ps[i].max_us);
            }
        }
    }
    /* Exact values around the last doubling that fits: base 1 doubles up to 2^62, then caps. */
    assert_int_equal(highest(&ps[1], 63, false), 1LL << 62);
    assert_int_equal(highest(&ps[1], 64, false), INT64_MAX);
    assert_int_equal(highest(&ps[1], 1000, false), INT64_MAX);
    /* base 3: 3 * 2^61 still fits under INT64_MAX - 1, 3 * 2^62 would not: capped from 63. */
    assert_int_equal(highest(&ps[2], 62, false), 3LL << 61);
    assert_int_equal(highest(&ps[2], 63, false), INT64_MAX - 1);
}

static void test_jitter_bounds_and_spread(void **state)
{
    (void)state;
    vs_retry_policy p = vs_retry_policy_default();
    uint64_t seed = 42;
    enum { WORDS = 200000, BUCKETS = 10 };
    int retries[] = {1, 3, 6, 7, 50, 1000};
    for (size_t r = 0; r < LEN(retries); r++) {
        vs_time_us top = highest(&p, retries[r], false);
        vs_time_us low = top / 2;
        vs_time_us width = top - low;
        long buckets[BUCKETS] = {0};
        vs_time_us min = INT64_MAX, max = 0, first = -1;
        bool varied = false;
        for (int i = 0; i < WORDS; i++) {
            vs_time_us d = vs_retry_delay_us(&p, retries[r], false, next_word(&seed));
            if (d < low || d > top)
                fail_msg("retry %d: %lld outside [%lld, %lld]", retries[r], (long long)d,
                         (long long)low, (long long)top);
            if (first < 0)
                first = d;
            varied |= d != first;
            min = d < min ? d : min;
            max = d > max ? d : max;
            int b = (int)((d - low) * BUCKETS / (width + 1));
            buckets[b]++;
        }
        assert_true(varied);
        /* The range is used from end to end: within 0.1% of each bound. */
        assert_true(min - low <= width / 1000);
        assert_true(top - max <= width / 1000);
        /* Roughly uniform: every tenth of the range within 5% of its share. */
        for (int b = 0; b < BUCKETS; b++)
            if (buckets[b] < WORDS / BUCKETS * 95 / 100 || buckets[b] > WORDS / BUCKETS * 105 / 100)
                fail_msg("retry %d: bucket %d has %ld of %d", retries[r], b, buckets[b], WORDS);
    }
    /* Equal jitter keeps a floor: no delay is ever below half the cap (full jitter would give
     * delays near 0 about one time in ten here). */
    for (int i = 0; i < 10000; i++)
        assert_true(vs_retry_delay_us(&p, 1, false, next_word(&seed)) >= 250000);
}

static void test_closing_caps_the_delay(void **state)
{
    (void)state;
    vs_retry_policy p = vs_retry_policy_default();
    uint64_t seed = 7;
    for (int retry = 1; retry <= 1000; retry++)
        for (int i = 0; i < 20; i++) {
            vs_time_us d = vs_retry_delay_us(&p, retry, true, next_word(&seed));
            if (d < 0 || d > S)
                fail_msg("closing retry %d: %lld above the 1 s closing cap", retry, (long long)d);
        }
    /* Below the closing cap the backoff is unchanged; above it the closing cap is the cap. */
    assert_int_equal(highest(&p, 1, true), 500000);
    assert_int_equal(highest(&p, 2, true), S);
    assert_int_equal(highest(&p, 3, true), S);
    assert_int_equal(lowest(&p, 1000, true), S / 2);
    assert_int_equal(highest(&p, 3, false), 2 * S); /* and not closing, it is not */

    /* A closing cap below base caps even the first retry. */
    vs_retry_policy q = policy(500000, 30 * S, 0, 200000, 0);
    assert_int_equal(highest(&q, 1, true), 200000);
    assert_int_equal(highest(&q, 1, false), 500000);
    /* A closing cap above max never lengthens a wait. */
    vs_retry_policy r = policy(500000, 2 * S, 0, 60 * S, 0);
    assert_int_equal(highest(&r, 100, true), 2 * S);

    /* Enough tries in a 30 s close window: the worst case (every delay at the cap) still gives
     * a profile 30 retries. */
    vs_time_us spent = 0;
    int tries = 0;
    for (int retry = 1; spent + highest(&p, retry, true) <= 30 * S; retry++) {
        spent += highest(&p, retry, true);
        tries++;
    }
    assert_true(tries >= 30);
}

/* The functions assume a checked policy, but a bad one must still not give a negative delay (a
 * timer in the past) or undefined arithmetic. */
static void test_bad_policy_gives_no_negative_delay(void **state)
{
    (void)state;
    vs_retry_policy bad[] = {
        P(0, 0, 0, 0, 0), P(500000, -5, 0, S, 0), P(-1, 10, 0, 10, 0),
        P(INT64_MIN, INT64_MIN, 0, INT64_MIN, 0), P(500000, 30 * S, 0, -S, 0),
    };
    uint64_t words[] = {0, 1, UINT64_MAX};
    for (size_t i = 0; i < LEN(bad); i++)
        for (int retry = 1; retry < 100; retry++)
            for (int closing = 0; closing < 2; closing++)
                for (size_t w = 0; w < LEN(words); w++) {
                    vs_time_us d = vs_retry_delay_us(&bad[i], retry, closing, words[w]);
                    if (d < 0)
                        fail_msg("bad policy %zu retry %d: %lld", i, retry, (long long)d);
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_cover_the_table),
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_caller_errors_never_retried),
        cmocka_unit_test(test_transient_errors_retried),
        cmocka_unit_test(test_shutdown_gives_up),
        cmocka_unit_test(test_unknown_codes_retried_and_flagged),
        cmocka_unit_test(test_max_attempts),
        cmocka_unit_test(test_action_names),
        cmocka_unit_test(test_default_policy),
        cmocka_unit_test(test_policy_check),
        cmocka_unit_test(test_delays_grow_to_the_cap),
        cmocka_unit_test(test_no_overflow_for_large_attempts),
        cmocka_unit_test(test_jitter_bounds_and_spread),
        cmocka_unit_test(test_closing_caps_the_delay),
        cmocka_unit_test(test_bad_policy_gives_no_negative_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
