/* error.c - the thread-local error: err_set, err_prefix, err_message,
 * err_code, err_clear, err_name. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { ERR_MESSAGE_MAX = 2048 };

static _Thread_local int err_last_code;
static _Thread_local char err_last_message[ERR_MESSAGE_MAX];

int err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_last_message, sizeof err_last_message, fmt, ap);
    va_end(ap);
    err_last_code = code;
    return code;
}

int err_prefix(const char *fmt, ...)
{
    char prefix[ERR_MESSAGE_MAX];
    char joined[ERR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t np = strnlen(prefix, sizeof joined - 1);
    memcpy(joined, prefix, np);
    size_t nm = strnlen(err_last_message, sizeof joined - 1 - np);
    memcpy(joined + np, err_last_message, nm);
    joined[np + nm] = '\0';
    memcpy(err_last_message, joined, np + nm + 1);
    return err_last_code;
}

const char *err_message(void) { return err_last_message; }

int err_code(void) { return err_last_code; }

void err_clear(void)
{
    err_last_code = 0;
    err_last_message[0] = '\0';
}

const char *err_name(int code)
{
    switch (code) {
    case TELLE_OK: return "OK";
    case TELLE_ENOMEM: return "NOMEM";
    case TELLE_EINVAL: return "INVAL";
    case TELLE_EIO: return "IO";
    case TELLE_EFORMAT: return "FORMAT";
    case TELLE_EJAMMED: return "JAMMED";
    case TELLE_ENO_DOCS: return "NO_DOCS";
    case TELLE_ECOVER_OPEN: return "COVER_OPEN";
    case TELLE_EDOUBLE_FEED: return "DOUBLE_FEED";
    case TELLE_ESTATE: return "STATE";
    default: return "UNKNOWN";
    }
}
