/* scan_testutil.c - synthetic pages, labels, image sets, SANE environment
 * and child processes for the scanner suites. */
#include "scan_testutil.h"

#include "core/image_io.h"

#include <dirent.h>
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

img *tu_page_new(int sheet, int side)
{
    img *im = NULL;
    if (img_new(&im, TU_PAGE_W, TU_PAGE_H, 1, 1) != 0)
        return NULL;
    img_set_dpi(im, 300, 300);
    fill(im, 0, 0, TU_PAGE_W, 4);
    fill(im, 0, TU_PAGE_H - 4, TU_PAGE_W, 4);
    fill(im, 0, 0, 4, TU_PAGE_H);
    fill(im, TU_PAGE_W - 4, 0, 4, TU_PAGE_H);
    unsigned code = (unsigned)sheet << 1 | (unsigned)side;
    for (int b = 0; b < 17; b++)
        if (code >> b & 1)
            fill(im, 20 + b * 46, 200, 40, 40 + side * 100);
    return im;
}

/* Code 128 symbol widths: bar, space, bar, space, bar, space (106: stop,
 * with its final bar). */
static const char *const C128[107] = {
    "212222", "222122", "222221", "121223", "121322", "131222", "122213",
    "122312", "132212", "221213", "221312", "231212", "112232", "122132",
    "122231", "113222", "123122", "123221", "223211", "221132", "221231",
    "213212", "223112", "312131", "311222", "321122", "321221", "312212",
    "322112", "322211", "212123", "212321", "232121", "111323", "131123",
    "131321", "112313", "132113", "132311", "211313", "231113", "231311",
    "112133", "112331", "132131", "113123", "113321", "133121", "313121",
    "211331", "231131", "213113", "213311", "213131", "311123", "311321",
    "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212",
    "124112", "124211", "411212", "421112", "421211", "212141", "214121",
    "412121", "111143", "111341", "131141", "114113", "114311", "411113",
    "411311", "113141", "114131", "311141", "411131", "211412", "211214",
    "211232", "2331112"};

static int draw_symbol(img *im, int x, int y, int h, int m, int code)
{
    const char *w = C128[code];
    for (int i = 0; w[i]; i++) {
        int n = (w[i] - '0') * m;
        if (i % 2 == 0)
            fill(im, x, y, n, h);
        x += n;
    }
    return x;
}

img *tu_label_page_new(const char *text, int w, int h, int module_px)
{
    img *im = NULL;
    if (img_new(&im, w, h, 1, 1) != 0)
        return NULL;
    img_set_dpi(im, 300, 300);
    int x = 20 * module_px, y = 40, bh = 120;
    x = draw_symbol(im, x, y, bh, module_px, 104); /* start B */
    int sum = 104;
    for (int i = 0; text[i]; i++) {
        int v = text[i] - 32;
        sum += v * (i + 1);
        x = draw_symbol(im, x, y, bh, module_px, v);
    }
    x = draw_symbol(im, x, y, bh, module_px, sum % 103);
    draw_symbol(im, x, y, bh, module_px, 106);
    return im;
}

int tu_write_set(const char *path, int first, int last,
                 char (*hashes)[HASH_HEX_LEN + 1])
{
    iio_tiff_writer *w = NULL;
    int rc = iio_tiff_writer_open(&w, path);
    for (int s = first; s <= last && rc == 0; s++)
        for (int side = 0; side < 2 && rc == 0; side++) {
            img *p = tu_page_new(s, side);
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

char *tu_tmpdir(void)
{
    /* tmpfs when there is one: fsync is free there, which keeps the suites
     * fast; the archive's crash safety against kill -9 does not depend on
     * fsync reaching a disk. */
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/telle-scan-XXXXXX", base);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

void tu_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        tu_rmtree(sub);
    }
    closedir(d);
    rmdir(path);
}

void tu_sane_env(void)
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
    tu_sane_env();
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

int tu_run_telle(const char *const *argv, const char *sane_opts, char *err,
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

int tu_spawn_telle(const char *const *argv, const char *sane_opts)
{
    return spawn(argv, sane_opts, -1);
}
