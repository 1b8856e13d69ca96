/* test_render.c - the ballot renderer: `telle ballots render` writes a
 * package that pkg_load accepts, whose regions lie on the page and on the
 * printed boxes of the references, and that equals the bundled sample. */
#include "core/error.h"
#include "core/package.h"
#include "samples/model.h"
#include "samples/render.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmp_dir;
static const char *src_dir;

static void render_setup(void)
{
    src_dir = tu_env("TELLE_SOURCE_DIR");
    tmp_dir = tu_tmpdir("test-render");
}

static void render_teardown(void)
{
    ck_assert_int_eq(tu_rmtree(tmp_dir), 0);
    free(tmp_dir);
}

static int render_rc = -1;
static char render_msg[2048];

/* Renders the bundled lists (with PDFs) into tmp_dir once, before the
 * tests fork: every test reads the same output. */
static void render_once(void)
{
    render_setup();
    char lists[1200];
    snprintf(lists, sizeof lists, "%s/samples/package-lists.json", src_dir);
    smp_render_opts o = SMP_RENDER_OPTS_INIT;
    int n = 0;
    render_rc = smp_package_render(lists, tmp_dir, &o, &n);
    snprintf(render_msg, sizeof render_msg, "%s", err_message());
    if (render_rc == 0 && n != 10)
        render_rc = 1;
}

/* Loads what render_once wrote. */
static pkg_package *render_sample(int pdf)
{
    (void)pdf;
    ck_assert_msg(render_rc == 0, "render: %s", render_msg);
    pkg_package *pkg = NULL;
    int rc = pkg_load(&pkg, tmp_dir);
    ck_assert_msg(rc == 0, "pkg_load: %s", err_message());
    return pkg;
}

START_TEST(rendered_package_loads_with_regions_on_the_page)
{
    pkg_package *pkg = render_sample(1);
    ck_assert_int_eq(pkg->n_styles, 10);
    for (int s = 0; s < pkg->n_styles; s++) {
        const pkg_style *st = &pkg->styles[s];
        ck_assert_int_eq(st->n_sides, 2);
        for (int i = 0; i < st->n_sides; i++) {
            const pkg_side *sd = &st->sides[i];
            /* reference size = page mm x dpi / 25.4, rounded */
            ck_assert_int_eq(img_width(sd->image), 2339);
            ck_assert_int_eq(img_height(sd->image), 1654);
            ck_assert_int_eq(img_channels(sd->image), 1);
            int marks = 0;
            for (int r = 0; r < sd->n_regions; r++) {
                const pkg_rect_mm *q = &sd->regions[r].rect;
                ck_assert(q->x >= 0 && q->y >= 0 && q->w > 0 && q->h > 0);
                ck_assert(q->x + q->w <= st->page_w_mm);
                ck_assert(q->y + q->h <= st->page_h_mm);
                marks += sd->regions[r].type == PKG_REGION_REGISTRATION_MARK;
            }
            ck_assert_int_eq(marks, 4);
        }
        char pdf[1400];
        struct stat sb;
        snprintf(pdf, sizeof pdf, "%s/print/%s.pdf", tmp_dir, st->id);
        ck_assert_int_eq(stat(pdf, &sb), 0);
        ck_assert_int_gt(sb.st_size, 10000);
    }
    pkg_free(pkg);
}
END_TEST

/* The reference pixel at (x, y) mm. */
static int px(const img *im, double x, double y, double dpi)
{
    int u = (int)(x * dpi / 25.4), v = (int)(y * dpi / 25.4);
    return img_row(im, v)[u];
}

START_TEST(every_vote_box_region_lies_on_a_printed_box)
{
    pkg_package *pkg = render_sample(0);
    int boxes = 0;
    for (int s = 0; s < pkg->n_styles; s++) {
        const pkg_style *st = &pkg->styles[s];
        const pkg_side *sd = &st->sides[0];
        for (int r = 0; r < sd->n_regions; r++) {
            const pkg_region *g = &sd->regions[r];
            if (g->type != PKG_REGION_VOTE_BOX)
                continue;
            const pkg_rect_mm *q = &g->rect;
            double cx = q->x + q->w / 2, cy = q->y + q->h / 2;
            /* the four sides of the box are ink, its middle is paper */
            ck_assert_int_lt(px(sd->image, q->x, cy, st->dpi), 110);
            ck_assert_int_lt(px(sd->image, q->x + q->w, cy, st->dpi), 110);
            ck_assert_int_lt(px(sd->image, cx, q->y, st->dpi), 110);
            ck_assert_int_lt(px(sd->image, cx, q->y + q->h, st->dpi), 110);
            ck_assert_int_gt(px(sd->image, cx, cy, st->dpi), 200);
            ck_assert_int_gt(px(sd->image, q->x + 1.0, q->y + 1.0, st->dpi),
                             200);
            /* and 1 mm outside the box on the left is paper too */
            ck_assert_int_gt(px(sd->image, q->x - 1.0, cy, st->dpi), 200);
            boxes++;
        }
    }
    /* 5 KS lists (30+24+18+12+10) + 5 all-lists boxes + FT (16+14+12) */
    ck_assert_int_eq(boxes, 94 + 5 + 42);
    pkg_free(pkg);
}
END_TEST

START_TEST(styles_follow_the_template)
{
    pkg_package *pkg = render_sample(0);
    const pkg_style *ap = pkg_style_find(pkg, "KS-AP");
    ck_assert_ptr_nonnull(ap);
    ck_assert_int_eq(ap->kind, PKG_STYLE_LIST);
    int votes = 0, wi = 0, party = 0, number = 0;
    for (int r = 0; r < ap->sides[0].n_regions; r++) {
        const pkg_region *g = &ap->sides[0].regions[r];
        if (g->type == PKG_REGION_VOTE_BOX)
            ck_assert_int_eq(g->candidate, ++votes);
        if (g->type == PKG_REGION_WRITE_IN_FIELD) {
            wi++;
            /* 27 seats: a quarter, rounded down */
            ck_assert_int_eq(g->max_entries, 6);
            ck_assert_int_eq(g->n_rows, 6);
            for (int k = 0; k < g->n_rows; k++) {
                ck_assert(g->rows[k].y >= g->rect.y);
                ck_assert(g->rows[k].y + g->rows[k].h <=
                          g->rect.y + g->rect.h + 0.01);
            }
        }
        party += g->type == PKG_REGION_PARTY_NAME;
        if (g->type == PKG_REGION_BALLOT_NUMBER) {
            number++;
            ck_assert_str_eq(g->value, "000000000000000000000 01 00990001");
        }
    }
    ck_assert_int_eq(votes, 30);
    ck_assert_int_eq(wi, 1);
    ck_assert_int_eq(party, 1);
    ck_assert_int_eq(number, 1);
    int stamp = 0;
    for (int r = 0; r < ap->sides[1].n_regions; r++)
        stamp += ap->sides[1].regions[r].type == PKG_REGION_STAMP_FIELD;
    ck_assert_int_eq(stamp, 1);

    const pkg_style *ft = pkg_style_find(pkg, "FT-H");
    ck_assert_ptr_nonnull(ft);
    for (int r = 0; r < ft->sides[0].n_regions; r++)
        ck_assert_int_ne(ft->sides[0].regions[r].type,
                         PKG_REGION_WRITE_IN_FIELD);

    const pkg_style *blank = pkg_style_find(pkg, "KS-BLANK");
    ck_assert_int_eq(blank->kind, PKG_STYLE_BLANK);
    int lw = 0;
    for (int r = 0; r < blank->sides[0].n_regions; r++) {
        ck_assert_int_ne(blank->sides[0].regions[r].type, PKG_REGION_VOTE_BOX);
        lw += blank->sides[0].regions[r].type == PKG_REGION_LIST_WRITE_FIELD;
    }
    ck_assert_int_eq(lw, 1);

    const pkg_style *all = pkg_style_find(pkg, "KS-ALLE");
    ck_assert_int_eq(all->kind, PKG_STYLE_ALL_LISTS);
    int lists = 0;
    lw = 0;
    for (int r = 0; r < all->sides[0].n_regions; r++) {
        const pkg_region *g = &all->sides[0].regions[r];
        if (g->type == PKG_REGION_VOTE_BOX) {
            ck_assert_ptr_nonnull(g->list);
            ck_assert_str_eq(g->list, pkg->elections[0].lists[lists].code);
            lists++;
        }
        lw += g->type == PKG_REGION_LIST_WRITE_FIELD;
    }
    ck_assert_int_eq(lists, 5);
    ck_assert_int_eq(lw, 1);
    pkg_free(pkg);
}
END_TEST

START_TEST(bundled_sample_package_is_what_the_renderer_makes)
{
    pkg_package *pkg = render_sample(0);
    pkg_free(pkg);
    size_t la = 0, lb = 0;
    char *x = tu_file_read(&la, "%s/election.json", tmp_dir);
    char *y = tu_file_read(&lb, "%s/samples/package/election.json", src_dir);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0,
                  "samples/package/election.json is stale: run telle "
                  "ballots render --package samples/package-lists.json "
                  "--out samples/package --no-pdf");
    free(x);
    free(y);
    /* and the bundled package passes the loader's checks */
    pkg = NULL;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/samples/package", src_dir);
    ck_assert_msg(pkg_load(&pkg, dir) == 0, "%s", err_message());
    pkg_free(pkg);
}
END_TEST

START_TEST(write_in_rows_follow_the_council_size)
{
    ck_assert_int_eq(smp_write_ins_for_seats(43), 10);
    ck_assert_int_eq(smp_write_ins_for_seats(27), 6);
    ck_assert_int_eq(smp_write_ins_for_seats(15), 5);
}
END_TEST

START_TEST(a_list_too_long_for_one_fold_is_refused)
{
    char path[400];
    snprintf(path, sizeof path, "%s/long.json", tmp_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"area\":{\"code\":\"0099\",\"name\":\"X\"},\"elections\":[{"
               "\"id\":\"KS\",\"type\":\"kommunestyrevalg\",\"name\":\"K\","
               "\"seats\":27,\"lists\":[{\"code\":\"A\",\"name\":\"A\","
               "\"candidates\":[");
    for (int i = 1; i <= 130; i++)
        fprintf(f, "%s{\"no\":%d,\"name\":\"N %d\"}", i > 1 ? "," : "", i, i);
    fprintf(f, "]}]}]}");
    fclose(f);
    char out[400];
    snprintf(out, sizeof out, "%s/out", tmp_dir);
    smp_render_opts o = SMP_RENDER_OPTS_INIT;
    o.write_pdf = false;
    ck_assert_int_eq(smp_package_render(path, out, &o, NULL), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "130 candidates"));
    /* a broken input names the file */
    f = fopen(path, "w");
    fprintf(f, "{\"area\":{\"code\":\"1\",\"name\":\"X\"},\"elections\":[{"
               "\"id\":\"KS\",\"type\":\"valg\",\"name\":\"K\",\"lists\":[]}]}");
    fclose(f);
    ck_assert_int_eq(smp_package_render(path, out, &o, NULL), TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "long.json"));
    ck_assert_ptr_nonnull(strstr(err_message(), "type"));
}
END_TEST


/* A package for a large municipality: KS with 49 seats (two folds) and
 * "KO" with 71 seats (two folds, write-in table outside). */
static void write_large_lists(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"event\":\"Test\","
               "\"area\":{\"code\":\"0098\",\"name\":\"Storby\"},"
               "\"elections\":[");
    const char *ids[2] = {"KS", "KO"};
    int seats[2] = {49, 71}, cands[2] = {55, 77};
    for (int e = 0; e < 2; e++) {
        fprintf(f, "%s{\"id\":\"%s\",\"type\":\"kommunestyrevalg\","
                   "\"name\":\"Valg\",\"seats\":%d,\"first_divisor\":1.4,"
                   "\"lists\":[",
                e ? "," : "", ids[e], seats[e]);
        for (int l = 0; l < 2; l++) {
            fprintf(f, "%s{\"code\":\"%c\",\"name\":\"Liste %c\","
                       "\"candidates\":[", l ? "," : "", 'A' + l, 'A' + l);
            int n = l ? 12 : cands[e];
            for (int i = 1; i <= n; i++)
                fprintf(f, "%s{\"no\":%d,\"name\":\"Kari Nordmann%d\","
                           "\"born\":1970}", i > 1 ? "," : "", i, i);
            fprintf(f, "]}");
        }
        fprintf(f, "]}");
    }
    fprintf(f, "]}");
    fclose(f);
}

START_TEST(two_fold_ballots_for_large_councils)
{
    char path[400], out[400];
    snprintf(path, sizeof path, "%s/large.json", tmp_dir);
    snprintf(out, sizeof out, "%s/large", tmp_dir);
    write_large_lists(path);
    smp_render_opts o = SMP_RENDER_OPTS_INIT;
    o.write_pdf = false;
    ck_assert_msg(smp_package_render(path, out, &o, NULL) == 0, "%s",
                  err_message());
    pkg_package *pkg = NULL;
    ck_assert_msg(pkg_load(&pkg, out) == 0, "%s", err_message());
    for (int s = 0; s < pkg->n_styles; s++) {
        const pkg_style *st = &pkg->styles[s];
        ck_assert(st->page_w_mm == 445.5);
        ck_assert_int_eq(img_width(st->sides[0].image), 3508);
        int ko = strcmp(st->election, "KO") == 0;
        for (int i = 0; i < 2; i++) {
            const pkg_side *sd = &st->sides[i];
            for (int r = 0; r < sd->n_regions; r++) {
                const pkg_region *g = &sd->regions[r];
                if (g->type == PKG_REGION_WRITE_IN_FIELD) {
                    /* above 67 members the table is on the outside */
                    ck_assert_int_eq(i, ko ? 1 : 0);
                    ck_assert_int_eq(g->max_entries, ko ? 17 : 12);
                    ck_assert_int_eq(g->n_rows, g->max_entries);
                }
                if (g->type != PKG_REGION_VOTE_BOX)
                    continue;
                const pkg_rect_mm *q = &g->rect;
                double cy = q->y + q->h / 2;
                ck_assert_int_lt(px(sd->image, q->x, cy, st->dpi), 110);
                ck_assert_int_gt(px(sd->image, q->x + q->w / 2, cy, st->dpi),
                                 200);
            }
        }
    }
    const pkg_style *ka = pkg_style_find(pkg, "KO-A");
    int boxes = 0;
    for (int r = 0; r < ka->sides[0].n_regions; r++)
        boxes += ka->sides[0].regions[r].type == PKG_REGION_VOTE_BOX;
    ck_assert_int_eq(boxes, 77);
    pkg_free(pkg);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("samples_render");
    TCase *tc = tcase_create("render");
    tcase_add_unchecked_fixture(tc, render_once, render_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rendered_package_loads_with_regions_on_the_page);
    tcase_add_test(tc, every_vote_box_region_lies_on_a_printed_box);
    tcase_add_test(tc, styles_follow_the_template);
    tcase_add_test(tc, bundled_sample_package_is_what_the_renderer_makes);
    tcase_add_test(tc, write_in_rows_follow_the_council_size);
    tcase_add_test(tc, a_list_too_long_for_one_fold_is_refused);
    tcase_add_test(tc, two_fold_ballots_for_large_councils);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(render_suite());
}
