/* spotcheck.h - spot checks (stikkprøver): boxes drawn by a published seed,
 * hand counts of at least 70 ballots of a box compared with the machine's
 * count of the same ballots, and the log of both (issue 8; the guidance
 * after 2017 in shared/spec/domain.md).
 *
 *   au_seed_state          the splitmix64 state a published seed gives
 *   au_spotcheck_draw      draw N committed batches; log "spotcheck_draw"
 *   au_spotcheck_machine   the machine's count of a batch's first N sheets
 *   au_spotcheck_record    compare a hand count; log "spotcheck_record"
 *   au_spotcheck_log       every spotcheck event, in order
 *
 * Who may: any operator of the store (operator, secretary or auditor).
 * Auditors are the ones who spot-check, and the tellekorps and the
 * secretary count boxes by hand under valgstyret; none of these events
 * changes a count, so no role is refused. Every event names its actor.
 */
#ifndef TELLE_AUDIT_SPOTCHECK_H
#define TELLE_AUDIT_SPOTCHECK_H

#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

/* The least number of ballots a spot check counts by hand, unless the box
 * holds fewer (then all of it): the guidance after the 2017 election
 * (domain.md, "at least 70 ballots from a box"). */
enum { AU_SPOTCHECK_MIN_BALLOTS = 70 };

/* The method, word for word as the draw states it in its output and its
 * event, so anyone can repeat a draw by hand or in another language. */
#define AU_SPOTCHECK_METHOD                                                    \
    "seed: a seed of decimal digits only (at most 18446744073709551615) is "   \
    "that number; any other text is the first 8 bytes, big-endian, of the "    \
    "SHA-256 of its UTF-8 bytes. candidates: the committed batches (of the "   \
    "election, when one is given) in creation order, numbered 0..n-1. "        \
    "drawing: splitmix64 started at the seed (count/lots.h), Fisher-Yates: "   \
    "for i from n-1 down to 1, j = uniform in [0, i] by rejection sampling "   \
    "(cnt_lots_below), swap items i and j; the first N of the shuffled list "  \
    "are the boxes, in that order."

/* The splitmix64 state for a seed text, as AU_SPOTCHECK_METHOD says.
 * Returns 0 or TELLE_EINVAL (NULL or empty seed). */
int au_seed_state(uint64_t *state, const char *seed);

/* Draws `boxes` of the committed batches (of `election` when not NULL),
 * reading them under the write lock and, when actor is not NULL, logging
 * the draw as a "spotcheck_draw" event (subject "spotcheck") in the same
 * transaction. actor must be an operator of the store (any role). The same
 * seed over the same committed batches always gives the same boxes.
 * *out receives the payload (caller owns it):
 *   {"seed","boxes","election" (or null),"batches":[...],"method",
 *    "candidates": number of committed batches drawn from}
 * (the logged payload is the same object). *seq (may be NULL) receives
 * the event's seq, 0 when not logged. Returns 0; TELLE_EINVAL (boxes < 1,
 * empty seed, unknown actor or election); TELLE_ESTATE (fewer committed
 * batches than boxes: the message says how many there are); TELLE_EIO. */
int au_spotcheck_draw(json_t **out, int64_t *seq, st_db *db, const char *actor,
                      const char *seed, int boxes, const char *election);

/* The machine's count of the first n sheets of a committed batch in scan
 * order (the order the stack went through the scanner, which is the order
 * records are stored): the decision in effect for sheets a person decided,
 * else the machine's reading. n <= 0 means every sheet.
 *   {"ballots":n,"lists":{CODE:n for every list of the election},
 *    "blank":n,"rejected":n,"first_sheet","last_sheet","sheets_in_box"}
 * "lists" counts approved ballots by the ballot's list (list votes as the
 * preliminary count sees them: write-ins do not move a ballot here).
 * Returns 0; TELLE_EINVAL (no such batch, n larger than the box);
 * TELLE_ESTATE (batch not committed: there is no final count to check);
 * TELLE_EFORMAT, TELLE_EIO. */
int au_spotcheck_machine(json_t **out, st_db *db, const char *batch, int n);

/* A hand count of one box. */
typedef struct {
    const char *batch;
    const char *const *lists; /* list codes ... */
    const int *list_counts;   /* ... and the ballots counted for each */
    int n_lists;              /* lists not given count 0 */
    int blank;
    int rejected;
    int ballots;              /* ballots counted; < 0: the sum of the above */
    const char *explanation;  /* NULL when none */
} au_hand_count;

/* Compares a hand count of the first `ballots` sheets of a committed batch
 * with au_spotcheck_machine of the same sheets and logs "spotcheck_record"
 * (subject: the batch) with the payload of the counts document:
 *   {"batch","election","category","krets","ballots_checked",
 *    "hand":{"lists":{...},"blank","rejected"},
 *    "machine":{"lists":{...},"blank","rejected"},
 *    "differences":[{"what":"AP"|"blank"|"rejected","hand","machine"}],
 *    "explanation": text or null}
 * (lists: every list of the election, in package order; differences in
 * the same order, then blank, then rejected). *out receives the payload
 * (caller owns it), *seq (may be NULL) the event's seq.
 * Refused with TELLE_EINVAL: an unknown batch, actor or list, a negative
 * count, ballots different from the sum of lists + blank + rejected, fewer
 * than AU_SPOTCHECK_MIN_BALLOTS ballots when the box holds more, more
 * ballots than the box holds; TELLE_ESTATE: the batch is not committed.
 * A difference without an explanation is recorded as such (explanation
 * null); the caller says so. */
int au_spotcheck_record(json_t **out, int64_t *seq, st_db *db,
                        const char *actor, const au_hand_count *hc);

/* Every "spotcheck_draw" and "spotcheck_record" event in seq order:
 *   [{"seq","time","actor","kind","subject","payload"}]
 * Caller owns *out. Returns 0, TELLE_EFORMAT (a payload does not parse),
 * TELLE_EIO. */
int au_spotcheck_log(json_t **out, st_db *db);

#endif
