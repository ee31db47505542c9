/* test_evq.c: the event queue runs events by (time, sequence), cancels safely, and agrees
 * with a simple reference model over many random operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sim/evq.h"
#include "sim/rng.h"

static void noop(void *arg) { (void)arg; }

static void pops_in_time_order_and_ties_by_push_order(void **state)
{
    evq q;
    evq_init(&q);
    int tags[6] = {0, 1, 2, 3, 4, 5};
    evq_push(&q, 30, "c", noop, NULL, &tags[0]);
    evq_push(&q, 10, "a", noop, NULL, &tags[1]);
    evq_push(&q, 20, "b", noop, NULL, &tags[2]);
    evq_push(&q, 10, "a2", noop, NULL, &tags[3]);
    evq_push(&q, 10, "a3", noop, NULL, &tags[4]);
    evq_push(&q, 0, "z", noop, NULL, &tags[5]);
    int order[6];
    evq_event ev;
    for (int i = 0; i < 6; i++) {
        assert_true(evq_pop(&q, &ev));
        order[i] = *(int *)ev.arg;
    }
    int want[6] = {5, 1, 3, 4, 2, 0};
    assert_memory_equal(order, want, sizeof want);
    assert_false(evq_pop(&q, &ev));
    assert_int_equal(evq_peek_time(&q), INT64_MAX);
    evq_free(&q);
}

static void cancel_removes_once_and_never_touches_reused_slots(void **state)
{
    evq q;
    evq_init(&q);
    int a = 1, b = 2;
    evq_id ida = evq_push(&q, 5, "a", noop, NULL, &a);
    evq_id idb = evq_push(&q, 6, "b", noop, NULL, &b);
    void *arg = NULL;
    assert_true(evq_cancel(&q, ida, &arg));
    assert_ptr_equal(arg, &a);
    assert_false(evq_cancel(&q, ida, NULL)); /* already cancelled */
    /* The freed slot is reused; the old id must not cancel the new event. */
    int c = 3;
    evq_id idc = evq_push(&q, 7, "c", noop, NULL, &c);
    assert_true(idc != ida);
    assert_false(evq_cancel(&q, ida, NULL));
    assert_int_equal(evq_len(&q), 2);
    evq_event ev;
    assert_true(evq_pop(&q, &ev));
    assert_ptr_equal(ev.arg, &b);
    assert_false(evq_cancel(&q, idb, NULL)); /* already ran */
    assert_false(evq_cancel(&q, 0, NULL));
    assert_false(evq_cancel(&q, 12345, NULL));
    evq_free(&q);
}

/* Reference: an unsorted array, searched linearly for the minimum (time, seq). */
typedef struct ref_event {
    int64_t time;
    uint64_t seq;
    evq_id id;
    bool live;
} ref_event;

static void agrees_with_reference_over_random_operations(void **state)
{
    enum { OPS = 20000 };
    evq q;
    evq_init(&q);
    rng r;
    rng_seed(&r, 99, "evq-test");
    ref_event *ref = calloc(OPS, sizeof *ref);
    size_t nref = 0;
    uint64_t seq = 0;
    for (int op = 0; op < OPS; op++) {
        uint64_t what = rng_below(&r, 10);
        if (what < 5) {
            int64_t t = (int64_t)rng_below(&r, 50); /* many ties */
            evq_id id = evq_push(&q, t, "x", noop, NULL, NULL);
            assert_true(id != 0);
            ref[nref++] = (ref_event){t, ++seq, id, true};
        } else if (what < 7 && nref > 0) {
            size_t k = rng_below(&r, nref);
            bool was_live = ref[k].live;
            assert_int_equal(evq_cancel(&q, ref[k].id, NULL), was_live);
            ref[k].live = false;
        } else {
            ssize_t best = -1;
            for (size_t k = 0; k < nref; k++) {
                if (!ref[k].live)
                    continue;
                if (best < 0 || ref[k].time < ref[best].time ||
                    (ref[k].time == ref[best].time && ref[k].seq < ref[best].seq))
                    best = (ssize_t)k;
            }
            evq_event ev;
            if (best < 0) {
                assert_false(evq_pop(&q, &ev));
                continue;
            }
            assert_true(evq_pop(&q, &ev));
            assert_int_equal(ev.time_us, ref[best].time);
            assert_int_equal(ev.seq, ref[best].seq);
            ref[best].live = false;
        }
        size_t live = 0;
        for (size_t k = 0; k < nref; k++)
            live += ref[k].live;
        assert_int_equal(evq_len(&q), live);
    }
    free(ref);
    evq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_time_order_and_ties_by_push_order),
        cmocka_unit_test(cancel_removes_once_and_never_touches_reused_slots),
        cmocka_unit_test(agrees_with_reference_over_random_operations),
    };
    return cmocka_run_group_tests_name("evq", tests, NULL, NULL);
}
