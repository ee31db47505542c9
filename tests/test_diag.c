/* test_diag.c: the critical state's rules as diag.h states them: entered by the Nth error inside
 * the window and not before, never by errors spread wider than the window (the boundary included),
 * left exactly a full window after entering once the last window holds fewer than N errors (and
 * not earlier, even when the count already dropped), robust to clocks set back and to extreme
 * readings, and correct after the ring has wrapped many times. Also the event table: the old rows
 * first and in order, the new rows present, and which event goes with what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/diag.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S 1000000LL

static vs_critical make(int threshold, vs_time_us window_us)
{
    vs_critical c;
    assert_int_equal(vs_critical_init(&c, threshold, window_us), VS_OK);
    return c;
}

/* Notes an error that must not change the state. */
static void quiet_error(vs_critical *c, vs_time_us t)
{
    bool was = vs_critical_is_on(c);
    vs_critical_transition tr = vs_critical_note_error(c, t);
    if (tr != VS_CRITICAL_NONE || vs_critical_is_on(c) != was)
        fail_msg("error at %lld: transition %d, on %d -> %d", (long long)t, tr, was,
                 vs_critical_is_on(c));
}

static void quiet_poll(vs_critical *c, vs_time_us t)
{
    bool was = vs_critical_is_on(c);
    vs_critical_transition tr = vs_critical_poll(c, t);
    if (tr != VS_CRITICAL_NONE || vs_critical_is_on(c) != was)
        fail_msg("poll at %lld: transition %d, on %d -> %d", (long long)t, tr, was,
                 vs_critical_is_on(c));
}

static void test_init(void **state)
{
    (void)state;
    vs_critical c = make(0, 0);
    assert_int_equal(c.threshold, VS_CRITICAL_DEFAULT_THRESHOLD);
    assert_int_equal(c.window_us, VS_CRITICAL_DEFAULT_WINDOW_US);
    assert_int_equal(VS_CRITICAL_DEFAULT_THRESHOLD, 5);
    assert_int_equal(VS_CRITICAL_DEFAULT_WINDOW_US, 60 * S);
    assert_false(vs_critical_is_on(&c));
    assert_int_equal(vs_critical_leave_delay_us(&c), -1);

    c = make(VS_CRITICAL_MAX_THRESHOLD, 1);
    assert_int_equal(c.threshold, VS_CRITICAL_MAX_THRESHOLD);
    assert_int_equal(c.window_us, 1);

    /* Bad arguments are refused, and the struct is still usable with the defaults. */
    int bad_thresholds[] = {-1, VS_CRITICAL_MAX_THRESHOLD + 1, 1000000};
    for (size_t i = 0; i < LEN(bad_thresholds); i++) {
        memset(&c, 0xa5, sizeof c);
        assert_int_equal(vs_critical_init(&c, bad_thresholds[i], 10 * S), VS_ERR_ARG);
        assert_int_equal(c.threshold, VS_CRITICAL_DEFAULT_THRESHOLD);
        assert_int_equal(c.window_us, VS_CRITICAL_DEFAULT_WINDOW_US);
        assert_false(vs_critical_is_on(&c));
    }
    memset(&c, 0xa5, sizeof c);
    assert_int_equal(vs_critical_init(&c, 3, -1), VS_ERR_ARG);
    assert_int_equal(c.threshold, VS_CRITICAL_DEFAULT_THRESHOLD);
    for (int i = 0; i < 4; i++)
        quiet_error(&c, i);
    assert_int_equal(vs_critical_note_error(&c, 4), VS_CRITICAL_ENTERED);
}

static void test_enters_at_the_nth_error(void **state)
{
    (void)state;
    for (int n = 1; n <= VS_CRITICAL_MAX_THRESHOLD; n++) {
        vs_critical c = make(n, 60 * S);
        /* n errors a second apart fit a 60 s window up to n = 60; beyond, they are spaced so
         * that n of them still span less than the window. */
        vs_time_us gap = n <= 60 ? S : 60 * S / n;
        for (int i = 0; i < n - 1; i++) {
            quiet_error(&c, 1000 * S + i * gap);
            quiet_poll(&c, 1000 * S + i * gap);
        }
        assert_int_equal(vs_critical_note_error(&c, 1000 * S + (n - 1) * gap), VS_CRITICAL_ENTERED);
        assert_true(vs_critical_is_on(&c));
        /* More errors while on are no new transition. */
        quiet_error(&c, 1000 * S + n * gap);
        quiet_error(&c, 1000 * S + n * gap);
    }
}

/* "Within the window" means a span shorter than the window. */
static void test_window_boundary(void **state)
{
    (void)state;
    vs_critical c = make(5, 60 * S);
    vs_time_us at[] = {0, 15 * S, 30 * S, 45 * S, 60 * S};
    for (size_t i = 0; i < LEN(at); i++)
        quiet_error(&c, at[i]);
    assert_false(vs_critical_is_on(&c));

    c = make(5, 60 * S);
    at[4] = 60 * S - 1;
    for (size_t i = 0; i < 4; i++)
        quiet_error(&c, at[i]);
    assert_int_equal(vs_critical_note_error(&c, at[4]), VS_CRITICAL_ENTERED);

    /* Many errors at the same instant: span 0. */
    c = make(3, 1);
    quiet_error(&c, 7);
    quiet_error(&c, 7);
    assert_int_equal(vs_critical_note_error(&c, 7), VS_CRITICAL_ENTERED);
}

static void test_spread_errors_never_enter(void **state)
{
    (void)state;
    /* Exactly at the boundary, for a long time: every N consecutive errors span the window. */
    vs_critical c = make(5, 60 * S);
    for (int i = 0; i < 10000; i++) {
        quiet_error(&c, (vs_time_us)i * 15 * S);
        quiet_poll(&c, (vs_time_us)i * 15 * S + 1);
    }
    /* Irregular gaps, bursts of two errors 1 us apart: any N - 1 = 3 consecutive gaps sum to
     * the window exactly (1 + (W - 2) + 1) or more, so N errors never span less than W. */
    c = make(4, 30 * S);
    vs_time_us t = 0;
    vs_time_us gaps[] = {1, 30 * S - 2, 1, 30 * S - 2};
    for (int i = 0; i < 10000; i++) {
        quiet_error(&c, t);
        t += gaps[i % 4];
    }
    /* The same pattern one microsecond tighter does enter (once: nothing polls it off). */
    c = make(4, 30 * S);
    t = 0;
    vs_time_us tighter[] = {1, 30 * S - 3, 1, 30 * S - 3};
    int entered = 0;
    for (int i = 0; i < 100; i++) {
        entered += vs_critical_note_error(&c, t) == VS_CRITICAL_ENTERED;
        t += tighter[i % 4];
    }
    assert_int_equal(entered, 1);
}

/* With no more errors, the state is left exactly a window after entering. */
static void test_leaves_a_window_after_entering(void **state)
{
    (void)state;
    vs_critical c = make(5, 60 * S);
    for (int i = 0; i < 5; i++)
        vs_critical_note_error(&c, i * 10 * S); /* enters at 40 s */
    assert_true(vs_critical_is_on(&c));
    assert_int_equal(vs_critical_leave_delay_us(&c), 60 * S);
    quiet_poll(&c, 41 * S);
    assert_int_equal(vs_critical_leave_delay_us(&c), 59 * S);
    quiet_poll(&c, 100 * S - 1);
    assert_int_equal(vs_critical_leave_delay_us(&c), 1);
    assert_int_equal(vs_critical_poll(&c, 100 * S), VS_CRITICAL_LEFT);
    assert_false(vs_critical_is_on(&c));
    assert_int_equal(vs_critical_leave_delay_us(&c), -1);
    quiet_poll(&c, 200 * S);
    /* A late poll leaves too, once. */
    c = make(2, 10 * S);
    vs_critical_note_error(&c, 0);
    assert_int_equal(vs_critical_note_error(&c, 0), VS_CRITICAL_ENTERED);
    assert_int_equal(vs_critical_poll(&c, 1000 * S), VS_CRITICAL_LEFT);
    quiet_poll(&c, 1000 * S);
    /* Only a poll leaves: an error noted after the leave fell due keeps the state on (it counts
     * in the window), and the delay says the leave is due now. */
    c = make(5, 60 * S);
    for (int i = 0; i < 5; i++)
        vs_critical_note_error(&c, i * S);
    assert_true(vs_critical_is_on(&c));
    quiet_error(&c, 200 * S);
    assert_int_equal(vs_critical_leave_delay_us(&c), 0);
    assert_int_equal(vs_critical_poll(&c, 200 * S), VS_CRITICAL_LEFT);
}

/* Not earlier than a window after entering, even when the last window already holds fewer than N
 * errors (the rule that would leave then would flap at a steady error rate). */
static void test_no_early_leave(void **state)
{
    (void)state;
    vs_critical c = make(5, 60 * S);
    for (int i = 0; i < 4; i++)
        quiet_error(&c, i * S);
    assert_int_equal(vs_critical_note_error(&c, 4 * S), VS_CRITICAL_ENTERED);
    /* At 61 s the last window (1 s, 61 s] holds 3 errors, but only 57 s passed since entering. */
    quiet_poll(&c, 61 * S);
    quiet_error(&c, 62 * S);
    quiet_poll(&c, 64 * S - 1);
    /* At 64 s the window (4 s, 64 s] holds one error. */
    assert_int_equal(vs_critical_poll(&c, 64 * S), VS_CRITICAL_LEFT);
    /* Leaving forgets nothing: re-entering still needs the last N errors within a window. The
     * last five are 2, 3, 4, 62, 65 s, then 3..66, then 4..67 (each spanning 63 s), then 62..68. */
    quiet_error(&c, 65 * S);
    quiet_error(&c, 66 * S);
    quiet_error(&c, 67 * S);
    assert_int_equal(vs_critical_note_error(&c, 68 * S), VS_CRITICAL_ENTERED);
}

/* Errors that keep coming at N per window keep it on; when they slow down, it is left by the
 * rule: a window after max(entering, the Nth most recent error). */
static void test_stays_while_errors_continue(void **state)
{
    (void)state;
    vs_critical c = make(5, 60 * S);
    for (int i = 0; i < 4; i++)
        quiet_error(&c, i * 10 * S);
    assert_int_equal(vs_critical_note_error(&c, 40 * S), VS_CRITICAL_ENTERED);
    /* Every 12 s: five errors span 48 s, always inside the window. */
    vs_time_us t = 40 * S;
    for (int i = 0; i < 500; i++) {
        t += 12 * S;
        quiet_error(&c, t);
        quiet_poll(&c, t + 6 * S);
        assert_true(vs_critical_leave_delay_us(&c) > 0);
    }
    /* Then the errors slow down: one at t+10 s. The five most recent are t-36, t-24, t-12, t and
     * t+10 s; the window ending at t+24 s, (t-36, t+24], holds four: due then, 14 s after the
     * last reading. */
    quiet_error(&c, t + 10 * S);
    assert_int_equal(vs_critical_leave_delay_us(&c), 14 * S);
    quiet_poll(&c, t + 24 * S - 1);
    assert_int_equal(vs_critical_poll(&c, t + 24 * S), VS_CRITICAL_LEFT);
}

static void test_threshold_one(void **state)
{
    (void)state;
    /* With N = 1 the rule reads: entered by any error, left a window after the last one. */
    vs_critical c = make(1, 10 * S);
    assert_int_equal(vs_critical_note_error(&c, 0), VS_CRITICAL_ENTERED);
    quiet_error(&c, 5 * S);
    quiet_poll(&c, 15 * S - 1);
    assert_int_equal(vs_critical_poll(&c, 15 * S), VS_CRITICAL_LEFT);
    assert_int_equal(vs_critical_note_error(&c, 15 * S), VS_CRITICAL_ENTERED);
}

/* A clock set back: no time passes across the step, and time runs on from the new reading. */
static void test_clock_set_back(void **state)
{
    (void)state;
    /* Three errors 20 s apart, the clock set back an hour, two more 20 s apart: five errors over
     * 80 s of time as the module counts it, so a 60 s window is not entered. Raw readings (3600,
     * 3620, 3640, 20, 40 s) would put the last five inside any window (40 - 3600 < 60); a clock
     * that waits to catch up would put all of the last three at 3640 s (span 40 s). */
    vs_critical c = make(5, 60 * S);
    quiet_error(&c, 3600 * S + 0);
    quiet_error(&c, 3600 * S + 20 * S);
    quiet_error(&c, 3600 * S + 40 * S);
    quiet_poll(&c, 0); /* the step back: no time */
    quiet_error(&c, 20 * S);
    quiet_error(&c, 40 * S);
    assert_false(vs_critical_is_on(&c));

    /* Entered, then the clock is set back an hour: the state is left a window of real time later,
     * not an hour later and not at once. */
    c = make(3, 60 * S);
    quiet_error(&c, 7200 * S);
    quiet_error(&c, 7201 * S);
    assert_int_equal(vs_critical_note_error(&c, 7202 * S), VS_CRITICAL_ENTERED);
    quiet_poll(&c, 7230 * S);          /* 28 s after entering */
    quiet_poll(&c, 3600 * S);          /* set back an hour: still 28 s */
    assert_int_equal(vs_critical_leave_delay_us(&c), 32 * S);
    quiet_poll(&c, 3600 * S + 32 * S - 1);
    assert_int_equal(vs_critical_poll(&c, 3600 * S + 32 * S), VS_CRITICAL_LEFT);

    /* Set back by a lot, repeatedly, while errors come fast: it still enters on real closeness. */
    c = make(4, 10 * S);
    quiet_error(&c, 1000 * S);
    quiet_error(&c, 500 * S);
    quiet_error(&c, 0);
    assert_int_equal(vs_critical_note_error(&c, -1000 * S), VS_CRITICAL_ENTERED);
}

static void test_extreme_readings(void **state)
{
    (void)state;
    /* Any int64 reading, in any order, without overflow (the sanitizers check) or a stuck state. */
    vs_critical c = make(2, 10 * S);
    vs_critical_note_error(&c, INT64_MIN);
    assert_int_equal(vs_critical_note_error(&c, INT64_MIN), VS_CRITICAL_ENTERED);
    /* A jump from INT64_MIN to INT64_MAX counts as that much time: left. */
    assert_int_equal(vs_critical_poll(&c, INT64_MAX), VS_CRITICAL_LEFT);
    /* Effective time has saturated; errors still enter and polls still work. */
    quiet_error(&c, INT64_MIN);
    assert_int_equal(vs_critical_note_error(&c, INT64_MAX), VS_CRITICAL_ENTERED);
    quiet_poll(&c, INT64_MAX);
    quiet_poll(&c, 0);
    quiet_poll(&c, INT64_MIN);
    assert_true(vs_critical_leave_delay_us(&c) >= 0);
    assert_true(vs_critical_leave_delay_us(&c) <= 10 * S);
}

static void test_ring_wraps(void **state)
{
    (void)state;
    /* Many errors, each N a little wider than the window, then a burst: the oldest of the last N
     * must be found across any number of wraps. */
    int thresholds[] = {2, 3, 5, 7, VS_CRITICAL_MAX_THRESHOLD};
    for (size_t k = 0; k < LEN(thresholds); k++) {
        int n = thresholds[k];
        vs_time_us window = 100 * S;
        vs_time_us gap = window / (n - 1) + 1;
        vs_critical c = make(n, window);
        vs_time_us t = 0;
        for (int i = 0; i < 10007; i++, t += gap)
            quiet_error(&c, t);
        /* The burst, a window after the last spread error: n errors 1 us apart. Until the nth,
         * the last n errors include a spread one, a window or more before: no entry. */
        vs_time_us b = t - gap + window;
        for (int i = 0; i < n - 1; i++)
            quiet_error(&c, b + i);
        assert_int_equal(vs_critical_note_error(&c, b + n - 1), VS_CRITICAL_ENTERED);
        /* ... and it is left a window after that. */
        assert_int_equal(vs_critical_leave_delay_us(&c), window);
        quiet_poll(&c, b + n - 1 + window - 1);
        assert_int_equal(vs_critical_poll(&c, b + n - 1 + window), VS_CRITICAL_LEFT);
    }

    /* At the largest threshold, after the ring has wrapped a thousand times: errors 2 s apart
     * (64 of them span 126 s, wider than the 64 s window), then errors 1 s apart from the last
     * one, L. At the i-th of those, the 64 most recent are L+1..L+i and the 64 - i before them,
     * from L back to L - 2(63 - i): a span of 126 - i s, first below 64 s at i = 63. */
    vs_critical c = make(VS_CRITICAL_MAX_THRESHOLD, 64 * S);
    vs_time_us t = 0;
    for (int i = 0; i < 64000; i++, t += 2 * S)
        quiet_error(&c, t);
    vs_time_us last = t - 2 * S;
    int entered_at = -1;
    for (int i = 1; i <= 100 && entered_at < 0; i++)
        if (vs_critical_note_error(&c, last + i * S) == VS_CRITICAL_ENTERED)
            entered_at = i;
    assert_int_equal(entered_at, 63);
}

static void test_event_table(void **state)
{
    (void)state;
#define NAME(id, name) name,
    static const char *const names[] = {VS_EVENT_TABLE(NAME)};
#undef NAME
    static const char *const want[] = {
        "profile_loaded", "profile_saved", "profile_released", "load_failed", "save_failed",
        "lease_lost", "lease_taken_over", "validation_failed", "budget_exhausted",
        "critical_entered", "critical_left", "retry", "migration_failed", "schema_too_new",
        "nil_read_suspected",
        "op_applied",
        "op_failed",
        "op_dead",
    };
    assert_int_equal(LEN(names), VS_EV_KIND_COUNT);
    assert_int_equal(LEN(names), LEN(want));
    for (size_t i = 0; i < LEN(want); i++)
        assert_string_equal(names[i], want[i]);
    /* The first five keep their numbers. */
    assert_int_equal(VS_EV_PROFILE_LOADED, 0);
    assert_int_equal(VS_EV_PROFILE_SAVED, 1);
    assert_int_equal(VS_EV_PROFILE_RELEASED, 2);
    assert_int_equal(VS_EV_LOAD_FAILED, 3);
    assert_int_equal(VS_EV_SAVE_FAILED, 4);
    assert_string_equal(names[VS_EV_CRITICAL_ENTERED], "critical_entered");
    assert_string_equal(names[VS_EV_NIL_READ_SUSPECTED], "nil_read_suspected");
    assert_string_equal(names[VS_EV_OP_DEAD], "op_dead");

    assert_int_equal(vs_diag_critical_event(VS_CRITICAL_ENTERED), VS_EV_CRITICAL_ENTERED);
    assert_int_equal(vs_diag_critical_event(VS_CRITICAL_LEFT), VS_EV_CRITICAL_LEFT);
    assert_int_equal(vs_diag_critical_event(VS_CRITICAL_NONE), VS_EV_KIND_COUNT);
}

static void test_budget_codes(void **state)
{
    (void)state;
    int yes[] = {301, 302, 303, 304, 305, 306, VS_DS_KeyThrottled};
    int no[] = {0, 101, 300, 307, 401, 402, 404, 501, 505, 509, 600, 602, -301};
    for (size_t i = 0; i < LEN(yes); i++)
        if (!vs_diag_is_budget_code(yes[i]))
            fail_msg("%d is a budget code", yes[i]);
    for (size_t i = 0; i < LEN(no); i++)
        if (vs_diag_is_budget_code(no[i]))
            fail_msg("%d is not a budget code", no[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_enters_at_the_nth_error),
        cmocka_unit_test(test_window_boundary),
        cmocka_unit_test(test_spread_errors_never_enter),
        cmocka_unit_test(test_leaves_a_window_after_entering),
        cmocka_unit_test(test_no_early_leave),
        cmocka_unit_test(test_stays_while_errors_continue),
        cmocka_unit_test(test_threshold_one),
        cmocka_unit_test(test_clock_set_back),
        cmocka_unit_test(test_extreme_readings),
        cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_event_table),
        cmocka_unit_test(test_budget_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
