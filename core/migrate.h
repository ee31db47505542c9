/* migrate.h: schema migrations, applied in order when a profile is loaded.
 *
 * A stored profile carries the schema version it was written with (an integer >= 1). A store
 * knows its current schema S and a list of migrations, each upgrading data from one version v
 * to v + 1, written either as a C callback or as a step list (core/steps.h; the scenario
 * loader builds those). Loading a profile of schema v < S runs the migrations from v, v + 1,
 * ..., S - 1 in that order.
 *
 * What it keeps true: a migration chain is all-or-nothing. The data is changed only when
 * every migration from the stored schema to the current one succeeded; on any failure (a gap
 * in the chain, a callback's error, a require that does not hold) the data is exactly as it
 * was, and the message names the migration. A profile written with a newer schema than the
 * current one is never loaded, so an older server cannot downgrade it. */
#ifndef VS_MIGRATE_H
#define VS_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/steps.h"
#include "core/value.h"

/* Upgrades data in place from one schema to the next. On failure returns an error status
 * and may write a reason into why (size bytes; it holds "" on entry); the data it was given
 * is then thrown away, so it need not undo anything. */
typedef vs_status (*vs_migrate_fn)(void *arg, vs_value *data, char *why, size_t size);

typedef struct vs_migration {
    int64_t from;     /* upgrades data from schema `from` to `from + 1` */
    char *name;       /* for messages; owned; NULL when unnamed */
    vs_migrate_fn fn; /* a callback (with its argument, not owned) ... */
    void *arg;
    vs_steps steps; /* ... or, when fn is NULL, a step list (owned) */
} vs_migration;

/* A list of migrations in the order they were added (vs_migrate finds each by `from`). Zero-
 * initialised (or vs_migrations_init) is the empty list. */
typedef struct vs_migrations {
    size_t count;
    size_t cap;
    vs_migration *items;
} vs_migrations;

void vs_migrations_init(vs_migrations *m);
void vs_migrations_free(vs_migrations *m); /* leaves an empty list; safe to call twice */
/* A deep copy into *out (initialised here; empty on failure). Callback arguments are
 * shared, not copied. */
vs_status vs_migrations_copy(const vs_migrations *src, vs_migrations *out);

/* Appending. name may be NULL; it and steps are copied. VS_ERR_ARG for from < 1, a NULL fn,
 * or steps that take an operand from a payload (a migration has none). Whether the list
 * as a whole makes sense is vs_migrations_check's business. */
vs_status vs_migrations_add_fn(vs_migrations *m, int64_t from, const char *name,
                               vs_migrate_fn fn, void *arg);
vs_status vs_migrations_add_steps(vs_migrations *m, int64_t from, const char *name,
                                  const vs_steps *steps);

/* Checks the list against the current schema, for a store to call when it is created:
 * every `from` is at least 1 and below current_schema (a migration to a version beyond the
 * current one would never run: the schema was probably not raised), no two migrations start
 * at the same version, and the chain has no gap from the lowest `from` up to
 * current_schema - 1 (a profile below the gap could never load). VS_ERR_MIGRATION with the
 * first problem in why; VS_ERR_ARG when current_schema < 1. An empty list is fine. */
vs_status vs_migrations_check(const vs_migrations *m, int64_t current_schema, char *why,
                              size_t size);

/* Brings data from stored_schema to current_schema.
 *   stored == current: nothing to do.
 *   stored >  current: VS_ERR_SCHEMA_TOO_NEW ("the profile was written by a newer server
 *                      (schema 3); this server knows up to 2: ..."); data untouched.
 *   stored <  current: every migration from stored to current - 1 in order, on a private
 *                      copy committed into data (vs_steps_adopt) only when all succeeded.
 *                      VS_ERR_MIGRATION when one is missing from the chain or one fails
 *                      (the message names it and says why), or when stored < 1; data is
 *                      then untouched.
 * *out_schema (if not NULL) receives the schema data now has: current_schema on success,
 * stored_schema on failure. why (size bytes, may be NULL) receives "" on success. m may be
 * NULL (no migrations). VS_ERR_ARG when data is NULL or current_schema < 1; VS_ERR_NOMEM
 * when the data cannot be copied or committed. */
vs_status vs_migrate(const vs_migrations *m, int64_t current_schema, vs_value *data,
                     int64_t stored_schema, int64_t *out_schema, char *why, size_t size);

#endif
