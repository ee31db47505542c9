/* test_determinism.c: the sweep's determinism self-check passes a run repeated as it was and
 * fires when the first run's fingerprint, event count or verdict does not match a second run
 * (here the first result is altered, as a nondeterministic build would alter it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/commands.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"

static const char SCENARIO[] =
    "name: t\nduration: 1m\nstore: {name: S, template: {Coins: 0}}\n"
    "script:\n  - {at: 1s, join: {player: 1, server: 1}}\n  - {at: 2s, add: {player: 1, path: Coins, value: 3}}\n";

static scenario *load(void)
{
    scenario *s = NULL;
    loader_error err;
    assert_int_equal(loader_load_text("inline.yaml", SCENARIO, strlen(SCENARIO), &s, &err), 0);
    return s;
}

static void a_repeated_run_passes(void **state)
{
    (void)state;
    scenario *s = load();
    run_result r;
    assert_true(runner_run(s, 7, NULL, &r));
    assert_true(run_result_passed(&r));
    cli_check_determinism(s, 7, false, &r);
    assert_true(run_result_passed(&r));
    run_result_free(&r);
    scenario_free(s);
}

static void a_different_fingerprint_or_count_fires(void **state)
{
    (void)state;
    scenario *s = load();
    run_result r;
    assert_true(runner_run(s, 7, NULL, &r));
    char kept[33];
    memcpy(kept, r.fingerprint, sizeof kept);
    r.fingerprint[0] = r.fingerprint[0] == '0' ? '1' : '0';
    cli_check_determinism(s, 7, false, &r);
    assert_int_equal(r.failure_count, 1);
    assert_string_equal(r.failures[0].check, "determinism");
    assert_non_null(strstr(r.failures[0].message, "a second run of seed 7 gave fingerprint"));
    assert_non_null(strstr(r.failures[0].message, kept));
    run_result_free(&r);
    assert_true(runner_run(s, 7, NULL, &r));
    r.events++;
    cli_check_determinism(s, 7, false, &r);
    assert_int_equal(r.failure_count, 1);
    run_result_free(&r);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_repeated_run_passes),
        cmocka_unit_test(a_different_fingerprint_or_count_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
