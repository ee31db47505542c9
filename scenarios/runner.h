/* runner.h: one scenario, one seed, one verdict.
 *
 * The runner builds a world from a scenario (a simulated DataStore, a server running the
 * engine store), schedules the script's steps at their times, runs until the scenario's
 * duration, then lets every player still online leave and the world drain, and finally
 * checks the expectations against what the store holds. Everything it decides comes from the
 * scenario and the seed, so the same inputs give the same result byte for byte. */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdint.h>

#include "scenarios/scenario.h"
#include "sim/result.h"

/* How long the world may take, after the script ends, to save every profile and go quiet. */
#define RUNNER_DRAIN_LIMIT_US (10LL * 60 * 1000000)

/* Fills *out (which the caller frees with run_result_free). Returns false only when memory
 * runs out. */
bool runner_run(const scenario *sc, uint64_t seed, run_result *out);

#endif
