/* fake_platform.h: a scripted platform for engine unit tests.
 *
 * Nothing completes by itself: every DataStore request waits in a list until the test
 * completes it, successfully (the request is applied to the fake's own key-value map, running
 * an update's transform) or with an error code (nothing applied). Timers wait until the test
 * fires them. So a test can drive the engine's state machines through every order of events
 * and every error path, one step at a time. */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/platform.h"

enum { FAKE_GET, FAKE_SET, FAKE_UPDATE };
enum { FAKE_MAX = 256 };

typedef struct fake_request {
    int kind;
    char key[96];
    vs_value *set_value;
    vs_ds_transform_fn transform;
    void *transform_arg;
    vs_ds_done_fn done;
    void *arg;
    bool open;
} fake_request;

typedef struct fake_entry {
    char key[96];
    vs_value *value;
    vs_key_info info;
} fake_entry;

typedef struct fake_platform {
    vs_platform platform;
    vs_time_us now_us;
    uint64_t random_state;
    fake_request requests[FAKE_MAX];
    size_t request_count;
    fake_entry entries[FAKE_MAX];
    size_t entry_count;
    vs_event_kind events[FAKE_MAX];
    size_t event_count;
} fake_platform;

void fake_init(fake_platform *fp);
void fake_free(fake_platform *fp);
/* Number of requests not yet completed. */
size_t fake_open_requests(const fake_platform *fp);
/* The i-th request ever made (0-based), open or not. */
fake_request *fake_request_at(fake_platform *fp, size_t i);
/* Completes request i: code 0 applies it and answers success; another code answers that error
 * without applying anything. */
void fake_complete(fake_platform *fp, size_t i, int code);
/* Completes every open request successfully, oldest first, until none is open. */
void fake_complete_all(fake_platform *fp);
/* The value stored under key (store names are ignored), or NULL. */
const vs_value *fake_stored(const fake_platform *fp, const char *key);
/* Stores value (taking ownership) under key, as if another server had written it. */
void fake_put(fake_platform *fp, const char *key, vs_value *value);
/* How many events of this kind the engine emitted. */
size_t fake_event_count(const fake_platform *fp, vs_event_kind kind);

#endif
