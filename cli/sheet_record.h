/* sheet_record.h - the sheet record as `telle interpret` writes it for image
 * files and `telle scan --package` for the archived pages: one function
 * serves both, so the two write the same bytes for the same sheet.
 *
 *   cli_sheet_name        the sheet's name: FILE#INDEX
 *   cli_sheet_record      its record under the batch label it follows
 *   cli_record_in_review  whether a record waits for a person
 */
#ifndef TELLE_CLI_SHEET_RECORD_H
#define TELLE_CLI_SHEET_RECORD_H

#include "recognition/recognition.h"
#include "scanner/archive.h"

#include <stdbool.h>

/* Room for an archive path (a batch folder, "/", a file name) and the
 * index; a longer name is cut. */
enum { CLI_SHEET_NAME_MAX = 4200 };

/* Writes "FILE#INDEX" into name: file is the sheet's first page's file as
 * the command was given it or the archive names it, index the sheet's
 * 1-based place since the last label sheet. */
void cli_sheet_name(char name[CLI_SHEET_NAME_MAX], const char *file,
                    int index);

/* The record of sheet s, named name, as one line of JSON (no newline):
 * batch, krets and category come from label (an empty field: unknown), and
 * s is checked against label's election (empty: not checked). *json is
 * malloc'd; the caller frees it. Returns 0 or the code of
 * rec_sheet_to_json with the message set; the caller names the sheet. */
int cli_sheet_record(char **json, rec_sheet *s, const char *name,
                     const scan_batch_meta *label);

/* True when the record's outcome is review (counted in progress lines). */
bool cli_record_in_review(const char *json);

#endif
