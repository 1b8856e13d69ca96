/* cmd_testdeck.c - `telle testdeck make|check`: a deck of ballots of known
 * content to prove scanners and settings, and the comparison of what
 * `telle interpret` read from it with what it holds. */
#include "cli/commands.h"
#include "cli/sim_args.h"

#include "core/error.h"
#include "samples/testdeck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void testdeck_usage(FILE *to)
{
    fprintf(to,
            "usage: telle testdeck make --package DIR --out DIR [--ballots 40] [--seed S]\n"
            "                           [--format g4|gray|rgb] [--dpi N]\n"
            "       telle testdeck check --deck DIR RECORDS.jsonl\n\n"
            "make: fills and scan-simulates a deck of ballots (default 40) of a package\n"
            "made by `telle ballots render`: one batch KRETS-CATEGORY-01.tif with its\n"
            "truth.jsonl, and expected.json (per sheet the outcome, list, personal votes\n"
            "and reasons; the expected counts). The same seed gives the same deck.\n"
            "check: compares the records `telle interpret` wrote for the scanned deck\n"
            "with expected.json and prints every difference, one a line; exit 0 with\n"
            "\"0 differences\" when all agree, 1 otherwise.\n");
}

static int testdeck_make(int argc, char **argv)
{
    const char *pkg = NULL, *out = NULL;
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    o.sheets = 40;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int shared = cli_sim_option(&o, &pkg, &out, &i, argc, argv,
                                    "telle testdeck make");
        if (shared < 0)
            return 2;
        if (shared > 0)
            continue;
        if (strcmp(a, "--ballots") == 0 && v) {
            o.sheets = atoi(v), i++;
        } else {
            fprintf(stderr, "telle testdeck make: unexpected '%s'\n\n", a);
            testdeck_usage(stderr);
            return 2;
        }
    }
    if (!pkg || !out || o.sheets < 1 || cli_sim_dpi_bad(&o)) {
        testdeck_usage(stderr);
        return 2;
    }
    int n = 0;
    if (smp_testdeck_make(&n, pkg, out, &o) != 0) {
        fprintf(stderr, "telle testdeck make: %s\n", err_message());
        return 1;
    }
    printf("test deck of %d ballots written to %s (expected.json)\n", n, out);
    return 0;
}

static int testdeck_check(int argc, char **argv)
{
    const char *deck = NULL, *records = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--deck") == 0 && v) {
            deck = v, i++;
        } else if (a[0] != '-' && !records) {
            records = a;
        } else {
            fprintf(stderr, "telle testdeck check: unexpected '%s'\n\n", a);
            testdeck_usage(stderr);
            return 2;
        }
    }
    if (!deck || !records) {
        testdeck_usage(stderr);
        return 2;
    }
    char **lines = NULL;
    size_t n = 0;
    if (smp_testdeck_check(&lines, &n, deck, records) != 0) {
        fprintf(stderr, "telle testdeck check: %s\n", err_message());
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s\n", lines[i]);
    printf("%zu difference%s\n", n, n == 1 ? "" : "s");
    smp_testdeck_lines_free(lines, n);
    return n == 0 ? 0 : 1;
}

int cmd_testdeck(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        testdeck_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "make") == 0)
        return testdeck_make(argc, argv);
    if (strcmp(argv[1], "check") == 0)
        return testdeck_check(argc, argv);
    fprintf(stderr, "telle testdeck: unknown action '%s'\n\n", argv[1]);
    testdeck_usage(stderr);
    return 2;
}
