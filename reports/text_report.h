/* text_report.h: the plain-text report, one line per run and a summary line.
 *
 *   PASS scenarios/basic/coins.yaml seed=1 fingerprint=<32 hex> events=52 sim_time=71.2s
 *   FAIL ... then one indented line per failure and the command that reproduces the run
 *   scenarios: 99 passed, 1 failed
 *
 * Nothing here depends on the wall clock or the machine: the same results give the same text. */
#ifndef REPORT_TEXT_H
#define REPORT_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "sim/result.h"

/* command is how to invoke vstore in the reproduce line ("build/vstore"). */
void report_text_run(FILE *out, const run_result *r, const char *command);
void report_text_summary(FILE *out, size_t passed, size_t failed);

#endif
