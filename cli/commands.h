/* commands.h: the subcommands of vstore. Each returns the process exit status:
 * 0 all passed, 1 a scenario failed, 2 bad input or usage. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_docs(int argc, char **argv);

/* Exit statuses. */
enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#endif
