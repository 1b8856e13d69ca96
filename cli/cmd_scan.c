/* cmd_scan.c - `telle scan`: list SANE devices, or scan a batch into the
 * archive (with --resume to continue one after a fault or a crash). */
#include "cli/commands.h"
#include "cli/batch_args.h"
#include "cli/sheet_record.h"

#include "core/error.h"
#include "core/image_io.h"
#include "core/package.h"
#include "recognition/recognition.h"
#include "scanner/archive.h"
#include "scanner/capture.h"
#include "scanner/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void scan_usage(FILE *to)
{
    fprintf(to,
        "usage: telle scan --list\n"
        "       telle scan --device NAME [--source S] [--mode lineart|gray|color]\n"
        "                  [--resolution DPI] [--duplex] [--archive DIR]\n"
        "                  [--option NAME=VALUE]...\n"
        "                  (--label | --election E --krets K --category C --batch B)\n"
        "                  [--resume] [--package DIR [--threads N]]\n\n"
        "Scans sheets from the device's feeder until it is empty. Every page\n"
        "is written to DIR/BATCH (default DIR: archive) and made durable before\n"
        "the next page is read. After a fault (jam, cover open, double feed)\n"
        "or a crash, run the same command with --resume and feed from the\n"
        "sheet it names. With --label the first sheet must be the batch label\n"
        "(Code 128 TELLE;election=..;krets=..;category=..;batch=..).\n\n"
        "The project's own backend feeds image files as a duplex scanner:\n"
        "`source BUILD/scanner/sane-env.sh`, then --device telle:FILE.tif\n"
        "(or a folder, or FILE,FILE...; see scanner/README.md).\n\n"
        "With --package, every complete sheet is recognised while the feeder\n"
        "runs (N worker threads, default: cores - 1) and its record appended\n"
        "to DIR/BATCH/records.jsonl in sheet order, as `telle interpret\n"
        "--package` writes it for the archived page files.\n");
}

/* Recognition while scanning (--package): every complete, durable sheet
 * goes through scan_pipeline to worker threads; one writer thread appends
 * the records to ARCHIVE/BATCH/records.jsonl in sheet order, one fsync per
 * record. A record is what `telle interpret --package DIR` writes for the
 * archived page files in archive order: the sheet is named after its first
 * page's file (the batch folder as scan_archive_dir gives it, "/", the file
 * name), "#", its index since the last label sheet; label sheets get none.
 * On --resume the sheets already recorded are skipped, a torn last line is
 * dropped, and complete sheets recorded by no earlier run are read again
 * from their files before the feeder starts. */
typedef struct {
    int sheet;
    char *file[2];    /* archive paths of the sheet's pages */
    int nfiles;
    int index;        /* the sheet's index since the last label */
    char *text;       /* the record once read (malloc'd) */
    int state;        /* 0 being read, 1 ready, -1 failed */
} rec_slot;

typedef struct {
    const rec_engine *engine;
    const scan_batch_meta *meta;
    char path[4200];           /* records.jsonl */
    int fd;
    scan_pipeline *pl;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rec_slot *slots;           /* in sheet order (registration order) */
    size_t n, cap, written;
    bool finishing, stopped;
    pthread_t writer;
    bool writer_started;
    atomic_int review;         /* records with outcome review, kept ones too */
    atomic_int records;        /* records written by this run */
    int fail_rc;               /* first failure of a worker or the writer */
    char fail_msg[1024];
    char **done;               /* sheet names already in records.jsonl */
    size_t ndone;
    int counter;               /* capture thread: index of the last sheet */
} rec_feed;

static void feed_fail(rec_feed *f, int rc, const char *msg)
{
    if (f->fail_rc == 0) {
        f->fail_rc = rc;
        snprintf(f->fail_msg, sizeof f->fail_msg, "%.1000s", msg);
    }
}

/* The slot of `sheet` (binary search: slots are registered in ascending
 * sheet order), or NULL; the caller holds f->mu. */
static rec_slot *feed_slot(rec_feed *f, int sheet)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->slots[mid].sheet < sheet)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->n && f->slots[lo].sheet == sheet ? &f->slots[lo] : NULL;
}

/* Worker thread: one sheet -> its record. */
static int feed_read(void *ctx, const scan_sheet *s)
{
    rec_feed *f = ctx;
    char *file[2] = {NULL, NULL};
    int index = 0, nfiles = 0;
    pthread_mutex_lock(&f->mu);
    rec_slot *slot = feed_slot(f, s->sheet);
    if (slot) {
        file[0] = slot->file[0];
        file[1] = slot->file[1];
        nfiles = slot->nfiles;
        index = slot->index;
    }
    pthread_mutex_unlock(&f->mu);
    if (!slot || nfiles != s->npages)
        return err_set(TELLE_ESTATE, "sheet %d reached recognition without "
                       "its archive files", s->sheet);
    rec_page_in in[2];
    for (int p = 0; p < s->npages; p++) {
        in[p].image = s->pages[p];
        in[p].file = file[p];
        in[p].page = 1;
    }
    rec_sheet *rec = NULL;
    char *text = NULL;
    char name[CLI_SHEET_NAME_MAX];
    cli_sheet_name(name, file[0], index);
    int rc = rec_sheet_read(&rec, f->engine, in, s->npages);
    if (!rc)
        rc = cli_sheet_record(&text, rec, name, f->meta);
    rec_sheet_free(rec);
    if (rc)
        err_prefix("recognising sheet %d (%s): ", s->sheet, name);
    pthread_mutex_lock(&f->mu);
    slot = feed_slot(f, s->sheet);
    slot->text = text;
    slot->state = rc ? -1 : 1;
    if (rc)
        feed_fail(f, rc, err_message());
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The writer thread: records in sheet order, each fsynced. */
static void *feed_writer(void *arg)
{
    rec_feed *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        while (!(f->written < f->n && f->slots[f->written].state != 0) &&
               !f->finishing)
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->written >= f->n || f->slots[f->written].state != 1) {
            /* finished, or a sheet could not be read: what follows it
             * stays unwritten (a --resume reads it again) */
            f->stopped = f->written < f->n;
            pthread_mutex_unlock(&f->mu);
            return NULL;
        }
        char *text = f->slots[f->written].text;
        pthread_mutex_unlock(&f->mu);

        size_t len = strlen(text);
        char *line = malloc(len + 2);
        int rc = line ? 0 : -1;
        if (line) {
            memcpy(line, text, len);
            line[len] = '\n';
            rc = write_all(f->fd, line, len + 1);
            if (!rc)
                rc = fsync(f->fd);
            free(line);
        }
        pthread_mutex_lock(&f->mu);
        if (rc) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%.900s: cannot append a record: %s",
                     f->path, strerror(errno));
            feed_fail(f, TELLE_EIO, msg);
            f->stopped = true;
            pthread_mutex_unlock(&f->mu);
            return NULL;
        }
        if (cli_record_in_review(text))
            atomic_fetch_add(&f->review, 1);
        atomic_fetch_add(&f->records, 1);
        free(f->slots[f->written].text);
        f->slots[f->written].text = NULL;
        f->written++;
        pthread_mutex_unlock(&f->mu);
    }
}

static bool feed_done(const rec_feed *f, const char *name)
{
    for (size_t i = 0; i < f->ndone; i++)
        if (strcmp(f->done[i], name) == 0)
            return true;
    return false;
}

/* Registers a sheet (capture thread, in sheet order) before its pages are
 * pushed. */
static int feed_register(rec_feed *f, int sheet, const char *dir,
                         const char *const *files, int nfiles, int index)
{
    pthread_mutex_lock(&f->mu);
    int rc = 0;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        rec_slot *s = realloc(f->slots, cap * sizeof *s);
        if (!s) {
            rc = err_set(TELLE_ENOMEM, "out of memory queueing sheet %d",
                         sheet);
            goto done;
        }
        f->slots = s;
        f->cap = cap;
    }
    rec_slot *s = &f->slots[f->n];
    memset(s, 0, sizeof *s);
    s->sheet = sheet;
    s->index = index;
    s->nfiles = nfiles;
    for (int i = 0; i < nfiles; i++) {
        size_t len = strlen(dir) + strlen(files[i]) + 2;
        s->file[i] = malloc(len);
        if (!s->file[i]) {
            for (int k = 0; k < i; k++)
                free(s->file[k]);
            rc = err_set(TELLE_ENOMEM, "out of memory queueing sheet %d",
                         sheet);
            goto done;
        }
        snprintf(s->file[i], len, "%s/%s", dir, files[i]);
    }
    f->n++;
done:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* Marks a registered sheet failed when its pages could not be queued. */
static void feed_abandon(rec_feed *f, int sheet)
{
    pthread_mutex_lock(&f->mu);
    rec_slot *s = feed_slot(f, sheet);
    if (s && s->state == 0)
        s->state = -1;
    feed_fail(f, TELLE_ENOMEM, err_message());
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

/* Queues a complete sheet of this run or of the archive. */
static int feed_push(rec_feed *f, int sheet, const char *dir,
                     const char *const *files, const img *const *pages,
                     int npages)
{
    int rc = feed_register(f, sheet, dir, files, npages, ++f->counter);
    if (rc)
        return rc;
    for (int i = 0; i < npages && !rc; i++) {
        scan_page p = {pages[i], sheet, i, 0};
        rc = scan_pipeline_push(f->pl, &p);
    }
    if (rc)
        feed_abandon(f, sheet);
    return rc;
}

/* Reads records.jsonl: the sheet names it holds; a torn last line (no
 * newline: a run killed while appending it) is cut off. */
static int feed_load_records(rec_feed *f, bool *torn)
{
    *torn = false;
    FILE *in = fopen(f->path, "rb");
    if (!in)
        return errno == ENOENT ? 0
                               : err_set(TELLE_EIO, "%s: cannot read: %s",
                                         f->path, strerror(errno));
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long good = 0, lineno = 0;
    while ((len = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') {
            *torn = true;
            break;
        }
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        const char *name = o ? json_string_value(json_object_get(o, "sheet"))
                             : NULL;
        char *copy = name ? strdup(name) : NULL;
        char **grown = copy ? realloc(f->done, (f->ndone + 1) * sizeof *grown)
                            : NULL;
        json_decref(o);
        if (!name) {
            rc = err_set(TELLE_EFORMAT, "%s line %ld is no sheet record: "
                         "the file is damaged", f->path, lineno);
            goto done;
        }
        if (!grown) {
            free(copy);
            rc = err_set(TELLE_ENOMEM, "out of memory reading %s", f->path);
            goto done;
        }
        f->done = grown;
        f->done[f->ndone++] = copy;
        if (cli_record_in_review(line))
            atomic_fetch_add(&f->review, 1);
        good += len;
    }
    if (*torn && truncate(f->path, good) != 0)
        rc = err_set(TELLE_EIO, "%s: cannot cut off the torn last line: %s",
                     f->path, strerror(errno));
done:
    free(line);
    fclose(in);
    return rc;
}

/* Opens records.jsonl for appending and starts the writer and workers. */
static int feed_start(rec_feed *f, const rec_engine *e, scan_archive *a,
                      int threads)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->engine = e;
    f->meta = scan_archive_meta(a);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    atomic_init(&f->review, 0);
    atomic_init(&f->records, 0);
    snprintf(f->path, sizeof f->path, "%s/records.jsonl", scan_archive_dir(a));
    bool torn = false;
    int rc = feed_load_records(f, &torn);
    if (rc)
        return rc;
    if (torn)
        fprintf(stderr, "batch %s: dropped a torn last line of %s (a run was "
                "interrupted while writing it)\n", f->meta->batch, f->path);
    f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return err_set(TELLE_EIO, "%s: cannot open for appending: %s",
                       f->path, strerror(errno));
    int dfd = open(scan_archive_dir(a), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = scan_pipeline_new(&f->pl, scan_archive_sides(a), threads, feed_read,
                           f);
    if (rc)
        return rc;
    if (pthread_create(&f->writer, NULL, feed_writer, f) != 0)
        return err_set(TELLE_EIO, "cannot start the record writer thread");
    f->writer_started = true;
    return 0;
}

/* Complete sheets of the archive that records.jsonl lacks (an earlier run
 * was stopped before their records were written) are read again from
 * their files; f->counter ends at the index of the archive's last sheet.
 * Runs on the capture thread before the feeder starts. */
static int feed_backlog(rec_feed *f, scan_archive *a, int *redo)
{
    *redo = 0;
    size_t n = 0;
    const scan_archive_record *r = scan_archive_records(a, &n);
    int sides = scan_archive_sides(a);
    const char *dir = scan_archive_dir(a);
    for (size_t i = 0; i < n; i++) {
        if (r[i].sheet == 0) {
            if (r[i].side == 0)
                f->counter = 0;
            continue;
        }
        if (r[i].side != 0 || i + (size_t)sides > n ||
            (sides == 2 && (r[i + 1].sheet != r[i].sheet ||
                            r[i + 1].side != 1)))
            continue; /* an incomplete sheet: fed again */
        char path[CLI_SHEET_NAME_MAX], name[CLI_SHEET_NAME_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, r[i].file);
        cli_sheet_name(name, path, f->counter + 1);
        if (feed_done(f, name)) {
            f->counter++;
            i += (size_t)sides - 1;
            continue;
        }
        const char *files[2] = {r[i].file, sides == 2 ? r[i + 1].file : NULL};
        img *pages[2] = {NULL, NULL};
        int rc = 0;
        for (int s = 0; s < sides && !rc; s++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, files[s]);
            iio_reader *rd = NULL;
            rc = iio_reader_open(&rd, path);
            if (!rc)
                rc = iio_reader_read(&pages[s], rd, 1);
            iio_reader_close(rd);
        }
        int sheet = r[i].sheet;
        if (!rc)
            rc = feed_push(f, sheet, dir, files,
                           (const img *const *)pages, sides);
        img_free(pages[0]);
        img_free(pages[1]);
        if (rc)
            return rc;
        (*redo)++;
        i += (size_t)sides - 1;
        /* scan_archive_records stays valid: nothing was added to a */
    }
    return 0;
}

/* Waits for every queued sheet and its record, stops the threads. Returns
 * 0 or the first failure (message set). */
static int feed_finish(rec_feed *f)
{
    int rc = scan_pipeline_finish(f->pl);
    f->pl = NULL;
    pthread_mutex_lock(&f->mu);
    f->finishing = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (f->writer_started)
        pthread_join(f->writer, NULL);
    f->writer_started = false;
    if (f->fail_rc) {
        rc = f->fail_rc;
        err_set(rc, "%s", f->fail_msg);
    }
    if (f->fd >= 0 && close(f->fd) != 0 && !rc)
        rc = err_set(TELLE_EIO, "%s: %s", f->path, strerror(errno));
    f->fd = -1;
    for (size_t i = 0; i < f->n; i++) {
        free(f->slots[i].text);
        free(f->slots[i].file[0]);
        free(f->slots[i].file[1]);
    }
    free(f->slots);
    f->slots = NULL;
    for (size_t i = 0; i < f->ndone; i++)
        free(f->done[i]);
    free(f->done);
    f->done = NULL;
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    return rc;
}

typedef struct {
    scan_archive *archive;
    rec_feed *feed;      /* NULL without --package */
    img *front;          /* the sheet's front, held until its back is durable */
    char front_file[32];
    bool tty;
    bool try_label;      /* look for a label on the run's first sheet */
    double t0, t_end;    /* t_end: the feeder stopped (0 while running) */
    int pages, sheets;
    int last_sheet;
} scan_ctx;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(scan_ctx *c, bool final)
{
    if (!c->tty)
        return;
    double dt = (c->t_end > 0 ? c->t_end : wall_now()) - c->t0;
    double rate = dt > 0 ? c->sheets * 60.0 / dt : 0;
    if (c->feed)
        fprintf(stderr, "\r%d pages, %d sheets, %.0f sheets/min, %zu in "
                "recognition, %d waiting for review%s", c->pages, c->sheets,
                rate, c->feed->pl ? scan_pipeline_waiting(c->feed->pl) : 0,
                atomic_load(&c->feed->review), final ? "\n" : "");
    else
        fprintf(stderr, "\r%d pages, %d sheets, %.0f sheets/min%s", c->pages,
                c->sheets, rate, final ? "\n" : "");
    fflush(stderr);
}

static int on_page(void *ctx, const scan_page *p)
{
    scan_ctx *c = ctx;
    if (c->try_label && p->page_in_run == 1) {
        scan_batch_meta lm;
        bool found = false;
        int rc = scan_label_read(&lm, &found, p->image);
        if (rc)
            return rc;
        if (found) {
            const scan_batch_meta *am = scan_archive_meta(c->archive);
            if (!cli_batch_meta_equal(&lm, am))
                return err_set(TELLE_EINVAL, "the label sheet is for batch "
                               "%s (election %s, krets %s, category %s), but "
                               "this is batch %s (election %s, krets %s, "
                               "category %s): take it out and feed the "
                               "right box", lm.batch, lm.election, lm.krets,
                               lm.category, am->batch, am->election,
                               am->krets, am->category);
            rc = scan_archive_page_add(NULL, c->archive, 0, p->side, p->image);
            if (!rc && c->feed)
                c->feed->counter = 0; /* sheet indexes restart after a label */
            return rc ? rc : SCAN_PAGE_LABEL;
        }
    }
    scan_archive_record ar;
    int rc = scan_archive_page_add(&ar, c->archive, p->sheet, p->side,
                                   p->image);
    if (rc)
        return rc;
    /* The page is durable: a complete sheet goes to recognition. */
    int sides = scan_archive_sides(c->archive);
    if (c->feed && p->sheet > 0) {
        if (p->side == 0) {
            img_free(c->front);
            c->front = img_ref((img *)p->image);
            snprintf(c->front_file, sizeof c->front_file, "%s", ar.file);
        }
        if (p->side == sides - 1) {
            const char *files[2] = {sides == 2 ? c->front_file : ar.file,
                                    ar.file};
            const img *pages[2] = {sides == 2 ? c->front : p->image,
                                   p->image};
            rc = feed_push(c->feed, p->sheet, scan_archive_dir(c->archive),
                           files, pages, sides);
            img_free(c->front);
            c->front = NULL;
            if (rc)
                return rc;
        }
    }
    c->pages++;
    if (p->sheet > 0 && p->side == scan_archive_sides(c->archive) - 1) {
        c->sheets++;
        c->last_sheet = p->sheet;
    }
    progress(c, false);
    return 0;
}

static int list_devices(void)
{
    if (scan_sane_init() != 0) {
        fprintf(stderr, "telle scan: %s\n", err_message());
        return 1;
    }
    scan_device_info *list = NULL;
    size_t n = 0;
    int rc = scan_devices_list(&list, &n);
    if (rc) {
        fprintf(stderr, "telle scan: %s\n", err_message());
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%s\t%s %s (%s)\n", list[i].name, list[i].vendor,
                   list[i].model, list[i].type);
        if (n == 0)
            fprintf(stderr, "telle scan: libsane found no devices "
                    "(SANE_CONFIG_DIR=%s)\n",
                    getenv("SANE_CONFIG_DIR") ? getenv("SANE_CONFIG_DIR")
                                              : "(default)");
    }
    scan_devices_free(list, n);
    scan_sane_exit();
    return rc ? 1 : 0;
}

/* With --label: reads the label sheet that must come first, then opens the
 * batch it names. */
static int label_first(scan_archive **out, scan_device *dev,
                       const scan_batch_meta *given, bool have_given,
                       const char *root, bool resume, const char *scanner)
{
    *out = NULL;
    img *front = NULL, *back = NULL;
    scan_batch_meta lm;
    bool found = false;
    int rc = scan_device_page_read(&front, dev);
    if (rc) {
        err_prefix("reading the label sheet: ");
        goto done;
    }
    if (scan_device_sides(dev) == 2 &&
        (rc = scan_device_page_read(&back, dev)) != 0) {
        err_prefix("reading the back of the label sheet: ");
        goto done;
    }
    if ((rc = scan_label_read(&lm, &found, front)) != 0)
        goto done;
    if (!found && back && (rc = scan_label_read(&lm, &found, back)) != 0)
        goto done;
    if (!found) {
        rc = err_set(TELLE_EINVAL, "the first sheet carries no telle batch "
                     "label; put the label sheet on top and feed again "
                     "(nothing was archived)");
        goto done;
    }
    if (have_given && !cli_batch_meta_equal(&lm, given)) {
        rc = err_set(TELLE_EINVAL, "the label sheet says batch %s (krets %s, "
                     "category %s), the command line batch %s (krets %s, "
                     "category %s)", lm.batch, lm.krets, lm.category,
                     given->batch, given->krets, given->category);
        goto done;
    }
    rc = scan_archive_open(out, root, &lm, scan_device_sides(dev),
                           resume ? SCAN_ARCHIVE_RESUME : SCAN_ARCHIVE_CREATE,
                           scanner);
    if (!rc)
        rc = scan_archive_page_add(NULL, *out, 0, 0, front);
    if (!rc && back)
        rc = scan_archive_page_add(NULL, *out, 0, 1, back);
done:
    img_free(front);
    img_free(back);
    if (rc) {
        scan_archive_close(*out);
        *out = NULL;
    }
    return rc;
}

int cmd_scan(int argc, char **argv)
{
    const char *cmd = "telle scan";
    const char *device = NULL, *root = "archive", *package = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu > 1 ? (int)(ncpu - 1) : 1;
    scan_options opt = SCAN_OPTIONS_INIT;
    opt.duplex = false;
    scan_batch_meta meta;
    memset(&meta, 0, sizeof meta);
    bool label = false, resume = false, list = false;
    int nmeta = 0;
    const char *extra[32];
    int nextra = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            scan_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--list") == 0) {
            list = true;
        } else if (strcmp(argv[i], "--label") == 0) {
            label = true;
        } else if (strcmp(argv[i], "--resume") == 0) {
            resume = true;
        } else if (strcmp(argv[i], "--duplex") == 0) {
            opt.duplex = true;
        } else if ((v = cli_arg_take(&i, argc, argv, "--device", cmd))) {
            device = v;
        } else if ((v = cli_arg_take(&i, argc, argv, "--source", cmd))) {
            opt.source = v;
        } else if ((v = cli_arg_take(&i, argc, argv, "--mode", cmd))) {
            opt.mode = v;
        } else if ((v = cli_arg_take(&i, argc, argv, "--resolution", cmd))) {
            opt.resolution_dpi = atof(v);
            if (opt.resolution_dpi <= 0) {
                fprintf(stderr, "telle scan: --resolution %s is not a "
                        "positive number\n", v);
                return 2;
            }
        } else if ((v = cli_arg_take(&i, argc, argv, "--package", cmd))) {
            package = v;
        } else if ((v = cli_arg_take(&i, argc, argv, "--threads", cmd))) {
            threads = atoi(v);
            if (threads < 1 || threads > 64) {
                fprintf(stderr, "telle scan: --threads %s: give 1 to 64\n", v);
                return 2;
            }
        } else if ((v = cli_arg_take(&i, argc, argv, "--archive", cmd))) {
            root = v;
        } else if ((v = cli_arg_take(&i, argc, argv, "--option", cmd))) {
            if (nextra == 32 || !strchr(v, '=')) {
                fprintf(stderr, "telle scan: --option wants NAME=VALUE (at "
                        "most 32)\n");
                return 2;
            }
            extra[nextra++] = v;
        } else if (cli_batch_option(&meta, &nmeta, &i, argc, argv, cmd)) {
            continue;
        } else {
            fprintf(stderr, "telle scan: unknown argument '%s'\n\n", argv[i]);
            scan_usage(stderr);
            return 2;
        }
    }
    if (list)
        return list_devices();
    if (!device || (!label && nmeta != 4) || (nmeta != 0 && nmeta != 4)) {
        fprintf(stderr, "telle scan: name a --device and either --label or "
                "all of --election --krets --category --batch\n\n");
        scan_usage(stderr);
        return 2;
    }
    if (nmeta == 4 && scan_batch_meta_check(&meta) != 0) {
        fprintf(stderr, "telle scan: %s\n", err_message());
        return 2;
    }

    scan_device *dev = NULL;
    pkg_package *pkg = NULL;
    rec_engine *engine = NULL;
    rec_feed feed;
    bool feeding = false;
    scan_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tty = isatty(2);
    int status = 1;
    int rc = 0;
    if (package) {
        rc = pkg_load(&pkg, package);
        if (!rc)
            rc = rec_engine_new(&engine, pkg, NULL);
        if (rc)
            goto done;
    }
    rc = scan_device_open(&dev, device);
    if (!rc)
        rc = scan_device_configure(dev, &opt);
    for (int i = 0; i < nextra && !rc; i++) {
        char name[128];
        size_t n = (size_t)(strchr(extra[i], '=') - extra[i]);
        snprintf(name, sizeof name, "%.*s", (int)n, extra[i]);
        rc = scan_device_option_set(dev, name, extra[i] + n + 1);
        if (!rc)
            fprintf(stderr, "scanner %s: %s\n", device, extra[i]);
    }
    if (rc)
        goto done;
    fprintf(stderr, "scanner %s: %s\n", device, scan_device_settings(dev));
    char scanner[640];
    snprintf(scanner, sizeof scanner, "%s %s", device,
             scan_device_settings(dev));

    ctx.t0 = wall_now();
    if (label) {
        rc = label_first(&ctx.archive, dev, &meta, nmeta == 4, root, resume,
                         scanner);
    } else {
        rc = scan_archive_open(&ctx.archive, root, &meta,
                               scan_device_sides(dev),
                               resume ? SCAN_ARCHIVE_RESUME
                                      : SCAN_ARCHIVE_CREATE,
                               scanner);
        /* On a resumed batch the operator may put the label back on top. */
        ctx.try_label = true;
    }
    if (rc)
        goto done;
    const scan_batch_meta *am = scan_archive_meta(ctx.archive);
    if (scan_archive_torn(ctx.archive))
        fprintf(stderr, "batch %s: dropped a torn last journal line (a run "
                "was interrupted while writing it)\n", am->batch);
    int first = scan_archive_next_sheet(ctx.archive);
    if (engine) {
        feeding = true;
        rc = feed_start(&feed, engine, ctx.archive, threads);
        int redo = 0;
        if (!rc)
            rc = feed_backlog(&feed, ctx.archive, &redo);
        if (rc)
            goto done;
        ctx.feed = &feed;
        if (feed.ndone || redo)
            fprintf(stderr, "batch %s: %zu sheet records kept, %d archived "
                    "sheets read again\n", am->batch, feed.ndone, redo);
    }
    if (resume)
        fprintf(stderr, "batch %s: %d sheets archived; resuming: feed from "
                "sheet %d\n", am->batch, first - 1, first);
    else
        fprintf(stderr, "batch %s: new, in %s\n", am->batch,
                scan_archive_dir(ctx.archive));

    scan_run_options ro = SCAN_RUN_OPTIONS_INIT;
    ro.first_sheet = first;
    ro.on_page = on_page;
    ro.ctx = &ctx;
    scan_run_stats st;
    rc = scan_batch_run(&st, dev, &ro);
    ctx.t_end = wall_now();
    if (feeding) {
        /* The sheets archived so far are recognised even after a fault. */
        int frc = feed_finish(&feed);
        feeding = false;
        progress(&ctx, true);
        ctx.feed = NULL;
        int nrec = atomic_load(&feed.records);
        if (frc && !rc) {
            rc = frc;
        } else if (frc) {
            fprintf(stderr, "telle scan: %s: %s\n", err_name(frc),
                    err_message());
        }
        fprintf(stderr, "batch %s: %d sheet records written this run; %s "
                "holds %zu, %d of them waiting for review\n", am->batch, nrec,
                feed.path, feed.ndone + (size_t)nrec,
                atomic_load(&feed.review));
    } else {
        progress(&ctx, true);
    }
    double rate = st.seconds > 0 ? st.sheets * 60.0 / st.seconds : 0;
    fprintf(stderr, "batch %s: %d sheets (%d pages) this run in %.1f s, "
            "%.0f sheets/min; the batch holds %d sheets\n", am->batch,
            st.sheets, st.pages, st.seconds, rate,
            scan_archive_sheets(ctx.archive));
    if (!rc) {
        printf("%s\t%d\n", am->batch, scan_archive_sheets(ctx.archive));
        status = 0;
    }
done:
    if (rc) {
        fprintf(stderr, "telle scan: %s: %s\n", err_name(rc), err_message());
        if (ctx.archive)
            fprintf(stderr, "batch %s holds %d complete sheets; fix the "
                    "fault, then run again with --resume and feed from "
                    "sheet %d\n", scan_archive_meta(ctx.archive)->batch,
                    scan_archive_sheets(ctx.archive),
                    scan_archive_next_sheet(ctx.archive));
    }
    if (feeding)
        feed_finish(&feed);
    img_free(ctx.front);
    scan_archive_close(ctx.archive);
    scan_device_close(dev);
    rec_engine_free(engine);
    pkg_free(pkg);
    return status;
}
