/* cv_shim.h - the C face of the OpenCV calls recognition makes. The only
 * C++ in telle lives behind this header (cv_shim.cpp); no OpenCV type ever
 * appears here. Buffers are 8-bit single-channel, rows `stride` bytes apart.
 * Functions return 0, or TELLE_EINVAL/TELLE_ENOMEM via err_set when OpenCV
 * throws (bad sizes, allocation).
 *
 *   cvs_resize_area       downscale by pixel-area averaging
 *   cvs_match_template    best normalised-correlation match of a template
 *   cvs_warp_affine       resample through an affine map, bilinear
 *   cvs_dilate            dilate with a disc
 *   cvs_erode             erode with a disc (a min filter)
 *   cvs_set_threads       size of OpenCV's own thread pool
 */
#ifndef TELLE_RECOGNITION_CV_SHIM_H
#define TELLE_RECOGNITION_CV_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const uint8_t *data;
    int width, height;
    size_t stride;
} cvs_view;

typedef struct {
    uint8_t *data;
    int width, height;
    size_t stride;
} cvs_buf;

/* Area-averaging downscale of src into dst (dst's size decides the scale).
 * Used to make a low-resolution ink density map: a 0/255 mask averaged
 * over 4 x 4 becomes 0..255 density at a quarter of the resolution. */
int cvs_resize_area(const cvs_view *src, const cvs_buf *dst);

/* Slides tpl over src (src at least as large as tpl) and reports the
 * top-left offset with the highest TM_CCOEFF_NORMED score (-1..1), to a
 * fraction of a pixel: a parabola through the peak and its neighbours in
 * each direction. A flat template or window scores 0. */
int cvs_match_template(const cvs_view *src, const cvs_view *tpl, double *best_x,
                       double *best_y, double *best_score);

/* dst(x, y) = src(m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]),
 * bilinear, `border` outside src. m maps destination to source pixels. */
int cvs_warp_affine(const cvs_view *src, const cvs_buf *dst, const double m[6],
                    uint8_t border);

/* dst = src dilated by a disc of the given radius in pixels (0: copy). */
int cvs_dilate(const cvs_view *src, const cvs_buf *dst, int radius_px);

/* dst = src eroded by a disc (the darkest value within radius_px). */
int cvs_erode(const cvs_view *src, const cvs_buf *dst, int radius_px);

/* Sets OpenCV's internal thread pool (1: none). recognition parallelises
 * across sheets itself, so it switches OpenCV's pool off. */
void cvs_set_threads(int n);

#ifdef __cplusplus
}
#endif

#endif
