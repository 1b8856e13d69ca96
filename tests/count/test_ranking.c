/* test_ranking.c - candidate ranking (count/ranking.c): stemmetillegg and
 * the H example of the Aukra 2019 vector in domain.md, ties and zeros by
 * list position, a list without ballots, the FT 8 % rule. */
#include "core/error.h"
#include "count/ranking.h"

#include "aukra2019.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static cnt_ranking *rank_ok(const cnt_list_candidates *in)
{
    cnt_ranking *r = NULL;
    int rc = cnt_ranking_compute(&r, in);
    ck_assert_msg(rc == 0, "rank: %s", err_message());
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(cnt_ranking_count(r), in->n_candidates);
    return r;
}

/* Asserts the list positions in rank order. */
static void assert_order(const cnt_ranking *r, const int *nos, size_t n)
{
    ck_assert_uint_eq(cnt_ranking_count(r), n);
    for (size_t i = 0; i < n; i++) {
        const cnt_ranked *k = cnt_ranking_at(r, i);
        ck_assert_msg(k->no == nos[i], "rank %zu: no %d, want %d", i + 1,
                      k->no, nos[i]);
        ck_assert_int_eq(k->rank, (int)i + 1);
    }
    ck_assert_ptr_null(cnt_ranking_at(r, n));
}

static const char *total_text(const cnt_ranked *k, char *buf)
{
    cnt_votes_format(buf, k->total_x4);
    return buf;
}

START_TEST(aukra_stemmetillegg_is_a_quarter_of_the_ballots)
{
    /* domain.md: "Stemmetillegg: H 106.50, Ap 96.25, KrF 90.25, Sp 78.75,
     * V 29.25, FrP 28.00, SV 25.50." */
    static const char *want[AUKRA_LISTS] = {"106.50", "96.25", "90.25",
                                            "78.75",  "29.25", "28.00",
                                            "25.50"};
    static const cnt_candidate_votes one[] = {{1, "A", true, 0, 0},
                                              {2, "B", false, 0, 0}};
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        cnt_list_candidates in = {AUKRA_VOTES[i].code, CNT_RULE_KS,
                                  AUKRA_VOTES[i].ballots, 1, one, 2};
        cnt_ranking *r = rank_ok(&in);
        char buf[CNT_VOTES_TEXT];
        const cnt_ranked *k = cnt_ranking_at(r, 0);
        ck_assert_int_eq(k->no, 1);
        cnt_votes_format(buf, k->stemmetillegg_x4);
        ck_assert_str_eq(buf, want[i]);
        ck_assert_str_eq(total_text(k, buf), want[i]);
        ck_assert_int_eq(cnt_ranking_at(r, 1)->stemmetillegg_x4, 0);
        cnt_ranking_free(r);
    }
}
END_TEST

static void check_aukra_h(const cnt_candidate_votes *cands)
{
    cnt_list_candidates in = {"H", CNT_RULE_KS, 426, 5, cands, AUKRA_H_N};
    cnt_ranking *r = rank_ok(&in);
    static const int order[AUKRA_H_N] = {1, 7, 2, 3, 5, 4, 6, 8,
                                         9, 10, 13, 15, 11, 12, 14};
    assert_order(r, order, AUKRA_H_N);
    char buf[CNT_VOTES_TEXT];
    ck_assert_str_eq(total_text(cnt_ranking_at(r, 0), buf), "344.50");
    ck_assert_str_eq(total_text(cnt_ranking_at(r, 1), buf), "93.00");
    ck_assert_str_eq(total_text(cnt_ranking_at(r, 2), buf), "70.00");
    /* Five seats: five elected, then 5 + 3 deputies, then the rest. */
    for (size_t i = 0; i < AUKRA_H_N; i++) {
        const cnt_ranked *k = cnt_ranking_at(r, i);
        ck_assert_str_eq(cands[k->candidate].name, AUKRA_H[k->no - 1].name);
        cnt_outcome want = i < 5 ? CNT_ELECTED
                           : i < 13 ? CNT_DEPUTY : CNT_NOT_ELECTED;
        ck_assert_int_eq(k->outcome, want);
        ck_assert_int_eq(k->deputy_no, want == CNT_DEPUTY ? (int)i - 4 : 0);
        ck_assert(k->by_votes);
    }
    cnt_ranking_free(r);
}

START_TEST(aukra_h_ranking_example)
{
    check_aukra_h(AUKRA_H);
}
END_TEST

START_TEST(ranking_does_not_depend_on_input_order)
{
    cnt_candidate_votes rev[AUKRA_H_N];
    for (size_t i = 0; i < AUKRA_H_N; i++)
        rev[i] = AUKRA_H[AUKRA_H_N - 1 - i];
    check_aukra_h(rev);
}
END_TEST

START_TEST(zeros_and_ties_follow_list_position)
{
    /* No votes at all: the two stemmetillegg candidates (25 % of 40 = 10)
     * first, then list order. #5 ties #2 at 10 and comes after it. */
    static const cnt_candidate_votes c[] = {
        {4, "D", false, 0, 0}, {3, "C", false, 0, 0}, {2, "B", true, 0, 0},
        {6, "F", false, 0, 0}, {1, "A", true, 0, 0},  {5, "E", false, 8, 2},
    };
    cnt_list_candidates in = {"X", CNT_RULE_KS, 40, 1, c, 6};
    cnt_ranking *r = rank_ok(&in);
    static const int order[] = {1, 2, 5, 3, 4, 6};
    assert_order(r, order, 6);
    ck_assert_int_eq(cnt_ranking_at(r, 0)->outcome, CNT_ELECTED);
    for (size_t i = 1; i < 5; i++) /* deputies: 1 + 3 */
        ck_assert_int_eq(cnt_ranking_at(r, i)->outcome, CNT_DEPUTY);
    ck_assert_int_eq(cnt_ranking_at(r, 5)->outcome, CNT_NOT_ELECTED);
    cnt_ranking_free(r);
}
END_TEST

START_TEST(list_without_ballots_ranks_by_write_ins)
{
    /* No ballots: stemmetillegg is 25 % of 0, write-ins decide; the seat
     * came from write-ins alone (see test_seats). */
    static const cnt_candidate_votes c[] = {
        {1, "A", true, 0, 3}, {2, "B", false, 0, 9}, {3, "C", false, 0, 0}};
    cnt_list_candidates in = {"N", CNT_RULE_KS, 0, 1, c, 3};
    cnt_ranking *r = rank_ok(&in);
    static const int order[] = {2, 1, 3};
    assert_order(r, order, 3);
    ck_assert_int_eq(cnt_ranking_at(r, 1)->stemmetillegg_x4, 0);
    ck_assert_int_eq(cnt_ranking_at(r, 0)->outcome, CNT_ELECTED);
    ck_assert_int_eq(cnt_ranking_at(r, 2)->outcome, CNT_DEPUTY);
    cnt_ranking_free(r);
}
END_TEST

START_TEST(list_without_seats_has_no_deputies)
{
    static const cnt_candidate_votes c[] = {{1, "A", false, 5, 0},
                                            {2, "B", false, 7, 0}};
    cnt_list_candidates in = {"S", CNT_RULE_KS, 20, 0, c, 2};
    cnt_ranking *r = rank_ok(&in);
    static const int order[] = {2, 1};
    assert_order(r, order, 2);
    for (size_t i = 0; i < 2; i++)
        ck_assert_int_eq(cnt_ranking_at(r, i)->outcome, CNT_NOT_ELECTED);
    cnt_ranking_free(r);

    /* More seats than candidates: everyone elected, nobody left. */
    in.seats = 3;
    r = rank_ok(&in);
    for (size_t i = 0; i < 2; i++)
        ck_assert_int_eq(cnt_ranking_at(r, i)->outcome, CNT_ELECTED);
    cnt_ranking_free(r);

    /* No candidates given: an empty ranking. */
    in.n_candidates = 0;
    in.candidates = NULL;
    r = rank_ok(&in);
    ck_assert_ptr_null(cnt_ranking_at(r, 0));
    cnt_ranking_free(r);
}
END_TEST

START_TEST(ft_needs_eight_percent_to_move)
{
    /* 1000 ballots: 8 % is 80 personal votes. #5 (200), #2 (90) and #3
     * (exactly 80) are ranked by votes; #4 at 79 and #1 at 10 are not and
     * keep list order behind them, with #6 (0). */
    static const cnt_candidate_votes c[] = {
        {1, "A", false, 10, 0}, {2, "B", false, 90, 0},
        {3, "C", false, 80, 0}, {4, "D", false, 79, 0},
        {5, "E", false, 200, 0}, {6, "F", false, 0, 0}};
    cnt_list_candidates in = {"FT", CNT_RULE_FT, 1000, 2, c, 6};
    cnt_ranking *r = rank_ok(&in);
    static const int order[] = {5, 2, 3, 1, 4, 6};
    assert_order(r, order, 6);
    ck_assert(cnt_ranking_at(r, 2)->by_votes);
    ck_assert(!cnt_ranking_at(r, 3)->by_votes);
    ck_assert(!cnt_ranking_at(r, 4)->by_votes);
    ck_assert_int_eq(cnt_ranking_at(r, 1)->outcome, CNT_ELECTED);
    ck_assert_int_eq(cnt_ranking_at(r, 2)->outcome, CNT_DEPUTY);
    cnt_ranking_free(r);

    /* One more ballot: 8 % of 1001 is 80.08, #3 falls back to list order. */
    in.ballots = 1001;
    r = rank_ok(&in);
    static const int order2[] = {5, 2, 1, 3, 4, 6};
    assert_order(r, order2, 6);
    cnt_ranking_free(r);

    /* The same votes under KS rank #4 ahead of #1. */
    in.rule = CNT_RULE_KS;
    r = rank_ok(&in);
    static const int order3[] = {5, 2, 3, 4, 1, 6};
    assert_order(r, order3, 6);
    cnt_ranking_free(r);
}
END_TEST

START_TEST(bad_candidates_are_refused_with_a_path)
{
    cnt_candidate_votes c[] = {{1, "A", false, 5, 0}, {2, "B", true, 7, 1}};
    cnt_list_candidates in = {"H", CNT_RULE_KS, 20, 1, c, 2};
    cnt_ranking *r = NULL;

    c[1].no = 1;
    ck_assert_int_eq(cnt_ranking_compute(&r, &in), TELLE_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err_message(),
                     "candidates[1].no: 1 repeats candidates[0] (list H)");
    c[1].no = 2;

    c[0].personal_votes = 21;
    ck_assert_int_eq(cnt_ranking_compute(&r, &in), TELLE_EINVAL);
    ck_assert(strncmp(err_message(), "candidates[0].personal_votes: 21 is "
                      "outside 0..20 (list H", 55) == 0);
    c[0].personal_votes = 5;

    in.rule = CNT_RULE_FT;
    ck_assert_int_eq(cnt_ranking_compute(&r, &in), TELLE_EINVAL);
    ck_assert(strstr(err_message(), "candidates[1].stemmetillegg") != NULL);
    c[1].stemmetillegg = false;
    ck_assert_int_eq(cnt_ranking_compute(&r, &in), TELLE_EINVAL);
    ck_assert(strstr(err_message(), "no write-ins") != NULL);
    c[1].write_ins_received = 0;
    ck_assert_int_eq(cnt_ranking_compute(&r, &in), 0);
    cnt_ranking_free(r);
}
END_TEST

START_TEST(votes_are_formatted_exactly)
{
    char buf[CNT_VOTES_TEXT];
    cnt_votes_format(buf, 1378);
    ck_assert_str_eq(buf, "344.50");
    cnt_votes_format(buf, 385);
    ck_assert_str_eq(buf, "96.25");
    cnt_votes_format(buf, 3);
    ck_assert_str_eq(buf, "0.75");
    cnt_votes_format(buf, 0);
    ck_assert_str_eq(buf, "0.00");
}
END_TEST

static Suite *ranking_suite(void)
{
    Suite *s = suite_create("count_ranking");
    TCase *tc = tcase_create("ranking");
    tcase_add_test(tc, aukra_stemmetillegg_is_a_quarter_of_the_ballots);
    tcase_add_test(tc, aukra_h_ranking_example);
    tcase_add_test(tc, ranking_does_not_depend_on_input_order);
    tcase_add_test(tc, zeros_and_ties_follow_list_position);
    tcase_add_test(tc, list_without_ballots_ranks_by_write_ins);
    tcase_add_test(tc, list_without_seats_has_no_deputies);
    tcase_add_test(tc, ft_needs_eight_percent_to_move);
    tcase_add_test(tc, bad_candidates_are_refused_with_a_path);
    tcase_add_test(tc, votes_are_formatted_exactly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(ranking_suite());
}
