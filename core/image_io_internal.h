/* image_io_internal.h - the reader's fields and the per-format entry points
 * shared by image_io.c, tiff_read.c and png_io.c; core/ only.
 *
 * A reader holds the whole file in memory, read-only after open. Every
 * iio_reader_read() opens its own decoder (TIFF handle or PNG struct) over
 * those bytes, so several threads may decode pages of one reader at once. */
#ifndef TELLE_CORE_IMAGE_IO_INTERNAL_H
#define TELLE_CORE_IMAGE_IO_INTERNAL_H

#include "core/image_io.h"

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

enum iio_format { IIO_FORMAT_TIFF = 1, IIO_FORMAT_PNG = 2 };

struct iio_reader {
    enum iio_format format;
    char *name;          /* file name used in messages, owned */
    uint8_t *data;       /* the file's bytes, owned, immutable after open */
    size_t len;
    bool mapped;         /* data is a read-only mapping of the file */
    int pages;
    char *damage;        /* why pages after `pages` cannot be reached, or NULL */
};

/* Longest libtiff/libpng message kept for our own error text. */
enum { IIO_LIB_MESSAGE_MAX = 512 };

/* A message captured from libtiff or libpng instead of being printed: the
 * first error, and the first warning (some decoders only warn about bad
 * data). */
typedef struct {
    char error[IIO_LIB_MESSAGE_MAX];
    char warning[IIO_LIB_MESSAGE_MAX];
} iio_lib_message;

/* libtiff open options whose error and warning handlers write into *m and
 * never print; also silences libtiff's process-wide handlers once, for the
 * few messages libtiff emits before a handle exists. Free with
 * TIFFOpenOptionsFree; NULL when out of memory. */
struct TIFFOpenOptions;
struct TIFFOpenOptions *iio_tiff_options_new(iio_lib_message *m);

/* A TIFF being written: libtiff on a descriptor of ours, so that close
 * can fsync and see every failure. */
struct iio_tiff_writer {
    struct tiff *tif;
    char *path;
    int fd;
    int pages;           /* pages added so far */
    int failed;          /* a page failed: close reports it too */
    iio_lib_message msg; /* libtiff's messages (the handlers point here) */
};

/* TIFF: check the header and count the pages (sets r->pages). */
int iio_tiff_reader_init(iio_reader *r);
/* TIFF: decode page (1-based, already range-checked). */
int iio_tiff_reader_read(img **out, const iio_reader *r, int page);

/* PNG: check the signature and IHDR (sets r->pages = 1). */
int iio_png_reader_init(iio_reader *r);
/* PNG: decode the image. */
int iio_png_reader_read(img **out, const iio_reader *r);

#endif
