/* core/lens.h - the universality lens: a Bayes mixture over a huge finite class.
 *
 * docs/math.md §3.3. The learner is the exact Bayes mixture with log-loss over M
 * hypotheses w_j in R^d (M up to 10^6 and beyond), each a Gaussian linear model
 * y = x.w_j + e, e ~ N(0, 1/beta) with beta known, and a uniform prior
 * pi_j = 1/M. The class is one of
 *  LENS_GAUSS: w_j ~ N(0, I/alpha) iid, drawn from the caller's gsl_rng;
 *  LENS_BOX:   w_j ~ U[-box, box]^d iid, drawn from the caller's gsl_rng;
 *  LENS_GRID:  d = 1, w_j = lo + (hi - lo) j/(M - 1), j = 0..M-1 (docs/math.md §11 B2);
 * or any M x d matrix the caller supplies (lens_alloc_class).
 * The truth w* (any vector; it need not be in the class) generates the data.
 *
 * Invariants. The normalised log posterior log w_j = log pi_j + sum_t log p(y_t|x_t,w_j)
 * - log evidence is kept up to one scalar offset (lse of the stored values,
 * subtracted lazily in the next arrival's pass, so the M-vector is touched
 * twice per arrival: once after the dgemv, once for the exp-sum).
 * Identities used by the accessors (chain rule, docs/math.md §3.1):
 *   L_n(mixture) = -log evidence = sum_t -log q_t(y_t),
 *   L_n(mixture) - L_n(w_j) = log w_j(post) - log pi_j <= -log pi_j = log M,
 * so the realised regret against any member of the class, in particular a
 * truth in the class, is at most log M on every sequence (deterministic).
 *
 * W(eps) assumes x ~ N(0, I_d) (Sigma_x = I): KL_j = (beta/2)|w_j - w*|^2 is
 * the per-sample KL(p_{w*} || p_{w_j}) averaged over x. The KL values are
 * computed once per truth, sorted, and the lower convex hull of the points
 * (KL_(i), -log W(KL_(i))) over the distinct values is kept: the bound
 * B(n) = min_eps [-log W(eps) + n eps] is attained at a hull vertex (-log W is
 * a decreasing step function, right-continuous, so the minimum over an interval
 * between distinct values is at its left end), found by binary search, O(log M).
 * The bound is on the EXPECTED regret E_y R_n(w*); the realised regret may
 * exceed it on a given sequence. */
#ifndef BAYESLENS_CORE_LENS_H
#define BAYESLENS_CORE_LENS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "core/base/err.h"

#define LENS_MAX_DIM 4096
#define LENS_MAX_M   50000000 /* M * d doubles must also fit: checked at allocation */

typedef enum { LENS_GAUSS = 0, LENS_BOX, LENS_GRID } lens_kind;

typedef struct lens_opts {
    lens_kind kind;
    size_t M;     /* hypotheses, 1..LENS_MAX_M (GRID: >= 2) */
    size_t d;     /* dimension, 1..LENS_MAX_DIM (GRID: must be 1) */
    double alpha; /* GAUSS: prior precision of w_j ~ N(0, I/alpha), > 0 */
    double box;   /* BOX: half-width of the box, > 0 */
    double lo;    /* GRID: first grid point */
    double hi;    /* GRID: last grid point, > lo */
    double beta;  /* noise precision of every hypothesis and of the truth, > 0 */
    double max_bytes;       /* refuse a class needing more memory (lens_bytes); 0: no limit */
    const bl_cancel *cancel; /* polled while drawing the class; NULL: not cancellable */
} lens_opts;

/* What one arrival did (all before the update except the cumulative fields). */
typedef struct lens_step {
    double logloss;    /* -log q_t(y): the mixture's sequential log-loss, nats */
    double truth_loss; /* -log p(y | x, w*) */
    double regret;     /* cumulative L_n(mixture) - L_n(w*) after this arrival */
    double post_best;  /* P(j_best | D_t) after the update (j_best = argmin_j KL_j) */
} lens_step;

/* The bound at one n. */
typedef struct lens_bound {
    double bound;    /* min_eps [-log W(eps) + n eps] */
    double eps_star; /* its argmin (a distinct KL value; the smallest if tied) */
    double logW;     /* log W(eps_star) */
} lens_bound;

typedef struct lens lens;

/* New learner over a class drawn as *o says (GAUSS, BOX from rng; GRID
 * deterministic, rng may be NULL), with truth w_star (length o->d, copied).
 * Costs O(M d) draws plus O(M log M) for the sorted KL values. NULL with
 * BL_EINVAL naming the bad field ("beta=0: must be > 0", "M=1: grid needs >= 2"),
 * or BL_ENOMEM. Same seed and opts give the same class. */
lens *lens_alloc(const lens_opts *o, const double *w_star, gsl_rng *rng, bl_err *err);
/* Peak bytes lens_alloc takes for M hypotheses in d dimensions (the class,
 * the per-hypothesis state, and the sort and hull scratch). */
double lens_bytes(size_t M, size_t d);
/* New learner over the caller's class W (M x d row-major, copied), uniform
 * prior, noise precision beta, truth w_star. BL_EINVAL (M, d out of range,
 * non-finite entries, beta <= 0), BL_ENOMEM. */
lens *lens_alloc_class(size_t M, size_t d, const double *W, double beta, const double *w_star,
                       bl_err *err);
void lens_free(lens *L); /* NULL is a no-op */

/* Forget all data (posterior back to the prior) and set a new truth; the
 * class is kept. Recomputes KL and the hull, O(M d + M log M). BL_EINVAL for a
 * non-finite w_star (L unchanged), BL_ENOMEM. */
int lens_set_truth(lens *L, const double *w_star, bl_err *err);

/* One arrival (x in R^d, y): predictions of all hypotheses by ONE dgemv
 * (M x d times d), log-likelihoods, log posterior updated and normalised by
 * log-sum-exp; the mixture's log-loss is lse(log w + loglik). O(M d) + M exp.
 * st may be NULL. Non-finite input: BL_EINVAL, L unchanged. */
int lens_observe(lens *L, const double *x, double y, lens_step *st, bl_err *err);

/* Mixture predictive mean sum_j w_j x.w_j and variance 1/beta + Var_j(x.w_j)
 * at x under the current posterior (no update). O(M d) + M exp. var may be NULL. */
void lens_predict(const lens *L, const double *x, double *mean, double *var);

/* Noise-free truth at x: x.w*. Draw y = x.w* + N(0, 1/beta) with lens_draw_y. */
double lens_truth_mean(const lens *L, const double *x);
double lens_draw_y(const lens *L, const double *x, gsl_rng *rng);

size_t lens_count(const lens *L); /* arrivals so far */
size_t lens_size(const lens *L);  /* M */
size_t lens_dim(const lens *L);   /* d */
double lens_beta(const lens *L);
const double *lens_hypothesis(const lens *L, size_t j); /* borrowed row j of W, j < M */

double lens_cum_logloss(const lens *L);    /* L_n(mixture) = -log evidence */
double lens_cum_truth_loss(const lens *L); /* L_n(w*) */
double lens_regret(const lens *L);         /* L_n(mixture) - L_n(w*) (realised) */
/* Realised regret against hypothesis j: log w_j(post) + log M <= log M. O(1). */
double lens_regret_vs(const lens *L, size_t j);
/* Regret against the best hypothesis in hindsight: max_j log w_j + log M, in
 * [0, log M]. O(M). */
double lens_regret_best(const lens *L);

/* Normalised log posterior weight of hypothesis j. O(1). */
double lens_log_post(const lens *L, size_t j);
/* The closest hypothesis to the truth (argmin KL_j; j* when the truth is in the class). */
size_t lens_best_index(const lens *L);
/* Posterior mass of {j : KL_j <= eps}. O(number in the ball) via the sorted order. */
double lens_post_ball(const lens *L, double eps);

/* KL_j sorted ascending (borrowed, length M, valid until lens_set_truth / lens_free). */
const double *lens_kl_sorted(const lens *L);
/* Prior weight: log W(eps) = log(#{j : KL_j <= eps} / M); -inf when eps < min KL. O(log M). */
double lens_logW(const lens *L, double eps);
/* The bound min_eps [-log W(eps) + n eps] for n >= 0 (real: also between
 * integers), exact over the piecewise-linear envelope, O(log M). */
void lens_bound_at(const lens *L, double n, lens_bound *b);

/* ---- pure functions -------------------------------------------------------- */

/* Gaussian prior N(0, I/alpha), Sigma_x = I, known beta (docs/math.md §3.3):
 * log W(eps) = log F_ncx2(2 alpha eps/beta; d, alpha |w*|^2), w2 = |w*|^2.
 * -inf for eps <= 0; NaN for invalid d, alpha, beta, w2. */
double lens_gauss_logW(double eps, size_t d, double alpha, double beta, double w2);
/* min over eps > 0 of [-log W(eps) + n eps] for the Gaussian prior, n > 0:
 * the minimiser solves n = (d/deps)log W(eps) (ncx2 pdf/cdf as Poisson
 * mixtures), bracketed on a log grid and polished by Brent to 1e-13 relative.
 * BL_EINVAL (n <= 0, d = 0, alpha, beta <= 0, w2 < 0), BL_ENUM. */
int lens_gauss_bound(double n, size_t d, double alpha, double beta, double w2, lens_bound *b,
                     bl_err *err);

/* Exact expected regret E_y R_n(w*) of the uniform mixture over a 1-D class
 * grid[0..M-1] (docs/math.md §11 B2) for x_t with sum x_t^2 = n (the idealised design
 * of iid x ~ N(0,1)): the mixture depends on the data only through
 * s = sum x_t y_t ~ N(n w*, n/beta), so
 * E R_n = -E_s[ lse_j( beta s (w_j - w*) - (beta n/2)(w_j^2 - w*^2) ) - log M ],
 * by probabilists' Gauss-Hermite with gh nodes (200 in B2). O(gh M).
 * BL_EINVAL (M = 0, n < 0, beta <= 0, gh = 0), BL_ENOMEM. */
int lens_expected_regret_1d(const double *grid, size_t M, double w_star, double beta, double n,
                            size_t gh, double *out, bl_err *err);

/* A "simple" and a "complex" truth for the same GAUSS or BOX class, for two
 * learners side by side: simple = the prior's centre (0: most neighbours, the
 * largest W(eps)); complex = r times the class's typical radius along the unit
 * vector (1, 1, ..., 1)/sqrt(d), where the typical radius is sqrt(d/alpha)
 * (GAUSS) or box sqrt(d/3) (BOX), and for BOX the point is clipped to 0.95 box.
 * r = 2.5 puts it far out in the tail (few neighbours). GRID: simple = the
 * middle of [lo, hi], complex = lo + 0.02 (hi - lo) (an edge). Writes d numbers
 * to each. BL_EINVAL for invalid opts or r < 0. */
int lens_truth_simple_complex(const lens_opts *o, double r, double *w_simple, double *w_complex,
                              bl_err *err);

#endif
