/* effects.h: timed effects (a potion, a boost) kept in the profile, so they survive hops.
 *
 * The state is a map at a path the caller gives ("Effects"), one entry per effect name with
 * its absolute expiry in the server's wall clock and the duration it was granted for
 * (microseconds, integer numbers):
 *     {"Effects": {"Speed": {"Expires": 1700000600000000, "Duration": 600000000}}}
 * An effect is active while now < Expires (at exactly Expires it has ended). The remaining
 * time is Expires - now, clamped to 0..Duration: Duration is kept so that a clock behind the
 * one that granted the effect never shows more left than was granted (a progress bar stays
 * within 100%).
 *
 * Clock skew: the expiry is absolute in the clock of the server that wrote it, and each
 * server judges it by its own. On a server whose clock is behind the writer's by s the effect
 * lasts s longer in true time (its remaining time stays at Duration until its clock reaches
 * the grant time); on one ahead by s it lasts s less (it has already ended if s >= the time
 * that was left).
 *
 * Errors: VS_ERR_ARG for a NULL data or path, an empty or NULL name, a time beyond +-2^53, a
 * duration <= 0 or an expiry that would pass 2^53; the state's errors of core/helpers/helper.h
 * (VS_ERR_PATH for the root, VS_ERR_TYPE for a state or an entry that is not a map, or
 * Expires or Duration that is not a number; VS_ERR_INVALID for values that are not integers
 * within +-2^53, a Duration < 0, a missing field, or an integer key). Each write is one
 * vs_path_set of a map built aside: on any error the profile is unchanged. The state's parent
 * must exist (VS_ERR_NO_PARENT otherwise). */
#ifndef VS_EFFECTS_H
#define VS_EFFECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "core/platform.h"
#include "core/status.h"
#include "core/value.h"

/* Grants the effect for duration_us from now, or keeps it as it is when it already has at
 * least that long left: a refresh never shortens. */
vs_status vs_effect_add(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                        int64_t duration_us);
/* Stacks: the effect lasts duration_us more than what it has left (from now when ended). */
vs_status vs_effect_extend(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                           int64_t duration_us);
/* Time left: 0..Duration; 0 when ended or never granted. */
vs_status vs_effect_remaining(const vs_value *data, const vs_path *path, const char *name,
                              vs_time_us now_us, int64_t *remaining_us);
/* remaining > 0. */
vs_status vs_effect_active(const vs_value *data, const vs_path *path, const char *name,
                           vs_time_us now_us, bool *active);

/* Called for each effect removed by a prune, in name order (bytewise), after the removal. */
typedef void (*vs_effect_fn)(void *arg, const char *name);

/* Removes every effect that has ended (Expires <= now), all at once: every entry is checked
 * first, and a malformed one fails the whole prune (nothing removed). *removed (may be NULL)
 * gets how many; on_expired (may be NULL) hears each name afterwards, in name order. */
vs_status vs_effects_prune(vs_value *data, const vs_path *path, vs_time_us now_us,
                           vs_effect_fn on_expired, void *arg, size_t *removed);

#endif
