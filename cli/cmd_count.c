/* cmd_count.c - `telle count`: the committed counts of a store per
 * election, counting category and krets, with the preliminary counts and
 * their differences, as readable tables or as the counts document
 * (count/README.md) with --json.
 *
 *   cmd_count
 */
#include "cli/commands.h"
#include "cli/counts_db.h"

#include "core/error.h"
#include "count/counts.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle count [--db FILE] [--election ID] [--json]\n"
            "  The committed counts per counting category and krets: ballots\n"
            "  counted, approved, blank, rejected by ground, approved per list,\n"
            "  and the difference from the preliminary count (telle prelim) with\n"
            "  its explanation, or UNEXPLAINED. Open batches are not counted and\n"
            "  are named. --json prints the counts document (telle-counts/1).\n");
}

static json_int_t ival(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* D1.1/D1.2 and D1.3/D1.4 of one count (or of the totals: diffs NULL). */
static void print_tally(const json_t *t, const json_t *lists, const json_t *diffs)
{
    const json_t *g = json_object_get(t, "rejected_by_ground");
    printf("  ballots counted %8" JSON_INTEGER_FORMAT "\n", ival(t, "ballots"));
    printf("  approved        %8" JSON_INTEGER_FORMAT "\n", ival(t, "approved"));
    printf("  blank           %8" JSON_INTEGER_FORMAT "\n", ival(t, "blank"));
    printf("  rejected        %8" JSON_INTEGER_FORMAT "   a) %" JSON_INTEGER_FORMAT
           "  b) %" JSON_INTEGER_FORMAT "  c) %" JSON_INTEGER_FORMAT "  d) %"
           JSON_INTEGER_FORMAT "\n", ival(t, "rejected"), ival(g, "a"), ival(g, "b"),
           ival(g, "c"), ival(g, "d"));
    if (diffs == NULL || json_array_size(diffs) == 0) {
        printf("  %-8s %8s %10s %10s\n", "list", "approved", "wi given", "wi recv");
        size_t i;
        const json_t *l;
        json_array_foreach(lists, i, l) {
            const char *code = json_string_value(json_object_get(l, "code"));
            const json_t *lt = json_object_get(json_object_get(t, "lists"), code);
            json_int_t recv = 0;
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(lt, "write_ins_received"), k, v)
                recv += json_integer_value(v);
            printf("  %-8s %8" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT " %10"
                   JSON_INTEGER_FORMAT "\n", code, ival(lt, "approved"),
                   ival(lt, "write_ins_given"), recv);
        }
        if (diffs != NULL)
            printf("  no preliminary count entered (telle prelim)\n");
        return;
    }
    printf("  %-8s %8s %8s %6s  %s\n", "list", "final", "prelim", "diff", "explanation");
    size_t i;
    const json_t *d;
    json_array_foreach(diffs, i, d) {
        const json_t *ex = json_object_get(d, "explanation");
        json_int_t diff = ival(d, "difference");
        char ds[32];
        snprintf(ds, sizeof ds, diff != 0 ? "%+" JSON_INTEGER_FORMAT : "0", diff);
        printf("  %-8s %8" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT " %6s  %s\n",
               json_string_value(json_object_get(d, "list")), ival(d, "final"),
               ival(d, "prelim"), ds,
               json_is_string(ex) ? json_string_value(ex)
                                  : diff != 0 ? "UNEXPLAINED" : "");
    }
}

static void print_election(const json_t *e)
{
    const json_t *open = json_object_get(e, "open_batches");
    const json_t *lists = json_object_get(e, "lists");
    printf("%s  %s\n", json_string_value(json_object_get(e, "id")),
           json_string_value(json_object_get(e, "name")));
    if (json_is_true(json_object_get(e, "final")))
        printf("every batch committed\n");
    else if (json_array_size(open) == 0)
        printf("NOT FINAL: no batch yet\n");
    else {
        printf("NOT FINAL: %zu batch%s open:", json_array_size(open),
               json_array_size(open) == 1 ? "" : "es");
        size_t i;
        const json_t *b;
        json_array_foreach(open, i, b)
            printf(" %s", json_string_value(b));
        printf("\n");
    }
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(e, "counts"), i, c) {
        printf("\n%s krets %s  batches:", json_string_value(json_object_get(c, "category")),
               json_string_value(json_object_get(c, "krets")));
        size_t j;
        const json_t *b;
        json_array_foreach(json_object_get(c, "batches"), j, b)
            printf(" %s", json_string_value(b));
        if (json_array_size(json_object_get(c, "batches")) == 0)
            printf(" none committed");
        printf("\n");
        print_tally(c, lists, json_object_get(c, "differences"));
        const json_t *pre = json_object_get(c, "prelim");
        if (json_is_object(pre))
            printf("  prelim: doubtful %" JSON_INTEGER_FORMAT ", entered by %s (event %"
                   JSON_INTEGER_FORMAT ", %s)\n", ival(pre, "doubtful"),
                   json_string_value(json_object_get(pre, "by")), ival(pre, "seq"),
                   json_string_value(json_object_get(pre, "time")));
        const json_t *r;
        json_array_foreach(json_object_get(c, "remarks"), j, r) {
            const char *by = json_string_value(json_object_get(r, "by"));
            printf("  remark %s %s%s%s%s: %s\n",
                   json_string_value(json_object_get(r, "batch")),
                   json_string_value(json_object_get(r, "sheet")), by ? " (" : "",
                   by ? by : "", by ? ")" : "",
                   json_string_value(json_object_get(r, "text")));
        }
    }
    printf("\n%s total\n", json_string_value(json_object_get(e, "id")));
    print_tally(json_object_get(e, "totals"), lists, NULL);
    printf("  unexplained differences: %" JSON_INTEGER_FORMAT "\n",
           ival(e, "unexplained_differences"));
    printf("  spot checks recorded: %zu\n\n",
           json_array_size(json_object_get(e, "spotchecks")));
}

int cmd_count(int argc, char **argv)
{
    const char *db_path = "telle.db", *election = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_path = argv[++i];
        else if (strcmp(argv[i], "--election") == 0 && i + 1 < argc)
            election = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle count: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    st_db *db = NULL;
    json_t *doc = NULL;
    char *text = NULL;
    int status = 1;
    if (st_db_open(&db, db_path, 0) < 0 || counts_from_db(&doc, db) < 0) {
        fprintf(stderr, "telle count: %s\n", err_message());
        goto done;
    }
    json_t *els = json_object_get(doc, "elections");
    if (election != NULL) {
        size_t i;
        json_t *e, *keep = NULL;
        json_array_foreach(els, i, e)
            if (strcmp(json_string_value(json_object_get(e, "id")), election) == 0)
                keep = e;
        if (keep == NULL) {
            fprintf(stderr, "telle count: no election %s in the package\n", election);
            goto done;
        }
        json_t *only = json_pack("[O]", keep);
        if (only == NULL || json_object_set_new(doc, "elections", only) < 0) {
            fprintf(stderr, "telle count: out of memory\n");
            goto done;
        }
        els = only;
    }
    if (as_json) {
        if ((text = cnt_counts_dumps(doc)) == NULL) {
            fprintf(stderr, "telle count: out of memory\n");
            goto done;
        }
        fputs(text, stdout);
    } else {
        printf("%s, %s %s\npackage sha256 %s\n\n",
               json_string_value(json_object_get(doc, "event")),
               json_string_value(json_object_get(json_object_get(doc, "area"), "code")),
               json_string_value(json_object_get(json_object_get(doc, "area"), "name")),
               json_string_value(json_object_get(doc, "package_sha256")));
        size_t i;
        json_t *e;
        json_array_foreach(els, i, e)
            print_election(e);
    }
    status = 0;
done:
    free(text);
    json_decref(doc);
    st_db_close(db);
    return status;
}
