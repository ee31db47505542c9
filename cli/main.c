/* main.c: the vstore command: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static int usage(FILE *out, int status)
{
    fprintf(out,
            "usage: vstore run PATH... [--seed N | --seeds A..B] [--swarm] [--json FILE] [--trace FILE]\n"
            "       vstore check PATH...\n"
            "       vstore bench PATH... [--seeds A..B] [--repeat N]\n"
            "       vstore docs platform\n"
            "\n"
            "PATH is a scenario file or a folder of them (*.yaml, *.yml, searched recursively).\n"
            "Exit status: 0 all passed, 1 a scenario failed, 2 bad input or usage.\n");
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, EXIT_USAGE);
    const char *command = argv[1];
    if (strcmp(command, "run") == 0)
        return cmd_run(argc, argv);
    if (strcmp(command, "check") == 0)
        return cmd_check(argc, argv);
    if (strcmp(command, "bench") == 0)
        return cmd_bench(argc, argv);
    if (strcmp(command, "docs") == 0)
        return cmd_docs(argc, argv);
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0)
        return usage(stdout, EXIT_PASS);
    fprintf(stderr, "vstore: unknown command '%s'\n", command);
    return usage(stderr, EXIT_USAGE);
}
