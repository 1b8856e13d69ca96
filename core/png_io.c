/* png_io.c - PNG through libpng: iio_png_reader_init, iio_png_reader_read
 * (for image_io.c) and iio_png_write.
 *
 * libpng reports errors by longjmp; the error and warning callbacks copy the
 * message into our error instead of printing it. Reading: 1-bit gray stays
 * 1-bit (inverted, since PNG's 1 is white and our set bit is ink); 2/4/8/16
 * bit gray becomes 8-bit gray; palette becomes RGB; anything with alpha or
 * tRNS becomes RGBA; 16-bit samples are scaled to 8 bits. pHYs in metres
 * gives the dpi. */
#include "core/image_io_internal.h"

#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *name;
    const uint8_t *data;
    size_t len, pos;
    iio_lib_message msg;
} iio_png_src;

static void iio_png_on_error(png_structp png, png_const_charp text)
{
    iio_lib_message *m = png_get_error_ptr(png);
    if (m && !m->error[0])
        snprintf(m->error, sizeof m->error, "%s", text);
    png_longjmp(png, 1);
}

static void iio_png_on_warning(png_structp png, png_const_charp text)
{
    iio_lib_message *m = png_get_error_ptr(png);
    if (m && !m->warning[0])
        snprintf(m->warning, sizeof m->warning, "%s", text);
}

static void iio_png_src_read(png_structp png, png_bytep buf, size_t n)
{
    iio_png_src *s = png_get_io_ptr(png);
    if (s->len - s->pos < n)
        png_error(png, "file is truncated");
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
}

static double iio_png_dpi(png_structp png, png_infop info)
{
    png_uint_32 xr = 0, yr = 0;
    int unit = 0;
    if (!png_get_pHYs(png, info, &xr, &yr, &unit) || unit != PNG_RESOLUTION_METER || xr == 0)
        return 0;
    /* 200 dpi is stored as 7874 px/m, i.e. 199.9996 dpi. */
    return round((double)xr * 0.0254 * 100.0) / 100.0;
}

/* Sets up a read struct over r's bytes. Returns NULL on out of memory. */
static png_structp iio_png_start(const iio_reader *r, iio_png_src *src, png_infop *info)
{
    memset(src, 0, sizeof *src);
    src->name = r->name;
    src->data = r->data;
    src->len = r->len;
    *info = NULL;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src->msg, iio_png_on_error,
                                             iio_png_on_warning);
    if (!png)
        return NULL;
    *info = png_create_info_struct(png);
    if (!*info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return NULL;
    }
    png_set_read_fn(png, src, iio_png_src_read);
    png_set_user_limits(png, IMG_MAX_DIM, IMG_MAX_DIM);
    /* Bad CRCs in ancillary chunks are errors too: a damaged ballot image
     * is rejected, not half-read. */
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_WARN_DISCARD);
    return png;
}

/* libpng's error, with the warning that explains it when there is one
 * ("Invalid IHDR data (Image width exceeds user limit in IHDR)"). */
static const char *iio_png_detail(iio_lib_message *m)
{
    if (!m->error[0])
        return m->warning;
    if (m->warning[0]) {
        size_t n = strlen(m->error);
        snprintf(m->error + n, sizeof m->error - n, " (%s)", m->warning);
        m->warning[0] = '\0';
    }
    return m->error;
}

int iio_png_reader_init(iio_reader *r)
{
    iio_png_src src;
    png_infop info = NULL;
    png_structp png = iio_png_start(r, &src, &info);
    if (!png)
        return err_set(TELLE_ENOMEM, "%s: out of memory for the PNG decoder", r->name);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return err_set(TELLE_EFORMAT, "%s: corrupt PNG header: %s", r->name,
                       iio_png_detail(&src.msg));
    }
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    if (w > IMG_MAX_DIM || h > IMG_MAX_DIM || img_size_check((int)w, (int)h, 4, 8, NULL))
        return err_set(TELLE_EFORMAT, "%s: PNG size %ux%u is empty or above the limit of %d pixels",
                       r->name, (unsigned)w, (unsigned)h, IMG_MAX_DIM);
    r->pages = 1;
    return 0;
}

int iio_png_reader_read(img **out, const iio_reader *r)
{
    *out = NULL;
    iio_png_src src;
    png_infop info = NULL;
    img *volatile im = NULL;
    png_bytep *volatile rows = NULL;
    png_structp png = iio_png_start(r, &src, &info);
    if (!png)
        return err_set(TELLE_ENOMEM, "%s: out of memory for the PNG decoder", r->name);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        img_free(im);
        return err_set(TELLE_EFORMAT, "%s: corrupt PNG data: %s", r->name, iio_png_detail(&src.msg));
    }
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info);
    int type = png_get_color_type(png, info);
    int trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    int channels, bits = 8;
    if (type == PNG_COLOR_TYPE_GRAY && depth == 1 && !trns) {
        channels = 1;
        bits = 1;
    } else {
        if (depth == 16)
            png_set_scale_16(png);
        if (type == PNG_COLOR_TYPE_PALETTE)
            png_set_palette_to_rgb(png);
        if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
            png_set_expand_gray_1_2_4_to_8(png);
        if (trns)
            png_set_tRNS_to_alpha(png);
        int alpha = trns || (type & PNG_COLOR_MASK_ALPHA);
        int color = (type & PNG_COLOR_MASK_COLOR) != 0;
        if (alpha && !color)
            png_set_gray_to_rgb(png);
        channels = alpha ? 4 : color ? 3 : 1;
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    img *tmp = NULL;
    if (img_new(&tmp, (int)w, (int)h, channels, bits)) {
        png_destroy_read_struct(&png, &info, NULL);
        return err_prefix("%s: ", r->name);
    }
    im = tmp;
    if (png_get_rowbytes(png, info) != img_stride(im))
        png_error(png, "unexpected row size after conversion");
    rows = malloc(sizeof *rows * h);
    if (!rows) {
        png_destroy_read_struct(&png, &info, NULL);
        img_free(im);
        return err_set(TELLE_ENOMEM, "%s: out of memory for row pointers", r->name);
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = img_row_mut(im, (int)y);
    png_read_image(png, rows);
    png_read_end(png, NULL);
    img_set_dpi(im, iio_png_dpi(png, info), iio_png_dpi(png, info));
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    if (bits == 1) {
        size_t stride = img_stride(im);
        uint8_t last = (w & 7) ? (uint8_t)(0xff << (8 - (w & 7))) : 0xff;
        for (png_uint_32 y = 0; y < h; y++) {
            uint8_t *d = img_row_mut(im, (int)y);
            for (size_t i = 0; i < stride; i++)
                d[i] = (uint8_t)~d[i];
            d[stride - 1] &= last;
        }
    }
    *out = im;
    return 0;
}

int iio_png_write(const char *path, const img *im)
{
    iio_lib_message msg;
    memset(&msg, 0, sizeof msg);
    FILE *f = fopen(path, "wb");
    if (!f)
        return err_set(TELLE_EIO, "%s: cannot create: %s", path, strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &msg, iio_png_on_error,
                                              iio_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        unlink(path);
        return err_set(TELLE_ENOMEM, "%s: out of memory for the PNG encoder", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        unlink(path);
        return err_set(TELLE_EIO, "%s: cannot write PNG: %s", path, iio_png_detail(&msg));
    }
    png_init_io(png, f);
    int ch = img_channels(im), type;
    if (img_depth(im) == 1 || ch == 1)
        type = PNG_COLOR_TYPE_GRAY;
    else if (ch == 3)
        type = PNG_COLOR_TYPE_RGB;
    else
        type = PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(png, info, (png_uint_32)img_width(im), (png_uint_32)img_height(im),
                 img_depth(im), type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (img_dpi_x(im) > 0 && img_dpi_y(im) > 0)
        png_set_pHYs(png, info, (png_uint_32)lround(img_dpi_x(im) / 0.0254),
                     (png_uint_32)lround(img_dpi_y(im) / 0.0254), PNG_RESOLUTION_METER);
    if (img_depth(im) == 1)
        png_set_filter(png, 0, PNG_FILTER_NONE);
    png_write_info(png, info);
    if (img_depth(im) == 1)
        png_set_invert_mono(png); /* our set bit is ink, PNG's 1 is white */
    for (int y = 0; y < img_height(im); y++)
        png_write_row(png, img_row(im, y));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    int bad = fflush(f) != 0 || ferror(f);
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(path);
        return err_set(TELLE_EIO, "%s: cannot write PNG: %s", path, strerror(e));
    }
    return 0;
}
