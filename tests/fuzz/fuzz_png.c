/* fuzz_png.c - libFuzzer target for the image reader, seeded with PNG
 * files (corpus/png): open the bytes from memory, decode every page (at most
 * 8, so one input stays fast), free everything. Crashes, leaks and
 * undefined behaviour are what it looks for; refusals are normal. */
#include "core/image_io.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iio_reader *r = NULL;
    if (iio_reader_open_memory(&r, data, size, "fuzz.png"))
        return 0;
    int n = iio_reader_page_count(r);
    for (int p = 1; p <= n && p <= 8; p++) {
        img *im = NULL;
        if (iio_reader_read(&im, r, p) == 0) {
            /* touch the first and last row, as a consumer would */
            volatile uint8_t sink = img_row(im, 0)[0];
            sink ^= img_row(im, img_height(im) - 1)[img_stride(im) - 1];
            (void)sink;
            img_free(im);
        }
    }
    iio_reader_close(r);
    return 0;
}
