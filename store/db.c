/* db.c - opening and closing a store, transactions, SQLite helpers.
 *
 *   st_db_open, st_db_close, st_db_path, st_db_handle
 *   st_tx_begin, st_tx_commit, st_tx_rollback
 */
#include "store/store_internal.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Long enough for another operator's decision (milliseconds) or a batch
 * load (a second or two) to finish; short enough that a stuck process is
 * reported rather than waited on forever. */
enum { ST_BUSY_TIMEOUT_MS = 10000 };

int st_sql_error(st_db *db, const char *what)
{
    int ext = sqlite3_extended_errcode(db->db);
    int code = (ext & 0xff) == SQLITE_CONSTRAINT ? TELLE_ESTATE : TELLE_EIO;
    return err_set(code, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

int st_prepare(st_db *db, sqlite3_stmt **out, const char *sql)
{
    *out = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, out, NULL) != SQLITE_OK)
        return st_sql_error(db, "prepare");
    return 0;
}

char *st_column_dup(sqlite3_stmt *st, int col, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t == NULL)
        return NULL;
    char *s = strdup((const char *)t);
    if (s == NULL)
        *oom = 1;
    return s;
}

void st_time_now(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

static int exec(st_db *db, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int ext = sqlite3_extended_errcode(db->db);
        int code = (ext & 0xff) == SQLITE_CONSTRAINT ? TELLE_ESTATE : TELLE_EIO;
        err_set(code, "%s: %s: %s", db->path, what, msg ? msg : "?");
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

int st_db_open(st_db **out, const char *path, int flags)
{
    st_db *db = NULL;
    int rc = 0;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return err_set(TELLE_EINVAL, "store: no database file given");
    db = calloc(1, sizeof *db);
    if (db == NULL || (db->path = strdup(path)) == NULL) {
        rc = err_set(TELLE_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    int oflags = (flags & ST_OPEN_READONLY) ? SQLITE_OPEN_READONLY
                                            : SQLITE_OPEN_READWRITE;
    if ((flags & ST_OPEN_CREATE) && !(flags & ST_OPEN_READONLY))
        oflags |= SQLITE_OPEN_CREATE;
    oflags |= SQLITE_OPEN_NOMUTEX; /* one connection per thread */
    if (sqlite3_open_v2(path, &db->db, oflags, NULL) != SQLITE_OK) {
        rc = err_set(TELLE_EIO, "%s: cannot open: %s", path,
                     db->db ? sqlite3_errmsg(db->db) : "out of memory");
        goto done;
    }
    sqlite3_extended_result_codes(db->db, 1);
    sqlite3_busy_timeout(db->db, ST_BUSY_TIMEOUT_MS);
    if (!(flags & ST_OPEN_READONLY)) {
        if ((rc = exec(db, "PRAGMA journal_mode=WAL", "set WAL")) < 0)
            goto done;
    }
    if ((rc = exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL",
                   "set pragmas")) < 0)
        goto done;
    if (flags & ST_OPEN_READONLY) {
        sqlite3_stmt *st = NULL;
        if ((rc = st_prepare(db, &st, "PRAGMA user_version")) < 0)
            goto done;
        int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_finalize(st);
        if (v != ST_SCHEMA_VERSION) {
            rc = err_set(TELLE_EFORMAT,
                         "%s: schema version %d, this telle reads %d", path, v,
                         ST_SCHEMA_VERSION);
            goto done;
        }
    } else if ((rc = st_schema_migrate(db)) < 0) {
        goto done;
    }
    *out = db;
    db = NULL;
done:
    st_db_close(db);
    return rc;
}

void st_db_close(st_db *db)
{
    if (db == NULL)
        return;
    sqlite3_close_v2(db->db);
    free(db->path);
    free(db);
}

const char *st_db_path(const st_db *db) { return db->path; }

void *st_db_handle(st_db *db) { return db->db; }

int st_tx_begin(st_db *db)
{
    if (db->tx_depth > 0)
        return err_set(TELLE_ESTATE, "%s: a transaction is already open",
                       db->path);
    int rc = exec(db, "BEGIN IMMEDIATE", "begin transaction");
    if (rc == 0)
        db->tx_depth = 1;
    return rc;
}

int st_tx_commit(st_db *db)
{
    if (db->tx_depth == 0)
        return err_set(TELLE_ESTATE, "%s: no transaction to commit", db->path);
    int rc = exec(db, "COMMIT", "commit");
    if (rc < 0) {
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    }
    db->tx_depth = 0;
    return rc;
}

void st_tx_rollback(st_db *db)
{
    if (db == NULL || db->tx_depth == 0)
        return;
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    db->tx_depth = 0;
}

int st_in_tx(st_db *db, int (*fn)(st_db *db, void *ctx), void *ctx)
{
    if (db->tx_depth > 0)
        return fn(db, ctx);
    int rc = st_tx_begin(db);
    if (rc < 0)
        return rc;
    if ((rc = fn(db, ctx)) < 0) {
        st_tx_rollback(db);
        return rc;
    }
    return st_tx_commit(db);
}
