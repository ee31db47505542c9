/* test_world.c: virtual time, the run loop and the fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/world.h"

typedef struct recorder {
    world *w;
    int64_t times[16];
    int n;
} recorder;

static void record_time(void *arg)
{
    recorder *r = arg;
    r->times[r->n++] = r->w->now_us;
}

static void reschedule_in_the_past(void *arg)
{
    recorder *r = arg;
    record_time(r);
    if (r->n < 3)
        world_at(r->w, 0, "past", reschedule_in_the_past, r); /* clamped to now */
}

static void runs_due_events_and_stops_at_the_limit(void **state)
{
    world w;
    assert_true(world_init(&w, 1));
    recorder r = {.w = &w};
    world_at(&w, 100, "a", record_time, &r);
    world_at(&w, 50, "b", record_time, &r);
    world_at(&w, 300, "c", record_time, &r);
    assert_int_equal(world_run_until(&w, 200, false), 2);
    assert_int_equal(w.now_us, 200);
    assert_int_equal(r.times[0], 50);
    assert_int_equal(r.times[1], 100);
    assert_int_equal(world_run_until(&w, 1000, true), 1);
    assert_int_equal(w.now_us, 300); /* stopped when idle, at the last event */
    world_free(&w);
}

static void time_never_goes_backwards(void **state)
{
    world w;
    assert_true(world_init(&w, 1));
    recorder r = {.w = &w};
    world_at(&w, 40, "p", reschedule_in_the_past, &r);
    world_run_until(&w, 100, false);
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.times[i], 40);
    world_free(&w);
}

static void fill(world *w, recorder *r, int variant)
{
    world_at(w, 10, "a", record_time, r);
    world_at(w, 10, variant ? "other" : "b", record_time, r);
    world_at(w, 20, "c", record_time, r);
    world_run_until(w, 100, false);
}

static void fingerprint_is_reproducible_and_sensitive(void **state)
{
    char f1[33], f2[33], f3[33], f4[33];
    world w;
    recorder r;

    assert_true(world_init(&w, 5));
    r = (recorder){.w = &w};
    fill(&w, &r, 0);
    world_fingerprint(&w, f1);
    world_free(&w);

    assert_true(world_init(&w, 5));
    r = (recorder){.w = &w};
    fill(&w, &r, 0);
    world_fingerprint(&w, f2);
    world_free(&w);

    assert_true(world_init(&w, 5));
    r = (recorder){.w = &w};
    fill(&w, &r, 1); /* one label differs */
    world_fingerprint(&w, f3);
    world_free(&w);

    assert_true(world_init(&w, 6)); /* another seed */
    r = (recorder){.w = &w};
    fill(&w, &r, 0);
    world_fingerprint(&w, f4);
    world_free(&w);

    assert_int_equal(strlen(f1), 32);
    assert_string_equal(f1, f2);
    assert_string_not_equal(f1, f3);
    assert_string_not_equal(f1, f4);
}

static void format_time_trims_zeros(void **state)
{
    char buf[32];
    world_format_time(2500000, buf, sizeof buf);
    assert_string_equal(buf, "2.5s");
    world_format_time(60000000, buf, sizeof buf);
    assert_string_equal(buf, "60s");
    world_format_time(1, buf, sizeof buf);
    assert_string_equal(buf, "0.000001s");
    world_format_time(0, buf, sizeof buf);
    assert_string_equal(buf, "0s");
    world_format_time(-1500000, buf, sizeof buf);
    assert_string_equal(buf, "-1.5s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_due_events_and_stops_at_the_limit),
        cmocka_unit_test(time_never_goes_backwards),
        cmocka_unit_test(fingerprint_is_reproducible_and_sensitive),
        cmocka_unit_test(format_time_trims_zeros),
    };
    return cmocka_run_group_tests_name("world", tests, NULL, NULL);
}
