/* ranking_internal.h - the fields of cnt_ranking, for ranking.c only. */
#ifndef TELLE_COUNT_RANKING_INTERNAL_H
#define TELLE_COUNT_RANKING_INTERNAL_H

#include "count/ranking.h"

struct cnt_ranking {
    size_t n;
    cnt_ranked *ranked; /* n, in rank order */
};

#endif
