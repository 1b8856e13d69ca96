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
 * voters' marks and writing lower the right score only a little. */
#include "recognition/recognition_internal.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

/* The page's density map brought into a reference's frame at 50 dpi. */
static int warp_low(rec_buf *w, const rec_ref *ref, const rec_buf *low,
                    const rec_registration *reg)
{
    int rc = rec_buf_new(w, ref->low.width, ref->low.height);
    if (rc)
        return rc;
    double f = ref->dpi / REC_LOW_DPI;
    const double *a = reg->a;
    double m[6] = {a[0], a[1], a[2] / f, a[3], a[4], a[5] / f};
    cvs_view src = rec_view(low);
    cvs_buf dst = rec_cvbuf(w);
    rc = cvs_warp_affine(&src, &dst, m, 0);
    if (rc)
        rec_buf_free(w);
    return rc;
}

/* Sum of squares of a warped map: the page's half of the Dice
 * denominator, the same for every side sharing the warp. */
static uint64_t sum_sq(const rec_buf *w)
{
    uint64_t pp = 0;
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict pw = w->data + (size_t)y * w->stride;
        for (int x = 0; x < w->width; x++)
            pp += (uint32_t)pw[x] * pw[x];
    }
    return pp;
}

/* Exact integer sums: the same score on every machine. */
static double dice_score(const rec_ref *ref, const rec_buf *w, uint64_t pp)
{
    uint64_t pr = 0;
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict pw = w->data + (size_t)y * w->stride;
        const uint8_t *restrict rr = ref->low.data + (size_t)y * ref->low.stride;
        uint32_t row = 0; /* < 2^32: a row is at most ~1000 px of 255 * 255 */
        for (int x = 0; x < w->width; x++)
            row += (uint32_t)pw[x] * rr[x];
        pr += row;
    }
    double den = (double)pp + ref->low_norm;
    return den > 0 ? 2.0 * (double)pr / den : 0;
}

int rec_identify_page(rec_match *scores, const rec_engine *e, const rec_page *p)
{
    int nl = e->n_layouts;
    size_t n_keys = (size_t)(nl > 0 ? nl : 1) * 2;
    rec_registration *cache = calloc(n_keys, sizeof *cache);
    bool *done = calloc(n_keys, sizeof *done);
    rec_buf *warped = calloc(n_keys, sizeof *warped); /* per layout and turn */
    uint64_t *warped_sq = calloc(n_keys, sizeof *warped_sq);
    int rc = 0;
    if (!cache || !done || !warped || !warped_sq) {
        rc = err_set(TELLE_ENOMEM, "out of memory identifying a page");
        goto out;
    }
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
            /* Sides with the same marks share the registration, so the
             * page is warped once for all of them (when their size agrees). */
            rec_buf *w = &warped[key];
            if (w->data && (w->width != ref->low.width || w->height != ref->low.height))
                rec_buf_free(w);
            if (!w->data) {
                rc = warp_low(w, ref, &p->low[rot], &m->reg);
                if (!rc)
                    warped_sq[key] = sum_sq(w);
            }
            if (!rc)
                m->dice = dice_score(ref, w, warped_sq[key]);
        }
    }
out:
    for (size_t k = 0; warped && k < n_keys; k++)
        rec_buf_free(&warped[k]);
    free(warped);
    free(warped_sq);
    free(cache);
    free(done);
    return rc;
}
