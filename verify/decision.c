/* decision.c - operators' decisions as events: approve (confirm or
 * correct), blank, rejection with four eyes, remarks, undo, and the batch
 * commit with its derived tallies.
 *
 *   vq_item_decide, vq_reject_confirm, vq_item_remark, vq_decision_undo,
 *   vq_batch_tallies, vq_batch_commit, vq_ground_text
 */
#include "verify/verify_internal.h"

#include "core/error.h"
#include "core/package_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vq_ground_text(char g)
{
    switch (g) {
    case 'a': return "a) the ballot has no official stamp";
    case 'b': return "b) it cannot be seen which election the ballot is for";
    case 'c': return "c) it cannot be seen which list the voter chose";
    case 'd': return "d) the list does not stand in this district";
    }
    return NULL;
}

static json_t *candidate_of(json_t *list, int no)
{
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(list, "candidates"), i, k)
        if (json_integer_value(json_object_get(k, "no")) == no)
            return k;
    return NULL;
}

static int load_package(json_t **root, st_db *db)
{
    char *text = NULL;
    json_error_t jerr;
    *root = NULL;
    int rc = st_package_get(&text, NULL, db);
    if (rc < 0)
        return rc;
    *root = json_loads(text, 0, &jerr);
    free(text);
    if (*root == NULL)
        return err_set(TELLE_EFORMAT, "%s: stored election.json does not "
                       "parse: %s", st_db_path(db), jerr.text);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* vq_locked_item for a decision: an item its batch does not hold is an
 * error, and then the transaction is rolled back and nothing is held. */
static int locked_item(vq_batch_state **s, vq_item **it, st_db *db,
                       int64_t item)
{
    int rc = vq_locked_item(s, it, db, item);
    if (rc < 0 || *it != NULL)
        return rc;
    rc = err_set(TELLE_EINVAL, "no item %" PRId64, item);
    vq_locked_end(db, *s, rc);
    *s = NULL;
    return rc;
}

/* Builds the "approve" part of a payload: list, personal_votes, write_ins. */
static int approve_payload(json_t *p, json_t *pkg, const vq_batch_state *s,
                           const vq_item *it, const vq_decision *d)
{
    json_t *el = pkg_json_election(pkg, s->election);
    const char *rec_list = json_string_value(json_object_get(it->record, "list"));
    const char *list = d->list ? d->list : rec_list;
    if (el == NULL)
        return err_set(TELLE_EINVAL, "batch %s: election %s is not in the "
                       "package", s->batch, s->election);
    if (list == NULL)
        return err_set(TELLE_EINVAL, "item %" PRId64 " (%s): the machine read "
                       "no list; approving needs one", it->id, it->sheet);
    json_t *jl = pkg_json_list(el, list);
    if (jl == NULL)
        return err_set(TELLE_EINVAL, "item %" PRId64 ": no list '%s' in "
                       "election %s", it->id, list, s->election);
    json_t *votes = json_array();
    if (votes == NULL || json_object_set_new(p, "personal_votes", votes) < 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_object_set_new(p, "list", json_string(list));
    if (d->votes_from_record) {
        if (rec_list == NULL || strcmp(rec_list, list) != 0) {
            if (json_array_size(json_object_get(it->record, "personal_votes")) > 0)
                return err_set(TELLE_EINVAL, "item %" PRId64 ": the machine's "
                               "personal votes are for list %s, not %s; give "
                               "the votes", it->id, rec_list ? rec_list : "none",
                               list);
        } else {
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(it->record, "personal_votes"), i, v)
                json_array_append(votes, v);
        }
    } else {
        int *sorted = NULL;
        if (d->n_votes > 0) {
            if ((sorted = malloc((size_t)d->n_votes * sizeof *sorted)) == NULL)
                return err_set(TELLE_ENOMEM, "out of memory");
            memcpy(sorted, d->votes, (size_t)d->n_votes * sizeof *sorted);
            qsort(sorted, (size_t)d->n_votes, sizeof *sorted, cmp_int);
        }
        for (int i = 0; i < d->n_votes; i++) {
            if (candidate_of(jl, sorted[i]) == NULL) {
                int bad = sorted[i];
                free(sorted);
                return err_set(TELLE_EINVAL, "item %" PRId64 ": list %s has no "
                               "candidate %d", it->id, list, bad);
            }
            if (i > 0 && sorted[i] == sorted[i - 1])
                continue;
            json_array_append_new(votes, json_integer(sorted[i]));
        }
        free(sorted);
    }

    json_t *wis = json_array();
    if (wis == NULL || json_object_set_new(p, "write_ins", wis) < 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_int_t max = json_integer_value(json_object_get(el, "max_write_ins"));
    const char *etype = json_string_value(json_object_get(el, "type"));
    bool has_write_ins = etype && strcmp(etype, "kommunestyrevalg") == 0;
    int counted = 0;
    for (int i = 0; i < d->n_write_ins; i++) {
        const vq_write_in *w = &d->write_ins[i];
        json_t *e = json_object();
        const char *why = NULL;
        if (e == NULL || json_array_append_new(wis, e) < 0)
            return err_set(TELLE_ENOMEM, "out of memory");
        if (w->text)
            json_object_set_new(e, "text", json_string(w->text));
        if (w->list) {
            json_t *wl = pkg_json_list(el, w->list);
            json_t *wc = wl ? candidate_of(wl, w->candidate) : NULL;
            if (wc == NULL)
                return err_set(TELLE_EINVAL, "item %" PRId64 ": write-in %d: "
                               "no candidate %s %d in election %s", it->id,
                               i + 1, w->list, w->candidate, s->election);
            json_object_set_new(e, "list", json_string(w->list));
            json_object_set_new(e, "candidate", json_integer(w->candidate));
            json_object_set(e, "name", json_object_get(wc, "name"));
            if (!has_write_ins)
                why = "this election has no write-ins";
            else if (strcmp(w->list, list) == 0)
                why = "a candidate of the ballot's own list is ignored";
            for (int j = 0; j < i && why == NULL; j++)
                if (d->write_ins[j].list && strcmp(d->write_ins[j].list, w->list) == 0 &&
                    d->write_ins[j].candidate == w->candidate)
                    why = "the same candidate is written already";
            if (why == NULL && max > 0 && counted >= max)
                why = "more write-ins than the ballot allows";
        } else {
            if (w->text == NULL || w->text[0] == '\0')
                return err_set(TELLE_EINVAL, "item %" PRId64 ": write-in %d: "
                               "neither a candidate nor text", it->id, i + 1);
            why = "it names no candidate";
        }
        json_object_set_new(e, "counts", json_boolean(why == NULL));
        if (why)
            json_object_set_new(e, "why", json_string(why));
        else
            counted++;
    }
    return 0;
}

int vq_item_decide(int64_t *seq, st_db *db, const char *actor, int64_t item,
                   const vq_decision *d)
{
    vq_batch_state *s = NULL;
    vq_item *it = NULL;
    json_t *pkg = NULL, *p = NULL;
    int rc;
    if (seq)
        *seq = 0;
    if ((rc = vq_actor_can_decide(db, actor)) < 0)
        return rc;
    if (d == NULL)
        return err_set(TELLE_EINVAL, "no decision given");
    if ((rc = load_package(&pkg, db)) < 0)
        return rc;
    if ((rc = locked_item(&s, &it, db, item)) < 0)
        goto done;
    if (it->state == VQ_ITEM_MACHINE || s->committed || it->state == VQ_ITEM_DECIDED) {
        const char *what = it->state == VQ_ITEM_MACHINE ? "not in the queue"
                           : s->committed ? "in a committed batch"
                                          : "decided already";
        rc = err_set(TELLE_ESTATE, "item %" PRId64 " (%s) is %s", item,
                     it->sheet, what);
        goto fail;
    }
    if (it->state == VQ_ITEM_REJECT_PROPOSED) {
        rc = err_set(TELLE_ESTATE, "item %" PRId64 " (%s): %s proposed a "
                     "rejection; confirm it or undo it first", item, it->sheet,
                     it->decided_by);
        goto fail;
    }
    if ((rc = vq_claim_blocks(it, actor, vq_now_ms())) < 0 ||
        (rc = vq_item_record_load(db, it)) < 0)
        goto fail;
    p = json_pack("{s:I, s:s, s:s}", "item", (json_int_t)item, "sheet",
                  it->sheet, "record_sha256", it->record_sha256);
    if (p == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    switch (d->action) {
    case VQ_APPROVE:
        json_object_set_new(p, "action", json_string("approve"));
        if ((rc = approve_payload(p, pkg, s, it, d)) < 0)
            goto fail;
        break;
    case VQ_BLANK:
        json_object_set_new(p, "action", json_string("blank"));
        break;
    case VQ_REJECT: {
        const char *text = vq_ground_text(d->ground);
        if (text == NULL) {
            rc = err_set(TELLE_EINVAL, "item %" PRId64 ": rejection ground "
                         "'%c' is not a, b, c or d (valgloven § 10-3 (1))",
                         item, d->ground ? d->ground : '?');
            goto fail;
        }
        char g[2] = {d->ground, '\0'};
        json_object_set_new(p, "action", json_string("reject"));
        json_object_set_new(p, "ground", json_string(g));
        json_object_set_new(p, "ground_text", json_string(text));
        break;
    }
    default:
        rc = err_set(TELLE_EINVAL, "item %" PRId64 ": unknown action", item);
        goto fail;
    }
    if (d->remark && d->remark[0])
        json_object_set_new(p, "remark", json_string(d->remark));
    rc = st_event_append_json(db, seq, actor, "decide", s->batch, p);
    if (rc < 0)
        goto fail;
    rc = st_tx_commit(db);
    goto done;
fail:
    st_tx_rollback(db);
done:
    json_decref(p);
    json_decref(pkg);
    vq_batch_state_free(s);
    return rc;
}

int vq_reject_confirm(int64_t *seq, st_db *db, const char *actor,
                      int64_t item)
{
    vq_batch_state *s = NULL;
    vq_item *it = NULL;
    int rc;
    if (seq)
        *seq = 0;
    if ((rc = vq_actor_can_decide(db, actor)) < 0)
        return rc;
    if ((rc = locked_item(&s, &it, db, item)) < 0)
        return rc;
    if (it->state != VQ_ITEM_REJECT_PROPOSED || s->committed) {
        rc = err_set(TELLE_ESTATE, "item %" PRId64 " (%s): no rejection is "
                     "waiting for confirmation", item, it->sheet);
        goto fail;
    }
    if (strcmp(it->decided_by, actor) == 0) {
        rc = err_set(TELLE_ESTATE, "item %" PRId64 " (%s): %s proposed this "
                     "rejection and cannot confirm their own rejection; a "
                     "second operator must", item, it->sheet, actor);
        goto fail;
    }
    if ((rc = vq_claim_blocks(it, actor, vq_now_ms())) < 0)
        goto fail;
    json_t *p = json_pack("{s:I, s:I, s:O}", "item", (json_int_t)item,
                          "proposal", (json_int_t)it->decision_seq, "ground",
                          json_object_get(it->decision, "ground"));
    rc = vq_append(db, seq, actor, "reject_confirm", s->batch, p);
fail:
    return vq_locked_end(db, s, rc);
}

int vq_item_remark(st_db *db, const char *actor, int64_t item,
                   const char *text)
{
    vq_batch_state *s = NULL;
    vq_item *it = NULL;
    int rc;
    if ((rc = vq_actor_can_decide(db, actor)) < 0)
        return rc;
    if (text == NULL || text[0] == '\0')
        return err_set(TELLE_EINVAL, "an empty remark");
    if ((rc = locked_item(&s, &it, db, item)) < 0)
        return rc;
    json_t *p = json_pack("{s:I, s:s, s:s}", "item", (json_int_t)item,
                          "sheet", it->sheet, "text", text);
    rc = vq_append(db, NULL, actor, "remark", s->batch, p);
    return vq_locked_end(db, s, rc);
}

int vq_decision_undo(st_db *db, const char *actor, int64_t item,
                     const char *reason)
{
    vq_batch_state *s = NULL;
    vq_item *it = NULL;
    int rc;
    if ((rc = vq_actor_can_decide(db, actor)) < 0)
        return rc;
    if (reason == NULL || reason[0] == '\0')
        return err_set(TELLE_EINVAL, "an undo needs a reason");
    if ((rc = locked_item(&s, &it, db, item)) < 0)
        return rc;
    if (it->decision_seq == 0) {
        rc = err_set(TELLE_ESTATE, "item %" PRId64 " (%s) has no decision to "
                     "undo", item, it->sheet);
        goto fail;
    }
    int64_t undone = it->confirm_seq ? it->confirm_seq : it->decision_seq;
    json_t *p = json_pack("{s:I, s:I, s:s}", "item", (json_int_t)item,
                          "undoes", (json_int_t)undone, "reason", reason);
    if ((rc = vq_append(db, NULL, actor, "undo", s->batch, p)) < 0)
        goto fail;
    if (s->committed) {
        p = json_pack("{s:I, s:I, s:s}", "commit", (json_int_t)s->commit_seq,
                      "item", (json_int_t)item, "reason", reason);
        rc = vq_append(db, NULL, actor, "batch_reopen", s->batch, p);
    }
fail:
    return vq_locked_end(db, s, rc);
}

/* ---- tallies ---- */

static void bump(json_t *obj, const char *key, json_int_t by)
{
    json_t *v = json_object_get(obj, key);
    json_object_set_new(obj, key, json_integer(json_integer_value(v) + by));
}

static void bump_candidate(json_t *obj, json_int_t no)
{
    char k[24];
    snprintf(k, sizeof k, "%" JSON_INTEGER_FORMAT, no);
    bump(obj, k, 1);
}

static json_t *new_list_tally(void)
{
    return json_pack("{s:i, s:{}, s:i, s:{}}", "approved", 0, "personal_votes",
                     "write_ins_given", 0, "write_ins_received");
}

static json_t *list_tally(json_t *lists, const char *code)
{
    json_t *t = json_object_get(lists, code);
    if (t == NULL) {
        t = new_list_tally();
        json_object_set_new(lists, code, t);
    }
    return t;
}

static int tallies_of(json_t **out, st_db *db, vq_batch_state *s,
                      json_t *pkg)
{
    json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, "
                          "s:{s:i, s:i, s:i, s:i}, s:{}, s:i}",
                          "batch", s->batch, "election", s->election, "krets",
                          s->krets, "category", s->category, "ballots", 0,
                          "approved", 0, "blank", 0, "rejected", 0, "pending", 0,
                          "rejected_by_ground", "a", 0, "b", 0, "c", 0, "d", 0,
                          "lists", "write_ins_not_counted", 0);
    json_t *remarks = json_array();
    if (t != NULL && remarks != NULL)
        json_object_set_new(t, "remarks", remarks);
    else
        json_decref(remarks);
    *out = NULL;
    if (t == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_t *lists = json_object_get(t, "lists");
    size_t i;
    json_t *l;
    /* Every list of the election, so a list without votes shows 0. */
    json_t *el = pkg_json_election(pkg, s->election);
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = json_string_value(json_object_get(l, "code"));
        if (code)
            list_tally(lists, code);
    }
    for (int k = 0; k < s->n_items; k++) {
        vq_item *it = &s->items[k];
        bump(t, "ballots", 1);
        /* Remarks go to the protocol (D1.5): those made with the decision
         * in effect and those added on their own. */
        const char *dr = json_string_value(json_object_get(it->decision, "remark"));
        if (dr && it->state != VQ_ITEM_OPEN)
            json_array_append_new(remarks, json_pack("{s:s, s:s?, s:s}", "sheet",
                                                     it->sheet, "by", it->decided_by,
                                                     "text", dr));
        size_t ri;
        json_t *rm;
        json_array_foreach(it->remarks, ri, rm)
            json_array_append_new(remarks, json_pack("{s:s, s:O, s:O}", "sheet", it->sheet,
                                                     "by", json_object_get(rm, "by"),
                                                     "text", json_object_get(rm, "text")));
        int rc;
        if (it->state == VQ_ITEM_MACHINE && (rc = vq_item_record_load(db, it)) < 0) {
            json_decref(t);
            return rc;
        }
        const char *action = NULL, *list = NULL;
        json_t *votes = NULL, *wis = NULL;
        if (it->state == VQ_ITEM_MACHINE) {
            action = strcmp(it->outcome, "blank") == 0 ? "blank" : "approve";
            list = json_string_value(json_object_get(it->record, "list"));
            votes = json_object_get(it->record, "personal_votes");
        } else if (it->state == VQ_ITEM_DECIDED) {
            action = json_string_value(json_object_get(it->decision, "action"));
            list = json_string_value(json_object_get(it->decision, "list"));
            votes = json_object_get(it->decision, "personal_votes");
            wis = json_object_get(it->decision, "write_ins");
        } else {
            bump(t, "pending", 1);
            continue;
        }
        if (action && strcmp(action, "blank") == 0) {
            bump(t, "blank", 1);
        } else if (action && strcmp(action, "reject") == 0) {
            bump(t, "rejected", 1);
            const char *g = json_string_value(json_object_get(it->decision, "ground"));
            bump(json_object_get(t, "rejected_by_ground"), g ? g : "?", 1);
        } else if (list != NULL) {
            bump(t, "approved", 1);
            json_t *lt = list_tally(lists, list);
            bump(lt, "approved", 1);
            size_t j;
            json_t *v, *w;
            json_array_foreach(votes, j, v)
                bump_candidate(json_object_get(lt, "personal_votes"),
                               json_integer_value(v));
            json_array_foreach(wis, j, w) {
                if (!json_is_true(json_object_get(w, "counts"))) {
                    bump(t, "write_ins_not_counted", 1);
                    continue;
                }
                const char *to = json_string_value(json_object_get(w, "list"));
                bump(lt, "write_ins_given", 1);
                bump_candidate(json_object_get(list_tally(lists, to),
                                               "write_ins_received"),
                               json_integer_value(json_object_get(w, "candidate")));
            }
        } else {
            /* A machine approval without a list cannot happen (load refuses
             * it); count it as pending so a commit is refused. */
            bump(t, "pending", 1);
        }
    }
    *out = t;
    return 0;
}

int vq_batch_tallies(json_t **out, st_db *db, const char *batch)
{
    vq_batch_state *s = NULL;
    json_t *pkg = NULL;
    *out = NULL;
    int rc = load_package(&pkg, db);
    if (rc == 0 && (rc = vq_batch_state_get(&s, db, batch, vq_now_ms())) == 0)
        rc = tallies_of(out, db, s, pkg);
    vq_batch_state_free(s);
    json_decref(pkg);
    return rc;
}

int vq_batch_commit(int64_t *seq, st_db *db, const char *actor,
                    const char *batch)
{
    vq_batch_state *s = NULL;
    json_t *pkg = NULL, *t = NULL;
    int rc;
    if (seq)
        *seq = 0;
    if ((rc = vq_actor_can_decide(db, actor)) < 0)
        return rc;
    if ((rc = load_package(&pkg, db)) < 0)
        return rc;
    if ((rc = st_tx_begin(db)) < 0)
        goto done;
    if ((rc = vq_batch_state_get(&s, db, batch, vq_now_ms())) < 0)
        goto fail;
    if (s->committed) {
        rc = err_set(TELLE_ESTATE, "batch %s is committed already (event %"
                     PRId64 ")", batch, s->commit_seq);
        goto fail;
    }
    if (s->n_pending > 0) {
        rc = err_set(TELLE_ESTATE, "batch %s: %d item%s still in the queue "
                     "(%d waiting for a second operator's confirmation)",
                     batch, s->n_pending, s->n_pending == 1 ? "" : "s",
                     s->n_proposed);
        goto fail;
    }
    if ((rc = tallies_of(&t, db, s, pkg)) < 0)
        goto fail;
    if (json_integer_value(json_object_get(t, "pending")) != 0) {
        rc = err_set(TELLE_ESTATE, "batch %s: a sheet has no list", batch);
        goto fail;
    }
    if ((rc = st_event_append_json(db, seq, actor, "batch_commit", batch, t)) < 0)
        goto fail;
    rc = st_tx_commit(db);
    goto done;
fail:
    st_tx_rollback(db);
done:
    json_decref(t);
    json_decref(pkg);
    vq_batch_state_free(s);
    return rc;
}
