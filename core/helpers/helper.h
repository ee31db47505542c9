/* helper.h: what the gameplay helpers (cooldown, daily, effects) share.
 *
 * Each helper keeps its state in the profile, in a map at a path the caller gives, so that it
 * travels with the profile from server to server. This module finds that map with clear
 * errors, reads the times stored in it, and checks the times and lengths given by callers.
 *
 * Times are the server's wall clock in microseconds (the caller's reading of platform now()).
 * They are stored as numbers, which are doubles: exact for integers up to 2^53 (about the
 * year 2255 in microseconds since 1970), so larger times are refused rather than rounded. */
#ifndef VS_HELPER_H
#define VS_HELPER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/path.h"
#include "core/status.h"
#include "core/value.h"

#define VS_HELPER_TIME_MAX (INT64_C(1) << 53)

/* The map at path in data: *map is NULL when nothing (or nil) is there. Errors: VS_ERR_ARG
 * for a NULL data or path; VS_ERR_PATH for the root (state lives under a key, and path.h
 * cannot replace the root); VS_ERR_TYPE when something other than a map is at the path, or a
 * scalar is on the way to it. */
vs_status vs_helper_find_map(const vs_value *data, const vs_path *path, vs_value **map);

/* A stored integer (a time or a length): VS_ERR_TYPE when v is not a number, VS_ERR_INVALID
 * when it is not an integer within +-2^53. */
vs_status vs_helper_read_int(const vs_value *v, int64_t *out);

/* A time or length a caller may pass: within +-2^53. */
bool vs_helper_time_ok(int64_t t);

/* A name for an entry: not NULL, not empty. */
bool vs_helper_name_ok(const char *name);

#endif
