/* run.c: `vstore run` and `vstore check`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/options.h"
#include "reports/json_report.h"
#include "reports/trace_report.h"
#include "reports/text_report.h"
#include "scenarios/runner.h"

static int usage_error(const char *command, const char *message)
{
    fprintf(stderr, "vstore %s: %s\nusage: vstore run PATH... [--seed N | --seeds A..B] [--swarm] "
                    "[--json FILE] [--trace FILE]\n"
                    "       vstore check PATH...\n",
            command, message);
    return EXIT_USAGE;
}

typedef struct trace_target {
    const char *path;
    int error; /* errno of a failed write, 0 when fine */
} trace_target;

static void write_trace(void *arg, const history *h)
{
    trace_target *t = arg;
    if (report_trace_write(t->path, h) != 0)
        t->error = errno ? errno : EIO;
}

/* One seed in DETERMINISM_SHARE of every sweep (the first included) is run a second time and
 * must give the same fingerprint, events and verdict: determinism is the product, so every
 * sweep checks it rather than trusting it. */
#define DETERMINISM_SHARE 16

void cli_check_determinism(const scenario *sc, uint64_t seed, bool swarm, run_result *first)
{
    run_result again;
    runner_options quiet = {.swarm = swarm}; /* no trace: it was written by the first run */
    if (!runner_run(sc, seed, &quiet, &again)) {
        fprintf(stderr, "vstore: out of memory running %s\n", sc->file);
        exit(EXIT_USAGE);
    }
    if (strcmp(again.fingerprint, first->fingerprint) != 0 || again.events != first->events ||
        again.failure_count != first->failure_count)
        run_result_fail(first, "determinism",
                        "a second run of seed %" PRIu64 " gave fingerprint %s, %" PRIu64 " events and %zu "
                        "failure(s), not %s, %" PRIu64 " events and %zu",
                        seed, again.fingerprint, again.events, again.failure_count, first->fingerprint,
                        first->events, first->failure_count);
    run_result_free(&again);
}

int cmd_run(int argc, char **argv)
{
    cli_options o;
    char err[256];
    if (cli_parse_options(argc, argv, 2, true, true, false, &o, err, sizeof err) != 0) {
        free(o.paths);
        return usage_error("run", err);
    }
    loaded_set set;
    if (load_all(o.paths, o.path_count, &set) != 0) {
        loaded_set_free(&set);
        free(o.paths);
        return EXIT_USAGE;
    }
    if (o.trace_path && (set.count != 1 || (o.has_seeds && o.seed_first != o.seed_last))) {
        loaded_set_free(&set);
        free(o.paths);
        return usage_error("run", "--trace writes the history of one run: give one scenario and "
                                  "at most one seed");
    }
    trace_target trace = {.path = o.trace_path};
    runner_options ropts = {.swarm = o.swarm,
                            .inspect = o.trace_path ? write_trace : NULL,
                            .inspect_arg = &trace};
    run_result *kept = NULL;
    size_t kept_count = 0, kept_cap = 0, passed = 0, failed = 0;
    int status = EXIT_PASS;
    for (size_t i = 0; i < set.count && status != EXIT_USAGE; i++) {
        const scenario *sc = set.items[i];
        uint64_t first = o.has_seeds ? o.seed_first : sc->seed;
        uint64_t last = o.has_seeds ? o.seed_last : sc->seed;
        for (uint64_t seed = first;; seed++) {
            run_result r;
            if (!runner_run(sc, seed, &ropts, &r)) {
                fprintf(stderr, "vstore: out of memory running %s\n", sc->file);
                exit(EXIT_USAGE);
            }
            if ((seed - first) % DETERMINISM_SHARE == 0)
                cli_check_determinism(sc, seed, o.swarm, &r);
            report_text_run(stdout, &r, argv[0]);
            if (run_result_passed(&r))
                passed++;
            else
                failed++;
            if (o.json_path) {
                if (kept_count == kept_cap) {
                    kept_cap = kept_cap ? kept_cap * 2 : 64;
                    kept = realloc(kept, kept_cap * sizeof *kept);
                    if (!kept) {
                        fprintf(stderr, "vstore: out of memory\n");
                        exit(EXIT_USAGE);
                    }
                }
                kept[kept_count++] = r;
            } else {
                run_result_free(&r);
            }
            if (seed == last)
                break;
        }
    }
    report_text_summary(stdout, passed, failed);
    if (failed)
        status = EXIT_FAIL;
    if (trace.error) {
        fprintf(stderr, "vstore run: cannot write %s: %s\n", o.trace_path, strerror(trace.error));
        status = EXIT_USAGE;
    }
    if (o.json_path && report_json_write(o.json_path, kept, kept_count) != 0) {
        fprintf(stderr, "vstore run: cannot write %s: %s\n", o.json_path, strerror(errno));
        status = EXIT_USAGE;
    }
    for (size_t i = 0; i < kept_count; i++)
        run_result_free(&kept[i]);
    free(kept);
    loaded_set_free(&set);
    free(o.paths);
    return status;
}

int cmd_check(int argc, char **argv)
{
    cli_options o;
    char err[256];
    if (cli_parse_options(argc, argv, 2, false, false, false, &o, err, sizeof err) != 0) {
        free(o.paths);
        return usage_error("check", err);
    }
    loaded_set set;
    int loaded = load_all(o.paths, o.path_count, &set);
    for (size_t i = 0; i < set.count; i++)
        printf("OK %s (%s)\n", set.items[i]->file, set.items[i]->name);
    loaded_set_free(&set);
    free(o.paths);
    return loaded == 0 ? EXIT_PASS : EXIT_USAGE;
}
