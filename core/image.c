/* image.c - the image type: img_size_check, img_new, img_ref, img_free,
 * accessors, img_row, img_row_mut, img_to_gray. */
#include "core/image_internal.h"

#include "core/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int img_size_check(int width, int height, int channels, int depth,
                   size_t *stride)
{
    if (width <= 0 || height <= 0)
        return err_set(TELLE_EFORMAT, "image size %dx%d is empty or negative",
                       width, height);
    if (width > IMG_MAX_DIM || height > IMG_MAX_DIM)
        return err_set(TELLE_EFORMAT,
                       "image size %dx%d is above the limit of %d pixels",
                       width, height, IMG_MAX_DIM);
    if (channels != 1 && channels != 3 && channels != 4)
        return err_set(TELLE_EFORMAT, "%d samples per pixel is not supported",
                       channels);
    if (depth != 1 && depth != 8)
        return err_set(TELLE_EFORMAT, "%d bits per sample is not supported",
                       depth);
    if (depth == 1 && channels != 1)
        return err_set(TELLE_EFORMAT, "1-bit images must have one channel");
    uint64_t bits = (uint64_t)width * (uint64_t)channels * (uint64_t)depth;
    uint64_t row = (bits + 7) / 8;
    uint64_t total = row * (uint64_t)height;
    if (total > (uint64_t)SIZE_MAX / 2 || total > IMG_MAX_BYTES)
        return err_set(TELLE_EFORMAT, "image of %dx%d would need %llu bytes",
                       width, height, (unsigned long long)total);
    if (stride)
        *stride = (size_t)row;
    return 0;
}

int img_new(img **out, int width, int height, int channels, int depth)
{
    *out = NULL;
    size_t stride;
    int rc = img_size_check(width, height, channels, depth, &stride);
    if (rc)
        return rc;
    img *im = calloc(1, sizeof *im);
    if (!im)
        return err_set(TELLE_ENOMEM, "out of memory for an image header");
    im->pixels = calloc((size_t)height, stride);
    if (!im->pixels) {
        free(im);
        return err_set(TELLE_ENOMEM, "out of memory for a %dx%d image", width,
                       height);
    }
    im->width = width;
    im->height = height;
    im->channels = channels;
    im->depth = depth;
    im->stride = stride;
    im->refs = 1;
    *out = im;
    return 0;
}

img *img_ref(img *im)
{
    if (im)
        __atomic_add_fetch(&im->refs, 1, __ATOMIC_RELAXED);
    return im;
}

void img_free(img *im)
{
    if (!im)
        return;
    if (__atomic_sub_fetch(&im->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    free(im->pixels);
    free(im);
}

int img_width(const img *im) { return im->width; }
int img_height(const img *im) { return im->height; }
int img_channels(const img *im) { return im->channels; }
int img_depth(const img *im) { return im->depth; }
size_t img_stride(const img *im) { return im->stride; }
double img_dpi_x(const img *im) { return im->dpi_x; }
double img_dpi_y(const img *im) { return im->dpi_y; }

void img_set_dpi(img *im, double dpi_x, double dpi_y)
{
    im->dpi_x = dpi_x;
    im->dpi_y = dpi_y;
}

const uint8_t *img_row(const img *im, int y)
{
    return im->pixels + (size_t)y * im->stride;
}

uint8_t *img_row_mut(img *im, int y)
{
    return im->pixels + (size_t)y * im->stride;
}

/* bit_expand[b][i]: gray of pixel i (most significant bit first) of a
 * 1-bit byte b: ink 0, paper 255. */
static uint8_t bit_expand[256][8];

static void bit_expand_fill(void)
{
    for (int b = 0; b < 256; b++)
        for (int i = 0; i < 8; i++)
            bit_expand[b][i] = (b & (0x80 >> i)) ? 0 : 255;
}

int img_to_gray(img **out, const img *src)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, bit_expand_fill);
    *out = NULL;
    img *g = NULL;
    int rc = img_new(&g, src->width, src->height, 1, 8);
    if (rc)
        return rc;
    img_set_dpi(g, src->dpi_x, src->dpi_y);
    const int w = src->width;
    for (int y = 0; y < src->height; y++) {
        const uint8_t *restrict s = img_row(src, y);
        uint8_t *restrict d = img_row_mut(g, y);
        if (src->depth == 1) {
            /* Eight pixels per byte through a table: 1-bit pages are the
             * common case and this is every pixel of them. */
            int full = w / 8;
            for (int b = 0; b < full; b++)
                memcpy(d + 8 * b, bit_expand[s[b]], 8);
            for (int x = 8 * full; x < w; x++)
                d[x] = (s[x >> 3] & (0x80 >> (x & 7))) ? 0 : 255;
        } else if (src->channels == 1) {
            memcpy(d, s, (size_t)w);
        } else if (src->channels == 3) {
            for (int x = 0; x < w; x++, s += 3)
                d[x] = (uint8_t)((299 * s[0] + 587 * s[1] + 114 * s[2] + 500) / 1000);
        } else {
            for (int x = 0; x < w; x++, s += 4) {
                unsigned luma = (299 * s[0] + 587 * s[1] + 114 * s[2] + 500) / 1000;
                unsigned a = s[3];
                d[x] = (uint8_t)((luma * a + 255 * (255 - a) + 127) / 255);
            }
        }
    }
    *out = g;
    return 0;
}
