/* export.h - delivering the counts: the counts document (telle-counts/1,
 * /tmp/counts-doc.md, count/README.md) as JSON, CSV or OASIS EML 510.
 *
 *   cnt_counts_validate     structure and identities of a counts document
 *   cnt_counts_load         read and validate a counts document file
 *   cnt_counts_not_final    why a document (or one election) is not final
 *   cnt_export_json         the document itself, sorted keys, reproducible
 *   cnt_export_csv          RFC 4180 rows per election x category x krets
 *   cnt_export_eml_count    one EML 510 Count file (one category and krets)
 *   cnt_export_eml_dir      every Count file of an election into a folder
 *
 * Every export is a pure function of the document: no clock, no random
 * TransactionId, so the same counts give byte-identical files. The document
 * is validated before anything is written (cnt_counts_validate), so an
 * export never delivers counts whose sums do not add up.
 *
 * Not final (counts-doc.md): an election with "final": false (a batch still
 * open, or none committed) or "unexplained_differences" > 0. The library
 * exports such a document when asked; refusing it without --preliminary is
 * the caller's (cli/cmd_export.c) decision, and cnt_counts_not_final gives
 * the reason to print. */
#ifndef TELLE_COUNT_EXPORT_H
#define TELLE_COUNT_EXPORT_H

#include <jansson.h>
#include <stdio.h>

/* Checks a counts document: "format" is "telle-counts/1"; every election
 * has id, lists, counts, totals; every count and the totals have
 * non-negative integer ballots/approved/blank/rejected, rejected_by_ground
 * a-d, one "lists" entry per list of the election; and the identities of
 * counts-doc.md hold: approved + blank + rejected == ballots, sum of
 * a-d == rejected, sum of list approved == approved, and over all lists
 * sum(write_ins_given) == sum of every write_ins_received. Returns 0, or
 * TELLE_EFORMAT with a message naming the JSON path
 * ("elections[0].counts[1].ballots: 16 != approved 14 + blank 0 +
 * rejected 1"). */
int cnt_counts_validate(const json_t *doc);

/* Reads the counts document at path and validates it. *out is the caller's
 * (json_decref). Returns 0, TELLE_EIO/TELLE_EFORMAT naming the file. */
int cnt_counts_load(json_t **out, const char *path);

/* *why = NULL when every election (or only `election`, when not NULL) is
 * final; otherwise a malloc'd text naming each reason, one per line:
 * "KS: batches not committed: 0001-VO-02" and "KS: 2 differences from the
 * preliminary count without explanation". Returns 0, TELLE_EINVAL when
 * `election` is not in the document, TELLE_ENOMEM. */
int cnt_counts_not_final(char **why, const json_t *doc, const char *election);

/* The document itself (only `election` when not NULL: "elections" then
 * holds that one), keys sorted, indent 2, reals to 15 significant digits
 * (as cnt_counts_dumps: 1.4 stays "1.4"), newline at the end. Returns 0,
 * TELLE_EINVAL (unknown election), TELLE_EIO (write failed). */
int cnt_export_json(FILE *out, const json_t *doc, const char *election);

/* RFC 4180 CSV, UTF-8 without BOM, CRLF line ends, a header row. Columns
 * (count/README.md, "Export formats"):
 *   status,election,category,krets,row,code,name,count,personal_votes,
 *   write_ins_given,write_ins_received,preliminary,difference,explanation
 * One "list" row per election x category x krets x list (count = approved
 * ballots, personal votes and write-ins received summed over candidates),
 * then "blank", "rejected" rows for grounds a-d and a "ballots" row; status
 * is "final" or "preliminary" (the election is not final). Empty fields
 * where a value does not apply or no preliminary count exists. Returns 0,
 * TELLE_EINVAL (unknown election), TELLE_EIO. */
int cnt_export_csv(FILE *out, const json_t *doc, const char *election);

/* The identifiers EVA Admin (the national system) knows an election by;
 * they come from its configuration (grunnlagsdata), not from the election
 * package, so they are given at export time. NULL fields take the
 * defaults in brackets. */
typedef struct {
    const char *event_id;       /* EventIdentifier/@Id ["telle"] */
    const char *election_group; /* ElectionGroup/@Id and first part of
                                   ReportingUnitIndicator/@Id ["01"] */
    const char *contest_id;     /* ContestIdentifier/@Id [area code] */
    const char *country;        /* first part of EVA area paths ["47"] */
} cnt_eml_options;

#define CNT_EML_OPTIONS_INIT {NULL, NULL, NULL, NULL}

/* One EML 510 Count file (UTF-8 XML, see export_eml.c for the structure
 * and its sources) for counts[count_index] of elections[election_index];
 * transaction is its TransactionId (>= 1). *xml is malloc'd, the caller
 * frees it. Returns 0, TELLE_EINVAL (index, or an area code that is not a
 * 4-digit kommunenummer), TELLE_ENOMEM. */
int cnt_export_eml_count(char **xml, const json_t *doc, size_t election_index,
                         size_t count_index, unsigned transaction,
                         const cnt_eml_options *opt);

/* Writes Count-<election>-<category>-<krets>.xml for every count of every
 * election (or only `election`) into the existing folder dir, in document
 * order, TransactionId 1, 2, ... across the folder. *n_files (may be NULL)
 * gets the number written. A document with no count writes nothing and
 * returns 0. Returns 0, TELLE_EINVAL, TELLE_EIO naming the file. */
int cnt_export_eml_dir(size_t *n_files, const char *dir, const json_t *doc,
                       const char *election, const cnt_eml_options *opt);

#endif
