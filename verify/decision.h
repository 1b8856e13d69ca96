/* decision.h - what operators decide about a queue item, the four-eyes
 * rule for rejections, undo, committing a batch, its derived tallies, and
 * the candidate search used to enter write-ins (slengere).
 *
 *   vq_item_decide        approve (confirm or correct), blank, propose rejection
 *   vq_reject_confirm     a second operator confirms a proposed rejection
 *   vq_item_remark        add a remark (it goes to the protocol)
 *   vq_decision_undo      undo an item's decision, with a reason
 *   vq_batch_tallies      the batch's tallies derived from records + decisions
 *   vq_batch_commit       commit a batch whose queue is empty
 *   vq_candidates_load    the elections' candidates from the stored package
 *   vq_candidates_free
 *   vq_candidates_search  search candidates by name or "LIST number"
 *   vq_ground_text        the wording of rejection ground a..d
 */
#ifndef TELLE_VERIFY_DECISION_H
#define TELLE_VERIFY_DECISION_H

#include "store/store.h"
#include "verify/queue.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VQ_APPROVE, /* counted for a list, with personal votes and write-ins */
    VQ_BLANK,   /* a blank ballot */
    VQ_REJECT,  /* propose rejection; effective when a second confirms */
} vq_action;

/* One written entry in the write-in field, as the operator read it: a
 * candidate (list + number, picked through vq_candidates_search) or, when
 * the writing names no candidate, text only (list NULL, candidate 0). */
typedef struct {
    const char *list;
    int candidate;
    const char *text; /* what was written, as the operator read it; may be NULL */
} vq_write_in;

typedef struct {
    vq_action action;
    /* VQ_APPROVE: the list; NULL = the list the machine read. Setting it is
     * how a blank or all-lists ballot with a written list is decided. */
    const char *list;
    /* VQ_APPROVE: the personal votes (candidate numbers of `list`). When
     * votes_from_record is true the machine's are kept (confirming its
     * reading); otherwise votes[0..n_votes) replace them. */
    bool votes_from_record;
    const int *votes;
    int n_votes;
    const vq_write_in *write_ins;
    int n_write_ins;
    char ground;        /* VQ_REJECT: 'a'..'d', valgloven § 10-3 (1) */
    const char *remark; /* optional; goes to the protocol */
} vq_decision;

#define VQ_DECISION_INIT {VQ_APPROVE, NULL, true, NULL, 0, NULL, 0, 0, NULL}

/* Records a decision on an open item as a "decide" event. The item must be
 * a review item, not decided, its batch not committed, and not claimed by
 * another operator (a claim by actor, or none, is fine: the check and the
 * event are one IMMEDIATE transaction). Write-ins are resolved against the
 * package: each entry is stored with "counts" and, when it does not count,
 * "why" (a candidate of the ballot's own list; no candidate; the same
 * candidate twice; more entries than the ballot allows; an election without
 * write-ins). The payload names the record's hash. *seq (may be NULL)
 * receives the event's seq. Returns 0; TELLE_EINVAL (auditor, unknown
 * list/candidate, bad ground, personal vote not on the list); TELLE_ESTATE
 * (decided already, rejection pending, claimed by another, committed). */
int vq_item_decide(int64_t *seq, st_db *db, const char *actor, int64_t item,
                   const vq_decision *d);

/* Confirms the rejection proposed on item. The confirming operator must be
 * a different person from the proposer: the same one gets TELLE_ESTATE
 * ("... cannot confirm their own rejection"). Returns 0, TELLE_EINVAL,
 * TELLE_ESTATE (nothing proposed, claimed by another, committed). */
int vq_reject_confirm(int64_t *seq, st_db *db, const char *actor,
                      int64_t item);

/* Adds a remark to an item (any state, any batch state): an event. */
int vq_item_remark(st_db *db, const char *actor, int64_t item,
                   const char *text);

/* Undoes the decision in effect on item (a decision, a proposal, or a
 * confirmed rejection: the item returns to the queue) with an "undo" event
 * naming the undone seq and the reason. When the batch was committed, a
 * "batch_reopen" event follows in the same transaction. Returns 0,
 * TELLE_EINVAL (auditor, empty reason), TELLE_ESTATE (nothing to undo). */
int vq_decision_undo(st_db *db, const char *actor, int64_t item,
                     const char *reason);

/* The batch's tallies derived from its records and decisions (as a commit
 * would record them):
 *   {"batch","election","krets","category","ballots","approved","blank",
 *    "rejected","rejected_by_ground":{"a".."d"},"pending",
 *    "lists":{CODE:{"approved","personal_votes":{"N":n},
 *                   "write_ins_given","write_ins_received":{"N":n}}},
 *    "write_ins_not_counted","remarks":[{"sheet","by","text"}]}
 * Pending items are counted in "pending" only. Caller owns *out
 * (json_decref). Needs the package (for the lists). */
int vq_batch_tallies(json_t **out, st_db *db, const char *batch);

/* Commits a batch: in one transaction, checks that no item is pending and
 * the batch is not committed, and appends "batch_commit" with the tallies
 * as its payload. Returns 0, TELLE_ESTATE ("3 items still in the queue"),
 * TELLE_EINVAL (auditor). */
int vq_batch_commit(int64_t *seq, st_db *db, const char *actor,
                    const char *batch);

typedef struct vq_candidates vq_candidates;

/* Reads the elections, lists and candidates from the stored package text.
 * Returns 0, TELLE_ESTATE (no package), TELLE_EFORMAT. */
int vq_candidates_load(vq_candidates **out, st_db *db);
void vq_candidates_free(vq_candidates *c);

typedef struct {
    const char *list;      /* list code */
    const char *list_name;
    int no;
    const char *name;
    bool own_list;         /* the ballot's own list: would not count */
} vq_match;

/* Finds candidates of an election. query is either "LIST number" (list code
 * case-insensitive, e.g. "ap 3"), a list code alone (all its candidates), or
 * a piece of a name, matched case-insensitively with Norwegian letters
 * folded (Æ/æ, Ø/ø, Å/å and the other Latin-1 letters). Candidates of
 * own_list (the ballot's list; may be NULL) come last, flagged. Fills at
 * most max matches into out (pointers owned by c). Returns the number of
 * matches, or TELLE_EINVAL for an unknown election. */
int vq_candidates_search(vq_match *out, int max, const vq_candidates *c,
                         const char *election, const char *own_list,
                         const char *query);

/* The name of a candidate; NULL when there is none. */
const char *vq_candidate_name(const vq_candidates *c, const char *election,
                              const char *list, int no);

/* "a) the ballot has no official stamp" ...; NULL for another letter. */
const char *vq_ground_text(char ground);

#endif
