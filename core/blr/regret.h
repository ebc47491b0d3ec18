/* core/regret.h - cumulative log-loss regret of Bayesian linear regression.
 *
 * docs/math.md §3.1-3.2: closed forms for the prior N(0, I/alpha) and known noise
 * precision beta, with A = alpha I + beta X^T X. The functions take the
 * scalars a blr_model maintains (blr_logdet_prec, blr_trace_inv_prec,
 * blr_quad_inv_prec), so each is O(1) and the caller chooses when to pay for
 * an O(d^2) quadratic form. All are pure.
 * regret_rls tracks the best fixed parameter in hindsight, min over w of the
 * cumulative log-loss, online in O(d^2) per point (square-root RLS). */
#ifndef BAYESLENS_CORE_REGRET_H
#define BAYESLENS_CORE_REGRET_H

#include <stddef.h>

#include "core/base/err.h"

/* Regret bound for every w (docs/math.md §3.2):
 * R_n(w) <= (1/2) log det(A/alpha) + (alpha/2)|w|^2
 *         = (1/2)(logdet_A - d log alpha) + (alpha/2) w2,   w2 = |w|^2. */
double regret_bound(size_t d, double alpha, double logdet_A, double w2);

/* Exact regret against a fixed w (docs/math.md §3.2):
 * R_n(w) = (1/2) log det(A/alpha) + (alpha/2)|w|^2 - (1/2)(w - m_N)^T A (w - m_N),
 * with quad = (w - m_N)^T A (w - m_N). Equals -log evidence - blr_loss_at(w). */
double regret_at(size_t d, double alpha, double logdet_A, double w2, double quad);

/* Expected regret against the truth w*, over y ~ N(X w*, I/beta), for the
 * design already seen (docs/math.md §3.2, rewritten in d x d form; tests/test_regret.c
 * checks it against the n x n formula):
 * E_y R_n(w*) = (1/2)(logdet_A - d log alpha) - d/2 + (alpha/2) tr_inv_A
 *               + (alpha/2) w2 - (alpha^2/2) wAw,
 * with w2 = |w*|^2 and wAw = w*^T A^-1 w*. */
double regret_expected(size_t d, double alpha, double logdet_A, double tr_inv_A, double w2,
                       double wAw);

/* Orthogonal design X^T X = n I (docs/math.md §3.2, B1), r = n beta/alpha:
 * E R_n = (d/2)[log(1+r) - r/(1+r)] + (alpha w2/2) r/(1+r). */
double regret_orthogonal(size_t d, double n, double alpha, double beta, double w2);

/* Clarke-Barron asymptote for Sigma_x = I (docs/math.md §3.2):
 * (d/2) log n + (d/2)(log(beta/alpha) - 1) + alpha w2/2. n > 0. */
double regret_asymptote(size_t d, double n, double alpha, double beta, double w2);

/* Instantaneous risk KL(N(mu_star, 1/beta) || N(mu, v)) (docs/math.md §3.1), v > 0. */
double regret_kl_gauss(double mu_star, double beta, double mu, double v);

/* Hindsight tracker: keeps the lower Cholesky factor of G + eps I
 * (G = X^T X, eps = REGRET_RLS_EPS fixed at allocation, rank-1 updated by
 * linalg_chol_update), h = L^-1 X^T y and the ridge residual
 * J = min_w |y - X w|^2 + eps |w|^2, accumulated as a sum of squared
 * innovations (no cancellation). eps only keeps the factor regular while
 * n < d or the design is degenerate; the reported minimum subtracts
 * eps |w_eps|^2, which leaves RSS(w_eps) >= RSS_min with an excess of order
 * eps^2 |w|^2 / lambda_min(G), i.e. negligible for the O(1) features of
 * docs/math.md §2.5. Not thread-safe per object; distinct objects are independent. */
#define REGRET_RLS_EPS     1e-10
#define REGRET_RLS_MAX_DIM 4096 /* as BLR_MAX_DIM */

typedef struct regret_rls regret_rls;

/* New tracker for dimension d in 1..REGRET_RLS_MAX_DIM; NULL and BL_EINVAL /
 * BL_ENOMEM. */
regret_rls *regret_rls_alloc(size_t d, bl_err *err);
void regret_rls_free(regret_rls *r); /* NULL is a no-op */
/* Deep copy; NULL and BL_ENOMEM on allocation failure. */
regret_rls *regret_rls_copy(const regret_rls *r, bl_err *err);
/* Add (phi, y); O(d^2), one sweep of the factor (two of P in covariance
 * form, regret_rls_observe_block). Non-finite input: BL_EINVAL,
 * r unchanged. */
int regret_rls_observe(regret_rls *r, const double *phi, double y, bl_err *err);
size_t regret_rls_count(const regret_rls *r);
/* min_w |y - X w|^2 over the points seen (>= 0). O(d^2) (one back solve). */
double regret_rls_rss(const regret_rls *r);
/* min_w sum_t -log N(y_t; phi_t.w, 1/beta) = (n/2) log(2 pi/beta) + (beta/2) RSS_min.
 * The regret against the best w in hindsight is the Bayes cumulative log-loss
 * (-blr_log_evidence) minus this. O(d^2). */
double regret_rls_min_loss(const regret_rls *r, double beta);
/* The same minimised over beta too (unknown noise, profile likelihood):
 * (n/2)(log(2 pi RSS_min/n) + 1); -inf when RSS_min = 0 (interpolation),
 * 0 when n = 0. O(d^2). */
double regret_rls_min_loss_profile(const regret_rls *r);
/* nb points at once (Phi nb x d row-major, y nb): the same tracker as nb
 * calls of regret_rls_observe, and per arrival j the RSS_min and |w_ML|^2
 * after it (rss[j], w2[j]; as regret_rls_rss and |regret_rls_w|^2), from the
 * block form of docs/blocks.md. While the design is rank-deficient or
 * ill-conditioned (the first d points at least) the points go one at a
 * time, by rotations of the factor of G + eps I; from the first point at
 * which it is well conditioned on, the tracker keeps P = (G + eps I)^-1
 * instead (both paths switch at the same point) and takes blocks of
 * blk_chunk(d) points by dsymm, dgemm, dtrsm and one dsyrk downdate of P.
 * The scratch stays in r (no allocation per call once it has grown).
 * Non-finite input: BL_EINVAL, r unchanged; BL_ENOMEM. */
int regret_rls_observe_block(regret_rls *r, const double *Phi, const double *y, size_t nb,
                             double *rss, double *w2, bl_err *err);
/* regret_rls_min_loss and regret_rls_min_loss_profile from n and RSS_min. */
double regret_min_loss(size_t n, double rss, double beta);
double regret_min_loss_profile(size_t n, double rss);
/* w_ML (the eps-ridge solution, the minimum-norm one in the limit when G is
 * singular) into w (length d). O(d^2). */
void regret_rls_w(const regret_rls *r, double *w);

#endif
