/* counts_source.c - the counts document and the package, from a store or
 * from files (see counts_source.h).
 *
 *   cli_counts_load
 */
#include "cli/counts_source.h"

#include "core/error.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

static int load_json_file(json_t **out, const char *path)
{
    json_error_t jerr;
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (*out)
        return 0;
    if (jerr.line < 0)
        return err_set(TELLE_EIO, "%s: %s", path, jerr.text);
    return err_set(TELLE_EFORMAT, "%s: line %d, column %d: %s", path,
                   jerr.line, jerr.column, jerr.text);
}

static int load_from_db(json_t **counts, json_t **package, const char *path)
{
    (void)counts;
    (void)package;
    return err_set(TELLE_EINVAL, "%s: reading counts from a store is not "
                   "available yet; give --counts FILE", path);
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
    if (!package_dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/election.json", package_dir);
    if ((rc = load_json_file(package, path)) < 0) {
        json_decref(*counts);
        *counts = NULL;
    }
    return rc;
}
