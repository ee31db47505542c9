/* oracle_liveness.c: liveness after the heal (see oracle_liveness.h). */
#include "sim/oracle_liveness.h"

#include <inttypes.h>

#include "core/document.h"
#include "sim/world.h"

int64_t liveness_bound_us(int64_t lease_us, const vs_retry_policy *retry, int64_t ds_timeout_us)
{
    return lease_us + lease_us / 6 + 2 * retry->max_us + ds_timeout_us;
}

bool liveness_needs_probe(const vs_value *doc)
{
    vs_lease lease;
    vs_doc_lease(doc, &lease);
    return lease.held || vs_array_len(vs_doc_meta_array(doc, "inbox")) > 0;
}

void liveness_judge_load(oracle_verdict *v, const liveness_probe *p, int64_t bound_us)
{
    bool refused_for_data = p->status == VS_ERR_SCHEMA_TOO_NEW || p->status == VS_ERR_INVALID;
    if (!p->answered || p->answered_us - p->joined_us > bound_us) {
        char limit[32];
        world_format_time(bound_us, limit, sizeof limit);
        oracle_violation(v, p->joined_us, NULL, p->player,
                         "player %" PRId64 " joined server %d after the heal and was not loaded within "
                         "%s (lease length, a sixth of it, two retry waits and a lost answer)",
                         p->player, p->server, limit);
    } else if (p->status != VS_OK && !refused_for_data) {
        oracle_violation(v, p->answered_us, NULL, p->player,
                         "player %" PRId64 " joined server %d after the heal and the load failed: %s%s%s",
                         p->player, p->server, vs_status_message(p->status), p->why[0] ? ": " : "", p->why);
    }
}

void liveness_judge_settled(oracle_verdict *v, int64_t time_us, const liveness_probe *p, const vs_value *doc)
{
    if (!doc || p->status != VS_OK)
        return;
    vs_lease lease;
    vs_doc_lease(doc, &lease);
    const vs_value *inbox = vs_doc_meta_array(doc, "inbox");
    size_t untried = 0;
    for (size_t k = 0; k < vs_array_len(inbox); k++)
        untried += vs_number_of(vs_map_get(vs_array_at(inbox, k), "attempts")) < 1;
    if (lease.held)
        oracle_violation(v, time_us, NULL, p->player,
                         "player %" PRId64 "'s profile still holds a lease (owner %s) after the probe "
                         "session left and the world drained", p->player, lease.owner);
    else if (untried)
        oracle_violation(v, time_us, NULL, p->player,
                         "player %" PRId64 "'s inbox still has %zu operation(s) no session tried, "
                         "although the player was online after the heal", p->player, untried);
}
