/* store.h: a store of player profiles, the engine's public face.
 *
 * A store is made from a config and a platform. Each player in the game has at most one
 * session per server:
 *
 *   join -> LOADING -> ACTIVE <-> SAVING -> (leave) RELEASING -> gone
 *                        |                      \-> a newer session took the lease: LOST
 *
 * Loading acquires the profile's lease inside an UpdateAsync transform: the stored document
 * names the holder (this server's name and a random session token) and a generation that only
 * grows. A lease held by another session is asked to release (MessagingService, best effort) and
 * is taken over only once it has not been renewed for lease_us, as measured by this server's own
 * timers: never by comparing two servers' wall clocks. Every save checks, in its transform, that
 * the lease it finds is still this session's: if not, nothing is written and the session is LOST
 * (a critical event). A released lease is never taken again by a save or a retry: only loads
 * acquire.
 *
 * A profile that reads as missing is created from the template only after the store's version
 * history confirms the key never existed (the nil-read incident). Loads and saves are retried on
 * transient errors with capped exponential backoff and jitter; caller errors are not retried. One
 * request per profile is in flight at a time; saves asked for meanwhile are merged into one.
 * Autosave runs on a timer spread across profiles and skips a write when the data's hash has not
 * changed, unless the lease needs renewing. */
#ifndef VS_STORE_H
#define VS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/migrate.h"
#include "core/leaderboard.h"
#include "core/path.h"
#include "core/platform.h"
#include "core/replicate.h"
#include "core/retry.h"
#include "core/status.h"
#include "core/validate.h"
#include "core/value.h"

typedef enum vs_session_state {
    VS_SESSION_NONE,      /* no session for this player on this server */
    VS_SESSION_LOADING,   /* acquiring the lease and reading the profile (retrying if need be) */
    VS_SESSION_ACTIVE,    /* loaded: the game reads and changes it */
    VS_SESSION_SAVING,    /* loaded, with a save in flight */
    VS_SESSION_RELEASING, /* saving for the last time and giving the lease back */
    VS_SESSION_LOST,      /* another session took the lease: nothing more is written */
} vs_session_state;

const char *vs_session_state_name(vs_session_state state);

/* An operation handler: changes draft (a private copy of the profile) as the operation with
 * this payload asks, and returns VS_OK to apply it; anything else fails this attempt (why says
 * why) and changes nothing. */
typedef vs_status (*vs_op_fn)(void *arg, vs_value *draft, const vs_value *payload, char *why,
                              size_t size);

typedef struct vs_op_handler {
    const char *name;
    vs_op_fn fn;
    void *arg;
} vs_op_handler;

/* UNSAFE engine behaviours, for testing the oracles only. Each breaks one guarantee on
 * purpose, so that a scenario can prove the oracle guarding it fires; a game never sets any. */
typedef enum vs_unsafe {
    /* A save that finds another session's lease (or none) writes anyway, with this session's
     * own lease as it last knew it: how two servers overwrite each other's progress. */
    VS_UNSAFE_SAVE_IGNORES_LEASE = 1u << 0,
    /* A delivery looks for its id in the inbox only, not among the receipts and dead letters,
     * so a late duplicate is applied again. */
    VS_UNSAFE_DELIVER_SKIPS_RECEIPTS = 1u << 1,
    /* The snapshot a client gets on load is the whole profile, private fields included. */
    VS_UNSAFE_SNAPSHOT_WHOLE_PROFILE = 1u << 2,
    /* A key that reads as missing is created from the template at once, without asking its
     * version history (the nil-read incident). */
    VS_UNSAFE_CREATE_ON_NIL_READ = 1u << 3,
    /* An edit changes the data in place, so a cancelled or failed edit leaves what it did
     * before it failed. */
    VS_UNSAFE_EDIT_IN_PLACE = 1u << 4,
    /* Changes after the load are never sent to the client, whose replica stays at the load's
     * snapshot. */
    VS_UNSAFE_CHANGES_NOT_SENT = 1u << 5,
    /* A stale lease is never taken over, so a profile whose server crashed never loads again. */
    VS_UNSAFE_NEVER_TAKE_OVER = 1u << 6,
} vs_unsafe;

typedef struct vs_store_config {
    const char *name;          /* DataStore name */
    const vs_value *template_; /* a map; copied */
    const char *key_prefix;    /* key = prefix + user id; "Player_" when NULL */
    int64_t schema;            /* the schema version this engine writes; 1 when 0 */
    int64_t autosave_interval_us; /* 0: 30 s */
    int64_t lease_us;             /* 0: 90 s. The holder renews at least every lease_us / 3 */
    vs_retry_policy retry;        /* all zero: vs_retry_policy_default() */
    const vs_migrations *migrations; /* NULL: none */
    const vs_validators *validators; /* NULL: none (storability is always checked) */
    int64_t value_max_bytes;      /* the store's value limit; 0: 4,194,304 (PLATFORM.md). The
                                     data may use all of it but 1 KiB kept for the meta */
    bool no_reconcile;            /* true: do not fill missing template fields on load */
    int critical_threshold;       /* errors within critical_window_us that make the store
                                     critical; 0: the vs_critical defaults */
    int64_t critical_window_us;
    const vs_op_handler *handlers; /* durable operations, by name */
    size_t handler_count;
    int op_max_attempts;          /* failed attempts before an operation is a dead letter; 0: 5 */
    int receipt_keep;             /* receipts of applied operations kept per profile, to catch
                                     duplicates: the newest this many; 0: 1000 */
    const vs_public_paths *public_paths; /* what the player's client may see; NULL: nothing */
    const vs_leaderboard_config *leaderboard; /* a profile number mirrored on every save */
    /* UNSAFE, for testing the oracles only: VS_UNSAFE_* bits, 0 in a game. */
    unsigned unsafe;
} vs_store_config;

/* Why something did not succeed. */
typedef struct vs_error {
    vs_status status; /* VS_ERR_TIMEOUT, VS_ERR_LEASE_HELD, VS_ERR_UNAVAILABLE, ... */
    int code;         /* the DataStore error code behind it, or 0 */
    char message[200];
} vs_error;

/* Completion of a join (err NULL: the profile is ACTIVE), a wait, or a leave (err NULL: saved
 * and released). */
typedef void (*vs_session_fn)(void *arg, int64_t user_id, const vs_error *err);

typedef struct vs_store vs_store;

vs_status vs_store_new(const vs_store_config *config, const vs_platform *platform, vs_store **out);
/* Frees the store and every session in it, without saving (the server is gone). */
void vs_store_free(vs_store *store);

const char *vs_store_name(const vs_store *store);
void vs_store_key(const vs_store *store, int64_t user_id, char *buf, size_t size);

/* The player joined: start loading, retrying until the profile is loaded, the player leaves,
 * or loading cannot succeed (schema too new, invalid stored data, server closing). done (may
 * be NULL) hears the end of it. A join while this player's previous session is still releasing
 * waits for that release and then loads: one session, never two. VS_ERR_BUSY when the player
 * already has a loading or loaded session here; VS_ERR_CLOSED while the store is closing. */
vs_status vs_store_join(vs_store *store, int64_t user_id, vs_session_fn done, void *arg);

/* Waits for the profile to be loaded, at most timeout_us. done gets NULL when it is ACTIVE,
 * or an error: VS_ERR_TIMEOUT with the reason it is still loading (VS_ERR_LEASE_HELD: another
 * server holds it; VS_ERR_UNAVAILABLE: the store keeps failing), VS_ERR_SCHEMA_TOO_NEW,
 * VS_ERR_INVALID, VS_ERR_CLOSED, or VS_ERR_NOT_LOADED when there is no session. */
vs_status vs_store_wait(vs_store *store, int64_t user_id, int64_t timeout_us, vs_session_fn done,
                        void *arg);

/* The player left: save and release (a leave during loading takes effect when the load ends). */
vs_status vs_store_leave(vs_store *store, int64_t user_id, vs_session_fn done, void *arg);

/* Saves now (merged with any save in flight). VS_ERR_NOT_LOADED unless ACTIVE or SAVING. */
vs_status vs_store_save(vs_store *store, int64_t user_id);

/* Closes the store (the server shuts down): every session is released in parallel, retries use
 * the shortened closing backoff, and done is called once no session is left. */
void vs_store_close(vs_store *store, void (*done)(void *arg), void *arg);

vs_session_state vs_store_state(const vs_store *store, int64_t user_id);
size_t vs_store_session_count(const vs_store *store);
int64_t vs_store_user_at(const vs_store *store, size_t i);
bool vs_store_is_critical(const vs_store *store);

/* Reading and changing the loaded profile. Reads see the ACTIVE/SAVING data; changes are
 * all-or-nothing (core/path.h) and refused (VS_ERR_NOT_LOADED) in any other state, and while a
 * lock is held by someone else (VS_ERR_BUSY). Ownership of item passes to the store. */
const vs_value *vs_store_get(const vs_store *store, int64_t user_id, const vs_path *path);
vs_status vs_store_set(vs_store *store, int64_t user_id, const vs_path *path, vs_value *item);
vs_status vs_store_add(vs_store *store, int64_t user_id, const vs_path *path, double delta);
vs_status vs_store_insert(vs_store *store, int64_t user_id, const vs_path *path, size_t index1,
                          vs_value *item);
vs_status vs_store_remove(vs_store *store, int64_t user_id, const vs_path *path);

/* A transaction: fn gets a private copy of the profile and changes it as it likes; returning
 * VS_OK commits the copy (after validation), anything else (VS_ERR_CANCELLED to cancel on
 * purpose) discards it: nothing of a cancelled or failed edit is ever visible. */
typedef vs_status (*vs_edit_fn)(void *arg, vs_value *draft);
vs_status vs_store_edit(vs_store *store, int64_t user_id, vs_edit_fn fn, void *arg);

/* Local locks for multi-step work on one profile: acquired(arg, lock) runs when every earlier
 * lock on that profile was released (at once when none is held). While a lock is held, plain
 * changes are refused; the holder changes the profile with vs_store_edit_locked. */
typedef uint64_t vs_lock_id;
typedef void (*vs_lock_fn)(void *arg, int64_t user_id, vs_lock_id lock);
vs_status vs_store_lock(vs_store *store, int64_t user_id, vs_lock_fn acquired, void *arg);
vs_status vs_store_edit_locked(vs_store *store, int64_t user_id, vs_lock_id lock, vs_edit_fn fn,
                               void *arg);
vs_status vs_store_unlock(vs_store *store, int64_t user_id, vs_lock_id lock);

/* Durable operations. deliver writes the operation (op_id unique per profile, a handler name
 * and a payload) into the profile's inbox with an update transform, from any server, whether
 * the player is online or not (the profile must exist). done hears whether it was accepted or
 * was a duplicate (its id is in the inbox, the receipts or the dead letters): a duplicate has no
 * effect. A retried delivery whose first try may have committed reports that try's outcome.
 * The server holding the player's lease is nudged (best effort); otherwise it finds the
 * operation at its next write (lease renewals poll at least every third of a lease) or load.
 * It runs the handler as a transaction and writes the effect and the receipt in one update;
 * a failed attempt is counted with its error, and after op_max_attempts the operation moves to
 * the dead letters. */
typedef void (*vs_deliver_fn)(void *arg, int64_t user_id, bool duplicate, const vs_error *err);
vs_status vs_store_deliver(vs_store *store, int64_t user_id, const char *op_id, const char *handler,
                           const vs_value *payload, vs_deliver_fn done, void *arg);
/* ProcessReceipt done right: the grant is a durable operation with id "purchase:<PurchaseId>",
 * run by the handler named `handler` with payload {PurchaseId, Product, Price}, so it is applied
 * once per purchase however many times and on however many servers the platform calls; reply
 * gets GRANTED only once the grant and its receipt are saved (or were saved before), and
 * NOT_PROCESSED_YET otherwise (the platform calls again at the player's next join). The receipts
 * are the bounded history of purchase ids (receipt_keep). */
void vs_store_process_receipt(vs_store *store, const vs_receipt *receipt, const char *handler,
                              vs_receipt_reply_fn reply, void *reply_arg);

/* Server-only: a dead letter goes back to the inbox (retry, attempts from 0) or is dropped (its
 * id kept with the receipts, so a late duplicate still has no effect). done gets
 * VS_ERR_NOT_FOUND when there is no such dead letter. */
vs_status vs_store_dead_letter(vs_store *store, int64_t user_id, const char *op_id, bool retry,
                               vs_session_fn done, void *arg);

/* Reads the top n of the store's leaderboard (VS_ERR_NOT_FOUND when it has none). */
vs_status vs_store_leaderboard_top(vs_store *store, size_t n, bool ascending, vs_leaderboard_top_fn done,
                                   void *arg);

/* Server-only inspection and repair, outside sessions. */
typedef void (*vs_inspect_fn)(void *arg, int64_t user_id, const vs_value *document, const vs_error *err);
/* Reads a profile's stored document without taking its lease (an uncached read). */
vs_status vs_store_inspect(vs_store *store, int64_t user_id, vs_inspect_fn done, void *arg);
/* Clears the lease of a profile whose holder is gone (a server that crashed), keeping the data
 * and the generation. Refused (done gets VS_ERR_LEASE_HELD) while this server has a session of
 * that player. */
vs_status vs_store_clear_lease(vs_store *store, int64_t user_id, vs_session_fn done, void *arg);
/* Repairs a stored profile: fn changes a copy of its data, which is validated and written only
 * if no lease is held. */
vs_status vs_store_repair(vs_store *store, int64_t user_id, vs_edit_fn fn, void *fn_arg,
                          vs_session_fn done, void *arg);

#endif
