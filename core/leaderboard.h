/* leaderboard.h: one number of each profile mirrored into an OrderedDataStore, and its top n.
 *
 * A leaderboard names an ordered store, a path in the profile (a number: "Stats.Wins") and how
 * a player's key is made ("Player_<id>" by default). The engine calls vs_leaderboard_mirror
 * after each successful save; it reads the number at the path and writes it with ods_set. The
 * board is a mirror, never the truth: the profile is. So a write is best effort (not retried
 * here: the next save mirrors again) and the board may lag the profile.
 *
 * What it keeps true:
 *   - at most one write per player is in flight. A mirror asked for while one is in flight
 *     waits and is sent when it ends; a newer one replaces a waiting one. Answers to two writes
 *     of one key may arrive in either order, so two in flight could leave the older value on
 *     the board for good: one at a time, it cannot.
 *   - a write is skipped when its value equals the last one this board wrote successfully for
 *     that player (a small cache, keyed by user id). A failed write (which may still have
 *     committed) forgets the cached value, so the next mirror writes again.
 *   - the cache is bounded (cache_max players): beyond it the least recently mirrored player
 *     with no write in flight is forgotten (a tick counter, never a clock or a pointer, picks
 *     it). Forgetting costs one extra write at most. vs_leaderboard_forget drops a player at
 *     once (on leave).
 *
 * Numbers: the ordered store keeps integers of at most 2^53 in magnitude (PLATFORM.md,
 * sim/ordered.h). A value that is not an integer is refused (VS_ERR_INVALID) unless the
 * config asks to round it (nearest, ties away from zero, as C's round()) or to floor it. A
 * value beyond +-2^53 (after rounding) is refused with VS_ERR_TOO_LARGE, NaN and infinities
 * with VS_ERR_NOT_FINITE, something that is not a number with VS_ERR_TYPE. A refused value
 * writes nothing and leaves the cache as it was.
 *
 * Ownership and lifetime: a leaderboard must outlive its requests. Free it when no request is
 * in flight (vs_leaderboard_in_flight() == 0), or once the platform will call nothing more (the
 * server stopped: core/platform.h promises no callback then); what those requests held is
 * freed with it, and their callbacks are never called. */
#ifndef VS_LEADERBOARD_H
#define VS_LEADERBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "core/platform.h"
#include "core/status.h"
#include "core/value.h"

/* What to do with a number that is not an integer. */
typedef enum vs_leaderboard_rounding {
    VS_LEADERBOARD_REFUSE, /* VS_ERR_INVALID: nothing written (the default) */
    VS_LEADERBOARD_ROUND,  /* nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3) */
    VS_LEADERBOARD_FLOOR,  /* the integer below (2.9 -> 2, -2.1 -> -3) */
} vs_leaderboard_rounding;

/* The largest magnitude the ordered store keeps exactly. */
#define VS_LEADERBOARD_VALUE_MAX (INT64_C(1) << 53)
/* GetSortedAsync's largest page (PLATFORM.md). */
#define VS_LEADERBOARD_PAGE_MAX 100

typedef struct vs_leaderboard_config {
    const char *store;          /* the OrderedDataStore's name; required */
    const vs_path *path;        /* the number in the profile; copied; not the root */
    const char *key_prefix;     /* key = prefix + decimal user id; "Player_" when NULL. At most
                                   30 bytes, so every key fits the store's 50 characters */
    vs_leaderboard_rounding rounding;
    size_t cache_max;           /* players remembered for the unchanged check; 0: 1024 */
    size_t page_size;           /* GetSortedAsync page size, 1..100; 0: 100 */
} vs_leaderboard_config;

typedef struct vs_leaderboard vs_leaderboard;

/* Why a request did not succeed: VS_ERR_DATASTORE with the platform's code and message. */
typedef struct vs_leaderboard_error {
    vs_status status;
    int code;          /* the DataStore error code, or 0 */
    char message[200];
} vs_leaderboard_error;

/* Completion of a mirror that was sent: err is NULL when the value (or a newer one that
 * replaced it while it waited) is on the board. */
typedef void (*vs_leaderboard_done_fn)(void *arg, int64_t user_id, const vs_leaderboard_error *err);

/* What vs_leaderboard_mirror did. done is called (later, exactly once) only for SENT. */
typedef enum vs_leaderboard_outcome {
    VS_LEADERBOARD_SENT,      /* a write is in flight or queued behind one */
    VS_LEADERBOARD_UNCHANGED, /* equal to the last value written for this player: nothing sent */
    VS_LEADERBOARD_NO_VALUE,  /* nothing at the path: nothing sent, nothing removed */
} vs_leaderboard_outcome;

/* One player on the board, in the board's order. */
typedef struct vs_leaderboard_entry {
    int64_t user_id;
    int64_t value;
} vs_leaderboard_entry;

/* Completion of vs_leaderboard_top: entries (lent for the call) in rank order, count <= n.
 * err is NULL on success; on a failed page it says why and entries hold what the pages before
 * it gave (a prefix of the board, still in order), so a caller may show them or drop them. */
typedef void (*vs_leaderboard_top_fn)(void *arg, const vs_leaderboard_entry *entries, size_t count,
                                      const vs_leaderboard_error *err);

/* VS_ERR_ARG for a missing store name or path, the root path, a prefix longer than 30 bytes,
 * a page size above 100 or a rounding outside the enum; VS_ERR_NOMEM. */
vs_status vs_leaderboard_new(const vs_leaderboard_config *config, vs_leaderboard **out);
void vs_leaderboard_free(vs_leaderboard *lb); /* NULL is fine */

/* The key of a player: prefix + decimal id ("Player_42"). Truncated to size (always
 * NUL-terminated); 52 bytes always suffice. */
void vs_leaderboard_key(const vs_leaderboard *lb, int64_t user_id, char *buf, size_t size);
/* The inverse: true when key is this board's prefix followed by a user id written exactly as
 * vs_leaderboard_key writes it (no sign but '-', no leading zeros, within int64). */
bool vs_leaderboard_parse_key(const vs_leaderboard *lb, const char *key, int64_t *user_id);

/* The integer the board would hold for this profile. *present is false (and VS_OK returned)
 * when there is nothing (or nil) at the path. Errors as above, plus VS_ERR_TYPE when a node on
 * the way to the path is neither a map nor an array. */
vs_status vs_leaderboard_value(const vs_leaderboard *lb, const vs_value *data, int64_t *value,
                               bool *present);

/* Mirrors the profile's number into the board. On VS_OK, *outcome (may be NULL) says what
 * happened and done (may be NULL) is called exactly once if it is SENT. An error returned here
 * (the value's, VS_ERR_ARG for a NULL data or platform, VS_ERR_NOMEM) sent nothing and calls
 * nothing. A player whose previous write is still in flight gets SENT (queued); a queued value
 * replaced by a newer one has its done called with the newer write's result. */
vs_status vs_leaderboard_mirror(vs_leaderboard *lb, const vs_platform *platform, int64_t user_id,
                                const vs_value *data, vs_leaderboard_done_fn done, void *arg,
                                vs_leaderboard_outcome *outcome);

/* Drops what the board remembers of a player (the player left). A write in flight still
 * completes and its done is still called; the player is forgotten once it ends. */
void vs_leaderboard_forget(vs_leaderboard *lb, int64_t user_id);
/* The value last written successfully for a player, as remembered: false when none. */
bool vs_leaderboard_cached(const vs_leaderboard *lb, int64_t user_id, int64_t *value);
/* Players remembered (with a value, a write in flight or one queued). */
size_t vs_leaderboard_cache_count(const vs_leaderboard *lb);
/* Requests in flight (writes and pages): the board may be freed when this is 0. */
size_t vs_leaderboard_in_flight(const vs_leaderboard *lb);

/* Reads the first n players (highest values first unless ascending) with as many
 * GetSortedAsync pages as needed, each of at most page_size (and never more than is still
 * wanted), following the cursors, until n players are read or the last page (no cursor, or an
 * empty page) is reached. Keys that are not this board's (another prefix, not an id) are
 * skipped and do not count. A player met twice (the index moved between two pages) is kept
 * once, at the first place met. Values are the whole int64 range (no min or max).
 * done is called exactly once, later; VS_ERR_ARG (and no call) for n == 0 or a NULL done or
 * platform, VS_ERR_NOMEM. */
vs_status vs_leaderboard_top(vs_leaderboard *lb, const vs_platform *platform, size_t n,
                             bool ascending, vs_leaderboard_top_fn done, void *arg);

#endif
