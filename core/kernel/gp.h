/* core/gp.h - Gaussian and Student-t process regression on streamed data.
 *
 * docs/math.md §1.1-1.3, 5.1, 5.2, 5.4. Model: y = f(X) + noise, f ~ GP(m, k),
 * Ky = K + noise I, m the mean function (zero, a constant c, a + b.x, or the
 * data mean; gp_set_mean). State: inputs X, targets y, the lower Cholesky
 * factor L of Ky (row-major, leading dimension = capacity), z = L^-1 (y - m),
 * q = (y - m)^T Ky^-1 (y - m) = |z|^2, log det Ky = 2 sum log L_ii, and the
 * log marginal likelihood kept as the sum of one-step log predictives
 * log p(y_t | y_<t) = log N(y_t; m(x_t) + l.z, L_tt^2) (chain rule, equal to
 * the batch formula to rounding; under the data mean it is the batch value
 * at the current mean, see GP_MEAN_DATA). Each arrival extends L by one row,
 * l = L^-1 k(X, x), L_tt = sqrt(k(x,x) + noise - l.l) (docs/math.md §5.1), O(n^2)
 * plus n kernel evaluations; nothing is refitted except by gp_fit (batch)
 * and gp_optimize. Pivots at or below 1e-13 k(x,x) count as failure and go
 * up the jitter ladder (1e-10 .. 1e-4 times the mean of diag Ky, docs/math.md §1.2)
 * [C]; the jitter used stays in the factor (Ky gets + j on that diagonal
 * entry) and the largest one is reported by gp_jitter. Arrivals known
 * together extend the factor by a block instead (gp_observe_block, BLAS-3,
 * docs/gp-blocks.md), with the same per-arrival predictives.
 * Student-t process (docs/math.md §5.1): s ~ IG(a, b), y | s ~ N(0, s Ky) (noise
 * scaled [C]); everything follows from (n, q, log det Ky), so the same object
 * serves the GP, the TP for any (a, b), and the other scale priors (5.2).
 * Latent-variance convention: var_f = k(x*,x*) - v.v with k(x*,x*) from
 * kernel_diag, so a white() term in the kernel counts as part of f. */
#ifndef BAYESLENS_CORE_GP_H
#define BAYESLENS_CORE_GP_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "core/base/err.h"
#include "core/kernel/kernel.h"

#define GP_MAX_N 50000 /* points; beyond this the O(n^2) factor is too large */

typedef struct gp gp; /* opaque */

/* The prior mean m(x) = h(x)^T beta. */
typedef enum {
    GP_MEAN_ZERO = 0, /* m = 0 */
    GP_MEAN_CONST,    /* m = c: beta = (c) */
    GP_MEAN_LINEAR,   /* m = a + b.x: beta = (a, b_1..b_d) */
    /* m = the mean of the targets observed so far, fixed (no hyperparameter,
     * 0 before the first point). Arrival t is predicted under the mean of
     * the t - 1 before it; the state after it (z, q, the log ML) is at the
     * mean of all t, so gp_log_ml is the batch value at the current mean (a
     * plug-in, as scikit-learn's fit of y - mean(y)), not the sum of the
     * one-step predictives. O(n^2) more per point arrival (z anew). */
    GP_MEAN_DATA
} gp_mean_kind;

#define GP_MEAN_MAX_DIM    16 /* mean=linear: inputs of dimension at most this */
#define GP_MEAN_MAX_PARAMS (1 + GP_MEAN_MAX_DIM)

/* New empty model. Takes ownership of k (also on failure: k is freed).
 * noise = s2n >= 0 and finite. NULL + BL_EINVAL / BL_ENOMEM. */
gp *gp_alloc(kernel *k, double noise, bl_err *err);
void gp_free(gp *g); /* NULL is a no-op; frees the kernel */
gp *gp_copy(const gp *g, bl_err *err);

/* Set the mean of a model without points: kind and beta (gp_mean_nparams
 * entries; NULL: zeros). BL_EINVAL (n > 0, unknown kind, beta not finite,
 * linear on inputs of dimension > GP_MEAN_MAX_DIM), g unchanged. The zero
 * mean is the default. */
int gp_set_mean(gp *g, gp_mean_kind kind, const double *beta, bl_err *err);
gp_mean_kind gp_mean(const gp *g);
const char *gp_mean_name(gp_mean_kind kind); /* "zero", "const", "linear", "data" */
/* The mean's hyperparameters (optimised by gp_optimize): 0 (zero, data), 1
 * (const), 1 + in_dim (linear); names "mean.c", "mean.a", "mean.b" (in_dim
 * 1) or "mean.b1".. (NULL out of range), values (NAN out of range). */
size_t gp_mean_nparams(const gp *g);
const char *gp_mean_param_name(const gp *g, size_t i);
double gp_mean_param_value(const gp *g, size_t i);
/* m(x) (data: the current data mean). */
double gp_mean_at(const gp *g, const double *x);

size_t gp_n(const gp *g);
size_t gp_in_dim(const gp *g);
double gp_noise(const gp *g);
const kernel *gp_kernel(const gp *g);  /* borrowed, valid until g changes */
double gp_jitter(const gp *g);         /* largest jitter added so far (0 if none) */
double gp_log_ml(const gp *g);         /* log p(y_1..n), incremental; 0 when n = 0 */
double gp_quad(const gp *g);           /* q = y^T Ky^-1 y */
double gp_logdet(const gp *g);         /* log det Ky (with any jitter) */
/* Copy of the factor L (n x n row-major, upper triangle 0) into out. */
void gp_factor(const gp *g, double *out);
/* alpha = Ky^-1 (y - m) into out (n). O(n^2). */
void gp_alpha(const gp *g, double *out);

/* One arrival (x of length in_dim, y): extend the factor by one row.
 * *logpred (may be NULL) receives the one-step log predictive density
 * log p(y | past) evaluated before the update. O(n^2 + n kernel evals).
 * BL_EINVAL (non-finite x or y), BL_ENOMEM, BL_ENUM (pivot not positive
 * even with the largest jitter: x duplicates a point and noise = 0), g
 * unchanged on error. */
int gp_observe(gp *g, const double *x, double y, double *logpred, bl_err *err);

/* One arrival as the block and point paths see it: the one-step
 * predictive of y_i given every earlier point (the Gaussian at s = 1) and
 * the state after y_i. */
typedef struct gp_arrival {
    double mean;           /* predictive mean l.z */
    double var;            /* predictive variance of y_i: the pivot L_ii^2 */
    double resid;          /* standardized residual z_i = (y_i - mean) / L_ii */
    double logpred;        /* log N(y_i; mean, var) */
    double q, logdet, lml; /* gp_quad, gp_logdet, gp_log_ml after y_i */
} gp_arrival;

/* m arrivals at once (X m x in_dim, y m): the factor grows by a block,
 * W = K(X, X_old) L^-T (dtrsm), Schur complement S = K(X, X) + noise I -
 * W W^T (dsyrk), L22 = chol(S) (dpotrf), z2 = L22^-1 (y - W z); O(n^2 m +
 * n m^2 + m^3/3) plus n m + m^2/2 kernel evaluations. out[i] (may be NULL)
 * receives arrival i as gp_observe would have scored it: equal to m calls
 * of gp_observe to rounding (the factor rows are the same unique Cholesky
 * rows). If any pivot of S is at or below the point path's threshold (the
 * block would need jitter), nothing changes, *need_jitter is set and BL_OK
 * returned: the caller then feeds the block to gp_observe point by point,
 * which owns the jitter ladder (docs/gp-blocks.md). m = 0 does nothing.
 * Errors as gp_observe (BL_EINVAL, BL_ENOMEM, BL_ECANCEL, BL_ENUM), g
 * unchanged except for its capacity. */
int gp_observe_block(gp *g, const double *X, const double *y, size_t m, gp_arrival *out,
                     bool *need_jitter, const bl_cancel *cancel, bl_err *err);

/* Replace the data by X (n x in_dim), y (n) and factor from scratch: one
 * Gram build and one in-place LAPACK dpotrf with the jitter ladder
 * (gp_cholesky). log ML from the batch formula. O(n^3/3). g unchanged on
 * error (BL_EINVAL, BL_ENOMEM, BL_ENUM, BL_ECANCEL). */
int gp_fit(gp *g, const double *X, const double *y, size_t n, const bl_cancel *cancel, bl_err *err);

/* Predictive at m inputs Xs (m x in_dim): mean (m(x*) + k*^T alpha), var_f (latent, no noise) and
 * var_y (= var_f + noise); any output may be NULL. Prior when n = 0.
 * O(m n^2) (one triangular solve with m right-hand sides, in chunks).
 * BL_EINVAL (m = 0), BL_ENOMEM, BL_ECANCEL. */
int gp_predict(const gp *g, const double *Xs, size_t m, double *mean, double *var_f, double *var_y,
               const bl_cancel *cancel, bl_err *err);

/* Posterior draws of f at Xs (m points) from given standard normals
 * Z (ndraws x m): F_r = mean + C Z_r with C C^T = cov_f + jitter I, jitter
 * 1e-8 mean(diag cov_f) (a floor that keeps the draws the same on every BLAS
 * kernel) plus the ladder's.
 * Fixed Z gives draws that move smoothly as data arrive. F is ndraws x m.
 * *jitter (may be NULL) receives the jitter. O(m^3 + m^2 n + n^2 m).
 * BL_EINVAL, BL_ENOMEM, BL_ENUM. */
int gp_draws(const gp *g, const double *Xs, size_t m, const double *Z, size_t ndraws, double *F,
             double *jitter, bl_err *err);

/* The in-place Cholesky used by gp_fit: A (n x n row-major, leading
 * dimension lda >= n, both triangles holding the symmetric matrix) becomes
 * L in its lower triangle (upper zeroed) with L L^T = A + j I, j from the
 * ladder of docs/math.md §1.2, *jitter = j. No n^2 scratch: the strict upper
 * triangle keeps the original while the lower one is factored, so a failed
 * attempt is restored in O(n^2). On failure A is restored, BL_ENUM. */
int gp_cholesky(double *A, size_t n, size_t lda, double *jitter, bl_err *err);

/* ---- Student-t process: s ~ IG(a, b), docs/math.md §5.1 -------------------------- */

typedef struct gp_tp_pred {
    double loc;      /* mu* = k*^T Ky^-1 y */
    double scale2_f; /* ((2b+q)/(2a+n)) Sig*, latent */
    double scale2;   /* ((2b+q)/(2a+n)) (Sig* + noise), for y* */
    double df;       /* 2a + n */
    double var;      /* scale2 df/(df-2), +inf when df <= 2 */
} gp_tp_pred;

/* log p(y) of the multivariate t (nu = 2a, scale (b/a) Ky). a, b > 0.
 * O(1) from the state. BL_EINVAL. */
int gp_tp_log_ml(const gp *g, double a, double b, double *lml, bl_err *err);
/* The same from a state (n points, quadratic form q, log det Ky): what a
 * block computation tracks per arrival. O(1). a, b > 0 unchecked. */
double gp_tp_log_ml_at(double a, double b, double n, double q, double logdet);
/* One-step Student-t predictive from the state before the arrival (n, q)
 * and the Gaussian predictive (mu, var_y) at s = 1; returns log p(y | past)
 * and fills *p (may be NULL; scale2_f is NAN). a, b > 0 unchecked. O(1). */
double gp_tp_step(double a, double b, double n, double q, double mu, double var_y, double y,
                  gp_tp_pred *p);
/* Predictive t at m inputs into out[0..m-1]. Cost of gp_predict. */
int gp_tp_predict(const gp *g, double a, double b, const double *Xs, size_t m, gp_tp_pred *out,
                  bl_err *err);
/* log density of the predictive t at one input xs for target ys (the
 * one-step log-loss term when called before gp_observe(xs, ys)). */
int gp_tp_logpdf(const gp *g, double a, double b, const double *xs, double ys, double *lp,
                 bl_err *err);

/* ---- Other scale priors, docs/math.md §5.2 -------------------------------------- */

typedef enum {
    GP_SCALE_POINT = 0, /* s = p1 */
    GP_SCALE_INVGAMMA,  /* IG(a = p1, b = p2) */
    GP_SCALE_GAMMA,     /* Gamma(shape p1, scale p2) */
    GP_SCALE_BURR12,    /* Burr XII(c = p1, d = p2): c d s^(c-1) (1 + s^c)^(-d-1) */
    GP_SCALE_HALFCAUCHY /* sqrt(s) ~ half-Cauchy(scale p1) */
} gp_scale_kind;

typedef struct gp_scale_prior {
    gp_scale_kind kind;
    double p1, p2; /* see gp_scale_kind; all > 0 */
} gp_scale_prior;

/* Results; the predictive fields are NAN unless a test input was given. */
typedef struct gp_scale_result {
    double log_ml;    /* log p(y) */
    double mean_s;    /* E[s | y] */
    double pred_mean; /* mu* */
    double pred_var;  /* E[s|y] (Sig* + noise) */
    double logpdf;    /* log p(y* | y) */
    /* importance sampling only (0 for quadrature): Monte Carlo standard
     * errors (delta method) and the effective sample size */
    double log_ml_se, mean_s_se, logpdf_se, ess;
} gp_scale_result;

/* Validate a prior ("burr12 c=-1: must be > 0"). */
int gp_scale_prior_check(const gp_scale_prior *pr, bl_err *err);
/* log p(s) (-inf for s <= 0; point mass: not a density, returns NAN). */
double gp_scale_prior_logpdf(const gp_scale_prior *pr, double s);

/* Quadrature on u = log s over [-30, 30] (trapezoid in log space, step
 * min(0.01, sqrt(2/n)/20), which resolves the posterior's width ~sqrt(2/n))
 * [C]. xs (in_dim, may be NULL) and ys give the predictive fields. Point
 * mass: exact. O(grid + one predictive). BL_EINVAL, BL_ENOMEM. */
int gp_scale_quad(const gp *g, const gp_scale_prior *pr, const double *xs, double ys,
                  gp_scale_result *r, bl_err *err);

/* gp_scale_quad from a state (n, q, logdet) and, when pred, the Gaussian
 * predictive (mu, v = var_y at s = 1) for target ys: the per-arrival form a
 * block computation uses. Same grid, same results. */
int gp_scale_quad_at(const gp_scale_prior *pr, double n, double q, double logdet, bool pred,
                     double mu, double v, double ys, gp_scale_result *r, bl_err *err);

typedef enum {
    GP_IS_PRIOR = 0, /* proposal = prior (the paper's algorithm) */
    GP_IS_IG         /* proposal IG(n/2, q/2), the likelihood kernel in s */
} gp_is_proposal;

/* Importance sampling with nsamp (>= 2) draws from rng. Estimates with
 * their Monte Carlo standard errors and the IS-ESS (sum w)^2 / sum w^2.
 * O(nsamp) after one predictive. Needs n >= 1 for GP_IS_IG. */
int gp_scale_is(const gp *g, const gp_scale_prior *pr, gp_is_proposal prop, size_t nsamp,
                gsl_rng *rng, const double *xs, double ys, gp_scale_result *r, bl_err *err);

/* ---- Hyperparameters ---------------------------------------------------- */

/* Why gp_optimize stopped. */
typedef enum {
    GP_OPT_MAXITER = 0, /* max_iter reached: not converged */
    GP_OPT_GRAD,        /* max |projected gradient| <= tol */
    GP_OPT_RELCHANGE,   /* relative decrease of -log ML below GP_OPT_FTOL */
    GP_OPT_SIMPLEX,     /* Nelder-Mead simplex size <= tol */
    GP_OPT_STALLED,     /* no line search progress even from steepest descent */
    GP_OPT_INTERRUPTED  /* cancel raised: the best point so far was kept */
} gp_opt_stop;

/* The relative-change test, f = -log ML: the step's decrease
 * f_prev - f, or the decrease -g.d/2 the quasi-Newton model predicts for
 * the next one, at most GP_OPT_FTOL max(|f|, 1). At a stiff optimum (the
 * period of kernels.lens: curvature ~5e6) the gradient keeps ~0.1 where f
 * no longer changes beyond its rounding (~1e-9 relative at cond(Ky) ~1e8),
 * so the gradient test alone would never end (docs/optimize.md). */
#define GP_OPT_FTOL 1e-9

/* The box for log-parametrised hyperparameters (theta = log value, noise
 * included): |theta| <= GP_OPT_LOG_BOX, values in about [1e-13, 1e13]; the
 * untransformed ones (linear.c) are unbounded. */
#define GP_OPT_LOG_BOX 30.0
#define GP_OPT_MEMORY  20 /* L-BFGS correction pairs */
/* Default cap in bytes on the pair buffer (kernel_pairs: every pair's kernel
 * derivatives and the leaves' memo) that lets one pass per evaluation build
 * the Gram and the gradient's terms (docs/optimize.md); larger problems take
 * two passes, with the same results. 64 MiB: n = 835 for kernels.lens's
 * kernel (24 doubles a pair). */
#define GP_OPT_PAIRS_MAX ((size_t)64 << 20)
/* Largest change of any log parameter in one iteration (a factor e^2). */
#define GP_OPT_MAX_STEP 2.0

typedef struct gp_opt_opts {
    size_t max_iter; /* iterations, 0 = 200 */
    double tol;      /* max |gradient| (L-BFGS) or simplex-size tolerance, 0 = 1e-5 */
    bool fix_noise;  /* keep the noise; otherwise log noise is optimised too */
    /* Held at their values when not NULL: fix[i] for the kernel's parameters
     * (i < nparams) and then the mean's (nparams + j); L-BFGS only (a box of
     * width 0), BL_EINVAL with Nelder-Mead. */
    const bool *fix;
    bool simplex;    /* force Nelder-Mead even when gradients exist */
    /* Called after every iteration when not NULL (the front end's pump and
     * live progress): iteration number, log ML and max |gradient| at the
     * current point (NAN for Nelder-Mead). It may raise the cancel flag. */
    void (*progress)(void *ctx, size_t iter, double log_ml, double grad_norm);
    void *progress_ctx;
    /* Cap on the pair buffer in bytes, 0 = GP_OPT_PAIRS_MAX: a speed
     * knob only (tests set 1 to compare the two-pass path bit for bit). */
    size_t pairs_max;
} gp_opt_opts;

typedef struct gp_opt_result {
    double log_ml_before, log_ml_after; /* batch log ML at start and end */
    size_t iterations;
    size_t evaluations; /* factorisations of Ky */
    double grad_norm;   /* max |projected gradient| at the end (NAN for Nelder-Mead) */
    gp_opt_stop stop;
    bool used_grad; /* L-BFGS with analytic gradients, else nmsimplex2 */
    bool converged; /* stop is GP_OPT_GRAD, GP_OPT_RELCHANGE or GP_OPT_SIMPLEX */
} gp_opt_result;

/* "gradient", "relative change", "simplex size", "max_iter", "stalled",
 * "interrupted". */
const char *gp_opt_stop_name(gp_opt_stop s);

/* Gradient of the batch log ML at the current parameters w.r.t. the
 * kernel's transformed parameters (grad[0..nparams-1]:
 * 0.5 tr((alpha alpha^T - Ky^-1) dKy/dtheta)), the mean's parameters
 * (grad[nparams..nparams+nm-1], nm = gp_mean_nparams: (dm/dbeta)^T alpha,
 * alpha = Ky^-1 (y - m)) and log noise (grad[nparams + nm]), with Ky^-1
 * formed once from the factor (dpotri) and contracted with every dK/dtheta
 * (kernel_pairs_dot after the one pass of kernel_pairs_gram, or
 * kernel_gram_grad_dot above GP_OPT_PAIRS_MAX). *lml (may be NULL)
 * receives the batch log ML. O(n^3 + nparams n^2), OpenBLAS on one thread.
 * BL_EINVAL (n = 0, kernel without gradient), BL_ENOMEM, BL_ENUM. */
int gp_log_ml_grad(const gp *g, double *grad, double *lml, bl_err *err);

/* Maximise log p(y | theta, beta, noise) over the kernel's transformed
 * parameters, the mean's parameters beta (untransformed, unbounded, outside
 * the step cap) and log noise (docs/optimize.md). With kernel_has_grad: L-BFGS (memory
 * GP_OPT_MEMORY, diagonal initial Hessian) with a strong-Wolfe line search
 * (bracketing and cubic zoom) on -log ML in theta, log parameters clamped
 * to the box GP_OPT_LOG_BOX (active bounds fixed per iteration, the step
 * cut at the box and at GP_OPT_MAX_STEP); each evaluation is one pass over
 * the pairs (the Gram and every pair's derivatives, kernel_pairs) and one
 * Cholesky, and the gradient (only at points that pass the
 * sufficient-decrease test) one dpotri plus O(n^2 nparams) multiply-adds,
 * all in buffers allocated once.
 * Stops on max |projected gradient| <= tol or a relative change below
 * GP_OPT_FTOL. Without gradients: GSL's Nelder-Mead. OpenBLAS runs on one
 * thread for the whole call (restored after), so the result does not
 * depend on OPENBLAS_NUM_THREADS. Polls cancel per evaluation: when it is
 * raised after an improvement, the best point so far is installed and
 * BL_OK returned with stop = GP_OPT_INTERRUPTED; before any improvement,
 * BL_ECANCEL and g unchanged. On success the model is refitted with the
 * best parameters (gp_fit's batch factor). Needs n >= 1 and noise > 0
 * unless fix_noise. On any error (BL_EINVAL, BL_ENOMEM, BL_ENUM,
 * BL_ECANCEL) g is unchanged. The result is accepted only if the log ML
 * did not decrease. */
int gp_optimize(gp *g, const gp_opt_opts *o, gp_opt_result *res, const bl_cancel *cancel,
                bl_err *err);

#endif
