/* oracle_replica.h: replication convergence, judged at quiet points.
 *
 * Rule (DESIGN.md, "The guarantees", 5, second half): at a quiet point, when nothing more is
 * on its way to a player's client and the player's session is active on the server the client
 * is connected to, the client's replica equals the public part of the profile in that
 * server's memory. (The first half, privacy, is the client's own check: sim/client.h.)
 * The runner calls it each time the last replication in flight to a client arrives, and for
 * every player still online when the script ends, so a change the engine never sent is
 * caught too. */
#ifndef ORACLE_REPLICA_H
#define ORACLE_REPLICA_H

#include <stdint.h>

#include "core/replicate.h"
#include "core/value.h"
#include "sim/oracle.h"

/* Judges one quiet point: data is the profile in memory (the session is active), replica the
 * client's (NULL when it has none). Counts a violation in v when they differ. */
void replica_oracle_quiet(oracle_verdict *v, int64_t time_us, int64_t player, int server,
                          const vs_public_paths *pp, const vs_value *data, const vs_value *replica);

#endif
