/* test_fault.c: fault names, defaults, windows, targets and the plan queries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "faults/fault.h"
#include "faults/fault_fields.h"

#define SEC 1000000LL

static fault make(fault_kind kind, int64_t start_us, int64_t end_us, uint32_t ppm)
{
    fault f = fault_default(kind);
    f.start_us = start_us;
    f.end_us = end_us;
    f.ppm = ppm;
    return f;
}

static void add(fault_plan *plan, fault f)
{
    assert_true(fault_plan_add(plan, &f));
}

static void kind_names_round_trip(void **state)
{
    (void)state;
    for (unsigned i = 0; i < FAULT_KIND_COUNT; i++) {
        const char *name = fault_kind_name((fault_kind)i);
        assert_non_null(name);
        assert_string_not_equal(name, "unknown");
        fault_kind k = FAULT_KIND_COUNT;
        assert_int_equal(fault_kind_parse(name, &k), 0);
        assert_int_equal(k, i);
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(name, fault_kind_name((fault_kind)j));
    }
    assert_string_equal(fault_kind_name(FAULT_STORE_OUTAGE), "store_outage");
    assert_string_equal(fault_kind_name(FAULT_AMBIGUOUS_COMMIT), "ambiguous_commit");
    assert_string_equal(fault_kind_name(FAULT_PARTITION_MESSAGING), "partition_messaging");
    assert_string_equal(fault_kind_name(FAULT_KIND_COUNT), "unknown");
    assert_string_equal(fault_kind_name((fault_kind)-1), "unknown");

    fault_kind k = FAULT_CLOCK_JUMP;
    const char *bad[] = {"", "Store_outage", "store_outage ", "store", "unknown", "any"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(fault_kind_parse(bad[i], &k), -1);
        assert_int_equal(k, FAULT_CLOCK_JUMP); /* left alone */
    }
    assert_int_equal(fault_kind_parse(NULL, &k), -1);
}

static void op_names_round_trip(void **state)
{
    (void)state;
    for (unsigned i = 0; i < FAULT_OP_COUNT; i++) {
        const char *name = fault_op_name((fault_op)i);
        assert_string_not_equal(name, "unknown");
        fault_op op = FAULT_OP_COUNT;
        assert_int_equal(fault_op_parse(name, &op), 0);
        assert_int_equal(op, i);
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(name, fault_op_name((fault_op)j));
    }
    assert_string_equal(fault_op_name(FAULT_OP_ANY), "any");
    assert_string_equal(fault_op_name(FAULT_OP_SORTED_SET), "sorted_set");
    assert_string_equal(fault_op_name(FAULT_OP_COUNT), "unknown");
    fault_op op = FAULT_OP_GET;
    assert_int_equal(fault_op_parse("Update", &op), -1);
    assert_int_equal(fault_op_parse("", &op), -1);
    assert_int_equal(fault_op_parse(NULL, &op), -1);
    assert_int_equal(op, FAULT_OP_GET);
}

static void defaults_per_kind(void **state)
{
    (void)state;
    static const struct {
        fault_kind kind;
        int code;
        uint32_t ppm;
        int64_t amount;
    } want[] = {
        {FAULT_STORE_OUTAGE, 501, 1000000, 0},
        {FAULT_ERROR_RATE, 501, 100000, 0},
        {FAULT_AMBIGUOUS_COMMIT, 501, 100000, 0},
        {FAULT_LOST_RESPONSE, 0, 100000, 0},
        {FAULT_LATENCY_SPIKE, 0, 1000000, 2 * SEC},
        {FAULT_LATENCY_TAIL, 0, 10000, 5 * SEC},
        {FAULT_BUDGET_CUT, 0, 0, 0},
        {FAULT_NIL_READ, 0, 1000000, 0},
        {FAULT_MESSAGE_LOSS, 0, 100000, 0},
        {FAULT_MESSAGE_DELAY, 0, 0, 5 * SEC},
        {FAULT_MESSAGE_DUPLICATION, 0, 100000, 0},
        {FAULT_MESSAGE_REORDER, 0, 100000, 3 * SEC},
        {FAULT_SERVER_CRASH, 0, 0, 0},
        {FAULT_SERVER_FREEZE, 0, 0, 0},
        {FAULT_SERVER_SHUTDOWN, 0, 0, 0},
        {FAULT_CLOCK_SKEW, 0, 0, 120 * SEC},
        {FAULT_CLOCK_DRIFT, 0, 0, 1000},
        {FAULT_CLOCK_JUMP, 0, 0, 3600 * SEC},
        {FAULT_PARTITION_STORE, 0, 0, 0},
        {FAULT_PARTITION_MESSAGING, 0, 0, 0},
        {FAULT_RECEIPT_UNRECORDED, 0, 1000000, 0},
    };
    assert_int_equal(sizeof want / sizeof want[0], FAULT_KIND_COUNT);
    for (size_t i = 0; i < FAULT_KIND_COUNT; i++) {
        fault f = fault_default(want[i].kind);
        assert_int_equal(f.kind, want[i].kind);
        assert_int_equal(f.start_us, 0);
        assert_true(f.end_us == FAULT_FOREVER);
        assert_int_equal(f.server_mask, 0);
        assert_int_equal(f.op, FAULT_OP_ANY);
        assert_int_equal(f.code, want[i].code);
        assert_int_equal(f.ppm, want[i].ppm);
        assert_int_equal(f.amount, want[i].amount);
    }
}

/* A default never sets a field its kind does not read (faults/fault_fields.h): such a value
 * would be invisible in scenarios and in the swarm's YAML. */
static void defaults_set_only_fields_the_kind_reads(void **state)
{
    (void)state;
    for (unsigned i = 0; i < FAULT_KIND_COUNT; i++) {
        fault f = fault_default((fault_kind)i);
        const fault_fields *ff = fault_kind_fields((fault_kind)i);
        if (f.code)
            assert_true(ff->code);
        if (f.ppm)
            assert_true(ff->ppm);
        if (f.amount)
            assert_true(ff->amount != FAULT_AMOUNT_NONE);
    }
    /* a kind that reads a code starts with one the engine treats as transient */
    for (unsigned i = 0; i < FAULT_KIND_COUNT; i++)
        if (fault_kind_fields((fault_kind)i)->code)
            assert_int_equal(fault_default((fault_kind)i).code, 501);
}

static void window_is_start_inclusive_end_exclusive(void **state)
{
    (void)state;
    fault f = make(FAULT_ERROR_RATE, 10 * SEC, 20 * SEC, 100000);
    assert_false(fault_active(&f, 1, FAULT_OP_GET, 10 * SEC - 1));
    assert_true(fault_active(&f, 1, FAULT_OP_GET, 10 * SEC));
    assert_true(fault_active(&f, 1, FAULT_OP_GET, 20 * SEC - 1));
    assert_false(fault_active(&f, 1, FAULT_OP_GET, 20 * SEC));

    fault forever = make(FAULT_ERROR_RATE, -5, FAULT_FOREVER, 1);
    assert_false(fault_active(&forever, 1, FAULT_OP_GET, -6));
    assert_true(fault_active(&forever, 1, FAULT_OP_GET, -5));
    assert_true(fault_active(&forever, 1, FAULT_OP_GET, INT64_MAX - 1));

    fault empty = make(FAULT_ERROR_RATE, 7, 7, 1);
    fault backwards = make(FAULT_ERROR_RATE, 8, 7, 1);
    for (int64_t t = 5; t < 10; t++) {
        assert_false(fault_active(&empty, 1, FAULT_OP_GET, t));
        assert_false(fault_active(&backwards, 1, FAULT_OP_GET, t));
    }
}

static void server_mask_aims_at_ids(void **state)
{
    (void)state;
    fault all = make(FAULT_PARTITION_STORE, 0, FAULT_FOREVER, 0);
    const int ids[] = {-1, 0, 1, 2, 63, 64, 65, 1000};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_true(fault_active(&all, ids[i], FAULT_OP_ANY, 0));

    fault some = all;
    some.server_mask = (UINT64_C(1) << 0) | (UINT64_C(1) << 2) | (UINT64_C(1) << 63); /* 1, 3, 64 */
    assert_true(fault_active(&some, 1, FAULT_OP_ANY, 0));
    assert_false(fault_active(&some, 2, FAULT_OP_ANY, 0));
    assert_true(fault_active(&some, 3, FAULT_OP_ANY, 0));
    assert_false(fault_active(&some, 63, FAULT_OP_ANY, 0));
    assert_true(fault_active(&some, 64, FAULT_OP_ANY, 0));

    fault full = all;
    full.server_mask = UINT64_MAX;
    for (int id = 1; id <= 64; id++)
        assert_true(fault_active(&full, id, FAULT_OP_ANY, 0));
    /* ids outside 1..64 never match a mask, even a full one */
    assert_false(fault_active(&full, 0, FAULT_OP_ANY, 0));
    assert_false(fault_active(&full, 65, FAULT_OP_ANY, 0));
    assert_false(fault_active(&full, -1, FAULT_OP_ANY, 0));
    assert_false(fault_active(&full, 129, FAULT_OP_ANY, 0));
}

static void op_matching(void **state)
{
    (void)state;
    fault any = make(FAULT_ERROR_RATE, 0, FAULT_FOREVER, 1);
    fault set = any;
    set.op = FAULT_OP_SET;
    for (unsigned op = 0; op < FAULT_OP_COUNT; op++) {
        assert_true(fault_active(&any, 1, (fault_op)op, 0));
        assert_int_equal(fault_active(&set, 1, (fault_op)op, 0), op == FAULT_OP_SET);
    }
    /* a request "of any op" is matched only by faults aimed at any op */
    assert_true(fault_active(&any, 1, FAULT_OP_ANY, 0));
    assert_false(fault_active(&set, 1, FAULT_OP_ANY, 0));
}

static uint32_t ppm_of(const uint32_t *ppms, size_t n)
{
    fault_plan plan;
    fault_plan_init(&plan);
    for (size_t i = 0; i < n; i++)
        add(&plan, make(FAULT_ERROR_RATE, 0, FAULT_FOREVER, ppms[i]));
    uint32_t got = fault_plan_ppm(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 0, NULL);
    fault_plan_free(&plan);
    return got;
}

static void ppm_combines_independent_chances(void **state)
{
    (void)state;
    const uint32_t halves[] = {500000, 500000};
    assert_int_equal(ppm_of(halves, 2), 750000);
    const uint32_t tenths[] = {100000, 100000, 100000};
    assert_int_equal(ppm_of(tenths, 3), 271000);
    /* exact chance 697300.19...: rounded to nearest */
    const uint32_t mixed[] = {123457, 654321, 999};
    assert_int_equal(ppm_of(mixed, 3), 697300);
    /* 500000.5 exactly: halves round up (toward hitting) */
    const uint32_t half_up[] = {500000, 1};
    assert_int_equal(ppm_of(half_up, 2), 500001);
    /* 20.9998...: nearest, not truncated */
    const uint32_t sevens[] = {3, 3, 3, 3, 3, 3, 3};
    assert_int_equal(ppm_of(sevens, 7), 21);

    /* one fault gives exactly its own ppm */
    for (uint32_t p = 0; p <= FAULT_PPM; p += 999)
        assert_int_equal(ppm_of(&p, 1), p);
    const uint32_t one = 1, all = FAULT_PPM, over = 2000000;
    assert_int_equal(ppm_of(&one, 1), 1);
    assert_int_equal(ppm_of(&all, 1), FAULT_PPM);
    assert_int_equal(ppm_of(&over, 1), FAULT_PPM); /* clamped */
    const uint32_t overs[] = {1000001, 1500000, 2000000, 4000000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof overs / sizeof overs[0]; i++) {
        const uint32_t with_others[] = {0, overs[i], 500000};
        assert_int_equal(ppm_of(&overs[i], 1), FAULT_PPM);
        assert_int_equal(ppm_of(with_others, 3), FAULT_PPM);
    }
}

static void ppm_edge_cases(void **state)
{
    (void)state;
    assert_int_equal(ppm_of(NULL, 0), 0);
    const uint32_t zeros[] = {0, 0, 0, 0, 0};
    assert_int_equal(ppm_of(zeros, 5), 0);
    const uint32_t sure[] = {1, 1000000, 1, 0};
    assert_int_equal(ppm_of(sure, 4), FAULT_PPM);
    const uint32_t sure_last[] = {999999, 999999, 999999, 999999, 1000000};
    assert_int_equal(ppm_of(sure_last, 5), FAULT_PPM);
    /* near-certain but not certain: 1 - 10^-24 rounds to 1000000 and never beyond */
    const uint32_t nearly[] = {999999, 999999, 999999, 999999};
    assert_int_equal(ppm_of(nearly, 4), FAULT_PPM);
}

static void ppm_of_many_small_faults(void **state)
{
    (void)state;
    uint32_t *p = malloc(10000 * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < 10000; i++)
        p[i] = 1;
    /* exact: 999.5006661...: the sum (1000) would be wrong in general, the product is right */
    assert_int_equal(ppm_of(p, 1000), 1000);
    /* 1 - (1 - 10^-4)^10000 = 632138.95... ppm (computed with exact fractions) */
    for (size_t i = 0; i < 10000; i++)
        p[i] = 100;
    assert_int_equal(ppm_of(p, 10000), 632139);
    /* 1 - 0.75^40 = 999989.94... ppm */
    for (size_t i = 0; i < 40; i++)
        p[i] = 250000;
    assert_int_equal(ppm_of(p, 40), 999990);
    free(p);
}

static void ppm_counts_only_active_matching_faults(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    fault f = make(FAULT_ERROR_RATE, 0, 10 * SEC, 500000);
    add(&plan, f); /* counts */
    fault other_kind = make(FAULT_LOST_RESPONSE, 0, 10 * SEC, 500000);
    add(&plan, other_kind);
    fault later = make(FAULT_ERROR_RATE, 10 * SEC, 20 * SEC, 500000);
    add(&plan, later);
    fault other_server = f;
    other_server.server_mask = 1u << 1; /* server 2 */
    add(&plan, other_server);
    fault other_op = f;
    other_op.op = FAULT_OP_SET;
    add(&plan, other_op);
    int code = -1;
    assert_int_equal(fault_plan_ppm(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 5 * SEC, &code), 500000);
    assert_int_equal(code, 501);
    /* server 2, a set: three faults hit */
    assert_int_equal(fault_plan_ppm(&plan, FAULT_ERROR_RATE, 2, FAULT_OP_SET, 5 * SEC, NULL), 875000);
    /* after the first window: only `later` */
    assert_int_equal(fault_plan_ppm(&plan, FAULT_ERROR_RATE, 2, FAULT_OP_SET, 10 * SEC, NULL), 500000);
    assert_int_equal(fault_plan_ppm(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 20 * SEC, &code), 0);
    assert_int_equal(code, 0);
    fault_plan_free(&plan);
}

static void code_out_is_first_active_in_plan_order(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    fault a = make(FAULT_ERROR_RATE, 10 * SEC, 20 * SEC, 100000);
    a.code = 502;
    fault b = make(FAULT_ERROR_RATE, 0, 30 * SEC, 0); /* a chance of 0 still names the code */
    b.code = 503;
    fault c = make(FAULT_ERROR_RATE, 0, 30 * SEC, 100000);
    c.code = 504;
    add(&plan, a);
    add(&plan, b);
    add(&plan, c);
    int code = 0;
    fault_plan_ppm(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 15 * SEC, &code);
    assert_int_equal(code, 502);
    fault_plan_ppm(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 25 * SEC, &code);
    assert_int_equal(code, 503);
    assert_ptr_equal(fault_plan_find(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 15 * SEC), &plan.items[0]);
    assert_ptr_equal(fault_plan_find(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 5 * SEC), &plan.items[1]);
    assert_null(fault_plan_find(&plan, FAULT_ERROR_RATE, 1, FAULT_OP_GET, 30 * SEC));
    assert_null(fault_plan_find(&plan, FAULT_STORE_OUTAGE, 1, FAULT_OP_GET, 15 * SEC));
    fault_plan_free(&plan);
}

static void amount_sums_and_saturates(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    fault s1 = make(FAULT_CLOCK_SKEW, 0, 100 * SEC, 0);
    s1.amount = 30 * SEC;
    fault s2 = make(FAULT_CLOCK_SKEW, 50 * SEC, 200 * SEC, 0);
    s2.amount = -45 * SEC;
    fault other = make(FAULT_CLOCK_DRIFT, 0, FAULT_FOREVER, 0);
    other.amount = 999;
    add(&plan, s1);
    add(&plan, s2);
    add(&plan, other);
    assert_int_equal(fault_plan_amount(&plan, FAULT_CLOCK_SKEW, 1, FAULT_OP_ANY, 10 * SEC), 30 * SEC);
    assert_int_equal(fault_plan_amount(&plan, FAULT_CLOCK_SKEW, 1, FAULT_OP_ANY, 60 * SEC), -15 * SEC);
    assert_int_equal(fault_plan_amount(&plan, FAULT_CLOCK_SKEW, 1, FAULT_OP_ANY, 150 * SEC), -45 * SEC);
    assert_int_equal(fault_plan_amount(&plan, FAULT_CLOCK_SKEW, 1, FAULT_OP_ANY, 200 * SEC), 0);
    assert_int_equal(fault_plan_amount(&plan, FAULT_CLOCK_DRIFT, 7, FAULT_OP_ANY, 0), 999);
    fault_plan_free(&plan);

    /* saturation both ways, and the exact sum decides: MAX + 1 - 1 is MAX, not MAX - 1 */
    fault big = make(FAULT_LATENCY_SPIKE, 0, FAULT_FOREVER, 0);
    fault_plan_init(&plan);
    big.amount = INT64_MAX;
    add(&plan, big);
    big.amount = 1;
    add(&plan, big);
    assert_true(fault_plan_amount(&plan, FAULT_LATENCY_SPIKE, 1, FAULT_OP_GET, 0) == INT64_MAX);
    big.amount = -1;
    add(&plan, big);
    assert_true(fault_plan_amount(&plan, FAULT_LATENCY_SPIKE, 1, FAULT_OP_GET, 0) == INT64_MAX);
    big.amount = -2;
    add(&plan, big);
    assert_true(fault_plan_amount(&plan, FAULT_LATENCY_SPIKE, 1, FAULT_OP_GET, 0) == INT64_MAX - 2);
    fault_plan_free(&plan);

    fault_plan_init(&plan);
    big.amount = INT64_MIN;
    add(&plan, big);
    add(&plan, big);
    assert_true(fault_plan_amount(&plan, FAULT_LATENCY_SPIKE, 1, FAULT_OP_GET, 0) == INT64_MIN);
    big.amount = INT64_MAX;
    add(&plan, big);
    add(&plan, big);
    assert_true(fault_plan_amount(&plan, FAULT_LATENCY_SPIKE, 1, FAULT_OP_GET, 0) == -2);
    fault_plan_free(&plan);
}

static void edges_are_sorted_and_distinct(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    int64_t *t = (int64_t *)&plan; /* anything but NULL, to see it reset */
    size_t n = 99;
    assert_true(fault_plan_edges(&plan, &t, &n));
    assert_null(t);
    assert_int_equal(n, 0);

    add(&plan, make(FAULT_SERVER_CRASH, 30 * SEC, 60 * SEC, 0));
    add(&plan, make(FAULT_CLOCK_JUMP, 10 * SEC, FAULT_FOREVER, 0));
    add(&plan, make(FAULT_SERVER_FREEZE, 10 * SEC, 30 * SEC, 0));
    add(&plan, make(FAULT_ERROR_RATE, -5 * SEC, 60 * SEC, 0));
    add(&plan, make(FAULT_ERROR_RATE, 45 * SEC, 45 * SEC, 0)); /* empty: no edges */
    add(&plan, make(FAULT_ERROR_RATE, 50 * SEC, 40 * SEC, 0)); /* backwards: none either */
    assert_true(fault_plan_edges(&plan, &t, &n));
    const int64_t want[] = {-5 * SEC, 10 * SEC, 30 * SEC, 60 * SEC};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        assert_true(t[i] == want[i]);
    free(t);
    fault_plan_free(&plan);

    /* only forever-faults starting together: one instant */
    fault_plan_init(&plan);
    add(&plan, make(FAULT_CLOCK_SKEW, 0, FAULT_FOREVER, 0));
    add(&plan, make(FAULT_CLOCK_DRIFT, 0, FAULT_FOREVER, 0));
    assert_true(fault_plan_edges(&plan, &t, &n));
    assert_int_equal(n, 1);
    assert_true(t[0] == 0);
    free(t);
    fault_plan_free(&plan);

    /* many overlapping faults: strictly increasing output */
    fault_plan_init(&plan);
    for (int i = 0; i < 500; i++)
        add(&plan, make(FAULT_ERROR_RATE, (i * 37) % 101, 200 + (i * 53) % 97, 0));
    assert_true(fault_plan_edges(&plan, &t, &n));
    assert_int_equal(n, 101 + 97);
    for (size_t i = 1; i < n; i++)
        assert_true(t[i - 1] < t[i]);
    free(t);
    fault_plan_free(&plan);
}

static void plan_grows_and_copies(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    assert_int_equal(plan.count, 0);
    for (int i = 0; i < 1000; i++) {
        fault f = make((fault_kind)(i % FAULT_KIND_COUNT), i, i + 1, (uint32_t)i);
        assert_true(fault_plan_add(&plan, &f));
        f.ppm = 77; /* the plan keeps its own copy */
        assert_int_equal(plan.items[i].ppm, i);
    }
    assert_int_equal(plan.count, 1000);
    assert_true(plan.cap >= 1000);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(plan.items[i].kind, i % FAULT_KIND_COUNT);
        assert_int_equal(plan.items[i].start_us, i);
        assert_int_equal(plan.items[i].end_us, i + 1);
    }
    fault_plan_free(&plan);
    assert_null(plan.items);
    assert_int_equal(plan.count, 0);
    assert_int_equal(plan.cap, 0);
    fault_plan_free(&plan); /* twice is fine */
    fault f = fault_default(FAULT_NIL_READ);
    assert_true(fault_plan_add(&plan, &f)); /* and reusable */
    assert_int_equal(plan.count, 1);
    fault_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kind_names_round_trip),
        cmocka_unit_test(op_names_round_trip),
        cmocka_unit_test(defaults_per_kind),
        cmocka_unit_test(defaults_set_only_fields_the_kind_reads),
        cmocka_unit_test(window_is_start_inclusive_end_exclusive),
        cmocka_unit_test(server_mask_aims_at_ids),
        cmocka_unit_test(op_matching),
        cmocka_unit_test(ppm_combines_independent_chances),
        cmocka_unit_test(ppm_edge_cases),
        cmocka_unit_test(ppm_of_many_small_faults),
        cmocka_unit_test(ppm_counts_only_active_matching_faults),
        cmocka_unit_test(code_out_is_first_active_in_plan_order),
        cmocka_unit_test(amount_sums_and_saturates),
        cmocka_unit_test(edges_are_sorted_and_distinct),
        cmocka_unit_test(plan_grows_and_copies),
    };
    return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
