/* simulate.h - the scan simulator: fills ballots with the voter model,
 * scans them as a document scanner would, and writes batches plus the
 * truth of every sheet (truth.jsonl, the shape of the devset's).
 *
 * A sheet is drawn in the paper's frame at the scan resolution (print
 * shifted by a print offset of up to 1 mm, the voter's ink on top), gets
 * bleed-through of the other side and a fold crease when chosen, and is
 * then placed on the scanner's canvas (page + 4 mm / 5 mm margins, or one
 * that fits the worst case) by an affine map: skew, shift, scale and an
 * optional 180 degree turn; the back side mirrors the front's skew and
 * sideways shift, as the same sheet seen from below does. Gaussian noise is added, and the page is kept as 8-bit
 * gray, RGB, or thresholded to 1 bit (ink where the luma is below
 * `threshold`) and written as CCITT G4. A batch is one multi-page TIFF, in
 * duplex order, optionally starting with a label sheet whose Code 128
 * barcode reads "TELLE;election=..;krets=..;category=..;batch=..".
 *
 * Everything is a function of the seed: the same package, options and seed
 * give byte-identical TIFFs and truth.
 *
 *   smp_simulate        write batches and truth.jsonl
 *   smp_label_text      the label barcode text of a batch
 */
#ifndef TELLE_SAMPLES_SIMULATE_H
#define TELLE_SAMPLES_SIMULATE_H

#include "samples/voter.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SMP_SCAN_G4,   /* 1-bit CCITT G4 TIFF, 200 dpi */
    SMP_SCAN_GRAY, /* 8-bit gray TIFF (LZW), 200 dpi */
    SMP_SCAN_RGB,  /* 8-bit RGB TIFF (LZW), 300 dpi */
} smp_scan_format;

typedef struct {
    int sheets;                 /* ballots per batch */
    int batches;                /* number of batches */
    uint64_t seed;
    smp_scan_format format;
    double dpi;                 /* 0: 200 for g4 and gray, 300 for rgb */
    const char *election;       /* the box's election id; NULL: the first */
    const char *krets;          /* polling district, "0001" */
    const char *category;       /* counting category, "VO" */
    bool label;                 /* a label sheet starts each batch */
    double max_skew_deg;        /* 3: what feeders let through */
    double max_shift_mm;        /* 8 */
    double max_scale;           /* 0.02: roller slip and scanner calibration */
    double max_print_offset_mm; /* 1: offset printing tolerance */
    double p_rotated;           /* a sheet fed upside down */
    double p_outside_first;     /* the outside scanned as the first page */
    double p_crease;            /* the fold shows as a line */
    double p_bleed;             /* the other side shows through */
    double max_noise_sigma;     /* 6 gray levels */
    int threshold;              /* 1-bit: luma below this is ink; 140 */
    bool fit_canvas;            /* false: page + 8 x 10 mm, as the devset;
                                   true: large enough for the worst case */
    smp_voter_opts voter;
} smp_sim_opts;

#define SMP_SIM_OPTS_INIT                                                    \
    {20, 1, 1, SMP_SCAN_G4, 0, NULL, "0001", "VO", true, 3.0, 8.0, 0.02,     \
     1.0, 0.3, 0.5, 0.3, 0.1, 6.0, 140, false, SMP_VOTER_OPTS_INIT}

/* Writes into out_dir, per batch b = 1..batches named KRETS-CATEGORY-BB:
 * KRETS-CATEGORY-BB.tif (label sheet when asked, then two pages per
 * sheet), KRETS-CATEGORY-BB.json (what the batch is), and truth.jsonl with
 * one line per ballot. package_dir must be a package written by
 * `telle ballots render` (the ballots are redrawn from its lists).
 * *n_sheets (may be NULL) receives the number of ballots written.
 * Returns 0, TELLE_EINVAL, TELLE_EIO, TELLE_EFORMAT, TELLE_ENOMEM. */
int smp_simulate(const char *package_dir, const char *out_dir,
                 const smp_sim_opts *opts, int *n_sheets);

/* "TELLE;election=E;krets=K;category=C;batch=B" into buf. */
void smp_label_text(char *buf, size_t cap, const char *election,
                    const char *krets, const char *category,
                    const char *batch);

#endif
