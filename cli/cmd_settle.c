/* cmd_settle.c - `telle settle --counts FILE [--json] [--seed N]`: the seat
 * allocation and the candidate ranking (chapter E of the protocol) from a
 * JSON file of final counts, without scanning: for checking a published
 * protocol. The file:
 *
 *   {"seats": 21, "first_divisor": 1.4,
 *    "lists": [{"code": "H", "ballots": 426, "write_ins_received": 211,
 *               "write_ins_given": 285,
 *               "candidates": [{"no": 1, "name": "...",
 *                               "stemmetillegg": true,
 *                               "personal_votes": 186,
 *                               "write_ins_received": 52}]}]}
 *
 * "first_divisor" defaults to the law's 1.4, write-in counts and
 * "stemmetillegg" to 0/false, "candidates" and "name" are optional. With
 * "election": "FT" no seats are allocated (the county does that): each list
 * then gives its "seats" and only the ranking, with the 8 % rule, is done.
 * Unknown keys are refused, so a misspelt count is never silently 0.
 *
 * The file is parsed here into the plain structs count/ takes
 * (cnt_election_votes, cnt_list_candidates); `--db` will fill the same
 * structs from the store's committed counts. */
#include "cli/commands.h"

#include "core/error.h"
#include "count/ranking.h"
#include "count/seats.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PATH_MAX_LEN = 160 };

typedef struct {
    bool ft;                        /* "election": "FT" */
    cnt_election_votes votes;       /* KS seat allocation input */
    cnt_list_votes *lists;          /* n_lists */
    int *list_seats;                /* FT: the seats each list was given */
    bool *has_candidates;           /* n_lists */
    cnt_candidate_votes **candidates; /* n_lists arrays */
    size_t *n_candidates;           /* n_lists */
} settle_input;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle settle --counts FILE [--json] [--seed N]\n"
            "  Seat allocation (modified Sainte-Lagu\xc3\xab, every quotient) and\n"
            "  candidate ranking from the final counts in FILE (JSON, see\n"
            "  count/README.md). --json prints JSON instead of tables.\n"
            "  --seed N (0..2^63-1) starts the drawing of lots, used only when\n"
            "  lists are equal in quotient and listestemmetall (default 0);\n"
            "  the seed and every draw are printed.\n");
}

static void input_free(settle_input *in)
{
    if (in->candidates)
        for (size_t i = 0; i < in->votes.n_lists; i++)
            free(in->candidates[i]);
    free(in->candidates);
    free(in->n_candidates);
    free(in->has_candidates);
    free(in->list_seats);
    free(in->lists);
}

/* Refuses keys of `obj` not in the NULL-terminated `known`. */
static int check_keys(json_t *obj, const char *path, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok)
            return err_set(TELLE_EINVAL, "%s.%s: unknown key", path, key);
    }
    return 0;
}

static const char *json_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with decimals";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* Reads obj[key] as an integer in lo..hi into *out; when absent, *out =
 * dflt unless `required`. */
static int get_int(int64_t *out, json_t *obj, const char *path,
                   const char *key, bool required, int64_t dflt, int64_t lo,
                   int64_t hi)
{
    json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v) {
        if (required)
            return err_set(TELLE_EINVAL, "%s.%s: missing", path, key);
        return 0;
    }
    if (!json_is_integer(v))
        return err_set(TELLE_EINVAL, "%s.%s: expected a whole number, got %s",
                       path, key, json_kind(v));
    json_int_t n = json_integer_value(v);
    if (n < lo || n > hi)
        return err_set(TELLE_EINVAL,
                       "%s.%s: %" JSON_INTEGER_FORMAT
                       " is outside %" PRId64 "..%" PRId64,
                       path, key, n, lo, hi);
    *out = n;
    return 0;
}

static int get_string(const char **out, json_t *obj, const char *path,
                      const char *key, bool required)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) {
        if (required)
            return err_set(TELLE_EINVAL, "%s.%s: missing", path, key);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return err_set(TELLE_EINVAL, "%s.%s: expected a non-empty string, got %s",
                       path, key, json_is_string(v) ? "\"\"" : json_kind(v));
    *out = json_string_value(v);
    return 0;
}

static int parse_candidates(settle_input *in, size_t li, json_t *arr,
                            const char *lpath)
{
    static const char *const keys[] = {"no", "name", "stemmetillegg",
                                       "personal_votes", "write_ins_received",
                                       NULL};
    char path[PATH_MAX_LEN + 48]; /* lpath + ".candidates[N]" */
    if (!json_is_array(arr))
        return err_set(TELLE_EINVAL, "%s.candidates: expected an array, got %s",
                       lpath, json_kind(arr));
    size_t n = json_array_size(arr);
    if (n > CNT_MAX_CANDIDATES)
        return err_set(TELLE_EINVAL, "%s.candidates: %zu candidates, at most %d",
                       lpath, n, CNT_MAX_CANDIDATES);
    in->has_candidates[li] = true;
    in->n_candidates[li] = n;
    if (n == 0)
        return 0;
    cnt_candidate_votes *c = calloc(n, sizeof *c);
    if (!c)
        return err_set(TELLE_ENOMEM, "%s.candidates: out of memory", lpath);
    in->candidates[li] = c;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        snprintf(path, sizeof path, "%s.candidates[%zu]", lpath, i);
        if (!json_is_object(o))
            return err_set(TELLE_EINVAL, "%s: expected an object, got %s",
                           path, json_kind(o));
        int64_t no, pv, wi;
        int rc;
        if ((rc = check_keys(o, path, keys)) < 0 ||
            (rc = get_int(&no, o, path, "no", true, 0, 1,
                          CNT_MAX_CANDIDATES)) < 0 ||
            (rc = get_string(&c[i].name, o, path, "name", false)) < 0 ||
            (rc = get_int(&pv, o, path, "personal_votes", true, 0, 0,
                          CNT_MAX_BALLOTS)) < 0 ||
            (rc = get_int(&wi, o, path, "write_ins_received", false, 0, 0,
                          CNT_MAX_WRITE_INS)) < 0)
            return rc;
        json_t *st = json_object_get(o, "stemmetillegg");
        if (st && !json_is_boolean(st))
            return err_set(TELLE_EINVAL,
                           "%s.stemmetillegg: expected true or false, got %s",
                           path, json_kind(st));
        c[i].no = (int)no;
        c[i].personal_votes = pv;
        c[i].write_ins_received = wi;
        c[i].stemmetillegg = st && json_is_true(st);
    }
    return 0;
}

static int parse_list(settle_input *in, size_t i, json_t *o)
{
    static const char *const keys[] = {"code", "ballots", "write_ins_received",
                                       "write_ins_given", "seats",
                                       "candidates", NULL};
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "$.lists[%zu]", i);
    if (!json_is_object(o))
        return err_set(TELLE_EINVAL, "%s: expected an object, got %s", path,
                       json_kind(o));
    cnt_list_votes *l = &in->lists[i];
    int64_t seats = 0;
    int rc;
    if ((rc = check_keys(o, path, keys)) < 0 ||
        (rc = get_string(&l->code, o, path, "code", true)) < 0 ||
        (rc = get_int(&l->ballots, o, path, "ballots", true, 0, 0,
                      CNT_MAX_BALLOTS)) < 0 ||
        (rc = get_int(&l->write_ins_received, o, path, "write_ins_received",
                      false, 0, 0, CNT_MAX_WRITE_INS)) < 0 ||
        (rc = get_int(&l->write_ins_given, o, path, "write_ins_given", false,
                      0, 0, CNT_MAX_WRITE_INS)) < 0 ||
        (rc = get_int(&seats, o, path, "seats", in->ft, 0, 0,
                      CNT_MAX_SEATS)) < 0)
        return rc;
    if (!in->ft && json_object_get(o, "seats"))
        return err_set(TELLE_EINVAL,
                       "%s.seats: seats per list are computed here; give them "
                       "only with \"election\": \"FT\"", path);
    in->list_seats[i] = (int)seats;
    json_t *cands = json_object_get(o, "candidates");
    return cands ? parse_candidates(in, i, cands, path) : 0;
}

/* Reads the counts file into *in; strings point into *root, which the
 * caller keeps until done. */
static int parse_counts(settle_input *in, json_t **root, const char *file)
{
    static const char *const keys[] = {"election", "seats", "first_divisor",
                                       "lists", NULL};
    json_error_t jerr;
    *root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!*root) {
        if (jerr.line < 0) /* could not open or read: text says why */
            return err_set(TELLE_EIO, "%s", jerr.text);
        return err_set(TELLE_EFORMAT, "line %d, column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    }
    json_t *r = *root;
    if (!json_is_object(r))
        return err_set(TELLE_EINVAL, "$: expected an object, got %s",
                       json_kind(r));
    int rc = check_keys(r, "$", keys);
    if (rc < 0)
        return rc;

    const char *election = NULL;
    if ((rc = get_string(&election, r, "$", "election", false)) < 0)
        return rc;
    if (election && strcmp(election, "KS") != 0 && strcmp(election, "FT") != 0)
        return err_set(TELLE_EINVAL, "$.election: \"%s\" is neither \"KS\" nor "
                       "\"FT\"", election);
    in->ft = election && strcmp(election, "FT") == 0;

    int64_t seats = 0;
    if (in->ft && json_object_get(r, "seats"))
        return err_set(TELLE_EINVAL,
                       "$.seats: county seats are allocated by the county; "
                       "give each list's \"seats\" instead");
    if ((rc = get_int(&seats, r, "$", "seats", !in->ft, 0, 1,
                      CNT_MAX_SEATS)) < 0)
        return rc;
    in->votes.seats = (int)seats;

    in->votes.first_divisor_x10 = CNT_FIRST_DIVISOR_LAW_X10;
    json_t *fd = json_object_get(r, "first_divisor");
    if (fd) {
        if (!json_is_number(fd))
            return err_set(TELLE_EINVAL,
                           "$.first_divisor: expected a number, got %s",
                           json_kind(fd));
        double x10 = json_number_value(fd) * 10;
        if (!(x10 >= CNT_FIRST_DIVISOR_MIN_X10 - 1e-6 &&
              x10 <= CNT_FIRST_DIVISOR_MAX_X10 + 1e-6))
            return err_set(TELLE_EINVAL,
                           "$.first_divisor: %g is outside 1.0..3.0",
                           json_number_value(fd));
        int tenths = (int)(x10 + 0.5);
        if (x10 - tenths > 1e-6 || tenths - x10 > 1e-6)
            return err_set(TELLE_EINVAL,
                           "$.first_divisor: %g is not a whole number of "
                           "tenths (the law's is 1.4)",
                           json_number_value(fd));
        in->votes.first_divisor_x10 = tenths;
    }

    json_t *lists = json_object_get(r, "lists");
    if (!lists)
        return err_set(TELLE_EINVAL, "$.lists: missing");
    if (!json_is_array(lists))
        return err_set(TELLE_EINVAL, "$.lists: expected an array, got %s",
                       json_kind(lists));
    size_t n = json_array_size(lists);
    if (n < 1 || n > CNT_MAX_LISTS)
        return err_set(TELLE_EINVAL, "$.lists: %zu lists, need 1..%d", n,
                       CNT_MAX_LISTS);
    in->lists = calloc(n, sizeof *in->lists);
    in->list_seats = calloc(n, sizeof *in->list_seats);
    in->has_candidates = calloc(n, sizeof *in->has_candidates);
    in->candidates = calloc(n, sizeof *in->candidates);
    in->n_candidates = calloc(n, sizeof *in->n_candidates);
    in->votes.n_lists = n;
    in->votes.lists = in->lists;
    if (!in->lists || !in->list_seats || !in->has_candidates ||
        !in->candidates || !in->n_candidates)
        return err_set(TELLE_ENOMEM, "$.lists: out of memory");
    for (size_t i = 0; i < n; i++)
        if ((rc = parse_list(in, i, json_array_get(lists, i))) < 0)
            return rc;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->lists[i].code, in->lists[j].code) == 0)
                return err_set(TELLE_EINVAL,
                               "$.lists[%zu].code: %s repeats $.lists[%zu]", i,
                               in->lists[i].code, j);
    return 0;
}

/* ---- output ---- */

static json_t *quotient_json(const settle_input *in, cnt_quotient q)
{
    return json_pack("{s:s, s:f}", "list", in->lists[q.list].code,
                     "quotient", cnt_quotient_value(q));
}

static json_t *seat_json(const settle_input *in, int seat, cnt_quotient q)
{
    return json_pack("{s:i, s:s, s:f}", "seat", seat, "list",
                     in->lists[q.list].code, "quotient", cnt_quotient_value(q));
}

static json_t *codes_json(const settle_input *in, const size_t *idx, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(in->lists[idx[i]].code));
    return a;
}

static json_t *result_json(const settle_input *in, const cnt_seats *s,
                           cnt_ranking *const *rankings)
{
    json_t *root = json_object(), *lists = json_array(),
           *quotients = json_array(), *lots = json_array(),
           *cands = json_object();
    if (!root || !lists || !quotients || !lots || !cands)
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
        if (s)
            json_object_set_new(o, "listestemmetall",
                                json_integer(cnt_seats_listestemmetall(s, i)));
        json_object_set_new(o, "seats",
                            json_integer(s ? cnt_seats_won(s, i)
                                           : in->list_seats[i]));
        if (!in->ft)
            json_object_set_new(o, "stemmetillegg",
                                json_real((double)l->ballots / 4));
        json_array_append_new(lists, o);
    }
    json_object_set_new(root, "lists", lists);
    lists = NULL;

    if (s) {
        for (int seat = 1; seat <= cnt_seats_total(s); seat++) {
            json_t *q = seat_json(in, seat, cnt_seats_quotient(s, seat));
            if (!q)
                goto fail;
            json_array_append_new(quotients, q);
        }
        json_object_set_new(root, "quotients", quotients);
        quotients = NULL;
        json_t *next = quotient_json(in, cnt_seats_next(s));
        if (!next)
            goto fail;
        json_object_set_new(next, "tied", json_boolean(cnt_seats_next_tied(s)));
        json_object_set_new(root, "next_quotient", next);
        for (size_t i = 0; i < cnt_seats_draw_count(s); i++) {
            const cnt_draw *d = cnt_seats_draw(s, i);
            json_t *o = json_pack(
                "{s:i, s:f, s:I, s:o, s:o, s:o, s:b}", "first_seat",
                d->first_seat, "quotient", cnt_quotient_value(d->quotient),
                "listestemmetall",
                (json_int_t)cnt_seats_listestemmetall(s, d->order[0]), "tied",
                codes_json(in, d->tied, d->n_tied), "order",
                codes_json(in, d->order, d->n_tied), "awarded",
                codes_json(in, d->order, d->awarded), "decisive",
                (int)d->decisive);
            if (!o)
                goto fail;
            json_array_append_new(lots, o);
        }
    }
    if (quotients)
        json_object_set_new(root, "quotients", quotients);
    json_object_set_new(root, "lots", lots);
    quotients = lots = NULL;

    for (size_t i = 0; i < in->votes.n_lists; i++) {
        if (!rankings[i])
            continue;
        json_t *arr = json_array();
        if (!arr)
            goto fail;
        for (size_t k = 0; k < cnt_ranking_count(rankings[i]); k++) {
            const cnt_ranked *r = cnt_ranking_at(rankings[i], k);
            const cnt_candidate_votes *c = &in->candidates[i][r->candidate];
            json_t *o = json_pack(
                "{s:i, s:s?, s:f, s:I, s:I, s:f, s:i, s:b, s:b}", "no", r->no,
                "name", c->name, "stemmetillegg", r->stemmetillegg_x4 / 4.0,
                "personal_votes", (json_int_t)c->personal_votes,
                "write_ins_received", (json_int_t)c->write_ins_received,
                "total", r->total_x4 / 4.0, "rank", r->rank, "elected",
                r->outcome == CNT_ELECTED, "deputy", r->outcome == CNT_DEPUTY);
            if (!o) {
                json_decref(arr);
                goto fail;
            }
            if (r->outcome == CNT_DEPUTY)
                json_object_set_new(o, "deputy_rank",
                                    json_integer(r->deputy_no));
            if (in->ft)
                json_object_set_new(o, "ranked_by_votes",
                                    json_boolean(r->by_votes));
            json_array_append_new(arr, o);
        }
        json_object_set_new(cands, in->lists[i].code, arr);
    }
    json_object_set_new(root, "candidates", cands);
    return root;

fail:
    json_decref(lists);
    json_decref(quotients);
    json_decref(lots);
    json_decref(cands);
    json_decref(root);
    return NULL;
}

static void print_tables(const settle_input *in, const cnt_seats *s,
                         cnt_ranking *const *rankings)
{
    char q[CNT_QUOTIENT_TEXT], v[CNT_VOTES_TEXT];
    if (s)
        printf("Seat allocation: %d seats, first divisor %d.%d, seed %" PRIu64
               "\n\n",
               cnt_seats_total(s), in->votes.first_divisor_x10 / 10,
               in->votes.first_divisor_x10 % 10, cnt_seats_seed(s));
    else
        printf("County election (FT): seats as given, candidate ranking "
               "only\n\n");
    printf("%-8s %9s %9s %9s %15s %5s %13s\n", "list", "ballots", "received",
           "given", "listestemmetall", "seats", "stemmetillegg");
    for (size_t i = 0; i < in->votes.n_lists; i++) {
        const cnt_list_votes *l = &in->lists[i];
        char lst[24] = "-";
        if (s)
            snprintf(lst, sizeof lst, "%" PRId64,
                     cnt_seats_listestemmetall(s, i));
        cnt_votes_format(v, in->ft ? 0 : l->ballots);
        printf("%-8s %9" PRId64 " %9" PRId64 " %9" PRId64 " %15s %5d %13s\n",
               l->code, l->ballots, l->write_ins_received, l->write_ins_given,
               lst, s ? cnt_seats_won(s, i) : in->list_seats[i],
               in->ft ? "-" : v);
    }
    if (s) {
        printf("\n%4s  %-8s %18s\n", "seat", "list", "quotient");
        for (int seat = 1; seat <= cnt_seats_total(s); seat++) {
            cnt_quotient qu = cnt_seats_quotient(s, seat);
            cnt_quotient_format(q, qu);
            printf("%4d  %-8s %18s\n", seat, in->lists[qu.list].code, q);
        }
        cnt_quotient nx = cnt_seats_next(s);
        cnt_quotient_format(q, nx);
        printf("%4s  %-8s %18s%s\n", "next", in->lists[nx.list].code, q,
               cnt_seats_next_tied(s) ? "  (tied, not drawn)" : "");
        for (size_t i = 0; i < cnt_seats_draw_count(s); i++) {
            const cnt_draw *d = cnt_seats_draw(s, i);
            if (i == 0)
                printf("\nDrawing of lots (seed %" PRIu64 "):\n",
                       cnt_seats_seed(s));
            cnt_quotient_format(q, d->quotient);
            printf("  seat %d: tied at %s, listestemmetall %" PRId64 ":",
                   d->first_seat, q,
                   cnt_seats_listestemmetall(s, d->order[0]));
            for (size_t k = 0; k < d->n_tied; k++)
                printf(" %s", in->lists[d->tied[k]].code);
            printf("; drawn order:");
            for (size_t k = 0; k < d->n_tied; k++)
                printf(" %s", in->lists[d->order[k]].code);
            printf("; %zu seat%s awarded%s\n", d->awarded,
                   d->awarded == 1 ? "" : "s",
                   d->decisive ? " (the draw decided who got a seat)" : "");
        }
    }
    for (size_t i = 0; i < in->votes.n_lists; i++) {
        if (!rankings[i])
            continue;
        int seats = s ? cnt_seats_won(s, i) : in->list_seats[i];
        printf("\nCandidates, %s (%d seat%s)\n", in->lists[i].code, seats,
               seats == 1 ? "" : "s");
        printf("%4s %4s  %-28s %13s %8s %9s %9s  %s\n", "rank", "no", "name",
               "stemmetillegg", "personal", "write-ins", "total", "outcome");
        for (size_t k = 0; k < cnt_ranking_count(rankings[i]); k++) {
            const cnt_ranked *r = cnt_ranking_at(rankings[i], k);
            const cnt_candidate_votes *c = &in->candidates[i][r->candidate];
            char st[CNT_VOTES_TEXT], out[32] = "";
            cnt_votes_format(st, r->stemmetillegg_x4);
            cnt_votes_format(v, r->total_x4);
            if (r->outcome == CNT_ELECTED)
                snprintf(out, sizeof out, "elected");
            else if (r->outcome == CNT_DEPUTY)
                snprintf(out, sizeof out, "deputy %d", r->deputy_no);
            if (in->ft && !r->by_votes)
                strncat(out, out[0] ? " (list order)" : "(list order)",
                        sizeof out - strlen(out) - 1);
            printf("%4d %4d  %-28.28s %13s %8" PRId64 " %9" PRId64
                   " %9s  %s\n",
                   r->rank, r->no, c->name ? c->name : "", st,
                   c->personal_votes, c->write_ins_received, v, out);
        }
    }
}

int cmd_settle(int argc, char **argv)
{
    const char *file = NULL;
    bool as_json = false, seed_given = false;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--counts") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            const char *arg = argv[++i];
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(arg, &end, 10);
            /* JSON integers are signed 64-bit: keep the seed printable. */
            if (errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' ||
                n > INT64_MAX) {
                fprintf(stderr, "telle settle: --seed: '%s' is not a whole "
                                "number 0..%" PRId64 "\n", arg, INT64_MAX);
                return 2;
            }
            seed = n;
            seed_given = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle settle: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "telle settle: --counts FILE is required (reading "
                        "committed counts from a store comes later)\n");
        usage(stderr);
        return 2;
    }

    int status = 1;
    settle_input in = {0};
    json_t *root = NULL, *result = NULL;
    cnt_seats *seats = NULL;
    cnt_ranking **rankings = NULL;

    if (parse_counts(&in, &root, file) < 0)
        goto fail;
    in.votes.seed = seed;
    if (!in.ft && cnt_seats_allocate(&seats, &in.votes) < 0) {
        err_prefix("$.");
        goto fail;
    }
    rankings = calloc(in.votes.n_lists, sizeof *rankings);
    if (!rankings) {
        err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < in.votes.n_lists; i++) {
        if (!in.has_candidates[i])
            continue;
        cnt_list_candidates lc = {
            .code = in.lists[i].code,
            .rule = in.ft ? CNT_RULE_FT : CNT_RULE_KS,
            .ballots = in.lists[i].ballots,
            .seats = seats ? cnt_seats_won(seats, i) : in.list_seats[i],
            .candidates = in.candidates[i],
            .n_candidates = in.n_candidates[i],
        };
        if (cnt_ranking_compute(&rankings[i], &lc) < 0) {
            err_prefix("$.lists[%zu].", i);
            goto fail;
        }
    }

    if (seats && cnt_seats_draw_count(seats) > 0 && !seed_given)
        fprintf(stderr,
                "telle settle: lots were drawn with the default seed 0; "
                "give --seed N to use and record another\n");
    if (as_json) {
        result = result_json(&in, seats, rankings);
        if (!result || json_dumpf(result, stdout, JSON_INDENT(2) |
                                  JSON_REAL_PRECISION(15)) < 0) {
            err_set(TELLE_ENOMEM, "cannot write the JSON result");
            goto fail;
        }
        putchar('\n');
    } else {
        print_tables(&in, seats, rankings);
    }
    status = 0;
    goto done;

fail:
    fprintf(stderr, "telle settle: %s: %s\n", file, err_message());
done:
    if (rankings)
        for (size_t i = 0; i < in.votes.n_lists; i++)
            cnt_ranking_free(rankings[i]);
    free(rankings);
    cnt_seats_free(seats);
    json_decref(result);
    input_free(&in);
    json_decref(root);
    return status;
}
