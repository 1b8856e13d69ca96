/* fixture.h - a small count for the verify suites: a package with three
 * lists, four operators and one batch of sheet records, in a real SQLite
 * file. Built once per suite (Argon2id hashing is deliberately slow) and
 * copied for each test. */
#ifndef TELLE_TESTS_VERIFY_FIXTURE_H
#define TELLE_TESTS_VERIFY_FIXTURE_H

#include "store/store.h"

/* Every operator's password. */
#define FX_PASSWORD "korrekt hest"

/* Creates the template store in a fresh temp dir; returns its path. */
const char *fx_template(void);

/* Removes the template's temp dir; 0, or -1 when something is left. */
int fx_template_remove(void);

/* Copies the template to a new file in a fresh temp dir and returns its
 * path (valid until the next call). */
const char *fx_copy(void);

/* Removes the last copy's temp dir, asserting that nothing is left. */
void fx_copy_remove(void);

/* Opens path, asserting success. */
st_db *fx_open(const char *path);

/* The records of batch "b1" as JSON Lines: 6 sheets, 4 for review. */
extern const char FX_RECORDS[];

/* Item ids of the b1 sheets in scan order (ids start at 1). */
enum { FX_APPROVED = 1, FX_WRITEIN = 2, FX_NOSTAMP = 3, FX_BLANK = 4,
       FX_LISTWRITTEN = 5, FX_MARGINAL = 6 };

#endif
