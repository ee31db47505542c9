/* test_runner.c: how the runner applies the scenario's own rules about the built-in checks:
 * must_fail passes a run exactly when its check fired, and checks_off silences a check that
 * would otherwise fail the run. The check made to fire is replication, by the unsafe engine
 * that sends private fields in the first snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scenarios/loader.h"
#include "scenarios/runner.h"

#define LEAKY                                                                                     \
    "name: t\nduration: 1m\n"                                                                     \
    "store: {name: S, template: {Coins: 0, Secret: x}, public: [Coins], unsafe: [snapshot_whole_profile]}\n" \
    "script:\n  - {at: 1s, join: {player: 1, server: 1}}\n"

static void run_text(const char *text, run_result *r)
{
    scenario *s = NULL;
    loader_error err;
    assert_int_equal(loader_load_text("inline.yaml", text, strlen(text), &s, &err), 0);
    assert_true(runner_run(s, 1, NULL, r));
    scenario_free(s);
}

static bool has(const run_result *r, const char *check)
{
    return run_result_has_failure(r, check);
}

static void must_fail_passes_only_when_its_check_fires(void **state)
{
    (void)state;
    run_result r;
    run_text(LEAKY "must_fail: {check: replication, why: the snapshot leaks}\n", &r);
    assert_true(run_result_passed(&r));
    run_result_free(&r);
    run_text(LEAKY "must_fail: {check: lease, why: it will not}\n", &r);
    assert_true(has(&r, "replication")); /* the other failures stay to explain it */
    assert_true(has(&r, "must_fail"));
    run_result_free(&r);
}

static void checks_off_silences_a_check(void **state)
{
    (void)state;
    run_result r;
    run_text(LEAKY "must_fail: {check: expect, why: nothing else fails}\n"
                   "checks_off: {replication: this test turns it off}\n", &r);
    assert_false(has(&r, "replication"));
    assert_true(has(&r, "must_fail"));
    assert_int_equal(r.failure_count, 1);
    run_result_free(&r);
}

static void checks_off_and_must_fail_of_one_check_are_refused(void **state)
{
    (void)state;
    const char *text = LEAKY "must_fail: {check: replication, why: a}\nchecks_off: {replication: b}\n";
    scenario *s = NULL;
    loader_error err;
    assert_int_not_equal(loader_load_text("inline.yaml", text, strlen(text), &s, &err), 0);
    char buf[2200];
    loader_error_format(&err, buf, sizeof buf);
    assert_non_null(strstr(buf, "check replication is both turned off ('checks_off') and expected to fire"));
    const char *bad = "name: t\nduration: 1m\nstore: {name: S, template: {}}\nscript: []\n"
                      "checks_off: {quiesce: no}\n";
    assert_int_not_equal(loader_load_text("inline.yaml", bad, strlen(bad), &s, &err), 0);
    loader_error_format(&err, buf, sizeof buf);
    assert_non_null(strstr(buf, "inline.yaml:5:14: 'quiesce' is not a check that can be turned off"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(must_fail_passes_only_when_its_check_fires),
        cmocka_unit_test(checks_off_silences_a_check),
        cmocka_unit_test(checks_off_and_must_fail_of_one_check_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
