/* server.h - the operators' verification web page (libmicrohttpd): log-in,
 * the queue per batch, the ballot view with the machine's regions drawn
 * over both sides of the sheet, and the decision form. verify/README.md
 * lists the HTTP endpoints.
 *
 * Security: passwords are checked with Argon2id (store), a session is a
 * random 256-bit token in an HttpOnly, SameSite=Strict cookie that expires
 * after session_ttl_s without use; every state-changing request is a JSON
 * POST carrying the session's CSRF token in the X-CSRF-Token header (a
 * forged cross-site form can set neither); auditors get read-only access.
 *
 *   vq_server_start   bind and start serving in a thread of its own
 *   vq_server_port    the port actually bound (for port 0)
 *   vq_server_stop    stop and free; accepts NULL
 */
#ifndef TELLE_VERIFY_SERVER_H
#define TELLE_VERIFY_SERVER_H

typedef struct vq_server vq_server;

typedef struct {
    const char *db_path;    /* the store; opened by the server's thread */
    const char *address;    /* IPv4 address to bind; "127.0.0.1" by default */
    int port;               /* 0: any free port (tests) */
    const char *static_dir; /* folder with index.html, app.js, app.css;
                               NULL: the copy built into the binary */
    int session_ttl_s;      /* idle expiry of a session; 0: 1800 (half an
                               hour: a break in the counting room logs out) */
} vq_server_options;

#define VQ_SERVER_OPTIONS_INIT {NULL, "127.0.0.1", 8080, NULL, 0}

/* Opens the store (to check it) and starts the HTTP daemon. Requests are
 * answered by a pool of four threads, each with its own store connection
 * (SQLite serialises the writers; a page image being encoded does not hold
 * up a decision). Returns
 * 0, TELLE_EINVAL (bad address), TELLE_EIO (cannot bind, cannot open the
 * store). */
int vq_server_start(vq_server **out, const vq_server_options *opts);
/* The port bound (the chosen one when opts->port was 0). */
int vq_server_port(const vq_server *s);

/* Stops serving (waits for requests under way), closes the store
 * connections and frees s. Accepts NULL. */
void vq_server_stop(vq_server *s);

#endif
