/* test_tally.c - counting helpers (count/tally.c): write-ins of the
 * ballot's own list are ignored, and the counts feed listestemmetall. */
#include "core/error.h"
#include "count/seats.h"
#include "count/tally.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

enum { A, B, C, N_LISTS };

START_TEST(own_list_write_ins_are_ignored)
{
    /* Ballots of A write in two B candidates and one of A's own; a B ballot
     * writes in an A and a C candidate and a B candidate; a C ballot writes
     * in two of its own. Only the cross-list ones move votes. */
    static const cnt_write_in w[] = {
        {A, B}, {A, B}, {A, A}, {B, A}, {B, C}, {B, B}, {C, C}, {C, C}};
    int64_t given[N_LISTS], received[N_LISTS];
    size_t ignored = 99;
    ck_assert_int_eq(cnt_write_in_counts(given, received, &ignored, w,
                                         sizeof w / sizeof w[0], N_LISTS),
                     0);
    ck_assert_uint_eq(ignored, 4);
    ck_assert_int_eq(given[A], 2);
    ck_assert_int_eq(given[B], 2);
    ck_assert_int_eq(given[C], 0);
    ck_assert_int_eq(received[A], 1);
    ck_assert_int_eq(received[B], 2);
    ck_assert_int_eq(received[C], 1);
    ck_assert_int_eq(given[A] + given[B] + given[C],
                     received[A] + received[B] + received[C]);
}
END_TEST

START_TEST(only_own_list_write_ins_change_nothing)
{
    /* A council of 3 seats; every list writes in only its own candidates:
     * listestemmetall stays ballots × seats. */
    static const cnt_write_in w[] = {{A, A}, {B, B}, {B, B}, {C, C}};
    int64_t given[N_LISTS], received[N_LISTS];
    ck_assert_int_eq(cnt_write_in_counts(given, received, NULL, w, 4, N_LISTS),
                     0);
    cnt_list_votes lists[N_LISTS] = {{"A", 20, 0, 0}, {"B", 10, 0, 0},
                                     {"C", 5, 0, 0}};
    for (int l = 0; l < N_LISTS; l++) {
        ck_assert_int_eq(given[l], 0);
        ck_assert_int_eq(received[l], 0);
        lists[l].write_ins_given = given[l];
        lists[l].write_ins_received = received[l];
        int64_t lst;
        ck_assert_int_eq(cnt_listestemmetall(&lst, &lists[l], 3), 0);
        ck_assert_int_eq(lst, lists[l].ballots * 3);
    }
}
END_TEST

START_TEST(cross_list_write_ins_move_list_votes)
{
    /* 3 seats. A: 20 ballots, gives 4 to C and writes in 5 of its own;
     * C: 5 ballots. C's listestemmetall: 15 + 4 = 19; A's 60 − 4 = 56. */
    cnt_write_in w[9];
    for (int i = 0; i < 4; i++)
        w[i] = (cnt_write_in){A, C};
    for (int i = 4; i < 9; i++)
        w[i] = (cnt_write_in){A, A};
    int64_t given[N_LISTS], received[N_LISTS];
    size_t ignored;
    ck_assert_int_eq(cnt_write_in_counts(given, received, &ignored, w, 9,
                                         N_LISTS), 0);
    ck_assert_uint_eq(ignored, 5);
    cnt_list_votes lists[N_LISTS] = {{"A", 20, 0, 0}, {"B", 10, 0, 0},
                                     {"C", 5, 0, 0}};
    for (int l = 0; l < N_LISTS; l++) {
        lists[l].write_ins_given = given[l];
        lists[l].write_ins_received = received[l];
    }
    cnt_election_votes in = {3, CNT_FIRST_DIVISOR_LAW_X10, lists, N_LISTS, 0};
    cnt_seats *s = NULL;
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), 0);
    ck_assert_int_eq(cnt_seats_listestemmetall(s, A), 56);
    ck_assert_int_eq(cnt_seats_listestemmetall(s, B), 30);
    ck_assert_int_eq(cnt_seats_listestemmetall(s, C), 19);
    cnt_seats_free(s);
}
END_TEST

START_TEST(unknown_list_is_refused)
{
    static const cnt_write_in w[] = {{A, B}, {B, 7}};
    int64_t given[N_LISTS] = {5, 5, 5}, received[N_LISTS] = {5, 5, 5};
    ck_assert_int_eq(cnt_write_in_counts(given, received, NULL, w, 2, N_LISTS),
                     TELLE_EINVAL);
    ck_assert_str_eq(err_message(),
                     "write-in 1: candidate list 7 is not one of the 3 lists");
    for (int l = 0; l < N_LISTS; l++)
        ck_assert_int_eq(given[l] + received[l], 0);
    ck_assert_int_eq(cnt_write_in_counts(given, received, NULL, NULL, 0,
                                         N_LISTS), 0);
}
END_TEST

static Suite *tally_suite(void)
{
    Suite *s = suite_create("count_tally");
    TCase *tc = tcase_create("write_ins");
    tcase_add_test(tc, own_list_write_ins_are_ignored);
    tcase_add_test(tc, only_own_list_write_ins_change_nothing);
    tcase_add_test(tc, cross_list_write_ins_move_list_votes);
    tcase_add_test(tc, unknown_list_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(tally_suite());
}
