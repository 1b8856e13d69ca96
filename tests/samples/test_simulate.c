/* test_simulate.c - the scan simulator: deterministic from its seed, a
 * truth that names what was drawn where, a label barcode that zbar reads,
 * and a Code 128 encoder that follows the symbology's table. */
#include "core/error.h"
#include "core/image_io.h"
#include "samples/code128.h"
#include "samples/render.h"
#include "samples/simulate.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zbar.h>

static char *tmp_dir;
static char pkg_dir[1100];

static void sim_setup(void)
{
    snprintf(pkg_dir, sizeof pkg_dir, "%s/samples/package",
             tu_env("TELLE_SOURCE_DIR"));
    tmp_dir = tu_tmpdir("test-sim");
}

static void sim_teardown(void)
{
    ck_assert_int_eq(tu_rmtree(tmp_dir), 0);
    free(tmp_dir);
}

static void simulate(const char *sub, int sheets, uint64_t seed,
                     smp_sim_opts *o)
{
    char out[400];
    snprintf(out, sizeof out, "%s/%s", tmp_dir, sub);
    o->sheets = sheets;
    o->seed = seed;
    int n = 0;
    int rc = smp_simulate(pkg_dir, out, o, &n);
    ck_assert_msg(rc == 0, "simulate: %s", err_message());
    ck_assert_int_eq(n, sheets * o->batches);
}

static int same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *x = tu_file_read(&la, "%s", a), *y = tu_file_read(&lb, "%s", b);
    int same = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

START_TEST(same_seed_gives_the_same_bytes)
{
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    simulate("a", 2, 42, &o);
    simulate("b", 2, 42, &o);
    simulate("c", 2, 43, &o);
    char a[600], b[600], c[600];
    snprintf(a, sizeof a, "%s/a/0001-VO-01.tif", tmp_dir);
    snprintf(b, sizeof b, "%s/b/0001-VO-01.tif", tmp_dir);
    snprintf(c, sizeof c, "%s/c/0001-VO-01.tif", tmp_dir);
    ck_assert(same_file(a, b));
    ck_assert(!same_file(a, c));
    snprintf(a, sizeof a, "%s/a/truth.jsonl", tmp_dir);
    snprintf(b, sizeof b, "%s/b/truth.jsonl", tmp_dir);
    snprintf(c, sizeof c, "%s/c/truth.jsonl", tmp_dir);
    ck_assert(same_file(a, b));
    ck_assert(!same_file(a, c));
}
END_TEST

/* Is there ink within r mm of (x, y) on a 1-bit page? */
static int ink_near(const img *im, double x_mm, double y_mm, double r_mm)
{
    double px = img_dpi_x(im) / 25.4;
    int u0 = (int)((x_mm - r_mm) * px), u1 = (int)((x_mm + r_mm) * px);
    int v0 = (int)((y_mm - r_mm) * px), v1 = (int)((y_mm + r_mm) * px);
    for (int v = v0; v <= v1; v++) {
        if (v < 0 || v >= img_height(im))
            continue;
        const uint8_t *row = img_row(im, v);
        for (int u = u0; u <= u1; u++)
            if (u >= 0 && u < img_width(im) && (row[u >> 3] & (0x80 >> (u & 7))))
                return 1;
    }
    return 0;
}

static void apply(const json_t *aff, double x, double y, double *sx,
                  double *sy)
{
    const json_t *r0 = json_array_get(aff, 0), *r1 = json_array_get(aff, 1);
    *sx = json_number_value(json_array_get(r0, 0)) * x +
          json_number_value(json_array_get(r0, 1)) * y +
          json_number_value(json_array_get(r0, 2));
    *sy = json_number_value(json_array_get(r1, 0)) * x +
          json_number_value(json_array_get(r1, 1)) * y +
          json_number_value(json_array_get(r1, 2));
}


/* The rectangle [x0, y0] - [x1, y1] of the reference, mapped by the page's
 * affine, lies inside the scanned image: for the registration marks'
 * span, no mark is cut off; for the whole page, no corner is. */
static void assert_inside(const img *im, const json_t *aff, double x0,
                          double y0, double x1, double y1)
{
    double w_mm = img_width(im) * 25.4 / img_dpi_x(im);
    double h_mm = img_height(im) * 25.4 / img_dpi_y(im);
    const double xs[2] = {x0, x1}, ys[2] = {y0, y1};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double sx, sy;
            apply(aff, xs[i], ys[j], &sx, &sy);
            ck_assert_msg(sx >= 0 && sy >= 0 && sx <= w_mm && sy <= h_mm,
                          "(%g, %g) maps to (%g, %g) outside the %g x %g mm "
                          "scan", xs[i], ys[j], sx, sy, w_mm, h_mm);
        }
}

START_TEST(truth_names_the_sheets_pages_and_ink)
{
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    o.batches = 2;
    /* every sheet a voter with personal votes, so marks are checked */
    o.voter.p_personal_votes = 1.0;
    o.voter.p_blank_style = 0;
    o.voter.p_all_lists_style = 0;
    o.voter.p_wrong_election = 0;
    o.voter.p_outside = 1.0;
    simulate("t", 3, 7, &o);
    char path[600];
    snprintf(path, sizeof path, "%s/t/truth.jsonl", tmp_dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[65536];
    int n = 0, marks_checked = 0, writing_checked = 0;
    iio_reader *rd = NULL;
    char cur[64] = "";
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *t = json_loads(line, 0, &je);
        ck_assert_msg(t != NULL, "truth line %d: %s", n + 1, je.text);
        int batch = n / 3 + 1, idx = n % 3 + 1;
        char want[96], file[64];
        snprintf(file, sizeof file, "0001-VO-%02d.tif", batch);
        snprintf(want, sizeof want, "%s#%d", file, idx);
        ck_assert_str_eq(json_string_value(json_object_get(t, "sheet")), want);
        static const char *KEYS[] = {
            "sheet", "batch", "election", "style", "list", "kind",
            "expected", "must_review", "acceptable", "personal_votes",
            "marginal_boxes", "write_ins_in_field", "writing_outside",
            "stamp", "cases", "pages"};
        for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++)
            ck_assert_msg(json_object_get(t, KEYS[k]) != NULL, "no %s",
                          KEYS[k]);
        const char *exp = json_string_value(json_object_get(t, "expected"));
        int must = (int)json_array_size(json_object_get(t, "must_review"));
        ck_assert_int_eq(strcmp(exp, "review") == 0, must > 0);
        ck_assert_str_eq(json_string_value(json_object_get(t, "election")),
                         "KS");
        /* the label sheet takes pages 1-2, then two pages per sheet */
        json_t *pages = json_object_get(t, "pages");
        ck_assert_int_eq(json_array_size(pages), 2);
        json_t *p0 = json_array_get(pages, 0);
        ck_assert_int_eq(json_integer_value(json_object_get(p0, "page")),
                         2 * idx + 1);
        if (strcmp(cur, file) != 0) {
            iio_reader_close(rd);
            char tif[700];
            snprintf(tif, sizeof tif, "%s/t/%s", tmp_dir, file);
            ck_assert_int_eq(iio_reader_open(&rd, tif), 0);
            ck_assert_int_eq(iio_reader_page_count(rd), 2 + 2 * 3);
            snprintf(cur, sizeof cur, "%s", file);
        }
        /* every clear mark's centre, mapped by the page's affine, is ink */
        int pv = (int)json_array_size(json_object_get(t, "personal_votes"));
        json_t *marks = json_object_get(t, "marks");
        ck_assert_int_ge((int)json_array_size(marks), pv);
        for (size_t i = 0; i < json_array_size(pages); i++) {
            json_t *pg = json_array_get(pages, i);
            const char *side = json_string_value(json_object_get(pg, "side"));
            img *im = NULL;
            ck_assert_int_eq(iio_reader_read(&im, rd,
                (int)json_integer_value(json_object_get(pg, "page"))), 0);
            /* every piece of writing outside the fields is ink on its side */
            json_t *wo = json_object_get(t, "writing_outside");
            for (size_t k = 0; k < json_array_size(wo); k++) {
                json_t *w = json_array_get(wo, k);
                if (strcmp(json_string_value(json_object_get(w, "side")),
                           side) != 0)
                    continue;
                json_t *bb = json_object_get(w, "bbox_mm");
                double x = json_number_value(json_array_get(bb, 0));
                double y = json_number_value(json_array_get(bb, 1));
                double bw = json_number_value(json_array_get(bb, 2));
                double bh = json_number_value(json_array_get(bb, 3));
                int hit = 0;
                for (double u = x; u <= x + bw && !hit; u += 0.3) {
                    double sx, sy;
                    apply(json_object_get(pg, "affine_mm"), u, y + bh / 2,
                          &sx, &sy);
                    hit = ink_near(im, sx, sy, bh / 2);
                }
                ck_assert_msg(hit, "%s: no ink at writing %zu", want, k);
                writing_checked++;
            }
            if (strcmp(side, "inside") != 0) {
                img_free(im);
                continue;
            }
            ck_assert_int_eq(img_depth(im), 1);
            ck_assert(fabs(img_dpi_x(im) - 200) < 0.01);
            /* a scan of 305 x 220 mm, as the devset's */
            ck_assert_int_eq(img_width(im), 2402);
            ck_assert_int_eq(img_height(im), 1732);
            assert_inside(im, json_object_get(pg, "affine_mm"), 8, 8, 289,
                          202);
            for (size_t m = 0; m < json_array_size(marks); m++) {
                json_t *mk = json_array_get(marks, m);
                if (strcmp(json_string_value(json_object_get(mk, "clarity")),
                           "clear") != 0)
                    continue;
                json_t *bb = json_object_get(mk, "bbox_mm");
                double cx = json_number_value(json_array_get(bb, 0)) +
                            json_number_value(json_array_get(bb, 2)) / 2;
                double cy = json_number_value(json_array_get(bb, 1)) +
                            json_number_value(json_array_get(bb, 3)) / 2;
                double sx, sy;
                apply(json_object_get(pg, "affine_mm"), cx, cy, &sx, &sy);
                ck_assert_msg(ink_near(im, sx, sy, 0.6),
                              "%s: no ink at mark %zu", want, m);
                marks_checked++;
            }
            img_free(im);
        }
        json_decref(t);
        n++;
    }
    fclose(f);
    iio_reader_close(rd);
    ck_assert_int_eq(n, 6);
    ck_assert_int_gt(marks_checked, 0);
    ck_assert_int_ge(writing_checked, 6);
}
END_TEST

START_TEST(label_barcode_decodes_with_zbar)
{
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    simulate("l", 0, 3, &o);
    char tif[600];
    snprintf(tif, sizeof tif, "%s/l/0001-VO-01.tif", tmp_dir);
    iio_reader *rd = NULL;
    ck_assert_int_eq(iio_reader_open(&rd, tif), 0);
    img *bw = NULL, *g = NULL;
    ck_assert_int_eq(iio_reader_read(&bw, rd, 1), 0);
    ck_assert_int_eq(img_to_gray(&g, bw), 0);
    int w = img_width(g), h = img_height(g);
    unsigned char *buf = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        memcpy(buf + (size_t)y * w, img_row(g, y), (size_t)w);
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_CODE128, ZBAR_CFG_ENABLE, 1);
    zbar_image_t *zi = zbar_image_create();
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)w, (unsigned)h);
    zbar_image_set_data(zi, buf, (unsigned long)w * h, NULL);
    ck_assert_int_gt(zbar_scan_image(sc, zi), 0);
    const zbar_symbol_t *sym = zbar_image_first_symbol(zi);
    ck_assert_ptr_nonnull(sym);
    char want[256];
    smp_label_text(want, sizeof want, "KS", "0001", "VO", "0001-VO-01");
    ck_assert_str_eq(zbar_symbol_get_data(sym), want);
    zbar_image_destroy(zi);
    zbar_image_scanner_destroy(sc);
    free(buf);
    img_free(g);
    img_free(bw);
    iio_reader_close(rd);
}
END_TEST

START_TEST(code128_symbols_have_eleven_modules_and_a_check)
{
    unsigned char w[200];
    int n = 0;
    ck_assert_int_eq(smp_code128_modules(w, sizeof w, &n, "AB"), 0);
    /* start, A, B, check, stop (7 elements) */
    ck_assert_int_eq(n, 6 * 4 + 7);
    for (int s = 0; s < 4; s++) {
        int sum = 0;
        for (int k = 0; k < 6; k++)
            sum += w[6 * s + k];
        ck_assert_int_eq(sum, 11);
    }
    /* check = (104 + 33*1 + 34*2) % 103 = 102: "411131" */
    static const unsigned char c102[6] = {4, 1, 1, 1, 3, 1};
    ck_assert_int_eq(memcmp(w + 18, c102, 6), 0);
    ck_assert_int_eq(smp_code128_modules(w, sizeof w, &n, "\xc3\xa6"),
                     TELLE_EINVAL);
}
END_TEST

START_TEST(gray_and_rgb_formats)
{
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    o.format = SMP_SCAN_GRAY;
    o.label = false;
    simulate("g", 1, 9, &o);
    o.format = SMP_SCAN_RGB;
    o.fit_canvas = true;
    simulate("r", 1, 9, &o);
    char tif[600];
    iio_reader *rd = NULL;
    img *im = NULL;
    snprintf(tif, sizeof tif, "%s/g/0001-VO-01.tif", tmp_dir);
    ck_assert_int_eq(iio_reader_open(&rd, tif), 0);
    ck_assert_int_eq(iio_reader_page_count(rd), 2);
    ck_assert_int_eq(iio_reader_read(&im, rd, 1), 0);
    ck_assert_int_eq(img_channels(im), 1);
    ck_assert_int_eq(img_depth(im), 8);
    ck_assert(fabs(img_dpi_x(im) - 200) < 0.01);
    img_free(im);
    iio_reader_close(rd);
    snprintf(tif, sizeof tif, "%s/r/0001-VO-01.tif", tmp_dir);
    ck_assert_int_eq(iio_reader_open(&rd, tif), 0);
    ck_assert_int_eq(iio_reader_read(&im, rd, 2), 0);
    ck_assert_int_eq(img_channels(im), 3);
    /* fit_canvas: the whole sheet, corners included, is on the scan */
    {
        char tp[600], line[65536];
        snprintf(tp, sizeof tp, "%s/r/truth.jsonl", tmp_dir);
        FILE *tf = fopen(tp, "r");
        ck_assert_ptr_nonnull(tf);
        ck_assert_ptr_nonnull(fgets(line, sizeof line, tf));
        fclose(tf);
        json_t *t = json_loads(line, 0, NULL);
        json_t *pg = json_array_get(json_object_get(t, "pages"), 1);
        assert_inside(im, json_object_get(pg, "affine_mm"), 0, 0, 297, 210);
        json_decref(t);
    }
    ck_assert(fabs(img_dpi_x(im) - 300) < 0.01);
    ck_assert_int_gt(img_width(im), (int)(297.0 * 300 / 25.4));
    img_free(im);
    iio_reader_close(rd);
}
END_TEST


START_TEST(write_ins_on_the_outside_of_a_two_fold_ballot)
{
    /* 71 seats: two folds, and the write-in table on the outside */
    char lists[400], pk[400];
    snprintf(lists, sizeof lists, "%s/ko.json", tmp_dir);
    snprintf(pk, sizeof pk, "%s/ko", tmp_dir);
    FILE *f = fopen(lists, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"event\":\"T\",\"area\":{\"code\":\"0098\","
               "\"name\":\"Storby\"},\"elections\":[{\"id\":\"KO\","
               "\"type\":\"kommunestyrevalg\",\"name\":\"Valg\","
               "\"seats\":71,\"first_divisor\":1.4,\"lists\":[");
    for (int l = 0; l < 2; l++) {
        fprintf(f, "%s{\"code\":\"%c\",\"name\":\"Liste %c\","
                   "\"candidates\":[", l ? "," : "", 'A' + l, 'A' + l);
        for (int i = 1; i <= 70; i++)
            fprintf(f, "%s{\"no\":%d,\"name\":\"Per Hansen%d\"}",
                    i > 1 ? "," : "", i, i);
        fprintf(f, "]}");
    }
    fprintf(f, "]}]}");
    fclose(f);
    smp_render_opts ro = SMP_RENDER_OPTS_INIT;
    ro.write_pdf = false;
    ck_assert_msg(smp_package_render(lists, pk, &ro, NULL) == 0, "%s",
                  err_message());
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    o.label = false;
    o.voter.p_write_in = 1.0;
    o.voter.p_too_many = 0;
    o.voter.p_blank_style = 0;
    o.voter.p_all_lists_style = 0;
    o.sheets = 2;
    o.seed = 11;
    char out[500];
    snprintf(out, sizeof out, "%s/kosim", tmp_dir);
    int n = 0;
    ck_assert_msg(smp_simulate(pk, out, &o, &n) == 0, "%s", err_message());
    ck_assert_int_eq(n, 2);
    char path[700];
    snprintf(path, sizeof path, "%s/truth.jsonl", out);
    snprintf(out + strlen(out), sizeof out - strlen(out), "/0001-VO-01.tif");
    iio_reader *rd = NULL;
    ck_assert_int_eq(iio_reader_open(&rd, out), 0);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[65536];
    int entries = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *t = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(t);
        json_t *wi = json_object_get(t, "write_ins_in_field");
        ck_assert_int_gt((int)json_array_size(wi), 0);
        json_t *pages = json_object_get(t, "pages");
        for (size_t i = 0; i < 2; i++) {
            json_t *pg = json_array_get(pages, i);
            if (strcmp(json_string_value(json_object_get(pg, "side")),
                       "outside") != 0)
                continue;
            img *im = NULL;
            ck_assert_int_eq(iio_reader_read(&im, rd,
                (int)json_integer_value(json_object_get(pg, "page"))), 0);
            assert_inside(im, json_object_get(pg, "affine_mm"), 8, 8, 437.5,
                          202);
            for (size_t k = 0; k < json_array_size(wi); k++) {
                json_t *bb = json_object_get(json_array_get(wi, k), "bbox_mm");
                double x = json_number_value(json_array_get(bb, 0));
                double y = json_number_value(json_array_get(bb, 1));
                double w = json_number_value(json_array_get(bb, 2));
                double h = json_number_value(json_array_get(bb, 3));
                /* the table is on the middle panel */
                ck_assert(x > 148.5 && x + w < 297.0);
                int hit = 0;
                for (double u = x; u <= x + w && !hit; u += 0.5) {
                    double sx, sy;
                    apply(json_object_get(pg, "affine_mm"), u, y + h / 2, &sx,
                          &sy);
                    hit = ink_near(im, sx, sy, 0.5);
                }
                ck_assert_msg(hit, "no ink along write-in %zu", k);
                entries++;
            }
            img_free(im);
        }
        json_decref(t);
    }
    fclose(f);
    iio_reader_close(rd);
    ck_assert_int_gt(entries, 0);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("samples_simulate");
    TCase *tc = tcase_create("simulate");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, same_seed_gives_the_same_bytes);
    tcase_add_test(tc, truth_names_the_sheets_pages_and_ink);
    tcase_add_test(tc, label_barcode_decodes_with_zbar);
    tcase_add_test(tc, code128_symbols_have_eleven_modules_and_a_check);
    tcase_add_test(tc, gray_and_rgb_formats);
    tcase_add_test(tc, write_ins_on_the_outside_of_a_two_fold_ballot);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(sim_suite());
}
