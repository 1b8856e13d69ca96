/* records.c - what the count is made from: the election package, batches,
 * their archived pages and the sheet records recognition wrote. Every
 * insertion is logged as an event in the same transaction.
 *
 *   st_package_put, st_package_get
 *   st_category_valid
 *   st_batch_add, st_batch_get, st_batch_free, st_batch_list, st_strv_free
 *   st_page_add, st_page_list, st_pages_free
 *   st_record_add, st_record_get, st_record_free, st_record_list,
 *   st_records_free, st_records_verify
 */
#include "store/store_internal.h"

#include "core/error.h"
#include "core/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(void) { return err_set(TELLE_ENOMEM, "out of memory"); }

/* Runs an insert with already-bound statement; maps errors. */
static int step_done(st_db *db, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return st_sql_error(db, what);
    return 0;
}

static int exists(st_db *db, const char *sql, const char *key, bool *yes)
{
    sqlite3_stmt *st = NULL;
    int rc = st_prepare(db, &st, sql);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *yes = true;
    else if (s == SQLITE_DONE)
        *yes = false;
    else
        rc = st_sql_error(db, "lookup");
    sqlite3_finalize(st);
    return rc;
}

struct package_ctx {
    const char *actor, *json, *dir;
};

static int package_put_tx(st_db *db, void *vctx)
{
    struct package_ctx *c = vctx;
    sqlite3_stmt *st = NULL;
    json_t *payload = NULL;
    char sha[HASH_HEX_LEN + 1], now[32];
    bool have = false;
    int rc;
    if ((rc = exists(db, "SELECT 1 FROM package WHERE id = 1 AND ? IS NULL",
                     NULL, &have)) < 0)
        return rc;
    if (have)
        return err_set(TELLE_ESTATE, "%s: an election package is already "
                       "stored; a count holds exactly one", db->path);
    hash_sha256_buffer(sha, c->json, strlen(c->json));
    st_time_now(now);
    if ((rc = st_prepare(db, &st, "INSERT INTO package (id, election_json, "
                                  "sha256, dir, loaded) VALUES (1,?,?,?,?)")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, c->json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    rc = step_done(db, st, "store package");
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    payload = json_pack("{s:s, s:s?}", "sha256", sha, "dir", c->dir);
    if (payload == NULL)
        return oom();
    rc = st_event_append_json(db, NULL, c->actor, "package_init", sha, payload);
    json_decref(payload);
    return rc;
}

int st_package_put(st_db *db, const char *actor, const char *election_json,
                   const char *dir)
{
    if (election_json == NULL || election_json[0] == '\0')
        return err_set(TELLE_EINVAL, "%s: empty election.json", db->path);
    struct package_ctx c = {actor ? actor : "system", election_json, dir};
    return st_in_tx(db, package_put_tx, &c);
}

int st_package_get(char **json_out, char **sha256_out, st_db *db)
{
    sqlite3_stmt *st = NULL;
    int rc, o = 0;
    char *j = NULL, *h = NULL;
    if (json_out)
        *json_out = NULL;
    if (sha256_out)
        *sha256_out = NULL;
    if ((rc = st_prepare(db, &st, "SELECT election_json, sha256 FROM package "
                                  "WHERE id = 1")) < 0)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = err_set(TELLE_ESTATE, "%s: no election package stored (run "
                     "`telle init --package DIR`)", db->path);
    } else if (s != SQLITE_ROW) {
        rc = st_sql_error(db, "read package");
    } else {
        j = st_column_dup(st, 0, &o);
        h = st_column_dup(st, 1, &o);
        if (o) {
            free(j);
            free(h);
            rc = oom();
        } else {
            if (json_out)
                *json_out = j;
            else
                free(j);
            if (sha256_out)
                *sha256_out = h;
            else
                free(h);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

bool st_category_valid(const char *c)
{
    static const char *const CATS[] = {"FO", "FS", "VO", "VS", "VB"};
    if (c == NULL)
        return false;
    for (size_t i = 0; i < sizeof CATS / sizeof CATS[0]; i++)
        if (strcmp(c, CATS[i]) == 0)
            return true;
    return false;
}

int st_batch_add(st_db *db, const char *actor, const char *id,
                 const char *election, const char *krets,
                 const char *category)
{
    sqlite3_stmt *st = NULL;
    json_t *payload = NULL;
    int64_t seq = 0;
    bool have = false;
    int rc;
    if (id == NULL || id[0] == '\0' || election == NULL || election[0] == '\0'
        || krets == NULL || krets[0] == '\0')
        return err_set(TELLE_EINVAL, "%s: a batch needs an id, an election "
                       "and a krets", db->path);
    if (!st_category_valid(category))
        return err_set(TELLE_EINVAL, "%s: batch %s: category '%s' is not one "
                       "of FO FS VO VS VB", db->path, id,
                       category ? category : "");
    if ((rc = exists(db, "SELECT 1 FROM batches WHERE id = ?", id, &have)) < 0)
        return rc;
    if (have)
        return err_set(TELLE_ESTATE, "%s: batch %s already exists", db->path,
                       id);
    payload = json_pack("{s:s, s:s, s:s}", "election", election, "krets",
                        krets, "category", category);
    if (payload == NULL)
        return oom();
    rc = st_event_append_json(db, &seq, actor, "batch_add", id, payload);
    json_decref(payload);
    if (rc < 0)
        return rc;
    if ((rc = st_prepare(db, &st, "INSERT INTO batches (id, election, krets, "
                                  "category, created_seq) VALUES (?,?,?,?,?)")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, election, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, krets, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, seq);
    rc = step_done(db, st, "add batch");
    sqlite3_finalize(st);
    return rc;
}

void st_batch_free(st_batch *b)
{
    if (b == NULL)
        return;
    free(b->id);
    free(b->election);
    free(b->krets);
    free(b->category);
    free(b);
}

int st_batch_get(st_batch **out, st_db *db, const char *id)
{
    sqlite3_stmt *st = NULL;
    st_batch *b = NULL;
    int rc, o = 0;
    *out = NULL;
    if ((rc = st_prepare(db, &st, "SELECT id, election, krets, category FROM "
                                  "batches WHERE id = ?")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = err_set(TELLE_EINVAL, "%s: no batch '%s'", db->path, id);
        goto done;
    }
    if (s != SQLITE_ROW) {
        rc = st_sql_error(db, "read batch");
        goto done;
    }
    if ((b = calloc(1, sizeof *b)) == NULL) {
        rc = oom();
        goto done;
    }
    b->id = st_column_dup(st, 0, &o);
    b->election = st_column_dup(st, 1, &o);
    b->krets = st_column_dup(st, 2, &o);
    b->category = st_column_dup(st, 3, &o);
    if (o) {
        rc = oom();
        goto done;
    }
    *out = b;
    b = NULL;
done:
    st_batch_free(b);
    sqlite3_finalize(st);
    return rc;
}

void st_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

int st_batch_list(char ***ids, st_db *db)
{
    sqlite3_stmt *st = NULL;
    char **v = NULL;
    size_t n = 0;
    int rc, o = 0;
    *ids = NULL;
    if ((rc = st_prepare(db, &st, "SELECT id FROM batches ORDER BY created_seq")) < 0)
        return rc;
    if ((v = calloc(1, sizeof *v)) == NULL) {
        rc = oom();
        goto done;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        char **nv = realloc(v, (n + 2) * sizeof *v);
        if (nv == NULL) {
            rc = oom();
            goto done;
        }
        v = nv;
        v[n] = st_column_dup(st, 0, &o);
        v[++n] = NULL;
        if (o) {
            rc = oom();
            goto done;
        }
    }
    if (s != SQLITE_DONE) {
        rc = st_sql_error(db, "list batches");
        goto done;
    }
    *ids = v;
    v = NULL;
done:
    st_strv_free(v);
    sqlite3_finalize(st);
    return rc;
}

int st_page_add(st_db *db, const char *actor, const char *batch,
                const char *sheet, const char *side, const char *archive_path,
                int file_page, const char *sha256)
{
    sqlite3_stmt *st = NULL;
    json_t *payload = NULL;
    bool have = false;
    int rc;
    if (batch == NULL || sheet == NULL || archive_path == NULL ||
        sha256 == NULL || file_page < 1)
        return err_set(TELLE_EINVAL, "%s: a page needs a batch, a sheet, an "
                       "archive path, a page number and a hash", db->path);
    if ((rc = exists(db, "SELECT 1 FROM batches WHERE id = ?", batch, &have)) < 0)
        return rc;
    if (!have)
        return err_set(TELLE_EINVAL, "%s: page of %s: no batch '%s'",
                       db->path, sheet, batch);
    payload = json_pack("{s:s, s:s?, s:s, s:i, s:s}", "sheet", sheet, "side",
                        side, "archive_path", archive_path, "file_page",
                        file_page, "sha256", sha256);
    if (payload == NULL)
        return oom();
    rc = st_event_append_json(db, NULL, actor, "page_add", batch, payload);
    json_decref(payload);
    if (rc < 0)
        return rc;
    if ((rc = st_prepare(db, &st, "INSERT INTO pages (batch, sheet, side, "
                                  "archive_path, file_page, sha256) VALUES "
                                  "(?,?,?,?,?,?)")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, batch, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sheet, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, side, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, archive_path, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, file_page);
    sqlite3_bind_text(st, 6, sha256, -1, SQLITE_STATIC);
    rc = step_done(db, st, "add page");
    sqlite3_finalize(st);
    return rc;
}

void st_pages_free(st_page *pages, int n)
{
    if (pages == NULL)
        return;
    for (int i = 0; i < n; i++) {
        free(pages[i].sheet);
        free(pages[i].side);
        free(pages[i].archive_path);
        free(pages[i].sha256);
    }
    free(pages);
}

int st_page_list(st_page **pages, int *n, st_db *db, const char *batch,
                 const char *sheet)
{
    sqlite3_stmt *st = NULL;
    st_page *v = NULL;
    int count = 0, rc, o = 0;
    *pages = NULL;
    *n = 0;
    if ((rc = st_prepare(db, &st, "SELECT sheet, side, archive_path, "
                                  "file_page, sha256 FROM pages WHERE batch = ?"
                                  " AND sheet = ? ORDER BY id")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, batch, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sheet, -1, SQLITE_STATIC);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        st_page *nv = realloc(v, (size_t)(count + 1) * sizeof *v);
        if (nv == NULL) {
            rc = oom();
            goto done;
        }
        v = nv;
        st_page *p = &v[count++];
        memset(p, 0, sizeof *p);
        p->sheet = st_column_dup(st, 0, &o);
        p->side = st_column_dup(st, 1, &o);
        p->archive_path = st_column_dup(st, 2, &o);
        p->file_page = sqlite3_column_int(st, 3);
        p->sha256 = st_column_dup(st, 4, &o);
        if (o) {
            rc = oom();
            goto done;
        }
    }
    if (s != SQLITE_DONE) {
        rc = st_sql_error(db, "list pages");
        goto done;
    }
    *pages = v;
    *n = count;
    v = NULL;
done:
    if (v)
        st_pages_free(v, count);
    sqlite3_finalize(st);
    return rc;
}

int st_record_add(st_db *db, int64_t *id_out, char sha256_out[65],
                  const char *actor, const char *batch, const char *sheet,
                  const char *record)
{
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL, *payload = NULL;
    json_error_t jerr;
    char sha[HASH_HEX_LEN + 1];
    bool have = false;
    int rc = 0;
    if (id_out)
        *id_out = 0;
    if (batch == NULL || sheet == NULL || record == NULL)
        return err_set(TELLE_EINVAL, "%s: a record needs a batch, a sheet and "
                       "its text", db->path);
    if ((rec = json_loads(record, 0, &jerr)) == NULL || !json_is_object(rec)) {
        rc = err_set(TELLE_EINVAL, "%s: record %s: not a JSON object (%s)",
                     db->path, sheet, rec ? "another JSON value" : jerr.text);
        goto done;
    }
    if ((rc = exists(db, "SELECT 1 FROM batches WHERE id = ?", batch, &have)) < 0)
        goto done;
    if (!have) {
        rc = err_set(TELLE_EINVAL, "%s: record %s: no batch '%s'", db->path,
                     sheet, batch);
        goto done;
    }
    hash_sha256_buffer(sha, record, strlen(record));
    const char *oc = json_string_value(json_object_get(rec, "outcome"));
    if (oc == NULL || (strcmp(oc, "approved") != 0 && strcmp(oc, "blank") != 0))
        oc = "review";
    if ((rc = st_prepare(db, &st, "INSERT INTO sheet_records (batch, sheet, "
                                  "record, sha256, outcome) VALUES (?,?,?,?,?)")) < 0)
        goto done;
    sqlite3_bind_text(st, 1, batch, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sheet, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, record, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, oc, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = st_sql_error(db, "add record");
        if (rc == TELLE_ESTATE)
            rc = err_set(TELLE_ESTATE, "%s: batch %s already has a record for "
                         "sheet %s", db->path, batch, sheet);
        goto done;
    }
    int64_t id = sqlite3_last_insert_rowid(db->db);
    json_t *outcome = json_object_get(rec, "outcome");
    payload = json_pack("{s:I, s:s, s:s, s:O?}", "item", (json_int_t)id,
                        "sheet", sheet, "sha256", sha, "outcome", outcome);
    if (payload == NULL) {
        rc = oom();
        goto done;
    }
    if ((rc = st_event_append_json(db, NULL, actor, "record_add", batch,
                                   payload)) < 0)
        goto done;
    if (id_out)
        *id_out = id;
    if (sha256_out)
        memcpy(sha256_out, sha, sizeof sha);
done:
    json_decref(rec);
    json_decref(payload);
    sqlite3_finalize(st);
    return rc;
}

static void record_clear(st_record *r)
{
    free(r->batch);
    free(r->sheet);
    free(r->record);
    free(r->sha256);
    free(r->outcome);
}

void st_record_free(st_record *r)
{
    if (r == NULL)
        return;
    record_clear(r);
    free(r);
}

void st_records_free(st_record *r, int n)
{
    if (r == NULL)
        return;
    for (int i = 0; i < n; i++)
        record_clear(&r[i]);
    free(r);
}

static int record_from_row(st_record *r, sqlite3_stmt *st)
{
    int o = 0;
    r->id = sqlite3_column_int64(st, 0);
    r->batch = st_column_dup(st, 1, &o);
    r->sheet = st_column_dup(st, 2, &o);
    r->record = st_column_dup(st, 3, &o);
    r->sha256 = st_column_dup(st, 4, &o);
    r->outcome = st_column_dup(st, 5, &o);
    return o ? oom() : 0;
}

int st_record_get(st_record **out, st_db *db, int64_t id)
{
    sqlite3_stmt *st = NULL;
    st_record *r = NULL;
    int rc;
    *out = NULL;
    if ((rc = st_prepare(db, &st, "SELECT id, batch, sheet, record, sha256, "
                                  "outcome FROM sheet_records WHERE id = ?")) < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = err_set(TELLE_EINVAL, "%s: no item %" PRId64, db->path, id);
        goto done;
    }
    if (s != SQLITE_ROW) {
        rc = st_sql_error(db, "read record");
        goto done;
    }
    if ((r = calloc(1, sizeof *r)) == NULL) {
        rc = oom();
        goto done;
    }
    if ((rc = record_from_row(r, st)) < 0)
        goto done;
    *out = r;
    r = NULL;
done:
    st_record_free(r);
    sqlite3_finalize(st);
    return rc;
}

int st_record_list(st_record **out, int *n, st_db *db, const char *batch,
                   bool with_text)
{
    sqlite3_stmt *st = NULL;
    st_record *v = NULL;
    int count = 0, rc;
    *out = NULL;
    *n = 0;
    if ((rc = st_prepare(db, &st, with_text
            ? "SELECT id, batch, sheet, record, sha256, outcome FROM "
              "sheet_records WHERE batch = ? ORDER BY id"
            : "SELECT id, batch, sheet, NULL, sha256, outcome FROM "
              "sheet_records WHERE batch = ? ORDER BY id")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, batch, -1, SQLITE_STATIC);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        st_record *nv = realloc(v, (size_t)(count + 1) * sizeof *v);
        if (nv == NULL) {
            rc = oom();
            goto done;
        }
        v = nv;
        memset(&v[count], 0, sizeof v[count]);
        if ((rc = record_from_row(&v[count++], st)) < 0)
            goto done;
    }
    if (s != SQLITE_DONE) {
        rc = st_sql_error(db, "list records");
        goto done;
    }
    *out = v;
    *n = count;
    v = NULL;
done:
    st_records_free(v, count);
    sqlite3_finalize(st);
    return rc;
}

int st_records_verify(int64_t *bad, char msg[256], st_db *db)
{
    sqlite3_stmt *st = NULL;
    int rc;
    *bad = 0;
    msg[0] = '\0';
    /* Each record with the hash its record_add event carries (NULL when
     * the event is missing). The events' items are materialised first, so
     * SQLite indexes them for the join: as a plain subquery it re-read
     * every event for every record (30 s for 2,000 records). */
    if ((rc = st_prepare(db, &st,
            "WITH e AS MATERIALIZED"
            " (SELECT json_extract(payload, '$.item') AS item,"
            "  json_extract(payload, '$.sha256') AS logged FROM events"
            "  WHERE kind = 'record_add')"
            " SELECT r.id, r.batch, r.sheet, r.record, r.sha256, e.logged"
            " FROM sheet_records r LEFT JOIN e ON e.item = r.id"
            " ORDER BY r.id")) < 0)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *batch = (const char *)sqlite3_column_text(st, 1);
        const char *sheet = (const char *)sqlite3_column_text(st, 2);
        const char *text = (const char *)sqlite3_column_text(st, 3);
        const char *stored = (const char *)sqlite3_column_text(st, 4);
        const char *logged = (const char *)sqlite3_column_text(st, 5);
        char sha[HASH_HEX_LEN + 1];
        const char *problem = NULL;
        hash_sha256_buffer(sha, text ? text : "", text ? strlen(text) : 0);
        if (stored == NULL || strcmp(sha, stored) != 0)
            problem = "its text does not have its stored hash (edited)";
        else if (logged == NULL)
            problem = "no record_add event names it (inserted directly)";
        else if (strcmp(logged, stored) != 0)
            problem = "its hash differs from the one its record_add event "
                      "logged (edited together with its hash)";
        if (problem) {
            if (*bad == 0)
                snprintf(msg, 256, "record %" PRId64 " (batch %s, sheet %s): %s",
                         (int64_t)sqlite3_column_int64(st, 0),
                         batch ? batch : "?", sheet ? sheet : "?", problem);
            (*bad)++;
        }
    }
    if (s != SQLITE_DONE)
        rc = st_sql_error(db, "verify records");
    sqlite3_finalize(st);
    return rc;
}
