/* json_report.h: the machine-readable report of a set of runs.
 *
 *   {"runs":[{"scenario","name","seed","status","fingerprint","events","sim_time_us",
 *             "swarm","swarm_faults","failures":[{"check","message"}]}],
 *    "summary":{"runs","passed","failed"}}
 *
 * Keys in that order, no white space but a newline at the end; the same results give the
 * same bytes. */
#ifndef REPORT_JSON_H
#define REPORT_JSON_H

#include <stddef.h>

#include "core/json.h"
#include "sim/result.h"

/* Appends the report to out. */
vs_status report_json(const run_result *runs, size_t count, vs_buf *out);

/* Writes the report to a file; returns 0, or -1 with errno set. */
int report_json_write(const char *path, const run_result *runs, size_t count);

#endif
