/* protocol.h - the final-count chapters of valgstyrets møtebok (domain.md,
 * "The protocol"), built from a counts document: chapter D (D1 advance
 * votes, D2 election-day votes, each with D.1-D.5), the spot-check log and,
 * for a municipal election, chapter E (seat allocation and candidate
 * ranking).
 *
 *   cnt_protocol_build      the protocol as JSON (format telle-protocol/1)
 *   cnt_protocol_pdf_write  the protocol as an A4 PDF for signing
 *                           (protocol_pdf.c, cairo)
 *   cnt_ground_text         the wording of a rejection ground a-d
 *   cnt_category_name       the Norwegian name of a counting category
 *
 * The not-final rule: the protocol is final only when every batch of the
 * election is committed (the counts document's "final": at least one batch
 * and no open batch) AND no difference between the preliminary and the
 * final count is unexplained (a row with difference != 0 and no written
 * explanation). Otherwise "final" is false and "not_final" lists why, in
 * words printed on every page of the PDF ("2 bunker ikke godkjent (...)",
 * "1 avvik uten forklaring").
 *
 * The JSON (keys of every object sorted when dumped; arrays in this order):
 *   format "telle-protocol/1", event, area {code, name}, package_sha256,
 *   election {id, type, name, seats, first_divisor}, seed,
 *   final, not_final [text], open_batches [id], unexplained_differences,
 *   lists [{code, name}],
 *   chapters [D1, D2], each
 *     {id "D1", title, categories ["FO", "FS"],
 *      counted   {title, rows [{category, krets, batches, ballots, approved,
 *                               blank, rejected}], total {...}},
 *      rejected  {title, grounds [{ground, text}],
 *                 rows [{category, krets, a, b, c, d, total}], total {...}},
 *      approved  {title, columns [{category, krets}],
 *                 rows [{list, name, counts [n per column], total}],
 *                 total {counts, total}},
 *      differences {title, counts [{category, krets, prelim (the counts
 *                 document's prelim or null), rows [{list, name, prelim,
 *                 final, difference, explanation, unexplained}]}]},
 *      remarks   {title, rows [{category, krets, batch, sheet, by, text}]}}
 *   spotchecks {title, rows [the counts document's spotcheck records]},
 *   E: null (county election) or
 *     {title, lists [{code, name, ballots, write_ins_received,
 *      write_ins_given, listestemmetall, seats, stemmetillegg, ranked}],
 *      quotients [{seat, list, quotient, quotient_text}], next_quotient,
 *      lots, candidates {code: [ranked candidates]}, candidates_missing
 *      [codes of lists not ranked: no candidates known], error (text, when
 *      no seat could be allocated, e.g. no approved ballots yet)}
 * Counts of a chapter are the counts document's, in its order (category
 * FO FS VO VS VB, then krets); a chapter without counts has empty rows and
 * zero totals.
 */
#ifndef TELLE_COUNT_PROTOCOL_H
#define TELLE_COUNT_PROTOCOL_H

#include <jansson.h>
#include <stdint.h>

#define CNT_PROTOCOL_FORMAT "telle-protocol/1"

/* Builds the protocol of election `election` from the counts document
 * `counts` (telle-counts/1). `package` is the parsed election.json (may be
 * NULL: chapter E then has no candidate ranking and says so in
 * candidates_missing); `seed` starts the drawing of lots (recorded). On
 * success *out is a new object the caller decrefs. Returns 0;
 * TELLE_EINVAL (the election is not in the document); TELLE_EFORMAT (not a
 * counts document, or a count is missing or of the wrong kind: the message
 * gives its path); TELLE_ENOMEM. A seat allocation that cannot be made (no
 * list has a listestemmetall above 0) is not an error: E.error says why. */
int cnt_protocol_build(json_t **out, json_t *counts, const char *election,
                       json_t *package, uint64_t seed);

/* Renders `protocol` (from cnt_protocol_build) to an A4 PDF at `path`:
 * a title with event, area and election; sections D1.1-D1.5, D2.1-D2.5,
 * the spot checks and E; tables that repeat their header row after a page
 * break and never split a row; "side N av M" on every page; a signature
 * block for valgstyret at the end. A protocol that is not final carries a
 * band "IKKE ENDELIG – <reasons>" at the top of every page. Text is set in
 * DejaVu Sans (fonts-dejavu-core) so Norwegian letters render. Returns 0;
 * TELLE_EIO when cairo cannot write the file; TELLE_EFORMAT when the JSON
 * is not a protocol; TELLE_ENOMEM. */
int cnt_protocol_pdf_write(const json_t *protocol, const char *path);

/* "Stemmeseddelen mangler offentlig stempel" for 'a', ... (valgloven
 * § 10-3 (1) a-d); NULL for any other ground. */
const char *cnt_ground_text(char ground);

/* "Ordinære forhåndsstemmer" for "FO", ...; NULL for an unknown code. */
const char *cnt_category_name(const char *category);

#endif
