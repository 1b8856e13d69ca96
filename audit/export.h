/* export.h - the audit package: everything an auditor needs to check a
 * count on another machine without trusting the station (issue 8).
 *
 *   au_export   write the package into an empty folder
 *
 * Layout of OUT (agreed with `telle replay`, audit/replay.h: an archive's
 * pages are found as archive/<batch>/<file name>):
 *
 *   telle.db           a consistent copy of the store (SQLite online backup)
 *   package/           the election package folder: election.json (with the
 *                      stored SHA-256) and its reference images
 *   archive/<batch>/   every image file a stored page names, nothing else
 *   records.jsonl      every sheet record: {"batch","item","sheet","sha256",
 *                      "outcome","record"} in batch creation and scan order
 *   decisions.jsonl    every decide, reject_confirm, undo, remark,
 *                      batch_commit and batch_reopen event: {"seq","time",
 *                      "operator","kind","subject","payload","hash"}
 *   counts.json        the counts document (telle-counts/1), when the
 *                      caller can make it
 *   cvr.json           NIST SP 1500-103 cast vote records (audit/cvr.h)
 *   README.txt         what the files are and how to check them
 *   manifest.json      SHA-256 and size of every file above, the chain's
 *                      head hash and whether it is whole
 *
 * Everything but the files themselves is read from the copy, so the
 * records, decisions, counts and CVRs describe exactly the copied store.
 * `telle replay --db OUT/telle.db --archive OUT/archive --package
 * OUT/package` replays the copy.
 */
#ifndef TELLE_AUDIT_EXPORT_H
#define TELLE_AUDIT_EXPORT_H

#include "store/store.h"

#include <stdbool.h>

/* Makes the counts document's text from the copied store (cli/ has the
 * code that gathers it). Returns 0 and *text (malloc'd, the export frees
 * it) or a negative TELLE_E* code with the error set. */
typedef int (*au_counts_fn)(char **text, st_db *copy, void *ctx);

typedef struct {
    /* The package folder to copy; NULL: the one stored with the package
     * (relative to the working directory, as telle init was given it). */
    const char *package_dir;
    /* NULL: no counts.json (the README says so). */
    au_counts_fn counts;
    void *counts_ctx;
    /* GeneratedDate of cvr.json and "generated" of the manifest; NULL:
     * now. */
    const char *generated;
} au_export_options;

#define AU_EXPORT_OPTIONS_INIT {NULL, NULL, NULL, NULL}

typedef struct {
    int batches, sheets, pages;
    int images;          /* image files copied */
    int images_missing;  /* files pages name that do not exist: listed in
                            the manifest's "missing_images" */
    int decisions;       /* lines of decisions.jsonl */
    int files;           /* files in the manifest */
    bool counts_written;
    bool chain_ok;
    char head_hash[65];
    char chain_message[256];
} au_export_summary;

/* Writes the audit package of db into out_dir, which must not exist or be
 * empty (it is created, with its parents). A page whose image file is
 * missing does not stop the export: it is counted and listed, and replay
 * of the package will name it. Returns 0 and fills *sum (may be NULL);
 * TELLE_ESTATE (out_dir not empty, no package stored), TELLE_EFORMAT (the
 * package folder's election.json has another SHA-256 than the stored one,
 * two pages of a batch name different files of the same name), TELLE_EIO,
 * TELLE_ENOMEM, or the counts callback's error. A failed export leaves
 * what it wrote in out_dir (it is never a valid package: manifest.json is
 * written last). */
int au_export(au_export_summary *sum, st_db *db, const char *out_dir,
              const au_export_options *opt);

#endif
