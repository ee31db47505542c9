/* json.h: canonical JSON, the stored form of every profile and the input of every hash.
 *
 * Canonical means one text per value: map keys in sorted order (as vs_value keeps them), no
 * insignificant white space, strings escaped minimally ("\"", "\\", and control characters;
 * everything else, including non-ASCII UTF-8, written as is), and numbers in the shortest
 * form that reads back as exactly the same double (ECMAScript Number::toString digits and layout, except
 * that -0 is written "-0" so that it round-trips). So encode(decode(encode(v))) is
 * byte-identical to encode(v), and decode(encode(v)) equals v, for every storable v. */
#ifndef VS_JSON_H
#define VS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/value.h"

/* A growable byte buffer, always NUL-terminated after its len bytes. */
typedef struct vs_buf {
    char *data;
    size_t len;
    size_t cap;
} vs_buf;

void vs_buf_init(vs_buf *b);
void vs_buf_free(vs_buf *b);
void vs_buf_clear(vs_buf *b); /* len = 0, keeps the memory */
vs_status vs_buf_append(vs_buf *b, const char *s, size_t len);
vs_status vs_buf_puts(vs_buf *b, const char *s);
vs_status vs_buf_printf(vs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends the canonical JSON of v to out. Fails with VS_ERR_NOT_FINITE, VS_ERR_MIXED_TABLE,
 * VS_ERR_ARRAY_HOLE or VS_ERR_UTF8 for a value that is not storable (out is then left as it
 * was). */
vs_status vs_json_encode(const vs_value *v, vs_buf *out);

/* The length of the canonical JSON of v without building it (what the store's size limit
 * is measured on); fails as vs_json_encode does. */
vs_status vs_json_encoded_len(const vs_value *v, size_t *len);

/* What a store keeps of a value it commits, from one walk over it: the length of its canonical
 * JSON (as vs_json_encoded_len), its hash (as vs_value_hash), and, when member is not NULL and
 * v is a map holding that member, the member's own hash (as vs_value_hash of its value). */
typedef struct vs_json_digest {
    size_t len;
    uint64_t hash;
    bool has_member;
    uint64_t member_hash;
} vs_json_digest;

/* Fails as vs_value_hash does (out is then all zero). */
vs_status vs_json_digest_of(const vs_value *v, const char *member, vs_json_digest *out);

/* Appends the shortest round-trip text of a finite double ("0.1", "1e+21", "-0", "5"). */
vs_status vs_json_number(double n, vs_buf *out);

/* Appends s as a JSON string literal with quotes (for writers of reports: it does not check
 * UTF-8; bytes >= 0x80 are copied as they are). */
vs_status vs_json_string(const char *s, size_t len, vs_buf *out);

/* Parses exactly one JSON value (RFC 8259; surrounding white space allowed, nothing else).
 * On failure returns VS_ERR_JSON (or VS_ERR_NOMEM) and, if error_offset is not NULL, the byte
 * offset where parsing stopped. Duplicate keys in one object, invalid UTF-8, lone surrogate
 * escapes and numbers that overflow to infinity are errors. */
vs_status vs_json_decode(const char *text, size_t len, vs_value **out, size_t *error_offset);

/* XXH3-64 of the canonical JSON of v; fails as vs_json_encode does for unstorable values. */
vs_status vs_value_hash(const vs_value *v, uint64_t *out);

#endif
