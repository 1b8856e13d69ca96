/* aukra2019.h - the public test vector of domain.md, "Aukra
 * kommunestyrevalet 2019 (21 seats)": the inputs only. Each test states the
 * published results it checks next to its assertions. */
#ifndef TELLE_TESTS_COUNT_AUKRA2019_H
#define TELLE_TESTS_COUNT_AUKRA2019_H

#include "count/ranking.h"
#include "count/seats.h"

enum { AUKRA_SEATS = 21, AUKRA_LISTS = 7 };

static const cnt_list_votes AUKRA_VOTES[AUKRA_LISTS] = {
    {"H", 426, 211, 285},
    {"Ap", 385, 210, 201},
    {"KrF", 361, 189, 264},
    {"Sp", 315, 144, 232},
    {"V", 117, 231, 76},
    {"FrP", 112, 88, 52},
    {"SV", 102, 81, 44},
};

/* H, Aukra 2019: 426 ballots, 5 seats. #1, #2 and #7 are domain.md's
 * numbers: "#1 106.50 + 186 + 52 = 344.50; #7 0 + 61 + 32 = 93 is ranked
 * second, ahead of #2 (55 + 15 = 70)". The other candidates' votes are
 * INVENTED for this test (domain.md does not give them), all below #2's 70
 * so they cannot disturb the published example, with two equal totals
 * (#8/#9 at 18, #13/#15 at 3) and three zeros to exercise list position. */
static const cnt_candidate_votes AUKRA_H[] = {
    {1, "H1", true, 186, 52}, {2, "H2", false, 55, 15},
    {3, "H3", false, 40, 12}, {4, "H4", false, 30, 9},
    {5, "H5", false, 25, 20}, {6, "H6", false, 20, 5},
    {7, "H7", false, 61, 32}, {8, "H8", false, 14, 4},
    {9, "H9", false, 10, 8},  {10, "H10", false, 6, 0},
    {11, "H11", false, 0, 0}, {12, "H12", false, 0, 0},
    {13, "H13", false, 3, 0}, {14, "H14", false, 0, 0},
    {15, "H15", false, 2, 1},
};
enum { AUKRA_H_N = sizeof AUKRA_H / sizeof AUKRA_H[0] };

#endif
