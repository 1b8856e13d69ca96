/* cmd_audit.c - `telle audit`: the audit package for another machine
 * (audit/export.h) and the cast vote records alone (audit/cvr.h).
 *
 *   telle audit export --db FILE --out DIR [--package DIR]
 *   telle audit cvr    --db FILE [--out FILE]
 *
 *   cmd_audit
 */
#include "cli/commands.h"
#include "cli/counts_db.h"

#include "audit/cvr.h"
#include "audit/export.h"
#include "core/error.h"
#include "count/counts.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle audit export --db FILE --out DIR [--package DIR]\n"
            "       telle audit cvr --db FILE [--out FILE]\n"
            "  export: a self-contained audit package in DIR (new or empty): a copy\n"
            "    of the store, the election package, every archived image, the\n"
            "    sheet records, the decisions with their operators, the counts,\n"
            "    NIST SP 1500-103 cast vote records and a manifest of SHA-256\n"
            "    hashes. Check it elsewhere with\n"
            "      telle replay --db DIR/telle.db --archive DIR/archive --package DIR/package\n"
            "    --package: the package folder when the stored path does not reach it.\n"
            "  cvr: the cast vote records (JSON) alone, to FILE or standard output.\n"
            "Exit status: 0 done, 1 failed or images missing, 2 usage.\n");
}

/* The counts document's text of the copied store. */
static int counts_text(char **text, st_db *copy, void *ctx)
{
    (void)ctx;
    json_t *doc = NULL;
    *text = NULL;
    int rc = counts_from_db(&doc, copy);
    if (rc < 0)
        return rc;
    *text = cnt_counts_dumps(doc);
    json_decref(doc);
    return *text ? 0 : err_set(TELLE_ENOMEM, "out of memory");
}

static int run_export(const char *db_path, const char *out, const char *pkg)
{
    st_db *db = NULL;
    au_export_summary sum;
    au_export_options opt = AU_EXPORT_OPTIONS_INIT;
    opt.package_dir = pkg;
    opt.counts = counts_text;
    if (st_db_open(&db, db_path, ST_OPEN_READONLY) < 0) {
        fprintf(stderr, "telle audit export: %s\n", err_message());
        return 1;
    }
    int rc = au_export(&sum, db, out, &opt);
    st_db_close(db);
    if (rc < 0) {
        fprintf(stderr, "telle audit export: %s\n", err_message());
        if (pkg == NULL && strstr(err_message(), "package folder the store names"))
            fprintf(stderr, "telle audit export: give the package folder with --package DIR\n");
        return 1;
    }
    printf("%s: %d batches, %d sheets, %d pages in %d image files, %d decision events, "
           "%d files in the manifest\n", out, sum.batches, sum.sheets, sum.pages, sum.images,
           sum.decisions, sum.files);
    printf("chain: %s, head %s\n", sum.chain_ok ? "whole" : sum.chain_message,
           sum.head_hash[0] ? sum.head_hash : "(empty)");
    printf("check it: telle replay --db %s/telle.db --archive %s/archive --package %s/package\n",
           out, out, out);
    if (sum.images_missing > 0) {
        fprintf(stderr, "telle audit export: %d image file%s named by pages %s missing; "
                "listed in %s/manifest.json (missing_images)\n", sum.images_missing,
                sum.images_missing == 1 ? "" : "s", sum.images_missing == 1 ? "is" : "are",
                out);
        return 1;
    }
    if (!sum.chain_ok) {
        fprintf(stderr, "telle audit export: the event chain is broken: %s\n",
                sum.chain_message);
        return 1;
    }
    return 0;
}

static int run_cvr(const char *db_path, const char *out)
{
    st_db *db = NULL;
    int status = 1;
    if (st_db_open(&db, db_path, ST_OPEN_READONLY) < 0 ||
        au_cvr_write(db, out ? out : "/dev/stdout", NULL) < 0) {
        fprintf(stderr, "telle audit cvr: %s\n", err_message());
        goto done;
    }
    status = 0;
done:
    st_db_close(db);
    return status;
}

int cmd_audit(int argc, char **argv)
{
    const char *db = "telle.db", *out = NULL, *pkg = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    for (int i = 2; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--db") == 0 && has)
            db = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && has)
            out = argv[++i];
        else if (strcmp(argv[i], "--package") == 0 && has)
            pkg = argv[++i];
        else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle audit: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (strcmp(sub, "export") == 0) {
        if (out == NULL) {
            fprintf(stderr, "telle audit export: say where with --out DIR\n");
            return 2;
        }
        return run_export(db, out, pkg);
    }
    if (strcmp(sub, "cvr") == 0)
        return run_cvr(db, out);
    fprintf(stderr, "telle audit: unknown command '%s'\n", sub);
    usage(stderr);
    return 2;
}
