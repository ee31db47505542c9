/* client.h: the virtual client of a player.
 *
 * A client follows its player from server to server and holds a read-only replica of the
 * public part of the player's profile, as the game's client would: a snapshot (a view, see
 * core/replicate.h) starts it and change lists move it on, strictly in order. Game code on
 * the client side listens on paths. The client is also the privacy oracle's witness: given
 * the store's public paths, it checks everything it receives, the moment it arrives (also
 * what it then refuses), and remembers the first path it should never have seen.
 *
 * Sessions. Each connect starts a new session, numbered by the client (1, 2, ...): everything
 * the server sends on that connection carries that number and a sequence number. A session's
 * snapshot may carry any sequence number at or after the next expected one (a resync moves
 * forward, never back) and each change list must carry exactly the next one. Anything for
 * another session (an older connection, or anything while disconnected), a gap, a repeat, or
 * a change list before the session's snapshot is refused and counted, and changes nothing:
 * the engine must send in order. A client never guesses, so after a refusal it stays where
 * it was until the engine sends what comes next, or a new snapshot.
 *
 * What it keeps true: the replica is exactly the last accepted snapshot with every accepted
 * change list after it applied in order, or NULL (disconnected, no snapshot yet in this
 * session, or a change list that could not be applied, after which only a snapshot helps).
 * Listeners fire only after a whole snapshot or change list is in, in registration order,
 * at most once each per delivery. */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "core/replicate.h"
#include "core/value.h"

#define CLIENT_RESULT_TABLE(X)                                                               \
    X(CLIENT_APPLIED, "applied")                                                             \
    X(CLIENT_WRONG_SESSION, "not for the current session (an older one, or disconnected)")   \
    X(CLIENT_OUT_OF_ORDER, "out of order (a gap, a repeat, or changes before the snapshot)") \
    X(CLIENT_FAILED, "could not be applied (out of memory, or a change that does not fit)")

#define CLIENT_RESULT_ENUM_ENTRY(name, message) name,
typedef enum client_result { CLIENT_RESULT_TABLE(CLIENT_RESULT_ENUM_ENTRY) } client_result;
#undef CLIENT_RESULT_ENUM_ENTRY

/* "CLIENT_APPLIED", ...; "CLIENT_RESULT_UNKNOWN" outside the table. */
const char *client_result_name(client_result r);
/* A short sentence: "out of order (...)". */
const char *client_result_message(client_result r);

typedef struct client client;

/* Called with the listened path and the replica's node there now (NULL when absent). The
 * node belongs to the replica and is valid only during the call. A callback may listen and
 * unlisten, connect and disconnect, but must not free the client or feed it a snapshot or
 * change list. */
typedef void (*client_listen_fn)(void *arg, client *c, const vs_path *path,
                                 const vs_value *value);

typedef struct client_listener {
    uint64_t id;   /* > 0, never reused within a client */
    vs_path path;  /* owned */
    client_listen_fn fn;
    void *arg;
    bool active;   /* false once unlistened (removed when no delivery is firing) */
    bool pending;  /* the delivery being fired touched it */
} client_listener;

typedef struct client_counters {
    uint64_t snapshots;       /* accepted */
    uint64_t change_lists;    /* accepted */
    uint64_t changes;         /* in accepted change lists */
    uint64_t refused_session; /* CLIENT_WRONG_SESSION */
    uint64_t refused_order;   /* CLIENT_OUT_OF_ORDER */
    uint64_t failed;          /* CLIENT_FAILED */
    uint64_t leaks;           /* deliveries holding a path outside the public paths */
    uint64_t listener_calls;
} client_counters;

/* Read the fields freely; change them only through the functions below. */
struct client {
    int64_t player;
    int server;          /* the server followed, 0 while disconnected */
    uint64_t session;    /* the current (or, disconnected, the last) session; 0 before any */
    bool synced;         /* the replica holds this session's state */
    uint64_t next_seq;   /* what the next change list must carry */
    vs_value *replica;   /* owned; NULL unless synced */
    const vs_public_paths *public_paths; /* borrowed, for the privacy check; may be NULL */
    client_counters counts;
    char first_leak[160]; /* "snapshot 0 of session 1: Wallet.Gems"; "" while none */
    client_listener *listeners; /* in registration order */
    size_t listener_count, listener_cap;
    uint64_t last_listener_id;
    unsigned firing; /* deliveries firing listeners now (callbacks may nest) */
};

/* A disconnected client of player, with no replica. public_paths (the store's, borrowed: it
 * must outlive the client) turns on the privacy check; NULL turns it off. */
void client_init(client *c, int64_t player, const vs_public_paths *public_paths);
void client_free(client *c); /* the replica and the listeners; safe to call twice */

/* Follows the player onto a server (leaving the one it was on, if any) and starts a new
 * session, whose number it returns: what the server must put on everything it sends on
 * this connection. The replica is empty until the session's snapshot arrives. */
uint64_t client_connect(client *c, int server_id);
/* The player is on no server: the replica is dropped and everything is refused until the
 * next connect. Listeners stay. */
void client_disconnect(client *c);

/* Deliveries. The snapshot is copied, the change list only read. */
client_result client_apply_snapshot(client *c, uint64_t session, uint64_t seq,
                                    const vs_value *view);
client_result client_apply_changes(client *c, uint64_t session, uint64_t seq,
                                   const vs_change_list *changes);

/* The replica, or NULL when not synced (see above). */
const vs_value *client_replica(const client *c);
/* The first path received outside the public paths, as text, or NULL while none was. */
const char *client_first_leak(const client *c);

/* Listens on path (copied): fn(arg, ...) is called after each change list that touches the
 * path, a path under it or a path above it (even when the value ends up the same), and after
 * each snapshot that changes the node there (appears, disappears or differs). Returns the
 * listener's id, or 0 when memory runs out (or an argument is NULL). */
uint64_t client_listen(client *c, const vs_path *path, client_listen_fn fn, void *arg);
/* false when no active listener has that id. */
bool client_unlisten(client *c, uint64_t id);

#endif
