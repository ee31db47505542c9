/* fault_fields.h: which fields each kind of fault reads, and in what unit.
 *
 * One table, so the scenario loader (which refuses a field a kind does not read), the swarm's
 * YAML writer and the docs all agree on what a fault of each kind means. */
#ifndef FAULT_FIELDS_H
#define FAULT_FIELDS_H

#include <stdbool.h>

#include "faults/fault.h"

typedef enum fault_amount_unit {
    FAULT_AMOUNT_NONE,     /* the kind has no amount */
    FAULT_AMOUNT_DURATION, /* microseconds, written as a duration (2s, 250ms) */
    FAULT_AMOUNT_PPM,      /* parts per million, written as an integer; may be negative */
} fault_amount_unit;

typedef struct fault_fields {
    bool op;    /* aimed at one kind of DataStore request */
    bool code;  /* the error code the caller sees */
    bool ppm;   /* a share of requests or messages */
    fault_amount_unit amount;
    bool servers; /* aimed at some servers (every kind but the store-wide ones) */
    const char *doc; /* one sentence: what the fault does */
} fault_fields;

const fault_fields *fault_kind_fields(fault_kind kind);

#endif
