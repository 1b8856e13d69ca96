/* ranking.c - candidate ranking per list with stemmetillegg, write-ins and
 * the FT 8 % threshold: cnt_ranking_compute, cnt_ranking_free,
 * cnt_ranking_count, cnt_ranking_at, cnt_votes_format. The rules are
 * described in ranking.h. */
#include "count/ranking_internal.h"

#include "core/error.h"
#include "count/seats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *code_of(const cnt_list_candidates *in)
{
    return in->code && in->code[0] ? in->code : "(no code)";
}

static int check_candidate(const cnt_list_candidates *in, size_t i)
{
    const cnt_candidate_votes *c = &in->candidates[i];
    const char *code = code_of(in);
    if (c->no < 1 || c->no > CNT_MAX_CANDIDATES)
        return err_set(TELLE_EINVAL,
                       "candidates[%zu].no: %d is outside 1..%d (list %s)", i,
                       c->no, CNT_MAX_CANDIDATES, code);
    for (size_t j = 0; j < i; j++)
        if (in->candidates[j].no == c->no)
            return err_set(TELLE_EINVAL,
                           "candidates[%zu].no: %d repeats candidates[%zu] "
                           "(list %s)",
                           i, c->no, j, code);
    if (c->personal_votes < 0 || c->personal_votes > in->ballots)
        return err_set(TELLE_EINVAL,
                       "candidates[%zu].personal_votes: %" PRId64
                       " is outside 0..%" PRId64
                       " (list %s has %" PRId64 " ballots, each gives a "
                       "candidate at most one)",
                       i, c->personal_votes, in->ballots, code, in->ballots);
    if (c->write_ins_received < 0 ||
        c->write_ins_received > CNT_MAX_WRITE_INS)
        return err_set(TELLE_EINVAL,
                       "candidates[%zu].write_ins_received: %" PRId64
                       " is outside 0..%" PRId64 " (list %s)",
                       i, c->write_ins_received, CNT_MAX_WRITE_INS, code);
    if (in->rule == CNT_RULE_FT && c->stemmetillegg)
        return err_set(TELLE_EINVAL,
                       "candidates[%zu].stemmetillegg: county elections have "
                       "no stemmetillegg (list %s)", i, code);
    if (in->rule == CNT_RULE_FT && c->write_ins_received > 0)
        return err_set(TELLE_EINVAL,
                       "candidates[%zu].write_ins_received: county elections "
                       "have no write-ins (list %s)", i, code);
    return 0;
}

static int check_input(const cnt_list_candidates *in)
{
    const char *code = code_of(in);
    if (in->rule != CNT_RULE_KS && in->rule != CNT_RULE_FT)
        return err_set(TELLE_EINVAL, "rule: %d is neither KS nor FT (list %s)",
                       (int)in->rule, code);
    if (in->ballots < 0 || in->ballots > CNT_MAX_BALLOTS)
        return err_set(TELLE_EINVAL,
                       "ballots: %" PRId64 " is outside 0..%" PRId64
                       " (list %s)",
                       in->ballots, CNT_MAX_BALLOTS, code);
    if (in->seats < 0 || in->seats > CNT_MAX_SEATS)
        return err_set(TELLE_EINVAL, "seats: %d is outside 0..%d (list %s)",
                       in->seats, CNT_MAX_SEATS, code);
    if (in->n_candidates > CNT_MAX_CANDIDATES ||
        (in->n_candidates > 0 && !in->candidates))
        return err_set(TELLE_EINVAL,
                       "candidates: %zu candidates, at most %d (list %s)",
                       in->n_candidates, CNT_MAX_CANDIDATES, code);
    for (size_t i = 0; i < in->n_candidates; i++) {
        int rc = check_candidate(in, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Candidates ranked by votes come first, larger total first; then list
 * position. qsort is not stable, but `no` is unique, so the order is
 * total. */
static int ranked_cmp(const void *pa, const void *pb)
{
    const cnt_ranked *a = pa, *b = pb;
    if (a->by_votes != b->by_votes)
        return a->by_votes ? -1 : 1;
    if (a->by_votes && a->total_x4 != b->total_x4)
        return a->total_x4 > b->total_x4 ? -1 : 1;
    return (a->no > b->no) - (a->no < b->no);
}

int cnt_ranking_compute(cnt_ranking **out, const cnt_list_candidates *in)
{
    *out = NULL;
    int rc = check_input(in);
    if (rc < 0)
        return rc;
    cnt_ranking *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(TELLE_ENOMEM, "ranking of list %s: out of memory",
                       code_of(in));
    r->n = in->n_candidates;
    if (r->n > 0) {
        r->ranked = calloc(r->n, sizeof *r->ranked);
        if (!r->ranked) {
            cnt_ranking_free(r);
            return err_set(TELLE_ENOMEM, "ranking of list %s: out of memory",
                           code_of(in));
        }
    }

    for (size_t i = 0; i < r->n; i++) {
        const cnt_candidate_votes *c = &in->candidates[i];
        cnt_ranked *k = &r->ranked[i];
        k->candidate = i;
        k->no = c->no;
        if (in->rule == CNT_RULE_KS) {
            k->stemmetillegg_x4 = c->stemmetillegg ? in->ballots : 0;
            k->total_x4 = k->stemmetillegg_x4 +
                          4 * (c->personal_votes + c->write_ins_received);
            k->by_votes = true;
        } else {
            k->total_x4 = 4 * c->personal_votes;
            k->by_votes = c->personal_votes > 0 &&
                          c->personal_votes * 100 >=
                              in->ballots * CNT_FT_THRESHOLD_PERCENT;
        }
    }
    if (r->n > 1)
        qsort(r->ranked, r->n, sizeof *r->ranked, ranked_cmp);

    size_t elected = (size_t)in->seats < r->n ? (size_t)in->seats : r->n;
    size_t deputies = in->seats > 0 ? (size_t)in->seats + 3 : 0;
    for (size_t i = 0; i < r->n; i++) {
        cnt_ranked *k = &r->ranked[i];
        k->rank = (int)i + 1;
        if (i < elected) {
            k->outcome = CNT_ELECTED;
        } else if (i - elected < deputies) {
            k->outcome = CNT_DEPUTY;
            k->deputy_no = (int)(i - elected) + 1;
        }
    }
    *out = r;
    return 0;
}

void cnt_ranking_free(cnt_ranking *r)
{
    if (!r)
        return;
    free(r->ranked);
    free(r);
}

size_t cnt_ranking_count(const cnt_ranking *r) { return r->n; }

const cnt_ranked *cnt_ranking_at(const cnt_ranking *r, size_t i)
{
    return i < r->n ? &r->ranked[i] : NULL;
}

void cnt_votes_format(char text[CNT_VOTES_TEXT], int64_t x4)
{
    const char *sign = x4 < 0 ? "-" : "";
    int64_t a = x4 < 0 ? -x4 : x4;
    snprintf(text, CNT_VOTES_TEXT, "%s%" PRId64 ".%02d", sign, a / 4,
             (int)(a % 4) * 25);
}
