/* cmd_settle.c - `telle settle (--counts FILE | --db FILE --election ID)
 * [--package DIR] [--json] [--seed N]`: the seat allocation and the
 * candidate ranking (chapter E of the protocol) from final counts, without
 * scanning. With --db the committed counts of a store are used (its counts
 * document, cli/counts_source.h); with --counts either a counts document
 * (telle-counts/1, needs --election; --package DIR gives the candidates) or,
 * for checking a published protocol, a settle file:
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
 * The settle file is parsed here into count/'s cnt_settle_input; a counts
 * document is converted by cnt_settle_input_from_counts, the same code the
 * protocol uses, so both print the same chapter E. */
#include "cli/commands.h"

#include "cli/counts_source.h"
#include "core/error.h"
#include "count/ranking.h"
#include "count/seats.h"
#include "count/settle_input.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PATH_MAX_LEN = 160 };

typedef cnt_settle_input settle_input;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle settle --counts FILE [--election ID] [--package DIR]\n"
            "                    [--json] [--seed N]\n"
            "       telle settle --db FILE --election ID [--json] [--seed N]\n"
            "  Seat allocation (modified Sainte-Lagu\xc3\xab, every quotient) and\n"
            "  candidate ranking from final counts: a settle file or a counts\n"
            "  document (--counts, see count/README.md) or the committed counts\n"
            "  of a store (--db). --election picks the election of a counts\n"
            "  document; --package DIR gives its candidates (a store has its\n"
            "  own). --json prints JSON instead of tables.\n"
            "  --seed N (0..2^63-1) starts the drawing of lots, used only when\n"
            "  lists are equal in quotient and listestemmetall (default 0);\n"
            "  the seed and every draw are printed.\n");
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
static int parse_settle_file(settle_input *in, json_t *r);

/* Reads a settle file (the format above) into *out; strings point into r,
 * which the input holds. */
static int parse_counts(settle_input **out, json_t *r)
{
    static const char *const keys[] = {"election", "seats", "first_divisor",
                                       "lists", NULL};
    *out = NULL;
    if (!json_is_object(r))
        return err_set(TELLE_EINVAL, "$: expected an object, got %s",
                       json_kind(r));
    int rc = check_keys(r, "$", keys);
    if (rc < 0)
        return rc;
    json_t *lists = json_object_get(r, "lists");
    if (!lists)
        return err_set(TELLE_EINVAL, "$.lists: missing");
    if (!json_is_array(lists))
        return err_set(TELLE_EINVAL, "$.lists: expected an array, got %s",
                       json_kind(lists));
    /* A count out of range is reported after the fields before it. */
    size_t n = json_array_size(lists);
    if ((rc = cnt_settle_input_new(out, n >= 1 && n <= CNT_MAX_LISTS ? n
                                                                     : 1)) < 0)
        return err_prefix("$.");
    (*out)->held = json_incref(r);
    return parse_settle_file(*out, r);
}

static int parse_settle_file(settle_input *in, json_t *r)
{
    int rc;

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
    size_t n = json_array_size(lists);
    if (n < 1 || n > CNT_MAX_LISTS)
        return err_set(TELLE_EINVAL, "$.lists: %zu lists, need 1..%d", n,
                       CNT_MAX_LISTS);
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

static void print_tables(const settle_input *in, const cnt_settlement *st)
{
    const cnt_seats *s = st->seats;
    cnt_ranking *const *rankings = st->rankings;
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

/* Reads --seed's argument; prints and returns false when it is bad. */
static bool parse_seed(uint64_t *seed, const char *arg)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(arg, &end, 10);
    /* JSON integers are signed 64-bit: keep the seed printable. */
    if (errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' ||
        n > INT64_MAX) {
        fprintf(stderr, "telle settle: --seed: '%s' is not a whole "
                        "number 0..%" PRId64 "\n", arg, INT64_MAX);
        return false;
    }
    *seed = n;
    return true;
}

int cmd_settle(int argc, char **argv)
{
    const char *file = NULL, *db = NULL, *election = NULL, *package_dir = NULL;
    bool as_json = false, seed_given = false;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--counts") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (strcmp(argv[i], "--election") == 0 && i + 1 < argc) {
            election = argv[++i];
        } else if (strcmp(argv[i], "--package") == 0 && i + 1 < argc) {
            package_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_seed(&seed, argv[++i]))
                return 2;
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
    if (!file == !db) {
        fprintf(stderr, "telle settle: give one of --counts FILE and --db "
                        "FILE\n");
        usage(stderr);
        return 2;
    }
    if (db && !election) {
        fprintf(stderr, "telle settle: --db needs --election ID (e.g. KS)\n");
        return 2;
    }

    int status = 1;
    const char *source = db ? db : file;
    settle_input *in = NULL;
    json_t *root = NULL, *package = NULL, *result = NULL;
    cnt_settlement *st = NULL;

    if (cli_counts_load(&root, &package, db, file, package_dir) < 0)
        goto fail;
    /* A counts document (telle-counts/1, from `telle count` or a store)
     * or a settle file (the format above). */
    if (json_object_get(root, "format")) {
        if (!election) {
            err_set(TELLE_EINVAL, "a counts document needs --election ID");
            goto fail;
        }
        if (cnt_settle_input_from_counts(&in, root, election, package) < 0)
            goto fail;
        if (in->ft) {
            err_set(TELLE_EINVAL, "%s is a county election: its seats are "
                    "allocated by the county, not here", election);
            goto fail;
        }
    } else if (parse_counts(&in, root) < 0) {
        goto fail;
    }
    if (cnt_settle_compute(&st, in, seed) < 0) {
        if (!json_object_get(root, "format"))
            err_prefix("$.");
        goto fail;
    }

    if (st->seats && cnt_seats_draw_count(st->seats) > 0 && !seed_given)
        fprintf(stderr,
                "telle settle: lots were drawn with the default seed 0; "
                "give --seed N to use and record another\n");
    if (as_json) {
        result = cnt_settle_json(in, st);
        if (!result || json_dumpf(result, stdout, JSON_INDENT(2) |
                                  JSON_REAL_PRECISION(15)) < 0) {
            err_set(TELLE_ENOMEM, "cannot write the JSON result");
            goto fail;
        }
        putchar('\n');
    } else {
        print_tables(in, st);
    }
    status = 0;
    goto done;

fail:
    fprintf(stderr, "telle settle: %s: %s\n", source, err_message());
done:
    cnt_settlement_free(st);
    json_decref(result);
    cnt_settle_input_free(in);
    json_decref(package);
    json_decref(root);
    return status;
}
