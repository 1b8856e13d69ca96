/* bench_capture.c - pages per second of the capture loop alone (sane_start,
 * sane_get_parameters, sane_read, conversion to img) through the real
 * libsane dll loader and the project's backend. No archive, no
 * recognition: the callback drops each page.
 *
 * usage: bench_capture [SHEETS [WIDTH HEIGHT [MODE [ARCHIVE_ROOT]]]]
 * (default 200, 2480 3508: A4 at 300 dpi, lineart, duplex; MODE lineart,
 * gray or color). With ARCHIVE_ROOT, a second figure: the same pages
 * through the archive too (TIFF, both hashes, fsyncs, journal), as
 * `telle scan` stores them. Run from the build folder, or with
 * TELLE_BUILD_DIR set, so libsane finds the backend.
 *
 * The figure includes the backend's own work (decoding each G4 page from
 * the TIFF), which a real scanner does in hardware; it is therefore a lower
 * bound for the loop. Target: 20 x a 140 ppm duplex scanner = 5600 pages a
 * minute = 93 pages/s. */
#include "scan_testutil.h"

#include "core/error.h"
#include "core/image_io.h"
#include "scanner/archive.h"
#include "scanner/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int drop(void *ctx, const scan_page *p)
{
    size_t *bytes = ctx;
    *bytes += img_stride(p->image) * (size_t)img_height(p->image);
    return 0;
}

static int archive_page(void *ctx, const scan_page *p)
{
    return scan_archive_page_add(NULL, ctx, p->sheet, p->side, p->image);
}

/* A page with some ink: a frame, text-like bars, a mark per sheet. */
static img *page_new(int w, int h, int sheet, int side)
{
    img *im = NULL;
    if (img_new(&im, w, h, 1, 1) != 0)
        return NULL;
    img_set_dpi(im, 300, 300);
    for (int y = 0; y < h; y++) {
        uint8_t *row = img_row_mut(im, y);
        bool line = (y / 40) % 3 == 0 && (y % 40) < 24;
        for (int x = 0; x < w; x++) {
            bool ink = x < 6 || x >= w - 6 || y < 6 || y >= h - 6 ||
                       (line && (x / 17 + sheet + side) % 5 < 3 && x > 200 &&
                        x < w - 200);
            if (ink)
                row[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
        }
    }
    return im;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop once over the set; returns pages/s or -1. */
static double run(const char *dev, const char *mode, scan_page_fn fn,
                  void *ctx, int *pages)
{
    scan_device *d = NULL;
    scan_options o = SCAN_OPTIONS_INIT;
    o.mode = mode;
    if (scan_device_open(&d, dev) != 0 || scan_device_configure(d, &o) != 0)
        return -1;
    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    ro.on_page = fn;
    ro.ctx = ctx;
    scan_run_stats st;
    double t0 = now();
    int rc = scan_batch_run(&st, d, &ro);
    double dt = now() - t0;
    scan_device_close(d);
    *pages = st.pages;
    return rc ? -1 : st.pages / dt;
}

int main(int argc, char **argv)
{
    int sheets = argc > 1 ? atoi(argv[1]) : 200;
    int w = argc > 3 ? atoi(argv[2]) : 2480;
    int h = argc > 3 ? atoi(argv[3]) : 3508;
    const char *mode = argc > 4 ? argv[4] : "lineart";
    const char *root = argc > 5 ? argv[5] : NULL;
    if (sheets <= 0 || w <= 0 || h <= 0) {
        fprintf(stderr, "usage: bench_capture [SHEETS [WIDTH HEIGHT [MODE "
                "[ARCHIVE_ROOT]]]]\n");
        return 2;
    }
    if (!getenv("TELLE_BUILD_DIR"))
        setenv("TELLE_BUILD_DIR", ".", 1);
    scan_tu_sane_env();
    char *dir = tu_tmpdir("scan");
    char path[1024], dev[1100];
    snprintf(path, sizeof path, "%s/bench.tif", dir);
    iio_tiff_writer *tw = NULL;
    if (iio_tiff_writer_open(&tw, path) != 0) {
        fprintf(stderr, "bench_capture: %s\n", err_message());
        return 1;
    }
    /* 20 distinct sheets, repeated: the backend decodes every page anyway.
     * The archive would call a repeated sheet a double feed, so each sheet
     * gets its number in a corner as well. */
    for (int s = 0; s < sheets; s++)
        for (int side = 0; side < 2; side++) {
            img *p = page_new(w, h, s % 20, side);
            if (!p) {
                fprintf(stderr, "bench_capture: %s\n", err_message());
                return 1;
            }
            for (int b = 0; b < 16; b++)
                if ((s * 2 + side) >> b & 1)
                    for (int y = 10; y < 20; y++)
                        img_row_mut(p, y)[2 + b] = 0xFF;
            if (iio_tiff_writer_add(tw, p, NULL) != 0) {
                fprintf(stderr, "bench_capture: %s\n", err_message());
                return 1;
            }
            img_free(p);
        }
    if (iio_tiff_writer_close(tw) != 0) {
        fprintf(stderr, "bench_capture: %s\n", err_message());
        return 1;
    }
    snprintf(dev, sizeof dev, "telle:%s", path);

    size_t bytes = 0;
    int pages = 0;
    double pps = run(dev, mode, drop, &bytes, &pages);
    if (pps < 0) {
        fprintf(stderr, "bench_capture: %s\n", err_message());
        return 1;
    }
    printf("capture loop: %d pages (%d sheets, %dx%d %s duplex): %.0f "
           "pages/s, %.0f pages/min, %.1f MB/s of pixels\n", pages,
           pages / 2, w, h, mode, pps, pps * 60, (double)bytes / pages * pps / 1e6);
    printf("a 140 ppm duplex scanner makes 280 pages/min: this is %.1f x "
           "that (target 20 x)\n", pps * 60 / 280.0);

    if (root) {
        scan_batch_meta m = {"KS", "0001", "VO", ""};
        snprintf(m.batch, sizeof m.batch, "bench-%ld", (long)time(NULL));
        scan_archive *a = NULL;
        if (scan_archive_open(&a, root, &m, 2, SCAN_ARCHIVE_CREATE,
                              "bench") != 0) {
            fprintf(stderr, "bench_capture: %s\n", err_message());
            return 1;
        }
        pps = run(dev, mode, archive_page, a, &pages);
        scan_archive_close(a);
        if (pps < 0) {
            fprintf(stderr, "bench_capture: %s\n", err_message());
            return 1;
        }
        printf("capture + archive (%s/%s): %.1f pages/s, %.1f x a 140 ppm "
               "duplex scanner\n", root, m.batch, pps, pps * 60 / 280.0);
    }
    tu_rmtree(dir);
    free(dir);
    return 0;
}
