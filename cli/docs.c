/* docs.c: `vstore docs platform`: the reference of the simulated platform, made from the
 * simulator's own tables.
 *
 * docs/platform.md is this command's output, so the page cannot drift from the code: the
 * command-line checks compare the two. Every figure comes from sim/limits.h (limit_params),
 * every fault default and field from faults/fault.h and faults/fault_fields.h, every counter
 * from sim/history.h; only the prose and one YAML example per fault kind are written here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "faults/fault.h"
#include "faults/fault_fields.h"
#include "sim/history.h"
#include "sim/limits.h"

#include "cli/commands.h"


static void dur(int64_t us, char *buf, size_t size)
{
    static const char *const u[] = {"us", "ms", "s", "m", "h"};
    static const int64_t m[] = {1, 1000, 1000000, 60000000, 3600000000LL};
    if (us == 0) { snprintf(buf, size, "0s"); return; }
    int64_t a = us < 0 ? -us : us;
    int i = 4;
    while (i > 0 && a % m[i]) i--;
    snprintf(buf, size, "%s%" PRId64 "%s", us < 0 ? "-" : "", a / m[i], u[i]);
}

static void val(const limit_param *p, int64_t v, char *buf, size_t size)
{
    if (p->unit == LIMIT_DURATION) dur(v, buf, size);
    else snprintf(buf, size, "%" PRId64, v);
}

static const char *unit_name(limit_unit u)
{
    switch (u) {
    case LIMIT_COUNT: return "count";
    case LIMIT_BYTES: return "bytes";
    case LIMIT_DURATION: return "duration";
    case LIMIT_PPM: return "ppm";
    }
    return "?";
}

typedef struct { const char *kind; const char *pairs[6][2]; } example;
static const example examples[] = {
    {"store_outage", {{"start", "10s"}, {"end", "40s"}, {"code", "503"}}},
    {"error_rate", {{"start", "5s"}, {"end", "50s"}, {"op", "update"}, {"code", "502"}, {"ppm", "250000"}}},
    {"ambiguous_commit", {{"op", "update"}, {"ppm", "500000"}}},
    {"lost_response", {{"op", "set"}, {"ppm", "100000"}, {"servers", "[1]"}}},
    {"latency_spike", {{"op", "get"}, {"ppm", "200000"}, {"amount", "3s"}}},
    {"latency_tail", {{"ppm", "50000"}, {"amount", "10s"}}},
    {"budget_cut", {{"start", "30s"}, {"end", "50s"}, {"amount", "250000"}}},
    {"nil_read", {{"start", "20s"}, {"end", "21s"}, {"op", "get"}, {"ppm", "10000"}}},
    {"message_loss", {{"ppm", "500000"}}},
    {"message_delay", {{"amount", "30s"}}},
    {"message_duplication", {{"ppm", "200000"}}},
    {"message_reorder", {{"ppm", "300000"}, {"amount", "5s"}}},
    {"server_crash", {{"start", "20s"}, {"end", "50s"}, {"servers", "[1]"}}},
    {"server_freeze", {{"start", "20s"}, {"end", "35s"}}},
    {"server_shutdown", {{"start", "40s"}, {"servers", "[1]"}}},
    {"clock_skew", {{"amount", "-90s"}, {"servers", "[1]"}}},
    {"clock_drift", {{"amount", "-500"}}},
    {"clock_jump", {{"start", "30s"}, {"amount", "1h"}}},
    {"partition_store", {{"start", "10s"}, {"end", "25s"}, {"servers", "[1]"}}},
    {"partition_messaging", {{"start", "10s"}, {"end", "25s"}}},
    {"receipt_unrecorded", {{"ppm", "500000"}}},
};

static int reads(const fault_fields *ff, int f)
{
    switch (f) {
    case 0: return ff->op;
    case 1: return ff->code;
    case 2: return ff->ppm;
    case 3: return ff->amount != FAULT_AMOUNT_NONE;
    default: return ff->servers;
    }
}

static void field_default(const fault *d, const fault_fields *ff, int f, char *buf, size_t size)
{
    if (!reads(ff, f)) { snprintf(buf, size, "—"); return; }
    switch (f) {
    case 0: snprintf(buf, size, "`%s`", fault_op_name(d->op)); break;
    case 1: snprintf(buf, size, "%d", d->code); break;
    case 2: snprintf(buf, size, "%u", d->ppm); break;
    case 3:
        if (ff->amount == FAULT_AMOUNT_DURATION) { char t[32]; dur(d->amount, t, sizeof t); snprintf(buf, size, "%s", t); }
        else snprintf(buf, size, "%" PRId64 " ppm", d->amount);
        break;
    default: snprintf(buf, size, d->server_mask ? "some" : "all"); break;
    }
}

static int write_platform_page(FILE *out)
{
    fprintf(out, "<!-- Written by `vstore docs platform` from sim/limits.h (limit_params), faults/fault.h\n"
           "     (fault_default), faults/fault_fields.h (fault_kind_fields) and sim/history.h\n"
           "     (history_counter_names). Do not edit by hand: change the tables or cli/docs.c and run\n"
           "     `build/vstore docs platform > docs/platform.md`; tests/cli/run.sh compares the two. -->\n\n");
    fprintf(out, "# The simulated platform\n\n");
    fprintf(out, "What a scenario can change about the platform the engine runs on: the figures of the\n"
           "DataStore, OrderedDataStore and MessagingService (`platform:`), and what goes wrong and\n"
           "when (`faults:`); and the counters of the run's history that `count` expectations read.\n"
           "The file format of these sections is in [scenario-format.md](scenario-format.md); the\n"
           "behaviour behind the figures is described in `PLATFORM.md`. The tables below are taken\n"
           "from the simulator's own tables (`sim/limits.h`, `faults/fault.h`,\n"
           "`faults/fault_fields.h`, `sim/history.h`).\n\n");

    fprintf(out, "## Limits profiles\n\n"
           "The platform changed its limits over the years; `platform: {limits: ...}` picks the set of\n"
           "defaults, and any single figure can then be overridden by its name.\n\n"
           "| profile | what it is |\n|---|---|\n"
           "| `classic` | until mid-2023: lower budgets, a 6 s cooldown between writes to one key from one server |\n"
           "| `2023` | after the per-key write cooldown was removed |\n"
           "| `current` | 2026, the default: higher budgets, experience-wide budgets, per-key throughput limits |\n\n");
    fprintf(out, "```yaml\nplatform:\n  limits: classic\n  write_cooldown: 10s         # a duration\n"
           "  budget_get_per_player: 20   # a count\n  ds_tail_ppm: 10000          # parts per million\n"
           "  store_clock_skew: -3s       # the store's clock runs 3 s behind true time\n```\n\n");

    fprintf(out, "## Platform parameters\n\n"
           "Every key of `platform:` besides `limits` and `store_clock_skew` is one of these. The unit\n"
           "says how the value is written: a **count** or **bytes** is an integer >= 0, a **duration**\n"
           "is written with a unit (`30s`, `250ms`; no sign), **ppm** is an integer from 0 to 1000000\n"
           "(parts per million). A rate is two parameters, `NAME_base` and `NAME_per_player` (or\n"
           "`_per_server`, `_per_ccu`): per minute, `base + per_player x players`. A 0 for a whole\n"
           "limit means there is no such limit under that profile.\n\n");
    fprintf(out, "| name | unit | classic | 2023 | current | meaning |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < limit_param_count; i++) {
        const limit_param *p = &limit_params[i];
        char a[32], b[32], c[32];
        val(p, p->defaults[0], a, sizeof a);
        val(p, p->defaults[1], b, sizeof b);
        val(p, p->defaults[2], c, sizeof c);
        fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", p->name, unit_name(p->unit), a, b, c, p->doc);
    }
    fprintf(out, "\nEvery parameter written out with its `current` default (a scenario only writes the ones\n"
           "it changes):\n\n```yaml\nplatform:\n  limits: current\n  store_clock_skew: 0s\n");
    for (size_t i = 0; i < limit_param_count; i++) {
        char c[32];
        val(&limit_params[i], limit_params[i].defaults[2], c, sizeof c);
        fprintf(out, "  %s: %s\n", limit_params[i].name, c);
    }
    fprintf(out, "```\n\n");
    fprintf(out, "`store_clock_skew` is a signed duration (default `0s`): the store's own clock, used for the\n"
           "created and updated times of key info, reads true time plus this.\n\n");

    fprintf(out, "## Faults\n\n"
           "Each item of `faults:` is one misbehaviour, active from `start` (default `0s`) until `end`\n"
           "(default: never; a fault with no end is healed when the script ends, before the\n"
           "expectations are checked), aimed at `servers` (default: all). Besides `kind`, `start` and\n"
           "`end`, a fault takes only the fields its kind reads; any other is an error. Fields not\n"
           "given take the kind's defaults below.\n\n"
           "- `servers`: a list of declared server ids, each once; leave it out for every server.\n"
           "- `op`: which DataStore requests it hits: `any`");
    for (int o = 1; o < FAULT_OP_COUNT; o++)
        fprintf(out, ", `%s`", fault_op_name((fault_op)o));
    fprintf(out, ".\n"
           "- `code`: the error code the caller sees, 1..999 (see `PLATFORM.md` for which codes are\n"
           "  retried).\n"
           "- `ppm`: the share of requests or messages hit, 0..1000000 parts per million.\n"
           "- `amount`: a signed duration (`2s`, `-90s`) or a signed number of parts per million\n"
           "  (-1000000..1000000), as the kind's table row says.\n\n");
    fprintf(out, "| kind | op | code | ppm | amount | servers | what it does |\n|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < FAULT_KIND_COUNT; k++) {
        fault d = fault_default((fault_kind)k);
        const fault_fields *ff = fault_kind_fields((fault_kind)k);
        char cell[5][64];
        for (int f = 0; f < 5; f++) field_default(&d, ff, f, cell[f], sizeof cell[f]);
        fprintf(out, "| [`%s`](#%s) | %s | %s | %s | %s | %s | %s |\n", fault_kind_name((fault_kind)k),
               fault_kind_name((fault_kind)k), cell[0], cell[1], cell[2], cell[3], cell[4], ff->doc);
    }
    fprintf(out, "\nA cell gives the default of a field the kind reads; — means the kind does not read it.\n"
           "Every kind starts at `0s`, never ends and hits every server unless told otherwise.\n");
    static const char *const fname[] = {"op", "code", "ppm", "amount", "servers"};
    for (int k = 0; k < FAULT_KIND_COUNT; k++) {
        fault d = fault_default((fault_kind)k);
        const fault_fields *ff = fault_kind_fields((fault_kind)k);
        const char *name = fault_kind_name((fault_kind)k);
        fprintf(out, "\n### `%s`\n\n", name);
        char doc[512];
        snprintf(doc, sizeof doc, "%s", ff->doc);
        doc[0] = (char)(doc[0] >= 'a' && doc[0] <= 'z' ? doc[0] - 32 : doc[0]);
        fprintf(out, "%s.\n\n", doc);
        fprintf(out, "Reads `start`, `end`");
        int n = 0;
        for (int f = 0; f < 5; f++) if (reads(ff, f)) n++;
        int seen = 0;
        for (int f = 0; f < 5; f++) {
            if (!reads(ff, f)) continue;
            seen++;
            fprintf(out, "%s`%s`", seen == n ? " and " : ", ", fname[f]);
            if (f == 3) fprintf(out, " (%s)", ff->amount == FAULT_AMOUNT_DURATION ? "a signed duration" : "signed ppm");
        }
        fprintf(out, ". Defaults: ");
        int first = 1;
        for (int f = 0; f < 5; f++) {
            if (!reads(ff, f)) continue;
            char c[64];
            field_default(&d, ff, f, c, sizeof c);
            if (f == 4) snprintf(c, sizeof c, "all");
            fprintf(out, "%s%s %s", first ? "" : ", ", fname[f], c);
            first = 0;
        }
        fprintf(out, "%sstart `0s`, no end.\n\n", first ? "" : ", ");
        const example *ex = NULL;
        for (size_t i = 0; i < sizeof examples / sizeof *examples; i++)
            if (strcmp(examples[i].kind, name) == 0) ex = &examples[i];
        if (!ex) { fprintf(stderr, "no example for %s\n", name); return 1; }
        fprintf(out, "```yaml\nfaults:\n  - kind: %s\n", name);
        for (int i = 0; i < 6 && ex->pairs[i][0]; i++)
            fprintf(out, "    %s: %s\n", ex->pairs[i][0], ex->pairs[i][1]);
        fprintf(out, "```\n");
    }

    fprintf(out, "\n## Counters\n\n"
           "The run's history records every platform request twice (when it is sent, and when it\n"
           "completes: `ok`, `fail`, `unknown` when it may have taken effect, or `cancelled` for an\n"
           "update whose transform wrote nothing), and every engine event, server lifecycle change,\n"
           "message and committed write once. A `count` expectation counts the records of one\n"
           "counter, optionally only those of one player or one server:\n\n"
           "- a request counts as its name and outcome: `ds.update.unknown`, `ods.get_sorted.ok`,\n"
           "  `msg.publish.fail`; `ds.any.OUTCOME` counts every DataStore request with that outcome;\n"
           "- an engine event counts as `event.NAME`: `event.load_failed`;\n"
           "- everything else counts by its name: `ds.commit`, `msg.lost`, `server.crash`.\n\n"
           "The counters, as `sim/history.h` lists them:\n\n```\n");
    {
        const char *t = history_counter_names();
        size_t col = 0;
        while (*t) {
            size_t w = strcspn(t, " ");
            if (col && col + 1 + w > 96) { fprintf(out, "\n"); col = 0; }
            else if (col) { fprintf(out, " "); col++; }
            fprintf(out, "%.*s", (int)w, t);
            col += w;
            t += w;
            while (*t == ' ') t++;
        }
        fprintf(out, "\n```\n\n");
    }
    fprintf(out, "```yaml\nexpect:\n  - count: {counter: event.load_failed, player: 1, equals: 0}\n"
           "  - count: {counter: ds.any.unknown, at_most: 3}\n  - count: {counter: msg.lost, server: 1, at_least: 0}\n```\n");
    return 0;
}

int cmd_docs(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[2], "platform") != 0) {
        fprintf(stderr, "usage: vstore docs platform   (writes docs/platform.md to standard output)\n");
        return EXIT_USAGE;
    }
    return write_platform_page(stdout) == 0 ? EXIT_PASS : EXIT_USAGE;
}
