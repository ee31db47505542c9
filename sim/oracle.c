/* oracle.c: the verdict every oracle keeps (see oracle.h). */
#include "sim/oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void oracle_violation(oracle_verdict *v, int64_t time_us, const char *fmt, ...)
{
    if (v->violations++ > 0)
        return;
    v->first_time_us = time_us;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->first, sizeof v->first, fmt, ap);
    va_end(ap);
}

const char *oracle_key_name(const char *full_key)
{
    const char *sep = strchr(full_key, '\x1f');
    return sep ? sep + 1 : full_key;
}
