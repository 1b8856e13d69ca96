/* ballot_draw.h - draws filled-in ballots for recognition tests: start
 * from a style side's reference, add pen strokes, dots, stamps and specks
 * in millimetres, then "scan" it: turn, shift, 180 degrees, bitonal or
 * gray, on a scanner bed larger than the paper. */
#ifndef TELLE_TESTS_BALLOT_DRAW_H
#define TELLE_TESTS_BALLOT_DRAW_H

#include "core/image.h"
#include "core/package.h"

#include <stdbool.h>

typedef struct {
    img *im; /* 8-bit gray in the reference frame */
    double dpi;
} drawing;

/* A copy of the reference of style `style`, side `side`. */
drawing draw_begin(const pkg_package *pkg, const char *style, const char *side);

/* A pen stroke from (x0, y0) to (x1, y1), width in mm, gray level. */
void draw_line(drawing *d, double x0, double y0, double x1, double y1,
               double width_mm, int level);
/* A filled disc. */
void draw_disc(drawing *d, double cx, double cy, double r_mm, int level);
/* A cross over the box of a vote_box region (candidate > 0, or list). */
void draw_cross(drawing *d, const pkg_package *pkg, const char *style, int candidate,
                const char *list);
/* Handwriting stand-in: a zigzag of `letters` strokes in a w x h box. */
void draw_scribble(drawing *d, double x, double y, double w, double h);
/* A round official stamp centred at (cx, cy). */
void draw_stamp(drawing *d, double cx, double cy);

typedef struct {
    double angle_deg; /* skew */
    double dx_mm, dy_mm;
    bool turned;      /* fed upside down: 180 degrees */
    bool bitonal;     /* a lineart (G4) scan */
    int noise_specks; /* isolated 1-px specks scattered over the page */
} scan_look;

/* The scanned page (canvas 2402 x 1732 px at the drawing's dpi); frees
 * nothing of d. */
img *draw_scan(const drawing *d, const scan_look *look);
void draw_end(drawing *d);

/* The vote_box rect of a candidate (or list) on a style's first side. */
pkg_rect_mm draw_box_of(const pkg_package *pkg, const char *style, int candidate,
                        const char *list);
/* A region of the given type on the named side. */
const pkg_region *draw_region(const pkg_package *pkg, const char *style, const char *side,
                              pkg_region_type type);

#endif
