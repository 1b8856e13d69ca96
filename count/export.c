/* export.c - the counts document before it is delivered: validation of its
 * structure and identities, loading, the final check, and the JSON export.
 *
 *   cnt_counts_validate, cnt_counts_load, cnt_counts_not_final,
 *   cnt_export_json, plus the helpers of export_internal.h
 *
 * The identities checked are those counts-doc.md says tests check; an
 * export refuses a document that breaks them, because a delivered count
 * whose own sums disagree cannot be signed. */
#include "count/export.h"
#include "count/export_internal.h"

#include "core/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const CNT_EXPORT_CATEGORIES[5] = {"FO", "FS", "VO", "VS", "VB"};

static const char *const GROUNDS[4] = {"a", "b", "c", "d"};

json_int_t cnt_export_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

const char *cnt_export_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

json_int_t cnt_export_sum(const json_t *obj)
{
    json_int_t sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
        if (json_is_integer(v))
            sum += json_integer_value(v);
    return sum;
}

const json_t *cnt_export_difference(const json_t *count, const char *code)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(count, "differences"), i, row)
        if (strcmp(cnt_export_str(row, "list"), code) == 0)
            return row;
    return NULL;
}

bool cnt_export_election_final(const json_t *election)
{
    return json_is_true(json_object_get(election, "final")) &&
           cnt_export_int(election, "unexplained_differences") == 0;
}

int cnt_export_find_election(size_t *index, const json_t *doc, const char *id)
{
    const json_t *els = json_object_get(doc, "elections");
    size_t i;
    json_t *el;
    json_array_foreach(els, i, el)
        if (strcmp(cnt_export_str(el, "id"), id) == 0) {
            *index = i;
            return 0;
        }
    char known[256] = "";
    size_t used = 0;
    json_array_foreach(els, i, el) {
        int n = snprintf(known + used, sizeof known - used, "%s%s",
                         i ? ", " : "", cnt_export_str(el, "id"));
        if (n < 0 || (size_t)n >= sizeof known - used)
            break;
        used += (size_t)n;
    }
    return err_set(TELLE_EINVAL, "election '%s' is not in the counts (%s)",
                   id, known);
}

/* ---- validation ---------------------------------------------------- */

/* Reads a non-negative integer field; `path` names the parent. */
static int get_count(json_int_t *out, const json_t *obj, const char *key,
                     const char *path)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return err_set(TELLE_EFORMAT, "%s.%s: %s", path, key,
                       v ? "not a non-negative integer" : "missing");
    *out = json_integer_value(v);
    return 0;
}

/* Every value of a candidate-number -> votes object is an integer >= 0. */
static int check_votes_object(json_int_t *sum, const json_t *obj,
                              const char *path)
{
    if (!json_is_object(obj))
        return err_set(TELLE_EFORMAT, "%s: %s", path,
                       obj ? "not an object" : "missing");
    *sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return err_set(TELLE_EFORMAT, "%s.%s: not a non-negative integer",
                           path, key);
        *sum += json_integer_value(v);
    }
    return 0;
}

/* One entry of "counts" or the "totals" of election `el`. */
static int check_count(const json_t *c, const json_t *el, const char *path,
                       json_int_t sums[4])
{
    if (!json_is_object(c))
        return err_set(TELLE_EFORMAT, "%s: not an object", path);
    json_int_t ballots, approved, blank, rejected;
    int rc;
    if ((rc = get_count(&ballots, c, "ballots", path)) < 0 ||
        (rc = get_count(&approved, c, "approved", path)) < 0 ||
        (rc = get_count(&blank, c, "blank", path)) < 0 ||
        (rc = get_count(&rejected, c, "rejected", path)) < 0)
        return rc;
    if (approved + blank + rejected != ballots)
        return err_set(TELLE_EFORMAT,
                       "%s.ballots: %" JSON_INTEGER_FORMAT " != approved %"
                       JSON_INTEGER_FORMAT " + blank %" JSON_INTEGER_FORMAT
                       " + rejected %" JSON_INTEGER_FORMAT,
                       path, ballots, approved, blank, rejected);
    sums[0] += ballots;
    sums[1] += approved;
    sums[2] += blank;
    sums[3] += rejected;

    char sub[192];
    snprintf(sub, sizeof sub, "%s.rejected_by_ground", path);
    const json_t *rbg = json_object_get(c, "rejected_by_ground");
    if (!json_is_object(rbg))
        return err_set(TELLE_EFORMAT, "%s: %s", sub,
                       rbg ? "not an object" : "missing");
    json_int_t by_ground = 0;
    for (size_t g = 0; g < 4; g++) {
        json_int_t n;
        if ((rc = get_count(&n, rbg, GROUNDS[g], sub)) < 0)
            return rc;
        by_ground += n;
    }
    if (by_ground != rejected)
        return err_set(TELLE_EFORMAT,
                       "%s: a+b+c+d = %" JSON_INTEGER_FORMAT
                       " != rejected %" JSON_INTEGER_FORMAT,
                       sub, by_ground, rejected);

    snprintf(sub, sizeof sub, "%s.lists", path);
    const json_t *lists = json_object_get(c, "lists");
    if (!json_is_object(lists))
        return err_set(TELLE_EFORMAT, "%s: %s", sub,
                       lists ? "not an object" : "missing");
    json_int_t list_sum = 0, given = 0, received = 0;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = cnt_export_str(l, "code");
        const json_t *lv = json_object_get(lists, code);
        char lp[256];
        snprintf(lp, sizeof lp, "%s.%s", sub, code);
        if (!json_is_object(lv))
            return err_set(TELLE_EFORMAT, "%s: missing (every list of the "
                           "election has an entry)", lp);
        json_int_t a, g, r, pv;
        char vp[288];
        if ((rc = get_count(&a, lv, "approved", lp)) < 0 ||
            (rc = get_count(&g, lv, "write_ins_given", lp)) < 0)
            return rc;
        snprintf(vp, sizeof vp, "%s.personal_votes", lp);
        if ((rc = check_votes_object(&pv, json_object_get(lv,
                                     "personal_votes"), vp)) < 0)
            return rc;
        snprintf(vp, sizeof vp, "%s.write_ins_received", lp);
        if ((rc = check_votes_object(&r, json_object_get(lv,
                                     "write_ins_received"), vp)) < 0)
            return rc;
        list_sum += a;
        given += g;
        received += r;
    }
    if (json_object_size(lists) != json_array_size(json_object_get(el,
                                                                   "lists")))
        return err_set(TELLE_EFORMAT, "%s: %zu entries for %zu lists of the "
                       "election", sub, json_object_size(lists),
                       json_array_size(json_object_get(el, "lists")));
    if (list_sum != approved)
        return err_set(TELLE_EFORMAT,
                       "%s: approved per list sum to %" JSON_INTEGER_FORMAT
                       " != approved %" JSON_INTEGER_FORMAT,
                       sub, list_sum, approved);
    if (given != received)
        return err_set(TELLE_EFORMAT,
                       "%s: write-ins given %" JSON_INTEGER_FORMAT
                       " != write-ins received %" JSON_INTEGER_FORMAT,
                       sub, given, received);
    return 0;
}

static int check_election(const json_t *el, size_t ei)
{
    char path[64];
    snprintf(path, sizeof path, "elections[%zu]", ei);
    if (!json_is_object(el))
        return err_set(TELLE_EFORMAT, "%s: not an object", path);
    if (!json_is_string(json_object_get(el, "id")) ||
        !*cnt_export_str(el, "id"))
        return err_set(TELLE_EFORMAT, "%s.id: missing", path);
    if (!json_is_boolean(json_object_get(el, "final")))
        return err_set(TELLE_EFORMAT, "%s.final: not true or false", path);
    const json_t *ub = json_object_get(el, "unexplained_differences");
    if (!json_is_integer(ub) || json_integer_value(ub) < 0)
        return err_set(TELLE_EFORMAT, "%s.unexplained_differences: not a "
                       "non-negative integer", path);
    if (!json_is_array(json_object_get(el, "open_batches")))
        return err_set(TELLE_EFORMAT, "%s.open_batches: not an array", path);
    const json_t *lists = json_object_get(el, "lists");
    if (!json_is_array(lists))
        return err_set(TELLE_EFORMAT, "%s.lists: not an array", path);
    size_t i;
    json_t *l;
    json_array_foreach(lists, i, l)
        if (!json_is_string(json_object_get(l, "code")) ||
            !*cnt_export_str(l, "code") ||
            !json_is_string(json_object_get(l, "name")))
            return err_set(TELLE_EFORMAT, "%s.lists[%zu]: needs \"code\" and "
                           "\"name\" strings", path, i);
    const json_t *counts = json_object_get(el, "counts");
    if (!json_is_array(counts))
        return err_set(TELLE_EFORMAT, "%s.counts: not an array", path);
    json_int_t sums[4] = {0, 0, 0, 0};
    json_t *c;
    int rc;
    json_array_foreach(counts, i, c) {
        char cp[96];
        snprintf(cp, sizeof cp, "%s.counts[%zu]", path, i);
        const char *cat = cnt_export_str(c, "category");
        bool known = false;
        for (size_t k = 0; k < 5; k++)
            known = known || strcmp(cat, CNT_EXPORT_CATEGORIES[k]) == 0;
        if (!known)
            return err_set(TELLE_EFORMAT, "%s.category: '%s' is not one of "
                           "FO FS VO VS VB", cp, cat);
        if (!*cnt_export_str(c, "krets"))
            return err_set(TELLE_EFORMAT, "%s.krets: missing", cp);
        const json_t *d = json_object_get(c, "differences");
        if (d && !json_is_array(d))
            return err_set(TELLE_EFORMAT, "%s.differences: not an array", cp);
        if ((rc = check_count(c, el, cp, sums)) < 0)
            return rc;
    }
    char tp[96];
    snprintf(tp, sizeof tp, "%s.totals", path);
    json_int_t tsums[4] = {0, 0, 0, 0};
    if ((rc = check_count(json_object_get(el, "totals"), el, tp, tsums)) < 0)
        return rc;
    static const char *const names[4] = {"ballots", "approved", "blank",
                                         "rejected"};
    for (size_t k = 0; k < 4; k++)
        if (tsums[k] != sums[k])
            return err_set(TELLE_EFORMAT,
                           "%s.%s: %" JSON_INTEGER_FORMAT " != %"
                           JSON_INTEGER_FORMAT " summed over the counts",
                           tp, names[k], tsums[k], sums[k]);
    return 0;
}

int cnt_counts_validate(const json_t *doc)
{
    if (!json_is_object(doc))
        return err_set(TELLE_EFORMAT, "not a JSON object");
    const char *format = cnt_export_str(doc, "format");
    if (strcmp(format, "telle-counts/1") != 0)
        return err_set(TELLE_EFORMAT, "format: '%s' is not telle-counts/1",
                       format);
    const json_t *area = json_object_get(doc, "area");
    if (!json_is_object(area) || !json_is_string(json_object_get(area,
                                                                 "code")))
        return err_set(TELLE_EFORMAT, "area.code: missing");
    const json_t *els = json_object_get(doc, "elections");
    if (!json_is_array(els))
        return err_set(TELLE_EFORMAT, "elections: not an array");
    size_t i;
    json_t *el;
    json_array_foreach(els, i, el) {
        int rc = check_election(el, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cnt_counts_load(json_t **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
    json_error_t jerr;
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!doc)
        return err_set(TELLE_EFORMAT, "%s: line %d: %s", path, jerr.line,
                       jerr.text);
    int rc = cnt_counts_validate(doc);
    if (rc < 0) {
        json_decref(doc);
        return err_prefix("%s: $.", path);
    }
    *out = doc;
    return 0;
}

int cnt_counts_not_final(char **why, const json_t *doc, const char *election)
{
    *why = NULL;
    size_t only = 0;
    if (election) {
        int rc = cnt_export_find_election(&only, doc, election);
        if (rc < 0)
            return rc;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return err_set(TELLE_ENOMEM, "out of memory");
    size_t i;
    json_t *el;
    json_array_foreach(json_object_get(doc, "elections"), i, el) {
        if (election && i != only)
            continue;
        const char *id = cnt_export_str(el, "id");
        const json_t *open = json_object_get(el, "open_batches");
        if (json_array_size(open) > 0) {
            fprintf(m, "%s: batches not committed:", id);
            size_t k;
            json_t *b;
            json_array_foreach(open, k, b)
                fprintf(m, " %s", json_string_value(b) ? json_string_value(b)
                                                       : "?");
            fputc('\n', m);
        } else if (!json_is_true(json_object_get(el, "final"))) {
            fprintf(m, "%s: no committed batch\n", id);
        }
        json_int_t ub = cnt_export_int(el, "unexplained_differences");
        if (ub > 0)
            fprintf(m, "%s: %" JSON_INTEGER_FORMAT " difference%s from the "
                    "preliminary count without explanation\n", id, ub,
                    ub == 1 ? "" : "s");
    }
    if (fclose(m) != 0) {
        free(buf);
        return err_set(TELLE_ENOMEM, "out of memory");
    }
    if (len == 0) {
        free(buf);
        return 0;
    }
    *why = buf;
    return 0;
}

int cnt_export_json(FILE *out, const json_t *doc, const char *election)
{
    json_t *copy = NULL;
    const json_t *src = doc;
    int rc = 0;
    if (election) {
        size_t idx;
        if ((rc = cnt_export_find_election(&idx, doc, election)) < 0)
            return rc;
        copy = json_copy((json_t *)doc);
        json_t *one = json_array();
        if (!copy || !one ||
            json_array_append(one, json_array_get(json_object_get(doc,
                              "elections"), idx)) < 0 ||
            json_object_set_new(copy, "elections", one) < 0) {
            json_decref(copy);
            return err_set(TELLE_ENOMEM, "out of memory");
        }
        src = copy;
    }
    if (json_dumpf(src, out, JSON_SORT_KEYS | JSON_INDENT(2) |
                       JSON_REAL_PRECISION(15)) < 0 ||
        fputc('\n', out) == EOF)
        rc = err_set(TELLE_EIO, "writing the JSON export failed");
    json_decref(copy);
    return rc;
}
