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
#include <stddef.h>
#include <stdint.h>

#include "core/ds_error.h"
#include "core/value.h"

struct vs_change_list; /* core/replicate.h: what a client is sent */

typedef int64_t vs_time_us;
typedef uint64_t vs_timer_id; /* 0 is never a valid timer */

typedef void (*vs_timer_fn)(void *arg);

/* DataStore error codes (PLATFORM.md), with their retry class: core/ds_error.h. 0 is success. */
enum { VS_DS_OK = 0 };

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

/* One kept version of a key (ListVersionsAsync). */
typedef struct vs_ds_version {
    int64_t version;
    vs_time_us created_us; /* store clock: when this version was written */
    bool deleted;          /* the version is a removal's tombstone */
} vs_ds_version;

typedef struct vs_ds_versions {
    int code;            /* VS_DS_OK or an error code */
    const char *message; /* never NULL */
    const vs_ds_version *items;
    size_t count;
} vs_ds_versions;

typedef void (*vs_ds_versions_fn)(void *arg, const vs_ds_versions *result);

/* One page of an OrderedDataStore GetSortedAsync. */
typedef struct vs_ods_entry {
    const char *key;
    int64_t value;
} vs_ods_entry;

typedef struct vs_ods_page {
    int code;            /* VS_DS_OK or an error code */
    const char *message; /* never NULL */
    const vs_ods_entry *entries;
    size_t count;
    const char *next_cursor; /* pass to get the next page; NULL on the last page */
} vs_ods_page;

typedef void (*vs_ods_page_fn)(void *arg, const vs_ods_page *page);

/* MessagingService. A message handler gets the topic and the bytes (NUL-terminated, not
 * counted in len). A status callback gets 0 or an error code. */
typedef void (*vs_msg_fn)(void *arg, const char *topic, const char *data, size_t len);
typedef void (*vs_status_fn)(void *arg, int code, const char *message);
typedef uint64_t vs_sub_id; /* 0 is never a valid subscription */

/* Purchases (ProcessReceipt). The platform calls the server's receipt handler when a player
 * buys something, and again on every later join of that player (on whatever server) until a
 * handler answers GRANTED and the platform has recorded it. Recording can fail after a grant,
 * so a granted purchase can be offered again; and the same purchase can be in progress on two
 * servers at once. A correct handler grants at most once per purchase_id. */
typedef struct vs_receipt {
    const char *purchase_id; /* stable for one purchase, whatever the number of calls */
    int64_t player;
    int64_t product;
    int64_t price;           /* what the player paid, in the platform's currency */
} vs_receipt;

typedef enum vs_receipt_decision {
    VS_RECEIPT_NOT_PROCESSED_YET, /* call again later (on the player's next join) */
    VS_RECEIPT_GRANTED,           /* the grant is saved: the platform may record the purchase */
} vs_receipt_decision;

/* The handler answers, once, through reply(reply_arg, decision), now or later. */
typedef void (*vs_receipt_reply_fn)(void *reply_arg, vs_receipt_decision decision);
typedef void (*vs_receipt_fn)(void *arg, const vs_receipt *receipt, vs_receipt_reply_fn reply,
                              void *reply_arg);

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

/* Something the engine reports: diagnostics, critical states, lifecycle. One table gives the
 * enum and the names ("load_failed"), so every consumer agrees. */
#define VS_EVENT_TABLE(X)                               \
    X(VS_EV_PROFILE_LOADED, "profile_loaded")           \
    X(VS_EV_PROFILE_SAVED, "profile_saved")             \
    X(VS_EV_PROFILE_RELEASED, "profile_released")       \
    X(VS_EV_LOAD_FAILED, "load_failed")                 \
    X(VS_EV_SAVE_FAILED, "save_failed")                 \
    /* a save found another session's lease: the session is LOST */ \
    X(VS_EV_LEASE_LOST, "lease_lost")                   \
    /* a load took over a lease that had expired */     \
    X(VS_EV_LEASE_TAKEN_OVER, "lease_taken_over")       \
    /* a save refused before writing: unstorable data or a user validator */ \
    X(VS_EV_VALIDATION_FAILED, "validation_failed")     \
    /* a request dropped for want of budget (301-306) or throttled (KeyThrottled) */ \
    X(VS_EV_BUDGET_EXHAUSTED, "budget_exhausted")       \
    X(VS_EV_CRITICAL_ENTERED, "critical_entered")       \
    X(VS_EV_CRITICAL_LEFT, "critical_left")             \
    /* a transient (or undocumented) error that will be retried */ \
    X(VS_EV_RETRY, "retry")                             \
    X(VS_EV_MIGRATION_FAILED, "migration_failed")       \
    /* the stored schema is newer than this engine's: not loaded, never downgraded */ \
    X(VS_EV_SCHEMA_TOO_NEW, "schema_too_new")           \
    /* the store read nothing for a key that may exist */ \
    X(VS_EV_NIL_READ_SUSPECTED, "nil_read_suspected")                                 \
    X(VS_EV_OP_APPLIED, "op_applied")           /* a durable operation took effect in memory */ \
    X(VS_EV_OP_FAILED, "op_failed")             /* an attempt of its handler failed */      \
    X(VS_EV_OP_DEAD, "op_dead")                 /* it failed too often: a dead letter */

#define VS_EVENT_ENUM(id, name) id,
typedef enum vs_event_kind { VS_EVENT_TABLE(VS_EVENT_ENUM) VS_EV_KIND_COUNT } vs_event_kind;
#undef VS_EVENT_ENUM

const char *vs_event_kind_name(vs_event_kind kind);

typedef struct vs_event {
    vs_event_kind kind;
    int64_t user_id;    /* 0 when not about one player */
    int code;           /* a DataStore code or a vs_status, 0 when none */
    const char *message;
} vs_event;

typedef struct vs_platform_ops {
    /* A name for this server that no other server, and no earlier or later run of this one,
     * shares ("server.3#2"): leases name their holder with it. */
    const char *(*server_name)(void *ctx);
    /* This server's wall clock (it may be skewed and drift; never assume it agrees with
     * another server's). */
    vs_time_us (*now)(void *ctx);
    /* 64 random bits from this server's stream. */
    uint64_t (*random_bits)(void *ctx);
    vs_timer_id (*timer_start)(void *ctx, vs_time_us delay_us, vs_timer_fn fn, void *arg);
    void (*timer_cancel)(void *ctx, vs_timer_id id);

    /* GetAsync. Answers may come from this server's 4 s read cache; ds_get_uncached always
     * asks the store (and costs budget). */
    void (*ds_get)(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg);
    void (*ds_get_uncached)(void *ctx, const char *store, const char *key, vs_ds_done_fn done,
                            void *arg);
    void (*ds_set)(void *ctx, const char *store, const char *key, vs_value *value,
                   vs_ds_done_fn done, void *arg);
    void (*ds_update)(void *ctx, const char *store, const char *key, vs_ds_transform_fn transform,
                      void *transform_arg, vs_ds_done_fn done, void *arg);
    /* IncrementAsync: integers only; the result's value is the new number. */
    void (*ds_increment)(void *ctx, const char *store, const char *key, int64_t delta,
                         vs_ds_done_fn done, void *arg);
    /* RemoveAsync: the result's value is the old value (NULL when there was none). */
    void (*ds_remove)(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg);
    /* Versions (uncached, list budget): the kept versions with min_us <= created <= max_us,
     * oldest first unless descending, at most limit of them. */
    void (*ds_list_versions)(void *ctx, const char *store, const char *key, bool descending,
                             vs_time_us min_us, vs_time_us max_us, size_t limit,
                             vs_ds_versions_fn done, void *arg);
    /* The value of one kept version, or of the version in force at a store-clock time. */
    void (*ds_get_version)(void *ctx, const char *store, const char *key, int64_t version,
                           vs_ds_done_fn done, void *arg);
    void (*ds_get_version_at_time)(void *ctx, const char *store, const char *key,
                                   vs_time_us at_us, vs_ds_done_fn done, void *arg);

    /* OrderedDataStore: integer values only. Results come as a number value (NULL when
     * missing) in a vs_ds_result. */
    void (*ods_get)(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg);
    void (*ods_set)(void *ctx, const char *store, const char *key, int64_t value,
                    vs_ds_done_fn done, void *arg);
    void (*ods_increment)(void *ctx, const char *store, const char *key, int64_t delta,
                          vs_ds_done_fn done, void *arg);
    void (*ods_remove)(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg);
    /* One page of keys with min <= value <= max, sorted; cursor NULL for the first page. */
    void (*ods_get_sorted)(void *ctx, const char *store, bool ascending, size_t page_size,
                           int64_t min, int64_t max, const char *cursor, vs_ods_page_fn done,
                           void *arg);

    /* MessagingService: best effort, unordered, possibly duplicated. */
    void (*msg_publish)(void *ctx, const char *topic, const char *data, size_t len,
                        vs_status_fn done, void *arg);
    /* Returns a subscription, or 0 with *code set (too many subscriptions, bad topic). */
    vs_sub_id (*msg_subscribe)(void *ctx, const char *topic, vs_msg_fn on_message, void *arg,
                               int *code);
    void (*msg_unsubscribe)(void *ctx, vs_sub_id id);

    /* Client replication: sends the player's client its public view (snapshot, seq 0 of a new
     * session) or the changes since the last send (seq 1, 2, ... in order). The platform
     * delivers them to the client if the player is still on this server. Lent for the call. */
    void (*client_send)(void *ctx, int64_t player, bool snapshot, uint64_t seq,
                        const vs_value *view, const struct vs_change_list *changes);

    /* Sets this server's ProcessReceipt handler (NULL to clear it). */
    void (*receipt_handler_set)(void *ctx, vs_receipt_fn handler, void *arg);

    void (*emit)(void *ctx, const vs_event *event);
} vs_platform_ops;

typedef struct vs_platform {
    const vs_platform_ops *ops;
    void *ctx;
} vs_platform;

#endif
