/* voter.c - the voter model: smp_voter_plan, smp_voter_draw,
 * smp_sheet_clear, smp_hand_fonts.
 *
 * Planning first chooses the style (mostly a list ballot of the box's
 * election; sometimes blank, all-lists or another election's ballot), then
 * independent cases (personal votes, write-ins, writing outside, a marginal
 * or light mark, a missing or odd stamp), then every stroke and glyph.
 * Geometry is fixed at planning time so the truth's boxes are exactly the
 * ink that smp_voter_draw puts down.
 */
#include "samples/voter.h"

#include "core/error.h"

#include <cairo-ft.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMP_PI 3.14159265358979323846

/* the default hands first (smp_hand_fonts), then the extra ones */
enum { N_BASE_FONTS = 3, N_ALL_FONTS = 10 };
static const smp_hand_font HAND_FONTS[N_ALL_FONTS] = {
    {"Kristi", "Kristi.ttf"},
    {"Steve", "SteveHand.ttf"},
    {"Delphine", "Delphine.ttf"},
    {"Because We Build", "BecauseWeBuild-Regular.otf"},
    {"Because We Connect", "BecauseWeConnect-Regular.otf"},
    {"Because We Create", "BecauseWeCreate-Regular.otf"},
    {"Because We Learn", "BecauseWeLearn-Regular.otf"},
    {"Because We Mentor", "BecauseWeMentor-Regular.otf"},
    {"Because We Organize", "BecauseWeOrganize-Regular.otf"},
    {"Rufscript", "Rufscript010.ttf"},
};

const smp_hand_font *smp_hand_fonts(int *n)
{
    *n = N_BASE_FONTS;
    return HAND_FONTS;
}

const smp_hand_font *smp_hand_fonts_extra(int *n)
{
    *n = N_ALL_FONTS - N_BASE_FONTS;
    return HAND_FONTS + N_BASE_FONTS;
}

static int fonts_check(int from, int to, const char *packages);

int smp_hand_fonts_check(void)
{
    return fonts_check(0, N_BASE_FONTS, "fonts-kristi and fonts-sjfonts");
}

int smp_hand_fonts_extra_check(void)
{
    return fonts_check(N_BASE_FONTS, N_ALL_FONTS,
                       "fonts-bwht and fonts-rufscript");
}

static int fonts_check(int from, int to, const char *packages)
{
    int rc = 0;
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_matrix_t m;
    cairo_matrix_init_identity(&m);
    for (int i = from; !rc && i < to; i++) {
        cairo_font_face_t *ff = cairo_toy_font_face_create(
            HAND_FONTS[i].family, CAIRO_FONT_SLANT_NORMAL,
            CAIRO_FONT_WEIGHT_NORMAL);
        cairo_scaled_font_t *sf = cairo_scaled_font_create(ff, &m, &m, fo);
        const char *got = NULL;
        FT_Face face = cairo_ft_scaled_font_lock_face(sf);
        if (face)
            got = face->family_name;
        if (!got || strcmp(got, HAND_FONTS[i].family) != 0)
            rc = err_set(TELLE_EINVAL,
                         "handwriting font '%s' (%s) is not installed "
                         "(fontconfig gave '%s'); install %s "
                         "(scripts/install-deps.sh)",
                         HAND_FONTS[i].family, HAND_FONTS[i].file,
                         got ? got : "nothing", packages);
        if (face)
            cairo_ft_scaled_font_unlock_face(sf);
        cairo_scaled_font_destroy(sf);
        cairo_font_face_destroy(ff);
    }
    cairo_font_options_destroy(fo);
    return rc;
}

/* ---- boxes ------------------------------------------------------------ */

typedef struct {
    double x0, y0, x1, y1;
} span;

static void span_init(span *s)
{
    s->x0 = s->y0 = INFINITY;
    s->x1 = s->y1 = -INFINITY;
}

static void span_add(span *s, double x, double y, double pad)
{
    if (x - pad < s->x0) s->x0 = x - pad;
    if (y - pad < s->y0) s->y0 = y - pad;
    if (x + pad > s->x1) s->x1 = x + pad;
    if (y + pad > s->y1) s->y1 = y + pad;
}

static void span_box(const span *s, double b[4])
{
    b[0] = smp_round2(s->x0);
    b[1] = smp_round2(s->y0);
    b[2] = smp_round2(s->x1 - s->x0);
    b[3] = smp_round2(s->y1 - s->y0);
}

static json_t *box_json(const double b[4])
{
    return json_pack("[ffff]", b[0], b[1], b[2], b[3]);
}

/* ---- pen marks ---------------------------------------------------------- */

static void mark_pt(smp_mark *m, double x, double y)
{
    if (m->n_pts < SMP_MARK_MAX_PTS) {
        m->pts[m->n_pts][0] = x;
        m->pts[m->n_pts][1] = y;
        m->n_pts++;
    }
}

static void mark_break(smp_mark *m) { mark_pt(m, NAN, NAN); }

/* Plans a mark of type in box r (rect_mm). overshoot lets strokes reach
 * 0.6 to 1.6 mm beyond the box, as hurried voters do. */
static void mark_plan(smp_mark *m, smp_mark_type type, const double r[4],
                      int overshoot, double darkness, double pen_w,
                      smp_rng *rng)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    m->side = SMP_SIDE_INSIDE;
    m->darkness = darkness;
    m->width_mm = pen_w;
    double cx = r[0] + r[2] / 2 + smp_rng_range(rng, -0.3, 0.3);
    double cy = r[1] + r[3] / 2 + smp_rng_range(rng, -0.3, 0.3);
    double hx = r[2] / 2 * smp_rng_range(rng, 0.55, 0.85);
    double hy = r[3] / 2 * smp_rng_range(rng, 0.55, 0.85);
    if (overshoot) {
        hx = r[2] / 2 + smp_rng_range(rng, 0.6, 1.6);
        hy = r[3] / 2 + smp_rng_range(rng, 0.3, 1.2);
    }
#define J() smp_rng_range(rng, -0.25, 0.25)
    switch (type) {
    case SMP_MARK_CROSS:
    case SMP_MARK_ERASED:
        mark_pt(m, cx - hx + J(), cy - hy + J());
        mark_pt(m, cx + J(), cy + J());
        mark_pt(m, cx + hx + J(), cy + hy + J());
        mark_break(m);
        mark_pt(m, cx + hx + J(), cy - hy + J());
        mark_pt(m, cx - hx + J(), cy + hy + J());
        break;
    case SMP_MARK_TICK:
        mark_pt(m, cx - hx + J(), cy + J());
        mark_pt(m, cx - hx * 0.3 + J(), cy + hy + J());
        mark_pt(m, cx + hx + J(), cy - hy * 1.1 + J());
        break;
    case SMP_MARK_SLASH:
        mark_pt(m, cx + hx * 0.8 + J(), cy - hy + J());
        mark_pt(m, cx - hx * 0.8 + J(), cy + hy + J());
        break;
    case SMP_MARK_FILL:
        for (int i = 0; i < 7; i++) {
            double t = -1 + 2.0 * i / 6;
            mark_pt(m, cx - hx + J(), cy + t * hy + J());
            mark_pt(m, cx + hx + J(), cy + t * hy + 0.2 + J());
        }
        break;
    case SMP_MARK_DOT:
        mark_pt(m, cx, cy);
        m->width_mm = smp_rng_range(rng, 0.7, 1.1);
        break;
    case SMP_MARK_SOLID: {
        /* the box blacked in, a little short of or over its border */
        double in = smp_rng_range(rng, -0.3, 0.4);
        double x0 = r[0] + in + J(), y0 = r[1] + in + J();
        double x1 = r[0] + r[2] - in + J(), y1 = r[1] + r[3] - in + J();
        mark_pt(m, x0, y0);
        mark_pt(m, x1, y0);
        mark_pt(m, x1, y1);
        mark_pt(m, x0, y1);
        break;
    }
    case SMP_MARK_CIRCLE: {
        /* r is the printed number's box: a hand-drawn ring round it that
         * overlaps where it closes */
        double rx = r[2] / 2 + smp_rng_range(rng, 0.9, 1.5);
        double ry = r[3] / 2 + smp_rng_range(rng, 0.8, 1.3);
        double a0 = smp_rng_range(rng, 0, 2 * SMP_PI);
        cx = r[0] + r[2] / 2, cy = r[1] + r[3] / 2;
        for (int i = 0; i < 21; i++) {
            double a = a0 + i * (2 * SMP_PI + 0.5) / 20;
            double k = 1 + 0.06 * sin(3 * a + a0);
            mark_pt(m, cx + rx * k * cos(a), cy + ry * k * sin(a));
        }
        break;
    }
    }
#undef J
    span s;
    span_init(&s);
    for (int i = 0; i < m->n_pts; i++)
        if (!isnan(m->pts[i][0]))
            span_add(&s, m->pts[i][0], m->pts[i][1], m->width_mm / 2);
    span_box(&s, m->bbox);
}

static void mark_draw(const smp_mark *m, cairo_t *cr, const double rgb[3],
                      double alpha)
{
    cairo_save(cr);
    cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], m->darkness * alpha);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, m->width_mm);
    if (m->type == SMP_MARK_DOT) {
        cairo_arc(cr, m->pts[0][0], m->pts[0][1], m->width_mm / 2, 0,
                  2 * SMP_PI);
        cairo_fill(cr);
        cairo_restore(cr);
        return;
    }
    if (m->type == SMP_MARK_SOLID) {
        cairo_move_to(cr, m->pts[0][0], m->pts[0][1]);
        for (int i = 1; i < m->n_pts; i++)
            cairo_line_to(cr, m->pts[i][0], m->pts[i][1]);
        cairo_close_path(cr);
        cairo_fill_preserve(cr);
        cairo_stroke(cr);
        cairo_restore(cr);
        return;
    }
    /* an erased mark keeps only pieces of its strokes */
    int erased = m->type == SMP_MARK_ERASED;
    int open = 0;
    for (int i = 0; i < m->n_pts; i++) {
        if (isnan(m->pts[i][0])) {
            open = 0;
            continue;
        }
        if (!open) {
            cairo_move_to(cr, m->pts[i][0], m->pts[i][1]);
            open = 1;
        } else if (erased) {
            double x0, y0;
            cairo_get_current_point(cr, &x0, &y0);
            double x1 = m->pts[i][0], y1 = m->pts[i][1];
            for (int k = 0; k < 6; k += 2) {
                cairo_move_to(cr, x0 + (x1 - x0) * k / 6.0,
                              y0 + (y1 - y0) * k / 6.0);
                cairo_line_to(cr, x0 + (x1 - x0) * (k + 1) / 6.0,
                              y0 + (y1 - y0) * (k + 1) / 6.0);
            }
            cairo_move_to(cr, x1, y1);
        } else {
            cairo_line_to(cr, m->pts[i][0], m->pts[i][1]);
        }
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* ---- handwriting -------------------------------------------------------- */

static int utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Capitals as a voter writes them "med STORE bokstaver": ASCII and the
 * Latin-1 letters (æ ø å é ...) only, which is all Norwegian names need. */
static void upper_utf8(char *dst, size_t cap, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c >= 'a' && c <= 'z') {
            dst[j++] = (char)(c - 32);
        } else if (c == 0xC3 && src[i + 1] && j + 2 < cap) {
            unsigned char d = (unsigned char)src[++i];
            if (d >= 0xA0 && d <= 0xBE && d != 0xB7)
                d = (unsigned char)(d - 0x20);
            dst[j++] = (char)c;
            dst[j++] = (char)d;
        } else {
            dst[j++] = (char)c;
        }
    }
    dst[j] = '\0';
}

/* Lays out s from baseline start (x, y) at size_mm, along angle_deg, with
 * per-letter jitter: size +-6 %, baseline +-4 % of the size, angle +-4
 * degrees, spacing -3..+8 %. Measures each glyph on scratch for the box. */
static void hand_plan(smp_text *t, int side, cairo_t *scratch,
                      const char *family, const char *s, double x, double y,
                      double size_mm, double angle_deg, smp_rng *rng)
{
    memset(t, 0, sizeof *t);
    t->side = side;
    double a0 = angle_deg * SMP_PI / 180.0;
    double gx = x, gy = y;
    span sp;
    span_init(&sp);
    cairo_save(scratch);
    cairo_select_font_face(scratch, family, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    /* fonts draw capitals at very different heights for one size: scale so
     * a capital is 0.7 x size_mm in every font */
    {
        cairo_text_extents_t h;
        cairo_set_font_size(scratch, 10.0);
        cairo_text_extents(scratch, "H", &h);
        if (h.height > 1.0)
            size_mm *= 7.0 / h.height;
    }
    /* a font without Æ, Ø or Å: the hand writes AE, O and a slash, A and
     * a ring; fonts that have them (the default ones) are untouched */
    char buf[256];
    int decos[256] = {0};
    {
        cairo_scaled_font_t *sf = cairo_get_scaled_font(scratch);
        size_t j = 0;
        for (size_t i = 0; s[i] && j + 3 < sizeof buf;) {
            unsigned char c0 = (unsigned char)s[i];
            if (c0 == 0xC3 && s[i + 1]) {
                unsigned cp = 0xC0u | ((unsigned char)s[i + 1] & 0x3Fu);
                const char *rep = NULL;
                int deco = 0;
                /* a letter the font lacks maps to glyph 0 (.notdef) */
                cairo_glyph_t *gl = NULL;
                int ng = 0;
                cairo_status_t st = cairo_scaled_font_text_to_glyphs(
                    sf, 0, 0, s + i, 2, &gl, &ng, NULL, NULL, NULL);
                int missing = st == CAIRO_STATUS_SUCCESS && ng == 1 &&
                              gl[0].index == 0;
                cairo_glyph_free(gl);
                if (missing) {
                    switch (cp) {
                    case 0xC6: rep = "AE"; break;
                    case 0xE6: rep = "ae"; break;
                    case 0xD8: rep = "O", deco = 1; break;
                    case 0xF8: rep = "o", deco = 1; break;
                    case 0xC5: rep = "A", deco = 2; break;
                    case 0xE5: rep = "a", deco = 2; break;
                    case 0xC9: rep = "E"; break;
                    case 0xE9: rep = "e"; break;
                    }
                }
                if (rep) {
                    for (size_t k = 0; rep[k]; k++) {
                        decos[j] = deco;
                        buf[j++] = rep[k];
                    }
                    i += 2;
                    continue;
                }
            }
            int n = utf8_len(c0);
            for (int k = 0; k < n && s[i] && j + 1 < sizeof buf; k++)
                buf[j++] = s[i++];
        }
        buf[j] = '\0';
        s = buf;
    }
    for (size_t i = 0; s[i] && t->n_glyphs < SMP_TEXT_MAX_GLYPHS;) {
        int n = utf8_len((unsigned char)s[i]);
        int deco = decos[i];
        char ch[8] = {0};
        for (int k = 0; k < n && s[i]; k++)
            ch[k] = s[i++];
        double size = size_mm * (1 + 0.06 * smp_rng_normal(rng));
        double ang = a0 + (4.0 * SMP_PI / 180.0) * smp_rng_normal(rng);
        double dy = 0.04 * size_mm * smp_rng_normal(rng);
        cairo_set_font_size(scratch, size);
        cairo_text_extents_t te;
        cairo_text_extents(scratch, ch, &te);
        double ox = gx - sin(a0) * dy, oy = gy + cos(a0) * dy;
        if (ch[0] != ' ') {
            smp_glyph *g = &t->glyphs[t->n_glyphs++];
            memcpy(g->ch, ch, sizeof g->ch);
            g->x = ox, g->y = oy, g->size = size, g->angle_rad = ang;
            g->deco = deco;
            double cs = cos(ang), sn = sin(ang);
            double px[2] = {te.x_bearing, te.x_bearing + te.width};
            double py[2] = {te.y_bearing, te.y_bearing + te.height};
            if (deco == 1) /* the slash reaches a little beyond */
                px[0] -= 0.1 * te.width, px[1] += 0.1 * te.width,
                    py[0] -= 0.05 * te.height, py[1] += 0.05 * te.height;
            if (deco == 2) /* the ring stands over the letter */
                py[0] -= 0.45 * size;
            for (int u = 0; u < 2; u++)
                for (int v = 0; v < 2; v++)
                    span_add(&sp, ox + px[u] * cs - py[v] * sn,
                             oy + px[u] * sn + py[v] * cs, 0.25);
        }
        double adv = te.x_advance * smp_rng_range(rng, 0.97, 1.08);
        gx += adv * cos(a0);
        gy += adv * sin(a0);
    }
    cairo_restore(scratch);
    if (t->n_glyphs)
        span_box(&sp, t->bbox);
}

/* stroke_mm > 0 outlines every glyph that thick as well, as a felt-tip
 * pen writes (the box's 0.25 mm pad holds up to 0.5 mm). */
static void hand_draw(const smp_text *t, cairo_t *cr, const char *family,
                      const double rgb[3], double alpha, double stroke_mm)
{
    cairo_save(cr);
    cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.95 * alpha);
    if (stroke_mm > 0)
        cairo_push_group(cr);
    for (int i = 0; i < t->n_glyphs; i++) {
        const smp_glyph *g = &t->glyphs[i];
        cairo_save(cr);
        cairo_translate(cr, g->x, g->y);
        cairo_rotate(cr, g->angle_rad);
        cairo_set_font_size(cr, g->size);
        cairo_move_to(cr, 0, 0);
        if (g->deco) {
            cairo_text_extents_t te;
            cairo_text_extents(cr, g->ch, &te);
            cairo_save(cr);
            if (stroke_mm > 0)
                cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_set_line_width(cr, 0.08 * g->size + stroke_mm);
            cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
            if (g->deco == 1) {
                cairo_move_to(cr, te.x_bearing - 0.05 * te.width,
                              te.y_bearing + 1.02 * te.height);
                cairo_line_to(cr, te.x_bearing + 1.05 * te.width,
                              te.y_bearing - 0.02 * te.height);
            } else {
                cairo_new_sub_path(cr);
                cairo_arc(cr, te.x_bearing + te.width / 2,
                          te.y_bearing - 0.22 * g->size, 0.11 * g->size, 0,
                          2 * SMP_PI);
            }
            cairo_stroke(cr);
            cairo_restore(cr);
            cairo_move_to(cr, 0, 0);
        }
        if (stroke_mm > 0) {
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_text_path(cr, g->ch);
            cairo_set_line_width(cr, stroke_mm);
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            cairo_fill_preserve(cr);
            cairo_stroke(cr);
        } else {
            cairo_show_text(cr, g->ch);
        }
        cairo_restore(cr);
    }
    if (stroke_mm > 0) {
        cairo_pop_group_to_source(cr);
        cairo_paint_with_alpha(cr, 0.95 * alpha);
    }
    cairo_restore(cr);
    cairo_new_path(cr); /* show_text leaves a current point */
}

/* ---- stamp -------------------------------------------------------------- */

static void stamp_plan(smp_stamp *st, const pkg_region *field, int faint,
                       int overhang, smp_rng *rng, double *overhang_mm)
{
    static const struct {
        const char *name;
        double rgb[3];
    } COLOURS[] = {{"blue", {0.12, 0.22, 0.62}},
                   {"purple", {0.38, 0.16, 0.52}},
                   {"black", {0.08, 0.08, 0.08}},
                   {"red", {0.72, 0.10, 0.12}}};
    memset(st, 0, sizeof *st);
    st->present = 1;
    st->circle = smp_rng_chance(rng, 0.5);
    int c = smp_rng_int(rng, 4);
    memcpy(st->rgb, COLOURS[c].rgb, sizeof st->rgb);
    st->size_mm = smp_rng_range(rng, 24, 31);
    st->angle_deg = smp_rng_range(rng, -25, 25);
    /* faint: still above what a 50 % threshold keeps on pink paper */
    st->strength = faint ? smp_rng_range(rng, 0.62, 0.72)
                         : smp_rng_range(rng, 0.8, 0.95);
    double hw = st->size_mm / 2, hh = st->circle ? hw : st->size_mm * 0.32;
    const pkg_rect_mm *f = &field->rect;
    st->cx = smp_rng_range(rng, f->x + hw + 1, f->x + f->w - hw - 1);
    st->cy = smp_rng_range(rng, f->y + hh + 1, f->y + f->h - hh - 1);
    *overhang_mm = 0;
    if (overhang) {
        double o = smp_rng_range(rng, 3, 8);
        switch (smp_rng_int(rng, 3)) {
        case 0: st->cx = f->x + hw - o; break;                   /* left */
        case 1: st->cx = f->x + f->w - hw + o; break;            /* right */
        default: st->cy = f->y + f->h - hh + o; break;           /* bottom */
        }
        *overhang_mm = smp_round2(o);
    }
    span s;
    span_init(&s);
    double a = st->angle_deg * SMP_PI / 180, cs = cos(a), sn = sin(a);
    if (st->circle) {
        span_add(&s, st->cx, st->cy, hw + 0.4);
    } else {
        for (int u = -1; u <= 1; u += 2)
            for (int v = -1; v <= 1; v += 2)
                span_add(&s, st->cx + u * hw * cs - v * hh * sn,
                         st->cy + u * hw * sn + v * hh * cs, 0.4);
    }
    span_box(&s, st->bbox);
    (void)COLOURS[c].name;
}

static const char *stamp_colour_name(const smp_stamp *st)
{
    if (st->rgb[0] > 0.6) return "red";
    if (st->rgb[0] > 0.3) return "purple";
    if (st->rgb[2] > 0.5) return "blue";
    return "black";
}

static void stamp_draw(const smp_stamp *st, cairo_t *cr, const char *area)
{
    double hw = st->size_mm / 2, hh = st->circle ? hw : st->size_mm * 0.32;
    /* handwriting drawn before leaves a current point, from which
     * cairo_arc would draw a line to the ring */
    cairo_new_path(cr);
    cairo_save(cr);
    cairo_translate(cr, st->cx, st->cy);
    cairo_rotate(cr, st->angle_deg * SMP_PI / 180);
    cairo_push_group(cr);
    cairo_set_source_rgb(cr, st->rgb[0], st->rgb[1], st->rgb[2]);
    cairo_set_line_width(cr, 0.8);
    if (st->circle) {
        cairo_arc(cr, 0, 0, hw, 0, 2 * SMP_PI);
        cairo_stroke(cr);
        cairo_set_line_width(cr, 0.4);
        cairo_arc(cr, 0, 0, hw - 2.6, 0, 2 * SMP_PI);
        cairo_stroke(cr);
    } else {
        cairo_rectangle(cr, -hw, -hh, 2 * hw, 2 * hh);
        cairo_stroke(cr);
        cairo_set_line_width(cr, 0.4);
        cairo_rectangle(cr, -hw + 1.4, -hh + 1.4, 2 * hw - 2.8, 2 * hh - 2.8);
        cairo_stroke(cr);
    }
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_BOLD);
    const char *lines[3] = {area, "VALGSTYRET", "11.09.2023"};
    double sizes[3] = {2.4, 3.2, 2.8};
    double ys[3] = {-hh * 0.35, hh * 0.12, hh * 0.5};
    if (!st->circle)
        ys[0] = -hh * 0.3, ys[1] = hh * 0.15, ys[2] = hh * 0.55;
    for (int i = 0; i < 3; i++) {
        cairo_text_extents_t te;
        cairo_set_font_size(cr, sizes[i]);
        cairo_text_extents(cr, lines[i], &te);
        double w = te.x_advance;
        if (w > 2 * hw - 5) {
            cairo_set_font_size(cr, sizes[i] * (2 * hw - 5) / w);
            cairo_text_extents(cr, lines[i], &te);
            w = te.x_advance;
        }
        cairo_move_to(cr, -w / 2, ys[i]);
        cairo_show_text(cr, lines[i]);
    }
    cairo_pop_group_to_source(cr);
    cairo_paint_with_alpha(cr, st->strength);
    cairo_restore(cr);
}

/* ---- planning ----------------------------------------------------------- */

typedef struct {
    smp_sheet *sh;
    const pkg_package *pkg;
    const pkg_election *el;
    const pkg_list *list;
    smp_rng *rng;
    cairo_t *scratch;
    const char *family;
    double pen_w;
    json_t *must, *cases, *marks, *votes, *marginal, *light, *wi, *outside;
    int light_any;
    int light_pen;   /* light pressure: every mark is a light one */
    int mark_styles; /* ticks, crosses, hatched and solid boxes, a circle */
} plan_ctx;

static const pkg_region *find_region(const smp_ballot *b, int side,
                                     pkg_region_type type, int candidate,
                                     const char *list)
{
    const pkg_region *rs;
    int n = smp_ballot_regions(b, side, &rs);
    for (int i = 0; i < n; i++) {
        if (rs[i].type != type)
            continue;
        if (candidate && rs[i].candidate != candidate)
            continue;
        if (list && (!rs[i].list || strcmp(rs[i].list, list) != 0))
            continue;
        return &rs[i];
    }
    return NULL;
}

static void rect_arr(const pkg_rect_mm *r, double a[4])
{
    a[0] = r->x, a[1] = r->y, a[2] = r->w, a[3] = r->h;
}

static void add_unique(json_t *arr, const char *s)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_array_get(arr, i)), s) == 0)
            return;
    json_array_append_new(arr, json_string(s));
}

static const char *MARK_NAMES[] = {"cross", "tick",         "slash",
                                   "fill",  "dot",          "erased_cross",
                                   "solid", "circled_number"};

/* A mark in a vote box; box_key is "box" (candidate) or "list". */
static smp_mark *plan_mark(plan_ctx *c, const pkg_region *r,
                           smp_mark_type type, const char *clarity,
                           double darkness, int overshoot)
{
    smp_sheet *sh = c->sh;
    if (sh->n_marks >= (int)(sizeof sh->marks / sizeof sh->marks[0]))
        return NULL;
    smp_mark *m = &sh->marks[sh->n_marks++];
    double box[4];
    rect_arr(&r->rect, box);
    mark_plan(m, type, box, overshoot, darkness, c->pen_w, c->rng);
    /* light pressure: a clear mark drawn pale and thin is a light one */
    if (c->light_pen && strcmp(clarity, "clear") == 0) {
        clarity = "light";
        if (!r->list)
            json_array_append_new(c->light, json_integer(r->candidate));
        c->light_any = 1;
    }
    json_t *o = json_pack("{s:s, s:s}", "type", MARK_NAMES[type], "clarity",
                          clarity);
    if (darkness * sh->pen_alpha < 0.99)
        json_object_set_new(o, "darkness",
                            json_real(smp_round2(darkness * sh->pen_alpha)));
    if (type == SMP_MARK_DOT)
        json_object_set_new(o, "diameter_mm",
                            json_real(smp_round2(m->width_mm)));
    else
        json_object_set_new(o, "overshoot", json_boolean(overshoot));
    json_object_set_new(o, "bbox_mm", box_json(m->bbox));
    if (r->list)
        json_object_set_new(o, "list", json_string(r->list));
    else
        json_object_set_new(o, "box", json_integer(r->candidate));
    json_array_append_new(c->marks, o);
    return m;
}

/* Ticks, crosses, hatched and solid boxes in equal parts. */
static smp_mark_type styles_type(smp_rng *rng)
{
    static const smp_mark_type T[] = {SMP_MARK_TICK, SMP_MARK_CROSS,
                                      SMP_MARK_FILL, SMP_MARK_SOLID};
    return T[smp_rng_int(rng, 4)];
}

static smp_mark_type clear_type(smp_rng *rng)
{
    double u = smp_rng_unit(rng);
    return u < 0.5 ? SMP_MARK_CROSS : u < 0.7 ? SMP_MARK_TICK
           : u < 0.85 ? SMP_MARK_SLASH : SMP_MARK_FILL;
}

static smp_text *plan_text(plan_ctx *c, int side, const char *s, double x,
                           double y, double size, double angle)
{
    smp_sheet *sh = c->sh;
    if (sh->n_texts >= (int)(sizeof sh->texts / sizeof sh->texts[0]))
        return NULL;
    smp_text *t = &sh->texts[sh->n_texts++];
    hand_plan(t, side, c->scratch, c->family, s, x, y, size, angle, c->rng);
    return t;
}

/* A name struck through: one pen line across a candidate's name, a change
 * that does not count (domain.md) but is ink no field explains. */
static void plan_strike(plan_ctx *c, const smp_ballot *b)
{
    smp_sheet *sh = c->sh;
    smp_rng *rng = c->rng;
    if (sh->n_marks >= (int)(sizeof sh->marks / sizeof sh->marks[0]))
        return;
    int n = c->list->n_candidates;
    const pkg_region *r = find_region(b, SMP_SIDE_INSIDE, PKG_REGION_VOTE_BOX,
                                      1 + smp_rng_int(rng, n), NULL);
    if (!r)
        return;
    smp_mark *m = &sh->marks[sh->n_marks++];
    memset(m, 0, sizeof *m);
    m->type = SMP_MARK_SLASH;
    m->side = SMP_SIDE_INSIDE;
    m->darkness = 1.0;
    m->width_mm = c->pen_w;
    double x0 = r->rect.x + r->rect.w + smp_rng_range(rng, 1.5, 4.0);
    double y0 = r->rect.y + r->rect.h * 0.55 + smp_rng_range(rng, -0.4, 0.4);
    double len = smp_rng_range(rng, 22, 40);
    mark_pt(m, x0, y0);
    mark_pt(m, x0 + len * 0.5, y0 + smp_rng_range(rng, -0.5, 0.5));
    mark_pt(m, x0 + len, y0 + smp_rng_range(rng, -0.8, 0.8));
    span sp;
    span_init(&sp);
    for (int i = 0; i < m->n_pts; i++)
        span_add(&sp, m->pts[i][0], m->pts[i][1], m->width_mm / 2);
    span_box(&sp, m->bbox);
    json_array_append_new(c->outside,
                          json_pack("{s:s, s:o, s:s, s:s, s:i}", "side",
                                    "inside", "bbox_mm", box_json(m->bbox),
                                    "kind", "strike", "text", "",
                                    "candidate", r->candidate));
    add_unique(c->must, "writing_outside_field");
    add_unique(c->cases, "writing_outside");
    add_unique(c->cases, "outside_strike");
}

/* Writing that no field explains, of a kind chosen at random. */
static void plan_outside(plan_ctx *c, const smp_ballot *b)
{
    static const char *WORDS[] = {"Heia!", "Ja takk", "Flott", "Hmm",
                                  "Bestemor", "Fjordvik!", "Nei", "Godt valg"};
    static const char *SHORT[] = {"OK", "Ja", "!!", "7", "Nei"};
    static const char *KINDS[] = {"margin", "between_rows", "fold", "number",
                                  "bottom", "outside_side", "header",
                                  "strike"};
    smp_rng *rng = c->rng;
    int k = smp_rng_int(rng, 8);
    /* "number" and "strike" need candidate rows */
    if ((k == 3 || k == 7) && (!c->list || c->list->n_candidates == 0))
        k = 2;
    if (k == 7) {
        plan_strike(c, b);
        return;
    }
    int side = SMP_SIDE_INSIDE;
    char buf[32];
    const char *s = WORDS[smp_rng_int(rng, 8)];
    double x, y, size = smp_rng_range(rng, 4.5, 6.0), ang = smp_rng_range(rng, -6, 6);
    switch (k) {
    case 0:
        s = SHORT[smp_rng_int(rng, 5)];
        x = smp_rng_range(rng, 1.5, 3.5);
        y = smp_rng_range(rng, 50, 180);
        size = 4.5;
        break;
    case 1:
        x = smp_rng_range(rng, 92, 112);
        y = smp_rng_range(rng, 60, 180);
        size = 4.2;
        break;
    case 2:
        s = SHORT[smp_rng_int(rng, 5)];
        x = smp_rng_range(rng, 141, 146);
        y = smp_rng_range(rng, 60, 180);
        break;
    case 3: {
        const pkg_region *r = find_region(
            b, SMP_SIDE_INSIDE, PKG_REGION_VOTE_BOX,
            1 + smp_rng_int(rng, c->list->n_candidates < 20
                                     ? c->list->n_candidates : 20),
            NULL);
        snprintf(buf, sizeof buf, "%d", 1 + smp_rng_int(rng, 30));
        s = buf;
        /* right of the name: names end within 75 mm of their box */
        x = r->rect.x + smp_rng_range(rng, 74, 86);
        y = r->rect.y + r->rect.h;
        /* digits are smaller than capitals in most hands: 3.5-4.5 mm */
        size = smp_rng_range(rng, 6.5, 8.0);
        ang = 0;
        break;
    }
    case 4:
        x = smp_rng_range(rng, 95, 112);
        y = smp_rng_range(rng, 201, 204);
        size = 4.2;
        break;
    case 6:
        /* across the election line and the rule under the list name */
        x = smp_rng_range(rng, 60, 110);
        y = smp_rng_range(rng, 34, 37);
        size = smp_rng_range(rng, 5.0, 6.5);
        break;
    default:
        side = SMP_SIDE_OUTSIDE;
        if (smp_rng_chance(rng, 0.5)) {
            x = smp_rng_range(rng, 25, 80);
            y = smp_rng_range(rng, 92, 106);
        } else {
            /* under the front panel's title */
            x = smp_ballot_page_w_mm(b) - SMP_PAGE_W_MM +
                smp_rng_range(rng, 168, 220);
            y = smp_rng_range(rng, 110, 128);
        }
        size = smp_rng_range(rng, 5.5, 7.5);
        break;
    }
    smp_text *t = plan_text(c, side, s, x, y, size, ang);
    if (!t)
        return;
    json_t *o = json_pack("{s:s, s:o, s:s, s:s}", "side", smp_side_name(side),
                          "bbox_mm", box_json(t->bbox), "kind", KINDS[k],
                          "text", s);
    json_array_append_new(c->outside, o);
    add_unique(c->must, "writing_outside_field");
    char cs[48];
    snprintf(cs, sizeof cs, "outside_%s", KINDS[k]);
    add_unique(c->cases, "writing_outside");
    add_unique(c->cases, cs);
}

/* A ring round the printed number of candidate cand (right-aligned 1.8 mm
 * left of its box, DejaVu Sans 3.4 mm, as render.c draws it). */
static void plan_circle(plan_ctx *c, const smp_ballot *b, int cand)
{
    smp_sheet *sh = c->sh;
    const pkg_region *r = find_region(b, SMP_SIDE_INSIDE, PKG_REGION_VOTE_BOX,
                                      cand, NULL);
    if (!r || sh->n_marks >= (int)(sizeof sh->marks / sizeof sh->marks[0]))
        return;
    char num[16];
    snprintf(num, sizeof num, "%d.", cand);
    cairo_text_extents_t te;
    cairo_save(c->scratch);
    cairo_select_font_face(c->scratch, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(c->scratch, 3.4);
    cairo_text_extents(c->scratch, num, &te);
    cairo_restore(c->scratch);
    double w = te.x_advance;
    double nb[4] = {r->rect.x - 1.8 - w, r->rect.y + 3.4 - 2.5, w, 2.5};
    smp_mark *m = &sh->marks[sh->n_marks++];
    mark_plan(m, SMP_MARK_CIRCLE, nb, 0, 1.0, c->pen_w, c->rng);
    json_array_append_new(c->outside,
                          json_pack("{s:s, s:o, s:s, s:s, s:i}", "side",
                                    "inside", "bbox_mm", box_json(m->bbox),
                                    "kind", "circled_number", "text", "",
                                    "candidate", cand));
    add_unique(c->must, "writing_outside_field");
    add_unique(c->cases, "writing_outside");
    add_unique(c->cases, "outside_circled_number");
}

/* Three letters 2 mm high (a capital is 0.7 x the size) in a margin of
 * either side, clear of the corner marks (8-13 mm from the edges). */
static void plan_small_margin(plan_ctx *c, const smp_ballot *b)
{
    static const char *WORDS[] = {"NEI", "JA!", "OK?", "KJN",
                                  "HEI", "ABC", "XYZ", "100"};
    smp_rng *rng = c->rng;
    double pw = smp_ballot_page_w_mm(b);
    int side = smp_rng_chance(rng, 0.7) ? SMP_SIDE_INSIDE : SMP_SIDE_OUTSIDE;
    const char *s = WORDS[smp_rng_int(rng, 8)];
    double x, y;
    const char *where;
    switch (smp_rng_int(rng, 4)) {
    case 0:
        x = smp_rng_range(rng, 1.2, 3.0);
        y = smp_rng_range(rng, 20, 185);
        where = "left";
        break;
    case 1:
        x = smp_rng_range(rng, 20, pw - 30);
        y = smp_rng_range(rng, 4.0, 5.5);
        where = "top";
        break;
    case 2:
        x = pw - smp_rng_range(rng, 6.5, 8.0);
        y = smp_rng_range(rng, 20, 185);
        where = "right";
        break;
    default:
        x = smp_rng_range(rng, 20, pw - 30);
        y = smp_rng_range(rng, 207.0, 208.3);
        where = "bottom";
        break;
    }
    smp_text *t = plan_text(c, side, s, x, y, 2.0 / 0.7,
                            smp_rng_range(rng, -3, 3));
    if (!t)
        return;
    /* a font's strokes scale with its size, a ballpoint's line does not:
     * outlined, 2 mm letters keep a 0.3-0.4 mm line */
    t->stroke_mm = smp_rng_range(rng, 0.15, 0.25);
    json_array_append_new(
        c->outside, json_pack("{s:s, s:o, s:s, s:s, s:s}", "side",
                              smp_side_name(side), "bbox_mm",
                              box_json(t->bbox), "kind", "margin_small",
                              "text", s, "margin", where));
    add_unique(c->must, "writing_outside_field");
    add_unique(c->cases, "writing_outside");
    add_unique(c->cases, "outside_margin_small");
}

/* Personal votes (and a light or marginal mark) on a list ballot. */
static void plan_votes(plan_ctx *c, const smp_ballot *b,
                       const smp_voter_opts *o)
{
    smp_rng *rng = c->rng;
    int n = c->list->n_candidates;
    char used[256] = {0};
    if (n == 0)
        return;
    if (smp_rng_chance(rng, o->p_personal_votes)) {
        int k = 1 + smp_rng_int(rng, n < 5 ? n : 5);
        if (c->mark_styles && k < 3)
            k = n < 3 ? n : 3;
        for (int i = 0; i < k; i++) {
            int cand = 1 + smp_rng_int(rng, n);
            if (cand > 255 || used[cand])
                continue;
            used[cand] = 1;
            const pkg_region *r = find_region(b, SMP_SIDE_INSIDE,
                                              PKG_REGION_VOTE_BOX, cand, NULL);
            /* overshoot first, then the type: the order in which the
             * sample batches were drawn */
            int over = !c->mark_styles && smp_rng_chance(rng, 0.25);
            smp_mark_type t = c->mark_styles ? styles_type(rng)
                                             : clear_type(rng);
            plan_mark(c, r, t, "clear", 1.0, over);
        }
        add_unique(c->cases, "personal_votes");
    }
    if (c->mark_styles) {
        /* a ring round a candidate's printed number instead of a cross in
         * the box: ink outside every field, for a person to judge */
        int cand = 1 + smp_rng_int(rng, n);
        if (cand <= 255 && !used[cand]) {
            used[cand] = 3;
            plan_circle(c, b, cand);
        }
    }
    if (smp_rng_chance(rng, o->p_light)) {
        int cand = 1 + smp_rng_int(rng, n);
        if (cand <= 255 && !used[cand]) {
            used[cand] = 1;
            const pkg_region *r = find_region(b, SMP_SIDE_INSIDE,
                                              PKG_REGION_VOTE_BOX, cand, NULL);
            smp_mark_type t = smp_rng_chance(rng, 0.5) ? SMP_MARK_TICK
                                                       : SMP_MARK_CROSS;
            plan_mark(c, r, t, "light", smp_rng_range(rng, 0.62, 0.72), 0);
            json_array_append_new(c->light, json_integer(cand));
            add_unique(c->cases, "light_mark");
            c->light_any = 1;
        }
    }
    if (smp_rng_chance(rng, o->p_marginal)) {
        int cand = 1 + smp_rng_int(rng, n);
        if (cand <= 255 && !used[cand]) {
            used[cand] = 2;
            const pkg_region *r = find_region(b, SMP_SIDE_INSIDE,
                                              PKG_REGION_VOTE_BOX, cand, NULL);
            if (smp_rng_chance(rng, 0.5)) {
                plan_mark(c, r, SMP_MARK_DOT, "dot", 1.0, 0);
                add_unique(c->cases, "marginal_dot");
            } else {
                plan_mark(c, r, SMP_MARK_ERASED, "erased",
                          smp_rng_range(rng, 0.55, 0.65), 0);
                add_unique(c->cases, "marginal_erased");
            }
            json_array_append_new(c->marginal, json_integer(cand));
            add_unique(c->must, "marginal_mark");
        }
    }
    for (int i = 1; i <= n && i < 256; i++)
        if (used[i] == 1)
            json_array_append_new(c->votes, json_integer(i));
}

/* Write-ins (slengere): candidates of other lists in the table rows. */
static void plan_write_ins(plan_ctx *c, const smp_ballot *b, int too_many)
{
    smp_rng *rng = c->rng;
    /* inside, or on the outside of a ballot for more than 67 members */
    int side = SMP_SIDE_INSIDE;
    const pkg_region *f = find_region(b, side, PKG_REGION_WRITE_IN_FIELD, 0,
                                      NULL);
    if (!f) {
        side = SMP_SIDE_OUTSIDE;
        f = find_region(b, side, PKG_REGION_WRITE_IN_FIELD, 0, NULL);
    }
    /* the other lists that have candidates */
    const pkg_list *others[64];
    int n_others = 0;
    for (int i = 0; i < c->el->n_lists && n_others < 64; i++)
        if (&c->el->lists[i] != c->list && c->el->lists[i].n_candidates > 0)
            others[n_others++] = &c->el->lists[i];
    if (!f || f->n_rows == 0 || n_others == 0)
        return;
    static const char *NOBODY[] = {"KARI NORDMANN", "OLA NORDMANN",
                                   "PETTER SMART"};
    int k = too_many ? f->n_rows + 1 : 1 + smp_rng_int(rng, f->n_rows);
    int overrun = smp_rng_chance(rng, 0.3) ? smp_rng_int(rng, k) : -1;
    if (overrun == f->n_rows)
        overrun = -1;
    for (int i = 0; i < k; i++) {
        /* mostly a candidate of another list; sometimes one of the
         * ballot's own list (ignored in the count) or a name that is no
         * candidate (does not count) */
        const pkg_list *l = others[smp_rng_int(rng, n_others)];
        double v = smp_rng_unit(rng);
        int own = v < 0.08 && c->list && c->list->n_candidates > 0;
        int nobody = !own && v < 0.12;
        if (own)
            l = c->list;
        const pkg_candidate *cand =
            &l->candidates[smp_rng_int(rng, l->n_candidates)];
        char name[128], party[96];
        if (nobody)
            snprintf(name, sizeof name, "%s", NOBODY[smp_rng_int(rng, 3)]);
        else
            upper_utf8(name, sizeof name, cand->name);
        /* some write an initial for the first name: "M. RØNNEBERG" */
        const char *sp = strchr(name, ' ');
        if (!nobody && sp && smp_rng_chance(rng, 0.12)) {
            char init[128];
            int n1 = utf8_len((unsigned char)name[0]);
            snprintf(init, sizeof init, "%.*s.%s", n1, name, sp);
            snprintf(name, sizeof name, "%s", init);
        }
        double pv = smp_rng_unit(rng);
        if (pv < 0.45)
            upper_utf8(party, sizeof party, l->code);
        else if (pv < 0.85)
            upper_utf8(party, sizeof party, l->name);
        else if (pv < 0.95)
            snprintf(party, sizeof party, "%c", l->code[0]);
        else
            party[0] = '\0';
        int row = i < f->n_rows ? i : f->n_rows - 1;
        const pkg_rect_mm *rr = &f->rows[row];
        double size = smp_rng_range(rng, 4.8, 5.6);
        double base = rr->y + rr->h - smp_rng_range(rng, 1.1, 1.7);
        double x = rr->x + smp_rng_range(rng, 1.5, 6.0);
        if (i == overrun) {
            size = smp_rng_range(rng, 7.8, 8.8);
            base = rr->y + rr->h + smp_rng_range(rng, 0.6, 1.4);
            add_unique(c->cases, "write_in_overrun_row");
        }
        if (i == f->n_rows) {
            /* the one too many, squeezed small into the last row's right */
            size = 3.6;
            base = rr->y + 3.4;
            x = rr->x + 50.0;
            add_unique(c->cases, "write_in_squeezed");
        }
        double ang = smp_rng_range(rng, -2.5, 2.5);
        smp_text *tn = plan_text(c, side, name, x, base, size, ang);
        smp_text *tp = NULL;
        if (i < f->n_rows) {
            double px = rr->x + 89.0 + smp_rng_range(rng, 1, 4);
            tp = plan_text(c, side, party, px, base, size * 0.9, ang);
            /* a name too long for the party column: the voter writes the
             * list's code instead */
            if (tp && tp->n_glyphs &&
                tp->bbox[0] + tp->bbox[2] > f->rect.x + f->rect.w - 0.5) {
                c->sh->n_texts--;
                upper_utf8(party, sizeof party, l->code);
                tp = plan_text(c, side, party, px, base, size * 0.9, ang);
            }
        }
        if (!tn)
            break;
        json_t *o = json_pack("{s:s, s:s}", "name", name, "party", party);
        json_object_set_new(o, "list",
                            nobody ? json_null() : json_string(l->code));
        json_object_set_new(o, "candidate",
                            nobody ? json_null() : json_integer(cand->no));
        json_object_set_new(o, "candidate_name", nobody
                                                     ? json_null()
                                                     : json_string(cand->name));
        /* counts: moves a list vote and gives a personal vote */
        json_object_set_new(o, "counts", json_boolean(!own && !nobody));
        if (own)
            add_unique(c->cases, "write_in_own_list");
        if (nobody)
            add_unique(c->cases, "write_in_not_a_candidate");
        if (tp && tp->n_glyphs)
            json_object_set_new(o, "party_bbox_mm", box_json(tp->bbox));
        json_object_set_new(o, "row", i < f->n_rows ? json_integer(i + 1)
                                                    : json_null());
        json_object_set_new(o, "bbox_mm", box_json(tn->bbox));
        json_array_append_new(c->wi, o);
    }
    add_unique(c->must, "writing_in_field");
    add_unique(c->cases, "write_in");
    if (too_many) {
        add_unique(c->must, "too_many_write_ins");
        add_unique(c->cases, "too_many_write_ins");
    }
}

/* A party name written into the list_write_field. */
static const char *plan_list_written(plan_ctx *c, const smp_ballot *b)
{
    static const char *NAMES[] = {"Høyre", "Ap", "Senterpartiet", "SP",
                                  "Bygdelista", "MDG", "Venstre"};
    const pkg_region *f = find_region(b, SMP_SIDE_INSIDE,
                                      PKG_REGION_LIST_WRITE_FIELD, 0, NULL);
    const char *s = NAMES[smp_rng_int(c->rng, 7)];
    if (!f)
        return s;
    plan_text(c, SMP_SIDE_INSIDE, s, f->rect.x + smp_rng_range(c->rng, 4, 30),
              f->rect.y + f->rect.h * 0.72, smp_rng_range(c->rng, 7, 9),
              smp_rng_range(c->rng, -4, 4));
    add_unique(c->must, "list_written");
    return s;
}

int smp_voter_plan(smp_sheet *sh, smp_ballot *const *ballots, int n,
                   const pkg_package *pkg, const char *election,
                   const smp_voter_opts *opts, smp_rng *rng, cairo_t *scratch)
{
    smp_voter_opts o = SMP_VOTER_OPTS_INIT;
    if (opts)
        o = *opts;
    memset(sh, 0, sizeof *sh);
    sh->pen_alpha = 1.0;
    /* the pen's damage kinds come from a stream of their own, so the main
     * stream (and every sheet without damage) stays as it was */
    smp_rng drng = *rng;
    smp_rng_seed(&drng, smp_rng_u64(&drng) ^ 0x70E9DA3A6E5EEDull);
    int d_pencil = o.p_pencil > 0 && smp_rng_chance(&drng, o.p_pencil);
    int d_red = !d_pencil && o.p_red_pen > 0 &&
                smp_rng_chance(&drng, o.p_red_pen);
    /* pale strokes of a pencil or red pen would fall below a bitonal
     * scanner's threshold: light pressure is a blue or black pen's */
    int d_light = o.p_pressure_light > 0 &&
                  smp_rng_chance(&drng, o.p_pressure_light) && !d_pencil &&
                  !d_red;
    int d_heavy = !d_light && o.p_pressure_heavy > 0 &&
                  smp_rng_chance(&drng, o.p_pressure_heavy);
    int d_styles = o.p_mark_styles > 0 &&
                   smp_rng_chance(&drng, o.p_mark_styles);
    int d_small = o.p_small_margin > 0 &&
                  smp_rng_chance(&drng, o.p_small_margin);
    int d_hands = o.p_hands > 0 && smp_rng_chance(&drng, o.p_hands);
    /* candidates: the box's own list ballots, blank, all-lists, others */
    int own[64], nown = 0, blank = -1, all = -1, other[64], nother = 0;
    for (int i = 0; i < n; i++) {
        const pkg_style *st = smp_ballot_style(ballots[i]);
        if (strcmp(st->election, election) != 0) {
            if (st->kind == PKG_STYLE_LIST && nother < 64)
                other[nother++] = i;
        } else if (st->kind == PKG_STYLE_LIST) {
            if (nown < 64)
                own[nown++] = i;
        } else if (st->kind == PKG_STYLE_BLANK) {
            blank = i;
        } else {
            all = i;
        }
    }
    if (nown == 0)
        return err_set(TELLE_EINVAL, "no list ballot of election %s",
                       election);
    double u = smp_rng_unit(rng);
    int pick;
    if (blank >= 0 && u < o.p_blank_style)
        pick = blank;
    else if (all >= 0 && u < o.p_blank_style + o.p_all_lists_style)
        pick = all;
    else if (nother && u < o.p_blank_style + o.p_all_lists_style +
                               o.p_wrong_election)
        pick = other[smp_rng_int(rng, nother)];
    else
        pick = own[smp_rng_int(rng, nown)];
    const smp_ballot *b = ballots[pick];
    const pkg_style *st = smp_ballot_style(b);
    sh->ballot = b;

    int nf;
    smp_hand_fonts(&nf);
    sh->font = smp_rng_int(rng, nf);
    if (d_hands)
        sh->font = N_BASE_FONTS + smp_rng_int(&drng, N_ALL_FONTS - N_BASE_FONTS);
    int blue = smp_rng_chance(rng, 0.7);
    sh->pen_colour = blue ? "blue" : "black";
    if (blue)
        sh->pen_rgb[0] = 0.10, sh->pen_rgb[1] = 0.16, sh->pen_rgb[2] = 0.58;
    else
        sh->pen_rgb[0] = sh->pen_rgb[1] = sh->pen_rgb[2] = 0.08;

    plan_ctx c = {0};
    c.sh = sh;
    c.pkg = pkg;
    c.el = pkg_election_find(pkg, st->election);
    c.list = st->kind == PKG_STYLE_LIST ? pkg_list_find(c.el, st->list) : NULL;
    c.rng = rng;
    c.scratch = scratch;
    c.family = HAND_FONTS[sh->font].family;
    c.pen_w = smp_rng_range(rng, 0.45, 0.7);
    c.must = json_array();
    c.cases = json_array();
    if (d_pencil) {
        sh->pen_colour = "pencil";
        sh->pen_rgb[0] = sh->pen_rgb[1] = 0.32, sh->pen_rgb[2] = 0.34;
        sh->pen_alpha = smp_rng_range(&drng, 0.8, 0.9);
        c.pen_w = smp_rng_range(&drng, 0.35, 0.55);
        add_unique(c.cases, "damage_pencil");
    } else if (d_red) {
        sh->pen_colour = "red";
        sh->pen_rgb[0] = 0.80, sh->pen_rgb[1] = 0.08, sh->pen_rgb[2] = 0.10;
        add_unique(c.cases, "damage_red_pen");
    }
    if (d_light) {
        /* pale enough to look light, dark enough that a 140 threshold on
         * pink paper keeps the stroke's core (0.58 x blue: luma ~125) */
        sh->pen_alpha *= smp_rng_range(&drng, 0.58, 0.68);
        c.pen_w = smp_rng_range(&drng, 0.26, 0.34);
        c.light_pen = 1;
        add_unique(c.cases, "damage_light_pressure");
    } else if (d_heavy) {
        c.pen_w = smp_rng_range(&drng, 0.9, 1.3);
        sh->text_stroke_mm = smp_rng_range(&drng, 0.25, 0.45);
        sh->show_through = smp_rng_range(&drng, 0.2, 0.4);
        add_unique(c.cases, "damage_heavy_pressure");
    }
    if (d_styles) {
        c.mark_styles = 1;
        add_unique(c.cases, "damage_mark_styles");
    }
    if (d_hands)
        add_unique(c.cases, "damage_hands");
    /* a pen kind with nothing drawn shows nothing: such a voter marks
     * candidates */
    smp_voter_opts vo = o;
    if (d_pencil || d_red || d_light || d_heavy || d_styles)
        vo.p_personal_votes = 1.0;
    /* another hand shows in writing: such a voter writes candidates in */
    if (d_hands)
        vo.p_write_in = 1.0;
    c.marks = json_array();
    c.votes = json_array();
    c.marginal = json_array();
    c.light = json_array();
    c.wi = json_array();
    c.outside = json_array();
    json_t *marked_lists = NULL;
    const char *written = NULL;
    const char *expected = "approved";
    const char *list_code = st->list;
    int wrong = strcmp(st->election, election) != 0;

    if (st->kind == PKG_STYLE_LIST) {
        plan_votes(&c, b, &vo);
        if (!wrong && c.el->type == PKG_KOMMUNESTYREVALG) {
            if (smp_rng_chance(rng, o.p_too_many))
                plan_write_ins(&c, b, 1);
            else if (smp_rng_chance(rng, vo.p_write_in))
                plan_write_ins(&c, b, 0);
        }
        if (smp_rng_chance(rng, o.p_outside)) {
            plan_outside(&c, b);
            if (smp_rng_chance(rng, 0.3))
                plan_outside(&c, b);
        }
        if (d_small) {
            plan_small_margin(&c, b);
            add_unique(c.cases, "damage_small_margin");
        }
        if (wrong) {
            add_unique(c.must, "wrong_election");
            add_unique(c.cases, "wrong_election");
        }
    } else if (st->kind == PKG_STYLE_BLANK) {
        list_code = NULL;
        if (smp_rng_chance(rng, 0.5)) {
            written = plan_list_written(&c, b);
            add_unique(c.cases, "blank_list_written");
        } else {
            expected = "blank";
            add_unique(c.cases, "blank_unmarked");
        }
    } else {
        list_code = NULL;
        marked_lists = json_array();
        double v = smp_rng_unit(rng);
        int nl = c.el->n_lists;
        if (nl > 0 && (v < 0.45 || (v < 0.6 && nl > 1))) {
            int k = v < 0.45 ? 1 : 2;
            int first = smp_rng_int(rng, nl);
            for (int i = 0; i < k; i++) {
                int step = i * (1 + smp_rng_int(rng, nl - 1));
                const pkg_list *l = &c.el->lists[(first + step) % nl];
                const pkg_region *r = find_region(b, SMP_SIDE_INSIDE,
                                                  PKG_REGION_VOTE_BOX, 0,
                                                  l->code);
                plan_mark(&c, r, clear_type(rng), "clear", 1.0,
                          smp_rng_chance(rng, 0.3));
                json_array_append_new(marked_lists, json_string(l->code));
            }
            if (k == 1) {
                list_code = json_string_value(json_array_get(marked_lists, 0));
                add_unique(c.cases, "all_lists_one");
            } else {
                add_unique(c.must, "multiple_lists");
                add_unique(c.cases, "all_lists_two");
            }
        } else if (v < 0.8) {
            written = plan_list_written(&c, b);
            add_unique(c.cases, "all_lists_written");
        } else {
            expected = "blank";
            add_unique(c.cases, "all_lists_none");
        }
    }

    /* the stamp, on the outside */
    const pkg_region *sf = find_region(b, SMP_SIDE_OUTSIDE,
                                       PKG_REGION_STAMP_FIELD, 0, NULL);
    json_t *stamp_info = json_null();
    int stamp = sf != NULL && !smp_rng_chance(rng, o.p_missing_stamp);
    if (sf && !stamp) {
        add_unique(c.must, "missing_stamp");
        add_unique(c.cases, "missing_stamp");
    }
    if (stamp) {
        int faint = smp_rng_chance(rng, o.p_faint_stamp);
        int over = smp_rng_chance(rng, o.p_overhang_stamp);
        double overhang;
        stamp_plan(&sh->stamp, sf, faint, over, rng, &overhang);
        upper_utf8(sh->stamp.text, sizeof sh->stamp.text, pkg->area_name);
        if (faint)
            add_unique(c.cases, "stamp_faint");
        if (over)
            add_unique(c.cases, "stamp_overhang");
        stamp_info = json_pack(
            "{s:s, s:f, s:s, s:f, s:f, s:b, s:o, s:f}", "shape",
            sh->stamp.circle ? "circle" : "rect", "size_mm",
            smp_round2(sh->stamp.size_mm), "color",
            stamp_colour_name(&sh->stamp), "strength",
            smp_round2(sh->stamp.strength), "angle",
            smp_round2(sh->stamp.angle_deg), "faint", faint, "bbox_mm",
            box_json(sh->stamp.bbox), "overhang_mm", overhang);
    }

    if (json_array_size(c.must) > 0)
        expected = "review";
    if (st->kind == PKG_STYLE_LIST && sh->n_marks == 0 && sh->n_texts == 0)
        add_unique(c.cases, "clean");
    json_t *acceptable = json_array();
    json_array_append_new(acceptable, json_string(expected));
    if (strcmp(expected, "review") != 0 && c.light_any)
        json_array_append_new(acceptable, json_string("review"));
    static const char *KIND[] = {"list", "all_lists", "blank"};
    json_t *t = json_object();
    json_object_set_new(t, "election", json_string(st->election));
    json_object_set_new(t, "style", json_string(st->id));
    json_object_set_new(t, "list", list_code ? json_string(list_code)
                                             : json_null());
    json_object_set_new(t, "kind", json_string(KIND[st->kind]));
    json_object_set_new(t, "expected", json_string(expected));
    json_object_set_new(t, "must_review", c.must);
    json_object_set_new(t, "acceptable", acceptable);
    json_object_set_new(t, "personal_votes", c.votes);
    json_object_set_new(t, "marginal_boxes", c.marginal);
    json_object_set_new(t, "write_ins_in_field", c.wi);
    json_object_set_new(t, "writing_outside", c.outside);
    json_object_set_new(t, "stamp", sf ? json_boolean(stamp) : json_null());
    json_object_set_new(t, "cases", c.cases);
    json_object_set_new(t, "light_boxes", c.light);
    json_object_set_new(t, "marks", c.marks);
    json_object_set_new(t, "stamp_info", stamp_info);
    if (written)
        json_object_set_new(t, "list_written", json_string(written));
    if (marked_lists)
        json_object_set_new(t, "marked_lists", marked_lists);
    json_t *pen = json_pack("{s:s, s:s}", "font", HAND_FONTS[sh->font].file,
                            "color", sh->pen_colour);
    if (d_pencil || d_red || d_light || d_heavy) {
        json_object_set_new(pen, "alpha",
                            json_real(smp_round2(sh->pen_alpha)));
        json_object_set_new(pen, "width_mm", json_real(smp_round2(c.pen_w)));
    }
    if (d_heavy) {
        json_object_set_new(pen, "text_stroke_mm",
                            json_real(smp_round2(sh->text_stroke_mm)));
        json_object_set_new(pen, "show_through",
                            json_real(smp_round2(sh->show_through)));
    }
    json_object_set_new(t, "pen", pen);
    sh->truth = t;
    return 0;
}

void smp_voter_draw_pen(const smp_sheet *sh, cairo_t *cr, int side,
                        double alpha)
{
    for (int i = 0; i < sh->n_marks; i++)
        if (sh->marks[i].side == side)
            mark_draw(&sh->marks[i], cr, sh->pen_rgb, sh->pen_alpha * alpha);
    for (int i = 0; i < sh->n_texts; i++)
        if (sh->texts[i].side == side)
            hand_draw(&sh->texts[i], cr, HAND_FONTS[sh->font].family,
                      sh->pen_rgb, sh->pen_alpha * alpha,
                      fmax(sh->text_stroke_mm, sh->texts[i].stroke_mm));
}

void smp_voter_draw(const smp_sheet *sh, cairo_t *cr, int side)
{
    smp_voter_draw_pen(sh, cr, side, 1.0);
    if (side == SMP_SIDE_OUTSIDE && sh->stamp.present) {
        stamp_draw(&sh->stamp, cr, sh->stamp.text);
    }
}

void smp_sheet_clear(smp_sheet *sh)
{
    json_decref(sh->truth);
    sh->truth = NULL;
}
