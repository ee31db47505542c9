/* replicate.h: what a player's client may see of a profile, and what changed in it.
 *
 * A store config names public paths: whole fields ("Wallet") or nested ones ("Wallet.Coins",
 * which publishes Coins and nothing else of Wallet), with core/path.h semantics (through an
 * array a key is a 1-based index: "Inventory.1"). Only what lies at or under a public path
 * may ever reach a client.
 *
 * The view of a profile is a tree that holds, for each public path where the profile has a
 * node, a copy of that node at the same path, and nothing else. The containers above a public
 * path are always maps keyed by the path's keys, also where the profile has an array (the
 * view of "Inventory.2" is {"Inventory":{"2":...}}): a view must not reveal an array's
 * length or its other elements, and a map with only the published keys shows exactly that.
 * Such a map exists only while some public path under it is present.
 *
 * What it keeps true, by construction: every change that vs_public_diff produces has one of
 * the public paths as its path and a copy of the node found at that path as its value, and
 * vs_public_view copies nothing but those nodes; so no value outside the public paths can be
 * sent, whatever the profile holds. And applying vs_public_diff(before, after) to the view of
 * before gives exactly the view of after. */
#ifndef VS_REPLICATE_H
#define VS_REPLICATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/json.h"
#include "core/path.h"
#include "core/status.h"
#include "core/value.h"

/* ---- public paths ---- */

/* A normalised set of public paths: sorted (key by key, bytewise; a path before the paths
 * that extend it), without duplicates, and without any path that lies under another one
 * (publishing "Wallet" already publishes "Wallet.Coins"). Zero-initialised is the empty set
 * (nothing is public). The empty path (the root) publishes the whole profile. */
typedef struct vs_public_paths {
    size_t count;
    vs_path *paths; /* owned */
} vs_public_paths;

/* Builds the normalised set from a list of paths (copied; the list may overlap and repeat).
 * *out is initialised here and is empty on failure (VS_ERR_NOMEM, VS_ERR_ARG). */
vs_status vs_public_build(const vs_path *paths, size_t count, vs_public_paths *out);
/* The same from texts ("Wallet.Coins"); a malformed text is VS_ERR_PATH. */
vs_status vs_public_parse(const char *const *texts, size_t count, vs_public_paths *out);
vs_status vs_public_copy(const vs_public_paths *src, vs_public_paths *out);
void vs_public_free(vs_public_paths *pp); /* leaves the empty set; safe to call twice */

/* True when p is a public path or lies under one, so that p and everything under it may be
 * sent. A path above a public path ("Wallet" when only "Wallet.Coins" is public) is not. */
bool vs_path_is_public(const vs_public_paths *pp, const vs_path *p);

/* The view of data: a new tree (a map, or a copy of data when the root is public) holding
 * exactly the public parts, as described at the top. NULL when memory runs out. */
vs_value *vs_public_view(const vs_public_paths *pp, const vs_value *data);

/* The privacy check of a tree a client received as a view: VS_OK when every node in it lies
 * at or under a public path, or is a non-empty map on the way to one (or is the root, an
 * empty map: the view of a profile with no public part); VS_ERR_INVALID when some node is
 * neither, and then *where (if not NULL) receives a newly allocated dotted path to the first
 * such node in canonical order, which the caller frees (NULL if memory ran out formatting
 * it); VS_ERR_NOMEM when the walk ran out of memory and so proves nothing. */
vs_status vs_public_check_view(const vs_public_paths *pp, const vs_value *view, char **where);

/* ---- change lists ---- */

/* One change to a replica: set the node at path to value, or remove it (value NULL). */
typedef struct vs_change {
    vs_path path;    /* owned */
    vs_value *value; /* owned; NULL: the node is removed */
} vs_change;

/* An ordered list of changes; owns every path and value. Zero-initialised (or
 * vs_change_list_init) is the empty list. */
typedef struct vs_change_list {
    size_t count;
    size_t cap;
    vs_change *items;
} vs_change_list;

void vs_change_list_init(vs_change_list *cl);
void vs_change_list_free(vs_change_list *cl); /* leaves an empty list; safe to call twice */
/* A deep copy into *out (initialised here; empty on failure). */
vs_status vs_change_list_copy(const vs_change_list *src, vs_change_list *out);
/* Appends a change. The path is copied; value is taken over, also on failure (NULL is a
 * constructor that ran out of memory: VS_ERR_NOMEM). Nothing is appended on failure. */
vs_status vs_change_list_push_set(vs_change_list *cl, const vs_path *path, vs_value *value);
vs_status vs_change_list_push_remove(vs_change_list *cl, const vs_path *path);

/* What a client needs to go from the view of before to the view of after: for each public
 * path, in the set's order, where the node there differs (vs_equal), a set to a copy of the
 * node in after, or a remove when after has none there. Identical views give an empty list.
 * *out is initialised here (empty on failure: VS_ERR_NOMEM, VS_ERR_ARG). before and after
 * may be the same tree. */
vs_status vs_public_diff(const vs_public_paths *pp, const vs_value *before,
                         const vs_value *after, vs_change_list *out);

/* Applies the changes in order to the replica *replica (a tree the caller owns; NULL is the
 * empty map). A set creates the maps missing above its path and replaces or adds the node
 * (through an existing array, a key is an index, as in core/path.h); a set at the root
 * replaces the whole replica. A remove deletes the node if it is there (a missing node is
 * no change: the replica already agrees) and then the maps above it that it left empty,
 * up to the first that is not or whose parent is not a map, because in a view a map exists
 * only to hold public paths; a remove at the root leaves an empty map.
 *
 * Not all-or-nothing: it stops at the first change that cannot be made (VS_ERR_NOMEM, or
 * VS_ERR_TYPE / VS_ERR_INDEX when the replica's shape does not fit the path, which a list
 * from vs_public_diff applied to the view it was computed against never meets) and returns
 * its status with the changes before it made; such a replica is no view of anything, and a
 * client drops it and waits for a snapshot. */
vs_status vs_change_list_apply(const vs_change_list *cl, vs_value **replica);

/* Appends a one-line description for traces: "set Wallet.Coins 15; remove Level" (the root
 * is "(root)", values canonical JSON clipped to 60 bytes with "...", "(no changes)" for an
 * empty list). */
vs_status vs_change_list_describe(const vs_change_list *cl, vs_buf *out);

#endif
