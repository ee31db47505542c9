/* test_oracle_liveness.c: the liveness oracle's bound, whom it probes, and its judgements: a
 * load answered in time passes, a late, missing or failed one fires, a refusal for the data
 * (newer schema, invalid data) counts as answered; after the drain, a profile still leased or
 * with an untried operation fires, and a tried one (failed, waiting to be retried) passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "sim/oracle_liveness.h"

#define S 1000000LL

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    assert_int_equal(vs_json_decode(text, strlen(text), &v, NULL), VS_OK);
    return v;
}

static const char *const leased =
    "{\"data\":{},\"meta\":{\"lease\":{\"token\":\"t1\",\"generation\":3,\"owner\":\"server.1#1\"}}}";
static const char *const untried = "{\"data\":{},\"meta\":{\"inbox\":[{\"id\":\"op-1\",\"attempts\":0}]}}";
static const char *const tried = "{\"data\":{},\"meta\":{\"inbox\":[{\"id\":\"op-1\",\"attempts\":2}]}}";
static const char *const settled = "{\"data\":{},\"meta\":{\"inbox\":[],\"last_token\":\"t1\"}}";

static void the_bound_adds_lease_a_sixth_two_retry_waits_and_a_lost_answer(void **state)
{
    (void)state;
    vs_retry_policy retry = {.max_us = 8 * S};
    assert_int_equal(liveness_bound_us(90 * S, &retry, 30 * S), 90 * S + 15 * S + 16 * S + 30 * S);
}

static void only_a_profile_that_needs_a_session_is_probed(void **state)
{
    (void)state;
    const char *docs[] = {leased, untried, tried, settled};
    bool want[] = {true, true, true, false};
    for (size_t i = 0; i < 4; i++) {
        vs_value *doc = json(docs[i]);
        assert_int_equal(liveness_needs_probe(doc), want[i]);
        vs_free(doc);
    }
}

static void a_load_answered_in_time_passes_and_a_late_or_missing_one_fires(void **state)
{
    (void)state;
    oracle_verdict v = {0};
    liveness_probe p = {.player = 7, .server = 2, .joined_us = 100 * S, .answered = true,
                        .answered_us = 280 * S, .status = VS_OK};
    liveness_judge_load(&v, &p, 180 * S);
    assert_int_equal(v.violations, 0);
    p.answered_us = 280 * S + 1; /* one microsecond late */
    liveness_judge_load(&v, &p, 180 * S);
    assert_int_equal(v.violations, 1);
    assert_int_equal(v.first_time_us, 100 * S);
    assert_int_equal(v.first_player, 7);
    assert_string_equal(v.first, "player 7 joined server 2 after the heal and was not loaded within 180s (lease "
                                 "length, a sixth of it, two retry waits and a lost answer)");
    liveness_probe never = {.player = 8, .server = 1, .joined_us = 100 * S};
    liveness_judge_load(&v, &never, 180 * S);
    assert_int_equal(v.violations, 2);
}

static void a_refusal_for_the_data_counts_as_an_answer_and_another_failure_fires(void **state)
{
    (void)state;
    oracle_verdict v = {0};
    liveness_probe p = {.player = 7, .server = 1, .joined_us = 0, .answered = true, .answered_us = S,
                        .status = VS_ERR_SCHEMA_TOO_NEW};
    liveness_judge_load(&v, &p, 180 * S);
    p.status = VS_ERR_INVALID;
    liveness_judge_load(&v, &p, 180 * S);
    assert_int_equal(v.violations, 0);
    p.status = VS_ERR_UNAVAILABLE;
    snprintf(p.why, sizeof p.why, "the DataStore is not answering");
    liveness_judge_load(&v, &p, 180 * S);
    assert_int_equal(v.violations, 1);
    assert_non_null(strstr(v.first, "player 7 joined server 1 after the heal and the load failed: "));
    assert_non_null(strstr(v.first, ": the DataStore is not answering"));
}

static void after_the_drain_a_lease_or_an_untried_operation_fires(void **state)
{
    (void)state;
    liveness_probe p = {.player = 3, .server = 1, .answered = true, .status = VS_OK};
    const char *docs[] = {settled, tried, leased, untried};
    int64_t want[] = {0, 0, 1, 2};
    oracle_verdict v = {0};
    for (size_t i = 0; i < 4; i++) {
        vs_value *doc = json(docs[i]);
        liveness_judge_settled(&v, 400 * S, &p, doc);
        assert_int_equal(v.violations, want[i]);
        vs_free(doc);
    }
    assert_string_equal(v.first, "player 3's profile still holds a lease (owner server.1#1) after the probe "
                                 "session left and the world drained");
    oracle_verdict u = {0};
    vs_value *doc = json(untried);
    liveness_judge_settled(&u, 400 * S, &p, doc);
    assert_string_equal(u.first, "player 3's inbox still has 1 operation(s) no session tried, although the "
                                 "player was online after the heal");
    /* a probe that was never loaded was judged at its load; its profile is not judged again */
    p.status = VS_ERR_UNAVAILABLE;
    liveness_judge_settled(&u, 400 * S, &p, doc);
    liveness_judge_settled(&u, 400 * S, &p, NULL);
    assert_int_equal(u.violations, 1);
    vs_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_bound_adds_lease_a_sixth_two_retry_waits_and_a_lost_answer),
        cmocka_unit_test(only_a_profile_that_needs_a_session_is_probed),
        cmocka_unit_test(a_load_answered_in_time_passes_and_a_late_or_missing_one_fires),
        cmocka_unit_test(a_refusal_for_the_data_counts_as_an_answer_and_another_failure_fires),
        cmocka_unit_test(after_the_drain_a_lease_or_an_untried_operation_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
