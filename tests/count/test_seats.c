/* test_seats.c - seat allocation (count/seats.c) and the lots (count/lots.c):
 * the Aukra 2019 vector of domain.md, ties, zero votes, one seat. */
#include "core/error.h"
#include "count/lots.h"
#include "count/seats.h"

#include "aukra2019.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static cnt_seats *allocate_ok(const cnt_list_votes *lists, size_t n,
                              int seats, uint64_t seed)
{
    cnt_election_votes in = {
        .seats = seats,
        .first_divisor_x10 = CNT_FIRST_DIVISOR_LAW_X10,
        .lists = lists,
        .n_lists = n,
        .seed = seed,
    };
    cnt_seats *s = NULL;
    int rc = cnt_seats_allocate(&s, &in);
    ck_assert_msg(rc == 0, "allocate: %s", err_message());
    ck_assert_ptr_nonnull(s);
    return s;
}

static void assert_quotient(cnt_quotient q, const cnt_list_votes *lists,
                            const char *code, const char *text)
{
    char got[CNT_QUOTIENT_TEXT];
    cnt_quotient_format(got, q);
    ck_assert_str_eq(lists[q.list].code, code);
    ck_assert_str_eq(got, text);
}

START_TEST(aukra_listestemmetall_and_seats)
{
    /* domain.md: listestemmetall and seats per list. */
    static const int64_t lst[AUKRA_LISTS] = {8872, 8094, 7506, 6527,
                                             2612, 2388, 2179};
    static const int won[AUKRA_LISTS] = {5, 5, 4, 4, 1, 1, 1};
    cnt_seats *s = allocate_ok(AUKRA_VOTES, AUKRA_LISTS, AUKRA_SEATS, 0);
    ck_assert_uint_eq(cnt_seats_list_count(s), AUKRA_LISTS);
    ck_assert_int_eq(cnt_seats_total(s), AUKRA_SEATS);
    for (size_t i = 0; i < AUKRA_LISTS; i++) {
        int64_t one;
        ck_assert_int_eq(cnt_listestemmetall(&one, &AUKRA_VOTES[i], AUKRA_SEATS), 0);
        ck_assert_int_eq(one, lst[i]);
        ck_assert_int_eq(cnt_seats_listestemmetall(s, i), lst[i]);
        ck_assert_int_eq(cnt_seats_won(s, i), won[i]);
    }
    ck_assert_uint_eq(cnt_seats_draw_count(s), 0);
    cnt_seats_free(s);
}
END_TEST

START_TEST(aukra_every_quotient_in_order)
{
    /* domain.md: "Seats in order, with their quotients", then "the next
     * would have been V at 870.666667". */
    static const struct {
        const char *code, *quotient;
    } want[AUKRA_SEATS] = {
        {"H", "6337.142857"},  {"Ap", "5781.428571"}, {"KrF", "5361.428571"},
        {"Sp", "4662.142857"}, {"H", "2957.333333"},  {"Ap", "2698.000000"},
        {"KrF", "2502.000000"}, {"Sp", "2175.666667"}, {"V", "1865.714286"},
        {"H", "1774.400000"},  {"FrP", "1705.714286"}, {"Ap", "1618.800000"},
        {"SV", "1556.428571"}, {"KrF", "1501.200000"}, {"Sp", "1305.400000"},
        {"H", "1267.428571"},  {"Ap", "1156.285714"}, {"KrF", "1072.285714"},
        {"H", "985.777778"},   {"Sp", "932.428571"},  {"Ap", "899.333333"},
    };
    cnt_seats *s = allocate_ok(AUKRA_VOTES, AUKRA_LISTS, AUKRA_SEATS, 0);
    for (int seat = 1; seat <= AUKRA_SEATS; seat++)
        assert_quotient(cnt_seats_quotient(s, seat), AUKRA_VOTES,
                        want[seat - 1].code, want[seat - 1].quotient);
    assert_quotient(cnt_seats_next(s), AUKRA_VOTES, "V", "870.666667");
    ck_assert(!cnt_seats_next_tied(s));
    ck_assert(cnt_quotient_value(cnt_seats_quotient(s, 1)) == 6337.142857);
    cnt_seats_free(s);
}
END_TEST

START_TEST(one_seat_goes_to_the_largest_first_quotient)
{
    cnt_seats *s = allocate_ok(AUKRA_VOTES, AUKRA_LISTS, 1, 0);
    /* With one seat the listestemmetall is ballots × 1 + received − given:
     * H 426 + 211 − 285 = 352, Ap 385 + 210 − 201 = 394, V 117 + 231 − 76 =
     * 272, KrF 286, Sp 227, FrP 148, SV 139: Ap wins at 394 / 1.4. */
    ck_assert_int_eq(cnt_seats_listestemmetall(s, 1), 394);
    ck_assert_int_eq(cnt_seats_won(s, 1), 1);
    for (size_t i = 0; i < AUKRA_LISTS; i++)
        if (i != 1)
            ck_assert_int_eq(cnt_seats_won(s, i), 0);
    assert_quotient(cnt_seats_quotient(s, 1), AUKRA_VOTES, "Ap", "281.428571");
    assert_quotient(cnt_seats_next(s), AUKRA_VOTES, "H", "251.428571");
    cnt_seats_free(s);
}
END_TEST

START_TEST(equal_quotients_go_to_the_larger_listestemmetall)
{
    /* A: 80 × 2 + 1 = 161, B: 172 × 2 + 1 = 345. Seat 1: B at 345 / 1.4.
     * Seat 2: A at 161 / 1.4 = 115 against B at 345 / 3 = 115, exactly
     * equal; B has the larger listestemmetall and wins. In doubles A's
     * quotient comes out larger, which is why seats are decided in
     * integers. */
    static const cnt_list_votes lists[] = {{"A", 80, 1, 0}, {"B", 172, 1, 0}};
    volatile double fd = 1.4, three = 3.0;
    ck_assert(161 / fd > 345 / three);
    cnt_seats *s = allocate_ok(lists, 2, 2, 0);
    ck_assert_int_eq(cnt_seats_won(s, 0), 0);
    ck_assert_int_eq(cnt_seats_won(s, 1), 2);
    assert_quotient(cnt_seats_quotient(s, 1), lists, "B", "246.428571");
    assert_quotient(cnt_seats_quotient(s, 2), lists, "B", "115.000000");
    assert_quotient(cnt_seats_next(s), lists, "A", "115.000000");
    ck_assert(!cnt_seats_next_tied(s));
    ck_assert_uint_eq(cnt_seats_draw_count(s), 0);
    cnt_seats_free(s);
}
END_TEST

/* Three lists equal in everything, two seats: lots decide who is left out. */
static const cnt_list_votes EQUAL3[] = {
    {"A", 50, 0, 0}, {"B", 50, 0, 0}, {"C", 50, 0, 0}, {"D", 10, 0, 0}};

START_TEST(full_tie_is_drawn_by_seeded_lots_and_recorded)
{
    bool left_out[3] = {false, false, false};
    for (uint64_t seed = 0; seed < 64; seed++) {
        cnt_seats *s = allocate_ok(EQUAL3, 4, 2, seed);
        cnt_seats *again = allocate_ok(EQUAL3, 4, 2, seed);
        ck_assert_uint_eq(cnt_seats_seed(s), seed);
        ck_assert_uint_eq(cnt_seats_draw_count(s), 1);
        const cnt_draw *d = cnt_seats_draw(s, 0);
        const cnt_draw *d2 = cnt_seats_draw(again, 0);
        ck_assert_int_eq(d->first_seat, 1);
        ck_assert_uint_eq(d->n_tied, 3); /* D, smaller, is not in the draw */
        for (size_t i = 0; i < 3; i++) {
            ck_assert_uint_eq(d->tied[i], i);
            ck_assert_uint_eq(d->order[i], d2->order[i]);
        }
        ck_assert_uint_eq(d->awarded, 2);
        ck_assert(d->decisive);

        /* The recorded order is the documented shuffle from the seed. */
        size_t expect[3] = {0, 1, 2};
        uint64_t state = seed;
        cnt_lots_shuffle(expect, 3, &state);
        for (size_t i = 0; i < 3; i++)
            ck_assert_uint_eq(d->order[i], expect[i]);

        /* The first two drawn took seats 1 and 2; the third is next. */
        size_t out = d->order[2];
        ck_assert_uint_eq(cnt_seats_quotient(s, 1).list, d->order[0]);
        ck_assert_uint_eq(cnt_seats_quotient(s, 2).list, d->order[1]);
        ck_assert_int_eq(cnt_seats_won(s, out), 0);
        ck_assert_int_eq(cnt_seats_won(s, d->order[0]), 1);
        ck_assert_int_eq(cnt_seats_won(s, 3), 0);
        ck_assert_uint_eq(cnt_seats_next(s).list, out);
        ck_assert(!cnt_seats_next_tied(s));
        left_out[out] = true;
        cnt_seats_free(s);
        cnt_seats_free(again);
    }
    /* Over 64 seeds the lots fell on every list at least once. */
    ck_assert(left_out[0] && left_out[1] && left_out[2]);
}
END_TEST

START_TEST(tie_that_decides_nothing_is_recorded_as_not_decisive)
{
    cnt_seats *s = allocate_ok(EQUAL3, 4, 3, 7);
    ck_assert_uint_eq(cnt_seats_draw_count(s), 1);
    const cnt_draw *d = cnt_seats_draw(s, 0);
    ck_assert_uint_eq(d->awarded, 3);
    ck_assert(!d->decisive);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(cnt_seats_won(s, i), 1);
    /* Next: A, B, C at 150 / 3 = 50 against D at 30 / 1.4 = 21.43,
     * a tie no draw has ordered. */
    ck_assert(cnt_seats_next_tied(s));
    ck_assert_uint_eq(cnt_seats_next(s).list, 0);
    cnt_seats_free(s);
}
END_TEST

START_TEST(lists_without_votes_take_no_seat)
{
    /* Z has no votes at all; N has no ballots but got write-ins, which
     * alone make its listestemmetall (ballots × seats + received − given).
     * Six seats: A 600 − 30 = 570, N 200, Z 0. Seats: A 407.142857,
     * A 190, N 142.857143, A 114, A 81.428571, N 66.666667 (ahead of A's
     * 570 / 9 = 63.333333, which is next). */
    static const cnt_list_votes lists[] = {
        {"A", 100, 0, 30}, {"Z", 0, 0, 0}, {"N", 0, 200, 0}};
    cnt_seats *s = allocate_ok(lists, 3, 6, 0);
    ck_assert_int_eq(cnt_seats_listestemmetall(s, 0), 570);
    ck_assert_int_eq(cnt_seats_listestemmetall(s, 1), 0);
    ck_assert_int_eq(cnt_seats_listestemmetall(s, 2), 200);
    ck_assert_int_eq(cnt_seats_won(s, 0), 4);
    ck_assert_int_eq(cnt_seats_won(s, 1), 0);
    ck_assert_int_eq(cnt_seats_won(s, 2), 2);
    assert_quotient(cnt_seats_quotient(s, 3), lists, "N", "142.857143");
    assert_quotient(cnt_seats_quotient(s, 6), lists, "N", "66.666667");
    assert_quotient(cnt_seats_next(s), lists, "A", "63.333333");
    cnt_seats_free(s);

    /* However many seats, Z at 0 never takes one. */
    s = allocate_ok(lists, 3, 99, 0);
    ck_assert_int_eq(cnt_seats_won(s, 1), 0);
    ck_assert_int_eq(cnt_seats_won(s, 0) + cnt_seats_won(s, 2), 99);
    for (int seat = 1; seat <= 99; seat++)
        ck_assert_uint_ne(cnt_seats_quotient(s, seat).list, 1);
    ck_assert_uint_ne(cnt_seats_next(s).list, 1);
    cnt_seats_free(s);
}
END_TEST

START_TEST(nothing_to_allocate_without_votes)
{
    static const cnt_list_votes lists[] = {{"A", 0, 0, 0}, {"B", 0, 0, 0}};
    cnt_election_votes in = {.seats = 3, .first_divisor_x10 = 14,
                             .lists = lists, .n_lists = 2};
    cnt_seats *s = (cnt_seats *)&in; /* must be reset to NULL */
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), TELLE_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert(strstr(err_message(), "no list has a listestemmetall") != NULL);
}
END_TEST

START_TEST(bad_input_is_refused_with_a_message)
{
    cnt_list_votes lists[] = {{"A", 10, 0, 0}, {"B", 10, 0, 0}};
    cnt_election_votes in = {.seats = 3, .first_divisor_x10 = 14,
                             .lists = lists, .n_lists = 2};
    cnt_seats *s = NULL;

    lists[1].code = "A";
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), TELLE_EINVAL);
    ck_assert_str_eq(err_message(), "lists[1].code: A repeats lists[0]");
    lists[1].code = "B";

    lists[1].write_ins_given = 31; /* 10 ballots × 3 seats carry at most 30 */
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), TELLE_EINVAL);
    ck_assert_str_eq(err_message(), "lists[1].write_ins_given: 31 is outside "
                     "0..30 (list B: 10 ballots × 3 seats)");
    lists[1].write_ins_given = 0;

    lists[0].ballots = -1;
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), TELLE_EINVAL);
    ck_assert_str_eq(err_message(),
                     "lists[0].ballots: -1 is outside 0..10000000 (list A)");
    lists[0].ballots = 10;

    in.seats = 0;
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), TELLE_EINVAL);
    in.seats = 3;
    in.first_divisor_x10 = 5;
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), TELLE_EINVAL);
    ck_assert(strstr(err_message(), "first_divisor: 0.5") != NULL);
    in.first_divisor_x10 = 10;
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), 0);
    cnt_seats_free(s);
}
END_TEST

START_TEST(pure_sainte_lague_with_first_divisor_one)
{
    /* First divisor 1.0, five seats: A 20 × 5 = 100, B 12 × 5 = 60.
     * A 100, B 60, A 33.333333, then A 100 / 5 and B 60 / 3 are both 20:
     * A's larger listestemmetall takes seat 4, B seat 5; next A 100 / 7. */
    static const cnt_list_votes lists[] = {{"A", 20, 0, 0}, {"B", 12, 0, 0}};
    cnt_election_votes in = {.seats = 5, .first_divisor_x10 = 10,
                             .lists = lists, .n_lists = 2};
    cnt_seats *s = NULL;
    ck_assert_int_eq(cnt_seats_allocate(&s, &in), 0);
    assert_quotient(cnt_seats_quotient(s, 1), lists, "A", "100.000000");
    assert_quotient(cnt_seats_quotient(s, 2), lists, "B", "60.000000");
    assert_quotient(cnt_seats_quotient(s, 3), lists, "A", "33.333333");
    assert_quotient(cnt_seats_quotient(s, 4), lists, "A", "20.000000");
    assert_quotient(cnt_seats_quotient(s, 5), lists, "B", "20.000000");
    assert_quotient(cnt_seats_next(s), lists, "A", "14.285714");
    ck_assert_uint_eq(cnt_seats_draw_count(s), 0);
    cnt_seats_free(s);
}
END_TEST

START_TEST(quotients_are_rounded_half_up_in_integers)
{
    char t[CNT_QUOTIENT_TEXT];
    cnt_quotient_format(t, (cnt_quotient){0, 2, 3});
    ck_assert_str_eq(t, "0.666667");
    cnt_quotient_format(t, (cnt_quotient){0, 1, 2000000}); /* 0.0000005 */
    ck_assert_str_eq(t, "0.000001");
    cnt_quotient_format(t, (cnt_quotient){0, 1, 2000001});
    ck_assert_str_eq(t, "0.000000");
    /* The largest listestemmetall the limits allow, at the first divisor. */
    int64_t big = (CNT_MAX_BALLOTS * CNT_MAX_SEATS + CNT_MAX_WRITE_INS) * 10;
    cnt_quotient_format(t, (cnt_quotient){0, big, 14});
    ck_assert_str_eq(t, "7857142857.142857");
}
END_TEST

START_TEST(lots_follow_the_documented_splitmix64)
{
    uint64_t state = 0;
    ck_assert_uint_eq(cnt_lots_next(&state), UINT64_C(0xe220a8397b1dcdaf));
    ck_assert_uint_eq(cnt_lots_next(&state), UINT64_C(0x6e789e6aa1b965f4));
    state = 42;
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(cnt_lots_below(&state, 7), 7);
    uint64_t before = state;
    ck_assert_uint_eq(cnt_lots_below(&state, 1), 0);
    ck_assert_uint_eq(state, before);

    /* A shuffle is a permutation, and every position is reached. */
    int seen[5][5] = {{0}};
    for (uint64_t seed = 0; seed < 500; seed++) {
        size_t items[5] = {0, 1, 2, 3, 4};
        state = seed;
        cnt_lots_shuffle(items, 5, &state);
        int count[5] = {0};
        for (int i = 0; i < 5; i++) {
            count[items[i]]++;
            seen[i][items[i]]++;
        }
        for (int i = 0; i < 5; i++)
            ck_assert_int_eq(count[i], 1);
    }
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            ck_assert_int_gt(seen[i][j], 50); /* 100 expected */
}
END_TEST

static Suite *seats_suite(void)
{
    Suite *s = suite_create("count_seats");
    TCase *tc = tcase_create("seats");
    tcase_add_test(tc, aukra_listestemmetall_and_seats);
    tcase_add_test(tc, aukra_every_quotient_in_order);
    tcase_add_test(tc, one_seat_goes_to_the_largest_first_quotient);
    tcase_add_test(tc, equal_quotients_go_to_the_larger_listestemmetall);
    tcase_add_test(tc, full_tie_is_drawn_by_seeded_lots_and_recorded);
    tcase_add_test(tc, tie_that_decides_nothing_is_recorded_as_not_decisive);
    tcase_add_test(tc, lists_without_votes_take_no_seat);
    tcase_add_test(tc, nothing_to_allocate_without_votes);
    tcase_add_test(tc, bad_input_is_refused_with_a_message);
    tcase_add_test(tc, pure_sainte_lague_with_first_divisor_one);
    tcase_add_test(tc, quotients_are_rounded_half_up_in_integers);
    tcase_add_test(tc, lots_follow_the_documented_splitmix64);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(seats_suite());
}
