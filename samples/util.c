/* util.c - folder creation for samples/: smp_mkdir_p. */
#include "samples/util.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int smp_mkdir_p(const char *path)
{
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p)
        return err_set(TELLE_ENOMEM, "out of memory");
    memcpy(p, path, n + 1);
    int rc = 0;
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = err_set(TELLE_EIO, "%s: cannot create folder: %s", p,
                         strerror(errno));
            break;
        }
        p[i] = c;
    }
    free(p);
    return rc;
}
