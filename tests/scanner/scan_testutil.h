/* scan_testutil.h - helpers shared by the scanner suites: synthetic pages,
 * image sets on disk, a Code 128 label renderer, the SANE environment and
 * running the telle binary. */
#ifndef TELLE_TESTS_SCAN_TESTUTIL_H
#define TELLE_TESTS_SCAN_TESTUTIL_H

#include "core/hash.h"
#include "core/image.h"

#include <stddef.h>

/* Page size of the synthetic sheets: small, so 200 sheets stay fast. */
enum { TU_PAGE_W = 850, TU_PAGE_H = 600 };

/* A 1-bit page with a frame and `sheet` and `side` drawn as a row of 16+1
 * filled blocks (bit pattern), so every page is distinct. */
img *tu_page_new(int sheet, int side);

/* A 1-bit page holding a Code 128 (code set B) of `text`, `module_px`
 * pixels per module, in the top part of a page `w` x `h`. */
img *tu_label_page_new(const char *text, int w, int h, int module_px);

/* Writes sheets first..last (both sides) as one multi-page G4 TIFF. Fills
 * hashes[(s-1)*2 + side] with each page's pixel hash when hashes != NULL
 * (indexed from sheet 1). Returns 0. */
int tu_write_set(const char *path, int first, int last,
                 char (*hashes)[HASH_HEX_LEN + 1]);

/* A fresh temporary directory (mkdtemp under TMPDIR, else /dev/shm, else
 * /tmp); malloc'd. */
char *tu_tmpdir(void);

/* Removes a directory tree. */
void tu_rmtree(const char *path);

/* Points libsane at the build's SANE config dir and backend folder
 * (TELLE_BUILD_DIR/scanner/...). */
void tu_sane_env(void);

/* Runs the telle binary (TELLE_BIN) with argv (NULL-terminated, argv[0]
 * is the subcommand), with TELLE_SANE_OPTIONS=sane_opts (NULL: unset), and
 * stderr captured into err (may be NULL). Returns the exit status, or -1. */
int tu_run_telle(const char *const *argv, const char *sane_opts, char *err,
                 size_t errcap);

/* Starts telle in the background; returns its pid. */
int tu_spawn_telle(const char *const *argv, const char *sane_opts);

#endif
