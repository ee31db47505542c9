/* test_messaging.c: the simulated MessagingService: fan-out to every subscriber (the sender's
 * own included) after a delay within bounds, unsubscribe (also of deliveries in flight or
 * held), topic and message limits, send rate and subscription limits per profile, the
 * per-topic receive limit, loss / duplication / reordering / partition faults, frozen and
 * crashed receivers, the publish acknowledgement, and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/messaging.h"

#define SEC 1000000LL
#define NSERVERS 4

typedef struct got {
    int server;
    uint64_t seq; /* the first 8 bytes of the message, when it has them */
    int64_t at_us;
    size_t len;
    char topic[100];
} got;

typedef struct env env;

typedef struct receiver {
    env *e;
    int server;
} receiver;

struct env {
    world w;
    platform_limits lim;
    fault_plan faults;
    messaging m;
    endpoint ep[NSERVERS + 1]; /* ep[1..NSERVERS]; ep[0] unused */
    receiver rc[NSERVERS + 1];
    got *log;
    size_t n, cap;
    char last_data[2048];
};

typedef struct acks {
    world *w;
    int calls, ok, other;
    int last_code;
    int count[10]; /* by code - 700 */
    int64_t at_us;
} acks;

static void on_ack(void *arg, int code, const char *message)
{
    acks *a = arg;
    assert_non_null(message);
    a->calls++;
    a->last_code = code;
    a->at_us = a->w->now_us;
    if (code == 0)
        a->ok++;
    else if (code > 700 && code < 710)
        a->count[code - 700]++;
    else
        a->other++;
}

static void on_message(void *arg, const char *topic, const char *data, size_t len)
{
    receiver *rc = arg;
    env *e = rc->e;
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 256;
        e->log = realloc(e->log, e->cap * sizeof *e->log);
        assert_non_null(e->log);
    }
    got *g = &e->log[e->n++];
    *g = (got){.server = rc->server, .at_us = e->w.now_us, .len = len};
    if (len >= 8)
        memcpy(&g->seq, data, 8);
    snprintf(g->topic, sizeof g->topic, "%s", topic);
    assert_int_equal(data[len], '\0'); /* handlers get the bytes NUL-terminated */
    if (len < sizeof e->last_data)
        memcpy(e->last_data, data, len + 1);
}

static env *env_new(uint64_t seed, limits_profile profile)
{
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_true(world_init(&e->w, seed));
    limits_init(&e->lim, profile);
    fault_plan_init(&e->faults);
    assert_true(messaging_init(&e->m, &e->w, &e->lim, &e->faults));
    for (int i = 1; i <= NSERVERS; i++) {
        endpoint_init(&e->ep[i], &e->w, i);
        e->ep[i].players = 10;
        e->rc[i] = (receiver){.e = e, .server = i};
    }
    e->m.servers = NSERVERS;
    return e;
}

static void env_free(env *e)
{
    messaging_free(&e->m);
    for (int i = 1; i <= NSERVERS; i++)
        endpoint_free(&e->ep[i]);
    world_free(&e->w); /* drops deliveries and acks still pending */
    fault_plan_free(&e->faults);
    free(e->log);
    free(e);
}

static vs_sub_id sub(env *e, int server, const char *topic)
{
    int code = -1;
    vs_sub_id id = messaging_subscribe(&e->m, &e->ep[server], topic, on_message, &e->rc[server], &code);
    assert_int_not_equal(id, 0);
    assert_int_equal(code, 0);
    return id;
}

static void pub(env *e, int server, const char *topic, uint64_t seq, acks *a)
{
    messaging_publish(&e->m, &e->ep[server], topic, (const char *)&seq, sizeof seq,
                      a ? on_ack : NULL, a);
}

static void add_fault(env *e, fault_kind kind, uint64_t mask, int64_t start, int64_t end,
                      uint32_t ppm, int64_t amount)
{
    fault f = fault_default(kind);
    f.server_mask = mask;
    f.start_us = start;
    f.end_us = end;
    f.ppm = ppm;
    f.amount = amount;
    assert_true(fault_plan_add(&e->faults, &f));
}

static size_t count_for(const env *e, int server)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += e->log[i].server == server;
    return n;
}

static void run_all(env *e)
{
    world_run_until(&e->w, INT64_MAX, true);
}

/* ---- tests ---- */

static void error_table_names_codes(void **state)
{
    assert_string_equal(messaging_error_name(MESSAGING_ERR_SendThrottled), "SendThrottled");
    assert_string_equal(messaging_error_name(0), "OK");
    assert_string_equal(messaging_error_name(12345), "Unknown");
    assert_true(messaging_error_transient(MESSAGING_ERR_SendThrottled));
    assert_true(messaging_error_transient(MESSAGING_ERR_Unreachable));
    assert_false(messaging_error_transient(MESSAGING_ERR_TopicInvalid));
    assert_false(messaging_error_transient(MESSAGING_ERR_MessageTooLarge));
    /* distinct from every DataStore code */
    for (int c = 701; c <= 705; c++) {
        assert_int_equal(vs_ds_classify(c), VS_DS_CLASS_UNKNOWN);
        assert_string_not_equal(messaging_error_name(c), "Unknown");
        assert_non_null(messaging_error_message(c));
    }
}

static void delivers_to_every_subscriber_including_sender(void **state)
{
    env *e = env_new(1, LIMITS_CURRENT);
    for (int s = 1; s <= 3; s++)
        sub(e, s, "t");
    sub(e, 4, "other");
    acks a = {.w = &e->w};
    messaging_publish(&e->m, &e->ep[1], "t", "hello", 5, on_ack, &a);
    assert_int_equal(a.calls, 0); /* never synchronous */
    assert_int_equal(e->n, 0);
    run_all(e);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.last_code, 0);
    assert_int_equal(a.at_us, e->m.ack_us);
    assert_int_equal(e->n, 3);
    for (int s = 1; s <= 3; s++)
        assert_int_equal(count_for(e, s), 1);
    assert_int_equal(count_for(e, 4), 0);
    for (size_t i = 0; i < e->n; i++) {
        assert_in_range(e->log[i].at_us, e->lim.msg_delay_min_us, e->lim.msg_delay_max_us);
        assert_string_equal(e->log[i].topic, "t");
        assert_int_equal(e->log[i].len, 5);
    }
    assert_string_equal(e->last_data, "hello");
    assert_int_equal(e->m.stats.published, 1);
    assert_int_equal(e->m.stats.delivered, 3);
    /* a topic nobody listens to is accepted and goes nowhere */
    pub(e, 2, "nobody", 1, &a);
    run_all(e);
    assert_int_equal(a.calls, 2);
    assert_int_equal(a.last_code, 0);
    assert_int_equal(e->n, 3);
    env_free(e);
}

static void delays_are_drawn_per_delivery_within_bounds(void **state)
{
    env *e = env_new(2, LIMITS_CURRENT);
    for (int s = 1; s <= NSERVERS; s++)
        sub(e, s, "t");
    for (int i = 0; i < 50; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    run_all(e);
    assert_int_equal(e->n, 200);
    int64_t lo = INT64_MAX, hi = 0;
    for (size_t i = 0; i < e->n; i++) {
        assert_in_range(e->log[i].at_us, e->lim.msg_delay_min_us, e->lim.msg_delay_max_us);
        if (e->log[i].at_us < lo)
            lo = e->log[i].at_us;
        if (e->log[i].at_us > hi)
            hi = e->log[i].at_us;
    }
    /* 200 uniform draws over one second spread over most of it */
    assert_true(hi - lo > SEC / 2);
    /* a message_delay fault adds its amount */
    add_fault(e, FAULT_MESSAGE_DELAY, 0, 0, FAULT_FOREVER, 0, 5 * SEC);
    int64_t t0 = e->w.now_us;
    size_t before = e->n;
    pub(e, 1, "t", 99, NULL);
    run_all(e);
    assert_int_equal(e->n, before + NSERVERS);
    for (size_t i = before; i < e->n; i++)
        assert_in_range(e->log[i].at_us - t0, e->lim.msg_delay_min_us + 5 * SEC,
                        e->lim.msg_delay_max_us + 5 * SEC);
    env_free(e);
}

static void subscriptions_are_served_in_creation_order(void **state)
{
    env *e = env_new(3, LIMITS_CURRENT);
    e->lim.msg_delay_min_us = e->lim.msg_delay_max_us = SEC; /* all arrive at one instant */
    sub(e, 3, "t");
    vs_sub_id s1 = sub(e, 1, "t");
    sub(e, 2, "t");
    pub(e, 4, "t", 1, NULL);
    run_all(e);
    assert_int_equal(e->n, 3);
    assert_int_equal(e->log[0].server, 3);
    assert_int_equal(e->log[1].server, 1);
    assert_int_equal(e->log[2].server, 2);
    /* a new subscription goes last */
    assert_true(messaging_unsubscribe(&e->m, s1));
    sub(e, 1, "t");
    pub(e, 4, "t", 2, NULL);
    run_all(e);
    assert_int_equal(e->n, 6);
    assert_int_equal(e->log[3].server, 3);
    assert_int_equal(e->log[4].server, 2);
    assert_int_equal(e->log[5].server, 1);
    env_free(e);
}

static void unsubscribe_stops_delivery_even_in_flight(void **state)
{
    env *e = env_new(4, LIMITS_CURRENT);
    sub(e, 1, "t");
    vs_sub_id s2 = sub(e, 2, "t");
    vs_sub_id s3 = sub(e, 3, "t");
    pub(e, 1, "t", 1, NULL);
    world_run_until(&e->w, SEC / 2, false); /* in flight: nothing arrived yet */
    assert_int_equal(e->n, 0);
    assert_true(messaging_unsubscribe(&e->m, s2));
    assert_false(messaging_unsubscribe(&e->m, s2)); /* already ended */
    assert_false(messaging_unsubscribe(&e->m, 0));
    assert_false(messaging_unsubscribe(&e->m, 9999));
    /* server 3 is frozen: its delivery is held, then the subscription ends before resume */
    endpoint_freeze(&e->ep[3]);
    world_run_until(&e->w, 3 * SEC, false);
    assert_int_equal(count_for(e, 1), 1);
    assert_int_equal(count_for(e, 3), 0);
    assert_true(messaging_unsubscribe(&e->m, s3));
    endpoint_resume(&e->ep[3]);
    run_all(e);
    assert_int_equal(count_for(e, 2), 0);
    assert_int_equal(count_for(e, 3), 0);
    assert_int_equal(e->m.stats.dropped_unsubscribed, 2);
    assert_int_equal(e->m.stats.dropped, 2);
    assert_int_equal(messaging_subscription_count(&e->m, 2), 0);
    assert_int_equal(messaging_subscription_count(&e->m, 1), 1);
    /* unsubscribe_all ends every subscription of one server, and only those */
    sub(e, 2, "a");
    sub(e, 2, "b");
    sub(e, 2, "a"); /* a second subscription to one topic is a subscription too */
    sub(e, 4, "a");
    assert_int_equal(messaging_subscription_count(&e->m, 2), 3);
    assert_int_equal(messaging_unsubscribe_all(&e->m, &e->ep[2]), 3);
    assert_int_equal(messaging_subscription_count(&e->m, 2), 0);
    size_t before = e->n;
    pub(e, 1, "a", 2, NULL);
    run_all(e);
    assert_int_equal(e->n, before + 1);
    assert_int_equal(e->log[e->n - 1].server, 4);
    env_free(e);
}

static void expect_topic_refused(env *e, const char *topic)
{
    int code = 0;
    assert_int_equal(messaging_subscribe(&e->m, &e->ep[1], topic, on_message, &e->rc[1], &code), 0);
    assert_int_equal(code, MESSAGING_ERR_TopicInvalid);
    acks a = {.w = &e->w};
    messaging_publish(&e->m, &e->ep[1], topic, "x", 1, on_ack, &a);
    run_all(e);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.last_code, MESSAGING_ERR_TopicInvalid);
}

static void topic_and_message_limits(void **state)
{
    env *e = env_new(5, LIMITS_CURRENT);
    char topic[400];
    memset(topic, 'a', 80);
    topic[80] = '\0';
    sub(e, 2, topic); /* 80 characters: fine */
    topic[80] = 'a';
    topic[81] = '\0';
    expect_topic_refused(e, topic); /* 81 */
    expect_topic_refused(e, "");
    /* characters, not bytes: 80 two-byte characters are fine, 81 are not */
    topic[0] = '\0';
    for (int i = 0; i < 80; i++)
        strcat(topic, "\xc3\xa9");
    sub(e, 2, topic);
    strcat(topic, "\xc3\xa9");
    expect_topic_refused(e, topic);
    /* invalid UTF-8: stray continuation, overlong NUL, surrogate, beyond U+10FFFF, truncated */
    expect_topic_refused(e, "a\x80");
    expect_topic_refused(e, "\xc0\x80");
    expect_topic_refused(e, "\xed\xa0\x80");
    expect_topic_refused(e, "\xf4\x90\x80\x80");
    expect_topic_refused(e, "\xe2\x82");
    sub(e, 2, "\xf0\x9f\x98\x80"); /* an emoji is one valid character */

    /* message size: msg_max_bytes is fine, one more is not */
    sub(e, 2, "m");
    char *big = calloc(1, 2000);
    memset(big, 'z', 1025);
    acks a = {.w = &e->w};
    messaging_publish(&e->m, &e->ep[1], "m", big, (size_t)e->lim.msg_max_bytes, on_ack, &a);
    messaging_publish(&e->m, &e->ep[1], "m", big, (size_t)e->lim.msg_max_bytes + 1, on_ack, &a);
    run_all(e);
    assert_int_equal(a.calls, 2);
    assert_int_equal(a.ok, 1);
    assert_int_equal(a.count[MESSAGING_ERR_MessageTooLarge - 700], 1);
    assert_int_equal(e->n, 1);
    assert_int_equal(e->log[0].len, (size_t)e->lim.msg_max_bytes);
    assert_int_equal(e->m.stats.publish_failed, 9);
    free(big);
    env_free(e);
}

/* Publishes `tries` messages at this instant; returns how many were accepted. Time does not
 * move. */
static int64_t burst(env *e, int server, int64_t tries)
{
    uint64_t before = e->m.stats.published;
    for (int64_t i = 0; i < tries; i++)
        pub(e, server, "nobody", (uint64_t)i, NULL);
    return (int64_t)(e->m.stats.published - before);
}

static void check_send_rate(limits_profile profile, int64_t expected)
{
    env *e = env_new(6, profile);
    assert_int_equal(limits_rate(e->lim.msg_send, 10), expected);
    assert_int_equal(burst(e, 1, expected + 5), expected);
    assert_int_equal(e->m.stats.throttled, 5);
    /* the refusal reaches the sender as SendThrottled */
    acks a = {.w = &e->w};
    pub(e, 1, "nobody", 0, &a);
    /* another server has its own bucket */
    assert_int_equal(burst(e, 2, 3), 3);
    /* refilled continuously: one token per minute / rate, exactly */
    int64_t per_token = 60 * SEC / expected;
    assert_int_equal(60 * SEC % expected, 0);
    world_run_until(&e->w, per_token - 1, false);
    assert_int_equal(burst(e, 1, 1), 0); /* not yet */
    world_run_until(&e->w, per_token, false);
    assert_int_equal(burst(e, 1, 3), 1); /* exactly one more */
    assert_true(e->m.ack_us <= per_token);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.last_code, MESSAGING_ERR_SendThrottled);
    world_run_until(&e->w, 3 * per_token, false);
    assert_int_equal(burst(e, 1, 3), 2);
    /* capped at one minute's worth, however long the server waited */
    world_run_until(&e->w, e->w.now_us + 3600 * SEC, false);
    assert_int_equal(burst(e, 1, expected * 2), expected);
    /* also when half of it was left unused */
    world_run_until(&e->w, e->w.now_us + 3600 * SEC, false);
    assert_int_equal(burst(e, 1, expected / 2), expected / 2);
    world_run_until(&e->w, e->w.now_us + 3600 * SEC, false);
    assert_int_equal(burst(e, 1, expected * 2), expected);
    env_free(e);
}

static void send_rate_per_profile(void **state)
{
    check_send_rate(LIMITS_CURRENT, 600 + 240 * 10);
    check_send_rate(LIMITS_CLASSIC, 150 + 60 * 10);
    check_send_rate(LIMITS_2023, 150 + 60 * 10);
    /* the rate follows the player count */
    env *e = env_new(7, LIMITS_CURRENT);
    e->ep[1].players = 0;
    assert_int_equal(burst(e, 1, 700), 600);
    env_free(e);
}

static void check_subscription_limit(limits_profile profile, int64_t expected)
{
    env *e = env_new(8, profile);
    assert_int_equal(limits_rate(e->lim.msg_subscriptions, 10), expected);
    vs_sub_id first = 0;
    char topic[32];
    for (int64_t i = 0; i < expected; i++) {
        snprintf(topic, sizeof topic, "t%lld", (long long)i);
        vs_sub_id id = sub(e, 1, topic);
        if (!first)
            first = id;
    }
    int code = 0;
    assert_int_equal(messaging_subscribe(&e->m, &e->ep[1], "one-more", on_message, &e->rc[1], &code), 0);
    assert_int_equal(code, MESSAGING_ERR_TooManySubscriptions);
    assert_int_equal(e->m.stats.subscribe_failed, 1);
    assert_int_equal(messaging_subscription_count(&e->m, 1), expected);
    sub(e, 2, "one-more"); /* per server */
    assert_true(messaging_unsubscribe(&e->m, first));
    sub(e, 1, "one-more");
    env_free(e);
}

static void subscription_limit_per_profile(void **state)
{
    check_subscription_limit(LIMITS_CURRENT, 20 + 8 * 10);
    check_subscription_limit(LIMITS_CLASSIC, 5 + 2 * 10);
    check_subscription_limit(LIMITS_2023, 5 + 2 * 10);
}

static void per_topic_receive_limit(void **state)
{
    env *e = env_new(9, LIMITS_CURRENT);
    e->lim.msg_delay_min_us = e->lim.msg_delay_max_us = SEC; /* no refill between arrivals */
    e->m.servers = 1;
    int64_t limit = limits_rate(e->lim.msg_topic_receive, 1);
    assert_int_equal(limit, 40 + 80);
    sub(e, 2, "t");
    sub(e, 3, "quiet");
    for (int i = 0; i < 200; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    pub(e, 1, "quiet", 0, NULL); /* another topic has its own limit */
    run_all(e);
    assert_int_equal(count_for(e, 2), limit);
    assert_int_equal(count_for(e, 3), 1);
    assert_int_equal(e->m.stats.dropped_topic_rate, 200 - limit);
    /* the limit grows with the servers in the experience */
    e->m.servers = 2;
    world_run_until(&e->w, e->w.now_us + 60 * SEC, false);
    size_t before = count_for(e, 2);
    for (int i = 0; i < 200; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    run_all(e);
    assert_int_equal(count_for(e, 2) - before, 200);
    /* each receiving subscription counts: 2 subscribers x 150 messages = 300 > 200 */
    sub(e, 4, "t");
    world_run_until(&e->w, e->w.now_us + 60 * SEC, false);
    size_t all = e->n;
    for (int i = 0; i < 150; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    run_all(e);
    assert_int_equal(e->n - all, limits_rate(e->lim.msg_topic_receive, 2));
    env_free(e);
}

/* 5 standard deviations of a binomial(n, p) count, p = ppm / 1e6, in integers:
 * the square root of n p (1 - p), times 5, rounded up. */
static int64_t five_sigma(int64_t n, int64_t ppm)
{
    int64_t var_x1e12 = n * ppm * (1000000 - ppm); /* variance x 1e12 */
    int64_t sd = 0;
    while ((sd + 1) * (sd + 1) * 1000000000000LL <= var_x1e12)
        sd++;
    return 5 * (sd + 1);
}

static env *mass_env(uint64_t seed)
{
    env *e = env_new(seed, LIMITS_CURRENT);
    e->lim.msg_send.base = 1000000000; /* these tests are about faults, not limits */
    e->lim.msg_topic_receive.base = 1000000000;
    return e;
}

static void loss_rate_matches_the_fault(void **state)
{
    const int64_t n = 100000, ppm = 50000;
    env *e = mass_env(10);
    add_fault(e, FAULT_MESSAGE_LOSS, 0, 0, FAULT_FOREVER, (uint32_t)ppm, 0);
    sub(e, 2, "t");
    for (int64_t i = 0; i < n; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    run_all(e);
    int64_t lost = (int64_t)e->m.stats.lost, expect = n * ppm / 1000000, tol = five_sigma(n, ppm);
    assert_in_range(lost, expect - tol, expect + tol);
    assert_int_equal(e->n, n - lost);
    assert_int_equal(e->m.stats.delivered, n - lost);
    assert_int_equal(e->m.stats.duplicated, 0);
    env_free(e);

    /* aimed at server 3 only: server 2 loses nothing */
    e = mass_env(11);
    add_fault(e, FAULT_MESSAGE_LOSS, 1u << 2, 0, FAULT_FOREVER, 500000, 0);
    sub(e, 2, "t");
    sub(e, 3, "t");
    for (int i = 0; i < 2000; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    run_all(e);
    assert_int_equal(count_for(e, 2), 2000);
    assert_in_range(count_for(e, 3), 1000 - five_sigma(2000, 500000), 1000 + five_sigma(2000, 500000));
    env_free(e);
}

static void duplication_rate_matches_the_fault(void **state)
{
    const int64_t n = 100000, ppm = 50000;
    env *e = mass_env(12);
    add_fault(e, FAULT_MESSAGE_DUPLICATION, 0, 0, FAULT_FOREVER, (uint32_t)ppm, 0);
    sub(e, 2, "t");
    for (int64_t i = 0; i < n; i++)
        pub(e, 1, "t", (uint64_t)i, NULL);
    run_all(e);
    int64_t dup = (int64_t)e->m.stats.duplicated, expect = n * ppm / 1000000, tol = five_sigma(n, ppm);
    assert_in_range(dup, expect - tol, expect + tol);
    assert_int_equal(e->n, n + dup);
    /* each copy has its own delay: copies of one message mostly arrive at different times */
    int64_t *first = calloc((size_t)n, sizeof *first);
    int copies = 0, apart = 0;
    for (size_t i = 0; i < e->n; i++) {
        uint64_t s = e->log[i].seq;
        if (first[s]) {
            copies++;
            apart += first[s] != e->log[i].at_us;
        } else {
            first[s] = e->log[i].at_us;
        }
    }
    assert_int_equal(copies, dup);
    assert_true(apart > copies * 9 / 10);
    free(first);
    env_free(e);
}

/* Messages 1.5 s apart with delays in [1 s, 2 s] cannot overtake each other; returns how many
 * arrived before one sent earlier. */
static int count_inversions(env *e, int n)
{
    sub(e, 2, "t");
    for (int i = 0; i < n; i++) {
        world_run_until(&e->w, (int64_t)i * 1500000, false);
        pub(e, 1, "t", (uint64_t)i, NULL);
    }
    run_all(e);
    assert_int_equal(e->n, n);
    int inversions = 0;
    for (size_t i = 1; i < e->n; i++)
        inversions += e->log[i].seq < e->log[i - 1].seq;
    return inversions;
}

static void reordering_only_under_the_fault(void **state)
{
    env *e = env_new(13, LIMITS_CURRENT);
    assert_int_equal(count_inversions(e, 200), 0);
    assert_int_equal(e->m.stats.reordered, 0);
    env_free(e);

    e = env_new(13, LIMITS_CURRENT);
    add_fault(e, FAULT_MESSAGE_REORDER, 0, 0, FAULT_FOREVER, 300000, 5 * SEC);
    assert_true(count_inversions(e, 200) > 10);
    assert_true(e->m.stats.reordered > 30);
    env_free(e);
}

static void partition_fails_publish_and_blocks_delivery(void **state)
{
    env *e = env_new(14, LIMITS_CURRENT);
    add_fault(e, FAULT_PARTITION_MESSAGING, 1u << 1, 1 * SEC, 10 * SEC, 0, 0);
    for (int s = 1; s <= 3; s++)
        sub(e, s, "t");
    world_run_until(&e->w, SEC / 2, false);
    pub(e, 1, "t", 1, NULL); /* arrives while server 2 is partitioned */
    world_run_until(&e->w, 3 * SEC, false);
    assert_int_equal(count_for(e, 1), 1);
    assert_int_equal(count_for(e, 2), 0);
    assert_int_equal(count_for(e, 3), 1);
    assert_int_equal(e->m.stats.dropped_partition, 1);
    acks a = {.w = &e->w};
    pub(e, 2, "t", 2, &a);
    int code = 0;
    assert_int_equal(messaging_subscribe(&e->m, &e->ep[2], "u", on_message, &e->rc[2], &code), 0);
    assert_int_equal(code, MESSAGING_ERR_Unreachable);
    world_run_until(&e->w, 10 * SEC, false);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.last_code, MESSAGING_ERR_Unreachable);
    assert_int_equal(e->n, 2); /* nothing of the failed publish went anywhere */
    /* healed */
    pub(e, 2, "t", 3, &a);
    run_all(e);
    assert_int_equal(a.calls, 2);
    assert_int_equal(a.last_code, 0);
    assert_int_equal(count_for(e, 2), 1);
    assert_int_equal(e->n, 5);
    env_free(e);
}

static void frozen_server_gets_messages_after_resume_crashed_never(void **state)
{
    env *e = env_new(15, LIMITS_CURRENT);
    for (int s = 1; s <= 3; s++)
        sub(e, s, "t");
    endpoint_freeze(&e->ep[2]);
    endpoint_stop(&e->ep[3]);
    pub(e, 1, "t", 1, NULL);
    pub(e, 1, "t", 2, NULL);
    world_run_until(&e->w, 5 * SEC, false);
    assert_int_equal(count_for(e, 1), 2);
    assert_int_equal(count_for(e, 2), 0);
    assert_int_equal(count_for(e, 3), 0);
    assert_int_equal(e->m.stats.dropped_stopped, 2);
    endpoint_resume(&e->ep[2]);
    assert_int_equal(count_for(e, 2), 2);
    for (size_t i = 0; i < e->n; i++)
        if (e->log[i].server == 2)
            assert_int_equal(e->log[i].at_us, 5 * SEC);
    run_all(e);
    assert_int_equal(count_for(e, 3), 0);

    /* acks follow the sender's endpoint too: held while frozen, never after a stop */
    acks held = {.w = &e->w}, gone = {.w = &e->w};
    pub(e, 2, "t", 3, &held);
    pub(e, 1, "t", 4, &gone);
    endpoint_freeze(&e->ep[2]);
    endpoint_stop(&e->ep[1]);
    world_run_until(&e->w, e->w.now_us + SEC / 2, false);
    assert_int_equal(held.calls, 0);
    endpoint_resume(&e->ep[2]);
    assert_int_equal(held.calls, 1);
    assert_int_equal(held.last_code, 0);
    run_all(e);
    assert_int_equal(gone.calls, 0);
    env_free(e);
}

static void pending_work_is_freed_with_the_world(void **state)
{
    /* Leak checkers see this one: deliveries in flight, held by a frozen server, and acks,
     * all still pending when everything is freed (messaging first, then the world). */
    env *e = env_new(16, LIMITS_CURRENT);
    for (int s = 1; s <= 3; s++)
        sub(e, s, "t");
    endpoint_freeze(&e->ep[3]);
    acks a = {.w = &e->w};
    for (int i = 0; i < 20; i++)
        pub(e, 1 + i % 3, "t", (uint64_t)i, &a);
    world_run_until(&e->w, 1500000, false);
    assert_true(e->n > 0 && e->n < 40);
    env_free(e);
}

typedef struct trace {
    got *log;
    size_t n;
    messaging_stats stats;
    char fingerprint[33];
} trace;

static void run_story(uint64_t seed, trace *out)
{
    env *e = env_new(seed, LIMITS_CURRENT);
    add_fault(e, FAULT_MESSAGE_LOSS, 0, 0, FAULT_FOREVER, 100000, 0);
    add_fault(e, FAULT_MESSAGE_DUPLICATION, 0, 0, FAULT_FOREVER, 100000, 0);
    add_fault(e, FAULT_MESSAGE_REORDER, 0, 0, FAULT_FOREVER, 200000, 3 * SEC);
    for (int s = 1; s <= NSERVERS; s++) {
        sub(e, s, "a");
        sub(e, s, "b");
    }
    for (int i = 0; i < 300; i++) {
        world_run_until(&e->w, (int64_t)i * 100000, false);
        pub(e, 1 + i % NSERVERS, i % 3 ? "a" : "b", (uint64_t)i, NULL);
    }
    run_all(e);
    out->log = e->log;
    out->n = e->n;
    out->stats = e->m.stats;
    world_fingerprint(&e->w, out->fingerprint);
    e->log = NULL;
    env_free(e);
}

static void same_seed_same_deliveries(void **state)
{
    trace a, b, c;
    run_story(77, &a);
    run_story(77, &b);
    run_story(78, &c);
    assert_true(a.n > 500);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.log[i].server, b.log[i].server);
        assert_int_equal(a.log[i].seq, b.log[i].seq);
        assert_int_equal(a.log[i].at_us, b.log[i].at_us);
        assert_string_equal(a.log[i].topic, b.log[i].topic);
    }
    assert_memory_equal(&a.stats, &b.stats, sizeof a.stats);
    assert_string_equal(a.fingerprint, b.fingerprint);
    /* and another seed tells another story */
    assert_string_not_equal(a.fingerprint, c.fingerprint);
    bool differ = a.n != c.n;
    for (size_t i = 0; !differ && i < a.n; i++)
        differ = a.log[i].at_us != c.log[i].at_us || a.log[i].seq != c.log[i].seq;
    assert_true(differ);
    free(a.log);
    free(b.log);
    free(c.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_table_names_codes),
        cmocka_unit_test(delivers_to_every_subscriber_including_sender),
        cmocka_unit_test(delays_are_drawn_per_delivery_within_bounds),
        cmocka_unit_test(subscriptions_are_served_in_creation_order),
        cmocka_unit_test(unsubscribe_stops_delivery_even_in_flight),
        cmocka_unit_test(topic_and_message_limits),
        cmocka_unit_test(send_rate_per_profile),
        cmocka_unit_test(subscription_limit_per_profile),
        cmocka_unit_test(per_topic_receive_limit),
        cmocka_unit_test(loss_rate_matches_the_fault),
        cmocka_unit_test(duplication_rate_matches_the_fault),
        cmocka_unit_test(reordering_only_under_the_fault),
        cmocka_unit_test(partition_fails_publish_and_blocks_delivery),
        cmocka_unit_test(frozen_server_gets_messages_after_resume_crashed_never),
        cmocka_unit_test(pending_work_is_freed_with_the_world),
        cmocka_unit_test(same_seed_same_deliveries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
