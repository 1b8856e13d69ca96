/* cmd_scan.c - `telle scan`: list SANE devices, or scan a batch into the
 * archive (with --resume to continue one after a fault or a crash). */
#include "cli/commands.h"

#include "core/error.h"
#include "scanner/archive.h"
#include "scanner/capture.h"

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
        "                  [--resume]\n\n"
        "Scans sheets from the device's feeder until it is empty. Every page\n"
        "is written to DIR/BATCH (default DIR: archive) and made durable before\n"
        "the next page is read. After a fault (jam, cover open, double feed)\n"
        "or a crash, run the same command with --resume and feed from the\n"
        "sheet it names. With --label the first sheet must be the batch label\n"
        "(Code 128 TELLE;election=..;krets=..;category=..;batch=..).\n\n"
        "The project's own backend feeds image files as a duplex scanner:\n"
        "`source BUILD/scanner/sane-env.sh`, then --device telle:FILE.tif\n"
        "(or a folder, or FILE,FILE...; see scanner/README.md).\n");
}

typedef struct {
    scan_archive *archive;
    bool tty;
    bool try_label;      /* look for a label on the run's first sheet */
    double t0;
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
    double dt = wall_now() - c->t0;
    double rate = dt > 0 ? c->sheets * 60.0 / dt : 0;
    fprintf(stderr, "\r%d pages, %d sheets, %.0f sheets/min%s", c->pages,
            c->sheets, rate, final ? "\n" : "");
    fflush(stderr);
}

static bool meta_equal(const scan_batch_meta *a, const scan_batch_meta *b)
{
    return strcmp(a->election, b->election) == 0 &&
           strcmp(a->krets, b->krets) == 0 &&
           strcmp(a->category, b->category) == 0 &&
           strcmp(a->batch, b->batch) == 0;
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
            if (!meta_equal(&lm, am))
                return err_set(TELLE_EINVAL, "the label sheet is for batch "
                               "%s (election %s, krets %s, category %s), but "
                               "this is batch %s (election %s, krets %s, "
                               "category %s): take it out and feed the "
                               "right box", lm.batch, lm.election, lm.krets,
                               lm.category, am->batch, am->election,
                               am->krets, am->category);
            rc = scan_archive_page_add(NULL, c->archive, 0, p->side, p->image);
            return rc ? rc : SCAN_PAGE_LABEL;
        }
    }
    int rc = scan_archive_page_add(NULL, c->archive, p->sheet, p->side,
                                   p->image);
    if (rc)
        return rc;
    /* Recognition will be handed the page here (a queue to worker
     * threads), after it is durable. */
    c->pages++;
    if (p->sheet > 0 && p->side == scan_archive_sides(c->archive) - 1) {
        c->sheets++;
        c->last_sheet = p->sheet;
    }
    progress(c, false);
    return 0;
}

static const char *arg_take(int *i, int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "telle scan: %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}

static void set_field(char *dst, const char *v, const char *name)
{
    if (strlen(v) >= SCAN_META_FIELD) {
        fprintf(stderr, "telle scan: %s is too long\n", name);
        exit(2);
    }
    strcpy(dst, v);
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
    if (have_given && !meta_equal(&lm, given)) {
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
    const char *device = NULL, *root = "archive";
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
        } else if ((v = arg_take(&i, argc, argv, "--device"))) {
            device = v;
        } else if ((v = arg_take(&i, argc, argv, "--source"))) {
            opt.source = v;
        } else if ((v = arg_take(&i, argc, argv, "--mode"))) {
            opt.mode = v;
        } else if ((v = arg_take(&i, argc, argv, "--resolution"))) {
            opt.resolution_dpi = atof(v);
            if (opt.resolution_dpi <= 0) {
                fprintf(stderr, "telle scan: --resolution %s is not a "
                        "positive number\n", v);
                return 2;
            }
        } else if ((v = arg_take(&i, argc, argv, "--archive"))) {
            root = v;
        } else if ((v = arg_take(&i, argc, argv, "--option"))) {
            if (nextra == 32 || !strchr(v, '=')) {
                fprintf(stderr, "telle scan: --option wants NAME=VALUE (at "
                        "most 32)\n");
                return 2;
            }
            extra[nextra++] = v;
        } else if ((v = arg_take(&i, argc, argv, "--election"))) {
            set_field(meta.election, v, "--election");
            nmeta++;
        } else if ((v = arg_take(&i, argc, argv, "--krets"))) {
            set_field(meta.krets, v, "--krets");
            nmeta++;
        } else if ((v = arg_take(&i, argc, argv, "--category"))) {
            set_field(meta.category, v, "--category");
            nmeta++;
        } else if ((v = arg_take(&i, argc, argv, "--batch"))) {
            set_field(meta.batch, v, "--batch");
            nmeta++;
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
    scan_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tty = isatty(2);
    int status = 1;
    int rc = scan_device_open(&dev, device);
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
    progress(&ctx, true);
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
    scan_archive_close(ctx.archive);
    scan_device_close(dev);
    return status;
}
