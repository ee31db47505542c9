/* leaderboard.c: mirroring a profile number into an OrderedDataStore; reading the top n.
 *
 * Kept true: players[] is sorted by user id, one entry per id; a player with a write in
 * flight or queued is never removed; in_flight counts exactly the requests sent and not yet
 * answered. No callback of the caller runs while the board's state is half updated: every
 * completion first settles the board, then calls the waiters from a request the board no
 * longer points to, so a callback may mirror again, forget, or free the board. */
#include "core/leaderboard.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

#define DEFAULT_PREFIX "Player_"
#define PREFIX_MAX 30 /* 50-character keys minus the 20 of the longest id ("-9223372036854775808") */
#define DEFAULT_CACHE_MAX 1024

typedef struct waiter {
    vs_leaderboard_done_fn done;
    void *arg;
} waiter;

/* One ods_set of one player's value: in flight, or queued behind the one in flight. */
typedef struct write_req {
    vs_leaderboard *lb;
    vs_platform platform; /* the one to send a queued write with (the latest mirror's) */
    int64_t user_id;
    int64_t value;
    waiter *waiters;
    size_t count, cap;
} write_req;

typedef struct player {
    int64_t user_id;
    bool has_value;      /* value was written successfully and nothing failed since */
    int64_t value;
    uint64_t used;       /* the board's tick at the last mirror: picks whom to forget */
    bool forget;         /* remove once no write is in flight */
    write_req *inflight; /* sent, not answered */
    write_req *queued;   /* waits for inflight; only when inflight is set */
} player;

/* One vs_leaderboard_top in progress. */
typedef struct top_req {
    struct top_req *prev, *next; /* in lb->tops */
    vs_leaderboard *lb;
    vs_platform platform;
    size_t n;
    bool ascending;
    vs_leaderboard_top_fn done;
    void *arg;
    vs_leaderboard_entry *entries;
    size_t count, cap;
    int64_t *seen; /* the ids of entries[0..seen_count), sorted: duplicates across pages */
    size_t seen_count, seen_cap;
    size_t pages;  /* pages asked for */
} top_req;

struct vs_leaderboard {
    char *store;
    vs_path path;
    char *prefix;
    size_t prefix_len;
    vs_leaderboard_rounding rounding;
    size_t cache_max;
    size_t page_size;
    player *players; /* sorted by user_id */
    size_t count, cap;
    uint64_t tick;
    size_t in_flight;
    top_req *tops;  /* reads in progress, so that freeing the board frees them too */
};

/* ---- creation ---- */

vs_status vs_leaderboard_new(const vs_leaderboard_config *config, vs_leaderboard **out)
{
    *out = NULL;
    if (!config || !config->store || !*config->store || !config->path || config->path->count == 0)
        return VS_ERR_ARG;
    const char *prefix = config->key_prefix ? config->key_prefix : DEFAULT_PREFIX;
    if (strlen(prefix) > PREFIX_MAX || config->page_size > VS_LEADERBOARD_PAGE_MAX)
        return VS_ERR_ARG;
    if (config->rounding != VS_LEADERBOARD_REFUSE && config->rounding != VS_LEADERBOARD_ROUND &&
        config->rounding != VS_LEADERBOARD_FLOOR)
        return VS_ERR_ARG;
    vs_leaderboard *lb = calloc(1, sizeof *lb);
    if (!lb)
        return VS_ERR_NOMEM;
    lb->store = strdup(config->store);
    lb->prefix = strdup(prefix);
    if (!lb->store || !lb->prefix || vs_path_copy(config->path, &lb->path) != VS_OK) {
        vs_leaderboard_free(lb);
        return VS_ERR_NOMEM;
    }
    lb->prefix_len = strlen(prefix);
    lb->rounding = config->rounding;
    lb->cache_max = config->cache_max ? config->cache_max : DEFAULT_CACHE_MAX;
    lb->page_size = config->page_size ? config->page_size : VS_LEADERBOARD_PAGE_MAX;
    *out = lb;
    return VS_OK;
}

static void free_top(top_req *t);

static void free_write(write_req *w)
{
    if (w) {
        free(w->waiters);
        free(w);
    }
}

void vs_leaderboard_free(vs_leaderboard *lb)
{
    if (!lb)
        return;
    /* Requests still in flight belong to a stopped platform (see the header): their memory
     * goes with the board. */
    for (size_t i = 0; i < lb->count; i++) {
        free_write(lb->players[i].inflight);
        free_write(lb->players[i].queued);
    }
    while (lb->tops) {
        top_req *t = lb->tops;
        lb->tops = t->next;
        free_top(t);
    }
    free(lb->players);
    free(lb->store);
    free(lb->prefix);
    vs_path_free(&lb->path);
    free(lb);
}

/* ---- keys ---- */

void vs_leaderboard_key(const vs_leaderboard *lb, int64_t user_id, char *buf, size_t size)
{
    snprintf(buf, size, "%s%" PRId64, lb->prefix, user_id);
}

bool vs_leaderboard_parse_key(const vs_leaderboard *lb, const char *key, int64_t *user_id)
{
    if (!key || strncmp(key, lb->prefix, lb->prefix_len) != 0)
        return false;
    const char *s = key + lb->prefix_len;
    bool negative = *s == '-';
    const char *digits = s + negative;
    size_t len = strlen(digits);
    /* Exactly what PRId64 writes: digits only, no leading zero, no "-0". */
    if (len == 0 || len > 19 || (digits[0] == '0' && (len > 1 || negative)))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(digits[i] - '0'); /* 19 digits cannot overflow 64 bits */
    }
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (v > limit)
        return false;
    *user_id = negative ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* ---- the value ---- */

/* The node at p (NULL when missing), with VS_ERR_TYPE when a node on the way is a scalar:
 * "Stats.Wins" with Stats = 5 is a mistake to report, not a player without wins. */
static vs_status find(const vs_value *root, const vs_path *p, const vs_value **out)
{
    *out = vs_path_get(root, p);
    if (*out)
        return VS_OK;
    for (size_t i = p->count; i-- > 0;) {
        vs_path prefix = {i, p->keys}; /* a view: shares the keys */
        const vs_value *at = vs_path_get(root, &prefix);
        if (at) {
            vs_type t = vs_type_of(at);
            return t == VS_MAP || t == VS_ARRAY ? VS_OK : VS_ERR_TYPE;
        }
    }
    return VS_OK;
}

vs_status vs_leaderboard_value(const vs_leaderboard *lb, const vs_value *data, int64_t *value,
                               bool *present)
{
    *present = false;
    if (!data)
        return VS_ERR_ARG;
    const vs_value *node;
    vs_status st = find(data, &lb->path, &node);
    if (st != VS_OK || !node || vs_type_of(node) == VS_NIL)
        return st;
    if (vs_type_of(node) != VS_NUMBER)
        return VS_ERR_TYPE;
    double d = vs_number_of(node);
    if (!isfinite(d))
        return VS_ERR_NOT_FINITE;
    if (d != floor(d)) {
        if (lb->rounding == VS_LEADERBOARD_REFUSE)
            return VS_ERR_INVALID;
        d = lb->rounding == VS_LEADERBOARD_ROUND ? round(d) : floor(d);
    }
    /* 2^53 itself is kept (sim/ordered.h refuses only beyond it). */
    if (d > (double)VS_LEADERBOARD_VALUE_MAX || d < -(double)VS_LEADERBOARD_VALUE_MAX)
        return VS_ERR_TOO_LARGE;
    *value = (int64_t)d; /* -0.0 becomes 0 */
    *present = true;
    return VS_OK;
}

/* ---- the per-player cache ---- */

/* The index of user_id in players[], or where it would go. */
static size_t lower_bound(const vs_leaderboard *lb, int64_t user_id)
{
    size_t lo = 0, hi = lb->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lb->players[mid].user_id < user_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static player *find_player(const vs_leaderboard *lb, int64_t user_id)
{
    size_t i = lower_bound(lb, user_id);
    return i < lb->count && lb->players[i].user_id == user_id ? &lb->players[i] : NULL;
}

static void remove_player_at(vs_leaderboard *lb, size_t i)
{
    memmove(&lb->players[i], &lb->players[i + 1], (lb->count - i - 1) * sizeof *lb->players);
    lb->count--;
}

/* At the bound, forgets the idle player mirrored longest ago (ties cannot happen: ticks are
 * unique). Players with writes pending are kept, so the bound is exceeded only by them. */
static void evict_one(vs_leaderboard *lb)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < lb->count; i++) {
        const player *p = &lb->players[i];
        if (!p->inflight && (best == SIZE_MAX || p->used < lb->players[best].used))
            best = i;
    }
    if (best != SIZE_MAX)
        remove_player_at(lb, best);
}

static player *get_player(vs_leaderboard *lb, int64_t user_id)
{
    player *p = find_player(lb, user_id);
    if (p)
        return p;
    if (lb->count >= lb->cache_max)
        evict_one(lb);
    player *grown = vs_grow(lb->players, &lb->cap, sizeof *lb->players, lb->count + 1);
    if (!grown)
        return NULL;
    lb->players = grown;
    size_t i = lower_bound(lb, user_id);
    memmove(&lb->players[i + 1], &lb->players[i], (lb->count - i) * sizeof *lb->players);
    lb->players[i] = (player){.user_id = user_id};
    lb->count++;
    return &lb->players[i];
}

void vs_leaderboard_forget(vs_leaderboard *lb, int64_t user_id)
{
    player *p = find_player(lb, user_id);
    if (!p)
        return;
    if (p->inflight) {
        p->has_value = false;
        p->forget = true;
    } else {
        remove_player_at(lb, (size_t)(p - lb->players));
    }
}

bool vs_leaderboard_cached(const vs_leaderboard *lb, int64_t user_id, int64_t *value)
{
    const player *p = find_player(lb, user_id);
    if (!p || !p->has_value)
        return false;
    if (value)
        *value = p->value;
    return true;
}

size_t vs_leaderboard_cache_count(const vs_leaderboard *lb)
{
    return lb->count;
}

size_t vs_leaderboard_in_flight(const vs_leaderboard *lb)
{
    return lb->in_flight;
}

/* ---- mirroring ---- */

static bool reserve_waiters(write_req *w, size_t more)
{
    if (w->count + more <= w->cap)
        return true;
    waiter *grown = vs_grow(w->waiters, &w->cap, sizeof *w->waiters, w->count + more);
    if (!grown)
        return false;
    w->waiters = grown;
    return true;
}

static void add_waiter(write_req *w, vs_leaderboard_done_fn done, void *arg)
{
    if (done) /* room was reserved */
        w->waiters[w->count++] = (waiter){done, arg};
}

static void on_written(void *arg, const vs_ds_result *result);

static void send_write(vs_leaderboard *lb, player *p, write_req *w)
{
    char key[64];
    vs_leaderboard_key(lb, w->user_id, key, sizeof key);
    p->inflight = w;
    lb->in_flight++;
    /* p may move once the platform is called: not touched after this. */
    w->platform.ops->ods_set(w->platform.ctx, lb->store, key, w->value, on_written, w);
}

static void call_waiters(write_req *w, const vs_leaderboard_error *err)
{
    for (size_t i = 0; i < w->count; i++)
        w->waiters[i].done(w->waiters[i].arg, w->user_id, err);
}

static void on_written(void *arg, const vs_ds_result *result)
{
    write_req *w = arg;
    vs_leaderboard *lb = w->lb;
    lb->in_flight--;
    player *p = find_player(lb, w->user_id); /* kept while a write is in flight */
    bool ok = result->code == VS_DS_OK;
    vs_leaderboard_error err = {.status = VS_ERR_DATASTORE, .code = result->code};
    if (!ok) {
        char key[64];
        vs_leaderboard_key(lb, w->user_id, key, sizeof key);
        snprintf(err.message, sizeof err.message, "ods_set %s = %" PRId64 " failed: error %d: %s", key,
                 w->value, result->code, result->message ? result->message : "");
    }
    p->inflight = NULL;
    /* A failed write may have committed all the same: the board's value is unknown. */
    p->has_value = ok && !p->forget;
    p->value = w->value;
    /* A queued value always differs from the one in flight (mirror folds equal ones into the
     * write in flight), so it is sent whatever this answer was. */
    write_req *q = p->queued;
    p->queued = NULL;
    if (q)
        send_write(lb, p, q);
    else if (p->forget)
        remove_player_at(lb, (size_t)(p - lb->players));
    /* The board is settled and no longer points to w: callbacks may do anything. */
    call_waiters(w, ok ? NULL : &err);
    free_write(w);
}

vs_status vs_leaderboard_mirror(vs_leaderboard *lb, const vs_platform *platform, int64_t user_id,
                                const vs_value *data, vs_leaderboard_done_fn done, void *arg,
                                vs_leaderboard_outcome *outcome)
{
    if (!platform || !data)
        return VS_ERR_ARG;
    int64_t value;
    bool present;
    vs_status st = vs_leaderboard_value(lb, data, &value, &present);
    if (st != VS_OK)
        return st;
    if (!present) {
        if (outcome)
            *outcome = VS_LEADERBOARD_NO_VALUE;
        return VS_OK;
    }
    player *p = get_player(lb, user_id);
    if (!p)
        return VS_ERR_NOMEM;
    p->used = ++lb->tick;
    p->forget = false;
    vs_leaderboard_outcome ignored;
    if (!outcome)
        outcome = &ignored; /* so that every success below can say what it did */

    if (!p->inflight) {
        if (p->has_value && p->value == value) {
            *outcome = VS_LEADERBOARD_UNCHANGED;
            return VS_OK;
        }
        write_req *w = calloc(1, sizeof *w);
        if (!w || !reserve_waiters(w, 1)) {
            free_write(w);
            return VS_ERR_NOMEM;
        }
        w->lb = lb;
        w->platform = *platform;
        w->user_id = user_id;
        w->value = value;
        add_waiter(w, done, arg);
        *outcome = VS_LEADERBOARD_SENT;
        send_write(lb, p, w);
        return VS_OK;
    }

    /* A write is in flight: this value is sent after it, unless it is the one in flight. */
    write_req *q = p->queued;
    if (value == p->inflight->value) {
        /* The queued write (if any) would only repeat what is in flight: its waiters hear the
         * in-flight write's answer instead. */
        if (!reserve_waiters(p->inflight, (q ? q->count : 0) + 1))
            return VS_ERR_NOMEM;
        for (size_t i = 0; q && i < q->count; i++)
            p->inflight->waiters[p->inflight->count++] = q->waiters[i];
        add_waiter(p->inflight, done, arg);
        p->queued = NULL;
        free_write(q);
        *outcome = VS_LEADERBOARD_SENT;
        return VS_OK;
    }
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q || !reserve_waiters(q, 1)) {
            free_write(q);
            return VS_ERR_NOMEM;
        }
        q->lb = lb;
        q->user_id = user_id;
        p->queued = q;
    } else if (!reserve_waiters(q, 1)) {
        return VS_ERR_NOMEM;
    }
    q->platform = *platform;
    q->value = value;
    add_waiter(q, done, arg);
    *outcome = VS_LEADERBOARD_SENT;
    return VS_OK;
}

/* ---- the top n ---- */

static void on_page(void *arg, const vs_ods_page *page);

static void ask_page(top_req *t, const char *cursor)
{
    size_t want = t->n - t->count;
    size_t size = want < t->lb->page_size ? want : t->lb->page_size;
    t->pages++;
    t->lb->in_flight++;
    t->platform.ops->ods_get_sorted(t->platform.ctx, t->lb->store, t->ascending, size, INT64_MIN,
                                    INT64_MAX, cursor, on_page, t);
}

static void free_top(top_req *t)
{
    free(t->entries);
    free(t->seen);
    free(t);
}

static void finish_top(top_req *t, const vs_leaderboard_error *err)
{
    /* Unlinked first: done may free the board. */
    if (t->prev)
        t->prev->next = t->next;
    else
        t->lb->tops = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->done(t->arg, t->entries, t->count, err);
    free_top(t);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* True when id is among entries already kept: the sorted ids of earlier pages, or this
 * page's own (entries[from..count), at most a page). */
static bool seen_before(const top_req *t, size_t from, int64_t id)
{
    if (t->seen_count && bsearch(&id, t->seen, t->seen_count, sizeof *t->seen, cmp_id))
        return true;
    for (size_t i = from; i < t->count; i++)
        if (t->entries[i].user_id == id)
            return true;
    return false;
}

static void on_page(void *arg, const vs_ods_page *page)
{
    top_req *t = arg;
    t->lb->in_flight--;
    vs_leaderboard_error err = {0};
    if (page->code != VS_DS_OK) {
        err.status = VS_ERR_DATASTORE;
        err.code = page->code;
        snprintf(err.message, sizeof err.message,
                 "GetSortedAsync page %zu of %s failed: error %d: %s (%zu players read before it)",
                 t->pages, t->lb->store, page->code, page->message ? page->message : "", t->count);
        finish_top(t, &err);
        return;
    }
    size_t from = t->count;
    for (size_t i = 0; i < page->count && t->count < t->n; i++) {
        int64_t id;
        if (!vs_leaderboard_parse_key(t->lb, page->entries[i].key, &id) || seen_before(t, from, id))
            continue;
        vs_leaderboard_entry *grown = vs_grow(t->entries, &t->cap, sizeof *t->entries, t->count + 1);
        if (!grown) {
            err.status = VS_ERR_NOMEM;
            snprintf(err.message, sizeof err.message, "out of memory reading %s", t->lb->store);
            finish_top(t, &err);
            return;
        }
        t->entries = grown;
        t->entries[t->count++] = (vs_leaderboard_entry){id, page->entries[i].value};
    }
    /* An empty page with a cursor would make no progress: it ends the read like a last page. */
    if (t->count == t->n || !page->next_cursor || page->count == 0) {
        finish_top(t, NULL);
        return;
    }
    if (t->count > from) {
        int64_t *ids = vs_grow(t->seen, &t->seen_cap, sizeof *t->seen, t->count);
        if (!ids) {
            err.status = VS_ERR_NOMEM;
            snprintf(err.message, sizeof err.message, "out of memory reading %s", t->lb->store);
            finish_top(t, &err);
            return;
        }
        t->seen = ids;
        for (size_t i = from; i < t->count; i++)
            t->seen[t->seen_count++] = t->entries[i].user_id;
        qsort(t->seen, t->seen_count, sizeof *t->seen, cmp_id);
    }
    ask_page(t, page->next_cursor); /* the cursor is lent: the platform copies it */
}

vs_status vs_leaderboard_top(vs_leaderboard *lb, const vs_platform *platform, size_t n,
                             bool ascending, vs_leaderboard_top_fn done, void *arg)
{
    if (!platform || !done || n == 0)
        return VS_ERR_ARG;
    top_req *t = calloc(1, sizeof *t);
    if (!t)
        return VS_ERR_NOMEM;
    *t = (top_req){.next = lb->tops, .lb = lb, .platform = *platform, .n = n,
                   .ascending = ascending, .done = done, .arg = arg};
    if (lb->tops)
        lb->tops->prev = t;
    lb->tops = t;
    ask_page(t, NULL);
    return VS_OK;
}
