/* text.h: the text of messages: clipping to fixed buffers, and values as messages show them.
 *
 * What it keeps true: a clipped text is always NUL-terminated, never longer than its buffer,
 * and never cut inside a UTF-8 character (a message cut there would be invalid UTF-8 in every
 * report that quotes it); a clipped text ends with "..." so the reader knows. One value
 * printer serves the engine's messages, the oracles and the runner, so a value reads the same
 * wherever it is shown. */
#ifndef VS_TEXT_H
#define VS_TEXT_H

#include <stddef.h>

#include "core/status.h"
#include "core/value.h"

/* Copies text (len bytes) into buf (size bytes), always NUL-terminated; when it does not fit
 * it is cut at a UTF-8 character boundary and ends with "...". Nothing happens when buf is
 * NULL or size is 0. */
void vs_text_clip(char *buf, size_t size, const char *text, size_t len);

/* The same with printf formatting; returns status, so that a caller can write
 * `return vs_text_clipf(why, size, VS_ERR_X, "...", ...);`. buf may be NULL (or size 0):
 * then only status is returned. */
vs_status vs_text_clipf(char *buf, size_t size, vs_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Text appended piece by piece into a fixed buffer, snprintf-style: the buffer (buf may be
 * NULL with size 0) always holds a NUL-terminated prefix, and len counts every byte asked
 * for, so after the last piece it is the length the whole text needs. */
typedef struct vs_text {
    char *buf;
    size_t size, len;
} vs_text;

void vs_text_appendf(vs_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The most bytes of a value shown inside a one-line message: enough to recognise it, short
 * enough to keep the line readable (a buffer of VS_TEXT_SHOWN_MAX + 1 bytes holds it). */
#define VS_TEXT_SHOWN_MAX 60

/* v as a message shows it, clipped to buf: its canonical JSON; "nothing" for NULL; "nan",
 * "inf" or "-inf" for a number JSON cannot hold; "a map that is not storable (why)" for
 * another value without JSON. */
void vs_text_value(const vs_value *v, char *buf, size_t size);

#endif
