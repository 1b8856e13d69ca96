/* scan_testutil.c - synthetic pages, labels, image sets, SANE environment
 * and child processes for the scanner suites. */
#include "scan_testutil.h"

#include "core/image_io.h"
#include "samples/code128.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void fill(img *im, int x0, int y0, int w, int h)
{
    for (int y = y0; y < y0 + h && y < img_height(im); y++) {
        uint8_t *row = img_row_mut(im, y);
        for (int x = x0; x < x0 + w && x < img_width(im); x++)
            row[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
    }
}

img *scan_tu_page_new(int sheet, int side)
{
    img *im = NULL;
    if (img_new(&im, SCAN_TU_PAGE_W, SCAN_TU_PAGE_H, 1, 1) != 0)
        return NULL;
    img_set_dpi(im, 300, 300);
    fill(im, 0, 0, SCAN_TU_PAGE_W, 4);
    fill(im, 0, SCAN_TU_PAGE_H - 4, SCAN_TU_PAGE_W, 4);
    fill(im, 0, 0, 4, SCAN_TU_PAGE_H);
    fill(im, SCAN_TU_PAGE_W - 4, 0, 4, SCAN_TU_PAGE_H);
    unsigned code = (unsigned)sheet << 1 | (unsigned)side;
    for (int b = 0; b < 17; b++)
        if (code >> b & 1)
            fill(im, 20 + b * 46, 200, 40, 40 + side * 100);
    return im;
}

img *scan_tu_label_page_new(const char *text, int w, int h, int module_px)
{
    unsigned char widths[6 * 80 + 8];
    int n = 0;
    if (smp_code128_modules(widths, (int)sizeof widths, &n, text) != 0)
        return NULL;
    img *im = NULL;
    if (img_new(&im, w, h, 1, 1) != 0)
        return NULL;
    img_set_dpi(im, 300, 300);
    int x = 20 * module_px, y = 40, bh = 120;
    for (int i = 0; i < n; i++) {
        int ew = widths[i] * module_px;
        if (i % 2 == 0) /* bars at even positions, spaces between */
            fill(im, x, y, ew, bh);
        x += ew;
    }
    return im;
}

int scan_tu_write_set(const char *path, int first, int last,
                      char (*hashes)[HASH_HEX_LEN + 1])
{
    iio_tiff_writer *w = NULL;
    int rc = iio_tiff_writer_open(&w, path);
    for (int s = first; s <= last && rc == 0; s++)
        for (int side = 0; side < 2 && rc == 0; side++) {
            img *p = scan_tu_page_new(s, side);
            if (!p) {
                rc = -1;
                break;
            }
            if (hashes)
                hash_sha256_pixels(hashes[(s - 1) * 2 + side], p);
            rc = iio_tiff_writer_add(w, p, NULL);
            img_free(p);
        }
    int crc = iio_tiff_writer_close(w);
    return rc ? rc : crc;
}

void scan_tu_sane_env(void)
{
    const char *b = getenv("TELLE_BUILD_DIR");
    char v[1024];
    snprintf(v, sizeof v, "%s/scanner/sane.d", b ? b : ".");
    setenv("SANE_CONFIG_DIR", v, 1);
    snprintf(v, sizeof v, "%s/scanner/sane-backend", b ? b : ".");
    setenv("LD_LIBRARY_PATH", v, 1);
}

static int spawn(const char *const *argv, const char *sane_opts, int errfd)
{
    const char *bin = getenv("TELLE_BIN");
    if (!bin)
        return -1;
    pid_t pid = fork();
    if (pid != 0)
        return (int)pid;
    scan_tu_sane_env();
    if (sane_opts)
        setenv("TELLE_SANE_OPTIONS", sane_opts, 1);
    else
        unsetenv("TELLE_SANE_OPTIONS");
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(errfd >= 0 ? errfd : null, 2);
    const char *args[64];
    int n = 0;
    args[n++] = bin;
    for (int i = 0; argv[i] && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    execv(bin, (char *const *)args);
    _exit(127);
}

int scan_tu_run_telle(const char *const *argv, const char *sane_opts, char *err,
                      size_t errcap)
{
    FILE *tf = tmpfile();
    if (!tf)
        return -1;
    int pid = spawn(argv, sane_opts, fileno(tf));
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) {
        fclose(tf);
        return -1;
    }
    if (err && errcap) {
        rewind(tf);
        size_t n = fread(err, 1, errcap - 1, tf);
        err[n] = '\0';
    }
    fclose(tf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int scan_tu_spawn_telle(const char *const *argv, const char *sane_opts)
{
    return spawn(argv, sane_opts, -1);
}
