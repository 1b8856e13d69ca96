/* bench_capture.c - pages per second of the capture loop alone (sane_start,
 * sane_get_parameters, sane_read, conversion to img) through the real
 * libsane dll loader and the project's backend. No archive, no
 * recognition: the callback drops each page.
 *
 * usage: bench_capture [SHEETS [WIDTH HEIGHT]]   (default 200, 2480 3508:
 * A4 at 300 dpi, lineart, duplex). Run from the build folder, or with
 * TELLE_BUILD_DIR set, so libsane finds the backend.
 *
 * The figure includes the backend's own work (decoding each G4 page from
 * the TIFF), which a real scanner does in hardware; it is therefore a lower
 * bound for the loop. Target: 20 x a 140 ppm duplex scanner = 5600 pages a
 * minute = 93 pages/s. */
#include "scan_testutil.h"

#include "core/error.h"
#include "core/image_io.h"
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

int main(int argc, char **argv)
{
    int sheets = argc > 1 ? atoi(argv[1]) : 200;
    int w = argc > 3 ? atoi(argv[2]) : 2480;
    int h = argc > 3 ? atoi(argv[3]) : 3508;
    if (sheets <= 0 || w <= 0 || h <= 0) {
        fprintf(stderr, "usage: bench_capture [SHEETS [WIDTH HEIGHT]]\n");
        return 2;
    }
    if (!getenv("TELLE_BUILD_DIR"))
        setenv("TELLE_BUILD_DIR", ".", 1);
    tu_sane_env();
    char *dir = tu_tmpdir();
    char path[1024], dev[1100];
    snprintf(path, sizeof path, "%s/bench.tif", dir);
    iio_tiff_writer *tw = NULL;
    if (iio_tiff_writer_open(&tw, path) != 0) {
        fprintf(stderr, "bench_capture: %s\n", err_message());
        return 1;
    }
    /* 20 distinct sheets, repeated: the backend decodes every page anyway. */
    int distinct = sheets < 20 ? sheets : 20;
    for (int s = 0; s < sheets; s++)
        for (int side = 0; side < 2; side++) {
            img *p = page_new(w, h, s % distinct, side);
            if (!p || iio_tiff_writer_add(tw, p, NULL) != 0) {
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

    scan_device *d = NULL;
    scan_options o = SCAN_OPTIONS_INIT;
    if (scan_device_open(&d, dev) != 0 || scan_device_configure(d, &o) != 0) {
        fprintf(stderr, "bench_capture: %s\n", err_message());
        return 1;
    }
    size_t bytes = 0;
    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    ro.on_page = drop;
    ro.ctx = &bytes;
    scan_run_stats st;
    double t0 = now();
    int rc = scan_batch_run(&st, d, &ro);
    double dt = now() - t0;
    scan_device_close(d);
    tu_rmtree(dir);
    free(dir);
    if (rc) {
        fprintf(stderr, "bench_capture: %s\n", err_message());
        return 1;
    }
    double pps = st.pages / dt;
    printf("capture loop: %d pages (%d sheets, %dx%d lineart duplex) in "
           "%.2f s: %.0f pages/s, %.0f pages/min, %.1f MB/s of pixels\n",
           st.pages, st.sheets, w, h, dt, pps, pps * 60,
           (double)bytes / dt / 1e6);
    printf("a 140 ppm duplex scanner makes 280 pages/min: this is %.1f x "
           "that (target 20 x)\n", pps * 60 / 280.0);
    return 0;
}
