/* counts_db.h - the counts document (count/README.md, "telle-counts/1")
 * of a store: what `telle count`, `telle protocol`, `telle export`,
 * `telle settle --db`, `telle audit export` and `telle replay` read.
 *
 *   counts_from_db   gather the inputs from the store, build the document
 *
 * The inputs are: the stored election.json and its hash (st_package_get);
 * every batch in creation order (st_batch_list) with whether it is
 * committed (vq_batch_state_get) and, when it is, the payload of the
 * batch_commit event in effect (st_event_get of commit_seq); and the
 * prelim, difference_explanation and spotcheck_record events in seq order
 * (st_event_read). count/counts.h cnt_counts_build does the sums and
 * every consistency check.
 */
#ifndef TELLE_CLI_COUNTS_DB_H
#define TELLE_CLI_COUNTS_DB_H

#include "store/store.h"

#include <jansson.h>

/* Builds the counts document of db into *out (caller owns it: json_decref;
 * write it with cnt_counts_dumps so the text is reproducible). Only
 * committed batches are counted; open ones are listed per election in
 * "open_batches". Reads only: works on a store opened ST_OPEN_READONLY.
 * Returns 0; TELLE_ESTATE (no package in the store); TELLE_EFORMAT (a
 * stored payload that does not parse, or inputs cnt_counts_build refuses:
 * the message names the batch or event); TELLE_EIO; TELLE_ENOMEM. *out is
 * NULL on error. */
int counts_from_db(json_t **out, st_db *db);

#endif
