/* cmd_simulate.c - `telle simulate`: fill ballots of a package with the
 * voter model, scan-simulate them and write batches with their truth. */
#include "cli/commands.h"
#include "cli/sim_args.h"

#include "core/error.h"
#include "samples/simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void simulate_usage(FILE *to)
{
    fprintf(to,
            "usage: telle simulate --package DIR --out DIR [--sheets N] "
            "[--seed S]\n"
            "                      [--format g4|gray|rgb] [--batches B] "
            "[--dpi N]\n"
            "                      [--election ID] [--krets K] "
            "[--category C] [--no-label]\n"
            "                      [--fit-canvas] [--damage LIST|all] "
            "[--damage-p P]\n\n"
            "Fills N ballots per batch (default 20) of a package made by\n"
            "`telle ballots render` with marks, write-ins, writing outside the\n"
            "fields and stamps, scans them (skew, shift, scale, print offset,\n"
            "noise, crease, bleed-through, side order, 180 degree turns) and\n"
            "writes KRETS-CATEGORY-BB.tif (+ .json) per batch and truth.jsonl.\n"
            "The same seed gives the same bytes.\n\n"
            "--damage adds damage real counting meets, each listed kind drawn\n"
            "per sheet with probability --damage-p (default 0.5), tagged\n"
            "damage_<kind> in the truth's cases (samples/README.md):\n"
            "  glass: dust, hair, streak, noise   scanner: black_backing\n"
            "  paper: stain, tear, dogear, punch, staple, tint, bleed\n"
            "  pen:   pencil, red_pen, light_pressure, heavy_pressure,\n"
            "         mark_styles, small_margin, hands (write-ins in one of\n"
            "         seven more handwriting fonts)\n");
}

int cmd_simulate(int argc, char **argv)
{
    const char *pkg = NULL, *out = NULL;
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int shared = cli_sim_option(&o, &pkg, &out, &i, argc, argv,
                                    "telle simulate");
        if (shared < 0)
            return 2;
        if (shared > 0)
            continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            simulate_usage(stdout);
            return 0;
        } else if (strcmp(a, "--sheets") == 0 && v) {
            o.sheets = atoi(v), i++;
        } else if (strcmp(a, "--batches") == 0 && v) {
            o.batches = atoi(v), i++;
        } else if (strcmp(a, "--election") == 0 && v) {
            o.election = v, i++;
        } else if (strcmp(a, "--krets") == 0 && v) {
            o.krets = v, i++;
        } else if (strcmp(a, "--category") == 0 && v) {
            o.category = v, i++;
        } else if (strcmp(a, "--fit-canvas") == 0) {
            o.fit_canvas = true;
        } else if (strcmp(a, "--damage") == 0 && v) {
            if (smp_damage_parse(&o.damage, v) != 0) {
                fprintf(stderr, "telle simulate: %s\n", err_message());
                return 2;
            }
            i++;
        } else if (strcmp(a, "--damage-p") == 0 && v) {
            char *end = NULL;
            o.p_damage = strtod(v, &end);
            if (!end || *end || o.p_damage < 0 || o.p_damage > 1) {
                fprintf(stderr, "telle simulate: --damage-p wants 0..1\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--no-label") == 0) {
            o.label = false;
        } else {
            fprintf(stderr, "telle simulate: unexpected '%s'\n\n", a);
            simulate_usage(stderr);
            return 2;
        }
    }
    if (!pkg || !out || o.sheets < 0 || o.batches < 1 || cli_sim_dpi_bad(&o)) {
        simulate_usage(stderr);
        return 2;
    }
    int n = 0;
    if (smp_simulate(pkg, out, &o, &n) != 0) {
        fprintf(stderr, "telle simulate: %s\n", err_message());
        return 1;
    }
    printf("%d ballots in %d batch(es) written to %s (truth.jsonl)\n", n,
           o.batches, out);
    return 0;
}
