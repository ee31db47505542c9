/* value.c: the profile value tree (see value.h for the contract).
 *
 * What it keeps true: a map's entries are always sorted by (key bytes, string key before
 * integer key), so lookups are binary searches and iteration is canonical; every string and
 * key is stored with its length and a NUL after it; every operation that can fail does so
 * before it changes anything, and an item handed to a failing call is freed. A NULL item
 * (a constructor that ran out of memory) is refused with VS_ERR_NOMEM, so that
 * vs_array_push(a, vs_new_number(1)) needs no separate check. */
#include "core/value.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

typedef struct entry {
    char *key; /* key_len bytes and a NUL */
    size_t key_len;
    bool key_is_int; /* a Luau integer key written as its decimal text */
    vs_value *value;
} entry;

struct vs_value {
    vs_type type;
    union {
        bool b;
        double n;
        struct {
            char *bytes; /* len bytes and a NUL */
            size_t len;
        } str;
        struct {
            vs_value **items;
            size_t len, cap;
        } arr;
        struct {
            entry *items;
            size_t len, cap;
        } map;
    } u;
};

const char *vs_type_name(vs_type type)
{
    switch (type) {
    case VS_NIL: return "nil";
    case VS_BOOL: return "boolean";
    case VS_NUMBER: return "number";
    case VS_STRING: return "string";
    case VS_ARRAY: return "array";
    case VS_MAP: return "map";
    }
    return "unknown";
}

/* ---- constructors and lifetime ---- */

static vs_value *new_node(vs_type type)
{
    vs_value *v = calloc(1, sizeof *v);
    if (v)
        v->type = type;
    return v;
}

/* A NUL-terminated copy of len bytes; NULL when memory runs out. */
static char *dup_bytes(const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

vs_value *vs_new_nil(void) { return new_node(VS_NIL); }

vs_value *vs_new_bool(bool b)
{
    vs_value *v = new_node(VS_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

vs_value *vs_new_number(double n)
{
    vs_value *v = new_node(VS_NUMBER);
    if (v)
        v->u.n = n;
    return v;
}

vs_value *vs_new_string(const char *s) { return vs_new_string_n(s, s ? strlen(s) : 0); }

vs_value *vs_new_string_n(const char *s, size_t len)
{
    if (!s && len)
        return NULL;
    vs_value *v = new_node(VS_STRING);
    if (!v)
        return NULL;
    v->u.str.bytes = dup_bytes(s, len);
    if (!v->u.str.bytes) {
        free(v);
        return NULL;
    }
    v->u.str.len = len;
    return v;
}

vs_value *vs_new_array(void) { return new_node(VS_ARRAY); }
vs_value *vs_new_map(void) { return new_node(VS_MAP); }

void vs_free(vs_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case VS_STRING:
        free(v->u.str.bytes);
        break;
    case VS_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            vs_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case VS_MAP:
        for (size_t i = 0; i < v->u.map.len; i++) {
            free(v->u.map.items[i].key);
            vs_free(v->u.map.items[i].value);
        }
        free(v->u.map.items);
        break;
    default:
        break;
    }
    free(v);
}

vs_value *vs_copy(const vs_value *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case VS_NIL: return vs_new_nil();
    case VS_BOOL: return vs_new_bool(v->u.b);
    case VS_NUMBER: return vs_new_number(v->u.n);
    case VS_STRING: return vs_new_string_n(v->u.str.bytes, v->u.str.len);
    case VS_ARRAY: {
        vs_value *c = new_node(VS_ARRAY);
        size_t n = v->u.arr.len;
        if (!c || n == 0)
            return c;
        c->u.arr.items = malloc(n * sizeof *c->u.arr.items);
        if (!c->u.arr.items) {
            free(c);
            return NULL;
        }
        c->u.arr.cap = n;
        for (size_t i = 0; i < n; i++) {
            vs_value *e = vs_copy(v->u.arr.items[i]);
            if (!e) {
                vs_free(c);
                return NULL;
            }
            c->u.arr.items[c->u.arr.len++] = e;
        }
        return c;
    }
    case VS_MAP: {
        vs_value *c = new_node(VS_MAP);
        size_t n = v->u.map.len;
        if (!c || n == 0)
            return c;
        c->u.map.items = malloc(n * sizeof *c->u.map.items);
        if (!c->u.map.items) {
            free(c);
            return NULL;
        }
        c->u.map.cap = n;
        /* The source is sorted, so the copy is too: entries are appended in order. */
        for (size_t i = 0; i < n; i++) {
            const entry *src = &v->u.map.items[i];
            entry e = {dup_bytes(src->key, src->key_len), src->key_len, src->key_is_int, NULL};
            if (e.key)
                e.value = vs_copy(src->value);
            if (!e.value) {
                free(e.key);
                vs_free(c);
                return NULL;
            }
            c->u.map.items[c->u.map.len++] = e;
        }
        return c;
    }
    }
    return NULL;
}

bool vs_equal(const vs_value *a, const vs_value *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->type != b->type)
        return false;
    switch (a->type) {
    case VS_NIL: return true;
    case VS_BOOL: return a->u.b == b->u.b;
    case VS_NUMBER: return memcmp(&a->u.n, &b->u.n, sizeof a->u.n) == 0;
    case VS_STRING:
        return a->u.str.len == b->u.str.len &&
               memcmp(a->u.str.bytes, b->u.str.bytes, a->u.str.len) == 0;
    case VS_ARRAY:
        if (a->u.arr.len != b->u.arr.len)
            return false;
        for (size_t i = 0; i < a->u.arr.len; i++)
            if (!vs_equal(a->u.arr.items[i], b->u.arr.items[i]))
                return false;
        return true;
    case VS_MAP:
        if (a->u.map.len != b->u.map.len)
            return false;
        /* Both are sorted, so equal maps have equal entries at equal positions. */
        for (size_t i = 0; i < a->u.map.len; i++) {
            const entry *x = &a->u.map.items[i], *y = &b->u.map.items[i];
            if (x->key_len != y->key_len || x->key_is_int != y->key_is_int ||
                memcmp(x->key, y->key, x->key_len) != 0 || !vs_equal(x->value, y->value))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- scalars ---- */

vs_type vs_type_of(const vs_value *v) { return v ? v->type : VS_NIL; }
bool vs_bool_of(const vs_value *v) { return v && v->type == VS_BOOL && v->u.b; }
double vs_number_of(const vs_value *v) { return v && v->type == VS_NUMBER ? v->u.n : 0; }

const char *vs_string_of(const vs_value *v, size_t *len)
{
    if (!v || v->type != VS_STRING) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = v->u.str.len;
    return v->u.str.bytes;
}

/* ---- arrays ---- */

/* Makes room for one more element (amortised doubling); changes nothing on failure. */
static bool array_reserve_one(vs_value *arr)
{
    if (arr->u.arr.len < arr->u.arr.cap)
        return true;
    size_t cap = arr->u.arr.cap ? arr->u.arr.cap : 4;
    if (arr->u.arr.cap) {
        if (cap > SIZE_MAX / 2 / sizeof(vs_value *))
            return false;
        cap *= 2;
    }
    vs_value **items = realloc(arr->u.arr.items, cap * sizeof *items);
    if (!items)
        return false;
    arr->u.arr.items = items;
    arr->u.arr.cap = cap;
    return true;
}

size_t vs_array_len(const vs_value *arr)
{
    return arr && arr->type == VS_ARRAY ? arr->u.arr.len : 0;
}

vs_value *vs_array_at(const vs_value *arr, size_t i)
{
    if (!arr || arr->type != VS_ARRAY || i >= arr->u.arr.len)
        return NULL;
    return arr->u.arr.items[i];
}

vs_status vs_array_push(vs_value *arr, vs_value *item)
{
    return vs_array_insert(arr, vs_array_len(arr), item);
}

vs_status vs_array_insert(vs_value *arr, size_t i, vs_value *item)
{
    vs_status st = VS_OK;
    if (!item)
        st = VS_ERR_NOMEM;
    else if (!arr || arr->type != VS_ARRAY)
        st = VS_ERR_TYPE;
    else if (i > arr->u.arr.len)
        st = VS_ERR_INDEX;
    else if (!array_reserve_one(arr))
        st = VS_ERR_NOMEM;
    if (st != VS_OK) {
        vs_free(item);
        return st;
    }
    vs_value **items = arr->u.arr.items;
    memmove(items + i + 1, items + i, (arr->u.arr.len - i) * sizeof *items);
    items[i] = item;
    arr->u.arr.len++;
    return VS_OK;
}

vs_status vs_array_replace(vs_value *arr, size_t i, vs_value *item)
{
    vs_status st = VS_OK;
    if (!item)
        st = VS_ERR_NOMEM;
    else if (!arr || arr->type != VS_ARRAY)
        st = VS_ERR_TYPE;
    else if (i >= arr->u.arr.len)
        st = VS_ERR_INDEX;
    if (st != VS_OK) {
        vs_free(item);
        return st;
    }
    vs_free(arr->u.arr.items[i]);
    arr->u.arr.items[i] = item;
    return VS_OK;
}

vs_value *vs_array_take(vs_value *arr, size_t i)
{
    if (!arr || arr->type != VS_ARRAY || i >= arr->u.arr.len)
        return NULL;
    vs_value **items = arr->u.arr.items;
    vs_value *v = items[i];
    memmove(items + i, items + i + 1, (arr->u.arr.len - i - 1) * sizeof *items);
    arr->u.arr.len--;
    return v;
}

/* ---- maps ---- */

/* The canonical order: bytewise, a prefix before its extensions, then a string key before
 * an integer key with the same text. */
static int key_cmp(const entry *e, const char *key, size_t len, bool is_int)
{
    size_t n = e->key_len < len ? e->key_len : len;
    int c = n ? memcmp(e->key, key, n) : 0;
    if (c != 0)
        return c;
    if (e->key_len != len)
        return e->key_len < len ? -1 : 1;
    return (int)e->key_is_int - (int)is_int;
}

/* Binary search; *pos is the entry's index when found, else where it would be inserted. */
static bool map_find(const vs_value *map, const char *key, size_t len, bool is_int, size_t *pos)
{
    size_t lo = 0, hi = map->u.map.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(&map->u.map.items[mid], key, len, is_int);
        if (c == 0) {
            *pos = mid;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

static bool map_reserve_one(vs_value *map)
{
    if (map->u.map.len < map->u.map.cap)
        return true;
    size_t cap = map->u.map.cap ? map->u.map.cap : 4;
    if (map->u.map.cap) {
        if (cap > SIZE_MAX / 2 / sizeof(entry))
            return false;
        cap *= 2;
    }
    entry *items = realloc(map->u.map.items, cap * sizeof *items);
    if (!items)
        return false;
    map->u.map.items = items;
    map->u.map.cap = cap;
    return true;
}

static vs_status map_set(vs_value *map, const char *key, size_t len, bool is_int, vs_value *item)
{
    if (!item)
        return VS_ERR_NOMEM;
    if (!map || map->type != VS_MAP) {
        vs_free(item);
        return VS_ERR_TYPE;
    }
    if (!key && len) {
        vs_free(item);
        return VS_ERR_ARG;
    }
    size_t pos;
    if (map_find(map, key, len, is_int, &pos)) {
        vs_free(map->u.map.items[pos].value);
        map->u.map.items[pos].value = item;
        return VS_OK;
    }
    char *k = map_reserve_one(map) ? dup_bytes(key, len) : NULL;
    if (!k) {
        vs_free(item);
        return VS_ERR_NOMEM;
    }
    entry *items = map->u.map.items;
    memmove(items + pos + 1, items + pos, (map->u.map.len - pos) * sizeof *items);
    items[pos] = (entry){k, len, is_int, item};
    map->u.map.len++;
    return VS_OK;
}

size_t vs_map_len(const vs_value *map)
{
    return map && map->type == VS_MAP ? map->u.map.len : 0;
}

const char *vs_map_key_at(const vs_value *map, size_t i, size_t *len)
{
    if (!map || map->type != VS_MAP || i >= map->u.map.len) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = map->u.map.items[i].key_len;
    return map->u.map.items[i].key;
}

bool vs_map_key_is_int(const vs_value *map, size_t i)
{
    if (!map || map->type != VS_MAP || i >= map->u.map.len)
        return false;
    return map->u.map.items[i].key_is_int;
}

vs_value *vs_map_value_at(const vs_value *map, size_t i)
{
    if (!map || map->type != VS_MAP || i >= map->u.map.len)
        return NULL;
    return map->u.map.items[i].value;
}

vs_value *vs_map_get(const vs_value *map, const char *key)
{
    return key ? vs_map_get_n(map, key, strlen(key)) : NULL;
}

vs_value *vs_map_get_n(const vs_value *map, const char *key, size_t len)
{
    size_t pos;
    if (!map || map->type != VS_MAP || (!key && len) || !map_find(map, key, len, false, &pos))
        return NULL;
    return map->u.map.items[pos].value;
}

vs_status vs_map_set(vs_value *map, const char *key, vs_value *item)
{
    if (!key) {
        vs_free(item);
        return VS_ERR_ARG;
    }
    return map_set(map, key, strlen(key), false, item);
}

vs_status vs_map_set_n(vs_value *map, const char *key, size_t len, vs_value *item)
{
    return map_set(map, key, len, false, item);
}

vs_status vs_map_set_int(vs_value *map, int64_t key, vs_value *item)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRId64, key);
    return map_set(map, text, (size_t)n, true, item);
}

vs_value *vs_map_take(vs_value *map, const char *key)
{
    return key ? vs_map_take_n(map, key, strlen(key)) : NULL;
}

vs_value *vs_map_take_n(vs_value *map, const char *key, size_t len)
{
    size_t pos;
    if (!map || map->type != VS_MAP || (!key && len) || !map_find(map, key, len, false, &pos))
        return NULL;
    entry *items = map->u.map.items;
    vs_value *v = items[pos].value;
    free(items[pos].key);
    memmove(items + pos, items + pos + 1, (map->u.map.len - pos - 1) * sizeof *items);
    map->u.map.len--;
    return v;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at the start of s (Unicode table 3-7), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0xC2)
        return 0; /* a stray continuation byte, or an overlong 2-byte form */
    else if (c < 0xE0)
        need = 2;
    else if (c < 0xF0) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c < 0xF5) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (len < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

size_t vs_utf8_valid_prefix(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_seq(u + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}

bool vs_utf8_valid(const char *s, size_t len)
{
    return len == 0 || (s && vs_utf8_valid_prefix(s, len) == len);
}

/* ---- storability ---- */

/* One step of the path from the root to the node being checked; the chain lives on the
 * checker's stack, so nothing is allocated unless there is a problem to report. */
typedef struct step {
    const struct step *up;
    const char *key; /* NULL: an array element, index below */
    size_t key_len;
    size_t index1; /* 1-based, as paths count */
} step;

/* The dotted path for a chain of steps: "Inventory.3.Name", "" for the root. */
static char *format_steps(const step *leaf)
{
    size_t len = 0;
    char num[24];
    for (const step *s = leaf; s; s = s->up) {
        if (s->up)
            len++; /* the dot before this step */
        len += s->key ? s->key_len : (size_t)snprintf(num, sizeof num, "%zu", s->index1);
    }
    char *text = malloc(len + 1);
    if (!text)
        return NULL;
    text[len] = '\0';
    size_t end = len; /* filled from the back, leaf first */
    for (const step *s = leaf; s; s = s->up) {
        size_t n = s->key ? s->key_len : (size_t)snprintf(num, sizeof num, "%zu", s->index1);
        end -= n;
        memcpy(text + end, s->key ? s->key : num, n);
        if (s->up)
            text[--end] = '.';
    }
    return text;
}

/* Records the first problem's path (the walk stops there, so this runs once). */
static vs_status fail_at(const step *here, vs_status st, char **where)
{
    if (where)
        *where = format_steps(here);
    return st;
}

/* Depth-first in canonical order (map entries, then array elements, in their order), a
 * node's own problem before its children's, so the first problem reported is always the
 * same one. The root has no step (here == NULL). */
static vs_status check_at(const vs_value *v, const step *here, char **where)
{
    switch (v->type) {
    case VS_NUMBER:
        return isfinite(v->u.n) ? VS_OK : fail_at(here, VS_ERR_NOT_FINITE, where);
    case VS_STRING:
        return vs_utf8_valid(v->u.str.bytes, v->u.str.len) ? VS_OK
                                                           : fail_at(here, VS_ERR_UTF8, where);
    case VS_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++) {
            const vs_value *e = v->u.arr.items[i];
            step s = {here, NULL, 0, i + 1};
            vs_status st = e->type == VS_NIL ? fail_at(&s, VS_ERR_ARRAY_HOLE, where)
                                             : check_at(e, &s, where);
            if (st != VS_OK)
                return st;
        }
        return VS_OK;
    case VS_MAP: {
        size_t ints = 0;
        for (size_t i = 0; i < v->u.map.len; i++)
            ints += v->u.map.items[i].key_is_int;
        /* Only integer keys is a sparse array, which the store refuses as having holes. */
        if (ints > 0)
            return fail_at(here, ints == v->u.map.len ? VS_ERR_ARRAY_HOLE : VS_ERR_MIXED_TABLE,
                           where);
        for (size_t i = 0; i < v->u.map.len; i++) {
            const entry *e = &v->u.map.items[i];
            step s = {here, e->key, e->key_len, 0};
            /* A bad key is reported at the entry it names. */
            vs_status st = vs_utf8_valid(e->key, e->key_len) ? check_at(e->value, &s, where)
                                                             : fail_at(&s, VS_ERR_UTF8, where);
            if (st != VS_OK)
                return st;
        }
        return VS_OK;
    }
    default:
        return VS_OK;
    }
}

/* *where: NULL on success. If formatting the path runs out of memory the status is still
 * the storability problem (it is what decides whether to write) and *where stays NULL. A
 * key holding a NUL byte truncates the path text at that byte. */
vs_status vs_value_check_storable(const vs_value *v, size_t max_json_bytes, char **where)
{
    if (where)
        *where = NULL;
    if (!v)
        return VS_ERR_ARG;
    vs_status st = check_at(v, NULL, where);
    if (st != VS_OK || max_json_bytes == 0)
        return st;
    size_t len;
    st = vs_json_encoded_len(v, &len);
    if (st == VS_OK && len > max_json_bytes)
        st = fail_at(NULL, VS_ERR_TOO_LARGE, where);
    return st;
}
