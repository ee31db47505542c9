/* migrate.c: schema migrations applied in order on load (see migrate.h).
 *
 * What it keeps true: the caller's data changes only when the whole chain succeeded. The
 * chain is looked up completely before any work (so a gap costs nothing and touches
 * nothing), then every migration runs on one private copy, committed into the caller's tree
 * at the end by vs_steps_adopt, which either moves all of it in or changes nothing. Because
 * the copy is private, step-list migrations run in place on it (vs_steps_apply_in_place)
 * instead of copying again. */
#include "core/migrate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/text.h"

void vs_migrations_init(vs_migrations *m)
{
    if (!m)
        return;
    m->count = 0;
    m->cap = 0;
    m->items = NULL;
}

static void migration_free(vs_migration *mg)
{
    free(mg->name);
    mg->name = NULL;
    vs_steps_free(&mg->steps);
}

void vs_migrations_free(vs_migrations *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++)
        migration_free(&m->items[i]);
    free(m->items);
    vs_migrations_init(m);
}

static vs_status reserve(vs_migrations *m, size_t need)
{
    vs_migration *items = vs_grow(m->items, &m->cap, sizeof *items, need);
    if (!items)
        return VS_ERR_NOMEM;
    m->items = items;
    return VS_OK;
}

/* A migration with copies of name and steps (steps may be NULL: a callback). On failure
 * *out holds nothing that needs freeing. */
static vs_status migration_make(vs_migration *out, int64_t from, const char *name,
                                vs_migrate_fn fn, void *arg, const vs_steps *steps)
{
    out->from = from;
    out->name = NULL;
    out->fn = fn;
    out->arg = arg;
    vs_steps_init(&out->steps);
    if (name && !(out->name = strdup(name)))
        return VS_ERR_NOMEM;
    vs_status st = steps ? vs_steps_copy(steps, &out->steps) : VS_OK;
    if (st != VS_OK)
        migration_free(out);
    return st;
}

vs_status vs_migrations_copy(const vs_migrations *src, vs_migrations *out)
{
    if (!out)
        return VS_ERR_ARG;
    vs_migrations_init(out);
    if (!src)
        return VS_ERR_ARG;
    vs_status st = reserve(out, src->count);
    for (size_t i = 0; st == VS_OK && i < src->count; i++) {
        const vs_migration *mg = &src->items[i];
        st = migration_make(&out->items[i], mg->from, mg->name, mg->fn, mg->arg,
                            mg->fn ? NULL : &mg->steps);
        if (st == VS_OK)
            out->count = i + 1;
    }
    if (st != VS_OK)
        vs_migrations_free(out);
    return st;
}

static vs_status add(vs_migrations *m, int64_t from, const char *name, vs_migrate_fn fn,
                     void *arg, const vs_steps *steps)
{
    if (!m || from < 1)
        return VS_ERR_ARG;
    vs_status st = reserve(m, m->count + 1);
    if (st == VS_OK)
        st = migration_make(&m->items[m->count], from, name, fn, arg, steps);
    if (st == VS_OK)
        m->count++;
    return st;
}

vs_status vs_migrations_add_fn(vs_migrations *m, int64_t from, const char *name,
                               vs_migrate_fn fn, void *arg)
{
    if (!fn)
        return VS_ERR_ARG;
    return add(m, from, name, fn, arg, NULL);
}

vs_status vs_migrations_add_steps(vs_migrations *m, int64_t from, const char *name,
                                  const vs_steps *steps)
{
    /* A migration runs on load, where there is no payload: such a step could never apply. */
    if (!steps || vs_steps_uses_payload(steps, NULL))
        return VS_ERR_ARG;
    return add(m, from, name, NULL, NULL, steps);
}

/* The first migration that starts at schema v, or NULL. */
static const vs_migration *find(const vs_migrations *m, int64_t v)
{
    for (size_t i = 0; m && i < m->count; i++)
        if (m->items[i].from == v)
            return &m->items[i];
    return NULL;
}

/* "migration 1 -> 2 (add_gems)" or "migration 1 -> 2". */
static void label(const vs_migration *mg, char *buf, size_t size)
{
    vs_text_clipf(buf, size, VS_OK, "migration %" PRId64 " -> %" PRId64 "%s%s%s", mg->from,
                   mg->from + 1, mg->name ? " (" : "", mg->name ? mg->name : "",
                   mg->name ? ")" : "");
}

vs_status vs_migrations_check(const vs_migrations *m, int64_t current_schema, char *why,
                              size_t size)
{
    vs_text_clip(why, size, "", 0);
    if (current_schema < 1)
        return vs_text_clipf(why, size, VS_ERR_ARG,
                              "the current schema is %" PRId64 ": versions start at 1",
                              current_schema);
    if (!m || m->count == 0)
        return VS_OK;
    int64_t lowest = INT64_MAX;
    char name[160];
    for (size_t i = 0; i < m->count; i++) {
        const vs_migration *mg = &m->items[i];
        label(mg, name, sizeof name);
        if (mg->from < 1)
            return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                                  "%s: schema versions start at 1", name);
        if (mg->from >= current_schema)
            return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                                  "%s goes beyond the current schema %" PRId64
                                  ": it would never run (was the schema not raised?)",
                                  name, current_schema);
        for (size_t j = 0; j < i; j++)
            if (m->items[j].from == mg->from)
                return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                                      "migrations #%zu and #%zu both start at schema %" PRId64,
                                      j + 1, i + 1, mg->from);
        if (mg->from < lowest)
            lowest = mg->from;
    }
    /* Every from is in [lowest, current) and they are distinct, so a gap shows up within
     * count + 1 versions: the loop is short even for a huge current schema. */
    for (int64_t v = lowest; v < current_schema; v++)
        if (!find(m, v))
            return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                                  "the chain has a gap: no migration from schema %" PRId64
                                  " to %" PRId64 ", so a profile at schema %" PRId64
                                  " could never load",
                                  v, v + 1, lowest);
    return VS_OK;
}

/* Runs one migration on the private copy. On failure the copy is garbage (the caller frees
 * it) and why names the migration. */
static vs_status run_one(const vs_migration *mg, vs_value *data, char *why, size_t size)
{
    char name[160];
    label(mg, name, sizeof name);
    if (mg->fn) {
        char reason[256] = "";
        vs_status st = mg->fn(mg->arg, data, reason, sizeof reason);
        if (st == VS_OK)
            return VS_OK;
        reason[sizeof reason - 1] = '\0'; /* a callback that filled it without a NUL */
        return vs_text_clipf(why, size, VS_ERR_MIGRATION, "%s failed: %s", name,
                              reason[0] ? reason : vs_status_message(st));
    }
    vs_steps_error err;
    vs_status st = vs_steps_apply_in_place(&mg->steps, data, NULL, &err);
    if (st == VS_OK)
        return VS_OK;
    if (err.index == VS_STEPS_NO_INDEX)
        return vs_text_clipf(why, size, VS_ERR_MIGRATION, "%s failed: %s", name, err.message);
    return vs_text_clipf(why, size, VS_ERR_MIGRATION, "%s failed at step %zu: %s", name,
                          err.index + 1, err.message);
}

vs_status vs_migrate(const vs_migrations *m, int64_t current_schema, vs_value *data,
                     int64_t stored_schema, int64_t *out_schema, char *why, size_t size)
{
    if (out_schema)
        *out_schema = stored_schema;
    vs_text_clip(why, size, "", 0);
    if (!data)
        return vs_text_clipf(why, size, VS_ERR_ARG, "no data to migrate");
    if (current_schema < 1)
        return vs_text_clipf(why, size, VS_ERR_ARG,
                              "the current schema is %" PRId64 ": versions start at 1",
                              current_schema);
    if (stored_schema == current_schema) {
        if (out_schema)
            *out_schema = current_schema;
        return VS_OK;
    }
    if (stored_schema > current_schema)
        return vs_text_clipf(why, size, VS_ERR_SCHEMA_TOO_NEW,
                              "the profile was written by a newer server (schema %" PRId64
                              "); this server knows up to %" PRId64
                              ": not loading it, to avoid a downgrade",
                              stored_schema, current_schema);
    if (stored_schema < 1)
        return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                              "the profile's schema %" PRId64
                              " is not a version (versions start at 1)",
                              stored_schema);
    /* The whole chain first: a gap is reported before anything is copied or run. */
    for (int64_t v = stored_schema; v < current_schema; v++)
        if (!find(m, v))
            return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                                  "no migration from schema %" PRId64 " to %" PRId64
                                  ": the profile has schema %" PRId64
                                  " and this server is at %" PRId64,
                                  v, v + 1, stored_schema, current_schema);
    vs_value *copy = vs_copy(data);
    if (!copy)
        return vs_text_clipf(why, size, VS_ERR_NOMEM, "out of memory copying the profile");
    for (int64_t v = stored_schema; v < current_schema; v++) {
        vs_status st = run_one(find(m, v), copy, why, size);
        if (st != VS_OK) {
            vs_free(copy);
            return st;
        }
    }
    vs_status st = vs_steps_adopt(data, copy);
    if (st == VS_ERR_MIXED_TABLE)
        return vs_text_clipf(why, size, VS_ERR_MIGRATION,
                              "the migrations from schema %" PRId64
                              " changed the integer keys at the data's root, which cannot be "
                              "stored",
                              stored_schema);
    if (st != VS_OK)
        return vs_text_clipf(why, size, st, "cannot commit the migrated data: %s",
                              vs_status_message(st));
    if (out_schema)
        *out_schema = current_schema;
    return VS_OK;
}
