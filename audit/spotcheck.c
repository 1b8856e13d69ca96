/* spotcheck.c - spot checks: the seeded draw of boxes, the machine's count
 * of a box's first N sheets, the comparison with a hand count, the log.
 *
 *   au_seed_state, au_spotcheck_draw, au_spotcheck_machine,
 *   au_spotcheck_record, au_spotcheck_log
 *
 * "The same ballots": a hand count of N ballots of a box is taken from the
 * top of the stack as it went through the scanner, so it is compared with
 * the first N sheets of the batch in scan order (the order records are
 * stored, vq_batch_state_get's items). The counters keep the stack in that
 * order, which the scanner's output tray does by itself.
 */
#include "audit/spotcheck.h"

#include "core/error.h"
#include "core/package_json.h"
#include "count/lots.h"
#include "verify/queue.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

int au_seed_state(uint64_t *state, const char *seed)
{
    *state = 0;
    if (seed == NULL || seed[0] == '\0')
        return err_set(TELLE_EINVAL, "spot check: the seed is empty");
    size_t len = strlen(seed);
    bool digits = len <= 20;
    for (size_t i = 0; digits && i < len; i++)
        digits = seed[i] >= '0' && seed[i] <= '9';
    if (digits) {
        uint64_t v = 0;
        for (size_t i = 0; i < len && digits; i++) {
            uint64_t d = (uint64_t)(seed[i] - '0');
            if (v > (UINT64_MAX - d) / 10)
                digits = false; /* does not fit: hashed like any text */
            else
                v = v * 10 + d;
        }
        if (digits) {
            *state = v;
            return 0;
        }
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)seed, len);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i];
    *state = v;
    return 0;
}

static int check_actor(st_db *db, const char *actor)
{
    st_role role;
    if (actor == NULL || st_operator_role(&role, db, actor) < 0)
        return err_set(TELLE_EINVAL, "spot check: '%s' is not an operator of %s",
                       actor ? actor : "(nobody)", st_db_path(db));
    return 0;
}

static int load_package(json_t **out, st_db *db)
{
    char *text = NULL;
    *out = NULL;
    int rc = st_package_get(&text, NULL, db);
    if (rc < 0)
        return rc;
    json_error_t je;
    *out = json_loads(text, 0, &je);
    free(text);
    if (*out == NULL)
        return err_set(TELLE_EFORMAT, "%s: stored election.json: %s",
                       st_db_path(db), je.text);
    return 0;
}

/* The committed batches (of election, when not NULL) in creation order. */
static int committed_batches(json_t **out, st_db *db, const char *election)
{
    sqlite3 *h = st_db_handle(db);
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(h,
            "SELECT b.id FROM batches b JOIN batch_states s ON s.id = b.id "
            "WHERE s.state = 'committed' AND (?1 IS NULL OR b.election = ?1) "
            "ORDER BY b.created_seq",
            -1, &st, NULL) != SQLITE_OK)
        return err_set(TELLE_EIO, "%s: %s", st_db_path(db), sqlite3_errmsg(h));
    if (election)
        sqlite3_bind_text(st, 1, election, -1, SQLITE_TRANSIENT);
    json_t *ids = json_array();
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    if (r != SQLITE_DONE) {
        json_decref(ids);
        return err_set(TELLE_EIO, "%s: reading batches: %s", st_db_path(db),
                       sqlite3_errmsg(h));
    }
    *out = ids;
    return 0;
}

int au_spotcheck_draw(json_t **out, int64_t *seq, st_db *db, const char *actor,
                      const char *seed, int boxes, const char *election)
{
    json_t *pkg = NULL, *cands = NULL, *payload = NULL;
    size_t *order = NULL;
    bool tx = false;
    int rc = 0;
    *out = NULL;
    if (seq)
        *seq = 0;
    uint64_t state;
    if ((rc = au_seed_state(&state, seed)) < 0)
        return rc;
    if (boxes < 1)
        return err_set(TELLE_EINVAL, "spot check: draw at least one box (got %d)", boxes);
    if (actor) {
        if ((rc = st_tx_begin(db)) < 0)
            return rc;
        tx = true;
        if ((rc = check_actor(db, actor)) < 0)
            goto done;
    }
    if ((rc = load_package(&pkg, db)) < 0)
        goto done;
    if (election && pkg_json_election(pkg, election) == NULL) {
        rc = err_set(TELLE_EINVAL, "spot check: no election '%s' in the package", election);
        goto done;
    }
    if ((rc = committed_batches(&cands, db, election)) < 0)
        goto done;
    size_t n = json_array_size(cands);
    if (n < (size_t)boxes) {
        rc = err_set(TELLE_ESTATE,
                     "spot check: %d boxes asked for, but only %zu batches%s%s are committed",
                     boxes, n, election ? " of " : "", election ? election : "");
        goto done;
    }
    order = malloc(n * sizeof *order);
    payload = json_pack("{s:s, s:i, s:s?, s:[], s:s, s:I}", "seed", seed, "boxes", boxes,
                        "election", election, "batches", "method", AU_SPOTCHECK_METHOD,
                        "candidates", (json_int_t)n);
    if (order == NULL || payload == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    cnt_lots_shuffle(order, n, &state);
    json_t *picked = json_object_get(payload, "batches");
    for (int i = 0; i < boxes; i++)
        json_array_append(picked, json_array_get(cands, order[i]));
    if (actor) {
        if ((rc = st_event_append_json(db, seq, actor, "spotcheck_draw", "spotcheck",
                                       payload)) < 0 ||
            (rc = st_tx_commit(db)) < 0)
            goto done;
        tx = false;
    }
    *out = payload;
    payload = NULL;
done:
    if (tx)
        st_tx_rollback(db);
    free(order);
    json_decref(payload);
    json_decref(cands);
    json_decref(pkg);
    return rc;
}

static json_t *zero_lists(json_t *el)
{
    json_t *lists = json_object();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = json_string_value(json_object_get(l, "code"));
        if (code)
            json_object_set_new(lists, code, json_integer(0));
    }
    return lists;
}

static void bump(json_t *obj, const char *key)
{
    json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

int au_spotcheck_machine(json_t **out, st_db *db, const char *batch, int n)
{
    vq_batch_state *s = NULL;
    json_t *pkg = NULL, *res = NULL;
    int rc;
    *out = NULL;
    if ((rc = vq_batch_state_get(&s, db, batch, vq_now_ms())) < 0)
        return rc;
    if (!s->committed) {
        rc = err_set(TELLE_ESTATE, "spot check: batch %s is not committed: its final "
                     "count is not made yet", batch);
        goto done;
    }
    if (n <= 0)
        n = s->n_items;
    if (n > s->n_items) {
        rc = err_set(TELLE_EINVAL, "spot check: %d ballots, but batch %s holds %d sheets",
                     n, batch, s->n_items);
        goto done;
    }
    if ((rc = load_package(&pkg, db)) < 0)
        goto done;
    json_t *el = pkg_json_election(pkg, s->election);
    res = json_pack("{s:i, s:o, s:i, s:i, s:s?, s:s?, s:i}", "ballots", n, "lists",
                    zero_lists(el), "blank", 0, "rejected", 0, "first_sheet",
                    n > 0 ? s->items[0].sheet : NULL, "last_sheet",
                    n > 0 ? s->items[n - 1].sheet : NULL, "sheets_in_box", s->n_items);
    if (res == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    json_t *lists = json_object_get(res, "lists");
    for (int k = 0; k < n; k++) {
        vq_item *it = &s->items[k];
        const char *action = NULL, *list = NULL;
        if (it->state == VQ_ITEM_MACHINE) {
            if ((rc = vq_item_record_load(db, it)) < 0)
                goto done;
            action = strcmp(it->outcome, "blank") == 0 ? "blank" : "approve";
            list = json_string_value(json_object_get(it->record, "list"));
        } else if (it->state == VQ_ITEM_DECIDED) {
            action = json_string_value(json_object_get(it->decision, "action"));
            list = json_string_value(json_object_get(it->decision, "list"));
        }
        if (action == NULL || (strcmp(action, "approve") == 0 && list == NULL)) {
            /* A committed batch has no pending item; a store that says
             * otherwise is not what the commit saw. */
            rc = err_set(TELLE_EFORMAT, "spot check: batch %s sheet %s has no decision "
                         "in effect although the batch is committed", batch, it->sheet);
            goto done;
        }
        if (strcmp(action, "blank") == 0)
            bump(res, "blank");
        else if (strcmp(action, "reject") == 0)
            bump(res, "rejected");
        else
            bump(lists, list);
    }
    *out = res;
    res = NULL;
done:
    json_decref(res);
    json_decref(pkg);
    vq_batch_state_free(s);
    return rc;
}

int au_spotcheck_record(json_t **out, int64_t *seq, st_db *db,
                        const char *actor, const au_hand_count *hc)
{
    json_t *pkg = NULL, *machine = NULL, *payload = NULL;
    st_batch *b = NULL;
    bool tx = false;
    int rc;
    *out = NULL;
    if (seq)
        *seq = 0;
    if (hc == NULL || hc->batch == NULL)
        return err_set(TELLE_EINVAL, "spot check: which batch?");
    if (hc->blank < 0 || hc->rejected < 0)
        return err_set(TELLE_EINVAL, "spot check: counts cannot be negative");
    if ((rc = st_tx_begin(db)) < 0)
        return rc;
    tx = true;
    if ((rc = check_actor(db, actor)) < 0 || (rc = st_batch_get(&b, db, hc->batch)) < 0 ||
        (rc = load_package(&pkg, db)) < 0)
        goto done;
    json_t *el = pkg_json_election(pkg, b->election);
    json_t *hand_lists = zero_lists(el);
    payload = json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:o, s:i, s:i}, s:[], s:s?}",
                        "batch", b->id, "election", b->election, "category", b->category,
                        "krets", b->krets, "ballots_checked", 0, "hand", "lists",
                        hand_lists, "blank", hc->blank, "rejected", hc->rejected,
                        "differences", "explanation",
                        hc->explanation && hc->explanation[0] ? hc->explanation : NULL);
    if (payload == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    long sum = hc->blank + hc->rejected;
    for (int i = 0; i < hc->n_lists; i++) {
        if (json_object_get(hand_lists, hc->lists[i]) == NULL) {
            rc = err_set(TELLE_EINVAL, "spot check: '%s' is not a list of %s",
                         hc->lists[i], b->election);
            goto done;
        }
        if (hc->list_counts[i] < 0) {
            rc = err_set(TELLE_EINVAL, "spot check: %s: counts cannot be negative",
                         hc->lists[i]);
            goto done;
        }
        json_object_set_new(hand_lists, hc->lists[i], json_integer(hc->list_counts[i]));
    }
    const char *k;
    json_t *v;
    json_object_foreach(hand_lists, k, v)
        sum += json_integer_value(v);
    int ballots = hc->ballots < 0 ? (int)sum : hc->ballots;
    if (ballots != sum) {
        rc = err_set(TELLE_EINVAL, "spot check: %d ballots counted, but lists, blank and "
                     "rejected add up to %ld", ballots, sum);
        goto done;
    }
    /* The whole box when it holds fewer than the minimum. */
    if ((rc = au_spotcheck_machine(&machine, db, b->id, -1)) < 0)
        goto done;
    int in_box = (int)json_integer_value(json_object_get(machine, "sheets_in_box"));
    if (ballots > in_box) {
        rc = err_set(TELLE_EINVAL, "spot check: %d ballots counted, but batch %s holds %d",
                     ballots, b->id, in_box);
        goto done;
    }
    if (ballots < AU_SPOTCHECK_MIN_BALLOTS && ballots < in_box) {
        rc = err_set(TELLE_EINVAL, "spot check: %d ballots is too few: count at least %d "
                     "ballots of a box, or all of it when it holds fewer (batch %s holds %d)",
                     ballots, AU_SPOTCHECK_MIN_BALLOTS, b->id, in_box);
        goto done;
    }
    json_decref(machine);
    machine = NULL;
    if ((rc = au_spotcheck_machine(&machine, db, b->id, ballots)) < 0)
        goto done;
    json_object_set_new(payload, "ballots_checked", json_integer(ballots));
    json_t *m = json_pack("{s:O, s:O, s:O}", "lists", json_object_get(machine, "lists"),
                          "blank", json_object_get(machine, "blank"), "rejected",
                          json_object_get(machine, "rejected"));
    json_object_set_new(payload, "machine", m);
    json_t *diffs = json_object_get(payload, "differences");
    size_t i;
    json_t *l;
    /* Package order, then blank and rejected. */
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = json_string_value(json_object_get(l, "code"));
        json_int_t hv = json_integer_value(json_object_get(hand_lists, code));
        json_int_t mv = json_integer_value(json_object_get(json_object_get(m, "lists"), code));
        if (hv != mv)
            json_array_append_new(diffs, json_pack("{s:s, s:I, s:I}", "what", code,
                                                   "hand", hv, "machine", mv));
    }
    const char *tail[] = {"blank", "rejected"};
    for (int t = 0; t < 2; t++) {
        json_int_t hv = t == 0 ? hc->blank : hc->rejected;
        json_int_t mv = json_integer_value(json_object_get(m, tail[t]));
        if (hv != mv)
            json_array_append_new(diffs, json_pack("{s:s, s:I, s:I}", "what", tail[t],
                                                   "hand", hv, "machine", mv));
    }
    if ((rc = st_event_append_json(db, seq, actor, "spotcheck_record", b->id, payload)) < 0 ||
        (rc = st_tx_commit(db)) < 0)
        goto done;
    tx = false;
    *out = payload;
    payload = NULL;
done:
    if (tx)
        st_tx_rollback(db);
    json_decref(payload);
    json_decref(machine);
    json_decref(pkg);
    st_batch_free(b);
    return rc;
}

typedef struct {
    json_t *log;
    int rc;
} log_ctx;

static int log_event(const st_event *ev, void *vctx)
{
    log_ctx *c = vctx;
    if (strcmp(ev->kind, "spotcheck_draw") != 0 && strcmp(ev->kind, "spotcheck_record") != 0)
        return 0;
    json_error_t je;
    json_t *p = json_loads(ev->payload, 0, &je);
    if (p == NULL) {
        c->rc = err_set(TELLE_EFORMAT, "event %lld: payload: %s", (long long)ev->seq, je.text);
        return 1;
    }
    json_array_append_new(c->log, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "seq",
                                            (json_int_t)ev->seq, "time", ev->time, "actor",
                                            ev->actor, "kind", ev->kind, "subject",
                                            ev->subject, "payload", p));
    return 0;
}

int au_spotcheck_log(json_t **out, st_db *db)
{
    log_ctx c = {json_array(), 0};
    *out = NULL;
    if (c.log == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    int rc = st_event_read(db, 1, NULL, log_event, &c);
    if (rc < 0 || c.rc < 0) {
        json_decref(c.log);
        return c.rc < 0 ? c.rc : rc;
    }
    *out = c.log;
    return 0;
}
