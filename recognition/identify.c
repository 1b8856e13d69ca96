/* identify.c - which side of which style a page is, and which way up:
 * rec_identify_page.
 *
 * Each reference side is registered to the page (coarse, at 50 dpi) in both
 * orientations; sides whose corner marks are identical share one
 * registration. The page's ink density is then warped into the side's frame
 * and compared with the reference's by the Dice coefficient
 *     dice = 2 sum(p r) / (sum(p^2) + sum(r^2))
 * over the 50-dpi maps. The printed text dominates those maps, so the right
 * list scores 0.85-0.95 and another list of the same layout 0.65-0.75;
 * voters' marks and writing lower the right score only a little.
 * Every side is first scored on the maps halved (25 dpi, a quarter of the
 * work); only the sides within QUICK_MARGIN of the best get the full
 * score, the others none. */
#include "recognition/recognition_internal.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

/* Sides whose quick Dice (at 25 dpi) is within this of the page's best get
 * the full Dice at 50 dpi. The two differ by a few hundredths; the sides
 * that decide a style (STYLE_MARGIN, 0.03) or a double feed are within a
 * few tenths of the best, the rest are other layouts far below. */
#define QUICK_MARGIN 0.15

/* A page density map (50 dpi, or halved: 25 dpi, shrink 2) brought into
 * the frame of a reference's map of the same resolution (width x height). */
static int warp_low(rec_buf *w, int width, int height, const rec_ref *ref, const rec_buf *low,
                    int shrink, const rec_registration *reg)
{
    int rc = rec_buf_new(w, width, height);
    if (rc)
        return rc;
    double f = ref->dpi / REC_LOW_DPI * shrink;
    const double *a = reg->a;
    double m[6] = {a[0], a[1], a[2] / f, a[3], a[4], a[5] / f};
    cvs_view src = rec_view(low);
    cvs_buf dst = rec_cvbuf(w);
    rc = cvs_warp_affine(&src, &dst, m, 0);
    if (rc)
        rec_buf_free(w);
    return rc;
}

/* Exact integer sums: the same score on every machine. */
static double dice_score(const rec_buf *ref, double ref_norm, const rec_buf *w, uint64_t pp)
{
    uint64_t pr = 0;
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict pw = w->data + (size_t)y * w->stride;
        const uint8_t *restrict rr = ref->data + (size_t)y * ref->stride;
        uint32_t row = 0; /* < 2^32: a row is at most ~1000 px of 255 * 255 */
        for (int x = 0; x < w->width; x++)
            row += (uint32_t)pw[x] * rr[x];
        pr += row;
    }
    double den = (double)pp + ref_norm;
    return den > 0 ? 2.0 * (double)pr / den : 0;
}

/* The page warped into one layout's frame (one orientation), full and
 * halved, with their sums of squares. */
typedef struct {
    rec_buf low, half;
    uint64_t low_sq, half_sq;
} warped_page;

static void warped_release(warped_page *w)
{
    rec_buf_free(&w->low);
    rec_buf_free(&w->half);
}

int rec_identify_page(rec_match *scores, const rec_engine *e, const rec_page *p)
{
    int nl = e->n_layouts;
    size_t n_keys = (size_t)(nl > 0 ? nl : 1) * 2;
    rec_registration *cache = calloc(n_keys, sizeof *cache);
    bool *done = calloc(n_keys, sizeof *done);
    warped_page *warped = calloc(n_keys, sizeof *warped); /* per layout and turn */
    rec_buf half[2] = {{0}, {0}};
    int rc = 0;
    double best_quick = 0;
    if (!cache || !done || !warped) {
        rc = err_set(TELLE_ENOMEM, "out of memory identifying a page");
        goto out;
    }
    for (int rot = 0; rot < 2 && !rc; rot++)
        rc = rec_low_halve(&half[rot], &p->low[rot]);
    /* First the quick score at 25 dpi for every side and turn. */
    for (int i = 0; i < e->n_refs && !rc; i++) {
        const rec_ref *ref = &e->refs[i];
        for (int rot = 0; rot < 2 && !rc; rot++) {
            rec_match *m = &scores[i * 2 + rot];
            memset(m, 0, sizeof *m);
            m->ref = i;
            m->rot = rot;
            int key = ref->layout * 2 + rot;
            if (!done[key]) {
                rc = rec_register_coarse(&cache[key], ref, &p->low[rot]);
                done[key] = true;
            }
            m->reg = cache[key];
            if (rc || !m->reg.ok)
                continue;
            if (ref->twin >= 0) {
                m->dice = scores[ref->twin * 2 + rot].dice;
                continue;
            }
            /* Sides with the same marks share the registration, so the
             * page is warped once for all of them (when their size agrees). */
            warped_page *w = &warped[key];
            if (w->half.data && (w->half.width != ref->half.width ||
                                 w->half.height != ref->half.height))
                warped_release(w);
            if (!w->half.data) {
                if ((rc = warp_low(&w->half, ref->half.width, ref->half.height, ref, &half[rot], 2,
                                   &m->reg)))
                    break;
                w->half_sq = rec_low_sum_sq(&w->half);
            }
            m->dice = dice_score(&ref->half, ref->half_norm, &w->half, w->half_sq);
            if (m->dice > best_quick)
                best_quick = m->dice;
        }
    }
    /* Then the full score where it can matter: within QUICK_MARGIN of the
     * best quick score. The others are no match (0): quick scores run
     * higher than full ones, so kept as they are they would crowd the
     * best's full score. */
    for (int i = 0; i < e->n_refs && !rc; i++) {
        const rec_ref *ref = &e->refs[i];
        for (int rot = 0; rot < 2 && !rc; rot++) {
            rec_match *m = &scores[i * 2 + rot];
            if (!m->reg.ok)
                continue;
            if (ref->twin >= 0) {
                m->dice = scores[ref->twin * 2 + rot].dice;
                continue;
            }
            if (m->dice < best_quick - QUICK_MARGIN) {
                m->dice = 0;
                continue;
            }
            warped_page *w = &warped[ref->layout * 2 + rot];
            if (w->low.data &&
                (w->low.width != ref->low.width || w->low.height != ref->low.height))
                rec_buf_free(&w->low);
            if (!w->low.data) {
                if ((rc = warp_low(&w->low, ref->low.width, ref->low.height, ref, &p->low[rot], 1,
                                   &m->reg)))
                    break;
                w->low_sq = rec_low_sum_sq(&w->low);
            }
            m->dice = dice_score(&ref->low, ref->low_norm, &w->low, w->low_sq);
        }
    }
out:
    for (size_t k = 0; warped && k < n_keys; k++)
        warped_release(&warped[k]);
    rec_buf_free(&half[0]);
    rec_buf_free(&half[1]);
    free(warped);
    free(cache);
    free(done);
    return rc;
}
