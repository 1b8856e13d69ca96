/* code128.c - Code 128 (set B) encoding and drawing: smp_code128_modules,
 * smp_code128_draw. Table from ISO/IEC 15417 Annex, values 0..106. */
#include "samples/code128.h"

#include "core/error.h"

#include <string.h>

/* Element widths of each symbol value: bar, space, bar, space, bar, space
 * (11 modules); 106 is the stop, with a seventh element (13 modules). */
static const char *const CODE128[107] = {
    "212222", "222122", "222221", "121223", "121322", "131222", "122213",
    "122312", "132212", "221213", "221312", "231212", "112232", "122132",
    "122231", "113222", "123122", "123221", "223211", "221132", "221231",
    "213212", "223112", "312131", "311222", "321122", "321221", "312212",
    "322112", "322211", "212123", "212321", "232121", "111323", "131123",
    "131321", "112313", "132113", "132311", "211313", "231113", "231311",
    "112133", "112331", "132131", "113123", "113321", "133121", "313121",
    "211331", "231131", "213113", "213311", "213131", "311123", "311321",
    "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212",
    "124112", "124211", "411212", "421112", "421211", "212141", "214121",
    "412121", "111143", "111341", "131141", "114113", "114311", "411113",
    "411311", "113141", "114131", "311141", "411131", "211412", "211214",
    "211232", "2331112",
};

enum { C128_START_B = 104, C128_STOP = 106 };

static int put(unsigned char *w, int cap, int *n, int value)
{
    const char *p = CODE128[value];
    size_t len = strlen(p);
    if (*n + (int)len > cap)
        return -1;
    for (size_t i = 0; i < len; i++)
        w[(*n)++] = (unsigned char)(p[i] - '0');
    return 0;
}

int smp_code128_modules(unsigned char *widths, int cap, int *n,
                        const char *text)
{
    *n = 0;
    int sum = C128_START_B;
    if (put(widths, cap, n, C128_START_B))
        goto small;
    for (size_t i = 0; text[i]; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 32 || c > 127)
            return err_set(TELLE_EINVAL,
                           "Code 128 B cannot encode byte 0x%02x at %zu", c,
                           i);
        int v = c - 32;
        sum += v * (int)(i + 1);
        if (put(widths, cap, n, v))
            goto small;
    }
    if (put(widths, cap, n, sum % 103) || put(widths, cap, n, C128_STOP))
        goto small;
    return 0;
small:
    return err_set(TELLE_EINVAL, "Code 128: %d elements are not enough for "
                   "\"%s\"", cap, text);
}

int smp_code128_draw(cairo_t *cr, const char *text, double x, double y,
                     double module_w, double height, double *width_out)
{
    unsigned char w[6 * 80 + 8];
    int n = 0;
    int rc = smp_code128_modules(w, (int)sizeof w, &n, text);
    if (rc)
        return rc;
    double cx = x;
    for (int i = 0; i < n; i++) {
        double ew = w[i] * module_w;
        if (i % 2 == 0)
            cairo_rectangle(cr, cx, y, ew, height);
        cx += ew;
    }
    cairo_fill(cr);
    if (width_out)
        *width_out = cx - x;
    return 0;
}
