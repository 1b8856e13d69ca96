/* test_count_cli.c - `telle count` and `telle prelim` on a real store, run
 * as a user runs them (TELLE_BIN): init from the sample package, operators,
 * sheet records loaded, decided by two people and committed; one batch left
 * open, one committed, reopened by an undo and committed again; a
 * preliminary count with one difference that stays UNEXPLAINED until
 * `telle prelim explain`; the identities of the counts document; refusals
 * (a list missing, an auditor, an unknown list). */
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;
static char *out; /* the last command's output */

/* Runs `telle ARGS` in dir; stdout in out (stderr too when with_err);
 * returns the exit status. */
static int run(const char *args, int with_err)
{
    return tu_telle(&out, NULL, dir, "%s%s", args, with_err ? " 2>&1" : " 2>/dev/null");
}

static int telle(const char *args)
{
    return run(args, 1);
}

#define REC(sheet, batch, krets, cat, style, list, outcome, reasons, votes, stamp)           \
    "{\"sheet\":\"" sheet "\",\"batch\":\"" batch "\",\"krets\":\"" krets                    \
    "\",\"category\":\"" cat "\",\"pages\":[],\"election\":\"KS\",\"style\":\"" style        \
    "\",\"list\":" list ",\"outcome\":\"" outcome "\",\"reasons\":[" reasons                 \
    "],\"personal_votes\":[" votes "],\"marks\":[],\"write_ins\":{\"in_field\":0,"           \
    "\"outside_field\":0},\"writing\":[],\"stamp\":" stamp "}\n"

/* VO 0007, batch 1: an AP ballot with a personal vote (machine), an H
 * ballot with a write-in (review), an SP ballot without stamp (review,
 * rejected), a blank ballot (machine). Items 1-4. */
static const char VO1[] =
    REC("a.tif#1", "0007-VO-01", "0007", "VO", "KS-AP", "\"AP\"", "approved", "", "2", "true")
    REC("a.tif#2", "0007-VO-01", "0007", "VO", "KS-H", "\"H\"", "review",
        "\"writing_in_field\"", "1", "true")
    REC("a.tif#3", "0007-VO-01", "0007", "VO", "KS-SP", "\"SP\"", "review",
        "\"missing_stamp\"", "", "false")
    REC("a.tif#4", "0007-VO-01", "0007", "VO", "KS-blank", "null", "blank", "", "", "true");
/* VO 0007, batch 2: one sheet for review, never decided: stays open. Item 5. */
static const char VO2[] =
    REC("b.tif#1", "0007-VO-02", "0007", "VO", "KS-H", "\"H\"", "review",
        "\"marginal_mark\"", "", "true");
/* FO 0008: one machine AP ballot and one for review. Items 6-7. */
static const char FO1[] =
    REC("c.tif#1", "0008-FO-01", "0008", "FO", "KS-AP", "\"AP\"", "approved", "", "", "true")
    REC("c.tif#2", "0008-FO-01", "0008", "FO", "KS-MDG", "\"MDG\"", "review",
        "\"marginal_mark\"", "", "true");

static void setup(void)
{
    dir = tu_tmpdir("count-cli");
    setenv("TELLE_PASSWORD", TU_PASSWORD, 1);
}

static void teardown(void)
{
    ck_assert_int_eq(tu_rmtree(dir), 0);
    free(dir);
}

static json_int_t ival(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", k);
    return json_integer_value(v);
}

/* The identities of count/README.md on one count or the totals. */
static void assert_identities(const json_t *t)
{
    ck_assert_int_eq(ival(t, "approved") + ival(t, "blank") + ival(t, "rejected"),
                     ival(t, "ballots"));
    json_int_t approved = 0, given = 0, received = 0;
    const char *code, *k;
    json_t *l, *v;
    json_object_foreach(json_object_get(t, "lists"), code, l) {
        approved += ival(l, "approved");
        given += ival(l, "write_ins_given");
        json_object_foreach(json_object_get(l, "write_ins_received"), k, v)
            received += json_integer_value(v);
    }
    ck_assert_int_eq(approved, ival(t, "approved"));
    ck_assert_int_eq(given, received);
    ck_assert_uint_eq(json_object_size(json_object_get(t, "lists")), 5); /* every KS list */
}

/* `telle count --json`, parsed; the KS election in *ks. */
static json_t *count_json(json_t **ks)
{
    ck_assert_msg(run("count --db c.db --json", 0) == 0, "%s", out);
    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    ck_assert_msg(doc != NULL, "count --json: %s", jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "format")), "telle-counts/1");
    *ks = json_array_get(json_object_get(doc, "elections"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(*ks, "id")), "KS");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(*ks, "counts"), i, c)
        assert_identities(c);
    assert_identities(json_object_get(*ks, "totals"));
    return doc;
}

static json_t *count_of(json_t *ks, const char *category, const char *krets)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(ks, "counts"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "category")), category) == 0 &&
            strcmp(json_string_value(json_object_get(c, "krets")), krets) == 0)
            return c;
    return NULL;
}

static json_t *diff_row(json_t *c, const char *list)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(c, "differences"), i, d)
        if (strcmp(json_string_value(json_object_get(d, "list")), list) == 0)
            return d;
    return NULL;
}

#define PRELIM_VO "prelim --db c.db --election KS --category VO --krets 0007 "

START_TEST(count_and_prelim_end_to_end)
{
    char args[1024];
    tu_store_init(dir, "c.db", "kari:operator", "ola:secretary", "revisor:auditor", NULL);

    /* Nothing loaded: every election there, nothing counted or final. */
    json_t *ks = NULL, *doc = count_json(&ks);
    ck_assert(json_is_false(json_object_get(ks, "final")));
    ck_assert_uint_eq(json_array_size(json_object_get(ks, "counts")), 0);
    ck_assert_int_eq(ival(json_object_get(ks, "totals"), "ballots"), 0);
    json_decref(doc);

    tu_file_write(VO1, "%s/vo1.jsonl", dir);
    tu_file_write(VO2, "%s/vo2.jsonl", dir);
    tu_file_write(FO1, "%s/fo1.jsonl", dir);
    tu_telle_ok(&out, dir, "review load --db c.db vo1.jsonl");
    tu_telle_ok(&out, dir, "review load --db c.db vo2.jsonl");
    tu_telle_ok(&out, dir, "review load --db c.db fo1.jsonl");

    /* Item 2: the H ballot's write-in is SP 3; item 3 rejected (a), by two. */
    ck_assert_msg(telle("review decide 2 --db c.db --as kari --write-in 'SP 3'") == 0, "%s", out);
    ck_assert_int_eq(telle("review decide 3 --db c.db --as kari --reject a --remark 'no stamp'"), 0);
    ck_assert_int_eq(telle("review decide 3 --db c.db --as ola --confirm-reject"), 0);
    ck_assert_msg(telle("review commit 0007-VO-01 --db c.db --as ola") == 0, "%s", out);
    /* FO: committed, then reopened by an undo. */
    ck_assert_int_eq(telle("review decide 7 --db c.db --as kari --confirm"), 0);
    ck_assert_msg(telle("review commit 0008-FO-01 --db c.db --as ola") == 0, "%s", out);
    ck_assert_msg(telle("review undo 7 --db c.db --as ola --reason 'mark looked again'") == 0,
                  "%s", out);

    doc = count_json(&ks);
    ck_assert(json_is_false(json_object_get(ks, "final")));
    json_t *open = json_object_get(ks, "open_batches");
    ck_assert_uint_eq(json_array_size(open), 2);
    ck_assert_str_eq(json_string_value(json_array_get(open, 0)), "0007-VO-02");
    ck_assert_str_eq(json_string_value(json_array_get(open, 1)), "0008-FO-01");
    ck_assert_uint_eq(json_array_size(json_object_get(ks, "counts")), 1);
    json_t *vo = count_of(ks, "VO", "0007");
    ck_assert_ptr_nonnull(vo);
    json_t *vb = json_object_get(vo, "batches");
    ck_assert_uint_eq(json_array_size(vb), 1); /* not the open 0007-VO-02 */
    ck_assert_str_eq(json_string_value(json_array_get(vb, 0)), "0007-VO-01");
    ck_assert_int_eq(ival(vo, "ballots"), 4);
    ck_assert_int_eq(ival(vo, "approved"), 2);
    ck_assert_int_eq(ival(vo, "blank"), 1);
    ck_assert_int_eq(ival(vo, "rejected"), 1);
    ck_assert_int_eq(ival(json_object_get(vo, "rejected_by_ground"), "a"), 1);
    json_t *lists = json_object_get(vo, "lists");
    json_t *ap = json_object_get(lists, "AP"), *h = json_object_get(lists, "H");
    ck_assert_int_eq(ival(ap, "approved"), 1);
    ck_assert_int_eq(ival(json_object_get(ap, "personal_votes"), "2"), 1);
    ck_assert_int_eq(ival(h, "approved"), 1);
    ck_assert_int_eq(ival(h, "write_ins_given"), 1);
    ck_assert_int_eq(ival(json_object_get(json_object_get(lists, "SP"), "write_ins_received"),
                          "3"), 1);
    ck_assert_int_eq(ival(json_object_get(lists, "MDG"), "approved"), 0);
    json_t *rm = json_array_get(json_object_get(vo, "remarks"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rm, "text")), "no stamp");
    ck_assert_str_eq(json_string_value(json_object_get(rm, "batch")), "0007-VO-01");
    ck_assert(json_is_null(json_object_get(vo, "prelim")));
    ck_assert_int_eq(ival(ks, "unexplained_differences"), 0);
    json_decref(doc);

    /* The FO batch decided and committed again: counted, before VO. */
    ck_assert_int_eq(telle("review decide 7 --db c.db --as kari --confirm"), 0);
    ck_assert_msg(telle("review commit 0008-FO-01 --db c.db --as ola") == 0, "%s", out);

    /* Preliminary counts: a list missing is refused, not taken as 0. */
    ck_assert_int_eq(telle(PRELIM_VO "--as kari --list AP=1 --list H=2 --blank 1 --doubtful 1"), 2);
    ck_assert_msg(strstr(out, "no count given for SP, FBL, MDG") != NULL, "%s", out);
    ck_assert_int_eq(telle(PRELIM_VO "--as revisor --list AP=1 --list H=2 --blank 1 "
                                     "--doubtful 1 --rest-zero"), 1);
    ck_assert_ptr_nonnull(strstr(out, "auditors cannot enter counts"));
    ck_assert_int_eq(telle(PRELIM_VO "--as kari --list FRP=1 --rest-zero"), 1);
    ck_assert_ptr_nonnull(strstr(out, "FRP is not a list of KS"));
    ck_assert_int_eq(telle(PRELIM_VO "--as kari --list AP=x --rest-zero"), 1);
    /* H counted 2 by hand, 1 by machine: one difference. */
    ck_assert_msg(telle(PRELIM_VO "--as kari --list ap=1 --list H=2 --blank 1 --doubtful 1 "
                                  "--rest-zero") == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "counted as 0 (--rest-zero): SP, FBL, MDG"));
    ck_assert_ptr_nonnull(strstr(out, "UNEXPLAINED"));
    snprintf(args, sizeof args, "prelim --db c.db --as kari --election KS --category FO "
                                "--krets 0008 --list AP=1 --list H=0 --list SP=0 --list FBL=0 "
                                "--list MDG=1 --blank 0 --doubtful 0");
    ck_assert_msg(telle(args) == 0, "%s", out);

    doc = count_json(&ks);
    ck_assert(json_is_true(json_object_get(ks, "final")) == 0); /* 0007-VO-02 is open */
    ck_assert_uint_eq(json_array_size(json_object_get(ks, "open_batches")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(ks, "counts"), 0),
                                                       "category")), "FO");
    vo = count_of(ks, "VO", "0007");
    json_t *pre = json_object_get(vo, "prelim");
    ck_assert(json_is_object(pre));
    ck_assert_str_eq(json_string_value(json_object_get(pre, "by")), "kari");
    ck_assert_int_eq(ival(json_object_get(pre, "lists"), "AP"), 1);
    ck_assert_int_eq(ival(json_object_get(pre, "lists"), "SP"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(vo, "differences")), 6);
    json_t *dh = diff_row(vo, "H");
    ck_assert_int_eq(ival(dh, "prelim"), 2);
    ck_assert_int_eq(ival(dh, "final"), 1);
    ck_assert_int_eq(ival(dh, "difference"), -1);
    ck_assert(json_is_null(json_object_get(dh, "explanation")));
    ck_assert_int_eq(ival(diff_row(vo, "blank"), "difference"), 0);
    ck_assert_int_eq(ival(diff_row(count_of(ks, "FO", "0008"), "AP"), "difference"), 0);
    ck_assert_int_eq(ival(ks, "unexplained_differences"), 1);
    ck_assert_int_eq(ival(json_object_get(ks, "totals"), "ballots"), 6);
    json_decref(doc);

    ck_assert_int_eq(telle("count --db c.db --election KS"), 0);
    ck_assert_ptr_nonnull(strstr(out, "NOT FINAL: 1 batch open: 0007-VO-02"));
    ck_assert_ptr_nonnull(strstr(out, "UNEXPLAINED"));
    ck_assert_ptr_nonnull(strstr(out, "unexplained differences: 1"));

    /* The explanation: nothing unexplained is left. */
    ck_assert_int_eq(telle("prelim explain --db c.db --as revisor --election KS --category VO "
                           "--krets 0007 --list H --text 'x'"), 1);
    ck_assert_int_eq(telle("prelim explain --db c.db --as ola --election KS --category VS "
                           "--krets 0007 --list H --text 'x'"), 1);
    ck_assert_ptr_nonnull(strstr(out, "no preliminary count of KS/VS/0007"));
    ck_assert_msg(telle("prelim explain --db c.db --as ola --election KS --category VO "
                        "--krets 0007 --list H --text 'a doubtful H ballot had no stamp'") == 0,
                  "%s", out);
    doc = count_json(&ks);
    dh = diff_row(count_of(ks, "VO", "0007"), "H");
    ck_assert_str_eq(json_string_value(json_object_get(dh, "explanation")),
                     "a doubtful H ballot had no stamp");
    ck_assert_int_eq(ival(ks, "unexplained_differences"), 0);
    json_decref(doc);
    ck_assert_int_eq(telle("count --db c.db"), 0);
    ck_assert_ptr_null(strstr(out, "UNEXPLAINED"));
    ck_assert_ptr_nonnull(strstr(out, "a doubtful H ballot had no stamp"));

    ck_assert_int_eq(telle("prelim show --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "KS/VO/0007"));
    ck_assert_ptr_nonnull(strstr(out, "explains H: a doubtful H ballot had no stamp"));
    ck_assert_ptr_nonnull(strstr(out, "KS: 0 unexplained differences"));

    /* --election: only that election; an unknown one is refused. */
    ck_assert_int_eq(run("count --db c.db --election FT --json", 0), 0);
    doc = json_loads(out, 0, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "elections")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(doc, "elections"), 0), "id")), "FT");
    json_decref(doc);
    ck_assert_int_eq(telle("count --db c.db --election XX"), 1);
    ck_assert_int_eq(telle("count --db nowhere.db"), 1);
    ck_assert_int_eq(telle("count --db c.db --bogus"), 2);
    /* The chain is still whole after all of it. */
    ck_assert_int_eq(telle("review verify --db c.db"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("count_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, count_and_prelim_end_to_end);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
