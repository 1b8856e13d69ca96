/* util.h - small helpers shared inside samples/ (not a public API):
 * folders, a deterministic random generator, rounding.
 *
 *   smp_mkdir_p      create a folder and its parents
 *   smp_rng_*        splitmix64: the same seed gives the same sequence on
 *                    every machine, unlike rand()
 *   smp_round2       round to 0.01 (mm in JSON)
 */
#ifndef TELLE_SAMPLES_UTIL_H
#define TELLE_SAMPLES_UTIL_H

#include <math.h>
#include <stdint.h>

/* Creates path and missing parents (mode 0755). Returns 0 or TELLE_EIO. */
int smp_mkdir_p(const char *path);

typedef struct {
    uint64_t s;
} smp_rng;

/* Starts the sequence of seed. */
static inline void smp_rng_seed(smp_rng *r, uint64_t seed) { r->s = seed; }

/* The next 64 random bits (splitmix64, Steele et al. 2014). */

static inline uint64_t smp_rng_u64(smp_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double smp_rng_unit(smp_rng *r)
{
    return (double)(smp_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [lo, hi). */
static inline double smp_rng_range(smp_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * smp_rng_unit(r);
}

/* Uniform integer in [0, n). */
static inline int smp_rng_int(smp_rng *r, int n)
{
    return n <= 0 ? 0 : (int)(smp_rng_u64(r) % (uint64_t)n);
}

/* true with probability p. */
static inline int smp_rng_chance(smp_rng *r, double p)
{
    return smp_rng_unit(r) < p;
}

/* Standard normal by Box-Muller. */
static inline double smp_rng_normal(smp_rng *r)
{
    double u = smp_rng_unit(r);
    double v = smp_rng_unit(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Roughly standard normal, cheaply: the sum of four 16-bit uniforms
 * (Irwin-Hall), centred and scaled; enough for pixel noise. */
static inline double smp_rng_noise(smp_rng *r)
{
    uint64_t z = smp_rng_u64(r);
    double s = (double)(z & 0xFFFF) + (double)((z >> 16) & 0xFFFF) +
               (double)((z >> 32) & 0xFFFF) + (double)(z >> 48);
    return (s - 131070.0) / 37837.2;
}

/* v rounded to 0.01: millimetres in JSON, so files stay stable and short. */
static inline double smp_round2(double v) { return round(v * 100.0) / 100.0; }

#endif
