/* core/concentration.h - how concentrated a Gaussian posterior is.
 *
 * docs/math.md §10 (posterior concentration measures) and 1.8 (noncentral chi-square
 * as a Poisson mixture). The central quantity is the posterior mass of a ball,
 * P(|w - c|^2 <= r^2) for w ~ N(m, S): with S = U diag(lam) U^T and
 * a = U^T (m - c), |w - c|^2 = sum_j lam_j (z_j + delta_j)^2, z ~ N(0, I),
 * delta_j = a_j / sqrt(lam_j): a generalised chi-square, computed by the
 * Imhof integral (exact, adaptive quadrature) or, when all lam_j are equal, by
 * the noncentral chi-square cdf. All functions are pure; long ones poll a
 * cancel flag. */
#ifndef BAYESLENS_CORE_CONCENTRATION_H
#define BAYESLENS_CORE_CONCENTRATION_H

#include <stddef.h>

#include "core/base/err.h"

/* Noncentral chi-square cdf P(X <= x), X ~ chi'^2(k dof, noncentrality nc):
 * sum_j Pois(j; nc/2) F_chisq(x; k + 2j), summed outward from j = floor(nc/2)
 * until the terms fall below 1e-16 (docs/math.md §1.8). k > 0, nc >= 0; x <= 0
 * gives 0. Cost O(sqrt(nc) + 1) chi-square cdfs. NaN for invalid k, nc. */
double concentration_ncx2_cdf(double x, double k, double nc);

/* Imhof: P(Q <= x), Q = sum_j lam[j] (z_j + delta[j])^2, z ~ N(0, I_d)
 * (docs/math.md §10). lam[j] > 0. Integrates
 * 1/2 - (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du with adaptive
 * Gauss-Kronrod on [0, U] and the QAWF Fourier rule on [U, inf) (the
 * integrand is a slowly varying amplitude times sin/cos(x u / 2) there), to
 * an absolute error of about 1e-11. Result in *p, clamped to [0, 1].
 * BL_EINVAL (d = 0, lam <= 0, non-finite input), BL_ENUM (quadrature failed),
 * BL_ENOMEM, BL_ECANCEL (polled between the two integrals). */
int concentration_imhof_cdf(const double *lam, const double *delta, size_t d, double x, double *p,
                            const bl_cancel *cancel, bl_err *err);

/* Mass of the Euclidean ball {w : |w - c| <= r} under N(m, S) (S d*d row-major,
 * symmetric positive semi-definite, lower triangle read). One dsyevd of S
 * (O(d^3)), then the noncentral chi-square cdf when all eigenvalues agree to
 * 1e-12 relative, else Imhof. Directions with lam_j <= 1e-14 max(lam) are
 * treated as deterministic (their a_j^2 is subtracted from r^2).
 * BL_EINVAL (d = 0, r < 0, S not PSD, non-finite input), BL_ENUM, BL_ENOMEM,
 * BL_ECANCEL. */
int concentration_ball_mass(const double *m, const double *S, const double *c, size_t d, double r,
                            double *p, const bl_cancel *cancel, bl_err *err);

/* Monte Carlo estimate of the same mass from n fixed standard normal draws
 * z (n*d row-major) reused across calls (common random numbers, docs/math.md §10
 * [C]): the fraction of i with |m + Lz_i - c| <= r, L the Cholesky factor of
 * S (jitter ladder). Standard error sqrt(p(1-p)/n). O(d^3 + n d^2).
 * BL_EINVAL, BL_ENUM (S not PD even with jitter), BL_ENOMEM. */
int concentration_ball_mass_mc(const double *m, const double *S, const double *c, size_t d,
                               double r, const double *z, size_t n, double *p, bl_err *err);

/* KL(N(m1, S1) || N(m0, S0)) =
 * (1/2)[tr(S0^-1 S1) + (m0 - m1)^T S0^-1 (m0 - m1) - d + log det S0 - log det S1]
 * for d x d row-major SPD S0, S1 (lower triangles read). O(d^3).
 * BL_EINVAL (d = 0), BL_ENUM (a matrix not positive definite), BL_ENOMEM. */
int concentration_kl_gauss(size_t d, const double *m1, const double *S1, const double *m0,
                           const double *S0, double *kl, bl_err *err);

/* Information gain of a BLR posterior N(m, S) over the prior N(0, I/alpha):
 * (1/2)[alpha tr S + alpha |m|^2 - d - d log alpha - log det S], from
 * trS = tr S (= blr_trace_inv_prec), logdetS = log det S (= -blr_logdet_prec)
 * and m2 = |m|^2. O(1). */
double concentration_kl_iso_prior(size_t d, double alpha, double trS, double logdetS, double m2);

#endif
