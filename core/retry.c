/* retry.c: retry decisions and backoff delays (see retry.h).
 *
 * Kept true: integer arithmetic only; the exponential is never computed past the cap, so no
 * shift or product overflows whatever the attempt number. */
#include "core/retry.h"

#include <stddef.h>

#define ACTION_NAME(id, name) name,
static const char *const action_names[] = {VS_RETRY_ACTION_TABLE(ACTION_NAME)};
#undef ACTION_NAME

const char *vs_retry_action_name(vs_retry_action action)
{
    if ((unsigned)action >= VS_RETRY_ACTION_COUNT)
        return "unknown";
    return action_names[action];
}

vs_retry_policy vs_retry_policy_default(void)
{
    vs_retry_policy p = {
        .base_us = VS_RETRY_DEFAULT_BASE_US,
        .max_us = VS_RETRY_DEFAULT_MAX_US,
        .max_attempts = VS_RETRY_DEFAULT_MAX_ATTEMPTS,
        .closing_max_us = VS_RETRY_DEFAULT_CLOSING_MAX_US,
        .closing_max_attempts = VS_RETRY_DEFAULT_CLOSING_MAX_ATTEMPTS,
    };
    return p;
}

vs_retry_policy vs_retry_policy_with_defaults(const vs_retry_policy *policy)
{
    vs_retry_policy p = *policy;
    /* The attempt limits need no filling: their zero ("no limit") is the default. */
    if (p.base_us == 0)
        p.base_us = VS_RETRY_DEFAULT_BASE_US;
    if (p.max_us == 0)
        p.max_us = VS_RETRY_DEFAULT_MAX_US;
    if (p.closing_max_us == 0)
        p.closing_max_us = VS_RETRY_DEFAULT_CLOSING_MAX_US;
    return p;
}

static vs_status refuse(const char **why, const char *sentence)
{
    if (why)
        *why = sentence;
    return VS_ERR_ARG;
}

vs_status vs_retry_policy_check(const vs_retry_policy *policy, const char **why)
{
    if (policy->base_us <= 0)
        return refuse(why, "retry base_us must be positive");
    if (policy->max_us < policy->base_us)
        return refuse(why, "retry max_us must be at least base_us");
    if (policy->closing_max_us <= 0)
        return refuse(why, "retry closing_max_us must be positive");
    if (policy->max_attempts < 0)
        return refuse(why, "retry max_attempts must be 0 (no limit) or positive");
    if (policy->closing_max_attempts < 0)
        return refuse(why, "retry closing_max_attempts must be 0 (no limit) or positive");
    if (why)
        *why = NULL;
    return VS_OK;
}

vs_retry_decision vs_retry_decide(const vs_retry_policy *policy, int code, int attempts,
                                  bool closing)
{
    vs_retry_decision d = {.action = VS_RETRY_AGAIN, .cls = vs_ds_classify(code), .unknown = false};
    switch (d.cls) {
    case VS_DS_CLASS_OK:
        d.action = VS_RETRY_SUCCESS;
        return d;
    case VS_DS_CLASS_CALLER:
        d.action = VS_RETRY_GIVE_UP_CALLER;
        return d;
    case VS_DS_CLASS_SHUTDOWN:
        /* Whether or not the engine knows it is closing yet: 401/402 will not go away. */
        d.action = VS_RETRY_GIVE_UP_SHUTDOWN;
        return d;
    case VS_DS_CLASS_UNKNOWN:
        /* Retrying an undocumented code costs a little budget; not retrying it could lose a
         * save to a new kind of transient failure. Retry, and let the engine report it. */
        d.unknown = true;
        break;
    case VS_DS_CLASS_TRANSIENT:
        break;
    }
    int limit = closing ? policy->closing_max_attempts : policy->max_attempts;
    if (attempts < 1)
        attempts = 1;
    if (limit > 0 && attempts >= limit)
        d.action = VS_RETRY_GIVE_UP_EXHAUSTED;
    return d;
}

/* min(cap, base * 2^(retry-1)) for base > 0, cap >= 0, retry >= 1, without ever forming a value
 * above cap: base * 2^s exceeds cap exactly when base > cap >> s (for s < 63). */
static vs_time_us ceiling(vs_time_us base, vs_time_us cap, int retry)
{
    int shift = retry - 1;
    if (base >= cap || shift >= 63 || base > (cap >> shift))
        return cap;
    return base << shift;
}

vs_time_us vs_retry_delay_us(const vs_retry_policy *policy, int retry, bool closing,
                             uint64_t random_word)
{
    vs_time_us cap = policy->max_us;
    if (closing && policy->closing_max_us < cap)
        cap = policy->closing_max_us;
    /* A policy that failed vs_retry_policy_check must still not give a negative delay. */
    if (cap <= 0 || policy->base_us <= 0)
        return 0;
    if (retry < 1)
        retry = 1;
    vs_time_us top = ceiling(policy->base_us, cap, retry);
    vs_time_us floor_us = top / 2;
    /* top - floor_us + 1 <= INT64_MAX / 2 + 2: no overflow in the range or the sum below. */
    uint64_t range = (uint64_t)(top - floor_us) + 1;
    return floor_us + (vs_time_us)(random_word % range);
}
