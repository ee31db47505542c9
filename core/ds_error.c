/* ds_error.c: lookups in the DataStore error table. */
#include "core/ds_error.h"

#include <stddef.h>

typedef struct row {
    int code;
    const char *name;
    vs_ds_class cls;
    const char *message;
} row;

#define ROW(code, name, cls, message) {code, #name, VS_DS_CLASS_##cls, message},
static const row rows[] = {VS_DS_ERROR_TABLE(ROW)};
#undef ROW

static const row *find(int code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code)
            return &rows[i];
    return NULL;
}

vs_ds_class vs_ds_classify(int code)
{
    if (code == 0)
        return VS_DS_CLASS_OK;
    const row *r = find(code);
    return r ? r->cls : VS_DS_CLASS_UNKNOWN;
}

const char *vs_ds_error_name(int code)
{
    if (code == 0)
        return "OK";
    const row *r = find(code);
    return r ? r->name : "Unknown";
}

const char *vs_ds_error_message(int code)
{
    if (code == 0)
        return "ok";
    const row *r = find(code);
    return r ? r->message : "an error code the platform does not document";
}

const char *vs_ds_class_name(vs_ds_class cls)
{
    switch (cls) {
    case VS_DS_CLASS_OK: return "ok";
    case VS_DS_CLASS_CALLER: return "caller";
    case VS_DS_CLASS_TRANSIENT: return "transient";
    case VS_DS_CLASS_SHUTDOWN: return "shutdown";
    case VS_DS_CLASS_UNKNOWN: return "unknown";
    }
    return "unknown";
}
