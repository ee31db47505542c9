/* scenario.c: names and destruction of the scenario model. */
#include "scenarios/scenario.h"

#include <stdlib.h>

const char *scenario_step_kind_name(scenario_step_kind kind)
{
    switch (kind) {
    case STEP_JOIN: return "join";
    case STEP_LEAVE: return "leave";
    case STEP_SET: return "set";
    case STEP_ADD: return "add";
    case STEP_INSERT: return "insert";
    case STEP_REMOVE: return "remove";
    }
    return "unknown";
}

void scenario_free(scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->step_count; i++) {
        vs_path_free(&s->steps[i].path);
        vs_free(s->steps[i].value);
    }
    for (size_t i = 0; i < s->expect_count; i++) {
        vs_path_free(&s->expects[i].path);
        vs_free(s->expects[i].equals);
    }
    free(s->steps);
    free(s->expects);
    free(s->store.name);
    vs_free(s->store.template_);
    free(s->file);
    free(s->name);
    free(s);
}
