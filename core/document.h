/* document.h: the stored document of one player, and the lease inside it.
 *
 * One DataStore key per player holds a map {"data": <profile>, "meta": {...}}: the game's data
 * and the engine's bookkeeping side by side, so one UpdateAsync changes both atomically. The
 * meta map holds:
 *   schema      the schema version of data (1 when absent)
 *   generation  the highest lease generation ever granted: it only grows
 *   lease       the current lease {owner, token, generation, renewals}, absent when free
 *   last_token  the token of the last session that released it (so a retried release whose
 *               first try committed is recognised, not mistaken for a lost lease)
 *   inbox       durable operations waiting to be applied: [{id, handler, payload, attempts,
 *               error}], oldest first
 *   receipts    ids of applied operations, oldest first (bounded by the store's receipt_keep)
 *   dead        operations that failed too often: [{id, handler, payload, attempts, error}]
 * Later parts of the engine add their own fields. Every function here keeps the fields it does
 * not know, so an older engine never drops a newer one's bookkeeping. */
#ifndef VS_DOCUMENT_H
#define VS_DOCUMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/value.h"

#define VS_DOC_DATA "data"
#define VS_DOC_META "meta"
#define VS_DOC_SCHEMA "schema"

typedef struct vs_lease {
    bool held;
    char owner[64];  /* the holder's server name */
    char token[24];  /* the holder session's random token */
    int64_t generation;
    int64_t renewals; /* grows with every write of the holder: the sign it is alive */
} vs_lease;

/* A new document holding a copy of data, with schema version `schema`. NULL on no memory. */
vs_value *vs_doc_new(const vs_value *data, int64_t schema);
/* The data part of a stored document, or NULL when the document has none. */
const vs_value *vs_doc_data(const vs_value *doc);
/* The meta map, or NULL. */
const vs_value *vs_doc_meta(const vs_value *doc);
/* An integer field of meta, or def when absent or not an integer number. */
int64_t vs_doc_meta_int(const vs_value *doc, const char *field, int64_t def);
/* A string field of meta copied into buf ("" when absent). */
void vs_doc_meta_string(const vs_value *doc, const char *field, char *buf, size_t size);
/* The lease in the document (held false when there is none or it is malformed). */
void vs_doc_lease(const vs_value *doc, vs_lease *out);

/* What a write changes in a document. */
typedef struct vs_doc_change {
    const vs_value *data;   /* new data, or NULL to keep the document's */
    int64_t schema;         /* written with data; ignored when data is NULL */
    const vs_lease *lease;  /* the lease to store; NULL: none (free) */
    int64_t generation;     /* meta.generation to store */
    const char *last_token; /* meta.last_token to store, or NULL to keep it */
    const vs_value *inbox;    /* new meta.inbox, or NULL to keep it */
    const vs_value *receipts; /* new meta.receipts, or NULL to keep it */
    const vs_value *dead;     /* new meta.dead, or NULL to keep it */
} vs_doc_change;

/* An array field of meta ("inbox", "receipts", "dead"), or NULL. */
const vs_value *vs_doc_meta_array(const vs_value *doc, const char *field);

/* A copy of doc (NULL: a fresh document) with the change applied and every other field kept.
 * NULL on no memory or when doc is not a map. */
vs_value *vs_doc_apply(const vs_value *doc, const vs_doc_change *change);
/* A copy of doc with its data replaced by a copy of data (every other field kept). */
vs_value *vs_doc_with_data(const vs_value *doc, const vs_value *data);

#endif
