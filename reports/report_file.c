/* report_file.c: a report's bytes to a file. */
#include "reports/report_file.h"

#include <errno.h>
#include <stdio.h>

int report_write_file(const char *path, const vs_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(b->data, 1, b->len, f);
    int err = n != b->len ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && !err)
        err = errno;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
