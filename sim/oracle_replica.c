/* oracle_replica.c: replication convergence at quiet points (see oracle_replica.h). */
#include "sim/oracle_replica.h"

#include <inttypes.h>

void replica_oracle_quiet(oracle_verdict *v, int64_t time_us, int64_t player, int server,
                          const vs_public_paths *pp, const vs_value *data, const vs_value *replica)
{
    vs_value *view = vs_public_view(pp, data);
    if (!view) {
        oracle_violation(v, time_us, NULL, player,
                         "player %" PRId64 ": out of memory building the public view", player);
        return;
    }
    if (!replica || !vs_equal(view, replica)) {
        char diff[320];
        oracle_first_difference(view, replica, diff, sizeof diff);
        oracle_violation(v, time_us, NULL, player,
                         "player %" PRId64 "'s client has nothing more on its way, yet its replica is not "
                         "the public part of the profile on server %d: %s (profile first, replica second)",
                         player, server, diff);
    }
    vs_free(view);
}
