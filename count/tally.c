/* tally.c - counting helpers: cnt_write_in_counts. */
#include "count/tally.h"

#include "core/error.h"

#include <string.h>

int cnt_write_in_counts(int64_t *given, int64_t *received, size_t *ignored,
                        const cnt_write_in *pairs, size_t n_pairs,
                        size_t n_lists)
{
    if (n_lists > 0) {
        memset(given, 0, n_lists * sizeof *given);
        memset(received, 0, n_lists * sizeof *received);
    }
    if (ignored)
        *ignored = 0;
    for (size_t i = 0; i < n_pairs; i++) {
        if (pairs[i].ballot_list >= n_lists)
            return err_set(TELLE_EINVAL,
                           "write-in %zu: ballot list %zu is not one of the "
                           "%zu lists", i, pairs[i].ballot_list, n_lists);
        if (pairs[i].candidate_list >= n_lists)
            return err_set(TELLE_EINVAL,
                           "write-in %zu: candidate list %zu is not one of "
                           "the %zu lists", i, pairs[i].candidate_list,
                           n_lists);
    }
    size_t own = 0;
    for (size_t i = 0; i < n_pairs; i++) {
        if (pairs[i].ballot_list == pairs[i].candidate_list) {
            own++;
            continue;
        }
        given[pairs[i].ballot_list]++;
        received[pairs[i].candidate_list]++;
    }
    if (ignored)
        *ignored = own;
    return 0;
}
