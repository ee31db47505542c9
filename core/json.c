/* json.c: canonical JSON encoding, strict decoding, and the value hash (see json.h).
 *
 * What it keeps true: one value has one text. The encoder writes map keys in the order
 * vs_value keeps them, escapes only what JSON requires (plus DEL), and writes each number
 * as the fewest significant digits that strtod reads back to the same bits, laid out as
 * ECMAScript's Number::toString does (with "-0" for negative zero). The encoder never
 * writes an unstorable value; the decoder accepts RFC 8259 and nothing more, and never
 * recurses deeper than MAX_DEPTH, whatever the input.
 *
 * Locale: number text goes through snprintf("%e") and strtod, which follow LC_NUMERIC. The
 * engine never calls setlocale, so the "C" locale is in force. The encoder picks the digits
 * out of snprintf's text without looking at the decimal point, so its output would not
 * change under another locale, but the decoder's strtod would then refuse "1.5"; a program
 * that sets a locale must keep LC_NUMERIC at "C". */
#include "core/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Deeper nesting is refused: it bounds the decoder's recursion on hostile input, and no
 * profile needs it. */
#define MAX_DEPTH 512

/* The text hashed and measured is produced and consumed in pieces of this size, so neither
 * needs the whole text in memory. */
#define CHUNK_BYTES 4096

/* ---- buffers ---- */

/* An unallocated buffer points here, so that data[len] == '\0' holds from vs_buf_init on.
 * It is never written: cap == 0 marks data as not ours. */
static const char empty_text[1] = "";

void vs_buf_init(vs_buf *b)
{
    b->data = (char *)empty_text;
    b->len = 0;
    b->cap = 0;
}

void vs_buf_free(vs_buf *b)
{
    if (b->cap)
        free(b->data);
    vs_buf_init(b);
}

void vs_buf_clear(vs_buf *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0';
}

/* Room for extra more bytes and the NUL; changes nothing on failure. */
static vs_status reserve(vs_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        return VS_ERR_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return VS_OK;
    size_t cap = b->cap > 32 ? b->cap : 32;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *data = b->cap ? realloc(b->data, cap) : malloc(cap);
    if (!data)
        return VS_ERR_NOMEM;
    if (!b->cap)
        data[0] = '\0';
    b->data = data;
    b->cap = cap;
    return VS_OK;
}

/* s must not point into b itself (the buffer may move). */
vs_status vs_buf_append(vs_buf *b, const char *s, size_t len)
{
    if (len == 0)
        return VS_OK;
    if (!s)
        return VS_ERR_ARG;
    vs_status st = reserve(b, len);
    if (st != VS_OK)
        return st;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return VS_OK;
}

vs_status vs_buf_puts(vs_buf *b, const char *s)
{
    return s ? vs_buf_append(b, s, strlen(s)) : VS_ERR_ARG;
}

vs_status vs_buf_printf(vs_buf *b, const char *fmt, ...)
{
    vs_status st = reserve(b, 64);
    if (st != VS_OK)
        return st;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= room) {
        /* Too long for the first try: make room for all of it and format again. */
        st = reserve(b, (size_t)n);
        if (st == VS_OK)
            vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (n < 0)
        st = VS_ERR_ARG; /* an encoding error in a wide-character conversion */
    if (st != VS_OK) {
        b->data[b->len] = '\0'; /* the first try may have written a truncated piece */
        return st;
    }
    b->len += (size_t)n;
    return VS_OK;
}

/* ---- numbers ---- */

/* Splits "%.*e" text ("d.ddde-XX") into its digits and decimal exponent. */
static int split_sci(const char *sci, char *digits, int *exp10)
{
    int k = 0;
    const char *p = sci;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    *exp10 = (int)strtol(p + 1, NULL, 10);
    return k;
}

/* True when the k digits with exponent exp10 (d.ddd x 10^exp10) read back as x. */
static bool reads_back(const char *digits, int k, int exp10, double x)
{
    char text[48];
    int len = 0;
    text[len++] = digits[0];
    text[len++] = '.';
    for (int i = 1; i < k; i++)
        text[len++] = digits[i];
    snprintf(text + len, sizeof text - (size_t)len, "e%d", exp10);
    return strtod(text, NULL) == x;
}

/* The shortest digit string that reads back as the positive finite x, as ECMAScript's
 * Number::toString requires. For each length, the correctly rounded digits are tried first;
 * when they miss, the string one unit higher in the last digit is tried too, because at a
 * power of two the doubles that read back as x reach further above x than below it, so the
 * shortest string can be the upper neighbour of the nearest one (2^-24 is 5.960464477539063e-8,
 * not 5.9604644775390625e-8). The lower neighbour can never succeed where the nearest failed. */
static void shortest_digits(double x, char *digits, int *k_out, int *exp10)
{
    char sci[40];
    int k = 0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, x);
        k = split_sci(sci, digits, exp10);
        if (reads_back(digits, k, *exp10, x))
            break;
        char up[24];
        int up_exp = *exp10;
        memcpy(up, digits, (size_t)k);
        int i = k - 1;
        while (i >= 0 && up[i] == '9')
            up[i--] = '0';
        if (i >= 0) {
            up[i]++;
        } else { /* 99..9 + 1 = 100..0, one more power of ten */
            up[0] = '1';
            up_exp++;
        }
        if (reads_back(up, k, up_exp, x)) {
            memcpy(digits, up, (size_t)k);
            *exp10 = up_exp;
            break;
        }
    }
    while (k > 1 && digits[k - 1] == '0')
        k--;
    *k_out = k;
}

/* The canonical text of a finite double into text (at least 32 bytes); its length. */
static size_t number_text(double n, char *text)
{
    if (n == 0) {
        /* ECMAScript writes both zeros as "0"; "-0" keeps the sign through a round trip. */
        memcpy(text, signbit(n) ? "-0" : "0", signbit(n) ? 3 : 2);
        return signbit(n) ? 2 : 1;
    }
    /* Integers below 10^15 are the common case in player data; their shortest round-trip
     * text is their decimal digits, so the search below is not needed for them. */
    if (fabs(n) < 1e15 && n == (double)(int64_t)n) {
        int64_t v = (int64_t)n;
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        char rev[24];
        int m = 0;
        do {
            rev[m++] = (char)('0' + mag % 10);
            mag /= 10;
        } while (mag);
        size_t len = 0;
        if (v < 0)
            text[len++] = '-';
        while (m > 0)
            text[len++] = rev[--m];
        text[len] = '\0';
        return len;
    }
    char digits[24];
    int k = 0, exp10 = 0;
    bool neg = signbit(n);
    shortest_digits(fabs(n), digits, &k, &exp10);
    /* value = 0.d1..dk * 10^e, the n of ECMAScript's Number::toString. */
    int e = exp10 + 1;
    size_t len = 0;
    if (neg)
        text[len++] = '-';
    if (k <= e && e <= 21) {
        memcpy(text + len, digits, (size_t)k);
        len += (size_t)k;
        memset(text + len, '0', (size_t)(e - k));
        len += (size_t)(e - k);
    } else if (0 < e && e <= 21) {
        memcpy(text + len, digits, (size_t)e);
        len += (size_t)e;
        text[len++] = '.';
        memcpy(text + len, digits + e, (size_t)(k - e));
        len += (size_t)(k - e);
    } else if (-6 < e && e <= 0) {
        text[len++] = '0';
        text[len++] = '.';
        memset(text + len, '0', (size_t)-e);
        len += (size_t)-e;
        memcpy(text + len, digits, (size_t)k);
        len += (size_t)k;
    } else {
        text[len++] = digits[0];
        if (k > 1) {
            text[len++] = '.';
            memcpy(text + len, digits + 1, (size_t)(k - 1));
            len += (size_t)(k - 1);
        }
        len += (size_t)snprintf(text + len, 8, "e%c%d", e - 1 < 0 ? '-' : '+', abs(e - 1));
    }
    text[len] = '\0';
    return len;
}

vs_status vs_json_number(double n, vs_buf *out)
{
    if (!isfinite(n))
        return VS_ERR_NOT_FINITE;
    char text[40];
    size_t len = number_text(n, text);
    return vs_buf_append(out, text, len);
}

/* ---- encoding ---- */

/* Where encoded text goes: into a buffer, into a hash (in chunks), or only counted. */
typedef struct writer {
    vs_buf *out;        /* the text is appended here, when set */
    XXH3_state_t *hash; /* else the text is hashed, when set; else only counted */
    XXH3_state_t *part; /* hash mode: also hashed here while set (one member's text) */
    size_t len;         /* bytes written so far */
    char *chunk;        /* hash mode: CHUNK_BYTES of text waiting to be hashed */
    size_t chunk_len;
} writer;

static void hash_text(writer *w, const char *s, size_t n)
{
    XXH3_64bits_update(w->hash, s, n);
    if (w->part)
        XXH3_64bits_update(w->part, s, n);
}

static void flush_chunk(writer *w)
{
    hash_text(w, w->chunk, w->chunk_len);
    w->chunk_len = 0;
}

static vs_status put(writer *w, const char *s, size_t n)
{
    w->len += n;
    if (w->out)
        return vs_buf_append(w->out, s, n);
    if (!w->hash)
        return VS_OK;
    if (w->chunk_len + n > CHUNK_BYTES) {
        flush_chunk(w);
        if (n >= CHUNK_BYTES) {
            hash_text(w, s, n);
            return VS_OK;
        }
    }
    memcpy(w->chunk + w->chunk_len, s, n);
    w->chunk_len += n;
    return VS_OK;
}

static vs_status put_string(writer *w, const char *s, size_t len)
{
    vs_status st = put(w, "\"", 1);
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < len && st == VS_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F)
            continue;
        char esc[8];
        switch (c) {
        case '"': memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\b': memcpy(esc, "\\b", 3); break;
        case '\f': memcpy(esc, "\\f", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c); break;
        }
        st = put(w, s + run, i - run);
        if (st == VS_OK)
            st = put(w, esc, strlen(esc));
        run = i + 1;
    }
    if (st == VS_OK)
        st = put(w, s + run, len - run);
    if (st == VS_OK)
        st = put(w, "\"", 1);
    return st;
}

static vs_status put_map(writer *w, const vs_value *v, const char *member, XXH3_state_t *part);

/* Writes v, which the caller has checked is storable (so: no integer keys, no holes,
 * finite numbers). */
static vs_status put_value(writer *w, const vs_value *v)
{
    vs_status st = VS_OK;
    switch (vs_type_of(v)) {
    case VS_NIL: return put(w, "null", 4);
    case VS_BOOL: return vs_bool_of(v) ? put(w, "true", 4) : put(w, "false", 5);
    case VS_NUMBER: {
        double n = vs_number_of(v);
        if (!isfinite(n))
            return VS_ERR_NOT_FINITE;
        char text[40];
        return put(w, text, number_text(n, text));
    }
    case VS_STRING: {
        size_t len;
        const char *s = vs_string_of(v, &len);
        return put_string(w, s, len);
    }
    case VS_ARRAY:
        st = put(w, "[", 1);
        for (size_t i = 0; i < vs_array_len(v) && st == VS_OK; i++) {
            if (i > 0)
                st = put(w, ",", 1);
            if (st == VS_OK)
                st = put_value(w, vs_array_at(v, i));
        }
        return st == VS_OK ? put(w, "]", 1) : st;
    case VS_MAP: return put_map(w, v, NULL, NULL);
    }
    return VS_ERR_ARG;
}

/* Writes the map v; in hash mode, the text of its member named member (when not NULL) is
 * also hashed into part. */
static vs_status put_map(writer *w, const vs_value *v, const char *member, XXH3_state_t *part)
{
    size_t member_len = member ? strlen(member) : 0;
    vs_status st = put(w, "{", 1);
    for (size_t i = 0; i < vs_map_len(v) && st == VS_OK; i++) {
        size_t klen;
        const char *key = vs_map_key_at(v, i, &klen);
        if (i > 0)
            st = put(w, ",", 1);
        if (st == VS_OK)
            st = put_string(w, key, klen);
        if (st == VS_OK)
            st = put(w, ":", 1);
        bool marked = member && klen == member_len && memcmp(key, member, klen) == 0;
        if (marked) { /* the chunk holds text before the member: hash it without part */
            flush_chunk(w);
            w->part = part;
        }
        if (st == VS_OK)
            st = put_value(w, vs_map_value_at(v, i));
        if (marked) {
            flush_chunk(w);
            w->part = NULL;
        }
    }
    return st == VS_OK ? put(w, "}", 1) : st;
}

vs_status vs_json_encode(const vs_value *v, vs_buf *out)
{
    if (!out)
        return VS_ERR_ARG;
    vs_status st = vs_value_check_storable(v, 0, NULL);
    if (st != VS_OK)
        return st;
    size_t old_len = out->len;
    writer w = {.out = out};
    st = put_value(&w, v);
    if (st != VS_OK) {
        out->len = old_len;
        if (out->cap)
            out->data[old_len] = '\0';
    }
    return st;
}

vs_status vs_json_encoded_len(const vs_value *v, size_t *len)
{
    vs_status st = vs_value_check_storable(v, 0, NULL);
    if (st != VS_OK)
        return st;
    writer w = {.out = NULL};
    st = put_value(&w, v);
    if (st == VS_OK && len)
        *len = w.len;
    return st;
}

vs_status vs_json_string(const char *s, size_t len, vs_buf *out)
{
    if (!out || (!s && len))
        return VS_ERR_ARG;
    size_t old_len = out->len;
    writer w = {.out = out};
    vs_status st = put_string(&w, s ? s : "", len);
    if (st != VS_OK) {
        out->len = old_len;
        if (out->cap)
            out->data[old_len] = '\0';
    }
    return st;
}

vs_status vs_value_hash(const vs_value *v, uint64_t *out)
{
    vs_status st = vs_value_check_storable(v, 0, NULL);
    if (st != VS_OK)
        return st;
    /* The text is streamed into the hash in chunks, so hashing a large profile allocates
     * nothing but the hash state; XXH3's streaming result equals one-shot XXH3_64bits. */
    XXH3_state_t *state = XXH3_createState();
    if (!state || XXH3_64bits_reset(state) != XXH_OK) {
        XXH3_freeState(state);
        return VS_ERR_NOMEM;
    }
    char chunk[CHUNK_BYTES];
    writer w = {.hash = state, .chunk = chunk};
    st = put_value(&w, v);
    if (st == VS_OK) {
        flush_chunk(&w);
        if (out)
            *out = XXH3_64bits_digest(state);
    }
    XXH3_freeState(state);
    return st;
}

vs_status vs_json_digest_of(const vs_value *v, const char *member, vs_json_digest *out)
{
    *out = (vs_json_digest){0};
    vs_status st = vs_value_check_storable(v, 0, NULL);
    if (st != VS_OK)
        return st;
    bool with_member = member && vs_type_of(v) == VS_MAP && vs_map_get(v, member);
    XXH3_state_t *state = XXH3_createState(), *part = with_member ? XXH3_createState() : NULL;
    if (!state || XXH3_64bits_reset(state) != XXH_OK ||
        (with_member && (!part || XXH3_64bits_reset(part) != XXH_OK))) {
        XXH3_freeState(state);
        XXH3_freeState(part);
        return VS_ERR_NOMEM;
    }
    char chunk[CHUNK_BYTES];
    writer w = {.hash = state, .chunk = chunk};
    st = with_member ? put_map(&w, v, member, part) : put_value(&w, v);
    if (st == VS_OK) {
        flush_chunk(&w);
        out->len = w.len;
        out->hash = XXH3_64bits_digest(state);
        out->has_member = with_member;
        out->member_hash = with_member ? XXH3_64bits_digest(part) : 0;
    }
    XXH3_freeState(state);
    XXH3_freeState(part);
    return st;
}

/* ---- decoding ---- */

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    size_t err;  /* where the problem was found */
    vs_buf text; /* a string value's or a number's bytes */
    vs_buf keys; /* the keys of the objects being read, innermost last (a stack) */
} parser;

static vs_status fail(parser *p, size_t at)
{
    p->err = at;
    return VS_ERR_JSON;
}

static vs_status no_memory(parser *p)
{
    p->err = p->pos;
    return VS_ERR_NOMEM;
}

static void skip_space(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static vs_status parse_value(parser *p, unsigned depth, vs_value **out);

/* Four hex digits at pos; -1 (and p->err at the bad digit) when they are not there. */
static long hex4(parser *p)
{
    long cp = 0;
    for (int i = 0; i < 4; i++, p->pos++) {
        if (p->pos >= p->len) {
            fail(p, p->pos);
            return -1;
        }
        char c = p->s[p->pos];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            fail(p, p->pos);
            return -1;
        }
        cp = cp * 16 + d;
    }
    return cp;
}

static vs_status append_utf8(parser *p, vs_buf *into, long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return vs_buf_append(into, u, n) == VS_OK ? VS_OK : no_memory(p);
}

/* The escape at pos (a backslash), appended to into decoded. */
static vs_status parse_escape(parser *p, vs_buf *into)
{
    size_t at = p->pos++;
    if (p->pos >= p->len)
        return fail(p, p->pos);
    char e = p->s[p->pos++];
    char c;
    switch (e) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': {
        long cp = hex4(p);
        if (cp < 0)
            return VS_ERR_JSON;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(p, at); /* a low surrogate with no high one before it */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* Only a low surrogate escape may follow; anything else leaves this one alone. */
            if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                return fail(p, at);
            p->pos += 2;
            long lo = hex4(p);
            if (lo < 0)
                return VS_ERR_JSON;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail(p, at);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        return append_utf8(p, into, cp);
    }
    default:
        return fail(p, at);
    }
    return vs_buf_append(into, &c, 1) == VS_OK ? VS_OK : no_memory(p);
}

/* The string at pos (a quote), appended to into decoded. */
static vs_status parse_string(parser *p, vs_buf *into)
{
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, p->pos); /* unterminated */
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return VS_OK;
        }
        if (c == '\\') {
            vs_status st = parse_escape(p, into);
            if (st != VS_OK)
                return st;
            continue;
        }
        if (c < 0x20)
            return fail(p, p->pos); /* a raw control character */
        /* A run of plain bytes: all ASCII delimiters end it, and none of them can sit inside
         * a valid multi-byte sequence, so the run is checked as a whole. */
        size_t start = p->pos;
        while (p->pos < p->len) {
            c = (unsigned char)p->s[p->pos];
            if (c == '"' || c == '\\' || c < 0x20)
                break;
            p->pos++;
        }
        size_t good = vs_utf8_valid_prefix(p->s + start, p->pos - start);
        if (good < p->pos - start)
            return fail(p, start + good);
        if (vs_buf_append(into, p->s + start, p->pos - start) != VS_OK)
            return no_memory(p);
    }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void skip_digits(parser *p)
{
    while (p->pos < p->len && is_digit(p->s[p->pos]))
        p->pos++;
}

/* The JSON number grammar exactly, then strtod on the text it matched. */
static vs_status parse_number(parser *p, vs_value **out)
{
    size_t start = p->pos;
    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->len && is_digit(p->s[p->pos]))
            return fail(p, p->pos); /* a leading zero */
    } else if (p->pos < p->len && is_digit(p->s[p->pos])) {
        skip_digits(p);
    } else {
        return fail(p, p->pos);
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos]))
            return fail(p, p->pos);
        skip_digits(p);
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos]))
            return fail(p, p->pos);
        skip_digits(p);
    }
    vs_buf_clear(&p->text);
    if (vs_buf_append(&p->text, p->s + start, p->pos - start) != VS_OK)
        return no_memory(p);
    char *end;
    double n = strtod(p->text.data, &end);
    /* end short of the text would mean a locale with another decimal point (see the top). */
    if (end != p->text.data + p->text.len || isinf(n))
        return fail(p, start);
    *out = vs_new_number(n);
    return *out ? VS_OK : no_memory(p);
}

static vs_status parse_literal(parser *p, const char *word, vs_value *v, vs_value **out)
{
    if (!v)
        return no_memory(p);
    for (size_t i = 0; word[i]; i++, p->pos++) {
        if (p->pos >= p->len || p->s[p->pos] != word[i]) {
            vs_free(v);
            return fail(p, p->pos);
        }
    }
    *out = v;
    return VS_OK;
}

/* After an array item or an object member: 0 when a ',' (and space) was read and another
 * follows, 1 when the closing bracket was read, -1 when neither is there. */
static int after_item(parser *p, char close)
{
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
        p->pos++;
        skip_space(p);
        return 0;
    }
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 1;
    }
    return -1;
}

static vs_status parse_array(parser *p, unsigned depth, vs_value **out)
{
    if (depth >= MAX_DEPTH)
        return fail(p, p->pos);
    vs_value *arr = vs_new_array();
    if (!arr)
        return no_memory(p);
    p->pos++;
    skip_space(p);
    vs_status st = VS_OK;
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        *out = arr;
        return VS_OK;
    }
    for (;;) {
        vs_value *item = NULL;
        st = parse_value(p, depth + 1, &item);
        if (st != VS_OK)
            break;
        if (vs_array_push(arr, item) != VS_OK) {
            st = no_memory(p);
            break;
        }
        int after = after_item(p, ']');
        if (after == 0)
            continue;
        if (after == 1) {
            *out = arr;
            return VS_OK;
        }
        st = fail(p, p->pos);
        break;
    }
    vs_free(arr);
    return st;
}

/* One member "key": value into map. The key is kept on p->keys while the value is read,
 * because the value may hold objects of its own. */
static vs_status parse_member(parser *p, unsigned depth, vs_value *map)
{
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return fail(p, p->pos);
    size_t key_at = p->pos;
    size_t key_off = p->keys.len;
    vs_status st = parse_string(p, &p->keys);
    if (st != VS_OK)
        return st;
    size_t key_len = p->keys.len - key_off;
    if (vs_map_get_n(map, p->keys.data + key_off, key_len))
        return fail(p, key_at); /* a duplicate key */
    skip_space(p);
    if (p->pos >= p->len || p->s[p->pos] != ':')
        return fail(p, p->pos);
    p->pos++;
    skip_space(p);
    vs_value *item = NULL;
    st = parse_value(p, depth + 1, &item);
    if (st != VS_OK)
        return st;
    /* p->keys may have moved while the value was read: find the key by offset. */
    if (vs_map_set_n(map, p->keys.data + key_off, key_len, item) != VS_OK)
        return no_memory(p);
    p->keys.len = key_off;
    return VS_OK;
}

static vs_status parse_object(parser *p, unsigned depth, vs_value **out)
{
    if (depth >= MAX_DEPTH)
        return fail(p, p->pos);
    vs_value *map = vs_new_map();
    if (!map)
        return no_memory(p);
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        *out = map;
        return VS_OK;
    }
    vs_status st;
    for (;;) {
        st = parse_member(p, depth, map);
        if (st != VS_OK)
            break;
        int after = after_item(p, '}');
        if (after == 0)
            continue;
        if (after == 1) {
            *out = map;
            return VS_OK;
        }
        st = fail(p, p->pos);
        break;
    }
    vs_free(map);
    return st;
}

static vs_status parse_value(parser *p, unsigned depth, vs_value **out)
{
    if (p->pos >= p->len)
        return fail(p, p->pos);
    switch (p->s[p->pos]) {
    case '{': return parse_object(p, depth, out);
    case '[': return parse_array(p, depth, out);
    case '"': {
        vs_buf_clear(&p->text);
        vs_status st = parse_string(p, &p->text);
        if (st != VS_OK)
            return st;
        *out = vs_new_string_n(p->text.data, p->text.len);
        return *out ? VS_OK : no_memory(p);
    }
    case 't': return parse_literal(p, "true", vs_new_bool(true), out);
    case 'f': return parse_literal(p, "false", vs_new_bool(false), out);
    case 'n': return parse_literal(p, "null", vs_new_nil(), out);
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
            return parse_number(p, out);
        return fail(p, p->pos);
    }
}

vs_status vs_json_decode(const char *text, size_t len, vs_value **out, size_t *error_offset)
{
    if (!out)
        return VS_ERR_ARG;
    *out = NULL;
    if (!text && len)
        return VS_ERR_ARG;
    parser p = {.s = text ? text : "", .len = len};
    vs_buf_init(&p.text);
    vs_buf_init(&p.keys);
    vs_value *v = NULL;
    skip_space(&p);
    vs_status st = parse_value(&p, 0, &v);
    if (st == VS_OK) {
        skip_space(&p);
        if (p.pos != p.len)
            st = fail(&p, p.pos); /* something after the value */
    }
    vs_buf_free(&p.text);
    vs_buf_free(&p.keys);
    if (st != VS_OK) {
        vs_free(v);
        if (error_offset)
            *error_offset = p.err;
        return st;
    }
    *out = v;
    return VS_OK;
}
