/* daily.c: one claim per UTC day number, streaks of consecutive day numbers.
 *
 * Kept true: a claim is granted only when the stored day is before today, and it stores
 * today, so the stored day never goes down and no day number is claimed twice. */
#include "core/helpers/daily.h"

#include "core/helpers/helper.h"

int64_t vs_daily_day(vs_time_us now_us)
{
    int64_t q = now_us / VS_DAILY_DAY_US;
    return now_us % VS_DAILY_DAY_US < 0 ? q - 1 : q; /* floor, also before 1970 */
}

/* Reads the state (*map NULL when none) and decides. */
static vs_status decide(const vs_value *data, const vs_path *path, vs_time_us now_us,
                        int64_t max_streak, vs_daily_result *result, vs_value **map)
{
    *map = NULL;
    if (!result)
        return VS_ERR_ARG;
    *result = (vs_daily_result){0};
    if (!data || !path || max_streak < 1 || !vs_helper_time_ok(now_us))
        return VS_ERR_ARG;
    vs_status st = vs_helper_find_map(data, path, map);
    if (st != VS_OK)
        return st;
    int64_t today = vs_daily_day(now_us);
    result->day = today;
    const vs_value *day_v = *map ? vs_map_get(*map, "Day") : NULL;
    const vs_value *streak_v = *map ? vs_map_get(*map, "Streak") : NULL;
    if (vs_type_of(day_v) == VS_NIL && vs_type_of(streak_v) == VS_NIL) { /* never claimed */
        *result = (vs_daily_result){true, 1, today, now_us};
        return VS_OK;
    }
    /* Half a state is someone else's data or a bad migration: reported, never overwritten. */
    if (vs_type_of(day_v) == VS_NIL || vs_type_of(streak_v) == VS_NIL)
        return VS_ERR_INVALID;
    int64_t day, streak;
    if ((st = vs_helper_read_int(day_v, &day)) != VS_OK ||
        (st = vs_helper_read_int(streak_v, &streak)) != VS_OK)
        return st;
    /* A day no time within +-2^53 falls on cannot be ours (and would overflow next_us). */
    if (streak < 1 || day > vs_daily_day(VS_HELPER_TIME_MAX) ||
        day < vs_daily_day(-VS_HELPER_TIME_MAX))
        return VS_ERR_INVALID;
    if (day >= today) { /* claimed today, or on a later day by a clock ahead of ours */
        *result = (vs_daily_result){false, streak, today, (day + 1) * VS_DAILY_DAY_US};
        return VS_OK;
    }
    int64_t next = day == today - 1 ? (streak < max_streak ? streak + 1 : max_streak) : 1;
    *result = (vs_daily_result){true, next, today, now_us};
    return VS_OK;
}

vs_status vs_daily_peek(const vs_value *data, const vs_path *path, vs_time_us now_us,
                        int64_t max_streak, vs_daily_result *result)
{
    vs_value *map;
    return decide(data, path, now_us, max_streak, result, &map);
}

vs_status vs_daily_claim(vs_value *data, const vs_path *path, vs_time_us now_us, int64_t max_streak,
                         vs_daily_result *result)
{
    vs_value *map;
    vs_status st = decide(data, path, now_us, max_streak, result, &map);
    if (st != VS_OK || !result->claimed)
        return st;
    vs_value *next = map ? vs_copy(map) : vs_new_map();
    if (!next)
        st = VS_ERR_NOMEM;
    if (st == VS_OK)
        st = vs_map_set(next, "Day", vs_new_number((double)result->day));
    if (st == VS_OK)
        st = vs_map_set(next, "Streak", vs_new_number((double)result->streak));
    if (st == VS_OK) {
        st = vs_path_set(data, path, next); /* consumes next */
        next = NULL;
    }
    vs_free(next);
    if (st != VS_OK) {
        int64_t day = result->day;
        *result = (vs_daily_result){.day = day};
        return st;
    }
    result->next_us = (result->day + 1) * VS_DAILY_DAY_US;
    return VS_OK;
}
