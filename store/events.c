/* events.c - the append-only event log and its hash chain.
 *
 *   st_event_append, st_event_append_json, st_event_read, st_event_get, st_event_free
 *   st_canonical_hash, st_chain_verify
 */
#include "store/store_internal.h"

#include "core/error.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ZERO_HASH[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void hash_field(crypto_hash_sha256_state *h, const char *s)
{
    char len[24];
    size_t n = s ? strlen(s) : 0;
    int k = snprintf(len, sizeof len, "%zu:", n);
    crypto_hash_sha256_update(h, (const unsigned char *)len, (size_t)k);
    if (n > 0)
        crypto_hash_sha256_update(h, (const unsigned char *)s, n);
    crypto_hash_sha256_update(h, (const unsigned char *)"\n", 1);
}

void st_canonical_hash(char hex[65], int64_t seq, const char *time,
                       const char *actor, const char *kind,
                       const char *subject, const char *payload,
                       const char *prev_hash)
{
    static const char MAGIC[] = "telle-event/1\n";
    crypto_hash_sha256_state h;
    unsigned char out[crypto_hash_sha256_BYTES];
    char seqs[24];
    snprintf(seqs, sizeof seqs, "%" PRId64, seq);
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)MAGIC,
                              sizeof MAGIC - 1);
    hash_field(&h, seqs);
    hash_field(&h, time);
    hash_field(&h, actor);
    hash_field(&h, kind);
    hash_field(&h, subject);
    hash_field(&h, payload);
    hash_field(&h, prev_hash);
    crypto_hash_sha256_final(&h, out);
    sodium_bin2hex(hex, 65, out, sizeof out);
}

static bool is_json_object(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    bool ok = j != NULL && json_is_object(j);
    json_decref(j);
    return ok;
}

int st_event_append(st_db *db, int64_t *seq_out, const char *actor,
                    const char *kind, const char *subject,
                    const char *payload)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (seq_out)
        *seq_out = 0;
    if (actor == NULL || actor[0] == '\0' || kind == NULL || kind[0] == '\0')
        return err_set(TELLE_EINVAL, "%s: event without actor or kind",
                       db->path);
    if (subject == NULL)
        subject = "";
    if (payload == NULL)
        payload = "{}";
    if (!is_json_object(payload))
        return err_set(TELLE_EINVAL, "%s: event %s: payload is not a JSON "
                       "object", db->path, kind);
    if (db->tx_depth == 0)
        return err_set(TELLE_ESTATE, "%s: event %s appended outside a "
                       "transaction", db->path, kind);

    int64_t seq = 1;
    char prev[65], hash[65], now[32];
    memcpy(prev, ZERO_HASH, sizeof prev);
    if ((rc = st_prepare(db, &st, "SELECT seq, hash FROM events ORDER BY seq "
                                  "DESC LIMIT 1")) < 0)
        goto done;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0) + 1;
        const unsigned char *h = sqlite3_column_text(st, 1);
        snprintf(prev, sizeof prev, "%s", h ? (const char *)h : "");
    } else if (s != SQLITE_DONE) {
        rc = st_sql_error(db, "read chain head");
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;

    st_time_now(now);
    st_canonical_hash(hash, seq, now, actor, kind, subject, payload, prev);
    if ((rc = st_prepare(db, &st,
                         "INSERT INTO events (seq, time, actor, kind, subject,"
                         " payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)")) < 0)
        goto done;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, payload, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = st_sql_error(db, "append event");
        goto done;
    }
    if (seq_out)
        *seq_out = seq;
done:
    sqlite3_finalize(st);
    return rc;
}

int st_event_append_json(st_db *db, int64_t *seq_out, const char *actor,
                         const char *kind, const char *subject,
                         const json_t *payload)
{
    if (seq_out)
        *seq_out = 0;
    if (!json_is_object(payload))
        return err_set(TELLE_EINVAL, "%s: event %s: payload is not a JSON "
                       "object", db->path, kind ? kind : "?");
    char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return err_set(TELLE_ENOMEM, "%s: event %s: cannot serialise payload",
                       db->path, kind ? kind : "?");
    int rc = st_event_append(db, seq_out, actor, kind, subject, text);
    free(text);
    return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static void event_from_row(st_event *ev, sqlite3_stmt *st)
{
    ev->seq = sqlite3_column_int64(st, 0);
    ev->time = (char *)col(st, 1);
    ev->actor = (char *)col(st, 2);
    ev->kind = (char *)col(st, 3);
    ev->subject = (char *)col(st, 4);
    ev->payload = (char *)col(st, 5);
    ev->prev_hash = (char *)col(st, 6);
    ev->hash = (char *)col(st, 7);
}

#define EVENT_COLUMNS "seq, time, actor, kind, subject, payload, prev_hash, hash"

int st_event_read(st_db *db, int64_t from_seq, const char *subject,
                  st_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = st_prepare(db, &st, subject
        ? "SELECT " EVENT_COLUMNS " FROM events WHERE seq >= ? AND subject = ?"
          " ORDER BY seq"
        : "SELECT " EVENT_COLUMNS " FROM events WHERE seq >= ? ORDER BY seq");
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, from_seq);
    if (subject)
        sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        st_event ev;
        event_from_row(&ev, st);
        if ((rc = fn(&ev, ctx)) != 0)
            break;
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = st_sql_error(db, "read events");
    sqlite3_finalize(st);
    return rc;
}

void st_event_free(st_event *ev)
{
    if (ev == NULL)
        return;
    free(ev->time);
    free(ev->actor);
    free(ev->kind);
    free(ev->subject);
    free(ev->payload);
    free(ev->prev_hash);
    free(ev->hash);
    free(ev);
}

int st_event_get(st_event **out, st_db *db, int64_t seq)
{
    sqlite3_stmt *st = NULL;
    st_event *ev = NULL;
    int rc;
    *out = NULL;
    if ((rc = st_prepare(db, &st, "SELECT " EVENT_COLUMNS
                                  " FROM events WHERE seq = ?")) < 0)
        return rc;
    sqlite3_bind_int64(st, 1, seq);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = err_set(TELLE_EINVAL, "%s: no event %" PRId64, db->path, seq);
        goto done;
    }
    if (s != SQLITE_ROW) {
        rc = st_sql_error(db, "read event");
        goto done;
    }
    int oom = 0;
    if ((ev = calloc(1, sizeof *ev)) == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    ev->seq = sqlite3_column_int64(st, 0);
    ev->time = st_column_dup(st, 1, &oom);
    ev->actor = st_column_dup(st, 2, &oom);
    ev->kind = st_column_dup(st, 3, &oom);
    ev->subject = st_column_dup(st, 4, &oom);
    ev->payload = st_column_dup(st, 5, &oom);
    ev->prev_hash = st_column_dup(st, 6, &oom);
    ev->hash = st_column_dup(st, 7, &oom);
    if (oom) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    *out = ev;
    ev = NULL;
done:
    st_event_free(ev);
    sqlite3_finalize(st);
    return rc;
}

/* The seq of the entry whose stored hash is `hash`, 0 when none. */
static int64_t seq_of_hash(st_db *db, const char *hash)
{
    sqlite3_stmt *st = NULL;
    int64_t seq = 0;
    if (st_prepare(db, &st, "SELECT seq FROM events WHERE hash = ? LIMIT 1") < 0)
        return 0;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return seq;
}

static void report_bad(st_chain_report *r, int64_t seq, st_chain_problem p,
                       const char *fmt, const char *detail)
{
    r->first_bad_seq = seq;
    r->problem = p;
    snprintf(r->message, sizeof r->message, fmt, seq, detail);
}

int st_chain_verify(st_chain_report *r, st_db *db)
{
    sqlite3_stmt *st = NULL;
    int rc;
    memset(r, 0, sizeof *r);
    if ((rc = st_prepare(db, &st, "SELECT " EVENT_COLUMNS
                                  " FROM events ORDER BY seq")) < 0)
        return rc;
    int64_t prev_seq = 0;
    char prev_hash[65];
    memcpy(prev_hash, ZERO_HASH, sizeof prev_hash);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        st_event ev;
        char h[65], detail[96];
        event_from_row(&ev, st);
        r->entries++;
        st_canonical_hash(h, ev.seq, ev.time, ev.actor, ev.kind, ev.subject,
                          ev.payload, ev.prev_hash);
        bool hash_ok = strcmp(h, ev.hash) == 0;
        bool link_ok = strcmp(ev.prev_hash, prev_hash) == 0;
        if (!hash_ok || !link_ok) {
            /* Where does this entry claim to belong? If its prev_hash is the
             * hash of another entry m, it was written as entry m+1. */
            int64_t m = link_ok ? prev_seq : seq_of_hash(db, ev.prev_hash);
            if (m > 0 && m + 1 != ev.seq) {
                char h2[65];
                st_canonical_hash(h2, m + 1, ev.time, ev.actor, ev.kind,
                                  ev.subject, ev.payload, ev.prev_hash);
                if (strcmp(h2, ev.hash) == 0 || !link_ok) {
                    snprintf(detail, sizeof detail, "it was written to "
                             "follow the entry now at seq %" PRId64, m);
                    report_bad(r, ev.seq, ST_CHAIN_REORDERED,
                               "seq %" PRId64 ": reordered: %s", detail);
                    break;
                }
            }
        }
        if (ev.seq != prev_seq + 1) {
            snprintf(detail, sizeof detail, "expected seq %" PRId64
                     " after %" PRId64 ": entries are missing",
                     prev_seq + 1, prev_seq);
            report_bad(r, ev.seq, ST_CHAIN_GAP, "seq %" PRId64 ": gap: %s",
                       detail);
            break;
        }
        if (!hash_ok) {
            report_bad(r, ev.seq, ST_CHAIN_HASH_MISMATCH,
                       "seq %" PRId64 ": hash mismatch: %s",
                       "its fields (time, actor, kind, subject or payload) "
                       "were changed after it was written");
            break;
        }
        if (!link_ok) {
            report_bad(r, ev.seq, ST_CHAIN_PREV_MISMATCH,
                       "seq %" PRId64 ": prev mismatch: %s",
                       "prev_hash is not the hash of the entry before it");
            break;
        }
        prev_seq = ev.seq;
        snprintf(prev_hash, sizeof prev_hash, "%s", ev.hash);
        snprintf(r->head_hash, sizeof r->head_hash, "%s", ev.hash);
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = st_sql_error(db, "read events");
    sqlite3_finalize(st);
    return rc;
}
