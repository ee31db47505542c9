/* grow.c: doubling growth of arrays, with the size checked before it can overflow. */
#include "core/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *vs_grow(void *items, size_t *cap, size_t elem_size, size_t need)
{
    if (need <= *cap && items)
        return items;
    size_t n = *cap ? *cap : 4;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem_size)
            return NULL;
        n *= 2;
    }
    void *p = realloc(items, n * elem_size);
    if (p)
        *cap = n;
    return p;
}
