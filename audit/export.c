/* export.c - the audit package (layout in export.h).
 *
 *   au_export
 *
 * Order of work: refuse a folder in use; copy the store with SQLite's
 * online backup (one read transaction: a consistent snapshot even while
 * operators decide) and switch the copy to a rollback journal so it is
 * one self-contained file; from then on read only the copy: package,
 * images, records, decisions, counts, CVRs; hash every file written into
 * manifest.json last.
 */
#include "audit/export.h"

#include "audit/cvr.h"
#include "core/error.h"
#include "core/hash.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { PATH_MAX_LEN = 4096 };

/* The files written, relative to the output folder. */
typedef struct {
    const char *out;
    json_t *files;   /* array of relative paths */
    json_t *missing; /* array of {"batch","path"} */
} ctx;

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX_LEN];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return err_set(TELLE_EINVAL, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return err_set(TELLE_EIO, "%s: cannot create: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return err_set(TELLE_EIO, "%s: cannot create: %s", buf, strerror(errno));
    return 0;
}

static int check_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return err_set(TELLE_EIO, "%s: cannot open: %s", dir, strerror(errno));
    }
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    if (n > 0)
        return err_set(TELLE_ESTATE, "%s: the folder is not empty; an audit package "
                       "goes into a new or empty folder", dir);
    return 0;
}

static int join(char *buf, size_t size, const char *a, const char *b)
{
    if ((size_t)snprintf(buf, size, "%s/%s", a, b) >= size)
        return err_set(TELLE_EINVAL, "%s/%s: path too long", a, b);
    return 0;
}

/* Copies src to dst byte for byte. */
static int copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = NULL;
    int rc = 0;
    if (in == NULL)
        return err_set(TELLE_EIO, "%s: cannot read: %s", src, strerror(errno));
    if ((out = fopen(dst, "wb")) == NULL) {
        rc = err_set(TELLE_EIO, "%s: cannot write: %s", dst, strerror(errno));
        goto done;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = err_set(TELLE_EIO, "%s: write failed: %s", dst, strerror(errno));
            goto done;
        }
    if (ferror(in))
        rc = err_set(TELLE_EIO, "%s: read failed", src);
done:
    if (out && fclose(out) != 0 && rc == 0)
        rc = err_set(TELLE_EIO, "%s: write failed: %s", dst, strerror(errno));
    fclose(in);
    return rc;
}

static int add_file(ctx *c, const char *rel)
{
    return json_array_append_new(c->files, json_string(rel)) < 0
               ? err_set(TELLE_ENOMEM, "out of memory") : 0;
}

static int write_text(ctx *c, const char *rel, const char *text)
{
    char path[PATH_MAX_LEN];
    int rc;
    if ((rc = join(path, sizeof path, c->out, rel)) < 0)
        return rc;
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return err_set(TELLE_EIO, "%s: cannot write: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    if (fclose(f) != 0 || !ok)
        return err_set(TELLE_EIO, "%s: write failed", path);
    return add_file(c, rel);
}

/* Copies the folder src (regular files and folders; links are followed)
 * to out/rel. */
static int copy_tree(ctx *c, const char *src, const char *rel)
{
    char dst[PATH_MAX_LEN];
    int rc;
    if ((rc = join(dst, sizeof dst, c->out, rel)) < 0 || (rc = mkdir_p(dst)) < 0)
        return rc;
    DIR *d = opendir(src);
    if (d == NULL)
        return err_set(TELLE_EIO, "%s: cannot open the package folder: %s", src,
                       strerror(errno));
    json_t *names = json_array();
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            json_array_append_new(names, json_string(e->d_name));
    closedir(d);
    size_t i;
    json_t *nv;
    json_array_foreach(names, i, nv) {
        const char *name = json_string_value(nv);
        char s[PATH_MAX_LEN], r[PATH_MAX_LEN], t[PATH_MAX_LEN];
        struct stat st;
        if ((rc = join(s, sizeof s, src, name)) < 0 || (rc = join(r, sizeof r, rel, name)) < 0 ||
            (rc = join(t, sizeof t, c->out, r)) < 0)
            break;
        if (stat(s, &st) < 0) {
            rc = err_set(TELLE_EIO, "%s: %s", s, strerror(errno));
            break;
        }
        if (S_ISDIR(st.st_mode))
            rc = copy_tree(c, s, r);
        else if (S_ISREG(st.st_mode) && (rc = copy_file(s, t)) == 0)
            rc = add_file(c, r);
        if (rc < 0)
            break;
    }
    json_decref(names);
    return rc;
}

static int backup(sqlite3 *src, const char *path)
{
    sqlite3 *dst = NULL;
    int rc = 0;
    if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = err_set(TELLE_EIO, "%s: cannot create: %s", path,
                     dst ? sqlite3_errmsg(dst) : "out of memory");
        goto done;
    }
    sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
    if (bk == NULL) {
        rc = err_set(TELLE_EIO, "%s: backup: %s", path, sqlite3_errmsg(dst));
        goto done;
    }
    /* All pages in one step: one read transaction on the source, so the
     * copy is one moment of the store. */
    int step = sqlite3_backup_step(bk, -1);
    sqlite3_backup_finish(bk);
    if (step != SQLITE_DONE) {
        rc = err_set(TELLE_EIO, "%s: backup: %s", path, sqlite3_errstr(step));
        goto done;
    }
    /* One file: no -wal or -shm beside it in the package. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        rc = err_set(TELLE_EIO, "%s: %s", path, sqlite3_errmsg(dst));
done:
    sqlite3_close(dst);
    return rc;
}

static int stored_package_dir(char **out, st_db *db)
{
    sqlite3 *h = st_db_handle(db);
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(h, "SELECT dir FROM package WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
        return err_set(TELLE_EIO, "%s: %s", st_db_path(db), sqlite3_errmsg(h));
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
        *out = strdup((const char *)sqlite3_column_text(st, 0));
        if (*out == NULL)
            rc = err_set(TELLE_ENOMEM, "out of memory");
    } else {
        rc = err_set(TELLE_ESTATE, "%s: the store does not say where its package folder "
                     "is; give it with --package", st_db_path(db));
    }
    sqlite3_finalize(st);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A JSON Lines file being written. */
typedef struct {
    FILE *f;
    char path[PATH_MAX_LEN];
} lines;

static int lines_open(lines *l, ctx *c, const char *rel)
{
    int rc = join(l->path, sizeof l->path, c->out, rel);
    if (rc < 0)
        return rc;
    if ((l->f = fopen(l->path, "wb")) == NULL)
        return err_set(TELLE_EIO, "%s: cannot write: %s", l->path, strerror(errno));
    return add_file(c, rel);
}

/* Writes j (taken) as one line. */
static int lines_add(lines *l, json_t *j)
{
    if (j == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    int w = json_dumpf(j, l->f, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(j);
    if (w < 0 || fputc('\n', l->f) == EOF)
        return err_set(TELLE_EIO, "%s: write failed", l->path);
    return 0;
}

static int lines_close(lines *l, int rc)
{
    if (l->f && fclose(l->f) != 0 && rc == 0)
        rc = err_set(TELLE_EIO, "%s: write failed: %s", l->path, strerror(errno));
    l->f = NULL;
    return rc;
}

/* Images, records.jsonl. */
static int export_batches(ctx *c, st_db *copy, au_export_summary *sum)
{
    char **batches = NULL;
    st_record *recs = NULL;
    st_page *pages = NULL;
    int n_recs = 0, n_pages = 0, rc;
    lines records = {0};
    json_t *seen = NULL;
    if ((rc = st_batch_list(&batches, copy)) < 0)
        return rc;
    if ((rc = lines_open(&records, c, "records.jsonl")) < 0)
        goto done;
    for (int b = 0; batches[b]; b++) {
        const char *batch = batches[b];
        sum->batches++;
        json_decref(seen);
        seen = json_object(); /* destination name -> source path */
        char dir_rel[PATH_MAX_LEN], dir_abs[PATH_MAX_LEN];
        if ((rc = join(dir_rel, sizeof dir_rel, "archive", batch)) < 0 ||
            (rc = join(dir_abs, sizeof dir_abs, c->out, dir_rel)) < 0 ||
            (rc = mkdir_p(dir_abs)) < 0)
            goto done;
        st_records_free(recs, n_recs);
        recs = NULL;
        n_recs = 0;
        if ((rc = st_record_list(&recs, &n_recs, copy, batch, true)) < 0)
            goto done;
        for (int r = 0; r < n_recs; r++) {
            sum->sheets++;
            json_error_t je;
            json_t *rec = json_loads(recs[r].record, 0, &je);
            if (rec == NULL) {
                rc = err_set(TELLE_EFORMAT, "batch %s sheet %s: stored record: %s", batch,
                             recs[r].sheet, je.text);
                goto done;
            }
            if ((rc = lines_add(&records, json_pack("{s:s, s:I, s:s, s:s, s:s, s:o}",
                                                      "batch", batch, "item",
                                                      (json_int_t)recs[r].id, "sheet",
                                                      recs[r].sheet, "sha256", recs[r].sha256,
                                                      "outcome", recs[r].outcome, "record",
                                                      rec))) < 0)
                goto done;
            st_pages_free(pages, n_pages);
            pages = NULL;
            n_pages = 0;
            if ((rc = st_page_list(&pages, &n_pages, copy, batch, recs[r].sheet)) < 0)
                goto done;
            for (int p = 0; p < n_pages; p++) {
                sum->pages++;
                const char *src = pages[p].archive_path;
                const char *name = base_name(src);
                const char *had = json_string_value(json_object_get(seen, name));
                if (had != NULL) {
                    if (strcmp(had, src) != 0) {
                        rc = err_set(TELLE_EFORMAT, "batch %s: pages name two files called "
                                     "%s (%s and %s); the audit layout keeps one name per "
                                     "batch", batch, name, had, src);
                        goto done;
                    }
                    continue;
                }
                json_object_set_new(seen, name, json_string(src));
                char rel[PATH_MAX_LEN], dst[PATH_MAX_LEN];
                if ((rc = join(rel, sizeof rel, dir_rel, name)) < 0 ||
                    (rc = join(dst, sizeof dst, c->out, rel)) < 0)
                    goto done;
                struct stat st;
                if (stat(src, &st) < 0 && errno == ENOENT) {
                    sum->images_missing++;
                    json_array_append_new(c->missing, json_pack("{s:s, s:s, s:s}", "batch",
                                                                batch, "sheet", recs[r].sheet,
                                                                "path", src));
                    continue;
                }
                if ((rc = copy_file(src, dst)) < 0 || (rc = add_file(c, rel)) < 0)
                    goto done;
                sum->images++;
            }
        }
    }
done:
    rc = lines_close(&records, rc);
    json_decref(seen);
    st_pages_free(pages, n_pages);
    st_records_free(recs, n_recs);
    st_strv_free(batches);
    return rc;
}

typedef struct {
    lines *out;
    int n;
    int rc;
} decision_ctx;

static int decision_event(const st_event *ev, void *vctx)
{
    static const char *const kinds[] = {"decide", "reject_confirm", "undo", "remark",
                                        "batch_commit", "batch_reopen"};
    decision_ctx *d = vctx;
    bool want = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        want = want || strcmp(ev->kind, kinds[i]) == 0;
    if (!want)
        return 0;
    json_error_t je;
    json_t *p = json_loads(ev->payload, 0, &je);
    if (p == NULL) {
        d->rc = err_set(TELLE_EFORMAT, "event %lld: payload: %s", (long long)ev->seq, je.text);
        return 1;
    }
    d->n++;
    if ((d->rc = lines_add(d->out, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s}", "seq",
                                               (json_int_t)ev->seq, "time", ev->time,
                                               "operator", ev->actor, "kind", ev->kind,
                                               "subject", ev->subject, "payload", p, "hash",
                                               ev->hash))) < 0)
        return 1;
    return 0;
}

static const char README[] =
    "telle audit package\n"
    "===================\n"
    "\n"
    "Everything needed to check this count without trusting the counting\n"
    "station. Made by `telle audit export`; manifest.json lists every file\n"
    "with its SHA-256 (check with `sha256sum`) and the head of the store's\n"
    "hash-chained event log.\n"
    "\n"
    "  telle.db         a consistent copy of the store (SQLite 3): the package,\n"
    "                   batches, pages, sheet records, operators (password\n"
    "                   hashes only) and the append-only event log\n"
    "  package/         the election package; election.json has the SHA-256\n"
    "                   the store names (manifest: package_sha256)\n"
    "  archive/BATCH/   the scanned page images, as the scanner stored them\n"
    "  records.jsonl    one line per sheet: what the machine read, with the\n"
    "                   SHA-256 of the record's stored text\n"
    "  decisions.jsonl  every operator decision, confirmation of a rejection,\n"
    "                   undo, remark and batch commit/reopen, with its time,\n"
    "                   operator, payload and chain hash\n"
    "  counts.json      the counts (telle-counts/1) as the store derives them\n"
    "  cvr.json         the same sheets as NIST SP 1500-103 cast vote records:\n"
    "                   the machine's reading (snapshot \"original\") and the\n"
    "                   decision in effect (\"modified\")\n"
    "\n"
    "To check (on any machine with telle):\n"
    "\n"
    "  sha256sum each file and compare with manifest.json\n"
    "  telle replay --db telle.db --archive archive --package package\n"
    "\n"
    "replay re-reads every image with the package, compares each new sheet\n"
    "record with the stored one, re-derives every committed batch's counts\n"
    "from the records and decisions, and verifies the event chain; it exits\n"
    "0 only when everything agrees. The chain head in manifest.json should\n"
    "be the one quoted in the protocol: an older head means entries are\n"
    "missing at the end.\n";

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int au_export(au_export_summary *sum_out, st_db *db, const char *out_dir,
              const au_export_options *opt_in)
{
    au_export_options opt = AU_EXPORT_OPTIONS_INIT;
    au_export_summary sum;
    ctx c = {out_dir, json_array(), json_array()};
    st_db *copy = NULL;
    char *pkg_dir = NULL, *pkg_sha = NULL, *counts = NULL, *text = NULL;
    const char **paths = NULL;
    json_t *manifest = NULL;
    lines decisions = {0};
    int rc;
    memset(&sum, 0, sizeof sum);
    if (opt_in)
        opt = *opt_in;
    if (c.files == NULL || c.missing == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if (out_dir == NULL || out_dir[0] == '\0') {
        rc = err_set(TELLE_EINVAL, "audit export: no output folder");
        goto done;
    }
    if ((rc = check_empty(out_dir)) < 0 || (rc = mkdir_p(out_dir)) < 0)
        goto done;

    char path[PATH_MAX_LEN];
    if ((rc = join(path, sizeof path, out_dir, "telle.db")) < 0 ||
        (rc = backup(st_db_handle(db), path)) < 0 || (rc = add_file(&c, "telle.db")) < 0)
        goto done;
    if ((rc = st_db_open(&copy, path, ST_OPEN_READONLY)) < 0)
        goto done;

    /* The package, checked against the stored hash before it is copied. */
    if ((rc = st_package_get(NULL, &pkg_sha, copy)) < 0)
        goto done;
    if (opt.package_dir == NULL && (rc = stored_package_dir(&pkg_dir, copy)) < 0)
        goto done;
    const char *src_pkg = opt.package_dir ? opt.package_dir : pkg_dir;
    char ej[PATH_MAX_LEN], hex[HASH_HEX_LEN + 1];
    if ((rc = join(ej, sizeof ej, src_pkg, "election.json")) < 0)
        goto done;
    if ((rc = hash_sha256_file(hex, ej)) < 0) {
        if (opt.package_dir == NULL)
            err_prefix("the package folder the store names (%s, relative to where the "
                       "count was created) cannot be read: ", src_pkg);
        goto done;
    }
    if (strcmp(hex, pkg_sha) != 0) {
        rc = err_set(TELLE_EFORMAT, "%s: SHA-256 %s, but the store's package has %s: "
                     "this is not the package the count was made with", ej, hex, pkg_sha);
        goto done;
    }
    if ((rc = copy_tree(&c, src_pkg, "package")) < 0)
        goto done;

    if ((rc = export_batches(&c, copy, &sum)) < 0)
        goto done;

    decision_ctx dc = {&decisions, 0, 0};
    if ((rc = lines_open(&decisions, &c, "decisions.jsonl")) < 0)
        goto done;
    rc = st_event_read(copy, 1, NULL, decision_event, &dc);
    if (dc.rc < 0)
        rc = dc.rc;
    if ((rc = lines_close(&decisions, rc < 0 ? rc : 0)) < 0)
        goto done;
    sum.decisions = dc.n;

    if (opt.counts) {
        if ((rc = opt.counts(&counts, copy, opt.counts_ctx)) < 0 ||
            (rc = write_text(&c, "counts.json", counts)) < 0)
            goto done;
        sum.counts_written = true;
    }

    char cvr_path[PATH_MAX_LEN];
    if ((rc = join(cvr_path, sizeof cvr_path, out_dir, "cvr.json")) < 0 ||
        (rc = au_cvr_write(copy, cvr_path, opt.generated)) < 0 ||
        (rc = add_file(&c, "cvr.json")) < 0)
        goto done;

    if ((rc = write_text(&c, "README.txt", README)) < 0)
        goto done;

    st_chain_report chain;
    if ((rc = st_chain_verify(&chain, copy)) < 0)
        goto done;
    sum.chain_ok = chain.first_bad_seq == 0;
    snprintf(sum.head_hash, sizeof sum.head_hash, "%s", chain.head_hash);
    snprintf(sum.chain_message, sizeof sum.chain_message, "%s", chain.message);

    size_t n = json_array_size(c.files);
    paths = calloc(n ? n : 1, sizeof *paths);
    if (paths == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        paths[i] = json_string_value(json_array_get(c.files, i));
    qsort(paths, n, sizeof *paths, cmp_str);
    char now[32];
    now_iso(now);
    manifest = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:s, s:b, s:I, s:s}, s:[], s:O, s:b}",
                         "format", "telle-audit-export/1", "generated",
                         opt.generated ? opt.generated : now, "source", st_db_path(db),
                         "package_sha256", pkg_sha, "chain", "entries",
                         (json_int_t)chain.entries, "head_hash", chain.head_hash, "ok",
                         sum.chain_ok, "first_bad_seq", (json_int_t)chain.first_bad_seq,
                         "message", chain.message, "files", "missing_images", c.missing,
                         "counts", sum.counts_written);
    if (manifest == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    json_t *files = json_object_get(manifest, "files");
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX_LEN], h[HASH_HEX_LEN + 1];
        struct stat st;
        if ((rc = join(p, sizeof p, out_dir, paths[i])) < 0 ||
            (rc = hash_sha256_file(h, p)) < 0)
            goto done;
        if (stat(p, &st) < 0) {
            rc = err_set(TELLE_EIO, "%s: %s", p, strerror(errno));
            goto done;
        }
        json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "path", paths[i], "sha256",
                                               h, "bytes", (json_int_t)st.st_size));
    }
    sum.files = (int)n;
    free(text);
    text = json_dumps(manifest, JSON_INDENT(2));
    if (text == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    size_t tl = strlen(text);
    char *with_nl = realloc(text, tl + 2);
    if (with_nl == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    text = with_nl;
    text[tl] = '\n';
    text[tl + 1] = '\0';
    if ((rc = write_text(&c, "manifest.json", text)) < 0)
        goto done;
done:
    if (sum_out)
        *sum_out = sum;
    free(paths);
    free(text);
    free(counts);
    lines_close(&decisions, 0);
    free(pkg_dir);
    free(pkg_sha);
    json_decref(manifest);
    json_decref(c.files);
    json_decref(c.missing);
    st_db_close(copy);
    return rc;
}
