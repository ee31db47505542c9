/* evq.c: binary heap of slot indices, ordered by (time, seq). */
#include "sim/evq.h"

#include <stdlib.h>


void evq_init(evq *q)
{
    *q = (evq){0};
    q->next_seq = 1;
}

void evq_free(evq *q)
{
    evq_event ev;
    while (evq_pop(q, &ev))
        if (ev.drop)
            ev.drop(ev.arg);
    free(q->slots);
    free(q->heap);
    *q = (evq){0};
}

static bool before(const evq *q, uint32_t a, uint32_t b)
{
    const evq_event *x = &q->slots[a].ev, *y = &q->slots[b].ev;
    if (x->time_us != y->time_us)
        return x->time_us < y->time_us;
    return x->seq < y->seq;
}

static void place(evq *q, uint32_t pos, uint32_t slot)
{
    q->heap[pos] = slot;
    q->slots[slot].heap_pos = pos;
}

static void sift_up(evq *q, uint32_t pos)
{
    uint32_t slot = q->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!before(q, slot, q->heap[parent]))
            break;
        place(q, pos, q->heap[parent]);
        pos = parent;
    }
    place(q, pos, slot);
}

static void sift_down(evq *q, uint32_t pos)
{
    uint32_t slot = q->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= q->heap_len)
            break;
        if (child + 1 < q->heap_len && before(q, q->heap[child + 1], q->heap[child]))
            child++;
        if (!before(q, q->heap[child], slot))
            break;
        place(q, pos, q->heap[child]);
        pos = child;
    }
    place(q, pos, slot);
}

static bool grow(void **array, uint32_t *cap, size_t elem, uint32_t need)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*array, (size_t)n * elem);
    if (!p)
        return false;
    *array = p;
    *cap = n;
    return true;
}

evq_id evq_push(evq *q, int64_t time_us, const char *label, evq_fn fn, evq_fn drop, void *arg)
{
    if (!grow((void **)&q->heap, &q->heap_cap, sizeof *q->heap, q->heap_len + 1))
        return 0;
    uint32_t slot;
    if (q->free_head != 0) {
        slot = q->free_head - 1;
        q->free_head = q->slots[slot].next_free;
    } else {
        if (!grow((void **)&q->slots, &q->slot_cap, sizeof *q->slots, q->slot_count + 1))
            return 0;
        slot = q->slot_count++;
        q->slots[slot].generation = 0;
    }
    evq_slot *s = &q->slots[slot];
    s->generation++;
    s->ev = (evq_event){.time_us = time_us, .seq = q->next_seq++, .fn = fn, .drop = drop, .arg = arg, .label = label};
    place(q, q->heap_len++, slot);
    sift_up(q, q->heap_len - 1);
    return ((evq_id)s->generation << 32) | (evq_id)(slot + 1);
}

static void release_slot(evq *q, uint32_t slot)
{
    q->slots[slot].heap_pos = UINT32_MAX;
    q->slots[slot].next_free = q->free_head;
    q->free_head = slot + 1;
}

static void remove_at(evq *q, uint32_t pos)
{
    uint32_t slot = q->heap[pos];
    uint32_t last = q->heap[--q->heap_len];
    if (pos < q->heap_len) {
        place(q, pos, last);
        if (pos > 0 && before(q, last, q->heap[(pos - 1) / 2]))
            sift_up(q, pos);
        else
            sift_down(q, pos);
    }
    release_slot(q, slot);
}

bool evq_cancel(evq *q, evq_id id, void **arg_out)
{
    uint32_t slot = (uint32_t)(id & 0xffffffffu);
    uint32_t generation = (uint32_t)(id >> 32);
    if (slot == 0 || slot > q->slot_count)
        return false;
    slot--;
    evq_slot *s = &q->slots[slot];
    if (s->generation != generation || s->heap_pos == UINT32_MAX)
        return false;
    if (arg_out)
        *arg_out = s->ev.arg;
    remove_at(q, s->heap_pos);
    return true;
}

bool evq_pop(evq *q, evq_event *out)
{
    if (q->heap_len == 0)
        return false;
    uint32_t slot = q->heap[0];
    *out = q->slots[slot].ev;
    remove_at(q, 0);
    return true;
}

int64_t evq_peek_time(const evq *q)
{
    return q->heap_len ? q->slots[q->heap[0]].ev.time_us : INT64_MAX;
}

size_t evq_len(const evq *q)
{
    return q->heap_len;
}
