/* core/target.h - log densities (targets) for the samplers of core/sampler.h.
 *
 * A target is a density pi(w) proportional to exp(-U(w)) on R^d (docs/math.md §9).
 * One interface serves every sampler:
 *  - U(w) and grad U(w) in one call (target_eval);
 *  - for targets made of N data points, U = U0 + sum_i U_i with the prior
 *    term U0 = (alpha/2)|w|^2, and the SGLD minibatch estimate
 *    grad U0 + (N/b) sum_{i in B} grad U_i (target_grad_minibatch);
 *  - the reference moments when known: exact (Gaussian posteriors, the NIG
 *    marginal t, the 2-D teaching densities) or a Laplace approximation
 *    (logistic regression), for the diagnostics of core/diag.h;
 *  - exact iid draws when they are cheap (target_draw), for the "exact"
 *    sampler, the baseline every chain is compared with.
 *
 * Kinds and their U (all formulas as implemented):
 *  gauss      U = (1/2)(w-mu)^T P (w-mu), P SPD.
 *  blr        BLR posterior from sufficient statistics (docs/math.md §2.1): precision
 *             A = alpha I + beta G, G = X^T X, mean m = A^-1 beta X^T y;
 *             U = (1/2)(w-m)^T A (w-m), grad = A(w-m) = beta(Gw - X^T y) + alpha w.
 *             O(d^2) per evaluation; U is written around m, not expanded as
 *             beta/2 |y - Xw|^2, so no cancellation against y^T y.
 *  blr_data   the same posterior holding X (n x d) and y: r = Xw - y,
 *             U = (beta/2)|r|^2 + (alpha/2)|w|^2, grad = beta X^T r + alpha w:
 *             two dgemv passes over X, O(nd). U_i = (beta/2) r_i^2.
 *  nig        marginal posterior of w under the NIG prior (docs/math.md §2.4), a
 *             multivariate t with 2 a_n dof: with q = (w-m_n)^T V_n^-1 (w-m_n),
 *             U = (a_n + d/2) log(1 + q/(2 b_n)),
 *             grad = (a_n + d/2) V_n^-1 (w-m_n) / (b_n + q/2). O(d^2).
 *             Mean m_n, covariance b_n/(a_n-1) V_n (a_n > 1). The Gibbs
 *             sampler of core/sampler.h samples (w, s2) from docs/math.md §2.4.
 *  logistic   U = sum_i softplus(-y_i x_i.w) + (alpha/2)|w|^2, y_i in {-1,+1},
 *             softplus(z) = max(z,0) + log1p(exp(-|z|)) (docs/math.md §9); moments:
 *             Laplace N(w_MAP, (X^T D X + alpha I)^-1) found by damped Newton at
 *             allocation.
 *  student_t  U = sum_i ((nu+1)/2) log(1 + r_i^2/(nu sigma^2)) + (alpha/2)|w|^2,
 *             r = y - Xw (docs/math.md §9); no reference moments (run Gibbs).
 *  The 2-D teaching densities (after chi-feng/mcmc-demo, formulas ours), all
 *  with exact moments and (except donut) exact draws:
 *  banana     x1 ~ N(0, a^2), x2 | x1 ~ N(b(x1^2 - a^2), s^2), a = 1.5, b = 0.5,
 *             s = 0.5: U = x1^2/(2a^2) + (x2 - b(x1^2 - a^2))^2/(2s^2).
 *             Mean 0; Var x1 = a^2, Var x2 = s^2 + 2 b^2 a^4, Cov = 0.
 *  donut      U = (|x| - r)^2/(2 s^2), r = 2.5, s = 0.3 (grad 0 at x = 0).
 *             Mean 0; Cov = E[|x|^2]/2 I by Simpson quadrature of the radial law.
 *  mixture    equal-weight isotropic Gaussians, sd 0.6, means (-1.5,-1),
 *             (1.5,-1), (0,1.6); U = -log sum_k (1/3) N(x; mu_k, 0.36 I) (lse).
 *  funnel     Neal's funnel, w = (x, v): v ~ N(0, 9), x | v ~ N(0, e^v):
 *             U = v^2/18 + x^2 e^-v/2 + v/2. Mean 0; Var x = e^4.5, Var v = 9.
 *  squiggle   z = (x1, x2 + sin(5 x1)) ~ N(0, S), S = [[2, 0.25], [0.25, 0.5]]
 *             (unit Jacobian): U = z^T S^-1 z/2. Moments in closed form from
 *             E sin^2(5 z1), E z1 sin(5 z1) (see target.c).
 *  modes      two isolated modes: equal-weight isotropic Gaussians, sd 0.5, means
 *             (-4, 0) and (4, 0) (16 sd apart; a random walk of sd 0.5 never
 *             crosses): U = -log sum_k (1/2) N(x; mu_k, 0.25 I) (lse).
 *             Mean 0; Var x1 = 16 + 0.25, Var x2 = 0.25, Cov = 0.
 *  funnel_nc  the funnel non-centred, w = (z, v), x = z e^(v/2): z ~ N(0, 1),
 *             v ~ N(0, 9) independent: U = z^2/2 + v^2/18. Mean 0; Cov
 *             diag(1, 9). The same law as funnel after the change of variables.
 *  normal     the standard normal in d dimensions (target_normal_alloc):
 *             U = |w|^2/2, grad = w, O(d). Mean 0, Cov I; |w| concentrates at
 *             sqrt(d - 1/2) (the typical set, docs/math.md §9).
 *
 * Non-finite values: target_eval returns BL_ENUM (with a message naming U or
 * the gradient) when U or a gradient entry is NaN or infinite, e.g. far in the
 * funnel's neck; the sampler rejects that step and counts it. No target ever
 * aborts. Targets are not thread-safe (they own scratch); chains of an
 * ensemble share one target sequentially. */
#ifndef BAYESLENS_CORE_TARGET_H
#define BAYESLENS_CORE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "core/blr/blr.h"
#include "core/base/err.h"

#define TARGET_MAX_DIM 4096 /* as BLR_MAX_DIM: O(d^2) storage */

typedef enum {
    TARGET_GAUSS = 0,
    TARGET_BLR,
    TARGET_BLR_DATA,
    TARGET_NIG,
    TARGET_LOGISTIC,
    TARGET_STUDENT_T,
    TARGET_BANANA,
    TARGET_DONUT,
    TARGET_MIXTURE,
    TARGET_FUNNEL,
    TARGET_SQUIGGLE,
    TARGET_MODES,
    TARGET_FUNNEL_NC,
    TARGET_NORMAL,
    TARGET_NKINDS
} target_kind;

/* What target_moments can give. */
typedef enum {
    TARGET_MOMENTS_NONE = 0, /* unknown (student_t) */
    TARGET_MOMENTS_EXACT,    /* exact mean and covariance */
    TARGET_MOMENTS_LAPLACE,  /* Laplace approximation (logistic) */
} target_moments_kind;

/* Read-only view of a target's data and hyperparameters, for samplers that
 * need more than U (Gibbs) and for the UI. Pointers are borrowed from the
 * target, valid until target_free; fields that do not apply are 0 / NULL. */
typedef struct target_info {
    target_kind kind;
    size_t d;           /* dimension of w */
    size_t n;           /* data points (N) for blr_data, logistic, student_t, nig; 0 otherwise */
    const double *X;    /* n x d row-major: blr_data, logistic, student_t */
    const double *y;    /* n: blr_data, logistic (labels -1/+1), student_t */
    const double *G;    /* X^T X (d x d, full): blr, blr_data, nig */
    const double *xty;  /* X^T y (d): blr, blr_data, nig */
    double yty;         /* y^T y: blr, blr_data, nig */
    double alpha, beta; /* prior precision (all data kinds), noise precision (blr*) */
    double nu, sigma;   /* student_t degrees of freedom and scale */
    double v0, a0, b0;  /* nig prior: w | s2 ~ N(0, s2 v0 I), s2 ~ IG(a0, b0) */
    double an, bn;      /* nig posterior a_n, b_n */
} target_info;

typedef struct target target;

/* Gaussian with mean mu (d) and precision P (d x d row-major, SPD; lower
 * triangle read). BL_EINVAL for d outside 1..TARGET_MAX_DIM, non-finite
 * entries; BL_ENUM if P is not positive definite; BL_ENOMEM. O(d^3). */
target *target_gauss_alloc(size_t d, const double *mu, const double *P, bl_err *err);
/* BLR posterior from sufficient statistics (see the file comment): G (d x d,
 * full, symmetric), xty (d), alpha > 0, beta > 0. O(d^3) once (Cholesky of A). */
target *target_blr_alloc(size_t d, const double *G, const double *xty, double yty, double alpha,
                         double beta, bl_err *err);
/* The posterior of a blr_model: a BLR_KNOWN model gives a "blr" target with
 * its alpha, beta and statistics; a BLR_NIG model gives a "nig" target (m0 = 0,
 * V0 = v0 I, a0, b0). Reads blr_gram (which may refresh m's cache, see blr.h). */
target *target_from_blr(const blr_model *m, bl_err *err);
/* Data-backed BLR posterior: copies X (n x d row-major) and y (n). n >= 1.
 * O(n d^2) once (G for the exact moments). */
target *target_blr_data_alloc(size_t n, size_t d, const double *X, const double *y, double alpha,
                              double beta, bl_err *err);
/* NIG marginal posterior from statistics of n points (n may be 0); v0, a0,
 * b0 > 0. The data are not kept, so Gibbs uses the statistics. */
target *target_nig_alloc(size_t d, size_t n, const double *G, const double *xty, double yty,
                         double v0, double a0, double b0, bl_err *err);
/* Bayesian logistic regression: copies X (n x d) and labels y (n, each -1
 * or +1; anything else is BL_EINVAL naming the row), alpha > 0. Runs Newton
 * to w_MAP (at most 100 damped steps; BL_ENUM if it does not converge). */
target *target_logistic_alloc(size_t n, size_t d, const double *X, const double *y, double alpha,
                              bl_err *err);
/* Student-t likelihood regression: copies X, y; nu > 0, sigma > 0, alpha > 0. */
target *target_student_t_alloc(size_t n, size_t d, const double *X, const double *y, double nu,
                               double sigma, double alpha, bl_err *err);
/* A 2-D teaching density (banana, donut, mixture, funnel, squiggle, modes,
 * funnel_nc) with the parameters of the file comment; BL_EINVAL for any other
 * kind. */
target *target_toy_alloc(target_kind kind, bl_err *err);
/* The standard normal in d dimensions (1..TARGET_MAX_DIM). O(d) per
 * evaluation; the moments take d x d. */
target *target_normal_alloc(size_t d, bl_err *err);
void target_free(target *t); /* NULL is a no-op */

size_t target_dim(const target *t);
target_kind target_get_kind(const target *t);
/* Short name of a kind ("gauss", "blr", ..., "squiggle"); "?" if out of range. */
const char *target_kind_name(target_kind kind);
/* Kind from a name (exact match); -1 if unknown. */
int target_kind_from_name(const char *name);
void target_get_info(const target *t, target_info *info);

/* U(w) into *U and, when grad is not NULL, grad U(w) into grad (d). Cost per
 * kind in the file comment. BL_ENUM when U or the gradient is not finite (the
 * outputs are then unspecified, *err names which); BL_OK otherwise. */
int target_eval(target *t, const double *w, double *U, double *grad, bl_err *err);

/* N for targets made of data points (blr_data, logistic, student_t), else 0. */
size_t target_npoints(const target *t);
/* grad U_i(w) (one data point, without the prior) into g (d). BL_EINVAL if
 * the target has no points or i >= N; BL_ENUM if not finite. O(d). */
int target_grad_point(target *t, const double *w, size_t i, double *g, bl_err *err);
/* The minibatch gradient of SGLD (docs/math.md §9):
 * g = alpha w + (N/b) sum_{k<b} grad U_{idx[k]}(w). Indices may repeat.
 * BL_EINVAL if the target has no points, b == 0 or an index >= N; BL_ENUM if
 * not finite. O(b d). */
int target_grad_minibatch(target *t, const double *w, const size_t *idx, size_t b, double *g,
                          bl_err *err);

/* Reference moments: copies the mean (d) and covariance (d x d, full) when
 * known and returns their kind; mean or cov may be NULL. O(d^2). */
target_moments_kind target_moments(const target *t, double *mean, double *cov);

/* True if target_draw works for this target (gauss, blr, blr_data, nig,
 * banana, mixture, funnel, squiggle, modes, funnel_nc, normal). */
bool target_can_draw(const target *t);
/* One exact iid draw into w (d). For nig, *aux (may be NULL) receives the
 * noise variance s2 drawn with it; other kinds leave it untouched.
 * BL_EINVAL if !target_can_draw. O(d^2). */
int target_draw(const target *t, gsl_rng *rng, double *w, double *aux, bl_err *err);

#endif
