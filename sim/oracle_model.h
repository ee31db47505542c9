/* oracle_model.h: the reference model of every profile, judging no lost acknowledged data
 * and atomic transactions.
 *
 * Rules (DESIGN.md, "The guarantees", 2 and 4). The model follows each profile through its
 * sessions. When a session loads, the model starts from the data the engine loaded (after its
 * migrations). Every change the engine acknowledged (an edit, a set or add, a durable
 * operation's handler) is applied to the model's own copy by the same function, in order; a
 * refused or cancelled change is not. Then:
 *   - atomic: after every change, acknowledged or not, the engine's data in memory equals the
 *     model (a cancelled or failed edit left no trace); every data a session commits is one
 *     of the states the model passed through since the session's last committed save (no
 *     half-applied or cancelled edit reaches the store);
 *   - lost: a session that ends by releasing the profile has its last state committed; the
 *     data changes only through the session that holds it (a profile is created once, and
 *     never overwritten by a template or by anyone else). A session that ends any other way
 *     (its server crashed, stopped at the close deadline, or lost the lease) may lose only
 *     what it changed after its last committed save: the next session starts from that save.
 *     So may a session released while validation refuses its data as it is (the engine
 *     cannot write what the store would reject; it says so with validation_failed).
 * A session counts as started only when its server is the one whose commit last acquired the
 * lease (a higher generation, as the lease oracle follows it): a load answered after another server took the lease over (its
 * answer held up while its server was frozen) has lost the profile already, and is not
 * followed. A removal forgets the key; so does a repair or a lease clearing (an operator's edit, which
 * the model cannot follow): the next committed data is taken as it is.
 *
 * Values are compared whole; the model keeps only the hashes of the states it passed through
 * since the last one found committed, so memory stays proportional to the live sessions. */
#ifndef ORACLE_MODEL_H
#define ORACLE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/value.h"
#include "sim/oracle.h"
#include "sim/strmap.h"

typedef struct model_oracle {
    strmap keys;           /* "store\x1fkey" -> model_key */
    oracle_verdict lost;   /* check "data" */
    oracle_verdict atomic; /* check "atomic" */
} model_oracle;

/* A change the engine acknowledged, applied to the model's copy (like vs_edit_fn). */
typedef vs_status (*model_change_fn)(void *arg, vs_value *draft);

void model_oracle_init(model_oracle *o);
void model_oracle_free(model_oracle *o);

/* A session on server became active with data (the engine's, after migrations). acquirer is
 * the server whose commit acquired the key's newest lease generation (lease_oracle_acquirer;
 * 0 when not known): when it is another server, this load is stale and ignored. */
void model_oracle_loaded(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         const vs_value *data, int acquirer);
/* The session on server acknowledged a change: the model applies fn(arg) to its copy. what
 * names the change for messages ("edit", "op grant-1"). */
void model_oracle_change(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         model_change_fn fn, void *arg, const char *what);
/* After an attempted change (acknowledged or not), the engine's data in memory on server. */
void model_oracle_memory(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         const vs_value *data, const char *what);
/* The session on server released the profile (its last save is confirmed). */
void model_oracle_released(model_oracle *o, int64_t time_us, int server, const char *full_key);
/* The engine's validation refused the data of the session on server as it is now (it emitted
 * validation_failed): until the data changes again, a release that cannot write it may lose
 * what came after the last committed save, as DESIGN.md says ("a failed validation refuses
 * the save"), rather than being judged a loss. */
void model_oracle_refused(model_oracle *o, int server, const char *full_key);
/* The session on server ended without a release (lease lost): only its saves count. */
void model_oracle_ended(model_oracle *o, int server, const char *full_key);
/* Server stopped (a crash, or the end of a shutdown): its sessions acknowledge and release
 * nothing more, and may lose only what came after their last committed save. A save one of
 * them sent before the stop may still commit; a later incarnation of the same server starts
 * its sessions afresh (its release of a profile it never loaded is not theirs). */
void model_oracle_server_stopped(model_oracle *o, int64_t time_us, int server);
/* An operator edits the key outside any session (repair, clear_lease). */
void model_oracle_forget(model_oracle *o, const char *full_key);
/* A write committed (document NULL for a removal), with the hash of its data (vs_value_hash
 * of its "data", as the DataStore's digest of the commit gives it; NULL when it has none). */
void model_oracle_commit(model_oracle *o, int64_t time_us, int server, const char *full_key,
                         const vs_value *document, const uint64_t *data_hash);

#endif
