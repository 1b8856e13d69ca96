/* ink.c - every piece of ink the printed ballot does not explain, sorted
 * into vote-box marks, the stamp and writing: rec_ink_analyse,
 * rec_side_result_release.
 *
 * 1. The page is warped into the reference frame by its registration.
 * 2. Page ink is what is darker than WRITING_INK_FRACTION of the paper
 *    level; the reference explains what is darker than EXPLAIN_FRACTION of
 *    its paper, dilated by the print tolerance (print and scan never match
 *    to the pixel). The explained threshold is the lighter of the two, so a
 *    light printed pattern is explained before it could look like writing.
 * 3. The rest is split into 8-connected components:
 *    - a component touching a vote box (grown by the overshoot margin) and
 *      staying close to it is that box's mark;
 *    - a component touching the stamp field is stamp, overhang included;
 *    - everything else is writing. Writing components closer than
 *      GROUP_MM are one entry; an entry with less ink than
 *      writing_min_ink_mm2 is scanner noise or dust. Anything more reaches
 *      a person: a single handwritten letter carries several times that.
 * 4. A vote box's score is the share of its unexplained interior that is
 *    inked. The stamp is judged against the page's own noise: isolated
 *    specks elsewhere on the side tell how many noise pixels the stamp zone
 *    would hold by chance. */
#include "recognition/recognition_internal.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Page ink for writing: darker than 75 % of the paper (blue and black pen
 * on any paper tint; a faint pencil line in a gray scan too). */
#define WRITING_INK_FRACTION 75
/* Reference print that explains page ink: darker than 85 % of its paper,
 * so light printed patterns and tints are explained as well. */
#define EXPLAIN_FRACTION 85
/* A mark may overshoot its box by this much and still be the box's mark;
 * a component reaching further than OVERSHOOT_MAX_MM beyond the box is
 * writing that happens to touch it. */
#define OVERSHOOT_MM 1.0
#define OVERSHOOT_MAX_MM 3.0
/* Components whose boxes come closer than this belong to one entry: the
 * gap between handwritten letters and words of one name. */
#define GROUP_MM 2.0
/* Components of at most this many pixels are specks: noise or a faint
 * stamp's dots. */
#define SPECK_PX 2
/* The stamp zone is the stamp field grown by this much. */
#define STAMP_ZONE_MM 2.0
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

static box comp_box(const cvs_component *c)
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

/* Counts separate lines of writing among the entries in a field: entries
 * whose vertical extents overlap by half the smaller height share a line. */
static int count_lines(const rec_writing *w, int n, rec_where where)
{
    int idx[512];
    int k = 0;
    for (int i = 0; i < n && k < 512; i++)
        if (w[i].in == where)
            idx[k++] = i;
    int parent[512];
    for (int i = 0; i < k; i++)
        parent[i] = i;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            const rec_writing *a = &w[idx[i]], *b = &w[idx[j]];
            double top = fmax(a->y_mm, b->y_mm);
            double bot = fmin(a->y_mm + a->h_mm, b->y_mm + b->h_mm);
            double minh = fmin(a->h_mm, b->h_mm);
            if (bot - top >= 0.5 * minh) {
                int ra = find(parent, i), rb = find(parent, j);
                if (ra != rb)
                    parent[ra] = rb;
            }
        }
    int lines = 0;
    for (int i = 0; i < k; i++)
        lines += find(parent, i) == i;
    return lines;
}

typedef struct {
    const rec_ref *ref;
    int width, height;
    double dpi;
    rec_buf warped; /* page gray in the reference frame */
    rec_buf resid;  /* 255: page ink the reference does not explain */
    rec_buf expl;   /* 255: explained by the reference (light print too) */
} work;

static void work_release(work *w)
{
    rec_buf_free(&w->warped);
    rec_buf_free(&w->resid);
    rec_buf_free(&w->expl);
}

static int build_residual(work *w, const rec_engine *e, const rec_view_page *v,
                          const rec_registration *reg)
{
    const rec_ref *ref = w->ref;
    int rc = rec_buf_new(&w->warped, w->width, w->height);
    if (rc)
        return rc;
    cvs_view src = rec_view(&v->gray);
    cvs_buf dst = rec_cvbuf(&w->warped);
    if ((rc = cvs_warp_affine(&src, &dst, reg->a, (uint8_t)v->paper)))
        return rc;
    /* Explained: reference print, light or dark, grown by the tolerance. */
    rec_buf light;
    if ((rc = rec_buf_new(&light, w->width, w->height)))
        return rc;
    int ethr = ref->paper * EXPLAIN_FRACTION / 100;
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict g = ref->gray.data + (size_t)y * ref->gray.stride;
        uint8_t *restrict d = light.data + (size_t)y * light.stride;
        for (int x = 0; x < w->width; x++)
            d[x] = g[x] < ethr ? 255 : 0;
    }
    rc = rec_buf_new(&w->expl, w->width, w->height);
    if (!rc) {
        cvs_view lv = rec_view(&light);
        cvs_buf eb = rec_cvbuf(&w->expl);
        int rad = (int)lround(pkg_mm_to_px(e->opt.print_tolerance_mm, w->dpi));
        rc = cvs_dilate(&lv, &eb, rad);
    }
    rec_buf_free(&light);
    if (rc)
        return rc;
    if ((rc = rec_buf_new(&w->resid, w->width, w->height)))
        return rc;
    int thr = v->bitonal ? 128 : v->paper * WRITING_INK_FRACTION / 100;
    for (int y = 0; y < w->height; y++) {
        const uint8_t *restrict g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *restrict x1 = w->expl.data + (size_t)y * w->expl.stride;
        uint8_t *restrict d = w->resid.data + (size_t)y * w->resid.stride;
        for (int x = 0; x < w->width; x++)
            d[x] = (g[x] < thr && !x1[x]) ? 255 : 0;
    }
    return 0;
}

static double box_score(const work *w, const pkg_region *reg)
{
    box b = clip(rect_px(&reg->rect, w->dpi, 0), w->width, w->height);
    long inked = 0, open = 0;
    for (int y = b.y0; y < b.y1; y++) {
        const uint8_t *ex = w->expl.data + (size_t)y * w->expl.stride;
        const uint8_t *rs = w->resid.data + (size_t)y * w->resid.stride;
        for (int x = b.x0; x < b.x1; x++) {
            if (ex[x])
                continue;
            open++;
            inked += rs[x] != 0;
        }
    }
    return open > 0 ? (double)inked / (double)open : 0.0;
}

/* Stamp tone in a gray or colour scan: unexplained pixels inside the field
 * clearly darker than the paper, less what the same test finds per area on
 * the rest of the side. */
static long stamp_tone(const work *w, const rec_view_page *v, box field)
{
    int thr = v->paper - STAMP_TONE_DELTA;
    long in = 0, out = 0, out_area = 0;
    for (int y = 0; y < w->height; y += 1) {
        const uint8_t *g = w->warped.data + (size_t)y * w->warped.stride;
        const uint8_t *ex = w->expl.data + (size_t)y * w->expl.stride;
        bool row_in = y >= field.y0 && y < field.y1;
        for (int x = 0; x < w->width; x++) {
            bool dark = g[x] < thr && !ex[x];
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
                    const rec_page *p, int rot, const rec_registration *reg)
{
    memset(out, 0, sizeof *out);
    const rec_view_page *v = &p->o[rot];
    const pkg_side *side = ref->side;
    work w = {.ref = ref, .width = ref->width, .height = ref->height, .dpi = ref->dpi};
    cvs_component *comps = NULL;
    int n_comps = 0;
    int *parent = NULL;
    int *kind = NULL; /* per component: 0 writing, 1 mark, 2 stamp, 3 speck */
    int rc = build_residual(&w, e, v, reg);
    if (rc)
        goto done;
    {
        cvs_view rv = rec_view(&w.resid);
        if ((rc = cvs_components(&rv, &comps, &n_comps, NULL)))
            goto done;
    }
    parent = malloc(sizeof *parent * (size_t)(n_comps + 1));
    kind = calloc((size_t)n_comps + 1, sizeof *kind);
    int n_boxes = 0;
    for (int i = 0; i < side->n_regions; i++)
        n_boxes += side->regions[i].type == PKG_REGION_VOTE_BOX;
    out->boxes = calloc((size_t)n_boxes + 1, sizeof *out->boxes);
    if (!parent || !kind || !out->boxes) {
        rc = err_set(TELLE_ENOMEM, "out of memory analysing ink");
        goto done;
    }

    /* Which component is what. */
    const pkg_region *stamp_field = NULL;
    for (int i = 0; i < side->n_regions; i++)
        if (side->regions[i].type == PKG_REGION_STAMP_FIELD)
            stamp_field = &side->regions[i];
    box stamp_zone = {0, 0, 0, 0};
    if (stamp_field)
        stamp_zone = clip(rect_px(&stamp_field->rect, w.dpi, STAMP_ZONE_MM), w.width, w.height);
    long speck_px_outside = 0, stamp_px = 0;
    for (int c = 0; c < n_comps; c++) {
        box cb = comp_box(&comps[c]);
        if (stamp_field && overlaps(cb, stamp_zone)) {
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
                break;
            }
        }
    }

    /* Vote boxes. */
    for (int i = 0; i < side->n_regions; i++) {
        const pkg_region *r = &side->regions[i];
        if (r->type != PKG_REGION_VOTE_BOX)
            continue;
        out->boxes[out->n_boxes].region = i;
        out->boxes[out->n_boxes].score = box_score(&w, r);
        out->n_boxes++;
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

    /* Writing: group the rest into entries. */
    int group = (int)ceil(pkg_mm_to_px(GROUP_MM, w.dpi));
    for (int c = 0; c < n_comps; c++)
        parent[c] = c;
    for (int a = 0; a < n_comps; a++) {
        if (kind[a] != 0)
            continue;
        box ba = comp_box(&comps[a]);
        ba.x0 -= group, ba.y0 -= group, ba.x1 += group, ba.y1 += group;
        for (int b = a + 1; b < n_comps; b++) {
            if (kind[b] != 0)
                continue;
            if (overlaps(ba, comp_box(&comps[b]))) {
                int ra = find(parent, a), rb = find(parent, b);
                if (ra != rb)
                    parent[rb] = ra;
            }
        }
    }
    int cap = 16;
    out->writing = malloc(sizeof *out->writing * (size_t)cap);
    if (!out->writing) {
        rc = err_set(TELLE_ENOMEM, "out of memory for writing");
        goto done;
    }
    double min_ink_px = e->opt.writing_min_ink_mm2 * (w.dpi / 25.4) * (w.dpi / 25.4);
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
        if (ink < min_ink_px)
            continue;
        double cx = (gb.x0 + gb.x1) / 2.0, cy = (gb.y0 + gb.y1) / 2.0;
        rec_where where = REC_IN_OUTSIDE;
        for (int i = 0; i < side->n_regions; i++) {
            const pkg_region *r = &side->regions[i];
            if (r->type != PKG_REGION_WRITE_IN_FIELD && r->type != PKG_REGION_LIST_WRITE_FIELD)
                continue;
            box fb = rect_px(&r->rect, w.dpi, 0);
            if (cx >= fb.x0 && cx < fb.x1 && cy >= fb.y0 && cy < fb.y1) {
                where = r->type == PKG_REGION_WRITE_IN_FIELD ? REC_IN_WRITE_IN_FIELD
                                                              : REC_IN_LIST_WRITE_FIELD;
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
    out->write_in_entries = count_lines(out->writing, out->n_writing, REC_IN_WRITE_IN_FIELD);
done:
    free(comps);
    free(parent);
    free(kind);
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
