/* text_report.c: the plain-text report. */
#include "reports/text_report.h"

#include <inttypes.h>
#include <string.h>

#include "sim/world.h"

/* Each line of text, after indent. */
static void print_indented(FILE *out, const char *text, const char *indent)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        int n = end ? (int)(end - line) : (int)strlen(line);
        fprintf(out, "%s%.*s\n", indent, n, line);
        line += n + (end != NULL);
    }
}

void report_text_run(FILE *out, const run_result *r, const char *command)
{
    char t[32];
    world_format_time(r->sim_time_us, t, sizeof t);
    bool passed = run_result_passed(r);
    fprintf(out, "%s %s seed=%" PRIu64 " fingerprint=%s events=%" PRIu64 " sim_time=%s\n",
            passed ? "PASS" : "FAIL", r->scenario, r->seed, r->fingerprint, r->events, t);
    if (passed)
        return;
    for (size_t i = 0; i < r->failure_count; i++) {
        fprintf(out, "  %s: %s\n", r->failures[i].check, r->failures[i].message);
        if (r->failures[i].history) {
            fprintf(out, "    what led to it:\n");
            print_indented(out, r->failures[i].history, "      ");
        }
    }
    if (r->swarm_faults) {
        /* The drawn faults, indented, ready to paste into the scenario. */
        fprintf(out, "  drawn faults:\n");
        print_indented(out, r->swarm_faults, "    ");
    }
    if (r->swarm_workload)
        fprintf(out, "  drawn workload: %s\n", r->swarm_workload);
    fprintf(out, "  reproduce: %s run %s --seed %" PRIu64 "%s\n", command, r->scenario, r->seed,
            r->swarm ? " --swarm" : "");
}

void report_text_summary(FILE *out, size_t passed, size_t failed)
{
    fprintf(out, "scenarios: %zu passed, %zu failed\n", passed, failed);
}
