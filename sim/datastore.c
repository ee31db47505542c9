/* datastore.c: requests with latency, an apply point and an answer; keys with key info. */
#include "sim/datastore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

typedef enum request_kind { REQ_GET, REQ_SET, REQ_UPDATE } request_kind;

typedef struct request {
    datastore *ds;
    ds_client *client;
    request_kind kind;
    char *full_key; /* "store\x1fkey" */
    size_t full_key_len;
    const char *key; /* points into full_key, after the separator */
    vs_value *set_value;
    vs_ds_transform_fn transform;
    void *transform_arg;
    vs_ds_done_fn done;
    void *arg;
    int64_t respond_at_us;
    /* the answer, filled at the apply point */
    int code;
    char message[160];
    bool cancelled;
    vs_value *result_value;
    vs_key_info result_info;
    vs_value *result_user_ids;
    vs_value *result_metadata;
} request;

void datastore_config_default(datastore_config *cfg)
{
    *cfg = (datastore_config){
        .latency_min_us = 20000,
        .latency_max_us = 120000,
        .max_value_bytes = 4194304,
        .max_name_bytes = 50,
    };
}

bool datastore_init(datastore *ds, world *w, const datastore_config *cfg)
{
    *ds = (datastore){.w = w, .cfg = *cfg};
    world_stream(w, "datastore", &ds->rng);
    strmap_init(&ds->entries);
    return true;
}

static void entry_free(ds_entry *e)
{
    if (!e)
        return;
    vs_free(e->value);
    vs_free(e->user_ids);
    vs_free(e->metadata);
    free(e);
}

void datastore_free(datastore *ds)
{
    for (size_t i = 0; i < ds->entries.cap; i++)
        if (ds->entries.slots[i].key)
            entry_free(ds->entries.slots[i].value);
    strmap_free(&ds->entries);
}

static char *join_key(const char *store, const char *key, size_t *len)
{
    size_t a = strlen(store), b = strlen(key);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, store, a);
    p[a] = '\x1f';
    memcpy(p + a + 1, key, b + 1);
    *len = a + 1 + b;
    return p;
}

const ds_entry *datastore_peek(const datastore *ds, const char *store, const char *key)
{
    size_t len;
    char *full = join_key(store, key, &len);
    if (!full)
        return NULL;
    const ds_entry *e = strmap_get(&ds->entries, full, len);
    free(full);
    return e;
}

static void request_free(request *r)
{
    free(r->full_key);
    vs_free(r->set_value);
    vs_free(r->result_value);
    vs_free(r->result_user_ids);
    vs_free(r->result_metadata);
    free(r);
}

static void fail(request *r, int code, const char *message)
{
    r->code = code;
    snprintf(r->message, sizeof r->message, "%s", message);
    r->ds->stats.errors++;
}

/* Copies what the caller may see of an entry into the request's answer. */
static bool answer_with(request *r, const ds_entry *e)
{
    if (!e) {
        r->result_info = (vs_key_info){0};
        return true;
    }
    r->result_value = vs_copy(e->value);
    r->result_user_ids = e->user_ids ? vs_copy(e->user_ids) : NULL;
    r->result_metadata = e->metadata ? vs_copy(e->metadata) : NULL;
    r->result_info = e->info;
    r->result_info.user_ids = r->result_user_ids;
    r->result_info.metadata = r->result_metadata;
    return r->result_value != NULL;
}

static void record_write(datastore *ds, const request *r, const ds_entry *e)
{
    uint8_t tail[17];
    tail[0] = 'W';
    for (int i = 0; i < 8; i++) {
        tail[1 + i] = (uint8_t)((uint64_t)e->info.version >> (8 * i));
        tail[9 + i] = (uint8_t)(e->hash >> (8 * i));
    }
    world_record(ds->w, r->full_key, r->full_key_len + 1);
    world_record(ds->w, tail, sizeof tail);
}

/* Commits value (taking ownership) under r's key. Returns false (with r failed) when the
 * value is not storable or too large; the stored entry is then unchanged. */
static bool commit(request *r, vs_value *value, vs_value *user_ids, vs_value *metadata)
{
    datastore *ds = r->ds;
    char *where = NULL;
    vs_status st = vs_value_check_storable(value, ds->cfg.max_value_bytes, &where);
    vs_buf json;
    vs_buf_init(&json);
    if (st == VS_OK)
        st = vs_json_encode(value, &json);
    if (st != VS_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s%s%s", vs_status_message(st), where && *where ? " at " : "",
                 where ? where : "");
        fail(r, st == VS_ERR_TOO_LARGE ? VS_DS_ValueTooLarge : VS_DS_CantStoreValue, msg);
        free(where);
        vs_buf_free(&json);
        vs_free(value);
        vs_free(user_ids);
        vs_free(metadata);
        return false;
    }
    free(where);
    ds_entry *e = strmap_get(&ds->entries, r->full_key, r->full_key_len);
    if (!e) {
        e = calloc(1, sizeof *e);
        WORLD_ASSERT(ds->w, e && strmap_put(&ds->entries, r->full_key, r->full_key_len, e));
        e->info.created_us = ds->w->now_us;
    }
    vs_free(e->value);
    vs_free(e->user_ids);
    vs_free(e->metadata);
    e->value = value;
    e->user_ids = user_ids;
    e->metadata = metadata;
    e->json_len = json.len;
    e->hash = 0;
    vs_value_hash(value, &e->hash);
    vs_buf_free(&json);
    e->info.version++;
    e->info.updated_us = ds->w->now_us;
    e->info.user_ids = e->user_ids;
    e->info.metadata = e->metadata;
    ds->stats.writes++;
    record_write(ds, r, e);
    return answer_with(r, e);
}

static void respond(void *arg)
{
    request *r = arg;
    if (r->client->alive && r->done) {
        vs_ds_result res = {
            .code = r->code,
            .message = r->code ? r->message : "ok",
            .cancelled = r->cancelled,
            .value = r->result_value,
            .info = &r->result_info,
        };
        r->done(r->arg, &res);
    }
    request_free(r);
}

static void apply(void *arg)
{
    request *r = arg;
    datastore *ds = r->ds;
    ds_entry *e = strmap_get(&ds->entries, r->full_key, r->full_key_len);
    switch (r->kind) {
    case REQ_GET:
        answer_with(r, e);
        break;
    case REQ_SET: {
        vs_value *v = r->set_value;
        r->set_value = NULL;
        commit(r, v, NULL, NULL);
        break;
    }
    case REQ_UPDATE: {
        if (!r->client->alive)
            break; /* the transform runs on the server, which is gone */
        vs_ds_write out = {0};
        ds->stats.transforms++;
        bool write = r->transform(r->transform_arg, e ? e->value : NULL,
                                  e ? &e->info : &(vs_key_info){0}, &out);
        if (!write) {
            vs_free(out.value);
            vs_free(out.user_ids);
            vs_free(out.metadata);
            r->cancelled = true;
            break;
        }
        if (!out.value) {
            vs_free(out.user_ids);
            vs_free(out.metadata);
            fail(r, VS_DS_CantStoreValue, "the transform returned no value");
            break;
        }
        commit(r, out.value, out.user_ids, out.metadata);
        break;
    }
    }
    world_at(ds->w, r->respond_at_us, "ds.respond", respond, r);
}

static bool check_name(request *r, const char *store, const char *key)
{
    size_t limit = r->ds->cfg.max_name_bytes;
    if (key[0] == '\0') {
        fail(r, VS_DS_KeyNameEmpty, "the key is empty");
        return false;
    }
    if (strlen(key) > limit || strlen(store) > limit) {
        fail(r, VS_DS_KeyNameLimit, "the key or store name is too long");
        return false;
    }
    return true;
}

static void send(datastore *ds, ds_client *client, request_kind kind, const char *store,
                 const char *key, vs_value *value, vs_ds_transform_fn transform,
                 void *transform_arg, vs_ds_done_fn done, void *arg)
{
    request *r = calloc(1, sizeof *r);
    WORLD_ASSERT(ds->w, r != NULL);
    *r = (request){.ds = ds, .client = client, .kind = kind, .set_value = value,
                   .transform = transform, .transform_arg = transform_arg, .done = done,
                   .arg = arg};
    r->full_key = join_key(store, key, &r->full_key_len);
    WORLD_ASSERT(ds->w, r->full_key != NULL);
    r->key = r->full_key + strlen(store) + 1;
    int64_t latency = rng_range(&ds->rng, ds->cfg.latency_min_us, ds->cfg.latency_max_us);
    int64_t apply_after = rng_range(&ds->rng, 0, latency);
    r->respond_at_us = ds->w->now_us + latency;
    if (!check_name(r, store, key)) {
        world_at(ds->w, r->respond_at_us, "ds.respond", respond, r);
        return;
    }
    world_after(ds->w, apply_after, "ds.apply", apply, r);
}

void datastore_get(datastore *ds, ds_client *client, const char *store, const char *key,
                   vs_ds_done_fn done, void *arg)
{
    ds->stats.gets++;
    send(ds, client, REQ_GET, store, key, NULL, NULL, NULL, done, arg);
}

void datastore_set(datastore *ds, ds_client *client, const char *store, const char *key,
                   vs_value *value, vs_ds_done_fn done, void *arg)
{
    ds->stats.sets++;
    send(ds, client, REQ_SET, store, key, value, NULL, NULL, done, arg);
}

void datastore_update(datastore *ds, ds_client *client, const char *store, const char *key,
                      vs_ds_transform_fn transform, void *transform_arg, vs_ds_done_fn done,
                      void *arg)
{
    ds->stats.updates++;
    send(ds, client, REQ_UPDATE, store, key, NULL, transform, transform_arg, done, arg);
}
