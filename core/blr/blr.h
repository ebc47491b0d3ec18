/* core/blr.h - Bayesian linear regression, online, in information form.
 *
 * docs/math.md §2. Two variants share one object:
 *  - BLR_KNOWN: prior w ~ N(0, I/alpha), noise precision beta (2.1-2.3);
 *  - BLR_NIG:   w | s2 ~ N(0, s2 v0 I), s2 ~ IG(a0, b0), unknown noise (2.4).
 * State: the lower Cholesky factor L of the posterior precision
 *   A = alpha I + beta X^T X      (known noise)
 *   A = I/v0 + X^T X             (NIG; the covariance of w is s2 A^-1)
 * the vector b = beta X^T y (resp. X^T y), the sufficient statistics
 * G = X^T X, X^T y, y^T y, n, and the cached posterior mean.
 * Each arrival costs O(d^2): a rank-1 Cholesky update of L (docs/math.md §2.3)
 * whose rotations also yield the predictive, one back substitution with two
 * right-hand sides (mean and tr A^-1), and a share of a batched update of G
 * (see blr.c). No factorization per point. Inputs here are feature vectors
 * phi (the feature map lives in core/features.h). */
#ifndef BAYESLENS_CORE_BLR_H
#define BAYESLENS_CORE_BLR_H

#include <stddef.h>

#include "core/base/err.h"

#define BLR_MAX_DIM 4096 /* beyond this O(d^2) memory per model gets silly */

typedef enum { BLR_KNOWN = 0, BLR_NIG = 1 } blr_kind;

typedef struct blr_opts {
    blr_kind kind;
    double alpha; /* BLR_KNOWN: prior precision of the weights, > 0 */
    double beta;  /* BLR_KNOWN: noise precision, > 0 */
    double v0;    /* BLR_NIG: prior covariance scale, w | s2 ~ N(0, s2 v0 I), > 0 */
    double a0;    /* BLR_NIG: inverse-gamma shape, > 0 */
    double b0;    /* BLR_NIG: inverse-gamma scale, > 0 */
} blr_opts;

/* The posterior predictive at one input (docs/math.md §2.1 / 2.4). */
typedef struct blr_pred {
    double mean;   /* phi . m */
    double var;    /* predictive variance of y (with noise); NIG: Student-t variance (inf if df <= 2) */
    double var_f;  /* variance of the latent phi . w (without noise); NIG: scale-mixed */
    double df;     /* Student-t degrees of freedom (NIG), 0 for Gaussian (known noise) */
    double scale2; /* Student-t scale^2 (NIG); equals var for Gaussian */
} blr_pred;

typedef struct blr_opt_result {
    int iterations;    /* fixed-point iterations done */
    double gamma;      /* effective number of parameters at the optimum */
    double log_evidence;
} blr_opt_result;

typedef struct blr_model blr_model;

/* New model of dimension d (1..BLR_MAX_DIM) with the prior of *o; NULL and
 * BL_EINVAL / BL_ENOMEM on failure. */
blr_model *blr_alloc(size_t d, const blr_opts *o, bl_err *err);
void blr_free(blr_model *m); /* NULL is a no-op */
/* Deep copy; NULL on allocation failure. */
blr_model *blr_copy(const blr_model *m, bl_err *err);

size_t blr_dim(const blr_model *m);
size_t blr_count(const blr_model *m);             /* points observed */
const blr_opts *blr_options(const blr_model *m);  /* borrowed */

/* One arrival (phi, y). Before the update, the predictive at phi is written to
 * *pred (may be NULL) and log q_t(y) to *logpred (may be NULL): this is what
 * sequential log-loss and regret score (docs/math.md §2.3 "predict first").
 * O(d^2). Non-finite input: BL_EINVAL, model unchanged. */
int blr_observe(blr_model *m, const double *phi, double y, blr_pred *pred, double *logpred,
                bl_err *err);

/* The state after one arrival of a block, as the traces need it. */
typedef struct blr_arrival {
    blr_pred pred;       /* the predictive at phi_j before it */
    double logpred;      /* log q_j(y_j) */
    double logdet;       /* log det A after it */
    double trinv;        /* tr A^-1 after it */
    double log_evidence; /* blr_log_evidence after it */
    double nig_a, nig_b; /* blr_nig_a, blr_nig_b after it */
    double dist;         /* |m - w| after it (NaN without w) */
    double wqw;          /* w^T A^-1 w after it (NaN without w) */
} blr_arrival;

/* nb arrivals at once (Phi nb x d row-major, y nb): the same posterior and,
 * per arrival, the same predictive and state figures as nb calls of
 * blr_observe (to rounding, docs/blocks.md), at BLAS-3 speed: blocks of
 * blk_chunk(d) points in covariance form (A^-1 kept by the model between
 * block calls: dsymm, an nb x nb Cholesky factor of the block's predictive
 * covariance, one dsyrk downdate), and one refactorization of A from the
 * Gram matrix per call (L L^T = A again on return). w (may be
 * NULL) is a fixed vector whose distance to the mean and A^-1-norm are
 * reported per arrival. Points whose prior gain c phi^T A^-1 phi is large
 * (a weak prior, the first ~d points) are taken one at a time inside (same
 * results). Non-finite input: BL_EINVAL naming the point, m unchanged;
 * BL_ENOMEM, m unchanged; a refactorization that fails (BL_ENUM) leaves
 * m partly moved (the session then replays the stream). */
int blr_observe_block(blr_model *m, const double *Phi, const double *y, size_t nb, const double *w,
                      blr_arrival *out, bl_err *err);

/* Predictive at phi (O(d^2)). */
void blr_predict(const blr_model *m, const double *phi, blr_pred *pred);
/* Log density of y under the predictive at phi. */
double blr_logpdf(const blr_model *m, const double *phi, double y);

/* Borrowed pointer to the posterior mean (length d), valid until the next
 * call that changes m. */
const double *blr_mean(const blr_model *m);
/* Posterior covariance of w into cov (d*d, row-major): A^-1 for known noise;
 * for NIG Cov[w|D] = E[s2|D] V_n = b_n/(a_n - 1) A^-1 (the marginal Student-t's
 * covariance; +inf entries while a_n <= 1). O(d^3). BL_ENOMEM possible. */
int blr_cov(const blr_model *m, double *cov, bl_err *err);
/* log det A (of the precision factor; for NIG of V_n^-1). O(1), maintained. */
double blr_logdet_prec(const blr_model *m);
/* tr(A^-1), maintained incrementally by Sherman-Morrison in O(d^2) per point
 * (docs/math.md §2.3), so concentration traces need no factorization. */
double blr_trace_inv_prec(const blr_model *m);
/* Track a fixed vector w (d; NULL stops): from now on blr_tracked_quad
 * returns w^T A^-1 w in O(1), kept as u = L^-1 w, which each arrival's
 * rotations carry in O(d) (u is the solution carried with a zero companion,
 * like h with y = 0) instead of a forward substitution per query. Copied by
 * blr_copy. BL_ENOMEM. */
int blr_track(blr_model *m, const double *w, bl_err *err);
/* w^T A^-1 w of the tracked w, NaN when none. O(d). */
double blr_tracked_quad(const blr_model *m);
/* v^T A^-1 v, O(d^2). */
double blr_quad_inv_prec(const blr_model *m, const double *v);
/* Borrowed pointer to the row-major lower Cholesky factor of A (d*d); the
 * strict upper triangle is zero. */
const double *blr_factor(const blr_model *m);

/* Log evidence log p(y_1..n | X) in closed form (2.1 Bishop form, 2.4 NIG). O(1) from the
 * state: beta |y - X m|^2 + alpha |m|^2 (resp. 2 (b_n - b0)) is maintained online as the
 * sum of squared innovations, so no cancellation occurs (see blr.c). */
double blr_log_evidence(const blr_model *m);
/* NIG posterior a_n, b_n (0 for known noise). */
double blr_nig_a(const blr_model *m);
double blr_nig_b(const blr_model *m);

/* Sufficient statistics: borrowed G = X^T X (d*d row-major, full), X^T y, y^T y.
 * Observe buffers up to 16 feature rows and adds them to the lower triangle
 * of G in one pass; blr_gram adds any pending rows and mirrors the lower
 * triangle onto the upper one on first access after an update (O(d^2), a
 * cache inside m: do not call it concurrently with other readers of the same
 * model). */
const double *blr_gram(const blr_model *m);
/* The same G with only its lower triangle current (the upper one is left as
 * it is): adds the pending rows, does not mirror. Same caveat. */
const double *blr_gram_lower(const blr_model *m);
const double *blr_xty(const blr_model *m);
double blr_yty(const blr_model *m);

/* Change the hyperparameters of a known-noise model (alpha, beta > 0) or of a
 * NIG model (v0, a0, b0 > 0: pass the full opts) and refit the posterior from the
 * sufficient statistics, O(d^3). o->kind may differ from the current kind (the
 * statistics serve both). BL_EINVAL names the bad field; BL_ENUM, BL_ENOMEM.
 * On failure m is unchanged. */
int blr_set_opts(blr_model *m, const blr_opts *o, bl_err *err);
/* Jitter the last refit's Cholesky needed (docs/math.md §1.2); 0 for a healthy model. */

/* Empirical Bayes for a known-noise model: MacKay's fixed point (docs/math.md §2.2)
 * from the current alpha, beta, with one symmetric eigendecomposition of G and
 * O(d^2) per iteration; stops when both relative changes are below tol or after
 * max_iter (BL_ENUM then, m unchanged). On success the model holds the optimum.
 * Errors (m unchanged): BL_EINVAL for a NIG model, max_iter < 1 or tol <= 0;
 * BL_ESTATE when no point was observed; BL_ENUM when the evidence is unbounded
 * (data interpolated, |m| = 0) or no convergence; BL_ECANCEL when *cancel is
 * raised (polled once per iteration); BL_ENOMEM. O(d^3) once, then O(d) per
 * iteration, then an O(d^3) refit. res may be NULL. */
int blr_optimize(blr_model *m, int max_iter, double tol, blr_opt_result *res,
                 const bl_cancel *cancel, bl_err *err);

/* Sum over observed points of -log p(y_t | x_t, w) at a fixed w, from the
 * sufficient statistics (known noise: Gaussian with precision beta). O(d^2).
 * NaN for a NIG model (no fixed noise level to score with). Like blr_gram it
 * may bring the cached G up to date (see there). */
double blr_loss_at(const blr_model *m, const double *w);

#endif
