/* document.c: building and reading the stored document {"data", "meta"}. */
#include "core/document.h"

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
    if (vs_type_of(doc) != VS_MAP)
        return NULL;
    return vs_map_get(doc, VS_DOC_DATA);
}

vs_value *vs_doc_with_data(const vs_value *doc, const vs_value *data)
{
    if (vs_type_of(doc) != VS_MAP)
        return NULL;
    vs_value *out = vs_new_map();
    if (!out)
        return NULL;
    /* Copy every entry but the data, rather than copying the whole document and then
     * throwing the old data away: the data is usually the largest part. */
    for (size_t i = 0; i < vs_map_len(doc); i++) {
        size_t len;
        const char *key = vs_map_key_at(doc, i, &len);
        if (!vs_map_key_is_int(doc, i) && len == strlen(VS_DOC_DATA) &&
            memcmp(key, VS_DOC_DATA, len) == 0)
            continue;
        vs_value *copy = vs_copy(vs_map_value_at(doc, i));
        vs_status st = vs_map_key_is_int(doc, i)
                           ? vs_map_set_int(out, strtoll(key, NULL, 10), copy)
                           : vs_map_set_n(out, key, len, copy);
        if (st != VS_OK) {
            vs_free(out);
            return NULL;
        }
    }
    if (vs_map_set(out, VS_DOC_DATA, vs_copy(data)) != VS_OK) {
        vs_free(out);
        return NULL;
    }
    return out;
}
