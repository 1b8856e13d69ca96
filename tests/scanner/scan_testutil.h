/* scan_testutil.h - helpers shared by the scanner suites: synthetic pages,
 * image sets on disk, a Code 128 label page (samples/code128.h encodes it),
 * the SANE environment and running the telle binary with SANE options.
 * Scratch folders and files: tests/testutil/testutil.h. */
#ifndef TELLE_TESTS_SCAN_TESTUTIL_H
#define TELLE_TESTS_SCAN_TESTUTIL_H

#include "core/hash.h"
#include "core/image.h"
#include "testutil.h"

#include <stddef.h>

/* Page size of the synthetic sheets: small, so 200 sheets stay fast. */
enum { SCAN_TU_PAGE_W = 850, SCAN_TU_PAGE_H = 600 };

/* A 1-bit page with a frame and `sheet` and `side` drawn as a row of 16+1
 * filled blocks (bit pattern), so every page is distinct. */
img *scan_tu_page_new(int sheet, int side);

/* A 1-bit page holding a Code 128 (code set B) of `text`, `module_px`
 * pixels per module, in the top part of a page `w` x `h`. */
img *scan_tu_label_page_new(const char *text, int w, int h, int module_px);

/* Writes sheets first..last (both sides) as one multi-page G4 TIFF. Fills
 * hashes[(s-1)*2 + side] with each page's pixel hash when hashes != NULL
 * (indexed from sheet 1). Returns 0. */
int scan_tu_write_set(const char *path, int first, int last,
                      char (*hashes)[HASH_HEX_LEN + 1]);

/* Points libsane at the build's SANE config dir and backend folder
 * (TELLE_BUILD_DIR/scanner/...). */
void scan_tu_sane_env(void);

/* Runs the telle binary (TELLE_BIN) with argv (NULL-terminated, argv[0]
 * is the subcommand), with TELLE_SANE_OPTIONS=sane_opts (NULL: unset), and
 * stderr captured into err (may be NULL). Returns the exit status, or -1. */
int scan_tu_run_telle(const char *const *argv, const char *sane_opts, char *err,
                      size_t errcap);

/* Starts telle in the background; returns its pid. */
int scan_tu_spawn_telle(const char *const *argv, const char *sane_opts);

#endif
