/* core/features.h - basis feature maps for BLR (docs/math.md §2.5).
 *
 * A feature map turns an input x (in_dim numbers) into phi(x) (dim numbers).
 * Inputs are first rescaled per coordinate from [lo, hi] to [-1, 1] (except
 * FEAT_IDENTITY and FEAT_RELU, which use x as given). For in_dim > 1 the
 * polynomial, RBF and Fourier maps are additive: the 1-D basis is applied to
 * each coordinate and concatenated (no cross terms), sharing one constant.
 * Ordering: the constant (bias) comes first, as in docs/math.md §11 A1 ([1, t, t^2]).
 *  identity: [1?, x_1..x_d]                      dim = d + bias
 *  poly p:   [1, t, .., t^p] (Legendre P_k(t) when p > 6)   dim = 1 + d p
 *  rbf M,l:  [1, exp(-(t - c_j)^2/(2 l^2))], c_j = M points evenly on [-1,1]   dim = 1 + d M
 *  fourier K:[1, cos(pi k t), sin(pi k t) for k = 1..K] (period 2 on [-1,1])  dim = 1 + 2 d K
 *  relu M:   [sqrt(2/M) max(0, w_j . [x, 1])], w_j ~ N(0, I_{d+1}) drawn from
 *            seed (the augmented 1 gives each unit a bias)   dim = M (+1 if bias)
 * FEAT_FOURIER with K matches the `fourier` world's truth exactly. */
#ifndef BAYESLENS_CORE_FEATURES_H
#define BAYESLENS_CORE_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

typedef enum { FEAT_IDENTITY = 0, FEAT_POLY, FEAT_RBF, FEAT_FOURIER, FEAT_RELU } feat_kind;

#define FEAT_MAX_DIM 4096

typedef struct feat_opts {
    feat_kind kind;
    bool bias;          /* identity, relu: prepend a constant 1 (always on for poly/rbf/fourier) */
    size_t degree;      /* poly: p >= 0 (max 30) */
    size_t m;           /* rbf: centres per input (>= 1); fourier: K (>= 0); relu: units (>= 1) */
    double lengthscale; /* rbf: l > 0, in rescaled units; 0 selects the default 2/M */
    unsigned long seed; /* relu: weights drawn from this seed */
} feat_opts;

typedef struct features features;

/* New feature map for inputs of in_dim coordinates (1..FEAT_MAX_DIM), rescaled
 * from [lo[i], hi[i]] (arrays of in_dim, both or neither; NULL means [-1, 1]).
 * Limits: poly degree 0..30; m up to FEAT_MAX_DIM; total dim <= FEAT_MAX_DIM;
 * lengthscale finite and >= 0; lo[i] < hi[i], both finite. The ReLU weights are
 * drawn here from a private mt19937 seeded with o->seed (the caller's RNG
 * streams are untouched). Returns a map the caller frees with features_free, or
 * NULL with BL_EINVAL naming the bad option ("degree=40: must be in 0..30",
 * "lo[0]=1, hi[0]=0: need finite lo < hi") or BL_ENOMEM. */
features *features_alloc(size_t in_dim, const feat_opts *o, const double *lo, const double *hi,
                         bl_err *err);
void features_free(features *f); /* NULL is a no-op */
size_t features_dim(const features *f);
size_t features_in_dim(const features *f);
/* The resolved options (borrowed, valid until features_free): bias is true for
 * poly/rbf/fourier and the RBF default lengthscale is filled in. */
const feat_opts *features_options(const features *f);
/* phi(x) into phi (features_dim numbers). O(dim * in_dim). */
void features_map(const features *f, const double *x, double *phi);
/* Short description for status lines: "poly(3)", "poly(8, legendre)", "rbf(10, l=0.2)",
 * "fourier(3)", "relu(100, seed=1)+bias", "identity+bias". Borrowed: stored in f. */
const char *features_describe(const features *f);
/* Parse a kind name ("identity", "poly", "rbf", "fourier", "relu"); -1 if unknown. */
int features_kind_parse(const char *name);
/* Name of a kind ("poly"); "?" if out of range. Static storage. */
const char *features_kind_name(feat_kind k);

#endif
