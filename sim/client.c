/* client.c: the virtual client of a player (see client.h).
 *
 * What it keeps true: a delivery is judged (privacy first, then session and order) before it
 * touches anything, so a refused one changes nothing but the counters; an accepted one is
 * applied whole before any listener runs, and a listener list that callbacks change while
 * firing is walked by index and compacted only when no delivery is firing, so a callback
 * can never make the walk skip, repeat or read freed memory. */
#include "sim/client.h"

#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/steps.h"
#include "core/text.h"

#define CLIENT_RESULT_NAME_ENTRY(name, message) #name,
#define CLIENT_RESULT_MESSAGE_ENTRY(name, message) message,
static const char *const result_names[] = {CLIENT_RESULT_TABLE(CLIENT_RESULT_NAME_ENTRY)};
static const char *const result_messages[] = {CLIENT_RESULT_TABLE(CLIENT_RESULT_MESSAGE_ENTRY)};

const char *client_result_name(client_result r)
{
    size_t i = (size_t)r;
    return i < sizeof result_names / sizeof *result_names ? result_names[i]
                                                          : "CLIENT_RESULT_UNKNOWN";
}

const char *client_result_message(client_result r)
{
    size_t i = (size_t)r;
    return i < sizeof result_messages / sizeof *result_messages ? result_messages[i]
                                                                : "unknown result";
}

void client_init(client *c, int64_t player, const vs_public_paths *public_paths)
{
    memset(c, 0, sizeof *c);
    c->player = player;
    c->public_paths = public_paths;
}

void client_free(client *c)
{
    if (!c)
        return;
    vs_free(c->replica);
    c->replica = NULL;
    c->synced = false;
    for (size_t i = 0; i < c->listener_count; i++)
        vs_path_free(&c->listeners[i].path);
    free(c->listeners);
    c->listeners = NULL;
    c->listener_count = c->listener_cap = 0;
}

static void drop_replica(client *c)
{
    vs_free(c->replica);
    c->replica = NULL;
    c->synced = false;
}

uint64_t client_connect(client *c, int server_id)
{
    drop_replica(c);
    c->server = server_id;
    c->session++;
    c->next_seq = 0;
    return c->session;
}

void client_disconnect(client *c)
{
    drop_replica(c);
    c->server = 0;
}

const vs_value *client_replica(const client *c)
{
    return c->synced ? c->replica : NULL;
}

const char *client_first_leak(const client *c)
{
    return c->first_leak[0] ? c->first_leak : NULL;
}

/* ---- the privacy witness ---- */

static void note_leak(client *c, const char *kind, uint64_t session, uint64_t seq,
                      const char *where)
{
    c->counts.leaks++;
    if (c->first_leak[0])
        return;
    vs_text_clipf(c->first_leak, sizeof c->first_leak, VS_OK, "%s %llu of session %llu: %s",
                   kind, (unsigned long long)seq, (unsigned long long)session,
                   !where ? "(a path that could not be formatted)" : *where ? where : "(root)");
    if (!c->first_leak[0]) /* clipf could only have failed to write at all */
        c->first_leak[0] = '?';
}

static void check_snapshot(client *c, uint64_t session, uint64_t seq, const vs_value *view)
{
    if (!c->public_paths)
        return;
    char *where = NULL;
    vs_status st = vs_public_check_view(c->public_paths, view, &where);
    /* Out of memory in the check proves nothing either way, so it is not counted. */
    if (st == VS_ERR_INVALID)
        note_leak(c, "snapshot", session, seq, where);
    free(where);
}

static void check_changes(client *c, uint64_t session, uint64_t seq, const vs_change_list *cl)
{
    if (!c->public_paths)
        return;
    for (size_t i = 0; i < cl->count; i++) {
        if (vs_path_is_public(c->public_paths, &cl->items[i].path))
            continue;
        char *where = vs_path_format(&cl->items[i].path);
        note_leak(c, "change list", session, seq, where);
        free(where);
        return; /* one count per delivery */
    }
}

/* ---- listeners ---- */

uint64_t client_listen(client *c, const vs_path *path, client_listen_fn fn, void *arg)
{
    if (!c || !path || !fn)
        return 0;
    if (c->listener_count == c->listener_cap) {
        client_listener *grown = vs_grow(c->listeners, &c->listener_cap, sizeof *c->listeners,
                                         c->listener_count + 1);
        if (!grown)
            return 0;
        c->listeners = grown;
    }
    client_listener *l = &c->listeners[c->listener_count];
    if (vs_path_copy(path, &l->path) != VS_OK)
        return 0;
    l->id = ++c->last_listener_id;
    l->fn = fn;
    l->arg = arg;
    l->active = true;
    l->pending = false;
    c->listener_count++;
    return l->id;
}

/* Removes unlistened entries, keeping the order of the rest. Only while nothing is firing:
 * a walk in progress holds an index into the array, and the callback being run may still
 * read the path it was given, even after unlistening itself. */
static void compact(client *c)
{
    if (c->firing)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < c->listener_count; i++) {
        if (c->listeners[i].active)
            c->listeners[kept++] = c->listeners[i];
        else
            vs_path_free(&c->listeners[i].path);
    }
    c->listener_count = kept;
}

bool client_unlisten(client *c, uint64_t id)
{
    for (size_t i = 0; i < c->listener_count; i++) {
        client_listener *l = &c->listeners[i];
        if (l->id != id || !l->active)
            continue;
        l->active = false;
        l->pending = false;
        compact(c);
        return true;
    }
    return false;
}

/* Calls every pending listener once, in registration order. Listeners added by a callback
 * are not pending, so they wait for the next delivery. */
static void fire(client *c)
{
    c->firing++;
    for (size_t i = 0; i < c->listener_count; i++) {
        if (!c->listeners[i].active || !c->listeners[i].pending)
            continue;
        c->listeners[i].pending = false;
        /* Copied out: a callback may grow (move) the array. */
        client_listener l = c->listeners[i];
        c->counts.listener_calls++;
        l.fn(l.arg, c, &l.path, vs_path_get(client_replica(c), &l.path));
    }
    c->firing--;
    compact(c);
}

static bool touches(const vs_path *listened, const vs_change_list *cl)
{
    for (size_t i = 0; i < cl->count; i++)
        if (vs_path_has_prefix(&cl->items[i].path, listened) ||
            vs_path_has_prefix(listened, &cl->items[i].path))
            return true;
    return false;
}

/* ---- deliveries ---- */

client_result client_apply_snapshot(client *c, uint64_t session, uint64_t seq,
                                    const vs_value *view)
{
    check_snapshot(c, session, seq, view);
    if (c->server == 0 || session != c->session) {
        c->counts.refused_session++;
        return CLIENT_WRONG_SESSION;
    }
    if (seq < c->next_seq) {
        c->counts.refused_order++;
        return CLIENT_OUT_OF_ORDER;
    }
    vs_value *fresh = vs_copy(view);
    if (!fresh) {
        c->counts.failed++;
        return CLIENT_FAILED;
    }
    /* A snapshot replaces everything, so a listener fires when its node differs. */
    const vs_value *old = client_replica(c);
    for (size_t i = 0; i < c->listener_count; i++) {
        client_listener *l = &c->listeners[i];
        if (!l->active)
            continue;
        const vs_value *was = vs_path_get(old, &l->path), *now = vs_path_get(fresh, &l->path);
        l->pending = was || now ? !was || !now || !vs_equal(was, now) : false;
    }
    vs_free(c->replica);
    c->replica = fresh;
    c->synced = true;
    c->next_seq = seq + 1;
    c->counts.snapshots++;
    fire(c);
    return CLIENT_APPLIED;
}

client_result client_apply_changes(client *c, uint64_t session, uint64_t seq,
                                   const vs_change_list *changes)
{
    check_changes(c, session, seq, changes);
    if (c->server == 0 || session != c->session) {
        c->counts.refused_session++;
        return CLIENT_WRONG_SESSION;
    }
    if (!c->synced || seq != c->next_seq) {
        c->counts.refused_order++;
        return CLIENT_OUT_OF_ORDER;
    }
    c->next_seq = seq + 1;
    if (vs_change_list_apply(changes, &c->replica) != VS_OK) {
        /* Part of the list is in: the replica is no state the server ever had. */
        drop_replica(c);
        c->counts.failed++;
        return CLIENT_FAILED;
    }
    c->counts.change_lists++;
    c->counts.changes += changes->count;
    for (size_t i = 0; i < c->listener_count; i++)
        c->listeners[i].pending = c->listeners[i].active && touches(&c->listeners[i].path, changes);
    fire(c);
    return CLIENT_APPLIED;
}
