/* counts_db.c - the counts document of a store: the inputs of
 * cnt_counts_build read from the package, the batches, their commits and
 * the count events.
 *
 *   counts_from_db
 */
#include "cli/counts_db.h"

#include "core/error.h"
#include "count/counts.h"
#include "verify/queue.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static json_t *payload_parse(const st_event *ev)
{
    json_error_t jerr;
    json_t *p = json_loads(ev->payload, JSON_REJECT_DUPLICATES, &jerr);
    if (p == NULL || !json_is_object(p)) {
        json_decref(p);
        err_set(TELLE_EFORMAT, "event %" PRId64 " (%s): payload does not parse: %s",
                ev->seq, ev->kind, p ? "not an object" : jerr.text);
        return NULL;
    }
    return p;
}

/* st_event_read callback: the kinds the counts use, as cnt_counts_build
 * takes them. */
static int event_take(const st_event *ev, void *ctx)
{
    json_t *events = ctx;
    if (strcmp(ev->kind, "prelim") != 0 && strcmp(ev->kind, "difference_explanation") != 0 &&
        strcmp(ev->kind, "spotcheck_record") != 0)
        return 0;
    json_t *p = payload_parse(ev);
    if (p == NULL)
        return err_code();
    json_t *e = json_pack("{s:I, s:s, s:s, s:s, s:o}", "seq", (json_int_t)ev->seq,
                          "time", ev->time, "actor", ev->actor, "kind", ev->kind,
                          "payload", p);
    if (e == NULL || json_array_append_new(events, e) < 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    return 0;
}

/* One entry of cnt_counts_build's batches array. */
static int batch_entry(json_t **out, st_db *db, const char *id)
{
    vq_batch_state *s = NULL;
    st_event *ev = NULL;
    json_t *tallies = NULL;
    *out = NULL;
    int rc = vq_batch_state_get(&s, db, id, vq_now_ms());
    if (rc < 0)
        goto done;
    if (s->committed) {
        if ((rc = st_event_get(&ev, db, s->commit_seq)) < 0)
            goto done;
        if (strcmp(ev->kind, "batch_commit") != 0 || strcmp(ev->subject, id) != 0) {
            rc = err_set(TELLE_EFORMAT, "batch %s: event %" PRId64 " is not its "
                         "batch_commit", id, s->commit_seq);
            goto done;
        }
        if ((tallies = payload_parse(ev)) == NULL) {
            rc = err_code();
            goto done;
        }
    }
    *out = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "batch", s->batch, "election",
                     s->election, "krets", s->krets, "category", s->category,
                     "committed", s->committed, "tallies",
                     tallies ? tallies : json_null());
    tallies = NULL;
    if (*out == NULL)
        rc = err_set(TELLE_ENOMEM, "out of memory");
done:
    json_decref(tallies);
    st_event_free(ev);
    vq_batch_state_free(s);
    return rc;
}

int counts_from_db(json_t **out, st_db *db)
{
    char *pkg = NULL, *sha = NULL, **ids = NULL;
    json_t *batches = json_array(), *events = json_array();
    int rc;
    *out = NULL;
    if (batches == NULL || events == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = st_package_get(&pkg, &sha, db)) < 0 || (rc = st_batch_list(&ids, db)) < 0)
        goto done;
    for (size_t i = 0; ids[i] != NULL; i++) {
        json_t *b = NULL;
        if ((rc = batch_entry(&b, db, ids[i])) < 0)
            goto done;
        if (json_array_append_new(batches, b) < 0) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
    }
    if ((rc = st_event_read(db, 1, NULL, event_take, events)) < 0)
        goto done;
    rc = cnt_counts_build(out, pkg, sha, batches, events);
done:
    json_decref(batches);
    json_decref(events);
    st_strv_free(ids);
    free(pkg);
    free(sha);
    return rc;
}
