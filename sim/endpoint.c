/* endpoint.c: delivery to a server that may be running, paused or gone. */
#include "sim/endpoint.h"

#include <stdlib.h>
#include <string.h>

void endpoint_init(endpoint *ep, world *w, int id)
{
    *ep = (endpoint){.w = w, .id = id, .alive = true};
}

static void drop_held(endpoint *ep)
{
    /* Take the list first: a drop function may deliver to this endpoint again. */
    endpoint_item *held = ep->held;
    size_t n = ep->held_count;
    ep->held = NULL;
    ep->held_count = ep->held_cap = 0;
    for (size_t i = 0; i < n; i++)
        if (held[i].drop)
            held[i].drop(held[i].arg);
    free(held);
}

void endpoint_free(endpoint *ep)
{
    drop_held(ep);
}

void endpoint_deliver(endpoint *ep, const char *label, endpoint_fn run, endpoint_fn drop, void *arg)
{
    if (!ep->alive) {
        if (drop)
            drop(arg);
        return;
    }
    if (!ep->frozen) {
        run(arg);
        return;
    }
    if (ep->held_count == ep->held_cap) {
        size_t cap = ep->held_cap ? ep->held_cap * 2 : 16;
        endpoint_item *p = realloc(ep->held, cap * sizeof *p);
        WORLD_ASSERT(ep->w, p != NULL);
        ep->held = p;
        ep->held_cap = cap;
    }
    ep->held[ep->held_count++] = (endpoint_item){.run = run, .drop = drop, .arg = arg, .label = label};
}

typedef struct pending {
    endpoint *ep;
    endpoint_item item;
} pending;

static void deliver_pending(void *arg)
{
    pending *p = arg;
    endpoint_deliver(p->ep, p->item.label, p->item.run, p->item.drop, p->item.arg);
    free(p);
}

static void drop_pending(void *arg)
{
    pending *p = arg;
    if (p->item.drop)
        p->item.drop(p->item.arg);
    free(p);
}

void endpoint_deliver_at(endpoint *ep, int64_t time_us, const char *label, endpoint_fn run,
                         endpoint_fn drop, void *arg)
{
    pending *p = malloc(sizeof *p);
    WORLD_ASSERT(ep->w, p != NULL);
    *p = (pending){.ep = ep, .item = {.run = run, .drop = drop, .arg = arg, .label = label}};
    world_at_owned(ep->w, time_us, label, deliver_pending, drop_pending, p);
}

void endpoint_freeze(endpoint *ep)
{
    ep->frozen = true;
}

void endpoint_resume(endpoint *ep)
{
    ep->frozen = false;
    endpoint_item *held = ep->held;
    size_t n = ep->held_count;
    ep->held = NULL;
    ep->held_count = ep->held_cap = 0;
    for (size_t i = 0; i < n; i++)
        endpoint_deliver(ep, held[i].label, held[i].run, held[i].drop, held[i].arg);
    free(held);
}

void endpoint_stop(endpoint *ep)
{
    ep->alive = false;
    ep->frozen = false;
    drop_held(ep);
}
