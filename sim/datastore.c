/* datastore.c: the request lifecycle of the simulated DataStore (see datastore.h).
 *
 * What it keeps true: a request is answered exactly once unless its server stops first; a
 * request that takes effect does so at one instant (its apply point); an update commits only
 * on the version its transform saw; a failed or cancelled request changes nothing, except an
 * ambiguous one, which the history records as unknown; every draw comes from the store's own
 * stream, in the order events run, so the same seed gives the same story. */
#include "sim/datastore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define HOUR_US (3600LL * 1000000)

typedef enum ds_op {
    DS_GET,
    DS_SET,
    DS_UPDATE,
    DS_INCREMENT,
    DS_REMOVE,
    DS_LIST_VERSIONS,
    DS_GET_VERSION,
    DS_GET_VERSION_AT,
} ds_op;

static const char *const op_what[] = {
    [DS_GET] = "ds.get",
    [DS_SET] = "ds.set",
    [DS_UPDATE] = "ds.update",
    [DS_INCREMENT] = "ds.increment",
    [DS_REMOVE] = "ds.remove",
    [DS_LIST_VERSIONS] = "ds.list_versions",
    [DS_GET_VERSION] = "ds.get_version",
    [DS_GET_VERSION_AT] = "ds.get_version",
};

static const fault_op op_fault[] = {
    [DS_GET] = FAULT_OP_GET,
    [DS_SET] = FAULT_OP_SET,
    [DS_UPDATE] = FAULT_OP_UPDATE,
    [DS_INCREMENT] = FAULT_OP_INCREMENT,
    [DS_REMOVE] = FAULT_OP_REMOVE,
    [DS_LIST_VERSIONS] = FAULT_OP_LIST,
    [DS_GET_VERSION] = FAULT_OP_LIST,
    [DS_GET_VERSION_AT] = FAULT_OP_LIST,
};

static const budget_class op_budget[] = {
    [DS_GET] = BUDGET_GET,
    [DS_SET] = BUDGET_SET,
    [DS_UPDATE] = BUDGET_UPDATE,
    [DS_INCREMENT] = BUDGET_INCREMENT,
    [DS_REMOVE] = BUDGET_REMOVE,
    [DS_LIST_VERSIONS] = BUDGET_LIST,
    [DS_GET_VERSION] = BUDGET_LIST,
    [DS_GET_VERSION_AT] = BUDGET_LIST,
};

static bool is_write(ds_op op)
{
    return op == DS_SET || op == DS_UPDATE || op == DS_INCREMENT || op == DS_REMOVE;
}

typedef struct cache_item {
    vs_value *value; /* NULL: the key was missing */
    vs_key_info info;
    vs_value *user_ids;
    vs_value *metadata;
    int64_t expires_us;
} cache_item;

typedef struct request {
    datastore *ds;
    endpoint *ep;
    ds_op op;
    char *full_key; /* "store\x1fkey" */
    size_t full_key_len;
    const char *key; /* inside full_key, after the separator */
    bool use_cache;
    vs_value *set_value;
    int64_t delta;
    int64_t version_arg;
    int64_t time_arg;
    bool descending;
    int64_t min_us, max_us;
    size_t limit;
    vs_ds_transform_fn transform;
    void *transform_arg;
    vs_ds_done_fn done;
    vs_ds_versions_fn versions_done;
    void *arg;
    uint64_t hist_request;
    int64_t sent_us;
    int64_t respond_at_us;
    int64_t read_version; /* update: the version the transform saw */
    bool applied;         /* it took effect at the store */
    bool ambiguous;       /* it took effect but the caller will hear an error */
    bool lost;            /* the answer will not arrive: the caller times out */
    bool from_cache;      /* answered from the server's cache (which it must not refresh) */
    bool timed_out;       /* the caller heard 504 before the request was done with */
    int64_t dispatched_us; /* when it left the server (after any queue); the timeout runs from here */
    /* the answer */
    int code;
    char message[200];
    bool cancelled;
    vs_value *result_value;
    vs_key_info result_info;
    vs_value *result_user_ids;
    vs_value *result_metadata;
    vs_ds_version *result_versions;
    size_t result_version_count;
} request;

/* ------------------------------------------------------------------------------------------
 * Entries, caches and small helpers
 * ---------------------------------------------------------------------------------------- */

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

static void entry_free(ds_entry *e)
{
    vs_free(e->value);
    vs_free(e->user_ids);
    vs_free(e->metadata);
    for (size_t i = 0; i < e->version_count; i++)
        vs_free(e->versions[i].value);
    free(e->versions);
    free(e->last_writes);
    free(e);
}

static void cache_item_free(cache_item *c)
{
    vs_free(c->value);
    vs_free(c->user_ids);
    vs_free(c->metadata);
    free(c);
}

static void cache_clear(strmap *cache)
{
    for (size_t i = 0; i < cache->cap; i++)
        if (cache->slots[i].key)
            cache_item_free(cache->slots[i].value);
    strmap_free(cache);
    strmap_init(cache);
}

int64_t datastore_clock(const datastore *ds)
{
    return ds->w->now_us + ds->store_clock_skew_us;
}

static void budget_edge(void *arg);

bool datastore_init(datastore *ds, world *w, const platform_limits *lim, const fault_plan *faults,
                    history *hist)
{
    *ds = (datastore){.w = w, .lim = lim, .faults = faults, .hist = hist};
    world_stream(w, "datastore", &ds->rng);
    strmap_init(&ds->entries);
    for (int i = 0; i <= DS_MAX_SERVERS; i++)
        strmap_init(&ds->servers[i].cache);
    budget_experience_init(&ds->experience, lim, 0, w->now_us);
    /* Budgets refill at another rate from each edge of a budget cut on: settle there. */
    for (size_t i = 0; faults && i < faults->count; i++) {
        const fault *f = &faults->items[i];
        if (f->kind != FAULT_BUDGET_CUT)
            continue;
        world_at(w, f->start_us, "ds.budget_edge", budget_edge, ds);
        if (f->end_us != FAULT_FOREVER)
            world_at(w, f->end_us, "ds.budget_edge", budget_edge, ds);
    }
    return true;
}

static void request_free(request *r);

static void drop_queued(void *req, budget_class cls, void *ctx)
{
    (void)cls, (void)ctx;
    request_free(req);
}

static void drop_server_queues(datastore *ds, int id)
{
    ds_server *s = &ds->servers[id];
    for (int q = 0; q < BUDGET_QUEUE_COUNT; q++) {
        void *old = NULL;
        if (s->wake[q] && world_cancel(ds->w, s->wake[q], &old))
            free(old);
        s->wake[q] = 0;
    }
    if (s->started)
        server_budget_drain(&s->budget, drop_queued, NULL);
}

void datastore_free(datastore *ds)
{
    for (int i = 0; i <= DS_MAX_SERVERS; i++) {
        drop_server_queues(ds, i);
        if (ds->servers[i].started)
            server_budget_free(&ds->servers[i].budget, drop_queued, NULL);
        cache_clear(&ds->servers[i].cache);
        strmap_free(&ds->servers[i].cache);
    }
    for (size_t i = 0; i < ds->entries.cap; i++)
        if (ds->entries.slots[i].key)
            entry_free(ds->entries.slots[i].value);
    strmap_free(&ds->entries);
}

void datastore_server_start(datastore *ds, endpoint *ep)
{
    WORLD_ASSERT(ds->w, ep->id >= 1 && ep->id <= DS_MAX_SERVERS);
    datastore_server_stop(ds, ep);
    ds_server *s = &ds->servers[ep->id];
    WORLD_ASSERT(ds->w, server_budget_init(&s->budget, ds->lim, ep->players, ds->w->now_us));
    s->started = true;
    ds->endpoints[ep->id] = ep;
}

void datastore_server_stop(datastore *ds, endpoint *ep)
{
    ds_server *s = &ds->servers[ep->id];
    drop_server_queues(ds, ep->id);
    if (s->started)
        server_budget_free(&s->budget, drop_queued, NULL);
    s->started = false;
    cache_clear(&s->cache);
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

static ds_entry *entry_of(datastore *ds, const request *r)
{
    return strmap_get(&ds->entries, r->full_key, r->full_key_len);
}

static void set_error(request *r, int code, const char *message)
{
    r->code = code;
    snprintf(r->message, sizeof r->message, "%s", message ? message : vs_ds_error_message(code));
}

/* Copies what the caller may see of a value and its key info into the request's answer. */
static void answer_with(request *r, const vs_value *value, const vs_key_info *info)
{
    vs_free(r->result_value);
    vs_free(r->result_user_ids);
    vs_free(r->result_metadata);
    r->result_value = value ? vs_copy(value) : NULL;
    r->result_info = info ? *info : (vs_key_info){0};
    r->result_user_ids = info && info->user_ids ? vs_copy(info->user_ids) : NULL;
    r->result_metadata = info && info->metadata ? vs_copy(info->metadata) : NULL;
    r->result_info.user_ids = r->result_user_ids;
    r->result_info.metadata = r->result_metadata;
}

static void cache_put(datastore *ds, int server, const request *r, const vs_value *value,
                      const vs_key_info *info)
{
    strmap *cache = &ds->servers[server].cache;
    cache_item *old = strmap_get(cache, r->full_key, r->full_key_len);
    cache_item *c = calloc(1, sizeof *c);
    WORLD_ASSERT(ds->w, c != NULL);
    c->value = value ? vs_copy(value) : NULL;
    c->info = info ? *info : (vs_key_info){0};
    c->user_ids = info && info->user_ids ? vs_copy(info->user_ids) : NULL;
    c->metadata = info && info->metadata ? vs_copy(info->metadata) : NULL;
    c->info.user_ids = c->user_ids;
    c->info.metadata = c->metadata;
    c->expires_us = ds->w->now_us + ds->lim->cache_ttl_us;
    WORLD_ASSERT(ds->w, strmap_put(cache, r->full_key, r->full_key_len, c));
    if (old)
        cache_item_free(old);
}

/* ------------------------------------------------------------------------------------------
 * Answering
 * ---------------------------------------------------------------------------------------- */

static void request_free(request *r)
{
    free(r->full_key);
    vs_free(r->set_value);
    vs_free(r->result_value);
    vs_free(r->result_user_ids);
    vs_free(r->result_metadata);
    free(r->result_versions);
    free(r);
}

static hist_outcome outcome_of(const request *r)
{
    if (r->code == 0)
        return r->cancelled ? HIST_CANCELLED : HIST_OK;
    /* An error after the request took effect, an answer that never came, or a timeout (the
     * request may still take effect after it) leaves the caller not knowing what happened. */
    if (is_write(r->op) && (r->applied || r->ambiguous || r->lost || r->timed_out))
        return HIST_UNKNOWN;
    return HIST_FAIL;
}

static void respond(void *arg)
{
    request *r = arg;
    datastore *ds = r->ds;
    history_complete(ds->hist, r->hist_request, outcome_of(r), r->code, r->code ? r->message : NULL);
    if (r->code == 0 && r->op == DS_GET && r->use_cache && !r->from_cache)
        cache_put(ds, r->ep->id, r, r->result_value, &r->result_info);
    if (r->versions_done) {
        vs_ds_versions res = {.code = r->code,
                              .message = r->code ? r->message : "ok",
                              .items = r->result_versions,
                              .count = r->result_version_count};
        r->versions_done(r->arg, &res);
    } else if (r->done) {
        vs_ds_result res = {.code = r->code,
                            .message = r->code ? r->message : "ok",
                            .cancelled = r->cancelled,
                            .value = r->result_value,
                            .info = &r->result_info};
        r->done(r->arg, &res);
    }
    request_free(r);
}

static void drop_response(void *arg)
{
    /* The server stopped: nobody hears the answer. The invocation stays without completion,
     * which is what the oracles read as "the caller never learned the outcome". */
    request_free(arg);
}

/* Schedules the answer: at the end of the flight, or as a timeout if that comes first or the
 * answer is lost. */
static void schedule_answer(request *r)
{
    datastore *ds = r->ds;
    /* Time spent waiting in a queue on the server does not count: the platform's timeout is
     * on the request in flight. */
    int64_t deadline = (r->dispatched_us ? r->dispatched_us : r->sent_us) + ds->lim->ds_timeout_us;
    if (r->lost || r->respond_at_us > deadline) {
        if (r->code == 0 || r->lost) {
            set_error(r, VS_DS_RequestTimedOut, "the request timed out (its answer was lost)");
            answer_with(r, NULL, NULL);
            r->timed_out = true;
        }
        r->respond_at_us = deadline > ds->w->now_us ? deadline : ds->w->now_us;
    }
    endpoint_deliver_at(r->ep, r->respond_at_us, "ds.respond", respond, drop_response, r);
}

/* A request that fails before reaching the store is answered after a short drawn delay. */
static void answer_early(request *r, int code, const char *message)
{
    datastore *ds = r->ds;
    set_error(r, code, message);
    ds->stats.errors++;
    r->respond_at_us = ds->w->now_us + rng_range(&ds->rng, ds->lim->ds_latency_min_us,
                                                 ds->lim->ds_latency_max_us);
    schedule_answer(r);
}

/* ------------------------------------------------------------------------------------------
 * Committing
 * ---------------------------------------------------------------------------------------- */

static void keep_version(datastore *ds, ds_entry *e)
{
    int64_t now = datastore_clock(ds);
    /* Versions older than version_keep are gone. */
    size_t drop = 0;
    while (drop < e->version_count && e->versions[drop].created_us < now - ds->lim->version_keep_us)
        vs_free(e->versions[drop++].value);
    if (drop) {
        memmove(e->versions, e->versions + drop, (e->version_count - drop) * sizeof *e->versions);
        e->version_count -= drop;
    }
    int64_t hour = now >= 0 ? now / HOUR_US : -((-now + HOUR_US - 1) / HOUR_US);
    if (e->kept_hour == hour && e->version_count > 0)
        return; /* only the first write of each UTC hour is kept */
    if (e->version_count == e->version_cap) {
        size_t cap = e->version_cap ? e->version_cap * 2 : 4;
        ds_version *p = realloc(e->versions, cap * sizeof *p);
        WORLD_ASSERT(ds->w, p != NULL);
        e->versions = p;
        e->version_cap = cap;
    }
    e->versions[e->version_count++] = (ds_version){
        .version = e->info.version,
        .created_us = now,
        .deleted = e->value == NULL,
        .value = e->value ? vs_copy(e->value) : NULL,
    };
    e->kept_hour = hour;
}

static void note_last_write(datastore *ds, ds_entry *e, int server)
{
    for (size_t i = 0; i < e->last_write_count; i++)
        if (e->last_writes[i].server == server) {
            e->last_writes[i].at_us = ds->w->now_us;
            return;
        }
    ds_last_write *p = realloc(e->last_writes, (e->last_write_count + 1) * sizeof *p);
    WORLD_ASSERT(ds->w, p != NULL);
    e->last_writes = p;
    e->last_writes[e->last_write_count++] = (ds_last_write){server, ds->w->now_us};
}

static ds_entry *entry_for_write(datastore *ds, const request *r)
{
    ds_entry *e = entry_of(ds, r);
    if (e)
        return e;
    e = calloc(1, sizeof *e);
    WORLD_ASSERT(ds->w, e && strmap_put(&ds->entries, r->full_key, r->full_key_len, e));
    e->kept_hour = -1;
    e->info.created_us = datastore_clock(ds);
    /* Each key starts with one minute's worth of throughput. */
    budget_bucket_init(&e->read_bytes, ds->lim->key_read_bytes_per_minute, ds->w->now_us);
    budget_bucket_init(&e->write_bytes, ds->lim->key_write_bytes_per_minute, ds->w->now_us);
    return e;
}

/* Checks what the store would refuse in value, user ids and metadata. 0 when storable. */
static int check_write(datastore *ds, request *r, const vs_value *value, const vs_value *user_ids,
                       const vs_value *metadata)
{
    char *where = NULL;
    vs_status st = vs_value_check_storable(value, (size_t)ds->lim->value_max_bytes, &where);
    if (st != VS_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s%s%s", vs_status_message(st), where && *where ? " at " : "",
                 where ? where : "");
        free(where);
        set_error(r, st == VS_ERR_TOO_LARGE ? VS_DS_ValueTooLarge : VS_DS_CantStoreValue, msg);
        return r->code;
    }
    free(where);
    if (user_ids) {
        bool ok = vs_type_of(user_ids) == VS_ARRAY;
        for (size_t i = 0; ok && i < vs_array_len(user_ids); i++)
            ok = vs_type_of(vs_array_at(user_ids, i)) == VS_NUMBER;
        if (!ok) {
            set_error(r, VS_DS_UserIdsInvalid, "user ids must be an array of numbers");
            return r->code;
        }
    }
    if (metadata) {
        size_t len = 0;
        if (vs_type_of(metadata) != VS_MAP || vs_json_encoded_len(metadata, &len) != VS_OK) {
            set_error(r, VS_DS_MetadataInvalid, "metadata must be a storable map");
            return r->code;
        }
        if ((int64_t)len > ds->lim->metadata_max_bytes) {
            set_error(r, VS_DS_AttributeTooLarge, NULL);
            return r->code;
        }
    }
    return 0;
}

/* Bytes a request counts against a key's throughput: at least one unit, rounded up. */
static int64_t throughput_bytes(const datastore *ds, size_t len)
{
    int64_t unit = ds->lim->key_throughput_unit_bytes > 0 ? ds->lim->key_throughput_unit_bytes : 1;
    int64_t n = (int64_t)len;
    if (n < 1)
        n = 1;
    return (n + unit - 1) / unit * unit;
}

/* The per-key throughput limit (current profile). True when the request may go on. */
static bool key_throughput_allows(datastore *ds, request *r, ds_entry *e, bool reading, size_t len)
{
    int64_t rate = reading ? ds->lim->key_read_bytes_per_minute : ds->lim->key_write_bytes_per_minute;
    if (rate <= 0 || !e)
        return true;
    budget_bucket *b = reading ? &e->read_bytes : &e->write_bytes;
    budget_bucket_refill(b, ds->w->now_us, rate, 1, BUDGET_PPM);
    if (budget_bucket_try_take_n(b, throughput_bytes(ds, len)))
        return true;
    set_error(r, VS_DS_KeyThrottled, NULL);
    return false;
}

/* Writes value (taking ownership of it and of user_ids and metadata; NULL value = removal)
 * as the key's new version. */
static void commit(datastore *ds, request *r, vs_value *value, vs_value *user_ids, vs_value *metadata)
{
    ds_entry *e = entry_for_write(ds, r);
    vs_free(e->value);
    vs_free(e->user_ids);
    vs_free(e->metadata);
    e->value = value;
    e->user_ids = user_ids;
    e->metadata = metadata;
    /* One walk gives the size, the hash, and the hash the oracles compare data by. */
    vs_json_digest digest = {0};
    if (value)
        vs_json_digest_of(value, ds->commit_member, &digest);
    e->json_len = digest.len;
    e->hash = digest.hash;
    e->info.version++;
    e->info.updated_us = datastore_clock(ds);
    e->info.user_ids = e->user_ids;
    e->info.metadata = e->metadata;
    keep_version(ds, e);
    note_last_write(ds, e, r->ep->id);
    r->applied = true;
    ds->stats.commits++;
    history_note(ds->hist, r->ep->id, "ds.commit", 0, r->key, 0, e->info.version, e->hash, NULL);
    if (ds->on_commit)
        ds->on_commit(ds->on_commit_arg, r->ep->id, r->full_key, r->full_key_len, e->value,
                      digest.has_member ? &digest.member_hash : NULL);
    /* A write by a server refreshes that server's cache. */
    if (ds->servers[r->ep->id].started)
        cache_put(ds, r->ep->id, r, e->value, &e->info);
}

/* ------------------------------------------------------------------------------------------
 * Applying at the store
 * ---------------------------------------------------------------------------------------- */

static bool fault_hits(datastore *ds, fault_kind kind, const request *r, int *code)
{
    uint32_t ppm = fault_plan_ppm(ds->faults, kind, r->ep->id, op_fault[r->op], ds->w->now_us, code);
    return ppm > 0 && rng_chance_ppm(&ds->rng, ppm);
}

static bool nil_read(datastore *ds, const request *r)
{
    return fault_hits(ds, FAULT_NIL_READ, r, NULL);
}

static void apply_get(datastore *ds, request *r, ds_entry *e)
{
    const vs_value *v = e ? e->value : NULL;
    if (!key_throughput_allows(ds, r, e, true, e ? e->json_len : 0))
        return;
    if (v && nil_read(ds, r)) {
        answer_with(r, NULL, NULL);
        return;
    }
    answer_with(r, v, v ? &e->info : NULL);
}

static void apply_set(datastore *ds, request *r, ds_entry *e)
{
    vs_value *v = r->set_value;
    if (check_write(ds, r, v, NULL, NULL))
        return;
    size_t len = 0;
    vs_json_encoded_len(v, &len);
    if (!key_throughput_allows(ds, r, e, false, len))
        return;
    r->set_value = NULL;
    commit(ds, r, v, NULL, NULL);
    answer_with(r, v, &entry_of(ds, r)->info);
}

static bool is_integer(double n)
{
    return n == (double)(int64_t)n && n >= -9007199254740992.0 && n <= 9007199254740992.0;
}

static void apply_increment(datastore *ds, request *r, ds_entry *e)
{
    double old = 0;
    if (e && e->value) {
        if (vs_type_of(e->value) != VS_NUMBER || !is_integer(vs_number_of(e->value))) {
            set_error(r, VS_DS_ValueNotAllowed, "IncrementAsync on a value that is not an integer");
            return;
        }
        old = vs_number_of(e->value);
    }
    double now_value = old + (double)r->delta;
    if (!is_integer(now_value)) {
        set_error(r, VS_DS_ValueNotAllowed, "IncrementAsync result is not an exact integer");
        return;
    }
    if (!key_throughput_allows(ds, r, e, false, 16))
        return;
    vs_value *v = vs_new_number(now_value);
    WORLD_ASSERT(ds->w, v != NULL);
    commit(ds, r, v, NULL, NULL);
    answer_with(r, v, &entry_of(ds, r)->info);
}

static void apply_remove(datastore *ds, request *r, ds_entry *e)
{
    if (!key_throughput_allows(ds, r, e, false, 0))
        return;
    answer_with(r, e ? e->value : NULL, e && e->value ? &e->info : NULL);
    if (e && e->value)
        commit(ds, r, NULL, NULL, NULL); /* a tombstone version */
}

static const ds_version *version_in_force(const ds_entry *e, int64_t at_us)
{
    const ds_version *found = NULL;
    for (size_t i = 0; e && i < e->version_count && e->versions[i].created_us <= at_us; i++)
        found = &e->versions[i];
    return found;
}

static void apply_versions(datastore *ds, request *r, ds_entry *e)
{
    if (r->op == DS_LIST_VERSIONS) {
        size_t n = 0;
        size_t count = e ? e->version_count : 0;
        r->result_versions = calloc(count ? count : 1, sizeof *r->result_versions);
        WORLD_ASSERT(ds->w, r->result_versions != NULL);
        for (size_t k = 0; k < count && n < r->limit; k++) {
            size_t i = r->descending ? count - 1 - k : k;
            const ds_version *v = &e->versions[i];
            if (v->created_us < r->min_us || v->created_us > r->max_us)
                continue;
            r->result_versions[n++] = (vs_ds_version){v->version, v->created_us, v->deleted};
        }
        r->result_version_count = n;
        return;
    }
    const ds_version *v = NULL;
    if (r->op == DS_GET_VERSION_AT) {
        v = version_in_force(e, r->time_arg);
    } else {
        for (size_t i = 0; e && i < e->version_count; i++)
            if (e->versions[i].version == r->version_arg)
                v = &e->versions[i];
    }
    if (v && v->value) {
        vs_key_info info = {.version = v->version, .created_us = e->info.created_us,
                            .updated_us = v->created_us};
        answer_with(r, v->value, &info);
    } else {
        answer_with(r, NULL, NULL);
    }
}

static void run_update(void *arg);
static void drop_update(void *arg);

/* The store side of an update: read now, then hand the value to the transform on the server,
 * which answers from then on. False when the read itself is refused (r is then to be
 * finished by the caller). */
static bool apply_update(datastore *ds, request *r, ds_entry *e)
{
    if (!key_throughput_allows(ds, r, e, true, e ? e->json_len : 0))
        return false;
    r->read_version = e ? e->info.version : 0;
    endpoint_deliver(r->ep, "ds.transform", run_update, drop_update, r);
    return true;
}

static void finish(request *r)
{
    datastore *ds = r->ds;
    if (r->code == 0 && is_write(r->op) && r->applied) {
        int code = 0;
        if (fault_hits(ds, FAULT_AMBIGUOUS_COMMIT, r, &code)) {
            r->ambiguous = true;
            set_error(r, code ? code : VS_DS_InternalError, "error reported after the write committed");
        }
    }
    if (r->code != 0)
        ds->stats.errors++;
    schedule_answer(r);
}

static void commit_update(void *arg);

/* Runs the transform on the server (not frozen, not stopped) with what the store holds. */
static void run_update(void *arg)
{
    request *r = arg;
    datastore *ds = r->ds;
    ds_entry *e = entry_of(ds, r);
    const vs_value *current = e ? e->value : NULL;
    vs_key_info none = {0};
    const vs_key_info *info = current ? &e->info : &none;
    if (current && nil_read(ds, r)) {
        current = NULL;
        info = &none;
    }
    r->read_version = e ? e->info.version : 0;
    vs_ds_write out = {0};
    bool write = r->transform(r->transform_arg, current, info, &out);
    if (!write) {
        vs_free(out.value);
        vs_free(out.user_ids);
        vs_free(out.metadata);
        r->cancelled = true;
        answer_with(r, NULL, NULL);
        finish(r);
        return;
    }
    if (!out.value) {
        vs_free(out.user_ids);
        vs_free(out.metadata);
        set_error(r, VS_DS_CantStoreValue, "the transform returned no value");
        finish(r);
        return;
    }
    if (check_write(ds, r, out.value, out.user_ids, out.metadata)) {
        vs_free(out.value);
        vs_free(out.user_ids);
        vs_free(out.metadata);
        finish(r);
        return;
    }
    vs_free(r->set_value);
    r->set_value = out.value;
    vs_free(r->result_user_ids);
    vs_free(r->result_metadata);
    r->result_user_ids = out.user_ids;
    r->result_metadata = out.metadata;
    /* The result goes back to the store, which commits only on the version the transform saw. */
    int64_t gap = rng_range(&ds->rng, 0, ds->lim->update_gap_us);
    world_at_owned(ds->w, ds->w->now_us + gap, "ds.commit_update", commit_update, drop_update, r);
}

static void commit_update(void *arg)
{
    request *r = arg;
    datastore *ds = r->ds;
    ds_entry *e = entry_of(ds, r);
    int64_t version = e ? e->info.version : 0;
    if (version != r->read_version) {
        /* Someone wrote in between: the transform runs again on the newer value. */
        ds->stats.reruns++;
        history_note(ds->hist, r->ep->id, "ds.rerun", 0, r->key, 0, version, 0, NULL);
        endpoint_deliver(r->ep, "ds.transform", run_update, drop_update, r);
        return;
    }
    vs_value *value = r->set_value;
    vs_value *user_ids = r->result_user_ids;
    vs_value *metadata = r->result_metadata;
    r->set_value = NULL;
    r->result_user_ids = NULL;
    r->result_metadata = NULL;
    size_t len = 0;
    vs_json_encoded_len(value, &len);
    if (!key_throughput_allows(ds, r, e, false, len)) {
        vs_free(value);
        vs_free(user_ids);
        vs_free(metadata);
        finish(r);
        return;
    }
    commit(ds, r, value, user_ids, metadata);
    e = entry_of(ds, r);
    answer_with(r, e->value, &e->info);
    finish(r);
}

static void drop_update(void *arg)
{
    /* The server stopped before its transform could run or its write could be sent. */
    request_free(arg);
}

static void apply(void *arg)
{
    request *r = arg;
    datastore *ds = r->ds;
    ds->stats.applied++;
    int code = 0;
    if (fault_hits(ds, FAULT_STORE_OUTAGE, r, &code)) {
        set_error(r, code ? code : VS_DS_InternalError, "the DataStore is not answering");
        finish(r);
        return;
    }
    if (fault_hits(ds, FAULT_ERROR_RATE, r, &code)) {
        set_error(r, code ? code : VS_DS_InternalError, NULL);
        finish(r);
        return;
    }
    ds_entry *e = entry_of(ds, r);
    switch (r->op) {
    case DS_GET: apply_get(ds, r, e); break;
    case DS_SET: apply_set(ds, r, e); break;
    case DS_INCREMENT: apply_increment(ds, r, e); break;
    case DS_REMOVE: apply_remove(ds, r, e); break;
    case DS_UPDATE:
        if (apply_update(ds, r, e))
            return; /* the transform's side answers */
        break;
    case DS_LIST_VERSIONS:
    case DS_GET_VERSION:
    case DS_GET_VERSION_AT: apply_versions(ds, r, e); break;
    }
    finish(r);
}

static void drop_apply(void *arg)
{
    request_free(arg);
}

/* ------------------------------------------------------------------------------------------
 * Flight, admission and sending
 * ---------------------------------------------------------------------------------------- */

/* A heavy-tail delay up to max_us: log-uniform (density falling as 1/x) from 1 ms, drawn
 * with integers only: a uniformly chosen power-of-two band, then uniformly inside it. */
static int64_t heavy_tail(rng *g, int64_t max_us)
{
    const int64_t lo = 1000;
    if (max_us <= lo)
        return max_us > 0 ? rng_range(g, 0, max_us) : 0;
    int bands = 0;
    while ((lo << (bands + 1)) <= max_us && bands < 40)
        bands++;
    int band = (int)rng_below(g, (uint64_t)bands + 1);
    int64_t start = lo << band;
    int64_t x = start + (int64_t)rng_below(g, (uint64_t)start);
    return x < max_us ? x : max_us;
}

/* The share of its normal refill rate a server's budget gets at a time (a budget_cut fault). */
static uint32_t budget_share_at(const datastore *ds, int server, int64_t at_us)
{
    const fault *f = fault_plan_find(ds->faults, FAULT_BUDGET_CUT, server, FAULT_OP_ANY, at_us);
    if (!f)
        return FAULT_PPM;
    return f->amount < 0 ? 0 : f->amount > FAULT_PPM ? FAULT_PPM : (uint32_t)f->amount;
}


/* A latency drawn from the limits and the active latency faults. */
static int64_t draw_latency(datastore *ds, const request *r)
{
    const platform_limits *l = ds->lim;
    int64_t latency = rng_range(&ds->rng, l->ds_latency_min_us, l->ds_latency_max_us);
    if (l->ds_tail_ppm > 0 && rng_chance_ppm(&ds->rng, (uint32_t)l->ds_tail_ppm))
        latency += heavy_tail(&ds->rng, l->ds_tail_max_us);
    const fault *tail = fault_plan_find(ds->faults, FAULT_LATENCY_TAIL, r->ep->id, op_fault[r->op],
                                        ds->w->now_us);
    if (tail && rng_chance_ppm(&ds->rng, tail->ppm))
        latency += heavy_tail(&ds->rng, tail->amount);
    const fault *spike = fault_plan_find(ds->faults, FAULT_LATENCY_SPIKE, r->ep->id,
                                         op_fault[r->op], ds->w->now_us);
    if (spike && rng_chance_ppm(&ds->rng, spike->ppm))
        latency += spike->amount;
    return latency;
}

/* The request leaves the server now. */
static void dispatch(datastore *ds, request *r)
{
    r->dispatched_us = ds->w->now_us;
    int64_t latency = draw_latency(ds, r);
    int64_t apply_after = rng_range(&ds->rng, 0, latency);
    r->respond_at_us = ds->w->now_us + latency;
    r->lost = fault_hits(ds, FAULT_LOST_RESPONSE, r, NULL);
    if (r->lost)
        ds->stats.lost++;
    if (is_write(r->op)) {
        ds_entry *e = entry_of(ds, r);
        if (e)
            note_last_write(ds, e, r->ep->id); /* the cooldown counts from the send */
    }
    world_at_owned(ds->w, ds->w->now_us + apply_after, "ds.apply", apply, drop_apply, r);
}

/* The figures a server's budget runs on, with the budget_cut share in force at share_at_us. */
static budget_env env_at(datastore *ds, int server, int64_t share_at_us)
{
    endpoint *ep = ds->endpoints[server];
    return (budget_env){
        .limits = ds->lim,
        .players = ep ? ep->players : 0,
        .ccu = ds->ccu,
        .share_ppm = budget_share_at(ds, server, share_at_us),
        .experience = &ds->experience,
    };
}

static budget_env env_of(datastore *ds, int server)
{
    return env_at(ds, server, ds->w->now_us);
}

static void schedule_wake(datastore *ds, int server, budget_queue queue);

/* Refills every budget up to now at the figures that held until now (the share in force just
 * before now), then plans each waiting queue's wake-up afresh at the figures from now on: a
 * queue whose head could never leave (no refill) may be able to now, and the other way round. */
static void settle_and_replan(datastore *ds, int64_t share_at_us)
{
    for (int id = 1; id <= DS_MAX_SERVERS; id++) {
        if (!ds->servers[id].started)
            continue;
        budget_env env = env_at(ds, id, share_at_us);
        server_budget_settle(&ds->servers[id].budget, &env, ds->w->now_us);
    }
    budget_experience_settle(&ds->experience, ds->lim, ds->ccu, ds->w->now_us);
}

static void replan_wakes(datastore *ds)
{
    for (int id = 1; id <= DS_MAX_SERVERS; id++)
        if (ds->servers[id].started)
            for (int q = 0; q < BUDGET_QUEUE_COUNT; q++)
                if (server_budget_queue_len(&ds->servers[id].budget, (budget_queue)q) > 0)
                    schedule_wake(ds, id, (budget_queue)q);
}

void datastore_settle_budgets(datastore *ds)
{
    settle_and_replan(ds, ds->w->now_us);
}

void datastore_counts_changed(datastore *ds)
{
    replan_wakes(ds);
}

static void budget_edge(void *arg)
{
    datastore *ds = arg;
    settle_and_replan(ds, ds->w->now_us - 1);
    replan_wakes(ds);
}

typedef struct wake_arg {
    datastore *ds;
    int server;
    budget_queue queue;
} wake_arg;

static void wake_queue(void *arg)
{
    wake_arg *wa = arg;
    datastore *ds = wa->ds;
    int server = wa->server;
    budget_queue queue = wa->queue;
    free(wa);
    ds_server *s = &ds->servers[server];
    s->wake[queue] = 0;
    if (!s->started)
        return;
    budget_env env = env_of(ds, server);
    request *r;
    while ((r = server_budget_pop_ready(&s->budget, &env, queue, ds->w->now_us, NULL)) != NULL)
        dispatch(ds, r);
    schedule_wake(ds, server, queue);
}

static void schedule_wake(datastore *ds, int server, budget_queue queue)
{
    ds_server *s = &ds->servers[server];
    budget_env env = env_of(ds, server);
    int64_t at = server_budget_next_ready(&s->budget, &env, queue, ds->w->now_us);
    if (at == INT64_MAX || (s->wake[queue] && s->wake_at[queue] == at))
        return;
    void *old = NULL;
    if (s->wake[queue] && world_cancel(ds->w, s->wake[queue], &old))
        free(old);
    wake_arg *wa = malloc(sizeof *wa);
    WORLD_ASSERT(ds->w, wa != NULL);
    *wa = (wake_arg){ds, server, queue};
    s->wake[queue] = world_at_owned(ds->w, at, "ds.wake", wake_queue, free, wa);
    s->wake_at[queue] = at;
}

/* Budget admission: dispatch now, wait in the queue, or fail with 301-306. */
static void admit(datastore *ds, request *r)
{
    ds_server *s = &ds->servers[r->ep->id];
    budget_env env = env_of(ds, r->ep->id);
    budget_class cls = op_budget[r->op];
    switch (server_budget_admit(&s->budget, &env, cls, r, ds->w->now_us)) {
    case BUDGET_ADMITTED:
        dispatch(ds, r);
        break;
    case BUDGET_QUEUED:
        ds->stats.queued++;
        history_note(ds->hist, r->ep->id, "ds.queued", 0, r->key, 0, 0, 0, NULL);
        schedule_wake(ds, r->ep->id, budget_class_queue(cls));
        break;
    case BUDGET_DROPPED:
        ds->stats.dropped++;
        answer_early(r, budget_class_drop_code(cls), NULL);
        break;
    }
}

static void drop_cooldown(void *arg)
{
    request_free(arg);
}

static void after_cooldown(void *arg)
{
    request *r = arg;
    if (!r->ds->servers[r->ep->id].started) {
        request_free(r);
        return;
    }
    admit(r->ds, r);
}

/* The classic per-key write cooldown: when the server wrote this key less than the cooldown
 * ago, the write waits until the cooldown has passed. */
static bool wait_for_cooldown(datastore *ds, request *r)
{
    int64_t cooldown = ds->lim->write_cooldown_us;
    ds_entry *e = entry_of(ds, r);
    if (cooldown <= 0 || !is_write(r->op) || !e)
        return false;
    for (size_t i = 0; i < e->last_write_count; i++) {
        if (e->last_writes[i].server != r->ep->id)
            continue;
        int64_t ready = e->last_writes[i].at_us + cooldown;
        if (ready <= ds->w->now_us)
            return false;
        e->last_writes[i].at_us = ready; /* the next write waits behind this one */
        world_at_owned(ds->w, ready, "ds.cooldown", after_cooldown, drop_cooldown, r);
        return true;
    }
    return false;
}

static bool answer_from_cache(datastore *ds, request *r)
{
    if (r->op != DS_GET || !r->use_cache)
        return false;
    cache_item *c = strmap_get(&ds->servers[r->ep->id].cache, r->full_key, r->full_key_len);
    if (!c || c->expires_us <= ds->w->now_us)
        return false;
    ds->stats.cache_hits++;
    history_note(ds->hist, r->ep->id, "ds.cache_hit", 0, r->key, 0, c->info.version, 0, NULL);
    answer_with(r, c->value, c->value ? &c->info : NULL);
    r->from_cache = true;
    r->respond_at_us = ds->w->now_us;
    schedule_answer(r);
    return true;
}

static bool name_ok(datastore *ds, request *r, const char *store, const char *key)
{
    size_t limit = (size_t)ds->lim->name_max_chars;
    if (key[0] == '\0' || store[0] == '\0') {
        answer_early(r, VS_DS_KeyNameEmpty, key[0] ? "the store name is empty" : "the key is empty");
        return false;
    }
    /* Names are counted in characters (UTF-8 code points). */
    size_t key_chars = 0, store_chars = 0;
    for (const char *p = key; *p; p++)
        key_chars += ((unsigned char)*p & 0xC0) != 0x80;
    for (const char *p = store; *p; p++)
        store_chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (key_chars > limit || store_chars > limit) {
        answer_early(r, VS_DS_KeyNameLimit, NULL);
        return false;
    }
    return true;
}

static request *new_request(datastore *ds, endpoint *ep, ds_op op, const char *store, const char *key)
{
    request *r = calloc(1, sizeof *r);
    WORLD_ASSERT(ds->w, r != NULL);
    r->ds = ds;
    r->ep = ep;
    r->op = op;
    r->full_key = join_key(store, key, &r->full_key_len);
    WORLD_ASSERT(ds->w, r->full_key != NULL);
    r->key = r->full_key + strlen(store) + 1;
    r->sent_us = ds->w->now_us;
    ds->stats.requests++;
    r->hist_request = history_invoke(ds->hist, ep->id, op_what[op], 0, key);
    return r;
}

static void send_request(datastore *ds, request *r, const char *store)
{
    if (!name_ok(ds, r, store, r->key))
        return;
    if (!ds->servers[r->ep->id].started) {
        answer_early(r, VS_DS_ServiceShuttingDown, "the server's DataStore service is not running");
        return;
    }
    if (fault_plan_find(ds->faults, FAULT_PARTITION_STORE, r->ep->id, op_fault[r->op], ds->w->now_us)) {
        answer_early(r, VS_DS_InternalError, "the DataStore cannot be reached from this server");
        return;
    }
    if (answer_from_cache(ds, r) || wait_for_cooldown(ds, r))
        return;
    admit(ds, r);
}

void datastore_get(datastore *ds, endpoint *ep, const char *store, const char *key, bool use_cache,
                   vs_ds_done_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_GET, store, key);
    r->use_cache = use_cache;
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_set(datastore *ds, endpoint *ep, const char *store, const char *key, vs_value *value,
                   vs_ds_done_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_SET, store, key);
    r->set_value = value;
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_update(datastore *ds, endpoint *ep, const char *store, const char *key,
                      vs_ds_transform_fn transform, void *transform_arg, vs_ds_done_fn done,
                      void *arg)
{
    request *r = new_request(ds, ep, DS_UPDATE, store, key);
    r->transform = transform;
    r->transform_arg = transform_arg;
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_increment(datastore *ds, endpoint *ep, const char *store, const char *key,
                         int64_t delta, vs_ds_done_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_INCREMENT, store, key);
    r->delta = delta;
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_remove(datastore *ds, endpoint *ep, const char *store, const char *key,
                      vs_ds_done_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_REMOVE, store, key);
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_list_versions(datastore *ds, endpoint *ep, const char *store, const char *key,
                             bool descending, int64_t min_us, int64_t max_us, size_t limit,
                             vs_ds_versions_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_LIST_VERSIONS, store, key);
    r->descending = descending;
    r->min_us = min_us;
    r->max_us = max_us;
    r->limit = limit;
    r->versions_done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_get_version(datastore *ds, endpoint *ep, const char *store, const char *key,
                           int64_t version, vs_ds_done_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_GET_VERSION, store, key);
    r->version_arg = version;
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}

void datastore_get_version_at_time(datastore *ds, endpoint *ep, const char *store,
                                   const char *key, int64_t at_us, vs_ds_done_fn done, void *arg)
{
    request *r = new_request(ds, ep, DS_GET_VERSION_AT, store, key);
    r->time_arg = at_us;
    r->done = done;
    r->arg = arg;
    send_request(ds, r, store);
}
