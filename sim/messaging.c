/* messaging.c: publish, fan-out with drawn fates, arrival checks, delivery through endpoints.
 *
 * Keeps true: every publish answers exactly once through its sender's endpoint (or is dropped
 * with it); every delivery record is freed exactly once (run or drop); subscriptions stay
 * sorted by id in m->subs and in each topic; random draws happen in subscription order only. */
#include "sim/messaging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_MINUTE 60000000LL
/* Rates above this would overflow a bucket's units; nobody configures them. */
#define RATE_CEILING (INT64_MAX / US_PER_MINUTE / 2)

/* ---- error table ---- */

typedef struct err_row {
    int code;
    const char *name;
    bool transient;
    const char *message;
} err_row;

#define ROW(code, name, cls, message) {code, #name, MESSAGING_CLASS_##cls, message},
#define MESSAGING_CLASS_CALLER false
#define MESSAGING_CLASS_TRANSIENT true
static const err_row err_rows[] = {MESSAGING_ERROR_TABLE(ROW)};
#undef ROW

static const err_row *err_find(int code)
{
    for (size_t i = 0; i < sizeof err_rows / sizeof err_rows[0]; i++)
        if (err_rows[i].code == code)
            return &err_rows[i];
    return NULL;
}

const char *messaging_error_name(int code)
{
    if (code == 0)
        return "OK";
    const err_row *r = err_find(code);
    return r ? r->name : "Unknown";
}

const char *messaging_error_message(int code)
{
    if (code == 0)
        return "ok";
    const err_row *r = err_find(code);
    return r ? r->message : "an error code MessagingService does not have";
}

bool messaging_error_transient(int code)
{
    const err_row *r = err_find(code);
    return r && r->transient;
}

/* ---- token buckets ---- */

/* Takes one token if there is one. A bucket starts full (one minute's worth): a new server
 * or topic has not used its minute yet. */
static bool bucket_take(messaging_bucket *b, int64_t rate_per_minute, int64_t now_us)
{
    if (rate_per_minute <= 0)
        return true;
    if (rate_per_minute > RATE_CEILING)
        rate_per_minute = RATE_CEILING;
    int64_t cap = rate_per_minute * US_PER_MINUTE;
    if (!b->started) {
        b->started = true;
        b->units = cap;
        b->at_us = now_us;
    }
    int64_t elapsed = now_us - b->at_us;
    /* One minute refills an empty bucket, so a longer gap adds nothing more (and this keeps
     * the product below from overflowing). */
    if (elapsed > US_PER_MINUTE)
        elapsed = US_PER_MINUTE;
    if (elapsed > 0)
        b->units += elapsed * rate_per_minute;
    b->at_us = now_us;
    if (b->units > cap) /* also when the rate went down (players left) */
        b->units = cap;
    if (b->units < US_PER_MINUTE)
        return false;
    b->units -= US_PER_MINUTE;
    return true;
}

/* ---- messages and deliveries ---- */

/* One published message, shared by all its deliveries. */
typedef struct body {
    size_t refs;
    size_t len;
    char *topic; /* points into bytes, after the data */
    char bytes[]; /* data, NUL, topic, NUL */
} body;

static void body_release(body *b)
{
    if (--b->refs == 0)
        free(b);
}

typedef struct delivery {
    messaging *m; /* used only when the delivery arrives or runs, never by drop */
    vs_sub_id sub_id;
    body *msg;
    int receiver; /* the receiving server's id */
} delivery;

static void delivery_drop(void *arg)
{
    delivery *d = arg;
    body_release(d->msg);
    free(d);
}

typedef struct ack {
    vs_status_fn done;
    void *arg;
    int code;
    char message[128];
    history *hist;
    uint64_t hist_request;
} ack;

static void ack_run(void *arg)
{
    ack *a = arg;
    if (a->hist)
        history_complete(a->hist, a->hist_request, a->code ? HIST_FAIL : HIST_OK, a->code,
                         a->code ? a->message : NULL);
    if (a->done)
        a->done(a->arg, a->code, a->code ? a->message : "ok");
    free(a);
}

/* A history note about one server and topic, when there is a history. */
static void note(messaging *m, int server, const char *what, const char *topic)
{
    if (m->hist)
        history_note(m->hist, server, what, 0, topic, 0, 0, 0, NULL);
}

static void ack_drop(void *arg)
{
    free(arg);
}

/* ---- lookups ---- */

static messaging_sub *sub_find(const messaging *m, vs_sub_id id)
{
    size_t lo = 0, hi = m->sub_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->subs[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->sub_count && m->subs[lo]->id == id ? m->subs[lo] : NULL;
}

static messaging_server *server_of(messaging *m, int id)
{
    WORLD_ASSERT(m->w, id >= 1);
    if ((size_t)id > m->per_server_count) {
        size_t n = (size_t)id;
        if (n < m->per_server_count * 2)
            n = m->per_server_count * 2;
        messaging_server *p = realloc(m->per_server, n * sizeof *p);
        WORLD_ASSERT(m->w, p != NULL);
        memset(p + m->per_server_count, 0, (n - m->per_server_count) * sizeof *p);
        m->per_server = p;
        m->per_server_count = n;
    }
    return &m->per_server[id - 1];
}

int64_t messaging_subscription_count(const messaging *m, int server_id)
{
    if (server_id < 1 || (size_t)server_id > m->per_server_count)
        return 0;
    return m->per_server[server_id - 1].subscriptions;
}

static bool partitioned(const messaging *m, int server_id)
{
    return m->faults && fault_plan_find(m->faults, FAULT_PARTITION_MESSAGING, server_id,
                                        FAULT_OP_ANY, m->w->now_us) != NULL;
}

static uint32_t fault_ppm(const messaging *m, fault_kind kind, int server_id)
{
    return m->faults ? fault_plan_ppm(m->faults, kind, server_id, FAULT_OP_ANY, m->w->now_us, NULL)
                     : 0;
}

static int64_t fault_amount(const messaging *m, fault_kind kind, int server_id)
{
    return m->faults ? fault_plan_amount(m->faults, kind, server_id, FAULT_OP_ANY, m->w->now_us)
                     : 0;
}

/* Code points in s, or -1 when s is not valid UTF-8 (overlong forms, surrogates and code
 * points above U+10FFFF are invalid, as in the DataStore's check). */
static int64_t utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int64_t n = 0;
    while (*p) {
        unsigned c = *p;
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            n++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        for (size_t i = 1; i < len; i++) { /* stops at the NUL: it is not a continuation */
            if ((p[i] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            return -1;
        if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
            return -1;
        p += len;
        n++;
    }
    return n;
}

/* 0, or MESSAGING_ERR_TopicInvalid with a message saying why. */
static int check_topic(const messaging *m, const char *topic, char *msg, size_t size)
{
    int64_t n = topic ? utf8_chars(topic) : -1;
    if (n < 0) {
        snprintf(msg, size, "the topic is not valid UTF-8");
        return MESSAGING_ERR_TopicInvalid;
    }
    if (n == 0) {
        snprintf(msg, size, "the topic is empty");
        return MESSAGING_ERR_TopicInvalid;
    }
    if (n > m->limits->msg_topic_max_chars) {
        snprintf(msg, size, "the topic has %lld characters, the limit is %lld", (long long)n,
                 (long long)m->limits->msg_topic_max_chars);
        return MESSAGING_ERR_TopicInvalid;
    }
    return 0;
}

/* ---- init and free ---- */

bool messaging_init(messaging *m, world *w, const platform_limits *limits, const fault_plan *faults)
{
    *m = (messaging){.w = w, .limits = limits, .faults = faults, .servers = 1,
                     .ack_us = MESSAGING_ACK_US};
    world_stream(w, "messaging", &m->rng);
    strmap_init(&m->topics);
    return true;
}

void messaging_free(messaging *m)
{
    for (size_t i = 0; i < m->sub_count; i++)
        free(m->subs[i]);
    free(m->subs);
    /* Freeing in bucket order is fine: nothing here reaches an output. */
    for (size_t i = 0; i < m->topics.cap; i++) {
        messaging_topic *t = m->topics.slots[i].key ? m->topics.slots[i].value : NULL;
        if (t) {
            free(t->subs);
            free(t->name);
            free(t);
        }
    }
    strmap_free(&m->topics);
    free(m->per_server);
    *m = (messaging){0};
}

/* ---- delivery ---- */

static void delivery_run(void *arg)
{
    delivery *d = arg;
    messaging *m = d->m;
    messaging_sub *s = sub_find(m, d->sub_id);
    if (!s) { /* unsubscribed while the server held it (frozen) */
        m->stats.dropped++;
        m->stats.dropped_unsubscribed++;
        note(m, d->receiver, "msg.dropped", d->msg->topic);
    } else {
        m->stats.delivered++;
        note(m, s->ep->id, "msg.delivered", d->msg->topic);
        /* The handler may unsubscribe or publish: s is not used after this call. */
        s->fn(s->arg, d->msg->topic, d->msg->bytes, d->msg->len);
    }
    delivery_drop(d);
}

static void delivery_arrive(void *arg)
{
    delivery *d = arg;
    messaging *m = d->m;
    messaging_sub *s = sub_find(m, d->sub_id);
    uint64_t *why = NULL;
    if (!s)
        why = &m->stats.dropped_unsubscribed;
    else if (!s->ep->alive)
        why = &m->stats.dropped_stopped;
    else if (partitioned(m, s->ep->id))
        why = &m->stats.dropped_partition;
    else if (!bucket_take(&s->topic->receive, limits_rate(m->limits->msg_topic_receive, m->servers),
                          m->w->now_us))
        why = &m->stats.dropped_topic_rate;
    if (why) {
        (*why)++;
        m->stats.dropped++;
        note(m, d->receiver, "msg.dropped", d->msg->topic);
        delivery_drop(d);
        return;
    }
    endpoint_deliver(s->ep, "msg.deliver", delivery_run, delivery_drop, d);
}

/* Draws one copy's delay (and hold-back) and puts it in flight. */
static void send_copy(messaging *m, const messaging_sub *s, body *msg)
{
    const platform_limits *l = m->limits;
    int receiver = s->ep->id;
    int64_t delay = rng_range(&m->rng, l->msg_delay_min_us, l->msg_delay_max_us);
    delay += fault_amount(m, FAULT_MESSAGE_DELAY, receiver);
    if (rng_chance_ppm(&m->rng, fault_ppm(m, FAULT_MESSAGE_REORDER, receiver))) {
        int64_t hold = fault_amount(m, FAULT_MESSAGE_REORDER, receiver);
        if (hold <= 0)
            hold = l->msg_delay_max_us > 0 ? l->msg_delay_max_us : 1;
        delay += rng_range(&m->rng, 1, hold);
        m->stats.reordered++;
    }
    if (delay < 0)
        delay = 0;
    delivery *d = malloc(sizeof *d);
    WORLD_ASSERT(m->w, d != NULL);
    *d = (delivery){.m = m, .sub_id = s->id, .msg = msg, .receiver = receiver};
    msg->refs++;
    world_at_owned(m->w, m->w->now_us + delay, "msg.arrive", delivery_arrive, delivery_drop, d);
}

static void answer(messaging *m, endpoint *from, vs_status_fn done, void *arg, int code,
                   const char *message, uint64_t hist_request)
{
    if (!done && !m->hist)
        return;
    ack *a = malloc(sizeof *a);
    WORLD_ASSERT(m->w, a != NULL);
    *a = (ack){.done = done, .arg = arg, .code = code, .hist = m->hist, .hist_request = hist_request};
    snprintf(a->message, sizeof a->message, "%s", message ? message : "ok");
    endpoint_deliver_at(from, m->w->now_us + m->ack_us, "msg.ack", ack_run, ack_drop, a);
}

void messaging_publish(messaging *m, endpoint *from, const char *topic, const char *data,
                       size_t len, vs_status_fn done, void *arg)
{
    char msg[128];
    uint64_t hist_request = m->hist ? history_invoke(m->hist, from->id, "msg.publish", 0, topic) : 0;
    int code = check_topic(m, topic, msg, sizeof msg);
    if (!code && (int64_t)len > m->limits->msg_max_bytes) {
        code = MESSAGING_ERR_MessageTooLarge;
        snprintf(msg, sizeof msg, "the message has %zu bytes, the limit is %lld", len,
                 (long long)m->limits->msg_max_bytes);
    }
    /* A partitioned server never reaches the service, so it spends no send budget. */
    if (!code && partitioned(m, from->id)) {
        code = MESSAGING_ERR_Unreachable;
        snprintf(msg, sizeof msg, "%s", messaging_error_message(code));
    }
    if (!code && !bucket_take(&server_of(m, from->id)->send,
                              limits_rate(m->limits->msg_send, from->players), m->w->now_us)) {
        code = MESSAGING_ERR_SendThrottled;
        snprintf(msg, sizeof msg, "%s", messaging_error_message(code));
        m->stats.throttled++;
    }
    if (code) {
        m->stats.publish_failed++;
        answer(m, from, done, arg, code, msg, hist_request);
        return;
    }
    m->stats.published++;
    messaging_topic *t = strmap_get(&m->topics, topic, strlen(topic));
    if (t && t->sub_count > 0) {
        size_t tlen = strlen(topic);
        body *b = malloc(sizeof *b + len + 1 + tlen + 1);
        WORLD_ASSERT(m->w, b != NULL);
        b->refs = 1; /* ours, until the fan-out is done */
        b->len = len;
        if (len)
            memcpy(b->bytes, data, len);
        b->bytes[len] = '\0';
        b->topic = b->bytes + len + 1;
        memcpy(b->topic, topic, tlen + 1);
        /* The subscriptions of this moment, in creation order. A handler cannot run during
         * this loop (every delivery is scheduled), so the list cannot change under us. */
        for (size_t i = 0; i < t->sub_count; i++) {
            const messaging_sub *s = t->subs[i];
            int receiver = s->ep->id;
            if (rng_chance_ppm(&m->rng, fault_ppm(m, FAULT_MESSAGE_LOSS, receiver))) {
                m->stats.lost++;
                note(m, receiver, "msg.lost", topic);
                continue;
            }
            send_copy(m, s, b);
            if (rng_chance_ppm(&m->rng, fault_ppm(m, FAULT_MESSAGE_DUPLICATION, receiver))) {
                m->stats.duplicated++;
                note(m, receiver, "msg.duplicated", topic);
                send_copy(m, s, b);
            }
        }
        body_release(b);
    }
    answer(m, from, done, arg, 0, NULL, hist_request);
}

/* ---- subscriptions ---- */

static void push_sub(messaging *m, messaging_sub ***arr, size_t *count, size_t *cap,
                     messaging_sub *s)
{
    if (*count == *cap) {
        size_t n = *cap ? *cap * 2 : 8;
        messaging_sub **p = realloc(*arr, n * sizeof *p);
        WORLD_ASSERT(m->w, p != NULL);
        *arr = p;
        *cap = n;
    }
    (*arr)[(*count)++] = s; /* ids only grow, so appending keeps creation order */
}

static void remove_sub(messaging_sub **arr, size_t *count, const messaging_sub *s)
{
    for (size_t i = 0; i < *count; i++)
        if (arr[i] == s) {
            memmove(arr + i, arr + i + 1, (*count - i - 1) * sizeof *arr);
            (*count)--;
            return;
        }
}

vs_sub_id messaging_subscribe(messaging *m, endpoint *ep, const char *topic, vs_msg_fn fn,
                              void *arg, int *code)
{
    char msg[128];
    int err = check_topic(m, topic, msg, sizeof msg);
    messaging_server *srv = server_of(m, ep->id);
    if (!err && partitioned(m, ep->id))
        err = MESSAGING_ERR_Unreachable;
    int64_t limit = limits_rate(m->limits->msg_subscriptions, ep->players);
    if (!err && limit > 0 && srv->subscriptions >= limit)
        err = MESSAGING_ERR_TooManySubscriptions;
    if (code)
        *code = err;
    if (err) {
        m->stats.subscribe_failed++;
        return 0;
    }
    size_t tlen = strlen(topic);
    messaging_topic *t = strmap_get(&m->topics, topic, tlen);
    if (!t) {
        t = calloc(1, sizeof *t);
        WORLD_ASSERT(m->w, t != NULL);
        t->name = strdup(topic);
        WORLD_ASSERT(m->w, t->name != NULL && strmap_put(&m->topics, topic, tlen, t));
    }
    messaging_sub *s = malloc(sizeof *s);
    WORLD_ASSERT(m->w, s != NULL);
    *s = (messaging_sub){.id = ++m->next_sub_id, .ep = ep, .fn = fn, .arg = arg, .topic = t};
    push_sub(m, &m->subs, &m->sub_count, &m->sub_cap, s);
    push_sub(m, &t->subs, &t->sub_count, &t->sub_cap, s);
    srv->subscriptions++;
    return s->id;
}

static void end_sub(messaging *m, messaging_sub *s)
{
    remove_sub(s->topic->subs, &s->topic->sub_count, s);
    server_of(m, s->ep->id)->subscriptions--;
    free(s);
}

bool messaging_unsubscribe(messaging *m, vs_sub_id id)
{
    messaging_sub *s = sub_find(m, id);
    if (!s)
        return false;
    remove_sub(m->subs, &m->sub_count, s);
    end_sub(m, s);
    return true;
}

size_t messaging_unsubscribe_all(messaging *m, const endpoint *ep)
{
    size_t kept = 0, ended = 0;
    for (size_t i = 0; i < m->sub_count; i++) {
        messaging_sub *s = m->subs[i];
        if (s->ep->id == ep->id) {
            end_sub(m, s);
            ended++;
        } else {
            m->subs[kept++] = s;
        }
    }
    m->sub_count = kept;
    return ended;
}
