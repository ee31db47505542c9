/* oracle.h: what every oracle keeps of its violations, and the helpers they share.
 *
 * An oracle counts every violation and explains the first one, with its time, in plain words;
 * the runner reports it under the oracle's check name. Keys are "store\x1fkey", as the
 * simulated DataStore names them; messages show the key alone. */
#ifndef ORACLE_H
#define ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/value.h"

typedef struct oracle_verdict {
    int64_t violations;
    int64_t first_time_us;
    char first[512];     /* the first violation, explained; "" when none */
    char first_key[160]; /* its DataStore key ("store\x1fkey"); "" when it is about no key */
    int64_t first_player; /* the player it is about; 0 when none (or only the key is known) */
} oracle_verdict;

/* Counts a violation about full_key (NULL when none) and player (0 when none); the first
 * one's message (printf-formatted), time and subject are kept, so that the runner can show
 * the history that led to it. */
void oracle_violation(oracle_verdict *v, int64_t time_us, const char *full_key, int64_t player,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The key of "store\x1fkey", for messages. */
const char *oracle_key_name(const char *full_key);

/* Where two values first differ, in plain words, into buf: "at 'Coins': 150 against 100"
 * (a's value first). Maps are walked in canonical order, arrays by index (1-based, as paths
 * are); long values are cut short. "no difference" when they are equal. */
void oracle_first_difference(const vs_value *a, const vs_value *b, char *buf, size_t size);

#endif
