/* splitmix.h: a tiny random source for unit tests of seeded draws (swarm plans, workloads):
 * splitmix64 over a 64-bit state, the shape swarm_random_fn takes. */
#ifndef SPLITMIX_H
#define SPLITMIX_H

#include <stdint.h>

/* The next word; ctx points at the uint64_t state (the seed, to start). */
uint64_t splitmix64(void *ctx);

#endif
