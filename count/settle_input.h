/* settle_input.h - the one place where final counts become the input of
 * the seat allocation and the candidate ranking (chapter E), and where
 * their results become JSON. `telle settle --counts`, `telle settle --db`
 * and the protocol (protocol.h) all go through here, so they cannot
 * disagree.
 *
 *   cnt_settle_input_new         an empty input with room for n lists
 *   cnt_settle_input_from_counts fill an input from a counts document
 *                                (telle-counts/1) and the election package
 *   cnt_settle_input_free        free an input; accepts NULL
 *   cnt_settle_compute           allocate seats and rank candidates
 *   cnt_settlement_free          free a result; accepts NULL
 *   cnt_settle_json              the result as the JSON of `telle settle
 *                                --json`
 *
 * From a counts document, for election E (its "totals"):
 *   ballots            = totals.lists[code].approved
 *   write_ins_given    = totals.lists[code].write_ins_given
 *   write_ins_received = sum of totals.lists[code].write_ins_received
 *                        (candidate no -> write-ins)
 *   candidate personal votes      = totals.lists[code].personal_votes[no]
 *   candidate write-ins received  = totals.lists[code].write_ins_received[no]
 * The candidates themselves (number, name, stemmetillegg) are not in the
 * counts document: they come from the list's "candidates" in the document
 * when present, else from the election package's election.json (the
 * store's copy, or a package folder). Without either, the list is not
 * ranked (has_candidates false) and the seats are still allocated: a
 * ranking without the stemmetillegg marks would be wrong, not partial.
 */
#ifndef TELLE_COUNT_SETTLE_INPUT_H
#define TELLE_COUNT_SETTLE_INPUT_H

#include "count/ranking.h"
#include "count/seats.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Plain input data, like the package model: filled once, then read. Every
 * array has votes.n_lists entries; strings are borrowed from `held` (or
 * from the caller, who must then keep them alive). */
typedef struct {
    bool ft;                          /* fylkestingsvalg: no seats allocated
                                         here (the county does it), ranking
                                         under the 8 % rule */
    cnt_election_votes votes;         /* votes.lists == lists */
    cnt_list_votes *lists;
    const char **list_names;          /* NULL entries when unknown */
    int *list_seats;                  /* FT: the seats each list was given */
    bool *has_candidates;
    cnt_candidate_votes **candidates; /* n_candidates[i] each */
    size_t *n_candidates;
    json_t *held;                     /* a reference kept on the JSON the
                                         strings point into; decref'd by
                                         cnt_settle_input_free */
} cnt_settle_input;

/* A new input with zeroed arrays for n_lists lists (1..CNT_MAX_LISTS) and
 * votes.lists pointing at them. Returns 0, TELLE_EINVAL, TELLE_ENOMEM. */
int cnt_settle_input_new(cnt_settle_input **out, size_t n_lists);

/* Fills *out from the counts document `counts` (format telle-counts/1, see
 * count/README.md) for the election with id `election`, as described at
 * the top of this file. `package` is the parsed election.json (may be
 * NULL); candidates are read from it when the document's lists carry none.
 * Both documents get a reference held by the input. Returns 0;
 * TELLE_EINVAL when the election is not in the document; TELLE_EFORMAT
 * when the document is not a counts document, a field is missing or of
 * the wrong kind, or votes name a candidate the list does not have (the
 * message gives the JSON path: "elections[0].totals.lists.AP.approved:
 * missing"); TELLE_ENOMEM. */
int cnt_settle_input_from_counts(cnt_settle_input **out, json_t *counts,
                                 const char *election, json_t *package);

void cnt_settle_input_free(cnt_settle_input *in);

/* The results: seats (NULL under FT) and one ranking per list (NULL for a
 * list without candidates). */
typedef struct {
    cnt_seats *seats;
    cnt_ranking **rankings;
    size_t n_lists;
} cnt_settlement;

/* Allocates the seats (KS) with `seed` for the drawing of lots, then ranks
 * every list that has candidates, with the seats it won (FT: the seats
 * given). Returns 0; TELLE_EINVAL from cnt_seats_allocate (message starts
 * "lists[i].field: ") or cnt_ranking_compute (prefixed "lists[i]."), e.g.
 * when no list has a listestemmetall above 0; TELLE_ENOMEM. */
int cnt_settle_compute(cnt_settlement **out, const cnt_settle_input *in,
                       uint64_t seed);

void cnt_settlement_free(cnt_settlement *s);

/* The result as JSON (count/README.md, "telle settle"): election, seats,
 * first_divisor, seed, lists, quotients (each with "quotient", a double
 * for reading, and "quotient_text", the exact six decimals), next_quotient,
 * lots, candidates by list code in rank order. Returns a new object, or
 * NULL when out of memory. */
json_t *cnt_settle_json(const cnt_settle_input *in, const cnt_settlement *s);

#endif
