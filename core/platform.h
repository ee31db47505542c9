/* platform.h: everything the engine may ask of the world.
 *
 * core/ talks to the outside only through a vs_platform: a table of functions and a context
 * pointer. The simulator in sim/ implements it with virtual time and simulated services; a
 * real binding would implement it with the game platform's own. Nothing here blocks: every
 * service call returns at once and completes later through its callback, with the argument
 * given at the call. A callback is called exactly once, unless the server stops (crashes or
 * is shut down) first, in which case it is never called.
 *
 * Ownership: values passed in (ds_set's value, a transform's output) become the platform's;
 * values passed to callbacks (results, a transform's input) are lent for the duration of the
 * call only. */
#ifndef VS_PLATFORM_H
#define VS_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/value.h"

typedef int64_t vs_time_us;
typedef uint64_t vs_timer_id; /* 0 is never a valid timer */

typedef void (*vs_timer_fn)(void *arg);

/* DataStore error codes the engine sees (PLATFORM.md). 0 is success. */
enum {
    VS_DS_OK = 0,
    VS_DS_KEY_EMPTY = 101,
    VS_DS_KEY_TOO_LONG = 102,
    VS_DS_NOT_STORABLE = 104,
    VS_DS_VALUE_TOO_LARGE = 105,
    VS_DS_UNAVAILABLE = 501, /* the service could not be reached */
};

/* Information the store keeps about a key, in the store's own clock. */
typedef struct vs_key_info {
    int64_t version;        /* grows with every committed write; 0 when the key is missing */
    vs_time_us created_us;  /* store clock */
    vs_time_us updated_us;  /* store clock */
    const vs_value *user_ids; /* array of numbers, or NULL */
    const vs_value *metadata; /* map, or NULL */
} vs_key_info;

/* What a DataStore call completed with. */
typedef struct vs_ds_result {
    int code;              /* VS_DS_OK or an error code */
    const char *message;   /* for people; never NULL */
    bool cancelled;        /* update: the transform returned nothing, nothing was written */
    const vs_value *value; /* get: the stored value, NULL when missing; update and set: the
                              value now stored (NULL when cancelled) */
    const vs_key_info *info;
} vs_ds_result;

typedef void (*vs_ds_done_fn)(void *arg, const vs_ds_result *result);

/* What an update transform asks to write. */
typedef struct vs_ds_write {
    vs_value *value;    /* owned by the platform once returned */
    vs_value *user_ids; /* NULL for none; owned by the platform */
    vs_value *metadata; /* NULL for none; owned by the platform */
} vs_ds_write;

/* An UpdateAsync transform: called with the current value (NULL for a missing key) and its
 * key info; fills *out and returns true to write, or returns false to cancel. It may be
 * called several times for one request (once more for each conflicting write); each call
 * must decide afresh from what it is given. It must not call the platform. */
typedef bool (*vs_ds_transform_fn)(void *arg, const vs_value *current, const vs_key_info *info,
                                   vs_ds_write *out);

/* Something the engine reports: diagnostics, critical states, lifecycle. */
typedef enum vs_event_kind {
    VS_EV_PROFILE_LOADED,
    VS_EV_PROFILE_SAVED,
    VS_EV_PROFILE_RELEASED,
    VS_EV_LOAD_FAILED,
    VS_EV_SAVE_FAILED,
} vs_event_kind;

const char *vs_event_kind_name(vs_event_kind kind);

typedef struct vs_event {
    vs_event_kind kind;
    int64_t user_id;    /* 0 when not about one player */
    int code;           /* a DataStore code or a vs_status, 0 when none */
    const char *message;
} vs_event;

typedef struct vs_platform_ops {
    /* This server's wall clock (it may be skewed and drift; never assume it agrees with
     * another server's). */
    vs_time_us (*now)(void *ctx);
    /* 64 random bits from this server's stream. */
    uint64_t (*random)(void *ctx);
    vs_timer_id (*timer_start)(void *ctx, vs_time_us delay_us, vs_timer_fn fn, void *arg);
    void (*timer_cancel)(void *ctx, vs_timer_id id);

    void (*ds_get)(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg);
    void (*ds_set)(void *ctx, const char *store, const char *key, vs_value *value,
                   vs_ds_done_fn done, void *arg);
    void (*ds_update)(void *ctx, const char *store, const char *key, vs_ds_transform_fn transform,
                      void *transform_arg, vs_ds_done_fn done, void *arg);

    void (*emit)(void *ctx, const vs_event *event);
} vs_platform_ops;

typedef struct vs_platform {
    const vs_platform_ops *ops;
    void *ctx;
} vs_platform;

#endif
