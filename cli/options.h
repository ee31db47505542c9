/* options.h: the command line of vstore, parsed into one struct.
 *
 *   vstore run PATH... [--seed N | --seeds A..B] [--swarm] [--json FILE] [--trace FILE]
 *   vstore check PATH...
 *   vstore bench PATH... [--seeds A..B] [--repeat N]
 *
 * Anything unknown, repeated or malformed is a usage error (exit status 2) with a message that
 * says what was expected; nothing is guessed. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cli_options {
    const char **paths;
    size_t path_count;
    bool has_seeds; /* --seed or --seeds given */
    uint64_t seed_first, seed_last;
    const char *json_path;
    const char *trace_path; /* run: the JSON-lines history of the (single) run */
    bool swarm;             /* run: add faults drawn from each seed */
    unsigned repeat; /* bench: runs per seed, for medians */
} cli_options;

/* Parses argv[first..argc). Returns 0, or -1 with a message in err. allow_* say which options
 * the command takes. The caller frees o->paths. */
int cli_parse_options(int argc, char **argv, int first, bool allow_seeds, bool allow_json,
                      bool allow_repeat, cli_options *o, char *err, size_t err_size);

/* The options only `run` takes: --swarm and --trace FILE (allow_json stands for them too). */

/* Parses "N" (both set to N) or "A..B" with A <= B. Returns 0 or -1. */
int cli_parse_seed_range(const char *text, uint64_t *first, uint64_t *last);

#endif
