/* pipeline.h - hands scanned sheets to worker threads, so that whatever
 * reads them (recognition) runs on the other cores while the scanner keeps
 * feeding.
 *
 * The capture thread pushes each durable page; the pipeline groups a
 * sheet's pages (consecutive pages with the same sheet number) and queues
 * the sheet; worker threads take sheets in order of arrival and call the
 * work function. Pushing never waits for a worker: the queue grows instead
 * (an A4 lineart page is 1.1 MB; a box of 1000 sheets queued whole is 2.2
 * GB only if recognition stops entirely, which the progress line shows as
 * sheets waiting). Pages are shared by reference (img_ref), never copied.
 *
 *   scan_pipeline_new      start N workers
 *   scan_pipeline_push     queue a page (from the capture callback)
 *   scan_pipeline_waiting  sheets queued or being worked on
 *   scan_pipeline_finish   flush the last sheet, wait for the workers, free
 */
#ifndef TELLE_SCANNER_PIPELINE_H
#define TELLE_SCANNER_PIPELINE_H

#include "scanner/capture.h"

#include <stddef.h>

/* One sheet as the workers see it: its pages in scan order, read-only. */
typedef struct {
    int sheet;            /* batch sheet number; 0 for a label sheet */
    int npages;           /* 1 (simplex) or 2 (duplex) */
    const img *pages[2];
} scan_sheet;

/* Called on a worker thread for each sheet; several run at once, each with
 * its own sheet. Returns 0, or a negative TELLE_E* code: the first failure
 * is kept (with its message) and returned by scan_pipeline_finish; later
 * sheets are still worked on. */
typedef int (*scan_sheet_fn)(void *ctx, const scan_sheet *s);

typedef struct scan_pipeline scan_pipeline;

/* Starts `workers` threads (1..64) for sheets of `sides` pages (1 or 2).
 * Returns 0, TELLE_EINVAL, TELLE_ENOMEM or TELLE_EIO (a thread could not be
 * started). */
int scan_pipeline_new(scan_pipeline **out, int sides, int workers,
                      scan_sheet_fn fn, void *ctx);

/* Adds one page (its image is img_ref'd). A sheet is queued as soon as it
 * has `sides` pages, or when a page of another sheet comes (a sheet cut
 * short). Returns 0 or TELLE_ENOMEM. Call from one thread only. */
int scan_pipeline_push(scan_pipeline *pl, const scan_page *p);

/* Sheets queued and not yet finished by a worker. */
size_t scan_pipeline_waiting(scan_pipeline *pl);

/* Queues the sheet in progress, waits until every sheet is worked on,
 * stops the workers and frees pl (accepts NULL). Returns 0 or the first
 * work function failure, whose message is set again on this thread. */
int scan_pipeline_finish(scan_pipeline *pl);

#endif
