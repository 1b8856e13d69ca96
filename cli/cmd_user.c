/* cmd_user.c - `telle user add|passwd|list`: the operators who may log in
 * to the verification page, with their roles. The password comes from the
 * environment variable TELLE_PASSWORD (for scripts and tests) or is asked
 * for on the terminal without echo.
 *
 *   cmd_user
 */
#include "cli/commands.h"
#include "cli/password.h"

#include "core/error.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle user add NAME --role operator|secretary|auditor [--db FILE]\n"
            "       telle user passwd NAME [--db FILE]\n"
            "       telle user list [--db FILE]\n"
            "  The password is read from $TELLE_PASSWORD or asked for twice.\n");
}

int cmd_user(int argc, char **argv)
{
    const char *db_path = "telle.db", *role_name = NULL, *name = NULL, *sub = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_path = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role_name = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "telle user: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (sub == NULL)
            sub = argv[i];
        else if (name == NULL)
            name = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (sub == NULL || (strcmp(sub, "list") != 0 && name == NULL)) {
        usage(stderr);
        return 2;
    }
    st_db *db = NULL;
    st_role role = ST_ROLE_OPERATOR;
    char pw[256];
    int status = 1;
    if (strcmp(sub, "add") == 0 && st_role_parse(&role, role_name) < 0) {
        fprintf(stderr, "telle user: %s\n", err_message());
        return 2;
    }
    if (st_db_open(&db, db_path, 0) < 0)
        goto fail;
    if (strcmp(sub, "list") == 0) {
        st_operator *ops = NULL;
        int n = 0;
        if (st_operator_list(&ops, &n, db) < 0)
            goto fail;
        for (int i = 0; i < n; i++)
            printf("%-24s %s\n", ops[i].name, st_role_name(ops[i].role));
        st_operators_free(ops, n);
    } else if (strcmp(sub, "add") == 0) {
        if (cli_password_read(pw, sizeof pw, true, "telle user") < 0)
            goto done;
        if (st_operator_add(db, "system", name, role, pw) < 0)
            goto fail;
        printf("%s added as %s\n", name, st_role_name(role));
    } else if (strcmp(sub, "passwd") == 0) {
        if (cli_password_read(pw, sizeof pw, true, "telle user") < 0)
            goto done;
        if (st_operator_passwd(db, "system", name, pw) < 0)
            goto fail;
        printf("password of %s changed\n", name);
    } else {
        fprintf(stderr, "telle user: unknown subcommand '%s'\n", sub);
        usage(stderr);
        status = 2;
        goto done;
    }
    status = 0;
    goto done;
fail:
    fprintf(stderr, "telle user: %s\n", err_message());
done:
    memset(pw, 0, sizeof pw);
    st_db_close(db);
    return status;
}
