/* telle_backend.c - libsane-telle.so.1, the project's own SANE backend.
 *
 * It turns a set of image files into a duplex sheet-fed scanner, so that
 * tests and the demo drive the real libsane dll loader and the real SANE
 * calling sequence. Written to the SANE 1 backend API (sane/sane.h); the dll
 * backend finds the entry points as sane_telle_<op>.
 *
 * Device names (after the dll's "telle:" prefix):
 *   PATHS[;key=value...]
 * PATHS is a directory (every *.tif, *.tiff and *.png in it, sorted by name)
 * or a comma-separated list of files. The pages of all files, in order, are
 * the sides of the paper stack: with a duplex set (the default) pages 2k-1
 * and 2k are the front and back of sheet k.
 *
 * Keys (also read from the environment variable TELLE_SANE_OPTIONS,
 * "key=value,key=value", and from `option key=value` lines in telle.conf in
 * SANE_CONFIG_DIR; the device name wins over the environment, which wins
 * over the file):
 *   first=N    the feeder holds sheets N.. of the set (an operator re-feeding
 *              after a fault); default 1
 *   jam=N      sane_read returns SANE_STATUS_JAMMED half-way through the
 *              front of sheet N
 *   cover=N    sane_start returns SANE_STATUS_COVER_OPEN for sheet N
 *   double=N   sheets N and N+1 come through as one feed: each side is the
 *              two sheets' sides one above the other (a page twice as long)
 *   dup=N      sheet N's sides come through as exact copies of sheet N-1's
 *   nodocs=N   sane_start returns SANE_STATUS_NO_DOCS for the back of sheet N
 *              (the feeder "ran empty" in the middle of a sheet)
 *   ioerror=N  sane_read returns SANE_STATUS_IO_ERROR in the front of sheet N
 *   simplex=1  the set holds one page per sheet
 *   delay_ms=N each sane_start waits N ms (a slow scanner, for tests that
 *              must interrupt a batch in the middle)
 *   short=N    sheet N's front ends after half the lines announced by
 *              sane_get_parameters (a scanner's length detection)
 * Every fault fires once per sane_open.
 *
 * Options: source ("Flatbed", "ADF Front", "ADF Duplex"), mode ("Lineart",
 * "Gray", "Color") and resolution (SANE_TYPE_INT, dpi, a word list; the
 * default is the first page's own resolution when the list has it). Pages
 * whose file states a resolution are resampled (nearest neighbour) to the
 * one set; pages without one are delivered as they are.
 *
 * sane_get_devices lists the `device PATHS` lines of telle.conf whose
 * first path exists.
 */
#include "core/error.h"
#include "core/image.h"
#include "core/image_io.h"

#include <sane/sane.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TB_EXPORT __attribute__((visibility("default")))
#define SANE_I18N(text) text

/* The dll backend resolves these by name; declared here because sane.h only
 * declares the unprefixed names. */
TB_EXPORT SANE_Status sane_telle_init(SANE_Int *version,
                                      SANE_Auth_Callback auth);
TB_EXPORT void sane_telle_exit(void);
TB_EXPORT SANE_Status sane_telle_get_devices(const SANE_Device ***list,
                                             SANE_Bool local_only);
TB_EXPORT SANE_Status sane_telle_open(SANE_String_Const name,
                                      SANE_Handle *h);
TB_EXPORT void sane_telle_close(SANE_Handle h);
TB_EXPORT const SANE_Option_Descriptor *
sane_telle_get_option_descriptor(SANE_Handle h, SANE_Int n);
TB_EXPORT SANE_Status sane_telle_control_option(SANE_Handle h, SANE_Int n,
                                                SANE_Action action, void *val,
                                                SANE_Int *info);
TB_EXPORT SANE_Status sane_telle_get_parameters(SANE_Handle h,
                                                SANE_Parameters *p);
TB_EXPORT SANE_Status sane_telle_start(SANE_Handle h);
TB_EXPORT SANE_Status sane_telle_read(SANE_Handle h, SANE_Byte *buf,
                                      SANE_Int max, SANE_Int *len);
TB_EXPORT void sane_telle_cancel(SANE_Handle h);
TB_EXPORT SANE_Status sane_telle_set_io_mode(SANE_Handle h, SANE_Bool nb);
TB_EXPORT SANE_Status sane_telle_get_select_fd(SANE_Handle h, SANE_Int *fd);

enum { OPT_COUNT, OPT_MODE_GROUP, OPT_SOURCE, OPT_MODE, OPT_RESOLUTION,
       NUM_OPTS };

enum { SRC_FLATBED, SRC_ADF_FRONT, SRC_ADF_DUPLEX };
enum { MODE_LINEART, MODE_GRAY, MODE_COLOR };

static SANE_String_Const SOURCE_LIST[] = {"Flatbed", "ADF Front",
                                          "ADF Duplex", NULL};
static SANE_String_Const MODE_LIST[] = {"Lineart", "Gray", "Color", NULL};
static const SANE_Word RESOLUTION_LIST[] = {5, 150, 200, 300, 400, 600};

enum { MAX_DEVICES = 32, NAME_MAX_LEN = 4096 };

typedef struct {
    char *file;
    int page; /* 1-based page in file */
} tb_page;

typedef struct {
    int first, jam, cover, dbl, dup, nodocs, ioerror, simplex, delay_ms;
    int shortpage;
} tb_config;

typedef struct {
    SANE_Option_Descriptor opt[NUM_OPTS];
    int source, mode;
    SANE_Word resolution;
    tb_config cfg;

    tb_page *pages;
    int npages;
    int next;          /* index of the next side to feed */
    int fed;           /* sides fed since open (Flatbed feeds one) */

    iio_reader *rd;    /* reader of rd_file, kept while pages come from it */
    char *rd_file;

    bool scanning;     /* between sane_start and the page's EOF/cancel */
    SANE_Parameters params;
    SANE_Byte *buf;
    size_t len, pos;
    size_t fail_at;    /* return fail_status once pos reaches this */
    SANE_Status fail_status;
} tb_device;

/* Eight 1-bit pixels (a byte, most significant first) as eight gray
 * bytes; filled by sane_telle_init. */
static uint8_t g_bits_to_gray[256][8];

static SANE_Device *g_devices[MAX_DEVICES + 1];
static int g_ndevices;

static const char *config_dir_file(char *out, size_t cap, const char *name)
{
    const char *dirs = getenv("SANE_CONFIG_DIR");
    if (!dirs || !*dirs)
        dirs = "/etc/sane.d";
    /* Only the first directory of a colon list: where the project's own
     * configuration lives. */
    size_t n = strcspn(dirs, ":");
    snprintf(out, cap, "%.*s/%s", (int)n, dirs, name);
    return out;
}

static void config_set(tb_config *c, const char *key, size_t klen,
                       const char *val)
{
    int v = atoi(val);
    struct { const char *k; int *p; } keys[] = {
        {"first", &c->first},   {"jam", &c->jam},       {"cover", &c->cover},
        {"double", &c->dbl},    {"dup", &c->dup},       {"nodocs", &c->nodocs},
        {"ioerror", &c->ioerror}, {"simplex", &c->simplex},
        {"delay_ms", &c->delay_ms}, {"short", &c->shortpage},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i].k) == klen && strncmp(keys[i].k, key, klen) == 0)
            *keys[i].p = v;
}

/* Parses "k=v<sep>k=v..." into c. */
static void config_parse(tb_config *c, const char *s, char sep)
{
    while (s && *s) {
        const char *end = strchr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (eq) {
            char val[32];
            size_t vl = len - (size_t)(eq + 1 - s);
            if (vl >= sizeof val)
                vl = sizeof val - 1;
            memcpy(val, eq + 1, vl);
            val[vl] = '\0';
            config_set(c, s, (size_t)(eq - s), val);
        }
        s = end ? end + 1 : NULL;
    }
}

static void config_read_file(tb_config *c)
{
    char path[NAME_MAX_LEN];
    FILE *f = fopen(config_dir_file(path, sizeof path, "telle.conf"), "r");
    if (!f)
        return;
    char line[NAME_MAX_LEN];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "option ", 7) == 0)
            config_parse(c, line + 7, ',');
    }
    fclose(f);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (strcmp(dot, ".tif") == 0 || strcmp(dot, ".tiff") == 0 ||
                   strcmp(dot, ".png") == 0 || strcmp(dot, ".TIF") == 0 ||
                   strcmp(dot, ".TIFF") == 0 || strcmp(dot, ".PNG") == 0);
}

static int pages_append_file(tb_device *d, const char *path)
{
    iio_reader *r = NULL;
    if (iio_reader_open(&r, path) != 0)
        return -1;
    int n = iio_reader_page_count(r);
    iio_reader_close(r);
    tb_page *np = realloc(d->pages, sizeof *np * (size_t)(d->npages + n));
    if (!np)
        return -1;
    d->pages = np;
    for (int i = 1; i <= n; i++) {
        char *f = strdup(path);
        if (!f)
            return -1;
        d->pages[d->npages].file = f;
        d->pages[d->npages].page = i;
        d->npages++;
    }
    return 0;
}

/* Lists the image set named by `paths` (a directory or a comma list). */
static int pages_load(tb_device *d, const char *paths)
{
    char *copy = strdup(paths);
    if (!copy)
        return -1;
    int rc = 0;
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p && rc == 0;
         p = strtok_r(NULL, ",", &save)) {
        DIR *dir = opendir(p);
        if (!dir) {
            rc = pages_append_file(d, p);
            continue;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (!is_image_name(e->d_name))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nn = realloc(names, cap * sizeof *nn);
                if (!nn) {
                    rc = -1;
                    break;
                }
                names = nn;
            }
            size_t len = strlen(p) + strlen(e->d_name) + 2;
            names[n] = malloc(len);
            if (!names[n]) {
                rc = -1;
                break;
            }
            snprintf(names[n], len, "%s/%s", p, e->d_name);
            n++;
        }
        closedir(dir);
        if (n)
            qsort(names, n, sizeof *names, name_cmp);
        for (size_t i = 0; i < n; i++) {
            if (rc == 0)
                rc = pages_append_file(d, names[i]);
            free(names[i]);
        }
        free(names);
    }
    free(copy);
    return rc;
}

static void options_init(tb_device *d)
{
    SANE_Option_Descriptor *o = d->opt;
    o[OPT_COUNT].name = "";
    o[OPT_COUNT].title = SANE_I18N("Number of options");
    o[OPT_COUNT].desc = SANE_I18N("Read-only option that specifies how many "
                                  "options a specific device supports.");
    o[OPT_COUNT].type = SANE_TYPE_INT;
    o[OPT_COUNT].size = sizeof(SANE_Word);
    o[OPT_COUNT].cap = SANE_CAP_SOFT_DETECT;

    o[OPT_MODE_GROUP].name = "";
    o[OPT_MODE_GROUP].title = SANE_I18N("Scan Mode");
    o[OPT_MODE_GROUP].desc = "";
    o[OPT_MODE_GROUP].type = SANE_TYPE_GROUP;

    o[OPT_SOURCE].name = "source";
    o[OPT_SOURCE].title = SANE_I18N("Scan source");
    o[OPT_SOURCE].desc = SANE_I18N("Flatbed scans the first page once; the "
                                   "ADF feeds the image set as sheets.");
    o[OPT_SOURCE].type = SANE_TYPE_STRING;
    o[OPT_SOURCE].size = 16;
    o[OPT_SOURCE].cap = SANE_CAP_SOFT_SELECT | SANE_CAP_SOFT_DETECT;
    o[OPT_SOURCE].constraint_type = SANE_CONSTRAINT_STRING_LIST;
    o[OPT_SOURCE].constraint.string_list = SOURCE_LIST;

    o[OPT_MODE].name = "mode";
    o[OPT_MODE].title = SANE_I18N("Scan mode");
    o[OPT_MODE].desc = SANE_I18N("Selects the scan mode (lineart, gray or "
                                 "color).");
    o[OPT_MODE].type = SANE_TYPE_STRING;
    o[OPT_MODE].size = 16;
    o[OPT_MODE].cap = SANE_CAP_SOFT_SELECT | SANE_CAP_SOFT_DETECT;
    o[OPT_MODE].constraint_type = SANE_CONSTRAINT_STRING_LIST;
    o[OPT_MODE].constraint.string_list = MODE_LIST;

    o[OPT_RESOLUTION].name = "resolution";
    o[OPT_RESOLUTION].title = SANE_I18N("Scan resolution");
    o[OPT_RESOLUTION].desc = SANE_I18N("Scan resolution; pages are "
                                       "resampled from the file's own.");
    o[OPT_RESOLUTION].type = SANE_TYPE_INT;
    o[OPT_RESOLUTION].unit = SANE_UNIT_DPI;
    o[OPT_RESOLUTION].size = sizeof(SANE_Word);
    o[OPT_RESOLUTION].cap = SANE_CAP_SOFT_SELECT | SANE_CAP_SOFT_DETECT;
    o[OPT_RESOLUTION].constraint_type = SANE_CONSTRAINT_WORD_LIST;
    o[OPT_RESOLUTION].constraint.word_list = RESOLUTION_LIST;

    d->source = SRC_ADF_DUPLEX;
    d->mode = MODE_LINEART;
    d->resolution = 300;
}

static void device_free(tb_device *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->npages; i++)
        free(d->pages[i].file);
    free(d->pages);
    iio_reader_close(d->rd);
    free(d->rd_file);
    free(d->buf);
    free(d);
}

SANE_Status sane_telle_init(SANE_Int *version, SANE_Auth_Callback auth)
{
    (void)auth;
    for (int b = 0; b < 256; b++)
        for (int k = 0; k < 8; k++)
            g_bits_to_gray[b][k] = (b >> (7 - k) & 1) ? 0 : 255;
    if (version)
        *version = SANE_VERSION_CODE(SANE_CURRENT_MAJOR, SANE_CURRENT_MINOR, 1);
    return SANE_STATUS_GOOD;
}

static void devices_free(void)
{
    for (int i = 0; i < g_ndevices; i++) {
        free((char *)g_devices[i]->name);
        free(g_devices[i]);
    }
    g_ndevices = 0;
    g_devices[0] = NULL;
}

void sane_telle_exit(void)
{
    devices_free();
}

SANE_Status sane_telle_get_devices(const SANE_Device ***list,
                                   SANE_Bool local_only)
{
    (void)local_only;
    devices_free();
    char path[NAME_MAX_LEN];
    FILE *f = fopen(config_dir_file(path, sizeof path, "telle.conf"), "r");
    if (f) {
        char line[NAME_MAX_LEN];
        while (g_ndevices < MAX_DEVICES && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (strncmp(line, "device ", 7) != 0 || !line[7])
                continue;
            /* Only image sets that exist: the list is what can be opened. */
            char first[NAME_MAX_LEN];
            snprintf(first, sizeof first, "%s", line + 7);
            first[strcspn(first, ",;")] = '\0';
            struct stat st;
            if (stat(first, &st) != 0)
                continue;
            SANE_Device *dev = calloc(1, sizeof *dev);
            char *name = strdup(line + 7);
            if (!dev || !name) {
                free(dev);
                free(name);
                break;
            }
            dev->name = name;
            dev->vendor = "telle";
            dev->model = "image-set duplex ADF";
            dev->type = "sheetfed scanner";
            g_devices[g_ndevices++] = dev;
        }
        fclose(f);
    }
    g_devices[g_ndevices] = NULL;
    *list = (const SANE_Device **)g_devices;
    return SANE_STATUS_GOOD;
}

static int side_decode(img **out, tb_device *d, int index);

SANE_Status sane_telle_open(SANE_String_Const name, SANE_Handle *h)
{
    *h = NULL;
    if (!name || !*name) {
        /* The first configured device, as SANE frontends expect for "". */
        const SANE_Device **list;
        sane_telle_get_devices(&list, SANE_TRUE);
        if (!list[0])
            return SANE_STATUS_INVAL;
        name = list[0]->name;
    }
    tb_device *d = calloc(1, sizeof *d);
    if (!d)
        return SANE_STATUS_NO_MEM;
    options_init(d);
    config_read_file(&d->cfg);
    config_parse(&d->cfg, getenv("TELLE_SANE_OPTIONS"), ',');

    char paths[NAME_MAX_LEN];
    snprintf(paths, sizeof paths, "%s", name);
    char *semi = strchr(paths, ';');
    if (semi) {
        *semi = '\0';
        config_parse(&d->cfg, semi + 1, ';');
    }
    if (pages_load(d, paths) != 0 || d->npages == 0) {
        device_free(d);
        return SANE_STATUS_INVAL;
    }
    int per_sheet = d->cfg.simplex ? 1 : 2;
    if (d->cfg.first > 1)
        d->next = (d->cfg.first - 1) * per_sheet;
    /* The default resolution is the set's own, when the list has it: no
     * resampling unless the frontend asks for another. */
    img *first = NULL;
    if (side_decode(&first, d, d->next < d->npages ? d->next : 0) == 0) {
        SANE_Word dpi = (SANE_Word)(img_dpi_x(first) + 0.5);
        for (int i = 1; i <= RESOLUTION_LIST[0]; i++)
            if (RESOLUTION_LIST[i] == dpi)
                d->resolution = dpi;
    }
    img_free(first);
    err_clear();
    *h = d;
    return SANE_STATUS_GOOD;
}

void sane_telle_close(SANE_Handle h)
{
    device_free(h);
}

const SANE_Option_Descriptor *sane_telle_get_option_descriptor(SANE_Handle h,
                                                               SANE_Int n)
{
    tb_device *d = h;
    if (!d || n < 0 || n >= NUM_OPTS)
        return NULL;
    return &d->opt[n];
}

static int list_index(SANE_String_Const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return i;
    return -1;
}

SANE_Status sane_telle_control_option(SANE_Handle h, SANE_Int n,
                                      SANE_Action action, void *val,
                                      SANE_Int *info)
{
    tb_device *d = h;
    if (info)
        *info = 0;
    if (!d || n < 0 || n >= NUM_OPTS || n == OPT_MODE_GROUP || !val)
        return SANE_STATUS_INVAL;
    if (d->scanning && action != SANE_ACTION_GET_VALUE)
        return SANE_STATUS_DEVICE_BUSY;
    if (action == SANE_ACTION_GET_VALUE) {
        switch (n) {
        case OPT_COUNT: *(SANE_Word *)val = NUM_OPTS; break;
        case OPT_SOURCE: strcpy(val, SOURCE_LIST[d->source]); break;
        case OPT_MODE: strcpy(val, MODE_LIST[d->mode]); break;
        case OPT_RESOLUTION: *(SANE_Word *)val = d->resolution; break;
        }
        return SANE_STATUS_GOOD;
    }
    if (n == OPT_COUNT)
        return SANE_STATUS_INVAL;
    if (action == SANE_ACTION_SET_AUTO) {
        if (n == OPT_SOURCE)
            d->source = SRC_ADF_DUPLEX;
        else if (n == OPT_MODE)
            d->mode = MODE_LINEART;
        else
            d->resolution = 300;
    } else if (action == SANE_ACTION_SET_VALUE) {
        if (n == OPT_SOURCE || n == OPT_MODE) {
            SANE_String_Const *list = n == OPT_SOURCE ? SOURCE_LIST : MODE_LIST;
            int i = list_index(list, val);
            if (i < 0)
                return SANE_STATUS_INVAL;
            *(n == OPT_SOURCE ? &d->source : &d->mode) = i;
        } else {
            SANE_Word w = *(SANE_Word *)val;
            bool ok = false;
            for (int i = 1; i <= RESOLUTION_LIST[0]; i++)
                ok = ok || RESOLUTION_LIST[i] == w;
            if (!ok)
                return SANE_STATUS_INVAL;
            d->resolution = w;
        }
    } else {
        return SANE_STATUS_INVAL;
    }
    if (info)
        *info = SANE_INFO_RELOAD_PARAMS;
    return SANE_STATUS_GOOD;
}

/* Decodes side `index` of the set. */
static int side_decode(img **out, tb_device *d, int index)
{
    *out = NULL;
    const tb_page *p = &d->pages[index];
    if (!d->rd_file || strcmp(d->rd_file, p->file) != 0) {
        iio_reader_close(d->rd);
        d->rd = NULL;
        free(d->rd_file);
        d->rd_file = NULL;
        if (iio_reader_open(&d->rd, p->file) != 0)
            return -1;
        d->rd_file = strdup(p->file);
        if (!d->rd_file)
            return -1;
    }
    return iio_reader_read(out, d->rd, p->page);
}

/* One pixel of any image as 8-bit gray (0 black). */
static inline uint8_t pixel_gray(const uint8_t *row, int x, int ch, int depth)
{
    if (depth == 1)
        return (row[x >> 3] >> (7 - (x & 7)) & 1) ? 0 : 255;
    if (ch == 1)
        return row[x];
    const uint8_t *px = row + (size_t)x * (size_t)ch;
    return (uint8_t)((299 * px[0] + 587 * px[1] + 114 * px[2] + 500) / 1000);
}

/* Appends image rows in the current mode to the frame buffer. */
static int frame_append(tb_device *d, const img *im)
{
    int w = img_width(im), h = img_height(im);
    int ch = img_channels(im), depth = img_depth(im);
    size_t bpl;
    if (d->mode == MODE_LINEART)
        bpl = ((size_t)w + 7) / 8;
    else if (d->mode == MODE_GRAY)
        bpl = (size_t)w;
    else
        bpl = (size_t)w * 3;
    if (d->len == 0) {
        d->params.pixels_per_line = w;
        d->params.bytes_per_line = (SANE_Int)bpl;
        d->params.lines = 0;
    } else if (d->params.pixels_per_line != w) {
        return -1;
    }
    SANE_Byte *nb = realloc(d->buf, d->len + bpl * (size_t)h);
    if (!nb)
        return -1;
    d->buf = nb;
    for (int y = 0; y < h; y++) {
        const uint8_t *src = img_row(im, y);
        uint8_t *dst = d->buf + d->len + bpl * (size_t)y;
        if (d->mode == MODE_LINEART && depth == 1) {
            /* SANE lineart: 1 = black, as the img convention. */
            memcpy(dst, src, bpl);
        } else if (d->mode == MODE_LINEART) {
            memset(dst, 0, bpl);
            for (int x = 0; x < w; x++)
                if (pixel_gray(src, x, ch, depth) < 128)
                    dst[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
        } else if (d->mode == MODE_GRAY) {
            if (depth == 8 && ch == 1) {
                memcpy(dst, src, bpl);
            } else if (depth == 1) {
                /* Eight pixels a byte through a table: the hot case of a
                 * lineart image set scanned as gray. */
                int full = w / 8;
                for (int i = 0; i < full; i++)
                    memcpy(dst + 8 * i, g_bits_to_gray[src[i]], 8);
                for (int x = full * 8; x < w; x++)
                    dst[x] = pixel_gray(src, x, ch, depth);
            } else
                for (int x = 0; x < w; x++)
                    dst[x] = pixel_gray(src, x, ch, depth);
        } else {
            for (int x = 0; x < w; x++) {
                if (depth == 8 && ch >= 3) {
                    memcpy(dst + 3 * x, src + (size_t)x * (size_t)ch, 3);
                } else {
                    uint8_t g = pixel_gray(src, x, ch, depth);
                    dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = g;
                }
            }
        }
    }
    d->len += bpl * (size_t)h;
    d->params.lines += h;
    return 0;
}

/* Nearest-neighbour copy of src at `scale` (set resolution / the file's):
 * the backend's resolution option is real, as on a scanner, even though the
 * image set was made at one resolution. */
static int resample(img **out, const img *src, double scale)
{
    *out = NULL;
    int sw = img_width(src), sh = img_height(src);
    int ch = img_channels(src), depth = img_depth(src);
    int w = (int)(sw * scale + 0.5), h = (int)(sh * scale + 0.5);
    if (w < 1 || h < 1 || img_new(out, w, h, ch, depth) != 0)
        return -1;
    int *xs = malloc((size_t)w * sizeof *xs);
    if (!xs) {
        img_free(*out);
        *out = NULL;
        return -1;
    }
    for (int x = 0; x < w; x++) {
        xs[x] = (int)((x + 0.5) / scale);
        if (xs[x] >= sw)
            xs[x] = sw - 1;
    }
    for (int y = 0; y < h; y++) {
        int sy = (int)((y + 0.5) / scale);
        if (sy >= sh)
            sy = sh - 1;
        const uint8_t *srow = img_row(src, sy);
        uint8_t *drow = img_row_mut(*out, y);
        if (depth == 1) {
            for (int x = 0; x < w; x++)
                if (srow[xs[x] >> 3] >> (7 - (xs[x] & 7)) & 1)
                    drow[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
        } else {
            for (int x = 0; x < w; x++)
                memcpy(drow + (size_t)x * (size_t)ch,
                       srow + (size_t)xs[x] * (size_t)ch, (size_t)ch);
        }
    }
    free(xs);
    img_set_dpi(*out, img_dpi_x(src) * scale, img_dpi_y(src) * scale);
    return 0;
}

/* Builds the frame for side `index` (plus `extra`, another side stacked
 * below it for a double feed, or -1). */
static SANE_Status frame_build(tb_device *d, int index, int extra)
{
    d->len = d->pos = 0;
    d->fail_at = (size_t)-1;
    memset(&d->params, 0, sizeof d->params);
    int idx[2] = {index, extra};
    for (int i = 0; i < 2; i++) {
        if (idx[i] < 0 || idx[i] >= d->npages)
            continue;
        img *im = NULL;
        if (side_decode(&im, d, idx[i]) != 0) {
            err_clear();
            return SANE_STATUS_IO_ERROR;
        }
        double dpi = img_dpi_x(im);
        if (dpi > 0 && (d->resolution > dpi * 1.01 ||
                        d->resolution < dpi * 0.99)) {
            img *scaled = NULL;
            int rs = resample(&scaled, im, d->resolution / dpi);
            img_free(im);
            if (rs != 0)
                return SANE_STATUS_NO_MEM;
            im = scaled;
        }
        int rc = frame_append(d, im);
        img_free(im);
        if (rc != 0)
            return SANE_STATUS_IO_ERROR;
    }
    d->params.format = d->mode == MODE_COLOR ? SANE_FRAME_RGB : SANE_FRAME_GRAY;
    d->params.depth = d->mode == MODE_LINEART ? 1 : 8;
    d->params.last_frame = SANE_TRUE;
    return SANE_STATUS_GOOD;
}

SANE_Status sane_telle_get_parameters(SANE_Handle h, SANE_Parameters *p)
{
    tb_device *d = h;
    if (!d || !p)
        return SANE_STATUS_INVAL;
    if (d->scanning) {
        *p = d->params;
        return SANE_STATUS_GOOD;
    }
    /* Before sane_start: the best guess is the next side's size. */
    memset(p, 0, sizeof *p);
    p->format = d->mode == MODE_COLOR ? SANE_FRAME_RGB : SANE_FRAME_GRAY;
    p->depth = d->mode == MODE_LINEART ? 1 : 8;
    p->last_frame = SANE_TRUE;
    p->lines = -1;
    return SANE_STATUS_GOOD;
}

SANE_Status sane_telle_start(SANE_Handle h)
{
    tb_device *d = h;
    if (!d)
        return SANE_STATUS_INVAL;
    if (d->scanning)
        return SANE_STATUS_DEVICE_BUSY;
    if (d->cfg.delay_ms > 0) {
        struct timespec ts = {d->cfg.delay_ms / 1000,
                              (long)(d->cfg.delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int per_sheet = d->cfg.simplex ? 1 : 2;
    if (d->source == SRC_FLATBED) {
        if (d->fed > 0)
            return SANE_STATUS_NO_DOCS;
    } else if (d->source == SRC_ADF_FRONT && per_sheet == 2 && d->next % 2) {
        d->next++; /* the back of the sheet just scanned is not read */
    }
    if (d->next >= d->npages)
        return SANE_STATUS_NO_DOCS;

    int sheet = d->next / per_sheet + 1;
    int side = d->next % per_sheet;
    int index = d->next, extra = -1, advance = 1;
    bool last_side = side == per_sheet - 1 || d->source != SRC_ADF_DUPLEX;
    if (side == 0 && d->cfg.cover == sheet) {
        d->cfg.cover = 0;
        return SANE_STATUS_COVER_OPEN;
    }
    if (side == 1 && d->cfg.nodocs == sheet) {
        d->cfg.nodocs = 0;
        return SANE_STATUS_NO_DOCS;
    }
    if (d->cfg.dup == sheet && sheet > 1)
        index = d->next - per_sheet;
    if (d->cfg.dbl == sheet) {
        extra = d->next + per_sheet;
        if (last_side)
            d->cfg.dbl = 0;
    }
    SANE_Status st = frame_build(d, index, extra);
    if (st != SANE_STATUS_GOOD)
        return st;
    if (side == 0 && d->cfg.shortpage == sheet) {
        d->cfg.shortpage = 0;
        d->len = (size_t)d->params.bytes_per_line *
                 (size_t)(d->params.lines / 2);
    }
    if (side == 0 && d->cfg.jam == sheet) {
        d->cfg.jam = 0;
        d->fail_at = d->len / 2;
        d->fail_status = SANE_STATUS_JAMMED;
    } else if (side == 0 && d->cfg.ioerror == sheet) {
        d->cfg.ioerror = 0;
        d->fail_at = d->len / 3;
        d->fail_status = SANE_STATUS_IO_ERROR;
    }
    if (last_side && d->cfg.dup == sheet)
        d->cfg.dup = 0;
    /* The paper has moved, whatever happens to the transfer: a double feed
     * took the next sheet with it. */
    if (extra >= 0 && last_side)
        advance += per_sheet;
    d->next += advance;
    d->fed++;
    d->scanning = true;
    return SANE_STATUS_GOOD;
}

SANE_Status sane_telle_read(SANE_Handle h, SANE_Byte *buf, SANE_Int max,
                            SANE_Int *len)
{
    tb_device *d = h;
    if (len)
        *len = 0;
    if (!d || !buf || !len || max < 0)
        return SANE_STATUS_INVAL;
    if (!d->scanning)
        return SANE_STATUS_CANCELLED;
    if (d->pos >= d->fail_at) {
        d->scanning = false;
        return d->fail_status;
    }
    if (d->pos >= d->len) {
        d->scanning = false;
        return SANE_STATUS_EOF;
    }
    size_t n = d->len - d->pos;
    if (n > (size_t)max)
        n = (size_t)max;
    if (d->fail_at != (size_t)-1 && d->pos + n > d->fail_at)
        n = d->fail_at - d->pos;
    memcpy(buf, d->buf + d->pos, n);
    d->pos += n;
    *len = (SANE_Int)n;
    return SANE_STATUS_GOOD;
}

void sane_telle_cancel(SANE_Handle h)
{
    tb_device *d = h;
    if (d)
        d->scanning = false;
}

SANE_Status sane_telle_set_io_mode(SANE_Handle h, SANE_Bool nb)
{
    (void)h;
    return nb ? SANE_STATUS_UNSUPPORTED : SANE_STATUS_GOOD;
}

SANE_Status sane_telle_get_select_fd(SANE_Handle h, SANE_Int *fd)
{
    (void)h;
    (void)fd;
    return SANE_STATUS_UNSUPPORTED;
}
