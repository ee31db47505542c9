/* loader.h: YAML scenario files to scenario structs, with errors a person can act on.
 *
 * Every error names the file, the 1-based line and column, and what was expected:
 *   scenarios/x.yaml:12:5: unknown key 'duraton' (did you mean 'duration'?)
 * Bytes are checked before parsing (invalid UTF-8 and NUL bytes are refused, because the YAML
 * library can hang on some invalid UTF-8), anchors and aliases are resolved, and nothing is
 * defaulted silently: a missing required key is an error. */
#ifndef LOADER_H
#define LOADER_H

#include <stddef.h>

#include "scenarios/scenario.h"

typedef struct loader_error {
    char file[1024];
    int line;   /* 1-based */
    int column; /* 1-based */
    char message[1024];
} loader_error;

/* Formats "file:line:col: message" into buf. */
void loader_error_format(const loader_error *err, char *buf, size_t size);

/* Loads one file. Returns 0 and sets *out, or -1 with *err filled in (and *out NULL). */
int loader_load_file(const char *path, scenario **out, loader_error *err);

/* Loads from memory; file is only used in error messages and copied into the scenario. */
int loader_load_text(const char *file, const char *text, size_t len, scenario **out,
                     loader_error *err);

/* Expands command-line paths into a sorted list of scenario files: a file is taken as it is,
 * a folder contributes every *.yaml and *.yml file below it (recursively, sorted bytewise by
 * path). A missing path, or a folder with no scenario file, is an error. On success returns
 * 0 with *files (count *count) allocated; free with loader_free_list. */
int loader_expand_paths(const char *const *paths, size_t npaths, char ***files, size_t *count,
                        loader_error *err);
void loader_free_list(char **files, size_t count);

#endif
