/* seats.h - the seat allocation of a municipal council election
 * (valgoppgjør, valgloven § 11-4): listestemmetall and modified
 * Sainte-Laguë, with every quotient kept for the protocol (chapter E).
 *
 *   cnt_listestemmetall     a list's listestemmetall from its counts
 *   cnt_seats_allocate      allocate the seats; the result is a cnt_seats
 *   cnt_seats_free          free a result
 *   cnt_seats_list_count, cnt_seats_listestemmetall, cnt_seats_won,
 *   cnt_seats_total, cnt_seats_quotient, cnt_seats_next, cnt_seats_next_tied,
 *   cnt_seats_seed, cnt_seats_draw_count, cnt_seats_draw
 *                           read a result
 *   cnt_quotient_format     a quotient as text with exactly six decimals
 *   cnt_quotient_value      a quotient as a double, for display only
 *
 * Formulas (domain.md, "Seat allocation"):
 *   listestemmetall = ballots × seats + write-ins received from ballots of
 *                     other lists − write-ins given away by the list's own
 *                     ballots
 *   quotient        = listestemmetall / d(k), k = seats the list has so far,
 *                     d(0) = the first divisor (1.4 by law), d(k) = 2k + 1
 *   each seat in turn goes to the largest quotient.
 *
 * Exact arithmetic: divisors are held as integers ×10 (1.4 → 14, 3 → 30), a
 * quotient as the fraction (listestemmetall × 10) / (divisor × 10), and two
 * quotients are compared by cross-multiplying 64-bit integers. Floating
 * point never decides a seat: 140 / 1.4 and 300 / 3 are equal here, which
 * they are not in doubles.
 *
 * Ties, in this order:
 *   1. the larger quotient wins;
 *   2. on equal quotients the larger listestemmetall wins;
 *   3. lists equal on both are put in an order drawn by lots (lots.h): the
 *      tied lists, in the caller's list order, are shuffled with
 *      cnt_lots_shuffle from a splitmix64 state that starts at the caller's
 *      seed and runs on through every draw of the allocation, in seat order.
 *      The tied lists then take their seats in the drawn order for as long as
 *      seats remain. Every draw is recorded (cnt_draw); it is "decisive" when
 *      fewer seats remained than lists were tied, i.e. when the lots decided
 *      who got a seat and not just the numbering of seats.
 *
 * Lists with listestemmetall 0 never take a seat and never give the next
 * quotient; if no list has a listestemmetall above 0 there is nothing to
 * allocate and cnt_seats_allocate fails.
 */
#ifndef TELLE_COUNT_SEATS_H
#define TELLE_COUNT_SEATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Input limits. No council has more than 1000 seats (Oslo has 59), no
 * municipality 10 million voters; within these limits every product the
 * exact arithmetic forms stays far inside int64_t (largest: listestemmetall
 * × 10 <= 1.1e11, times 2·10^6 when formatting = 2.2e17 < 9.2e18). */
enum {
    CNT_MAX_SEATS = 1000,
    CNT_MAX_LISTS = 1000,
};
#define CNT_MAX_BALLOTS INT64_C(10000000)
#define CNT_MAX_WRITE_INS INT64_C(1000000000)

/* First divisor limits, ×10: from 1.0 (pure Sainte-Laguë) to 3.0 (the
 * second divisor; a larger first divisor would make a list's quotients
 * rise with its seats). The law's value is 1.4. */
enum {
    CNT_FIRST_DIVISOR_MIN_X10 = 10,
    CNT_FIRST_DIVISOR_MAX_X10 = 30,
    CNT_FIRST_DIVISOR_LAW_X10 = 14,
};

/* One list's final counts, filled by the caller (a tally or a parsed
 * file). Strings are borrowed and must outlive the result. */
typedef struct {
    const char *code;            /* party code, e.g. "H"; names the list in
                                    messages */
    int64_t ballots;             /* approved ballots for the list */
    int64_t write_ins_received;  /* write-ins its candidates got on other
                                    lists' ballots */
    int64_t write_ins_given;     /* write-ins its own ballots gave to other
                                    lists' candidates */
} cnt_list_votes;

/* The whole input of an allocation. */
typedef struct {
    int seats;                   /* council size, 1..CNT_MAX_SEATS */
    int first_divisor_x10;       /* 14 for 1.4 */
    const cnt_list_votes *lists; /* n_lists entries, order kept in results */
    size_t n_lists;              /* 1..CNT_MAX_LISTS */
    uint64_t seed;               /* starts the drawing of lots; recorded */
} cnt_election_votes;

/* A quotient: list `list` (index into the input) at num / den, where num =
 * listestemmetall × 10 and den = divisor × 10. */
typedef struct {
    size_t list;
    int64_t num;
    int64_t den;
} cnt_quotient;

/* One drawing of lots. `tied` holds the tied lists in input order, `order`
 * the same lists in the drawn order; the first `awarded` of `order` took
 * seats first_seat, first_seat + 1, ... (awarded may be less than n_tied
 * when seats ran out). */
typedef struct {
    int first_seat;              /* 1-based */
    cnt_quotient quotient;       /* the tied quotient (list = order[0]) */
    size_t n_tied;
    const size_t *tied;
    const size_t *order;
    size_t awarded;
    bool decisive;               /* awarded < n_tied */
} cnt_draw;

typedef struct cnt_seats cnt_seats;

/* *out = ballots × seats + received − given for one list. Returns 0, or
 * TELLE_EINVAL when a count is negative or above its limit, or when the
 * list gives away more write-ins than its ballots can carry (given >
 * ballots × seats), which would make the result negative. Messages start
 * with the field ("ballots: ...") and name the list's code, so a caller can
 * put the path in front with err_prefix. */
int cnt_listestemmetall(int64_t *out, const cnt_list_votes *list, int seats);

/* Allocates the seats of `in` as described above. On success *out is a
 * new result the caller frees with cnt_seats_free. Returns 0; TELLE_EINVAL
 * when the input is out of range, codes are missing or repeated, or no list
 * has a listestemmetall above 0, with a message that starts with the path
 * of the field as the JSON of `telle settle --counts` spells it
 * ("lists[1].write_ins_given: ..."); TELLE_ENOMEM. */
int cnt_seats_allocate(cnt_seats **out, const cnt_election_votes *in);

void cnt_seats_free(cnt_seats *s); /* accepts NULL */

size_t cnt_seats_list_count(const cnt_seats *s);
int64_t cnt_seats_listestemmetall(const cnt_seats *s, size_t list);
/* Seats won by list `list`. */
int cnt_seats_won(const cnt_seats *s, size_t list);
/* The council size; also the number of quotients awarded. */
int cnt_seats_total(const cnt_seats *s);
/* The quotient that won seat `seat` (1-based, 1..cnt_seats_total). */
cnt_quotient cnt_seats_quotient(const cnt_seats *s, int seat);
/* The quotient that would have won the next seat: the first loser. */
cnt_quotient cnt_seats_next(const cnt_seats *s);
/* True when another list has the same quotient and listestemmetall as
 * cnt_seats_next and no draw ordered them: the next list is then only the
 * first of those in input order. */
bool cnt_seats_next_tied(const cnt_seats *s);
uint64_t cnt_seats_seed(const cnt_seats *s);
size_t cnt_seats_draw_count(const cnt_seats *s);
/* The i-th draw (0-based, in seat order); valid while s lives. */
const cnt_draw *cnt_seats_draw(const cnt_seats *s, size_t i);

/* Buffer size for cnt_quotient_format: 19 digits, point, 6 decimals, NUL. */
enum { CNT_QUOTIENT_TEXT = 32 };

/* Writes num / den rounded half up to exactly six decimals ("6337.142857",
 * "2698.000000") computed in integers, so the protocol prints the same
 * digits on every machine. Needs num >= 0, den > 0. */
void cnt_quotient_format(char text[CNT_QUOTIENT_TEXT], cnt_quotient q);

/* The six-decimal rounded value of q as a double: for JSON and sorting in
 * displays, never for deciding a seat. */
double cnt_quotient_value(cnt_quotient q);

#endif
