/* splitmix.c: see splitmix.h. */
#include "tests/support/splitmix.h"

uint64_t splitmix64(void *ctx)
{
    uint64_t *state = ctx;
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
