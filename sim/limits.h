/* limits.h: every figure of the platform the simulator reproduces, in one table.
 *
 * PLATFORM.md's numbers are parameters, never constants buried in code: each lives in
 * platform_limits, has a row in limit_params (its YAML name, unit, default under each limits
 * profile, and a sentence for the docs), and can be overridden by a scenario under
 * `platform:`. The profile picks the defaults: `classic` (until mid-2023), `2023` (after the
 * per-key write cooldown was removed) and `current` (2026, the default).
 *
 * A per-minute rate is `base + per_player × players` (or × servers, × CCU, as its row says);
 * 0 for a whole rate means "no such limit under this profile". */
#ifndef LIMITS_H
#define LIMITS_H

#include <stddef.h>
#include <stdint.h>

typedef enum limits_profile { LIMITS_CLASSIC, LIMITS_2023, LIMITS_CURRENT, LIMITS_PROFILE_COUNT } limits_profile;

/* "classic", "2023", "current". */
const char *limits_profile_name(limits_profile p);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int limits_profile_parse(const char *name, limits_profile *out);

typedef struct limit_rate {
    int64_t base;       /* per minute */
    int64_t per_player; /* per minute, per player (or per server, or per CCU: see the row) */
} limit_rate;

typedef struct platform_limits {
    limits_profile profile;

    /* DataStore names and values */
    int64_t name_max_chars;     /* store names, scopes and keys */
    int64_t value_max_bytes;    /* canonical JSON of a value */
    int64_t metadata_max_bytes; /* key metadata, all of it */

    /* DataStore budgets, per server, per request type */
    limit_rate budget_get;
    limit_rate budget_set; /* set, update, increment, remove */
    limit_rate budget_sorted_get;
    limit_rate budget_sorted_set;
    limit_rate budget_list; /* list and versions */
    int64_t budget_cap_minutes; /* a budget refills up to this many minutes' worth */
    int64_t budget_burst;       /* what a new server starts with, for get and set */
    limit_rate experience_reads;  /* whole experience, per CCU; 0 = none */
    limit_rate experience_writes; /* whole experience, per CCU; 0 = none */
    int64_t queue_size;           /* each of the four request queues */

    /* per-key limits */
    int64_t write_cooldown_us;          /* between writes to one key from one server; 0 = none */
    int64_t key_read_bytes_per_minute;  /* across all servers; 0 = none */
    int64_t key_write_bytes_per_minute; /* across all servers; 0 = none */
    int64_t key_throughput_unit_bytes;  /* each request is rounded up to this */

    /* caching and versions */
    int64_t cache_ttl_us;      /* per-server read cache */
    int64_t version_keep_us;   /* how long an hourly version is kept */

    /* DataStore timing */
    int64_t ds_latency_min_us; /* round trip of a request, drawn uniformly */
    int64_t ds_latency_max_us;
    int64_t ds_tail_ppm;       /* share of requests that also get a heavy-tail delay */
    int64_t ds_tail_max_us;    /* the heavy tail: up to this much more */
    int64_t ds_timeout_us;     /* a request whose answer is lost fails after this long */
    int64_t update_gap_us;     /* UpdateAsync: read-to-commit gap; a write by someone else
                                  inside it makes the transform run again */

    /* OrderedDataStore */
    int64_t ordered_page_max;     /* entries per GetSortedAsync page */
    int64_t ordered_index_lag_us; /* the sorted index shows a write this much later */

    /* MessagingService */
    int64_t msg_topic_max_chars;
    int64_t msg_max_bytes;
    int64_t msg_delay_min_us;
    int64_t msg_delay_max_us;
    limit_rate msg_send;          /* per server, per player */
    limit_rate msg_subscriptions; /* per server, per player (a count, not a rate) */
    limit_rate msg_topic_receive; /* per topic, per server in the experience */

    /* Servers */
    int64_t close_window_us; /* shutdown: how long close handlers may run */
    int64_t replication_delay_us; /* from a server to its player's client */
} platform_limits;

typedef enum limit_unit {
    LIMIT_COUNT,    /* a plain integer */
    LIMIT_BYTES,    /* an integer number of bytes */
    LIMIT_DURATION, /* microseconds; written in YAML as a duration (30s, 250ms) */
    LIMIT_PPM,      /* parts per million (0..1000000) */
} limit_unit;

typedef struct limit_param {
    const char *name; /* the YAML key under `platform:`, e.g. "budget_get_per_player" */
    limit_unit unit;
    size_t offset;    /* of the int64_t field in platform_limits */
    int64_t defaults[LIMITS_PROFILE_COUNT]; /* classic, 2023, current */
    const char *doc;  /* one sentence */
} limit_param;

extern const limit_param limit_params[];
extern const size_t limit_param_count;

/* All defaults of a profile. */
void limits_init(platform_limits *l, limits_profile profile);
/* The row named name, or NULL. */
const limit_param *limits_find(const char *name);
/* The field a row describes. */
int64_t *limits_field(platform_limits *l, const limit_param *p);
/* A rate for n players (or servers, or CCU), per minute. */
int64_t limits_rate(limit_rate r, int64_t n);

#endif
