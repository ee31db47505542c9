/* grow.h: room in a growable array.
 *
 * The engine keeps many small arrays that grow by doubling; this is the one place that does
 * the arithmetic (with the overflow check) and the realloc. */
#ifndef VS_GROW_H
#define VS_GROW_H

#include <stddef.h>

/* Returns items (an array of *cap elements of elem_size bytes), moved if need be so that it
 * holds at least need >= 1 elements, its capacity doubling from 4 (*cap is updated). NULL when
 * memory runs out: items and *cap are then unchanged. */
void *vs_grow(void *items, size_t *cap, size_t elem_size, size_t need);

#endif
