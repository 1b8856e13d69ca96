/* page.c - brings a scanned page into the form the other stages read:
 * 8-bit gray at the references' resolution, its paper level and ink mask,
 * and a 50-dpi ink density map as scanned and turned 180 degrees:
 * rec_page_prepare, rec_page_release. */
#include "recognition/recognition_internal.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int fill_ink(rec_page *p)
{
    int rc = rec_buf_new(&p->ink, p->gray.width, p->gray.height);
    if (!rc)
        rec_threshold_ink(&p->ink, &p->gray, p->ink_threshold);
    return rc;
}

static int turned(rec_buf *out, const rec_buf *in)
{
    int rc = rec_buf_new(out, in->width, in->height);
    if (rc)
        return rc;
    for (int y = 0; y < in->height; y++) {
        const uint8_t *restrict s = in->data + (size_t)y * in->stride;
        uint8_t *restrict d = out->data + (size_t)(in->height - 1 - y) * out->stride;
        for (int x = 0; x < in->width; x++)
            d[in->width - 1 - x] = s[x];
    }
    return 0;
}

/* Gray at `dpi`. A page at another resolution is resampled: by area
 * averaging when it is finer (300-dpi colour scans), bilinear when coarser. */
static int gray_at(rec_buf *out, const img *im, double dpi)
{
    img *g = NULL;
    int rc = img_to_gray(&g, im);
    if (rc)
        return rc;
    double src_dpi = img_dpi_x(im) > 0 ? img_dpi_x(im) : dpi;
    double scale = dpi / src_dpi;
    int w = img_width(g), h = img_height(g);
    if (fabs(scale - 1.0) < 0.005) {
        rc = rec_buf_new(out, w, h);
        if (!rc)
            for (int y = 0; y < h; y++)
                memcpy(out->data + (size_t)y * out->stride, img_row(g, y), (size_t)w);
    } else {
        int nw = (int)lround(w * scale), nh = (int)lround(h * scale);
        rc = rec_buf_new(out, nw < 1 ? 1 : nw, nh < 1 ? 1 : nh);
        if (!rc) {
            cvs_view s = {img_row(g, 0), w, h, img_stride(g)};
            cvs_buf d = rec_cvbuf(out);
            if (scale < 1) {
                rc = cvs_resize_area(&s, &d);
            } else {
                double m[6] = {1 / scale, 0, 0, 0, 1 / scale, 0};
                rc = cvs_warp_affine(&s, &d, m, 255);
            }
        }
    }
    img_free(g);
    return rc;
}

/* A 1-bit page at the references' resolution: its bits, and its paper
 * level as rec_paper_level would find it on the gray (the same sampling:
 * every other pixel of every other row; bits 0xAA are the even columns). */
static int keep_bits(rec_page *p, const img *im)
{
    rec_bits *b = &p->bits;
    b->width = img_width(im);
    b->height = img_height(im);
    b->stride = ((size_t)b->width + 7) / 8;
    b->data = malloc(b->stride * (size_t)b->height);
    if (!b->data)
        return err_set(TELLE_ENOMEM, "out of memory for a page");
    unsigned long total = 0, ink = 0;
    for (int y = 0; y < b->height; y++) {
        const uint8_t *row = img_row(im, y);
        uint8_t *d = b->data + (size_t)y * b->stride;
        memcpy(d, row, b->stride);
        if (b->width & 7)
            d[b->stride - 1] &= (uint8_t)(0xFF00u >> (b->width & 7));
        if (y & 1)
            continue;
        total += ((unsigned long)b->width + 1) / 2;
        for (size_t i = 0; i < b->stride; i++)
            ink += (unsigned long)__builtin_popcount(d[i] & 0xAAu);
    }
    p->paper = ink * 10 >= total * 9 ? 0 : 255;
    p->group_words = (int)((b->stride + 4 * 64 - 1) / (4 * 64));
    p->groups = calloc((size_t)p->group_words * (size_t)b->height, sizeof *p->groups);
    if (!p->groups)
        return err_set(TELLE_ENOMEM, "out of memory for a page");
    for (int y = 0; y < b->height; y++) {
        const uint8_t *d = b->data + (size_t)y * b->stride;
        uint64_t *g = p->groups + (size_t)y * (size_t)p->group_words;
        for (size_t i = 0; i < b->stride; i++)
            if (d[i])
                g[i / 256] |= UINT64_C(1) << ((i / 4) % 64);
    }
    return 0;
}

int rec_page_ink_window(rec_buf *win, const rec_page *p, const double m[6])
{
    if (!p->bits.data) {
        cvs_view src = rec_view(&p->ink);
        cvs_buf dst = rec_cvbuf(win);
        return cvs_warp_affine(&src, &dst, m, 0);
    }
    /* The page pixels the window samples, with two to spare for the
     * interpolation, as 0/255 ink; then the same warp from there. */
    double xs[4], ys[4];
    int cx[4] = {0, win->width - 1, 0, win->width - 1};
    int cy[4] = {0, 0, win->height - 1, win->height - 1};
    for (int i = 0; i < 4; i++) {
        xs[i] = m[0] * cx[i] + m[1] * cy[i] + m[2];
        ys[i] = m[3] * cx[i] + m[4] * cy[i] + m[5];
    }
    double lx = xs[0], hx = xs[0], ly = ys[0], hy = ys[0];
    for (int i = 1; i < 4; i++) {
        lx = fmin(lx, xs[i]);
        hx = fmax(hx, xs[i]);
        ly = fmin(ly, ys[i]);
        hy = fmax(hy, ys[i]);
    }
    int x0 = (int)floor(lx) - 2, x1 = (int)ceil(hx) + 3;
    int y0 = (int)floor(ly) - 2, y1 = (int)ceil(hy) + 3;
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > p->width) x1 = p->width;
    if (y1 > p->height) y1 = p->height;
    if (x1 <= x0 || y1 <= y0) {
        for (int y = 0; y < win->height; y++)
            memset(win->data + (size_t)y * win->stride, 0, (size_t)win->width);
        return 0;
    }
    rec_buf part;
    int rc = rec_buf_new(&part, x1 - x0, y1 - y0);
    if (rc)
        return rc;
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = p->bits.data + (size_t)y * p->bits.stride;
        uint8_t *d = part.data + (size_t)(y - y0) * part.stride;
        for (int x = x0; x < x1; x++)
            d[x - x0] = (row[x >> 3] >> (7 - (x & 7))) & 1 ? 255 : 0;
    }
    double mm[6] = {m[0], m[1], m[2] - x0, m[3], m[4], m[5] - y0};
    cvs_view src = rec_view(&part);
    cvs_buf dst = rec_cvbuf(win);
    rc = cvs_warp_affine(&src, &dst, mm, 0);
    rec_buf_free(&part);
    return rc;
}

int rec_page_prepare(rec_page *p, const img *im, double dpi)
{
    memset(p, 0, sizeof *p);
    p->dpi = dpi;
    hash_sha256_pixels(p->sha256, im);
    p->bitonal = img_depth(im) == 1;
    double src_dpi = img_dpi_x(im) > 0 ? img_dpi_x(im) : dpi;
    int rc;
    if (p->bitonal && fabs(dpi / src_dpi - 1.0) < 0.005 && img_channels(im) == 1) {
        if ((rc = keep_bits(p, im)))
            goto fail;
    }
    if (p->bits.data && p->paper != 255) {
        /* Mostly black: no paper to speak of; the gray path judges it. */
        free(p->bits.data);
        free(p->groups);
        p->groups = NULL;
        memset(&p->bits, 0, sizeof p->bits);
    }
    if (p->bits.data) {
        p->width = p->bits.width;
        p->height = p->bits.height;
        p->ink_threshold = rec_ink_threshold(p->paper);
        if ((rc = rec_low_from_bits(&p->low[0], &p->bits, dpi)))
            goto fail;
    } else {
        if ((rc = gray_at(&p->gray, im, dpi)))
            goto fail;
        p->width = p->gray.width;
        p->height = p->gray.height;
        p->paper = rec_paper_level(&p->gray);
        p->ink_threshold = rec_ink_threshold(p->paper);
        if ((rc = fill_ink(p)) || (rc = rec_low_from_ink(&p->low[0], &p->ink, dpi)))
            goto fail;
    }
    if ((rc = turned(&p->low[1], &p->low[0])))
        goto fail;
    return 0;
fail:
    rec_page_release(p);
    return rc;
}

void rec_page_release(rec_page *p)
{
    free(p->bits.data);
    p->bits.data = NULL;
    free(p->groups);
    p->groups = NULL;
    rec_buf_free(&p->gray);
    rec_buf_free(&p->ink);
    rec_buf_free(&p->low[0]);
    rec_buf_free(&p->low[1]);
}
