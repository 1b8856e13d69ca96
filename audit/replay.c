/* replay.c - au_replay: the count re-read from its images and checked
 * against everything the store says (audit/replay.h, audit/README.md).
 *
 * Batch by batch, in creation order: the main thread reads the batch's
 * records and page rows, then it and (threads - 1) workers re-read the
 * sheets (decode, pixel hash, recognition, byte comparison); each sheet's
 * findings stay in its slot and are merged in scan order, so the report is
 * the same for any number of threads. After the sheets the main thread
 * checks the batch as a whole: files no page names, the record_add and
 * page_add events against the rows, the decisions' record hashes, and the
 * committed tallies against re-derived ones. Last, the event chain.
 *
 * The records' hashes are checked here, batch by batch, rather than with
 * st_records_verify: the same three checks (text against its hash, hash
 * against its record_add event, no record without its event), but
 * st_records_verify's join of records with record_add payloads is
 * quadratic in SQLite (16 s for 2,000 records; days for Oslo's 370,000).
 *
 *   au_replay
 */
#include "audit/replay_internal.h"

#include "core/error.h"
#include "core/hash.h"
#include "core/image_io.h"
#include "core/package.h"
#include "recognition/recognition.h"
#include "verify/decision.h"
#include "verify/queue.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* More workers than this gain nothing on any machine we count on, and a
 * fixed array keeps the pool simple. */
enum { AU_MAX_THREADS = 64 };

enum { SHEET_IDENTICAL, SHEET_DIFFERS, SHEET_NOT_REREAD };

typedef struct {
    int64_t id;
    char *sheet, *text, *sha256; /* owned, from st_record_list */
    char text_sha[65];           /* SHA-256 of text, computed by the worker */
    st_page *pages;
    int n_pages;
    /* results */
    au_report *found; /* this sheet's findings */
    int state;
    int pages_checked;
    bool record_bad; /* its text, hash column and record_add disagree */
    int rc; /* a failure that stops the replay (NOMEM) */
    char error[512];
} sheet_job;

typedef struct {
    const rec_engine *engine;
    const au_replay_options *opt;
    const char *batch, *election;
    sheet_job *jobs;
    int n_jobs;
    atomic_int next, done;
    int done_before, total; /* for progress */
} sheet_pool;

/* A worker keeps the last file it opened: pages of one multi-page file
 * come one after another. */
typedef struct {
    iio_reader *reader;
    char *path;
} reader_cache;

static void cache_clear(reader_cache *c)
{
    iio_reader_close(c->reader);
    free(c->path);
    c->reader = NULL;
    c->path = NULL;
}

static int oom(void)
{
    return err_set(TELLE_ENOMEM, "out of memory");
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Where a page's image is: the stored path, or archive_dir/batch/basename. */
static void page_path(char *out, size_t size, const au_replay_options *opt,
                      const char *batch, const char *archive_path)
{
    if (opt->archive_dir)
        snprintf(out, size, "%s/%s/%s", opt->archive_dir, batch,
                 base_name(archive_path));
    else
        snprintf(out, size, "%s", archive_path);
}

/* JSON text of a value (compact), or NULL for NULL. Caller frees. */
static char *value_text(const json_t *v)
{
    return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15))
             : NULL;
}

static int add_value_finding(au_report *r, au_finding_kind kind,
                             const char *batch, const char *sheet,
                             const char *field, const json_t *a,
                             const json_t *b, int64_t seq)
{
    char *ta = value_text(a), *tb = value_text(b);
    int rc = 0;
    if ((a && !ta) || (b && !tb))
        rc = oom();
    else
        rc = au_report_add(r, kind, batch, sheet, NULL, field, ta, tb, seq,
                           NULL);
    free(ta);
    free(tb);
    return rc;
}

static bool scalars_only(const json_t *a)
{
    size_t i;
    json_t *v;
    json_array_foreach((json_t *)a, i, v)
        if (json_is_object(v) || json_is_array(v))
            return false;
    return true;
}

/* Every difference between two JSON values as findings, each with its
 * path ("marks[3].state"). Object keys are taken in a's order, then keys
 * only b has; arrays element by element, except lists of scalars of
 * different lengths, which are one difference. */
static int json_diff(au_report *r, au_finding_kind kind, const char *batch,
                     const char *sheet, const char *path, const json_t *a,
                     const json_t *b, int64_t seq)
{
    char sub[1024];
    if (a && b && json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *va;
        json_object_foreach((json_t *)a, k, va) {
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", k);
            int rc = json_diff(r, kind, batch, sheet, sub, va,
                               json_object_get(b, k), seq);
            if (rc)
                return rc;
        }
        json_t *vb;
        json_object_foreach((json_t *)b, k, vb) {
            if (json_object_get(a, k))
                continue;
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", k);
            int rc = add_value_finding(r, kind, batch, sheet, sub, NULL, vb, seq);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (a && b && json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        /* Lists of numbers or names of another length (personal votes,
         * reasons) read best whole: [2,5] against [2,4,5]. */
        if (na != nb && scalars_only(a) && scalars_only(b))
            return add_value_finding(r, kind, batch, sheet, path, a, b, seq);
        for (size_t i = 0; i < na || i < nb; i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            int rc = json_diff(r, kind, batch, sheet, sub,
                               json_array_get(a, i), json_array_get(b, i), seq);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (a && b && json_equal((json_t *)a, (json_t *)b))
        return 0;
    return add_value_finding(r, kind, batch, sheet, path, a, b, seq);
}

static int add(au_report *r, au_finding_kind kind, const char *batch,
               const char *sheet, const char *path, const char *field,
               const char *old_value, const char *new_value, int64_t seq,
               const char *fmt, ...) TELLE_PRINTF(10, 11);

static int add(au_report *r, au_finding_kind kind, const char *batch,
               const char *sheet, const char *path, const char *field,
               const char *old_value, const char *new_value, int64_t seq,
               const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return au_report_add(r, kind, batch, sheet, path, field, old_value,
                         new_value, seq, msg);
}

/* Decodes page `page` of path into *out. 0 with an image; otherwise a
 * finding (missing or unreadable) was added and *out is NULL. */
static int page_decode(img **out, bool *found, sheet_job *j,
                       reader_cache *cache, const char *batch,
                       const char *path, int page)
{
    *out = NULL;
    *found = true;
    if (!cache->path || strcmp(cache->path, path) != 0) {
        cache_clear(cache);
        struct stat st;
        if (stat(path, &st) != 0 && errno == ENOENT)
            return add(j->found, AU_IMAGE_MISSING, batch, j->sheet, path,
                       NULL, NULL, NULL, 0, "%s: no such file", path);
        if (iio_reader_open(&cache->reader, path) != 0) {
            cache->reader = NULL;
            return au_report_add(j->found, AU_IMAGE_UNREADABLE, batch,
                                 j->sheet, path, NULL, NULL, NULL, 0,
                                 err_message());
        }
        if (!(cache->path = strdup(path))) {
            cache_clear(cache);
            return oom();
        }
    }
    int rc = iio_reader_read(out, cache->reader, page);
    if (rc == TELLE_ENOMEM)
        return rc;
    if (rc != 0) {
        *out = NULL;
        return au_report_add(j->found, AU_IMAGE_UNREADABLE, batch, j->sheet,
                             path, NULL, NULL, NULL, 0, err_message());
    }
    *found = false;
    return 0;
}

/* Re-reads one sheet: its findings go into j->found, j->state says how it
 * compared. Returns 0, or TELLE_ENOMEM / TELLE_EINVAL when recognition
 * itself fails (then the replay stops). */
static int sheet_replay(sheet_job *j, const sheet_pool *p, reader_cache *cache)
{
    const char *batch = p->batch;
    json_t *old = NULL, *fresh = NULL;
    img *im[2] = {NULL, NULL};
    rec_sheet *rs = NULL;
    char *text = NULL;
    int rc = 0;
    j->state = SHEET_NOT_REREAD;
    hash_sha256_buffer(j->text_sha, j->text, strlen(j->text));
    j->record_bad = strcmp(j->text_sha, j->sha256) != 0;
    if (j->record_bad
        && (rc = add(j->found, AU_RECORD_HASH, batch, j->sheet, NULL, NULL,
                     j->sha256, j->text_sha, 0,
                     "the stored record text has SHA-256 %s, the store says "
                     "%s: the text was edited", j->text_sha, j->sha256)))
        goto done;
    json_error_t jerr;
    if (!(old = json_loads(j->text, 0, &jerr)) || !json_is_object(old)) {
        rc = add(j->found, AU_STORE, batch, j->sheet, NULL, NULL, NULL, NULL,
                 0, "the stored record is not a JSON object: %s", jerr.text);
        goto done;
    }
    json_t *rpages = json_object_get(old, "pages");
    int n = (int)json_array_size(rpages);
    if (n == 0) {
        rc = add(j->found, AU_IMAGE_MISSING, batch, j->sheet, NULL, NULL,
                 NULL, NULL, 0, "the record names no page image: nothing to "
                 "re-read it from");
        goto done;
    }
    if (n > 2 || n != j->n_pages) {
        rc = add(j->found, AU_STORE, batch, j->sheet, NULL, "pages", NULL,
                 NULL, 0, "the record names %d pages, the store has %d page "
                 "rows for the sheet", n, j->n_pages);
        goto done;
    }
    bool ok = true;
    rec_page_in in[2];
    char path[2][4096];
    for (int i = 0; i < n; i++) {
        const st_page *pg = &j->pages[i];
        json_t *rp = json_array_get(rpages, (size_t)i);
        page_path(path[i], sizeof path[i], p->opt, batch, pg->archive_path);
        bool missing;
        if ((rc = page_decode(&im[i], &missing, j, cache, batch, path[i],
                              pg->file_page)))
            goto done;
        if (missing) {
            ok = false;
            continue;
        }
        j->pages_checked++;
        in[i].image = im[i];
        in[i].file = json_string_value(json_object_get(rp, "file"));
        in[i].page = (int)json_integer_value(json_object_get(rp, "page"));
        if (!in[i].file)
            in[i].file = pg->archive_path;
    }
    if (!ok)
        goto done;
    if ((rc = rec_sheet_read(&rs, p->engine, in, n))) {
        snprintf(j->error, sizeof j->error, "%s: %s", j->sheet, err_message());
        goto done;
    }
    const char *sheet_name = json_string_value(json_object_get(old, "sheet"));
    rec_sheet_meta meta = {
        sheet_name ? sheet_name : j->sheet,
        json_string_value(json_object_get(old, "batch")),
        json_string_value(json_object_get(old, "krets")),
        json_string_value(json_object_get(old, "category")),
    };
    rec_sheet_expect_election(rs, p->election);
    if ((rc = rec_sheet_to_json(&text, rs, &meta))) {
        snprintf(j->error, sizeof j->error, "%s: %s", j->sheet, err_message());
        goto done;
    }
    bool same = strcmp(text, j->text) == 0;
    if (!same && !(fresh = json_loads(text, 0, NULL))) {
        rc = oom();
        goto done;
    }
    /* The pixel hash: recognition wrote hash_sha256_pixels of each page
     * into the new record (the same text as the stored one when `same`);
     * hashing the pages again would cost a tenth of the replay. */
    for (int i = 0; i < n; i++) {
        const st_page *pg = &j->pages[i];
        const char *rsha = json_string_value(
            json_object_get(json_array_get(rpages, (size_t)i), "sha256"));
        char h[HASH_HEX_LEN + 1], field[64];
        const char *fsha = same ? rsha
                                : json_string_value(json_object_get(
                                      json_array_get(json_object_get(fresh, "pages"),
                                                     (size_t)i), "sha256"));
        if (fsha && strlen(fsha) == HASH_HEX_LEN)
            memcpy(h, fsha, sizeof h);
        else
            hash_sha256_pixels(h, im[i]);
        bool rec_bad = !rsha || strcmp(h, rsha) != 0;
        bool row_bad = strcmp(h, pg->sha256) != 0;
        snprintf(field, sizeof field, "pages[%d].sha256", i);
        if (rec_bad
            && (rc = add(j->found, AU_PAGE_HASH, batch, j->sheet, path[i], field,
                         rsha, h, 0, "%s page %d: the pixels have SHA-256 %s, "
                         "the record names %s", path[i], pg->file_page, h,
                         rsha ? rsha : "none")))
            goto done;
        if (row_bad && (!rec_bad || !rsha || strcmp(pg->sha256, rsha) != 0)
            && (rc = add(j->found, AU_PAGE_HASH, batch, j->sheet, path[i],
                         "page row", pg->sha256, h, 0, "%s page %d: the "
                         "pixels have SHA-256 %s, the page row says %s",
                         path[i], pg->file_page, h, pg->sha256)))
            goto done;
    }
    if (same) {
        j->state = SHEET_IDENTICAL;
        goto done;
    }
    j->state = SHEET_DIFFERS;
    int before = j->found->n_findings;
    if ((rc = json_diff(j->found, AU_RECORD_DIFFERS, batch, j->sheet, "",
                        old, fresh, 0)))
        goto done;
    if (j->found->n_findings == before) {
        /* Same values, other bytes (key order, number format): still not
         * the record recognition writes. */
        json_t *a = json_string(j->text), *b = json_string(text);
        rc = (a && b) ? add_value_finding(j->found, AU_RECORD_DIFFERS, batch,
                                          j->sheet, "(text)", a, b, 0)
                      : oom();
        json_decref(a);
        json_decref(b);
    }
done:
    if (rc && !j->error[0])
        snprintf(j->error, sizeof j->error, "%s: %s", j->sheet, err_message());
    free(text);
    rec_sheet_free(rs);
    img_free(im[0]);
    img_free(im[1]);
    json_decref(old);
    json_decref(fresh);
    return rc;
}

/* Takes sheets until none are left. The calling thread (main) reports
 * progress after each of its sheets. */
static void pool_work(sheet_pool *p, bool report_progress)
{
    reader_cache cache = {NULL, NULL};
    for (;;) {
        int i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n_jobs)
            break;
        sheet_job *j = &p->jobs[i];
        j->rc = sheet_replay(j, p, &cache);
        int d = atomic_fetch_add(&p->done, 1) + 1;
        if (report_progress && p->opt->progress)
            p->opt->progress(p->opt->progress_ctx, p->done_before + d,
                             p->total);
    }
    cache_clear(&cache);
}

static void *pool_thread(void *arg)
{
    pool_work(arg, false);
    return NULL;
}

static void pool_run(sheet_pool *p, int threads)
{
    pthread_t tid[AU_MAX_THREADS];
    int started = 0;
    for (int t = 1; t < threads && t < p->n_jobs && t < AU_MAX_THREADS; t++) {
        if (pthread_create(&tid[started], NULL, pool_thread, p) != 0)
            break;
        started++;
    }
    pool_work(p, true);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}

/* ---- the batch as a whole ---- */

static void jobs_free(sheet_job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        free(jobs[i].sheet);
        free(jobs[i].text);
        free(jobs[i].sha256);
        st_pages_free(jobs[i].pages, jobs[i].n_pages);
        au_report_free(jobs[i].found);
    }
    free(jobs);
}

/* The batch's records and their page rows, as jobs in scan order. */
static int jobs_load(sheet_job **out, int *n_out, st_db *db, const char *batch)
{
    st_record *recs = NULL;
    int n = 0, rc;
    *out = NULL;
    *n_out = 0;
    if ((rc = st_record_list(&recs, &n, db, batch, true)))
        return rc;
    sheet_job *jobs = calloc(n > 0 ? (size_t)n : 1, sizeof *jobs);
    if (!jobs) {
        st_records_free(recs, n);
        return oom();
    }
    for (int i = 0; i < n; i++) {
        sheet_job *j = &jobs[i];
        j->id = recs[i].id;
        j->sheet = recs[i].sheet;
        j->text = recs[i].record;
        j->sha256 = recs[i].sha256;
        recs[i].sheet = recs[i].record = recs[i].sha256 = NULL;
        if (!j->text && !(j->text = strdup(""))) {
            rc = oom();
            break;
        }
        if ((rc = st_page_list(&j->pages, &j->n_pages, db, batch, j->sheet)))
            break;
        if (!(j->found = au_report_new())) {
            rc = oom();
            break;
        }
    }
    st_records_free(recs, n);
    if (rc) {
        jobs_free(jobs, n);
        return rc;
    }
    *out = jobs;
    *n_out = n;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_image_file(const char *path)
{
    unsigned char m[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(m, 1, sizeof m, f);
    fclose(f);
    if (n >= 4 && ((m[0] == 'I' && m[1] == 'I' && m[2] == 42 && m[3] == 0)
                   || (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && m[3] == 42)))
        return true;
    return n >= 8 && memcmp(m, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* An image file no page names: a finding when any page of it is a ballot
 * side or does not decode; a note when it is no ballot (the batch's label
 * sheet, a separator). */
static int extra_file_check(au_report *r, const rec_engine *e,
                            const char *batch, const char *path)
{
    iio_reader *rd = NULL;
    int rc = 0;
    if (iio_reader_open(&rd, path) != 0)
        return add(r, AU_IMAGE_EXTRA, batch, NULL, path, NULL, NULL, NULL, 0,
                   "%s: an image file no page names, and it does not open: %s",
                   path, err_message());
    int pages = iio_reader_page_count(rd);
    bool ballot = false, broken = false;
    for (int pg = 1; pg <= pages && !ballot && !broken; pg++) {
        img *im = NULL;
        if (iio_reader_read(&im, rd, pg) != 0) {
            broken = true;
            break;
        }
        rec_page_in in = {im, path, pg};
        rec_sheet *s = NULL;
        rc = rec_sheet_read(&s, e, &in, 1);
        if (rc == 0)
            ballot = rec_sheet_is_ballot(s);
        rec_sheet_free(s);
        img_free(im);
        if (rc)
            goto done;
    }
    if (ballot || broken)
        rc = add(r, AU_IMAGE_EXTRA, batch, NULL, path, NULL, NULL, NULL, 0,
                 "%s: %s that no page of the store names", path,
                 ballot ? "a ballot page" : "an image that does not decode");
    else
        rc = add(r, AU_IMAGE_EXTRA, batch, NULL, path, NULL, NULL, NULL, -1,
                 "%s: no ballot (a label or blank sheet), named by no page",
                 path);
done:
    iio_reader_close(rd);
    return rc;
}

/* Image files in the batch's archive folders that no page names. Non-ballot
 * files come back with seq -1 (notes, moved out by the caller). */
static int extra_files_find(au_report *r, const rec_engine *e,
                            const au_replay_options *opt, const char *batch,
                            const sheet_job *jobs, int n_jobs)
{
    char **named = NULL, **dirs = NULL, **names = NULL;
    size_t n_named = 0, n_dirs = 0, n_names = 0, cap_names = 0;
    int rc = 0, total = 0;
    for (int i = 0; i < n_jobs; i++)
        total += jobs[i].n_pages;
    named = calloc((size_t)total + 1, sizeof *named);
    dirs = calloc((size_t)total + 2, sizeof *dirs);
    if (!named || !dirs) {
        rc = oom();
        goto done;
    }
    char path[4096];
    for (int i = 0; i < n_jobs; i++)
        for (int k = 0; k < jobs[i].n_pages; k++) {
            page_path(path, sizeof path, opt, batch, jobs[i].pages[k].archive_path);
            if (!(named[n_named++] = strdup(path))) {
                rc = oom();
                goto done;
            }
            char *slash = strrchr(named[n_named - 1], '/');
            size_t len = slash ? (size_t)(slash - named[n_named - 1]) : 1;
            char *d = slash ? strndup(named[n_named - 1], len) : strdup(".");
            if (!d) {
                rc = oom();
                goto done;
            }
            dirs[n_dirs++] = d;
        }
    if (opt->archive_dir && n_dirs == 0) {
        snprintf(path, sizeof path, "%s/%s", opt->archive_dir, batch);
        if (!(dirs[n_dirs++] = strdup(path))) {
            rc = oom();
            goto done;
        }
    }
    qsort(named, n_named, sizeof *named, cmp_str);
    qsort(dirs, n_dirs, sizeof *dirs, cmp_str);
    for (size_t d = 0; d < n_dirs; d++) {
        if (d > 0 && strcmp(dirs[d], dirs[d - 1]) == 0)
            continue;
        DIR *dh = opendir(dirs[d]);
        if (!dh)
            continue; /* the missing pages are findings already */
        struct dirent *de;
        n_names = 0;
        while ((de = readdir(dh))) {
            if (de->d_name[0] == '.')
                continue;
            if (n_names == cap_names) {
                size_t cap = cap_names ? cap_names * 2 : 64;
                char **g = realloc(names, cap * sizeof *g);
                if (!g) {
                    closedir(dh);
                    rc = oom();
                    goto done;
                }
                names = g;
                cap_names = cap;
            }
            snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
            if (!(names[n_names] = strdup(path))) {
                closedir(dh);
                rc = oom();
                goto done;
            }
            n_names++;
        }
        closedir(dh);
        qsort(names, n_names, sizeof *names, cmp_str);
        for (size_t i = 0; i < n_names && rc == 0; i++) {
            struct stat st;
            const char *key = names[i];
            if (bsearch(&key, named, n_named, sizeof *named, cmp_str))
                continue;
            if (stat(names[i], &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (!is_image_file(names[i]))
                continue;
            rc = extra_file_check(r, e, batch, names[i]);
        }
        for (size_t i = 0; i < n_names; i++)
            free(names[i]);
        n_names = 0;
        if (rc)
            goto done;
    }
done:
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    for (size_t i = 0; i < n_named; i++)
        free(named[i]);
    free(named);
    for (size_t i = 0; i < n_dirs; i++)
        free(dirs[i]);
    free(dirs);
    return rc;
}

/* The events of one batch that replay checks. */
typedef struct {
    int64_t seq;
    char *kind;
    json_t *payload;
} batch_event;

typedef struct {
    batch_event *ev;
    int n, cap;
    int bad_payloads;
    au_report *r;
    const char *batch;
} event_list;

static int event_collect(const st_event *ev, void *ctx)
{
    event_list *l = ctx;
    if (strcmp(ev->kind, "record_add") != 0 && strcmp(ev->kind, "page_add") != 0
        && strcmp(ev->kind, "decide") != 0)
        return 0;
    json_t *p = json_loads(ev->payload, 0, NULL);
    if (!p || !json_is_object(p)) {
        json_decref(p);
        return add(l->r, AU_STORE, l->batch, NULL, NULL, NULL, NULL, NULL,
                   ev->seq, "event %" PRId64 " (%s): the payload is not a JSON "
                   "object", ev->seq, ev->kind);
    }
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 256;
        batch_event *g = realloc(l->ev, (size_t)cap * sizeof *g);
        if (!g) {
            json_decref(p);
            return oom();
        }
        l->ev = g;
        l->cap = cap;
    }
    batch_event *b = &l->ev[l->n];
    b->seq = ev->seq;
    b->payload = p;
    if (!(b->kind = strdup(ev->kind))) {
        json_decref(p);
        return oom();
    }
    l->n++;
    return 0;
}

static void event_list_free(event_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->ev[i].kind);
        json_decref(l->ev[i].payload);
    }
    free(l->ev);
}

static sheet_job *job_by_id(sheet_job *jobs, int n, int64_t id)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (jobs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && jobs[lo].id == id ? &jobs[lo] : NULL;
}

static const char *pstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int cmp_job_sheet(const void *a, const void *b)
{
    const sheet_job *x = *(sheet_job *const *)a, *y = *(sheet_job *const *)b;
    return strcmp(x->sheet, y->sheet);
}

/* The record_add, page_add and decide events of the batch against the rows
 * and records: each record was logged with its hash, each page row is the
 * page its event logged (in order), each decision names the hash of the
 * record it was made on. */
static int events_check(au_report *r, int *decisions, int64_t *records_bad,
                        st_db *db, const char *batch, sheet_job *jobs,
                        int n_jobs)
{
    event_list l = {.r = r, .batch = batch};
    sheet_job **by_sheet = NULL;
    bool *logged = NULL;
    int *pages_seen = NULL;
    int rc;
    if ((rc = st_event_read(db, 1, batch, event_collect, &l)))
        goto done;
    by_sheet = calloc((size_t)n_jobs + 1, sizeof *by_sheet);
    logged = calloc((size_t)n_jobs + 1, sizeof *logged);
    pages_seen = calloc((size_t)n_jobs + 1, sizeof *pages_seen);
    if (!by_sheet || !logged || !pages_seen) {
        rc = oom();
        goto done;
    }
    for (int i = 0; i < n_jobs; i++)
        by_sheet[i] = &jobs[i];
    qsort(by_sheet, (size_t)n_jobs, sizeof *by_sheet, cmp_job_sheet);
    for (int e = 0; e < l.n && rc == 0; e++) {
        batch_event *ev = &l.ev[e];
        json_t *p = ev->payload;
        if (strcmp(ev->kind, "record_add") == 0) {
            int64_t item = json_integer_value(json_object_get(p, "item"));
            const char *sha = pstr(p, "sha256");
            sheet_job *j = job_by_id(jobs, n_jobs, item);
            if (!j) {
                (*records_bad)++; /* a record deleted behind the log */
                rc = add(r, AU_RECORD_HASH, batch, pstr(p, "sheet"), NULL, NULL,
                         sha, NULL, ev->seq, "event %" PRId64 " logged record "
                         "%" PRId64 " (%s), which the store no longer holds",
                         ev->seq, item, pstr(p, "sheet") ? pstr(p, "sheet") : "?");
                continue;
            }
            logged[j - jobs] = true;
            if (!sha || strcmp(sha, j->sha256) != 0) {
                j->record_bad = true;
                rc = add(r, AU_RECORD_HASH, batch, j->sheet, NULL, "sha256",
                         sha, j->sha256, ev->seq, "record %" PRId64 ": event %"
                         PRId64 " logged SHA-256 %s, the store now says %s",
                         item, ev->seq, sha ? sha : "none", j->sha256);
            }
        } else if (strcmp(ev->kind, "page_add") == 0) {
            const char *sheet = pstr(p, "sheet");
            sheet_job key = {.sheet = (char *)(sheet ? sheet : "")};
            sheet_job *kp = &key;
            sheet_job **f = bsearch(&kp, by_sheet, (size_t)n_jobs,
                                    sizeof *by_sheet, cmp_job_sheet);
            if (!f) {
                rc = add(r, AU_STORE, batch, sheet, pstr(p, "archive_path"),
                         "pages", NULL, NULL, ev->seq, "event %" PRId64
                         " logged a page of sheet %s, which has no record",
                         ev->seq, sheet ? sheet : "?");
                continue;
            }
            sheet_job *j = *f;
            int k = pages_seen[j - jobs]++;
            const st_page *pg = k < j->n_pages ? &j->pages[k] : NULL;
            const char *ap = pstr(p, "archive_path"), *sha = pstr(p, "sha256");
            int fp = (int)json_integer_value(json_object_get(p, "file_page"));
            if (!pg || !ap || !sha || strcmp(ap, pg->archive_path) != 0
                || strcmp(sha, pg->sha256) != 0 || fp != pg->file_page)
                rc = add(r, AU_STORE, batch, j->sheet, ap, "pages", sha,
                         pg ? pg->sha256 : NULL, ev->seq, "event %" PRId64
                         " logged page %d of the sheet as %s page %d (%s); "
                         "the store %s", ev->seq, k + 1, ap ? ap : "?", fp,
                         sha ? sha : "?", pg ? "holds another page row"
                                             : "has no such page row");
        } else if (strcmp(ev->kind, "decide") == 0) {
            int64_t item = json_integer_value(json_object_get(p, "item"));
            const char *named = pstr(p, "record_sha256");
            sheet_job *j = job_by_id(jobs, n_jobs, item);
            (*decisions)++;
            if (!j)
                rc = add(r, AU_DECISION_HASH, batch, pstr(p, "sheet"), NULL,
                         NULL, named, NULL, ev->seq, "decision %" PRId64
                         " is about item %" PRId64 ", which is no record of "
                         "the batch", ev->seq, item);
            else if (!named || strcmp(named, j->sha256) != 0
                     || strcmp(named, j->text_sha) != 0)
                rc = add(r, AU_DECISION_HASH, batch, j->sheet, NULL, NULL,
                         named, j->text_sha, ev->seq, "decision %" PRId64
                         " on %s was made on record %s; the record now has "
                         "%s", ev->seq, j->sheet, named ? named : "none",
                         j->text_sha);
        }
    }
    for (int i = 0; i < n_jobs && rc == 0; i++) {
        *records_bad += jobs[i].record_bad || !logged[i];
        if (!logged[i])
            rc = add(r, AU_RECORD_HASH, batch, jobs[i].sheet, NULL, NULL, NULL,
                     jobs[i].sha256, 0, "record %" PRId64 " (%s) has no "
                     "record_add event: it was added behind the log",
                     jobs[i].id, jobs[i].sheet);
        else if (pages_seen[i] != jobs[i].n_pages)
            rc = add(r, AU_STORE, batch, jobs[i].sheet, NULL, "pages", NULL,
                     NULL, 0, "%s: %d page rows, %d page_add events",
                     jobs[i].sheet, jobs[i].n_pages, pages_seen[i]);
    }
done:
    event_list_free(&l);
    free(by_sheet);
    free(logged);
    free(pages_seen);
    return rc;
}

/* Every committed remark must still be among the derived ones: remarks may
 * be added to a committed batch (they go to the protocol, they are no
 * count), but none can disappear. */
static int remarks_check(au_report *r, const char *batch, int64_t seq,
                         const json_t *committed, const json_t *derived)
{
    size_t i;
    json_t *c;
    json_array_foreach((json_t *)committed, i, c) {
        bool found = false;
        size_t k;
        json_t *d;
        json_array_foreach((json_t *)derived, k, d)
            if (json_equal(c, d)) {
                found = true;
                break;
            }
        if (!found) {
            char field[64];
            snprintf(field, sizeof field, "remarks[%zu]", i);
            int rc = add_value_finding(r, AU_TALLY_DIFFERS, batch, NULL, field,
                                       c, NULL, seq);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The committed tallies (the batch_commit payload in effect) against the
 * tallies derived now from records and decisions. */
static int tallies_check(au_report *r, au_report *report, st_db *db,
                         const char *batch)
{
    vq_batch_state *s = NULL;
    st_event *ev = NULL;
    json_t *committed = NULL, *derived = NULL;
    int rc = vq_batch_state_get(&s, db, batch, vq_now_ms());
    if (rc == TELLE_EFORMAT || rc == TELLE_EINVAL) {
        rc = add(r, AU_STORE, batch, NULL, NULL, NULL, NULL, NULL, 0,
                 "the batch's state does not derive: %s", err_message());
        goto done;
    }
    if (rc)
        goto done;
    if (!s->committed)
        goto done;
    report->batches_committed++;
    if ((rc = st_event_get(&ev, db, s->commit_seq)))
        goto done;
    if (!(committed = json_loads(ev->payload, 0, NULL))) {
        rc = add(r, AU_TALLY_DIFFERS, batch, NULL, NULL, NULL, NULL, NULL,
                 s->commit_seq, "commit %" PRId64 ": the payload is not JSON",
                 s->commit_seq);
        goto done;
    }
    rc = vq_batch_tallies(&derived, db, batch);
    if (rc == TELLE_EFORMAT || rc == TELLE_EINVAL || rc == TELLE_ESTATE) {
        rc = add(r, AU_TALLY_DIFFERS, batch, NULL, NULL, NULL, NULL, NULL,
                 s->commit_seq, "the tallies do not derive: %s", err_message());
        goto done;
    }
    if (rc)
        goto done;
    report->tallies_compared++;
    json_t *cr = json_incref(json_object_get(committed, "remarks"));
    json_t *dr = json_incref(json_object_get(derived, "remarks"));
    json_object_del(committed, "remarks");
    json_object_del(derived, "remarks");
    rc = json_diff(r, AU_TALLY_DIFFERS, batch, NULL, "", committed, derived,
                   s->commit_seq);
    if (rc == 0)
        rc = remarks_check(r, batch, s->commit_seq, cr, dr);
    json_decref(cr);
    json_decref(dr);
done:
    json_decref(committed);
    json_decref(derived);
    st_event_free(ev);
    vq_batch_state_free(s);
    return rc;
}

/* Moves sheet findings into the report; non-ballot extra files (seq -1)
 * are dropped here and counted (they are no disagreement). */
static int report_merge(au_report *into, au_report *from)
{
    for (int i = 0; i < from->n_findings; i++) {
        au_finding *f = &from->findings[i];
        if (f->kind == AU_IMAGE_EXTRA && f->seq == -1) {
            into->unnamed_non_ballot++;
            continue;
        }
        int rc = au_report_add(into, f->kind, f->batch, f->sheet, f->path,
                               f->field, f->old_value, f->new_value, f->seq,
                               f->message);
        if (rc)
            return rc;
    }
    return 0;
}

/* The package folder the store names: the "dir" of its package_init event. */
typedef struct {
    char *dir;
} package_dir_ctx;

static int package_dir_find(const st_event *ev, void *ctx)
{
    package_dir_ctx *c = ctx;
    if (strcmp(ev->kind, "package_init") != 0)
        return 0;
    json_t *p = json_loads(ev->payload, 0, NULL);
    const char *d = json_string_value(json_object_get(p, "dir"));
    if (d && !(c->dir = strdup(d))) {
        json_decref(p);
        return oom();
    }
    json_decref(p);
    return 1; /* found: stop */
}

/* Loads the package and checks its election.json is the stored one. */
static int package_open(pkg_package **out, char sha_out[65], st_db *db,
                        const au_replay_options *opt)
{
    char *stored_sha = NULL;
    package_dir_ctx pd = {NULL};
    int rc;
    *out = NULL;
    if ((rc = st_package_get(NULL, &stored_sha, db)))
        return rc;
    snprintf(sha_out, 65, "%s", stored_sha);
    const char *dir = opt->package_dir;
    if (!dir) {
        rc = st_event_read(db, 1, NULL, package_dir_find, &pd);
        if (rc < 0)
            goto done;
        rc = 0;
        if (!pd.dir) {
            rc = err_set(TELLE_ESTATE, "%s: the store names no package folder; "
                         "give the package with --package DIR", st_db_path(db));
            goto done;
        }
        dir = pd.dir;
    }
    char path[4096], sha[HASH_HEX_LEN + 1];
    snprintf(path, sizeof path, "%s/election.json", dir);
    if (hash_sha256_file(sha, path) != 0) {
        rc = err_set(TELLE_EIO, "%s: cannot read the package's election.json%s",
                     path, opt->package_dir ? "" : " (the folder the store "
                     "names; give the package with --package DIR)");
        goto done;
    }
    if (strcmp(sha, stored_sha) != 0) {
        rc = err_set(TELLE_EFORMAT, "%s has SHA-256 %s, but the count was made "
                     "with election.json %s: replay needs the package the "
                     "count was made with", path, sha, stored_sha);
        goto done;
    }
    if ((rc = pkg_load(out, dir)))
        err_prefix("package %s: ", dir);
done:
    free(pd.dir);
    free(stored_sha);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One batch: sheets on the pool, then the batch-wide checks. */
static int batch_replay(au_report *report, st_db *db, const rec_engine *e,
                        const au_replay_options *opt, int threads,
                        const char *id, int *done_before, int total)
{
    st_batch *b = NULL;
    sheet_job *jobs = NULL;
    au_report *batch_found = NULL;
    int n = 0, rc;
    if ((rc = st_batch_get(&b, db, id)))
        return rc;
    if ((rc = jobs_load(&jobs, &n, db, id)))
        goto done;
    sheet_pool p = {.engine = e, .opt = opt, .batch = id,
                    .election = b->election, .jobs = jobs, .n_jobs = n,
                    .done_before = *done_before, .total = total};
    atomic_init(&p.next, 0);
    atomic_init(&p.done, 0);
    pool_run(&p, threads);
    *done_before += n;
    for (int i = 0; i < n; i++) {
        sheet_job *j = &jobs[i];
        if (j->rc) {
            rc = err_set(j->rc, "batch %s: %s", id, j->error);
            goto done;
        }
        report->sheets_checked++;
        report->pages_checked += j->pages_checked;
        if (j->state == SHEET_IDENTICAL)
            report->sheets_identical++;
        else if (j->state == SHEET_DIFFERS)
            report->sheets_differing++;
        else
            report->sheets_not_reread++;
        if ((rc = report_merge(report, j->found)))
            goto done;
    }
    if (!(batch_found = au_report_new())) {
        rc = oom();
        goto done;
    }
    if ((rc = extra_files_find(batch_found, e, opt, id, jobs, n))
        || (rc = events_check(batch_found, &report->decisions_checked,
                              &report->records_bad, db, id, jobs, n))
        || (rc = tallies_check(batch_found, report, db, id))
        || (rc = report_merge(report, batch_found)))
        goto done;
done:
    au_report_free(batch_found);
    jobs_free(jobs, n);
    st_batch_free(b);
    return rc;
}

int au_replay(au_report **out, st_db *db, const au_replay_options *opt)
{
    au_replay_options defaults = AU_REPLAY_OPTIONS_INIT;
    au_report *report = NULL;
    pkg_package *pkg = NULL;
    rec_engine *engine = NULL;
    char **batches = NULL;
    int rc;
    double t0 = now_s();
    *out = NULL;
    if (!db)
        return err_set(TELLE_EINVAL, "au_replay: no store");
    if (!opt)
        opt = &defaults;
    int threads = opt->threads;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (threads > AU_MAX_THREADS)
        threads = AU_MAX_THREADS;
    if (!(report = au_report_new()))
        return oom();
    if ((rc = package_open(&pkg, report->package_sha256, db, opt))
        || (rc = rec_engine_new(&engine, pkg, NULL))
        || (rc = st_batch_list(&batches, db)))
        goto done;
    int total = 0;
    for (int i = 0; batches[i]; i++) {
        st_record *recs = NULL;
        int n = 0;
        if ((rc = st_record_list(&recs, &n, db, batches[i], false)))
            goto done;
        st_records_free(recs, n);
        total += n;
        report->batches++;
    }
    int done_before = 0;
    for (int i = 0; batches[i]; i++)
        if ((rc = batch_replay(report, db, engine, opt, threads, batches[i],
                               &done_before, total)))
            goto done;
    if ((rc = st_chain_verify(&report->chain, db)))
        goto done;
    if (report->chain.first_bad_seq != 0
        && (rc = au_report_add(report, AU_CHAIN, NULL, NULL, NULL, NULL, NULL,
                               NULL, report->chain.first_bad_seq,
                               report->chain.message)))
        goto done;
    report->seconds = now_s() - t0;
    *out = report;
    report = NULL;
done:
    au_report_free(report);
    st_strv_free(batches);
    rec_engine_free(engine);
    pkg_free(pkg);
    return rc;
}
