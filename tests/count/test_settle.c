/* test_settle.c - the `telle settle` command, run as a process ($TELLE_BIN)
 * on counts files written here: Aukra 2019 end to end in JSON and tables,
 * seeded lots, FT ranking, and bad input naming the JSON path. */
#include "aukra2019.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmpdir;

static void make_tmpdir(void)
{
    tmpdir = tu_tmpdir("settle");
}

static void remove_tmpdir(void)
{
    ck_assert_int_eq(tu_rmtree(tmpdir), 0);
    free(tmpdir);
}

/* Writes `counts` to a file, runs `telle settle --counts FILE ARGS`, and
 * returns the exit status; *out and *err get stdout and stderr (free). */
static int run_settle(char **out, char **err, json_t *counts,
                      const char *args)
{
    char file[128];
    snprintf(file, sizeof file, "%s/counts.json", tmpdir);
    ck_assert_int_eq(json_dump_file(counts, file, JSON_INDENT(1)), 0);
    *out = *err = NULL;
    return tu_telle(out, err, NULL, "settle --counts '%s' %s", file, args);
}

static json_t *aukra_counts(bool with_h_candidates)
{
    json_t *lists = json_array();
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        const cnt_list_votes *l = &AUKRA_VOTES[i];
        json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "code", l->code,
                              "ballots", (json_int_t)l->ballots,
                              "write_ins_received",
                              (json_int_t)l->write_ins_received,
                              "write_ins_given", (json_int_t)l->write_ins_given);
        if (i == 0 && with_h_candidates) {
            json_t *cands = json_array();
            for (size_t k = 0; k < AUKRA_H_N; k++) {
                const cnt_candidate_votes *c = &AUKRA_H[k];
                json_array_append_new(
                    cands, json_pack("{s:i, s:s, s:b, s:I, s:I}", "no", c->no,
                                     "name", c->name, "stemmetillegg",
                                     (int)c->stemmetillegg, "personal_votes",
                                     (json_int_t)c->personal_votes,
                                     "write_ins_received",
                                     (json_int_t)c->write_ins_received));
            }
            json_object_set_new(o, "candidates", cands);
        }
        json_array_append_new(lists, o);
    }
    return json_pack("{s:i, s:f, s:o}", "seats", AUKRA_SEATS, "first_divisor",
                     1.4, "lists", lists);
}

START_TEST(aukra_json_matches_the_published_protocol)
{
    make_tmpdir();
    json_t *counts = aukra_counts(true);
    char *out, *err;
    ck_assert_int_eq(run_settle(&out, &err, counts, "--json"), 0);
    ck_assert_str_eq(err, "");
    /* Six decimals as printed in the protocol, exactly. */
    ck_assert_ptr_nonnull(strstr(out, "\"quotient\": 6337.142857"));
    ck_assert_ptr_nonnull(strstr(out, "\"quotient\": 870.666667"));

    json_error_t jerr;
    json_t *r = json_loads(out, 0, &jerr);
    ck_assert_msg(r != NULL, "output is not JSON: %s", jerr.text);
    static const int64_t lst[AUKRA_LISTS] = {8872, 8094, 7506, 6527,
                                             2612, 2388, 2179};
    static const int won[AUKRA_LISTS] = {5, 5, 4, 4, 1, 1, 1};
    json_t *lists = json_object_get(r, "lists");
    ck_assert_uint_eq(json_array_size(lists), AUKRA_LISTS);
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        json_t *l = json_array_get(lists, i);
        ck_assert_str_eq(json_string_value(json_object_get(l, "code")),
                         AUKRA_VOTES[i].code);
        ck_assert_int_eq(json_integer_value(json_object_get(l, "listestemmetall")),
                         lst[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(l, "seats")), won[i]);
    }
    /* domain.md, the seats in order with their quotients. */
    static const char *codes[AUKRA_SEATS] = {
        "H", "Ap", "KrF", "Sp", "H", "Ap", "KrF", "Sp", "V", "H", "FrP",
        "Ap", "SV", "KrF", "Sp", "H", "Ap", "KrF", "H", "Sp", "Ap"};
    static const char *quotients[AUKRA_SEATS] = {
        "6337.142857", "5781.428571", "5361.428571", "4662.142857",
        "2957.333333", "2698.0",      "2502.0",      "2175.666667",
        "1865.714286", "1774.4",      "1705.714286", "1618.8",
        "1556.428571", "1501.2",      "1305.4",      "1267.428571",
        "1156.285714", "1072.285714", "985.777778",  "932.428571",
        "899.333333"};
    json_t *qs = json_object_get(r, "quotients");
    ck_assert_uint_eq(json_array_size(qs), AUKRA_SEATS);
    for (size_t i = 0; i < AUKRA_SEATS; i++) {
        json_t *q = json_array_get(qs, i);
        ck_assert_int_eq(json_integer_value(json_object_get(q, "seat")),
                         (int)i + 1);
        ck_assert_str_eq(json_string_value(json_object_get(q, "list")), codes[i]);
        ck_assert(json_real_value(json_object_get(q, "quotient")) ==
                  strtod(quotients[i], NULL));
    }
    json_t *next = json_object_get(r, "next_quotient");
    ck_assert_str_eq(json_string_value(json_object_get(next, "list")), "V");
    ck_assert(json_real_value(json_object_get(next, "quotient")) == 870.666667);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "lots")), 0);

    /* The H ranking: #1 344.50, #7 93 second, #2 70 third; five elected. */
    json_t *h = json_object_get(json_object_get(r, "candidates"), "H");
    ck_assert_uint_eq(json_array_size(h), AUKRA_H_N);
    static const int first[3] = {1, 7, 2};
    static const double totals[3] = {344.5, 93, 70};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_array_get(h, i);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "no")), first[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "rank")), (int)i + 1);
        ck_assert(json_real_value(json_object_get(c, "total")) == totals[i]);
    }
    ck_assert(json_real_value(json_object_get(json_array_get(h, 0),
                                              "stemmetillegg")) == 106.5);
    for (size_t i = 0; i < AUKRA_H_N; i++) {
        json_t *c = json_array_get(h, i);
        ck_assert(json_is_true(json_object_get(c, "elected")) == (i < 5));
        ck_assert(json_is_true(json_object_get(c, "deputy")) ==
                  (i >= 5 && i < 13));
    }
    /* Only H gave candidates. */
    ck_assert_uint_eq(json_object_size(json_object_get(r, "candidates")), 1);
    json_decref(r);
    json_decref(counts);
    free(out);
    free(err);
    remove_tmpdir();
}
END_TEST

START_TEST(aukra_tables_are_readable)
{
    make_tmpdir();
    json_t *counts = aukra_counts(true);
    char *out, *err;
    ck_assert_int_eq(run_settle(&out, &err, counts, ""), 0);
    ck_assert_ptr_nonnull(strstr(out, "21 seats, first divisor 1.4"));
    ck_assert_ptr_nonnull(strstr(out, "   6  Ap              2698.000000"));
    ck_assert_ptr_nonnull(strstr(out, "next  V                870.666667"));
    ck_assert_ptr_nonnull(strstr(out, "106.50"));
    ck_assert_ptr_nonnull(strstr(out, "344.50  elected"));
    ck_assert_ptr_nonnull(strstr(out, "deputy 8"));
    json_decref(counts);
    free(out);
    free(err);

    /* Without candidates only seats are computed. */
    counts = aukra_counts(false);
    ck_assert_int_eq(run_settle(&out, &err, counts, "--json"), 0);
    json_t *r = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(json_object_size(json_object_get(r, "candidates")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "quotients")), 21);
    json_decref(r);
    json_decref(counts);
    free(out);
    free(err);
    remove_tmpdir();
}
END_TEST

START_TEST(lots_are_seeded_reproducible_and_recorded)
{
    make_tmpdir();
    json_t *counts = json_pack(
        "{s:i, s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}]}", "seats", 2, "lists",
        "code", "A", "ballots", 50, "code", "B", "ballots", 50, "code", "C",
        "ballots", 50);
    char *out1, *err1, *out2, *err2;
    ck_assert_int_eq(run_settle(&out1, &err1, counts, "--json --seed 9"), 0);
    ck_assert_int_eq(run_settle(&out2, &err2, counts, "--json --seed 9"), 0);
    ck_assert_str_eq(out1, out2);
    ck_assert_str_eq(err1, "");
    json_t *r = json_loads(out1, 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "seed")), 9);
    json_t *lots = json_object_get(r, "lots");
    ck_assert_uint_eq(json_array_size(lots), 1);
    json_t *d = json_array_get(lots, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "first_seat")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(d, "tied")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(d, "awarded")), 2);
    ck_assert(json_is_true(json_object_get(d, "decisive")));
    /* The left-out list is the third drawn, holds no seat and is next. */
    const char *out = json_string_value(
        json_array_get(json_object_get(d, "order"), 2));
    json_t *lists = json_object_get(r, "lists");
    for (size_t i = 0; i < 3; i++) {
        json_t *l = json_array_get(lists, i);
        bool is_out = strcmp(json_string_value(json_object_get(l, "code")), out) == 0;
        ck_assert_int_eq(json_integer_value(json_object_get(l, "seats")),
                         is_out ? 0 : 1);
    }
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r, "next_quotient"), "list")), out);
    json_decref(r);
    free(out1);
    free(err1);
    free(out2);
    free(err2);

    /* Without --seed the draw uses 0 and says so on stderr. */
    ck_assert_int_eq(run_settle(&out1, &err1, counts, ""), 0);
    ck_assert_ptr_nonnull(strstr(err1, "default seed 0"));
    ck_assert_ptr_nonnull(strstr(out1, "Drawing of lots (seed 0)"));
    free(out1);
    free(err1);
    json_decref(counts);
    remove_tmpdir();
}
END_TEST

START_TEST(ft_ranks_with_the_eight_percent_rule)
{
    make_tmpdir();
    json_t *counts = json_pack(
        "{s:s, s:[{s:s, s:i, s:i, s:[{s:i, s:i}, {s:i, s:i}, {s:i, s:i}]}]}",
        "election", "FT", "lists", "code", "X", "ballots", 1000, "seats", 1,
        "candidates", "no", 1, "personal_votes", 79, "no", 2,
        "personal_votes", 5, "no", 3, "personal_votes", 80);
    char *out, *err;
    ck_assert_int_eq(run_settle(&out, &err, counts, "--json"), 0);
    json_t *r = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(r);
    json_t *x = json_object_get(json_object_get(r, "candidates"), "X");
    static const int order[3] = {3, 1, 2};
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(json_integer_value(json_object_get(
                             json_array_get(x, i), "no")), order[i]);
    ck_assert(json_is_true(json_object_get(json_array_get(x, 0), "elected")));
    ck_assert_uint_eq(json_array_size(json_object_get(r, "quotients")), 0);
    json_decref(r);
    json_decref(counts);
    free(out);
    free(err);
    remove_tmpdir();
}
END_TEST

/* Runs settle on `text` and checks exit status 1 and the message. */
static void assert_refused(const char *text, const char *message)
{
    json_t *counts = json_loads(text, 0, NULL);
    ck_assert_msg(counts != NULL, "bad test input: %s", text);
    char *out, *err;
    ck_assert_int_eq(run_settle(&out, &err, counts, "--json"), 1);
    ck_assert_str_eq(out, "");
    ck_assert_msg(strstr(err, message) != NULL, "stderr '%s' lacks '%s'", err,
                  message);
    free(out);
    free(err);
    json_decref(counts);
}

START_TEST(bad_input_names_the_json_path)
{
    make_tmpdir();
    assert_refused("{\"seats\": 21}", "$.lists: missing");
    assert_refused("{\"seats\": \"21\", \"lists\": []}",
                   "$.seats: expected a whole number, got a string");
    assert_refused("{\"seats\": 3, \"lists\": [{\"code\": \"A\", \"ballots\": 9,"
                   " \"write_ins_recieved\": 3}]}",
                   "$.lists[0].write_ins_recieved: unknown key");
    assert_refused("{\"seats\": 3, \"lists\": [{\"code\": \"A\", \"ballots\": 9.5}]}",
                   "$.lists[0].ballots: expected a whole number");
    assert_refused("{\"seats\": 3, \"first_divisor\": 1.45, \"lists\": "
                   "[{\"code\": \"A\", \"ballots\": 9}]}",
                   "$.first_divisor: 1.45 is not a whole number of tenths");
    assert_refused("{\"seats\": 3, \"lists\": [{\"code\": \"A\", \"ballots\": 9},"
                   " {\"code\": \"B\", \"ballots\": 10, \"write_ins_given\": 31}]}",
                   "$.lists[1].write_ins_given: 31 is outside 0..30");
    assert_refused("{\"seats\": 3, \"lists\": [{\"code\": \"A\", \"ballots\": 9,"
                   " \"candidates\": [{\"no\": 1, \"personal_votes\": 1},"
                   " {\"no\": 1, \"personal_votes\": 2}]}]}",
                   "$.lists[0].candidates[1].no: 1 repeats candidates[0]");
    assert_refused("{\"seats\": 3, \"lists\": [{\"code\": \"A\", \"ballots\": 9,"
                   " \"candidates\": [{\"no\": 1}]}]}",
                   "$.lists[0].candidates[0].personal_votes: missing");
    assert_refused("{\"seats\": 3, \"lists\": [{\"code\": \"A\", \"ballots\": 0}]}",
                   "no list has a listestemmetall above 0");
    assert_refused("{\"election\": \"FT\", \"seats\": 3, \"lists\": "
                   "[{\"code\": \"A\", \"ballots\": 9, \"seats\": 1}]}",
                   "$.seats: county seats are allocated by the county");
    assert_refused("{\"election\": \"FT\", \"lists\": [{\"code\": \"A\", "
                   "\"ballots\": 9}]}",
                   "$.lists[0].seats: missing");
    remove_tmpdir();
}
END_TEST

static Suite *settle_suite(void)
{
    Suite *s = suite_create("count_settle_cli");
    TCase *tc = tcase_create("settle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, aukra_json_matches_the_published_protocol);
    tcase_add_test(tc, aukra_tables_are_readable);
    tcase_add_test(tc, lots_are_seeded_reproducible_and_recorded);
    tcase_add_test(tc, ft_ranks_with_the_eight_percent_rule);
    tcase_add_test(tc, bad_input_names_the_json_path);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(settle_suite());
}
