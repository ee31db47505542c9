/* world.c: virtual time, the run loop and the fingerprint. */
#include "sim/world.h"

#include <string.h>
#include <xxhash.h>

bool world_init(world *w, uint64_t seed)
{
    *w = (world){.seed = seed};
    evq_init(&w->queue);
    XXH3_state_t *state = XXH3_createState();
    if (!state)
        return false;
    XXH3_128bits_reset(state);
    w->fingerprint_state = state;
    uint8_t seed_bytes[8];
    for (int i = 0; i < 8; i++)
        seed_bytes[i] = (uint8_t)(seed >> (8 * i));
    world_record(w, seed_bytes, sizeof seed_bytes);
    return true;
}

void world_free(world *w)
{
    evq_free(&w->queue);
    XXH3_freeState(w->fingerprint_state);
    w->fingerprint_state = NULL;
}

evq_id world_at_owned(world *w, int64_t time_us, const char *label, evq_fn fn, evq_fn drop, void *arg)
{
    if (time_us < w->now_us)
        time_us = w->now_us;
    evq_id id = evq_push(&w->queue, time_us, label, fn, drop, arg);
    WORLD_ASSERT(w, id != 0);
    return id;
}

evq_id world_at(world *w, int64_t time_us, const char *label, evq_fn fn, void *arg)
{
    return world_at_owned(w, time_us, label, fn, NULL, arg);
}

evq_id world_after(world *w, int64_t delay_us, const char *label, evq_fn fn, void *arg)
{
    if (delay_us < 0)
        delay_us = 0;
    return world_at(w, w->now_us + delay_us, label, fn, arg);
}

bool world_cancel(world *w, evq_id id, void **arg_out)
{
    return evq_cancel(&w->queue, id, arg_out);
}

void world_stream(const world *w, const char *name, rng *out)
{
    rng_seed(out, w->seed, name);
}

void world_record(world *w, const void *bytes, size_t len)
{
    XXH3_128bits_update(w->fingerprint_state, bytes, len);
}

static void record_event(world *w, const evq_event *ev)
{
    /* Fixed little-endian layout so the fingerprint does not depend on the host. */
    uint8_t head[16];
    for (int i = 0; i < 8; i++) {
        head[i] = (uint8_t)((uint64_t)ev->time_us >> (8 * i));
        head[8 + i] = (uint8_t)(ev->seq >> (8 * i));
    }
    world_record(w, head, sizeof head);
    if (ev->label)
        world_record(w, ev->label, strlen(ev->label) + 1);
}

uint64_t world_run_until(world *w, int64_t until_us, bool stop_when_idle)
{
    uint64_t ran = 0;
    evq_event ev;
    while (evq_peek_time(&w->queue) <= until_us && evq_pop(&w->queue, &ev)) {
        WORLD_ASSERT(w, ev.time_us >= w->now_us);
        w->now_us = ev.time_us;
        record_event(w, &ev);
        w->events_run++;
        ran++;
        ev.fn(ev.arg);
    }
    if (!(stop_when_idle && evq_len(&w->queue) == 0) && until_us > w->now_us)
        w->now_us = until_us;
    return ran;
}

void world_fingerprint(const world *w, char hex[33])
{
    XXH128_hash_t h = XXH3_128bits_digest(w->fingerprint_state);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, h);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[canon.digest[i] >> 4];
        hex[2 * i + 1] = digits[canon.digest[i] & 15];
    }
    hex[32] = '\0';
}

void world_format_time(int64_t us, char *buf, size_t size)
{
    const char *sign = us < 0 ? "-" : "";
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    uint64_t whole = mag / 1000000, frac = mag % 1000000;
    if (frac == 0) {
        snprintf(buf, size, "%s%llus", sign, (unsigned long long)whole);
        return;
    }
    char digits[8];
    snprintf(digits, sizeof digits, "%06llu", (unsigned long long)frac);
    for (int i = 5; i > 0 && digits[i] == '0'; i--)
        digits[i] = '\0';
    snprintf(buf, size, "%s%llu.%ss", sign, (unsigned long long)whole, digits);
}
