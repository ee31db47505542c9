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
    case STEP_TELEPORT: return "teleport";
    case STEP_REJOIN: return "rejoin";
    case STEP_START: return "start";
    case STEP_CRASH: return "crash";
    case STEP_FREEZE: return "freeze";
    case STEP_RESUME: return "resume";
    case STEP_SHUTDOWN: return "shutdown";
    case STEP_PUBLISH: return "publish";
    case STEP_SUBSCRIBE: return "subscribe";
    case STEP_ODS_SET: return "ods_set";
    case STEP_ODS_INCREMENT: return "ods_increment";
    case STEP_ODS_CHECK: return "ods_check";
    case STEP_WAIT: return "wait";
    case STEP_EDIT: return "edit";
    case STEP_SAVE: return "save";
    case STEP_PURCHASE: return "purchase";
    case STEP_CLEAR_LEASE: return "clear_lease";
    case STEP_REPAIR: return "repair";
    case STEP_DELIVER: return "deliver";
    case STEP_DEAD_LETTER: return "dead_letter";
    case STEP_CLIENT_CHECK: return "client_check";
    case STEP_LEADERBOARD_CHECK: return "leaderboard_check";
    case STEP_COOLDOWN: return "cooldown";
    case STEP_DAILY: return "daily";
    case STEP_EFFECT_ADD: return "effect_add";
    case STEP_EFFECT_CHECK: return "effect_check";
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
        free(s->steps[i].topic);
        free(s->steps[i].text);
        free(s->steps[i].store);
        free(s->steps[i].key);
        vs_steps_free(&s->steps[i].edit);
    }
    for (size_t i = 0; i < s->expect_count; i++) {
        vs_path_free(&s->expects[i].path);
        vs_free(s->expects[i].equals);
        free(s->expects[i].counter);
    }
    free(s->platform.overrides);
    free(s->servers);
    free(s->faults);
    free(s->steps);
    free(s->expects);
    free(s->store.name);
    vs_migrations_free(&s->store.migrations);
    vs_validators_free(&s->store.validators);
    for (size_t i = 0; i < s->store.product_count; i++) {
        vs_path_free(&s->store.products[i].path);
        free(s->store.products[i].handler);
    }
    free(s->store.products);
    for (size_t i = 0; i < s->store.handler_count; i++) {
        free(s->store.handlers[i].name);
        vs_steps_free(&s->store.handlers[i].steps);
    }
    free(s->store.handlers);
    vs_public_free(&s->store.public_paths);
    free(s->store.leaderboard_store);
    for (size_t i = 0; i < s->checks_off_count; i++) {
        free(s->checks_off[i].check);
        free(s->checks_off[i].why);
    }
    free(s->checks_off);
    free(s->must_fail_check);
    free(s->must_fail_why);
    vs_path_free(&s->store.leaderboard_path);
    vs_free(s->store.template_);
    free(s->file);
    free(s->name);
    free(s);
}
