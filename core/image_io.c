/* image_io.c - the reader's front door: tells TIFF from PNG by the magic
 * bytes and hands over to tiff_read.c or png_io.c. iio_reader_open,
 * iio_reader_open_memory, iio_reader_page_count, iio_reader_read,
 * iio_reader_close. */
/* madvise(MADV_DONTNEED) is not in POSIX. */
#define _DEFAULT_SOURCE
#include "core/image_io_internal.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
    int fd = -1;
    int rc = iio_reader_alloc(&r, path);
    if (rc)
        return rc;
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        rc = err_set(TELLE_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = err_set(TELLE_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = err_set(TELLE_EIO, "%s: not a regular file", path);
        goto done;
    }
    /* The file is mapped, not read: decoding from memory lets every page
     * read open its own decoder, and a mapping costs the page cache, not
     * the process, so memory does not grow with the batch (a 1000-sheet
     * gray batch is gigabytes). Files are not expected to change while
     * they are read: the archive's never do. */
    r->len = (size_t)st.st_size;
    if (r->len > 0) {
        void *m = mmap(NULL, r->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = err_set(TELLE_EIO, "%s: cannot map %zu bytes: %s", path, r->len, strerror(errno));
            r->len = 0;
            goto done;
        }
        r->data = m;
        r->mapped = true;
    }
    rc = iio_reader_start(r);
done:
    if (fd >= 0)
        close(fd);
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
    int rc = r->format == IIO_FORMAT_TIFF ? iio_tiff_reader_read(out, r, page)
                                          : iio_png_reader_read(out, r);
    /* The file's pages that this read touched stay in the page cache but
     * leave the process, so its memory does not grow page by page through
     * a long batch. A read-only file mapping loses nothing by it: a later
     * read (by any thread) faults the same bytes back in. */
    if (r->mapped)
        madvise(r->data, r->len, MADV_DONTNEED);
    return rc;
}

void iio_reader_close(iio_reader *r)
{
    if (!r)
        return;
    if (r->mapped)
        munmap(r->data, r->len);
    else
        free(r->data);
    free(r->name);
    free(r->damage);
    free(r);
}
