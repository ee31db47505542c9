/* test_docs.c: every YAML example in docs/ is real.
 *
 * Each ```yaml block of every .md file in docs/ is loaded. A block with top-level `name:` and
 * `script:` is a whole scenario: it must load and its run must pass. Any other block is a fragment of top-level
 * keys: the keys it lacks are taken from a small base scenario, and the result must load. So a
 * field the docs describe cannot drift from what the loader accepts. And every platform
 * parameter (sim/limits.h) and every fault kind (faults/fault.h) appears in some ```yaml block,
 * so each has an example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>

#include "core/json.h"
#include "faults/fault.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"
#include "sim/limits.h"

/* One top-level key per line, so a fragment can replace any of them. */
static const char *const base_lines[] = {
    "name: docs example\n",
    "duration: 1m\n",
    "store: {name: PlayerData, template: {Coins: 0, Code: \"\", Wallet: {Coins: 0}, Inventory: []}}\n",
    "script: []\n",
};

/* True when the block has `key:` at the start of a line. */
static bool has_top_key(const char *block, const char *line)
{
    size_t klen = strcspn(line, ":") + 1; /* "name:" */
    for (const char *p = block; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, line, klen) == 0)
            return true;
    return false;
}

static int check_block(const char *doc, int line, const char *block)
{
    vs_buf text;
    vs_buf_init(&text);
    vs_buf_puts(&text, block);
    bool whole = has_top_key(block, "name:") && has_top_key(block, "script:");
    if (!whole)
        for (size_t i = 0; i < sizeof base_lines / sizeof *base_lines; i++)
            if (!has_top_key(block, base_lines[i]))
                vs_buf_puts(&text, base_lines[i]);
    char where[512];
    snprintf(where, sizeof where, "%s (block at line %d)", doc, line);
    scenario *sc = NULL;
    loader_error err;
    int failures = 0;
    if (loader_load_text(where, text.data, text.len, &sc, &err) != 0) {
        char msg[2200];
        loader_error_format(&err, msg, sizeof msg);
        print_error("docs example does not load: %s\n", msg);
        failures++;
    } else if (whole) {
        run_result r;
        assert_true(runner_run(sc, sc->seed, NULL, &r));
        if (!run_result_passed(&r)) {
            print_error("docs example %s fails: %s: %s\n", where, r.failures[0].check,
                        r.failures[0].message);
            failures++;
        }
        run_result_free(&r);
    }
    scenario_free(sc);
    vs_buf_free(&text);
    return failures;
}

static int check_doc(const char *path, int *blocks)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    vs_buf block;
    vs_buf_init(&block);
    bool in_yaml = false;
    int lineno = 0, start = 0, failures = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!in_yaml && strncmp(line, "```yaml", 7) == 0) {
            in_yaml = true;
            start = lineno + 1;
            vs_buf_clear(&block);
        } else if (in_yaml && strncmp(line, "```", 3) == 0) {
            in_yaml = false;
            failures += check_block(path, start, block.data);
            (*blocks)++;
        } else if (in_yaml) {
            vs_buf_puts(&block, line);
        }
    }
    fclose(f);
    vs_buf_free(&block);
    return failures;
}

static void every_yaml_example_in_docs_is_valid(void **state)
{
    DIR *d = opendir("docs");
    assert_non_null(d);
    struct dirent *e;
    int blocks = 0, failures = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".md") != 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "docs/%s", e->d_name);
        failures += check_doc(path, &blocks);
    }
    closedir(d);
    assert_true(blocks >= 10); /* the reference has examples; finding none means a broken test */
    assert_int_equal(failures, 0);
}

/* The checker itself must fire on a bad example. */
static void a_bad_example_is_caught(void **state)
{
    assert_int_equal(check_block("inline", 1, "duraton: 1m\n"), 1);
    assert_int_equal(check_block("inline", 1,
                                 "name: fails\nduration: 1m\nstore: {name: P, template: {C: 0}}\n"
                                 "script: []\nexpect:\n  - stored: {player: 1, path: C, equals: 1}\n"),
                     1);
    assert_int_equal(check_block("inline", 1, "duration: 2m\n"), 0);
}

/* Appends every ```yaml block of the file to out. */
static void yaml_blocks_of(const char *path, vs_buf *out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    bool in_yaml = false;
    while (fgets(line, sizeof line, f)) {
        if (!in_yaml && strncmp(line, "```yaml", 7) == 0)
            in_yaml = true;
        else if (in_yaml && strncmp(line, "```", 3) == 0)
            in_yaml = false;
        else if (in_yaml)
            vs_buf_puts(out, line);
    }
    fclose(f);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* True when word is in text as a whole name (no name character just before or after). */
static bool has_name(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || !name_char(p[-1])) && !name_char(p[n]))
            return true;
    return false;
}

/* How many of names are in no example (each one is printed). */
static int names_without_example(const char *yaml, const char *const *names, size_t n)
{
    int missing = 0;
    for (size_t i = 0; i < n; i++) {
        if (!has_name(yaml, names[i])) {
            print_error("no ```yaml example in docs/ uses '%s'\n", names[i]);
            missing++;
        }
    }
    return missing;
}

static void every_parameter_and_fault_kind_has_an_example(void **state)
{
    (void)state;
    vs_buf yaml;
    vs_buf_init(&yaml);
    DIR *d = opendir("docs");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".md") != 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "docs/%s", e->d_name);
        yaml_blocks_of(path, &yaml);
    }
    closedir(d);
    assert_non_null(yaml.data);

    size_t count = limit_param_count + FAULT_KIND_COUNT;
    const char **names = malloc(count * sizeof *names);
    assert_non_null(names);
    for (size_t i = 0; i < limit_param_count; i++)
        names[i] = limit_params[i].name;
    for (int k = 0; k < FAULT_KIND_COUNT; k++)
        names[limit_param_count + (size_t)k] = fault_kind_name((fault_kind)k);
    assert_int_equal(names_without_example(yaml.data, names, count), 0);

    /* the check fires: with every "clock_jump" in the examples made unreadable, exactly that
     * kind lacks an example; a name inside a longer name does not count */
    char *blurred = strdup(yaml.data);
    assert_non_null(blurred);
    for (char *p = strstr(blurred, "clock_jump"); p; p = strstr(p, "clock_jump"))
        memcpy(p, "clock_XXXX", 10);
    assert_int_equal(names_without_example(blurred, names, count), 1);
    static const char *const two[] = {"cache_ttl", "budget_get_base"};
    assert_int_equal(names_without_example("platform: {xcache_ttl: 1s, budget_get_base_2: 3}\n",
                                           two, 2),
                     2);
    assert_int_equal(names_without_example("platform: {cache_ttl: 1s, budget_get_base: 3}\n",
                                           two, 2),
                     0);
    free(blurred);
    free(names);
    vs_buf_free(&yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_yaml_example_in_docs_is_valid),
        cmocka_unit_test(a_bad_example_is_caught),
        cmocka_unit_test(every_parameter_and_fault_kind_has_an_example),
    };
    return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
