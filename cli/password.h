/* password.h - how a `telle` command learns who is acting.
 *
 *   cli_password_read   $TELLE_PASSWORD, else the terminal without echo
 *   cli_login           --as NAME plus the password, checked in the store
 *
 * Shared by every command that writes events in an operator's name
 * (review, user, prelim, spotcheck). */
#ifndef TELLE_CLI_PASSWORD_H
#define TELLE_CLI_PASSWORD_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

/* Reads a password into buf: $TELLE_PASSWORD when set (scripts, tests),
 * else from /dev/tty without echo, twice when confirm is set (a new
 * password). cmd ("telle user") starts the messages. Returns 0, or -1 with
 * the message printed. */
int cli_password_read(char *buf, size_t size, bool confirm, const char *cmd);

/* Checks that name (the command's --as; NULL: a message asks for it) is an
 * operator of db with the password cli_password_read gives. *role (may be
 * NULL) receives the role. Returns 0, or -1 with the message printed. */
int cli_login(st_role *role, st_db *db, const char *name, const char *cmd);

#endif
