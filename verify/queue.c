/* queue.c - loading a batch's sheet records, deriving the queue from the
 * events, and claims.
 *
 *   vq_batch_load, vq_batch_state_get, vq_batch_state_free,
 *   vq_batch_item_find, vq_item_state_name, vq_now_ms,
 *   vq_actor_can_decide, vq_item_batch, vq_item_claim, vq_item_release,
 *   vq_item_next
 */
#include "verify/verify_internal.h"

#include "core/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t vq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *vq_item_state_name(vq_item_state s)
{
    switch (s) {
    case VQ_ITEM_MACHINE: return "machine";
    case VQ_ITEM_OPEN: return "open";
    case VQ_ITEM_REJECT_PROPOSED: return "reject_proposed";
    case VQ_ITEM_DECIDED: return "decided";
    }
    return "?";
}

int vq_append(st_db *db, int64_t *seq, const char *actor, const char *kind,
              const char *subject, json_t *payload)
{
    if (payload == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    int rc = st_event_append_json(db, seq, actor, kind, subject, payload);
    json_decref(payload);
    return rc;
}

/* ---- loading a batch ---- */

static bool outcome_valid(const char *o)
{
    return o && (strcmp(o, "approved") == 0 || strcmp(o, "blank") == 0 ||
                 strcmp(o, "review") == 0);
}

static int load_line(st_db *db, const char *actor, const vq_batch_info *info,
                     const char *src, int lineno, const char *text,
                     bool *review)
{
    json_error_t jerr;
    json_t *rec = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (rec == NULL || !json_is_object(rec)) {
        rc = err_set(TELLE_EFORMAT, "%s: line %d: not a JSON object%s%s", src,
                     lineno, rec ? "" : ": ", rec ? "" : jerr.text);
        goto done;
    }
    const char *sheet = json_string_value(json_object_get(rec, "sheet"));
    const char *outcome = json_string_value(json_object_get(rec, "outcome"));
    const char *election = json_string_value(json_object_get(rec, "election"));
    if (sheet == NULL || sheet[0] == '\0') {
        rc = err_set(TELLE_EFORMAT, "%s: line %d: no \"sheet\"", src, lineno);
        goto done;
    }
    if (!outcome_valid(outcome)) {
        rc = err_set(TELLE_EFORMAT, "%s: line %d (%s): \"outcome\" is not "
                     "approved, blank or review", src, lineno, sheet);
        goto done;
    }
    if (strcmp(outcome, "review") != 0 &&
        (election == NULL || strcmp(election, info->election) != 0)) {
        rc = err_set(TELLE_EFORMAT, "%s: line %d (%s): %s for election %s in "
                     "a batch of election %s (only a person may decide such "
                     "a ballot)", src, lineno, sheet, outcome,
                     election ? election : "null", info->election);
        goto done;
    }
    *review = strcmp(outcome, "review") == 0;
    if ((rc = st_record_add(db, NULL, NULL, actor, info->id, sheet, text)) < 0) {
        err_prefix("%s: line %d: ", src, lineno);
        goto done;
    }
    json_t *pages = json_object_get(rec, "pages");
    size_t i;
    json_t *pg;
    json_array_foreach(pages, i, pg) {
        const char *file = json_string_value(json_object_get(pg, "file"));
        const char *side = json_string_value(json_object_get(pg, "side"));
        const char *sha = json_string_value(json_object_get(pg, "sha256"));
        json_int_t page = json_integer_value(json_object_get(pg, "page"));
        char path[4096];
        if (file == NULL || sha == NULL || page < 1) {
            rc = err_set(TELLE_EFORMAT, "%s: line %d (%s): pages[%zu] needs "
                         "file, page and sha256", src, lineno, sheet, i);
            goto done;
        }
        if (info->archive_dir && file[0] != '/')
            snprintf(path, sizeof path, "%s/%s", info->archive_dir, file);
        else
            snprintf(path, sizeof path, "%s", file);
        if ((rc = st_page_add(db, actor, info->id, sheet, side, path,
                              (int)page, sha)) < 0)
            goto done;
    }
done:
    json_decref(rec);
    return rc;
}

int vq_batch_load(int *n_sheets, int *n_review, st_db *db, const char *actor,
                  const vq_batch_info *info, const char *jsonl,
                  const char *source_name)
{
    char *copy = NULL;
    int rc, sheets = 0, reviews = 0;
    const char *src = source_name ? source_name : "records";
    if (n_sheets)
        *n_sheets = 0;
    if (n_review)
        *n_review = 0;
    if (info == NULL || info->id == NULL || jsonl == NULL)
        return err_set(TELLE_EINVAL, "batch load: no batch or no records");
    if ((copy = strdup(jsonl)) == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    if ((rc = st_tx_begin(db)) < 0)
        goto done;
    if ((rc = st_batch_add(db, actor, info->id, info->election, info->krets,
                           info->category)) < 0)
        goto fail;
    int lineno = 0;
    for (char *line = copy, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        bool blank = true;
        for (const char *p = line; *p; p++)
            if (*p != ' ' && *p != '\t')
                blank = false;
        if (blank)
            continue;
        bool review = false;
        if ((rc = load_line(db, actor, info, src, lineno, line, &review)) < 0)
            goto fail;
        sheets++;
        reviews += review;
    }
    if (sheets == 0) {
        rc = err_set(TELLE_EFORMAT, "%s: no sheet records", src);
        goto fail;
    }
    if ((rc = st_tx_commit(db)) < 0)
        goto done;
    if (n_sheets)
        *n_sheets = sheets;
    if (n_review)
        *n_review = reviews;
    goto done;
fail:
    st_tx_rollback(db);
done:
    free(copy);
    return rc;
}

/* ---- deriving the state ---- */

void vq_batch_state_free(vq_batch_state *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->n_items; i++) {
        vq_item *it = &s->items[i];
        free((char *)it->sheet);
        free((char *)it->record_sha256);
        free((char *)it->outcome);
        free((char *)it->claim_by);
        free((char *)it->decided_by);
        free((char *)it->confirmed_by);
        json_decref(it->record);
        json_decref(it->decision);
        json_decref(it->remarks);
        json_decref(it->history);
    }
    free(s->items);
    free(s->batch);
    free(s->election);
    free(s->krets);
    free(s->category);
    free(s);
}

vq_item *vq_batch_item_find(vq_batch_state *s, int64_t item)
{
    /* Items are in id order: binary search. */
    int lo = 0, hi = s->n_items - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->items[mid].id == item)
            return &s->items[mid];
        if (s->items[mid].id < item)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

int vq_item_record_load(st_db *db, vq_item *it)
{
    st_record *r = NULL;
    json_error_t jerr;
    if (it->record != NULL)
        return 0;
    int rc = st_record_get(&r, db, it->id);
    if (rc < 0)
        return rc;
    it->record = json_loads(r->record, 0, &jerr);
    st_record_free(r);
    if (it->record == NULL)
        return err_set(TELLE_EFORMAT, "%s: item %" PRId64 " (%s): stored "
                       "record does not parse: %s", st_db_path(db), it->id,
                       it->sheet, jerr.text);
    return 0;
}

static int set_str(const char **dst, const char *src)
{
    free((char *)*dst);
    *dst = NULL;
    if (src && (*dst = strdup(src)) == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    return 0;
}

struct fold {
    vq_batch_state *s;
    int64_t now_ms;
    int rc;
};

static int fold_event(const st_event *ev, void *vctx)
{
    struct fold *f = vctx;
    vq_batch_state *s = f->s;
    json_error_t jerr;
    json_t *p = NULL;
    int rc = 0;
    s->last_seq = ev->seq;
    if (strcmp(ev->kind, "batch_commit") == 0) {
        s->committed = true;
        s->commit_seq = ev->seq;
        return 0;
    }
    if (strcmp(ev->kind, "batch_reopen") == 0) {
        s->committed = false;
        s->commit_seq = 0;
        return 0;
    }
    if (strcmp(ev->kind, "batch_add") == 0 || strcmp(ev->kind, "page_add") == 0 ||
        strcmp(ev->kind, "record_add") == 0)
        return 0;
    if ((p = json_loads(ev->payload, 0, &jerr)) == NULL)
        return err_set(TELLE_EFORMAT, "event %" PRId64 ": payload does not "
                       "parse: %s", ev->seq, jerr.text);
    json_t *jitem = json_object_get(p, "item");
    vq_item *it = json_is_integer(jitem)
                      ? vq_batch_item_find(s, json_integer_value(jitem))
                      : NULL;
    if (it == NULL) {
        json_decref(p);
        return 0; /* an event of a kind this version does not fold */
    }
    json_t *h = json_pack("{s:I, s:s, s:s, s:s, s:O}", "seq",
                          (json_int_t)ev->seq, "time", ev->time, "actor",
                          ev->actor, "kind", ev->kind, "payload", p);
    if (h == NULL || json_array_append_new(it->history, h) < 0) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if (strcmp(ev->kind, "claim") == 0) {
        rc = set_str(&it->claim_by, ev->actor);
        it->claim_expires_ms = json_integer_value(json_object_get(p, "expires_ms"));
    } else if (strcmp(ev->kind, "release") == 0) {
        if (it->claim_by && strcmp(it->claim_by, ev->actor) == 0)
            rc = set_str(&it->claim_by, NULL);
    } else if (strcmp(ev->kind, "decide") == 0) {
        const char *action = json_string_value(json_object_get(p, "action"));
        it->state = action && strcmp(action, "reject") == 0
                        ? VQ_ITEM_REJECT_PROPOSED
                        : VQ_ITEM_DECIDED;
        it->decision_seq = ev->seq;
        json_decref(it->decision);
        it->decision = json_incref(p);
        it->confirm_seq = 0;
        if ((rc = set_str(&it->decided_by, ev->actor)) == 0 &&
            (rc = set_str(&it->confirmed_by, NULL)) == 0)
            rc = set_str(&it->claim_by, NULL);
    } else if (strcmp(ev->kind, "reject_confirm") == 0) {
        it->state = VQ_ITEM_DECIDED;
        it->confirm_seq = ev->seq;
        if ((rc = set_str(&it->confirmed_by, ev->actor)) == 0)
            rc = set_str(&it->claim_by, NULL);
    } else if (strcmp(ev->kind, "undo") == 0) {
        it->state = VQ_ITEM_OPEN;
        it->decision_seq = it->confirm_seq = 0;
        json_decref(it->decision);
        it->decision = NULL;
        if ((rc = set_str(&it->decided_by, NULL)) == 0 &&
            (rc = set_str(&it->confirmed_by, NULL)) == 0)
            rc = set_str(&it->claim_by, NULL);
    } else if (strcmp(ev->kind, "remark") == 0) {
        json_t *r = json_pack("{s:s, s:O, s:I}", "by", ev->actor, "text",
                              json_object_get(p, "text"), "seq",
                              (json_int_t)ev->seq);
        if (r == NULL || json_array_append_new(it->remarks, r) < 0)
            rc = err_set(TELLE_ENOMEM, "out of memory");
    }
done:
    json_decref(p);
    return rc;
}

int vq_batch_state_get(vq_batch_state **out, st_db *db, const char *batch,
                       int64_t now_ms)
{
    vq_batch_state *s = NULL;
    st_batch *b = NULL;
    st_record *recs = NULL;
    int n = 0, rc;
    *out = NULL;
    if ((rc = st_batch_get(&b, db, batch)) < 0)
        return rc;
    if ((s = calloc(1, sizeof *s)) == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    s->batch = b->id;
    s->election = b->election;
    s->krets = b->krets;
    s->category = b->category;
    b->id = b->election = b->krets = b->category = NULL;
    if ((rc = st_record_list(&recs, &n, db, batch, false)) < 0)
        goto done;
    if (n > 0 && (s->items = calloc((size_t)n, sizeof *s->items)) == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        vq_item *it = &s->items[i];
        s->n_items++;
        it->id = recs[i].id;
        it->sheet = recs[i].sheet;
        it->record_sha256 = recs[i].sha256;
        it->outcome = recs[i].outcome;
        recs[i].sheet = recs[i].sha256 = recs[i].outcome = NULL;
        it->remarks = json_array();
        it->history = json_array();
        if (it->remarks == NULL || it->history == NULL) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        it->state = strcmp(it->outcome, "review") == 0 ? VQ_ITEM_OPEN
                                                      : VQ_ITEM_MACHINE;
    }
    struct fold f = {s, now_ms, 0};
    if ((rc = st_event_read(db, 1, batch, fold_event, &f)) < 0)
        goto done;
    for (int i = 0; i < s->n_items; i++) {
        vq_item *it = &s->items[i];
        if (it->claim_by && it->claim_expires_ms <= now_ms)
            set_str(&it->claim_by, NULL);
        if (it->state == VQ_ITEM_MACHINE)
            continue;
        s->n_review++;
        if (it->state == VQ_ITEM_OPEN || it->state == VQ_ITEM_REJECT_PROPOSED) {
            s->n_pending++;
            s->n_proposed += it->state == VQ_ITEM_REJECT_PROPOSED;
            s->n_claimed += it->claim_by != NULL;
        }
    }
    *out = s;
    s = NULL;
done:
    st_batch_free(b);
    st_records_free(recs, n);
    vq_batch_state_free(s);
    return rc;
}

/* ---- claims ---- */

int vq_actor_can_decide(st_db *db, const char *name)
{
    st_role role;
    int rc = st_operator_role(&role, db, name);
    if (rc < 0)
        return rc;
    if (role == ST_ROLE_AUDITOR)
        return err_set(TELLE_EINVAL, "%s is an auditor; auditors cannot "
                       "decide", name);
    return 0;
}

int vq_item_batch(char **batch, st_db *db, int64_t item)
{
    st_record *r = NULL;
    *batch = NULL;
    int rc = st_record_get(&r, db, item);
    if (rc < 0)
        return rc;
    *batch = r->batch;
    r->batch = NULL;
    st_record_free(r);
    return 0;
}

int vq_locked_item(vq_batch_state **state, vq_item **it, st_db *db,
                   int64_t item)
{
    char *batch = NULL;
    int rc;
    *state = NULL;
    *it = NULL;
    if ((rc = st_tx_begin(db)) < 0)
        return rc;
    if ((rc = vq_item_batch(&batch, db, item)) < 0 ||
        (rc = vq_batch_state_get(state, db, batch, vq_now_ms())) < 0) {
        st_tx_rollback(db);
        free(batch);
        return rc;
    }
    free(batch);
    *it = vq_batch_item_find(*state, item);
    return 0;
}

int vq_locked_end(st_db *db, vq_batch_state *state, int rc)
{
    if (rc < 0) {
        st_tx_rollback(db);
        vq_batch_state_free(state);
        return rc;
    }
    vq_batch_state_free(state);
    return st_tx_commit(db);
}

int vq_claim_blocks(const vq_item *it, const char *actor, int64_t now_ms)
{
    if (it->claim_by && strcmp(it->claim_by, actor) != 0 &&
        it->claim_expires_ms > now_ms)
        return err_set(TELLE_ESTATE, "item %" PRId64 " (%s) is claimed by %s "
                       "for another %" PRId64 " s", it->id, it->sheet,
                       it->claim_by, (it->claim_expires_ms - now_ms + 999) / 1000);
    return 0;
}

/* Checks that item can be worked on at all: a review item, batch open. */
static int item_workable(const vq_batch_state *s, const vq_item *it)
{
    if (it->state == VQ_ITEM_MACHINE)
        return err_set(TELLE_ESTATE, "item %" PRId64 " (%s) was %s by the "
                       "machine and is not in the queue", it->id, it->sheet,
                       it->outcome);
    if (s->committed)
        return err_set(TELLE_ESTATE, "batch %s is committed; undo a decision "
                       "to reopen it", s->batch);
    if (it->state == VQ_ITEM_DECIDED)
        return err_set(TELLE_ESTATE, "item %" PRId64 " (%s) is decided "
                       "already (event %" PRId64 " by %s)", it->id, it->sheet,
                       it->confirm_seq ? it->confirm_seq : it->decision_seq,
                       it->confirmed_by ? it->confirmed_by : it->decided_by);
    return 0;
}

int vq_item_claim(st_db *db, const char *actor, int64_t item, int ttl_s)
{
    vq_batch_state *s = NULL;
    vq_item *it = NULL;
    int rc;
    if ((rc = vq_actor_can_decide(db, actor)) < 0)
        return rc;
    if (ttl_s <= 0)
        ttl_s = VQ_CLAIM_TTL_S;
    if ((rc = vq_locked_item(&s, &it, db, item)) < 0)
        return rc;
    int64_t now = vq_now_ms();
    if ((rc = item_workable(s, it)) < 0 || (rc = vq_claim_blocks(it, actor, now)) < 0)
        goto fail;
    if (it->state == VQ_ITEM_REJECT_PROPOSED && strcmp(it->decided_by, actor) == 0) {
        rc = err_set(TELLE_ESTATE, "item %" PRId64 " (%s): %s proposed its "
                     "rejection; a second operator must confirm it", item,
                     it->sheet, actor);
        goto fail;
    }
    json_t *p = json_pack("{s:I, s:I}", "item", (json_int_t)item,
                          "expires_ms", (json_int_t)(now + (int64_t)ttl_s * 1000));
    rc = vq_append(db, NULL, actor, "claim", s->batch, p);
fail:
    return vq_locked_end(db, s, rc);
}

int vq_item_release(st_db *db, const char *actor, int64_t item)
{
    vq_batch_state *s = NULL;
    vq_item *it = NULL;
    int rc;
    if ((rc = vq_locked_item(&s, &it, db, item)) < 0)
        return rc;
    if (it->claim_by == NULL || strcmp(it->claim_by, actor) != 0) {
        rc = err_set(TELLE_ESTATE, "item %" PRId64 ": %s holds no claim on it",
                     item, actor);
        goto fail;
    }
    json_t *p = json_pack("{s:I}", "item", (json_int_t)item);
    rc = vq_append(db, NULL, actor, "release", s->batch, p);
fail:
    return vq_locked_end(db, s, rc);
}

int vq_item_next(int64_t *item, st_db *db, const char *actor,
                 const char *batch)
{
    vq_batch_state *s = NULL;
    *item = 0;
    int rc = vq_batch_state_get(&s, db, batch, vq_now_ms());
    if (rc < 0)
        return rc;
    if (!s->committed) {
        for (int i = 0; i < s->n_items && *item == 0; i++) {
            vq_item *it = &s->items[i];
            if (it->claim_by && strcmp(it->claim_by, actor) == 0 &&
                (it->state == VQ_ITEM_OPEN || it->state == VQ_ITEM_REJECT_PROPOSED))
                *item = it->id;
        }
        for (int i = 0; i < s->n_items && *item == 0; i++) {
            vq_item *it = &s->items[i];
            if (it->claim_by != NULL)
                continue;
            if (it->state == VQ_ITEM_OPEN ||
                (it->state == VQ_ITEM_REJECT_PROPOSED &&
                 strcmp(it->decided_by, actor) != 0))
                *item = it->id;
        }
    }
    vq_batch_state_free(s);
    return 0;
}
