/* sheet.c - reads one sheet: identifies its pages, analyses each side, and
 * decides marks, write-ins, stamp, reasons and outcome: rec_sheet_read,
 * rec_sheet_free, rec_sheet_is_ballot.
 *
 * The style is chosen for the sheet, not per page: every style's sides are
 * tried against the pages in both assignments (either side may come first)
 * and the style whose two sides together explain the pages best wins.
 * A KS ballot's outside is the same for every list; its inside decides. */
#include "recognition/recognition_internal.h"

#include "core/error.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const rec_reason_names[REC_N_REASONS] = {
    "writing_in_field", "writing_outside_field", "marginal_mark", "missing_stamp",
    "too_many_write_ins", "list_written", "multiple_lists", "wrong_election",
    "unknown_style", "unreadable",
};

/* Two styles whose sheet scores are closer than this cannot be told apart
 * (a damaged inside): the sheet goes to a person as unknown_style. */
#define STYLE_MARGIN 0.03
/* A page that matches a side this well (Dice) is surely that side; two such
 * pages of the same side name in one feed are two sheets: a double feed. */
#define DOUBLE_FEED_MATCH 0.75

static const rec_match *best_rot(const rec_match *scores, int ref)
{
    const rec_match *a = &scores[ref * 2], *b = &scores[ref * 2 + 1];
    return b->dice > a->dice ? b : a;
}

static const rec_match *best_any(const rec_match *scores, int n_refs)
{
    const rec_match *best = NULL;
    for (int i = 0; i < n_refs; i++) {
        const rec_match *m = best_rot(scores, i);
        if (!best || m->dice > best->dice)
            best = m;
    }
    return best;
}

typedef struct {
    int style;          /* index into pkg->styles, -1 none */
    int ref[2];         /* ref index per page, -1 unassigned */
    double score;
} hypothesis;

/* Best assignment of the pages to distinct sides of one style. */
static hypothesis best_for_style(const rec_engine *e, rec_match *const *scores, int n_pages,
                                 int style)
{
    hypothesis h = {style, {-1, -1}, -1};
    int first = -1, n = 0;
    for (int i = 0; i < e->n_refs; i++)
        if (e->refs[i].style_index == style) {
            if (first < 0)
                first = i;
            n++;
        }
    if (first < 0)
        return h;
    if (n_pages == 1) {
        for (int i = first; i < first + n; i++) {
            double d = best_rot(scores[0], i)->dice;
            if (d > h.score) {
                h.score = d;
                h.ref[0] = i;
            }
        }
        return h;
    }
    for (int i = first; i < first + n; i++)
        for (int j = first; j < first + n; j++) {
            if (i == j && n > 1)
                continue;
            double d = best_rot(scores[0], i)->dice + best_rot(scores[1], j)->dice;
            if (d > h.score) {
                h.score = d;
                h.ref[0] = i;
                h.ref[1] = (i == j) ? -1 : j;
            }
        }
    return h;
}

static int add_writing(rec_sheet *s, const char *side, const rec_writing *w)
{
    rec_writing_out *nw = realloc(s->writing, sizeof *nw * (size_t)(s->n_writing + 1));
    if (!nw)
        return err_set(TELLE_ENOMEM, "out of memory for writing");
    s->writing = nw;
    rec_writing_out *o = &s->writing[s->n_writing++];
    o->side = side;
    o->x_mm = w->x_mm;
    o->y_mm = w->y_mm;
    o->w_mm = w->w_mm;
    o->h_mm = w->h_mm;
    o->in = w->in;
    return 0;
}

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Marks, write-ins, stamp and reasons from the analysed sides. */
static int assemble(rec_sheet *s, const rec_engine *e, const rec_ref *const *refs,
                    const rec_side_result *res, int n_pages)
{
    const pkg_style *st = s->style;
    const pkg_election *el = pkg_election_find(e->pkg, st->election);
    int max_write_ins = el ? el->max_write_ins : 0;
    int marked_lists = 0;
    const char *marked_list = NULL;
    bool any_stamp_field = false, stamp = false;
    for (int p = 0; p < n_pages; p++) {
        if (!refs[p])
            continue;
        const rec_side_result *r = &res[p];
        const pkg_side *side = refs[p]->side;
        if (r->n_boxes > 0) {
            rec_mark_out *nm = realloc(s->marks, sizeof *nm * (size_t)(s->n_marks + r->n_boxes));
            if (!nm)
                return err_set(TELLE_ENOMEM, "out of memory for marks");
            s->marks = nm;
        }
        for (int b = 0; b < r->n_boxes; b++) {
            const pkg_region *reg = &side->regions[r->boxes[b].region];
            rec_mark_out *m = &s->marks[s->n_marks++];
            m->candidate = reg->candidate;
            m->list = reg->list;
            m->score = r->boxes[b].score;
            m->state = (m->score >= e->opt.mark_marked &&
                        r->boxes[b].extent >= e->opt.mark_min_extent &&
                        r->boxes[b].dark >= e->opt.mark_min_dark) ? REC_MARKED
                       : m->score >= e->opt.mark_empty ? REC_MARGINAL
                                                       : REC_EMPTY;
            if (m->state == REC_MARGINAL)
                s->reasons |= REC_R_MARGINAL_MARK;
            if (m->state == REC_MARKED && m->list) {
                marked_lists++;
                marked_list = m->list;
            }
        }
        for (int w = 0; w < r->n_writing; w++) {
            int rc = add_writing(s, side->name, &r->writing[w]);
            if (rc)
                return rc;
            switch (r->writing[w].in) {
            case REC_IN_WRITE_IN_FIELD:
                s->reasons |= REC_R_WRITING_IN_FIELD;
                break;
            case REC_IN_LIST_WRITE_FIELD:
                s->reasons |= REC_R_LIST_WRITTEN;
                break;
            case REC_IN_OUTSIDE:
                s->reasons |= REC_R_WRITING_OUTSIDE_FIELD;
                s->write_ins_outside_field++;
                break;
            }
        }
        s->write_ins_in_field += r->write_in_entries;
        for (int i = 0; i < side->n_regions; i++)
            if (side->regions[i].type == PKG_REGION_WRITE_IN_FIELD &&
                side->regions[i].max_entries > 0)
                max_write_ins = side->regions[i].max_entries;
        if (r->has_stamp_field) {
            any_stamp_field = true;
            stamp = stamp || r->stamp;
        }
    }
    s->stamp = any_stamp_field ? (stamp ? 1 : 0) : -1;
    if (s->stamp == 0)
        s->reasons |= REC_R_MISSING_STAMP;
    if (s->write_ins_in_field > max_write_ins)
        s->reasons |= REC_R_TOO_MANY_WRITE_INS;

    s->list = st->kind == PKG_STYLE_LIST ? st->list : NULL;
    if (st->kind == PKG_STYLE_ALL_LISTS) {
        if (marked_lists > 1)
            s->reasons |= REC_R_MULTIPLE_LISTS;
        else if (marked_lists == 1)
            s->list = marked_list;
    }
    if (st->kind == PKG_STYLE_LIST) {
        s->personal_votes = malloc(sizeof(int) * (size_t)(s->n_marks + 1));
        if (!s->personal_votes)
            return err_set(TELLE_ENOMEM, "out of memory for personal votes");
        for (int i = 0; i < s->n_marks; i++)
            if (s->marks[i].state == REC_MARKED && s->marks[i].candidate > 0)
                s->personal_votes[s->n_personal_votes++] = s->marks[i].candidate;
        qsort(s->personal_votes, (size_t)s->n_personal_votes, sizeof(int), compare_int);
    }
    return 0;
}

static void decide_outcome(rec_sheet *s)
{
    if (s->reasons) {
        s->outcome = REC_REVIEW;
        return;
    }
    if (s->style->kind == PKG_STYLE_BLANK ||
        (s->style->kind == PKG_STYLE_ALL_LISTS && s->list == NULL))
        s->outcome = REC_BLANK;
    else
        s->outcome = REC_APPROVED;
}

int rec_sheet_read(rec_sheet **out, const rec_engine *e, const rec_page_in *pages,
                   int n_pages)
{
    *out = NULL;
    if (n_pages < 1 || n_pages > 2)
        return err_set(TELLE_EINVAL, "a sheet has 1 or 2 pages, not %d", n_pages);
    if (e->n_refs == 0)
        return err_set(TELLE_EINVAL, "the package has no ballot styles");
    rec_sheet *s = calloc(1, sizeof *s);
    rec_page prepared[2];
    rec_match *scores[2] = {NULL, NULL};
    rec_side_result res[2];
    const rec_ref *refs[2] = {NULL, NULL};
    memset(prepared, 0, sizeof prepared);
    memset(res, 0, sizeof res);
    int rc = 0;
    if (!s)
        return err_set(TELLE_ENOMEM, "out of memory for a sheet");
    s->pages = calloc((size_t)n_pages, sizeof *s->pages);
    if (!s->pages) {
        rc = err_set(TELLE_ENOMEM, "out of memory for a sheet");
        goto done;
    }
    s->n_pages = n_pages;
    s->stamp = -1;
    double dpi = e->refs[0].dpi;
    for (int p = 0; p < n_pages; p++) {
        s->pages[p].file = strdup(pages[p].file ? pages[p].file : "");
        s->pages[p].page = pages[p].page;
        if (!s->pages[p].file) {
            rc = err_set(TELLE_ENOMEM, "out of memory for a sheet");
            goto done;
        }
        scores[p] = calloc((size_t)e->n_refs * 2, sizeof *scores[p]);
        if (!scores[p]) {
            rc = err_set(TELLE_ENOMEM, "out of memory identifying a page");
            goto done;
        }
        if (!pages[p].image)
            continue; /* could not be decoded: scores stay 0, so it is unreadable */
        if ((rc = rec_page_prepare(&prepared[p], pages[p].image, dpi)))
            goto done;
        memcpy(s->pages[p].sha256, prepared[p].sha256, sizeof s->pages[p].sha256);
        if ((rc = rec_identify_page(scores[p], e, &prepared[p])))
            goto done;
    }

    /* The style that explains the sheet best, and the runner-up. */
    hypothesis best = {-1, {-1, -1}, -1}, second = {-1, {-1, -1}, -1};
    for (int st = 0; st < e->pkg->n_styles; st++) {
        hypothesis h = best_for_style(e, scores, n_pages, st);
        if (h.score > best.score) {
            second = best;
            best = h;
        } else if (h.score > second.score) {
            second = h;
        }
    }
    double min_match = e->opt.min_page_match;
    bool any_page = false;
    for (int p = 0; p < n_pages; p++)
        any_page = any_page || best_any(scores[p], e->n_refs)->dice >= min_match;
    s->is_ballot = any_page && best.style >= 0;
    if (!s->is_ballot) {
        s->reasons |= REC_R_UNKNOWN_STYLE;
        s->outcome = REC_REVIEW;
        goto done;
    }
    s->style = &e->pkg->styles[best.style];
    s->election = s->style->election;
    if (second.style >= 0 && best.score - second.score < STYLE_MARGIN) {
        /* Two styles explain the sheet equally well: which list it is must
         * be seen by a person. */
        s->reasons |= REC_R_UNKNOWN_STYLE;
    }
    if (n_pages == 2) {
        const rec_match *b0 = best_any(scores[0], e->n_refs);
        const rec_match *b1 = best_any(scores[1], e->n_refs);
        if (b0->dice >= DOUBLE_FEED_MATCH && b1->dice >= DOUBLE_FEED_MATCH &&
            strcmp(e->refs[b0->ref].side->name, e->refs[b1->ref].side->name) == 0)
            s->reasons |= REC_R_UNREADABLE; /* two sheets in one feed */
    }
    for (int p = 0; p < n_pages; p++) {
        int r = best.ref[p];
        if (r < 0 || best_rot(scores[p], r)->dice < min_match) {
            s->reasons |= REC_R_UNREADABLE;
            continue;
        }
        const rec_match *m = best_rot(scores[p], r);
        rec_registration reg = m->reg;
        if (m->rot)
            rec_registration_unturn(&reg, prepared[p].width, prepared[p].height);
        /* Twice: the second pass starts from marks already within a pixel,
         * so the windows it compares are sampled where the page really is. */
        for (int pass = 0; pass < 2 && !rc; pass++)
            rc = rec_register_refine(&reg, &e->refs[r], &prepared[p],
                                     pass == 0 ? REC_REFINE_SEARCH_MM : REC_REFINE_AGAIN_MM);
        if (rc)
            goto done;
        log_debug("rec", "page %d: %s %s rot %d dice %.3f marks %d score %.3f residual %.2f mm "
                  "a = [%.5f %.5f %.2f; %.5f %.5f %.2f]", p + 1, e->refs[r].style->id,
                  e->refs[r].side->name, m->rot, m->dice, reg.n_marks, reg.mark_score,
                  reg.residual_mm, reg.a[0], reg.a[1], reg.a[2], reg.a[3], reg.a[4], reg.a[5]);
        if ((rc = rec_ink_analyse(&res[p], e, &e->refs[r], &prepared[p], &reg)))
            goto done;
        refs[p] = &e->refs[r];
        s->pages[p].side = e->refs[r].side->name;
        s->pages[p].rotated = m->rot ? 180 : 0;
        s->pages[p].match = m->dice;
    }
    if ((rc = assemble(s, e, refs, res, n_pages)))
        goto done;
    decide_outcome(s);
done:
    for (int p = 0; p < 2; p++) {
        rec_page_release(&prepared[p]);
        free(scores[p]);
        rec_side_result_release(&res[p]);
    }
    if (rc) {
        rec_sheet_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

bool rec_sheet_is_ballot(const rec_sheet *s) { return s->is_ballot; }

void rec_sheet_expect_election(rec_sheet *s, const char *election)
{
    if (!election || !s->election || strcmp(election, s->election) == 0)
        return;
    s->reasons |= REC_R_WRONG_ELECTION;
    s->outcome = REC_REVIEW;
}

void rec_sheet_free(rec_sheet *s)
{
    if (!s)
        return;
    for (int p = 0; p < s->n_pages; p++)
        free(s->pages[p].file);
    free(s->pages);
    free(s->marks);
    free(s->personal_votes);
    free(s->writing);
    free(s);
}
