/* loader.c: YAML scenario files to scenario structs, with file:line:col errors.
 *
 * Three layers, in this order in the file:
 *   1. bytes: the size limit, NUL bytes and strict UTF-8, checked before libfyaml sees the
 *      text (libfyaml 0.7 can hang on some invalid UTF-8);
 *   2. tree: libfyaml's event parser feeds a small tree of nodes that keep their 1-based line
 *      and column (libfyaml 0.7 has no public position for a mapping or a sequence). Anchors
 *      and aliases are resolved as the tree is built (an alias shares its anchor's node),
 *      merge keys (<<) are applied when their mapping ends, and duplicate keys, unknown
 *      anchors, unsupported tags, nesting deeper than MAX_DEPTH and alias bombs are refused;
 *   3. schema: table-driven readers, one key table per mapping of the format (a new key is a
 *      new row), one variant table for step actions, one for expectation kinds and one for
 *      the kinds of a step list, and the YAML-to-vs_value conversion (YAML 1.2 core schema,
 *      Luau table semantics for integer keys) used for templates and values. Three mappings
 *      are read against tables owned elsewhere: `platform` against sim/limits.h (any row of
 *      limit_params is a key, its unit decides what the value must be), a fault against
 *      faults/fault_fields.h (a key its kind does not read is refused) and a `count` counter
 *      against sim/history.h. The engine's own rules are not repeated here: step lists are
 *      built with vs_steps_push_*, migrations checked with vs_migrations_check, validators
 *      added with vs_validators_add_steps and the retry policy checked with
 *      vs_retry_policy_check, and their refusals are reported at the step or key they concern.
 *
 * Server ids may be used (in steps, faults and expectations) before `servers` is read, and
 * products bought, handlers delivered to and the leaderboard read before `store` is read, so
 * every use is noted as it is read and checked at the end against the declared servers,
 * products, handlers and leaderboard, together with the steps against the duration. Lists that may be long (purchase ids, product
 * ids, handler names, migrations' versions) are checked for duplicates by sorting, never pair
 * by pair. Step lists are read the same way wherever they appear; only an operation
 * handler's list is given a payload, so only there may a step take an operand `from` it.
 *
 * What it keeps true: it never prints and does no I/O besides reading the one file; on
 * failure *out is NULL and err holds the first error found, with a 1-based position and a
 * message that says what was expected and what was found; nothing leaks on any path; on
 * success the steps are sorted by time (equal times keep file order), every step lies in
 * [0, duration), the servers are sorted by id with at least one (id 1 when the file declares
 * none), every server id used anywhere is declared, every purchase names a declared product
 * and has its own id, every delivery names a declared handler, handler names are unique,
 * every leaderboard_check has the store's leaderboard to read, the public paths are the
 * normalised set of vs_public_build, and the migrations pass vs_migrations_check against the
 * schema. */
#include "scenarios/loader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfyaml.h>

#include "core/migrate.h"
#include "core/path.h"
#include "core/retry.h"
#include "core/status.h"
#include "core/steps.h"
#include "core/store.h"
#include "core/validate.h"
#include "core/value.h"
#include "faults/fault.h"
#include "faults/fault_fields.h"
#include "sim/history.h"
#include "sim/limits.h"

#define MAX_FILE_BYTES ((size_t)16 << 20) /* 16 MiB */
#define MAX_DEPTH 256                      /* nesting of collections, aliases expanded */
#define MAX_ALIAS_COST ((uint64_t)64 << 20) /* what aliases may add, in approximate bytes */
#define NODE_COST 32                       /* approximate bytes per value, for the above */
#define MAX_QUOTE_CHARS 40                 /* characters of user text quoted in a message */
#define MAX_KEYS 48                        /* keys of one mapping of the format */
#define MAX_SUGGEST_LEN 64                 /* longer unknown keys get no suggestion */
#define STORE_NAME_MAX_CHARS 50            /* PLATFORM.md: names of stores */
#define MAX_EXACT_INT 9007199254740992.0   /* 2^53 */
#define EXACT_INT_MAX ((int64_t)1 << 53)    /* the same, as an integer */
#define MAX_SERVER_ID 64                   /* fault.h: a server mask has 64 bits */
#define PPM_MAX 1000000                    /* parts per million: all of it */
#define PAGE_SIZE_MAX 100                  /* PLATFORM.md: GetSortedAsync pageSize */
#define PAGE_SIZE_DEFAULT 10
#define MAX_MIGRATIONS 10000               /* vs_migrations_check is quadratic in the count */
#define OP_ID_MAX_BYTES 100                /* an operation id (deliver, dead_letter) */
#define HANDLER_NAME_MAX_BYTES 63          /* core/store.c keeps a handler's name in 64 bytes
                                              and vs_store_deliver refuses a longer one */
#define NODE_BLOCK 256

/* ------------------------------------------------------------------------------------------
 * The tree
 * ---------------------------------------------------------------------------------------- */

typedef enum node_kind { NODE_SCALAR, NODE_SEQ, NODE_MAP, NODE_ALIAS } node_kind;

/* The YAML core tags the loader understands; any other tag is an error. */
typedef enum node_tag {
    TAG_NONE,
    TAG_STR,
    TAG_INT,
    TAG_FLOAT,
    TAG_BOOL,
    TAG_NULL,
    TAG_SEQ,
    TAG_MAP,
    TAG_MERGE,
} node_tag;

typedef struct node node;
struct node {
    node_kind kind;
    node_tag tag;
    enum fy_scalar_style style; /* scalars */
    int line, column;           /* 1-based */
    char *text;                 /* scalars: the content, NUL-terminated (may hold NULs) */
    size_t len;
    node **items; /* seq: the items; map: key, value, key, value, ... */
    size_t count; /* entries of items (a map has count / 2 pairs) */
    size_t cap;
    node *target;  /* alias: the anchored node */
    uint64_t cost; /* approximate bytes once aliases are expanded (saturating) */
    int depth;     /* collections nested inside, aliases expanded (0 for a scalar) */
};

typedef struct node_block {
    struct node_block *next;
    size_t used;
    node nodes[NODE_BLOCK];
} node_block;

typedef struct anchor {
    char *name;
    size_t len;
    node *target;
} anchor;

/* Anchor name -> the node that last took it. Open addressing; only looked up by name, so
 * the bucket order never reaches a decision. */
typedef struct anchor_table {
    anchor *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} anchor_table;

typedef struct frame {
    node *n;
    char *anchor; /* the anchor to give n when it ends, or NULL */
    size_t anchor_len;
} frame;

/* ------------------------------------------------------------------------------------------
 * The reader: everything one load needs
 * ---------------------------------------------------------------------------------------- */

/* A server id used by a step, a fault or an expectation. */
typedef struct server_ref {
    node *at;               /* the id's value, or the action's mapping for a default */
    int id;
    const char *by_default; /* "join" when the id is that action's default, else NULL */
} server_ref;

typedef struct reader {
    const char *text;
    size_t len;
    loader_error *err;
    bool failed;

    node_block *blocks;
    uint64_t literal_cost; /* cost of the nodes written in the file */
    anchor_table anchors;
    frame *stack;
    size_t depth, stack_cap;
    node *root;
    int last_line, last_column; /* the position of the last event */
    int end_line, end_column;   /* where the last event with an end mark ended */

    node **step_at;      /* per step: the 'at' value, for the check against the duration */
    node **step_id;      /* per step: a purchase's id, for the check that ids are unique */
    node **step_product; /* per step: a purchase's product, checked against the catalogue */
    node **step_handler; /* per step: a delivery's handler, checked against the store's */
    node **step_action;  /* per step: its action's key, for checks at the end */
    node *duration_node; /* the 'duration' value */
    server_ref *refs;    /* every use of a server id, in file order, checked at the end */
    size_t nrefs, refs_cap;
} reader;

static void trim_utf8_tail(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
        i--;
    if (i > 0 && (unsigned char)s[i - 1] >= 0xC0) {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (i - 1) < need)
            s[i - 1] = '\0';
    }
}

static void set_error(loader_error *err, int line, int column, const char *fmt, va_list ap)
{
    err->line = line >= 1 ? line : 1;
    err->column = column >= 1 ? column : 1;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    trim_utf8_tail(err->message);
}

static void set_file(loader_error *err, const char *file)
{
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    trim_utf8_tail(err->file);
}

static void plain_error(loader_error *err, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plain_error(loader_error *err, const char *file, const char *fmt, ...)
{
    va_list ap;
    set_file(err, file);
    va_start(ap, fmt);
    set_error(err, 1, 1, fmt, ap);
    va_end(ap);
}

/* Records the first error of a load; later ones are ignored. Always returns -1. */
static int fail_at(reader *r, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(reader *r, int line, int column, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    set_error(r->err, line, column, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_node(reader *r, const node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_node(reader *r, const node *n, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    set_error(r->err, n->line, n->column, fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(reader *r, const node *n)
{
    return n ? fail_node(r, n, "out of memory") : fail_at(r, 1, 1, "out of memory");
}

/* ------------------------------------------------------------------------------------------
 * Text helpers
 * ---------------------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it is not one:
 * strict (no overlong forms, no surrogates, nothing above U+10FFFF, nothing truncated). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Characters (code points, or stray bytes) in s. */
static size_t char_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* User text for a message: at most MAX_QUOTE_CHARS characters ("..." when cut), control
 * characters and bytes that are not UTF-8 escaped, so a message stays one printable line. */
static const char *quote(char *buf, size_t size, const char *s, size_t len)
{
    size_t o = 0, chars = 0, i = 0;
    buf[0] = '\0';
    while (i < len && o + 8 < size) {
        if (chars == MAX_QUOTE_CHARS) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        if (c == '\n' || c == '\t' || c == '\r') {
            buf[o++] = '\\';
            buf[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
            i++;
        } else if (n == 0 || c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02X", c);
            i++;
        } else {
            if (o + n + 1 >= size)
                break;
            memcpy(buf + o, s + i, n);
            o += n;
            i += n;
        }
        chars++;
    }
    buf[o] = '\0';
    return buf;
}

#define QBUF 256
#define DBUF (QBUF + 32) /* describe(): a quote plus a few words */

/* ------------------------------------------------------------------------------------------
 * 1. Bytes
 * ---------------------------------------------------------------------------------------- */

/* The 1-based line and column of byte off. Lines end at LF, CR LF or a lone CR; the column
 * counts characters. */
static void position_of(const char *text, size_t len, size_t off, int *line, int *column)
{
    long l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\n' || (b == '\r' && !(i + 1 < len && text[i + 1] == '\n'))) {
            l++;
            c = 1;
        } else if (b != '\r' && (b & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l > INT_MAX ? INT_MAX : (int)l;
    *column = c > INT_MAX ? INT_MAX : (int)c;
}

static int check_bytes(reader *r)
{
    if (r->len > MAX_FILE_BYTES)
        return fail_at(r, 1, 1, "the file is too large: %zu bytes, at most 16 MiB (%zu bytes)",
                       r->len, MAX_FILE_BYTES);
    const unsigned char *p = (const unsigned char *)r->text;
    size_t i = 0;
    while (i < r->len) {
        if (p[i] == 0) {
            int line, column;
            position_of(r->text, r->len, i, &line, &column);
            return fail_at(r, line, column, "NUL byte in the file");
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_seq(p + i, r->len - i);
        if (n == 0) {
            int line, column;
            position_of(r->text, r->len, i, &line, &column);
            return fail_at(r, line, column,
                           "invalid UTF-8 (byte 0x%02X): scenario files must be UTF-8 text",
                           p[i]);
        }
        i += n;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * 2. The tree
 * ---------------------------------------------------------------------------------------- */

static node *deref(node *n)
{
    while (n && n->kind == NODE_ALIAS)
        n = n->target;
    return n;
}

static uint64_t cost_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX / 2 || b > UINT64_MAX / 2 ? UINT64_MAX / 2 : a + b;
}

static void tree_free(reader *r)
{
    node_block *b = r->blocks;
    while (b) {
        node_block *next = b->next;
        for (size_t i = 0; i < b->used; i++) {
            free(b->nodes[i].text);
            free(b->nodes[i].items);
        }
        free(b);
        b = next;
    }
    r->blocks = NULL;
    for (size_t i = 0; i < r->anchors.cap; i++)
        free(r->anchors.slots[i].name);
    free(r->anchors.slots);
    r->anchors.slots = NULL;
    for (size_t i = 0; i < r->depth; i++)
        free(r->stack[i].anchor);
    free(r->stack);
    r->stack = NULL;
    r->depth = 0;
}

/* The 1-based position of a mark; an event without one (an empty scalar) is placed where
 * the previous event ended (just after "key:"). */
static void mark_position(reader *r, const struct fy_mark *m, int *line, int *column)
{
    if (m) {
        r->last_line = m->line + 1;
        r->last_column = m->column + 1;
    } else {
        r->last_line = r->end_line;
        r->last_column = r->end_column;
    }
    *line = r->last_line;
    *column = r->last_column;
}

static void note_end(reader *r, struct fy_event *ev)
{
    const struct fy_mark *m = fy_event_end_mark(ev);
    if (m) {
        r->end_line = m->line + 1;
        r->end_column = m->column + 1;
    }
}

static node *new_node(reader *r, node_kind kind, int line, int column)
{
    if (!r->blocks || r->blocks->used == NODE_BLOCK) {
        node_block *b = calloc(1, sizeof *b);
        if (!b)
            return NULL;
        b->next = r->blocks;
        r->blocks = b;
    }
    node *n = &r->blocks->nodes[r->blocks->used++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->column = column;
    return n;
}

static int push_item(node *parent, node *child)
{
    if (parent->count == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        node **items = realloc(parent->items, cap * sizeof *items);
        if (!items)
            return -1;
        parent->items = items;
        parent->cap = cap;
    }
    parent->items[parent->count++] = child;
    return 0;
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

static anchor *anchor_slot(const anchor_table *t, const char *name, size_t len)
{
    if (t->cap == 0)
        return NULL;
    size_t i = (size_t)fnv1a(name, len) & (t->cap - 1);
    for (;;) {
        anchor *a = &t->slots[i];
        if (!a->name || (a->len == len && memcmp(a->name, name, len) == 0))
            return a;
        i = (i + 1) & (t->cap - 1);
    }
}

static node *anchor_find(const anchor_table *t, const char *name, size_t len)
{
    anchor *a = anchor_slot(t, name, len);
    return a && a->name ? a->target : NULL;
}

/* Gives the anchor to target, taking ownership of name (also on failure). */
static int anchor_put(anchor_table *t, char *name, size_t len, node *target)
{
    if ((t->count + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        anchor *slots = calloc(cap, sizeof *slots);
        if (!slots) {
            free(name);
            return -1;
        }
        anchor_table bigger = {slots, cap, 0};
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].name) {
                *anchor_slot(&bigger, t->slots[i].name, t->slots[i].len) = t->slots[i];
                bigger.count++;
            }
        }
        free(t->slots);
        *t = bigger;
    }
    anchor *a = anchor_slot(t, name, len);
    if (a->name) {
        free(name); /* a later anchor with the same name takes it over */
    } else {
        a->name = name;
        a->len = len;
        t->count++;
    }
    a->target = target;
    return 0;
}

static char *token_text_copy(struct fy_token *t, size_t *len)
{
    size_t n = 0;
    const char *s = t ? fy_token_get_text(t, &n) : NULL;
    if (!s)
        n = 0;
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    if (n)
        memcpy(copy, s, n);
    copy[n] = '\0';
    *len = n;
    return copy;
}

/* --- the YAML 1.2 core schema --- */

static bool text_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

static bool match_null(const char *s, size_t len)
{
    return len == 0 || text_is(s, len, "~") || text_is(s, len, "null") ||
           text_is(s, len, "Null") || text_is(s, len, "NULL");
}

static bool match_bool(const char *s, size_t len, bool *value)
{
    if (text_is(s, len, "true") || text_is(s, len, "True") || text_is(s, len, "TRUE")) {
        *value = true;
        return true;
    }
    if (text_is(s, len, "false") || text_is(s, len, "False") || text_is(s, len, "FALSE")) {
        *value = false;
        return true;
    }
    return false;
}

static bool is_digit_of(char c, unsigned base)
{
    if (base == 8)
        return c >= '0' && c <= '7';
    if (base == 16)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return c >= '0' && c <= '9';
}

static unsigned digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
static bool match_int(const char *s, size_t len)
{
    size_t i = 0;
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        base = s[1] == 'o' ? 8 : 16;
        i = 2;
    } else if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        i = 1;
    }
    if (i == len)
        return false;
    for (; i < len; i++)
        if (!is_digit_of(s[i], base))
            return false;
    return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?\.(inf|Inf|INF), \.(nan|NaN|NAN) */
static bool match_float(const char *s, size_t len)
{
    size_t i = 0;
    if (text_is(s, len, ".nan") || text_is(s, len, ".NaN") || text_is(s, len, ".NAN"))
        return true;
    if (len > 0 && (s[0] == '-' || s[0] == '+'))
        i = 1;
    if (text_is(s + i, len - i, ".inf") || text_is(s + i, len - i, ".Inf") ||
        text_is(s + i, len - i, ".INF"))
        return true;
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        int_digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            frac_digits++;
        }
        if (int_digits == 0 && frac_digits == 0)
            return false;
    } else if (int_digits == 0) {
        return false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t exp_digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    return i == len;
}

typedef enum scalar_type { S_NULL, S_BOOL, S_INT, S_FLOAT, S_STRING } scalar_type;

/* What a scalar node is: its tag if it has one, else the core schema for plain scalars, and
 * a string for every quoted or block scalar. Tagged scalars were checked against their tag
 * when they were read. */
static scalar_type classify(const node *n)
{
    bool b;
    switch (n->tag) {
    case TAG_STR: return S_STRING;
    case TAG_INT: return S_INT;
    case TAG_FLOAT: return S_FLOAT;
    case TAG_BOOL: return S_BOOL;
    case TAG_NULL: return S_NULL;
    default: break;
    }
    if (n->style != FYSS_PLAIN)
        return S_STRING;
    if (match_null(n->text, n->len))
        return S_NULL;
    if (match_bool(n->text, n->len, &b))
        return S_BOOL;
    if (match_int(n->text, n->len))
        return S_INT;
    if (match_float(n->text, n->len))
        return S_FLOAT;
    return S_STRING;
}

/* The exact value of an integer in one of the core forms, computed with a small big number
 * so that "exactly representable as a double" is decided exactly. */
typedef struct int_value {
    bool negative;
    bool fits_u64; /* the magnitude fits in 64 bits */
    uint64_t mag;
    bool exact; /* the value is exactly a (finite) double */
    double d;
} int_value;

#define BIG_LIMBS 48 /* 1536 bits */

static bool big_bit(const uint32_t *limb, size_t k)
{
    return (limb[k / 32] >> (k % 32)) & 1u;
}

static void int_value_of(const char *s, size_t len, int_value *v)
{
    memset(v, 0, sizeof *v);
    size_t i = 0;
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        base = s[1] == 'o' ? 8 : 16;
        i = 2;
    } else if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        v->negative = s[0] == '-';
        i = 1;
    }
    while (i < len && s[i] == '0')
        i++;
    size_t digits = len - i;
    size_t max_digits = base == 10 ? 400 : base == 16 ? 300 : 400; /* < 1536 bits */
    if (digits > max_digits) {
        v->d = v->negative ? -HUGE_VAL : HUGE_VAL;
        return;
    }
    uint32_t limb[BIG_LIMBS] = {0};
    size_t used = 0; /* limbs that may be non-zero */
    for (; i < len; i++) {
        uint64_t carry = digit_value(s[i]);
        for (size_t k = 0; k < used; k++) {
            uint64_t x = (uint64_t)limb[k] * base + carry;
            limb[k] = (uint32_t)x;
            carry = x >> 32;
        }
        if (carry && used < BIG_LIMBS)
            limb[used++] = (uint32_t)carry;
    }
    size_t bitlen = 0, tz = 0;
    while (used > 0 && limb[used - 1] == 0)
        used--;
    if (used > 0) {
        bitlen = (used - 1) * 32;
        for (uint32_t top = limb[used - 1]; top; top >>= 1)
            bitlen++;
    }
    if (bitlen == 0) {
        v->fits_u64 = true;
        v->exact = true;
        v->d = 0.0; /* an integer has no sign of zero: -0 is 0 */
        return;
    }
    while (limb[tz / 32] == 0)
        tz += 32;
    while (!big_bit(limb, tz))
        tz++;
    if (bitlen <= 64) {
        v->fits_u64 = true;
        v->mag = (uint64_t)limb[0] | (uint64_t)limb[1] << 32;
    }
    if (bitlen - tz <= 53 && bitlen <= 1024) {
        uint64_t mant = 0;
        for (size_t k = bitlen; k > tz; k--)
            mant = mant << 1 | big_bit(limb, k - 1);
        v->exact = true;
        v->d = ldexp((double)mant, (int)tz);
        if (v->negative)
            v->d = -v->d;
    } else {
        v->d = v->negative ? -HUGE_VAL : HUGE_VAL;
    }
}

/* A float in the core forms (match_float or match_int is true). */
static double float_value_of(const node *n)
{
    const char *s = n->text;
    size_t len = n->len;
    if (text_is(s, len, ".nan") || text_is(s, len, ".NaN") || text_is(s, len, ".NAN"))
        return NAN;
    size_t i = len > 0 && (s[0] == '-' || s[0] == '+');
    if (len - i == 4 && s[i] == '.' && (s[i + 1] == 'i' || s[i + 1] == 'I'))
        return s[0] == '-' ? -INFINITY : INFINITY;
    if (match_int(s, len) && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        int_value iv;
        int_value_of(s, len, &iv);
        return iv.d;
    }
    return strtod(s, NULL); /* n->text is NUL-terminated and matched the float form */
}

static const char *tag_display(node_tag tag)
{
    switch (tag) {
    case TAG_STR: return "!!str";
    case TAG_INT: return "!!int";
    case TAG_FLOAT: return "!!float";
    case TAG_BOOL: return "!!bool";
    case TAG_NULL: return "!!null";
    case TAG_SEQ: return "!!seq";
    case TAG_MAP: return "!!map";
    case TAG_MERGE: return "!!merge";
    case TAG_NONE: break;
    }
    return "";
}

/* The tag of an event, for a node of the given kind (with its position for errors). */
static int read_tag(reader *r, struct fy_event *ev, node_kind kind, node_tag *out)
{
    *out = TAG_NONE;
    struct fy_token *t = fy_event_get_tag_token(ev);
    if (!t)
        return 0;
    size_t len = 0;
    const char *s = fy_token_get_text(t, &len);
    if (!s)
        s = "", len = 0;
    static const struct {
        const char *name;
        node_tag tag;
    } core[] = {
        {"tag:yaml.org,2002:str", TAG_STR},     {"tag:yaml.org,2002:int", TAG_INT},
        {"tag:yaml.org,2002:float", TAG_FLOAT}, {"tag:yaml.org,2002:bool", TAG_BOOL},
        {"tag:yaml.org,2002:null", TAG_NULL},   {"tag:yaml.org,2002:seq", TAG_SEQ},
        {"tag:yaml.org,2002:map", TAG_MAP},     {"tag:yaml.org,2002:merge", TAG_MERGE},
        {"!", TAG_STR},
    };
    node_tag tag = TAG_NONE;
    bool known = false;
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++) {
        if (text_is(s, len, core[i].name)) {
            tag = core[i].tag;
            known = true;
        }
    }
    const struct fy_mark *m = fy_token_start_mark(t);
    int line = m ? m->line + 1 : r->last_line, column = m ? m->column + 1 : r->last_column;
    char q[QBUF];
    if (!known)
        return fail_at(r, line, column,
                       "unsupported tag '%s' (only the YAML core tags !!str, !!int, !!float, "
                       "!!bool, !!null, !!seq and !!map are understood)",
                       quote(q, sizeof q, s, len));
    if (text_is(s, len, "!")) /* the non-specific tag: "not plain", a string for scalars */
        tag = kind == NODE_SCALAR ? TAG_STR : TAG_NONE;
    bool fits = kind == NODE_SCALAR ? tag != TAG_SEQ && tag != TAG_MAP && tag != TAG_NONE
                : kind == NODE_SEQ  ? tag == TAG_SEQ || tag == TAG_NONE
                                    : tag == TAG_MAP || tag == TAG_NONE;
    if (!fits)
        return fail_at(r, line, column, "the tag %s does not fit a %s", tag_display(tag),
                       kind == NODE_SCALAR ? "scalar" : kind == NODE_SEQ ? "sequence" : "mapping");
    *out = tag;
    return 0;
}

/* Checks a tagged scalar's text against its tag. */
static int check_tagged_scalar(reader *r, node *n)
{
    bool b;
    bool ok = true;
    switch (n->tag) {
    case TAG_INT: ok = match_int(n->text, n->len); break;
    case TAG_FLOAT: ok = match_int(n->text, n->len) || match_float(n->text, n->len); break;
    case TAG_BOOL: ok = match_bool(n->text, n->len, &b); break;
    case TAG_NULL: ok = match_null(n->text, n->len); break;
    case TAG_MERGE: ok = text_is(n->text, n->len, "<<"); break;
    default: break;
    }
    char q[QBUF];
    if (!ok)
        return fail_node(r, n, "'%s' is not a valid %s", quote(q, sizeof q, n->text, n->len),
                         tag_display(n->tag));
    return 0;
}

/* --- map keys: identity for duplicates, merges and integer keys --- */

typedef struct key_id {
    bool is_int;
    int64_t i;
    const char *s;
    size_t len;
} key_id;

/* A key's identity: a plain integer key is a Luau integer key; anything else is a string. */
static int key_ident(reader *r, node *k, key_id *out)
{
    k = deref(k);
    memset(out, 0, sizeof *out);
    if (k->kind != NODE_SCALAR)
        return fail_node(r, k, "a mapping key must be a scalar (a name or a number), found a %s",
                         k->kind == NODE_MAP ? "mapping" : "sequence");
    if ((k->tag == TAG_NONE && k->style == FYSS_PLAIN) || k->tag == TAG_INT) {
        if (match_int(k->text, k->len)) {
            int_value v;
            int_value_of(k->text, k->len, &v);
            char q[QBUF];
            if (!v.exact || fabs(v.d) > MAX_EXACT_INT)
                return fail_node(r, k,
                                 "the integer key %s is too large: integer keys must be "
                                 "within -2^53..2^53",
                                 quote(q, sizeof q, k->text, k->len));
            out->is_int = true;
            out->i = (int64_t)v.d;
            return 0;
        }
    }
    out->s = k->text;
    out->len = k->len;
    return 0;
}

static int key_id_cmp(const key_id *a, const key_id *b)
{
    if (a->is_int != b->is_int)
        return a->is_int ? -1 : 1;
    if (a->is_int)
        return a->i < b->i ? -1 : a->i > b->i;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

typedef struct map_entry {
    key_id id;
    size_t order;
    bool written; /* written in this mapping (not merged in) */
    node *key, *value;
} map_entry;

static int entry_by_key(const void *a, const void *b)
{
    const map_entry *x = a, *y = b;
    int c = key_id_cmp(&x->id, &y->id);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int entry_by_order(const void *a, const void *b)
{
    const map_entry *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool is_merge_key(node *k)
{
    k = deref(k);
    return k->kind == NODE_SCALAR &&
           (k->tag == TAG_MERGE ||
            (k->tag == TAG_NONE && k->style == FYSS_PLAIN && text_is(k->text, k->len, "<<")));
}

/* When a mapping ends: applies its merge keys (keys written in the mapping win, then earlier
 * merged mappings over later ones) and refuses non-scalar and duplicate keys. */
static int finish_map(reader *r, node *m)
{
    size_t pairs = m->count / 2, total = 0;
    for (size_t p = 0; p < pairs; p++) {
        node *k = m->items[2 * p], *v = deref(m->items[2 * p + 1]);
        if (!is_merge_key(k)) {
            total++;
            continue;
        }
        if (v->kind == NODE_MAP) {
            total += v->count / 2;
        } else if (v->kind == NODE_SEQ) {
            for (size_t j = 0; j < v->count; j++) {
                node *src = deref(v->items[j]);
                if (src->kind != NODE_MAP)
                    return fail_node(r, v->items[j],
                                     "a merge key '<<' takes a mapping or a sequence of "
                                     "mappings (usually aliases like *defaults)");
                total += src->count / 2;
            }
        } else {
            return fail_node(r, m->items[2 * p + 1],
                             "a merge key '<<' takes a mapping or a sequence of mappings "
                             "(usually aliases like *defaults)");
        }
    }
    if (total == 0) {
        m->count = 0;
        return 0;
    }
    map_entry *e = calloc(total, sizeof *e);
    if (!e)
        return nomem(r, m);
    size_t n = 0;
    bool merged = false;
    for (size_t pass = 0; pass < 2; pass++) { /* written keys first, then merged ones */
        for (size_t p = 0; p < pairs; p++) {
            node *k = m->items[2 * p], *v = deref(m->items[2 * p + 1]);
            bool merge = is_merge_key(k);
            if (pass == 0 && !merge) {
                e[n] = (map_entry){.order = n, .written = true, .key = k,
                                   .value = m->items[2 * p + 1]};
                if (key_ident(r, k, &e[n].id)) {
                    free(e);
                    return -1;
                }
                n++;
            } else if (pass == 1 && merge) {
                merged = true;
                size_t nsrc = v->kind == NODE_MAP ? 1 : v->count;
                for (size_t j = 0; j < nsrc; j++) {
                    node *src = v->kind == NODE_MAP ? v : deref(v->items[j]);
                    for (size_t q = 0; q < src->count / 2; q++) {
                        e[n] = (map_entry){.order = n, .key = src->items[2 * q],
                                           .value = src->items[2 * q + 1]};
                        key_ident(r, e[n].key, &e[n].id); /* checked when src ended */
                        n++;
                    }
                }
            }
        }
    }
    qsort(e, n, sizeof *e, entry_by_key);
    /* the duplicate reported is the first one in the file; written keys sort before merged
     * ones, so a written duplicate always follows another written key */
    const map_entry *dup = NULL, *first = NULL;
    for (size_t i = 1; i < n; i++) {
        if (e[i].written && key_id_cmp(&e[i].id, &e[i - 1].id) == 0 &&
            (!dup || e[i].order < dup->order)) {
            dup = &e[i];
            first = &e[i - 1];
            while (first > e && first[-1].written && key_id_cmp(&first[-1].id, &e[i].id) == 0)
                first--;
        }
    }
    if (dup) {
        node *k = deref(dup->key);
        char q[QBUF];
        int rc = fail_node(r, dup->key, "duplicate key '%s' (first at line %d, column %d)",
                           quote(q, sizeof q, k->text, k->len), first->key->line,
                           first->key->column);
        free(e);
        return rc;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && key_id_cmp(&e[i].id, &e[i - 1].id) == 0)
            continue; /* a merged key that is already there */
        e[kept++] = e[i];
    }
    if (merged || kept != pairs) {
        qsort(e, kept, sizeof *e, entry_by_order);
        if (kept * 2 > m->cap) {
            node **items = realloc(m->items, kept * 2 * sizeof *items);
            if (!items) {
                free(e);
                return nomem(r, m);
            }
            m->items = items;
            m->cap = kept * 2;
        }
        for (size_t i = 0; i < kept; i++) {
            m->items[2 * i] = e[i].key;
            m->items[2 * i + 1] = e[i].value;
        }
        m->count = kept * 2;
    }
    free(e);
    return 0;
}

/* Adds a finished node to the collection being built, or makes it the root. */
static int attach(reader *r, node *n)
{
    if ((size_t)n->depth + r->depth > MAX_DEPTH)
        return fail_node(r, n, "values nest deeper than %d levels", MAX_DEPTH);
    if (r->depth == 0) {
        r->root = n;
        return 0;
    }
    if (push_item(r->stack[r->depth - 1].n, n))
        return nomem(r, n);
    return 0;
}

static int end_collection(reader *r)
{
    frame f = r->stack[--r->depth];
    node *n = f.n;
    if (n->kind == NODE_MAP && finish_map(r, n)) {
        free(f.anchor);
        return -1;
    }
    n->cost = NODE_COST;
    for (size_t i = 0; i < n->count; i++) {
        n->cost = cost_add(n->cost, n->items[i]->cost);
        if (n->items[i]->depth + 1 > n->depth)
            n->depth = n->items[i]->depth + 1;
    }
    if (n->depth == 0)
        n->depth = 1;
    if (n->cost > cost_add(r->literal_cost, MAX_ALIAS_COST)) {
        free(f.anchor);
        return fail_node(r, n,
                         "aliases expand this value to more than %d MiB more than the file "
                         "holds (each alias is a full copy of its anchor's value)",
                         (int)(MAX_ALIAS_COST >> 20));
    }
    if (f.anchor && anchor_put(&r->anchors, f.anchor, f.anchor_len, n))
        return nomem(r, n);
    return attach(r, n);
}

static int on_event(reader *r, struct fy_event *ev)
{
    int line, column;
    mark_position(r, fy_event_start_mark(ev), &line, &column);
    switch (ev->type) {
    case FYET_SCALAR: {
        node *n = new_node(r, NODE_SCALAR, line, column);
        if (!n)
            return nomem(r, NULL);
        if (read_tag(r, ev, NODE_SCALAR, &n->tag))
            return -1;
        n->style = fy_token_scalar_style(ev->scalar.value);
        n->text = token_text_copy(ev->scalar.value, &n->len);
        if (!n->text)
            return nomem(r, n);
        /* libfyaml marks a quoted scalar at its first character; point at the quote */
        const struct fy_mark *m = fy_event_start_mark(ev);
        if ((n->style == FYSS_SINGLE_QUOTED || n->style == FYSS_DOUBLE_QUOTED) && m &&
            m->input_pos > 0 && m->input_pos <= r->len && n->column > 1 &&
            (r->text[m->input_pos - 1] == '"' || r->text[m->input_pos - 1] == '\''))
            n->column--;
        if (n->tag != TAG_NONE && n->tag != TAG_STR && check_tagged_scalar(r, n))
            return -1;
        n->cost = NODE_COST + n->len;
        r->literal_cost = cost_add(r->literal_cost, n->cost);
        struct fy_token *a = fy_event_get_anchor_token(ev);
        if (a) {
            size_t len;
            char *name = token_text_copy(a, &len);
            if (!name || anchor_put(&r->anchors, name, len, n))
                return nomem(r, n);
        }
        return attach(r, n);
    }
    case FYET_ALIAS: {
        /* libfyaml marks an alias at its name; point at the '*' */
        const struct fy_mark *m = fy_event_start_mark(ev);
        if (m && m->input_pos > 0 && m->input_pos <= r->len && column > 1 &&
            r->text[m->input_pos - 1] == '*')
            column--;
        size_t len = 0;
        const char *name = fy_token_get_text(ev->alias.anchor, &len);
        if (!name)
            name = "", len = 0;
        node *target = anchor_find(&r->anchors, name, len);
        char q[QBUF];
        if (!target)
            return fail_at(r, line, column,
                           "alias '*%s' refers to an unknown anchor (an anchor '&%s' must "
                           "come before its aliases)",
                           quote(q, sizeof q, name, len), quote(q, sizeof q, name, len));
        node *n = new_node(r, NODE_ALIAS, line, column);
        if (!n)
            return nomem(r, NULL);
        n->target = target;
        n->cost = target->cost;
        n->depth = target->depth;
        r->literal_cost = cost_add(r->literal_cost, NODE_COST);
        return attach(r, n);
    }
    case FYET_SEQUENCE_START:
    case FYET_MAPPING_START: {
        node_kind kind = ev->type == FYET_MAPPING_START ? NODE_MAP : NODE_SEQ;
        node *n = new_node(r, kind, line, column);
        if (!n)
            return nomem(r, NULL);
        if (r->depth + 1 > MAX_DEPTH)
            return fail_node(r, n, "values nest deeper than %d levels", MAX_DEPTH);
        if (read_tag(r, ev, kind, &n->tag))
            return -1;
        r->literal_cost = cost_add(r->literal_cost, NODE_COST);
        frame f = {n, NULL, 0};
        struct fy_token *a = fy_event_get_anchor_token(ev);
        if (a && !(f.anchor = token_text_copy(a, &f.anchor_len)))
            return nomem(r, n);
        if (r->depth == r->stack_cap) {
            size_t cap = r->stack_cap ? r->stack_cap * 2 : 16;
            frame *s = realloc(r->stack, cap * sizeof *s);
            if (!s) {
                free(f.anchor);
                return nomem(r, n);
            }
            r->stack = s;
            r->stack_cap = cap;
        }
        r->stack[r->depth++] = f;
        return 0;
    }
    case FYET_SEQUENCE_END:
    case FYET_MAPPING_END:
        if (r->depth == 0)
            return fail_at(r, line, column, "YAML syntax error: unbalanced end of a collection");
        return end_collection(r);
    default:
        return 0;
    }
}

static void discard_diag(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

static int syntax_error(reader *r, struct fy_diag *diag)
{
    void *iter = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &iter)) != NULL) {
        if (e->type < FYET_ERROR)
            continue;
        const char *msg = e->msg ? e->msg : "";
        size_t len = strlen(msg);
        while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
            len--;
        char text[512];
        size_t o = 0;
        for (size_t i = 0; i < len && o + 5 < sizeof text; i++) {
            unsigned char c = (unsigned char)msg[i];
            if (c < 0x20 || c == 0x7F)
                o += (size_t)snprintf(text + o, sizeof text - o, "\\x%02X", c);
            else
                text[o++] = (char)c;
        }
        text[o] = '\0';
        return fail_at(r, e->line, e->column, "YAML syntax error: %s", text);
    }
    return fail_at(r, r->last_line, r->last_column, "YAML syntax error");
}

/* Parses r->text into r->root. */
static int build_tree(reader *r)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_diag;
    dcfg.user = NULL;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return nomem(r, NULL);
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_JSON_NONE;
    cfg.diag = diag;
    struct fy_parser *p = fy_parser_create(&cfg);
    if (!p) {
        fy_diag_destroy(diag);
        return nomem(r, NULL);
    }
    int rc = 0;
    if (fy_parser_set_string(p, r->len ? r->text : "", r->len) != 0) {
        rc = nomem(r, NULL);
        goto done;
    }
    r->last_line = r->last_column = r->end_line = r->end_column = 1;
    int documents = 0;
    bool ended = false;
    for (;;) {
        struct fy_event *ev = fy_parser_parse(p);
        if (!ev) {
            if (fy_parser_get_stream_error(p) || fy_diag_got_error(diag) || !ended)
                rc = syntax_error(r, diag);
            break;
        }
        if (ev->type == FYET_STREAM_END)
            ended = true;
        if (ev->type == FYET_DOCUMENT_START && ++documents == 2) {
            int line, column;
            const struct fy_mark *m = fy_event_start_mark(ev);
            fy_parser_event_free(p, ev);
            ev = NULL;
            if (!m) { /* an implicit start: the document starts at its first node */
                ev = fy_parser_parse(p);
                if (!ev) {
                    rc = syntax_error(r, diag);
                    break;
                }
                m = fy_event_start_mark(ev);
            }
            mark_position(r, m, &line, &column);
            fy_parser_event_free(p, ev);
            rc = fail_at(r, line, column,
                         "a second YAML document starts here: a scenario file holds one "
                         "scenario (remove the '---' or split the file)");
            break;
        }
        rc = on_event(r, ev);
        note_end(r, ev);
        fy_parser_event_free(p, ev);
        if (rc)
            break;
    }
done:
    fy_parser_destroy(p);
    fy_diag_destroy(diag);
    if (rc == 0 && !r->root)
        rc = fail_at(r, 1, 1,
                     "empty file: expected a scenario mapping with name, duration, store and "
                     "script");
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * 3. Values and the schema
 * ---------------------------------------------------------------------------------------- */

/* "a string 'abc'", "an integer '42'", "a mapping", "nothing"... for "found ..." */
static const char *describe(node *n, char *buf, size_t size)
{
    n = deref(n);
    char q[QBUF];
    if (n->kind == NODE_MAP) {
        snprintf(buf, size, "a mapping");
    } else if (n->kind == NODE_SEQ) {
        snprintf(buf, size, "a sequence");
    } else {
        quote(q, sizeof q, n->text, n->len);
        switch (classify(n)) {
        case S_NULL:
            if (n->len)
                snprintf(buf, size, "null '%s'", q);
            else
                snprintf(buf, size, "nothing");
            break;
        case S_BOOL: snprintf(buf, size, "a boolean '%s'", q); break;
        case S_INT: snprintf(buf, size, "an integer '%s'", q); break;
        case S_FLOAT: snprintf(buf, size, "a number '%s'", q); break;
        case S_STRING: snprintf(buf, size, "a string '%s'", q); break;
        }
    }
    return buf;
}

static int to_value(reader *r, node *n, vs_value **out);

static int scalar_value(reader *r, node *n, vs_value **out)
{
    bool b = false;
    char q[QBUF];
    switch (classify(n)) {
    case S_NULL: *out = vs_new_nil(); break;
    case S_BOOL:
        match_bool(n->text, n->len, &b);
        *out = vs_new_bool(b);
        break;
    case S_INT: {
        int_value v;
        int_value_of(n->text, n->len, &v);
        if (!v.exact)
            return fail_node(r, n,
                             "the integer %s cannot be represented exactly as a number "
                             "(integers beyond 2^53 lose digits)",
                             quote(q, sizeof q, n->text, n->len));
        *out = vs_new_number(v.d);
        break;
    }
    case S_FLOAT: {
        double d = float_value_of(n);
        if (isinf(d) && !memchr(n->text, 'i', n->len) && !memchr(n->text, 'I', n->len))
            return fail_node(r, n, "the number %s is too large for a double (write .inf for "
                                   "infinity)",
                             quote(q, sizeof q, n->text, n->len));
        *out = vs_new_number(d);
        break;
    }
    case S_STRING: *out = vs_new_string_n(n->text, n->len); break;
    }
    return *out ? 0 : nomem(r, n);
}

typedef struct map_slot {
    key_id id;
    char int_text[24]; /* an integer key as vs_map_set_int writes it */
    vs_value *value;
} map_slot;

/* The canonical order of value.h (bytewise, a string key before an integer key of the same
 * text): inserting in this order makes every vs_map_set an append. */
static int slot_canonical(const void *a, const void *b)
{
    const map_slot *x = a, *y = b;
    const char *xs = x->id.is_int ? x->int_text : x->id.s;
    const char *ys = y->id.is_int ? y->int_text : y->id.s;
    size_t xl = x->id.is_int ? strlen(x->int_text) : x->id.len;
    size_t yl = y->id.is_int ? strlen(y->int_text) : y->id.len;
    size_t n = xl < yl ? xl : yl;
    int c = n ? memcmp(xs, ys, n) : 0;
    if (c)
        return c;
    if (xl != yl)
        return xl < yl ? -1 : 1;
    return (int)x->id.is_int - (int)y->id.is_int;
}

/* A mapping: an array when its keys are exactly the integers 1..n (Luau), else a map whose
 * integer keys stay integer keys. An empty mapping is an empty map. Values are converted in
 * file order, so the first error reported is the first in the file. */
static int map_value(reader *r, node *n, vs_value **out)
{
    size_t pairs = n->count / 2;
    map_slot *slots = pairs ? calloc(pairs, sizeof *slots) : NULL;
    if (pairs && !slots)
        return nomem(r, n);
    bool array = pairs > 0;
    int rc = 0;
    for (size_t p = 0; p < pairs && rc == 0; p++) {
        if (key_ident(r, n->items[2 * p], &slots[p].id) ||
            to_value(r, n->items[2 * p + 1], &slots[p].value)) {
            rc = -1;
            break;
        }
        if (slots[p].id.is_int)
            snprintf(slots[p].int_text, sizeof slots[p].int_text, "%" PRId64, slots[p].id.i);
        if (!slots[p].id.is_int || slots[p].id.i < 1 || (uint64_t)slots[p].id.i > pairs)
            array = false;
    }
    vs_value *v = NULL;
    if (rc == 0 && !(v = array ? vs_new_array() : vs_new_map()))
        rc = nomem(r, n);
    if (rc == 0 && array) { /* keys are unique, so 1..n each appear once */
        vs_value **items = calloc(pairs, sizeof *items);
        if (!items) {
            rc = nomem(r, n);
        } else {
            for (size_t p = 0; p < pairs; p++) {
                items[slots[p].id.i - 1] = slots[p].value;
                slots[p].value = NULL;
            }
            for (size_t p = 0; p < pairs; p++) {
                vs_value *item = items[p];
                items[p] = NULL;
                if (rc == 0 && vs_array_push(v, item) != VS_OK)
                    rc = nomem(r, n);
                else if (rc != 0)
                    vs_free(item);
            }
            free(items);
        }
    } else if (rc == 0) {
        if (pairs > 1)
            qsort(slots, pairs, sizeof *slots, slot_canonical);
        for (size_t p = 0; p < pairs && rc == 0; p++) {
            vs_value *item = slots[p].value;
            slots[p].value = NULL;
            vs_status st = slots[p].id.is_int ? vs_map_set_int(v, slots[p].id.i, item)
                                              : vs_map_set_n(v, slots[p].id.s, slots[p].id.len,
                                                             item);
            if (st != VS_OK)
                rc = nomem(r, n);
        }
    }
    for (size_t p = 0; p < pairs; p++)
        vs_free(slots[p].value);
    free(slots);
    if (rc) {
        vs_free(v);
        return -1;
    }
    *out = v;
    return 0;
}

/* YAML -> vs_value (nesting is bounded by MAX_DEPTH, checked while the tree was built). */
static int to_value(reader *r, node *n, vs_value **out)
{
    *out = NULL;
    n = deref(n);
    if (n->kind == NODE_SCALAR)
        return scalar_value(r, n, out);
    if (n->kind == NODE_MAP)
        return map_value(r, n, out);
    vs_value *arr = vs_new_array();
    if (!arr)
        return nomem(r, n);
    for (size_t i = 0; i < n->count; i++) {
        vs_value *item;
        if (to_value(r, n->items[i], &item)) {
            vs_free(arr);
            return -1;
        }
        if (vs_array_push(arr, item) != VS_OK) {
            vs_free(arr);
            return nomem(r, n->items[i]);
        }
    }
    *out = arr;
    return 0;
}

/* --- mappings of the format: key tables --- */

typedef int (*read_fn)(reader *r, const char *key, node *value, void *obj);

typedef struct key_spec {
    const char *name;
    bool required;
    read_fn read;
} key_spec;

/* Optimal string alignment distance (a transposition counts as one edit). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][MAX_SUGGEST_LEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* The name nearest to s (the first of equals), or NULL when none is near enough to be a
 * likely misspelling. */
static const char *suggest(const char *s, size_t len, const char *const *names, size_t n)
{
    if (len > MAX_SUGGEST_LEN)
        return NULL;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t ln = strlen(names[i]);
        if (ln > MAX_SUGGEST_LEN)
            continue;
        size_t d = edit_distance(s, len, names[i], ln);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    size_t chars = char_count(s, len);
    size_t limit = chars / 3 > 2 ? chars / 3 : 2;
    return best_d > limit ? NULL : best;
}

/* "a, b, c" */
static void name_list(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);
}

/* An unknown key (what: "key", or "step kind" where the key names one): a suggestion when
 * one is near, else the list of names, or `instead` (for a list too long to print) when it
 * is not NULL. */
static int unknown_what(reader *r, node *key, const char *what, const char *const *names,
                        size_t n, const char *instead)
{
    node *k = deref(key);
    char q[QBUF];
    if (k->kind != NODE_SCALAR)
        return fail_node(r, key, "expected a key name, found %s", describe(k, q, sizeof q));
    quote(q, sizeof q, k->text, k->len);
    const char *best = suggest(k->text, k->len, names, n);
    if (best)
        return fail_node(r, key, "unknown %s '%s' (did you mean '%s'?)", what, q, best);
    if (instead)
        return fail_node(r, key, "unknown %s '%s' (%s)", what, q, instead);
    char list[512];
    name_list(names, n, list, sizeof list);
    return fail_node(r, key, "unknown %s '%s' (expected one of %s)", what, q, list);
}

static int unknown_key_in(reader *r, node *key, const char *const *names, size_t n,
                          const char *instead)
{
    return unknown_what(r, key, "key", names, n, instead);
}

static int unknown_key(reader *r, node *key, const char *const *names, size_t n)
{
    return unknown_key_in(r, key, names, n, NULL);
}

/* A name that is not one of names, read for key: a suggestion when one is near, else the
 * list ("unknown error 'lease_hold' for 'error' (did you mean 'lease_held'?)"). */
static int unknown_name(reader *r, node *v, const char *what, const char *key, const char *name,
                        const char *const *names, size_t n)
{
    char q[QBUF], list[512];
    quote(q, sizeof q, name, strlen(name));
    const char *best = suggest(name, strlen(name), names, n);
    if (best)
        return fail_node(r, v, "unknown %s '%s' for '%s' (did you mean '%s'?)", what, q, key,
                         best);
    name_list(names, n, list, sizeof list);
    return fail_node(r, v, "unknown %s '%s' for '%s' (expected one of %s)", what, q, key, list);
}

static const key_spec *find_key(const key_spec *keys, size_t nkeys, node *key)
{
    node *k = deref(key);
    if (k->kind != NODE_SCALAR)
        return NULL;
    for (size_t i = 0; i < nkeys; i++)
        if (text_is(k->text, k->len, keys[i].name))
            return &keys[i];
    return NULL;
}

static bool is_key(node *key, const char *name)
{
    node *k = deref(key);
    return k->kind == NODE_SCALAR && text_is(k->text, k->len, name);
}

/* Reads a mapping of the format: unknown keys first (they are often misspelt required ones),
 * then missing required keys (at the start of the mapping), then every value in file
 * order. */
static int read_mapping(reader *r, node *map, const char *where, const key_spec *keys,
                        size_t nkeys, void *obj)
{
    map = deref(map);
    bool seen[MAX_KEYS] = {false};
    const char *names[MAX_KEYS];
    if (nkeys > MAX_KEYS)
        return fail_node(r, map, "internal error: more than %d keys in one table", MAX_KEYS);
    for (size_t i = 0; i < nkeys; i++)
        names[i] = keys[i].name;
    for (size_t p = 0; p < map->count / 2; p++) {
        const key_spec *spec = find_key(keys, nkeys, map->items[2 * p]);
        if (!spec)
            return unknown_key(r, map->items[2 * p], names, nkeys);
        seen[spec - keys] = true;
    }
    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].required && !seen[i])
            return fail_node(r, map, "missing required key '%s' in %s", keys[i].name, where);
    for (size_t p = 0; p < map->count / 2; p++) {
        const key_spec *spec = find_key(keys, nkeys, map->items[2 * p]);
        if (spec->read(r, spec->name, map->items[2 * p + 1], obj))
            return -1;
    }
    return 0;
}

/* --- typed readers --- */

static int expect_mapping(reader *r, const char *key, node *v, const char *example)
{
    char d[DBUF];
    if (deref(v)->kind != NODE_MAP)
        return fail_node(r, v, "expected a mapping for '%s'%s, found %s", key, example,
                         describe(v, d, sizeof d));
    return 0;
}

/* A string: any scalar but a null one (plain "42" is the string "42"). */
static int read_text(reader *r, const char *key, node *v, const char *what, size_t min_chars,
                     size_t max_chars, char **out)
{
    node *n = deref(v);
    char d[DBUF];
    if (n->kind != NODE_SCALAR || (classify(n) == S_NULL && n->tag != TAG_STR))
        return fail_node(r, v, "expected %s for '%s', found %s", what, key,
                         describe(v, d, sizeof d));
    if (memchr(n->text, '\0', n->len))
        return fail_node(r, v, "'%s' must not contain a NUL character", key);
    size_t chars = char_count(n->text, n->len);
    if (chars < min_chars || chars > max_chars) {
        if (max_chars == SIZE_MAX)
            return fail_node(r, v, "'%s' must not be empty", key);
        return fail_node(r, v, "expected %s of %zu to %zu characters for '%s', found %zu",
                         what, min_chars, max_chars, key, chars);
    }
    char *s = malloc(n->len + 1);
    if (!s)
        return nomem(r, v);
    memcpy(s, n->text, n->len + 1);
    free(*out);
    *out = s;
    return 0;
}

/* A non-negative integer in [min, max] (plain integer scalars in the core forms). */
static int read_uint(reader *r, const char *key, node *v, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    node *n = deref(v);
    char d[DBUF], q[QBUF];
    if (n->kind != NODE_SCALAR || classify(n) != S_INT)
        return fail_node(r, v, "expected an integer for '%s', found %s", key,
                         describe(v, d, sizeof d));
    int_value iv;
    int_value_of(n->text, n->len, &iv);
    bool zero = iv.fits_u64 && iv.mag == 0;
    if ((iv.negative && !zero) || !iv.fits_u64 || iv.mag < min || iv.mag > max) {
        quote(q, sizeof q, n->text, n->len);
        if (max == (uint64_t)INT64_MAX)
            return fail_node(r, v, "expected an integer >= %" PRIu64 " for '%s', found %s",
                             min, key, q);
        return fail_node(r, v,
                         "expected an integer from %" PRIu64 " to %" PRIu64 " for '%s', found %s",
                         min, max, key, q);
    }
    *out = iv.mag;
    return 0;
}

static const char *const duration_units[] = {"us", "ms", "s", "m", "h"};
static const uint64_t duration_unit_us[] = {1, 1000, 1000000, 60000000, 3600000000u};

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* "250ms", "1.5s", "2m" -> microseconds. 0 ok, 1 not a duration, 2 not a whole number of
 * microseconds, 3 too long. */
static int parse_duration(const char *s, size_t len, int64_t *out)
{
    size_t i = 0, int_start = 0, int_end, frac_start = 0, frac_end = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    int_end = i;
    if (int_end == int_start)
        return 1;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
        if (frac_end == frac_start)
            return 1;
    }
    size_t unit = SIZE_MAX;
    for (size_t u = 0; u < sizeof duration_units / sizeof duration_units[0]; u++)
        if (text_is(s + i, len - i, duration_units[u]))
            unit = u;
    if (unit == SIZE_MAX)
        return 1;
    uint64_t mult = duration_unit_us[unit];
    while (frac_end > frac_start && s[frac_end - 1] == '0')
        frac_end--;
    uint64_t frac_us = 0;
    if (frac_end > frac_start) {
        size_t k = frac_end - frac_start;
        if (k > 10) /* mult has at most ten factors of 2 and eight of 5 */
            return 2;
        uint64_t frac = 0, pow10 = 1;
        for (size_t j = frac_start; j < frac_end; j++) {
            frac = frac * 10 + (uint64_t)(s[j] - '0');
            pow10 *= 10;
        }
        uint64_t g = gcd64(mult, pow10);
        uint64_t den = pow10 / g, num = mult / g;
        if (frac % den != 0)
            return 2;
        frac_us = (frac / den) * num; /* < mult, no overflow */
    }
    uint64_t whole = 0;
    for (size_t j = int_start; j < int_end; j++) {
        unsigned dgt = (unsigned)(s[j] - '0');
        if (whole > (UINT64_MAX - dgt) / 10)
            return 3;
        whole = whole * 10 + dgt;
    }
    if (whole > (uint64_t)INT64_MAX / mult)
        return 3;
    uint64_t total = whole * mult;
    if (total > (uint64_t)INT64_MAX - frac_us)
        return 3;
    *out = (int64_t)(total + frac_us);
    return 0;
}

/* A duration; a leading '-' or '+' is accepted only when signed is true (clock skews and the
 * duration amounts of faults), and is an error of its own everywhere else. */
static int read_duration_as(reader *r, const char *key, node *v, bool signed_ok, int64_t *out)
{
    node *n = deref(v);
    char d[DBUF], q[QBUF];
    const char *like = signed_ok ? "like 5s, -250ms or 2m" : "like 5s, 250ms or 2m";
    if (n->kind == NODE_SCALAR) {
        scalar_type t = classify(n);
        size_t sign = n->len > 0 && (n->text[0] == '-' || n->text[0] == '+');
        int64_t mag = 0;
        int rc = t == S_STRING ? parse_duration(n->text + sign, n->len - sign, &mag) : 1;
        quote(q, sizeof q, n->text, n->len);
        if (rc == 0 && sign && !signed_ok)
            return fail_node(r, v,
                             "the duration '%s' for '%s' has a sign: '%s' takes a duration "
                             ">= 0, like 5s or 250ms (only clock skews and the amounts of "
                             "faults may be negative)",
                             q, key, key);
        if (rc == 0) {
            *out = sign && n->text[0] == '-' ? -mag : mag;
            return 0;
        }
        if (rc == 2)
            return fail_node(r, v, "the duration '%s' for '%s' is not a whole number of "
                                   "microseconds",
                             q, key);
        if (rc == 3)
            return fail_node(r, v, "the duration '%s' for '%s' is too long (at most %" PRId64
                                   "us, about 292000 years)",
                             q, key, INT64_MAX);
        if (t == S_INT || t == S_FLOAT)
            return fail_node(r, v,
                             "expected a duration with a unit, %s, for '%s'; found the bare "
                             "number '%s'",
                             like, key, q);
    }
    return fail_node(r, v, "expected a duration with a unit, %s, for '%s'; found %s", like, key,
                     describe(v, d, sizeof d));
}

static int read_duration(reader *r, const char *key, node *v, int64_t *out)
{
    return read_duration_as(r, key, v, false, out);
}

/* "0s", "-3s", "250ms", "720h": the largest unit that gives a whole number. */
static void format_duration(int64_t us, char *buf, size_t size)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    if (mag == 0) {
        snprintf(buf, size, "0s");
        return;
    }
    size_t u = sizeof duration_units / sizeof duration_units[0];
    while (u > 1 && mag % duration_unit_us[u - 1] != 0)
        u--;
    snprintf(buf, size, "%s%" PRIu64 "%s", us < 0 ? "-" : "", mag / duration_unit_us[u - 1],
             duration_units[u - 1]);
}

/* An integer in [min, max] (plain integer scalars in the core forms, with a sign). */
static int read_int(reader *r, const char *key, node *v, int64_t min, int64_t max, int64_t *out)
{
    node *n = deref(v);
    char d[DBUF], q[QBUF];
    if (n->kind != NODE_SCALAR || classify(n) != S_INT)
        return fail_node(r, v, "expected an integer for '%s', found %s", key,
                         describe(v, d, sizeof d));
    int_value iv;
    int_value_of(n->text, n->len, &iv);
    bool in = iv.fits_u64 && (iv.negative ? iv.mag <= (uint64_t)0 - (uint64_t)min
                                          : iv.mag <= (uint64_t)max);
    int64_t x = !in ? 0 : iv.negative ? (int64_t)((uint64_t)0 - iv.mag) : (int64_t)iv.mag;
    if (!in || x < min || x > max)
        return fail_node(r, v,
                         "expected an integer from %" PRId64 " to %" PRId64 " for '%s', found %s",
                         min, max, key, quote(q, sizeof q, n->text, n->len));
    *out = x;
    return 0;
}

static int read_bool(reader *r, const char *key, node *v, bool *out)
{
    node *n = deref(v);
    char d[DBUF];
    if (n->kind != NODE_SCALAR || classify(n) != S_BOOL || !match_bool(n->text, n->len, out))
        return fail_node(r, v, "expected true or false for '%s', found %s", key,
                         describe(v, d, sizeof d));
    return 0;
}

/* For finding the first duplicate of a list in O(n log n): an integer id, or a text. */
typedef struct dup_key {
    int64_t id;    /* compared first */
    const char *s; /* then this text, when not NULL */
    size_t index;  /* its place in the file's order */
} dup_key;

static int by_dup_key(const void *a, const void *b)
{
    const dup_key *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    int c = x->s && y->s ? strcmp(x->s, y->s) : 0;
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts keys (n) and finds the first one in file order whose key came before: true with
 * *dup and *first (their indexes), false when all differ. */
static bool first_duplicate(dup_key *keys, size_t n, size_t *dup, size_t *first)
{
    qsort(keys, n, sizeof *keys, by_dup_key);
    bool found = false;
    size_t group = 0;
    for (size_t i = 1; i < n; i++) {
        dup_key a = keys[i - 1], b = keys[i];
        if (a.id != b.id || (a.s && b.s && strcmp(a.s, b.s) != 0)) {
            group = i;
            continue;
        }
        if (!found || b.index < *dup) {
            *dup = b.index;
            *first = keys[group].index;
            found = true;
        }
    }
    return found;
}

/* Notes a use of a server id, checked against the declared servers at the end. */
static int note_server(reader *r, node *at, int id, const char *by_default)
{
    if (r->nrefs == r->refs_cap) {
        size_t cap = r->refs_cap ? r->refs_cap * 2 : 16;
        server_ref *refs = realloc(r->refs, cap * sizeof *refs);
        if (!refs)
            return nomem(r, at);
        r->refs = refs;
        r->refs_cap = cap;
    }
    r->refs[r->nrefs++] = (server_ref){at, id, by_default};
    return 0;
}

/* A server id, 1..64; whether it is declared is checked at the end. */
static int read_server_id(reader *r, const char *key, node *v, int *out)
{
    uint64_t u;
    if (read_uint(r, key, v, 1, MAX_SERVER_ID, &u))
        return -1;
    *out = (int)u;
    return note_server(r, v, *out, NULL);
}

/* --- step and expectation arguments --- */

/* Where the arguments of one action or expectation go. */
typedef struct args_ctx {
    int64_t *at_us;
    node **at_node;
    int64_t *player;
    vs_path *path;
    bool path_may_be_empty;
    vs_value **value; /* a step's value or expected page, or an expectation's equals */
    size_t *index;
    bool has_equals, has_absent;
    node *absent_node;
    int *server; /* a step's server (or teleport's `to`), or a count's server */
    bool has_server;
    char **topic, **text, **store, **key;
    int64_t *amount;
    bool *ascending;
    size_t *page_size;
    bool has_page_size;
    node *page_node; /* ods_check: the 'equals' value */
    char **counter;
    int64_t *at_least, *at_most;
    node *equals_bound, *at_least_bound, *at_most_bound; /* count: where each bound is */
    int64_t *timeout_us;     /* wait */
    vs_status *expect_status; /* wait, clear_lease, repair: the outcome the step must have */
    vs_steps *edit;          /* edit, repair: the step list */
    bool *expect_cancel;     /* edit */
    node **id_node;          /* purchase: the id, for the check that ids are unique */
    int64_t *product;        /* purchase */
    node **product_node;     /* ... whose product is checked against the catalogue at the end */
    int64_t *price;          /* purchase */
    node **handler_node;     /* deliver: the handler, checked against the store's at the end */
    bool *retry_dead;        /* dead_letter: retry (true) or drop */
    node *streak_node;       /* daily: the expected streak, when given */
    bool claimed;            /* daily: the claim must succeed */
    bool *in_swarm;          /* expectation: it holds whatever faults a swarm run draws */
} args_ctx;

static int read_at(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    *c->at_node = v;
    return read_duration(r, key, v, c->at_us);
}

static int read_player(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)INT64_MAX, &u))
        return -1;
    *c->player = (int64_t)u;
    return 0;
}

/* A path. empty_error is the message for the empty path, or NULL when it is allowed (the
 * whole profile, or the whole payload); hint is added to the message for a value that is
 * not a path at all. */
static int parse_path(reader *r, const char *key, node *v, const char *empty_error,
                      const char *hint, vs_path *out)
{
    node *n = deref(v);
    char d[DBUF], q[QBUF];
    if (n->kind != NODE_SCALAR || (classify(n) == S_NULL && n->tag != TAG_STR))
        return fail_node(r, v, "expected a path like Wallet.Coins for '%s', found %s%s", key,
                         describe(v, d, sizeof d), hint);
    if (memchr(n->text, '\0', n->len))
        return fail_node(r, v, "'%s' must not contain a NUL character", key);
    if (n->len == 0 && empty_error)
        return fail_node(r, v, "%s", empty_error);
    vs_path_free(out);
    vs_status st = vs_path_parse(n->text, out);
    if (st == VS_ERR_NOMEM)
        return nomem(r, v);
    if (st != VS_OK)
        return fail_node(r, v,
                         "malformed path '%s': a path is keys separated by dots, like "
                         "Wallet.Coins or Inventory.1, with no empty key",
                         quote(q, sizeof q, n->text, n->len));
    return 0;
}

static int read_path(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    if (c->path_may_be_empty)
        return parse_path(r, key, v, NULL, " (write \"\" for the whole profile)", c->path);
    return parse_path(r, key, v,
                      "the path of a step must not be empty (a step changes a value inside the "
                      "profile, like Wallet.Coins)",
                      "", c->path);
}

static int read_any_value(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    (void)key;
    vs_free(*c->value);
    *c->value = NULL;
    c->has_equals = true;
    return to_value(r, v, c->value);
}

static int read_number_value(reader *r, const char *key, node *v, void *obj)
{
    node *n = deref(v);
    char d[DBUF];
    scalar_type t = n->kind == NODE_SCALAR ? classify(n) : S_STRING;
    if (n->kind != NODE_SCALAR || (t != S_INT && t != S_FLOAT))
        return fail_node(r, v, "expected a number for '%s', found %s", key,
                         describe(v, d, sizeof d));
    return read_any_value(r, key, v, obj);
}

static int read_index(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)MAX_EXACT_INT, &u))
        return -1;
    *c->index = (size_t)u;
    return 0;
}

static int read_absent(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    node *n = deref(v);
    char d[DBUF];
    bool b = false;
    if (n->kind != NODE_SCALAR || classify(n) != S_BOOL || !match_bool(n->text, n->len, &b) ||
        !b)
        return fail_node(r, v,
                         "expected 'true' for '%s' (to expect a value, use 'equals' instead), "
                         "found %s",
                         key, describe(v, d, sizeof d));
    c->has_absent = true;
    c->absent_node = v;
    return 0;
}

static int read_server(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    c->has_server = true;
    return read_server_id(r, key, v, c->server);
}

static int read_topic(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_text(r, key, v, "a topic", 1, SIZE_MAX, c->topic);
}

static int read_message(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_text(r, key, v, "a message", 1, SIZE_MAX, c->text);
}

static int read_ods_store(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_text(r, key, v, "an ordered store name", 1, SIZE_MAX, c->store);
}

static int read_ods_key(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_text(r, key, v, "a key", 1, SIZE_MAX, c->key);
}

/* OrderedDataStore values are integers; like every number of a profile they stay within
 * +-2^53, where a double still holds every integer. */
static int read_ods_amount(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_int(r, key, v, -EXACT_INT_MAX, EXACT_INT_MAX, c->amount);
}

static int read_ascending(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_bool(r, key, v, c->ascending);
}

static int read_page_size(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, PAGE_SIZE_MAX, &u))
        return -1;
    *c->page_size = (size_t)u;
    c->has_page_size = true;
    return 0;
}

/* ods_check's expected page: a sequence of [key, value] pairs, kept as an array of
 * two-item arrays [string, number], in the order written. */
static int read_page(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    node *seq = deref(v);
    char d[DBUF], q[QBUF];
    if (seq->kind != NODE_SEQ)
        return fail_node(r, v,
                         "expected a sequence of [key, value] pairs for '%s', like "
                         "[[Player_1, 12], [Player_2, 7]] ([] for an empty page), found %s",
                         key, describe(v, d, sizeof d));
    if (seq->count > PAGE_SIZE_MAX)
        return fail_node(r, v, "'%s' lists %zu entries, but a page holds at most %d", key,
                         seq->count, PAGE_SIZE_MAX);
    c->page_node = v;
    vs_free(*c->value);
    *c->value = NULL;
    vs_value *page = vs_new_array();
    if (!page)
        return nomem(r, v);
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i], *pair = deref(item);
        if (pair->kind != NODE_SEQ || pair->count != 2) {
            if (pair->kind == NODE_SEQ)
                fail_node(r, item,
                          "expected a [key, value] pair in '%s', found a sequence of %zu "
                          "item%s",
                          key, pair->count, pair->count == 1 ? "" : "s");
            else
                fail_node(r, item, "expected a [key, value] pair in '%s', like [Player_1, 12], "
                                   "found %s",
                          key, describe(item, d, sizeof d));
            vs_free(page);
            return -1;
        }
        char *k = NULL;
        int64_t value = 0;
        if (read_text(r, key, pair->items[0], "a key", 1, SIZE_MAX, &k) ||
            read_int(r, key, pair->items[1], -EXACT_INT_MAX, EXACT_INT_MAX, &value)) {
            free(k);
            vs_free(page);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            size_t len;
            const char *other = vs_string_of(vs_array_at(vs_array_at(page, j), 0), &len);
            if (len == strlen(k) && memcmp(other, k, len) == 0) {
                node *first = deref(seq->items[j]);
                fail_node(r, pair->items[0],
                          "the key '%s' is twice in '%s' (first at line %d, column %d): a page "
                          "holds each key once",
                          quote(q, sizeof q, k, strlen(k)), key, first->items[0]->line,
                          first->items[0]->column);
                free(k);
                vs_free(page);
                return -1;
            }
        }
        vs_value *entry = vs_new_array(), *ks = vs_new_string(k);
        vs_value *vn = vs_new_number((double)value);
        free(k);
        bool ok = entry && ks && vn;
        if (ok && vs_array_push(entry, ks) == VS_OK) {
            ks = NULL;
            ok = vs_array_push(entry, vn) == VS_OK;
            if (ok)
                vn = NULL;
        } else {
            ok = false;
        }
        if (ok && vs_array_push(page, entry) == VS_OK)
            entry = NULL;
        else
            ok = false;
        vs_free(entry);
        vs_free(ks);
        vs_free(vn);
        if (!ok) {
            vs_free(page);
            return nomem(r, item);
        }
    }
    *c->value = page;
    return 0;
}

static int read_counter(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    char q[QBUF];
    if (read_text(r, key, v, "a counter name", 1, SIZE_MAX, c->counter))
        return -1;
    if (!history_counter_valid(*c->counter))
        return fail_node(r, v, "unknown counter '%s' (counters: %s)",
                         quote(q, sizeof q, *c->counter, strlen(*c->counter)),
                         history_counter_names());
    return 0;
}

static int read_bound(reader *r, const char *key, node *v, int64_t *out)
{
    uint64_t u;
    if (read_uint(r, key, v, 0, (uint64_t)INT64_MAX, &u))
        return -1;
    *out = (int64_t)u;
    return 0;
}

static int read_at_least(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    c->at_least_bound = v;
    return read_bound(r, key, v, c->at_least);
}

static int read_at_most(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    c->at_most_bound = v;
    return read_bound(r, key, v, c->at_most);
}

static int read_count_equals(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    c->equals_bound = v;
    if (read_bound(r, key, v, c->at_least))
        return -1;
    *c->at_most = *c->at_least;
    return 0;
}

/* A name from a fixed list ("an error name"), read for key: *index is its place in names. */
static int read_choice(reader *r, const char *key, node *v, const char *what,
                       const char *const *names, size_t n, size_t *index)
{
    char *name = NULL;
    char a[64];
    snprintf(a, sizeof a, "%s %s name", strchr("aeiou", what[0]) ? "an" : "a", what);
    if (read_text(r, key, v, a, 1, SIZE_MAX, &name))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, names[i]) == 0) {
            free(name);
            *index = i;
            return 0;
        }
    }
    unknown_name(r, v, what, key, name, names, n);
    free(name);
    return -1;
}

/* The outcomes a wait, clear_lease or repair may be expected to have: `error: lease_held`. */
static const char *const outcome_names[] = {
    "none", "timeout", "lease_held", "unavailable", "schema_too_new",
    "invalid", "closed", "not_loaded", "lost",
};
static const vs_status outcome_status[] = {
    VS_OK, VS_ERR_TIMEOUT, VS_ERR_LEASE_HELD, VS_ERR_UNAVAILABLE, VS_ERR_SCHEMA_TOO_NEW,
    VS_ERR_INVALID, VS_ERR_CLOSED, VS_ERR_NOT_LOADED, VS_ERR_LOST,
};
_Static_assert(sizeof outcome_names / sizeof *outcome_names ==
                   sizeof outcome_status / sizeof *outcome_status,
               "one status per outcome name");

static int read_outcome(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    size_t i;
    if (read_choice(r, key, v, "error", outcome_names,
                    sizeof outcome_names / sizeof *outcome_names, &i))
        return -1;
    *c->expect_status = outcome_status[i];
    return 0;
}

/* A duration > 0: zero is refused rather than taken as "no time at all" or "the default".
 * default_text (may be NULL) says what leaving the key out gives. */
static int read_positive_duration(reader *r, const char *key, node *v, const char *default_text,
                                  int64_t *out)
{
    if (read_duration(r, key, v, out))
        return -1;
    if (*out == 0) {
        if (default_text)
            return fail_node(r, v, "'%s' must be longer than 0 (leave it out for %s)", key,
                             default_text);
        return fail_node(r, v, "'%s' must be longer than 0", key);
    }
    return 0;
}

static int read_timeout(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_positive_duration(r, key, v, NULL, c->timeout_us);
}

static const char *const edit_outcomes[] = {"committed", "cancelled"};

static int read_edit_outcome(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    size_t i;
    if (read_choice(r, key, v, "outcome", edit_outcomes,
                    sizeof edit_outcomes / sizeof *edit_outcomes, &i))
        return -1;
    *c->expect_cancel = i == 1;
    return 0;
}

static int read_purchase_id(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    *c->id_node = v;
    return read_text(r, key, v, "a purchase id", 1, SIZE_MAX, c->text);
}

/* Product ids and prices travel as numbers: integers within 2^53, like every number. */
static int read_product_ref(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    *c->product = (int64_t)u;
    *c->product_node = v;
    return 0;
}

static int read_price(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 0, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    *c->price = (int64_t)u;
    return 0;
}

/* --- durable operations: deliver and dead_letter --- */

/* An operation id: a non-empty string of at most OP_ID_MAX_BYTES bytes (of UTF-8, so fewer
 * characters when some are not ASCII). Ids need not differ: a delivery with an id already
 * seen is how a scenario tests that a duplicate has no effect. */
static int read_op_id(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    if (read_text(r, key, v, "an operation id", 1, SIZE_MAX, c->text))
        return -1;
    size_t len = strlen(*c->text);
    if (len > OP_ID_MAX_BYTES)
        return fail_node(r, v, "the operation id for '%s' is %zu bytes long; an operation id "
                               "is at most %d bytes",
                         key, len, OP_ID_MAX_BYTES);
    return 0;
}

/* The handler a delivery names: checked against the store's handlers at the end, because
 * `store` may come after `script`. */
static int read_handler_ref(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    *c->handler_node = v;
    return read_text(r, key, v, "a handler name", 1, SIZE_MAX, c->key);
}

/* Any value; it is written into the stored profile's inbox with the operation, so what the
 * store would refuse (vs_value_check_storable) is refused here, at the payload. */
static int read_payload(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    if (read_any_value(r, key, v, obj))
        return -1;
    char *where = NULL;
    vs_status st = vs_value_check_storable(*c->value, 0, &where);
    if (st == VS_OK)
        return 0;
    char q[QBUF];
    int rc;
    if (st == VS_ERR_NOMEM)
        rc = nomem(r, v);
    else if (where && where[0])
        rc = fail_node(r, v, "this payload is refused: %s (at %s): an operation is stored "
                             "with its payload",
                       vs_status_message(st), quote(q, sizeof q, where, strlen(where)));
    else
        rc = fail_node(r, v, "this payload is refused: %s: an operation is stored with its "
                             "payload",
                       vs_status_message(st));
    free(where);
    return rc;
}

/* The outcomes a deliver may be expected to have: `outcome: duplicate`. */
static const char *const deliver_outcome_names[] = {
    "accepted", "duplicate", "not_found", "unavailable",
};
static const vs_status deliver_outcome_status[] = {
    VS_OK, VS_ERR_BUSY, VS_ERR_NOT_FOUND, VS_ERR_UNAVAILABLE,
};
_Static_assert(sizeof deliver_outcome_names / sizeof *deliver_outcome_names ==
                   sizeof deliver_outcome_status / sizeof *deliver_outcome_status,
               "one status per deliver outcome name");

/* ... and a dead_letter: `outcome: not_found`. */
static const char *const dead_letter_outcome_names[] = {"done", "not_found", "unavailable"};
static const vs_status dead_letter_outcome_status[] = {
    VS_OK, VS_ERR_NOT_FOUND, VS_ERR_UNAVAILABLE,
};
_Static_assert(sizeof dead_letter_outcome_names / sizeof *dead_letter_outcome_names ==
                   sizeof dead_letter_outcome_status / sizeof *dead_letter_outcome_status,
               "one status per dead_letter outcome name");

static int read_deliver_outcome(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    size_t i;
    if (read_choice(r, key, v, "outcome", deliver_outcome_names,
                    sizeof deliver_outcome_names / sizeof *deliver_outcome_names, &i))
        return -1;
    *c->expect_status = deliver_outcome_status[i];
    return 0;
}

static int read_dead_letter_outcome(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    size_t i;
    if (read_choice(r, key, v, "outcome", dead_letter_outcome_names,
                    sizeof dead_letter_outcome_names / sizeof *dead_letter_outcome_names, &i))
        return -1;
    *c->expect_status = dead_letter_outcome_status[i];
    return 0;
}

/* What a dead_letter does with the dead letter: back to the inbox, or away. */
static const char *const dead_letter_actions[] = {"retry", "drop"};

static int read_dead_letter_action(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    size_t i;
    if (read_choice(r, key, v, "action", dead_letter_actions,
                    sizeof dead_letter_actions / sizeof *dead_letter_actions, &i))
        return -1;
    *c->retry_dead = i == 0;
    return 0;
}

/* --- variants: a mapping with common keys and exactly one variant key (a step's action,
 * an expectation's kind), whose value is a mapping of the variant's own keys --- */

typedef struct variant_spec {
    const char *name;
    int kind;
    const key_spec *keys;
    size_t nkeys;
    int (*check)(reader *r, node *args, void *ctx); /* after the keys; may be NULL */
    const char *example; /* its arguments, for messages: "{player: 1}" */
} variant_spec;

typedef struct variant_group {
    const char *noun;      /* "step" */
    const char *kind_noun; /* "action" */
    const key_spec *common;
    size_t ncommon;
    const variant_spec *variants;
    size_t nvariants;
    const char *unknown; /* an unknown key is an "unknown <this>"; NULL: "unknown key" */
} variant_group;

/* Exactly one of 'equals' and 'absent: true' in `what` (stored, client_check). */
static int equals_or_absent(reader *r, node *args, args_ctx *c, const char *what)
{
    if (c->has_equals && c->has_absent)
        return fail_node(r, c->absent_node,
                         "use either 'equals' or 'absent: true' in '%s', not both", what);
    if (!c->has_equals && !c->has_absent)
        return fail_node(r, args, "missing 'equals' or 'absent: true' in '%s'", what);
    return 0;
}

static int check_stored(reader *r, node *args, void *ctx)
{
    return equals_or_absent(r, args, ctx, "stored");
}

/* join: server 1 unless it says otherwise (rejoin's absent server means "the same"). */
static int check_join(reader *r, node *args, void *ctx)
{
    args_ctx *c = ctx;
    if (c->has_server)
        return 0;
    *c->server = 1;
    return note_server(r, args, 1, "join");
}

static int check_ods_check(reader *r, node *args, void *ctx)
{
    args_ctx *c = ctx;
    (void)args;
    if (!c->has_page_size)
        *c->page_size = PAGE_SIZE_DEFAULT;
    size_t n = vs_array_len(*c->value);
    if (n > *c->page_size)
        return fail_node(r, c->page_node,
                         "'equals' lists %zu entries, but a page of this check holds at most "
                         "%zu (page_size%s)",
                         n, *c->page_size, c->has_page_size ? "" : ", default 10");
    return 0;
}

static int check_count(reader *r, node *args, void *ctx)
{
    args_ctx *c = ctx;
    if (c->equals_bound && (c->at_least_bound || c->at_most_bound))
        return fail_node(r, c->at_least_bound ? c->at_least_bound : c->at_most_bound,
                         "use either 'equals' or 'at_least'/'at_most' in 'count', not both");
    if (!c->equals_bound && !c->at_least_bound && !c->at_most_bound)
        return fail_node(r, args, "no bound in 'count': give at_least, at_most or equals");
    if (c->at_least_bound && c->at_most_bound && *c->at_least > *c->at_most)
        return fail_node(r, c->at_most_bound,
                         "at_most (%" PRId64 ") is less than at_least (%" PRId64 ") in 'count': "
                         "no number is within both",
                         *c->at_most, *c->at_least);
    return 0;
}

#define KEYS(t) t, sizeof t / sizeof t[0]

/* --- what a client sees, the leaderboard, and the helpers kept in the profile (cooldowns,
 * the daily reward, timed effects) --- */

/* client_check: the path may be "" (the whole replica the client holds). */
static int read_replica_path(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return parse_path(r, key, v, NULL, " (write \"\" for the whole replica)", c->path);
}

static int check_client_check(reader *r, node *args, void *ctx)
{
    args_ctx *c = ctx;
    if (equals_or_absent(r, args, c, "client_check"))
        return -1;
    if (c->has_absent && c->path->count == 0)
        return fail_node(r, c->absent_node,
                         "the whole replica is never absent (a client that sees nothing holds "
                         "an empty map): give 'absent: true' a path, like Wallet.Coins, or "
                         "write equals: {}");
    return 0;
}

/* The map inside the profile where a helper keeps its state: never the root. */
static int read_state_path(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return parse_path(r, key, v,
                      "the path must not be empty: it names the map inside the profile where "
                      "the helper keeps its state, like Cooldowns",
                      "", c->path);
}

static int read_top(reader *r, const char *key, node *v, void *obj)
{
    return read_page_size(r, key, v, obj);
}

/* Appends [k, v] to page (taking both, also on failure). */
static vs_status push_pair(vs_value *page, vs_value *k, vs_value *v)
{
    vs_value *entry = vs_new_array();
    vs_status st = VS_ERR_NOMEM;
    if (entry && k && v && vs_array_push(entry, k) == VS_OK) {
        k = NULL;
        if (vs_array_push(entry, v) == VS_OK) {
            v = NULL;
            if (vs_array_push(page, entry) == VS_OK) {
                entry = NULL;
                st = VS_OK;
            }
        }
    }
    vs_free(entry);
    vs_free(k);
    vs_free(v);
    return st;
}

/* leaderboard_check's expected top: a sequence of [player, value] pairs in rank order, kept
 * as an array of two-item arrays [number, number]; each player at most once. */
static int read_ranking(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    node *seq = deref(v);
    char d[DBUF];
    if (seq->kind != NODE_SEQ)
        return fail_node(r, v,
                         "expected a sequence of [player, value] pairs for '%s', like "
                         "[[1, 12], [2, 7]] ([] for an empty leaderboard), found %s",
                         key, describe(v, d, sizeof d));
    if (seq->count > PAGE_SIZE_MAX)
        return fail_node(r, v, "'%s' lists %zu entries, but a leaderboard check reads at most "
                               "the top %d",
                         key, seq->count, PAGE_SIZE_MAX);
    c->page_node = v;
    vs_free(*c->value);
    *c->value = NULL;
    vs_value *page = vs_new_array();
    if (!page)
        return nomem(r, v);
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i], *pair = deref(item);
        if (pair->kind != NODE_SEQ || pair->count != 2) {
            if (pair->kind == NODE_SEQ)
                fail_node(r, item,
                          "expected a [player, value] pair in '%s', found a sequence of %zu "
                          "item%s",
                          key, pair->count, pair->count == 1 ? "" : "s");
            else
                fail_node(r, item, "expected a [player, value] pair in '%s', like [1, 12], "
                                   "found %s",
                          key, describe(item, d, sizeof d));
            vs_free(page);
            return -1;
        }
        uint64_t player = 0;
        int64_t value = 0;
        if (read_uint(r, "player", pair->items[0], 1, (uint64_t)EXACT_INT_MAX, &player) ||
            read_int(r, key, pair->items[1], -EXACT_INT_MAX, EXACT_INT_MAX, &value)) {
            vs_free(page);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (vs_number_of(vs_array_at(vs_array_at(page, j), 0)) != (double)player)
                continue;
            node *first = deref(seq->items[j]);
            fail_node(r, pair->items[0],
                      "player %" PRIu64 " is twice in '%s' (first at line %d, column %d): a "
                      "leaderboard holds each player once",
                      player, key, first->items[0]->line, first->items[0]->column);
            vs_free(page);
            return -1;
        }
        if (push_pair(page, vs_new_number((double)player), vs_new_number((double)value)) !=
            VS_OK) {
            vs_free(page);
            return nomem(r, item);
        }
    }
    *c->value = page;
    return 0;
}

static int check_leaderboard_check(reader *r, node *args, void *ctx)
{
    args_ctx *c = ctx;
    (void)args;
    size_t n = vs_array_len(*c->value);
    if (n > *c->page_size)
        return fail_node(r, c->page_node,
                         "'equals' lists %zu entries, but this check reads only the top %zu",
                         n, *c->page_size);
    return 0;
}

static int read_cooldown_name(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_text(r, key, v, "a cooldown name", 1, SIZE_MAX, c->text);
}

static int read_effect_name(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_text(r, key, v, "an effect name", 1, SIZE_MAX, c->text);
}

/* A cooldown's length, an effect's duration: > 0. */
static int read_helper_time(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_positive_duration(r, key, v, NULL, c->timeout_us);
}

static const char *const cooldown_outcomes[] = {"started", "not_ready"};

static int read_cooldown_outcome(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    size_t i;
    if (read_choice(r, key, v, "outcome", cooldown_outcomes,
                    sizeof cooldown_outcomes / sizeof *cooldown_outcomes, &i))
        return -1;
    *c->expect_cancel = i == 1;
    return 0;
}

/* Streaks, like every number of a profile, stay within 2^53. */
static int read_max_streak(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    *c->amount = (int64_t)u;
    return 0;
}

static int read_claimed(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    if (read_bool(r, key, v, &c->claimed))
        return -1;
    *c->expect_cancel = !c->claimed;
    return 0;
}

static int read_streak(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    *c->index = (size_t)u;
    c->streak_node = v;
    return 0;
}

static const key_spec daily_expect_keys[] = {
    {"claimed", true, read_claimed},
    {"streak", false, read_streak},
};

/* daily's outcome: {claimed: true, streak: 2} or {claimed: false}. */
static int read_daily_outcome(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    c->streak_node = NULL;
    if (expect_mapping(r, key, v, " (like {claimed: true, streak: 1} or {claimed: false})") ||
        read_mapping(r, v, "'expect'", KEYS(daily_expect_keys), c))
        return -1;
    if (c->claimed && !c->streak_node)
        return fail_node(r, v, "missing 'streak' in 'expect': a claimed daily reward makes a "
                               "streak, like {claimed: true, streak: 1}");
    if (!c->claimed && c->streak_node)
        return fail_node(r, c->streak_node,
                         "'streak' is only for a claimed reward: with claimed: false, write "
                         "{claimed: false} alone");
    return 0;
}

static int check_daily(reader *r, node *args, void *ctx)
{
    args_ctx *c = ctx;
    (void)args;
    if (c->streak_node && (int64_t)*c->index > *c->amount)
        return fail_node(r, c->streak_node,
                         "streak %zu is more than max_streak %" PRId64 ": a streak stays at "
                         "most max_streak",
                         *c->index, *c->amount);
    return 0;
}

static int read_active(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    bool active;
    if (read_bool(r, key, v, &active))
        return -1;
    *c->expect_cancel = !active;
    return 0;
}

/* --- step lists: the declarative steps of core/steps.h, in an edit, a repair, a migration
 * and a validator. A list is a sequence of one-key mappings, the key naming the step's kind
 * ({add: {path: Wallet.Coins, value: -50}}), read as variants of op_group; each step is built
 * with vs_steps_push_*, whose refusals are reported at the step. --- */

static int read_variant(reader *r, const variant_group *g, node *map, void *c,
                        const variant_spec **chosen);

/* What a step list belongs to, and whether its steps may take an operand from a payload
 * (`from: Amount`). Only operation handlers are given a payload; every other list refuses
 * `from`, so allowing it for a new owner is this one flag. */
typedef struct list_owner {
    const char *noun; /* "an edit", for "... but an edit has no payload" */
    bool payload;
} list_owner;

static const list_owner edit_owner = {"an edit", false};
static const list_owner repair_owner = {"a repair", false};
static const list_owner migration_owner = {"a migration", false};
static const list_owner validator_owner = {"a validator", false};
static const list_owner handler_owner = {"an operation handler", true};

/* One step of a list while it is read; its kind's check builds it into out. */
typedef struct op_ctx {
    const list_owner *owner;
    vs_steps *out;
    node *item;      /* the step: where a refusal of vs_steps_push_* is reported */
    vs_path path;
    vs_value *value; /* the literal operand: `value`, or the condition's (a string for type) */
    bool has_from;   /* the operand is the payload's node at `from` instead */
    vs_path from;
    size_t index;    /* insert: 1-based, 0 = append */
    bool has_cond;   /* require: the condition, once one is written */
    vs_require_op op;
} op_ctx;

/* The key under which v, a value of the step's arguments, is written (read_variant has
 * checked that the step is one key whose value is the arguments' mapping). */
static node *key_of(op_ctx *c, node *v)
{
    node *args = deref(deref(c->item)->items[1]);
    for (size_t p = 0; p < args->count / 2; p++)
        if (args->items[2 * p + 1] == v)
            return args->items[2 * p];
    return v;
}

/* `from` where the list has no payload. example shows the operand written out. */
static int from_refused(reader *r, node *key, op_ctx *c, const char *example, const char *more)
{
    return fail_node(r, key,
                     "'from' takes the operand from a payload, but %s has no payload (only "
                     "operation handlers are given one): write the operand itself, like %s%s",
                     c->owner->noun, example, more);
}

static int read_payload_path(reader *r, node *v, op_ctx *c)
{
    if (parse_path(r, "from", v, NULL,
                   " (a path in the payload, like Amount; \"\" for the whole payload)", &c->from))
        return -1;
    c->has_from = true;
    return 0;
}

static int read_op_path(reader *r, const char *key, node *v, void *obj)
{
    op_ctx *c = obj;
    /* the root is read like any path: a require may test it, and vs_steps_push_* refuses a
     * change of the whole profile (reported at the step) */
    return parse_path(r, key, v, NULL, " (\"\" is the whole profile)", &c->path);
}

static int read_op_operand(reader *r, const char *key, node *v, op_ctx *c, bool number)
{
    node *n = deref(v);
    char d[DBUF];
    if (c->has_from)
        return fail_node(r, key_of(c, v), "use either '%s' or 'from' in one step, not both",
                         key);
    scalar_type t = n->kind == NODE_SCALAR ? classify(n) : S_STRING;
    if (number && (n->kind != NODE_SCALAR || (t != S_INT && t != S_FLOAT)))
        return fail_node(r, v, "expected a number for '%s', found %s", key,
                         describe(v, d, sizeof d));
    vs_free(c->value);
    c->value = NULL;
    return to_value(r, v, &c->value);
}

static int read_op_value(reader *r, const char *key, node *v, void *obj)
{
    return read_op_operand(r, key, v, obj, false);
}

static int read_op_number(reader *r, const char *key, node *v, void *obj)
{
    return read_op_operand(r, key, v, obj, true);
}

static int read_op_from(reader *r, const char *key, node *v, void *obj)
{
    op_ctx *c = obj;
    node *k = key_of(c, v);
    (void)key;
    if (!c->owner->payload)
        return from_refused(r, k, c, "value: 10", "");
    if (c->value)
        return fail_node(r, k, "use either 'value' or 'from' in one step, not both");
    return read_payload_path(r, v, c);
}

static int read_op_index(reader *r, const char *key, node *v, void *obj)
{
    op_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)MAX_EXACT_INT, &u))
        return -1;
    c->index = (size_t)u;
    return 0;
}

/* A require tests exactly one condition; the key names it (the names of core/steps.h). */
static int begin_condition(reader *r, const char *key, node *v, op_ctx *c, vs_require_op *op)
{
    if (!vs_require_op_parse(key, op))
        return fail_node(r, v, "internal error: '%s' is not a condition", key);
    if (c->has_cond)
        return fail_node(r, key_of(c, v),
                         "two conditions in one require, '%s' and '%s': a require tests "
                         "exactly one of exists, absent, equals, at_least, at_most, type",
                         vs_require_op_name(c->op), key);
    c->has_cond = true;
    c->op = *op;
    return 0;
}

static int read_cond_flag(reader *r, const char *key, node *v, void *obj)
{
    op_ctx *c = obj;
    vs_require_op op;
    if (begin_condition(r, key, v, c, &op))
        return -1;
    node *n = deref(v);
    char d[DBUF];
    bool b = false;
    if (n->kind != NODE_SCALAR || classify(n) != S_BOOL || !match_bool(n->text, n->len, &b) ||
        !b)
        return fail_node(r, v, "expected 'true' for '%s' (%s), found %s", key,
                         op == VS_REQUIRE_EXISTS
                             ? "to require that nothing is there, use 'absent: true'"
                             : "to require that something is there, use 'exists: true'",
                         describe(v, d, sizeof d));
    return 0;
}

/* {from: Price} in place of a condition's operand. A mapping tagged !!map is a literal
 * whatever its keys, so equals can still compare with a map whose one key is "from". */
static bool is_payload_ref(node *v)
{
    node *n = deref(v);
    return n->kind == NODE_MAP && n->tag != TAG_MAP && n->count == 2 && is_key(n->items[0], "from");
}

static int read_cond_operand(reader *r, const char *key, node *v, void *obj)
{
    op_ctx *c = obj;
    vs_require_op op;
    if (begin_condition(r, key, v, c, &op))
        return -1;
    bool equals = op == VS_REQUIRE_EQUALS;
    if (is_payload_ref(v)) {
        node *m = deref(v);
        if (!c->owner->payload) {
            char example[64];
            snprintf(example, sizeof example, "%s: %s", key, equals ? "5" : "0");
            return from_refused(r, m->items[0], c, example,
                                equals ? " (to compare with a map whose only key is 'from', "
                                         "tag it: equals: !!map {from: ...})"
                                       : "");
        }
        return read_payload_path(r, m->items[1], c);
    }
    node *n = deref(v);
    char d[DBUF];
    scalar_type t = n->kind == NODE_SCALAR ? classify(n) : S_STRING;
    if (!equals && (n->kind != NODE_SCALAR || (t != S_INT && t != S_FLOAT)))
        return fail_node(r, v, "expected a number for '%s'%s, found %s", key,
                         c->owner->payload ? " (or {from: <payload path>})" : "",
                         describe(v, d, sizeof d));
    return to_value(r, v, &c->value);
}

static const char *const require_type_names[] = {"nil",    "boolean", "number",
                                                 "string", "array",   "map"};

/* Names from other languages, for a better suggestion than the nearest spelling. */
static const struct {
    const char *name, *type;
} type_synonyms[] = {
    {"int", "number"},  {"integer", "number"}, {"float", "number"}, {"double", "number"},
    {"bool", "boolean"}, {"str", "string"},    {"text", "string"},  {"list", "array"},
    {"table", "map"},   {"dict", "map"},       {"object", "map"},   {"null", "nil"},
    {"none", "nil"},
};

static int read_cond_type(reader *r, const char *key, node *v, void *obj)
{
    op_ctx *c = obj;
    vs_require_op op;
    char *name = NULL;
    if (begin_condition(r, key, v, c, &op) ||
        read_text(r, key, v, "a type name", 1, SIZE_MAX, &name))
        return -1;
    size_t ntypes = sizeof require_type_names / sizeof *require_type_names;
    for (size_t i = 0; i < ntypes; i++) {
        if (strcmp(name, require_type_names[i]) == 0) {
            free(name);
            c->value = vs_new_string(require_type_names[i]);
            return c->value ? 0 : nomem(r, v);
        }
    }
    for (size_t i = 0; i < sizeof type_synonyms / sizeof *type_synonyms; i++) {
        if (strcmp(name, type_synonyms[i].name) == 0) {
            char q[QBUF];
            fail_node(r, v, "unknown type '%s' for 'type' (did you mean '%s'? the types are "
                            "nil, boolean, number, string, array and map)",
                      quote(q, sizeof q, name, strlen(name)), type_synonyms[i].type);
            free(name);
            return -1;
        }
    }
    unknown_name(r, v, "type", key, name, require_type_names, ntypes);
    free(name);
    return -1;
}

/* A refusal of vs_steps_push_*, at the step. */
static int step_refused(reader *r, op_ctx *c, vs_step_kind kind, vs_status st, bool nil_value)
{
    const char *name = vs_step_kind_name(kind);
    if (st == VS_ERR_NOMEM)
        return nomem(r, c->item);
    if (st == VS_ERR_PATH)
        return fail_node(r, c->item,
                         "this '%s' step would change the whole profile: its path must name a "
                         "value inside it, like Wallet.Coins",
                         name);
    if (st == VS_ERR_ARRAY_HOLE && kind == VS_STEP_INSERT && nil_value)
        return fail_node(r, c->item,
                         "this 'insert' step is refused: inserting nil would leave a hole in "
                         "the array, which is not storable");
    return fail_node(r, c->item, "this '%s' step is refused: %s", name, vs_status_message(st));
}

/* set, add, insert, remove: the operand is `value` or, where there is a payload, `from`. */
static int build_change(reader *r, node *args, op_ctx *c, vs_step_kind kind)
{
    const char *name = vs_step_kind_name(kind);
    if (kind != VS_STEP_REMOVE && !c->value && !c->has_from)
        return c->owner->payload
                   ? fail_node(r, args, "missing 'value' or 'from' in '%s'", name)
                   : fail_node(r, args, "missing required key 'value' in '%s'", name);
    vs_value *v = c->value;
    c->value = NULL;
    bool nil_value = v && vs_type_of(v) == VS_NIL;
    vs_status st;
    switch (kind) {
    case VS_STEP_SET:
        st = c->has_from ? vs_steps_push_set_from(c->out, &c->path, &c->from)
                         : vs_steps_push_set(c->out, &c->path, v);
        v = c->has_from ? v : NULL;
        break;
    case VS_STEP_ADD:
        st = c->has_from ? vs_steps_push_add_from(c->out, &c->path, &c->from)
                         : vs_steps_push_add(c->out, &c->path, vs_number_of(v));
        break;
    case VS_STEP_INSERT:
        st = c->has_from ? vs_steps_push_insert_from(c->out, &c->path, c->index, &c->from)
                         : vs_steps_push_insert(c->out, &c->path, c->index, v);
        v = c->has_from ? v : NULL;
        break;
    default: st = vs_steps_push_remove(c->out, &c->path); break;
    }
    vs_free(v); /* what the push did not take over */
    return st == VS_OK ? 0 : step_refused(r, c, kind, st, nil_value);
}

static int check_op_set(reader *r, node *args, void *ctx)
{
    return build_change(r, args, ctx, VS_STEP_SET);
}

static int check_op_add(reader *r, node *args, void *ctx)
{
    return build_change(r, args, ctx, VS_STEP_ADD);
}

static int check_op_insert(reader *r, node *args, void *ctx)
{
    return build_change(r, args, ctx, VS_STEP_INSERT);
}

static int check_op_remove(reader *r, node *args, void *ctx)
{
    return build_change(r, args, ctx, VS_STEP_REMOVE);
}

static int check_op_require(reader *r, node *args, void *ctx)
{
    op_ctx *c = ctx;
    if (!c->has_cond)
        return fail_node(r, args, "no condition in 'require': give exactly one of exists: true, "
                                  "absent: true, equals, at_least, at_most or type");
    vs_status st;
    if (c->has_from) {
        st = vs_steps_push_require_from(c->out, &c->path, c->op, &c->from);
    } else {
        vs_value *v = c->value;
        c->value = NULL;
        st = vs_steps_push_require(c->out, &c->path, c->op, v); /* takes v over */
    }
    return st == VS_OK ? 0 : step_refused(r, c, VS_STEP_REQUIRE, st, false);
}

static const key_spec op_set_keys[] = {
    {"path", true, read_op_path},
    {"value", false, read_op_value},
    {"from", false, read_op_from},
};
static const key_spec op_add_keys[] = {
    {"path", true, read_op_path},
    {"value", false, read_op_number},
    {"from", false, read_op_from},
};
static const key_spec op_insert_keys[] = {
    {"path", true, read_op_path},
    {"value", false, read_op_value},
    {"from", false, read_op_from},
    {"index", false, read_op_index},
};
static const key_spec op_remove_keys[] = {
    {"path", true, read_op_path},
};
static const key_spec op_require_keys[] = {
    {"path", true, read_op_path},
    {"exists", false, read_cond_flag},
    {"absent", false, read_cond_flag},
    {"equals", false, read_cond_operand},
    {"at_least", false, read_cond_operand},
    {"at_most", false, read_cond_operand},
    {"type", false, read_cond_type},
};

static const variant_spec op_kinds[] = {
    {"set", VS_STEP_SET, KEYS(op_set_keys), check_op_set, "{path: Level, value: 1}"},
    {"add", VS_STEP_ADD, KEYS(op_add_keys), check_op_add, "{path: Wallet.Coins, value: 10}"},
    {"insert", VS_STEP_INSERT, KEYS(op_insert_keys), check_op_insert,
     "{path: Inventory, value: sword}"},
    {"remove", VS_STEP_REMOVE, KEYS(op_remove_keys), check_op_remove, "{path: Inventory.1}"},
    {"require", VS_STEP_REQUIRE, KEYS(op_require_keys), check_op_require,
     "{path: Wallet.Coins, at_least: 0}"},
};

static const variant_group op_group = {
    "step", "kind", NULL, 0, KEYS(op_kinds), "step kind",
};

/* A step list for key: a sequence of steps, built into *out (which the caller frees, also
 * on failure). */
static int read_step_list(reader *r, const char *key, node *v, const list_owner *owner,
                          vs_steps *out)
{
    node *seq = deref(v);
    char d[DBUF];
    if (seq->kind != NODE_SEQ)
        return fail_node(r, v,
                         "expected a sequence of steps for '%s', like [{add: {path: "
                         "Wallet.Coins, value: 10}}] ([] for none), found %s",
                         key, describe(v, d, sizeof d));
    vs_steps_free(out);
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i];
        if (deref(item)->kind != NODE_MAP)
            return fail_node(r, item,
                             "expected a step (a mapping with one of set, add, insert, remove, "
                             "require, like {set: {path: Level, value: 1}}), found %s",
                             describe(item, d, sizeof d));
        op_ctx c = {.owner = owner, .out = out, .item = item};
        const variant_spec *chosen = NULL;
        int rc = read_variant(r, &op_group, item, &c, &chosen);
        vs_path_free(&c.path);
        vs_path_free(&c.from);
        vs_free(c.value);
        if (rc)
            return -1;
    }
    return 0;
}

static const key_spec step_common_keys[] = {
    {"at", true, read_at},
};

static int read_edit_steps(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_step_list(r, key, v, &edit_owner, c->edit);
}

static int read_repair_steps(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_step_list(r, key, v, &repair_owner, c->edit);
}

static const key_spec player_keys[] = {
    {"player", true, read_player},
};
static const key_spec join_keys[] = {
    {"player", true, read_player},
    {"server", false, read_server},
};
static const key_spec teleport_keys[] = {
    {"player", true, read_player},
    {"to", true, read_server},
};
static const key_spec set_keys[] = {
    {"player", true, read_player},
    {"path", true, read_path},
    {"value", true, read_any_value},
};
static const key_spec add_keys[] = {
    {"player", true, read_player},
    {"path", true, read_path},
    {"value", true, read_number_value},
};
static const key_spec insert_keys[] = {
    {"player", true, read_player},
    {"path", true, read_path},
    {"value", true, read_any_value},
    {"index", false, read_index},
};
static const key_spec remove_keys[] = {
    {"player", true, read_player},
    {"path", true, read_path},
};
static const key_spec server_step_keys[] = {
    {"server", true, read_server},
};
static const key_spec publish_keys[] = {
    {"server", true, read_server},
    {"topic", true, read_topic},
    {"message", true, read_message},
};
static const key_spec subscribe_keys[] = {
    {"server", true, read_server},
    {"topic", true, read_topic},
};
static const key_spec ods_set_keys[] = {
    {"server", true, read_server},
    {"store", true, read_ods_store},
    {"key", true, read_ods_key},
    {"value", true, read_ods_amount},
};
static const key_spec ods_increment_keys[] = {
    {"server", true, read_server},
    {"store", true, read_ods_store},
    {"key", true, read_ods_key},
    {"by", true, read_ods_amount},
};
static const key_spec ods_check_keys[] = {
    {"server", true, read_server},
    {"store", true, read_ods_store},
    {"equals", true, read_page},
    {"ascending", false, read_ascending},
    {"page_size", false, read_page_size},
};
static const key_spec wait_keys[] = {
    {"player", true, read_player},
    {"timeout", true, read_timeout},
    {"error", false, read_outcome},
};
static const key_spec edit_keys[] = {
    {"player", true, read_player},
    {"steps", true, read_edit_steps},
    {"expect", false, read_edit_outcome},
};
static const key_spec purchase_keys[] = {
    {"player", true, read_player},
    {"id", true, read_purchase_id},
    {"product", true, read_product_ref},
    {"price", false, read_price},
};
static const key_spec clear_lease_keys[] = {
    {"server", true, read_server},
    {"player", true, read_player},
    {"error", false, read_outcome},
};
static const key_spec repair_keys[] = {
    {"server", true, read_server},
    {"player", true, read_player},
    {"steps", true, read_repair_steps},
    {"error", false, read_outcome},
};
static const key_spec deliver_keys[] = {
    {"server", true, read_server},
    {"player", true, read_player},
    {"id", true, read_op_id},
    {"handler", true, read_handler_ref},
    {"payload", false, read_payload},
    {"outcome", false, read_deliver_outcome},
};
static const key_spec dead_letter_keys[] = {
    {"server", true, read_server},
    {"player", true, read_player},
    {"id", true, read_op_id},
    {"action", true, read_dead_letter_action},
    {"outcome", false, read_dead_letter_outcome},
};

static const key_spec client_check_keys[] = {
    {"player", true, read_player},
    {"path", true, read_replica_path},
    {"equals", false, read_any_value},
    {"absent", false, read_absent},
};
static const key_spec leaderboard_check_keys[] = {
    {"server", true, read_server},
    {"top", true, read_top},
    {"equals", true, read_ranking},
};
static const key_spec cooldown_keys[] = {
    {"player", true, read_player},
    {"name", true, read_cooldown_name},
    {"length", true, read_helper_time},
    {"path", true, read_state_path},
    {"expect", true, read_cooldown_outcome},
};
static const key_spec daily_keys[] = {
    {"player", true, read_player},
    {"path", true, read_state_path},
    {"max_streak", true, read_max_streak},
    {"expect", true, read_daily_outcome},
};
static const key_spec effect_add_keys[] = {
    {"player", true, read_player},
    {"name", true, read_effect_name},
    {"duration", true, read_helper_time},
    {"path", true, read_state_path},
};
static const key_spec effect_check_keys[] = {
    {"player", true, read_player},
    {"name", true, read_effect_name},
    {"path", true, read_state_path},
    {"active", true, read_active},
};

static const variant_spec step_actions[] = {
    {"join", STEP_JOIN, KEYS(join_keys), check_join, "{player: 1}"},
    {"leave", STEP_LEAVE, KEYS(player_keys), NULL, "{player: 1}"},
    {"set", STEP_SET, KEYS(set_keys), NULL, "{player: 1, ...}"},
    {"add", STEP_ADD, KEYS(add_keys), NULL, "{player: 1, ...}"},
    {"insert", STEP_INSERT, KEYS(insert_keys), NULL, "{player: 1, ...}"},
    {"remove", STEP_REMOVE, KEYS(remove_keys), NULL, "{player: 1, ...}"},
    {"teleport", STEP_TELEPORT, KEYS(teleport_keys), NULL, "{player: 1, to: 2}"},
    {"rejoin", STEP_REJOIN, KEYS(join_keys), NULL, "{player: 1}"},
    {"start", STEP_START, KEYS(server_step_keys), NULL, "{server: 1}"},
    {"crash", STEP_CRASH, KEYS(server_step_keys), NULL, "{server: 1}"},
    {"freeze", STEP_FREEZE, KEYS(server_step_keys), NULL, "{server: 1}"},
    {"resume", STEP_RESUME, KEYS(server_step_keys), NULL, "{server: 1}"},
    {"shutdown", STEP_SHUTDOWN, KEYS(server_step_keys), NULL, "{server: 1}"},
    {"publish", STEP_PUBLISH, KEYS(publish_keys), NULL, "{server: 1, ...}"},
    {"subscribe", STEP_SUBSCRIBE, KEYS(subscribe_keys), NULL, "{server: 1, topic: news}"},
    {"ods_set", STEP_ODS_SET, KEYS(ods_set_keys), NULL, "{server: 1, ...}"},
    {"ods_increment", STEP_ODS_INCREMENT, KEYS(ods_increment_keys), NULL, "{server: 1, ...}"},
    {"ods_check", STEP_ODS_CHECK, KEYS(ods_check_keys), check_ods_check, "{server: 1, ...}"},
    {"wait", STEP_WAIT, KEYS(wait_keys), NULL, "{player: 1, timeout: 10s}"},
    {"edit", STEP_EDIT, KEYS(edit_keys), NULL, "{player: 1, steps: [...]}"},
    {"save", STEP_SAVE, KEYS(player_keys), NULL, "{player: 1}"},
    {"purchase", STEP_PURCHASE, KEYS(purchase_keys), NULL, "{player: 1, id: P-1, product: 7}"},
    {"clear_lease", STEP_CLEAR_LEASE, KEYS(clear_lease_keys), NULL, "{server: 1, player: 1}"},
    {"repair", STEP_REPAIR, KEYS(repair_keys), NULL, "{server: 1, player: 1, steps: [...]}"},
    {"deliver", STEP_DELIVER, KEYS(deliver_keys), NULL,
     "{server: 1, player: 1, id: op-1, handler: grant}"},
    {"dead_letter", STEP_DEAD_LETTER, KEYS(dead_letter_keys), NULL,
     "{server: 1, player: 1, id: op-1, action: retry}"},
    {"client_check", STEP_CLIENT_CHECK, KEYS(client_check_keys), check_client_check,
     "{player: 1, path: Wallet.Coins, equals: 10}"},
    {"leaderboard_check", STEP_LEADERBOARD_CHECK, KEYS(leaderboard_check_keys),
     check_leaderboard_check, "{server: 1, top: 3, equals: [[1, 10]]}"},
    {"cooldown", STEP_COOLDOWN, KEYS(cooldown_keys), NULL,
     "{player: 1, name: dash, length: 30s, path: Cooldowns, expect: started}"},
    {"daily", STEP_DAILY, KEYS(daily_keys), check_daily,
     "{player: 1, path: Daily, max_streak: 7, expect: {claimed: true, streak: 1}}"},
    {"effect_add", STEP_EFFECT_ADD, KEYS(effect_add_keys), NULL,
     "{player: 1, name: speed, duration: 1m, path: Effects}"},
    {"effect_check", STEP_EFFECT_CHECK, KEYS(effect_check_keys), NULL,
     "{player: 1, name: speed, path: Effects, active: true}"},
};

static const variant_group step_group = {
    "step", "action", KEYS(step_common_keys), KEYS(step_actions), NULL,
};

static const key_spec stored_keys[] = {
    {"player", true, read_player},
    {"path", true, read_path},
    {"equals", false, read_any_value},
    {"absent", false, read_absent},
};

static const key_spec count_keys[] = {
    {"counter", true, read_counter},
    {"player", false, read_player},
    {"server", false, read_server},
    {"at_least", false, read_at_least},
    {"at_most", false, read_at_most},
    {"equals", false, read_count_equals},
};

static int read_in_swarm(reader *r, const char *key, node *v, void *obj)
{
    args_ctx *c = obj;
    return read_bool(r, key, v, c->in_swarm);
}

/* Keys every expectation may carry. */
static const key_spec expect_common_keys[] = {
    {"swarm", false, read_in_swarm},
};

static const variant_spec expect_kinds[] = {
    {"stored", EXPECT_STORED, KEYS(stored_keys), check_stored, "{player: 1, ...}"},
    {"count", EXPECT_COUNT, KEYS(count_keys), check_count, "{counter: msg.lost, ...}"},
};

static const variant_group expect_group = {
    "expectation", "kind", KEYS(expect_common_keys), KEYS(expect_kinds), NULL,
};

static void variant_list(const variant_group *g, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < g->nvariants && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", g->variants[i].name);
}

static int read_variant(reader *r, const variant_group *g, node *map, void *c,
                        const variant_spec **chosen)
{
    map = deref(map);
    char where[64], list[512];
    snprintf(where, sizeof where, "the %s at line %d", g->noun, map->line);
    variant_list(g, list, sizeof list);
    const char *names[MAX_KEYS];
    size_t nnames = 0;
    if (g->ncommon + g->nvariants > MAX_KEYS)
        return fail_node(r, map, "internal error: more than %d keys in one table", MAX_KEYS);
    for (size_t i = 0; i < g->ncommon; i++)
        names[nnames++] = g->common[i].name;
    for (size_t i = 0; i < g->nvariants; i++)
        names[nnames++] = g->variants[i].name;

    bool seen[MAX_KEYS] = {false};
    const variant_spec *v = NULL;
    node *v_args = NULL;
    for (size_t p = 0; p < map->count / 2; p++) {
        node *key = map->items[2 * p];
        const key_spec *spec = find_key(g->common, g->ncommon, key);
        if (spec) {
            seen[spec - g->common] = true;
            continue;
        }
        node *k = deref(key);
        const variant_spec *found = NULL;
        for (size_t i = 0; k->kind == NODE_SCALAR && i < g->nvariants; i++)
            if (text_is(k->text, k->len, g->variants[i].name))
                found = &g->variants[i];
        if (!found)
            return unknown_what(r, key, g->unknown ? g->unknown : "key", names, nnames, NULL);
        if (v)
            return fail_node(r, key, "two %ss in one %s, '%s' and '%s': a %s has exactly one "
                                     "of %s",
                             g->kind_noun, g->noun, v->name, found->name, g->noun, list);
        v = found;
        v_args = map->items[2 * p + 1];
    }
    for (size_t i = 0; i < g->ncommon; i++)
        if (g->common[i].required && !seen[i])
            return fail_node(r, map, "missing required key '%s' in %s", g->common[i].name,
                             where);
    if (!v)
        return fail_node(r, map, "no %s in %s: expected one of %s", g->kind_noun, where, list);
    for (size_t p = 0; p < map->count / 2; p++) {
        const key_spec *spec = find_key(g->common, g->ncommon, map->items[2 * p]);
        if (spec && spec->read(r, spec->name, map->items[2 * p + 1], c))
            return -1;
    }
    char example[128];
    snprintf(example, sizeof example, " (like %s: %s)", v->name, v->example);
    if (expect_mapping(r, v->name, v_args, example))
        return -1;
    char args_where[64];
    snprintf(args_where, sizeof args_where, "'%s'", v->name);
    if (read_mapping(r, v_args, args_where, v->keys, v->nkeys, c))
        return -1;
    if (v->check && v->check(r, deref(v_args), c))
        return -1;
    *chosen = v;
    return 0;
}

/* --- the scenario --- */

static int read_name(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    return read_text(r, key, v, "a name", 1, SIZE_MAX, &s->name);
}

static int read_seed(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    return read_uint(r, key, v, 0, UINT64_MAX, &s->seed);
}

static int read_scenario_duration(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (read_duration(r, key, v, &s->duration_us))
        return -1;
    if (s->duration_us == 0)
        return fail_node(r, v, "the duration must be longer than 0");
    r->duration_node = v;
    return 0;
}

static int read_store_name(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return read_text(r, key, v, "a store name", 1, STORE_NAME_MAX_CHARS, &st->name);
}

static int read_template(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_mapping(r, key, v, " (the profile of a new player, like {Coins: 0})"))
        return -1;
    vs_free(st->template_);
    st->template_ = NULL;
    if (to_value(r, v, &st->template_))
        return -1;
    if (vs_type_of(st->template_) != VS_MAP)
        return fail_node(r, v, "the template must be a map, but its keys 1..n make it an "
                               "array");
    return 0;
}

static int expect_sequence(reader *r, const char *key, node *v)
{
    char d[DBUF];
    if (deref(v)->kind != NODE_SEQ)
        return fail_node(r, v, "expected a sequence for '%s' (write %s: [] for none), found %s",
                         key, key, describe(v, d, sizeof d));
    return 0;
}

/* --- lists of mappings with an identity each: products, handlers, migrations --- */

/* One item of such a list, as read_unique_list hands it to the list's reader. */
typedef struct list_item {
    node *item;        /* the item, a mapping */
    const char *where; /* "the product at line 8", for read_mapping's messages */
    scenario_pos pos;  /* the mapping's */
    void *elem;        /* its zeroed element of the list's array; NULL when the list keeps none */
    dup_key key;       /* its identity, which no other item may share: the reader sets id or s */
    node *key_node;    /* where a second item with that identity is reported: the reader sets it */
} list_item;

/* A list of the format whose items are mappings with an identity each. */
typedef struct unique_list {
    const char *what;    /* what an item is called in messages: "product" */
    const char *example; /* an item as it may be written, for when one is not a mapping */
    size_t size;         /* of an element of the list's array; 0 when the list keeps none */
    /* hands the zeroed array (count elements) to its owner in obj, typed; NULL when none */
    void (*adopt)(void *obj, void *array, size_t count);
    int (*read)(reader *r, list_item *it, void *obj); /* reads one item, or fails */
    /* reports the item at index dup, whose key the earlier item at index first has */
    int (*duplicate)(reader *r, void *obj, size_t dup, const node *at, const node *first);
} unique_list;

/* Reads the sequence v (its reader has checked that it is one) item by item with spec->read,
 * each item a mapping, and stops at the first error. Only when every item has been read is
 * the first one in file order whose key an earlier one has reported (spec->duplicate), so an
 * error in a later item wins over a duplicate; the keys are compared by sorting, never pair
 * by pair. With spec->size the zeroed array is handed to its owner (spec->adopt) before any
 * item is read, so that its owner's free code frees it however far the reading got (a zeroed
 * element frees cleanly). read_servers refuses a duplicate as soon as it is read, so it
 * keeps its own loop. */
static int read_unique_list(reader *r, node *v, const unique_list *spec, void *obj)
{
    node *seq = deref(v);
    if (seq->count == 0)
        return 0;
    char *array = NULL;
    if (spec->size) {
        array = calloc(seq->count, spec->size);
        if (!array)
            return nomem(r, v);
        spec->adopt(obj, array, seq->count);
    }
    dup_key *keys = malloc(seq->count * sizeof *keys);
    node **key_nodes = malloc(seq->count * sizeof *key_nodes);
    if (!keys || !key_nodes) {
        free(keys);
        free(key_nodes);
        return nomem(r, v);
    }
    char d[DBUF];
    int rc = 0;
    for (size_t i = 0; i < seq->count && rc == 0; i++) {
        node *item = seq->items[i], *m = deref(item);
        if (m->kind != NODE_MAP) {
            rc = fail_node(r, item, "expected a %s (a mapping like %s), found %s", spec->what,
                           spec->example, describe(item, d, sizeof d));
            break;
        }
        char where[64];
        snprintf(where, sizeof where, "the %s at line %d", spec->what, m->line);
        list_item it = {item, where, {m->line, m->column}, array ? array + i * spec->size : NULL,
                        {0, NULL, i}, NULL};
        rc = spec->read(r, &it, obj);
        keys[i] = it.key;
        key_nodes[i] = it.key_node;
    }
    size_t dup, first;
    if (rc == 0 && first_duplicate(keys, seq->count, &dup, &first))
        rc = spec->duplicate(r, obj, dup, key_nodes[dup], key_nodes[first]);
    free(keys);
    free(key_nodes);
    return rc;
}

/* --- the store's engine settings: schema, autosave, lease, retry, reconcile --- */

static int read_schema(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    st->schema = (int64_t)u;
    return 0;
}

static int read_autosave(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return read_positive_duration(r, key, v, "the engine's default, 30s", &st->autosave_us);
}

static int read_lease(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return read_positive_duration(r, key, v, "the engine's default, 90s", &st->lease_us);
}

static int read_reconcile(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    bool reconcile;
    if (read_bool(r, key, v, &reconcile))
        return -1;
    st->no_reconcile = !reconcile;
    return 0;
}

/* A delay of the retry policy: > 0, because 0 is how vs_retry_policy says "the default". */
static int read_retry_delay(reader *r, const char *key, node *v, int64_t default_us,
                            vs_time_us *out)
{
    char def[32], text[64];
    format_duration(default_us, def, sizeof def);
    snprintf(text, sizeof text, "the engine's default, %s", def);
    int64_t us;
    if (read_positive_duration(r, key, v, text, &us))
        return -1;
    *out = us;
    return 0;
}

/* An attempt limit: 0 is "no limit", which is also the engine's default. */
static int read_retry_limit(reader *r, const char *key, node *v, int *out)
{
    uint64_t u;
    if (read_uint(r, key, v, 0, INT_MAX, &u))
        return -1;
    *out = (int)u;
    return 0;
}

static int read_retry_base(reader *r, const char *key, node *v, void *obj)
{
    vs_retry_policy *p = obj;
    return read_retry_delay(r, key, v, VS_RETRY_DEFAULT_BASE_US, &p->base_us);
}

static int read_retry_max(reader *r, const char *key, node *v, void *obj)
{
    vs_retry_policy *p = obj;
    return read_retry_delay(r, key, v, VS_RETRY_DEFAULT_MAX_US, &p->max_us);
}

static int read_retry_closing_max(reader *r, const char *key, node *v, void *obj)
{
    vs_retry_policy *p = obj;
    return read_retry_delay(r, key, v, VS_RETRY_DEFAULT_CLOSING_MAX_US, &p->closing_max_us);
}

static int read_retry_attempts(reader *r, const char *key, node *v, void *obj)
{
    vs_retry_policy *p = obj;
    return read_retry_limit(r, key, v, &p->max_attempts);
}

static int read_retry_closing_attempts(reader *r, const char *key, node *v, void *obj)
{
    vs_retry_policy *p = obj;
    return read_retry_limit(r, key, v, &p->closing_max_attempts);
}

static const key_spec retry_keys[] = {
    {"base", false, read_retry_base},
    {"max", false, read_retry_max},
    {"attempts", false, read_retry_attempts},
    {"closing_max", false, read_retry_closing_max},
    {"closing_attempts", false, read_retry_closing_attempts},
};

/* vs_retry_policy_check's sentence with the fields named as in YAML: "retry max_us must be
 * at least base_us" -> "max must be at least base". */
static void retry_yaml_names(const char *why, char *buf, size_t size)
{
    static const char *const c_names[] = {"base_us", "max_us", "closing_max_us", "max_attempts",
                                          "closing_max_attempts"};
    static const char *const yaml_names[] = {"base", "max", "closing_max", "attempts",
                                             "closing_attempts"};
    if (strncmp(why, "retry ", 6) == 0)
        why += 6;
    size_t o = 0;
    while (*why && o + 1 < size) {
        size_t n = strspn(why, "abcdefghijklmnopqrstuvwxyz_");
        if (n == 0) {
            buf[o++] = *why++;
            continue;
        }
        const char *word = why;
        size_t wl = n;
        for (size_t i = 0; i < sizeof c_names / sizeof *c_names; i++) {
            if (strlen(c_names[i]) == n && memcmp(why, c_names[i], n) == 0) {
                word = yaml_names[i];
                wl = strlen(word);
            }
        }
        if (wl > size - 1 - o)
            wl = size - 1 - o;
        memcpy(buf + o, word, wl);
        o += wl;
        why += n;
    }
    buf[o] = '\0';
}

/* Each field is checked as it is read; the policy as a whole, with the engine's defaults
 * for the fields not given, by vs_retry_policy_check (max below base, say). */
static int read_retry(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_mapping(r, key, v, " (like {base: 500ms, max: 30s})") ||
        read_mapping(r, v, "'retry'", KEYS(retry_keys), &st->retry))
        return -1;
    vs_retry_policy full = vs_retry_policy_with_defaults(&st->retry);
    const char *why = NULL;
    if (vs_retry_policy_check(&full, &why) == VS_OK)
        return 0;
    char text[256], base[32], max[32], closing[32];
    retry_yaml_names(why ? why : "invalid", text, sizeof text);
    format_duration(full.base_us, base, sizeof base);
    format_duration(full.max_us, max, sizeof max);
    format_duration(full.closing_max_us, closing, sizeof closing);
    return fail_node(r, v,
                     "invalid retry policy: %s (with the engine's defaults for what is not "
                     "given, it is {base: %s, max: %s, attempts: %d, closing_max: %s, "
                     "closing_attempts: %d})",
                     text, base, max, full.max_attempts, closing, full.closing_max_attempts);
}

/* --- migrations and validators: step lists with a name --- */

typedef struct migration_ctx {
    int64_t from;
    node *from_node;
    char *name;
    vs_steps steps;
} migration_ctx;

static int read_migration_from(reader *r, const char *key, node *v, void *obj)
{
    migration_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    c->from = (int64_t)u;
    c->from_node = v;
    return 0;
}

static int read_migration_name(reader *r, const char *key, node *v, void *obj)
{
    migration_ctx *c = obj;
    return read_text(r, key, v, "a name", 1, SIZE_MAX, &c->name);
}

static int read_migration_steps(reader *r, const char *key, node *v, void *obj)
{
    migration_ctx *c = obj;
    return read_step_list(r, key, v, &migration_owner, &c->steps);
}

static const key_spec migration_keys[] = {
    {"from", true, read_migration_from},
    {"name", false, read_migration_name},
    {"steps", true, read_migration_steps},
};

static int read_migration(reader *r, list_item *it, void *obj)
{
    scenario_store *st = obj;
    migration_ctx c = {0};
    int rc = read_mapping(r, it->item, it->where, KEYS(migration_keys), &c);
    if (rc == 0) {
        vs_status added = vs_migrations_add_steps(&st->migrations, c.from, c.name, &c.steps);
        if (added == VS_ERR_NOMEM)
            rc = nomem(r, it->item);
        else if (added != VS_OK)
            rc = fail_node(r, it->item, "this migration is refused: %s", vs_status_message(added));
    }
    it->key.id = c.from;
    it->key_node = c.from_node;
    free(c.name);
    vs_steps_free(&c.steps);
    return rc;
}

/* Every migration read is in the chain, so the duplicate's index is its place there too. */
static int duplicate_migration(reader *r, void *obj, size_t dup, const node *at, const node *first)
{
    scenario_store *st = obj;
    return fail_node(r, at,
                     "a second migration from schema %" PRId64 " (the first is at line %d, "
                     "column %d): each version has one migration to the next",
                     st->migrations.items[dup].from, first->line, first->column);
}

/* The migrations are added to the store's chain as they are read: the list keeps no array. */
static const unique_list migration_list = {
    .what = "migration", .example = "{from: 1, steps: [...]}", .read = read_migration,
    .duplicate = duplicate_migration,
};

/* Each migration is read and added; two from the same schema are refused here, at the
 * second one's `from`. The chain as a whole is checked against the schema by read_store. */
static int read_migrations(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_sequence(r, key, v))
        return -1;
    node *seq = deref(v);
    if (seq->count > MAX_MIGRATIONS)
        return fail_node(r, v, "'%s' lists %zu migrations; a store has at most %d", key,
                         seq->count, MAX_MIGRATIONS);
    vs_migrations_free(&st->migrations);
    return read_unique_list(r, v, &migration_list, st);
}

typedef struct validator_ctx {
    char *name;
    vs_steps steps;
    node *steps_node;
} validator_ctx;

static int read_validator_name(reader *r, const char *key, node *v, void *obj)
{
    validator_ctx *c = obj;
    return read_text(r, key, v, "a name", 1, SIZE_MAX, &c->name);
}

static int read_validator_steps(reader *r, const char *key, node *v, void *obj)
{
    validator_ctx *c = obj;
    c->steps_node = v;
    return read_step_list(r, key, v, &validator_owner, &c->steps);
}

static const key_spec validator_keys[] = {
    {"name", false, read_validator_name},
    {"steps", true, read_validator_steps},
};

/* A validator may only test: vs_validators_add_steps refuses a step that is not a require,
 * and the refusal is reported at that step. */
static int read_validators(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_sequence(r, key, v))
        return -1;
    node *seq = deref(v);
    vs_validators_free(&st->validators);
    char d[DBUF];
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i], *m = deref(item);
        if (m->kind != NODE_MAP)
            return fail_node(r, item, "expected a validator (a mapping like {name: coins, steps: "
                                      "[{require: {path: Coins, at_least: 0}}]}), found %s",
                             describe(item, d, sizeof d));
        char where[64];
        snprintf(where, sizeof where, "the validator at line %d", m->line);
        validator_ctx c = {0};
        int rc = read_mapping(r, item, where, KEYS(validator_keys), &c);
        if (rc == 0) {
            char why[512];
            vs_status added = vs_validators_add_steps(&st->validators, c.name, &c.steps, why,
                                                      sizeof why);
            if (added == VS_ERR_NOMEM) {
                rc = nomem(r, item);
            } else if (added != VS_OK) {
                size_t at = 0;
                node *bad = item;
                if (!vs_steps_only_requires(&c.steps, &at) || vs_steps_uses_payload(&c.steps, &at))
                    bad = deref(c.steps_node)->items[at]; /* one step per item of the list */
                rc = fail_node(r, bad, "%s", why);
            }
        }
        free(c.name);
        vs_steps_free(&c.steps);
        if (rc)
            return -1;
    }
    return 0;
}

/* --- products: the catalogue of the scenario's receipt handler --- */

typedef struct product_ctx {
    scenario_product *p;
    node *id_node;
    bool has_path, has_add; /* which form the product was written in */
} product_ctx;

static int read_product_id(reader *r, const char *key, node *v, void *obj)
{
    product_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    c->p->id = (int64_t)u;
    c->id_node = v;
    return 0;
}

static int read_product_path(reader *r, const char *key, node *v, void *obj)
{
    product_ctx *c = obj;
    c->has_path = true;
    return parse_path(r, key, v,
                      "the path of a product must not be empty: it names the number a "
                      "purchase adds to, like Wallet.Gems",
                      "", &c->p->path);
}

static int read_product_handler(reader *r, const char *key, node *v, void *obj)
{
    product_ctx *c = obj;
    node *n = deref(v);
    char d[DBUF];
    if (n->kind != NODE_SCALAR || classify(n) == S_NULL || n->len == 0 || n->len >= 64 ||
        memchr(n->text, '\0', n->len))
        return fail_node(r, v, "expected the name of an operation handler (1 to 63 bytes) for "
                               "'%s', found %s", key, describe(v, d, sizeof d));
    free(c->p->handler);
    c->p->handler = strndup(n->text, n->len);
    return c->p->handler ? 0 : nomem(r, v);
}

static int read_product_add(reader *r, const char *key, node *v, void *obj)
{
    product_ctx *c = obj;
    node *n = deref(v);
    char d[DBUF], q[QBUF];
    scalar_type t = n->kind == NODE_SCALAR ? classify(n) : S_STRING;
    if (n->kind != NODE_SCALAR || (t != S_INT && t != S_FLOAT))
        return fail_node(r, v, "expected a number for '%s', found %s", key,
                         describe(v, d, sizeof d));
    vs_value *x = NULL;
    if (to_value(r, v, &x))
        return -1;
    double amount = vs_number_of(x);
    vs_free(x);
    if (!isfinite(amount))
        return fail_node(r, v, "expected a finite number for '%s', found '%s' (NaN and "
                               "infinities are not storable)",
                         key, quote(q, sizeof q, n->text, n->len));
    c->p->amount = amount;
    c->has_add = true;
    return 0;
}

static const key_spec product_keys[] = {
    {"id", true, read_product_id},
    {"path", false, read_product_path},
    {"add", false, read_product_add},
    {"handler", false, read_product_handler},
};

static int read_product(reader *r, list_item *it, void *obj)
{
    scenario_product *p = it->elem;
    p->pos = it->pos;
    product_ctx c = {p, NULL, false, false};
    if (read_mapping(r, it->item, it->where, KEYS(product_keys), &c))
        return -1;
    if (p->handler && (c.has_path || c.has_add))
        return fail_node(r, it->item, "a product is granted either by an operation handler "
                                      "({id, handler}) or by adding to a path ({id, path, add}), "
                                      "not both");
    if (!p->handler && !(c.has_path && c.has_add))
        return fail_node(r, it->item, "a product needs 'handler' (the engine's receipt handler "
                                      "runs that operation handler once per purchase) or both "
                                      "'path' and 'add' (a plain grant)");
    it->key.id = p->id;
    it->key_node = c.id_node;
    return 0;
}

static int duplicate_product(reader *r, void *obj, size_t dup, const node *at, const node *first)
{
    scenario_store *st = obj;
    return fail_node(r, at, "duplicate product id %" PRId64 " (first at line %d, column %d)",
                     st->products[dup].id, first->line, first->column);
}

static void adopt_products(void *obj, void *array, size_t count)
{
    scenario_store *st = obj;
    st->products = array;
    st->product_count = count; /* zeroed products free cleanly if a later one fails */
}

static const unique_list product_list = {
    .what = "product", .example = "{id: 7, path: Wallet.Gems, add: 100}",
    .size = sizeof(scenario_product), .adopt = adopt_products, .read = read_product,
    .duplicate = duplicate_product,
};

static int read_products(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_sequence(r, key, v))
        return -1;
    return read_unique_list(r, v, &product_list, st);
}

/* --- operation handlers: named step lists whose operands may come from the payload --- */

typedef struct handler_ctx {
    scenario_handler *h;
    node *name_node;
} handler_ctx;

static int read_handler_name(reader *r, const char *key, node *v, void *obj)
{
    handler_ctx *c = obj;
    c->name_node = v;
    if (read_text(r, key, v, "a handler name", 1, SIZE_MAX, &c->h->name))
        return -1;
    size_t len = strlen(c->h->name);
    if (len > HANDLER_NAME_MAX_BYTES)
        return fail_node(r, v, "the handler name for '%s' is %zu bytes long; a handler name is "
                               "at most %d bytes",
                         key, len, HANDLER_NAME_MAX_BYTES);
    return 0;
}

static int read_handler_steps(reader *r, const char *key, node *v, void *obj)
{
    handler_ctx *c = obj;
    return read_step_list(r, key, v, &handler_owner, &c->h->steps);
}

static const key_spec handler_keys[] = {
    {"name", true, read_handler_name},
    {"steps", true, read_handler_steps},
};

static int read_handler(reader *r, list_item *it, void *obj)
{
    scenario_handler *h = it->elem;
    h->pos = it->pos;
    handler_ctx c = {h, NULL};
    if (read_mapping(r, it->item, it->where, KEYS(handler_keys), &c))
        return -1;
    it->key.s = h->name;
    it->key_node = c.name_node;
    return 0;
}

static int duplicate_handler(reader *r, void *obj, size_t dup, const node *at, const node *first)
{
    scenario_store *st = obj;
    const char *name = st->handlers[dup].name;
    char q[QBUF];
    return fail_node(r, at, "duplicate handler name '%s' (first at line %d, column %d)",
                     quote(q, sizeof q, name, strlen(name)), first->line, first->column);
}

static void adopt_handlers(void *obj, void *array, size_t count)
{
    scenario_store *st = obj;
    st->handlers = array;
    st->handler_count = count; /* zeroed handlers free cleanly if a later one fails */
}

static const unique_list handler_list = {
    .what = "handler", .example = "{name: grant, steps: [{add: {path: Wallet.Coins, from: Amount}}]}",
    .size = sizeof(scenario_handler), .adopt = adopt_handlers, .read = read_handler,
    .duplicate = duplicate_handler,
};

static int read_handlers(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_sequence(r, key, v))
        return -1;
    return read_unique_list(r, v, &handler_list, st);
}

/* A count of the engine's where 0 would mean "the default": written, it must be >= 1. */
static int read_positive_int(reader *r, const char *key, node *v, const char *default_text,
                             int *out)
{
    node *n = deref(v);
    if (n->kind == NODE_SCALAR && classify(n) == S_INT) {
        int_value iv;
        int_value_of(n->text, n->len, &iv);
        if (iv.fits_u64 && iv.mag == 0)
            return fail_node(r, v, "'%s' must be at least 1 (leave it out for %s)", key,
                             default_text);
    }
    uint64_t u;
    if (read_uint(r, key, v, 1, INT_MAX, &u))
        return -1;
    *out = (int)u;
    return 0;
}

static int read_op_max_attempts(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return read_positive_int(r, key, v, "the engine's default, 5", &st->op_max_attempts);
}

static int read_receipt_keep(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return read_positive_int(r, key, v, "the engine's default, 1000", &st->receipt_keep);
}

/* The paths clients may see: a non-empty list ("" publishes the whole profile); overlaps
 * and repeats are fine, vs_public_build normalises them. */
static int read_public(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    node *seq = deref(v);
    char d[DBUF];
    if (seq->kind != NODE_SEQ)
        return fail_node(r, v, "expected a sequence of paths for '%s', like [Wallet.Coins, "
                               "Profile], found %s",
                         key, describe(v, d, sizeof d));
    if (seq->count == 0)
        return fail_node(r, v, "'%s' lists no path (leave it out when nothing is public)",
                         key);
    vs_path *paths = calloc(seq->count, sizeof *paths);
    if (!paths)
        return nomem(r, v);
    int rc = 0;
    for (size_t i = 0; i < seq->count && rc == 0; i++)
        rc = parse_path(r, key, seq->items[i], NULL, " (write \"\" for the whole profile)",
                        &paths[i]);
    if (rc == 0) {
        vs_public_free(&st->public_paths);
        vs_status s = vs_public_build(paths, seq->count, &st->public_paths);
        if (s == VS_ERR_NOMEM)
            rc = nomem(r, v);
        else if (s != VS_OK)
            rc = fail_node(r, v, "internal error: the public paths are refused: %s",
                           vs_status_message(s));
    }
    for (size_t i = 0; i < seq->count; i++)
        vs_path_free(&paths[i]);
    free(paths);
    return rc;
}

static int read_leaderboard_store(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return read_text(r, key, v, "an ordered store name", 1, STORE_NAME_MAX_CHARS,
                     &st->leaderboard_store);
}

static int read_leaderboard_path(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    return parse_path(r, key, v,
                      "the leaderboard's path must not be empty: it names the number of the "
                      "profile that the leaderboard mirrors, like Stats.Wins",
                      "", &st->leaderboard_path);
}

/* "a, b or c" from the names of a table whose rows start with their name (a const char *),
 * keeping row i only when keep is NULL or keep(i) says so. */
static void table_names(const void *table, size_t rows, size_t row_size, bool (*keep)(size_t i), char *buf,
                      size_t size)
{
    size_t n = 0, count = 0, total = 0;
    for (size_t i = 0; i < rows; i++)
        total += !keep || keep(i);
    buf[0] = '\0';
    for (size_t i = 0; i < rows; i++) {
        if (keep && !keep(i))
            continue;
        const char *name = *(const char *const *)(const void *)((const char *)table + i * row_size);
        count++;
        int w = snprintf(buf + n, size - n, "%s%s", count == 1 ? "" : count == total ? " or " : ", ", name);
        if (w < 0 || (size_t)w >= size - n)
            return;
        n += (size_t)w;
    }
}

/* Deliberately unsafe engine settings, to prove an oracle fires (only with must_fail). */
static const struct {
    const char *name;
    unsigned flag; /* its VS_UNSAFE_* bit */
} unsafe_settings[] = {
    {"save_ignores_lease", VS_UNSAFE_SAVE_IGNORES_LEASE},
    {"deliver_skips_receipts", VS_UNSAFE_DELIVER_SKIPS_RECEIPTS},
    {"snapshot_whole_profile", VS_UNSAFE_SNAPSHOT_WHOLE_PROFILE},
    {"create_on_nil_read", VS_UNSAFE_CREATE_ON_NIL_READ},
    {"edit_in_place", VS_UNSAFE_EDIT_IN_PLACE},
    {"changes_not_sent", VS_UNSAFE_CHANGES_NOT_SENT},
    {"never_take_over", VS_UNSAFE_NEVER_TAKE_OVER},
};

static int read_unsafe(reader *r, const char *key, node *v, void *obj)
{
    scenario_store *st = obj;
    if (expect_sequence(r, key, v))
        return -1;
    node *seq = deref(v);
    st->unsafe_pos = (scenario_pos){seq->line, seq->column};
    char d[DBUF];
    for (size_t i = 0; i < seq->count; i++) {
        node *item = deref(seq->items[i]);
        size_t k = 0, n = sizeof unsafe_settings / sizeof *unsafe_settings;
        while (k < n && !(item->kind == NODE_SCALAR && text_is(item->text, item->len, unsafe_settings[k].name)))
            k++;
        if (k == n) {
            char names[256];
            table_names(unsafe_settings, n, sizeof *unsafe_settings, NULL, names, sizeof names);
            return fail_node(r, seq->items[i], "expected an unsafe setting (%s), found %s", names,
                             describe(seq->items[i], d, sizeof d));
        }
        st->unsafe |= unsafe_settings[k].flag;
    }
    return 0;
}

static const key_spec leaderboard_keys[] = {
    {"store", true, read_leaderboard_store},
    {"path", true, read_leaderboard_path},
};

static int read_leaderboard(reader *r, const char *key, node *v, void *obj)
{
    if (expect_mapping(r, key, v, " (like {store: Wins, path: Stats.Wins})"))
        return -1;
    return read_mapping(r, v, "'leaderboard'", KEYS(leaderboard_keys), obj);
}

static const key_spec store_keys[] = {
    {"name", true, read_store_name},
    {"template", true, read_template},
    {"schema", false, read_schema},
    {"autosave", false, read_autosave},
    {"lease", false, read_lease},
    {"retry", false, read_retry},
    {"reconcile", false, read_reconcile},
    {"migrations", false, read_migrations},
    {"validators", false, read_validators},
    {"products", false, read_products},
    {"handlers", false, read_handlers},
    {"op_max_attempts", false, read_op_max_attempts},
    {"receipt_keep", false, read_receipt_keep},
    {"public", false, read_public},
    {"leaderboard", false, read_leaderboard},
    {"unsafe", false, read_unsafe},
};

/* The migrations against the schema, once both are read (in whatever order they are
 * written): vs_migrations_check, reported at the `migrations` key. */
static int check_migrations(reader *r, node *map, const scenario_store *st)
{
    node *at = NULL;
    for (size_t p = 0; p < map->count / 2; p++)
        if (is_key(map->items[2 * p], "migrations"))
            at = map->items[2 * p];
    if (!at)
        return 0;
    char why[512];
    int64_t schema = st->schema ? st->schema : 1;
    if (vs_migrations_check(&st->migrations, schema, why, sizeof why) == VS_OK)
        return 0;
    if (st->schema)
        return fail_node(r, at, "%s; the store's schema is %" PRId64, why, schema);
    return fail_node(r, at, "%s; the store gives no 'schema', so it is the engine's default, 1",
                     why);
}

static int read_store(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (expect_mapping(r, key, v, "") ||
        read_mapping(r, v, "store", KEYS(store_keys), &s->store))
        return -1;
    return check_migrations(r, deref(v), &s->store);
}

/* Every purchase of the script has its own id (the platform keeps purchases by id). */
static int unique_purchase_ids(reader *r, const scenario *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->step_count; i++)
        n += s->steps[i].kind == STEP_PURCHASE;
    if (n < 2)
        return 0;
    dup_key *keys = malloc(n * sizeof *keys);
    if (!keys)
        return nomem(r, NULL);
    n = 0;
    for (size_t i = 0; i < s->step_count; i++)
        if (s->steps[i].kind == STEP_PURCHASE)
            keys[n++] = (dup_key){0, s->steps[i].text, i};
    size_t dup, first;
    bool found = first_duplicate(keys, n, &dup, &first);
    free(keys);
    if (!found)
        return 0;
    char q[QBUF];
    const char *id = s->steps[dup].text;
    return fail_node(r, r->step_id[dup],
                     "duplicate purchase id '%s' (first at line %d, column %d): every purchase "
                     "has its own id",
                     quote(q, sizeof q, id, strlen(id)), r->step_id[first]->line,
                     r->step_id[first]->column);
}

static int read_script(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (expect_sequence(r, key, v))
        return -1;
    node *seq = deref(v);
    if (seq->count == 0)
        return 0;
    s->steps = calloc(seq->count, sizeof *s->steps);
    r->step_at = calloc(seq->count, sizeof *r->step_at);
    r->step_id = calloc(seq->count, sizeof *r->step_id);
    r->step_product = calloc(seq->count, sizeof *r->step_product);
    r->step_handler = calloc(seq->count, sizeof *r->step_handler);
    r->step_action = calloc(seq->count, sizeof *r->step_action);
    if (!s->steps || !r->step_at || !r->step_id || !r->step_product || !r->step_handler ||
        !r->step_action)
        return nomem(r, v);
    s->step_count = seq->count; /* zeroed steps free cleanly if a later one fails */
    char list[512], d[DBUF];
    variant_list(&step_group, list, sizeof list);
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i];
        node *m = deref(item);
        scenario_step *st = &s->steps[i];
        if (m->kind != NODE_MAP)
            return fail_node(r, item, "expected a step (a mapping with 'at' and one of %s), "
                                      "found %s",
                             list, describe(item, d, sizeof d));
        st->pos = (scenario_pos){m->line, m->column};
        args_ctx c = {.at_us = &st->at_us, .at_node = &r->step_at[i], .player = &st->player,
                      .path = &st->path, .value = &st->value, .index = &st->index,
                      .server = &st->server, .topic = &st->topic, .text = &st->text,
                      .store = &st->store, .key = &st->key, .amount = &st->amount,
                      .ascending = &st->ascending, .page_size = &st->page_size,
                      .timeout_us = &st->timeout_us, .expect_status = &st->expect_status,
                      .edit = &st->edit, .expect_cancel = &st->expect_cancel,
                      .id_node = &r->step_id[i], .product = &st->product,
                      .product_node = &r->step_product[i], .price = &st->price,
                      .handler_node = &r->step_handler[i], .retry_dead = &st->retry_dead};
        const variant_spec *chosen = NULL;
        if (read_variant(r, &step_group, item, &c, &chosen))
            return -1;
        st->kind = (scenario_step_kind)chosen->kind;
        for (size_t p = 0; p < m->count / 2; p++)
            if (is_key(m->items[2 * p], chosen->name))
                r->step_action[i] = m->items[2 * p];
    }
    return unique_purchase_ids(r, s);
}

static int read_expect(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (expect_sequence(r, key, v))
        return -1;
    node *seq = deref(v);
    if (seq->count == 0)
        return 0;
    s->expects = calloc(seq->count, sizeof *s->expects);
    if (!s->expects)
        return nomem(r, v);
    s->expect_count = seq->count;
    char list[256], d[DBUF];
    variant_list(&expect_group, list, sizeof list);
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i];
        node *m = deref(item);
        scenario_expect *e = &s->expects[i];
        if (m->kind != NODE_MAP)
            return fail_node(r, item, "expected an expectation (a mapping with one of %s), "
                                      "found %s",
                             list, describe(item, d, sizeof d));
        e->pos = (scenario_pos){m->line, m->column};
        e->at_least = e->at_most = -1;
        args_ctx c = {.player = &e->player, .path = &e->path, .path_may_be_empty = true,
                      .value = &e->equals, .server = &e->server, .counter = &e->counter,
                      .at_least = &e->at_least, .at_most = &e->at_most, .in_swarm = &e->in_swarm};
        const variant_spec *chosen = NULL;
        if (read_variant(r, &expect_group, item, &c, &chosen))
            return -1;
        e->kind = (scenario_expect_kind)chosen->kind;
    }
    return 0;
}

/* --- platform: the limits profile, the store's clock, and any row of sim/limits.h --- */

static const char *const platform_fixed_keys[] = {"limits", "store_clock_skew"};

static const char *unit_text(limit_unit u)
{
    switch (u) {
    case LIMIT_COUNT: return "a count (an integer >= 0)";
    case LIMIT_BYTES: return "a number of bytes (an integer >= 0)";
    case LIMIT_DURATION: return "a duration (like 5s or 250ms)";
    case LIMIT_PPM: return "parts per million (an integer from 0 to 1000000)";
    }
    return "a value";
}

/* A figure as it is written in YAML: "6s", "40". */
static void format_limit(const limit_param *p, int64_t value, char *buf, size_t size)
{
    if (p->unit == LIMIT_DURATION)
        format_duration(value, buf, size);
    else
        snprintf(buf, size, "%" PRId64, value);
}

/* Adds to the message of the error just recorded, as far as there is room. */
static void add_to_error(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_to_error(reader *r, const char *fmt, ...)
{
    size_t n = strlen(r->err->message);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->message + n, sizeof r->err->message - n, fmt, ap);
    va_end(ap);
    trim_utf8_tail(r->err->message);
}

/* The row a key of `platform` names, or NULL (also for the fixed keys). */
static const limit_param *platform_param(node *key)
{
    node *k = deref(key);
    if (k->kind != NODE_SCALAR || memchr(k->text, '\0', k->len))
        return NULL;
    return limits_find(k->text);
}

/* One override: the value in the row's unit. A wrong one says the unit and the default. */
static int read_override(reader *r, node *v, const limit_param *p, limits_profile profile,
                         int64_t *out)
{
    uint64_t u = 0;
    int rc;
    if (p->unit == LIMIT_DURATION) {
        rc = read_duration(r, p->name, v, out);
    } else {
        rc = read_uint(r, p->name, v, 0, p->unit == LIMIT_PPM ? PPM_MAX : (uint64_t)INT64_MAX,
                       &u);
        *out = (int64_t)u;
    }
    if (rc) {
        char def[48];
        format_limit(p, p->defaults[profile], def, sizeof def);
        add_to_error(r, "; '%s' takes %s, default %s under the %s limits", p->name,
                     unit_text(p->unit), def, limits_profile_name(profile));
    }
    return rc;
}

/* `limits` is read first, whatever its place, because the messages about the other keys
 * give their defaults under the profile; then the rest in file order. */
static int read_platform(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    scenario_platform *pf = &s->platform;
    if (expect_mapping(r, key, v, " (like {limits: classic, write_cooldown: 10s})"))
        return -1;
    node *map = deref(v);
    size_t pairs = map->count / 2, overrides = 0;
    size_t nfixed = sizeof platform_fixed_keys / sizeof *platform_fixed_keys;
    for (size_t p = 0; p < pairs; p++) {
        node *k = map->items[2 * p];
        bool fixed = false;
        for (size_t i = 0; i < nfixed; i++)
            fixed |= is_key(k, platform_fixed_keys[i]);
        if (fixed)
            continue;
        if (platform_param(k)) {
            overrides++;
            continue;
        }
        const char **names = malloc((nfixed + limit_param_count) * sizeof *names);
        if (!names)
            return nomem(r, k);
        for (size_t i = 0; i < nfixed; i++)
            names[i] = platform_fixed_keys[i];
        for (size_t i = 0; i < limit_param_count; i++)
            names[nfixed + i] = limit_params[i].name;
        unknown_key_in(r, k, names, nfixed + limit_param_count,
                       "expected limits, store_clock_skew or the name of a platform parameter; "
                       "docs/platform.md lists them all");
        free(names);
        return -1;
    }
    char q[QBUF];
    for (size_t p = 0; p < pairs; p++) {
        if (!is_key(map->items[2 * p], "limits"))
            continue;
        node *val = map->items[2 * p + 1];
        char *name = NULL;
        if (read_text(r, "limits", val, "a limits profile", 1, SIZE_MAX, &name))
            return -1;
        int rc = limits_profile_parse(name, &pf->profile);
        if (rc)
            fail_node(r, val, "unknown limits profile '%s' (expected classic, 2023 or current)",
                      quote(q, sizeof q, name, strlen(name)));
        free(name);
        if (rc)
            return -1;
    }
    if (overrides) {
        pf->overrides = calloc(overrides, sizeof *pf->overrides);
        if (!pf->overrides)
            return nomem(r, v);
    }
    for (size_t p = 0; p < pairs; p++) {
        node *k = map->items[2 * p], *val = map->items[2 * p + 1];
        const limit_param *param = platform_param(k);
        if (is_key(k, "store_clock_skew")) {
            if (read_duration_as(r, "store_clock_skew", val, true, &pf->store_clock_skew_us))
                return -1;
        } else if (param) {
            scenario_override *o = &pf->overrides[pf->override_count];
            o->pos = (scenario_pos){k->line, k->column};
            o->param = param;
            if (read_override(r, val, param, pf->profile, &o->value))
                return -1;
            pf->override_count++;
        }
    }
    return 0;
}

/* --- servers --- */

typedef struct server_ctx {
    scenario_server *srv;
    node *id_node;
} server_ctx;

static int read_server_decl_id(reader *r, const char *key, node *v, void *obj)
{
    server_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, MAX_SERVER_ID, &u))
        return -1;
    c->srv->id = (int)u;
    c->id_node = v;
    return 0;
}

static int read_server_skew(reader *r, const char *key, node *v, void *obj)
{
    server_ctx *c = obj;
    return read_duration_as(r, key, v, true, &c->srv->skew_us);
}

static int read_server_drift(reader *r, const char *key, node *v, void *obj)
{
    server_ctx *c = obj;
    return read_int(r, key, v, -PPM_MAX, PPM_MAX, &c->srv->drift_ppm);
}

static int read_server_stopped(reader *r, const char *key, node *v, void *obj)
{
    server_ctx *c = obj;
    return read_bool(r, key, v, &c->srv->starts_stopped);
}

/* A server of another build (a rollout): the schema its engine writes. */
static int read_server_schema(reader *r, const char *key, node *v, void *obj)
{
    server_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, (uint64_t)EXACT_INT_MAX, &u))
        return -1;
    c->srv->schema = (int64_t)u;
    return 0;
}

static const key_spec server_keys[] = {
    {"id", true, read_server_decl_id},
    {"skew", false, read_server_skew},
    {"drift_ppm", false, read_server_drift},
    {"stopped", false, read_server_stopped},
    {"schema", false, read_server_schema},
};

static int by_server_id(const void *a, const void *b)
{
    const scenario_server *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int read_servers(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    node *seq = deref(v);
    char d[DBUF];
    if (seq->kind != NODE_SEQ)
        return fail_node(r, v, "expected a sequence of servers for '%s', like [{id: 1}, {id: 2}], "
                               "found %s",
                         key, describe(v, d, sizeof d));
    if (seq->count == 0)
        return fail_node(r, v, "'%s' is empty: declare at least one server, like [{id: 1}] "
                               "(without '%s' there is one server, id 1)",
                         key, key);
    s->servers = calloc(seq->count, sizeof *s->servers);
    node **ids = calloc(seq->count, sizeof *ids);
    if (!s->servers || !ids) {
        free(ids);
        return nomem(r, v);
    }
    s->server_count = seq->count;
    int rc = 0;
    for (size_t i = 0; i < seq->count && rc == 0; i++) {
        node *item = seq->items[i], *m = deref(item);
        scenario_server *srv = &s->servers[i];
        if (m->kind != NODE_MAP) {
            rc = fail_node(r, item, "expected a server (a mapping like {id: 2, skew: -90s}), "
                                    "found %s",
                           describe(item, d, sizeof d));
            break;
        }
        srv->pos = (scenario_pos){m->line, m->column};
        char where[64];
        snprintf(where, sizeof where, "the server at line %d", m->line);
        server_ctx c = {srv, NULL};
        rc = read_mapping(r, item, where, KEYS(server_keys), &c);
        ids[i] = c.id_node;
        for (size_t j = 0; j < i && rc == 0; j++)
            if (s->servers[j].id == srv->id)
                rc = fail_node(r, ids[i], "duplicate server id %d (first at line %d, column %d)",
                               srv->id, ids[j]->line, ids[j]->column);
    }
    free(ids);
    if (rc)
        return -1;
    qsort(s->servers, s->server_count, sizeof *s->servers, by_server_id);
    return 0;
}

/* --- faults: the keys a kind reads come from faults/fault_fields.h --- */

typedef struct fault_ctx {
    scenario_fault *sf;
    const fault_fields *fields;
    node *end_node;
} fault_ctx;

static int read_fault_start(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    return read_duration(r, key, v, &c->sf->f.start_us);
}

static int read_fault_end(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    c->end_node = v;
    return read_duration(r, key, v, &c->sf->f.end_us);
}

static int read_fault_servers(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    node *seq = deref(v);
    char d[DBUF];
    if (seq->kind != NODE_SEQ)
        return fail_node(r, v, "expected a sequence of server ids for '%s', like [1, 2], found %s",
                         key, describe(v, d, sizeof d));
    if (seq->count == 0)
        return fail_node(r, v, "'%s' is empty: list at least one server id (without '%s' the "
                               "fault hits every server)",
                         key, key);
    uint64_t mask = 0;
    node *first[MAX_SERVER_ID] = {NULL};
    for (size_t i = 0; i < seq->count; i++) {
        int id;
        if (read_server_id(r, key, seq->items[i], &id))
            return -1;
        if (first[id - 1])
            return fail_node(r, seq->items[i], "server %d is twice in '%s' (first at line %d, "
                                               "column %d)",
                             id, key, first[id - 1]->line, first[id - 1]->column);
        first[id - 1] = seq->items[i];
        mask |= (uint64_t)1 << (id - 1);
    }
    c->sf->f.server_mask = mask;
    return 0;
}

static int read_fault_op(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    char *name = NULL;
    if (read_text(r, key, v, "a request kind", 1, SIZE_MAX, &name))
        return -1;
    int rc = fault_op_parse(name, &c->sf->f.op);
    if (rc) {
        const char *names[FAULT_OP_COUNT];
        for (int i = 0; i < FAULT_OP_COUNT; i++)
            names[i] = fault_op_name((fault_op)i);
        char q[QBUF], list[256];
        quote(q, sizeof q, name, strlen(name));
        const char *best = suggest(name, strlen(name), names, FAULT_OP_COUNT);
        name_list(names, FAULT_OP_COUNT, list, sizeof list);
        if (best)
            fail_node(r, v, "unknown request kind '%s' for '%s' (did you mean '%s'?)", q, key,
                      best);
        else
            fail_node(r, v, "unknown request kind '%s' for '%s' (expected one of %s)", q, key,
                      list);
    }
    free(name);
    return rc ? -1 : 0;
}

static int read_fault_code(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 1, 999, &u))
        return -1;
    c->sf->f.code = (int)u;
    return 0;
}

static int read_fault_ppm(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    uint64_t u;
    if (read_uint(r, key, v, 0, PPM_MAX, &u))
        return -1;
    c->sf->f.ppm = (uint32_t)u;
    return 0;
}

static int read_fault_amount(reader *r, const char *key, node *v, void *obj)
{
    fault_ctx *c = obj;
    bool duration = c->fields->amount == FAULT_AMOUNT_DURATION;
    int rc = duration ? read_duration_as(r, key, v, true, &c->sf->f.amount)
                      : read_int(r, key, v, -PPM_MAX, PPM_MAX, &c->sf->f.amount);
    if (rc)
        add_to_error(r, "; the amount of %s is %s", fault_kind_name(c->sf->f.kind),
                     duration ? "a duration, which may be negative (like 2s or -250ms)"
                              : "parts per million, an integer from -1000000 to 1000000");
    return rc;
}

/* `kind` is read by read_fault itself, before the others. */
static const key_spec fault_keys[] = {
    {"kind", true, NULL},
    {"start", false, read_fault_start},
    {"end", false, read_fault_end},
    {"servers", false, read_fault_servers},
    {"op", false, read_fault_op},
    {"code", false, read_fault_code},
    {"ppm", false, read_fault_ppm},
    {"amount", false, read_fault_amount},
};

/* Whether a fault of these fields reads the key. */
static bool fault_reads(const fault_fields *ff, const char *key)
{
    if (strcmp(key, "op") == 0)
        return ff->op;
    if (strcmp(key, "code") == 0)
        return ff->code;
    if (strcmp(key, "ppm") == 0)
        return ff->ppm;
    if (strcmp(key, "amount") == 0)
        return ff->amount != FAULT_AMOUNT_NONE;
    if (strcmp(key, "servers") == 0)
        return ff->servers;
    return true; /* kind, start, end */
}

/* "amount, servers": the fields besides start and end. */
static void fault_field_list(const fault_fields *ff, char *buf, size_t size)
{
    static const char *const optional[] = {"op", "code", "ppm", "amount", "servers"};
    const char *names[5];
    size_t n = 0;
    for (size_t i = 0; i < 5; i++)
        if (fault_reads(ff, optional[i]))
            names[n++] = optional[i];
    name_list(names, n, buf, size);
}

static int read_fault_kind(reader *r, node *v, fault_kind *out)
{
    char *name = NULL;
    if (read_text(r, "kind", v, "a fault kind", 1, SIZE_MAX, &name))
        return -1;
    int rc = fault_kind_parse(name, out);
    if (rc) {
        const char *names[FAULT_KIND_COUNT];
        for (int i = 0; i < FAULT_KIND_COUNT; i++)
            names[i] = fault_kind_name((fault_kind)i);
        char q[QBUF], list[512];
        quote(q, sizeof q, name, strlen(name));
        const char *best = suggest(name, strlen(name), names, FAULT_KIND_COUNT);
        name_list(names, FAULT_KIND_COUNT, list, sizeof list);
        if (best)
            fail_node(r, v, "unknown fault kind '%s' (did you mean '%s'?)", q, best);
        else
            fail_node(r, v, "unknown fault kind '%s' (expected one of %s)", q, list);
    }
    free(name);
    return rc ? -1 : 0;
}

/* A fault: unknown keys first, then `kind` (it decides which other keys may appear and
 * their defaults), then the rest in file order. */
static int read_fault(reader *r, node *item, scenario_fault *sf)
{
    node *map = deref(item);
    const char *names[sizeof fault_keys / sizeof *fault_keys];
    size_t nkeys = sizeof fault_keys / sizeof *fault_keys;
    for (size_t i = 0; i < nkeys; i++)
        names[i] = fault_keys[i].name;
    node *kind_node = NULL;
    for (size_t p = 0; p < map->count / 2; p++) {
        node *k = map->items[2 * p];
        if (!find_key(fault_keys, nkeys, k))
            return unknown_key(r, k, names, nkeys);
        if (is_key(k, "kind"))
            kind_node = map->items[2 * p + 1];
    }
    if (!kind_node)
        return fail_node(r, map, "missing required key 'kind' in the fault at line %d (one of "
                                 "store_outage, error_rate, ...: docs/platform.md lists them)",
                         map->line);
    fault_kind kind;
    if (read_fault_kind(r, kind_node, &kind))
        return -1;
    sf->f = fault_default(kind);
    fault_ctx c = {sf, fault_kind_fields(kind), NULL};
    for (size_t p = 0; p < map->count / 2; p++) {
        const key_spec *spec = find_key(fault_keys, nkeys, map->items[2 * p]);
        if (!spec->read)
            continue;
        if (!fault_reads(c.fields, spec->name)) {
            char list[128];
            fault_field_list(c.fields, list, sizeof list);
            return fail_node(r, map->items[2 * p], "%s reads %s; it has no '%s'",
                             fault_kind_name(kind), list[0] ? list : "only start and end",
                             spec->name);
        }
        if (spec->read(r, spec->name, map->items[2 * p + 1], &c))
            return -1;
    }
    if (c.end_node && sf->f.end_us <= sf->f.start_us) {
        char a[32], b[32];
        format_duration(sf->f.end_us, a, sizeof a);
        format_duration(sf->f.start_us, b, sizeof b);
        return fail_node(r, c.end_node,
                         "the fault ends at %s, which is not after its start (%s): a fault is "
                         "active in [start, end)",
                         a, b);
    }
    return 0;
}

static int read_faults(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (expect_sequence(r, key, v))
        return -1;
    node *seq = deref(v);
    if (seq->count == 0)
        return 0;
    s->faults = calloc(seq->count, sizeof *s->faults);
    if (!s->faults)
        return nomem(r, v);
    s->fault_count = seq->count;
    char d[DBUF];
    for (size_t i = 0; i < seq->count; i++) {
        node *item = seq->items[i], *m = deref(item);
        if (m->kind != NODE_MAP)
            return fail_node(r, item, "expected a fault (a mapping like {kind: store_outage, "
                                      "start: 10s, end: 40s}), found %s",
                             describe(item, d, sizeof d));
        s->faults[i].pos = (scenario_pos){m->line, m->column};
        if (read_fault(r, item, &s->faults[i]))
            return -1;
    }
    return 0;
}

/* The built-in checks a scenario may name (must_fail); the oracles among them may also be
 * turned off (checks_off). */
static const struct {
    const char *name;
    bool can_be_off;
} builtin_checks[] = {
    {"lease", true},    {"data", true},     {"delivery", true}, {"atomic", true},
    {"replication", true}, {"liveness", true}, {"quiesce", false}, {"expect", false},
};

static bool can_be_off(size_t i)
{
    return builtin_checks[i].can_be_off;
}

/* "lease, data, ... or expect" (only those that can be turned off, when want_off). */
static void builtin_check_list(bool want_off, char *buf, size_t size)
{
    table_names(builtin_checks, sizeof builtin_checks / sizeof *builtin_checks, sizeof *builtin_checks,
              want_off ? can_be_off : NULL, buf, size);
}

/* The name of the built-in check called name (one that can be turned off, when want_off), or
 * NULL. */
static const char *builtin_check(const char *name, bool want_off)
{
    for (size_t i = 0; i < sizeof builtin_checks / sizeof *builtin_checks; i++)
        if (strcmp(name, builtin_checks[i].name) == 0 && (!want_off || builtin_checks[i].can_be_off))
            return builtin_checks[i].name;
    return NULL;
}

static int read_must_fail_check(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (read_text(r, key, v, "a check name", 1, 64, &s->must_fail_check))
        return -1;
    if (builtin_check(s->must_fail_check, false))
        return 0;
    char names[160];
    builtin_check_list(false, names, sizeof names);
    return fail_node(r, v, "expected a built-in check (%s), found '%s'", names, s->must_fail_check);
}

static int read_must_fail_why(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    return read_text(r, key, v, "a reason", 1, SIZE_MAX, &s->must_fail_why);
}

/* The oracles a scenario may turn off, each with its reason: {lease: "why", ...}. */
static int read_checks_off(reader *r, const char *key, node *v, void *obj)
{
    scenario *s = obj;
    if (expect_mapping(r, key, v, " (like {replication: the scenario has no clients})"))
        return -1;
    node *m = deref(v);
    size_t n = m->count / 2;
    if (n == 0)
        return 0;
    s->checks_off = calloc(n, sizeof *s->checks_off);
    if (!s->checks_off)
        return nomem(r, v);
    for (size_t i = 0; i < n; i++) {
        node *k = deref(m->items[2 * i]);
        scenario_check_off *c = &s->checks_off[s->checks_off_count];
        if (read_text(r, "checks_off", m->items[2 * i], "a check name", 1, 64, &c->check))
            return -1;
        s->checks_off_count++;
        if (!builtin_check(c->check, true)) {
            char names[160];
            builtin_check_list(true, names, sizeof names);
            return fail_node(r, k, "'%s' is not a check that can be turned off (%s)", c->check, names);
        }
        if (read_text(r, c->check, m->items[2 * i + 1], "the reason it is off", 1, SIZE_MAX, &c->why))
            return -1;
    }
    return 0;
}

static const key_spec must_fail_keys[] = {
    {"check", true, read_must_fail_check},
    {"why", true, read_must_fail_why},
};

static int read_must_fail(reader *r, const char *key, node *v, void *obj)
{
    if (expect_mapping(r, key, v, " (like {check: lease, why: the save ignores the lease})"))
        return -1;
    return read_mapping(r, v, "'must_fail'", KEYS(must_fail_keys), obj);
}

static const key_spec scenario_keys[] = {
    {"name", true, read_name},
    {"seed", false, read_seed},
    {"duration", true, read_scenario_duration},
    {"store", true, read_store},
    {"platform", false, read_platform},
    {"servers", false, read_servers},
    {"faults", false, read_faults},
    {"script", true, read_script},
    {"expect", false, read_expect},
    {"must_fail", false, read_must_fail},
    {"checks_off", false, read_checks_off},
};

typedef struct step_order {
    int64_t at_us;
    size_t index;
} step_order;

static int by_time(const void *a, const void *b)
{
    const step_order *x = a, *y = b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static bool server_declared(const scenario *s, int id)
{
    if (s->server_count == 0)
        return id == 1;
    for (size_t i = 0; i < s->server_count; i++)
        if (s->servers[i].id == id)
            return true;
    return false;
}

/* "the declared servers are 1, 2, 3" */
static void declared_servers(const scenario *s, char *buf, size_t size)
{
    if (s->server_count == 0) {
        snprintf(buf, size, "without 'servers' there is one server, id 1");
        return;
    }
    size_t o = (size_t)snprintf(buf, size, "%s", s->server_count == 1
                                                     ? "the only declared server is "
                                                     : "the declared servers are ");
    for (size_t i = 0; i < s->server_count && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%d", i ? ", " : "", s->servers[i].id);
}

static int by_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* "the declared products are 7, 8" (the first few of them) */
static void declared_products(const int64_t *ids, size_t n, char *buf, size_t size)
{
    if (n == 0) {
        snprintf(buf, size, "the store declares no products: list them under 'products' in "
                            "'store', like {id: 7, path: Wallet.Gems, add: 100}");
        return;
    }
    size_t o = (size_t)snprintf(buf, size, "%s", n == 1 ? "the only declared product is "
                                                        : "the declared products are ");
    for (size_t i = 0; i < n && o < size; i++) {
        if (i == 20) {
            snprintf(buf + o, size - o, ", ... (%zu in all)", n);
            break;
        }
        o += (size_t)snprintf(buf + o, size - o, "%s%" PRId64, i ? ", " : "", ids[i]);
    }
}

/* Every purchase names a product of the store's catalogue (read wherever `store` is). */
static int check_purchases(reader *r, const scenario *s)
{
    size_t n = s->store.product_count;
    int64_t *ids = n ? malloc(n * sizeof *ids) : NULL;
    if (n && !ids)
        return nomem(r, NULL);
    for (size_t i = 0; i < n; i++)
        ids[i] = s->store.products[i].id;
    if (n > 1)
        qsort(ids, n, sizeof *ids, by_int64);
    int rc = 0;
    for (size_t i = 0; i < s->step_count && rc == 0; i++) {
        const scenario_step *st = &s->steps[i];
        if (st->kind != STEP_PURCHASE || (n && bsearch(&st->product, ids, n, sizeof *ids,
                                                       by_int64)))
            continue;
        char list[400];
        declared_products(ids, n, list, sizeof list);
        rc = fail_node(r, r->step_product[i], "product %" PRId64 " is not declared (%s)",
                       st->product, list);
    }
    free(ids);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "the declared handlers are grant, refund" (the first few of them, in file order) */
static void declared_handlers(const scenario_store *st, char *buf, size_t size)
{
    if (st->handler_count == 0) {
        snprintf(buf, size, "the store declares no handlers: list them under 'handlers' in "
                            "'store', like {name: grant, steps: [{add: {path: Wallet.Coins, "
                            "from: Amount}}]}");
        return;
    }
    size_t o = (size_t)snprintf(buf, size, "%s", st->handler_count == 1
                                                     ? "the only declared handler is "
                                                     : "the declared handlers are ");
    char q[QBUF];
    for (size_t i = 0; i < st->handler_count && o < size; i++) {
        if (i == 20) {
            snprintf(buf + o, size - o, ", ... (%zu in all)", st->handler_count);
            break;
        }
        const char *name = st->handlers[i].name;
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "",
                              quote(q, sizeof q, name, strlen(name)));
    }
}

/* Every delivery names a handler of the store (read wherever `store` is). */
static int check_deliveries(reader *r, const scenario *s)
{
    const scenario_store *store = &s->store;
    size_t n = store->handler_count;
    const char **names = n ? malloc(n * sizeof *names) : NULL;
    if (n && !names)
        return nomem(r, NULL);
    for (size_t i = 0; i < n; i++)
        names[i] = store->handlers[i].name;
    if (n > 1)
        qsort(names, n, sizeof *names, by_string);
    int rc = 0;
    for (size_t i = 0; i < store->product_count && rc == 0; i++) {
        const scenario_product *p = &store->products[i];
        if (!p->handler || (n && bsearch(&p->handler, names, n, sizeof *names, by_string)))
            continue;
        char list[900], q[QBUF];
        declared_handlers(store, list, sizeof list);
        rc = fail_at(r, p->pos.line, p->pos.column, "product %" PRId64 ": handler '%s' is not declared (%s)", p->id,
                     quote(q, sizeof q, p->handler, strlen(p->handler)), list);
    }
    for (size_t i = 0; i < s->step_count && rc == 0; i++) {
        const scenario_step *st = &s->steps[i];
        if (st->kind != STEP_DELIVER ||
            (n && bsearch(&st->key, names, n, sizeof *names, by_string)))
            continue;
        char list[900], q[QBUF];
        declared_handlers(store, list, sizeof list);
        quote(q, sizeof q, st->key, strlen(st->key));
        const char *best = n ? suggest(st->key, strlen(st->key), names, n) : NULL;
        if (best)
            rc = fail_node(r, r->step_handler[i],
                           "handler '%s' is not declared (did you mean '%s'? %s)", q, best, list);
        else
            rc = fail_node(r, r->step_handler[i], "handler '%s' is not declared (%s)", q, list);
    }
    free(names);
    return rc;
}

/* Every leaderboard_check has a leaderboard to read (read wherever `store` is). */
static int check_leaderboard_steps(reader *r, const scenario *s)
{
    if (s->store.leaderboard_store)
        return 0;
    for (size_t i = 0; i < s->step_count; i++)
        if (s->steps[i].kind == STEP_LEADERBOARD_CHECK)
            return fail_node(r, r->step_action[i],
                             "'leaderboard_check' reads the store's leaderboard, but the store "
                             "has none: add one to 'store', like leaderboard: {store: Wins, "
                             "path: Stats.Wins}");
    return 0;
}

/* Every step before the end, every server id used declared, every product bought and every
 * handler delivered to declared, a leaderboard for every leaderboard_check, the default
 * server when none is declared, then the steps in time order (equal times in file order). */
static int finish_scenario(reader *r, scenario *s)
{
    char a[QBUF], d[QBUF];
    for (size_t i = 0; i < s->step_count; i++) {
        if (s->steps[i].at_us >= s->duration_us) {
            node *at = deref(r->step_at[i]), *dur = deref(r->duration_node);
            return fail_node(r, r->step_at[i],
                             "the step at %s is not before the end of the scenario "
                             "(duration %s): steps run in [0, duration)",
                             quote(a, sizeof a, at->text, at->len),
                             quote(d, sizeof d, dur->text, dur->len));
        }
    }
    for (size_t i = 0; i < r->nrefs; i++) {
        const server_ref *ref = &r->refs[i];
        if (server_declared(s, ref->id))
            continue;
        char list[320];
        declared_servers(s, list, sizeof list);
        if (ref->by_default)
            return fail_node(r, ref->at,
                             "'%s' without 'server' is on server %d, which is not declared (%s)",
                             ref->by_default, ref->id, list);
        return fail_node(r, ref->at, "server %d is not declared (%s)", ref->id, list);
    }
    if (check_purchases(r, s) || check_deliveries(r, s) || check_leaderboard_steps(r, s))
        return -1;
    for (size_t i = 0; s->must_fail_check && i < s->checks_off_count; i++)
        if (strcmp(s->checks_off[i].check, s->must_fail_check) == 0)
            return fail_node(r, deref(r->root), "check %s is both turned off ('checks_off') and expected "
                                                "to fire ('must_fail')", s->must_fail_check);
    if (s->store.unsafe_pos.line && !s->must_fail_check)
        return fail_at(r, s->store.unsafe_pos.line, s->store.unsafe_pos.column,
                       "'unsafe' breaks the engine on purpose and is allowed only in a scenario "
                       "that declares 'must_fail' (the check it must make fire, and why)");
    if (s->server_count == 0) {
        s->servers = calloc(1, sizeof *s->servers);
        if (!s->servers)
            return nomem(r, NULL);
        node *root = deref(r->root);
        s->servers[0] = (scenario_server){.pos = {root->line, root->column}, .id = 1};
        s->server_count = 1;
    }
    if (s->step_count < 2)
        return 0;
    step_order *order = malloc(s->step_count * sizeof *order);
    scenario_step *sorted = malloc(s->step_count * sizeof *sorted);
    if (!order || !sorted) {
        free(order);
        free(sorted);
        return nomem(r, NULL);
    }
    for (size_t i = 0; i < s->step_count; i++)
        order[i] = (step_order){s->steps[i].at_us, i};
    qsort(order, s->step_count, sizeof *order, by_time);
    for (size_t i = 0; i < s->step_count; i++)
        sorted[i] = s->steps[order[i].index];
    free(s->steps);
    free(order);
    s->steps = sorted;
    return 0;
}

static int read_scenario(reader *r, const char *file, scenario **out)
{
    node *root = deref(r->root);
    char d[DBUF];
    if (root->kind != NODE_MAP)
        return fail_node(r, r->root,
                         "expected a scenario mapping with name, duration, store and script at "
                         "the top level, found %s",
                         describe(r->root, d, sizeof d));
    scenario *s = calloc(1, sizeof *s);
    if (!s)
        return nomem(r, NULL);
    s->seed = 1;
    s->platform.profile = LIMITS_CURRENT;
    s->file = malloc(strlen(file) + 1);
    if (!s->file || read_mapping(r, root, "the scenario", KEYS(scenario_keys), s) ||
        finish_scenario(r, s)) {
        if (!s->file)
            nomem(r, NULL);
        scenario_free(s);
        return -1;
    }
    strcpy(s->file, file);
    *out = s;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The public API
 * ---------------------------------------------------------------------------------------- */

void loader_error_format(const loader_error *err, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (!err) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, err->message);
}

int loader_load_text(const char *file, const char *text, size_t len, scenario **out,
                     loader_error *err)
{
    loader_error scratch;
    if (!err)
        err = &scratch;
    if (!file)
        file = "";
    memset(err, 0, sizeof *err);
    set_file(err, file);
    if (out)
        *out = NULL;
    reader r;
    memset(&r, 0, sizeof r);
    r.text = text ? text : "";
    r.len = text ? len : 0;
    r.err = err;
    r.last_line = r.last_column = 1;
    int rc;
    if (!out)
        rc = fail_at(&r, 1, 1, "internal error: no place for the scenario");
    else if (!text && len > 0)
        rc = fail_at(&r, 1, 1, "internal error: no text");
    else
        rc = check_bytes(&r);
    if (rc == 0)
        rc = build_tree(&r);
    if (rc == 0)
        rc = read_scenario(&r, file, out);
    free(r.step_at);
    free(r.step_id);
    free(r.step_product);
    free(r.step_handler);
    free(r.step_action);
    free(r.refs);
    tree_free(&r);
    return rc ? -1 : 0;
}

int loader_load_file(const char *path, scenario **out, loader_error *err)
{
    loader_error scratch;
    if (!err)
        err = &scratch;
    if (out)
        *out = NULL;
    if (!path) {
        plain_error(err, "", "cannot open: no path");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        plain_error(err, path, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        plain_error(err, path, "cannot open: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        plain_error(err, path, "cannot open: %s (give a scenario file, or pass the folder on "
                               "the command line to run every scenario in it)",
                    strerror(EISDIR));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        plain_error(err, path, "cannot open: not a regular file");
        close(fd);
        return -1;
    }
    if ((uintmax_t)st.st_size > MAX_FILE_BYTES) {
        plain_error(err, path, "the file is too large: %jd bytes, at most 16 MiB (%zu bytes)",
                    (intmax_t)st.st_size, MAX_FILE_BYTES);
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        plain_error(err, path, "out of memory");
        close(fd);
        return -1;
    }
    for (;;) {
        if (len == cap) { /* the file grew while we read it */
            if (cap > MAX_FILE_BYTES) {
                plain_error(err, path, "the file is too large: more than 16 MiB");
                free(buf);
                close(fd);
                return -1;
            }
            size_t bigger = cap * 2 > MAX_FILE_BYTES + 1 ? MAX_FILE_BYTES + 1 : cap * 2;
            char *b = realloc(buf, bigger);
            if (!b) {
                plain_error(err, path, "out of memory");
                free(buf);
                close(fd);
                return -1;
            }
            buf = b;
            cap = bigger;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            plain_error(err, path, "cannot read: %s", strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    int rc = loader_load_text(path, buf, len, out, err);
    free(buf);
    return rc;
}

/* --- expanding command-line paths --- */

typedef struct path_list {
    char **items;
    size_t count, cap;
} path_list;

static int list_push(path_list *l, char *s)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            free(s);
            return -1;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = s;
    return 0;
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_scenario_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static char *join_path(const char *dir, const char *name)
{
    size_t ld = strlen(dir), ln = strlen(name);
    bool slash = ld > 0 && dir[ld - 1] != '/';
    char *p = malloc(ld + slash + ln + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, ld);
    if (slash)
        p[ld] = '/';
    memcpy(p + ld + slash, name, ln + 1);
    return p;
}

typedef struct dir_id {
    dev_t dev;
    ino_t ino;
    const struct dir_id *parent;
} dir_id;

/* Adds every scenario file below dir (unsorted); skips hidden entries and folders already
 * being walked (symbolic link loops). */
static int walk(const char *dir, const dir_id *ancestors, path_list *out, loader_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        plain_error(err, dir, "cannot open: %s", strerror(errno));
        return -1;
    }
    path_list names = {0};
    struct dirent *e;
    int rc = 0;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *full = join_path(dir, e->d_name);
        if (!full || list_push(&names, full)) {
            plain_error(err, dir, "out of memory");
            rc = -1;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && errno != 0) {
        plain_error(err, dir, "cannot read: %s", strerror(errno));
        rc = -1;
    }
    closedir(d);
    for (size_t i = 0; rc == 0 && i < names.count; i++) {
        const char *full = names.items[i];
        struct stat st;
        if (stat(full, &st) != 0) {
            if (is_scenario_name(full)) {
                plain_error(err, full, "cannot open: %s", strerror(errno));
                rc = -1;
            }
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            bool loop = false;
            for (const dir_id *a = ancestors; a; a = a->parent)
                loop |= a->dev == st.st_dev && a->ino == st.st_ino;
            dir_id self = {st.st_dev, st.st_ino, ancestors};
            if (!loop)
                rc = walk(full, &self, out, err);
        } else if (S_ISREG(st.st_mode) && is_scenario_name(full)) {
            char *copy = malloc(strlen(full) + 1);
            if (copy)
                strcpy(copy, full);
            if (!copy || list_push(out, copy)) {
                plain_error(err, full, "out of memory");
                rc = -1;
            }
        }
    }
    loader_free_list(names.items, names.count);
    return rc;
}

int loader_expand_paths(const char *const *paths, size_t npaths, char ***files, size_t *count,
                        loader_error *err)
{
    loader_error scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *files = NULL;
    *count = 0;
    path_list out = {0};
    for (size_t i = 0; i < npaths; i++) {
        const char *p = paths[i] ? paths[i] : "";
        struct stat st;
        if (stat(p, &st) != 0) {
            plain_error(err, p, "cannot open: %s", strerror(errno));
            loader_free_list(out.items, out.count);
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            size_t first = out.count;
            dir_id self = {st.st_dev, st.st_ino, NULL};
            if (walk(p, &self, &out, err)) {
                loader_free_list(out.items, out.count);
                return -1;
            }
            if (out.count == first) {
                plain_error(err, p, "no scenario files (*.yaml, *.yml) in this folder");
                loader_free_list(out.items, out.count);
                return -1;
            }
            qsort(out.items + first, out.count - first, sizeof *out.items, by_bytes);
        } else {
            char *copy = malloc(strlen(p) + 1);
            if (copy)
                strcpy(copy, p);
            if (!copy || list_push(&out, copy)) {
                plain_error(err, p, "out of memory");
                loader_free_list(out.items, out.count);
                return -1;
            }
        }
    }
    *files = out.items;
    *count = out.count;
    return 0;
}

void loader_free_list(char **files, size_t count)
{
    if (!files)
        return;
    for (size_t i = 0; i < count; i++)
        free(files[i]);
    free(files);
}
