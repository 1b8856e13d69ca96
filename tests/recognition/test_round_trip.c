/* test_round_trip.c - `telle interpret` on whole batches of simulated scans
 * against their truth, counted as ../shared/devset/score.py counts:
 *   critical: a sheet that must go to a person did not;
 *   wrong:    approved or blank when the truth allows neither, or approved
 *             with another list or other personal votes;
 *   missing:  a truth sheet without a record, or a record without one.
 * The bundled sample batches (samples/batches, made by our own simulator)
 * always run; the devset (../shared/devset, another generator) runs when it
 * is present beside the project. Also checks that the records are the same
 * byte for byte with one and with two threads. */
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *run_interpret(const char *package, const char *batches_glob, int threads)
{
    char *dir = tu_tmpdir("rt"), *log = NULL;
    int rc = tu_telle(&log, NULL, NULL,
                      "interpret --package '%s' --threads %d --out '%s/r.jsonl' %s", package,
                      threads, dir, batches_glob);
    ck_assert_msg(rc == 0, "telle interpret failed (exit %d): %s", rc, log);
    char *text = tu_file_read(NULL, "%s/r.jsonl", dir);
    free(log);
    ck_assert_int_eq(tu_rmtree(dir), 0);
    free(dir);
    return text;
}

/* "dir/0001-VO-01.tif#3" -> "0001-VO-01.tif#3" */
static const char *tail(const char *sheet)
{
    const char *s = strrchr(sheet, '/');
    return s ? s + 1 : sheet;
}

static bool int_arrays_equal(json_t *a, json_t *b)
{
    if (json_array_size(a) != json_array_size(b))
        return false;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (json_integer_value(json_array_get(a, i)) != json_integer_value(json_array_get(b, i)))
            return false;
    return true;
}

static bool in_array(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

static void score(const char *records, const char *truth_path, int *critical, int *wrong,
                  int *missing)
{
    *critical = *wrong = *missing = 0;
    json_t *recs = json_object();
    int n_recs = 0;
    for (const char *line = records; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_error_t je;
        json_t *r = json_loadb(line, len, 0, &je);
        ck_assert_msg(r != NULL, "a record line is not JSON: %s", je.text);
        json_object_set_new(recs, tail(json_string_value(json_object_get(r, "sheet"))), r);
        n_recs++;
        line = end ? end + 1 : line + len;
    }
    FILE *f = fopen(truth_path, "r");
    ck_assert_ptr_nonnull(f);
    char buf[1 << 16];
    int n_truth = 0;
    while (fgets(buf, sizeof buf, f)) {
        json_error_t je;
        json_t *t = json_loads(buf, 0, &je);
        if (!t)
            continue;
        n_truth++;
        const char *sheet = json_string_value(json_object_get(t, "sheet"));
        json_t *r = json_object_get(recs, tail(sheet));
        if (!r) {
            (*missing)++;
            fprintf(stderr, "missing record for %s\n", sheet);
            json_decref(t);
            continue;
        }
        const char *out = json_string_value(json_object_get(r, "outcome"));
        json_t *must = json_object_get(t, "must_review");
        if (json_array_size(must) > 0) {
            if (strcmp(out, "review") != 0) {
                (*critical)++;
                fprintf(stderr, "CRITICAL %s: must review, record says %s\n", sheet, out);
            }
        } else if (strcmp(out, "review") != 0) {
            json_t *acc = json_object_get(t, "acceptable");
            bool bad = !in_array(acc, out);
            if (!bad && strcmp(out, "approved") == 0) {
                json_t *tl = json_object_get(t, "list"), *rl = json_object_get(r, "list");
                bad = !json_equal(tl, rl) ||
                      !int_arrays_equal(json_object_get(t, "personal_votes"),
                                        json_object_get(r, "personal_votes"));
            }
            if (bad) {
                (*wrong)++;
                fprintf(stderr, "WRONG %s: %s\n", sheet, out);
            }
        }
        json_decref(t);
    }
    fclose(f);
    *missing += n_recs - (n_truth - *missing) > 0 ? n_recs - (n_truth - *missing) : 0;
    json_decref(recs);
}

static void round_trip(const char *package, const char *batches, const char *truth)
{
    char *one = run_interpret(package, batches, 1);
    int critical, wrong, missing;
    score(one, truth, &critical, &wrong, &missing);
    printf("%s: critical=%d wrong=%d missing=%d\n", truth, critical, wrong, missing);
    ck_assert_int_eq(missing, 0);
    ck_assert_int_eq(critical, 0);
    ck_assert_int_eq(wrong, 0);
    char *two = run_interpret(package, batches, 2);
    ck_assert_msg(strcmp(one, two) == 0, "records differ between 1 and 2 threads");
    free(one);
    free(two);
}

START_TEST(sample_batches_against_their_truth)
{
    char package[4096], batches[4096], truth[4096];
    const char *src = tu_env("TELLE_SOURCE_DIR");
    snprintf(package, sizeof package, "%s/samples/package", src);
    snprintf(batches, sizeof batches, "'%s/samples/batches/'*.tif", src);
    snprintf(truth, sizeof truth, "%s/samples/batches/truth.jsonl", src);
    round_trip(package, batches, truth);
}
END_TEST

START_TEST(devset_against_its_truth)
{
    char package[4096], batches[4096], truth[4096];
    const char *src = tu_env("TELLE_SOURCE_DIR");
    snprintf(truth, sizeof truth, "%s/../shared/devset/truth.jsonl", src);
    struct stat st;
    if (stat(truth, &st) != 0) {
        printf("no ../shared/devset beside the project: devset round trip not run\n");
        return;
    }
    snprintf(package, sizeof package, "%s/../shared/devset/package", src);
    snprintf(batches, sizeof batches, "'%s/../shared/devset/batches/'*.tif", src);
    round_trip(package, batches, truth);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("round_trip");
    TCase *tc = tcase_create("batches");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, sample_batches_against_their_truth);
    tcase_add_test(tc, devset_against_its_truth);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
