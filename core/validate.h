/* validate.h: the checks a profile's data passes before every write.
 *
 * First what the store itself would refuse (PLATFORM.md; vs_value_check_storable): NaN and
 * infinities, tables that mix array and map parts, arrays with holes, strings and keys that
 * are not valid UTF-8, and a canonical JSON text too large for the store. Then the game's
 * own validators, in the order they were added: each a C callback or a list of `require`
 * steps (core/steps.h). The first failure refuses the write; the message says what and where
 * ("not storable at Inventory.3.Name: ...") or which validator refused and why ("validator 2
 * (coins): require Wallet.Coins at_least 0: found -20").
 *
 * What it keeps true: validation never changes the data (it only ever sees a const tree,
 * and a validator made of steps may hold nothing but requires), so a refused save keeps the
 * data in memory exactly as the game left it. The size checked is exact: the engine writes a
 * document that holds the data beside its own bookkeeping, and vs_validate_room computes how
 * many bytes of that document the data may take, so a save that passes here is never refused
 * by the store for its size. */
#ifndef VS_VALIDATE_H
#define VS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"
#include "core/steps.h"
#include "core/value.h"

/* Returns true to accept data; false to refuse it, with a reason written into why (size
 * bytes; it holds "" on entry). It must not keep data. */
typedef bool (*vs_validate_fn)(void *arg, const vs_value *data, char *why, size_t size);

typedef struct vs_validator {
    char *name;        /* for messages; owned; NULL when unnamed */
    vs_validate_fn fn; /* a callback (with its argument, not owned) ... */
    void *arg;
    vs_steps steps; /* ... or, when fn is NULL, a list of requires (owned) */
} vs_validator;

/* Validators in the order they run. Zero-initialised (or vs_validators_init) is the empty
 * list. */
typedef struct vs_validators {
    size_t count;
    size_t cap;
    vs_validator *items;
} vs_validators;

void vs_validators_init(vs_validators *v);
void vs_validators_free(vs_validators *v); /* leaves an empty list; safe to call twice */
/* A deep copy into *out (initialised here; empty on failure). Callback arguments are
 * shared, not copied. */
vs_status vs_validators_copy(const vs_validators *src, vs_validators *out);

/* Appending. name may be NULL; it and steps are copied. VS_ERR_ARG for a NULL fn, and for a
 * step list with a step that is not a require (a validator must not change the data) or
 * that takes its operand from a payload (a validator has none): why (may be NULL) then
 * names that step. */
vs_status vs_validators_add_fn(vs_validators *v, const char *name, vs_validate_fn fn,
                               void *arg);
vs_status vs_validators_add_steps(vs_validators *v, const char *name, const vs_steps *steps,
                                  char *why, size_t size);

/* Checks data before a write: storability, then the size of its canonical JSON against
 * max_json_bytes (0: no size limit; pass what vs_validate_room computed, so that the whole
 * document fits), then every validator in order (v may be NULL: none). The first failure
 * is returned, with a one-line reason in why (size bytes, may be NULL; "" on success):
 *   the storability status (VS_ERR_NOT_FINITE, VS_ERR_MIXED_TABLE, VS_ERR_ARRAY_HOLE,
 *   VS_ERR_UTF8) with the path of the first offending node; VS_ERR_TOO_LARGE with both
 *   sizes; VS_ERR_INVALID when a validator refused, naming it (1-based index and name).
 * data is never changed. */
vs_status vs_validate(const vs_validators *v, const vs_value *data, size_t max_json_bytes,
                      char *why, size_t size);

/* How many bytes of canonical JSON the data may take inside doc, a stored document
 * (core/document.h: a map with a "data" entry) that the store accepts up to limit bytes:
 * limit minus what every other part of doc takes. Exact, because canonical JSON is written
 * the same way wherever a value sits: the document's text is the data's text plus the same
 * bytes around it whatever the data is. doc's "data" entry may hold any storable value
 * (the data being replaced, for instance): only the rest is measured. limit 0 (no limit)
 * gives 0 (no limit). VS_ERR_ARG when doc has no "data" entry; the storability status when
 * doc is not storable; VS_ERR_TOO_LARGE when the rest alone leaves no room for any data. */
vs_status vs_validate_room(const vs_value *doc, size_t limit, size_t *room);

#endif
