/* load.c: loading every scenario named on the command line. */
#include "cli/load.h"

#include <stdio.h>
#include <stdlib.h>

#include "scenarios/loader.h"

static void print_error(const loader_error *err)
{
    char buf[2200];
    loader_error_format(err, buf, sizeof buf);
    fprintf(stderr, "%s\n", buf);
}

int load_all(const char *const *paths, size_t npaths, loaded_set *set)
{
    *set = (loaded_set){0};
    char **files = NULL;
    size_t count = 0;
    loader_error err;
    /* Expand each path on its own so every bad one is reported, not just the first. */
    int status = 0;
    for (size_t i = 0; i < npaths; i++) {
        char **more = NULL;
        size_t n = 0;
        if (loader_expand_paths(&paths[i], 1, &more, &n, &err) != 0) {
            print_error(&err);
            status = -1;
            continue;
        }
        char **grown = realloc(files, (count + n) * sizeof *files);
        if (!grown) {
            loader_free_list(more, n);
            fprintf(stderr, "vstore: out of memory\n");
            status = -1;
            break;
        }
        files = grown;
        for (size_t j = 0; j < n; j++)
            files[count++] = more[j];
        free(more);
    }
    set->items = calloc(count ? count : 1, sizeof *set->items);
    if (!set->items) {
        loader_free_list(files, count);
        fprintf(stderr, "vstore: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        scenario *sc = NULL;
        if (loader_load_file(files[i], &sc, &err) != 0) {
            print_error(&err);
            status = -1;
            continue;
        }
        set->items[set->count++] = sc;
    }
    loader_free_list(files, count);
    return status;
}

void loaded_set_free(loaded_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        scenario_free(set->items[i]);
    free(set->items);
    *set = (loaded_set){0};
}
