/* test_testdeck.c - `telle testdeck make` and `telle testdeck check`, run as
 * the real binary ($TELLE_BIN): a deck of 20 ballots is made, read by
 * `telle interpret` and checked (0 differences, exit 0); then one record
 * (or the expectation) is changed in the files and exactly that difference
 * must be reported, with exit 1. */
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 20 ballots keep the suite fast (also under ASan). Seed 3 gives a deck
 * with clean ballots, personal votes, write-ins, writing outside the fields,
 * an all-lists and a blank ballot, which recognition reads right. */
#define DECK_BALLOTS 20
#define DECK_SEED 3

static char *tmp_dir;

/* Runs cmd; *out gets its stdout (caller frees); returns the exit status.
 * Its stderr goes to the test's log. */
static int run(char **out, const char *cmd)
{
    char *o = NULL, *e = NULL;
    int rc = tu_sh(&o, &e, NULL, "%s", cmd);
    fputs(e, stderr);
    free(e);
    if (out)
        *out = o;
    else
        free(o);
    return rc;
}

static void make_deck(const char *dir, int ballots, int seed)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "'%s' testdeck make --package '%s/samples/package' --out '%s' --ballots %d "
             "--seed %d",
             tu_env("TELLE_BIN"), tu_env("TELLE_SOURCE_DIR"), dir, ballots, seed);
    ck_assert_int_eq(run(NULL, cmd), 0);
}

static int check_deck(char **out, const char *deck, const char *records)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' testdeck check --deck '%s' '%s'", tu_env("TELLE_BIN"),
             deck, records);
    return run(out, cmd);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The records of a JSON Lines file as an array. */
static json_t *load_records(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    json_t *arr = json_array();
    char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *r = json_loads(line, 0, &je);
        ck_assert_msg(r != NULL, "%s: a line is not JSON: %s", path, je.text);
        json_array_append_new(arr, r);
    }
    fclose(f);
    return arr;
}

static void save_records(const char *path, json_t *arr)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r) {
        char *s = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf(f, "%s\n", s);
        free(s);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* The index N of "FILE#N". */
static int sheet_index(json_t *r)
{
    const char *s = json_string_value(json_object_get(r, "sheet"));
    ck_assert_ptr_nonnull(s);
    return atoi(strrchr(s, '#') + 1);
}

static json_t *expected_sheet(json_t *expected, int index)
{
    return json_array_get(json_object_get(expected, "sheets"), (size_t)index - 1);
}

START_TEST(same_seed_same_deck)
{
    char a[4200], b[4200], c[4200];
    snprintf(a, sizeof a, "%s/a", tmp_dir);
    snprintf(b, sizeof b, "%s/b", tmp_dir);
    snprintf(c, sizeof c, "%s/c", tmp_dir);
    make_deck(a, 2, 11);
    make_deck(b, 2, 11);
    make_deck(c, 2, 12);
    char cmd[8800];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/0001-VO-01.tif' '%s/0001-VO-01.tif'", a, b);
    ck_assert_int_eq(run(NULL, cmd), 0);
    snprintf(cmd, sizeof cmd, "cmp -s '%s/expected.json' '%s/expected.json'", a, b);
    ck_assert_int_eq(run(NULL, cmd), 0);
    snprintf(cmd, sizeof cmd, "cmp -s '%s/0001-VO-01.tif' '%s/0001-VO-01.tif'", a, c);
    ck_assert_int_ne(run(NULL, cmd), 0);
}
END_TEST

START_TEST(deck_made_read_checked)
{
    char deck[4200], records[4200], edited[4200], cmd[16384];
    snprintf(deck, sizeof deck, "%s/deck", tmp_dir);
    snprintf(records, sizeof records, "%s/records.jsonl", tmp_dir);
    snprintf(edited, sizeof edited, "%s/edited.jsonl", tmp_dir);
    make_deck(deck, DECK_BALLOTS, DECK_SEED);

    /* expected.json is the truth, sheet by sheet, and its counts add up. */
    char path[4300];
    snprintf(path, sizeof path, "%s/expected.json", deck);
    json_error_t je;
    json_t *expected = json_load_file(path, 0, &je);
    ck_assert_msg(expected != NULL, "%s: %s", path, je.text);
    snprintf(path, sizeof path, "%s/truth.jsonl", deck);
    json_t *truth = load_records(path);
    json_t *sheets = json_object_get(expected, "sheets");
    ck_assert_int_eq(json_array_size(sheets), DECK_BALLOTS);
    ck_assert_int_eq(json_array_size(truth), DECK_BALLOTS);
    int n_review = 0, n_blank = 0, n_approved = 0, n_votes = 0;
    for (size_t i = 0; i < DECK_BALLOTS; i++) {
        json_t *e = json_array_get(sheets, i), *t = json_array_get(truth, i);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "index")), (int)i + 1);
        ck_assert(json_equal(json_object_get(e, "sheet"), json_object_get(t, "sheet")));
        ck_assert(json_equal(json_object_get(e, "expected"), json_object_get(t, "expected")));
        ck_assert(json_equal(json_object_get(e, "list"), json_object_get(t, "list")));
        ck_assert(json_equal(json_object_get(e, "personal_votes"),
                             json_object_get(t, "personal_votes")));
        ck_assert(json_equal(json_object_get(e, "reasons"), json_object_get(t, "must_review")));
        const char *x = json_string_value(json_object_get(e, "expected"));
        n_review += strcmp(x, "review") == 0;
        n_blank += strcmp(x, "blank") == 0;
        if (strcmp(x, "approved") == 0) {
            n_approved++;
            n_votes += (int)json_array_size(json_object_get(e, "personal_votes"));
        }
    }
    json_t *counts = json_object_get(expected, "counts");
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "review")), n_review);
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "blank")), n_blank);
    int sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(counts, "approved"), k, v)
        sum += (int)json_integer_value(v);
    ck_assert_int_eq(sum, n_approved);
    sum = 0;
    json_object_foreach(json_object_get(counts, "personal_votes"), k, v) {
        const char *c;
        json_t *n;
        json_object_foreach(v, c, n)
            sum += (int)json_integer_value(n);
    }
    ck_assert_int_eq(sum, n_votes);
    ck_assert_int_gt(n_review, 0);
    ck_assert_int_gt(n_votes, 0);
    json_decref(truth);

    /* The scanned deck, read by telle interpret, agrees with it. */
    snprintf(cmd, sizeof cmd,
             "'%s' interpret --package '%s/samples/package' --threads 2 --out '%s' "
             "'%s/0001-VO-01.tif'",
             tu_env("TELLE_BIN"), tu_env("TELLE_SOURCE_DIR"), records, deck);
    ck_assert_int_eq(run(NULL, cmd), 0);
    char *out = NULL;
    int rc = check_deck(&out, deck, records);
    ck_assert_msg(rc == 0 && strcmp(out, "0 differences\n") == 0,
                  "a correctly read deck: exit %d, output:\n%s", rc, out);
    free(out);

    json_t *recs = load_records(records);
    ck_assert_int_eq(json_array_size(recs), DECK_BALLOTS);

    /* One approved sheet's personal votes changed: exactly that, exit 1. */
    json_t *victim = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "outcome")), "approved") == 0 &&
            json_array_size(json_object_get(r, "personal_votes")) > 0) {
            victim = r;
            break;
        }
    }
    ck_assert_ptr_nonnull(victim);
    json_t *edit = json_deep_copy(recs);
    json_t *pv = json_object_get(json_array_get(edit, i), "personal_votes");
    json_array_remove(pv, json_array_size(pv) - 1);
    save_records(edited, edit);
    int idx = sheet_index(victim);
    char *want_exp = json_dumps(json_object_get(expected_sheet(expected, idx), "personal_votes"),
                                JSON_COMPACT);
    char *want_found = json_dumps(pv, JSON_COMPACT);
    char want[1024];
    snprintf(want, sizeof want, "sheet %d (%s): personal_votes: expected %s, found %s\n", idx,
             json_string_value(json_object_get(expected_sheet(expected, idx), "sheet")),
             want_exp, want_found);
    rc = check_deck(&out, deck, edited);
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(count_lines(out), 2);
    ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "want %s, got:\n%s", want, out);
    ck_assert_str_eq(out + strlen(want), "1 difference\n");
    free(out);
    free(want_exp);
    free(want_found);
    json_decref(edit);

    /* A sheet that must go to a person, said approved: exactly that. */
    edit = json_deep_copy(recs);
    json_t *must = NULL;
    json_array_foreach(edit, i, r) {
        if (json_array_size(json_object_get(expected_sheet(expected, sheet_index(r)),
                                            "reasons")) > 0) {
            must = r;
            break;
        }
    }
    ck_assert_ptr_nonnull(must);
    json_object_set_new(must, "outcome", json_string("approved"));
    save_records(edited, edit);
    rc = check_deck(&out, deck, edited);
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(count_lines(out), 2);
    /* The record names the file as given to interpret; the expectation by
     * its name in the deck. */
    const char *sheet_name =
        json_string_value(json_object_get(expected_sheet(expected, sheet_index(must)), "sheet"));
    snprintf(want, sizeof want, "sheet %d (%s): outcome: expected \"review\" (reasons ",
             sheet_index(must), sheet_name);
    ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "want %s, got:\n%s", want, out);
    ck_assert_ptr_nonnull(strstr(out, "), found \"approved\"\n1 difference\n"));
    free(out);
    json_decref(edit);

    /* A record missing, and one sheet read twice. */
    edit = json_deep_copy(recs);
    json_t *first = json_incref(json_array_get(edit, 0));
    json_array_remove(edit, 0);
    save_records(edited, edit);
    rc = check_deck(&out, deck, edited);
    ck_assert_int_eq(rc, 1);
    snprintf(want, sizeof want, "sheet 1 (%s): record: expected one, found none\n1 difference\n",
             json_string_value(json_object_get(expected_sheet(expected, 1), "sheet")));
    ck_assert_str_eq(out, want);
    free(out);
    json_array_append(edit, first);
    json_array_append(edit, first);
    save_records(edited, edit);
    rc = check_deck(&out, deck, edited);
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(count_lines(out), 2);
    ck_assert_ptr_nonnull(strstr(out, "sheet 1 ("));
    ck_assert_ptr_nonnull(strstr(out, "record: expected one, found a second"));
    free(out);
    json_decref(first);
    json_decref(edit);

    /* Counts that the sheets do not explain: expected.json says one more
     * for review than the deck holds. */
    json_object_set_new(counts, "review", json_integer(n_review + 1));
    snprintf(path, sizeof path, "%s/expected.json", deck);
    ck_assert_int_eq(json_dump_file(expected, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER), 0);
    rc = check_deck(&out, deck, records);
    ck_assert_int_eq(rc, 1);
    snprintf(want, sizeof want, "counts: review: expected %d, found %d\n1 difference\n",
             n_review + 1, n_review);
    ck_assert_str_eq(out, want);
    free(out);

    json_decref(recs);
    json_decref(expected);
}
END_TEST

START_TEST(check_names_a_missing_deck)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' testdeck check --deck '%s/nothing' /dev/null 2>&1",
             tu_env("TELLE_BIN"), tmp_dir);
    char *out = NULL;
    ck_assert_int_eq(run(&out, cmd), 2);
    ck_assert_ptr_nonnull(strstr(out, "nothing/expected.json"));
    free(out);
}
END_TEST

int main(void)
{
    tmp_dir = tu_tmpdir("deck");
    Suite *s = suite_create("testdeck");
    TCase *tc = tcase_create("deck");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, same_seed_same_deck);
    tcase_add_test(tc, deck_made_read_checked);
    tcase_add_test(tc, check_names_a_missing_deck);
    suite_add_tcase(s, tc);
    int rc = tu_suite_run(s);
    if (tu_rmtree(tmp_dir) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_dir);
    free(tmp_dir);
    return rc;
}
