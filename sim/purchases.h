/* purchases.h: the platform side of ProcessReceipt (PLATFORM.md, "Servers and players",
 * Purchases).
 *
 * The platform keeps every purchase (purchase_id, player, product, price) until a server's
 * receipt handler has answered GRANTED for it and the platform has recorded that. It offers a
 * purchase to the handler of the player's server when it is bought, and again, on every later
 * join of the player (whatever the server), while it is not recorded: in the order the player
 * made them, even when another offer of the same purchase is still in progress elsewhere (the
 * same purchase can be processed on two servers at once). There is no time-based retry.
 *
 * An offer is handed to the server through its endpoint, so a frozen server gets it when it
 * resumes and a stopped one never does. The handler answers once, through
 * reply(reply_arg, decision), at once or later:
 *   - GRANTED: the platform records the purchase, unless a receipt_unrecorded fault aimed at
 *     the answering server hits (drawn from the "purchases" stream at that moment): then it
 *     stays unrecorded and is offered again on the next join. A GRANTED answer for a purchase
 *     that is already recorded (another server's offer got there first) changes nothing.
 *   - NOT_PROCESSED_YET (or any value that is not GRANTED): the purchase stays pending.
 *   - an answer after the server stopped (purchases_server_stopped) is ignored: no record.
 *   - a second answer to the same offer is a bug in the handler: it is ignored and counted
 *     (stats.extra_replies; history "purchase.extra_reply"); it is checked before the stop.
 * A server with no handler registered gets no offer: nothing happens, the purchase waits for a
 * later join, and the miss is counted (stats.no_handler). Handlers are registered per server
 * id; purchases_server_stopped clears a server's handler, so a restarted server registers
 * again. The handler called is the one registered when the offer reaches the server (a
 * handler cleared, or a server stopped, in between means the offer is not delivered).
 *
 * History (when hist is set), keyed by player and purchase_id, server = the offer's server:
 *   purchase.bought        note: a purchase was made
 *   purchase.offer         request: invoked when an offer is made; completed ok on GRANTED,
 *                          fail on NOT_PROCESSED_YET ("not processed yet") or when the offer
 *                          never reached the handler ("not delivered: ..."), unknown when the
 *                          server stopped after the handler got it and before it answered
 *                          (the handler may have granted)
 *   purchase.recorded      note: the platform recorded the purchase
 *   purchase.unrecorded    note: a grant the platform failed to record (receipt_unrecorded)
 *   purchase.no_handler    note: an offer not made, the server has no handler
 *   purchase.late_reply    note: an answer after the server stopped, ignored
 *   purchase.extra_reply   note: a second answer to one offer, ignored
 *
 * Determinism: purchases are kept in the order they were made (overall and per player);
 * hash tables are used only to look up by purchase_id or player, never walked; the only
 * randomness is the "purchases" stream, drawn once per grant that needs recording while a
 * receipt_unrecorded fault is active for its server.
 *
 * Lifetimes: the world, the fault plan and the history must outlive the purchases' use; free
 * the purchases before the history. Offers still held by a frozen endpoint when purchases_free
 * runs are released by the endpoint (run or drop) without touching anything else. A handler
 * must not answer after purchases_free. The receipt a handler is given is lent for the call
 * only (its purchase_id stays valid until purchases_free). */
#ifndef PURCHASES_H
#define PURCHASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/platform.h"
#include "faults/fault.h"
#include "sim/endpoint.h"
#include "sim/history.h"
#include "sim/rng.h"
#include "sim/strmap.h"
#include "sim/world.h"

/* One purchase, as the platform knows it. */
typedef struct purchases_record {
    char *purchase_id;
    int64_t player, product, price;
    size_t seq;             /* its place in the order purchases were made, from 0 */
    bool recorded;          /* done: never offered again */
    int64_t recorded_us;    /* true time of the recording; 0 while not recorded */
    int recorded_server;    /* the server whose grant was recorded; 0 while not recorded */
    uint64_t offers;        /* offers made (handed to a server's endpoint) */
    uint64_t calls;         /* ... of which reached the handler */
    uint64_t grants;        /* accepted answers GRANTED (late and extra answers not counted) */
    uint64_t unrecorded_grants; /* ... of which the platform failed to record */
} purchases_record;

typedef struct purchases_stats {
    uint64_t bought;        /* purchases made */
    uint64_t refused;       /* purchases_buy calls refused (no id, or an id already used) */
    uint64_t offers;        /* offers made */
    uint64_t no_handler;    /* offers not made: the server had no handler */
    uint64_t calls;         /* offers that reached a handler */
    uint64_t not_delivered; /* offers that never reached the handler (stopped first, or the
                               handler was cleared while the offer was held) */
    uint64_t abandoned;     /* offers the server stopped without answering */
    uint64_t replies;       /* accepted answers: granted + not_processed */
    uint64_t granted;       /* accepted GRANTED answers */
    uint64_t not_processed; /* accepted NOT_PROCESSED_YET answers */
    uint64_t recorded;      /* purchases recorded */
    uint64_t unrecorded;    /* grants not recorded (receipt_unrecorded) */
    uint64_t already_recorded; /* GRANTED answers for a purchase recorded before */
    uint64_t late_replies;  /* answers after the server stopped, ignored */
    uint64_t extra_replies; /* second answers to one offer (a handler bug), ignored */
} purchases_stats;

typedef struct purchases_offer purchases_offer;   /* one offer: private */
typedef struct purchases_player purchases_player; /* one player's purchases: private */

/* A server's registration. */
typedef struct purchases_server {
    vs_receipt_fn fn; /* NULL: no handler */
    void *arg;
    uint64_t epoch;   /* grows at every stop: an offer of an older epoch is dead */
} purchases_server;

typedef struct purchases {
    world *w;
    const fault_plan *faults; /* may be NULL: no faults */
    rng rng;                  /* "purchases" */
    history *hist;            /* when set (by the owner), everything is recorded there too */
    strmap by_id;             /* purchase_id -> purchases_record; looked up only */
    strmap by_player;         /* player id (8 bytes, little-endian) -> purchases_player */
    purchases_record **all;   /* every purchase, in the order made */
    size_t count, cap;
    purchases_server *servers; /* index: server id - 1 */
    size_t server_count;
    purchases_offer **offers;  /* every offer made, in order (kept for late and extra answers) */
    size_t offer_count, offer_cap;
    purchases_offer **open;    /* offers not yet answered, dropped or abandoned, in order */
    size_t open_count, open_cap;
    purchases_stats stats;
} purchases;

/* faults may be NULL. Returns false when memory runs out. */
bool purchases_init(purchases *p, world *w, const fault_plan *faults);
void purchases_free(purchases *p);

/* Sets (fn non-NULL) or clears (fn NULL) the receipt handler of server server_id (>= 1): the
 * receipt_handler_set of core/platform.h. Setting one offers nothing by itself. */
void purchases_set_handler(purchases *p, int server_id, vs_receipt_fn fn, void *arg);
bool purchases_has_handler(const purchases *p, int server_id);

/* The server stopped (crash, or the end of a shutdown): its handler is cleared, offers it got
 * and did not answer are abandoned (history "unknown"), answers that come later are ignored,
 * and offers it still holds are not delivered. Call it when the endpoint stops, before the
 * engine is freed. */
void purchases_server_stopped(purchases *p, int server_id);

/* The player of receipt buys something while on the server of ep: the purchase is kept
 * (purchase_id, product and price copied) and offered to that server's handler. Returns false,
 * and does nothing but count it, when purchase_id is NULL, empty, or already used. */
bool purchases_buy(purchases *p, endpoint *ep, const vs_receipt *receipt);

/* The player joined the server of ep: every purchase of the player that is not recorded is
 * offered to that server's handler, in the order they were made. Returns the offers made. */
size_t purchases_player_joined(purchases *p, int64_t player, endpoint *ep);

/* The purchase with this id, or NULL. */
const purchases_record *purchases_find(const purchases *p, const char *purchase_id);
/* Purchases in the order they were made: i in [0, purchases_count). */
size_t purchases_count(const purchases *p);
const purchases_record *purchases_at(const purchases *p, size_t i);
/* Purchases of player (0: of everyone) that are not recorded. */
size_t purchases_pending(const purchases *p, int64_t player);

#endif
