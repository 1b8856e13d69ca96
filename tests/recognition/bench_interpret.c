/* bench_interpret.c - how fast recognition reads ballots: decode included,
 * single-threaded and with every core. A benchmark, not a test: it prints
 * figures and asserts nothing.
 *
 *   bench_interpret PACKAGE_DIR FILE [THREADS]
 *
 * FILE is a duplex batch (label sheet first, as telle simulate writes it).
 * Prints ms per page (wall time / pages, and CPU time per page), pages per
 * second, and the peak resident memory. */
#include "core/error.h"
#include "core/image_io.h"
#include "core/package.h"
#include "recognition/recognition.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const rec_engine *engine;
    iio_reader *reader;
    int n_pages;
    atomic_int next_sheet;
    atomic_int failures;
} bench;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    bench *b = arg;
    for (;;) {
        int s = atomic_fetch_add(&b->next_sheet, 1);
        int p0 = 2 * s + 1;
        if (p0 + 1 > b->n_pages)
            return NULL;
        img *a = NULL, *c = NULL;
        rec_sheet *sheet = NULL;
        char *json = NULL;
        if (iio_reader_read(&a, b->reader, p0) || iio_reader_read(&c, b->reader, p0 + 1)) {
            atomic_fetch_add(&b->failures, 1);
        } else {
            rec_page_in in[2] = {{a, "bench", p0}, {c, "bench", p0 + 1}};
            rec_sheet_meta m = {"bench#1", NULL, NULL, NULL};
            if (rec_sheet_read(&sheet, b->engine, in, 2) || rec_sheet_to_json(&json, sheet, &m))
                atomic_fetch_add(&b->failures, 1);
        }
        free(json);
        rec_sheet_free(sheet);
        img_free(a);
        img_free(c);
    }
}

static void run(const rec_engine *e, const char *file, int threads)
{
    bench b = {.engine = e};
    if (iio_reader_open(&b.reader, file)) {
        fprintf(stderr, "bench: %s\n", err_message());
        exit(1);
    }
    b.n_pages = iio_reader_page_count(b.reader);
    atomic_init(&b.next_sheet, 0);
    atomic_init(&b.failures, 0);
    double t0 = now(), c0 = cpu_now();
    pthread_t tid[64];
    for (int t = 0; t < threads; t++)
        pthread_create(&tid[t], NULL, worker, &b);
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    double wall = now() - t0, cpu = cpu_now() - c0;
    int pages = (b.n_pages / 2) * 2;
    printf("%-28s threads %d: %4d pages, %7.1f ms/page wall, %7.1f ms/page CPU, %6.1f pages/s%s\n",
           file, threads, pages, 1000 * wall / pages, 1000 * cpu / pages, pages / wall,
           atomic_load(&b.failures) ? " (with failures)" : "");
    iio_reader_close(b.reader);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_interpret PACKAGE_DIR FILE [THREADS]\n");
        return 2;
    }
    /* As the telle command does (cli/main.c): page buffers stay in the
     * heap instead of being mapped and faulted in anew for every page. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    pkg_package *pkg = NULL;
    rec_engine *e = NULL;
    if (pkg_load(&pkg, argv[1]) || rec_engine_new(&e, pkg, NULL)) {
        fprintf(stderr, "bench: %s\n", err_message());
        return 1;
    }
    int cores = argc > 3 ? atoi(argv[3]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    run(e, argv[2], 1);
    if (cores > 1)
        run(e, argv[2], cores);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-28s peak resident memory %.0f MiB\n", argv[2], ru.ru_maxrss / 1024.0);
    rec_engine_free(e);
    pkg_free(pkg);
    return 0;
}
