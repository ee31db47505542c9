/* fault.h: faults and fault plans, as pure data.
 *
 * A fault is one misbehaviour of the platform with a start and an end (active in
 * [start, end)), aimed at some servers (or all) and, for DataStore faults, at one kind of
 * request (or any). A plan is a list of faults, written in a scenario or drawn from the seed
 * (faults/swarm.h). Nothing here draws a random number or knows the simulator: the simulator
 * asks the plan what is active and draws with its own streams. Probabilities are integer
 * parts per million. */
#ifndef FAULT_H
#define FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAULT_PPM 1000000u
#define FAULT_FOREVER INT64_MAX /* an end that never comes (healed by the end-of-run phase) */

/* Each kind: what it does, and which fields it reads. */
#define FAULT_KIND_TABLE(X)                                                                    \
    X(FAULT_STORE_OUTAGE, "store_outage")           /* DataStore requests fail: code (501) */   \
    X(FAULT_ERROR_RATE, "error_rate")               /* ppm of op requests fail with code */     \
    X(FAULT_AMBIGUOUS_COMMIT, "ambiguous_commit")   /* ppm of op writes commit, then report code */ \
    X(FAULT_LOST_RESPONSE, "lost_response")         /* ppm of op answers are lost (timeout) */  \
    X(FAULT_LATENCY_SPIKE, "latency_spike")         /* ppm of op requests take +amount us */    \
    X(FAULT_LATENCY_TAIL, "latency_tail")           /* ppm of op requests get a tail up to amount us */ \
    X(FAULT_BUDGET_CUT, "budget_cut")               /* budgets refill at amount ppm of normal */ \
    X(FAULT_NIL_READ, "nil_read")                   /* ppm of reads return nothing for a key that exists */ \
    X(FAULT_MESSAGE_LOSS, "message_loss")           /* ppm of messages are lost */             \
    X(FAULT_MESSAGE_DELAY, "message_delay")         /* messages take +amount us */             \
    X(FAULT_MESSAGE_DUPLICATION, "message_duplication") /* ppm of messages arrive twice */      \
    X(FAULT_MESSAGE_REORDER, "message_reorder")     /* ppm of messages are held back up to amount us */ \
    X(FAULT_SERVER_CRASH, "server_crash")           /* servers crash at start (restart at end) */ \
    X(FAULT_SERVER_FREEZE, "server_freeze")         /* servers freeze at start, resume at end */ \
    X(FAULT_SERVER_SHUTDOWN, "server_shutdown")     /* servers shut down at start */           \
    X(FAULT_CLOCK_SKEW, "clock_skew")               /* server clocks read +amount us */        \
    X(FAULT_CLOCK_DRIFT, "clock_drift")             /* server clocks run amount ppm fast (or slow, < 0) */ \
    X(FAULT_CLOCK_JUMP, "clock_jump")               /* server clocks jump by amount us at start */ \
    X(FAULT_PARTITION_STORE, "partition_store")     /* servers cannot reach the DataStore */    \
    X(FAULT_PARTITION_MESSAGING, "partition_messaging") /* servers cannot reach MessagingService */ \
    X(FAULT_RECEIPT_UNRECORDED, "receipt_unrecorded") /* ppm of grants are not recorded */

/* Defaults (fault_default), before a scenario or the swarm sets the fields. Every kind:
 * start 0, end FAULT_FOREVER, server_mask 0 (every server), op FAULT_OP_ANY, code 0, ppm 0,
 * amount 0, except:
 *   store_outage         code 501, ppm 1000000 (every request)
 *   error_rate           code 501, ppm 100000
 *   ambiguous_commit     code 501, ppm 100000
 *   lost_response        ppm 100000
 *   latency_spike        ppm 1000000, amount 2 s
 *   latency_tail         ppm 10000, amount 5 s
 *   budget_cut           amount 0 ppm (no refill at all)
 *   nil_read             ppm 1000000
 *   message_loss         ppm 100000
 *   message_delay        amount 5 s
 *   message_duplication  ppm 100000
 *   message_reorder      ppm 100000, amount 3 s
 *   clock_skew           amount 120 s
 *   clock_drift          amount 1000 ppm
 *   clock_jump           amount 3600 s
 *   receipt_unrecorded   ppm 1000000 (every grant) */

#define FAULT_KIND_ENUM(id, name) id,
typedef enum fault_kind { FAULT_KIND_TABLE(FAULT_KIND_ENUM) FAULT_KIND_COUNT } fault_kind;
#undef FAULT_KIND_ENUM

/* The request kinds a DataStore fault can aim at. */
#define FAULT_OP_TABLE(X)                     \
    X(FAULT_OP_ANY, "any")                    \
    X(FAULT_OP_GET, "get")                    \
    X(FAULT_OP_SET, "set")                    \
    X(FAULT_OP_UPDATE, "update")              \
    X(FAULT_OP_INCREMENT, "increment")        \
    X(FAULT_OP_REMOVE, "remove")              \
    X(FAULT_OP_LIST, "list")                  \
    X(FAULT_OP_SORTED_GET, "sorted_get")      \
    X(FAULT_OP_SORTED_SET, "sorted_set")

#define FAULT_OP_ENUM(id, name) id,
typedef enum fault_op { FAULT_OP_TABLE(FAULT_OP_ENUM) FAULT_OP_COUNT } fault_op;
#undef FAULT_OP_ENUM

typedef struct fault {
    fault_kind kind;
    int64_t start_us;
    int64_t end_us;       /* FAULT_FOREVER for no end */
    uint64_t server_mask; /* bit (id - 1) for server id 1..64; 0 means every server */
    fault_op op;          /* DataStore faults: which requests; FAULT_OP_ANY for all */
    int code;             /* error faults: the error code the caller sees */
    uint32_t ppm;         /* rate faults: share of requests or messages hit */
    int64_t amount;       /* kind-specific: extra us, skew us, drift ppm, jump us, budget ppm */
} fault;

typedef struct fault_plan {
    fault *items;
    size_t count, cap;
} fault_plan;

/* Names as in the tables; "unknown" for a value outside them. Parsing is exact (case
 * matters) and returns 0, or -1 (and leaves *out alone) for an unknown or NULL name. */
const char *fault_kind_name(fault_kind kind);          /* "store_outage" */
int fault_kind_parse(const char *name, fault_kind *out);
const char *fault_op_name(fault_op op);                /* "update" */
int fault_op_parse(const char *name, fault_op *out);

/* The defaults of a fault of this kind, before a scenario or the swarm sets its fields:
 * start 0, end FAULT_FOREVER, every server, any op, and the kind's usual code, ppm and amount
 * (listed under the kind table). A kind outside the table gets the common defaults. */
fault fault_default(fault_kind kind);

void fault_plan_init(fault_plan *plan);
void fault_plan_free(fault_plan *plan);
/* Appends a copy; returns false when memory runs out. */
bool fault_plan_add(fault_plan *plan, const fault *f);

/* True when f is active at now_us for this server (id >= 1) and op. A fault aimed at
 * FAULT_OP_ANY matches every op; a request of any op matches only FAULT_OP_ANY faults. */
bool fault_active(const fault *f, int server_id, fault_op op, int64_t now_us);

/* The combined chance, in ppm, that at least one active fault of this kind hits: faults are
 * independent, so 1 - product(1 - p_i), computed in integers. Each ppm above 1000000 counts as
 * 1000000. The chance that none hits is carried in units of 10^-18, each factor applied with
 * 128-bit products and truncation; the result is that chance's complement rounded to the
 * nearest ppm, halves up. So one fault gives exactly its ppm, any fault at 1000000 gives
 * 1000000, none active gives 0, and the result is exact up to three active faults (beyond,
 * the carried error is below count x 10^-18, far under the final rounding step). When code_out
 * is not NULL it receives the code of the first active fault (plan order), or 0 when none is
 * active. */
uint32_t fault_plan_ppm(const fault_plan *plan, fault_kind kind, int server_id, fault_op op,
                        int64_t now_us, int *code_out);

/* The first active fault of this kind in plan order, or NULL. */
const fault *fault_plan_find(const fault_plan *plan, fault_kind kind, int server_id, fault_op op,
                             int64_t now_us);

/* The sum of `amount` over active faults of this kind (extra latency, skew, drift), summed
 * exactly and then clamped to [INT64_MIN, INT64_MAX], so the order of the plan does not
 * matter even when the sum overflows. */
int64_t fault_plan_amount(const fault_plan *plan, fault_kind kind, int server_id, fault_op op,
                          int64_t now_us);

/* Every distinct instant at which some fault starts or ends, sorted, without FAULT_FOREVER:
 * the simulator schedules crashes, freezes and clock jumps at these. A fault whose window is
 * empty (end <= start) is never active and adds no instant. The caller frees *out (NULL when
 * *count is 0). Returns false when memory runs out (*out NULL, *count 0). */
bool fault_plan_edges(const fault_plan *plan, int64_t **out, size_t *count);

#endif
