/* export_internal.h - helpers shared by export.c, export_csv.c and
 * export_eml.c; not part of the public API. They read a document that
 * cnt_counts_validate has accepted, so types are known to be right. */
#ifndef TELLE_COUNT_EXPORT_INTERNAL_H
#define TELLE_COUNT_EXPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The counting categories in the order of counts-doc.md. */
extern const char *const CNT_EXPORT_CATEGORIES[5];

/* *index = position of election `id` in doc.elections. Returns 0 or
 * TELLE_EINVAL ("election 'XX' is not in the counts (KS, FT)"). */
int cnt_export_find_election(size_t *index, const json_t *doc, const char *id);

/* True when the election is final and has no unexplained difference. */
bool cnt_export_election_final(const json_t *election);

/* obj[key] as an integer; 0 when absent or not an integer. */
json_int_t cnt_export_int(const json_t *obj, const char *key);

/* obj[key] as a string; "" when absent or not a string. */
const char *cnt_export_str(const json_t *obj, const char *key);

/* The sum of the integer values of an object ({"3": 1, "6": 2} -> 3). */
json_int_t cnt_export_sum(const json_t *obj);

/* The "differences" row of `count` for list code (or "blank"), or NULL. */
const json_t *cnt_export_difference(const json_t *count, const char *code);

#endif
