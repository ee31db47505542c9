/* status.h: the one status enum of the engine and of the tools built on it.
 *
 * Every fallible call in core/ (and most in sim/ and scenarios/) returns a vs_status.
 * The list lives in one table, VS_STATUS_TABLE, so the enum, its names and its messages
 * can never drift apart. VS_OK is zero; every other value is an error. */
#ifndef VS_STATUS_H
#define VS_STATUS_H

#define VS_STATUS_TABLE(X)                                                              \
    X(VS_OK, "ok")                                                                      \
    X(VS_ERR_NOMEM, "out of memory")                                                    \
    X(VS_ERR_ARG, "invalid argument")                                                   \
    X(VS_ERR_TYPE, "the value at this path has the wrong type")                         \
    X(VS_ERR_NO_PARENT, "the parent of this path does not exist")                       \
    X(VS_ERR_NOT_FOUND, "nothing at this path")                                         \
    X(VS_ERR_INDEX, "array index out of range")                                         \
    X(VS_ERR_PATH, "malformed path")                                                    \
    X(VS_ERR_JSON, "malformed JSON")                                                    \
    X(VS_ERR_NOT_FINITE, "NaN and infinities are not storable")                         \
    X(VS_ERR_MIXED_TABLE, "a table that mixes array and map parts is not storable")     \
    X(VS_ERR_ARRAY_HOLE, "an array with holes (nil elements) is not storable")          \
    X(VS_ERR_UTF8, "a string that is not valid UTF-8 is not storable")                  \
    X(VS_ERR_TOO_LARGE, "the value is larger than the store accepts")                   \
    X(VS_ERR_NOT_LOADED, "the profile is not loaded")                                   \
    X(VS_ERR_BUSY, "the profile is busy")                                               \
    X(VS_ERR_CLOSED, "the store is closed")                                             \
    X(VS_ERR_DATASTORE, "the data store reported an error")                             \
    X(VS_ERR_REQUIRE, "a required condition does not hold")                             \
    X(VS_ERR_SCHEMA_TOO_NEW, "the profile has a newer schema than this server knows")   \
    X(VS_ERR_MIGRATION, "a schema migration is missing or failed")                      \
    X(VS_ERR_INVALID, "the data is not valid")                                          \
    X(VS_ERR_TIMEOUT, "timed out")                                                      \
    X(VS_ERR_LEASE_HELD, "another server holds the profile's lease")                    \
    X(VS_ERR_UNAVAILABLE, "the DataStore is unavailable")                               \
    X(VS_ERR_LOST, "the profile's lease was lost to another session")                   \
    X(VS_ERR_CANCELLED, "cancelled")

#define VS_STATUS_ENUM_ENTRY(name, message) name,
typedef enum vs_status { VS_STATUS_TABLE(VS_STATUS_ENUM_ENTRY) VS_STATUS_COUNT } vs_status;
#undef VS_STATUS_ENUM_ENTRY

/* "VS_ERR_TYPE" for VS_ERR_TYPE; "VS_STATUS_UNKNOWN" for a value outside the table. */
const char *vs_status_name(vs_status status);
/* A short sentence for people: "the value at this path has the wrong type". */
const char *vs_status_message(vs_status status);

#endif
