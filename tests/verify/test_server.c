/* test_server.c - the web page's HTTP API over a real socket: log-in with
 * a wrong password, an expired session, a forged form (no CSRF token, a
 * form content type), an auditor's write, and a decision that goes
 * through. */
#include "fixture.h"
#include "testutil.h"

#include "core/error.h"
#include "verify/server.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static vq_server *srv;

static void start(int ttl_s)
{
    vq_server_options o = VQ_SERVER_OPTIONS_INIT;
    char sdir[600];
    snprintf(sdir, sizeof sdir, "%s/verify/static",
             tu_env("TELLE_SOURCE_DIR"));
    o.db_path = path;
    o.port = 0;
    o.static_dir = sdir;
    o.session_ttl_s = ttl_s;
    ck_assert_msg(vq_server_start(&srv, &o) == 0, "%s", err_message());
}

static void setup(void)
{
    path = fx_copy();
    srv = NULL;
}

static void teardown(void)
{
    vq_server_stop(srv);
    fx_copy_remove();
}

typedef struct {
    int status;
    char headers[4096];
    char body[65536];
} reply;

/* One HTTP/1.0 request; extra_headers end in \r\n each. */
static void http(reply *r, const char *method, const char *url,
                 const char *extra_headers, const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)vq_server_port(srv));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    static char req[70000];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\n\r\n%s",
                     method, url, extra_headers ? extra_headers : "",
                     body ? strlen(body) : 0, body ? body : "");
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    static char buf[80000];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    close(fd);
    buf[len] = '\0';
    memset(r, 0, sizeof *r);
    ck_assert_int_eq(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
    char *sep = strstr(buf, "\r\n\r\n");
    ck_assert_ptr_nonnull(sep);
    snprintf(r->headers, sizeof r->headers, "%.*s", (int)(sep - buf), buf);
    snprintf(r->body, sizeof r->body, "%s", sep + 4);
}

/* Logs in; fills the Cookie header line and the CSRF token. */
static int login(char cookie[200], char csrf[65], const char *name, const char *pw)
{
    reply r;
    char body[200];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", name, pw);
    http(&r, "POST", "/api/login", "Content-Type: application/json\r\n", body);
    if (r.status != 200)
        return r.status;
    const char *c = strstr(r.headers, "telle_session=");
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(strstr(r.headers, "HttpOnly"));
    ck_assert_ptr_nonnull(strstr(r.headers, "SameSite=Strict"));
    snprintf(cookie, 200, "Cookie: telle_session=%.64s\r\n", c + 14);
    const char *t = strstr(r.body, "\"csrf\":\"");
    ck_assert_ptr_nonnull(t);
    snprintf(csrf, 65, "%.64s", t + 8);
    return 200;
}

START_TEST(wrong_password_is_refused)
{
    char cookie[200], csrf[65];
    start(0);
    ck_assert_int_eq(login(cookie, csrf, "kari", "feil passord"), 401);
    ck_assert_int_eq(login(cookie, csrf, "nobody", FX_PASSWORD), 401);
    reply r;
    http(&r, "GET", "/api/batches", NULL, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(login(cookie, csrf, "kari", FX_PASSWORD), 200);
    http(&r, "GET", "/api/batches", cookie, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":\"b1\""));
    /* A made-up session token is no session. */
    http(&r, "GET", "/api/batches",
         "Cookie: telle_session=00000000000000000000000000000000000000000000000000000000000000ff\r\n",
         NULL);
    ck_assert_int_eq(r.status, 401);
}
END_TEST

START_TEST(expired_session_is_refused)
{
    char cookie[200], csrf[65];
    start(1);
    ck_assert_int_eq(login(cookie, csrf, "kari", FX_PASSWORD), 200);
    reply r;
    /* Used every 0.4 s, the session outlives its 1 s idle limit. */
    for (int i = 0; i < 4; i++) {
        struct timespec half = {0, 400 * 1000 * 1000};
        nanosleep(&half, NULL);
        http(&r, "GET", "/api/me", cookie, NULL);
        ck_assert_int_eq(r.status, 200);
    }
    struct timespec ts = {1, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    http(&r, "GET", "/api/me", cookie, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(r.body, "expired"));
}
END_TEST

START_TEST(forged_form_is_refused)
{
    char cookie[200], csrf[65], hdr[400];
    start(0);
    ck_assert_int_eq(login(cookie, csrf, "kari", FX_PASSWORD), 200);
    reply r;
    const char *body = "{\"item\":3,\"action\":\"blank\"}";
    /* A cross-site form: form encoding, no token. */
    snprintf(hdr, sizeof hdr, "%sContent-Type: application/x-www-form-urlencoded\r\n", cookie);
    http(&r, "POST", "/api/decide", hdr, "item=3&action=blank");
    ck_assert_int_eq(r.status, 415);
    /* JSON without the token, and with a wrong one. */
    snprintf(hdr, sizeof hdr, "%sContent-Type: application/json\r\n", cookie);
    http(&r, "POST", "/api/decide", hdr, body);
    ck_assert_int_eq(r.status, 403);
    snprintf(hdr, sizeof hdr, "%sContent-Type: application/json\r\nX-CSRF-Token: "
             "%064d\r\n", cookie, 7);
    http(&r, "POST", "/api/decide", hdr, body);
    ck_assert_int_eq(r.status, 403);
    /* Nothing was decided. */
    http(&r, "GET", "/api/item?id=3", cookie, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "\"state\":\"open\""));
    /* With the token it goes through, and the second time it is refused. */
    snprintf(hdr, sizeof hdr, "%sContent-Type: application/json\r\nX-CSRF-Token: %s\r\n",
             cookie, csrf);
    http(&r, "POST", "/api/decide", hdr, body);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    http(&r, "POST", "/api/decide", hdr, body);
    ck_assert_int_eq(r.status, 409);
    http(&r, "GET", "/api/item?id=3", cookie, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "\"state\":\"decided\""));
    /* Logging out ends the session. */
    http(&r, "POST", "/api/logout", hdr, "{}");
    ck_assert_int_eq(r.status, 200);
    http(&r, "GET", "/api/me", cookie, NULL);
    ck_assert_int_eq(r.status, 401);
}
END_TEST

START_TEST(auditor_is_read_only)
{
    char cookie[200], csrf[65], hdr[400];
    start(0);
    ck_assert_int_eq(login(cookie, csrf, "revisor", FX_PASSWORD), 200);
    reply r;
    http(&r, "GET", "/api/item?id=2", cookie, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"can_decide\":false"));
    snprintf(hdr, sizeof hdr, "%sContent-Type: application/json\r\nX-CSRF-Token: %s\r\n",
             cookie, csrf);
    http(&r, "POST", "/api/decide", hdr, "{\"item\":2,\"action\":\"blank\"}");
    ck_assert_int_eq(r.status, 403);
    http(&r, "POST", "/api/claim", hdr, "{\"item\":2}");
    ck_assert_int_eq(r.status, 403);
    /* next names an item for an auditor but claims nothing. */
    http(&r, "GET", "/api/next?batch=b1", cookie, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"item\":2"));
    http(&r, "GET", "/api/batch?id=b1", cookie, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "\"claimed\":0"));
}
END_TEST

START_TEST(page_and_static_files)
{
    char cookie[200], csrf[65];
    start(0);
    reply r;
    http(&r, "GET", "/", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "/static/app.js"));
    ck_assert_ptr_nonnull(strstr(r.headers, "Content-Security-Policy"));
    http(&r, "GET", "/static/..%2f..%2fCMakeLists.txt", NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    http(&r, "GET", "/static/.hidden", NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    ck_assert_int_eq(login(cookie, csrf, "ola", FX_PASSWORD), 200);
    http(&r, "GET", "/api/search?election=KS&own=SP&q=%C3%86S%C3%98Y", cookie, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"list\":\"H\",\"list_name\""));
    /* The archived page does not exist in this fixture: a clear 404. */
    http(&r, "GET", "/api/page?item=2&i=0", cookie, NULL);
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_nonnull(strstr(r.body, "/archive/b1.tif"));
}
END_TEST

int main(void)
{
    fx_template();
    Suite *s = suite_create("verify_server");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wrong_password_is_refused);
    tcase_add_test(tc, expired_session_is_refused);
    tcase_add_test(tc, forged_form_is_refused);
    tcase_add_test(tc, auditor_is_read_only);
    tcase_add_test(tc, page_and_static_files);
    suite_add_tcase(s, tc);
    int rc = tu_suite_run(s);
    if (fx_template_remove() != 0)
        rc = EXIT_FAILURE;
    return rc;
}
