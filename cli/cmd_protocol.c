/* cmd_protocol.c - `telle protocol (--db FILE | --counts FILE) --election ID
 * [--package DIR] [--pdf OUT.pdf] [--json OUT.json] [--seed N]`: chapters D
 * and E of valgstyrets møtebok (count/protocol.h) from the committed counts
 * of a store or from a saved counts document. Without --pdf and --json the
 * JSON goes to stdout. A protocol that is not final is still written (a
 * protocol built early shows what is missing); stderr says why it is not
 * final, and the PDF says so on every page. */
#include "cli/commands.h"

#include "cli/counts_source.h"
#include "core/error.h"
#include "count/protocol.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle protocol (--db FILE | --counts FILE) --election ID\n"
            "                      [--package DIR] [--pdf OUT.pdf]\n"
            "                      [--json OUT.json] [--seed N]\n"
            "  The final count (m\xc3\xb8tebok chapter D: D1 advance votes, D2\n"
            "  election-day votes, spot checks) and for a municipal election\n"
            "  chapter E (seats, every quotient, candidate ranking), from the\n"
            "  committed counts of a store (--db) or a counts document\n"
            "  (--counts; --package DIR gives the candidates). --pdf writes an\n"
            "  A4 PDF for signing, --json the protocol as JSON (default: JSON\n"
            "  on stdout). --seed N (0..2^63-1) starts the drawing of lots.\n");
}

int cmd_protocol(int argc, char **argv)
{
    const char *db = NULL, *file = NULL, *election = NULL, *package_dir = NULL;
    const char *pdf = NULL, *json_out = NULL;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && has) {
            db = argv[++i];
        } else if (strcmp(a, "--counts") == 0 && has) {
            file = argv[++i];
        } else if (strcmp(a, "--election") == 0 && has) {
            election = argv[++i];
        } else if (strcmp(a, "--package") == 0 && has) {
            package_dir = argv[++i];
        } else if (strcmp(a, "--pdf") == 0 && has) {
            pdf = argv[++i];
        } else if (strcmp(a, "--json") == 0 && has) {
            json_out = argv[++i];
        } else if (strcmp(a, "--seed") == 0 && has) {
            const char *arg = argv[++i];
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(arg, &end, 10);
            if (errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' ||
                n > INT64_MAX) {
                fprintf(stderr, "telle protocol: --seed: '%s' is not a whole "
                                "number 0..%" PRId64 "\n", arg, INT64_MAX);
                return 2;
            }
            seed = n;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle protocol: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!db == !file || !election) {
        fprintf(stderr, "telle protocol: give one of --db FILE and --counts "
                        "FILE, and --election ID\n");
        usage(stderr);
        return 2;
    }

    int status = 1;
    json_t *counts = NULL, *package = NULL, *protocol = NULL;
    if (cli_counts_load(&counts, &package, db, file, package_dir) < 0 ||
        cnt_protocol_build(&protocol, counts, election, package, seed) < 0) {
        fprintf(stderr, "telle protocol: %s: %s\n", db ? db : file,
                err_message());
        goto done;
    }
    size_t flags = JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15);
    if (json_out && json_dump_file(protocol, json_out, flags) < 0) {
        fprintf(stderr, "telle protocol: %s: cannot write\n", json_out);
        goto done;
    }
    if (pdf && cnt_protocol_pdf_write(protocol, pdf) < 0) {
        fprintf(stderr, "telle protocol: %s\n", err_message());
        goto done;
    }
    if (!pdf && !json_out) {
        if (json_dumpf(protocol, stdout, flags) < 0) {
            fprintf(stderr, "telle protocol: cannot write to stdout\n");
            goto done;
        }
        putchar('\n');
    }
    if (!json_is_true(json_object_get(protocol, "final"))) {
        fprintf(stderr, "telle protocol: NOT FINAL:");
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(protocol, "not_final"), i, r)
            fprintf(stderr, "%s %s", i ? ";" : "", json_string_value(r));
        fputc('\n', stderr);
    }
    status = 0;
done:
    json_decref(protocol);
    json_decref(package);
    json_decref(counts);
    return status;
}
