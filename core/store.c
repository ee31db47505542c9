/* store.c: sessions of player profiles: load-or-create, mutate, save and release.
 *
 * Sessions are kept in an array sorted by user id, so every walk over them (and so every
 * request they cause) happens in the same order on every run. A session is freed only when
 * no platform request of it is in flight, so a completion never finds it gone. */
#include "core/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"

typedef struct session session;

struct session {
    vs_store *store;
    int64_t user_id;
    char key[64];
    vs_session_state state;
    vs_value *data; /* the profile, while ACTIVE or RELEASING */
    bool leave_requested;
    vs_session_fn on_loaded;
    void *loaded_arg;
    vs_session_fn on_released;
    void *released_arg;
};

struct vs_store {
    vs_platform platform;
    char *name;
    char *key_prefix;
    vs_value *template_;
    int64_t schema;
    session **sessions; /* sorted by user_id */
    size_t session_count, session_cap;
};

const char *vs_session_state_name(vs_session_state state)
{
    switch (state) {
    case VS_SESSION_NONE: return "NONE";
    case VS_SESSION_LOADING: return "LOADING";
    case VS_SESSION_ACTIVE: return "ACTIVE";
    case VS_SESSION_RELEASING: return "RELEASING";
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
    if (!store->name || !store->key_prefix || !store->template_) {
        vs_store_free(store);
        return VS_ERR_NOMEM;
    }
    *out = store;
    return VS_OK;
}

static void session_free(session *s)
{
    vs_free(s->data);
    free(s);
}

void vs_store_free(vs_store *store)
{
    if (!store)
        return;
    for (size_t i = 0; i < store->session_count; i++)
        session_free(store->sessions[i]);
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

/* Index of the first session with user_id >= the given one. */
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
    if (i < store->session_count && store->sessions[i]->user_id == user_id)
        return store->sessions[i];
    return NULL;
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
    memmove(&store->sessions[i + 1], &store->sessions[i],
            (store->session_count - i) * sizeof *store->sessions);
    store->sessions[i] = s;
    store->session_count++;
    return VS_OK;
}

static void remove_session(vs_store *store, session *s)
{
    size_t i = lower_bound(store, s->user_id);
    if (i < store->session_count && store->sessions[i] == s) {
        memmove(&store->sessions[i], &store->sessions[i + 1],
                (store->session_count - i - 1) * sizeof *store->sessions);
        store->session_count--;
    }
    session_free(s);
}

static void emit(vs_store *store, vs_event_kind kind, int64_t user_id, int code, const char *message)
{
    if (!store->platform.ops->emit)
        return;
    vs_event ev = {.kind = kind, .user_id = user_id, .code = code, .message = message};
    store->platform.ops->emit(store->platform.ctx, &ev);
}

static void error_from_result(vs_error *err, const char *what, const vs_ds_result *r)
{
    err->status = VS_ERR_DATASTORE;
    err->code = r->code;
    snprintf(err->message, sizeof err->message, "%s: DataStore error %d: %s", what, r->code,
             r->message);
}

/* ---- loading ---- */

static void start_release(session *s);

static bool load_transform(void *arg, const vs_value *current, const vs_key_info *info,
                           vs_ds_write *out)
{
    session *s = arg;
    (void)info;
    if (current == NULL) {
        out->value = vs_doc_new(s->store->template_, s->store->schema);
        return out->value != NULL;
    }
    if (vs_doc_data(current) == NULL)
        return false; /* not a profile document: refuse to touch it */
    out->value = vs_copy(current);
    return out->value != NULL;
}

static void load_done(void *arg, const vs_ds_result *r)
{
    session *s = arg;
    vs_store *store = s->store;
    vs_error err = {0};
    const vs_value *data = NULL;
    if (r->code != VS_DS_OK) {
        error_from_result(&err, "load failed", r);
    } else if (r->cancelled || (data = vs_doc_data(r->value)) == NULL) {
        err.status = VS_ERR_TYPE;
        snprintf(err.message, sizeof err.message,
                 "load failed: the stored value of %s is not a profile document", s->key);
    } else if ((s->data = vs_copy(data)) == NULL) {
        err.status = VS_ERR_NOMEM;
        snprintf(err.message, sizeof err.message, "load failed: out of memory");
    }
    vs_session_fn done = s->on_loaded;
    void *done_arg = s->loaded_arg;
    int64_t user_id = s->user_id;
    if (err.status != VS_OK) {
        emit(store, VS_EV_LOAD_FAILED, user_id, err.code, err.message);
        vs_session_fn released = s->leave_requested ? s->on_released : NULL;
        void *released_arg = s->released_arg;
        remove_session(store, s);
        if (done)
            done(done_arg, user_id, &err);
        if (released)
            released(released_arg, user_id, &err);
        return;
    }
    s->state = VS_SESSION_ACTIVE;
    emit(store, VS_EV_PROFILE_LOADED, user_id, 0, "profile loaded");
    if (done)
        done(done_arg, user_id, NULL);
    /* The callback may have asked to leave; a leave during loading was only noted. */
    s = find_session(store, user_id);
    if (s && s->state == VS_SESSION_ACTIVE && s->leave_requested)
        start_release(s);
}

vs_status vs_store_join(vs_store *store, int64_t user_id, vs_session_fn done, void *arg)
{
    if (find_session(store, user_id))
        return VS_ERR_BUSY;
    session *s = calloc(1, sizeof *s);
    if (!s)
        return VS_ERR_NOMEM;
    s->store = store;
    s->user_id = user_id;
    vs_store_key(store, user_id, s->key, sizeof s->key);
    s->state = VS_SESSION_LOADING;
    s->on_loaded = done;
    s->loaded_arg = arg;
    vs_status st = insert_session(store, s);
    if (st != VS_OK) {
        session_free(s);
        return st;
    }
    store->platform.ops->ds_update(store->platform.ctx, store->name, s->key, load_transform, s,
                                   load_done, s);
    return VS_OK;
}

/* ---- saving and releasing ---- */

static bool release_transform(void *arg, const vs_value *current, const vs_key_info *info,
                              vs_ds_write *out)
{
    session *s = arg;
    (void)info;
    if (current == NULL)
        out->value = vs_doc_new(s->data, s->store->schema);
    else
        out->value = vs_doc_with_data(current, s->data);
    return out->value != NULL;
}

static void release_done(void *arg, const vs_ds_result *r)
{
    session *s = arg;
    vs_store *store = s->store;
    vs_error err = {0};
    if (r->code != VS_DS_OK) {
        error_from_result(&err, "save failed", r);
        emit(store, VS_EV_SAVE_FAILED, s->user_id, r->code, err.message);
    } else if (r->cancelled) {
        err.status = VS_ERR_DATASTORE;
        snprintf(err.message, sizeof err.message, "save cancelled for %s", s->key);
        emit(store, VS_EV_SAVE_FAILED, s->user_id, 0, err.message);
    } else {
        emit(store, VS_EV_PROFILE_SAVED, s->user_id, 0, "profile saved");
        emit(store, VS_EV_PROFILE_RELEASED, s->user_id, 0, "profile released");
    }
    vs_session_fn done = s->on_released;
    void *done_arg = s->released_arg;
    int64_t user_id = s->user_id;
    remove_session(store, s);
    if (done)
        done(done_arg, user_id, err.status == VS_OK ? NULL : &err);
}

static void start_release(session *s)
{
    vs_store *store = s->store;
    s->state = VS_SESSION_RELEASING;
    store->platform.ops->ds_update(store->platform.ctx, store->name, s->key, release_transform, s,
                                   release_done, s);
}

vs_status vs_store_leave(vs_store *store, int64_t user_id, vs_session_fn done, void *arg)
{
    session *s = find_session(store, user_id);
    if (!s)
        return VS_ERR_NOT_LOADED;
    if (s->state == VS_SESSION_RELEASING || s->leave_requested)
        return VS_ERR_BUSY;
    s->leave_requested = true;
    s->on_released = done;
    s->released_arg = arg;
    if (s->state == VS_SESSION_ACTIVE)
        start_release(s);
    return VS_OK;
}

/* ---- reading and changing ---- */

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

static session *active_session(const vs_store *store, int64_t user_id)
{
    session *s = find_session(store, user_id);
    return s && s->state == VS_SESSION_ACTIVE ? s : NULL;
}

const vs_value *vs_store_get(const vs_store *store, int64_t user_id, const vs_path *path)
{
    const session *s = active_session(store, user_id);
    return s ? vs_path_get(s->data, path) : NULL;
}

vs_status vs_store_set(vs_store *store, int64_t user_id, const vs_path *path, vs_value *item)
{
    session *s = active_session(store, user_id);
    if (!s) {
        vs_free(item);
        return VS_ERR_NOT_LOADED;
    }
    return vs_path_set(s->data, path, item);
}

vs_status vs_store_add(vs_store *store, int64_t user_id, const vs_path *path, double delta)
{
    session *s = active_session(store, user_id);
    return s ? vs_path_add(s->data, path, delta) : VS_ERR_NOT_LOADED;
}

vs_status vs_store_insert(vs_store *store, int64_t user_id, const vs_path *path, size_t index1,
                          vs_value *item)
{
    session *s = active_session(store, user_id);
    if (!s) {
        vs_free(item);
        return VS_ERR_NOT_LOADED;
    }
    return vs_path_insert(s->data, path, index1, item);
}

vs_status vs_store_remove(vs_store *store, int64_t user_id, const vs_path *path)
{
    session *s = active_session(store, user_id);
    return s ? vs_path_remove(s->data, path) : VS_ERR_NOT_LOADED;
}
