/* tests/sampler_harness.h - what the sampler tests (test_sampler.c,
 * test_sampler_kinds.c) both build their chains from: a seeded generator and
 * a BLR posterior on simulated data. Header-only; include after harness.h. */
#ifndef BAYESLENS_TESTS_SAMPLER_HARNESS_H
#define BAYESLENS_TESTS_SAMPLER_HARNESS_H

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/mcmc/target.h"

static inline gsl_rng *
rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* The blr_data posterior (alpha = beta = 1) of n rows of d standard normal
 * features, y = sum_j (0.3 j - 1) x_j + N(0, 0.5^2). */
static inline target *
blr_target(size_t n, size_t d, unsigned long seed)
{
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    gsl_rng *r = rng_new(seed);
    for (size_t i = 0; i < n; i++) {
        y[i] = 0;
        for (size_t j = 0; j < d; j++) {
            X[i * d + j] = gsl_ran_gaussian(r, 1.0);
            y[i] += X[i * d + j] * (0.3 * (double)j - 1.0);
        }
        y[i] += gsl_ran_gaussian(r, 0.5);
    }
    bl_err err;
    target *t = target_blr_data_alloc(n, d, X, y, 1.0, 1.0, &err);
    free(X);
    free(y);
    gsl_rng_free(r);
    return t;
}

#endif
