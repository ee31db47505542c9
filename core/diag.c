/* diag.c: the critical state's sliding window (see diag.h for the rules).
 *
 * Kept true: the ring holds the effective times of the last min(errors, threshold) errors, in
 * order from errors_us[next] (when full) round to errors_us[next - 1]; effective time never goes
 * down; while on, the ring is full (entering needs N errors and nothing removes one). */
#include "core/diag.h"

vs_status vs_critical_init(vs_critical *c, int threshold, vs_time_us window_us)
{
    vs_status st = VS_OK;
    if (threshold < 0 || threshold > VS_CRITICAL_MAX_THRESHOLD || window_us < 0) {
        st = VS_ERR_ARG;
        threshold = 0;
        window_us = 0;
    }
    *c = (vs_critical){
        .threshold = threshold ? threshold : VS_CRITICAL_DEFAULT_THRESHOLD,
        .window_us = window_us ? window_us : VS_CRITICAL_DEFAULT_WINDOW_US,
    };
    return st;
}

/* Moves effective time forward by the step from the last reading, if it is a forward step. The
 * difference is taken in uint64_t, where it cannot overflow, and the sum saturates. */
static void advance(vs_critical *c, vs_time_us now_us)
{
    if (c->have_reading && now_us > c->last_reading_us) {
        uint64_t step = (uint64_t)now_us - (uint64_t)c->last_reading_us;
        uint64_t room = (uint64_t)(INT64_MAX - c->elapsed_us);
        c->elapsed_us += (vs_time_us)(step < room ? step : room);
    }
    c->last_reading_us = now_us;
    c->have_reading = true;
}

/* The effective time from which a full window must pass before the state can be left: entering,
 * or the Nth most recent error (the ring's oldest) if that is later. */
static vs_time_us leave_from(const vs_critical *c)
{
    vs_time_us oldest = c->errors_us[c->next];
    return oldest > c->entered_us ? oldest : c->entered_us;
}

vs_critical_transition vs_critical_note_error(vs_critical *c, vs_time_us now_us)
{
    advance(c, now_us);
    c->errors_us[c->next] = c->elapsed_us;
    c->next = (c->next + 1) % c->threshold;
    if (c->count < c->threshold)
        c->count++;
    if (c->on || c->count < c->threshold)
        return VS_CRITICAL_NONE;
    /* Full ring: errors_us[next] is the oldest of the last N. Both times are effective times,
     * oldest <= elapsed, so the difference cannot overflow. */
    if (c->elapsed_us - c->errors_us[c->next] >= c->window_us)
        return VS_CRITICAL_NONE;
    c->on = true;
    c->entered_us = c->elapsed_us;
    return VS_CRITICAL_ENTERED;
}

vs_critical_transition vs_critical_poll(vs_critical *c, vs_time_us now_us)
{
    advance(c, now_us);
    if (!c->on || c->elapsed_us - leave_from(c) < c->window_us)
        return VS_CRITICAL_NONE;
    c->on = false;
    return VS_CRITICAL_LEFT;
}

bool vs_critical_is_on(const vs_critical *c)
{
    return c->on;
}

vs_time_us vs_critical_leave_delay_us(const vs_critical *c)
{
    if (!c->on)
        return -1;
    vs_time_us waited = c->elapsed_us - leave_from(c);
    return waited >= c->window_us ? 0 : c->window_us - waited;
}

vs_event_kind vs_diag_critical_event(vs_critical_transition t)
{
    switch (t) {
    case VS_CRITICAL_ENTERED: return VS_EV_CRITICAL_ENTERED;
    case VS_CRITICAL_LEFT: return VS_EV_CRITICAL_LEFT;
    case VS_CRITICAL_NONE: break;
    }
    return VS_EV_KIND_COUNT;
}

bool vs_diag_is_budget_code(int code)
{
    return (code >= VS_DS_GetAsyncThrottle && code <= VS_DS_RemoveAsyncThrottle) ||
           code == VS_DS_KeyThrottled;
}
