/* test_pipeline.c - sheets from the capture loop (real libsane, the
 * project's backend) to worker threads: every sheet once, whole, with its
 * own pixels; failures come back from finish. */
#include "scan_testutil.h"

#include "core/error.h"
#include "scanner/capture.h"
#include "scanner/pipeline.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NSHEETS = 60 };

static char g_hashes[NSHEETS * 2][HASH_HEX_LEN + 1];

typedef struct {
    pthread_mutex_t mu;
    int seen[NSHEETS + 1];
    int bad;           /* sheets whose pages did not match */
    int fail_sheet;    /* the work function fails on this sheet */
    size_t max_waiting;
    scan_pipeline *pl;
} work_ctx;

static int work(void *ctx, const scan_sheet *s)
{
    work_ctx *c = ctx;
    /* Some work, so that sheets pile up behind the capture thread. */
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    bool ok = s->npages == 2 && s->sheet >= 1 && s->sheet <= NSHEETS;
    for (int i = 0; ok && i < 2; i++) {
        char hex[HASH_HEX_LEN + 1];
        hash_sha256_pixels(hex, s->pages[i]);
        ok = strcmp(hex, g_hashes[(s->sheet - 1) * 2 + i]) == 0;
    }
    pthread_mutex_lock(&c->mu);
    if (ok)
        c->seen[s->sheet]++;
    else
        c->bad++;
    pthread_mutex_unlock(&c->mu);
    if (s->sheet == c->fail_sheet)
        return err_set(TELLE_EFORMAT, "sheet %d: cannot be read", s->sheet);
    return 0;
}

static int on_page(void *ctx, const scan_page *p)
{
    work_ctx *c = ctx;
    int rc = scan_pipeline_push(c->pl, p);
    size_t w = scan_pipeline_waiting(c->pl);
    if (w > c->max_waiting)
        c->max_waiting = w;
    return rc;
}

static int run(work_ctx *c, int workers)
{
    char *dir = tu_tmpdir("scan");
    char set[1024], dev[1100];
    snprintf(set, sizeof set, "%s/set.tif", dir);
    ck_assert_int_eq(scan_tu_write_set(set, 1, NSHEETS, g_hashes), 0);
    snprintf(dev, sizeof dev, "telle:%s", set);
    scan_tu_sane_env();
    scan_device *d = NULL;
    ck_assert_int_eq(scan_device_open(&d, dev), 0);
    scan_options o = SCAN_OPTIONS_INIT;
    ck_assert_int_eq(scan_device_configure(d, &o), 0);
    ck_assert_int_eq(scan_pipeline_new(&c->pl, 2, workers, work, c), 0);
    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    ro.on_page = on_page;
    ro.ctx = c;
    scan_run_stats st;
    ck_assert_int_eq(scan_batch_run(&st, d, &ro), 0);
    ck_assert_int_eq(st.sheets, NSHEETS);
    scan_device_close(d);
    int rc = scan_pipeline_finish(c->pl);
    c->pl = NULL;
    tu_rmtree(dir);
    free(dir);
    return rc;
}

START_TEST(every_sheet_once_whole)
{
    work_ctx c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    ck_assert_int_eq(run(&c, 2), 0);
    ck_assert_int_eq(c.bad, 0);
    for (int s = 1; s <= NSHEETS; s++)
        ck_assert_int_eq(c.seen[s], 1);
    /* The scanner did not wait for the workers: sheets queued up. */
    ck_assert_uint_gt(c.max_waiting, 1);
    pthread_mutex_destroy(&c.mu);
}
END_TEST

START_TEST(first_failure_returned_rest_still_worked)
{
    work_ctx c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    c.fail_sheet = 7;
    ck_assert_int_eq(run(&c, 3), TELLE_EFORMAT);
    ck_assert_str_eq(err_message(), "sheet 7: cannot be read");
    for (int s = 1; s <= NSHEETS; s++)
        ck_assert_int_eq(c.seen[s], 1);
    pthread_mutex_destroy(&c.mu);
}
END_TEST

START_TEST(refuses_bad_arguments)
{
    scan_pipeline *pl = NULL;
    ck_assert_int_eq(scan_pipeline_new(&pl, 3, 2, work, NULL), TELLE_EINVAL);
    ck_assert_int_eq(scan_pipeline_new(&pl, 2, 0, work, NULL), TELLE_EINVAL);
    ck_assert_int_eq(scan_pipeline_new(&pl, 2, 2, NULL, NULL), TELLE_EINVAL);
    ck_assert_ptr_null(pl);
    ck_assert_int_eq(scan_pipeline_finish(NULL), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scanner_pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_sheet_once_whole);
    tcase_add_test(tc, first_failure_returned_rest_still_worked);
    tcase_add_test(tc, refuses_bad_arguments);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
