/* test_replay.c - `telle replay` on a real count: the sample batch
 * 0001-VO-01 scanned through SANE (the project's test backend) with
 * recognition, loaded into the queue, every review item decided by two
 * operators, the batch committed. Replay must agree, on the stored paths
 * and on an audit-export layout (--archive, --package). Then, each on a
 * fresh copy, the count is tampered with: one byte of an archived image
 * (still decodable, and not), a page file deleted, an extra file, a
 * decision edited in SQLite, a record edited (with and without its hash
 * column), two log entries swapped; the report must name each precisely. */
#include "core/hash.h"
#include "core/image_io.h"

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH "0001-VO-01"
#define PW "replay-test-password"

static char g_base[256];    /* the committed count: c.db, archive/ */
static char g_copy[256];    /* this test's copy */
static char g_out[1 << 20]; /* output of the last command */

/* Runs a shell command; its stdout (and stderr when merge) in g_out.
 * Returns the exit status. */
static int sh(bool merge, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(bool merge, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd - 8, fmt, ap);
    va_end(ap);
    if (merge)
        strcat(cmd, " 2>&1");
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(g_out, 1, sizeof g_out - 1, p);
    g_out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *bin(void)
{
    const char *b = getenv("TELLE_BIN");
    return b ? b : "telle";
}

static const char *src_dir(void)
{
    const char *s = getenv("TELLE_SOURCE_DIR");
    return s ? s : ".";
}

/* The review items of the batch that wait: "ITEM REASONS" lines. */
static int decide_all(const char *dir)
{
    if (sh(false, "cd '%s' && '%s' review list --db c.db --batch " BATCH
                  " | awk 'NR > 1 && $3 == \"open\" {print $1, $4}'", dir, bin()))
        return -1;
    char *list = strdup(g_out);
    int rc = 0;
    for (char *line = strtok(list, "\n"); line && rc == 0; line = strtok(NULL, "\n")) {
        int item = atoi(line);
        const char *reasons = strchr(line, ' ');
        const char *base = "cd '%s' && TELLE_PASSWORD=" PW " '%s' review decide %d --db c.db";
        char fmt[512];
        if (reasons && strstr(reasons, "wrong_election")) {
            snprintf(fmt, sizeof fmt, "%s --as kari --reject d </dev/null", base);
            rc = sh(true, fmt, dir, bin(), item);
            snprintf(fmt, sizeof fmt, "%s --as ola --confirm-reject </dev/null", base);
            if (rc == 0)
                rc = sh(true, fmt, dir, bin(), item);
        } else {
            snprintf(fmt, sizeof fmt, "%s --as kari %s </dev/null", base,
                     reasons && strstr(reasons, "list_written") ? "--blank" : "--confirm");
            rc = sh(true, fmt, dir, bin(), item);
            if (rc != 0) { /* a ballot the machine could not read: blank */
                snprintf(fmt, sizeof fmt, "%s --as kari --blank </dev/null", base);
                rc = sh(true, fmt, dir, bin(), item);
            }
        }
        if (rc)
            fprintf(stderr, "decide %d: %s\n", item, g_out);
    }
    free(list);
    return rc;
}

/* Builds the committed count in g_base once, before the tests fork. */
static int build_count(void)
{
    const char *b = getenv("TELLE_BUILD_DIR");
    char v[1200];
    snprintf(v, sizeof v, "%s/scanner/sane.d", b ? b : ".");
    setenv("SANE_CONFIG_DIR", v, 1);
    snprintf(v, sizeof v, "%s/scanner/sane-backend", b ? b : ".");
    setenv("LD_LIBRARY_PATH", v, 1);
    snprintf(g_base, sizeof g_base, "/tmp/telle-replay-XXXXXX");
    if (!mkdtemp(g_base))
        return -1;
    const char *d = g_base, *t = bin(), *s = src_dir();
    if (sh(true, "cd '%s' && '%s' init --package '%s/samples/package' --db c.db", d, t, s)
        || sh(true, "cd '%s' && '%s' scan --device 'telle:%s/samples/batches/" BATCH ".tif' "
                    "--duplex --label --archive '%s/archive' --package '%s/samples/package'",
              d, t, s, d, s)
        || sh(true, "cd '%s' && '%s' review load --db c.db --archive archive archive/" BATCH
                    "/records.jsonl", d, t)
        || sh(true, "cd '%s' && TELLE_PASSWORD=" PW " '%s' user add kari --role operator "
                    "--db c.db && TELLE_PASSWORD=" PW " '%s' user add ola --role operator "
                    "--db c.db", d, t, t)) {
        fprintf(stderr, "building the count: %s\n", g_out);
        return -1;
    }
    if (decide_all(d)
        || sh(true, "cd '%s' && TELLE_PASSWORD=" PW " '%s' review commit " BATCH
                    " --as ola --db c.db", d, t)) {
        fprintf(stderr, "deciding and committing: %s\n", g_out);
        return -1;
    }
    return 0;
}

static void copy_setup(void)
{
    snprintf(g_copy, sizeof g_copy, "/tmp/telle-replay-copy-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_copy));
    ck_assert_int_eq(sh(true, "cp -a '%s/c.db' '%s/archive' '%s/'", g_base, g_base, g_copy), 0);
    ck_assert_int_eq(sh(true, "cp -a '%s/samples/package' '%s/package'", src_dir(), g_copy), 0);
}

static void copy_teardown(void)
{
    sh(true, "rm -rf '%s'", g_copy);
}

/* Replays the copy (export layout) with --json; returns the exit status
 * and the parsed report in *report (NULL when no JSON came out). */
static int replay_copy(json_t **report)
{
    int rc = sh(false, "'%s' replay --json --db '%s/c.db' --archive '%s/archive' "
                       "--package '%s/package' 2>'%s/stderr'",
                bin(), g_copy, g_copy, g_copy, g_copy);
    *report = json_loads(g_out, 0, NULL);
    return rc;
}

static json_t *list_of(json_t *report, const char *key)
{
    json_t *a = json_object_get(report, key);
    ck_assert_msg(json_is_array(a), "no %s in the report", key);
    return a;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* One value of the copy's database as text (first column, first row). */
static void db_value(char *out, size_t size, const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/c.db", g_copy);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* What an attacker with the file does: SQL straight into it. */
static void db_exec(const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/c.db", g_copy);
    sqlite3 *db = NULL;
    char *err = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "");
    ck_assert_int_gt(sqlite3_total_changes(db), 0);
    sqlite3_close(db);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Changes one byte of the archived page file (bit by bit from the middle
 * of the file on) so that the file still decodes (want_decodable) with
 * other pixels, or no longer decodes. Returns the offset changed. */
static long change_one_byte(const char *path, bool want_decodable)
{
    size_t len;
    unsigned char *b = slurp(path, &len);
    char orig[HASH_HEX_LEN + 1] = "";
    iio_reader *r = NULL;
    img *im = NULL;
    ck_assert_int_eq(iio_reader_open_memory(&r, b, len, path), 0);
    ck_assert_int_eq(iio_reader_read(&im, r, 1), 0);
    hash_sha256_pixels(orig, im);
    img_free(im);
    iio_reader_close(r);
    long found = -1;
    for (size_t off = len / 2; off < len && found < 0; off++) {
        for (int bit = 0; bit < 8 && found < 0; bit++) {
            b[off] ^= (unsigned char)(1u << bit);
            bool decodes = false, same = true;
            if (iio_reader_open_memory(&r, b, len, path) == 0) {
                if (iio_reader_read(&im, r, 1) == 0) {
                    char h[HASH_HEX_LEN + 1];
                    hash_sha256_pixels(h, im);
                    decodes = true;
                    same = strcmp(h, orig) == 0;
                    img_free(im);
                }
                iio_reader_close(r);
            }
            if (want_decodable ? (decodes && !same) : !decodes)
                found = (long)off;
            else
                b[off] ^= (unsigned char)(1u << bit);
        }
    }
    ck_assert_msg(found >= 0, "%s: no byte to change", path);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(b, 1, len, f), len);
    fclose(f);
    free(b);
    return found;
}

START_TEST(replay_agrees_on_the_stored_paths)
{
    int rc = sh(false, "'%s' replay --json --db '%s/c.db'", bin(), g_base);
    json_t *r = json_loads(g_out, 0, NULL);
    ck_assert_msg(rc == 0 && r, "exit %d: %s", rc, g_out);
    ck_assert(json_is_true(json_object_get(r, "agrees")));
    json_t *sheets = json_object_get(r, "sheets");
    ck_assert_int_eq(json_integer_value(json_object_get(sheets, "checked")), 16);
    ck_assert_int_eq(json_integer_value(json_object_get(sheets, "identical")), 16);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "pages_checked")), 32);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "tallies_compared")), 1);
    ck_assert_int_gt(json_integer_value(json_object_get(r, "decisions_checked")), 0);
    /* The label sheet's two pages are archived and named by no record. */
    ck_assert_int_eq(json_integer_value(json_object_get(r, "unnamed_non_ballot")), 2);
    ck_assert(json_is_true(json_object_get(json_object_get(r, "chain"), "ok")));
    json_decref(r);
    /* The text report says the same, with one worker. */
    rc = sh(true, "'%s' replay --threads 1 --db '%s/c.db'", bin(), g_base);
    ck_assert_msg(rc == 0, "%s", g_out);
    ck_assert_ptr_nonnull(strstr(g_out, "identical 16, differing 0"));
    ck_assert_ptr_nonnull(strstr(g_out, "AGREES"));
}
END_TEST

/* The same scanned, decided and committed batch, counted: the counts
 * document adds up, and the protocol PDF (read back by pdftotext) shows
 * each list's approved ballots and the totals. */
START_TEST(the_protocol_of_the_scanned_batch_shows_its_counts)
{
    int rc = sh(false, "'%s' count --json --db '%s/c.db'", bin(), g_base);
    json_t *doc = json_loads(g_out, 0, NULL);
    ck_assert_msg(rc == 0 && doc, "exit %d: %s", rc, g_out);
    json_t *ks = NULL, *el;
    size_t i;
    json_array_foreach(json_object_get(doc, "elections"), i, el)
        if (strcmp(json_string_value(json_object_get(el, "id")), "KS") == 0)
            ks = el;
    ck_assert_ptr_nonnull(ks);
    ck_assert(json_is_true(json_object_get(ks, "final")));
    json_t *tot = json_object_get(ks, "totals");
    json_int_t ballots = json_integer_value(json_object_get(tot, "ballots"));
    json_int_t approved = json_integer_value(json_object_get(tot, "approved"));
    json_int_t blank = json_integer_value(json_object_get(tot, "blank"));
    json_int_t rejected = json_integer_value(json_object_get(tot, "rejected"));
    ck_assert_int_eq(ballots, 16);
    ck_assert_int_eq(approved + blank + rejected, ballots);
    json_int_t given = 0, received = 0, per_list = 0;
    const char *code;
    json_t *l, *n;
    json_object_foreach(json_object_get(tot, "lists"), code, l) {
        per_list += json_integer_value(json_object_get(l, "approved"));
        given += json_integer_value(json_object_get(l, "write_ins_given"));
        const char *no;
        json_object_foreach(json_object_get(l, "write_ins_received"), no, n)
            received += json_integer_value(n);
    }
    ck_assert_int_eq(per_list, approved);
    ck_assert_int_eq(given, received);

    rc = sh(true, "cd '%s' && '%s' protocol --db c.db --election KS --pdf p.pdf && "
                  "pdftotext -layout p.pdf -", g_base, bin());
    ck_assert_msg(rc == 0, "%s", g_out);
    ck_assert_ptr_null(strstr(g_out, "IKKE ENDELIG"));
    /* Each list's row in D2.3 (election-day ballots per list; the batch
     * is VO) ends with its approved ballots. */
    const char *d23 = strstr(g_out, "D2.3");
    ck_assert_msg(d23 != NULL, "no D2.3 in the protocol: %s", g_out);
    json_t *names = json_object_get(ks, "lists");
    json_array_foreach(names, i, l) {
        const char *c = json_string_value(json_object_get(l, "code"));
        char want[256];
        snprintf(want, sizeof want, "%s (%s)", json_string_value(json_object_get(l, "name")), c);
        const char *row = strstr(d23, want);
        ck_assert_msg(row != NULL, "no row for %s in the protocol", want);
        const char *eol = strchr(row, '\n');
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(eol ? eol - row : 200), row);
        char num[32];
        snprintf(num, sizeof num, " %lld",
                 (long long)json_integer_value(json_object_get(
                     json_object_get(json_object_get(tot, "lists"), c), "approved")));
        size_t ln = strlen(line), nn = strlen(num);
        ck_assert_msg(ln >= nn && strcmp(line + ln - nn, num) == 0,
                      "row '%s' does not end with%s", line, num);
    }
    json_decref(doc);
}
END_TEST

START_TEST(replay_agrees_on_an_export_layout)
{
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 0 && r, "exit %d: %s", rc, g_out);
    ck_assert(json_is_true(json_object_get(r, "agrees")));
    json_decref(r);
    /* Usage and IO errors are 2. */
    ck_assert_int_eq(sh(true, "'%s' replay", bin()), 2);
    ck_assert_int_eq(sh(true, "'%s' replay --db '%s/none.db'", bin(), g_copy), 2);
    ck_assert_int_eq(sh(true, "'%s' replay --db '%s/c.db' --archive '%s/nowhere'", bin(),
                        g_copy, g_copy), 2);
}
END_TEST

START_TEST(another_package_is_refused)
{
    ck_assert_int_eq(sh(true, "printf ' ' >> '%s/package/election.json'", g_copy), 0);
    int rc = sh(true, "'%s' replay --db '%s/c.db' --archive '%s/archive' --package '%s/package'",
                bin(), g_copy, g_copy, g_copy);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(g_out, "election.json") && strstr(g_out, "the package the count was "
                                                                  "made with"), "%s", g_out);
}
END_TEST

START_TEST(one_changed_byte_names_the_page)
{
    char path[512], sheet[512], unread_sheet[512];
    snprintf(path, sizeof path, "%s/archive/" BATCH "/p000005.tif", g_copy);
    db_value(sheet, sizeof sheet, "SELECT sheet FROM pages WHERE archive_path LIKE '%/p000005.tif'");
    change_one_byte(path, true);
    /* On another sheet, a byte that breaks the G4 code: that page is
     * unreadable, named. */
    snprintf(path, sizeof path, "%s/archive/" BATCH "/p000008.tif", g_copy);
    db_value(unread_sheet, sizeof unread_sheet,
             "SELECT sheet FROM pages WHERE archive_path LIKE '%/p000008.tif'");
    change_one_byte(path, false);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *h = list_of(r, "hash_mismatches");
    ck_assert_int_eq(json_array_size(h), 1);
    json_t *f = json_array_get(h, 0);
    ck_assert_str_eq(str(f, "sheet"), sheet);
    ck_assert_str_eq(str(f, "batch"), BATCH);
    ck_assert(ends_with(str(f, "path"), "/p000005.tif"));
    ck_assert_str_eq(str(f, "field"), "pages[0].sha256");
    ck_assert_str_ne(str(f, "stored"), str(f, "pixels"));
    json_t *u = list_of(r, "unreadable_images");
    ck_assert_int_eq(json_array_size(u), 1);
    ck_assert_str_eq(str(json_array_get(u, 0), "sheet"), unread_sheet);
    ck_assert(ends_with(str(json_array_get(u, 0), "path"), "/p000008.tif"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "sheets"),
                                                        "not_reread")), 1);
    json_decref(r);
}
END_TEST

START_TEST(a_deleted_page_is_missing)
{
    char path[512], sheet[512];
    snprintf(path, sizeof path, "%s/archive/" BATCH "/p000012.tif", g_copy);
    db_value(sheet, sizeof sheet, "SELECT sheet FROM pages WHERE archive_path LIKE '%/p000012.tif'");
    ck_assert_int_eq(unlink(path), 0);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *m = list_of(r, "missing_images");
    ck_assert_int_eq(json_array_size(m), 1);
    ck_assert_str_eq(str(json_array_get(m, 0), "sheet"), sheet);
    ck_assert_str_eq(str(json_array_get(m, 0), "path"), path);
    ck_assert_int_eq(json_array_size(list_of(r, "differing")), 0);
    json_decref(r);
}
END_TEST

START_TEST(an_extra_file_is_named)
{
    ck_assert_int_eq(sh(true, "cp '%s/archive/" BATCH "/p000005.tif' '%s/archive/" BATCH
                              "/p000099.tif' && echo note > '%s/archive/" BATCH "/notes.txt'",
                        g_copy, g_copy, g_copy), 0);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *x = list_of(r, "extra_images");
    ck_assert_int_eq(json_array_size(x), 1); /* not notes.txt: no image */
    ck_assert(ends_with(str(json_array_get(x, 0), "path"), "/p000099.tif"));
    ck_assert_str_eq(str(json_array_get(x, 0), "batch"), BATCH);
    json_t *sheets = json_object_get(r, "sheets");
    ck_assert_int_eq(json_integer_value(json_object_get(sheets, "identical")), 16);
    json_decref(r);
}
END_TEST

START_TEST(an_edited_decision_breaks_the_chain_at_its_seq)
{
    char seq[32];
    db_value(seq, sizeof seq, "SELECT seq FROM events WHERE kind = 'decide' AND "
                              "payload LIKE '%\"ground\":\"d\"%' ORDER BY seq LIMIT 1");
    char sql[512];
    snprintf(sql, sizeof sql, "DROP TRIGGER events_no_update; UPDATE events SET payload = "
             "replace(payload, '\"ground\":\"d\"', '\"ground\":\"a\"') WHERE seq = %s", seq);
    db_exec(sql);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *c = list_of(r, "chain_problems");
    ck_assert_int_eq(json_array_size(c), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(c, 0), "seq")), atoll(seq));
    ck_assert_ptr_nonnull(strstr(str(json_array_get(c, 0), "message"), "hash mismatch"));
    json_t *chain = json_object_get(r, "chain");
    ck_assert_int_eq(json_integer_value(json_object_get(chain, "seq")), atoll(seq));
    ck_assert_str_eq(str(chain, "problem"), "hash_mismatch");
    /* The records are untouched: every sheet re-reads the same. */
    ck_assert_int_eq(json_array_size(list_of(r, "differing")), 0);
    json_decref(r);
}
END_TEST

START_TEST(an_edited_record_is_named)
{
    char id[32], sheet[512], sql[1024];
    db_value(id, sizeof id, "SELECT id FROM sheet_records WHERE outcome = 'approved' "
                            "AND record LIKE '%\"personal_votes\":[_%' ORDER BY id LIMIT 1");
    snprintf(sql, sizeof sql, "SELECT sheet FROM sheet_records WHERE id = %s", id);
    db_value(sheet, sizeof sheet, sql);
    snprintf(sql, sizeof sql, "DROP TRIGGER records_no_update; UPDATE sheet_records SET "
             "record = replace(record, '\"personal_votes\":[', '\"personal_votes\":[77,') "
             "WHERE id = %s", id);
    db_exec(sql);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *h = list_of(r, "record_hash_mismatches");
    ck_assert_int_ge(json_array_size(h), 1);
    ck_assert_str_eq(str(json_array_get(h, 0), "sheet"), sheet);
    /* The re-read record names the field and both values. */
    json_t *d = list_of(r, "differing");
    ck_assert_int_ge(json_array_size(d), 1);
    json_t *f = json_array_get(d, 0);
    ck_assert_str_eq(str(f, "sheet"), sheet);
    ck_assert_str_eq(str(f, "field"), "personal_votes");
    json_t *old = json_object_get(f, "old"), *fresh = json_object_get(f, "new");
    ck_assert_int_eq(json_array_size(old), json_array_size(fresh) + 1);
    ck_assert_int_eq(json_integer_value(json_array_get(old, 0)), 77);
    ck_assert_int_eq(json_integer_value(json_array_get(old, 1)),
                     json_integer_value(json_array_get(fresh, 0)));
    /* The machine's approval counted the votes: the tallies differ. */
    json_t *t = list_of(r, "tally_differences");
    ck_assert_int_ge(json_array_size(t), 1);
    bool named = false;
    for (size_t i = 0; i < json_array_size(t); i++)
        named |= strstr(str(json_array_get(t, i), "field"), "personal_votes.77") != NULL;
    ck_assert_msg(named, "%s", g_out);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "records_bad")), 1);
    json_decref(r);
}
END_TEST

START_TEST(a_record_edited_with_its_hash_is_named_by_its_event)
{
    char id[32], sheet[512], text[65536], sql[70000];
    db_value(id, sizeof id, "SELECT id FROM sheet_records WHERE outcome = 'approved' "
                            "ORDER BY id LIMIT 1");
    snprintf(sql, sizeof sql, "SELECT sheet FROM sheet_records WHERE id = %s", id);
    db_value(sheet, sizeof sheet, sql);
    snprintf(sql, sizeof sql, "SELECT replace(record, '\"stamp\":true', '\"stamp\":false') "
             "FROM sheet_records WHERE id = %s", id);
    db_value(text, sizeof text, sql);
    char sha[HASH_HEX_LEN + 1];
    hash_sha256_buffer(sha, text, strlen(text));
    snprintf(sql, sizeof sql, "DROP TRIGGER records_no_update; UPDATE sheet_records SET "
             "record = replace(record, '\"stamp\":true', '\"stamp\":false'), sha256 = '%s' "
             "WHERE id = %s", sha, id);
    db_exec(sql);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *h = list_of(r, "record_hash_mismatches");
    ck_assert_int_eq(json_array_size(h), 1);
    ck_assert_str_eq(str(json_array_get(h, 0), "sheet"), sheet);
    ck_assert_ptr_nonnull(strstr(str(json_array_get(h, 0), "message"), "logged SHA-256"));
    json_t *d = list_of(r, "differing");
    ck_assert_int_eq(json_array_size(d), 1);
    ck_assert_str_eq(str(json_array_get(d, 0), "field"), "stamp");
    json_decref(r);
}
END_TEST

START_TEST(swapped_log_entries_are_named)
{
    char a[32], b[32], sql[512];
    db_value(a, sizeof a, "SELECT seq FROM events WHERE kind = 'decide' ORDER BY seq LIMIT 1");
    snprintf(sql, sizeof sql, "SELECT seq FROM events WHERE kind = 'decide' AND seq > %s "
             "ORDER BY seq LIMIT 1", a);
    db_value(b, sizeof b, sql);
    ck_assert_int_eq(atoll(b), atoll(a) + 1);
    snprintf(sql, sizeof sql, "DROP TRIGGER events_no_update;"
             "UPDATE events SET seq = -1 WHERE seq = %s;"
             "UPDATE events SET seq = %s WHERE seq = %s;"
             "UPDATE events SET seq = %s WHERE seq = -1;", a, a, b, b);
    db_exec(sql);
    json_t *r = NULL;
    int rc = replay_copy(&r);
    ck_assert_msg(rc == 1 && r, "exit %d: %s", rc, g_out);
    json_t *chain = json_object_get(r, "chain");
    ck_assert_int_eq(json_integer_value(json_object_get(chain, "seq")), atoll(a));
    ck_assert_str_eq(str(chain, "problem"), "reordered");
    json_t *c = list_of(r, "chain_problems");
    ck_assert_int_eq(json_array_size(c), 1);
    ck_assert_ptr_nonnull(strstr(str(json_array_get(c, 0), "message"), "reordered"));
    json_decref(r);
}
END_TEST

int main(void)
{
    if (build_count() != 0)
        return 1;
    Suite *s = suite_create("audit_replay");
    TCase *agree = tcase_create("agree");
    tcase_add_checked_fixture(agree, copy_setup, copy_teardown);
    tcase_set_timeout(agree, 300);
    tcase_add_test(agree, replay_agrees_on_the_stored_paths);
    tcase_add_test(agree, replay_agrees_on_an_export_layout);
    tcase_add_test(agree, the_protocol_of_the_scanned_batch_shows_its_counts);
    tcase_add_test(agree, another_package_is_refused);
    suite_add_tcase(s, agree);
    TCase *tamper = tcase_create("tamper");
    tcase_add_checked_fixture(tamper, copy_setup, copy_teardown);
    tcase_set_timeout(tamper, 300);
    tcase_add_test(tamper, one_changed_byte_names_the_page);
    tcase_add_test(tamper, a_deleted_page_is_missing);
    tcase_add_test(tamper, an_extra_file_is_named);
    tcase_add_test(tamper, an_edited_decision_breaks_the_chain_at_its_seq);
    tcase_add_test(tamper, an_edited_record_is_named);
    tcase_add_test(tamper, a_record_edited_with_its_hash_is_named_by_its_event);
    tcase_add_test(tamper, swapped_log_entries_are_named);
    suite_add_tcase(s, tamper);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    sh(true, "rm -rf '%s'", g_base);
    return failed == 0 ? 0 : 1;
}
