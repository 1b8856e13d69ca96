/* cvr.h - the count's sheet records and the decisions in effect as NIST SP
 * 1500-103 cast vote records (Cast Vote Records Common Data Format
 * Specification, version 1.0, JSON form; schema vendored in
 * audit/schema/, mapping described in audit/cvr.c).
 *
 *   au_cvr_report   the whole store as one CVR.CastVoteRecordReport
 *   au_cvr_write    the same, streamed to a file batch by batch
 */
#ifndef TELLE_AUDIT_CVR_H
#define TELLE_AUDIT_CVR_H

#include "store/store.h"

#include <jansson.h>

/* The CVRSnapshot Type of the machine's reading and of the sheet after a
 * person's decision (see the note on CVRType in cvr.c). */
#define AU_CVR_MACHINE_TYPE "original"
#define AU_CVR_DECIDED_TYPE "modified"

/* Builds the report: one CVR per stored sheet record (every batch in
 * creation order, sheets in scan order) with a CVRSnapshot of type
 * AU_CVR_MACHINE_TYPE (the record) and, when a decision is in effect,
 * one of type AU_CVR_DECIDED_TYPE (the decision) that is then the
 * current snapshot; the elections, lists (as parties), candidates and
 * contests of the stored package; the area and the kretser of the batches
 * as GpUnits. generated_date ("2026-11-22T12:00:00Z") is written as
 * GeneratedDate; NULL means now. Caller owns *out (json_decref).
 * Returns 0, TELLE_ESTATE (no package stored), TELLE_EFORMAT (a stored
 * record, payload or the package does not parse), TELLE_EIO, TELLE_ENOMEM. */
int au_cvr_report(json_t **out, st_db *db, const char *generated_date);

/* The same report written to the file path as JSON, one batch at a time:
 * memory is that of one batch's CVRs, whatever the size of the count (a
 * city's few hundred thousand sheets do not fit au_cvr_report's one
 * object). The "CVR" array comes first, one CVR a line; the other members
 * follow. Returns 0 or what au_cvr_report returns, TELLE_EIO for the file
 * (a partial file is left behind on error). */
int au_cvr_write(st_db *db, const char *path, const char *generated_date);

#endif
