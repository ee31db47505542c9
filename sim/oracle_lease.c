/* oracle_lease.c: lease exclusivity judged on every commit (see oracle_lease.h).
 *
 * What it keeps true: the judgement depends only on the sequence of commits (their content,
 * time and server), never on table order; per key it keeps the highest generation seen, the
 * token that acquired it and the hash of the data last committed. */
#include "sim/oracle_lease.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/json.h"

typedef struct key_state {
    int64_t generation;
    char token[24];     /* the token that acquired `generation` ("" if none was held) */
    int acquired_by;    /* the server of that acquisition */
    uint64_t data_hash; /* the data as last committed */
    bool data_known;
} key_state;

void lease_oracle_init(lease_oracle *o)
{
    memset(o, 0, sizeof *o);
    strmap_init(&o->keys);
}

void lease_oracle_free(lease_oracle *o)
{
    for (size_t i = 0; i < o->keys.cap; i++)
        free(o->keys.slots[i].value); /* freeing in any order decides nothing */
    strmap_free(&o->keys);
    lease_oracle_init(o);
}

bool lease_oracle_commit(lease_oracle *o, int64_t time_us, int server, const char *full_key, size_t len,
                         const vs_value *value, const uint64_t *data_hash)
{
    if (!value) {
        free(strmap_remove(&o->keys, full_key, len));
        return true;
    }
    if (vs_type_of(vs_doc_meta(value)) != VS_MAP)
        return true;
    vs_lease lease;
    vs_doc_lease(value, &lease);
    int64_t generation = vs_doc_meta_int(value, "generation", lease.generation);
    bool data_known = data_hash != NULL;

    key_state *k = strmap_get(&o->keys, full_key, len);
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k || !strmap_put(&o->keys, full_key, len, k)) {
            free(k);
            oracle_violation(&o->verdict, time_us, full_key, 0,
                             "out of memory: the lease oracle cannot follow key %s",
                             oracle_key_name(full_key));
            return false;
        }
        k->generation = INT64_MIN;
    }
    const char *key = oracle_key_name(full_key);
    if (generation > k->generation) { /* an acquisition */
        k->generation = generation;
        snprintf(k->token, sizeof k->token, "%s", lease.held ? lease.token : "");
        k->acquired_by = server;
    } else if (generation < k->generation) {
        oracle_violation(&o->verdict, time_us, full_key, 0,
                  "key %s: server %d committed lease generation %" PRId64 " after generation %" PRId64
                  " was acquired by server %d (token %s); generations must never go down",
                  key, server, generation, k->generation, k->acquired_by, k->token[0] ? k->token : "none");
    } else {
        char last[24];
        vs_doc_meta_string(value, "last_token", last, sizeof last);
        bool holder_wrote = lease.held ? strcmp(lease.token, k->token) == 0 : strcmp(last, k->token) == 0;
        bool data_changed = data_known && k->data_known && *data_hash != k->data_hash;
        if (lease.held && !holder_wrote)
            oracle_violation(&o->verdict, time_us, full_key, 0,
                      "key %s: server %d committed a lease held by token %s at generation %" PRId64
                      ", which server %d acquired with token %s",
                      key, server, lease.token, generation, k->acquired_by, k->token[0] ? k->token : "none");
        else if (data_changed && !holder_wrote)
            oracle_violation(&o->verdict, time_us, full_key, 0,
                      "key %s: server %d changed the data at generation %" PRId64 " without holding the "
                      "lease (acquired by server %d, token %s; the write carries %s %s)",
                      key, server, generation, k->acquired_by, k->token[0] ? k->token : "none",
                      lease.held ? "token" : "last release by", lease.held ? lease.token : (last[0] ? last : "nobody"));
    }
    k->data_hash = data_known ? *data_hash : 0;
    k->data_known = data_known;
    return true;
}

int lease_oracle_acquirer(const lease_oracle *o, const char *full_key, size_t len)
{
    const key_state *k = strmap_get(&o->keys, full_key, len);
    return k && k->generation != INT64_MIN ? k->acquired_by : 0;
}
