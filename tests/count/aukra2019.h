/* aukra2019.h - the public test vector of domain.md, "Aukra
 * kommunestyrevalet 2019 (21 seats)": the inputs only. Each test states the
 * published results it checks next to its assertions. */
#ifndef TELLE_TESTS_COUNT_AUKRA2019_H
#define TELLE_TESTS_COUNT_AUKRA2019_H

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

#endif
