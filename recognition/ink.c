/* ink.c - every piece of ink the printed ballot does not explain, sorted
 * into vote-box marks, the stamp and writing: rec_ink_analyse,
 * rec_side_result_release.
 *
 * 1. The page is warped into the reference frame by its registration.
 * 2. Page ink is what is darker than WRITING_INK_FRACTION of the paper
 *    level. The reference explains it within the print tolerance (print
 *    and scan never match to the pixel) of real print; near light print
 *    only (the outside's pattern) it explains ink no darker than that print
 *    (REC_PRINT_FRACTION, REC_EXPLAIN_DELTA in recognition_internal.h), so
 *    the pen stroke on the pattern is writing.
 * 3. The rest is split into 8-connected components:
 *    - a component touching a vote box (grown by the overshoot margin) and
 *      staying close to it is that box's mark;
 *    - a component touching the stamp field is stamp, overhang included;
 *    - everything else is writing. Writing components closer than
 *      GROUP_MM are one entry; an entry with less ink than
 *      writing_min_ink_mm2 is scanner noise or dust. Anything more reaches
 *      a person: a single handwritten letter carries several times that.
 * 4. A vote box's score is the share of its unexplained interior that is
 *    inked, and its extent how far the mark's components reach over the
 *    box's size (a dot is compact, a cross or tick spans the box). The stamp is judged against the page's own noise: isolated
 *    specks elsewhere on the side tell how many noise pixels the stamp zone
 *    would hold by chance. */
#include "recognition/recognition_internal.h"

#include "core/error.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Page ink for writing: darker than 75 % of the paper (blue and black pen
 * on any paper tint; a faint pencil line in a gray scan too). */
#define WRITING_INK_FRACTION 75
/* In a gray or colour scan, a mark's ink darker than 40 % of the paper is
 * pen pressed on paper; an erased or faint trace (60 % and lighter of the
 * pen's darkness) stays above. */
#define MARK_DARK_FRACTION 40
/* A mark may overshoot its box by this much and still be the box's mark;
 * a component reaching further than OVERSHOOT_MAX_MM beyond the box is
 * writing that happens to touch it. */
#define OVERSHOOT_MM 1.0
#define OVERSHOOT_MAX_MM 3.0
/* Components whose boxes come closer than this belong to one entry: the
 * gap between handwritten letters and words of one name. */
#define GROUP_MM 2.0
/* A fold crease: within CREASE_NEAR_MM of the fold axis, at most
 * CREASE_MAX_WIDTH_MM thick and at least CREASE_MIN_LENGTH_MM long. */
#define CREASE_NEAR_MM 3.0
#define CREASE_MAX_WIDTH_MM 1.0
#define CREASE_MIN_LENGTH_MM 5.0
/* Components of at most this many pixels are specks: noise or a faint
 * stamp's dots. */
#define SPECK_PX 2
/* The stamp zone is the stamp field grown by this much. */
#define STAMP_ZONE_MM 2.0
/* Stamps are set down partly outside the field; 12 mm covers the largest
 * overhang a stamp of ~40 mm can have while still touching the field. */
#define STAMP_REACH_MM 12.0
/* A faint stamp breaks into pieces: a piece no larger than STAMP_PIECE_MM
 * each way (a written name is longer) within STAMP_GAP_MM of the stamp's
 * ink, inside the reach, belongs to it. */
#define STAMP_GAP_MM 6.0
#define STAMP_PIECE_MM 10.0
/* Least stamp ink, in pixels beyond what noise explains, to call a stamp:
 * a faint stamp in a bitonal scan leaves a few dozen dots; a clean field
 * none. */
#define STAMP_MIN_PX 8
/* In gray and colour scans a stamp may be lighter than ink: a pixel at
 * least this many levels darker than the paper counts as stamp tone, and
 * this much tone (~2.4 mm^2 at 200 dpi) is a stamp. */
#define STAMP_TONE_DELTA 30
#define STAMP_TONE_MIN_PX 150

typedef struct {
    int x0, y0, x1, y1; /* half-open px box */
} box;

static box rect_px(const pkg_rect_mm *r, double dpi, double grow_mm)
{
    box b;
    b.x0 = (int)floor(pkg_mm_to_px(r->x - grow_mm, dpi));
    b.y0 = (int)floor(pkg_mm_to_px(r->y - grow_mm, dpi));
    b.x1 = (int)ceil(pkg_mm_to_px(r->x + r->w + grow_mm, dpi));
    b.y1 = (int)ceil(pkg_mm_to_px(r->y + r->h + grow_mm, dpi));
    return b;
}

static box clip(box b, int w, int h)
{
    if (b.x0 < 0) b.x0 = 0;
    if (b.y0 < 0) b.y0 = 0;
    if (b.x1 > w) b.x1 = w;
    if (b.y1 > h) b.y1 = h;
    if (b.x1 < b.x0) b.x1 = b.x0;
    if (b.y1 < b.y0) b.y1 = b.y0;
    return b;
}

static bool overlaps(box a, box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static bool inside(box inner, box outer)
{
    return inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 &&
           inner.y1 <= outer.y1;
}

static box comp_box(const rec_component *c)
{
    box b = {c->x, c->y, c->x + c->w, c->y + c->h};
    return b;
}

static int find(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Counts write-in entries in one field. Each printed row holding writing
 * is one entry (a name and its party); writing between or below the rows
 * makes further entries, one per line (components whose vertical extents
 * overlap by half the smaller height share a line). Components are placed,
 * not entries, because a tall hand joins neighbouring rows into one entry. */
static int count_entries(const rec_component *comps, int n, const int *kind, int *parent,
                         const bool *in_field, const pkg_region *field, double dpi)
{
    bool used[64] = {false};
    int n_rows = field->n_rows < 64 ? field->n_rows : 64;
    int *loose = malloc(sizeof *loose * (size_t)(n + 1));
    int *lp = malloc(sizeof *lp * (size_t)(n + 1));
    if (!loose || !lp) {
        free(loose);
        free(lp);
        return 0;
    }
    int k = 0;
    for (int c = 0; c < n; c++) {
        if (kind[c] != 0 || comps[c].area <= SPECK_PX || !in_field[find(parent, c)])
            continue;
        double cy = comps[c].y + comps[c].h / 2.0;
        int row = -1;
        for (int r = 0; r < n_rows && row < 0; r++) {
            box rb = rect_px(&field->rows[r], dpi, 0);
            if (cy >= rb.y0 && cy < rb.y1)
                row = r;
        }
        if (row >= 0)
            used[row] = true;
        else
            loose[k++] = c;
    }
    for (int i = 0; i < k; i++)
        lp[i] = i;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            const rec_component *a = &comps[loose[i]], *b = &comps[loose[j]];
            int top = a->y > b->y ? a->y : b->y;
            int bot = (a->y + a->h) < (b->y + b->h) ? a->y + a->h : b->y + b->h;
            int minh = a->h < b->h ? a->h : b->h;
            if (2 * (bot - top) >= minh) {
                int ra = find(lp, i), rb = find(lp, j);
                if (ra != rb)
                    lp[ra] = rb;
            }
        }
    int entries = 0;
    for (int r = 0; r < n_rows; r++)
        entries += used[r];
    for (int i = 0; i < k; i++)
        entries += find(lp, i) == i;
    free(loose);
    free(lp);
    return entries;
}

/* A box of ink that is a fold crease (see CREASE_*). */
static bool is_crease(const pkg_style *st, double dpi, box b)
{
    double fold_x = pkg_mm_to_px(st->page_w_mm / 2, dpi);
    double fold_y = pkg_mm_to_px(st->page_h_mm / 2, dpi);
    double near_fold = pkg_mm_to_px(CREASE_NEAR_MM, dpi);
    double thin = pkg_mm_to_px(CREASE_MAX_WIDTH_MM, dpi);
    double length = pkg_mm_to_px(CREASE_MIN_LENGTH_MM, dpi);
    int w = b.x1 - b.x0, h = b.y1 - b.y0;
    bool vertical = w <= thin && h >= length && fabs((b.x0 + b.x1) / 2.0 - fold_x) <= near_fold;
    bool horizontal = h <= thin && w >= length && fabs((b.y0 + b.y1) / 2.0 - fold_y) <= near_fold;
    return vertical || horizontal;
}

typedef struct {
    const rec_ref *ref;
    int width, height;
    double dpi;
    rec_buf warped; /* page gray in the reference frame */
    rec_buf resid;  /* 255: page ink the reference does not explain */
    const rec_buf *darkest; /* the reference's darkest print nearby */
    uint8_t limit[256];     /* darkest print -> page level below which ink
                               is unexplained */
    int print_level;        /* darkest print below this: a printed line */
} work;

static void work_release(work *w)
{
    rec_buf_free(&w->warped);
    rec_buf_free(&w->resid);
}

static int build_residual(work *w, const rec_page *v, const rec_registration *reg)
{
    int rc = rec_buf_new(&w->warped, w->width, w->height);
    if (rc)
        return rc;
    cvs_view src = rec_view(&v->gray);
    cvs_buf dst = rec_cvbuf(&w->warped);
    if ((rc = cvs_warp_affine(&src, &dst, reg->a, (uint8_t)v->paper)))
        return rc;
    if ((rc = rec_buf_new(&w->resid, w->width, w->height)))
        return rc;
    int thr = v->bitonal ? 128 : v->paper * WRITING_INK_FRACTION / 100;
    w->print_level = w->ref->paper * REC_PRINT_FRACTION / 100;
    for (int r = 0; r < 256; r++) {
        int scaled = w->ref->paper > 0 ? r * v->paper / w->ref->paper : r;
        int lim = scaled - REC_EXPLAIN_DELTA;
        if (lim > thr)
            lim = thr;
        if (r < w->print_level)
            lim = 0; /* real print nearby explains everything */
        w->limit[r] = (uint8_t)(lim < 0 ? 0 : lim);
    }
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *restrict dk = w->darkest->data + (size_t)y * w->darkest->stride;
        uint8_t *restrict d = w->resid.data + (size_t)y * w->resid.stride;
        for (int x = 0; x < w->width; x++)
            d[x] = g[x] < w->limit[dk[x]] ? 255 : 0;
    }
    return 0;
}

/* Share of the box's interior, away from its printed border, that carries
 * unexplained ink; and the share of that ink that is dark (pen pressed on
 * paper, not an erased or faint trace). A bitonal scan's ink is all dark. */
static double box_score(const work *w, const rec_page *v, const pkg_region *reg,
                        double *dark_share)
{
    box b = clip(rect_px(&reg->rect, w->dpi, 0), w->width, w->height);
    long inked = 0, open = 0, dark = 0;
    int strong = v->bitonal ? 256 : v->paper * MARK_DARK_FRACTION / 100;
    for (int y = b.y0; y < b.y1; y++) {
        const uint8_t *dk = w->darkest->data + (size_t)y * w->darkest->stride;
        const uint8_t *rs = w->resid.data + (size_t)y * w->resid.stride;
        const uint8_t *g = w->warped.data + (size_t)y * w->warped.stride;
        for (int x = b.x0; x < b.x1; x++) {
            if (dk[x] < w->print_level)
                continue;
            open++;
            if (rs[x]) {
                inked++;
                dark += g[x] < strong;
            }
        }
    }
    *dark_share = inked > 0 ? (double)dark / (double)inked : 0.0;
    return open > 0 ? (double)inked / (double)open : 0.0;
}

/* Stamp tone in a gray or colour scan: unexplained pixels inside the field
 * clearly darker than the paper, less what the same test finds per area on
 * the rest of the side. */
static long stamp_tone(const work *w, const rec_page *v, box field)
{
    int thr = v->paper - STAMP_TONE_DELTA;
    long in = 0, out = 0, out_area = 0;
    for (int y = 0; y < w->height; y += 1) {
        const uint8_t *g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *dk = w->darkest->data + (size_t)y * w->darkest->stride;
        bool row_in = y >= field.y0 && y < field.y1;
        for (int x = 0; x < w->width; x++) {
            int scaled = w->ref->paper > 0 ? dk[x] * v->paper / w->ref->paper : dk[x];
            bool dark = g[x] < thr && g[x] < scaled - STAMP_TONE_DELTA;
            if (row_in && x >= field.x0 && x < field.x1) {
                in += dark;
            } else if ((x & 3) == 0 && (y & 3) == 0) {
                out += dark;
                out_area++;
            }
        }
    }
    long field_area = (long)(field.x1 - field.x0) * (field.y1 - field.y0);
    double expected = out_area > 0 ? (double)out * field_area / out_area : 0;
    return in - (long)ceil(expected);
}

int rec_ink_analyse(rec_side_result *out, const rec_engine *e, const rec_ref *ref,
                    const rec_page *p, const rec_registration *reg)
{
    memset(out, 0, sizeof *out);
    const rec_page *v = p;
    const pkg_side *side = ref->side;
    work w = {.ref = ref, .width = ref->width, .height = ref->height, .dpi = ref->dpi,
              .darkest = &ref->darkest};
    rec_component *comps = NULL;
    int n_comps = 0;
    int *parent = NULL;
    int *kind = NULL; /* per component: 0 writing, 1 mark, 2 stamp, 3 speck */
    int *owner = NULL; /* per mark component: the vote_box region it marks */
    bool *in_field = NULL; /* per writing group root: in the write-in field */
    int rc = build_residual(&w, v, reg);
    if (rc)
        goto done;
    if ((rc = rec_components(&comps, &n_comps, &w.resid)))
        goto done;
    parent = malloc(sizeof *parent * (size_t)(n_comps + 1));
    kind = calloc((size_t)n_comps + 1, sizeof *kind);
    owner = calloc((size_t)n_comps + 1, sizeof *owner);
    int n_boxes = 0;
    for (int i = 0; i < side->n_regions; i++)
        n_boxes += side->regions[i].type == PKG_REGION_VOTE_BOX;
    out->boxes = calloc((size_t)n_boxes + 1, sizeof *out->boxes);
    if (!parent || !kind || !owner || !out->boxes) {
        rc = err_set(TELLE_ENOMEM, "out of memory analysing ink");
        goto done;
    }

    /* Which component is what. */
    const pkg_region *stamp_field = NULL;
    for (int i = 0; i < side->n_regions; i++)
        if (side->regions[i].type == PKG_REGION_STAMP_FIELD)
            stamp_field = &side->regions[i];
    box stamp_zone = {0, 0, 0, 0}, stamp_reach = {0, 0, 0, 0};
    if (stamp_field) {
        stamp_zone = clip(rect_px(&stamp_field->rect, w.dpi, STAMP_ZONE_MM), w.width, w.height);
        stamp_reach = rect_px(&stamp_field->rect, w.dpi, STAMP_REACH_MM);
    }
    long speck_px_outside = 0, stamp_px = 0;
    log_debug("rec", "side %s: %d unexplained components", side->name, n_comps);
    for (int c = 0; c < n_comps; c++) {
        box cb = comp_box(&comps[c]);
        /* Ink touching the stamp zone is stamp only while it stays within
         * the stamp's reach: a line drawn from the stamp to a word far
         * away is writing, all of it. */
        if (stamp_field && overlaps(cb, stamp_zone) && inside(cb, stamp_reach)) {
            kind[c] = 2;
            stamp_px += comps[c].area;
            continue;
        }
        if (comps[c].area <= SPECK_PX) {
            kind[c] = 3;
            speck_px_outside += comps[c].area;
            continue;
        }
        for (int i = 0; i < side->n_regions; i++) {
            const pkg_region *r = &side->regions[i];
            if (r->type != PKG_REGION_VOTE_BOX)
                continue;
            box near = rect_px(&r->rect, w.dpi, OVERSHOOT_MM);
            box far = rect_px(&r->rect, w.dpi, OVERSHOOT_MAX_MM);
            if (overlaps(cb, near) && inside(cb, far)) {
                kind[c] = 1;
                owner[c] = i;
                break;
            }
        }
    }

    if (log_enabled("rec"))
        for (int c = 0; c < n_comps; c++)
            if (comps[c].area >= 40)
                log_debug("rec", "component %d,%d %dx%d area %d kind %s", comps[c].x, comps[c].y,
                          comps[c].w, comps[c].h, comps[c].area,
                          kind[c] == 0 ? "writing" : kind[c] == 1 ? "mark"
                                                   : kind[c] == 2 ? "stamp" : "speck");

    /* Fold creases: thin straight lines along a fold axis (the middle of
     * the sheet, either way) are the paper's, not ink. Letters written
     * across the fold are not thin and stay writing. */
    for (int c = 0; c < n_comps; c++)
        if (kind[c] == 0 && is_crease(ref->style, w.dpi, comp_box(&comps[c])))
            kind[c] = 3;

    /* Vote boxes. */
    for (int i = 0; i < side->n_regions; i++) {
        const pkg_region *r = &side->regions[i];
        if (r->type != PKG_REGION_VOTE_BOX)
            continue;
        out->boxes[out->n_boxes].region = i;
        out->boxes[out->n_boxes].score = box_score(&w, v, r, &out->boxes[out->n_boxes].dark);
        {
            /* How far the box's mark reaches: its components' joint extent
             * over the box's size. */
            box u = {1 << 30, 1 << 30, -1, -1};
            for (int c = 0; c < n_comps; c++) {
                if (kind[c] != 1 || owner[c] != i)
                    continue;
                box cb = comp_box(&comps[c]);
                if (cb.x0 < u.x0) u.x0 = cb.x0;
                if (cb.y0 < u.y0) u.y0 = cb.y0;
                if (cb.x1 > u.x1) u.x1 = cb.x1;
                if (cb.y1 > u.y1) u.y1 = cb.y1;
            }
            double size = pkg_mm_to_px(r->rect.w > r->rect.h ? r->rect.w : r->rect.h, w.dpi);
            int span = u.x1 > u.x0 ? ((u.x1 - u.x0) > (u.y1 - u.y0) ? u.x1 - u.x0 : u.y1 - u.y0) : 0;
            out->boxes[out->n_boxes].extent = size > 0 ? span / size : 0;
        }
        log_debug("rec", "box %d share %.3f extent %.2f dark %.2f", r->candidate,
                  out->boxes[out->n_boxes].score, out->boxes[out->n_boxes].extent,
                  out->boxes[out->n_boxes].dark);
        out->n_boxes++;
    }

    /* Group writing and stamp ink: components closer than GROUP_MM are one
     * entry. A group that touches the stamp zone and stays within
     * STAMP_REACH_MM of the field is the stamp, its overhang included (a
     * stamp's letters stand apart from its ring); a group reaching further
     * is writing that happens to touch the stamp. */
    int group = (int)ceil(pkg_mm_to_px(GROUP_MM, w.dpi));
    for (int c = 0; c < n_comps; c++)
        parent[c] = c;
    for (int a = 0; a < n_comps; a++) {
        if (!(kind[a] == 0 || (kind[a] == 2 && comps[a].area > SPECK_PX)))
            continue;
        box ba = comp_box(&comps[a]);
        ba.x0 -= group, ba.y0 -= group, ba.x1 += group, ba.y1 += group;
        for (int b = a + 1; b < n_comps; b++) {
            if (!(kind[b] == 0 || (kind[b] == 2 && comps[b].area > SPECK_PX)))
                continue;
            if (overlaps(ba, comp_box(&comps[b]))) {
                /* The smaller index stays the root: the loops below walk a
                 * group from its root upwards. */
                int ra = find(parent, a), rb = find(parent, b);
                if (ra < rb)
                    parent[rb] = ra;
                else if (rb < ra)
                    parent[ra] = rb;
            }
        }
    }
    if (stamp_field) {
        /* Seeded groups within reach are the stamp; then small groups close
         * to them (the broken-off pieces of a faint stamp) join them. */
        box reach = rect_px(&stamp_field->rect, w.dpi, STAMP_REACH_MM);
        int gap = (int)ceil(pkg_mm_to_px(STAMP_GAP_MM, w.dpi));
        int piece = (int)ceil(pkg_mm_to_px(STAMP_PIECE_MM, w.dpi));
        box *gbox = malloc(sizeof *gbox * (size_t)(n_comps + 1));
        int *gstate = calloc((size_t)n_comps + 1, sizeof *gstate); /* 1 stamp, 2 candidate piece,
                                                                   3 piece joined, 4 writing */
        if (!gbox || !gstate) {
            free(gbox);
            free(gstate);
            rc = err_set(TELLE_ENOMEM, "out of memory analysing ink");
            goto done;
        }
        for (int root = 0; root < n_comps; root++) {
            if (find(parent, root) != root || kind[root] == 1 || kind[root] == 3)
                continue;
            bool seeded = false;
            box gb = comp_box(&comps[root]);
            for (int c = root; c < n_comps; c++) {
                if (find(parent, c) != root || kind[c] == 1 || kind[c] == 3)
                    continue;
                seeded = seeded || kind[c] == 2;
                box cb = comp_box(&comps[c]);
                if (cb.x0 < gb.x0) gb.x0 = cb.x0;
                if (cb.y0 < gb.y0) gb.y0 = cb.y0;
                if (cb.x1 > gb.x1) gb.x1 = cb.x1;
                if (cb.y1 > gb.y1) gb.y1 = cb.y1;
            }
            gbox[root] = gb;
            if (!inside(gb, reach)) {
                /* Writing that reaches the stamp: its pieces in the zone are
                 * writing too. */
                if (seeded)
                    gstate[root] = 4;
                continue;
            }
            if (seeded)
                gstate[root] = 1;
            else if (gb.x1 - gb.x0 <= piece && gb.y1 - gb.y0 <= piece)
                gstate[root] = 2;
        }
        for (int root = 0; root < n_comps; root++) {
            if (gstate[root] != 2)
                continue;
            box grown = {gbox[root].x0 - gap, gbox[root].y0 - gap, gbox[root].x1 + gap,
                         gbox[root].y1 + gap};
            for (int other = 0; other < n_comps; other++)
                if (gstate[other] == 1 && overlaps(grown, gbox[other])) {
                    gstate[root] = 3;
                    break;
                }
        }
        for (int c = 0; c < n_comps; c++) {
            int g = find(parent, c);
            if (kind[c] == 0 && (gstate[g] == 1 || gstate[g] == 3)) {
                kind[c] = 2;
                stamp_px += comps[c].area;
            } else if (kind[c] == 2 && gstate[g] == 4 && comps[c].area > SPECK_PX) {
                kind[c] = 0;
                stamp_px -= comps[c].area;
            }
        }
        free(gbox);
        free(gstate);
    }

    /* Stamp: ink in the zone beyond the noise the rest of the side shows. */
    if (stamp_field) {
        out->has_stamp_field = true;
        long zone_area = (long)(stamp_zone.x1 - stamp_zone.x0) * (stamp_zone.y1 - stamp_zone.y0);
        long rest = (long)w.width * w.height - zone_area;
        double expected = rest > 0 ? (double)speck_px_outside * zone_area / rest : 0;
        double evidence = stamp_px - 4.0 * expected;
        out->stamp_evidence = evidence;
        out->stamp = evidence >= STAMP_MIN_PX;
        if (!out->stamp && !v->bitonal) {
            box field = clip(rect_px(&stamp_field->rect, w.dpi, 0), w.width, w.height);
            long tone = stamp_tone(&w, v, field);
            if (tone > out->stamp_evidence)
                out->stamp_evidence = (double)tone;
            out->stamp = tone >= STAMP_TONE_MIN_PX;
        }
    }

    /* Writing: what is left, entry by entry. */
    int cap = 16;
    out->writing = malloc(sizeof *out->writing * (size_t)cap);
    if (!out->writing) {
        rc = err_set(TELLE_ENOMEM, "out of memory for writing");
        goto done;
    }
    double min_ink_px = e->opt.writing_min_ink_mm2 * (w.dpi / 25.4) * (w.dpi / 25.4);
    in_field = calloc((size_t)n_comps + 1, sizeof *in_field);
    if (!in_field) {
        rc = err_set(TELLE_ENOMEM, "out of memory for writing");
        goto done;
    }
    const pkg_region *write_in_field = NULL;
    for (int root = 0; root < n_comps; root++) {
        if (kind[root] != 0 || find(parent, root) != root)
            continue;
        box gb = comp_box(&comps[root]);
        long ink = 0;
        for (int c = root; c < n_comps; c++) {
            if (kind[c] != 0 || find(parent, c) != root)
                continue;
            box cb = comp_box(&comps[c]);
            if (cb.x0 < gb.x0) gb.x0 = cb.x0;
            if (cb.y0 < gb.y0) gb.y0 = cb.y0;
            if (cb.x1 > gb.x1) gb.x1 = cb.x1;
            if (cb.y1 > gb.y1) gb.y1 = cb.y1;
            ink += comps[c].area;
        }
        log_debug("rec", "writing group %d,%d %dx%d px, ink %ld px%s", gb.x0, gb.y0,
                  gb.x1 - gb.x0, gb.y1 - gb.y0, ink, ink < min_ink_px ? " (noise)" : "");
        if (ink < min_ink_px)
            continue;
        double cx = (gb.x0 + gb.x1) / 2.0, cy = (gb.y0 + gb.y1) / 2.0;
        if (is_crease(ref->style, w.dpi, gb))
            continue; /* a dashed crease: its pieces grouped along the fold */
        rec_where where = REC_IN_OUTSIDE;
        for (int i = 0; i < side->n_regions; i++) {
            const pkg_region *r = &side->regions[i];
            if (r->type != PKG_REGION_WRITE_IN_FIELD && r->type != PKG_REGION_LIST_WRITE_FIELD)
                continue;
            box fb = rect_px(&r->rect, w.dpi, 0);
            if (cx >= fb.x0 && cx < fb.x1 && cy >= fb.y0 && cy < fb.y1) {
                where = r->type == PKG_REGION_WRITE_IN_FIELD ? REC_IN_WRITE_IN_FIELD
                                                              : REC_IN_LIST_WRITE_FIELD;
                if (where == REC_IN_WRITE_IN_FIELD) {
                    in_field[root] = true;
                    write_in_field = r;
                }
                break;
            }
        }
        if (out->n_writing == cap) {
            cap *= 2;
            rec_writing *nw = realloc(out->writing, sizeof *nw * (size_t)cap);
            if (!nw) {
                rc = err_set(TELLE_ENOMEM, "out of memory for writing");
                goto done;
            }
            out->writing = nw;
        }
        rec_writing *wr = &out->writing[out->n_writing++];
        double mm = 25.4 / w.dpi;
        wr->x_mm = gb.x0 * mm;
        wr->y_mm = gb.y0 * mm;
        wr->w_mm = (gb.x1 - gb.x0) * mm;
        wr->h_mm = (gb.y1 - gb.y0) * mm;
        wr->in = where;
        wr->ink_px = (int)ink;
    }
    if (write_in_field)
        out->write_in_entries =
            count_entries(comps, n_comps, kind, parent, in_field, write_in_field, w.dpi);
done:
    free(comps);
    free(parent);
    free(kind);
    free(owner);
    free(in_field);
    work_release(&w);
    if (rc)
        rec_side_result_release(out);
    return rc;
}

void rec_side_result_release(rec_side_result *r)
{
    if (!r)
        return;
    free(r->boxes);
    free(r->writing);
    memset(r, 0, sizeof *r);
}
