/*
 * gantry/rng.h - a small, fast, seeded random number generator
 * (xoroshiro128++ seeded through splitmix64).  The same seed gives the same
 * stream on every machine.
 */
#ifndef GANTRY_RNG_H
#define GANTRY_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_rng {
    uint64_t s[2];
} gt_rng;

/* Seed the generator; any seed (0 included) gives a valid state. */
void gt_rng_seed(gt_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t gt_rng_next(gt_rng *r);
/* Uniform in [0, 1). */
float gt_rng_uniform(gt_rng *r);
/* Uniform integer in [0, n), n > 0. */
uint32_t gt_rng_below(gt_rng *r, uint32_t n);
/* Standard normal (Box-Muller, both values used). */
float gt_rng_normal(gt_rng *r);
/* x[i] = mean + std * N(0, 1) for i < n. */
void gt_rng_fill_normal(gt_rng *r, float *x, size_t n, float mean, float std);
/* x[i] uniform in [lo, hi). */
void gt_rng_fill_uniform(gt_rng *r, float *x, size_t n, float lo, float hi);

#ifdef __cplusplus
}
#endif
#endif
