/* xoroshiro128++ (Blackman & Vigna, public domain algorithm), splitmix64 seeding. */
#include "gantry/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void gt_rng_seed(gt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    r->s[0] = splitmix64(&x);
    r->s[1] = splitmix64(&x);
    if (r->s[0] == 0 && r->s[1] == 0)
        r->s[1] = 1;
}

uint64_t gt_rng_next(gt_rng *r)
{
    uint64_t s0 = r->s[0], s1 = r->s[1];
    uint64_t result = rotl(s0 + s1, 17) + s0;
    s1 ^= s0;
    r->s[0] = rotl(s0, 49) ^ s1 ^ (s1 << 21);
    r->s[1] = rotl(s1, 28);
    return result;
}

float gt_rng_uniform(gt_rng *r)
{
    return (float)(gt_rng_next(r) >> 40) * 0x1.0p-24f;
}

uint32_t gt_rng_below(gt_rng *r, uint32_t n)
{
    return (uint32_t)(((gt_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

float gt_rng_normal(gt_rng *r)
{
    /* Box-Muller on doubles; 53-bit uniforms in (0, 1]. */
    double u1 = ((double)(gt_rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(gt_rng_next(r) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void gt_rng_fill_normal(gt_rng *r, float *x, size_t n, float mean, float std)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        double u1 = ((double)(gt_rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
        double u2 = (double)(gt_rng_next(r) >> 11) * 0x1.0p-53;
        double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        x[i] = mean + std * (float)(rad * cos(th));
        x[i + 1] = mean + std * (float)(rad * sin(th));
    }
    if (i < n)
        x[i] = mean + std * gt_rng_normal(r);
}

void gt_rng_fill_uniform(gt_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * gt_rng_uniform(r);
}
