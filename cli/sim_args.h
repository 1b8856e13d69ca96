/* sim_args.h - the options `telle simulate` and `telle testdeck make`
 * share: where the package and the output go, the seed, the resolution and
 * the file format of the simulated scans.
 *
 *   cli_sim_option   --package, --out, --seed, --dpi or --format
 *   cli_sim_dpi_bad  whether --dpi was given outside 100..600
 */
#ifndef TELLE_CLI_SIM_ARGS_H
#define TELLE_CLI_SIM_ARGS_H

#include "samples/simulate.h"

#include <stdbool.h>

/* When argv[*i] is --package, --out, --seed, --dpi or --format followed by
 * a value, stores the value (package and out receive argv's strings, the
 * others go into o), moves *i to the value and returns 1. Returns 0 when
 * argv[*i] is none of them or has no value (the caller goes on matching),
 * -1 for a --format other than g4, gray or rgb after a message starting
 * with cmd ("telle simulate"); the command then exits 2. */
int cli_sim_option(smp_sim_opts *o, const char **package, const char **out,
                   int *i, int argc, char **argv, const char *cmd);

/* True when --dpi was given (not 0) and is below 100 or above 600, the
 * resolutions both commands accept; the command then prints its usage and
 * exits 2. */
bool cli_sim_dpi_bad(const smp_sim_opts *o);

#endif
