/* engine.c - prepares the reference sides of a package once, so every sheet
 * is read against the same precomputed masks: rec_engine_new,
 * rec_engine_free, rec_buf_new, rec_buf_free. */
#include "recognition/recognition_internal.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rec_buf_new(rec_buf *b, int width, int height)
{
    memset(b, 0, sizeof *b);
    if (width <= 0 || height <= 0)
        return err_set(TELLE_EINVAL, "empty buffer %dx%d", width, height);
    b->data = calloc((size_t)width, (size_t)height);
    if (!b->data)
        return err_set(TELLE_ENOMEM, "out of memory for a %dx%d buffer", width, height);
    b->width = width;
    b->height = height;
    b->stride = (size_t)width;
    return 0;
}

void rec_buf_free(rec_buf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Margin of white around a corner mark in its template, so the match sees
 * the mark's outline and not just a dark square. */
#define MARK_MARGIN_MM 1.5

static int crop_mask(rec_buf *out, const rec_buf *src, int x0, int y0, int w, int h)
{
    int rc = rec_buf_new(out, w, h);
    if (rc)
        return rc;
    for (int y = 0; y < h; y++)
        memcpy(out->data + (size_t)y * out->stride,
               src->data + (size_t)(y0 + y) * src->stride + x0, (size_t)w);
    return 0;
}

void rec_explain_limits(uint8_t limit[256], int ref_paper, int page_paper, int page_ink)
{
    int print_level = ref_paper * REC_PRINT_FRACTION / 100;
    for (int r = 0; r < 256; r++) {
        int scaled = ref_paper > 0 ? r * page_paper / ref_paper : r;
        int lim = scaled - REC_EXPLAIN_DELTA;
        if (lim > page_ink)
            lim = page_ink;
        if (r < print_level)
            lim = 0; /* real print nearby explains everything */
        limit[r] = (uint8_t)(lim < 0 ? 0 : lim);
    }
}

/* The reference's open bits: where a bitonal page's ink (gray 0) is below
 * the limit. */
static int make_open(rec_ref *r)
{
    uint8_t limit[256];
    rec_explain_limits(limit, r->paper, 255, REC_BITONAL_INK);
    rec_bits *b = &r->open;
    b->width = r->width;
    b->height = r->height;
    b->stride = ((size_t)r->width + 7) / 8;
    b->data = calloc(b->stride, (size_t)r->height);
    if (!b->data)
        return err_set(TELLE_ENOMEM, "out of memory for a reference");
    for (int y = 0; y < r->height; y++) {
        const uint8_t *dk = r->darkest.data + (size_t)y * r->darkest.stride;
        uint8_t *d = b->data + (size_t)y * b->stride;
        for (int x = 0; x < r->width; x++)
            if (limit[dk[x]] > 0)
                d[x >> 3] |= (uint8_t)(0x80u >> (x & 7));
    }
    return 0;
}

int rec_low_halve(rec_buf *half, const rec_buf *low)
{
    int rc = rec_buf_new(half, (low->width + 1) / 2, (low->height + 1) / 2);
    if (rc)
        return rc;
    for (int y = 0; y < half->height; y++) {
        int y0 = 2 * y, y1 = 2 * y + 1 < low->height ? 2 * y + 1 : 2 * y;
        const uint8_t *r0 = low->data + (size_t)y0 * low->stride;
        const uint8_t *r1 = low->data + (size_t)y1 * low->stride;
        uint8_t *d = half->data + (size_t)y * half->stride;
        for (int x = 0; x < half->width; x++) {
            int x0 = 2 * x, x1 = 2 * x + 1 < low->width ? 2 * x + 1 : 2 * x;
            d[x] = (uint8_t)((r0[x0] + r0[x1] + r1[x0] + r1[x1] + 2) / 4);
        }
    }
    return 0;
}

uint64_t rec_low_sum_sq(const rec_buf *m)
{
    uint64_t sum = 0;
    for (int y = 0; y < m->height; y++) {
        const uint8_t *restrict row = m->data + (size_t)y * m->stride;
        for (int x = 0; x < m->width; x++)
            sum += (uint32_t)row[x] * row[x];
    }
    return sum;
}

int rec_low_size(int px, double dpi)
{
    int n = (int)lround(px * REC_LOW_DPI / dpi);
    return n < 1 ? 1 : n;
}

/* Block boundaries of a low map: low pixel j covers full-resolution px
 * [edge[j], edge[j + 1]); the last block runs to the end. Integer
 * arithmetic on the resolution in thousandths keeps them exact. */
static int *low_edges(int px, int n, double dpi)
{
    int *edge = malloc(sizeof *edge * (size_t)(n + 1));
    if (!edge)
        return NULL;
    int64_t milli = llround(dpi * 1000);
    int64_t per = (int64_t)(REC_LOW_DPI * 1000);
    for (int j = 0; j <= n; j++) {
        int64_t e = (int64_t)j * milli / per;
        edge[j] = e > px ? px : (int)e;
    }
    edge[n] = px;
    return edge;
}

/* Shared by the two sources: sums[] of ink (in 0..255 units) per low
 * pixel, filled by the caller row by row through col_of; here the means. */
typedef struct {
    int *xe, *ye;   /* block edges */
    int *col_of;    /* full-resolution x -> low column */
    uint32_t *sums; /* one row of low pixels (a block of 255s fits: the
                       blocks are a few px a side) */
} low_work;

static int low_begin(low_work *lw, rec_buf *low, int w, int h, double dpi)
{
    memset(lw, 0, sizeof *lw);
    int rc = rec_buf_new(low, rec_low_size(w, dpi), rec_low_size(h, dpi));
    if (rc)
        return rc;
    lw->xe = low_edges(w, low->width, dpi);
    lw->ye = low_edges(h, low->height, dpi);
    lw->col_of = malloc(sizeof *lw->col_of * (size_t)w);
    lw->sums = calloc((size_t)low->width, sizeof *lw->sums);
    if (!lw->xe || !lw->ye || !lw->col_of || !lw->sums)
        return err_set(TELLE_ENOMEM, "out of memory for a density map");
    for (int j = 0; j < low->width; j++)
        for (int x = lw->xe[j]; x < lw->xe[j + 1]; x++)
            lw->col_of[x] = j;
    return 0;
}

/* Writes low row i from the sums and clears them. */
static void low_row_done(low_work *lw, rec_buf *low, int i)
{
    uint8_t *d = low->data + (size_t)i * low->stride;
    uint32_t rows = (uint32_t)(lw->ye[i + 1] - lw->ye[i]);
    for (int j = 0; j < low->width; j++) {
        uint32_t n = rows * (uint32_t)(lw->xe[j + 1] - lw->xe[j]);
        if (n && !(n & (n - 1))) /* a whole block at 200 dpi: 16 px */
            d[j] = (uint8_t)((lw->sums[j] + n / 2) >> __builtin_ctz(n));
        else
            d[j] = n ? (uint8_t)((lw->sums[j] + n / 2) / n) : 0;
        lw->sums[j] = 0;
    }
}

static void low_end(low_work *lw)
{
    free(lw->xe);
    free(lw->ye);
    free(lw->col_of);
    free(lw->sums);
}

int rec_low_from_ink(rec_buf *low, const rec_buf *ink, double dpi)
{
    low_work lw;
    int rc = low_begin(&lw, low, ink->width, ink->height, dpi);
    for (int i = 0; !rc && i < low->height; i++) {
        for (int y = lw.ye[i]; y < lw.ye[i + 1]; y++) {
            const uint8_t *row = ink->data + (size_t)y * ink->stride;
            for (int x = 0; x < ink->width; x++)
                if (row[x])
                    lw.sums[lw.col_of[x]] += row[x];
        }
        low_row_done(&lw, low, i);
    }
    low_end(&lw);
    if (rc)
        rec_buf_free(low);
    return rc;
}

int rec_low_from_bits(rec_buf *low, const rec_bits *bits, double dpi)
{
    low_work lw;
    int rc = low_begin(&lw, low, bits->width, bits->height, dpi);
    size_t nbytes = ((size_t)bits->width + 7) / 8;
    /* Blocks of exactly 4 px (200 dpi) that start every 4 px, the last
     * one ending with the row: each byte feeds two low pixels. */
    bool four = !rc && low->width == (bits->width + 3) / 4;
    for (int j = 0; four && j < low->width; j++)
        four = lw.xe[j] == 4 * j;
    for (int i = 0; !rc && i < low->height; i++) {
        for (int y = lw.ye[i]; y < lw.ye[i + 1]; y++) {
            const uint8_t *row = bits->data + (size_t)y * bits->stride;
            if (four) { /* blocks of 4 px: a byte's two halves */
                for (size_t b = 0; b < nbytes; b++)
                    if (row[b]) {
                        lw.sums[2 * b] += 255u * (uint32_t)__builtin_popcount(row[b] >> 4);
                        if (2 * b + 1 < (size_t)low->width)
                            lw.sums[2 * b + 1] += 255u * (uint32_t)__builtin_popcount(row[b] & 15u);
                    }
                continue;
            }
            for (size_t b = 0; b < nbytes; b++) {
                unsigned v = row[b];
                while (v) {
                    int bit = __builtin_clz(v) - 24; /* 0 = the byte's first px */
                    int x = (int)b * 8 + bit;
                    if (x < bits->width)
                        lw.sums[lw.col_of[x]] += 255;
                    v &= ~(0x80u >> bit);
                }
            }
        }
        low_row_done(&lw, low, i);
    }
    low_end(&lw);
    if (rc)
        rec_buf_free(low);
    return rc;
}

static int prepare_marks(rec_ref *r, const rec_buf *ink)
{
    const pkg_side *sd = r->side;
    int n = 0;
    for (int i = 0; i < sd->n_regions; i++)
        n += sd->regions[i].type == PKG_REGION_REGISTRATION_MARK;
    if (n == 0)
        return 0;
    r->marks = calloc((size_t)n, sizeof *r->marks);
    if (!r->marks)
        return err_set(TELLE_ENOMEM, "out of memory for corner marks");
    for (int i = 0; i < sd->n_regions; i++) {
        const pkg_region *reg = &sd->regions[i];
        if (reg->type != PKG_REGION_REGISTRATION_MARK)
            continue;
        double m = MARK_MARGIN_MM;
        int x0 = (int)lround(pkg_mm_to_px(reg->rect.x - m, r->dpi));
        int y0 = (int)lround(pkg_mm_to_px(reg->rect.y - m, r->dpi));
        int x1 = (int)lround(pkg_mm_to_px(reg->rect.x + reg->rect.w + m, r->dpi));
        int y1 = (int)lround(pkg_mm_to_px(reg->rect.y + reg->rect.h + m, r->dpi));
        if (x0 < 0) x0 = 0;
        if (y0 < 0) y0 = 0;
        if (x1 > r->width) x1 = r->width;
        if (y1 > r->height) y1 = r->height;
        if (x1 - x0 < 4 || y1 - y0 < 4)
            continue;
        rec_mark *mk = &r->marks[r->n_marks];
        int rc = crop_mask(&mk->tpl, ink, x0, y0, x1 - x0, y1 - y0);
        if (!rc)
            rc = rec_low_from_ink(&mk->tpl_low, &mk->tpl, r->dpi);
        if (rc) {
            rec_buf_free(&mk->tpl);
            rec_buf_free(&mk->tpl_low);
            return rc;
        }
        mk->x = x0;
        mk->y = y0;
        mk->x_low = x0 * REC_LOW_DPI / r->dpi;
        mk->y_low = y0 * REC_LOW_DPI / r->dpi;
        r->n_marks++;
    }
    return 0;
}

/* Paper level: the gray value below which 90% of the pixels lie. Ballots
 * are mostly bare paper, so this is the paper's tint, whatever its colour. */
int rec_paper_level(const rec_buf *g)
{
    unsigned long hist[256] = {0};
    for (int y = 0; y < g->height; y += 2) {
        const uint8_t *row = g->data + (size_t)y * g->stride;
        for (int x = 0; x < g->width; x += 2)
            hist[row[x]]++;
    }
    unsigned long total = 0;
    for (int i = 0; i < 256; i++)
        total += hist[i];
    unsigned long acc = 0;
    for (int i = 0; i < 256; i++) {
        acc += hist[i];
        if (acc * 10 >= total * 9)
            return i;
    }
    return 255;
}

int rec_ink_threshold(int paper)
{
    /* Ink is darker than 60% of the paper's level: black and blue pens,
     * printed text and stamps on white, pink or blue paper, while paper
     * tint, a crease's shadow and light bleed-through stay above. */
    int t = paper * 60 / 100;
    return t < 40 ? 40 : t;
}

void rec_threshold_ink(rec_buf *ink, const rec_buf *gray, int thr)
{
    for (int y = 0; y < gray->height; y++) {
        const uint8_t *restrict g = gray->data + (size_t)y * gray->stride;
        uint8_t *restrict d = ink->data + (size_t)y * ink->stride;
        for (int x = 0; x < gray->width; x++)
            d[x] = g[x] < thr ? 255 : 0;
    }
}

/* Prepares one side. The reference's gray image and ink mask are needed
 * only here; what reading a page uses is kept: the darkest-print map, the
 * 50-dpi density map and the mark templates. */
static int prepare_ref(rec_ref *r, const rec_options *opt)
{
    const img *im = r->side->image;
    img *g = NULL;
    rec_buf gray = {0}, ink = {0};
    int rc = img_to_gray(&g, im);
    if (rc)
        return rc;
    r->width = img_width(g);
    r->height = img_height(g);
    if ((rc = rec_buf_new(&gray, r->width, r->height)))
        goto done;
    for (int y = 0; y < r->height; y++)
        memcpy(gray.data + (size_t)y * gray.stride, img_row(g, y), (size_t)r->width);
    r->paper = rec_paper_level(&gray);
    if ((rc = rec_buf_new(&ink, r->width, r->height)))
        goto done;
    rec_threshold_ink(&ink, &gray, rec_ink_threshold(r->paper));
    if ((rc = rec_buf_new(&r->darkest, r->width, r->height)))
        goto done;
    {
        cvs_view v = rec_view(&gray);
        cvs_buf b = rec_cvbuf(&r->darkest);
        int rad = (int)lround(pkg_mm_to_px(opt->print_tolerance_mm, r->dpi));
        if ((rc = cvs_erode(&v, &b, rad)))
            goto done;
    }
    if ((rc = make_open(r)) || (rc = rec_low_from_ink(&r->low, &ink, r->dpi)))
        goto done;
    r->low_norm = (double)rec_low_sum_sq(&r->low);
    if ((rc = rec_low_halve(&r->half, &r->low)))
        goto done;
    r->half_norm = (double)rec_low_sum_sq(&r->half);
    rc = prepare_marks(r, &ink);
done:
    rec_buf_free(&gray);
    rec_buf_free(&ink);
    img_free(g);
    return rc;
}

/* Two sides whose density maps are the same (the outside printed alike
 * for every list) score the same against any page. */
static bool same_density(const rec_ref *a, const rec_ref *b)
{
    if (a->layout != b->layout || a->low.width != b->low.width ||
        a->low.height != b->low.height)
        return false;
    for (int y = 0; y < a->low.height; y++)
        if (memcmp(a->low.data + (size_t)y * a->low.stride,
                   b->low.data + (size_t)y * b->low.stride, (size_t)a->low.width) != 0)
            return false;
    return true;
}

static bool same_layout(const rec_ref *a, const rec_ref *b)
{
    if (a->n_marks != b->n_marks || a->n_marks == 0)
        return false;
    for (int i = 0; i < a->n_marks; i++) {
        const rec_mark *ma = &a->marks[i], *mb = &b->marks[i];
        if (ma->x != mb->x || ma->y != mb->y || ma->tpl.width != mb->tpl.width ||
            ma->tpl.height != mb->tpl.height)
            return false;
        long diff = 0;
        for (int y = 0; y < ma->tpl.height; y++)
            for (int x = 0; x < ma->tpl.width; x++)
                diff += ma->tpl.data[(size_t)y * ma->tpl.stride + x] !=
                        mb->tpl.data[(size_t)y * mb->tpl.stride + x];
        if (diff * 100 > (long)ma->tpl.width * ma->tpl.height)
            return false;
    }
    return true;
}

static void ref_release(rec_ref *r)
{
    rec_buf_free(&r->darkest);
    free(r->open.data);
    rec_buf_free(&r->low);
    rec_buf_free(&r->half);
    for (int i = 0; i < r->n_marks; i++) {
        rec_buf_free(&r->marks[i].tpl);
        rec_buf_free(&r->marks[i].tpl_low);
    }
    free(r->marks);
}

int rec_engine_new(rec_engine **out, const pkg_package *pkg, const rec_options *opt)
{
    *out = NULL;
    if (!pkg)
        return err_set(TELLE_EINVAL, "recognition needs an election package");
    rec_engine *e = calloc(1, sizeof *e);
    if (!e)
        return err_set(TELLE_ENOMEM, "out of memory for the recognition engine");
    /* Sheets are read in parallel by the caller; OpenCV's own pool would
     * only contend with that. */
    cvs_set_threads(1);
    rec_options defaults = REC_OPTIONS_INIT;
    e->opt = opt ? *opt : defaults;
    e->pkg = pkg;
    int n = 0;
    for (int s = 0; s < pkg->n_styles; s++)
        n += pkg->styles[s].n_sides;
    e->refs = calloc(n > 0 ? (size_t)n : 1, sizeof *e->refs);
    if (!e->refs) {
        free(e);
        return err_set(TELLE_ENOMEM, "out of memory for the reference sides");
    }
    int rc = 0;
    for (int s = 0; s < pkg->n_styles && !rc; s++) {
        const pkg_style *st = &pkg->styles[s];
        for (int d = 0; d < st->n_sides && !rc; d++) {
            rec_ref *r = &e->refs[e->n_refs++];
            r->style = st;
            r->side = &st->sides[d];
            r->style_index = s;
            r->side_index = d;
            r->dpi = st->dpi;
            if (!r->side->image) {
                rc = err_set(TELLE_EINVAL, "style %s side %s has no reference image",
                             st->id, r->side->name);
                break;
            }
            rc = prepare_ref(r, &e->opt);
            if (rc)
                err_prefix("style %s side %s: ", st->id, r->side->name);
        }
    }
    for (int i = 0; i < e->n_refs && !rc; i++) {
        e->refs[i].layout = -1;
        for (int j = 0; j < i; j++)
            if (same_layout(&e->refs[i], &e->refs[j])) {
                e->refs[i].layout = e->refs[j].layout;
                break;
            }
        if (e->refs[i].layout < 0)
            e->refs[i].layout = e->n_layouts++;
    }
    for (int i = 0; i < e->n_refs && !rc; i++) {
        e->refs[i].twin = -1;
        for (int j = 0; j < i && e->refs[i].twin < 0; j++)
            if (same_density(&e->refs[i], &e->refs[j]))
                e->refs[i].twin = j;
    }
    if (rc) {
        rec_engine_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void rec_engine_free(rec_engine *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->n_refs; i++)
        ref_release(&e->refs[i]);
    free(e->refs);
    free(e);
}
