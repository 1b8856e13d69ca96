/* tiff_read.c - decoding TIFF pages with libtiff into telle images:
 * iio_tiff_reader_init (header check, page count), iio_tiff_reader_read
 * (one page), iio_tiff_options_new (quiet libtiff error handlers).
 *
 * Each read opens its own libtiff handle over the reader's immutable bytes,
 * with per-handle error handlers (TIFFOpenOptionsSetErrorHandlerExtR,
 * libtiff >= 4.5) writing into a message on the stack: pages of one file
 * decode in parallel threads, and nothing is ever printed.
 *
 * Formats are decoded row-exact, not through TIFFReadRGBAImage: 1-bit and
 * 8-bit gray and 8-bit RGB(A) strips are decoded straight into the image's
 * rows and fixed up in place (min-is-black 1-bit and min-is-white gray are
 * inverted); 16-bit, gray+alpha and palette go through one raw buffer. Only
 * the rare layouts libtiff alone knows (YCbCr outside JPEG, CMYK, separate
 * planes) take the RGBA route and come back as RGB. */
#include "core/image_io_internal.h"

#include "core/error.h"
#include "core/image_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

/* libtiff's own allocations for one handle (strip offset arrays, codec
 * state) stay below this; our pixel buffers are capped by img_size_check. */
#define IIO_TIFF_MAX_LIB_ALLOC ((tmsize_t)256 << 20)
/* A decoded raw page (before conversion, e.g. 16-bit RGBA) is at most twice
 * the largest image telle accepts. */
#define IIO_TIFF_MAX_RAW_BYTES (2 * IMG_MAX_BYTES)
/* One tile's decoded bytes. */
#define IIO_TIFF_MAX_TILE_BYTES ((uint64_t)64 << 20)

/* ---- quiet error handlers ---------------------------------------------- */

static int iio_tiff_on_error(TIFF *tif, void *user, const char *module,
                             const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    iio_lib_message *m = user;
    if (m && !m->error[0])
        vsnprintf(m->error, sizeof m->error, fmt, ap);
    return 1; /* handled: libtiff must not call its printing handler */
}

static int iio_tiff_on_warning(TIFF *tif, void *user, const char *module,
                               const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    iio_lib_message *m = user;
    if (m && !m->warning[0])
        vsnprintf(m->warning, sizeof m->warning, fmt, ap);
    return 1;
}

static pthread_once_t iio_tiff_quiet_once = PTHREAD_ONCE_INIT;

static void iio_tiff_quiet(void)
{
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

struct TIFFOpenOptions *iio_tiff_options_new(iio_lib_message *m)
{
    pthread_once(&iio_tiff_quiet_once, iio_tiff_quiet);
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, iio_tiff_on_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(o, iio_tiff_on_warning, m);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, IIO_TIFF_MAX_LIB_ALLOC);
    return o;
}

/* ---- libtiff client I/O over memory ------------------------------------ */

typedef struct {
    const uint8_t *data;
    uint64_t len, pos;
} iio_tiff_src;

static tmsize_t iio_tiff_src_read(thandle_t h, void *buf, tmsize_t size)
{
    iio_tiff_src *s = (iio_tiff_src *)h;
    if (size <= 0 || s->pos >= s->len)
        return 0;
    uint64_t n = s->len - s->pos;
    if (n > (uint64_t)size)
        n = (uint64_t)size;
    memcpy(buf, s->data + s->pos, (size_t)n);
    s->pos += n;
    return (tmsize_t)n;
}

static tmsize_t iio_tiff_src_write(thandle_t h, void *buf, tmsize_t size)
{
    (void)h;
    (void)buf;
    (void)size;
    return -1;
}

static toff_t iio_tiff_src_seek(thandle_t h, toff_t off, int whence)
{
    iio_tiff_src *s = (iio_tiff_src *)h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->len;
    if (off > UINT64_MAX - base)
        return (toff_t)-1;
    s->pos = base + off;
    return s->pos;
}

static int iio_tiff_src_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t iio_tiff_src_size(thandle_t h) { return ((iio_tiff_src *)h)->len; }

static int iio_tiff_src_map(thandle_t h, void **base, toff_t *size)
{
    iio_tiff_src *s = (iio_tiff_src *)h;
    /* libtiff only reads through the mapping in "r" mode. */
    *base = (void *)(uintptr_t)s->data;
    *size = s->len;
    return 1;
}

static void iio_tiff_src_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

static TIFF *iio_tiff_open(const iio_reader *r, iio_tiff_src *src, iio_lib_message *m)
{
    memset(m, 0, sizeof *m);
    src->data = r->data;
    src->len = r->len;
    src->pos = 0;
    TIFFOpenOptions *o = iio_tiff_options_new(m);
    if (!o)
        return NULL;
    TIFF *tif = TIFFClientOpenExt(r->name, "r", (thandle_t)src, iio_tiff_src_read,
                                  iio_tiff_src_write, iio_tiff_src_seek, iio_tiff_src_close,
                                  iio_tiff_src_size, iio_tiff_src_map, iio_tiff_src_unmap, o);
    TIFFOpenOptionsFree(o);
    return tif;
}

/* The libtiff detail to append to a message: its error, else its warning. */
static const char *iio_tiff_detail(const iio_lib_message *m)
{
    if (m->error[0])
        return m->error;
    if (m->warning[0])
        return m->warning;
    return "";
}

int iio_tiff_reader_init(iio_reader *r)
{
    iio_tiff_src src;
    iio_lib_message m;
    TIFF *tif = iio_tiff_open(r, &src, &m);
    if (!tif) {
        const char *d = iio_tiff_detail(&m);
        return err_set(TELLE_EFORMAT, "%s: page 1: unreadable TIFF header or first directory%s%s",
                       r->name, d[0] ? ": " : "", d);
    }
    tdir_t n = TIFFNumberOfDirectories(tif);
    TIFFClose(tif);
    if (n == 0)
        return err_set(TELLE_EFORMAT, "%s: TIFF without pages", r->name);
    r->pages = n > 65535 ? 65535 : (int)n;
    /* libtiff stops counting where the chain of pages breaks (a truncated
     * or damaged file) and says why; the pages before stay readable, and
     * the caller is told that more may have been lost. */
    if (m.error[0]) {
        char buf[IIO_LIB_MESSAGE_MAX + 128];
        snprintf(buf, sizeof buf, "the chain of pages breaks after page %d (%s); "
                 "the file is truncated or damaged", r->pages, m.error);
        r->damage = strdup(buf);
    }
    return 0;
}

/* ---- one page ----------------------------------------------------------- */

enum iio_tiff_kind {
    IIO_TIFF_BILEVEL, /* 1 bit, 1 sample */
    IIO_TIFF_GRAY,    /* 8/16 bit, 1 sample, or 2 with alpha */
    IIO_TIFF_RGB,     /* 8/16 bit, 3 samples, or more with alpha */
    IIO_TIFF_PALETTE, /* 1/2/4/8 bit index */
    IIO_TIFF_RGBA_API /* anything TIFFReadRGBAImage knows */
};

typedef struct {
    const char *name;
    int page;
    TIFF *tif;
    iio_lib_message msg;
    uint32_t width, height;
    uint16_t bps, spp, photometric, planar, compression;
    enum iio_tiff_kind kind;
    int invert;          /* min-is-black 1-bit, min-is-white gray */
    int out_channels, out_depth;
    uint64_t scanline;   /* raw bytes per row */
    uint16_t *cmap[3];   /* palette */
    int cmap_shift;      /* 8 for 16-bit colormaps, 0 for 8-bit ones */
    int decoding;        /* past the tags: warnings explain failures */
} iio_tiff_page;

/* err_set with "name: page N: " in front and libtiff's error behind; when
 * decoding (p->decoding) its warning too, since some codecs only warn about
 * damaged data. */
TELLE_PRINTF(3, 4)
static int iio_tiff_fail(const iio_tiff_page *p, int code, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *d = p->decoding ? iio_tiff_detail(&p->msg) : p->msg.error;
    return err_set(code, "%s: page %d: %s%s%s", p->name, p->page, what, d[0] ? ": " : "", d);
}

static void iio_tiff_msg_clear(iio_tiff_page *p)
{
    memset(&p->msg, 0, sizeof p->msg);
    p->decoding = 1;
}

static double iio_tiff_dpi(TIFF *tif, uint32_t tag)
{
    float res = 0;
    uint16_t unit = RESUNIT_INCH;
    if (!TIFFGetField(tif, tag, &res))
        return 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    double f = unit == RESUNIT_INCH ? 1.0 : unit == RESUNIT_CENTIMETER ? 2.54 : 0.0;
    double dpi = (double)res * f;
    if (!isfinite(dpi) || dpi <= 0 || dpi > 1e6)
        return 0;
    /* Centimetre files store e.g. 78.74 px/cm for 200 dpi. */
    return round(dpi * 100.0) / 100.0;
}

/* Reads the tags, decides how the page is decoded, checks sizes. */
static int iio_tiff_classify(iio_tiff_page *p)
{
    TIFF *tif = p->tif;
    uint16_t sfmt = SAMPLEFORMAT_UINT;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p->width) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p->height))
        return iio_tiff_fail(p, TELLE_EFORMAT, "no image width or length");
    if (p->width == 0 || p->height == 0 || p->width > IMG_MAX_DIM || p->height > IMG_MAX_DIM)
        return iio_tiff_fail(p, TELLE_EFORMAT, "image size %ux%u is empty or above the limit of %d pixels",
                             p->width, p->height, IMG_MAX_DIM);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &p->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &p->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &p->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &p->compression);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &sfmt);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &p->photometric)) {
        if (p->bps == 1 && p->spp == 1)
            p->photometric = PHOTOMETRIC_MINISWHITE; /* the fax default */
        else
            return iio_tiff_fail(p, TELLE_EFORMAT, "no photometric interpretation");
    }
    if (!TIFFIsCODECConfigured(p->compression))
        return iio_tiff_fail(p, TELLE_EFORMAT, "compression scheme %u is not supported",
                             p->compression);
    if (sfmt != SAMPLEFORMAT_UINT && sfmt != SAMPLEFORMAT_VOID)
        return iio_tiff_fail(p, TELLE_EFORMAT,
                             "sample format %u (signed or floating point) is not supported", sfmt);
    if (p->spp == 0)
        return iio_tiff_fail(p, TELLE_EFORMAT, "0 samples per pixel");

    uint16_t ph = p->photometric;
    if (ph == PHOTOMETRIC_YCBCR && p->compression == COMPRESSION_JPEG &&
        p->planar == PLANARCONFIG_CONTIG) {
        /* libjpeg converts to RGB: no subsampling arithmetic of ours. */
        if (!TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
            return iio_tiff_fail(p, TELLE_EFORMAT, "cannot set JPEG colour conversion");
        ph = PHOTOMETRIC_RGB;
    }
    int contig = p->planar == PLANARCONFIG_CONTIG || p->spp == 1;
    int wide = p->bps == 8 || p->bps == 16;
    if (contig && p->bps == 1 && p->spp == 1 &&
        (ph == PHOTOMETRIC_MINISWHITE || ph == PHOTOMETRIC_MINISBLACK)) {
        p->kind = IIO_TIFF_BILEVEL;
        p->invert = ph == PHOTOMETRIC_MINISBLACK;
        p->out_channels = 1;
        p->out_depth = 1;
    } else if (contig && wide && (p->spp == 1 || p->spp == 2) &&
               (ph == PHOTOMETRIC_MINISWHITE || ph == PHOTOMETRIC_MINISBLACK)) {
        p->kind = IIO_TIFF_GRAY;
        p->invert = ph == PHOTOMETRIC_MINISWHITE;
        p->out_channels = p->spp == 1 ? 1 : 4;
        p->out_depth = 8;
    } else if (contig && wide && p->spp >= 3 && ph == PHOTOMETRIC_RGB) {
        p->kind = IIO_TIFF_RGB;
        p->out_channels = p->spp == 3 ? 3 : 4;
        p->out_depth = 8;
    } else if (p->spp == 1 && ph == PHOTOMETRIC_PALETTE &&
               (p->bps == 1 || p->bps == 2 || p->bps == 4 || p->bps == 8)) {
        p->kind = IIO_TIFF_PALETTE;
        if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &p->cmap[0], &p->cmap[1], &p->cmap[2]))
            return iio_tiff_fail(p, TELLE_EFORMAT, "palette image without a colour map");
        int n = 1 << p->bps, gray = 1, big = 0;
        for (int i = 0; i < n; i++) {
            if (p->cmap[0][i] != p->cmap[1][i] || p->cmap[1][i] != p->cmap[2][i])
                gray = 0;
            if (p->cmap[0][i] > 255 || p->cmap[1][i] > 255 || p->cmap[2][i] > 255)
                big = 1;
        }
        /* Some writers store 8-bit values in the 16-bit map. */
        p->cmap_shift = big ? 8 : 0;
        p->out_channels = gray ? 1 : 3;
        p->out_depth = 8;
    } else if (p->bps == 8 && (ph == PHOTOMETRIC_YCBCR || ph == PHOTOMETRIC_SEPARATED ||
                               ((ph == PHOTOMETRIC_RGB || ph == PHOTOMETRIC_MINISBLACK ||
                                 ph == PHOTOMETRIC_MINISWHITE) && !contig))) {
        char emsg[1024];
        if (!TIFFRGBAImageOK(tif, emsg))
            return iio_tiff_fail(p, TELLE_EFORMAT, "unsupported layout: %s", emsg);
        p->kind = IIO_TIFF_RGBA_API;
        p->out_channels = 3;
        p->out_depth = 8;
    } else {
        return iio_tiff_fail(p, TELLE_EFORMAT,
                             "%u bits per sample with %u samples per pixel, photometric %u%s, is not supported",
                             p->bps, p->spp, p->photometric, contig ? "" : " in separate planes");
    }
    if (img_size_check((int)p->width, (int)p->height, p->out_channels, p->out_depth, NULL))
        return err_prefix("%s: page %d: ", p->name, p->page);
    if (p->kind == IIO_TIFF_RGBA_API)
        return 0;
    uint64_t bits = (uint64_t)p->width * p->bps * p->spp;
    p->scanline = (bits + 7) / 8;
    uint64_t lib = (uint64_t)TIFFScanlineSize64(tif);
    if (lib != p->scanline)
        return iio_tiff_fail(p, TELLE_EFORMAT, "row of %llu bytes where %llu were expected",
                             (unsigned long long)lib, (unsigned long long)p->scanline);
    if (p->scanline * p->height > IIO_TIFF_MAX_RAW_BYTES)
        return iio_tiff_fail(p, TELLE_EFORMAT, "decoded size %llu bytes is above the limit",
                             (unsigned long long)(p->scanline * p->height));
    return 0;
}

/* Decodes every strip into raw, rows `p->scanline` bytes apart. */
static int iio_tiff_read_strips(iio_tiff_page *p, uint8_t *raw)
{
    uint32_t rps = 0;
    TIFFGetFieldDefaulted(p->tif, TIFFTAG_ROWSPERSTRIP, &rps);
    if (rps == 0)
        return iio_tiff_fail(p, TELLE_EFORMAT, "rows per strip is 0");
    if (rps > p->height)
        rps = p->height;
    uint32_t need = (uint32_t)(((uint64_t)p->height + rps - 1) / rps);
    uint32_t have = TIFFNumberOfStrips(p->tif);
    if (have < need)
        return iio_tiff_fail(p, TELLE_EFORMAT, "%u strips where %u rows of %u need %u", have,
                             p->height, rps, need);
    for (uint32_t s = 0; s < need; s++) {
        uint32_t y = s * rps;
        uint32_t rows = p->height - y < rps ? p->height - y : rps;
        tmsize_t want = (tmsize_t)(rows * p->scanline);
        iio_tiff_msg_clear(p);
        /* Offset 0 is the header: libtiff leaves it for a missing or
         * ignored StripOffsets entry and would decode the header. */
        if (TIFFGetStrileOffset(p->tif, s) == 0 || TIFFGetStrileByteCount(p->tif, s) == 0)
            return iio_tiff_fail(p, TELLE_EFORMAT, "strip %u of %u has no data", s + 1, need);
        tmsize_t got = TIFFReadEncodedStrip(p->tif, s, raw + (size_t)y * p->scanline, want);
        if (got < 0)
            return iio_tiff_fail(p, TELLE_EFORMAT, "strip %u of %u cannot be decoded", s + 1, need);
        if (got < want)
            return iio_tiff_fail(p, TELLE_EFORMAT,
                                 "truncated strip %u of %u (expected %lld bytes, got %lld)", s + 1,
                                 need, (long long)want, (long long)got);
        /* The fax and JPEG decoders only warn about premature ends and bad
         * codes and fill the rest: for a ballot that is a damaged page. */
        if (p->msg.error[0] || p->msg.warning[0])
            return iio_tiff_fail(p, TELLE_EFORMAT, "strip %u of %u is corrupt", s + 1, need);
    }
    return 0;
}

/* Decodes every tile and places its rows into raw. */
static int iio_tiff_read_tiles(iio_tiff_page *p, uint8_t *raw)
{
    uint32_t tw = 0, th = 0;
    if (!TIFFGetField(p->tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(p->tif, TIFFTAG_TILELENGTH, &th) ||
        tw == 0 || th == 0 || tw > IMG_MAX_DIM || th > IMG_MAX_DIM)
        return iio_tiff_fail(p, TELLE_EFORMAT, "tile size %ux%u is empty or too large", tw, th);
    uint64_t bits = (uint64_t)p->bps * p->spp;
    if ((tw * bits) % 8 != 0)
        return iio_tiff_fail(p, TELLE_EFORMAT, "tile width %u does not end on a byte", tw);
    uint64_t trow = tw * bits / 8;
    uint64_t tsize = trow * th;
    if (tsize > IIO_TIFF_MAX_TILE_BYTES)
        return iio_tiff_fail(p, TELLE_EFORMAT, "tile of %ux%u is above the size limit", tw, th);
    if ((uint64_t)TIFFTileSize64(p->tif) != tsize)
        return iio_tiff_fail(p, TELLE_EFORMAT, "tile of %llu bytes where %llu were expected",
                             (unsigned long long)TIFFTileSize64(p->tif), (unsigned long long)tsize);
    uint32_t across = (p->width + tw - 1) / tw, down = (p->height + th - 1) / th;
    if ((uint64_t)TIFFNumberOfTiles(p->tif) < (uint64_t)across * down)
        return iio_tiff_fail(p, TELLE_EFORMAT, "%u tiles where %u are needed",
                             TIFFNumberOfTiles(p->tif), across * down);
    uint8_t *buf = malloc((size_t)tsize);
    if (!buf)
        return iio_tiff_fail(p, TELLE_ENOMEM, "out of memory for a tile");
    int rc = 0;
    for (uint32_t ty = 0; ty < p->height; ty += th) {
        for (uint32_t tx = 0; tx < p->width; tx += tw) {
            uint32_t t = TIFFComputeTile(p->tif, tx, ty, 0, 0);
            iio_tiff_msg_clear(p);
            if (TIFFGetStrileOffset(p->tif, t) == 0 || TIFFGetStrileByteCount(p->tif, t) == 0) {
                rc = iio_tiff_fail(p, TELLE_EFORMAT, "tile %u has no data", t + 1);
                goto done;
            }
            tmsize_t got = TIFFReadEncodedTile(p->tif, t, buf, (tmsize_t)tsize);
            if (got < 0) {
                rc = iio_tiff_fail(p, TELLE_EFORMAT, "tile %u cannot be decoded", t + 1);
                goto done;
            }
            if ((uint64_t)got < tsize) {
                rc = iio_tiff_fail(p, TELLE_EFORMAT, "truncated tile %u (expected %llu bytes, got %lld)",
                                   t + 1, (unsigned long long)tsize, (long long)got);
                goto done;
            }
            if (p->msg.error[0] || p->msg.warning[0]) {
                rc = iio_tiff_fail(p, TELLE_EFORMAT, "tile %u is corrupt", t + 1);
                goto done;
            }
            uint32_t rows = p->height - ty < th ? p->height - ty : th;
            uint32_t cols = p->width - tx < tw ? p->width - tx : tw;
            size_t off = (size_t)(tx * bits / 8);
            size_t n = (size_t)((cols * bits + 7) / 8);
            for (uint32_t r = 0; r < rows; r++)
                memcpy(raw + (size_t)(ty + r) * p->scanline + off, buf + (size_t)r * trow, n);
        }
    }
done:
    free(buf);
    return rc;
}

static inline uint8_t iio_tiff_16to8(uint16_t v) { return (uint8_t)((v + 128u) / 257u); }

/* Converts raw row src into the image row d (which may be the same bytes
 * when the layouts agree). */
static void iio_tiff_convert_row(const iio_tiff_page *p, uint8_t *d, const uint8_t *src)
{
    const uint32_t w = p->width;
    const size_t stride = (p->out_depth == 1) ? (w + 7) / 8 : (size_t)w * p->out_channels;
    switch (p->kind) {
    case IIO_TIFF_BILEVEL: {
        if (p->invert)
            for (size_t i = 0; i < stride; i++)
                d[i] = (uint8_t)~d[i];
        if (w & 7)
            d[stride - 1] &= (uint8_t)(0xff << (8 - (w & 7)));
        break;
    }
    case IIO_TIFF_GRAY: {
        const uint8_t x = p->invert ? 0xff : 0;
        if (p->bps == 8 && p->spp == 1) {
            if (x)
                for (uint32_t i = 0; i < w; i++)
                    d[i] ^= x;
        } else if (p->bps == 16 && p->spp == 1) {
            const uint16_t *s = (const uint16_t *)(const void *)src;
            for (uint32_t i = 0; i < w; i++)
                d[i] = iio_tiff_16to8(s[i]) ^ x;
        } else if (p->bps == 8) {
            for (uint32_t i = 0; i < w; i++, d += 4) {
                d[0] = d[1] = d[2] = src[2 * i] ^ x;
                d[3] = src[2 * i + 1];
            }
        } else {
            const uint16_t *s = (const uint16_t *)(const void *)src;
            for (uint32_t i = 0; i < w; i++, d += 4) {
                d[0] = d[1] = d[2] = iio_tiff_16to8(s[2 * i]) ^ x;
                d[3] = iio_tiff_16to8(s[2 * i + 1]);
            }
        }
        break;
    }
    case IIO_TIFF_RGB: {
        const int oc = p->out_channels, ic = p->spp;
        if (p->bps == 8) {
            if (ic != oc)
                for (uint32_t i = 0; i < w; i++)
                    memcpy(d + (size_t)i * oc, src + (size_t)i * ic, (size_t)oc);
        } else {
            const uint16_t *s = (const uint16_t *)(const void *)src;
            for (uint32_t i = 0; i < w; i++)
                for (int c = 0; c < oc; c++)
                    d[(size_t)i * oc + c] = iio_tiff_16to8(s[(size_t)i * ic + c]);
        }
        break;
    }
    case IIO_TIFF_PALETTE: {
        const int bps = p->bps, sh = p->cmap_shift;
        const unsigned mask = (1u << bps) - 1;
        for (uint32_t i = 0; i < w; i++) {
            uint64_t bit = (uint64_t)i * bps;
            unsigned idx = (src[bit >> 3] >> (8 - bps - (bit & 7))) & mask;
            if (p->out_channels == 1) {
                d[i] = (uint8_t)(p->cmap[0][idx] >> sh);
            } else {
                d[3 * i] = (uint8_t)(p->cmap[0][idx] >> sh);
                d[3 * i + 1] = (uint8_t)(p->cmap[1][idx] >> sh);
                d[3 * i + 2] = (uint8_t)(p->cmap[2][idx] >> sh);
            }
        }
        break;
    }
    case IIO_TIFF_RGBA_API:
        break;
    }
}

static int iio_tiff_read_rgba(iio_tiff_page *p, img *im)
{
    uint64_t n = (uint64_t)p->width * p->height;
    if (n * 4 > IMG_MAX_BYTES)
        return iio_tiff_fail(p, TELLE_EFORMAT, "image of %ux%u is too large", p->width, p->height);
    uint32_t *px = malloc((size_t)n * 4);
    if (!px)
        return iio_tiff_fail(p, TELLE_ENOMEM, "out of memory for %ux%u pixels", p->width, p->height);
    iio_tiff_msg_clear(p);
    if (!TIFFReadRGBAImageOriented(p->tif, p->width, p->height, px, ORIENTATION_TOPLEFT, 0) ||
        p->msg.error[0]) {
        free(px);
        return iio_tiff_fail(p, TELLE_EFORMAT, "cannot decode the image");
    }
    for (uint32_t y = 0; y < p->height; y++) {
        uint8_t *d = img_row_mut(im, (int)y);
        const uint32_t *s = px + (size_t)y * p->width;
        for (uint32_t x = 0; x < p->width; x++) {
            d[3 * x] = (uint8_t)TIFFGetR(s[x]);
            d[3 * x + 1] = (uint8_t)TIFFGetG(s[x]);
            d[3 * x + 2] = (uint8_t)TIFFGetB(s[x]);
        }
    }
    free(px);
    return 0;
}

static int iio_tiff_decode(img **out, iio_tiff_page *p)
{
    img *im = NULL;
    uint8_t *raw = NULL, *owned = NULL;
    int rc = iio_tiff_classify(p);
    if (rc)
        return rc;
    rc = img_new(&im, (int)p->width, (int)p->height, p->out_channels, p->out_depth);
    if (rc) {
        err_prefix("%s: page %d: ", p->name, p->page);
        goto done;
    }
    img_set_dpi(im, iio_tiff_dpi(p->tif, TIFFTAG_XRESOLUTION),
                iio_tiff_dpi(p->tif, TIFFTAG_YRESOLUTION));
    if (p->kind == IIO_TIFF_RGBA_API) {
        rc = iio_tiff_read_rgba(p, im);
        goto done;
    }
    /* Decode straight into the image when a raw row is an image row. */
    int direct = p->scanline == img_stride(im) &&
                 (p->kind == IIO_TIFF_BILEVEL || (p->kind == IIO_TIFF_GRAY && p->bps == 8 && p->spp == 1) ||
                  (p->kind == IIO_TIFF_RGB && p->bps == 8 && p->spp == p->out_channels));
    if (direct) {
        raw = img_row_mut(im, 0);
    } else {
        raw = owned = malloc((size_t)(p->scanline * p->height));
        if (!raw) {
            rc = iio_tiff_fail(p, TELLE_ENOMEM, "out of memory for %llu bytes",
                               (unsigned long long)(p->scanline * p->height));
            goto done;
        }
    }
    rc = TIFFIsTiled(p->tif) ? iio_tiff_read_tiles(p, raw) : iio_tiff_read_strips(p, raw);
    if (rc)
        goto done;
    for (uint32_t y = 0; y < p->height; y++)
        iio_tiff_convert_row(p, img_row_mut(im, (int)y), raw + (size_t)y * p->scanline);
done:
    free(owned);
    if (rc) {
        img_free(im);
        return rc;
    }
    *out = im;
    return 0;
}

int iio_tiff_reader_read(img **out, const iio_reader *r, int page)
{
    *out = NULL;
    iio_tiff_src src;
    iio_tiff_page p;
    memset(&p, 0, sizeof p);
    p.name = r->name;
    p.page = page;
    p.tif = iio_tiff_open(r, &src, &p.msg);
    if (!p.tif)
        return iio_tiff_fail(&p, TELLE_EFORMAT, "cannot open the TIFF");
    int rc = 0;
    /* opening has read the first directory already */
    if (page > 1 && !TIFFSetDirectory(p.tif, (tdir_t)(page - 1))) {
        rc = iio_tiff_fail(&p, TELLE_EFORMAT, "cannot read the page's directory");
        goto done;
    }
    rc = iio_tiff_decode(out, &p);
done:
    TIFFClose(p.tif);
    return rc;
}
