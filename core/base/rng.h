/* core/base/rng.h - the random generator every draw of bayeslens uses.
 *
 * bl_rng_mt19937 is a gsl_rng_type for the 32-bit Mersenne twister of
 * Matsumoto and Nishimura (1998) with their 2002 seeding, so it gives the
 * same stream as GSL's gsl_rng_mt19937 for every seed (tests/test_rng.c
 * compares them), and every gsl_ran_* function takes it unchanged. It exists
 * for speed: GSL's twister costs most of a Gaussian draw (the world's points
 * are 257 ziggurat Gaussians each at d = 256), and this one refills its 624
 * words in loops the compiler vectorizes, with the state kept as 32-bit
 * words. Integer arithmetic only, so the stream is the same bits on every
 * CPU. Seeds of 2^32 and above name streams of their own (GSL would drop
 * their high bits): see mt_set. docs/design.md "Random numbers". */
#ifndef BAYESLENS_CORE_RNG_H
#define BAYESLENS_CORE_RNG_H

#include <gsl/gsl_rng.h>

#include <stddef.h>
#include <stdint.h>

extern const gsl_rng_type *bl_rng_mt19937;

/* Seed r (allocated with bl_rng_mt19937) by the reference code's
 * init_by_array with key[0..len-1]; gsl_rng_set(r, s) with s >= 2^32 is
 * this with the key {low 32 bits, high 32 bits}. len >= 1. */
void bl_rng_mt_init_by_array(gsl_rng *r, const uint32_t *key, size_t len);

/* The seed of stream (kind, a, b) derived from a user's seed: splitmix64's
 * finalizer applied in turn to seed, kind, a and b, so that nearby inputs
 * (seed and seed + 1, member k and k + 1) give unrelated seeds, almost
 * always of 2^32 or more (streams of their own, see above). Adding offsets
 * to a seed instead makes seed s's member k + 1 the stream of seed s + 1's
 * member k. */
uint64_t bl_rng_derive(uint64_t seed, uint64_t kind, uint64_t a, uint64_t b);

#endif
