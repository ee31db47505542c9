/* scenario.h: a scenario as the loader hands it to the runner.
 *
 * Pure data, all owned by the scenario and freed by scenario_free. Every step and
 * expectation keeps the source position it came from, so that a failure at run time can
 * point back to the line of the YAML file that caused it. Times are microseconds of true
 * simulated time, counted from the start of the run. */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/migrate.h"
#include "core/path.h"
#include "core/replicate.h"
#include "core/retry.h"
#include "core/steps.h"
#include "core/validate.h"
#include "core/value.h"
#include "faults/fault.h"
#include "sim/limits.h"

typedef struct scenario_pos {
    int line;   /* 1-based */
    int column; /* 1-based */
} scenario_pos;

typedef enum scenario_step_kind {
    STEP_JOIN,      /* player joins server (default 1): the profile loads */
    STEP_LEAVE,     /* player leaves the server it is on: the profile is saved and released */
    STEP_SET,       /* set value at path */
    STEP_ADD,       /* add number value to the number at path */
    STEP_INSERT,    /* insert value into the array at path (at index, or appended when 0) */
    STEP_REMOVE,    /* remove the node at path */
    STEP_TELEPORT,  /* player leaves its server and joins server at the same instant */
    STEP_REJOIN,    /* player leaves and joins again at once, on server (default: the same) */
    STEP_START,     /* server starts (again, empty, after a crash or shutdown) */
    STEP_CRASH,     /* server crashes: nothing runs, sent requests may still commit */
    STEP_FREEZE,    /* server pauses */
    STEP_RESUME,    /* server carries on as if nothing happened */
    STEP_SHUTDOWN,  /* server shuts down: close handlers get close_window, then it stops */
    STEP_PUBLISH,   /* server publishes text on topic */
    STEP_SUBSCRIBE, /* server subscribes to topic */
    STEP_ODS_SET,   /* server sets key to amount in ordered store `store` */
    STEP_ODS_INCREMENT, /* server adds amount to key in ordered store `store` */
    STEP_ODS_CHECK, /* server reads the first page of ordered store `store` (descending unless
                       ascending, page_size entries) and the answer must equal `value` */
    STEP_WAIT,      /* wait up to timeout_us for player's profile; the outcome must be
                       expect_status (VS_OK: loaded) */
    STEP_EDIT,      /* a transaction of `edit` steps on player's profile; it must commit, or be
                       cancelled when expect_cancel */
    STEP_SAVE,      /* save player's profile now */
    STEP_PURCHASE,  /* player buys product for price, with purchase id `text` */
    STEP_CLEAR_LEASE, /* server clears player's stale lease (repair) */
    STEP_REPAIR,    /* server applies `edit` steps to player's stored profile (no lease held) */
    STEP_DELIVER,   /* server delivers operation `text` (handler `key`, payload `value`) to
                       player's profile; the outcome must be expect_status (VS_OK: accepted,
                       VS_ERR_BUSY: a duplicate, VS_ERR_NOT_FOUND: no profile) */
    STEP_DEAD_LETTER, /* server retries (retry_dead) or drops dead letter `text` of player */
    STEP_CLIENT_CHECK, /* player's client replica at `path` must equal `value` (NULL: absent) */
    STEP_LEADERBOARD_CHECK, /* server reads the top page_size of the store's leaderboard; it must
                               equal `value`: an array of [player, value] pairs */
    STEP_COOLDOWN,  /* player uses cooldown `text` of length timeout_us (state at `path`); it must
                       start (expect_cancel false) or not be ready yet (expect_cancel true) */
    STEP_DAILY,     /* player claims the daily reward (state at `path`, max streak `amount`); it
                       must be claimed with streak `index` (expect_cancel false) or refused */
    STEP_EFFECT_ADD, /* player gets timed effect `text` for timeout_us (state at `path`) */
    STEP_EFFECT_CHECK, /* effect `text` of player must be active (expect_cancel false) or not */
} scenario_step_kind;

/* "join", "leave", ..., "ods_check": the YAML names. */
const char *scenario_step_kind_name(scenario_step_kind kind);

typedef struct scenario_step {
    scenario_pos pos;
    int64_t at_us;
    scenario_step_kind kind;
    int64_t player;  /* user id: join, leave, set, add, insert, remove, teleport, rejoin */
    int server;      /* join (default 1), teleport (required: `to`), rejoin (0 = same), and
                        every server step (start .. ods_check; required) */
    vs_path path;    /* set, add, insert, remove */
    vs_value *value; /* set, insert: the item; add: a number; ods_check: the expected page as an
                        array of [key, value] pairs; NULL otherwise */
    size_t index;    /* insert: 1-based position, 0 = append */
    char *topic;     /* publish, subscribe */
    char *text;      /* publish: the message */
    char *store;     /* ods_*: the ordered store's name */
    char *key;       /* ods_set, ods_increment */
    int64_t amount;  /* ods_set: the value; ods_increment: the delta */
    bool ascending;  /* ods_check */
    size_t page_size; /* ods_check: 1..100 */
    int64_t timeout_us;      /* wait */
    vs_status expect_status; /* wait: VS_OK (loaded), VS_ERR_TIMEOUT, VS_ERR_LEASE_HELD,
                                VS_ERR_UNAVAILABLE, VS_ERR_SCHEMA_TOO_NEW, VS_ERR_INVALID,
                                VS_ERR_CLOSED, VS_ERR_NOT_LOADED, VS_ERR_LOST; repair and
                                clear_lease: likewise (VS_OK: done) */
    vs_steps edit;           /* edit, repair */
    bool expect_cancel;      /* edit: the transaction must be cancelled (a require fails) */
    int64_t product;         /* purchase */
    int64_t price;           /* purchase */
    bool retry_dead;         /* dead_letter: back to the inbox (true) or drop */
} scenario_step;

/* A durable operation handler: steps run on a private copy of the profile, with the
 * operation's payload as `from` operands. */
typedef struct scenario_handler {
    scenario_pos pos;
    char *name;
    vs_steps steps;
} scenario_handler;

typedef enum scenario_expect_kind {
    EXPECT_STORED, /* the stored profile of player at path equals a value, or is absent */
    EXPECT_COUNT,  /* a history counter, for a player and/or server, is within bounds */
} scenario_expect_kind;

typedef struct scenario_expect {
    scenario_pos pos;
    scenario_expect_kind kind;
    int64_t player;   /* stored: the user id; count: only this player's records (0 = all) */
    vs_path path;     /* stored: at this path ... */
    vs_value *equals; /* stored: ... equals this value; NULL means "nothing stored there" */
    char *counter;    /* count: a counter name (sim/history.h), e.g. "event.load_failed" */
    int server;       /* count: only this server's records (0 = all) */
    int64_t at_least; /* count: lower bound, -1 for none */
    int64_t at_most;  /* count: upper bound, -1 for none */
    bool in_swarm;    /* it holds whatever faults a swarm run draws: checked there too */
} scenario_expect;

typedef struct scenario_override {
    scenario_pos pos;
    const limit_param *param; /* the row of sim/limits.h it sets */
    int64_t value;
} scenario_override;

/* The simulated platform: limits profile, overrides of single figures, the store's clock. */
typedef struct scenario_platform {
    limits_profile profile; /* default LIMITS_CURRENT */
    scenario_override *overrides;
    size_t override_count;
    int64_t store_clock_skew_us; /* the store's clock (key info times) against true time */
} scenario_platform;

typedef struct scenario_server {
    scenario_pos pos;
    int id;            /* 1..64, unique */
    int64_t skew_us;   /* its clock reads true time + skew ... */
    int64_t drift_ppm; /* ... and runs this many ppm fast (slow when negative) */
    bool starts_stopped; /* true: it starts only at a `start` step */
    int64_t schema;      /* a server of another build: the schema its engine writes (0: the
                            store's); it gets the store's migrations below that schema */
} scenario_server;

typedef struct scenario_fault {
    scenario_pos pos;
    fault f;
} scenario_fault;

/* A product the scenario's receipt handler grants: either amount added at path (the naive
 * handler: no purchase-id check), or, when handler is set, through the engine's receipt handler
 * with that operation handler (granted once per purchase id, answered after the save). */
typedef struct scenario_product {
    scenario_pos pos;
    int64_t id;
    vs_path path;
    double amount;
    char *handler;
} scenario_product;

typedef struct scenario_store {
    char *name;          /* DataStore name */
    vs_value *template_; /* a map: the profile of a player seen for the first time */
    int64_t schema;      /* 0: the engine's default (1) */
    int64_t autosave_us; /* 0: the engine's default */
    int64_t lease_us;    /* 0: the engine's default */
    vs_retry_policy retry; /* zero fields: the engine's defaults */
    vs_migrations migrations;
    vs_validators validators;
    bool no_reconcile;
    scenario_product *products; /* the receipt handler's catalogue (purchase steps) */
    size_t product_count;
    scenario_handler *handlers; /* durable operation handlers, by name */
    size_t handler_count;
    int op_max_attempts;        /* 0: the engine's default (5) */
    int receipt_keep;           /* 0: the engine's default (1000) */
    vs_public_paths public_paths; /* what clients may see (none when empty) */
    char *leaderboard_store;    /* the leaderboard's OrderedDataStore, NULL when none */
    vs_path leaderboard_path;   /* the profile number it mirrors */
    unsigned unsafe;            /* VS_UNSAFE_* bits, a deliberately broken engine: only with must_fail */
    scenario_pos unsafe_pos;    /* where 'unsafe' was written (line 0: not written) */
} scenario_store;

typedef struct scenario_check_off {
    char *check; /* "lease", "delivery" or "replication" */
    char *why;
} scenario_check_off;

typedef struct scenario {
    char *file;  /* the path it was loaded from */
    char *name;
    uint64_t seed;       /* used when the command line gives none */
    int64_t duration_us; /* the script runs in [0, duration) */
    scenario_store store;
    scenario_platform platform;
    scenario_server *servers; /* sorted by id; when the file has none, one server with id 1 */
    size_t server_count;
    scenario_fault *faults;   /* in file order */
    size_t fault_count;
    scenario_step *steps; /* sorted by at_us; equal times keep file order */
    size_t step_count;
    scenario_expect *expects;
    size_t expect_count;
    struct scenario_check_off *checks_off; /* built-in checks this scenario turns off, with why */
    size_t checks_off_count;
    char *must_fail_check; /* the built-in check this run must make fire; NULL: none */
    char *must_fail_why;   /* why it must (for people) */
} scenario;

void scenario_free(scenario *s); /* NULL is fine */

#endif
