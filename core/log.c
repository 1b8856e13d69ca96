/* log.c - the debug logger switched by TELLE_DEBUG: log_enabled, log_debug. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool log_enabled(const char *component)
{
    const char *v = getenv("TELLE_DEBUG");
    if (!v || !*v || strcmp(v, "0") == 0)
        return false;
    if (strcmp(v, "1") == 0 || strcmp(v, "all") == 0)
        return true;
    size_t n = strlen(component);
    for (const char *p = v; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, component, n) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

void log_debug(const char *component, const char *fmt, ...)
{
    if (!log_enabled(component))
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%s] ", component);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
