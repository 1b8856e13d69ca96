/* capture_internal.h - the fields of struct scan_device, for scanner/ only. */
#ifndef TELLE_SCANNER_CAPTURE_INTERNAL_H
#define TELLE_SCANNER_CAPTURE_INTERNAL_H

#include "scanner/capture.h"

#include <sane/sane.h>

struct scan_device {
    SANE_Handle h;
    char *name;
    char settings[512];
    int sides;
    double dpi;
    bool started;          /* a sane_start is outstanding (page or batch) */
    SANE_Byte *buf;        /* frame buffer reused from page to page */
    size_t cap;
};

#endif
