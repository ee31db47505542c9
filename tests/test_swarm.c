/* test_swarm.c: swarm plans are reproducible, stay inside their bounds, vary across seeds,
 * and print as stable YAML. The source is splitmix64, fixed here so the pinned texts do not
 * depend on any other module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "faults/fault.h"
#include "faults/fault_fields.h"
#include "faults/swarm.h"
#include "tests/support/splitmix.h"

#define MS 1000LL
#define SEC 1000000LL

static void draw(const swarm_config *cfg, uint64_t seed, fault_plan *plan)
{
    assert_true(swarm_draw(cfg, splitmix64, &seed, plan));
}

static char *describe(const fault_plan *plan)
{
    size_t n = swarm_describe(plan, NULL, 0);
    char *s = malloc(n + 1);
    assert_non_null(s);
    assert_int_equal(swarm_describe(plan, s, n + 1), n);
    assert_int_equal(strlen(s), n);
    return s;
}

static bool same_fault(const fault *a, const fault *b)
{
    return a->kind == b->kind && a->start_us == b->start_us && a->end_us == b->end_us &&
           a->server_mask == b->server_mask && a->op == b->op && a->code == b->code &&
           a->ppm == b->ppm && a->amount == b->amount;
}

static bool is_down(fault_kind k)
{
    return k == FAULT_SERVER_CRASH || k == FAULT_SERVER_FREEZE || k == FAULT_SERVER_SHUTDOWN;
}

static int bits(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* Every promise swarm.h makes about a drawn plan. */
static void check_plan(const swarm_config *cfg, const fault_plan *plan)
{
    assert_true(plan->count <= cfg->max_faults);
    unsigned per_kind[FAULT_KIND_COUNT] = {0};
    int64_t outage = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const fault *f = &plan->items[i];
        const swarm_bounds *b = &cfg->kinds[f->kind];
        const fault_fields *ff = fault_kind_fields(f->kind);
        fault d = fault_default(f->kind);
        assert_true((unsigned)f->kind < FAULT_KIND_COUNT);
        assert_true(cfg->allowed & SWARM_KIND_BIT(f->kind));
        per_kind[f->kind]++;
        /* inside the run, inside the length bounds */
        assert_true(f->start_us >= 0);
        assert_true(f->start_us < cfg->duration_us);
        assert_true(f->end_us <= cfg->duration_us);
        assert_true(f->end_us - f->start_us >= b->min_length_us);
        assert_true(f->end_us - f->start_us <= b->max_length_us);
        if (i > 0)
            assert_true(plan->items[i - 1].start_us <= f->start_us);
        /* targets */
        assert_int_equal(f->server_mask & ~cfg->server_ids, 0);
        if (!ff->servers)
            assert_int_equal(f->server_mask, 0);
        else if (is_down(f->kind))
            assert_int_equal(bits(f->server_mask), 1);
        else
            assert_true(f->server_mask != cfg->server_ids); /* every server is written 0 */
        /* fields: in bounds when read, the default otherwise */
        if (ff->op)
            assert_true(b->ops & SWARM_OP_BIT(f->op));
        else
            assert_int_equal(f->op, FAULT_OP_ANY);
        if (ff->code) {
            bool known = false;
            for (size_t c = 0; c < cfg->code_count; c++)
                known |= cfg->codes[c] == f->code;
            assert_true(known);
        } else {
            assert_int_equal(f->code, d.code);
        }
        if (ff->ppm)
            assert_in_range(f->ppm, b->min_ppm, b->max_ppm);
        else
            assert_int_equal(f->ppm, d.ppm);
        if (ff->amount != FAULT_AMOUNT_NONE) {
            int64_t mag = f->amount < 0 ? -f->amount : f->amount;
            assert_true(mag >= b->min_amount && mag <= b->max_amount);
            if (!b->signed_amount)
                assert_true(f->amount >= 0);
        } else {
            assert_true(f->amount == d.amount);
        }
        if (f->kind == FAULT_STORE_OUTAGE || f->kind == FAULT_PARTITION_STORE)
            outage += f->end_us - f->start_us;
    }
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++)
        assert_true(per_kind[k] <= cfg->kinds[k].max_count);
    assert_true(outage <= cfg->max_outage_us);
    /* servers down: never the same server twice at once, never more than the bound */
    for (size_t i = 0; i < plan->count; i++) {
        const fault *a = &plan->items[i];
        if (!is_down(a->kind))
            continue;
        uint32_t down = 0;
        for (size_t j = 0; j < plan->count; j++) {
            const fault *b = &plan->items[j];
            if (!is_down(b->kind) || !(b->start_us <= a->start_us && a->start_us < b->end_us))
                continue;
            down++;
            if (j != i)
                assert_int_equal(a->server_mask & b->server_mask, 0);
        }
        assert_true(down <= cfg->max_servers_down);
    }
}

static void default_config_is_valid(void **state)
{
    (void)state;
    char why[200];
    const int servers[] = {-3, 0, 1, 2, 5, 63, 64, 100};
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        swarm_config c = swarm_config_default(5 * 60 * SEC, servers[i]);
        assert_true(swarm_config_check(&c, why, sizeof why));
        assert_string_equal(why, "");
        int want = servers[i] < 1 ? 1 : servers[i] > 64 ? 64 : servers[i];
        assert_int_equal(bits(c.server_ids), want);
        assert_true(c.server_ids & 1u);
        assert_int_equal(c.allowed, SWARM_ALL_KINDS);
    }
    swarm_config c = swarm_config_default(60 * SEC, 3);
    assert_int_equal(c.max_servers_down, 1);
    assert_true(c.kinds[FAULT_ERROR_RATE].max_ppm <= 200000);
    assert_true(c.kinds[FAULT_STORE_OUTAGE].max_length_us <= 30 * SEC);
    assert_true(c.kinds[FAULT_CLOCK_SKEW].max_amount <= 120 * SEC);
    assert_true(c.max_faults <= 6);
}

static void bad_configs_are_refused(void **state)
{
    (void)state;
    char why[200];
    swarm_config base = swarm_config_default(60 * SEC, 3);
    swarm_config c = base;
    c.duration_us = 0;
    assert_false(swarm_config_check(&c, why, sizeof why));
    assert_string_equal(why, "the duration must be at least 1 us");
    c = base;
    c.server_ids = 0;
    assert_false(swarm_config_check(&c, why, sizeof why));
    c = base;
    c.code_count = 0;
    assert_false(swarm_config_check(&c, why, sizeof why));
    c = base;
    c.kind_on_ppm = FAULT_PPM + 1;
    assert_false(swarm_config_check(&c, why, sizeof why));
    c = base;
    c.kinds[FAULT_ERROR_RATE].min_ppm = 300000;
    assert_false(swarm_config_check(&c, why, sizeof why));
    assert_string_equal(why, "error_rate: min_ppm is above max_ppm");
    c = base;
    c.kinds[FAULT_MESSAGE_LOSS].max_ppm = FAULT_PPM + 1;
    assert_false(swarm_config_check(&c, why, sizeof why));
    c = base;
    c.kinds[FAULT_CLOCK_SKEW].min_amount = -1;
    assert_false(swarm_config_check(&c, why, sizeof why));
    assert_string_equal(why, "clock_skew: min_amount is negative (it bounds a magnitude)");
    c = base;
    c.kinds[FAULT_SERVER_CRASH].min_length_us = 0;
    assert_false(swarm_config_check(&c, why, sizeof why));
    c = base;
    c.kinds[FAULT_LOST_RESPONSE].ops = 0;
    assert_false(swarm_config_check(&c, why, sizeof why));
    assert_false(swarm_config_check(&c, NULL, 0)); /* no room for a reason is fine */
    /* a forbidden kind's bounds are not looked at */
    c.allowed &= ~SWARM_KIND_BIT(FAULT_LOST_RESPONSE);
    assert_true(swarm_config_check(&c, why, sizeof why));

    /* swarm_draw refuses too, and leaves the plan empty */
    fault_plan plan;
    fault_plan_init(&plan);
    fault f = fault_default(FAULT_NIL_READ);
    assert_true(fault_plan_add(&plan, &f));
    c = base;
    c.grain_us = 0;
    uint64_t seed = 1;
    assert_false(swarm_draw(&c, splitmix64, &seed, &plan));
    assert_int_equal(plan.count, 0);
    fault_plan_free(&plan);
}

static void same_source_same_plan(void **state)
{
    (void)state;
    swarm_config cfg = swarm_config_default(10 * 60 * SEC, 4);
    fault_plan a, b;
    fault_plan_init(&a);
    fault_plan_init(&b);
    int differ = 0;
    char *prev = NULL;
    for (uint64_t seed = 0; seed < 200; seed++) {
        draw(&cfg, seed, &a);
        draw(&cfg, seed, &b);
        assert_int_equal(a.count, b.count);
        for (size_t i = 0; i < a.count; i++)
            assert_true(same_fault(&a.items[i], &b.items[i]));
        char *ta = describe(&a), *tb = describe(&b);
        assert_string_equal(ta, tb);
        if (prev && strcmp(prev, ta) != 0)
            differ++;
        free(prev);
        free(tb);
        prev = ta;
    }
    free(prev);
    assert_true(differ >= 190); /* and different seeds give different plans */
    /* a plan is refilled, not appended to */
    uint64_t seed = 5;
    draw(&cfg, seed, &a);
    size_t n = a.count;
    draw(&cfg, seed, &a);
    assert_int_equal(a.count, n);
    fault_plan_free(&a);
    fault_plan_free(&b);
}

static void draws_stay_inside_bounds(void **state)
{
    (void)state;
    const int64_t durations[] = {1, 500 * MS, 1 * SEC, 10 * SEC, 90 * SEC, 5 * 60 * SEC, 3600 * SEC};
    const int servers[] = {1, 2, 3, 8, 64};
    fault_plan plan;
    fault_plan_init(&plan);
    size_t faults = 0;
    uint64_t src = 0xdecafbad;
    for (int i = 0; i < 10000; i++) {
        swarm_config cfg = swarm_config_default(durations[i % 7], servers[i % 5]);
        /* a denser config so the plan-wide limits bind; and tight bounds with an odd grain,
         * where few multiples (or none) of the grain fit, so the grain must give way */
        if (i % 4 == 3) {
            cfg.kind_on_ppm = 700000;
            cfg.grain_us = 7;
            for (unsigned k = 0; k < FAULT_KIND_COUNT; k++) {
                swarm_bounds *b = &cfg.kinds[k];
                b->min_length_us = 1000 + k;
                b->max_length_us = b->min_length_us + (k % 3) * 5;
                b->min_amount = 3 + k % 5;
                b->max_amount = b->min_amount + (k % 2) * 6;
                b->min_ppm = b->max_ppm = 1000u * k;
            }
        } else if (i % 2) {
            cfg.kind_on_ppm = 800000;
            cfg.max_faults = 20;
            cfg.max_servers_down = 2;
            cfg.grain_us = 7; /* no bound is a multiple of 7: the grain must give way */
        }
        assert_true(swarm_draw(&cfg, splitmix64, &src, &plan));
        check_plan(&cfg, &plan);
        faults += plan.count;
    }
    assert_true(faults > 20000); /* the checks saw real plans */
    fault_plan_free(&plan);
}

static void grain_makes_round_times(void **state)
{
    (void)state;
    swarm_config cfg = swarm_config_default(10 * 60 * SEC, 3);
    fault_plan plan;
    fault_plan_init(&plan);
    for (uint64_t seed = 0; seed < 300; seed++) {
        draw(&cfg, seed, &plan);
        for (size_t i = 0; i < plan.count; i++) {
            const fault *f = &plan.items[i];
            assert_int_equal(f->start_us % MS, 0);
            assert_int_equal(f->end_us % MS, 0);
            if (fault_kind_fields(f->kind)->amount == FAULT_AMOUNT_DURATION)
                assert_int_equal(f->amount % MS, 0);
        }
    }
    fault_plan_free(&plan);
}

static void short_runs_and_zero_limits(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    /* shorter than every kind's shortest fault: nothing fits */
    swarm_config tiny = swarm_config_default(999 * MS, 2);
    for (uint64_t seed = 0; seed < 200; seed++) {
        draw(&tiny, seed, &plan);
        assert_int_equal(plan.count, 0);
    }
    swarm_config cfg = swarm_config_default(10 * 60 * SEC, 4);
    cfg.kind_on_ppm = FAULT_PPM;
    cfg.max_servers_down = 0;
    cfg.max_outage_us = 0;
    size_t total = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        draw(&cfg, seed, &plan);
        total += plan.count;
        for (size_t i = 0; i < plan.count; i++) {
            fault_kind k = plan.items[i].kind;
            assert_false(is_down(k));
            assert_true(k != FAULT_STORE_OUTAGE && k != FAULT_PARTITION_STORE);
        }
    }
    assert_true(total > 0);
    cfg.kind_on_ppm = 0;
    draw(&cfg, 1, &plan);
    assert_int_equal(plan.count, 0);
    cfg.kind_on_ppm = FAULT_PPM;
    cfg.max_faults = 0;
    draw(&cfg, 1, &plan);
    assert_int_equal(plan.count, 0);
    fault_plan_free(&plan);
}

static void disallowed_kinds_never_appear(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    uint64_t pick = 99;
    unsigned seen = 0;
    for (uint64_t seed = 0; seed < 2000; seed++) {
        swarm_config cfg = swarm_config_default(5 * 60 * SEC, 3);
        cfg.allowed = (uint32_t)splitmix64(&pick) & SWARM_ALL_KINDS;
        cfg.kind_on_ppm = 600000;
        draw(&cfg, seed, &plan);
        for (size_t i = 0; i < plan.count; i++) {
            assert_true(cfg.allowed & SWARM_KIND_BIT(plan.items[i].kind));
            seen |= SWARM_KIND_BIT(plan.items[i].kind);
        }
    }
    assert_int_equal(seen, SWARM_ALL_KINDS);
    /* nothing allowed: nothing drawn */
    swarm_config none = swarm_config_default(5 * 60 * SEC, 3);
    none.allowed = 0;
    draw(&none, 7, &plan);
    assert_int_equal(plan.count, 0);
    /* max_count 0 is the same as not allowed */
    swarm_config only = swarm_config_default(5 * 60 * SEC, 3);
    only.kind_on_ppm = FAULT_PPM;
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++)
        if (k != FAULT_MESSAGE_LOSS)
            only.kinds[k].max_count = 0;
    for (uint64_t seed = 0; seed < 50; seed++) {
        draw(&only, seed, &plan);
        assert_true(plan.count >= 1);
        for (size_t i = 0; i < plan.count; i++)
            assert_int_equal(plan.items[i].kind, FAULT_MESSAGE_LOSS);
    }
    fault_plan_free(&plan);
}

/* Swarm testing wants mixes that differ: every kind is in some plans and missing from others,
 * and few seeds share the same set of kinds. */
static void mixes_differ_across_seeds(void **state)
{
    (void)state;
    swarm_config cfg = swarm_config_default(5 * 60 * SEC, 4);
    cfg.allowed &= ~SWARM_KIND_BIT(FAULT_CLOCK_JUMP);
    fault_plan plan;
    fault_plan_init(&plan);
    unsigned with[FAULT_KIND_COUNT] = {0};
    uint32_t *mix = calloc(1000, sizeof *mix);
    assert_non_null(mix);
    for (uint64_t seed = 0; seed < 1000; seed++) {
        draw(&cfg, seed, &plan);
        for (size_t i = 0; i < plan.count; i++)
            mix[seed] |= SWARM_KIND_BIT(plan.items[i].kind);
        for (unsigned k = 0; k < FAULT_KIND_COUNT; k++)
            with[k] += (mix[seed] & SWARM_KIND_BIT(k)) != 0;
    }
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++) {
        if (k == FAULT_CLOCK_JUMP) {
            assert_int_equal(with[k], 0);
            continue;
        }
        assert_true(with[k] > 0);
        assert_true(with[k] < 1000);
    }
    int distinct = 0;
    for (int i = 0; i < 1000; i++) {
        bool fresh = true;
        for (int j = 0; j < i && fresh; j++)
            fresh = mix[j] != mix[i];
        distinct += fresh;
    }
    assert_true(distinct > 500);
    free(mix);
    fault_plan_free(&plan);
}

static void describe_writes_only_fields_that_matter(void **state)
{
    (void)state;
    fault_plan plan;
    fault_plan_init(&plan);
    fault f = fault_default(FAULT_ERROR_RATE);
    f.start_us = 12500 * MS;
    f.end_us = 40 * SEC;
    f.server_mask = 0x5; /* 1, 3 */
    f.op = FAULT_OP_UPDATE;
    f.code = 502;
    f.ppm = 150000;
    f.amount = 7; /* not read by error_rate: not written */
    assert_true(fault_plan_add(&plan, &f));
    f = fault_default(FAULT_CLOCK_SKEW);
    f.amount = -30 * SEC;
    f.ppm = 5; /* not read */
    assert_true(fault_plan_add(&plan, &f));
    f = fault_default(FAULT_CLOCK_DRIFT);
    f.start_us = 1;
    f.end_us = 2 * SEC + 250 * MS;
    f.amount = -250;
    assert_true(fault_plan_add(&plan, &f));
    f = fault_default(FAULT_SERVER_CRASH);
    f.start_us = 3600 * SEC;
    f.end_us = 3601 * SEC + 10;
    f.server_mask = UINT64_C(1) << 63;
    f.code = 9; /* not read */
    assert_true(fault_plan_add(&plan, &f));
    f = fault_default(FAULT_LATENCY_SPIKE);
    f.start_us = 100 * MS;
    f.end_us = 100 * MS + 1;
    f.amount = 1;
    assert_true(fault_plan_add(&plan, &f));
    f = fault_default(FAULT_BUDGET_CUT);
    assert_true(fault_plan_add(&plan, &f));
    f = fault_default(FAULT_PARTITION_MESSAGING);
    f.server_mask = 0x6;
    f.op = FAULT_OP_GET; /* not read */
    assert_true(fault_plan_add(&plan, &f));

    char *text = describe(&plan);
    assert_string_equal(
        text,
        "faults:\n"
        "  - {kind: error_rate, start: 12.5s, end: 40s, servers: [1, 3], op: update, code: 502, ppm: 150000}\n"
        "  - {kind: clock_skew, start: 0s, amount: -30s}\n"
        "  - {kind: clock_drift, start: 0.000001s, end: 2.25s, amount: -250}\n"
        "  - {kind: server_crash, start: 3600s, end: 3601.00001s, servers: [64]}\n"
        "  - {kind: latency_spike, start: 0.1s, end: 0.100001s, op: any, ppm: 1000000, amount: 0.000001s}\n"
        "  - {kind: budget_cut, start: 0s, amount: 0}\n"
        "  - {kind: partition_messaging, start: 0s, servers: [2, 3]}\n");
    free(text);

    char one[128];
    size_t n = swarm_describe_fault(&plan.items[1], one, sizeof one);
    assert_string_equal(one, "{kind: clock_skew, start: 0s, amount: -30s}");
    assert_int_equal(n, strlen(one));

    /* truncation: like snprintf */
    char small[16];
    memset(small, 'x', sizeof small);
    size_t whole = swarm_describe(&plan, small, sizeof small);
    assert_true(whole > sizeof small);
    assert_string_equal(small, "faults:\n  - {ki");
    assert_int_equal(swarm_describe(&plan, small, 0), whole);
    assert_int_equal(small[0], 'f'); /* size 0 writes nothing */

    fault_plan_free(&plan);
    char empty[32];
    assert_int_equal(swarm_describe(&plan, empty, sizeof empty), strlen("faults: []\n"));
    assert_string_equal(empty, "faults: []\n");
}

/* For every kind, the text has exactly the keys faults/fault_fields.h says the kind reads,
 * which is what the scenario loader accepts. */
static void describe_follows_fault_fields(void **state)
{
    (void)state;
    for (unsigned k = 0; k < FAULT_KIND_COUNT; k++) {
        const fault_fields *ff = fault_kind_fields((fault_kind)k);
        fault f = fault_default((fault_kind)k);
        f.start_us = 1 * SEC;
        f.end_us = 2 * SEC;
        f.server_mask = 1;
        f.op = FAULT_OP_LIST;
        f.code = 777;
        f.ppm = 4242;
        f.amount = 1234567;
        char want[256], line[256];
        snprintf(want, sizeof want, "{kind: %s, start: 1s, end: 2s%s%s%s%s%s}",
                 fault_kind_name((fault_kind)k), ff->servers ? ", servers: [1]" : "",
                 ff->op ? ", op: list" : "", ff->code ? ", code: 777" : "",
                 ff->ppm ? ", ppm: 4242" : "",
                 ff->amount == FAULT_AMOUNT_DURATION ? ", amount: 1.234567s"
                 : ff->amount == FAULT_AMOUNT_PPM    ? ", amount: 1234567"
                                                     : "");
        swarm_describe_fault(&f, line, sizeof line);
        assert_string_equal(line, want);
    }
}

/* One seed's plan, pinned: if the draw changes, every recorded swarm seed changes meaning, so
 * this should change only on purpose. A new fault kind changes it (a word is drawn for every
 * kind, allowed or not, and the shuffle covers every kind); last changed by receipt_unrecorded. */
static void drawn_plan_text_is_pinned(void **state)
{
    (void)state;
    swarm_config cfg = swarm_config_default(2 * 60 * SEC, 3);
    cfg.allowed = SWARM_KIND_BIT(FAULT_ERROR_RATE) | SWARM_KIND_BIT(FAULT_CLOCK_SKEW) |
                  SWARM_KIND_BIT(FAULT_SERVER_CRASH) | SWARM_KIND_BIT(FAULT_MESSAGE_REORDER);
    cfg.kind_on_ppm = FAULT_PPM;
    fault_plan plan;
    fault_plan_init(&plan);
    draw(&cfg, 42, &plan);
    char *text = describe(&plan);
    assert_string_equal(
        text,
        "faults:\n"
        "  - {kind: clock_skew, start: 9.293s, end: 33.644s, servers: [2, 3], amount: 44.812s}\n"
        "  - {kind: error_rate, start: 29.802s, end: 117.002s, servers: [1], op: any, code: 504, ppm: 197480}\n"
        "  - {kind: server_crash, start: 32.494s, end: 79.206s, servers: [3]}\n"
        "  - {kind: message_reorder, start: 36.817s, end: 43.855s, servers: [1, 3], ppm: 115633, amount: 4.439s}\n");
    free(text);
    fault_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_config_is_valid),
        cmocka_unit_test(bad_configs_are_refused),
        cmocka_unit_test(same_source_same_plan),
        cmocka_unit_test(draws_stay_inside_bounds),
        cmocka_unit_test(grain_makes_round_times),
        cmocka_unit_test(short_runs_and_zero_limits),
        cmocka_unit_test(disallowed_kinds_never_appear),
        cmocka_unit_test(mixes_differ_across_seeds),
        cmocka_unit_test(describe_writes_only_fields_that_matter),
        cmocka_unit_test(describe_follows_fault_fields),
        cmocka_unit_test(drawn_plan_text_is_pinned),
    };
    return cmocka_run_group_tests_name("swarm", tests, NULL, NULL);
}
