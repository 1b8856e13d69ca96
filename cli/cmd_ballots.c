/* cmd_ballots.c - `telle ballots render --package DIR --out DIR`: lays out
 * every ballot of a package from its lists and writes PDFs, reference PNGs
 * and the completed election.json. */
#include "cli/commands.h"

#include "core/error.h"
#include "samples/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ballots_usage(FILE *to)
{
    fprintf(to,
            "usage: telle ballots render --package DIR|FILE --out DIR "
            "[--dpi N] [--pdf-dir DIR] [--no-pdf]\n"
            "                           [--colour-png DPI]\n\n"
            "Reads the elections part of an election package (a folder with\n"
            "election.json, or a JSON file) and writes into --out:\n"
            "  election.json                the package with `styles` filled\n"
            "  styles/<id>/<side>.png       8-bit gray references (200 dpi)\n"
            "  print/<id>.pdf               print-ready PDFs, real size\n"
            "  print/<id>-<side>.png        colour renderings (--colour-png)\n");
}

int cmd_ballots(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        ballots_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "render") != 0) {
        fprintf(stderr, "telle ballots: unknown action '%s'\n", argv[1]);
        ballots_usage(stderr);
        return 2;
    }
    const char *in = NULL, *out = NULL;
    smp_render_opts o = SMP_RENDER_OPTS_INIT;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ballots_usage(stdout);
            return 0;
        } else if (strcmp(a, "--package") == 0 && v) {
            in = v, i++;
        } else if (strcmp(a, "--out") == 0 && v) {
            out = v, i++;
        } else if (strcmp(a, "--dpi") == 0 && v) {
            o.dpi = atof(v), i++;
        } else if (strcmp(a, "--pdf-dir") == 0 && v) {
            o.pdf_dir = v, i++;
        } else if (strcmp(a, "--colour-png") == 0 && v) {
            o.colour_dpi = atof(v), i++;
        } else if (strcmp(a, "--no-pdf") == 0) {
            o.write_pdf = false;
        } else {
            fprintf(stderr, "telle ballots render: unexpected '%s'\n", a);
            ballots_usage(stderr);
            return 2;
        }
    }
    if (!in || !out || o.dpi < 50 || o.dpi > 1200 || o.colour_dpi < 0 ||
        o.colour_dpi > 600 || (o.colour_dpi > 0 && !o.write_pdf)) {
        ballots_usage(stderr);
        return 2;
    }
    int n = 0;
    if (smp_package_render(in, out, &o, &n) != 0) {
        fprintf(stderr, "telle ballots render: %s\n", err_message());
        return 1;
    }
    printf("%d styles written to %s\n", n, out);
    return 0;
}
