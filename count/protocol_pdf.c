/* protocol_pdf.c - the protocol (protocol.h) as an A4 PDF fit for
 * signing, drawn with cairo.
 *
 *   cnt_protocol_pdf_write
 *
 * Layout: the document is laid out twice with the same code, first into a
 * PDF stream that is thrown away to learn the number of pages M, then into
 * the file, so every page can say "side N av M". Tables repeat their header
 * row after a page break and never split a row; a heading is kept with the
 * first lines after it; the signature block is kept whole. A protocol that
 * is not final gets a band "IKKE ENDELIG – <reasons>" on top of every page.
 * Text is DejaVu Sans (fonts-dejavu-core) through cairo's font API, which
 * covers æ, ø, å and the other letters Norwegian names use.
 */
#include "count/protocol.h"

#include "core/error.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A4 in points, margins chosen so a 2 cm binding edge stays clear. */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN_L 56.0
#define MARGIN_R 48.0
#define TOP 70.0      /* first text line below the band */
#define BOTTOM 780.0  /* last text line above the footer */
#define BAND_Y 22.0
#define FOOTER_Y 810.0
#define FONT "DejaVu Sans"
#define TEXT_W (PAGE_W - MARGIN_L - MARGIN_R)

enum { MAX_COLS = 12, COUNT_COLS_PER_TABLE = 6 };

typedef struct {
    cairo_t *cr;
    int page;          /* current page, 1-based */
    int total;         /* pages in all; 0 while counting them */
    double y;          /* baseline of the next line */
    const char *band;  /* not-final text, or NULL */
    char footer[256];
} doc;

/* ---- text ---- */

static void font(doc *d, double size, bool bold)
{
    cairo_select_font_face(d->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(d->cr, size);
}

static double text_w(doc *d, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(d->cr, s, &e);
    return e.x_advance;
}

static void show(doc *d, double x, double y, const char *s)
{
    cairo_move_to(d->cr, x, y);
    cairo_show_text(d->cr, s);
}

typedef struct {
    char **v;
    size_t n;
} lines;

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int lines_push(lines *l, const char *s, size_t len)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    if (!(v[l->n] = strndup(s, len)))
        return -1;
    l->n++;
    return 0;
}

/* Breaks s into lines no wider than w at the current font: at spaces, and
 * inside a word (at a UTF-8 character boundary) only when the word alone
 * is too wide. Always at least one line. */
static int wrap(lines *out, doc *d, const char *s, double w)
{
    size_t len = strlen(s), start = 0;
    char *buf = malloc(len + 1);
    out->v = NULL;
    out->n = 0;
    if (!buf)
        return -1;
    while (start < len || out->n == 0) {
        size_t best = 0, i = start;
        /* the longest prefix, ending before a space or at the end, that fits */
        while (i <= len) {
            if (i == len || s[i] == ' ' || s[i] == '\n') {
                memcpy(buf, s + start, i - start);
                buf[i - start] = 0;
                if (text_w(d, buf) > w && best > 0)
                    break;
                best = i - start;
                if (text_w(d, buf) > w || i == len || s[i] == '\n')
                    break;
            }
            i++;
        }
        memcpy(buf, s + start, best);
        buf[best] = 0;
        if (best > 0 && text_w(d, buf) > w) {
            /* one word too wide: cut it by characters */
            size_t cut = 0, k = 0;
            while (k < best) {
                size_t next = k + 1;
                while (next < best && ((unsigned char)s[start + next] & 0xC0) ==
                                          0x80)
                    next++;
                memcpy(buf, s + start, next);
                buf[next] = 0;
                if (text_w(d, buf) > w && cut > 0)
                    break;
                cut = next;
                k = next;
            }
            best = cut;
        }
        if (lines_push(out, s + start, best) < 0) {
            free(buf);
            lines_free(out);
            return -1;
        }
        start += best;
        while (start < len && (s[start] == ' ' || s[start] == '\n'))
            start++;
        if (start >= len)
            break;
    }
    free(buf);
    return 0;
}

/* ---- pages ---- */

static void page_begin(doc *d)
{
    cairo_t *cr = d->cr;
    char t[64];
    if (d->band) {
        font(d, 10, true);
        lines l;
        if (wrap(&l, d, d->band, TEXT_W - 12) == 0) {
            double h = 8 + 13 * (double)l.n;
            cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
            cairo_rectangle(cr, MARGIN_L, BAND_Y, TEXT_W, h);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 1, 1, 1);
            for (size_t i = 0; i < l.n; i++)
                show(d, MARGIN_L + 6, BAND_Y + 14 + 13 * (double)i, l.v[i]);
            lines_free(&l);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    font(d, 8, false);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    show(d, MARGIN_L, FOOTER_Y, d->footer);
    if (d->total > 0)
        snprintf(t, sizeof t, "side %d av %d", d->page, d->total);
    else
        snprintf(t, sizeof t, "side %d av %d", d->page, d->page);
    show(d, PAGE_W - MARGIN_R - text_w(d, t), FOOTER_Y, t);
    cairo_set_source_rgb(cr, 0, 0, 0);
    d->y = TOP + (d->band ? 10 : 0);
}

static void page_break(doc *d)
{
    cairo_show_page(d->cr);
    d->page++;
    page_begin(d);
}

/* Starts a new page unless h more points fit on this one. */
static void ensure(doc *d, double h)
{
    if (d->y + h > BOTTOM)
        page_break(d);
}

/* ---- blocks ---- */

static void heading(doc *d, const char *text, int level)
{
    double size = level == 1 ? 14 : level == 2 ? 12 : 10;
    ensure(d, size + 60); /* keep with what follows */
    d->y += level == 1 ? 10 : 6;
    font(d, size, true);
    lines l;
    if (wrap(&l, d, text, TEXT_W) < 0)
        return;
    for (size_t i = 0; i < l.n; i++) {
        show(d, MARGIN_L, d->y, l.v[i]);
        d->y += size * 1.3;
    }
    lines_free(&l);
    d->y += 2;
}

static void para(doc *d, const char *text, double size, bool bold)
{
    font(d, size, bold);
    lines l;
    if (wrap(&l, d, text, TEXT_W) < 0)
        return;
    for (size_t i = 0; i < l.n; i++) {
        ensure(d, size * 1.35);
        show(d, MARGIN_L, d->y, l.v[i]);
        d->y += size * 1.35;
    }
    lines_free(&l);
    d->y += 3;
}

/* A table: column titles and widths (fractions of the text width; they
 * need not add up to 1), right-aligned columns, and rows of cells added
 * with row_add. Drawn by table_draw. */
typedef struct {
    size_t ncols;
    const char *title[MAX_COLS];
    double width[MAX_COLS];
    bool right[MAX_COLS];
    char **cells;  /* nrows × ncols, owned */
    bool *bold;    /* per row */
    size_t nrows;
    bool failed;   /* out of memory: drawn as far as it got */
} table;

static void table_free(table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->bold);
}

static void col(table *t, const char *title, double width, bool right)
{
    if (t->ncols >= MAX_COLS)
        return;
    t->title[t->ncols] = title;
    t->width[t->ncols] = width;
    t->right[t->ncols] = right;
    t->ncols++;
}

/* Adds a row of ncols strings (NULL: empty), copied; bold for totals and
 * rows that need attention. */
static void row_vals(table *t, bool bold, const char *const *vals)
{
    char **c = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *c);
    bool *b = c ? realloc(t->bold, (t->nrows + 1) * sizeof *b) : NULL;
    if (c)
        t->cells = c;
    if (b)
        t->bold = b;
    if (!c || !b) {
        t->failed = true;
        return;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        c[t->nrows * t->ncols + i] = strdup(vals[i] ? vals[i] : "");
        if (!c[t->nrows * t->ncols + i])
            t->failed = true;
    }
    b[t->nrows] = bold;
    t->nrows++;
}

#define TBL_SIZE 8.5
#define TBL_HEAD_SIZE 7.5
#define TBL_LINE 11.0
#define TBL_PAD 3.0

static double col_x(const table *t, size_t i, double scale)
{
    double x = MARGIN_L;
    for (size_t k = 0; k < i; k++)
        x += t->width[k] * scale;
    return x;
}

/* Draws one row whose cells are `cells`; returns its height. When `draw`
 * is false only measures. */
static double row_draw(doc *d, const table *t, char *const *cells, bool bold,
                       bool header, double scale, bool draw)
{
    lines l[MAX_COLS];
    size_t maxn = 1;
    font(d, header ? TBL_HEAD_SIZE : TBL_SIZE, bold || header);
    for (size_t i = 0; i < t->ncols; i++) {
        double w = t->width[i] * scale - 2 * TBL_PAD;
        if (wrap(&l[i], d, cells[i] ? cells[i] : "", w) < 0) {
            l[i].v = NULL;
            l[i].n = 0;
        }
        if (l[i].n > maxn)
            maxn = l[i].n;
    }
    double h = TBL_LINE * (double)maxn + 2 * TBL_PAD;
    if (draw) {
        cairo_t *cr = d->cr;
        double top = d->y;
        if (header) {
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_rectangle(cr, MARGIN_L, top,
                            col_x(t, t->ncols, scale) - MARGIN_L, h);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
        }
        for (size_t i = 0; i < t->ncols; i++) {
            double x0 = col_x(t, i, scale);
            double w = t->width[i] * scale;
            for (size_t k = 0; k < l[i].n; k++) {
                double tw = text_w(d, l[i].v[k]);
                double x = t->right[i] ? x0 + w - TBL_PAD - tw
                                                  : x0 + TBL_PAD;
                show(d, x, top + TBL_PAD + TBL_LINE * (double)(k + 1) - 2.5,
                     l[i].v[k]);
            }
        }
        cairo_set_line_width(cr, 0.5);
        cairo_move_to(cr, MARGIN_L, top + h);
        cairo_line_to(cr, col_x(t, t->ncols, scale), top + h);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < t->ncols; i++)
        lines_free(&l[i]);
    return h;
}

static void table_draw(doc *d, const table *t)
{
    char *head[MAX_COLS];
    double sum = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        head[i] = (char *)t->title[i];
        sum += t->width[i];
    }
    double scale = TEXT_W / (sum > 0 ? sum : 1);
    double hh = row_draw(d, t, head, false, true, scale, false);
    double first = t->nrows ? row_draw(d, t, t->cells, t->bold[0], false,
                                       scale, false)
                            : 0;
    ensure(d, hh + first);
    d->y -= TBL_LINE - 4; /* the header box starts at the text top */
    d->y += row_draw(d, t, head, false, true, scale, true);
    for (size_t r = 0; r < t->nrows; r++) {
        char *const *cells = t->cells + r * t->ncols;
        double h = row_draw(d, t, cells, t->bold[r], false, scale, false);
        if (d->y + h > BOTTOM) {
            page_break(d);
            d->y -= TBL_LINE - 4;
            d->y += row_draw(d, t, head, false, true, scale, true);
        }
        d->y += row_draw(d, t, cells, t->bold[r], false, scale, true);
    }
    d->y += TBL_LINE + 4;
}

/* ---- reading the protocol JSON ---- */

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void num(char *buf, size_t n, const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.2f", json_real_value(v));
    else
        snprintf(buf, n, "–");
}

enum { NUM = 32 };

/* ---- sections ---- */

static void sec_counted(doc *d, const json_t *s)
{
    static const char *const keys[4] = {"ballots", "approved", "blank",
                                        "rejected"};
    heading(d, str(s, "title"), 3);
    table t = {0};
    col(&t, "Kategori", 1.0, false);
    col(&t, "Krets", 0.8, false);
    col(&t, "Bunker", 1.9, false);
    col(&t, "Opptalte", 0.9, true);
    col(&t, "Godkjente", 0.9, true);
    col(&t, "Blanke", 0.8, true);
    col(&t, "Forkastede", 0.9, true);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(s, "rows"), i, r) {
        char n[4][NUM], *batches = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&batches, &len);
        size_t k;
        json_t *b;
        json_array_foreach(json_object_get(r, "batches"), k, b)
            if (m)
                fprintf(m, "%s%s", k ? ", " : "", json_string_value(b));
        if (m)
            fclose(m);
        for (int j = 0; j < 4; j++)
            num(n[j], NUM, r, keys[j]);
        const char *v[7] = {str(r, "category"), str(r, "krets"), batches,
                            n[0], n[1], n[2], n[3]};
        row_vals(&t, false, v);
        free(batches);
    }
    const json_t *tot = json_object_get(s, "total");
    char n[4][NUM];
    for (int j = 0; j < 4; j++)
        num(n[j], NUM, tot, keys[j]);
    const char *v[7] = {"Totalt", "", "", n[0], n[1], n[2], n[3]};
    row_vals(&t, true, v);
    table_draw(d, &t);
    table_free(&t);
}

static void sec_rejected(doc *d, const json_t *s)
{
    static const char *const keys[5] = {"a", "b", "c", "d", "total"};
    heading(d, str(s, "title"), 3);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(s, "grounds"), i, g) {
        char line[256];
        snprintf(line, sizeof line, "%s) %s", str(g, "ground"), str(g, "text"));
        para(d, line, 8.5, false);
    }
    para(d, "Grunnlag: valgloven § 10-3 (1) bokstav a–d.", 8.5, false);
    table t = {0};
    col(&t, "Kategori", 1.0, false);
    col(&t, "Krets", 1.0, false);
    col(&t, "a", 0.8, true);
    col(&t, "b", 0.8, true);
    col(&t, "c", 0.8, true);
    col(&t, "d", 0.8, true);
    col(&t, "Totalt", 0.9, true);
    json_t *r;
    json_array_foreach(json_object_get(s, "rows"), i, r) {
        char n[5][NUM];
        for (int j = 0; j < 5; j++)
            num(n[j], NUM, r, keys[j]);
        const char *v[7] = {str(r, "category"), str(r, "krets"), n[0], n[1],
                            n[2], n[3], n[4]};
        row_vals(&t, false, v);
    }
    const json_t *tot = json_object_get(s, "total");
    char n[5][NUM];
    for (int j = 0; j < 5; j++)
        num(n[j], NUM, tot, keys[j]);
    const char *v[7] = {"Totalt", "", n[0], n[1], n[2], n[3], n[4]};
    row_vals(&t, true, v);
    table_draw(d, &t);
    table_free(&t);
}

/* D.3: count columns in groups of COUNT_COLS_PER_TABLE, the total in the
 * last group. */
static void sec_approved(doc *d, const json_t *s)
{
    heading(d, str(s, "title"), 3);
    const json_t *cols = json_object_get(s, "columns");
    size_t nc = json_array_size(cols);
    size_t groups = nc == 0 ? 1 : (nc + COUNT_COLS_PER_TABLE - 1) /
                                      COUNT_COLS_PER_TABLE;
    char titles[MAX_COLS][48];
    for (size_t g = 0; g < groups; g++) {
        size_t from = g * COUNT_COLS_PER_TABLE;
        size_t to = from + COUNT_COLS_PER_TABLE < nc ? from +
                                                           COUNT_COLS_PER_TABLE
                                                     : nc;
        bool last = g + 1 == groups;
        table t = {0};
        col(&t, "Parti", 2.6, false);
        for (size_t k = from; k < to; k++) {
            const json_t *c = json_array_get(cols, k);
            snprintf(titles[k - from], sizeof titles[0], "%s %s",
                     str(c, "category"), str(c, "krets"));
            col(&t, titles[k - from], 1.0, true);
        }
        if (last)
            col(&t, "Totalt", 1.0, true);
        size_t i;
        json_t *r;
        const json_t *tot = json_object_get(s, "total");
        size_t nrows = json_array_size(json_object_get(s, "rows"));
        for (i = 0; i <= nrows; i++) {
            bool is_total = i == nrows;
            r = is_total ? (json_t *)tot
                         : json_array_get(json_object_get(s, "rows"), i);
            char label[160], n[MAX_COLS][NUM];
            const char *v[MAX_COLS];
            if (is_total)
                snprintf(label, sizeof label, "Totalt");
            else
                snprintf(label, sizeof label, "%s (%s)", str(r, "name"),
                         str(r, "list"));
            v[0] = label;
            size_t col_i = 1;
            for (size_t k = from; k < to; k++, col_i++) {
                json_t *x = json_array_get(json_object_get(r, "counts"), k);
                snprintf(n[col_i], NUM, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(x));
                v[col_i] = n[col_i];
            }
            if (last) {
                num(n[col_i], NUM, r, "total");
                v[col_i] = n[col_i];
            }
            row_vals(&t, is_total, v);
        }
        table_draw(d, &t);
        table_free(&t);
    }
}

static void sec_differences(doc *d, const json_t *s)
{
    heading(d, str(s, "title"), 3);
    const json_t *counts = json_object_get(s, "counts");
    if (json_array_size(counts) == 0)
        para(d, "Ingen opptellinger i denne kategorien.", 9, false);
    size_t i;
    json_t *c;
    json_array_foreach(counts, i, c) {
        char line[256];
        const json_t *pre = json_object_get(c, "prelim");
        if (json_is_object(pre))
            snprintf(line, sizeof line,
                     "%s, krets %s – foreløpig opptelling registrert av %s; "
                     "tvilsomme stemmesedler: %" JSON_INTEGER_FORMAT,
                     str(c, "category"), str(c, "krets"), str(pre, "by"),
                     json_integer_value(json_object_get(pre, "doubtful")));
        else
            snprintf(line, sizeof line, "%s, krets %s", str(c, "category"),
                     str(c, "krets"));
        ensure(d, 50);
        para(d, line, 9, true);
        if (!json_is_object(pre)) {
            para(d, "Foreløpig opptelling er ikke registrert.", 9, false);
            continue;
        }
        table t = {0};
        col(&t, "Parti", 2.2, false);
        col(&t, "Foreløpig", 0.9, true);
        col(&t, "Endelig", 0.9, true);
        col(&t, "Avvik", 0.7, true);
        col(&t, "Forklaring", 3.0, false);
        size_t k;
        json_t *r;
        json_array_foreach(json_object_get(c, "rows"), k, r) {
            char label[160], n[3][NUM];
            if (strcmp(str(r, "list"), "blank") == 0)
                snprintf(label, sizeof label, "Blanke");
            else
                snprintf(label, sizeof label, "%s (%s)", str(r, "name"),
                         str(r, "list"));
            num(n[0], NUM, r, "prelim");
            num(n[1], NUM, r, "final");
            num(n[2], NUM, r, "difference");
            bool unexplained = json_is_true(json_object_get(r, "unexplained"));
            const char *ex = json_string_value(json_object_get(r,
                                                               "explanation"));
            const char *v[5] = {label, n[0], n[1], n[2],
                                unexplained ? "UTEN FORKLARING" : ex};
            row_vals(&t, unexplained, v);
        }
        table_draw(d, &t);
        table_free(&t);
    }
}

static void sec_remarks(doc *d, const json_t *s)
{
    heading(d, str(s, "title"), 3);
    const json_t *rows = json_object_get(s, "rows");
    if (json_array_size(rows) == 0) {
        para(d, "Ingen merknader.", 9, false);
        return;
    }
    table t = {0};
    col(&t, "Kategori", 0.8, false);
    col(&t, "Krets", 0.7, false);
    col(&t, "Bunke / ark", 2.0, false);
    col(&t, "Av", 0.8, false);
    col(&t, "Merknad", 3.6, false);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        char where[160];
        snprintf(where, sizeof where, "%s %s", str(r, "batch"), str(r, "sheet"));
        const char *v[5] = {str(r, "category"), str(r, "krets"), where,
                            str(r, "by"), str(r, "text")};
        row_vals(&t, false, v);
    }
    table_draw(d, &t);
    table_free(&t);
}

static void sec_spotchecks(doc *d, const json_t *s)
{
    heading(d, str(s, "title"), 1);
    const json_t *rows = json_object_get(s, "rows");
    if (json_array_size(rows) == 0) {
        para(d, "Ingen stikkprøver er registrert.", 9, false);
        return;
    }
    table t = {0};
    col(&t, "Bunke", 1.4, false);
    col(&t, "Kategori / krets", 1.1, false);
    col(&t, "Kontrollert", 0.9, true);
    col(&t, "Avvik (hånd / maskin)", 2.0, false);
    col(&t, "Forklaring", 2.6, false);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        char where[64], n[NUM], *diffs = NULL;
        size_t len = 0;
        snprintf(where, sizeof where, "%s %s", str(r, "category"),
                 str(r, "krets"));
        num(n, NUM, r, "ballots_checked");
        FILE *m = open_memstream(&diffs, &len);
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(r, "differences"), k, x)
            if (m)
                fprintf(m, "%s%s: %" JSON_INTEGER_FORMAT " / %"
                           JSON_INTEGER_FORMAT,
                        k ? "; " : "", str(x, "what"),
                        json_integer_value(json_object_get(x, "hand")),
                        json_integer_value(json_object_get(x, "machine")));
        if (m) {
            if (k == 0)
                fprintf(m, "ingen");
            fclose(m);
        }
        const char *v[5] = {str(r, "batch"), where, n, diffs,
                            str(r, "explanation")};
        row_vals(&t, false, v);
        free(diffs);
    }
    table_draw(d, &t);
    table_free(&t);
}

static const char *list_name(const json_t *p, const char *code)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(p, "lists"), i, l)
        if (strcmp(str(l, "code"), code) == 0)
            return str(l, "name");
    return "";
}

static void sec_e(doc *d, const json_t *p, const json_t *e)
{
    char line[512];
    heading(d, str(e, "title"), 1);
    if (json_object_get(e, "error")) {
        snprintf(line, sizeof line, "Valgoppgjøret kan ikke gjøres: %s",
                 str(e, "error"));
        para(d, line, 10, false);
        return;
    }
    json_t *seats = json_object_get(e, "seats");
    heading(d, "E1.1 Beregning av listestemmetall", 3);
    snprintf(line, sizeof line,
             "Listestemmetall = godkjente stemmesedler × %" JSON_INTEGER_FORMAT
             " mandater + slengere mottatt fra andre lister − slengere avgitt "
             "til andre lister.",
             json_integer_value(seats));
    para(d, line, 9, false);
    table t = {0};
    col(&t, "Parti", 2.2, false);
    col(&t, "Stemmesedler", 1.2, true);
    col(&t, "Slengere inn", 1.1, true);
    col(&t, "Slengere ut", 1.1, true);
    col(&t, "Listestemmetall", 1.5, true);
    col(&t, "Mandater", 0.9, true);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(e, "lists"), i, r) {
        char label[160], n[5][NUM];
        snprintf(label, sizeof label, "%s (%s)", list_name(p, str(r, "code")),
                 str(r, "code"));
        num(n[0], NUM, r, "ballots");
        num(n[1], NUM, r, "write_ins_received");
        num(n[2], NUM, r, "write_ins_given");
        num(n[3], NUM, r, "listestemmetall");
        num(n[4], NUM, r, "seats");
        const char *v[6] = {label, n[0], n[1], n[2], n[3], n[4]};
        row_vals(&t, false, v);
    }
    table_draw(d, &t);
    table_free(&t);

    heading(d, "E1.2 Fordeling av mandater", 3);
    snprintf(line, sizeof line,
             "Modifisert Sainte-Laguës metode, første delingstall %.1f, deretter "
             "3, 5, 7, … Kvotientene i den rekkefølgen mandatene ble tildelt:",
             json_number_value(json_object_get(e, "first_divisor")));
    para(d, line, 9, false);
    table q = {0};
    col(&q, "Mandat", 0.8, true);
    col(&q, "Parti", 2.8, false);
    col(&q, "Kvotient", 1.4, true);
    json_array_foreach(json_object_get(e, "quotients"), i, r) {
        char n[NUM], label[160];
        num(n, NUM, r, "seat");
        snprintf(label, sizeof label, "%s (%s)", list_name(p, str(r, "list")),
                 str(r, "list"));
        const char *v[3] = {n, label, str(r, "quotient_text")};
        row_vals(&q, false, v);
    }
    const json_t *next = json_object_get(e, "next_quotient");
    if (next) {
        char label[160];
        snprintf(label, sizeof label, "%s (%s)%s",
                 list_name(p, str(next, "list")), str(next, "list"),
                 json_is_true(json_object_get(next, "tied")) ? ", lik med annen"
                                                             : "");
        const char *v[3] = {"neste", label, str(next, "quotient_text")};
        row_vals(&q, false, v);
    }
    table_draw(d, &q);
    table_free(&q);
    json_array_foreach(json_object_get(e, "lots"), i, r) {
        char *txt = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&txt, &len);
        if (!m)
            continue;
        fprintf(m, "Loddtrekning (frø %" JSON_INTEGER_FORMAT
                   ") ved mandat %" JSON_INTEGER_FORMAT
                   ": lik kvotient %s og listestemmetall %" JSON_INTEGER_FORMAT
                   " for",
                json_integer_value(json_object_get(e, "seed")),
                json_integer_value(json_object_get(r, "first_seat")),
                str(r, "quotient_text"),
                json_integer_value(json_object_get(r, "listestemmetall")));
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(r, "tied"), k, x)
            fprintf(m, " %s", json_string_value(x));
        fprintf(m, "; trukket rekkefølge:");
        json_array_foreach(json_object_get(r, "order"), k, x)
            fprintf(m, " %s", json_string_value(x));
        fprintf(m, "%s.", json_is_true(json_object_get(r, "decisive"))
                              ? " (loddtrekningen avgjorde hvem som fikk "
                                "mandat)"
                              : "");
        fclose(m);
        para(d, txt, 9, false);
        free(txt);
    }

    heading(d, "E2 Kandidatkåring", 2);
    para(d, "Stemmetillegg: 25 % av listens godkjente stemmesedler, for "
            "kandidatene listen har gitt stemmetillegg. Sum = stemmetillegg + "
            "personstemmer + slengere. Like summer rangeres etter plass på "
            "listen. Vararepresentanter: de neste mandater + 3.",
         9, false);
    const json_t *cands = json_object_get(e, "candidates");
    json_array_foreach(json_object_get(e, "lists"), i, r) {
        const char *code = str(r, "code");
        const json_t *arr = json_object_get(cands, code);
        if (!arr)
            continue;
        snprintf(line, sizeof line, "%s (%s) – %" JSON_INTEGER_FORMAT
                 " mandat%s, stemmetillegg %.2f",
                 list_name(p, code), code,
                 json_integer_value(json_object_get(r, "seats")),
                 json_integer_value(json_object_get(r, "seats")) == 1 ? ""
                                                                      : "er",
                 json_number_value(json_object_get(r, "stemmetillegg")));
        heading(d, line, 3);
        table t2 = {0};
        col(&t2, "Rang", 34, true);
        col(&t2, "Nr", 26, true);
        col(&t2, "Kandidat", 140, false);
        col(&t2, "Stemmetillegg", 80, true);
        col(&t2, "Personstemmer", 82, true);
        col(&t2, "Slengere", 54, true);
        col(&t2, "Sum", 42, true);
        col(&t2, "Utfall", 46, false);
        size_t k;
        json_t *c;
        json_array_foreach(arr, k, c) {
            char n[6][NUM], out[32] = "";
            num(n[0], NUM, c, "rank");
            num(n[1], NUM, c, "no");
            num(n[2], NUM, c, "stemmetillegg");
            num(n[3], NUM, c, "personal_votes");
            num(n[4], NUM, c, "write_ins_received");
            num(n[5], NUM, c, "total");
            if (json_is_true(json_object_get(c, "elected")))
                snprintf(out, sizeof out, "Valgt");
            else if (json_is_true(json_object_get(c, "deputy")))
                snprintf(out, sizeof out, "Vara %" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(c,
                                                            "deputy_rank")));
            const char *v[8] = {n[0], n[1], str(c, "name"), n[2], n[3], n[4],
                                n[5], out};
            row_vals(&t2, json_is_true(json_object_get(c, "elected")), v);
        }
        table_draw(d, &t2);
        table_free(&t2);
    }
    const json_t *missing = json_object_get(e, "candidates_missing");
    if (json_array_size(missing) > 0) {
        char *txt = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&txt, &len);
        if (m) {
            fprintf(m, "Kandidatkåring er ikke gjort for");
            size_t k;
            json_t *x;
            json_array_foreach(missing, k, x)
                fprintf(m, "%s %s", k ? "," : "", json_string_value(x));
            fprintf(m, ": kandidatlisten er ikke kjent (valgpakken mangler).");
            fclose(m);
            para(d, txt, 9, true);
            free(txt);
        }
    }
}

static void signatures(doc *d)
{
    ensure(d, 230);
    heading(d, "Underskrifter", 1);
    para(d, "Valgstyret har godkjent opptellingen og valgoppgjøret som "
            "framstilt i denne protokollen.",
         9.5, false);
    d->y += 12;
    font(d, 9.5, false);
    show(d, MARGIN_L, d->y, "Sted og dato:");
    cairo_set_line_width(d->cr, 0.6);
    cairo_move_to(d->cr, MARGIN_L + 70, d->y + 2);
    cairo_line_to(d->cr, MARGIN_L + 300, d->y + 2);
    cairo_stroke(d->cr);
    d->y += 20;
    static const char *const roles[6] = {"Leder", "Nestleder", "Medlem",
                                         "Medlem", "Medlem", "Sekretær"};
    double colw = TEXT_W / 2;
    for (int i = 0; i < 6; i += 2) {
        d->y += 34;
        for (int k = 0; k < 2; k++) {
            double x = MARGIN_L + k * colw;
            cairo_move_to(d->cr, x, d->y);
            cairo_line_to(d->cr, x + colw - 24, d->y);
            cairo_stroke(d->cr);
            font(d, 8.5, false);
            show(d, x, d->y + 11, roles[i + k]);
        }
        d->y += 12;
    }
}

static void title_block(doc *d, const json_t *p)
{
    const json_t *el = json_object_get(p, "election");
    const json_t *area = json_object_get(p, "area");
    char line[512];
    font(d, 18, true);
    show(d, MARGIN_L, d->y + 6, "Valgstyrets møtebok");
    d->y += 30;
    para(d, json_is_object(json_object_get(p, "E"))
                ? "Endelig opptelling (kapittel D) og valgoppgjør (kapittel E)"
                : "Endelig opptelling (kapittel D)",
         11, false);
    snprintf(line, sizeof line, "%s", str(p, "event"));
    para(d, line, 10, false);
    snprintf(line, sizeof line, "%s %s – %s (%s)", str(area, "code"),
             str(area, "name"), str(el, "name"), str(el, "id"));
    para(d, line, 10, true);
    snprintf(line, sizeof line, "Valgpakke SHA-256: %s", str(p, "package_sha256"));
    para(d, line, 7.5, false);
    if (json_is_true(json_object_get(p, "final"))) {
        para(d, "Status: ENDELIG – alle bunker er godkjent og alle avvik er "
                "forklart.",
             10, true);
    } else {
        snprintf(line, sizeof line, "Status: %s", d->band);
        para(d, line, 10, true);
    }
}

static void render(doc *d, const json_t *p)
{
    page_begin(d);
    title_block(d, p);
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(p, "chapters"), i, ch) {
        char line[128];
        snprintf(line, sizeof line, "%s %s", str(ch, "id"), str(ch, "title"));
        heading(d, line, 1);
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(ch, "categories"), k, c) {
            snprintf(line, sizeof line, "%s: %s", json_string_value(c),
                     cnt_category_name(json_string_value(c))
                         ? cnt_category_name(json_string_value(c))
                         : "");
            para(d, line, 8.5, false);
        }
        sec_counted(d, json_object_get(ch, "counted"));
        sec_rejected(d, json_object_get(ch, "rejected"));
        sec_approved(d, json_object_get(ch, "approved"));
        sec_differences(d, json_object_get(ch, "differences"));
        sec_remarks(d, json_object_get(ch, "remarks"));
    }
    sec_spotchecks(d, json_object_get(p, "spotchecks"));
    const json_t *e = json_object_get(p, "E");
    if (json_is_object(e))
        sec_e(d, p, e);
    signatures(d);
    cairo_show_page(d->cr);
}

static cairo_status_t discard(void *closure, const unsigned char *data,
                              unsigned int length)
{
    (void)closure;
    (void)data;
    (void)length;
    return CAIRO_STATUS_SUCCESS;
}

/* Lays the protocol out on `surface`; returns the number of pages. */
static int lay_out(cairo_surface_t *surface, const json_t *p, const char *band,
                   int total, cairo_status_t *status)
{
    doc d = {0};
    const json_t *el = json_object_get(p, "election");
    const json_t *area = json_object_get(p, "area");
    d.cr = cairo_create(surface);
    d.page = 1;
    d.total = total;
    d.band = band;
    snprintf(d.footer, sizeof d.footer, "Møtebok, %s – %s (%s)",
             str(area, "name"), str(el, "name"), str(el, "id"));
    render(&d, p);
    *status = cairo_status(d.cr);
    cairo_destroy(d.cr);
    return d.page;
}

int cnt_protocol_pdf_write(const json_t *protocol, const char *path)
{
    const char *fmt = json_string_value(json_object_get(protocol, "format"));
    if (!fmt || strcmp(fmt, CNT_PROTOCOL_FORMAT) != 0)
        return err_set(TELLE_EFORMAT, "protocol: format is not \"%s\"",
                       CNT_PROTOCOL_FORMAT);
    char *band = NULL;
    size_t len = 0;
    if (!json_is_true(json_object_get(protocol, "final"))) {
        FILE *m = open_memstream(&band, &len);
        if (!m)
            return err_set(TELLE_ENOMEM, "out of memory");
        fprintf(m, "IKKE ENDELIG");
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(protocol, "not_final"), i, r)
            fprintf(m, "%s%s", i ? ", " : " – ", json_string_value(r));
        fclose(m);
    }
    cairo_status_t st;
    cairo_surface_t *dry = cairo_pdf_surface_create_for_stream(discard, NULL,
                                                               PAGE_W, PAGE_H);
    int pages = lay_out(dry, protocol, band, 0, &st);
    cairo_surface_finish(dry);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(dry);
    cairo_surface_destroy(dry);
    int rc = 0;
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = err_set(st == CAIRO_STATUS_NO_MEMORY ? TELLE_ENOMEM
                                                  : TELLE_EFORMAT,
                     "protocol: cannot lay out: %s",
                     cairo_status_to_string(st));
        goto done;
    }
    cairo_surface_t *pdf = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_TITLE,
                                   "Valgstyrets møtebok");
    cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_CREATOR, "telle");
    int again = lay_out(pdf, protocol, band, pages, &st);
    cairo_surface_finish(pdf);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(pdf);
    cairo_surface_destroy(pdf);
    if (st != CAIRO_STATUS_SUCCESS)
        rc = err_set(st == CAIRO_STATUS_NO_MEMORY ? TELLE_ENOMEM : TELLE_EIO,
                     "%s: cannot write the PDF: %s", path,
                     cairo_status_to_string(st));
    else if (again != pages)
        rc = err_set(TELLE_EFORMAT, "%s: layout gave %d pages, then %d",
                     path, pages, again);
done:
    free(band);
    return rc;
}
