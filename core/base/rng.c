/* core/base/rng.c - MT19937 as a gsl_rng_type (see rng.h). */
#include "core/base/rng.h"

#include <stdint.h>

enum { MT_N = 624, MT_M = 397 };

typedef struct {
    uint32_t mt[MT_N];
    int next; /* index of the next word to temper; MT_N: refill first */
} mt_state;

/* One step of the twist: the top bit of a, the low 31 of b, shifted and
 * conditionally xored with the matrix constant, xored onto c. Branch-free,
 * so the loops below vectorize. */
static inline uint32_t
mt_twist(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t y = (a & 0x80000000u) | (b & 0x7fffffffu);
    return c ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
}

/* Three loops so that each reads only words it may: the first MT_N - MT_M
 * words read old words ahead of them, the rest read words this refill
 * already wrote (MT_N - MT_M = 227 behind, far beyond a vector's width). */
static void
mt_refill(mt_state *s)
{
    uint32_t *mt = s->mt;
    int k;

    for (k = 0; k < MT_N - MT_M; k++)
        mt[k] = mt_twist(mt[k], mt[k + 1], mt[k + MT_M]);
    for (; k < MT_N - 1; k++)
        mt[k] = mt_twist(mt[k], mt[k + 1], mt[k + MT_M - MT_N]);
    mt[MT_N - 1] = mt_twist(mt[MT_N - 1], mt[0], mt[MT_M - 1]);
    s->next = 0;
}

static unsigned long
mt_get(void *vstate)
{
    mt_state *s = vstate;
    uint32_t y;

    if (s->next >= MT_N)
        mt_refill(s);
    y = s->mt[s->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static double
mt_get_double(void *vstate)
{
    return (double)mt_get(vstate) / 4294967296.0;
}

/* The 2002 seeding. A seed below 2^32 goes through init_genrand, exactly
 * as GSL's gsl_rng_set does (seed 0 means 4357, GSL's default), so every
 * 32-bit seed gives GSL's stream. GSL keeps only the low 32 bits of a
 * larger seed, so seed + 2^33 would give seed's stream again; here a larger
 * seed is the two-word key {low, high} of init_by_array, the reference
 * code's seeding by an array (and Python's random.seed of the same integer),
 * so streams named by 64-bit seeds are distinct. */
static void
mt_init(uint32_t *mt, uint32_t s)
{
    mt[0] = s;
    for (int i = 1; i < MT_N; i++)
        mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + (uint32_t)i;
}

static void
mt_init_by_array(mt_state *s, const uint32_t *key, size_t len)
{
    uint32_t *mt = s->mt;
    size_t i = 1, j = 0;

    mt_init(mt, 19650218u);
    for (size_t k = len > MT_N ? len : MT_N; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        if (++i >= MT_N) {
            mt[0] = mt[MT_N - 1];
            i = 1;
        }
        if (++j >= len)
            j = 0;
    }
    for (size_t k = MT_N - 1; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        if (++i >= MT_N) {
            mt[0] = mt[MT_N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000u; /* a non-zero state whatever the key */
    s->next = MT_N;
}

static void
mt_set(void *vstate, unsigned long seed)
{
    mt_state *s = vstate;

    if (seed <= 0xffffffffUL) {
        mt_init(s->mt, seed == 0 ? 4357u : (uint32_t)seed);
        s->next = MT_N;
        return;
    }
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)((uint64_t)seed >> 32)};
    mt_init_by_array(s, key, 2);
}

static const gsl_rng_type mt_type = {
    "bayeslens-mt19937", 0xffffffffUL, 0, sizeof(mt_state), mt_set, mt_get, mt_get_double,
};

const gsl_rng_type *bl_rng_mt19937 = &mt_type;

static uint64_t
splitmix64_mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t
bl_rng_derive(uint64_t seed, uint64_t kind, uint64_t a, uint64_t b)
{
    return splitmix64_mix(splitmix64_mix(splitmix64_mix(splitmix64_mix(seed) ^ kind) ^ a) ^ b);
}

void
bl_rng_mt_init_by_array(gsl_rng *r, const uint32_t *key, size_t len)
{
    mt_init_by_array(r->state, key, len);
}
