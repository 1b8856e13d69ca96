/* simulate.c - the scan simulator: smp_simulate, smp_label_text.
 *
 * Per sheet: plan the voter's ink (voter.c), draw both sides in the paper
 * frame, add bleed-through and the crease, map each side onto the scanner
 * canvas with its affine, add noise, convert to the output format, append
 * to the batch TIFF, and write the truth line.
 */
#include "samples/simulate.h"

#include "core/error.h"
#include "core/image_io.h"
#include "samples/code128.h"
#include "samples/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_PI 3.14159265358979323846
/* The scanner canvas: by default the page plus 4 mm at the sides and 5 mm
 * above and below, as the devset's scanner (305 x 220 mm for A4), so a
 * skewed, shifted sheet may lose a blank paper corner; write_sheet then
 * pulls shift and skew back until every registration mark and every piece
 * of the voter's ink is on the canvas, so the truth never names ink the
 * scan lacks. With fit_canvas the canvas instead holds the whole sheet at
 * the worst skew, scale and shift the options allow, plus 1.5 mm. */
typedef struct {
    double w_mm, h_mm;
} canvas;

static canvas canvas_for(const smp_sim_opts *o, double page_w)
{
    if (!o->fit_canvas) {
        canvas c = {page_w + 8.0, SMP_PAGE_H_MM + 10.0};
        return c;
    }
    double a = o->max_skew_deg * 3.14159265358979323846 / 180.0;
    double k = 1.0 + o->max_scale;
    double hw = page_w / 2, hh = SMP_PAGE_H_MM / 2;
    double ew = k * (hw * cos(a) + hh * sin(a));
    double eh = k * (hw * sin(a) + hh * cos(a));
    canvas c;
    c.w_mm = ceil(2 * (ew + o->max_shift_mm + 1.5));
    c.h_mm = ceil(2 * (eh + o->max_shift_mm + 1.5));
    return c;
}
/* The scanner's backing plate, light gray; SMP_DMG_BLACK_BACKING: black. */
#define BACKGROUND 244
#define BACKGROUND_BLACK 24

static const char *DAMAGE_NAMES[SMP_DMG_N] = {
    "dust",   "hair",          "streak",         "stain",
    "tear",   "dogear",        "punch",          "staple",
    "noise",  "tint",          "bleed",          "black_backing",
    "pencil", "red_pen",       "light_pressure", "heavy_pressure",
    "mark_styles", "small_margin", "hands"};

const char *smp_damage_name(unsigned bit)
{
    for (int i = 0; i < SMP_DMG_N; i++)
        if (bit == 1u << i)
            return DAMAGE_NAMES[i];
    return NULL;
}

int smp_damage_parse(unsigned *out, const char *list)
{
    *out = 0;
    if (!list)
        return err_set(TELLE_EINVAL, "damage: no list");
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            *out |= SMP_DMG_ALL;
            found = 1;
        }
        for (int i = 0; !found && i < SMP_DMG_N; i++)
            if (strlen(DAMAGE_NAMES[i]) == n &&
                strncmp(p, DAMAGE_NAMES[i], n) == 0) {
                *out |= 1u << i;
                found = 1;
            }
        if (!found && n > 0)
            return err_set(TELLE_EINVAL,
                           "damage: unknown kind '%.*s' (all, dust, hair, "
                           "streak, stain, tear, dogear, punch, staple, "
                           "noise, tint, bleed, black_backing, pencil, "
                           "red_pen, light_pressure, heavy_pressure, "
                           "mark_styles, small_margin, hands)",
                           (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

void smp_label_text(char *buf, size_t cap, const char *election,
                    const char *krets, const char *category,
                    const char *batch)
{
    snprintf(buf, cap, "TELLE;election=%s;krets=%s;category=%s;batch=%s",
             election, krets, category, batch);
}

/* paper mm -> scan mm: s = L q + t */
typedef struct {
    double a, b, c, d; /* L = [a b; c d] */
    double tx, ty;
} affine;

/* The paper of one side, drawn at dpi: RGB24 cairo surface. */
typedef struct {
    cairo_surface_t *s;
    cairo_t *cr;
    int w, h;
    double dpi;
    double w_mm; /* page width */
    uint8_t *hole; /* NULL, or w x h: 1 where the paper is gone (torn,
                      folded away, punched): the scanner's backing shows */
} paper;

static int paper_new(paper *p, double w_mm, double dpi, const double rgb[3],
                     double off_x, double off_y)
{
    p->dpi = dpi;
    p->w_mm = w_mm;
    p->w = (int)lround(w_mm * dpi / 25.4);
    p->h = (int)lround(SMP_PAGE_H_MM * dpi / 25.4);
    p->s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->w, p->h);
    p->cr = cairo_create(p->s);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS)
        return err_set(TELLE_ENOMEM, "cairo: cannot make a %dx%d page", p->w,
                       p->h);
    cairo_set_source_rgb(p->cr, rgb[0], rgb[1], rgb[2]);
    cairo_paint(p->cr);
    cairo_scale(p->cr, dpi / 25.4, dpi / 25.4);
    cairo_translate(p->cr, off_x, off_y);
    return 0;
}

static void paper_free(paper *p)
{
    cairo_destroy(p->cr);
    cairo_surface_destroy(p->s);
    free(p->hole);
    memset(p, 0, sizeof *p);
}

static inline uint32_t *paper_row(paper *p, int y)
{
    return (uint32_t *)(void *)(cairo_image_surface_get_data(p->s) +
                                (size_t)y * cairo_image_surface_get_stride(p->s));
}

/* Darkens a by the other side b seen through the paper (mirrored left to
 * right, as turning the sheet over does): factor 1 - bleed * (1 - luma_b). */
static void bleed_through(paper *a, paper *b, double bleed)
{
    cairo_surface_flush(a->s);
    cairo_surface_flush(b->s);
    for (int y = 0; y < a->h; y++) {
        uint32_t *ra = paper_row(a, y);
        const uint32_t *rb = paper_row(b, y);
        for (int x = 0; x < a->w; x++) {
            uint32_t q = rb[a->w - 1 - x];
            double l = (0.299 * ((q >> 16) & 255) + 0.587 * ((q >> 8) & 255) +
                        0.114 * (q & 255)) / 255.0;
            double f = 1.0 - bleed * (1.0 - l);
            uint32_t p = ra[x];
            uint32_t r = (uint32_t)(((p >> 16) & 255) * f);
            uint32_t g = (uint32_t)(((p >> 8) & 255) * f);
            uint32_t bl = (uint32_t)((p & 255) * f);
            ra[x] = (r << 16) | (g << 8) | bl;
        }
    }
    cairo_surface_mark_dirty(a->s);
}

/* A fold at fold_mm: a shadow about 1 mm wide whose depth wanders along
 * the fold. */
static void crease(paper *p, double fold_mm, double depth, double phase)
{
    cairo_surface_flush(p->s);
    double px_mm = p->dpi / 25.4;
    int x0 = (int)((fold_mm - 2.0) * px_mm);
    int x1 = (int)((fold_mm + 2.0) * px_mm);
    for (int y = 0; y < p->h; y++) {
        uint32_t *r = paper_row(p, y);
        double ymm = y / px_mm;
        double dd = depth * (0.75 + 0.25 * sin(ymm / 7.0 + phase));
        for (int x = x0; x <= x1 && x < p->w; x++) {
            double d = (x + 0.5) / px_mm - fold_mm;
            double f = 1.0 - dd * exp(-(d * d) / (0.45 * 0.45));
            uint32_t q = r[x];
            r[x] = ((uint32_t)(((q >> 16) & 255) * f) << 16) |
                   ((uint32_t)(((q >> 8) & 255) * f) << 8) |
                   (uint32_t)((q & 255) * f);
        }
    }
    cairo_surface_mark_dirty(p->s);
}

/* Maps the paper onto the canvas and converts to the output format. */
static int scan_page(img **out, paper *p, const affine *m, canvas cv,
                     smp_scan_format fmt, double noise, int threshold,
                     int backing, smp_rng *rng)
{
    *out = NULL;
    cairo_surface_flush(p->s);
    double dpi = p->dpi, px = dpi / 25.4;
    int W = (int)lround(cv.w_mm * px);
    int H = (int)lround(cv.h_mm * px);
    int channels = fmt == SMP_SCAN_RGB ? 3 : 1;
    int depth = fmt == SMP_SCAN_G4 ? 1 : 8;
    img *im = NULL;
    int rc = img_new(&im, W, H, channels, depth);
    if (rc)
        return rc;
    img_set_dpi(im, dpi, dpi);
    double det = m->a * m->d - m->b * m->c;
    double ia = m->d / det, ib = -m->b / det, ic = -m->c / det,
           id = m->a / det;
    const unsigned char *data = cairo_image_surface_get_data(p->s);
    int stride = cairo_image_surface_get_stride(p->s);
    for (int v = 0; v < H; v++) {
        uint8_t *row = img_row_mut(im, v);
        if (depth == 1)
            memset(row, 0, img_stride(im));
        double sy = (v + 0.5) / px - m->ty;
        for (int u = 0; u < W; u++) {
            double sx = (u + 0.5) / px - m->tx;
            /* paper pixel coordinates of this scan pixel's centre */
            double qx = (ia * sx + ib * sy) * px - 0.5;
            double qy = (ic * sx + id * sy) * px - 0.5;
            double c[3];
            int x0 = (int)floor(qx), y0 = (int)floor(qy);
            if (x0 < 0 || y0 < 0 || x0 + 1 >= p->w || y0 + 1 >= p->h) {
                c[0] = c[1] = c[2] = backing;
            } else if (p->hole &&
                       (p->hole[(size_t)y0 * p->w + x0] |
                        p->hole[(size_t)y0 * p->w + x0 + 1] |
                        p->hole[(size_t)(y0 + 1) * p->w + x0] |
                        p->hole[(size_t)(y0 + 1) * p->w + x0 + 1])) {
                /* at a hole's edge: paper pixels and the backing mixed */
                double fx = qx - x0, fy = qy - y0;
                const unsigned char *b0 = data + (size_t)y0 * stride;
                const uint32_t *r0 = (const uint32_t *)(const void *)b0;
                const uint32_t *r1 =
                    (const uint32_t *)(const void *)(b0 + stride);
                const uint8_t *h0 = p->hole + (size_t)y0 * p->w + x0;
                const uint8_t *h1 = h0 + p->w;
                for (int k = 0; k < 3; k++) {
                    int sh = 16 - 8 * k;
                    double p00 = h0[0] ? (double)backing : (r0[x0] >> sh) & 255;
                    double p01 = h0[1] ? (double)backing : (r0[x0 + 1] >> sh) & 255;
                    double p10 = h1[0] ? (double)backing : (r1[x0] >> sh) & 255;
                    double p11 = h1[1] ? (double)backing : (r1[x0 + 1] >> sh) & 255;
                    c[k] = (p00 * (1 - fx) + p01 * fx) * (1 - fy) +
                           (p10 * (1 - fx) + p11 * fx) * fy;
                }
            } else {
                double fx = qx - x0, fy = qy - y0;
                const unsigned char *b0 = data + (size_t)y0 * stride;
                const uint32_t *r0 = (const uint32_t *)(const void *)b0;
                const uint32_t *r1 =
                    (const uint32_t *)(const void *)(b0 + stride);
                for (int k = 0; k < 3; k++) {
                    int sh = 16 - 8 * k;
                    double p00 = (r0[x0] >> sh) & 255;
                    double p01 = (r0[x0 + 1] >> sh) & 255;
                    double p10 = (r1[x0] >> sh) & 255;
                    double p11 = (r1[x0 + 1] >> sh) & 255;
                    c[k] = (p00 * (1 - fx) + p01 * fx) * (1 - fy) +
                           (p10 * (1 - fx) + p11 * fx) * fy;
                }
            }
            double n = noise > 0 ? noise * smp_rng_noise(rng) : 0;
            if (channels == 3) {
                for (int k = 0; k < 3; k++) {
                    double val = c[k] + n;
                    row[3 * u + k] =
                        (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : lround(val));
                }
            } else {
                double l = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] + n;
                if (depth == 1) {
                    if (l < threshold)
                        row[u >> 3] |= (uint8_t)(0x80 >> (u & 7));
                } else {
                    row[u] = (uint8_t)(l < 0 ? 0 : l > 255 ? 255 : lround(l));
                }
            }
        }
    }
    *out = im;
    return 0;
}

/* paper -> scan for one side: skew phi (degrees), scale k, shift (dx, dy),
 * turned 180 degrees when rot. */
static affine make_affine(canvas cv, double page_w, double phi_deg, double k,
                          double dx, double dy, int rot)
{
    double a = (phi_deg + (rot ? 180.0 : 0.0)) * SIM_PI / 180.0;
    affine m;
    m.a = k * cos(a), m.b = -k * sin(a);
    m.c = k * sin(a), m.d = k * cos(a);
    double pcx = page_w / 2, pcy = SMP_PAGE_H_MM / 2;
    m.tx = cv.w_mm / 2 + dx - (m.a * pcx + m.b * pcy);
    m.ty = cv.h_mm / 2 + dy - (m.c * pcx + m.d * pcy);
    return m;
}

static json_t *affine_json(const affine *m, double ox, double oy)
{
    /* reference mm -> scan mm: the print sits at paper q = p + offset */
    double tx = m->tx + m->a * ox + m->b * oy;
    double ty = m->ty + m->c * ox + m->d * oy;
    return json_pack("[[fff][fff]]", round(m->a * 1e5) / 1e5,
                     round(m->b * 1e5) / 1e5, round(tx * 1e5) / 1e5,
                     round(m->c * 1e5) / 1e5, round(m->d * 1e5) / 1e5,
                     round(ty * 1e5) / 1e5);
}

static const char *format_name(smp_scan_format f)
{
    return f == SMP_SCAN_G4 ? "tiff-g4"
           : f == SMP_SCAN_GRAY ? "tiff-lzw-gray" : "tiff-lzw-rgb";
}

/* The label sheet: white paper, the barcode and its text, blank back. */
static int write_label(iio_tiff_writer *w, const smp_sim_opts *o,
                       double dpi, const char *text, smp_rng *rng)
{
    const double white[3] = {1, 1, 1};
    paper p = {0};
    img *im = NULL;
    int rc;
    for (int side = 0; side < 2; side++) {
        if ((rc = paper_new(&p, SMP_PAGE_W_MM, dpi, white, 0, 0)))
            goto done;
        if (side == 0) {
            cairo_t *cr = p.cr;
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_BOLD);
            cairo_set_font_size(cr, 10);
            cairo_move_to(cr, 30, 45);
            cairo_show_text(cr, "Kasse / batch");
            double bw;
            if ((rc = smp_code128_draw(cr, text, 30, 70, 0.38, 22, &bw)))
                goto done;
            cairo_select_font_face(cr, "DejaVu Sans Mono",
                                   CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, 4.2);
            cairo_move_to(cr, 30, 100);
            cairo_show_text(cr, text);
        }
        double skew = smp_rng_range(rng, -0.8, 0.8);
        canvas cv = canvas_for(o, SMP_PAGE_W_MM);
        affine m = make_affine(cv, SMP_PAGE_W_MM, side ? -skew : skew, 1.0,
                               smp_rng_range(rng, -3, 3),
                               smp_rng_range(rng, -3, 3), 0);
        if ((rc = scan_page(&im, &p, &m, cv, o->format, 2.0, o->threshold,
                            BACKGROUND, rng)))
            goto done;
        if ((rc = iio_tiff_writer_add(w, im, NULL)))
            goto done;
        img_free(im);
        im = NULL;
        paper_free(&p);
    }
done:
    img_free(im);
    if (p.s)
        paper_free(&p);
    return rc;
}

typedef struct {
    const smp_sim_opts *o;
    const pkg_package *pkg;
    smp_ballot **ballots;
    int n_ballots;
    cairo_t *scratch;
    double dpi;
    const char *election;
} sim_ctx;

/* Does every registration mark and every piece of the voter's ink, on both
 * sides, land at least 0.5 mm inside the canvas? */
static int box_fits(const double b[4], const affine *m, const double off[2],
                    canvas cv)
{
    for (int i = 0; i < 4; i++) {
        double x = b[0] + (i & 1 ? b[2] : 0) + off[0];
        double y = b[1] + (i & 2 ? b[3] : 0) + off[1];
        double sx = m->a * x + m->b * y + m->tx;
        double sy = m->c * x + m->d * y + m->ty;
        if (sx < 0.5 || sy < 0.5 || sx > cv.w_mm - 0.5 || sy > cv.h_mm - 0.5)
            return 0;
    }
    return 1;
}

static int content_fits(const smp_sheet *sh, const affine m[2],
                        double off[2][2], canvas cv, double page_w)
{
    /* the registration marks span the page less 8 mm on every side */
    const double marks[4] = {8.0, 8.0, page_w - 16.0, SMP_PAGE_H_MM - 16.0};
    for (int side = 0; side < 2; side++)
        if (!box_fits(marks, &m[side], off[side], cv))
            return 0;
    for (int i = 0; i < sh->n_marks; i++)
        if (!box_fits(sh->marks[i].bbox, &m[sh->marks[i].side],
                      off[sh->marks[i].side], cv))
            return 0;
    for (int i = 0; i < sh->n_texts; i++)
        if (sh->texts[i].n_glyphs &&
            !box_fits(sh->texts[i].bbox, &m[sh->texts[i].side],
                      off[sh->texts[i].side], cv))
            return 0;
    if (sh->stamp.present &&
        !box_fits(sh->stamp.bbox, &m[SMP_SIDE_OUTSIDE],
                  off[SMP_SIDE_OUTSIDE], cv))
        return 0;
    return 1;
}

/* ---- damage ------------------------------------------------------------- */

/* What one sheet got: the kinds drawn and their parameters for the truth.
 * Paper damage is placed in the inside's paper frame; the outside sees the
 * same spot mirrored left to right (x -> page_w - x). */
typedef struct {
    unsigned kinds;     /* SMP_DMG_* drawn on this sheet */
    json_t *info;       /* scan.damage: kind -> parameters */
    int backing;        /* the scanner backing's gray level */
    int corner;         /* tear / dog-ear corner: bit 0 right, bit 1 bottom */
    double leg[2];      /* its legs along x and y, mm */
    int fold_to;        /* dog-ear: the side the flap lies on */
    double tint[3];
    double holes[4][3]; /* punch / staple holes: x, y, diameter (mm) */
    int n_holes;
    int staple;         /* 1: a staple is in; 2: only its holes */
    double staple_xy[2][2];
    int staple_front;   /* the side the staple's crown is on */
    double stain[6];    /* cx, cy, radius, strength, ring mm, interior */
    int stain_coffee;
    double stain_phase[2];
    int streak_page;    /* bit 0: first page, bit 1: second */
    double streak[3];   /* x mm on the canvas, width mm, gray level */
    int hair_page;
    double hair[3][2];  /* quadratic Bezier in canvas mm */
    double hair_w, hair_lum;
    double noise_sigma, pepper;
    int dust_in_box;    /* a speck fell in a vote box: looks like a dot */
} sheet_damage;

/* A box in the reference frame of side, printed at off, in that side's
 * paper frame, against r = [x, y, w, h] in the inside's paper frame. */
static int box_hits(const double b[4], int side, const double off[2],
                    const double r[4], double page_w)
{
    double x = b[0] + off[0], y = b[1] + off[1];
    if (side == SMP_SIDE_OUTSIDE)
        x = page_w - x - b[2];
    const double m = 1.0;
    return x < r[0] + r[2] + m && x + b[2] > r[0] - m &&
           y < r[1] + r[3] + m && y + b[3] > r[1] - m;
}

/* Would damage over r (inside paper frame, both sides) touch the voter's
 * ink or the stamp? Damage that did would change what the truth says. */
static int ink_under(const smp_sheet *sh, double off[2][2], const double r[4],
                     double page_w)
{
    for (int i = 0; i < sh->n_marks; i++)
        if (box_hits(sh->marks[i].bbox, sh->marks[i].side,
                     off[sh->marks[i].side], r, page_w))
            return 1;
    for (int i = 0; i < sh->n_texts; i++)
        if (sh->texts[i].n_glyphs &&
            box_hits(sh->texts[i].bbox, sh->texts[i].side,
                     off[sh->texts[i].side], r, page_w))
            return 1;
    return sh->stamp.present &&
           box_hits(sh->stamp.bbox, SMP_SIDE_OUTSIDE, off[SMP_SIDE_OUTSIDE],
                    r, page_w);
}

/* The corner box of legs a, b at corner (inside paper frame). */
static void corner_box(double r[4], int corner, double a, double b,
                       double page_w)
{
    r[0] = corner & 1 ? page_w - a : 0;
    r[1] = corner & 2 ? SMP_PAGE_H_MM - b : 0;
    r[2] = a;
    r[3] = b;
}

static const char *CORNER_NAMES[] = {"top_left", "top_right", "bottom_left",
                                     "bottom_right"};

/* Picks a corner and legs in [lo, hi] mm whose triangle (and, for a
 * dog-ear, the flap folded over it: twice the legs) keeps off the ink.
 * Returns 0 when no corner is free. */
static int corner_pick(sheet_damage *d, const smp_sheet *sh,
                       double off[2][2], double page_w, double lo, double hi,
                       double reach, smp_rng *rng)
{
    int c0 = smp_rng_int(rng, 4);
    double a = smp_rng_range(rng, lo, hi), b = smp_rng_range(rng, lo, hi);
    for (int k = 0; k < 4; k++) {
        int c = (c0 + k) % 4;
        for (double s = 1.0; s > 0.3; s *= 0.8) {
            if (a * s < lo * 0.6 || b * s < lo * 0.6)
                break;
            double r[4];
            corner_box(r, c, a * s * reach, b * s * reach, page_w);
            if (!ink_under(sh, off, r, page_w)) {
                d->corner = c;
                d->leg[0] = smp_round2(a * s);
                d->leg[1] = smp_round2(b * s);
                return 1;
            }
        }
    }
    return 0;
}

static void hole_need(paper *p)
{
    if (!p->hole)
        p->hole = calloc((size_t)p->w * (size_t)p->h, 1);
}

/* Corner-local mm (u from the corner's vertical edge, v from its
 * horizontal edge) of paper pixel (x, y) of side. */
static void corner_local(const paper *p, int side, int corner, int x, int y,
                         double *u, double *v)
{
    double px = p->dpi / 25.4;
    double xm = (x + 0.5) / px, ym = (y + 0.5) / px;
    int right = corner & 1;
    if (side == SMP_SIDE_OUTSIDE)
        right = !right;
    *u = right ? p->w_mm - xm : xm;
    *v = corner & 2 ? SMP_PAGE_H_MM - ym : ym;
}

/* Paper pixel of corner-local (u, v) on side. */
static void corner_pixel(const paper *p, int side, int corner, double u,
                         double v, double *x, double *y)
{
    double px = p->dpi / 25.4;
    int right = corner & 1;
    if (side == SMP_SIDE_OUTSIDE)
        right = !right;
    *x = (right ? p->w_mm - u : u) * px - 0.5;
    *y = (corner & 2 ? SMP_PAGE_H_MM - v : v) * px - 0.5;
}

/* The torn corner: gone on both sides, along a ragged line. */
static void tear_apply(paper p[2], const sheet_damage *d, double phase)
{
    double a = d->leg[0], b = d->leg[1], n = sqrt(1 / (a * a) + 1 / (b * b));
    for (int side = 0; side < 2; side++) {
        paper *q = &p[side];
        hole_need(q);
        if (!q->hole)
            return;
        for (int y = 0; y < q->h; y++)
            for (int x = 0; x < q->w; x++) {
                double u, v;
                corner_local(q, side, d->corner, x, y, &u, &v);
                if (u > a + 2 || v > b + 2)
                    continue;
                double dist = (u / a + v / b - 1) / n; /* mm beyond the line */
                double t = u - v;
                double jag = 0.6 * sin(t * 0.9 + phase) +
                             0.35 * sin(t * 2.7 + 2 * phase) +
                             0.2 * sin(t * 6.1 + 3 * phase);
                if (dist < jag)
                    q->hole[(size_t)y * q->w + x] = 1;
            }
    }
}

static inline uint32_t pix_scale(uint32_t q, double f0, double f1, double f2)
{
    return ((uint32_t)(((q >> 16) & 255) * f0) << 16) |
           ((uint32_t)(((q >> 8) & 255) * f1) << 8) |
           (uint32_t)((q & 255) * f2);
}

/* The dog-ear: the corner folded along the line u/a + v/b = 1 onto side
 * fold_to, where it shows the other side's paper (mirrored, a shade
 * darker, its print too) over what was there; the corner itself is gone
 * on both sides. */
static void dogear_apply(paper p[2], const sheet_damage *d)
{
    double a = d->leg[0], b = d->leg[1];
    double nx = 1 / a, ny = 1 / b, n = sqrt(nx * nx + ny * ny);
    nx /= n, ny /= n; /* the fold's normal, pointing away from the corner */
    int f = d->fold_to;
    paper *q = &p[f], *o = &p[1 - f];
    cairo_surface_flush(q->s);
    cairo_surface_flush(o->s);
    for (int y = 0; y < q->h; y++) {
        uint32_t *row = paper_row(q, y);
        for (int x = 0; x < q->w; x++) {
            double u, v;
            corner_local(q, f, d->corner, x, y, &u, &v);
            if (u > 2 * a + 1 || v > 2 * b + 1)
                continue;
            double s = (u - a) * nx + v * ny; /* signed mm off the fold */
            if (s <= 0)
                continue;
            double ru = u - 2 * s * nx, rv = v - 2 * s * ny;
            if (ru < 0 || rv < 0) {
                if (s < 0.35) /* the fold's shadow on the paper below */
                    row[x] = pix_scale(row[x], 0.8, 0.8, 0.8);
                continue;
            }
            /* the flap: the other side's pixel at the mirrored spot */
            double ox, oy;
            corner_pixel(o, 1 - f, d->corner, ru, rv, &ox, &oy);
            int ix = (int)lround(ox), iy = (int)lround(oy);
            if (ix < 0 || iy < 0 || ix >= o->w || iy >= o->h)
                continue;
            double sh = s < 0.3 ? 0.75 : 0.95;
            row[x] = pix_scale(paper_row(o, iy)[ix], sh, sh, sh);
        }
    }
    cairo_surface_mark_dirty(q->s);
    for (int side = 0; side < 2; side++) {
        paper *r = &p[side];
        hole_need(r);
        if (!r->hole)
            return;
        for (int y = 0; y < r->h; y++)
            for (int x = 0; x < r->w; x++) {
                double u, v;
                corner_local(r, side, d->corner, x, y, &u, &v);
                if (u <= a + 1 && v <= b + 1 && u / a + v / b < 1)
                    r->hole[(size_t)y * r->w + x] = 1;
            }
    }
}

/* A round hole of diameter dm at (x, y) mm of the inside's paper frame,
 * through both sides. */
static void hole_punch(paper p[2], double x, double y, double dm)
{
    for (int side = 0; side < 2; side++) {
        paper *q = &p[side];
        hole_need(q);
        if (!q->hole)
            return;
        double px = q->dpi / 25.4;
        double cx = (side == SMP_SIDE_OUTSIDE ? q->w_mm - x : x) * px;
        double cy = y * px, r = dm / 2 * px;
        for (int yy = (int)(cy - r) - 1; yy <= (int)(cy + r) + 1; yy++)
            for (int xx = (int)(cx - r) - 1; xx <= (int)(cx + r) + 1; xx++) {
                if (xx < 0 || yy < 0 || xx >= q->w || yy >= q->h)
                    continue;
                double dx = xx + 0.5 - cx, dy = yy + 0.5 - cy;
                if (dx * dx + dy * dy <= r * r)
                    q->hole[(size_t)yy * q->w + xx] = 1;
            }
    }
}

/* A line in the inside's paper frame (mm), drawn on side in paper mm. */
static void paper_line(paper *q, int side, double x0, double y0, double x1,
                       double y1, double w, double gray)
{
    cairo_t *cr = q->cr;
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_scale(cr, q->dpi / 25.4, q->dpi / 25.4);
    if (side == SMP_SIDE_OUTSIDE) {
        x0 = q->w_mm - x0;
        x1 = q->w_mm - x1;
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, w);
    cairo_set_source_rgb(cr, gray, gray, gray);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* A coffee (brown) or water (gray) ring with a paler blot inside, on the
 * inside at full strength and soaked through to the outside at 60 %. */
static void stain_apply(paper p[2], const sheet_damage *d)
{
    static const double COFFEE[3] = {0.62, 0.45, 0.28};
    static const double WATER[3] = {0.80, 0.80, 0.82};
    const double *col = d->stain_coffee ? COFFEE : WATER;
    double cx0 = d->stain[0], cy = d->stain[1], R = d->stain[2];
    for (int side = 0; side < 2; side++) {
        paper *q = &p[side];
        double str = d->stain[3] * (side == SMP_SIDE_INSIDE ? 1.0 : 0.6);
        double px = q->dpi / 25.4;
        double cx = side == SMP_SIDE_OUTSIDE ? q->w_mm - cx0 : cx0;
        cairo_surface_flush(q->s);
        int y0 = (int)((cy - R * 1.3) * px), y1 = (int)((cy + R * 1.3) * px);
        int x0 = (int)((cx - R * 1.3) * px), x1 = (int)((cx + R * 1.3) * px);
        for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < q->h; y++) {
            uint32_t *row = paper_row(q, y);
            for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < q->w; x++) {
                double dx = (x + 0.5) / px - cx, dy = (y + 0.5) / px - cy;
                double r = sqrt(dx * dx + dy * dy), th = atan2(dy, dx);
                double rr = R * (1 + 0.07 * sin(3 * th + d->stain_phase[0]) +
                                 0.04 * sin(7 * th + d->stain_phase[1]));
                double e = (r - rr) / d->stain[4];
                double a = exp(-e * e) + (r < rr ? d->stain[5] : 0);
                a *= str;
                if (a < 0.004)
                    continue;
                if (a > 1)
                    a = 1;
                row[x] = pix_scale(row[x], 1 - a * (1 - col[0]),
                                   1 - a * (1 - col[1]),
                                   1 - a * (1 - col[2]));
            }
        }
        cairo_surface_mark_dirty(q->s);
    }
}

static void tint_apply(paper *q, const double t[3])
{
    cairo_surface_flush(q->s);
    for (int y = 0; y < q->h; y++) {
        uint32_t *row = paper_row(q, y);
        for (int x = 0; x < q->w; x++)
            row[x] = pix_scale(row[x], t[0], t[1], t[2]);
    }
    cairo_surface_mark_dirty(q->s);
}

/* Puts something of gray level lum over a scan pixel with coverage cov:
 * blended in gray and colour, ink in 1-bit when the blend is below the
 * threshold. */
static void glass_put(img *im, int x, int y, double cov, double lum,
                      int threshold)
{
    if (x < 0 || y < 0 || x >= img_width(im) || y >= img_height(im) ||
        cov <= 0)
        return;
    if (cov > 1)
        cov = 1;
    uint8_t *row = img_row_mut(im, y);
    if (img_depth(im) == 1) {
        /* under the speck the paper is about 230 */
        if (230 * (1 - cov) + lum * cov < threshold)
            row[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
        return;
    }
    int ch = img_channels(im);
    for (int k = 0; k < ch; k++) {
        double v = row[ch * x + k] * (1 - cov) + lum * cov;
        row[ch * x + k] = (uint8_t)lround(v);
    }
}

static void glass_dot(img *im, double cx, double cy, double r, double lum,
                      int threshold)
{
    for (int y = (int)(cy - r) - 1; y <= (int)(cy + r) + 1; y++)
        for (int x = (int)(cx - r) - 1; x <= (int)(cx + r) + 1; x++) {
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            glass_put(im, x, y, r + 0.5 - sqrt(dx * dx + dy * dy), lum,
                      threshold);
        }
}

/* A thin curve, width w px: coverage from each pixel's distance to the
 * polyline through the Bezier. */
static void glass_curve(img *im, const double c[3][2], double px, double w,
                        double lum, int threshold)
{
    enum { N = 24 };
    double pts[N + 1][2];
    for (int i = 0; i <= N; i++) {
        double t = (double)i / N, s = 1 - t;
        pts[i][0] = (s * s * c[0][0] + 2 * s * t * c[1][0] + t * t * c[2][0]) * px;
        pts[i][1] = (s * s * c[0][1] + 2 * s * t * c[1][1] + t * t * c[2][1]) * px;
    }
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i <= N; i++) {
        x0 = fmin(x0, pts[i][0]), x1 = fmax(x1, pts[i][0]);
        y0 = fmin(y0, pts[i][1]), y1 = fmax(y1, pts[i][1]);
    }
    for (int y = (int)y0 - 2; y <= (int)y1 + 2; y++)
        for (int x = (int)x0 - 2; x <= (int)x1 + 2; x++) {
            double qx = x + 0.5, qy = y + 0.5, best = INFINITY;
            for (int i = 0; i < N; i++) {
                double ax = pts[i][0], ay = pts[i][1];
                double bx = pts[i + 1][0] - ax, by = pts[i + 1][1] - ay;
                double l2 = bx * bx + by * by;
                double t = l2 > 0 ? ((qx - ax) * bx + (qy - ay) * by) / l2 : 0;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                double dx = qx - ax - t * bx, dy = qy - ay - t * by;
                best = fmin(best, dx * dx + dy * dy);
            }
            /* a hair thinner than a pixel darkens it in proportion */
            double cov = fmin(w, 1.0) * (w / 2 + 0.5 - sqrt(best)) /
                         (w < 1 ? w / 2 + 0.5 : 1);
            glass_put(im, x, y, cov, lum, threshold);
        }
}

/* Heavy noise: more Gaussian noise in gray and colour, and in every
 * format salt and pepper: isolated dark pixels (some 2 x 2) and, in gray
 * and colour, white ones. */
static void glass_noise(img *im, double sigma, double pepper, int threshold,
                        smp_rng *rng)
{
    int W = img_width(im), H = img_height(im), ch = img_channels(im);
    if (img_depth(im) == 8)
        for (int y = 0; y < H; y++) {
            uint8_t *row = img_row_mut(im, y);
            for (int x = 0; x < W * ch; x++) {
                double v = row[x] + sigma * smp_rng_noise(rng);
                row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
            }
        }
    long n = lround(pepper * W * H);
    for (long i = 0; i < n; i++) {
        int x = smp_rng_int(rng, W), y = smp_rng_int(rng, H);
        int big = smp_rng_chance(rng, 0.2);
        double lum = smp_rng_range(rng, 0, 80);
        for (int k = 0; k < (big ? 4 : 1); k++)
            glass_put(im, x + (k & 1), y + (k >> 1), 1, lum, threshold);
        if (img_depth(im) == 8) {
            x = smp_rng_int(rng, W), y = smp_rng_int(rng, H);
            glass_put(im, x, y, 1, 255, threshold);
        }
    }
}

static json_t *damage_info(sheet_damage *d, const char *kind)
{
    json_t *o = json_object_get(d->info, kind);
    if (!o) {
        o = json_object();
        json_object_set_new(d->info, kind, o);
    }
    return o;
}

static void damage_add(sheet_damage *d, unsigned kind)
{
    d->kinds |= kind;
    damage_info(d, smp_damage_name(kind));
}

/* Draws which kinds of o->damage this sheet gets and where, keeping paper
 * damage off the voter's ink. */
static void damage_plan(sheet_damage *d, const smp_sim_opts *o,
                        const smp_sheet *sh, double off[2][2], double page_w,
                        canvas cv, smp_rng *rng)
{
    memset(d, 0, sizeof *d);
    d->backing = BACKGROUND;
    d->info = json_object();
    unsigned want = 0;
    for (int i = 0; i < SMP_DMG_N; i++)
        if ((o->damage & (1u << i)) && smp_rng_chance(rng, o->p_damage))
            want |= 1u << i;
    json_t *x;
    if (want & SMP_DMG_BLACK_BACKING) {
        d->backing = BACKGROUND_BLACK;
        damage_add(d, SMP_DMG_BLACK_BACKING);
    }
    if (want & SMP_DMG_TINT) {
        double g = smp_rng_range(rng, 0.8, 0.92);
        const char *kind;
        if (smp_rng_chance(rng, 0.5)) {
            d->tint[0] = d->tint[1] = d->tint[2] = g;
            kind = "darker";
        } else {
            /* recycled or yellowed paper */
            d->tint[0] = g * 1.05, d->tint[1] = g, d->tint[2] = g * 0.85;
            if (d->tint[0] > 1)
                d->tint[0] = 1;
            kind = "tinted";
        }
        damage_add(d, SMP_DMG_TINT);
        x = damage_info(d, "tint");
        json_object_set_new(x, "kind", json_string(kind));
        json_object_set_new(x, "rgb", json_pack("[fff]", smp_round2(d->tint[0]),
                                                smp_round2(d->tint[1]),
                                                smp_round2(d->tint[2])));
    }
    if (want & SMP_DMG_STAIN) {
        d->stain_coffee = smp_rng_chance(rng, 0.6);
        d->stain[2] = smp_rng_range(rng, 8, 20);
        d->stain[0] = smp_rng_range(rng, 10, page_w - 10);
        d->stain[1] = smp_rng_range(rng, 10, SMP_PAGE_H_MM - 10);
        d->stain[3] = smp_rng_range(rng, 0.3, 1.0);
        d->stain[4] = smp_rng_range(rng, 0.6, 1.6);
        d->stain[5] = smp_rng_range(rng, 0.1, 0.45);
        d->stain_phase[0] = smp_rng_range(rng, 0, 6.28);
        d->stain_phase[1] = smp_rng_range(rng, 0, 6.28);
        damage_add(d, SMP_DMG_STAIN);
        x = damage_info(d, "stain");
        json_object_set_new(x, "kind", json_string(d->stain_coffee ? "coffee"
                                                                   : "water"));
        json_object_set_new(x, "centre_mm",
                            json_pack("[ff]", smp_round2(d->stain[0]),
                                      smp_round2(d->stain[1])));
        json_object_set_new(x, "radius_mm", json_real(smp_round2(d->stain[2])));
        json_object_set_new(x, "strength", json_real(smp_round2(d->stain[3])));
    }
    if (want & SMP_DMG_TEAR) {
        if (corner_pick(d, sh, off, page_w, 10, 30, 1.0, rng)) {
            damage_add(d, SMP_DMG_TEAR);
            x = damage_info(d, "tear");
            json_object_set_new(x, "corner",
                                json_string(CORNER_NAMES[d->corner]));
            json_object_set_new(x, "legs_mm",
                                json_pack("[ff]", d->leg[0], d->leg[1]));
            /* the corner mark sits 8-13 mm from both edges */
            double a = d->leg[0], b = d->leg[1];
            json_object_set_new(x, "corner_mark",
                                json_string(13 / a + 13 / b <= 1  ? "lost"
                                            : 8 / a + 8 / b < 1 ? "partly"
                                                                : "kept"));
        }
    } else if (want & SMP_DMG_DOGEAR) {
        if (corner_pick(d, sh, off, page_w, 12, 35, 2.0, rng)) {
            d->fold_to = smp_rng_int(rng, 2);
            damage_add(d, SMP_DMG_DOGEAR);
            x = damage_info(d, "dogear");
            json_object_set_new(x, "corner",
                                json_string(CORNER_NAMES[d->corner]));
            json_object_set_new(x, "legs_mm",
                                json_pack("[ff]", d->leg[0], d->leg[1]));
            json_object_set_new(x, "flap_on",
                                json_string(smp_side_name(d->fold_to)));
        }
    }
    if (want & SMP_DMG_PUNCH) {
        /* two holes 80 mm apart by one short edge (ISO 838) */
        int right = smp_rng_chance(rng, 0.5);
        double dm = smp_rng_range(rng, 5.5, 6.5);
        double e = smp_rng_range(rng, 9, 13);
        double cy = SMP_PAGE_H_MM / 2 + smp_rng_range(rng, -10, 10);
        for (int k = 0; k < 2 && !d->n_holes; k++, right = !right) {
            double hx = right ? page_w - e : e;
            double r[4] = {hx - dm / 2, cy - 40 - dm / 2, dm, 80 + dm};
            if (ink_under(sh, off, r, page_w))
                continue;
            d->holes[0][0] = d->holes[1][0] = smp_round2(hx);
            d->holes[0][1] = smp_round2(cy - 40);
            d->holes[1][1] = smp_round2(cy + 40);
            d->holes[0][2] = d->holes[1][2] = smp_round2(dm);
            d->n_holes = 2;
        }
        if (d->n_holes) {
            damage_add(d, SMP_DMG_PUNCH);
            x = damage_info(d, "punch");
            json_object_set_new(x, "holes_mm",
                                json_pack("[[fff][fff]]", d->holes[0][0],
                                          d->holes[0][1], d->holes[0][2],
                                          d->holes[1][0], d->holes[1][1],
                                          d->holes[1][2]));
        }
    }
    if (want & SMP_DMG_STAPLE) {
        int c = smp_rng_int(rng, 4);
        double u = smp_rng_range(rng, 5, 11), v = smp_rng_range(rng, 5, 11);
        double ang = smp_rng_range(rng, 30, 60) * SIM_PI / 180;
        double hx = 6.35 * cos(ang), hy = 6.35 * sin(ang);
        /* crown across the corner: from (u - hx, v + hy) to (u + hx, v - hy)
         * in corner-local mm */
        double lx[2] = {u - hx, u + hx}, ly[2] = {v + hy, v - hy};
        double r[4];
        for (int k = 0; k < 2; k++) {
            d->staple_xy[k][0] = c & 1 ? page_w - lx[k] : lx[k];
            d->staple_xy[k][1] = c & 2 ? SMP_PAGE_H_MM - ly[k] : ly[k];
        }
        r[0] = fmin(d->staple_xy[0][0], d->staple_xy[1][0]) - 1;
        r[1] = fmin(d->staple_xy[0][1], d->staple_xy[1][1]) - 1;
        r[2] = fabs(d->staple_xy[0][0] - d->staple_xy[1][0]) + 2;
        r[3] = fabs(d->staple_xy[0][1] - d->staple_xy[1][1]) + 2;
        if (lx[0] > 1 && ly[1] > 1 && !ink_under(sh, off, r, page_w)) {
            d->staple = smp_rng_chance(rng, 0.6) ? 1 : 2;
            d->staple_front = smp_rng_int(rng, 2);
            damage_add(d, SMP_DMG_STAPLE);
            x = damage_info(d, "staple");
            json_object_set_new(x, "kind", json_string(d->staple == 1
                                                           ? "staple"
                                                           : "holes"));
            json_object_set_new(x, "corner", json_string(CORNER_NAMES[c]));
            json_object_set_new(
                x, "ends_mm",
                json_pack("[[ff][ff]]", smp_round2(d->staple_xy[0][0]),
                          smp_round2(d->staple_xy[0][1]),
                          smp_round2(d->staple_xy[1][0]),
                          smp_round2(d->staple_xy[1][1])));
            if (d->staple == 1)
                json_object_set_new(x, "crown_on", json_string(smp_side_name(
                                                       d->staple_front)));
        }
    }
    if (want & SMP_DMG_BLEED) {
        damage_add(d, SMP_DMG_BLEED);
    }
    if (want & SMP_DMG_NOISE) {
        d->noise_sigma = smp_rng_range(rng, 8, 16);
        d->pepper = smp_rng_range(rng, 0.0003, 0.002);
        damage_add(d, SMP_DMG_NOISE);
        x = damage_info(d, "noise");
        json_object_set_new(x, "sigma", json_real(smp_round2(d->noise_sigma)));
        json_object_set_new(x, "pepper",
                            json_real(round(d->pepper * 1e5) / 1e5));
    }
    if (want & SMP_DMG_STREAK) {
        /* dirt on the glass of one page's camera (now and then both):
         * a line along the feed through the whole page */
        double u = smp_rng_unit(rng);
        d->streak_page = u < 0.4 ? 1 : u < 0.8 ? 2 : 3;
        d->streak[0] = smp_round2(smp_rng_range(rng, 12, cv.w_mm - 12));
        d->streak[1] = smp_round2(smp_rng_range(rng, 0.1, 0.35));
        d->streak[2] = round(smp_rng_range(rng, 20, 120));
        damage_add(d, SMP_DMG_STREAK);
    }
    if (want & SMP_DMG_HAIR) {
        d->hair_page = 1 + smp_rng_int(rng, 2);
        double len = smp_rng_range(rng, 5, 15);
        double th = smp_rng_range(rng, 0, 2 * SIM_PI);
        double x0 = smp_rng_range(rng, 10, cv.w_mm - 10);
        double y0 = smp_rng_range(rng, 10, cv.h_mm - 10);
        double bend = smp_rng_range(rng, -0.3, 0.3) * len;
        d->hair[0][0] = x0, d->hair[0][1] = y0;
        d->hair[2][0] = x0 + len * cos(th), d->hair[2][1] = y0 + len * sin(th);
        d->hair[1][0] = x0 + len / 2 * cos(th) - bend * sin(th);
        d->hair[1][1] = y0 + len / 2 * sin(th) + bend * cos(th);
        d->hair_w = smp_rng_range(rng, 0.06, 0.12);
        d->hair_lum = smp_rng_range(rng, 10, 50);
        damage_add(d, SMP_DMG_HAIR);
        x = damage_info(d, "hair");
        json_object_set_new(x, "length_mm", json_real(smp_round2(len)));
        json_object_set_new(x, "width_mm", json_real(smp_round2(d->hair_w)));
        json_object_set_new(
            x, "curve_mm",
            json_pack("[[ff][ff][ff]]", smp_round2(d->hair[0][0]),
                      smp_round2(d->hair[0][1]), smp_round2(d->hair[1][0]),
                      smp_round2(d->hair[1][1]), smp_round2(d->hair[2][0]),
                      smp_round2(d->hair[2][1])));
    }
    if (want & SMP_DMG_DUST)
        damage_add(d, SMP_DMG_DUST);
}

/* Paper damage, after the print, the ink, bleed and crease. */
static void damage_paper(paper p[2], sheet_damage *d, smp_rng *rng)
{
    if (d->kinds & SMP_DMG_TINT)
        for (int side = 0; side < 2; side++)
            tint_apply(&p[side], d->tint);
    if (d->kinds & SMP_DMG_STAIN)
        stain_apply(p, d);
    if (d->kinds & SMP_DMG_TEAR)
        tear_apply(p, d, smp_rng_range(rng, 0, 6.28));
    if (d->kinds & SMP_DMG_DOGEAR)
        dogear_apply(p, d);
    for (int i = 0; i < d->n_holes; i++)
        hole_punch(p, d->holes[i][0], d->holes[i][1], d->holes[i][2]);
    if (d->staple == 1) {
        /* the crown on one side, the two bent legs on the other */
        int f = d->staple_front;
        const double(*e)[2] = d->staple_xy;
        paper_line(&p[f], f, e[0][0], e[0][1], e[1][0], e[1][1], 0.75, 0.42);
        paper_line(&p[f], f, e[0][0], e[0][1], e[1][0], e[1][1], 0.2, 0.75);
        for (int k = 0; k < 2; k++) {
            double mx = e[k][0] + (e[1 - k][0] - e[k][0]) * 0.32;
            double my = e[k][1] + (e[1 - k][1] - e[k][1]) * 0.32;
            paper_line(&p[1 - f], 1 - f, e[k][0], e[k][1], mx, my, 0.75,
                       0.40);
        }
    } else if (d->staple == 2) {
        for (int k = 0; k < 2; k++)
            hole_punch(p, d->staple_xy[k][0], d->staple_xy[k][1], 0.8);
    }
    for (int side = 0; side < 2; side++)
        cairo_surface_flush(p[side].s);
}

/* The vote box of side under scan point (x, y) mm (grown by 0.3 mm), or
 * NULL: the page's map m (paper -> scan) inverted, less the print offset. */
static const pkg_region *box_under(const smp_sheet *sh, int side,
                                   const affine *m, const double off[2],
                                   double x, double y)
{
    double det = m->a * m->d - m->b * m->c;
    double sx = x - m->tx, sy = y - m->ty;
    double qx = (m->d * sx - m->b * sy) / det - off[0];
    double qy = (-m->c * sx + m->a * sy) / det - off[1];
    const pkg_region *rs;
    int n = smp_ballot_regions(sh->ballot, side, &rs);
    for (int k = 0; k < n; k++)
        if (rs[k].type == PKG_REGION_VOTE_BOX &&
            qx >= rs[k].rect.x - 0.3 && qx <= rs[k].rect.x + rs[k].rect.w + 0.3 &&
            qy >= rs[k].rect.y - 0.3 && qy <= rs[k].rect.y + rs[k].rect.h + 0.3)
            return &rs[k];
    return NULL;
}

/* Damage on the glass of page i (0 first, 1 second) of the sheet, which
 * shows side `side` mapped by m. */
static void damage_glass(img *im, sheet_damage *d, int i, int pageno,
                         int threshold, const smp_sheet *sh, int side,
                         const affine *m, const double off[2], smp_rng *rng)
{
    double px = img_dpi_x(im) / 25.4;
    if (d->kinds & SMP_DMG_NOISE)
        glass_noise(im, d->noise_sigma, d->pepper, threshold, rng);
    if (d->kinds & SMP_DMG_DUST) {
        int n = 3 + smp_rng_int(rng, 10);
        json_t *specks = json_array();
        for (int k = 0; k < n; k++) {
            double x = smp_rng_range(rng, 0, img_width(im) / px);
            double y = smp_rng_range(rng, 0, img_height(im) / px);
            double dm = smp_rng_range(rng, 0.15, 0.6);
            double lum = smp_rng_range(rng, 15, 70);
            glass_dot(im, x * px, y * px, dm / 2 * px, lum, threshold);
            /* a third of the specks are two grains */
            if (smp_rng_chance(rng, 0.33))
                glass_dot(im, (x + dm * 0.4) * px, (y + dm * 0.3) * px,
                          dm / 3 * px, lum, threshold);
            json_t *sp = json_pack("[fff]", smp_round2(x), smp_round2(y),
                                   smp_round2(dm));
            /* in a box a speck is a dot to anyone who sees the image */
            const pkg_region *r = box_under(sh, side, m, off, x, y);
            if (r) {
                json_array_append_new(sp, r->list ? json_string(r->list)
                                                  : json_integer(
                                                        r->candidate));
                d->dust_in_box = 1;
            }
            json_array_append_new(specks, sp);
        }
        json_t *o = damage_info(d, "dust");
        char key[32];
        snprintf(key, sizeof key, "page_%d", pageno);
        json_object_set_new(o, key, specks);
    }
    if ((d->kinds & SMP_DMG_HAIR) && d->hair_page == i + 1) {
        glass_curve(im, d->hair, px, d->hair_w * px, d->hair_lum, threshold);
        json_object_set_new(damage_info(d, "hair"), "page",
                            json_integer(pageno));
    }
    if ((d->kinds & SMP_DMG_STREAK) && (d->streak_page & (1 << i))) {
        double c = d->streak[0] * px, hw = d->streak[1] / 2 * px;
        for (int y = 0; y < img_height(im); y++) {
            /* the dirt is not even: its darkness wanders a little */
            double lum = d->streak[2] + 12 * sin(y / (7 * px));
            for (int x = (int)(c - hw) - 1; x <= (int)(c + hw) + 1; x++) {
                double cov = fmin(x + 1.0, c + hw) - fmax((double)x, c - hw);
                glass_put(im, x, y, cov, lum, threshold);
            }
        }
    }
}

/* The streak's truth: its page(s), place, and the fields of each page's
 * side it crosses, which make review acceptable (ballot-record.md:
 * `unreadable` for streaks through fields). Returns whether it crosses
 * a vote box, the write-in, list-write or stamp field. */
static int streak_truth(sheet_damage *d, const smp_sheet *sh,
                        const affine m[2], double off[2][2], int first)
{
    json_t *o = damage_info(d, "streak");
    json_object_set_new(o, "x_mm", json_real(d->streak[0]));
    json_object_set_new(o, "width_mm", json_real(d->streak[1]));
    json_object_set_new(o, "gray", json_real(d->streak[2]));
    json_t *pages = json_array(), *fields = json_array();
    int crosses = 0;
    for (int i = 0; i < 2; i++) {
        if (!(d->streak_page & (1 << i)))
            continue;
        int side = i == 0 ? first : 1 - first;
        json_array_append_new(pages, json_string(smp_side_name(side)));
        const pkg_region *rs;
        int n = smp_ballot_regions(sh->ballot, side, &rs);
        for (int k = 0; k < n; k++) {
            pkg_region_type t = rs[k].type;
            if (t != PKG_REGION_VOTE_BOX && t != PKG_REGION_WRITE_IN_FIELD &&
                t != PKG_REGION_LIST_WRITE_FIELD &&
                t != PKG_REGION_STAMP_FIELD)
                continue;
            double lo = INFINITY, hi = -INFINITY;
            for (int c = 0; c < 4; c++) {
                double x = rs[k].rect.x + (c & 1 ? rs[k].rect.w : 0) +
                           off[side][0];
                double y = rs[k].rect.y + (c & 2 ? rs[k].rect.h : 0) +
                           off[side][1];
                double sx = m[side].a * x + m[side].b * y + m[side].tx;
                lo = fmin(lo, sx), hi = fmax(hi, sx);
            }
            double hw = d->streak[1] / 2;
            if (d->streak[0] + hw >= lo && d->streak[0] - hw <= hi) {
                crosses = 1;
                char name[48];
                if (t == PKG_REGION_VOTE_BOX && rs[k].list)
                    snprintf(name, sizeof name, "list_box:%s", rs[k].list);
                else if (t == PKG_REGION_VOTE_BOX)
                    snprintf(name, sizeof name, "vote_box:%d",
                             rs[k].candidate);
                else
                    snprintf(name, sizeof name, "%s",
                             t == PKG_REGION_WRITE_IN_FIELD
                                 ? "write_in_field"
                             : t == PKG_REGION_LIST_WRITE_FIELD
                                 ? "list_write_field"
                                 : "stamp_field");
                json_array_append_new(fields, json_string(name));
            }
        }
    }
    json_object_set_new(o, "sides", pages);
    json_object_set_new(o, "crosses", fields);
    return crosses;
}

/* One ballot: plan, draw, scan, write its two pages, return its truth. */
static int write_sheet(json_t **truth_out, sim_ctx *s, iio_tiff_writer *w,
                       const char *file, const char *batch, int index,
                       int *page, smp_rng *rng)
{
    *truth_out = NULL;
    const smp_sim_opts *o = s->o;
    smp_sheet sh;
    paper p[2] = {{0}, {0}};
    img *im = NULL;
    json_t *t = NULL;
    sheet_damage dmg = {0};
    int rc = smp_voter_plan(&sh, s->ballots, s->n_ballots, s->pkg,
                            s->election, &o->voter, rng, s->scratch);
    if (rc)
        return rc;
    double colour[3];
    smp_ballot_paper_rgb(sh.ballot, colour);
    int inside_first = !smp_rng_chance(rng, o->p_outside_first);
    int rot = smp_rng_chance(rng, o->p_rotated);
    int has_crease = smp_rng_chance(rng, o->p_crease);
    /* damage draws from a stream of its own (see simulate.h) */
    smp_rng drng = *rng;
    smp_rng_seed(&drng, smp_rng_u64(&drng) ^ 0xDA3A6E0F5CA77E5Dull);
    double bleed = smp_rng_chance(rng, o->p_bleed) ? smp_rng_range(rng, 0.06, 0.14) : 0;
    double noise = smp_rng_range(rng, 1.0, o->max_noise_sigma);
    double skew = smp_rng_range(rng, -o->max_skew_deg, o->max_skew_deg);
    double k = 1.0 + smp_rng_range(rng, -o->max_scale, o->max_scale);
    double dx = smp_rng_range(rng, -o->max_shift_mm, o->max_shift_mm);
    double dy = smp_rng_range(rng, -o->max_shift_mm, o->max_shift_mm);
    double off[2][2];
    affine m[2];
    for (int side = 0; side < 2; side++) {
        double po = o->max_print_offset_mm;
        off[side][0] = smp_round2(smp_rng_range(rng, -po, po));
        off[side][1] = smp_round2(smp_rng_range(rng, -po, po));
    }
    /* the first page scanned gets (skew, dx); the other side, seen from
     * below, the mirrored skew and sideways shift */
    int first = inside_first ? SMP_SIDE_INSIDE : SMP_SIDE_OUTSIDE;
    double page_w = smp_ballot_page_w_mm(sh.ballot);
    canvas cv = canvas_for(o, page_w);
    /* the back's extra jitter stays inside the canvas' 1.5 mm reserve */
    double skew_b = -skew + smp_rng_range(rng, -0.1, 0.1);
    if (fabs(skew_b) > o->max_skew_deg)
        skew_b = skew_b < 0 ? -o->max_skew_deg : o->max_skew_deg;
    double dy_b = dy + smp_rng_range(rng, -0.3, 0.3);
    for (int step = 0; step <= 20; step++) {
        /* steps 0..10 shrink the shift, 11..20 then the skew */
        double ts = step <= 10 ? 1.0 - step / 10.0 : 0.0;
        double tk = step <= 10 ? 1.0 : 1.0 - (step - 10) / 10.0;
        m[first] = make_affine(cv, page_w, skew * tk, k, dx * ts, dy * ts,
                               rot);
        m[1 - first] = make_affine(cv, page_w, skew_b * tk, k, -dx * ts,
                                   dy_b * ts, rot);
        if (content_fits(&sh, m, off, cv, page_w))
            break;
    }
    /* shallow enough that a 50 % threshold never turns it into ink on
     * either paper colour: a crease is seen in gray, not in 1-bit */
    double crease_depth = smp_rng_range(rng, 0.12, 0.3);
    double crease_phase = smp_rng_range(rng, 0, 6.28);
    damage_plan(&dmg, o, &sh, off, page_w, cv, &drng);
    if (dmg.kinds & SMP_DMG_BLEED) {
        bleed = smp_rng_range(&drng, 0.16, 0.3);
        json_object_set_new(damage_info(&dmg, "bleed"), "bleed",
                            json_real(smp_round2(bleed)));
    }
    for (int side = 0; side < 2; side++) {
        if ((rc = paper_new(&p[side], page_w, s->dpi, colour, off[side][0],
                            off[side][1])))
            goto done;
        smp_ballot_draw(sh.ballot, p[side].cr, side, true);
        smp_voter_draw(&sh, p[side].cr, side);
        cairo_surface_flush(p[side].s);
    }
    if (sh.show_through > 0) {
        /* a felt-tip soaks through: each side's pen ink, mirrored, on the
         * other (reference -> paper + offset -> mirrored paper -> other
         * side's reference) */
        for (int side = 0; side < 2; side++) {
            cairo_t *cr = p[1 - side].cr;
            cairo_save(cr);
            cairo_translate(cr, page_w - off[side][0] - off[1 - side][0],
                            off[side][1] - off[1 - side][1]);
            cairo_scale(cr, -1, 1);
            smp_voter_draw_pen(&sh, cr, side, sh.show_through);
            cairo_restore(cr);
        }
        for (int side = 0; side < 2; side++)
            cairo_surface_flush(p[side].s);
    }
    if (bleed > 0) {
        bleed_through(&p[0], &p[1], bleed);
        bleed_through(&p[1], &p[0], bleed * 0.5);
    }
    if (has_crease)
        for (int side = 0; side < 2; side++)
            for (int f = 1; f <= smp_ballot_folds(sh.ballot); f++)
                crease(&p[side], SMP_FOLD_X_MM * f, crease_depth,
                       crease_phase + f);
    damage_paper(p, &dmg, &drng);
    for (int side = 0; side < 2; side++)
        if (dmg.kinds && p[side].hole == NULL &&
            (dmg.kinds & (SMP_DMG_TEAR | SMP_DMG_DOGEAR | SMP_DMG_PUNCH))) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }

    char sheet[300];
    snprintf(sheet, sizeof sheet, "%s#%d", file, index);
    json_t *pages = json_array();
    json_t *skews = json_object(), *affs = json_object(), *offs = json_object();
    for (int i = 0; i < 2; i++) {
        int side = i == 0 ? first : 1 - first;
        if ((rc = scan_page(&im, &p[side], &m[side], cv, o->format, noise,
                            o->threshold, dmg.backing, rng)))
            goto done_pages;
        if (dmg.kinds)
            damage_glass(im, &dmg, i, *page + 1, o->threshold, &sh, side,
                         &m[side], off[side], &drng);
        if ((rc = iio_tiff_writer_add(w, im, NULL)))
            goto done_pages;
        img_free(im);
        im = NULL;
        (*page)++;
        double sk = atan2(m[side].c, m[side].a) * 180 / SIM_PI -
                    (rot ? 180 : 0);
        if (sk < -180)
            sk += 360;
        const char *name = smp_side_name(side);
        json_object_set_new(skews, name, json_real(round(sk * 1000) / 1000));
        json_object_set_new(affs, name,
                            affine_json(&m[side], off[side][0], off[side][1]));
        json_array_append_new(
            pages, json_pack("{s:s, s:i, s:s, s:i, s:o}", "file", file, "page",
                             *page, "side", name, "rotated", rot ? 180 : 0,
                             "affine_mm",
                             affine_json(&m[side], off[side][0],
                                         off[side][1])));
    }
    for (int side = 0; side < 2; side++)
        json_object_set_new(offs, smp_side_name(side),
                            json_pack("[ff]", off[side][0], off[side][1]));

    /* the truth line, in the devset's field order */
    const json_t *v = sh.truth;
    json_t *cases = json_deep_copy(json_object_get(v, "cases"));
    if (has_crease)
        json_array_append_new(cases, json_string("crease"));
    if (bleed > 0)
        json_array_append_new(cases, json_string("bleed_through"));
    if (rot)
        json_array_append_new(cases, json_string("rotated180"));
    if (!inside_first)
        json_array_append_new(cases, json_string("outside_first"));
    for (int i = 0; i < SMP_DMG_N; i++)
        if (dmg.kinds & (1u << i)) {
            char tag[48];
            snprintf(tag, sizeof tag, "damage_%s", smp_damage_name(1u << i));
            json_array_append_new(cases, json_string(tag));
        }
    /* a streak through a field may rightly be `unreadable`, a speck in a
     * vote box a `marginal_mark` */
    json_t *acceptable = json_deep_copy(json_object_get(v, "acceptable"));
    int crosses = (dmg.kinds & SMP_DMG_STREAK) &&
                  streak_truth(&dmg, &sh, m, off, first);
    if (crosses || dmg.dust_in_box) {
        int has = 0;
        for (size_t i = 0; i < json_array_size(acceptable); i++)
            has |= strcmp(json_string_value(json_array_get(acceptable, i)),
                          "review") == 0;
        if (!has)
            json_array_append_new(acceptable, json_string("review"));
    }
    t = json_object();
    json_object_set_new(t, "sheet", json_string(sheet));
    json_object_set_new(t, "batch", json_string(batch));
    static const char *KEYS1[] = {"election", "style", "list", "kind",
                                  "expected", "must_review", "acceptable",
                                  "personal_votes", "marginal_boxes",
                                  "write_ins_in_field", "writing_outside",
                                  "stamp"};
    for (size_t i = 0; i < sizeof KEYS1 / sizeof KEYS1[0]; i++)
        json_object_set(t, KEYS1[i], json_object_get(v, KEYS1[i]));
    json_object_set_new(t, "acceptable", acceptable);
    json_object_set_new(t, "inside_first", json_boolean(inside_first));
    json_object_set_new(t, "rotated", json_integer(rot ? 180 : 0));
    json_object_set_new(t, "cases", cases);
    static const char *KEYS2[] = {"light_boxes", "marks", "stamp_info",
                                  "list_written", "marked_lists"};
    for (size_t i = 0; i < sizeof KEYS2 / sizeof KEYS2[0]; i++)
        if (json_object_get(v, KEYS2[i]))
            json_object_set(t, KEYS2[i], json_object_get(v, KEYS2[i]));
    json_t *scan = json_pack("{s:f, s:s, s:o, s:o, s:f, s:o, s:b, s:f, s:O}",
                             "dpi", s->dpi, "format", format_name(o->format),
                             "skew_deg", skews, "affine_mm", affs,
                             "noise_sigma", smp_round2(noise),
                             "print_offset_mm", offs, "crease", has_crease,
                             "bleed", smp_round2(bleed), "pen",
                             json_object_get(v, "pen"));
    skews = affs = offs = NULL;
    if (dmg.kinds) {
        json_object_set_new(scan, "backing",
                            json_string(dmg.backing == BACKGROUND ? "gray"
                                                                  : "black"));
        json_object_set(scan, "damage", dmg.info);
    }
    json_object_set_new(t, "scan", scan);
    json_object_set_new(t, "pages", pages);
    pages = NULL;
done_pages:
    json_decref(pages);
    json_decref(skews);
    json_decref(affs);
    json_decref(offs);
done:
    img_free(im);
    json_decref(dmg.info);
    for (int side = 0; side < 2; side++)
        if (p[side].s)
            paper_free(&p[side]);
    smp_sheet_clear(&sh);
    if (rc) {
        json_decref(t);
        return rc;
    }
    *truth_out = t;
    return 0;
}

static int write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    return bad ? err_set(TELLE_EIO, "%s: write failed", path) : 0;
}

int smp_simulate(const char *package_dir, const char *out_dir,
                 const smp_sim_opts *opts, int *n_sheets)
{
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    if (opts)
        o = *opts;
    if (n_sheets)
        *n_sheets = 0;
    if (o.sheets < 0 || o.batches < 1 || !o.krets || !o.category)
        return err_set(TELLE_EINVAL, "simulate: bad sheets/batches/krets/"
                       "category");
    if (o.p_damage < 0 || o.p_damage > 1 || (o.damage & ~SMP_DMG_ALL))
        return err_set(TELLE_EINVAL, "simulate: damage probability %g is not "
                       "in 0..1, or an unknown damage kind", o.p_damage);
    pkg_package *pkg = NULL;
    sim_ctx s = {0};
    cairo_surface_t *ss = NULL;
    FILE *tf = NULL;
    iio_tiff_writer *w = NULL;
    char *path = NULL;
    size_t plen = strlen(out_dir) + 256;
    int rc, total = 0;

    if ((rc = smp_hand_fonts_check()))
        return rc;
    if ((rc = smp_model_load(&pkg, NULL, package_dir)))
        return rc;
    if (pkg->n_styles == 0) {
        rc = err_set(TELLE_EINVAL, "%s: the package has no styles; make them "
                     "with `telle ballots render`", package_dir);
        goto done;
    }
    if (o.damage & SMP_DMG_PENCIL)
        o.voter.p_pencil = o.p_damage;
    if (o.damage & SMP_DMG_RED_PEN)
        o.voter.p_red_pen = o.p_damage;
    if (o.damage & SMP_DMG_LIGHT_PRESSURE)
        o.voter.p_pressure_light = o.p_damage;
    if (o.damage & SMP_DMG_HEAVY_PRESSURE)
        o.voter.p_pressure_heavy = o.p_damage;
    if (o.damage & SMP_DMG_MARK_STYLES)
        o.voter.p_mark_styles = o.p_damage;
    if (o.damage & SMP_DMG_SMALL_MARGIN)
        o.voter.p_small_margin = o.p_damage;
    if (o.damage & SMP_DMG_HANDS) {
        o.voter.p_hands = o.p_damage;
        if ((rc = smp_hand_fonts_extra_check()))
            goto done;
    }
    s.o = &o;
    s.pkg = pkg;
    s.dpi = o.dpi > 0 ? o.dpi : o.format == SMP_SCAN_RGB ? 300 : 200;
    s.election = o.election ? o.election : pkg->elections[0].id;
    if (!pkg_election_find(pkg, s.election)) {
        rc = err_set(TELLE_EINVAL, "%s: no election '%s'", package_dir,
                     s.election);
        goto done;
    }
    s.ballots = calloc((size_t)pkg->n_styles, sizeof *s.ballots);
    path = malloc(plen);
    if (!s.ballots || !path) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < pkg->n_styles; i++) {
        if ((rc = smp_ballot_new(&s.ballots[i], pkg, &pkg->styles[i])))
            goto done;
        s.n_ballots = i + 1;
    }
    ss = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    s.scratch = cairo_create(ss);
    {
        cairo_font_options_t *fo = cairo_font_options_create();
        cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
        cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
        cairo_set_font_options(s.scratch, fo);
        cairo_font_options_destroy(fo);
    }
    if ((rc = smp_mkdir_p(out_dir)))
        goto done;
    snprintf(path, plen, "%s/truth.jsonl", out_dir);
    tf = fopen(path, "w");
    if (!tf) {
        rc = err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    for (int bi = 0; bi < o.batches; bi++) {
        char batch[128], file[160], label[256];
        snprintf(batch, sizeof batch, "%s-%s-%02d", o.krets, o.category,
                 bi + 1);
        snprintf(file, sizeof file, "%s.tif", batch);
        smp_label_text(label, sizeof label, s.election, o.krets, o.category,
                       batch);
        snprintf(path, plen, "%s/%s", out_dir, file);
        if ((rc = iio_tiff_writer_open(&w, path)))
            goto done;
        int page = 0;
        smp_rng rng;
        smp_rng_seed(&rng, o.seed * 0x100000001B3ull + (uint64_t)bi * 7919u);
        if (o.label) {
            if ((rc = write_label(w, &o, s.dpi, label, &rng)))
                goto done;
            page = 2;
        }
        for (int si = 0; si < o.sheets; si++) {
            json_t *t = NULL;
            smp_rng srng;
            smp_rng_seed(&srng, smp_rng_u64(&rng));
            if ((rc = write_sheet(&t, &s, w, file, batch, si + 1, &page,
                                  &srng)))
                goto done;
            char *line = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                           JSON_REAL_PRECISION(10));
            json_decref(t);
            if (!line) {
                rc = err_set(TELLE_ENOMEM, "out of memory");
                goto done;
            }
            fprintf(tf, "%s\n", line);
            free(line);
            total++;
        }
        rc = iio_tiff_writer_close(w);
        w = NULL;
        if (rc)
            goto done;
        json_t *meta = json_pack(
            "{s:s, s:s, s:s, s:s, s:b, s:[s], s:b, s:s, s:s, s:f, s:i}",
            "election", s.election, "krets", o.krets, "category", o.category,
            "batch", batch, "duplex", 1, "files", file, "label_sheet",
            o.label, "label_barcode", o.label ? label : "", "format",
            format_name(o.format), "dpi", s.dpi, "sheets", o.sheets);
        if (o.format == SMP_SCAN_G4)
            json_object_set_new(meta, "photometric",
                                json_string("min-is-white"));
        char *txt = json_dumps(meta, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(meta);
        if (!txt) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        snprintf(path, plen, "%s/%s.json", out_dir, batch);
        rc = write_text_file(path, txt);
        free(txt);
        if (rc)
            goto done;
    }
    if (fclose(tf) != 0) {
        tf = NULL;
        rc = err_set(TELLE_EIO, "%s/truth.jsonl: write failed", out_dir);
        goto done;
    }
    tf = NULL;
    if (n_sheets)
        *n_sheets = total;
done:
    if (tf)
        fclose(tf);
    iio_tiff_writer_close(w);
    cairo_destroy(s.scratch);
    cairo_surface_destroy(ss);
    for (int i = 0; i < s.n_ballots; i++)
        smp_ballot_free(s.ballots[i]);
    free(s.ballots);
    free(path);
    smp_model_free(pkg);
    return rc;
}
