/* fake_platform.c: requests and timers that wait for the test. */
#include "tests/support/fake_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vs_time_us fake_now(void *ctx)
{
    fake_platform *fp = ctx;
    return fp->now_us + fp->wall_offset_us;
}

static const char *fake_name(void *ctx)
{
    (void)ctx;
    return "fake.1#1";
}

static uint64_t fake_random(void *ctx)
{
    fake_platform *fp = ctx;
    uint64_t z = (fp->random_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void too_many(const char *what)
{
    fprintf(stderr, "fake_platform: too many %s\n", what);
    abort();
}

static vs_timer_id fake_timer_start(void *ctx, vs_time_us delay_us, vs_timer_fn fn, void *arg)
{
    fake_platform *fp = ctx;
    if (fp->timer_count == sizeof fp->timers / sizeof fp->timers[0])
        too_many("timers");
    fp->timers[fp->timer_count] = (fake_timer){fp->now_us + (delay_us > 0 ? delay_us : 0), fn, arg, true};
    return ++fp->timer_count; /* ids are index + 1 */
}

static void fake_timer_cancel(void *ctx, vs_timer_id id)
{
    fake_platform *fp = ctx;
    if (id >= 1 && id <= fp->timer_count)
        fp->timers[id - 1].active = false;
}

static fake_request *add_request(fake_platform *fp, int kind, const char *key)
{
    if (fp->request_count == FAKE_MAX)
        too_many("requests");
    fake_request *r = &fp->requests[fp->request_count++];
    *r = (fake_request){.kind = kind, .open = true};
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

static void fake_get(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_GET, key);
    snprintf(r->store, sizeof r->store, "%s", store);
    r->done = done;
    r->arg = arg;
}

static void fake_set(void *ctx, const char *store, const char *key, vs_value *value,
                     vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_SET, key);
    snprintf(r->store, sizeof r->store, "%s", store);
    r->set_value = value;
    r->done = done;
    r->arg = arg;
}

static void fake_update(void *ctx, const char *store, const char *key, vs_ds_transform_fn transform,
                        void *transform_arg, vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_UPDATE, key);
    snprintf(r->store, sizeof r->store, "%s", store);
    r->transform = transform;
    r->transform_arg = transform_arg;
    r->done = done;
    r->arg = arg;
}

static void fake_list_versions(void *ctx, const char *store, const char *key, bool descending,
                               vs_time_us min_us, vs_time_us max_us, size_t limit,
                               vs_ds_versions_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_LIST, key);
    snprintf(r->store, sizeof r->store, "%s", store);
    (void)min_us; /* versions' times are not modelled (see answer()) */
    (void)max_us;
    r->versions_done = done;
    r->descending = descending;
    r->limit = limit;
    r->arg = arg;
}

/* ---- OrderedDataStore ---- */

#define ODS_VALUE_MAX (INT64_C(1) << 53) /* values stay exact as doubles (sim/ordered.h) */

static fake_request *add_ods_request(fake_platform *fp, int kind, const char *store, const char *key)
{
    fake_request *r = add_request(fp, kind, key ? key : "");
    snprintf(r->store, sizeof r->store, "%s", store ? store : "");
    if (!store || !*store || (key && !*key))
        r->refused = VS_DS_KeyNameEmpty;
    else if (strlen(store) > 50 || (key && strlen(key) > 50))
        r->refused = VS_DS_KeyNameLimit;
    return r;
}

static void fake_ods_get(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_ods_request(ctx, FAKE_ODS_GET, store, key);
    r->done = done;
    r->arg = arg;
}

static void fake_ods_set(void *ctx, const char *store, const char *key, int64_t value,
                         vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_ods_request(ctx, FAKE_ODS_SET, store, key);
    r->ods_value = value;
    if (!r->refused && (value > ODS_VALUE_MAX || value < -ODS_VALUE_MAX))
        r->refused = VS_DS_CantStoreValue;
    r->done = done;
    r->arg = arg;
}

static void fake_ods_increment(void *ctx, const char *store, const char *key, int64_t delta,
                               vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_ods_request(ctx, FAKE_ODS_INCREMENT, store, key);
    r->ods_value = delta;
    if (!r->refused && (delta > ODS_VALUE_MAX || delta < -ODS_VALUE_MAX))
        r->refused = VS_DS_CantStoreValue;
    r->done = done;
    r->arg = arg;
}

static void fake_ods_remove(void *ctx, const char *store, const char *key, vs_ds_done_fn done,
                            void *arg)
{
    fake_request *r = add_ods_request(ctx, FAKE_ODS_REMOVE, store, key);
    r->done = done;
    r->arg = arg;
}

static void fake_ods_sorted(void *ctx, const char *store, bool ascending, size_t page_size,
                            int64_t min, int64_t max, const char *cursor, vs_ods_page_fn done,
                            void *arg)
{
    fake_request *r = add_ods_request(ctx, FAKE_ODS_SORTED, store, NULL);
    r->ascending = ascending;
    r->page_size = page_size;
    r->min = min;
    r->max = max;
    r->has_cursor = cursor != NULL;
    if (cursor && snprintf(r->cursor, sizeof r->cursor, "%s", cursor) >= (int)sizeof r->cursor)
        r->cursor[0] = '\0'; /* too long to be one of ours: refused at completion */
    if (!r->refused && (page_size < 1 || page_size > FAKE_ODS_PAGE_MAX))
        r->refused = VS_DS_PageSizeInvalid;
    else if (!r->refused && max < min)
        r->refused = VS_DS_MaxValueInvalid;
    r->page_done = done;
    r->arg = arg;
}

static void fake_publish(void *ctx, const char *topic, const char *data, size_t len,
                         vs_status_fn done, void *arg)
{
    fake_platform *fp = ctx;
    if (fp->published_count == FAKE_MAX)
        too_many("messages");
    fake_message *m = &fp->published[fp->published_count++];
    snprintf(m->topic, sizeof m->topic, "%s", topic);
    snprintf(m->data, sizeof m->data, "%.*s", (int)len, data);
    if (done)
        done(arg, 0, "ok");
}

static vs_sub_id fake_subscribe(void *ctx, const char *topic, vs_msg_fn fn, void *arg, int *code)
{
    fake_platform *fp = ctx;
    if (fp->sub_count == sizeof fp->subs / sizeof fp->subs[0])
        too_many("subscriptions");
    fp->subs[fp->sub_count].fn = fn;
    fp->subs[fp->sub_count].arg = arg;
    snprintf(fp->subs[fp->sub_count].topic, sizeof fp->subs[fp->sub_count].topic, "%s", topic);
    fp->sub_count++;
    if (code)
        *code = 0;
    return fp->sub_count; /* ids from 1 */
}

static void fake_unsubscribe(void *ctx, vs_sub_id id)
{
    fake_platform *fp = ctx;
    if (id >= 1 && id <= fp->sub_count)
        fp->subs[id - 1].fn = NULL;
}

static void fake_emit(void *ctx, const vs_event *event)
{
    fake_platform *fp = ctx;
    if (fp->event_count < FAKE_MAX) {
        fp->events[fp->event_count] = event->kind;
        fp->event_users[fp->event_count] = event->user_id;
        fp->event_codes[fp->event_count] = event->code;
        fp->event_count++;
    }
}

static const vs_platform_ops fake_ops = {
    .server_name = fake_name,
    .now = fake_now,
    .random_bits = fake_random,
    .timer_start = fake_timer_start,
    .timer_cancel = fake_timer_cancel,
    .ds_get = fake_get,
    .ds_get_uncached = fake_get,
    .ds_set = fake_set,
    .ds_update = fake_update,
    .ds_list_versions = fake_list_versions,
    .ods_get = fake_ods_get,
    .ods_set = fake_ods_set,
    .ods_increment = fake_ods_increment,
    .ods_remove = fake_ods_remove,
    .ods_get_sorted = fake_ods_sorted,
    .msg_publish = fake_publish,
    .msg_subscribe = fake_subscribe,
    .msg_unsubscribe = fake_unsubscribe,
    .emit = fake_emit,
};

void fake_init(fake_platform *fp)
{
    memset(fp, 0, sizeof *fp);
    fp->platform = (vs_platform){.ops = &fake_ops, .ctx = fp};
}

void fake_free(fake_platform *fp)
{
    for (size_t i = 0; i < fp->request_count; i++)
        vs_free(fp->requests[i].set_value);
    for (size_t i = 0; i < fp->entry_count; i++)
        vs_free(fp->entries[i].value);
}

static fake_entry *find_entry(fake_platform *fp, const char *key, bool create)
{
    for (size_t i = 0; i < fp->entry_count; i++)
        if (strcmp(fp->entries[i].key, key) == 0)
            return &fp->entries[i];
    if (!create)
        return NULL;
    if (fp->entry_count == FAKE_MAX)
        too_many("keys");
    fake_entry *e = &fp->entries[fp->entry_count++];
    *e = (fake_entry){0};
    snprintf(e->key, sizeof e->key, "%s", key);
    e->info.created_us = fp->now_us;
    return e;
}

size_t fake_open_requests(const fake_platform *fp)
{
    size_t n = 0;
    for (size_t i = 0; i < fp->request_count; i++)
        n += fp->requests[i].open;
    return n;
}

fake_request *fake_request_at(fake_platform *fp, size_t i)
{
    return i < fp->request_count ? &fp->requests[i] : NULL;
}

size_t fake_oldest_open(const fake_platform *fp)
{
    for (size_t i = 0; i < fp->request_count; i++)
        if (fp->requests[i].open)
            return i;
    return (size_t)-1;
}

static void store_value(fake_platform *fp, const char *key, vs_value *value)
{
    fake_entry *e = find_entry(fp, key, true);
    vs_free(e->value);
    e->value = value;
    e->info.version++;
    e->info.updated_us = fp->now_us;
    e->versions++;
    e->last_removed = false;
}

void fake_remove(fake_platform *fp, const char *key)
{
    fake_entry *e = find_entry(fp, key, true);
    vs_free(e->value);
    e->value = NULL;
    e->info.version++;
    e->info.updated_us = fp->now_us;
    e->versions++;
    e->last_removed = true;
}

/* ---- OrderedDataStore: applying and answering ---- */

static fake_ods_entry *find_ods(fake_platform *fp, const char *store, const char *key, bool create)
{
    for (size_t i = 0; i < fp->ordered_count; i++)
        if (strcmp(fp->ordered[i].store, store) == 0 && strcmp(fp->ordered[i].key, key) == 0)
            return &fp->ordered[i];
    if (!create)
        return NULL;
    if (fp->ordered_count == FAKE_MAX)
        too_many("ordered keys");
    fake_ods_entry *e = &fp->ordered[fp->ordered_count++];
    *e = (fake_ods_entry){0};
    snprintf(e->store, sizeof e->store, "%s", store);
    snprintf(e->key, sizeof e->key, "%s", key);
    return e;
}

static void ods_apply(fake_platform *fp, fake_request *r)
{
    if (r->refused)
        return;
    fake_ods_entry *e = find_ods(fp, r->store, r->key, false);
    switch (r->kind) {
    case FAKE_ODS_SET:
        find_ods(fp, r->store, r->key, true)->value = r->ods_value;
        break;
    case FAKE_ODS_INCREMENT: {
        int64_t next = (e ? e->value : 0) + r->ods_value; /* both within 2^53: no overflow */
        if (next > ODS_VALUE_MAX || next < -ODS_VALUE_MAX) {
            r->refused = VS_DS_CantStoreValue;
            return;
        }
        find_ods(fp, r->store, r->key, true)->value = next;
        r->ods_value = next;
        break;
    }
    case FAKE_ODS_REMOVE:
        r->ods_found = e != NULL;
        if (e) {
            r->ods_value = e->value;
            size_t at = (size_t)(e - fp->ordered);
            memmove(e, e + 1, (fp->ordered_count - at - 1) * sizeof *e);
            fp->ordered_count--;
        }
        break;
    default: /* get and sorted read at completion */
        break;
    }
}

/* The sort order of GetSortedAsync (ascending): by value, ties by key. */
static int ods_cmp(int64_t va, const char *ka, int64_t vb, const char *kb)
{
    if (va != vb)
        return va < vb ? -1 : 1;
    return strcmp(ka, kb);
}

static int ods_sort_cmp(const void *a, const void *b)
{
    const fake_ods_entry *x = *(const fake_ods_entry *const *)a, *y = *(const fake_ods_entry *const *)b;
    return ods_cmp(x->value, x->key, y->value, y->key);
}

/* Cursors: "fake:<value>:<key>", the last entry of a page. */
static bool parse_cursor(const char *c, int64_t *value, const char **key)
{
    if (strncmp(c, "fake:", 5) != 0)
        return false;
    char *end;
    long long v = strtoll(c + 5, &end, 10);
    if (end == c + 5 || *end != ':')
        return false;
    *value = v;
    *key = end + 1;
    return true;
}

static void ods_answer_page(fake_platform *fp, fake_request *r, int code)
{
    vs_ods_page page = {.code = code, .message = code ? "injected error" : "ok"};
    if (code == 0 && r->refused) {
        page.code = r->refused;
        page.message = "refused by the fake";
    }
    int64_t cur_value = 0;
    const char *cur_key = NULL;
    if (page.code == 0 && r->has_cursor && !parse_cursor(r->cursor, &cur_value, &cur_key)) {
        page.code = VS_DS_CursorInvalid;
        page.message = "the cursor was not made by the fake";
    }
    const fake_ods_entry **order = NULL;
    vs_ods_entry *items = NULL;
    char *next = NULL;
    if (page.code == 0) { /* page_size is 1..FAKE_ODS_PAGE_MAX here */
        order = calloc(fp->ordered_count + 1, sizeof *order);
        items = calloc(r->page_size, sizeof *items);
        if (!order || !items)
            too_many("sorted entries (no memory)");
        size_t n = 0;
        for (size_t i = 0; i < fp->ordered_count; i++) {
            const fake_ods_entry *e = &fp->ordered[i];
            if (strcmp(e->store, r->store) == 0 && e->value >= r->min && e->value <= r->max)
                order[n++] = e;
        }
        qsort(order, n, sizeof *order, ods_sort_cmp);
        size_t count = 0;
        for (size_t j = 0; j < n; j++) {
            const fake_ods_entry *e = order[r->ascending ? j : n - 1 - j];
            if (cur_key) { /* strictly after the cursor in the requested order */
                int c = ods_cmp(e->value, e->key, cur_value, cur_key);
                if (r->ascending ? c <= 0 : c >= 0)
                    continue;
            }
            if (count == r->page_size) { /* one more in range: the page is not the last */
                const vs_ods_entry *last = &items[count - 1];
                size_t len = strlen(last->key) + 32;
                next = malloc(len);
                if (!next)
                    too_many("cursors (no memory)");
                snprintf(next, len, "fake:%lld:%s", (long long)last->value, last->key);
                break;
            }
            items[count++] = (vs_ods_entry){.key = e->key, .value = e->value};
        }
        page.entries = items;
        page.count = count;
        page.next_cursor = next;
    }
    r->page_done(r->arg, &page);
    free(next);
    free(items);
    free(order);
}

static void ods_answer(fake_platform *fp, fake_request *r, int code)
{
    if (r->kind == FAKE_ODS_SORTED) {
        ods_answer_page(fp, r, code);
        return;
    }
    vs_key_info none = {0};
    vs_ds_result res = {.code = code, .message = code ? "injected error" : "ok", .info = &none};
    if (code == 0 && r->refused) {
        res.code = r->refused;
        res.message = "refused by the fake";
    }
    vs_value *v = NULL;
    if (res.code == 0) {
        const fake_ods_entry *e = find_ods(fp, r->store, r->key, false);
        if (r->kind == FAKE_ODS_GET && e)
            v = vs_new_number((double)e->value);
        else if (r->kind == FAKE_ODS_SET || r->kind == FAKE_ODS_INCREMENT)
            v = vs_new_number((double)r->ods_value);
        else if (r->kind == FAKE_ODS_REMOVE && r->ods_found)
            v = vs_new_number((double)r->ods_value);
        res.value = v;
    }
    if (r->done)
        r->done(r->arg, &res);
    vs_free(v);
}

/* Applies request r; returns whether an update's transform cancelled. */
static bool apply(fake_platform *fp, fake_request *r)
{
    if (r->kind >= FAKE_ODS_GET) {
        ods_apply(fp, r);
        return false;
    }
    fake_entry *e = find_entry(fp, r->key, false);
    vs_key_info none = {0};
    if (r->kind == FAKE_SET) {
        store_value(fp, r->key, r->set_value);
        r->set_value = NULL;
    } else if (r->kind == FAKE_UPDATE) {
        bool hide = fp->nil_reads;
        vs_ds_write out = {0};
        bool write = r->transform(r->transform_arg, e && !hide ? e->value : NULL,
                                  e && !hide ? &e->info : &none, &out);
        vs_free(out.user_ids);
        vs_free(out.metadata);
        if (!write) {
            vs_free(out.value);
            return true;
        }
        store_value(fp, r->key, out.value);
    }
    return false;
}

static void answer(fake_platform *fp, fake_request *r, int code, bool cancelled)
{
    if (r->kind >= FAKE_ODS_GET) {
        ods_answer(fp, r, code);
        return;
    }
    fake_entry *e = find_entry(fp, r->key, false);
    vs_key_info none = {0};
    if (r->kind == FAKE_LIST) {
        /* Versions 1..n, oldest first unless descending; only the newest can be a tombstone.
         * Creation times are not modelled beyond the key's own (created, updated). */
        size_t n = code == 0 && e ? (size_t)e->versions : 0;
        if (r->limit && n > r->limit)
            n = r->limit;
        vs_ds_version *items = calloc(n ? n : 1, sizeof *items);
        if (!items)
            too_many("versions (no memory)");
        for (size_t k = 0; k < n; k++) {
            int64_t v = r->descending ? e->versions - (int64_t)k : (int64_t)k + 1;
            items[k] = (vs_ds_version){.version = v,
                                       .created_us = v == e->versions ? e->info.updated_us : e->info.created_us,
                                       .deleted = v == e->versions && e->last_removed};
        }
        vs_ds_versions res = {.code = code, .message = code ? "injected error" : "ok", .items = items,
                              .count = n};
        r->versions_done(r->arg, &res);
        free(items);
        return;
    }
    vs_ds_result res = {.code = code, .message = code ? "injected error" : "ok", .cancelled = cancelled,
                        .info = &none};
    if (code == 0 && !cancelled && e) {
        res.value = r->kind == FAKE_GET && fp->nil_reads ? NULL : e->value;
        res.info = &e->info;
    }
    if (r->done)
        r->done(r->arg, &res);
}

static fake_request *take_open(fake_platform *fp, size_t i)
{
    fake_request *r = fake_request_at(fp, i);
    if (!r || !r->open) {
        fprintf(stderr, "fake_platform: request %zu is not open\n", i);
        abort();
    }
    r->open = false;
    return r;
}

void fake_complete(fake_platform *fp, size_t i, int code)
{
    fake_request *r = take_open(fp, i);
    bool cancelled;
    if (r->applied)
        cancelled = code == 0 && r->cancelled; /* committed earlier by fake_commit */
    else
        cancelled = code == 0 && apply(fp, r);
    answer(fp, r, code, cancelled);
}

void fake_complete_ambiguous(fake_platform *fp, size_t i, int code)
{
    fake_request *r = take_open(fp, i);
    if (!r->applied)
        apply(fp, r);
    answer(fp, r, code, false);
}

void fake_commit(fake_platform *fp, size_t i)
{
    fake_request *r = take_open(fp, i);
    r->open = true; /* still waiting for its answer */
    if (r->applied) {
        fprintf(stderr, "fake_platform: request %zu was committed already\n", i);
        abort();
    }
    r->cancelled = apply(fp, r);
    r->applied = true;
}

void fake_conflict(fake_platform *fp, size_t i)
{
    fake_request *r = take_open(fp, i);
    r->open = true;
    if (r->kind != FAKE_UPDATE || r->applied) {
        fprintf(stderr, "fake_platform: request %zu is not an update still to run\n", i);
        abort();
    }
    fake_entry *e = find_entry(fp, r->key, false);
    vs_key_info none = {0};
    bool hide = fp->nil_reads;
    vs_ds_write out = {0};
    r->transform(r->transform_arg, e && !hide ? e->value : NULL, e && !hide ? &e->info : &none, &out);
    vs_free(out.value);
    vs_free(out.user_ids);
    vs_free(out.metadata);
}

void fake_complete_all(fake_platform *fp)
{
    for (int guard = 0; guard < FAKE_MAX; guard++) {
        size_t i = fake_oldest_open(fp);
        if (i == (size_t)-1)
            return;
        fake_complete(fp, i, 0);
    }
}

void fake_advance(fake_platform *fp, vs_time_us us)
{
    vs_time_us end = fp->now_us + us;
    for (;;) {
        size_t best = (size_t)-1;
        for (size_t i = 0; i < fp->timer_count; i++)
            if (fp->timers[i].active && fp->timers[i].due_us <= end &&
                (best == (size_t)-1 || fp->timers[i].due_us < fp->timers[best].due_us))
                best = i;
        if (best == (size_t)-1)
            break;
        fake_timer *t = &fp->timers[best];
        t->active = false;
        if (t->due_us > fp->now_us)
            fp->now_us = t->due_us;
        t->fn(t->arg);
    }
    fp->now_us = end;
}

void fake_run(fake_platform *fp, vs_time_us us)
{
    vs_time_us end = fp->now_us + us;
    for (int guard = 0; guard < 100000; guard++) {
        fake_complete_all(fp);
        size_t best = (size_t)-1;
        for (size_t i = 0; i < fp->timer_count; i++)
            if (fp->timers[i].active && fp->timers[i].due_us <= end &&
                (best == (size_t)-1 || fp->timers[i].due_us < fp->timers[best].due_us))
                best = i;
        if (best == (size_t)-1)
            break;
        fake_timer *t = &fp->timers[best];
        t->active = false;
        if (t->due_us > fp->now_us)
            fp->now_us = t->due_us;
        t->fn(t->arg);
    }
    fake_complete_all(fp);
    fp->now_us = end;
}

size_t fake_active_timers(const fake_platform *fp)
{
    size_t n = 0;
    for (size_t i = 0; i < fp->timer_count; i++)
        n += fp->timers[i].active;
    return n;
}

const vs_value *fake_stored(const fake_platform *fp, const char *key)
{
    for (size_t i = 0; i < fp->entry_count; i++)
        if (strcmp(fp->entries[i].key, key) == 0)
            return fp->entries[i].value;
    return NULL;
}

void fake_put(fake_platform *fp, const char *key, vs_value *value)
{
    store_value(fp, key, value);
}

size_t fake_event_count(const fake_platform *fp, vs_event_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fp->event_count; i++)
        n += fp->events[i] == kind;
    return n;
}

int fake_event_code(const fake_platform *fp, vs_event_kind kind)
{
    for (size_t i = fp->event_count; i-- > 0;)
        if (fp->events[i] == kind)
            return fp->event_codes[i];
    return -1;
}

void fake_deliver(fake_platform *fp, const char *topic, const char *data)
{
    for (size_t i = 0; i < fp->sub_count; i++)
        if (fp->subs[i].fn && strcmp(topic, fp->subs[i].topic) == 0)
            fp->subs[i].fn(fp->subs[i].arg, topic, data, strlen(data));
}

bool fake_ods_value(const fake_platform *fp, const char *store, const char *key, int64_t *value)
{
    for (size_t i = 0; i < fp->ordered_count; i++)
        if (strcmp(fp->ordered[i].store, store) == 0 && strcmp(fp->ordered[i].key, key) == 0) {
            if (value)
                *value = fp->ordered[i].value;
            return true;
        }
    return false;
}

void fake_ods_put(fake_platform *fp, const char *store, const char *key, int64_t value)
{
    find_ods(fp, store, key, true)->value = value;
}

size_t fake_ods_count(const fake_platform *fp, const char *store)
{
    size_t n = 0;
    for (size_t i = 0; i < fp->ordered_count; i++)
        n += strcmp(fp->ordered[i].store, store) == 0;
    return n;
}

size_t fake_request_count(const fake_platform *fp, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fp->request_count; i++)
        n += fp->requests[i].kind == kind;
    return n;
}
