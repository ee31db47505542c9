/* messaging.h: the simulated MessagingService (PLATFORM.md, "MessagingService").
 *
 * Best-effort publish/subscribe between servers. A message published on a topic goes to every
 * subscription that topic has at the moment of the publish, on every server, the sender's own
 * included (as the platform does). Each delivery travels on its own: a delay drawn uniformly in
 * [msg_delay_min_us, msg_delay_max_us] plus the message_delay faults' amounts; message_loss can
 * lose it, message_duplication can send a second copy with its own delay, message_reorder can
 * hold it back by 1..amount us more (so later messages overtake it; an amount <= 0 means up to
 * msg_delay_max_us). Order is never promised. The fate of a delivery (lost, delayed, copied,
 * held back) is drawn when it is published, from the faults aimed at the RECEIVING server.
 *
 * When a delivery arrives (its drawn time) it is dropped if its subscription is gone, its
 * server has stopped or is partitioned from the service (partition_messaging), or its topic is
 * over its receive rate; otherwise it is handed to the receiving server's endpoint (run now,
 * held while the server is frozen, dropped if it stops first). A subscription removed while a
 * delivery is held is not called either: unsubscribe stops everything not yet handled.
 *
 * Limits (sim/limits.h), all per minute except the subscription count:
 *   - per server: limits_rate(msg_send, players) publishes, a token bucket refilled
 *     continuously in integer arithmetic, capped at one minute's worth and full for a server's
 *     first publish; over it, the publish fails with MESSAGING_ERR_SendThrottled. A server is
 *     known by its endpoint id: a restarted server that keeps its id keeps its bucket.
 *   - per server: at most limits_rate(msg_subscriptions, players) subscriptions at once (each
 *     call is one subscription, also a second one to the same topic).
 *   - per topic: limits_rate(msg_topic_receive, servers) deliveries (one per receiving
 *     subscription, counted when it arrives); over it, deliveries are dropped silently. The
 *     bucket is the same kind as the send bucket. `servers` is a field the owner keeps equal to
 *     the number of servers in the experience.
 *   - a rate or count of 0 or less means no limit (limits.h: "0 means no such limit").
 *
 * A publish always answers through the sender's endpoint, ack_us after the call (a fixed, short
 * service round trip, MESSAGING_ACK_US by default): 0 when the message was accepted, or one of
 * the codes below. Acceptance is all it says: delivery is never confirmed.
 *
 * Determinism: subscriptions are kept in creation order (their ids grow), deliveries are drawn
 * in that order from the "messaging" stream, and no pointer or hash order reaches a decision.
 *
 * Lifetimes: the world, the limits, the fault plan and every endpoint must outlive the
 * messaging service's use. Deliveries and acks still pending when the world is freed are
 * released by their drop functions, which never touch the messaging struct, so messaging_free
 * may come before or after world_free. */
#ifndef MESSAGING_H
#define MESSAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/platform.h"
#include "faults/fault.h"
#include "sim/endpoint.h"
#include "sim/history.h"
#include "sim/limits.h"
#include "sim/rng.h"
#include "sim/strmap.h"
#include "sim/world.h"

/* The platform documents no codes for these failures; ours start at 701 so they never collide
 * with a DataStore code (core/ds_error.h). CALLER: the same call would fail again;
 * TRANSIENT: it may succeed later. */
#define MESSAGING_ERROR_TABLE(X)                                                               \
    X(701, TopicInvalid, CALLER, "the topic is empty, too long, or not valid UTF-8")           \
    X(702, MessageTooLarge, CALLER, "the message is larger than the limit")                    \
    X(703, SendThrottled, TRANSIENT, "this server is over its per-minute publish limit")       \
    X(704, TooManySubscriptions, CALLER, "this server holds as many subscriptions as it may")  \
    X(705, Unreachable, TRANSIENT, "this server cannot reach MessagingService")

#define MESSAGING_ERROR_ENUM(code, name, cls, message) MESSAGING_ERR_##name = code,
enum { MESSAGING_ERROR_TABLE(MESSAGING_ERROR_ENUM) };
#undef MESSAGING_ERROR_ENUM

/* "SendThrottled"; "OK" for 0; "Unknown" for a code not in the table. */
const char *messaging_error_name(int code);
/* A sentence for people; never NULL. */
const char *messaging_error_message(int code);
/* True for the TRANSIENT codes (worth retrying later). */
bool messaging_error_transient(int code);

#define MESSAGING_ACK_US 20000 /* default publish round trip: 20 ms */

typedef struct messaging_stats {
    uint64_t published;        /* publishes accepted */
    uint64_t publish_failed;   /* publishes refused (any code) */
    uint64_t throttled;        /* ... of which over the send rate */
    uint64_t subscribe_failed; /* subscribe calls refused */
    uint64_t delivered;        /* handler calls */
    uint64_t lost;             /* deliveries lost (message_loss) */
    uint64_t duplicated;       /* extra copies sent (message_duplication) */
    uint64_t reordered;        /* deliveries held back (message_reorder) */
    uint64_t dropped;          /* deliveries dropped by the service: the sum of the four below */
    uint64_t dropped_topic_rate;   /* over the topic's receive rate */
    uint64_t dropped_partition;    /* the receiver was partitioned when it arrived */
    uint64_t dropped_unsubscribed; /* the subscription was gone when it arrived or ran */
    uint64_t dropped_stopped;      /* the receiver had stopped when it arrived (a delivery held
                                      by a frozen server that then stops is dropped by the
                                      endpoint and not counted here) */
} messaging_stats;

/* A token bucket: units are tokens x 60,000,000 (microseconds per minute), so a refill of
 * rate x elapsed_us units is exact in integers. */
typedef struct messaging_bucket {
    int64_t units;
    int64_t at_us;
    bool started;
} messaging_bucket;

typedef struct messaging_topic messaging_topic;

typedef struct messaging_sub {
    vs_sub_id id; /* creation sequence, from 1 */
    endpoint *ep;
    vs_msg_fn fn;
    void *arg;
    messaging_topic *topic;
} messaging_sub;

struct messaging_topic {
    char *name;
    messaging_sub **subs; /* creation order */
    size_t sub_count, sub_cap;
    messaging_bucket receive;
};

typedef struct messaging_server {
    messaging_bucket send;
    int64_t subscriptions; /* held now */
} messaging_server;

typedef struct messaging {
    world *w;
    const platform_limits *limits;
    const fault_plan *faults; /* may be NULL: no faults */
    rng rng;                  /* "messaging" */
    int64_t servers;          /* servers in the experience (per-topic rate); the owner updates */
    int64_t ack_us;           /* publish status latency */
    strmap topics;            /* name -> messaging_topic; looked up only, never walked in order */
    messaging_sub **subs;     /* every subscription, by id (= creation order) */
    size_t sub_count, sub_cap;
    messaging_server *per_server; /* index: endpoint id - 1 */
    size_t per_server_count;
    vs_sub_id next_sub_id;
    messaging_stats stats;
    history *hist; /* when set (by the owner), publishes, deliveries, losses, duplicates and
                      drops are recorded there too ("msg.publish", "msg.delivered", ...) */
} messaging;

/* servers starts at 1 and ack_us at MESSAGING_ACK_US. faults may be NULL. Returns false when
 * memory runs out. */
bool messaging_init(messaging *m, world *w, const platform_limits *limits, const fault_plan *faults);
/* Frees subscriptions and topics (not pending deliveries: those belong to the world). */
void messaging_free(messaging *m);

/* Publishes len bytes (data may be NULL when len is 0) on topic from the server `from`. done
 * (may be NULL) gets 0 or a MESSAGING_ERR_* code through from's endpoint, ack_us later. The
 * bytes are copied. Handlers get them NUL-terminated (not counted in len). */
void messaging_publish(messaging *m, endpoint *from, const char *topic, const char *data,
                       size_t len, vs_status_fn done, void *arg);

/* Subscribes server ep to topic: fn(arg, topic, data, len) runs on ep for each delivery.
 * Returns the subscription's id, or 0 with *code (when code is not NULL) set to
 * MESSAGING_ERR_TopicInvalid, MESSAGING_ERR_Unreachable (ep is partitioned) or
 * MESSAGING_ERR_TooManySubscriptions; *code is 0 on success. */
vs_sub_id messaging_subscribe(messaging *m, endpoint *ep, const char *topic, vs_msg_fn fn,
                              void *arg, int *code);
/* Ends a subscription: nothing more reaches it, not even what is already in flight or held.
 * Returns false when id names no live subscription (0, unknown, or already ended). */
bool messaging_unsubscribe(messaging *m, vs_sub_id id);
/* Ends every subscription of a server (it stopped); returns how many. */
size_t messaging_unsubscribe_all(messaging *m, const endpoint *ep);

/* Subscriptions a server holds now. */
int64_t messaging_subscription_count(const messaging *m, int server_id);

#endif
