/* retry.h: what to do when a DataStore request completes, and how long to wait before the next try.
 *
 * Pure functions over a policy; no state. The engine keeps, per request, the number of attempts it
 * has made (the first try is attempt 1) and asks:
 *
 *     d = vs_retry_decide(&policy, code, attempts, closing);
 *     if (d.action == VS_RETRY_AGAIN)
 *         start a timer of vs_retry_delay_us(&policy, attempts, closing, random_bits()), then try again
 *
 * so both calls take the same number: "attempts made so far", which is also "the number of the
 * retry about to be scheduled". Errors are classified by core/ds_error.h: caller errors are never
 * retried (the same request would fail the same way), 401/402 mean the server is going away,
 * everything else (transient and undocumented codes) is retried with capped exponential backoff
 * and jitter, until the policy's attempt limit if it has one.
 *
 * Kept true: a delay is never negative and never above the policy's cap (the closing cap while
 * closing), for any attempt number and any random word; no floating point, no overflow. */
#ifndef VS_RETRY_H
#define VS_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ds_error.h"
#include "core/platform.h"
#include "core/status.h"

/* Defaults (vs_retry_policy_default): the first retry waits 0.25-0.5 s, each later one up to twice
 * as long, never more than 30 s; no attempt limit (the engine keeps trying while the player is
 * there; a load also ends with its wait timeout or the player's leave). While the server is closing
 * no wait exceeds 1 s, so a profile gets 30 or more tries in the 30 s close window, and there is
 * no attempt limit either: the close window bounds the retries, and giving up early would only
 * lose the data sooner. */
#define VS_RETRY_DEFAULT_BASE_US 500000LL
#define VS_RETRY_DEFAULT_MAX_US 30000000LL
#define VS_RETRY_DEFAULT_MAX_ATTEMPTS 0
#define VS_RETRY_DEFAULT_CLOSING_MAX_US 1000000LL
#define VS_RETRY_DEFAULT_CLOSING_MAX_ATTEMPTS 0

/* Fields ordered so that the struct has no padding. */
typedef struct vs_retry_policy {
    vs_time_us base_us;        /* the cap of the first retry's delay; > 0 */
    vs_time_us max_us;         /* no delay is longer; >= base_us */
    vs_time_us closing_max_us; /* no delay is longer while the server is closing; > 0. A value
                                  above max_us has no effect (closing never lengthens a wait) */
    int max_attempts;          /* attempts in all, the first try included; 0: no limit */
    int closing_max_attempts;  /* the attempt limit while closing, counted from the request's
                                  first try (not from the moment closing began); 0: no limit */
} vs_retry_policy;

/* What to do with a completion:
 *   success            code 0: nothing to retry
 *   retry              transient or unknown: wait vs_retry_delay_us, then try again
 *   give_up_caller     the caller's fault: never retried, the same request would fail again
 *   give_up_shutdown   401/402: the server is going away
 *   give_up_exhausted  retryable, but the attempt limit is reached */
#define VS_RETRY_ACTION_TABLE(X)                        \
    X(VS_RETRY_SUCCESS, "success")                      \
    X(VS_RETRY_AGAIN, "retry")                          \
    X(VS_RETRY_GIVE_UP_CALLER, "give_up_caller")        \
    X(VS_RETRY_GIVE_UP_SHUTDOWN, "give_up_shutdown")    \
    X(VS_RETRY_GIVE_UP_EXHAUSTED, "give_up_exhausted")

#define VS_RETRY_ACTION_ENUM(id, name) id,
typedef enum vs_retry_action {
    VS_RETRY_ACTION_TABLE(VS_RETRY_ACTION_ENUM) VS_RETRY_ACTION_COUNT
} vs_retry_action;
#undef VS_RETRY_ACTION_ENUM

/* "retry" for VS_RETRY_AGAIN; "unknown" outside the table. */
const char *vs_retry_action_name(vs_retry_action action);

typedef struct vs_retry_decision {
    vs_retry_action action;
    vs_ds_class cls; /* the code's class (VS_DS_CLASS_OK for 0) */
    bool unknown;    /* the code is not in the platform's table: it was treated as transient,
                        and the engine should report it (cls is VS_DS_CLASS_UNKNOWN) */
} vs_retry_decision;

/* The documented defaults above. */
vs_retry_policy vs_retry_policy_default(void);

/* policy with every zero field replaced by its default (the zero policy becomes the default
 * one). For configs where the user sets only some fields. */
vs_retry_policy vs_retry_policy_with_defaults(const vs_retry_policy *policy);

/* VS_OK, or VS_ERR_ARG with *why (when why is not NULL) set to a static sentence naming the
 * field: base_us > 0, max_us >= base_us, closing_max_us > 0, both attempt limits >= 0. The
 * functions below assume a policy that passes. */
vs_status vs_retry_policy_check(const vs_retry_policy *policy, const char **why);

/* What to do after attempt number `attempts` (>= 1; a smaller number counts as 1) completed
 * with `code` (0 or a DataStore error code). The class decides first: success, caller and
 * shutdown codes end the request whatever the attempt count; only retryable codes can be
 * exhausted. While closing, closing_max_attempts is the limit instead of max_attempts. */
vs_retry_decision vs_retry_decide(const vs_retry_policy *policy, int code, int attempts,
                                  bool closing);

/* The delay before retry number `retry` (>= 1; a smaller number counts as 1), i.e. after
 * `retry` attempts have failed. Equal jitter: with
 *     cap = min(max_us, base_us * 2^(retry-1))   (and min(that, closing_max_us) while closing)
 * the delay is uniform over [cap/2, cap] (integers, cap/2 rounded down), drawn from
 * random_word.
 *
 * Why equal jitter rather than full jitter ([0, cap]): most retried errors here are budget and
 * throttle errors (301-306, KeyThrottled), whose cure is time for the budget to refill; full
 * jitter retries almost at once a good share of the time and is dropped again. Equal jitter
 * keeps a floor that grows with the backoff, while still spreading retries over half the cap,
 * which is enough to break up a mass rejoin's synchronised retries.
 *
 * Bias: the word is reduced modulo the range (cap - cap/2 + 1); values are favoured by at most
 * one part in 2^64 / range (for a 30 s cap, range 1.5e7 us: one part in 1.2e12). */
vs_time_us vs_retry_delay_us(const vs_retry_policy *policy, int retry, bool closing,
                             uint64_t random_word);

#endif
