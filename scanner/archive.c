/* archive.c - the batch folder and its journal: scan_batch_meta_check,
 * scan_archive_open, scan_archive_open_dir, scan_archive_close,
 * scan_archive_page_add, scan_archive_next_sheet, scan_archive_sheets,
 * scan_archive_records, scan_archive_has_pixels, scan_archive_torn,
 * scan_archive_verify, scan_archive_dir, scan_archive_meta,
 * scan_archive_sides. */
#include "scanner/archive.h"

#include "core/error.h"
#include "core/image_io.h"
#include "core/log.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { PATH_CAP = 4096 };

typedef struct {
    scan_archive_record r;
    bool valid;
} page_entry;

struct scan_archive {
    char *dir;
    char *journal_path;
    char *scanner;
    scan_batch_meta meta;
    int sides;
    bool readonly;
    int journal_fd;
    int dir_fd;
    page_entry *pages;
    size_t npages, cap;
    size_t seq;        /* page lines ever journalled: names the next file */
    int torn;
    int cur_sheet;     /* the sheet being fed, and its next side */
    int cur_side;
    int ref_width, ref_height; /* the batch's first ballot page */
    scan_archive_record *view; /* scan_archive_records' answer */
};

static const char *const CATEGORIES[] = {"FO", "FS", "VO", "VS", "VB", NULL};

static bool field_ok(const char *s)
{
    if (!s[0] || s[0] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return false;
    return true;
}

int scan_batch_meta_check(const scan_batch_meta *m)
{
    struct { const char *name, *value; } f[] = {
        {"election", m->election}, {"krets", m->krets},
        {"category", m->category}, {"batch", m->batch}};
    for (size_t i = 0; i < 4; i++)
        if (!field_ok(f[i].value))
            return err_set(TELLE_EINVAL, "batch %s \"%s\" is empty or has "
                           "characters other than letters, digits, '.', "
                           "'_' and '-'", f[i].name, f[i].value);
    for (int i = 0; CATEGORIES[i]; i++)
        if (strcmp(CATEGORIES[i], m->category) == 0)
            return 0;
    return err_set(TELLE_EINVAL, "category \"%s\" is not one of FO, FS, VO, "
                   "VS, VB", m->category);
}

int scan_label_parse(scan_batch_meta *out, const char *text)
{
    memset(out, 0, sizeof *out);
    if (strncmp(text, "TELLE;", 6) != 0)
        return err_set(TELLE_EFORMAT, "\"%s\" is not a telle batch label "
                       "(it does not start with TELLE;)", text);
    for (const char *p = text + 6; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return err_set(TELLE_EFORMAT, "batch label \"%s\": field "
                           "\"%.*s\" has no '='", text, (int)len, p);
        size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
        char *dst = NULL;
        if (klen == 8 && strncmp(p, "election", 8) == 0)
            dst = out->election;
        else if (klen == 5 && strncmp(p, "krets", 5) == 0)
            dst = out->krets;
        else if (klen == 8 && strncmp(p, "category", 8) == 0)
            dst = out->category;
        else if (klen == 5 && strncmp(p, "batch", 5) == 0)
            dst = out->batch;
        if (dst) {
            if (vlen >= SCAN_META_FIELD)
                return err_set(TELLE_EFORMAT, "batch label \"%s\": field "
                               "\"%.*s\" is too long", text, (int)klen, p);
            memcpy(dst, eq + 1, vlen);
            dst[vlen] = '\0';
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (scan_batch_meta_check(out) != 0)
        return err_set(TELLE_EFORMAT, "batch label \"%s\": %s", text,
                       err_message());
    return 0;
}

static int path_join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= cap)
        return err_set(TELLE_EINVAL, "path %s/%s is too long", a, b);
    return 0;
}

static void now_iso(char out[64])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static int fsync_path(const char *path, bool dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return err_set(TELLE_EIO, "%s: cannot open to sync: %s", path,
                       strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0)
        return err_set(TELLE_EIO, "%s: fsync failed: %s", path, strerror(e));
    return 0;
}

/* Appends one JSON object as a line and fsyncs the journal. */
static int journal_append(scan_archive *a, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return err_set(TELLE_ENOMEM, "out of memory for a journal line");
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        return err_set(TELLE_ENOMEM, "out of memory for a journal line");
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    /* One write() of the whole line: a kill leaves it whole or absent (a
     * power cut may tear it; opening drops a torn last line). */
    size_t off = 0;
    while (off < len + 1) {
        ssize_t w = write(a->journal_fd, line + off, len + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            free(line);
            return err_set(TELLE_EIO, "%s: cannot append: %s",
                           a->journal_path, strerror(e));
        }
        off += (size_t)w;
    }
    free(line);
    if (fsync(a->journal_fd) != 0)
        return err_set(TELLE_EIO, "%s: fsync failed: %s", a->journal_path,
                       strerror(errno));
    return 0;
}

static int pages_push(scan_archive *a, const scan_archive_record *r)
{
    if (a->npages == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        page_entry *np = realloc(a->pages, cap * sizeof *np);
        if (!np)
            return err_set(TELLE_ENOMEM, "out of memory for page records");
        a->pages = np;
        a->cap = cap;
    }
    a->pages[a->npages].r = *r;
    a->pages[a->npages].valid = true;
    a->npages++;
    return 0;
}

static void pages_void_from(scan_archive *a, int from_sheet)
{
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].r.sheet >= from_sheet)
            a->pages[i].valid = false;
}

/* Whether any valid page belongs to sheet `from` or later. */
static bool pages_from(const scan_archive *a, int from)
{
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].valid && a->pages[i].r.sheet >= from)
            return true;
    return false;
}

/* The first sheet that does not have all its sides among the valid pages:
 * where feeding continues. O(pages). 0 when out of memory. */
static int next_sheet_compute(const scan_archive *a)
{
    int max = 0;
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].valid && a->pages[i].r.sheet > max)
            max = a->pages[i].r.sheet;
    if (max == 0)
        return 1;
    unsigned char *have = calloc((size_t)max + 1, 1);
    if (!have)
        return 0;
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].valid && a->pages[i].r.sheet > 0)
            have[a->pages[i].r.sheet] |= (unsigned char)(1 << a->pages[i].r.side);
    unsigned char full = a->sides == 2 ? 3 : 1;
    int s = 1;
    while (s <= max && have[s] == full)
        s++;
    free(have);
    return s;
}

int scan_archive_next_sheet(const scan_archive *a)
{
    return a->cur_sheet;
}

int scan_archive_sheets(const scan_archive *a)
{
    return scan_archive_next_sheet(a) - 1;
}

static void reference_size(scan_archive *a)
{
    a->ref_width = a->ref_height = 0;
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].valid && a->pages[i].r.sheet > 0) {
            a->ref_width = a->pages[i].r.width;
            a->ref_height = a->pages[i].r.height;
            return;
        }
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int copy_field(char *dst, size_t cap, const char *src)
{
    if (strlen(src) >= cap)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* Applies one parsed journal line. */
static int journal_apply(scan_archive *a, json_t *o, int lineno)
{
    const char *type = jstr(o, "type");
    if (strcmp(type, "batch") == 0) {
        scan_batch_meta m;
        memset(&m, 0, sizeof m);
        if (copy_field(m.election, sizeof m.election, jstr(o, "election")) ||
            copy_field(m.krets, sizeof m.krets, jstr(o, "krets")) ||
            copy_field(m.category, sizeof m.category, jstr(o, "category")) ||
            copy_field(m.batch, sizeof m.batch, jstr(o, "batch")))
            return err_set(TELLE_EFORMAT, "%s: line %d: field too long",
                           a->journal_path, lineno);
        a->meta = m;
        a->sides = (int)json_integer_value(json_object_get(o, "sides"));
        if (a->sides != 1 && a->sides != 2)
            return err_set(TELLE_EFORMAT, "%s: line %d: sides must be 1 or 2",
                           a->journal_path, lineno);
        return 0;
    }
    if (strcmp(type, "resume") == 0) {
        pages_void_from(a, (int)json_integer_value(
                               json_object_get(o, "from_sheet")));
        return 0;
    }
    if (strcmp(type, "page") == 0) {
        scan_archive_record r;
        memset(&r, 0, sizeof r);
        r.sheet = (int)json_integer_value(json_object_get(o, "sheet"));
        r.side = strcmp(jstr(o, "side"), "back") == 0 ? 1 : 0;
        r.width = (int)json_integer_value(json_object_get(o, "width"));
        r.height = (int)json_integer_value(json_object_get(o, "height"));
        if (copy_field(r.file, sizeof r.file, jstr(o, "file")) ||
            strlen(jstr(o, "pixels_sha256")) != HASH_HEX_LEN ||
            strlen(jstr(o, "file_sha256")) != HASH_HEX_LEN || r.sheet < 0 ||
            !r.file[0] || strchr(r.file, '/'))
            return err_set(TELLE_EFORMAT, "%s: line %d: page record is "
                           "incomplete", a->journal_path, lineno);
        memcpy(r.pixels_sha256, jstr(o, "pixels_sha256"), HASH_HEX_LEN + 1);
        memcpy(r.file_sha256, jstr(o, "file_sha256"), HASH_HEX_LEN + 1);
        /* A later page of the same sheet and side replaces an earlier one
         * (only a resume line makes that legal; be robust anyway). */
        for (size_t i = 0; i < a->npages; i++)
            if (a->pages[i].valid && a->pages[i].r.sheet == r.sheet &&
                a->pages[i].r.side == r.side && r.sheet > 0)
                a->pages[i].valid = false;
        a->seq++;
        return pages_push(a, &r);
    }
    return err_set(TELLE_EFORMAT, "%s: line %d: unknown record type \"%s\"",
                   a->journal_path, lineno, type);
}

/* Reads the journal. A torn last line is counted in a->torn and, when
 * writable, cut off the file. */
static int journal_load(scan_archive *a)
{
    FILE *f = fopen(a->journal_path, "rb");
    if (!f)
        return err_set(TELLE_EIO, "%s: cannot open: %s", a->journal_path,
                       strerror(errno));
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *nd = realloc(data, cap);
            if (!nd) {
                rc = err_set(TELLE_ENOMEM, "%s: out of memory",
                             a->journal_path);
                goto done;
            }
            data = nd;
        }
        size_t n = fread(data + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = err_set(TELLE_EIO, "%s: read error", a->journal_path);
        goto done;
    }
    size_t good = 0; /* bytes up to and including the last good line */
    int lineno = 0;
    for (size_t pos = 0; pos < len;) {
        char *nl = memchr(data + pos, '\n', len - pos);
        lineno++;
        if (!nl) {
            a->torn++;
            break;
        }
        *nl = '\0';
        json_error_t jerr;
        json_t *o = json_loads(data + pos, 0, &jerr);
        bool last = (size_t)(nl - data) + 1 >= len;
        if (!o || !json_is_object(o)) {
            json_decref(o);
            if (last) {
                a->torn++;
                break;
            }
            rc = err_set(TELLE_EFORMAT, "%s: line %d is not a JSON object "
                         "and is not the last line: the journal is corrupt",
                         a->journal_path, lineno);
            goto done;
        }
        if (lineno == 1 && strcmp(jstr(o, "type"), "batch") != 0) {
            json_decref(o);
            rc = err_set(TELLE_EFORMAT, "%s: the first line is not a batch "
                         "record", a->journal_path);
            goto done;
        }
        rc = journal_apply(a, o, lineno);
        json_decref(o);
        if (rc)
            goto done;
        pos = (size_t)(nl - data) + 1;
        good = pos;
    }
    if (a->torn && !a->readonly) {
        log_debug("scan", "%s: dropping a torn last line (%zu bytes)",
                  a->journal_path, len - good);
        if (truncate(a->journal_path, (off_t)good) != 0 ||
            fsync_path(a->journal_path, false) != 0) {
            rc = err_set(TELLE_EIO, "%s: cannot cut off the torn last line: "
                         "%s", a->journal_path, strerror(errno));
            goto done;
        }
    }
done:
    free(data);
    fclose(f);
    return rc;
}

static bool name_referenced(const scan_archive *a, const char *name)
{
    for (size_t i = 0; i < a->npages; i++)
        if (strcmp(a->pages[i].r.file, name) == 0)
            return true;
    return false;
}

/* Deletes leftovers of an interrupted page: *.tmp files and page files no
 * journal line names. */
static int folder_clean(scan_archive *a)
{
    DIR *d = opendir(a->dir);
    if (!d)
        return err_set(TELLE_EIO, "%s: cannot list: %s", a->dir,
                       strerror(errno));
    struct dirent *e;
    int removed = 0;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        bool tmp = len > 4 && strcmp(n + len - 4, ".tmp") == 0;
        bool page = n[0] == 'p' && len > 4 && strcmp(n + len - 4, ".tif") == 0;
        if (!tmp && !(page && !name_referenced(a, n)))
            continue;
        if (unlinkat(dirfd(d), n, 0) == 0)
            removed++;
        log_debug("scan", "%s: removed leftover %s", a->dir, n);
    }
    closedir(d);
    if (removed && fsync(a->dir_fd) != 0)
        return err_set(TELLE_EIO, "%s: fsync failed: %s", a->dir,
                       strerror(errno));
    return 0;
}

static int header_write(scan_archive *a)
{
    char t[64];
    now_iso(t);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "type", "batch",
                          "batch", a->meta.batch, "election", a->meta.election,
                          "krets", a->meta.krets, "category",
                          a->meta.category, "sides", a->sides, "time", t);
    if (!o)
        return err_set(TELLE_ENOMEM, "out of memory for the batch record");
    int rc = journal_append(a, o);
    json_decref(o);
    return rc;
}

static int resume_write(scan_archive *a, int from)
{
    char t[64];
    now_iso(t);
    json_t *o = json_pack("{s:s,s:i,s:s}", "type", "resume", "from_sheet",
                          from, "time", t);
    if (!o)
        return err_set(TELLE_ENOMEM, "out of memory for a resume record");
    int rc = journal_append(a, o);
    json_decref(o);
    if (!rc)
        pages_void_from(a, from);
    return rc;
}

void scan_archive_close(scan_archive *a)
{
    if (!a)
        return;
    if (a->journal_fd >= 0)
        close(a->journal_fd);
    if (a->dir_fd >= 0)
        close(a->dir_fd);
    free(a->pages);
    free(a->view);
    free(a->dir);
    free(a->journal_path);
    free(a->scanner);
    free(a);
}

static int archive_alloc(scan_archive **out, const char *dir,
                         const char *scanner)
{
    scan_archive *a = calloc(1, sizeof *a);
    if (!a)
        return err_set(TELLE_ENOMEM, "out of memory opening %s", dir);
    a->journal_fd = a->dir_fd = -1;
    char jp[PATH_CAP];
    int rc = path_join(jp, sizeof jp, dir, "journal.jsonl");
    a->dir = strdup(dir);
    a->journal_path = strdup(jp);
    a->scanner = strdup(scanner ? scanner : "");
    if (rc || !a->dir || !a->journal_path || !a->scanner) {
        scan_archive_close(a);
        return rc ? rc : err_set(TELLE_ENOMEM, "out of memory opening %s", dir);
    }
    *out = a;
    return 0;
}

static bool meta_same(const scan_batch_meta *x, const scan_batch_meta *y,
                      const char **field, const char **xv, const char **yv)
{
    struct { const char *n, *a, *b; } f[] = {
        {"election", x->election, y->election}, {"krets", x->krets, y->krets},
        {"category", x->category, y->category}, {"batch", x->batch, y->batch}};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(f[i].a, f[i].b) != 0) {
            *field = f[i].n;
            *xv = f[i].a;
            *yv = f[i].b;
            return false;
        }
    return true;
}

int scan_archive_open(scan_archive **out, const char *root,
                      const scan_batch_meta *meta, int sides,
                      scan_archive_mode mode, const char *scanner)
{
    *out = NULL;
    scan_archive *a = NULL;
    int rc = scan_batch_meta_check(meta);
    if (rc)
        return rc;
    if (sides < 0 || sides > 2)
        return err_set(TELLE_EINVAL, "sides must be 1 or 2, not %d", sides);
    char dir[PATH_CAP];
    if ((rc = path_join(dir, sizeof dir, root, meta->batch)) != 0)
        return rc;
    if ((rc = archive_alloc(&a, dir, scanner)) != 0)
        return rc;
    a->readonly = mode == SCAN_ARCHIVE_READ;
    struct stat st;
    bool exists = stat(a->journal_path, &st) == 0;
    if (!exists && (mode == SCAN_ARCHIVE_RESUME || mode == SCAN_ARCHIVE_READ)) {
        rc = err_set(TELLE_ESTATE, "batch %s has not been started in %s (no "
                     "%s)", meta->batch, root, a->journal_path);
        goto done;
    }
    if (!exists) {
        if (sides == 0) {
            rc = err_set(TELLE_EINVAL, "batch %s: say whether it is duplex",
                         meta->batch);
            goto done;
        }
        if ((mkdir(root, 0777) != 0 && errno != EEXIST) ||
            (mkdir(dir, 0777) != 0 && errno != EEXIST)) {
            rc = err_set(TELLE_EIO, "%s: cannot create: %s", dir,
                         strerror(errno));
            goto done;
        }
        a->meta = *meta;
        a->sides = sides;
    } else {
        if ((rc = journal_load(a)) != 0)
            goto done;
        const char *field, *have, *want;
        if (!meta_same(&a->meta, meta, &field, &have, &want)) {
            rc = err_set(TELLE_EINVAL, "batch %s is %s %s, but this run says "
                         "%s %s: wrong label or arguments for this batch",
                         a->meta.batch, field, have, field, want);
            goto done;
        }
        if (sides && sides != a->sides) {
            rc = err_set(TELLE_EINVAL, "batch %s is %s, but this run scans "
                         "%s", a->meta.batch,
                         a->sides == 2 ? "duplex" : "simplex",
                         sides == 2 ? "duplex" : "simplex");
            goto done;
        }
        if (mode == SCAN_ARCHIVE_CREATE && a->npages > 0) {
            int next = next_sheet_compute(a);
            if (next == 0) {
                rc = err_set(TELLE_ENOMEM, "out of memory reading %s",
                             a->journal_path);
                goto done;
            }
            rc = err_set(TELLE_ESTATE, "batch %s already holds %d complete "
                         "sheets; continue it with --resume, feeding from "
                         "sheet %d", a->meta.batch, next - 1, next);
            goto done;
        }
    }
    if (!a->readonly) {
        a->dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
        a->journal_fd = open(a->journal_path,
                             O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (a->dir_fd < 0 || a->journal_fd < 0) {
            rc = err_set(TELLE_EIO, "%s: cannot open for writing: %s",
                         a->journal_path, strerror(errno));
            goto done;
        }
        if (!exists) {
            /* The batch's folder entry and its journal must survive a power
             * cut as much as its pages. */
            if ((rc = header_write(a)) != 0 ||
                (rc = fsync_path(dir, true)) != 0 ||
                (rc = fsync_path(root, true)) != 0)
                goto done;
        }
        if ((rc = folder_clean(a)) != 0)
            goto done;
        /* Pages of an incomplete sheet are voided: the sheet is fed
         * again whole. Nothing to void, nothing written. */
        int next = next_sheet_compute(a);
        if (next == 0) {
            rc = err_set(TELLE_ENOMEM, "out of memory reading %s",
                         a->journal_path);
            goto done;
        }
        if (exists && mode != SCAN_ARCHIVE_CREATE && pages_from(a, next) &&
            (rc = resume_write(a, next)) != 0)
            goto done;
    }
    a->cur_sheet = next_sheet_compute(a);
    a->cur_side = 0;
    if (a->cur_sheet == 0)
        rc = err_set(TELLE_ENOMEM, "out of memory reading %s",
                     a->journal_path);
    reference_size(a);
done:
    if (rc) {
        scan_archive_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

int scan_archive_open_dir(scan_archive **out, const char *batch_dir)
{
    *out = NULL;
    scan_archive *a = NULL;
    int rc = archive_alloc(&a, batch_dir, NULL);
    if (rc)
        return rc;
    a->readonly = true;
    if ((rc = journal_load(a)) != 0) {
        scan_archive_close(a);
        return rc;
    }
    a->cur_sheet = next_sheet_compute(a);
    if (a->cur_sheet == 0) {
        scan_archive_close(a);
        return err_set(TELLE_ENOMEM, "out of memory reading %s", batch_dir);
    }
    reference_size(a);
    *out = a;
    return 0;
}

/* The previous sheet's valid page of `side`, or NULL. */
static const scan_archive_record *page_find(const scan_archive *a, int sheet,
                                            int side)
{
    for (size_t i = a->npages; i-- > 0;)
        if (a->pages[i].valid && a->pages[i].r.sheet == sheet &&
            a->pages[i].r.side == side)
            return &a->pages[i].r;
    return NULL;
}

/* Size checks, before anything is written. */
static int page_checks_size(scan_archive *a, int sheet, int side,
                            const img *page)
{
    const char *sn = side ? "back" : "front";
    int w = img_width(page), h = img_height(page);
    if (a->ref_height > 0 && h > SCAN_DOUBLE_FEED_RATIO * a->ref_height)
        return err_set(TELLE_EDOUBLE_FEED, "double feed at sheet %d (%s): "
                       "the page is %d px long, the batch's sheets %d px: "
                       "two sheets went through together; re-feed from "
                       "sheet %d", sheet, sn, h, a->ref_height, sheet);
    if (a->ref_width > 0 &&
        (w > (1.0 + SCAN_WIDTH_TOLERANCE) * a->ref_width ||
         w < (1.0 - SCAN_WIDTH_TOLERANCE) * a->ref_width))
        return err_set(TELLE_EFORMAT, "page of unexpected size at sheet %d "
                       "(%s): %d px wide, the batch's sheets %d px; check the "
                       "paper and re-feed from sheet %d", sheet, sn, w,
                       a->ref_width, sheet);
    return 0;
}

/* Content checks, once the pixel hash is known (before the page's file is
 * renamed into place). */
static int page_checks_content(scan_archive *a, int sheet, int side,
                               const char *pixels)
{
    const char *sn = side ? "back" : "front";
    /* The page just before this one (this sheet's front, or the previous
     * sheet's last side) delivered again. */
    const scan_archive_record *before =
        side > 0 ? page_find(a, sheet, side - 1)
                 : (sheet > 1 ? page_find(a, sheet - 1, a->sides - 1) : NULL);
    if (before && strcmp(before->pixels_sha256, pixels) == 0)
        return err_set(TELLE_EDOUBLE_FEED, "double feed at sheet %d (%s): "
                       "the page is pixel for pixel the page before it; "
                       "re-feed from sheet %d", sheet, sn, sheet);
    /* Every side of this sheet equal to the previous sheet's. */
    if (sheet > 1 && side == a->sides - 1) {
        bool same = true;
        for (int s = 0; s < a->sides && same; s++) {
            const scan_archive_record *prev = page_find(a, sheet - 1, s);
            const char *mine = pixels;
            if (s != side) {
                const scan_archive_record *cur = page_find(a, sheet, s);
                mine = cur ? cur->pixels_sha256 : NULL;
            }
            same = prev && mine && strcmp(prev->pixels_sha256, mine) == 0;
        }
        if (same)
            return err_set(TELLE_EDOUBLE_FEED, "double feed at sheet %d: it "
                           "is pixel for pixel the same as sheet %d; re-feed "
                           "from sheet %d", sheet, sheet - 1, sheet);
    }
    return 0;
}

/* The pixel hash, on a helper thread while the page is being encoded:
 * SHA-256 of an A4 300-dpi gray page is 60 ms on this class of machine, as
 * long as the LZW encoding beside it. */
typedef struct {
    const img *page;
    char hex[HASH_HEX_LEN + 1];
} hash_job;

static void *hash_run(void *arg)
{
    hash_job *j = arg;
    hash_sha256_pixels(j->hex, j->page);
    return NULL;
}

/* Pages below this many bytes are hashed inline: a thread costs more. */
enum { HASH_THREAD_MIN_BYTES = 1 << 20 };

int scan_archive_page_add(scan_archive_record *out, scan_archive *a,
                          int sheet, int side, const img *page)
{
    if (a->readonly)
        return err_set(TELLE_ESTATE, "batch %s is open read-only",
                       a->meta.batch);
    if (side < 0 || side >= a->sides)
        return err_set(TELLE_EINVAL, "batch %s: side %d of a %s batch",
                       a->meta.batch, side, a->sides == 2 ? "duplex"
                                                           : "simplex");
    bool label = sheet == 0;
    if (!label && (sheet != a->cur_sheet || side != a->cur_side))
        return err_set(TELLE_EINVAL, "batch %s: sheet %d side %d out of "
                       "order (expected sheet %d side %d)", a->meta.batch,
                       sheet, side, a->cur_sheet, a->cur_side);
    if (label && a->cur_side != 0)
        return err_set(TELLE_EINVAL, "batch %s: a label page in the middle "
                       "of sheet %d", a->meta.batch, a->cur_sheet);
    scan_archive_record r;
    memset(&r, 0, sizeof r);
    r.sheet = sheet;
    r.side = side;
    r.width = img_width(page);
    r.height = img_height(page);
    int rc = label ? 0 : page_checks_size(a, sheet, side, page);
    if (rc)
        return rc;
    hash_job hj = {page, ""};
    pthread_t hash_thread;
    bool threaded = img_stride(page) * (size_t)r.height >=
                        HASH_THREAD_MIN_BYTES &&
                    pthread_create(&hash_thread, NULL, hash_run, &hj) == 0;
    if (!threaded)
        hash_run(&hj);

    char path[PATH_CAP], tmp[PATH_CAP + 8];
    snprintf(r.file, sizeof r.file, "p%06zu.tif", a->seq + 1);
    if ((rc = path_join(path, sizeof path, a->dir, r.file)) != 0) {
        if (threaded)
            pthread_join(hash_thread, NULL);
        return rc;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);

    char t[64];
    now_iso(t);
    char desc[512];
    snprintf(desc, sizeof desc,
             "{\"batch\":\"%s\",\"sheet\":%d,\"side\":\"%s\"}", a->meta.batch,
             sheet, side ? "back" : "front");
    char dt[20];
    memcpy(dt, t, 19);
    dt[19] = '\0';
    dt[4] = dt[7] = ':';
    dt[10] = ' ';
    iio_page_meta pm = IIO_PAGE_META_INIT;
    pm.software = "telle scan";
    pm.datetime = dt;
    pm.description_json = desc;
    iio_tiff_writer *w = NULL;
    rc = iio_tiff_writer_open(&w, tmp);
    if (!rc)
        rc = iio_tiff_writer_add(w, page, &pm);
    int crc = iio_tiff_writer_close(w);
    if (!rc)
        rc = crc; /* the writer fsyncs the file before it reports success */
    if (!rc)
        rc = hash_sha256_file(r.file_sha256, tmp);
    if (threaded)
        pthread_join(hash_thread, NULL);
    memcpy(r.pixels_sha256, hj.hex, sizeof r.pixels_sha256);
    if (!rc && !label)
        rc = page_checks_content(a, sheet, side, r.pixels_sha256);
    if (!rc && rename(tmp, path) != 0)
        rc = err_set(TELLE_EIO, "%s: cannot rename to %s: %s", tmp, path,
                     strerror(errno));
    if (!rc && fsync(a->dir_fd) != 0)
        rc = err_set(TELLE_EIO, "%s: fsync failed: %s", a->dir,
                     strerror(errno));
    if (rc) {
        unlink(tmp);
        return rc;
    }

    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:s}",
                          "type", "page", "batch", a->meta.batch, "sheet",
                          sheet, "side", side ? "back" : "front", "file",
                          r.file, "pixels_sha256", r.pixels_sha256,
                          "file_sha256", r.file_sha256, "width", r.width,
                          "height", r.height, "scanner", a->scanner, "time",
                          t);
    if (!o)
        return err_set(TELLE_ENOMEM, "out of memory for a journal line");
    rc = journal_append(a, o);
    json_decref(o);
    if (rc)
        return rc;
    a->seq++;
    if ((rc = pages_push(a, &r)) != 0)
        return rc;
    if (!label) {
        if (++a->cur_side == a->sides) {
            a->cur_side = 0;
            a->cur_sheet++;
        }
        if (a->ref_height == 0) {
            a->ref_width = r.width;
            a->ref_height = r.height;
        }
    }
    if (out)
        *out = r;
    return 0;
}

const scan_archive_record *scan_archive_records(scan_archive *a,
                                                size_t *count)
{
    size_t n = 0;
    for (size_t i = 0; i < a->npages; i++)
        n += a->pages[i].valid;
    scan_archive_record *nv = realloc(a->view, (n ? n : 1) * sizeof *nv);
    if (!nv) {
        *count = 0;
        return NULL;
    }
    a->view = nv;
    n = 0;
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].valid)
            a->view[n++] = a->pages[i].r;
    *count = n;
    return a->view;
}

bool scan_archive_has_pixels(const scan_archive *a,
                             const char hex[HASH_HEX_LEN + 1])
{
    for (size_t i = 0; i < a->npages; i++)
        if (a->pages[i].valid &&
            strcmp(a->pages[i].r.pixels_sha256, hex) == 0)
            return true;
    return false;
}

int scan_archive_torn(const scan_archive *a)
{
    return a->torn;
}

int scan_archive_verify(int *checked, const scan_archive *a, bool pixels)
{
    if (checked)
        *checked = 0;
    for (size_t i = 0; i < a->npages; i++) {
        const scan_archive_record *r = &a->pages[i].r;
        if (!a->pages[i].valid)
            continue;
        char path[PATH_CAP], hex[HASH_HEX_LEN + 1];
        int rc = path_join(path, sizeof path, a->dir, r->file);
        if (!rc)
            rc = hash_sha256_file(hex, path);
        if (rc)
            return rc;
        if (strcmp(hex, r->file_sha256) != 0)
            return err_set(TELLE_EFORMAT, "%s: file hash %s does not match "
                           "the journal's %s (sheet %d)", path, hex,
                           r->file_sha256, r->sheet);
        if (pixels) {
            iio_reader *rd = NULL;
            img *im = NULL;
            rc = iio_reader_open(&rd, path);
            if (!rc)
                rc = iio_reader_read(&im, rd, 1);
            iio_reader_close(rd);
            if (rc)
                return rc;
            hash_sha256_pixels(hex, im);
            img_free(im);
            if (strcmp(hex, r->pixels_sha256) != 0)
                return err_set(TELLE_EFORMAT, "%s: pixel hash %s does not "
                               "match the journal's %s (sheet %d)", path, hex,
                               r->pixels_sha256, r->sheet);
        }
        if (checked)
            (*checked)++;
    }
    return 0;
}

const char *scan_archive_dir(const scan_archive *a)
{
    return a->dir;
}

const scan_batch_meta *scan_archive_meta(const scan_archive *a)
{
    return &a->meta;
}

int scan_archive_sides(const scan_archive *a)
{
    return a->sides;
}
