/* text.c: the text of messages (see text.h). */
#include "core/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

void vs_text_clip(char *buf, size_t size, const char *text, size_t len)
{
    if (!buf || size == 0)
        return;
    if (!text)
        len = 0;
    if (len < size) {
        if (len)
            memcpy(buf, text, len);
        buf[len] = '\0';
        return;
    }
    size_t dots = size > 4 ? 3 : 0;
    size_t cut = size - 1 - dots;
    /* Back up to the start of a character: a message cut inside a UTF-8 sequence would be
     * invalid UTF-8 in every report that quotes it. */
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, text, cut);
    memcpy(buf + cut, "...", dots);
    buf[cut + dots] = '\0';
}

vs_status vs_text_clipf(char *buf, size_t size, vs_status status, const char *fmt, ...)
{
    if (!buf || size == 0 || !fmt)
        return status;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    /* Formatted in full first and clipped after, so a cut never splits a character. */
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!text) {
        const char *fallback = vs_status_message(status);
        vs_text_clip(buf, size, fallback, strlen(fallback));
        return status;
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    vs_text_clip(buf, size, text, (size_t)n);
    free(text);
    return status;
}

void vs_text_appendf(vs_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = t->buf && t->len < t->size ? vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap)
                                       : vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

void vs_text_value(const vs_value *v, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (!v) {
        vs_text_clip(buf, size, "nothing", 7);
        return;
    }
    vs_buf b;
    vs_buf_init(&b);
    vs_status st = vs_json_encode(v, &b);
    if (st == VS_OK) {
        vs_text_clip(buf, size, b.data, b.len);
    } else if (vs_type_of(v) == VS_NUMBER) { /* a NaN read from a profile that is not storable */
        double n = vs_number_of(v);
        vs_text_clipf(buf, size, st, "%s", isnan(n) ? "nan" : n > 0 ? "inf" : "-inf");
    } else {
        vs_text_clipf(buf, size, st, "a %s that is not storable (%s)", vs_type_name(vs_type_of(v)),
                      vs_status_message(st));
    }
    vs_buf_free(&b);
}
