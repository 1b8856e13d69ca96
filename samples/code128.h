/* code128.h - Code 128 barcodes for batch label sheets, drawn with cairo.
 *
 * Only code set B (ASCII 32..127), which covers the label text
 * "TELLE;election=KS;krets=0001;category=VO;batch=0001-VO-01"; a symbol is
 * start B, one symbol per character, the mod-103 check symbol and stop,
 * with quiet zones of 10 modules.
 *
 *   smp_code128_modules  the bar/space widths of a text, in modules
 *   smp_code128_draw     draw a text's barcode on a cairo context
 */
#ifndef TELLE_SAMPLES_CODE128_H
#define TELLE_SAMPLES_CODE128_H

#include <cairo.h>

/* Writes the element widths (bar, space, bar, ..., 1..4 modules each,
 * ending with the stop pattern's final bar) into widths (capacity cap) and
 * their number into *n. Returns 0, or TELLE_EINVAL when a character is
 * outside ASCII 32..127 or cap is too small (it needs 6 * (len + 3) + 1). */
int smp_code128_modules(unsigned char *widths, int cap, int *n,
                        const char *text);

/* Draws the barcode of text with its top-left bar at (x, y) in user units,
 * each module module_w wide and the bars height tall, in the current
 * source colour. *width_out (may be NULL) receives the symbol's width
 * without quiet zones. Returns 0 or TELLE_EINVAL as above. */
int smp_code128_draw(cairo_t *cr, const char *text, double x, double y,
                     double module_w, double height, double *width_out);

#endif
