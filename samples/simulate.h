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
 * Damage (off by default): `damage` is a set of SMP_DMG_* kinds, each drawn
 * per sheet with probability `p_damage` from a stream of its own, so the
 * sheets without damage are the same as with no damage asked. What was
 * drawn goes into the truth: `cases` gets "damage_<kind>" and `scan.damage`
 * the parameters (see samples/README.md, "Damage").
 *
 * Everything is a function of the seed: the same package, options and seed
 * give byte-identical TIFFs and truth.
 *
 *   smp_simulate        write batches and truth.jsonl
 *   smp_label_text      the label barcode text of a batch
 *   smp_damage_parse    "dust,hair" or "all" into a set of damage kinds
 *   smp_damage_name     the name of one damage kind
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

/* Damage a real count meets that the default simulation does not draw.
 * Scanner glass (scan coordinates): DUST, HAIR, STREAK, NOISE. Paper:
 * STAIN, TEAR, DOGEAR, PUNCH, STAPLE, TINT, BLEED. Scanner: BLACK_BACKING.
 * Voter's pen (voter.c): PENCIL, RED_PEN, LIGHT_PRESSURE, HEAVY_PRESSURE,
 * MARK_STYLES, SMALL_MARGIN, HANDS. */
enum {
    SMP_DMG_DUST = 1u << 0,           /* 3-12 specks, 0.15-0.6 mm */
    SMP_DMG_HAIR = 1u << 1,           /* a curved hair, 5-15 mm */
    SMP_DMG_STREAK = 1u << 2,         /* a line along the feed, whole page */
    SMP_DMG_STAIN = 1u << 3,          /* coffee or water ring / blot */
    SMP_DMG_TEAR = 1u << 4,           /* a corner torn off */
    SMP_DMG_DOGEAR = 1u << 5,         /* a corner folded over */
    SMP_DMG_PUNCH = 1u << 6,          /* two punch holes */
    SMP_DMG_STAPLE = 1u << 7,         /* a staple, or its two holes */
    SMP_DMG_NOISE = 1u << 8,          /* heavy noise, salt and pepper */
    SMP_DMG_TINT = 1u << 9,           /* darker or tinted paper */
    SMP_DMG_BLEED = 1u << 10,         /* strong bleed-through */
    SMP_DMG_BLACK_BACKING = 1u << 11, /* black scanner backing */
    SMP_DMG_PENCIL = 1u << 12,        /* the voter uses a pencil */
    SMP_DMG_RED_PEN = 1u << 13,       /* ... a red pen */
    SMP_DMG_LIGHT_PRESSURE = 1u << 14,/* thin, pale strokes */
    SMP_DMG_HEAVY_PRESSURE = 1u << 15,/* a felt-tip: thick, shows through */
    SMP_DMG_MARK_STYLES = 1u << 16,   /* ticks, crosses, filled boxes and a
                                         circled candidate number */
    SMP_DMG_SMALL_MARGIN = 1u << 17,  /* 3 letters 2 mm high in a margin */
    SMP_DMG_HANDS = 1u << 18,         /* write-ins in another hand
                                         (smp_hand_fonts_extra) */
    SMP_DMG_N = 19
};
#define SMP_DMG_ALL ((1u << SMP_DMG_N) - 1u)

/* Parses a comma-separated list of damage names (smp_damage_name) or
 * "all" into *out. Returns 0 or TELLE_EINVAL naming the unknown word. */
int smp_damage_parse(unsigned *out, const char *list);

/* "dust", "hair", ... for one SMP_DMG_* bit; NULL for anything else. */
const char *smp_damage_name(unsigned bit);

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
    unsigned damage;            /* SMP_DMG_* kinds to draw; 0: none */
    double p_damage;            /* each kind of `damage`, per sheet: 0.5 */
} smp_sim_opts;

#define SMP_SIM_OPTS_INIT                                                    \
    {20, 1, 1, SMP_SCAN_G4, 0, NULL, "0001", "VO", true, 3.0, 8.0, 0.02,     \
     1.0, 0.3, 0.5, 0.3, 0.1, 6.0, 140, false, SMP_VOTER_OPTS_INIT, 0u, 0.5}

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
