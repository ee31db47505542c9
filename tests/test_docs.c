/* test_docs.c: every YAML example in docs/ is real.
 *
 * Each ```yaml block of every .md file in docs/ is loaded. A block with top-level `name:` and
 * `script:` is a whole scenario: it must load and its run must pass. Any other block is a fragment of top-level
 * keys: the keys it lacks are taken from a small base scenario, and the result must load. So a
 * field the docs describe cannot drift from what the loader accepts. */
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
#include "scenarios/loader.h"
#include "scenarios/runner.h"

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
        assert_true(runner_run(sc, sc->seed, &r));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_yaml_example_in_docs_is_valid),
        cmocka_unit_test(a_bad_example_is_caught),
    };
    return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
