/* oracle_delivery.c: exactly-once delivery judged on commits and at the end (see
 * oracle_delivery.h).
 *
 * What it keeps true: the judgement depends only on the sequence of commits and acceptances;
 * accepted operations are checked in the order they were accepted, and table order reaches no
 * decision. */
#include "sim/oracle_delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/grow.h"

typedef struct key_receipts {
    strmap ever; /* every id a commit has put among the receipts -> (void *)1 */
    vs_value *last; /* the receipts of the last commit (an array), or NULL */
} key_receipts;

static void *const PRESENT = (void *)&PRESENT;

void delivery_oracle_init(delivery_oracle *o)
{
    memset(o, 0, sizeof *o);
    strmap_init(&o->keys);
}

static void key_receipts_free(key_receipts *k)
{
    if (!k)
        return;
    strmap_free(&k->ever);
    vs_free(k->last);
    free(k);
}

void delivery_oracle_free(delivery_oracle *o)
{
    for (size_t i = 0; i < o->keys.cap; i++)
        key_receipts_free(o->keys.slots[i].value); /* freeing in any order decides nothing */
    strmap_free(&o->keys);
    for (size_t i = 0; i < o->accepted_count; i++) {
        free(o->accepted[i].full_key);
        free(o->accepted[i].op_id);
    }
    free(o->accepted);
    delivery_oracle_init(o);
}

/* The id of an inbox or dead-letter item ({id, ...}) or of a receipt (a string). */
static const char *id_of(const vs_value *item)
{
    if (vs_type_of(item) == VS_STRING)
        return vs_string_of(item, NULL);
    const vs_value *id = vs_type_of(item) == VS_MAP ? vs_map_get(item, "id") : NULL;
    return vs_type_of(id) == VS_STRING ? vs_string_of(id, NULL) : NULL;
}

static bool array_has_id(const vs_value *array, const char *id)
{
    for (size_t i = 0; i < vs_array_len(array); i++) {
        const char *x = id_of(vs_array_at(array, i));
        if (x && strcmp(x, id) == 0)
            return true;
    }
    return false;
}

void delivery_oracle_commit(delivery_oracle *o, int64_t time_us, int server, const char *full_key, size_t len,
                            const vs_value *value)
{
    if (!value) {
        key_receipts_free(strmap_remove(&o->keys, full_key, len));
        return;
    }
    if (vs_type_of(vs_doc_meta(value)) != VS_MAP)
        return;
    key_receipts *k = strmap_get(&o->keys, full_key, len);
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k || !strmap_put(&o->keys, full_key, len, k)) {
            free(k);
            oracle_violation(&o->verdict, time_us, full_key, 0,
                             "out of memory: the delivery oracle cannot follow key %s",
                             oracle_key_name(full_key));
            return;
        }
        strmap_init(&k->ever);
    }
    const char *key = oracle_key_name(full_key);
    const vs_value *receipts = vs_doc_meta_array(value, "receipts");
    for (size_t i = 0; i < vs_array_len(receipts); i++) {
        const char *id = id_of(vs_array_at(receipts, i));
        if (!id || array_has_id(k->last, id))
            continue;
        if (strmap_get(&k->ever, id, strlen(id)))
            oracle_violation(&o->verdict, time_us, full_key, 0,
                             "key %s: server %d committed operation %s's receipt again: it was "
                             "applied twice", key, server, id);
        else if (!strmap_put(&k->ever, id, strlen(id), PRESENT))
            oracle_violation(&o->verdict, time_us, full_key, 0,
                             "out of memory: the delivery oracle cannot follow key %s", key);
    }
    const vs_value *inbox = vs_doc_meta_array(value, "inbox");
    for (size_t i = 0; i < vs_array_len(inbox); i++) {
        const char *id = id_of(vs_array_at(inbox, i));
        if (id && strmap_get(&k->ever, id, strlen(id)))
            oracle_violation(&o->verdict, time_us, full_key, 0,
                             "key %s: server %d committed operation %s into the inbox although "
                             "its receipt was written before: a duplicate was let in", key, server, id);
    }
    vs_free(k->last);
    k->last = receipts ? vs_copy(receipts) : NULL;
}

void delivery_oracle_accepted(delivery_oracle *o, int64_t time_us, const char *full_key, const char *op_id)
{
    accepted_op *a = vs_grow(o->accepted, &o->accepted_cap, sizeof *a, o->accepted_count + 1);
    char *k = strdup(full_key), *id = strdup(op_id);
    if (!a || !k || !id) {
        free(k);
        free(id);
        oracle_violation(&o->verdict, time_us, full_key, 0,
                         "out of memory: the delivery oracle cannot follow operation %s", op_id);
        return;
    }
    o->accepted = a;
    o->accepted[o->accepted_count++] = (accepted_op){.full_key = k, .op_id = id, .time_us = time_us};
}

void delivery_oracle_finish(delivery_oracle *o, int64_t time_us,
                            const vs_value *(*stored)(void *arg, const char *full_key), void *arg)
{
    for (size_t i = 0; i < o->accepted_count; i++) {
        const accepted_op *a = &o->accepted[i];
        const vs_value *doc = stored(arg, a->full_key);
        key_receipts *k = strmap_get(&o->keys, a->full_key, strlen(a->full_key));
        bool receipted = k && strmap_get(&k->ever, a->op_id, strlen(a->op_id));
        if (receipted || array_has_id(vs_doc_meta_array(doc, "inbox"), a->op_id) ||
            array_has_id(vs_doc_meta_array(doc, "receipts"), a->op_id) ||
            array_has_id(vs_doc_meta_array(doc, "dead"), a->op_id))
            continue;
        oracle_violation(&o->verdict, time_us, a->full_key, 0,
                         "key %s: operation %s was accepted at %.6fs but is in none of the "
                         "inbox, receipts and dead letters at the end: it was lost",
                         oracle_key_name(a->full_key), a->op_id, (double)a->time_us / 1e6);
    }
}
