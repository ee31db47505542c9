/* diag.h: the critical state, and which diagnostic event goes with what.
 *
 * A store is critical while errors come too fast: `threshold` errors within a sliding window of
 * `window_us` enter the state. The engine feeds it the errors it counts (vs_critical_note_error)
 * and its clock readings, and emits VS_EV_CRITICAL_ENTERED / VS_EV_CRITICAL_LEFT through the
 * platform when told of a transition. No allocation: the last `threshold` error times sit in a
 * fixed ring inside the struct.
 *
 * The rules, exactly (times are "effective" times, below):
 *  - Within the window means a span shorter than window_us: N errors enter the state when the
 *    newest and the oldest of them are less than window_us apart (N errors at 0, 15, 30, 45 and
 *    60 s do not enter with a 60 s window; the same with the last at 59.999999 s do). The state
 *    is entered by the Nth such error, never by an earlier one.
 *  - The state is left at the first moment when a full window has passed since it was entered
 *    and the last full window holds fewer than N errors. So it lasts at least window_us (no
 *    flapping on every error when the error rate hovers at the threshold), and at most
 *    window_us after the error rate falls below N per window; with no more errors it is left
 *    exactly window_us after entering. Only vs_critical_poll leaves: call it on a timer (see
 *    vs_critical_leave_delay_us) or on successes, and before noting an error if the leave is to
 *    be seen first.
 *
 * Clocks: the readings are the caller's (a server's wall clock, which may be skewed, drift, or be
 * set back). The module measures time only by the forward steps between consecutive readings: a
 * reading earlier than the one before counts as no time passing, and time runs on from the new
 * reading. So a clock set back by an hour neither freezes the state for an hour nor makes errors
 * an hour apart look simultaneous. A clock set forward counts as time passed (it cannot be told
 * from real time); a clock that flaps back and forth makes time run fast, which can only end the
 * state early, never keep it on. Any int64 reading is accepted: steps saturate instead of
 * overflowing (effective time stops at INT64_MAX, some 292,000 years of steps, after which the
 * state can no longer be left). */
#ifndef VS_DIAG_H
#define VS_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"
#include "core/status.h"

#define VS_CRITICAL_MAX_THRESHOLD 64 /* the ring's size */
#define VS_CRITICAL_DEFAULT_THRESHOLD 5
#define VS_CRITICAL_DEFAULT_WINDOW_US 60000000LL /* 60 s */

typedef enum vs_critical_transition {
    VS_CRITICAL_NONE,
    VS_CRITICAL_ENTERED,
    VS_CRITICAL_LEFT,
} vs_critical_transition;

typedef struct vs_critical {
    int threshold;          /* N: 1..VS_CRITICAL_MAX_THRESHOLD */
    vs_time_us window_us;   /* W: > 0 */
    bool on;                /* in the critical state */
    bool have_reading;      /* last_reading_us holds a reading */
    vs_time_us last_reading_us; /* the caller's last clock reading */
    vs_time_us elapsed_us;  /* effective time: the sum of forward steps between readings */
    vs_time_us entered_us;  /* effective time of entering (meaningful while on) */
    int count;              /* errors in the ring: min(errors noted, threshold) */
    int next;               /* the ring slot the next error goes to; when the ring is full, also
                               the slot of the oldest error */
    vs_time_us errors_us[VS_CRITICAL_MAX_THRESHOLD]; /* effective times of the last errors */
} vs_critical;

/* threshold 0 means VS_CRITICAL_DEFAULT_THRESHOLD, window_us 0 VS_CRITICAL_DEFAULT_WINDOW_US.
 * VS_ERR_ARG for a threshold outside 0..VS_CRITICAL_MAX_THRESHOLD or a negative window; c is then
 * initialised with the defaults, so it is always usable. Starts off, with no errors. */
vs_status vs_critical_init(vs_critical *c, int threshold, vs_time_us window_us);

/* An error happened at now_us: VS_CRITICAL_ENTERED when it is the Nth within the window and the
 * state was off; otherwise VS_CRITICAL_NONE (never LEFT). */
vs_critical_transition vs_critical_note_error(vs_critical *c, vs_time_us now_us);

/* The time is now_us: VS_CRITICAL_LEFT when the state was on and the leave rule holds;
 * otherwise VS_CRITICAL_NONE (never ENTERED). */
vs_critical_transition vs_critical_poll(vs_critical *c, vs_time_us now_us);

bool vs_critical_is_on(const vs_critical *c);

/* While on: how long after the last reading vs_critical_poll will return LEFT if no more errors
 * are noted (0: already due); the engine's timer. -1 while off. */
vs_time_us vs_critical_leave_delay_us(const vs_critical *c);

/* The event that reports a transition: VS_EV_CRITICAL_ENTERED, VS_EV_CRITICAL_LEFT, or
 * VS_EV_KIND_COUNT (no event) for VS_CRITICAL_NONE. */
vs_event_kind vs_diag_critical_event(vs_critical_transition t);

/* True for the codes that mean a request was dropped for want of budget or throughput: the
 * full-queue drops 301-306 and KeyThrottled. The engine reports these as
 * VS_EV_BUDGET_EXHAUSTED (they are retried like any transient error). */
bool vs_diag_is_budget_code(int code);

#endif
