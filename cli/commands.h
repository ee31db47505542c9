/* commands.h: the subcommands of vstore. Each returns the process exit status:
 * 0 all passed, 1 a scenario failed, 2 bad input or usage. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_docs(int argc, char **argv);

#include <stdbool.h>
#include <stdint.h>

#include "scenarios/scenario.h"
#include "sim/result.h"

/* Runs sc under seed a second time and adds a "determinism" failure to first when the second
 * run's fingerprint, event count or number of failures differs. vstore run does this for one
 * seed in 16 of every sweep. */
void cli_check_determinism(const scenario *sc, uint64_t seed, bool swarm, run_result *first);

/* Exit statuses. */
enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#endif
