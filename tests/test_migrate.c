/* test_migrate.c: schema migrations: nothing to do, a chain applied in version order (not
 * in the order added), a newer schema refused, a failing migration and a gap leaving the
 * data byte-identical (canonical JSON) at the same address, callbacks and step lists mixed,
 * copies, and the checks of the list itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/migrate.h"
#include "core/path.h"
#include "core/steps.h"
#include "core/value.h"

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    if (vs_json_decode(text, strlen(text), &v, NULL) != VS_OK)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

static char *text_of(const vs_value *v)
{
    vs_buf b;
    vs_buf_init(&b);
    assert_int_equal(vs_json_encode(v, &b), VS_OK);
    char *t = strdup(b.data);
    vs_buf_free(&b);
    return t;
}

static void expect_json(const vs_value *v, const char *want)
{
    char *got = text_of(v);
    if (strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got, want);
    free(got);
}

/* A callback migration's argument: which version it upgrades from, and how often it ran. */
typedef struct probe {
    int64_t from;
    int calls;
    bool fail;       /* return an error */
    bool give_why;   /* with a reason */
} probe;

/* Appends its `from` to data.Log, so the order of the chain shows in the data. */
static vs_status log_step(void *arg, vs_value *data, char *why, size_t size)
{
    probe *p = arg;
    p->calls++;
    assert_string_equal(why, ""); /* the promise to callbacks */
    vs_value *log = vs_map_get(data, "Log");
    if (!log) {
        assert_int_equal(vs_map_set(data, "Log", vs_new_array()), VS_OK);
        log = vs_map_get(data, "Log");
    }
    assert_int_equal(vs_array_push(log, vs_new_number((double)p->from)), VS_OK);
    if (p->fail) {
        if (p->give_why)
            snprintf(why, size, "cannot split %s", "Gold");
        return VS_ERR_TYPE;
    }
    return VS_OK;
}

static vs_steps steps_of(const char *set_path, const char *value_json, const char *require_path)
{
    vs_steps s;
    vs_steps_init(&s);
    vs_path p;
    if (set_path) {
        assert_int_equal(vs_path_parse(set_path, &p), VS_OK);
        assert_int_equal(vs_steps_push_set(&s, &p, json(value_json)), VS_OK);
        vs_path_free(&p);
    }
    if (require_path) {
        assert_int_equal(vs_path_parse(require_path, &p), VS_OK);
        assert_int_equal(vs_steps_push_require(&s, &p, VS_REQUIRE_EXISTS, NULL), VS_OK);
        vs_path_free(&p);
    }
    return s;
}

/* Runs vs_migrate and expects failure with status and message, data untouched (same
 * address, same bytes) and *out_schema left at the stored schema. */
static void expect_refused(const vs_migrations *m, int64_t current, int64_t stored,
                           vs_status status, const char *message)
{
    vs_value *data = json("{\"Coins\":10,\"Items\":[\"a\"]}");
    vs_value *was = data;
    char *before = text_of(data);
    int64_t out = -1;
    char why[300];
    vs_status st = vs_migrate(m, current, data, stored, &out, why, sizeof why);
    if (st != status)
        fail_msg("status %s, want %s (%s)", vs_status_name(st), vs_status_name(status), why);
    if (message && strcmp(why, message) != 0)
        fail_msg("why  \"%s\"\nwant \"%s\"", why, message);
    assert_ptr_equal(data, was);
    char *after = text_of(data);
    assert_string_equal(after, before);
    assert_int_equal(out, stored);
    free(after);
    free(before);
    vs_free(data);
}

static void test_nothing_to_do(void **state)
{
    (void)state;
    probe p1 = {1, 0, false, false};
    vs_migrations m;
    vs_migrations_init(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "log", log_step, &p1), VS_OK);
    vs_value *data = json("{\"Coins\":10}"), *was = data;
    int64_t out = -1;
    char why[200] = "junk";
    assert_int_equal(vs_migrate(&m, 2, data, 2, &out, why, sizeof why), VS_OK);
    assert_int_equal(out, 2);
    assert_string_equal(why, "");
    assert_ptr_equal(data, was);
    expect_json(data, "{\"Coins\":10}");
    assert_int_equal(p1.calls, 0);
    /* No list at all, and no out_schema or why wanted. */
    assert_int_equal(vs_migrate(NULL, 1, data, 1, NULL, NULL, 0), VS_OK);
    assert_ptr_equal(data, was);
    vs_free(data);
    vs_migrations_free(&m);
}

static void test_chain_in_order(void **state)
{
    (void)state;
    probe p1 = {1, 0, false, false}, p2 = {2, 0, false, false};
    vs_migrations m;
    vs_migrations_init(&m);
    /* Added out of order: the chain follows versions, not the list. */
    assert_int_equal(vs_migrations_add_fn(&m, 2, "second", log_step, &p2), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 1, NULL, log_step, &p1), VS_OK);
    char why[200];
    assert_int_equal(vs_migrations_check(&m, 3, why, sizeof why), VS_OK);
    assert_string_equal(why, "");
    vs_value *data = json("{\"Coins\":10}");
    int64_t out = 0;
    assert_int_equal(vs_migrate(&m, 3, data, 1, &out, why, sizeof why), VS_OK);
    assert_int_equal(out, 3);
    assert_string_equal(why, "");
    expect_json(data, "{\"Coins\":10,\"Log\":[1,2]}");
    assert_int_equal(p1.calls, 1);
    assert_int_equal(p2.calls, 1);
    /* From 2 only the second runs. */
    vs_free(data);
    data = json("{}");
    assert_int_equal(vs_migrate(&m, 3, data, 2, &out, why, sizeof why), VS_OK);
    expect_json(data, "{\"Log\":[2]}");
    assert_int_equal(p1.calls, 1);
    assert_int_equal(p2.calls, 2);
    vs_free(data);
    vs_migrations_free(&m);
    vs_migrations_free(&m); /* twice is fine */
}

static void test_too_new(void **state)
{
    (void)state;
    probe p1 = {1, 0, false, false};
    vs_migrations m;
    vs_migrations_init(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "log", log_step, &p1), VS_OK);
    expect_refused(&m, 2, 3, VS_ERR_SCHEMA_TOO_NEW,
                   "the profile was written by a newer server (schema 3); this server knows "
                   "up to 2: not loading it, to avoid a downgrade");
    expect_refused(NULL, 1, 7, VS_ERR_SCHEMA_TOO_NEW, NULL);
    assert_int_equal(p1.calls, 0);
    vs_migrations_free(&m);
}

static void test_failing_middle_leaves_data(void **state)
{
    (void)state;
    probe p1 = {1, 0, false, false}, p2 = {2, 0, true, true}, p3 = {3, 0, false, false};
    vs_migrations m;
    vs_migrations_init(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "first", log_step, &p1), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 2, "split_gold", log_step, &p2), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 3, "third", log_step, &p3), VS_OK);
    /* The first migration changed its copy (Log:[1]) and the second wrote too before it
     * failed: none of it may reach the data. */
    expect_refused(&m, 4, 1, VS_ERR_MIGRATION,
                   "migration 2 -> 3 (split_gold) failed: cannot split Gold");
    assert_int_equal(p1.calls, 1);
    assert_int_equal(p2.calls, 1);
    assert_int_equal(p3.calls, 0); /* the chain stops at the failure */

    /* Without a reason, the status speaks. */
    p2.give_why = false;
    expect_refused(&m, 4, 2, VS_ERR_MIGRATION,
                   "migration 2 -> 3 (split_gold) failed: the value at this path has the "
                   "wrong type");
    vs_migrations_free(&m);

    /* A step-list migration whose require does not hold, after a callback that succeeded. */
    vs_steps s = steps_of("Gems", "0", "Gold");
    vs_migrations_init(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "first", log_step, &p1), VS_OK);
    assert_int_equal(vs_migrations_add_steps(&m, 2, "needs_gold", &s), VS_OK);
    expect_refused(&m, 3, 1, VS_ERR_MIGRATION,
                   "migration 2 -> 3 (needs_gold) failed at step 2: require Gold exists: "
                   "found nothing");
    vs_steps_free(&s);
    vs_migrations_free(&m);
}

static void test_gap(void **state)
{
    (void)state;
    probe p1 = {1, 0, false, false}, p3 = {3, 0, false, false};
    vs_migrations m;
    vs_migrations_init(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "first", log_step, &p1), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 3, "third", log_step, &p3), VS_OK);
    expect_refused(&m, 4, 1, VS_ERR_MIGRATION,
                   "no migration from schema 2 to 3: the profile has schema 1 and this server "
                   "is at 4");
    /* The gap is found before anything runs. */
    assert_int_equal(p1.calls, 0);
    assert_int_equal(p3.calls, 0);
    /* No migrations at all. */
    expect_refused(NULL, 2, 1, VS_ERR_MIGRATION,
                   "no migration from schema 1 to 2: the profile has schema 1 and this server "
                   "is at 2");
    /* Above the gap the chain is whole. */
    vs_value *data = json("{}");
    int64_t out = 0;
    assert_int_equal(vs_migrate(&m, 4, data, 3, &out, NULL, 0), VS_OK);
    assert_int_equal(out, 4);
    expect_json(data, "{\"Log\":[3]}");
    vs_free(data);
    /* A stored schema that is no version. */
    expect_refused(&m, 4, 0, VS_ERR_MIGRATION,
                   "the profile's schema 0 is not a version (versions start at 1)");
    expect_refused(&m, 4, -3, VS_ERR_MIGRATION, NULL);
    vs_migrations_free(&m);
}

/* Reads the Gems that the steps migration before it must have set. */
static vs_status double_gems(void *arg, vs_value *data, char *why, size_t size)
{
    (void)arg;
    const vs_value *gems = vs_map_get(data, "Gems");
    if (vs_type_of(gems) != VS_NUMBER) {
        snprintf(why, size, "no Gems yet");
        return VS_ERR_NOT_FOUND;
    }
    return vs_map_set(data, "Gems", vs_new_number(vs_number_of(gems) * 2));
}

/* Puts an integer key at the root: data no store accepts, and that value.h cannot take back
 * out of the caller's tree. */
static vs_status add_int_key(void *arg, vs_value *data, char *why, size_t size)
{
    (void)arg;
    (void)why;
    (void)size;
    return vs_map_set_int(data, 1, vs_new_number(1));
}

static void test_unstorable_result_refused(void **state)
{
    (void)state;
    vs_migrations m;
    vs_migrations_init(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "int_key", add_int_key, NULL), VS_OK);
    expect_refused(&m, 2, 1, VS_ERR_MIGRATION,
                   "the migrations from schema 1 changed the integer keys at the data's root, "
                   "which cannot be stored");
    vs_migrations_free(&m);
}

static void test_mixed_callbacks_and_steps(void **state)
{
    (void)state;
    vs_migrations m;
    vs_migrations_init(&m);
    vs_steps s1 = steps_of("Gems", "5", "Coins"); /* 1 -> 2: set Gems 5; require Coins exists */
    vs_steps s3;
    vs_steps_init(&s3);
    vs_path p;
    assert_int_equal(vs_path_parse("Coins", &p), VS_OK);
    assert_int_equal(vs_steps_push_add(&s3, &p, 100), VS_OK); /* 3 -> 4: add Coins 100 */
    vs_path_free(&p);
    assert_int_equal(vs_migrations_add_steps(&m, 3, "bonus", &s3), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 2, "double_gems", double_gems, NULL), VS_OK);
    assert_int_equal(vs_migrations_add_steps(&m, 1, "gems", &s1), VS_OK);
    /* The list keeps its own copies. */
    vs_steps_free(&s1);
    vs_steps_free(&s3);

    /* Copies of the list behave the same (the store copies its config). */
    vs_migrations c;
    assert_int_equal(vs_migrations_copy(&m, &c), VS_OK);
    vs_migrations_free(&m);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.items[0].name, "bonus");
    assert_null(c.items[1].steps.items);
    assert_int_equal(vs_migrations_check(&c, 4, NULL, 0), VS_OK);

    vs_value *data = json("{\"Coins\":10}");
    int64_t out = 0;
    char why[200];
    assert_int_equal(vs_migrate(&c, 4, data, 1, &out, why, sizeof why), VS_OK);
    assert_int_equal(out, 4);
    expect_json(data, "{\"Coins\":110,\"Gems\":10}");
    vs_free(data);

    /* Starting at 2, the callback finds no Gems: refused, data untouched. */
    data = json("{\"Coins\":10}");
    vs_value *was = data;
    assert_int_equal(vs_migrate(&c, 4, data, 2, &out, why, sizeof why), VS_ERR_MIGRATION);
    assert_string_equal(why, "migration 2 -> 3 (double_gems) failed: no Gems yet");
    assert_int_equal(out, 2);
    assert_ptr_equal(data, was);
    expect_json(data, "{\"Coins\":10}");
    vs_free(data);
    vs_migrations_free(&c);
}

static void test_list_checks(void **state)
{
    (void)state;
    probe p = {1, 0, false, false};
    vs_migrations m;
    vs_migrations_init(&m);
    char why[200];
    assert_int_equal(vs_migrations_check(&m, 1, why, sizeof why), VS_OK); /* empty */
    assert_int_equal(vs_migrations_check(NULL, 5, why, sizeof why), VS_OK);
    assert_int_equal(vs_migrations_check(&m, 0, why, sizeof why), VS_ERR_ARG);
    assert_string_equal(why, "the current schema is 0: versions start at 1");

    /* Refused when added. */
    assert_int_equal(vs_migrations_add_fn(&m, 0, "zero", log_step, &p), VS_ERR_ARG);
    assert_int_equal(vs_migrations_add_fn(&m, -1, NULL, log_step, &p), VS_ERR_ARG);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "none", NULL, NULL), VS_ERR_ARG);
    assert_int_equal(vs_migrations_add_steps(&m, 1, "none", NULL), VS_ERR_ARG);
    vs_steps s;
    vs_steps_init(&s);
    vs_path at, from;
    assert_int_equal(vs_path_parse("Coins", &at), VS_OK);
    assert_int_equal(vs_path_parse("Amount", &from), VS_OK);
    assert_int_equal(vs_steps_push_add_from(&s, &at, &from), VS_OK);
    assert_int_equal(vs_migrations_add_steps(&m, 1, "payload", &s), VS_ERR_ARG);
    vs_steps_free(&s);
    vs_path_free(&at);
    vs_path_free(&from);
    assert_int_equal(m.count, 0);

    /* Duplicates. */
    assert_int_equal(vs_migrations_add_fn(&m, 1, "a", log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 2, "b", log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 1, "c", log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_check(&m, 3, why, sizeof why), VS_ERR_MIGRATION);
    assert_string_equal(why, "migrations #1 and #3 both start at schema 1");
    vs_migrations_free(&m);

    /* Beyond the current schema. */
    assert_int_equal(vs_migrations_add_fn(&m, 1, "a", log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 2, "b", log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_check(&m, 3, why, sizeof why), VS_OK);
    assert_int_equal(vs_migrations_check(&m, 2, why, sizeof why), VS_ERR_MIGRATION);
    assert_string_equal(why, "migration 2 -> 3 (b) goes beyond the current schema 2: it would "
                             "never run (was the schema not raised?)");
    /* A chain that stops short of the current schema, or has a hole. */
    assert_int_equal(vs_migrations_check(&m, 4, why, sizeof why), VS_ERR_MIGRATION);
    assert_string_equal(why, "the chain has a gap: no migration from schema 3 to 4, so a "
                             "profile at schema 1 could never load");
    vs_migrations_free(&m);
    assert_int_equal(vs_migrations_add_fn(&m, 4, NULL, log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_add_fn(&m, 2, NULL, log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_check(&m, 5, why, sizeof why), VS_ERR_MIGRATION);
    assert_string_equal(why, "the chain has a gap: no migration from schema 3 to 4, so a "
                             "profile at schema 2 could never load");
    /* A chain that starts late is fine: older profiles never existed. */
    assert_int_equal(vs_migrations_add_fn(&m, 3, NULL, log_step, &p), VS_OK);
    assert_int_equal(vs_migrations_check(&m, 5, why, sizeof why), VS_OK);
    /* A from below 1 put there by hand is caught too. */
    m.items[0].from = 0;
    assert_int_equal(vs_migrations_check(&m, 5, why, sizeof why), VS_ERR_MIGRATION);
    assert_string_equal(why, "migration 0 -> 1: schema versions start at 1");
    vs_migrations_free(&m);

    /* Bad arguments to vs_migrate. */
    vs_value *data = json("{}");
    assert_int_equal(vs_migrate(NULL, 0, data, 1, NULL, why, sizeof why), VS_ERR_ARG);
    assert_int_equal(vs_migrate(NULL, 1, NULL, 1, NULL, why, sizeof why), VS_ERR_ARG);
    assert_int_equal(vs_migrations_copy(NULL, &m), VS_ERR_ARG);
    assert_int_equal(m.count, 0);
    vs_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_to_do),
        cmocka_unit_test(test_chain_in_order),
        cmocka_unit_test(test_too_new),
        cmocka_unit_test(test_failing_middle_leaves_data),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_mixed_callbacks_and_steps),
        cmocka_unit_test(test_unstorable_result_refused),
        cmocka_unit_test(test_list_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
