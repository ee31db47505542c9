/* strmap.c: open addressing, linear probing, backward-shift deletion (no tombstones). */
#include "sim/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void strmap_init(strmap *m)
{
    *m = (strmap){0};
}

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    *m = (strmap){0};
}

static size_t find_slot(const strmap *m, const char *key, size_t len, unsigned long long h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const strmap_entry *e = &m->slots[i];
        if (!e->key || (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0))
            return i;
    }
}

void *strmap_get(const strmap *m, const char *key, size_t len)
{
    if (m->count == 0)
        return NULL;
    size_t i = find_slot(m, key, len, XXH3_64bits(key, len));
    return m->slots[i].key ? m->slots[i].value : NULL;
}

static bool resize(strmap *m, size_t cap)
{
    strmap_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    strmap old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key)
            m->slots[find_slot(m, old.slots[i].key, old.slots[i].key_len, old.slots[i].hash)] =
                old.slots[i];
    }
    free(old.slots);
    return true;
}

bool strmap_put(strmap *m, const char *key, size_t len, void *value)
{
    if ((m->count + 1) * 4 > m->cap * 3 && !resize(m, m->cap ? m->cap * 2 : 16))
        return false;
    unsigned long long h = XXH3_64bits(key, len);
    size_t i = find_slot(m, key, len, h);
    strmap_entry *e = &m->slots[i];
    if (e->key) {
        e->value = value;
        return true;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, key, len);
    copy[len] = '\0';
    *e = (strmap_entry){.key = copy, .key_len = len, .hash = h, .value = value};
    m->count++;
    return true;
}

void *strmap_remove(strmap *m, const char *key, size_t len)
{
    if (m->count == 0)
        return NULL;
    size_t mask = m->cap - 1;
    size_t i = find_slot(m, key, len, XXH3_64bits(key, len));
    if (!m->slots[i].key)
        return NULL;
    void *value = m->slots[i].value;
    free(m->slots[i].key);
    m->slots[i] = (strmap_entry){0};
    m->count--;
    /* Shift later members of the probe run back so lookups never stop early. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = (size_t)m->slots[j].hash & mask;
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = m->slots[j];
            m->slots[j] = (strmap_entry){0};
            i = j;
        }
    }
    return value;
}

size_t strmap_count(const strmap *m)
{
    return m->count;
}

static int compare_entries(const void *a, const void *b)
{
    const strmap_entry *x = *(const strmap_entry *const *)a, *y = *(const strmap_entry *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

const strmap_entry **strmap_sorted_entries(const strmap *m)
{
    if (m->count == 0)
        return NULL;
    const strmap_entry **out = malloc(m->count * sizeof *out);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            out[n++] = &m->slots[i];
    qsort(out, n, sizeof *out, compare_entries);
    return out;
}
