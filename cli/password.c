/* password.c - cli_password_read, cli_login. */
#include "cli/password.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

int cli_password_read(char *buf, size_t size, bool confirm, const char *cmd)
{
    const char *env = getenv("TELLE_PASSWORD");
    if (env != NULL) {
        snprintf(buf, size, "%s", env);
        return 0;
    }
    FILE *tty = fopen("/dev/tty", "r+");
    if (tty == NULL) {
        fprintf(stderr, "%s: no terminal to ask for the password; set "
                        "TELLE_PASSWORD\n", cmd);
        return -1;
    }
    char again[256];
    for (int round = 0; round < (confirm ? 2 : 1); round++) {
        char *dst = round == 0 ? buf : again;
        size_t dsize = round == 0 ? size : sizeof again;
        struct termios old, quiet;
        fprintf(tty, round == 0 ? "password: " : "again: ");
        fflush(tty);
        tcgetattr(fileno(tty), &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
        char *got = fgets(dst, (int)dsize, tty);
        tcsetattr(fileno(tty), TCSAFLUSH, &old);
        fprintf(tty, "\n");
        if (got == NULL) {
            fclose(tty);
            return -1;
        }
        dst[strcspn(dst, "\r\n")] = '\0';
    }
    fclose(tty);
    if (confirm && strcmp(buf, again) != 0) {
        fprintf(stderr, "%s: the passwords differ\n", cmd);
        return -1;
    }
    return 0;
}

int cli_login(st_role *role, st_db *db, const char *name, const char *cmd)
{
    if (name == NULL) {
        fprintf(stderr, "%s: say who acts with --as NAME\n", cmd);
        return -1;
    }
    char pw[256];
    if (cli_password_read(pw, sizeof pw, false, cmd) < 0)
        return -1;
    st_role got;
    int rc = st_operator_check(&got, db, name, pw);
    memset(pw, 0, sizeof pw);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", cmd, err_message());
        return -1;
    }
    if (role)
        *role = got;
    return 0;
}
