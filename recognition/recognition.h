/* recognition.h - from the page images of one sheet to its sheet record
 * (../shared/spec/ballot-record.md). A pure function of (package, pages):
 * no database, no files, no clock, so replay gives byte-identical records.
 *
 * How a sheet is read, stage by stage (each stage is one file):
 *   engine.c    prepares each reference side once: ink mask, the "explained"
 *               mask (reference ink dilated by REC print tolerance), a 50-dpi
 *               density map and the corner-mark templates.
 *   page.c      normalises a page: 8-bit gray at the reference resolution,
 *               paper level, ink mask, 50-dpi density map, and its 180-degree
 *               turn.
 *   register.c  finds the corner marks of a reference side on a page (coarse
 *               at 50 dpi, refined at full resolution) and fits the affine
 *               map reference -> page: skew, shift and scale in one.
 *   identify.c  scores every side of every style in both orientations by the
 *               overlap (Dice) of page ink and reference ink after
 *               registration, and picks the style and sides of the sheet.
 *   ink.c       warps the page into the reference frame, removes everything
 *               the reference explains, and sorts what remains into
 *               vote-box marks, the stamp, and writing (grouped into entries
 *               with their boxes in millimetres).
 *   sheet.c     turns that into marks, write-in counts, stamp, reasons and
 *               the outcome.
 *   record_json.c  writes the record as one line of JSON.
 *
 *   rec_engine_new / rec_engine_free   package + prepared references
 *   rec_sheet_read                     read one sheet's pages
 *   rec_sheet_expect_election          check against the batch's election
 *   rec_sheet_free
 *   rec_sheet_is_ballot                false when no page is a ballot (e.g.
 *                                      a label sheet: cli/ asks scanner/)
 *   rec_sheet_to_json                  the record as one JSON line
 */
#ifndef TELLE_RECOGNITION_H
#define TELLE_RECOGNITION_H

#include "core/image.h"
#include "core/package.h"

#include <stdbool.h>

/* Thresholds, all documented where they are used (recognition_internal.h
 * carries their reasons). REC_OPTIONS_INIT holds the defaults. */
typedef struct {
    double print_tolerance_mm;   /* reference ink is dilated by this before it
                                    explains page ink: print misregistration,
                                    scanner blur and G4 edge noise */
    double writing_min_ink_mm2;  /* an unexplained group with less ink than
                                    this is scanner noise or dust */
    double mark_marked;          /* box score at or above, with the mark
                                    spanning mark_min_extent of the box:
                                    marked */
    double mark_min_extent;      /* a dot (compact) is marginal, a cross,
                                    tick, slash or fill spans the box */
    double mark_min_dark;        /* share of a mark's ink that must be dark
                                    pen: an erased cross is marginal */
    double mark_empty;           /* box score below: empty; between: marginal */
    double min_page_match;       /* Dice below this: the page is no side of
                                    any style */
} rec_options;

#define REC_OPTIONS_INIT {0.5, 0.5, 0.08, 0.4, 0.5, 0.012, 0.45}

typedef struct rec_engine rec_engine;

/* Prepares every reference side of pkg. pkg must outlive the engine. The
 * engine is read-only afterwards and may be shared by threads. */
int rec_engine_new(rec_engine **out, const pkg_package *pkg,
                   const rec_options *opt);
void rec_engine_free(rec_engine *e);

/* One page as it came from a file or the archive. */
typedef struct {
    const img *image; /* NULL: the page could not be decoded (unreadable) */
    const char *file; /* as named on the command line or in the archive */
    int page;         /* 1-based index in that file */
} rec_page_in;

typedef struct rec_sheet rec_sheet;

/* Reads one sheet: 1 page (simplex) or 2 (duplex), in scan order.
 * Returns 0 and a record, even for a sheet that is unreadable (the record
 * says so); negative only for NOMEM/INVAL. */
int rec_sheet_read(rec_sheet **out, const rec_engine *e,
                   const rec_page_in *pages, int n_pages);

/* The batch's election, when known (from its label or the command line): a
 * ballot of another election gets `wrong_election` and goes to review.
 * Kept apart from rec_sheet_read because a label sheet met in the stream
 * decides it for the sheets after it, which may be read in parallel. */
void rec_sheet_expect_election(rec_sheet *s, const char *election);
void rec_sheet_free(rec_sheet *s);

/* False when no page of the sheet is any side of any style. */
bool rec_sheet_is_ballot(const rec_sheet *s);

/* What the caller knows about the sheet's place in its batch. */
typedef struct {
    const char *sheet; /* "batch-0001.tif#3" */
    const char *batch; /* NULL when unknown */
    const char *krets, *category; /* NULL when unknown */
} rec_sheet_meta;

/* The record as one line of JSON (no newline), keys in the order of
 * ballot-record.md. *out is malloc'd; caller frees. */
int rec_sheet_to_json(char **out, const rec_sheet *s, const rec_sheet_meta *m);

#endif
