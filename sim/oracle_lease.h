/* oracle_lease.h: the lease-exclusivity oracle, checked on every committed write as the run
 * goes.
 *
 * Rule (DESIGN.md, "The guarantees", 1): for each key, once a session has acquired the lease,
 * no write from an earlier session commits, and lease generations in committed writes never go
 * down. The oracle sees only what the store commits, so it judges a write by its content:
 *   - a higher generation than any before is an acquisition (by the token it carries);
 *   - a lower generation is a violation;
 *   - at the same generation, a lease held by any token but the acquirer's is a violation,
 *     and so is a change to the data unless it is the acquirer's own (its lease is held by the
 *     acquirer's token, or no lease is held and the last release was the acquirer's).
 * Writes that change only the operation lists (a delivery from another server) are not
 * lease-bound and pass. A removal forgets the key (a new profile starts a new history).
 * Values that are not profile documents (no meta map) are ignored.
 *
 * The first violation is kept with its time, server, key and the generations and tokens
 * involved, in plain words; the count of all violations is kept too. */
#ifndef ORACLE_LEASE_H
#define ORACLE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/value.h"
#include "sim/oracle.h"
#include "sim/strmap.h"

typedef struct lease_oracle {
    strmap keys; /* "store\x1fkey" -> key_state */
    oracle_verdict verdict;
} lease_oracle;

void lease_oracle_init(lease_oracle *o);
void lease_oracle_free(lease_oracle *o);

/* A write committed at time_us by server: full_key is "store\x1fkey" (len bytes), value the
 * stored document (NULL for a removal), data_hash its data's hash (vs_value_hash of its "data",
 * which the DataStore takes in its digest of the commit; NULL when it has none). Returns false when memory ran out (the oracle then
 * stops judging that key and says so as a violation, never silently). */
bool lease_oracle_commit(lease_oracle *o, int64_t time_us, int server, const char *full_key, size_t len,
                         const vs_value *value, const uint64_t *data_hash);

/* The server whose commit acquired the key's highest lease generation so far; 0 when none. */
int lease_oracle_acquirer(const lease_oracle *o, const char *full_key, size_t len);

#endif
