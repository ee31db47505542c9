/* oracle.c: the verdict every oracle keeps (see oracle.h). */
#include "sim/oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"

void oracle_violation(oracle_verdict *v, int64_t time_us, const char *full_key, int64_t player,
                      const char *fmt, ...)
{
    if (v->violations++ > 0)
        return;
    v->first_time_us = time_us;
    snprintf(v->first_key, sizeof v->first_key, "%s", full_key ? full_key : "");
    v->first_player = player;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->first, sizeof v->first, fmt, ap);
    va_end(ap);
}

const char *oracle_key_name(const char *full_key)
{
    const char *sep = strchr(full_key, '\x1f');
    return sep ? sep + 1 : full_key;
}


/* Appends one path element to path (len bytes used); returns the new length. */
static size_t path_push(char *path, size_t cap, size_t len, const char *elem, size_t elem_len)
{
    int n = snprintf(path + len, cap - len, "%s%.*s", len ? "." : "", (int)elem_len, elem);
    return n < 0 ? len : len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

/* True when a difference was found under path; its description is in buf. */
static bool differ(const vs_value *a, const vs_value *b, char *path, size_t cap, size_t len, char *buf,
                   size_t size)
{
    if (vs_equal(a, b))
        return false;
    if (a && b && vs_type_of(a) == vs_type_of(b) && vs_type_of(a) == VS_MAP) {
        for (size_t i = 0; i < vs_map_len(a); i++) {
            size_t kl;
            const char *k = vs_map_key_at(a, i, &kl);
            const vs_value *other = vs_map_key_is_int(a, i) ? NULL : vs_map_get_n(b, k, kl);
            if (differ(vs_map_value_at(a, i), other, path, cap, path_push(path, cap, len, k, kl), buf, size))
                return true;
            path[len] = '\0';
        }
        for (size_t i = 0; i < vs_map_len(b); i++) {
            size_t kl;
            const char *k = vs_map_key_at(b, i, &kl);
            const vs_value *other = vs_map_key_is_int(b, i) ? NULL : vs_map_get_n(a, k, kl);
            if (differ(other, vs_map_value_at(b, i), path, cap, path_push(path, cap, len, k, kl), buf, size))
                return true;
            path[len] = '\0';
        }
    } else if (a && b && vs_type_of(a) == vs_type_of(b) && vs_type_of(a) == VS_ARRAY) {
        size_t n = vs_array_len(a) > vs_array_len(b) ? vs_array_len(a) : vs_array_len(b);
        for (size_t i = 0; i < n; i++) {
            char index[24];
            int il = snprintf(index, sizeof index, "%zu", i + 1);
            if (differ(vs_array_at(a, i), vs_array_at(b, i), path, cap, path_push(path, cap, len, index, (size_t)il),
                       buf, size))
                return true;
            path[len] = '\0';
        }
    }
    char x[VS_TEXT_SHOWN_MAX + 1], y[VS_TEXT_SHOWN_MAX + 1];
    vs_text_value(a, x, sizeof x);
    vs_text_value(b, y, sizeof y);
    snprintf(buf, size, "at '%s': %s against %s", path, x, y);
    return true;
}

void oracle_first_difference(const vs_value *a, const vs_value *b, char *buf, size_t size)
{
    char path[200] = "";
    if (!differ(a, b, path, sizeof path, 0, buf, size))
        snprintf(buf, size, "no difference");
}
