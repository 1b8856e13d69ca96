/* batch_args.h - the options `telle scan` and `telle import` share: how an
 * option takes its value, and the batch a run archives into.
 *
 *   cli_arg_take          the value of --NAME VALUE or --NAME=VALUE
 *   cli_batch_option      --election, --krets, --category or --batch
 *   cli_batch_meta_equal  whether two batches are the same (a label sheet
 *                         against the command line or the archive)
 */
#ifndef TELLE_CLI_BATCH_ARGS_H
#define TELLE_CLI_BATCH_ARGS_H

#include "scanner/archive.h"

#include <stdbool.h>

/* When argv[*i] is name, as "--NAME VALUE" (then *i moves to the value) or
 * "--NAME=VALUE", its value; else NULL. A name without a value ends the
 * program with status 2 after a message starting with cmd ("telle scan"). */
const char *cli_arg_take(int *i, int argc, char **argv, const char *name,
                         const char *cmd);

/* When argv[*i] is one of --election, --krets, --category, --batch, copies
 * its value into that field of meta, counts it in *given and returns true;
 * else false. A value of SCAN_META_FIELD bytes or more (or none) ends the
 * program with status 2 after a message starting with cmd. */
bool cli_batch_option(scan_batch_meta *meta, int *given, int *i, int argc,
                      char **argv, const char *cmd);

/* True when election, krets, category and batch are all the same. */
bool cli_batch_meta_equal(const scan_batch_meta *a, const scan_batch_meta *b);

#endif
