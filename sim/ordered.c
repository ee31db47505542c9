/* ordered.c: integer keys, a lagging sorted index, pages with cursors.
 *
 * Keeps true: each store's index is sorted by (indexed value, key) and holds exactly the keys
 * whose indexed state is present; the queue of index updates is in commit order; a key's
 * record lives while it is committed, indexed or has queued updates; every request is freed
 * exactly once (answered or dropped). Writing is O(log n) to find the slot plus one memmove
 * of the index, never a sort. */
#include "sim/ordered.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- stores, keys and the index ---- */

typedef struct okey {
    char *key;
    bool present; /* committed state */
    int64_t value;
    bool indexed; /* what the sorted index shows */
    int64_t indexed_value;
    uint32_t pending; /* queued index updates that name this key */
} okey;

typedef struct index_update {
    okey *k;
    bool present;
    int64_t value;
    int64_t due_us;
} index_update;

typedef struct ostore {
    strmap keys; /* key -> okey */
    okey **index;
    size_t index_count, index_cap;
    index_update *queue; /* live updates are [q_head, q_end) */
    size_t q_head, q_end, q_cap;
} ostore;

static const vs_key_info no_info; /* this store keeps no versions or metadata */

/* Compares the position (v, key) with an index entry; key NULL is below every key of v. */
static int cmp_pos(int64_t v, const char *key, const okey *e)
{
    if (v != e->indexed_value)
        return v < e->indexed_value ? -1 : 1;
    if (!key)
        return -1;
    return strcmp(key, e->key);
}

/* The first index slot whose entry is >= (v, key), or > it when strict. */
static size_t bound(const ostore *st, int64_t v, const char *key, bool strict)
{
    size_t lo = 0, hi = st->index_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_pos(v, key, st->index[mid]);
        if (c > 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void index_remove(ordered *o, ostore *st, okey *k)
{
    size_t i = bound(st, k->indexed_value, k->key, false);
    WORLD_ASSERT(o->w, i < st->index_count && st->index[i] == k);
    memmove(st->index + i, st->index + i + 1, (st->index_count - i - 1) * sizeof *st->index);
    st->index_count--;
}

static void index_insert(ordered *o, ostore *st, okey *k)
{
    if (st->index_count == st->index_cap) {
        size_t n = st->index_cap ? st->index_cap * 2 : 64;
        okey **p = realloc(st->index, n * sizeof *p);
        WORLD_ASSERT(o->w, p != NULL);
        st->index = p;
        st->index_cap = n;
    }
    size_t i = bound(st, k->indexed_value, k->key, false);
    memmove(st->index + i + 1, st->index + i, (st->index_count - i) * sizeof *st->index);
    st->index[i] = k;
    st->index_count++;
}

static void key_free(okey *k)
{
    free(k->key);
    free(k);
}

/* Forgets a key nobody can see any more. */
static void maybe_forget(ostore *st, okey *k)
{
    if (k->present || k->indexed || k->pending)
        return;
    strmap_remove(&st->keys, k->key, strlen(k->key));
    key_free(k);
}

/* Applies the index updates that are due now, oldest first. */
static void drain(ordered *o, ostore *st)
{
    while (st->q_head < st->q_end && st->queue[st->q_head].due_us <= o->w->now_us) {
        index_update u = st->queue[st->q_head++];
        okey *k = u.k;
        k->pending--;
        if (k->indexed)
            index_remove(o, st, k);
        k->indexed = u.present;
        k->indexed_value = u.value;
        if (k->indexed)
            index_insert(o, st, k);
        o->stats.index_updates++;
        maybe_forget(st, k);
    }
    if (st->q_head == st->q_end)
        st->q_head = st->q_end = 0;
}

static void queue_update(ordered *o, ostore *st, okey *k)
{
    if (st->q_end == st->q_cap) {
        if (st->q_head > 0) { /* reuse the consumed front before growing */
            memmove(st->queue, st->queue + st->q_head, (st->q_end - st->q_head) * sizeof *st->queue);
            st->q_end -= st->q_head;
            st->q_head = 0;
        }
        if (st->q_end == st->q_cap) {
            size_t n = st->q_cap ? st->q_cap * 2 : 64;
            index_update *p = realloc(st->queue, n * sizeof *p);
            WORLD_ASSERT(o->w, p != NULL);
            st->queue = p;
            st->q_cap = n;
        }
    }
    int64_t lag = o->limits->ordered_index_lag_us > 0 ? o->limits->ordered_index_lag_us : 0;
    st->queue[st->q_end++] = (index_update){.k = k, .present = k->present, .value = k->value,
                                            .due_us = o->w->now_us + lag};
    k->pending++;
}

static ostore *store_get(const ordered *o, const char *name)
{
    return strmap_get(&o->stores, name, strlen(name));
}

static ostore *store_make(ordered *o, const char *name)
{
    ostore *st = store_get(o, name);
    if (st)
        return st;
    st = calloc(1, sizeof *st);
    WORLD_ASSERT(o->w, st != NULL);
    strmap_init(&st->keys);
    WORLD_ASSERT(o->w, strmap_put(&o->stores, name, strlen(name), st));
    return st;
}

static okey *key_make(ordered *o, ostore *st, const char *key)
{
    size_t len = strlen(key);
    okey *k = strmap_get(&st->keys, key, len);
    if (k)
        return k;
    k = calloc(1, sizeof *k);
    WORLD_ASSERT(o->w, k != NULL);
    k->key = strdup(key);
    WORLD_ASSERT(o->w, k->key != NULL && strmap_put(&st->keys, key, len, k));
    return k;
}

bool ordered_init(ordered *o, world *w, const platform_limits *limits, const fault_plan *faults)
{
    *o = (ordered){.w = w, .limits = limits, .faults = faults};
    world_stream(w, "ordered", &o->rng);
    strmap_init(&o->stores);
    return true;
}

void ordered_free(ordered *o)
{
    /* Bucket order is fine here: freeing reaches no output. */
    for (size_t i = 0; i < o->stores.cap; i++) {
        ostore *st = o->stores.slots[i].key ? o->stores.slots[i].value : NULL;
        if (!st)
            continue;
        for (size_t j = 0; j < st->keys.cap; j++)
            if (st->keys.slots[j].key)
                key_free(st->keys.slots[j].value);
        strmap_free(&st->keys);
        free(st->index);
        free(st->queue);
        free(st);
    }
    strmap_free(&o->stores);
    *o = (ordered){0};
}

bool ordered_peek(const ordered *o, const char *store, const char *key, int64_t *value)
{
    const ostore *st = store_get(o, store);
    const okey *k = st ? strmap_get(&st->keys, key, strlen(key)) : NULL;
    if (!k || !k->present)
        return false;
    if (value)
        *value = k->value;
    return true;
}

size_t ordered_index_count(ordered *o, const char *store)
{
    ostore *st = store_get(o, store);
    if (!st)
        return 0;
    drain(o, st);
    return st->index_count;
}

/* ---- requests ---- */

typedef enum op_kind { OP_GET, OP_SET, OP_INCREMENT, OP_REMOVE, OP_SORTED } op_kind;

typedef struct request {
    ordered *o; /* used by apply only, never by drop or respond */
    endpoint *from;
    op_kind kind;
    char *store;
    char *key;
    int64_t operand; /* set: the value; increment: the delta */
    bool ascending;
    size_t page_size;
    int64_t min, max;
    bool has_cursor;
    int64_t cursor_value;
    char *cursor_key;
    vs_ds_done_fn done;
    vs_ods_page_fn page_done;
    void *arg;
    int64_t respond_at_us;
    history *hist; /* where the completion is recorded, or NULL */
    uint64_t hist_request;
    /* the answer */
    int code;
    char message[160];
    vs_value *result;
    vs_ods_entry *entries;
    size_t count;
    char *entry_keys; /* one buffer for the page's keys */
    char *next_cursor;
} request;

static void request_drop(void *arg)
{
    request *r = arg;
    free(r->store);
    free(r->key);
    free(r->cursor_key);
    vs_free(r->result);
    free(r->entries);
    free(r->entry_keys);
    free(r->next_cursor);
    free(r);
}

static void respond(void *arg)
{
    request *r = arg;
    const char *message = r->code ? r->message : "ok";
    if (r->hist)
        history_complete(r->hist, r->hist_request, r->code ? HIST_FAIL : HIST_OK, r->code,
                         r->code ? r->message : NULL);
    if (r->kind == OP_SORTED) {
        if (r->page_done) {
            vs_ods_page page = {.code = r->code, .message = message, .entries = r->entries,
                                .count = r->count, .next_cursor = r->next_cursor};
            r->page_done(r->arg, &page);
        }
    } else if (r->done) {
        vs_ds_result res = {.code = r->code, .message = message, .value = r->result,
                            .info = &no_info};
        r->done(r->arg, &res);
    }
    request_drop(r);
}

static void fail(request *r, int code, const char *message)
{
    r->code = code;
    snprintf(r->message, sizeof r->message, "%s", message);
    r->o->stats.errors++;
}

static void answer_number(ordered *o, request *r, bool present, int64_t v)
{
    if (!present)
        return;
    r->result = vs_new_number((double)v); /* exact: |v| <= 2^53 */
    WORLD_ASSERT(o->w, r->result != NULL);
}

static void record_write(ordered *o, const request *r, const okey *k)
{
    uint8_t tail[10];
    tail[0] = '\x1f';
    tail[1] = k->present ? 1 : 0;
    for (int i = 0; i < 8; i++)
        tail[2 + i] = (uint8_t)((uint64_t)k->value >> (8 * i));
    world_record(o->w, "O", 1);
    world_record(o->w, r->store, strlen(r->store));
    world_record(o->w, "\x1f", 1);
    world_record(o->w, r->key, strlen(r->key));
    world_record(o->w, tail, sizeof tail);
}

static void commit(ordered *o, ostore *st, request *r, okey *k, bool present, int64_t v)
{
    k->present = present;
    k->value = present ? v : 0;
    o->stats.writes++;
    record_write(o, r, k);
    queue_update(o, st, k);
    maybe_forget(st, k);
}

static char *encode_cursor(const okey *k)
{
    static const char hex[] = "0123456789abcdef";
    size_t klen = strlen(k->key);
    size_t size = 3 + 21 + 1 + 2 * klen + 1;
    char *c = malloc(size);
    if (!c)
        return NULL;
    int n = snprintf(c, size, "o1:%lld:", (long long)k->indexed_value);
    for (size_t i = 0; i < klen; i++) {
        unsigned char b = (unsigned char)k->key[i];
        c[n++] = hex[b >> 4];
        c[n++] = hex[b & 15];
    }
    c[n] = '\0';
    return c;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses a cursor made by encode_cursor; false for anything else. */
static bool decode_cursor(const char *c, int64_t *value, char **key)
{
    if (strncmp(c, "o1:", 3) != 0)
        return false;
    const char *p = c + 3;
    if (!(*p == '-' || (*p >= '0' && *p <= '9')))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (errno || end == p || *end != ':')
        return false;
    const char *h = end + 1;
    size_t hlen = strlen(h);
    if (hlen == 0 || hlen % 2)
        return false;
    char *k = malloc(hlen / 2 + 1);
    if (!k)
        return false;
    for (size_t i = 0; i < hlen / 2; i++) {
        int hi = hex_digit(h[2 * i]), lo = hex_digit(h[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) { /* a NUL is in no key */
            free(k);
            return false;
        }
        k[i] = (char)(hi << 4 | lo);
    }
    k[hlen / 2] = '\0';
    *value = v;
    *key = k;
    return true;
}

static void read_page(ordered *o, ostore *st, request *r)
{
    size_t n = st ? st->index_count : 0;
    okey **picked = r->page_size ? malloc(r->page_size * sizeof *picked) : NULL;
    WORLD_ASSERT(o->w, picked != NULL);
    size_t count = 0;
    bool more;
    if (r->ascending) {
        size_t i = st ? bound(st, r->min, NULL, false) : 0;
        if (st && r->has_cursor) {
            size_t c = bound(st, r->cursor_value, r->cursor_key, true);
            if (c > i)
                i = c;
        }
        while (i < n && st->index[i]->indexed_value <= r->max && count < r->page_size)
            picked[count++] = st->index[i++];
        more = i < n && st->index[i]->indexed_value <= r->max;
    } else {
        /* end: one past the last entry that may come first */
        size_t end = n;
        if (st && r->max < INT64_MAX)
            end = bound(st, r->max + 1, NULL, false);
        if (st && r->has_cursor) {
            size_t c = bound(st, r->cursor_value, r->cursor_key, false);
            if (c < end)
                end = c;
        }
        while (end > 0 && st->index[end - 1]->indexed_value >= r->min && count < r->page_size)
            picked[count++] = st->index[--end];
        more = end > 0 && st->index[end - 1]->indexed_value >= r->min;
    }
    size_t key_bytes = 0;
    for (size_t i = 0; i < count; i++)
        key_bytes += strlen(picked[i]->key) + 1;
    r->count = count;
    if (count) {
        r->entries = malloc(count * sizeof *r->entries);
        r->entry_keys = malloc(key_bytes);
        WORLD_ASSERT(o->w, r->entries != NULL && r->entry_keys != NULL);
        char *p = r->entry_keys;
        for (size_t i = 0; i < count; i++) {
            size_t len = strlen(picked[i]->key) + 1;
            memcpy(p, picked[i]->key, len);
            r->entries[i] = (vs_ods_entry){.key = p, .value = picked[i]->indexed_value};
            p += len;
        }
    }
    if (more && count) {
        r->next_cursor = encode_cursor(picked[count - 1]);
        WORLD_ASSERT(o->w, r->next_cursor != NULL);
    }
    free(picked);
}

static void apply(void *arg)
{
    request *r = arg;
    ordered *o = r->o;
    ostore *st = r->kind == OP_GET || r->kind == OP_SORTED ? store_get(o, r->store)
                                                           : store_make(o, r->store);
    if (st)
        drain(o, st); /* also keeps the queue short under writes with no reads */
    okey *k = st && r->key ? strmap_get(&st->keys, r->key, strlen(r->key)) : NULL;
    bool had = k && k->present;
    int64_t old = had ? k->value : 0;
    switch (r->kind) {
    case OP_GET:
        answer_number(o, r, had, old);
        break;
    case OP_SET:
        k = key_make(o, st, r->key);
        commit(o, st, r, k, true, r->operand);
        answer_number(o, r, true, r->operand);
        break;
    case OP_INCREMENT: {
        int64_t v = old + r->operand; /* both within 2^53: no overflow */
        if (v > ORDERED_VALUE_MAX || v < -ORDERED_VALUE_MAX) {
            char msg[160];
            snprintf(msg, sizeof msg, "the result %lld is beyond +-2^53", (long long)v);
            fail(r, VS_DS_CantStoreValue, msg);
            break;
        }
        k = key_make(o, st, r->key);
        commit(o, st, r, k, true, v);
        answer_number(o, r, true, v);
        break;
    }
    case OP_REMOVE:
        answer_number(o, r, had, old);
        if (had)
            commit(o, st, r, k, false, 0);
        break;
    case OP_SORTED:
        read_page(o, st, r);
        break;
    }
    endpoint_deliver_at(r->from, r->respond_at_us, "ods.respond", respond, request_drop, r);
}

static bool check_name(request *r, const char *what, const char *name)
{
    char msg[160];
    if (name[0] == '\0') {
        snprintf(msg, sizeof msg, "the %s is empty", what);
        fail(r, VS_DS_KeyNameEmpty, msg);
        return false;
    }
    int64_t limit = r->o->limits->name_max_chars;
    if ((int64_t)strlen(name) > limit) {
        snprintf(msg, sizeof msg, "the %s is longer than %lld bytes", what, (long long)limit);
        fail(r, VS_DS_KeyNameLimit, msg);
        return false;
    }
    return true;
}

static bool check_integer(request *r, const char *what, int64_t v)
{
    if (v > ORDERED_VALUE_MAX || v < -ORDERED_VALUE_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg, "the %s %lld is beyond +-2^53", what, (long long)v);
        fail(r, VS_DS_CantStoreValue, msg);
        return false;
    }
    return true;
}

/* The caller's mistakes, found before the request leaves the server. */
static bool check_request(request *r, const char *cursor)
{
    if (!check_name(r, "store name", r->store))
        return false;
    if (r->key && !check_name(r, "key", r->key))
        return false;
    if (r->kind == OP_SET && !check_integer(r, "value", r->operand))
        return false;
    if (r->kind == OP_INCREMENT && !check_integer(r, "delta", r->operand))
        return false;
    if (r->kind != OP_SORTED)
        return true;
    char msg[160];
    if (r->page_size < 1 || (int64_t)r->page_size > r->o->limits->ordered_page_max) {
        snprintf(msg, sizeof msg, "the page size %zu is outside 1..%lld", r->page_size,
                 (long long)r->o->limits->ordered_page_max);
        fail(r, ORDERED_ERR_PageSize, msg);
        return false;
    }
    if (r->max < r->min) {
        snprintf(msg, sizeof msg, "the maximum %lld is below the minimum %lld", (long long)r->max,
                 (long long)r->min);
        fail(r, VS_DS_MaxValueInvalid, msg);
        return false;
    }
    if (cursor) {
        if (!decode_cursor(cursor, &r->cursor_value, &r->cursor_key)) {
            fail(r, ORDERED_ERR_Cursor, "the cursor was not made by GetSortedAsync");
            return false;
        }
        r->has_cursor = true;
    }
    return true;
}

/* Faults met on the way to the store; true when the request fails. */
static bool faulted(ordered *o, request *r)
{
    if (!o->faults)
        return false;
    int id = r->from->id;
    int64_t now = o->w->now_us;
    fault_op op = r->kind == OP_GET || r->kind == OP_SORTED ? FAULT_OP_SORTED_GET
                                                             : FAULT_OP_SORTED_SET;
    const fault *part = fault_plan_find(o->faults, FAULT_PARTITION_STORE, id, op, now);
    if (part) {
        fail(r, part->code ? part->code : VS_DS_InternalError,
             "this server cannot reach the OrderedDataStore");
        return true;
    }
    static const fault_kind kinds[] = {FAULT_STORE_OUTAGE, FAULT_ERROR_RATE};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int code = 0;
        uint32_t ppm = fault_plan_ppm(o->faults, kinds[i], id, op, now, &code);
        if (rng_chance_ppm(&o->rng, ppm)) {
            char msg[160];
            if (!code)
                code = VS_DS_InternalError;
            snprintf(msg, sizeof msg, "%s (%s)", vs_ds_error_message(code), fault_kind_name(kinds[i]));
            fail(r, code, msg);
            return true;
        }
    }
    return false;
}

/* ADMISSION HOOK: budgets and queues (not this module's) admit a request before calling the
 * public functions below; from here on the request is in flight. */
static void send(ordered *o, request *r, const char *cursor)
{
    const platform_limits *l = o->limits;
    int64_t latency = rng_range(&o->rng, l->ds_latency_min_us, l->ds_latency_max_us);
    if (latency < 0)
        latency = 0;
    int64_t apply_after = rng_range(&o->rng, 0, latency);
    r->respond_at_us = o->w->now_us + latency;
    if (!check_request(r, cursor) || faulted(o, r)) {
        endpoint_deliver_at(r->from, r->respond_at_us, "ods.respond", respond, request_drop, r);
        return;
    }
    world_at_owned(o->w, o->w->now_us + apply_after, "ods.apply", apply, request_drop, r);
}

static request *request_new(ordered *o, endpoint *from, op_kind kind, const char *store,
                            const char *key)
{
    request *r = calloc(1, sizeof *r);
    WORLD_ASSERT(o->w, r != NULL);
    r->o = o;
    r->from = from;
    r->kind = kind;
    r->store = strdup(store);
    WORLD_ASSERT(o->w, r->store != NULL);
    if (key) {
        r->key = strdup(key);
        WORLD_ASSERT(o->w, r->key != NULL);
    }
    static const char *const whats[] = {[OP_GET] = "ods.get", [OP_SET] = "ods.set",
                                        [OP_INCREMENT] = "ods.increment",
                                        [OP_REMOVE] = "ods.remove", [OP_SORTED] = "ods.get_sorted"};
    if (o->hist) {
        r->hist = o->hist;
        r->hist_request = history_invoke(o->hist, from->id, whats[kind], 0, key ? key : store);
    }
    return r;
}

void ordered_get(ordered *o, endpoint *from, const char *store, const char *key,
                 vs_ds_done_fn done, void *arg)
{
    o->stats.gets++;
    request *r = request_new(o, from, OP_GET, store, key);
    r->done = done;
    r->arg = arg;
    send(o, r, NULL);
}

void ordered_set(ordered *o, endpoint *from, const char *store, const char *key, int64_t value,
                 vs_ds_done_fn done, void *arg)
{
    o->stats.sets++;
    request *r = request_new(o, from, OP_SET, store, key);
    r->operand = value;
    r->done = done;
    r->arg = arg;
    send(o, r, NULL);
}

void ordered_increment(ordered *o, endpoint *from, const char *store, const char *key,
                       int64_t delta, vs_ds_done_fn done, void *arg)
{
    o->stats.increments++;
    request *r = request_new(o, from, OP_INCREMENT, store, key);
    r->operand = delta;
    r->done = done;
    r->arg = arg;
    send(o, r, NULL);
}

void ordered_remove(ordered *o, endpoint *from, const char *store, const char *key,
                    vs_ds_done_fn done, void *arg)
{
    o->stats.removes++;
    request *r = request_new(o, from, OP_REMOVE, store, key);
    r->done = done;
    r->arg = arg;
    send(o, r, NULL);
}

void ordered_get_sorted(ordered *o, endpoint *from, const char *store, bool ascending,
                        size_t page_size, int64_t min, int64_t max, const char *cursor,
                        vs_ods_page_fn done, void *arg)
{
    o->stats.sorted_gets++;
    request *r = request_new(o, from, OP_SORTED, store, NULL);
    r->ascending = ascending;
    r->page_size = page_size;
    r->min = min;
    r->max = max;
    r->page_done = done;
    r->arg = arg;
    send(o, r, cursor);
}
