/* scenario.h: a scenario as the loader hands it to the runner.
 *
 * Pure data, all owned by the scenario and freed by scenario_free. Every step and
 * expectation keeps the source position it came from, so that a failure at run time can
 * point back to the line of the YAML file that caused it. Times are microseconds of true
 * simulated time, counted from the start of the run. */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "core/value.h"

typedef struct scenario_pos {
    int line;   /* 1-based */
    int column; /* 1-based */
} scenario_pos;

typedef enum scenario_step_kind {
    STEP_JOIN,   /* player joins: the profile loads */
    STEP_LEAVE,  /* player leaves: the profile is saved and released */
    STEP_SET,    /* set value at path */
    STEP_ADD,    /* add number value to the number at path */
    STEP_INSERT, /* insert value into the array at path (at index, or appended when 0) */
    STEP_REMOVE, /* remove the node at path */
} scenario_step_kind;

/* "join", "leave", "set", "add", "insert", "remove". */
const char *scenario_step_kind_name(scenario_step_kind kind);

typedef struct scenario_step {
    scenario_pos pos;
    int64_t at_us;
    scenario_step_kind kind;
    int64_t player;  /* user id */
    vs_path path;    /* set, add, insert, remove */
    vs_value *value; /* set, insert: the item; add: a number; NULL otherwise */
    size_t index;    /* insert: 1-based position, 0 = append */
} scenario_step;

typedef struct scenario_expect {
    scenario_pos pos;
    int64_t player;   /* the stored profile of this user id ... */
    vs_path path;     /* ... at this path ... */
    vs_value *equals; /* ... equals this value; NULL means "nothing stored there" */
} scenario_expect;

typedef struct scenario_store {
    char *name;          /* DataStore name */
    vs_value *template_; /* a map: the profile of a player seen for the first time */
} scenario_store;

typedef struct scenario {
    char *file;  /* the path it was loaded from */
    char *name;
    uint64_t seed;       /* used when the command line gives none */
    int64_t duration_us; /* the script runs in [0, duration) */
    scenario_store store;
    scenario_step *steps; /* sorted by at_us; equal times keep file order */
    size_t step_count;
    scenario_expect *expects;
    size_t expect_count;
} scenario;

void scenario_free(scenario *s); /* NULL is fine */

#endif
