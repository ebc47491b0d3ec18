/* core/nngp.h - NNGP and NTK kernels of deep fully-connected networks.
 *
 * docs/math.md §4.1-4.4. A net with L hidden layers (depth L, 1..NNGP_MAX_DEPTH) in
 * the NTK parameterisation, weight variance sw2 > 0, bias variance sb2 >= 0:
 *   K^1 = sw2 x.x'/d + sb2,  K^{l+1} = sw2 E[phi(u)phi(v)] + sb2,
 *   Theta^1 = K^1,           Theta^{l+1} = K^{l+1} + sw2 E[phi'(u)phi'(v)] Theta^l,
 * NNGP = K^{L+1}, NTK = Theta^{L+1}. Layers are numbered 1..L+1 (layer l is
 * the covariance of the pre-activations h_l; L+1 is the output).
 * Expectations: closed forms for relu, leaky_relu, abs (ABReLU, docs/math.md §4.2,
 * written through sqrt(K11) sqrt(K22) so that the positive homogeneity keeps
 * deep nets with sw2 != 2 from overflowing in intermediate products) and erf;
 * 2-D Gauss-Hermite quadrature (docs/math.md §4.3) of order gh_order for tanh, gelu
 * (x Phi(x)), silu (x sigmoid(x)), sin, and for any activation when
 * quadrature is forced (tests). GH nodes come from Golub-Welsch with LAPACK's
 * dstev (stable at any order; the naive recurrence overflows near 350).
 * Convergence note (order per axis; GH error is geometric for smooth phi):
 * erf at depth 3 (C1 inputs), max error NNGP / NTK: 8e-9 / 3e-6 at the
 * default 80, 3e-9 (NTK) at 120, 1e-11 at 150; tanh at depth 3: 1e-8 / 4e-6
 * at 120, 1e-9 at 300 (docs/math.md §4.3). The NTK needs more nodes than the NNGP
 * (phi' is less smooth in effect); compare n and 1.5n nodes to check.
 * Kinked activations converge slowly under GH (3e-4 at 200 nodes for relu):
 * use the closed forms.
 * Gram matrices: the diagonals K^l(x,x) are computed first, then every entry
 * of the lower triangle runs all layers in registers and is mirrored, so
 * every output matrix is exactly symmetric. The closed forms run 8 entries
 * at a time in branch-free loops the compiler vectorizes, with a
 * branch-free arccos/arcsin (nngp_acos, nngp_asin); work is split over
 * threads in fixed contiguous shares, and each entry depends only on its two
 * points, so results are bit-identical for every thread count
 * (docs/gp-blocks.md). A cross-covariance with one new point (a GP arrival)
 * runs along the old points in the same lanes. */
#ifndef BAYESLENS_CORE_NNGP_H
#define BAYESLENS_CORE_NNGP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

#define NNGP_MAX_DEPTH  1000 /* hidden layers */
#define NNGP_GH_DEFAULT 80   /* default Gauss-Hermite order per axis */
#define NNGP_GH_MAX     1000 /* largest accepted order */

typedef enum {
    NNGP_RELU = 0,
    NNGP_ERF,
    NNGP_TANH,
    NNGP_GELU,
    NNGP_SILU,
    NNGP_SIN,
    NNGP_LEAKY_RELU, /* slope*min(x,0) + max(x,0) */
    NNGP_ABS,
    NNGP_NACT
} nngp_act;

typedef struct nngp_opts {
    nngp_act act;
    size_t depth;    /* hidden layers L, 1..NNGP_MAX_DEPTH */
    double sw2;      /* weight variance, > 0 */
    double sb2;      /* bias variance, >= 0 */
    double slope;    /* leaky_relu negative-side slope (finite); ignored otherwise */
    size_t gh_order; /* GH nodes per axis, 0 = NNGP_GH_DEFAULT; 2..NNGP_GH_MAX */
    bool quadrature; /* force GH even where a closed form exists (tests) */
    bool portable;   /* Gram on the baseline ISA even where AVX2 exists (tests: same bits) */
    size_t threads;  /* Gram threads; 0 = one per online CPU when the work is large
                        enough. Results do not depend on it (docs/gp-blocks.md) */
} nngp_opts;

typedef struct nngp nngp; /* opaque: options plus the GH rule */

/* Defaults: relu, depth 3, sw2 = 2, sb2 = 0.1, slope 0.1, GH order 80. */
nngp_opts nngp_opts_default(void);

/* Activation by name ("relu", "erf", "tanh", "gelu", "silu" or "swish",
 * "sin", "leaky_relu", "abs"). BL_EINVAL with the list of choices. */
int nngp_act_parse(const char *name, nngp_act *act, bl_err *err);
const char *nngp_act_name(nngp_act act); /* static string; "?" if out of range */
bool nngp_act_closed_form(nngp_act act); /* relu, erf, leaky_relu, abs */

/* New kernel on inputs of dimension in_dim (>= 1). Validates *o (messages
 * like "depth=0: must be in 1..1000"); builds the GH rule when needed
 * (O(order^2) memory, O(order^3) time once). NULL + BL_EINVAL/BL_ENOMEM. */
nngp *nngp_alloc(size_t in_dim, const nngp_opts *o, bl_err *err);
void nngp_free(nngp *m); /* NULL is a no-op */
nngp *nngp_copy(const nngp *m, bl_err *err);
const nngp_opts *nngp_get_opts(const nngp *m); /* borrowed, resolved gh_order */
/* Change sw2, sb2 (validated; m unchanged on BL_EINVAL). O(1). */
int nngp_set_variances(nngp *m, double sw2, double sb2, bl_err *err);

/* Expectations for one 2x2 covariance [[k11,k12],[k12,k22]] (k11, k22 >= 0):
 * *E = E[phi(u)phi(v)], *Ed = E[phi'(u)phi'(v)] (docs/math.md §4.2/4.3). */
void nngp_expect(const nngp *m, double k11, double k12, double k22, double *E, double *Ed);

/* All layers for one pair: K[l-1] = K^l(x, x2), T[l-1] = Theta^l(x, x2) for
 * l = 1..L+1 (arrays of depth+1; either may be NULL). O(L) closed form,
 * O(L order^2) quadrature. BL_ENUM if a value overflows. */
int nngp_pair(const nngp *m, const double *x, const double *x2, double *K, double *T, bl_err *err);

/* Gram matrices of the output layer on X (n x in_dim row-major): K (NNGP)
 * and/or Theta (NTK), n x n row-major, either may be NULL. Symmetric by
 * construction (lower triangle computed, mirrored). Cost O(n d + n^2 (d + L))
 * closed form, times order^2 for quadrature. Polls cancel once per row.
 * BL_EINVAL (n = 0), BL_ENOMEM, BL_ECANCEL, BL_ENUM (overflow: the values
 * exceed the double range, e.g. sw2 > 2 relu at depth 1000); outputs are
 * unspecified after an error. */
int nngp_gram(const nngp *m, const double *X, size_t n, double *K, double *Theta,
              const bl_cancel *cancel, bl_err *err);

/* Per-layer Grams: K[l-1], T[l-1] (l = 1..L+1, n x n each) receive layer l;
 * K or T may be NULL, as may any entry. Same cost and errors as nngp_gram. */
int nngp_gram_layers(const nngp *m, const double *X, size_t n, double *const *K, double *const *T,
                     const bl_cancel *cancel, bl_err *err);

/* Cross-covariances (n1 x n2 row-major) of the output layer; layers = 0 means
 * the output, 1..L+1 picks a layer. K12 and/or T12 may be NULL. */
int nngp_cross(const nngp *m, const double *X1, size_t n1, const double *X2, size_t n2,
               size_t layer, double *K12, double *T12, const bl_cancel *cancel, bl_err *err);

/* Diagonal K^{L+1}(x_i, x_i) and/or Theta^{L+1}(x_i, x_i) (either NULL). O(n L). */
int nngp_diag(const nngp *m, const double *X, size_t n, double *Kd, double *Td, bl_err *err);

/* The Gram engine's arccos and arcsin on [-1, 1] (fdlibm's rational
 * approximation, branch-free): at most 1 ulp (acos) and 2 ulp (asin) from
 * glibc over [-1, 1] (tests/test_nngp.c). NAN outside. */
double nngp_acos(double x);
double nngp_asin(double x);

/* Depth demo (docs/math.md §4.4). Length map fixed point q* from q0 > 0 (the input's
 * K^1(x,x); for relu at sw2 = 2, sb2 = 0 every q is fixed, so q* = q0);
 * chi1 = sw2 E[phi'(sqrt(q*) z)^2]; c* the stable fixed point of the
 * correlation map started at c = 0 (1 in the ordered phase). Any output may
 * be NULL. BL_ENUM if q diverges (chi1 >= 1 with no finite q*) or an
 * iteration does not settle in 10^5 steps. */
int nngp_fixed_point(const nngp *m, double q0, double *qstar, double *chi1, double *cstar,
                     bl_err *err);
/* One step of the correlation map at length q: (sw2 E[phi(u)phi(v)] + sb2)/q'
 * with q' the next length (so the map is exact also off the fixed point). */
double nngp_corr_map(const nngp *m, double q, double c);

/* Probabilists' Gauss-Hermite rule (weight exp(-z^2/2)/sqrt(2 pi)) of order n
 * (1..NNGP_GH_MAX) by Golub-Welsch (LAPACK dstev): nodes z ascending, weights
 * w summing to 1. BL_EINVAL, BL_ENOMEM, BL_ENUM. O(n^2) memory. */
int nngp_gh_rule(size_t n, double *z, double *w, bl_err *err);

/* ---- Spectra of per-layer NNGP Grams, docs/math.md §6 (core/spectrum) ----------- */

typedef struct nngp_layer_spectrum {
    double rankme;     /* RankMe with sigma = sqrt(lambda) */
    double erank_vn;   /* von Neumann effective rank */
    double alpha;      /* alpha-ReQ over the default window; NAN if too few points */
    size_t j_lo, j_hi; /* the alpha window (always display it) */
} nngp_layer_spectrum;

/* For each layer l = 1..L+1 of m on X (n x in_dim): eigenvalues of the
 * NNGP Gram K^l into lam[(l-1) n .. l n - 1], descending, and their
 * summaries into sp[l-1] (may be NULL). lam must hold (L+1) n doubles.
 * O(L n^2 + L n^3). BL_EINVAL, BL_ENOMEM, BL_ENUM, BL_ECANCEL. */
int nngp_layer_spectra(const nngp *m, const double *X, size_t n, double *lam,
                       nngp_layer_spectrum *sp, const bl_cancel *cancel, bl_err *err);

#endif
