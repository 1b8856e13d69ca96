/* capture.c - SANE devices, option setting by descriptor, the page loop:
 * scan_sane_init, scan_sane_exit, scan_status_code, scan_devices_list,
 * scan_devices_free, scan_device_open, scan_device_close,
 * scan_device_configure, scan_device_settings, scan_device_option_set,
 * scan_device_sides, scan_device_page_read, scan_batch_run. */
#include "scanner/capture_internal.h"

#include "core/error.h"
#include "core/log.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_sane_refs;

int scan_sane_init(void)
{
    if (g_sane_refs++ > 0)
        return 0;
    SANE_Int version = 0;
    SANE_Status st = sane_init(&version, NULL);
    if (st != SANE_STATUS_GOOD) {
        g_sane_refs = 0;
        return err_set(TELLE_EIO, "sane_init failed: %s", sane_strstatus(st));
    }
    log_debug("scan", "sane_init: version %d.%d.%d", SANE_VERSION_MAJOR(version),
              SANE_VERSION_MINOR(version), SANE_VERSION_BUILD(version));
    return 0;
}

void scan_sane_exit(void)
{
    if (g_sane_refs > 0 && --g_sane_refs == 0)
        sane_exit();
}

int scan_status_code(int sane_status)
{
    switch ((SANE_Status)sane_status) {
    case SANE_STATUS_GOOD: return 0;
    case SANE_STATUS_JAMMED: return TELLE_EJAMMED;
    case SANE_STATUS_NO_DOCS: return TELLE_ENO_DOCS;
    case SANE_STATUS_COVER_OPEN: return TELLE_ECOVER_OPEN;
    case SANE_STATUS_NO_MEM: return TELLE_ENOMEM;
    case SANE_STATUS_INVAL: return TELLE_EINVAL;
    default: return TELLE_EIO;
    }
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

void scan_devices_free(scan_device_info *list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++) {
        free(list[i].name);
        free(list[i].vendor);
        free(list[i].model);
        free(list[i].type);
    }
    free(list);
}

int scan_devices_list(scan_device_info **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    const SANE_Device **devs = NULL;
    SANE_Status st = sane_get_devices(&devs, SANE_FALSE);
    if (st != SANE_STATUS_GOOD)
        return err_set(scan_status_code(st), "sane_get_devices: %s",
                       sane_strstatus(st));
    size_t n = 0;
    while (devs && devs[n])
        n++;
    scan_device_info *list = calloc(n ? n : 1, sizeof *list);
    if (!list)
        return err_set(TELLE_ENOMEM, "out of memory listing %zu devices", n);
    for (size_t i = 0; i < n; i++) {
        list[i].name = dup_or_empty(devs[i]->name);
        list[i].vendor = dup_or_empty(devs[i]->vendor);
        list[i].model = dup_or_empty(devs[i]->model);
        list[i].type = dup_or_empty(devs[i]->type);
        if (!list[i].name || !list[i].vendor || !list[i].model ||
            !list[i].type) {
            scan_devices_free(list, i + 1);
            return err_set(TELLE_ENOMEM, "out of memory listing devices");
        }
    }
    *out = list;
    *count = n;
    return 0;
}

int scan_device_open(scan_device **out, const char *name)
{
    *out = NULL;
    if (!name || !*name)
        return err_set(TELLE_EINVAL, "no scanner device named");
    int rc = scan_sane_init();
    if (rc)
        return rc;
    scan_device *d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name))) {
        free(d);
        scan_sane_exit();
        return err_set(TELLE_ENOMEM, "out of memory opening %s", name);
    }
    SANE_Status st = sane_open(name, &d->h);
    if (st != SANE_STATUS_GOOD) {
        rc = err_set(scan_status_code(st) == TELLE_EINVAL ? TELLE_EINVAL
                                                          : TELLE_EIO,
                     "scanner %s: cannot open: %s (see `telle scan --list`)",
                     name, sane_strstatus(st));
        free(d->name);
        free(d);
        scan_sane_exit();
        return rc;
    }
    d->sides = 1;
    snprintf(d->settings, sizeof d->settings, "(defaults)");
    *out = d;
    return 0;
}

void scan_device_close(scan_device *d)
{
    if (!d)
        return;
    if (d->started)
        sane_cancel(d->h);
    sane_close(d->h);
    free(d->buf);
    free(d->name);
    free(d);
    scan_sane_exit();
}

/* sane_control_option as the standard asks: when the backend answers
 * SANE_INFO_RELOAD_OPTIONS, every descriptor is fetched again before the
 * next call (SANE's test backend refuses options that were not). */
static SANE_Status ctl(scan_device *d, int idx, SANE_Action action, void *val)
{
    SANE_Int info = 0;
    SANE_Status st = sane_control_option(d->h, idx, action, val, &info);
    if (st == SANE_STATUS_GOOD && (info & SANE_INFO_RELOAD_OPTIONS))
        for (SANE_Int i = 0; sane_get_option_descriptor(d->h, i); i++)
            ;
    return st;
}

/* Index of the option called `name`, or -1. */
static int option_find(scan_device *d, const char *name,
                       const SANE_Option_Descriptor **desc)
{
    for (SANE_Int i = 1;; i++) {
        const SANE_Option_Descriptor *o = sane_get_option_descriptor(d->h, i);
        if (!o)
            return -1;
        if (o->name && strcmp(o->name, name) == 0 &&
            o->type != SANE_TYPE_GROUP) {
            if (desc)
                *desc = o;
            return i;
        }
    }
}

static int ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
        if (ca != cb || !ca)
            return ca - cb;
    }
    return 0;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (ncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static bool eq_nocase(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && ncasecmp(a, b, strlen(a)) == 0;
}

static void list_join(char *out, size_t cap, const SANE_String_Const *list)
{
    out[0] = '\0';
    for (int i = 0; list && list[i]; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s\"%s\"", i ? ", " : "", list[i]);
    }
}

static int option_set_string(scan_device *d, int idx, const char *oname,
                             const char *value)
{
    const SANE_Option_Descriptor *o = sane_get_option_descriptor(d->h, idx);
    char buf[256];
    size_t size = o && o->size > 0 ? (size_t)o->size : sizeof buf;
    if (size > sizeof buf)
        size = sizeof buf;
    snprintf(buf, size, "%s", value);
    SANE_Status st = ctl(d, idx, SANE_ACTION_SET_VALUE, buf);
    if (st != SANE_STATUS_GOOD)
        return err_set(TELLE_EIO, "scanner %s: setting %s to \"%s\" failed: %s",
                       d->name, oname, value, sane_strstatus(st));
    return 0;
}

static int option_get_string(scan_device *d, int idx, char *out, size_t cap)
{
    const SANE_Option_Descriptor *o = sane_get_option_descriptor(d->h, idx);
    char buf[256] = {0};
    if (!o || o->size <= 0 || (size_t)o->size > sizeof buf)
        return -1;
    if (ctl(d, idx, SANE_ACTION_GET_VALUE, buf) !=
        SANE_STATUS_GOOD)
        return -1;
    snprintf(out, cap, "%s", buf);
    return 0;
}

/* Picks a string from a descriptor's list: the first entry containing any
 * of the needles, in needle order. */
static const char *list_pick(const SANE_String_Const *list,
                             const char *const *needles)
{
    for (int n = 0; needles[n]; n++)
        for (int i = 0; list && list[i]; i++)
            if (contains_nocase(list[i], needles[n]))
                return list[i];
    return NULL;
}

static int configure_source(scan_device *d, const scan_options *opt,
                            char *report, size_t cap)
{
    const SANE_Option_Descriptor *o = NULL;
    int idx = option_find(d, "source", &o);
    if (idx < 0 || o->type != SANE_TYPE_STRING ||
        o->constraint_type != SANE_CONSTRAINT_STRING_LIST) {
        if (opt->source || opt->duplex)
            return err_set(TELLE_EINVAL, "scanner %s has no source option; "
                           "it cannot feed %s", d->name,
                           opt->duplex ? "duplex" : opt->source);
        d->sides = 1;
        snprintf(report, cap, "source=(none)");
        return 0;
    }
    const SANE_String_Const *list = o->constraint.string_list;
    char choices[512];
    list_join(choices, sizeof choices, list);
    const char *pick = NULL;
    if (opt->source) {
        for (int i = 0; list[i]; i++)
            if (eq_nocase(list[i], opt->source))
                pick = list[i];
        if (!pick)
            return err_set(TELLE_EINVAL, "scanner %s has no source \"%s\" "
                           "(it offers %s)", d->name, opt->source, choices);
    } else if (opt->duplex) {
        static const char *const duplex[] = {"duplex", NULL};
        pick = list_pick(list, duplex);
    }
    if (!pick && !opt->source) {
        static const char *const feeder[] = {"adf front", "adf", "feeder",
                                             "automatic", NULL};
        pick = list_pick(list, feeder);
        if (!pick)
            return err_set(TELLE_EINVAL, "scanner %s has no document feeder "
                           "source (it offers %s)", d->name, choices);
    }
    int rc = option_set_string(d, idx, "source", pick);
    if (rc)
        return rc;
    d->sides = contains_nocase(pick, "duplex") ? 2 : 1;

    /* Backends with one feeder source and a separate adf-mode option
     * (epjitsu, some Canon and Kodak backends). */
    const SANE_Option_Descriptor *am = NULL;
    int amidx = option_find(d, "adf-mode", &am);
    char adf_mode[64] = "";
    if (amidx >= 0 && opt->duplex && d->sides == 1 &&
        SANE_OPTION_IS_ACTIVE(am->cap) && am->type == SANE_TYPE_STRING &&
        am->constraint_type == SANE_CONSTRAINT_STRING_LIST) {
        static const char *const duplex[] = {"duplex", NULL};
        const char *m = list_pick(am->constraint.string_list, duplex);
        if (m) {
            rc = option_set_string(d, amidx, "adf-mode", m);
            if (rc)
                return rc;
            d->sides = 2;
            snprintf(adf_mode, sizeof adf_mode, " adf-mode=%s", m);
        }
    }
    if (opt->duplex && d->sides == 1 && !opt->source)
        return err_set(TELLE_EINVAL, "scanner %s offers no duplex feeding "
                       "(sources %s); scan without --duplex", d->name,
                       choices);
    char got[128] = "";
    if (option_get_string(d, idx, got, sizeof got) != 0)
        snprintf(got, sizeof got, "%s", pick);
    snprintf(report, cap, "source=%s%s", got, adf_mode);
    return 0;
}

static int configure_mode(scan_device *d, const scan_options *opt, char *report,
                          size_t cap)
{
    const SANE_Option_Descriptor *o = NULL;
    int idx = option_find(d, "mode", &o);
    const char *want = opt->mode ? opt->mode : "lineart";
    if (idx < 0 || o->type != SANE_TYPE_STRING ||
        o->constraint_type != SANE_CONSTRAINT_STRING_LIST) {
        snprintf(report, cap, "mode=(none)");
        return 0;
    }
    const SANE_String_Const *list = o->constraint.string_list;
    const char *pick = NULL;
    bool want_depth1 = false;
    for (int i = 0; list[i]; i++)
        if (eq_nocase(list[i], want))
            pick = list[i];
    if (!pick) {
        static const char *const lineart[] = {"lineart", "binary",
                                              "black & white", "monochrome",
                                              NULL};
        static const char *const gray[] = {"gray", "grey", NULL};
        static const char *const color[] = {"color", "colour", NULL};
        if (eq_nocase(want, "lineart")) {
            pick = list_pick(list, lineart);
            if (!pick) {
                pick = list_pick(list, gray);
                want_depth1 = pick != NULL;
            }
        } else if (eq_nocase(want, "gray") || eq_nocase(want, "grey")) {
            pick = list_pick(list, gray);
        } else if (eq_nocase(want, "color") || eq_nocase(want, "colour")) {
            pick = list_pick(list, color);
        }
    }
    if (!pick) {
        char choices[512];
        list_join(choices, sizeof choices, list);
        return err_set(TELLE_EINVAL, "scanner %s has no mode \"%s\" (it "
                       "offers %s)", d->name, want, choices);
    }
    int rc = option_set_string(d, idx, "mode", pick);
    if (rc)
        return rc;
    char got[64] = "";
    if (option_get_string(d, idx, got, sizeof got) != 0)
        snprintf(got, sizeof got, "%s", pick);
    int written = snprintf(report, cap, "mode=%s", got);
    const SANE_Option_Descriptor *dd = NULL;
    int didx = option_find(d, "depth", &dd);
    if (didx >= 0 && SANE_OPTION_IS_ACTIVE(dd->cap) &&
        SANE_OPTION_IS_SETTABLE(dd->cap) && dd->type == SANE_TYPE_INT) {
        SANE_Word depth = want_depth1 ? 1 : 8;
        SANE_Status st = ctl(d, didx, SANE_ACTION_SET_VALUE, &depth);
        if (st != SANE_STATUS_GOOD && want_depth1)
            return err_set(TELLE_EIO, "scanner %s: setting depth 1 for "
                           "lineart failed: %s", d->name, sane_strstatus(st));
        if (st == SANE_STATUS_GOOD &&
            ctl(d, didx, SANE_ACTION_GET_VALUE, &depth) == SANE_STATUS_GOOD &&
            written > 0 && (size_t)written < cap)
            snprintf(report + written, cap - (size_t)written, " depth=%d",
                     (int)depth);
    }
    return 0;
}

/* The allowed value nearest to `want` (in the option's unit, unfixed). */
static double constrain(const SANE_Option_Descriptor *o, double want)
{
    bool fixed = o->type == SANE_TYPE_FIXED;
    if (o->constraint_type == SANE_CONSTRAINT_WORD_LIST) {
        const SANE_Word *w = o->constraint.word_list;
        double best = want, dist = -1;
        for (int i = 1; i <= w[0]; i++) {
            double v = fixed ? SANE_UNFIX(w[i]) : (double)w[i];
            double dd = v > want ? v - want : want - v;
            if (dist < 0 || dd < dist) {
                dist = dd;
                best = v;
            }
        }
        return best;
    }
    if (o->constraint_type == SANE_CONSTRAINT_RANGE) {
        const SANE_Range *r = o->constraint.range;
        double lo = fixed ? SANE_UNFIX(r->min) : r->min;
        double hi = fixed ? SANE_UNFIX(r->max) : r->max;
        double q = fixed ? SANE_UNFIX(r->quant) : r->quant;
        double v = want < lo ? lo : want > hi ? hi : want;
        if (q > 0)
            v = lo + (double)(long)((v - lo) / q + 0.5) * q;
        return v > hi ? hi : v;
    }
    return want;
}

static int configure_resolution(scan_device *d, const scan_options *opt,
                                char *report, size_t cap)
{
    const SANE_Option_Descriptor *o = NULL;
    int idx = option_find(d, "resolution", &o);
    if (idx < 0 || (o->type != SANE_TYPE_INT && o->type != SANE_TYPE_FIXED)) {
        d->dpi = opt->resolution_dpi;
        snprintf(report, cap, "resolution=(none)");
        return 0;
    }
    bool fixed = o->type == SANE_TYPE_FIXED;
    SANE_Word w;
    if (opt->resolution_dpi > 0 && SANE_OPTION_IS_SETTABLE(o->cap)) {
        double v = constrain(o, opt->resolution_dpi);
        w = fixed ? SANE_FIX(v) : (SANE_Word)(v + 0.5);
        SANE_Status st = ctl(d, idx, SANE_ACTION_SET_VALUE, &w);
        if (st != SANE_STATUS_GOOD)
            return err_set(TELLE_EIO, "scanner %s: setting resolution %g "
                           "failed: %s", d->name, v, sane_strstatus(st));
    }
    if (ctl(d, idx, SANE_ACTION_GET_VALUE, &w) !=
        SANE_STATUS_GOOD)
        return err_set(TELLE_EIO, "scanner %s: cannot read the resolution",
                       d->name);
    d->dpi = fixed ? SANE_UNFIX(w) : (double)w;
    snprintf(report, cap, "resolution=%gdpi(%s)", d->dpi,
             fixed ? "FIXED" : "INT");
    return 0;
}

int scan_device_configure(scan_device *d, const scan_options *o)
{
    char src[192], mode[128], res[64];
    int rc = configure_source(d, o, src, sizeof src);
    if (!rc)
        rc = configure_mode(d, o, mode, sizeof mode);
    if (!rc)
        rc = configure_resolution(d, o, res, sizeof res);
    if (rc)
        return rc;
    snprintf(d->settings, sizeof d->settings, "%s %s %s", src, mode, res);
    log_debug("scan", "%s: %s", d->name, d->settings);
    return 0;
}

const char *scan_device_settings(const scan_device *d)
{
    return d->settings;
}

int scan_device_option_set(scan_device *d, const char *name,
                           const char *value)
{
    const SANE_Option_Descriptor *o = NULL;
    int idx = option_find(d, name, &o);
    if (idx < 0)
        return err_set(TELLE_EINVAL, "scanner %s has no option \"%s\"",
                       d->name, name);
    if (!SANE_OPTION_IS_SETTABLE(o->cap) || !SANE_OPTION_IS_ACTIVE(o->cap))
        return err_set(TELLE_EINVAL, "scanner %s: option %s is not settable "
                       "now", d->name, name);
    if (o->type == SANE_TYPE_STRING) {
        const char *pick = value;
        if (o->constraint_type == SANE_CONSTRAINT_STRING_LIST) {
            pick = NULL;
            for (int i = 0; o->constraint.string_list[i]; i++)
                if (eq_nocase(o->constraint.string_list[i], value))
                    pick = o->constraint.string_list[i];
            if (!pick) {
                char choices[1024];
                list_join(choices, sizeof choices, o->constraint.string_list);
                return err_set(TELLE_EINVAL, "scanner %s: option %s has no "
                               "value \"%s\" (it offers %s)", d->name, name,
                               value, choices);
            }
        }
        return option_set_string(d, idx, name, pick);
    }
    SANE_Word w;
    char *end = NULL;
    if (o->type == SANE_TYPE_BOOL) {
        if (eq_nocase(value, "yes") || eq_nocase(value, "true") ||
            strcmp(value, "1") == 0)
            w = SANE_TRUE;
        else if (eq_nocase(value, "no") || eq_nocase(value, "false") ||
                 strcmp(value, "0") == 0)
            w = SANE_FALSE;
        else
            return err_set(TELLE_EINVAL, "scanner %s: option %s wants yes or "
                           "no, not \"%s\"", d->name, name, value);
    } else if (o->type == SANE_TYPE_INT || o->type == SANE_TYPE_FIXED) {
        double v = strtod(value, &end);
        if (!end || end == value || *end)
            return err_set(TELLE_EINVAL, "scanner %s: option %s wants a "
                           "number, not \"%s\"", d->name, name, value);
        w = o->type == SANE_TYPE_FIXED ? SANE_FIX(v) : (SANE_Word)v;
    } else {
        return err_set(TELLE_EINVAL, "scanner %s: option %s is a button or "
                       "group", d->name, name);
    }
    SANE_Status st = ctl(d, idx, SANE_ACTION_SET_VALUE, &w);
    if (st != SANE_STATUS_GOOD)
        return err_set(TELLE_EIO, "scanner %s: setting %s to %s failed: %s",
                       d->name, name, value, sane_strstatus(st));
    return 0;
}

int scan_device_sides(const scan_device *d)
{
    return d->sides;
}

static void device_cancel(scan_device *d)
{
    if (d->started) {
        sane_cancel(d->h);
        d->started = false;
    }
}

/* Clears padding bits past the last pixel (they carry no ink) and sets the
 * resolution. */
static void img_finish(const scan_device *d, img *im)
{
    int w = img_width(im);
    if (img_depth(im) == 1 && (w & 7)) {
        uint8_t mask = (uint8_t)(0xFF << (8 - (w & 7)));
        size_t last = img_stride(im) - 1;
        for (int y = 0; y < img_height(im); y++)
            img_row_mut(im, y)[last] &= mask;
    }
    if (d->dpi > 0)
        img_set_dpi(im, d->dpi, d->dpi);
}

/* The frame's bytes as an img. */
static int frame_to_img(img **out, scan_device *d, const SANE_Parameters *p,
                        size_t len)
{
    *out = NULL;
    size_t bpl = (size_t)p->bytes_per_line;
    int w = p->pixels_per_line;
    int h = bpl ? (int)(len / bpl) : 0;
    int channels, depth;
    if (p->format == SANE_FRAME_GRAY && p->depth == 1) {
        channels = 1;
        depth = 1;
    } else if (p->format == SANE_FRAME_GRAY &&
               (p->depth == 8 || p->depth == 16)) {
        channels = 1;
        depth = 8;
    } else if (p->format == SANE_FRAME_RGB &&
               (p->depth == 8 || p->depth == 16)) {
        channels = 3;
        depth = 8;
    } else {
        return err_set(TELLE_EFORMAT, "scanner %s sent a frame of format %d "
                       "at depth %d, which telle does not take (one-pass "
                       "gray or RGB, 1, 8 or 16 bits)", d->name,
                       (int)p->format, p->depth);
    }
    size_t need = ((size_t)w * (size_t)channels * (size_t)p->depth + 7) / 8;
    if (w <= 0 || h <= 0 || bpl < need)
        return err_set(TELLE_EFORMAT, "scanner %s sent an empty or "
                       "inconsistent page (%d pixels per line, %zu bytes per "
                       "line, %zu bytes)", d->name, w, bpl, len);
    img *im = NULL;
    int rc = img_new(&im, w, h, channels, depth);
    if (rc)
        return err_prefix("scanner %s: ", d->name);
    size_t row_bytes = img_stride(im);
    for (int y = 0; y < h; y++) {
        const SANE_Byte *src = d->buf + (size_t)y * bpl;
        uint8_t *dst = img_row_mut(im, y);
        if (p->depth == 16) {
            /* 16-bit samples come in host byte order: keep the high byte. */
            const uint16_t *s16 = (const uint16_t *)(const void *)src;
            for (size_t i = 0; i < row_bytes; i++) {
                uint16_t v;
                memcpy(&v, s16 + i, sizeof v);
                dst[i] = (uint8_t)(v >> 8);
            }
        } else {
            memcpy(dst, src, row_bytes);
        }
    }
    img_finish(d, im);
    *out = im;
    return 0;
}

static int buf_reserve(scan_device *d, size_t need)
{
    if (need <= d->cap)
        return 0;
    size_t cap = d->cap ? d->cap : (size_t)1 << 20;
    while (cap < need)
        cap *= 2;
    SANE_Byte *nb = realloc(d->buf, cap);
    if (!nb)
        return err_set(TELLE_ENOMEM, "out of memory for a %zu-byte page", cap);
    d->buf = nb;
    d->cap = cap;
    return 0;
}

/* sane_read into dst until it is full or the page ends (*eof). Returns 0,
 * or the mapped status (the device cancelled) on a fault. */
static int read_into(scan_device *d, uint8_t *dst, size_t cap, size_t *len,
                     bool *eof)
{
    *len = 0;
    *eof = false;
    while (*len < cap) {
        size_t room = cap - *len;
        SANE_Int got = 0;
        SANE_Status st = sane_read(d->h, dst + *len,
                                   room > INT32_MAX ? INT32_MAX
                                                    : (SANE_Int)room,
                                   &got);
        if (st == SANE_STATUS_EOF) {
            *eof = true;
            return 0;
        }
        if (st != SANE_STATUS_GOOD) {
            device_cancel(d);
            return err_set(scan_status_code(st), "scanner %s: %s", d->name,
                           sane_strstatus(st));
        }
        *len += (size_t)(got > 0 ? got : 0);
    }
    return 0;
}

/* An image to read the page straight into, or NULL when the frame's size is
 * unknown, its samples need converting (16 bit), or the image's rows are
 * not laid out as SANE's lines. */
static img *direct_image(const SANE_Parameters *p)
{
    int ch, depth;
    if (p->lines <= 0 || p->pixels_per_line <= 0)
        return NULL;
    if (p->format == SANE_FRAME_GRAY && (p->depth == 1 || p->depth == 8)) {
        ch = 1;
        depth = p->depth;
    } else if (p->format == SANE_FRAME_RGB && p->depth == 8) {
        ch = 3;
        depth = 8;
    } else {
        return NULL;
    }
    img *im = NULL;
    if (img_new(&im, p->pixels_per_line, p->lines, ch, depth) != 0) {
        err_clear();
        return NULL;
    }
    bool rows_match = img_stride(im) == (size_t)p->bytes_per_line &&
                      (p->lines == 1 ||
                       img_row(im, 1) == img_row(im, 0) + img_stride(im));
    if (!rows_match) {
        img_free(im);
        return NULL;
    }
    return im;
}

int scan_device_page_read(img **out, scan_device *d)
{
    *out = NULL;
    SANE_Status st = sane_start(d->h);
    if (st != SANE_STATUS_GOOD) {
        device_cancel(d);
        return err_set(scan_status_code(st), "scanner %s: %s", d->name,
                       sane_strstatus(st));
    }
    d->started = true;
    SANE_Parameters p;
    st = sane_get_parameters(d->h, &p);
    if (st != SANE_STATUS_GOOD) {
        device_cancel(d);
        return err_set(scan_status_code(st), "scanner %s: no parameters: %s",
                       d->name, sane_strstatus(st));
    }
    if (p.bytes_per_line <= 0) {
        device_cancel(d);
        return err_set(TELLE_EFORMAT, "scanner %s: %d bytes per line",
                       d->name, p.bytes_per_line);
    }
    /* Hand scanners say lines = -1: grow as data comes. The cap keeps a
     * runaway backend from eating memory: IMG_MAX_BYTES. */
    size_t expect = p.lines > 0 ? (size_t)p.lines * (size_t)p.bytes_per_line
                                : (size_t)p.bytes_per_line * 1024;
    if (expect > IMG_MAX_BYTES) {
        device_cancel(d);
        return err_set(TELLE_EFORMAT, "scanner %s announces a page of %d "
                       "lines of %d bytes, more than %llu bytes", d->name,
                       p.lines, p.bytes_per_line,
                       (unsigned long long)IMG_MAX_BYTES);
    }
    if (!p.last_frame) {
        device_cancel(d);
        return err_set(TELLE_EFORMAT, "scanner %s sends three-pass colour, "
                       "which telle does not take", d->name);
    }
    size_t len = 0;
    bool eof = false;
    int rc = 0;
    /* The common case: the page's size is known and its rows are laid out
     * as SANE sends them: read straight into the image, no second copy. */
    img *im = direct_image(&p);
    if (im) {
        size_t want = (size_t)p.lines * (size_t)p.bytes_per_line;
        rc = read_into(d, img_row_mut(im, 0), want, &len, &eof);
        if (!rc && eof && len == want) {
            img_finish(d, im);
            *out = im;
            return 0;
        }
        /* Fewer or more lines than announced: on through the buffer. */
        if (!rc && (rc = buf_reserve(d, len + (eof ? 0 : expect))) == 0)
            memcpy(d->buf, img_row(im, 0), len);
        img_free(im);
        if (rc) {
            device_cancel(d);
            return rc;
        }
    } else if ((rc = buf_reserve(d, expect)) != 0) {
        device_cancel(d);
        return rc;
    }
    while (!eof) {
        if (len == d->cap) {
            if (d->cap >= IMG_MAX_BYTES) {
                device_cancel(d);
                return err_set(TELLE_EFORMAT, "scanner %s: page larger than "
                               "%llu bytes", d->name,
                               (unsigned long long)IMG_MAX_BYTES);
            }
            if ((rc = buf_reserve(d, d->cap * 2)) != 0) {
                device_cancel(d);
                return rc;
            }
        }
        size_t got = 0;
        if ((rc = read_into(d, d->buf + len, d->cap - len, &got, &eof)) != 0)
            return rc;
        len += got;
    }
    /* Backends may revise the line count at the end of a page (hand
     * scanners, length detection): take it from what arrived. */
    return frame_to_img(out, d, &p, len);
}

static const char *fault_words(int code)
{
    switch (code) {
    case TELLE_EJAMMED: return "paper jam";
    case TELLE_ECOVER_OPEN: return "cover open";
    case TELLE_ENO_DOCS: return "feeder empty";
    case TELLE_EDOUBLE_FEED: return "double feed";
    case TELLE_ENOMEM: return "out of memory";
    default: return "scanner error";
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int scan_batch_run(scan_run_stats *stats, scan_device *d,
                   const scan_run_options *o)
{
    scan_run_stats s = {0, 0, o->first_sheet > 0 ? o->first_sheet : 1, 0};
    double t0 = now_seconds();
    int sheet = s.next_sheet;
    int side = 0;
    bool label = false;
    int rc = 0;
    for (;;) {
        if (side == 0 && o->max_sheets > 0 && s.sheets >= o->max_sheets)
            break;
        img *page = NULL;
        rc = scan_device_page_read(&page, d);
        if (rc == TELLE_ENO_DOCS && side == 0) {
            rc = 0; /* the feeder ran empty between sheets: done */
            err_clear();
            break;
        }
        const char *side_name = side == 0 ? "front" : "back";
        if (rc) {
            char where[48];
            if (label)
                snprintf(where, sizeof where, "the label sheet");
            else
                snprintf(where, sizeof where, "sheet %d", sheet);
            err_prefix("%s while reading %s (%s); clear the feeder and "
                       "re-feed from %s: ", fault_words(rc), where, side_name,
                       where);
            break;
        }
        scan_page sp = {page, label ? 0 : sheet, side, s.pages + 1};
        int cb = o->on_page ? o->on_page(o->ctx, &sp) : 0;
        img_free(page);
        if (cb < 0) {
            rc = cb;
            break;
        }
        s.pages++;
        if (side == 0 && cb == SCAN_PAGE_LABEL)
            label = true;
        if (++side == d->sides) {
            side = 0;
            if (label)
                label = false;
            else {
                s.sheets++;
                sheet++;
            }
            s.next_sheet = sheet;
        }
    }
    device_cancel(d);
    s.seconds = now_seconds() - t0;
    if (stats)
        *stats = s;
    return rc;
}
