/* replicate.c: public paths, views, diffs and change lists (see replicate.h).
 *
 * What it keeps true: the only nodes this file ever copies out of a profile are the nodes
 * found at the public paths themselves (vs_path_get with one of the set's paths), and the
 * only paths it ever puts in a change list are those paths; so privacy holds by construction
 * and does not depend on comparing or walking the profile correctly. The set is kept as an
 * antichain (no path under another), so the nodes copied never overlap and the changes of a
 * diff commute: their order matters only for determinism, not for the result. */
#include "core/replicate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/steps.h"
#include "core/text.h"

/* ---- public paths ---- */

/* Key by key, bytewise (strcmp compares as unsigned char); a path before its extensions.
 * So the paths under a given path form one run right after it, which the normalisation and
 * the binary searches below rely on. */
static int path_cmp(const vs_path *a, const vs_path *b)
{
    size_t n = a->count < b->count ? a->count : b->count;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp(a->keys[i], b->keys[i]);
        if (c != 0)
            return c;
    }
    return a->count < b->count ? -1 : a->count > b->count;
}

static int path_cmp_qsort(const void *a, const void *b)
{
    return path_cmp(a, b);
}

void vs_public_free(vs_public_paths *pp)
{
    if (!pp)
        return;
    for (size_t i = 0; i < pp->count; i++)
        vs_path_free(&pp->paths[i]);
    free(pp->paths);
    pp->paths = NULL;
    pp->count = 0;
}

vs_status vs_public_build(const vs_path *paths, size_t count, vs_public_paths *out)
{
    if (!out)
        return VS_ERR_ARG;
    out->count = 0;
    out->paths = NULL;
    if (count == 0)
        return VS_OK;
    if (!paths)
        return VS_ERR_ARG;
    out->paths = calloc(count, sizeof *out->paths);
    if (!out->paths)
        return VS_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        vs_status st = vs_path_copy(&paths[i], &out->paths[i]);
        if (st != VS_OK) {
            vs_public_free(out);
            return st;
        }
        out->count = i + 1;
    }
    qsort(out->paths, out->count, sizeof *out->paths, path_cmp_qsort);
    /* After sorting, a path under (or equal to) a kept one comes after it with only its own
     * extensions in between, all of which are dropped too; so comparing with the last kept
     * path is enough. */
    size_t kept = 0;
    for (size_t i = 0; i < out->count; i++) {
        if (kept > 0 && vs_path_has_prefix(&out->paths[i], &out->paths[kept - 1])) {
            vs_path_free(&out->paths[i]);
            continue;
        }
        out->paths[kept++] = out->paths[i];
    }
    out->count = kept;
    return VS_OK;
}

vs_status vs_public_parse(const char *const *texts, size_t count, vs_public_paths *out)
{
    if (!out)
        return VS_ERR_ARG;
    out->count = 0;
    out->paths = NULL;
    if (count == 0)
        return VS_OK;
    if (!texts)
        return VS_ERR_ARG;
    vs_path *list = calloc(count, sizeof *list);
    if (!list)
        return VS_ERR_NOMEM;
    vs_status st = VS_OK;
    for (size_t i = 0; i < count && st == VS_OK; i++)
        st = vs_path_parse(texts[i], &list[i]);
    if (st == VS_OK)
        st = vs_public_build(list, count, out);
    for (size_t i = 0; i < count; i++)
        vs_path_free(&list[i]);
    free(list);
    return st;
}

vs_status vs_public_copy(const vs_public_paths *src, vs_public_paths *out)
{
    if (!src)
        return vs_public_build(NULL, 1, out); /* VS_ERR_ARG, with *out left empty */
    /* Already normalised: building again keeps it as it is. */
    return vs_public_build(src->paths, src->count, out);
}

/* The index of the last path <= p, or SIZE_MAX when every path is greater. */
static size_t last_at_most(const vs_public_paths *pp, const vs_path *p)
{
    size_t lo = 0, hi = pp->count; /* answer + 1 lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (path_cmp(&pp->paths[mid], p) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? SIZE_MAX : lo - 1;
}

bool vs_path_is_public(const vs_public_paths *pp, const vs_path *p)
{
    if (!pp || !p || pp->count == 0)
        return false;
    /* A public prefix of p is <= p, and any path between it and p would extend it too,
     * which the antichain forbids: so only the last path <= p can be one. */
    size_t i = last_at_most(pp, p);
    return i != SIZE_MAX && vs_path_has_prefix(p, &pp->paths[i]);
}

/* True when some public path lies strictly under p: the paths extending p follow p in one
 * run, so the first path after the last one <= p is the only candidate (when p itself is
 * public, the antichain leaves nothing under it and the test fails as it should). */
static bool above_public(const vs_public_paths *pp, const vs_path *p)
{
    size_t i = last_at_most(pp, p);
    size_t next = i == SIZE_MAX ? 0 : i + 1;
    return next < pp->count && pp->paths[next].count > p->count &&
           vs_path_has_prefix(&pp->paths[next], p);
}

/* ---- setting and removing through a tree ---- */

/* The one-key path {keys[i]}, borrowing the key: path.h's functions then do the map or
 * array step with their semantics (string keys in maps, 1-based indices in arrays). */
static vs_path one_key(const vs_path *p, size_t i)
{
    vs_path k = {1, &p->keys[i]};
    return k;
}

static vs_path prefix_of(const vs_path *p, size_t count)
{
    vs_path k = {count, p->keys};
    return k;
}

/* Sets item at p under *root, creating the maps missing above it. Takes item. */
static vs_status set_at(vs_value **root, const vs_path *p, vs_value *item)
{
    if (!item)
        return VS_ERR_NOMEM;
    if (p->count == 0) {
        vs_free(*root);
        *root = item;
        return VS_OK;
    }
    if (!*root && !(*root = vs_new_map())) {
        vs_free(item);
        return VS_ERR_NOMEM;
    }
    vs_value *node = *root;
    for (size_t i = 0; i + 1 < p->count; i++) {
        vs_type t = vs_type_of(node);
        vs_path k = one_key(p, i);
        vs_value *next = t == VS_MAP || t == VS_ARRAY ? vs_path_get(node, &k) : NULL;
        if (!next && t == VS_MAP) {
            next = vs_new_map(); /* NULL is taken by vs_map_set as out of memory */
            vs_status st = vs_map_set(node, p->keys[i], next);
            if (st != VS_OK) {
                vs_free(item);
                return st;
            }
        } else if (!next) {
            vs_free(item);
            return t == VS_ARRAY ? VS_ERR_INDEX : VS_ERR_TYPE;
        }
        node = next;
    }
    vs_path last = one_key(p, p->count - 1);
    return vs_path_set(node, &last, item);
}

/* Removes the node at p under *root if it is there, then the maps above it left empty. */
static vs_status remove_at(vs_value **root, const vs_path *p)
{
    if (p->count == 0) {
        vs_free(*root);
        *root = vs_new_map();
        return *root ? VS_OK : VS_ERR_NOMEM;
    }
    vs_path up_path = prefix_of(p, p->count - 1);
    vs_value *parent = vs_path_get(*root, &up_path);
    vs_path last = one_key(p, p->count - 1);
    if (!parent || !vs_path_get(parent, &last))
        return VS_OK;
    vs_status st = vs_path_remove(parent, &last);
    if (st != VS_OK)
        return st;
    for (size_t d = p->count - 1; d >= 1; d--) {
        vs_path here = prefix_of(p, d), above = prefix_of(p, d - 1);
        vs_value *node = vs_path_get(*root, &here), *up = vs_path_get(*root, &above);
        if (vs_type_of(node) != VS_MAP || vs_map_len(node) != 0 || vs_type_of(up) != VS_MAP)
            break;
        vs_free(vs_map_take(up, p->keys[d - 1]));
    }
    return VS_OK;
}

/* ---- views ---- */

static bool root_is_public(const vs_public_paths *pp)
{
    return pp->count == 1 && pp->paths[0].count == 0;
}

vs_value *vs_public_view(const vs_public_paths *pp, const vs_value *data)
{
    if (!pp)
        return NULL;
    if (root_is_public(pp) && data)
        return vs_copy(data);
    vs_value *view = vs_new_map();
    for (size_t i = 0; view && data && i < pp->count; i++) {
        const vs_value *node = vs_path_get(data, &pp->paths[i]);
        if (!node)
            continue;
        if (set_at(&view, &pp->paths[i], vs_copy(node)) != VS_OK) {
            vs_free(view);
            view = NULL;
        }
    }
    return view;
}

/* The walk of vs_public_check_view: keys is the path to node, with room grown as needed. */
typedef struct check_walk {
    const vs_public_paths *pp;
    char **keys;
    size_t cap;
    bool out_of_memory;
} check_walk;

static bool report(check_walk *cw, size_t depth, char **where)
{
    if (where) {
        vs_path p = {depth, cw->keys};
        *where = vs_path_format(&p);
    }
    return false;
}

/* Puts key at keys[depth], growing the room; false when memory runs out. */
static bool put_key(check_walk *cw, size_t depth, const char *key)
{
    if (depth + 1 > cw->cap) {
        char **grown = vs_grow(cw->keys, &cw->cap, sizeof *cw->keys, depth + 1);
        if (!grown) {
            cw->out_of_memory = true;
            return false;
        }
        cw->keys = grown;
    }
    cw->keys[depth] = (char *)key; /* only read: vs_path's keys are not const */
    return true;
}

static bool check_node(check_walk *cw, const vs_value *node, size_t depth, char **where)
{
    vs_path p = {depth, cw->keys};
    if (vs_path_is_public(cw->pp, &p))
        return true;
    size_t n = vs_map_len(node);
    /* The view of a profile with none of its public paths present is an empty map. */
    if (depth == 0 && vs_type_of(node) == VS_MAP && n == 0)
        return true;
    if (vs_type_of(node) != VS_MAP || n == 0 || !above_public(cw->pp, &p))
        return report(cw, depth, where);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *key = vs_map_key_at(node, i, &len);
        if (!put_key(cw, depth, key))
            return false;
        /* An integer key or one holding a NUL byte is reachable by no path, so it cannot be
         * public (the key is shown as far as it reads). */
        if (vs_map_key_is_int(node, i) || strlen(key) != len)
            return report(cw, depth + 1, where);
        if (!check_node(cw, vs_map_value_at(node, i), depth + 1, where))
            return false;
    }
    return true;
}

vs_status vs_public_check_view(const vs_public_paths *pp, const vs_value *view, char **where)
{
    if (where)
        *where = NULL;
    if (!pp || !view)
        return VS_ERR_ARG;
    check_walk cw = {pp, NULL, 0, false};
    bool ok = check_node(&cw, view, 0, where);
    free(cw.keys);
    if (cw.out_of_memory)
        return VS_ERR_NOMEM;
    return ok ? VS_OK : VS_ERR_INVALID;
}

/* ---- change lists ---- */

void vs_change_list_init(vs_change_list *cl)
{
    cl->count = 0;
    cl->cap = 0;
    cl->items = NULL;
}

void vs_change_list_free(vs_change_list *cl)
{
    if (!cl)
        return;
    for (size_t i = 0; i < cl->count; i++) {
        vs_path_free(&cl->items[i].path);
        vs_free(cl->items[i].value);
    }
    free(cl->items);
    vs_change_list_init(cl);
}

/* Appends (path copied, value taken, NULL meaning remove). */
static vs_status push(vs_change_list *cl, const vs_path *path, vs_value *value)
{
    if (cl->count == cl->cap) {
        vs_change *grown = vs_grow(cl->items, &cl->cap, sizeof *cl->items, cl->count + 1);
        if (!grown) {
            vs_free(value);
            return VS_ERR_NOMEM;
        }
        cl->items = grown;
    }
    vs_change *c = &cl->items[cl->count];
    vs_status st = vs_path_copy(path, &c->path);
    if (st != VS_OK) {
        vs_free(value);
        return st;
    }
    c->value = value;
    cl->count++;
    return VS_OK;
}

vs_status vs_change_list_push_set(vs_change_list *cl, const vs_path *path, vs_value *value)
{
    if (!value)
        return VS_ERR_NOMEM;
    if (!cl || !path) {
        vs_free(value);
        return VS_ERR_ARG;
    }
    return push(cl, path, value);
}

vs_status vs_change_list_push_remove(vs_change_list *cl, const vs_path *path)
{
    if (!cl || !path)
        return VS_ERR_ARG;
    return push(cl, path, NULL);
}

vs_status vs_change_list_copy(const vs_change_list *src, vs_change_list *out)
{
    if (!out)
        return VS_ERR_ARG;
    vs_change_list_init(out);
    if (!src)
        return VS_ERR_ARG;
    for (size_t i = 0; i < src->count; i++) {
        const vs_change *c = &src->items[i];
        vs_status st = c->value ? vs_change_list_push_set(out, &c->path, vs_copy(c->value))
                                : vs_change_list_push_remove(out, &c->path);
        if (st != VS_OK) {
            vs_change_list_free(out);
            return st;
        }
    }
    return VS_OK;
}

vs_status vs_public_diff(const vs_public_paths *pp, const vs_value *before,
                         const vs_value *after, vs_change_list *out)
{
    if (!out)
        return VS_ERR_ARG;
    vs_change_list_init(out);
    if (!pp)
        return VS_ERR_ARG;
    for (size_t i = 0; i < pp->count; i++) {
        const vs_path *p = &pp->paths[i];
        const vs_value *was = before ? vs_path_get(before, p) : NULL;
        const vs_value *now = after ? vs_path_get(after, p) : NULL;
        vs_status st = VS_OK;
        if (!now && was)
            st = vs_change_list_push_remove(out, p);
        else if (now && (!was || !vs_equal(was, now)))
            st = vs_change_list_push_set(out, p, vs_copy(now));
        if (st != VS_OK) {
            vs_change_list_free(out);
            return st;
        }
    }
    return VS_OK;
}

vs_status vs_change_list_apply(const vs_change_list *cl, vs_value **replica)
{
    if (!cl || !replica)
        return VS_ERR_ARG;
    for (size_t i = 0; i < cl->count; i++) {
        const vs_change *c = &cl->items[i];
        vs_status st = c->value ? set_at(replica, &c->path, vs_copy(c->value))
                                : remove_at(replica, &c->path);
        if (st != VS_OK)
            return st;
    }
    return VS_OK;
}

/* ---- text ---- */

static vs_status describe_change(const vs_change *c, vs_buf *out)
{
    vs_status st = vs_buf_puts(out, c->value ? "set " : "remove ");
    if (st == VS_OK && c->path.count == 0) {
        st = vs_buf_puts(out, "(root)");
    } else if (st == VS_OK) {
        char *text = vs_path_format(&c->path);
        st = text ? vs_buf_puts(out, text) : VS_ERR_NOMEM;
        free(text);
    }
    if (st == VS_OK && c->value) {
        char shown[VS_TEXT_SHOWN_MAX + 1];
        vs_text_value(c->value, shown, sizeof shown);
        st = vs_buf_printf(out, " %s", shown);
    }
    return st;
}

vs_status vs_change_list_describe(const vs_change_list *cl, vs_buf *out)
{
    if (!cl || !out)
        return VS_ERR_ARG;
    if (cl->count == 0)
        return vs_buf_puts(out, "(no changes)");
    size_t start = out->len;
    vs_status st = VS_OK;
    for (size_t i = 0; i < cl->count && st == VS_OK; i++) {
        if (i > 0)
            st = vs_buf_puts(out, "; ");
        if (st == VS_OK)
            st = describe_change(&cl->items[i], out);
    }
    if (st != VS_OK && out->cap) { /* leave out as it was */
        out->len = start;
        out->data[start] = '\0';
    }
    return st;
}
