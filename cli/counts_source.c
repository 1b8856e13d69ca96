/* counts_source.c - the counts document and the package, from a store or
 * from files (see counts_source.h).
 *
 *   cli_counts_load
 */
#include "cli/counts_source.h"

#include "cli/counts_db.h"
#include "core/error.h"
#include "count/export.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

/* Messages do not name the file: the caller does (jansson names it when
 * it cannot open it). */
static int load_json_file(json_t **out, const char *path)
{
    json_error_t jerr;
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (*out)
        return 0;
    if (jerr.line < 0)
        return err_set(TELLE_EIO, "%s", jerr.text);
    return err_set(TELLE_EFORMAT, "line %d, column %d: %s", jerr.line,
                   jerr.column, jerr.text);
}

/* The store's counts document and its own election.json. */
static int load_from_db(json_t **counts, json_t **package, const char *path)
{
    st_db *db = NULL;
    char *text = NULL;
    json_error_t jerr;
    int rc;
    if ((rc = st_db_open(&db, path, ST_OPEN_READONLY)) < 0 ||
        (rc = counts_from_db(counts, db)) < 0 ||
        (rc = st_package_get(&text, NULL, db)) < 0)
        goto done;
    if (!(*package = json_loads(text, 0, &jerr)))
        rc = err_set(TELLE_EFORMAT, "stored election.json: %s", jerr.text);
done:
    if (rc < 0) {
        json_decref(*counts);
        *counts = NULL;
    }
    free(text);
    st_db_close(db);
    return rc;
}

int cli_counts_load(json_t **counts, json_t **package, const char *db,
                    const char *counts_file, const char *package_dir)
{
    *counts = NULL;
    *package = NULL;
    int rc;
    if (db)
        return load_from_db(counts, package, db);
    if ((rc = load_json_file(counts, counts_file)) < 0)
        return rc;
    /* A counts document from elsewhere: its sums must add up before
     * anything is built on it (a settle file has no "format"). */
    if (json_object_get(*counts, "format") &&
        (rc = cnt_counts_validate(*counts)) < 0) {
        json_decref(*counts);
        *counts = NULL;
        return rc;
    }
    if (!package_dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/election.json", package_dir);
    if ((rc = load_json_file(package, path)) < 0) {
        err_prefix("%s: ", path);
        json_decref(*counts);
        *counts = NULL;
    }
    return rc;
}
