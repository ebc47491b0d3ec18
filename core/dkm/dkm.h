/* core/dkm/dkm.h - the deep kernel machine (docs/dkm.md).
 *
 * Conventions (those of core/kernel/nngp.h, so that nu -> infinity is the
 * NNGP exactly): a net of depth L has NNGP layers 1..L+1, K^1 = sw2 x.x'/d +
 * sb2 and K^{l+1} = sw2 E[phi(u)phi(v)] + sb2 under N(0, K^l). The DKM keeps
 * G_0 = K^1 fixed and learns the n x n Grams G_1..G_L on the observed inputs,
 * G_l in the place of NNGP layer l+1. K(G) is the NNGP map applied entrywise
 * to a Gram (entry ij from the 2x2 [[G_ii, G_ij], [G_ij, G_jj]]). The
 * objective (maximised) is
 *   F = log N(y; 0, G_L + noise^2 I) - sum_l nu_l KL(N(0, G_l) || N(0, K(G_{l-1}))),
 *   KL(N(0,G) || N(0,K)) = 0.5 [tr(K^-1 G) - n + log det K - log det G],
 * noise the sd, as `model gp`'s. At nu = infinity the optimum is G_l =
 * K^{l+1} and F is the NNGP GP's log marginal likelihood.
 *
 * Parameters: G_l = V_l V_l^T with V_l lower triangular (n(n+1)/2 numbers
 * per layer, packed column by column), so log det G_l = 2 sum log |V_l,ii|
 * and the G_l^-1 term of the gradient is diag(1/V_ii). Start: the NNGP
 * Grams (the nu = infinity optimum). The gradient through K(G) uses the
 * partial derivatives of E[phi phi] in k11, k12, k22: d/dk12 = E[phi' phi']
 * (Price), and for the closed forms (relu, leaky_relu, abs: degree-1
 * homogeneous, so dE/dk11 = (E - k12 E')/(2 k11); erf: dE/dk11 =
 * -E' k12/(1 + 2 k11)). Quadrature activations are refused.
 *
 * Arrivals (dkm_observe): the one-step predictive at x under the current
 * Grams, then every G_l extended to x by the Gaussian conditional of the
 * layer given the previous one (G_{*x} = K_{*x} K^-1 G_l, G_** = K_** -
 * K_{*x} K^-1 K_{x*} + K_{*x} K^-1 G_l K^-1 K_{x*}); O(L n^2). The
 * conditionals of G and K(G) at the new point agree, so the KL terms do not
 * change and the log-likelihood grows by the log predictive (chain rule).
 *
 * Optimiser: L-BFGS (DKM_LBFGS_MEMORY pairs, backtracking Armijo search),
 * steppable: dkm_iterate(m, k, ...) runs k iterations from the state kept in
 * m, so that a paced job can drive it. OpenBLAS is pinned to one thread
 * inside (same digits for every thread count). */
#ifndef BAYESLENS_CORE_DKM_H
#define BAYESLENS_CORE_DKM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"
#include "core/kernel/nngp.h"

#define DKM_MAX_DEPTH    16 /* learned layers L */
#define DKM_LBFGS_MEMORY 20

typedef struct dkm_opts {
    nngp_act act;             /* relu, erf, leaky_relu or abs */
    size_t depth;             /* L, 1..DKM_MAX_DEPTH */
    double sw2, sb2, slope;   /* as nngp_opts */
    double noise;             /* sd, >= 0 */
    double nu[DKM_MAX_DEPTH]; /* per layer, > 0 */
} dkm_opts;

typedef struct dkm dkm;

/* The objective's parts at the current Grams. */
typedef struct dkm_terms {
    double objective;          /* F */
    double loglik;             /* log N(y; 0, G_L + noise^2 I) */
    double kl[DKM_MAX_DEPTH];  /* KL of layer l at kl[l-1] (unweighted) */
} dkm_terms;

typedef enum {
    DKM_RUNNING = 0, /* not converged yet */
    DKM_GRADIENT,    /* max |grad| <= tol */
    DKM_RELCHANGE,   /* step decreased -F by <= 1e-12 max(|F|, 1) */
    DKM_STALLED,     /* no decrease along steepest descent */
} dkm_stop;

const char *dkm_stop_name(dkm_stop s);

/* Activations with the derivatives the DKM needs (closed forms). */
bool dkm_act_ok(nngp_act act);
#define DKM_ACTS "relu, erf, leaky_relu, abs"

/* Checks o (one-line messages naming the key). */
int dkm_check(const dkm_opts *o, bl_err *err);

/* An empty DKM (n = 0) on inputs of dimension in_dim. */
dkm *dkm_alloc(size_t in_dim, const dkm_opts *o, bl_err *err);
void dkm_free(dkm *m); /* NULL: no-op */

/* All of X (n x in_dim row-major), y at once, Grams at the NNGP's (replaces
 * what m held). O(L n^3). BL_ENUM when an NNGP Gram is not positive
 * definite (duplicate inputs). */
int dkm_set_data(dkm *m, const double *X, const double *y, size_t n, bl_err *err);

/* One arrival: predictive at x scored on y (logpred, mean, var with noise;
 * any may be NULL), then the Grams extended to x. O(L n^2). */
int dkm_observe(dkm *m, const double *x, double y, double *logpred, double *mean, double *var,
                bl_err *err);

size_t dkm_n(const dkm *m);
const dkm_opts *dkm_get_opts(const dkm *m);
/* True while no optimiser step has moved the Grams off the NNGP's. */
bool dkm_at_nngp(const dkm *m);
/* Objective, log-likelihood and KLs of the current Grams (O(1), kept up to
 * date by every arrival and step). */
void dkm_get_terms(const dkm *m, dkm_terms *t);

/* Gram of layer l (0..L; 0 is the fixed K^1), n x n, both triangles. O(n^3)
 * for l >= 1 (V V^T). */
int dkm_gram(const dkm *m, size_t l, double *G, bl_err *err);

/* Predictive at ns inputs Xs (row-major): mean, latent variance var_f and
 * var_y = var_f + noise^2 (any may be NULL). O(ns L n^2). */
int dkm_predict(const dkm *m, const double *Xs, size_t ns, double *mean, double *var_f,
                double *var_y, bl_err *err);

/* ---- Optimiser ----------------------------------------------------------- */

/* Number of parameters, L n (n+1) / 2. */
size_t dkm_dim(const dkm *m);
/* The current parameters (packed V_l, layer after layer, each column by
 * column of its lower triangle). */
void dkm_get_params(const dkm *m, double *theta);
/* F and dF/dtheta at theta (grad may be NULL) without changing the state.
 * BL_ENUM with F = -inf where a Gram is not positive definite. O(L n^3). */
int dkm_eval(dkm *m, const double *theta, double *F, double *grad, dkm_terms *t, bl_err *err);

typedef struct dkm_iter_info {
    size_t iterations;  /* taken by this call */
    size_t total;       /* since the data last changed */
    double objective;   /* F at the current point */
    double grad_norm;   /* max |dF/dtheta| */
    dkm_stop stop;      /* DKM_RUNNING: more iterations may help */
} dkm_iter_info;

/* Progress after each iteration (may be NULL). */
typedef void (*dkm_progress)(void *ctx, size_t iter, double objective, double grad_norm);

/* Up to k L-BFGS iterations from the state m keeps (the curvature pairs
 * survive between calls; an arrival resets them), stopping early at
 * convergence (max |grad| <= tol; tol <= 0: 1e-6). Polls cancel between
 * iterations (BL_ECANCEL, the point reached kept). n = 0: BL_ESTATE. */
int dkm_iterate(dkm *m, size_t k, double tol, dkm_progress progress, void *ctx,
                dkm_iter_info *info, const bl_cancel *cancel, bl_err *err);

/* ---- Spectra ------------------------------------------------------------- */

/* Relative Frobenius distance |G_l - K^{l+1}|_F / |K^{l+1}|_F of layer l
 * (1..L) from the NNGP's Gram on the same inputs. O(n^3). */
int dkm_nngp_distance(const dkm *m, size_t l, double *dist, bl_err *err);

/* Eigenvalues (descending) of layers 1..L+1 (layer 1: K^1, layer l+1: G_l)
 * restricted to the first k <= n inputs (the Grams' leading blocks) into lam
 * ((L+1) x k) and their RankMe effective ranks into rank (L+1; may be NULL;
 * NAN where undefined). O(L n^3). */
int dkm_layer_spectra(const dkm *m, size_t k, double *lam, double *rank, const bl_cancel *cancel,
                      bl_err *err);

#endif
