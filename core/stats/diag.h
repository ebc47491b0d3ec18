/* core/diag.h - MCMC diagnostics and distances to an exact Gaussian (docs/math.md §9).
 *
 * Chains are read through strides so that the row-major draws of
 * sampler_run (n x d: coordinate j is x = draws + j, stride d) and of
 * sampler_ens_run (K x n x d: chain_stride n d) need no copy.
 *  - ESS of one chain: Geyer's initial monotone sequence on the biased
 *    autocovariance c_t = (1/N) sum_{i<N-t} (x_i - xbar)(x_{i+t} - xbar):
 *    G_m = rho_2m + rho_2m+1, stop at the first G_m <= 0, G_m <- min(G_m,
 *    G_m-1), tau = -1 + 2 sum G_m, ESS = N/tau.
 *  - ESS of M chains: Stan's formula, non-split, non-rank-normalised, with the
 *    N/(N-1) factor at every lag [C]: W = mean of the chain variances (ddof 1),
 *    var+ = W(N-1)/N + var(chain means, ddof 1), rho_t = 1 - (W - mean_m
 *    c_t,m N/(N-1))/var+, pairs P_m up to the first negative one, made
 *    non-increasing, ESS = M N/(-1 + 2 sum P_m).
 *  - split R-hat: each chain halved (first and last floor(N/2) draws), 2M
 *    chains of n: W, B = n var(means), var+ = (n-1)/n W + B/n, sqrt(var+/W).
 * Cost: the autocovariances are computed for every lag, directly (O(N^2))
 * for N <= 1000 and by a zero-padded radix-2 FFT (O(N log N)) above, once per
 * chain and call. Everything else is O(N M). Call on demand (every few
 * frames), not per draw; per draw, use the O(d^2) Welford accumulator. */
#ifndef BAYESLENS_CORE_DIAG_H
#define BAYESLENS_CORE_DIAG_H

#include <stddef.h>

#include "core/base/err.h"

/* Biased autocovariances c_0..c_{maxlag} (maxlag < n) of x[i*stride], i < n,
 * into c. BL_EINVAL for n < 2 or maxlag >= n, BL_ENOMEM. */
int diag_autocov(const double *x, size_t n, size_t stride, double *c, size_t maxlag, bl_err *err);
/* Geyer ESS and integrated autocorrelation time tau (either output may be
 * NULL). BL_EINVAL for n < 4 or non-finite values; BL_ENUM for a constant
 * chain (ESS undefined); BL_ENOMEM. */
int diag_ess(const double *x, size_t n, size_t stride, double *ess, double *tau, bl_err *err);
/* Stan multi-chain ESS of m chains of n draws: chain k, draw i at
 * x[k*chain_stride + i*stride]. BL_EINVAL for m < 1, n < 4, non-finite;
 * BL_ENUM if every chain is constant. */
int diag_ess_multi(const double *x, size_t m, size_t n, size_t stride, size_t chain_stride,
                   double *ess, bl_err *err);
/* Split R-hat (same layout). BL_EINVAL for n < 4; BL_ENUM if W = 0. Flag > 1.01. */
int diag_rhat(const double *x, size_t m, size_t n, size_t stride, size_t chain_stride, double *rhat,
              bl_err *err);
/* MCSE of a mean: sqrt(var/ess). */
double diag_mcse(double var, double ess);

/* Rank-normalized diagnostics of Vehtari, Gelman, Simpson, Carpenter and
 * Buerkner (2021), as the posterior package computes them (docs/math.md
 * §9b). The draws of M chains are split into 2M halves of floor(N/2)
 * (an odd N loses its middle draw); ranks are over all M N draws pooled,
 * ties averaged, normal scores z = Phi^-1((r - 3/8)/(S + 1/4)). The ESS is
 * the multi-chain one with Geyer's initial positive and monotone sequences,
 * the antithetic term rho_T added, tau >= 1/log10(S) (so ESS <= S log10 S).
 * Cost O(S log S) per call: radix sorts, and per split chain the
 * autocovariances of the lags Geyer's sequence reads, by direct sums or,
 * for a slowly mixing chain, one FFT (docs/math.md §9b). */
#define DIAG_NQ 3 /* quantiles summarized: 0.05, 0.5, 0.95 */
typedef struct diag_summary {
    double rhat;            /* max(rhat_bulk, rhat_tail); flag > 1.01 */
    double rhat_bulk;       /* split R-hat of the normal scores */
    double rhat_tail;       /* split R-hat of the scores of |x - median| (folded) */
    double ess_bulk;        /* split ESS of the normal scores */
    double ess_tail;        /* min(ess_q[0], ess_q[2]) */
    double ess_q[DIAG_NQ];  /* split ESS of I[x <= q_p], p = 0.05, 0.5, 0.95 */
    double ess_mean;        /* split ESS of x (no ranks) */
    double ess_sd;          /* min(ess_mean, split ESS of x^2) */
    double mean, sd;        /* pooled (sd with ddof 1) */
    double mcse_mean;       /* sd/sqrt(ess_mean) */
    double mcse_sd;         /* sd sqrt(e (1 - 1/ess_sd)^(ess_sd - 1) - 1) (Stirling) */
    double mcse_q[DIAG_NQ]; /* half the +-1 sd Beta(ess p + 1, ess (1-p) + 1) interval */
} diag_summary;
/* Every field for one coordinate (layout of diag_ess_multi). A quantity of
 * constant values (an indicator that is all ones) is NaN. BL_EINVAL for
 * m < 1, n < 4, non-finite; BL_ENUM for constant draws or when every
 * chain is constant (none has moved); BL_ENOMEM. */
int diag_summarize(const double *x, size_t m, size_t n, size_t stride, size_t chain_stride,
                   diag_summary *out, bl_err *err);
/* The P quantile (0 < P < 1) of Beta(a, b), a, b >= 1, to a few ulps
 * below a + b = 1e6 and within 1e-3/(a + b) above (Cornish-Fisher): the
 * Beta intervals of mcse_q. A bracketed Newton iteration on
 * gsl_cdf_beta_P, ~5 steps; gsl_cdf_beta_Pinv fails to converge for some
 * ESS of 10^3-10^4 at p = 0.05 (docs/math.md §9b). */
double diag_beta_quantile(double P, double a, double b);
/* Average ranks 1..len of x (ties share the mean of their ranks) into r. BL_ENOMEM. */
int diag_ranks(const double *x, size_t len, double *r, bl_err *err);
/* Normal scores of the ranks (3/8 offset) into z. BL_ENOMEM. */
int diag_rank_normalize(const double *x, size_t len, double *z, bl_err *err);
/* E-BFMI of one chain's energies E[i*stride], i < n:
 * sum_i (E_i - E_{i-1})^2 / sum_i (E_i - Ebar)^2; flag below 0.3. BL_EINVAL
 * for n < 2 or non-finite; BL_ENUM for a constant energy. */
int diag_ebfmi(const double *E, size_t n, size_t stride, double *bfmi, bl_err *err);

/* KL(N0 || N1) (docs/math.md §9) between N(m0, S0) and N(m1, S1), d x d full
 * covariances. BL_ENUM if a covariance is not positive definite (after the
 * jitter ladder), BL_ENOMEM. O(d^3). */
int diag_kl_gauss(size_t d, const double *m0, const double *S0, const double *m1, const double *S1,
                  double *kl, bl_err *err);
/* W2^2 = |m0 - m1|^2 + tr(S0 + S1 - 2 (S1^1/2 S0 S1^1/2)^1/2), square roots by
 * symmetric eigendecomposition (negative eigenvalues from rounding clamped
 * to 0). BL_ENUM, BL_ENOMEM. O(d^3). */
int diag_w2_gauss(size_t d, const double *m0, const double *S0, const double *m1, const double *S1,
                  double *w2sq, bl_err *err);
/* Noise floor of KL(exact || fit) from n_eff draws: d(d+3)/(4 n_eff). */
double diag_kl_floor(size_t d, double n_eff);

/* Running weighted mean and covariance (West's weighted Welford), O(d^2) per
 * push: cheap enough to update every frame. */
typedef struct diag_acc diag_acc;
diag_acc *diag_acc_alloc(size_t d, bl_err *err);
void diag_acc_free(diag_acc *a); /* NULL is a no-op */
void diag_acc_reset(diag_acc *a);
/* Add x (d) with weight w > 0 (1 for plain draws, h_t for SGLD). Non-finite x
 * or w <= 0: BL_EINVAL, a unchanged. */
int diag_acc_push(diag_acc *a, const double *x, double w, bl_err *err);
size_t diag_acc_count(const diag_acc *a);
/* Kish effective sample size of the weights, (sum w)^2 / sum w^2 (n for unit weights). */
double diag_acc_kish(const diag_acc *a);
/* Borrowed running mean (d). */
const double *diag_acc_mean(const diag_acc *a);
/* Covariance into cov (d x d, full), with the reliability-weights
 * denominator W - sum w^2/W (n - 1 for unit weights). BL_ESTATE with fewer
 * than 2 draws. */
int diag_acc_cov(const diag_acc *a, double *cov, bl_err *err);

#endif
