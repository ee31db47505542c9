/* history.h: what happened in a run, in order, for oracles, expectations and traces.
 *
 * Every platform request is recorded twice, as an invocation and as a completion (ok, fail,
 * unknown outcome, or cancelled), linked by a request number; every committed store write is
 * recorded with its writer and the hash of the stored value; every engine event, server
 * lifecycle change and message is recorded once. Records are appended in true-time order, and
 * each is also added to the world's fingerprint, so two runs with the same history have the
 * same fingerprint.
 *
 * Counters name groups of records for expectations ("event.load_failed",
 * "ds.update.unknown", "msg.lost"). A record's counter name is its `what`, followed by
 * "." and its outcome for completions ("ds.update" + "fail"); in a counter name "ds.any.X"
 * matches every DataStore operation. */
#ifndef HISTORY_H
#define HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/world.h"

typedef enum hist_outcome {
    HIST_NOTE,      /* a standalone record: a commit, an event, a lifecycle change */
    HIST_INVOKE,    /* a request was sent */
    HIST_OK,        /* ... and completed successfully */
    HIST_FAIL,      /* ... and failed (nothing happened, as far as the platform promises) */
    HIST_UNKNOWN,   /* ... and failed, but may have taken effect (lost answer, error after commit) */
    HIST_CANCELLED, /* ... an update whose transform wrote nothing */
} hist_outcome;

/* "note", "invoke", "ok", "fail", "unknown", "cancelled". */
const char *hist_outcome_name(hist_outcome o);

typedef struct hist_record {
    int64_t time_us;
    uint64_t request; /* links an invocation and its completion; 0 for notes */
    int server;       /* 0 when not about one server */
    const char *what; /* static text: "ds.update", "ds.commit", "event.load_failed", ... */
    hist_outcome outcome;
    int64_t player; /* 0 when not about one player */
    char *key;      /* DataStore key, topic or ordered key; NULL when none */
    int code;       /* error code, 0 when none */
    int64_t version;
    uint64_t hash;  /* committed value's hash, 0 when none */
    char *detail;   /* a short message, NULL when none */
} hist_record;

typedef struct history {
    world *w;
    hist_record *items;
    size_t count, cap;
    uint64_t next_request;
} history;

void history_init(history *h, world *w);
void history_free(history *h);

/* Records an invocation; returns its request number. */
uint64_t history_invoke(history *h, int server, const char *what, int64_t player, const char *key);
/* Records the completion of request (the what, server, player and key are copied from its
 * invocation). */
void history_complete(history *h, uint64_t request, hist_outcome outcome, int code, const char *detail);
/* Records a standalone note. */
void history_note(history *h, int server, const char *what, int64_t player, const char *key,
                  int code, int64_t version, uint64_t hash, const char *detail);

/* "event.profile_loaded", ...: the static `what` of an engine event's record. */
const char *history_event_what(int vs_event_kind_value);

/* True when name is a counter expectations may use ("event.load_failed", "ds.update.fail",
 * "ds.any.unknown", "msg.lost", "server.crash", ...). */
bool history_counter_valid(const char *name);
/* A comma-separated list of every valid counter name, for error messages and docs. */
const char *history_counter_names(void);
/* How many records match name, for player (0 = any) and server (0 = any). */
int64_t history_count(const history *h, const char *name, int64_t player, int server);

#endif
