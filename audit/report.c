/* report.c - the replay report: collecting findings, and the report as
 * JSON (audit/replay.h documents the shape).
 *
 *   au_report_new / au_report_add   (replay_internal.h)
 *   au_report_agrees
 *   au_report_to_json
 *   au_finding_kind_name
 *   au_report_free
 */
#include "audit/replay_internal.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

au_report *au_report_new(void)
{
    return calloc(1, sizeof(au_report));
}

static int dup_or_null(char **out, const char *s)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : err_set(TELLE_ENOMEM, "out of memory");
}

int au_report_add(au_report *r, au_finding_kind kind, const char *batch,
                  const char *sheet, const char *path, const char *field,
                  const char *old_value, const char *new_value, int64_t seq,
                  const char *message)
{
    if (r->n_findings % 16 == 0) {
        au_finding *grown = realloc(r->findings, (size_t)(r->n_findings + 16)
                                                   * sizeof(*grown));
        if (!grown)
            return err_set(TELLE_ENOMEM, "out of memory");
        r->findings = grown;
    }
    au_finding *f = &r->findings[r->n_findings];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->seq = seq;
    r->n_findings++;
    if (dup_or_null(&f->batch, batch) || dup_or_null(&f->sheet, sheet)
        || dup_or_null(&f->path, path) || dup_or_null(&f->field, field)
        || dup_or_null(&f->old_value, old_value)
        || dup_or_null(&f->new_value, new_value)
        || dup_or_null(&f->message, message))
        return TELLE_ENOMEM;
    return 0;
}

bool au_report_agrees(const au_report *r)
{
    return r && r->n_findings == 0;
}

const char *au_finding_kind_name(au_finding_kind k)
{
    switch (k) {
    case AU_RECORD_DIFFERS: return "record_differs";
    case AU_IMAGE_MISSING: return "image_missing";
    case AU_IMAGE_UNREADABLE: return "image_unreadable";
    case AU_IMAGE_EXTRA: return "image_extra";
    case AU_PAGE_HASH: return "page_hash";
    case AU_RECORD_HASH: return "record_hash";
    case AU_TALLY_DIFFERS: return "tally_differs";
    case AU_DECISION_HASH: return "decision_hash";
    case AU_CHAIN: return "chain";
    case AU_STORE: return "store";
    }
    return "unknown";
}

static const char *chain_problem_name(st_chain_problem p)
{
    switch (p) {
    case ST_CHAIN_OK: return "ok";
    case ST_CHAIN_HASH_MISMATCH: return "hash_mismatch";
    case ST_CHAIN_PREV_MISMATCH: return "prev_mismatch";
    case ST_CHAIN_GAP: return "gap";
    case ST_CHAIN_REORDERED: return "reordered";
    }
    return "unknown";
}

/* A string, or JSON null for NULL. */
static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Values are kept as JSON text; shown as the values they are, or as the
 * text when it does not parse (a raw string). */
static json_t *value_of(const char *text)
{
    if (!text)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

/* Sets key on o, taking the reference; reports allocation failure. */
static int put(json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        return err_set(TELLE_ENOMEM, "out of memory");
    return 0;
}

static int finding_json(json_t **out, const au_finding *f)
{
    *out = NULL;
    json_t *o = json_object();
    if (!o)
        return err_set(TELLE_ENOMEM, "out of memory");
    int rc = 0;
    switch (f->kind) {
    case AU_RECORD_DIFFERS:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "sheet", str_or_null(f->sheet))
             || put(o, "field", str_or_null(f->field))
             || put(o, "old", value_of(f->old_value))
             || put(o, "new", value_of(f->new_value));
        break;
    case AU_IMAGE_MISSING:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "sheet", str_or_null(f->sheet))
             || put(o, "path", str_or_null(f->path));
        break;
    case AU_IMAGE_UNREADABLE:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "sheet", str_or_null(f->sheet))
             || put(o, "path", str_or_null(f->path))
             || put(o, "message", str_or_null(f->message));
        break;
    case AU_IMAGE_EXTRA:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "path", str_or_null(f->path));
        break;
    case AU_PAGE_HASH:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "sheet", str_or_null(f->sheet))
             || put(o, "path", str_or_null(f->path))
             || put(o, "field", str_or_null(f->field))
             || put(o, "stored", str_or_null(f->old_value))
             || put(o, "pixels", str_or_null(f->new_value));
        break;
    case AU_TALLY_DIFFERS:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "field", str_or_null(f->field))
             || put(o, "committed", value_of(f->old_value))
             || put(o, "derived", value_of(f->new_value))
             || put(o, "seq", json_integer(f->seq));
        break;
    case AU_DECISION_HASH:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "sheet", str_or_null(f->sheet))
             || put(o, "seq", json_integer(f->seq))
             || put(o, "named", str_or_null(f->old_value))
             || put(o, "record", str_or_null(f->new_value));
        break;
    case AU_RECORD_HASH:
    case AU_CHAIN:
    case AU_STORE:
        rc = put(o, "batch", str_or_null(f->batch))
             || put(o, "sheet", str_or_null(f->sheet))
             || put(o, "seq", json_integer(f->seq))
             || put(o, "message", str_or_null(f->message));
        break;
    }
    if (rc) {
        json_decref(o);
        return TELLE_ENOMEM;
    }
    *out = o;
    return 0;
}

/* The report's array for a finding kind. */
static const char *array_key(au_finding_kind k)
{
    switch (k) {
    case AU_RECORD_DIFFERS: return "differing";
    case AU_IMAGE_MISSING: return "missing_images";
    case AU_IMAGE_UNREADABLE: return "unreadable_images";
    case AU_IMAGE_EXTRA: return "extra_images";
    case AU_PAGE_HASH: return "hash_mismatches";
    case AU_RECORD_HASH: return "record_hash_mismatches";
    case AU_TALLY_DIFFERS: return "tally_differences";
    case AU_DECISION_HASH: return "decision_mismatches";
    case AU_CHAIN: return "chain_problems";
    case AU_STORE: return "other";
    }
    return "other";
}

int au_report_to_json(json_t **out, const au_report *r)
{
    *out = NULL;
    if (!r)
        return err_set(TELLE_EINVAL, "au_report_to_json: no report");
    static const au_finding_kind kinds[] = {
        AU_RECORD_DIFFERS, AU_IMAGE_MISSING, AU_IMAGE_UNREADABLE,
        AU_IMAGE_EXTRA, AU_PAGE_HASH, AU_RECORD_HASH, AU_TALLY_DIFFERS,
        AU_DECISION_HASH, AU_CHAIN, AU_STORE,
    };
    json_t *o = json_object(), *sheets = json_object(), *chain = json_object();
    int rc = TELLE_ENOMEM;
    if (!o || !sheets || !chain)
        goto done;
    if (put(sheets, "checked", json_integer(r->sheets_checked))
        || put(sheets, "identical", json_integer(r->sheets_identical))
        || put(sheets, "differing", json_integer(r->sheets_differing))
        || put(sheets, "not_reread", json_integer(r->sheets_not_reread)))
        goto done;
    if (put(chain, "entries", json_integer(r->chain.entries))
        || put(chain, "head", json_string(r->chain.head_hash))
        || put(chain, "ok", json_boolean(r->chain.first_bad_seq == 0))
        || put(chain, "seq", json_integer(r->chain.first_bad_seq))
        || put(chain, "problem", json_string(chain_problem_name(r->chain.problem)))
        || put(chain, "message", json_string(r->chain.message)))
        goto done;
    int bad = put(o, "sheets", sheets);
    sheets = NULL; /* put took it, or released it on failure */
    if (bad)
        goto done;
    bad = put(o, "chain", chain);
    chain = NULL;
    if (bad)
        goto done;
    if (put(o, "agrees", json_boolean(au_report_agrees(r)))
        || put(o, "seconds", json_real(r->seconds))
        || put(o, "package_sha256", json_string(r->package_sha256))
        || put(o, "batches", json_integer(r->batches))
        || put(o, "pages_checked", json_integer(r->pages_checked))
        || put(o, "batches_committed", json_integer(r->batches_committed))
        || put(o, "tallies_compared", json_integer(r->tallies_compared))
        || put(o, "decisions_checked", json_integer(r->decisions_checked))
        || put(o, "records_bad", json_integer(r->records_bad))
        || put(o, "unnamed_non_ballot", json_integer(r->unnamed_non_ballot)))
        goto done;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        json_t *a = json_array();
        if (!a || put(o, array_key(kinds[k]), a))
            goto done;
        for (int i = 0; i < r->n_findings; i++) {
            if (r->findings[i].kind != kinds[k])
                continue;
            json_t *f;
            if (finding_json(&f, &r->findings[i]))
                goto done;
            if (json_array_append_new(a, f) != 0)
                goto done;
        }
    }
    *out = o;
    o = NULL;
    rc = 0;
done:
    if (rc)
        err_set(TELLE_ENOMEM, "out of memory");
    json_decref(o);
    json_decref(sheets);
    json_decref(chain);
    return rc;
}

void au_report_free(au_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_findings; i++) {
        au_finding *f = &r->findings[i];
        free(f->batch);
        free(f->sheet);
        free(f->path);
        free(f->field);
        free(f->old_value);
        free(f->new_value);
        free(f->message);
    }
    free(r->findings);
    free(r);
}
