/* capture.h - driving a SANE scanner: devices, options, the page loop.
 *
 * telle talks to scanners only through libsane (the dll loader, so any
 * installed backend works, and the project's own backend in tests). Options
 * are found through the device's option descriptors, never by number: the
 * ADF duplex source is picked from the device's own string list, a FIXED or
 * INT resolution is set as the descriptor says, and what was actually set is
 * reported back.
 *
 * SANE status codes are mapped to telle's codes in exactly one place
 * (scan_status_code): JAMMED, NO_DOCS, COVER_OPEN -> TELLE_EJAMMED,
 * TELLE_ENO_DOCS, TELLE_ECOVER_OPEN; NO_MEM -> TELLE_ENOMEM; every other
 * failure -> TELLE_EIO. Double feeds are not a SANE status: the archive
 * detects them from page length and content (archive.h).
 *
 *   scan_sane_init / scan_sane_exit   reference-counted sane_init/sane_exit
 *   scan_status_code                  SANE_Status -> TELLE_E*
 *   scan_devices_list / _free         what libsane sees
 *   scan_device_open / _close         one device by name
 *   scan_device_configure             source, mode, resolution by descriptor
 *   scan_device_settings              what was set, as text
 *   scan_device_option_set            any other option, by name, from text
 *   scan_device_sides                 1 (simplex) or 2 (duplex) as configured
 *   scan_device_page_read             one page: sane_start .. EOF -> img
 *   scan_batch_run                    the loop: pages to a callback until the
 *                                     feeder is empty or a fault stops it
 */
#ifndef TELLE_SCANNER_CAPTURE_H
#define TELLE_SCANNER_CAPTURE_H

#include "core/image.h"

#include <stdbool.h>
#include <stddef.h>

/* Calls sane_init on the first use and sane_exit on the last release. Not
 * thread-safe: call from the thread that drives the scanner. Returns 0 or
 * TELLE_EIO. */
int scan_sane_init(void);
void scan_sane_exit(void);

/* The TELLE_E* code for a SANE_Status (an int here so that this header
 * does not need sane.h); 0 for SANE_STATUS_GOOD. */
int scan_status_code(int sane_status);

typedef struct {
    char *name, *vendor, *model, *type;
} scan_device_info;

/* Lists the devices libsane finds (scan_sane_init must be in effect). The
 * caller frees the list with scan_devices_free. Returns 0 or TELLE_EIO. */
int scan_devices_list(scan_device_info **out, size_t *count);
void scan_devices_free(scan_device_info *list, size_t count);

typedef struct scan_device scan_device;

/* Opens device `name` ("telle:/path", "test:0", "fujitsu:..."). Calls
 * scan_sane_init itself. Returns 0, TELLE_EINVAL (no such device) or
 * TELLE_EIO. Close with scan_device_close (accepts NULL). */
int scan_device_open(scan_device **out, const char *name);
void scan_device_close(scan_device *d);

typedef struct {
    /* The device's own source string, matched without case; NULL picks a
     * feeder: a duplex source when `duplex`, else the simplex feeder. */
    const char *source;
    /* "lineart", "gray" or "color" (or the device's own mode string); NULL
     * means lineart. A device without a lineart mode gets Gray at depth 1
     * when it has a `depth` option. */
    const char *mode;
    /* Dots per inch; 0 leaves the device's default. The nearest value the
     * descriptor allows is set. */
    double resolution_dpi;
    /* Both sides of every sheet: a source naming duplex, or an ADF source
     * plus an `adf-mode` option set to Duplex. */
    bool duplex;
} scan_options;

#define SCAN_OPTIONS_INIT {NULL, NULL, 0.0, true}

/* Sets source, mode and resolution through the option descriptors. Fails
 * with TELLE_EINVAL naming the choices when the device offers no matching
 * source or mode (for instance duplex on a simplex-only device), TELLE_EIO
 * when the backend refuses a value. */
int scan_device_configure(scan_device *d, const scan_options *o);

/* "source=ADF Duplex mode=Lineart resolution=300dpi(INT)": what the device
 * reported after configuration. Owned by d. */
const char *scan_device_settings(const scan_device *d);

/* Sets one backend option by name from text: a string option takes the
 * text (matched without case against its list, when it has one); INT and
 * FIXED take a number; BOOL takes yes/no/true/false/1/0. For options telle
 * does not know (`--option read-return-value=SANE_STATUS_JAMMED`). Returns
 * 0, TELLE_EINVAL (no such option, not settable, bad value) or TELLE_EIO. */
int scan_device_option_set(scan_device *d, const char *name,
                           const char *value);

/* 2 when the configured source delivers both sides, else 1. */
int scan_device_sides(const scan_device *d);

/* Reads one page: sane_start, sane_get_parameters, sane_read until EOF.
 * Lineart (SANE: 1 = black) becomes a 1-bit img with set bit = ink, gray
 * an 8-bit gray img, RGB a 3-channel img (16-bit samples are reduced to 8);
 * the dpi is the configured resolution. Returns 0 with *out set (caller
 * frees with img_free); TELLE_ENO_DOCS when the feeder is empty at
 * sane_start (the normal end of a batch); TELLE_EJAMMED, TELLE_ECOVER_OPEN,
 * TELLE_EIO, TELLE_ENOMEM, TELLE_EFORMAT (a frame format telle does not
 * take) on failure. The page is lost on failure; the device is cancelled. */
int scan_device_page_read(img **out, scan_device *d);

/* One page handed to the loop's callback. The image is read-only and owned
 * by the loop: img_ref it to keep it after the callback returns. */
typedef struct {
    const img *image;
    int sheet;       /* batch sheet number; 0 for pages of a label sheet */
    int side;        /* 0 front, 1 back */
    int page_in_run; /* pages delivered in this run, from 1 */
} scan_page;

/* Return value of a callback for the front of a sheet that is a batch
 * label: the loop does not count the sheet (its back comes with sheet 0)
 * and gives the next sheet the same number. */
enum { SCAN_PAGE_LABEL = 1 };

/* Called for each page as soon as it is read, before the next sane_start:
 * the page is acknowledged (and the paper may move on) only when this
 * returns. Returns 0, SCAN_PAGE_LABEL, or a negative TELLE_E* code (with
 * err_set) that stops the run. */
typedef int (*scan_page_fn)(void *ctx, const scan_page *p);

typedef struct {
    int first_sheet;    /* batch sheet number of the first sheet fed */
    int max_sheets;     /* stop after this many sheets; 0 = until empty */
    scan_page_fn on_page;
    void *ctx;
} scan_run_options;

#define SCAN_RUN_OPTIONS_INIT {1, 0, NULL, NULL}

typedef struct {
    int pages;          /* pages read and accepted by the callback */
    int sheets;         /* complete sheets (labels not counted) */
    int next_sheet;     /* the sheet to feed next: where a resume continues */
    double seconds;     /* wall time of the run */
} scan_run_stats;

/* Reads pages until the feeder is empty at a sheet boundary (returns 0) or
 * a fault stops the batch. On a fault returns its code with a message that
 * names the sheet and side and the sheet to re-feed from, e.g. "paper jam
 * while reading sheet 57 (front): clear the feeder and re-feed from sheet
 * 57"; an empty feeder before a sheet's back side is TELLE_ENO_DOCS the
 * same way. *stats (may be NULL) is filled in either case. */
int scan_batch_run(scan_run_stats *stats, scan_device *d,
                   const scan_run_options *o);

#endif
