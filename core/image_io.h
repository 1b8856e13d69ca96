/* image_io.h - reading and writing page images: TIFF (libtiff) and PNG
 * (libpng).
 *
 * Reading: TIFF single and multi-page; CCITT G3/G4, JPEG, LZW, Deflate,
 * PackBits, none; 1-bit (min-is-white or min-is-black), 8-bit gray, 8-bit
 * RGB with or without alpha, palette; strips and tiles. PNG 1/8-bit gray,
 * RGB, RGBA, palette. The format is told by the file's magic bytes, never its
 * name. Pages come back in the conventions of image.h: 1-bit stays 1-bit
 * (set bit = ink), gray stays gray, colour stays RGB(A). Resolution comes
 * from TIFF X/YResolution (inches or centimetres) or PNG pHYs; 0 when the
 * file does not say.
 *
 * Every error names the file, the page and what is wrong:
 *   "batch.tif: page 3: truncated strip 12 (expected 4096 bytes, got 17)".
 *
 *   iio_reader_open         open a file (TIFF or PNG) for reading
 *   iio_reader_open_memory  the same from bytes in memory (fuzzing, tests)
 *   iio_reader_page_count   number of pages (PNG: 1)
 *   iio_reader_damage       why a TIFF's pages end early, or NULL
 *   iio_reader_read         decode one page, 1-based
 *   iio_reader_close        close; accepts NULL
 *   iio_tiff_writer_open / _add / _close   write multi-page TIFF
 *   iio_png_write           write a PNG with pHYs
 */
#ifndef TELLE_CORE_IMAGE_IO_H
#define TELLE_CORE_IMAGE_IO_H

#include "core/image.h"

#include <stddef.h>

typedef struct iio_reader iio_reader;

/* Opens path. Returns 0, TELLE_EIO (cannot open/read) or TELLE_EFORMAT (not
 * a TIFF or PNG, or its first header is corrupt). */
int iio_reader_open(iio_reader **out, const char *path);

/* Same, reading from a copy of data; `name` is used in messages. */
int iio_reader_open_memory(iio_reader **out, const void *data, size_t len,
                           const char *name);

int iio_reader_page_count(const iio_reader *r);

/* Why a TIFF's pages end early: its chain of pages breaks after the last
 * page counted (a truncated or damaged file). NULL when the file is whole.
 * The pages counted stay readable; the caller must tell the person that
 * the rest are missing. Owned by the reader. */
const char *iio_reader_damage(const iio_reader *r);

/* Decodes page `page` (1-based). Caller frees *out with img_free. Returns 0,
 * TELLE_EINVAL for a page out of range, TELLE_EFORMAT for a corrupt or
 * unsupported page, TELLE_ENOMEM.
 *
 * Thread-safe: several threads may read pages of one reader at once (each
 * call decodes with its own libtiff/libpng state over the file's bytes,
 * which the reader holds in memory). Conversions: min-is-white gray is
 * inverted to 0 = black; 16-bit samples become 8-bit; a palette becomes
 * gray when every entry is gray, else RGB (PNG: RGB, RGBA with tRNS); gray
 * with alpha becomes RGBA; YCbCr, CMYK and separate planes become RGB.
 * 2- and 4-bit gray TIFFs and float or signed samples are refused. A strip
 * the decoder only warns about (premature end, bad codes) is corrupt: a
 * damaged ballot page is refused, not half-read. */
int iio_reader_read(img **out, iio_reader *r, int page);

void iio_reader_close(iio_reader *r);

/* What is written into each TIFF page's tags. Any field may be NULL/0. */
typedef struct {
    const char *software;         /* TIFFTAG_SOFTWARE, e.g. "telle 0.1.0" */
    const char *datetime;         /* TIFFTAG_DATETIME "YYYY:MM:DD HH:MM:SS" */
    const char *description_json; /* TIFFTAG_IMAGEDESCRIPTION, one JSON object */
    int page_number, page_total;  /* TIFFTAG_PAGENUMBER (0-based, total or 0) */
} iio_page_meta;

#define IIO_PAGE_META_INIT {NULL, NULL, NULL, 0, 0}

typedef struct iio_tiff_writer iio_tiff_writer;

/* Creates (truncates) path for writing pages. */
int iio_tiff_writer_open(iio_tiff_writer **out, const char *path);

/* Appends one page: CCITT G4 for 1-bit (min-is-white), LZW with horizontal
 * predictor for 8-bit gray/RGB(A); resolution from the image, in inches. */
int iio_tiff_writer_add(iio_tiff_writer *w, const img *im,
                        const iio_page_meta *meta);

/* Flushes and closes; returns TELLE_EIO when the data did not reach the
 * file. Always frees w; accepts NULL. */
int iio_tiff_writer_close(iio_tiff_writer *w);

/* Writes a PNG (1-bit as 1-bit gray, 8-bit gray, RGB, RGBA) with pHYs from
 * the image's resolution. */
int iio_png_write(const char *path, const img *im);

#endif
