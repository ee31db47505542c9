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
 * error path, one step at a time.
 *
 * OrderedDataStore requests (ods_*) wait in the same list and complete the same way. The fake
 * keeps its own integer entries per (store, key), apart from the DataStore's (a leaderboard key
 * "Player_1" and a profile key "Player_1" do not meet). A GetSortedAsync page is read when the
 * request completes, from the entries as they are then: the fake's sorted index has no lag.
 * Order: by value, ties by key bytewise; descending is the exact reverse. Cursors name the last
 * (value, key) of a page and the next page starts strictly after it, as sim/ordered.h does;
 * next_cursor is NULL exactly when no entry in range follows the page. Caller errors answered
 * at completion with code 0: a page size outside 1..FAKE_ODS_PAGE_MAX (108), max < min (106), a
 * cursor the fake did not make (109), a set value beyond +-2^53 (104). */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/platform.h"

enum { FAKE_GET, FAKE_SET, FAKE_UPDATE, FAKE_LIST,
       /* OrderedDataStore */
       FAKE_ODS_GET, FAKE_ODS_SET, FAKE_ODS_INCREMENT, FAKE_ODS_REMOVE, FAKE_ODS_SORTED };
enum { FAKE_MAX = 512 };
enum { FAKE_ODS_PAGE_MAX = 100 }; /* PLATFORM.md: GetSortedAsync pages hold at most 100 */

typedef struct fake_request {
    int kind;
    char store[64]; /* the store's name (DataStore or OrderedDataStore) */
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
    /* OrderedDataStore requests only (set/increment answer ods_value once applied: the
     * value stored or the new value) */
    int64_t ods_value;      /* set: the value; increment: the delta */
    bool ascending;         /* sorted */
    size_t page_size;       /* sorted */
    int64_t min, max;       /* sorted */
    bool has_cursor;        /* sorted: a cursor was given (in cursor) */
    char cursor[160];       /* sorted */
    vs_ods_page_fn page_done; /* sorted */
    int refused;            /* the caller error it will be answered with (nothing applied), or 0 */
    bool ods_found;         /* remove: there was a value (then in ods_value) */
} fake_request;

/* One OrderedDataStore entry. */
typedef struct fake_ods_entry {
    char store[64];
    char key[96];
    int64_t value;
} fake_ods_entry;

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
    struct {
        vs_msg_fn fn;
        void *arg;
        char topic[96];
    } subs[8]; /* the engine's subscriptions, in the order made */
    size_t sub_count;
    bool nil_reads; /* transforms and gets see nothing, as in the nil-read incident */
    vs_time_us wall_offset_us; /* added to now_us by the engine's now() only: a skewed or
                                  jumping wall clock; timers keep running on now_us */
    fake_ods_entry ordered[FAKE_MAX]; /* OrderedDataStore entries, in creation order */
    size_t ordered_count;
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

/* OrderedDataStore. The value under (store, key): false when there is none. */
bool fake_ods_value(const fake_platform *fp, const char *store, const char *key, int64_t *value);
/* Stores value under (store, key), as if another server had. */
void fake_ods_put(fake_platform *fp, const char *store, const char *key, int64_t value);
/* How many entries the store holds. */
size_t fake_ods_count(const fake_platform *fp, const char *store);
/* How many requests of this kind (FAKE_GET ... FAKE_ODS_SORTED) were ever made. */
size_t fake_request_count(const fake_platform *fp, int kind);

#endif
