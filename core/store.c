/* store.c: sessions of player profiles: leases, loads, saves, retries, autosave, transactions,
 * locks, close, inspection and repair (see store.h for the contract).
 *
 * What it keeps true:
 * - one platform request per session in flight at a time (in_flight), so requests for one key
 *   are ordered and a retried old save can never overwrite a newer one;
 * - every save's transform writes only if it finds this session's token in the lease, and a
 *   release writes the lease away and remembers its token, so nothing acquires by accident;
 * - a session is freed only when no request of it is in flight and its timers are cancelled,
 *   so no platform callback ever finds it gone;
 * - sessions are kept sorted by user id, so every walk over them (close, listing) happens in
 *   the same order on every run; no pointer value reaches a decision.
 * Time is measured with the platform's timers, never by subtracting wall-clock readings, so a
 * server whose clock is skewed or jumps still judges lease expiry right. */
#include "core/store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"
#include "core/ds_error.h"
#include "core/grow.h"
#include "core/json.h"

#define DEFAULT_AUTOSAVE_US (30LL * 1000000)
#define DEFAULT_LEASE_US (90LL * 1000000)
#define RELEASE_TOPIC_PREFIX "vstore.release/"
#define INBOX_TOPIC_PREFIX "vstore.inbox/"
#define DEFAULT_OP_MAX_ATTEMPTS 5
#define DEFAULT_RECEIPT_KEEP 1000
#define DEFAULT_VALUE_MAX_BYTES 4194304 /* PLATFORM.md: the largest value the store accepts */
#define META_RESERVE_BYTES 1024         /* kept for the document's meta: data gets the rest */

typedef struct session session;

typedef enum load_outcome {
    LOAD_NONE,
    LOAD_ACQUIRED,
    LOAD_TAKEN_OVER,
    LOAD_MISSING, /* the key reads as missing: confirm before creating */
    LOAD_INVALID, /* not a profile document */
    LOAD_TOO_NEW, /* written by a newer schema */
    LOAD_HELD,    /* another live session holds the lease */
} load_outcome;

typedef enum save_outcome {
    SAVE_NONE,
    SAVE_NOT_HELD,         /* release_if_held, and the lease is not ours: nothing to release */
    SAVE_WRITTEN,
    SAVE_LOST,             /* the lease is someone else's: nothing written */
    SAVE_ALREADY_RELEASED, /* an earlier try of this release committed */
    SAVE_NIL,              /* the key read as missing although this session holds it */
} save_outcome;

typedef struct waiter {
    session *s;
    vs_session_fn done;
    void *arg;
    vs_timer_id timer;
} waiter;

typedef struct lock_waiter {
    vs_lock_id id;
    vs_lock_fn fn;
    void *arg;
} lock_waiter;

struct session {
    vs_store *store;
    int64_t user_id;
    char key[64];
    vs_session_state state;
    vs_value *data; /* the profile, once loaded */
    char token[24];
    int64_t generation;
    bool in_flight;     /* a platform request of this session is in flight */
    vs_timer_id retry_timer;
    unsigned attempt;   /* of the current load or save */
    int last_code;      /* the last DataStore error, for wait's reason */
    vs_status last_reason;

    /* loading */
    load_outcome outcome;
    bool create_confirmed; /* the version history said the key never existed */
    bool leave_requested;
    vs_lease held;          /* the last foreign lease seen */
    bool held_seen;
    vs_lease held_prev;     /* what was known when the request in flight was sent: a transform
                               run again on a conflict compares with this, not with itself */
    bool held_prev_seen;
    bool held_stale;        /* held has not changed for lease_us of our timers */
    vs_timer_id stale_timer;

    /* saving */
    save_outcome sout;
    vs_value *snapshot;  /* the data being written by the save in flight */
    bool write_data;     /* false: a release that writes the lease away only */
    bool releasing;      /* the session is to end: its next write gives the lease back */
    bool writing_release; /* the write in flight was sent as the release (not a plain save
                             that a leave caught in flight) */
    bool release_if_held; /* a release after a load of unknown outcome: nothing to do when the
                             lease is not ours */
    bool release_unsaved; /* the release could not write the data (validation): say so */
    bool renew_due;       /* the lease must be renewed by this save, data or not */
    bool save_again;     /* a save was asked for while one was in flight */
    uint64_t saved_hash;
    bool saved_hash_known;
    int64_t since_write_us; /* timer time since the last committed write */
    vs_timer_id autosave_timer;
    int64_t tick_us;         /* the delay of the autosave tick now scheduled */

    /* who to tell */
    vs_session_fn on_loaded;
    void *loaded_arg;
    vs_session_fn on_released;
    void *released_arg;
    waiter **waiters;
    size_t waiter_count;

    /* a join while releasing: load again afterwards */
    bool rejoin;
    vs_session_fn rejoin_done;
    void *rejoin_arg;

    /* durable operations */
    vs_value *inbox_view; /* the inbox as the last write (or load) left it: what to apply */
    vs_value *applied;    /* ids applied in memory whose receipts are not written yet */
    vs_value *failed;     /* id -> {attempts, error}: failed attempts not written yet */
    vs_value *tried;      /* id -> the autosave round of its last attempt */
    int64_t round;        /* autosave rounds: a failed operation is tried once a round */
    bool look_at_inbox;   /* told of a new operation while loading: read the inbox once active */

    /* client replication */
    vs_value *public_view; /* what the client was last sent */
    uint64_t repl_seq;

    /* local locks */
    vs_lock_id lock_holder;
    lock_waiter *lock_queue;
    size_t lock_count;
};

typedef struct pending_op pending_op;

struct vs_store {
    vs_platform platform;
    char *name;
    char *key_prefix;
    vs_value *template_;
    int64_t schema;
    int64_t autosave_us;
    int64_t lease_us;
    vs_retry_policy retry;
    const vs_migrations *migrations;
    const vs_validators *validators;
    size_t data_max_bytes; /* the canonical JSON of data may be this long */
    bool reconcile;
    vs_critical critical;
    session **sessions; /* sorted by user_id */
    size_t session_count, session_cap;
    bool closing;
    void (*closed)(void *arg);
    void *closed_arg;
    vs_sub_id release_sub;
    char release_topic[96];
    pending_op **ops; /* inspections and repairs in flight, freed with the store */
    size_t op_count, op_cap;
    vs_lock_id next_lock;
    vs_timer_id critical_timer; /* looks whether the critical state can be left */
    vs_op_handler *handlers;    /* names copied */
    size_t handler_count;
    int op_max_attempts;
    int receipt_keep;
    unsigned unsafe; /* VS_UNSAFE_* bits: for the oracles' own tests */
    vs_sub_id inbox_sub;
    vs_public_paths public_paths; /* copied; empty: nothing is replicated */
    vs_leaderboard *leaderboard;  /* NULL when none */
    struct receipt_waiter *receipt_waiters; /* purchases waiting for their grant to be saved */
    size_t receipt_waiter_count, receipt_waiter_cap;
};

typedef struct receipt_waiter {
    int64_t user_id;
    char op_id[128];
    vs_receipt_reply_fn reply;
    void *arg;
} receipt_waiter;

const char *vs_session_state_name(vs_session_state state)
{
    switch (state) {
    case VS_SESSION_NONE: return "NONE";
    case VS_SESSION_LOADING: return "LOADING";
    case VS_SESSION_ACTIVE: return "ACTIVE";
    case VS_SESSION_SAVING: return "SAVING";
    case VS_SESSION_RELEASING: return "RELEASING";
    case VS_SESSION_LOST: return "LOST";
    }
    return "UNKNOWN";
}

const char *vs_event_kind_name(vs_event_kind kind)
{
#define NAME(id, name) name,
    static const char *const names[] = {VS_EVENT_TABLE(NAME)};
#undef NAME
    return (unsigned)kind < VS_EV_KIND_COUNT ? names[kind] : "unknown";
}

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */

static const vs_platform_ops *ops(const vs_store *store)
{
    return store->platform.ops;
}

static void *pctx(const vs_store *store)
{
    return store->platform.ctx;
}

static void emit(vs_store *store, vs_event_kind kind, int64_t user_id, int code, const char *message)
{
    if (!ops(store)->emit)
        return;
    vs_event ev = {.kind = kind, .user_id = user_id, .code = code, .message = message};
    ops(store)->emit(pctx(store), &ev);
}

static vs_timer_id start_timer(vs_store *store, int64_t delay_us, vs_timer_fn fn, void *arg)
{
    return ops(store)->timer_start(pctx(store), delay_us, fn, arg);
}

static void cancel_timer(vs_store *store, vs_timer_id *id)
{
    if (*id)
        ops(store)->timer_cancel(pctx(store), *id);
    *id = 0;
}

static void set_error(vs_error *err, vs_status status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_error(vs_error *err, vs_status status, int code, const char *fmt, ...)
{
    err->status = status;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static void critical_check(void *arg);

/* While critical, a timer looks when the state is due to end, so an idle store leaves it too. */
static void plan_critical_check(vs_store *store)
{
    cancel_timer(store, &store->critical_timer);
    vs_time_us delay = vs_critical_leave_delay_us(&store->critical);
    if (delay >= 0)
        store->critical_timer = start_timer(store, delay > 0 ? delay : 1, critical_check, store);
}

static void critical_check(void *arg)
{
    vs_store *store = arg;
    store->critical_timer = 0;
    if (vs_critical_poll(&store->critical, ops(store)->now(pctx(store))) == VS_CRITICAL_LEFT)
        emit(store, VS_EV_CRITICAL_LEFT, 0, 0, "errors back to normal");
    else
        plan_critical_check(store);
}

/* An error counts towards the critical state. */
static void note_error(vs_store *store, int64_t user_id)
{
    if (vs_critical_note_error(&store->critical, ops(store)->now(pctx(store))) == VS_CRITICAL_ENTERED) {
        emit(store, VS_EV_CRITICAL_ENTERED, user_id, 0, "too many errors in a short time");
        plan_critical_check(store);
    }
}

static void note_success(vs_store *store)
{
    if (vs_critical_poll(&store->critical, ops(store)->now(pctx(store))) == VS_CRITICAL_LEFT) {
        cancel_timer(store, &store->critical_timer);
        emit(store, VS_EV_CRITICAL_LEFT, 0, 0, "errors back to normal");
    }
}

static int64_t retry_delay(vs_store *store, unsigned attempt)
{
    return vs_retry_delay_us(&store->retry, (int)attempt, store->closing, ops(store)->random_bits(pctx(store)));
}

/* ------------------------------------------------------------------------------------------
 * The session list
 * ---------------------------------------------------------------------------------------- */

static size_t lower_bound(const vs_store *store, int64_t user_id)
{
    size_t lo = 0, hi = store->session_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (store->sessions[mid]->user_id < user_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static session *find_session(const vs_store *store, int64_t user_id)
{
    size_t i = lower_bound(store, user_id);
    return i < store->session_count && store->sessions[i]->user_id == user_id ? store->sessions[i] : NULL;
}

static vs_status insert_session(vs_store *store, session *s)
{
    if (store->session_count == store->session_cap) {
        size_t cap = store->session_cap ? store->session_cap * 2 : 16;
        session **p = realloc(store->sessions, cap * sizeof *p);
        if (!p)
            return VS_ERR_NOMEM;
        store->sessions = p;
        store->session_cap = cap;
    }
    size_t i = lower_bound(store, s->user_id);
    memmove(&store->sessions[i + 1], &store->sessions[i], (store->session_count - i) * sizeof *store->sessions);
    store->sessions[i] = s;
    store->session_count++;
    return VS_OK;
}

static void session_free(session *s)
{
    vs_free(s->public_view);
    vs_free(s->inbox_view);
    vs_free(s->applied);
    vs_free(s->failed);
    vs_free(s->tried);
    for (size_t i = 0; i < s->waiter_count; i++)
        free(s->waiters[i]);
    free(s->waiters);
    free(s->lock_queue);
    vs_free(s->data);
    vs_free(s->snapshot);
    free(s);
}

static void cancel_session_timers(session *s)
{
    vs_store *store = s->store;
    cancel_timer(store, &s->retry_timer);
    cancel_timer(store, &s->stale_timer);
    cancel_timer(store, &s->autosave_timer);
    for (size_t i = 0; i < s->waiter_count; i++)
        cancel_timer(store, &s->waiters[i]->timer);
}

static void check_closed(vs_store *store);

static void answer_receipts(vs_store *store, int64_t user_id, const vs_value *written, bool give_up);

/* Removes a session that has nothing in flight. */
static void remove_session(session *s)
{
    vs_store *store = s->store;
    answer_receipts(store, s->user_id, NULL, true);
    cancel_session_timers(s);
    size_t i = lower_bound(store, s->user_id);
    if (i < store->session_count && store->sessions[i] == s) {
        memmove(&store->sessions[i], &store->sessions[i + 1],
                (store->session_count - i - 1) * sizeof *store->sessions);
        store->session_count--;
    }
    session_free(s);
    check_closed(store);
}

/* ------------------------------------------------------------------------------------------
 * Telling waiters
 * ---------------------------------------------------------------------------------------- */

/* Calls every waiter with err (NULL: loaded), and the join's callback. The callbacks may call
 * back into the store, so everything is taken off the session first. */
static void finish_waiting(session *s, const vs_error *err)
{
    vs_store *store = s->store;
    int64_t user_id = s->user_id;
    waiter **ws = s->waiters;
    size_t n = s->waiter_count;
    s->waiters = NULL;
    s->waiter_count = 0;
    vs_session_fn loaded = s->on_loaded;
    void *loaded_arg = s->loaded_arg;
    s->on_loaded = NULL;
    for (size_t i = 0; i < n; i++)
        cancel_timer(store, &ws[i]->timer);
    if (loaded)
        loaded(loaded_arg, user_id, err);
    for (size_t i = 0; i < n; i++) {
        ws[i]->done(ws[i]->arg, user_id, err);
        free(ws[i]);
    }
    free(ws);
}

static void waiter_timeout(void *arg)
{
    waiter *w = arg;
    session *s = w->s;
    w->timer = 0;
    for (size_t i = 0; i < s->waiter_count; i++) {
        if (s->waiters[i] != w)
            continue;
        memmove(&s->waiters[i], &s->waiters[i + 1], (s->waiter_count - i - 1) * sizeof *s->waiters);
        s->waiter_count--;
        break;
    }
    vs_error err;
    if (s->last_reason == VS_ERR_LEASE_HELD)
        set_error(&err, VS_ERR_LEASE_HELD, 0, "timed out: another server (%s) holds the profile's lease",
                  s->held.owner);
    else if (s->last_reason == VS_ERR_UNAVAILABLE)
        set_error(&err, VS_ERR_UNAVAILABLE, s->last_code,
                  "timed out: the DataStore keeps failing (last error %d: %s)", s->last_code,
                  vs_ds_error_message(s->last_code));
    else
        set_error(&err, VS_ERR_TIMEOUT, 0, "timed out while the profile was loading");
    w->done(w->arg, s->user_id, &err);
    free(w);
}

/* ------------------------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------------------------- */

static void attempt_load(session *s);
static void start_release(session *s);
static void schedule_autosave(session *s, bool first);
static void end_session_with(session *s, const vs_error *err);
static void replicate(session *s, bool snapshot);
static void remember_inbox(session *s, const vs_value *inbox);
static void process_inbox(session *s);
static void start_save(session *s);

static bool same_lease(const vs_lease *a, const vs_lease *b)
{
    return a->held == b->held && a->generation == b->generation && a->renewals == b->renewals &&
           strcmp(a->token, b->token) == 0;
}

static bool load_transform(void *arg, const vs_value *current, const vs_key_info *info,
                           vs_ds_write *out)
{
    session *s = arg;
    vs_store *store = s->store;
    (void)info;
    s->outcome = LOAD_NONE;
    if (current == NULL) {
        if (!s->create_confirmed) {
            s->outcome = LOAD_MISSING;
            return false;
        }
        vs_lease mine = {.held = true, .generation = 1};
        snprintf(mine.owner, sizeof mine.owner, "%s", ops(store)->server_name(pctx(store)));
        snprintf(mine.token, sizeof mine.token, "%s", s->token);
        vs_doc_change change = {.data = store->template_, .schema = store->schema, .lease = &mine,
                                .generation = 1};
        out->value = vs_doc_apply(NULL, &change);
        s->generation = 1;
        s->outcome = LOAD_ACQUIRED;
        return out->value != NULL;
    }
    if (!vs_doc_data(current) || !vs_doc_meta(current)) {
        s->outcome = LOAD_INVALID;
        return false;
    }
    if (vs_doc_meta_int(current, VS_DOC_SCHEMA, 1) > store->schema) {
        s->outcome = LOAD_TOO_NEW;
        return false;
    }
    vs_lease lease;
    vs_doc_lease(current, &lease);
    bool mine = lease.held && strcmp(lease.token, s->token) == 0;
    bool takeover = false;
    if (lease.held && !mine) {
        /* Another session holds it. It is stale only if our own timers saw it unchanged for a
         * whole lease length; anything else (a renewal, a new holder) starts the wait again. */
        if (s->held_prev_seen && same_lease(&lease, &s->held_prev) && s->held_stale) {
            takeover = true;
        } else {
            s->held = lease;
            s->held_seen = true;
            s->outcome = LOAD_HELD;
            return false;
        }
    }
    int64_t generation = vs_doc_meta_int(current, "generation", 0);
    if (lease.generation > generation)
        generation = lease.generation;
    vs_lease next = {.held = true, .generation = mine ? lease.generation : generation + 1,
                     .renewals = mine ? lease.renewals : 0};
    snprintf(next.owner, sizeof next.owner, "%s", ops(store)->server_name(pctx(store)));
    snprintf(next.token, sizeof next.token, "%s", s->token);
    vs_doc_change change = {.lease = &next,
                            .generation = next.generation > generation ? next.generation : generation};
    out->value = vs_doc_apply(current, &change);
    remember_inbox(s, vs_doc_meta_array(current, "inbox"));
    s->generation = next.generation;
    s->outcome = takeover ? LOAD_TAKEN_OVER : LOAD_ACQUIRED;
    return out->value != NULL;
}

static void retry_load_timer(void *arg)
{
    session *s = arg;
    s->retry_timer = 0;
    attempt_load(s);
}

static void schedule_load_retry(session *s, int64_t delay_us)
{
    cancel_timer(s->store, &s->retry_timer);
    s->retry_timer = start_timer(s->store, delay_us, retry_load_timer, s);
}

static void stale_timer_fired(void *arg)
{
    session *s = arg;
    s->stale_timer = 0;
    if (s->store->unsafe & VS_UNSAFE_NEVER_TAKE_OVER)
        return; /* (the oracles' own tests: wait for a release that never comes) */
    s->held_stale = true;
    /* Look again now: if the lease is still what we saw a lease length ago, it is ours. */
    if (s->state == VS_SESSION_LOADING && !s->in_flight) {
        cancel_timer(s->store, &s->retry_timer);
        attempt_load(s);
    }
}

static void ask_holder_to_release(session *s)
{
    vs_store *store = s->store;
    if (!ops(store)->msg_publish || !s->held.owner[0])
        return;
    char topic[96], body[256];
    snprintf(topic, sizeof topic, RELEASE_TOPIC_PREFIX "%s", s->held.owner);
    int n = snprintf(body, sizeof body, "%s\n%s\n%s", store->name, s->key, s->held.token);
    ops(store)->msg_publish(pctx(store), topic, body, (size_t)n, NULL, NULL);
}

/* The key reads as missing: the version history says whether it ever existed. */
static void versions_done(void *arg, const vs_ds_versions *result)
{
    session *s = arg;
    vs_store *store = s->store;
    s->in_flight = false;
    if (s->leave_requested) {
        end_session_with(s, NULL);
        return;
    }
    /* It never existed, or its newest version is a removal's tombstone: create it afresh. */
    if (result->code == 0 && (result->count == 0 || result->items[0].deleted)) {
        s->create_confirmed = true;
        attempt_load(s);
        return;
    }
    s->attempt++;
    if (result->code == 0) {
        /* It has versions, so it exists: the read lied (the nil-read incident). Never create
         * from the template over it; try again later. */
        emit(store, VS_EV_NIL_READ_SUSPECTED, s->user_id, 0,
             "the profile reads as missing but has stored versions: not creating it from the template");
        s->last_reason = VS_ERR_UNAVAILABLE;
    } else {
        s->last_code = result->code;
        s->last_reason = VS_ERR_UNAVAILABLE;
    }
    note_error(store, s->user_id);
    schedule_load_retry(s, retry_delay(store, s->attempt));
}

static void load_failed(session *s, vs_status status, int code, const char *message)
{
    vs_error err;
    set_error(&err, status, code, "%s", message);
    emit(s->store, VS_EV_LOAD_FAILED, s->user_id, code ? code : (int)status, err.message);
    end_session_with(s, &err);
}

static void loaded(session *s, const vs_value *doc)
{
    vs_store *store = s->store;
    char why[200] = "";
    vs_value *data = vs_copy(vs_doc_data(doc));
    int64_t schema = vs_doc_meta_int(doc, VS_DOC_SCHEMA, 1);
    int64_t new_schema = schema;
    vs_status st = data ? VS_OK : VS_ERR_NOMEM;
    if (st == VS_OK)
        st = vs_migrate(store->migrations, store->schema, data, schema, &new_schema, why, sizeof why);
    if (st != VS_OK) {
        vs_free(data);
        emit(store, VS_EV_MIGRATION_FAILED, s->user_id, (int)st, why);
        /* We hold the lease: give it back without touching the data. */
        s->state = VS_SESSION_RELEASING;
        s->releasing = true;
        s->write_data = false;
        s->last_reason = st;
        s->leave_requested = true;
        s->data = NULL;
        vs_error err;
        set_error(&err, st, 0, "%s", why[0] ? why : vs_status_message(st));
        finish_waiting(s, &err);
        start_release(s);
        return;
    }
    /* Fields the template has and the stored profile lacks are added (a game added a field). */
    if (store->reconcile && vs_type_of(data) == VS_MAP) {
        for (size_t i = 0; i < vs_map_len(store->template_); i++) {
            size_t len;
            const char *k = vs_map_key_at(store->template_, i, &len);
            if (!vs_map_key_is_int(store->template_, i) && !vs_map_get_n(data, k, len))
                vs_map_set_n(data, k, len, vs_copy(vs_map_value_at(store->template_, i)));
        }
    }
    s->data = data;
    s->state = VS_SESSION_ACTIVE;
    s->since_write_us = 0;
    s->saved_hash_known = false; /* migrations or reconciliation may have changed it */
    s->attempt = 0;
    if (new_schema == schema && vs_value_hash(vs_doc_data(doc), &s->saved_hash) == VS_OK) {
        uint64_t now_hash;
        s->saved_hash_known = vs_value_hash(data, &now_hash) == VS_OK && now_hash == s->saved_hash;
    }
    emit(store, VS_EV_PROFILE_LOADED, s->user_id, 0, "profile loaded");
    replicate(s, true);
    note_success(store);
    schedule_autosave(s, true);
    finish_waiting(s, NULL);
    s = find_session(store, s->user_id) == s ? s : NULL; /* a callback may have left */
    if (s && s->leave_requested && s->state == VS_SESSION_ACTIVE)
        start_release(s);
    else if (s && s->look_at_inbox) {
        /* An operation arrived after the load read the inbox: fetch it now rather than at the
         * next renewal (a purchase is waiting on it). */
        s->look_at_inbox = false;
        process_inbox(s);
        if (s->state == VS_SESSION_ACTIVE)
            start_save(s);
    } else if (s)
        process_inbox(s); /* operations that waited for the player while offline */
}

static void load_done(void *arg, const vs_ds_result *r)
{
    session *s = arg;
    vs_store *store = s->store;
    s->in_flight = false;
    if (r->code != 0) {
        s->last_code = r->code;
        s->last_reason = VS_ERR_UNAVAILABLE;
        vs_retry_decision d = vs_retry_decide(&store->retry, r->code, (int)s->attempt + 1, store->closing);
        note_error(store, s->user_id);
        if (vs_diag_is_budget_code(r->code))
            emit(store, VS_EV_BUDGET_EXHAUSTED, s->user_id, r->code, r->message);
        if (s->leave_requested) {
            /* The load may have taken the lease although it failed: give it back if so. */
            vs_error gone;
            set_error(&gone, VS_ERR_NOT_LOADED, 0, "the player left before the profile loaded");
            finish_waiting(s, &gone);
            s->release_if_held = true;
            s->data = NULL;
            start_release(s);
            return;
        }
        if (d.action == VS_RETRY_AGAIN) {
            s->attempt++;
            emit(store, VS_EV_RETRY, s->user_id, r->code, r->message);
            schedule_load_retry(s, retry_delay(store, s->attempt));
            return;
        }
        char msg[200];
        snprintf(msg, sizeof msg, "load failed: DataStore error %d: %s", r->code, r->message);
        load_failed(s, d.action == VS_RETRY_GIVE_UP_SHUTDOWN ? VS_ERR_CLOSED : VS_ERR_UNAVAILABLE, r->code, msg);
        return;
    }
    if (r->cancelled) {
        switch (s->outcome) {
        case LOAD_MISSING:
            if (s->leave_requested) {
                end_session_with(s, NULL);
                return;
            }
            if (store->unsafe & VS_UNSAFE_CREATE_ON_NIL_READ) { /* (oracles' tests: believe the read) */
                s->create_confirmed = true;
                attempt_load(s);
                return;
            }
            s->in_flight = true;
            ops(store)->ds_list_versions(pctx(store), store->name, s->key, true, INT64_MIN, INT64_MAX,
                                         1, versions_done, s);
            return;
        case LOAD_INVALID:
            load_failed(s, VS_ERR_INVALID, 0, "the stored value is not a profile document: not touching it");
            return;
        case LOAD_TOO_NEW:
            emit(store, VS_EV_SCHEMA_TOO_NEW, s->user_id, 0, "stored schema is newer than this server's");
            load_failed(s, VS_ERR_SCHEMA_TOO_NEW, 0,
                        "the profile was written by a newer server (a newer schema): not loading it, "
                        "to avoid a downgrade");
            return;
        case LOAD_HELD:
        default:
            s->last_reason = VS_ERR_LEASE_HELD;
            if (s->leave_requested) {
                end_session_with(s, NULL);
                return;
            }
            if (!s->held_prev_seen || !same_lease(&s->held, &s->held_prev)) {
                /* A new lease or a renewal: its lease length starts now, on our timer. */
                s->held_stale = false;
                cancel_timer(store, &s->stale_timer);
                s->stale_timer = start_timer(store, store->lease_us, stale_timer_fired, s);
                ask_holder_to_release(s);
            }
            s->attempt++;
            /* Look again soon: the holder may release when asked. */
            int64_t delay = retry_delay(store, s->attempt);
            if (delay > store->lease_us / 6)
                delay = store->lease_us / 6;
            schedule_load_retry(s, delay);
            return;
        }
    }
    if (s->outcome == LOAD_TAKEN_OVER)
        emit(store, VS_EV_LEASE_TAKEN_OVER, s->user_id, 0, "took over a lease that had expired");
    cancel_timer(store, &s->stale_timer);
    if (s->leave_requested && s->state == VS_SESSION_LOADING) {
        /* Loaded for nobody: hand the lease straight back, leaving the stored data as it is
         * (it may be at an older schema, unmigrated). */
        vs_error gone;
        set_error(&gone, VS_ERR_NOT_LOADED, 0, "the player left before the profile loaded");
        finish_waiting(s, &gone);
        s->data = NULL;
        start_release(s);
        return;
    }
    loaded(s, r->value);
}

static void attempt_load(session *s)
{
    vs_store *store = s->store;
    if (s->in_flight)
        return;
    if (s->leave_requested) {
        end_session_with(s, NULL);
        return;
    }
    s->in_flight = true;
    s->held_prev = s->held;
    s->held_prev_seen = s->held_seen;
    ops(store)->ds_update(pctx(store), store->name, s->key, load_transform, s, load_done, s);
}

/* ------------------------------------------------------------------------------------------
 * Client replication
 * ---------------------------------------------------------------------------------------- */

/* Sends the client what changed in the public part of the profile since the last send (or the
 * whole public view, at load). Called after every committed change, never for a cancelled or
 * failed one, so a client never sees what did not happen. */
static void replicate(session *s, bool snapshot)
{
    vs_store *store = s->store;
    if (store->public_paths.count == 0 || !ops(store)->client_send || !s->data)
        return;
    if ((store->unsafe & VS_UNSAFE_CHANGES_NOT_SENT) && !snapshot && s->public_view)
        return; /* (the unsafe engine of the oracles' own tests forgets the client) */
    vs_value *view = vs_public_view(&store->public_paths, s->data);
    if (!view)
        return;
    if (snapshot || !s->public_view) {
        s->repl_seq = 0;
        /* (the unsafe engine of the oracles' own tests sends everything) */
        ops(store)->client_send(pctx(store), s->user_id, true, 0,
                                (store->unsafe & VS_UNSAFE_SNAPSHOT_WHOLE_PROFILE) ? s->data : view, NULL);
    } else {
        vs_change_list changes;
        vs_change_list_init(&changes);
        if (vs_public_diff(&store->public_paths, s->public_view, view, &changes) == VS_OK &&
            changes.count > 0)
            ops(store)->client_send(pctx(store), s->user_id, false, ++s->repl_seq, NULL, &changes);
        vs_change_list_free(&changes);
    }
    vs_free(s->public_view);
    s->public_view = view;
}

/* ------------------------------------------------------------------------------------------
 * Durable operations
 * ---------------------------------------------------------------------------------------- */

static const char *item_id(const vs_value *item)
{
    const vs_value *id = vs_type_of(item) == VS_MAP ? vs_map_get(item, "id") : NULL;
    return vs_type_of(id) == VS_STRING ? vs_string_of(id, NULL) : NULL;
}

/* Is id among the strings of arr, or among the "id" fields of its maps? */
static bool has_id(const vs_value *arr, const char *id)
{
    for (size_t i = 0; id && i < vs_array_len(arr); i++) {
        const vs_value *v = vs_array_at(arr, i);
        const char *x = vs_type_of(v) == VS_STRING ? vs_string_of(v, NULL) : item_id(v);
        if (x && strcmp(x, id) == 0)
            return true;
    }
    return false;
}

static bool known_op(const vs_value *doc, const char *id)
{
    return has_id(vs_doc_meta_array(doc, "inbox"), id) || has_id(vs_doc_meta_array(doc, "receipts"), id) ||
           has_id(vs_doc_meta_array(doc, "dead"), id);
}

static vs_value *copy_or_empty(const vs_value *arr)
{
    return arr ? vs_copy(arr) : vs_new_array();
}

/* Keeps the newest `keep` receipts: the oldest go first, in order, so pruning is the same on
 * every run and every server. */
static void prune_receipts(vs_value *receipts, int keep)
{
    while (vs_array_len(receipts) > (size_t)keep)
        vs_free(vs_array_take(receipts, 0));
}

/* The inbox, receipts and dead letters to write, given what the store holds now and what this
 * session applied or failed in memory. false when there is nothing to change. */
static bool build_op_lists(session *s, const vs_value *current, vs_value **inbox, vs_value **receipts,
                           vs_value **dead)
{
    vs_store *store = s->store;
    *inbox = *receipts = *dead = NULL;
    if (vs_array_len(s->applied) == 0 && vs_map_len(s->failed) == 0)
        return false;
    const vs_value *in = vs_doc_meta_array(current, "inbox");
    *inbox = vs_new_array();
    *receipts = copy_or_empty(vs_doc_meta_array(current, "receipts"));
    *dead = copy_or_empty(vs_doc_meta_array(current, "dead"));
    for (size_t i = 0; i < vs_array_len(in); i++) {
        const vs_value *item = vs_array_at(in, i);
        const char *id = item_id(item);
        if (id && has_id(s->applied, id)) {
            if (!has_id(*receipts, id))
                vs_array_push(*receipts, vs_new_string(id));
            continue;
        }
        const vs_value *f = id ? vs_map_get(s->failed, id) : NULL;
        vs_value *copy = vs_copy(item);
        if (f && vs_type_of(copy) == VS_MAP) {
            vs_map_set(copy, "attempts", vs_copy(vs_map_get(f, "attempts")));
            vs_map_set(copy, "error", vs_copy(vs_map_get(f, "error")));
            if (vs_number_of(vs_map_get(f, "attempts")) >= store->op_max_attempts) {
                vs_array_push(*dead, copy);
                continue;
            }
        }
        vs_array_push(*inbox, copy);
    }
    /* Ids applied by an earlier try of this write that committed are in the receipts already. */
    prune_receipts(*receipts, store->receipt_keep);
    return true;
}

static void remember_inbox(session *s, const vs_value *inbox)
{
    vs_free(s->inbox_view);
    s->inbox_view = inbox && vs_array_len(inbox) ? vs_copy(inbox) : NULL;
}

static const vs_op_handler *find_handler(const vs_store *store, const char *name)
{
    for (size_t i = 0; name && i < store->handler_count; i++)
        if (strcmp(store->handlers[i].name, name) == 0)
            return &store->handlers[i];
    return NULL;
}

static void start_save(session *s);

/* Runs the handlers of the operations the last write saw, each as a transaction on the data in
 * memory; their effects and receipts (or their failed attempts) go out with the next write. */
static void process_inbox(session *s)
{
    vs_store *store = s->store;
    if (!s->inbox_view || s->state != VS_SESSION_ACTIVE || s->releasing)
        return;
    if (!s->applied)
        s->applied = vs_new_array();
    if (!s->failed)
        s->failed = vs_new_map();
    if (!s->tried)
        s->tried = vs_new_map();
    bool changed = false;
    for (size_t i = 0; i < vs_array_len(s->inbox_view); i++) {
        const vs_value *item = vs_array_at(s->inbox_view, i);
        const char *id = item_id(item);
        if (!id || has_id(s->applied, id) || vs_map_get(s->failed, id))
            continue;
        const vs_value *round = vs_map_get(s->tried, id);
        if (round && (int64_t)vs_number_of(round) == s->round)
            continue; /* tried this round already: wait for the next tick */
        vs_map_set(s->tried, id, vs_new_number((double)s->round));
        const vs_value *hv = vs_map_get(item, "handler");
        const char *hname = vs_type_of(hv) == VS_STRING ? vs_string_of(hv, NULL) : "";
        const vs_op_handler *h = find_handler(store, hname);
        char why[200] = "";
        vs_status st = VS_ERR_NOT_FOUND;
        vs_value *draft = NULL;
        if (!h) {
            snprintf(why, sizeof why, "no handler named '%s'", hname);
        } else if ((draft = vs_copy(s->data)) == NULL) {
            st = VS_ERR_NOMEM;
        } else {
            st = h->fn(h->arg, draft, vs_map_get(item, "payload"), why, sizeof why);
            if (st == VS_OK)
                st = vs_validate(store->validators, draft, store->data_max_bytes, why, sizeof why);
        }
        if (st == VS_OK) {
            vs_free(s->data);
            s->data = draft;
            vs_array_push(s->applied, vs_new_string(id));
            emit(store, VS_EV_OP_APPLIED, s->user_id, 0, id);
            replicate(s, false);
        } else {
            vs_free(draft);
            int64_t attempts = (int64_t)vs_number_of(vs_map_get(item, "attempts")) + 1;
            vs_value *f = vs_new_map();
            vs_map_set(f, "attempts", vs_new_number((double)attempts));
            vs_map_set(f, "error", vs_new_string(why[0] ? why : vs_status_message(st)));
            vs_map_set(s->failed, id, f);
            emit(store, attempts >= store->op_max_attempts ? VS_EV_OP_DEAD : VS_EV_OP_FAILED,
                 s->user_id, (int)st, why[0] ? why : vs_status_message(st));
        }
        changed = true;
    }
    if (changed)
        start_save(s);
}

/* Answers the purchases of this player waiting on the platform: GRANTED for those whose
 * receipt is among `written` (NULL: none), NOT_PROCESSED_YET for all when `give_up`. */
static void answer_receipts(vs_store *store, int64_t user_id, const vs_value *written, bool give_up)
{
    for (size_t i = 0; i < store->receipt_waiter_count;) {
        receipt_waiter w = store->receipt_waiters[i];
        bool granted = w.user_id == user_id && has_id(written, w.op_id);
        if (w.user_id != user_id || (!granted && !give_up)) {
            i++;
            continue;
        }
        memmove(&store->receipt_waiters[i], &store->receipt_waiters[i + 1],
                (store->receipt_waiter_count - i - 1) * sizeof *store->receipt_waiters);
        store->receipt_waiter_count--;
        w.reply(w.arg, granted ? VS_RECEIPT_GRANTED : VS_RECEIPT_NOT_PROCESSED_YET);
    }
}

/* The effects and receipts are written: nothing of them is pending any more. */
static void ops_written(session *s)
{
    vs_free(s->applied);
    vs_free(s->failed);
    s->applied = NULL;
    s->failed = NULL;
}

/* ------------------------------------------------------------------------------------------
 * Saving and releasing
 * ---------------------------------------------------------------------------------------- */

static void attempt_save(session *s);

static bool save_transform(void *arg, const vs_value *current, const vs_key_info *info,
                           vs_ds_write *out)
{
    session *s = arg;
    vs_store *store = s->store;
    (void)info;
    s->sout = SAVE_NONE;
    if (current == NULL) {
        /* A release after a failed load holds no data: a key that reads as missing has no
         * lease of ours to give back (and if the read lied, a lease the load did take expires
         * and is taken over like any stale one). Otherwise we hold data the store must get. */
        s->sout = s->release_if_held ? SAVE_NOT_HELD : SAVE_NIL;
        return false;
    }
    vs_lease lease;
    vs_doc_lease(current, &lease);
    bool not_ours = !lease.held || strcmp(lease.token, s->token) != 0;
    if ((store->unsafe & VS_UNSAFE_SAVE_IGNORES_LEASE) && not_ours) {
        /* The deliberately wrong engine: save (or save and release) over whoever holds it now,
         * as if this session still held the lease it acquired. */
        lease = (vs_lease){.held = true, .generation = s->generation};
        snprintf(lease.token, sizeof lease.token, "%s", s->token);
        snprintf(lease.owner, sizeof lease.owner, "%s",
                 ops(store)->server_name ? ops(store)->server_name(pctx(store)) : "");
        vs_doc_change change = {.data = s->write_data ? s->snapshot : NULL, .schema = store->schema,
                                .lease = s->writing_release ? NULL : &lease, .generation = s->generation,
                                .last_token = s->writing_release ? s->token : NULL};
        out->value = vs_doc_apply(current, &change);
        s->sout = SAVE_WRITTEN;
        return out->value != NULL;
    }
    if (!lease.held || strcmp(lease.token, s->token) != 0) {
        char last[24];
        vs_doc_meta_string(current, "last_token", last, sizeof last);
        /* Our release already committed (and someone may have acquired since). */
        if (s->writing_release && strcmp(last, s->token) == 0)
            s->sout = SAVE_ALREADY_RELEASED;
        else if (s->release_if_held)
            s->sout = SAVE_NOT_HELD;
        else
            s->sout = SAVE_LOST;
        return false;
    }
    int64_t generation = vs_doc_meta_int(current, "generation", lease.generation);
    vs_lease renewed = lease;
    renewed.renewals++;
    /* Effects of operations are in the snapshot, so receipts go only with written data. */
    vs_value *inbox = NULL, *receipts = NULL, *dead = NULL;
    bool ops = s->write_data && build_op_lists(s, current, &inbox, &receipts, &dead);
    vs_doc_change change = {
        .data = s->write_data ? s->snapshot : NULL,
        .schema = store->schema,
        .lease = s->writing_release ? NULL : &renewed,
        .generation = generation,
        .last_token = s->writing_release ? s->token : NULL,
        .inbox = ops ? inbox : NULL,
        .receipts = ops ? receipts : NULL,
        .dead = ops ? dead : NULL,
    };
    out->value = vs_doc_apply(current, &change);
    remember_inbox(s, ops ? inbox : vs_doc_meta_array(current, "inbox"));
    vs_free(inbox);
    vs_free(receipts);
    vs_free(dead);
    s->sout = SAVE_WRITTEN;
    return out->value != NULL;
}

static void release_finished(session *s, const vs_error *err)
{
    vs_store *store = s->store;
    vs_session_fn done = s->on_released;
    void *done_arg = s->released_arg;
    int64_t user_id = s->user_id;
    bool rejoin = s->rejoin;
    vs_session_fn rejoin_done = s->rejoin_done;
    void *rejoin_arg = s->rejoin_arg;
    waiter **ws = s->waiters;
    size_t wn = s->waiter_count;
    s->waiters = NULL;
    s->waiter_count = 0;
    if (!err)
        emit(store, VS_EV_PROFILE_RELEASED, user_id, 0, "profile released");
    remove_session(s);
    if (done)
        done(done_arg, user_id, err);
    if (rejoin && !store->closing && vs_store_join(store, user_id, rejoin_done, rejoin_arg) == VS_OK) {
        /* Waiters of the old session wait for the new one. */
        session *n = find_session(store, user_id);
        for (size_t i = 0; n && i < wn; i++) {
            waiter *w = ws[i];
            w->s = n;
            waiter **p = realloc(n->waiters, (n->waiter_count + 1) * sizeof *p);
            if (!p)
                abort();
            n->waiters = p;
            n->waiters[n->waiter_count++] = w; /* its timeout keeps running */
        }
        if (n) {
            free(ws);
            return;
        }
    }
    if (rejoin && rejoin_done) {
        vs_error closing;
        set_error(&closing, VS_ERR_CLOSED, 0, "the server is closing: the rejoin does not load");
        rejoin_done(rejoin_arg, user_id, &closing);
    }
    vs_error closed;
    set_error(&closed, VS_ERR_NOT_LOADED, 0, "the profile was released before it could be waited for");
    for (size_t i = 0; i < wn; i++) {
        cancel_timer(store, &ws[i]->timer);
        ws[i]->done(ws[i]->arg, user_id, &closed);
        free(ws[i]);
    }
    free(ws);
}

static void save_retry_timer(void *arg)
{
    session *s = arg;
    s->retry_timer = 0;
    attempt_save(s);
}

static void become_lost(session *s)
{
    vs_store *store = s->store;
    s->state = VS_SESSION_LOST;
    ops_written(s); /* not written, and never will be: the next holder applies them */
    answer_receipts(store, s->user_id, NULL, true);
    cancel_timer(store, &s->autosave_timer);
    emit(store, VS_EV_LEASE_LOST, s->user_id, 0,
         "another session took the profile's lease: this session's changes are not written");
    note_error(store, s->user_id);
    if (s->releasing) {
        vs_error err;
        set_error(&err, VS_ERR_LOST, 0, "the lease was lost before the profile could be saved");
        release_finished(s, &err);
    }
}

static void mirror_done(void *arg, int64_t user_id, const vs_leaderboard_error *err)
{
    (void)arg, (void)user_id, (void)err; /* best effort: the next save writes it again */
}

static void save_done(void *arg, const vs_ds_result *r)
{
    session *s = arg;
    vs_store *store = s->store;
    s->in_flight = false;
    if (r->code != 0) {
        s->last_code = r->code;
        vs_retry_decision d = vs_retry_decide(&store->retry, r->code, (int)s->attempt + 1, store->closing);
        note_error(store, s->user_id);
        if (vs_diag_is_budget_code(r->code))
            emit(store, VS_EV_BUDGET_EXHAUSTED, s->user_id, r->code, r->message);
        if (d.action == VS_RETRY_AGAIN) {
            /* Harmless even if it committed: the transform checks the lease again and writes
             * the newest data. */
            s->attempt++;
            emit(store, VS_EV_RETRY, s->user_id, r->code, r->message);
            s->retry_timer = start_timer(store, retry_delay(store, s->attempt), save_retry_timer, s);
            return;
        }
        char msg[200];
        snprintf(msg, sizeof msg, "save failed: DataStore error %d: %s", r->code, r->message);
        emit(store, VS_EV_SAVE_FAILED, s->user_id, r->code, msg);
        s->attempt = 0;
        if (s->writing_release) {
            vs_error err;
            set_error(&err, VS_ERR_UNAVAILABLE, r->code, "%s", msg);
            release_finished(s, &err);
            return;
        }
        if (s->releasing) { /* a plain save failed while a leave waited: now the release */
            start_release(s);
            return;
        }
        s->state = VS_SESSION_ACTIVE;
        return;
    }
    if (!r->cancelled || s->sout != SAVE_NIL)
        s->attempt = 0; /* a nil read is retried with a growing backoff, so it keeps the count */
    if (r->cancelled) {
        switch (s->sout) {
        case SAVE_LOST:
            become_lost(s);
            return;
        case SAVE_ALREADY_RELEASED:
            release_finished(s, NULL);
            return;
        case SAVE_NOT_HELD: {
            vs_error gone;
            set_error(&gone, VS_ERR_NOT_LOADED, 0, "the player left before the profile loaded");
            release_finished(s, s->on_released ? &gone : NULL);
            return;
        }
        case SAVE_NIL:
        default:
            /* We hold the key, so a missing read is the store's error: try again. */
            emit(store, VS_EV_NIL_READ_SUSPECTED, s->user_id, 0, "the profile read as missing while leased");
            s->attempt++;
            s->retry_timer = start_timer(store, retry_delay(store, s->attempt), save_retry_timer, s);
            return;
        }
    }
    note_success(store);
    s->since_write_us = 0;
    s->renew_due = false;
    if (s->write_data && store->leaderboard && s->snapshot) {
        /* The board shows what was saved, never what might still be lost. */
        vs_leaderboard_outcome outcome;
        vs_leaderboard_mirror(store->leaderboard, &store->platform, s->user_id, s->snapshot,
                              mirror_done, store, &outcome);
    }
    if (s->write_data) {
        vs_value *written = s->applied;
        s->applied = NULL;
        ops_written(s);
        answer_receipts(store, s->user_id, written, false);
        vs_free(written);
    }
    if (s->write_data && s->snapshot)
        s->saved_hash_known = vs_value_hash(s->snapshot, &s->saved_hash) == VS_OK;
    if (s->write_data)
        emit(store, VS_EV_PROFILE_SAVED, s->user_id, 0, "profile saved");
    if (s->writing_release) {
        vs_error unsaved;
        set_error(&unsaved, VS_ERR_INVALID, 0,
                  "the profile failed validation and was not saved; its lease was released");
        release_finished(s, s->release_unsaved ? &unsaved : NULL);
        return;
    }
    if (s->releasing) {
        /* A plain save caught in flight by a leave: the release is a write of its own. */
        start_release(s);
        return;
    }
    s->state = VS_SESSION_ACTIVE;
    if (s->save_again) {
        s->save_again = false;
        attempt_save(s);
        return;
    }
    process_inbox(s);
}

/* Takes the snapshot to write and checks it is storable and valid. false: nothing to write
 * (the data stays in memory; the event says why). */
static bool prepare_snapshot(session *s)
{
    vs_store *store = s->store;
    vs_free(s->snapshot);
    s->snapshot = NULL;
    s->write_data = false;
    if (!s->data)
        return false;
    char why[200] = "";
    vs_status st = vs_validate(store->validators, s->data, store->data_max_bytes, why, sizeof why);
    if (st != VS_OK) {
        emit(store, VS_EV_VALIDATION_FAILED, s->user_id, (int)st, why);
        return false;
    }
    s->snapshot = vs_copy(s->data);
    s->write_data = s->snapshot != NULL;
    return s->write_data;
}

static void attempt_save(session *s)
{
    vs_store *store = s->store;
    if (s->in_flight || s->state == VS_SESSION_LOST)
        return;
    /* Every attempt writes the newest data. Data that fails validation is not written, but the
     * write still goes (lease only): a release still gives the lease back, and a live session
     * still renews its lease rather than let it expire under it. */
    if (!s->data || !prepare_snapshot(s)) {
        s->write_data = false;
        if (s->releasing && s->data)
            s->release_unsaved = true;
        if (!s->releasing && !s->renew_due) {
            s->state = VS_SESSION_ACTIVE; /* nothing worth a request: keep the data in memory */
            return;
        }
    }
    s->state = s->releasing ? VS_SESSION_RELEASING : VS_SESSION_SAVING;
    s->writing_release = s->releasing;
    s->in_flight = true;
    ops(store)->ds_update(pctx(store), store->name, s->key, save_transform, s, save_done, s);
}

static void start_save(session *s)
{
    if (s->in_flight || s->retry_timer) {
        s->save_again = true;
        return;
    }
    attempt_save(s);
}

static void start_release(session *s)
{
    vs_store *store = s->store;
    cancel_timer(store, &s->autosave_timer);
    s->releasing = true;
    s->save_again = false;
    s->state = VS_SESSION_RELEASING;
    if (s->in_flight || s->retry_timer) {
        /* The save in flight (or waiting to retry) becomes the release when it ends. */
        cancel_timer(store, &s->retry_timer);
        if (s->in_flight)
            return;
    }
    s->attempt = 0;
    attempt_save(s);
}

static void autosave_tick(void *arg)
{
    session *s = arg;
    vs_store *store = s->store;
    s->autosave_timer = 0;
    s->round++;
    s->since_write_us += s->tick_us; /* the time this tick actually waited */
    schedule_autosave(s, false);
    if (s->state != VS_SESSION_ACTIVE || s->in_flight || s->retry_timer)
        return;
    /* Renew now if waiting for the next tick would leave more than a third of the lease
     * without a write. */
    bool renew = s->since_write_us + s->tick_us > store->lease_us / 3;
    bool due = s->since_write_us >= store->autosave_us;
    uint64_t h;
    bool changed = !s->saved_hash_known || vs_value_hash(s->data, &h) != VS_OK || h != s->saved_hash;
    if (renew || (due && changed)) {
        s->renew_due = renew;
        attempt_save(s);
    }
}

static void schedule_autosave(session *s, bool first)
{
    vs_store *store = s->store;
    /* Ticks come often enough for both the autosave interval and lease renewal (a sixth of the
     * lease, so a renewal can wait for a tick and still come within a third); the first is
     * spread at random so profiles loaded together do not save together. */
    int64_t tick = store->autosave_us < store->lease_us / 6 ? store->autosave_us : store->lease_us / 6;
    if (tick < 1)
        tick = 1;
    int64_t delay = tick;
    if (first)
        delay = 1 + (int64_t)(ops(store)->random_bits(pctx(store)) % (uint64_t)tick);
    s->tick_us = delay;
    cancel_timer(store, &s->autosave_timer);
    s->autosave_timer = start_timer(store, delay, autosave_tick, s);
}

/* Ends a session that holds nothing (never loaded, or giving up): tells everyone. */
static void end_session_with(session *s, const vs_error *err)
{
    vs_store *store = s->store;
    vs_error gone;
    if (!err) {
        set_error(&gone, VS_ERR_NOT_LOADED, 0, "the player left before the profile loaded");
        err = &gone;
    }
    vs_session_fn released = s->on_released;
    void *released_arg = s->released_arg;
    int64_t user_id = s->user_id;
    cancel_session_timers(s);
    finish_waiting(s, err);
    if (find_session(store, user_id) != s)
        return;
    remove_session(s);
    if (released)
        released(released_arg, user_id, err == &gone ? NULL : err);
}

/* ------------------------------------------------------------------------------------------
 * Release requests from other servers
 * ---------------------------------------------------------------------------------------- */

static void on_release_request(void *arg, const char *topic, const char *data, size_t len)
{
    vs_store *store = arg;
    (void)topic;
    char buf[300];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), data);
    char *key = strchr(buf, '\n');
    char *token = key ? strchr(key + 1, '\n') : NULL;
    if (!key || !token)
        return;
    *key++ = '\0';
    *token++ = '\0';
    if (strcmp(buf, store->name) != 0)
        return;
    for (size_t i = 0; i < store->session_count; i++) {
        session *s = store->sessions[i];
        if (strcmp(s->key, key) != 0 || strcmp(s->token, token) != 0)
            continue;
        /* Someone needs this profile elsewhere: the player has moved on. */
        if (s->state == VS_SESSION_ACTIVE || s->state == VS_SESSION_SAVING)
            start_release(s);
        return;
    }
}

/* Another server delivered an operation to a profile this server holds: look now rather than
 * at the next renewal. The message is only a way to be faster; nothing depends on it. */
static void on_inbox_nudge(void *arg, const char *topic, const char *data, size_t len)
{
    vs_store *store = arg;
    (void)topic;
    char buf[300];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), data);
    char *key = strchr(buf, '\n');
    if (!key)
        return;
    *key++ = '\0';
    if (strcmp(buf, store->name) != 0)
        return;
    for (size_t i = 0; i < store->session_count; i++) {
        session *s = store->sessions[i];
        if (strcmp(s->key, key) != 0)
            continue;
        if (s->state == VS_SESSION_ACTIVE)
            start_save(s);
        else if (s->state == VS_SESSION_LOADING)
            s->look_at_inbox = true;
    }
}

/* ------------------------------------------------------------------------------------------
 * Store lifecycle and the public calls
 * ---------------------------------------------------------------------------------------- */

vs_status vs_store_new(const vs_store_config *config, const vs_platform *platform, vs_store **out)
{
    *out = NULL;
    if (!config || !config->name || vs_type_of(config->template_) != VS_MAP || !platform)
        return VS_ERR_ARG;
    vs_store *store = calloc(1, sizeof *store);
    if (!store)
        return VS_ERR_NOMEM;
    store->platform = *platform;
    store->name = strdup(config->name);
    store->key_prefix = strdup(config->key_prefix ? config->key_prefix : "Player_");
    store->template_ = vs_copy(config->template_);
    store->schema = config->schema > 0 ? config->schema : 1;
    store->autosave_us = config->autosave_interval_us > 0 ? config->autosave_interval_us : DEFAULT_AUTOSAVE_US;
    store->lease_us = config->lease_us > 0 ? config->lease_us : DEFAULT_LEASE_US;
    store->retry = vs_retry_policy_with_defaults(&config->retry);
    if (vs_retry_policy_check(&store->retry, NULL) != VS_OK) {
        vs_store_free(store);
        return VS_ERR_ARG;
    }
    store->migrations = config->migrations;
    char why[200];
    if (vs_migrations_check(config->migrations, store->schema, why, sizeof why) != VS_OK) {
        vs_store_free(store);
        return VS_ERR_MIGRATION;
    }
    store->validators = config->validators;
    int64_t max = config->value_max_bytes > 0 ? config->value_max_bytes : DEFAULT_VALUE_MAX_BYTES;
    store->data_max_bytes = max > META_RESERVE_BYTES ? (size_t)(max - META_RESERVE_BYTES) : 0;
    store->reconcile = !config->no_reconcile;
    if (vs_critical_init(&store->critical, config->critical_threshold > 0 ? config->critical_threshold : VS_CRITICAL_DEFAULT_THRESHOLD,
                         config->critical_window_us > 0 ? config->critical_window_us : VS_CRITICAL_DEFAULT_WINDOW_US) != VS_OK) {
        vs_store_free(store);
        return VS_ERR_ARG;
    }
    if (!store->name || !store->key_prefix || !store->template_) {
        vs_store_free(store);
        return VS_ERR_NOMEM;
    }
    if ((config->public_paths && vs_public_copy(config->public_paths, &store->public_paths) != VS_OK) ||
        (config->leaderboard && vs_leaderboard_new(config->leaderboard, &store->leaderboard) != VS_OK)) {
        vs_store_free(store);
        return VS_ERR_ARG;
    }
    store->op_max_attempts = config->op_max_attempts > 0 ? config->op_max_attempts : DEFAULT_OP_MAX_ATTEMPTS;
    store->receipt_keep = config->receipt_keep > 0 ? config->receipt_keep : DEFAULT_RECEIPT_KEEP;
    store->unsafe = config->unsafe;
    if (config->handler_count) {
        store->handlers = calloc(config->handler_count, sizeof *store->handlers);
        if (!store->handlers) {
            vs_store_free(store);
            return VS_ERR_NOMEM;
        }
        for (size_t i = 0; i < config->handler_count; i++) {
            store->handlers[i] = config->handlers[i];
            store->handlers[i].name = config->handlers[i].name ? strdup(config->handlers[i].name) : NULL;
            store->handler_count = i + 1;
            if (!store->handlers[i].name || !config->handlers[i].fn) {
                vs_store_free(store);
                return config->handlers[i].fn ? VS_ERR_NOMEM : VS_ERR_ARG;
            }
        }
    }
    if (ops(store)->msg_subscribe && ops(store)->server_name) {
        snprintf(store->release_topic, sizeof store->release_topic, RELEASE_TOPIC_PREFIX "%s",
                 ops(store)->server_name(pctx(store)));
        int code = 0;
        store->release_sub = ops(store)->msg_subscribe(pctx(store), store->release_topic,
                                                       on_release_request, store, &code);
        char inbox_topic[96];
        snprintf(inbox_topic, sizeof inbox_topic, INBOX_TOPIC_PREFIX "%s", ops(store)->server_name(pctx(store)));
        store->inbox_sub = ops(store)->msg_subscribe(pctx(store), inbox_topic, on_inbox_nudge, store, &code);
    }
    *out = store;
    return VS_OK;
}

struct pending_op {
    vs_store *store;
    int64_t user_id;
    int kind; /* 0 inspect, 1 clear lease, 2 repair, 3 deliver, 4 dead letter */
    vs_inspect_fn inspect_done;
    vs_session_fn done;
    void *arg;
    vs_edit_fn fn;
    void *fn_arg;
    vs_status result;
    char why[200];
    bool finished;
    /* deliver and dead letters */
    char op_id[128];
    char handler[64];
    vs_value *payload;
    bool retry_dead;      /* dead letter: back to the inbox (true) or dropped */
    bool maybe_committed; /* an earlier try of this delivery may have committed */
    int attempt;
    vs_timer_id timer;
    int outcome;          /* 0 done, 1 duplicate, 2 no profile / no such dead letter */
    bool in_receipts;     /* the duplicate was applied already (its receipt is stored) */
    vs_receipt_reply_fn receipt_reply; /* a purchase: answer the platform, not deliver_done */
    void *receipt_arg;
    char owner[64];       /* the lease holder seen, to nudge */
    vs_deliver_fn deliver_done;
};

void vs_store_free(vs_store *store)
{
    if (!store)
        return;
    cancel_timer(store, &store->critical_timer);
    /* The platform may outlive the store: nothing of it may call back here. */
    if (ops(store)->msg_unsubscribe) {
        if (store->release_sub)
            ops(store)->msg_unsubscribe(pctx(store), store->release_sub);
        if (store->inbox_sub)
            ops(store)->msg_unsubscribe(pctx(store), store->inbox_sub);
    }
    for (size_t i = 0; i < store->handler_count; i++)
        free((char *)store->handlers[i].name);
    free(store->handlers);
    for (size_t i = 0; i < store->session_count; i++)
        session_free(store->sessions[i]);
    for (size_t i = 0; i < store->op_count; i++) {
        vs_free(store->ops[i]->payload);
        free(store->ops[i]);
    }
    free(store->ops);
    free(store->receipt_waiters); /* never answered: the server is gone (the platform knows) */
    vs_public_free(&store->public_paths);
    vs_leaderboard_free(store->leaderboard);
    free(store->sessions);
    free(store->name);
    free(store->key_prefix);
    vs_free(store->template_);
    free(store);
}

const char *vs_store_name(const vs_store *store)
{
    return store->name;
}

void vs_store_key(const vs_store *store, int64_t user_id, char *buf, size_t size)
{
    snprintf(buf, size, "%s%" PRId64, store->key_prefix, user_id);
}

vs_status vs_store_join(vs_store *store, int64_t user_id, vs_session_fn done, void *arg)
{
    if (store->closing)
        return VS_ERR_CLOSED;
    session *old = find_session(store, user_id);
    if (old) {
        if (old->state == VS_SESSION_RELEASING && !old->rejoin) {
            /* A fast rejoin: wait for the release, then load afresh (one session, not two). */
            old->rejoin = true;
            old->rejoin_done = done;
            old->rejoin_arg = arg;
            return VS_OK;
        }
        return VS_ERR_BUSY;
    }
    session *s = calloc(1, sizeof *s);
    if (!s)
        return VS_ERR_NOMEM;
    s->store = store;
    s->user_id = user_id;
    vs_store_key(store, user_id, s->key, sizeof s->key);
    s->state = VS_SESSION_LOADING;
    s->on_loaded = done;
    s->loaded_arg = arg;
    s->last_reason = VS_OK;
    snprintf(s->token, sizeof s->token, "%016" PRIx64, ops(store)->random_bits(pctx(store)));
    vs_status st = insert_session(store, s);
    if (st != VS_OK) {
        session_free(s);
        return st;
    }
    attempt_load(s);
    return VS_OK;
}

vs_status vs_store_wait(vs_store *store, int64_t user_id, int64_t timeout_us, vs_session_fn done,
                        void *arg)
{
    session *s = find_session(store, user_id);
    if (!s) {
        vs_error err;
        set_error(&err, VS_ERR_NOT_LOADED, 0, "no session for this player");
        done(arg, user_id, &err);
        return VS_ERR_NOT_LOADED;
    }
    if (s->state == VS_SESSION_ACTIVE || s->state == VS_SESSION_SAVING) {
        done(arg, user_id, NULL);
        return VS_OK;
    }
    if (s->state == VS_SESSION_LOST) {
        vs_error err;
        set_error(&err, VS_ERR_LOST, 0, "the profile's lease was lost");
        done(arg, user_id, &err);
        return VS_OK;
    }
    waiter *w = calloc(1, sizeof *w);
    waiter **p = w ? realloc(s->waiters, (s->waiter_count + 1) * sizeof *p) : NULL;
    if (!p) {
        free(w);
        return VS_ERR_NOMEM;
    }
    s->waiters = p;
    *w = (waiter){.s = s, .done = done, .arg = arg};
    s->waiters[s->waiter_count++] = w;
    w->timer = start_timer(store, timeout_us, waiter_timeout, w);
    return VS_OK;
}

vs_status vs_store_leave(vs_store *store, int64_t user_id, vs_session_fn done, void *arg)
{
    session *s = find_session(store, user_id);
    if (!s)
        return VS_ERR_NOT_LOADED;
    if (s->leave_requested || s->state == VS_SESSION_RELEASING) {
        if (s->rejoin) {
            /* Left again before the rejoin could load: that join is answered, and this leave
             * has nothing of its own to save (the old session's release goes on). */
            vs_session_fn joined = s->rejoin_done;
            void *joined_arg = s->rejoin_arg;
            s->rejoin = false;
            s->rejoin_done = NULL;
            s->rejoin_arg = NULL;
            if (joined) {
                vs_error gone;
                set_error(&gone, VS_ERR_NOT_LOADED, 0, "the player left before the profile loaded");
                joined(joined_arg, user_id, &gone);
            }
            if (done)
                done(arg, user_id, NULL);
            return VS_OK;
        }
        return VS_ERR_BUSY;
    }
    s->leave_requested = true;
    s->on_released = done;
    s->released_arg = arg;
    switch (s->state) {
    case VS_SESSION_LOADING:
        if (!s->in_flight)
            end_session_with(s, NULL);
        break;
    case VS_SESSION_LOST: {
        vs_error err;
        set_error(&err, VS_ERR_LOST, 0, "the lease had been lost: nothing was saved");
        release_finished(s, &err);
        break;
    }
    default:
        start_release(s);
        break;
    }
    return VS_OK;
}

vs_status vs_store_save(vs_store *store, int64_t user_id)
{
    session *s = find_session(store, user_id);
    if (!s || (s->state != VS_SESSION_ACTIVE && s->state != VS_SESSION_SAVING))
        return VS_ERR_NOT_LOADED;
    start_save(s);
    return VS_OK;
}

static void check_closed(vs_store *store)
{
    if (store->closing && store->session_count == 0 && store->closed) {
        void (*done)(void *) = store->closed;
        store->closed = NULL;
        done(store->closed_arg);
    }
}

void vs_store_close(vs_store *store, void (*done)(void *arg), void *arg)
{
    store->closing = true;
    store->closed = done;
    store->closed_arg = arg;
    size_t n = store->session_count;
    int64_t *users = malloc((n ? n : 1) * sizeof *users);
    if (!users)
        abort();
    for (size_t i = 0; i < n; i++)
        users[i] = store->sessions[i]->user_id;
    /* Every profile at once: each release is its own request, so they run in parallel. */
    for (size_t i = 0; i < n; i++) {
        session *s = find_session(store, users[i]);
        if (s && !s->leave_requested && s->state != VS_SESSION_RELEASING)
            vs_store_leave(store, users[i], NULL, NULL);
        else if (s && s->retry_timer && s->in_flight == false && s->state == VS_SESSION_RELEASING) {
            /* Retry now, with the shortened closing backoff from here on. */
            cancel_timer(store, &s->retry_timer);
            attempt_save(s);
        }
    }
    free(users);
    check_closed(store);
}

vs_session_state vs_store_state(const vs_store *store, int64_t user_id)
{
    const session *s = find_session(store, user_id);
    return s ? s->state : VS_SESSION_NONE;
}

size_t vs_store_session_count(const vs_store *store)
{
    return store->session_count;
}

int64_t vs_store_user_at(const vs_store *store, size_t i)
{
    return i < store->session_count ? store->sessions[i]->user_id : 0;
}

bool vs_store_is_critical(const vs_store *store)
{
    return vs_critical_is_on(&store->critical);
}

/* ---- reading and changing ---- */

static session *loaded_session(const vs_store *store, int64_t user_id)
{
    session *s = find_session(store, user_id);
    return s && (s->state == VS_SESSION_ACTIVE || s->state == VS_SESSION_SAVING) ? s : NULL;
}

static session *changeable(vs_store *store, int64_t user_id, vs_status *why)
{
    session *s = loaded_session(store, user_id);
    *why = !s ? VS_ERR_NOT_LOADED : s->lock_holder ? VS_ERR_BUSY : VS_OK;
    return *why == VS_OK ? s : NULL;
}

const vs_value *vs_store_get(const vs_store *store, int64_t user_id, const vs_path *path)
{
    const session *s = loaded_session(store, user_id);
    return s ? vs_path_get(s->data, path) : NULL;
}

/* A change went through: the client hears of it. */
static vs_status changed(session *s, vs_status st)
{
    if (st == VS_OK)
        replicate(s, false);
    return st;
}

vs_status vs_store_set(vs_store *store, int64_t user_id, const vs_path *path, vs_value *item)
{
    vs_status why;
    session *s = changeable(store, user_id, &why);
    if (!s) {
        vs_free(item);
        return why;
    }
    return changed(s, vs_path_set(s->data, path, item));
}

vs_status vs_store_add(vs_store *store, int64_t user_id, const vs_path *path, double delta)
{
    vs_status why;
    session *s = changeable(store, user_id, &why);
    return s ? changed(s, vs_path_add(s->data, path, delta)) : why;
}

vs_status vs_store_insert(vs_store *store, int64_t user_id, const vs_path *path, size_t index1,
                          vs_value *item)
{
    vs_status why;
    session *s = changeable(store, user_id, &why);
    if (!s) {
        vs_free(item);
        return why;
    }
    return changed(s, vs_path_insert(s->data, path, index1, item));
}

vs_status vs_store_remove(vs_store *store, int64_t user_id, const vs_path *path)
{
    vs_status why;
    session *s = changeable(store, user_id, &why);
    return s ? changed(s, vs_path_remove(s->data, path)) : why;
}

static vs_status run_edit(session *s, vs_edit_fn fn, void *arg)
{
    if (s->store->unsafe & VS_UNSAFE_EDIT_IN_PLACE) /* (the oracles' own tests: no draft, no rollback) */
        return changed(s, fn(arg, s->data));
    vs_value *draft = vs_copy(s->data);
    if (!draft)
        return VS_ERR_NOMEM;
    vs_status st = fn(arg, draft);
    if (st == VS_OK) {
        char why[200];
        if (vs_validate(s->store->validators, draft, s->store->data_max_bytes, why, sizeof why) != VS_OK)
            st = VS_ERR_INVALID; /* a transaction never commits what could not be saved */
    }
    if (st != VS_OK) {
        vs_free(draft);
        return st;
    }
    vs_free(s->data);
    s->data = draft;
    replicate(s, false);
    return VS_OK;
}

vs_status vs_store_edit(vs_store *store, int64_t user_id, vs_edit_fn fn, void *arg)
{
    vs_status why;
    session *s = changeable(store, user_id, &why);
    return s ? run_edit(s, fn, arg) : why;
}

vs_status vs_store_lock(vs_store *store, int64_t user_id, vs_lock_fn acquired, void *arg)
{
    session *s = loaded_session(store, user_id);
    if (!s)
        return VS_ERR_NOT_LOADED;
    vs_lock_id id = ++store->next_lock;
    if (!s->lock_holder) {
        s->lock_holder = id;
        acquired(arg, user_id, id);
        return VS_OK;
    }
    lock_waiter *p = realloc(s->lock_queue, (s->lock_count + 1) * sizeof *p);
    if (!p)
        return VS_ERR_NOMEM;
    s->lock_queue = p;
    s->lock_queue[s->lock_count++] = (lock_waiter){id, acquired, arg};
    return VS_OK;
}

vs_status vs_store_edit_locked(vs_store *store, int64_t user_id, vs_lock_id lock, vs_edit_fn fn, void *arg)
{
    session *s = loaded_session(store, user_id);
    if (!s)
        return VS_ERR_NOT_LOADED;
    if (!lock || s->lock_holder != lock)
        return VS_ERR_BUSY;
    return run_edit(s, fn, arg);
}

vs_status vs_store_unlock(vs_store *store, int64_t user_id, vs_lock_id lock)
{
    session *s = find_session(store, user_id);
    if (!s || !lock || s->lock_holder != lock)
        return VS_ERR_ARG;
    s->lock_holder = 0;
    if (s->lock_count == 0)
        return VS_OK;
    lock_waiter next = s->lock_queue[0];
    memmove(&s->lock_queue[0], &s->lock_queue[1], (s->lock_count - 1) * sizeof *s->lock_queue);
    s->lock_count--;
    s->lock_holder = next.id;
    next.fn(next.arg, user_id, next.id);
    return VS_OK;
}

/* ---- inspection and repair ---- */

static pending_op *new_op(vs_store *store, int64_t user_id, int kind)
{
    if (store->op_count == store->op_cap) {
        size_t cap = store->op_cap ? store->op_cap * 2 : 8;
        pending_op **p = realloc(store->ops, cap * sizeof *p);
        if (!p)
            return NULL;
        store->ops = p;
        store->op_cap = cap;
    }
    pending_op *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->store = store;
    op->user_id = user_id;
    op->kind = kind;
    store->ops[store->op_count++] = op;
    return op;
}

static void drop_op(pending_op *op)
{
    vs_store *store = op->store;
    for (size_t i = 0; i < store->op_count; i++)
        if (store->ops[i] == op) {
            memmove(&store->ops[i], &store->ops[i + 1], (store->op_count - i - 1) * sizeof *store->ops);
            store->op_count--;
            break;
        }
    cancel_timer(store, &op->timer);
    vs_free(op->payload);
    free(op);
}

static void inspect_done(void *arg, const vs_ds_result *r)
{
    pending_op *op = arg;
    vs_error err;
    if (r->code != 0)
        set_error(&err, VS_ERR_UNAVAILABLE, r->code, "inspect failed: DataStore error %d: %s", r->code, r->message);
    op->inspect_done(op->arg, op->user_id, r->code ? NULL : r->value, r->code ? &err : NULL);
    drop_op(op);
}

vs_status vs_store_inspect(vs_store *store, int64_t user_id, vs_inspect_fn done, void *arg)
{
    pending_op *op = new_op(store, user_id, 0);
    if (!op)
        return VS_ERR_NOMEM;
    op->inspect_done = done;
    op->arg = arg;
    char key[64];
    vs_store_key(store, user_id, key, sizeof key);
    ops(store)->ds_get_uncached(pctx(store), store->name, key, inspect_done, op);
    return VS_OK;
}

static bool repair_transform(void *arg, const vs_value *current, const vs_key_info *info,
                             vs_ds_write *out)
{
    pending_op *op = arg;
    vs_store *store = op->store;
    (void)info;
    op->result = VS_OK;
    op->why[0] = '\0';
    if (!current || !vs_doc_data(current)) {
        op->result = VS_ERR_NOT_FOUND;
        return false;
    }
    vs_lease lease;
    vs_doc_lease(current, &lease);
    int64_t generation = vs_doc_meta_int(current, "generation", lease.generation);
    if (op->kind == 1) { /* clear a stale lease: keep the data and the generation */
        if (!lease.held)
            return false;
        vs_doc_change change = {.lease = NULL, .generation = generation, .last_token = lease.token};
        out->value = vs_doc_apply(current, &change);
        return out->value != NULL;
    }
    if (lease.held) {
        op->result = VS_ERR_LEASE_HELD;
        return false;
    }
    vs_value *draft = vs_copy(vs_doc_data(current));
    vs_status st = draft ? op->fn(op->fn_arg, draft) : VS_ERR_NOMEM;
    if (st == VS_OK)
        st = vs_validate(store->validators, draft, store->data_max_bytes, op->why, sizeof op->why);
    if (st != VS_OK) {
        vs_free(draft);
        op->result = st;
        return false;
    }
    vs_doc_change change = {.data = draft, .schema = vs_doc_meta_int(current, VS_DOC_SCHEMA, 1),
                            .lease = NULL, .generation = generation};
    out->value = vs_doc_apply(current, &change);
    vs_free(draft);
    return out->value != NULL;
}

/* Answers an operator's request (a repair, a dead letter's retry or drop) and ends it: a
 * DataStore error if there was one, else `failure` (NULL: it worked). */
static void answer_operator(pending_op *op, const vs_ds_result *r, const vs_error *failure)
{
    vs_error err;
    if (r->code != 0) {
        set_error(&err, VS_ERR_UNAVAILABLE, r->code, "DataStore error %d: %s", r->code, r->message);
        failure = &err;
    }
    if (op->done)
        op->done(op->arg, op->user_id, failure);
    drop_op(op);
}

static void repair_done(void *arg, const vs_ds_result *r)
{
    pending_op *op = arg;
    vs_error err;
    bool failed = r->code == 0 && op->result != VS_OK;
    if (failed)
        set_error(&err, op->result, 0, "%s", op->why[0] ? op->why : vs_status_message(op->result));
    answer_operator(op, r, failed ? &err : NULL);
}

static vs_status start_repair(vs_store *store, int64_t user_id, int kind, vs_edit_fn fn,
                              void *fn_arg, vs_session_fn done, void *arg)
{
    if (find_session(store, user_id)) {
        /* This server holds (or is getting) it: the session is the way to change it. */
        vs_error err;
        set_error(&err, VS_ERR_LEASE_HELD, 0, "this server has a session of this player");
        if (done)
            done(arg, user_id, &err);
        return VS_OK;
    }
    pending_op *op = new_op(store, user_id, kind);
    if (!op)
        return VS_ERR_NOMEM;
    op->fn = fn;
    op->fn_arg = fn_arg;
    op->done = done;
    op->arg = arg;
    char key[64];
    vs_store_key(store, user_id, key, sizeof key);
    ops(store)->ds_update(pctx(store), store->name, key, repair_transform, op, repair_done, op);
    return VS_OK;
}

vs_status vs_store_clear_lease(vs_store *store, int64_t user_id, vs_session_fn done, void *arg)
{
    return start_repair(store, user_id, 1, NULL, NULL, done, arg);
}

vs_status vs_store_repair(vs_store *store, int64_t user_id, vs_edit_fn fn, void *fn_arg,
                          vs_session_fn done, void *arg)
{
    return fn ? start_repair(store, user_id, 2, fn, fn_arg, done, arg) : VS_ERR_ARG;
}

/* ---- durable operations: delivery and dead letters ---- */

static void key_of_op(const pending_op *op, char *key, size_t size)
{
    vs_store_key(op->store, op->user_id, key, size);
}

/* The document with new operation lists, its lease and generation kept as they are. */
static vs_value *with_op_lists(const vs_value *current, const vs_value *inbox, const vs_value *receipts,
                               const vs_value *dead)
{
    vs_lease lease;
    vs_doc_lease(current, &lease);
    vs_doc_change change = {.lease = lease.held ? &lease : NULL,
                            .generation = vs_doc_meta_int(current, "generation", lease.generation),
                            .inbox = inbox, .receipts = receipts, .dead = dead};
    return vs_doc_apply(current, &change);
}

static bool deliver_transform(void *arg, const vs_value *current, const vs_key_info *info,
                              vs_ds_write *out)
{
    pending_op *op = arg;
    (void)info;
    op->outcome = 0;
    op->owner[0] = '\0';
    if (!current || !vs_doc_data(current)) {
        op->outcome = 2;
        return false;
    }
    bool known = (op->store->unsafe & VS_UNSAFE_DELIVER_SKIPS_RECEIPTS)
                     ? has_id(vs_doc_meta_array(current, "inbox"), op->op_id) /* the wrong engine */
                     : known_op(current, op->op_id);
    if (known) {
        op->outcome = 1;
        op->in_receipts = has_id(vs_doc_meta_array(current, "receipts"), op->op_id);
        return false;
    }
    vs_lease lease;
    vs_doc_lease(current, &lease);
    if (lease.held)
        snprintf(op->owner, sizeof op->owner, "%s", lease.owner);
    vs_value *inbox = copy_or_empty(vs_doc_meta_array(current, "inbox"));
    vs_value *item = vs_new_map();
    bool ok = inbox && item && vs_map_set(item, "id", vs_new_string(op->op_id)) == VS_OK &&
              vs_map_set(item, "handler", vs_new_string(op->handler)) == VS_OK &&
              vs_map_set(item, "payload", op->payload ? vs_copy(op->payload) : vs_new_nil()) == VS_OK &&
              vs_map_set(item, "attempts", vs_new_number(0)) == VS_OK;
    if (ok) {
        ok = vs_array_push(inbox, item) == VS_OK;
        item = NULL;
    }
    vs_free(item);
    out->value = ok ? with_op_lists(current, inbox, NULL, NULL) : NULL;
    vs_free(inbox);
    return out->value != NULL;
}

static void send_delivery(pending_op *op);
static void finish_receipt(pending_op *op, const vs_ds_result *r);

static void deliver_retry(void *arg)
{
    pending_op *op = arg;
    op->timer = 0;
    send_delivery(op);
}

static void deliver_done(void *arg, const vs_ds_result *r)
{
    pending_op *op = arg;
    vs_store *store = op->store;
    vs_error err;
    if (r->code != 0) {
        /* A write that failed may still have committed: a later try that finds the operation
         * is then this delivery's own, not a duplicate. */
        op->maybe_committed = true;
        vs_retry_decision d = vs_retry_decide(&store->retry, r->code, op->attempt + 1, store->closing);
        note_error(store, op->user_id);
        if (d.action == VS_RETRY_AGAIN) {
            op->attempt++;
            op->timer = start_timer(store, retry_delay(store, (unsigned)op->attempt), deliver_retry, op);
            return;
        }
        set_error(&err, VS_ERR_UNAVAILABLE, r->code, "delivery failed: DataStore error %d: %s", r->code,
                  r->message);
        if (op->receipt_reply)
            op->receipt_reply(op->receipt_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        else
            op->deliver_done(op->arg, op->user_id, false, &err);
        drop_op(op);
        return;
    }
    if (r->cancelled && op->outcome == 2 && op->receipt_reply) {
        op->receipt_reply(op->receipt_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        drop_op(op);
        return;
    }
    if (r->cancelled && op->outcome == 2) {
        set_error(&err, VS_ERR_NOT_FOUND, 0, "the player has no profile to deliver to");
        op->deliver_done(op->arg, op->user_id, false, &err);
        drop_op(op);
        return;
    }
    if (op->receipt_reply) {
        finish_receipt(op, r);
        drop_op(op);
        return;
    }
    bool duplicate = r->cancelled && op->outcome == 1 && !op->maybe_committed;
    if (!r->cancelled && op->owner[0] && ops(store)->msg_publish) {
        char topic[96], key[64], body[160];
        key_of_op(op, key, sizeof key);
        snprintf(topic, sizeof topic, INBOX_TOPIC_PREFIX "%s", op->owner);
        int n = snprintf(body, sizeof body, "%s\n%s", store->name, key);
        ops(store)->msg_publish(pctx(store), topic, body, (size_t)n, NULL, NULL);
    }
    op->deliver_done(op->arg, op->user_id, duplicate, NULL);
    drop_op(op);
}

/* The purchase's grant is in the inbox (or was applied before): answer now, or wait for the
 * local session to write its receipt. */
static void finish_receipt(pending_op *op, const vs_ds_result *r)
{
    vs_store *store = op->store;
    if (r->cancelled && op->in_receipts) {
        op->receipt_reply(op->receipt_arg, VS_RECEIPT_GRANTED);
        return;
    }
    session *s = find_session(store, op->user_id);
    if (!s || s->state == VS_SESSION_LOST || s->releasing) {
        /* Someone else holds the profile: it applies the grant; the platform asks again. */
        op->receipt_reply(op->receipt_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        return;
    }
    receipt_waiter *w = vs_grow(store->receipt_waiters, &store->receipt_waiter_cap,
                                sizeof *store->receipt_waiters, store->receipt_waiter_count + 1);
    if (!w) {
        op->receipt_reply(op->receipt_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        return;
    }
    store->receipt_waiters = w;
    receipt_waiter *n = &store->receipt_waiters[store->receipt_waiter_count++];
    *n = (receipt_waiter){.user_id = op->user_id, .reply = op->receipt_reply, .arg = op->receipt_arg};
    snprintf(n->op_id, sizeof n->op_id, "%s", op->op_id);
    if (s->state == VS_SESSION_ACTIVE)
        start_save(s); /* look at the inbox now rather than at the next renewal */
    else if (s->state == VS_SESSION_LOADING)
        s->look_at_inbox = true; /* the load may have read the inbox before the grant was in it */
}

static void send_delivery(pending_op *op)
{
    char key[64];
    key_of_op(op, key, sizeof key);
    ops(op->store)->ds_update(pctx(op->store), op->store->name, key, deliver_transform, op, deliver_done, op);
}

vs_status vs_store_deliver(vs_store *store, int64_t user_id, const char *op_id, const char *handler,
                           const vs_value *payload, vs_deliver_fn done, void *arg)
{
    if (!op_id || !op_id[0] || strlen(op_id) >= sizeof ((pending_op *)0)->op_id || !handler ||
        strlen(handler) >= sizeof ((pending_op *)0)->handler || !done)
        return VS_ERR_ARG;
    pending_op *op = new_op(store, user_id, 3);
    if (!op)
        return VS_ERR_NOMEM;
    snprintf(op->op_id, sizeof op->op_id, "%s", op_id);
    snprintf(op->handler, sizeof op->handler, "%s", handler);
    op->payload = payload ? vs_copy(payload) : NULL;
    op->deliver_done = done;
    op->arg = arg;
    send_delivery(op);
    return VS_OK;
}

static bool dead_letter_transform(void *arg, const vs_value *current, const vs_key_info *info,
                                  vs_ds_write *out)
{
    pending_op *op = arg;
    (void)info;
    op->outcome = 2;
    const vs_value *dead = vs_doc_meta_array(current, "dead");
    vs_value *kept = vs_new_array();
    vs_value *found = NULL;
    for (size_t i = 0; kept && i < vs_array_len(dead); i++) {
        const vs_value *item = vs_array_at(dead, i);
        const char *id = item_id(item);
        if (!found && id && strcmp(id, op->op_id) == 0)
            found = vs_copy(item);
        else
            vs_array_push(kept, vs_copy(item));
    }
    if (!found) {
        vs_free(kept);
        return false;
    }
    op->outcome = 0;
    vs_value *inbox = NULL, *receipts = NULL;
    if (op->retry_dead) {
        inbox = copy_or_empty(vs_doc_meta_array(current, "inbox"));
        vs_map_set(found, "attempts", vs_new_number(0));
        vs_free(vs_map_take(found, "error"));
        vs_array_push(inbox, found);
    } else {
        /* Dropped, but remembered: a late duplicate of it must still have no effect. */
        receipts = copy_or_empty(vs_doc_meta_array(current, "receipts"));
        vs_array_push(receipts, vs_new_string(op->op_id));
        prune_receipts(receipts, op->store->receipt_keep);
        vs_free(found);
    }
    out->value = with_op_lists(current, inbox, receipts, kept);
    vs_free(inbox);
    vs_free(receipts);
    vs_free(kept);
    return out->value != NULL;
}

static void dead_letter_done(void *arg, const vs_ds_result *r)
{
    pending_op *op = arg;
    vs_error err;
    bool failed = r->code == 0 && r->cancelled;
    if (failed)
        set_error(&err, VS_ERR_NOT_FOUND, 0, "no dead letter with id %s", op->op_id);
    answer_operator(op, r, failed ? &err : NULL);
}

vs_status vs_store_dead_letter(vs_store *store, int64_t user_id, const char *op_id, bool retry,
                               vs_session_fn done, void *arg)
{
    if (!op_id || strlen(op_id) >= sizeof ((pending_op *)0)->op_id)
        return VS_ERR_ARG;
    pending_op *op = new_op(store, user_id, 4);
    if (!op)
        return VS_ERR_NOMEM;
    snprintf(op->op_id, sizeof op->op_id, "%s", op_id);
    op->retry_dead = retry;
    op->done = done;
    op->arg = arg;
    char key[64];
    vs_store_key(store, user_id, key, sizeof key);
    ops(store)->ds_update(pctx(store), store->name, key, dead_letter_transform, op, dead_letter_done, op);
    return VS_OK;
}

void vs_store_process_receipt(vs_store *store, const vs_receipt *receipt, const char *handler,
                              vs_receipt_reply_fn reply, void *reply_arg)
{
    pending_op *op = new_op(store, receipt->player, 3);
    if (!op || !handler || strlen(handler) >= sizeof op->handler || !receipt->purchase_id ||
        strlen(receipt->purchase_id) + 10 >= sizeof op->op_id) {
        if (op)
            drop_op(op);
        reply(reply_arg, VS_RECEIPT_NOT_PROCESSED_YET);
        return;
    }
    snprintf(op->op_id, sizeof op->op_id, "purchase:%s", receipt->purchase_id);
    snprintf(op->handler, sizeof op->handler, "%s", handler);
    op->payload = vs_new_map();
    if (op->payload) {
        vs_map_set(op->payload, "PurchaseId", vs_new_string(receipt->purchase_id));
        vs_map_set(op->payload, "Product", vs_new_number((double)receipt->product));
        vs_map_set(op->payload, "Price", vs_new_number((double)receipt->price));
    }
    op->receipt_reply = reply;
    op->receipt_arg = reply_arg;
    send_delivery(op);
}

vs_status vs_store_leaderboard_top(vs_store *store, size_t n, bool ascending, vs_leaderboard_top_fn done,
                                   void *arg)
{
    if (!store->leaderboard)
        return VS_ERR_NOT_FOUND;
    return vs_leaderboard_top(store->leaderboard, &store->platform, n, ascending, done, arg);
}
