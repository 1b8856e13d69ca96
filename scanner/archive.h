/* archive.h - the crash-safe image archive: one folder per batch, one TIFF
 * per page, an append-only journal.
 *
 * Layout: ROOT/BATCH/pNNNNNN.tif (one page each: CCITT G4 for 1-bit, LZW
 * for gray and colour) and ROOT/BATCH/journal.jsonl, JSON Lines:
 *   {"type":"batch","batch":..,"election":..,"krets":..,"category":..,
 *    "sides":2,"time":..}                                   first line
 *   {"type":"page","batch":..,"sheet":57,"side":"front","file":"p000113.tif",
 *    "pixels_sha256":..,"file_sha256":..,"width":..,"height":..,
 *    "scanner":..,"time":..}          sheet 0 is a label sheet's page
 *   {"type":"resume","from_sheet":57,"time":..}
 * A resume line voids every page of sheet >= from_sheet written before it:
 * those sheets are fed again. A page's pixel hash is hash_sha256_pixels of
 * the page as scanned (the file decodes to exactly those pixels).
 *
 * Durability, in this order for every page: the TIFF is written to
 * NAME.tmp, fsynced, renamed to NAME, the folder fsynced, then the journal
 * line appended and fsynced; only then does scan_archive_page_add return
 * (and the scanner's next page get read). A kill at any point loses at most
 * that page: a leftover .tmp file, or a page file no journal line names, is
 * deleted when the batch is next opened for writing; a torn last journal
 * line (no newline, or not JSON) is dropped and the file truncated to the
 * last whole line. A line in the middle that is not JSON is corruption and
 * an error, never silently skipped.
 *
 * Checks on each ballot page (not on label pages), before anything is
 * written:
 *   - double feed by length: a page more than SCAN_DOUBLE_FEED_RATIO times
 *     the height of the batch's first page;
 *   - double feed by content: a page pixel-identical to the page just
 *     before it, or a sheet whose sides are all pixel-identical to the
 *     previous sheet's (a scanner re-delivering an image or a sheet). Real
 *     scans are never pixel-identical; two noise-free renders of the same
 *     ballot in a row would be refused;
 *   - unexpected size: a page whose width differs from the first page's by
 *     more than SCAN_WIDTH_TOLERANCE.
 *
 *   scan_batch_meta_check   validate election, krets, category, batch
 *   scan_label_parse        "TELLE;election=..;krets=..;category=..;batch=.."
 *   scan_label_read         find and parse a label's Code 128 on a page
 *   scan_archive_open       open or create a batch (modes below)
 *   scan_archive_close      accepts NULL
 *   scan_archive_page_add   checks, writes, fsyncs, journals one page
 *   scan_archive_next_sheet the sheet to feed next
 *   scan_archive_sheets     complete sheets (labels not counted)
 *   scan_archive_records    the valid page records (voided ones left out)
 *   scan_archive_has_pixels whether a pixel hash is archived (valid)
 *   scan_archive_torn       journal lines dropped when opening
 *   scan_archive_verify     re-hash every valid page file (and pixels)
 *   scan_archive_dir / _meta / _sides
 */
#ifndef TELLE_SCANNER_ARCHIVE_H
#define TELLE_SCANNER_ARCHIVE_H

#include "core/hash.h"
#include "core/image.h"

#include <stdbool.h>
#include <stddef.h>

/* A double feed puts two sheets end to end: twice the length. Scanners
 * vary the length of one sheet by a few percent (skew, slip); 1.4 leaves a
 * wide margin on both sides. */
#define SCAN_DOUBLE_FEED_RATIO 1.4
/* Width is set by the paper guides; 10 % catches a wrong paper size. */
#define SCAN_WIDTH_TOLERANCE 0.10

enum { SCAN_META_FIELD = 64 };

typedef struct {
    char election[SCAN_META_FIELD];
    char krets[SCAN_META_FIELD];
    char category[SCAN_META_FIELD]; /* FO, FS, VO, VS or VB */
    char batch[SCAN_META_FIELD];    /* also the folder name */
} scan_batch_meta;

/* Every field non-empty and of [A-Za-z0-9._-] (the batch names a folder),
 * category one of the five codes. Returns 0 or TELLE_EINVAL naming the
 * field. */
int scan_batch_meta_check(const scan_batch_meta *m);

/* Parses label text "TELLE;election=KS;krets=0001;category=VO;batch=..."
 * (fields in any order). Returns 0, or TELLE_EFORMAT when it is not a telle
 * label or a field is missing or invalid. */
int scan_label_parse(scan_batch_meta *out, const char *text);

/* Looks for a telle label (a Code 128 whose text starts with "TELLE;") on a
 * page. First the whole page, binarised and reduced by an integer factor to
 * at most 1300 px wide (~150 dpi for A4); when that finds nothing, the band
 * of rows richest in black/white transitions (the barcode, wherever it is
 * on the page) is cut out and decoded at full resolution, for labels whose
 * bars are too narrow for 150 dpi. The full page at full resolution is never
 * handed to the decoder. Sets *found; returns 0 (found or not),
 * TELLE_EFORMAT for a telle label whose text is invalid, TELLE_ENOMEM. */
int scan_label_read(scan_batch_meta *out, bool *found, const img *page);

typedef enum {
    SCAN_ARCHIVE_CREATE, /* new batch; an existing batch with pages is
                            TELLE_ESTATE, the message saying where it
                            stopped and to resume */
    SCAN_ARCHIVE_RESUME, /* existing batch; when the last sheet is
                            incomplete, a resume line voids its pages */
    SCAN_ARCHIVE_APPEND, /* RESUME when the batch exists, else CREATE */
    SCAN_ARCHIVE_READ,   /* read-only: nothing written, nothing cleaned */
} scan_archive_mode;

typedef struct scan_archive scan_archive;

/* Opens ROOT/meta->batch. `sides` is 2 for duplex batches, 1 for simplex;
 * with RESUME/APPEND/READ of an existing batch it must match the batch (or
 * be 0: take the batch's). With RESUME and APPEND the election, krets and
 * category must match the batch's: a mismatch is TELLE_EINVAL ("label says
 * krets 0002, batch 0001-VO-01 is krets 0001"). `scanner` is recorded in
 * every page line (may be NULL). Returns 0, TELLE_EINVAL, TELLE_ESTATE,
 * TELLE_EIO, TELLE_EFORMAT (a corrupt journal), TELLE_ENOMEM. */
int scan_archive_open(scan_archive **out, const char *root,
                      const scan_batch_meta *meta, int sides,
                      scan_archive_mode mode, const char *scanner);

/* Same as scan_archive_open in READ mode, for a batch folder by path. */
int scan_archive_open_dir(scan_archive **out, const char *batch_dir);

void scan_archive_close(scan_archive *a);

/* One page's record. */
typedef struct {
    int sheet;                          /* 0: a label sheet's page */
    int side;                           /* 0 front, 1 back */
    char file[32];                      /* name in the batch folder */
    char pixels_sha256[HASH_HEX_LEN + 1];
    char file_sha256[HASH_HEX_LEN + 1];
    int width, height;
} scan_archive_record;

/* Archives one page of `sheet` (0 for a label sheet) and `side`, in feeding
 * order: the next side of the sheet being fed, or side 0 of
 * scan_archive_next_sheet(). Returns 0 once the page is durable (out, may be
 * NULL, gets its record); TELLE_EDOUBLE_FEED or TELLE_EFORMAT from the
 * checks above with a message naming the sheet to re-feed from; TELLE_EINVAL
 * for a page out of order; TELLE_EIO. Nothing is journalled on failure. */
int scan_archive_page_add(scan_archive_record *out, scan_archive *a,
                          int sheet, int side, const img *page);

int scan_archive_next_sheet(const scan_archive *a);
int scan_archive_sheets(const scan_archive *a);

/* The valid page records in journal order; owned by a, valid until the
 * next call or close. NULL (count 0) when out of memory. */
const scan_archive_record *scan_archive_records(scan_archive *a,
                                                size_t *count);

bool scan_archive_has_pixels(const scan_archive *a,
                             const char hex[HASH_HEX_LEN + 1]);

/* Journal lines dropped as torn when the batch was opened (0 or 1). */
int scan_archive_torn(const scan_archive *a);

/* Re-hashes every valid page file against its journal line; with
 * `pixels`, also decodes it and checks the pixel hash. *checked (may be
 * NULL) gets the number of pages checked. Returns 0 or TELLE_EFORMAT naming
 * the first file that does not match, TELLE_EIO. */
int scan_archive_verify(int *checked, const scan_archive *a, bool pixels);

const char *scan_archive_dir(const scan_archive *a);
const scan_batch_meta *scan_archive_meta(const scan_archive *a);
int scan_archive_sides(const scan_archive *a);

#endif
