/* testutil.h - what the Check suites share: running a suite, scratch
 * folders, whole files, child processes (any shell command, or the telle
 * binary) with their output, and a real store made through the CLI.
 *
 *   tu_suite_run         run a suite, return the process exit status
 *   tu_env               an environment variable the suite needs
 *   tu_tmpdir, tu_rmtree a fresh scratch folder; remove a tree
 *   tu_file_read         a whole file, NUL-terminated
 *   tu_file_write(_bytes) write a whole file
 *   tu_file_exists       does a path exist
 *   tu_sh, tu_telle      run a command, capture stdout/stderr and status
 *   tu_telle_ok          run telle, fail the test unless it exits 0
 *   tu_store_init        telle init + telle user add, as a user does
 *
 * Functions that can only fail by the test's own fault (a file that should
 * be there is not, a command cannot be started) fail the running test with
 * a message (ck_assert), except tu_tmpdir and tu_env, which abort so that
 * they also work from main() before the runner starts. Paths named `fmt`
 * are printf formats. */
#ifndef TELLE_TESTS_TESTUTIL_H
#define TELLE_TESTS_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* The password of every operator tu_store_init adds. */
#define TU_PASSWORD "korrekt hest"

/* Runs every test of s in Check's default (forking, CK_NORMAL) mode, frees
 * the runner and the suite, and returns EXIT_SUCCESS when no test failed,
 * else EXIT_FAILURE: `return tu_suite_run(s);` ends a suite's main. */
int tu_suite_run(Suite *s);

/* getenv(name); aborts with a message when it is unset (TELLE_SOURCE_DIR,
 * TELLE_BUILD_DIR and TELLE_BIN are set by telle_check_test). */
const char *tu_env(const char *name);

/* Creates a fresh folder "telle-TAG-XXXXXX" under $TMPDIR, else /dev/shm
 * when writable (tmpfs: fsync is free there, which keeps suites that write
 * SQLite stores and scan archives fast; their tests do not depend on fsync
 * reaching a disk), else /tmp. Returns its path (caller frees); aborts when
 * it cannot be made. */
char *tu_tmpdir(const char *tag);

/* Removes path and everything below it (not following symbolic links).
 * Returns 0 when nothing is left, -1 when path still exists afterwards;
 * a path that does not exist is 0. */
int tu_rmtree(const char *path);

/* Reads the whole file at the path fmt names. Returns it NUL-terminated
 * (caller frees) with its size in *len (len may be NULL); fails the test
 * when it cannot be read. */
char *tu_file_read(size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes text (without its NUL) as the whole file at the path fmt names,
 * replacing it; fails the test when it cannot be written. */
void tu_file_write(const char *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As tu_file_write, for len bytes of data. */
void tu_file_write_bytes(const void *data, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when the path fmt names exists (stat succeeds). */
bool tu_file_exists(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Runs `/bin/sh -c CMD` (CMD from fmt) in folder dir (NULL: the current
 * one) and waits for it. Its stdout goes into *out and its stderr into
 * *err, whole, NUL-terminated. *out and *err must be NULL or strings an
 * earlier tu_ call put there: they are freed and replaced, so one variable
 * serves a series of commands (free it at the end). out NULL: stdout goes
 * to the test's own stdout. err NULL: stderr goes where stdout goes (into
 * *out, in the order written). Returns the exit status (127 when dir or
 * the command cannot be found); fails the test when it cannot fork or the
 * command is killed by a signal. */
int tu_sh(char **out, char **err, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* tu_sh of `"$TELLE_BIN" ARGS` (ARGS from fmt, a shell fragment: quote
 * what needs it; redirections work). The environment is the test's: set
 * TELLE_PASSWORD there (setenv) for commands that ask for one. */
int tu_telle(char **out, char **err, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* tu_telle with stdout and stderr together in *out, failing the test with
 * the command and its output unless it exits 0. */
void tu_telle_ok(char **out, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Makes the store DB (a path relative to dir, or absolute) as a user
 * does: `telle init --package $TELLE_SOURCE_DIR/samples/package --db DB`,
 * then `telle user add NAME --role ROLE --db DB` with TELLE_PASSWORD
 * TU_PASSWORD for each "NAME:ROLE" argument up to the terminating NULL.
 * Fails the test with telle's output when a step does not exit 0. */
void tu_store_init(const char *dir, const char *db, ...)
    __attribute__((sentinel));

#endif
