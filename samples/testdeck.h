/* testdeck.h - the test deck: ballots of known content that a municipality
 * scans before election day to prove its scanners and settings, and the
 * comparison of what telle read from them with what they hold.
 *
 * A deck is one simulated batch (smp_simulate, one batch, from a seed) plus
 * expected.json: per sheet its expected outcome, list, personal votes and
 * the reasons it must go to a person, and the expected counts. The check
 * matches records to sheets by their index in the batch (the `#N` that ends
 * a record's `sheet`) and lists every difference as one line of text.
 *
 *   smp_testdeck_make         write the batch, truth.jsonl and expected.json
 *   smp_testdeck_check        compare sheet records with expected.json
 *   smp_testdeck_lines_free   free the lines smp_testdeck_check returns
 */
#ifndef TELLE_SAMPLES_TESTDECK_H
#define TELLE_SAMPLES_TESTDECK_H

#include "samples/simulate.h"

#include <stddef.h>

/* Runs smp_simulate(package_dir, out_dir, opts) for one batch of
 * opts->sheets ballots and writes out_dir/expected.json from the truth.
 * The deck's content must be exact, so whatever opts say, batches is 1 and
 * the voter model makes no light marks (p_light 0: a light mark may go
 * either way, which would leave the expected counts open). Everything
 * derives from opts->seed: the same seed gives the same deck.
 * *n_sheets (may be NULL) receives the number of ballots.
 * Returns 0, TELLE_EINVAL, TELLE_EIO, TELLE_EFORMAT, TELLE_ENOMEM. */
int smp_testdeck_make(int *n_sheets, const char *package_dir,
                      const char *out_dir, const smp_sim_opts *opts);

/* Compares the sheet records in records_path (JSON Lines, as `telle
 * interpret` writes them) with deck_dir/expected.json. *lines receives an
 * array of *n_lines differences (caller frees with
 * smp_testdeck_lines_free), one per line of text, each naming the sheet (or
 * "counts") and the field with the expected and found values:
 *   - a sheet that must go to a person (reasons not empty) whose record
 *     says approved or blank;
 *   - on a sheet that needs no person: an outcome the expectation does not
 *     allow, or, when approved, another list or other personal votes;
 *   - a sheet without a record, a record without a sheet (an index beyond
 *     the deck, or a second record for one index), a line that is no
 *     record;
 *   - counts (approved per list, blank, review, personal votes per
 *     candidate of approved sheets) that differ from the expected counts
 *     once the sheets listed above are accounted for: a count difference
 *     that only repeats a sheet's difference is not listed twice.
 * No differences: *n_lines is 0. Returns 0 (whatever the differences),
 * TELLE_EIO or TELLE_EFORMAT when a file cannot be read or expected.json is
 * not a deck's, TELLE_ENOMEM. */
int smp_testdeck_check(char ***lines, size_t *n_lines, const char *deck_dir,
                       const char *records_path);

/* Frees what smp_testdeck_check returned; accepts NULL. */
void smp_testdeck_lines_free(char **lines, size_t n_lines);

#endif
