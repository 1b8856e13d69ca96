/* make_seeds.c - writes the fuzzers' seed corpora: one tiny TIFF per codec,
 * photometric and layout the reader handles (and a few it refuses), one
 * tiny PNG per colour type and depth. Run once; the output is committed in
 * tests/fuzz/corpus/.
 *
 *   make_seeds TIFF_DIR PNG_DIR */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

enum { W = 24, H = 10 };

typedef struct {
    const char *name;
    uint16_t comp, photo, bps, spp, planar, predictor, extra;
    uint32_t tile, rps;
    uint32_t g3;
    int ycbcr_rgb, pal, big_endian, two_pages;
} tseed;

static const tseed tseeds[] = {
    {"g4-white.tif", COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISWHITE, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {"g4-black.tif", COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISBLACK, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0},
    {"g3-1d.tif", COMPRESSION_CCITTFAX3, PHOTOMETRIC_MINISWHITE, 1, 1, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0},
    {"g3-2d.tif", COMPRESSION_CCITTFAX3, PHOTOMETRIC_MINISWHITE, 1, 1, 1, 0, 0, 0, 0, GROUP3OPT_2DENCODING, 0, 0, 0, 0},
    {"rle.tif", COMPRESSION_CCITTRLE, PHOTOMETRIC_MINISWHITE, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"g4-tiles.tif", COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISWHITE, 1, 1, 1, 0, 0, 16, 0, 0, 0, 0, 0, 0},
    {"bw-packbits.tif", COMPRESSION_PACKBITS, PHOTOMETRIC_MINISBLACK, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0},
    {"gray-none.tif", COMPRESSION_NONE, PHOTOMETRIC_MINISBLACK, 8, 1, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0},
    {"gray-white-lzw.tif", COMPRESSION_LZW, PHOTOMETRIC_MINISWHITE, 8, 1, 1, 2, 0, 0, 0, 0, 0, 0, 1, 0},
    {"gray-deflate.tif", COMPRESSION_ADOBE_DEFLATE, PHOTOMETRIC_MINISBLACK, 8, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0},
    {"gray-jpeg.tif", COMPRESSION_JPEG, PHOTOMETRIC_MINISBLACK, 8, 1, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0},
    {"gray-tiles.tif", COMPRESSION_LZW, PHOTOMETRIC_MINISBLACK, 8, 1, 1, 0, 0, 16, 0, 0, 0, 0, 0, 0},
    {"gray16.tif", COMPRESSION_NONE, PHOTOMETRIC_MINISBLACK, 16, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0},
    {"gray-alpha.tif", COMPRESSION_NONE, PHOTOMETRIC_MINISBLACK, 8, 2, 1, 0, EXTRASAMPLE_UNASSALPHA, 0, 0, 0, 0, 0, 0, 0},
    {"rgb-lzw.tif", COMPRESSION_LZW, PHOTOMETRIC_RGB, 8, 3, 1, 2, 0, 0, 5, 0, 0, 0, 0, 0},
    {"rgba-deflate.tif", COMPRESSION_ADOBE_DEFLATE, PHOTOMETRIC_RGB, 8, 4, 1, 0, EXTRASAMPLE_ASSOCALPHA, 0, 0, 0, 0, 0, 0, 0},
    {"rgb16.tif", COMPRESSION_NONE, PHOTOMETRIC_RGB, 16, 3, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0},
    {"rgb-tiles.tif", COMPRESSION_PACKBITS, PHOTOMETRIC_RGB, 8, 3, 1, 0, 0, 16, 0, 0, 0, 0, 0, 0},
    {"rgb-jpeg-ycbcr.tif", COMPRESSION_JPEG, PHOTOMETRIC_YCBCR, 8, 3, 1, 0, 0, 0, 16, 0, 1, 0, 0, 0},
    {"rgb-jpeg.tif", COMPRESSION_JPEG, PHOTOMETRIC_RGB, 8, 3, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0},
    {"rgb-planar.tif", COMPRESSION_NONE, PHOTOMETRIC_RGB, 8, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"ycbcr-none.tif", COMPRESSION_NONE, PHOTOMETRIC_YCBCR, 8, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"cmyk.tif", COMPRESSION_NONE, PHOTOMETRIC_SEPARATED, 8, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"pal8.tif", COMPRESSION_PACKBITS, PHOTOMETRIC_PALETTE, 8, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0},
    {"pal4.tif", COMPRESSION_LZW, PHOTOMETRIC_PALETTE, 4, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0},
    {"pal1.tif", COMPRESSION_NONE, PHOTOMETRIC_PALETTE, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0},
    {"gray4.tif", COMPRESSION_NONE, PHOTOMETRIC_MINISBLACK, 4, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

static int tiff_page(TIFF *t, const tseed *s)
{
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)W);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)H);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
    TIFFSetField(t, TIFFTAG_COMPRESSION, s->comp);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photo);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, s->planar);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, 200.0f);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, 200.0f);
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    if (s->predictor)
        TIFFSetField(t, TIFFTAG_PREDICTOR, s->predictor);
    if (s->comp == COMPRESSION_CCITTFAX3)
        TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, s->g3);
    if (s->ycbcr_rgb)
        TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    if (s->extra) {
        uint16_t ex[1] = {s->extra};
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, ex);
    }
    if (s->photo == PHOTOMETRIC_YCBCR && s->comp != COMPRESSION_JPEG)
        TIFFSetField(t, TIFFTAG_YCBCRSUBSAMPLING, 1, 1);
    static uint16_t cmap[3][256];
    if (s->pal) {
        for (int i = 0; i < 256; i++) {
            cmap[0][i] = (uint16_t)(i * 257);
            cmap[1][i] = (uint16_t)((255 - i) * 257);
            cmap[2][i] = (uint16_t)((i * 3 & 255) * 257);
        }
        TIFFSetField(t, TIFFTAG_COLORMAP, cmap[0], cmap[1], cmap[2]);
    }
    int planes = s->planar == PLANARCONFIG_SEPARATE ? s->spp : 1;
    size_t bits = (size_t)s->bps * (planes > 1 ? 1 : s->spp);
    uint8_t buf[16 * 1024];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)((i * 37) ^ (i >> 3) * 11);
    if (s->tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
        TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
        tmsize_t ts = TIFFTileSize(t);
        for (uint32_t i = 0; i < TIFFNumberOfTiles(t); i++)
            if (TIFFWriteEncodedTile(t, i, buf, ts) < 0)
                return -1;
    } else {
        uint32_t rps = s->rps ? s->rps : H;
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps);
        size_t row = (W * bits + 7) / 8;
        for (int p = 0; p < planes; p++)
            for (uint32_t y = 0; y < H; y += rps) {
                uint32_t rows = H - y < rps ? H - y : rps;
                uint32_t strip = TIFFComputeStrip(t, y, (uint16_t)p);
                if (TIFFWriteEncodedStrip(t, strip, buf, (tmsize_t)(rows * row)) < 0)
                    return -1;
            }
    }
    return TIFFWriteDirectory(t) ? 0 : -1;
}

static int write_png(const char *path, int depth, int type, int interlace, int trns)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, W, H, depth, type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_pHYs(png, info, 7874, 7874, PNG_RESOLUTION_METER);
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[16];
        for (int i = 0; i < 16; i++)
            pal[i] = (png_color){(png_byte)(i * 16), (png_byte)(255 - i * 16), (png_byte)(i * 5)};
        png_set_PLTE(png, info, pal, 16);
        if (trns) {
            png_byte a[2] = {0, 128};
            png_set_tRNS(png, info, a, 2, NULL);
        }
    } else if (trns) {
        png_color_16 c = {0, 1, 1, 1, 1};
        png_set_tRNS(png, info, NULL, 0, &c);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    uint8_t row[W * 8];
    for (int y = 0; y < H * passes; y++) {
        for (size_t i = 0; i < sizeof row; i++)
            row[i] = (uint8_t)(i * 13 + y * 7);
        if (type == PNG_COLOR_TYPE_PALETTE)
            for (size_t i = 0; i < sizeof row; i++)
                row[i] &= depth == 8 ? 0x0f : 0xff;
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_seeds TIFF_DIR PNG_DIR\n");
        return 2;
    }
    char path[4096];
    for (size_t i = 0; i < sizeof tseeds / sizeof tseeds[0]; i++) {
        const tseed *s = &tseeds[i];
        snprintf(path, sizeof path, "%s/%s", argv[1], s->name);
        TIFF *t = TIFFOpen(path, s->big_endian ? "wb" : "wl");
        if (!t || tiff_page(t, s) || (s->two_pages && tiff_page(t, &tseeds[7]))) {
            fprintf(stderr, "make_seeds: %s failed\n", path);
            return 1;
        }
        TIFFClose(t);
    }
    static const struct {
        const char *name;
        int depth, type, interlace, trns;
    } pseeds[] = {
        {"gray1.png", 1, PNG_COLOR_TYPE_GRAY, 0, 0},     {"gray2.png", 2, PNG_COLOR_TYPE_GRAY, 0, 0},
        {"gray4.png", 4, PNG_COLOR_TYPE_GRAY, 1, 0},     {"gray8.png", 8, PNG_COLOR_TYPE_GRAY, 0, 0},
        {"gray16.png", 16, PNG_COLOR_TYPE_GRAY, 0, 1},   {"gray-alpha.png", 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, 0},
        {"rgb8.png", 8, PNG_COLOR_TYPE_RGB, 1, 0},       {"rgb16.png", 16, PNG_COLOR_TYPE_RGB, 0, 0},
        {"rgba8.png", 8, PNG_COLOR_TYPE_RGBA, 0, 0},     {"pal8-trns.png", 8, PNG_COLOR_TYPE_PALETTE, 0, 1},
        {"pal4.png", 4, PNG_COLOR_TYPE_PALETTE, 0, 0},   {"gray1-trns.png", 1, PNG_COLOR_TYPE_GRAY, 0, 1},
    };
    for (size_t i = 0; i < sizeof pseeds / sizeof pseeds[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", argv[2], pseeds[i].name);
        if (write_png(path, pseeds[i].depth, pseeds[i].type, pseeds[i].interlace, pseeds[i].trns)) {
            fprintf(stderr, "make_seeds: %s failed\n", path);
            return 1;
        }
    }
    return 0;
}
