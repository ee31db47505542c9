/* cooldown.h: cooldowns kept in the profile, judged by the server's wall clock.
 *
 * The state is a map at a path the caller gives ("Cooldowns"), one entry per cooldown name
 * holding the time it started, in the server's wall clock (microseconds, an integer number):
 *     {"Cooldowns": {"Dash": 1700000000000000}}
 * The length is not stored: the caller passes it, so a game can retune it. A cooldown is
 * ready once now >= start + length (at exactly start + length it is ready), and a name never
 * started is ready.
 *
 * Clock skew. Each server judges by its own clock, and a profile hops between servers whose
 * clocks disagree. True time cannot be known, so:
 *   - on a server whose clock is behind the one that started the cooldown by s, it lasts s
 *     longer in true time; on one ahead by s, s shorter (ready at once when s >= length);
 *   - a start in the future (beyond now: written by a server whose clock is ahead) is read as
 *     if it were now: the remaining time never exceeds length, but it stays at length until
 *     this clock reaches the stored start, so the extra s remains;
 *   - vs_cooldowns_clamp makes that reading durable: it rewrites every future start to now.
 *     Called when a profile arrives on a server, it bounds every cooldown to at most length
 *     after the arrival, by this server's clock, whatever clock wrote it (even one years
 *     ahead). Its price: a later hop to the ahead server sees the clamped start as s older.
 *
 * Every function checks its arguments first: VS_ERR_ARG for a NULL data or path, an empty or
 * NULL name, a time or length beyond +-2^53 or a negative length; the state's errors are
 * those of core/helpers/helper.h (VS_ERR_PATH, VS_ERR_TYPE for a state that is not a map,
 * VS_ERR_TYPE for an entry that is not a number, VS_ERR_INVALID for one that is not an integer
 * within +-2^53, and for an integer key in vs_cooldowns_clamp). Writes go through core/path.h, one vs_path_set each, all-or-nothing: on any
 * error the profile is unchanged. The state's parent must exist (VS_ERR_NO_PARENT otherwise);
 * the state map itself is created when missing. */
#ifndef VS_COOLDOWN_H
#define VS_COOLDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "core/platform.h"
#include "core/status.h"
#include "core/value.h"

/* Time left before the cooldown is ready: 0..length_us (0 when ready or never started). */
vs_status vs_cooldown_remaining(const vs_value *data, const vs_path *path, const char *name,
                                vs_time_us now_us, int64_t length_us, int64_t *remaining_us);
/* remaining == 0. */
vs_status vs_cooldown_ready(const vs_value *data, const vs_path *path, const char *name,
                            vs_time_us now_us, int64_t length_us, bool *ready);
/* Starts (or restarts) the cooldown at now_us, whatever its state. */
vs_status vs_cooldown_start(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us);
/* The usual use: if ready, start it and set *started; if not, change nothing and clear
 * *started. */
vs_status vs_cooldown_use(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                          int64_t length_us, bool *started);
/* Rewrites every start later than now_us to now_us (see the skew notes above); *changed (may be
 * NULL) gets how many. Every entry is checked before anything changes. */
vs_status vs_cooldowns_clamp(vs_value *data, const vs_path *path, vs_time_us now_us, size_t *changed);

#endif
