/* cmd_serve.c - `telle serve [--listen 127.0.0.1:8080] [--db FILE]`: the
 * operators' verification page. Binds 127.0.0.1 unless told otherwise;
 * runs until SIGINT or SIGTERM.
 *
 *   cmd_serve
 */
#include "cli/commands.h"

#include "core/error.h"
#include "verify/server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle serve [--listen ADDR:PORT] [--db FILE] [--static DIR]\n"
            "                   [--session-ttl SECONDS]\n"
            "  Serves the verification page on ADDR:PORT (default\n"
            "  127.0.0.1:8080; port 0 picks a free one). Sessions end after\n"
            "  SECONDS without use (default 1800).\n");
}

int cmd_serve(int argc, char **argv)
{
    vq_server_options o = VQ_SERVER_OPTIONS_INIT;
    char addr[64] = "127.0.0.1";
    o.db_path = "telle.db";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            o.db_path = argv[++i];
        } else if (strcmp(argv[i], "--static") == 0 && i + 1 < argc) {
            o.static_dir = argv[++i];
        } else if (strcmp(argv[i], "--session-ttl") == 0 && i + 1 < argc) {
            o.session_ttl_s = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            const char *l = argv[++i], *colon = strrchr(l, ':');
            char *end = NULL;
            if (colon == NULL || (size_t)(colon - l) >= sizeof addr) {
                fprintf(stderr, "telle serve: --listen wants ADDR:PORT\n");
                return 2;
            }
            memcpy(addr, l, (size_t)(colon - l));
            addr[colon - l] = '\0';
            o.port = (int)strtol(colon + 1, &end, 10);
            if (*end != '\0' || end == colon + 1) {
                fprintf(stderr, "telle serve: --listen wants ADDR:PORT\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "telle serve: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    o.address = addr;

    /* Block the stop signals before the server's thread starts, so only
     * sigwait below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    vq_server *s = NULL;
    if (vq_server_start(&s, &o) < 0) {
        fprintf(stderr, "telle serve: %s\n", err_message());
        return 1;
    }
    printf("telle serve: http://%s:%d/ (store %s)\n", addr, vq_server_port(s),
           o.db_path);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    vq_server_stop(s);
    printf("telle serve: stopped\n");
    return 0;
}
