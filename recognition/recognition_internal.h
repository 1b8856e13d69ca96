/* recognition_internal.h - the structures recognition's stages share.
 * Not for use outside recognition/. */
#ifndef TELLE_RECOGNITION_INTERNAL_H
#define TELLE_RECOGNITION_INTERNAL_H

#include "core/hash.h"
#include "recognition/cv/cv_shim.h"
#include "recognition/recognition.h"

#include <stdint.h>

/* The coarse stage works at this resolution: corner marks (8 mm) are still
 * 16 px there, and a whole page is ~600 x 400 px. */
#define REC_LOW_DPI 50.0

/* What the reference explains. Within the print tolerance of real print
 * (darker than REC_PRINT_FRACTION % of the reference's paper: text, lines,
 * boxes, marks) all page ink is the print's: a bitonal scanner blackens
 * anti-aliased text completely. Where only light print lies (the outside's
 * pattern, at ~80 % of the paper), it explains page ink only as dark as
 * itself: a page pixel more than REC_EXPLAIN_DELTA gray levels darker than
 * the pattern (scaled to the page's paper) is unexplained, so a pen stroke
 * on the pattern is writing. 60 levels is far above scanner noise (sigma
 * ~5) and below pen on paper (> 120). */
#define REC_PRINT_FRACTION 65
#define REC_EXPLAIN_DELTA 60
/* Ink in a bitonal page: a set bit; as gray, darker than this. */
#define REC_BITONAL_INK 128

/* An 8-bit single-channel buffer owned by whoever holds it. */
typedef struct {
    uint8_t *data;
    int width, height;
    size_t stride;
} rec_buf;

/* A 1-bit image as scanned: rows of packed bits, most significant bit
 * first, a set bit is ink (core/image.h's convention). */
typedef struct {
    uint8_t *data;
    int width, height;
    size_t stride;
} rec_bits;

int rec_buf_new(rec_buf *b, int width, int height);
void rec_buf_free(rec_buf *b);
static inline cvs_view rec_view(const rec_buf *b)
{
    cvs_view v = {b->data, b->width, b->height, b->stride};
    return v;
}
static inline cvs_buf rec_cvbuf(const rec_buf *b)
{
    cvs_buf v = {b->data, b->width, b->height, b->stride};
    return v;
}

/* A corner mark of a reference side: its template (ink mask of the mark's
 * region plus a margin of white) at full and at low resolution, and where
 * the template's top-left corner sits in the reference. */
typedef struct {
    rec_buf tpl, tpl_low;
    double x, y;         /* full-resolution px */
    double x_low, y_low; /* low-resolution px */
} rec_mark;

/* One side of one style, prepared. */
typedef struct {
    const pkg_style *style;
    const pkg_side *side;
    int style_index, side_index;
    double dpi;
    int width, height;   /* reference size in px */
    rec_buf darkest;     /* reference gray min-filtered over the print
                            tolerance: the darkest print near each pixel */
    rec_bits open;       /* set where a bitonal page's ink is not explained
                            by the print (rec_explain_limits, paper 255) */
    rec_buf low;         /* ink density at REC_LOW_DPI (0..255) */
    double low_norm;     /* sum of low^2, for Dice */
    rec_buf half;        /* low halved (2 x 2 means): the quick Dice that
                            picks which sides get the full one */
    double half_norm;
    int paper;           /* paper gray level of the reference */
    rec_mark *marks;
    int n_marks;
    int layout;          /* sides with identical marks share a layout id */
    int twin;            /* an earlier side of the same layout with the same
                            density map (its Dice is this one's), or -1 */
} rec_ref;

struct rec_engine {
    const pkg_package *pkg;
    rec_options opt;
    rec_ref *refs;
    int n_refs;
    int n_layouts;
};

/* A page normalised for reading: gray at the reference resolution as
 * scanned, its ink, and 50-dpi ink density maps as scanned (low[0]) and
 * turned 180 degrees (low[1]). Only the coarse stage looks at a turned page;
 * after it, turning is folded into the affine map (rec_registration_unturn),
 * so the full-resolution page is never copied turned. */
typedef struct {
    int width, height; /* px at dpi */
    /* A bitonal page at the references' resolution keeps its bits and
     * nothing else at full resolution (bits.data != NULL; gray and ink
     * stay empty): its ink needs no threshold, and its unexplained ink is
     * found word by word (ink.c). Every other page is brought to 8-bit
     * gray and an ink mask. */
    rec_bits bits;
    uint64_t *groups;  /* with bits: per row, group_words words with bit
                          g % 64 of word g / 64 set when page px 32 g ..
                          32 g + 31 hold ink (to skip bare paper fast) */
    int group_words;
    rec_buf gray;
    rec_buf ink;    /* 255 where gray < ink threshold */
    rec_buf low[2]; /* ink density at REC_LOW_DPI: as scanned, turned */
    int paper;      /* paper level (bright percentile) */
    int ink_threshold;
    bool bitonal;   /* came from a 1-bit image */
    double dpi;     /* the resolution it was brought to */
    char sha256[HASH_HEX_LEN + 1];
} rec_page;

/* engine.c, shared by the reference and the page side:
 * rec_paper_level: the gray below which 90 % of the pixels lie (ballots
 * are mostly bare paper, so this is the paper's tint, whatever its colour);
 * rec_ink_threshold: ink is darker than 60 % of that;
 * rec_threshold_ink: 255 where gray is darker than thr, else 0. */
int rec_paper_level(const rec_buf *g);
int rec_ink_threshold(int paper);
void rec_threshold_ink(rec_buf *ink, const rec_buf *gray, int thr);

/* What the print explains (REC_PRINT_FRACTION, REC_EXPLAIN_DELTA):
 * limit[r] is, for a reference pixel whose darkest print nearby is r, the
 * page gray below which page ink there is not the print's (0: all of it
 * is). ref_paper and page_paper scale the print to the page's paper;
 * page_ink is the page's ink threshold for writing. */
void rec_explain_limits(uint8_t limit[256], int ref_paper, int page_paper, int page_ink);

/* The ink density map at REC_LOW_DPI: each low pixel is the mean of the
 * ink (0/255, or bits as 255) over its block of dpi / REC_LOW_DPI px a
 * side (blocks at the right and bottom edges may be cut short), rounded.
 * The references, the page and the mark templates all use it, so the maps
 * compare like for like. The size is rec_low_size of the full one.
 * Returns 0 or TELLE_ENOMEM / TELLE_EINVAL (a resolution that is no
 * whole multiple of REC_LOW_DPI). */
int rec_low_size(int px, double dpi);
int rec_low_from_ink(rec_buf *low, const rec_buf *ink, double dpi);
int rec_low_from_bits(rec_buf *low, const rec_bits *bits, double dpi);
/* A map halved: each pixel the rounded mean of a 2 x 2 block (a last odd
 * row or column alone). Returns 0 or TELLE_ENOMEM. */
int rec_low_halve(rec_buf *half, const rec_buf *low);
/* Sum of squares of a map (one half of the Dice denominator). */
uint64_t rec_low_sum_sq(const rec_buf *m);

/* page.c */
int rec_page_prepare(rec_page *p, const img *im, double dpi);
void rec_page_release(rec_page *p);
/* Fills win (allocated by the caller) with the page's ink (0/255) at the
 * points m maps win's pixels to (X = m0 x + m1 y + m2, Y = m3 x + m4 y +
 * m5), bilinear, 0 off the page. */
int rec_page_ink_window(rec_buf *win, const rec_page *p, const double m[6]);

/* register.c: affine a[6] maps reference px (x, y) to page px:
 * X = a0 x + a1 y + a2, Y = a3 x + a4 y + a5. */
typedef struct {
    double a[6];
    double mark_score; /* mean template correlation of the marks used */
    double residual_mm;/* largest misfit of a mark after the fit */
    int n_marks;       /* marks used (3 or 4) */
    bool ok;
} rec_registration;

/* Coarse registration against a 50-dpi ink density map (as scanned or
 * turned); the map is in that map's orientation, scaled to full-resolution
 * pixels. */
int rec_register_coarse(rec_registration *r, const rec_ref *ref, const rec_buf *low);
/* The map of a turned page's registration made to address the page as
 * scanned (width x height px): a point (X, Y) of the turned page is
 * (width - 1 - X, height - 1 - Y) of the page. */
void rec_registration_unturn(rec_registration *r, int width, int height);
/* Refines each mark at full resolution on the page's ink as scanned,
 * looking for it within search_mm of where r puts it: REC_REFINE_SEARCH_MM
 * after the coarse fit (a 50-dpi pixel is 0.5 mm), REC_REFINE_AGAIN_MM on
 * the second pass, which starts from marks already within a pixel. */
#define REC_REFINE_SEARCH_MM 1.5
#define REC_REFINE_AGAIN_MM 0.5
int rec_register_refine(rec_registration *r, const rec_ref *ref, const rec_page *p,
                        double search_mm);

/* identify.c */
typedef struct {
    int ref;     /* index into engine refs, -1 none */
    int rot;     /* 0 or 1 (180 degrees) */
    double dice;
    rec_registration reg;
} rec_match;

/* Scores for one page against every reference side in both orientations;
 * scores[ref * 2 + rot]. */
int rec_identify_page(rec_match *scores, const rec_engine *e,
                      const rec_page *p);

/* components.c: 8-connected components of a sparse 0/255 mask, in raster
 * order of their first pixel. *out (malloc'd) holds *n boxes and areas. */
typedef struct {
    int x, y, w, h; /* bounding box in pixels */
    int area;       /* pixels in the component */
} rec_component;

int rec_components(rec_component **out, int *n, const rec_buf *mask);

/* ink.c: what a page's unexplained ink turned out to be. */
typedef enum { REC_IN_WRITE_IN_FIELD, REC_IN_LIST_WRITE_FIELD, REC_IN_OUTSIDE } rec_where;

typedef struct {
    double x_mm, y_mm, w_mm, h_mm;
    rec_where in;
    int ink_px;
} rec_writing;

typedef struct {
    int region;    /* index of the vote_box region in the side */
    double score;  /* share of the open interior inked, 0..1 */
    double extent; /* span of the mark's components / box size */
    double dark;   /* share of the box's ink that is dark (pen, not trace) */
} rec_box_score;

typedef struct {
    rec_box_score *boxes;
    int n_boxes;
    rec_writing *writing;
    int n_writing;
    int write_in_entries;   /* separate lines of writing in write_in_field */
    bool has_stamp_field;
    bool stamp;
    double stamp_evidence;  /* stamp ink px beyond the page's noise */
} rec_side_result;

int rec_ink_analyse(rec_side_result *out, const rec_engine *e,
                    const rec_ref *ref, const rec_page *p,
                    const rec_registration *reg);
void rec_side_result_release(rec_side_result *r);

#endif

/* sheet.c: the record of one sheet, before it is written as JSON. */
enum {
    REC_R_WRITING_IN_FIELD = 1 << 0,
    REC_R_WRITING_OUTSIDE_FIELD = 1 << 1,
    REC_R_MARGINAL_MARK = 1 << 2,
    REC_R_MISSING_STAMP = 1 << 3,
    REC_R_TOO_MANY_WRITE_INS = 1 << 4,
    REC_R_LIST_WRITTEN = 1 << 5,
    REC_R_MULTIPLE_LISTS = 1 << 6,
    REC_R_WRONG_ELECTION = 1 << 7,
    REC_R_UNKNOWN_STYLE = 1 << 8,
    REC_R_UNREADABLE = 1 << 9,
};
#define REC_N_REASONS 10
extern const char *const rec_reason_names[REC_N_REASONS];

typedef enum { REC_APPROVED, REC_BLANK, REC_REVIEW } rec_outcome;
typedef enum { REC_EMPTY, REC_MARGINAL, REC_MARKED } rec_mark_state;

typedef struct {
    char *file;
    int page;
    char sha256[HASH_HEX_LEN + 1];
    const char *side; /* side name, NULL when not identified */
    int rotated;      /* 0 or 180 */
    double match;     /* Dice with its side */
} rec_page_out;

typedef struct {
    int candidate;    /* list ballot: candidate no */
    const char *list; /* all-lists ballot: list code */
    double score;
    rec_mark_state state;
} rec_mark_out;

typedef struct {
    const char *side;
    double x_mm, y_mm, w_mm, h_mm;
    rec_where in;
} rec_writing_out;

struct rec_sheet {
    rec_page_out *pages;
    int n_pages;
    bool is_ballot;
    const pkg_style *style;
    const char *election, *list;
    rec_outcome outcome;
    unsigned reasons;
    rec_mark_out *marks;
    int n_marks;
    int *personal_votes;
    int n_personal_votes;
    int write_ins_in_field, write_ins_outside_field;
    rec_writing_out *writing;
    int n_writing;
    int stamp; /* -1 no stamp field, 0 missing, 1 found */
};
