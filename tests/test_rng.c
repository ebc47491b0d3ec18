/* tests/test_rng.c - core/base/rng: bl_rng_mt19937 gives GSL's gsl_rng_mt19937
 * stream for every 32-bit seed (through every gsl_ran_* the product calls),
 * the reference code's init_by_array stream for larger seeds (values from
 * mt19937ar.out and from Python's random, which seeds the same way), and a
 * clone continues the same stream. */
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/base/rng.h"
#include "harness.h"

/* n draws of each kind from both generators, seeded alike; the first index
 * where they differ, or -1. More than 624 draws per kind: several refills. */
static long
first_difference(unsigned long seed, long n)
{
    gsl_rng *a = gsl_rng_alloc(gsl_rng_mt19937), *b = gsl_rng_alloc(bl_rng_mt19937);
    long at = -1;

    gsl_rng_set(a, seed);
    gsl_rng_set(b, seed);
    for (long i = 0; i < n && at < 0; i++) {
        int same = gsl_rng_get(a) == gsl_rng_get(b) && gsl_rng_uniform(a) == gsl_rng_uniform(b) &&
                   gsl_rng_uniform_pos(a) == gsl_rng_uniform_pos(b) &&
                   gsl_rng_uniform_int(a, 1000) == gsl_rng_uniform_int(b, 1000) &&
                   gsl_ran_gaussian_ziggurat(a, 1.0) == gsl_ran_gaussian_ziggurat(b, 1.0) &&
                   gsl_ran_gaussian(a, 2.0) == gsl_ran_gaussian(b, 2.0) &&
                   gsl_ran_flat(a, -1, 1) == gsl_ran_flat(b, -1, 1) &&
                   gsl_ran_tdist(a, 3.5) == gsl_ran_tdist(b, 3.5) &&
                   gsl_ran_gamma(a, 0.7, 1.0) == gsl_ran_gamma(b, 0.7, 1.0);
        if (!same)
            at = i;
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
    return at;
}

int
main(void)
{
    TEST_INIT();

    /* Every 32-bit seed gives GSL's stream: 0 (GSL's default, 4357), small,
     * the seeds the product derives, and the largest. */
    const unsigned long seeds[] = {0, 1, 2, 4357, 20240917, 1UL ^ 0x5eedUL, 1UL ^ 0x5a3b1e5UL,
                                   0x80000000UL, 0xffffffffUL};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        long at = first_difference(seeds[k], 20000);
        CHECK(at < 0, "seed %lu: differs from gsl_rng_mt19937 at draw %ld", seeds[k], at);
    }
    /* init_by_array with the reference code's key {0x123, 0x234, 0x345,
     * 0x456}: its first ten outputs and its thousandth (mt19937ar.out). */
    static const uint32_t key[4] = {0x123, 0x234, 0x345, 0x456};
    static const unsigned long want[10] = {1067595299, 955945823,  477289528, 4107218783,
                                           4228976476, 3344332714, 3355579695, 227628506,
                                           810200273,  2591290167};
    gsl_rng *r = gsl_rng_alloc(bl_rng_mt19937);
    CHECK(gsl_rng_max(r) == 0xffffffffUL && gsl_rng_min(r) == 0, "range 0 .. 2^32 - 1");
    bl_rng_mt_init_by_array(r, key, 4);
    unsigned long got[1000];
    for (int i = 0; i < 1000; i++)
        got[i] = gsl_rng_get(r);
    for (int i = 0; i < 10; i++)
        CHECK(got[i] == want[i], "init_by_array output %d: %lu, want %lu", i, got[i], want[i]);
    CHECK(got[999] == 3460025646UL, "init_by_array output 999: %lu", got[999]);

    /* A seed of 2^32 or more is the key {low, high}: Python's
     * random.seed(1 + 2**33) and random.seed(2**64 - 1) give these. */
    gsl_rng_set(r, 1UL + (1UL << 33));
    unsigned long a0 = gsl_rng_get(r), a1 = gsl_rng_get(r), a2 = gsl_rng_get(r);
    CHECK(a0 == 2510469175UL && a1 == 412874776UL && a2 == 1110386547UL,
          "seed 1 + 2^33: %lu %lu %lu", a0, a1, a2);
    gsl_rng_set(r, ~0UL);
    a0 = gsl_rng_get(r), a1 = gsl_rng_get(r), a2 = gsl_rng_get(r);
    CHECK(a0 == 93740670UL && a1 == 1068495656UL && a2 == 1452108352UL,
          "seed 2^64 - 1: %lu %lu %lu", a0, a1, a2);
    /* ... so it is not the stream of its low 32 bits, as GSL's would be. */
    gsl_rng_set(r, 1);
    CHECK(gsl_rng_get(r) != 2510469175UL, "seed 1 and seed 1 + 2^33 differ");

    /* A clone continues the same stream, also across a refill. */
    gsl_rng_set(r, 7);
    for (int i = 0; i < 600; i++)
        gsl_rng_get(r);
    gsl_rng *c = gsl_rng_clone(r);
    int same = 1;
    for (int i = 0; i < 2000; i++)
        same &= gsl_rng_get(r) == gsl_rng_get(c);
    CHECK(same, "a clone draws the same numbers");
    gsl_rng_free(c);
    gsl_rng_free(r);
    return TEST_REPORT();
}
