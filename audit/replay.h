/* replay.h - re-read a count from its images and check everything the
 * store says about it (issue 8: "an auditor with the image archive and the
 * database must get the same count without trusting the station").
 *
 * au_replay walks every batch and every stored sheet record, decodes each
 * archived page, checks the page's pixel hash against the store and the
 * record, re-runs recognition with the stored package and the same sheet
 * meta, and compares the new record text with the stored one byte for
 * byte. It then re-derives each batch's tallies and compares them with the
 * committed batch_commit payload, checks that every decision names the hash
 * of the record it was made on, looks for image files nobody names, and
 * verifies the event chain and the stored records' hashes. Everything it
 * finds goes into an au_report; au_replay itself fails only when it cannot
 * run at all (store unreadable, package missing or not the stored one).
 *
 *   au_replay            run the replay over a store
 *   au_report_agrees     true when nothing differs
 *   au_report_to_json    the report as a JSON object
 *   au_finding_kind_name the name a finding kind has in the JSON
 *   au_report_free       free a report; accepts NULL
 */
#ifndef TELLE_AUDIT_REPLAY_H
#define TELLE_AUDIT_REPLAY_H

#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* What one finding is about. Every kind means "the store and the evidence
 * disagree here"; a report without findings agrees. */
typedef enum {
    AU_RECORD_DIFFERS,   /* the re-read record differs: field, old, new */
    AU_IMAGE_MISSING,    /* a page's image file does not exist */
    AU_IMAGE_UNREADABLE, /* the file exists but the page does not decode */
    AU_IMAGE_EXTRA,      /* a file in an archive folder no page names */
    AU_PAGE_HASH,        /* decoded pixels do not have the stored hash:
                            field "pages[i].sha256" (the record's), or
                            "page row" when only the page row's differs */
    AU_RECORD_HASH,      /* a stored record's text does not have its stored
                            hash, or that is not the hash its record_add
                            event logged, or the record or its event is
                            missing (st_records_verify's checks) */
    AU_TALLY_DIFFERS,    /* derived tallies differ from the committed ones:
                            field (JSON path), committed (old), derived (new) */
    AU_DECISION_HASH,    /* a decision names another hash than the record's */
    AU_CHAIN,            /* the event chain is broken at seq */
    AU_STORE,            /* rows and log disagree otherwise: a page row
                            unlike its page_add event, a record with
                            another number of pages than its rows, a
                            batch whose state does not derive */
} au_finding_kind;

/* One disagreement. Strings are owned by the report; any may be NULL when
 * it does not apply to the kind. */
typedef struct {
    au_finding_kind kind;
    char *batch;
    char *sheet;     /* "batch-0001.tif#3" */
    char *path;      /* the image file concerned */
    char *field;     /* JSON path: "marks[3].state", "lists.SP.approved" */
    char *old_value; /* what the store says (JSON text for values) */
    char *new_value; /* what replay finds */
    int64_t seq;     /* the event concerned; 0 when none */
    char *message;   /* one line a person can read */
} au_finding;

typedef struct {
    int batches;           /* batches in the store */
    int sheets_checked;    /* stored records re-read */
    int sheets_identical;  /* of which byte-identical */
    int sheets_differing;  /* of which re-read and different */
    int sheets_not_reread; /* of which not re-read: an image missing or
                              unreadable, or the record names none */
    int pages_checked;     /* page images decoded and hashed */
    int batches_committed; /* batches with a commit in effect */
    int tallies_compared;  /* committed batches whose tallies were re-derived */
    int decisions_checked; /* decide events whose record hash was checked */
    int unnamed_non_ballot;/* image files no page names that are no ballot
                              (a batch's label sheet): not a finding */
    st_chain_report chain; /* st_chain_verify's report */
    int64_t records_bad;   /* records failing those checks (the count
                              st_records_verify would give) */
    char package_sha256[65];
    au_finding *findings;  /* in a deterministic order: per batch in
                              creation order, per sheet in scan order, then
                              store-wide findings */
    int n_findings;
    double seconds;        /* wall time of the replay */
} au_report;

/* Called from the thread that called au_replay after each sheet, with the
 * sheets done and the total; for a progress line. */
typedef void (*au_progress_fn)(void *ctx, int done, int total);

typedef struct {
    /* NULL: each page's stored archive_path. Otherwise the image of a page
     * is archive_dir/<batch>/<basename of archive_path>: the layout of
     * `telle audit export`, so an archive copied to another machine can be
     * replayed. Extra files are looked for in the same folders. */
    const char *archive_dir;
    /* NULL: the package folder stored in the store. Its election.json must
     * have the stored SHA-256, else au_replay fails: recognition with
     * another package proves nothing. */
    const char *package_dir;
    int threads;             /* workers; 0 = one per online core */
    au_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} au_replay_options;

#define AU_REPLAY_OPTIONS_INIT {NULL, NULL, 0, NULL, NULL}

/* Replays the store db (opened read-only is enough: au_replay only reads,
 * and only from the calling thread; workers get the records and page rows
 * in memory, one batch at a time, so memory follows the largest batch). The
 * report is complete even when it finds differences: those are findings,
 * not errors. Returns 0 and *out (free with au_report_free); TELLE_EINVAL
 * (bad options), TELLE_ESTATE (no package stored), TELLE_EFORMAT (the
 * package's election.json has another hash than the stored one, or does
 * not load), TELLE_EIO (store unreadable), TELLE_ENOMEM. */
int au_replay(au_report **out, st_db *db, const au_replay_options *opt);

/* True when the report has no findings. */
bool au_report_agrees(const au_report *r);

/* The report as JSON:
 *   {"agrees", "seconds", "package_sha256", "batches",
 *    "sheets":{"checked","identical","differing","not_reread"}, "pages_checked",
 *    "batches_committed", "tallies_compared", "decisions_checked",
 *    "records_bad", "unnamed_non_ballot",
 *    "chain":{"entries","head","ok","seq","problem","message"},
 *    and one array per finding kind, empty when none:
 *    "differing":[{"batch","sheet","field","old","new"}],
 *    "missing_images":[{"batch","sheet","path"}],
 *    "unreadable_images":[{"batch","sheet","path","message"}],
 *    "extra_images":[{"batch","path"}],
 *    "hash_mismatches":[{"batch","sheet","path","field","stored","pixels"}],
 *    "record_hash_mismatches":[{"batch","sheet","seq","message"}],
 *    "tally_differences":[{"batch","field","committed","derived","seq"}],
 *    "decision_mismatches":[{"batch","sheet","seq","named","record"}],
 *    "chain_problems":[{"batch","sheet","seq","message"}],
 *    "other":[{"batch","sheet","seq","message"}]}
 * "old"/"new"/"committed"/"derived" are JSON values (null when absent).
 * Caller owns *out (json_decref). Returns 0 or TELLE_ENOMEM. */
int au_report_to_json(json_t **out, const au_report *r);

/* "record_differs", "image_missing", ... */
const char *au_finding_kind_name(au_finding_kind k);

void au_report_free(au_report *r);

#endif
