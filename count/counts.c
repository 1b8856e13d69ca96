/* counts.c - the counts document (count/README.md, "The counts document"):
 * committed batches' tallies summed per election x category x krets, the
 * preliminary counts with their differences and explanations, the spot
 * checks. Every input is checked before anything is summed: a count that
 * does not add up is refused, never passed on to a protocol.
 *
 *   cnt_counts_build, cnt_counts_dumps
 */
#include "count/counts.h"

#include "core/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No count of one batch, and no preliminary count of one krets, comes near
 * this (Oslo has about 500 000 voters); the cap keeps every sum of
 * thousands of batches far inside int64. */
#define COUNT_MAX ((json_int_t)100000000)

static const char *const CATEGORIES[] = {"FO", "FS", "VO", "VS", "VB"};
enum { N_CATEGORIES = 5 };
static const char *const GROUNDS[] = {"a", "b", "c", "d"};

static int category_index(const char *c)
{
    for (int i = 0; c != NULL && i < N_CATEGORIES; i++)
        if (strcmp(c, CATEGORIES[i]) == 0)
            return i;
    return -1;
}

/* ---- the package ---- */

static const json_t *list_find(const json_t *election, const char *code)
{
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(election, "lists"), i, l) {
        const char *lc = json_string_value(json_object_get(l, "code"));
        if (lc != NULL && code != NULL && strcmp(lc, code) == 0)
            return l;
    }
    return NULL;
}

/* A candidate number key ("6"): digits only, no leading zero, and a
 * candidate of list. */
static bool candidate_key_valid(const json_t *list, const char *key)
{
    if (key[0] < '1' || key[0] > '9' || strlen(key) > 6)
        return false;
    for (const char *p = key; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    long no = strtol(key, NULL, 10);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(list, "candidates"), i, c)
        if (json_integer_value(json_object_get(c, "no")) == no)
            return true;
    return false;
}

static int package_check(const json_t *root)
{
    const json_t *els = json_object_get(root, "elections");
    if (!json_is_array(els) || json_array_size(els) == 0)
        return err_set(TELLE_EFORMAT, "election.json: elections: not a non-empty array");
    size_t i, j;
    const json_t *e, *l;
    json_array_foreach(els, i, e) {
        if (!json_is_string(json_object_get(e, "id")) ||
            !json_is_array(json_object_get(e, "lists")))
            return err_set(TELLE_EFORMAT, "election.json: elections[%zu]: no id or "
                           "lists", i);
        if (!json_is_number(json_object_get(e, "first_divisor")) ||
            !json_is_integer(json_object_get(e, "seats")))
            return err_set(TELLE_EFORMAT, "election.json: elections[%zu]: no seats "
                           "or first_divisor", i);
        json_array_foreach(json_object_get(e, "lists"), j, l) {
            const char *code = json_string_value(json_object_get(l, "code"));
            if (code == NULL || strcmp(code, "blank") == 0 ||
                !json_is_array(json_object_get(l, "candidates")))
                return err_set(TELLE_EFORMAT, "election.json: elections[%zu].lists"
                               "[%zu]: no code, or no candidates", i, j);
        }
    }
    return 0;
}

/* ---- checked reading of counts ---- */

/* *v = obj[key], an integer 0..COUNT_MAX; a missing key is 0 unless
 * required. ctx starts the message. */
static int count_get(json_int_t *v, const json_t *obj, const char *key,
                     bool required, const char *ctx)
{
    const json_t *x = json_object_get(obj, key);
    *v = 0;
    if (x == NULL && !required)
        return 0;
    if (!json_is_integer(x))
        return err_set(TELLE_EFORMAT, "%s: %s: %s", ctx, key,
                       x == NULL ? "missing" : "not an integer");
    *v = json_integer_value(x);
    if (*v < 0 || *v > COUNT_MAX)
        return err_set(TELLE_EFORMAT, "%s: %s: %" JSON_INTEGER_FORMAT
                       " is outside 0..%" JSON_INTEGER_FORMAT, ctx, key, *v,
                       COUNT_MAX);
    return 0;
}

static bool krets_valid(const char *k)
{
    if (k == NULL || k[0] == '\0' || strlen(k) > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p < 0x21 || *p == 0x7f || *p == '/')
            return false;
    return true;
}

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A {"N": votes} object of one list: keys candidates of list, values
 * counts; *sum receives the total. */
static int candidate_votes_check(json_int_t *sum, const json_t *obj,
                                 const json_t *list, const char *ctx)
{
    const char *key;
    json_t *v;
    *sum = 0;
    if (obj == NULL)
        return 0;
    if (!json_is_object(obj))
        return err_set(TELLE_EFORMAT, "%s: not an object", ctx);
    json_object_foreach((json_t *)obj, key, v) {
        if (!candidate_key_valid(list, key))
            return err_set(TELLE_EFORMAT, "%s: \"%s\" is not a candidate number of "
                           "list %s", ctx, key, str_of(list, "code"));
        json_int_t n;
        if (count_get(&n, obj, key, true, ctx) < 0)
            return err_code();
        *sum += n;
    }
    return 0;
}

/* Checks one batch's tallies against the batch and the package. */
static int tallies_check(const json_t *t, const json_t *b, const json_t *el)
{
    const char *id = str_of(b, "batch");
    char ctx[512];
    snprintf(ctx, sizeof ctx, "batch %s: tallies", id);
    if (!json_is_object(t))
        return err_set(TELLE_EFORMAT, "%s: not an object", ctx);
    static const char *const same[] = {"batch", "election", "krets", "category"};
    for (int i = 0; i < 4; i++) {
        const char *want = str_of(b, same[i]), *got = str_of(t, same[i]);
        if (got == NULL || strcmp(got, want) != 0)
            return err_set(TELLE_EFORMAT, "%s: %s is %s%s%s, the batch's is %s", ctx,
                           same[i], got ? "\"" : "", got ? got : "missing",
                           got ? "\"" : "", want);
    }
    json_int_t ballots, approved, blank, rejected, pending, nc;
    if (count_get(&ballots, t, "ballots", true, ctx) < 0 ||
        count_get(&approved, t, "approved", true, ctx) < 0 ||
        count_get(&blank, t, "blank", true, ctx) < 0 ||
        count_get(&rejected, t, "rejected", true, ctx) < 0 ||
        count_get(&pending, t, "pending", false, ctx) < 0 ||
        count_get(&nc, t, "write_ins_not_counted", false, ctx) < 0)
        return err_code();
    if (pending != 0)
        return err_set(TELLE_EFORMAT, "%s: %" JSON_INTEGER_FORMAT " ballots still "
                       "pending in a committed batch", ctx, pending);
    if (approved + blank + rejected != ballots)
        return err_set(TELLE_EFORMAT, "%s: approved %" JSON_INTEGER_FORMAT " + blank %"
                       JSON_INTEGER_FORMAT " + rejected %" JSON_INTEGER_FORMAT
                       " != ballots %" JSON_INTEGER_FORMAT, ctx, approved, blank,
                       rejected, ballots);
    const json_t *grounds = json_object_get(t, "rejected_by_ground");
    if (grounds != NULL && !json_is_object(grounds))
        return err_set(TELLE_EFORMAT, "%s: rejected_by_ground: not an object", ctx);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)grounds, key, v) {
        if (strlen(key) != 1 || key[0] < 'a' || key[0] > 'd')
            return err_set(TELLE_EFORMAT, "%s: rejected_by_ground: \"%s\" is not a "
                           "ground a-d of valgloven \xc2\xa7 10-3 (1)", ctx, key);
    }
    json_int_t gsum = 0;
    char sub[600];
    snprintf(sub, sizeof sub, "%s: rejected_by_ground", ctx);
    for (int g = 0; g < 4; g++) {
        json_int_t n;
        if (count_get(&n, grounds, GROUNDS[g], false, sub) < 0)
            return err_code();
        gsum += n;
    }
    if (gsum != rejected)
        return err_set(TELLE_EFORMAT, "%s: rejected_by_ground sums to %"
                       JSON_INTEGER_FORMAT ", rejected is %" JSON_INTEGER_FORMAT,
                       ctx, gsum, rejected);
    const json_t *lists = json_object_get(t, "lists");
    if (!json_is_object(lists))
        return err_set(TELLE_EFORMAT, "%s: lists: %s", ctx,
                       lists ? "not an object" : "missing");
    json_int_t lsum = 0, given = 0, received = 0;
    json_object_foreach((json_t *)lists, key, v) {
        const json_t *pl = list_find(el, key);
        if (pl == NULL)
            return err_set(TELLE_EFORMAT, "%s: lists: %s is not a list of %s", ctx, key,
                           str_of(el, "id"));
        if (!json_is_object(v))
            return err_set(TELLE_EFORMAT, "%s: lists.%s: not an object", ctx, key);
        json_int_t a, g, s;
        snprintf(sub, sizeof sub, "%s: lists.%s", ctx, key);
        if (count_get(&a, v, "approved", true, sub) < 0 ||
            count_get(&g, v, "write_ins_given", false, sub) < 0)
            return err_code();
        char sub2[700];
        snprintf(sub2, sizeof sub2, "%s.personal_votes", sub);
        if (candidate_votes_check(&s, json_object_get(v, "personal_votes"), pl, sub2) < 0)
            return err_code();
        snprintf(sub2, sizeof sub2, "%s.write_ins_received", sub);
        json_int_t r;
        if (candidate_votes_check(&r, json_object_get(v, "write_ins_received"), pl,
                                  sub2) < 0)
            return err_code();
        lsum += a;
        given += g;
        received += r;
    }
    if (lsum != approved)
        return err_set(TELLE_EFORMAT, "%s: the lists' approved sum to %"
                       JSON_INTEGER_FORMAT ", approved is %" JSON_INTEGER_FORMAT,
                       ctx, lsum, approved);
    if (given != received)
        return err_set(TELLE_EFORMAT, "%s: write-ins given (%" JSON_INTEGER_FORMAT
                       ") != write-ins received (%" JSON_INTEGER_FORMAT ")", ctx,
                       given, received);
    const json_t *remarks = json_object_get(t, "remarks");
    if (remarks != NULL && !json_is_array(remarks))
        return err_set(TELLE_EFORMAT, "%s: remarks: not an array", ctx);
    size_t i;
    json_array_foreach(remarks, i, v) {
        const json_t *by = json_object_get(v, "by");
        if (!json_is_string(json_object_get(v, "sheet")) ||
            !json_is_string(json_object_get(v, "text")) ||
            (by != NULL && !json_is_string(by) && !json_is_null(by)))
            return err_set(TELLE_EFORMAT, "%s: remarks[%zu]: needs sheet and text "
                           "strings", ctx, i);
    }
    return 0;
}

/* ---- sums ---- */

static json_t *list_zero(void)
{
    return json_pack("{s:I, s:{}, s:I, s:{}}", "approved", (json_int_t)0,
                     "personal_votes", "write_ins_given", (json_int_t)0,
                     "write_ins_received");
}

/* The summed fields, zero, with every list of el. */
static json_t *tally_zero(const json_t *el)
{
    json_t *t = json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:{}, s:I}",
                          "ballots", (json_int_t)0, "approved", (json_int_t)0,
                          "blank", (json_int_t)0, "rejected", (json_int_t)0,
                          "rejected_by_ground", "a", (json_int_t)0, "b",
                          (json_int_t)0, "c", (json_int_t)0, "d", (json_int_t)0,
                          "lists", "write_ins_not_counted", (json_int_t)0);
    if (t == NULL)
        return NULL;
    json_t *lists = json_object_get(t, "lists");
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        if (json_object_set_new(lists, str_of(l, "code"), list_zero()) < 0) {
            json_decref(t);
            return NULL;
        }
    }
    return t;
}

static int add_int(json_t *obj, const char *key, json_int_t by)
{
    json_int_t cur = json_integer_value(json_object_get(obj, key));
    return json_object_set_new(obj, key, json_integer(cur + by));
}

static int add_votes(json_t *acc, const json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v)
        if (add_int(acc, key, json_integer_value(v)) < 0)
            return -1;
    return 0;
}

/* acc += t, both in the shape of tally_zero (t checked, or itself a sum). */
static int tally_add(json_t *acc, const json_t *t)
{
    static const char *const plain[] = {"ballots", "approved", "blank", "rejected",
                                        "write_ins_not_counted"};
    for (int i = 0; i < 5; i++)
        if (add_int(acc, plain[i], json_integer_value(json_object_get(t, plain[i]))) < 0)
            return err_set(TELLE_ENOMEM, "out of memory");
    json_t *g = json_object_get(acc, "rejected_by_ground");
    for (int i = 0; i < 4; i++) {
        json_int_t n = json_integer_value(json_object_get(
            json_object_get(t, "rejected_by_ground"), GROUNDS[i]));
        if (add_int(g, GROUNDS[i], n) < 0)
            return err_set(TELLE_ENOMEM, "out of memory");
    }
    const char *code;
    json_t *src;
    json_object_foreach(json_object_get(t, "lists"), code, src) {
        json_t *dst = json_object_get(json_object_get(acc, "lists"), code);
        if (dst == NULL)
            return err_set(TELLE_EFORMAT, "list %s is not in the package", code);
        if (add_int(dst, "approved", json_integer_value(json_object_get(src, "approved"))) < 0 ||
            add_int(dst, "write_ins_given",
                    json_integer_value(json_object_get(src, "write_ins_given"))) < 0 ||
            add_votes(json_object_get(dst, "personal_votes"),
                      json_object_get(src, "personal_votes")) < 0 ||
            add_votes(json_object_get(dst, "write_ins_received"),
                      json_object_get(src, "write_ins_received")) < 0)
            return err_set(TELLE_ENOMEM, "out of memory");
    }
    return 0;
}

/* ---- per election ---- */

typedef struct {
    const json_t *pkg;  /* the package's election object */
    json_t *out;        /* the document's election object */
    json_t *counts;     /* "CAT\x1fKRETS" -> count object */
    json_t *prelims;    /* "CAT\x1fKRETS" -> prelim object */
    json_t *explained;  /* "CAT\x1fKRETS\x1fLIST" -> text */
    size_t n_batches;
    size_t n_open;
} election_acc;

static void key_of(char *buf, size_t size, const char *category,
                   const char *krets, const char *list)
{
    snprintf(buf, size, "%s\x1f%s%s%s", category, krets, list ? "\x1f" : "",
             list ? list : "");
}

static json_t *count_new(const json_t *el, const char *category, const char *krets)
{
    json_t *c = tally_zero(el);
    if (c == NULL)
        return NULL;
    if (json_object_set_new(c, "category", json_string(category)) < 0 ||
        json_object_set_new(c, "krets", json_string(krets)) < 0 ||
        json_object_set_new(c, "batches", json_array()) < 0 ||
        json_object_set_new(c, "remarks", json_array()) < 0 ||
        json_object_set_new(c, "prelim", json_null()) < 0 ||
        json_object_set_new(c, "differences", json_array()) < 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static json_t *count_get_or_add(election_acc *ea, const char *category,
                                const char *krets)
{
    char key[200];
    key_of(key, sizeof key, category, krets, NULL);
    json_t *c = json_object_get(ea->counts, key);
    if (c == NULL) {
        c = count_new(ea->pkg, category, krets);
        if (c == NULL || json_object_set_new(ea->counts, key, c) < 0)
            return NULL;
    }
    return c;
}

static int batch_add(election_acc *ea, const json_t *b)
{
    const char *id = str_of(b, "batch");
    const json_t *t = json_object_get(b, "tallies");
    json_t *c = count_get_or_add(ea, str_of(b, "category"), str_of(b, "krets"));
    if (c == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    if (tally_add(c, t) < 0)
        return err_code();
    if (json_array_append_new(json_object_get(c, "batches"), json_string(id)) < 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(t, "remarks"), i, r) {
        const json_t *by = json_object_get(r, "by");
        json_t *o = json_pack("{s:s, s:O, s:O, s:O}", "batch", id, "sheet",
                              json_object_get(r, "sheet"), "by",
                              by ? (json_t *)by : json_null(), "text",
                              json_object_get(r, "text"));
        if (o == NULL || json_array_append_new(json_object_get(c, "remarks"), o) < 0)
            return err_set(TELLE_ENOMEM, "out of memory");
    }
    return 0;
}

static int cmp_counts(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    int ca = category_index(str_of(a, "category"));
    int cb = category_index(str_of(b, "category"));
    if (ca != cb)
        return ca < cb ? -1 : 1;
    return strcmp(str_of(a, "krets"), str_of(b, "krets"));
}

static json_t *difference_row(const char *list, json_int_t prelim,
                              json_int_t final, const json_t *explanation)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:O}", "list", list, "prelim", prelim,
                     "final", final, "difference", final - prelim, "explanation",
                     explanation ? (json_t *)explanation : json_null());
}

/* Fills the election's counts (sorted, with prelim and differences),
 * totals, unexplained_differences and final. */
static int election_finish(election_acc *ea)
{
    const char *key;
    json_t *p;
    /* A krets counted by hand but with no committed batch still shows: its
     * whole preliminary count is a difference until a batch is committed. */
    json_object_foreach(ea->prelims, key, p) {
        if (json_object_get(ea->counts, key) != NULL)
            continue;
        if (count_get_or_add(ea, str_of(p, "category"), str_of(p, "krets")) == NULL)
            return err_set(TELLE_ENOMEM, "out of memory");
    }
    size_t n = json_object_size(ea->counts), k = 0;
    const json_t **sorted = calloc(n ? n : 1, sizeof *sorted);
    if (sorted == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_t *c;
    json_object_foreach(ea->counts, key, c)
        sorted[k++] = c;
    qsort(sorted, n, sizeof *sorted, cmp_counts);
    json_t *counts = json_object_get(ea->out, "counts");
    json_t *totals = tally_zero(ea->pkg);
    json_int_t unexplained = 0;
    int rc = 0;
    if (totals == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (k = 0; k < n; k++) {
        json_t *cnt = (json_t *)sorted[k];
        const char *cat = str_of(cnt, "category"), *krets = str_of(cnt, "krets");
        char pkey[200], ekey[300];
        key_of(pkey, sizeof pkey, cat, krets, NULL);
        json_t *pre = json_object_get(ea->prelims, pkey);
        if ((rc = tally_add(totals, cnt)) < 0)
            goto done;
        if (pre != NULL) {
            json_t *shown = json_deep_copy(pre);
            json_t *diffs = json_object_get(cnt, "differences");
            if (shown == NULL) {
                rc = err_set(TELLE_ENOMEM, "out of memory");
                goto done;
            }
            json_object_del(shown, "category");
            json_object_del(shown, "krets");
            json_object_set_new(cnt, "prelim", shown);
            size_t i;
            const json_t *l;
            json_array_foreach(json_object_get(ea->pkg, "lists"), i, l) {
                const char *code = str_of(l, "code");
                key_of(ekey, sizeof ekey, cat, krets, code);
                json_int_t pv = json_integer_value(
                    json_object_get(json_object_get(pre, "lists"), code));
                json_int_t fv = json_integer_value(json_object_get(
                    json_object_get(json_object_get(cnt, "lists"), code), "approved"));
                json_t *ex = json_object_get(ea->explained, ekey);
                if (fv != pv && ex == NULL)
                    unexplained++;
                if (json_array_append_new(diffs, difference_row(code, pv, fv, ex)) < 0) {
                    rc = err_set(TELLE_ENOMEM, "out of memory");
                    goto done;
                }
            }
            key_of(ekey, sizeof ekey, cat, krets, "blank");
            json_int_t pv = json_integer_value(json_object_get(pre, "blank"));
            json_int_t fv = json_integer_value(json_object_get(cnt, "blank"));
            json_t *ex = json_object_get(ea->explained, ekey);
            if (fv != pv && ex == NULL)
                unexplained++;
            if (json_array_append_new(diffs, difference_row("blank", pv, fv, ex)) < 0) {
                rc = err_set(TELLE_ENOMEM, "out of memory");
                goto done;
            }
        }
        if (json_array_append(counts, cnt) < 0) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (json_object_set_new(ea->out, "totals", totals) < 0 ||
        json_object_set_new(ea->out, "unexplained_differences",
                            json_integer(unexplained)) < 0 ||
        json_object_set_new(ea->out, "final",
                            json_boolean(ea->n_batches > 0 && ea->n_open == 0)) < 0)
        rc = err_set(TELLE_ENOMEM, "out of memory");
    totals = NULL;
done:
    json_decref(totals);
    free(sorted);
    return rc;
}

static json_t *election_out(const json_t *e)
{
    json_t *lists = json_array();
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(e, "lists"), i, l) {
        const json_t *name = json_object_get(l, "name");
        json_array_append_new(lists, json_pack("{s:O, s:O}", "code",
                                               json_object_get(l, "code"), "name",
                                               name ? (json_t *)name : json_null()));
    }
    if (lists == NULL || json_array_size(lists) != json_array_size(json_object_get(e, "lists"))) {
        json_decref(lists);
        return NULL;
    }
    const json_t *type = json_object_get(e, "type"), *name = json_object_get(e, "name");
    return json_pack("{s:O, s:O, s:O, s:O, s:f, s:b, s:[], s:o, s:[], s:[]}",
                     "id", json_object_get(e, "id"),
                     "type", type ? (json_t *)type : json_null(),
                     "name", name ? (json_t *)name : json_null(),
                     "seats", json_object_get(e, "seats"),
                     "first_divisor", json_number_value(json_object_get(e, "first_divisor")),
                     "final", 0, "open_batches", "lists", lists, "counts",
                     "spotchecks");
}

/* ---- events ---- */

static int prelim_take(election_acc *ea, const json_t *ev, const json_t *p,
                       const char *ctx)
{
    const char *cat = str_of(p, "category"), *krets = str_of(p, "krets");
    const json_t *lists = json_object_get(p, "lists");
    if (!json_is_object(lists))
        return err_set(TELLE_EFORMAT, "%s: lists: %s", ctx,
                       lists ? "not an object" : "missing");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)lists, key, v)
        if (list_find(ea->pkg, key) == NULL)
            return err_set(TELLE_EFORMAT, "%s: lists: %s is not a list of %s", ctx,
                           key, str_of(ea->pkg, "id"));
    char sub[600];
    snprintf(sub, sizeof sub, "%s: lists", ctx);
    size_t i;
    const json_t *l;
    json_t *counts = json_object();
    if (counts == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_array_foreach(json_object_get(ea->pkg, "lists"), i, l) {
        json_int_t n;
        if (count_get(&n, lists, str_of(l, "code"), true, sub) < 0) {
            json_decref(counts);
            return err_code();
        }
        json_object_set_new(counts, str_of(l, "code"), json_integer(n));
    }
    json_int_t blank, doubtful;
    if (count_get(&blank, p, "blank", true, ctx) < 0 ||
        count_get(&doubtful, p, "doubtful", true, ctx) < 0) {
        json_decref(counts);
        return err_code();
    }
    json_t *pre = json_pack("{s:s, s:s, s:o, s:I, s:I, s:O, s:O, s:O}", "category", cat,
                            "krets", krets, "lists", counts, "blank", blank,
                            "doubtful", doubtful, "by", json_object_get(ev, "actor"),
                            "seq", json_object_get(ev, "seq"), "time",
                            json_object_get(ev, "time"));
    char pkey[200];
    key_of(pkey, sizeof pkey, cat, krets, NULL);
    if (pre == NULL || json_object_set_new(ea->prelims, pkey, pre) < 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    return 0;
}

static int explanation_take(election_acc *ea, const json_t *p, const char *ctx)
{
    const char *list = str_of(p, "list");
    const json_t *text = json_object_get(p, "text");
    if (list == NULL || (strcmp(list, "blank") != 0 && list_find(ea->pkg, list) == NULL))
        return err_set(TELLE_EFORMAT, "%s: list: %s is not a list of %s nor \"blank\"",
                       ctx, list ? list : "(missing)", str_of(ea->pkg, "id"));
    if (!json_is_string(text) || json_string_length(text) == 0)
        return err_set(TELLE_EFORMAT, "%s: text: missing or empty", ctx);
    char ekey[300];
    key_of(ekey, sizeof ekey, str_of(p, "category"), str_of(p, "krets"), list);
    if (json_object_set(ea->explained, ekey, (json_t *)text) < 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    return 0;
}

/* ---- the document ---- */

/* The index of election id among acc[0..n), n when it is none of them. */
static size_t election_index(const election_acc *acc, size_t n, const char *id)
{
    size_t e;
    for (e = 0; e < n; e++)
        if (id != NULL && strcmp(id, str_of(acc[e].pkg, "id")) == 0)
            break;
    return e;
}

int cnt_counts_build(json_t **out, const char *election_json,
                     const char *package_sha256, const json_t *batches,
                     const json_t *events)
{
    json_t *root = NULL, *doc = NULL, *batch_ids = NULL;
    election_acc *acc = NULL;
    size_t n_el = 0, i;
    int rc = 0;
    if (out != NULL)
        *out = NULL;
    if (out == NULL || election_json == NULL || package_sha256 == NULL ||
        !json_is_array(batches) || !json_is_array(events))
        return err_set(TELLE_EINVAL, "cnt_counts_build: missing input");
    json_error_t jerr;
    root = json_loads(election_json, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        rc = err_set(TELLE_EFORMAT, "election.json: line %d: %s", jerr.line, jerr.text);
        goto done;
    }
    if ((rc = package_check(root)) < 0)
        goto done;
    const json_t *area = json_object_get(root, "area");
    const json_t *ev_name = json_object_get(root, "event");
    doc = json_pack("{s:s, s:s, s:O, s:{s:O, s:O}, s:[]}", "format", CNT_COUNTS_FORMAT,
                    "package_sha256", package_sha256,
                    "event", ev_name ? (json_t *)ev_name : json_null(),
                    "area", "code",
                    json_object_get(area, "code") ? json_object_get(area, "code") : json_null(),
                    "name",
                    json_object_get(area, "name") ? json_object_get(area, "name") : json_null(),
                    "elections");
    batch_ids = json_object();
    n_el = json_array_size(json_object_get(root, "elections"));
    acc = calloc(n_el, sizeof *acc);
    if (doc == NULL || batch_ids == NULL || acc == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n_el; i++) {
        election_acc *ea = &acc[i];
        ea->pkg = json_array_get(json_object_get(root, "elections"), i);
        ea->out = election_out(ea->pkg);
        ea->counts = json_object();
        ea->prelims = json_object();
        ea->explained = json_object();
        if (ea->out == NULL || ea->counts == NULL || ea->prelims == NULL ||
            ea->explained == NULL ||
            json_array_append(json_object_get(doc, "elections"), ea->out) < 0) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
    }

    const json_t *b;
    json_array_foreach(batches, i, b) {
        const char *id = str_of(b, "batch"), *el = str_of(b, "election");
        const char *cat = str_of(b, "category"), *krets = str_of(b, "krets");
        const json_t *committed = json_object_get(b, "committed");
        if (id == NULL || id[0] == '\0') {
            rc = err_set(TELLE_EFORMAT, "batches[%zu]: batch: missing or empty", i);
            goto done;
        }
        if (json_object_get(batch_ids, id) != NULL) {
            rc = err_set(TELLE_EFORMAT, "batch %s: listed twice", id);
            goto done;
        }
        size_t e = election_index(acc, n_el, el);
        if (e == n_el) {
            rc = err_set(TELLE_EFORMAT, "batch %s: election %s is not in the package",
                         id, el ? el : "(missing)");
            goto done;
        }
        if (category_index(cat) < 0) {
            rc = err_set(TELLE_EFORMAT, "batch %s: category %s is not one of FO FS VO VS VB",
                         id, cat ? cat : "(missing)");
            goto done;
        }
        if (!krets_valid(krets)) {
            rc = err_set(TELLE_EFORMAT, "batch %s: krets: missing or not a krets number", id);
            goto done;
        }
        if (!json_is_boolean(committed)) {
            rc = err_set(TELLE_EFORMAT, "batch %s: committed: not true or false", id);
            goto done;
        }
        if (json_object_set_new(batch_ids, id, json_string(el)) < 0) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        election_acc *ea = &acc[e];
        ea->n_batches++;
        if (!json_is_true(committed)) {
            ea->n_open++;
            if (json_array_append_new(json_object_get(ea->out, "open_batches"),
                                      json_string(id)) < 0) {
                rc = err_set(TELLE_ENOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        const json_t *t = json_object_get(b, "tallies");
        if (!json_is_object(t)) {
            rc = err_set(TELLE_EFORMAT, "batch %s: committed without tallies", id);
            goto done;
        }
        if ((rc = tallies_check(t, b, ea->pkg)) < 0 || (rc = batch_add(ea, b)) < 0)
            goto done;
    }

    const json_t *ev;
    json_array_foreach(events, i, ev) {
        const char *kind = str_of(ev, "kind");
        const json_t *p = json_object_get(ev, "payload");
        json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
        char ctx[300];
        snprintf(ctx, sizeof ctx, "event %" JSON_INTEGER_FORMAT " (%s)", seq,
                 kind ? kind : "no kind");
        if (!json_is_integer(json_object_get(ev, "seq")) || kind == NULL ||
            !json_is_string(json_object_get(ev, "time")) ||
            !json_is_string(json_object_get(ev, "actor")) || !json_is_object(p)) {
            rc = err_set(TELLE_EFORMAT, "events[%zu]: needs seq, time, actor, kind and "
                         "an object payload", i);
            goto done;
        }
        bool spot = strcmp(kind, "spotcheck_record") == 0;
        if (!spot && strcmp(kind, "prelim") != 0 &&
            strcmp(kind, "difference_explanation") != 0) {
            rc = err_set(TELLE_EFORMAT, "%s: not an event kind the counts use", ctx);
            goto done;
        }
        const char *el = str_of(p, "election");
        size_t e = election_index(acc, n_el, el);
        if (e == n_el) {
            rc = err_set(TELLE_EFORMAT, "%s: election %s is not in the package", ctx,
                         el ? el : "(missing)");
            goto done;
        }
        election_acc *ea = &acc[e];
        if (spot) {
            const char *batch = str_of(p, "batch");
            const char *bel = batch ? json_string_value(json_object_get(batch_ids, batch))
                                    : NULL;
            if (bel == NULL) {
                rc = err_set(TELLE_EFORMAT, "%s: batch %s is not a batch of this count",
                             ctx, batch ? batch : "(missing)");
                goto done;
            }
            if (strcmp(bel, el) != 0) {
                rc = err_set(TELLE_EFORMAT, "%s: batch %s is of election %s, not %s", ctx,
                             batch, bel, el);
                goto done;
            }
            if (json_array_append_new(json_object_get(ea->out, "spotchecks"),
                                      json_deep_copy(p)) < 0) {
                rc = err_set(TELLE_ENOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        if (category_index(str_of(p, "category")) < 0) {
            rc = err_set(TELLE_EFORMAT, "%s: category %s is not one of FO FS VO VS VB",
                         ctx, str_of(p, "category") ? str_of(p, "category") : "(missing)");
            goto done;
        }
        if (!krets_valid(str_of(p, "krets"))) {
            rc = err_set(TELLE_EFORMAT, "%s: krets: missing or not a krets number", ctx);
            goto done;
        }
        rc = strcmp(kind, "prelim") == 0 ? prelim_take(ea, ev, p, ctx)
                                         : explanation_take(ea, p, ctx);
        if (rc < 0)
            goto done;
    }

    for (i = 0; i < n_el; i++)
        if ((rc = election_finish(&acc[i])) < 0)
            goto done;
    *out = doc;
    doc = NULL;
done:
    for (i = 0; acc != NULL && i < n_el; i++) {
        json_decref(acc[i].out);
        json_decref(acc[i].counts);
        json_decref(acc[i].prelims);
        json_decref(acc[i].explained);
    }
    free(acc);
    json_decref(batch_ids);
    json_decref(doc);
    json_decref(root);
    return rc;
}

char *cnt_counts_dumps(const json_t *doc)
{
    char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    if (s == NULL)
        return NULL;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (t == NULL) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}
