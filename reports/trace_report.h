/* trace_report.h: a run's history as JSON lines, one record per line, in time order.
 *
 *   {"t":1000000,"server":1,"what":"ds.update","outcome":"invoke","request":7,"player":0,
 *    "key":"Player_1","code":0,"version":0,"hash":"0000000000000000","detail":null}
 *
 * Keys always in that order; the same history gives the same bytes. */
#ifndef TRACE_REPORT_H
#define TRACE_REPORT_H

#include <stdio.h>

#include "core/json.h"
#include "sim/history.h"

/* Appends the trace to out. */
vs_status report_trace(const history *h, vs_buf *out);
/* Writes it to a file; 0, or -1 with errno set. */
int report_trace_write(const char *path, const history *h);

#endif
