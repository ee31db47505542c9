/* purchases.c: purchases, offers through endpoints, answers, recording.
 *
 * Keeps true: a purchase is recorded at most once and, once recorded, never offered again;
 * every offer is answered, dropped or abandoned at most once (its state only moves forward:
 * HELD -> CALLED -> ANSWERED or ABANDONED, or HELD -> NOT_DELIVERED), and every history
 * invocation of an offer gets exactly one completion; an offer record is freed exactly once,
 * by purchases_free or, when an endpoint still held it then, by the endpoint's run or drop;
 * purchases and offers stay in the order they were made, and the random stream is drawn only
 * when a grant is being recorded under an active receipt_unrecorded fault. */
#include "sim/purchases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum offer_state {
    OFFER_HELD,          /* handed to the endpoint, not yet at the handler */
    OFFER_CALLED,        /* the handler has it; no answer yet */
    OFFER_ANSWERED,      /* answered (or answered late, after the stop) */
    OFFER_NOT_DELIVERED, /* never reached the handler */
    OFFER_ABANDONED,     /* the server stopped before answering */
} offer_state;

struct purchases_offer {
    purchases *p; /* NULL once purchases_free ran: then only the endpoint may hold it */
    purchases_record *rec;
    int server;
    uint64_t epoch;     /* the server's epoch when the offer was made */
    offer_state state;
    bool replied;       /* an answer came (accepted or late) */
    bool in_endpoint;   /* the endpoint holds it (it will run or drop it) */
    uint64_t request;   /* history request, 0 without a history */
};

struct purchases_player {
    purchases_record **items; /* in the order made */
    size_t count, cap;
};

#define GROW(p, arr, count, cap, init)                                                         \
    do {                                                                                       \
        if ((count) == (cap)) {                                                                \
            size_t grow_cap_ = (cap) ? (cap) * 2 : (init);                                     \
            void *grow_p_ = realloc((arr), grow_cap_ * sizeof *(arr));                         \
            WORLD_ASSERT((p)->w, grow_p_ != NULL);                                             \
            (arr) = grow_p_;                                                                   \
            (cap) = grow_cap_;                                                                 \
        }                                                                                      \
    } while (0)

/* ---- init and free ---- */

bool purchases_init(purchases *p, world *w, const fault_plan *faults)
{
    *p = (purchases){.w = w, .faults = faults};
    world_stream(w, "purchases", &p->rng);
    strmap_init(&p->by_id);
    strmap_init(&p->by_player);
    return true;
}

void purchases_free(purchases *p)
{
    for (size_t i = 0; i < p->offer_count; i++) {
        purchases_offer *o = p->offers[i];
        if (o->in_endpoint)
            o->p = NULL; /* the endpoint frees it */
        else
            free(o);
    }
    free(p->offers);
    free(p->open);
    for (size_t i = 0; i < p->count; i++) {
        free(p->all[i]->purchase_id);
        free(p->all[i]);
    }
    free(p->all);
    /* Freeing in bucket order is fine: nothing here reaches an output. */
    for (size_t i = 0; i < p->by_player.cap; i++) {
        purchases_player *pl = p->by_player.slots[i].key ? p->by_player.slots[i].value : NULL;
        if (pl) {
            free(pl->items);
            free(pl);
        }
    }
    strmap_free(&p->by_player);
    strmap_free(&p->by_id);
    free(p->servers);
    *p = (purchases){0};
}

/* ---- lookups ---- */

static void player_key(int64_t player, char key[8])
{
    uint64_t v = (uint64_t)player;
    for (int i = 0; i < 8; i++)
        key[i] = (char)(v >> (8 * i));
}

static purchases_player *player_find(const purchases *p, int64_t player)
{
    char key[8];
    player_key(player, key);
    return strmap_get(&p->by_player, key, sizeof key);
}

static purchases_player *player_get(purchases *p, int64_t player)
{
    purchases_player *pl = player_find(p, player);
    if (pl)
        return pl;
    pl = calloc(1, sizeof *pl);
    WORLD_ASSERT(p->w, pl != NULL);
    char key[8];
    player_key(player, key);
    WORLD_ASSERT(p->w, strmap_put(&p->by_player, key, sizeof key, pl));
    return pl;
}

static purchases_server *server_get(purchases *p, int id)
{
    WORLD_ASSERT(p->w, id >= 1);
    if ((size_t)id > p->server_count) {
        size_t n = (size_t)id;
        if (n < p->server_count * 2)
            n = p->server_count * 2;
        purchases_server *s = realloc(p->servers, n * sizeof *s);
        WORLD_ASSERT(p->w, s != NULL);
        memset(s + p->server_count, 0, (n - p->server_count) * sizeof *s);
        p->servers = s;
        p->server_count = n;
    }
    return &p->servers[id - 1];
}

static const purchases_server *server_find(const purchases *p, int id)
{
    return id >= 1 && (size_t)id <= p->server_count ? &p->servers[id - 1] : NULL;
}

const purchases_record *purchases_find(const purchases *p, const char *purchase_id)
{
    if (!purchase_id)
        return NULL;
    return strmap_get(&p->by_id, purchase_id, strlen(purchase_id));
}

size_t purchases_count(const purchases *p)
{
    return p->count;
}

const purchases_record *purchases_at(const purchases *p, size_t i)
{
    return i < p->count ? p->all[i] : NULL;
}

size_t purchases_pending(const purchases *p, int64_t player)
{
    size_t n = 0;
    if (player == 0) {
        for (size_t i = 0; i < p->count; i++)
            n += !p->all[i]->recorded;
        return n;
    }
    const purchases_player *pl = player_find(p, player);
    for (size_t i = 0; pl && i < pl->count; i++)
        n += !pl->items[i]->recorded;
    return n;
}

bool purchases_has_handler(const purchases *p, int server_id)
{
    const purchases_server *s = server_find(p, server_id);
    return s && s->fn;
}

/* ---- history ---- */

static void note(purchases *p, int server, const char *what, const purchases_record *rec,
                 const char *detail)
{
    if (p->hist)
        history_note(p->hist, server, what, rec->player, rec->purchase_id, 0, 0, 0, detail);
}

static void complete(purchases *p, purchases_offer *o, hist_outcome outcome, const char *detail)
{
    if (p->hist && o->request)
        history_complete(p->hist, o->request, outcome, 0, detail);
}

/* ---- offers ---- */

/* Takes o off the open list (it was answered, dropped or abandoned). */
static void close_offer(purchases *p, purchases_offer *o)
{
    for (size_t i = p->open_count; i-- > 0;)
        if (p->open[i] == o) {
            memmove(&p->open[i], &p->open[i + 1], (p->open_count - i - 1) * sizeof *p->open);
            p->open_count--;
            return;
        }
    WORLD_ASSERT(p->w, !"an offer closed twice");
}

static void not_delivered(purchases *p, purchases_offer *o, const char *why)
{
    o->state = OFFER_NOT_DELIVERED;
    close_offer(p, o);
    p->stats.not_delivered++;
    complete(p, o, HIST_FAIL, why);
}

static void offer_reply(void *reply_arg, vs_receipt_decision decision);

/* The endpoint hands the offer to the server. */
static void offer_run(void *arg)
{
    purchases_offer *o = arg;
    o->in_endpoint = false;
    purchases *p = o->p;
    if (!p) {
        free(o);
        return;
    }
    WORLD_ASSERT(p->w, o->state == OFFER_HELD);
    const purchases_server *s = server_find(p, o->server);
    if (!s || s->epoch != o->epoch) {
        not_delivered(p, o, "not delivered: the server stopped");
        return;
    }
    if (!s->fn) {
        not_delivered(p, o, "not delivered: the server cleared its handler");
        return;
    }
    o->state = OFFER_CALLED;
    o->rec->calls++;
    p->stats.calls++;
    const purchases_record *rec = o->rec;
    vs_receipt receipt = {.purchase_id = rec->purchase_id, .player = rec->player,
                          .product = rec->product, .price = rec->price};
    /* The handler may answer now, buy, join or stop servers: nothing of s or o's state is
     * relied on after this call. */
    s->fn(s->arg, &receipt, offer_reply, o);
}

/* The endpoint stopped (or was freed) while holding the offer. */
static void offer_drop(void *arg)
{
    purchases_offer *o = arg;
    o->in_endpoint = false;
    if (!o->p) {
        free(o);
        return;
    }
    WORLD_ASSERT(o->p->w, o->state == OFFER_HELD);
    not_delivered(o->p, o, "not delivered: the server stopped");
}

/* Offers rec to the server of ep; false when the server has no handler. */
static bool offer(purchases *p, purchases_record *rec, endpoint *ep)
{
    const purchases_server *s = server_get(p, ep->id);
    if (!s->fn) {
        p->stats.no_handler++;
        note(p, ep->id, "purchase.no_handler", rec, NULL);
        return false;
    }
    purchases_offer *o = malloc(sizeof *o);
    WORLD_ASSERT(p->w, o != NULL);
    *o = (purchases_offer){.p = p, .rec = rec, .server = ep->id, .epoch = s->epoch,
                           .state = OFFER_HELD, .in_endpoint = true};
    GROW(p, p->offers, p->offer_count, p->offer_cap, 16);
    p->offers[p->offer_count++] = o;
    GROW(p, p->open, p->open_count, p->open_cap, 16);
    p->open[p->open_count++] = o;
    rec->offers++;
    p->stats.offers++;
    if (p->hist)
        o->request = history_invoke(p->hist, ep->id, "purchase.offer", rec->player, rec->purchase_id);
    endpoint_deliver(ep, "purchase.offer", offer_run, offer_drop, o);
    return true;
}

static bool unrecorded_hits(purchases *p, int server)
{
    if (!p->faults)
        return false;
    uint32_t ppm = fault_plan_ppm(p->faults, FAULT_RECEIPT_UNRECORDED, server, FAULT_OP_ANY,
                                  p->w->now_us, NULL);
    return ppm > 0 && rng_chance_ppm(&p->rng, ppm);
}

static void offer_reply(void *reply_arg, vs_receipt_decision decision)
{
    /* Offers live until purchases_free, so reply_arg is valid for every answer the header
     * allows (none after purchases_free). */
    purchases_offer *o = reply_arg;
    purchases *p = o->p;
    purchases_record *rec = o->rec;
    bool granted = decision == VS_RECEIPT_GRANTED;
    const char *what = granted ? "granted" : "not processed yet";
    if (o->replied) {
        p->stats.extra_replies++;
        note(p, o->server, "purchase.extra_reply", rec, what);
        return;
    }
    /* Only a handler that got the offer has reply_arg; a stop abandons every offer its
     * server got and did not answer, so an answer to a live offer comes from a live server. */
    WORLD_ASSERT(p->w, o->state == OFFER_CALLED || o->state == OFFER_ABANDONED);
    o->replied = true;
    if (o->state == OFFER_ABANDONED) {
        p->stats.late_replies++;
        note(p, o->server, "purchase.late_reply", rec, what);
        return;
    }
    o->state = OFFER_ANSWERED;
    close_offer(p, o);
    p->stats.replies++;
    if (!granted) {
        p->stats.not_processed++;
        complete(p, o, HIST_FAIL, what);
        return;
    }
    p->stats.granted++;
    rec->grants++;
    complete(p, o, HIST_OK, what);
    if (rec->recorded) {
        p->stats.already_recorded++;
        return;
    }
    if (unrecorded_hits(p, o->server)) {
        rec->unrecorded_grants++;
        p->stats.unrecorded++;
        note(p, o->server, "purchase.unrecorded", rec, NULL);
        return;
    }
    rec->recorded = true;
    rec->recorded_us = p->w->now_us;
    rec->recorded_server = o->server;
    p->stats.recorded++;
    note(p, o->server, "purchase.recorded", rec, NULL);
}

/* ---- servers ---- */

void purchases_set_handler(purchases *p, int server_id, vs_receipt_fn fn, void *arg)
{
    purchases_server *s = server_get(p, server_id);
    s->fn = fn;
    s->arg = fn ? arg : NULL;
}

void purchases_server_stopped(purchases *p, int server_id)
{
    purchases_server *s = server_get(p, server_id);
    s->fn = NULL;
    s->arg = NULL;
    s->epoch++;
    /* Abandon what the handler got and did not answer, in order; held offers stay open until
     * their endpoint drops them (or runs them, and finds the epoch gone). */
    size_t kept = 0;
    for (size_t i = 0; i < p->open_count; i++) {
        purchases_offer *o = p->open[i];
        if (o->server == server_id && o->state == OFFER_CALLED) {
            o->state = OFFER_ABANDONED;
            p->stats.abandoned++;
            complete(p, o, HIST_UNKNOWN, "the server stopped before answering");
        } else {
            p->open[kept++] = o;
        }
    }
    p->open_count = kept;
}

/* ---- purchases ---- */

bool purchases_buy(purchases *p, endpoint *ep, const vs_receipt *receipt)
{
    WORLD_ASSERT(p->w, ep != NULL && receipt != NULL);
    const char *id = receipt->purchase_id;
    if (!id || !*id || strmap_get(&p->by_id, id, strlen(id))) {
        p->stats.refused++;
        return false;
    }
    purchases_record *rec = malloc(sizeof *rec);
    WORLD_ASSERT(p->w, rec != NULL);
    *rec = (purchases_record){.purchase_id = strdup(id), .player = receipt->player,
                              .product = receipt->product, .price = receipt->price,
                              .seq = p->count};
    WORLD_ASSERT(p->w, rec->purchase_id != NULL);
    WORLD_ASSERT(p->w, strmap_put(&p->by_id, id, strlen(id), rec));
    GROW(p, p->all, p->count, p->cap, 16);
    p->all[p->count++] = rec;
    purchases_player *pl = player_get(p, receipt->player);
    GROW(p, pl->items, pl->count, pl->cap, 4);
    pl->items[pl->count++] = rec;
    p->stats.bought++;
    if (p->hist) {
        char detail[64];
        snprintf(detail, sizeof detail, "product %lld, price %lld", (long long)rec->product,
                 (long long)rec->price);
        note(p, ep->id, "purchase.bought", rec, detail);
    }
    offer(p, rec, ep);
    return true;
}

size_t purchases_player_joined(purchases *p, int64_t player, endpoint *ep)
{
    WORLD_ASSERT(p->w, ep != NULL);
    purchases_player *pl = player_find(p, player);
    if (!pl)
        return 0;
    /* The count is taken first: a purchase a handler makes during this walk was offered when
     * it was made. The list is read afresh each time, since a purchase may grow it. */
    size_t n = pl->count, made = 0;
    for (size_t i = 0; i < n; i++) {
        purchases_record *rec = pl->items[i];
        if (!rec->recorded && offer(p, rec, ep))
            made++;
    }
    return made;
}
