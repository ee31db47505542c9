/* fake_platform.h: a scripted platform for engine unit tests.
 *
 * Nothing completes by itself: every DataStore request waits in a list until the test
 * completes it, successfully (the request is applied to the fake's own key-value map, running
 * an update's transform) or with an error code (nothing applied), or as an ambiguous commit
 * (applied, then answered with an error), or committed now and answered later (fake_commit:
 * the store wrote, the answer is still on its way or lost). An update's transform can also be
 * run once more without committing (fake_conflict), as the store does when another write got
 * in first. Timers wait until the test advances the clock; the wall clock the engine reads is
 * the timer clock plus wall_offset_us, so a test can skew or jump it without moving timers.
 * So a test can drive the engine's state machines through every order of events and every
 * error path, one step at a time. */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/platform.h"

enum { FAKE_GET, FAKE_SET, FAKE_UPDATE, FAKE_LIST };
enum { FAKE_MAX = 512 };

typedef struct fake_request {
    int kind;
    char key[96];
    vs_value *set_value;
    vs_ds_transform_fn transform;
    void *transform_arg;
    vs_ds_done_fn done;
    vs_ds_versions_fn versions_done;
    bool descending; /* list: newest first */
    size_t limit;    /* list: at most this many versions (0: all) */
    void *arg;
    bool open;
    bool applied;   /* fake_commit applied it already: completing it does not apply it again */
    bool cancelled; /* fake_commit ran the transform, which cancelled */
} fake_request;

typedef struct fake_entry {
    char key[96];
    vs_value *value;
    vs_key_info info;
    int64_t versions;  /* writes ever made (removals included): ListVersionsAsync's answer,
                          versions numbered 1..versions */
    bool last_removed; /* the newest version is a removal's tombstone (fake_remove) */
} fake_entry;

typedef struct fake_timer {
    vs_time_us due_us;
    vs_timer_fn fn;
    void *arg;
    bool active;
} fake_timer;

typedef struct fake_message {
    char topic[96];
    char data[300];
} fake_message;

typedef struct fake_platform {
    vs_platform platform;
    vs_time_us now_us;
    uint64_t random_state;
    fake_request requests[FAKE_MAX];
    size_t request_count;
    fake_entry entries[FAKE_MAX];
    size_t entry_count;
    vs_event_kind events[FAKE_MAX];
    int64_t event_users[FAKE_MAX]; /* the event's user_id, for events[i] */
    int event_codes[FAKE_MAX];     /* the event's code, for events[i] */
    size_t event_count;
    fake_timer timers[8192]; /* timers are never reused: autosave makes many */
    size_t timer_count;
    fake_message published[FAKE_MAX];
    size_t published_count;
    vs_msg_fn subscriber;
    void *subscriber_arg;
    char subscribed_topic[96];
    bool nil_reads; /* transforms and gets see nothing, as in the nil-read incident */
    vs_time_us wall_offset_us; /* added to now_us by the engine's now() only: a skewed or
                                  jumping wall clock; timers keep running on now_us */
} fake_platform;

void fake_init(fake_platform *fp);
void fake_free(fake_platform *fp);
/* Number of requests not yet completed. */
size_t fake_open_requests(const fake_platform *fp);
/* The i-th request ever made (0-based), open or not. */
fake_request *fake_request_at(fake_platform *fp, size_t i);
/* The index of the oldest open request, or (size_t)-1. */
size_t fake_oldest_open(const fake_platform *fp);
/* Completes request i: code 0 applies it and answers success; another code answers that error
 * without applying anything. */
void fake_complete(fake_platform *fp, size_t i, int code);
/* Applies request i and then answers it with code (a commit the caller hears as an error). */
void fake_complete_ambiguous(fake_platform *fp, size_t i, int code);
/* Applies request i now (runs an update's transform and commits what it returns) but leaves it
 * open: the answer is still on its way. A later fake_complete(fp, i, code) answers it without
 * applying it again: code 0 is the success the store would have sent, an error code is a
 * commit the caller hears as a failure (a lost response: 504). */
void fake_commit(fake_platform *fp, size_t i);
/* Runs update i's transform once against the current value and throws its output away,
 * leaving the request open: what the store does when another write got in between (it then
 * calls the transform again at completion). */
void fake_conflict(fake_platform *fp, size_t i);
/* Completes every open request successfully, oldest first, until none is open (bounded). */
void fake_complete_all(fake_platform *fp);
/* Moves the clock forward by us, firing every timer that falls due, in due order. */
void fake_advance(fake_platform *fp, vs_time_us us);
/* Runs for us: every request is answered successfully as soon as it is made, and every timer
 * falling due in that span fires, in order. */
void fake_run(fake_platform *fp, vs_time_us us);
size_t fake_active_timers(const fake_platform *fp);
/* The value stored under key (store names are ignored), or NULL. */
const vs_value *fake_stored(const fake_platform *fp, const char *key);
/* Stores value (taking ownership) under key, as if another server had written it. */
void fake_put(fake_platform *fp, const char *key, vs_value *value);
/* Removes key as RemoveAsync would, as if another server had: the value is gone (reads and
 * transforms see nothing) and a tombstone version is kept, so ListVersionsAsync still lists
 * the key's versions, the newest one marked deleted. */
void fake_remove(fake_platform *fp, const char *key);
/* How many events of this kind the engine emitted. */
size_t fake_event_count(const fake_platform *fp, vs_event_kind kind);
/* The code of the last event of this kind, or -1 when there was none. */
int fake_event_code(const fake_platform *fp, vs_event_kind kind);
/* Delivers a message to the engine's subscription, as MessagingService would. */
void fake_deliver(fake_platform *fp, const char *topic, const char *data);

#endif
