/* test_scan_recognise.c - `telle scan --package`: recognition on worker
 * threads while the feeder runs, through the real libsane dll loader and
 * the project's backend. The records it appends to BATCH/records.jsonl
 * must be byte for byte what `telle interpret --package` writes for the
 * archived page files in archive order, also after a jam, a torn last
 * record line, a kill -9 and --resume. */
#include "scan_testutil.h"

#include "scanner/archive.h"
#include "testutil.h"

#include <check.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

enum { SAMPLE_SHEETS = 16 };

static char g_src[2048], g_device[2300], g_package[2100];

static void setup_paths(void)
{
    snprintf(g_src, sizeof g_src, "%s", tu_env("TELLE_SOURCE_DIR"));
    snprintf(g_device, sizeof g_device,
             "telle:%s/samples/batches/0001-VO-01.tif", g_src);
    snprintf(g_package, sizeof g_package, "%s/samples/package", g_src);
    scan_tu_sane_env();
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* Runs `telle interpret --package` on the batch's valid page files in
 * journal order (label pages included) into OUT; returns its exit status. */
static int interpret_archive(const char *batch_dir, const char *out)
{
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open_dir(&a, batch_dir), 0);
    size_t n = 0;
    const scan_archive_record *r = scan_archive_records(a, &n);
    ck_assert_uint_eq(n, 2 * (SAMPLE_SHEETS + 1));
    const char **argv = calloc(n + 8, sizeof *argv);
    char (*paths)[2400] = calloc(n, sizeof *paths);
    ck_assert_ptr_nonnull(argv);
    ck_assert_ptr_nonnull(paths);
    int k = 0;
    argv[k++] = "interpret";
    argv[k++] = "--package";
    argv[k++] = g_package;
    argv[k++] = "--out";
    argv[k++] = out;
    for (size_t i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", batch_dir, r[i].file);
        argv[k++] = paths[i];
    }
    argv[k] = NULL;
    char err[4096];
    int rc = scan_tu_run_telle(argv, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "telle interpret: %s", err);
    free(paths);
    free(argv);
    scan_archive_close(a);
    return rc;
}

/* Checks records.jsonl of the batch against telle interpret and returns
 * its text (caller frees). */
/* The records with every archive page file number ("/p000013.tif") made
 * the same ("/p.tif"): what is left must not depend on where a kill -9
 * left an orphaned page. Edits text in place. */
static void without_page_numbers(char *text)
{
    char *w = text;
    for (const char *r = text; *r;) {
        if (r[0] == '/' && r[1] == 'p' && strncmp(r + 8, ".tif", 4) == 0 &&
            strspn(r + 2, "0123456789") == 6) {
            memcpy(w, "/p", 2);
            w += 2;
            r += 8;
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

static char *check_records(const char *dir)
{
    char batch_dir[2200], rec_path[2300], interp[2300];
    snprintf(batch_dir, sizeof batch_dir, "%s/archive/0001-VO-01", dir);
    snprintf(rec_path, sizeof rec_path, "%s/records.jsonl", batch_dir);
    snprintf(interp, sizeof interp, "%s/interpret.jsonl", dir);
    interpret_archive(batch_dir, interp);
    size_t nr = 0, ni = 0;
    char *rec = tu_file_read(&nr, "%s", rec_path);
    char *want = tu_file_read(&ni, "%s", interp);
    ck_assert_int_eq(count_lines(want), SAMPLE_SHEETS);
    ck_assert_msg(nr == ni && memcmp(rec, want, nr) == 0,
                  "records.jsonl (%zu bytes, %d lines) differs from telle "
                  "interpret (%zu bytes)", nr, count_lines(rec), ni);
    /* one line per ballot sheet, in order, none for the label sheet */
    char label[2400];
    snprintf(label, sizeof label, "\"sheet\":\"%s/p000001.tif#", batch_dir);
    ck_assert_ptr_null(strstr(rec, label));
    /* Each line names a page file of this batch and the sheet's index.
     * The file number is not assumed: after a kill -9 between a sheet's
     * two pages, the orphaned front page keeps its number and the re-fed
     * sheet gets later ones. */
    const char *p = rec;
    for (int s = 1; s <= SAMPLE_SHEETS; s++) {
        char prefix[2400], index[32];
        snprintf(prefix, sizeof prefix, "{\"sheet\":\"%s/p", batch_dir);
        snprintf(index, sizeof index, ".tif#%d\",", s);
        const char *end = strchr(p, '\n');
        ck_assert_msg(strncmp(p, prefix, strlen(prefix)) == 0,
                      "line %d does not start with %s", s, prefix);
        const char *at = strstr(p, index);
        ck_assert_msg(at && at < end && at - p < (ptrdiff_t)(strlen(prefix) + 16),
                      "line %d does not name sheet %d", s, s);
        p = end + 1;
    }
    free(want);
    return rec;
}

static void scan_into(const char *dir, const char *sane_opts, bool resume,
                      int want_rc, const char *threads)
{
    char archive[2200];
    snprintf(archive, sizeof archive, "%s/archive", dir);
    const char *label_args[] = {"scan", "--device", g_device, "--duplex",
                                "--label", "--archive", archive,
                                "--package", g_package, "--threads", threads,
                                NULL};
    /* the feeder after a jam holds the sheets from the jammed one on: no
     * label on top, so the batch is named on the command line */
    const char *resume_args[] = {"scan", "--device", g_device, "--duplex",
                                 "--election", "KS", "--krets", "0001",
                                 "--category", "VO", "--batch", "0001-VO-01",
                                 "--archive", archive, "--package",
                                 g_package, "--threads", threads,
                                 "--resume", NULL};
    char err[8192];
    int rc = scan_tu_run_telle(resume ? resume_args : label_args, sane_opts, err,
                               sizeof err);
    ck_assert_msg(rc == want_rc, "telle scan exit %d, wanted %d: %s", rc,
                  want_rc, err);
}

START_TEST(records_equal_interpret_also_after_jam_and_resume)
{
    setup_paths();
    char *dir = tu_tmpdir("scan");
    ck_assert_ptr_nonnull(dir);
    /* one uninterrupted run: its records are telle interpret's */
    scan_into(dir, NULL, false, 0, "1");
    char *clean = check_records(dir);
    char archive[2200], rec_path[2300];
    snprintf(archive, sizeof archive, "%s/archive", dir);
    snprintf(rec_path, sizeof rec_path, "%s/0001-VO-01/records.jsonl",
             archive);
    tu_rmtree(archive);

    /* backend sheet 7 is batch sheet 6 (the label is the first) */
    scan_into(dir, "jam=7", false, 1, "2");
    size_t n = 0;
    char *part = tu_file_read(&n, "%s", rec_path);
    ck_assert_int_eq(count_lines(part), 5);
    ck_assert_int_eq(memcmp(part, clean, n), 0);
    /* a run killed while appending sheet 5's record: cut the file inside
     * its last line (no newline) */
    char *last = part + n - 2;
    while (last > part && last[-1] != '\n')
        last--;
    FILE *f = fopen(rec_path, "wb");
    ck_assert_ptr_nonnull(f);
    size_t keep = (size_t)(last - part) + 40;
    ck_assert_uint_eq(fwrite(part, 1, keep, f), keep);
    fclose(f);
    free(part);

    scan_into(dir, "first=7", true, 0, "2");
    char *resumed = check_records(dir);
    ck_assert_msg(strcmp(resumed, clean) == 0, "records after the jam and resume differ");

    /* a second resume with an empty feeder reads nothing again */
    scan_into(dir, "first=18", true, 0, "2");
    char *again = tu_file_read(&n, "%s", rec_path);
    ck_assert_msg(strcmp(again, clean) == 0, "a second resume changed the records");

    /* kill -9 of a slow scan in the middle of the batch, judged by the
     * archive's own journal (one line a page): records lag behind by
     * however slow recognition is, and the kill may find none, some, or a
     * torn one; --resume from the sheet the archive names completes them. */
    tu_rmtree(archive);
    const char *argv[] = {"scan", "--device", g_device, "--duplex",
                          "--label", "--archive", archive, "--package",
                          g_package, "--threads", "1", NULL};
    int pid = scan_tu_spawn_telle(argv, "delay_ms=120");
    ck_assert_int_gt(pid, 0);
    char journal[2400];
    snprintf(journal, sizeof journal, "%s/0001-VO-01/journal.jsonl", archive);
    /* the moment varies from run to run: after the label and 1 to 13
     * sheets, between a sheet's pages or after both */
    int target_pages = 3 + (int)(time(NULL) % 25);
    for (int i = 0; i < 3000; i++) {
        size_t jn = 0;
        FILE *jf = fopen(journal, "rb");
        if (jf) {
            fclose(jf);
            char *jt = tu_file_read(&jn, "%s", journal);
            int lines = count_lines(jt);
            free(jt);
            if (lines >= target_pages)
                break;
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    ck_assert(WIFSIGNALED(st));
    scan_batch_meta m = {"KS", "0001", "VO", "0001-VO-01"};
    scan_archive *a = NULL;
    ck_assert_int_eq(scan_archive_open(&a, archive, &m, 0, SCAN_ARCHIVE_READ,
                                       NULL), 0);
    int next = scan_archive_next_sheet(a);
    scan_archive_close(a);
    ck_assert_int_lt(next, SAMPLE_SHEETS + 1);
    char opts[64];
    /* the backend counts the label as its sheet 1 */
    snprintf(opts, sizeof opts, "first=%d", next + 1);
    scan_into(dir, opts, true, 0, "2");
    /* The same sheets read the same way; only the page file numbers may
     * differ, when the kill fell between a sheet's two pages. */
    char *killed = check_records(dir);
    char *clean_n = strdup(clean);
    without_page_numbers(killed);
    without_page_numbers(clean_n);
    ck_assert_msg(strcmp(killed, clean_n) == 0,
                  "records after kill -9 and resume differ from the clean run");
    free(clean_n);
    free(killed);

    free(again);
    free(resumed);
    free(clean);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scanner_scan_recognise");
    TCase *tc = tcase_create("scan_recognise");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, records_equal_interpret_also_after_jam_and_resume);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
