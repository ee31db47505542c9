/* ds_error.h: the platform's DataStore error codes and what to do about each.
 *
 * PLATFORM.md sorts errors into three classes: the caller's fault (never retried: the same
 * request would fail again), transient (retried with backoff) and shutdown (the server is
 * closing). One table holds every code with its name, class and message, so the simulator
 * that raises a code and the engine that classifies it can never disagree. KeyThrottled has
 * no number on the platform; it is 601 here. */
#ifndef VS_DS_ERROR_H
#define VS_DS_ERROR_H

typedef enum vs_ds_class {
    VS_DS_CLASS_OK,        /* code 0 */
    VS_DS_CLASS_CALLER,    /* do not retry */
    VS_DS_CLASS_TRANSIENT, /* retry with backoff */
    VS_DS_CLASS_SHUTDOWN,  /* the server is shutting down */
    VS_DS_CLASS_UNKNOWN,   /* a code not in the table: treat as transient, but report it */
} vs_ds_class;

#define VS_DS_ERROR_TABLE(X)                                                                   \
    X(101, KeyNameEmpty, CALLER, "the key name is empty")                                        \
    X(102, KeyNameLimit, CALLER, "the key name is too long")                                     \
    X(103, ValueNotAllowed, CALLER, "the value is of a type that cannot be stored")              \
    X(104, CantStoreValue, CALLER, "the value cannot be stored (NaN, infinity, mixed table, hole, bad UTF-8)") \
    X(105, ValueTooLarge, CALLER, "the serialized value is too large")                           \
    X(106, MaxValueInvalid, CALLER, "the sorted range's maximum is not valid")                   \
    X(107, MinValueInvalid, CALLER, "the sorted range's minimum is not valid")                   \
    X(108, PageSizeInvalid, CALLER, "the page size is out of range")                             \
    X(109, CursorInvalid, CALLER, "the page cursor is not valid")                                \
    X(301, GetAsyncThrottle, TRANSIENT, "GetAsync dropped: the get queue is full")               \
    X(302, SetAsyncThrottle, TRANSIENT, "SetAsync dropped: the set queue is full")               \
    X(303, IncreAsyncThrottle, TRANSIENT, "IncrementAsync dropped: the set queue is full")       \
    X(304, UpdateAsyncThrottle, TRANSIENT, "UpdateAsync dropped: the queue is full")             \
    X(305, GetSortedThrottle, TRANSIENT, "GetSortedAsync dropped: the sorted get queue is full") \
    X(306, RemoveAsyncThrottle, TRANSIENT, "RemoveAsync dropped: the set queue is full")         \
    X(401, DataModelShuttingDown, SHUTDOWN, "the server is shutting down")                       \
    X(402, ServiceShuttingDown, SHUTDOWN, "the service was shut down on this server")            \
    X(404, OrderedStoreNotFound, TRANSIENT, "the OrderedDataStore is not available yet")         \
    X(501, InternalError, TRANSIENT, "the DataStore could not be reached or answered badly")     \
    X(502, ServiceRejected, TRANSIENT, "the DataStore service rejected the request")             \
    X(503, ServiceUnavailable, TRANSIENT, "the DataStore service is unavailable")                \
    X(504, RequestTimedOut, TRANSIENT, "the request timed out")                                  \
    X(505, Overloaded, TRANSIENT, "the DataStore is overloaded")                                 \
    X(509, ExperienceNotAllowed, CALLER, "this experience may not use DataStores")               \
    X(510, InvalidScope, CALLER, "the scope is not valid")                                       \
    X(511, AttributeTooLarge, CALLER, "the key metadata is too large")                           \
    X(512, UserIdsInvalid, CALLER, "the user ids are not valid")                                 \
    X(513, MetadataInvalid, CALLER, "the key metadata is not valid")                             \
    X(601, KeyThrottled, TRANSIENT, "the key's throughput limit was reached")

#define VS_DS_ERROR_ENUM(code, name, cls, message) VS_DS_##name = code,
enum { VS_DS_ERROR_TABLE(VS_DS_ERROR_ENUM) };
#undef VS_DS_ERROR_ENUM

vs_ds_class vs_ds_classify(int code);
/* "KeyThrottled"; "Unknown" for a code not in the table; "OK" for 0. */
const char *vs_ds_error_name(int code);
/* A sentence for people; never NULL. */
const char *vs_ds_error_message(int code);
/* "caller", "transient", "shutdown", "unknown", "ok". */
const char *vs_ds_class_name(vs_ds_class cls);

#endif
