/* seats_internal.h - the fields of cnt_seats, for seats.c only. */
#ifndef TELLE_COUNT_SEATS_INTERNAL_H
#define TELLE_COUNT_SEATS_INTERNAL_H

#include "count/seats.h"

struct cnt_seats {
    size_t n_lists;
    int64_t *listestemmetall;   /* n_lists */
    int *won;                   /* n_lists */
    int seats;
    cnt_quotient *quotients;    /* seats, in seat order */
    cnt_quotient next;
    bool next_tied;
    uint64_t seed;
    cnt_draw *draws;            /* n_draws, at most `seats` */
    size_t **draw_blocks;       /* per draw: tied then order, 2 × n_tied */
    size_t n_draws;
};

#endif
