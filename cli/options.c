/* options.c: parsing of vstore's command line. */
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int cli_parse_seed_range(const char *text, uint64_t *first, uint64_t *last)
{
    const char *dots = strstr(text, "..");
    if (!dots)
        return parse_u64(text, strlen(text), first) == 0 ? (*last = *first, 0) : -1;
    if (parse_u64(text, (size_t)(dots - text), first) != 0 ||
        parse_u64(dots + 2, strlen(dots + 2), last) != 0 || *first > *last)
        return -1;
    return 0;
}

int cli_parse_options(int argc, char **argv, int first, bool allow_seeds, bool allow_json,
                      bool allow_repeat, cli_options *o, char *err, size_t err_size)
{
    *o = (cli_options){.repeat = 1};
    o->paths = calloc((size_t)(argc > 0 ? argc : 1), sizeof *o->paths);
    if (!o->paths) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--seed") == 0 || strcmp(a, "--seeds") == 0) {
            if (!allow_seeds) {
                snprintf(err, err_size, "this command takes no %s", a);
                return -1;
            }
            if (o->has_seeds) {
                snprintf(err, err_size, "give --seed or --seeds once");
                return -1;
            }
            if (!has_value || cli_parse_seed_range(argv[i + 1], &o->seed_first, &o->seed_last) != 0 ||
                (strcmp(a, "--seed") == 0 && o->seed_first != o->seed_last)) {
                snprintf(err, err_size, "%s expects %s, found '%s'", a,
                         strcmp(a, "--seed") == 0 ? "a seed (0 to 18446744073709551615)"
                                                  : "a range of seeds like 1..100",
                         has_value ? argv[i + 1] : "nothing");
                return -1;
            }
            o->has_seeds = true;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            if (!allow_json || !has_value || o->json_path) {
                snprintf(err, err_size, "%s", !allow_json ? "this command takes no --json"
                                              : o->json_path ? "give --json once"
                                                             : "--json expects a file name");
                return -1;
            }
            o->json_path = argv[++i];
        } else if (strcmp(a, "--trace") == 0) {
            if (!allow_json || !has_value || o->trace_path) {
                snprintf(err, err_size, "%s", !allow_json ? "this command takes no --trace"
                                              : o->trace_path ? "give --trace once"
                                                              : "--trace expects a file name");
                return -1;
            }
            o->trace_path = argv[++i];
        } else if (strcmp(a, "--swarm") == 0) {
            if (!allow_json || o->swarm) {
                snprintf(err, err_size, "%s", !allow_json ? "this command takes no --swarm"
                                                          : "give --swarm once");
                return -1;
            }
            o->swarm = true;
        } else if (strcmp(a, "--repeat") == 0) {
            uint64_t n = 0;
            if (!allow_repeat || !has_value || parse_u64(argv[i + 1], strlen(argv[i + 1]), &n) != 0 ||
                n == 0 || n > 1000) {
                snprintf(err, err_size, "%s", allow_repeat ? "--repeat expects a number from 1 to 1000"
                                                           : "this command takes no --repeat");
                return -1;
            }
            o->repeat = (unsigned)n;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            snprintf(err, err_size, "unknown option '%s'", a);
            return -1;
        } else {
            o->paths[o->path_count++] = a;
        }
    }
    if (o->path_count == 0) {
        snprintf(err, err_size, "no scenario file or folder given");
        return -1;
    }
    return 0;
}
