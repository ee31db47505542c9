/* path.h: paths into a profile and the mutations games make through them.
 *
 * A path is a list of keys: {"Wallet", "Coins"}; written in YAML and in messages as
 * "Wallet.Coins". A key applied to a map selects that string key; applied to an array it must
 * be a decimal index counted from 1, as in Luau ("Inventory.2"). Every mutation either
 * succeeds completely or returns an error and changes nothing. */
#ifndef VS_PATH_H
#define VS_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"
#include "core/value.h"

typedef struct vs_path {
    size_t count;
    char **keys; /* count NUL-terminated keys, owned */
} vs_path;

/* "Wallet.Coins" -> {"Wallet","Coins"}. Empty text gives the empty path (the root). An empty
 * segment ("a..b", ".a", "a.") is VS_ERR_PATH. */
vs_status vs_path_parse(const char *text, vs_path *out);
vs_status vs_path_from_keys(const char *const *keys, size_t count, vs_path *out);
vs_status vs_path_copy(const vs_path *src, vs_path *out);
void vs_path_free(vs_path *p); /* leaves an empty path; safe to call twice */
/* "Wallet.Coins"; "" for the root. The caller frees it; NULL when memory runs out. */
char *vs_path_format(const vs_path *p);
/* True when prefix is a prefix of (or equal to) p. */
bool vs_path_has_prefix(const vs_path *p, const vs_path *prefix);

/* The node at p, or NULL when there is none. The empty path gives root. */
vs_value *vs_path_get(const vs_value *root, const vs_path *p);

/* Mutations. The empty path is refused with VS_ERR_PATH (a profile's root is replaced only
 * by loading). Each takes ownership of item, also on failure.
 *  set:    the parent must exist and be a map or an array; in a map the key is created or
 *          replaced; in an array of length n the index may be 1..n (replace) or n+1 (append).
 *  add:    the node must exist and be a number; it becomes number + delta (a NaN or
 *          infinite result is VS_ERR_NOT_FINITE and changes nothing).
 *  insert: the node must exist and be an array; item is appended (index 0) or inserted at
 *          the 1-based index (1..n+1), shifting the rest up.
 *  remove: the node must exist; a map key is deleted; an array element is removed and the
 *          rest shift down (table.remove).
 * Errors: VS_ERR_NO_PARENT when an ancestor is missing, VS_ERR_TYPE when a node on the way or
 * the target has the wrong type, VS_ERR_NOT_FOUND when the target is missing, VS_ERR_INDEX
 * for an array index out of range or not a decimal number. */
vs_status vs_path_set(vs_value *root, const vs_path *p, vs_value *item);
vs_status vs_path_add(vs_value *root, const vs_path *p, double delta);
vs_status vs_path_insert(vs_value *root, const vs_path *p, size_t index1, vs_value *item);
vs_status vs_path_remove(vs_value *root, const vs_path *p);

#endif
