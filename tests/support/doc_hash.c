/* doc_hash.c: see doc_hash.h. */
#include "tests/support/doc_hash.h"

#include "core/json.h"

const uint64_t *doc_data_hash(const vs_value *doc, uint64_t *hash)
{
    vs_json_digest d;
    if (!doc || vs_json_digest_of(doc, "data", &d) != VS_OK || !d.has_member)
        return NULL;
    *hash = d.member_hash;
    return hash;
}
