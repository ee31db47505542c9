/* bench.c: `vstore bench`: how fast the simulator runs the benchmark scenarios.
 *
 * For each scenario and seed, the run is repeated --repeat times and timed with the monotonic
 * clock (the only place a wall clock is read: the command line, never the simulator); the
 * report gives medians, because one run on a shared machine says little. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/options.h"
#include "scenarios/runner.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int cmd_bench(int argc, char **argv)
{
    cli_options o;
    char err[256];
    if (cli_parse_options(argc, argv, 2, true, false, true, &o, err, sizeof err) != 0) {
        fprintf(stderr, "vstore bench: %s\nusage: vstore bench PATH... [--seeds A..B] [--repeat N]\n", err);
        free(o.paths);
        return EXIT_USAGE;
    }
    if (!o.has_seeds) {
        o.seed_first = 1;
        o.seed_last = 3;
    }
    if (o.repeat == 1)
        o.repeat = 5;
    loaded_set set;
    if (load_all(o.paths, o.path_count, &set) != 0) {
        loaded_set_free(&set);
        free(o.paths);
        return EXIT_USAGE;
    }
    int status = EXIT_PASS;
    size_t runs = (size_t)(o.seed_last - o.seed_first + 1) * o.repeat;
    double *events_per_s = malloc(runs * sizeof *events_per_s);
    double *sim_per_wall = malloc(runs * sizeof *sim_per_wall);
    double *wall_ms = malloc(runs * sizeof *wall_ms);
    if (!events_per_s || !sim_per_wall || !wall_ms) {
        fprintf(stderr, "vstore bench: out of memory\n");
        exit(EXIT_USAGE);
    }
    for (size_t i = 0; i < set.count; i++) {
        const scenario *sc = set.items[i];
        size_t n = 0;
        uint64_t events = 0;
        bool all_passed = true;
        for (uint64_t seed = o.seed_first;; seed++) {
            for (unsigned k = 0; k < o.repeat; k++) {
                run_result r;
                double t0 = now_seconds();
                bool ok = runner_run(sc, seed, NULL, &r);
                double wall = now_seconds() - t0;
                if (!ok) {
                    fprintf(stderr, "vstore bench: out of memory\n");
                    exit(EXIT_USAGE);
                }
                if (wall <= 0)
                    wall = 1e-9;
                events_per_s[n] = (double)r.events / wall;
                sim_per_wall[n] = ((double)r.sim_time_us / 1e6) / wall;
                wall_ms[n] = wall * 1e3;
                n++;
                events += r.events;
                all_passed &= run_result_passed(&r);
                run_result_free(&r);
            }
            if (seed == o.seed_last)
                break;
        }
        printf("bench %s: %zu runs (seeds %" PRIu64 "..%" PRIu64 " x %u), median %.0f events/s, "
               "median %.0f simulated s per wall s, median %.2f ms per run, %" PRIu64 " events per run%s\n",
               sc->file, n, o.seed_first, o.seed_last, o.repeat, median(events_per_s, n),
               median(sim_per_wall, n), median(wall_ms, n), events / n,
               all_passed ? "" : " (SOME RUNS FAILED)");
        if (!all_passed)
            status = EXIT_FAIL;
    }
    free(events_per_s);
    free(sim_per_wall);
    free(wall_ms);
    loaded_set_free(&set);
    free(o.paths);
    return status;
}
