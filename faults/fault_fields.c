/* fault_fields.c: the fields each fault kind reads. */
#include "faults/fault_fields.h"

#define D FAULT_AMOUNT_DURATION
#define P FAULT_AMOUNT_PPM
#define N FAULT_AMOUNT_NONE

/* Indexed by fault_kind; keep in the order of FAULT_KIND_TABLE. */
static const fault_fields table[FAULT_KIND_COUNT] = {
    [FAULT_STORE_OUTAGE] = {false, true, true, N, true,
                            "the DataStore and OrderedDataStore do not answer: requests fail with code"},
    [FAULT_ERROR_RATE] = {true, true, true, N, true, "a share (ppm) of requests fail with code"},
    [FAULT_AMBIGUOUS_COMMIT] = {true, true, true, N, true,
                                "a share of writes commit and then report code to the caller"},
    [FAULT_LOST_RESPONSE] = {true, false, true, N, true,
                             "a share of answers are lost; the caller gets error 504 after ds_timeout "
                             "(the request itself may have taken effect)"},
    [FAULT_LATENCY_SPIKE] = {true, false, true, D, true, "a share of requests take amount longer"},
    [FAULT_LATENCY_TAIL] = {true, false, true, D, true,
                            "a share of requests get a heavy-tail delay of up to amount"},
    [FAULT_BUDGET_CUT] = {false, false, false, P, true,
                          "request budgets refill at amount ppm of their normal rate"},
    [FAULT_NIL_READ] = {true, false, true, N, true,
                        "a share of reads return nothing for a key that exists (the nil-read incident)"},
    [FAULT_MESSAGE_LOSS] = {false, false, true, N, true, "a share of messages are lost"},
    [FAULT_MESSAGE_DELAY] = {false, false, false, D, true, "messages take amount longer"},
    [FAULT_MESSAGE_DUPLICATION] = {false, false, true, N, true, "a share of messages arrive twice"},
    [FAULT_MESSAGE_REORDER] = {false, false, true, D, true,
                               "a share of messages are held back up to amount, so later ones overtake them"},
    [FAULT_SERVER_CRASH] = {false, false, false, N, true,
                            "the servers crash at start (nothing runs; sent writes may still commit) and "
                            "start again, empty, at end"},
    [FAULT_SERVER_FREEZE] = {false, false, false, N, true,
                             "the servers pause at start and carry on at end as if nothing happened"},
    [FAULT_SERVER_SHUTDOWN] = {false, false, false, N, true,
                               "the servers shut down at start (close handlers get close_window) and start "
                               "again, empty, at end"},
    [FAULT_CLOCK_SKEW] = {false, false, false, D, true, "the servers' clocks read amount ahead (behind if negative)"},
    [FAULT_CLOCK_DRIFT] = {false, false, false, P, true,
                           "the servers' clocks run amount ppm fast (slow if negative) while active"},
    [FAULT_CLOCK_JUMP] = {false, false, false, D, true, "the servers' clocks jump by amount at start"},
    [FAULT_PARTITION_STORE] = {false, false, false, N, true,
                               "the servers cannot reach the DataStore or OrderedDataStore (error 501)"},
    [FAULT_PARTITION_MESSAGING] = {false, false, false, N, true, "the servers cannot reach MessagingService"},
    [FAULT_RECEIPT_UNRECORDED] = {false, false, true, N, true,
                                  "a share (ppm) of grants are not recorded by the platform, so the "
                                  "purchase is offered again on the next join"},
};

const fault_fields *fault_kind_fields(fault_kind kind)
{
    static const fault_fields none = {false, false, false, N, false, "unknown fault"};
    return (unsigned)kind < FAULT_KIND_COUNT ? &table[kind] : &none;
}
