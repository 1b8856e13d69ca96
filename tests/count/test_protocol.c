/* test_protocol.c - the protocol (count/protocol.h) from counts documents
 * made here by hand: D1/D2 per category and krets, rejected by ground,
 * approved per list, differences explained and not, remarks, the
 * not-final rule, chapter E on Aukra 2019's numbers (domain.md) with the
 * seat order, quotients and ranking published there, a drawing of lots;
 * and the PDF read back with pdftotext -layout: numbers, Norwegian
 * letters, "side N av M", the not-final band on every page. */
#include "aukra2019.h"

#include "core/error.h"
#include "count/protocol.h"
#include "count/settle_input.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const CODES[3] = {"AP", "H", "SP"};
static const char *const NAMES[3] = {"Arbeiderpartiet", "Høyre",
                                     "Senterpartiet"};

/* A counts document with one election of n lists and no counts yet. */
static json_t *doc_new(const char *const *codes, const char *const *names,
                       size_t n, int seats)
{
    json_t *lists = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(lists, json_pack("{s:s, s:s}", "code", codes[i],
                                               "name", names[i]));
    json_t *el = json_pack(
        "{s:s, s:s, s:s, s:i, s:f, s:b, s:[], s:o, s:[], s:i, s:[]}", "id",
        "KS", "type", "kommunestyrevalg", "name", "Kommunestyrevalget 2023",
        "seats", seats, "first_divisor", 1.4, "final", 1, "open_batches",
        "lists", lists, "counts", "unexplained_differences", 0, "spotchecks");
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:[o]}", "format",
                     "telle-counts/1", "package_sha256", "ab12", "event",
                     "Kommunestyre- og fylkestingsvalget 2023", "area", "code",
                     "1547", "name", "Aukra kommune", "elections", el);
}

static json_t *election_of(json_t *doc)
{
    return json_array_get(json_object_get(doc, "elections"), 0);
}

/* Adds a count: approved per list (n of them), blank, rejected by ground. */
static json_t *count_add(json_t *doc, const char *cat, const char *krets,
                         const char *batch, const int64_t *approved, size_t n,
                         int64_t blank, const int64_t grounds[4])
{
    json_t *el = election_of(doc);
    json_t *lists = json_object();
    int64_t sum = 0, rej = grounds[0] + grounds[1] + grounds[2] + grounds[3];
    for (size_t i = 0; i < n; i++) {
        const char *code = json_string_value(json_object_get(
            json_array_get(json_object_get(el, "lists"), i), "code"));
        json_object_set_new(lists, code,
                            json_pack("{s:I, s:{}, s:i, s:{}}", "approved",
                                      (json_int_t)approved[i],
                                      "personal_votes", "write_ins_given", 0,
                                      "write_ins_received"));
        sum += approved[i];
    }
    json_t *c = json_pack(
        "{s:s, s:s, s:[s], s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o, "
        "s:i, s:[], s:n, s:[]}",
        "category", cat, "krets", krets, "batches", batch, "ballots",
        (json_int_t)(sum + blank + rej), "approved", (json_int_t)sum, "blank",
        (json_int_t)blank, "rejected", (json_int_t)rej, "rejected_by_ground",
        "a", (json_int_t)grounds[0], "b", (json_int_t)grounds[1], "c",
        (json_int_t)grounds[2], "d", (json_int_t)grounds[3], "lists", lists,
        "write_ins_not_counted", 0, "remarks", "prelim", "differences");
    ck_assert_ptr_nonnull(c);
    json_array_append_new(json_object_get(el, "counts"), c);
    return c;
}

/* Sets a prelim on count c and its difference rows; explanations[i] may
 * be NULL (the last entry is for "blank"). */
static void prelim_set(json_t *doc, json_t *c, const int64_t *prelim,
                       int64_t blank, const char *const *explanations)
{
    json_t *el = election_of(doc);
    json_t *pl = json_object(), *diffs = json_array();
    size_t n = json_array_size(json_object_get(el, "lists"));
    for (size_t i = 0; i <= n; i++) {
        const char *code = i < n ? json_string_value(json_object_get(
                                       json_array_get(json_object_get(el,
                                                                      "lists"),
                                                      i),
                                       "code"))
                                 : "blank";
        int64_t fin = i < n ? json_integer_value(json_object_get(
                                  json_object_get(json_object_get(c, "lists"),
                                                  code),
                                  "approved"))
                            : json_integer_value(json_object_get(c, "blank"));
        int64_t pre = i < n ? prelim[i] : blank;
        if (i < n)
            json_object_set_new(pl, code, json_integer(pre));
        json_array_append_new(
            diffs, json_pack("{s:s, s:I, s:I, s:I, s:s?}", "list", code,
                             "prelim", (json_int_t)pre, "final",
                             (json_int_t)fin, "difference",
                             (json_int_t)(fin - pre), "explanation",
                             explanations[i]));
    }
    json_object_set_new(c, "prelim",
                        json_pack("{s:o, s:I, s:i, s:s, s:i, s:s}", "lists",
                                  pl, "blank", (json_int_t)blank, "doubtful",
                                  0, "by", "kari", "seq", 57, "time",
                                  "2023-09-11T21:00:00Z"));
    json_object_set_new(c, "differences", diffs);
}

/* Sums every count into totals, as the counts document does. */
static void totals_make(json_t *doc)
{
    json_t *el = election_of(doc);
    json_t *t = json_pack("{s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i}, s:{}, "
                          "s:i}",
                          "ballots", 0, "approved", 0, "blank", 0, "rejected",
                          0, "rejected_by_ground", "a", 0, "b", 0, "c", 0,
                          "d", 0, "lists", "write_ins_not_counted", 0);
    static const char *const keys[4] = {"ballots", "approved", "blank",
                                        "rejected"};
    size_t i;
    json_t *c;
    /* every list, zeros included, as in the counts document */
    json_array_foreach(json_object_get(el, "lists"), i, c)
        json_object_set_new(json_object_get(t, "lists"),
                            json_string_value(json_object_get(c, "code")),
                            json_pack("{s:i, s:{}, s:i, s:{}}", "approved", 0,
                                      "personal_votes", "write_ins_given", 0,
                                      "write_ins_received"));
    json_array_foreach(json_object_get(el, "counts"), i, c) {
        for (int k = 0; k < 4; k++)
            json_object_set_new(
                t, keys[k],
                json_integer(json_integer_value(json_object_get(t, keys[k])) +
                             json_integer_value(json_object_get(c, keys[k]))));
        const char *g;
        json_t *v;
        json_t *tg = json_object_get(t, "rejected_by_ground");
        json_object_foreach(json_object_get(c, "rejected_by_ground"), g, v)
            json_object_set_new(tg, g, json_integer(json_integer_value(
                                           json_object_get(tg, g)) +
                                       json_integer_value(v)));
        const char *code;
        json_t *l;
        json_object_foreach(json_object_get(c, "lists"), code, l) {
            json_t *tl = json_object_get(json_object_get(t, "lists"), code);
            json_object_set_new(tl, "write_ins_given",
                                json_integer(json_integer_value(json_object_get(
                                                 tl, "write_ins_given")) +
                                             json_integer_value(json_object_get(
                                                 l, "write_ins_given"))));
            const char *no;
            json_t *x;
            static const char *const by[2] = {"personal_votes",
                                              "write_ins_received"};
            for (int k = 0; k < 2; k++) {
                json_t *to = json_object_get(tl, by[k]);
                json_object_foreach(json_object_get(l, by[k]), no, x)
                    json_object_set_new(
                        to, no,
                        json_integer(json_integer_value(json_object_get(to,
                                                                        no)) +
                                     json_integer_value(x)));
            }
            json_object_set_new(tl, "approved",
                                json_integer(json_integer_value(json_object_get(
                                                 tl, "approved")) +
                                             json_integer_value(json_object_get(
                                                 l, "approved"))));
        }
    }
    json_object_set_new(el, "totals", t);
}

static json_t *build(json_t *doc, json_t *package, uint64_t seed)
{
    json_t *p = NULL;
    int rc = cnt_protocol_build(&p, doc, "KS", package, seed);
    ck_assert_msg(rc == 0, "cnt_protocol_build: %s", err_message());
    return p;
}

static json_t *chapter(json_t *p, size_t i)
{
    return json_array_get(json_object_get(p, "chapters"), i);
}

static json_int_t geti(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

/* A document with counts in every chapter: FO 0001, FS 0001, VO 0001,
 * VO 0002, VB 0002. */
static json_t *three_lists_doc(void)
{
    json_t *doc = doc_new(CODES, NAMES, 3, 27);
    static const int64_t none[4] = {0, 0, 0, 0};
    count_add(doc, "FO", "0001", "0001-FO-01", (int64_t[]){40, 30, 10}, 3, 2,
              (int64_t[]){1, 0, 2, 0});
    count_add(doc, "FS", "0001", "0001-FS-01", (int64_t[]){3, 1, 0}, 3, 0,
              none);
    count_add(doc, "VO", "0001", "0001-VO-01", (int64_t[]){120, 95, 33}, 3,
              4, (int64_t[]){0, 1, 0, 3});
    count_add(doc, "VO", "0002", "0002-VO-01", (int64_t[]){80, 70, 41}, 3, 1,
              (int64_t[]){2, 0, 0, 0});
    json_t *vb = count_add(doc, "VB", "0002", "0002-VB-01",
                           (int64_t[]){1, 0, 0}, 3, 0, none);
    json_array_append_new(json_object_get(vb, "remarks"),
                          json_pack("{s:s, s:s, s:s, s:s}", "batch",
                                    "0002-VB-01", "sheet", "b.tif#1", "by",
                                    "ola", "text",
                                    "Beredskapskonvolutt åpnet av to"));
    totals_make(doc);
    return doc;
}

START_TEST(d_sections_per_category_and_krets)
{
    json_t *doc = three_lists_doc();
    json_t *p = build(doc, NULL, 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "format")),
                     "telle-protocol/1");
    ck_assert(json_is_true(json_object_get(p, "final")));
    ck_assert_uint_eq(json_array_size(json_object_get(p, "not_final")), 0);

    json_t *d1 = chapter(p, 0), *d2 = chapter(p, 1);
    ck_assert_str_eq(json_string_value(json_object_get(d1, "id")), "D1");
    ck_assert_str_eq(json_string_value(json_object_get(d2, "id")), "D2");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(d1, "counted"), "title")),
                     "D1.1 Opptalte forhåndsstemmesedler");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(d2, "counted"), "title")),
                     "D2.1 Opptalte valgtingsstemmesedler");

    /* D1.1: FO and FS only; FO 0001 = 80 approved + 2 blank + 3 rejected. */
    json_t *rows = json_object_get(json_object_get(d1, "counted"), "rows");
    ck_assert_uint_eq(json_array_size(rows), 2);
    json_t *fo = json_array_get(rows, 0);
    ck_assert_str_eq(json_string_value(json_object_get(fo, "category")), "FO");
    ck_assert_int_eq(geti(fo, "ballots"), 85);
    ck_assert_int_eq(geti(fo, "approved"), 80);
    ck_assert_int_eq(geti(fo, "blank"), 2);
    ck_assert_int_eq(geti(fo, "rejected"), 3);
    json_t *tot = json_object_get(json_object_get(d1, "counted"), "total");
    ck_assert_int_eq(geti(tot, "ballots"), 89);
    ck_assert_int_eq(geti(tot, "approved"), 84);

    /* D2.1: VO 0001, VO 0002, VB 0002 in document order. */
    rows = json_object_get(json_object_get(d2, "counted"), "rows");
    ck_assert_uint_eq(json_array_size(rows), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 1),
                                                       "krets")),
                     "0002");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 2),
                                                       "category")),
                     "VB");
    tot = json_object_get(json_object_get(d2, "counted"), "total");
    ck_assert_int_eq(geti(tot, "ballots"), 248 + 4 + 4 + 191 + 1 + 2 + 1);
    ck_assert_int_eq(geti(tot, "rejected"), 6);

    /* D2.2: grounds with their wording, rows and totals. */
    json_t *rej = json_object_get(d2, "rejected");
    json_t *g = json_array_get(json_object_get(rej, "grounds"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(g, "text")),
                     "Stemmeseddelen mangler offentlig stempel");
    ck_assert_str_eq(cnt_ground_text('d'),
                     "Partiet eller gruppen stiller ikke liste i "
                     "valgdistriktet");
    ck_assert_ptr_null(cnt_ground_text('e'));
    json_t *r0 = json_array_get(json_object_get(rej, "rows"), 0);
    ck_assert_int_eq(geti(r0, "b"), 1);
    ck_assert_int_eq(geti(r0, "d"), 3);
    ck_assert_int_eq(geti(r0, "total"), 4);
    json_t *rt = json_object_get(rej, "total");
    ck_assert_int_eq(geti(rt, "a"), 2);
    ck_assert_int_eq(geti(rt, "total"), 6);

    /* D2.3: one column per count, one row per list, totals. */
    json_t *ap = json_object_get(d2, "approved");
    ck_assert_uint_eq(json_array_size(json_object_get(ap, "columns")), 3);
    json_t *h = json_array_get(json_object_get(ap, "rows"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(h, "list")), "H");
    ck_assert_str_eq(json_string_value(json_object_get(h, "name")), "Høyre");
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(h,
                                                                       "counts"),
                                                       1)),
                     70);
    ck_assert_int_eq(geti(h, "total"), 165);
    ck_assert_int_eq(geti(json_object_get(ap, "total"), "total"),
                     248 + 191 + 1);

    /* D1.5 has no remarks; D2.5 has the VB remark. */
    ck_assert_uint_eq(json_array_size(json_object_get(
                          json_object_get(d1, "remarks"), "rows")),
                      0);
    json_t *rm = json_array_get(json_object_get(json_object_get(d2, "remarks"),
                                                "rows"),
                                0);
    ck_assert_str_eq(json_string_value(json_object_get(rm, "category")), "VB");
    ck_assert_str_eq(json_string_value(json_object_get(rm, "by")), "ola");

    /* No prelim anywhere: each count says so (prelim null, no rows). */
    json_t *dc = json_array_get(json_object_get(json_object_get(d1,
                                                                "differences"),
                                                "counts"),
                                0);
    ck_assert(json_is_null(json_object_get(dc, "prelim")));
    ck_assert_uint_eq(json_array_size(json_object_get(dc, "rows")), 0);
    json_decref(p);
    json_decref(doc);
}
END_TEST

START_TEST(differences_and_the_not_final_rule)
{
    json_t *doc = three_lists_doc();
    json_t *el = election_of(doc);
    json_t *vo = json_array_get(json_object_get(el, "counts"), 2);
    /* VO 0001 final: AP 120, H 95, SP 33, blank 4. Prelim: AP 121 (-1,
     * explained), H 95, SP 32 (+1, NOT explained), blank 4. */
    const char *ex[4] = {"En stemmeseddel lå i feil bunke ved opptellingen",
                         NULL, NULL, NULL};
    prelim_set(doc, vo, (int64_t[]){121, 95, 32}, 4, ex);
    json_t *p = build(doc, NULL, 0);
    ck_assert(json_is_false(json_object_get(p, "final")));
    ck_assert_int_eq(geti(p, "unexplained_differences"), 1);
    json_t *nf = json_object_get(p, "not_final");
    ck_assert_uint_eq(json_array_size(nf), 1);
    ck_assert_str_eq(json_string_value(json_array_get(nf, 0)),
                     "1 avvik uten forklaring");
    json_t *d2 = chapter(p, 1);
    json_t *dc = json_array_get(json_object_get(json_object_get(d2,
                                                                "differences"),
                                                "counts"),
                                0);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(dc, "prelim"), "by")),
                     "kari");
    json_t *rows = json_object_get(dc, "rows");
    ck_assert_uint_eq(json_array_size(rows), 4); /* 3 lists + blank */
    json_t *apr = json_array_get(rows, 0), *sp = json_array_get(rows, 2);
    ck_assert_int_eq(geti(apr, "difference"), -1);
    ck_assert(json_is_false(json_object_get(apr, "unexplained")));
    ck_assert_str_eq(json_string_value(json_object_get(apr, "name")),
                     "Arbeiderpartiet");
    ck_assert_int_eq(geti(sp, "difference"), 1);
    ck_assert(json_is_true(json_object_get(sp, "unexplained")));
    ck_assert(json_is_null(json_object_get(sp, "explanation")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 3),
                                                       "list")),
                     "blank");
    json_decref(p);

    /* Explained: final again. */
    const char *ex2[4] = {"En stemmeseddel lå i feil bunke ved opptellingen",
                          NULL, "Telt feil ved foreløpig opptelling", NULL};
    prelim_set(doc, vo, (int64_t[]){121, 95, 32}, 4, ex2);
    p = build(doc, NULL, 0);
    ck_assert(json_is_true(json_object_get(p, "final")));
    ck_assert_int_eq(geti(p, "unexplained_differences"), 0);
    json_decref(p);

    /* An open batch makes it not final, and names the batch. */
    json_object_set_new(el, "final", json_false());
    json_array_append_new(json_object_get(el, "open_batches"),
                          json_string("0003-VO-01"));
    json_array_append_new(json_object_get(el, "open_batches"),
                          json_string("0003-VO-02"));
    p = build(doc, NULL, 0);
    ck_assert(json_is_false(json_object_get(p, "final")));
    nf = json_object_get(p, "not_final");
    ck_assert_uint_eq(json_array_size(nf), 1);
    ck_assert_str_eq(json_string_value(json_array_get(nf, 0)),
                     "2 bunker ikke godkjent (0003-VO-01, 0003-VO-02)");
    json_decref(p);

    /* Both at once: two reasons. */
    prelim_set(doc, vo, (int64_t[]){121, 95, 32}, 4, ex);
    p = build(doc, NULL, 0);
    ck_assert_uint_eq(json_array_size(json_object_get(p, "not_final")), 2);
    json_decref(p);
    json_decref(doc);

    /* Nothing counted at all: not final, and says so. */
    doc = doc_new(CODES, NAMES, 3, 27);
    json_object_set_new(election_of(doc), "final", json_false());
    totals_make(doc);
    p = build(doc, NULL, 0);
    ck_assert(json_is_false(json_object_get(p, "final")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p,
                                                                      "not_"
                                                                      "final"),
                                                      0)),
                     "ingen bunker er talt");
    /* No approved ballots: E cannot allocate, and says why. */
    json_t *e = json_object_get(p, "E");
    ck_assert_ptr_nonnull(json_object_get(e, "error"));
    json_decref(p);
    json_decref(doc);
}
END_TEST

/* Aukra 2019 as a counts document: one VO count holding the published
 * per-list numbers; write-ins received spread over candidates (H #1 52,
 * #7 32, #2 15 as published, the rest to an invented candidate 20 of each
 * list) and write-ins given as published. */
static json_t *aukra_doc(void)
{
    const char *codes[AUKRA_LISTS], *names[AUKRA_LISTS];
    for (size_t i = 0; i < AUKRA_LISTS; i++)
        codes[i] = names[i] = AUKRA_VOTES[i].code;
    json_t *doc = doc_new(codes, names, AUKRA_LISTS, AUKRA_SEATS);
    int64_t approved[AUKRA_LISTS];
    for (size_t i = 0; i < AUKRA_LISTS; i++)
        approved[i] = AUKRA_VOTES[i].ballots;
    json_t *c = count_add(doc, "VO", "0001", "0001-VO-01", approved,
                          AUKRA_LISTS, 0, (int64_t[]){0, 0, 0, 0});
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        const cnt_list_votes *l = &AUKRA_VOTES[i];
        json_t *cl = json_object_get(json_object_get(c, "lists"), l->code);
        json_object_set_new(cl, "write_ins_given",
                            json_integer(l->write_ins_given));
        json_t *wr = json_object_get(cl, "write_ins_received");
        json_t *pv = json_object_get(cl, "personal_votes");
        int64_t rest = l->write_ins_received;
        if (i == 0) {
            for (size_t k = 0; k < AUKRA_H_N; k++) {
                char key[8];
                snprintf(key, sizeof key, "%d", AUKRA_H[k].no);
                if (AUKRA_H[k].write_ins_received)
                    json_object_set_new(wr, key, json_integer(
                                                     AUKRA_H[k].write_ins_received));
                if (AUKRA_H[k].personal_votes)
                    json_object_set_new(pv, key, json_integer(
                                                     AUKRA_H[k].personal_votes));
                rest -= AUKRA_H[k].write_ins_received;
            }
            ck_assert_int_ge(rest, 0);
        }
        if (rest > 0)
            json_object_set_new(wr, i == 0 ? "16" : "1", json_integer(rest));
    }
    totals_make(doc);
    return doc;
}

/* The package's election.json for Aukra: H's candidates (aukra2019.h plus
 * #16 who only received write-ins), one candidate for every other list. */
static json_t *aukra_package(void)
{
    json_t *lists = json_array();
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        json_t *cands = json_array();
        if (i == 0) {
            for (size_t k = 0; k < AUKRA_H_N; k++)
                json_array_append_new(
                    cands, json_pack("{s:i, s:s, s:b}", "no", AUKRA_H[k].no,
                                     "name", AUKRA_H[k].name, "stemmetillegg",
                                     AUKRA_H[k].stemmetillegg));
            json_array_append_new(cands, json_pack("{s:i, s:s}", "no", 16,
                                                   "name", "Åse Ødegård"));
        } else {
            json_array_append_new(cands, json_pack("{s:i, s:s, s:b}", "no", 1,
                                                   "name", "Første kandidat",
                                                   "stemmetillegg", 1));
        }
        json_array_append_new(lists, json_pack("{s:s, s:o}", "code",
                                               AUKRA_VOTES[i].code,
                                               "candidates", cands));
    }
    return json_pack("{s:[{s:s, s:o}]}", "elections", "id", "KS", "lists",
                     lists);
}

static const struct {
    const char *list, *quotient;
} AUKRA_ORDER[AUKRA_SEATS] = {
    {"H", "6337.142857"},   {"Ap", "5781.428571"},  {"KrF", "5361.428571"},
    {"Sp", "4662.142857"},  {"H", "2957.333333"},   {"Ap", "2698.000000"},
    {"KrF", "2502.000000"}, {"Sp", "2175.666667"},  {"V", "1865.714286"},
    {"H", "1774.400000"},   {"FrP", "1705.714286"}, {"Ap", "1618.800000"},
    {"SV", "1556.428571"},  {"KrF", "1501.200000"}, {"Sp", "1305.400000"},
    {"H", "1267.428571"},   {"Ap", "1156.285714"},  {"KrF", "1072.285714"},
    {"H", "985.777778"},    {"Sp", "932.428571"},   {"Ap", "899.333333"},
};

START_TEST(e_reproduces_aukra_2019)
{
    json_t *doc = aukra_doc(), *pkg = aukra_package();
    json_t *p = build(doc, pkg, 0);
    json_t *e = json_object_get(p, "E");
    ck_assert_ptr_null(json_object_get(e, "error"));
    json_t *lists = json_object_get(e, "lists");
    static const int64_t lst[AUKRA_LISTS] = {8872, 8094, 7506, 6527,
                                             2612, 2388, 2179};
    static const int seats[AUKRA_LISTS] = {5, 5, 4, 4, 1, 1, 1};
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        json_t *l = json_array_get(lists, i);
        ck_assert_int_eq(geti(l, "listestemmetall"), lst[i]);
        ck_assert_int_eq(geti(l, "seats"), seats[i]);
        ck_assert_int_eq(geti(l, "write_ins_received"),
                         AUKRA_VOTES[i].write_ins_received);
    }
    json_t *qs = json_object_get(e, "quotients");
    ck_assert_uint_eq(json_array_size(qs), AUKRA_SEATS);
    for (size_t s = 0; s < AUKRA_SEATS; s++) {
        json_t *q = json_array_get(qs, s);
        ck_assert_int_eq(geti(q, "seat"), (json_int_t)s + 1);
        ck_assert_str_eq(json_string_value(json_object_get(q, "list")),
                         AUKRA_ORDER[s].list);
        ck_assert_str_eq(json_string_value(json_object_get(q,
                                                           "quotient_text")),
                         AUKRA_ORDER[s].quotient);
    }
    json_t *next = json_object_get(e, "next_quotient");
    ck_assert_str_eq(json_string_value(json_object_get(next, "list")), "V");
    ck_assert_str_eq(json_string_value(json_object_get(next, "quotient_text")),
                     "870.666667");
    ck_assert_uint_eq(json_array_size(json_object_get(e, "lots")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(e,
                                                      "candidates_missing")),
                      0);

    /* H: #1 106.50 + 186 + 52 = 344.50 first; #7 93 second; #2 70 third. */
    json_t *h = json_object_get(json_object_get(e, "candidates"), "H");
    json_t *c0 = json_array_get(h, 0), *c1 = json_array_get(h, 1),
           *c2 = json_array_get(h, 2);
    ck_assert_int_eq(geti(c0, "no"), 1);
    ck_assert(json_real_value(json_object_get(c0, "stemmetillegg")) == 106.5);
    ck_assert(json_real_value(json_object_get(c0, "total")) == 344.5);
    ck_assert_int_eq(geti(c0, "write_ins_received"), 52);
    ck_assert_int_eq(geti(c1, "no"), 7);
    ck_assert(json_real_value(json_object_get(c1, "total")) == 93);
    ck_assert_int_eq(geti(c2, "no"), 2);
    ck_assert(json_real_value(json_object_get(c2, "total")) == 70);
    /* 5 seats: ranks 1-5 elected, the next 8 deputies. */
    ck_assert(json_is_true(json_object_get(json_array_get(h, 4), "elected")));
    ck_assert(json_is_true(json_object_get(json_array_get(h, 5), "deputy")));
    ck_assert_int_eq(geti(json_array_get(h, 5), "deputy_rank"), 1);
    /* Stemmetillegg per list, as published. */
    ck_assert(json_real_value(json_object_get(json_array_get(lists, 4),
                                              "stemmetillegg")) == 29.25);
    json_decref(p);

    /* settle --db's path gives the same chapter E (one conversion). */
    cnt_settle_input *in = NULL;
    cnt_settlement *st = NULL;
    ck_assert_int_eq(cnt_settle_input_from_counts(&in, doc, "KS", pkg), 0);
    ck_assert_int_eq(in->lists[0].write_ins_received, 211);
    ck_assert_int_eq(in->lists[0].write_ins_given, 285);
    ck_assert_int_eq(cnt_settle_compute(&st, in, 0), 0);
    ck_assert_int_eq(cnt_seats_won(st->seats, 0), 5);
    cnt_settlement_free(st);
    cnt_settle_input_free(in);

    /* Without the package no list can be ranked; seats still are. */
    p = build(doc, NULL, 0);
    e = json_object_get(p, "E");
    ck_assert_uint_eq(json_array_size(json_object_get(e, "quotients")),
                      AUKRA_SEATS);
    ck_assert_uint_eq(json_array_size(json_object_get(e,
                                                      "candidates_missing")),
                      AUKRA_LISTS);
    ck_assert_uint_eq(json_object_size(json_object_get(e, "candidates")), 0);
    json_decref(p);
    json_decref(pkg);
    json_decref(doc);
}
END_TEST

START_TEST(bad_documents_are_refused)
{
    json_t *doc = three_lists_doc(), *p = NULL;
    ck_assert_int_eq(cnt_protocol_build(&p, doc, "FT", NULL, 0),
                     TELLE_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(err_message(), "no election FT"));
    json_t *c = json_array_get(json_object_get(election_of(doc), "counts"), 1);
    json_object_del(c, "blank");
    ck_assert_int_eq(cnt_protocol_build(&p, doc, "KS", NULL, 0),
                     TELLE_EFORMAT);
    ck_assert_str_eq(err_message(), "elections[0].counts[1].blank: missing");
    json_decref(doc);

    doc = three_lists_doc();
    json_object_del(json_object_get(json_object_get(election_of(doc),
                                                    "totals"),
                                    "lists"),
                    "SP");
    ck_assert_int_eq(cnt_protocol_build(&p, doc, "KS", NULL, 0),
                     TELLE_EFORMAT);
    ck_assert_str_eq(err_message(), "elections[0].totals.lists.SP: missing");
    json_object_set_new(doc, "format", json_string("telle-counts/9"));
    ck_assert_int_eq(cnt_protocol_build(&p, doc, "KS", NULL, 0),
                     TELLE_EFORMAT);
    json_decref(doc);
}
END_TEST

static void make_tmpdir(void);
static void remove_tmpdir(void);
static char *pdf_text(json_t *p);

START_TEST(lots_are_drawn_and_recorded)
{
    static const char *const codes[2] = {"A", "B"};
    json_t *doc = doc_new(codes, codes, 2, 1);
    count_add(doc, "FO", "0001", "0001-FO-01", (int64_t[]){10, 10}, 2, 0,
              (int64_t[]){0, 0, 0, 0});
    totals_make(doc);
    json_t *p = build(doc, NULL, 42);
    json_t *e = json_object_get(p, "E");
    ck_assert_int_eq(geti(p, "seed"), 42);
    ck_assert_int_eq(geti(e, "seed"), 42);
    json_t *lots = json_object_get(e, "lots");
    ck_assert_uint_eq(json_array_size(lots), 1);
    ck_assert(json_is_true(json_object_get(json_array_get(lots, 0),
                                           "decisive")));
    /* The same seed draws the same way. */
    json_t *again = build(doc, NULL, 42);
    ck_assert(json_equal(json_object_get(e, "lots"),
                         json_object_get(json_object_get(again, "E"),
                                         "lots")));
    json_decref(again);
    /* The PDF records the draw. */
    make_tmpdir();
    char *t = pdf_text(p);
    ck_assert_ptr_nonnull(strstr(t, "Loddtrekning (frø 42) ved mandat 1"));
    ck_assert_ptr_nonnull(strstr(t, "loddtrekningen avgjorde"));
    free(t);
    remove_tmpdir();
    json_decref(p);
    json_decref(doc);
}
END_TEST

/* ---- PDF ---- */

static char *tmpdir;

static void make_tmpdir(void)
{
    tmpdir = tu_tmpdir("protocol");
}

static void remove_tmpdir(void)
{
    ck_assert_int_eq(tu_rmtree(tmpdir), 0);
    free(tmpdir);
}

/* Writes p as a PDF and returns its text by pdftotext -layout (free). */
static char *pdf_text(json_t *p)
{
    char pdf[128];
    snprintf(pdf, sizeof pdf, "%s/p.pdf", tmpdir);
    ck_assert_msg(cnt_protocol_pdf_write(p, pdf) == 0, "%s", err_message());
    char *text = NULL, *err = NULL;
    ck_assert_int_eq(tu_sh(&text, &err, NULL, "pdftotext -layout '%s' -", pdf), 0);
    free(err);
    return text;
}

static int pages_of(const char *text)
{
    int n = 0;
    for (const char *s = text; (s = strchr(s, '\f')); s++)
        n++;
    return n;
}

START_TEST(pdf_shows_the_numbers_and_norwegian_letters)
{
    json_t *doc = aukra_doc(), *pkg = aukra_package();
    json_t *p = build(doc, pkg, 0);
    char *t = pdf_text(p);
    static const char *const want[] = {
        "Valgstyrets møtebok", "Aukra kommune", "Kommunestyrevalget 2023 (KS)",
        "D1 Forhåndsstemmer", "D1.1 Opptalte forhåndsstemmesedler",
        "D2.3 Godkjente valgtingsstemmesedler fordelt på parti",
        "D2.4 Avvik mellom foreløpig og endelig opptelling",
        "Stikkprøvekontroll", "E Valgoppgjør", "6337.142857", "899.333333",
        "870.666667", "8872", "344.50", "106.50", "Åse Ødegård",
        "Status: ENDELIG", "Sekretær", "Underskrifter",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(t, want[i]) != NULL, "PDF text lacks '%s'",
                      want[i]);
    ck_assert_ptr_null(strstr(t, "IKKE ENDELIG"));
    int n = pages_of(t);
    ck_assert_int_ge(n, 2);
    char s[32];
    snprintf(s, sizeof s, "side %d av %d", n, n);
    ck_assert_msg(strstr(t, s) != NULL, "no '%s'", s);
    snprintf(s, sizeof s, "side 1 av %d", n);
    ck_assert_msg(strstr(t, s) != NULL, "no '%s'", s);
    /* Seats in order: the seat-1 row reads "1 Høyre-ish (H) 6337.142857". */
    const char *s1 = strstr(t, "6337.142857");
    const char *s21 = strstr(t, "899.333333");
    ck_assert(s1 < s21);
    free(t);
    json_decref(p);
    json_decref(pkg);
    json_decref(doc);
}
END_TEST

START_TEST(pdf_not_final_band_on_every_page)
{
    /* 60 kretser of VO: tables run over several pages. */
    json_t *doc = doc_new(CODES, NAMES, 3, 27);
    for (int k = 1; k <= 60; k++) {
        char krets[8], batch[16];
        snprintf(krets, sizeof krets, "%04d", k);
        snprintf(batch, sizeof batch, "%04d-VO-01", k);
        count_add(doc, "VO", krets, batch, (int64_t[]){k, 2 * k, 7}, 3, 1,
                  (int64_t[]){k % 2, 0, 0, 0});
    }
    json_t *el = election_of(doc);
    json_t *c = json_array_get(json_object_get(el, "counts"), 4);
    const char *ex[4] = {NULL, NULL, NULL, NULL};
    prelim_set(doc, c, (int64_t[]){5, 10, 8}, 1, ex); /* SP 8 vs 7 */
    json_object_set_new(el, "final", json_false());
    json_array_append_new(json_object_get(el, "open_batches"),
                          json_string("0061-VO-01"));
    /* A long remark wraps inside its cell; an unbroken word is cut. */
    char remark[1024] = "";
    for (int k = 0; k < 15; k++) /* 15 × 37 bytes */
        strcat(remark, "Stemmeseddelen var revet på midten, ");
    strcat(remark, "Slutt. Ordet_uten_mellomrom_som_er_lengre_enn_hele_"
                   "kolonnen_og_derfor_deles");
    json_array_append_new(json_object_get(c, "remarks"),
                          json_pack("{s:s, s:s, s:s, s:s}", "batch",
                                    "0005-VO-01", "sheet", "x.tif#9", "by",
                                    "ola", "text", remark));
    /* A spot check with one difference. */
    json_array_append_new(
        json_object_get(el, "spotchecks"),
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:{s:i}, s:i, s:i}, "
                  "s:{s:{s:i}, s:i, s:i}, s:[{s:s, s:i, s:i}], s:s}",
                  "batch", "0003-VO-01", "election", "KS", "category", "VO",
                  "krets", "0003", "ballots_checked", 74, "hand", "lists",
                  "AP", 3, "blank", 1, "rejected", 0, "machine", "lists", "AP",
                  4, "blank", 0, "rejected", 0, "differences", "what",
                  "blank", "hand", 1, "machine", 0, "explanation",
                  "Blank seddel lest som AP; rettet i verifisering"));
    totals_make(doc);
    json_t *p = build(doc, NULL, 0);
    json_t *spot = json_object_get(json_object_get(p, "spotchecks"), "rows");
    ck_assert_uint_eq(json_array_size(spot), 1);
    ck_assert_int_eq(geti(json_array_get(spot, 0), "ballots_checked"), 74);
    ck_assert(json_is_false(json_object_get(p, "final")));
    char *t = pdf_text(p);
    int n = pages_of(t);
    ck_assert_int_ge(n, 4);
    /* Every page carries the band and its page number. */
    char *save = NULL;
    int page = 0;
    for (char *pg = strtok_r(t, "\f", &save); pg;
         pg = strtok_r(NULL, "\f", &save)) {
        if (strspn(pg, " \n") == strlen(pg))
            continue; /* pdftotext's trailing newline after the last \f */
        page++;
        ck_assert_msg(strstr(pg, "IKKE ENDELIG") != NULL,
                      "page %d lacks the band", page);
        ck_assert_msg(strstr(pg, "1 bunke ikke godkjent (0061-VO-01)") != NULL,
                      "page %d lacks the open batch", page);
        char s[32];
        snprintf(s, sizeof s, "side %d av %d", page, n);
        ck_assert_msg(strstr(pg, s) != NULL, "page %d lacks '%s'", page, s);
    }
    ck_assert_int_eq(page, n);
    free(t);

    /* The unexplained row is marked, the spot check and the long remark
     * are there, and every krets row appears once in D2.1 across its page
     * breaks. */
    t = pdf_text(p);
    ck_assert_ptr_nonnull(strstr(t, "UTEN FORKLARING"));
    ck_assert_ptr_nonnull(strstr(t, "blank: 1 / 0"));
    ck_assert_ptr_nonnull(strstr(t, "Blank seddel lest som AP"));
    ck_assert_ptr_nonnull(strstr(t, "Slutt."));
    ck_assert_ptr_nonnull(strstr(t, "Ordet_uten"));
    ck_assert_ptr_nonnull(strstr(t, "deles"));
    ck_assert_ptr_nonnull(strstr(t, "1 avvik uten forklaring"));
    char *d22 = strstr(t, "D2.2 Forkastede");
    ck_assert_ptr_nonnull(d22);
    *d22 = 0; /* D2.1 only: remarks and spot checks name batches too */
    for (int k = 1; k <= 60; k++) {
        char b[16];
        snprintf(b, sizeof b, "%04d-VO-01", k);
        const char *first = strstr(t, b);
        ck_assert_msg(first != NULL, "%s missing", b);
        ck_assert_msg(strstr(first + 1, b) == NULL, "%s twice", b);
    }
    free(t);
    json_decref(p);
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("count_protocol");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, d_sections_per_category_and_krets);
    tcase_add_test(tc, differences_and_the_not_final_rule);
    tcase_add_test(tc, e_reproduces_aukra_2019);
    tcase_add_test(tc, bad_documents_are_refused);
    tcase_add_test(tc, lots_are_drawn_and_recorded);
    suite_add_tcase(s, tc);
    TCase *pdf = tcase_create("pdf");
    tcase_add_checked_fixture(pdf, make_tmpdir, remove_tmpdir);
    tcase_set_timeout(pdf, 60);
    tcase_add_test(pdf, pdf_shows_the_numbers_and_norwegian_letters);
    tcase_add_test(pdf, pdf_not_final_band_on_every_page);
    suite_add_tcase(s, pdf);
    return tu_suite_run(s);
}
