/* voter.h - the voter model: what a voter (and the polling station) puts on
 * a ballot, planned as geometry in the ballot's reference frame, drawn with
 * cairo, and described as truth.
 *
 * A plan holds pen marks in vote boxes (cross, tick, slash, fill, dot,
 * erased; clear, light or overshooting), handwriting (write-ins in the
 * table rows, list names on blank and all-lists ballots, writing outside
 * every field: margins, between rows, by the fold, a number by a name, the
 * bottom, the outside side) and the stamp (round or rectangular, coloured,
 * faint, overhanging the stamp field). Handwriting uses handwriting fonts
 * from Debian packages (fonts-kristi, fonts-sjfonts) with per-letter jitter
 * of size, baseline and angle; none of them is a font the devset uses.
 *
 * Every random choice comes from the caller's smp_rng, so a seed gives the
 * same plan, and drawing a plan twice gives the same pixels.
 *
 *   smp_voter_plan      plan one sheet: style choice, case, ink, truth
 *   smp_voter_draw      draw a plan's ink on one side (mm user space)
 *   smp_sheet_clear     free what a plan holds
 *   smp_hand_fonts      the handwriting fonts the model uses
 *   smp_hand_fonts_check  fail when one of them is not installed
 */
#ifndef TELLE_SAMPLES_VOTER_H
#define TELLE_SAMPLES_VOTER_H

#include "samples/render.h"
#include "samples/util.h"

#include <cairo.h>
#include <jansson.h>
#include <stdint.h>

typedef enum {
    SMP_MARK_CROSS,
    SMP_MARK_TICK,
    SMP_MARK_SLASH,
    SMP_MARK_FILL,
    SMP_MARK_DOT,
    SMP_MARK_ERASED,
    SMP_MARK_SOLID,  /* the box filled solid */
    SMP_MARK_CIRCLE, /* a ring round the candidate's number (not the box) */
} smp_mark_type;

enum { SMP_MARK_MAX_PTS = 24, SMP_TEXT_MAX_GLYPHS = 48 };

typedef struct {
    smp_mark_type type;
    int side;
    double pts[SMP_MARK_MAX_PTS][2]; /* polyline(s) in mm; NaN breaks a line */
    int n_pts;
    double width_mm;                 /* stroke width (dot: its diameter) */
    double darkness;                 /* ink opacity 0..1 */
    double bbox[4];                  /* ink box, mm */
} smp_mark;

typedef struct {
    char ch[8]; /* one UTF-8 character */
    double x, y, size, angle_rad;
    int deco;   /* a font without the letter: 1 a slash through ch (Ø),
                   2 a ring over it (Å) */
} smp_glyph;

typedef struct {
    int side;
    smp_glyph glyphs[SMP_TEXT_MAX_GLYPHS];
    int n_glyphs;
    double bbox[4];
    double stroke_mm; /* >0: glyphs outlined this thick (a pen's line in
                         writing smaller than the font's strokes allow) */
} smp_text;

typedef struct {
    int present, circle;
    double cx, cy, size_mm, angle_deg, strength;
    double rgb[3];
    double bbox[4];
    char text[96]; /* the area's name, in capitals, on the stamp */
} smp_stamp;

typedef struct {
    const char *family; /* fontconfig family */
    const char *file;   /* the font file, named in the truth */
} smp_hand_font;

/* The fonts the model writes with; *n receives their number. */
const smp_hand_font *smp_hand_fonts(int *n);

/* More hands, used only for SMP_DMG_HANDS (opt-in, so the default output
 * stays as it was): the six "Because We Had To" hands (fonts-bwht) and
 * Rufscript (fonts-rufscript). They lack Æ, Ø and Å, which are then
 * written as AE, O with a slash and A with a ring. *n: their number. */
const smp_hand_font *smp_hand_fonts_extra(int *n);

/* Checks that fontconfig finds every handwriting font itself rather than a
 * fallback (which would make the simulator's output depend on the
 * machine). Returns 0 or TELLE_EINVAL naming the missing font. */
int smp_hand_fonts_check(void);

/* The same for smp_hand_fonts_extra. */
int smp_hand_fonts_extra_check(void);

typedef struct {
    const smp_ballot *ballot; /* the style the sheet is */
    int font;                 /* index into smp_hand_fonts */
    double pen_rgb[3];
    const char *pen_colour;   /* "blue", "black", "pencil" or "red" */
    double pen_alpha;         /* opacity of every pen stroke: 1, less for
                                 light pressure, 0.85 for a pencil */
    double text_stroke_mm;    /* >0: glyphs outlined this thick (felt-tip) */
    double show_through;      /* >0: the pen's ink shows on the other side
                                 with this opacity (felt-tip, simulate.c) */
    smp_mark marks[32];
    int n_marks;
    smp_text texts[24];
    int n_texts;
    smp_stamp stamp;
    json_t *truth; /* voter part of the truth line (see README) */
} smp_sheet;

/* Knobs of the voter model: probabilities per sheet, 0..1. */
typedef struct {
    double p_blank_style;     /* a blank ballot */
    double p_all_lists_style; /* an advance-voting all-lists ballot */
    double p_wrong_election;  /* a ballot of another election in the box */
    double p_personal_votes;  /* personal votes on a list ballot */
    double p_write_in;        /* write-ins (KS) */
    double p_too_many;        /* more write-ins than rows */
    double p_outside;         /* writing outside every field */
    double p_marginal;        /* a dot or an erased mark in a box */
    double p_light;           /* a light mark among clear ones */
    double p_missing_stamp;   /* no stamp */
    double p_faint_stamp;
    double p_overhang_stamp;
    /* damage kinds of the pen (simulate.h SMP_DMG_*), 0 unless asked; they
     * draw from a stream of their own, so 0 changes nothing */
    double p_pencil;          /* a pencil: gray, grainy strokes */
    double p_red_pen;         /* a red pen */
    double p_pressure_light;  /* thin pale strokes (light marks) */
    double p_pressure_heavy;  /* a felt-tip: thick, shows through */
    double p_mark_styles;     /* tick/cross/hatched/solid, circled number */
    double p_small_margin;    /* 3 letters 2 mm high in a margin */
    double p_hands;           /* one of smp_hand_fonts_extra */
} smp_voter_opts;

#define SMP_VOTER_OPTS_INIT                                                  \
    {0.04, 0.05, 0.03, 0.35, 0.10, 0.015, 0.08, 0.03, 0.03, 0.03, 0.2, 0.2,  \
     0, 0, 0, 0, 0, 0, 0}

/* Plans one sheet for a box of election `election` (the id): chooses a
 * style among ballots (n of them, in package order), the voter's case and
 * every stroke, measures handwriting with scratch (any cairo context) and
 * fills sh, whose truth the caller frees with smp_sheet_clear. Returns 0
 * or TELLE_ENOMEM / TELLE_EINVAL (no style of that election). */
int smp_voter_plan(smp_sheet *sh, smp_ballot *const *ballots, int n,
                   const pkg_package *pkg, const char *election,
                   const smp_voter_opts *opts, smp_rng *rng, cairo_t *scratch);

/* Draws the plan's ink that lies on side, on cr in mm user space (the
 * upright reference frame of that side). */
void smp_voter_draw(const smp_sheet *sh, cairo_t *cr, int side);

/* Draws only the voter's pen ink (marks, writing; no stamp) of side on cr,
 * at opacity alpha: what a felt-tip shows through the paper. */
void smp_voter_draw_pen(const smp_sheet *sh, cairo_t *cr, int side,
                        double alpha);

/* Releases the plan's truth; the sheet itself is the caller's. */
void smp_sheet_clear(smp_sheet *sh);

#endif
