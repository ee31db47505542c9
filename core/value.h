/* value.h: the profile value tree.
 *
 * A profile is a tree of nil, booleans, numbers (doubles), strings, arrays and maps, the
 * shapes a game's Luau table can take. Every node is owned by exactly one parent (or by the
 * caller for a root); functions that take a vs_value * "item" take ownership of it, also
 * when they fail (they free it), so a caller never has to guess who frees what.
 *
 * Maps keep their entries sorted by key (bytewise, then string keys before integer keys of
 * the same text), so iteration order is canonical and never depends on insertion order or
 * on a hash. Strings and keys are byte strings with a length: they may hold NUL bytes or
 * invalid UTF-8, because game code can put such data into a profile; the storability
 * check (vs_value_check_storable) is what refuses them before a write.
 *
 * Luau tables that are not storable must still be representable, so that the engine can
 * catch them and keep the data in memory: an array element that is nil is a hole, and a map
 * entry can carry an integer key (vs_map_set_int), which makes a map with both kinds of key
 * a mixed table. */
#ifndef VS_VALUE_H
#define VS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum vs_type { VS_NIL, VS_BOOL, VS_NUMBER, VS_STRING, VS_ARRAY, VS_MAP } vs_type;

typedef struct vs_value vs_value;

/* "nil", "boolean", "number", "string", "array", "map". */
const char *vs_type_name(vs_type type);

/* Constructors. They return NULL only when memory runs out. */
vs_value *vs_new_nil(void);
vs_value *vs_new_bool(bool b);
vs_value *vs_new_number(double n);
vs_value *vs_new_string(const char *s);               /* NUL-terminated */
vs_value *vs_new_string_n(const char *s, size_t len); /* any bytes */
vs_value *vs_new_array(void);
vs_value *vs_new_map(void);

void vs_free(vs_value *v);                 /* NULL is fine; frees the whole subtree */
vs_value *vs_copy(const vs_value *v);      /* deep copy; NULL when memory runs out */
bool vs_equal(const vs_value *a, const vs_value *b); /* deep, exact (numbers compare bitwise
                                                        except that +0 == -0 is false and NaN
                                                        equals a NaN with the same bits) */

vs_type vs_type_of(const vs_value *v);
bool vs_bool_of(const vs_value *v);                    /* false unless a true boolean */
double vs_number_of(const vs_value *v);                /* 0 unless a number */
const char *vs_string_of(const vs_value *v, size_t *len); /* NUL-terminated too; "" unless a string */

/* Arrays (0-based in C; paths use 1-based indices, as Luau does). */
size_t vs_array_len(const vs_value *arr);
vs_value *vs_array_at(const vs_value *arr, size_t i);               /* NULL when out of range */
vs_status vs_array_push(vs_value *arr, vs_value *item);             /* append */
vs_status vs_array_insert(vs_value *arr, size_t i, vs_value *item); /* i <= len; shifts up */
vs_status vs_array_replace(vs_value *arr, size_t i, vs_value *item);/* i < len; frees the old */
vs_value *vs_array_take(vs_value *arr, size_t i); /* removes element i (shifts down) and
                                                     returns it to the caller; NULL if out of range */

/* Maps. Keys are byte strings; *_n variants take a length. */
size_t vs_map_len(const vs_value *map);
const char *vs_map_key_at(const vs_value *map, size_t i, size_t *len); /* canonical order */
bool vs_map_key_is_int(const vs_value *map, size_t i);
vs_value *vs_map_value_at(const vs_value *map, size_t i);
vs_value *vs_map_get(const vs_value *map, const char *key);              /* string keys only */
vs_value *vs_map_get_n(const vs_value *map, const char *key, size_t len);
vs_status vs_map_set(vs_value *map, const char *key, vs_value *item);    /* insert or replace */
vs_status vs_map_set_n(vs_value *map, const char *key, size_t len, vs_value *item);
vs_status vs_map_set_int(vs_value *map, int64_t key, vs_value *item);    /* Luau integer key */
vs_value *vs_map_take(vs_value *map, const char *key);  /* removes and returns; NULL if absent */
vs_value *vs_map_take_n(vs_value *map, const char *key, size_t len);

/* What the store accepts (PLATFORM.md): finite numbers, valid UTF-8 in strings and keys, no
 * holes, no mixed tables, and canonical JSON of at most max_json_bytes bytes (pass 0 to skip
 * the size check). On failure, *where (if not NULL) receives a newly allocated dotted path
 * to the first offending node ("Inventory.3.Name"; "" for the root) that the caller frees. */
vs_status vs_value_check_storable(const vs_value *v, size_t max_json_bytes, char **where);

/* True when the bytes are valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
bool vs_utf8_valid(const char *s, size_t len);
/* How many bytes at the start of s are whole valid UTF-8 sequences (len when all are): the
 * offset of the first bad byte, for parsers that must say where. */
size_t vs_utf8_valid_prefix(const char *s, size_t len);

#endif
