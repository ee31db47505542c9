/* strmap.h: a hash table from byte-string keys to pointers.
 *
 * Open addressing with linear probing over XXH3 hashes. Lookup order never reaches an output:
 * callers that walk the table (strmap_sorted_keys) get the keys sorted bytewise, so no bucket
 * order can leak into a decision, a report or a fingerprint. Keys are copied; values are the
 * caller's. Written here because none of the project's allowed libraries (libfyaml, cmocka,
 * xxHash) has one, and the simulator's lookups are on its hot path. */
#ifndef STRMAP_H
#define STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strmap_entry {
    char *key; /* NULL: empty slot */
    size_t key_len;
    unsigned long long hash;
    void *value;
} strmap_entry;

typedef struct strmap {
    strmap_entry *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} strmap;

void strmap_init(strmap *m);
/* Frees the table and its key copies (not the values). */
void strmap_free(strmap *m);
void *strmap_get(const strmap *m, const char *key, size_t len);
/* Inserts or replaces; returns false when memory runs out. */
bool strmap_put(strmap *m, const char *key, size_t len, void *value);
/* Removes and returns the value (NULL when absent). */
void *strmap_remove(strmap *m, const char *key, size_t len);
size_t strmap_count(const strmap *m);
/* A malloc'd array of the count entries' pointers sorted bytewise by key; the caller frees
 * the array (not the entries). NULL when empty or out of memory. */
const strmap_entry **strmap_sorted_entries(const strmap *m);

#endif
