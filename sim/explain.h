/* explain.h: a run's history in plain words, for the explanation of a failed check.
 *
 * A violation names its subject (a DataStore key, a player, or both) and its time. The excerpt
 * is the last few records about that subject up to that time, oldest first, one sentence
 * each: "8.253s  server 1 crashes". What it keeps true: the excerpt depends only on the
 * history, so the same run explains itself with the same bytes. To keep the lines few and
 * telling, an invocation is left out when its completion is in the excerpt's range (the
 * completion says the same and its outcome), a retry event is left out (the failed request
 * before it says why), and a run of identical consecutive lines is shown once with a count.
 * The lifecycle records (start, crash, freeze, resume, shutdown, stop) of every server the
 * subject's records name are part of the subject too: a crash is often the whole story. */
#ifndef EXPLAIN_H
#define EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/history.h"

/* One record as a sentence (no time), into buf. */
void explain_record(const hist_record *rec, char *buf, size_t size);

/* The last at most max_lines lines about key (the DataStore key without the store name; NULL
 * for none) or player (0 for none), up to and including until_us, each "<time>  <sentence>"
 * and ending in '\n'. Returns a string the caller frees, or NULL when nothing is about the
 * subject (or memory runs out). */
char *explain_excerpt(const history *h, int64_t until_us, const char *key, int64_t player, size_t max_lines);

#endif
