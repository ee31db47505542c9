/* rng.h: named random streams.
 *
 * Every source of randomness in a run is a stream seeded from the run's seed and the
 * stream's name ("datastore", "server.3", "workload"), so adding a component, or drawing more
 * numbers in one, never shifts what another component draws. The generator is xoshiro256**
 * (fast, 256 bits of state, well studied); the seed is mixed with the name by XXH3 and
 * expanded by splitmix64, as xoshiro's authors recommend. Probabilities are integers in parts
 * per million, never floating point, so a decision is the same on every machine. */
#ifndef RNG_H
#define RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

#define RNG_PPM 1000000u

void rng_seed(rng *r, uint64_t run_seed, const char *stream_name);
uint64_t rng_next(rng *r);
/* Uniform in [0, n); n == 0 gives 0. Unbiased (Lemire's multiply-and-reject). */
uint64_t rng_below(rng *r, uint64_t n);
/* Uniform in [lo, hi], both included; lo > hi gives lo. */
int64_t rng_range(rng *r, int64_t lo, int64_t hi);
/* True with probability ppm / 1,000,000 (0 never, >= 1,000,000 always). */
bool rng_chance_ppm(rng *r, uint32_t ppm);

#endif
