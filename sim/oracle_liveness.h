/* oracle_liveness.h: liveness after the heal, judged over probes the runner makes.
 *
 * Rule (DESIGN.md, "The guarantees", 6): once every fault is healed and the world is quiet, a
 * player who joins is loaded within a bound derived from the lease length and the retry policy
 * (liveness_bound_us), and once that player leaves again and the world drains, the profile
 * holds no lease and no operation that no session tried. An answer that refuses the profile
 * for a reason of its data (a newer schema, data that fails validation) counts as an answer:
 * the engine was live, the data was the problem.
 *
 * The runner chooses whom to probe (liveness_needs_probe: a profile that needs a session to
 * settle), makes them join and leave, and hands each probe here twice: when its load is judged
 * and when the world has drained after it left. */
#ifndef ORACLE_LIVENESS_H
#define ORACLE_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/retry.h"
#include "core/status.h"
#include "core/value.h"
#include "sim/oracle.h"

typedef struct liveness_probe {
    int64_t player;
    int server;         /* where the probe joined */
    int64_t joined_us;
    bool answered;      /* the join's callback came */
    int64_t answered_us;
    vs_status status;   /* VS_OK when it loaded */
    char why[160];      /* the refusal's message, "" when it loaded */
} liveness_probe;

/* The bound on a load after the heal: a stale lease is taken over after lease_us of looking at
 * it unchanged (looked at every sixth of it), plus a retry wait on each side of the takeover
 * and one request whose answer is lost (ds_timeout_us). */
int64_t liveness_bound_us(int64_t lease_us, const vs_retry_policy *retry, int64_t ds_timeout_us);

/* A stored profile document that needs a session to settle: a lease still held (its server
 * died) or operations waiting in its inbox. */
bool liveness_needs_probe(const vs_value *doc);

/* The probe's load: answered within bound_us, and loaded or refused for its data. */
void liveness_judge_load(oracle_verdict *v, const liveness_probe *p, int64_t bound_us);

/* After the probe left and the world drained (time_us): its profile as stored (doc, NULL when
 * there is none) holds no lease and no untried operation. A probe that was not loaded is not
 * judged again here. */
void liveness_judge_settled(oracle_verdict *v, int64_t time_us, const liveness_probe *p, const vs_value *doc);

#endif
