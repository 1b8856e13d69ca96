/* settle_input.c - final counts to the input of chapter E, and its results
 * to JSON (see settle_input.h).
 *
 *   cnt_settle_input_new, cnt_settle_input_from_counts,
 *   cnt_settle_input_free, cnt_settle_compute, cnt_settlement_free,
 *   cnt_settle_json
 */
#include "count/settle_input.h"

#include "core/error.h"
#include "core/package_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cnt_settle_input_new(cnt_settle_input **out, size_t n)
{
    *out = NULL;
    if (n < 1 || n > CNT_MAX_LISTS)
        return err_set(TELLE_EINVAL, "lists: %zu lists, need 1..%d", n,
                       CNT_MAX_LISTS);
    cnt_settle_input *in = calloc(1, sizeof *in);
    if (!in)
        return err_set(TELLE_ENOMEM, "lists: out of memory");
    in->lists = calloc(n, sizeof *in->lists);
    in->list_names = calloc(n, sizeof *in->list_names);
    in->list_seats = calloc(n, sizeof *in->list_seats);
    in->has_candidates = calloc(n, sizeof *in->has_candidates);
    in->candidates = calloc(n, sizeof *in->candidates);
    in->n_candidates = calloc(n, sizeof *in->n_candidates);
    in->votes.lists = in->lists;
    in->votes.n_lists = n;
    in->votes.first_divisor_x10 = CNT_FIRST_DIVISOR_LAW_X10;
    if (!in->lists || !in->list_names || !in->list_seats ||
        !in->has_candidates || !in->candidates || !in->n_candidates) {
        cnt_settle_input_free(in);
        return err_set(TELLE_ENOMEM, "lists: out of memory");
    }
    *out = in;
    return 0;
}

void cnt_settle_input_free(cnt_settle_input *in)
{
    if (!in)
        return;
    if (in->candidates)
        for (size_t i = 0; i < in->votes.n_lists; i++)
            free(in->candidates[i]);
    free(in->candidates);
    free(in->n_candidates);
    free(in->has_candidates);
    free(in->list_seats);
    free(in->list_names);
    free(in->lists);
    json_decref(in->held);
    free(in);
}

/* ---- from a counts document ---- */

/* obj[key] as a whole number >= 0 into *n. */
static int get_count(int64_t *n, json_t *obj, const char *path,
                     const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return err_set(TELLE_EFORMAT, "%s.%s: missing", path, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return err_set(TELLE_EFORMAT, "%s.%s: expected a whole number >= 0",
                       path, key);
    *n = json_integer_value(v);
    return 0;
}

/* Sum of the values of a {candidate no: count} object; checks every key is
 * a candidate number and every value a count. */
static int sum_by_candidate(int64_t *sum, json_t *obj, const char *path)
{
    const char *key;
    json_t *v;
    *sum = 0;
    if (!obj)
        return 0;
    if (!json_is_object(obj))
        return err_set(TELLE_EFORMAT, "%s: expected an object", path);
    json_object_foreach(obj, key, v) {
        char *end = NULL;
        long no = strtol(key, &end, 10);
        if (!*key || *end || no < 1 || no > CNT_MAX_CANDIDATES)
            return err_set(TELLE_EFORMAT, "%s.%s: not a candidate number",
                           path, key);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return err_set(TELLE_EFORMAT, "%s.%s: expected a whole number "
                           ">= 0", path, key);
        *sum += json_integer_value(v);
    }
    return 0;
}

static int64_t by_candidate(json_t *obj, int no)
{
    char key[16];
    snprintf(key, sizeof key, "%d", no);
    return json_integer_value(json_object_get(obj, key));
}

/* Every candidate number in `obj` must be one of c[0..n). */
static int check_known(json_t *obj, const cnt_candidate_votes *c, size_t n,
                       const char *path, const char *code)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        long no = strtol(key, NULL, 10);
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = c[k].no == no;
        if (!found)
            return err_set(TELLE_EFORMAT, "%s.%s: list %s has no candidate "
                           "%ld", path, key, code, no);
    }
    return 0;
}

/* The candidates of list `code`: the document's own, else the package's. */
static json_t *candidates_of(json_t *doc_list, json_t *package,
                             const char *election, const char *code)
{
    json_t *c = json_object_get(doc_list, "candidates");
    if (json_is_array(c))
        return c;
    if (!package)
        return NULL;
    json_t *el = pkg_json_election(package, election);
    json_t *l = pkg_json_list(el, code);
    c = json_object_get(l, "candidates");
    return json_is_array(c) ? c : NULL;
}

static int fill_candidates(cnt_settle_input *in, size_t li, json_t *cands,
                           json_t *tl, const char *tpath)
{
    const char *code = in->lists[li].code;
    size_t n = json_array_size(cands);
    char path[320];
    if (n > CNT_MAX_CANDIDATES)
        return err_set(TELLE_EFORMAT, "list %s: %zu candidates, at most %d",
                       code, n, CNT_MAX_CANDIDATES);
    in->has_candidates[li] = true;
    in->n_candidates[li] = n;
    if (n == 0)
        return 0;
    cnt_candidate_votes *c = calloc(n, sizeof *c);
    if (!c)
        return err_set(TELLE_ENOMEM, "list %s: out of memory", code);
    in->candidates[li] = c;
    json_t *pv = json_object_get(tl, "personal_votes");
    json_t *wr = json_object_get(tl, "write_ins_received");
    for (size_t k = 0; k < n; k++) {
        json_t *o = json_array_get(cands, k);
        json_t *no = json_object_get(o, "no");
        json_t *st = json_object_get(o, "stemmetillegg");
        if (!json_is_integer(no) || json_integer_value(no) < 1 ||
            json_integer_value(no) > CNT_MAX_CANDIDATES)
            return err_set(TELLE_EFORMAT, "list %s: candidates[%zu].no: "
                           "expected a candidate number", code, k);
        c[k].no = (int)json_integer_value(no);
        c[k].name = json_string_value(json_object_get(o, "name"));
        c[k].stemmetillegg = !in->ft && json_is_true(st);
        c[k].personal_votes = by_candidate(pv, c[k].no);
        c[k].write_ins_received = by_candidate(wr, c[k].no);
    }
    int rc;
    snprintf(path, sizeof path, "%s.personal_votes", tpath);
    if (pv && (rc = check_known(pv, c, n, path, code)) < 0)
        return rc;
    snprintf(path, sizeof path, "%s.write_ins_received", tpath);
    if (wr && (rc = check_known(wr, c, n, path, code)) < 0)
        return rc;
    return 0;
}

int cnt_settle_input_from_counts(cnt_settle_input **out, json_t *counts,
                                 const char *election, json_t *package)
{
    *out = NULL;
    cnt_settle_input *in = NULL;
    json_t *held = NULL;
    char path[192];
    int rc;
    const char *fmt = json_string_value(json_object_get(counts, "format"));
    if (!fmt || strcmp(fmt, "telle-counts/1") != 0)
        return err_set(TELLE_EFORMAT, "format: expected \"telle-counts/1\"");
    json_t *els = json_object_get(counts, "elections");
    json_t *el = pkg_json_find(els, "id", election);
    if (!el)
        return err_set(TELLE_EINVAL, "elections: no election %s", election);
    size_t ei = 0;
    while (json_array_get(els, ei) != el)
        ei++;
    snprintf(path, sizeof path, "elections[%zu]", ei);

    const char *type = json_string_value(json_object_get(el, "type"));
    json_t *lists = json_object_get(el, "lists");
    json_t *totals = json_object_get(json_object_get(el, "totals"), "lists");
    if (!type)
        return err_set(TELLE_EFORMAT, "%s.type: missing", path);
    if (!json_is_array(lists) || json_array_size(lists) == 0)
        return err_set(TELLE_EFORMAT, "%s.lists: expected a non-empty array",
                       path);
    if (!json_is_object(totals))
        return err_set(TELLE_EFORMAT, "%s.totals.lists: expected an object",
                       path);
    if ((rc = cnt_settle_input_new(&in, json_array_size(lists))) < 0)
        return err_prefix("%s.", path);
    held = json_array();
    if (!held) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    json_array_append(held, counts);
    if (package)
        json_array_append(held, package);
    in->held = held;

    in->ft = strcmp(type, "fylkestingsvalg") == 0;
    json_t *seats = json_object_get(el, "seats");
    json_t *fd = json_object_get(el, "first_divisor");
    if (!json_is_integer(seats) || json_integer_value(seats) < 1 ||
        json_integer_value(seats) > CNT_MAX_SEATS) {
        rc = err_set(TELLE_EFORMAT, "%s.seats: expected 1..%d", path,
                     CNT_MAX_SEATS);
        goto fail;
    }
    in->votes.seats = (int)json_integer_value(seats);
    if (fd) {
        double tenths = json_number_value(fd) * 10;
        if (!json_is_number(fd) || fabs(tenths - round(tenths)) > 1e-9 ||
            round(tenths) < CNT_FIRST_DIVISOR_MIN_X10 ||
            round(tenths) > CNT_FIRST_DIVISOR_MAX_X10) {
            rc = err_set(TELLE_EFORMAT, "%s.first_divisor: expected tenths "
                         "in 1.0..3.0", path);
            goto fail;
        }
        in->votes.first_divisor_x10 = (int)round(tenths);
    }

    for (size_t i = 0; i < in->votes.n_lists; i++) {
        json_t *dl = json_array_get(lists, i);
        const char *code = json_string_value(json_object_get(dl, "code"));
        char tpath[256];
        if (!code) {
            rc = err_set(TELLE_EFORMAT, "%s.lists[%zu].code: missing", path, i);
            goto fail;
        }
        snprintf(tpath, sizeof tpath, "%s.totals.lists.%s", path, code);
        json_t *tl = json_object_get(totals, code);
        if (!json_is_object(tl)) {
            rc = err_set(TELLE_EFORMAT, "%s: missing", tpath);
            goto fail;
        }
        cnt_list_votes *lv = &in->lists[i];
        char wpath[300];
        snprintf(wpath, sizeof wpath, "%s.write_ins_received", tpath);
        lv->code = code;
        in->list_names[i] = json_string_value(json_object_get(dl, "name"));
        if ((rc = get_count(&lv->ballots, tl, tpath, "approved")) < 0 ||
            (rc = get_count(&lv->write_ins_given, tl, tpath,
                            "write_ins_given")) < 0 ||
            (rc = sum_by_candidate(&lv->write_ins_received,
                                   json_object_get(tl, "write_ins_received"),
                                   wpath)) < 0)
            goto fail;
        snprintf(wpath, sizeof wpath, "%s.personal_votes", tpath);
        int64_t unused;
        if ((rc = sum_by_candidate(&unused, json_object_get(tl,
                                   "personal_votes"), wpath)) < 0)
            goto fail;
        json_t *cands = candidates_of(dl, package, election, code);
        if (cands && (rc = fill_candidates(in, i, cands, tl, tpath)) < 0)
            goto fail;
    }
    *out = in;
    return 0;

fail:
    cnt_settle_input_free(in);
    return rc;
}

/* ---- computing ---- */

void cnt_settlement_free(cnt_settlement *s)
{
    if (!s)
        return;
    if (s->rankings)
        for (size_t i = 0; i < s->n_lists; i++)
            cnt_ranking_free(s->rankings[i]);
    free(s->rankings);
    cnt_seats_free(s->seats);
    free(s);
}

int cnt_settle_compute(cnt_settlement **out, const cnt_settle_input *in,
                       uint64_t seed)
{
    *out = NULL;
    int rc;
    cnt_settlement *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(TELLE_ENOMEM, "out of memory");
    s->n_lists = in->votes.n_lists;
    s->rankings = calloc(s->n_lists, sizeof *s->rankings);
    if (!s->rankings) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    if (!in->ft) {
        cnt_election_votes v = in->votes;
        v.seed = seed;
        if ((rc = cnt_seats_allocate(&s->seats, &v)) < 0)
            goto fail;
    }
    for (size_t i = 0; i < s->n_lists; i++) {
        if (!in->has_candidates[i])
            continue;
        cnt_list_candidates lc = {
            .code = in->lists[i].code,
            .rule = in->ft ? CNT_RULE_FT : CNT_RULE_KS,
            .ballots = in->lists[i].ballots,
            .seats = s->seats ? cnt_seats_won(s->seats, i) : in->list_seats[i],
            .candidates = in->candidates[i],
            .n_candidates = in->n_candidates[i],
        };
        if ((rc = cnt_ranking_compute(&s->rankings[i], &lc)) < 0) {
            err_prefix("lists[%zu].", i);
            goto fail;
        }
    }
    *out = s;
    return 0;

fail:
    cnt_settlement_free(s);
    return rc;
}

/* ---- JSON ---- */

static json_t *quotient_json(const cnt_settle_input *in, cnt_quotient q)
{
    char text[CNT_QUOTIENT_TEXT];
    cnt_quotient_format(text, q);
    return json_pack("{s:s, s:f, s:s}", "list", in->lists[q.list].code,
                     "quotient", cnt_quotient_value(q), "quotient_text", text);
}

static json_t *codes_json(const cnt_settle_input *in, const size_t *idx,
                          size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(in->lists[idx[i]].code));
    return a;
}

static int add_seats(json_t *root, const cnt_settle_input *in,
                     const cnt_seats *s)
{
    json_t *quotients = json_array(), *lots = json_array();
    if (!quotients || !lots)
        goto fail;
    json_object_set_new(root, "quotients", quotients);
    json_object_set_new(root, "lots", lots);
    for (int seat = 1; seat <= cnt_seats_total(s); seat++) {
        json_t *q = quotient_json(in, cnt_seats_quotient(s, seat));
        if (!q)
            return -1;
        json_object_set_new(q, "seat", json_integer(seat));
        json_array_append_new(quotients, q);
    }
    json_t *next = quotient_json(in, cnt_seats_next(s));
    if (!next)
        return -1;
    json_object_set_new(next, "tied", json_boolean(cnt_seats_next_tied(s)));
    json_object_set_new(root, "next_quotient", next);
    for (size_t i = 0; i < cnt_seats_draw_count(s); i++) {
        const cnt_draw *d = cnt_seats_draw(s, i);
        char text[CNT_QUOTIENT_TEXT];
        cnt_quotient_format(text, d->quotient);
        json_t *o = json_pack(
            "{s:i, s:f, s:s, s:I, s:o, s:o, s:o, s:b}", "first_seat",
            d->first_seat, "quotient", cnt_quotient_value(d->quotient),
            "quotient_text", text, "listestemmetall",
            (json_int_t)cnt_seats_listestemmetall(s, d->order[0]), "tied",
            codes_json(in, d->tied, d->n_tied), "order",
            codes_json(in, d->order, d->n_tied), "awarded",
            codes_json(in, d->order, d->awarded), "decisive", (int)d->decisive);
        if (!o)
            return -1;
        json_array_append_new(lots, o);
    }
    return 0;

fail:
    json_decref(quotients);
    json_decref(lots);
    return -1;
}

static json_t *ranking_json(const cnt_settle_input *in, size_t li,
                            const cnt_ranking *rk)
{
    json_t *arr = json_array();
    for (size_t k = 0; arr && k < cnt_ranking_count(rk); k++) {
        const cnt_ranked *r = cnt_ranking_at(rk, k);
        const cnt_candidate_votes *c = &in->candidates[li][r->candidate];
        json_t *o = json_pack(
            "{s:i, s:s?, s:f, s:I, s:I, s:f, s:i, s:b, s:b}", "no", r->no,
            "name", c->name, "stemmetillegg", r->stemmetillegg_x4 / 4.0,
            "personal_votes", (json_int_t)c->personal_votes,
            "write_ins_received", (json_int_t)c->write_ins_received, "total",
            r->total_x4 / 4.0, "rank", r->rank, "elected",
            r->outcome == CNT_ELECTED, "deputy", r->outcome == CNT_DEPUTY);
        if (!o) {
            json_decref(arr);
            return NULL;
        }
        if (r->outcome == CNT_DEPUTY)
            json_object_set_new(o, "deputy_rank", json_integer(r->deputy_no));
        if (in->ft)
            json_object_set_new(o, "ranked_by_votes", json_boolean(r->by_votes));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *cnt_settle_json(const cnt_settle_input *in, const cnt_settlement *st)
{
    const cnt_seats *s = st->seats;
    json_t *root = json_object(), *lists = json_array(), *cands = json_object();
    if (!root || !lists || !cands)
        goto fail;
    json_object_set_new(root, "election", json_string(in->ft ? "FT" : "KS"));
    if (s) {
        json_object_set_new(root, "seats", json_integer(cnt_seats_total(s)));
        json_object_set_new(root, "first_divisor",
                            json_real(in->votes.first_divisor_x10 / 10.0));
        json_object_set_new(root, "seed",
                            json_integer((json_int_t)cnt_seats_seed(s)));
    }
    for (size_t i = 0; i < in->votes.n_lists; i++) {
        const cnt_list_votes *l = &in->lists[i];
        json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "code", l->code,
                              "ballots", (json_int_t)l->ballots,
                              "write_ins_received",
                              (json_int_t)l->write_ins_received,
                              "write_ins_given", (json_int_t)l->write_ins_given);
        if (!o)
            goto fail;
        if (in->list_names[i])
            json_object_set_new(o, "name", json_string(in->list_names[i]));
        if (s)
            json_object_set_new(o, "listestemmetall",
                                json_integer(cnt_seats_listestemmetall(s, i)));
        json_object_set_new(o, "seats",
                            json_integer(s ? cnt_seats_won(s, i)
                                           : in->list_seats[i]));
        if (!in->ft)
            json_object_set_new(o, "stemmetillegg",
                                json_real((double)l->ballots / 4));
        json_object_set_new(o, "ranked", json_boolean(in->has_candidates[i]));
        json_array_append_new(lists, o);
    }
    json_object_set_new(root, "lists", lists);
    lists = NULL;
    if (s) {
        if (add_seats(root, in, s) < 0)
            goto fail;
    } else {
        json_object_set_new(root, "quotients", json_array());
        json_object_set_new(root, "lots", json_array());
    }
    for (size_t i = 0; i < in->votes.n_lists; i++) {
        if (!st->rankings[i])
            continue;
        json_t *arr = ranking_json(in, i, st->rankings[i]);
        if (!arr)
            goto fail;
        json_object_set_new(cands, in->lists[i].code, arr);
    }
    json_object_set_new(root, "candidates", cands);
    return root;

fail:
    json_decref(lists);
    json_decref(cands);
    json_decref(root);
    return NULL;
}
