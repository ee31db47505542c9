/* doc_hash.h: for oracle unit tests, the hash of a profile document's data as the simulated
 * DataStore's digest hands it to the oracles with each commit. */
#ifndef DOC_HASH_H
#define DOC_HASH_H

#include <stdint.h>

#include "core/value.h"

/* hash, set to the data's hash; NULL when doc is NULL, has no "data" or cannot be hashed. */
const uint64_t *doc_data_hash(const vs_value *doc, uint64_t *hash);

#endif
