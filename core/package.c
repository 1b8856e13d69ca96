/* package.c - loading and validating an election package
 * (../shared/spec/election-package.md): DIR/election.json is read with
 * jansson, every rule is checked with a message that names the file, the
 * JSON path and what is wrong, then each side's reference image is decoded
 * and its size compared with page_mm x dpi.
 *
 * The whole JSON is validated before the first image is decoded, so a typo
 * is reported at once and not after seconds of PNG decoding. The first
 * error stops the load: a package is fixed one message at a time.
 *
 *   pkg_load, pkg_free
 *   pkg_election_find, pkg_list_find, pkg_candidate_find, pkg_style_find
 *   pkg_region_type_name
 */
#include "core/package.h"

#include "core/error.h"
#include "core/image_io.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PKG_FORMAT "telle-election/1"

/* A reference may differ from page_mm x dpi / 25.4 by this many pixels:
 * whoever rendered or scanned it rounded the page to whole pixels, and
 * some tools round twice (mm to inches, inches to pixels). */
#define PKG_REF_TOLERANCE_PX 2.0

/* Rectangles may touch the page edge; this absorbs the binary fraction of
 * decimal millimetres such as 6.3 when x + w lands exactly on the edge. */
#define PKG_EDGE_EPS_MM 1e-6

/* JSON paths are short ("styles[12].sides[1].regions[140].rows_mm[9]"). */
enum { PKG_PATH_MAX = 256, PKG_MSG_MAX = 1024 };

static const char *const PKG_REGION_NAMES[] = {
    [PKG_REGION_REGISTRATION_MARK] = "registration_mark",
    [PKG_REGION_PARTY_NAME] = "party_name",
    [PKG_REGION_BALLOT_NUMBER] = "ballot_number",
    [PKG_REGION_VOTE_BOX] = "vote_box",
    [PKG_REGION_WRITE_IN_FIELD] = "write_in_field",
    [PKG_REGION_LIST_WRITE_FIELD] = "list_write_field",
    [PKG_REGION_STAMP_FIELD] = "stamp_field",
};
enum { PKG_N_REGION_TYPES = sizeof PKG_REGION_NAMES / sizeof PKG_REGION_NAMES[0] };

/* What every validation step needs: the file name for messages. */
typedef struct {
    const char *file; /* "DIR/election.json" */
} pkg_ctx;

static int pkg_fail(const pkg_ctx *c, const char *path, const char *fmt, ...)
    TELLE_PRINTF(3, 4);

/* Sets TELLE_EFORMAT with "FILE: PATH: what is wrong". */
static int pkg_fail(const pkg_ctx *c, const char *path, const char *fmt, ...)
{
    char msg[PKG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(TELLE_EFORMAT, "%s: %s: %s", c->file,
                   path[0] ? path : "(top level)", msg);
}

/* Appends s to buf (PKG_PATH_MAX bytes, holding len bytes), truncating;
 * returns the new length. Paths are far shorter than the buffer; a
 * truncated one still tells where to look. */
static size_t pkg_path_append(char *buf, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (n > PKG_PATH_MAX - 1 - len)
        n = PKG_PATH_MAX - 1 - len;
    memmove(buf + len, s, n);
    buf[len + n] = '\0';
    return len + n;
}

/* path.key, or key at the top level. buf may not alias path. */
static void pkg_path_field(char *buf, const char *path, const char *key)
{
    size_t len = pkg_path_append(buf, 0, path);
    if (len)
        len = pkg_path_append(buf, len, ".");
    pkg_path_append(buf, len, key);
}

/* path[i]. */
static void pkg_path_index(char *buf, const char *path, size_t i)
{
    char idx[32];
    snprintf(idx, sizeof idx, "[%zu]", i);
    pkg_path_append(buf, pkg_path_append(buf, 0, path), idx);
}

static const char *pkg_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON value";
}

static char *pkg_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int pkg_nomem(void)
{
    return err_set(TELLE_ENOMEM, "out of memory while loading the election package");
}

/* obj[key] as a JSON value of the kind `want` describes, checked by `ok`.
 * *out is NULL when the field is absent and optional. */
static int pkg_field(json_t **out, const pkg_ctx *c, const json_t *obj,
                     const char *path, const char *key, bool required,
                     int (*ok)(const json_t *), const char *want)
{
    char p[PKG_PATH_MAX];
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    pkg_path_field(p, path, key);
    if (!v) {
        if (required)
            return pkg_fail(c, p, "missing required field (expected %s)", want);
        return 0;
    }
    if (!ok(v))
        return pkg_fail(c, p, "expected %s, got %s", want, pkg_json_kind(v));
    *out = v;
    return 0;
}

static int pkg_is_object(const json_t *v) { return json_is_object(v); }
static int pkg_is_array(const json_t *v) { return json_is_array(v); }
static int pkg_is_string(const json_t *v) { return json_is_string(v); }
static int pkg_is_number(const json_t *v) { return json_is_number(v); }
static int pkg_is_bool(const json_t *v) { return json_is_boolean(v); }

/* An integer, also when written 43.0. */
static int pkg_is_int(const json_t *v)
{
    if (json_is_integer(v))
        return 1;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d == floor(d) && d >= INT_MIN && d <= INT_MAX;
    }
    return 0;
}

static int pkg_get_string(char **dst, const pkg_ctx *c, const json_t *obj,
                          const char *path, const char *key, bool required)
{
    json_t *v;
    *dst = NULL;
    int rc = pkg_field(&v, c, obj, path, key, required, pkg_is_string, "a string");
    if (rc || !v)
        return rc;
    if (!(*dst = pkg_strdup(json_string_value(v))))
        return pkg_nomem();
    return 0;
}

/* *present tells whether an optional integer was given (may be NULL). */
static int pkg_get_int(int *dst, bool *present, const pkg_ctx *c,
                       const json_t *obj, const char *path, const char *key,
                       bool required)
{
    json_t *v;
    if (present)
        *present = false;
    int rc = pkg_field(&v, c, obj, path, key, required, pkg_is_int, "an integer");
    if (rc || !v)
        return rc;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < INT_MIN || i > INT_MAX) {
            char p[PKG_PATH_MAX];
            pkg_path_field(p, path, key);
            return pkg_fail(c, p, "integer %lld is out of range", (long long)i);
        }
        *dst = (int)i;
    } else {
        *dst = (int)json_real_value(v);
    }
    if (present)
        *present = true;
    return 0;
}

static int pkg_get_number(double *dst, const pkg_ctx *c, const json_t *obj,
                          const char *path, const char *key, bool required)
{
    json_t *v;
    int rc = pkg_field(&v, c, obj, path, key, required, pkg_is_number, "a number");
    if (rc || !v)
        return rc;
    *dst = json_number_value(v);
    return 0;
}

/* An array field; *n its length. Non-empty unless allow_empty. */
static int pkg_get_array(json_t **out, size_t *n, const pkg_ctx *c,
                         const json_t *obj, const char *path, const char *key,
                         bool allow_empty)
{
    int rc = pkg_field(out, c, obj, path, key, true, pkg_is_array, "an array");
    if (rc)
        return rc;
    *n = json_array_size(*out);
    if (*n == 0 && !allow_empty) {
        char p[PKG_PATH_MAX];
        pkg_path_field(p, path, key);
        return pkg_fail(c, p, "must not be empty");
    }
    if (*n > INT_MAX / 2) {
        char p[PKG_PATH_MAX];
        pkg_path_field(p, path, key);
        return pkg_fail(c, p, "too many entries (%zu)", *n);
    }
    return 0;
}

/* Each element of an array must be an object. */
static int pkg_check_object_item(const pkg_ctx *c, const json_t *v,
                                 const char *path)
{
    if (!json_is_object(v))
        return pkg_fail(c, path, "expected an object, got %s", pkg_json_kind(v));
    return 0;
}

/* ---- elections, lists, candidates ---- */

static int pkg_parse_candidate(pkg_candidate *cd, const pkg_ctx *c,
                               const json_t *v, const char *path)
{
    int rc;
    json_t *st;
    if ((rc = pkg_check_object_item(c, v, path)) ||
        (rc = pkg_get_int(&cd->no, NULL, c, v, path, "no", true)) ||
        (rc = pkg_get_string(&cd->name, c, v, path, "name", true)) ||
        (rc = pkg_get_int(&cd->born, NULL, c, v, path, "born", false)) ||
        (rc = pkg_field(&st, c, v, path, "stemmetillegg", false, pkg_is_bool,
                        "a boolean")))
        return rc;
    cd->stemmetillegg = st && json_is_true(st);
    return 0;
}

static int pkg_parse_list(pkg_list *l, const pkg_ctx *c, const json_t *v,
                          const char *path)
{
    int rc;
    json_t *arr;
    size_t n;
    char ap[PKG_PATH_MAX], p[PKG_PATH_MAX], q[PKG_PATH_MAX];
    if ((rc = pkg_check_object_item(c, v, path)) ||
        (rc = pkg_get_string(&l->code, c, v, path, "code", true)) ||
        (rc = pkg_get_string(&l->name, c, v, path, "name", true)) ||
        (rc = pkg_get_array(&arr, &n, c, v, path, "candidates", false)))
        return rc;
    if (!l->code[0]) {
        pkg_path_field(p, path, "code");
        return pkg_fail(c, p, "list code must not be empty");
    }
    if (!(l->candidates = calloc(n, sizeof *l->candidates)))
        return pkg_nomem();
    l->n_candidates = (int)n;
    pkg_path_field(ap, path, "candidates");
    for (size_t i = 0; i < n; i++) {
        pkg_candidate *cd = &l->candidates[i];
        pkg_path_index(p, ap, i);
        if ((rc = pkg_parse_candidate(cd, c, json_array_get(arr, i), p)))
            return rc;
        pkg_path_field(q, p, "no");
        /* no is the position on the list, so with unique numbers in
         * 1..n the list has no gaps. */
        if (cd->no < 1)
            return pkg_fail(c, q, "candidate number %d: numbers start at 1",
                            cd->no);
        if (cd->no > (int)n)
            return pkg_fail(c, q,
                            "candidate number %d is beyond the %zu candidates "
                            "of list \"%s\" (numbers are positions 1..%zu)",
                            cd->no, n, l->code, n);
        for (size_t j = 0; j < i; j++)
            if (l->candidates[j].no == cd->no)
                return pkg_fail(c, q,
                                "duplicate candidate number %d (also "
                                "candidates[%zu])", cd->no, j);
    }
    return 0;
}

static int pkg_parse_election(pkg_election *el, const pkg_ctx *c,
                              const json_t *v, const char *path)
{
    int rc;
    char *type = NULL;
    json_t *arr;
    size_t n;
    char ap[PKG_PATH_MAX], p[PKG_PATH_MAX], q[PKG_PATH_MAX];
    if ((rc = pkg_check_object_item(c, v, path)) ||
        (rc = pkg_get_string(&el->id, c, v, path, "id", true)) ||
        (rc = pkg_get_string(&type, c, v, path, "type", true)))
        goto done;
    pkg_path_field(p, path, "type");
    if (strcmp(type, "kommunestyrevalg") == 0) {
        el->type = PKG_KOMMUNESTYREVALG;
    } else if (strcmp(type, "fylkestingsvalg") == 0) {
        el->type = PKG_FYLKESTINGSVALG;
    } else {
        rc = pkg_fail(c, p, "unknown election type \"%s\" (expected "
                      "kommunestyrevalg or fylkestingsvalg)", type);
        goto done;
    }
    if (!el->id[0]) {
        pkg_path_field(p, path, "id");
        rc = pkg_fail(c, p, "election id must not be empty");
        goto done;
    }
    if ((rc = pkg_get_string(&el->name, c, v, path, "name", true)) ||
        (rc = pkg_get_int(&el->seats, NULL, c, v, path, "seats", true)) ||
        (rc = pkg_get_int(&el->max_write_ins, NULL, c, v, path,
                          "max_write_ins",
                          el->type == PKG_KOMMUNESTYREVALG)) ||
        (rc = pkg_get_number(&el->first_divisor, c, v, path, "first_divisor",
                             true)))
        goto done;
    if (el->seats <= 0) {
        pkg_path_field(p, path, "seats");
        rc = pkg_fail(c, p, "seats must be positive, got %d", el->seats);
        goto done;
    }
    if (el->first_divisor < 1.0) {
        pkg_path_field(p, path, "first_divisor");
        rc = pkg_fail(c, p, "first_divisor must be at least 1, got %g",
                      el->first_divisor);
        goto done;
    }
    pkg_path_field(p, path, "max_write_ins");
    if (el->max_write_ins < 0) {
        rc = pkg_fail(c, p, "max_write_ins must not be negative, got %d",
                      el->max_write_ins);
        goto done;
    }
    if (el->type == PKG_FYLKESTINGSVALG && el->max_write_ins != 0) {
        rc = pkg_fail(c, p, "a fylkestingsvalg has no write-ins: "
                      "max_write_ins must be 0 or absent, got %d",
                      el->max_write_ins);
        goto done;
    }
    if ((rc = pkg_get_array(&arr, &n, c, v, path, "lists", false)))
        goto done;
    if (!(el->lists = calloc(n, sizeof *el->lists))) {
        rc = pkg_nomem();
        goto done;
    }
    el->n_lists = (int)n;
    pkg_path_field(ap, path, "lists");
    for (size_t i = 0; i < n; i++) {
        pkg_path_index(p, ap, i);
        if ((rc = pkg_parse_list(&el->lists[i], c, json_array_get(arr, i), p)))
            goto done;
        for (size_t j = 0; j < i; j++)
            if (strcmp(el->lists[j].code, el->lists[i].code) == 0) {
                pkg_path_field(q, p, "code");
                rc = pkg_fail(c, q, "duplicate list code \"%s\" in election "
                              "\"%s\" (also lists[%zu])", el->lists[i].code,
                              el->id, j);
                goto done;
            }
    }
done:
    free(type);
    return rc;
}

/* ---- styles, sides, regions ---- */

/* Parses [x, y, w, h] and checks it has a size and lies on the page.
 * `what` names the thing in messages ("region", "row"). */
static int pkg_parse_rect(pkg_rect_mm *r, const pkg_ctx *c, const json_t *v,
                          const char *path, const pkg_style *st,
                          const char *what)
{
    double a[4];
    if (!json_is_array(v) || json_array_size(v) != 4)
        goto shape;
    for (size_t i = 0; i < 4; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_number(e)) {
            char p[PKG_PATH_MAX];
            pkg_path_index(p, path, i);
            return pkg_fail(c, p, "expected a number, got %s",
                            pkg_json_kind(e));
        }
        a[i] = json_number_value(e);
    }
    r->x = a[0], r->y = a[1], r->w = a[2], r->h = a[3];
    if (!(r->w > 0) || !(r->h > 0))
        return pkg_fail(c, path, "%s [%g, %g, %g, %g] must have a positive "
                        "width and height", what, a[0], a[1], a[2], a[3]);
    if (r->x < 0 || r->y < 0 ||
        r->x + r->w > st->page_w_mm + PKG_EDGE_EPS_MM ||
        r->y + r->h > st->page_h_mm + PKG_EDGE_EPS_MM)
        return pkg_fail(c, path, "%s [%g, %g, %g, %g] reaches outside the "
                        "%g x %g mm page", what, a[0], a[1], a[2], a[3],
                        st->page_w_mm, st->page_h_mm);
    return 0;
shape:
    if (json_is_array(v))
        return pkg_fail(c, path, "expected [x, y, width, height] as 4 numbers, "
                        "got an array of %zu", json_array_size(v));
    return pkg_fail(c, path, "expected [x, y, width, height] as 4 numbers, "
                    "got %s", pkg_json_kind(v));
}

/* Where the vote box of each candidate (list ballot) or list (all-lists
 * ballot) was first seen in a style, to refuse a second one. */
typedef struct {
    int *side, *region; /* -1 when not seen yet; indexed by no - 1 or list */
    int n;
} pkg_box_seen;

static int pkg_box_seen_init(pkg_box_seen *s, int n)
{
    s->n = n;
    s->side = malloc((size_t)n * sizeof *s->side);
    s->region = malloc((size_t)n * sizeof *s->region);
    if (!s->side || !s->region)
        return pkg_nomem();
    for (int i = 0; i < n; i++)
        s->side[i] = s->region[i] = -1;
    return 0;
}

static void pkg_box_seen_free(pkg_box_seen *s)
{
    free(s->side);
    free(s->region);
}

/* Parses the vote-box target of r: a candidate of the style's list, or a
 * list of its election; refuses a second box for the same one. */
static int pkg_parse_vote_box(pkg_region *r, const pkg_ctx *c, const json_t *v,
                              const char *path, const pkg_style *st,
                              const pkg_election *el, const pkg_list *list,
                              pkg_box_seen *seen, int side_i, int region_i)
{
    int rc, k;
    char p[PKG_PATH_MAX];
    if (st->kind == PKG_STYLE_BLANK) {
        pkg_path_field(p, path, "type");
        return pkg_fail(c, p, "a blank ballot has no vote boxes");
    }
    if (st->kind == PKG_STYLE_LIST) {
        pkg_path_field(p, path, "candidate");
        if ((rc = pkg_get_int(&r->candidate, NULL, c, v, path, "candidate",
                              true)))
            return rc;
        if (!pkg_candidate_find(list, r->candidate))
            return pkg_fail(c, p, "no candidate %d on list \"%s\" of election "
                            "\"%s\"", r->candidate, list->code, el->id);
        k = r->candidate - 1; /* numbers are 1..n_candidates, checked above */
        if (seen->side[k] >= 0)
            return pkg_fail(c, p, "a second vote_box for candidate %d (also "
                            "sides[%d].regions[%d])", r->candidate,
                            seen->side[k], seen->region[k]);
    } else {
        pkg_path_field(p, path, "list");
        if ((rc = pkg_get_string(&r->list, c, v, path, "list", true)))
            return rc;
        const pkg_list *l = pkg_list_find(el, r->list);
        if (!l)
            return pkg_fail(c, p, "unknown list \"%s\" in election \"%s\"",
                            r->list, el->id);
        k = (int)(l - el->lists);
        if (seen->side[k] >= 0)
            return pkg_fail(c, p, "a second vote_box for list \"%s\" (also "
                            "sides[%d].regions[%d])", r->list,
                            seen->side[k], seen->region[k]);
    }
    seen->side[k] = side_i;
    seen->region[k] = region_i;
    return 0;
}

static int pkg_parse_region(pkg_region *r, const pkg_ctx *c, const json_t *v,
                            const char *path, const pkg_style *st,
                            const pkg_election *el, const pkg_list *list,
                            pkg_box_seen *seen, int side_i, int region_i)
{
    int rc;
    json_t *t, *rect, *rows;
    char p[PKG_PATH_MAX], q[PKG_PATH_MAX];
    if ((rc = pkg_check_object_item(c, v, path)) ||
        (rc = pkg_field(&t, c, v, path, "type", true, pkg_is_string,
                        "a string")))
        return rc;
    const char *tn = json_string_value(t);
    int type = -1;
    for (int i = 0; i < PKG_N_REGION_TYPES; i++)
        if (strcmp(tn, PKG_REGION_NAMES[i]) == 0)
            type = i;
    if (type < 0) {
        pkg_path_field(p, path, "type");
        return pkg_fail(c, p, "unknown region type \"%s\" (known: "
                        "registration_mark, party_name, ballot_number, "
                        "vote_box, write_in_field, list_write_field, "
                        "stamp_field)", tn);
    }
    r->type = (pkg_region_type)type;
    if ((rc = pkg_field(&rect, c, v, path, "rect_mm", true, pkg_is_array,
                        "an array")))
        return rc;
    pkg_path_field(p, path, "rect_mm");
    if ((rc = pkg_parse_rect(&r->rect, c, rect, p, st, "region")))
        return rc;
    switch (r->type) {
    case PKG_REGION_VOTE_BOX:
        return pkg_parse_vote_box(r, c, v, path, st, el, list, seen, side_i,
                                  region_i);
    case PKG_REGION_BALLOT_NUMBER:
        return pkg_get_string(&r->value, c, v, path, "value", false);
    case PKG_REGION_WRITE_IN_FIELD:
        if (el->type == PKG_FYLKESTINGSVALG) {
            pkg_path_field(p, path, "type");
            return pkg_fail(c, p, "a fylkestingsvalg ballot has no write-ins "
                            "(election \"%s\")", el->id);
        }
        if ((rc = pkg_get_int(&r->max_entries, NULL, c, v, path,
                              "max_entries", false)))
            return rc;
        if (r->max_entries < 0) {
            pkg_path_field(p, path, "max_entries");
            return pkg_fail(c, p, "max_entries must not be negative, got %d",
                            r->max_entries);
        }
        if ((rc = pkg_field(&rows, c, v, path, "rows_mm", false, pkg_is_array,
                            "an array")) || !rows)
            return rc;
        size_t n = json_array_size(rows);
        if (n > INT_MAX / 2) {
            pkg_path_field(p, path, "rows_mm");
            return pkg_fail(c, p, "too many rows (%zu)", n);
        }
        if (n && !(r->rows = calloc(n, sizeof *r->rows)))
            return pkg_nomem();
        r->n_rows = (int)n;
        pkg_path_field(p, path, "rows_mm");
        for (size_t i = 0; i < n; i++) {
            pkg_path_index(q, p, i);
            if ((rc = pkg_parse_rect(&r->rows[i], c, json_array_get(rows, i),
                                     q, st, "row")))
                return rc;
        }
        return 0;
    default:
        return 0;
    }
}

/* A reference must stay inside the package: no absolute path, no "..". */
static bool pkg_reference_is_inside(const char *ref)
{
    if (!ref[0] || ref[0] == '/')
        return false;
    for (const char *s = ref; *s;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += len;
        if (*s == '/')
            s++;
    }
    return true;
}

static int pkg_parse_side(pkg_side *sd, const pkg_ctx *c, const json_t *v,
                          const char *path, const pkg_style *st,
                          const pkg_election *el, const pkg_list *list,
                          pkg_box_seen *seen, int side_i)
{
    int rc;
    json_t *arr;
    size_t n;
    char ap[PKG_PATH_MAX], p[PKG_PATH_MAX];
    if ((rc = pkg_check_object_item(c, v, path)) ||
        (rc = pkg_get_string(&sd->name, c, v, path, "name", true)) ||
        (rc = pkg_get_string(&sd->reference, c, v, path, "reference", true)))
        return rc;
    if (!pkg_reference_is_inside(sd->reference)) {
        pkg_path_field(p, path, "reference");
        return pkg_fail(c, p, "reference \"%s\" must be a relative path "
                        "inside the package", sd->reference);
    }
    if ((rc = pkg_get_array(&arr, &n, c, v, path, "regions", true)))
        return rc;
    if (n && !(sd->regions = calloc(n, sizeof *sd->regions)))
        return pkg_nomem();
    sd->n_regions = (int)n;
    pkg_path_field(ap, path, "regions");
    for (size_t i = 0; i < n; i++) {
        pkg_path_index(p, ap, i);
        if ((rc = pkg_parse_region(&sd->regions[i], c, json_array_get(arr, i),
                                   p, st, el, list, seen, side_i, (int)i)))
            return rc;
    }
    return 0;
}

static int pkg_parse_style(pkg_style *st, const pkg_ctx *c, const json_t *v,
                           const char *path, const pkg_package *pkg)
{
    int rc;
    char *kind = NULL;
    json_t *page, *arr;
    size_t n;
    const pkg_election *el;
    const pkg_list *list = NULL;
    pkg_box_seen seen = {0};
    char ap[PKG_PATH_MAX], p[PKG_PATH_MAX], q[PKG_PATH_MAX];
    if ((rc = pkg_check_object_item(c, v, path)) ||
        (rc = pkg_get_string(&st->id, c, v, path, "id", true)) ||
        (rc = pkg_get_string(&st->election, c, v, path, "election", true)) ||
        (rc = pkg_get_string(&kind, c, v, path, "kind", true)))
        goto done;
    if (!st->id[0]) {
        pkg_path_field(p, path, "id");
        rc = pkg_fail(c, p, "style id must not be empty");
        goto done;
    }
    pkg_path_field(p, path, "election");
    if (!(el = pkg_election_find(pkg, st->election))) {
        rc = pkg_fail(c, p, "unknown election \"%s\"", st->election);
        goto done;
    }
    pkg_path_field(p, path, "kind");
    if (strcmp(kind, "list") == 0) {
        st->kind = PKG_STYLE_LIST;
    } else if (strcmp(kind, "all_lists") == 0) {
        st->kind = PKG_STYLE_ALL_LISTS;
    } else if (strcmp(kind, "blank") == 0) {
        st->kind = PKG_STYLE_BLANK;
    } else {
        rc = pkg_fail(c, p, "unknown kind \"%s\" (expected list, all_lists "
                      "or blank)", kind);
        goto done;
    }
    if (st->kind == PKG_STYLE_LIST) {
        if ((rc = pkg_get_string(&st->list, c, v, path, "list", true)))
            goto done;
        pkg_path_field(p, path, "list");
        if (!(list = pkg_list_find(el, st->list))) {
            rc = pkg_fail(c, p, "unknown list \"%s\" in election \"%s\"",
                          st->list, el->id);
            goto done;
        }
    }
    if ((rc = pkg_field(&page, c, v, path, "page_mm", true, pkg_is_array,
                        "an array")))
        goto done;
    pkg_path_field(p, path, "page_mm");
    if (json_array_size(page) != 2) {
        rc = pkg_fail(c, p, "expected [width, height] as 2 numbers, got an "
                      "array of %zu", json_array_size(page));
        goto done;
    }
    for (size_t i = 0; i < 2; i++)
        if (!json_is_number(json_array_get(page, i))) {
            pkg_path_index(q, p, i);
            rc = pkg_fail(c, q, "expected a number, got %s",
                          pkg_json_kind(json_array_get(page, i)));
            goto done;
        }
    st->page_w_mm = json_number_value(json_array_get(page, 0));
    st->page_h_mm = json_number_value(json_array_get(page, 1));
    if (!(st->page_w_mm > 0) || !(st->page_h_mm > 0)) {
        rc = pkg_fail(c, p, "page size %g x %g mm must be positive",
                      st->page_w_mm, st->page_h_mm);
        goto done;
    }
    if ((rc = pkg_get_number(&st->dpi, c, v, path, "dpi", true)))
        goto done;
    if (!(st->dpi > 0)) {
        pkg_path_field(p, path, "dpi");
        rc = pkg_fail(c, p, "dpi must be positive, got %g", st->dpi);
        goto done;
    }
    if ((rc = pkg_box_seen_init(&seen, st->kind == PKG_STYLE_LIST
                                           ? list->n_candidates
                                           : el->n_lists)))
        goto done;
    if ((rc = pkg_get_array(&arr, &n, c, v, path, "sides", false)))
        goto done;
    if (!(st->sides = calloc(n, sizeof *st->sides))) {
        rc = pkg_nomem();
        goto done;
    }
    st->n_sides = (int)n;
    pkg_path_field(ap, path, "sides");
    for (size_t i = 0; i < n; i++) {
        pkg_path_index(p, ap, i);
        if ((rc = pkg_parse_side(&st->sides[i], c, json_array_get(arr, i), p,
                                 st, el, list, &seen, (int)i)))
            goto done;
        for (size_t j = 0; j < i; j++)
            if (strcmp(st->sides[j].name, st->sides[i].name) == 0) {
                pkg_path_field(q, p, "name");
                rc = pkg_fail(c, q, "duplicate side name \"%s\" in style "
                              "\"%s\" (also sides[%zu])", st->sides[i].name,
                              st->id, j);
                goto done;
            }
    }
    /* Recognition can only see a vote it has a box for. */
    for (int k = 0; st->kind != PKG_STYLE_BLANK && k < seen.n; k++)
        if (seen.side[k] < 0) {
            if (st->kind == PKG_STYLE_LIST)
                rc = pkg_fail(c, path, "no vote_box for candidate %d of list "
                              "\"%s\"", k + 1, list->code);
            else
                rc = pkg_fail(c, path, "no vote_box for list \"%s\"",
                              el->lists[k].code);
            goto done;
        }
    if (st->kind == PKG_STYLE_LIST && el->max_write_ins > 0) {
        bool write_in = false;
        for (int i = 0; i < st->n_sides; i++)
            for (int r = 0; r < st->sides[i].n_regions; r++)
                write_in |= st->sides[i].regions[r].type ==
                            PKG_REGION_WRITE_IN_FIELD;
        if (!write_in) {
            rc = pkg_fail(c, path, "no write_in_field, but election \"%s\" "
                          "allows %d write-ins", el->id, el->max_write_ins);
            goto done;
        }
    }
done:
    pkg_box_seen_free(&seen);
    free(kind);
    return rc;
}

/* ---- the whole document ---- */

static int pkg_parse_root(pkg_package *pkg, const pkg_ctx *c, const json_t *root)
{
    int rc;
    json_t *area, *arr;
    size_t n;
    char p[PKG_PATH_MAX], q[PKG_PATH_MAX];
    if (!json_is_object(root))
        return pkg_fail(c, "", "expected an object, got %s",
                        pkg_json_kind(root));
    if ((rc = pkg_get_string(&pkg->format, c, root, "", "format", true)))
        return rc;
    if (strcmp(pkg->format, PKG_FORMAT) != 0)
        return pkg_fail(c, "format", "unsupported format \"%s\" (expected \""
                        PKG_FORMAT "\")", pkg->format);
    if ((rc = pkg_get_string(&pkg->event, c, root, "", "event", true)) ||
        (rc = pkg_field(&area, c, root, "", "area", true, pkg_is_object,
                        "an object")) ||
        (rc = pkg_get_string(&pkg->area_code, c, area, "area", "code", true)) ||
        (rc = pkg_get_string(&pkg->area_name, c, area, "area", "name", true)))
        return rc;

    if ((rc = pkg_get_array(&arr, &n, c, root, "", "elections", false)))
        return rc;
    if (!(pkg->elections = calloc(n, sizeof *pkg->elections)))
        return pkg_nomem();
    pkg->n_elections = (int)n;
    for (size_t i = 0; i < n; i++) {
        pkg_path_index(p, "elections", i);
        if ((rc = pkg_parse_election(&pkg->elections[i], c,
                                     json_array_get(arr, i), p)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(pkg->elections[j].id, pkg->elections[i].id) == 0) {
                pkg_path_field(q, p, "id");
                return pkg_fail(c, q, "duplicate election id \"%s\" (also "
                                "elections[%zu])", pkg->elections[i].id, j);
            }
    }

    if ((rc = pkg_get_array(&arr, &n, c, root, "", "styles", false)))
        return rc;
    if (!(pkg->styles = calloc(n, sizeof *pkg->styles)))
        return pkg_nomem();
    pkg->n_styles = (int)n;
    for (size_t i = 0; i < n; i++) {
        pkg_path_index(p, "styles", i);
        if ((rc = pkg_parse_style(&pkg->styles[i], c, json_array_get(arr, i),
                                  p, pkg)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(pkg->styles[j].id, pkg->styles[i].id) == 0) {
                pkg_path_field(q, p, "id");
                return pkg_fail(c, q, "duplicate style id \"%s\" (also "
                                "styles[%zu])", pkg->styles[i].id, j);
            }
    }
    return 0;
}

/* dir + "/" + name, without doubling a trailing slash. */
static char *pkg_path_join(const char *dir, const char *name)
{
    size_t nd = strlen(dir), nn = strlen(name);
    bool slash = nd > 0 && dir[nd - 1] != '/';
    char *s = malloc(nd + slash + nn + 1);
    if (!s)
        return NULL;
    memcpy(s, dir, nd);
    if (slash)
        s[nd] = '/';
    memcpy(s + nd + slash, name, nn + 1);
    return s;
}

/* ---- reference images ---- */

/* RGBA composited over white into RGB: a transparent pixel is bare paper. */
static int pkg_rgba_to_rgb(img **out, const img *src)
{
    img *d = NULL;
    int rc = img_new(&d, img_width(src), img_height(src), 3, 8);
    if (rc)
        return rc;
    img_set_dpi(d, img_dpi_x(src), img_dpi_y(src));
    const int w = img_width(src);
    for (int y = 0; y < img_height(src); y++) {
        const uint8_t *restrict s = img_row(src, y);
        uint8_t *restrict o = img_row_mut(d, y);
        for (int x = 0; x < w; x++) {
            unsigned a = s[4 * x + 3];
            for (int k = 0; k < 3; k++)
                o[3 * x + k] =
                    (uint8_t)((s[4 * x + k] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    *out = d;
    return 0;
}

/* Decodes the reference of sd into sd->image as 8-bit gray or RGB and
 * checks its size against the style's page at its dpi. The image's
 * resolution is set to the style's dpi: that number, not the file's pHYs,
 * ties millimetres to pixels for every stage. */
static int pkg_load_reference(pkg_side *sd, const pkg_ctx *c, const char *dir,
                              const pkg_style *st, const char *path)
{
    int rc;
    char *file = NULL;
    iio_reader *r = NULL;
    img *im = NULL, *conv = NULL;
    struct stat sb;
    char p[PKG_PATH_MAX];

    pkg_path_field(p, path, "reference");
    if (!(file = pkg_path_join(dir, sd->reference))) {
        rc = pkg_nomem();
        goto done;
    }
    if (stat(file, &sb) != 0) {
        rc = err_set(TELLE_EIO, "%s: %s: reference image \"%s\" cannot be "
                     "read: %s", c->file, p, sd->reference, strerror(errno));
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = pkg_fail(c, p, "reference image \"%s\" is not a file",
                      sd->reference);
        goto done;
    }
    if ((rc = iio_reader_open(&r, file)) || (rc = iio_reader_read(&im, r, 1))) {
        err_prefix("%s: %s: reference image \"%s\" cannot be decoded: ",
                   c->file, p, sd->reference);
        goto done;
    }
    if (img_depth(im) != 8 || img_channels(im) == 2) {
        rc = img_to_gray(&conv, im);
    } else if (img_channels(im) == 4) {
        rc = pkg_rgba_to_rgb(&conv, im);
    }
    if (rc)
        goto done;
    if (conv) {
        img_free(im);
        im = conv;
        conv = NULL;
    }
    double ew = pkg_mm_to_px(st->page_w_mm, st->dpi);
    double eh = pkg_mm_to_px(st->page_h_mm, st->dpi);
    if (fabs(img_width(im) - ew) > PKG_REF_TOLERANCE_PX ||
        fabs(img_height(im) - eh) > PKG_REF_TOLERANCE_PX) {
        rc = pkg_fail(c, p, "reference image \"%s\" is %d x %d px, but a "
                      "%g x %g mm page at %g dpi needs %.0f x %.0f px "
                      "(+/- %g px)", sd->reference, img_width(im),
                      img_height(im), st->page_w_mm, st->page_h_mm, st->dpi,
                      ew, eh, PKG_REF_TOLERANCE_PX);
        goto done;
    }
    img_set_dpi(im, st->dpi, st->dpi);
    sd->image = im;
    im = NULL;
done:
    img_free(conv);
    img_free(im);
    iio_reader_close(r);
    free(file);
    return rc;
}

static int pkg_load_references(pkg_package *pkg, const pkg_ctx *c)
{
    char sp[PKG_PATH_MAX], p[PKG_PATH_MAX];
    for (int s = 0; s < pkg->n_styles; s++) {
        pkg_style *st = &pkg->styles[s];
        pkg_path_index(sp, "styles", (size_t)s);
        pkg_path_field(p, sp, "sides");
        for (int i = 0; i < st->n_sides; i++) {
            char q[PKG_PATH_MAX];
            pkg_path_index(q, p, (size_t)i);
            int rc = pkg_load_reference(&st->sides[i], c, pkg->dir, st, q);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int pkg_load(pkg_package **out, const char *dir)
{
    int rc = 0;
    pkg_package *pkg = NULL;
    char *file = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    struct stat sb;
    pkg_ctx c = {NULL};

    *out = NULL;
    if (!dir || !dir[0])
        return err_set(TELLE_EINVAL, "pkg_load: no package folder given");
    if (!(file = pkg_path_join(dir, "election.json"))) {
        rc = pkg_nomem();
        goto done;
    }
    c.file = file;
    if (stat(dir, &sb) != 0) {
        rc = err_set(TELLE_EIO, "%s: %s", dir, strerror(errno));
        goto done;
    }
    if (!S_ISDIR(sb.st_mode)) {
        rc = err_set(TELLE_EIO, "%s: not a folder (an election package is a "
                     "folder holding election.json)", dir);
        goto done;
    }
    if (stat(file, &sb) != 0) {
        rc = err_set(TELLE_EIO, "%s: %s", file, strerror(errno));
        goto done;
    }
    root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line > 0)
            rc = err_set(TELLE_EFORMAT, "%s: line %d, column %d: invalid "
                         "JSON: %s", file, jerr.line, jerr.column, jerr.text);
        else
            rc = err_set(TELLE_EIO, "%s: %s", file, jerr.text);
        goto done;
    }
    if (!(pkg = calloc(1, sizeof *pkg)) || !(pkg->dir = pkg_strdup(dir))) {
        rc = pkg_nomem();
        goto done;
    }
    if ((rc = pkg_parse_root(pkg, &c, root)) ||
        (rc = pkg_load_references(pkg, &c)))
        goto done;
    *out = pkg;
    pkg = NULL;
done:
    json_decref(root);
    pkg_free(pkg);
    free(file);
    return rc;
}

/* ---- freeing and lookups ---- */

static void pkg_style_free(pkg_style *st)
{
    for (int i = 0; i < st->n_sides; i++) {
        pkg_side *sd = &st->sides[i];
        for (int j = 0; j < sd->n_regions; j++) {
            free(sd->regions[j].list);
            free(sd->regions[j].value);
            free(sd->regions[j].rows);
        }
        free(sd->regions);
        free(sd->name);
        free(sd->reference);
        img_free(sd->image);
    }
    free(st->sides);
    free(st->id);
    free(st->election);
    free(st->list);
}

void pkg_free(pkg_package *pkg)
{
    if (!pkg)
        return;
    for (int e = 0; e < pkg->n_elections; e++) {
        pkg_election *el = &pkg->elections[e];
        for (int l = 0; l < el->n_lists; l++) {
            pkg_list *li = &el->lists[l];
            for (int k = 0; k < li->n_candidates; k++)
                free(li->candidates[k].name);
            free(li->candidates);
            free(li->code);
            free(li->name);
        }
        free(el->lists);
        free(el->id);
        free(el->name);
    }
    free(pkg->elections);
    for (int s = 0; s < pkg->n_styles; s++)
        pkg_style_free(&pkg->styles[s]);
    free(pkg->styles);
    free(pkg->dir);
    free(pkg->format);
    free(pkg->event);
    free(pkg->area_code);
    free(pkg->area_name);
    free(pkg);
}

const pkg_election *pkg_election_find(const pkg_package *pkg, const char *id)
{
    if (!pkg || !id)
        return NULL;
    for (int i = 0; i < pkg->n_elections; i++)
        if (pkg->elections[i].id && strcmp(pkg->elections[i].id, id) == 0)
            return &pkg->elections[i];
    return NULL;
}

const pkg_list *pkg_list_find(const pkg_election *el, const char *code)
{
    if (!el || !code)
        return NULL;
    for (int i = 0; i < el->n_lists; i++)
        if (el->lists[i].code && strcmp(el->lists[i].code, code) == 0)
            return &el->lists[i];
    return NULL;
}

const pkg_candidate *pkg_candidate_find(const pkg_list *list, int no)
{
    if (!list)
        return NULL;
    for (int i = 0; i < list->n_candidates; i++)
        if (list->candidates[i].no == no)
            return &list->candidates[i];
    return NULL;
}

const pkg_style *pkg_style_find(const pkg_package *pkg, const char *id)
{
    if (!pkg || !id)
        return NULL;
    for (int i = 0; i < pkg->n_styles; i++)
        if (pkg->styles[i].id && strcmp(pkg->styles[i].id, id) == 0)
            return &pkg->styles[i];
    return NULL;
}

const char *pkg_region_type_name(pkg_region_type t)
{
    if ((int)t < 0 || (int)t >= PKG_N_REGION_TYPES)
        return "unknown";
    return PKG_REGION_NAMES[t];
}
