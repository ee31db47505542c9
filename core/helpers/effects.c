/* effects.c: absolute expiries with their durations, in a map of maps.
 *
 * Kept true: a written entry always has 0 <= Expires - now <= Duration by the writer's clock,
 * so the clamp on reading only ever matters on another server's clock. */
#include "core/helpers/effects.h"

#include <stdlib.h>
#include <string.h>

#include "core/helpers/helper.h"

typedef struct effect {
    int64_t expires_us;
    int64_t duration_us;
} effect;

static vs_status read_effect(const vs_value *entry, effect *out)
{
    if (vs_type_of(entry) != VS_MAP)
        return VS_ERR_TYPE;
    const vs_value *e = vs_map_get(entry, "Expires"), *d = vs_map_get(entry, "Duration");
    if (vs_type_of(e) == VS_NIL || vs_type_of(d) == VS_NIL)
        return VS_ERR_INVALID;
    vs_status st = vs_helper_read_int(e, &out->expires_us);
    if (st == VS_OK)
        st = vs_helper_read_int(d, &out->duration_us);
    if (st == VS_OK && out->duration_us < 0)
        st = VS_ERR_INVALID;
    return st;
}

static int64_t remaining(const effect *e, vs_time_us now_us)
{
    if (e->expires_us <= now_us)
        return 0;
    int64_t left = e->expires_us - now_us; /* both within 2^53: no overflow */
    return left < e->duration_us ? left : e->duration_us;
}

/* The effect called name (*found false when none), with the state map. */
static vs_status find_effect(const vs_value *data, const vs_path *path, const char *name,
                             vs_value **map, effect *e, bool *found)
{
    *found = false;
    vs_status st = vs_helper_find_map(data, path, map);
    if (st != VS_OK || !*map)
        return st;
    const vs_value *entry = vs_map_get(*map, name);
    if (vs_type_of(entry) == VS_NIL)
        return VS_OK;
    st = read_effect(entry, e);
    *found = st == VS_OK;
    return st;
}

vs_status vs_effect_remaining(const vs_value *data, const vs_path *path, const char *name,
                              vs_time_us now_us, int64_t *remaining_us)
{
    *remaining_us = 0;
    if (!vs_helper_name_ok(name) || !vs_helper_time_ok(now_us))
        return VS_ERR_ARG;
    vs_value *map;
    effect e;
    bool found;
    vs_status st = find_effect(data, path, name, &map, &e, &found);
    if (st == VS_OK && found)
        *remaining_us = remaining(&e, now_us);
    return st;
}

vs_status vs_effect_active(const vs_value *data, const vs_path *path, const char *name,
                           vs_time_us now_us, bool *active)
{
    int64_t left;
    vs_status st = vs_effect_remaining(data, path, name, now_us, &left);
    *active = st == VS_OK && left > 0;
    return st;
}

/* Grants name an effect of left_us from now; stacking adds what it has left. */
static vs_status grant(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                       int64_t duration_us, bool stack)
{
    if (!vs_helper_name_ok(name) || !vs_helper_time_ok(now_us) || duration_us <= 0 ||
        !vs_helper_time_ok(duration_us))
        return VS_ERR_ARG;
    vs_value *map;
    effect e;
    bool found;
    vs_status st = find_effect(data, path, name, &map, &e, &found);
    if (st != VS_OK)
        return st;
    int64_t left = found ? remaining(&e, now_us) : 0;
    if (!stack && left >= duration_us)
        return VS_OK; /* a refresh never shortens */
    int64_t total = stack ? left + duration_us : duration_us; /* each within 2^53: no overflow */
    if (!vs_helper_time_ok(total) || !vs_helper_time_ok(now_us + total))
        return VS_ERR_ARG;
    vs_value *entry = vs_new_map();
    if (!entry)
        return VS_ERR_NOMEM;
    st = vs_map_set(entry, "Expires", vs_new_number((double)(now_us + total)));
    if (st == VS_OK)
        st = vs_map_set(entry, "Duration", vs_new_number((double)total));
    vs_value *next = st != VS_OK ? NULL : map ? vs_copy(map) : vs_new_map();
    if (st == VS_OK && !next)
        st = VS_ERR_NOMEM;
    if (st != VS_OK) {
        vs_free(entry);
        return st;
    }
    st = vs_map_set(next, name, entry); /* consumes entry */
    if (st != VS_OK) {
        vs_free(next);
        return st;
    }
    return vs_path_set(data, path, next);
}

vs_status vs_effect_add(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                        int64_t duration_us)
{
    return grant(data, path, name, now_us, duration_us, false);
}

vs_status vs_effect_extend(vs_value *data, const vs_path *path, const char *name, vs_time_us now_us,
                           int64_t duration_us)
{
    return grant(data, path, name, now_us, duration_us, true);
}

vs_status vs_effects_prune(vs_value *data, const vs_path *path, vs_time_us now_us,
                           vs_effect_fn on_expired, void *arg, size_t *removed)
{
    if (removed)
        *removed = 0;
    if (!vs_helper_time_ok(now_us))
        return VS_ERR_ARG;
    vs_value *map;
    vs_status st = vs_helper_find_map(data, path, &map);
    if (st != VS_OK || !map)
        return st;
    /* Check everything, and list the ended ones, before any change. */
    size_t n = vs_map_len(map), ended = 0;
    for (size_t i = 0; i < n; i++) {
        effect e;
        const vs_value *entry = vs_map_value_at(map, i);
        if (vs_type_of(entry) == VS_NIL)
            continue;
        if (vs_map_key_is_int(map, i))
            return VS_ERR_INVALID;
        if ((st = read_effect(entry, &e)) != VS_OK)
            return st;
        ended += remaining(&e, now_us) == 0;
    }
    if (ended == 0)
        return VS_OK;
    /* Names are copied (the removal frees the map's own), then taken out of a copy of the
     * map, which replaces it in one vs_path_set. */
    char **names = calloc(ended, sizeof *names);
    size_t *lens = calloc(ended, sizeof *lens);
    size_t k = 0;
    st = names && lens ? VS_OK : VS_ERR_NOMEM;
    for (size_t i = 0; st == VS_OK && i < n; i++) {
        effect e;
        const vs_value *entry = vs_map_value_at(map, i);
        if (vs_type_of(entry) == VS_NIL || read_effect(entry, &e) != VS_OK || remaining(&e, now_us) > 0)
            continue;
        const char *key = vs_map_key_at(map, i, &lens[k]);
        names[k] = malloc(lens[k] + 1);
        if (!names[k]) {
            st = VS_ERR_NOMEM;
            break;
        }
        memcpy(names[k], key, lens[k]);
        names[k][lens[k]] = '\0';
        k++;
    }
    vs_value *next = st == VS_OK ? vs_copy(map) : NULL;
    if (st == VS_OK && !next)
        st = VS_ERR_NOMEM;
    if (st == VS_OK) {
        for (size_t i = 0; i < k; i++)
            vs_free(vs_map_take_n(next, names[i], lens[i]));
        st = vs_path_set(data, path, next); /* consumes next */
    }
    if (st == VS_OK) {
        if (removed)
            *removed = k;
        for (size_t i = 0; on_expired && i < k; i++)
            on_expired(arg, names[i]);
    }
    for (size_t i = 0; i < k; i++)
        free(names[i]);
    free(names);
    free(lens);
    return st;
}
