/* schema.c - the store's tables and their migrations, versioned with
 * PRAGMA user_version. Each step moves the schema from version i to i+1 in
 * one transaction; a file from a newer telle is refused rather than
 * guessed at. store/README.md describes the tables.
 *
 *   st_schema_migrate
 */
#include "store/store_internal.h"

#include "core/error.h"

#include <stdio.h>

/* Version 0 -> 1: the first schema. */
static const char MIGRATION_1[] =
    "CREATE TABLE package ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  election_json TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  dir TEXT,"
    "  loaded TEXT NOT NULL);"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY,"
    "  time TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX events_subject ON events(subject, seq);"
    "CREATE INDEX events_kind ON events(kind, seq);"
    "CREATE TABLE batches ("
    "  id TEXT PRIMARY KEY,"
    "  election TEXT NOT NULL,"
    "  krets TEXT NOT NULL,"
    "  category TEXT NOT NULL CHECK (category IN ('FO','FS','VO','VS','VB')),"
    "  created_seq INTEGER NOT NULL REFERENCES events(seq));"
    "CREATE TABLE pages ("
    "  id INTEGER PRIMARY KEY,"
    "  batch TEXT NOT NULL REFERENCES batches(id),"
    "  sheet TEXT NOT NULL,"
    "  side TEXT,"
    "  archive_path TEXT NOT NULL,"
    "  file_page INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL);"
    "CREATE INDEX pages_sheet ON pages(batch, sheet);"
    "CREATE TABLE sheet_records ("
    "  id INTEGER PRIMARY KEY,"
    "  batch TEXT NOT NULL REFERENCES batches(id),"
    "  sheet TEXT NOT NULL,"
    "  record TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    /* The record's outcome, copied at insertion so the queue can be
     * derived without parsing every record. */
    "  outcome TEXT NOT NULL,"
    "  UNIQUE (batch, sheet));"
    "CREATE TABLE operators ("
    "  name TEXT PRIMARY KEY,"
    "  role TEXT NOT NULL CHECK (role IN ('operator','secretary','auditor')),"
    "  pwhash TEXT NOT NULL,"
    "  created TEXT NOT NULL);"
    /* The batch's state is derived, never stored: the last commit or
     * reopen event decides it. */
    "CREATE VIEW batch_states AS SELECT b.id AS id, b.election AS election,"
    "  b.krets AS krets, b.category AS category,"
    "  COALESCE((SELECT CASE e.kind WHEN 'batch_commit' THEN 'committed'"
    "    ELSE 'open' END FROM events e WHERE e.subject = b.id AND e.kind IN"
    "    ('batch_commit','batch_reopen') ORDER BY e.seq DESC LIMIT 1),"
    "    'open') AS state FROM batches b;"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
    "  SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
    "  SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER records_no_update BEFORE UPDATE ON sheet_records BEGIN"
    "  SELECT RAISE(ABORT, 'sheet records are never changed'); END;"
    "CREATE TRIGGER records_no_delete BEFORE DELETE ON sheet_records BEGIN"
    "  SELECT RAISE(ABORT, 'sheet records are never changed'); END;"
    "CREATE TRIGGER pages_no_update BEFORE UPDATE ON pages BEGIN"
    "  SELECT RAISE(ABORT, 'pages are never changed'); END;"
    "CREATE TRIGGER pages_no_delete BEFORE DELETE ON pages BEGIN"
    "  SELECT RAISE(ABORT, 'pages are never changed'); END;"
    "CREATE TRIGGER batches_no_update BEFORE UPDATE ON batches BEGIN"
    "  SELECT RAISE(ABORT, 'batches are never changed'); END;"
    "CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches BEGIN"
    "  SELECT RAISE(ABORT, 'batches are never changed'); END;"
    "CREATE TRIGGER package_no_update BEFORE UPDATE ON package BEGIN"
    "  SELECT RAISE(ABORT, 'the package is never changed'); END;"
    "CREATE TRIGGER package_no_delete BEFORE DELETE ON package BEGIN"
    "  SELECT RAISE(ABORT, 'the package is never changed'); END;"
    "CREATE TRIGGER operators_no_delete BEFORE DELETE ON operators BEGIN"
    "  SELECT RAISE(ABORT, 'operators are never deleted'); END;"
    "CREATE TRIGGER operators_only_password BEFORE UPDATE OF name, role,"
    "  created ON operators BEGIN"
    "  SELECT RAISE(ABORT, 'only an operator''s password may change'); END;";

static const char *const MIGRATIONS[ST_SCHEMA_VERSION] = {MIGRATION_1};

static int user_version(st_db *db, int *v)
{
    sqlite3_stmt *st = NULL;
    int rc = st_prepare(db, &st, "PRAGMA user_version");
    if (rc < 0)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = st_sql_error(db, "read schema version");
    else
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int st_schema_migrate(st_db *db)
{
    int v = 0, rc;
    if ((rc = user_version(db, &v)) < 0)
        return rc;
    if (v > ST_SCHEMA_VERSION)
        return err_set(TELLE_EFORMAT,
                       "%s: schema version %d is newer than this telle's %d",
                       db->path, v, ST_SCHEMA_VERSION);
    if (v == 0) {
        /* A version-0 file must be empty: refuse someone else's database. */
        sqlite3_stmt *st = NULL;
        if ((rc = st_prepare(db, &st, "SELECT count(*) FROM sqlite_master")) < 0)
            return rc;
        int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_finalize(st);
        if (n != 0)
            return err_set(TELLE_EFORMAT,
                           "%s: not a telle store (it has tables but no "
                           "schema version)", db->path);
    }
    while (v < ST_SCHEMA_VERSION) {
        char *msg = NULL, setv[48];
        if ((rc = st_tx_begin(db)) < 0)
            return rc;
        /* Re-read under the write lock: another process may have migrated. */
        if ((rc = user_version(db, &v)) < 0 || v >= ST_SCHEMA_VERSION) {
            st_tx_rollback(db);
            return rc;
        }
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(db->db, MIGRATIONS[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db->db, setv, NULL, NULL, &msg) != SQLITE_OK) {
            err_set(TELLE_EIO, "%s: migration to schema version %d: %s",
                    db->path, v + 1, msg ? msg : "?");
            sqlite3_free(msg);
            st_tx_rollback(db);
            return TELLE_EIO;
        }
        if ((rc = st_tx_commit(db)) < 0)
            return rc;
        v++;
    }
    return 0;
}
