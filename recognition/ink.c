/* ink.c - every piece of ink the printed ballot does not explain, sorted
 * into vote-box marks, the stamp and writing: rec_ink_analyse,
 * rec_side_result_release.
 *
 * 1. The page is warped into the reference frame by its registration.
 * 2. Page ink is what is darker than WRITING_INK_FRACTION of the paper
 *    level. The reference explains it within the print tolerance (print
 *    and scan never match to the pixel) of real print; near light print
 *    only (the outside's pattern) it explains ink no darker than that print
 *    (REC_PRINT_FRACTION, REC_EXPLAIN_DELTA in recognition_internal.h), so
 *    the pen stroke on the pattern is writing.
 * 3. The rest is split into 8-connected components:
 *    - a component touching a vote box (grown by the overshoot margin) and
 *      staying close to it is that box's mark;
 *    - a component touching the stamp field is stamp, overhang included;
 *    - everything else is writing. Writing components closer than
 *      GROUP_MM are one entry; an entry with less ink than
 *      writing_min_ink_mm2 is scanner noise or dust. Anything more reaches
 *      a person: a single handwritten letter carries several times that.
 * 4. A vote box's score is the share of its unexplained interior that is
 *    inked, and its extent how far the mark's components reach over the
 *    box's size (a dot is compact, a cross or tick spans the box). The stamp is judged against the page's own noise: isolated
 *    specks elsewhere on the side tell how many noise pixels the stamp zone
 *    would hold by chance. */
#include "recognition/recognition_internal.h"

#include "core/error.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Page ink for writing: darker than 75 % of the paper (blue and black pen
 * on any paper tint; a faint pencil line in a gray scan too). */
#define WRITING_INK_FRACTION 75
/* In a gray or colour scan, a mark's ink darker than 40 % of the paper is
 * pen pressed on paper; an erased or faint trace (60 % and lighter of the
 * pen's darkness) stays above. */
#define MARK_DARK_FRACTION 40
/* A mark may overshoot its box by this much and still be the box's mark;
 * a component reaching further than OVERSHOOT_MAX_MM beyond the box is
 * writing that happens to touch it. */
#define OVERSHOOT_MM 1.0
#define OVERSHOOT_MAX_MM 3.0
/* A piece of a mark smaller than this (~9 px at 200 dpi) does not count
 * towards how far the mark reaches: scanner noise, not a stroke. */
#define MARK_PIECE_MM2 0.15
/* Components whose boxes come closer than this belong to one entry: the
 * gap between handwritten letters and words of one name. */
#define GROUP_MM 2.0
/* A fold crease: within CREASE_NEAR_MM of the fold axis, at most
 * CREASE_MAX_WIDTH_MM thick and at least CREASE_MIN_LENGTH_MM long; or a
 * hairline (at most CREASE_HAIR_MM: finer than a pen's stroke, ~0.5 mm)
 * at least CREASE_HAIR_LENGTH_MM long, where a crease breaks into short
 * dashes. A letter on the fold is thicker, and its neighbours are not
 * thin at all: a word stays writing. */
#define CREASE_NEAR_MM 3.0
#define CREASE_MAX_WIDTH_MM 1.0
#define CREASE_MIN_LENGTH_MM 5.0
#define CREASE_HAIR_MM 0.4
#define CREASE_HAIR_LENGTH_MM 2.5
/* In gray and colour, a thin dash along the fold at least this long whose
 * ink is nowhere as dark as pen is the crease's shadow (is_crease). */
#define CREASE_SHADOW_LENGTH_MM 1.0
/* Components of at most this many pixels are specks: noise or a faint
 * stamp's dots. */
#define SPECK_PX 2
/* The stamp zone is the stamp field grown by this much. */
#define STAMP_ZONE_MM 2.0
/* Stamps are set down partly outside the field. Ink touching the field
 * that stays within STAMP_REACH_MM of it may be stamp; so may ink reaching
 * further when it is stamp-shaped (STAMP_MIN_MM to STAMP_MAX_MM each way:
 * stamps are 25-40 mm, turned any way; a line of writing is not that tall)
 * and at least STAMP_IN_ZONE_PCT % of its ink lies in the zone (writing
 * that starts at the field runs away from it). */
#define STAMP_REACH_MM 12.0
#define STAMP_MIN_MM 15.0
#define STAMP_MAX_MM 50.0
#define STAMP_IN_ZONE_PCT 40
/* A faint stamp breaks into pieces: a piece no larger than STAMP_PIECE_MM
 * each way (a written name is longer) within STAMP_GAP_MM of the stamp's
 * ink, inside the reach, belongs to it. */
#define STAMP_GAP_MM 6.0
#define STAMP_PIECE_MM 10.0
/* Least stamp ink, in pixels beyond what noise explains, to call a stamp:
 * a faint stamp in a bitonal scan leaves a few dozen dots; a clean field
 * none. */
#define STAMP_MIN_PX 8
/* In gray and colour scans a stamp may be lighter than ink: a pixel at
 * least this many levels darker than the paper counts as stamp tone, and
 * this much tone (~2.4 mm^2 at 200 dpi) is a stamp. */
#define STAMP_TONE_DELTA 30
#define STAMP_TONE_MIN_PX 150

typedef struct {
    int x0, y0, x1, y1; /* half-open px box */
} box;

static box rect_px(const pkg_rect_mm *r, double dpi, double grow_mm)
{
    box b;
    b.x0 = (int)floor(pkg_mm_to_px(r->x - grow_mm, dpi));
    b.y0 = (int)floor(pkg_mm_to_px(r->y - grow_mm, dpi));
    b.x1 = (int)ceil(pkg_mm_to_px(r->x + r->w + grow_mm, dpi));
    b.y1 = (int)ceil(pkg_mm_to_px(r->y + r->h + grow_mm, dpi));
    return b;
}

static box clip(box b, int w, int h)
{
    if (b.x0 < 0) b.x0 = 0;
    if (b.y0 < 0) b.y0 = 0;
    if (b.x1 > w) b.x1 = w;
    if (b.y1 > h) b.y1 = h;
    if (b.x1 < b.x0) b.x1 = b.x0;
    if (b.y1 < b.y0) b.y1 = b.y0;
    return b;
}

static bool overlaps(box a, box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static bool inside(box inner, box outer)
{
    return inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 &&
           inner.y1 <= outer.y1;
}

static box comp_box(const rec_component *c)
{
    box b = {c->x, c->y, c->x + c->w, c->y + c->h};
    return b;
}

static int find(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Counts write-in entries in one field. Each printed row holding writing
 * is one entry (a name and its party); writing between or below the rows
 * makes further entries, one per line (components whose vertical extents
 * overlap by half the smaller height share a line). Components are placed,
 * not entries, because a tall hand joins neighbouring rows into one entry. */
static int count_entries(const rec_component *comps, int n, const int *kind, int *parent,
                         const bool *in_field, const pkg_region *field, double dpi)
{
    bool used[64] = {false};
    int n_rows = field->n_rows < 64 ? field->n_rows : 64;
    int *loose = malloc(sizeof *loose * (size_t)(n + 1));
    int *lp = malloc(sizeof *lp * (size_t)(n + 1));
    if (!loose || !lp) {
        free(loose);
        free(lp);
        return 0;
    }
    int k = 0;
    for (int c = 0; c < n; c++) {
        if (kind[c] != 0 || comps[c].area <= SPECK_PX || !in_field[find(parent, c)])
            continue;
        double cy = comps[c].y + comps[c].h / 2.0;
        int row = -1;
        for (int r = 0; r < n_rows && row < 0; r++) {
            box rb = rect_px(&field->rows[r], dpi, 0);
            if (cy >= rb.y0 && cy < rb.y1)
                row = r;
        }
        if (row >= 0)
            used[row] = true;
        else
            loose[k++] = c;
    }
    for (int i = 0; i < k; i++)
        lp[i] = i;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            const rec_component *a = &comps[loose[i]], *b = &comps[loose[j]];
            int top = a->y > b->y ? a->y : b->y;
            int bot = (a->y + a->h) < (b->y + b->h) ? a->y + a->h : b->y + b->h;
            int minh = a->h < b->h ? a->h : b->h;
            if (2 * (bot - top) >= minh) {
                int ra = find(lp, i), rb = find(lp, j);
                if (ra != rb)
                    lp[ra] = rb;
            }
        }
    int entries = 0;
    for (int r = 0; r < n_rows; r++)
        entries += used[r];
    for (int i = 0; i < k; i++)
        entries += find(lp, i) == i;
    free(loose);
    free(lp);
    return entries;
}

/* A box of ink at most max_width_mm thick and at least min_length_mm long
 * along a fold axis (the middle of the sheet, either way), within
 * CREASE_NEAR_MM of it. */
static bool along_fold(const pkg_style *st, double dpi, box b, double max_width_mm,
                       double min_length_mm)
{
    double fold_x = pkg_mm_to_px(st->page_w_mm / 2, dpi);
    double fold_y = pkg_mm_to_px(st->page_h_mm / 2, dpi);
    double near_fold = pkg_mm_to_px(CREASE_NEAR_MM, dpi);
    double thin = pkg_mm_to_px(max_width_mm, dpi);
    double length = pkg_mm_to_px(min_length_mm, dpi);
    int w = b.x1 - b.x0, h = b.y1 - b.y0;
    bool vertical = w <= thin && h >= length && fabs((b.x0 + b.x1) / 2.0 - fold_x) <= near_fold;
    bool horizontal = h <= thin && w >= length && fabs((b.y0 + b.y1) / 2.0 - fold_y) <= near_fold;
    return vertical || horizontal;
}

typedef struct {
    const rec_ref *ref;
    int width, height;
    double dpi;
    rec_buf warped; /* page gray in the reference frame (not made for a
                       bitonal page read from its bits) */
    rec_buf resid;  /* 255: page ink the reference does not explain */
    const rec_buf *darkest; /* the reference's darkest print nearby */
    int print_level;        /* darkest print below this: a printed line */
} work;

static void work_release(work *w)
{
    rec_buf_free(&w->warped);
    rec_buf_free(&w->resid);
}

/* n (1..32) pixels of a packed row from pixel x on, the first in the
 * highest place of the result; pixels past the row's nbytes read as 0. */
static inline uint32_t bits_at(const uint8_t *row, size_t nbytes, int x, int n)
{
    size_t i = (size_t)x >> 3;
    uint64_t acc = 0;
    if (i + 8 <= nbytes) {
        memcpy(&acc, row + i, 8);
        acc = __builtin_bswap64(acc); /* the row's first byte on top */
    } else {
        for (size_t k = 0; k < 8; k++)
            acc = (acc << 8) | (i + k < nbytes ? row[i + k] : 0u);
    }
    return (uint32_t)((acc >> (64 - (x & 7) - n)) & ((1ull << n) - 1));
}

/* The n low bits of v in reverse order. */
static inline uint32_t reverse_bits(uint32_t v, int n)
{
    v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
    v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
    v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
    v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
    v = (v >> 16) | (v << 16);
    return v >> (32 - n);
}

static inline bool bit_of(const rec_bits *b, int64_t x, int64_t y)
{
    return x >= 0 && y >= 0 && x < b->width && y < b->height &&
           (b->data[(size_t)y * b->stride + (size_t)(x >> 3)] >> (7 - (x & 7))) & 1;
}

/* The first k in (k, n) at which floor((v0 + k * slope) / 2^32) differs
 * from its value at k, or n. */
static int next_step(int64_t v0, int64_t slope, int k, int n)
{
    if (slope == 0)
        return n;
    const int64_t unit = INT64_C(1) << 32;
    int64_t v = v0 + k * slope;
    int64_t cur = v >> 32; /* floor: GCC and Clang shift right arithmetically */
    int64_t need; /* how far v must move to leave cur */
    if (slope > 0)
        need = (cur + 1) * unit - v;
    else
        need = v - cur * unit + 1;
    int64_t step = slope > 0 ? slope : -slope;
    int64_t dk = (need + step - 1) / step;
    return dk >= n - k ? n : k + (int)dk;
}

/* The page ink at the n (1..32) reference pixels of a chunk whose first
 * pixel maps to fixed-point page position (xs, ys), each next one (ax, bx)
 * further: bit n - 1 - k of the result for pixel k. The chunk is cut where
 * the page row changes or the page column stops moving by exactly one a
 * pixel; each piece is one stretch of one page row, read as a word. */
static uint32_t page_ink_run(const rec_bits *src, int64_t xs, int64_t ys, int64_t ax,
                             int64_t bx, int n)
{
    const int64_t unit = INT64_C(1) << 32;
    int dir = ax >= 0 ? 1 : -1;            /* a turned page runs backwards */
    int64_t drift = ax - dir * unit;        /* how X strays from one a pixel */
    size_t nbytes = ((size_t)src->width + 7) / 8;
    uint32_t ink = 0;
    for (int k = 0; k < n;) {
        int k2 = next_step(ys, bx, k, n);
        int kx = next_step(xs, drift, k, n);
        if (kx < k2)
            k2 = kx;
        int len = k2 - k;
        int64_t iy = (ys + k * bx) >> 32;
        int64_t ix = (xs + k * ax) >> 32;           /* page column of pixel k */
        int64_t lo = dir > 0 ? ix : ix - (len - 1); /* leftmost page column */
        uint32_t got = 0;
        if (iy >= 0 && iy < src->height && lo >= 0 && lo + len <= src->width) {
            got = bits_at(src->data + (size_t)iy * src->stride, nbytes, (int)lo, len);
            if (dir < 0)
                got = reverse_bits(got, len);
        } else if (iy >= 0 && iy < src->height && lo + len > 0 && lo < src->width) {
            for (int j = 0; j < len; j++)
                if (bit_of(src, ix + dir * j, iy))
                    got |= 1u << (len - 1 - j);
        }
        ink |= got << (n - k2);
        k = k2;
    }
    return ink;
}

/* True when the page holds no ink at all in the rows and columns a chunk
 * from (xs, ys) to (xe, ye) (fixed point) reads: no need to read it. */
static bool bare_paper(const rec_page *v, int64_t xs, int64_t ys, int64_t xe, int64_t ye)
{
    int64_t x0 = xs >> 32, x1 = xe >> 32, y0 = ys >> 32, y1 = ye >> 32;
    if (x0 > x1) { int64_t t = x0; x0 = x1; x1 = t; }
    if (y0 > y1) { int64_t t = y0; y0 = y1; y1 = t; }
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 >= v->bits.width) x1 = v->bits.width - 1;
    if (y1 >= v->bits.height) y1 = v->bits.height - 1;
    if (x0 > x1 || y0 > y1)
        return true;
    int64_t g0 = x0 >> 5, g1 = x1 >> 5;
    for (int64_t y = y0; y <= y1; y++) {
        const uint64_t *g = v->groups + (size_t)y * (size_t)v->group_words;
        for (int64_t k = g0; k <= g1; k++)
            if ((g[k >> 6] >> (k & 63)) & 1)
                return false;
    }
    return true;
}

/* A bitonal page's unexplained ink, read straight from its bits: each
 * reference pixel takes the nearest page pixel (X, Y rounded), and is
 * unexplained when that is ink and the reference's open bit is set. Rows
 * go 32 pixels at a time: where the reference has no open pixel, or the
 * page no ink, the chunk is skipped, and the page pixels are read a
 * stretch at a time (the map
 * turns a page by at most a few degrees and scales it by a few per cent,
 * so a page row serves ~20 pixels or more). Positions
 * are fixed point with 32 fractional bits: exact to far below a pixel
 * over a page, and the same on every machine. */
static void residual_from_bits(work *w, const rec_page *v, const rec_registration *reg)
{
    const rec_bits *src = &v->bits, *open = &w->ref->open;
    size_t obytes = ((size_t)open->width + 7) / 8;
    const double *a = reg->a;
    const double one = 4294967296.0;
    const int64_t ax = llround(a[0] * one), bx = llround(a[3] * one);
    const int64_t half = INT64_C(1) << 31;
    for (int y = 0; y < w->height; y++) {
        int64_t x_row = llround((a[1] * y + a[2]) * one) + half;
        int64_t y_row = llround((a[4] * y + a[5]) * one) + half;
        const uint8_t *orow = open->data + (size_t)y * open->stride;
        uint8_t *d = w->resid.data + (size_t)y * w->resid.stride;
        for (int x0 = 0; x0 < w->width; x0 += 32) {
            int n = w->width - x0 < 32 ? w->width - x0 : 32;
            uint32_t m = bits_at(orow, obytes, x0, n);
            if (!m)
                continue;
            int64_t xs = x_row + x0 * ax, ys = y_row + x0 * bx;
            if (bare_paper(v, xs, ys, xs + (n - 1) * ax, ys + (n - 1) * bx))
                continue;
            uint32_t ink = page_ink_run(src, xs, ys, ax, bx, n);
            for (uint32_t r = ink & m; r; r &= r - 1)
                d[x0 + n - 1 - __builtin_ctz(r)] = 255;
        }
    }
}

static int build_residual(work *w, const rec_page *v, const rec_registration *reg)
{
    w->print_level = w->ref->paper * REC_PRINT_FRACTION / 100;
    int rc = rec_buf_new(&w->resid, w->width, w->height);
    if (rc)
        return rc;
    if (v->bits.data) {
        residual_from_bits(w, v, reg);
        return 0;
    }
    if ((rc = rec_buf_new(&w->warped, w->width, w->height)))
        return rc;
    cvs_view src = rec_view(&v->gray);
    cvs_buf dst = rec_cvbuf(&w->warped);
    if ((rc = cvs_warp_affine(&src, &dst, reg->a, (uint8_t)v->paper)))
        return rc;
    int thr = v->bitonal ? REC_BITONAL_INK : v->paper * WRITING_INK_FRACTION / 100;
    uint8_t limit[256];
    rec_explain_limits(limit, w->ref->paper, v->paper, thr);
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *restrict dk = w->darkest->data + (size_t)y * w->darkest->stride;
        uint8_t *restrict d = w->resid.data + (size_t)y * w->resid.stride;
        for (int x = 0; x < w->width; x++)
            d[x] = g[x] < limit[dk[x]] ? 255 : 0;
    }
    return 0;
}

/* Share of the box's interior, away from its printed border, that carries
 * unexplained ink; and the share of that ink that is dark (pen pressed on
 * paper, not an erased or faint trace). A bitonal scan's ink is all dark. */
static double box_score(const work *w, const rec_page *v, const pkg_region *reg,
                        double *dark_share)
{
    box b = clip(rect_px(&reg->rect, w->dpi, 0), w->width, w->height);
    long inked = 0, open = 0, dark = 0;
    int strong = v->bitonal ? 256 : v->paper * MARK_DARK_FRACTION / 100;
    for (int y = b.y0; y < b.y1; y++) {
        const uint8_t *dk = w->darkest->data + (size_t)y * w->darkest->stride;
        const uint8_t *rs = w->resid.data + (size_t)y * w->resid.stride;
        const uint8_t *g = w->warped.data ? w->warped.data + (size_t)y * w->warped.stride : NULL;
        for (int x = b.x0; x < b.x1; x++) {
            if (dk[x] < w->print_level)
                continue;
            open++;
            if (rs[x]) {
                inked++;
                dark += !g || g[x] < strong;
            }
        }
    }
    *dark_share = inked > 0 ? (double)dark / (double)inked : 0.0;
    return open > 0 ? (double)inked / (double)open : 0.0;
}

/* A box of ink that is a fold crease (see CREASE_*): a line, or a
 * hairline, along a fold axis; or, in a gray or colour scan, a short thin
 * dash there whose darkest unexplained pixel is still lighter than pen
 * (MARK_DARK_FRACTION of the paper): the crease's shadow breaking up, not
 * a stroke. A pen presses pigment, a crease only shades. */
static bool is_crease(const work *w, const rec_page *v, const pkg_style *st, box b)
{
    if (along_fold(st, w->dpi, b, CREASE_MAX_WIDTH_MM, CREASE_MIN_LENGTH_MM) ||
        along_fold(st, w->dpi, b, CREASE_HAIR_MM, CREASE_HAIR_LENGTH_MM))
        return true;
    if (!w->warped.data ||
        !along_fold(st, w->dpi, b, CREASE_MAX_WIDTH_MM, CREASE_SHADOW_LENGTH_MM))
        return false;
    int darkest = 255;
    for (int y = b.y0; y < b.y1; y++) {
        const uint8_t *g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *r = w->resid.data + (size_t)y * w->resid.stride;
        for (int x = b.x0; x < b.x1; x++)
            if (r[x] && g[x] < darkest)
                darkest = g[x];
    }
    log_debug("rec", "fold dash %d,%d %dx%d darkest %d (pen below %d)", b.x0, b.y0,
              b.x1 - b.x0, b.y1 - b.y0, darkest, v->paper * MARK_DARK_FRACTION / 100);
    return darkest >= v->paper * MARK_DARK_FRACTION / 100;
}

static long resid_count(const work *w, box b)
{
    b = clip(b, w->width, w->height);
    long n = 0;
    for (int y = b.y0; y < b.y1; y++) {
        const uint8_t *r = w->resid.data + (size_t)y * w->resid.stride;
        for (int x = b.x0; x < b.x1; x++)
            n += r[x] != 0;
    }
    return n;
}

/* Whether ink in box b that touches the stamp zone may be the stamp (see
 * STAMP_REACH_MM). */
static bool stamp_reachable(const work *w, box b, box zone, box reach)
{
    if (inside(b, reach))
        return true;
    int lo = (int)floor(pkg_mm_to_px(STAMP_MIN_MM, w->dpi));
    int hi = (int)ceil(pkg_mm_to_px(STAMP_MAX_MM, w->dpi));
    int bw = b.x1 - b.x0, bh = b.y1 - b.y0;
    if (bw < lo || bh < lo || bw > hi || bh > hi)
        return false;
    box in = {b.x0 > zone.x0 ? b.x0 : zone.x0, b.y0 > zone.y0 ? b.y0 : zone.y0,
              b.x1 < zone.x1 ? b.x1 : zone.x1, b.y1 < zone.y1 ? b.y1 : zone.y1};
    long all = resid_count(w, b);
    long in_zone = in.x1 > in.x0 && in.y1 > in.y0 ? resid_count(w, in) : 0;
    return all > 0 && in_zone * 100 >= all * STAMP_IN_ZONE_PCT;
}

/* Stamp tone in a gray or colour scan: unexplained pixels inside the field
 * clearly darker than the paper, less what the same test finds per area on
 * the rest of the side. */
static long stamp_tone(const work *w, const rec_page *v, box field)
{
    int thr = v->paper - STAMP_TONE_DELTA;
    long in = 0, out = 0, out_area = 0;
    for (int y = 0; y < w->height; y += 1) {
        const uint8_t *g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *dk = w->darkest->data + (size_t)y * w->darkest->stride;
        bool row_in = y >= field.y0 && y < field.y1;
        for (int x = 0; x < w->width; x++) {
            int scaled = w->ref->paper > 0 ? dk[x] * v->paper / w->ref->paper : dk[x];
            bool dark = g[x] < thr && g[x] < scaled - STAMP_TONE_DELTA;
            if (row_in && x >= field.x0 && x < field.x1) {
                in += dark;
            } else if ((x & 3) == 0 && (y & 3) == 0) {
                out += dark;
                out_area++;
            }
        }
    }
    long field_area = (long)(field.x1 - field.x0) * (field.y1 - field.y0);
    double expected = out_area > 0 ? (double)out * field_area / out_area : 0;
    return in - (long)ceil(expected);
}

int rec_ink_analyse(rec_side_result *out, const rec_engine *e, const rec_ref *ref,
                    const rec_page *p, const rec_registration *reg)
{
    memset(out, 0, sizeof *out);
    const rec_page *v = p;
    const pkg_side *side = ref->side;
    work w = {.ref = ref, .width = ref->width, .height = ref->height, .dpi = ref->dpi,
              .darkest = &ref->darkest};
    rec_component *comps = NULL;
    int n_comps = 0;
    int *parent = NULL;
    int *kind = NULL; /* per component: 0 writing, 1 mark, 2 stamp, 3 speck */
    int *owner = NULL; /* per mark component: the vote_box region it marks */
    bool *in_field = NULL; /* per writing group root: in the write-in field */
    int rc = build_residual(&w, v, reg);
    if (rc)
        goto done;
    if ((rc = rec_components(&comps, &n_comps, &w.resid)))
        goto done;
    parent = malloc(sizeof *parent * (size_t)(n_comps + 1));
    kind = calloc((size_t)n_comps + 1, sizeof *kind);
    owner = calloc((size_t)n_comps + 1, sizeof *owner);
    int n_boxes = 0;
    for (int i = 0; i < side->n_regions; i++)
        n_boxes += side->regions[i].type == PKG_REGION_VOTE_BOX;
    out->boxes = calloc((size_t)n_boxes + 1, sizeof *out->boxes);
    if (!parent || !kind || !owner || !out->boxes) {
        rc = err_set(TELLE_ENOMEM, "out of memory analysing ink");
        goto done;
    }

    /* Which component is what. */
    const pkg_region *stamp_field = NULL;
    for (int i = 0; i < side->n_regions; i++)
        if (side->regions[i].type == PKG_REGION_STAMP_FIELD)
            stamp_field = &side->regions[i];
    box stamp_zone = {0, 0, 0, 0}, stamp_reach = {0, 0, 0, 0};
    if (stamp_field) {
        stamp_zone = clip(rect_px(&stamp_field->rect, w.dpi, STAMP_ZONE_MM), w.width, w.height);
        stamp_reach = rect_px(&stamp_field->rect, w.dpi, STAMP_REACH_MM);
    }
    long speck_px_outside = 0, stamp_px = 0;
    log_debug("rec", "side %s: %d unexplained components", side->name, n_comps);
    for (int c = 0; c < n_comps; c++) {
        box cb = comp_box(&comps[c]);
        /* Ink touching the stamp zone is stamp only while it stays within
         * the stamp's reach: a line drawn from the stamp to a word far
         * away is writing, all of it. */
        if (stamp_field && overlaps(cb, stamp_zone) &&
            stamp_reachable(&w, cb, stamp_zone, stamp_reach)) {
            kind[c] = 2;
            stamp_px += comps[c].area;
            continue;
        }
        if (comps[c].area <= SPECK_PX) {
            kind[c] = 3;
            speck_px_outside += comps[c].area;
            continue;
        }
        for (int i = 0; i < side->n_regions; i++) {
            const pkg_region *r = &side->regions[i];
            if (r->type != PKG_REGION_VOTE_BOX)
                continue;
            box near = rect_px(&r->rect, w.dpi, OVERSHOOT_MM);
            box far = rect_px(&r->rect, w.dpi, OVERSHOOT_MAX_MM);
            if (overlaps(cb, near) && inside(cb, far)) {
                kind[c] = 1;
                owner[c] = i;
                break;
            }
        }
    }

    if (log_enabled("rec"))
        for (int c = 0; c < n_comps; c++)
            if (comps[c].area >= 40)
                log_debug("rec", "component %d,%d %dx%d area %d kind %s", comps[c].x, comps[c].y,
                          comps[c].w, comps[c].h, comps[c].area,
                          kind[c] == 0 ? "writing" : kind[c] == 1 ? "mark"
                                                   : kind[c] == 2 ? "stamp" : "speck");

    /* Fold creases: thin straight lines along a fold axis (the middle of
     * the sheet, either way) are the paper's, not ink. Letters written
     * across the fold are not thin and stay writing. */
    for (int c = 0; c < n_comps; c++) {
        if (kind[c] != 0)
            continue;
        if (is_crease(&w, v, ref->style, comp_box(&comps[c])))
            kind[c] = 3;
    }

    /* Vote boxes. */
    for (int i = 0; i < side->n_regions; i++) {
        const pkg_region *r = &side->regions[i];
        if (r->type != PKG_REGION_VOTE_BOX)
            continue;
        out->boxes[out->n_boxes].region = i;
        out->boxes[out->n_boxes].score = box_score(&w, v, r, &out->boxes[out->n_boxes].dark);
        {
            /* How far the box's mark reaches: the joint extent of its
             * pieces over the box's size. Pieces smaller than
             * MARK_PIECE_MM2 are left out: a dot with noise specks around
             * it does not reach across the box. */
            box u = {1 << 30, 1 << 30, -1, -1};
            double px_per_mm = w.dpi / 25.4;
            int piece_px = (int)ceil(MARK_PIECE_MM2 * px_per_mm * px_per_mm);
            for (int c = 0; c < n_comps; c++) {
                if (kind[c] != 1 || owner[c] != i || comps[c].area < piece_px)
                    continue;
                box cb = comp_box(&comps[c]);
                if (cb.x0 < u.x0) u.x0 = cb.x0;
                if (cb.y0 < u.y0) u.y0 = cb.y0;
                if (cb.x1 > u.x1) u.x1 = cb.x1;
                if (cb.y1 > u.y1) u.y1 = cb.y1;
            }
            double size = pkg_mm_to_px(r->rect.w > r->rect.h ? r->rect.w : r->rect.h, w.dpi);
            int span = u.x1 > u.x0 ? ((u.x1 - u.x0) > (u.y1 - u.y0) ? u.x1 - u.x0 : u.y1 - u.y0) : 0;
            out->boxes[out->n_boxes].extent = size > 0 ? span / size : 0;
        }
        log_debug("rec", "box %d share %.3f extent %.2f dark %.2f", r->candidate,
                  out->boxes[out->n_boxes].score, out->boxes[out->n_boxes].extent,
                  out->boxes[out->n_boxes].dark);
        out->n_boxes++;
    }

    /* Group writing and stamp ink: components closer than GROUP_MM are one
     * entry. A group that touches the stamp zone and stays within
     * STAMP_REACH_MM of the field, or is stamp-shaped (stamp_reachable),
     * is the stamp, its overhang included (a stamp's letters stand apart
     * from its ring); a group reaching further is writing that happens to
     * touch the stamp. */
    int group = (int)ceil(pkg_mm_to_px(GROUP_MM, w.dpi));
    for (int c = 0; c < n_comps; c++)
        parent[c] = c;
    for (int a = 0; a < n_comps; a++) {
        if (!(kind[a] == 0 || (kind[a] == 2 && comps[a].area > SPECK_PX)))
            continue;
        box ba = comp_box(&comps[a]);
        ba.x0 -= group, ba.y0 -= group, ba.x1 += group, ba.y1 += group;
        for (int b = a + 1; b < n_comps; b++) {
            if (!(kind[b] == 0 || (kind[b] == 2 && comps[b].area > SPECK_PX)))
                continue;
            if (overlaps(ba, comp_box(&comps[b]))) {
                /* The smaller index stays the root: the loops below walk a
                 * group from its root upwards. */
                int ra = find(parent, a), rb = find(parent, b);
                if (ra < rb)
                    parent[rb] = ra;
                else if (rb < ra)
                    parent[ra] = rb;
            }
        }
    }
    if (stamp_field) {
        /* Seeded groups within reach are the stamp; then small groups close
         * to them (the broken-off pieces of a faint stamp) join them. */
        box reach = rect_px(&stamp_field->rect, w.dpi, STAMP_REACH_MM);
        int gap = (int)ceil(pkg_mm_to_px(STAMP_GAP_MM, w.dpi));
        int piece = (int)ceil(pkg_mm_to_px(STAMP_PIECE_MM, w.dpi));
        box *gbox = malloc(sizeof *gbox * (size_t)(n_comps + 1));
        int *gstate = calloc((size_t)n_comps + 1, sizeof *gstate); /* 1 stamp, 2 candidate piece,
                                                                   3 piece joined, 4 writing */
        if (!gbox || !gstate) {
            free(gbox);
            free(gstate);
            rc = err_set(TELLE_ENOMEM, "out of memory analysing ink");
            goto done;
        }
        for (int root = 0; root < n_comps; root++) {
            if (find(parent, root) != root || kind[root] == 1 || kind[root] == 3)
                continue;
            bool seeded = false;
            box gb = comp_box(&comps[root]);
            for (int c = root; c < n_comps; c++) {
                if (find(parent, c) != root || kind[c] == 1 || kind[c] == 3)
                    continue;
                seeded = seeded || kind[c] == 2;
                box cb = comp_box(&comps[c]);
                if (cb.x0 < gb.x0) gb.x0 = cb.x0;
                if (cb.y0 < gb.y0) gb.y0 = cb.y0;
                if (cb.x1 > gb.x1) gb.x1 = cb.x1;
                if (cb.y1 > gb.y1) gb.y1 = cb.y1;
            }
            gbox[root] = gb;
            if (!stamp_reachable(&w, gb, stamp_zone, reach)) {
                /* Writing that reaches the stamp: its pieces in the zone are
                 * writing too. */
                if (seeded)
                    gstate[root] = 4;
                continue;
            }
            if (seeded)
                gstate[root] = 1;
            else if (gb.x1 - gb.x0 <= piece && gb.y1 - gb.y0 <= piece)
                gstate[root] = 2;
        }
        for (int root = 0; root < n_comps; root++) {
            if (gstate[root] != 2)
                continue;
            box grown = {gbox[root].x0 - gap, gbox[root].y0 - gap, gbox[root].x1 + gap,
                         gbox[root].y1 + gap};
            for (int other = 0; other < n_comps; other++)
                if (gstate[other] == 1 && overlaps(grown, gbox[other])) {
                    gstate[root] = 3;
                    break;
                }
        }
        for (int c = 0; c < n_comps; c++) {
            int g = find(parent, c);
            if (kind[c] == 0 && (gstate[g] == 1 || gstate[g] == 3)) {
                kind[c] = 2;
                stamp_px += comps[c].area;
            } else if (kind[c] == 2 && gstate[g] == 4 && comps[c].area > SPECK_PX) {
                kind[c] = 0;
                stamp_px -= comps[c].area;
            }
        }
        free(gbox);
        free(gstate);
    }

    /* Stamp: ink in the zone beyond the noise the rest of the side shows. */
    if (stamp_field) {
        out->has_stamp_field = true;
        long zone_area = (long)(stamp_zone.x1 - stamp_zone.x0) * (stamp_zone.y1 - stamp_zone.y0);
        long rest = (long)w.width * w.height - zone_area;
        double expected = rest > 0 ? (double)speck_px_outside * zone_area / rest : 0;
        double evidence = stamp_px - 4.0 * expected;
        out->stamp_evidence = evidence;
        out->stamp = evidence >= STAMP_MIN_PX;
        if (!out->stamp && !v->bitonal) {
            box field = clip(rect_px(&stamp_field->rect, w.dpi, 0), w.width, w.height);
            long tone = stamp_tone(&w, v, field);
            if (tone > out->stamp_evidence)
                out->stamp_evidence = (double)tone;
            out->stamp = tone >= STAMP_TONE_MIN_PX;
        }
    }

    /* Writing: what is left, entry by entry. */
    int cap = 16;
    out->writing = malloc(sizeof *out->writing * (size_t)cap);
    if (!out->writing) {
        rc = err_set(TELLE_ENOMEM, "out of memory for writing");
        goto done;
    }
    double min_ink_px = e->opt.writing_min_ink_mm2 * (w.dpi / 25.4) * (w.dpi / 25.4);
    in_field = calloc((size_t)n_comps + 1, sizeof *in_field);
    if (!in_field) {
        rc = err_set(TELLE_ENOMEM, "out of memory for writing");
        goto done;
    }
    const pkg_region *write_in_field = NULL;
    for (int root = 0; root < n_comps; root++) {
        if (kind[root] != 0 || find(parent, root) != root)
            continue;
        box gb = comp_box(&comps[root]);
        long ink = 0;
        for (int c = root; c < n_comps; c++) {
            if (kind[c] != 0 || find(parent, c) != root)
                continue;
            box cb = comp_box(&comps[c]);
            if (cb.x0 < gb.x0) gb.x0 = cb.x0;
            if (cb.y0 < gb.y0) gb.y0 = cb.y0;
            if (cb.x1 > gb.x1) gb.x1 = cb.x1;
            if (cb.y1 > gb.y1) gb.y1 = cb.y1;
            ink += comps[c].area;
        }
        log_debug("rec", "writing group %d,%d %dx%d px, ink %ld px%s", gb.x0, gb.y0,
                  gb.x1 - gb.x0, gb.y1 - gb.y0, ink, ink < min_ink_px ? " (noise)" : "");
        if (ink < min_ink_px)
            continue;
        double cx = (gb.x0 + gb.x1) / 2.0, cy = (gb.y0 + gb.y1) / 2.0;
        if (is_crease(&w, v, ref->style, gb))
            continue; /* a dashed crease: its pieces grouped along the fold */
        rec_where where = REC_IN_OUTSIDE;
        for (int i = 0; i < side->n_regions; i++) {
            const pkg_region *r = &side->regions[i];
            if (r->type != PKG_REGION_WRITE_IN_FIELD && r->type != PKG_REGION_LIST_WRITE_FIELD)
                continue;
            box fb = rect_px(&r->rect, w.dpi, 0);
            if (cx >= fb.x0 && cx < fb.x1 && cy >= fb.y0 && cy < fb.y1) {
                where = r->type == PKG_REGION_WRITE_IN_FIELD ? REC_IN_WRITE_IN_FIELD
                                                              : REC_IN_LIST_WRITE_FIELD;
                if (where == REC_IN_WRITE_IN_FIELD) {
                    in_field[root] = true;
                    write_in_field = r;
                }
                break;
            }
        }
        if (out->n_writing == cap) {
            cap *= 2;
            rec_writing *nw = realloc(out->writing, sizeof *nw * (size_t)cap);
            if (!nw) {
                rc = err_set(TELLE_ENOMEM, "out of memory for writing");
                goto done;
            }
            out->writing = nw;
        }
        rec_writing *wr = &out->writing[out->n_writing++];
        double mm = 25.4 / w.dpi;
        wr->x_mm = gb.x0 * mm;
        wr->y_mm = gb.y0 * mm;
        wr->w_mm = (gb.x1 - gb.x0) * mm;
        wr->h_mm = (gb.y1 - gb.y0) * mm;
        wr->in = where;
        wr->ink_px = (int)ink;
    }
    if (write_in_field)
        out->write_in_entries =
            count_entries(comps, n_comps, kind, parent, in_field, write_in_field, w.dpi);
done:
    free(comps);
    free(parent);
    free(kind);
    free(owner);
    free(in_field);
    work_release(&w);
    if (rc)
        rec_side_result_release(out);
    return rc;
}

void rec_side_result_release(rec_side_result *r)
{
    if (!r)
        return;
    free(r->boxes);
    free(r->writing);
    memset(r, 0, sizeof *r);
}
