/* result.c: building and freeing run results. */
#include "sim/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool run_result_init(run_result *r, const char *scenario, const char *name, uint64_t seed)
{
    *r = (run_result){.seed = seed};
    r->scenario = strdup(scenario);
    r->name = strdup(name);
    if (!r->scenario || !r->name) {
        run_result_free(r);
        return false;
    }
    return true;
}

void run_result_free(run_result *r)
{
    run_result_clear_failures(r);
    free(r->failures);
    free(r->swarm_faults);
    free(r->swarm_workload);
    free(r->scenario);
    free(r->name);
    *r = (run_result){0};
}

bool run_result_has_failure(const run_result *r, const char *check)
{
    for (size_t i = 0; i < r->failure_count; i++)
        if (strcmp(r->failures[i].check, check) == 0)
            return true;
    return false;
}

void run_result_clear_failures(run_result *r)
{
    for (size_t i = 0; i < r->failure_count; i++) {
        free(r->failures[i].check);
        free(r->failures[i].message);
        free(r->failures[i].history);
    }
    r->failure_count = 0;
}

bool run_result_passed(const run_result *r)
{
    return r->failure_count == 0;
}

void run_result_fail(run_result *r, const char *check, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (r->failure_count == r->failure_cap) {
        size_t cap = r->failure_cap ? r->failure_cap * 2 : 4;
        run_failure *p = realloc(r->failures, cap * sizeof *p);
        if (!p)
            abort(); /* a run that cannot record its failure must not pass */
        r->failures = p;
        r->failure_cap = cap;
    }
    r->failures[r->failure_count++] = (run_failure){strdup(check), strdup(message), NULL};
}

bool run_result_explain(run_result *r, const char *history)
{
    if (r->failure_count == 0 || !history)
        return false;
    run_failure *f = &r->failures[r->failure_count - 1];
    free(f->history);
    f->history = strdup(history);
    return f->history != NULL;
}
