/* test_helpers.c: the gameplay helpers (core/helpers/): cooldowns, daily rewards, timed
 * effects. Each rule at its boundary (exactly at the length, the expiry, UTC midnight), the
 * state as stored in the profile (pinned as canonical JSON), the state carried across a
 * server hop (a copy of the tree continued later), what a server 5 minutes ahead or behind
 * does, and every error with the profile compared before and after (all-or-nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/helpers/cooldown.h"
#include "core/helpers/daily.h"
#include "core/helpers/effects.h"
#include "core/json.h"
#include "core/path.h"
#include "core/value.h"

#define S INT64_C(1000000) /* one second in microseconds */
#define MIN (60 * S)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 2026-01-01 00:00:00 UTC, in microseconds: a UTC midnight. */
#define T0 (INT64_C(1767225600) * S)
#define DAY0 (T0 / DAY) /* its day number: 20454 */
#define MAX53 (INT64_C(1) << 53)

/* ---- fixtures ---- */

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    if (vs_json_decode(text, strlen(text), &v, NULL) != VS_OK)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

static vs_path path(const char *text)
{
    vs_path p;
    assert_int_equal(vs_path_parse(text, &p), VS_OK);
    return p;
}

typedef struct text {
    char s[1024];
} text;

static text json_of(const vs_value *v)
{
    text t;
    vs_buf b;
    vs_buf_init(&b);
    if (!v)
        snprintf(t.s, sizeof t.s, "(none)");
    else if (vs_json_encode(v, &b) == VS_OK)
        snprintf(t.s, sizeof t.s, "%s", b.data);
    else
        snprintf(t.s, sizeof t.s, "(unstorable)");
    vs_buf_free(&b);
    return t;
}

static void expect_json(const vs_value *v, const char *want)
{
    text got = json_of(v);
    if (strcmp(got.s, want) != 0)
        fail_msg("got  %s\nwant %s", got.s, want);
}

/* A server whose clock is off true time by skew_us: what it passes as now. */
static int64_t on(int64_t skew_us, int64_t true_us)
{
    return true_us + skew_us;
}

/* ------------------------------------------------------------------------------------------
 * Cooldowns
 * ---------------------------------------------------------------------------------------- */

static int64_t remaining_cd(const vs_value *d, const vs_path *p, const char *name, int64_t now,
                            int64_t length)
{
    int64_t r = -1;
    assert_int_equal(vs_cooldown_remaining(d, p, name, now, length, &r), VS_OK);
    return r;
}

static bool ready_cd(const vs_value *d, const vs_path *p, const char *name, int64_t now, int64_t length)
{
    bool ready = false;
    assert_int_equal(vs_cooldown_ready(d, p, name, now, length, &ready), VS_OK);
    return ready;
}

static void cooldown_is_ready_exactly_at_its_length(void **state)
{
    (void)state;
    vs_value *d = json("{}");
    vs_path p = path("Cooldowns");
    assert_true(ready_cd(d, &p, "Dash", T0, 10 * S)); /* never started, no state at all */
    assert_int_equal(remaining_cd(d, &p, "Dash", T0, 10 * S), 0);

    assert_int_equal(vs_cooldown_start(d, &p, "Dash", T0), VS_OK);
    expect_json(d, "{\"Cooldowns\":{\"Dash\":1767225600000000}}");
    assert_false(ready_cd(d, &p, "Dash", T0, 10 * S));
    assert_int_equal(remaining_cd(d, &p, "Dash", T0, 10 * S), 10 * S);
    assert_int_equal(remaining_cd(d, &p, "Dash", T0 + 4 * S, 10 * S), 6 * S);
    assert_false(ready_cd(d, &p, "Dash", T0 + 10 * S - 1, 10 * S));
    assert_int_equal(remaining_cd(d, &p, "Dash", T0 + 10 * S - 1, 10 * S), 1);
    assert_true(ready_cd(d, &p, "Dash", T0 + 10 * S, 10 * S));
    assert_int_equal(remaining_cd(d, &p, "Dash", T0 + 10 * S, 10 * S), 0);
    assert_true(ready_cd(d, &p, "Dash", T0 + 11 * S, 10 * S));
    /* The length is the caller's: retuned, the same start judges differently. */
    assert_false(ready_cd(d, &p, "Dash", T0 + 11 * S, 20 * S));
    /* A zero length is always ready; other names are independent. */
    assert_true(ready_cd(d, &p, "Dash", T0, 0));
    assert_true(ready_cd(d, &p, "Jump", T0, 10 * S));
    vs_path_free(&p);
    vs_free(d);
}

static void cooldown_use_starts_only_when_ready(void **state)
{
    (void)state;
    vs_value *d = json("{\"Cooldowns\":{}}");
    vs_path p = path("Cooldowns");
    bool started = false;
    assert_int_equal(vs_cooldown_use(d, &p, "Dash", T0, 10 * S, &started), VS_OK);
    assert_true(started);
    text before = json_of(d);
    assert_int_equal(vs_cooldown_use(d, &p, "Dash", T0 + 9 * S, 10 * S, &started), VS_OK);
    assert_false(started);
    expect_json(d, before.s); /* a refused use changes nothing */
    assert_int_equal(vs_cooldown_use(d, &p, "Dash", T0 + 10 * S, 10 * S, &started), VS_OK);
    assert_true(started);
    expect_json(d, "{\"Cooldowns\":{\"Dash\":1767225610000000}}");
    /* start restarts whatever the state. */
    assert_int_equal(vs_cooldown_start(d, &p, "Dash", T0 + 12 * S), VS_OK);
    assert_int_equal(remaining_cd(d, &p, "Dash", T0 + 12 * S, 10 * S), 10 * S);
    vs_path_free(&p);
    vs_free(d);
}

static void cooldown_state_travels_with_the_profile(void **state)
{
    (void)state;
    vs_value *a = json("{\"Meta\":{\"Cooldowns\":{\"Other\":5}},\"Coins\":3}");
    vs_path p = path("Meta.Cooldowns");
    assert_int_equal(vs_cooldown_start(a, &p, "Dash", T0), VS_OK);
    /* The hop: the next server gets a copy of the saved tree and continues from it. */
    vs_value *b = vs_copy(a);
    vs_free(a);
    assert_int_equal(remaining_cd(b, &p, "Dash", T0 + 3 * S, 10 * S), 7 * S);
    bool started = true;
    assert_int_equal(vs_cooldown_use(b, &p, "Dash", T0 + 3 * S, 10 * S, &started), VS_OK);
    assert_false(started);
    assert_true(ready_cd(b, &p, "Dash", T0 + 10 * S, 10 * S));
    expect_json(b, "{\"Coins\":3,\"Meta\":{\"Cooldowns\":{\"Dash\":1767225600000000,\"Other\":5}}}");
    vs_path_free(&p);
    vs_free(b);
}

/* A started at true T0 on an accurate server; then the player hops. */
static void cooldown_on_a_server_five_minutes_behind_lasts_five_minutes_longer(void **state)
{
    (void)state;
    const int64_t behind = -5 * MIN, len = 10 * MIN;
    vs_value *d = json("{}");
    vs_path p = path("Cooldowns");
    assert_int_equal(vs_cooldown_start(d, &p, "Dash", on(0, T0)), VS_OK);
    /* One minute later (true) the player is on a server 5 minutes behind: its clock reads
     * 4 minutes before the start. The remaining time is clamped to the length, never 14
     * minutes, and stays there until its clock reaches the start. */
    assert_int_equal(remaining_cd(d, &p, "Dash", on(behind, T0 + 1 * MIN), len), len);
    assert_int_equal(remaining_cd(d, &p, "Dash", on(behind, T0 + 5 * MIN), len), len);
    assert_int_equal(remaining_cd(d, &p, "Dash", on(behind, T0 + 6 * MIN), len), 9 * MIN);
    /* Ready 5 minutes late in true time: at T0 + 15 min, not T0 + 10 min. */
    assert_false(ready_cd(d, &p, "Dash", on(behind, T0 + 10 * MIN), len));
    assert_false(ready_cd(d, &p, "Dash", on(behind, T0 + 15 * MIN) - 1, len));
    assert_true(ready_cd(d, &p, "Dash", on(behind, T0 + 15 * MIN), len));
    vs_path_free(&p);
    vs_free(d);
}

static void cooldown_on_a_server_five_minutes_ahead_ends_five_minutes_early(void **state)
{
    (void)state;
    const int64_t ahead = 5 * MIN, len = 10 * MIN;
    vs_value *d = json("{}");
    vs_path p = path("Cooldowns");
    assert_int_equal(vs_cooldown_start(d, &p, "Dash", on(0, T0)), VS_OK);
    assert_int_equal(remaining_cd(d, &p, "Dash", on(ahead, T0 + 1 * MIN), len), 4 * MIN);
    assert_false(ready_cd(d, &p, "Dash", on(ahead, T0 + 5 * MIN) - 1, len));
    assert_true(ready_cd(d, &p, "Dash", on(ahead, T0 + 5 * MIN), len));
    /* A cooldown no longer than the skew is over at once there. */
    assert_true(ready_cd(d, &p, "Dash", on(ahead, T0), 5 * MIN));
    vs_path_free(&p);
    vs_free(d);
}

static void cooldown_clamp_bounds_a_start_from_a_clock_ahead(void **state)
{
    (void)state;
    const int64_t ahead = 5 * MIN, len = 10 * MIN;
    vs_value *d = json("{\"Cooldowns\":{\"Dash\":0,\"Jump\":0}}");
    vs_path p = path("Cooldowns");
    /* Started on a server 5 minutes ahead (Dash), and one started long ago (Jump: 0). */
    assert_int_equal(vs_cooldown_start(d, &p, "Dash", on(ahead, T0)), VS_OK);
    /* Arrives on an accurate server at T0 + 1 min: the start is 4 minutes in its future. */
    size_t changed = 99;
    assert_int_equal(vs_cooldowns_clamp(d, &p, on(0, T0 + 1 * MIN), &changed), VS_OK);
    assert_int_equal(changed, 1);
    expect_json(d, "{\"Cooldowns\":{\"Dash\":1767225660000000,\"Jump\":0}}");
    /* Now at most the length after the arrival, by this clock (not T0 + 15 min). */
    assert_false(ready_cd(d, &p, "Dash", on(0, T0 + 11 * MIN) - 1, len));
    assert_true(ready_cd(d, &p, "Dash", on(0, T0 + 11 * MIN), len));
    /* Nothing in the future: nothing changes. */
    text before = json_of(d);
    assert_int_equal(vs_cooldowns_clamp(d, &p, on(0, T0 + 2 * MIN), &changed), VS_OK);
    assert_int_equal(changed, 0);
    expect_json(d, before.s);
    /* A start exactly at now is not in the future. */
    assert_int_equal(vs_cooldowns_clamp(d, &p, on(0, T0 + 1 * MIN), &changed), VS_OK);
    assert_int_equal(changed, 0);
    /* No state: nothing to do. */
    vs_path q = path("None");
    assert_int_equal(vs_cooldowns_clamp(d, &q, T0, &changed), VS_OK);
    assert_int_equal(changed, 0);
    vs_path_free(&q);
    vs_path_free(&p);
    vs_free(d);
}

static void cooldown_errors_change_nothing(void **state)
{
    (void)state;
    vs_value *d = json("{\"Num\":5,\"Arr\":[1],\"Cd\":{\"Bad\":\"x\",\"Half\":1.5,\"Huge\":1e300},"
                       "\"Mixed\":{\"Dash\":1}}");
    text before = json_of(d);
    vs_path num = path("Num"), under = path("Num.Cooldowns"), arr = path("Arr"), cd = path("Cd");
    vs_path root = path(""), orphan = path("Missing.Cooldowns");
    int64_t r;
    bool b;
    size_t n;
    /* The state is not a map, or a scalar is on the way to it. */
    assert_int_equal(vs_cooldown_remaining(d, &num, "Dash", T0, S, &r), VS_ERR_TYPE);
    assert_int_equal(vs_cooldown_ready(d, &under, "Dash", T0, S, &b), VS_ERR_TYPE);
    assert_false(b);
    assert_int_equal(vs_cooldown_start(d, &arr, "Dash", T0), VS_ERR_TYPE);
    assert_int_equal(vs_cooldown_start(d, &under, "Dash", T0), VS_ERR_TYPE);
    assert_int_equal(vs_cooldowns_clamp(d, &num, T0, &n), VS_ERR_TYPE);
    /* The entry is not a number, or not an integer time within 2^53. */
    assert_int_equal(vs_cooldown_ready(d, &cd, "Bad", T0, S, &b), VS_ERR_TYPE);
    assert_int_equal(vs_cooldown_ready(d, &cd, "Half", T0, S, &b), VS_ERR_INVALID);
    assert_int_equal(vs_cooldown_ready(d, &cd, "Huge", T0, S, &b), VS_ERR_INVALID);
    assert_int_equal(vs_cooldown_start(d, &cd, "Bad", T0), VS_ERR_TYPE); /* not overwritten */
    assert_int_equal(vs_cooldown_use(d, &cd, "Half", T0, S, &b), VS_ERR_INVALID);
    assert_int_equal(vs_cooldowns_clamp(d, &cd, T0, &n), VS_ERR_TYPE); /* one bad entry: none changed */
    /* The root, and a state whose parent is missing. */
    assert_int_equal(vs_cooldown_start(d, &root, "Dash", T0), VS_ERR_PATH);
    assert_int_equal(vs_cooldown_ready(d, &root, "Dash", T0, S, &b), VS_ERR_PATH);
    assert_int_equal(vs_cooldown_start(d, &orphan, "Dash", T0), VS_ERR_NO_PARENT);
    assert_true(ready_cd(d, &orphan, "Dash", T0, S)); /* reading a missing state is fine */
    /* Arguments. */
    assert_int_equal(vs_cooldown_ready(d, &cd, "", T0, S, &b), VS_ERR_ARG);
    assert_int_equal(vs_cooldown_ready(d, &cd, NULL, T0, S, &b), VS_ERR_ARG);
    assert_int_equal(vs_cooldown_ready(d, &cd, "Dash", T0, -1, &b), VS_ERR_ARG);
    assert_int_equal(vs_cooldown_ready(d, &cd, "Dash", MAX53 + 1, S, &b), VS_ERR_ARG);
    assert_int_equal(vs_cooldown_start(d, &cd, "Dash", -MAX53 - 1), VS_ERR_ARG);
    assert_int_equal(vs_cooldown_ready(NULL, &cd, "Dash", T0, S, &b), VS_ERR_ARG);
    assert_int_equal(vs_cooldown_start(d, NULL, "Dash", T0), VS_ERR_ARG);
    expect_json(d, before.s);
    /* The extreme times are fine. */
    assert_int_equal(vs_cooldown_start(d, &orphan, "Dash", MAX53), VS_ERR_NO_PARENT);
    vs_path mixed = path("Mixed");
    assert_int_equal(vs_cooldown_start(d, &mixed, "Dash", MAX53), VS_OK);
    assert_int_equal(remaining_cd(d, &mixed, "Dash", MAX53, MAX53), MAX53);
    vs_path_free(&mixed);
    vs_path_free(&num);
    vs_path_free(&under);
    vs_path_free(&arr);
    vs_path_free(&cd);
    vs_path_free(&root);
    vs_path_free(&orphan);
    vs_free(d);
}

/* ------------------------------------------------------------------------------------------
 * Daily rewards
 * ---------------------------------------------------------------------------------------- */

static vs_daily_result claim(vs_value *d, const vs_path *p, int64_t now, int64_t max)
{
    vs_daily_result r;
    assert_int_equal(vs_daily_claim(d, p, now, max, &r), VS_OK);
    return r;
}

static void daily_day_is_the_floored_utc_day(void **state)
{
    (void)state;
    assert_int_equal(DAY0, 20454);
    assert_int_equal(vs_daily_day(T0), DAY0);
    assert_int_equal(vs_daily_day(T0 - 1), DAY0 - 1);
    assert_int_equal(vs_daily_day(T0 + DAY - 1), DAY0);
    assert_int_equal(vs_daily_day(0), 0);
    assert_int_equal(vs_daily_day(-1), -1); /* floored before 1970, not truncated to 0 */
    assert_int_equal(vs_daily_day(-DAY), -1);
    assert_int_equal(vs_daily_day(-DAY - 1), -2);
}

static void daily_claims_once_per_day_and_grows_the_streak(void **state)
{
    (void)state;
    vs_value *d = json("{\"Daily\":{\"Seen\":true}}");
    vs_path p = path("Daily");
    vs_daily_result r = claim(d, &p, T0 + 10 * HOUR, 7);
    assert_true(r.claimed);
    assert_int_equal(r.streak, 1);
    assert_int_equal(r.day, DAY0);
    assert_int_equal(r.next_us, T0 + DAY);
    expect_json(d, "{\"Daily\":{\"Day\":20454,\"Seen\":true,\"Streak\":1}}"); /* other keys kept */

    text before = json_of(d);
    r = claim(d, &p, T0 + DAY - 1, 7); /* the last microsecond of the same day */
    assert_false(r.claimed);
    assert_int_equal(r.streak, 1);
    assert_int_equal(r.next_us, T0 + DAY);
    expect_json(d, before.s);

    r = claim(d, &p, T0 + DAY, 7); /* exactly at UTC midnight: a new day */
    assert_true(r.claimed);
    assert_int_equal(r.streak, 2);
    assert_int_equal(r.day, DAY0 + 1);
    assert_int_equal(r.next_us, T0 + 2 * DAY);
    r = claim(d, &p, T0 + 2 * DAY + 23 * HOUR, 7); /* late the next day still counts */
    assert_true(r.claimed);
    assert_int_equal(r.streak, 3);
    vs_path_free(&p);
    vs_free(d);
}

static void daily_streak_stops_at_max_and_resets_after_a_missed_day(void **state)
{
    (void)state;
    vs_value *d = json("{}");
    vs_path p = path("Daily");
    int64_t want[] = {1, 2, 3, 3, 3};
    for (int i = 0; i < 5; i++) {
        vs_daily_result r = claim(d, &p, T0 + i * DAY + HOUR, 3);
        assert_true(r.claimed);
        assert_int_equal(r.streak, want[i]);
    }
    /* Day 5 missed: day 6 starts again at 1. */
    vs_daily_result r = claim(d, &p, T0 + 6 * DAY, 3);
    assert_true(r.claimed);
    assert_int_equal(r.streak, 1);
    /* A max lowered below the stored streak caps the next one. */
    vs_value *e = json("{\"Daily\":{\"Day\":20453,\"Streak\":5}}");
    r = claim(e, &p, T0, 3);
    assert_true(r.claimed);
    assert_int_equal(r.streak, 3);
    expect_json(e, "{\"Daily\":{\"Day\":20454,\"Streak\":3}}");
    vs_free(e);
    vs_path_free(&p);
    vs_free(d);
}

static void daily_peek_changes_nothing(void **state)
{
    (void)state;
    vs_value *d = json("{\"Daily\":{\"Day\":20453,\"Streak\":4}}");
    vs_path p = path("Daily");
    text before = json_of(d);
    vs_daily_result r;
    assert_int_equal(vs_daily_peek(d, &p, T0 + HOUR, 7, &r), VS_OK);
    assert_true(r.claimed);
    assert_int_equal(r.streak, 5);
    assert_int_equal(r.next_us, T0 + HOUR); /* claimable now */
    expect_json(d, before.s);
    assert_int_equal(vs_daily_peek(d, &p, T0 - HOUR, 7, &r), VS_OK); /* still day 20453 */
    assert_false(r.claimed);
    assert_int_equal(r.streak, 4);
    assert_int_equal(r.next_us, T0);
    expect_json(d, before.s);
    vs_path_free(&p);
    vs_free(d);
}

static void daily_state_travels_with_the_profile(void **state)
{
    (void)state;
    vs_value *a = json("{\"Rewards\":{}}");
    vs_path p = path("Rewards.Daily");
    assert_true(claim(a, &p, T0 + HOUR, 7).claimed);
    vs_value *b = vs_copy(a); /* the hop */
    vs_free(a);
    assert_false(claim(b, &p, T0 + 2 * HOUR, 7).claimed); /* claimed on the other server */
    vs_daily_result r = claim(b, &p, T0 + DAY + HOUR, 7);
    assert_true(r.claimed);
    assert_int_equal(r.streak, 2);
    expect_json(b, "{\"Rewards\":{\"Daily\":{\"Day\":20455,\"Streak\":2}}}");
    vs_path_free(&p);
    vs_free(b);
}

/* The known double claim: a claim just before midnight on a server 5 minutes behind, then a
 * hop to an accurate server just after midnight. Both are granted, one per day number. */
static void daily_claim_twice_across_midnight_when_the_first_server_is_behind(void **state)
{
    (void)state;
    const int64_t behind = -5 * MIN;
    vs_value *d = json("{}");
    vs_path p = path("Daily");
    /* True 00:03 of day 1; the behind server reads 23:58 of day 0. */
    vs_daily_result r = claim(d, &p, on(behind, T0 + DAY + 3 * MIN), 7);
    assert_true(r.claimed);
    assert_int_equal(r.day, DAY0);
    /* One true minute later, on an accurate server: day 1, consecutive, granted. */
    r = claim(d, &p, on(0, T0 + DAY + 4 * MIN), 7);
    assert_true(r.claimed);
    assert_int_equal(r.day, DAY0 + 1);
    assert_int_equal(r.streak, 2);
    /* Never a third for that day number, on either server. */
    assert_false(claim(d, &p, on(0, T0 + 2 * DAY - 1), 7).claimed);
    assert_false(claim(d, &p, on(behind, T0 + 2 * DAY + 5 * MIN - 1), 7).claimed);
    /* A gap of 5 minutes more than a day: nothing is claimed twice outside that window. A
     * claim at true 00:06 on the behind server (its 00:01 of day 1) is refused. */
    assert_false(claim(d, &p, on(behind, T0 + DAY + 6 * MIN), 7).claimed);
    vs_path_free(&p);
    vs_free(d);
}

/* The other way round: the claim on the server ahead comes early, and the accurate server
 * makes the player wait for the day after the claimed day number. */
static void daily_claim_on_a_server_ahead_moves_the_next_claim_not_doubles_it(void **state)
{
    (void)state;
    const int64_t ahead = 5 * MIN;
    vs_value *d = json("{}");
    vs_path p = path("Daily");
    /* True 23:57 of day 0; the ahead server reads 00:02 of day 1. */
    vs_daily_result r = claim(d, &p, on(ahead, T0 + DAY - 3 * MIN), 7);
    assert_true(r.claimed);
    assert_int_equal(r.day, DAY0 + 1);
    /* Hop to the accurate server at true 23:58 of day 0: the stored day is in its future. */
    r = claim(d, &p, on(0, T0 + DAY - 2 * MIN), 7);
    assert_false(r.claimed);
    assert_int_equal(r.day, DAY0);
    assert_int_equal(r.streak, 1);
    assert_int_equal(r.next_us, T0 + 2 * DAY); /* the day after the claimed day number */
    /* At true midnight (day 1): the same day number as the claim, refused. */
    assert_false(claim(d, &p, on(0, T0 + DAY), 7).claimed);
    assert_false(claim(d, &p, on(0, T0 + 2 * DAY - 1), 7).claimed);
    /* Day 2 on the accurate server: granted, and consecutive with day 1. */
    r = claim(d, &p, on(0, T0 + 2 * DAY), 7);
    assert_true(r.claimed);
    assert_int_equal(r.streak, 2);
    vs_path_free(&p);
    vs_free(d);
}

/* Many hops between three servers (5 minutes behind, accurate, 5 minutes ahead), a claim
 * tried at each, over ten days: no day number is ever claimed twice, the stored day never
 * goes down, and claims are never more than the day numbers crossed. */
static void daily_never_grants_one_day_number_twice_across_skewed_servers(void **state)
{
    (void)state;
    const int64_t skews[] = {-5 * MIN, 0, 5 * MIN};
    vs_value *d = json("{}");
    vs_path p = path("Daily");
    int granted[16] = {0};
    uint64_t x = 12345; /* a fixed LCG: the same walk every run */
    int64_t t = T0 - HOUR, last_day = INT64_MIN;
    int claims = 0;
    for (int step = 0; step < 2000; step++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        t += (int64_t)((x >> 33) % (20 * MIN)); /* up to 20 minutes at a time */
        if (t >= T0 + 10 * DAY)
            break;
        int64_t now = on(skews[(x >> 20) % 3], t);
        vs_daily_result r = claim(d, &p, now, 30);
        if (r.claimed) {
            claims++;
            assert_in_range(r.day - DAY0 + 1, 0, 15);
            granted[r.day - DAY0 + 1]++;
            assert_true(r.day > last_day);
            last_day = r.day;
        }
    }
    for (int i = 0; i < 16; i++)
        assert_in_range(granted[i], 0, 1);
    assert_in_range(claims, 10, 12); /* the walk crosses 11 day numbers in all */
    vs_path_free(&p);
    vs_free(d);
}

static void daily_errors_change_nothing(void **state)
{
    (void)state;
    vs_value *d = json("{\"Num\":1,\"Str\":{\"Day\":\"x\",\"Streak\":1},\"Zero\":{\"Day\":1,\"Streak\":0},"
                       "\"Half\":{\"Day\":20453},\"Frac\":{\"Day\":1.5,\"Streak\":1},"
                       "\"Far\":{\"Day\":9007199254740992,\"Streak\":1}}");
    text before = json_of(d);
    vs_daily_result r;
    vs_path num = path("Num"), str = path("Str"), zero = path("Zero"), half = path("Half");
    vs_path frac = path("Frac"), far = path("Far"), under = path("Num.Daily"), root = path("");
    vs_path orphan = path("No.Daily"), ok = path("Daily");
    assert_int_equal(vs_daily_claim(d, &num, T0, 7, &r), VS_ERR_TYPE);
    assert_false(r.claimed);
    assert_int_equal(vs_daily_claim(d, &under, T0, 7, &r), VS_ERR_TYPE);
    assert_int_equal(vs_daily_claim(d, &str, T0, 7, &r), VS_ERR_TYPE);
    assert_int_equal(vs_daily_claim(d, &zero, T0, 7, &r), VS_ERR_INVALID);
    assert_int_equal(vs_daily_claim(d, &half, T0, 7, &r), VS_ERR_INVALID);
    assert_int_equal(vs_daily_claim(d, &frac, T0, 7, &r), VS_ERR_INVALID);
    assert_int_equal(vs_daily_claim(d, &far, T0, 7, &r), VS_ERR_INVALID);
    assert_int_equal(vs_daily_peek(d, &half, T0, 7, &r), VS_ERR_INVALID);
    assert_int_equal(vs_daily_claim(d, &root, T0, 7, &r), VS_ERR_PATH);
    assert_int_equal(vs_daily_claim(d, &orphan, T0, 7, &r), VS_ERR_NO_PARENT);
    assert_false(r.claimed); /* the write failed: nothing was claimed */
    assert_int_equal(vs_daily_claim(d, &ok, T0, 0, &r), VS_ERR_ARG);
    assert_int_equal(vs_daily_claim(d, &ok, MAX53 + 1, 7, &r), VS_ERR_ARG);
    assert_int_equal(vs_daily_claim(d, &ok, T0, 7, NULL), VS_ERR_ARG);
    assert_int_equal(vs_daily_claim(NULL, &ok, T0, 7, &r), VS_ERR_ARG);
    expect_json(d, before.s);
    vs_path_free(&num);
    vs_path_free(&str);
    vs_path_free(&zero);
    vs_path_free(&half);
    vs_path_free(&frac);
    vs_path_free(&far);
    vs_path_free(&under);
    vs_path_free(&root);
    vs_path_free(&orphan);
    vs_path_free(&ok);
    vs_free(d);
}

/* ------------------------------------------------------------------------------------------
 * Timed effects
 * ---------------------------------------------------------------------------------------- */

static int64_t left_fx(const vs_value *d, const vs_path *p, const char *name, int64_t now)
{
    int64_t r = -1;
    assert_int_equal(vs_effect_remaining(d, p, name, now, &r), VS_OK);
    return r;
}

static bool active_fx(const vs_value *d, const vs_path *p, const char *name, int64_t now)
{
    bool a = false;
    assert_int_equal(vs_effect_active(d, p, name, now, &a), VS_OK);
    return a;
}

static void effect_ends_exactly_at_its_expiry(void **state)
{
    (void)state;
    vs_value *d = json("{}");
    vs_path p = path("Effects");
    assert_false(active_fx(d, &p, "Speed", T0));
    assert_int_equal(vs_effect_add(d, &p, "Speed", T0, 10 * MIN), VS_OK);
    expect_json(d, "{\"Effects\":{\"Speed\":{\"Duration\":600000000,\"Expires\":1767226200000000}}}");
    assert_true(active_fx(d, &p, "Speed", T0));
    assert_int_equal(left_fx(d, &p, "Speed", T0), 10 * MIN);
    assert_int_equal(left_fx(d, &p, "Speed", T0 + 10 * MIN - 1), 1);
    assert_true(active_fx(d, &p, "Speed", T0 + 10 * MIN - 1));
    assert_false(active_fx(d, &p, "Speed", T0 + 10 * MIN));
    assert_int_equal(left_fx(d, &p, "Speed", T0 + 10 * MIN), 0);
    assert_false(active_fx(d, &p, "Jump", T0));
    vs_path_free(&p);
    vs_free(d);
}

static void effect_add_refreshes_without_shortening_and_extend_stacks(void **state)
{
    (void)state;
    vs_value *d = json("{}");
    vs_path p = path("Effects");
    assert_int_equal(vs_effect_add(d, &p, "Speed", T0, 10 * MIN), VS_OK);
    text before = json_of(d);
    assert_int_equal(vs_effect_add(d, &p, "Speed", T0 + MIN, 5 * MIN), VS_OK); /* 9 left > 5 */
    expect_json(d, before.s);
    assert_int_equal(vs_effect_add(d, &p, "Speed", T0 + MIN, 9 * MIN), VS_OK); /* equal: kept */
    expect_json(d, before.s);
    assert_int_equal(vs_effect_add(d, &p, "Speed", T0 + MIN, 20 * MIN), VS_OK);
    assert_int_equal(left_fx(d, &p, "Speed", T0 + MIN), 20 * MIN);
    /* Stacking: what is left plus the new duration. */
    assert_int_equal(vs_effect_extend(d, &p, "Speed", T0 + 11 * MIN, 5 * MIN), VS_OK);
    assert_int_equal(left_fx(d, &p, "Speed", T0 + 11 * MIN), 15 * MIN);
    expect_json(d, "{\"Effects\":{\"Speed\":{\"Duration\":900000000,\"Expires\":1767227160000000}}}");
    /* Extending an ended effect counts from now. */
    assert_int_equal(vs_effect_extend(d, &p, "Speed", T0 + HOUR, 5 * MIN), VS_OK);
    assert_int_equal(left_fx(d, &p, "Speed", T0 + HOUR), 5 * MIN);
    /* Adding over an ended effect too. */
    assert_int_equal(vs_effect_add(d, &p, "Speed", T0 + 2 * HOUR, 2 * MIN), VS_OK);
    assert_int_equal(left_fx(d, &p, "Speed", T0 + 2 * HOUR), 2 * MIN);
    vs_path_free(&p);
    vs_free(d);
}

typedef struct names {
    int count;
    char got[8][16];
} names;

static void note_name(void *arg, const char *name)
{
    names *n = arg;
    assert_true(n->count < 8);
    snprintf(n->got[n->count++], sizeof n->got[0], "%s", name);
}

static void effects_prune_removes_the_ended_in_name_order(void **state)
{
    (void)state;
    vs_value *d = json("{\"Other\":1}");
    vs_path p = path("Effects");
    /* Added in an order unlike the names' order. */
    assert_int_equal(vs_effect_add(d, &p, "Zeta", T0, 1 * MIN), VS_OK);
    assert_int_equal(vs_effect_add(d, &p, "Alpha", T0, 2 * MIN), VS_OK);
    assert_int_equal(vs_effect_add(d, &p, "Mid", T0, 10 * MIN), VS_OK);
    assert_int_equal(vs_effect_add(d, &p, "Beta", T0, 5 * MIN), VS_OK);
    names n = {0};
    size_t removed = 99;
    /* At T0 + 5 min: Zeta, Alpha and Beta (exactly at its expiry) have ended; Mid has not. */
    assert_int_equal(vs_effects_prune(d, &p, T0 + 5 * MIN, note_name, &n, &removed), VS_OK);
    assert_int_equal(removed, 3);
    assert_int_equal(n.count, 3);
    assert_string_equal(n.got[0], "Alpha");
    assert_string_equal(n.got[1], "Beta");
    assert_string_equal(n.got[2], "Zeta");
    expect_json(d, "{\"Effects\":{\"Mid\":{\"Duration\":600000000,\"Expires\":1767226200000000}},"
                   "\"Other\":1}");
    /* Nothing more has ended: nothing changes. */
    text before = json_of(d);
    assert_int_equal(vs_effects_prune(d, &p, T0 + 5 * MIN, NULL, NULL, &removed), VS_OK);
    assert_int_equal(removed, 0);
    expect_json(d, before.s);
    assert_int_equal(vs_effects_prune(d, &p, T0 + 10 * MIN, NULL, NULL, NULL), VS_OK);
    expect_json(d, "{\"Effects\":{},\"Other\":1}");
    vs_path_free(&p);
    vs_free(d);
}

static void effects_prune_is_all_or_nothing(void **state)
{
    (void)state;
    vs_value *d = json("{\"Effects\":{\"A\":{\"Duration\":1,\"Expires\":0},\"B\":{\"Expires\":0},"
                       "\"C\":{\"Duration\":1,\"Expires\":0}}}");
    text before = json_of(d);
    vs_path p = path("Effects");
    names n = {0};
    size_t removed = 99;
    /* B is malformed: A and C, though ended, stay, and nobody hears of them. */
    assert_int_equal(vs_effects_prune(d, &p, T0, note_name, &n, &removed), VS_ERR_INVALID);
    assert_int_equal(removed, 0);
    assert_int_equal(n.count, 0);
    expect_json(d, before.s);
    vs_path_free(&p);
    vs_free(d);
}

static void effect_state_travels_with_the_profile(void **state)
{
    (void)state;
    vs_value *a = json("{}");
    vs_path p = path("Effects");
    assert_int_equal(vs_effect_add(a, &p, "Speed", T0, 10 * MIN), VS_OK);
    vs_value *b = vs_copy(a); /* the hop */
    vs_free(a);
    assert_int_equal(left_fx(b, &p, "Speed", T0 + 4 * MIN), 6 * MIN);
    assert_int_equal(vs_effect_extend(b, &p, "Speed", T0 + 4 * MIN, MIN), VS_OK);
    vs_value *c = vs_copy(b); /* and back */
    vs_free(b);
    assert_true(active_fx(c, &p, "Speed", T0 + 11 * MIN - 1));
    assert_false(active_fx(c, &p, "Speed", T0 + 11 * MIN));
    vs_path_free(&p);
    vs_free(c);
}

static void effect_on_servers_five_minutes_off(void **state)
{
    (void)state;
    const int64_t behind = -5 * MIN, ahead = 5 * MIN;
    vs_value *d = json("{}");
    vs_path p = path("Effects");
    assert_int_equal(vs_effect_add(d, &p, "Speed", on(0, T0), 10 * MIN), VS_OK);
    /* Behind: the clamp keeps the remaining time within the duration (not 14 minutes)... */
    assert_int_equal(left_fx(d, &p, "Speed", on(behind, T0 + MIN)), 10 * MIN);
    assert_int_equal(left_fx(d, &p, "Speed", on(behind, T0 + 6 * MIN)), 9 * MIN);
    /* ...and the effect lasts 5 minutes longer in true time. */
    assert_true(active_fx(d, &p, "Speed", on(behind, T0 + 15 * MIN) - 1));
    assert_false(active_fx(d, &p, "Speed", on(behind, T0 + 15 * MIN)));
    /* Ahead: 5 minutes shorter. */
    assert_int_equal(left_fx(d, &p, "Speed", on(ahead, T0 + MIN)), 4 * MIN);
    assert_true(active_fx(d, &p, "Speed", on(ahead, T0 + 5 * MIN) - 1));
    assert_false(active_fx(d, &p, "Speed", on(ahead, T0 + 5 * MIN)));
    /* Pruned on the ahead server at true T0 + 5 min: gone for everyone. */
    assert_int_equal(vs_effects_prune(d, &p, on(ahead, T0 + 5 * MIN), NULL, NULL, NULL), VS_OK);
    assert_false(active_fx(d, &p, "Speed", on(behind, T0 + 5 * MIN)));
    vs_path_free(&p);
    vs_free(d);
}

static void effect_errors_change_nothing(void **state)
{
    (void)state;
    vs_value *d = json("{\"Num\":1,\"Fx\":{\"Str\":\"x\",\"NoDur\":{\"Expires\":5},"
                       "\"BadDur\":{\"Duration\":-1,\"Expires\":5},\"Frac\":{\"Duration\":1,\"Expires\":0.5},"
                       "\"StrExp\":{\"Duration\":1,\"Expires\":\"soon\"}}}");
    text before = json_of(d);
    vs_path num = path("Num"), fx = path("Fx"), root = path(""), orphan = path("No.Effects");
    vs_path ok = path("Effects");
    int64_t r;
    bool b;
    assert_int_equal(vs_effect_add(d, &num, "Speed", T0, MIN), VS_ERR_TYPE);
    assert_int_equal(vs_effect_active(d, &num, "Speed", T0, &b), VS_ERR_TYPE);
    assert_int_equal(vs_effect_remaining(d, &fx, "Str", T0, &r), VS_ERR_TYPE);
    assert_int_equal(vs_effect_remaining(d, &fx, "StrExp", T0, &r), VS_ERR_TYPE);
    assert_int_equal(vs_effect_remaining(d, &fx, "NoDur", T0, &r), VS_ERR_INVALID);
    assert_int_equal(vs_effect_remaining(d, &fx, "BadDur", T0, &r), VS_ERR_INVALID);
    assert_int_equal(vs_effect_remaining(d, &fx, "Frac", T0, &r), VS_ERR_INVALID);
    assert_int_equal(vs_effect_add(d, &fx, "Str", T0, MIN), VS_ERR_TYPE); /* not overwritten */
    assert_int_equal(vs_effects_prune(d, &fx, T0, NULL, NULL, NULL), VS_ERR_INVALID); /* BadDur, first */
    assert_int_equal(vs_effects_prune(d, &num, T0, NULL, NULL, NULL), VS_ERR_TYPE);
    assert_int_equal(vs_effect_add(d, &root, "Speed", T0, MIN), VS_ERR_PATH);
    assert_int_equal(vs_effect_add(d, &orphan, "Speed", T0, MIN), VS_ERR_NO_PARENT);
    assert_int_equal(vs_effect_add(d, &ok, "Speed", T0, 0), VS_ERR_ARG);
    assert_int_equal(vs_effect_add(d, &ok, "Speed", T0, -MIN), VS_ERR_ARG);
    assert_int_equal(vs_effect_add(d, &ok, "", T0, MIN), VS_ERR_ARG);
    assert_int_equal(vs_effect_add(d, &ok, "Speed", MAX53 - MIN + 1, MIN), VS_ERR_ARG); /* expiry past 2^53 */
    assert_int_equal(vs_effect_extend(d, &ok, "Speed", T0, MAX53 + 1), VS_ERR_ARG);
    assert_int_equal(vs_effect_active(d, &ok, "Speed", -MAX53 - 1, &b), VS_ERR_ARG);
    expect_json(d, before.s);
    /* The last representable expiry is fine. */
    assert_int_equal(vs_effect_add(d, &ok, "Speed", MAX53 - MIN, MIN), VS_OK);
    assert_int_equal(left_fx(d, &ok, "Speed", MAX53 - MIN), MIN);
    vs_path_free(&num);
    vs_path_free(&fx);
    vs_path_free(&root);
    vs_path_free(&orphan);
    vs_path_free(&ok);
    vs_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cooldown_is_ready_exactly_at_its_length),
        cmocka_unit_test(cooldown_use_starts_only_when_ready),
        cmocka_unit_test(cooldown_state_travels_with_the_profile),
        cmocka_unit_test(cooldown_on_a_server_five_minutes_behind_lasts_five_minutes_longer),
        cmocka_unit_test(cooldown_on_a_server_five_minutes_ahead_ends_five_minutes_early),
        cmocka_unit_test(cooldown_clamp_bounds_a_start_from_a_clock_ahead),
        cmocka_unit_test(cooldown_errors_change_nothing),
        cmocka_unit_test(daily_day_is_the_floored_utc_day),
        cmocka_unit_test(daily_claims_once_per_day_and_grows_the_streak),
        cmocka_unit_test(daily_streak_stops_at_max_and_resets_after_a_missed_day),
        cmocka_unit_test(daily_peek_changes_nothing),
        cmocka_unit_test(daily_state_travels_with_the_profile),
        cmocka_unit_test(daily_claim_twice_across_midnight_when_the_first_server_is_behind),
        cmocka_unit_test(daily_claim_on_a_server_ahead_moves_the_next_claim_not_doubles_it),
        cmocka_unit_test(daily_never_grants_one_day_number_twice_across_skewed_servers),
        cmocka_unit_test(daily_errors_change_nothing),
        cmocka_unit_test(effect_ends_exactly_at_its_expiry),
        cmocka_unit_test(effect_add_refreshes_without_shortening_and_extend_stacks),
        cmocka_unit_test(effects_prune_removes_the_ended_in_name_order),
        cmocka_unit_test(effects_prune_is_all_or_nothing),
        cmocka_unit_test(effect_state_travels_with_the_profile),
        cmocka_unit_test(effect_on_servers_five_minutes_off),
        cmocka_unit_test(effect_errors_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
