/* test_damage.c - the simulator's damage kinds (telle simulate --damage):
 * each is drawn, named in the truth, lands where the truth says on the
 * scanned pages, and leaves must_review alone unless it is ink a person
 * must see. Recognition is not tested here (tests/samples/damage_bench.sh
 * measures it). */
#include "core/error.h"
#include "core/image_io.h"
#include "samples/simulate.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp_dir[256];
static char pkg_dir[1100];

static void dmg_setup(void)
{
    const char *s = getenv("TELLE_SOURCE_DIR");
    snprintf(pkg_dir, sizeof pkg_dir, "%s/samples/package", s ? s : ".");
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/telle-test-dmg-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void dmg_teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Simulates `sheets` ballots with the damage kinds of `list` drawn on every
 * sheet; returns the truth lines (caller frees). */
static json_t *simulate(const char *sub, int sheets, uint64_t seed,
                        const char *list)
{
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    char out[400], path[500];
    snprintf(out, sizeof out, "%s/%s", tmp_dir, sub);
    o.sheets = sheets;
    o.seed = seed;
    o.p_damage = 1.0;
    if (list)
        ck_assert_int_eq(smp_damage_parse(&o.damage, list), 0);
    int n = 0;
    ck_assert_msg(smp_simulate(pkg_dir, out, &o, &n) == 0, "simulate: %s",
                  err_message());
    ck_assert_int_eq(n, sheets);
    snprintf(path, sizeof path, "%s/truth.jsonl", out);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    json_t *all = json_array();
    char line[1 << 17];
    while (fgets(line, sizeof line, f)) {
        json_t *t = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(t);
        json_array_append_new(all, t);
    }
    fclose(f);
    ck_assert_int_eq((int)json_array_size(all), sheets);
    return all;
}

static int has_str(const json_t *arr, const char *s)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_array_get(arr, i)), s) == 0)
            return 1;
    return 0;
}

static img *page_of(const char *sub, int page)
{
    char path[500];
    snprintf(path, sizeof path, "%s/%s/0001-VO-01.tif", tmp_dir, sub);
    iio_reader *r = NULL;
    img *im = NULL;
    ck_assert_int_eq(iio_reader_open(&r, path), 0);
    ck_assert_int_eq(iio_reader_read(&im, r, page), 0);
    iio_reader_close(r);
    return im;
}

static int ink_at(const img *im, double x_mm, double y_mm)
{
    double px = img_dpi_x(im) / 25.4;
    int u = (int)(x_mm * px), v = (int)(y_mm * px);
    if (u < 0 || v < 0 || u >= img_width(im) || v >= img_height(im))
        return -1;
    return (img_row(im, v)[u >> 3] & (0x80 >> (u & 7))) != 0;
}

/* A point of the inside's paper frame (mm) on the scan of page pg of
 * truth t: mirrored for the outside, less the print offset, through the
 * page's affine (reference mm -> scan mm). */
static void paper_to_scan(const json_t *t, int pg, double x, double y,
                          double *sx, double *sy)
{
    const json_t *p = json_array_get(json_object_get(t, "pages"), pg);
    const char *side = json_string_value(json_object_get(p, "side"));
    const json_t *off = json_object_get(
        json_object_get(json_object_get(t, "scan"), "print_offset_mm"), side);
    if (strcmp(side, "outside") == 0)
        x = 297.0 - x;
    x -= json_number_value(json_array_get(off, 0));
    y -= json_number_value(json_array_get(off, 1));
    const json_t *a = json_object_get(p, "affine_mm");
    const json_t *r0 = json_array_get(a, 0), *r1 = json_array_get(a, 1);
    *sx = json_number_value(json_array_get(r0, 0)) * x +
          json_number_value(json_array_get(r0, 1)) * y +
          json_number_value(json_array_get(r0, 2));
    *sy = json_number_value(json_array_get(r1, 0)) * x +
          json_number_value(json_array_get(r1, 1)) * y +
          json_number_value(json_array_get(r1, 2));
}

static int page_no(const json_t *t, int i)
{
    return (int)json_integer_value(json_object_get(
        json_array_get(json_object_get(t, "pages"), i), "page"));
}

/* Scanner and paper damage on every sheet: each is named in the cases,
 * with its parameters in scan.damage; it is where the truth says on the
 * 1-bit pages (black backing: punch holes and the torn corner are black,
 * the streak is a line down the page, dust specks are ink); and the
 * voter's part of the truth is that of the same seed without damage. */
START_TEST(scanner_and_paper_damage_is_drawn_and_named)
{
    const char *kinds = "dust,hair,streak,stain,tear,punch,staple,noise,"
                        "tint,bleed,black_backing";
    json_t *d = simulate("d", 3, 7, kinds);
    json_t *c = simulate("c", 3, 7, NULL);
    static const char *K[] = {"dust",  "hair", "streak", "stain",
                              "tear",  "punch", "staple", "noise",
                              "tint",  "bleed", "black_backing"};
    int seen[11] = {0};
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *t = json_array_get(d, i), *u = json_array_get(c, i);
        const json_t *cases = json_object_get(t, "cases");
        const json_t *scan = json_object_get(t, "scan");
        const json_t *dm = json_object_get(scan, "damage");
        ck_assert_ptr_nonnull(dm);
        ck_assert_str_eq(json_string_value(json_object_get(scan, "backing")),
                         "black");
        for (int k = 0; k < 11; k++) {
            char tag[48];
            snprintf(tag, sizeof tag, "damage_%s", K[k]);
            int in = has_str(cases, tag);
            ck_assert_int_eq(in, json_object_get(dm, K[k]) != NULL);
            seen[k] += in;
        }
        /* nothing a person must see: the voter's truth is unchanged */
        static const char *SAME[] = {"style", "expected", "must_review",
                                     "personal_votes", "write_ins_in_field",
                                     "writing_outside", "stamp"};
        for (int k = 0; k < 7; k++)
            ck_assert_msg(json_equal(json_object_get(t, SAME[k]),
                                     json_object_get(u, SAME[k])),
                          "sheet %zu: %s changed by damage", i + 1, SAME[k]);
        const json_t *st = json_object_get(dm, "streak");
        int crosses = st && json_array_size(json_object_get(st, "crosses"));
        /* a speck that fell in a vote box names it: a dot to the eye */
        int in_box = 0;
        const char *key;
        json_t *val;
        json_object_foreach(json_object_get(dm, "dust"), key, val)
            for (size_t k = 0; k < json_array_size(val); k++)
                in_box |= json_array_size(json_array_get(val, k)) == 4;
        ck_assert_int_eq(has_str(json_object_get(t, "acceptable"), "review"),
                         has_str(json_object_get(u, "acceptable"), "review") ||
                             crosses || in_box);
        double bleed = json_number_value(json_object_get(scan, "bleed"));
        ck_assert(bleed >= 0.16 && bleed <= 0.3);

        for (int pg = 0; pg < 2; pg++) {
            img *im = page_of("d", page_no(t, pg));
            double sx, sy;
            const json_t *ph = json_object_get(json_object_get(dm, "punch"),
                                               "holes_mm");
            for (size_t h = 0; h < json_array_size(ph); h++) {
                const json_t *hh = json_array_get(ph, h);
                paper_to_scan(t, pg, json_number_value(json_array_get(hh, 0)),
                              json_number_value(json_array_get(hh, 1)), &sx,
                              &sy);
                ck_assert_int_eq(ink_at(im, sx, sy), 1);
            }
            const json_t *tr = json_object_get(dm, "tear");
            if (tr) {
                const char *corner = json_string_value(
                    json_object_get(tr, "corner"));
                double x = strstr(corner, "right") ? 297.0 - 2.0 : 2.0;
                double y = strstr(corner, "bottom") ? 210.0 - 2.0 : 2.0;
                paper_to_scan(t, pg, x, y, &sx, &sy);
                ck_assert_int_ne(ink_at(im, sx, sy), 0);
            }
            if (st) {
                const char *side = json_string_value(json_object_get(
                    json_array_get(json_object_get(t, "pages"), pg), "side"));
                int on = has_str(json_object_get(st, "sides"), side);
                double x = json_number_value(json_object_get(st, "x_mm"));
                int n = 0, rows = 0;
                for (double y = 1; y < img_height(im) * 25.4 / 200 - 1;
                     y += 2, rows++) {
                    int a = ink_at(im, x, y) == 1;
                    a |= ink_at(im, x - 0.13, y) == 1;
                    a |= ink_at(im, x + 0.13, y) == 1;
                    n += a;
                }
                if (on)
                    ck_assert_int_ge(n, rows * 95 / 100);
            }
            char key[32];
            snprintf(key, sizeof key, "page_%d", page_no(t, pg));
            const json_t *sp = json_object_get(json_object_get(dm, "dust"),
                                               key);
            ck_assert(json_array_size(sp) >= 3);
            for (size_t k = 0; k < json_array_size(sp); k++) {
                const json_t *s = json_array_get(sp, k);
                if (json_number_value(json_array_get(s, 2)) < 0.3)
                    continue;
                ck_assert_int_eq(
                    ink_at(im, json_number_value(json_array_get(s, 0)),
                           json_number_value(json_array_get(s, 1))),
                    1);
            }
            img_free(im);
        }
    }
    for (int k = 0; k < 11; k++)
        ck_assert_msg(seen[k] > 0, "damage %s never drawn", K[k]);
    json_decref(d);
    json_decref(c);
}
END_TEST

/* A dog-ear, a red pen with light pressure, mark styles and small
 * writing in a margin: named in the truth, and what a person must see
 * (a circled number, the small writing) is in must_review. */
START_TEST(pen_damage_and_dogear_are_in_the_truth)
{
    json_t *d = simulate("p", 3, 5,
                         "dogear,light_pressure,mark_styles,small_margin");
    int dog = 0, circled = 0, small = 0;
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *t = json_array_get(d, i);
        const json_t *cases = json_object_get(t, "cases");
        const json_t *must = json_object_get(t, "must_review");
        const json_t *dm = json_object_get(json_object_get(t, "scan"),
                                           "damage");
        if (has_str(cases, "damage_dogear")) {
            const json_t *x = json_object_get(dm, "dogear");
            ck_assert_ptr_nonnull(json_object_get(x, "legs_mm"));
            ck_assert_ptr_nonnull(json_object_get(x, "flap_on"));
            dog++;
        }
        if (!has_str(cases, "damage_light_pressure"))
            continue;
        /* every mark of a light hand is light, and review is acceptable */
        const json_t *marks = json_object_get(t, "marks");
        for (size_t k = 0; k < json_array_size(marks); k++)
            ck_assert_str_eq(json_string_value(json_object_get(
                                 json_array_get(marks, k), "clarity")),
                             "light");
        ck_assert(has_str(json_object_get(t, "acceptable"), "review"));
        const json_t *pen =
            json_object_get(json_object_get(t, "scan"), "pen");
        ck_assert(json_number_value(json_object_get(pen, "alpha")) < 0.7);
        const json_t *wo = json_object_get(t, "writing_outside");
        for (size_t k = 0; k < json_array_size(wo); k++) {
            const json_t *w = json_array_get(wo, k);
            const char *kind = json_string_value(json_object_get(w, "kind"));
            const json_t *b = json_object_get(w, "bbox_mm");
            double x = json_number_value(json_array_get(b, 0));
            double y = json_number_value(json_array_get(b, 1));
            double bw = json_number_value(json_array_get(b, 2));
            double bh = json_number_value(json_array_get(b, 3));
            if (strcmp(kind, "circled_number") == 0) {
                /* round the number left of the candidate's box */
                ck_assert(json_integer_value(json_object_get(w, "candidate")) >
                          0);
                ck_assert(bw > 3 && bw < 10 && bh > 3 && bh < 8);
                circled++;
            } else if (strcmp(kind, "margin_small") == 0) {
                ck_assert(bh > 1.5 && bh < 4.0);
                ck_assert(x < 8 || x + bw > 289 || y < 7 || y + bh > 203);
                small++;
            }
            ck_assert(has_str(must, "writing_outside_field"));
        }
    }
    ck_assert_int_gt(dog, 0);
    ck_assert_int_gt(circled, 0);
    ck_assert_int_gt(small, 0);
    json_decref(d);
    /* pencil and red pen are the sheet's pen colour */
    d = simulate("r", 2, 3, "pencil,red_pen,heavy_pressure");
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *t = json_array_get(d, i);
        const json_t *pen =
            json_object_get(json_object_get(t, "scan"), "pen");
        const char *col = json_string_value(json_object_get(pen, "color"));
        ck_assert(strcmp(col, "pencil") == 0 || strcmp(col, "red") == 0);
        ck_assert(has_str(json_object_get(t, "cases"),
                          strcmp(col, "red") == 0 ? "damage_red_pen"
                                                  : "damage_pencil"));
        if (has_str(json_object_get(t, "cases"), "damage_heavy_pressure"))
            ck_assert(json_number_value(json_object_get(pen, "width_mm")) >=
                      0.9);
    }
    json_decref(d);
}
END_TEST

/* Ink within r mm of (x, y) mm on a 1-bit page? */
static int ink_near(const img *im, double x, double y, double r)
{
    for (double dy = -r; dy <= r; dy += 0.1)
        for (double dx = -r; dx <= r; dx += 0.1)
            if (ink_at(im, x + dx, y + dy) == 1)
                return 1;
    return 0;
}

/* Other hands: the sheet's font is one of the extra ones, the voter
 * writes in, and every write-in's box has ink at its middle row. */
START_TEST(other_hands_write_on_the_page)
{
    json_t *d = simulate("h", 3, 9, "hands");
    int n_extra = 0, hands = 0;
    const smp_hand_font *ex = smp_hand_fonts_extra(&n_extra);
    ck_assert_int_ge(n_extra, 7);
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *t = json_array_get(d, i);
        if (!has_str(json_object_get(t, "cases"), "damage_hands"))
            continue;
        hands++;
        const char *font = json_string_value(json_object_get(
            json_object_get(json_object_get(t, "scan"), "pen"), "font"));
        int known = 0;
        for (int k = 0; k < n_extra; k++)
            known |= strcmp(font, ex[k].file) == 0;
        ck_assert_msg(known, "font %s is not an extra hand", font);
        const json_t *wi = json_object_get(t, "write_ins_in_field");
        if (strcmp(json_string_value(json_object_get(t, "kind")), "list") ||
            strcmp(json_string_value(json_object_get(t, "election")), "KS"))
            continue;
        ck_assert_int_gt((int)json_array_size(wi), 0);
        int pg = strcmp(json_string_value(json_object_get(
                            json_array_get(json_object_get(t, "pages"), 0),
                            "side")),
                        "inside") == 0
                     ? 0
                     : 1;
        img *im = page_of("h", page_no(t, pg));
        const json_t *aff = json_object_get(
            json_array_get(json_object_get(t, "pages"), pg), "affine_mm");
        for (size_t k = 0; k < json_array_size(wi); k++) {
            const json_t *b = json_object_get(json_array_get(wi, k),
                                              "bbox_mm");
            double x = json_number_value(json_array_get(b, 0));
            double y = json_number_value(json_array_get(b, 1)) +
                       json_number_value(json_array_get(b, 3)) / 2;
            double w = json_number_value(json_array_get(b, 2));
            int hits = 0;
            for (int s = 1; s < 8; s++) {
                double rx = x + w * s / 8.0;
                const json_t *r0 = json_array_get(aff, 0);
                const json_t *r1 = json_array_get(aff, 1);
                double sx = json_number_value(json_array_get(r0, 0)) * rx +
                            json_number_value(json_array_get(r0, 1)) * y +
                            json_number_value(json_array_get(r0, 2));
                double sy = json_number_value(json_array_get(r1, 0)) * rx +
                            json_number_value(json_array_get(r1, 1)) * y +
                            json_number_value(json_array_get(r1, 2));
                hits += ink_near(im, sx, sy, 1.0);
            }
            ck_assert_int_ge(hits, 5);
        }
        img_free(im);
    }
    ck_assert_int_gt(hands, 0);
    json_decref(d);
}
END_TEST

START_TEST(damage_names_parse)
{
    unsigned m = 0;
    ck_assert_int_eq(smp_damage_parse(&m, "all"), 0);
    ck_assert_uint_eq(m, SMP_DMG_ALL);
    ck_assert_int_eq(smp_damage_parse(&m, "dust,tear"), 0);
    ck_assert_uint_eq(m, SMP_DMG_DUST | SMP_DMG_TEAR);
    ck_assert_int_eq(smp_damage_parse(&m, "dust,smudge"), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "smudge"));
    for (int i = 0; i < SMP_DMG_N; i++) {
        ck_assert_int_eq(smp_damage_parse(&m, smp_damage_name(1u << i)), 0);
        ck_assert_uint_eq(m, 1u << i);
    }
}
END_TEST

static Suite *damage_suite(void)
{
    Suite *s = suite_create("samples_damage");
    TCase *tc = tcase_create("damage");
    tcase_add_checked_fixture(tc, dmg_setup, dmg_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, damage_names_parse);
    tcase_add_test(tc, scanner_and_paper_damage_is_drawn_and_named);
    tcase_add_test(tc, pen_damage_and_dogear_are_in_the_truth);
    tcase_add_test(tc, other_hands_write_on_the_page);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(damage_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
