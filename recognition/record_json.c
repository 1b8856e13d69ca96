/* record_json.c - a sheet record as one line of JSON, keys in the order of
 * ballot-record.md: rec_sheet_to_json.
 *
 * Numbers are rounded (scores to 3 decimals, millimetres to 0.1) before they
 * are written, so a record is byte-identical on every run and machine. The
 * page hash is hash_sha256_pixels() of the decoded page (core/hash.h). */
#include "recognition/recognition_internal.h"

#include "core/error.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *rounded(double v, double unit)
{
    return json_real(round(v / unit) * unit);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static const char *state_name(rec_mark_state s)
{
    return s == REC_MARKED ? "marked" : s == REC_MARGINAL ? "marginal" : "empty";
}

static const char *where_name(rec_where w)
{
    return w == REC_IN_WRITE_IN_FIELD    ? "write_in_field"
           : w == REC_IN_LIST_WRITE_FIELD ? "list_write_field"
                                          : "outside_field";
}

int rec_sheet_to_json(char **out, const rec_sheet *s, const rec_sheet_meta *m)
{
    *out = NULL;
    json_t *o = json_object();
    if (!o)
        return err_set(TELLE_ENOMEM, "out of memory for a record");
    json_object_set_new(o, "sheet", json_string(m && m->sheet ? m->sheet : ""));
    if (m && m->batch)
        json_object_set_new(o, "batch", json_string(m->batch));
    if (m && m->krets)
        json_object_set_new(o, "krets", json_string(m->krets));
    if (m && m->category)
        json_object_set_new(o, "category", json_string(m->category));
    json_t *pages = json_array();
    for (int p = 0; p < s->n_pages; p++) {
        const rec_page_out *po = &s->pages[p];
        json_t *pj = json_object();
        json_object_set_new(pj, "file", json_string(po->file));
        json_object_set_new(pj, "page", json_integer(po->page));
        json_object_set_new(pj, "side", str_or_null(po->side));
        json_object_set_new(pj, "rotated", json_integer(po->rotated));
        json_object_set_new(pj, "sha256", po->sha256[0] ? json_string(po->sha256) : json_null());
        json_object_set_new(pj, "match", rounded(po->match, 0.001));
        json_array_append_new(pages, pj);
    }
    json_object_set_new(o, "pages", pages);
    json_object_set_new(o, "election", str_or_null(s->election));
    json_object_set_new(o, "style", str_or_null(s->style ? s->style->id : NULL));
    json_object_set_new(o, "list", str_or_null(s->list));
    json_object_set_new(o, "outcome", json_string(s->outcome == REC_APPROVED ? "approved"
                                                  : s->outcome == REC_BLANK  ? "blank"
                                                                             : "review"));
    json_t *reasons = json_array();
    for (int r = 0; r < REC_N_REASONS; r++)
        if (s->reasons & (1u << r))
            json_array_append_new(reasons, json_string(rec_reason_names[r]));
    json_object_set_new(o, "reasons", reasons);
    json_t *pv = json_array();
    for (int i = 0; i < s->n_personal_votes; i++)
        json_array_append_new(pv, json_integer(s->personal_votes[i]));
    json_object_set_new(o, "personal_votes", pv);
    json_t *marks = json_array();
    for (int i = 0; i < s->n_marks; i++) {
        const rec_mark_out *mk = &s->marks[i];
        json_t *mj = json_object();
        if (mk->list)
            json_object_set_new(mj, "list", json_string(mk->list));
        else
            json_object_set_new(mj, "candidate", json_integer(mk->candidate));
        json_object_set_new(mj, "score", rounded(mk->score, 0.001));
        json_object_set_new(mj, "state", json_string(state_name(mk->state)));
        json_array_append_new(marks, mj);
    }
    json_object_set_new(o, "marks", marks);
    json_t *wi = json_object();
    json_object_set_new(wi, "in_field", json_integer(s->write_ins_in_field));
    json_object_set_new(wi, "outside_field", json_integer(s->write_ins_outside_field));
    json_object_set_new(o, "write_ins", wi);
    json_t *writing = json_array();
    for (int i = 0; i < s->n_writing; i++) {
        const rec_writing_out *w = &s->writing[i];
        json_t *wj = json_object();
        json_object_set_new(wj, "side", json_string(w->side));
        json_t *bb = json_array();
        json_array_append_new(bb, rounded(w->x_mm, 0.1));
        json_array_append_new(bb, rounded(w->y_mm, 0.1));
        json_array_append_new(bb, rounded(w->w_mm, 0.1));
        json_array_append_new(bb, rounded(w->h_mm, 0.1));
        json_object_set_new(wj, "bbox_mm", bb);
        json_object_set_new(wj, "in", json_string(where_name(w->in)));
        json_array_append_new(writing, wj);
    }
    json_object_set_new(o, "writing", writing);
    json_object_set_new(o, "stamp", s->stamp < 0 ? json_null() : json_boolean(s->stamp));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!text)
        return err_set(TELLE_ENOMEM, "out of memory writing a record");
    *out = text;
    return 0;
}
