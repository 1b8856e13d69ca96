/* render.c - the ballot renderer: layout and drawing of the national
 * template's one-fold ballots, and `telle ballots render`.
 *
 * Public: smp_ballot_new, smp_ballot_free, smp_ballot_regions,
 * smp_ballot_draw, smp_ballot_image, smp_ballot_paper_rgb,
 * smp_ballot_style, smp_side_name, smp_styles_default, smp_styles_free,
 * smp_package_render.
 *
 * One function, paint_side(), both draws a side and (when given a region
 * sink) records where every region lands, so the regions written into
 * election.json are by construction where the ink is. Text is measured with
 * hinting off, which makes its extents independent of the resolution.
 */
#include "samples/render.h"

#include "core/error.h"
#include "core/image_io.h"
#include "samples/model.h"
#include "samples/util.h"

#include <cairo-pdf.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_SANS "DejaVu Sans"
#define FONT_MONO "DejaVu Sans Mono"

/* Candidate rows: box 4 mm, rows 5.6 mm apart; squeezed down to 4.6 mm
 * before a list is refused (the two-fold ballot is not drawn yet). */
#define ROW_PITCH_MM 5.6
#define ROW_PITCH_MIN_MM 4.6
#define BOX_MM 4.0
/* Write-in table: 7 mm writing rows under a 6 mm header. */
#define WI_ROW_MM 7.0
#define WI_HEAD_MM 6.0
#define WI_W_MM 125.0
#define WI_NAME_W_MM 88.0
#define WI_BOTTOM_MM 194.0
/* Columns of candidate rows: x of the number's right edge and of the box. */
#define COL_A_X 18.0
#define COL_A_TOP 46.0
#define COL_B_TOP 24.0
#define COL_BOTTOM 192.0
/* the stamp field, from the left edge of the front (last) panel */
#define STAMP_DX 73.5
#define STAMP_Y 20.0
#define STAMP_W 58.0
#define STAMP_H 36.0

typedef struct {
    pkg_region *v;
    int n, cap;
} region_vec;

struct smp_ballot {
    const pkg_package *pkg;
    const pkg_election *el;
    const pkg_list *list; /* kind list */
    pkg_style style;      /* shallow copy: strings owned by the caller */
    int election_no;      /* 1-based position of the election */
    int style_no;         /* 1-based position of the style */
    double pitch_mm;      /* candidate row pitch */
    int panels;           /* 2: one-fold (A4), 3: two-fold */
    int table_outside;    /* the write-in table is on the outside */
    double page_w;        /* page width, mm */
    int col_rows[3];      /* candidate rows per column (one per panel) */
    region_vec regions[SMP_N_SIDES];
    char number[64];      /* the machine-readable number line */
    int failed;           /* out of memory while recording */
};

const char *smp_side_name(int side)
{
    return side == SMP_SIDE_INSIDE ? "inside" : "outside";
}

const pkg_style *smp_ballot_style(const smp_ballot *b) { return &b->style; }

double smp_ballot_page_w_mm(const smp_ballot *b) { return b->page_w; }

int smp_ballot_folds(const smp_ballot *b) { return b->panels - 1; }

/* Left text edge of panel k (panels are SMP_FOLD_X_MM wide). */
static double panel_x(int k)
{
    return k == 0 ? COL_A_X : SMP_FOLD_X_MM * k + 11.5;
}

void smp_ballot_paper_rgb(const smp_ballot *b, double rgb[3])
{
    if (b->el->type == PKG_FYLKESTINGSVALG) {
        rgb[0] = 0.85, rgb[1] = 0.92, rgb[2] = 0.99; /* light blue */
    } else {
        rgb[0] = 1.00, rgb[1] = 0.86, rgb[2] = 0.90; /* pink */
    }
}

/* ---- recording regions ---------------------------------------------- */

static pkg_region *region_add(smp_ballot *b, region_vec *rv,
                              pkg_region_type type, double x, double y,
                              double w, double h)
{
    if (!rv)
        return NULL;
    if (rv->n == rv->cap) {
        int cap = rv->cap ? rv->cap * 2 : 16;
        pkg_region *v = realloc(rv->v, (size_t)cap * sizeof *v);
        if (!v) {
            b->failed = 1;
            return NULL;
        }
        rv->v = v;
        rv->cap = cap;
    }
    pkg_region *r = &rv->v[rv->n++];
    memset(r, 0, sizeof *r);
    r->type = type;
    r->rect.x = smp_round2(x);
    r->rect.y = smp_round2(y);
    r->rect.w = smp_round2(w);
    r->rect.h = smp_round2(h);
    return r;
}

static void regions_clear(region_vec *rv)
{
    for (int i = 0; i < rv->n; i++) {
        free(rv->v[i].list);
        free(rv->v[i].value);
        free(rv->v[i].rows);
    }
    free(rv->v);
    memset(rv, 0, sizeof *rv);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- drawing helpers -------------------------------------------------- */

static void font(cairo_t *cr, const char *family, int bold, double size_mm)
{
    cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_mm);
}

/* Shows s with its baseline at (x, y); returns the advance. */
static double text(cairo_t *cr, double x, double y, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
    return te.x_advance;
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* The ink box of s drawn at (x, y), grown by pad mm on every side. */
static void text_box(cairo_t *cr, double x, double y, const char *s,
                     double pad, double box[4])
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    box[0] = x + te.x_bearing - pad;
    box[1] = y + te.y_bearing - pad;
    box[2] = te.width + 2 * pad;
    box[3] = te.height + 2 * pad;
}

static void rect_stroke(cairo_t *cr, double x, double y, double w, double h,
                        double lw)
{
    cairo_set_line_width(cr, lw);
    cairo_rectangle(cr, x, y, w, h);
    cairo_stroke(cr);
}

static void ink(cairo_t *cr) { cairo_set_source_rgb(cr, 0, 0, 0); }

/* Solid 5 mm squares in the four corners: unlike an L they have a centre
 * that a recogniser can find at any small rotation. */
static void registration_marks(smp_ballot *b, cairo_t *cr, region_vec *rv)
{
    const double s = 5.0, m = 8.0;
    const double xs[2] = {m, b->page_w - m - s};
    const double ys[2] = {m, SMP_PAGE_H_MM - m - s};
    ink(cr);
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 2; i++) {
            cairo_rectangle(cr, xs[i], ys[j], s, s);
            cairo_fill(cr);
            region_add(b, rv, PKG_REGION_REGISTRATION_MARK, xs[i], ys[j], s, s);
        }
}

static const char *election_word(const smp_ballot *b)
{
    return b->el->name ? b->el->name
                       : (b->el->type == PKG_FYLKESTINGSVALG
                              ? "Fylkestingsvalget"
                              : "Kommunestyrevalget");
}

/* "N. [ ] Fornavn Etternavn, f. YYYY" with the box at box_x, row top y. */
static void candidate_row(smp_ballot *b, cairo_t *cr, region_vec *rv,
                          const pkg_candidate *c, double box_x, double y)
{
    char buf[32];
    ink(cr);
    snprintf(buf, sizeof buf, "%d.", c->no);
    font(cr, FONT_SANS, 0, 3.4);
    text(cr, box_x - 1.8 - text_width(cr, buf), y + 3.4, buf);
    rect_stroke(cr, box_x, y, BOX_MM, BOX_MM, 0.3);
    pkg_region *r = region_add(b, rv, PKG_REGION_VOTE_BOX, box_x, y, BOX_MM,
                               BOX_MM);
    if (r)
        r->candidate = c->no;
    font(cr, FONT_SANS, c->stemmetillegg, 3.6);
    double adv = text(cr, box_x + BOX_MM + 2.4, y + 3.5, c->name);
    if (c->born > 0) {
        snprintf(buf, sizeof buf, ", f. %d", c->born);
        font(cr, FONT_SANS, 0, 2.5);
        text(cr, box_x + BOX_MM + 2.4 + adv, y + 3.5, buf);
    }
}

/* Writing rows are 7 mm; a table that would rise above y = 30 mm (more
 * than 22 rows) gets lower rows. */
static double wi_row_h(const smp_ballot *b)
{
    int n = b->el->max_write_ins;
    double h = WI_ROW_MM;
    if (n > 0 && WI_HEAD_MM + n * h > WI_BOTTOM_MM - 30.0)
        h = (WI_BOTTOM_MM - 30.0 - WI_HEAD_MM) / n;
    return h;
}

static double wi_table_top(const smp_ballot *b)
{
    return WI_BOTTOM_MM - WI_HEAD_MM - b->el->max_write_ins * wi_row_h(b);
}

static int has_write_ins(const smp_ballot *b)
{
    return b->style.kind == PKG_STYLE_LIST &&
           b->el->type == PKG_KOMMUNESTYREVALG && b->el->max_write_ins > 0;
}

/* Where candidate column k ends: above the write-in table when the table
 * shares the last panel. */
static double col_bottom(const smp_ballot *b, int k)
{
    if (k == b->panels - 1 && has_write_ins(b) && !b->table_outside)
        return wi_table_top(b) - 10.0;
    return COL_BOTTOM;
}

static double col_top(int k) { return k == 0 ? COL_A_TOP : COL_B_TOP; }

/* The write-in table "Kandidater fra andre lister". */
static void write_in_table(smp_ballot *b, cairo_t *cr, region_vec *rv,
                           double x0)
{
    char buf[160];
    int n = b->el->max_write_ins;
    double row_h = wi_row_h(b);
    double top = wi_table_top(b);
    double h = WI_HEAD_MM + n * row_h;
    ink(cr);
    font(cr, FONT_SANS, 1, 3.2);
    snprintf(buf, sizeof buf,
             "Kandidater fra andre lister \xe2\x80\x93 inntil %d "
             "(skriv med STORE bokstaver)", n);
    text(cr, x0, top - 2.5, buf);
    rect_stroke(cr, x0, top, WI_W_MM, h, 0.45);
    cairo_set_line_width(cr, 0.25);
    cairo_move_to(cr, x0 + WI_NAME_W_MM, top);
    cairo_line_to(cr, x0 + WI_NAME_W_MM, top + h);
    cairo_stroke(cr);
    font(cr, FONT_SANS, 0, 2.6);
    text(cr, x0 + 1.5, top + 4.2, "Fornavn og etternavn");
    text(cr, x0 + WI_NAME_W_MM + 1.5, top + 4.2, "Parti / liste");
    pkg_region *r = region_add(b, rv, PKG_REGION_WRITE_IN_FIELD, x0, top,
                               WI_W_MM, h);
    if (r) {
        r->max_entries = n;
        r->rows = calloc((size_t)n, sizeof *r->rows);
        if (!r->rows)
            b->failed = 1;
        else
            r->n_rows = n;
    }
    for (int i = 0; i < n; i++) {
        double y = top + WI_HEAD_MM + i * row_h;
        cairo_set_line_width(cr, 0.25);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x0 + WI_W_MM, y);
        cairo_stroke(cr);
        /* letter ticks: one per capital letter, 4.5 mm apart */
        cairo_set_line_width(cr, 0.18);
        for (double x = x0 + 4.5; x < x0 + WI_NAME_W_MM - 1.0;
             x += 4.5) {
            cairo_move_to(cr, x, y + row_h);
            cairo_line_to(cr, x, y + row_h - 1.0);
        }
        cairo_stroke(cr);
        if (r && r->rows) {
            r->rows[i].x = x0;
            r->rows[i].y = smp_round2(y);
            r->rows[i].w = WI_W_MM;
            r->rows[i].h = smp_round2(row_h);
        }
    }
}

static void number_line(smp_ballot *b, cairo_t *cr, region_vec *rv)
{
    double box[4];
    ink(cr);
    font(cr, FONT_MONO, 0, 3.0);
    text(cr, COL_A_X, 203.0, b->number);
    text_box(cr, COL_A_X, 203.0, b->number, 0.5, box);
    pkg_region *r = region_add(b, rv, PKG_REGION_BALLOT_NUMBER, box[0], box[1],
                               box[2], box[3]);
    if (r && !(r->value = dup_str(b->number)))
        b->failed = 1;
}

/* List name (or title) in large bold type and the election line under it. */
static void header(smp_ballot *b, cairo_t *cr, region_vec *rv,
                   const char *title, int record_name)
{
    char buf[256];
    double box[4];
    ink(cr);
    font(cr, FONT_SANS, 1, 9.0);
    text(cr, COL_A_X, 24.0, title);
    if (record_name) {
        text_box(cr, COL_A_X, 24.0, title, 0.8, box);
        region_add(b, rv, PKG_REGION_PARTY_NAME, box[0], box[1], box[2],
                   box[3]);
    }
    font(cr, FONT_SANS, 0, 3.8);
    snprintf(buf, sizeof buf, "%s \xe2\x80\x93 %s", election_word(b),
             b->pkg->area_name);
    text(cr, COL_A_X, 31.5, buf);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, COL_A_X, 34.5);
    cairo_line_to(cr, 140.0, 34.5);
    cairo_stroke(cr);
}

static void inside_list(smp_ballot *b, cairo_t *cr, region_vec *rv)
{
    header(b, cr, rv, b->list->name, 1);
    font(cr, FONT_SANS, 1, 2.9);
    text(cr, COL_A_X, 40.5,
         "Personstemme: sett kryss i ruten foran kandidaten");
    font(cr, FONT_SANS, 0, 2.8);
    text(cr, panel_x(1), 14.0,
         "\xe2\x80\xa2 Se veiledning p\xc3\xa5 baksiden   "
         "\xe2\x80\xa2 Brett seddelen med stempelfeltet ut");
    int k = 0, row = 0;
    for (int i = 0; i < b->list->n_candidates; i++, row++) {
        while (k < b->panels - 1 && row >= b->col_rows[k])
            k++, row = 0;
        candidate_row(b, cr, rv, &b->list->candidates[i], panel_x(k) + 9.0,
                      col_top(k) + row * b->pitch_mm);
    }
    if (has_write_ins(b) && !b->table_outside)
        write_in_table(b, cr, rv, panel_x(b->panels - 1));
}

static void inside_all_lists(smp_ballot *b, cairo_t *cr, region_vec *rv)
{
    header(b, cr, rv, "Alle partier og grupper", 1);
    font(cr, FONT_SANS, 1, 3.0);
    text(cr, COL_A_X, 41.0,
         "Sett ett kryss i ruten foran listen du stemmer p\xc3\xa5");
    double y = 48.0;
    for (int i = 0; i < b->el->n_lists; i++, y += 10.0) {
        const pkg_list *l = &b->el->lists[i];
        ink(cr);
        rect_stroke(cr, COL_A_X + 4.0, y, 6.0, 6.0, 0.35);
        pkg_region *r = region_add(b, rv, PKG_REGION_VOTE_BOX, COL_A_X + 4.0,
                                   y, 6.0, 6.0);
        if (r && !(r->list = dup_str(l->code)))
            b->failed = 1;
        font(cr, FONT_SANS, 1, 4.6);
        text(cr, COL_A_X + 14.0, y + 5.0, l->name);
    }
    y += 6.0;
    font(cr, FONT_SANS, 0, 3.0);
    text(cr, COL_A_X, y, "Eller skriv navnet p\xc3\xa5 listen du stemmer "
                         "p\xc3\xa5 her:");
    y += 2.5;
    rect_stroke(cr, COL_A_X, y, 120.0, 17.0, 0.35);
    region_add(b, rv, PKG_REGION_LIST_WRITE_FIELD, COL_A_X, y, 120.0, 17.0);
    font(cr, FONT_SANS, 0, 3.0);
    const char *lines[] = {
        "Denne stemmeseddelen brukes ved forh\xc3\xa5ndsstemming.",
        "Du kan ikke gi personstemmer p\xc3\xa5 den.",
        "Sett kryss for \xc3\xa9n liste, eller skriv navnet p\xc3\xa5 \xc3\xa9n liste.",
    };
    for (int i = 0; i < 3; i++)
        text(cr, panel_x(1), 30.0 + 5.5 * i, lines[i]);
}

static void inside_blank(smp_ballot *b, cairo_t *cr, region_vec *rv)
{
    header(b, cr, rv, "Stemmeseddel", 0);
    font(cr, FONT_SANS, 1, 3.0);
    text(cr, COL_A_X, 42.0,
         "Skriv navnet p\xc3\xa5 partiet eller gruppen du stemmer p\xc3\xa5:");
    rect_stroke(cr, COL_A_X, 45.0, 120.0, 18.0, 0.35);
    region_add(b, rv, PKG_REGION_LIST_WRITE_FIELD, COL_A_X, 45.0, 120.0, 18.0);
    font(cr, FONT_SANS, 0, 3.0);
    text(cr, panel_x(1), 30.0,
         "En blank stemmeseddel uten liste teller som blank stemme.");
}

/* A light guilloche of sine lines over the lower part of the outside:
 * enough to tell the outside from the
 * inside at a glance, light enough (luma above 0.75) to vanish at any
 * bitonal threshold a scanner uses. */
static void pattern(smp_ballot *b, cairo_t *cr, int colour)
{
    double paper[3];
    smp_ballot_paper_rgb(b, paper);
    if (colour)
        cairo_set_source_rgb(cr, paper[0] * 0.86, paper[1] * 0.86,
                             paper[2] * 0.86);
    else
        cairo_set_source_rgb(cr, 0.86, 0.86, 0.86);
    cairo_set_line_width(cr, 0.25);
    for (double y0 = 118.0; y0 < SMP_PAGE_H_MM; y0 += 4.0) {
        cairo_move_to(cr, 0, y0);
        for (double x = 0; x <= b->page_w; x += 1.0)
            cairo_line_to(cr, x, y0 + 1.1 * sin(x / 6.0 + y0 / 9.0));
        cairo_stroke(cr);
    }
}

static void outside(smp_ballot *b, cairo_t *cr, region_vec *rv, int colour)
{
    double paper[3];
    char buf[200];
    /* the front is the last panel; fx shifts the one-fold positions */
    double fx = b->page_w - SMP_PAGE_W_MM;
    double stamp_x = SMP_FOLD_X_MM * (b->panels - 1) + STAMP_DX;
    pattern(b, cr, colour);
    smp_ballot_paper_rgb(b, paper);
    /* plain paper under the texts and the stamp field */
    if (colour)
        cairo_set_source_rgb(cr, paper[0], paper[1], paper[2]);
    else
        cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 16, 112, 120, 14);
    cairo_rectangle(cr, fx + 160, 112, 126, 24);
    cairo_fill(cr);
    ink(cr);
    /* the back when folded: instructions */
    font(cr, FONT_SANS, 1, 5.0);
    text(cr, 20, 26, "Slik stemmer du");
    font(cr, FONT_SANS, 0, 3.1);
    const char *ks[] = {
        "1. Velg stemmeseddelen til partiet eller gruppen du vil stemme p\xc3\xa5.",
        "2. Du kan gi personstemme ved \xc3\xa5 sette kryss i ruten foran",
        "    kandidater p\xc3\xa5 listen.",
        "3. Du kan skrive inn kandidater fra andre lister i feltet",
        "    \xe2\x80\x9cKandidater fra andre lister\xe2\x80\x9d.",
        "4. Brett stemmeseddelen med stempelfeltet ut og f\xc3\xa5 den",
        "    stemplet f\xc3\xb8r du legger den i urnen.",
    };
    const char *ft[] = {
        "1. Velg stemmeseddelen til partiet eller gruppen du vil stemme p\xc3\xa5.",
        "2. Du kan gi personstemme ved \xc3\xa5 sette kryss i ruten foran",
        "    kandidater p\xc3\xa5 listen.",
        "3. Ved fylkestingsvalget kan du ikke f\xc3\xb8re opp kandidater",
        "    fra andre lister.",
        "4. Brett stemmeseddelen med stempelfeltet ut og f\xc3\xa5 den",
        "    stemplet f\xc3\xb8r du legger den i urnen.",
    };
    const char **lines = b->el->type == PKG_FYLKESTINGSVALG ? ft : ks;
    for (int i = 0; i < 7; i++)
        text(cr, 20, 36 + 6.5 * i, lines[i]);
    /* the front when folded: title and stamp field */
    font(cr, FONT_SANS, 1, 9.0);
    text(cr, fx + 165, 80, "Stemmeseddel");
    font(cr, FONT_SANS, 0, 4.6);
    text(cr, fx + 165, 90, election_word(b));
    snprintf(buf, sizeof buf, "%s", b->pkg->area_name);
    text(cr, fx + 165, 97, buf);
    font(cr, FONT_SANS, 1, 3.0);
    text(cr, stamp_x, STAMP_Y - 1.8, "Stempelfelt");
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, stamp_x, STAMP_Y, STAMP_W, STAMP_H);
    cairo_fill(cr);
    ink(cr);
    rect_stroke(cr, stamp_x, STAMP_Y, STAMP_W, STAMP_H, 0.4);
    region_add(b, rv, PKG_REGION_STAMP_FIELD, stamp_x, STAMP_Y, STAMP_W,
               STAMP_H);
    /* councils of more than 67 members: the table moves to the middle
     * panel of the outside */
    if (has_write_ins(b) && b->table_outside) {
        if (colour)
            cairo_set_source_rgb(cr, paper[0], paper[1], paper[2]);
        else
            cairo_set_source_rgb(cr, 1, 1, 1);
        double t = wi_table_top(b) - 8.0;
        cairo_rectangle(cr, panel_x(1) - 2, t, WI_W_MM + 4, WI_BOTTOM_MM - t + 2);
        cairo_fill(cr);
        write_in_table(b, cr, rv, panel_x(1));
    }
}

static void set_font_options(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

/* Draws a side; rv, when not NULL, receives its regions. */
static void paint_side(smp_ballot *b, cairo_t *cr, int side, int colour,
                       region_vec *rv)
{
    double paper[3];
    cairo_save(cr);
    set_font_options(cr);
    smp_ballot_paper_rgb(b, paper);
    if (colour)
        cairo_set_source_rgb(cr, paper[0], paper[1], paper[2]);
    else
        cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, b->page_w, SMP_PAGE_H_MM);
    cairo_fill(cr);
    if (side == SMP_SIDE_INSIDE) {
        switch (b->style.kind) {
        case PKG_STYLE_LIST: inside_list(b, cr, rv); break;
        case PKG_STYLE_ALL_LISTS: inside_all_lists(b, cr, rv); break;
        case PKG_STYLE_BLANK: inside_blank(b, cr, rv); break;
        }
        number_line(b, cr, rv);
    } else {
        outside(b, cr, rv, colour);
    }
    registration_marks(b, cr, rv);
    cairo_restore(cr);
}

/* ---- public ----------------------------------------------------------- */

int smp_ballot_new(smp_ballot **out, const pkg_package *pkg,
                   const pkg_style *style)
{
    *out = NULL;
    smp_ballot *b = calloc(1, sizeof *b);
    if (!b)
        return err_set(TELLE_ENOMEM, "out of memory");
    int rc = 0;
    cairo_surface_t *s = NULL;
    cairo_t *cr = NULL;
    b->pkg = pkg;
    b->style = *style;
    b->style.sides = NULL;
    b->style.n_sides = 0;
    b->panels = 2;
    b->style.page_h_mm = SMP_PAGE_H_MM;
    for (int i = 0; i < pkg->n_elections; i++)
        if (strcmp(pkg->elections[i].id, style->election) == 0) {
            b->el = &pkg->elections[i];
            b->election_no = i + 1;
        }
    for (int i = 0; i < pkg->n_styles; i++)
        if (strcmp(pkg->styles[i].id, style->id) == 0)
            b->style_no = i + 1;
    if (!b->style_no)
        b->style_no = 1;
    if (!b->el) {
        rc = err_set(TELLE_EINVAL, "style %s: election '%s' does not exist",
                     style->id, style->election);
        goto done;
    }
    /* more than 43 members (FT: 57): two folds; more than 67: the
     * write-in table moves to the outside (domain.md, "The ballot") */
    if (b->el->seats > (b->el->type == PKG_FYLKESTINGSVALG ? 57 : 43))
        b->panels = 3;
    b->table_outside = b->el->type == PKG_KOMMUNESTYREVALG &&
                       b->el->seats > 67;
    b->page_w = SMP_FOLD_X_MM * b->panels;
    b->style.page_w_mm = b->page_w;
    if (style->kind == PKG_STYLE_LIST) {
        b->list = style->list ? pkg_list_find(b->el, style->list) : NULL;
        if (!b->list) {
            rc = err_set(TELLE_EINVAL, "style %s: list '%s' is not in %s",
                         style->id, style->list ? style->list : "(none)",
                         b->el->id);
            goto done;
        }
        int n = b->list->n_candidates;
        double pitch = ROW_PITCH_MM;
        for (;; pitch -= 0.1) {
            int cap = 0, left = n;
            for (int k = 0; k < b->panels; k++) {
                int c = (int)((col_bottom(b, k) - col_top(k)) / pitch);
                cap += c;
                b->col_rows[k] = left < c ? left : c;
                left -= b->col_rows[k];
            }
            if (cap >= n) {
                b->pitch_mm = pitch;
                break;
            }
            if (pitch - 0.1 < ROW_PITCH_MIN_MM) {
                rc = err_set(TELLE_EINVAL,
                             "style %s: %d candidates do not fit the "
                             "ballot (at most %d)",
                             style->id, n, cap);
                goto done;
            }
        }
    }
    /* "000...0 EE AAAASSSS": zeros as on the template's number line, the
     * election's position, the area code and the style's position */
    snprintf(b->number, sizeof b->number, "%021d %02d %.4s%04d", 0,
             b->election_no, pkg->area_code, b->style_no);
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cr = cairo_create(s);
    for (int side = 0; side < SMP_N_SIDES; side++)
        paint_side(b, cr, side, 0, &b->regions[side]);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = err_set(TELLE_ENOMEM, "style %s: cairo: %s", style->id,
                     cairo_status_to_string(cairo_status(cr)));
        goto done;
    }
    if (b->failed)
        rc = err_set(TELLE_ENOMEM, "out of memory laying out %s", style->id);
done:
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    if (rc) {
        smp_ballot_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

void smp_ballot_free(smp_ballot *b)
{
    if (!b)
        return;
    for (int i = 0; i < SMP_N_SIDES; i++)
        regions_clear(&b->regions[i]);
    free(b);
}

int smp_ballot_regions(const smp_ballot *b, int side,
                       const pkg_region **regions)
{
    *regions = b->regions[side].v;
    return b->regions[side].n;
}

void smp_ballot_draw(const smp_ballot *b, cairo_t *cr, int side, bool colour)
{
    paint_side((smp_ballot *)b, cr, side, colour, NULL);
}

int smp_ballot_image(img **out, const smp_ballot *b, int side, double dpi,
                     int channels)
{
    *out = NULL;
    if (channels != 1 && channels != 3)
        return err_set(TELLE_EINVAL, "smp_ballot_image: %d channels",
                       channels);
    int w = (int)lround(b->page_w * dpi / 25.4);
    int h = (int)lround(SMP_PAGE_H_MM * dpi / 25.4);
    img *im = NULL;
    int rc = img_new(&im, w, h, channels, 8);
    if (rc)
        return rc;
    img_set_dpi(im, dpi, dpi);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, dpi / 25.4, dpi / 25.4);
    smp_ballot_draw(b, cr, side, true);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        img_free(im);
        return err_set(TELLE_ENOMEM, "cairo: cannot render %dx%d", w, h);
    }
    const unsigned char *data = cairo_image_surface_get_data(s);
    int cs = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(const void *)(data + (size_t)y * cs);
        uint8_t *dst = img_row_mut(im, y);
        for (int x = 0; x < w; x++) {
            uint32_t p = src[x];
            int r = (p >> 16) & 255, g = (p >> 8) & 255, bl = p & 255;
            if (channels == 1) {
                dst[x] = (uint8_t)((299 * r + 587 * g + 114 * bl + 500) / 1000);
            } else {
                dst[3 * x] = (uint8_t)r;
                dst[3 * x + 1] = (uint8_t)g;
                dst[3 * x + 2] = (uint8_t)bl;
            }
        }
    }
    cairo_surface_destroy(s);
    *out = im;
    return 0;
}

int smp_styles_default(pkg_style **out, int *n, const pkg_package *pkg)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    for (int i = 0; i < pkg->n_elections; i++)
        cap += pkg->elections[i].n_lists + 2;
    pkg_style *v = calloc((size_t)cap, sizeof *v);
    if (!v)
        return err_set(TELLE_ENOMEM, "out of memory");
    int k = 0;
    char id[128];
    for (int i = 0; i < pkg->n_elections; i++) {
        const pkg_election *e = &pkg->elections[i];
        for (int j = 0; j < e->n_lists + 2; j++) {
            pkg_style *s = &v[k];
            if (j < e->n_lists) {
                s->kind = PKG_STYLE_LIST;
                snprintf(id, sizeof id, "%s-%s", e->id, e->lists[j].code);
                s->list = dup_str(e->lists[j].code);
            } else if (e->type != PKG_KOMMUNESTYREVALG) {
                continue;
            } else if (j == e->n_lists) {
                s->kind = PKG_STYLE_BLANK;
                snprintf(id, sizeof id, "%s-BLANK", e->id);
            } else {
                s->kind = PKG_STYLE_ALL_LISTS;
                snprintf(id, sizeof id, "%s-ALLE", e->id);
            }
            s->id = dup_str(id);
            s->election = dup_str(e->id);
            s->page_w_mm = SMP_PAGE_W_MM;
            s->page_h_mm = SMP_PAGE_H_MM;
            k++;
            if (!s->id || !s->election ||
                (s->kind == PKG_STYLE_LIST && !s->list)) {
                smp_styles_free(v, k);
                return err_set(TELLE_ENOMEM, "out of memory");
            }
        }
    }
    *out = v;
    *n = k;
    return 0;
}

void smp_styles_free(pkg_style *styles, int n)
{
    if (!styles)
        return;
    for (int i = 0; i < n; i++) {
        free(styles[i].id);
        free(styles[i].election);
        free(styles[i].list);
    }
    free(styles);
}

/* ---- `telle ballots render` ------------------------------------------- */

static const char *kind_name(pkg_style_kind k)
{
    return k == PKG_STYLE_LIST ? "list"
           : k == PKG_STYLE_ALL_LISTS ? "all_lists" : "blank";
}

static json_t *rect_json(pkg_rect_mm r)
{
    return json_pack("[ffff]", r.x, r.y, r.w, r.h);
}

static json_t *regions_json(const pkg_region *rs, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        const pkg_region *r = &rs[i];
        json_t *o = json_pack("{s:s, s:o}", "type",
                              pkg_region_type_name(r->type), "rect_mm",
                              rect_json(r->rect));
        if (!o) {
            json_decref(a);
            return NULL;
        }
        if (r->type == PKG_REGION_VOTE_BOX && r->list)
            json_object_set_new(o, "list", json_string(r->list));
        else if (r->type == PKG_REGION_VOTE_BOX)
            json_object_set_new(o, "candidate", json_integer(r->candidate));
        if (r->value)
            json_object_set_new(o, "value", json_string(r->value));
        if (r->type == PKG_REGION_WRITE_IN_FIELD) {
            json_object_set_new(o, "max_entries", json_integer(r->max_entries));
            json_t *rows = json_array();
            for (int k = 0; k < r->n_rows; k++)
                json_array_append_new(rows, rect_json(r->rows[k]));
            json_object_set_new(o, "rows_mm", rows);
        }
        json_array_append_new(a, o);
    }
    return a;
}

static int write_gray_png(const char *path, const img *im)
{
    return iio_png_write(path, im);
}

static int write_pdf(const smp_ballot *b, const char *path)
{
    double pt = 72.0 / 25.4;
    cairo_surface_t *s = cairo_pdf_surface_create(path, b->page_w * pt,
                                                  SMP_PAGE_H_MM * pt);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, b->style.id);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "telle");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE,
                                   "2023-01-01T00:00:00Z");
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, pt, pt);
    for (int side = 0; side < SMP_N_SIDES; side++) {
        smp_ballot_draw(b, cr, side, true);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS)
        return err_set(TELLE_EIO, "%s: cannot write PDF: %s", path,
                       cairo_status_to_string(st));
    return 0;
}

int smp_package_render(const char *in, const char *out_dir,
                       const smp_render_opts *opts, int *n_styles)
{
    smp_render_opts o = SMP_RENDER_OPTS_INIT;
    if (opts)
        o = *opts;
    if (n_styles)
        *n_styles = 0;
    pkg_package *pkg = NULL;
    json_t *root = NULL, *styles_json = NULL;
    pkg_style *styles = NULL;
    int n = 0, own_styles = 0, rc;
    char *path = NULL, *pdf_dir = NULL;
    smp_ballot *b = NULL;
    img *im = NULL;
    size_t plen = strlen(out_dir) + 512;

    if ((rc = smp_model_load(&pkg, &root, in)))
        return rc;
    path = malloc(plen);
    if (!path) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if (pkg->n_styles > 0) {
        styles = pkg->styles;
        n = pkg->n_styles;
    } else {
        if ((rc = smp_styles_default(&styles, &n, pkg)))
            goto done;
        own_styles = 1;
        /* so that number lines count styles in the order written */
        pkg->styles = styles;
        pkg->n_styles = n;
    }
    if (o.write_pdf) {
        if (o.pdf_dir) {
            pdf_dir = dup_str(o.pdf_dir);
        } else {
            pdf_dir = malloc(plen);
            if (pdf_dir)
                snprintf(pdf_dir, plen, "%s/print", out_dir);
        }
        if (!pdf_dir) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = smp_mkdir_p(pdf_dir)))
            goto done;
    }
    styles_json = json_array();
    for (int i = 0; i < n; i++) {
        pkg_style *st = &styles[i];
        if ((rc = smp_ballot_new(&b, pkg, st)))
            goto done;
        json_t *js = json_pack("{s:s, s:s, s:s}", "id", st->id, "election",
                               st->election, "kind", kind_name(st->kind));
        if (st->kind == PKG_STYLE_LIST)
            json_object_set_new(js, "list", json_string(st->list));
        json_object_set_new(js, "page_mm",
                            json_pack("[ff]", smp_ballot_page_w_mm(b),
                                      SMP_PAGE_H_MM));
        json_object_set_new(js, "dpi", json_real(o.dpi));
        json_t *sides = json_array();
        json_object_set_new(js, "sides", sides);
        json_array_append_new(styles_json, js);
        snprintf(path, plen, "%s/styles/%s", out_dir, st->id);
        if ((rc = smp_mkdir_p(path)))
            goto done;
        for (int side = 0; side < SMP_N_SIDES; side++) {
            const pkg_region *rs;
            int nr = smp_ballot_regions(b, side, &rs);
            char ref[300];
            snprintf(ref, sizeof ref, "styles/%s/%s.png", st->id,
                     smp_side_name(side));
            json_t *regs = regions_json(rs, nr);
            if (!regs) {
                rc = err_set(TELLE_ENOMEM, "out of memory");
                goto done;
            }
            json_array_append_new(sides,
                                  json_pack("{s:s, s:s, s:o}", "name",
                                            smp_side_name(side), "reference",
                                            ref, "regions", regs));
            if ((rc = smp_ballot_image(&im, b, side, o.dpi, 1)))
                goto done;
            snprintf(path, plen, "%s/%s", out_dir, ref);
            if ((rc = write_gray_png(path, im)))
                goto done;
            img_free(im);
            im = NULL;
        }
        if (o.write_pdf) {
            snprintf(path, plen, "%s/%s.pdf", pdf_dir, st->id);
            if ((rc = write_pdf(b, path)))
                goto done;
            for (int side = 0; o.colour_dpi > 0 && side < SMP_N_SIDES;
                 side++) {
                if ((rc = smp_ballot_image(&im, b, side, o.colour_dpi, 3)))
                    goto done;
                snprintf(path, plen, "%s/%s-%s.png", pdf_dir, st->id,
                         smp_side_name(side));
                if ((rc = iio_png_write(path, im)))
                    goto done;
                img_free(im);
                im = NULL;
            }
        }
        smp_ballot_free(b);
        b = NULL;
    }
    if (!json_object_get(root, "format"))
        json_object_set_new(root, "format", json_string("telle-election/1"));
    /* the ballots print "inntil N": the package must say the same N */
    for (int i = 0; i < pkg->n_elections; i++) {
        json_t *je = json_array_get(json_object_get(root, "elections"),
                                    (size_t)i);
        if (pkg->elections[i].type == PKG_KOMMUNESTYREVALG &&
            !json_object_get(je, "max_write_ins"))
            json_object_set_new(je, "max_write_ins",
                                json_integer(pkg->elections[i].max_write_ins));
    }
    json_object_set(root, "styles", styles_json);
    snprintf(path, plen, "%s/election.json", out_dir);
    if (json_dump_file(root, path,
                       JSON_INDENT(1) | JSON_PRESERVE_ORDER |
                           JSON_REAL_PRECISION(10)) != 0) {
        rc = err_set(TELLE_EIO, "%s: cannot write", path);
        goto done;
    }
    if (n_styles)
        *n_styles = n;
done:
    img_free(im);
    smp_ballot_free(b);
    json_decref(styles_json);
    json_decref(root);
    if (own_styles) {
        pkg->styles = NULL;
        pkg->n_styles = 0;
        smp_styles_free(styles, n);
    }
    smp_model_free(pkg);
    free(path);
    free(pdf_dir);
    return rc;
}
