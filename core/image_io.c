/* image_io.c - the reader's front door: tells TIFF from PNG by the magic
 * bytes and hands over to tiff_read.c or png_io.c. iio_reader_open,
 * iio_reader_open_memory, iio_reader_page_count, iio_reader_read,
 * iio_reader_close. */
#include "core/image_io_internal.h"

#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t iio_png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int iio_reader_start(iio_reader *r)
{
    const uint8_t *d = r->data;
    if (r->len == 0)
        return err_set(TELLE_EFORMAT, "%s: empty file", r->name);
    if (r->len >= 4 && ((d[0] == 'I' && d[1] == 'I' && (d[2] == 42 || d[2] == 43) && d[3] == 0) ||
                        (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && (d[3] == 42 || d[3] == 43)))) {
        r->format = IIO_FORMAT_TIFF;
        return iio_tiff_reader_init(r);
    }
    if (r->len >= sizeof iio_png_magic && memcmp(d, iio_png_magic, sizeof iio_png_magic) == 0) {
        r->format = IIO_FORMAT_PNG;
        return iio_png_reader_init(r);
    }
    if (r->len < 8 && (d[0] == 'I' || d[0] == 'M' || d[0] == 0x89))
        return err_set(TELLE_EFORMAT, "%s: file of %zu bytes is too short for a TIFF or PNG header",
                       r->name, r->len);
    unsigned char m[4] = {0, 0, 0, 0};
    memcpy(m, d, r->len < 4 ? r->len : 4);
    return err_set(TELLE_EFORMAT,
                   "%s: not a TIFF or PNG file (starts with bytes %02x %02x %02x %02x)",
                   r->name, m[0], m[1], m[2], m[3]);
}

static int iio_reader_alloc(iio_reader **out, const char *name)
{
    *out = NULL;
    iio_reader *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(TELLE_ENOMEM, "%s: out of memory for a reader", name);
    r->name = strdup(name);
    if (!r->name) {
        free(r);
        return err_set(TELLE_ENOMEM, "%s: out of memory for a reader", name);
    }
    *out = r;
    return 0;
}

int iio_reader_open(iio_reader **out, const char *path)
{
    *out = NULL;
    iio_reader *r = NULL;
    FILE *f = NULL;
    int rc = iio_reader_alloc(&r, path);
    if (rc)
        return rc;
    f = fopen(path, "rb");
    if (!f) {
        rc = err_set(TELLE_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    /* The whole file is read once: batch files are a few MB, and decoding
     * from memory lets every page read open its own decoder. */
    size_t cap = 0;
    for (;;) {
        if (r->len == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            if (ncap < cap) {
                rc = err_set(TELLE_ENOMEM, "%s: file too large", path);
                goto done;
            }
            uint8_t *nd = realloc(r->data, ncap);
            if (!nd) {
                rc = err_set(TELLE_ENOMEM, "%s: out of memory reading %zu bytes", path, ncap);
                goto done;
            }
            r->data = nd;
            cap = ncap;
        }
        size_t n = fread(r->data + r->len, 1, cap - r->len, f);
        r->len += n;
        if (n == 0) {
            if (ferror(f)) {
                rc = err_set(TELLE_EIO, "%s: cannot read: %s", path, strerror(errno));
                goto done;
            }
            break;
        }
    }
    rc = iio_reader_start(r);
done:
    if (f)
        fclose(f);
    if (rc) {
        iio_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int iio_reader_open_memory(iio_reader **out, const void *data, size_t len,
                           const char *name)
{
    *out = NULL;
    iio_reader *r = NULL;
    if (!name)
        name = "(memory)";
    if (!data && len)
        return err_set(TELLE_EINVAL, "%s: no data", name);
    int rc = iio_reader_alloc(&r, name);
    if (rc)
        return rc;
    r->data = malloc(len ? len : 1);
    if (!r->data) {
        iio_reader_close(r);
        return err_set(TELLE_ENOMEM, "%s: out of memory copying %zu bytes", name, len);
    }
    if (len)
        memcpy(r->data, data, len);
    r->len = len;
    rc = iio_reader_start(r);
    if (rc) {
        iio_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int iio_reader_page_count(const iio_reader *r) { return r->pages; }

const char *iio_reader_damage(const iio_reader *r) { return r->damage; }

int iio_reader_read(img **out, iio_reader *r, int page)
{
    *out = NULL;
    if (page < 1 || page > r->pages)
        return err_set(TELLE_EINVAL, "%s: page %d does not exist (the file has %d page%s)",
                       r->name, page, r->pages, r->pages == 1 ? "" : "s");
    if (r->format == IIO_FORMAT_TIFF)
        return iio_tiff_reader_read(out, r, page);
    return iio_png_reader_read(out, r);
}

void iio_reader_close(iio_reader *r)
{
    if (!r)
        return;
    free(r->data);
    free(r->name);
    free(r->damage);
    free(r);
}
