/* load.h: command-line paths to loaded scenarios, with every error printed. */
#ifndef CLI_LOAD_H
#define CLI_LOAD_H

#include <stddef.h>

#include "scenarios/scenario.h"

typedef struct loaded_set {
    scenario **items;
    size_t count;
} loaded_set;

/* Expands the paths and loads every file. Prints each error as file:line:col: message on
 * stderr. Returns 0 when everything loaded, -1 otherwise (the set then holds what did load). */
int load_all(const char *const *paths, size_t npaths, loaded_set *set);
void loaded_set_free(loaded_set *set);

#endif
