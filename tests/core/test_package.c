/* test_package.c - the election package loader: the real development
 * package loads with the right content, and packages broken on purpose
 * (derived from it in a temporary folder) are refused with a message that
 * names the file, the JSON path and what is wrong. */
#include "core/error.h"
#include "core/image.h"
#include "core/image_io.h"
#include "core/package.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $TELLE_SOURCE_DIR/../shared/devset/package */
static char devset[PATH_MAX];

static void find_devset(void)
{
    const char *src = getenv("TELLE_SOURCE_DIR");
    ck_assert_msg(src != NULL, "TELLE_SOURCE_DIR is not set");
    snprintf(devset, sizeof devset, "%s/../shared/devset/package", src);
    ck_assert_msg(access(devset, R_OK) == 0, "no package at %s", devset);
}

/* A temporary package folder: election.json written by the test, styles/
 * a symlink to the development package's reference images. */
typedef struct {
    char dir[PATH_MAX];
    char json[PATH_MAX + 32];
    char styles[PATH_MAX + 32];
} tmp_pkg;

static void tmp_pkg_make(tmp_pkg *t)
{
    char *dir = tu_tmpdir("pkg");
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    free(dir);
    snprintf(t->json, sizeof t->json, "%s/election.json", t->dir);
    snprintf(t->styles, sizeof t->styles, "%s/styles", t->dir);
    char target[PATH_MAX + 16];
    snprintf(target, sizeof target, "%s/styles", devset);
    ck_assert_int_eq(symlink(target, t->styles), 0);
}

/* The files tests may add beside election.json. */
static const char *const TMP_EXTRA[] = {"a.png", "b.png", "bad.png"};

static void tmp_pkg_remove(tmp_pkg *t)
{
    char p[PATH_MAX + 32];
    unlink(t->json);
    unlink(t->styles);
    for (size_t i = 0; i < sizeof TMP_EXTRA / sizeof TMP_EXTRA[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", t->dir, TMP_EXTRA[i]);
        unlink(p);
    }
    ck_assert_int_eq(rmdir(t->dir), 0);
}

static json_t *devset_json(void)
{
    char path[PATH_MAX + 16];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s/election.json", devset);
    json_t *root = json_load_file(path, 0, &jerr);
    ck_assert_msg(root != NULL, "%s: %s", path, jerr.text);
    return root;
}

/* Finds the parent of the value at a path such as
 * "styles[0].sides[1].regions[3].rect_mm"; *key is the last object key, or
 * NULL and *index the last array index. */
static json_t *json_parent(json_t *root, const char *path, char *key,
                           size_t *index)
{
    json_t *cur = root, *parent = NULL;
    const char *s = path;
    while (*s) {
        parent = cur;
        key[0] = '\0';
        if (*s == '[') {
            char *end;
            *index = strtoul(s + 1, &end, 10);
            ck_assert(*end == ']');
            cur = json_array_get(parent, *index);
            s = end + 1;
        } else {
            if (*s == '.')
                s++;
            size_t n = strcspn(s, ".[");
            memcpy(key, s, n);
            key[n] = '\0';
            cur = json_object_get(parent, key);
            s += n;
        }
        if (*s)
            ck_assert_msg(cur != NULL, "no %s in the development package", path);
    }
    return parent;
}

/* Replaces the value at path with value_json (parsed), or deletes it when
 * value_json is NULL. */
static void json_edit(json_t *root, const char *path, const char *value_json)
{
    char key[128];
    size_t index = 0;
    json_t *parent = json_parent(root, path, key, &index);
    json_t *v = NULL;
    if (value_json) {
        json_error_t jerr;
        v = json_loads(value_json, JSON_DECODE_ANY, &jerr);
        ck_assert_msg(v != NULL, "bad test value %s", value_json);
    }
    if (key[0]) {
        if (v)
            ck_assert_int_eq(json_object_set_new(parent, key, v), 0);
        else
            ck_assert_int_eq(json_object_del(parent, key), 0);
    } else {
        if (v)
            ck_assert_int_eq(json_array_set_new(parent, index, v), 0);
        else
            ck_assert_int_eq(json_array_remove(parent, index), 0);
    }
}

/* Loads t and asserts it fails with code and exactly
 * "<dir>/election.json: <expected>". */
static void assert_refused(const tmp_pkg *t, int code, const char *expected)
{
    pkg_package *pkg = (pkg_package *)1;
    char want[PATH_MAX + 1024];
    snprintf(want, sizeof want, "%s: %s", t->json, expected);
    ck_assert_int_eq(pkg_load(&pkg, t->dir), code);
    ck_assert_ptr_null(pkg);
    ck_assert_str_eq(err_message(), want);
}

/* What every valid package shows: each style's election exists, each
 * side has its decoded reference at the style's size and dpi, a list
 * ballot has one vote box per candidate of its list (and a write-in field
 * in kommunestyrevalg), the all-lists ballot one per list, the blank
 * ballot none. Counts the kinds into kinds[]. */
static void check_styles(const pkg_package *pkg, int kinds[3])
{
    for (int s = 0; s < pkg->n_styles; s++) {
        const pkg_style *st = &pkg->styles[s];
        ck_assert_ptr_eq(pkg_style_find(pkg, st->id), st);
        kinds[st->kind]++;
        for (int i = 0; i < st->n_sides; i++) {
            const img *ref = st->sides[i].image;
            ck_assert_ptr_nonnull(ref);
            ck_assert(fabs(img_width(ref) - pkg_mm_to_px(st->page_w_mm, st->dpi)) <= 2);
            ck_assert(fabs(img_height(ref) - pkg_mm_to_px(st->page_h_mm, st->dpi)) <= 2);
            ck_assert_int_eq(img_depth(ref), 8);
            ck_assert(img_channels(ref) == 1 || img_channels(ref) == 3);
            ck_assert_double_eq(img_dpi_x(ref), st->dpi);
        }
        const pkg_election *el = pkg_election_find(pkg, st->election);
        ck_assert_ptr_nonnull(el);
        int boxes = 0, writes = 0;
        for (int i = 0; i < st->n_sides; i++) {
            const pkg_side *sd = &st->sides[i];
            for (int r = 0; r < sd->n_regions; r++) {
                const pkg_region *rg = &sd->regions[r];
                if (rg->type == PKG_REGION_VOTE_BOX) {
                    boxes++;
                    if (st->kind == PKG_STYLE_LIST)
                        ck_assert_ptr_nonnull(pkg_candidate_find(
                            pkg_list_find(el, st->list), rg->candidate));
                    else
                        ck_assert_ptr_nonnull(pkg_list_find(el, rg->list));
                }
                if (rg->type == PKG_REGION_WRITE_IN_FIELD) {
                    writes++;
                    ck_assert_int_eq(rg->max_entries, el->max_write_ins);
                    ck_assert_int_gt(rg->n_rows, 0);
                }
            }
        }
        if (st->kind == PKG_STYLE_LIST)
            ck_assert_int_eq(boxes, pkg_list_find(el, st->list)->n_candidates);
        else if (st->kind == PKG_STYLE_ALL_LISTS)
            ck_assert_int_eq(boxes, el->n_lists);
        else
            ck_assert_int_eq(boxes, 0);
        ck_assert_int_eq(writes, st->kind == PKG_STYLE_LIST &&
                                         el->type == PKG_KOMMUNESTYREVALG ? 1 : 0);
    }
}

START_TEST(devset_package_loads)
{
    find_devset();
    pkg_package *pkg = NULL;
    int rc = pkg_load(&pkg, devset);
    ck_assert_msg(rc == 0, "%s", err_message());
    ck_assert_str_eq(pkg->format, "telle-election/1");
    ck_assert_str_eq(pkg->dir, devset);

    /* Every election, list and candidate is what the JSON says. */
    json_t *root = devset_json();
    json_t *els = json_object_get(root, "elections");
    ck_assert_int_eq(pkg->n_elections, (int)json_array_size(els));
    ck_assert_int_eq(pkg->n_elections, 2);
    int total_candidates = 0;
    for (int e = 0; e < pkg->n_elections; e++) {
        json_t *je = json_array_get(els, e);
        const pkg_election *el = &pkg->elections[e];
        ck_assert_str_eq(el->id, json_string_value(json_object_get(je, "id")));
        ck_assert_ptr_eq(pkg_election_find(pkg, el->id), el);
        ck_assert_int_eq(el->seats, json_integer_value(json_object_get(je, "seats")));
        json_t *jls = json_object_get(je, "lists");
        ck_assert_int_eq(el->n_lists, (int)json_array_size(jls));
        for (int l = 0; l < el->n_lists; l++) {
            json_t *jl = json_array_get(jls, l);
            const pkg_list *li = &el->lists[l];
            ck_assert_str_eq(li->code, json_string_value(json_object_get(jl, "code")));
            ck_assert_ptr_eq(pkg_list_find(el, li->code), li);
            json_t *jcs = json_object_get(jl, "candidates");
            ck_assert_int_eq(li->n_candidates, (int)json_array_size(jcs));
            for (int k = 0; k < li->n_candidates; k++) {
                json_t *jc = json_array_get(jcs, k);
                const pkg_candidate *cd = &li->candidates[k];
                ck_assert_str_eq(cd->name, json_string_value(json_object_get(jc, "name")));
                ck_assert_int_eq(cd->born, json_integer_value(json_object_get(jc, "born")));
                ck_assert(cd->stemmetillegg == json_is_true(json_object_get(jc, "stemmetillegg")));
                ck_assert_ptr_eq(pkg_candidate_find(li, cd->no), cd);
            }
            total_candidates += li->n_candidates;
        }
    }
    json_decref(root);
    ck_assert_int_gt(total_candidates, 100);

    const pkg_election *ks = pkg_election_find(pkg, "KS");
    ck_assert_ptr_nonnull(ks);
    ck_assert_int_eq(ks->type, PKG_KOMMUNESTYREVALG);
    ck_assert_int_eq(ks->seats, 43);
    ck_assert_int_eq(ks->max_write_ins, 10);
    ck_assert_double_eq_tol(ks->first_divisor, 1.4, 1e-12);
    const pkg_election *ft = pkg_election_find(pkg, "FT");
    ck_assert_ptr_nonnull(ft);
    ck_assert_int_eq(ft->type, PKG_FYLKESTINGSVALG);
    ck_assert_int_eq(ft->max_write_ins, 0);
    ck_assert_ptr_null(pkg_election_find(pkg, "XX"));
    ck_assert_ptr_null(pkg_list_find(ks, "XX"));
    ck_assert_ptr_null(pkg_candidate_find(&ks->lists[0], 0));
    ck_assert_ptr_null(pkg_candidate_find(&ks->lists[0], ks->lists[0].n_candidates + 1));

    /* Styles: a list ballot has one vote box per candidate of its list, the
     * all-lists ballot one per list, the blank ballot none. */
    ck_assert_int_eq(pkg->n_styles, 11);
    int kinds[3] = {0};
    check_styles(pkg, kinds);
    for (int s = 0; s < pkg->n_styles; s++) {
        const pkg_style *st = &pkg->styles[s];
        ck_assert_double_eq(st->page_w_mm, 297);
        ck_assert_double_eq(st->page_h_mm, 210);
        ck_assert_double_eq(st->dpi, 200);
        ck_assert_int_eq(st->n_sides, 2);
        for (int i = 0; i < st->n_sides; i++) {
            ck_assert_int_eq(img_width(st->sides[i].image), 2339);
            ck_assert_int_eq(img_height(st->sides[i].image), 1654);
            ck_assert_int_eq(img_channels(st->sides[i].image), 1);
        }
    }
    ck_assert_int_eq(kinds[PKG_STYLE_LIST], 9);
    ck_assert_int_eq(kinds[PKG_STYLE_ALL_LISTS], 1);
    ck_assert_int_eq(kinds[PKG_STYLE_BLANK], 1);

    const pkg_style *ksap = pkg_style_find(pkg, "KS-AP");
    ck_assert_ptr_nonnull(ksap);
    ck_assert_str_eq(ksap->list, "AP");
    ck_assert_str_eq(ksap->sides[0].name, "inside");
    ck_assert_str_eq(ksap->sides[0].reference, "styles/KS-AP/inside.png");
    const pkg_region *vb = &ksap->sides[0].regions[5];
    ck_assert_int_eq(vb->type, PKG_REGION_VOTE_BOX);
    ck_assert_int_eq(vb->candidate, 1);
    ck_assert_double_eq_tol(vb->rect.x, 21.8, 1e-9);
    ck_assert_double_eq_tol(vb->rect.h, 4.2, 1e-9);
    ck_assert_ptr_null(pkg_style_find(pkg, "XX"));
    pkg_free(pkg);
}
END_TEST

/* The sample package the project bundles (samples/package) is valid. */
START_TEST(sample_package_loads)
{
    const char *src = getenv("TELLE_SOURCE_DIR");
    ck_assert_ptr_nonnull(src);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/samples/package", src);
    pkg_package *pkg = NULL;
    int rc = pkg_load(&pkg, dir);
    ck_assert_msg(rc == 0, "%s", err_message());
    int kinds[3] = {0};
    check_styles(pkg, kinds);
    ck_assert_int_gt(pkg->n_elections, 0);
    ck_assert_int_gt(kinds[PKG_STYLE_LIST], 0);
    pkg_free(pkg);
}
END_TEST

START_TEST(region_type_names_and_free_null)
{
    ck_assert_str_eq(pkg_region_type_name(PKG_REGION_REGISTRATION_MARK), "registration_mark");
    ck_assert_str_eq(pkg_region_type_name(PKG_REGION_VOTE_BOX), "vote_box");
    ck_assert_str_eq(pkg_region_type_name(PKG_REGION_WRITE_IN_FIELD), "write_in_field");
    ck_assert_str_eq(pkg_region_type_name(PKG_REGION_STAMP_FIELD), "stamp_field");
    ck_assert_str_eq(pkg_region_type_name((pkg_region_type)99), "unknown");
    ck_assert_double_eq_tol(pkg_mm_to_px(25.4, 200), 200, 1e-9);
    pkg_free(NULL);
}
END_TEST

/* One edit of the development package and the message it must produce.
 * Style 0 is KS-AP (list ballot, election KS), 6 KS-ALLE (all lists), 7
 * KS-BLANK, 8 FT-AP. Regions 0-3 of an inside are registration marks,
 * 4 the party name, 5 the first vote box (candidate 1). */
typedef struct {
    const char *path;
    const char *value; /* JSON; NULL deletes the field */
    const char *message;
} broken_case;

static const broken_case BROKEN[] = {
    {"format", "\"telle-election/2\"",
     "format: unsupported format \"telle-election/2\" (expected \"telle-election/1\")"},
    {"elections[0].seats", NULL,
     "elections[0].seats: missing required field (expected an integer)"},
    {"elections[0].seats", "\"43\"",
     "elections[0].seats: expected an integer, got a string"},
    {"elections[1].lists[2].name", "7",
     "elections[1].lists[2].name: expected a string, got an integer"},
    {"styles[0].sides[0].regions[1].rect_mm", "[290, 5, 20, 10]",
     "styles[0].sides[0].regions[1].rect_mm: region [290, 5, 20, 10] reaches "
     "outside the 297 x 210 mm page"},
    {"styles[0].sides[0].regions[1].rect_mm", "[10, 5, 20]",
     "styles[0].sides[0].regions[1].rect_mm: expected [x, y, width, height] as "
     "4 numbers, got an array of 3"},
    {"styles[0].sides[0].regions[2].rect_mm[3]", "\"8\"",
     "styles[0].sides[0].regions[2].rect_mm[3]: expected a number, got a string"},
    {"styles[2].page_mm", "[297]",
     "styles[2].page_mm: expected [width, height] as 2 numbers, got an array of 1"},
    {"styles[2].page_mm[0]", "null",
     "styles[2].page_mm[0]: expected a number, got null"},
    {"styles[0].sides[1].regions[4].rect_mm", "[10, 5, 0, 10]",
     "styles[0].sides[1].regions[4].rect_mm: region [10, 5, 0, 10] must have a "
     "positive width and height"},
    {"styles[0].list", "\"XYZ\"",
     "styles[0].list: unknown list \"XYZ\" in election \"KS\""},
    {"styles[6].sides[0].regions[5].list", "\"XYZ\"",
     "styles[6].sides[0].regions[5].list: unknown list \"XYZ\" in election \"KS\""},
    {"elections[0].lists[0].candidates[1].no", "1",
     "elections[0].lists[0].candidates[1].no: duplicate candidate number 1 "
     "(also candidates[0])"},
    {"elections[0].lists[0].candidates[0].no", "0",
     "elections[0].lists[0].candidates[0].no: candidate number 0: numbers "
     "start at 1"},
    {"styles[0].sides[0].regions[2].type", "\"checkbox\"",
     "styles[0].sides[0].regions[2].type: unknown region type \"checkbox\" "
     "(known: registration_mark, party_name, ballot_number, vote_box, "
     "write_in_field, list_write_field, stamp_field)"},
    {"styles[8].election", "\"BY\"",
     "styles[8].election: unknown election \"BY\""},
    {"elections[0].type", "\"stortingsvalg\"",
     "elections[0].type: unknown election type \"stortingsvalg\" (expected "
     "kommunestyrevalg or fylkestingsvalg)"},
    {"elections[0].seats", "0",
     "elections[0].seats: seats must be positive, got 0"},
    {"elections[0].first_divisor", "0.7",
     "elections[0].first_divisor: first_divisor must be at least 1, got 0.7"},
    {"elections[0].max_write_ins", "-1",
     "elections[0].max_write_ins: max_write_ins must not be negative, got -1"},
    {"elections[1].max_write_ins", "5",
     "elections[1].max_write_ins: a fylkestingsvalg has no write-ins: "
     "max_write_ins must be 0 or absent, got 5"},
    {"elections[0].lists[1].code", "\"AP\"",
     "elections[0].lists[1].code: duplicate list code \"AP\" in election "
     "\"KS\" (also lists[0])"},
    {"styles[1].id", "\"KS-AP\"",
     "styles[1].id: duplicate style id \"KS-AP\" (also styles[0])"},
    {"styles[0].kind", "\"party\"",
     "styles[0].kind: unknown kind \"party\" (expected list, all_lists or blank)"},
    {"styles[0].page_mm", "[297, -210]",
     "styles[0].page_mm: page size 297 x -210 mm must be positive"},
    {"styles[0].dpi", "0",
     "styles[0].dpi: dpi must be positive, got 0"},
    {"styles[0].sides[0].regions[5].candidate", "99",
     "styles[0].sides[0].regions[5].candidate: no candidate 99 on list \"AP\" "
     "of election \"KS\""},
    {"styles[0].sides[0].regions[6].candidate", "1",
     "styles[0].sides[0].regions[6].candidate: a second vote_box for candidate "
     "1 (also sides[0].regions[5])"},
    {"styles[6].sides[0].regions[6].list", "\"AP\"",
     "styles[6].sides[0].regions[6].list: a second vote_box for list \"AP\" "
     "(also sides[0].regions[5])"},
    {"styles[7].sides[0].regions[4].type", "\"vote_box\"",
     "styles[7].sides[0].regions[4].type: a blank ballot has no vote boxes"},
    {"styles[0].sides[0].regions[53].rows_mm[0]", "[160, 205, 125, 6.3]",
     "styles[0].sides[0].regions[53].rows_mm[0]: row [160, 205, 125, 6.3] "
     "reaches outside the 297 x 210 mm page"},
    {"styles[0].sides[1].name", "\"inside\"",
     "styles[0].sides[1].name: duplicate side name \"inside\" in style "
     "\"KS-AP\" (also sides[0])"},
    {"styles[0].sides[0].reference", "\"../../etc/passwd\"",
     "styles[0].sides[0].reference: reference \"../../etc/passwd\" must be a "
     "relative path inside the package"},
    {"styles[0].sides[0].regions[5]", "42",
     "styles[0].sides[0].regions[5]: expected an object, got an integer"},
    {"area", "\"Voss\"",
     "area: expected an object, got a string"},
    {"elections[0].lists[0].candidates[0].stemmetillegg", "\"yes\"",
     "elections[0].lists[0].candidates[0].stemmetillegg: expected a boolean, "
     "got a string"},
    {"styles", "[]",
     "styles: must not be empty"},
    {"styles[0].sides[0].regions[9]", NULL,
     "styles[0]: no vote_box for candidate 5 of list \"AP\""},
    {"styles[6].sides[0].regions[6]", NULL,
     "styles[6]: no vote_box for list \"H\""},
    {"styles[0].sides[0].regions[53]", NULL,
     "styles[0]: no write_in_field, but election \"KS\" allows 10 write-ins"},
    {"styles[8].sides[1].regions[4].type", "\"write_in_field\"",
     "styles[8].sides[1].regions[4].type: a fylkestingsvalg ballot has no "
     "write-ins (election \"FT\")"},
};

START_TEST(broken_package_is_refused)
{
    const broken_case *bc = &BROKEN[_i];
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    json_t *root = devset_json();
    json_edit(root, bc->path, bc->value);
    ck_assert_int_eq(json_dump_file(root, t.json, JSON_INDENT(1)), 0);
    json_decref(root);
    assert_refused(&t, TELLE_EFORMAT, bc->message);
    tmp_pkg_remove(&t);
}
END_TEST

START_TEST(unknown_fields_are_accepted)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    json_t *root = devset_json();
    json_edit(root, "comment", "\"made by hand\"");
    json_edit(root, "elections[0].lists[0].colour", "\"#e4202c\"");
    json_edit(root, "styles[0].sides[0].regions[5].note", "{\"a\": [1, 2]}");
    json_edit(root, "elections[1].max_write_ins", NULL);
    ck_assert_int_eq(json_dump_file(root, t.json, JSON_INDENT(1)), 0);
    json_decref(root);
    pkg_package *pkg = NULL;
    int rc = pkg_load(&pkg, t.dir);
    ck_assert_msg(rc == 0, "%s", err_message());
    ck_assert_int_eq(pkg_election_find(pkg, "FT")->max_write_ins, 0);
    pkg_free(pkg);
    tmp_pkg_remove(&t);
}
END_TEST

START_TEST(json_syntax_error_names_line_and_column)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    FILE *f = fopen(t.json, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\n  \"format\": \"telle-election/1\",\n  \"event\": \"x\"\n"
          "  \"area\": {}\n}\n", f);
    fclose(f);
    assert_refused(&t, TELLE_EFORMAT,
                   "line 4, column 8: invalid JSON: '}' expected near '\"area\"'");
    tmp_pkg_remove(&t);
}
END_TEST

START_TEST(missing_election_json_and_folder)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    assert_refused(&t, TELLE_EIO, "No such file or directory");

    pkg_package *pkg = NULL;
    char nowhere[PATH_MAX + 16];
    snprintf(nowhere, sizeof nowhere, "%s/nowhere", t.dir);
    ck_assert_int_eq(pkg_load(&pkg, nowhere), TELLE_EIO);
    ck_assert_ptr_null(pkg);
    ck_assert(strstr(err_message(), nowhere) == err_message());
    ck_assert_int_eq(pkg_load(&pkg, ""), TELLE_EINVAL);

    /* A top level that is not an object. */
    FILE *f = fopen(t.json, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[1, 2]\n", f);
    fclose(f);
    assert_refused(&t, TELLE_EFORMAT, "(top level): expected an object, got an array");
    tmp_pkg_remove(&t);
}
END_TEST

/* Writes a blank (white) PNG of w x h pixels into the package folder. */
static void write_reference(const tmp_pkg *t, const char *name, int w, int h,
                            int channels, int depth)
{
    img *im = NULL;
    char path[PATH_MAX + 32];
    ck_assert_int_eq(img_new(&im, w, h, channels, depth), 0);
    if (depth == 8)
        for (int y = 0; y < h; y++)
            memset(img_row_mut(im, y), 255, img_stride(im));
    img_set_dpi(im, 200, 200);
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    ck_assert_msg(iio_png_write(path, im) == 0, "%s", err_message());
    img_free(im);
}

/* The development package cut to its first style (KS-AP), so a test that
 * reaches the images decodes two of them, not twenty-two. */
static json_t *first_style_only(void)
{
    json_t *root = devset_json();
    json_t *styles = json_object_get(root, "styles");
    while (json_array_size(styles) > 1)
        ck_assert_int_eq(json_array_remove(styles, 1), 0);
    return root;
}

static void write_json(const tmp_pkg *t, json_t *root)
{
    ck_assert_int_eq(json_dump_file(root, t->json, JSON_INDENT(1)), 0);
    json_decref(root);
}

START_TEST(reference_missing)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    json_t *root = first_style_only();
    json_edit(root, "styles[0].sides[1].reference", "\"styles/KS-AP/missing.png\"");
    write_json(&t, root);
    assert_refused(&t, TELLE_EIO,
                   "styles[0].sides[1].reference: reference image "
                   "\"styles/KS-AP/missing.png\" cannot be read: No such file "
                   "or directory");
    tmp_pkg_remove(&t);
}
END_TEST

START_TEST(reference_of_wrong_size)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    write_reference(&t, "a.png", 1000, 700, 1, 8);
    json_t *root = first_style_only();
    json_edit(root, "styles[0].sides[0].reference", "\"a.png\"");
    write_json(&t, root);
    assert_refused(&t, TELLE_EFORMAT,
                   "styles[0].sides[0].reference: reference image \"a.png\" is "
                   "1000 x 700 px, but a 297 x 210 mm page at 200 dpi needs "
                   "2339 x 1654 px (+/- 2 px)");

    /* 297 mm at 200 dpi is 2338.6 px: 2341 is one pixel too far. */
    write_reference(&t, "b.png", 2341, 1654, 1, 8);
    root = first_style_only();
    json_edit(root, "styles[0].sides[1].reference", "\"b.png\"");
    write_json(&t, root);
    assert_refused(&t, TELLE_EFORMAT,
                   "styles[0].sides[1].reference: reference image \"b.png\" is "
                   "2341 x 1654 px, but a 297 x 210 mm page at 200 dpi needs "
                   "2339 x 1654 px (+/- 2 px)");
    tmp_pkg_remove(&t);
}
END_TEST

START_TEST(reference_not_an_image)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    char path[PATH_MAX + 32], want[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/bad.png", t.dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not a picture of a ballot\n", f);
    fclose(f);
    json_t *root = first_style_only();
    json_edit(root, "styles[0].sides[0].reference", "\"bad.png\"");
    write_json(&t, root);
    pkg_package *pkg = NULL;
    ck_assert_int_eq(pkg_load(&pkg, t.dir), TELLE_EFORMAT);
    ck_assert_ptr_null(pkg);
    snprintf(want, sizeof want, "%s: styles[0].sides[0].reference: reference "
             "image \"bad.png\" cannot be decoded: ", t.json);
    ck_assert_msg(strncmp(err_message(), want, strlen(want)) == 0, "%s",
                  err_message());
    ck_assert_uint_gt(strlen(err_message()), strlen(want));
    tmp_pkg_remove(&t);
}
END_TEST

/* Sizes within 2 px of page_mm x dpi / 25.4 pass; RGBA is stored as RGB
 * over white, 1-bit as 8-bit gray, and the images carry the style's dpi. */
START_TEST(reference_formats_and_rounding)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    write_reference(&t, "a.png", 2340, 1652, 4, 8);
    write_reference(&t, "b.png", 2337, 1655, 1, 1);
    json_t *root = first_style_only();
    json_edit(root, "styles[0].sides[0].reference", "\"a.png\"");
    json_edit(root, "styles[0].sides[1].reference", "\"b.png\"");
    write_json(&t, root);
    pkg_package *pkg = NULL;
    int rc = pkg_load(&pkg, t.dir);
    ck_assert_msg(rc == 0, "%s", err_message());
    const img *a = pkg->styles[0].sides[0].image;
    const img *b = pkg->styles[0].sides[1].image;
    ck_assert_int_eq(img_width(a), 2340);
    ck_assert_int_eq(img_channels(a), 3);
    ck_assert_int_eq(img_depth(a), 8);
    /* The PNG's pixels are white with alpha 255 */
    ck_assert_int_eq(img_row(a, 100)[300], 255);
    ck_assert_int_eq(img_width(b), 2337);
    ck_assert_int_eq(img_height(b), 1655);
    ck_assert_int_eq(img_channels(b), 1);
    ck_assert_int_eq(img_depth(b), 8);
    ck_assert_int_eq(img_row(b, 1654)[2336], 255); /* no ink is white */
    ck_assert_double_eq(img_dpi_x(b), 200);
    pkg_free(pkg);
    tmp_pkg_remove(&t);
}
END_TEST

/* Runs `$TELLE_BIN ARGS`, capturing stdout and stderr into *out and *err
 * (caller frees); returns the exit status. */
static int run_telle(const char *args, char **out, char **err)
{
    *out = *err = NULL;
    return tu_telle(out, err, NULL, "%s", args);
}

START_TEST(cli_package_check)
{
    find_devset();
    tmp_pkg t;
    tmp_pkg_make(&t);
    char *out, *err, args[2 * PATH_MAX], line[PATH_MAX + 512];

    /* The devset package: exit 0 and a summary whose totals agree with
     * what the library loads. */
    snprintf(args, sizeof args, "package check '%s'", devset);
    ck_assert_int_eq(run_telle(args, &out, &err), 0);
    ck_assert_str_eq(err, "");
    json_t *root = devset_json();
    json_t *els = json_object_get(root, "elections");
    json_t *sts = json_object_get(root, "styles");
    size_t n_lists = 0, n_cand = 0, n_sides = 0, n_regions = 0;
    for (size_t e = 0; e < json_array_size(els); e++) {
        json_t *el = json_array_get(els, e);
        snprintf(line, sizeof line, "  election %s: %s \"%s\", %lld seats",
                 json_string_value(json_object_get(el, "id")),
                 json_string_value(json_object_get(el, "type")),
                 json_string_value(json_object_get(el, "name")),
                 (long long)json_integer_value(json_object_get(el, "seats")));
        ck_assert_msg(strstr(out, line), "no '%s' in:\n%s", line, out);
        json_t *ls = json_object_get(el, "lists");
        for (size_t l = 0; l < json_array_size(ls); l++) {
            json_t *li = json_array_get(ls, l);
            size_t nc = json_array_size(json_object_get(li, "candidates"));
            snprintf(line, sizeof line, "    list %s \"%s\": %zu candidates",
                     json_string_value(json_object_get(li, "code")),
                     json_string_value(json_object_get(li, "name")), nc);
            ck_assert_msg(strstr(out, line), "no '%s' in:\n%s", line, out);
            n_cand += nc;
        }
        n_lists += json_array_size(ls);
    }
    for (size_t s = 0; s < json_array_size(sts); s++) {
        json_t *sides = json_object_get(json_array_get(sts, s), "sides");
        n_sides += json_array_size(sides);
        for (size_t i = 0; i < json_array_size(sides); i++)
            n_regions += json_array_size(
                json_object_get(json_array_get(sides, i), "regions"));
    }
    snprintf(line, sizeof line, "OK: %zu elections, %zu lists, %zu candidates, "
             "%zu styles, %zu sides, %zu regions\n", json_array_size(els),
             n_lists, n_cand, json_array_size(sts), n_sides, n_regions);
    ck_assert_msg(strstr(out, line), "no '%s' in:\n%s", line, out);
    json_decref(root);
    ck_assert(strstr(out, "  style KS-ALLE: election KS, kind all_lists, page "
                          "297 x 210 mm at 200 dpi, 2 sides\n"));
    ck_assert(strstr(out, "    side inside (styles/KS-AP/inside.png, 2339 x "
                          "1654 px gray): 55 regions: 4 registration_mark, 1 "
                          "party_name, 1 ballot_number, 48 vote_box, 1 "
                          "write_in_field\n"));
    free(out);
    free(err);

    /* A broken package: exit 1, the message on stderr, nothing on stdout. */
    root = devset_json();
    json_edit(root, "elections[0].seats", "\"43\"");
    ck_assert_int_eq(json_dump_file(root, t.json, JSON_INDENT(1)), 0);
    json_decref(root);
    snprintf(args, sizeof args, "package check '%s'", t.dir);
    ck_assert_int_eq(run_telle(args, &out, &err), 1);
    ck_assert_str_eq(out, "");
    snprintf(line, sizeof line, "telle package check: %s: elections[0].seats: "
             "expected an integer, got a string\n", t.json);
    ck_assert_str_eq(err, line);
    free(out);
    free(err);

    /* Usage errors exit 2; --help exits 0. */
    ck_assert_int_eq(run_telle("package check", &out, &err), 2);
    ck_assert(strstr(err, "usage: telle package check DIR"));
    free(out);
    free(err);
    ck_assert_int_eq(run_telle("package verify x", &out, &err), 2);
    ck_assert(strstr(err, "unknown subcommand 'verify'"));
    free(out);
    free(err);
    ck_assert_int_eq(run_telle("package check a b", &out, &err), 2);
    free(out);
    free(err);
    ck_assert_int_eq(run_telle("package check --help", &out, &err), 0);
    ck_assert(strncmp(out, "usage: telle package check DIR\n", 31) == 0);
    free(out);
    free(err);
    tmp_pkg_remove(&t);
}
END_TEST

static Suite *package_suite(void)
{
    Suite *s = suite_create("core_package");
    TCase *tc = tcase_create("package");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, devset_package_loads);
    tcase_add_test(tc, sample_package_loads);
    tcase_add_test(tc, region_type_names_and_free_null);
    tcase_add_loop_test(tc, broken_package_is_refused, 0,
                        (int)(sizeof BROKEN / sizeof BROKEN[0]));
    tcase_add_test(tc, unknown_fields_are_accepted);
    tcase_add_test(tc, json_syntax_error_names_line_and_column);
    tcase_add_test(tc, missing_election_json_and_folder);
    tcase_add_test(tc, reference_missing);
    tcase_add_test(tc, reference_of_wrong_size);
    tcase_add_test(tc, reference_not_an_image);
    tcase_add_test(tc, reference_formats_and_rounding);
    tcase_add_test(tc, cli_package_check);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_suite_run(package_suite());
}
