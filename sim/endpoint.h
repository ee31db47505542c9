/* endpoint.h: a server as the simulated services see it.
 *
 * Every answer, message or transform a service sends back to a server goes through its
 * endpoint, so crash and freeze mean the same thing everywhere: a stopped endpoint drops what
 * arrives (the drop function frees it), a frozen one keeps it, in arrival order, and hands it
 * over when it resumes, as a paused server that wakes up and carries on. The endpoint also
 * carries what budgets are computed from (the server's player count). */
#ifndef ENDPOINT_H
#define ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/world.h"

typedef void (*endpoint_fn)(void *arg);

typedef struct endpoint_item {
    endpoint_fn run;
    endpoint_fn drop; /* may be NULL */
    void *arg;
    const char *label;
} endpoint_item;

typedef struct endpoint {
    world *w;
    int id;          /* the server id, >= 1 */
    bool alive;      /* false once the server has stopped (crash or end of shutdown) */
    bool frozen;     /* true while the server is paused */
    int64_t players; /* players on this server now */
    endpoint_item *held; /* what arrived while frozen, oldest first */
    size_t held_count, held_cap;
} endpoint;

void endpoint_init(endpoint *ep, world *w, int id);
/* Drops whatever is still held. */
void endpoint_free(endpoint *ep);

/* Hands arg to the server now: run(arg) when alive and not frozen; kept for later when frozen;
 * drop(arg) when stopped. Exactly one of run and drop is eventually called (drop also when
 * the endpoint is freed while holding it). */
void endpoint_deliver(endpoint *ep, const char *label, endpoint_fn run, endpoint_fn drop, void *arg);

/* Schedules a delivery at an absolute time on the world's queue. */
void endpoint_deliver_at(endpoint *ep, int64_t time_us, const char *label, endpoint_fn run,
                         endpoint_fn drop, void *arg);

void endpoint_freeze(endpoint *ep);
/* Unfreezes and runs what was held, in order (each through endpoint_deliver again, so a
 * delivery that freezes or stops the server holds or drops the rest). */
void endpoint_resume(endpoint *ep);
/* Stops for good: drops what is held; later deliveries are dropped. */
void endpoint_stop(endpoint *ep);

#endif
