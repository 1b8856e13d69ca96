/* verify_internal.h - helpers shared by verify's own files. */
#ifndef TELLE_VERIFY_INTERNAL_H
#define TELLE_VERIFY_INTERNAL_H

#include "verify/decision.h"
#include "verify/queue.h"

/* Starts an IMMEDIATE transaction, derives the batch of item, finds the
 * item. On success the caller owns *state and the open transaction. */
int vq_locked_item(vq_batch_state **state, vq_item **it, st_db *db,
                   int64_t item);

/* Ends the transaction vq_locked_item opened and frees state: commits
 * when rc is not negative, else rolls back. Returns rc when negative, else
 * what the commit returns. */
int vq_locked_end(st_db *db, vq_batch_state *state, int rc);

/* Whether a live claim by someone other than actor blocks the item;
 * sets the error when so. */
int vq_claim_blocks(const vq_item *it, const char *actor, int64_t now_ms);

/* Appends an event from a payload object that this function consumes. */
int vq_append(st_db *db, int64_t *seq, const char *actor, const char *kind,
              const char *subject, json_t *payload);

#endif
