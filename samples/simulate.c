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
/* The scanner's backing plate, light gray. */
#define BACKGROUND 244

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
                     smp_rng *rng)
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
                c[0] = c[1] = c[2] = BACKGROUND;
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
                            rng)))
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
    int rc = smp_voter_plan(&sh, s->ballots, s->n_ballots, s->pkg,
                            s->election, &o->voter, rng, s->scratch);
    if (rc)
        return rc;
    double colour[3];
    smp_ballot_paper_rgb(sh.ballot, colour);
    int inside_first = !smp_rng_chance(rng, o->p_outside_first);
    int rot = smp_rng_chance(rng, o->p_rotated);
    int has_crease = smp_rng_chance(rng, o->p_crease);
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
    for (int side = 0; side < 2; side++) {
        if ((rc = paper_new(&p[side], page_w, s->dpi, colour, off[side][0],
                            off[side][1])))
            goto done;
        smp_ballot_draw(sh.ballot, p[side].cr, side, true);
        smp_voter_draw(&sh, p[side].cr, side);
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

    char sheet[300];
    snprintf(sheet, sizeof sheet, "%s#%d", file, index);
    json_t *pages = json_array();
    json_t *skews = json_object(), *affs = json_object(), *offs = json_object();
    for (int i = 0; i < 2; i++) {
        int side = i == 0 ? first : 1 - first;
        if ((rc = scan_page(&im, &p[side], &m[side], cv, o->format, noise,
                            o->threshold, rng)))
            goto done_pages;
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
