/* tally.h - counting helpers shared by the tallies and the seat allocation.
 *
 *   cnt_write_in_counts   write-ins given and received per list, ignoring a
 *                         write-in of the ballot's own list
 *
 * domain.md, "What a voter may do": a write-in (slenger) of a candidate
 * from another list gives that candidate a personal vote and moves one list
 * vote from the ballot's list to the candidate's list; "a write-in of a
 * candidate of the ballot's own list is ignored". The moves are what
 * listestemmetall adds and subtracts (seats.h).
 */
#ifndef TELLE_COUNT_TALLY_H
#define TELLE_COUNT_TALLY_H

#include <stddef.h>
#include <stdint.h>

/* One write-in on one approved ballot: the list the ballot was cast for
 * and the list of the candidate written in, as indexes 0..n_lists-1. */
typedef struct {
    size_t ballot_list;
    size_t candidate_list;
} cnt_write_in;

/* Counts n_pairs write-ins into the caller's arrays of n_lists entries:
 * given[l] = write-ins on l's ballots for other lists' candidates,
 * received[l] = write-ins for l's candidates on other lists' ballots. A
 * pair with ballot_list == candidate_list is ignored and only counted in
 * *ignored (which may be NULL). The arrays are overwritten; sum(given) ==
 * sum(received) always holds. Returns 0, or TELLE_EINVAL naming the pair
 * ("write-in 12: candidate list 9 is not one of the 7 lists") with the
 * arrays left all zero. */
int cnt_write_in_counts(int64_t *given, int64_t *received, size_t *ignored,
                        const cnt_write_in *pairs, size_t n_pairs,
                        size_t n_lists);

#endif
