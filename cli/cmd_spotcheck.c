/* cmd_spotcheck.c - `telle spotcheck`: draw boxes by a published seed,
 * record hand counts, show the log (audit/spotcheck.h).
 *
 *   telle spotcheck draw   --db FILE --as NAME --boxes N --seed S [--election ID]
 *   telle spotcheck record --db FILE --as NAME --batch B --list AP=4 ...
 *                          --blank N --rejected N [--ballots N] [--explain TEXT]
 *   telle spotcheck show   --db FILE [--json]
 *
 * Any operator of the store may draw and record (operator, secretary,
 * auditor): spot checks are what auditors do, and counting a box by hand
 * changes no count. The password comes from $TELLE_PASSWORD or the
 * terminal.
 *
 *   cmd_spotcheck
 */
#include "cli/commands.h"
#include "cli/password.h"

#include "audit/spotcheck.h"
#include "core/error.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LISTS = 128 };

static void usage(FILE *to)
{
    fprintf(to,
        "usage: telle spotcheck draw --db FILE --as NAME --boxes N --seed S [--election ID]\n"
        "       telle spotcheck record --db FILE --as NAME --batch B --list CODE=N ...\n"
        "                              --blank N --rejected N [--ballots N] [--explain TEXT]\n"
        "       telle spotcheck show --db FILE [--json]\n"
        "  draw: picks N committed batches (boxes) with the published seed S; the\n"
        "    same seed over the same batches always gives the same boxes. The\n"
        "    method is printed and logged.\n"
        "  record: the hand count of the first ballots of a box, in the order\n"
        "    they were scanned: at least %d, or the whole box when it holds\n"
        "    fewer. Lists not given count 0. --ballots defaults to the sum.\n"
        "    It is compared with the machine's count of the same sheets and\n"
        "    logged; a difference without --explain is reported as unexplained.\n"
        "  show: every draw and hand count, in order.\n"
        "Any operator (operator, secretary, auditor) may draw and record. The\n"
        "password comes from $TELLE_PASSWORD or the terminal.\n",
        AU_SPOTCHECK_MIN_BALLOTS);
}

static bool parse_count(int *out, const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1000000000L)
        return false;
    *out = (int)v;
    return true;
}

static void print_counts(const char *what, json_t *c)
{
    printf("  %-8s", what);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(c, "lists"), k, v)
        printf(" %s %" JSON_INTEGER_FORMAT, k, json_integer_value(v));
    printf("  blank %" JSON_INTEGER_FORMAT "  rejected %" JSON_INTEGER_FORMAT "\n",
           json_integer_value(json_object_get(c, "blank")),
           json_integer_value(json_object_get(c, "rejected")));
}

/* Prints a spotcheck_record payload; returns the number of unexplained
 * differences. */
static int print_record(json_t *p)
{
    printf("batch %s (%s, %s, krets %s): %" JSON_INTEGER_FORMAT " ballots checked by hand\n",
           json_string_value(json_object_get(p, "batch")),
           json_string_value(json_object_get(p, "election")),
           json_string_value(json_object_get(p, "category")),
           json_string_value(json_object_get(p, "krets")),
           json_integer_value(json_object_get(p, "ballots_checked")));
    print_counts("hand", json_object_get(p, "hand"));
    print_counts("machine", json_object_get(p, "machine"));
    json_t *diffs = json_object_get(p, "differences");
    const char *ex = json_string_value(json_object_get(p, "explanation"));
    if (json_array_size(diffs) == 0) {
        printf("  no difference\n");
        return 0;
    }
    size_t i;
    json_t *d;
    json_array_foreach(diffs, i, d)
        printf("  difference %-8s hand %" JSON_INTEGER_FORMAT " machine %" JSON_INTEGER_FORMAT
               "\n", json_string_value(json_object_get(d, "what")),
               json_integer_value(json_object_get(d, "hand")),
               json_integer_value(json_object_get(d, "machine")));
    if (ex) {
        printf("  explanation: %s\n", ex);
        return 0;
    }
    printf("  UNEXPLAINED: record again with --explain TEXT once the difference is "
           "understood\n");
    return (int)json_array_size(diffs);
}

static void print_draw(json_t *p)
{
    printf("seed %s, %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
           " committed batches%s%s:\n", json_string_value(json_object_get(p, "seed")),
           json_integer_value(json_object_get(p, "boxes")),
           json_integer_value(json_object_get(p, "candidates")),
           json_is_string(json_object_get(p, "election")) ? " of " : "",
           json_is_string(json_object_get(p, "election"))
               ? json_string_value(json_object_get(p, "election")) : "");
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(p, "batches"), i, b)
        printf("  %zu. %s\n", i + 1, json_string_value(b));
}

int cmd_spotcheck(int argc, char **argv)
{
    const char *db_path = "telle.db", *as = NULL, *seed = NULL, *election = NULL;
    const char *batch = NULL, *explain = NULL;
    int boxes = -1, blank = 0, rejected = 0, ballots = -1, n_lists = 0;
    bool json_out = false, have_blank = false, have_rejected = false;
    const char *lists[MAX_LISTS];
    int counts[MAX_LISTS];
    char list_buf[MAX_LISTS][64];
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && has)
            db_path = argv[++i];
        else if (strcmp(a, "--as") == 0 && has)
            as = argv[++i];
        else if (strcmp(a, "--seed") == 0 && has)
            seed = argv[++i];
        else if (strcmp(a, "--election") == 0 && has)
            election = argv[++i];
        else if (strcmp(a, "--batch") == 0 && has)
            batch = argv[++i];
        else if (strcmp(a, "--explain") == 0 && has)
            explain = argv[++i];
        else if (strcmp(a, "--json") == 0)
            json_out = true;
        else if (strcmp(a, "--boxes") == 0 && has && parse_count(&boxes, argv[i + 1]))
            i++;
        else if (strcmp(a, "--blank") == 0 && has && parse_count(&blank, argv[i + 1]))
            i++, have_blank = true;
        else if (strcmp(a, "--rejected") == 0 && has && parse_count(&rejected, argv[i + 1]))
            i++, have_rejected = true;
        else if (strcmp(a, "--ballots") == 0 && has && parse_count(&ballots, argv[i + 1]))
            i++;
        else if (strcmp(a, "--list") == 0 && has) {
            const char *v = argv[++i], *eq = strchr(v, '=');
            if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof list_buf[0] ||
                n_lists >= MAX_LISTS || !parse_count(&counts[n_lists], eq + 1)) {
                fprintf(stderr, "telle spotcheck: --list wants CODE=N, e.g. AP=4 (got '%s')\n",
                        v);
                return 2;
            }
            memcpy(list_buf[n_lists], v, (size_t)(eq - v));
            list_buf[n_lists][eq - v] = '\0';
            lists[n_lists] = list_buf[n_lists];
            n_lists++;
        } else if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle spotcheck: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    bool draw = strcmp(sub, "draw") == 0, record = strcmp(sub, "record") == 0;
    bool show = strcmp(sub, "show") == 0;
    if (!draw && !record && !show) {
        fprintf(stderr, "telle spotcheck: unknown command '%s'\n", sub);
        usage(stderr);
        return 2;
    }
    if (draw && (boxes < 1 || seed == NULL)) {
        fprintf(stderr, "telle spotcheck draw: give --boxes N (1 or more) and --seed S\n");
        return 2;
    }
    if (record && (batch == NULL || !have_blank || !have_rejected)) {
        fprintf(stderr, "telle spotcheck record: give --batch B, --list CODE=N for each list "
                "counted, --blank N and --rejected N\n");
        return 2;
    }
    st_db *db = NULL;
    json_t *out = NULL;
    int status = 1;
    if (st_db_open(&db, db_path, show ? ST_OPEN_READONLY : 0) < 0) {
        fprintf(stderr, "telle spotcheck: %s\n", err_message());
        goto done;
    }
    if (show) {
        if (au_spotcheck_log(&out, db) < 0) {
            fprintf(stderr, "telle spotcheck show: %s\n", err_message());
            goto done;
        }
        if (json_out) {
            json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
            printf("\n");
            status = 0;
            goto done;
        }
        size_t i;
        json_t *e;
        int unexplained = 0;
        if (json_array_size(out) == 0)
            printf("no spot checks yet\n");
        json_array_foreach(out, i, e) {
            printf("%s#%" JSON_INTEGER_FORMAT " %s by %s: ", i ? "\n" : "",
                   json_integer_value(json_object_get(e, "seq")),
                   json_string_value(json_object_get(e, "time")),
                   json_string_value(json_object_get(e, "actor")));
            json_t *p = json_object_get(e, "payload");
            if (strcmp(json_string_value(json_object_get(e, "kind")), "spotcheck_draw") == 0) {
                printf("draw\n");
                print_draw(p);
            } else {
                printf("hand count\n");
                unexplained += print_record(p) > 0;
            }
        }
        if (unexplained)
            printf("\n%d hand count%s with unexplained differences\n", unexplained,
                   unexplained == 1 ? "" : "s");
        status = 0;
        goto done;
    }
    if (cli_login(NULL, db, as, "telle spotcheck") < 0)
        goto done;
    int64_t seq = 0;
    if (draw) {
        if (au_spotcheck_draw(&out, &seq, db, as, seed, boxes, election) < 0) {
            fprintf(stderr, "telle spotcheck draw: %s\n", err_message());
            goto done;
        }
        print_draw(out);
        printf("method: %s\n", json_string_value(json_object_get(out, "method")));
        printf("logged as event %" PRId64 " (spotcheck_draw)\n", seq);
        status = 0;
        goto done;
    }
    au_hand_count hc = {batch, lists, counts, n_lists, blank, rejected, ballots, explain};
    if (au_spotcheck_record(&out, &seq, db, as, &hc) < 0) {
        fprintf(stderr, "telle spotcheck record: %s\n", err_message());
        goto done;
    }
    int unexplained = print_record(out);
    printf("logged as event %" PRId64 " (spotcheck_record)\n", seq);
    if (unexplained)
        fprintf(stderr, "telle spotcheck record: %d unexplained difference%s in batch %s\n",
                unexplained, unexplained == 1 ? "" : "s", batch);
    status = 0;
done:
    json_decref(out);
    st_db_close(db);
    return status;
}
