/* server.c - the operators' web page over libmicrohttpd: sessions, CSRF,
 * the JSON API the page uses, page images from the archive as PNG, and the
 * page's static files. Endpoints are listed in verify/README.md.
 *
 *   vq_server_start, vq_server_port, vq_server_stop
 */
#include "verify/server.h"

#include "verify/decision.h"
#include "verify/queue.h"
#include "verify/static_files.h"

#include "core/error.h"
#include "core/hash.h"
#include "core/image.h"
#include "core/image_io.h"
#include "core/log.h"
#include "core/package_json.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


enum {
    /* Threads answering requests: a page image (30-60 ms to decode and
     * encode) must not hold up another operator's decision. */
    VQ_THREADS = 4,
    VQ_MAX_SESSIONS = 256,      /* a counting room has tens of operators */
    VQ_MAX_BODY = 256 * 1024,   /* the largest decision is a few KiB */
    VQ_DEFAULT_TTL_S = 1800,
    VQ_MAX_MATCHES = 30,
};

typedef struct {
    char token[65];
    char csrf[65];
    char name[72];
    st_role role;
    int64_t expires_ms;
} session;

struct vq_server {
    struct MHD_Daemon *daemon;
    char *db_path, *static_dir;
    int port, ttl_s;
    pthread_mutex_t lock;  /* guards sessions and dbs */
    pthread_key_t db_key;  /* each pool thread's own store connection */
    bool have_key, have_lock;
    st_db **dbs;           /* every connection opened, closed at stop */
    int n_dbs;
    session sessions[VQ_MAX_SESSIONS];
};

typedef struct {
    char *body;
    size_t len;
    bool too_big;
} request;

/* ---- responses ---- */

static enum MHD_Result send_bytes(struct MHD_Connection *c, unsigned status,
                                  const char *type, const void *data,
                                  size_t len, const char *cache,
                                  const char *set_cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", cache ? cache : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self'; "
                            "style-src 'self'; script-src 'self'; "
                            "frame-ancestors 'none'; form-action 'self'");
    if (set_cookie)
        MHD_add_response_header(r, "Set-Cookie", set_cookie);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Sends j (consumed). */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
                                 json_t *j, const char *set_cookie)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return send_bytes(c, 500, "application/json", "{\"error\":\"out of memory\"}",
                          25, NULL, NULL);
    enum MHD_Result ret = send_bytes(c, status, "application/json; charset=utf-8",
                                     text, strlen(text), NULL, set_cookie);
    free(text);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *msg)
{
    return send_json(c, status, json_pack("{s:s}", "error", msg), NULL);
}

/* Maps a library error to an HTTP status and sends its message. */
static enum MHD_Result send_lib_error(struct MHD_Connection *c, int rc)
{
    unsigned status = rc == TELLE_EINVAL ? 400 : rc == TELLE_ESTATE ? 409 : 500;
    return send_error(c, status, err_message());
}

/* ---- sessions ---- */

static void random_hex(char out[65])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, 65, b, sizeof b);
}

/* Copies the request's live session into *out and extends it; false when
 * there is none (or it expired). Copies, because another thread may reuse
 * the slot once the lock is released. */
static bool session_get(session *out, vq_server *s, struct MHD_Connection *c)
{
    const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
                                                  "telle_session");
    int64_t now = vq_now_ms();
    bool found = false;
    if (tok == NULL || strlen(tok) != 64)
        return false;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < VQ_MAX_SESSIONS && !found; i++) {
        session *ss = &s->sessions[i];
        if (ss->token[0] && sodium_memcmp(ss->token, tok, 64) == 0) {
            if (ss->expires_ms <= now) {
                sodium_memzero(ss, sizeof *ss);
                break;
            }
            ss->expires_ms = now + (int64_t)s->ttl_s * 1000;
            *out = *ss;
            found = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

static void session_new(session *out, vq_server *s, const char *name,
                        st_role role)
{
    int64_t now = vq_now_ms();
    pthread_mutex_lock(&s->lock);
    session *slot = NULL;
    for (int i = 0; i < VQ_MAX_SESSIONS; i++) {
        session *ss = &s->sessions[i];
        if (ss->token[0] == '\0' || ss->expires_ms <= now) {
            slot = ss;
            break;
        }
        if (slot == NULL || ss->expires_ms < slot->expires_ms)
            slot = ss; /* full: the session closest to expiry gives way */
    }
    memset(slot, 0, sizeof *slot);
    random_hex(slot->token);
    random_hex(slot->csrf);
    snprintf(slot->name, sizeof slot->name, "%s", name);
    slot->role = role;
    slot->expires_ms = now + (int64_t)s->ttl_s * 1000;
    *out = *slot;
    pthread_mutex_unlock(&s->lock);
}

static void session_end(vq_server *s, const char *token)
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < VQ_MAX_SESSIONS; i++)
        if (s->sessions[i].token[0] &&
            sodium_memcmp(s->sessions[i].token, token, 64) == 0)
            sodium_memzero(&s->sessions[i], sizeof s->sessions[i]);
    pthread_mutex_unlock(&s->lock);
}

static bool csrf_ok(const session *ss, struct MHD_Connection *c)
{
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
    return t && strlen(t) == 64 && sodium_memcmp(t, ss->csrf, 64) == 0;
}

static bool is_json_post(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 "Content-Type");
    return ct && strncmp(ct, "application/json", 16) == 0;
}

/* ---- static files ---- */

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
    if (strcmp(dot, ".png") == 0) return "image/png";
    if (strcmp(dot, ".svg") == 0) return "image/svg+xml";
    return "application/octet-stream";
}

static int read_all(char **out, size_t *len, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    *out = NULL;
    *len = 0;
    if (f == NULL)
        return err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) < 0 || st.st_size < 0 || st.st_size > (1 << 28)) {
        fclose(f);
        return err_set(TELLE_EIO, "%s: cannot size", path);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        fclose(f);
        return err_set(TELLE_ENOMEM, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    if (n != (size_t)st.st_size) {
        free(buf);
        return err_set(TELLE_EIO, "%s: short read", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static enum MHD_Result serve_static(vq_server *s, struct MHD_Connection *c,
                                    const char *name)
{
    /* Only plain names from the static folder: no paths, no dot-files. */
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return send_error(c, 404, "not found");
    if (name[0] == '.' || name[0] == '\0')
        return send_error(c, 404, "not found");
    if (s->static_dir == NULL) {
        for (const vq_static_file *f = vq_static_files; f->name; f++)
            if (strcmp(f->name, name) == 0)
                return send_bytes(c, 200, mime_of(name), f->data, f->len,
                                  "no-cache", NULL);
        return send_error(c, 404, "not found");
    }
    char path[4096], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", s->static_dir, name);
    if (read_all(&data, &len, path) < 0)
        return send_error(c, 404, "not found");
    enum MHD_Result r = send_bytes(c, 200, mime_of(name), data, len, "no-cache", NULL);
    free(data);
    return r;
}

/* ---- API helpers ---- */

/* This thread's store connection, opened on first use. */
static st_db *db_of(vq_server *s)
{
    st_db *db = pthread_getspecific(s->db_key);
    if (db != NULL)
        return db;
    if (st_db_open(&db, s->db_path, 0) < 0)
        return NULL;
    pthread_mutex_lock(&s->lock);
    st_db **nv = realloc(s->dbs, (size_t)(s->n_dbs + 1) * sizeof *nv);
    if (nv == NULL) {
        pthread_mutex_unlock(&s->lock);
        st_db_close(db);
        err_set(TELLE_ENOMEM, "out of memory");
        return NULL;
    }
    s->dbs = nv;
    s->dbs[s->n_dbs++] = db;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->db_key, db);
    return db;
}

static int64_t arg_int(struct MHD_Connection *c, const char *key)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    char *end = NULL;
    long long x = v ? strtoll(v, &end, 10) : 0;
    return v && end && *end == '\0' ? (int64_t)x : 0;
}

static const char *arg_str(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

static json_t *me_json(const session *ss)
{
    return json_pack("{s:s, s:s, s:s, s:b}", "name", ss->name, "role",
                     st_role_name(ss->role), "csrf", ss->csrf, "can_decide",
                     ss->role != ST_ROLE_AUDITOR);
}

static json_t *batch_summary(const vq_batch_state *b)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:i}",
                     "id", b->batch, "election", b->election, "krets", b->krets,
                     "category", b->category, "committed", b->committed,
                     "sheets", b->n_items, "review", b->n_review, "pending",
                     b->n_pending, "proposed", b->n_proposed, "claimed",
                     b->n_claimed);
}

static json_t *item_brief(const vq_item *it)
{
    return json_pack("{s:I, s:s, s:s, s:O?, s:s?, s:s?, s:s?}", "id",
                     (json_int_t)it->id, "sheet", it->sheet, "state",
                     vq_item_state_name(it->state), "reasons",
                     json_object_get(it->record, "reasons"), "claim_by",
                     it->claim_by, "decided_by", it->decided_by,
                     "confirmed_by", it->confirmed_by);
}

static enum MHD_Result api_batches(vq_server *s, struct MHD_Connection *c)
{
    st_db *db = db_of(s);
    char **ids = NULL;
    int rc;
    if (db == NULL || (rc = st_batch_list(&ids, db)) < 0)
        return send_lib_error(c, db ? rc : TELLE_EIO);
    json_t *arr = json_array();
    for (char **p = ids; *p; p++) {
        vq_batch_state *b = NULL;
        if ((rc = vq_batch_state_get(&b, db, *p, vq_now_ms())) < 0) {
            st_strv_free(ids);
            json_decref(arr);
            return send_lib_error(c, rc);
        }
        json_array_append_new(arr, batch_summary(b));
        vq_batch_state_free(b);
    }
    st_strv_free(ids);
    return send_json(c, 200, json_pack("{s:o}", "batches", arr), NULL);
}

static enum MHD_Result api_batch(vq_server *s, struct MHD_Connection *c)
{
    st_db *db = db_of(s);
    vq_batch_state *b = NULL;
    const char *id = arg_str(c, "id");
    int rc;
    if (db == NULL || id == NULL)
        return send_error(c, 400, "give ?id=BATCH");
    if ((rc = vq_batch_state_get(&b, db, id, vq_now_ms())) < 0)
        return send_lib_error(c, rc);
    json_t *j = batch_summary(b), *items = json_array();
    for (int i = 0; i < b->n_items; i++) {
        if (b->items[i].state == VQ_ITEM_MACHINE)
            continue;
        if ((rc = vq_item_record_load(db, &b->items[i])) < 0) {
            json_decref(j);
            json_decref(items);
            vq_batch_state_free(b);
            return send_lib_error(c, rc);
        }
        json_array_append_new(items, item_brief(&b->items[i]));
    }
    json_object_set_new(j, "items", items);
    vq_batch_state_free(b);
    return send_json(c, 200, j, NULL);
}

/* The style's sides with only the regions the page draws, and the
 * registration marks it finds in the image to place them. */
static json_t *style_view(json_t *pkg, const char *style_id)
{
    json_t *st = pkg_json_find(json_object_get(pkg, "styles"), "id", style_id);
    if (st == NULL)
        return json_null();
    json_t *sides = json_array();
    size_t i, j;
    json_t *side, *r;
    json_array_foreach(json_object_get(st, "sides"), i, side) {
        json_t *regions = json_array();
        json_array_foreach(json_object_get(side, "regions"), j, r) {
            const char *t = json_string_value(json_object_get(r, "type"));
            if (t && (strcmp(t, "vote_box") == 0 || strcmp(t, "write_in_field") == 0 ||
                      strcmp(t, "list_write_field") == 0 ||
                      strcmp(t, "stamp_field") == 0 ||
                      strcmp(t, "registration_mark") == 0))
                json_array_append(regions, r);
        }
        json_array_append_new(sides, json_pack("{s:O?, s:o}", "name",
                                               json_object_get(side, "name"),
                                               "regions", regions));
    }
    return json_pack("{s:O?, s:O?, s:O?, s:O?, s:o}", "id",
                     json_object_get(st, "id"), "kind", json_object_get(st, "kind"),
                     "list", json_object_get(st, "list"), "page_mm",
                     json_object_get(st, "page_mm"), "sides", sides);
}

static json_t *election_view(json_t *pkg, const char *id)
{
    json_t *e = pkg_json_find(json_object_get(pkg, "elections"), "id", id);
    if (e == NULL)
        return json_null();
    json_t *lists = json_array();
    size_t i, j;
    json_t *l, *k;
    json_array_foreach(json_object_get(e, "lists"), i, l) {
        json_t *cands = json_array();
        json_array_foreach(json_object_get(l, "candidates"), j, k)
            json_array_append_new(cands, json_pack("{s:O, s:O}", "no",
                                                   json_object_get(k, "no"), "name",
                                                   json_object_get(k, "name")));
        json_array_append_new(lists, json_pack("{s:O, s:O?, s:o}", "code",
                                               json_object_get(l, "code"), "name",
                                               json_object_get(l, "name"),
                                               "candidates", cands));
    }
    return json_pack("{s:s, s:O?, s:O?, s:O?, s:o}", "id", id, "type",
                     json_object_get(e, "type"), "name", json_object_get(e, "name"),
                     "max_write_ins", json_object_get(e, "max_write_ins"),
                     "lists", lists);
}

static enum MHD_Result api_item(vq_server *s, struct MHD_Connection *c,
                                const session *ss)
{
    st_db *db = db_of(s);
    int64_t id = arg_int(c, "id");
    char *batch = NULL, *pkg_text = NULL;
    vq_batch_state *b = NULL;
    st_page *pages = NULL;
    int n_pages = 0, rc;
    json_t *pkg = NULL;
    if (db == NULL)
        return send_lib_error(c, TELLE_EIO);
    if ((rc = vq_item_batch(&batch, db, id)) < 0 ||
        (rc = vq_batch_state_get(&b, db, batch, vq_now_ms())) < 0 ||
        (rc = st_package_get(&pkg_text, NULL, db)) < 0) {
        free(batch);
        vq_batch_state_free(b);
        return send_lib_error(c, rc);
    }
    pkg = json_loads(pkg_text, 0, NULL);
    free(pkg_text);
    vq_item *it = vq_batch_item_find(b, id);
    if ((rc = vq_item_record_load(db, it)) < 0) {
        json_decref(pkg);
        free(batch);
        vq_batch_state_free(b);
        return send_lib_error(c, rc);
    }
    json_t *j = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:O, s:s, s:s?, s:I, s:O?, s:s?, s:s?, "
        "s:O, s:O, s:I}",
        "id", (json_int_t)it->id, "sheet", it->sheet, "batch", b->batch,
        "state", vq_item_state_name(it->state), "outcome", it->outcome,
        "record", it->record, "record_sha256", it->record_sha256,
        "claim_by", it->claim_by, "claim_expires_ms",
        (json_int_t)it->claim_expires_ms, "decision", it->decision,
        "decided_by", it->decided_by, "confirmed_by", it->confirmed_by,
        "remarks", it->remarks, "history", it->history, "decision_seq",
        (json_int_t)it->decision_seq);
    json_t *jp = json_array();
    json_t *rec_pages = json_object_get(it->record, "pages");
    if (st_page_list(&pages, &n_pages, db, b->batch, it->sheet) == 0) {
        for (int i = 0; i < n_pages; i++) {
            char url[128];
            json_t *rp = json_array_get(rec_pages, (size_t)i);
            snprintf(url, sizeof url, "/api/page?item=%" PRId64 "&i=%d", id, i);
            json_array_append_new(
                jp, json_pack("{s:i, s:s?, s:s, s:O?, s:s}", "index", i, "side",
                              pages[i].side, "sha256", pages[i].sha256, "rotated",
                              json_object_get(rp, "rotated"), "url", url));
        }
        st_pages_free(pages, n_pages);
    }
    json_object_set_new(j, "pages", jp);
    const char *style = json_string_value(json_object_get(it->record, "style"));
    json_object_set_new(j, "style", pkg && style ? style_view(pkg, style) : json_null());
    json_object_set_new(j, "election", pkg ? election_view(pkg, b->election) : json_null());
    json_object_set_new(j, "batch_committed", json_boolean(b->committed));
    json_object_set_new(j, "can_decide", json_boolean(ss->role != ST_ROLE_AUDITOR));
    json_decref(pkg);
    free(batch);
    vq_batch_state_free(b);
    return send_json(c, 200, j, NULL);
}

/* Writes the archived page as PNG. The page's pixel hash is compared with
 * the stored one and reported in X-Telle-Page-Hash: ok|MISMATCH. */
static enum MHD_Result api_page(vq_server *s, struct MHD_Connection *c)
{
    st_db *db = db_of(s);
    int64_t id = arg_int(c, "item"), idx = arg_int(c, "i");
    st_record *r = NULL;
    st_page *pages = NULL;
    int n = 0, rc;
    iio_reader *rd = NULL;
    img *im = NULL;
    char *png = NULL, tmp[] = "/tmp/telle-page-XXXXXX";
    size_t len = 0;
    int fd = -1;
    enum MHD_Result ret;
    if (db == NULL)
        return send_lib_error(c, TELLE_EIO);
    if ((rc = st_record_get(&r, db, id)) < 0 ||
        (rc = st_page_list(&pages, &n, db, r->batch, r->sheet)) < 0) {
        ret = send_lib_error(c, rc);
        goto done;
    }
    if (idx < 0 || idx >= n) {
        ret = send_error(c, 404, "no such page");
        goto done;
    }
    if ((rc = iio_reader_open(&rd, pages[idx].archive_path)) < 0 ||
        (rc = iio_reader_read(&im, rd, pages[idx].file_page)) < 0) {
        ret = send_error(c, 404, err_message());
        goto done;
    }
    char hash[HASH_HEX_LEN + 1];
    hash_sha256_pixels(hash, im);
    bool same = strcmp(hash, pages[idx].sha256) == 0;
    if ((fd = mkstemp(tmp)) < 0) {
        ret = send_error(c, 500, "cannot make a temporary file");
        goto done;
    }
    close(fd);
    if ((rc = iio_png_write(tmp, im)) < 0 || (rc = read_all(&png, &len, tmp)) < 0) {
        ret = send_lib_error(c, rc);
        goto done;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, png, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        ret = MHD_NO;
        goto done;
    }
    MHD_add_response_header(resp, "Content-Type", "image/png");
    /* Archived pages never change: let the browser keep them. */
    MHD_add_response_header(resp, "Cache-Control", "private, max-age=86400");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Telle-Page-Hash", same ? "ok" : "MISMATCH");
    ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
done:
    if (fd >= 0)
        unlink(tmp);
    free(png);
    img_free(im);
    iio_reader_close(rd);
    st_pages_free(pages, n);
    st_record_free(r);
    return ret;
}

static enum MHD_Result api_search(vq_server *s, struct MHD_Connection *c)
{
    st_db *db = db_of(s);
    vq_candidates *cands = NULL;
    vq_match m[VQ_MAX_MATCHES];
    int rc;
    if (db == NULL || (rc = vq_candidates_load(&cands, db)) < 0)
        return send_lib_error(c, db ? rc : TELLE_EIO);
    int n = vq_candidates_search(m, VQ_MAX_MATCHES, cands, arg_str(c, "election"),
                                 arg_str(c, "own"), arg_str(c, "q"));
    if (n < 0) {
        vq_candidates_free(cands);
        return send_lib_error(c, n);
    }
    json_t *arr = json_array();
    for (int i = 0; i < n && i < VQ_MAX_MATCHES; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s?, s:i, s:s, s:b}", "list",
                                             m[i].list, "list_name", m[i].list_name,
                                             "no", m[i].no, "name", m[i].name,
                                             "own_list", m[i].own_list));
    vq_candidates_free(cands);
    return send_json(c, 200, json_pack("{s:o, s:i}", "matches", arr, "total", n), NULL);
}

/* The next item of batch for this session: claimed for a decider
 * (retrying when another operator takes it first), only named for an
 * auditor. *item = 0 when there is none. */
static int next_item(int64_t *item, st_db *db, const session *ss,
                     const char *batch)
{
    int rc = 0;
    *item = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        if ((rc = vq_item_next(item, db, ss->name, batch)) < 0)
            return rc;
        if (*item == 0 || ss->role == ST_ROLE_AUDITOR)
            return 0;
        if ((rc = vq_item_claim(db, ss->name, *item, 0)) == 0)
            return 0;
        if (rc != TELLE_ESTATE)
            return rc;
        *item = 0;
    }
    return 0;
}

/* GET /api/next?batch=B */
static enum MHD_Result api_next(vq_server *s, struct MHD_Connection *c,
                                const session *ss)
{
    st_db *db = db_of(s);
    const char *batch = arg_str(c, "batch");
    int64_t item = 0;
    int rc;
    if (db == NULL || batch == NULL)
        return send_error(c, 400, "give ?batch=BATCH");
    if ((rc = next_item(&item, db, ss, batch)) < 0)
        return send_lib_error(c, rc);
    return send_json(c, 200, json_pack("{s:I}", "item", (json_int_t)item), NULL);
}

static int decide_from_json(int64_t *seq, st_db *db, const session *ss,
                            json_t *body)
{
    int64_t item = json_integer_value(json_object_get(body, "item"));
    const char *action = json_string_value(json_object_get(body, "action"));
    vq_decision d = VQ_DECISION_INIT;
    int votes[512], rc;
    vq_write_in w[64];
    if (action == NULL)
        return err_set(TELLE_EINVAL, "no action");
    if (strcmp(action, "confirm_reject") == 0)
        return vq_reject_confirm(seq, db, ss->name, item);
    if (strcmp(action, "approve") == 0) {
        d.action = VQ_APPROVE;
    } else if (strcmp(action, "blank") == 0) {
        d.action = VQ_BLANK;
    } else if (strcmp(action, "reject") == 0) {
        const char *g = json_string_value(json_object_get(body, "ground"));
        d.action = VQ_REJECT;
        d.ground = g && strlen(g) == 1 ? g[0] : '?';
    } else {
        return err_set(TELLE_EINVAL, "unknown action '%s'", action);
    }
    d.list = json_string_value(json_object_get(body, "list"));
    d.remark = json_string_value(json_object_get(body, "remark"));
    json_t *jv = json_object_get(body, "votes");
    if (json_is_array(jv)) {
        if (json_array_size(jv) > 512)
            return err_set(TELLE_EINVAL, "too many personal votes");
        d.votes_from_record = false;
        size_t i;
        json_t *v;
        json_array_foreach(jv, i, v) votes[i] = (int)json_integer_value(v);
        d.votes = votes;
        d.n_votes = (int)json_array_size(jv);
    }
    json_t *jw = json_object_get(body, "write_ins");
    if (json_array_size(jw) > 64)
        return err_set(TELLE_EINVAL, "too many write-ins");
    size_t i;
    json_t *e;
    json_array_foreach(jw, i, e) {
        w[i].list = json_string_value(json_object_get(e, "list"));
        w[i].candidate = (int)json_integer_value(json_object_get(e, "candidate"));
        w[i].text = json_string_value(json_object_get(e, "text"));
    }
    d.write_ins = w;
    d.n_write_ins = (int)json_array_size(jw);
    rc = vq_item_decide(seq, db, ss->name, item, &d);
    return rc;
}

static enum MHD_Result api_post(vq_server *s, struct MHD_Connection *c,
                                const char *url, session *ss, json_t *body)
{
    st_db *db = db_of(s);
    int64_t seq = 0, item = json_integer_value(json_object_get(body, "item"));
    int rc;
    if (db == NULL)
        return send_lib_error(c, TELLE_EIO);
    if (ss->role == ST_ROLE_AUDITOR)
        return send_error(c, 403, "auditors have read-only access");
    if (strcmp(url, "/api/decide") == 0) {
        rc = decide_from_json(&seq, db, ss, body);
    } else if (strcmp(url, "/api/claim") == 0) {
        rc = vq_item_claim(db, ss->name, item, 0);
    } else if (strcmp(url, "/api/release") == 0) {
        rc = vq_item_release(db, ss->name, item);
    } else if (strcmp(url, "/api/undo") == 0) {
        rc = vq_decision_undo(db, ss->name, item,
                              json_string_value(json_object_get(body, "reason")));
    } else if (strcmp(url, "/api/remark") == 0) {
        rc = vq_item_remark(db, ss->name, item,
                            json_string_value(json_object_get(body, "text")));
    } else if (strcmp(url, "/api/commit") == 0) {
        rc = vq_batch_commit(&seq, db, ss->name,
                             json_string_value(json_object_get(body, "batch")));
    } else {
        return send_error(c, 404, "no such endpoint");
    }
    if (rc < 0)
        return send_lib_error(c, rc);
    /* A decision with "next_batch" also claims the next item, saving the
     * page a round trip before the next ballot. */
    int64_t next = 0;
    const char *nb = json_string_value(json_object_get(body, "next_batch"));
    if (nb && strcmp(url, "/api/decide") == 0 && next_item(&next, db, ss, nb) < 0)
        next = 0;
    return send_json(c, 200, json_pack("{s:b, s:I, s:I}", "ok", 1, "seq",
                                       (json_int_t)seq, "next", (json_int_t)next),
                     NULL);
}

static enum MHD_Result api_login(vq_server *s, struct MHD_Connection *c,
                                 json_t *body)
{
    st_db *db = db_of(s);
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    st_role role;
    if (db == NULL)
        return send_lib_error(c, TELLE_EIO);
    if (st_operator_check(&role, db, name, pw) < 0) {
        log_debug("verify", "failed log-in for '%s'", name ? name : "");
        return send_error(c, 401, "wrong name or password");
    }
    session sv, *ss = &sv;
    session_new(ss, s, name, role);
    /* No Max-Age: the cookie lives while the browser does, and the server
     * ends the session after ttl_s without use (a Max-Age would log out an
     * operator who is busy at that moment). */
    char cookie[200];
    snprintf(cookie, sizeof cookie, "telle_session=%.64s; Path=/; HttpOnly; "
             "SameSite=Strict", ss->token);
    return send_json(c, 200, me_json(ss), cookie);
}

/* ---- dispatch ---- */

static enum MHD_Result dispatch(vq_server *s, struct MHD_Connection *c,
                                const char *url, const char *method,
                                request *req)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (get && strcmp(url, "/") == 0)
        return serve_static(s, c, "index.html");
    if (get && strncmp(url, "/static/", 8) == 0)
        return serve_static(s, c, url + 8);
    if (strncmp(url, "/api/", 5) != 0)
        return send_error(c, 404, "not found");
    json_t *body = NULL;
    if (post) {
        json_error_t jerr;
        if (req->too_big)
            return send_error(c, 413, "request too large");
        if (!is_json_post(c))
            return send_error(c, 415, "requests are JSON");
        body = json_loadb(req->body ? req->body : "", req->len, 0, &jerr);
        if (!json_is_object(body)) {
            json_decref(body);
            return send_error(c, 400, "the body is not a JSON object");
        }
    } else if (!get) {
        return send_error(c, 405, "method not allowed");
    }
    enum MHD_Result ret;
    if (post && strcmp(url, "/api/login") == 0) {
        ret = api_login(s, c, body);
        json_decref(body);
        return ret;
    }
    session sv, *ss = session_get(&sv, s, c) ? &sv : NULL;
    if (ss == NULL) {
        json_decref(body);
        return send_error(c, 401, "not logged in or the session expired");
    }
    if (post) {
        if (!csrf_ok(ss, c)) {
            json_decref(body);
            return send_error(c, 403, "missing or wrong CSRF token");
        }
        if (strcmp(url, "/api/logout") == 0) {
            session_end(s, ss->token);
            json_decref(body);
            return send_json(c, 200, json_pack("{s:b}", "ok", 1),
                             "telle_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        }
        ret = api_post(s, c, url, ss, body);
        json_decref(body);
        return ret;
    }
    if (strcmp(url, "/api/me") == 0)
        return send_json(c, 200, me_json(ss), NULL);
    if (strcmp(url, "/api/batches") == 0)
        return api_batches(s, c);
    if (strcmp(url, "/api/batch") == 0)
        return api_batch(s, c);
    if (strcmp(url, "/api/item") == 0)
        return api_item(s, c, ss);
    if (strcmp(url, "/api/page") == 0)
        return api_page(s, c);
    if (strcmp(url, "/api/search") == 0)
        return api_search(s, c);
    if (strcmp(url, "/api/next") == 0)
        return api_next(s, c, ss);
    if (strcmp(url, "/api/tallies") == 0) {
        json_t *t = NULL;
        st_db *db = db_of(s);
        int rc = db ? vq_batch_tallies(&t, db, arg_str(c, "batch") ? arg_str(c, "batch") : "")
                    : TELLE_EIO;
        return rc < 0 ? send_lib_error(c, rc) : send_json(c, 200, t, NULL);
    }
    return send_error(c, 404, "no such endpoint");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    vq_server *s = cls;
    (void)version;
    request *req = *con_cls;
    if (req == NULL) {
        if ((req = calloc(1, sizeof *req)) == NULL)
            return MHD_NO;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!req->too_big && req->len + *upload_size <= VQ_MAX_BODY) {
            char *nb = realloc(req->body, req->len + *upload_size + 1);
            if (nb == NULL)
                return MHD_NO;
            req->body = nb;
            memcpy(req->body + req->len, upload, *upload_size);
            req->len += *upload_size;
            req->body[req->len] = '\0';
        } else {
            req->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    err_clear();
    return dispatch(s, c, url, method, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *req = *con_cls;
    if (req) {
        free(req->body);
        free(req);
        *con_cls = NULL;
    }
}

int vq_server_start(vq_server **out, const vq_server_options *o)
{
    vq_server *s = NULL;
    st_db *check = NULL;
    struct sockaddr_in addr;
    int rc = 0;
    *out = NULL;
    if (o == NULL || o->db_path == NULL)
        return err_set(TELLE_EINVAL, "serve: no store given");
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->port);
    if (o->port < 0 || o->port > 65535 ||
        inet_pton(AF_INET, o->address ? o->address : "127.0.0.1",
                  &addr.sin_addr) != 1)
        return err_set(TELLE_EINVAL, "serve: '%s:%d' is not an IPv4 address "
                       "and port", o->address ? o->address : "", o->port);
    if (sodium_init() < 0)
        return err_set(TELLE_ENOMEM, "libsodium could not start");
    if ((rc = st_db_open(&check, o->db_path, 0)) < 0)
        return rc;
    st_db_close(check);
    if ((s = calloc(1, sizeof *s)) == NULL ||
        (s->db_path = strdup(o->db_path)) == NULL ||
        (o->static_dir && (s->static_dir = strdup(o->static_dir)) == NULL)) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    s->ttl_s = o->session_ttl_s > 0 ? o->session_ttl_s : VQ_DEFAULT_TTL_S;
    if (pthread_mutex_init(&s->lock, NULL) != 0 ||
        !(s->have_lock = true) || pthread_key_create(&s->db_key, NULL) != 0) {
        rc = err_set(TELLE_ENOMEM, "serve: cannot create a lock");
        goto fail;
    }
    s->have_key = true;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)VQ_THREADS,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)200, MHD_OPTION_END);
    if (s->daemon == NULL) {
        rc = err_set(TELLE_EIO, "serve: cannot listen on %s:%d (in use?)",
                     o->address ? o->address : "127.0.0.1", o->port);
        goto fail;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    *out = s;
    return 0;
fail:
    vq_server_stop(s);
    return rc;
}

int vq_server_port(const vq_server *s) { return s->port; }

void vq_server_stop(vq_server *s)
{
    if (s == NULL)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* joins the pool threads */
    for (int i = 0; i < s->n_dbs; i++)
        st_db_close(s->dbs[i]);
    free(s->dbs);
    if (s->have_key)
        pthread_key_delete(s->db_key);
    if (s->have_lock)
        pthread_mutex_destroy(&s->lock);
    sodium_memzero(s->sessions, sizeof s->sessions);
    free(s->db_path);
    free(s->static_dir);
    free(s);
}
