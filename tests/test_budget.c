/* test_budget.c: DataStore budgets and throttle queues: the exact refill arithmetic under
 * each limits profile, caps and bursts, budget_cut, the experience budgets, queue overflow
 * codes, FIFO order, exact wake-up times, rates of 0 and month-long times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ds_error.h"
#include "sim/budget.h"

#define SEC 1000000LL
#define MS 1000LL
#define DAY (24LL * 3600 * SEC)
#define TOKEN BUDGET_TOKEN_UNITS

static budget_env env_of(const platform_limits *l, int64_t players, int64_t share_ppm)
{
    return (budget_env){.limits = l, .players = players, .ccu = players, .share_ppm = share_ppm};
}

static void empty_bucket(server_budget *sb, budget_kind k, int64_t now_us)
{
    budget_bucket_init(&sb->buckets[k], 0, now_us);
}

static void empty_all(server_budget *sb, int64_t now_us)
{
    for (int k = 0; k < BUDGET_KIND_COUNT; k++)
        empty_bucket(sb, (budget_kind)k, now_us);
}

static int64_t tokens(const server_budget *sb, budget_kind k)
{
    return budget_bucket_tokens(&sb->buckets[k]);
}

/* Tokens a fresh, empty get bucket of a server with `players` holds after `after_us`. */
static int64_t get_tokens_after(const platform_limits *l, int64_t players, int64_t share_ppm,
                                int64_t after_us, int64_t *units_out)
{
    server_budget sb;
    assert_true(server_budget_init(&sb, l, players, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    budget_env env = env_of(l, players, share_ppm);
    server_budget_settle(&sb, &env, after_us);
    int64_t t = tokens(&sb, BUDGET_KIND_GET);
    if (units_out)
        *units_out = sb.buckets[BUDGET_KIND_GET].units;
    server_budget_free(&sb, NULL, NULL);
    return t;
}

static void classic_get_refills_at_160_per_minute(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    assert_int_equal(limits_rate(l.budget_get, 10), 160);
    int64_t units;
    assert_int_equal(get_tokens_after(&l, 10, BUDGET_PPM, 3 * SEC, &units), 8);
    assert_int_equal(units, 8 * TOKEN); /* exactly, no fraction lost or gained */
    assert_int_equal(get_tokens_after(&l, 10, BUDGET_PPM, 375 * MS, &units), 1);
    assert_int_equal(units, TOKEN);
    assert_int_equal(get_tokens_after(&l, 10, BUDGET_PPM, 375 * MS - 1, &units), 0);
    assert_int_equal(units, TOKEN - 160);
    /* the same through admission: one token at 375 ms, not before, and only one */
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    budget_env env = env_of(&l, 10, BUDGET_PPM);
    int a = 0, b = 0;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &a, 375 * MS), BUDGET_ADMITTED);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &b, 375 * MS), BUDGET_QUEUED);
    server_budget_free(&sb, NULL, NULL);
}

static void current_get_refills_at_460_per_minute(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CURRENT);
    assert_int_equal(limits_rate(l.budget_get, 10), 460);
    int64_t units;
    assert_int_equal(get_tokens_after(&l, 10, BUDGET_PPM, 3 * SEC, &units), 23);
    assert_int_equal(units, 23 * TOKEN);
    /* 60e6 / 460 = 130434.78 µs per token */
    assert_int_equal(get_tokens_after(&l, 10, BUDGET_PPM, 130435, NULL), 1);
    assert_int_equal(get_tokens_after(&l, 10, BUDGET_PPM, 130434, NULL), 0);
    /* set refills at the same rate under current */
    assert_int_equal(limits_rate(l.budget_set, 10), 460);
}

static void sorted_get_differs_between_classic_and_current(void **state)
{
    (void)state;
    platform_limits c, n;
    limits_init(&c, LIMITS_CLASSIC);
    limits_init(&n, LIMITS_CURRENT);
    budget_env ec = env_of(&c, 10, BUDGET_PPM), en = env_of(&n, 10, BUDGET_PPM);
    server_budget sc, sn;
    assert_true(server_budget_init(&sc, &c, 10, 0));
    assert_true(server_budget_init(&sn, &n, 10, 0));
    empty_all(&sc, 0);
    empty_all(&sn, 0);
    server_budget_settle(&sc, &ec, 12 * SEC);
    server_budget_settle(&sn, &en, 12 * SEC);
    /* 12 s is a fifth of a minute */
    assert_int_equal(tokens(&sc, BUDGET_KIND_SORTED_GET), 5);   /* 5 + 2 × 10 = 25/min */
    assert_int_equal(tokens(&sn, BUDGET_KIND_SORTED_GET), 92);  /* 60 + 40 × 10 = 460/min */
    assert_int_equal(tokens(&sc, BUDGET_KIND_SORTED_SET), 16);  /* 30 + 5 × 10 = 80/min */
    assert_int_equal(tokens(&sn, BUDGET_KIND_SORTED_SET), 16);
    assert_int_equal(tokens(&sc, BUDGET_KIND_LIST), 5);         /* 5 + 2 × 10 = 25/min */
    assert_int_equal(tokens(&sn, BUDGET_KIND_LIST), 5);
    assert_int_equal(tokens(&sc, BUDGET_KIND_GET), 32);         /* 160/min */
    assert_int_equal(tokens(&sn, BUDGET_KIND_GET), 92);         /* 460/min */
    server_budget_free(&sc, NULL, NULL);
    server_budget_free(&sn, NULL, NULL);
}

static void refill_stops_at_three_minutes_worth(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    budget_env env = env_of(&l, 10, BUDGET_PPM);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_all(&sb, 0);
    server_budget_settle(&sb, &env, 3600 * SEC);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].units, 480 * TOKEN); /* 3 × 160 */
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].carry, 0);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SORTED_GET), 75); /* 3 × 25 */
    assert_int_equal(tokens(&sb, BUDGET_KIND_SORTED_SET), 240);
    server_budget_settle(&sb, &env, 7200 * SEC);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 480);
    /* one spent comes back after 375 ms, and the bucket stops at the cap again */
    int r = 0;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r, 7200 * SEC), BUDGET_ADMITTED);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 479);
    server_budget_settle(&sb, &env, 7200 * SEC + 375 * MS - 1);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 479);
    server_budget_settle(&sb, &env, 7200 * SEC + 10 * SEC);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].units, 480 * TOKEN);
    /* reaching the cap exactly, from just below, by the exact amount */
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    server_budget_settle(&sb, &env, 180 * SEC - 1);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 479);
    server_budget_settle(&sb, &env, 180 * SEC);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].units, 480 * TOKEN);
    /* and from just below, by a little more than the room left: stops at the cap */
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    server_budget_settle(&sb, &env, 180 * SEC - 1);
    server_budget_settle(&sb, &env, 180 * SEC + 5);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].units, 480 * TOKEN);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].carry, 0);
    server_budget_free(&sb, NULL, NULL);
}

static void refill_never_takes_away_tokens_above_the_cap(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    l.budget_get = (limit_rate){10, 0}; /* cap 30 < burst 100 */
    budget_env env = env_of(&l, 0, BUDGET_PPM);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 0, 0));
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 100);
    server_budget_settle(&sb, &env, 3600 * SEC);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 100);
    /* spend down to 29: now below the cap, it refills, but only up to 30 */
    for (int i = 0; i < 71; i++)
        assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &env, 3600 * SEC),
                         BUDGET_ADMITTED);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 29);
    server_budget_settle(&sb, &env, 7200 * SEC);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 30);
    server_budget_free(&sb, NULL, NULL);
}

static void new_server_starts_with_burst_for_get_and_set_and_a_minute_for_others(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 0, 0));
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 100);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SET), 100);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SORTED_GET), 5);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SORTED_SET), 30);
    assert_int_equal(tokens(&sb, BUDGET_KIND_LIST), 5);
    server_budget_free(&sb, NULL, NULL);

    limits_init(&l, LIMITS_CURRENT);
    assert_true(server_budget_init(&sb, &l, 10, 0));
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 100);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SET), 100);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SORTED_GET), 460);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SORTED_SET), 80);
    assert_int_equal(tokens(&sb, BUDGET_KIND_LIST), 25);
    /* exactly 100 gets go through at once, the 101st waits */
    budget_env env = env_of(&l, 10, BUDGET_PPM);
    int r = 0;
    for (int i = 0; i < 100; i++)
        assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r, 0), BUDGET_ADMITTED);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r, 0), BUDGET_QUEUED);
    server_budget_free(&sb, NULL, NULL);
}

static void update_takes_a_get_and_a_set_token(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CURRENT);
    budget_env env = env_of(&l, 0, BUDGET_PPM); /* 60/min: a token a second */
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 0, 0));
    budget_bucket_init(&sb.buckets[BUDGET_KIND_GET], 1, 0);
    budget_bucket_init(&sb.buckets[BUDGET_KIND_SET], 1, 0);
    int a = 1, b = 2, c = 3;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_UPDATE, &a, 0), BUDGET_ADMITTED);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 0);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SET), 0);
    server_budget_free(&sb, NULL, NULL);

    /* set tokens but no get token: the update waits (in the set queue), and takes nothing */
    assert_true(server_budget_init(&sb, &l, 0, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_UPDATE, &b, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_queue_len(&sb, BUDGET_Q_SET), 1);
    assert_int_equal(server_budget_queue_len(&sb, BUDGET_Q_GET), 0);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SET), 100);
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_SET, 0), 1 * SEC);
    assert_null(server_budget_pop_ready(&sb, &env, BUDGET_Q_SET, SEC - 1, NULL));
    budget_class cls = BUDGET_GET;
    assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_SET, SEC, &cls), &b);
    assert_int_equal(cls, BUDGET_UPDATE);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 0);
    assert_int_equal(tokens(&sb, BUDGET_KIND_SET), 100); /* 100 + 1 refilled - 1 */
    server_budget_free(&sb, NULL, NULL);

    /* get tokens but no set token: waits too */
    assert_true(server_budget_init(&sb, &l, 0, 0));
    empty_bucket(&sb, BUDGET_KIND_SET, 0);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_UPDATE, &c, 0), BUDGET_QUEUED);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 100);
    server_budget_free(&sb, NULL, NULL);
}

static void experience_budgets_are_shared_and_exist_only_under_current(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CURRENT);
    budget_experience exp;
    budget_experience_init(&exp, &l, 10, 0);
    assert_int_equal(budget_bucket_tokens(&exp.reads), 700);  /* 300 + 40 × 10 */
    assert_int_equal(budget_bucket_tokens(&exp.writes), 500); /* 300 + 20 × 10 */
    budget_bucket_init(&exp.reads, 0, 0);
    budget_bucket_init(&exp.writes, 0, 0);
    budget_experience_settle(&exp, &l, 10, 3 * SEC);
    assert_int_equal(exp.reads.units, 35 * TOKEN);
    assert_int_equal(exp.writes.units, 25 * TOKEN);

    /* two servers, 5 players each, one read token left in the experience */
    server_budget a, b;
    assert_true(server_budget_init(&a, &l, 5, 0));
    assert_true(server_budget_init(&b, &l, 5, 0));
    budget_env env = {.limits = &l, .players = 5, .ccu = 10, .share_ppm = BUDGET_PPM,
                      .experience = &exp};
    int64_t t = 3 * SEC;
    budget_bucket_init(&exp.reads, 1, t);
    int ra = 1, rb = 2;
    assert_int_equal(server_budget_admit(&a, &env, BUDGET_GET, &ra, t), BUDGET_ADMITTED);
    assert_int_equal(budget_bucket_tokens(&exp.reads), 0);
    assert_int_equal(tokens(&a, BUDGET_KIND_GET), 112); /* 100 + 3 s at 260/min - 1 */
    /* b has 113 get tokens of its own, but the experience has none */
    assert_int_equal(server_budget_admit(&b, &env, BUDGET_GET, &rb, t), BUDGET_QUEUED);
    assert_int_equal(tokens(&b, BUDGET_KIND_GET), 113);
    /* 700/min: 60e6 / 700 = 85714.28 µs */
    assert_int_equal(server_budget_next_ready(&b, &env, BUDGET_Q_GET, t), t + 85715);
    assert_null(server_budget_pop_ready(&b, &env, BUDGET_Q_GET, t + 85714, NULL));
    assert_ptr_equal(server_budget_pop_ready(&b, &env, BUDGET_Q_GET, t + 85715, NULL), &rb);
    /* writes: set takes a write token, update a read and a write, sorted requests neither */
    budget_bucket_init(&exp.reads, 5, t);
    budget_bucket_init(&exp.writes, 5, t);
    assert_int_equal(server_budget_admit(&a, &env, BUDGET_SET, &ra, t), BUDGET_ADMITTED);
    assert_int_equal(budget_bucket_tokens(&exp.writes), 4);
    assert_int_equal(server_budget_admit(&a, &env, BUDGET_UPDATE, &ra, t), BUDGET_ADMITTED);
    assert_int_equal(budget_bucket_tokens(&exp.reads), 4);
    assert_int_equal(budget_bucket_tokens(&exp.writes), 3);
    assert_int_equal(server_budget_admit(&a, &env, BUDGET_SORTED_GET, &ra, t), BUDGET_ADMITTED);
    assert_int_equal(server_budget_admit(&a, &env, BUDGET_SORTED_SET, &ra, t), BUDGET_ADMITTED);
    assert_int_equal(budget_bucket_tokens(&exp.reads), 4);
    assert_int_equal(budget_bucket_tokens(&exp.writes), 3);
    assert_int_equal(server_budget_admit(&a, &env, BUDGET_LIST, &ra, t), BUDGET_ADMITTED);
    assert_int_equal(budget_bucket_tokens(&exp.reads), 3);
    /* budget_cut on a server does not slow the shared buckets */
    budget_bucket_init(&exp.reads, 0, t);
    budget_env cut = env;
    cut.share_ppm = 0;
    assert_int_equal(server_budget_admit(&b, &cut, BUDGET_GET, &rb, t + 85715), BUDGET_ADMITTED);
    server_budget_free(&a, NULL, NULL);
    server_budget_free(&b, NULL, NULL);

    /* classic: no experience budgets, even when one is passed */
    limits_init(&l, LIMITS_CLASSIC);
    budget_experience_init(&exp, &l, 10, 0);
    assert_int_equal(budget_bucket_tokens(&exp.reads), 0);
    server_budget c;
    assert_true(server_budget_init(&c, &l, 5, 0));
    env.limits = &l;
    assert_int_equal(server_budget_admit(&c, &env, BUDGET_GET, &ra, 0), BUDGET_ADMITTED);
    assert_int_equal(server_budget_admit(&c, &env, BUDGET_SET, &ra, 0), BUDGET_ADMITTED);
    assert_int_equal(server_budget_admit(&c, &env, BUDGET_UPDATE, &ra, 0), BUDGET_ADMITTED);
    assert_int_equal(tokens(&c, BUDGET_KIND_GET), 98);
    server_budget_free(&c, NULL, NULL);
}

static void budget_cut_scales_refill(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    int64_t units;
    /* 0 ppm: nothing, ever */
    assert_int_equal(get_tokens_after(&l, 10, 0, 3600 * SEC, &units), 0);
    assert_int_equal(units, 0);
    /* 500000 ppm: half of 160/min */
    assert_int_equal(get_tokens_after(&l, 10, 500000, 3 * SEC, &units), 4);
    assert_int_equal(units, 4 * TOKEN);
    assert_int_equal(get_tokens_after(&l, 10, 500000, 375 * MS, &units), 0);
    assert_int_equal(units, TOKEN / 2);
    assert_int_equal(get_tokens_after(&l, 10, 500000, 750 * MS, &units), 1);
    assert_int_equal(units, TOKEN);
    /* the cap is minutes' worth of the nominal rate, not of the cut one */
    assert_int_equal(get_tokens_after(&l, 10, 500000, 3600 * SEC, NULL), 480);

    /* a queued get under a cut to 0 is never ready */
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    budget_env env = env_of(&l, 10, 0);
    int r = 0;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 0), INT64_MAX);
    assert_null(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 30 * DAY, NULL));
    /* the cut ends (settled at 30 days with share 0): a token 375 ms later */
    env.share_ppm = BUDGET_PPM;
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 30 * DAY),
                     30 * DAY + 375 * MS);
    server_budget_free(&sb, NULL, NULL);
}

static void refill_is_exact_however_it_is_split(void **state)
{
    (void)state;
    /* Odd shares leave fractions of a unit: many small refills must add up to one big one. */
    static const int64_t shares[] = {1, 7, 333333, 500001, 999999, 1000000, 2718281};
    static const int64_t rates[] = {1, 7, 25, 160, 460, 999983};
    for (size_t s = 0; s < sizeof shares / sizeof shares[0]; s++)
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
            budget_bucket one, many;
            budget_bucket_init(&one, 0, 0);
            budget_bucket_init(&many, 0, 0);
            int64_t t = 0, step = 1;
            for (int i = 0; i < 200; i++) {
                t += step;
                step = step * 7 % 1009 + 1; /* irregular steps, 1..1009 µs */
                budget_bucket_refill(&many, t, rates[r], 3, shares[s]);
            }
            budget_bucket_refill(&one, t, rates[r], 3, shares[s]);
            assert_int_equal(one.units, many.units);
            assert_int_equal(one.carry, many.carry);
            /* and what the formula says: rate × t × share millionths of a unit */
            int64_t exact = rates[r] * t * shares[s];
            assert_int_equal(one.units, exact / BUDGET_PPM);
            assert_int_equal(one.carry, exact % BUDGET_PPM);
        }
}

static void full_queue_drops_with_the_class_code(void **state)
{
    (void)state;
    static const int codes[BUDGET_CLASS_COUNT] = {
        [BUDGET_GET] = 301,        [BUDGET_SET] = 302,        [BUDGET_INCREMENT] = 303,
        [BUDGET_UPDATE] = 304,     [BUDGET_SORTED_GET] = 305, [BUDGET_REMOVE] = 306,
        [BUDGET_SORTED_SET] = 302, [BUDGET_LIST] = 301,
    };
    static const budget_queue queues[BUDGET_CLASS_COUNT] = {
        [BUDGET_GET] = BUDGET_Q_GET,       [BUDGET_SET] = BUDGET_Q_SET,
        [BUDGET_INCREMENT] = BUDGET_Q_SET, [BUDGET_UPDATE] = BUDGET_Q_SET,
        [BUDGET_REMOVE] = BUDGET_Q_SET,    [BUDGET_SORTED_GET] = BUDGET_Q_SORTED_GET,
        [BUDGET_SORTED_SET] = BUDGET_Q_SORTED_SET, [BUDGET_LIST] = BUDGET_Q_GET,
    };
    assert_int_equal(VS_DS_GetAsyncThrottle, 301);
    assert_int_equal(VS_DS_RemoveAsyncThrottle, 306);
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    assert_int_equal(l.queue_size, 30);
    budget_env env = env_of(&l, 10, 0);
    for (int c = 0; c < BUDGET_CLASS_COUNT; c++) {
        budget_class cls = (budget_class)c;
        assert_int_equal(budget_class_drop_code(cls), codes[c]);
        assert_int_equal(budget_class_queue(cls), queues[c]);
        server_budget sb;
        assert_true(server_budget_init(&sb, &l, 10, 0));
        empty_all(&sb, 0);
        int reqs[31];
        for (int i = 0; i < 30; i++)
            assert_int_equal(server_budget_admit(&sb, &env, cls, &reqs[i], i), BUDGET_QUEUED);
        assert_int_equal(server_budget_admit(&sb, &env, cls, &reqs[30], 30), BUDGET_DROPPED);
        assert_int_equal(server_budget_queue_len(&sb, queues[c]), 30);
        for (int q = 0; q < BUDGET_QUEUE_COUNT; q++)
            if (q != (int)queues[c])
                assert_int_equal(server_budget_queue_len(&sb, (budget_queue)q), 0);
        server_budget_drain(&sb, NULL, NULL);
        assert_int_equal(server_budget_queue_len(&sb, queues[c]), 0);
        server_budget_free(&sb, NULL, NULL);
    }
    assert_string_equal(budget_class_name(BUDGET_SORTED_SET), "sorted_set");

    /* a queue of size 0 drops at once; the size is a parameter */
    l.queue_size = 0;
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_all(&sb, 0);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_SET, &env, 0), BUDGET_DROPPED);
    server_budget_free(&sb, NULL, NULL);
    l.queue_size = 2;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_all(&sb, 0);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_SET, &env, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_REMOVE, &env, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_INCREMENT, &env, 0), BUDGET_DROPPED);
    server_budget_free(&sb, NULL, NULL);
}

static void queue_is_fifo_and_not_overtaken(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    budget_env env = env_of(&l, 10, BUDGET_PPM); /* a get token every 375 ms */
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    int r[8] = {0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r[i], 0), BUDGET_QUEUED);
    /* at 375 ms a token exists, but a newcomer must queue behind the five */
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r[5], 375 * MS), BUDGET_QUEUED);
    assert_int_equal(server_budget_queue_len(&sb, BUDGET_Q_GET), 6);
    assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 375 * MS, NULL), &r[0]);
    assert_null(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 375 * MS, NULL));
    /* at 2250 ms, five more tokens: the rest leave in arrival order */
    for (int i = 1; i < 6; i++)
        assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 2250 * MS, NULL), &r[i]);
    assert_null(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 2250 * MS, NULL));
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 2250 * MS), INT64_MAX);
    /* empty queue again: a request with a token goes straight through */
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r[6], 2625 * MS), BUDGET_ADMITTED);

    /* a list request at the head of the get queue holds the gets behind it */
    empty_bucket(&sb, BUDGET_KIND_LIST, 2625 * MS);
    budget_bucket_init(&sb.buckets[BUDGET_KIND_GET], 50, 2625 * MS);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_LIST, &r[6], 2625 * MS), BUDGET_QUEUED);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r[7], 2625 * MS), BUDGET_QUEUED);
    assert_null(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 2625 * MS, NULL));
    /* list refills at 25/min: 2.4 s a token */
    int64_t t = server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 2625 * MS);
    assert_int_equal(t, 2625 * MS + 2400 * MS);
    budget_class cls;
    assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, t, &cls), &r[6]);
    assert_int_equal(cls, BUDGET_LIST);
    assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, t, &cls), &r[7]);
    assert_int_equal(cls, BUDGET_GET);
    server_budget_free(&sb, NULL, NULL);
}

static void next_ready_is_the_first_microsecond_a_pop_succeeds(void **state)
{
    (void)state;
    static const int64_t shares[] = {1, 333333, 500000, 999999, 1000000, 2500000};
    static const int64_t players[] = {0, 1, 7, 10, 1000};
    static const budget_class classes[] = {BUDGET_GET, BUDGET_UPDATE, BUDGET_SORTED_GET,
                                           BUDGET_LIST};
    for (int p = 0; p < LIMITS_PROFILE_COUNT; p++) {
        platform_limits l;
        limits_init(&l, (limits_profile)p);
        for (size_t s = 0; s < sizeof shares / sizeof shares[0]; s++)
            for (size_t n = 0; n < sizeof players / sizeof players[0]; n++)
                for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
                    budget_env env = env_of(&l, players[n], shares[s]);
                    server_budget sb;
                    assert_true(server_budget_init(&sb, &l, players[n], 1000));
                    empty_all(&sb, 1000);
                    /* part of a token at an odd time (at most 1e5 units/µs × 201 µs here) */
                    server_budget_settle(&sb, &env, 1100);
                    empty_bucket(&sb, BUDGET_KIND_SET, 1037); /* set behind get */
                    int r = 0;
                    budget_queue q = budget_class_queue(classes[c]);
                    assert_int_equal(server_budget_admit(&sb, &env, classes[c], &r, 1100),
                                     BUDGET_QUEUED);
                    int64_t now = 1201;
                    int64_t t = server_budget_next_ready(&sb, &env, q, now);
                    assert_true(t > now);
                    assert_true(t < INT64_MAX);
                    assert_null(server_budget_pop_ready(&sb, &env, q, t - 1, NULL));
                    assert_ptr_equal(server_budget_pop_ready(&sb, &env, q, t, NULL), &r);
                    server_budget_free(&sb, NULL, NULL);
                }
    }
}

static void a_rate_of_zero_never_becomes_ready(void **state)
{
    (void)state;
    budget_bucket b;
    budget_bucket_init(&b, 0, 0);
    assert_int_equal(budget_bucket_ready_at(&b, 0, 0, 3, BUDGET_PPM), INT64_MAX);
    assert_int_equal(budget_bucket_ready_at(&b, 0, 160, 3, 0), INT64_MAX);
    assert_int_equal(budget_bucket_ready_at(&b, 0, 160, 0, BUDGET_PPM), INT64_MAX);
    assert_int_equal(budget_bucket_ready_at(&b, 0, 160, 3, BUDGET_PPM), 375 * MS);
    budget_bucket_refill(&b, 30 * DAY, 0, 3, BUDGET_PPM);
    assert_int_equal(b.units, 0);
    assert_false(budget_bucket_try_take(&b));

    /* a per-player rate with no players: a limit of 0, not "no limit" */
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    l.budget_get = (limit_rate){0, 10};
    budget_env env = env_of(&l, 0, BUDGET_PPM);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 0, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    int r = 0;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 0), INT64_MAX);
    assert_null(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 30 * DAY, NULL));
    server_budget_free(&sb, NULL, NULL);

    /* 0 + 0 means no such limit (limits.h): gets go through with an empty bucket */
    l.budget_get = (limit_rate){0, 0};
    assert_true(server_budget_init(&sb, &l, 0, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r, 0), BUDGET_ADMITTED);
    /* ... unless queued behind a list request; then it is ready as soon as it is the head */
    empty_bucket(&sb, BUDGET_KIND_LIST, 0);
    int r2 = 0;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_LIST, &r, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_GET, &r2, 0), BUDGET_QUEUED);
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 0), 12 * SEC); /* 5/min */
    assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 12 * SEC, NULL), &r);
    assert_int_equal(server_budget_next_ready(&sb, &env, BUDGET_Q_GET, 13 * SEC), 13 * SEC);
    assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_GET, 13 * SEC, NULL), &r2);
    server_budget_free(&sb, NULL, NULL);

    /* a bucket holding a token is ready at the time asked, even one before its last refill */
    budget_bucket_init(&b, 1, 1000);
    assert_int_equal(budget_bucket_ready_at(&b, 1000, 0, 3, 0), 1000);
    assert_int_equal(budget_bucket_ready_at(&b, 500, 160, 3, BUDGET_PPM), 500);
}

static void month_long_times_and_huge_rates_do_not_overflow(void **state)
{
    (void)state;
    const int64_t month = 30 * DAY; /* 2.592e12 µs */
    budget_bucket b;
    /* 1e6/min for a month: capped at exactly 3e6 tokens */
    budget_bucket_init(&b, 0, 0);
    budget_bucket_refill(&b, month, 1000000, 3, BUDGET_PPM);
    assert_int_equal(b.units, 3000000 * TOKEN);
    /* the same at 1 ppm: rate × t × 1e-6 = 2.592e12 units = 43200 tokens, exactly */
    budget_bucket_init(&b, 0, 0);
    budget_bucket_refill(&b, month, 1000000, 3, 1);
    assert_int_equal(b.units, 2592000000000LL);
    assert_int_equal(budget_bucket_tokens(&b), 43200);
    /* split into days: the same */
    budget_bucket_init(&b, 0, 0);
    for (int d = 1; d <= 30; d++)
        budget_bucket_refill(&b, d * DAY, 1000000, 3, 1);
    assert_int_equal(b.units, 2592000000000LL);
    /* the largest figures (and beyond: clamped) for a month */
    budget_bucket_init(&b, 0, 0);
    budget_bucket_refill(&b, month, BUDGET_RATE_MAX, BUDGET_CAP_MINUTES_MAX, BUDGET_SHARE_MAX);
    assert_int_equal(budget_bucket_tokens(&b), BUDGET_RATE_MAX * BUDGET_CAP_MINUTES_MAX);
    budget_bucket_init(&b, 0, 0);
    budget_bucket_refill(&b, month, INT64_MAX, INT64_MAX, INT64_MAX);
    assert_int_equal(budget_bucket_tokens(&b), BUDGET_RATE_MAX * BUDGET_CAP_MINUTES_MAX);
    budget_bucket_init(&b, 0, 0);
    budget_bucket_refill(&b, 1, BUDGET_RATE_MAX, BUDGET_CAP_MINUTES_MAX, BUDGET_SHARE_MAX);
    assert_int_equal(b.units, BUDGET_RATE_MAX * 1000); /* 1 µs at 1000 × the max rate */
    /* around the gap that fills an empty bucket at the largest figures (6e15 / 1e9 = 6e6 µs):
     * just below it the products are at their largest; at and past it, straight to the cap */
    static const int64_t gaps[] = {6000000 - 1, 6000000, 6000000 + 1, 9000000, 12000000 - 1};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
        budget_bucket_init(&b, 0, 0);
        budget_bucket_refill(&b, gaps[i], BUDGET_RATE_MAX, BUDGET_CAP_MINUTES_MAX,
                             BUDGET_SHARE_MAX);
        int64_t cap_units = BUDGET_RATE_MAX * BUDGET_CAP_MINUTES_MAX * TOKEN;
        assert_int_equal(b.units, gaps[i] < 6000000 ? cap_units - BUDGET_RATE_MAX * 1000
                                                    : cap_units);
    }
    /* the gap that fills an empty bucket is rounded up, not down: 1.8e14 / 7 is not whole */
    budget_bucket_init(&b, 0, 0);
    budget_bucket_refill(&b, 180000000000000LL / 7, 1, 3, 7);
    assert_int_equal(b.units, 179999999);
    assert_int_equal(b.carry, 999995);
    budget_bucket_refill(&b, 180000000000000LL / 7 + 1, 1, 3, 7);
    assert_int_equal(b.units, 180000000);
    budget_bucket_init(&b, INT64_MAX, 0);
    assert_int_equal(budget_bucket_tokens(&b), BUDGET_TOKENS_MAX);
    /* a slow token: 1/min at 1 ppm takes 6e13 µs (about 694 days), exactly */
    budget_bucket_init(&b, 0, month);
    assert_int_equal(budget_bucket_ready_at(&b, month, 1, 3, 1), month + 60000000000000LL);
    budget_bucket_refill(&b, month + 60000000000000LL - 1, 1, 3, 1);
    assert_false(budget_bucket_try_take(&b));
    budget_bucket_refill(&b, month + 60000000000000LL, 1, 3, 1);
    assert_true(budget_bucket_try_take(&b));
    /* near the end of time the answer saturates */
    budget_bucket_init(&b, 0, INT64_MAX - 10);
    assert_int_equal(budget_bucket_ready_at(&b, INT64_MAX - 10, 1, 3, 1), INT64_MAX);

    /* a server budget a month on, with a rate from limits: 60 + 40 × 24998.5 ~ 1e6/min */
    platform_limits l;
    limits_init(&l, LIMITS_CURRENT);
    budget_env env = env_of(&l, 24998, BUDGET_PPM);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 24998, 0));
    server_budget_settle(&sb, &env, month);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 3 * 999980);
    int r = 0;
    assert_int_equal(server_budget_admit(&sb, &env, BUDGET_UPDATE, &r, month), BUDGET_ADMITTED);
    /* an absurd per-player figure is clamped, not overflowed */
    l.budget_get = (limit_rate){INT64_MAX, INT64_MAX};
    env.players = INT64_MAX;
    server_budget_settle(&sb, &env, 2 * month);
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 3 * BUDGET_RATE_MAX);
    server_budget_free(&sb, NULL, NULL);
}

static void take_n_takes_all_or_nothing(void **state)
{
    (void)state;
    /* a byte budget: 4 MiB per minute, one minute's cap, a request's bytes at a time */
    const int64_t rate = 4 * 1024 * 1024;
    budget_bucket b;
    budget_bucket_init(&b, rate, 0);
    assert_true(budget_bucket_try_take_n(&b, rate - 1024));
    assert_false(budget_bucket_try_take_n(&b, 2048)); /* 1024 left: nothing taken */
    assert_int_equal(budget_bucket_tokens(&b), 1024);
    assert_true(budget_bucket_try_take_n(&b, 1024));
    assert_int_equal(b.units, 0);
    assert_true(budget_bucket_try_take_n(&b, 0));
    assert_false(budget_bucket_try_take_n(&b, INT64_MAX));
    /* 1024 bytes come back in 60e6 × 1024 / 4 MiB = 14648.4375 µs */
    assert_int_equal(budget_bucket_ready_at(&b, 0, rate, 1, BUDGET_PPM), 15); /* a byte: 14.3 µs */
    budget_bucket_refill(&b, 14648, rate, 1, BUDGET_PPM);
    assert_false(budget_bucket_try_take_n(&b, 1024));
    budget_bucket_refill(&b, 14649, rate, 1, BUDGET_PPM);
    assert_true(budget_bucket_try_take_n(&b, 1024));
    /* a whole minute's worth fits the cap exactly */
    budget_bucket_refill(&b, 3600 * SEC, rate, 1, BUDGET_PPM);
    assert_true(budget_bucket_try_take_n(&b, rate));
    assert_false(budget_bucket_try_take(&b));
}

static void settle_refills_each_interval_at_its_own_rate(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_bucket(&sb, BUDGET_KIND_GET, 0);
    budget_env env = env_of(&l, 10, BUDGET_PPM);
    server_budget_settle(&sb, &env, 3 * SEC); /* 160/min: 8 */
    assert_int_equal(tokens(&sb, BUDGET_KIND_GET), 8);
    env.players = 20;                         /* 260/min: 13 more in 3 s */
    server_budget_settle(&sb, &env, 6 * SEC);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].units, 21 * TOKEN);
    /* a call for an earlier time changes nothing */
    server_budget_settle(&sb, &env, 5 * SEC);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].units, 21 * TOKEN);
    assert_int_equal(sb.buckets[BUDGET_KIND_GET].updated_us, 6 * SEC);
    server_budget_free(&sb, NULL, NULL);
}

typedef struct drop_log {
    void *reqs[16];
    budget_class classes[16];
    int n;
} drop_log;

static void log_drop(void *req, budget_class cls, void *ctx)
{
    drop_log *d = ctx;
    d->reqs[d->n] = req;
    d->classes[d->n] = cls;
    d->n++;
}

static void drain_drops_every_queued_request_in_order(void **state)
{
    (void)state;
    platform_limits l;
    limits_init(&l, LIMITS_CURRENT);
    budget_env env = env_of(&l, 3, 0);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 3, 0));
    empty_all(&sb, 0);
    int r[6];
    server_budget_admit(&sb, &env, BUDGET_GET, &r[0], 0);
    server_budget_admit(&sb, &env, BUDGET_SET, &r[1], 0);
    server_budget_admit(&sb, &env, BUDGET_SORTED_GET, &r[2], 0);
    server_budget_admit(&sb, &env, BUDGET_UPDATE, &r[3], 0);
    server_budget_admit(&sb, &env, BUDGET_SORTED_SET, &r[4], 0);
    server_budget_admit(&sb, &env, BUDGET_LIST, &r[5], 0);
    drop_log d = {.n = 0};
    server_budget_free(&sb, log_drop, &d);
    assert_int_equal(d.n, 6);
    /* set queue, sorted set queue, get queue, sorted get queue; oldest first in each */
    void *want[6] = {&r[1], &r[3], &r[4], &r[0], &r[5], &r[2]};
    budget_class want_cls[6] = {BUDGET_SET, BUDGET_UPDATE, BUDGET_SORTED_SET, BUDGET_GET,
                                BUDGET_LIST, BUDGET_SORTED_GET};
    for (int i = 0; i < 6; i++) {
        assert_ptr_equal(d.reqs[i], want[i]);
        assert_int_equal(d.classes[i], want_cls[i]);
    }
}

static void ring_wraps_around(void **state)
{
    (void)state;
    /* push and pop many more requests than the queue holds, through the wrap */
    platform_limits l;
    limits_init(&l, LIMITS_CLASSIC);
    l.queue_size = 3;
    budget_env env = env_of(&l, 10, BUDGET_PPM);
    server_budget sb;
    assert_true(server_budget_init(&sb, &l, 10, 0));
    empty_bucket(&sb, BUDGET_KIND_SET, 0);
    int r[100];
    int next_in = 0, next_out = 0;
    int64_t t = 0;
    while (next_out < 100) {
        while (next_in < 100 && server_budget_queue_len(&sb, BUDGET_Q_SET) < 3)
            assert_int_equal(server_budget_admit(&sb, &env, BUDGET_SET, &r[next_in++], t),
                             BUDGET_QUEUED);
        t = server_budget_next_ready(&sb, &env, BUDGET_Q_SET, t);
        assert_int_equal(t, (next_out + 1) * 375 * MS);
        assert_ptr_equal(server_budget_pop_ready(&sb, &env, BUDGET_Q_SET, t, NULL), &r[next_out]);
        next_out++;
    }
    server_budget_free(&sb, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classic_get_refills_at_160_per_minute),
        cmocka_unit_test(current_get_refills_at_460_per_minute),
        cmocka_unit_test(sorted_get_differs_between_classic_and_current),
        cmocka_unit_test(refill_stops_at_three_minutes_worth),
        cmocka_unit_test(refill_never_takes_away_tokens_above_the_cap),
        cmocka_unit_test(new_server_starts_with_burst_for_get_and_set_and_a_minute_for_others),
        cmocka_unit_test(update_takes_a_get_and_a_set_token),
        cmocka_unit_test(experience_budgets_are_shared_and_exist_only_under_current),
        cmocka_unit_test(budget_cut_scales_refill),
        cmocka_unit_test(refill_is_exact_however_it_is_split),
        cmocka_unit_test(full_queue_drops_with_the_class_code),
        cmocka_unit_test(queue_is_fifo_and_not_overtaken),
        cmocka_unit_test(next_ready_is_the_first_microsecond_a_pop_succeeds),
        cmocka_unit_test(a_rate_of_zero_never_becomes_ready),
        cmocka_unit_test(month_long_times_and_huge_rates_do_not_overflow),
        cmocka_unit_test(take_n_takes_all_or_nothing),
        cmocka_unit_test(settle_refills_each_interval_at_its_own_rate),
        cmocka_unit_test(drain_drops_every_queued_request_in_order),
        cmocka_unit_test(ring_wraps_around),
    };
    return cmocka_run_group_tests_name("budget", tests, NULL, NULL);
}
