/* test_leaderboard.c: core/leaderboard against the scripted platform's OrderedDataStore
 * (tests/support/fake_platform.h). Mirroring after a save: the write, the skip when unchanged,
 * missing paths, non-integers and the +-2^53 range, failed and ambiguous writes, one write in
 * flight per player with newer values queued, the bounded cache and forgetting. The top n:
 * several pages following cursors, page sizes, fewer players than asked, foreign keys,
 * players met twice, failed pages (with what was read before), and callbacks that free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/leaderboard.h"
#include "core/path.h"
#include "core/value.h"
#include "tests/support/fake_platform.h"

#define BOARD "Wins"
#define MAX53 (INT64_C(1) << 53)

/* ---- fixture ---- */

typedef struct fixture {
    fake_platform fp;
    vs_path path;
    vs_leaderboard *lb;
} fixture;

static vs_value *json(const char *text)
{
    vs_value *v = NULL;
    if (vs_json_decode(text, strlen(text), &v, NULL) != VS_OK)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

static void open_board(fixture *f, vs_leaderboard_config cfg)
{
    vs_leaderboard_free(f->lb);
    f->lb = NULL;
    if (!cfg.store)
        cfg.store = BOARD;
    if (!cfg.path)
        cfg.path = &f->path;
    assert_int_equal(vs_leaderboard_new(&cfg, &f->lb), VS_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fake_init(&f->fp);
    assert_int_equal(vs_path_parse("Stats.Wins", &f->path), VS_OK);
    open_board(f, (vs_leaderboard_config){0});
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vs_leaderboard_free(f->lb);
    vs_path_free(&f->path);
    fake_free(&f->fp);
    free(f);
    return 0;
}

/* What done callbacks heard. */
typedef struct heard {
    int calls;
    int failures;
    int last_code;
    vs_status last_status;
    int64_t last_user;
} heard;

static void on_done(void *arg, int64_t user_id, const vs_leaderboard_error *err)
{
    heard *h = arg;
    h->calls++;
    h->last_user = user_id;
    h->last_code = err ? err->code : 0;
    h->last_status = err ? err->status : VS_OK;
    if (err) {
        h->failures++;
        assert_non_null(strstr(err->message, "failed"));
    }
}

/* Mirrors a profile given as JSON; returns the outcome (VS_OK expected). */
static vs_leaderboard_outcome mirror(fixture *f, int64_t user, const char *profile, heard *h)
{
    vs_value *data = json(profile);
    vs_leaderboard_outcome out = (vs_leaderboard_outcome)-1;
    assert_int_equal(vs_leaderboard_mirror(f->lb, &f->fp.platform, user, data, h ? on_done : NULL, h, &out),
                     VS_OK);
    vs_free(data);
    return out;
}

/* The status of mirroring a profile that must be refused. */
static vs_status mirror_status(fixture *f, int64_t user, vs_value *data)
{
    vs_leaderboard_outcome out = VS_LEADERBOARD_SENT;
    vs_status st = vs_leaderboard_mirror(f->lb, &f->fp.platform, user, data, NULL, NULL, &out);
    vs_free(data);
    return st;
}

static int64_t board_value(fixture *f, const char *key)
{
    int64_t v = 0;
    if (!fake_ods_value(&f->fp, BOARD, key, &v))
        fail_msg("no board entry %s", key);
    return v;
}

/* ------------------------------------------------------------------------------------------
 * Mirroring
 * ---------------------------------------------------------------------------------------- */

static void mirror_after_a_save_writes_the_number_at_the_path(void **state)
{
    fixture *f = *state;
    heard h = {0};
    /* What the engine does after a successful save: mirror the saved data. */
    assert_int_equal(mirror(f, 42, "{\"Stats\":{\"Wins\":7}}", &h), VS_LEADERBOARD_SENT);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    fake_request *r = fake_request_at(&f->fp, 0);
    assert_int_equal(r->kind, FAKE_ODS_SET);
    assert_string_equal(r->store, BOARD);
    assert_string_equal(r->key, "Player_42");
    assert_int_equal(r->ods_value, 7);
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 1);
    assert_false(vs_leaderboard_cached(f->lb, 42, NULL)); /* not before the answer */
    assert_int_equal(h.calls, 0);                         /* never from inside the call */
    fake_complete(&f->fp, 0, 0);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.failures, 0);
    assert_int_equal(h.last_user, 42);
    assert_int_equal(board_value(f, "Player_42"), 7);
    int64_t cached = 0;
    assert_true(vs_leaderboard_cached(f->lb, 42, &cached));
    assert_int_equal(cached, 7);
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 0);
}

static void mirror_skips_a_value_equal_to_the_last_written(void **state)
{
    fixture *f = *state;
    heard h = {0};
    mirror(f, 1, "{\"Stats\":{\"Wins\":7}}", &h);
    fake_complete_all(&f->fp);
    /* The same number, even with the rest of the profile changed: nothing sent, no callback. */
    assert_int_equal(mirror(f, 1, "{\"Stats\":{\"Wins\":7,\"Losses\":3},\"Coins\":9}", &h),
                     VS_LEADERBOARD_UNCHANGED);
    assert_int_equal(f->fp.request_count, 1);
    assert_int_equal(h.calls, 1);
    /* A new number is written; another player's equal number is its own. */
    assert_int_equal(mirror(f, 1, "{\"Stats\":{\"Wins\":8}}", &h), VS_LEADERBOARD_SENT);
    assert_int_equal(mirror(f, 2, "{\"Stats\":{\"Wins\":8}}", &h), VS_LEADERBOARD_SENT);
    assert_int_equal(f->fp.request_count, 3);
    fake_complete_all(&f->fp);
    assert_int_equal(board_value(f, "Player_1"), 8);
    assert_int_equal(board_value(f, "Player_2"), 8);
    /* Skipping compares the integer written: 8.4 rounds to the 8 already there. */
    open_board(f, (vs_leaderboard_config){.rounding = VS_LEADERBOARD_ROUND});
    mirror(f, 1, "{\"Stats\":{\"Wins\":8}}", NULL);
    fake_complete_all(&f->fp);
    assert_int_equal(mirror(f, 1, "{\"Stats\":{\"Wins\":8.4}}", NULL), VS_LEADERBOARD_UNCHANGED);
    assert_int_equal(mirror(f, 1, "{\"Stats\":{\"Wins\":8.5}}", NULL), VS_LEADERBOARD_SENT);
}

static void mirror_of_a_missing_path_writes_and_removes_nothing(void **state)
{
    fixture *f = *state;
    fake_ods_put(&f->fp, BOARD, "Player_5", 30);
    heard h = {0};
    assert_int_equal(mirror(f, 5, "{\"Stats\":{}}", &h), VS_LEADERBOARD_NO_VALUE);
    assert_int_equal(mirror(f, 5, "{}", &h), VS_LEADERBOARD_NO_VALUE);
    assert_int_equal(mirror(f, 5, "{\"Stats\":{\"Wins\":null}}", &h), VS_LEADERBOARD_NO_VALUE);
    assert_int_equal(mirror(f, 5, "{\"Stats\":[]}", &h), VS_LEADERBOARD_NO_VALUE);
    assert_int_equal(f->fp.request_count, 0);
    assert_int_equal(h.calls, 0);
    assert_int_equal(board_value(f, "Player_5"), 30);
    assert_int_equal(vs_leaderboard_cache_count(f->lb), 0);
    /* A scalar on the way is a mistake, not an absence. */
    assert_int_equal(mirror_status(f, 5, json("{\"Stats\":3}")), VS_ERR_TYPE);
    assert_int_equal(f->fp.request_count, 0);
}

static void mirror_refuses_or_rounds_non_integers_as_configured(void **state)
{
    fixture *f = *state;
    /* Refused by default: nothing sent, nothing cached. */
    assert_int_equal(mirror_status(f, 1, json("{\"Stats\":{\"Wins\":7.5}}")), VS_ERR_INVALID);
    assert_int_equal(f->fp.request_count, 0);
    assert_int_equal(vs_leaderboard_cache_count(f->lb), 0);

    struct {
        vs_leaderboard_rounding rounding;
        double in;
        int64_t out;
    } cases[] = {
        {VS_LEADERBOARD_ROUND, 7.5, 8},   {VS_LEADERBOARD_ROUND, -7.5, -8}, {VS_LEADERBOARD_ROUND, 2.4, 2},
        {VS_LEADERBOARD_ROUND, -2.6, -3}, {VS_LEADERBOARD_FLOOR, 7.9, 7},   {VS_LEADERBOARD_FLOOR, -7.1, -8},
        {VS_LEADERBOARD_FLOOR, 3, 3},     {VS_LEADERBOARD_REFUSE, -0.0, 0}, {VS_LEADERBOARD_ROUND, 0.4, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        open_board(f, (vs_leaderboard_config){.rounding = cases[i].rounding});
        vs_value *data = json("{\"Stats\":{}}");
        vs_value *stats = vs_map_get(data, "Stats");
        assert_int_equal(vs_map_set(stats, "Wins", vs_new_number(cases[i].in)), VS_OK);
        int64_t v = -99;
        bool present = false;
        assert_int_equal(vs_leaderboard_value(f->lb, data, &v, &present), VS_OK);
        assert_true(present);
        if (v != cases[i].out)
            fail_msg("case %zu: %g gave %lld, want %lld", i, cases[i].in, (long long)v,
                     (long long)cases[i].out);
        vs_free(data);
    }
    /* And what is sent is the rounded number. */
    mirror(f, 3, "{\"Stats\":{\"Wins\":41.6}}", NULL);
    assert_int_equal(fake_request_at(&f->fp, 0)->ods_value, 42);
}

static void mirror_refuses_values_beyond_two_to_the_53(void **state)
{
    fixture *f = *state;
    open_board(f, (vs_leaderboard_config){.rounding = VS_LEADERBOARD_ROUND});
    assert_int_equal(mirror(f, 1, "{\"Stats\":{\"Wins\":9007199254740992}}", NULL), VS_LEADERBOARD_SENT);
    assert_int_equal(mirror(f, 2, "{\"Stats\":{\"Wins\":-9007199254740992}}", NULL), VS_LEADERBOARD_SENT);
    assert_int_equal(fake_request_at(&f->fp, 0)->ods_value, MAX53);
    assert_int_equal(fake_request_at(&f->fp, 1)->ods_value, -MAX53);
    assert_int_equal(mirror_status(f, 3, json("{\"Stats\":{\"Wins\":9007199254740994}}")), VS_ERR_TOO_LARGE);
    assert_int_equal(mirror_status(f, 3, json("{\"Stats\":{\"Wins\":-9007199254740994}}")), VS_ERR_TOO_LARGE);
    assert_int_equal(mirror_status(f, 3, json("{\"Stats\":{\"Wins\":1e300}}")), VS_ERR_TOO_LARGE);
    vs_value *nan = json("{\"Stats\":{}}");
    assert_int_equal(vs_map_set(vs_map_get(nan, "Stats"), "Wins", vs_new_number(NAN)), VS_OK);
    assert_int_equal(mirror_status(f, 3, nan), VS_ERR_NOT_FINITE);
    vs_value *inf = json("{\"Stats\":{}}");
    assert_int_equal(vs_map_set(vs_map_get(inf, "Stats"), "Wins", vs_new_number(-INFINITY)), VS_OK);
    assert_int_equal(mirror_status(f, 3, inf), VS_ERR_NOT_FINITE);
    assert_int_equal(mirror_status(f, 3, json("{\"Stats\":{\"Wins\":\"7\"}}")), VS_ERR_TYPE);
    assert_int_equal(mirror_status(f, 3, json("{\"Stats\":{\"Wins\":true}}")), VS_ERR_TYPE);
    assert_int_equal(f->fp.request_count, 2);
    fake_complete_all(&f->fp);
    assert_int_equal(board_value(f, "Player_1"), MAX53);
}

static void failed_write_is_reported_and_written_again_next_time(void **state)
{
    fixture *f = *state;
    heard h = {0};
    mirror(f, 7, "{\"Stats\":{\"Wins\":3}}", &h);
    fake_complete_all(&f->fp);
    mirror(f, 7, "{\"Stats\":{\"Wins\":4}}", &h);
    fake_complete(&f->fp, 1, 503);
    assert_int_equal(h.calls, 2);
    assert_int_equal(h.failures, 1);
    assert_int_equal(h.last_code, 503);
    assert_int_equal(h.last_status, VS_ERR_DATASTORE);
    assert_int_equal(board_value(f, "Player_7"), 3);
    assert_false(vs_leaderboard_cached(f->lb, 7, NULL));
    /* Not retried here; the next save mirrors the same 4 again. */
    assert_int_equal(fake_open_requests(&f->fp), 0);
    assert_int_equal(mirror(f, 7, "{\"Stats\":{\"Wins\":4}}", &h), VS_LEADERBOARD_SENT);
    /* That one commits but is heard as a failure: the board has 4, the cache knows nothing. */
    fake_complete_ambiguous(&f->fp, 2, 504);
    assert_int_equal(board_value(f, "Player_7"), 4);
    assert_int_equal(h.last_code, 504);
    assert_false(vs_leaderboard_cached(f->lb, 7, NULL));
    /* Even going back to 3 (the last success) is written: the cache forgot it. */
    assert_int_equal(mirror(f, 7, "{\"Stats\":{\"Wins\":3}}", &h), VS_LEADERBOARD_SENT);
    fake_complete_all(&f->fp);
    assert_int_equal(board_value(f, "Player_7"), 3);
}

static void one_write_in_flight_per_player_and_the_newest_value_wins(void **state)
{
    fixture *f = *state;
    heard first = {0}, second = {0}, third = {0}, other = {0};
    mirror(f, 9, "{\"Stats\":{\"Wins\":1}}", &first);
    assert_int_equal(mirror(f, 9, "{\"Stats\":{\"Wins\":2}}", &second), VS_LEADERBOARD_SENT);
    assert_int_equal(mirror(f, 9, "{\"Stats\":{\"Wins\":3}}", &third), VS_LEADERBOARD_SENT);
    mirror(f, 10, "{\"Stats\":{\"Wins\":1}}", &other); /* another player is not held back */
    assert_int_equal(f->fp.request_count, 2);
    assert_int_equal(fake_request_at(&f->fp, 1)->ods_value, 1);
    assert_string_equal(fake_request_at(&f->fp, 1)->key, "Player_10");
    fake_complete(&f->fp, 0, 0);
    assert_int_equal(first.calls, 1);
    assert_int_equal(second.calls + third.calls, 0);
    /* The queued write carries the newest value; 2 is never written. */
    assert_int_equal(f->fp.request_count, 3);
    assert_int_equal(fake_request_at(&f->fp, 2)->ods_value, 3);
    fake_complete(&f->fp, 2, 0);
    assert_int_equal(second.calls, 1);
    assert_int_equal(third.calls, 1);
    assert_int_equal(second.failures + third.failures, 0);
    assert_int_equal(board_value(f, "Player_9"), 3);
    fake_complete_all(&f->fp);
    assert_int_equal(other.calls, 1);
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 0);

    /* A queued value followed by the value in flight: the queue is dropped, one write only. */
    heard a = {0}, b = {0}, c = {0};
    mirror(f, 9, "{\"Stats\":{\"Wins\":5}}", &a);
    mirror(f, 9, "{\"Stats\":{\"Wins\":6}}", &b);
    mirror(f, 9, "{\"Stats\":{\"Wins\":5}}", &c);
    size_t before = f->fp.request_count;
    fake_complete(&f->fp, before - 1, 0);
    assert_int_equal(f->fp.request_count, before);
    assert_int_equal(a.calls + b.calls + c.calls, 3);
    assert_int_equal(board_value(f, "Player_9"), 5);

    /* A failed write still sends the value queued behind it; its waiters hear the failure. */
    heard d = {0}, e = {0};
    mirror(f, 9, "{\"Stats\":{\"Wins\":7}}", &d);
    mirror(f, 9, "{\"Stats\":{\"Wins\":8}}", &e);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 503);
    assert_int_equal(d.failures, 1);
    assert_int_equal(e.calls, 0);
    assert_int_equal(fake_open_requests(&f->fp), 1);
    fake_complete_all(&f->fp);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.failures, 0);
    assert_int_equal(board_value(f, "Player_9"), 8);
}

static void the_cache_is_bounded_and_forgets_on_request(void **state)
{
    fixture *f = *state;
    open_board(f, (vs_leaderboard_config){.cache_max = 2});
    mirror(f, 1, "{\"Stats\":{\"Wins\":1}}", NULL);
    mirror(f, 2, "{\"Stats\":{\"Wins\":2}}", NULL);
    fake_complete_all(&f->fp);
    mirror(f, 1, "{\"Stats\":{\"Wins\":1}}", NULL); /* unchanged: 1 is now the most recent */
    mirror(f, 3, "{\"Stats\":{\"Wins\":3}}", NULL); /* 2, the least recent, is forgotten */
    fake_complete_all(&f->fp);
    assert_int_equal(vs_leaderboard_cache_count(f->lb), 2);
    assert_true(vs_leaderboard_cached(f->lb, 1, NULL));
    assert_false(vs_leaderboard_cached(f->lb, 2, NULL));
    assert_true(vs_leaderboard_cached(f->lb, 3, NULL));
    size_t before = f->fp.request_count;
    assert_int_equal(mirror(f, 2, "{\"Stats\":{\"Wins\":2}}", NULL), VS_LEADERBOARD_SENT); /* one extra write */
    assert_int_equal(f->fp.request_count, before + 1);
    fake_complete_all(&f->fp);

    /* Players with a write in flight are never forgotten: the bound gives way. */
    open_board(f, (vs_leaderboard_config){.cache_max = 1});
    mirror(f, 1, "{\"Stats\":{\"Wins\":10}}", NULL);
    mirror(f, 2, "{\"Stats\":{\"Wins\":20}}", NULL);
    assert_int_equal(vs_leaderboard_cache_count(f->lb), 2);
    fake_complete_all(&f->fp);
    mirror(f, 3, "{\"Stats\":{\"Wins\":30}}", NULL);
    assert_int_equal(vs_leaderboard_cache_count(f->lb), 2); /* one idle one went */
    fake_complete_all(&f->fp);

    /* forget: at once when idle; after the answer when in flight (done still called). */
    vs_leaderboard_forget(f->lb, 3);
    assert_false(vs_leaderboard_cached(f->lb, 3, NULL));
    heard h = {0};
    mirror(f, 4, "{\"Stats\":{\"Wins\":40}}", &h);
    size_t count = vs_leaderboard_cache_count(f->lb);
    vs_leaderboard_forget(f->lb, 4);
    vs_leaderboard_forget(f->lb, 12345); /* unknown: nothing */
    assert_int_equal(vs_leaderboard_cache_count(f->lb), count);
    fake_complete_all(&f->fp);
    assert_int_equal(h.calls, 1);
    assert_int_equal(vs_leaderboard_cache_count(f->lb), count - 1);
    assert_false(vs_leaderboard_cached(f->lb, 4, NULL));
    assert_int_equal(board_value(f, "Player_4"), 40);
}

static void keys_are_the_prefix_and_the_decimal_id(void **state)
{
    fixture *f = *state;
    char key[64];
    int64_t id = 0;
    vs_leaderboard_key(f->lb, 42, key, sizeof key);
    assert_string_equal(key, "Player_42");
    vs_leaderboard_key(f->lb, INT64_MIN, key, sizeof key);
    assert_string_equal(key, "Player_-9223372036854775808");
    assert_true(vs_leaderboard_parse_key(f->lb, key, &id));
    assert_true(id == INT64_MIN);
    assert_true(vs_leaderboard_parse_key(f->lb, "Player_9223372036854775807", &id));
    assert_true(id == INT64_MAX);
    assert_true(vs_leaderboard_parse_key(f->lb, "Player_0", &id));
    assert_int_equal(id, 0);
    const char *bad[] = {"Player_", "Player_042", "Player_-0", "Player_+4", "Player_4x", "Player_ 4",
                         "Player_9223372036854775808", "Player_-9223372036854775809",
                         "Player_12345678901234567890", "player_4", "Other_4", "", "Player_-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (vs_leaderboard_parse_key(f->lb, bad[i], &id))
            fail_msg("accepted \"%s\"", bad[i]);
    open_board(f, (vs_leaderboard_config){.key_prefix = "LB_"});
    mirror(f, 8, "{\"Stats\":{\"Wins\":1}}", NULL);
    assert_string_equal(fake_request_at(&f->fp, 0)->key, "LB_8");
    assert_false(vs_leaderboard_parse_key(f->lb, "Player_8", &id));
}

static void bad_configs_and_arguments_are_refused(void **state)
{
    fixture *f = *state;
    vs_leaderboard *lb = (vs_leaderboard *)1;
    vs_path root = {0};
    assert_int_equal(vs_leaderboard_new(&(vs_leaderboard_config){.path = &f->path}, &lb), VS_ERR_ARG);
    assert_null(lb);
    assert_int_equal(vs_leaderboard_new(&(vs_leaderboard_config){.store = "", .path = &f->path}, &lb), VS_ERR_ARG);
    assert_int_equal(vs_leaderboard_new(&(vs_leaderboard_config){.store = BOARD}, &lb), VS_ERR_ARG);
    assert_int_equal(vs_leaderboard_new(&(vs_leaderboard_config){.store = BOARD, .path = &root}, &lb), VS_ERR_ARG);
    /* A prefix of 30 bytes leaves room for the longest id in 50 characters; 31 does not. */
    char p31[32];
    memset(p31, 'p', 31);
    p31[31] = '\0';
    vs_leaderboard_config cfg = {.store = BOARD, .path = &f->path, .key_prefix = p31};
    assert_int_equal(vs_leaderboard_new(&cfg, &lb), VS_ERR_ARG);
    p31[30] = '\0';
    assert_int_equal(vs_leaderboard_new(&cfg, &lb), VS_OK);
    char key[64];
    vs_leaderboard_key(lb, INT64_MIN, key, sizeof key);
    assert_int_equal(strlen(key), 50);
    vs_leaderboard_free(lb);
    assert_int_equal(vs_leaderboard_new(&(vs_leaderboard_config){.store = BOARD, .path = &f->path, .page_size = 101},
                                        &lb),
                     VS_ERR_ARG);
    assert_int_equal(vs_leaderboard_new(&(vs_leaderboard_config){.store = BOARD, .path = &f->path,
                                                                 .rounding = (vs_leaderboard_rounding)7},
                                        &lb),
                     VS_ERR_ARG);
    vs_value *data = json("{\"Stats\":{\"Wins\":1}}");
    assert_int_equal(vs_leaderboard_mirror(f->lb, NULL, 1, data, NULL, NULL, NULL), VS_ERR_ARG);
    assert_int_equal(vs_leaderboard_mirror(f->lb, &f->fp.platform, 1, NULL, NULL, NULL, NULL), VS_ERR_ARG);
    vs_free(data);
    assert_int_equal(f->fp.request_count, 0);
}

/* ------------------------------------------------------------------------------------------
 * The top n
 * ---------------------------------------------------------------------------------------- */

typedef struct top_heard {
    int calls;
    size_t count;
    vs_leaderboard_entry entries[400];
    bool failed;
    int code;
    char message[200];
} top_heard;

static void on_top(void *arg, const vs_leaderboard_entry *entries, size_t count,
                   const vs_leaderboard_error *err)
{
    top_heard *t = arg;
    t->calls++;
    assert_true(count <= 400);
    t->count = count;
    if (count)
        memcpy(t->entries, entries, count * sizeof *entries);
    t->failed = err != NULL;
    t->code = err ? err->code : 0;
    snprintf(t->message, sizeof t->message, "%s", err ? err->message : "");
}

/* Puts players 1..n with value id * 10 on the board. */
static void fill(fixture *f, int64_t n)
{
    for (int64_t id = 1; id <= n; id++) {
        char key[64];
        vs_leaderboard_key(f->lb, id, key, sizeof key);
        fake_ods_put(&f->fp, BOARD, key, id * 10);
    }
}

static void top_reads_several_pages_following_cursors(void **state)
{
    fixture *f = *state;
    fill(f, 250);
    top_heard *t = calloc(1, sizeof *t);
    assert_int_equal(vs_leaderboard_top(f->lb, &f->fp.platform, 230, false, on_top, t), VS_OK);
    /* One page at a time: each page's cursor asks for the next. */
    size_t sizes[] = {100, 100, 30};
    for (size_t page = 0; page < 3; page++) {
        assert_int_equal(fake_open_requests(&f->fp), 1);
        fake_request *r = fake_request_at(&f->fp, page);
        assert_int_equal(r->kind, FAKE_ODS_SORTED);
        assert_string_equal(r->store, BOARD);
        assert_false(r->ascending);
        assert_int_equal(r->page_size, sizes[page]);
        assert_int_equal(r->has_cursor, page > 0);
        assert_true(r->min == INT64_MIN && r->max == INT64_MAX);
        assert_int_equal(t->calls, 0);
        fake_complete(&f->fp, page, 0);
    }
    assert_int_equal(t->calls, 1);
    assert_false(t->failed);
    assert_int_equal(t->count, 230);
    for (size_t i = 0; i < 230; i++) {
        assert_int_equal(t->entries[i].user_id, 250 - (int64_t)i);
        assert_int_equal(t->entries[i].value, (250 - (int64_t)i) * 10);
    }
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 0);

    /* Ascending, with a smaller configured page: 5 pages of 7 and one of 2 for 37. */
    open_board(f, (vs_leaderboard_config){.page_size = 7});
    size_t first = f->fp.request_count;
    memset(t, 0, sizeof *t);
    assert_int_equal(vs_leaderboard_top(f->lb, &f->fp.platform, 37, true, on_top, t), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(f->fp.request_count - first, 6);
    assert_int_equal(fake_request_at(&f->fp, first + 5)->page_size, 2);
    assert_int_equal(t->count, 37);
    for (size_t i = 0; i < 37; i++)
        assert_int_equal(t->entries[i].user_id, (int64_t)i + 1);
    free(t);
}

static void top_with_fewer_players_than_asked_stops_at_the_last_page(void **state)
{
    fixture *f = *state;
    top_heard *t = calloc(1, sizeof *t);
    /* An empty board: one page, nothing. */
    assert_int_equal(vs_leaderboard_top(f->lb, &f->fp.platform, 10, false, on_top, t), VS_OK);
    fake_complete_all(&f->fp);
    assert_int_equal(t->calls, 1);
    assert_false(t->failed);
    assert_int_equal(t->count, 0);
    /* 5 players, 10 asked: one page of 10 answered with 5 and no cursor. */
    fill(f, 5);
    size_t first = f->fp.request_count;
    memset(t, 0, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 10, false, on_top, t);
    fake_complete_all(&f->fp);
    assert_int_equal(f->fp.request_count - first, 1);
    assert_int_equal(t->count, 5);
    assert_int_equal(t->entries[0].user_id, 5);
    assert_int_equal(t->entries[4].user_id, 1);
    /* 205 players, 300 asked: three pages, the last one short. */
    fill(f, 205);
    first = f->fp.request_count;
    memset(t, 0, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 300, false, on_top, t);
    fake_complete_all(&f->fp);
    assert_int_equal(f->fp.request_count - first, 3);
    assert_int_equal(t->count, 205);
    /* Exactly n players: a full page that ends the board ends the read too. */
    first = f->fp.request_count;
    memset(t, 0, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 205, false, on_top, t);
    fake_complete_all(&f->fp);
    assert_int_equal(f->fp.request_count - first, 3);
    assert_int_equal(t->count, 205);
    free(t);
}

static void top_skips_keys_that_are_not_the_boards(void **state)
{
    fixture *f = *state;
    open_board(f, (vs_leaderboard_config){.page_size = 3});
    fake_ods_put(&f->fp, BOARD, "Player_1", 100);
    fake_ods_put(&f->fp, BOARD, "Guild_7", 95);
    fake_ods_put(&f->fp, BOARD, "Player_x", 90);
    fake_ods_put(&f->fp, BOARD, "Player_2", 80);
    fake_ods_put(&f->fp, BOARD, "Player_007", 70);
    fake_ods_put(&f->fp, BOARD, "Player_3", 60);
    fake_ods_put(&f->fp, BOARD, "Player_4", 50);
    fake_ods_put(&f->fp, "OtherBoard", "Player_9", 1000); /* another store */
    top_heard *t = calloc(1, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 3, false, on_top, t);
    fake_complete_all(&f->fp);
    /* Page 1 (size 3) gives one player; page 2 (size 2) gives one more (Player_2, then
     * Player_007 is skipped); page 3 (size 1) gives Player_3. */
    assert_int_equal(f->fp.request_count, 3);
    assert_int_equal(fake_request_at(&f->fp, 1)->page_size, 2);
    assert_int_equal(fake_request_at(&f->fp, 2)->page_size, 1);
    assert_int_equal(t->count, 3);
    assert_int_equal(t->entries[0].user_id, 1);
    assert_int_equal(t->entries[1].user_id, 2);
    assert_int_equal(t->entries[2].user_id, 3);
    assert_int_equal(t->entries[2].value, 60);
    free(t);
}

static void top_keeps_a_player_met_twice_at_the_first_place(void **state)
{
    fixture *f = *state;
    open_board(f, (vs_leaderboard_config){.page_size = 2});
    fake_ods_put(&f->fp, BOARD, "Player_1", 100);
    fake_ods_put(&f->fp, BOARD, "Player_2", 90);
    fake_ods_put(&f->fp, BOARD, "Player_3", 80);
    fake_ods_put(&f->fp, BOARD, "Player_4", 70);
    top_heard *t = calloc(1, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 4, false, on_top, t);
    fake_complete(&f->fp, 0, 0); /* players 1 and 2 */
    /* Between the pages player 1 drops below the cursor: the index shows it again. */
    fake_ods_put(&f->fp, BOARD, "Player_1", 75);
    fake_complete(&f->fp, 1, 0); /* players 3 and 1 (again): 1 is skipped */
    fake_complete_all(&f->fp); /* player 4 */
    assert_int_equal(f->fp.request_count, 3);
    assert_int_equal(t->count, 4);
    int64_t want[] = {1, 2, 3, 4};
    for (int i = 0; i < 4; i++)
        assert_int_equal(t->entries[i].user_id, want[i]);
    assert_int_equal(t->entries[0].value, 100); /* as first read */
    free(t);
}

static void a_failed_page_gives_the_error_and_the_pages_before_it(void **state)
{
    fixture *f = *state;
    fill(f, 150);
    top_heard *t = calloc(1, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 150, false, on_top, t);
    fake_complete(&f->fp, 0, 0);
    fake_complete(&f->fp, 1, 503);
    assert_int_equal(t->calls, 1);
    assert_true(t->failed);
    assert_int_equal(t->code, 503);
    assert_int_equal(t->count, 100);
    assert_int_equal(t->entries[99].user_id, 51);
    assert_non_null(strstr(t->message, "page 2"));
    assert_int_equal(fake_open_requests(&f->fp), 0); /* no retry, no further page */
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 0);
    /* The first page failing: nothing read. */
    memset(t, 0, sizeof *t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 5, true, on_top, t);
    fake_complete(&f->fp, fake_oldest_open(&f->fp), 305);
    assert_true(t->failed);
    assert_int_equal(t->code, 305);
    assert_int_equal(t->count, 0);
    /* Refused at once, nothing sent. */
    size_t before = f->fp.request_count;
    assert_int_equal(vs_leaderboard_top(f->lb, &f->fp.platform, 0, false, on_top, t), VS_ERR_ARG);
    assert_int_equal(vs_leaderboard_top(f->lb, &f->fp.platform, 5, false, NULL, t), VS_ERR_ARG);
    assert_int_equal(vs_leaderboard_top(f->lb, NULL, 5, false, on_top, t), VS_ERR_ARG);
    assert_int_equal(f->fp.request_count, before);
    free(t);
}

/* ------------------------------------------------------------------------------------------
 * Callbacks that act on the board
 * ---------------------------------------------------------------------------------------- */

typedef struct reentry {
    fixture *f;
    int calls;
} reentry;

static void mirror_again(void *arg, int64_t user_id, const vs_leaderboard_error *err)
{
    reentry *r = arg;
    r->calls++;
    assert_null(err);
    if (r->calls == 1) {
        assert_int_equal(mirror(r->f, user_id, "{\"Stats\":{\"Wins\":2}}", NULL), VS_LEADERBOARD_SENT);
        assert_int_equal(mirror(r->f, user_id, "{\"Stats\":{\"Wins\":2}}", NULL), VS_LEADERBOARD_SENT);
    }
}

static void free_board(void *arg, int64_t user_id, const vs_leaderboard_error *err)
{
    (void)user_id;
    (void)err;
    fixture *f = arg;
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 0);
    vs_leaderboard_free(f->lb);
    f->lb = NULL;
}

static void free_board_from_top(void *arg, const vs_leaderboard_entry *entries, size_t count,
                                const vs_leaderboard_error *err)
{
    (void)entries;
    (void)err;
    assert_int_equal(count, 3);
    free_board(arg, 0, NULL);
}

static void callbacks_may_mirror_again_or_free_the_board(void **state)
{
    fixture *f = *state;
    reentry r = {f, 0};
    mirror(f, 1, "{\"Stats\":{\"Wins\":1}}", NULL);
    vs_value *data = json("{\"Stats\":{\"Wins\":1}}");
    /* Joins the write in flight (same value). */
    assert_int_equal(vs_leaderboard_mirror(f->lb, &f->fp.platform, 1, data, mirror_again, &r, NULL), VS_OK);
    vs_free(data);
    fake_complete(&f->fp, 0, 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(f->fp.request_count, 2); /* the 2 mirrored from inside the callback */
    fake_complete_all(&f->fp);
    assert_int_equal(board_value(f, "Player_1"), 2);

    data = json("{\"Stats\":{\"Wins\":5}}");
    assert_int_equal(vs_leaderboard_mirror(f->lb, &f->fp.platform, 1, data, free_board, f, NULL), VS_OK);
    vs_free(data);
    fake_complete_all(&f->fp);
    assert_null(f->lb);

    open_board(f, (vs_leaderboard_config){0});
    fill(f, 3);
    vs_leaderboard_top(f->lb, &f->fp.platform, 10, false, free_board_from_top, f);
    fake_complete_all(&f->fp);
    assert_null(f->lb);
}

/* The server stopped: nothing will answer. Freeing the board frees what its requests held
 * (the sanitizer's leak check is the assertion). */
static void freeing_with_requests_in_flight_frees_them(void **state)
{
    fixture *f = *state;
    fill(f, 150);
    heard h = {0};
    top_heard *t = calloc(1, sizeof *t);
    mirror(f, 1, "{\"Stats\":{\"Wins\":1}}", &h);
    mirror(f, 1, "{\"Stats\":{\"Wins\":2}}", &h); /* queued */
    vs_leaderboard_top(f->lb, &f->fp.platform, 150, false, on_top, t);
    vs_leaderboard_top(f->lb, &f->fp.platform, 10, true, on_top, t);
    fake_complete(&f->fp, 1, 0); /* the first read is on its second page */
    assert_int_equal(vs_leaderboard_in_flight(f->lb), 3);
    vs_leaderboard_free(f->lb);
    f->lb = NULL;
    assert_int_equal(h.calls, 0);
    assert_int_equal(t->calls, 0);
    free(t);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(mirror_after_a_save_writes_the_number_at_the_path),
        T(mirror_skips_a_value_equal_to_the_last_written),
        T(mirror_of_a_missing_path_writes_and_removes_nothing),
        T(mirror_refuses_or_rounds_non_integers_as_configured),
        T(mirror_refuses_values_beyond_two_to_the_53),
        T(failed_write_is_reported_and_written_again_next_time),
        T(one_write_in_flight_per_player_and_the_newest_value_wins),
        T(the_cache_is_bounded_and_forgets_on_request),
        T(keys_are_the_prefix_and_the_decimal_id),
        T(bad_configs_and_arguments_are_refused),
        T(top_reads_several_pages_following_cursors),
        T(top_with_fewer_players_than_asked_stops_at_the_last_page),
        T(top_skips_keys_that_are_not_the_boards),
        T(top_keeps_a_player_met_twice_at_the_first_place),
        T(a_failed_page_gives_the_error_and_the_pages_before_it),
        T(callbacks_may_mirror_again_or_free_the_board),
        T(freeing_with_requests_in_flight_frees_them),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
