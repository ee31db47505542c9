/* history.c: the run's records, their fingerprint, and counters over them. */
#include "sim/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"

/* Requests: recorded as invocation + completion; counted as what.outcome. */
static const char *const request_whats[] = {
    "ds.get", "ds.set", "ds.update", "ds.increment", "ds.remove", "ds.list_versions",
    "ds.get_version", "ods.get", "ods.set", "ods.increment", "ods.remove", "ods.get_sorted",
    "msg.publish", "engine.join", "engine.leave", "engine.set", "engine.add", "engine.insert",
    "engine.remove", "engine.edit", "purchase.offer",
};
/* Notes: counted by their what alone. */
static const char *const note_whats[] = {
    "ds.commit", "ds.rerun", "ds.cache_hit", "ds.queued", "msg.delivered", "msg.lost",
    "msg.duplicated", "msg.dropped", "server.start", "server.crash", "server.freeze",
    "server.resume", "server.shutdown", "server.stop", "player.join", "player.leave",
    "client.snapshot", "client.changes", "client.refused",
    "player.teleport", "purchase.bought", "purchase.recorded", "purchase.unrecorded",
    "purchase.no_handler", "purchase.late_reply", "purchase.extra_reply",
};
static const char *const outcomes[] = {"note", "invoke", "ok", "fail", "unknown", "cancelled"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *hist_outcome_name(hist_outcome o)
{
    return (unsigned)o < COUNT(outcomes) ? outcomes[o] : "unknown";
}

void history_init(history *h, world *w)
{
    *h = (history){.w = w, .next_request = 1};
}

void history_free(history *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->items[i].key);
        free(h->items[i].detail);
    }
    free(h->items);
    *h = (history){0};
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The fingerprint sees every field that means something, in a fixed byte layout. */
static void fingerprint(history *h, const hist_record *r)
{
    uint8_t fixed[8 * 6 + 1];
    put_u64(fixed, (uint64_t)r->time_us);
    put_u64(fixed + 8, r->request);
    put_u64(fixed + 16, (uint64_t)(int64_t)r->server);
    put_u64(fixed + 24, (uint64_t)r->player);
    put_u64(fixed + 32, (uint64_t)(int64_t)r->code);
    put_u64(fixed + 40, r->hash ^ (uint64_t)r->version);
    fixed[48] = (uint8_t)r->outcome;
    world_record(h->w, fixed, sizeof fixed);
    world_record(h->w, r->what, strlen(r->what) + 1);
    if (r->key)
        world_record(h->w, r->key, strlen(r->key) + 1);
    if (r->detail)
        world_record(h->w, r->detail, strlen(r->detail) + 1);
}

static hist_record *append(history *h)
{
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        hist_record *p = realloc(h->items, cap * sizeof *p);
        WORLD_ASSERT(h->w, p != NULL);
        h->items = p;
        h->cap = cap;
    }
    hist_record *r = &h->items[h->count++];
    *r = (hist_record){.time_us = h->w->now_us};
    return r;
}

static char *copy_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *p = strdup(s);
    return p;
}

uint64_t history_invoke(history *h, int server, const char *what, int64_t player, const char *key)
{
    hist_record *r = append(h);
    r->request = h->next_request++;
    r->server = server;
    r->what = what;
    r->outcome = HIST_INVOKE;
    r->player = player;
    r->key = copy_or_null(key);
    fingerprint(h, r);
    return r->request;
}

static const hist_record *find_invocation(const history *h, uint64_t request)
{
    /* Requests are numbered in order of invocation, so a binary search over the records of
     * invocations would do; completions come soon after, so searching back is fast too. */
    for (size_t i = h->count; i-- > 0;)
        if (h->items[i].request == request && h->items[i].outcome == HIST_INVOKE)
            return &h->items[i];
    return NULL;
}

void history_complete(history *h, uint64_t request, hist_outcome outcome, int code, const char *detail)
{
    const hist_record *inv = find_invocation(h, request);
    WORLD_ASSERT(h->w, inv != NULL);
    hist_record copy = *inv;
    hist_record *r = append(h);
    r->request = request;
    r->server = copy.server;
    r->what = copy.what;
    r->outcome = outcome;
    r->player = copy.player;
    r->key = copy_or_null(copy.key);
    r->code = code;
    r->detail = copy_or_null(detail);
    fingerprint(h, r);
}

void history_note(history *h, int server, const char *what, int64_t player, const char *key,
                  int code, int64_t version, uint64_t hash, const char *detail)
{
    hist_record *r = append(h);
    r->server = server;
    r->what = what;
    r->outcome = HIST_NOTE;
    r->player = player;
    r->key = copy_or_null(key);
    r->code = code;
    r->version = version;
    r->hash = hash;
    r->detail = copy_or_null(detail);
    fingerprint(h, r);
}

const char *history_event_what(int kind)
{
#define WHAT(id, name) "event." name,
    static const char *const whats[] = {VS_EVENT_TABLE(WHAT)};
#undef WHAT
    return (unsigned)kind < VS_EV_KIND_COUNT ? whats[kind] : "event.unknown";
}

static bool in_list(const char *const *list, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return true;
    return false;
}

static bool is_event_name(const char *name)
{
    if (strncmp(name, "event.", 6) != 0)
        return false;
    for (int k = 0; k < VS_EV_KIND_COUNT; k++)
        if (strcmp(name + 6, vs_event_kind_name((vs_event_kind)k)) == 0)
            return true;
    return false;
}

bool history_counter_valid(const char *name)
{
    if (is_event_name(name) || in_list(note_whats, COUNT(note_whats), name, strlen(name)))
        return true;
    const char *dot = strrchr(name, '.');
    if (!dot || !in_list(outcomes + HIST_OK, COUNT(outcomes) - HIST_OK, dot + 1, strlen(dot + 1)))
        return false;
    size_t len = (size_t)(dot - name);
    return (len == 6 && memcmp(name, "ds.any", 6) == 0) ||
           in_list(request_whats, COUNT(request_whats), name, len);
}

const char *history_counter_names(void)
{
    /* The event names come from the engine's table, so the list cannot fall behind it. */
#define EVENT_NAME(id, name) "event." name ", "
    return "engine events: " VS_EVENT_TABLE(EVENT_NAME) "requests, as <request>.<ok|fail|unknown|cancelled>: "
#undef EVENT_NAME
           "ds.get, ds.set, ds.update, ds.increment, ds.remove, ds.list_versions, "
           "ds.get_version, ds.any, ods.get, ods.set, ods.increment, ods.remove, ods.get_sorted, "
           "msg.publish, engine.join, engine.leave, engine.set, engine.add, engine.insert, "
           "engine.remove, engine.edit, purchase.offer; and ds.commit, ds.rerun, ds.cache_hit, "
           "ds.queued, msg.delivered, msg.lost, msg.duplicated, msg.dropped, server.start, "
           "server.crash, server.freeze, server.resume, server.shutdown, server.stop, "
           "player.join, player.leave, player.teleport, client.snapshot, client.changes, "
           "client.refused, purchase.bought, purchase.recorded, "
           "purchase.unrecorded, purchase.no_handler, purchase.late_reply, purchase.extra_reply";
}

static bool matches(const hist_record *r, const char *name)
{
    if (r->outcome == HIST_NOTE)
        return strcmp(r->what, name) == 0;
    if (r->outcome == HIST_INVOKE)
        return false;
    const char *dot = strrchr(name, '.');
    if (!dot || strcmp(dot + 1, hist_outcome_name(r->outcome)) != 0)
        return false;
    size_t len = (size_t)(dot - name);
    if (len == 6 && memcmp(name, "ds.any", 6) == 0)
        return strncmp(r->what, "ds.", 3) == 0;
    return strlen(r->what) == len && memcmp(r->what, name, len) == 0;
}

int64_t history_count(const history *h, const char *name, int64_t player, int server)
{
    int64_t n = 0;
    for (size_t i = 0; i < h->count; i++) {
        const hist_record *r = &h->items[i];
        if ((player == 0 || r->player == player) && (server == 0 || r->server == server) &&
            matches(r, name))
            n++;
    }
    return n;
}
