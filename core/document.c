/* document.c: building and reading the stored document {"data", "meta"} and its lease. */
#include "core/document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vs_value *vs_doc_new(const vs_value *data, int64_t schema)
{
    vs_value *doc = vs_new_map();
    vs_value *meta = vs_new_map();
    if (!doc || !meta || vs_map_set(meta, VS_DOC_SCHEMA, vs_new_number((double)schema)) != VS_OK) {
        vs_free(doc);
        vs_free(meta);
        return NULL;
    }
    /* vs_map_set frees its item when it fails, so only doc is left to free. */
    if (vs_map_set(doc, VS_DOC_META, meta) != VS_OK ||
        vs_map_set(doc, VS_DOC_DATA, vs_copy(data)) != VS_OK) {
        vs_free(doc);
        return NULL;
    }
    return doc;
}

const vs_value *vs_doc_data(const vs_value *doc)
{
    return vs_type_of(doc) == VS_MAP ? vs_map_get(doc, VS_DOC_DATA) : NULL;
}

const vs_value *vs_doc_meta(const vs_value *doc)
{
    const vs_value *meta = vs_type_of(doc) == VS_MAP ? vs_map_get(doc, VS_DOC_META) : NULL;
    return vs_type_of(meta) == VS_MAP ? meta : NULL;
}

static bool as_int(const vs_value *v, int64_t *out)
{
    if (vs_type_of(v) != VS_NUMBER)
        return false;
    double n = vs_number_of(v);
    if (!(n >= -9007199254740992.0 && n <= 9007199254740992.0) || n != (double)(int64_t)n)
        return false;
    *out = (int64_t)n;
    return true;
}

int64_t vs_doc_meta_int(const vs_value *doc, const char *field, int64_t def)
{
    const vs_value *meta = vs_doc_meta(doc);
    int64_t n;
    return meta && as_int(vs_map_get(meta, field), &n) ? n : def;
}

static void copy_string(const vs_value *v, char *buf, size_t size)
{
    size_t len = 0;
    const char *s = vs_type_of(v) == VS_STRING ? vs_string_of(v, &len) : "";
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), s);
}

void vs_doc_meta_string(const vs_value *doc, const char *field, char *buf, size_t size)
{
    const vs_value *meta = vs_doc_meta(doc);
    copy_string(meta ? vs_map_get(meta, field) : NULL, buf, size);
}

void vs_doc_lease(const vs_value *doc, vs_lease *out)
{
    *out = (vs_lease){0};
    const vs_value *meta = vs_doc_meta(doc);
    const vs_value *lease = meta ? vs_map_get(meta, "lease") : NULL;
    if (vs_type_of(lease) != VS_MAP)
        return;
    const vs_value *token = vs_map_get(lease, "token");
    if (vs_type_of(token) != VS_STRING || !as_int(vs_map_get(lease, "generation"), &out->generation))
        return;
    as_int(vs_map_get(lease, "renewals"), &out->renewals);
    copy_string(token, out->token, sizeof out->token);
    copy_string(vs_map_get(lease, "owner"), out->owner, sizeof out->owner);
    out->held = true;
}

/* A copy of every entry of map except those named in skip. */
static vs_value *copy_except(const vs_value *map, const char *const *skip, size_t nskip)
{
    vs_value *out = vs_new_map();
    for (size_t i = 0; out && map && i < vs_map_len(map); i++) {
        size_t len;
        const char *key = vs_map_key_at(map, i, &len);
        bool is_int = vs_map_key_is_int(map, i);
        bool skipped = false;
        for (size_t k = 0; !is_int && k < nskip; k++)
            skipped |= strlen(skip[k]) == len && memcmp(skip[k], key, len) == 0;
        if (skipped)
            continue;
        vs_value *copy = vs_copy(vs_map_value_at(map, i));
        vs_status st = is_int ? vs_map_set_int(out, strtoll(key, NULL, 10), copy)
                              : vs_map_set_n(out, key, len, copy);
        if (st != VS_OK) {
            vs_free(out);
            return NULL;
        }
    }
    return out;
}

static vs_value *lease_value(const vs_lease *l)
{
    vs_value *m = vs_new_map();
    if (!m || vs_map_set(m, "owner", vs_new_string(l->owner)) != VS_OK ||
        vs_map_set(m, "token", vs_new_string(l->token)) != VS_OK ||
        vs_map_set(m, "generation", vs_new_number((double)l->generation)) != VS_OK ||
        vs_map_set(m, "renewals", vs_new_number((double)l->renewals)) != VS_OK) {
        vs_free(m);
        return NULL;
    }
    return m;
}

vs_value *vs_doc_apply(const vs_value *doc, const vs_doc_change *change)
{
    if (doc && vs_type_of(doc) != VS_MAP)
        return NULL;
    static const char *const doc_fields[] = {VS_DOC_DATA, VS_DOC_META};
    static const char *const meta_fields[] = {"lease", "generation"};
    vs_value *out = copy_except(doc, doc_fields, 2);
    vs_value *meta = copy_except(vs_doc_meta(doc), meta_fields, 2);
    const vs_value *data = change->data ? change->data : vs_doc_data(doc);
    bool ok = out && meta;
    if (ok && change->data)
        ok = vs_map_set(meta, VS_DOC_SCHEMA, vs_new_number((double)change->schema)) == VS_OK;
    if (ok)
        ok = vs_map_set(meta, "generation", vs_new_number((double)change->generation)) == VS_OK;
    if (ok && change->lease)
        ok = vs_map_set(meta, "lease", lease_value(change->lease)) == VS_OK;
    if (ok && change->last_token)
        ok = vs_map_set(meta, "last_token", vs_new_string(change->last_token)) == VS_OK;
    if (ok && change->inbox)
        ok = vs_map_set(meta, "inbox", vs_copy(change->inbox)) == VS_OK;
    if (ok && change->receipts)
        ok = vs_map_set(meta, "receipts", vs_copy(change->receipts)) == VS_OK;
    if (ok && change->dead)
        ok = vs_map_set(meta, "dead", vs_copy(change->dead)) == VS_OK;
    if (ok) {
        ok = vs_map_set(out, VS_DOC_META, meta) == VS_OK;
        meta = NULL;
    }
    if (ok)
        ok = vs_map_set(out, VS_DOC_DATA, data ? vs_copy(data) : vs_new_map()) == VS_OK;
    vs_free(meta);
    if (!ok) {
        vs_free(out);
        return NULL;
    }
    return out;
}

const vs_value *vs_doc_meta_array(const vs_value *doc, const char *field)
{
    const vs_value *meta = vs_doc_meta(doc);
    const vs_value *v = meta ? vs_map_get(meta, field) : NULL;
    return vs_type_of(v) == VS_ARRAY ? v : NULL;
}

vs_value *vs_doc_with_data(const vs_value *doc, const vs_value *data)
{
    if (vs_type_of(doc) != VS_MAP)
        return NULL;
    static const char *const skip[] = {VS_DOC_DATA};
    vs_value *out = copy_except(doc, skip, 1);
    if (out && vs_map_set(out, VS_DOC_DATA, vs_copy(data)) != VS_OK) {
        vs_free(out);
        return NULL;
    }
    return out;
}
