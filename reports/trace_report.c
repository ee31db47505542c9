/* trace_report.c: the JSON-lines trace of a run's history. */
#include "reports/trace_report.h"
#include "reports/report_file.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static vs_status optional_string(vs_buf *out, const char *key, const char *s)
{
    vs_status st = vs_buf_printf(out, ",\"%s\":", key);
    if (st != VS_OK)
        return st;
    return s ? vs_json_string(s, strlen(s), out) : vs_buf_puts(out, "null");
}

static vs_status record(const hist_record *r, vs_buf *out)
{
    vs_status st = vs_buf_printf(out, "{\"t\":%" PRId64 ",\"server\":%d,\"what\":", r->time_us, r->server);
    if (st == VS_OK) st = vs_json_string(r->what, strlen(r->what), out);
    if (st == VS_OK)
        st = vs_buf_printf(out, ",\"outcome\":\"%s\",\"request\":%" PRIu64 ",\"player\":%" PRId64,
                           hist_outcome_name(r->outcome), r->request, r->player);
    if (st == VS_OK) st = optional_string(out, "key", r->key);
    if (st == VS_OK)
        st = vs_buf_printf(out, ",\"code\":%d,\"version\":%" PRId64 ",\"hash\":\"%016" PRIx64 "\"",
                           r->code, r->version, r->hash);
    if (st == VS_OK) st = optional_string(out, "detail", r->detail);
    if (st == VS_OK) st = vs_buf_puts(out, "}\n");
    return st;
}

vs_status report_trace(const history *h, vs_buf *out)
{
    vs_status st = VS_OK;
    for (size_t i = 0; st == VS_OK && i < h->count; i++)
        st = record(&h->items[i], out);
    return st;
}

int report_trace_write(const char *path, const history *h)
{
    vs_buf b;
    vs_buf_init(&b);
    if (report_trace(h, &b) != VS_OK) {
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
