/* main.c - the `telle` command: dispatches to one cmd_* per subcommand. */
#include "cli/commands.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"init", cmd_init, "create a count (a store) from an election package"},
    {"user", cmd_user, "add operators, change passwords, list them"},
    {"review", cmd_review, "the verification queue: list, show, decide, commit"},
    {"serve", cmd_serve, "the operators' verification web page"},
    {"package", cmd_package, "check an election package"},
    {"ballots", cmd_ballots, "render ballots, references and styles from lists"},
    {"simulate", cmd_simulate, "fill and scan-simulate ballots, with truth"},
    {"testdeck", cmd_testdeck, "make a test deck of known content; check its records"},
    {"settle", cmd_settle, "seat allocation and candidate ranking from counts"},
    {"count", cmd_count, "the committed counts per category and krets, with differences"},
    {"prelim", cmd_prelim, "enter preliminary counts; explain differences"},
    {"protocol", cmd_protocol, "the m\xc3\xb8tebok chapters D and E as PDF and JSON"},
    {"scan", cmd_scan, "scan a batch through SANE into the image archive"},
    {"interpret", cmd_interpret, "sheet records (JSON Lines) for ballot images"},
    {"import", cmd_import, "add image files (TIFF, PNG) to the image archive"},
    {"export", cmd_export, "deliver the counts as JSON, CSV or EML 510 files"},
    {"replay", cmd_replay, "re-read every archived page and check the whole count"},
    {"audit", cmd_audit, "an audit package (export) and NIST cast vote records (cvr)"},
    {"spotcheck", cmd_spotcheck, "draw boxes by a seed, record hand counts, show the log"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: telle COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(to, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(to, "\n`telle COMMAND --help` describes one command.\n");
}

int main(int argc, char **argv)
{
    /* Recognition allocates page-sized buffers (4-16 MB) for every sheet.
     * glibc maps blocks that large afresh each time, and the page faults
     * that follow serialise the worker threads in the kernel; kept in the
     * heap they are reused (measured: 125 -> 87 ms per G4 page, and two
     * threads scale). The process, not a library, sets this policy. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "telle: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
