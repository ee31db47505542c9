/* explain.c: a run's history in plain words (see explain.h). */
#include "sim/explain.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/json.h"
#include "core/text.h"
#include "sim/datastore.h"
#include "sim/world.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What a request does, as the noun of "server 1's <noun> <object> fails". */
static const struct {
    const char *what, *noun;
} request_nouns[] = {
    {"ds.get", "read of"},
    {"ds.set", "write of"},
    {"ds.update", "update of"},
    {"ds.increment", "increment of"},
    {"ds.remove", "removal of"},
    {"ds.list_versions", "listing of the versions of"},
    {"ds.get_version", "read of an old version of"},
    {"ods.get", "ordered read of"},
    {"ods.set", "ordered write of"},
    {"ods.increment", "ordered increment of"},
    {"ods.remove", "ordered removal of"},
    {"ods.get_sorted", "sorted read of"},
    {"msg.publish", "message on"},
    {"engine.join", "load for"},
    {"engine.leave", "release for"},
    {"engine.set", "set on the profile of"},
    {"engine.add", "add on the profile of"},
    {"engine.insert", "insert on the profile of"},
    {"engine.remove", "remove on the profile of"},
    {"engine.edit", "edit of the profile of"},
    {"purchase.offer", "receipt offer of purchase"},
};

/* Standalone records: the sentence, with %S for the server, %K for the key, %P for the player
 * and %V for the version (an incarnation, a version, or the server a teleport came from). */
static const struct {
    const char *what, *words;
} note_words[] = {
    {"ds.commit", "server %S's write of %K commits version %V"},
    {"ds.rerun", "server %S's update of %K runs its transform again (a write came in between)"},
    {"ds.cache_hit", "server %S reads %K from its cache (version %V)"},
    {"ds.queued", "server %S's request on %K waits in a throttle queue"},
    {"msg.delivered", "a message on %K reaches server %S"},
    {"msg.lost", "a message on %K to server %S is lost"},
    {"msg.duplicated", "a message on %K to server %S is delivered twice"},
    {"msg.dropped", "a message on %K to server %S is dropped"},
    {"server.start", "server %S starts (incarnation %V)"},
    {"server.crash", "server %S crashes"},
    {"server.freeze", "server %S freezes"},
    {"server.resume", "server %S resumes"},
    {"server.shutdown", "server %S begins to shut down"},
    {"server.stop", "server %S stops"},
    {"player.join", "player %P joins server %S"},
    {"player.leave", "player %P leaves server %S"},
    {"player.teleport", "player %P teleports from server %V to server %S"},
    {"client.snapshot", "server %S sends player %P's client a full snapshot"},
    {"client.changes", "server %S sends player %P's client changes"},
    {"client.refused", "player %P's client refuses a replication"},
    {"purchase.bought", "player %P buys %K"},
    {"purchase.recorded", "the platform records purchase %K as granted"},
    {"purchase.unrecorded", "the platform fails to record purchase %K as granted (it will offer it again)"},
    {"purchase.no_handler", "server %S has no receipt handler for purchase %K"},
    {"purchase.late_reply", "a receipt answer for purchase %K arrives after its offer ended"},
    {"purchase.extra_reply", "a second receipt answer for purchase %K is ignored"},
};

static const char *const outcome_words[] = {
    [HIST_NOTE] = "is noted",
    [HIST_INVOKE] = "starts",
    [HIST_OK] = "succeeds",
    [HIST_FAIL] = "fails",
    [HIST_UNKNOWN] = "ends without a clear outcome (it may have taken effect)",
    [HIST_CANCELLED] = "writes nothing (its transform cancelled)",
};

static void put_words(vs_text *t, const char *words, const hist_record *rec)
{
    for (const char *p = words; *p; p++) {
        if (*p != '%' || !p[1]) {
            vs_text_appendf(t, "%c", *p);
            continue;
        }
        switch (*++p) {
        case 'S': vs_text_appendf(t, "%d", rec->server); break;
        case 'K': vs_text_appendf(t, "%s", rec->key ? rec->key : "?"); break;
        case 'P': vs_text_appendf(t, "%" PRId64, rec->player); break;
        case 'V': vs_text_appendf(t, "%" PRId64, rec->version); break;
        default: vs_text_appendf(t, "%%%c", *p); break;
        }
    }
}

/* Platform requests carry the platform's error code; the engine's and the experience's carry
 * their meaning in the detail alone. */
static bool code_is_platforms(const char *what)
{
    return strncmp(what, "ds.", 3) == 0 || strncmp(what, "ods.", 4) == 0 || strncmp(what, "msg.", 4) == 0;
}

/* An event kind in words: "lease_lost" -> "lease lost". */
static const char *kind_words(const char *kind, char *buf, size_t size)
{
    size_t i = 0;
    for (; kind[i] && i + 1 < size; i++)
        buf[i] = kind[i] == '_' ? ' ' : kind[i];
    buf[i] = '\0';
    return buf;
}

void explain_record(const hist_record *rec, char *buf, size_t size)
{
    char words_buf[64];
    if (size == 0)
        return;
    vs_text t = {buf, size, 0};
    buf[0] = '\0';
    const char *noun = NULL;
    for (size_t i = 0; i < COUNT(request_nouns) && !noun; i++)
        if (strcmp(request_nouns[i].what, rec->what) == 0)
            noun = request_nouns[i].noun;
    const char *words = NULL;
    for (size_t i = 0; i < COUNT(note_words) && !words; i++)
        if (strcmp(note_words[i].what, rec->what) == 0)
            words = note_words[i].words;
    if (noun && rec->outcome != HIST_NOTE) {
        vs_text_appendf(&t, "server %d's %s ", rec->server, noun);
        if (rec->key)
            vs_text_appendf(&t, "%s", rec->key);
        else
            vs_text_appendf(&t, "player %" PRId64, rec->player);
        unsigned o = (unsigned)rec->outcome;
        vs_text_appendf(&t, " %s", o < COUNT(outcome_words) ? outcome_words[o] : "ends");
    } else if (words) {
        put_words(&t, words, rec);
    } else if (strncmp(rec->what, "event.", 6) == 0) {
        /* "event.lease_lost" -> "server 2's engine reports lease lost for player 7" */
        vs_text_appendf(&t, "server %d's engine reports %s", rec->server,
            kind_words(rec->what + 6, words_buf, sizeof words_buf));
        if (rec->player)
            vs_text_appendf(&t, " for player %" PRId64, rec->player);
        if (rec->detail && strcmp(rec->detail, kind_words(rec->what + 6, words_buf, sizeof words_buf)) == 0)
            return; /* "profile loaded: profile loaded" says it once */
    } else { /* a record this table does not know yet: its fields, unadorned */
        vs_text_appendf(&t, "%s %s on server %d", rec->what, hist_outcome_name(rec->outcome), rec->server);
        if (rec->key)
            vs_text_appendf(&t, ", key %s", rec->key);
        if (rec->player)
            vs_text_appendf(&t, ", player %" PRId64, rec->player);
    }
    if (rec->code && code_is_platforms(rec->what))
        vs_text_appendf(&t, " (code %d)", rec->code);
    if (rec->detail && *rec->detail)
        vs_text_appendf(&t, ": %s", rec->detail);
}

static bool about(const hist_record *rec, const char *key, int64_t player)
{
    return (key && rec->key && strcmp(rec->key, key) == 0) || (player && rec->player == player);
}

static bool is_lifecycle(const hist_record *rec)
{
    return strncmp(rec->what, "server.", 7) == 0;
}

typedef struct line {
    int64_t first_us, last_us;
    size_t repeats;
    char text[400];
} line;

/* The index one past the last record at or before until_us (records are in time order). */
static size_t end_of_range(const history *h, int64_t until_us)
{
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->items[mid].time_us <= until_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

char *explain_excerpt(const history *h, int64_t until_us, const char *key, int64_t player, size_t max_lines)
{
    if ((!key || !*key) && !player)
        return NULL;
    if (key && !*key)
        key = NULL;
    size_t end = end_of_range(h, until_us);
    /* The servers the subject's records name: their lifecycle belongs to the story. */
    bool named[DS_MAX_SERVERS + 1] = {false};
    for (size_t i = 0; i < end; i++) {
        const hist_record *rec = &h->items[i];
        if (about(rec, key, player) && rec->server > 0 && rec->server <= DS_MAX_SERVERS)
            named[rec->server] = true;
    }
    line *lines = calloc(max_lines ? max_lines : 1, sizeof *lines);
    uint64_t *completed = NULL; /* requests whose completion is in range (walking backwards) */
    size_t completed_count = 0, completed_cap = 0, n = 0;
    if (!lines)
        return NULL;
    for (size_t i = end; i-- > 0;) {
        const hist_record *rec = &h->items[i];
        bool lifecycle = is_lifecycle(rec) && rec->server > 0 && rec->server <= DS_MAX_SERVERS &&
                         named[rec->server];
        if (!lifecycle && !about(rec, key, player))
            continue;
        if (strcmp(rec->what, "event.retry") == 0)
            continue;
        if (rec->outcome == HIST_INVOKE) {
            bool done = false;
            for (size_t k = 0; k < completed_count && !done; k++)
                done = completed[k] == rec->request;
            if (done)
                continue;
        } else if (rec->request) {
            uint64_t *grown = vs_grow(completed, &completed_cap, sizeof *completed, completed_count + 1);
            if (grown) {
                completed = grown;
                completed[completed_count++] = rec->request;
            }
        }
        char text[sizeof lines->text];
        explain_record(rec, text, sizeof text);
        if (n > 0 && strcmp(lines[n - 1].text, text) == 0) {
            lines[n - 1].repeats++;
            lines[n - 1].first_us = rec->time_us;
            continue;
        }
        if (n == max_lines)
            break;
        lines[n] = (line){.first_us = rec->time_us, .last_us = rec->time_us, .repeats = 1};
        memcpy(lines[n].text, text, sizeof text);
        n++;
    }
    free(completed);
    vs_buf out;
    vs_buf_init(&out);
    vs_status st = VS_OK;
    for (size_t i = n; st == VS_OK && i-- > 0;) { /* oldest first */
        char at[32], to[32];
        world_format_time(lines[i].first_us, at, sizeof at);
        if (lines[i].repeats == 1) {
            st = vs_buf_printf(&out, "%s  %s\n", at, lines[i].text);
        } else {
            world_format_time(lines[i].last_us, to, sizeof to);
            st = vs_buf_printf(&out, "%s..%s  %s (%zu times)\n", at, to, lines[i].text, lines[i].repeats);
        }
    }
    free(lines);
    if (st != VS_OK || n == 0) {
        vs_buf_free(&out);
        return NULL;
    }
    return out.data; /* the caller frees it */
}
