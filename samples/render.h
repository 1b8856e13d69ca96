/* render.h - the ballot renderer: lays out and draws every ballot of the
 * national template (valgforskriften § 19, ../shared/spec/domain.md "The
 * ballot") from an election's lists, and completes an election package.
 *
 * A ballot is an A4 sheet in landscape (297 x 210 mm) folded once to A5;
 * each style has two sides, "inside" and "outside", both drawn upright with
 * the origin top-left and 1 user unit = 1 mm. The layout is a pure function
 * of the package's elections part and the style, so the scan simulator can
 * redraw exactly the ballot a package describes.
 *
 *   smp_ballot_new         lay out one style (list, all_lists or blank)
 *   smp_ballot_free        free; accepts NULL
 *   smp_ballot_regions     the regions of one side, in mm
 *   smp_ballot_draw        draw one side on a cairo context in mm units
 *   smp_ballot_image       render one side to an 8-bit gray or RGB img
 *   smp_ballot_paper_rgb   the paper colour (KS pink, FT light blue)
 *   smp_ballot_style       the style the ballot was made for
 *   smp_ballot_page_w_mm   297 (one fold) or 445.5 (two folds)
 *   smp_ballot_folds       1 or 2; fold k is at k x 148.5 mm
 *   smp_side_name          "inside" / "outside"
 *   smp_styles_default     the styles a package gets when it names none
 *   smp_package_render     `telle ballots render`: PDFs, PNGs, election.json
 */
#ifndef TELLE_SAMPLES_RENDER_H
#define TELLE_SAMPLES_RENDER_H

#include "core/image.h"
#include "core/package.h"

#include <cairo.h>
#include <stdbool.h>

enum { SMP_SIDE_INSIDE = 0, SMP_SIDE_OUTSIDE = 1, SMP_N_SIDES = 2 };

/* The one-fold page, in mm: A4 landscape, folded at the middle; panels
 * of every ballot are SMP_FOLD_X_MM wide. */
#define SMP_PAGE_W_MM 297.0
#define SMP_PAGE_H_MM 210.0
#define SMP_FOLD_X_MM 148.5

typedef struct smp_ballot smp_ballot;

/* Lays out `style` (its id, election, kind and list are used) of pkg.
 * The ballot keeps pointers into pkg, which must outlive it. Returns 0,
 * TELLE_EINVAL (the election or list does not exist, or the list has more
 * candidates than the ballot holds with rows squeezed to 4.6 mm),
 * TELLE_ENOMEM. */
int smp_ballot_new(smp_ballot **out, const pkg_package *pkg,
                   const pkg_style *style);

/* Frees a ballot; accepts NULL. */
void smp_ballot_free(smp_ballot *b);

/* The regions of a side in the election-package.md sense, owned by b.
 * Returns their number and points *regions at them. */
int smp_ballot_regions(const smp_ballot *b, int side,
                       const pkg_region **regions);

/* Draws side (paper, print) on cr, whose user space must be mm with origin
 * at the top-left corner of the upright page. colour false draws the same
 * ballot on white paper. Sets its own font options (no hinting) so text
 * lands where the regions say at every resolution. */
void smp_ballot_draw(const smp_ballot *b, cairo_t *cr, int side, bool colour);

/* Renders side at dpi into a new image: channels 1 (8-bit gray, the luma of
 * the colour rendering, as a gray scanner sees the paper) or 3 (RGB).
 * Size is round(page width x dpi / 25.4) x round(210 mm x dpi / 25.4). */
int smp_ballot_image(img **out, const smp_ballot *b, int side, double dpi,
                     int channels);

/* The paper colour as RGB in 0..1: KS pink (1.00, 0.86, 0.90), FT light
 * blue (0.85, 0.92, 0.99). */
void smp_ballot_paper_rgb(const smp_ballot *b, double rgb[3]);

/* The style b was laid out for (a copy whose strings belong to the caller
 * of smp_ballot_new; page_w_mm is the ballot's real width). */
const pkg_style *smp_ballot_style(const smp_ballot *b);

/* Page width in mm: 297 for a one-fold ballot, 445.5 for a two-fold. */
double smp_ballot_page_w_mm(const smp_ballot *b);

/* Number of folds, 1 or 2; fold k (1-based) is at k x SMP_FOLD_X_MM. */
int smp_ballot_folds(const smp_ballot *b);

/* "inside" for SMP_SIDE_INSIDE, "outside" for SMP_SIDE_OUTSIDE: the side
 * names written into election.json. */
const char *smp_side_name(int side);

/* Fills *out (count *n) with the styles a package gets when its JSON names
 * none: per election one `list` style per list ("KS-AP"), and for a
 * kommunestyrevalg a `blank` ("KS-BLANK") and an `all_lists` ("KS-ALLE")
 * style. Free with smp_styles_free. */
int smp_styles_default(pkg_style **out, int *n, const pkg_package *pkg);
/* Frees what smp_styles_default made; accepts NULL. */
void smp_styles_free(pkg_style *styles, int n);

typedef struct {
    double dpi;          /* reference PNG resolution; 200 as the devset */
    const char *pdf_dir; /* where <style>.pdf go; NULL: OUT/print */
    bool write_pdf;      /* false: only election.json and references */
    double colour_dpi;   /* > 0: also <style>-<side>.png in colour at this
                            resolution beside the PDFs (needs write_pdf) */
} smp_render_opts;

#define SMP_RENDER_OPTS_INIT {200.0, NULL, true, 0.0}

/* Reads the elections part from `in` (a JSON file, or a folder with
 * election.json), lays out its styles (those it names, else the default
 * set) and writes into out_dir: election.json (the input with `styles`
 * filled: regions in mm), styles/<id>/<side>.png (8-bit gray references at
 * opts->dpi) and, unless disabled, print-ready vector PDFs (two pages,
 * inside then outside, real size, paper colour). *n_styles (may be NULL)
 * receives the number of styles written. Returns 0, TELLE_EIO,
 * TELLE_EFORMAT, TELLE_EINVAL, TELLE_ENOMEM. */
int smp_package_render(const char *in, const char *out_dir,
                       const smp_render_opts *opts, int *n_styles);

#endif
