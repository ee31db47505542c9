/* document.h: the stored document of one player.
 *
 * One DataStore key per player holds a map {"data": <profile>, "meta": {...}}: the game's data
 * and the engine's own bookkeeping side by side, so that one UpdateAsync can change both
 * atomically. Later parts of the engine add their fields to "meta" (lease, inbox, receipts);
 * every function here preserves the fields it does not know, so an older engine never drops a
 * newer one's bookkeeping. */
#ifndef VS_DOCUMENT_H
#define VS_DOCUMENT_H

#include <stdint.h>

#include "core/value.h"

#define VS_DOC_DATA "data"
#define VS_DOC_META "meta"
#define VS_DOC_SCHEMA "schema"

/* A new document holding a copy of data, with schema version `schema`. NULL on no memory. */
vs_value *vs_doc_new(const vs_value *data, int64_t schema);
/* The data part of a stored document, or NULL when the document has none. */
const vs_value *vs_doc_data(const vs_value *doc);
/* A copy of doc with its data replaced by a copy of data (every other field kept). NULL on no
 * memory or when doc is not a map. */
vs_value *vs_doc_with_data(const vs_value *doc, const vs_value *data);

#endif
