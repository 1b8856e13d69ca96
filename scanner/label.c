/* label.c - reading a batch label's Code 128 with libzbar: scan_label_read.
 * (scan_label_parse, the text part, lives in archive.c with the batch
 * metadata it fills.) */
#include "scanner/archive.h"

#include "core/error.h"

#include <zbar.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A4 at 150 dpi is 1240 px wide: at most this many columns reach zbar. */
enum { LABEL_MAX_WIDTH = 1300 };

/* Gray 0/255 copy of rows [y0, y1) of `page`, averaged over f x f blocks
 * and thresholded at mid-gray: averaging keeps bar widths unbiased where
 * a min or max filter would fatten bars or spaces. */
static uint8_t *binarise(int *ow, int *oh, const img *page, int y0, int y1,
                         int f)
{
    int w = img_width(page) / f, h = (y1 - y0) / f;
    if (w <= 0 || h <= 0)
        return NULL;
    uint8_t *out = malloc((size_t)w * (size_t)h);
    unsigned *acc = calloc((size_t)w, sizeof *acc);
    if (!out || !acc) {
        free(out);
        free(acc);
        return NULL;
    }
    int ch = img_channels(page), depth = img_depth(page);
    for (int y = 0; y < h; y++) {
        memset(acc, 0, (size_t)w * sizeof *acc);
        for (int dy = 0; dy < f; dy++) {
            const uint8_t *row = img_row(page, y0 + y * f + dy);
            if (depth == 1) {
                for (int x = 0; x < w * f; x++)
                    acc[x / f] += (row[x >> 3] >> (7 - (x & 7)) & 1) ? 0 : 255;
            } else if (ch == 1) {
                for (int x = 0; x < w * f; x++)
                    acc[x / f] += row[x];
            } else {
                for (int x = 0; x < w * f; x++) {
                    const uint8_t *p = row + (size_t)x * (size_t)ch;
                    acc[x / f] += (299u * p[0] + 587u * p[1] + 114u * p[2]) /
                                  1000u;
                }
            }
        }
        unsigned half = 128u * (unsigned)(f * f);
        for (int x = 0; x < w; x++)
            out[(size_t)y * (size_t)w + (size_t)x] = acc[x] < half ? 0 : 255;
    }
    free(acc);
    *ow = w;
    *oh = h;
    return out;
}

/* Decodes Code 128 symbols in a gray buffer; returns the first telle
 * label's text (malloc'd) or NULL. */
static char *decode(const uint8_t *gray, int w, int h, bool *nomem)
{
    char *text = NULL;
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *zi = zbar_image_create();
    if (!sc || !zi) {
        *nomem = true;
        goto done;
    }
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_CODE128, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)w, (unsigned)h);
    zbar_image_set_data(zi, gray, (unsigned long)w * (unsigned long)h, NULL);
    if (zbar_scan_image(sc, zi) > 0) {
        for (const zbar_symbol_t *s = zbar_image_first_symbol(zi); s;
             s = zbar_symbol_next(s)) {
            const char *d = zbar_symbol_get_data(s);
            if (zbar_symbol_get_type(s) == ZBAR_CODE128 && d &&
                strncmp(d, "TELLE;", 6) == 0) {
                text = strdup(d);
                if (!text)
                    *nomem = true;
                break;
            }
        }
    }
done:
    if (zi)
        zbar_image_destroy(zi);
    if (sc)
        zbar_image_scanner_destroy(sc);
    return text;
}

/* The rows of a binarised page that most look like a barcode: the longest
 * run of rows whose count of black/white transitions is at least half the
 * page's highest (and at least 40: a line of text has far fewer). Returns
 * false when no row qualifies. */
static bool barcode_band(int *b0, int *b1, const uint8_t *gray, int w, int h)
{
    int *tr = calloc((size_t)h, sizeof *tr);
    if (!tr)
        return false;
    int best = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = gray + (size_t)y * (size_t)w;
        for (int x = 1; x < w; x++)
            tr[y] += row[x] != row[x - 1];
        if (tr[y] > best)
            best = tr[y];
    }
    bool ok = false;
    if (best >= 40) {
        int run0 = -1, best_len = 0;
        for (int y = 0; y <= h; y++) {
            bool in = y < h && tr[y] * 2 >= best;
            if (in && run0 < 0)
                run0 = y;
            if (!in && run0 >= 0) {
                if (y - run0 > best_len) {
                    best_len = y - run0;
                    *b0 = run0;
                    *b1 = y;
                    ok = true;
                }
                run0 = -1;
            }
        }
    }
    free(tr);
    return ok;
}

int scan_label_read(scan_batch_meta *out, bool *found, const img *page)
{
    memset(out, 0, sizeof *out);
    *found = false;
    int f = (img_width(page) + LABEL_MAX_WIDTH - 1) / LABEL_MAX_WIDTH;
    if (f < 1)
        f = 1;
    int h = img_height(page);
    /* First the whole page at ~150 dpi. Bars narrower than that resolution
     * resolves (a 200-dpi label with 0.25 mm modules) still show there as
     * rows full of transitions: that band alone is then read at full
     * resolution. */
    char *text = NULL;
    bool nomem = false;
    int w2 = 0, h2 = 0;
    uint8_t *gray = binarise(&w2, &h2, page, 0, h, f);
    if (!gray)
        nomem = true;
    else
        text = decode(gray, w2, h2, &nomem);
    int b0, b1;
    if (!text && !nomem && f > 1 && barcode_band(&b0, &b1, gray, w2, h2)) {
        int margin = 4;
        int y0 = (b0 - margin) * f, y1 = (b1 + margin) * f;
        if (y0 < 0)
            y0 = 0;
        if (y1 > h)
            y1 = h;
        int w3, h3;
        uint8_t *band = binarise(&w3, &h3, page, y0, y1, 1);
        if (!band)
            nomem = true;
        else
            text = decode(band, w3, h3, &nomem);
        free(band);
    }
    free(gray);
    if (nomem) {
        free(text);
        return err_set(TELLE_ENOMEM, "out of memory reading a batch label");
    }
    if (!text)
        return 0;
    int rc = scan_label_parse(out, text);
    free(text);
    if (rc)
        return rc;
    *found = true;
    return 0;
}
