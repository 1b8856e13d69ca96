/* package.h - the election package (../shared/spec/election-package.md):
 * elections, lists, candidates and ballot styles with their reference
 * images and regions.
 *
 * The model is plain read-only data: every stage reads it, none changes it
 * after pkg_load, so its structs are open rather than hidden behind
 * accessors. Strings are owned by the package.
 *
 *   pkg_load              read and validate DIR/election.json and references
 *   pkg_free              free a package; accepts NULL
 *   pkg_election_find     election by id
 *   pkg_list_find         list by code within an election
 *   pkg_candidate_find    candidate by number within a list
 *   pkg_style_find        style by id
 *   pkg_region_type_name  "vote_box", ... for a region type
 *   pkg_mm_to_px          millimetres to pixels at a resolution
 */
#ifndef TELLE_CORE_PACKAGE_H
#define TELLE_CORE_PACKAGE_H

#include "core/image.h"

#include <stdbool.h>

typedef enum {
    PKG_REGION_REGISTRATION_MARK,
    PKG_REGION_PARTY_NAME,
    PKG_REGION_BALLOT_NUMBER,
    PKG_REGION_VOTE_BOX,
    PKG_REGION_WRITE_IN_FIELD,
    PKG_REGION_LIST_WRITE_FIELD,
    PKG_REGION_STAMP_FIELD,
} pkg_region_type;

/* [x, y, width, height] in millimetres, origin top-left of the upright side. */
typedef struct {
    double x, y, w, h;
} pkg_rect_mm;

typedef struct {
    pkg_region_type type;
    pkg_rect_mm rect;
    int candidate;     /* vote_box on a list ballot: candidate no; else 0 */
    char *list;        /* vote_box on an all-lists ballot: list code; else NULL */
    char *value;       /* ballot_number: the printed digits; else NULL */
    int max_entries;   /* write_in_field: "inntil N"; 0 when not given */
    pkg_rect_mm *rows; /* write_in_field rows_mm, one per writing line */
    int n_rows;
} pkg_region;

typedef struct {
    char *name;      /* free text: "inside", "outside", ... */
    char *reference; /* path relative to the package dir, as written */
    img *image;      /* the decoded reference (8-bit gray or RGB) */
    pkg_region *regions;
    int n_regions;
} pkg_side;

typedef enum {
    PKG_STYLE_LIST,
    PKG_STYLE_ALL_LISTS,
    PKG_STYLE_BLANK,
} pkg_style_kind;

typedef struct {
    char *id;
    char *election; /* election id */
    pkg_style_kind kind;
    char *list;     /* kind list: the list code; else NULL */
    double page_w_mm, page_h_mm;
    double dpi;     /* resolution of the reference images */
    pkg_side *sides;
    int n_sides;
} pkg_style;

typedef struct {
    int no;
    char *name;
    int born;       /* 0 when not given */
    bool stemmetillegg;
} pkg_candidate;

typedef struct {
    char *code;
    char *name;
    pkg_candidate *candidates;
    int n_candidates;
} pkg_list;

typedef enum {
    PKG_KOMMUNESTYREVALG,
    PKG_FYLKESTINGSVALG,
} pkg_election_type;

typedef struct {
    char *id;
    pkg_election_type type;
    char *name;
    int seats;
    int max_write_ins;    /* 0 for fylkestingsvalg */
    double first_divisor; /* 1.4 in 2023 */
    pkg_list *lists;
    int n_lists;
} pkg_election;

typedef struct {
    char *dir;    /* the package folder as given to pkg_load */
    char *format; /* "telle-election/1" */
    char *event;
    char *area_code, *area_name;
    pkg_election *elections;
    int n_elections;
    pkg_style *styles;
    int n_styles;
} pkg_package;

/* Loads and validates the package in dir. On error returns TELLE_EFORMAT or
 * TELLE_EIO and a message naming the file, the JSON path and what is wrong:
 *   "pkg/election.json: styles[3].sides[0].regions[12].rect_mm: region
 *    [290, 5, 20, 10] reaches outside the 297 x 210 mm page".
 * The first error stops the load. EIO: dir, election.json or a reference
 * cannot be read; EFORMAT: anything else wrong; EINVAL: dir NULL or "";
 * ENOMEM. Unknown fields are accepted. Besides the spec's rules it refuses
 * a list (all-lists) style without one vote_box per candidate (list), a
 * kommunestyrevalg list style without a write_in_field, and references
 * outside dir ("..", absolute paths).
 * Each side's reference (page 1 of a PNG or TIFF) must measure
 * page_mm x dpi / 25.4 px within +/- 2 px (rounding to whole pixels); it is
 * kept as 8-bit gray or RGB (1-bit becomes gray, RGBA is composited over
 * white) with its resolution set to the style's dpi. The caller frees *out
 * with pkg_free. */
int pkg_load(pkg_package **out, const char *dir);
void pkg_free(pkg_package *pkg);

const pkg_election *pkg_election_find(const pkg_package *pkg, const char *id);
const pkg_list *pkg_list_find(const pkg_election *el, const char *code);
const pkg_candidate *pkg_candidate_find(const pkg_list *list, int no);
const pkg_style *pkg_style_find(const pkg_package *pkg, const char *id);
const char *pkg_region_type_name(pkg_region_type t);

static inline double pkg_mm_to_px(double mm, double dpi) { return mm * dpi / 25.4; }

#endif
