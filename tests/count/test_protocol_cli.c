/* test_protocol_cli.c - `telle protocol` and `telle settle --db` on a real
 * store, run as a user runs them (TELLE_BIN): init from the sample package,
 * two operators, sheet records loaded, decided (a write-in, a rejection
 * confirmed by a second person) and committed; a preliminary count with a
 * difference. While a batch is open and the difference unexplained the
 * PDF says IKKE ENDELIG on every page; once the batch is committed and the
 * difference explained it is final. The PDF (pdftotext) and the JSON show
 * the store's numbers; `settle --db` equals `settle --counts` on the same
 * counts document. */
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
    return tu_telle(&out, NULL, dir, "%s%s", args,
                    with_err ? " 2>&1" : " 2>/dev/null");
}

static int telle(const char *args)
{
    return run(args, 1);
}

/* The PDF's text, pdftotext -layout, into out. */
static void pdf_text(const char *pdf)
{
    char *err = NULL;
    ck_assert_int_eq(tu_sh(&out, &err, dir, "pdftotext -layout '%s' -", pdf),
                     0);
    free(err);
}

static json_t *load(const char *name)
{
    char path[400];
    json_error_t e;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", path, e.text);
    return j;
}

#define REC(sheet, batch, krets, cat, style, list, outcome, reasons, votes,   \
            stamp)                                                            \
    "{\"sheet\":\"" sheet "\",\"batch\":\"" batch "\",\"krets\":\"" krets     \
    "\",\"category\":\"" cat "\",\"pages\":[],\"election\":\"KS\","           \
    "\"style\":\"" style "\",\"list\":" list ",\"outcome\":\"" outcome        \
    "\",\"reasons\":[" reasons "],\"personal_votes\":[" votes                 \
    "],\"marks\":[],\"write_ins\":{\"in_field\":0,\"outside_field\":0},"      \
    "\"writing\":[],\"stamp\":" stamp "}\n"

/* FO 0007: an AP ballot with a personal vote for #2 (machine), an H ballot
 * with a write-in (review, item 2), an SP ballot without stamp (review,
 * item 3, rejected on ground a). */
static const char FO[] =
    REC("a.tif#1", "0007-FO-01", "0007", "FO", "KS-AP", "\"AP\"", "approved",
        "", "2", "true")
    REC("a.tif#2", "0007-FO-01", "0007", "FO", "KS-H", "\"H\"", "review",
        "\"writing_in_field\"", "1", "true")
    REC("a.tif#3", "0007-FO-01", "0007", "FO", "KS-SP", "\"SP\"", "review",
        "\"missing_stamp\"", "", "false");
/* VO 0007: two AP ballots and an MDG ballot, all read by the machine. */
static const char VO[] =
    REC("b.tif#1", "0007-VO-01", "0007", "VO", "KS-AP", "\"AP\"", "approved",
        "", "1", "true")
    REC("b.tif#2", "0007-VO-01", "0007", "VO", "KS-AP", "\"AP\"", "approved",
        "", "", "true")
    REC("b.tif#3", "0007-VO-01", "0007", "VO", "KS-MDG", "\"MDG\"",
        "approved", "", "", "true");

static void setup(void)
{
    dir = tu_tmpdir("protocol-cli");
    setenv("TELLE_PASSWORD", TU_PASSWORD, 1);
}

static void teardown(void)
{
    ck_assert_int_eq(tu_rmtree(dir), 0);
    free(dir);
}

static void must(const char *args)
{
    tu_telle_ok(&out, dir, "%s", args);
}

START_TEST(protocol_from_a_store)
{
    char args[1024];
    const char *src = tu_env("TELLE_SOURCE_DIR");
    tu_store_init(dir, "c.db", "kari:operator", "ola:secretary", NULL);
    tu_file_write(FO, "%s/fo.jsonl", dir);
    tu_file_write(VO, "%s/vo.jsonl", dir);
    must("review load --db c.db fo.jsonl");
    must("review load --db c.db vo.jsonl");
    /* H ballot: a write-in for SP #3 (Nils Rønneberg); SP ballot rejected
     * (a) with a remark, confirmed by ola. */
    must("review decide 2 --db c.db --as kari --write-in 'Nils R'");
    must("review decide 3 --db c.db --as kari --reject a "
         "--remark 'Stempel mangler, sett av to'");
    must("review decide 3 --db c.db --as ola --confirm-reject");
    must("review commit 0007-FO-01 --db c.db --as ola");
    /* Hand count: H 2 where the machine found 1. */
    must("prelim --db c.db --as kari --election KS --category FO --krets 0007 "
         "--list AP=1 --list H=2 --rest-zero");

    /* Not final: VO batch open, H's difference unexplained. */
    must("protocol --db c.db --election KS --pdf p1.pdf --json p1.json");
    ck_assert_ptr_nonnull(strstr(out, "NOT FINAL"));
    json_t *p = load("p1.json");
    ck_assert(json_is_false(json_object_get(p, "final")));
    ck_assert_int_eq(json_integer_value(json_object_get(p,
                                                        "unexplained_"
                                                        "differences")),
                     1);
    json_t *d1 = json_array_get(json_object_get(p, "chapters"), 0);
    json_t *fo = json_array_get(json_object_get(json_object_get(d1, "counted"),
                                                "rows"),
                                0);
    ck_assert_int_eq(json_integer_value(json_object_get(fo, "ballots")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(fo, "approved")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(fo, "rejected")), 1);
    json_decref(p);

    pdf_text("p1.pdf");
    int pages = 0;
    for (char *s = out; (s = strchr(s, '\f')); s++)
        pages++;
    ck_assert_int_ge(pages, 2);
    char *save = NULL;
    int seen = 0;
    for (char *pg = strtok_r(out, "\f", &save); pg;
         pg = strtok_r(NULL, "\f", &save)) {
        if (strspn(pg, " \n") == strlen(pg))
            continue;
        seen++;
        ck_assert_msg(strstr(pg, "IKKE ENDELIG – 1 bunke ikke godkjent "
                                 "(0007-VO-01), 1 avvik uten") != NULL,
                      "page %d has no not-final band", seen);
    }
    ck_assert_int_eq(seen, pages);
    pdf_text("p1.pdf");
    ck_assert_ptr_nonnull(strstr(out, "UTEN FORKLARING"));
    ck_assert_ptr_nonnull(strstr(out, "registrert av kari"));

    /* Commit VO, explain H: final. */
    must("review commit 0007-VO-01 --db c.db --as ola");
    must("prelim explain --db c.db --as ola --election KS --category FO "
         "--krets 0007 --list H --text 'Én H-stemmeseddel lå i SP-bunken "
         "ved foreløpig opptelling'");
    must("protocol --db c.db --election KS --pdf p2.pdf --json p2.json");
    ck_assert_ptr_null(strstr(out, "NOT FINAL"));
    p = load("p2.json");
    ck_assert(json_is_true(json_object_get(p, "final")));
    json_t *e = json_object_get(p, "E");
    /* AP 3 ballots × 27 = 81; H 1 × 27 − 1 given = 26; SP 0 + 1 received;
     * MDG 27. Seats: AP 57.857143, AP 27, MDG 19.285714, H 18.571429. */
    json_t *q = json_object_get(e, "quotients");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(q, 0),
                                                       "quotient_text")),
                     "57.857143");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(q, 2),
                                                       "list")),
                     "MDG");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(q, 3),
                                                       "quotient_text")),
                     "18.571429");
    json_t *sp = json_object_get(json_object_get(e, "candidates"), "SP");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(sp, 0),
                                                        "no")),
                     3); /* the write-in lifts #3 to the top of SP */
    json_decref(p);

    pdf_text("p2.pdf");
    static const char *const want[] = {
        "Status: ENDELIG", "Fjordvik kommune", "0007-FO-01", "0007-VO-01",
        "Stemmeseddelen mangler offentlig stempel",
        "Stempel mangler, sett av to", "Én H-stemmeseddel lå i SP-bunken",
        "57.857143", "19.285714", "18.571429", "Nils Rønneberg",
        "Miljøpartiet De Grønne (MDG)", "Underskrifter",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(out, want[i]) != NULL, "PDF lacks '%s'", want[i]);
    ck_assert_ptr_null(strstr(out, "IKKE ENDELIG"));
    ck_assert_ptr_null(strstr(out, "UTEN FORKLARING"));

    /* settle --db equals settle --counts on the store's counts document. */
    must("count --db c.db --json > counts.json");
    ck_assert_int_eq(run("settle --db c.db --election KS --json", 0), 0);
    char *from_db = strdup(out);
    snprintf(args, sizeof args,
             "settle --counts counts.json --election KS --package "
             "'%s/samples/package' --json",
             src);
    ck_assert_int_eq(run(args, 0), 0);
    ck_assert_str_eq(out, from_db);
    ck_assert_ptr_nonnull(strstr(from_db, "\"listestemmetall\": 81"));
    free(from_db);
    must("settle --db c.db --election KS");
    ck_assert_ptr_nonnull(strstr(out, "Seat allocation: 27 seats"));

    /* Refusals: no election, both sources, an unknown election. */
    ck_assert_int_eq(telle("protocol --db c.db"), 2);
    ck_assert_int_eq(telle("protocol --db c.db --counts counts.json "
                           "--election KS"),
                     2);
    ck_assert_int_eq(telle("protocol --db c.db --election XX"), 1);
    ck_assert_ptr_nonnull(strstr(out, "no election XX"));
    ck_assert_int_eq(telle("settle --db c.db"), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("count_protocol_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, protocol_from_a_store);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
