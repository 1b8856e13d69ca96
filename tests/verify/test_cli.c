/* test_cli.c - the `telle` commands of this folder run as a user runs
 * them (TELLE_BIN): init from the sample package, user add/list, review
 * load/list/search/decide/commit/tallies/verify, with their exit statuses,
 * wrong passwords, an auditor, and a tampered store reported by verify. */
#include "testutil.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir, db[300];
static char *out; /* stdout and stderr of the last command */

#define PW TU_PASSWORD

/* Runs `telle ARGS` in dir with TELLE_PASSWORD=pw (NULL: unset); returns
 * the exit status, output (stdout and stderr) in out. */
static int telle(const char *pw, const char *args)
{
    if (pw)
        setenv("TELLE_PASSWORD", pw, 1);
    else
        unsetenv("TELLE_PASSWORD");
    return tu_telle(&out, NULL, dir, "%s", args);
}

static const char RECORDS[] =
    "{\"sheet\":\"a.tif#1\",\"batch\":\"0007-FO-01\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-AP\",\"list\":\"AP\",\"outcome\":\"approved\","
    "\"reasons\":[],\"personal_votes\":[2],\"marks\":[],\"write_ins\":{\"in_field\":0,"
    "\"outside_field\":0},\"writing\":[],\"stamp\":true}\n"
    "{\"sheet\":\"a.tif#2\",\"batch\":\"0007-FO-01\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-H\",\"list\":\"H\",\"outcome\":\"review\","
    "\"reasons\":[\"writing_in_field\"],\"personal_votes\":[1],\"marks\":[],\"write_ins\":"
    "{\"in_field\":1,\"outside_field\":0},\"writing\":[],\"stamp\":true}\n"
    "{\"sheet\":\"a.tif#3\",\"batch\":\"0007-FO-01\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-SP\",\"list\":\"SP\",\"outcome\":\"review\","
    "\"reasons\":[\"missing_stamp\"],\"personal_votes\":[],\"marks\":[],\"write_ins\":"
    "{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":false}\n";

static void setup(void)
{
    dir = tu_tmpdir("cli");
    snprintf(db, sizeof db, "%s/c.db", dir);
}

static void teardown(void)
{
    ck_assert_int_eq(tu_rmtree(dir), 0);
    free(dir);
    free(out);
    out = NULL;
}

START_TEST(a_count_from_init_to_commit)
{
    char args[1024];
    const char *src = tu_env("TELLE_SOURCE_DIR");
    /* A broken package makes no store. */
    tu_file_write("{\"format\": \"telle-election/1\"", "%s/election.json", dir);
    snprintf(args, sizeof args, "init --package '%s' --db c.db", dir);
    ck_assert_int_eq(telle(NULL, args), 1);
    ck_assert_int_ne(access(db, F_OK), 0);
    snprintf(args, sizeof args, "init --package '%s/samples/package' --db c.db", src);
    ck_assert_msg(telle(NULL, args) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "sha256"));
    ck_assert_int_eq(telle(NULL, args), 1); /* once only */

    ck_assert_int_eq(telle("short", "user add kari --role operator --db c.db"), 1);
    ck_assert_int_eq(telle(PW, "user add kari --role operator --db c.db"), 0);
    ck_assert_int_eq(telle(PW, "user add ola --role secretary --db c.db"), 0);
    ck_assert_int_eq(telle(PW, "user add revisor --role auditor --db c.db"), 0);
    ck_assert_int_eq(telle(PW, "user add x --role boss --db c.db"), 2);
    ck_assert_int_eq(telle(NULL, "user list --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "revisor"));
    ck_assert_ptr_nonnull(strstr(out, "auditor"));

    tu_file_write(RECORDS, "%s/r.jsonl", dir);
    ck_assert_msg(telle(NULL, "review load --db c.db r.jsonl") == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "0007-FO-01 (KS, krets 0007, FO): 3 sheets, 2 for review"));
    ck_assert_int_eq(telle(NULL, "review list --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "0007-FO-01"));
    ck_assert_int_eq(telle(NULL, "review search --db c.db --election KS --own AP r\xc3\xb8nneberg"), 0);
    ck_assert_ptr_nonnull(strstr(out, "SP       3  Nils R\xc3\xb8nneberg"));
    ck_assert_ptr_nonnull(strstr(out, "own list"));

    /* Item 2: H ballot with a write-in of SP 3 found by name. */
    ck_assert_int_eq(telle("feil passord", "review decide 2 --db c.db --as kari --confirm"), 1);
    ck_assert_ptr_nonnull(strstr(out, "wrong name or password"));
    ck_assert_int_eq(telle(PW, "review decide 2 --db c.db --as revisor --confirm"), 1);
    ck_assert_ptr_nonnull(strstr(out, "auditors cannot decide"));
    ck_assert_int_eq(telle(PW, "review decide 2 --db c.db --as kari --write-in 'Nils R'"), 0);
    /* Item 3: rejection, confirmed by the second person only. */
    ck_assert_int_eq(telle(PW, "review decide 3 --db c.db --as kari --reject a"), 0);
    ck_assert_int_eq(telle(PW, "review commit 0007-FO-01 --db c.db --as ola"), 1);
    ck_assert_ptr_nonnull(strstr(out, "still in the queue"));
    ck_assert_int_eq(telle(PW, "review decide 3 --db c.db --as kari --confirm-reject"), 1);
    ck_assert_int_eq(telle(PW, "review decide 3 --db c.db --as ola --confirm-reject"), 0);
    ck_assert_int_eq(telle(PW, "review commit 0007-FO-01 --db c.db --as ola"), 0);
    ck_assert_int_eq(telle(NULL, "review tallies 0007-FO-01 --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"rejected\": 1"));
    ck_assert_ptr_nonnull(strstr(out, "\"approved\": 2"));
    ck_assert_int_eq(telle(NULL, "review show 2 --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"name\":\"Nils R\xc3\xb8nneberg\""));
    ck_assert_int_eq(telle(NULL, "review verify --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "chain whole"));

    /* Someone edits the rejection in the file: verify names it, exit 1. */
    sqlite3 *raw = NULL;
    ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw, "DROP TRIGGER events_no_update; UPDATE events SET "
                                  "payload = replace(payload, '\"ground\":\"a\"', "
                                  "'\"ground\":\"d\"') WHERE kind = 'decide' AND "
                                  "payload LIKE '%\"ground\":\"a\"%'",
                                  NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_changes(raw), 1);
    sqlite3_close(raw);
    ck_assert_int_eq(telle(NULL, "review verify --db c.db"), 1);
    ck_assert_msg(strstr(out, "hash mismatch") != NULL, "%s", out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_count_from_init_to_commit);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
