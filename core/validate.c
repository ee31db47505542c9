/* validate.c: the checks before every write (see validate.h).
 *
 * What it keeps true: nothing here can change the data. Callbacks receive a const tree, and
 * a validator made of steps is refused when it is built unless every step is a require, then
 * evaluated with vs_steps_check, which reads a const tree and cannot run anything else. The
 * checks run in a fixed order (storability, size, validators in the order added) and stop
 * at the first failure, so the same data always gets the same message. */
#include "core/validate.h"

#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

#include "core/document.h"
#include "core/json.h"
#include "core/text.h"

void vs_validators_init(vs_validators *v)
{
    if (!v)
        return;
    v->count = 0;
    v->cap = 0;
    v->items = NULL;
}

static void validator_free(vs_validator *val)
{
    free(val->name);
    val->name = NULL;
    vs_steps_free(&val->steps);
}

void vs_validators_free(vs_validators *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++)
        validator_free(&v->items[i]);
    free(v->items);
    vs_validators_init(v);
}

static vs_status reserve(vs_validators *v, size_t need)
{
    vs_validator *items = vs_grow(v->items, &v->cap, sizeof *items, need);
    if (!items)
        return VS_ERR_NOMEM;
    v->items = items;
    return VS_OK;
}

/* A validator with copies of name and steps (steps NULL: a callback). On failure *out
 * holds nothing that needs freeing. */
static vs_status validator_make(vs_validator *out, const char *name, vs_validate_fn fn,
                                void *arg, const vs_steps *steps)
{
    out->name = NULL;
    out->fn = fn;
    out->arg = arg;
    vs_steps_init(&out->steps);
    if (name && !(out->name = strdup(name)))
        return VS_ERR_NOMEM;
    vs_status st = steps ? vs_steps_copy(steps, &out->steps) : VS_OK;
    if (st != VS_OK)
        validator_free(out);
    return st;
}

vs_status vs_validators_copy(const vs_validators *src, vs_validators *out)
{
    if (!out)
        return VS_ERR_ARG;
    vs_validators_init(out);
    if (!src)
        return VS_ERR_ARG;
    vs_status st = reserve(out, src->count);
    for (size_t i = 0; st == VS_OK && i < src->count; i++) {
        const vs_validator *val = &src->items[i];
        st = validator_make(&out->items[i], val->name, val->fn, val->arg,
                            val->fn ? NULL : &val->steps);
        if (st == VS_OK)
            out->count = i + 1;
    }
    if (st != VS_OK)
        vs_validators_free(out);
    return st;
}

static vs_status add(vs_validators *v, const char *name, vs_validate_fn fn, void *arg,
                     const vs_steps *steps)
{
    vs_status st = reserve(v, v->count + 1);
    if (st == VS_OK)
        st = validator_make(&v->items[v->count], name, fn, arg, steps);
    if (st == VS_OK)
        v->count++;
    return st;
}

vs_status vs_validators_add_fn(vs_validators *v, const char *name, vs_validate_fn fn,
                               void *arg)
{
    if (!v || !fn)
        return VS_ERR_ARG;
    return add(v, name, fn, arg, NULL);
}

/* "validator 2 (coins)" or "validator 2": index is 0-based, the text counts from 1. */
static void label(size_t index, const char *name, char *buf, size_t size)
{
    vs_text_clipf(buf, size, VS_OK, "validator %zu%s%s%s", index + 1, name ? " (" : "",
                   name ? name : "", name ? ")" : "");
}

/* Refuses the step at index of a would-be validator, with the step's description. */
static vs_status refuse_step(const vs_validators *v, const char *name, const vs_steps *steps,
                             size_t index, const char *why_not, char *why, size_t size)
{
    char who[160];
    label(v->count, name, who, sizeof who);
    vs_buf b;
    vs_buf_init(&b);
    vs_status st = vs_step_describe(&steps->items[index], &b);
    vs_text_clipf(why, size, VS_ERR_ARG, "%s: step %zu (%s) %s", who, index + 1,
                   st == VS_OK ? b.data : "?", why_not);
    vs_buf_free(&b);
    return VS_ERR_ARG;
}

vs_status vs_validators_add_steps(vs_validators *v, const char *name, const vs_steps *steps,
                                  char *why, size_t size)
{
    vs_text_clip(why, size, "", 0);
    if (!v || !steps)
        return vs_text_clipf(why, size, VS_ERR_ARG, "no validator list or no steps");
    size_t at = 0;
    if (!vs_steps_only_requires(steps, &at))
        return refuse_step(v, name, steps, at,
                           "is not a require: a validator may only test the data, never "
                           "change it",
                           why, size);
    if (vs_steps_uses_payload(steps, &at))
        return refuse_step(v, name, steps, at,
                           "takes its operand from a payload: a validator has none", why,
                           size);
    return add(v, name, NULL, NULL, steps);
}

/* A key that is not valid UTF-8 is reported at itself, so the path can hold bad bytes: they
 * become '?', because a message must stay valid UTF-8 to be quoted in a JSON report. */
static void make_printable(char *text)
{
    size_t len = strlen(text);
    for (size_t i = vs_utf8_valid_prefix(text, len); i < len;
         i += vs_utf8_valid_prefix(text + i, len - i))
        text[i++] = '?';
}

/* The storability and size checks, with the path of the first offending node. */
static vs_status check_storable(const vs_value *data, size_t max_json_bytes, char *why,
                                size_t size)
{
    char *where = NULL;
    vs_status st = vs_value_check_storable(data, 0, &where);
    if (st != VS_OK) {
        /* where is NULL only when memory ran out for it; the status still decides. */
        if (where)
            make_printable(where);
        vs_text_clipf(why, size, st, "not storable at %s: %s",
                       !where ? "(unknown place)" : where[0] ? where : "the root",
                       vs_status_message(st));
        free(where);
        return st;
    }
    if (max_json_bytes == 0)
        return VS_OK;
    size_t len = 0;
    st = vs_json_encoded_len(data, &len);
    if (st != VS_OK)
        return vs_text_clipf(why, size, st, "cannot measure the data: %s",
                              vs_status_message(st));
    if (len > max_json_bytes)
        return vs_text_clipf(why, size, VS_ERR_TOO_LARGE,
                              "too large: the data's canonical JSON is %zu bytes and at "
                              "most %zu fit in the stored document",
                              len, max_json_bytes);
    return VS_OK;
}

static vs_status run_validator(const vs_validator *val, size_t index, const vs_value *data,
                               char *why, size_t size)
{
    char who[160];
    label(index, val->name, who, sizeof who);
    if (val->fn) {
        char reason[256] = "";
        if (val->fn(val->arg, data, reason, sizeof reason))
            return VS_OK;
        reason[sizeof reason - 1] = '\0'; /* a callback that filled it without a NUL */
        if (!reason[0])
            return vs_text_clipf(why, size, VS_ERR_INVALID, "%s refused the data (no reason "
                                  "given)", who);
        return vs_text_clipf(why, size, VS_ERR_INVALID, "%s: %s", who, reason);
    }
    vs_steps_error err;
    if (vs_steps_check(&val->steps, data, NULL, &err) == VS_OK)
        return VS_OK;
    return vs_text_clipf(why, size, VS_ERR_INVALID, "%s: %s", who, err.message);
}

vs_status vs_validate(const vs_validators *v, const vs_value *data, size_t max_json_bytes,
                      char *why, size_t size)
{
    vs_text_clip(why, size, "", 0);
    if (!data)
        return vs_text_clipf(why, size, VS_ERR_ARG, "no data to validate");
    vs_status st = check_storable(data, max_json_bytes, why, size);
    for (size_t i = 0; st == VS_OK && v && i < v->count; i++)
        st = run_validator(&v->items[i], i, data, why, size);
    return st;
}

vs_status vs_validate_room(const vs_value *doc, size_t limit, size_t *room)
{
    if (!room)
        return VS_ERR_ARG;
    *room = 0;
    const vs_value *data = vs_type_of(doc) == VS_MAP ? vs_map_get(doc, VS_DOC_DATA) : NULL;
    if (!data)
        return VS_ERR_ARG;
    if (limit == 0)
        return VS_OK;
    size_t whole = 0, part = 0;
    vs_status st = vs_json_encoded_len(doc, &whole);
    if (st == VS_OK)
        st = vs_json_encoded_len(data, &part);
    if (st != VS_OK)
        return st;
    size_t rest = whole - part;
    if (rest >= limit)
        return VS_ERR_TOO_LARGE;
    *room = limit - rest;
    return VS_OK;
}
