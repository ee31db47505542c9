/* test_explain.c: the history excerpt that explains a violation. Records are put in plain
 * words (requests by outcome, notes, engine events, records the table does not know); an
 * excerpt keeps only the subject's records (its key, its player, and the lifecycle of the
 * servers they name), stops at the violation's time, leaves out a completed request's
 * invocation and retry events, folds identical consecutive lines into one with a count, and
 * keeps the last lines when there are more than asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/explain.h"
#include "sim/history.h"
#include "sim/world.h"

typedef struct fixture {
    world w;
    history h;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || !world_init(&f->w, 1))
        return -1;
    history_init(&f->h, &f->w);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    history_free(&f->h);
    world_free(&f->w);
    free(f);
    return 0;
}

static void at(fixture *f, double seconds)
{
    f->w.now_us = (int64_t)(seconds * 1e6);
}

/* The sentence for the last record added. */
static const char *last_words(fixture *f)
{
    static char buf[400];
    explain_record(&f->h.items[f->h.count - 1], buf, sizeof buf);
    return buf;
}

static void requests_are_told_by_their_outcome(void **state)
{
    fixture *f = *state;
    uint64_t req = history_invoke(&f->h, 1, "ds.update", 0, "Player_1");
    assert_string_equal(last_words(f), "server 1's update of Player_1 starts");
    history_complete(&f->h, req, HIST_FAIL, 503, "the DataStore is not answering");
    assert_string_equal(last_words(f), "server 1's update of Player_1 fails (code 503): the DataStore is not answering");
    req = history_invoke(&f->h, 2, "ds.set", 0, "Player_1");
    history_complete(&f->h, req, HIST_UNKNOWN, 504, NULL);
    assert_string_equal(last_words(f), "server 2's write of Player_1 ends without a clear outcome (it may have "
                                       "taken effect) (code 504)");
    req = history_invoke(&f->h, 2, "ds.update", 0, "Player_1");
    history_complete(&f->h, req, HIST_CANCELLED, 0, NULL);
    assert_string_equal(last_words(f), "server 2's update of Player_1 writes nothing (its transform cancelled)");
    /* an engine call names the player and keeps its code to itself: the detail says it */
    req = history_invoke(&f->h, 1, "engine.join", 7, NULL);
    history_complete(&f->h, req, HIST_FAIL, 14, "the player left before the profile loaded");
    assert_string_equal(last_words(f), "server 1's load for player 7 fails: the player left before the profile loaded");
}

static void notes_and_events_are_told_in_words(void **state)
{
    fixture *f = *state;
    history_note(&f->h, 3, "server.start", 0, NULL, 0, 2, 0, NULL);
    assert_string_equal(last_words(f), "server 3 starts (incarnation 2)");
    history_note(&f->h, 3, "server.crash", 0, NULL, 0, 2, 0, NULL);
    assert_string_equal(last_words(f), "server 3 crashes");
    history_note(&f->h, 1, "ds.commit", 0, "Player_4", 0, 9, 0xabc, NULL);
    assert_string_equal(last_words(f), "server 1's write of Player_4 commits version 9");
    history_note(&f->h, 2, "player.teleport", 4, NULL, 0, 1, 0, NULL);
    assert_string_equal(last_words(f), "player 4 teleports from server 1 to server 2");
    history_note(&f->h, 1, "purchase.unrecorded", 4, "P-1", 0, 0, 0, NULL);
    assert_string_equal(last_words(f), "the platform fails to record purchase P-1 as granted (it will offer it again)");
    history_note(&f->h, 2, "event.lease_lost", 4, NULL, 0, 0, 0, "another server took the profile");
    assert_string_equal(last_words(f), "server 2's engine reports lease lost for player 4: another server took the profile");
    history_note(&f->h, 2, "event.profile_loaded", 4, NULL, 0, 0, 0, "profile loaded");
    assert_string_equal(last_words(f), "server 2's engine reports profile loaded for player 4");
}

static void an_unknown_record_keeps_its_fields(void **state)
{
    (void)state;
    hist_record rec = {.time_us = 0, .server = 2, .what = "ds.something_new", .outcome = HIST_NOTE,
                       .player = 3, .key = "K"};
    char buf[200];
    explain_record(&rec, buf, sizeof buf);
    assert_string_equal(buf, "ds.something_new note on server 2, key K, player 3");
    char small[8];
    explain_record(&rec, small, sizeof small); /* cut short, never past the end */
    assert_string_equal(small, "ds.some");
}

static void an_excerpt_keeps_the_subject_and_its_servers_lifecycle(void **state)
{
    fixture *f = *state;
    at(f, 0);
    history_note(&f->h, 1, "server.start", 0, NULL, 0, 1, 0, NULL);
    history_note(&f->h, 2, "server.start", 0, NULL, 0, 1, 0, NULL);
    at(f, 1);
    history_note(&f->h, 1, "player.join", 1, NULL, 0, 0, 0, NULL);
    history_note(&f->h, 2, "player.join", 2, NULL, 0, 0, 0, NULL); /* another player */
    uint64_t other = history_invoke(&f->h, 2, "ds.update", 0, "Player_2");
    history_complete(&f->h, other, HIST_OK, 0, NULL);
    at(f, 2);
    uint64_t req = history_invoke(&f->h, 1, "ds.update", 0, "Player_1");
    at(f, 2.5);
    history_complete(&f->h, req, HIST_OK, 0, NULL);
    at(f, 3);
    history_note(&f->h, 2, "server.crash", 0, NULL, 0, 1, 0, NULL); /* server 2 is not named */
    history_note(&f->h, 1, "server.crash", 0, NULL, 0, 1, 0, NULL);
    at(f, 9);
    history_note(&f->h, 1, "server.start", 0, NULL, 0, 2, 0, NULL); /* after the violation */
    char *text = explain_excerpt(&f->h, 3000000, "Player_1", 1, 10);
    assert_non_null(text);
    assert_string_equal(text, "0s  server 1 starts (incarnation 1)\n"
                              "1s  player 1 joins server 1\n"
                              "2.5s  server 1's update of Player_1 succeeds\n"
                              "3s  server 1 crashes\n");
    free(text);
    /* a request still on its way at the violation shows its invocation */
    text = explain_excerpt(&f->h, 2000000, "Player_1", 0, 10);
    assert_non_null(text);
    assert_non_null(strstr(text, "2s  server 1's update of Player_1 starts\n"));
    free(text);
}

static void repeats_fold_retries_are_left_out_and_the_last_lines_stay(void **state)
{
    fixture *f = *state;
    at(f, 1);
    history_note(&f->h, 1, "player.join", 1, NULL, 0, 0, 0, NULL);
    for (int i = 0; i < 5; i++) {
        at(f, 2 + i);
        uint64_t req = history_invoke(&f->h, 1, "ds.update", 0, "Player_1");
        history_complete(&f->h, req, HIST_FAIL, 503, "the DataStore is not answering");
        history_note(&f->h, 1, "event.retry", 1, NULL, 503, 0, 0, "the DataStore is not answering");
    }
    at(f, 8);
    history_note(&f->h, 1, "player.leave", 1, NULL, 0, 0, 0, NULL);
    char *text = explain_excerpt(&f->h, 8000000, "Player_1", 1, 10);
    assert_non_null(text);
    assert_string_equal(text, "1s  player 1 joins server 1\n"
                              "2s..6s  server 1's update of Player_1 fails (code 503): the DataStore is not "
                              "answering (5 times)\n"
                              "8s  player 1 leaves server 1\n");
    free(text);
    text = explain_excerpt(&f->h, 8000000, "Player_1", 1, 2);
    assert_non_null(text);
    assert_string_equal(text, "2s..6s  server 1's update of Player_1 fails (code 503): the DataStore is not "
                              "answering (5 times)\n"
                              "8s  player 1 leaves server 1\n");
    free(text);
}

static void nothing_about_the_subject_gives_no_excerpt(void **state)
{
    fixture *f = *state;
    history_note(&f->h, 1, "player.join", 2, NULL, 0, 0, 0, NULL);
    assert_null(explain_excerpt(&f->h, 10000000, "Player_1", 1, 10));
    assert_null(explain_excerpt(&f->h, 10000000, NULL, 0, 10));
    assert_null(explain_excerpt(&f->h, 10000000, "", 0, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(requests_are_told_by_their_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(notes_and_events_are_told_in_words, setup, teardown),
        cmocka_unit_test(an_unknown_record_keeps_its_fields),
        cmocka_unit_test_setup_teardown(an_excerpt_keeps_the_subject_and_its_servers_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(repeats_fold_retries_are_left_out_and_the_last_lines_stay, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(nothing_about_the_subject_gives_no_excerpt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
