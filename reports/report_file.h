/* report_file.h: writing a finished report to a file, with every error reported. */
#ifndef REPORT_FILE_H
#define REPORT_FILE_H

#include "core/json.h"

/* Writes b's bytes to path (replacing it). 0, or -1 with errno set (a short write or a failing
 * close counts as failure: a report cut short must not look complete). */
int report_write_file(const char *path, const vs_buf *b);

#endif
