/* test_purchases.c: the platform side of ProcessReceipt: an offer reaches the handler of the
 * player's server through its endpoint; GRANTED records the purchase and it is never offered
 * again; NOT_PROCESSED_YET is offered again at the next join (on any server); receipt_unrecorded
 * leaves a grant unrecorded, so a handler without a purchase-id check grants twice; one
 * purchase in progress on two servers at once; frozen servers get offers at resume, stopped
 * ones never answer; no handler means no offer; second answers and late answers are ignored;
 * order of offers at a join; the history counters; determinism; teardown with held offers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/purchases.h"

#define SEC 1000000LL
#define NSERVERS 3
#define MAX_CALLS 64

typedef enum mode {
    GRANT_NOW,   /* answers GRANTED inside the call */
    LATER,       /* keeps the reply for the test to send */
    NOT_YET,     /* answers NOT_PROCESSED_YET inside the call */
    GRANT_TWICE, /* answers GRANTED twice inside the call (a handler bug) */
    COUNTING,    /* grants the price in coins and answers GRANTED, with no purchase-id check */
    CHECKING,    /* the same, but grants each purchase_id once */
} mode;

typedef struct call {
    char id[64];
    int64_t player, product, price;
    int64_t at_us;
    vs_receipt_reply_fn reply;
    void *reply_arg;
} call;

typedef struct handler {
    int server;
    mode mode;
    call calls[MAX_CALLS];
    size_t ncalls;
    int64_t coins;               /* COUNTING and CHECKING: what the player was given */
    char granted[MAX_CALLS][64]; /* CHECKING: purchase ids already granted */
    size_t ngranted;
    world *w;
} handler;

typedef struct env {
    world w;
    history hist;
    fault_plan faults;
    purchases p;
    endpoint ep[NSERVERS + 1]; /* ep[1..NSERVERS] */
    handler h[NSERVERS + 1];
} env;

static void on_receipt(void *arg, const vs_receipt *r, vs_receipt_reply_fn reply, void *reply_arg)
{
    handler *h = arg;
    call scratch; /* calls past MAX_CALLS are counted, not kept */
    call *c = h->ncalls < MAX_CALLS ? &h->calls[h->ncalls] : &scratch;
    h->ncalls++;
    snprintf(c->id, sizeof c->id, "%s", r->purchase_id);
    c->player = r->player;
    c->product = r->product;
    c->price = r->price;
    c->at_us = h->w->now_us;
    c->reply = reply;
    c->reply_arg = reply_arg;
    switch (h->mode) {
    case GRANT_NOW:
        reply(reply_arg, VS_RECEIPT_GRANTED);
        break;
    case LATER:
        break;
    case NOT_YET:
        reply(reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        break;
    case GRANT_TWICE:
        reply(reply_arg, VS_RECEIPT_GRANTED);
        reply(reply_arg, VS_RECEIPT_GRANTED);
        break;
    case COUNTING:
        h->coins += r->price;
        reply(reply_arg, VS_RECEIPT_GRANTED);
        break;
    case CHECKING: {
        assert_true(h->ngranted < MAX_CALLS);
        bool seen = false;
        for (size_t i = 0; i < h->ngranted; i++)
            seen |= strcmp(h->granted[i], r->purchase_id) == 0;
        if (!seen) {
            h->coins += r->price;
            snprintf(h->granted[h->ngranted++], sizeof h->granted[0], "%s", r->purchase_id);
        }
        reply(reply_arg, VS_RECEIPT_GRANTED);
        break;
    }
    }
}

static env *env_new(uint64_t seed)
{
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_true(world_init(&e->w, seed));
    history_init(&e->hist, &e->w);
    fault_plan_init(&e->faults);
    assert_true(purchases_init(&e->p, &e->w, &e->faults));
    e->p.hist = &e->hist;
    for (int i = 1; i <= NSERVERS; i++) {
        endpoint_init(&e->ep[i], &e->w, i);
        e->h[i] = (handler){.server = i, .mode = GRANT_NOW, .w = &e->w};
    }
    return e;
}

static void env_free(env *e)
{
    purchases_free(&e->p);
    for (int i = 1; i <= NSERVERS; i++)
        endpoint_free(&e->ep[i]);
    history_free(&e->hist);
    world_free(&e->w);
    fault_plan_free(&e->faults);
    free(e);
}

static void handle(env *e, int server, mode m)
{
    e->h[server].mode = m;
    purchases_set_handler(&e->p, server, on_receipt, &e->h[server]);
}

static bool buy(env *e, int server, const char *id, int64_t player, int64_t price)
{
    vs_receipt r = {.purchase_id = id, .player = player, .product = 7, .price = price};
    return purchases_buy(&e->p, &e->ep[server], &r);
}

static size_t join(env *e, int server, int64_t player)
{
    return purchases_player_joined(&e->p, player, &e->ep[server]);
}

/* A crash: the endpoint stops and the platform forgets the server's handler. */
static void stop(env *e, int server)
{
    endpoint_stop(&e->ep[server]);
    purchases_server_stopped(&e->p, server);
}

static const purchases_record *rec(env *e, const char *id)
{
    const purchases_record *r = purchases_find(&e->p, id);
    assert_non_null(r);
    return r;
}

static int64_t count(env *e, const char *counter)
{
    assert_true(history_counter_valid(counter));
    return history_count(&e->hist, counter, 0, 0);
}

static void add_unrecorded(env *e, uint64_t mask, int64_t start, int64_t end, uint32_t ppm)
{
    fault f = fault_default(FAULT_RECEIPT_UNRECORDED);
    f.server_mask = mask;
    f.start_us = start;
    f.end_us = end;
    f.ppm = ppm;
    assert_true(fault_plan_add(&e->faults, &f));
}

/* ---- tests ---- */

static void offer_reaches_the_handler_of_the_players_server(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, GRANT_NOW);
    handle(e, 2, GRANT_NOW);
    assert_true(buy(e, 2, "p-1", 42, 100));
    assert_int_equal(e->h[1].ncalls, 0);
    assert_int_equal(e->h[2].ncalls, 1);
    const call *c = &e->h[2].calls[0];
    assert_string_equal(c->id, "p-1");
    assert_int_equal(c->player, 42);
    assert_int_equal(c->product, 7);
    assert_int_equal(c->price, 100);
    const purchases_record *r = rec(e, "p-1");
    assert_true(r->recorded);
    assert_int_equal(r->recorded_server, 2);
    assert_int_equal(r->offers, 1);
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->grants, 1);
    assert_int_equal(r->unrecorded_grants, 0);
    /* recorded: never offered again, wherever the player joins */
    for (int s = 1; s <= 2; s++)
        assert_int_equal(join(e, s, 42), 0);
    assert_int_equal(e->h[1].ncalls, 0);
    assert_int_equal(e->h[2].ncalls, 1);
    assert_int_equal(purchases_pending(&e->p, 42), 0);
    assert_int_equal(e->p.stats.bought, 1);
    assert_int_equal(e->p.stats.offers, 1);
    assert_int_equal(e->p.stats.recorded, 1);
    env_free(e);
}

static void not_processed_yet_is_offered_again_at_the_next_join(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, NOT_YET);
    handle(e, 2, GRANT_NOW);
    assert_true(buy(e, 1, "p-1", 5, 10));
    assert_int_equal(e->h[1].ncalls, 1);
    assert_false(rec(e, "p-1")->recorded);
    assert_int_equal(purchases_pending(&e->p, 5), 1);
    /* no time-based retry: nothing happens until the player joins again */
    world_run_until(&e->w, 3600 * SEC, false);
    assert_int_equal(e->h[1].ncalls, 1);
    /* the next join, on the same server: offered again, still not processed */
    assert_int_equal(join(e, 1, 5), 1);
    assert_int_equal(e->h[1].ncalls, 2);
    assert_false(rec(e, "p-1")->recorded);
    /* on another server: offered again there, granted, recorded */
    assert_int_equal(join(e, 2, 5), 1);
    assert_int_equal(e->h[2].ncalls, 1);
    assert_string_equal(e->h[2].calls[0].id, "p-1");
    const purchases_record *r = rec(e, "p-1");
    assert_true(r->recorded);
    assert_int_equal(r->recorded_server, 2);
    assert_int_equal(r->recorded_us, 3600 * SEC);
    assert_int_equal(r->offers, 3);
    assert_int_equal(r->grants, 1);
    /* and never again */
    assert_int_equal(join(e, 1, 5), 0);
    assert_int_equal(e->h[1].ncalls, 2);
    assert_int_equal(e->p.stats.not_processed, 2);
    assert_int_equal(e->p.stats.granted, 1);
    env_free(e);
}

static void unrecorded_grant_is_offered_again_and_granted_twice_without_id_check(void **state)
{
    (void)state;
    env *e = env_new(1);
    add_unrecorded(e, 0, 0, 10 * SEC, FAULT_PPM); /* every grant in the first 10 s */
    handle(e, 1, COUNTING);
    handle(e, 2, CHECKING);
    assert_true(buy(e, 1, "p-1", 9, 100));
    assert_int_equal(e->h[1].coins, 100);
    const purchases_record *r = rec(e, "p-1");
    assert_false(r->recorded);
    assert_int_equal(r->grants, 1);
    assert_int_equal(r->unrecorded_grants, 1);
    /* the next join offers it again: the handler without a purchase-id check grants twice */
    assert_int_equal(join(e, 1, 9), 1);
    assert_int_equal(e->h[1].coins, 200);
    assert_int_equal(r->grants, 2);
    assert_int_equal(r->unrecorded_grants, 2);
    assert_false(r->recorded);

    /* a handler that checks purchase ids grants once, however often it is offered */
    assert_true(buy(e, 2, "p-2", 9, 30));
    assert_int_equal(join(e, 2, 9), 2); /* p-1 and p-2, both still unrecorded */
    assert_int_equal(e->h[2].coins, 30 + 100); /* p-2 once, p-1 once (new to this handler) */
    assert_int_equal(join(e, 2, 9), 2);
    assert_int_equal(e->h[2].coins, 130);
    assert_int_equal(rec(e, "p-2")->unrecorded_grants, 3);

    /* once the fault is over, the next grant is recorded */
    world_run_until(&e->w, 10 * SEC, false);
    assert_int_equal(join(e, 2, 9), 2);
    assert_true(rec(e, "p-1")->recorded);
    assert_true(rec(e, "p-2")->recorded);
    assert_int_equal(join(e, 1, 9), 0);
    assert_int_equal(e->h[1].coins, 200);
    assert_int_equal(e->p.stats.unrecorded, 7);
    assert_int_equal(e->p.stats.recorded, 2);
    assert_int_equal(count(e, "purchase.unrecorded"), 7);
    assert_int_equal(count(e, "purchase.recorded"), 2);
    env_free(e);
}

static void unrecorded_fault_hits_only_its_servers_and_its_share(void **state)
{
    (void)state;
    env *e = env_new(7);
    add_unrecorded(e, 1u << 1, 0, FAULT_FOREVER, FAULT_PPM); /* server 2 only */
    handle(e, 1, GRANT_NOW);
    handle(e, 2, GRANT_NOW);
    assert_true(buy(e, 1, "a", 1, 1));
    assert_true(buy(e, 2, "b", 1, 1));
    assert_true(rec(e, "a")->recorded);
    assert_false(rec(e, "b")->recorded);
    env_free(e);

    /* a share: about ppm of 2000 grants stay unrecorded */
    e = env_new(7);
    add_unrecorded(e, 0, 0, FAULT_FOREVER, 250000);
    handle(e, 1, GRANT_NOW);
    char id[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "p-%d", i);
        assert_true(buy(e, 1, id, 1 + i % 50, 1));
    }
    assert_int_equal(e->p.stats.granted, 2000);
    assert_in_range(e->p.stats.unrecorded, 400, 600);
    assert_int_equal(e->p.stats.unrecorded + e->p.stats.recorded, 2000);
    assert_int_equal(purchases_pending(&e->p, 0), e->p.stats.unrecorded);
    env_free(e);
}

static void same_purchase_in_progress_on_two_servers(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, LATER);
    handle(e, 2, LATER);
    assert_true(buy(e, 1, "p-1", 3, 50));
    assert_int_equal(e->h[1].ncalls, 1);
    /* the player moves to server 2 before server 1 answered: offered there too */
    assert_int_equal(join(e, 2, 3), 1);
    assert_int_equal(e->h[2].ncalls, 1);
    assert_string_equal(e->h[1].calls[0].id, "p-1");
    assert_string_equal(e->h[2].calls[0].id, "p-1");
    const purchases_record *r = rec(e, "p-1");
    assert_int_equal(r->offers, 2);
    assert_int_equal(r->calls, 2);
    assert_int_equal(r->grants, 0);
    assert_false(r->recorded);
    /* server 2 answers first and is recorded; server 1's grant changes nothing more */
    e->h[2].calls[0].reply(e->h[2].calls[0].reply_arg, VS_RECEIPT_GRANTED);
    assert_true(r->recorded);
    assert_int_equal(r->recorded_server, 2);
    e->h[1].calls[0].reply(e->h[1].calls[0].reply_arg, VS_RECEIPT_GRANTED);
    assert_int_equal(r->recorded_server, 2);
    assert_int_equal(r->grants, 2);
    assert_int_equal(e->p.stats.already_recorded, 1);
    assert_int_equal(e->p.stats.recorded, 1);
    assert_int_equal(count(e, "purchase.offer.ok"), 2);
    assert_int_equal(count(e, "purchase.recorded"), 1);
    env_free(e);
}

static void a_pending_offer_is_offered_again_on_the_same_server(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, LATER);
    assert_true(buy(e, 1, "p-1", 3, 50));
    assert_int_equal(join(e, 1, 3), 1); /* a rejoin: offered again while the first is open */
    assert_int_equal(e->h[1].ncalls, 2);
    /* the older offer answers NOT_PROCESSED_YET, the newer GRANTED: recorded */
    e->h[1].calls[0].reply(e->h[1].calls[0].reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
    assert_false(rec(e, "p-1")->recorded);
    e->h[1].calls[1].reply(e->h[1].calls[1].reply_arg, VS_RECEIPT_GRANTED);
    assert_true(rec(e, "p-1")->recorded);
    assert_int_equal(e->p.open_count, 0);
    env_free(e);
}

static void frozen_server_gets_the_offer_at_resume(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, GRANT_NOW);
    endpoint_freeze(&e->ep[1]);
    assert_true(buy(e, 1, "p-1", 4, 10));
    const purchases_record *r = rec(e, "p-1");
    assert_int_equal(r->offers, 1);
    assert_int_equal(r->calls, 0);
    assert_int_equal(e->h[1].ncalls, 0);
    world_run_until(&e->w, 20 * SEC, false);
    assert_int_equal(e->h[1].ncalls, 0);
    endpoint_resume(&e->ep[1]);
    assert_int_equal(e->h[1].ncalls, 1);
    assert_int_equal(e->h[1].calls[0].at_us, 20 * SEC);
    assert_true(r->recorded);
    assert_int_equal(r->recorded_us, 20 * SEC);

    /* frozen, then stopped: the held offer never reaches the handler; still pending */
    handle(e, 2, GRANT_NOW);
    endpoint_freeze(&e->ep[2]);
    assert_true(buy(e, 2, "p-2", 4, 10));
    stop(e, 2);
    assert_int_equal(e->h[2].ncalls, 0);
    assert_false(rec(e, "p-2")->recorded);
    assert_int_equal(rec(e, "p-2")->calls, 0);
    assert_int_equal(e->p.stats.not_delivered, 1);
    assert_int_equal(count(e, "purchase.offer.fail"), 1);

    /* frozen while the server clears its handler: not delivered at resume */
    handle(e, 3, GRANT_NOW);
    endpoint_freeze(&e->ep[3]);
    assert_int_equal(join(e, 3, 4), 1);
    purchases_set_handler(&e->p, 3, NULL, NULL);
    endpoint_resume(&e->ep[3]);
    assert_int_equal(e->h[3].ncalls, 0);
    assert_int_equal(e->p.stats.not_delivered, 2);
    assert_false(rec(e, "p-2")->recorded);
    assert_int_equal(e->p.open_count, 0);
    env_free(e);
}

static void stopped_server_never_answers_and_the_purchase_stays_pending(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, LATER);
    handle(e, 2, NOT_YET);
    assert_true(buy(e, 1, "p-1", 8, 10));
    assert_int_equal(e->h[1].ncalls, 1);
    stop(e, 1);
    assert_false(purchases_has_handler(&e->p, 1));
    assert_int_equal(e->p.stats.abandoned, 1);
    assert_int_equal(count(e, "purchase.offer.unknown"), 1);
    /* a reply that still comes (the engine is gone) is ignored: no record */
    e->h[1].calls[0].reply(e->h[1].calls[0].reply_arg, VS_RECEIPT_GRANTED);
    const purchases_record *r = rec(e, "p-1");
    assert_false(r->recorded);
    assert_int_equal(r->grants, 0);
    assert_int_equal(e->p.stats.late_replies, 1);
    assert_int_equal(count(e, "purchase.late_reply"), 1);
    assert_int_equal(count(e, "purchase.offer.ok"), 0);
    assert_int_equal(purchases_pending(&e->p, 8), 1);
    /* still pending: offered at the next join elsewhere */
    assert_int_equal(join(e, 2, 8), 1);
    assert_int_equal(e->h[2].ncalls, 1);
    /* the restarted server must register again */
    endpoint_init(&e->ep[1], &e->w, 1);
    assert_int_equal(join(e, 1, 8), 0);
    assert_int_equal(e->p.stats.no_handler, 1);
    assert_int_equal(e->h[1].ncalls, 1);
    handle(e, 1, GRANT_NOW);
    assert_int_equal(join(e, 1, 8), 1);
    assert_true(r->recorded);
    assert_int_equal(r->recorded_server, 1);
    env_free(e);
}

static void no_handler_no_offer_counted(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, GRANT_NOW);
    assert_true(buy(e, 3, "p-1", 2, 10)); /* server 3 never registered */
    const purchases_record *r = rec(e, "p-1");
    assert_int_equal(r->offers, 0);
    assert_false(r->recorded);
    assert_int_equal(e->p.stats.no_handler, 1);
    assert_int_equal(e->p.stats.offers, 0);
    assert_int_equal(count(e, "purchase.no_handler"), 1);
    assert_int_equal(count(e, "purchase.offer.ok") + count(e, "purchase.offer.fail"), 0);
    assert_int_equal(join(e, 3, 2), 0);
    assert_int_equal(e->p.stats.no_handler, 2);
    /* offered at a later join on a server that has one */
    assert_int_equal(join(e, 1, 2), 1);
    assert_true(r->recorded);
    /* a handler set and cleared again */
    handle(e, 3, GRANT_NOW);
    assert_true(purchases_has_handler(&e->p, 3));
    purchases_set_handler(&e->p, 3, NULL, &e->h[3]);
    assert_false(purchases_has_handler(&e->p, 3));
    assert_true(buy(e, 3, "p-2", 2, 10));
    assert_int_equal(e->h[3].ncalls, 0);
    assert_int_equal(e->p.stats.no_handler, 3);
    env_free(e);
}

static void a_second_answer_is_ignored_and_counted(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, GRANT_TWICE);
    assert_true(buy(e, 1, "p-1", 6, 10));
    const purchases_record *r = rec(e, "p-1");
    assert_true(r->recorded);
    assert_int_equal(r->grants, 1);
    assert_int_equal(e->p.stats.extra_replies, 1);
    assert_int_equal(e->p.stats.replies, 1);
    assert_int_equal(count(e, "purchase.extra_reply"), 1);
    assert_int_equal(count(e, "purchase.offer.ok"), 1);
    /* a NOT_PROCESSED_YET after a GRANTED does not undo the record either */
    e->h[1].calls[0].reply(e->h[1].calls[0].reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
    assert_true(r->recorded);
    assert_int_equal(e->p.stats.extra_replies, 2);
    /* a late answer that is also a second one counts as a second one */
    handle(e, 2, LATER);
    assert_true(buy(e, 2, "p-2", 6, 10));
    e->h[2].calls[0].reply(e->h[2].calls[0].reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
    stop(e, 2);
    e->h[2].calls[0].reply(e->h[2].calls[0].reply_arg, VS_RECEIPT_GRANTED);
    assert_false(rec(e, "p-2")->recorded);
    assert_int_equal(e->p.stats.extra_replies, 3);
    assert_int_equal(e->p.stats.late_replies, 0);
    assert_int_equal(e->p.stats.abandoned, 0);
    env_free(e);
}

static void bad_and_duplicate_purchases_are_refused(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, NOT_YET);
    assert_true(buy(e, 1, "p-1", 1, 10));
    assert_false(buy(e, 1, "p-1", 2, 99));
    assert_false(buy(e, 1, "", 1, 10));
    assert_false(buy(e, 1, NULL, 1, 10));
    assert_int_equal(e->p.stats.refused, 3);
    assert_int_equal(e->p.stats.bought, 1);
    assert_int_equal(e->h[1].ncalls, 1);
    assert_int_equal(purchases_count(&e->p), 1);
    assert_int_equal(rec(e, "p-1")->player, 1);
    assert_null(purchases_find(&e->p, "p-2"));
    assert_null(purchases_find(&e->p, NULL));
    assert_null(purchases_at(&e->p, 1));
    env_free(e);
}

static void a_join_offers_the_players_purchases_in_the_order_made(void **state)
{
    (void)state;
    env *e = env_new(1);
    /* made with no handler anywhere, so nothing is offered at the purchase */
    const char *ids[] = {"z", "m", "a", "q", "b"};
    for (int i = 0; i < 5; i++) {
        char other[32];
        snprintf(other, sizeof other, "other-%d", i);
        assert_true(buy(e, 1, ids[i], 10, i)); /* player 10 */
        assert_true(buy(e, 1, other, 11, i));  /* player 11, interleaved */
    }
    handle(e, 2, NOT_YET);
    assert_int_equal(join(e, 2, 10), 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(e->h[2].calls[i].id, ids[i]);
        assert_int_equal(e->h[2].calls[i].player, 10);
    }
    for (size_t i = 0; i < purchases_count(&e->p); i++)
        assert_int_equal(purchases_at(&e->p, i)->seq, i);
    assert_string_equal(purchases_at(&e->p, 0)->purchase_id, "z");
    assert_string_equal(purchases_at(&e->p, 1)->purchase_id, "other-0");
    /* a player with no purchases: nothing */
    assert_int_equal(join(e, 2, 99), 0);
    /* recorded ones are skipped, the rest keep their order */
    handle(e, 2, LATER);
    assert_int_equal(join(e, 2, 10), 5);
    assert_string_equal(e->h[2].calls[6].id, "m");
    assert_string_equal(e->h[2].calls[8].id, "q");
    e->h[2].calls[6].reply(e->h[2].calls[6].reply_arg, VS_RECEIPT_GRANTED);
    e->h[2].calls[8].reply(e->h[2].calls[8].reply_arg, VS_RECEIPT_GRANTED);
    size_t before = e->h[2].ncalls;
    assert_int_equal(join(e, 2, 10), 3);
    assert_string_equal(e->h[2].calls[before].id, "z");
    assert_string_equal(e->h[2].calls[before + 1].id, "a");
    assert_string_equal(e->h[2].calls[before + 2].id, "b");
    assert_int_equal(purchases_pending(&e->p, 10), 3);
    assert_int_equal(purchases_pending(&e->p, 11), 5);
    assert_int_equal(purchases_pending(&e->p, 0), 8);
    env_free(e);
}

static void history_counters(void **state)
{
    (void)state;
    static const char *const names[] = {
        "purchase.offer.ok", "purchase.offer.fail", "purchase.offer.unknown",
        "purchase.bought", "purchase.recorded", "purchase.unrecorded", "purchase.no_handler",
        "purchase.late_reply", "purchase.extra_reply",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        assert_true(history_counter_valid(names[i]));
        const char *base = names[i];
        char want[64];
        snprintf(want, sizeof want, "%s", base);
        if (strncmp(want, "purchase.offer.", 15) == 0)
            want[14] = '\0'; /* listed as a request */
        assert_non_null(strstr(history_counter_names(), want));
    }
    assert_false(history_counter_valid("purchase.offer"));
    assert_false(history_counter_valid("purchase.granted"));

    env *e = env_new(1);
    add_unrecorded(e, 1u << 2, 0, FAULT_FOREVER, FAULT_PPM); /* server 3 */
    handle(e, 1, GRANT_NOW);
    handle(e, 2, LATER);
    handle(e, 3, GRANT_TWICE);
    assert_true(buy(e, 1, "a", 1, 1));      /* offer ok, recorded */
    assert_true(buy(e, 2, "b", 2, 1));      /* offer pending on 2 */
    assert_true(buy(e, 3, "c", 2, 1));      /* ok, unrecorded, extra reply */
    e->h[2].calls[0].reply(e->h[2].calls[0].reply_arg, VS_RECEIPT_NOT_PROCESSED_YET); /* fail */
    assert_int_equal(join(e, 2, 2), 2);     /* b and c offered on 2 */
    stop(e, 2);                             /* both unknown */
    e->h[2].calls[1].reply(e->h[2].calls[1].reply_arg, VS_RECEIPT_GRANTED); /* late */
    purchases_set_handler(&e->p, 1, NULL, NULL);
    assert_int_equal(join(e, 1, 2), 0);     /* no handler twice (b, c) */

    assert_int_equal(count(e, "purchase.bought"), 3);
    assert_int_equal(count(e, "purchase.offer.ok"), 2);
    assert_int_equal(count(e, "purchase.offer.fail"), 1);
    assert_int_equal(count(e, "purchase.offer.unknown"), 2);
    assert_int_equal(count(e, "purchase.recorded"), 1);
    assert_int_equal(count(e, "purchase.unrecorded"), 1);
    assert_int_equal(count(e, "purchase.extra_reply"), 1);
    assert_int_equal(count(e, "purchase.late_reply"), 1);
    assert_int_equal(count(e, "purchase.no_handler"), 2);
    /* keyed by player and server */
    assert_int_equal(history_count(&e->hist, "purchase.bought", 2, 0), 2);
    assert_int_equal(history_count(&e->hist, "purchase.offer.unknown", 0, 2), 2);
    assert_int_equal(history_count(&e->hist, "purchase.offer.unknown", 0, 1), 0);
    assert_int_equal(history_count(&e->hist, "purchase.no_handler", 2, 1), 2);
    /* every invocation has its one completion, except none here: all were closed */
    size_t invokes = 0, completions = 0;
    for (size_t i = 0; i < e->hist.count; i++) {
        const hist_record *h = &e->hist.items[i];
        if (strcmp(h->what, "purchase.offer") != 0)
            continue;
        assert_non_null(h->key);
        assert_int_not_equal(h->player, 0);
        if (h->outcome == HIST_INVOKE)
            invokes++;
        else
            completions++;
    }
    assert_int_equal(invokes, 5);
    assert_int_equal(completions, 5);
    /* the key is the purchase id */
    bool found = false;
    for (size_t i = 0; i < e->hist.count; i++)
        if (strcmp(e->hist.items[i].what, "purchase.recorded") == 0) {
            assert_string_equal(e->hist.items[i].key, "a");
            assert_int_equal(e->hist.items[i].player, 1);
            assert_int_equal(e->hist.items[i].server, 1);
            found = true;
        }
    assert_true(found);
    env_free(e);
}

/* The same seed and script give the same draws, records and fingerprint. */
static void same_seed_same_run(void **state)
{
    (void)state;
    char fp[3][33];
    uint64_t unrecorded[3];
    const uint64_t seeds[3] = {11, 11, 12};
    for (int run = 0; run < 3; run++) {
        env *e = env_new(seeds[run]);
        add_unrecorded(e, 0, 0, FAULT_FOREVER, 500000);
        handle(e, 1, GRANT_NOW);
        handle(e, 2, GRANT_NOW);
        char id[32];
        for (int i = 0; i < 200; i++) {
            snprintf(id, sizeof id, "p-%d", i);
            assert_true(buy(e, 1 + i % 2, id, 1 + i % 20, 1));
        }
        for (int64_t pl = 1; pl <= 20; pl++)
            join(e, 2, pl);
        unrecorded[run] = e->p.stats.unrecorded;
        world_fingerprint(&e->w, fp[run]);
        env_free(e);
    }
    assert_string_equal(fp[0], fp[1]);
    assert_int_equal(unrecorded[0], unrecorded[1]);
    assert_string_not_equal(fp[0], fp[2]);
}

/* Offers still held by a frozen endpoint when the purchases go away are freed by the
 * endpoint, run or dropped, without touching the purchases (checked under ASan). */
static void held_offers_outlive_the_purchases(void **state)
{
    (void)state;
    env *e = env_new(1);
    handle(e, 1, GRANT_NOW);
    handle(e, 2, GRANT_NOW);
    endpoint_freeze(&e->ep[1]);
    endpoint_freeze(&e->ep[2]);
    assert_true(buy(e, 1, "p-1", 1, 1));
    assert_true(buy(e, 2, "p-2", 1, 1));
    purchases_free(&e->p);
    endpoint_resume(&e->ep[1]); /* runs: frees without calling the handler */
    assert_int_equal(e->h[1].ncalls, 0);
    /* ep[2] still holds its offer: env_free's endpoint_free drops it; purchases_free on the
     * zeroed struct is harmless */
    assert_true(purchases_init(&e->p, &e->w, NULL));
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offer_reaches_the_handler_of_the_players_server),
        cmocka_unit_test(not_processed_yet_is_offered_again_at_the_next_join),
        cmocka_unit_test(unrecorded_grant_is_offered_again_and_granted_twice_without_id_check),
        cmocka_unit_test(unrecorded_fault_hits_only_its_servers_and_its_share),
        cmocka_unit_test(same_purchase_in_progress_on_two_servers),
        cmocka_unit_test(a_pending_offer_is_offered_again_on_the_same_server),
        cmocka_unit_test(frozen_server_gets_the_offer_at_resume),
        cmocka_unit_test(stopped_server_never_answers_and_the_purchase_stays_pending),
        cmocka_unit_test(no_handler_no_offer_counted),
        cmocka_unit_test(a_second_answer_is_ignored_and_counted),
        cmocka_unit_test(bad_and_duplicate_purchases_are_refused),
        cmocka_unit_test(a_join_offers_the_players_purchases_in_the_order_made),
        cmocka_unit_test(history_counters),
        cmocka_unit_test(same_seed_same_run),
        cmocka_unit_test(held_offers_outlive_the_purchases),
    };
    return cmocka_run_group_tests_name("purchases", tests, NULL, NULL);
}
