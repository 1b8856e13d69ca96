/* test_archive.c - the batch archive and its journal: torn lines, leftovers,
 * corruption, resume, the double-feed and size checks, verification, batch
 * labels, and `telle import` (idempotent). */
#include "scan_testutil.h"

#include "core/error.h"
#include "core/hash.h"
#include "core/image_io.h"
#include "scanner/archive.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const scan_batch_meta META = {"KS", "0001", "VO", "0001-VO-01"};

static void add_sheet(scan_archive *a, int sheet, int pattern)
{
    for (int side = 0; side < 2; side++) {
        img *p = scan_tu_page_new(pattern, side);
        ck_assert_msg(scan_archive_page_add(NULL, a, sheet, side, p) == 0,
                      "%s", err_message());
        img_free(p);
    }
}

/* Appends text to dir/name, as a write cut short by a kill leaves it. */
static void append_file(const char *dir, const char *name, const char *text)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "a");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(torn_line_dropped_and_leftovers_cleaned)
{
    char *root = tu_tmpdir("scan");
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_CREATE,
                                       "test"), 0);
    for (int s = 1; s <= 3; s++)
        add_sheet(a, s, s);
    char bdir[1024];
    snprintf(bdir, sizeof bdir, "%s", scan_archive_dir(a));
    scan_archive_close(a);

    /* What a kill leaves: a half-written temp file, a renamed page whose
     * journal line never came, and half a journal line. */
    tu_file_write("II*\0garbage", "%s/p000007.tif.tmp", bdir);
    tu_file_write("II*\0garbage", "%s/p000007.tif", bdir);
    append_file(bdir, "journal.jsonl", "{\"type\":\"page\",\"sheet\":4,\"si");

    /* Read-only: the torn line is seen and ignored, nothing is touched. */
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 0, SCAN_ARCHIVE_READ,
                                       NULL), 0);
    ck_assert_int_eq(scan_archive_torn(a), 1);
    ck_assert_int_eq(scan_archive_next_sheet(a), 4);
    scan_archive_close(a);
    ck_assert(tu_file_exists("%s/p000007.tif.tmp", bdir));

    /* Resuming drops the torn line and deletes the leftovers. */
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_RESUME,
                                       "test"), 0);
    ck_assert_int_eq(scan_archive_torn(a), 1);
    ck_assert(!tu_file_exists("%s/p000007.tif.tmp", bdir));
    ck_assert(!tu_file_exists("%s/p000007.tif", bdir));
    add_sheet(a, 4, 4);
    int checked = 0;
    ck_assert_msg(scan_archive_verify(&checked, a, true) == 0, "%s",
                  err_message());
    ck_assert_int_eq(checked, 8);
    scan_archive_close(a);

    char *j = tu_file_read(NULL, "%s/journal.jsonl", bdir);
    ck_assert_ptr_null(strstr(j, "\"si{")); /* the torn bytes are gone */
    ck_assert_int_eq(j[strlen(j) - 1], '\n');
    free(j);

    /* A whole last line that is not JSON (a power cut's zeros) is torn
     * too. */
    append_file(bdir, "journal.jsonl", "\x01\x02\x03\n");
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_APPEND,
                                       "test"), 0);
    ck_assert_int_eq(scan_archive_torn(a), 1);
    ck_assert_int_eq(scan_archive_sheets(a), 4);
    scan_archive_close(a);
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_READ,
                                       NULL), 0);
    ck_assert_int_eq(scan_archive_torn(a), 0);
    scan_archive_close(a);
    tu_rmtree(root);
    free(root);
}
END_TEST

START_TEST(corrupt_middle_line_is_an_error)
{
    char *root = tu_tmpdir("scan");
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_CREATE,
                                       "test"), 0);
    add_sheet(a, 1, 1);
    char jp[1100];
    snprintf(jp, sizeof jp, "%s/journal.jsonl", scan_archive_dir(a));
    scan_archive_close(a);
    /* Damage the second line's opening brace. */
    FILE *f = fopen(jp, "r+b");
    ck_assert_ptr_nonnull(f);
    int ch;
    while ((ch = fgetc(f)) != EOF && ch != '\n')
        ;
    fseek(f, 0, SEEK_CUR);
    fputc('#', f);
    fclose(f);
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_RESUME,
                                       "test"), TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "line 2"));
    ck_assert_ptr_null(a);
    tu_rmtree(root);
    free(root);
}
END_TEST

START_TEST(create_refuses_existing_and_resume_refeeds_incomplete_sheet)
{
    char *root = tu_tmpdir("scan");
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_CREATE,
                                       "test"), 0);
    add_sheet(a, 1, 1);
    img *p = scan_tu_page_new(2, 0);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 2, 0, p), 0);
    /* Out of order: sheet 3 before sheet 2's back. */
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 3, 0, p), TELLE_EINVAL);
    img_free(p);
    scan_archive_close(a);

    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_CREATE,
                                       "test"), TELLE_ESTATE);
    ck_assert_ptr_nonnull(strstr(err_message(), "--resume"));
    ck_assert_ptr_nonnull(strstr(err_message(), "sheet 2"));

    /* Another krets for the same batch is refused. */
    scan_batch_meta other = META;
    strcpy(other.krets, "0002");
    ck_assert_int_eq(scan_archive_open(&a, root, &other, 2,
                                       SCAN_ARCHIVE_RESUME, "test"),
                     TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "krets"));
    /* So is a simplex run of a duplex batch. */
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 1,
                                       SCAN_ARCHIVE_RESUME, "test"),
                     TELLE_EINVAL);

    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_RESUME,
                                       "test"), 0);
    ck_assert_int_eq(scan_archive_next_sheet(a), 2);
    size_t n = 0;
    scan_archive_records(a, &n);
    ck_assert_uint_eq(n, 2); /* sheet 2's lone front is voided */
    add_sheet(a, 2, 2);
    add_sheet(a, 3, 3);
    scan_archive_close(a);

    ck_assert_int_eq(scan_archive_open(&a, root, &META, 0, SCAN_ARCHIVE_READ,
                                       NULL), 0);
    const scan_archive_record *r = scan_archive_records(a, &n);
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(r[i].sheet, (int)i / 2 + 1);
        ck_assert_int_eq(r[i].side, (int)i % 2);
    }
    ck_assert_int_eq(scan_archive_sheets(a), 3);
    scan_archive_close(a);
    /* Resuming a batch that was never started is refused. */
    scan_batch_meta none = META;
    strcpy(none.batch, "nope");
    ck_assert_int_eq(scan_archive_open(&a, root, &none, 2,
                                       SCAN_ARCHIVE_RESUME, "test"),
                     TELLE_ESTATE);
    tu_rmtree(root);
    free(root);
}
END_TEST

START_TEST(double_feed_and_size_checks)
{
    char *root = tu_tmpdir("scan");
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_CREATE,
                                       "test"), 0);
    add_sheet(a, 1, 1);
    size_t n0 = 0;
    scan_archive_records(a, &n0);

    img *longp = NULL, *narrow = NULL;
    ck_assert_int_eq(img_new(&longp, SCAN_TU_PAGE_W, SCAN_TU_PAGE_H * 2, 1, 1), 0);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 2, 0, longp),
                     TELLE_EDOUBLE_FEED);
    ck_assert_ptr_nonnull(strstr(err_message(), "re-feed from sheet 2"));
    ck_assert_int_eq(img_new(&narrow, SCAN_TU_PAGE_W / 2, SCAN_TU_PAGE_H, 1, 1), 0);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 2, 0, narrow),
                     TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "unexpected size"));
    img_free(longp);
    img_free(narrow);

    /* Sheet 2 delivered as an exact copy of sheet 1: refused at its back. */
    img *f = scan_tu_page_new(1, 0), *b = scan_tu_page_new(1, 1);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 2, 0, f), 0);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 2, 1, b),
                     TELLE_EDOUBLE_FEED);
    ck_assert_ptr_nonnull(strstr(err_message(), "same as sheet 1"));
    img_free(f);
    img_free(b);
    size_t n1 = 0;
    scan_archive_records(a, &n1);
    ck_assert_uint_eq(n1, n0 + 1); /* only the front got in */
    /* The same front with a different back is a real sheet (two blank
     * ballots may share a side). */
    img *b2 = scan_tu_page_new(2, 1);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 2, 1, b2), 0);
    img_free(b2);
    ck_assert_int_eq(scan_archive_sheets(a), 2);
    /* A back that is its own front again: the same image twice. */
    img *f3 = scan_tu_page_new(3, 0);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 3, 0, f3), 0);
    ck_assert_int_eq(scan_archive_page_add(NULL, a, 3, 1, f3),
                     TELLE_EDOUBLE_FEED);
    ck_assert_ptr_nonnull(strstr(err_message(), "page before it"));
    img_free(f3);
    scan_archive_close(a);
    tu_rmtree(root);
    free(root);
}
END_TEST

START_TEST(verify_finds_a_changed_file)
{
    char *root = tu_tmpdir("scan");
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &META, 2, SCAN_ARCHIVE_CREATE,
                                       "test"), 0);
    add_sheet(a, 1, 1);
    scan_archive_record rec;
    img *p = scan_tu_page_new(2, 0);
    ck_assert_int_eq(scan_archive_page_add(&rec, a, 2, 0, p), 0);
    char want[HASH_HEX_LEN + 1];
    hash_sha256_pixels(want, p);
    ck_assert_str_eq(rec.pixels_sha256, want);
    img_free(p);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", scan_archive_dir(a), rec.file);
    char fh[HASH_HEX_LEN + 1];
    ck_assert_int_eq(hash_sha256_file(fh, path), 0);
    ck_assert_str_eq(rec.file_sha256, fh);
    ck_assert_int_eq(scan_archive_verify(NULL, a, true), 0);
    FILE *f = fopen(path, "ab");
    fputc('x', f);
    fclose(f);
    ck_assert_int_eq(scan_archive_verify(NULL, a, false), TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), rec.file));
    scan_archive_close(a);
    tu_rmtree(root);
    free(root);
}
END_TEST

START_TEST(label_text_parsed_and_checked)
{
    scan_batch_meta m;
    ck_assert_int_eq(scan_label_parse(&m, "TELLE;election=KS;krets=0001;"
                                          "category=VO;batch=0001-VO-01"), 0);
    ck_assert_str_eq(m.election, "KS");
    ck_assert_str_eq(m.krets, "0001");
    ck_assert_str_eq(m.category, "VO");
    ck_assert_str_eq(m.batch, "0001-VO-01");
    ck_assert_int_eq(scan_label_parse(&m, "TELLE;batch=x;krets=1;"
                                          "election=FT;category=VB"), 0);
    ck_assert_int_eq(scan_label_parse(&m, "TELLE;election=KS;krets=0001;"
                                          "category=XX;batch=b"),
                     TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "XX"));
    ck_assert_int_eq(scan_label_parse(&m, "TELLE;election=KS;krets=0001;"
                                          "category=VO"), TELLE_EFORMAT);
    ck_assert_int_eq(scan_label_parse(&m, "TELLE;election=KS;krets=../x;"
                                          "category=VO;batch=b"),
                     TELLE_EFORMAT);
    ck_assert_int_eq(scan_label_parse(&m, "HELLO;election=KS"),
                     TELLE_EFORMAT);
    /* A page without a barcode has no label; a ballot page is not one. */
    img *p = scan_tu_page_new(5, 0);
    bool found = true;
    ck_assert_int_eq(scan_label_read(&m, &found, p), 0);
    ck_assert(!found);
    img_free(p);
}
END_TEST

START_TEST(import_twice_adds_nothing)
{
    char *dir = tu_tmpdir("scan");
    char tif[1100], png1[1100], png2[1100], root[1100], err[4096];
    snprintf(tif, sizeof tif, "%s/batch.tif", dir);
    snprintf(png1, sizeof png1, "%s/s11-a.png", dir);
    snprintf(png2, sizeof png2, "%s/s11-b.png", dir);
    snprintf(root, sizeof root, "%s/archive", dir);
    ck_assert_int_eq(scan_tu_write_set(tif, 1, 10, NULL), 0);
    img *p = scan_tu_page_new(11, 0);
    ck_assert_int_eq(iio_png_write(png1, p), 0);
    img_free(p);
    p = scan_tu_page_new(11, 1);
    ck_assert_int_eq(iio_png_write(png2, p), 0);
    img_free(p);

    const char *argv[] = {"import", "--duplex", "--archive", root,
                          "--election", "KS", "--krets", "0001", "--category",
                          "VO", "--batch", "imp", tif, png1, png2, NULL};
    int rc = scan_tu_run_telle(argv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "11 sheets added"));
    char jp[1200], h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];
    snprintf(jp, sizeof jp, "%s/imp/journal.jsonl", root);
    ck_assert_int_eq(hash_sha256_file(h1, jp), 0);

    rc = scan_tu_run_telle(argv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "0 sheets added, 11 already"));
    ck_assert_int_eq(hash_sha256_file(h2, jp), 0);
    ck_assert_str_eq(h1, h2); /* not one byte added */

    /* The folder (a scanner that writes files) is the same pages: into a
     * new batch all 11 sheets, into this one nothing. */
    const char *fargv[] = {"import", "--duplex", "--archive", root,
                           "--election", "KS", "--krets", "0001",
                           "--category", "VO", "--batch", "imp2", dir, NULL};
    rc = scan_tu_run_telle(fargv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0 && strstr(err, "11 sheets added"), "%s", err);
    fargv[11] = "imp";
    rc = scan_tu_run_telle(fargv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0 && strstr(err, "0 sheets added"), "%s", err);
    ck_assert_int_eq(hash_sha256_file(h2, jp), 0);
    ck_assert_str_eq(h1, h2);

    /* The same checks as scanning: a page twice as long is a double feed,
     * and nothing of that file is taken. */
    img *longp = NULL;
    ck_assert_int_eq(img_new(&longp, SCAN_TU_PAGE_W, SCAN_TU_PAGE_H * 2, 1, 1), 0);
    snprintf(png1, sizeof png1, "%s/long.png", dir);
    ck_assert_int_eq(iio_png_write(png1, longp), 0);
    img_free(longp);
    argv[12] = png1;
    argv[13] = png2;
    argv[14] = NULL;
    rc = scan_tu_run_telle(argv, NULL, err, sizeof err);
    ck_assert_msg(rc == 1 && strstr(err, "DOUBLE_FEED"), "%s", err);

    scan_batch_meta m = {"KS", "0001", "VO", "imp"};
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, root, &m, 0, SCAN_ARCHIVE_READ,
                                       NULL), 0);
    ck_assert_int_eq(scan_archive_sheets(a), 11);
    ck_assert_int_eq(scan_archive_verify(NULL, a, true), 0);
    scan_archive_close(a);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scanner_archive");
    TCase *tc = tcase_create("archive");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, torn_line_dropped_and_leftovers_cleaned);
    tcase_add_test(tc, corrupt_middle_line_is_an_error);
    tcase_add_test(tc, create_refuses_existing_and_resume_refeeds_incomplete_sheet);
    tcase_add_test(tc, double_feed_and_size_checks);
    tcase_add_test(tc, verify_finds_a_changed_file);
    tcase_add_test(tc, label_text_parsed_and_checked);
    tcase_add_test(tc, import_twice_adds_nothing);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
