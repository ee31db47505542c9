/* fault.c: names, defaults and queries of faults and fault plans.
 *
 * Everything here is a pure function of the plan and the arguments: no clock, no randomness,
 * no global state. Queries walk the plan in order, so "first active fault" means plan order,
 * and every combination (ppm, amount) is computed in integers that give the same answer on
 * every machine and for every order where the order should not matter. */
#include "faults/fault.h"

#include <stdlib.h>
#include <string.h>

#define SEC 1000000LL

#define NAME_ENTRY(id, name) name,
static const char *const kind_names[] = {FAULT_KIND_TABLE(NAME_ENTRY)};
static const char *const op_names[] = {FAULT_OP_TABLE(NAME_ENTRY)};
#undef NAME_ENTRY

const char *fault_kind_name(fault_kind kind)
{
    if ((unsigned)kind >= FAULT_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

int fault_kind_parse(const char *name, fault_kind *out)
{
    if (!name)
        return -1;
    for (unsigned i = 0; i < FAULT_KIND_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (fault_kind)i;
            return 0;
        }
    return -1;
}

const char *fault_op_name(fault_op op)
{
    if ((unsigned)op >= FAULT_OP_COUNT)
        return "unknown";
    return op_names[op];
}

int fault_op_parse(const char *name, fault_op *out)
{
    if (!name)
        return -1;
    for (unsigned i = 0; i < FAULT_OP_COUNT; i++)
        if (strcmp(name, op_names[i]) == 0) {
            *out = (fault_op)i;
            return 0;
        }
    return -1;
}

fault fault_default(fault_kind kind)
{
    fault f = {.kind = kind, .start_us = 0, .end_us = FAULT_FOREVER, .server_mask = 0,
               .op = FAULT_OP_ANY, .code = 0, .ppm = 0, .amount = 0};
    /* Keep in step with the list under FAULT_KIND_TABLE in fault.h. */
    switch (kind) {
    case FAULT_STORE_OUTAGE: f.code = 501; f.ppm = FAULT_PPM; break;
    case FAULT_ERROR_RATE: f.code = 501; f.ppm = 100000; break;
    case FAULT_AMBIGUOUS_COMMIT: f.code = 501; f.ppm = 100000; break;
    case FAULT_LOST_RESPONSE: f.ppm = 100000; break;
    case FAULT_LATENCY_SPIKE: f.ppm = FAULT_PPM; f.amount = 2 * SEC; break;
    case FAULT_LATENCY_TAIL: f.ppm = 10000; f.amount = 5 * SEC; break;
    case FAULT_BUDGET_CUT: f.amount = 0; break;
    case FAULT_NIL_READ: f.ppm = FAULT_PPM; break;
    case FAULT_MESSAGE_LOSS: f.ppm = 100000; break;
    case FAULT_MESSAGE_DELAY: f.amount = 5 * SEC; break;
    case FAULT_MESSAGE_DUPLICATION: f.ppm = 100000; break;
    case FAULT_MESSAGE_REORDER: f.ppm = 100000; f.amount = 3 * SEC; break;
    case FAULT_CLOCK_SKEW: f.amount = 120 * SEC; break;
    case FAULT_CLOCK_DRIFT: f.amount = 1000; break;
    case FAULT_CLOCK_JUMP: f.amount = 3600 * SEC; break;
    case FAULT_RECEIPT_UNRECORDED: f.ppm = FAULT_PPM; break;
    default: break;
    }
    return f;
}

void fault_plan_init(fault_plan *plan)
{
    plan->items = NULL;
    plan->count = 0;
    plan->cap = 0;
}

void fault_plan_free(fault_plan *plan)
{
    free(plan->items);
    fault_plan_init(plan); /* freeing twice, or reusing the plan, stays safe */
}

bool fault_plan_add(fault_plan *plan, const fault *f)
{
    if (plan->count == plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 8;
        if (cap < plan->cap || cap > SIZE_MAX / sizeof *plan->items)
            return false;
        fault *items = realloc(plan->items, cap * sizeof *items);
        if (!items)
            return false;
        plan->items = items;
        plan->cap = cap;
    }
    plan->items[plan->count++] = *f;
    return true;
}

static bool aims_at(uint64_t mask, int server_id)
{
    if (mask == 0)
        return true;
    if (server_id < 1 || server_id > 64)
        return false; /* a mask names only ids 1..64; anything else is outside every mask */
    return (mask >> (server_id - 1)) & 1u;
}

bool fault_active(const fault *f, int server_id, fault_op op, int64_t now_us)
{
    if (now_us < f->start_us || now_us >= f->end_us)
        return false;
    if (!aims_at(f->server_mask, server_id))
        return false;
    return f->op == FAULT_OP_ANY || f->op == op;
}

/* "No fault hits" is carried in units of 10^-18: the largest power of ten that fits in 64
 * bits, exactly 10^12 units per ppm, and times a factor of at most 10^6 it fits in 128 bits.
 * Three factors of 10^-6 each are absorbed without any truncation. */
#define NONE_ONE 1000000000000000000ull
#define NONE_PER_PPM (NONE_ONE / FAULT_PPM)

uint32_t fault_plan_ppm(const fault_plan *plan, fault_kind kind, int server_id, fault_op op,
                        int64_t now_us, int *code_out)
{
    uint64_t none = NONE_ONE;
    bool found = false;
    int code = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const fault *f = &plan->items[i];
        if (f->kind != kind || !fault_active(f, server_id, op, now_us))
            continue;
        if (!found) {
            found = true;
            code = f->code;
        }
        uint32_t p = f->ppm > FAULT_PPM ? FAULT_PPM : f->ppm;
        /* Truncation only ever lowers `none`, so the error always leans toward hitting and
         * a fault at 1000000 drives `none` to exactly 0. */
        none = (uint64_t)((unsigned __int128)none * (FAULT_PPM - p) / FAULT_PPM);
    }
    if (code_out)
        *code_out = code;
    uint64_t hit = NONE_ONE - none;
    uint64_t ppm = (hit + NONE_PER_PPM / 2) / NONE_PER_PPM;
    return ppm > FAULT_PPM ? FAULT_PPM : (uint32_t)ppm;
}

const fault *fault_plan_find(const fault_plan *plan, fault_kind kind, int server_id, fault_op op,
                             int64_t now_us)
{
    for (size_t i = 0; i < plan->count; i++) {
        const fault *f = &plan->items[i];
        if (f->kind == kind && fault_active(f, server_id, op, now_us))
            return f;
    }
    return NULL;
}

int64_t fault_plan_amount(const fault_plan *plan, fault_kind kind, int server_id, fault_op op,
                          int64_t now_us)
{
    /* 128 bits hold the exact sum of up to 2^64 amounts, so clamping once at the end gives an
     * answer that does not depend on the order of the plan. */
    __int128 sum = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const fault *f = &plan->items[i];
        if (f->kind == kind && fault_active(f, server_id, op, now_us))
            sum += f->amount;
    }
    if (sum > INT64_MAX)
        return INT64_MAX;
    if (sum < INT64_MIN)
        return INT64_MIN;
    return (int64_t)sum;
}

static int cmp_instant(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

bool fault_plan_edges(const fault_plan *plan, int64_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (plan->count == 0)
        return true;
    if (plan->count > SIZE_MAX / (2 * sizeof(int64_t)))
        return false;
    int64_t *t = malloc(plan->count * 2 * sizeof *t);
    if (!t)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const fault *f = &plan->items[i];
        if (f->end_us <= f->start_us)
            continue; /* never active: nothing happens at its edges */
        t[n++] = f->start_us; /* start < end, so start is never FAULT_FOREVER */
        if (f->end_us != FAULT_FOREVER)
            t[n++] = f->end_us;
    }
    if (n == 0) {
        free(t);
        return true;
    }
    qsort(t, n, sizeof *t, cmp_instant);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (t[i] != t[m - 1])
            t[m++] = t[i];
    *out = t;
    *count = m;
    return true;
}
