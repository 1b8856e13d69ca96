/* ballot_draw.c - drawn ballots and simulated scans for the recognition
 * tests (see ballot_draw.h). */
#include "tests/recognition/ballot_draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const pkg_side *side_of(const pkg_package *pkg, const char *style, const char *side)
{
    const pkg_style *st = pkg_style_find(pkg, style);
    if (!st)
        return NULL;
    for (int i = 0; i < st->n_sides; i++)
        if (strcmp(st->sides[i].name, side) == 0)
            return &st->sides[i];
    return NULL;
}

drawing draw_begin(const pkg_package *pkg, const char *style, const char *side)
{
    drawing d = {NULL, pkg_style_find(pkg, style)->dpi};
    img_to_gray(&d.im, side_of(pkg, style, side)->image);
    return d;
}

static void plot(drawing *d, int x, int y, int level)
{
    if (x < 0 || y < 0 || x >= img_width(d->im) || y >= img_height(d->im))
        return;
    uint8_t *p = img_row_mut(d->im, y) + x;
    if (*p > level)
        *p = (uint8_t)level;
}

void draw_disc(drawing *d, double cx, double cy, double r_mm, int level)
{
    double k = d->dpi / 25.4;
    double r = r_mm * k;
    int x0 = (int)floor(cx * k - r), x1 = (int)ceil(cx * k + r);
    int y0 = (int)floor(cy * k - r), y1 = (int)ceil(cy * k + r);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            if (hypot(x - cx * k, y - cy * k) <= r)
                plot(d, x, y, level);
}

void draw_line(drawing *d, double x0, double y0, double x1, double y1, double width_mm,
               int level)
{
    double len = hypot(x1 - x0, y1 - y0);
    int steps = (int)ceil(len / 0.05) + 1;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        draw_disc(d, x0 + t * (x1 - x0), y0 + t * (y1 - y0), width_mm / 2, level);
    }
}

pkg_rect_mm draw_box_of(const pkg_package *pkg, const char *style, int candidate,
                        const char *list)
{
    const pkg_style *st = pkg_style_find(pkg, style);
    pkg_rect_mm none = {0, 0, 0, 0};
    for (int s = 0; s < st->n_sides; s++)
        for (int i = 0; i < st->sides[s].n_regions; i++) {
            const pkg_region *r = &st->sides[s].regions[i];
            if (r->type != PKG_REGION_VOTE_BOX)
                continue;
            if ((candidate > 0 && r->candidate == candidate) ||
                (list && r->list && strcmp(r->list, list) == 0))
                return r->rect;
        }
    return none;
}

const pkg_region *draw_region(const pkg_package *pkg, const char *style, const char *side,
                              pkg_region_type type)
{
    const pkg_side *sd = side_of(pkg, style, side);
    for (int i = 0; sd && i < sd->n_regions; i++)
        if (sd->regions[i].type == type)
            return &sd->regions[i];
    return NULL;
}

void draw_cross(drawing *d, const pkg_package *pkg, const char *style, int candidate,
                const char *list)
{
    pkg_rect_mm b = draw_box_of(pkg, style, candidate, list);
    double m = 0.4;
    draw_line(d, b.x + m, b.y + m, b.x + b.w - m, b.y + b.h - m, 0.45, 30);
    draw_line(d, b.x + b.w - m, b.y + m, b.x + m, b.y + b.h - m, 0.45, 30);
}

void draw_scribble(drawing *d, double x, double y, double w, double h)
{
    int strokes = (int)(w / 1.6);
    if (strokes < 2)
        strokes = 2;
    double step = w / strokes;
    for (int i = 0; i < strokes; i++) {
        double xa = x + i * step, xb = xa + step;
        double ya = (i % 2) ? y : y + h, yb = (i % 2) ? y + h : y;
        draw_line(d, xa, ya, xb, yb, 0.4, 40);
    }
    draw_line(d, x, y + h * 0.55, x + w * 0.8, y + h * 0.5, 0.4, 40);
}

void draw_stamp(drawing *d, double cx, double cy)
{
    const double r = 11.0;
    for (int i = 0; i < 360; i += 2) {
        double a = i * M_PI / 180.0, b = (i + 2) * M_PI / 180.0;
        draw_line(d, cx + r * cos(a), cy + r * sin(a), cx + r * cos(b), cy + r * sin(b), 0.7, 70);
    }
    draw_scribble(d, cx - 7, cy - 2, 14, 4);
}

img *draw_scan(const drawing *d, const scan_look *look)
{
    const int W = 2402, H = 1732;
    img *out = NULL;
    img_new(&out, W, H, 1, 8);
    img_set_dpi(out, d->dpi, d->dpi);
    int sw = img_width(d->im), sh = img_height(d->im);
    double k = d->dpi / 25.4;
    double a = look->angle_deg * M_PI / 180.0, ca = cos(a), sa = sin(a);
    /* The paper lies on the bed with its top-left at (30, 40) px plus the
     * shift, turned about its centre; nearest neighbour is enough here. */
    double ox = 30 + look->dx_mm * k, oy = 40 + look->dy_mm * k;
    double cx = sw / 2.0, cy = sh / 2.0;
    for (int y = 0; y < H; y++) {
        uint8_t *row = img_row_mut(out, y);
        for (int x = 0; x < W; x++) {
            double u = x - ox - cx, v = y - oy - cy;
            double su = ca * u + sa * v + cx, sv = -sa * u + ca * v + cy;
            if (look->turned) {
                su = sw - 1 - su;
                sv = sh - 1 - sv;
            }
            int iu = (int)lround(su), iv = (int)lround(sv);
            row[x] = (iu >= 0 && iv >= 0 && iu < sw && iv < sh) ? img_row(d->im, iv)[iu] : 250;
        }
    }
    unsigned seed = 12345;
    for (int i = 0; i < look->noise_specks; i++) {
        seed = seed * 1103515245u + 12345u;
        int x = (int)((seed >> 8) % (unsigned)W);
        seed = seed * 1103515245u + 12345u;
        int y = (int)((seed >> 8) % (unsigned)H);
        img_row_mut(out, y)[x] = 0;
    }
    if (!look->bitonal)
        return out;
    img *bw = NULL;
    img_new(&bw, W, H, 1, 1);
    img_set_dpi(bw, d->dpi, d->dpi);
    for (int y = 0; y < H; y++) {
        const uint8_t *g = img_row(out, y);
        uint8_t *b = img_row_mut(bw, y);
        for (int x = 0; x < W; x++)
            if (g[x] < 128)
                b[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
    }
    img_free(out);
    return bw;
}

void draw_end(drawing *d)
{
    img_free(d->im);
    d->im = NULL;
}
