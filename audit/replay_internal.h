/* replay_internal.h - what replay.c and report.c share inside audit/. */
#ifndef TELLE_AUDIT_REPLAY_INTERNAL_H
#define TELLE_AUDIT_REPLAY_INTERNAL_H

#include "audit/replay.h"

/* Appends a finding to r; every string is copied (any may be NULL).
 * Returns 0 or TELLE_ENOMEM. */
int au_report_add(au_report *r, au_finding_kind kind, const char *batch,
                  const char *sheet, const char *path, const char *field,
                  const char *old_value, const char *new_value, int64_t seq,
                  const char *message);

/* A new, empty report (calloc'd). NULL when out of memory. */
au_report *au_report_new(void);

#endif
