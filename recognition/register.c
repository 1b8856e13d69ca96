/* register.c - finds a reference side's corner marks on a page and fits the
 * affine map from reference to page: rec_register_coarse (50 dpi, wide
 * search) and rec_register_refine (full resolution, narrow search).
 *
 * Why corner marks: they are printed with the ballot, so they move with the
 * print (a print shifted 1 mm on the paper is still registered), they are
 * far apart (errors in angle and scale are small), and they are where
 * voters rarely write. An affine map from 3 or 4 of them absorbs skew
 * (±3 degrees), shift (±8 mm) and scale (±2 %) at once. */
#include "recognition/recognition_internal.h"

#include "core/error.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How far from its printed place a mark is looked for: 8 mm of shift plus
 * what 3 degrees of skew moves a corner 180 mm from the centre (9.4 mm),
 * plus a margin. */
#define COARSE_SEARCH_MM 22.0
/* A mark whose best correlation is below this was not found (a clean mark
 * scores 0.85-0.95; writing or a torn corner scores far lower). */
#define MARK_MIN_SCORE 0.45
/* A fit whose marks disagree by more than this is not trusted. */
#define MAX_RESIDUAL_MM 1.5

typedef struct {
    double sx, sy; /* reference px */
    double dx, dy; /* page px */
    double score;
    bool used;
} pair;

/* Least-squares affine through the used pairs; false when degenerate. */
static bool fit_affine(double a[6], const pair *p, int n)
{
    double m[3][3] = {{0}}, bx[3] = {0}, by[3] = {0};
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (!p[i].used)
            continue;
        double v[3] = {p[i].sx, p[i].sy, 1};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                m[r][c] += v[r] * v[c];
            bx[r] += v[r] * p[i].dx;
            by[r] += v[r] * p[i].dy;
        }
        used++;
    }
    if (used < 3)
        return false;
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (fabs(det) < 1e-6)
        return false;
    double inv[3][3];
    inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
    inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
    inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
    inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
    inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
    inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
    for (int r = 0; r < 3; r++) {
        a[r] = inv[r][0] * bx[0] + inv[r][1] * bx[1] + inv[r][2] * bx[2];
        a[3 + r] = inv[r][0] * by[0] + inv[r][1] * by[1] + inv[r][2] * by[2];
    }
    return true;
}

static double max_residual_px(const double a[6], const pair *p, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        if (!p[i].used)
            continue;
        double X = a[0] * p[i].sx + a[1] * p[i].sy + a[2];
        double Y = a[3] * p[i].sx + a[4] * p[i].sy + a[5];
        double d = hypot(X - p[i].dx, Y - p[i].dy);
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* A ballot on a scanner is turned at most a few degrees (from upright or
 * from upside down) and scaled a few per cent; a fit outside that is a
 * false match. */
static bool plausible(const double a[6])
{
    double sx = hypot(a[0], a[3]), sy = hypot(a[1], a[4]);
    double angle = atan2(a[3], a[0]) * 57.29577951308232; /* degrees */
    if (angle > 90)
        angle -= 180;
    else if (angle < -90)
        angle += 180;
    double shear = (a[0] * a[1] + a[3] * a[4]) / (sx * sy);
    return sx > 0.93 && sx < 1.07 && sy > 0.93 && sy < 1.07 && fabs(angle) < 6 &&
           fabs(shear) < 0.03;
}

/* Fits with all used pairs; when they disagree, drops the worst mark (a
 * mark hidden under writing or torn off) and fits the other three. */
static bool robust_fit(rec_registration *r, pair *p, int n, double dpi)
{
    double tol = pkg_mm_to_px(MAX_RESIDUAL_MM, dpi);
    if (fit_affine(r->a, p, n) && plausible(r->a) && max_residual_px(r->a, p, n) <= tol)
        goto good;
    int used = 0;
    for (int i = 0; i < n; i++)
        used += p[i].used;
    if (used < 4)
        return false;
    /* The outlier is the mark the other three predict worst. */
    double best_miss = -1;
    int best_drop = -1;
    for (int drop = 0; drop < n; drop++) {
        if (!p[drop].used)
            continue;
        p[drop].used = false;
        double a[6];
        if (fit_affine(a, p, n) && plausible(a)) {
            double X = a[0] * p[drop].sx + a[1] * p[drop].sy + a[2];
            double Y = a[3] * p[drop].sx + a[4] * p[drop].sy + a[5];
            double miss = hypot(X - p[drop].dx, Y - p[drop].dy);
            if (miss > best_miss) {
                best_miss = miss;
                best_drop = drop;
            }
        }
        p[drop].used = true;
    }
    if (best_drop < 0)
        return false;
    p[best_drop].used = false;
    if (!fit_affine(r->a, p, n))
        return false;
good:
    r->n_marks = 0;
    r->mark_score = 0;
    for (int i = 0; i < n; i++)
        if (p[i].used) {
            r->n_marks++;
            r->mark_score += p[i].score;
        }
    r->mark_score /= r->n_marks;
    r->residual_mm = max_residual_px(r->a, p, n) * 25.4 / dpi;
    r->ok = true;
    return true;
}

int rec_register_coarse(rec_registration *r, const rec_ref *ref, const rec_buf *low)
{
    memset(r, 0, sizeof *r);
    if (ref->n_marks < 3)
        return 0;
    pair p[16];
    int n = 0;
    double search = COARSE_SEARCH_MM * REC_LOW_DPI / 25.4;
    double up = ref->dpi / REC_LOW_DPI;
    for (int i = 0; i < ref->n_marks && n < 16; i++) {
        const rec_mark *mk = &ref->marks[i];
        int x0 = (int)floor(mk->x_low - search), y0 = (int)floor(mk->y_low - search);
        int x1 = (int)ceil(mk->x_low + mk->tpl_low.width + search);
        int y1 = (int)ceil(mk->y_low + mk->tpl_low.height + search);
        if (x0 < 0) x0 = 0;
        if (y0 < 0) y0 = 0;
        if (x1 > low->width) x1 = low->width;
        if (y1 > low->height) y1 = low->height;
        if (x1 - x0 < mk->tpl_low.width || y1 - y0 < mk->tpl_low.height)
            continue;
        cvs_view win = {low->data + (size_t)y0 * low->stride + x0, x1 - x0, y1 - y0,
                        low->stride};
        cvs_view tpl = rec_view(&mk->tpl_low);
        double bx, by, score;
        int rc = cvs_match_template(&win, &tpl, &bx, &by, &score);
        if (rc)
            return rc;
        if (score < MARK_MIN_SCORE)
            continue;
        p[n].sx = mk->x;
        p[n].sy = mk->y;
        p[n].dx = (x0 + bx) * up;
        p[n].dy = (y0 + by) * up;
        p[n].score = score;
        p[n].used = true;
        n++;
    }
    if (n >= 3)
        robust_fit(r, p, n, ref->dpi);
    return 0;
}

void rec_registration_unturn(rec_registration *r, int width, int height)
{
    double *a = r->a;
    double t[6] = {-a[0], -a[1], width - 1 - a[2], -a[3], -a[4], height - 1 - a[5]};
    memcpy(a, t, sizeof t);
}

int rec_register_refine(rec_registration *r, const rec_ref *ref, const rec_page *v,
                        double search_mm)
{
    if (!r->ok)
        return 0;
    int margin = (int)ceil(pkg_mm_to_px(search_mm, ref->dpi));
    pair p[16];
    int n = 0;
    for (int i = 0; i < ref->n_marks && n < 16; i++) {
        const rec_mark *mk = &ref->marks[i];
        rec_buf win;
        int rc = rec_buf_new(&win, mk->tpl.width + 2 * margin, mk->tpl.height + 2 * margin);
        if (rc)
            return rc;
        /* The page around the mark, brought into the reference frame by the
         * coarse fit, so the template meets it unturned. */
        double ox = mk->x - margin, oy = mk->y - margin;
        const double *a = r->a;
        double m[6] = {a[0], a[1], a[0] * ox + a[1] * oy + a[2],
                       a[3], a[4], a[3] * ox + a[4] * oy + a[5]};
        rc = rec_page_ink_window(&win, v, m);
        double bx = 0, by = 0, score = 0;
        if (!rc) {
            cvs_view wv = rec_view(&win);
            cvs_view tv = rec_view(&mk->tpl);
            rc = cvs_match_template(&wv, &tv, &bx, &by, &score);
        }
        rec_buf_free(&win);
        if (rc)
            return rc;
        log_debug("rec", "refine mark %d: offset %.2f, %.2f px, score %.3f", i, bx - margin,
                  by - margin, score);
        if (score < MARK_MIN_SCORE)
            continue;
        /* Reference point mk + d (d = offset found) is where the page's
         * mark lies; it belongs to the reference's mark corner. */
        double ux = mk->x + (bx - margin), uy = mk->y + (by - margin);
        p[n].sx = mk->x;
        p[n].sy = mk->y;
        p[n].dx = a[0] * ux + a[1] * uy + a[2];
        p[n].dy = a[3] * ux + a[4] * uy + a[5];
        p[n].score = score;
        p[n].used = true;
        n++;
    }
    rec_registration fine = *r;
    if (n >= 3 && robust_fit(&fine, p, n, ref->dpi))
        *r = fine;
    return 0;
}
