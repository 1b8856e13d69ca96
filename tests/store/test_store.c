/* test_store.c - the store on real SQLite files: schema, append-only
 * triggers, the hash chain and its tamper detection, records, operators. */
#include "core/error.h"
#include "store/store.h"
#include "testutil.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir;
static char path[300];

static void setup(void)
{
    dir = tu_tmpdir("store");
    snprintf(path, sizeof path, "%s/t.db", dir);
}

static void teardown(void)
{
    ck_assert_int_eq(tu_rmtree(dir), 0);
    free(dir);
}

/* Opens a store with n events appended by "system". */
static st_db *store_with_events(int n)
{
    st_db *db = NULL;
    ck_assert_msg(st_db_open(&db, path, ST_OPEN_CREATE) == 0, "%s", err_message());
    ck_assert_int_eq(st_tx_begin(db), 0);
    for (int i = 0; i < n; i++) {
        char payload[64];
        snprintf(payload, sizeof payload, "{\"i\":%d}", i);
        ck_assert_msg(st_event_append(db, NULL, "system", "test", "s", payload) == 0,
                      "%s", err_message());
    }
    ck_assert_int_eq(st_tx_commit(db), 0);
    return db;
}

/* Runs SQL on the file directly, as someone tampering with it would. */
static void raw_exec(const char *sql)
{
    sqlite3 *raw = NULL;
    char *msg = NULL;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    int rc = sqlite3_exec(raw, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_close(raw);
}

static int raw_exec_rc(const char *sql)
{
    sqlite3 *raw = NULL;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    int rc = sqlite3_exec(raw, sql, NULL, NULL, NULL);
    sqlite3_close(raw);
    return rc;
}

START_TEST(open_creates_schema_with_wal_and_version)
{
    st_db *db = NULL;
    ck_assert_int_eq(st_db_open(&db, path, 0), TELLE_EIO); /* no CREATE */
    ck_assert_int_eq(st_db_open(&db, path, ST_OPEN_CREATE), 0);
    sqlite3 *h = st_db_handle(db);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), ST_SCHEMA_VERSION);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(h, "PRAGMA foreign_keys", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    st_db_close(db);
    /* Reopening keeps the version; a newer version is refused. */
    ck_assert_int_eq(st_db_open(&db, path, 0), 0);
    st_db_close(db);
    raw_exec("PRAGMA user_version = 99");
    ck_assert_int_eq(st_db_open(&db, path, 0), TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "newer"));
}
END_TEST

START_TEST(foreign_database_is_refused)
{
    raw_exec("CREATE TABLE x (a)");
    st_db *db = NULL;
    ck_assert_int_eq(st_db_open(&db, path, ST_OPEN_CREATE), TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "not a telle store"));
}
END_TEST

START_TEST(events_chain_and_read_back)
{
    st_db *db = store_with_events(5);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.entries, 5);
    ck_assert_int_eq(r.first_bad_seq, 0);
    st_event *ev = NULL;
    ck_assert_int_eq(st_event_get(&ev, db, 3), 0);
    ck_assert_str_eq(ev->payload, "{\"i\":2}");
    st_event *prev = NULL;
    ck_assert_int_eq(st_event_get(&prev, db, 2), 0);
    ck_assert_str_eq(ev->prev_hash, prev->hash);
    char h[65];
    st_canonical_hash(h, ev->seq, ev->time, ev->actor, ev->kind, ev->subject,
                      ev->payload, ev->prev_hash);
    ck_assert_str_eq(h, ev->hash);
    st_event_free(ev);
    st_event_free(prev);
    ck_assert_int_eq(st_event_get(&ev, db, 6), TELLE_EINVAL);
    ck_assert_int_eq(strlen(r.head_hash), 64);
    /* Outside a transaction, appending is refused; a non-object payload too. */
    ck_assert_int_eq(st_event_append(db, NULL, "system", "x", "s", "{}"), TELLE_ESTATE);
    ck_assert_int_eq(st_tx_begin(db), 0);
    ck_assert_int_eq(st_event_append(db, NULL, "system", "x", "s", "[1]"), TELLE_EINVAL);
    st_tx_rollback(db);
    st_db_close(db);
}
END_TEST

START_TEST(canonical_form_is_length_prefixed)
{
    /* Moving a byte between adjacent fields changes the hash. */
    char a[65], b[65];
    st_canonical_hash(a, 1, "t", "ab", "c", "s", "{}", "0");
    st_canonical_hash(b, 1, "t", "a", "bc", "s", "{}", "0");
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(triggers_refuse_update_and_delete)
{
    st_db *db = store_with_events(2);
    st_db_close(db);
    ck_assert_int_ne(raw_exec_rc("UPDATE events SET payload = '{}' WHERE seq = 1"), SQLITE_OK);
    ck_assert_int_ne(raw_exec_rc("DELETE FROM events WHERE seq = 2"), SQLITE_OK);
}
END_TEST

START_TEST(edited_payload_is_named)
{
    st_db *db = store_with_events(6);
    st_db_close(db);
    raw_exec("DROP TRIGGER events_no_update;"
             "UPDATE events SET payload = '{\"i\":99}' WHERE seq = 4");
    ck_assert_int_eq(st_db_open(&db, path, 0), 0);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.first_bad_seq, 4);
    ck_assert_int_eq(r.problem, ST_CHAIN_HASH_MISMATCH);
    ck_assert_msg(strstr(r.message, "seq 4: hash mismatch") != NULL, "%s", r.message);
    st_db_close(db);
}
END_TEST

START_TEST(deleted_entry_is_a_gap)
{
    st_db *db = store_with_events(6);
    st_db_close(db);
    raw_exec("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 3");
    ck_assert_int_eq(st_db_open(&db, path, 0), 0);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.first_bad_seq, 4);
    ck_assert_int_eq(r.problem, ST_CHAIN_GAP);
    st_db_close(db);
}
END_TEST

START_TEST(swapped_entries_are_reordered)
{
    st_db *db = store_with_events(6);
    st_db_close(db);
    /* Swap the contents of entries 3 and 4, keeping seq 3 and 4. */
    raw_exec("DROP TRIGGER events_no_update;"
             "UPDATE events SET seq = -3 WHERE seq = 3;"
             "UPDATE events SET seq = 3 WHERE seq = 4;"
             "UPDATE events SET seq = 4 WHERE seq = -3;");
    ck_assert_int_eq(st_db_open(&db, path, 0), 0);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.first_bad_seq, 3);
    ck_assert_int_eq(r.problem, ST_CHAIN_REORDERED);
    ck_assert_msg(strstr(r.message, "reordered") != NULL, "%s", r.message);
    st_db_close(db);
}
END_TEST

START_TEST(relinked_entry_is_prev_mismatch)
{
    st_db *db = store_with_events(4);
    st_event *e2 = NULL;
    ck_assert_int_eq(st_event_get(&e2, db, 2), 0);
    st_db_close(db);
    /* Rewrite entry 2 consistently (new payload, recomputed own hash) but
     * its successor still names the old hash. */
    char h[65], sql[512];
    st_canonical_hash(h, 2, e2->time, e2->actor, e2->kind, e2->subject,
                      "{\"i\":7}", e2->prev_hash);
    snprintf(sql, sizeof sql, "DROP TRIGGER events_no_update;"
             "UPDATE events SET payload = '{\"i\":7}', hash = '%s' WHERE seq = 2", h);
    raw_exec(sql);
    st_event_free(e2);
    ck_assert_int_eq(st_db_open(&db, path, 0), 0);
    st_chain_report r;
    ck_assert_int_eq(st_chain_verify(&r, db), 0);
    ck_assert_int_eq(r.first_bad_seq, 3);
    ck_assert_int_eq(r.problem, ST_CHAIN_PREV_MISMATCH);
    st_db_close(db);
}
END_TEST

START_TEST(package_batches_pages_records)
{
    st_db *db = NULL;
    ck_assert_int_eq(st_db_open(&db, path, ST_OPEN_CREATE), 0);
    char *json = NULL, *sha = NULL;
    ck_assert_int_eq(st_package_get(&json, &sha, db), TELLE_ESTATE);
    ck_assert_int_eq(st_package_put(db, NULL, "{\"format\":\"telle-election/1\"}", "pkg"), 0);
    ck_assert_int_eq(st_package_put(db, NULL, "{}", "pkg"), TELLE_ESTATE);
    ck_assert_int_eq(st_package_get(&json, &sha, db), 0);
    ck_assert_str_eq(json, "{\"format\":\"telle-election/1\"}");
    ck_assert_int_eq(strlen(sha), 64);
    free(json);
    free(sha);

    ck_assert_int_eq(st_tx_begin(db), 0);
    ck_assert_int_eq(st_batch_add(db, "system", "b1", "KS", "0001", "XX"), TELLE_EINVAL);
    ck_assert_int_eq(st_batch_add(db, "system", "b1", "KS", "0001", "VO"), 0);
    ck_assert_int_eq(st_batch_add(db, "system", "b1", "KS", "0001", "VO"), TELLE_ESTATE);
    ck_assert_int_eq(st_page_add(db, "system", "b1", "a.tif#1", "inside", "/arch/a.tif", 1,
                                 "ab"), 0);
    ck_assert_int_eq(st_page_add(db, "system", "nope", "a.tif#1", "inside", "/a", 1, "ab"),
                     TELLE_EINVAL);
    const char *rec = "{\"sheet\": \"a.tif#1\", \"outcome\": \"review\"}";
    int64_t id = 0;
    char rsha[65];
    ck_assert_int_eq(st_record_add(db, &id, rsha, "system", "b1", "a.tif#1", rec), 0);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(st_record_add(db, NULL, NULL, "system", "b1", "a.tif#1", rec),
                     TELLE_ESTATE);
    ck_assert_int_eq(st_record_add(db, NULL, NULL, "system", "b1", "x", "not json"),
                     TELLE_EINVAL);
    ck_assert_int_eq(st_tx_commit(db), 0);

    st_record *r = NULL;
    ck_assert_int_eq(st_record_get(&r, db, id), 0);
    ck_assert_str_eq(r->record, rec); /* byte for byte */
    ck_assert_str_eq(r->sha256, rsha);
    st_record_free(r);
    st_page *pages = NULL;
    int n = 0;
    ck_assert_int_eq(st_page_list(&pages, &n, db, "b1", "a.tif#1"), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(pages[0].archive_path, "/arch/a.tif");
    st_pages_free(pages, n);
    char **ids = NULL;
    ck_assert_int_eq(st_batch_list(&ids, db), 0);
    ck_assert_str_eq(ids[0], "b1");
    ck_assert_ptr_null(ids[1]);
    st_strv_free(ids);

    int64_t bad = 0;
    char msg[256];
    ck_assert_int_eq(st_records_verify(&bad, msg, db), 0);
    ck_assert_int_eq(bad, 0);
    st_chain_report cr;
    ck_assert_int_eq(st_chain_verify(&cr, db), 0);
    ck_assert_int_eq(cr.first_bad_seq, 0);
    ck_assert_int_eq(cr.entries, 4); /* package, batch, page, record */
    st_db_close(db);

    ck_assert_int_ne(raw_exec_rc("UPDATE sheet_records SET record = '{}'"), SQLITE_OK);
    ck_assert_int_ne(raw_exec_rc("DELETE FROM pages"), SQLITE_OK);
    raw_exec("DROP TRIGGER records_no_update;"
             "UPDATE sheet_records SET record = '{\"outcome\":\"approved\"}'");
    ck_assert_int_eq(st_db_open(&db, path, 0), 0);
    ck_assert_int_eq(st_records_verify(&bad, msg, db), 0);
    ck_assert_int_eq(bad, 1);
    ck_assert_msg(strstr(msg, "sheet a.tif#1") != NULL, "%s", msg);
    st_db_close(db);
}
END_TEST

START_TEST(operators_and_passwords)
{
    st_db *db = NULL;
    st_role role;
    ck_assert_int_eq(st_db_open(&db, path, ST_OPEN_CREATE), 0);
    ck_assert_int_eq(st_operator_add(db, NULL, "kari", ST_ROLE_OPERATOR, "short"), TELLE_EINVAL);
    ck_assert_int_eq(st_operator_add(db, NULL, "kari", ST_ROLE_OPERATOR, "korrekt hest"), 0);
    ck_assert_int_eq(st_operator_add(db, NULL, "kari", ST_ROLE_AUDITOR, "korrekt hest"),
                     TELLE_ESTATE);
    ck_assert_int_eq(st_operator_check(&role, db, "kari", "korrekt hest"), 0);
    ck_assert_int_eq(role, ST_ROLE_OPERATOR);
    ck_assert_int_eq(st_operator_check(&role, db, "kari", "feil passord"), TELLE_EINVAL);
    ck_assert_str_eq(err_message(), "wrong name or password");
    ck_assert_int_eq(st_operator_check(&role, db, "ola", "korrekt hest"), TELLE_EINVAL);
    ck_assert_str_eq(err_message(), "wrong name or password");
    ck_assert_int_eq(st_operator_passwd(db, NULL, "kari", "nytt passord"), 0);
    ck_assert_int_eq(st_operator_check(&role, db, "kari", "korrekt hest"), TELLE_EINVAL);
    ck_assert_int_eq(st_operator_check(&role, db, "kari", "nytt passord"), 0);
    ck_assert_int_eq(st_operator_passwd(db, NULL, "ola", "nytt passord"), TELLE_EINVAL);
    /* The hash is Argon2id, and never in the log. */
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(st_db_handle(db), "SELECT pwhash FROM operators", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_ptr_nonnull(strstr((const char *)sqlite3_column_text(st, 0), "$argon2id$"));
    sqlite3_finalize(st);
    sqlite3_prepare_v2(st_db_handle(db), "SELECT count(*) FROM events WHERE payload "
                       "LIKE '%argon%'", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    st_operator *ops = NULL;
    int n = 0;
    ck_assert_int_eq(st_operator_list(&ops, &n, db), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(ops[0].name, "kari");
    st_operators_free(ops, n);
    st_db_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, open_creates_schema_with_wal_and_version);
    tcase_add_test(tc, foreign_database_is_refused);
    tcase_add_test(tc, events_chain_and_read_back);
    tcase_add_test(tc, canonical_form_is_length_prefixed);
    tcase_add_test(tc, triggers_refuse_update_and_delete);
    tcase_add_test(tc, edited_payload_is_named);
    tcase_add_test(tc, deleted_entry_is_a_gap);
    tcase_add_test(tc, swapped_entries_are_reordered);
    tcase_add_test(tc, relinked_entry_is_prev_mismatch);
    tcase_add_test(tc, package_batches_pages_records);
    tcase_add_test(tc, operators_and_passwords);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
