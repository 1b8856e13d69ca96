/* ranking.h - the candidate ranking of one list (kandidatkåring) and who
 * is elected and deputy, for the protocol's chapter E.
 *
 *   cnt_ranking_compute   rank a list's candidates; the result is a
 *                         cnt_ranking
 *   cnt_ranking_free      free a result
 *   cnt_ranking_count, cnt_ranking_at
 *                         read a result, in rank order
 *   cnt_votes_format      a vote total in quarter votes as "106.50"
 *
 * KS, municipal council (domain.md, "Seat allocation"; valgloven § 11-5):
 *   stemmetillegg = 25 % of the list's approved ballots, for each candidate
 *                   the list marked for it (printed first, in bold);
 *   total         = stemmetillegg + personal votes from the list's own
 *                   ballots + write-ins received on other lists' ballots;
 *   rank          by total, larger first; equal totals (zeros among them)
 *                 in list position order.
 * Totals are held exactly in quarter votes (×4): 25 % of 426 ballots is
 * 426 quarters, 106.50 votes; nothing is rounded.
 *
 * FT, county council (valgloven § 11-10): no stemmetillegg and no
 * write-ins. Reading implemented: a candidate whose personal votes are at
 * least 8 % of the list's approved ballots ("the list's votes": FT has no
 * write-ins, so there is no listestemmetall to mean instead) and above zero
 * is ranked by personal votes; all those come first, larger first, equal in
 * list position order; every other candidate follows in list position
 * order, as if no one had voted for them. 8 % is checked in integers:
 * personal × 100 >= ballots × 8.
 *
 * Elected: the first `seats` candidates by rank. Deputies
 * (vararepresentanter): the next `seats + 3`, only for a list that won a
 * seat (a list without seats has no representatives to stand in for).
 * Either stops early when the list runs out of candidates.
 */
#ifndef TELLE_COUNT_RANKING_H
#define TELLE_COUNT_RANKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CNT_RULE_KS, /* kommunestyrevalg: stemmetillegg, write-ins */
    CNT_RULE_FT, /* fylkestingsvalg: personal votes with the 8 % threshold */
} cnt_rule;

/* No list has more candidates than this (KS: at most seats + 6). */
enum { CNT_MAX_CANDIDATES = 2000 };

/* FT threshold: personal votes of at least 8 % of the list's ballots. */
enum { CNT_FT_THRESHOLD_PERCENT = 8 };

/* One candidate's votes, filled by the caller. */
typedef struct {
    int no;                     /* list position, 1-based, unique */
    const char *name;           /* may be NULL; borrowed */
    bool stemmetillegg;         /* KS only */
    int64_t personal_votes;     /* from the list's own ballots */
    int64_t write_ins_received; /* KS only: from other lists' ballots */
} cnt_candidate_votes;

/* One list's input to the ranking. */
typedef struct {
    const char *code;           /* names the list in messages; may be NULL */
    cnt_rule rule;
    int64_t ballots;            /* the list's approved ballots */
    int seats;                  /* seats the list won (cnt_seats_won) */
    const cnt_candidate_votes *candidates;
    size_t n_candidates;        /* 0 gives an empty ranking */
} cnt_list_candidates;

typedef enum {
    CNT_NOT_ELECTED = 0,
    CNT_ELECTED,
    CNT_DEPUTY,
} cnt_outcome;

/* One candidate's place. */
typedef struct {
    size_t candidate;           /* index into the input */
    int no;
    int rank;                   /* 1-based */
    int64_t stemmetillegg_x4;   /* quarter votes: the list's ballots or 0 */
    int64_t total_x4;           /* quarter votes; FT: personal votes × 4 */
    bool by_votes;              /* ranked by its votes: KS always; FT when
                                   the 8 % threshold was reached */
    cnt_outcome outcome;
    int deputy_no;              /* 1-based order among deputies, else 0 */
} cnt_ranked;

typedef struct cnt_ranking cnt_ranking;

/* Ranks in->candidates as described above. On success *out is a new
 * result the caller frees with cnt_ranking_free. Returns 0; TELLE_EINVAL
 * when a number is out of range (personal votes above the list's ballots,
 * a repeated or non-positive `no`, stemmetillegg or write-ins under FT),
 * with a message starting with the field's path ("candidates[3].no: ...")
 * and naming the list; TELLE_ENOMEM. */
int cnt_ranking_compute(cnt_ranking **out, const cnt_list_candidates *in);

void cnt_ranking_free(cnt_ranking *r); /* accepts NULL */

size_t cnt_ranking_count(const cnt_ranking *r);
/* The candidate at rank i + 1; NULL when i is out of range. */
const cnt_ranked *cnt_ranking_at(const cnt_ranking *r, size_t i);

enum { CNT_VOTES_TEXT = 32 };

/* Writes quarter votes as votes with two decimals: 426 → "106.50",
 * 1378 → "344.50". Exact: a quarter is .25, .50 or .75. */
void cnt_votes_format(char text[CNT_VOTES_TEXT], int64_t x4);

#endif
