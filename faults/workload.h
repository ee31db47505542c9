/* workload.h: a background workload drawn from a seed for swarm runs.
 *
 * Swarm testing varies the load as well as the faults: besides the scenario's own players, a
 * swarm run adds a few background players who join, leave, change their profiles, teleport
 * and save at random. Each draw first decides how many players there are (none in some seeds)
 * and how often they act, then switches each action on or off and weighs the ones on, so one
 * seed is all joins and teleports and another all saves and changes. The events are drawn
 * in time order with the players' online state followed, so a leave goes to a player who
 * joined, and everyone still online leaves when the workload's span ends; a background player
 * touches only its own profile, at the top-level key
 * WORKLOAD_PATH, so the scenario's own players and paths are left as the scenario says.
 *
 * Like swarm_draw, the draw reads only the random source it is given and integer arithmetic,
 * so a seed gives the same workload on every machine. */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults/swarm.h"

#define WORKLOAD_PATH "SwarmLoad" /* the one key background players change */

typedef enum workload_action {
    WORKLOAD_JOIN,     /* an offline player joins a server */
    WORKLOAD_LEAVE,    /* an online player leaves */
    WORKLOAD_SET,      /* an online player's WORKLOAD_PATH is set to amount */
    WORKLOAD_ADD,      /* amount is added to it (refused while it is not set yet) */
    WORKLOAD_TELEPORT, /* an online player moves to another server */
    WORKLOAD_SAVE,     /* an online player's profile is saved now */
    WORKLOAD_ACTION_COUNT
} workload_action;

/* "join", "leave", ... */
const char *workload_action_name(workload_action a);

typedef struct workload_event {
    int64_t at_us;
    workload_action action;
    int64_t player;
    int server;     /* join, teleport: where to */
    int64_t amount; /* set, add */
} workload_event;

typedef struct workload_config {
    int64_t duration_us;  /* the run's: events lie in [0, duration_us) */
    uint64_t server_ids;  /* the servers that exist: bit (id - 1) */
    int64_t first_player; /* background players are first_player, first_player + 1, ... */
    uint32_t max_players; /* at most this many; the draw may pick 0 (no workload) */
    int64_t min_gap_us, max_gap_us; /* the mean time between two events is drawn in here ... */
    uint32_t max_events;  /* ... but long enough that about this many fill the span at most */
    int64_t max_span_us;  /* events lie in [0, min(duration, this)); players still online at its
                             end leave then (a run of a day is not a day of constant play) */
} workload_config;

typedef struct workload_plan {
    uint32_t players;                        /* 0: no background workload */
    int64_t first_player;                    /* their ids: first_player .. + players - 1 */
    int64_t gap_us;                          /* mean time between two events */
    uint32_t weights[WORKLOAD_ACTION_COUNT]; /* 0: the action is off */
    workload_event *events;                  /* in time order */
    size_t count;
} workload_plan;

/* Up to 6 players, a mean gap of 500 ms..10 s, at most about 300 events within the first 30
 * minutes, for the scenario's duration and servers. */
workload_config workload_config_default(int64_t duration_us, uint64_t server_ids, int64_t first_player);

/* Fills *out (its previous contents are not freed: pass a zeroed plan) from next(ctx).
 * Returns false when memory runs out (out is then empty). */
bool workload_draw(const workload_config *cfg, swarm_random_fn next, void *ctx, workload_plan *out);
void workload_plan_free(workload_plan *p);

/* One line for people: "4 players (ids 900001..900004), an event every 2500ms on average
 * (41 events); weights: join 3, leave 1, set 2, add 5, save 1" or "none". snprintf rules
 * (buf may be NULL with size 0): returns the length the whole line needs. */
size_t workload_describe(const workload_plan *p, char *buf, size_t size);

#endif
