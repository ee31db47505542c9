/* workload.c: background workloads for swarm runs (see workload.h).
 *
 * What it keeps true: every event names a background player and is possible as far as the
 * plan can tell (a join goes to a player the plan has offline, every other action to one it
 * has online; a teleport goes to another server); events are in time order, strictly inside
 * the duration; the same config and random words give the same plan. */
#include "faults/workload.h"

#include <inttypes.h>
#include <stdlib.h>

#include "core/grow.h"
#include "core/text.h"

static const char *const action_names[WORKLOAD_ACTION_COUNT] = {
    [WORKLOAD_JOIN] = "join",         [WORKLOAD_LEAVE] = "leave", [WORKLOAD_SET] = "set",
    [WORKLOAD_ADD] = "add",           [WORKLOAD_TELEPORT] = "teleport",
    [WORKLOAD_SAVE] = "save",
};

const char *workload_action_name(workload_action a)
{
    return (unsigned)a < WORKLOAD_ACTION_COUNT ? action_names[a] : "?";
}

workload_config workload_config_default(int64_t duration_us, uint64_t server_ids, int64_t first_player)
{
    return (workload_config){.duration_us = duration_us,
                             .server_ids = server_ids,
                             .first_player = first_player,
                             .max_players = 6,
                             .min_gap_us = 500000,
                             .max_gap_us = 10000000,
                             .max_events = 300,
                             .max_span_us = 30 * 60 * 1000000LL};
}

void workload_plan_free(workload_plan *p)
{
    free(p->events);
    *p = (workload_plan){0};
}

typedef struct draw {
    swarm_random_fn next;
    void *ctx;
} draw;

static int64_t between(draw *d, int64_t lo, int64_t hi)
{
    return swarm_between(d->next, d->ctx, lo, hi);
}

/* The k-th (0-based) set bit of ids, as a server id. */
static int nth_server(uint64_t ids, int64_t k)
{
    for (int id = 1; id <= 64; id++)
        if ((ids >> (id - 1)) & 1u && k-- == 0)
            return id;
    return 0;
}

static int popcount(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* The index of a uniformly chosen player whose online state is `online`, or -1. */
static int pick_player(draw *d, const int *server_of, uint32_t players, bool online)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < players; i++)
        count += (server_of[i] != 0) == online;
    if (count == 0)
        return -1;
    int64_t k = between(d, 0, (int64_t)count - 1);
    for (uint32_t i = 0; i < players; i++)
        if ((server_of[i] != 0) == online && k-- == 0)
            return (int)i;
    return -1;
}

/* Fills e for one event of the chosen action; false when no player can take it now. */
static bool draw_event(draw *d, const workload_config *cfg, uint32_t players, int *server_of,
                       workload_action a, workload_event *e)
{
    int servers = popcount(cfg->server_ids);
    int i = pick_player(d, server_of, players, a != WORKLOAD_JOIN);
    if (i < 0 || servers == 0 || (a == WORKLOAD_TELEPORT && servers < 2))
        return false;
    e->action = a;
    e->player = cfg->first_player + i;
    switch (a) {
    case WORKLOAD_JOIN:
        e->server = nth_server(cfg->server_ids, between(d, 0, servers - 1));
        server_of[i] = e->server;
        break;
    case WORKLOAD_LEAVE: server_of[i] = 0; break;
    case WORKLOAD_SET: e->amount = between(d, 0, 1000); break;
    case WORKLOAD_ADD: e->amount = between(d, 1, 100); break;
    case WORKLOAD_TELEPORT: { /* any server but the current one */
        int k = (int)between(d, 0, servers - 2);
        int to = nth_server(cfg->server_ids, k);
        e->server = to == server_of[i] ? nth_server(cfg->server_ids, servers - 1) : to;
        server_of[i] = e->server;
        break;
    }
    case WORKLOAD_SAVE:
    case WORKLOAD_ACTION_COUNT: break;
    }
    return true;
}

/* Adds e to the plan; when memory runs out the plan is emptied and false returned. */
static bool append(workload_plan *out, size_t *cap, const workload_event *e)
{
    workload_event *grown = vs_grow(out->events, cap, sizeof *grown, out->count + 1);
    if (!grown) {
        workload_plan_free(out);
        return false;
    }
    out->events = grown;
    out->events[out->count++] = *e;
    return true;
}

bool workload_draw(const workload_config *cfg, swarm_random_fn next, void *ctx, workload_plan *out)
{
    *out = (workload_plan){0};
    draw d = {next, ctx};
    out->players = (uint32_t)between(&d, 0, cfg->max_players);
    out->first_player = cfg->first_player;
    if (out->players == 0 || cfg->duration_us <= 0)
        return true;
    /* Drawn in whole milliseconds, so the description reads cleanly; a long run gets longer
     * gaps, so the events stay few enough to keep a sweep quick. */
    int64_t span = cfg->max_span_us > 0 && cfg->max_span_us < cfg->duration_us ? cfg->max_span_us
                                                                              : cfg->duration_us;
    int64_t min_gap = cfg->min_gap_us, max_gap = cfg->max_gap_us;
    if (cfg->max_events && span / cfg->max_events > min_gap)
        min_gap = span / cfg->max_events;
    if (max_gap < min_gap)
        max_gap = min_gap;
    out->gap_us = between(&d, min_gap / 1000, max_gap / 1000) * 1000;
    if (out->gap_us < 2)
        out->gap_us = 2;
    uint32_t total = 0;
    for (int a = 0; a < WORKLOAD_ACTION_COUNT; a++) {
        bool on = a == WORKLOAD_JOIN || between(&d, 0, 1) == 1; /* nothing happens without joins */
        out->weights[a] = on ? (uint32_t)between(&d, 1, 5) : 0;
        total += out->weights[a];
    }
    int *server_of = calloc(out->players, sizeof *server_of); /* 0: offline */
    size_t cap = 0;
    if (!server_of)
        return false;
    for (int64_t t = between(&d, out->gap_us / 2, out->gap_us * 3 / 2); t < span;
         t += between(&d, out->gap_us / 2, out->gap_us * 3 / 2)) {
        int64_t w = between(&d, 0, (int64_t)total - 1);
        workload_action a = WORKLOAD_JOIN;
        while (w >= (int64_t)out->weights[a])
            w -= out->weights[a++];
        workload_event e = {.at_us = t};
        if (!draw_event(&d, cfg, out->players, server_of, a, &e))
            continue;
        if (!append(out, &cap, &e)) {
            free(server_of);
            return false;
        }
    }
    /* A span shorter than the run ends with everyone gone, so the rest of it is quiet. */
    for (uint32_t i = 0; span < cfg->duration_us && i < out->players; i++) {
        if (!server_of[i])
            continue;
        workload_event leave = {.at_us = span, .action = WORKLOAD_LEAVE, .player = cfg->first_player + i};
        if (!append(out, &cap, &leave)) {
            free(server_of);
            return false;
        }
        server_of[i] = 0;
    }
    free(server_of);
    return true;
}

size_t workload_describe(const workload_plan *p, char *buf, size_t size)
{
    vs_text t = {buf, buf ? size : 0, 0};
    if (t.size)
        buf[0] = '\0';
    if (p->players == 0) {
        vs_text_appendf(&t, "none");
        return t.len;
    }
    vs_text_appendf(&t, "%" PRIu32 " player%s (ids %" PRId64 "..%" PRId64 "), an event every %" PRId64
                    "ms on average (%zu events); weights:", p->players, p->players == 1 ? "" : "s",
                    p->first_player, p->first_player + p->players - 1, p->gap_us / 1000, p->count);
    bool any = false;
    for (int a = 0; a < WORKLOAD_ACTION_COUNT; a++) {
        if (p->weights[a] == 0)
            continue;
        vs_text_appendf(&t, "%s %s %" PRIu32, any ? "," : "", action_names[a], p->weights[a]);
        any = true;
    }
    return t.len;
}
