/* cmd_init.c - `telle init --package DIR [--db FILE]`: create a count's
 * store from an election package. The package is validated with pkg_load;
 * the store keeps election.json byte for byte with its SHA-256. */
#include "cli/commands.h"

#include "core/error.h"
#include "core/package.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fprintf(to, "usage: telle init --package DIR [--db FILE]\n"
                "  Creates the store FILE (default telle.db) for a count of the\n"
                "  election package in DIR. Refuses a FILE that already exists.\n");
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f == NULL) {
        err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                err_set(TELLE_ENOMEM, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        err_set(TELLE_EIO, "%s: read error", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int cmd_init(int argc, char **argv)
{
    const char *pkg_dir = NULL, *db_path = "telle.db";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--package") == 0 && i + 1 < argc)
            pkg_dir = argv[++i];
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_path = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle init: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (pkg_dir == NULL) {
        usage(stderr);
        return 2;
    }
    if (access(db_path, F_OK) == 0) {
        fprintf(stderr, "telle init: %s already exists; a count is created "
                        "once\n", db_path);
        return 1;
    }
    pkg_package *pkg = NULL;
    st_db *db = NULL;
    char *json = NULL, path[4096];
    int status = 1;
    if (pkg_load(&pkg, pkg_dir) < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/election.json", pkg_dir);
    if ((json = read_file(path)) == NULL)
        goto fail;
    if (st_db_open(&db, db_path, ST_OPEN_CREATE) < 0 ||
        st_package_put(db, "system", json, pkg_dir) < 0)
        goto fail;
    char *sha = NULL;
    if (st_package_get(NULL, &sha, db) < 0)
        goto fail;
    printf("%s: count of \"%s\" (%s %s), %d election(s); election.json "
           "sha256 %s\n", db_path, pkg->event ? pkg->event : "",
           pkg->area_code ? pkg->area_code : "",
           pkg->area_name ? pkg->area_name : "", pkg->n_elections, sha);
    free(sha);
    status = 0;
    goto done;
fail:
    fprintf(stderr, "telle init: %s\n", err_message());
    if (db != NULL) {
        st_db_close(db);
        db = NULL;
        unlink(db_path); /* no half-made count is left behind */
    }
done:
    st_db_close(db);
    pkg_free(pkg);
    free(json);
    return status;
}
