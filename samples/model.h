/* model.h - the part of an election package the sample tools start from:
 * the elections with their lists and candidates, and (when present) the
 * names and kinds of the styles, read straight from JSON with jansson.
 *
 * The renderer must work on a package that has no styles yet (that is what
 * it makes), so it cannot use pkg_load, which validates styles and
 * references. It fills the same open structs of core/package.h, so the rest
 * of samples/ reads one model. Styles read here have no sides (n_sides 0).
 *
 *   smp_model_load   read elections (and style skeletons) from a file
 *   smp_model_from_json  the same from parsed JSON (tests, fuzzing)
 *   smp_model_free   free what smp_model_load made; accepts NULL
 *   smp_write_ins_for_seats  the template's "inntil N" for a council size
 */
#ifndef TELLE_SAMPLES_MODEL_H
#define TELLE_SAMPLES_MODEL_H

#include "core/package.h"

#include <jansson.h>

/* Reads path (a JSON file, or a folder holding election.json). Fills *out
 * with format, event, area, elections, and styles (id, election, kind, list,
 * page size and dpi; no sides). *root_out (may be NULL) receives the parsed
 * JSON, which the caller releases with json_decref. Returns 0, TELLE_EIO
 * (cannot read), TELLE_EFORMAT (not JSON, or a required field is missing or
 * of the wrong type; the message names the file and JSON path). */
int smp_model_load(pkg_package **out, json_t **root_out, const char *path);

/* Builds the model from parsed JSON; file names the source in messages and
 * dir becomes pkg->dir. Same results as smp_model_load. */
int smp_model_from_json(pkg_package **out, const json_t *root,
                        const char *file, const char *dir);

/* Frees a package made by smp_model_load: pkg_free, which serves both
 * (the model's styles have no sides). Accepts NULL. */
void smp_model_free(pkg_package *pkg);

/* Our reading of the rule for "inntil N": a quarter of the council's
 * seats, rounded down, at least five and at most 99 (Voss, 43 seats,
 * printed "inntil 10"). */
int smp_write_ins_for_seats(int seats);

#endif
