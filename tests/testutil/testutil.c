/* testutil.c - the shared test helpers; see testutil.h. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int tu_suite_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *tu_env(const char *name)
{
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "testutil: %s is not set (run the suite through ctest)\n", name);
        abort();
    }
    return v;
}

char *tu_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char tmpl[1024];
    snprintf(tmpl, sizeof tmpl, "%s/telle-%s-XXXXXX", base, tag);
    char *d = mkdtemp(tmpl) ? strdup(tmpl) : NULL;
    if (!d) {
        fprintf(stderr, "testutil: cannot make %s: %s\n", tmpl, strerror(errno));
        abort();
    }
    return d;
}

static void remove_below(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            remove_below(sub);
            rmdir(sub);
        } else {
            unlink(sub);
        }
    }
    closedir(d);
}

int tu_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        remove_below(path);
        rmdir(path);
    } else {
        unlink(path);
    }
    return lstat(path, &st) == 0 ? -1 : 0;
}

static void vpath(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    ck_assert_msg(n >= 0 && (size_t)n < cap, "path too long: %s", buf);
}

/* Reads all of f into a NUL-terminated malloc'd buffer. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    ck_assert_msg(!ferror(f), "read error");
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *tu_file_read(size_t *len, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    vpath(path, sizeof path, fmt, ap);
    va_end(ap);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    char *text = read_all(f, len);
    fclose(f);
    return text;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    ck_assert_msg(fwrite(data, 1, len, f) == len, "cannot write %s", path);
    ck_assert_msg(fclose(f) == 0, "cannot write %s", path);
}

void tu_file_write(const char *text, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    vpath(path, sizeof path, fmt, ap);
    va_end(ap);
    write_bytes(path, text, strlen(text));
}

void tu_file_write_bytes(const void *data, size_t len, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    vpath(path, sizeof path, fmt, ap);
    va_end(ap);
    write_bytes(path, data, len);
}

bool tu_file_exists(const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    vpath(path, sizeof path, fmt, ap);
    va_end(ap);
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs cmd as tu_sh describes. */
static int run(char **out, char **err, const char *dir, const char *cmd)
{
    FILE *fo = out ? tmpfile() : NULL, *fe = err ? tmpfile() : NULL;
    ck_assert_msg((!out || fo) && (!err || fe), "tmpfile: %s", strerror(errno));
    fflush(NULL); /* the child must not write our buffered output again */
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (dir && chdir(dir) != 0) {
            fprintf(stderr, "testutil: cd %s: %s\n", dir, strerror(errno));
            _exit(127);
        }
        if (fo)
            dup2(fileno(fo), 1);
        dup2(fe ? fileno(fe) : 1, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ck_assert_msg(errno == EINTR, "waitpid: %s", strerror(errno));
    FILE *files[2] = {fo, fe};
    char **bufs[2] = {out, err};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        rewind(files[i]);
        free(*bufs[i]);
        *bufs[i] = read_all(files[i], NULL);
        fclose(files[i]);
    }
    ck_assert_msg(!WIFSIGNALED(st), "%s: killed by signal %d", cmd, WTERMSIG(st));
    ck_assert_msg(WIFEXITED(st), "%s: did not exit", cmd);
    return WEXITSTATUS(st);
}

int tu_sh(char **out, char **err, const char *dir, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof cmd, "command too long: %s", cmd);
    return run(out, err, dir, cmd);
}

/* "'$TELLE_BIN' ARGS" into cmd. */
static void telle_cmd(char *cmd, size_t cap, const char *fmt, va_list ap)
{
    int n = snprintf(cmd, cap, "'%s' ", tu_env("TELLE_BIN"));
    ck_assert(n > 0 && (size_t)n < cap);
    int m = vsnprintf(cmd + n, cap - (size_t)n, fmt, ap);
    ck_assert_msg(m >= 0 && (size_t)m < cap - (size_t)n, "command too long: %s", cmd);
}

int tu_telle(char **out, char **err, const char *dir, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    telle_cmd(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return run(out, err, dir, cmd);
}

void tu_telle_ok(char **out, const char *dir, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    telle_cmd(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = run(out, NULL, dir, cmd);
    ck_assert_msg(rc == 0, "%s: exit %d:\n%s", cmd, rc, *out);
}

void tu_store_init(const char *dir, const char *db, ...)
{
    char *out = NULL;
    tu_telle_ok(&out, dir, "init --package '%s/samples/package' --db '%s'",
                tu_env("TELLE_SOURCE_DIR"), db);
    va_list ap;
    va_start(ap, db);
    for (const char *u; (u = va_arg(ap, const char *)) != NULL;) {
        const char *colon = strchr(u, ':');
        ck_assert_msg(colon != NULL, "tu_store_init: '%s' is not NAME:ROLE", u);
        int rc = tu_sh(&out, NULL, dir,
                       "TELLE_PASSWORD='" TU_PASSWORD "' '%s' user add '%.*s' --role '%s' "
                       "--db '%s'",
                       tu_env("TELLE_BIN"), (int)(colon - u), u, colon + 1, db);
        ck_assert_msg(rc == 0, "telle user add %s: exit %d:\n%s", u, rc, out);
    }
    va_end(ap);
    free(out);
}
