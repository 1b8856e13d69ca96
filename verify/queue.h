/* queue.h - the verification queue: a batch's sheet records go in, every
 * `review` record becomes a queue item, and operators claim items one at a
 * time. The queue is never stored as such: vq_batch_state_get derives it
 * from the batch's records and events each time (verify/README.md).
 *
 *   vq_batch_load         store a batch's records (JSON Lines) and pages
 *   vq_batch_state_get    derive a batch's current state (items, claims,
 *                         decisions, commit)
 *   vq_batch_state_free   free it; accepts NULL
 *   vq_batch_item_find    an item of a derived state by id
 *   vq_item_record_load   parse an item's sheet record when it is needed
 *   vq_item_claim         claim an item for one operator, with expiry
 *   vq_item_release       give a claim back
 *   vq_item_next          the next item an operator can take in a batch
 *   vq_item_batch         the batch an item belongs to
 *   vq_now_ms             the clock claims are measured against
 *   vq_actor_can_decide   whether a name may decide (operator, secretary)
 */
#ifndef TELLE_VERIFY_QUEUE_H
#define TELLE_VERIFY_QUEUE_H

#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* How long a claim lasts unless the operator decides or releases first:
 * five minutes covers reading a difficult ballot; a browser that was
 * closed frees its item by itself after that. */
enum { VQ_CLAIM_TTL_S = 300 };

typedef struct {
    const char *id;       /* batch id, e.g. "0001-VO-01" */
    const char *election; /* "KS" */
    const char *krets;    /* "0001" */
    const char *category; /* FO FS VO VS VB */
    const char *archive_dir; /* folder the records' pages[].file are in;
                                NULL: the file names are paths already */
} vq_batch_info;

/* Stores a batch from JSON Lines text: one sheet record per non-empty line,
 * each stored byte for byte (without its line end) with its hash, and its
 * pages[] as archived pages (archive path = archive_dir/file). All in one
 * transaction: a batch is stored whole or not at all. Every record needs a
 * "sheet" and an "outcome" of approved, blank or review; records of a
 * different election than the batch's must be `review`. *n_sheets and
 * *n_review (either may be NULL) receive the counts. Returns 0,
 * TELLE_EFORMAT ("records.jsonl: line 12: ..."), TELLE_EINVAL,
 * TELLE_ESTATE (batch exists), TELLE_EIO. */
int vq_batch_load(int *n_sheets, int *n_review, st_db *db, const char *actor,
                  const vq_batch_info *info, const char *jsonl,
                  const char *source_name);

typedef enum {
    VQ_ITEM_MACHINE,        /* approved or blank by the machine: no queue item */
    VQ_ITEM_OPEN,           /* waits for a decision */
    VQ_ITEM_REJECT_PROPOSED,/* a rejection waits for a second operator */
    VQ_ITEM_DECIDED,        /* decided (a rejection: confirmed) */
} vq_item_state;

/* "machine", "open", "reject_proposed", "decided" (the names the page
 * and the CLI show). */
const char *vq_item_state_name(vq_item_state s);

/* One sheet of a batch as derived from its record and the events. All
 * pointers are owned by the vq_batch_state. */
typedef struct {
    int64_t id;            /* the record id; the item's id */
    const char *sheet;
    const char *record_sha256;
    json_t *record;        /* the parsed sheet record: NULL until
                              vq_item_record_load (deriving the queue does
                              not need it, and parsing every record of a
                              1000-sheet batch on each decision would) */
    const char *outcome;   /* the machine's: approved, blank, review */
    vq_item_state state;
    const char *claim_by;  /* NULL when no live claim */
    int64_t claim_expires_ms;
    int64_t decision_seq;  /* the decide event in effect (0 when none); for
                              a rejection, the proposal */
    json_t *decision;      /* its payload (NULL when none) */
    const char *decided_by;/* who made decision_seq */
    const char *confirmed_by; /* for a confirmed rejection: the second */
    int64_t confirm_seq;
    json_t *remarks;       /* array of {"by","text","seq"} */
    json_t *history;       /* array of every event about this item, in order:
                              {"seq","time","actor","kind","payload"} */
} vq_item;

typedef struct {
    char *batch, *election, *krets, *category;
    bool committed;
    int64_t commit_seq;    /* the batch_commit in effect; 0 when open */
    int64_t last_seq;      /* last event read for this batch */
    vq_item *items;        /* every sheet, in scan order */
    int n_items;
    int n_review;          /* sheets the machine sent to review */
    int n_pending;         /* review items not yet decided (open or proposed) */
    int n_proposed;        /* of which rejection proposals */
    int n_claimed;         /* of which under a live claim */
} vq_batch_state;

/* Derives the batch's state from its records and events, with claims
 * judged at now_ms (vq_now_ms() in normal use). Returns 0, TELLE_EINVAL (no
 * such batch), TELLE_EFORMAT (a stored record or payload does not parse),
 * TELLE_ENOMEM, TELLE_EIO. Caller frees with vq_batch_state_free. */
int vq_batch_state_get(vq_batch_state **out, st_db *db, const char *batch,
                       int64_t now_ms);
void vq_batch_state_free(vq_batch_state *s);

/* The item with this id, or NULL. */
vq_item *vq_batch_item_find(vq_batch_state *s, int64_t item);

/* Reads and parses the item's sheet record into it->record (once; later
 * calls return at once). Returns 0, TELLE_EFORMAT, TELLE_EIO. */
int vq_item_record_load(st_db *db, vq_item *it);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t vq_now_ms(void);

/* 0 when name is an operator or secretary; TELLE_EINVAL for an auditor
 * ("auditors cannot decide") or an unknown name. */
int vq_actor_can_decide(st_db *db, const char *name);

/* The batch id of an item, caller frees with free(). TELLE_EINVAL when no
 * such item. */
int vq_item_batch(char **batch, st_db *db, int64_t item);

/* Claims an item for actor until now + ttl_s (VQ_CLAIM_TTL_S when 0), in
 * one IMMEDIATE transaction that first derives the state: so of two
 * operators claiming at once exactly one succeeds. Claiming again by the
 * holder extends it. Returns 0; TELLE_ESTATE when the item is decided, the
 * batch is committed, or another operator holds a live claim (the message
 * names them and when it expires); TELLE_EINVAL for an auditor, an unknown
 * operator or item. */
int vq_item_claim(st_db *db, const char *actor, int64_t item, int ttl_s);

/* Releases actor's claim. TELLE_ESTATE when actor holds none. */
int vq_item_release(st_db *db, const char *actor, int64_t item);

/* The first item of a batch in scan order that actor can take now: open or
 * with a rejection proposed by someone else, and not claimed by another
 * operator. Prefers an item actor already claims. *item = 0 when none. */
int vq_item_next(int64_t *item, st_db *db, const char *actor,
                 const char *batch);

#endif
