/* evq.h: the event queue of a world.
 *
 * A binary heap ordered by (time, sequence number). The sequence number is a per-queue
 * counter assigned at push, so two events at the same time always run in the order they
 * were scheduled, whatever the heap's shape. Events live in a slot pool; an id names a slot
 * and its generation, so cancelling an event that already ran (or was cancelled) is a
 * harmless no-op and never touches a reused slot. No pointer value takes part in ordering. */
#ifndef EVQ_H
#define EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t evq_id; /* 0 is never a valid id */

typedef void (*evq_fn)(void *arg);

typedef struct evq_event {
    int64_t time_us;
    uint64_t seq;
    evq_fn fn;
    evq_fn drop; /* frees arg when the event never runs (queue freed first); may be NULL */
    void *arg;
    const char *label; /* static text naming the kind of event; part of the fingerprint */
} evq_event;

typedef struct evq_slot {
    evq_event ev;
    uint32_t generation;
    uint32_t heap_pos;  /* index in heap, or UINT32_MAX when the slot is free */
    uint32_t next_free; /* free list link, meaningful only while free */
} evq_slot;

typedef struct evq {
    evq_slot *slots;
    uint32_t slot_count, slot_cap;
    uint32_t free_head; /* first free slot + 1; 0 when none */
    uint32_t *heap; /* slot indices */
    uint32_t heap_len, heap_cap;
    uint64_t next_seq;
} evq;

void evq_init(evq *q);
/* Calls drop(arg) for every event still pending, in (time, seq) order, then frees the queue. */
void evq_free(evq *q);
/* Schedules fn(arg) at time_us. Returns 0 only when memory runs out. */
evq_id evq_push(evq *q, int64_t time_us, const char *label, evq_fn fn, evq_fn drop, void *arg);
/* Removes a pending event; false when it is not pending (ran, cancelled, or 0). When it was
 * pending and arg_out is not NULL, *arg_out receives its arg (so the caller can free it). */
bool evq_cancel(evq *q, evq_id id, void **arg_out);
/* Moves the earliest event to *out; false when the queue is empty. */
bool evq_pop(evq *q, evq_event *out);
/* The earliest event's time, or INT64_MAX when empty. */
int64_t evq_peek_time(const evq *q);
size_t evq_len(const evq *q);

#endif
