/* cmd_import.c - `telle import`: image files (multi-page TIFF, PNG) from a
 * scanner that writes files, into the same archive and through the same
 * checks as `telle scan`. Idempotent: a sheet whose pages are all archived
 * already (by pixel hash) is skipped, so importing a file twice adds
 * nothing. */
#include "cli/commands.h"
#include "cli/batch_args.h"

#include "core/error.h"
#include "core/image_io.h"
#include "scanner/archive.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void import_usage(FILE *to)
{
    fprintf(to,
        "usage: telle import [--archive DIR] [--duplex]\n"
        "                    (--label | --election E --krets K --category C --batch B)\n"
        "                    FILES-OR-FOLDERS...\n\n"
        "Adds the pages of FILES (a folder: its TIFF and PNG files sorted by\n"
        "name), in order, to DIR/BATCH (default DIR: archive). With --duplex\n"
        "every two pages are one sheet. With --label the first sheet must be\n"
        "the batch label. Sheets already archived (same pixels) are skipped.\n");
}

typedef struct {
    const char *file;
    int page;
} page_ref;

/* Decodes one page, keeping the last file's reader open: pages come in
 * file order. Call with p == NULL to close it. */
static int page_load(img **out, const page_ref *p)
{
    static iio_reader *r;
    static const char *file;
    if (out)
        *out = NULL;
    if (!p || (file && strcmp(file, p->file) != 0)) {
        iio_reader_close(r);
        r = NULL;
        file = NULL;
    }
    if (!p)
        return 0;
    if (!r) {
        int rc = iio_reader_open(&r, p->file);
        if (rc)
            return rc;
        file = p->file;
    }
    return iio_reader_read(out, r, p->page);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    if (!dot)
        return false;
    char ext[8];
    size_t i = 0;
    for (dot++; *dot && i < sizeof ext - 1; dot++)
        ext[i++] = (char)tolower((unsigned char)*dot);
    ext[i] = '\0';
    return strcmp(ext, "tif") == 0 || strcmp(ext, "tiff") == 0 ||
           strcmp(ext, "png") == 0;
}

static int list_push(char ***list, size_t *n, const char *path)
{
    char **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl)
        return err_set(TELLE_ENOMEM, "out of memory listing files");
    *list = nl;
    if (!(nl[*n] = strdup(path)))
        return err_set(TELLE_ENOMEM, "out of memory listing files");
    (*n)++;
    return 0;
}

/* The files to import: each argument as given, a folder as its *.tif,
 * *.tiff and *.png files sorted by name (scanners that write one file per
 * page name them in scan order). */
static int files_expand(char ***out, size_t *count, char **args, int nargs)
{
    int rc = 0;
    for (int i = 0; i < nargs && !rc; i++) {
        DIR *d = opendir(args[i]);
        if (!d) {
            rc = list_push(out, count, args[i]);
            continue;
        }
        size_t first = *count;
        struct dirent *e;
        while (!rc && (e = readdir(d)) != NULL) {
            if (!image_name(e->d_name))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", args[i], e->d_name);
            rc = list_push(out, count, path);
        }
        closedir(d);
        if (!rc && *count == first)
            rc = err_set(TELLE_EINVAL, "%s: a folder without TIFF or PNG "
                         "files", args[i]);
        if (!rc)
            qsort(*out + first, *count - first, sizeof **out, name_cmp);
    }
    return rc;
}

int cmd_import(int argc, char **argv)
{
    const char *cmd = "telle import";
    const char *root = "archive";
    scan_batch_meta meta;
    memset(&meta, 0, sizeof meta);
    bool label = false, duplex = false;
    int nmeta = 0;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            import_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--label") == 0) {
            label = true;
        } else if (strcmp(argv[i], "--duplex") == 0) {
            duplex = true;
        } else if ((v = cli_arg_take(&i, argc, argv, "--archive", cmd))) {
            root = v;
        } else if (cli_batch_option(&meta, &nmeta, &i, argc, argv, cmd)) {
            continue;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            fprintf(stderr, "telle import: unknown option '%s'\n\n", argv[i]);
            import_usage(stderr);
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (first_file >= argc || (!label && nmeta != 4) ||
        (nmeta != 0 && nmeta != 4)) {
        fprintf(stderr, "telle import: name FILES and either --label or all "
                "of --election --krets --category --batch\n\n");
        import_usage(stderr);
        return 2;
    }
    int sides = duplex ? 2 : 1;

    /* Every page of every file, checked to open before anything is
     * written. */
    page_ref *pages = NULL;
    size_t npages = 0;
    char **files = NULL;
    size_t nfiles = 0;
    scan_archive *a = NULL;
    img *sheet[2] = {NULL, NULL};
    int status = 1, rc = 0, added = 0, skipped = 0;
    bool tty = isatty(2);
    if ((rc = files_expand(&files, &nfiles, argv + first_file,
                           argc - first_file)) != 0)
        goto done;
    for (size_t f = 0; f < nfiles; f++) {
        iio_reader *r = NULL;
        if ((rc = iio_reader_open(&r, files[f])) != 0)
            goto done;
        int n = iio_reader_page_count(r);
        iio_reader_close(r);
        page_ref *np = realloc(pages, (npages + (size_t)n) * sizeof *np);
        if (!np) {
            rc = err_set(TELLE_ENOMEM, "out of memory listing pages");
            goto done;
        }
        pages = np;
        for (int p = 1; p <= n; p++)
            pages[npages++] = (page_ref){files[f], p};
    }
    if (npages % (size_t)sides) {
        rc = err_set(TELLE_EINVAL, "%zu pages cannot be duplex sheets: the "
                     "last sheet has no back (nothing was imported)", npages);
        goto done;
    }

    size_t start = 0;
    if (label) {
        scan_batch_meta lm;
        bool found = false;
        if ((rc = page_load(&sheet[0], &pages[0])) != 0 ||
            (rc = scan_label_read(&lm, &found, sheet[0])) != 0)
            goto done;
        if (!found) {
            rc = err_set(TELLE_EINVAL, "%s: page 1 carries no telle batch "
                         "label (nothing was imported)", pages[0].file);
            goto done;
        }
        if (nmeta == 4 && !cli_batch_meta_equal(&lm, &meta)) {
            rc = err_set(TELLE_EINVAL, "%s: the label says batch %s (krets "
                         "%s), the command line batch %s (krets %s)",
                         pages[0].file, lm.batch, lm.krets, meta.batch,
                         meta.krets);
            goto done;
        }
        meta = lm;
    }
    if ((rc = scan_archive_open(&a, root, &meta, sides, SCAN_ARCHIVE_APPEND,
                                "import")) != 0)
        goto done;
    if (scan_archive_torn(a))
        fprintf(stderr, "batch %s: dropped a torn last journal line\n",
                meta.batch);
    if (label) {
        /* The label sheet: archived once. */
        char hex[HASH_HEX_LEN + 1];
        hash_sha256_pixels(hex, sheet[0]);
        bool known = scan_archive_has_pixels(a, hex);
        for (int s = 0; s < sides && !rc; s++) {
            if (s > 0) {
                img_free(sheet[0]);
                sheet[0] = NULL;
                rc = page_load(&sheet[0], &pages[s]);
            }
            if (!rc && !known)
                rc = scan_archive_page_add(NULL, a, 0, s, sheet[0]);
        }
        img_free(sheet[0]);
        sheet[0] = NULL;
        if (rc)
            goto done;
        start = (size_t)sides;
    }
    for (size_t i = start; i < npages; i += (size_t)sides) {
        bool known = true;
        for (int s = 0; s < sides; s++) {
            if ((rc = page_load(&sheet[s], &pages[i + (size_t)s])) != 0)
                goto done;
            char hex[HASH_HEX_LEN + 1];
            hash_sha256_pixels(hex, sheet[s]);
            known = known && scan_archive_has_pixels(a, hex);
        }
        if (known) {
            skipped++;
        } else {
            int sn = scan_archive_next_sheet(a);
            for (int s = 0; s < sides && !rc; s++)
                rc = scan_archive_page_add(NULL, a, sn, s, sheet[s]);
            if (rc) {
                err_prefix("%s: page %d: ", pages[i].file, pages[i].page);
                goto done;
            }
            added++;
        }
        for (int s = 0; s < sides; s++) {
            img_free(sheet[s]);
            sheet[s] = NULL;
        }
        if (tty)
            fprintf(stderr, "\r%zu pages, %d sheets added, %d known",
                    i + (size_t)sides, added, skipped);
    }
    if (tty)
        fputc('\n', stderr);
    fprintf(stderr, "batch %s: %d sheets added, %d already archived; the "
            "batch holds %d sheets\n", meta.batch, added, skipped,
            scan_archive_sheets(a));
    printf("%s\t%d\n", meta.batch, scan_archive_sheets(a));
    status = 0;
done:
    if (rc)
        fprintf(stderr, "telle import: %s: %s\n", err_name(rc),
                err_message());
    img_free(sheet[0]);
    img_free(sheet[1]);
    page_load(NULL, NULL);
    scan_archive_close(a);
    free(pages);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    return status;
}
