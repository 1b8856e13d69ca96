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

static int make_low(rec_buf *low, const rec_buf *ink, double dpi)
{
    int w = (int)lround(ink->width * REC_LOW_DPI / dpi);
    int h = (int)lround(ink->height * REC_LOW_DPI / dpi);
    int rc = rec_buf_new(low, w < 1 ? 1 : w, h < 1 ? 1 : h);
    if (rc)
        return rc;
    cvs_view s = rec_view(ink);
    cvs_buf d = rec_cvbuf(low);
    return cvs_resize_area(&s, &d);
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

int rec_page_prepare(rec_page *p, const img *im, double dpi)
{
    memset(p, 0, sizeof *p);
    p->dpi = dpi;
    hash_sha256_pixels(p->sha256, im);
    int rc = gray_at(&p->gray, im, dpi);
    if (rc)
        goto fail;
    p->bitonal = img_depth(im) == 1;
    p->paper = rec_paper_level(&p->gray);
    p->ink_threshold = rec_ink_threshold(p->paper);
    if ((rc = fill_ink(p)) || (rc = make_low(&p->low[0], &p->ink, dpi)) ||
        (rc = turned(&p->low[1], &p->low[0])))
        goto fail;
    return 0;
fail:
    rec_page_release(p);
    return rc;
}

void rec_page_release(rec_page *p)
{
    rec_buf_free(&p->gray);
    rec_buf_free(&p->ink);
    rec_buf_free(&p->low[0]);
    rec_buf_free(&p->low[1]);
}
