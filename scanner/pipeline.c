/* pipeline.c - sheets from the capture thread to worker threads:
 * scan_pipeline_new, scan_pipeline_push, scan_pipeline_waiting,
 * scan_pipeline_finish. */
#include "scanner/pipeline.h"

#include "core/error.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { PIPE_MAX_WORKERS = 64, PIPE_MSG = 1024 };

typedef struct job {
    struct job *next;
    int sheet, npages;
    img *pages[2];
} job;

struct scan_pipeline {
    pthread_mutex_t mu;
    pthread_cond_t ready;   /* a job was queued, or stopping */
    job *head, *tail;
    size_t waiting;         /* queued + running */
    bool stopping;
    pthread_t threads[PIPE_MAX_WORKERS];
    int nthreads;
    int sides;
    scan_sheet_fn fn;
    void *ctx;
    job *open;              /* the sheet being assembled (capture thread) */
    int first_rc;
    char first_msg[PIPE_MSG];
};

static void job_free(job *j)
{
    if (!j)
        return;
    for (int i = 0; i < j->npages; i++)
        img_free(j->pages[i]);
    free(j);
}

static void *worker(void *arg)
{
    scan_pipeline *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->head && !pl->stopping)
            pthread_cond_wait(&pl->ready, &pl->mu);
        job *j = pl->head;
        if (!j) { /* stopping and drained */
            pthread_mutex_unlock(&pl->mu);
            return NULL;
        }
        pl->head = j->next;
        if (!pl->head)
            pl->tail = NULL;
        pthread_mutex_unlock(&pl->mu);

        scan_sheet s = {j->sheet, j->npages, {j->pages[0], j->pages[1]}};
        int rc = pl->fn(pl->ctx, &s);
        job_free(j);

        pthread_mutex_lock(&pl->mu);
        if (rc < 0 && pl->first_rc == 0) {
            pl->first_rc = rc;
            strncpy(pl->first_msg, err_message(), PIPE_MSG - 1);
        }
        pl->waiting--;
        pthread_mutex_unlock(&pl->mu);
    }
}

int scan_pipeline_new(scan_pipeline **out, int sides, int workers,
                      scan_sheet_fn fn, void *ctx)
{
    *out = NULL;
    if (workers < 1 || workers > PIPE_MAX_WORKERS || !fn ||
        (sides != 1 && sides != 2))
        return err_set(TELLE_EINVAL, "a pipeline needs 1 or 2 sides, 1 to %d "
                       "workers and a work function (sides %d, workers %d)",
                       PIPE_MAX_WORKERS, sides, workers);
    scan_pipeline *pl = calloc(1, sizeof *pl);
    if (!pl)
        return err_set(TELLE_ENOMEM, "out of memory for a pipeline");
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->ready, NULL);
    pl->sides = sides;
    pl->fn = fn;
    pl->ctx = ctx;
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&pl->threads[i], NULL, worker, pl) != 0) {
            scan_pipeline_finish(pl);
            return err_set(TELLE_EIO, "cannot start pipeline worker %d", i + 1);
        }
        pl->nthreads++;
    }
    *out = pl;
    return 0;
}

static void enqueue(scan_pipeline *pl, job *j)
{
    pthread_mutex_lock(&pl->mu);
    if (pl->tail)
        pl->tail->next = j;
    else
        pl->head = j;
    pl->tail = j;
    pl->waiting++;
    pthread_cond_signal(&pl->ready);
    pthread_mutex_unlock(&pl->mu);
}

int scan_pipeline_push(scan_pipeline *pl, const scan_page *p)
{
    if (pl->open && pl->open->sheet != p->sheet) {
        enqueue(pl, pl->open);
        pl->open = NULL;
    }
    if (!pl->open) {
        pl->open = calloc(1, sizeof *pl->open);
        if (!pl->open)
            return err_set(TELLE_ENOMEM, "out of memory queueing sheet %d",
                           p->sheet);
        pl->open->sheet = p->sheet;
    }
    /* The capture loop hands out a const view; the reference keeps the
     * pixels alive until the worker is done, and nobody writes them. */
    pl->open->pages[pl->open->npages++] = img_ref((img *)p->image);
    if (pl->open->npages == pl->sides) {
        enqueue(pl, pl->open);
        pl->open = NULL;
    }
    return 0;
}

size_t scan_pipeline_waiting(scan_pipeline *pl)
{
    pthread_mutex_lock(&pl->mu);
    size_t n = pl->waiting;
    pthread_mutex_unlock(&pl->mu);
    return n + (pl->open ? 1 : 0);
}

int scan_pipeline_finish(scan_pipeline *pl)
{
    if (!pl)
        return 0;
    if (pl->open) {
        if (pl->nthreads > 0)
            enqueue(pl, pl->open);
        else
            job_free(pl->open);
        pl->open = NULL;
    }
    pthread_mutex_lock(&pl->mu);
    pl->stopping = true;
    pthread_cond_broadcast(&pl->ready);
    pthread_mutex_unlock(&pl->mu);
    for (int i = 0; i < pl->nthreads; i++)
        pthread_join(pl->threads[i], NULL);
    int rc = pl->first_rc;
    if (rc)
        err_set(rc, "%s", pl->first_msg);
    for (job *j = pl->head; j;) {
        job *next = j->next;
        job_free(j);
        j = next;
    }
    pthread_cond_destroy(&pl->ready);
    pthread_mutex_destroy(&pl->mu);
    free(pl);
    return rc;
}
