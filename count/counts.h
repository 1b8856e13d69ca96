/* counts.h - the counts document ("telle-counts/1", count/README.md): the
 * committed results per election x counting category x krets, summed from
 * the committed batches' tallies, with the preliminary counts, the
 * differences and their explanations, and the spot checks.
 *
 *   cnt_counts_build   build the document from plain inputs (pure: no store)
 *   cnt_counts_dumps   its reproducible text (sorted keys, 15-digit reals)
 *
 * Every consumer (telle count, protocol, export, settle --db, replay,
 * audit) reads this one document, so the sums are made once, here. The
 * builder takes plain JSON rather than a store so that it can be tested on
 * hand-made inputs and rerun by an auditor on exported data; cli/counts_db.h
 * gathers the inputs from a store.
 */
#ifndef TELLE_COUNT_COUNTS_H
#define TELLE_COUNT_COUNTS_H

#include <jansson.h>

/* The document's format tag. */
#define CNT_COUNTS_FORMAT "telle-counts/1"

/* Builds the counts document.
 *
 * election_json: the package's election.json text exactly as stored;
 * package_sha256: its SHA-256 (lowercase hex, copied to "package_sha256").
 *
 * batches: an array, in batch creation order, of
 *   {"batch": ID, "election": ID, "krets": K, "category": FO|FS|VO|VS|VB,
 *    "committed": bool, "tallies": OBJECT or null}
 * where tallies is the payload of the batch_commit event in effect
 * (verify/decision.h vq_batch_tallies) and must be an object when committed
 * (it is ignored when not: an open batch is only listed in open_batches).
 *
 * events: an array, in event (seq) order, of
 *   {"seq": N, "time": T, "actor": NAME, "kind": K, "payload": OBJECT}
 * with kind "prelim", "difference_explanation" or "spotcheck_record"
 * (payloads in count/README.md and store/README.md).
 *
 * Refused with TELLE_EFORMAT and a message naming the input and what is
 * wrong, e.g. "batch 0001-VO-01: tallies: approved 14 + blank 0 + rejected
 * 1 != ballots 16", "event 57 (prelim): lists: FRP is not a list of KS":
 *   - election_json that does not parse or lacks elections/lists/candidates;
 *   - a batch with an unknown election or category, a duplicate id, or
 *     committed without tallies; tallies naming another batch, election,
 *     krets or category than the batch; any count that is not an integer
 *     >= 0; pending != 0; a list or candidate not in the package; a ground
 *     other than a-d; sums that do not add up (approved + blank + rejected
 *     == ballots, grounds == rejected, lists' approved == approved, write-ins
 *     given == write-ins received);
 *   - an event of another kind, or whose payload names an unknown election,
 *     category, list or batch, misses a list (prelim: every list of the
 *     election must be given), or has a negative count.
 * A (category, krets) with a prelim but no committed batch gets a count
 * with zeros and "batches": [] so that its difference is never hidden.
 *
 * Returns 0 and *out (caller owns it: json_decref), TELLE_EFORMAT,
 * TELLE_EINVAL (a NULL argument), TELLE_ENOMEM. *out is NULL on error. */
int cnt_counts_build(json_t **out, const char *election_json,
                     const char *package_sha256, const json_t *batches,
                     const json_t *events);

/* The document's text as every writer should store it: keys sorted,
 * indented by 2, reals with 15 significant digits (so a first divisor of
 * 1.4 is written "1.4", not "1.3999999999999999"), ending in a newline.
 * Caller frees with free(); NULL when out of memory. */
char *cnt_counts_dumps(const json_t *doc);

#endif
