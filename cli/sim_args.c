/* sim_args.c - options shared by `telle simulate` and `telle testdeck make`
 * (see sim_args.h). */
#include "cli/sim_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_sim_option(smp_sim_opts *o, const char **package, const char **out,
                   int *i, int argc, char **argv, const char *cmd)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!v)
        return 0;
    if (strcmp(a, "--package") == 0) {
        *package = v;
    } else if (strcmp(a, "--out") == 0) {
        *out = v;
    } else if (strcmp(a, "--seed") == 0) {
        o->seed = strtoull(v, NULL, 10);
    } else if (strcmp(a, "--dpi") == 0) {
        o->dpi = atof(v);
    } else if (strcmp(a, "--format") == 0) {
        if (strcmp(v, "g4") == 0) {
            o->format = SMP_SCAN_G4;
        } else if (strcmp(v, "gray") == 0) {
            o->format = SMP_SCAN_GRAY;
        } else if (strcmp(v, "rgb") == 0) {
            o->format = SMP_SCAN_RGB;
        } else {
            fprintf(stderr, "%s: unknown format '%s'\n", cmd, v);
            return -1;
        }
    } else {
        return 0;
    }
    (*i)++;
    return 1;
}

bool cli_sim_dpi_bad(const smp_sim_opts *o)
{
    return o->dpi != 0 && (o->dpi < 100 || o->dpi > 600);
}
