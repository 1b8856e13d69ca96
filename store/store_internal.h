/* store_internal.h - the store handle's fields and helpers shared by the
 * store's own files. Not for other folders. */
#ifndef TELLE_STORE_INTERNAL_H
#define TELLE_STORE_INTERNAL_H

#include "store/store.h"

#include <sqlite3.h>

struct st_db {
    sqlite3 *db;
    char *path;
    int tx_depth; /* 1 inside st_tx_begin; nested begins are refused */
};

/* Sets the error from the connection's last message: "FILE: WHAT: msg".
 * Returns TELLE_EIO (TELLE_ESTATE for a constraint violation). */
int st_sql_error(st_db *db, const char *what);

/* Prepares sql; on failure sets the error. Returns 0 or TELLE_EIO. */
int st_prepare(st_db *db, sqlite3_stmt **out, const char *sql);

/* Duplicates the text of column col (NULL stays NULL). Returns NULL with
 * *oom set when out of memory. */
char *st_column_dup(sqlite3_stmt *st, int col, int *oom);

/* Creates or migrates the schema to ST_SCHEMA_VERSION (schema.c). */
int st_schema_migrate(st_db *db);

/* Runs fn inside a transaction of its own unless one is already open. */
int st_in_tx(st_db *db, int (*fn)(st_db *db, void *ctx), void *ctx);

/* The current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void st_time_now(char buf[32]);

#endif
