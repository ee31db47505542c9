/* path.c: paths into a profile and the mutations made through them (see path.h).
 *
 * What it keeps true: a mutation either completes or changes nothing. Each one first walks
 * the path and checks every condition (types, indices, finiteness) and only then makes its
 * one change, which is a single value.h call that itself changes nothing when it fails.
 *
 * The text form joins keys with "." and splits on every ".", so a key that contains a dot
 * is written as is by vs_path_format but cannot be parsed back: such keys are reachable
 * only through vs_path_from_keys. */
#include "core/path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths as data ---- */

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static void path_empty(vs_path *p)
{
    p->count = 0;
    p->keys = NULL;
}

void vs_path_free(vs_path *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->keys[i]);
    free(p->keys);
    path_empty(p);
}

vs_status vs_path_parse(const char *text, vs_path *out)
{
    if (!out)
        return VS_ERR_ARG;
    path_empty(out);
    if (!text)
        return VS_ERR_ARG;
    if (!*text)
        return VS_OK;
    size_t count = 1;
    for (const char *c = text; *c; c++)
        count += *c == '.';
    out->keys = calloc(count, sizeof *out->keys);
    if (!out->keys)
        return VS_ERR_NOMEM;
    const char *seg = text;
    for (size_t i = 0; i < count; i++) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (len == 0) {
            vs_path_free(out);
            return VS_ERR_PATH;
        }
        out->keys[i] = dup_text(seg, len);
        if (!out->keys[i]) {
            vs_path_free(out);
            return VS_ERR_NOMEM;
        }
        out->count = i + 1;
        seg = dot ? dot + 1 : seg + len;
    }
    return VS_OK;
}

vs_status vs_path_from_keys(const char *const *keys, size_t count, vs_path *out)
{
    if (!out)
        return VS_ERR_ARG;
    path_empty(out);
    if (count == 0)
        return VS_OK;
    if (!keys)
        return VS_ERR_ARG;
    for (size_t i = 0; i < count; i++)
        if (!keys[i])
            return VS_ERR_ARG;
    out->keys = calloc(count, sizeof *out->keys);
    if (!out->keys)
        return VS_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        out->keys[i] = dup_text(keys[i], strlen(keys[i]));
        if (!out->keys[i]) {
            vs_path_free(out);
            return VS_ERR_NOMEM;
        }
        out->count = i + 1;
    }
    return VS_OK;
}

vs_status vs_path_copy(const vs_path *src, vs_path *out)
{
    if (!src || !out) {
        if (out)
            path_empty(out);
        return VS_ERR_ARG;
    }
    return vs_path_from_keys((const char *const *)src->keys, src->count, out);
}

char *vs_path_format(const vs_path *p)
{
    size_t len = 0;
    size_t count = p ? p->count : 0;
    for (size_t i = 0; i < count; i++)
        len += strlen(p->keys[i]) + (i > 0);
    char *text = malloc(len + 1);
    if (!text)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            text[at++] = '.';
        size_t n = strlen(p->keys[i]);
        memcpy(text + at, p->keys[i], n);
        at += n;
    }
    text[at] = '\0';
    return text;
}

bool vs_path_has_prefix(const vs_path *p, const vs_path *prefix)
{
    if (!p || !prefix || prefix->count > p->count)
        return false;
    for (size_t i = 0; i < prefix->count; i++)
        if (strcmp(p->keys[i], prefix->keys[i]) != 0)
            return false;
    return true;
}

/* ---- walking ---- */

/* A Luau array index: decimal digits, no sign, no leading zero, at least 1. 0 when the key
 * is not one (or too large for size_t, which no array reaches anyway). */
static size_t parse_index(const char *key)
{
    if (key[0] < '1' || key[0] > '9')
        return 0;
    size_t n = 0;
    for (const char *c = key; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        size_t d = (size_t)(*c - '0');
        if (n > (SIZE_MAX - d) / 10)
            return 0;
        n = n * 10 + d;
    }
    return n;
}

/* The child of node under key, for a node that is a map or an array; NULL when missing. */
static vs_value *child(const vs_value *node, const char *key)
{
    if (vs_type_of(node) == VS_MAP)
        return vs_map_get(node, key);
    size_t i = parse_index(key);
    return i >= 1 && i <= vs_array_len(node) ? vs_array_at(node, i - 1) : NULL;
}

/* The parent of the path's last node, with every step checked: a non-container on the way
 * is VS_ERR_TYPE, a missing map key VS_ERR_NO_PARENT, a bad array index VS_ERR_INDEX. */
static vs_status walk_to_parent(vs_value *root, const vs_path *p, vs_value **parent)
{
    if (!root || !p)
        return VS_ERR_ARG;
    if (p->count == 0)
        return VS_ERR_PATH; /* the root is replaced only by loading */
    vs_value *node = root;
    for (size_t i = 0; i + 1 < p->count; i++) {
        vs_type t = vs_type_of(node);
        if (t != VS_MAP && t != VS_ARRAY)
            return VS_ERR_TYPE;
        vs_value *next = child(node, p->keys[i]);
        if (!next)
            return t == VS_MAP ? VS_ERR_NO_PARENT : VS_ERR_INDEX;
        node = next;
    }
    vs_type t = vs_type_of(node);
    if (t != VS_MAP && t != VS_ARRAY)
        return VS_ERR_TYPE;
    *parent = node;
    return VS_OK;
}

/* The existing target of the path: as walk_to_parent, and then VS_ERR_NOT_FOUND for a
 * missing map key or VS_ERR_INDEX for a bad index in the parent. */
static vs_status walk_to_target(vs_value *root, const vs_path *p, vs_value **parent,
                                vs_value **target)
{
    vs_status st = walk_to_parent(root, p, parent);
    if (st != VS_OK)
        return st;
    *target = child(*parent, p->keys[p->count - 1]);
    if (!*target)
        return vs_type_of(*parent) == VS_MAP ? VS_ERR_NOT_FOUND : VS_ERR_INDEX;
    return VS_OK;
}

vs_value *vs_path_get(const vs_value *root, const vs_path *p)
{
    if (!root || !p)
        return NULL;
    const vs_value *node = root;
    for (size_t i = 0; i < p->count && node; i++) {
        vs_type t = vs_type_of(node);
        node = t == VS_MAP || t == VS_ARRAY ? child(node, p->keys[i]) : NULL;
    }
    return (vs_value *)node;
}

/* ---- mutations ---- */

vs_status vs_path_set(vs_value *root, const vs_path *p, vs_value *item)
{
    if (!item)
        return VS_ERR_NOMEM; /* as value.h: a constructor ran out of memory */
    vs_value *parent = NULL;
    vs_status st = walk_to_parent(root, p, &parent);
    if (st != VS_OK) {
        vs_free(item);
        return st;
    }
    const char *key = p->keys[p->count - 1];
    if (vs_type_of(parent) == VS_MAP)
        return vs_map_set(parent, key, item);
    size_t i = parse_index(key), n = vs_array_len(parent);
    if (i >= 1 && i <= n)
        return vs_array_replace(parent, i - 1, item);
    if (i == n + 1)
        return vs_array_push(parent, item);
    vs_free(item);
    return VS_ERR_INDEX;
}

vs_status vs_path_add(vs_value *root, const vs_path *p, double delta)
{
    vs_value *parent = NULL, *target = NULL;
    vs_status st = walk_to_target(root, p, &parent, &target);
    if (st != VS_OK)
        return st;
    if (vs_type_of(target) != VS_NUMBER)
        return VS_ERR_TYPE;
    double sum = vs_number_of(target) + delta;
    if (!isfinite(sum))
        return VS_ERR_NOT_FINITE;
    /* value.h has no setter for a number: the sum replaces the node, which cannot fail once
     * the new node exists, since replacing needs no memory. */
    vs_value *number = vs_new_number(sum);
    if (!number)
        return VS_ERR_NOMEM;
    const char *key = p->keys[p->count - 1];
    if (vs_type_of(parent) == VS_MAP)
        return vs_map_set(parent, key, number);
    return vs_array_replace(parent, parse_index(key) - 1, number);
}

vs_status vs_path_insert(vs_value *root, const vs_path *p, size_t index1, vs_value *item)
{
    if (!item)
        return VS_ERR_NOMEM;
    vs_value *parent = NULL, *target = NULL;
    vs_status st = walk_to_target(root, p, &parent, &target);
    if (st == VS_OK && vs_type_of(target) != VS_ARRAY)
        st = VS_ERR_TYPE;
    if (st == VS_OK && index1 > vs_array_len(target) + 1)
        st = VS_ERR_INDEX;
    if (st != VS_OK) {
        vs_free(item);
        return st;
    }
    if (index1 == 0)
        return vs_array_push(target, item);
    return vs_array_insert(target, index1 - 1, item);
}

vs_status vs_path_remove(vs_value *root, const vs_path *p)
{
    vs_value *parent = NULL, *target = NULL;
    vs_status st = walk_to_target(root, p, &parent, &target);
    if (st != VS_OK)
        return st;
    const char *key = p->keys[p->count - 1];
    if (vs_type_of(parent) == VS_MAP)
        vs_free(vs_map_take(parent, key));
    else
        vs_free(vs_array_take(parent, parse_index(key) - 1));
    return VS_OK;
}
