/* tiff_write.c - writing multi-page TIFFs: iio_tiff_writer_open,
 * iio_tiff_writer_add, iio_tiff_writer_close.
 *
 * 1-bit pages are CCITT G4, min-is-white (a set bit is black, as in our
 * images), one strip per page as fax software expects; 8-bit pages are LZW
 * with the horizontal predictor in strips of about 64 KiB. Every page gets
 * its resolution in inches and, when given, software, date, page number and
 * a JSON description. libtiff writes to a descriptor we own, so close can
 * flush, fsync and report a failure instead of losing ballots silently. */
#include "core/image_io_internal.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

/* Bytes per LZW strip: large enough for the predictor and LZW to work
 * well, small enough that a reader needing one region decodes little. */
enum { IIO_TIFF_STRIP_BYTES = 64 * 1024 };

int iio_tiff_writer_open(iio_tiff_writer **out, const char *path)
{
    *out = NULL;
    iio_tiff_writer *w = calloc(1, sizeof *w);
    if (!w)
        return err_set(TELLE_ENOMEM, "%s: out of memory for a TIFF writer", path);
    w->fd = -1;
    w->path = strdup(path);
    if (!w->path) {
        free(w);
        return err_set(TELLE_ENOMEM, "%s: out of memory for a TIFF writer", path);
    }
    /* read and write: libtiff reads back the previous directory to link
     * the next one to it */
    w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int rc = err_set(TELLE_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(w->path);
        free(w);
        return rc;
    }
    TIFFOpenOptions *o = iio_tiff_options_new(&w->msg);
    if (o)
        w->tif = TIFFFdOpenExt(w->fd, path, "w", o);
    TIFFOpenOptionsFree(o);
    if (!w->tif) {
        int rc = err_set(TELLE_EIO, "%s: cannot start the TIFF: %s", path,
                         w->msg.error[0] ? w->msg.error : "out of memory");
        close(w->fd);
        free(w->path);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

/* TIFF's DateTime is exactly "YYYY:MM:DD HH:MM:SS". */
static int iio_tiff_datetime_ok(const char *s)
{
    static const char shape[] = "dddd:dd:dd dd:dd:dd";
    if (strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    return 1;
}

static int iio_tiff_writer_tags(iio_tiff_writer *w, const img *im, const iio_page_meta *meta,
                                uint32_t *rps)
{
    TIFF *t = w->tif;
    int ok = 1;
    const int bilevel = img_depth(im) == 1, ch = img_channels(im);
    ok &= TIFFSetField(t, TIFFTAG_SUBFILETYPE, (uint32_t)FILETYPE_PAGE);
    ok &= TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)img_width(im));
    ok &= TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)img_height(im));
    ok &= TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    ok &= TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    if (bilevel) {
        ok &= TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
        ok &= TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
        ok &= TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        ok &= TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
        ok &= TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
        *rps = (uint32_t)img_height(im);
    } else {
        ok &= TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
        ok &= TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, ch);
        ok &= TIFFSetField(t, TIFFTAG_PHOTOMETRIC, ch == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
        if (ch == 4) {
            uint16_t ex[1] = {EXTRASAMPLE_UNASSALPHA};
            ok &= TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, ex);
        }
        ok &= TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
        ok &= TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
        size_t r = IIO_TIFF_STRIP_BYTES / img_stride(im);
        *rps = r < 1 ? 1 : r > (size_t)img_height(im) ? (uint32_t)img_height(im) : (uint32_t)r;
    }
    ok &= TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, *rps);
    if (img_dpi_x(im) > 0 && img_dpi_y(im) > 0) {
        ok &= TIFFSetField(t, TIFFTAG_XRESOLUTION, (float)img_dpi_x(im));
        ok &= TIFFSetField(t, TIFFTAG_YRESOLUTION, (float)img_dpi_y(im));
        ok &= TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    }
    if (meta) {
        if (meta->software)
            ok &= TIFFSetField(t, TIFFTAG_SOFTWARE, meta->software);
        if (meta->datetime)
            ok &= TIFFSetField(t, TIFFTAG_DATETIME, meta->datetime);
        if (meta->description_json)
            ok &= TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, meta->description_json);
        ok &= TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t)meta->page_number,
                           (uint16_t)meta->page_total);
    }
    return ok;
}

int iio_tiff_writer_add(iio_tiff_writer *w, const img *im, const iio_page_meta *meta)
{
    const int page = w->pages + 1;
    if (w->failed)
        return err_set(TELLE_EIO, "%s: page %d: not written, an earlier page failed", w->path, page);
    if (meta && (meta->page_number < 0 || meta->page_number > 65535 || meta->page_total < 0 ||
                 meta->page_total > 65535))
        return err_set(TELLE_EINVAL, "%s: page %d: page number %d of %d is outside 0..65535", w->path,
                       page, meta->page_number, meta->page_total);
    if (meta && meta->datetime && !iio_tiff_datetime_ok(meta->datetime))
        return err_set(TELLE_EINVAL, "%s: page %d: date \"%s\" is not \"YYYY:MM:DD HH:MM:SS\"", w->path,
                       page, meta->datetime);
    memset(&w->msg, 0, sizeof w->msg);
    uint32_t rps = 1;
    uint8_t *buf = NULL;
    int rc = 0;
    if (!iio_tiff_writer_tags(w, im, meta, &rps)) {
        rc = err_set(TELLE_EIO, "%s: page %d: cannot set the tags: %s", w->path, page, w->msg.error);
        goto done;
    }
    /* Encoders (the predictor) may change the buffer they are given, and an
     * image handed to us is read-only: encode from a copy. */
    const size_t stride = img_stride(im);
    buf = malloc(stride * rps);
    if (!buf) {
        rc = err_set(TELLE_ENOMEM, "%s: page %d: out of memory for a strip", w->path, page);
        goto done;
    }
    const uint32_t h = (uint32_t)img_height(im);
    for (uint32_t y = 0, s = 0; y < h; y += rps, s++) {
        uint32_t rows = h - y < rps ? h - y : rps;
        for (uint32_t r = 0; r < rows; r++)
            memcpy(buf + (size_t)r * stride, img_row(im, (int)(y + r)), stride);
        if (TIFFWriteEncodedStrip(w->tif, s, buf, (tmsize_t)(rows * stride)) < 0) {
            rc = err_set(TELLE_EIO, "%s: page %d: cannot write strip %u: %s", w->path, page, s + 1,
                         w->msg.error[0] ? w->msg.error : "write failed");
            goto done;
        }
    }
    if (!TIFFWriteDirectory(w->tif)) {
        rc = err_set(TELLE_EIO, "%s: page %d: cannot write the directory: %s", w->path, page,
                     w->msg.error[0] ? w->msg.error : "write failed");
        goto done;
    }
    w->pages++;
done:
    free(buf);
    if (rc == TELLE_EIO)
        w->failed = 1;
    return rc;
}

int iio_tiff_writer_close(iio_tiff_writer *w)
{
    if (!w)
        return 0;
    int rc = 0;
    memset(&w->msg, 0, sizeof w->msg);
    int flushed = TIFFFlush(w->tif);
    TIFFCleanup(w->tif); /* frees libtiff's state; the descriptor is ours */
    if (w->failed)
        rc = err_set(TELLE_EIO, "%s: incomplete: a page could not be written", w->path);
    else if (!flushed)
        rc = err_set(TELLE_EIO, "%s: cannot flush: %s", w->path,
                     w->msg.error[0] ? w->msg.error : "write failed");
    else if (fsync(w->fd) != 0)
        rc = err_set(TELLE_EIO, "%s: cannot sync to disk: %s", w->path, strerror(errno));
    if (close(w->fd) != 0 && !rc)
        rc = err_set(TELLE_EIO, "%s: cannot close: %s", w->path, strerror(errno));
    free(w->path);
    free(w);
    return rc;
}
