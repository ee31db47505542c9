/* json_report.c: the JSON report, built with the engine's canonical string escaping. */
#include "reports/json_report.h"
#include "reports/report_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static vs_status key_string(vs_buf *out, const char *key, const char *value, bool comma)
{
    vs_status st = vs_buf_printf(out, "%s\"%s\":", comma ? "," : "", key);
    if (st == VS_OK)
        st = vs_json_string(value, strlen(value), out);
    return st;
}

/* ,"history":[lines] (an empty array when the failure has none). */
static vs_status history_lines(vs_buf *out, const char *history)
{
    vs_status st = vs_buf_puts(out, ",\"history\":[");
    bool first = true;
    for (const char *line = history ? history : ""; st == VS_OK && *line; first = false) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        st = first ? VS_OK : vs_buf_puts(out, ",");
        if (st == VS_OK)
            st = vs_json_string(line, n, out);
        line += n + (end != NULL);
    }
    return st == VS_OK ? vs_buf_puts(out, "]") : st;
}

static vs_status run_json(const run_result *r, vs_buf *out)
{
    vs_status st = vs_buf_puts(out, "{");
    if (st == VS_OK) st = key_string(out, "scenario", r->scenario, false);
    if (st == VS_OK) st = key_string(out, "name", r->name, true);
    if (st == VS_OK) st = vs_buf_printf(out, ",\"seed\":%" PRIu64, r->seed);
    if (st == VS_OK) st = key_string(out, "status", run_result_passed(r) ? "pass" : "fail", true);
    if (st == VS_OK) st = key_string(out, "fingerprint", r->fingerprint, true);
    if (st == VS_OK)
        st = vs_buf_printf(out, ",\"events\":%" PRIu64 ",\"sim_time_us\":%" PRId64 ",\"swarm\":%s",
                           r->events, r->sim_time_us, r->swarm ? "true" : "false");
    if (st == VS_OK)
        st = r->swarm_faults ? key_string(out, "swarm_faults", r->swarm_faults, true)
                             : vs_buf_puts(out, ",\"swarm_faults\":null");
    if (st == VS_OK)
        st = r->swarm_workload ? key_string(out, "swarm_workload", r->swarm_workload, true)
                               : vs_buf_puts(out, ",\"swarm_workload\":null");
    if (st == VS_OK)
        st = vs_buf_puts(out, ",\"failures\":[");
    for (size_t i = 0; st == VS_OK && i < r->failure_count; i++) {
        st = vs_buf_puts(out, i ? ",{" : "{");
        if (st == VS_OK) st = key_string(out, "check", r->failures[i].check, false);
        if (st == VS_OK) st = key_string(out, "message", r->failures[i].message, true);
        if (st == VS_OK) st = history_lines(out, r->failures[i].history);
        if (st == VS_OK) st = vs_buf_puts(out, "}");
    }
    if (st == VS_OK)
        st = vs_buf_puts(out, "]}");
    return st;
}

vs_status report_json(const run_result *runs, size_t count, vs_buf *out)
{
    size_t passed = 0;
    vs_status st = vs_buf_puts(out, "{\"runs\":[");
    for (size_t i = 0; st == VS_OK && i < count; i++) {
        if (i)
            st = vs_buf_puts(out, ",");
        if (st == VS_OK)
            st = run_json(&runs[i], out);
        passed += run_result_passed(&runs[i]);
    }
    if (st == VS_OK)
        st = vs_buf_printf(out, "],\"summary\":{\"runs\":%zu,\"passed\":%zu,\"failed\":%zu}}\n",
                           count, passed, count - passed);
    return st;
}

int report_json_write(const char *path, const run_result *runs, size_t count)
{
    vs_buf b;
    vs_buf_init(&b);
    if (report_json(runs, count, &b) != VS_OK) {
        vs_buf_free(&b);
        errno = ENOMEM;
        return -1;
    }
    int rc = report_write_file(path, &b);
    int err = errno;
    vs_buf_free(&b);
    errno = err;
    return rc;
}
