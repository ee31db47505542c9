/* helper.c: finding a helper's state map and reading its stored times. */
#include "core/helpers/helper.h"

#include <math.h>
#include <stddef.h>

vs_status vs_helper_find_map(const vs_value *data, const vs_path *path, vs_value **map)
{
    *map = NULL;
    if (!data || !path)
        return VS_ERR_ARG;
    if (path->count == 0)
        return VS_ERR_PATH;
    vs_value *node = vs_path_get(data, path);
    if (node && vs_type_of(node) != VS_NIL) {
        if (vs_type_of(node) != VS_MAP)
            return VS_ERR_TYPE;
        *map = node;
        return VS_OK;
    }
    /* Missing: say so only if the way there is made of containers. A scalar on the way is a
     * mistake to report, not an absence (a read would otherwise succeed and the next write
     * fail). */
    for (size_t i = path->count; i-- > 0;) {
        vs_path prefix = {i, path->keys}; /* a view: shares the keys */
        const vs_value *at = vs_path_get(data, &prefix);
        if (at) {
            vs_type t = vs_type_of(at);
            return t == VS_MAP || t == VS_ARRAY ? VS_OK : VS_ERR_TYPE;
        }
    }
    return VS_OK;
}

vs_status vs_helper_read_int(const vs_value *v, int64_t *out)
{
    if (vs_type_of(v) != VS_NUMBER)
        return VS_ERR_TYPE;
    double d = vs_number_of(v);
    if (!isfinite(d) || d != floor(d) || d > (double)VS_HELPER_TIME_MAX ||
        d < -(double)VS_HELPER_TIME_MAX)
        return VS_ERR_INVALID;
    *out = (int64_t)d;
    return VS_OK;
}

bool vs_helper_time_ok(int64_t t)
{
    return t <= VS_HELPER_TIME_MAX && t >= -VS_HELPER_TIME_MAX;
}

bool vs_helper_name_ok(const char *name)
{
    return name && *name;
}
