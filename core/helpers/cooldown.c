/* cooldown.c: start times in a map, read with a clamp against clocks that disagree.
 *
 * Kept true: the profile changes only through one vs_path_set per call, of a map built aside,
 * so a failure (bad state, no memory, no parent) changes nothing. */
#include "core/helpers/cooldown.h"

#include "core/helpers/helper.h"

/* The stored start of name, or *found false. */
static vs_status read_start(const vs_value *data, const vs_path *path, const char *name,
                            int64_t *start, bool *found)
{
    *found = false;
    vs_value *map;
    vs_status st = vs_helper_find_map(data, path, &map);
    if (st != VS_OK || !map)
        return st;
    const vs_value *entry = vs_map_get(map, name);
    if (!entry || vs_type_of(entry) == VS_NIL)
        return VS_OK;
    st = vs_helper_read_int(entry, start);
    *found = st == VS_OK;
    return st;
}

vs_status vs_cooldown_remaining(const vs_value *data, const vs_path *path, const char *name,
                                vs_time_us now_us, int64_t length_us, int64_t *remaining_us)
{
    *remaining_us = 0;
    if (!vs_helper_name_ok(name) || !vs_helper_time_ok(now_us) || length_us < 0 ||
        !vs_helper_time_ok(length_us))
        return VS_ERR_ARG;
    int64_t start;
    bool found;
    vs_status st = read_start(data, path, name, &start, &found);
    if (st != VS_OK || !found)
        return st;
    if (start > now_us) /* written by a clock ahead of ours: read as just started */
        start = now_us;
    int64_t elapsed = now_us - start; /* both within 2^53: no overflow */
    *remaining_us = elapsed >= length_us ? 0 : length_us - elapsed;
    return VS_OK;
}

vs_status vs_cooldown_ready(const vs_value *data, const vs_path *path, const char *name,
                            vs_time_us now_us, int64_t length_us, bool *ready)
{
    int64_t remaining;
    vs_status st = vs_cooldown_remaining(data, path, name, now_us, length_us, &remaining);
    *ready = st == VS_OK && remaining == 0;
    return st;
}

/* Sets entries of the state map to times, in one vs_path_set of a copy: names[i] -> times[i]. */
static vs_status write_starts(vs_value *data, const vs_path *path, const char *const *names,
                              const int64_t *times, size_t count)
{
    vs_value *map;
    vs_status st = vs_helper_find_map(data, path, &map);
    if (st != VS_OK)
        return st;
    vs_value *next = map ? vs_copy(map) : vs_new_map();
    if (!next)
        return VS_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        st = vs_map_set(next, names[i], vs_new_number((double)times[i]));
        if (st != VS_OK) {
            vs_free(next);
            return st;
        }
    }
    return vs_path_set(data, path, next);
}

vs_status vs_cooldown_start(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us)
{
    if (!vs_helper_name_ok(name) || !vs_helper_time_ok(now_us))
        return VS_ERR_ARG;
    int64_t start;
    bool found;
    /* A malformed entry is reported, not silently overwritten: it may be someone's data. */
    vs_status st = read_start(data, path, name, &start, &found);
    if (st != VS_OK)
        return st;
    return write_starts(data, path, &name, &now_us, 1);
}

vs_status vs_cooldown_use(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                          int64_t length_us, bool *started)
{
    *started = false;
    bool ready;
    vs_status st = vs_cooldown_ready(data, path, name, now_us, length_us, &ready);
    if (st != VS_OK || !ready)
        return st;
    st = write_starts(data, path, &name, &now_us, 1);
    *started = st == VS_OK;
    return st;
}

vs_status vs_cooldowns_clamp(vs_value *data, const vs_path *path, vs_time_us now_us, size_t *changed)
{
    if (changed)
        *changed = 0;
    if (!vs_helper_time_ok(now_us))
        return VS_ERR_ARG;
    vs_value *map;
    vs_status st = vs_helper_find_map(data, path, &map);
    if (st != VS_OK || !map)
        return st;
    size_t n = vs_map_len(map), future = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t start;
        const vs_value *entry = vs_map_value_at(map, i);
        if (vs_type_of(entry) == VS_NIL)
            continue;
        if (vs_map_key_is_int(map, i))
            return VS_ERR_INVALID; /* not a cooldown name */
        st = vs_helper_read_int(entry, &start);
        if (st != VS_OK)
            return st;
        future += start > now_us;
    }
    if (future == 0)
        return VS_OK;
    /* One pass over a copy, in the map's canonical order. */
    vs_value *next = vs_copy(map);
    if (!next)
        return VS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int64_t start;
        vs_value *entry = vs_map_value_at(next, i);
        if (vs_type_of(entry) == VS_NIL || vs_helper_read_int(entry, &start) != VS_OK ||
            start <= now_us)
            continue;
        size_t len;
        const char *key = vs_map_key_at(next, i, &len);
        st = vs_map_set_n(next, key, len, vs_new_number((double)now_us));
        if (st != VS_OK) {
            vs_free(next);
            return st;
        }
    }
    st = vs_path_set(data, path, next);
    if (st == VS_OK && changed)
        *changed = future;
    return st;
}
