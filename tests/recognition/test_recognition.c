/* test_recognition.c - recognition on ballots drawn from the bundled sample
 * election's references: every outcome and every reason code, either side
 * first, turned 180 degrees, skewed and shifted, bitonal and gray. */
#include "core/error.h"
#include "core/package.h"
#include "recognition/recognition.h"
#include "tests/recognition/ballot_draw.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pkg_package *pkg;
static rec_engine *engine;

static void setup(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/samples/package", tu_env("TELLE_SOURCE_DIR"));
    ck_assert_msg(pkg_load(&pkg, dir) == 0, "%s", err_message());
    ck_assert_msg(rec_engine_new(&engine, pkg, NULL) == 0, "%s", err_message());
}

static void teardown(void)
{
    rec_engine_free(engine);
    pkg_free(pkg);
}

static const scan_look PLAIN = {0.8, 2.0, -1.5, false, true, 0};

/* Reads the sheet (pages in the given order) and returns its record. */
static json_t *read_sheet(img *first, img *second, const char *expect_election)
{
    rec_page_in in[2] = {{first, "t.tif", 1}, {second, "t.tif", 2}};
    rec_sheet *s = NULL;
    ck_assert_msg(rec_sheet_read(&s, engine, in, second ? 2 : 1) == 0, "%s", err_message());
    rec_sheet_expect_election(s, expect_election);
    rec_sheet_meta m = {"t.tif#1", "b1", NULL, NULL};
    char *text = NULL;
    ck_assert_int_eq(rec_sheet_to_json(&text, s, &m), 0);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "record is not JSON: %s", text);
    free(text);
    rec_sheet_free(s);
    img_free(first);
    img_free(second);
    return j;
}

static bool has_reason(json_t *rec, const char *reason)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, "reasons"), i, v)
        if (strcmp(json_string_value(v), reason) == 0)
            return true;
    return false;
}

static const char *outcome(json_t *rec)
{
    return json_string_value(json_object_get(rec, "outcome"));
}

static int n_reasons(json_t *rec) { return (int)json_array_size(json_object_get(rec, "reasons")); }

/* The outside of a style with a stamp in its stamp field. */
static img *stamped_outside(const char *style, const scan_look *look)
{
    drawing d = draw_begin(pkg, style, "outside");
    const pkg_region *f = draw_region(pkg, style, "outside", PKG_REGION_STAMP_FIELD);
    draw_stamp(&d, f->rect.x + f->rect.w / 2, f->rect.y + f->rect.h / 2);
    img *p = draw_scan(&d, look);
    draw_end(&d);
    return p;
}

static img *inside_with_crosses(const char *style, const int *cands, int n, const scan_look *look)
{
    drawing d = draw_begin(pkg, style, "inside");
    for (int i = 0; i < n; i++)
        draw_cross(&d, pkg, style, cands[i], NULL);
    img *p = draw_scan(&d, look);
    draw_end(&d);
    return p;
}

START_TEST(approved_with_personal_votes)
{
    int c[] = {5, 2};
    json_t *r = read_sheet(inside_with_crosses("KS-AP", c, 2, &PLAIN), stamped_outside("KS-AP", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "approved");
    ck_assert_int_eq(n_reasons(r), 0);
    ck_assert_str_eq(json_string_value(json_object_get(r, "style")), "KS-AP");
    ck_assert_str_eq(json_string_value(json_object_get(r, "list")), "AP");
    json_t *pv = json_object_get(r, "personal_votes");
    ck_assert_int_eq(json_array_size(pv), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(pv, 0)), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(pv, 1)), 5);
    ck_assert(json_is_true(json_object_get(r, "stamp")));
    json_decref(r);
}
END_TEST

START_TEST(outside_first_turned_and_gray)
{
    scan_look turned = {-2.5, -6.0, 5.0, true, false, 0};
    scan_look other = {2.0, 7.0, 3.0, false, false, 0};
    int c[] = {3};
    json_t *r = read_sheet(stamped_outside("KS-H", &turned), inside_with_crosses("KS-H", c, 1, &other), "KS");
    ck_assert_str_eq(outcome(r), "approved");
    ck_assert_str_eq(json_string_value(json_object_get(r, "style")), "KS-H");
    json_t *pages = json_object_get(r, "pages");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pages, 0), "side")), "outside");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(pages, 0), "rotated")), 180);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(pages, 1), "rotated")), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(r, "personal_votes"), 0)), 3);
    json_decref(r);
}
END_TEST

START_TEST(noise_is_not_writing)
{
    scan_look noisy = PLAIN;
    noisy.noise_specks = 400;
    json_t *r = read_sheet(inside_with_crosses("KS-SP", NULL, 0, &noisy), stamped_outside("KS-SP", &noisy), "KS");
    ck_assert_str_eq(outcome(r), "approved");
    ck_assert_int_eq(json_array_size(json_object_get(r, "writing")), 0);
    json_decref(r);
}
END_TEST

START_TEST(fold_crease_is_not_writing_but_letters_on_it_are)
{
    /* A dashed crease along the fold of both sides, in a gray scan. */
    scan_look gray = PLAIN;
    gray.bitonal = false;
    drawing in = draw_begin(pkg, "KS-AP", "inside");
    drawing out = draw_begin(pkg, "KS-AP", "outside");
    const pkg_region *f = draw_region(pkg, "KS-AP", "outside", PKG_REGION_STAMP_FIELD);
    draw_stamp(&out, f->rect.x + f->rect.w / 2, f->rect.y + f->rect.h / 2);
    double fold = pkg_style_find(pkg, "KS-AP")->page_w_mm / 2;
    for (double y = 5; y < 205; y += 12) {
        draw_line(&in, fold, y, fold + 0.1, y + 8, 0.35, 90);
        draw_line(&out, fold, y, fold + 0.1, y + 8, 0.35, 90);
    }
    img *pi = draw_scan(&in, &gray), *po = draw_scan(&out, &gray);
    json_t *r = read_sheet(pi, po, "KS");
    ck_assert_str_eq(outcome(r), "approved");
    json_decref(r);
    /* Letters written across the fold are writing, crease or not. */
    draw_scribble(&in, fold - 6, 120, 12, 4);
    pi = draw_scan(&in, &gray);
    po = draw_scan(&out, &gray);
    r = read_sheet(pi, po, "KS");
    ck_assert(has_reason(r, "writing_outside_field"));
    json_decref(r);
    draw_end(&in);
    draw_end(&out);
}
END_TEST

START_TEST(crease_shadow_is_not_writing_but_a_pen_dash_on_it_is)
{
    /* A crease in a gray scan breaks into short light dashes (its shadow,
     * nowhere as dark as pen); a dash of pen on the fold is writing. */
    scan_look gray = PLAIN;
    gray.bitonal = false;
    drawing in = draw_begin(pkg, "KS-H", "inside");
    drawing out = draw_begin(pkg, "KS-H", "outside");
    const pkg_region *f = draw_region(pkg, "KS-H", "outside", PKG_REGION_STAMP_FIELD);
    draw_stamp(&out, f->rect.x + f->rect.w / 2, f->rect.y + f->rect.h / 2);
    double fold = pkg_style_find(pkg, "KS-H")->page_w_mm / 2;
    for (double y = 20; y < 190; y += 9)
        draw_line(&out, fold, y, fold, y + 2.0, 0.5, 150);
    img *pi = draw_scan(&in, &gray), *po = draw_scan(&out, &gray);
    json_t *r = read_sheet(pi, po, "KS");
    ck_assert_msg(strcmp(outcome(r), "approved") == 0, "crease shadow: %s",
                  json_dumps(json_object_get(r, "writing"), 0));
    json_decref(r);
    draw_line(&out, fold, 194, fold, 196.5, 0.5, 40);
    pi = draw_scan(&in, &gray);
    po = draw_scan(&out, &gray);
    r = read_sheet(pi, po, "KS");
    ck_assert(has_reason(r, "writing_outside_field"));
    json_decref(r);
    draw_end(&in);
    draw_end(&out);
}
END_TEST

START_TEST(stamp_set_far_over_the_field_edge_is_the_stamp)
{
    /* A stamp centred 2 mm below the field reaches 13 mm beyond it, past
     * the 12 mm reach, yet it is stamp-shaped with half its ink in the
     * field: the stamp, not writing. */
    drawing d = draw_begin(pkg, "KS-SP", "outside");
    const pkg_region *f = draw_region(pkg, "KS-SP", "outside", PKG_REGION_STAMP_FIELD);
    draw_stamp(&d, f->rect.x + f->rect.w / 2, f->rect.y + f->rect.h + 2);
    img *out = draw_scan(&d, &PLAIN);
    draw_end(&d);
    json_t *r = read_sheet(inside_with_crosses("KS-SP", NULL, 0, &PLAIN), out, "KS");
    ck_assert_msg(strcmp(outcome(r), "approved") == 0, "reasons %s",
                  json_dumps(json_object_get(r, "reasons"), 0));
    json_decref(r);
}
END_TEST

START_TEST(erased_cross_in_gray_is_marginal)
{
    /* A cross rubbed out: light gray strokes, not pen pressed on paper. */
    scan_look gray = PLAIN;
    gray.bitonal = false;
    drawing d = draw_begin(pkg, "KS-SP", "inside");
    pkg_rect_mm b = draw_box_of(pkg, "KS-SP", 3, NULL);
    draw_line(&d, b.x + 0.4, b.y + 0.4, b.x + b.w - 0.4, b.y + b.h - 0.4, 0.45, 120);
    draw_line(&d, b.x + b.w - 0.4, b.y + 0.4, b.x + 0.4, b.y + b.h - 0.4, 0.45, 120);
    img *in = draw_scan(&d, &gray);
    draw_end(&d);
    json_t *r = read_sheet(in, stamped_outside("KS-SP", &gray), "KS");
    ck_assert(has_reason(r, "marginal_mark"));
    ck_assert_int_eq(json_array_size(json_object_get(r, "personal_votes")), 0);
    json_decref(r);
}
END_TEST

START_TEST(blank_ballot_is_blank)
{
    json_t *r = read_sheet(inside_with_crosses("KS-BLANK", NULL, 0, &PLAIN), stamped_outside("KS-BLANK", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "blank");
    ck_assert(json_is_null(json_object_get(r, "list")));
    json_decref(r);
}
END_TEST

static img *all_lists(const char *const *lists, int n)
{
    drawing d = draw_begin(pkg, "KS-ALLE", "inside");
    for (int i = 0; i < n; i++)
        draw_cross(&d, pkg, "KS-ALLE", 0, lists[i]);
    img *p = draw_scan(&d, &PLAIN);
    draw_end(&d);
    return p;
}

START_TEST(all_lists_ballot_one_none_two)
{
    const char *one[] = {"SP"}, *two[] = {"SP", "H"};
    json_t *r = read_sheet(all_lists(one, 1), stamped_outside("KS-ALLE", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "approved");
    ck_assert_str_eq(json_string_value(json_object_get(r, "list")), "SP");
    json_decref(r);
    r = read_sheet(all_lists(NULL, 0), stamped_outside("KS-ALLE", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "blank");
    json_decref(r);
    r = read_sheet(all_lists(two, 2), stamped_outside("KS-ALLE", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "multiple_lists"));
    json_decref(r);
}
END_TEST

START_TEST(dot_in_a_box_is_marginal)
{
    drawing d = draw_begin(pkg, "KS-AP", "inside");
    pkg_rect_mm b = draw_box_of(pkg, "KS-AP", 4, NULL);
    draw_disc(&d, b.x + b.w / 2, b.y + b.h / 2, 0.5, 30);
    img *in = draw_scan(&d, &PLAIN);
    draw_end(&d);
    json_t *r = read_sheet(in, stamped_outside("KS-AP", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "marginal_mark"));
    ck_assert_int_eq(json_array_size(json_object_get(r, "personal_votes")), 0);
    json_decref(r);

    /* The same dot with two noise specks (~0.1 mm^2) in the box's far
     * corners: the specks do not make the dot reach across the box. */
    d = draw_begin(pkg, "KS-AP", "inside");
    draw_disc(&d, b.x + b.w / 2, b.y + b.h / 2, 0.5, 30);
    draw_disc(&d, b.x + 0.9, b.y + 0.9, 0.17, 0);
    draw_disc(&d, b.x + b.w - 0.9, b.y + b.h - 0.9, 0.17, 0);
    in = draw_scan(&d, &PLAIN);
    draw_end(&d);
    r = read_sheet(in, stamped_outside("KS-AP", &PLAIN), "KS");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "marginal_mark"));
    ck_assert_int_eq(json_array_size(json_object_get(r, "personal_votes")), 0);
    json_decref(r);
}
END_TEST

static json_t *with_writing(const char *style, const char *side, double x, double y, double w,
                            double h)
{
    drawing d = draw_begin(pkg, style, side);
    draw_scribble(&d, x, y, w, h);
    if (strcmp(side, "outside") == 0) {
        const pkg_region *f = draw_region(pkg, style, "outside", PKG_REGION_STAMP_FIELD);
        draw_stamp(&d, f->rect.x + f->rect.w / 2, f->rect.y + f->rect.h / 2);
    }
    img *written = draw_scan(&d, &PLAIN);
    draw_end(&d);
    img *other = strcmp(side, "outside") == 0 ? inside_with_crosses(style, NULL, 0, &PLAIN)
                                              : stamped_outside(style, &PLAIN);
    return read_sheet(written, other, "KS");
}

START_TEST(write_in_in_field)
{
    const pkg_region *f = draw_region(pkg, "KS-AP", "inside", PKG_REGION_WRITE_IN_FIELD);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_gt(f->n_rows, 0);
    pkg_rect_mm row = f->rows[0];
    json_t *r = with_writing("KS-AP", "inside", row.x + 3, row.y + 1, 30, row.h - 2.5);
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "writing_in_field"));
    ck_assert(!has_reason(r, "writing_outside_field"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "write_ins"), "in_field")), 1);
    /* The entry's box covers all of the writing, not a piece of it. */
    json_t *bb = json_object_get(json_array_get(json_object_get(r, "writing"), 0), "bbox_mm");
    double bx = json_real_value(json_array_get(bb, 0)), bw = json_real_value(json_array_get(bb, 2));
    ck_assert_msg(bx < row.x + 4 && bx + bw > row.x + 32, "entry box %.1f + %.1f mm", bx, bw);
    json_decref(r);
}
END_TEST

START_TEST(writing_outside_any_field_anywhere)
{
    /* The Voss case: a few letters in the margin, between candidate rows,
     * and on the outside. Each must reach a person. */
    struct { const char *side; double x, y, w, h; } places[] = {
        {"inside", 120, 60, 9, 3},   /* beside the candidate list */
        {"inside", 150, 196, 8, 3},  /* bottom margin */
        {"outside", 40, 150, 10, 4}, /* on the outside */
    };
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        json_t *r = with_writing("KS-SP", places[i].side, places[i].x, places[i].y, places[i].w,
                                 places[i].h);
        ck_assert_msg(has_reason(r, "writing_outside_field"), "writing %zu not flagged", i);
        ck_assert_str_eq(outcome(r), "review");
        json_t *w = json_array_get(json_object_get(r, "writing"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(w, "side")), places[i].side);
        ck_assert_str_eq(json_string_value(json_object_get(w, "in")), "outside_field");
        double bx = json_real_value(json_array_get(json_object_get(w, "bbox_mm"), 0));
        ck_assert_msg(bx > places[i].x - 2 && bx < places[i].x + 2, "box at %.1f mm", bx);
        json_decref(r);
    }
}
END_TEST

START_TEST(writing_joined_to_the_stamp_is_writing)
{
    /* A line drawn from the stamp to a word far below it: one piece of
     * ink that touches the stamp field, yet writing. */
    drawing d = draw_begin(pkg, "KS-FBL", "outside");
    const pkg_region *f = draw_region(pkg, "KS-FBL", "outside", PKG_REGION_STAMP_FIELD);
    double cx = f->rect.x + f->rect.w / 2, cy = f->rect.y + f->rect.h / 2;
    draw_stamp(&d, cx, cy);
    draw_line(&d, cx - 11, cy, cx - 30, cy + 70, 0.45, 40);
    draw_scribble(&d, cx - 48, cy + 68, 17, 5);
    img *out = draw_scan(&d, &PLAIN);
    draw_end(&d);
    json_t *r = read_sheet(inside_with_crosses("KS-FBL", NULL, 0, &PLAIN), out, "KS");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "writing_outside_field"));
    json_decref(r);
}
END_TEST

START_TEST(too_many_write_ins)
{
    const pkg_region *f = draw_region(pkg, "KS-H", "inside", PKG_REGION_WRITE_IN_FIELD);
    const pkg_election *el = pkg_election_find(pkg, "KS");
    ck_assert_int_ge(f->n_rows, el->max_write_ins);
    drawing d = draw_begin(pkg, "KS-H", "inside");
    for (int i = 0; i < f->n_rows; i++)
        draw_scribble(&d, f->rows[i].x + 3, f->rows[i].y + 1, 25, f->rows[i].h - 2.5);
    /* One more squeezed under the last row, still inside the field. */
    const pkg_rect_mm *last = &f->rows[f->n_rows - 1];
    double below = last->y + last->h + 0.8;
    int expected = f->n_rows;
    if (below + 2.5 <= f->rect.y + f->rect.h) {
        draw_scribble(&d, last->x + 3, below, 25, 2.5);
        expected++;
    }
    img *in = draw_scan(&d, &PLAIN);
    draw_end(&d);
    json_t *r = read_sheet(in, stamped_outside("KS-H", &PLAIN), "KS");
    ck_assert(has_reason(r, "writing_in_field"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "write_ins"), "in_field")), expected);
    if (expected > el->max_write_ins)
        ck_assert(has_reason(r, "too_many_write_ins"));
    json_decref(r);
}
END_TEST

START_TEST(missing_stamp)
{
    drawing d = draw_begin(pkg, "KS-AP", "outside");
    img *out = draw_scan(&d, &PLAIN);
    draw_end(&d);
    json_t *r = read_sheet(inside_with_crosses("KS-AP", NULL, 0, &PLAIN), out, "KS");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "missing_stamp"));
    ck_assert(json_is_false(json_object_get(r, "stamp")));
    json_decref(r);
}
END_TEST

START_TEST(list_written_on_blank_ballot)
{
    const pkg_region *f = draw_region(pkg, "KS-BLANK", "inside", PKG_REGION_LIST_WRITE_FIELD);
    json_t *r = with_writing("KS-BLANK", "inside", f->rect.x + 5, f->rect.y + 5, 20, 6);
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "list_written"));
    json_decref(r);
}
END_TEST

START_TEST(wrong_election)
{
    int c[] = {1};
    json_t *r = read_sheet(inside_with_crosses("FT-SP", c, 1, &PLAIN), stamped_outside("FT-SP", &PLAIN), "KS");
    ck_assert_str_eq(json_string_value(json_object_get(r, "election")), "FT");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "wrong_election"));
    json_decref(r);
    /* The same ballot in an FT batch is fine. */
    r = read_sheet(inside_with_crosses("FT-SP", c, 1, &PLAIN), stamped_outside("FT-SP", &PLAIN), "FT");
    ck_assert_str_eq(outcome(r), "approved");
    json_decref(r);
}
END_TEST

START_TEST(unknown_style_for_a_page_of_no_ballot)
{
    img *a = NULL, *b = NULL;
    ck_assert_int_eq(img_new(&a, 2402, 1732, 1, 8), 0);
    ck_assert_int_eq(img_new(&b, 2402, 1732, 1, 8), 0);
    for (int y = 0; y < 1732; y++) {
        memset(img_row_mut(a, y), 255, 2402);
        memset(img_row_mut(b, y), 255, 2402);
    }
    for (int y = 700; y < 760; y++)
        memset(img_row_mut(a, y) + 300, 0, 1500); /* a black bar: no ballot */
    img_set_dpi(a, 200, 200);
    img_set_dpi(b, 200, 200);
    json_t *r = read_sheet(a, b, "KS");
    ck_assert_str_eq(outcome(r), "review");
    ck_assert(has_reason(r, "unknown_style"));
    ck_assert(json_is_null(json_object_get(r, "style")));
    json_decref(r);
}
END_TEST

START_TEST(unreadable_missing_side_and_double_feed)
{
    int c[] = {1};
    json_t *r = read_sheet(inside_with_crosses("KS-AP", c, 1, &PLAIN), NULL, "KS");
    /* A duplex sheet whose other page could not be decoded. */
    json_decref(r);
    rec_page_in in[2] = {{inside_with_crosses("KS-AP", c, 1, &PLAIN), "t.tif", 1}, {NULL, "t.tif", 2}};
    rec_sheet *s = NULL;
    ck_assert_int_eq(rec_sheet_read(&s, engine, in, 2), 0);
    char *text = NULL;
    rec_sheet_meta m = {"t.tif#1", NULL, NULL, NULL};
    ck_assert_int_eq(rec_sheet_to_json(&text, s, &m), 0);
    ck_assert_msg(strstr(text, "\"unreadable\"") && strstr(text, "\"outcome\":\"review\""), "%s", text);
    free(text);
    rec_sheet_free(s);
    img_free((img *)in[0].image);
    /* Two insides in one feed: two sheets went through together. */
    r = read_sheet(inside_with_crosses("KS-AP", c, 1, &PLAIN), inside_with_crosses("KS-SP", c, 1, &PLAIN), "KS");
    ck_assert(has_reason(r, "unreadable"));
    ck_assert_str_eq(outcome(r), "review");
    json_decref(r);
}
END_TEST

START_TEST(records_are_deterministic)
{
    int c[] = {2, 7};
    char *texts[2];
    for (int k = 0; k < 2; k++) {
        rec_page_in in[2] = {{inside_with_crosses("KS-AP", c, 2, &PLAIN), "t.tif", 1},
                             {stamped_outside("KS-AP", &PLAIN), "t.tif", 2}};
        rec_sheet *s = NULL;
        ck_assert_int_eq(rec_sheet_read(&s, engine, in, 2), 0);
        rec_sheet_meta m = {"t.tif#1", NULL, NULL, NULL};
        ck_assert_int_eq(rec_sheet_to_json(&texts[k], s, &m), 0);
        rec_sheet_free(s);
        img_free((img *)in[0].image);
        img_free((img *)in[1].image);
    }
    ck_assert_str_eq(texts[0], texts[1]);
    free(texts[0]);
    free(texts[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recognition");
    TCase *tc = tcase_create("sheets");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, approved_with_personal_votes);
    tcase_add_test(tc, outside_first_turned_and_gray);
    tcase_add_test(tc, noise_is_not_writing);
    tcase_add_test(tc, blank_ballot_is_blank);
    tcase_add_test(tc, fold_crease_is_not_writing_but_letters_on_it_are);
    tcase_add_test(tc, crease_shadow_is_not_writing_but_a_pen_dash_on_it_is);
    tcase_add_test(tc, stamp_set_far_over_the_field_edge_is_the_stamp);
    tcase_add_test(tc, erased_cross_in_gray_is_marginal);
    tcase_add_test(tc, all_lists_ballot_one_none_two);
    tcase_add_test(tc, dot_in_a_box_is_marginal);
    tcase_add_test(tc, write_in_in_field);
    tcase_add_test(tc, writing_outside_any_field_anywhere);
    tcase_add_test(tc, too_many_write_ins);
    tcase_add_test(tc, writing_joined_to_the_stamp_is_writing);
    tcase_add_test(tc, missing_stamp);
    tcase_add_test(tc, list_written_on_blank_ballot);
    tcase_add_test(tc, wrong_election);
    tcase_add_test(tc, unknown_style_for_a_page_of_no_ballot);
    tcase_add_test(tc, unreadable_missing_side_and_double_feed);
    tcase_add_test(tc, records_are_deterministic);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
