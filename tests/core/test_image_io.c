/* test_image_io.c - TIFF and PNG reading and writing, by real files.
 *
 * Variants our writer does not produce (G3, JPEG, Deflate, PackBits, none,
 * min-is-black, tiles, palette, 16-bit, ...) are written here with libtiff
 * and libpng directly and read back with our reader; what our writer
 * produces is read back with our reader and, for the tags, with libtiff.
 * Broken files are made by damaging good ones. When ../shared/devset exists
 * every page of every batch file is loaded. */
#include "core/error.h"
#include "core/image.h"
#include "core/image_io.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <time.h>
#include <unistd.h>

/* ---- scratch directory, one per test (Check forks each test) ---------- */

static char *tdir;

static void tdir_setup(void)
{
    tdir = tu_tmpdir("iio");
}

static void tdir_teardown(void)
{
    if (!getenv("TELLE_KEEP_TMP"))
        tu_rmtree(tdir);
    free(tdir);
}

static const char *tpath(const char *name)
{
    static char p[4][600];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", tdir, name);
    return p[i];
}

/* ---- test pictures ------------------------------------------------------ */

/* An irregular 1-bit pattern; widths not a multiple of 8 test padding. */
static img *make_bilevel(int w, int h)
{
    img *im = NULL;
    ck_assert_int_eq(img_new(&im, w, h, 1, 1), 0);
    for (int y = 0; y < h; y++) {
        uint8_t *r = img_row_mut(im, y);
        for (int x = 0; x < w; x++)
            if ((x * 7 + y * 13) % 11 < 3 || x == y || (x / 9 + y / 5) % 7 == 0)
                r[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
    }
    img_set_dpi(im, 200, 200);
    return im;
}

/* Smooth content, so lossy JPEG stays close; `sharp` adds a fine texture
 * for the lossless codecs. */
static img *make_color(int w, int h, int ch, int sharp)
{
    img *im = NULL;
    ck_assert_int_eq(img_new(&im, w, h, ch, 8), 0);
    for (int y = 0; y < h; y++) {
        uint8_t *r = img_row_mut(im, y);
        for (int x = 0; x < w; x++) {
            for (int c = 0; c < ch; c++) {
                int v = x * 100 / w + y * (c + 1) * 30 / h + c * 30;
                if (sharp)
                    v = (v + ((x * 31 + y * 17 + c * 5) % 23)) & 255;
                if (c == 3)
                    v = (x * 5 + y) & 255;
                r[x * ch + c] = (uint8_t)v;
            }
        }
    }
    img_set_dpi(im, 300, 300);
    return im;
}

static void assert_same_pixels(const img *a, const img *b)
{
    ck_assert_int_eq(img_width(a), img_width(b));
    ck_assert_int_eq(img_height(a), img_height(b));
    ck_assert_int_eq(img_channels(a), img_channels(b));
    ck_assert_int_eq(img_depth(a), img_depth(b));
    size_t n = img_stride(a);
    for (int y = 0; y < img_height(a); y++)
        ck_assert_msg(memcmp(img_row(a, y), img_row(b, y), n) == 0, "row %d differs", y);
}

/* Mean absolute difference per sample, for lossy codecs. */
static double mean_abs_diff(const img *a, const img *b)
{
    ck_assert_int_eq(img_width(a), img_width(b));
    ck_assert_int_eq(img_height(a), img_height(b));
    ck_assert_int_eq(img_channels(a), img_channels(b));
    double sum = 0;
    size_t n = (size_t)img_width(a) * img_channels(a);
    for (int y = 0; y < img_height(a); y++)
        for (size_t i = 0; i < n; i++)
            sum += abs(img_row(a, y)[i] - img_row(b, y)[i]);
    return sum / ((double)n * img_height(a));
}

static img *read_one(const char *path, int page)
{
    iio_reader *r = NULL;
    img *im = NULL;
    ck_assert_msg(iio_reader_open(&r, path) == 0, "open %s: %s", path, err_message());
    ck_assert_msg(iio_reader_read(&im, r, page) == 0, "read %s: %s", path, err_message());
    iio_reader_close(r);
    return im;
}

/* ---- writing TIFFs with libtiff directly -------------------------------- */

typedef struct {
    uint16_t compression, photometric, bps, spp;
    uint16_t predictor;       /* 0: none */
    uint16_t g3options;
    uint32_t rows_per_strip;  /* 0: whole page */
    uint32_t tile;            /* >0: square tiles of this size */
    int big_endian;
    int resunit;              /* 0: no resolution tags */
    float res;
    uint16_t extra;           /* EXTRASAMPLE_* for one extra sample, 0: none */
    int jpeg_rgb_in;          /* YCbCr JPEG fed with RGB rows */
    uint16_t *cmap[3];
} tspec;

/* Adds one page from raw rows (the TIFF's own sample layout, `scanline`
 * bytes apart). */
static void tiff_page(TIFF *t, const tspec *s, int w, int h, const uint8_t *raw, size_t scanline)
{
    ck_assert(TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)w));
    ck_assert(TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)h));
    ck_assert(TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps));
    ck_assert(TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp));
    ck_assert(TIFFSetField(t, TIFFTAG_COMPRESSION, s->compression));
    ck_assert(TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric));
    ck_assert(TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG));
    if (s->predictor)
        ck_assert(TIFFSetField(t, TIFFTAG_PREDICTOR, s->predictor));
    if (s->compression == COMPRESSION_CCITTFAX3)
        ck_assert(TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, (uint32_t)s->g3options));
    if (s->compression == COMPRESSION_JPEG) {
        ck_assert(TIFFSetField(t, TIFFTAG_JPEGQUALITY, 92));
        if (s->jpeg_rgb_in)
            ck_assert(TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB));
    }
    if (s->extra) {
        uint16_t ex[1] = {s->extra};
        ck_assert(TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, ex));
    }
    if (s->cmap[0])
        ck_assert(TIFFSetField(t, TIFFTAG_COLORMAP, s->cmap[0], s->cmap[1], s->cmap[2]));
    if (s->resunit) {
        ck_assert(TIFFSetField(t, TIFFTAG_XRESOLUTION, s->res));
        ck_assert(TIFFSetField(t, TIFFTAG_YRESOLUTION, s->res));
        ck_assert(TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, (uint16_t)s->resunit));
    }
    size_t bits = (size_t)s->bps * s->spp;
    if (s->tile) {
        uint32_t ts = s->tile;
        ck_assert(TIFFSetField(t, TIFFTAG_TILEWIDTH, ts));
        ck_assert(TIFFSetField(t, TIFFTAG_TILELENGTH, ts));
        size_t trow = ts * bits / 8;
        uint8_t *buf = malloc(trow * ts);
        for (int ty = 0; ty < h; ty += (int)ts) {
            for (int tx = 0; tx < w; tx += (int)ts) {
                memset(buf, 0, trow * ts);
                for (int r = 0; r < (int)ts && ty + r < h; r++) {
                    size_t off = (size_t)tx * bits / 8;
                    size_t n = scanline - off < trow ? scanline - off : trow;
                    memcpy(buf + (size_t)r * trow, raw + (size_t)(ty + r) * scanline + off, n);
                }
                ck_assert(TIFFWriteEncodedTile(t, TIFFComputeTile(t, (uint32_t)tx, (uint32_t)ty, 0, 0),
                                               buf, (tmsize_t)(trow * ts)) >= 0);
            }
        }
        free(buf);
    } else {
        uint32_t rps = s->rows_per_strip ? s->rows_per_strip : (uint32_t)h;
        ck_assert(TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps));
        /* libtiff may alter the buffer (predictor): hand it a copy */
        uint8_t *copy = malloc(scanline * (size_t)h);
        memcpy(copy, raw, scanline * (size_t)h);
        for (uint32_t y = 0, s_ = 0; y < (uint32_t)h; y += rps, s_++) {
            uint32_t rows = (uint32_t)h - y < rps ? (uint32_t)h - y : rps;
            ck_assert(TIFFWriteEncodedStrip(t, s_, copy + y * scanline, (tmsize_t)(rows * scanline)) >= 0);
        }
        free(copy);
    }
    ck_assert(TIFFWriteDirectory(t));
}

static TIFF *tiff_create(const char *path, int big_endian)
{
    TIFF *t = TIFFOpen(path, big_endian ? "wb" : "wl");
    ck_assert_ptr_nonnull(t);
    return t;
}

static void write_tiff(const char *path, const tspec *s, int w, int h, const uint8_t *raw, size_t scanline)
{
    TIFF *t = tiff_create(path, s->big_endian);
    tiff_page(t, s, w, h, raw, scanline);
    TIFFClose(t);
}

/* Raw rows of a telle image, as a TIFF with that layout stores them. */
static uint8_t *raw_of(const img *im, int invert, size_t *scanline)
{
    size_t n = img_stride(im);
    uint8_t *raw = malloc(n * (size_t)img_height(im));
    for (int y = 0; y < img_height(im); y++) {
        memcpy(raw + (size_t)y * n, img_row(im, y), n);
        if (invert)
            for (size_t i = 0; i < n; i++)
                raw[(size_t)y * n + i] ^= 0xff;
    }
    *scanline = n;
    return raw;
}

/* Writes im with spec s (from im's own pixels), reads it back. */
static img *tiff_round_trip(const img *im, const tspec *s, int invert)
{
    size_t scan;
    uint8_t *raw = raw_of(im, invert, &scan);
    const char *p = tpath("rt.tif");
    write_tiff(p, s, img_width(im), img_height(im), raw, scan);
    free(raw);
    return read_one(p, 1);
}

#define TSPEC(...) ((tspec){__VA_ARGS__})

/* ---- TIFF reading ------------------------------------------------------- */

START_TEST(tiff_bilevel_every_codec_min_is_white_and_black)
{
    static const struct {
        uint16_t comp, g3;
        uint32_t rps;
    } codecs[] = {
        {COMPRESSION_CCITTFAX4, 0, 0},  {COMPRESSION_CCITTFAX3, 0, 16},
        {COMPRESSION_CCITTFAX3, GROUP3OPT_2DENCODING, 0},
        {COMPRESSION_NONE, 0, 7},       {COMPRESSION_PACKBITS, 0, 0},
        {COMPRESSION_LZW, 0, 10},       {COMPRESSION_ADOBE_DEFLATE, 0, 0},
        {COMPRESSION_CCITTRLE, 0, 0},
    };
    img *want = make_bilevel(203, 61);
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        for (int black = 0; black <= 1; black++) {
            tspec s = TSPEC(.compression = codecs[i].comp, .g3options = codecs[i].g3,
                            .rows_per_strip = codecs[i].rps,
                            .photometric = black ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_MINISWHITE,
                            .bps = 1, .spp = 1, .resunit = RESUNIT_INCH, .res = 200);
            img *got = tiff_round_trip(want, &s, black);
            ck_assert_msg(img_depth(got) == 1, "codec %u", codecs[i].comp);
            assert_same_pixels(got, want);
            ck_assert(img_dpi_x(got) == 200 && img_dpi_y(got) == 200);
            img_free(got);
        }
    }
    img_free(want);
}
END_TEST

START_TEST(tiff_bilevel_tiles)
{
    img *want = make_bilevel(100, 70);
    tspec s = TSPEC(.compression = COMPRESSION_CCITTFAX4, .photometric = PHOTOMETRIC_MINISWHITE,
                    .bps = 1, .spp = 1, .tile = 32);
    img *got = tiff_round_trip(want, &s, 0);
    assert_same_pixels(got, want);
    ck_assert(img_dpi_x(got) == 0); /* no resolution tags: unknown */
    img_free(got);
    img_free(want);
}
END_TEST

START_TEST(tiff_gray_every_lossless_codec_and_min_is_white)
{
    static const uint16_t comps[] = {COMPRESSION_NONE, COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE,
                                     COMPRESSION_PACKBITS};
    img *want = make_color(77, 45, 1, 1);
    for (size_t i = 0; i < sizeof comps / sizeof comps[0]; i++) {
        for (int white = 0; white <= 1; white++) {
            tspec s = TSPEC(.compression = comps[i], .rows_per_strip = 8,
                            .photometric = white ? PHOTOMETRIC_MINISWHITE : PHOTOMETRIC_MINISBLACK,
                            .bps = 8, .spp = 1, .big_endian = white,
                            .predictor = comps[i] == COMPRESSION_NONE || comps[i] == COMPRESSION_PACKBITS
                                             ? 0 : PREDICTOR_HORIZONTAL,
                            .resunit = RESUNIT_CENTIMETER, .res = 78.74f);
            img *got = tiff_round_trip(want, &s, white);
            assert_same_pixels(got, want);
            ck_assert_msg(img_dpi_x(got) == 200, "dpi %f", img_dpi_x(got));
            img_free(got);
        }
    }
    img_free(want);
}
END_TEST

START_TEST(tiff_gray_jpeg_and_tiles)
{
    img *want = make_color(120, 90, 1, 0);
    tspec s = TSPEC(.compression = COMPRESSION_JPEG, .photometric = PHOTOMETRIC_MINISBLACK,
                    .bps = 8, .spp = 1, .rows_per_strip = 16, .resunit = RESUNIT_INCH, .res = 200);
    img *got = tiff_round_trip(want, &s, 0);
    ck_assert_int_eq(img_channels(got), 1);
    double d = mean_abs_diff(got, want);
    ck_assert_msg(d < 2.0, "JPEG gray differs by %f", d);
    img_free(got);

    s = TSPEC(.compression = COMPRESSION_LZW, .photometric = PHOTOMETRIC_MINISBLACK, .bps = 8,
              .spp = 1, .tile = 32, .predictor = PREDICTOR_HORIZONTAL);
    img_free(want);
    want = make_color(100, 70, 1, 1);
    got = tiff_round_trip(want, &s, 0);
    assert_same_pixels(got, want);
    img_free(got);
    img_free(want);
}
END_TEST

START_TEST(tiff_rgb_and_rgba_lossless_and_tiled)
{
    for (int ch = 3; ch <= 4; ch++) {
        img *want = make_color(65, 33, ch, 1);
        tspec s = TSPEC(.compression = COMPRESSION_LZW, .predictor = PREDICTOR_HORIZONTAL,
                        .photometric = PHOTOMETRIC_RGB, .bps = 8, .spp = (uint16_t)ch,
                        .extra = ch == 4 ? EXTRASAMPLE_UNASSALPHA : 0, .rows_per_strip = 5);
        img *got = tiff_round_trip(want, &s, 0);
        assert_same_pixels(got, want);
        img_free(got);
        s.compression = COMPRESSION_ADOBE_DEFLATE;
        s.tile = 16;
        got = tiff_round_trip(want, &s, 0);
        assert_same_pixels(got, want);
        img_free(got);
        s.compression = COMPRESSION_NONE;
        s.predictor = 0;
        s.tile = 0;
        s.big_endian = 1;
        got = tiff_round_trip(want, &s, 0);
        assert_same_pixels(got, want);
        img_free(got);
        img_free(want);
    }
}
END_TEST

START_TEST(tiff_rgb_jpeg_ycbcr_and_rgb)
{
    img *want = make_color(128, 96, 3, 0);
    /* YCbCr with 2x2 subsampling, as cameras and scanners write it */
    tspec s = TSPEC(.compression = COMPRESSION_JPEG, .photometric = PHOTOMETRIC_YCBCR, .bps = 8,
                    .spp = 3, .jpeg_rgb_in = 1, .rows_per_strip = 16);
    img *got = tiff_round_trip(want, &s, 0);
    ck_assert_int_eq(img_channels(got), 3);
    double d = mean_abs_diff(got, want);
    ck_assert_msg(d < 4.0, "JPEG YCbCr differs by %f", d);
    img_free(got);
    s = TSPEC(.compression = COMPRESSION_JPEG, .photometric = PHOTOMETRIC_RGB, .bps = 8, .spp = 3,
              .rows_per_strip = 16);
    got = tiff_round_trip(want, &s, 0);
    d = mean_abs_diff(got, want);
    ck_assert_msg(d < 3.0, "JPEG RGB differs by %f", d);
    img_free(got);
    img_free(want);
}
END_TEST

START_TEST(tiff_palette_to_rgb_and_gray)
{
    /* 8-bit colour palette: index i is (i, 255 - i, i * 3) */
    uint16_t r[256], g[256], b[256];
    for (int i = 0; i < 256; i++) {
        r[i] = (uint16_t)(i * 257);
        g[i] = (uint16_t)((255 - i) * 257);
        b[i] = (uint16_t)(((i * 3) & 255) * 257);
    }
    int w = 37, h = 11;
    uint8_t raw[37 * 11];
    for (int i = 0; i < w * h; i++)
        raw[i] = (uint8_t)(i * 7);
    tspec s = TSPEC(.compression = COMPRESSION_PACKBITS, .photometric = PHOTOMETRIC_PALETTE, .bps = 8,
                    .spp = 1, .cmap = {r, g, b});
    write_tiff(tpath("pal.tif"), &s, w, h, raw, (size_t)w);
    img *got = read_one(tpath("pal.tif"), 1);
    ck_assert_int_eq(img_channels(got), 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int i = raw[y * w + x];
            const uint8_t *p = img_row(got, y) + 3 * x;
            ck_assert(p[0] == i && p[1] == 255 - i && p[2] == ((i * 3) & 255));
        }
    img_free(got);

    /* 4-bit gray palette, reversed: index i is gray 255 - 17 i */
    uint16_t gm[16];
    for (int i = 0; i < 16; i++)
        gm[i] = (uint16_t)((255 - 17 * i) * 257);
    uint8_t raw4[19 * 5];
    size_t scan = 19; /* 37 pixels of 4 bits */
    for (size_t i = 0; i < sizeof raw4; i++)
        raw4[i] = (uint8_t)(i * 37 + 5);
    s = TSPEC(.compression = COMPRESSION_LZW, .photometric = PHOTOMETRIC_PALETTE, .bps = 4, .spp = 1,
              .cmap = {gm, gm, gm});
    write_tiff(tpath("pal4.tif"), &s, 37, 5, raw4, scan);
    got = read_one(tpath("pal4.tif"), 1);
    ck_assert_int_eq(img_channels(got), 1);
    ck_assert_int_eq(img_depth(got), 8);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 37; x++) {
            int idx = (raw4[y * scan + x / 2] >> (x % 2 ? 0 : 4)) & 15;
            ck_assert_int_eq(img_row(got, y)[x], 255 - 17 * idx);
        }
    img_free(got);
}
END_TEST

START_TEST(tiff_16bit_gray_and_rgb_become_8bit)
{
    int w = 21, h = 9;
    for (int spp = 1; spp <= 3; spp += 2) {
        uint16_t *raw = malloc(sizeof *raw * (size_t)(w * h * spp));
        for (int i = 0; i < w * h * spp; i++)
            raw[i] = (uint16_t)(i * 2731);
        tspec s = TSPEC(.compression = COMPRESSION_LZW, .bps = 16, .spp = (uint16_t)spp,
                        .photometric = spp == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB,
                        .big_endian = 1);
        write_tiff(tpath("16.tif"), &s, w, h, (const uint8_t *)raw, (size_t)(w * spp * 2));
        img *got = read_one(tpath("16.tif"), 1);
        ck_assert_int_eq(img_channels(got), spp);
        ck_assert_int_eq(img_depth(got), 8);
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w * spp; i++) {
                int v = raw[y * w * spp + i];
                ck_assert_int_eq(img_row(got, y)[i], (v + 128) / 257);
            }
        img_free(got);
        free(raw);
    }
}
END_TEST

/* Layouts only libtiff's RGBA interface decodes: separate colour planes
 * and CMYK; both come back as RGB. */
START_TEST(tiff_separate_planes_and_cmyk_become_rgb)
{
    const int w = 19, h = 7;
    img *want = make_color(w, h, 3, 1);
    TIFF *t = tiff_create(tpath("planar.tif"), 0);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_SEPARATE);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
    uint8_t plane[19 * 7];
    for (int c = 0; c < 3; c++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                plane[y * w + x] = img_row(want, y)[3 * x + c];
        ck_assert(TIFFWriteEncodedStrip(t, (uint32_t)c, plane, w * h) >= 0);
    }
    TIFFClose(t);
    img *got = read_one(tpath("planar.tif"), 1);
    assert_same_pixels(got, want);
    img_free(got);
    img_free(want);

    /* CMYK: pure cyan, pure black, paper, and 50 % magenta */
    static const uint8_t cmyk[4][4] = {{255, 0, 0, 0}, {0, 0, 0, 255}, {0, 0, 0, 0}, {0, 128, 0, 0}};
    static const uint8_t rgb[4][3] = {{0, 255, 255}, {0, 0, 0}, {255, 255, 255}, {255, 127, 255}};
    tspec s = TSPEC(.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_SEPARATED, .bps = 8,
                    .spp = 4);
    write_tiff(tpath("cmyk.tif"), &s, 4, 1, &cmyk[0][0], 16);
    got = read_one(tpath("cmyk.tif"), 1);
    ck_assert_int_eq(img_channels(got), 3);
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
            ck_assert_msg(abs(img_row(got, 0)[3 * i + c] - rgb[i][c]) <= 1, "pixel %d channel %d: %d", i, c,
                          img_row(got, 0)[3 * i + c]);
    img_free(got);
}
END_TEST

START_TEST(tiff_gray_alpha_becomes_rgba)
{
    const int w = 13, h = 5;
    uint8_t raw[13 * 5 * 2];
    for (int i = 0; i < w * h; i++)
        raw[2 * i] = (uint8_t)(i * 11), raw[2 * i + 1] = (uint8_t)(200 - i);
    for (int white = 0; white <= 1; white++) {
        tspec s = TSPEC(.compression = COMPRESSION_ADOBE_DEFLATE, .bps = 8, .spp = 2,
                        .photometric = white ? PHOTOMETRIC_MINISWHITE : PHOTOMETRIC_MINISBLACK,
                        .extra = EXTRASAMPLE_UNASSALPHA);
        write_tiff(tpath("ga.tif"), &s, w, h, raw, (size_t)w * 2);
        img *got = read_one(tpath("ga.tif"), 1);
        ck_assert_int_eq(img_channels(got), 4);
        for (int i = 0; i < w * h; i++) {
            const uint8_t *p = img_row(got, i / w) + 4 * (i % w);
            int g = white ? 255 - raw[2 * i] : raw[2 * i];
            ck_assert(p[0] == g && p[1] == g && p[2] == g && p[3] == raw[2 * i + 1]);
        }
        img_free(got);
    }
}
END_TEST

START_TEST(tiff_multipage_mixed_and_memory)
{
    img *bw = make_bilevel(90, 40), *gray = make_color(50, 30, 1, 1), *rgb = make_color(20, 10, 3, 1);
    TIFF *t = tiff_create(tpath("multi.tif"), 0);
    size_t scan;
    uint8_t *raw = raw_of(bw, 0, &scan);
    tspec s = TSPEC(.compression = COMPRESSION_CCITTFAX4, .photometric = PHOTOMETRIC_MINISWHITE,
                    .bps = 1, .spp = 1, .resunit = RESUNIT_INCH, .res = 200);
    tiff_page(t, &s, 90, 40, raw, scan);
    free(raw);
    raw = raw_of(gray, 0, &scan);
    s = TSPEC(.compression = COMPRESSION_ADOBE_DEFLATE, .photometric = PHOTOMETRIC_MINISBLACK, .bps = 8,
              .spp = 1, .resunit = RESUNIT_INCH, .res = 300);
    tiff_page(t, &s, 50, 30, raw, scan);
    free(raw);
    raw = raw_of(rgb, 0, &scan);
    s = TSPEC(.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_RGB, .bps = 8, .spp = 3);
    tiff_page(t, &s, 20, 10, raw, scan);
    free(raw);
    TIFFClose(t);

    FILE *f = fopen(tpath("multi.tif"), "rb");
    static uint8_t bytes[1 << 16];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    for (int mem = 0; mem <= 1; mem++) {
        iio_reader *r = NULL;
        if (mem)
            ck_assert_int_eq(iio_reader_open_memory(&r, bytes, n, "multi"), 0);
        else
            ck_assert_int_eq(iio_reader_open(&r, tpath("multi.tif")), 0);
        ck_assert_int_eq(iio_reader_page_count(r), 3);
        img *got = NULL;
        /* out of order on purpose */
        ck_assert_int_eq(iio_reader_read(&got, r, 3), 0);
        assert_same_pixels(got, rgb);
        img_free(got);
        ck_assert_int_eq(iio_reader_read(&got, r, 1), 0);
        assert_same_pixels(got, bw);
        ck_assert(img_dpi_x(got) == 200);
        img_free(got);
        ck_assert_int_eq(iio_reader_read(&got, r, 2), 0);
        assert_same_pixels(got, gray);
        ck_assert(img_dpi_y(got) == 300);
        img_free(got);
        iio_reader_close(r);
    }
    img_free(bw);
    img_free(gray);
    img_free(rgb);
}
END_TEST

/* Several threads decode pages of one reader at once. */
typedef struct {
    iio_reader *r;
    const img *want[3];
    int ok;
} thread_job;

static void *thread_read(void *arg)
{
    thread_job *j = arg;
    j->ok = 1;
    for (int round = 0; round < 20; round++) {
        for (int p = 1; p <= 3; p++) {
            img *got = NULL;
            if (iio_reader_read(&got, j->r, p)) {
                j->ok = 0;
                return NULL;
            }
            const img *w = j->want[p - 1];
            for (int y = 0; y < img_height(w); y++)
                if (memcmp(img_row(got, y), img_row(w, y), img_stride(w)))
                    j->ok = 0;
            img_free(got);
        }
    }
    return NULL;
}

START_TEST(tiff_pages_decode_in_parallel_threads)
{
    img *pages[3] = {make_bilevel(300, 200), make_bilevel(211, 100), make_bilevel(64, 64)};
    TIFF *t = tiff_create(tpath("par.tif"), 0);
    for (int i = 0; i < 3; i++) {
        size_t scan;
        uint8_t *raw = raw_of(pages[i], i == 1, &scan);
        tspec s = TSPEC(.compression = COMPRESSION_CCITTFAX4, .bps = 1, .spp = 1,
                        .photometric = i == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_MINISWHITE);
        tiff_page(t, &s, img_width(pages[i]), img_height(pages[i]), raw, scan);
        free(raw);
    }
    TIFFClose(t);
    iio_reader *r = NULL;
    ck_assert_int_eq(iio_reader_open(&r, tpath("par.tif")), 0);
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){r, {pages[0], pages[1], pages[2]}, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, thread_read, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(jobs[i].ok, "thread %d read wrong pixels", i);
    }
    iio_reader_close(r);
    for (int i = 0; i < 3; i++)
        img_free(pages[i]);
}
END_TEST

/* ---- PNG reading -------------------------------------------------------- */

/* Writes a PNG with libpng from rows in PNG's own layout. */
static void write_png(const char *path, int w, int h, int depth, int type, const uint8_t *rows,
                      size_t rowbytes, int interlace, const png_color *pal, int npal,
                      const png_byte *trns, int ntrns, const png_color_16 *trns_gray, unsigned ppm)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert(setjmp(png_jmpbuf(png)) == 0);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal)
        png_set_PLTE(png, info, pal, npal);
    if (trns || trns_gray)
        png_set_tRNS(png, info, trns, ntrns, trns_gray);
    if (ppm)
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    png_write_info(png, info);
    png_bytep *rp = malloc(sizeof *rp * (size_t)h);
    for (int y = 0; y < h; y++)
        rp[y] = (png_bytep)(uintptr_t)(rows + (size_t)y * rowbytes);
    png_write_image(png, rp);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rp);
    fclose(f);
}

START_TEST(png_gray_depths_1_2_4_8_16)
{
    const int w = 29, h = 13;
    static const int depths[] = {1, 2, 4, 8, 16};
    for (size_t k = 0; k < 5; k++) {
        int d = depths[k];
        size_t rb = ((size_t)w * d + 7) / 8;
        uint8_t *rows = calloc(rb, (size_t)h);
        int maxv = (1 << d) - 1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = (x * 3 + y * 7) % (maxv + 1);
                if (d == 16) {
                    v = (x * 2113 + y * 997) & 0xffff;
                    rows[y * rb + 2 * x] = (uint8_t)(v >> 8);
                    rows[y * rb + 2 * x + 1] = (uint8_t)v;
                } else if (d == 8) {
                    rows[y * rb + x] = (uint8_t)v;
                } else {
                    size_t bit = (size_t)x * d;
                    rows[y * rb + bit / 8] |= (uint8_t)(v << (8 - d - bit % 8));
                }
            }
        write_png(tpath("g.png"), w, h, d, PNG_COLOR_TYPE_GRAY, rows, rb, k == 2, NULL, 0, NULL, 0,
                  NULL, 7874);
        img *got = read_one(tpath("g.png"), 1);
        ck_assert(img_dpi_x(got) == 200 && img_dpi_y(got) == 200);
        ck_assert_int_eq(img_channels(got), 1);
        ck_assert_int_eq(img_depth(got), d == 1 ? 1 : 8);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (d == 1) {
                    int white = (rows[y * rb + x / 8] >> (7 - x % 8)) & 1;
                    int ink = (img_row(got, y)[x / 8] >> (7 - x % 8)) & 1;
                    ck_assert_int_eq(ink, !white);
                } else if (d == 16) {
                    int v = rows[y * rb + 2 * x] << 8 | rows[y * rb + 2 * x + 1];
                    ck_assert_int_eq(img_row(got, y)[x], (v * 255 + 32767) / 65535);
                } else {
                    int v = (x * 3 + y * 7) % (maxv + 1);
                    ck_assert_int_eq(img_row(got, y)[x], v * 255 / maxv);
                }
            }
        if (d == 1) /* padding bits stay clear */
            ck_assert_int_eq(img_row(got, 0)[img_stride(got) - 1] & 0x07, 0);
        img_free(got);
        free(rows);
    }
}
END_TEST

START_TEST(png_rgb_rgba_gray_alpha_palette)
{
    const int w = 17, h = 9;
    img *rgb = make_color(w, h, 3, 1), *rgba = make_color(w, h, 4, 1);
    write_png(tpath("rgb.png"), w, h, 8, PNG_COLOR_TYPE_RGB, img_row(rgb, 0), img_stride(rgb), 1, NULL,
              0, NULL, 0, NULL, 11811);
    img *got = read_one(tpath("rgb.png"), 1);
    assert_same_pixels(got, rgb);
    ck_assert_msg(fabs(img_dpi_x(got) - 300) < 0.01, "dpi %f", img_dpi_x(got));
    img_free(got);
    write_png(tpath("rgba.png"), w, h, 8, PNG_COLOR_TYPE_RGBA, img_row(rgba, 0), img_stride(rgba), 0,
              NULL, 0, NULL, 0, NULL, 0);
    got = read_one(tpath("rgba.png"), 1);
    assert_same_pixels(got, rgba);
    ck_assert(img_dpi_x(got) == 0);
    img_free(got);

    /* gray + alpha becomes RGBA with equal colour samples */
    uint8_t ga[17 * 9 * 2];
    for (int i = 0; i < w * h; i++)
        ga[2 * i] = (uint8_t)(i * 3), ga[2 * i + 1] = (uint8_t)(255 - i);
    write_png(tpath("ga.png"), w, h, 8, PNG_COLOR_TYPE_GRAY_ALPHA, ga, (size_t)w * 2, 0, NULL, 0, NULL,
              0, NULL, 0);
    got = read_one(tpath("ga.png"), 1);
    ck_assert_int_eq(img_channels(got), 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = img_row(got, y) + 4 * x;
            int i = y * w + x;
            ck_assert(p[0] == ga[2 * i] && p[1] == ga[2 * i] && p[2] == ga[2 * i] && p[3] == ga[2 * i + 1]);
        }
    img_free(got);

    /* palette, then palette with a transparent entry */
    png_color pal[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {9, 99, 199}};
    uint8_t idx[17 * 9];
    for (int i = 0; i < w * h; i++)
        idx[i] = (uint8_t)(i % 4);
    for (int t = 0; t <= 1; t++) {
        png_byte tr[4] = {255, 255, 0, 255};
        write_png(tpath("pal.png"), w, h, 8, PNG_COLOR_TYPE_PALETTE, idx, (size_t)w, 0, pal, 4,
                  t ? tr : NULL, t ? 4 : 0, NULL, 0);
        got = read_one(tpath("pal.png"), 1);
        int ch = t ? 4 : 3;
        ck_assert_int_eq(img_channels(got), ch);
        for (int i = 0; i < w * h; i++) {
            const uint8_t *p = img_row(got, i / w) + ch * (i % w);
            const png_color *c = &pal[idx[i]];
            ck_assert(p[0] == c->red && p[1] == c->green && p[2] == c->blue);
            if (t)
                ck_assert_int_eq(p[3], tr[idx[i]]);
        }
        img_free(got);
    }
    img_free(rgb);
    img_free(rgba);
}
END_TEST

START_TEST(png_16bit_rgb_scales_to_8)
{
    const int w = 5, h = 4;
    uint8_t rows[5 * 4 * 6];
    for (size_t i = 0; i < sizeof rows; i++)
        rows[i] = (uint8_t)(i * 53 + 7);
    write_png(tpath("rgb16.png"), w, h, 16, PNG_COLOR_TYPE_RGB, rows, (size_t)w * 6, 0, NULL, 0, NULL, 0,
              NULL, 0);
    img *got = read_one(tpath("rgb16.png"), 1);
    ck_assert_int_eq(img_channels(got), 3);
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w * 3; i++) {
            int v = rows[y * w * 6 + 2 * i] << 8 | rows[y * w * 6 + 2 * i + 1];
            ck_assert_int_eq(img_row(got, y)[i], (v * 255 + 32767) / 65535);
        }
    img_free(got);
}
END_TEST

/* ---- our writers -------------------------------------------------------- */

START_TEST(tiff_writer_round_trip_every_format_with_tags)
{
    img *pages[4] = {make_bilevel(203, 61), make_color(77, 45, 1, 1), make_color(65, 33, 3, 1),
                     make_color(40, 20, 4, 1)};
    img_set_dpi(pages[1], 300, 150);
    img_set_dpi(pages[3], 0, 0);
    iio_tiff_writer *w = NULL;
    ck_assert_int_eq(iio_tiff_writer_open(&w, tpath("out.tif")), 0);
    char desc[4][64];
    for (int i = 0; i < 4; i++) {
        snprintf(desc[i], sizeof desc[i], "{\"sheet\":%d,\"side\":\"front\"}", i + 1);
        iio_page_meta m = IIO_PAGE_META_INIT;
        m.software = "telle 0.1.0";
        m.datetime = "2026:11:22 08:30:00";
        m.description_json = desc[i];
        m.page_number = i;
        m.page_total = 4;
        ck_assert_msg(iio_tiff_writer_add(w, pages[i], &m) == 0, "%s", err_message());
    }
    ck_assert_int_eq(iio_tiff_writer_close(w), 0);

    iio_reader *r = NULL;
    ck_assert_int_eq(iio_reader_open(&r, tpath("out.tif")), 0);
    ck_assert_int_eq(iio_reader_page_count(r), 4);
    for (int i = 0; i < 4; i++) {
        img *got = NULL;
        ck_assert_int_eq(iio_reader_read(&got, r, i + 1), 0);
        assert_same_pixels(got, pages[i]);
        ck_assert(img_dpi_x(got) == img_dpi_x(pages[i]) && img_dpi_y(got) == img_dpi_y(pages[i]));
        img_free(got);
    }
    iio_reader_close(r);

    /* the tags, as any TIFF reader sees them */
    TIFF *t = TIFFOpen(tpath("out.tif"), "r");
    ck_assert_ptr_nonnull(t);
    for (int i = 0; i < 4; i++) {
        ck_assert(TIFFSetDirectory(t, (tdir_t)i));
        uint16_t comp = 0, photo = 0, pred = 0, pn = 0, pt = 0;
        char *sw = NULL, *dt = NULL, *ds = NULL;
        TIFFGetField(t, TIFFTAG_COMPRESSION, &comp);
        TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
        ck_assert(TIFFGetField(t, TIFFTAG_SOFTWARE, &sw) && strcmp(sw, "telle 0.1.0") == 0);
        ck_assert(TIFFGetField(t, TIFFTAG_DATETIME, &dt) && strcmp(dt, "2026:11:22 08:30:00") == 0);
        ck_assert(TIFFGetField(t, TIFFTAG_IMAGEDESCRIPTION, &ds) && strcmp(ds, desc[i]) == 0);
        ck_assert(TIFFGetField(t, TIFFTAG_PAGENUMBER, &pn, &pt) && pn == i && pt == 4);
        if (i == 0) {
            ck_assert_int_eq(comp, COMPRESSION_CCITTFAX4);
            ck_assert_int_eq(photo, PHOTOMETRIC_MINISWHITE);
        } else {
            ck_assert_int_eq(comp, COMPRESSION_LZW);
            ck_assert(TIFFGetField(t, TIFFTAG_PREDICTOR, &pred) && pred == PREDICTOR_HORIZONTAL);
            ck_assert_int_eq(photo, i == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
        }
        uint16_t unit = 0;
        float xr = 0;
        if (i != 3) {
            ck_assert(TIFFGetField(t, TIFFTAG_RESOLUTIONUNIT, &unit) && unit == RESUNIT_INCH);
            ck_assert(TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr) && xr == (float)img_dpi_x(pages[i]));
        } else {
            ck_assert(!TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr));
        }
    }
    TIFFClose(t);
    for (int i = 0; i < 4; i++)
        img_free(pages[i]);
}
END_TEST

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A 200-dpi A4 landscape page; prints the decode time (a figure, not an
 * assertion: CI machines vary). */
START_TEST(tiff_writer_a4_page_g4_and_lzw)
{
    img *bw = make_bilevel(2339, 1654), *gray = make_color(2339, 1654, 1, 0);
    iio_tiff_writer *w = NULL;
    ck_assert_int_eq(iio_tiff_writer_open(&w, tpath("a4.tif")), 0);
    ck_assert_int_eq(iio_tiff_writer_add(w, bw, NULL), 0);
    ck_assert_int_eq(iio_tiff_writer_add(w, gray, NULL), 0);
    ck_assert_int_eq(iio_tiff_writer_close(w), 0);
    iio_reader *r = NULL;
    ck_assert_int_eq(iio_reader_open(&r, tpath("a4.tif")), 0);
    img *got = NULL;
    double t0 = seconds();
    ck_assert_int_eq(iio_reader_read(&got, r, 1), 0);
    double t1 = seconds();
    assert_same_pixels(got, bw);
    img_free(got);
    ck_assert_int_eq(iio_reader_read(&got, r, 2), 0);
    double t2 = seconds();
    assert_same_pixels(got, gray);
    img_free(got);
    iio_reader_close(r);
    printf("test_image_io: A4 200 dpi decode: G4 %.1f ms, LZW gray %.1f ms\n", (t1 - t0) * 1e3,
           (t2 - t1) * 1e3);
    img_free(bw);
    img_free(gray);
}
END_TEST

START_TEST(tiff_writer_reports_write_failure_at_add_and_close)
{
    /* A file size limit makes write() fail with EFBIG half way. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {16 * 1024, 16 * 1024};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    img *noise = NULL;
    ck_assert_int_eq(img_new(&noise, 300, 300, 1, 8), 0);
    uint32_t x = 12345;
    for (int y = 0; y < 300; y++)
        for (int i = 0; i < 300; i++) {
            x = x * 1103515245u + 12345u;
            img_row_mut(noise, y)[i] = (uint8_t)(x >> 24);
        }
    iio_tiff_writer *w = NULL;
    ck_assert_int_eq(iio_tiff_writer_open(&w, tpath("full.tif")), 0);
    int rc = iio_tiff_writer_add(w, noise, NULL);
    ck_assert_int_eq(rc, TELLE_EIO);
    ck_assert_msg(strstr(err_message(), "full.tif: page 1: cannot write"), "%s", err_message());
    ck_assert_int_eq(iio_tiff_writer_add(w, noise, NULL), TELLE_EIO);
    ck_assert_int_eq(iio_tiff_writer_close(w), TELLE_EIO);
    ck_assert_msg(strstr(err_message(), "full.tif: incomplete"), "%s", err_message());
    img_free(noise);
}
END_TEST

START_TEST(tiff_writer_refuses_bad_arguments)
{
    iio_tiff_writer *w = NULL;
    ck_assert_int_eq(iio_tiff_writer_open(&w, tpath("no/such/dir.tif")), TELLE_EIO);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(err_message(), "dir.tif: cannot create"), "%s", err_message());
    ck_assert_int_eq(iio_tiff_writer_open(&w, tpath("ok.tif")), 0);
    img *bw = make_bilevel(16, 16);
    iio_page_meta m = IIO_PAGE_META_INIT;
    m.datetime = "2026-11-22T08:30:00Z";
    ck_assert_int_eq(iio_tiff_writer_add(w, bw, &m), TELLE_EINVAL);
    ck_assert_msg(strstr(err_message(), "is not \"YYYY:MM:DD HH:MM:SS\""), "%s", err_message());
    m.datetime = NULL;
    m.page_number = 70000;
    ck_assert_int_eq(iio_tiff_writer_add(w, bw, &m), TELLE_EINVAL);
    /* refused arguments do not spoil the file */
    ck_assert_int_eq(iio_tiff_writer_add(w, bw, NULL), 0);
    ck_assert_int_eq(iio_tiff_writer_close(w), 0);
    img *got = read_one(tpath("ok.tif"), 1);
    assert_same_pixels(got, bw);
    img_free(got);
    img_free(bw);
    ck_assert_int_eq(iio_tiff_writer_close(NULL), 0);
}
END_TEST

START_TEST(png_writer_round_trip_every_format)
{
    img *ims[4] = {make_bilevel(203, 61), make_color(77, 45, 1, 1), make_color(65, 33, 3, 1),
                   make_color(40, 20, 4, 1)};
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(iio_png_write(tpath("w.png"), ims[i]) == 0, "%s", err_message());
        img *got = read_one(tpath("w.png"), 1);
        assert_same_pixels(got, ims[i]);
        ck_assert_msg(img_dpi_x(got) == img_dpi_x(ims[i]), "dpi %f", img_dpi_x(got));
        img_free(got);
    }
    /* 1-bit is stored as 1-bit gray with ink black (0), pHYs in metres */
    FILE *f = fopen(tpath("w.png"), "rb");
    ck_assert_int_eq(iio_png_write(tpath("w.png"), ims[0]), 0);
    fclose(f);
    f = fopen(tpath("w.png"), "rb");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert(setjmp(png_jmpbuf(png)) == 0);
    png_init_io(png, f);
    png_read_info(png, info);
    ck_assert_int_eq(png_get_bit_depth(png, info), 1);
    ck_assert_int_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_GRAY);
    png_uint_32 xr = 0, yr = 0;
    int unit = -1;
    ck_assert(png_get_pHYs(png, info, &xr, &yr, &unit));
    ck_assert(xr == 7874 && yr == 7874 && unit == PNG_RESOLUTION_METER);
    uint8_t row[26];
    png_read_row(png, row, NULL);
    /* pixel 0 of row 0 is ink in the pattern: stored as 0 (black) */
    ck_assert(img_row(ims[0], 0)[0] & 0x80);
    ck_assert_int_eq(row[0] & 0x80, 0);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    ck_assert_int_eq(iio_png_write(tpath("no/such/dir.png"), ims[1]), TELLE_EIO);
    ck_assert_msg(strstr(err_message(), "dir.png: cannot create"), "%s", err_message());
    for (int i = 0; i < 4; i++)
        img_free(ims[i]);
}
END_TEST

/* ---- broken files ------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
    return (uint8_t *)tu_file_read(len, "%s", path);
}

START_TEST(tiff_truncated_before_last_page_says_so)
{
    /* Three pages; the file cut short before the last page's directory:
     * two pages stay readable and the reader says the chain breaks. */
    iio_tiff_writer *w = NULL;
    ck_assert_int_eq(iio_tiff_writer_open(&w, tpath("three.tif")), 0);
    for (int i = 0; i < 3; i++) {
        img *p = make_bilevel(120, 80);
        iio_page_meta m = IIO_PAGE_META_INIT;
        ck_assert_int_eq(iio_tiff_writer_add(w, p, &m), 0);
        img_free(p);
    }
    ck_assert_int_eq(iio_tiff_writer_close(w), 0);
    size_t len = 0;
    uint8_t *bytes = slurp(tpath("three.tif"), &len);
    iio_reader *r = NULL;
    ck_assert_int_eq(iio_reader_open_memory(&r, bytes, len, "three.tif"), 0);
    ck_assert_int_eq(iio_reader_page_count(r), 3);
    ck_assert_ptr_null(iio_reader_damage(r));
    iio_reader_close(r);
    /* Walk the little-endian chain of directories to the third one. */
    ck_assert(bytes[0] == 'I' && bytes[1] == 'I');
    uint32_t ifd = bytes[4] | bytes[5] << 8 | bytes[6] << 16 | (uint32_t)bytes[7] << 24;
    for (int k = 0; k < 2; k++) {
        uint32_t n = bytes[ifd] | bytes[ifd + 1] << 8;
        const uint8_t *next = bytes + ifd + 2 + 12 * n;
        ifd = next[0] | next[1] << 8 | next[2] << 16 | (uint32_t)next[3] << 24;
    }
    ck_assert_uint_lt(ifd, len);
    ck_assert_int_eq(iio_reader_open_memory(&r, bytes, ifd, "cut.tif"), 0);
    ck_assert_int_eq(iio_reader_page_count(r), 2);
    ck_assert_ptr_nonnull(iio_reader_damage(r));
    ck_assert(strstr(iio_reader_damage(r), "breaks after page 2") != NULL);
    img *got = NULL;
    ck_assert_int_eq(iio_reader_read(&got, r, 2), 0);
    img_free(got);
    iio_reader_close(r);
    free(bytes);
}
END_TEST


static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* The value field of `tag` in directory `page` (1-based) of a little-endian
 * classic TIFF, to damage it. */
static uint8_t *ifd_value(uint8_t *b, size_t len, int page, uint16_t tag)
{
    ck_assert(b[0] == 'I');
    uint32_t off = le32(b + 4);
    for (int p = 1; p < page; p++) {
        ck_assert(off + 2 < len);
        off = le32(b + off + 2 + 12 * (b[off] | b[off + 1] << 8));
    }
    unsigned n = b[off] | b[off + 1] << 8;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = b + off + 2 + 12 * i;
        if ((e[0] | e[1] << 8) == tag)
            return e + 8;
    }
    ck_abort_msg("tag %u not in page %d", tag, page);
    return NULL;
}

static uint8_t *find_bytes(uint8_t *b, size_t len, const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(b + i, what, n) == 0)
            return b + i;
    return NULL;
}

/* CRC-32 as PNG chunks use it (ISO 3309, reflected, 0xedb88320). */
static uint32_t png_crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

/* Makes `tag` of directory `page` one LONG of value v. */
static void ifd_set_long(uint8_t *b, size_t len, int page, uint16_t tag, uint32_t v)
{
    uint8_t *val = ifd_value(b, len, page, tag);
    val[-6] = 4, val[-5] = 0;              /* type LONG */
    put_le32(val - 4, 1);                  /* count */
    put_le32(val, v);
}

/* Runs fn with stderr sent to a file; fails if anything was printed. */
static int quiet_read(const char *path, int page, int *stage)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(tpath("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    iio_reader *r = NULL;
    img *im = NULL;
    *stage = 0;
    int rc = iio_reader_open(&r, path);
    if (!rc) {
        *stage = 1;
        rc = iio_reader_read(&im, r, page);
    }
    img_free(im);
    iio_reader_close(r);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    struct stat st;
    ck_assert_int_eq(stat(tpath("stderr.txt"), &st), 0);
    ck_assert_msg(st.st_size == 0, "%s: the libraries printed to stderr", path);
    return rc;
}

/* Expects reading page `page` of path to fail with code and a message
 * holding the file name, "page N: " when page > 0, and `what`. */
static void expect_broken(const char *path, int page, int code, const char *what)
{
    int stage;
    err_clear();
    int rc = quiet_read(path, page > 0 ? page : 1, &stage);
    const char *m = err_message();
    printf("broken: %s\n", m);
    ck_assert_msg(rc == code, "%s: code %d, want %d: %s", path, rc, code, m);
    ck_assert_msg(strncmp(m, path, strlen(path)) == 0, "message does not start with the file: %s", m);
    if (page > 0) {
        char pg[32];
        snprintf(pg, sizeof pg, ": page %d", page);
        ck_assert_msg(strstr(m, pg), "message does not name page %d: %s", page, m);
    }
    ck_assert_msg(strstr(m, what), "message lacks \"%s\": %s", what, m);
}

/* A good two-page file: G4 then uncompressed gray in one strip. */
static void make_good_tiff(const char *path)
{
    img *bw = make_bilevel(64, 32), *gray = make_color(40, 30, 1, 1);
    TIFF *t = tiff_create(path, 0);
    size_t scan;
    uint8_t *raw = raw_of(bw, 0, &scan);
    tspec s = TSPEC(.compression = COMPRESSION_CCITTFAX4, .photometric = PHOTOMETRIC_MINISWHITE,
                    .bps = 1, .spp = 1);
    tiff_page(t, &s, 64, 32, raw, scan);
    free(raw);
    raw = raw_of(gray, 0, &scan);
    s = TSPEC(.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_MINISBLACK, .bps = 8, .spp = 1);
    tiff_page(t, &s, 40, 30, raw, scan);
    free(raw);
    TIFFClose(t);
    img_free(bw);
    img_free(gray);
}

START_TEST(broken_files_are_refused_with_file_page_and_reason)
{
    size_t len;
    uint8_t *b;
    char good[600];
    snprintf(good, sizeof good, "%s", tpath("good.tif"));
    make_good_tiff(good);
    int stage;
    ck_assert_int_eq(quiet_read(good, 2, &stage), 0);

    tu_file_write_bytes("", 0, "%s/empty.tif", tdir);
    expect_broken(tpath("empty.tif"), 0, TELLE_EFORMAT, "empty file");

    tu_file_write_bytes("hello, this is no image\n", 24, "%s/text.tif", tdir);
    expect_broken(tpath("text.tif"), 0, TELLE_EFORMAT, "not a TIFF or PNG file (starts with bytes 68 65 6c 6c)");

    tu_file_write_bytes("II*\0\x08\0", 6, "%s/header.tif", tdir);
    expect_broken(tpath("header.tif"), 1, TELLE_EFORMAT, "unreadable TIFF header");

    b = slurp(good, &len);
    put_le32(b + 4, 0x7ffffff0u);
    tu_file_write_bytes(b, len, "%s/ifd.tif", tdir);
    expect_broken(tpath("ifd.tif"), 1, TELLE_EFORMAT, "unreadable TIFF header or first directory");
    free(b);

    /* page 2's only strip is said to start 100 bytes before the end */
    b = slurp(good, &len);
    put_le32(ifd_value(b, len, 2, TIFFTAG_STRIPOFFSETS), (uint32_t)len - 100);
    tu_file_write_bytes(b, len, "%s/strip.tif", tdir);
    expect_broken(tpath("strip.tif"), 2, TELLE_EFORMAT, "strip 1 of 1");
    free(b);

    /* page 2's strip offset is 0, i.e. missing: the header is no image */
    b = slurp(good, &len);
    put_le32(ifd_value(b, len, 2, TIFFTAG_STRIPOFFSETS), 0);
    tu_file_write_bytes(b, len, "%s/nooffset.tif", tdir);
    expect_broken(tpath("nooffset.tif"), 2, TELLE_EFORMAT, "strip 1 of 1 has no data");
    free(b);

    /* page 1's G4 data overwritten with junk */
    b = slurp(good, &len);
    uint32_t so = le32(ifd_value(b, len, 1, TIFFTAG_STRIPOFFSETS));
    uint32_t sc = le32(ifd_value(b, len, 1, TIFFTAG_STRIPBYTECOUNTS));
    for (uint32_t i = 0; i < sc; i++)
        b[so + i] = (uint8_t)(0x5a ^ i * 77);
    tu_file_write_bytes(b, len, "%s/g4junk.tif", tdir);
    expect_broken(tpath("g4junk.tif"), 1, TELLE_EFORMAT, "strip 1 of 1");
    free(b);

    /* page 1's G4 strip said to be a third of its length */
    b = slurp(good, &len);
    ifd_set_long(b, len, 1, TIFFTAG_STRIPBYTECOUNTS, sc / 3);
    tu_file_write_bytes(b, len, "%s/g4short.tif", tdir);
    expect_broken(tpath("g4short.tif"), 1, TELLE_EFORMAT, "strip 1 of 1");
    free(b);

    b = slurp(good, &len);
    ifd_set_long(b, len, 2, TIFFTAG_IMAGEWIDTH, 100000);
    ifd_set_long(b, len, 2, TIFFTAG_IMAGELENGTH, 100000);
    tu_file_write_bytes(b, len, "%s/huge.tif", tdir);
    expect_broken(tpath("huge.tif"), 2, TELLE_EFORMAT, "100000x100000");
    free(b);

    b = slurp(good, &len);
    ifd_set_long(b, len, 2, TIFFTAG_IMAGEWIDTH, 0);
    tu_file_write_bytes(b, len, "%s/zero.tif", tdir);
    expect_broken(tpath("zero.tif"), 2, TELLE_EFORMAT, "cannot read the page's directory");
    free(b);

    /* a JPEG strip cut to half its length */
    img *jg = make_color(64, 48, 1, 0);
    size_t jscan;
    uint8_t *jraw = raw_of(jg, 0, &jscan);
    tspec js = TSPEC(.compression = COMPRESSION_JPEG, .photometric = PHOTOMETRIC_MINISBLACK, .bps = 8,
                     .spp = 1);
    write_tiff(tpath("jpeg.tif"), &js, 64, 48, jraw, jscan);
    free(jraw);
    img_free(jg);
    b = slurp(tpath("jpeg.tif"), &len);
    ifd_set_long(b, len, 1, TIFFTAG_STRIPBYTECOUNTS, le32(ifd_value(b, len, 1, TIFFTAG_STRIPBYTECOUNTS)) / 2);
    tu_file_write_bytes(b, len, "%s/jpegcut.tif", tdir);
    expect_broken(tpath("jpegcut.tif"), 1, TELLE_EFORMAT, "strip 1 of 1");
    free(b);

    uint8_t px[64] = {0};
    tspec s = TSPEC(.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_MINISBLACK, .bps = 4,
                    .spp = 1);
    write_tiff(tpath("4bit.tif"), &s, 8, 8, px, 4);
    expect_broken(tpath("4bit.tif"), 1, TELLE_EFORMAT, "4 bits per sample");

    TIFF *t = tiff_create(tpath("float.tif"), 0);
    float fpx[16] = {0};
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
    s = TSPEC(.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_MINISBLACK, .bps = 32, .spp = 1);
    tiff_page(t, &s, 4, 4, (const uint8_t *)fpx, 16);
    TIFFClose(t);
    expect_broken(tpath("float.tif"), 1, TELLE_EFORMAT, "floating point");

    err_clear();
    iio_reader *r = NULL;
    img *im = NULL;
    ck_assert_int_eq(iio_reader_open(&r, good), 0);
    ck_assert_int_eq(iio_reader_read(&im, r, 3), TELLE_EINVAL);
    ck_assert_msg(strstr(err_message(), "good.tif: page 3 does not exist (the file has 2 pages)"), "%s",
                  err_message());
    ck_assert_int_eq(iio_reader_read(&im, r, 0), TELLE_EINVAL);
    ck_assert_ptr_null(im);
    iio_reader_close(r);

    /* PNG: a good one, then damaged */
    img *g = make_color(50, 40, 1, 1);
    ck_assert_int_eq(iio_png_write(tpath("good.png"), g), 0);
    img_free(g);
    b = slurp(tpath("good.png"), &len);
    tu_file_write_bytes(b, len / 2, "%s/cut.png", tdir);
    expect_broken(tpath("cut.png"), 0, TELLE_EFORMAT, "truncated");
    tu_file_write_bytes(b, 12, "%s/cut8.png", tdir);
    expect_broken(tpath("cut8.png"), 0, TELLE_EFORMAT, "corrupt PNG header");
    /* change IDAT's CRC: the data is intact, its checksum is not */
    uint8_t *idat = find_bytes(b, len, "IDAT");
    ck_assert_ptr_nonnull(idat);
    uint32_t ilen = (uint32_t)idat[-4] << 24 | idat[-3] << 16 | idat[-2] << 8 | idat[-1];
    idat[4 + ilen + 3] ^= 0x40;
    tu_file_write_bytes(b, len, "%s/crc.png", tdir);
    expect_broken(tpath("crc.png"), 0, TELLE_EFORMAT, "CRC error");
    free(b);

    /* IHDR claims 100000 x 100000 (CRC recomputed) */
    b = slurp(tpath("good.png"), &len);
    uint8_t *ihdr = b + 12;
    ihdr[4] = 0, ihdr[5] = 1, ihdr[6] = 0x86, ihdr[7] = 0xa0;
    ihdr[8] = 0, ihdr[9] = 1, ihdr[10] = 0x86, ihdr[11] = 0xa0;
    uint32_t crc = png_crc(ihdr, 17);
    ihdr[17] = (uint8_t)(crc >> 24), ihdr[18] = (uint8_t)(crc >> 16), ihdr[19] = (uint8_t)(crc >> 8),
    ihdr[20] = (uint8_t)crc;
    tu_file_write_bytes(b, len, "%s/huge.png", tdir);
    expect_broken(tpath("huge.png"), 0, TELLE_EFORMAT, "limit");
    free(b);
}
END_TEST

/* ---- the development set ------------------------------------------------ */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Checks a page of a real scan: plausible size, 200 dpi, mostly paper (a
 * wrongly inverted page would be mostly ink). */
static void check_scan_page(const img *im, const char *what)
{
    int w = img_width(im), h = img_height(im);
    ck_assert_msg(w >= 1000 && w <= 5000 && h >= 1000 && h <= 5000, "%s: size %dx%d", what, w, h);
    ck_assert_msg(img_dpi_x(im) == 200 && img_dpi_y(im) == 200, "%s: dpi %g", what, img_dpi_x(im));
    uint64_t ink = 0, sum = 0;
    for (int y = 0; y < h; y += 4) {
        const uint8_t *r = img_row(im, y);
        if (img_depth(im) == 1) {
            for (int x = 0; x < w; x++)
                ink += (r[x >> 3] >> (7 - (x & 7))) & 1;
        } else {
            for (int x = 0; x < w * img_channels(im); x++)
                sum += r[x];
        }
    }
    uint64_t n = (uint64_t)w * (uint64_t)((h + 3) / 4);
    if (img_depth(im) == 1)
        ck_assert_msg(ink < n / 4, "%s: %.0f%% ink", what, 100.0 * (double)ink / (double)n);
    else
        ck_assert_msg(sum > n * img_channels(im) * 150, "%s: too dark", what);
}

START_TEST(devset_every_page_loads)
{
    const char *src = getenv("TELLE_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/../shared/devset/batches", src ? src : ".");
    DIR *d = opendir(dir);
    if (!d) {
        printf("test_image_io: %s not found: devset walk skipped\n", dir);
        return;
    }
    int files = 0, pages = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".tif") && !ends_with(e->d_name, ".tiff"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        iio_reader *r = NULL;
        ck_assert_msg(iio_reader_open(&r, path) == 0, "%s", err_message());
        int n = iio_reader_page_count(r);
        ck_assert_int_ge(n, 1);
        for (int p = 1; p <= n; p++) {
            img *im = NULL;
            ck_assert_msg(iio_reader_read(&im, r, p) == 0, "%s", err_message());
            char what[2100];
            snprintf(what, sizeof what, "%s page %d", e->d_name, p);
            check_scan_page(im, what);
            img_free(im);
            pages++;
        }
        iio_reader_close(r);
        files++;
    }
    closedir(d);
    ck_assert_int_ge(files, 1);
    printf("test_image_io: devset: %d files, %d pages loaded\n", files, pages);

    /* the package's reference images (PNG) */
    snprintf(dir, sizeof dir, "%s/../shared/devset/package/styles", src ? src : ".");
    d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int pngs = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        for (int side = 0; side < 2; side++) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s/%s", dir, e->d_name, side ? "outside.png" : "inside.png");
            if (access(path, R_OK) != 0)
                continue;
            img *im = read_one(path, 1);
            ck_assert_int_eq(img_depth(im), 8);
            check_scan_page(im, path);
            img_free(im);
            pngs++;
        }
    }
    closedir(d);
    ck_assert_int_ge(pngs, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_image_io");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, tdir_setup, tdir_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tiff_bilevel_every_codec_min_is_white_and_black);
    tcase_add_test(tc, tiff_bilevel_tiles);
    tcase_add_test(tc, tiff_gray_every_lossless_codec_and_min_is_white);
    tcase_add_test(tc, tiff_gray_jpeg_and_tiles);
    tcase_add_test(tc, tiff_rgb_and_rgba_lossless_and_tiled);
    tcase_add_test(tc, tiff_rgb_jpeg_ycbcr_and_rgb);
    tcase_add_test(tc, tiff_palette_to_rgb_and_gray);
    tcase_add_test(tc, tiff_16bit_gray_and_rgb_become_8bit);
    tcase_add_test(tc, tiff_separate_planes_and_cmyk_become_rgb);
    tcase_add_test(tc, tiff_gray_alpha_becomes_rgba);
    tcase_add_test(tc, tiff_multipage_mixed_and_memory);
    tcase_add_test(tc, tiff_pages_decode_in_parallel_threads);
    tcase_add_test(tc, png_gray_depths_1_2_4_8_16);
    tcase_add_test(tc, png_rgb_rgba_gray_alpha_palette);
    tcase_add_test(tc, png_16bit_rgb_scales_to_8);
    tcase_add_test(tc, devset_every_page_loads);
    tcase_add_test(tc, broken_files_are_refused_with_file_page_and_reason);
    tcase_add_test(tc, tiff_writer_round_trip_every_format_with_tags);
    tcase_add_test(tc, tiff_writer_a4_page_g4_and_lzw);
    tcase_add_test(tc, tiff_writer_reports_write_failure_at_add_and_close);
    tcase_add_test(tc, tiff_writer_refuses_bad_arguments);
    tcase_add_test(tc, png_writer_round_trip_every_format);
    tcase_add_test(tc, tiff_truncated_before_last_page_says_so);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
