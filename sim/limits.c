/* limits.c: the table of platform figures and their defaults under each limits profile. */
#include "sim/limits.h"

#include <stddef.h>
#include <string.h>

#define SEC 1000000LL
#define MS 1000LL
#define MIB (1024LL * 1024)

#define ROW(name, unit, field, classic, y2023, current, doc) \
    {name, unit, offsetof(platform_limits, field), {classic, y2023, current}, doc}
/* A rate is two rows: NAME_base and NAME_per_player. */
#define RATE(name, field, cb, cp, yb, yp, nb, np, per, doc)                                   \
    ROW(name "_base", LIMIT_COUNT, field.base, cb, yb, nb, doc " (per minute, the fixed part)"), \
    ROW(name "_per_" per, LIMIT_COUNT, field.per_player, cp, yp, np, doc " (per minute, added per " per ")")

const limit_param limit_params[] = {
    ROW("name_max_chars", LIMIT_COUNT, name_max_chars, 50, 50, 50,
        "longest store name, scope or key; an empty key is error 101, a longer one 102"),
    ROW("value_max_bytes", LIMIT_BYTES, value_max_bytes, 4194304, 4194304, 4194304,
        "largest canonical JSON of a stored value; larger is error 105"),
    ROW("metadata_max_bytes", LIMIT_BYTES, metadata_max_bytes, 300, 300, 300,
        "largest key metadata, all of it"),
    RATE("budget_get", budget_get, 60, 10, 60, 10, 60, 40, "player",
         "GetAsync budget of a server"),
    RATE("budget_set", budget_set, 60, 10, 60, 10, 60, 40, "player",
         "write budget of a server (set, update, increment, remove)"),
    RATE("budget_sorted_get", budget_sorted_get, 5, 2, 5, 2, 60, 40, "player",
         "GetSortedAsync budget of a server"),
    RATE("budget_sorted_set", budget_sorted_set, 30, 5, 30, 5, 30, 5, "player",
         "OrderedDataStore write budget of a server"),
    RATE("budget_list", budget_list, 5, 2, 5, 2, 5, 2, "player",
         "list and versions budget of a server"),
    ROW("budget_cap_minutes", LIMIT_COUNT, budget_cap_minutes, 3, 3, 3,
        "a budget refills continuously up to this many minutes' worth"),
    ROW("budget_burst", LIMIT_COUNT, budget_burst, 100, 100, 100,
        "get and set budget a new server starts with"),
    RATE("experience_reads", experience_reads, 0, 0, 0, 0, 300, 40, "ccu",
         "reads of the whole experience; 0 means no such limit"),
    RATE("experience_writes", experience_writes, 0, 0, 0, 0, 300, 20, "ccu",
         "writes of the whole experience; 0 means no such limit"),
    ROW("queue_size", LIMIT_COUNT, queue_size, 30, 30, 30,
        "requests each of the four FIFO queues (set, sorted set, get, sorted get) holds; a "
        "request that finds its queue full is dropped with error 301-306"),
    ROW("write_cooldown", LIMIT_DURATION, write_cooldown_us, 6 * SEC, 0, 0,
        "least time between two writes to one key from one server; 0 means none"),
    ROW("key_read_bytes_per_minute", LIMIT_BYTES, key_read_bytes_per_minute, 0, 0, 25 * MIB,
        "reads of one key across all servers; over it is KeyThrottled; 0 means none"),
    ROW("key_write_bytes_per_minute", LIMIT_BYTES, key_write_bytes_per_minute, 0, 0, 4 * MIB,
        "writes of one key across all servers; over it is KeyThrottled; 0 means none"),
    ROW("key_throughput_unit_bytes", LIMIT_BYTES, key_throughput_unit_bytes, 1024, 1024, 1024,
        "each request counts at least this much, rounded up to a multiple of it"),
    ROW("cache_ttl", LIMIT_DURATION, cache_ttl_us, 4 * SEC, 4 * SEC, 4 * SEC,
        "how long a server's cached GetAsync answer is served without asking the store"),
    ROW("version_keep", LIMIT_DURATION, version_keep_us, 30LL * 24 * 3600 * SEC,
        30LL * 24 * 3600 * SEC, 30LL * 24 * 3600 * SEC,
        "how long the first version written in each UTC hour is kept"),
    ROW("ds_latency_min", LIMIT_DURATION, ds_latency_min_us, 20 * MS, 20 * MS, 20 * MS,
        "shortest round trip of a DataStore request"),
    ROW("ds_latency_max", LIMIT_DURATION, ds_latency_max_us, 120 * MS, 120 * MS, 120 * MS,
        "longest round trip of a DataStore request, before any tail"),
    ROW("ds_tail_ppm", LIMIT_PPM, ds_tail_ppm, 0, 0, 0,
        "share of DataStore requests that also get a heavy-tail delay"),
    ROW("ds_tail_max", LIMIT_DURATION, ds_tail_max_us, 5 * SEC, 5 * SEC, 5 * SEC,
        "longest heavy-tail delay (drawn with a density falling as 1/x)"),
    ROW("ds_timeout", LIMIT_DURATION, ds_timeout_us, 15 * SEC, 15 * SEC, 15 * SEC,
        "a request whose answer is lost fails with error 501 this long after it was sent"),
    ROW("update_gap", LIMIT_DURATION, update_gap_us, 50 * MS, 50 * MS, 50 * MS,
        "UpdateAsync: longest time between reading the value and committing the transform's "
        "result; a write by someone else in between makes the transform run again"),
    ROW("ordered_page_max", LIMIT_COUNT, ordered_page_max, 100, 100, 100,
        "most entries in one GetSortedAsync page"),
    ROW("ordered_index_lag", LIMIT_DURATION, ordered_index_lag_us, 3 * SEC, 3 * SEC, 3 * SEC,
        "how long after a write the sorted index shows it"),
    ROW("msg_topic_max_chars", LIMIT_COUNT, msg_topic_max_chars, 80, 80, 80,
        "longest MessagingService topic (at least 1 character)"),
    ROW("msg_max_bytes", LIMIT_BYTES, msg_max_bytes, 1024, 1024, 1024,
        "largest MessagingService message"),
    ROW("msg_delay_min", LIMIT_DURATION, msg_delay_min_us, 1 * SEC, 1 * SEC, 1 * SEC,
        "shortest delivery delay of a message"),
    ROW("msg_delay_max", LIMIT_DURATION, msg_delay_max_us, 2 * SEC, 2 * SEC, 2 * SEC,
        "longest delivery delay of a message"),
    RATE("msg_send", msg_send, 150, 60, 150, 60, 600, 240, "player",
         "messages a server may publish"),
    RATE("msg_subscriptions", msg_subscriptions, 5, 2, 5, 2, 20, 8, "player",
         "topics a server may subscribe to at once (a count, written as a rate)"),
    RATE("msg_topic_receive", msg_topic_receive, 40, 80, 40, 80, 40, 80, "server",
         "messages one topic may deliver"),
    ROW("close_window", LIMIT_DURATION, close_window_us, 30 * SEC, 30 * SEC, 30 * SEC,
        "on shutdown, how long the server waits for its close handlers before it stops"),
    ROW("replication_delay", LIMIT_DURATION, replication_delay_us, 50 * MS, 50 * MS, 50 * MS,
        "how long replicated data takes from a server to its player's client (in order)"),
};

const size_t limit_param_count = sizeof limit_params / sizeof limit_params[0];

static const char *const profile_names[LIMITS_PROFILE_COUNT] = {"classic", "2023", "current"};

const char *limits_profile_name(limits_profile p)
{
    return (unsigned)p < LIMITS_PROFILE_COUNT ? profile_names[p] : "unknown";
}

int limits_profile_parse(const char *name, limits_profile *out)
{
    for (int i = 0; i < LIMITS_PROFILE_COUNT; i++)
        if (strcmp(name, profile_names[i]) == 0) {
            *out = (limits_profile)i;
            return 0;
        }
    return -1;
}

int64_t *limits_field(platform_limits *l, const limit_param *p)
{
    return (int64_t *)((char *)l + p->offset);
}

void limits_init(platform_limits *l, limits_profile profile)
{
    memset(l, 0, sizeof *l);
    l->profile = profile;
    for (size_t i = 0; i < limit_param_count; i++)
        *limits_field(l, &limit_params[i]) = limit_params[i].defaults[profile];
}

const limit_param *limits_find(const char *name)
{
    for (size_t i = 0; i < limit_param_count; i++)
        if (strcmp(limit_params[i].name, name) == 0)
            return &limit_params[i];
    return NULL;
}

int64_t limits_rate(limit_rate r, int64_t n)
{
    return r.base + r.per_player * n;
}
