/* result.h: the outcome of one run of one scenario under one seed.
 *
 * This is all that reports/ may see of a run: plain data, owned by the result, the same bytes
 * for the same scenario, seed and build. A run passes when it has no failures. */
#ifndef RESULT_H
#define RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct run_failure {
    char *check;   /* the rule or check that failed: "expect", "script", "quiesce", ... */
    char *message; /* one line for people */
    char *history; /* the records that led to it, one plain sentence per line; NULL when none */
} run_failure;

typedef struct run_result {
    char *scenario; /* the file */
    char *name;     /* the scenario's name */
    uint64_t seed;
    char fingerprint[33];
    uint64_t events;
    int64_t sim_time_us;
    run_failure *failures;
    size_t failure_count, failure_cap;
    bool swarm;        /* the run added faults drawn from its seed (vstore run --swarm) */
    char *swarm_faults; /* those faults as a YAML `faults:` block, NULL when none were drawn */
    char *swarm_workload; /* the background players it added, one line; NULL when not a swarm run */
} run_result;

/* Returns false when memory runs out. */
bool run_result_init(run_result *r, const char *scenario, const char *name, uint64_t seed);
void run_result_free(run_result *r);
bool run_result_passed(const run_result *r);
/* True when a failure of this check was recorded. */
bool run_result_has_failure(const run_result *r, const char *check);
/* Forgets every failure (a run that had to fail, and did). */
void run_result_clear_failures(run_result *r);
/* Attaches history lines (copied) to the failure added last; false when memory runs out. */
bool run_result_explain(run_result *r, const char *history);
/* Adds a failure; the message is printf-formatted. */
void run_result_fail(run_result *r, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
