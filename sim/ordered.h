/* ordered.h: the simulated OrderedDataStore (PLATFORM.md, "OrderedDataStore").
 *
 * Integer values per (store name, key), for leaderboards. Each request travels for a latency
 * drawn uniformly in [ds_latency_min_us, ds_latency_max_us] (the DataStore's figures), takes
 * effect at one instant drawn inside it (the apply point) and answers through the sender's
 * endpoint at the end (held while frozen, dropped once stopped). A write whose server stopped
 * after sending it still commits at its apply point.
 *
 * Two views of each store:
 *   - the committed values: get, set, increment and remove read and write them, and a write is
 *     visible to every later get at once;
 *   - the sorted index that GetSortedAsync reads. It lags: a write committed at t shows in the
 *     index from t + ordered_index_lag_us exactly (a read applied at that instant sees it; one
 *     applied a microsecond earlier sees the previous value, or no entry). Index updates are a
 *     FIFO queue per store, applied in commit order when due (lazily, on the store's next
 *     request), so the index always equals the committed values of lag ago. The lag is read
 *     at each write; if a scenario shortens it mid-run an update still waits for the ones
 *     before it.
 *
 * Sort order: by value, ties by key bytewise (strcmp), so the order is total; descending is
 * the exact reverse of ascending (ties by key descending too). A page holds the first
 * page_size entries in that order with min <= value <= max, after the cursor if one is given.
 *
 * Cursors: "o1:<value>:<key in hex>", the last (value, key) of the page. The next page starts
 * strictly after that position in the requested order, in the index as it is when the next
 * request applies: nothing is repeated or skipped among entries that did not change, an entry
 * that moved from before the cursor to after it appears again, one that moved the other way
 * is not seen. A cursor carries no direction or range: the next call's arguments decide them.
 * next_cursor is NULL exactly when no entry after the page's last one is in range at the
 * instant the page is read (so a full last page also ends with NULL).
 *
 * Errors (code, when):
 *   101 KeyNameEmpty: empty key or store name; 102 KeyNameLimit: key or store name longer than
 *   name_max_chars bytes (bytes, as sim/datastore.c counts);
 *   104 CantStoreValue: a set value or increment delta beyond +-2^53 (ORDERED_VALUE_MAX), or an
 *   increment whose result would be (the value is unchanged);
 *   106 MaxValueInvalid: max < min (bounds are any int64: INT64_MIN/INT64_MAX mean none);
 *   ORDERED_ERR_PageSize (108): page size outside 1..ordered_page_max;
 *   ORDERED_ERR_Cursor (109): a cursor this store did not make;
 *   faults: partition_store (the sender cannot reach the store; its code, or 501 when it has
 *   none), store_outage (ppm of requests; its code), error_rate (ppm; its code). A failed
 *   request is not applied. Fault ops: GetSortedAsync and GetAsync of this store are
 *   FAULT_OP_SORTED_GET, set, increment and remove are FAULT_OP_SORTED_SET (so faults aimed
 *   at the DataStore's get/set do not hit leaderboards); FAULT_OP_ANY faults hit all.
 *   Caller errors are checked first, then partition, outage and error rate, all when the
 *   request is sent; every failure still answers after the drawn latency.
 *
 * Budgets and queues are not here (ADMISSION HOOK): whoever owns them calls these functions
 * once a request is admitted (a request over budget waits in its queue and is sent from
 * there; one dropped by a full queue never reaches this module and the budget layer answers it
 * with its 30x code). Nothing in this module counts requests against a budget.
 *
 * Results: vs_ds_result.value is a number (exact: |value| <= 2^53), NULL for a missing key
 * (get, and remove of a missing key); set answers the value stored, increment the new value,
 * remove the old value. info points to an all-zero vs_key_info: this store keeps no versions
 * or metadata. Every committed write is recorded in the world's fingerprint. */
#ifndef ORDERED_H
#define ORDERED_H

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

#define ORDERED_VALUE_MAX (INT64_C(1) << 53) /* values stay exact as doubles */

/* GetSortedAsync argument errors the platform table does not have; the caller's fault (not
 * worth retrying). core/ds_error.h does not list them, so vs_ds_classify calls them UNKNOWN. */
enum {
    ORDERED_ERR_PageSize = 108,
    ORDERED_ERR_Cursor = 109,
};

typedef struct ordered_stats {
    uint64_t gets, sets, increments, removes, sorted_gets; /* requests sent */
    uint64_t writes;  /* committed */
    uint64_t errors;  /* requests answered with an error */
    uint64_t index_updates; /* applied to the sorted index */
} ordered_stats;

typedef struct ordered {
    world *w;
    const platform_limits *limits;
    const fault_plan *faults; /* may be NULL: no faults */
    rng rng;                  /* "ordered" */
    strmap stores;            /* name -> store; looked up only, never walked in order */
    ordered_stats stats;
    history *hist; /* when set (by the owner), every request is recorded there too, as an
                      invocation and a completion ("ods.get", "ods.set", ...) */
} ordered;

/* faults may be NULL. Returns false when memory runs out. */
bool ordered_init(ordered *o, world *w, const platform_limits *limits, const fault_plan *faults);
/* Frees the stores. Requests still in flight belong to the world (their drop functions free
 * them without touching o), so this may come before or after world_free. */
void ordered_free(ordered *o);

/* Each answers done(arg, result) through from's endpoint; done may be NULL. */
void ordered_get(ordered *o, endpoint *from, const char *store, const char *key,
                 vs_ds_done_fn done, void *arg);
void ordered_set(ordered *o, endpoint *from, const char *store, const char *key, int64_t value,
                 vs_ds_done_fn done, void *arg);
void ordered_increment(ordered *o, endpoint *from, const char *store, const char *key,
                       int64_t delta, vs_ds_done_fn done, void *arg);
void ordered_remove(ordered *o, endpoint *from, const char *store, const char *key,
                    vs_ds_done_fn done, void *arg);
/* One page; cursor NULL for the first. The page (entries, keys, next_cursor) is lent for the
 * duration of the call. */
void ordered_get_sorted(ordered *o, endpoint *from, const char *store, bool ascending,
                        size_t page_size, int64_t min, int64_t max, const char *cursor,
                        vs_ods_page_fn done, void *arg);

/* What is committed now, for oracles and expectations (no latency, no faults). */
bool ordered_peek(const ordered *o, const char *store, const char *key, int64_t *value);
/* Entries in the sorted index now (after applying the updates that are due). */
size_t ordered_index_count(ordered *o, const char *store);

#endif
