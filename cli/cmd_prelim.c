/* cmd_prelim.c - `telle prelim`: the preliminary count (done by hand)
 * per election, counting category and krets, and the written explanation
 * of each difference from the final count. Both are events in the store
 * ("prelim", "difference_explanation"; store/README.md); the counts
 * document (count/README.md) compares them with the committed counts.
 *
 *   telle prelim          enter (or replace) a preliminary count
 *   telle prelim explain  explain a difference for one list or blank
 *   telle prelim show     every preliminary count and explanation entered
 *
 *   cmd_prelim
 */
#include "cli/commands.h"
#include "cli/counts_db.h"
#include "cli/password.h"

#include "core/error.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The same cap as the counts document's: no krets counts more by hand. */
#define PRELIM_MAX 100000000L

enum { MAX_LISTS = 64 };

typedef struct {
    const char *db, *as, *election, *category, *krets, *text, *list;
    const char *list_args[MAX_LISTS];
    int n_list_args;
    long blank, doubtful; /* -1: not given */
    bool rest_zero;
} options;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle prelim --db FILE --as NAME --election ID --category FO|FS|VO|VS|VB\n"
            "                    --krets K --list CODE=N ... --blank N --doubtful N [--rest-zero]\n"
            "       telle prelim explain --db FILE --as NAME --election ID --category C\n"
            "                    --krets K --list CODE|blank --text \"...\"\n"
            "       telle prelim show --db FILE [--election ID]\n"
            "  Enters the preliminary (hand) count of one counting category and krets:\n"
            "  approved ballots per list, blank and doubtful. Every list of the election\n"
            "  must be given; --rest-zero counts the lists, blank and doubtful not given\n"
            "  as 0 (and says which). A later count for the same krets replaces the\n"
            "  earlier one. `explain` records why the final count differs for a list.\n"
            "  Operators and secretaries may enter counts, auditors may not. The\n"
            "  password is read from $TELLE_PASSWORD or asked for.\n");
}

static int parse_count(long *out, const char *s, const char *what)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > PRELIM_MAX) {
        fprintf(stderr, "telle prelim: %s: '%s' is not a count (a whole number 0..%ld)\n",
                what, s, PRELIM_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

static bool krets_ok(const char *k)
{
    if (k == NULL || k[0] == '\0' || strlen(k) > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p < 0x21 || *p == 0x7f || *p == '/')
            return false;
    return true;
}

/* The election object of the stored package (owned by *root). */
static int election_load(json_t **root, const json_t **el, st_db *db, const char *id)
{
    char *text = NULL;
    *root = NULL;
    *el = NULL;
    if (st_package_get(&text, NULL, db) < 0) {
        fprintf(stderr, "telle prelim: %s\n", err_message());
        return -1;
    }
    json_error_t jerr;
    *root = json_loads(text, 0, &jerr);
    free(text);
    if (*root == NULL) {
        fprintf(stderr, "telle prelim: the stored election.json does not parse: %s\n",
                jerr.text);
        return -1;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(*root, "elections"), i, e)
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
            *el = e;
    if (*el == NULL) {
        fprintf(stderr, "telle prelim: no election %s in the package (", id);
        json_array_foreach(json_object_get(*root, "elections"), i, e)
            fprintf(stderr, "%s%s", i ? ", " : "", json_string_value(json_object_get(e, "id")));
        fprintf(stderr, ")\n");
        return -1;
    }
    return 0;
}

/* The code of the election's list called code, case-insensitively; NULL. */
static const char *list_code(const json_t *el, const char *code)
{
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *c = json_string_value(json_object_get(l, "code"));
        if (c != NULL && strcasecmp(c, code) == 0)
            return c;
    }
    return NULL;
}

/* Operators and secretaries enter counts; auditors only read. */
static int login_writer(st_db *db, const char *as)
{
    st_role role;
    if (cli_login(&role, db, as, "telle prelim") < 0)
        return -1;
    if (role == ST_ROLE_AUDITOR) {
        fprintf(stderr, "telle prelim: %s is an auditor; auditors cannot enter counts\n", as);
        return -1;
    }
    return 0;
}

static int append(int64_t *seq, st_db *db, const char *actor, const char *kind,
                  const char *subject, const json_t *payload)
{
    if (st_tx_begin(db) < 0 ||
        st_event_append_json(db, seq, actor, kind, subject, payload) < 0 ||
        st_tx_commit(db) < 0) {
        fprintf(stderr, "telle prelim: %s\n", err_message());
        st_tx_rollback(db);
        return -1;
    }
    return 0;
}

typedef struct {
    const char *subject;
    int64_t last_prelim;
} find_ctx;

static int find_prelim(const st_event *ev, void *ctx)
{
    find_ctx *f = ctx;
    if (strcmp(ev->kind, "prelim") == 0 && strcmp(ev->subject, f->subject) == 0)
        f->last_prelim = ev->seq;
    return 0;
}

/* The count of (election, category, krets) in the counts document, NULL. */
static const json_t *count_find(const json_t *doc, const char *election,
                                const char *category, const char *krets)
{
    size_t i, j;
    const json_t *e, *c;
    json_array_foreach(json_object_get(doc, "elections"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "id")), election) != 0)
            continue;
        json_array_foreach(json_object_get(e, "counts"), j, c)
            if (strcmp(json_string_value(json_object_get(c, "category")), category) == 0 &&
                strcmp(json_string_value(json_object_get(c, "krets")), krets) == 0)
                return c;
    }
    return NULL;
}

/* After a change: the differences of that krets as they now stand. */
static void print_differences(st_db *db, const options *o)
{
    json_t *doc = NULL;
    if (counts_from_db(&doc, db) < 0) {
        fprintf(stderr, "telle prelim: the counts cannot be built: %s\n", err_message());
        return;
    }
    const json_t *c = count_find(doc, o->election, o->category, o->krets);
    if (c == NULL || json_array_size(json_object_get(c, "batches")) == 0)
        printf("no committed batch of %s %s krets %s yet: every difference stays open "
               "until one is committed\n", o->election, o->category, o->krets);
    size_t i;
    const json_t *d;
    int unexplained = 0;
    if (c != NULL) {
        printf("%-8s %8s %8s %6s  %s\n", "list", "final", "prelim", "diff", "explanation");
        json_array_foreach(json_object_get(c, "differences"), i, d) {
            const json_t *ex = json_object_get(d, "explanation");
            json_int_t diff = json_integer_value(json_object_get(d, "difference"));
            if (diff != 0 && !json_is_string(ex))
                unexplained++;
            char ds[32];
            snprintf(ds, sizeof ds, diff != 0 ? "%+" JSON_INTEGER_FORMAT : "0", diff);
            printf("%-8s %8" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT " %6s  %s\n",
                   json_string_value(json_object_get(d, "list")),
                   json_integer_value(json_object_get(d, "final")),
                   json_integer_value(json_object_get(d, "prelim")), ds,
                   json_is_string(ex) ? json_string_value(ex)
                                      : diff != 0 ? "UNEXPLAINED" : "");
        }
        printf("%d unexplained difference%s in %s %s krets %s\n", unexplained,
               unexplained == 1 ? "" : "s", o->election, o->category, o->krets);
    }
    json_decref(doc);
}

static int prelim_enter(st_db *db, const options *o, const json_t *el)
{
    json_t *lists = json_object(), *payload = NULL;
    int rc = -1;
    char subject[256];
    for (int i = 0; i < o->n_list_args; i++) {
        const char *arg = o->list_args[i], *eq = strchr(arg, '=');
        char code[64];
        if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof code) {
            fprintf(stderr, "telle prelim: --list '%s': write CODE=N, e.g. AP=4\n", arg);
            goto done;
        }
        memcpy(code, arg, (size_t)(eq - arg));
        code[eq - arg] = '\0';
        const char *c = list_code(el, code);
        if (c == NULL) {
            fprintf(stderr, "telle prelim: --list %s: %s is not a list of %s\n", arg, code,
                    o->election);
            goto done;
        }
        if (json_object_get(lists, c) != NULL) {
            fprintf(stderr, "telle prelim: list %s given twice\n", c);
            goto done;
        }
        long n;
        if (parse_count(&n, eq + 1, c) < 0)
            goto done;
        json_object_set_new(lists, c, json_integer(n));
    }
    /* A list not given is never silently 0: name them, unless told. */
    char missing[512] = "";
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *c = json_string_value(json_object_get(l, "code"));
        if (json_object_get(lists, c) != NULL)
            continue;
        if (strlen(missing) + strlen(c) + 3 < sizeof missing)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                     missing[0] ? ", " : "", c);
        json_object_set_new(lists, c, json_integer(0));
    }
    bool no_blank = o->blank < 0, no_doubtful = o->doubtful < 0;
    if (no_blank)
        snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%sblank",
                 missing[0] ? ", " : "");
    if (no_doubtful)
        snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%sdoubtful",
                 missing[0] ? ", " : "");
    if (missing[0] && !o->rest_zero) {
        fprintf(stderr, "telle prelim: no count given for %s: give --list CODE=N for every "
                "list of %s, --blank N and --doubtful N, or --rest-zero to count what is "
                "not given as 0\n", missing, o->election);
        rc = -2;
        goto done;
    }
    if (login_writer(db, o->as) < 0)
        goto done;
    if (missing[0])
        printf("counted as 0 (--rest-zero): %s\n", missing);
    snprintf(subject, sizeof subject, "%s/%s/%s", o->election, o->category, o->krets);
    find_ctx f = {subject, 0};
    if (st_event_read(db, 1, subject, find_prelim, &f) < 0) {
        fprintf(stderr, "telle prelim: %s\n", err_message());
        goto done;
    }
    payload = json_pack("{s:s, s:s, s:s, s:O, s:i, s:i}", "election", o->election,
                        "category", o->category, "krets", o->krets, "lists", lists,
                        "blank", (int)(no_blank ? 0 : o->blank), "doubtful",
                        (int)(no_doubtful ? 0 : o->doubtful));
    int64_t seq = 0;
    if (payload == NULL || append(&seq, db, o->as, "prelim", subject, payload) < 0)
        goto done;
    printf("preliminary count of %s entered (event %" PRId64 ")", subject, seq);
    if (f.last_prelim > 0)
        printf(", replacing event %" PRId64, f.last_prelim);
    printf("\n");
    print_differences(db, o);
    rc = 0;
done:
    json_decref(payload);
    json_decref(lists);
    return rc;
}

static int prelim_explain(st_db *db, const options *o, const json_t *el)
{
    const char *list = NULL;
    if (o->list == NULL || o->text == NULL || o->text[0] == '\0') {
        fprintf(stderr, "telle prelim explain: give --list CODE|blank and --text \"...\"\n");
        return -2;
    }
    list = strcasecmp(o->list, "blank") == 0 ? "blank" : list_code(el, o->list);
    if (list == NULL) {
        fprintf(stderr, "telle prelim explain: %s is not a list of %s, nor blank\n", o->list,
                o->election);
        return -1;
    }
    if (login_writer(db, o->as) < 0)
        return -1;
    char subject[256];
    snprintf(subject, sizeof subject, "%s/%s/%s", o->election, o->category, o->krets);
    find_ctx f = {subject, 0};
    if (st_event_read(db, 1, subject, find_prelim, &f) < 0) {
        fprintf(stderr, "telle prelim: %s\n", err_message());
        return -1;
    }
    if (f.last_prelim == 0) {
        fprintf(stderr, "telle prelim explain: no preliminary count of %s entered; there "
                "is no difference to explain yet\n", subject);
        return -1;
    }
    json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s}", "election", o->election,
                                "category", o->category, "krets", o->krets, "list", list,
                                "text", o->text);
    int64_t seq = 0;
    int rc = payload != NULL ? append(&seq, db, o->as, "difference_explanation", subject,
                                      payload)
                             : -1;
    json_decref(payload);
    if (rc < 0)
        return -1;
    printf("explanation of %s %s recorded (event %" PRId64 ")\n", subject, list, seq);
    print_differences(db, o);
    return 0;
}

typedef struct {
    const char *election;
    int n;
} show_ctx;

static int show_event(const st_event *ev, void *ctx)
{
    show_ctx *s = ctx;
    bool pre = strcmp(ev->kind, "prelim") == 0;
    if (!pre && strcmp(ev->kind, "difference_explanation") != 0)
        return 0;
    json_t *p = json_loads(ev->payload, 0, NULL);
    const char *el = json_string_value(json_object_get(p, "election"));
    if (s->election == NULL || (el != NULL && strcmp(el, s->election) == 0)) {
        s->n++;
        printf("%6" PRId64 "  %s  %-10s %-14s ", ev->seq, ev->time, ev->actor, ev->subject);
        if (pre) {
            printf("prelim:");
            const char *code;
            json_t *v;
            json_object_foreach(json_object_get(p, "lists"), code, v)
                printf(" %s %" JSON_INTEGER_FORMAT, code, json_integer_value(v));
            printf(", blank %" JSON_INTEGER_FORMAT ", doubtful %" JSON_INTEGER_FORMAT "\n",
                   json_integer_value(json_object_get(p, "blank")),
                   json_integer_value(json_object_get(p, "doubtful")));
        } else {
            printf("explains %s: %s\n", json_string_value(json_object_get(p, "list")),
                   json_string_value(json_object_get(p, "text")));
        }
    }
    json_decref(p);
    return 0;
}

static int prelim_show(st_db *db, const options *o)
{
    show_ctx s = {o->election, 0};
    if (st_event_read(db, 1, NULL, show_event, &s) < 0) {
        fprintf(stderr, "telle prelim: %s\n", err_message());
        return -1;
    }
    if (s.n == 0)
        printf("no preliminary count entered%s%s\n", o->election ? " for " : "",
               o->election ? o->election : "");
    json_t *doc = NULL;
    if (counts_from_db(&doc, db) < 0) {
        fprintf(stderr, "telle prelim: the counts cannot be built: %s\n", err_message());
        return -1;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(doc, "elections"), i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        if (o->election != NULL && strcmp(id, o->election) != 0)
            continue;
        printf("%s: %" JSON_INTEGER_FORMAT " unexplained difference%s (telle count shows "
               "them)\n", id,
               json_integer_value(json_object_get(e, "unexplained_differences")),
               json_integer_value(json_object_get(e, "unexplained_differences")) == 1 ? ""
                                                                                      : "s");
    }
    json_decref(doc);
    return 0;
}

int cmd_prelim(int argc, char **argv)
{
    options o = {.db = "telle.db", .blank = -1, .doubtful = -1};
    const char *sub = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && has)
            o.db = argv[++i];
        else if (strcmp(a, "--as") == 0 && has)
            o.as = argv[++i];
        else if (strcmp(a, "--election") == 0 && has)
            o.election = argv[++i];
        else if (strcmp(a, "--category") == 0 && has)
            o.category = argv[++i];
        else if (strcmp(a, "--krets") == 0 && has)
            o.krets = argv[++i];
        else if (strcmp(a, "--text") == 0 && has)
            o.text = argv[++i];
        else if (strcmp(a, "--list") == 0 && has) {
            if (o.n_list_args == MAX_LISTS) {
                fprintf(stderr, "telle prelim: more than %d --list\n", MAX_LISTS);
                return 2;
            }
            o.list = argv[i + 1];
            o.list_args[o.n_list_args++] = argv[++i];
        } else if ((strcmp(a, "--blank") == 0 || strcmp(a, "--doubtful") == 0) && has) {
            if (parse_count(strcmp(a, "--blank") == 0 ? &o.blank : &o.doubtful, argv[++i],
                            a + 2) < 0)
                return 2;
        } else if (strcmp(a, "--rest-zero") == 0)
            o.rest_zero = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] != '-' && sub == NULL && i == 1)
            sub = a;
        else {
            fprintf(stderr, "telle prelim: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    bool show = sub != NULL && strcmp(sub, "show") == 0;
    bool explain = sub != NULL && strcmp(sub, "explain") == 0;
    if (sub != NULL && !show && !explain) {
        fprintf(stderr, "telle prelim: unknown subcommand '%s'\n", sub);
        usage(stderr);
        return 2;
    }
    if (!show) {
        if (o.election == NULL || o.category == NULL || o.krets == NULL) {
            fprintf(stderr, "telle prelim: give --election, --category and --krets\n");
            usage(stderr);
            return 2;
        }
        if (!st_category_valid(o.category)) {
            fprintf(stderr, "telle prelim: category %s is not one of FO FS VO VS VB\n",
                    o.category);
            return 2;
        }
        if (!krets_ok(o.krets)) {
            fprintf(stderr, "telle prelim: krets '%s' is not a krets number\n", o.krets);
            return 2;
        }
        if (explain && o.n_list_args > 1) {
            fprintf(stderr, "telle prelim explain: one --list per explanation\n");
            return 2;
        }
    }
    st_db *db = NULL;
    json_t *root = NULL;
    const json_t *el = NULL;
    int rc = -1;
    if (st_db_open(&db, o.db, 0) < 0) {
        fprintf(stderr, "telle prelim: %s\n", err_message());
        goto done;
    }
    if (show) {
        rc = prelim_show(db, &o);
        goto done;
    }
    if (election_load(&root, &el, db, o.election) < 0)
        goto done;
    rc = explain ? prelim_explain(db, &o, el) : prelim_enter(db, &o, el);
done:
    json_decref(root);
    st_db_close(db);
    return rc == 0 ? 0 : rc == -2 ? 2 : 1;
}
