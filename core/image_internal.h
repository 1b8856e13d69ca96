/* image_internal.h - the fields of struct img, for core/ only. */
#ifndef TELLE_CORE_IMAGE_INTERNAL_H
#define TELLE_CORE_IMAGE_INTERNAL_H

#include "core/image.h"

struct img {
    int width, height, channels, depth;
    size_t stride;
    double dpi_x, dpi_y;
    int refs;
    uint8_t *pixels;
};

#endif
