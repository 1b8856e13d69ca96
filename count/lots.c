/* lots.c - the seeded drawing of lots: cnt_lots_next, cnt_lots_below,
 * cnt_lots_shuffle. See lots.h for the exact algorithm. */
#include "count/lots.h"

uint64_t cnt_lots_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t cnt_lots_below(uint64_t *state, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* r = 2^64 mod n. Accepting only x < 2^64 - r leaves a whole number of
     * copies of [0, n), so every remainder is equally likely. */
    uint64_t r = (UINT64_MAX % n + 1) % n;
    for (;;) {
        uint64_t x = cnt_lots_next(state);
        if (r == 0 || x <= UINT64_MAX - r)
            return x % n;
    }
}

void cnt_lots_shuffle(size_t *items, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)cnt_lots_below(state, i);
        size_t t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}
