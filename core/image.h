/* image.h - telle's one image type.
 *
 * An image is width x height pixels of `channels` samples (1 gray, 3 RGB,
 * 4 RGBA) at `depth` bits per sample (1 or 8), rows `stride` bytes apart,
 * with a resolution in dots per inch. Rows are reached only through
 * img_row(), never by y * width.
 *
 * Conventions, fixed for the whole project:
 *   - 1-bit images are packed most significant bit first, and a set bit is
 *     INK (black), whatever the file's photometric said;
 *   - 8-bit gray is 0 = black, 255 = white; RGB is R, G, B order.
 *
 * Images are reference counted: img_ref() shares one, img_free() drops a
 * reference and frees on the last. An image handed downstream is read-only.
 *
 *   img_new, img_ref, img_free        lifecycle
 *   img_width ... img_dpi_y           accessors
 *   img_set_dpi                       set the resolution
 *   img_row, img_row_mut              row pointers
 *   img_to_gray                       any format to 8-bit gray
 *   img_size_check                    dimension caps and overflow check
 */
#ifndef TELLE_CORE_IMAGE_H
#define TELLE_CORE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct img img;

/* No dimension above this is accepted from a file or a caller: 30000 px is
 * an A0 sheet at 1000 dpi, far beyond any ballot scanner. */
enum { IMG_MAX_DIM = 30000 };
/* Nor an image of more than 1 GiB of pixels: an A3 colour page at 600 dpi
 * is 0.2 GiB. */
#define IMG_MAX_BYTES ((uint64_t)1 << 30)

/* Checks width, height, channels and depth for sanity and the byte size for
 * overflow; on success stores the row stride in *stride (may be NULL).
 * Returns 0 or TELLE_EFORMAT with a message. Call before allocating from
 * numbers a file gave. */
int img_size_check(int width, int height, int channels, int depth,
                   size_t *stride);

/* A new image with every byte zero: no ink for 1-bit, black for 8-bit.
 * Resolution starts at 0 (unknown). */
int img_new(img **out, int width, int height, int channels, int depth);

img *img_ref(img *im);
void img_free(img *im); /* accepts NULL */

int img_width(const img *im);
int img_height(const img *im);
int img_channels(const img *im);
int img_depth(const img *im);
size_t img_stride(const img *im);
double img_dpi_x(const img *im);
double img_dpi_y(const img *im);
void img_set_dpi(img *im, double dpi_x, double dpi_y);

const uint8_t *img_row(const img *im, int y);
uint8_t *img_row_mut(img *im, int y);

/* A new 8-bit gray image from any format: 1-bit ink -> 0, no ink -> 255;
 * RGB by the luma weights of ITU-R BT.601 (0.299, 0.587, 0.114); alpha is
 * composited over white, since a transparent pixel is bare paper. */
int img_to_gray(img **out, const img *src);

#endif
