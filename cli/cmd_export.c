/* cmd_export.c - `telle export`: deliver the counts as JSON (the counts
 * document), CSV or OASIS EML 510 Count files for EVA Admin.
 *
 *   cmd_export
 *
 * The counts come from a store (--db, built by cli/counts_db.h) or from a
 * saved counts document (--counts, e.g. `telle count --json` output copied
 * to another machine). A count that is not final (open batches, or
 * differences from the preliminary count without explanation) is refused
 * unless --preliminary is given; then stderr says so, the CSV marks every
 * row of that election "preliminary", the EML files carry a comment (and
 * Partial when batches are open), and the JSON carries the document's own
 * "final", "open_batches" and "unexplained_differences".
 *
 * Files are written to PATH.tmp and renamed, so a crash never leaves a
 * half-written export under the delivered name. EML goes to a folder (one
 * Count-<election>-<category>-<krets>.xml per count, as EVA's importer
 * reads one category and krets per file); the folder must be new or empty
 * so that files of an earlier export are never delivered with these. */
#include "cli/commands.h"
#include "cli/counts_db.h"

#include "core/error.h"
#include "count/export.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle export (--db FILE | --counts FILE) --format json|csv|eml\n"
            "                    --out PATH [--election ID] [--preliminary]\n"
            "                    [--eva-event ID] [--eva-group ID] [--eva-contest ID]\n"
            "  json: the counts document (telle-counts/1), keys sorted.\n"
            "  csv:  RFC 4180, one row per election, category, krets and list,\n"
            "        plus blank, rejected (a-d) and ballots rows.\n"
            "  eml:  OASIS EML 510 Count files for EVA Admin, one per election,\n"
            "        category and krets, into the folder PATH (new or empty).\n"
            "  PATH '-' writes json or csv to stdout. A count that is not final\n"
            "  (open batches, unexplained differences) is exported only with\n"
            "  --preliminary, and is then marked so. --eva-* give EVA's ids for\n"
            "  the election event, election group and contest (defaults: telle,\n"
            "  01, the area code); see count/README.md.\n");
}

/* True when dir does not exist (then it is created) or is empty. */
static int prepare_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0)
        return 0;
    if (errno != EEXIST)
        return err_set(TELLE_EIO, "%s: %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return err_set(TELLE_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = false;
    closedir(d);
    if (!empty)
        return err_set(TELLE_EINVAL, "%s: folder is not empty (an EML "
                       "delivery goes to a new or empty folder)", dir);
    return 0;
}

/* Writes json or csv to path via path.tmp + rename, or to stdout. */
static int write_file(const char *path, const json_t *doc, bool csv,
                      const char *election)
{
    if (strcmp(path, "-") == 0)
        return csv ? cnt_export_csv(stdout, doc, election)
                   : cnt_export_json(stdout, doc, election);
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    if (!tmp)
        return err_set(TELLE_ENOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = 0;
    if (!f) {
        rc = err_set(TELLE_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    rc = csv ? cnt_export_csv(f, doc, election)
             : cnt_export_json(f, doc, election);
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(TELLE_EIO, "%s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
    if (rc < 0)
        remove(tmp);
done:
    free(tmp);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    const char *db_path = NULL, *counts_path = NULL, *format = NULL;
    const char *out = NULL, *election = NULL;
    bool preliminary = false;
    cnt_eml_options eml = CNT_EML_OPTIONS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && has)
            db_path = argv[++i];
        else if (strcmp(a, "--counts") == 0 && has)
            counts_path = argv[++i];
        else if (strcmp(a, "--format") == 0 && has)
            format = argv[++i];
        else if (strcmp(a, "--out") == 0 && has)
            out = argv[++i];
        else if (strcmp(a, "--election") == 0 && has)
            election = argv[++i];
        else if (strcmp(a, "--eva-event") == 0 && has)
            eml.event_id = argv[++i];
        else if (strcmp(a, "--eva-group") == 0 && has)
            eml.election_group = argv[++i];
        else if (strcmp(a, "--eva-contest") == 0 && has)
            eml.contest_id = argv[++i];
        else if (strcmp(a, "--preliminary") == 0)
            preliminary = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle export: unknown or incomplete argument "
                    "'%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if ((db_path == NULL) == (counts_path == NULL) || !format || !out) {
        fprintf(stderr, "telle export: give one of --db or --counts, and "
                "--format and --out\n");
        usage(stderr);
        return 2;
    }
    bool csv = strcmp(format, "csv") == 0;
    bool is_eml = strcmp(format, "eml") == 0;
    if (!csv && !is_eml && strcmp(format, "json") != 0) {
        fprintf(stderr, "telle export: --format '%s': json, csv or eml\n",
                format);
        return 2;
    }
    if (is_eml && strcmp(out, "-") == 0) {
        fprintf(stderr, "telle export: --format eml writes a folder; "
                "--out - is for json and csv\n");
        return 2;
    }

    st_db *db = NULL;
    json_t *doc = NULL;
    char *why = NULL;
    int status = 1;
    if (counts_path) {
        if (cnt_counts_load(&doc, counts_path) < 0) {
            fprintf(stderr, "telle export: %s\n", err_message());
            goto done;
        }
    } else if (st_db_open(&db, db_path, ST_OPEN_READONLY) < 0 ||
               counts_from_db(&doc, db) < 0 ||
               cnt_counts_validate(doc) < 0) {
        fprintf(stderr, "telle export: %s: %s\n", db_path, err_message());
        goto done;
    }
    if (cnt_counts_not_final(&why, doc, election) < 0) {
        fprintf(stderr, "telle export: %s\n", err_message());
        goto done;
    }
    if (why && !preliminary) {
        fprintf(stderr, "telle export: the counts are not final:\n%s"
                "Explain the differences (telle prelim) and commit every "
                "batch, or export with --preliminary (marked as such).\n",
                why);
        goto done;
    }
    if (why)
        fprintf(stderr, "telle export: PRELIMINARY export, not final:\n%s",
                why);
    if (is_eml) {
        size_t n = 0;
        if (prepare_dir(out) < 0 ||
            cnt_export_eml_dir(&n, out, doc, election, &eml) < 0) {
            fprintf(stderr, "telle export: %s\n", err_message());
            goto done;
        }
        fprintf(stderr, "telle export: %zu EML 510 Count file%s in %s\n", n,
                n == 1 ? "" : "s", out);
    } else if (write_file(out, doc, csv, election) < 0) {
        fprintf(stderr, "telle export: %s\n", err_message());
        goto done;
    }
    status = 0;
done:
    free(why);
    json_decref(doc);
    st_db_close(db);
    return status;
}
