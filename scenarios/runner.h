/* runner.h: one scenario, one seed, one verdict.
 *
 * The runner builds an experience from a scenario (the limits profile and overrides, the
 * servers, the fault plan, the engine store), schedules the script's steps and the faults'
 * server events (crash, freeze, shutdown, clock jump) at their times, and runs until the
 * scenario's duration. Then comes the quiet phase: every fault is healed (a fault with no end
 * ends at the duration; crashed and shut-down servers start again, frozen ones resume), every
 * player still online leaves, and the world drains; only then are the expectations checked,
 * so they speak of a world at rest. Everything comes from the scenario and the seed: the same
 * inputs give the same result byte for byte. */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdint.h>

#include "scenarios/scenario.h"
#include "sim/history.h"
#include "sim/result.h"

/* How long the world may take, after the script ends, to save every profile and go quiet. */
#define RUNNER_DRAIN_LIMIT_US (10LL * 60 * 1000000)

typedef struct runner_options {
    /* Add faults drawn from the seed (faults/swarm.h) to the scenario's own, inside the
     * bounds a correct engine is expected to survive. */
    bool swarm;
    /* Called once the run is over, before the world is freed, with its history (for traces). */
    void (*inspect)(void *arg, const history *h);
    void *inspect_arg;
} runner_options;

/* Fills *out (which the caller frees with run_result_free). opts may be NULL. Returns false
 * only when memory runs out. */
bool runner_run(const scenario *sc, uint64_t seed, const runner_options *opts, run_result *out);

#endif
