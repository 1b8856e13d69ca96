/* lots.h - the drawing of lots, made deterministic and reproducible.
 *
 * When the law leaves a choice to chance (equal quotient and equal
 * listestemmetall), telle does not use the clock or /dev/urandom: it draws
 * from splitmix64 started at a seed the caller gives and records, so anyone
 * holding the seed and this description can repeat the draw by hand or in
 * another language and get the same result.
 *
 *   cnt_lots_next      the next 64-bit number from a splitmix64 state
 *   cnt_lots_below     a uniform number in [0, n), without modulo bias
 *   cnt_lots_shuffle   a uniform random order of n items (Fisher-Yates)
 *
 * splitmix64 (Steele, Lea, Flood 2014; the reference C by S. Vigna):
 *   state += 0x9e3779b97f4a7c15
 *   z = state
 *   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
 *   z = (z ^ (z >> 27)) * 0x94d049bb133111eb
 *   return z ^ (z >> 31)
 * all modulo 2^64. With state 0 the first number is 0xe220a8397b1dcdaf.
 */
#ifndef TELLE_COUNT_LOTS_H
#define TELLE_COUNT_LOTS_H

#include <stddef.h>
#include <stdint.h>

/* Advances *state and returns the next number, as above. */
uint64_t cnt_lots_next(uint64_t *state);

/* A number in [0, n) for n >= 1, every value equally likely: numbers x from
 * cnt_lots_next at or above the largest multiple of n that fits in 2^64 are
 * thrown away and drawn again; the answer is x % n. Returns 0 for n <= 1
 * without advancing the state. */
uint64_t cnt_lots_below(uint64_t *state, uint64_t n);

/* Puts items[0..n) into a random order in place: for i from n-1 down to 1,
 * j = cnt_lots_below(state, i + 1) and items[i] is swapped with items[j]. */
void cnt_lots_shuffle(size_t *items, size_t n, uint64_t *state);

#endif
