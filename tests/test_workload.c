/* test_workload.c: background workloads for swarm runs. A seed gives the same plan every time
 * and different seeds give different plans; over many seeds every plan keeps its promises
 * (events in time order inside the duration, ids in range, a join only for a player offline
 * and every other action only for one online, a teleport to another server, switched-off
 * actions never drawn, no teleport with one server); a long run's workload keeps to its span and
 * ends with everyone gone; some seeds have no workload, and the
 * description says what was drawn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "faults/workload.h"
#include "tests/support/splitmix.h"

static void draw(const workload_config *cfg, uint64_t seed, workload_plan *plan)
{
    assert_true(workload_draw(cfg, splitmix64, &seed, plan));
}

static void a_seed_gives_the_same_plan_and_seeds_differ(void **state)
{
    (void)state;
    workload_config cfg = workload_config_default(300 * 1000000LL, 0x7, 900001);
    workload_plan a, b, c;
    draw(&cfg, 42, &a);
    draw(&cfg, 42, &b);
    assert_int_equal(a.players, b.players);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < a.count; i++) {
        const workload_event *x = &a.events[i], *y = &b.events[i];
        assert_true(x->at_us == y->at_us && x->action == y->action && x->player == y->player &&
                    x->server == y->server && x->amount == y->amount);
    }
    size_t differing = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        draw(&cfg, seed, &c);
        differing += c.count != a.count || c.players != a.players;
        workload_plan_free(&c);
    }
    assert_true(differing >= 15);
    workload_plan_free(&a);
    workload_plan_free(&b);
}

static void every_plan_keeps_its_promises(void **state)
{
    (void)state;
    workload_config cfg = workload_config_default(600 * 1000000LL, 0x16 /* servers 2, 3, 5 */, 1000);
    size_t without = 0, events = 0, seen[WORKLOAD_ACTION_COUNT] = {0};
    for (uint64_t seed = 1; seed <= 500; seed++) {
        workload_plan p;
        draw(&cfg, seed, &p);
        assert_true(p.players <= cfg.max_players);
        without += p.players == 0;
        if (p.players) /* 600 s / 300 events: gaps of 2 s at least */
            assert_true(p.gap_us >= 2000000 && p.gap_us <= cfg.max_gap_us);
        assert_true(p.count <= 2 * cfg.max_events); /* each gap is at least half the mean */
        int server_of[8] = {0};
        int64_t last = -1;
        for (size_t i = 0; i < p.count; i++) {
            const workload_event *e = &p.events[i];
            assert_true(e->at_us > last && e->at_us < cfg.duration_us);
            last = e->at_us;
            assert_true(e->player >= 1000 && e->player < 1000 + (int64_t)p.players);
            assert_true(p.weights[e->action] > 0);
            int *on = &server_of[e->player - 1000];
            seen[e->action]++;
            switch (e->action) {
            case WORKLOAD_JOIN:
                assert_int_equal(*on, 0);
                assert_true(e->server == 2 || e->server == 3 || e->server == 5);
                *on = e->server;
                break;
            case WORKLOAD_TELEPORT:
                assert_true(*on != 0 && e->server != *on);
                assert_true(e->server == 2 || e->server == 3 || e->server == 5);
                *on = e->server;
                break;
            case WORKLOAD_LEAVE:
                assert_true(*on != 0);
                *on = 0;
                break;
            case WORKLOAD_SET:
                assert_true(*on != 0 && e->amount >= 0 && e->amount <= 1000);
                break;
            case WORKLOAD_ADD:
                assert_true(*on != 0 && e->amount >= 1 && e->amount <= 100);
                break;
            default:
                assert_true(*on != 0);
                break;
            }
        }
        events += p.count;
        workload_plan_free(&p);
    }
    assert_true(without > 30 && without < 140); /* one seed in 7 has none */
    for (int a = 0; a < WORKLOAD_ACTION_COUNT; a++)
        assert_true(seen[a] > 100);
    assert_true(events > 10000);
}

/* A day-long run does not get a day of constant play: the workload keeps to its first 30
 * minutes, about max_events at most, and everyone leaves at the end of it. */
static void a_long_run_gets_longer_gaps(void **state)
{
    (void)state;
    workload_config cfg = workload_config_default(86400 * 1000000LL, 0x3, 900001);
    for (uint64_t seed = 1; seed <= 100; seed++) {
        workload_plan p;
        draw(&cfg, seed, &p);
        if (p.players)
            assert_true(p.gap_us >= 1800 * 1000000LL / 300);
        assert_true(p.count <= 600 + p.players);
        int online[8] = {0};
        for (size_t i = 0; i < p.count; i++) { /* all within the first 30 minutes, then all gone */
            assert_true(p.events[i].at_us <= 1800 * 1000000LL);
            int64_t k = p.events[i].player - 900001;
            online[k] = p.events[i].action == WORKLOAD_LEAVE ? 0 : 1;
        }
        for (int k = 0; k < 8; k++)
            assert_int_equal(online[k], 0);
        workload_plan_free(&p);
    }
}

static void one_server_means_no_teleport(void **state)
{
    (void)state;
    workload_config cfg = workload_config_default(600 * 1000000LL, 0x1, 900001);
    for (uint64_t seed = 1; seed <= 200; seed++) {
        workload_plan p;
        draw(&cfg, seed, &p);
        for (size_t i = 0; i < p.count; i++) {
            assert_int_not_equal(p.events[i].action, WORKLOAD_TELEPORT);
            assert_int_equal(p.events[i].action == WORKLOAD_JOIN ? p.events[i].server : 1, 1);
        }
        workload_plan_free(&p);
    }
}

static void the_description_says_what_was_drawn(void **state)
{
    (void)state;
    workload_plan none = {0};
    char buf[256];
    assert_int_equal(workload_describe(&none, buf, sizeof buf), 4);
    assert_string_equal(buf, "none");
    workload_event events[3] = {{.at_us = 1}, {.at_us = 2}, {.at_us = 3}};
    workload_plan p = {.players = 2, .first_player = 900001, .gap_us = 2500000,
                       .weights = {[WORKLOAD_JOIN] = 3, [WORKLOAD_ADD] = 5, [WORKLOAD_SAVE] = 1},
                       .events = events, .count = 3};
    const char *want = "2 players (ids 900001..900002), an event every 2500ms on average (3 events); "
                       "weights: join 3, add 5, save 1";
    assert_int_equal(workload_describe(&p, NULL, 0), strlen(want));
    assert_int_equal(workload_describe(&p, buf, sizeof buf), strlen(want));
    assert_string_equal(buf, want);
    char small[10];
    workload_describe(&p, small, sizeof small); /* cut, never past the end */
    assert_string_equal(small, "2 players");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_seed_gives_the_same_plan_and_seeds_differ),
        cmocka_unit_test(every_plan_keeps_its_promises),
        cmocka_unit_test(one_server_means_no_teleport),
        cmocka_unit_test(a_long_run_gets_longer_gaps),
        cmocka_unit_test(the_description_says_what_was_drawn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
