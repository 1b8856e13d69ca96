/* fuzz_journal.c - libFuzzer target for the archive's journal loader and
 * the batch label parser, the two places the scanner reads text it did not
 * write itself in this run. Built only with -DTELLE_FUZZ=ON (clang):
 *   build-fuzz/tests/scanner/fuzz_journal -max_total_time=60
 * Each input is written as a batch's journal.jsonl in a private temporary
 * folder and opened read-only; the same bytes are parsed as label text. */
#include "core/error.h"
#include "scanner/archive.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[256];
    static char path[300];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/telle-fuzz-journal-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    scan_archive *a = NULL;
    if (scan_archive_open_dir(&a, dir) == 0) {
        size_t n = 0;
        scan_archive_records(a, &n);
        (void)scan_archive_next_sheet(a);
        (void)scan_archive_sheets(a);
        scan_archive_close(a);
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    scan_batch_meta m;
    (void)scan_label_parse(&m, text);
    free(text);
    err_clear();
    return 0;
}
