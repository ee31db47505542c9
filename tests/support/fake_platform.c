/* fake_platform.c: requests that wait for the test to complete them. */
#include "tests/support/fake_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vs_time_us fake_now(void *ctx)
{
    return ((fake_platform *)ctx)->now_us;
}

static uint64_t fake_random(void *ctx)
{
    fake_platform *fp = ctx;
    return fp->random_state += 0x9e3779b97f4a7c15ull;
}

static vs_timer_id fake_timer_start(void *ctx, vs_time_us delay_us, vs_timer_fn fn, void *arg)
{
    (void)ctx, (void)delay_us, (void)fn, (void)arg;
    return 0; /* the first slice of the engine sets no timers */
}

static void fake_timer_cancel(void *ctx, vs_timer_id id)
{
    (void)ctx, (void)id;
}

static fake_request *add_request(fake_platform *fp, int kind, const char *key)
{
    if (fp->request_count == FAKE_MAX) {
        fprintf(stderr, "fake_platform: too many requests\n");
        abort();
    }
    fake_request *r = &fp->requests[fp->request_count++];
    *r = (fake_request){.kind = kind, .open = true};
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

static void fake_get(void *ctx, const char *store, const char *key, vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_GET, key);
    r->done = done;
    r->arg = arg;
}

static void fake_set(void *ctx, const char *store, const char *key, vs_value *value,
                     vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_SET, key);
    r->set_value = value;
    r->done = done;
    r->arg = arg;
}

static void fake_update(void *ctx, const char *store, const char *key, vs_ds_transform_fn transform,
                        void *transform_arg, vs_ds_done_fn done, void *arg)
{
    fake_request *r = add_request(ctx, FAKE_UPDATE, key);
    r->transform = transform;
    r->transform_arg = transform_arg;
    r->done = done;
    r->arg = arg;
}

static void fake_emit(void *ctx, const vs_event *event)
{
    fake_platform *fp = ctx;
    if (fp->event_count < FAKE_MAX)
        fp->events[fp->event_count++] = event->kind;
}

static const vs_platform_ops fake_ops = {
    .now = fake_now,
    .random = fake_random,
    .timer_start = fake_timer_start,
    .timer_cancel = fake_timer_cancel,
    .ds_get = fake_get,
    .ds_set = fake_set,
    .ds_update = fake_update,
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
    if (!create || fp->entry_count == FAKE_MAX)
        return NULL;
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

static void store_value(fake_platform *fp, const char *key, vs_value *value)
{
    fake_entry *e = find_entry(fp, key, true);
    vs_free(e->value);
    e->value = value;
    e->info.version++;
    e->info.updated_us = fp->now_us;
}

void fake_complete(fake_platform *fp, size_t i, int code)
{
    fake_request *r = fake_request_at(fp, i);
    if (!r || !r->open) {
        fprintf(stderr, "fake_platform: request %zu is not open\n", i);
        abort();
    }
    r->open = false;
    vs_ds_result res = {.code = code, .message = code ? "injected error" : "ok"};
    vs_key_info none = {0};
    if (code == 0) {
        fake_entry *e = find_entry(fp, r->key, false);
        if (r->kind == FAKE_SET) {
            store_value(fp, r->key, r->set_value);
            r->set_value = NULL;
        } else if (r->kind == FAKE_UPDATE) {
            vs_ds_write out = {0};
            bool write = r->transform(r->transform_arg, e ? e->value : NULL, e ? &e->info : &none, &out);
            vs_free(out.user_ids);
            vs_free(out.metadata);
            if (write)
                store_value(fp, r->key, out.value);
            else {
                vs_free(out.value);
                res.cancelled = true;
            }
        }
        e = find_entry(fp, r->key, false);
        if (!res.cancelled || r->kind == FAKE_GET) {
            res.value = e ? e->value : NULL;
            res.info = e ? &e->info : &none;
        } else {
            res.info = &none;
        }
    } else {
        res.info = &none;
    }
    if (r->done)
        r->done(r->arg, &res);
}

void fake_complete_all(fake_platform *fp)
{
    for (size_t i = 0; i < fp->request_count; i++)
        if (fp->requests[i].open) {
            fake_complete(fp, i, 0);
            i = (size_t)-1; /* completions may add requests; start again from the oldest */
        }
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
