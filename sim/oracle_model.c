/* oracle_model.c: the reference model of every profile (see oracle_model.h).
 *
 * What it keeps true: a key's model exists exactly while one session holds it in the oracle's
 * view; `states` always starts with a state known to be committed (or the loaded one) and ends
 * with the model's current state. Judgements depend only on the order of the calls, never on
 * table order. */
#include "sim/oracle_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/grow.h"
#include "core/json.h"

typedef struct model_key {
    bool known;         /* committed data seen (or adopted after a forget) */
    bool forgotten;     /* an operator edited it: adopt the next committed data */
    uint64_t committed; /* hash of the data last committed */
    int server;         /* the server of the session the model follows; 0 when none */
    bool refused;       /* validation refused the session's data as it is now (its last
                           change came before the refusal): a release cannot write it */
    bool stopped;       /* that server stopped: the session acknowledges and releases nothing
                           more (a later incarnation's calls are not its own), but a save it
                           sent before may still commit */
    vs_value *model;    /* that session's reference data */
    uint64_t *states;   /* hashes of the model's states since the last one found committed */
    size_t state_count, state_cap;
} model_key;

void model_oracle_init(model_oracle *o)
{
    memset(o, 0, sizeof *o);
    strmap_init(&o->keys);
}

static void end_session(model_key *k)
{
    vs_free(k->model);
    k->model = NULL;
    k->server = 0;
    k->stopped = false;
    k->refused = false;
    k->state_count = 0;
}

static void model_key_free(model_key *k)
{
    if (!k)
        return;
    end_session(k);
    free(k->states);
    free(k);
}

void model_oracle_free(model_oracle *o)
{
    for (size_t i = 0; i < o->keys.cap; i++)
        model_key_free(o->keys.slots[i].value); /* freeing in any order decides nothing */
    strmap_free(&o->keys);
    model_oracle_init(o);
}

static model_key *key_of(model_oracle *o, const char *full_key, bool create)
{
    size_t len = strlen(full_key);
    model_key *k = strmap_get(&o->keys, full_key, len);
    if (k || !create)
        return k;
    k = calloc(1, sizeof *k);
    if (!k || !strmap_put(&o->keys, full_key, len, k)) {
        free(k);
        return NULL;
    }
    return k;
}

/* The session the model follows for this key is on server: anything else is not judged here. */
static model_key *session_on(model_oracle *o, int server, const char *full_key)
{
    model_key *k = key_of(o, full_key, false);
    return k && k->model && k->server == server && !k->stopped ? k : NULL;
}

static bool push_state(model_oracle *o, int64_t time_us, const char *full_key, model_key *k)
{
    uint64_t h;
    if (vs_value_hash(k->model, &h) != VS_OK) {
        /* An unstorable value in memory has no hash: no commit can hold it, so any marker
         * that matches no hash of stored data will do. */
        h = 0;
    }
    uint64_t *grown = vs_grow(k->states, &k->state_cap, sizeof *k->states, k->state_count + 1);
    if (!grown) {
        oracle_violation(&o->atomic, time_us, full_key, 0, "key %s: out of memory following the model; "
                         "it is no longer judged", oracle_key_name(full_key));
        end_session(k);
        return false;
    }
    k->states = grown;
    k->states[k->state_count++] = h;
    return true;
}

void model_oracle_loaded(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         const vs_value *data, int acquirer)
{
    model_key *k = key_of(o, full_key, true);
    if (!k) {
        oracle_violation(&o->atomic, time_us, full_key, 0, "out of memory following the model of %s",
                         oracle_key_name(full_key));
        return;
    }
    /* A load answered after another server acquired the lease (the answer was held up while
     * its server was frozen) has lost the profile already: its saves are refused, so it is
     * not followed, and the session that holds the profile goes on being judged. */
    if (acquirer && acquirer != server)
        return;
    /* A session still followed elsewhere ended without a release (a crash, a close deadline,
     * a frozen server taken over): only its committed saves count, which is what `committed`
     * already says. */
    end_session(k);
    k->model = data ? vs_copy(data) : NULL;
    if (!k->model)
        return;
    k->server = server;
    push_state(o, time_us, full_key, k);
}

void model_oracle_change(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         model_change_fn fn, void *arg, const char *what)
{
    model_key *k = session_on(o, server, full_key);
    if (!k)
        return;
    /* Applied in place: a change that fails on the model is a violation already, and the
     * memory comparison after it adopts the engine's data, so a half-applied model is never
     * judged against. */
    vs_status st = fn(arg, k->model);
    if (st != VS_OK) {
        oracle_violation(&o->atomic, time_us, full_key, 0,
                         "key %s: server %d acknowledged %s, which fails on the reference model (%s); "
                         "the engine's data had drifted from what its callers were told",
                         oracle_key_name(full_key), server, what, vs_status_message(st));
        return;
    }
    k->refused = false; /* the data changed: an earlier refusal says nothing of it */
    push_state(o, time_us, full_key, k);
}

void model_oracle_memory(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         const vs_value *data, const char *what)
{
    model_key *k = session_on(o, server, full_key);
    if (!k || vs_equal(k->model, data))
        return;
    char diff[320];
    oracle_first_difference(k->model, data, diff, sizeof diff);
    oracle_violation(&o->atomic, time_us, full_key, 0,
                     "key %s: after %s on server %d, the profile in memory is not what the "
                     "acknowledged changes make it: %s (model first, memory second)",
                     oracle_key_name(full_key), what, server, diff);
    /* Follow the engine from here, so one divergence is reported once. */
    vs_value *copy = vs_copy(data);
    if (copy) {
        vs_free(k->model);
        k->model = copy;
        push_state(o, time_us, full_key, k);
    }
}

void model_oracle_released(model_oracle *o, int64_t time_us, int server, const char *full_key)
{
    model_key *k = session_on(o, server, full_key);
    if (!k)
        return;
    uint64_t last = k->states[k->state_count - 1];
    if ((!k->known || k->committed != last) && !k->refused)
        oracle_violation(&o->lost, time_us, full_key, 0,
                         "key %s: the session on server %d released the profile, but its last "
                         "acknowledged state was never committed (%zu state%s since the last "
                         "committed one): acknowledged changes are lost",
                         oracle_key_name(full_key), server, k->state_count - 1,
                         k->state_count == 2 ? "" : "s");
    end_session(k);
}

void model_oracle_refused(model_oracle *o, int server, const char *full_key)
{
    model_key *k = session_on(o, server, full_key);
    if (k)
        k->refused = true;
}

void model_oracle_ended(model_oracle *o, int server, const char *full_key)
{
    model_key *k = session_on(o, server, full_key);
    if (k)
        end_session(k);
}

void model_oracle_server_stopped(model_oracle *o, int64_t time_us, int server)
{
    /* Marking a session writes nothing and judges nothing, so the order does not matter; the
     * sorted walk is simply the table's only walk. */
    const strmap_entry **entries = strmap_sorted_entries(&o->keys);
    size_t n = strmap_count(&o->keys);
    if (!entries && n > 0) {
        oracle_violation(&o->atomic, time_us, NULL, 0, "out of memory marking the sessions of server %d; "
                         "the model is no longer judged", server);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        model_key *k = entries[i]->value;
        if (k->model && k->server == server)
            k->stopped = true;
    }
    free(entries);
}

void model_oracle_forget(model_oracle *o, const char *full_key)
{
    model_key *k = key_of(o, full_key, false);
    if (k)
        k->forgotten = true;
}

/* The newest state with hash h, or -1. */
static long find_state(const model_key *k, uint64_t h)
{
    for (size_t i = k->state_count; i-- > 0;)
        if (k->states[i] == h)
            return (long)i;
    return -1;
}

void model_oracle_commit(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         const vs_value *document, const uint64_t *data_hash)
{
    if (!document) {
        model_key *k = key_of(o, full_key, false);
        if (k) { /* a removal: a later profile under this key starts a new history */
            end_session(k);
            k->known = false;
        }
        return;
    }
    if (!data_hash || !vs_doc_meta(document))
        return; /* not a profile document */
    uint64_t h = *data_hash;
    model_key *k = key_of(o, full_key, true);
    if (!k)
        return;
    if (!k->known || k->forgotten) { /* created, or edited by an operator: taken as it is */
        k->known = true;
        k->forgotten = false;
        k->committed = h;
        return;
    }
    long i = k->model && k->server == server ? find_state(k, h) : -1;
    if (i >= 0) { /* one of the session's states: from here on, only later ones may be lost */
        k->refused = k->refused && i + 1 < (long)k->state_count; /* refused data was not this */
        memmove(k->states, k->states + i, (k->state_count - (size_t)i) * sizeof *k->states);
        k->state_count -= (size_t)i;
        k->committed = h;
        return;
    }
    if (h == k->committed)
        return; /* the data did not change (a lease renewal, a delivery into the inbox) */
    if (!k->model)
        oracle_violation(&o->lost, time_us, full_key, 0,
                         "key %s: server %d changed the stored data while no session held the "
                         "profile; what the last session saved is overwritten",
                         oracle_key_name(full_key), server);
    else if (k->server != server)
        oracle_violation(&o->lost, time_us, full_key, 0,
                         "key %s: server %d changed the stored data while the session on server %d "
                         "held the profile; that session's saves are overwritten",
                         oracle_key_name(full_key), server, k->server);
    else
        oracle_violation(&o->atomic, time_us, full_key, 0,
                         "key %s: server %d committed data the reference model never held (not one "
                         "of its %zu state%s since the last committed save): a cancelled, failed or "
                         "half-applied change reached the store",
                         oracle_key_name(full_key), server, k->state_count,
                         k->state_count == 1 ? "" : "s");
    k->committed = h;
}
