/* steps.h: declarative steps, a tiny language of changes and conditions over a profile.
 *
 * A step list is what a scenario's `edit`, a migration written in YAML, a validator and an
 * operation handler are made of:
 *
 *     add Wallet.Coins -50; require Wallet.Coins at_least 0
 *
 * Step kinds: set PATH VALUE, add PATH NUMBER, insert PATH VALUE [at INDEX], remove PATH and
 * require PATH CONDITION (exists, absent, equals VALUE, at_least NUMBER, at_most NUMBER,
 * type NAME). Paths have core/path.h semantics. A step's operand is either a literal kept in
 * the list or the node found at a path in a payload given when the list is applied ("add
 * Wallet.Coins payload.Amount"), so one list serves every delivery of an operation.
 *
 * What it keeps true: vs_steps_apply is all-or-nothing. Either every step succeeded and the
 * profile shows all their effects, or a step failed (a require that does not hold, a path
 * error, a missing payload operand) and the profile is exactly as it was, with an error that
 * names the step and says why. A list owns its paths and literal values; applying it never
 * changes it, so one list can be applied any number of times. */
#ifndef VS_STEPS_H
#define VS_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "core/path.h"
#include "core/status.h"
#include "core/value.h"

typedef enum vs_step_kind {
    VS_STEP_SET,
    VS_STEP_ADD,
    VS_STEP_INSERT,
    VS_STEP_REMOVE,
    VS_STEP_REQUIRE,
} vs_step_kind;

typedef enum vs_require_op {
    VS_REQUIRE_EXISTS,   /* a node that is not nil is there */
    VS_REQUIRE_ABSENT,   /* nothing (or nil) is there */
    VS_REQUIRE_EQUALS,   /* deep equality; numbers compare as numbers (0 == -0) */
    VS_REQUIRE_AT_LEAST, /* a number >= the operand */
    VS_REQUIRE_AT_MOST,  /* a number <= the operand */
    VS_REQUIRE_TYPE,     /* vs_type_name of the node is the name; absent counts as "nil" */
} vs_require_op;

/* "set", "add", "insert", "remove", "require". */
const char *vs_step_kind_name(vs_step_kind kind);
/* "exists", "absent", "equals", "at_least", "at_most", "type". */
const char *vs_require_op_name(vs_require_op op);
/* The inverses, for loaders: false when the name is not one of those above. */
bool vs_require_op_parse(const char *name, vs_require_op *out);
/* "nil", "boolean", "number", "string", "array", "map" -> vs_type; false otherwise. */
bool vs_require_type_parse(const char *name, vs_type *out);

/* One step. Read it freely; build it only with the vs_steps_push_* functions, which check
 * that the fields make sense together. */
typedef struct vs_step {
    vs_step_kind kind;
    vs_path path;         /* the node changed or tested; never empty for a change */
    vs_require_op op;     /* require only */
    vs_type type;         /* require type only */
    size_t index1;        /* insert only: 1-based position, 0 = append */
    double number;        /* add: the delta; at_least, at_most: the bound (literal operands) */
    vs_value *value;      /* set, insert, equals: the literal operand (owned); else NULL */
    bool from_payload;    /* the operand is the payload's node at payload_path instead */
    vs_path payload_path; /* may be empty: the whole payload */
} vs_step;

/* A growable list of steps; owns every step's paths and values. Zero-initialised (or
 * vs_steps_init) is the empty list. */
typedef struct vs_steps {
    size_t count;
    size_t cap;
    vs_step *items;
} vs_steps;

void vs_steps_init(vs_steps *s);
void vs_steps_free(vs_steps *s); /* leaves an empty list; safe to call twice */
/* A deep copy into *out (initialised here; empty on failure). */
vs_status vs_steps_copy(const vs_steps *src, vs_steps *out);

/* Appending steps. Paths are copied; a vs_value * operand is taken over, also on failure
 * (as in value.h: a NULL operand where one is needed is a constructor that ran out of
 * memory, VS_ERR_NOMEM). Nothing is appended on failure. Refused at build time:
 *   VS_ERR_PATH        a change (set, add, insert, remove) on the empty path (the root);
 *   VS_ERR_NOT_FINITE  a NaN or infinite delta or bound;
 *   VS_ERR_TYPE        at_least or at_most with an operand that is not a number;
 *   VS_ERR_ARG         an operand given to exists or absent, none given to another
 *                      condition, an unknown type name, a payload operand for a condition
 *                      that takes none (exists, absent, type);
 *   the storability status (VS_ERR_NOT_FINITE, VS_ERR_ARRAY_HOLE, ...) for a literal value
 *   that the store would refuse, and VS_ERR_ARRAY_HOLE for inserting nil: such a step could
 *   only ever produce an unsavable profile or compare with what can never be stored. */
vs_status vs_steps_push_set(vs_steps *s, const vs_path *path, vs_value *value);
vs_status vs_steps_push_add(vs_steps *s, const vs_path *path, double delta);
vs_status vs_steps_push_insert(vs_steps *s, const vs_path *path, size_t index1, vs_value *value);
vs_status vs_steps_push_remove(vs_steps *s, const vs_path *path);
/* operand: NULL for exists and absent; any value for equals; a number for at_least and
 * at_most; a string naming the type for type (so a loader can pass what it read). */
vs_status vs_steps_push_require(vs_steps *s, const vs_path *path, vs_require_op op,
                                vs_value *operand);
/* The same with the operand taken from the payload at apply time. */
vs_status vs_steps_push_set_from(vs_steps *s, const vs_path *path, const vs_path *payload_path);
vs_status vs_steps_push_add_from(vs_steps *s, const vs_path *path, const vs_path *payload_path);
vs_status vs_steps_push_insert_from(vs_steps *s, const vs_path *path, size_t index1,
                                    const vs_path *payload_path);
vs_status vs_steps_push_require_from(vs_steps *s, const vs_path *path, vs_require_op op,
                                     const vs_path *payload_path);

/* True when every step is a require (the list can only test, never change). When it is not,
 * *first (if not NULL) receives the index of the first other step. */
bool vs_steps_only_requires(const vs_steps *s, size_t *first);
/* True when some step takes its operand from the payload; *first as above. */
bool vs_steps_uses_payload(const vs_steps *s, size_t *first);

/* Why a list did not apply. */
#define VS_STEPS_NO_INDEX SIZE_MAX
typedef struct vs_steps_error {
    vs_status status;  /* VS_ERR_REQUIRE for a condition that does not hold */
    size_t index;      /* 0-based index of the failing step, or VS_STEPS_NO_INDEX when no
                          step failed (out of memory copying the profile, a bad argument) */
    char message[256]; /* one line: "require Wallet.Coins at_least 0: found -20" */
} vs_steps_error;

/* Applies the steps in order to root, all-or-nothing. Payload operands are read from
 * payload (may be NULL when no step needs one; it must not be part of root). On success
 * root holds every change; on failure it is exactly as it was. Pointers into root are
 * invalid after a successful apply, as after any mutation. err may be NULL.
 *
 * Errors: VS_ERR_REQUIRE (a condition does not hold), the core/path.h status of a change
 * that cannot be made (VS_ERR_NOT_FOUND, VS_ERR_TYPE, VS_ERR_INDEX, ...), VS_ERR_NOT_FOUND
 * for a payload operand that is missing (or no payload), VS_ERR_TYPE for one of the wrong
 * type, VS_ERR_NOMEM, VS_ERR_ARG. */
vs_status vs_steps_apply(const vs_steps *s, vs_value *root, const vs_value *payload,
                         vs_steps_error *err);
/* The same without the all-or-nothing promise: the steps before a failing one keep their
 * changes. For a tree the caller throws away on failure anyway (a private copy, as in a
 * migration chain or an UpdateAsync transform), where a second copy would be waste. */
vs_status vs_steps_apply_in_place(const vs_steps *s, vs_value *root, const vs_value *payload,
                                  vs_steps_error *err);
/* Evaluates a list of requires against a tree it cannot change (validators). A step that
 * is not a require is VS_ERR_ARG, reported at that step. */
vs_status vs_steps_check(const vs_steps *s, const vs_value *root, const vs_value *payload,
                         vs_steps_error *err);

/* Makes root hold what replacement holds, all-or-nothing, consuming replacement (freed
 * also on failure): how a private copy that was changed is committed into the caller's tree
 * (value.h has no swap). Children move as pointers; nothing is copied but the values under
 * integer keys. On failure root is unchanged: VS_ERR_NOMEM; VS_ERR_TYPE when the two are of
 * different types, or unequal scalars (a scalar cannot change in place); VS_ERR_MIXED_TABLE
 * when two maps differ in their integer keys, which value.h cannot remove (such a tree is
 * not storable anyway). Used by vs_steps_apply and core/migrate. */
vs_status vs_steps_adopt(vs_value *root, vs_value *replacement);

/* Appends a one-line description: "add Wallet.Coins -50", "insert Inventory "Bow" at 2",
 * "require Wallet.Coins at_least payload.Price"; a step list's steps are joined with "; "
 * ("(no steps)" for an empty list). The root path is written "(root)", literals as canonical
 * JSON, clipped to 60 bytes with "..." so that a description stays one readable line. */
vs_status vs_step_describe(const vs_step *step, vs_buf *out);
vs_status vs_steps_describe(const vs_steps *s, vs_buf *out);

#endif
