/* daily.h: a daily reward with a streak, by UTC day, kept in the profile.
 *
 * The state is a map at a path the caller gives ("Daily"): the UTC day of the last claim and
 * the streak it made (other keys there are kept):
 *     {"Daily": {"Day": 19700, "Streak": 3}}
 * A day is floor(now_us / 86,400,000,000): the server's wall clock read as UTC, days since
 * 1970-01-01 (floored, so times before 1970 work too). The reward is claimable once per day:
 *   - never claimed: the claim makes streak 1;
 *   - last claim yesterday: streak + 1, at most max_streak (it then stays at max_streak);
 *   - last claim two or more days ago: the streak restarts at 1;
 *   - last claim today: refused (result.claimed false, nothing changes);
 *   - last claim on a day after today (a server whose clock is ahead claimed across midnight):
 *     refused as well, until the day after that day. A claim is never granted twice for one
 *     day number, whichever servers see the profile.
 *
 * Clock skew near midnight. Each server judges the day by its own clock. When a profile hops
 * from server A to server B whose clock is ahead of A's by s > 0 (or A's is behind), and A's
 * claim fell within s before midnight by A's clock, B already reads the next day and grants
 * it: two claims within s of each other in true time, one per day number. The other way
 * round (a claim on the ahead server, then a hop to the one behind), B refuses until its own
 * clock reaches the day after the claimed one: the next claim comes s late. So skew moves
 * claims by at most s; over any span the number of claims never exceeds the number of day
 * numbers the servers' clocks crossed, and never two claims share one day number.
 *
 * Errors: VS_ERR_ARG for a NULL data, path or result, max_streak < 1 or a time beyond +-2^53;
 * those of core/helpers/helper.h for the state (VS_ERR_PATH for the root, VS_ERR_TYPE when it
 * is not a map or Day or Streak is not a number, VS_ERR_INVALID when Day is not an integer or
 * Streak not an integer >= 1, or only one of them is there). A claim writes through one
 * vs_path_set of a map built aside: on any error the profile is unchanged. The state's parent
 * must exist (VS_ERR_NO_PARENT otherwise). */
#ifndef VS_DAILY_H
#define VS_DAILY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/path.h"
#include "core/platform.h"
#include "core/status.h"
#include "core/value.h"

#define VS_DAILY_DAY_US (INT64_C(86400) * 1000000)

typedef struct vs_daily_result {
    bool claimed;        /* claim: this call claimed the reward; peek: a claim now would */
    int64_t streak;      /* the streak after the claim (or that a claim would make); when
                            refused, the stored streak (0 when never claimed) */
    int64_t day;         /* today: vs_daily_day(now_us) */
    vs_time_us next_us;  /* when the next claim opens, by this clock: the start of the day
                            after the last claimed one (now_us when claimable now) */
} vs_daily_result;

/* The UTC day of a time: floor(now_us / VS_DAILY_DAY_US). */
int64_t vs_daily_day(vs_time_us now_us);

/* Claims today's reward if it is claimable; result says what happened. */
vs_status vs_daily_claim(vs_value *data, const vs_path *path, vs_time_us now_us, int64_t max_streak,
                         vs_daily_result *result);
/* What vs_daily_claim would do now, changing nothing. */
vs_status vs_daily_peek(const vs_value *data, const vs_path *path, vs_time_us now_us,
                        int64_t max_streak, vs_daily_result *result);

#endif
