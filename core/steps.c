/* steps.c: declarative steps over a profile (see steps.h).
 *
 * What it keeps true: vs_steps_apply changes the caller's tree only when every step has
 * succeeded. A list with more than one change runs on a private copy of the top-level
 * entries it can reach, which is then committed into the caller's tree by moves that are
 * either all made or all undone (commit_map); a list of requires, or one whose only change
 * is its last step, runs in place, because a require changes nothing and a single
 * core/path.h mutation is itself all-or-nothing. Operands are fetched and copied
 * before the mutation that uses them, so a missing payload operand also changes nothing.
 *
 * Everything a step checks at apply time that could be checked earlier is checked when the
 * step is built (a change on the root, a non-finite delta, an unstorable literal), so the
 * errors at apply time are only those that depend on the profile and the payload. */
#include "core/steps.h"
#include "core/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

const char *vs_step_kind_name(vs_step_kind kind)
{
    switch (kind) {
    case VS_STEP_SET: return "set";
    case VS_STEP_ADD: return "add";
    case VS_STEP_INSERT: return "insert";
    case VS_STEP_REMOVE: return "remove";
    case VS_STEP_REQUIRE: return "require";
    }
    return "unknown";
}

static const char *const op_names[] = {"exists", "absent", "equals", "at_least", "at_most",
                                       "type"};

const char *vs_require_op_name(vs_require_op op)
{
    if ((unsigned)op >= sizeof op_names / sizeof *op_names)
        return "unknown";
    return op_names[op];
}

bool vs_require_op_parse(const char *name, vs_require_op *out)
{
    for (size_t i = 0; name && i < sizeof op_names / sizeof *op_names; i++)
        if (strcmp(name, op_names[i]) == 0) {
            if (out)
                *out = (vs_require_op)i;
            return true;
        }
    return false;
}

bool vs_require_type_parse(const char *name, vs_type *out)
{
    static const vs_type types[] = {VS_NIL, VS_BOOL, VS_NUMBER, VS_STRING, VS_ARRAY, VS_MAP};
    for (size_t i = 0; name && i < sizeof types / sizeof *types; i++)
        if (strcmp(name, vs_type_name(types[i])) == 0) {
            if (out)
                *out = types[i];
            return true;
        }
    return false;
}

/* "a number", "an array", ...: for "found a string". */
static const char *a_type(vs_type t)
{
    switch (t) {
    case VS_NIL: return "nil";
    case VS_BOOL: return "a boolean";
    case VS_NUMBER: return "a number";
    case VS_STRING: return "a string";
    case VS_ARRAY: return "an array";
    case VS_MAP: return "a map";
    }
    return "an unknown value";
}


static vs_status put_path(const vs_path *p, vs_buf *out)
{
    if (p->count == 0)
        return vs_buf_puts(out, "(root)");
    char *text = vs_path_format(p);
    if (!text)
        return VS_ERR_NOMEM;
    vs_status st = vs_buf_puts(out, text);
    free(text);
    return st;
}

static vs_status put_operand(const vs_step *step, vs_buf *out)
{
    vs_status st = vs_buf_puts(out, " ");
    if (st != VS_OK)
        return st;
    if (step->from_payload) {
        st = vs_buf_puts(out, "payload");
        if (st == VS_OK && step->payload_path.count > 0) {
            st = vs_buf_puts(out, ".");
            if (st == VS_OK)
                st = put_path(&step->payload_path, out);
        }
        return st;
    }
    if (step->value) {
        char shown[VS_TEXT_SHOWN_MAX + 1];
        vs_text_value(step->value, shown, sizeof shown);
        return vs_buf_puts(out, shown);
    }
    return vs_json_number(step->number, out);
}

vs_status vs_step_describe(const vs_step *step, vs_buf *out)
{
    if (!step || !out)
        return VS_ERR_ARG;
    size_t start = out->len;
    vs_status st = vs_buf_puts(out, vs_step_kind_name(step->kind));
    if (st == VS_OK)
        st = vs_buf_puts(out, " ");
    if (st == VS_OK)
        st = put_path(&step->path, out);
    switch (step->kind) {
    case VS_STEP_SET:
    case VS_STEP_ADD:
        if (st == VS_OK)
            st = put_operand(step, out);
        break;
    case VS_STEP_INSERT:
        if (st == VS_OK)
            st = put_operand(step, out);
        if (st == VS_OK && step->index1 > 0)
            st = vs_buf_printf(out, " at %zu", step->index1);
        break;
    case VS_STEP_REMOVE:
        break;
    case VS_STEP_REQUIRE:
        if (st == VS_OK)
            st = vs_buf_printf(out, " %s", vs_require_op_name(step->op));
        if (st == VS_OK && step->op == VS_REQUIRE_TYPE)
            st = vs_buf_printf(out, " %s", vs_type_name(step->type));
        else if (st == VS_OK && step->op != VS_REQUIRE_EXISTS && step->op != VS_REQUIRE_ABSENT)
            st = put_operand(step, out);
        break;
    }
    if (st != VS_OK && out->cap) { /* leave out as it was (cap 0: nothing was written) */
        out->len = start;
        out->data[start] = '\0';
    }
    return st;
}

vs_status vs_steps_describe(const vs_steps *s, vs_buf *out)
{
    if (!s || !out)
        return VS_ERR_ARG;
    if (s->count == 0)
        return vs_buf_puts(out, "(no steps)");
    size_t start = out->len;
    vs_status st = VS_OK;
    for (size_t i = 0; i < s->count && st == VS_OK; i++) {
        if (i > 0)
            st = vs_buf_puts(out, "; ");
        if (st == VS_OK)
            st = vs_step_describe(&s->items[i], out);
    }
    if (st != VS_OK && out->cap) {
        out->len = start;
        out->data[start] = '\0';
    }
    return st;
}

/* ---- the list ---- */

void vs_steps_init(vs_steps *s)
{
    if (!s)
        return;
    s->count = 0;
    s->cap = 0;
    s->items = NULL;
}

static void step_free(vs_step *step)
{
    vs_path_free(&step->path);
    vs_path_free(&step->payload_path);
    vs_free(step->value);
    step->value = NULL;
}

void vs_steps_free(vs_steps *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        step_free(&s->items[i]);
    free(s->items);
    vs_steps_init(s);
}

static vs_status reserve(vs_steps *s, size_t need)
{
    if (need <= s->cap)
        return VS_OK;
    size_t cap = s->cap ? s->cap : 4;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof *s->items)
            return VS_ERR_NOMEM;
        cap *= 2;
    }
    vs_step *items = realloc(s->items, cap * sizeof *items);
    if (!items)
        return VS_ERR_NOMEM;
    s->items = items;
    s->cap = cap;
    return VS_OK;
}

/* On failure *dst holds nothing that needs freeing. */
static vs_status step_copy(const vs_step *src, vs_step *dst)
{
    *dst = *src;
    dst->path = (vs_path){0, NULL};
    dst->payload_path = (vs_path){0, NULL};
    dst->value = NULL;
    vs_status st = vs_path_copy(&src->path, &dst->path);
    if (st == VS_OK)
        st = vs_path_copy(&src->payload_path, &dst->payload_path);
    if (st == VS_OK && src->value && !(dst->value = vs_copy(src->value)))
        st = VS_ERR_NOMEM;
    if (st != VS_OK)
        step_free(dst);
    return st;
}

vs_status vs_steps_copy(const vs_steps *src, vs_steps *out)
{
    if (!out)
        return VS_ERR_ARG;
    vs_steps_init(out);
    if (!src)
        return VS_ERR_ARG;
    vs_status st = reserve(out, src->count);
    for (size_t i = 0; st == VS_OK && i < src->count; i++) {
        st = step_copy(&src->items[i], &out->items[i]);
        if (st == VS_OK)
            out->count = i + 1;
    }
    if (st != VS_OK)
        vs_steps_free(out);
    return st;
}

/* Appends *step, taking it over: on failure its contents are freed. */
static vs_status push(vs_steps *s, vs_step *step)
{
    vs_status st = reserve(s, s->count + 1);
    if (st != VS_OK) {
        step_free(step);
        return st;
    }
    s->items[s->count++] = *step;
    return VS_OK;
}

/* A new step on a copy of path. The root is replaced only by loading (core/path.h), so a
 * change on the empty path is refused now rather than on every apply. */
static vs_status begin(vs_step *step, vs_step_kind kind, const vs_path *path)
{
    memset(step, 0, sizeof *step);
    step->kind = kind;
    if (!path)
        return VS_ERR_ARG;
    if (kind != VS_STEP_REQUIRE && path->count == 0)
        return VS_ERR_PATH;
    return vs_path_copy(path, &step->path);
}

/* A literal operand must be something the store would accept. */
static vs_status check_literal(const vs_value *v)
{
    return v ? vs_value_check_storable(v, 0, NULL) : VS_ERR_NOMEM;
}

static vs_status push_literal(vs_steps *s, vs_step_kind kind, const vs_path *path,
                              size_t index1, vs_value *value)
{
    vs_step step;
    vs_status st = s ? begin(&step, kind, path) : VS_ERR_ARG;
    if (!s) {
        vs_free(value);
        return st;
    }
    if (st == VS_OK)
        st = check_literal(value);
    /* nil inserted into an array is a hole, which the store refuses. */
    if (st == VS_OK && kind == VS_STEP_INSERT && vs_type_of(value) == VS_NIL)
        st = VS_ERR_ARRAY_HOLE;
    if (st != VS_OK) {
        vs_free(value);
        step_free(&step);
        return st;
    }
    step.index1 = index1;
    step.value = value;
    return push(s, &step);
}

vs_status vs_steps_push_set(vs_steps *s, const vs_path *path, vs_value *value)
{
    return push_literal(s, VS_STEP_SET, path, 0, value);
}

vs_status vs_steps_push_insert(vs_steps *s, const vs_path *path, size_t index1, vs_value *value)
{
    return push_literal(s, VS_STEP_INSERT, path, index1, value);
}

vs_status vs_steps_push_add(vs_steps *s, const vs_path *path, double delta)
{
    if (!s)
        return VS_ERR_ARG;
    if (!isfinite(delta))
        return VS_ERR_NOT_FINITE;
    vs_step step;
    vs_status st = begin(&step, VS_STEP_ADD, path);
    if (st != VS_OK) {
        step_free(&step);
        return st;
    }
    step.number = delta;
    return push(s, &step);
}

vs_status vs_steps_push_remove(vs_steps *s, const vs_path *path)
{
    if (!s)
        return VS_ERR_ARG;
    vs_step step;
    vs_status st = begin(&step, VS_STEP_REMOVE, path);
    if (st != VS_OK) {
        step_free(&step);
        return st;
    }
    return push(s, &step);
}

/* Checks a require's literal operand and stores it in step: the value itself for equals,
 * its number for a bound, its type for type. Does not take operand. */
static vs_status set_condition(vs_step *step, vs_require_op op, const vs_value *operand)
{
    step->op = op;
    switch (op) {
    case VS_REQUIRE_EXISTS:
    case VS_REQUIRE_ABSENT:
        return operand ? VS_ERR_ARG : VS_OK;
    case VS_REQUIRE_EQUALS: {
        vs_status st = check_literal(operand);
        if (st == VS_OK && !(step->value = vs_copy(operand)))
            st = VS_ERR_NOMEM;
        return st;
    }
    case VS_REQUIRE_AT_LEAST:
    case VS_REQUIRE_AT_MOST:
        if (!operand)
            return VS_ERR_NOMEM;
        if (vs_type_of(operand) != VS_NUMBER)
            return VS_ERR_TYPE;
        step->number = vs_number_of(operand);
        return isfinite(step->number) ? VS_OK : VS_ERR_NOT_FINITE;
    case VS_REQUIRE_TYPE:
        if (!operand)
            return VS_ERR_NOMEM;
        if (vs_type_of(operand) != VS_STRING)
            return VS_ERR_ARG;
        return vs_require_type_parse(vs_string_of(operand, NULL), &step->type) ? VS_OK
                                                                               : VS_ERR_ARG;
    }
    return VS_ERR_ARG;
}

vs_status vs_steps_push_require(vs_steps *s, const vs_path *path, vs_require_op op,
                                vs_value *operand)
{
    vs_step step;
    vs_status st = s ? begin(&step, VS_STEP_REQUIRE, path) : VS_ERR_ARG;
    if (!s) {
        vs_free(operand);
        return st;
    }
    if (st == VS_OK)
        st = set_condition(&step, op, operand);
    /* equals keeps a copy: simpler than handing over ownership on only one branch, and a
     * condition's operand is small. */
    vs_free(operand);
    if (st != VS_OK) {
        step_free(&step);
        return st;
    }
    return push(s, &step);
}

static vs_status push_from(vs_steps *s, vs_step_kind kind, const vs_path *path, size_t index1,
                           vs_require_op op, const vs_path *payload_path)
{
    if (!s || !payload_path)
        return VS_ERR_ARG;
    if (kind == VS_STEP_REQUIRE && op != VS_REQUIRE_EQUALS && op != VS_REQUIRE_AT_LEAST &&
        op != VS_REQUIRE_AT_MOST)
        return VS_ERR_ARG; /* exists, absent and type take no operand */
    vs_step step;
    vs_status st = begin(&step, kind, path);
    if (st == VS_OK)
        st = vs_path_copy(payload_path, &step.payload_path);
    if (st != VS_OK) {
        step_free(&step);
        return st;
    }
    step.from_payload = true;
    step.index1 = index1;
    step.op = op;
    return push(s, &step);
}

vs_status vs_steps_push_set_from(vs_steps *s, const vs_path *path, const vs_path *payload_path)
{
    return push_from(s, VS_STEP_SET, path, 0, VS_REQUIRE_EXISTS, payload_path);
}

vs_status vs_steps_push_add_from(vs_steps *s, const vs_path *path, const vs_path *payload_path)
{
    return push_from(s, VS_STEP_ADD, path, 0, VS_REQUIRE_EXISTS, payload_path);
}

vs_status vs_steps_push_insert_from(vs_steps *s, const vs_path *path, size_t index1,
                                    const vs_path *payload_path)
{
    return push_from(s, VS_STEP_INSERT, path, index1, VS_REQUIRE_EXISTS, payload_path);
}

vs_status vs_steps_push_require_from(vs_steps *s, const vs_path *path, vs_require_op op,
                                     const vs_path *payload_path)
{
    return push_from(s, VS_STEP_REQUIRE, path, 0, op, payload_path);
}

bool vs_steps_only_requires(const vs_steps *s, size_t *first)
{
    for (size_t i = 0; s && i < s->count; i++)
        if (s->items[i].kind != VS_STEP_REQUIRE) {
            if (first)
                *first = i;
            return false;
        }
    return true;
}

bool vs_steps_uses_payload(const vs_steps *s, size_t *first)
{
    for (size_t i = 0; s && i < s->count; i++)
        if (s->items[i].from_payload) {
            if (first)
                *first = i;
            return true;
        }
    return false;
}

/* ---- applying ---- */

/* One run of a list: what a failing step needs to say where and why. */
typedef struct run {
    const vs_steps *steps;
    const vs_value *payload;
    vs_steps_error *err;
    size_t index; /* the step being run */
} run;

static void clear_error(vs_steps_error *err)
{
    if (!err)
        return;
    err->status = VS_OK;
    err->index = VS_STEPS_NO_INDEX;
    err->message[0] = '\0';
}

/* A failure that is no step's. */
static vs_status fail_list(vs_steps_error *err, vs_status status, const char *why)
{
    if (err) {
        err->status = status;
        err->index = VS_STEPS_NO_INDEX;
        vs_text_clip(err->message, sizeof err->message, why, strlen(why));
    }
    return status;
}

/* Records that the current step failed: "<the step>: <the parts, joined>". The parts end
 * with a NULL. If memory runs out for the message, the status's own message stands in. */
__attribute__((sentinel)) static vs_status fail(const run *r, vs_status status, ...)
{
    if (!r->err)
        return status;
    r->err->status = status;
    r->err->index = r->index;
    vs_buf b;
    vs_buf_init(&b);
    vs_status st = vs_step_describe(&r->steps->items[r->index], &b);
    if (st == VS_OK)
        st = vs_buf_puts(&b, ": ");
    va_list ap;
    va_start(ap, status);
    for (const char *part; st == VS_OK && (part = va_arg(ap, const char *)) != NULL;)
        st = vs_buf_puts(&b, part);
    va_end(ap);
    if (st == VS_OK)
        vs_text_clip(r->err->message, sizeof r->err->message, b.data, b.len);
    else
        vs_text_clip(r->err->message, sizeof r->err->message, vs_status_message(status),
                      strlen(vs_status_message(status)));
    vs_buf_free(&b);
    return status;
}

/* "payload.Amount", or "payload" for the whole payload, as the step description writes it;
 * NULL on no memory (the message then says "payload"). */
static char *payload_label(const vs_path *p)
{
    vs_buf b;
    vs_buf_init(&b);
    vs_status st = vs_buf_puts(&b, "payload");
    if (st == VS_OK && p->count > 0)
        st = vs_buf_puts(&b, ".");
    if (st == VS_OK && p->count > 0)
        st = put_path(p, &b);
    if (st != VS_OK || b.cap == 0) {
        vs_buf_free(&b);
        return NULL;
    }
    return b.data; /* the buffer's memory becomes the caller's */
}

/* The payload's node named by the step; nil counts as missing, as in Luau. */
static vs_status payload_operand(const run *r, const vs_step *step, const vs_value **out)
{
    if (!r->payload)
        return fail(r, VS_ERR_NOT_FOUND, "there is no payload", NULL);
    const vs_value *v = vs_path_get(r->payload, &step->payload_path);
    if (v && vs_type_of(v) != VS_NIL) {
        *out = v;
        return VS_OK;
    }
    char *label = payload_label(&step->payload_path);
    vs_status st = fail(r, VS_ERR_NOT_FOUND, "nothing at ", label ? label : "payload", NULL);
    free(label);
    return st;
}

static vs_status value_operand(const run *r, const vs_step *step, const vs_value **out)
{
    if (!step->from_payload) {
        *out = step->value;
        return VS_OK;
    }
    return payload_operand(r, step, out);
}

static vs_status number_operand(const run *r, const vs_step *step, double *out)
{
    if (!step->from_payload) {
        *out = step->number;
        return VS_OK;
    }
    const vs_value *v = NULL;
    vs_status st = payload_operand(r, step, &v);
    if (st != VS_OK)
        return st;
    bool number = vs_type_of(v) == VS_NUMBER;
    if (number && isfinite(vs_number_of(v))) {
        *out = vs_number_of(v);
        return VS_OK;
    }
    char *label = payload_label(&step->payload_path);
    st = fail(r, number ? VS_ERR_NOT_FINITE : VS_ERR_TYPE, label ? label : "payload", " is ",
              number ? "not a finite number" : a_type(vs_type_of(v)),
              number ? "" : ", not a number", NULL);
    free(label);
    return st;
}

/* Deep equality as a game developer means it: numbers compare as numbers (0 == -0; NaN
 * equals nothing), containers element by element. vs_equal compares numbers bitwise, which
 * is right for "did the data change" but not for a condition. */
static bool same_value(const vs_value *a, const vs_value *b)
{
    vs_type t = vs_type_of(a);
    if (t != vs_type_of(b))
        return false;
    switch (t) {
    case VS_NIL: return true;
    case VS_BOOL: return vs_bool_of(a) == vs_bool_of(b);
    case VS_NUMBER: return vs_number_of(a) == vs_number_of(b);
    case VS_STRING: {
        size_t la, lb;
        const char *sa = vs_string_of(a, &la), *sb = vs_string_of(b, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
    case VS_ARRAY:
        if (vs_array_len(a) != vs_array_len(b))
            return false;
        for (size_t i = 0; i < vs_array_len(a); i++)
            if (!same_value(vs_array_at(a, i), vs_array_at(b, i)))
                return false;
        return true;
    case VS_MAP:
        if (vs_map_len(a) != vs_map_len(b))
            return false;
        /* Both are in canonical order, so equal maps have equal entries at equal places. */
        for (size_t i = 0; i < vs_map_len(a); i++) {
            size_t la, lb;
            const char *ka = vs_map_key_at(a, i, &la), *kb = vs_map_key_at(b, i, &lb);
            if (la != lb || memcmp(ka, kb, la) != 0 ||
                vs_map_key_is_int(a, i) != vs_map_key_is_int(b, i) ||
                !same_value(vs_map_value_at(a, i), vs_map_value_at(b, i)))
                return false;
        }
        return true;
    }
    return false;
}

static vs_status run_require(const run *r, const vs_step *step, const vs_value *root)
{
    const vs_value *node = vs_path_get(root, &step->path);
    vs_type t = vs_type_of(node); /* VS_NIL when absent */
    bool present = t != VS_NIL;
    bool holds = false;
    vs_status st = VS_OK;
    switch (step->op) {
    case VS_REQUIRE_EXISTS: holds = present; break;
    case VS_REQUIRE_ABSENT: holds = !present; break;
    case VS_REQUIRE_TYPE: holds = t == step->type; break;
    case VS_REQUIRE_EQUALS: {
        const vs_value *want = NULL;
        st = value_operand(r, step, &want);
        holds = st == VS_OK && same_value(present ? node : NULL, want);
        break;
    }
    case VS_REQUIRE_AT_LEAST:
    case VS_REQUIRE_AT_MOST: {
        double bound = 0;
        st = number_operand(r, step, &bound);
        double n = vs_number_of(node);
        holds = st == VS_OK && t == VS_NUMBER &&
                (step->op == VS_REQUIRE_AT_LEAST ? n >= bound : n <= bound);
        break;
    }
    }
    if (st != VS_OK)
        return st; /* the operand's error, already recorded */
    if (holds)
        return VS_OK;
    if (!present)
        return fail(r, VS_ERR_REQUIRE, "found nothing", NULL);
    if (step->op == VS_REQUIRE_TYPE)
        return fail(r, VS_ERR_REQUIRE, "found ", a_type(t), NULL);
    char shown[VS_TEXT_SHOWN_MAX + 1];
    vs_text_value(node, shown, sizeof shown);
    bool bound = step->op == VS_REQUIRE_AT_LEAST || step->op == VS_REQUIRE_AT_MOST;
    return fail(r, VS_ERR_REQUIRE, "found ", shown,
                bound && t != VS_NUMBER ? ", not a number" : "", NULL);
}

/* A core/path.h error, with what was found when the type was wrong. */
static vs_status change_failed(const run *r, const vs_step *step, const vs_value *root,
                               vs_status st)
{
    const vs_value *node = vs_path_get(root, &step->path);
    if (st == VS_ERR_TYPE && node)
        return fail(r, st, vs_status_message(st), " (found ", a_type(vs_type_of(node)), ")",
                    NULL);
    return fail(r, st, vs_status_message(st), NULL);
}

static vs_status run_change(const run *r, const vs_step *step, vs_value *root)
{
    vs_status st = VS_OK;
    switch (step->kind) {
    case VS_STEP_SET:
    case VS_STEP_INSERT: {
        const vs_value *v = NULL;
        st = value_operand(r, step, &v);
        if (st != VS_OK)
            return st;
        vs_value *item = vs_copy(v);
        if (!item)
            return fail(r, VS_ERR_NOMEM, "out of memory", NULL);
        st = step->kind == VS_STEP_SET ? vs_path_set(root, &step->path, item)
                                       : vs_path_insert(root, &step->path, step->index1, item);
        break;
    }
    case VS_STEP_ADD: {
        double delta = 0;
        st = number_operand(r, step, &delta);
        if (st != VS_OK)
            return st;
        st = vs_path_add(root, &step->path, delta);
        break;
    }
    case VS_STEP_REMOVE:
        st = vs_path_remove(root, &step->path);
        break;
    case VS_STEP_REQUIRE:
        break;
    }
    return st == VS_OK ? VS_OK : change_failed(r, step, root, st);
}

/* Runs every step in order and stops at the first failure. root is the tree to change
 * (NULL: the list may only test), view the tree the requires read (root itself, or the
 * caller's const tree when root is NULL). */
static vs_status run_steps(const vs_steps *s, vs_value *root, const vs_value *view,
                           const vs_value *payload, vs_steps_error *err)
{
    run r = {s, payload, err, 0};
    for (r.index = 0; r.index < s->count; r.index++) {
        const vs_step *step = &s->items[r.index];
        vs_status st;
        if (step->kind == VS_STEP_REQUIRE)
            st = run_require(&r, step, view);
        else if (!root)
            st = fail(&r, VS_ERR_ARG, "not a require: this list may only test the profile",
                      NULL);
        else
            st = run_change(&r, step, root);
        if (st != VS_OK)
            return st;
    }
    return VS_OK;
}

/* ---- committing a private copy ----
 *
 * value.h has no way to swap two trees' contents, so a private copy is committed by moving
 * its top-level children into the caller's root. Subtrees move as pointers and are never
 * copied again. Every step that can fail (adding a key, growing an array) comes first and is
 * undone on failure; what follows (replacing an existing entry, taking one out) needs no
 * memory and cannot fail. */

/* A string key of a map, found by index: the text and its length. */
typedef struct key_ref {
    const char *text;
    size_t len;
} key_ref;

/* Undoes phase 1 of commit_map: takes out the placeholders that were added. */
static void remove_added(vs_value *root, const vs_value *scratch, const bool *added, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (added[i]) {
            size_t len;
            const char *k = vs_map_key_at(scratch, i, &len);
            vs_free(vs_map_take_n(root, k, len));
        }
}

/* Makes map root hold scratch's entries under the keys in scope, consuming scratch. scope
 * NULL: every key (root ends up equal to scratch). Otherwise only the string keys listed:
 * one that scratch has gets its value, one that scratch lacks is removed from root; keys
 * outside scope are not touched (scratch holds nothing else).
 *
 * Integer keys (representable, never storable) have no take in value.h, so they cannot be
 * moved out of scratch nor removed from root: with scope NULL their values are copied in
 * before any change, and a root whose integer keys differ from scratch's is refused
 * (VS_ERR_MIXED_TABLE; neither steps nor a migration callback can add or remove one in a
 * way value.h could undo). */
static vs_status commit_map(vs_value *root, vs_value *scratch, const key_ref *scope,
                            size_t scope_len)
{
    size_t n = vs_map_len(scratch);
    bool *added = calloc(n ? n : 1, sizeof *added);
    vs_value **int_values = calloc(n ? n : 1, sizeof *int_values);
    vs_status st = added && int_values ? VS_OK : VS_ERR_NOMEM;

    /* Phase 0 (changes nothing): integer keys match, their values copied. */
    if (st == VS_OK && !scope) {
        size_t root_ints = 0, scratch_ints = 0;
        for (size_t i = 0; i < vs_map_len(root); i++)
            root_ints += vs_map_key_is_int(root, i);
        for (size_t i = 0; st == VS_OK && i < n; i++) {
            if (!vs_map_key_is_int(scratch, i))
                continue;
            scratch_ints++;
            /* Present in root under the same integer key? Keys are sorted with the string
             * key first, so look at the entry after a string key of the same text. */
            size_t len;
            const char *k = vs_map_key_at(scratch, i, &len);
            bool found = false;
            for (size_t j = 0; j < vs_map_len(root) && !found; j++) {
                size_t rlen;
                const char *rk = vs_map_key_at(root, j, &rlen);
                found = vs_map_key_is_int(root, j) && rlen == len && memcmp(rk, k, len) == 0;
            }
            if (!found)
                st = VS_ERR_MIXED_TABLE;
            else if (!(int_values[i] = vs_copy(vs_map_value_at(scratch, i))))
                st = VS_ERR_NOMEM;
        }
        if (st == VS_OK && root_ints != scratch_ints)
            st = VS_ERR_MIXED_TABLE;
    }

    /* Phase 1 (undone on failure): a placeholder in root for each new string key. */
    for (size_t i = 0; st == VS_OK && i < n; i++) {
        if (vs_map_key_is_int(scratch, i))
            continue;
        size_t len;
        const char *k = vs_map_key_at(scratch, i, &len);
        if (vs_map_get_n(root, k, len))
            continue;
        st = vs_map_set_n(root, k, len, vs_new_nil());
        added[i] = st == VS_OK;
    }
    if (st != VS_OK) {
        if (added)
            remove_added(root, scratch, added, n);
        for (size_t i = 0; int_values && i < n; i++)
            vs_free(int_values[i]);
        free(added);
        free(int_values);
        vs_free(scratch);
        return st;
    }

    /* Phase 2 (cannot fail): remove what scratch no longer has. */
    if (scope) {
        for (size_t i = 0; i < scope_len; i++)
            if (!vs_map_get_n(scratch, scope[i].text, scope[i].len))
                vs_free(vs_map_take_n(root, scope[i].text, scope[i].len));
    } else {
        for (size_t i = vs_map_len(root); i-- > 0;) {
            size_t len;
            const char *k = vs_map_key_at(root, i, &len);
            if (!vs_map_key_is_int(root, i) && !vs_map_get_n(scratch, k, len))
                vs_free(vs_map_take_n(root, k, len));
        }
    }

    /* Phase 3 (cannot fail): every key now exists in root, so each set replaces an entry,
     * which needs no memory. A string entry's value moves: root takes it, then scratch lets
     * go of it (take returns it, and it is not freed). From the end, so the indices of the
     * entries still to visit do not move. */
    for (size_t i = n; i-- > 0;) {
        size_t len;
        const char *k = vs_map_key_at(scratch, i, &len);
        if (vs_map_key_is_int(scratch, i)) {
            /* The decimal text of an int64, as vs_map_set_int wrote it. */
            if (int_values[i]) /* always, with scope NULL; scoped scratch has no int keys */
                (void)vs_map_set_int(root, strtoll(k, NULL, 10), int_values[i]);
            continue;
        }
        (void)vs_map_set_n(root, k, len, vs_map_value_at(scratch, i));
        (void)vs_map_take_n(scratch, k, len); /* frees k, which it no longer reads */
    }
    free(added);
    free(int_values);
    vs_free(scratch); /* what is left: the integer-key entries, whose values were copied */
    return VS_OK;
}

/* Makes array root hold scratch's elements, consuming scratch. */
static vs_status commit_array(vs_value *root, vs_value *scratch)
{
    size_t had = vs_array_len(root), want = vs_array_len(scratch);
    /* Phase 1 (undone on failure): grow root to the new length. */
    while (vs_array_len(root) < want) {
        if (vs_array_push(root, vs_new_nil()) != VS_OK) {
            while (vs_array_len(root) > had)
                vs_free(vs_array_take(root, vs_array_len(root) - 1));
            vs_free(scratch);
            return VS_ERR_NOMEM;
        }
    }
    /* Phase 2 and 3 (cannot fail): shrink, then move every element, from the end so that
     * taking one never shifts the others. */
    while (vs_array_len(root) > want)
        vs_free(vs_array_take(root, vs_array_len(root) - 1));
    for (size_t i = want; i-- > 0;)
        (void)vs_array_replace(root, i, vs_array_take(scratch, i));
    vs_free(scratch);
    return VS_OK;
}

vs_status vs_steps_adopt(vs_value *root, vs_value *replacement)
{
    if (!replacement)
        return VS_ERR_NOMEM;
    if (!root) {
        vs_free(replacement);
        return VS_ERR_ARG;
    }
    vs_type t = vs_type_of(root);
    if (t == vs_type_of(replacement) && t == VS_MAP)
        return commit_map(root, replacement, NULL, 0);
    if (t == vs_type_of(replacement) && t == VS_ARRAY)
        return commit_array(root, replacement);
    /* A scalar cannot be changed in place (value.h has no setter), so the only replacement
     * that can be adopted is an equal one. */
    vs_status st = vs_equal(root, replacement) ? VS_OK : VS_ERR_TYPE;
    vs_free(replacement);
    return st;
}

/* The distinct first keys of the steps' paths: the only top-level entries the list can
 * read or change. false when some path is the root itself (it reaches everything). */
static bool first_keys(const vs_steps *s, key_ref *out, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < s->count; i++) {
        const vs_path *p = &s->items[i].path;
        if (p->count == 0)
            return false;
        key_ref k = {p->keys[0], strlen(p->keys[0])};
        bool seen = false;
        for (size_t j = 0; j < *count && !seen; j++)
            seen = out[j].len == k.len && memcmp(out[j].text, k.text, k.len) == 0;
        if (!seen)
            out[(*count)++] = k;
    }
    return true;
}

vs_status vs_steps_apply(const vs_steps *s, vs_value *root, const vs_value *payload,
                         vs_steps_error *err)
{
    clear_error(err);
    if (!s || !root)
        return fail_list(err, VS_ERR_ARG, "no step list or no profile");
    size_t changes = 0, last_change = 0;
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i].kind != VS_STEP_REQUIRE) {
            changes++;
            last_change = i;
        }
    /* Requires change nothing, and one core/path.h change is all-or-nothing by itself: when
     * it is the last step nothing can fail after it, so no copy is needed. This is the
     * common case of a plain set or add, and keeps it as cheap as a direct mutation. */
    if (changes == 0 || (changes == 1 && last_change == s->count - 1))
        return run_steps(s, root, root, payload, err);

    /* Otherwise the steps run on a private copy. For a map (every profile), only the
     * top-level entries the paths start with are copied: nothing else can be read or
     * changed, so running on those alone is the same as running on a copy of it all, and
     * an edit of the wallet does not copy the inventory. */
    key_ref *scope = malloc(s->count * sizeof *scope);
    size_t scope_len = 0;
    if (!scope)
        return fail_list(err, VS_ERR_NOMEM, "out of memory copying the profile");
    bool scoped = vs_type_of(root) == VS_MAP && first_keys(s, scope, &scope_len);
    vs_value *scratch = scoped ? vs_new_map() : vs_copy(root);
    vs_status st = scratch ? VS_OK : VS_ERR_NOMEM;
    for (size_t i = 0; scoped && st == VS_OK && i < scope_len; i++) {
        const vs_value *v = vs_map_get_n(root, scope[i].text, scope[i].len);
        if (v)
            st = vs_map_set_n(scratch, scope[i].text, scope[i].len, vs_copy(v));
    }
    if (st != VS_OK) {
        vs_free(scratch);
        free(scope);
        return fail_list(err, st, "out of memory copying the profile");
    }
    st = run_steps(s, scratch, scratch, payload, err);
    if (st != VS_OK) {
        vs_free(scratch);
        free(scope);
        return st;
    }
    st = scoped ? commit_map(root, scratch, scope, scope_len) : vs_steps_adopt(root, scratch);
    free(scope);
    if (st != VS_OK)
        return fail_list(err, st,
                         st == VS_ERR_NOMEM ? "out of memory committing the changes"
                                            : vs_status_message(st));
    return VS_OK;
}

vs_status vs_steps_apply_in_place(const vs_steps *s, vs_value *root, const vs_value *payload,
                                  vs_steps_error *err)
{
    clear_error(err);
    if (!s || !root)
        return fail_list(err, VS_ERR_ARG, "no step list or no profile");
    return run_steps(s, root, root, payload, err);
}

vs_status vs_steps_check(const vs_steps *s, const vs_value *root, const vs_value *payload,
                         vs_steps_error *err)
{
    clear_error(err);
    if (!s || !root)
        return fail_list(err, VS_ERR_ARG, "no step list or no profile");
    return run_steps(s, NULL, root, payload, err);
}
