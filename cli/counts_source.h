/* counts_source.h - where `telle settle` and `telle protocol` get their
 * counts document (telle-counts/1) and the election package from: a store
 * (--db, through cli/counts_db.h) or a saved document (--counts FILE, with
 * an optional --package DIR for the candidates; a counts document is
 * checked with cnt_counts_validate, a settle file is left to cmd_settle).
 *
 *   cli_counts_load   read both; prints nothing
 */
#ifndef TELLE_CLI_COUNTS_SOURCE_H
#define TELLE_CLI_COUNTS_SOURCE_H

#include <jansson.h>

/* Exactly one of db (a store file) and counts_file (a saved counts
 * document) is given. *counts gets the document; *package the parsed
 * election.json: the store's copy with db, else package_dir/election.json
 * when package_dir is given, else NULL. The caller decrefs both. Returns 0
 * or a TELLE_E* code with the message set; the caller puts the store or
 * counts file in front (a package file is named in the message). */
int cli_counts_load(json_t **counts, json_t **package, const char *db,
                    const char *counts_file, const char *package_dir);

#endif
