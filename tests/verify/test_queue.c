/* test_queue.c - the verification queue and decisions on real SQLite
 * files: loading, claims and a race between two connections, four eyes,
 * roles, write-ins, commit and undo, a kill -9 during decisions, and tamper
 * evidence of a decision. */
#include "fixture.h"
#include "testutil.h"

#include "core/error.h"
#include "verify/decision.h"
#include "verify/queue.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *path;

static void setup(void)
{
    path = fx_copy();
}

static void teardown(void)
{
    fx_copy_remove();
}

static vq_batch_state *state(st_db *db)
{
    vq_batch_state *s = NULL;
    ck_assert_msg(vq_batch_state_get(&s, db, "b1", vq_now_ms()) == 0, "%s", err_message());
    return s;
}

START_TEST(load_makes_an_item_per_review_record)
{
    st_db *db = fx_open(path);
    vq_batch_state *s = state(db);
    ck_assert_int_eq(s->n_items, 6);
    ck_assert_int_eq(s->n_review, 4);
    ck_assert_int_eq(s->n_pending, 4);
    ck_assert_int_eq(s->items[0].state, VQ_ITEM_MACHINE);
    ck_assert_int_eq(s->items[1].state, VQ_ITEM_OPEN);
    ck_assert_ptr_null(s->items[1].record); /* not parsed until asked for */
    ck_assert_int_eq(vq_item_record_load(db, &s->items[1]), 0);
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(s->items[1].record, "reasons"), 0)),
                     "writing_in_field");
    vq_batch_state_free(s);
    st_page *pages = NULL;
    int n = 0;
    ck_assert_int_eq(st_page_list(&pages, &n, db, "b1", "b1.tif#1"), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(pages[1].archive_path, "/archive/b1.tif");
    ck_assert_int_eq(pages[1].file_page, 2);
    ck_assert_str_eq(pages[1].side, "outside");
    st_pages_free(pages, n);
    /* The record is stored byte for byte (the \r of line 5 is a line end). */
    st_record *r = NULL;
    ck_assert_int_eq(st_record_get(&r, db, FX_BLANK), 0);
    ck_assert_ptr_null(strchr(r->record, '\r'));
    ck_assert_ptr_nonnull(strstr(FX_RECORDS, r->record));
    st_record_free(r);
    st_db_close(db);
}
END_TEST

START_TEST(bad_batch_is_refused_whole)
{
    st_db *db = fx_open(path);
    vq_batch_info info = {"b2", "KS", "0001", "VO", NULL};
    const char *bad = "{\"sheet\":\"x#1\",\"outcome\":\"review\"}\n"
                      "{\"sheet\":\"x#2\",\"outcome\":\"rejected\"}\n";
    ck_assert_int_eq(vq_batch_load(NULL, NULL, db, "system", &info, bad, "x.jsonl"),
                     TELLE_EFORMAT);
    ck_assert_msg(strstr(err_message(), "x.jsonl: line 2") != NULL, "%s", err_message());
    st_batch *b = NULL;
    ck_assert_int_eq(st_batch_get(&b, db, "b2"), TELLE_EINVAL); /* nothing kept */
    const char *other = "{\"sheet\":\"x#1\",\"outcome\":\"approved\",\"election\":\"FT\","
                        "\"list\":\"AP\"}\n";
    ck_assert_int_eq(vq_batch_load(NULL, NULL, db, "system", &info, other, "x.jsonl"),
                     TELLE_EFORMAT);
    st_db_close(db);
}
END_TEST

struct racer {
    const char *path, *name;
    pthread_barrier_t *bar;
    int64_t item;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    st_db *db = NULL;
    if (st_db_open(&db, r->path, 0) < 0) {
        r->rc = 1;
        return NULL;
    }
    pthread_barrier_wait(r->bar);
    r->rc = vq_item_claim(db, r->name, r->item, 0);
    st_db_close(db);
    return NULL;
}

START_TEST(two_operators_race_for_one_item)
{
    int64_t items[] = {FX_WRITEIN, FX_NOSTAMP, FX_LISTWRITTEN, FX_MARGINAL};
    for (int k = 0; k < 4; k++) {
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 2);
        struct racer a = {path, "kari", &bar, items[k], 99};
        struct racer b = {path, "ola", &bar, items[k], 99};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, race, &a);
        pthread_create(&tb, NULL, race, &b);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&bar);
        ck_assert_msg((a.rc == 0) != (b.rc == 0), "item %d: kari %d, ola %d",
                      (int)items[k], a.rc, b.rc);
        ck_assert_int_eq(a.rc == 0 ? b.rc : a.rc, TELLE_ESTATE);
        /* The loser cannot decide it either. */
        st_db *db = fx_open(path);
        const char *loser = a.rc == 0 ? "ola" : "kari";
        vq_decision d = VQ_DECISION_INIT;
        d.action = VQ_BLANK;
        ck_assert_int_eq(vq_item_decide(NULL, db, loser, items[k], &d), TELLE_ESTATE);
        ck_assert_ptr_nonnull(strstr(err_message(), "claimed by"));
        vq_batch_state *s = state(db);
        ck_assert_str_eq(vq_batch_item_find(s, items[k])->claim_by, a.rc == 0 ? "kari" : "ola");
        vq_batch_state_free(s);
        st_db_close(db);
    }
}
END_TEST

START_TEST(claim_expires)
{
    st_db *db = fx_open(path);
    ck_assert_int_eq(vq_item_claim(db, "kari", FX_NOSTAMP, 1), 0);
    ck_assert_int_eq(vq_item_claim(db, "ola", FX_NOSTAMP, 0), TELLE_ESTATE);
    int64_t next = 0;
    ck_assert_int_eq(vq_item_next(&next, db, "ola", "b1"), 0);
    ck_assert_int_eq(next, FX_WRITEIN);
    ck_assert_int_eq(vq_item_next(&next, db, "kari", "b1"), 0);
    ck_assert_int_eq(next, FX_NOSTAMP); /* her own claim first */
    struct timespec ts = {1, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(vq_item_claim(db, "ola", FX_NOSTAMP, 0), 0);
    ck_assert_int_eq(vq_item_release(db, "kari", FX_NOSTAMP), TELLE_ESTATE);
    ck_assert_int_eq(vq_item_release(db, "ola", FX_NOSTAMP), 0);
    ck_assert_int_eq(vq_item_claim(db, "kari", FX_NOSTAMP, 0), 0);
    /* A machine-decided sheet is not in the queue. */
    ck_assert_int_eq(vq_item_claim(db, "kari", FX_APPROVED, 0), TELLE_ESTATE);
    st_db_close(db);
}
END_TEST

START_TEST(auditor_cannot_decide)
{
    st_db *db = fx_open(path);
    vq_decision d = VQ_DECISION_INIT;
    ck_assert_int_eq(vq_item_claim(db, "revisor", FX_NOSTAMP, 0), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "auditors cannot decide"));
    ck_assert_int_eq(vq_item_decide(NULL, db, "revisor", FX_NOSTAMP, &d), TELLE_EINVAL);
    ck_assert_int_eq(vq_item_remark(db, "revisor", FX_NOSTAMP, "x"), TELLE_EINVAL);
    ck_assert_int_eq(vq_batch_commit(NULL, db, "revisor", "b1"), TELLE_EINVAL);
    ck_assert_int_eq(vq_item_decide(NULL, db, "nobody", FX_NOSTAMP, &d), TELLE_EINVAL);
    vq_batch_state *s = state(db);
    ck_assert_int_eq(s->n_pending, 4);
    vq_batch_state_free(s);
    st_db_close(db);
}
END_TEST

START_TEST(rejection_needs_a_second_operator)
{
    st_db *db = fx_open(path);
    vq_decision d = VQ_DECISION_INIT;
    d.action = VQ_REJECT;
    d.ground = 'e';
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_NOSTAMP, &d), TELLE_EINVAL);
    d.ground = 'a';
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_NOSTAMP, &d), 0);
    vq_batch_state *s = state(db);
    ck_assert_int_eq(vq_batch_item_find(s, FX_NOSTAMP)->state, VQ_ITEM_REJECT_PROPOSED);
    ck_assert_int_eq(s->n_pending, 4);
    vq_batch_state_free(s);
    /* The proposer can neither confirm nor decide it again. */
    ck_assert_int_eq(vq_reject_confirm(NULL, db, "kari", FX_NOSTAMP), TELLE_ESTATE);
    ck_assert_ptr_nonnull(strstr(err_message(), "cannot confirm their own"));
    ck_assert_int_eq(vq_item_decide(NULL, db, "ola", FX_NOSTAMP, &d), TELLE_ESTATE);
    ck_assert_int_eq(vq_item_claim(db, "kari", FX_NOSTAMP, 0), TELLE_ESTATE);
    ck_assert_int_eq(vq_item_claim(db, "ola", FX_NOSTAMP, 0), 0);
    ck_assert_int_eq(vq_reject_confirm(NULL, db, "ola", FX_NOSTAMP), 0);
    s = state(db);
    vq_item *it = vq_batch_item_find(s, FX_NOSTAMP);
    ck_assert_int_eq(it->state, VQ_ITEM_DECIDED);
    ck_assert_str_eq(it->decided_by, "kari");
    ck_assert_str_eq(it->confirmed_by, "ola");
    ck_assert_int_eq(s->n_pending, 3);
    vq_batch_state_free(s);
    json_t *t = NULL;
    ck_assert_int_eq(vq_batch_tallies(&t, db, "b1"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "rejected")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(t, "rejected_by_ground"), "a")), 1);
    json_decref(t);
    st_db_close(db);
}
END_TEST

START_TEST(candidate_search)
{
    st_db *db = fx_open(path);
    vq_candidates *c = NULL;
    vq_match m[10];
    ck_assert_int_eq(vq_candidates_load(&c, db), 0);
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "KS", "SP", "RØNN"), 1);
    ck_assert_str_eq(m[0].name, "Maja Rønneberg");
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "KS", "SP", "ødegå"), 1);
    ck_assert_int_eq(m[0].no, 3);
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "KS", "SP", "æsøy"), 1);
    ck_assert_str_eq(m[0].list, "H");
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "KS", "SP", "ap 2"), 1);
    ck_assert_str_eq(m[0].name, "Tiril Teigen");
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "KS", "SP", "AP"), 3);
    /* "berg" matches H 1 Erik Berg, AP 1 Rønneberg and SP 3 Per Berge;
     * the ballot's own list comes last, flagged. */
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "KS", "SP", "berg"), 3);
    ck_assert_str_eq(m[2].list, "SP");
    ck_assert(m[2].own_list);
    ck_assert(!m[0].own_list);
    ck_assert_int_eq(vq_candidates_search(m, 10, c, "FT", "SP", "berg"), TELLE_EINVAL);
    vq_candidates_free(c);
    st_db_close(db);
}
END_TEST

START_TEST(write_ins_and_corrections_reach_the_tallies)
{
    st_db *db = fx_open(path);
    /* Sheet 2 (SP, votes [2]): correct the votes to [1,2]; write-ins AP 1
     * (counts), SP 3 (own list), H 2 (counts), AP 1 again (twice), a name
     * that is no candidate. max_write_ins is 2. */
    vq_write_in w[] = {{"AP", 1, "RØNNEBERG"}, {"SP", 3, "BERGE"}, {"H", 2, NULL},
                       {"AP", 1, NULL}, {NULL, 0, "DONALD DUCK"}};
    int votes[] = {2, 1};
    vq_decision d = VQ_DECISION_INIT;
    d.votes_from_record = false;
    d.votes = votes;
    d.n_votes = 2;
    d.write_ins = w;
    d.n_write_ins = 5;
    d.remark = "skrevet utydelig";
    ck_assert_int_eq(vq_item_claim(db, "kari", FX_WRITEIN, 0), 0);
    int64_t seq = 0;
    ck_assert_msg(vq_item_decide(&seq, db, "kari", FX_WRITEIN, &d) == 0, "%s", err_message());
    ck_assert_int_gt(seq, 0);
    st_event *ev = NULL;
    ck_assert_int_eq(st_event_get(&ev, db, seq), 0);
    json_t *p = json_loads(ev->payload, 0, NULL);
    json_t *wis = json_object_get(p, "write_ins");
    ck_assert(json_is_true(json_object_get(json_array_get(wis, 0), "counts")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(wis, 1), "why")),
                     "a candidate of the ballot's own list is ignored");
    ck_assert(json_is_true(json_object_get(json_array_get(wis, 2), "counts")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(wis, 3), "why")),
                     "the same candidate is written already");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(wis, 4), "why")),
                     "it names no candidate");
    ck_assert_int_eq(strlen(json_string_value(json_object_get(p, "record_sha256"))), 64);
    json_decref(p);
    st_event_free(ev);
    /* Decided items cannot be decided twice. */
    ck_assert_int_eq(vq_item_decide(NULL, db, "ola", FX_WRITEIN, &d), TELLE_ESTATE);

    /* Sheet 5 (blank ballot, list written): set the list. */
    vq_decision d5 = VQ_DECISION_INIT;
    d5.list = "H";
    ck_assert_int_eq(vq_item_decide(NULL, db, "ola", FX_LISTWRITTEN, &d5), 0);
    /* Sheet 6 (H, [1], marginal mark on 2): confirm the machine. */
    vq_decision d6 = VQ_DECISION_INIT;
    int bad[] = {9};
    d6.votes_from_record = false;
    d6.votes = bad;
    d6.n_votes = 1;
    ck_assert_int_eq(vq_item_decide(NULL, db, "ola", FX_MARGINAL, &d6), TELLE_EINVAL);
    d6.votes_from_record = true;
    ck_assert_int_eq(vq_item_decide(NULL, db, "ola", FX_MARGINAL, &d6), 0);
    /* Sheet 3: blank. */
    vq_decision d3 = VQ_DECISION_INIT;
    d3.action = VQ_BLANK;
    ck_assert_int_eq(vq_item_decide(NULL, db, "siri", FX_NOSTAMP, &d3), 0);

    json_t *t = NULL;
    ck_assert_int_eq(vq_batch_tallies(&t, db, "b1"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "ballots")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "approved")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "blank")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "pending")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "write_ins_not_counted")), 3);
    json_t *rms = json_object_get(t, "remarks");
    ck_assert_int_eq(json_array_size(rms), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rms, 0), "text")),
                     "skrevet utydelig");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rms, 0), "by")), "kari");
    json_t *lists = json_object_get(t, "lists");
    json_t *sp = json_object_get(lists, "SP"), *h = json_object_get(lists, "H"),
           *ap = json_object_get(lists, "AP");
    ck_assert_int_eq(json_integer_value(json_object_get(sp, "approved")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "approved")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ap, "approved")), 0);
    /* SP 1: sheet 1 and sheet 2; SP 2: sheet 2; SP 3: sheet 1. */
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(sp, "personal_votes"), "1")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(sp, "personal_votes"), "2")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(sp, "personal_votes"), "3")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h, "personal_votes"), "1")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sp, "write_ins_given")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ap, "write_ins_received"), "1")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h, "write_ins_received"), "2")), 1);
    json_decref(t);
    st_db_close(db);
}
END_TEST

static void decide_all(st_db *db)
{
    vq_decision d = VQ_DECISION_INIT;
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_WRITEIN, &d), 0);
    d.list = "AP";
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_LISTWRITTEN, &d), 0);
    d.list = NULL;
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_MARGINAL, &d), 0);
    d.action = VQ_REJECT;
    d.ground = 'a';
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_NOSTAMP, &d), 0);
}

START_TEST(commit_only_with_an_empty_queue_and_undo_reopens)
{
    st_db *db = fx_open(path);
    decide_all(db);
    ck_assert_int_eq(vq_batch_commit(NULL, db, "siri", "b1"), TELLE_ESTATE);
    ck_assert_msg(strstr(err_message(), "1 item still in the queue (1 waiting") != NULL,
                  "%s", err_message());
    ck_assert_int_eq(vq_reject_confirm(NULL, db, "ola", FX_NOSTAMP), 0);
    int64_t cseq = 0;
    ck_assert_int_eq(vq_batch_commit(&cseq, db, "siri", "b1"), 0);
    ck_assert_int_eq(vq_batch_commit(NULL, db, "siri", "b1"), TELLE_ESTATE);
    st_event *ev = NULL;
    ck_assert_int_eq(st_event_get(&ev, db, cseq), 0);
    ck_assert_str_eq(ev->kind, "batch_commit");
    json_t *p = json_loads(ev->payload, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "rejected")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "approved")), 4);
    json_decref(p);
    st_event_free(ev);
    /* The view derives the state from the events too. */
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(st_db_handle(db), "SELECT state FROM batch_states WHERE id='b1'",
                       -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "committed");
    sqlite3_finalize(st);

    vq_decision d = VQ_DECISION_INIT;
    d.action = VQ_BLANK;
    ck_assert_int_eq(vq_decision_undo(db, "kari", FX_NOSTAMP, ""), TELLE_EINVAL);
    ck_assert_int_eq(vq_decision_undo(db, "kari", FX_NOSTAMP, "stamp found on the back"), 0);
    vq_batch_state *s = state(db);
    ck_assert(!s->committed);
    ck_assert_int_eq(vq_batch_item_find(s, FX_NOSTAMP)->state, VQ_ITEM_OPEN);
    vq_batch_state_free(s);
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_NOSTAMP, &d), 0);
    ck_assert_int_eq(vq_batch_commit(NULL, db, "siri", "b1"), 0);
    json_t *t = NULL;
    ck_assert_int_eq(vq_batch_tallies(&t, db, "b1"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "rejected")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "blank")), 2);
    json_decref(t);
    /* Nothing to undo on a machine sheet or an open item. */
    ck_assert_int_eq(vq_decision_undo(db, "kari", FX_APPROVED, "x"), TELLE_ESTATE);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.first_bad_seq, 0);
    st_db_close(db);
}
END_TEST

START_TEST(edited_decision_is_named)
{
    st_db *db = fx_open(path);
    vq_decision d = VQ_DECISION_INIT;
    int64_t seq = 0;
    ck_assert_int_eq(vq_item_decide(&seq, db, "kari", FX_MARGINAL, &d), 0);
    ck_assert_int_eq(vq_item_decide(NULL, db, "kari", FX_WRITEIN, &d), 0);
    st_db_close(db);
    sqlite3 *raw = NULL;
    char sql[300];
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    snprintf(sql, sizeof sql, "DROP TRIGGER events_no_update; UPDATE events SET "
             "payload = replace(payload, '\"list\":\"H\"', '\"list\":\"AP\"') "
             "WHERE seq = %lld", (long long)seq);
    ck_assert_int_eq(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_changes(raw), 1);
    sqlite3_close(raw);
    db = fx_open(path);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.first_bad_seq, seq);
    ck_assert_int_eq(r.problem, ST_CHAIN_HASH_MISMATCH);
    st_db_close(db);
}
END_TEST

/* A child decides item after item and acknowledges each through a pipe
 * once vq_item_decide returned; the parent kills it with SIGKILL in the
 * middle and checks that every acknowledged decision is in the file. */
START_TEST(kill_during_decisions_loses_nothing_acknowledged)
{
    enum { SHEETS = 120, WAIT_FOR = 25 };
    st_db *db = fx_open(path);
    size_t cap = SHEETS * 200;
    char *jsonl = malloc(cap), *w = jsonl;
    for (int i = 1; i <= SHEETS; i++)
        w += snprintf(w, cap - (size_t)(w - jsonl),
                      "{\"sheet\":\"k.tif#%d\",\"pages\":[],\"election\":\"KS\","
                      "\"list\":\"SP\",\"outcome\":\"review\",\"reasons\":"
                      "[\"marginal_mark\"],\"personal_votes\":[1]}\n", i);
    vq_batch_info info = {"k", "KS", "0002", "FO", NULL};
    ck_assert_int_eq(vq_batch_load(NULL, NULL, db, "system", &info, jsonl, "k"), 0);
    free(jsonl);
    vq_batch_state *s = NULL;
    ck_assert_int_eq(vq_batch_state_get(&s, db, "k", vq_now_ms()), 0);
    int64_t first = s->items[0].id;
    vq_batch_state_free(s);
    st_db_close(db);

    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        st_db *cdb = NULL;
        if (st_db_open(&cdb, path, 0) < 0)
            _exit(3);
        vq_decision d = VQ_DECISION_INIT;
        for (int i = 0; i < SHEETS; i++) {
            int64_t item = first + i;
            if (vq_item_claim(cdb, "kari", item, 0) < 0 ||
                vq_item_decide(NULL, cdb, "kari", item, &d) < 0)
                _exit(4);
            if (write(fds[1], &item, sizeof item) != sizeof item)
                _exit(5);
        }
        _exit(0);
    }
    close(fds[1]);
    int64_t acked[SHEETS];
    int n = 0;
    while (n < WAIT_FOR && read(fds[0], &acked[n], sizeof acked[n]) == sizeof acked[n])
        n++;
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    /* Acks already in the pipe were acknowledged too. */
    while (n < SHEETS && read(fds[0], &acked[n], sizeof acked[n]) == sizeof acked[n])
        n++;
    close(fds[0]);
    ck_assert_msg(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "child failed with status %d", status);
    ck_assert_int_ge(n, WAIT_FOR);

    db = fx_open(path);
    ck_assert_int_eq(vq_batch_state_get(&s, db, "k", vq_now_ms()), 0);
    for (int i = 0; i < n; i++) {
        vq_item *it = vq_batch_item_find(s, acked[i]);
        ck_assert_ptr_nonnull(it);
        ck_assert_msg(it->state == VQ_ITEM_DECIDED, "acknowledged item %lld lost",
                      (long long)acked[i]);
    }
    ck_assert_int_ge(SHEETS - s->n_pending, n);
    vq_batch_state_free(s);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_msg(r.first_bad_seq == 0, "%s", r.message);
    st_db_close(db);
}
END_TEST

int main(void)
{
    fx_template();
    Suite *s = suite_create("verify_queue");
    TCase *tc = tcase_create("queue");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, load_makes_an_item_per_review_record);
    tcase_add_test(tc, bad_batch_is_refused_whole);
    tcase_add_test(tc, two_operators_race_for_one_item);
    tcase_add_test(tc, claim_expires);
    tcase_add_test(tc, auditor_cannot_decide);
    tcase_add_test(tc, rejection_needs_a_second_operator);
    tcase_add_test(tc, candidate_search);
    tcase_add_test(tc, write_ins_and_corrections_reach_the_tallies);
    tcase_add_test(tc, commit_only_with_an_empty_queue_and_undo_reopens);
    tcase_add_test(tc, edited_decision_is_named);
    tcase_add_test(tc, kill_during_decisions_loses_nothing_acknowledged);
    suite_add_tcase(s, tc);
    int rc = tu_suite_run(s);
    if (fx_template_remove() != 0)
        rc = EXIT_FAILURE;
    return rc;
}
