/* status.c: names and messages of vs_status, generated from VS_STATUS_TABLE. */
#include "core/status.h"

#define NAME_ENTRY(name, message) #name,
#define MESSAGE_ENTRY(name, message) message,
static const char *const status_names[] = {VS_STATUS_TABLE(NAME_ENTRY)};
static const char *const status_messages[] = {VS_STATUS_TABLE(MESSAGE_ENTRY)};

const char *vs_status_name(vs_status status)
{
    if ((unsigned)status >= VS_STATUS_COUNT)
        return "VS_STATUS_UNKNOWN";
    return status_names[status];
}

const char *vs_status_message(vs_status status)
{
    if ((unsigned)status >= VS_STATUS_COUNT)
        return "unknown status";
    return status_messages[status];
}
