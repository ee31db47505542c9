/* oracle_delivery.h: the exactly-once oracle for durable operations, judged on every committed
 * write as the run goes and on the stored profiles at the end.
 *
 * Rule (DESIGN.md, "The guarantees", 3): every accepted operation is applied exactly once or
 * sits in dead letters; a duplicate id has no effect; nothing accepted disappears. The engine
 * writes an operation's effect and its receipt in one update, so in committed writes:
 *   - applied twice: a commit adds to the receipts an id that an earlier commit had already
 *     added (receipts pruned since are remembered);
 *   - a duplicate let in: a commit's inbox holds an id that already has a receipt (it would be
 *     applied again);
 *   - lost: at the end, an accepted operation is in none of the profile's inbox, receipts and
 *     dead letters.
 * The first violation is kept, explained, with the count of all of them. */
#ifndef ORACLE_DELIVERY_H
#define ORACLE_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/value.h"
#include "sim/oracle.h"
#include "sim/strmap.h"

typedef struct accepted_op {
    char *full_key; /* "store\x1fkey" of the target profile */
    char *op_id;
    int64_t time_us; /* when its sender heard it was accepted */
} accepted_op;

typedef struct delivery_oracle {
    strmap keys; /* "store\x1fkey" -> the key's receipts as last committed, and every id ever receipted */
    accepted_op *accepted;
    size_t accepted_count, accepted_cap;
    oracle_verdict verdict;
} delivery_oracle;

void delivery_oracle_init(delivery_oracle *o);
void delivery_oracle_free(delivery_oracle *o);

/* A write committed at time_us by server (value NULL: a removal). */
void delivery_oracle_commit(delivery_oracle *o, int64_t time_us, int server, const char *full_key, size_t len,
                            const vs_value *value);
/* The sender of op_id to the profile at full_key heard it was accepted (not a duplicate). */
void delivery_oracle_accepted(delivery_oracle *o, int64_t time_us, const char *full_key, const char *op_id);
/* At the end of the run: stored(arg, full_key) gives the stored document (NULL: none). */
void delivery_oracle_finish(delivery_oracle *o, int64_t time_us,
                            const vs_value *(*stored)(void *arg, const char *full_key), void *arg);

#endif
