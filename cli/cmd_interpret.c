/* cmd_interpret.c - `telle interpret`: sheet records for image files, as
 * JSON Lines, in scan order. Stateless: reads files, writes records, keeps
 * nothing.
 *
 * Pages are read in order and grouped into sheets (two pages each with
 * --duplex, the default; one with --simplex). Sheets are read in chunks by
 * --threads workers and written in order, so the output is the same for any
 * number of threads. A sheet that is no ballot is checked for a batch label
 * (scanner/): a label sets election, krets, category and batch for the
 * sheets after it and gets no record. */
#include "cli/commands.h"
#include "cli/sheet_record.h"

#include "core/error.h"
#include "core/image_io.h"
#include "core/package.h"
#include "recognition/recognition.h"
#include "scanner/archive.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle interpret --package DIR [--duplex|--simplex] [--election ID]\n"
            "                       [--batch B --krets K --category C] [--dpi N]\n"
            "                       [--threads N] [--out FILE] FILES...\n"
            "\n"
            "Writes one sheet record (JSON) per line for the ballots in FILES (TIFF,\n"
            "multi-page TIFF, PNG), in scan order. Label sheets set the batch.\n");
}

typedef struct {
    img *image; /* NULL when the page could not be decoded */
    const char *file;
    int page;
} page_item;

typedef struct {
    page_item pages[2];
    int n_pages;
    rec_sheet *rec;
    int rc;
    char error[1024];
} sheet_job;

/* Pages of the files in order, one at a time: memory does not grow with the
 * batch. */
typedef struct {
    char **files;
    int n_files, next_file;
    iio_reader *reader;
    const char *file;
    int page, n_pages;
    double dpi_override;
    int failures;
} page_stream;

/* 1 with a page (image may be NULL after a decode error, reported), 0 at
 * the end. */
static int stream_next(page_stream *s, page_item *out)
{
    memset(out, 0, sizeof *out);
    for (;;) {
        if (s->reader && s->page < s->n_pages) {
            s->page++;
            out->file = s->file;
            out->page = s->page;
            if (iio_reader_read(&out->image, s->reader, s->page)) {
                fprintf(stderr, "telle interpret: %s (the sheet goes to review as unreadable)\n",
                        err_message());
                s->failures++;
                out->image = NULL;
            } else if (s->dpi_override > 0) {
                img_set_dpi(out->image, s->dpi_override, s->dpi_override);
            }
            return 1;
        }
        iio_reader_close(s->reader);
        s->reader = NULL;
        if (s->next_file >= s->n_files)
            return 0;
        s->file = s->files[s->next_file++];
        if (iio_reader_open(&s->reader, s->file)) {
            fprintf(stderr, "telle interpret: %s\n", err_message());
            s->failures++;
            s->reader = NULL;
            continue;
        }
        s->page = 0;
        s->n_pages = iio_reader_page_count(s->reader);
        if (iio_reader_damage(s->reader)) {
            fprintf(stderr, "telle interpret: %s: %s; the %d pages before are read\n", s->file,
                    iio_reader_damage(s->reader), s->n_pages);
            s->failures++;
        }
    }
}

typedef struct {
    const rec_engine *engine;
    sheet_job *jobs;
    int n_jobs;
    atomic_int next;
} work_pool;

static void *worker(void *arg)
{
    work_pool *w = arg;
    for (;;) {
        int i = atomic_fetch_add(&w->next, 1);
        if (i >= w->n_jobs)
            return NULL;
        sheet_job *j = &w->jobs[i];
        rec_page_in in[2];
        for (int p = 0; p < j->n_pages; p++) {
            in[p].image = j->pages[p].image;
            in[p].file = j->pages[p].file;
            in[p].page = j->pages[p].page;
        }
        j->rc = rec_sheet_read(&j->rec, w->engine, in, j->n_pages);
        if (j->rc)
            snprintf(j->error, sizeof j->error, "%s", err_message());
    }
}

static void run_pool(const rec_engine *e, sheet_job *jobs, int n, int threads)
{
    work_pool w = {.engine = e, .jobs = jobs, .n_jobs = n};
    atomic_init(&w.next, 0);
    if (threads <= 1 || n <= 1) {
        worker(&w);
        return;
    }
    pthread_t tid[64];
    int started = 0;
    for (int t = 0; t < threads && t < 64; t++)
        if (pthread_create(&tid[t], NULL, worker, &w) == 0)
            started++;
        else
            break;
    if (started == 0)
        worker(&w);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}

static void job_release(sheet_job *j)
{
    for (int p = 0; p < j->n_pages; p++)
        img_free(j->pages[p].image);
    rec_sheet_free(j->rec);
    memset(j, 0, sizeof *j);
}

typedef struct {
    scan_batch_meta meta;
    bool have_batch;
    const char *election_option;
    int sheet_index;
    long sheets, labels, review;
} batch_state;

/* A sheet that is no ballot may be a label. 1: it was (state updated),
 * 0: it was not, <0: a label that must stop the run (message printed). */
static int try_label(batch_state *b, const sheet_job *j)
{
    for (int p = 0; p < j->n_pages; p++) {
        if (!j->pages[p].image)
            continue;
        scan_batch_meta m;
        bool found = false;
        if (scan_label_read(&m, &found, j->pages[p].image)) {
            fprintf(stderr, "telle interpret: %s page %d: %s\n", j->pages[p].file,
                    j->pages[p].page, err_message());
            return -1;
        }
        if (!found)
            continue;
        if (b->election_option && strcmp(b->election_option, m.election) != 0) {
            fprintf(stderr,
                    "telle interpret: %s page %d: the label is for election %s (batch %s), "
                    "but this run counts election %s; put the box with its own election\n",
                    j->pages[p].file, j->pages[p].page, m.election, m.batch, b->election_option);
            return -1;
        }
        b->meta = m;
        b->have_batch = true;
        b->sheet_index = 0;
        b->labels++;
        return 1;
    }
    return 0;
}

static int write_record(FILE *out, batch_state *b, sheet_job *j)
{
    b->sheet_index++;
    char name[CLI_SHEET_NAME_MAX];
    cli_sheet_name(name, j->pages[0].file, b->sheet_index);
    /* b->meta: the label's or the options' batch; its election is
     * --election's until a label names one (the same, or the run stops). */
    char *text = NULL;
    if (cli_sheet_record(&text, j->rec, name, &b->meta)) {
        fprintf(stderr, "telle interpret: %s: %s\n", name, err_message());
        return -1;
    }
    if (cli_record_in_review(text))
        b->review++;
    b->sheets++;
    int ok = fprintf(out, "%s\n", text) >= 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "telle interpret: cannot write the records: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_interpret(int argc, char **argv)
{
    const char *package = NULL, *out_path = NULL;
    bool duplex = true;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    double dpi = 0;
    batch_state b;
    memset(&b, 0, sizeof b);
    char **files = calloc((size_t)argc, sizeof *files);
    int n_files = 0;
    if (!files)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(files);
            return 0;
        } else if (strcmp(a, "--duplex") == 0) {
            duplex = true;
        } else if (strcmp(a, "--simplex") == 0) {
            duplex = false;
        } else if ((strcmp(a, "--package") == 0 || strcmp(a, "--out") == 0 ||
                    strcmp(a, "--election") == 0 || strcmp(a, "--threads") == 0 ||
                    strcmp(a, "--batch") == 0 || strcmp(a, "--krets") == 0 ||
                    strcmp(a, "--category") == 0 || strcmp(a, "--dpi") == 0)) {
            if (!v) {
                fprintf(stderr, "telle interpret: %s needs a value\n", a);
                free(files);
                return 2;
            }
            i++;
            if (strcmp(a, "--package") == 0)
                package = v;
            else if (strcmp(a, "--out") == 0)
                out_path = v;
            else if (strcmp(a, "--election") == 0)
                b.election_option = v;
            else if (strcmp(a, "--threads") == 0)
                threads = atoi(v);
            else if (strcmp(a, "--dpi") == 0)
                dpi = atof(v);
            else {
                char *field = strcmp(a, "--batch") == 0   ? b.meta.batch
                              : strcmp(a, "--krets") == 0 ? b.meta.krets
                                                          : b.meta.category;
                snprintf(field, SCAN_META_FIELD, "%s", v);
                b.have_batch = true;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "telle interpret: unknown option %s\n", a);
            usage(stderr);
            free(files);
            return 2;
        } else {
            files[n_files++] = argv[i];
        }
    }
    if (!package || n_files == 0 || threads < 1 || threads > 64) {
        usage(stderr);
        free(files);
        return 2;
    }
    if (b.election_option)
        snprintf(b.meta.election, SCAN_META_FIELD, "%s", b.election_option);

    int status = 1;
    pkg_package *pkg = NULL;
    rec_engine *engine = NULL;
    FILE *out = stdout;
    sheet_job *jobs = NULL;
    page_stream stream = {.files = files, .n_files = n_files, .dpi_override = dpi};
    if (pkg_load(&pkg, package)) {
        fprintf(stderr, "telle interpret: %s\n", err_message());
        goto done;
    }
    if (b.election_option && !pkg_election_find(pkg, b.election_option)) {
        fprintf(stderr, "telle interpret: --election %s: the package has no such election\n",
                b.election_option);
        goto done;
    }
    if (rec_engine_new(&engine, pkg, NULL)) {
        fprintf(stderr, "telle interpret: %s\n", err_message());
        goto done;
    }
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "telle interpret: %s: cannot write: %s\n", out_path, strerror(errno));
        out = stdout;
        goto done;
    }
    /* Enough sheets in flight to keep every worker busy; memory stays
     * bounded by this, not by the batch. */
    int window = threads * 4;
    jobs = calloc((size_t)window, sizeof *jobs);
    if (!jobs) {
        fprintf(stderr, "telle interpret: out of memory\n");
        goto done;
    }
    bool progress = isatty(STDERR_FILENO);
    int per_sheet = duplex ? 2 : 1;
    bool more = true, stop = false;
    while (more && !stop) {
        int n = 0;
        while (n < window) {
            sheet_job *j = &jobs[n];
            page_item it;
            if (!stream_next(&stream, &it)) {
                more = false;
                break;
            }
            j->pages[j->n_pages++] = it;
            if (per_sheet == 2) {
                if (stream_next(&stream, &it)) {
                    j->pages[j->n_pages++] = it;
                } else {
                    /* The last sheet's other side is missing: a person must
                     * see it. A page without an image is unreadable. */
                    j->pages[j->n_pages].file = j->pages[0].file;
                    j->pages[j->n_pages].page = 0;
                    j->pages[j->n_pages].image = NULL;
                    j->n_pages++;
                    more = false;
                }
            }
            n++;
        }
        run_pool(engine, jobs, n, threads);
        for (int i = 0; i < n; i++) {
            sheet_job *j = &jobs[i];
            if (!stop && j->rc) {
                fprintf(stderr, "telle interpret: %s page %d: %s\n", j->pages[0].file,
                        j->pages[0].page, j->error);
                stop = true;
            }
            if (!stop && !rec_sheet_is_ballot(j->rec)) {
                int l = try_label(&b, j);
                if (l < 0)
                    stop = true;
                if (l != 0) {
                    job_release(j);
                    continue;
                }
            }
            if (!stop && write_record(out, &b, j))
                stop = true;
            job_release(j);
        }
        if (progress)
            fprintf(stderr, "\rtelle interpret: %ld sheets, %ld for review, %ld labels", b.sheets,
                    b.review, b.labels);
    }
    if (progress)
        fputc('\n', stderr);
    if (fflush(out) != 0) {
        fprintf(stderr, "telle interpret: cannot write the records: %s\n", strerror(errno));
        stop = true;
    }
    status = (stop || stream.failures) ? 1 : 0;
done:
    if (jobs) {
        for (int i = 0; i < window; i++)
            job_release(&jobs[i]);
        free(jobs);
    }
    iio_reader_close(stream.reader);
    if (out && out != stdout)
        fclose(out);
    rec_engine_free(engine);
    pkg_free(pkg);
    free(files);
    return status;
}
