/* test_capture.c - the capture loop and `telle scan` through the real
 * libsane dll loader: the project's backend (libsane-telle.so.1) with
 * scripted faults, and SANE's own test backend. */
#include "scan_testutil.h"

#include "core/error.h"
#include "core/image_io.h"
#include "scanner/archive.h"
#include "scanner/capture.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { NSHEETS = 200 };

static char g_hashes[NSHEETS * 2][HASH_HEX_LEN + 1];

/* The image set of NSHEETS sheets, written once per test process. */
static char *set_path(char *dir_out)
{
    static char path[1024];
    char *dir = tu_tmpdir("scan");
    ck_assert_ptr_nonnull(dir);
    snprintf(path, sizeof path, "%s/set.tif", dir);
    ck_assert_int_eq(scan_tu_write_set(path, 1, NSHEETS, g_hashes), 0);
    if (dir_out)
        strcpy(dir_out, dir);
    free(dir);
    return path;
}

typedef struct {
    int pages;
    char hashes[64][HASH_HEX_LEN + 1];
    int sheets[64], sides[64];
    int depth;
} collect_ctx;

static int collect(void *ctx, const scan_page *p)
{
    collect_ctx *c = ctx;
    if (c->pages < 64) {
        hash_sha256_pixels(c->hashes[c->pages], p->image);
        c->sheets[c->pages] = p->sheet;
        c->sides[c->pages] = p->side;
    }
    c->depth = img_depth(p->image);
    c->pages++;
    return 0;
}

/* Checks the archive holds sheets 1..NSHEETS exactly once each, pixel
 * hashes as generated, and every file re-hashes to its journal line. */
static void assert_batch_complete(const char *root, const char *batch)
{
    scan_batch_meta m = {"KS", "0001", "VO", ""};
    strcpy(m.batch, batch);
    scan_archive *a = NULL;
    ck_assert_msg(scan_archive_open(&a, root, &m, 0, SCAN_ARCHIVE_READ,
                                    NULL) == 0, "%s", err_message());
    ck_assert_int_eq(scan_archive_sheets(a), NSHEETS);
    size_t n = 0;
    const scan_archive_record *r = scan_archive_records(a, &n);
    ck_assert_uint_eq(n, NSHEETS * 2);
    static int seen[NSHEETS * 2];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_ge(r[i].sheet, 1);
        ck_assert_int_le(r[i].sheet, NSHEETS);
        int k = (r[i].sheet - 1) * 2 + r[i].side;
        seen[k]++;
        ck_assert_str_eq(r[i].pixels_sha256, g_hashes[k]);
    }
    for (int k = 0; k < NSHEETS * 2; k++)
        ck_assert_int_eq(seen[k], 1);
    int checked = 0;
    ck_assert_msg(scan_archive_verify(&checked, a, true) == 0, "%s",
                  err_message());
    ck_assert_int_eq(checked, NSHEETS * 2);
    scan_archive_close(a);
}

static int next_sheet(const char *root, const char *batch)
{
    scan_batch_meta m = {"KS", "0001", "VO", ""};
    strcpy(m.batch, batch);
    scan_archive *a = NULL;
    ck_assert_msg(scan_archive_open(&a, root, &m, 0, SCAN_ARCHIVE_READ,
                                    NULL) == 0, "%s", err_message());
    int n = scan_archive_next_sheet(a);
    scan_archive_close(a);
    return n;
}

START_TEST(backend_through_dll_feeds_duplex_sheets)
{
    scan_tu_sane_env();
    char dir[1024];
    const char *set = set_path(dir);
    char name[1200];
    snprintf(name, sizeof name, "telle:%s", set);
    scan_device *d = NULL;
    ck_assert_msg(scan_device_open(&d, name) == 0, "%s", err_message());
    scan_options o = SCAN_OPTIONS_INIT;
    o.resolution_dpi = 310; /* not on the list: the nearest, 300, is set */
    ck_assert_msg(scan_device_configure(d, &o) == 0, "%s", err_message());
    ck_assert_ptr_nonnull(strstr(scan_device_settings(d),
                                 "source=ADF Duplex"));
    ck_assert_ptr_nonnull(strstr(scan_device_settings(d), "mode=Lineart"));
    ck_assert_ptr_nonnull(strstr(scan_device_settings(d),
                                 "resolution=300dpi(INT)"));
    ck_assert_int_eq(scan_device_sides(d), 2);
    collect_ctx c;
    memset(&c, 0, sizeof c);
    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    ro.max_sheets = 20;
    ro.on_page = collect;
    ro.ctx = &c;
    scan_run_stats st;
    ck_assert_msg(scan_batch_run(&st, d, &ro) == 0, "%s", err_message());
    ck_assert_int_eq(st.sheets, 20);
    ck_assert_int_eq(st.pages, 40);
    ck_assert_int_eq(st.next_sheet, 21);
    ck_assert_int_eq(c.depth, 1);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(c.sheets[i], i / 2 + 1);
        ck_assert_int_eq(c.sides[i], i % 2);
        ck_assert_str_eq(c.hashes[i], g_hashes[i]);
    }
    /* A page that ends before the lines announced (length detection) is
     * taken as it came. */
    scan_device_close(d);
    char short_name[1300];
    snprintf(short_name, sizeof short_name, "%s;short=2", name);
    ck_assert_int_eq(scan_device_open(&d, short_name), 0);
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    img *page = NULL;
    ck_assert_int_eq(scan_device_page_read(&page, d), 0);
    ck_assert_int_eq(img_height(page), SCAN_TU_PAGE_H);
    img_free(page);
    ck_assert_int_eq(scan_device_page_read(&page, d), 0);
    img_free(page);
    ck_assert_int_eq(scan_device_page_read(&page, d), 0);
    ck_assert_int_eq(img_height(page), SCAN_TU_PAGE_H / 2);
    ck_assert_int_eq(img_width(page), SCAN_TU_PAGE_W);
    img *want = scan_tu_page_new(2, 0);
    for (int y = 0; y < SCAN_TU_PAGE_H / 2; y++)
        ck_assert_int_eq(memcmp(img_row(page, y), img_row(want, y),
                                img_stride(want)), 0);
    img_free(want);
    img_free(page);
    /* Gray: the same pages as 8-bit. */
    scan_device_close(d);
    ck_assert_int_eq(scan_device_open(&d, name), 0);
    o.mode = "gray";
    o.duplex = false;
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    ck_assert_ptr_nonnull(strstr(scan_device_settings(d), "ADF Front"));
    ck_assert_int_eq(scan_device_page_read(&page, d), 0);
    ck_assert_int_eq(img_depth(page), 8);
    ck_assert_int_eq(img_width(page), SCAN_TU_PAGE_W);
    ck_assert_int_eq(img_row(page, 1)[1], 0);      /* frame: black */
    ck_assert_int_eq(img_row(page, 100)[100], 255); /* paper: white */
    img_free(page);
    /* Colour: three channels, the same gray values. */
    o.mode = "color";
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    ck_assert_int_eq(scan_device_page_read(&page, d), 0);
    ck_assert_int_eq(img_channels(page), 3);
    ck_assert_int_eq(img_row(page, 1)[3], 0);
    ck_assert_int_eq(img_row(page, 100)[300], 255);
    img_free(page);
    /* A source the device does not have is refused with its choices. */
    o.source = "Transparency";
    ck_assert_int_eq(scan_device_configure(d, &o), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "ADF Duplex"));
    scan_device_close(d);
    tu_rmtree(dir);
}
END_TEST

/* SANE's test backend (libsane 1.2.1) leaks its reader thread's 64 KiB
 * buffer on every scan. Not ours to fix: LeakSanitizer is told to skip
 * allocations made in that module, which the test keeps loaded (it holds a
 * libsane reference, so sane_exit never unloads it) so the leak can be
 * attributed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libsane-test.so\n";
}

START_TEST(sane_test_backend_adf_and_jammed)
{
    scan_tu_sane_env();
    ck_assert_int_eq(scan_sane_init(), 0);
    scan_device *d = NULL;
    ck_assert_msg(scan_device_open(&d, "test:0") == 0, "%s", err_message());
    scan_options o = SCAN_OPTIONS_INIT;
    o.duplex = false;
    o.resolution_dpi = 75;
    ck_assert_msg(scan_device_configure(d, &o) == 0, "%s", err_message());
    const char *s = scan_device_settings(d);
    ck_assert_ptr_nonnull(strstr(s, "source=Automatic Document Feeder"));
    /* No lineart mode: Gray at depth 1. */
    ck_assert_ptr_nonnull(strstr(s, "mode=Gray depth=1"));
    ck_assert_ptr_nonnull(strstr(s, "resolution=75dpi(FIXED)"));
    /* With duplex asked, the test backend has none: a clear refusal. */
    scan_options od = SCAN_OPTIONS_INIT;
    ck_assert_int_eq(scan_device_configure(d, &od), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "duplex"));
    ck_assert_int_eq(scan_device_configure(d, &o), 0);

    collect_ctx c;
    memset(&c, 0, sizeof c);
    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    ro.on_page = collect;
    ro.ctx = &c;
    scan_run_stats st;
    ck_assert_msg(scan_batch_run(&st, d, &ro) == 0, "%s", err_message());
    /* The test backend's feeder holds 10 sheets. */
    ck_assert_int_eq(st.sheets, 10);
    ck_assert_int_eq(c.depth, 1);
    scan_device_close(d);

    /* A hand scanner does not know the page length (lines = -1): the
     * page is taken as it comes. */
    ck_assert_int_eq(scan_device_open(&d, "test:0"), 0);
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    ck_assert_msg(scan_device_option_set(d, "hand-scanner", "yes") == 0, "%s",
                  err_message());
    img *page = NULL;
    ck_assert_msg(scan_device_page_read(&page, d) == 0, "%s", err_message());
    ck_assert_int_gt(img_height(page), 0);
    ck_assert_int_eq(img_depth(page), 1);
    img_free(page);
    scan_device_close(d);

    ck_assert_int_eq(scan_device_open(&d, "test:0"), 0);
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    ck_assert_msg(scan_device_option_set(d, "read-return-value",
                                         "SANE_STATUS_JAMMED") == 0, "%s",
                  err_message());
    ro.first_sheet = 7;
    int rc = scan_batch_run(&st, d, &ro);
    ck_assert_int_eq(rc, TELLE_EJAMMED);
    ck_assert_ptr_nonnull(strstr(err_message(), "paper jam"));
    ck_assert_ptr_nonnull(strstr(err_message(), "re-feed from sheet 7"));
    ck_assert_int_eq(st.next_sheet, 7);
    scan_device_close(d);
}
END_TEST

START_TEST(two_hundred_sheets_jam_cover_resume)
{
    char dir[1024], root[1100], dev[1200], err[4096];
    const char *set = set_path(dir);
    snprintf(root, sizeof root, "%s/archive", dir);
    snprintf(dev, sizeof dev, "telle:%s", set);
    const char *argv[] = {"scan", "--device", dev, "--duplex", "--archive",
                          root, "--election", "KS", "--krets", "0001",
                          "--category", "VO", "--batch", "0001-VO-01", NULL,
                          NULL};
    int rc = scan_tu_run_telle(argv, "jam=57,cover=130", err, sizeof err);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "JAMMED") && strstr(err, "re-feed from sheet "
                                                        "57"), "%s", err);
    ck_assert_int_eq(next_sheet(root, "0001-VO-01"), 57);

    /* Starting the batch again without --resume is refused. */
    rc = scan_tu_run_telle(argv, "first=57", err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "--resume"), "%s", err);

    argv[14] = "--resume";
    rc = scan_tu_run_telle(argv, "first=57,cover=130", err, sizeof err);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "COVER_OPEN") &&
                  strstr(err, "re-feed from sheet 130"), "%s", err);
    ck_assert_int_eq(next_sheet(root, "0001-VO-01"), 130);

    rc = scan_tu_run_telle(argv, "first=130", err, sizeof err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    assert_batch_complete(root, "0001-VO-01");
    tu_rmtree(dir);
}
END_TEST

static int journal_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

START_TEST(kill9_during_batch_then_resume)
{
    char dir[1024], root[1100], dev[1200], err[4096], journal[1200];
    const char *set = set_path(dir);
    snprintf(root, sizeof root, "%s/archive", dir);
    snprintf(dev, sizeof dev, "telle:%s", set);
    snprintf(journal, sizeof journal, "%s/0001-VO-02/journal.jsonl", root);
    const char *argv[] = {"scan", "--device", dev, "--duplex", "--archive",
                          root, "--election", "KS", "--krets", "0001",
                          "--category", "VO", "--batch", "0001-VO-02", NULL,
                          NULL};
    /* A slow scanner (4 ms a page, 1.6 s for the batch) so the kill lands
     * mid-batch even on a loaded machine; the line count varies the
     * moment: between pages, mid-write, mid-fsync. */
    int pid = scan_tu_spawn_telle(argv, "delay_ms=4");
    ck_assert_int_gt(pid, 0);
    int target = 90 + (int)(time(NULL) % 50);
    for (int i = 0; i < 20000 && journal_lines(journal) < target; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    ck_assert(WIFSIGNALED(st));
    int next = next_sheet(root, "0001-VO-02");
    ck_assert_int_gt(next, 30);
    ck_assert_int_lt(next, NSHEETS);

    argv[14] = "--resume";
    char opts[64];
    snprintf(opts, sizeof opts, "first=%d", next);
    int rc = scan_tu_run_telle(argv, opts, err, sizeof err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    char want[64];
    snprintf(want, sizeof want, "feed from sheet %d", next);
    ck_assert_msg(strstr(err, want), "%s", err);
    assert_batch_complete(root, "0001-VO-02");
    /* No temporary file survives. */
    char bdir[1200];
    snprintf(bdir, sizeof bdir, "%s/0001-VO-02", root);
    DIR *d = opendir(bdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        ck_assert_ptr_null(strstr(e->d_name, ".tmp"));
    closedir(d);
    tu_rmtree(dir);
}
END_TEST

START_TEST(double_feed_and_empty_feeder_mid_sheet)
{
    char dir[1024], root[1100], dev[1200], err[4096];
    char *d = tu_tmpdir("scan");
    strcpy(dir, d);
    free(d);
    char set[1100];
    snprintf(set, sizeof set, "%s/small.tif", dir);
    ck_assert_int_eq(scan_tu_write_set(set, 1, 12, NULL), 0);
    snprintf(root, sizeof root, "%s/archive", dir);
    snprintf(dev, sizeof dev, "telle:%s", set);
    const char *argv[] = {"scan", "--device", dev, "--duplex", "--archive",
                          root, "--election", "KS", "--krets", "0001",
                          "--category", "VO", "--batch", "b", NULL, NULL};
    /* Two sheets through as one: a page twice as long. */
    int rc = scan_tu_run_telle(argv, "double=3", err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "DOUBLE_FEED") &&
                  strstr(err, "re-feed from sheet 3"), "%s", err);
    argv[14] = "--resume";
    /* A sheet delivered twice: the same pixels as the one before. */
    rc = scan_tu_run_telle(argv, "first=3,dup=6", err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "DOUBLE_FEED") &&
                  strstr(err, "same as sheet 5"), "%s", err);
    ck_assert_int_eq(next_sheet(root, "b"), 6);
    /* The feeder runs empty between the front and back of sheet 9. */
    rc = scan_tu_run_telle(argv, "first=6,nodocs=9", err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "NO_DOCS") &&
                  strstr(err, "re-feed from sheet 9"), "%s", err);
    ck_assert_int_eq(next_sheet(root, "b"), 9);
    rc = scan_tu_run_telle(argv, "first=9", err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(next_sheet(root, "b"), 13);
    tu_rmtree(dir);
}
END_TEST

START_TEST(label_sheet_names_the_batch)
{
    char dir[1024], root[1100], dev[2200], err[4096], set[1100];
    char *d = tu_tmpdir("scan");
    strcpy(dir, d);
    free(d);
    snprintf(root, sizeof root, "%s/archive", dir);
    /* A label sheet (A4 width at 300 dpi, 0.25 mm modules) on top of five
     * sheets. */
    img *label = scan_tu_label_page_new(
        "TELLE;election=KS;krets=0001;category=VO;batch=0001-VO-03", 2480,
        900, 3);
    img *blank = NULL;
    ck_assert_int_eq(img_new(&blank, 2480, 900, 1, 1), 0);
    snprintf(set, sizeof set, "%s/0-label.tif", dir);
    iio_tiff_writer *w = NULL;
    ck_assert_int_eq(iio_tiff_writer_open(&w, set), 0);
    ck_assert_int_eq(iio_tiff_writer_add(w, label, NULL), 0);
    ck_assert_int_eq(iio_tiff_writer_add(w, blank, NULL), 0);
    ck_assert_int_eq(iio_tiff_writer_close(w), 0);
    snprintf(set, sizeof set, "%s/1-sheets.tif", dir);
    ck_assert_int_eq(scan_tu_write_set(set, 1, 5, NULL), 0);
    /* The same label decodes in-process too. */
    scan_batch_meta m;
    bool found = false;
    ck_assert_int_eq(scan_label_read(&m, &found, label), 0);
    ck_assert(found);
    ck_assert_str_eq(m.batch, "0001-VO-03");
    ck_assert_str_eq(m.krets, "0001");
    img_free(label);
    img_free(blank);

    snprintf(dev, sizeof dev, "telle:%s/0-label.tif,%s/1-sheets.tif", dir,
             dir);
    const char *argv[] = {"scan", "--device", dev, "--duplex", "--archive",
                          root, "--label", NULL, NULL, NULL, NULL, NULL,
                          NULL, NULL, NULL, NULL};
    int rc = scan_tu_run_telle(argv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    scan_batch_meta want = {"KS", "0001", "VO", "0001-VO-03"};
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &want, 0, SCAN_ARCHIVE_READ,
                                       NULL), 0);
    ck_assert_int_eq(scan_archive_sheets(a), 5);
    size_t n = 0;
    const scan_archive_record *r = scan_archive_records(a, &n);
    ck_assert_uint_eq(n, 12);
    ck_assert_int_eq(r[0].sheet, 0); /* the label's two pages first */
    ck_assert_int_eq(r[1].sheet, 0);
    ck_assert_int_eq(r[2].sheet, 1);
    scan_archive_close(a);

    /* A label for another batch on top of a resumed batch is refused:
     * batch 0001-VO-04 is started from the command line, then resumed with
     * the label of 0001-VO-03 on top. */
    char sheets_dev[1200];
    snprintf(sheets_dev, sizeof sheets_dev, "telle:%s/1-sheets.tif", dir);
    const char *argv2[] = {"scan", "--device", sheets_dev, "--duplex",
                           "--archive", root, "--election", "KS", "--krets",
                           "0001", "--category", "VO", "--batch",
                           "0001-VO-04", NULL, NULL};
    rc = scan_tu_run_telle(argv2, "nodocs=3", err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "NO_DOCS"), "%s", err);
    argv2[2] = dev;
    argv2[14] = "--resume";
    rc = scan_tu_run_telle(argv2, NULL, err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "label sheet is for batch "
                                         "0001-VO-03"), "%s", err);
    ck_assert_int_eq(next_sheet(root, "0001-VO-04"), 3);
    /* Arguments that contradict the batch are refused too. */
    argv2[9] = "0002";
    rc = scan_tu_run_telle(argv2, NULL, err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "krets"), "%s", err);
    tu_rmtree(dir);
}
END_TEST

START_TEST(faults_from_a_private_sane_config_dir)
{
    char dir[1024];
    const char *set = set_path(dir);
    char conf[1100], text[1200];
    snprintf(conf, sizeof conf, "%s/sane.d", dir);
    ck_assert_int_eq(mkdir(conf, 0777), 0);
    tu_file_write("telle\n", "%s/dll.conf", conf);
    snprintf(text, sizeof text,
             "# faults for this test\ndevice %s\noption jam=3,ioerror=9\n", set);
    tu_file_write(text, "%s/telle.conf", conf);
    scan_tu_sane_env();
    setenv("SANE_CONFIG_DIR", conf, 1);
    unsetenv("TELLE_SANE_OPTIONS");

    ck_assert_int_eq(scan_sane_init(), 0);
    scan_device_info *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(scan_devices_list(&list, &n), 0);
    ck_assert_uint_eq(n, 1); /* only our backend: no test:0 */
    char want[1200];
    snprintf(want, sizeof want, "telle:%s", set);
    ck_assert_str_eq(list[0].name, want);
    ck_assert_str_eq(list[0].type, "sheetfed scanner");
    scan_devices_free(list, n);

    scan_device *d = NULL;
    ck_assert_int_eq(scan_device_open(&d, want), 0);
    scan_options o = SCAN_OPTIONS_INIT;
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    scan_run_stats st;
    ck_assert_int_eq(scan_batch_run(&st, d, &ro), TELLE_EJAMMED);
    ck_assert_int_eq(st.sheets, 2);
    scan_device_close(d);
    /* The operator re-feeds from sheet 3 (the jam cleared: the device
     * name's keys override telle.conf's); the next fault is an I/O error in
     * sheet 9. */
    snprintf(want, sizeof want, "telle:%s;first=3;jam=0", set);
    ck_assert_int_eq(scan_device_open(&d, want), 0);
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    ro.first_sheet = 3;
    ck_assert_int_eq(scan_batch_run(&st, d, &ro), TELLE_EIO);
    ck_assert_ptr_nonnull(strstr(err_message(), "re-feed from sheet 9"));
    ck_assert_int_eq(st.next_sheet, 9);
    scan_device_close(d);
    scan_sane_exit();
    tu_rmtree(dir);
}
END_TEST

START_TEST(simulated_sample_batch_with_label)
{
    /* The bundled sample package, filled and scan-simulated by `telle
     * simulate` (noise, skew, a label sheet at 200 dpi), scanned with
     * --label through the project's backend. */
    char *dir = tu_tmpdir("scan");
    char pkg[1024], out[1100], root[1100], dev[1300], err[4096];
    const char *src = getenv("TELLE_SOURCE_DIR");
    snprintf(pkg, sizeof pkg, "%s/samples/package", src ? src : ".");
    snprintf(out, sizeof out, "%s/sim", dir);
    snprintf(root, sizeof root, "%s/archive", dir);
    const char *sim[] = {"simulate", "--package", pkg, "--out", out,
                         "--sheets", "6", "--batches", "1", NULL};
    /* The simulator renders with cairo, whose fontconfig keeps a cache
     * LeakSanitizer reports at exit; it only makes this test's input. */
    const char *asan = getenv("ASAN_OPTIONS");
    char *saved = asan ? strdup(asan) : NULL;
    char opts[1024];
    snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    int rc = scan_tu_run_telle(sim, NULL, err, sizeof err);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
    ck_assert_msg(rc == 0, "telle simulate: %s", err);
    char tif[1200];
    snprintf(tif, sizeof tif, "%s/0001-VO-01.tif", out);
    snprintf(dev, sizeof dev, "telle:%s", tif);
    const char *argv[] = {"scan", "--device", dev, "--duplex", "--label",
                          "--archive", root, NULL};
    rc = scan_tu_run_telle(argv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "telle scan: %s", err);

    /* The label named the batch; every page is the simulated one. */
    iio_reader *r = NULL;
    ck_assert_int_eq(iio_reader_open(&r, tif), 0);
    int npages = iio_reader_page_count(r);
    ck_assert_int_eq(npages, 2 + 6 * 2);
    char snap_batch[1200];
    snprintf(snap_batch, sizeof snap_batch, "%s/0001-VO-01", root);
    scan_archive *a = NULL;
    ck_assert_msg(scan_archive_open_dir(&a, snap_batch) == 0, "%s",
                  err_message());
    ck_assert_str_eq(scan_archive_meta(a)->krets, "0001");
    ck_assert_str_eq(scan_archive_meta(a)->category, "VO");
    ck_assert_int_eq(scan_archive_sheets(a), 6);
    size_t n = 0;
    const scan_archive_record *rec = scan_archive_records(a, &n);
    ck_assert_uint_eq(n, (size_t)npages);
    for (int i = 0; i < npages; i++) {
        img *p = NULL;
        ck_assert_int_eq(iio_reader_read(&p, r, i + 1), 0);
        char hex[HASH_HEX_LEN + 1];
        hash_sha256_pixels(hex, p);
        img_free(p);
        ck_assert_int_eq(rec[i].sheet, i < 2 ? 0 : (i - 2) / 2 + 1);
        ck_assert_str_eq(rec[i].pixels_sha256, hex);
    }
    ck_assert_int_eq(scan_archive_verify(NULL, a, true), 0);
    scan_archive_close(a);
    iio_reader_close(r);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scanner_capture");
    TCase *tc = tcase_create("capture");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, backend_through_dll_feeds_duplex_sheets);
    tcase_add_test(tc, sane_test_backend_adf_and_jammed);
    tcase_add_test(tc, two_hundred_sheets_jam_cover_resume);
    tcase_add_test(tc, kill9_during_batch_then_resume);
    tcase_add_test(tc, double_feed_and_empty_feeder_mid_sheet);
    tcase_add_test(tc, label_sheet_names_the_batch);
    tcase_add_test(tc, faults_from_a_private_sane_config_dir);
    tcase_add_test(tc, simulated_sample_batch_with_label);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
