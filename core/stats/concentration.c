/* core/concentration.c - ball masses and information gain of Gaussian
 * posteriors (docs/math.md §10, 1.8).
 *
 * Imhof's formula: for Q = sum_j lam_j (z_j + delta_j)^2,
 *   P(Q <= x) = 1/2 - (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du,
 *   theta(u) = (1/2) sum_j [atan(lam_j u) + delta_j^2 lam_j u / (1 + lam_j^2 u^2)] - x u / 2,
 *   rho(u)   = prod_j (1 + lam_j^2 u^2)^(1/4) exp((1/2) sum_j delta_j^2 lam_j^2 u^2 / (1 + lam_j^2 u^2)).
 * The integrand decays only like u^(-1-d/2) while oscillating with period
 * 4 pi / x, so after one period U = 4 pi / x we write theta = theta0(u) - x u/2
 * and split sin(theta) = sin(theta0) cos(x u/2) - cos(theta0) sin(x u/2): two
 * Fourier integrals with smooth amplitudes, which GSL's QAWF sums cycle by
 * cycle with epsilon-algorithm extrapolation. [0, U] goes to QAG (61-point
 * Gauss-Kronrod). No tail truncation is needed. */
#include "core/stats/concentration.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "core/stats/diag.h"
#include "core/base/linalg.h"

#define IMHOF_LIMIT  2000  /* subintervals of the QAG/QAWF workspaces */
#define IMHOF_EPSABS 1e-12 /* absolute tolerance of each integral (P is scaled by 1/pi) */

double
concentration_ncx2_cdf(double x, double k, double nc)
{
    if (!(k > 0.0) || !(nc >= 0.0) || isnan(x))
        return NAN;
    if (x <= 0.0)
        return 0.0;
    if (nc == 0.0)
        return gsl_cdf_chisq_P(x, k);
    double h = 0.5 * nc, j0 = floor(h), sum = 0.0;
    if (h > 1e5) {
        /* The Poisson sum would take ~sqrt(h) terms each way (and never ends
         * once j - 1 == j, h > 2^53): Sankaran's normal approximation of the
         * cube-root transform instead, accurate to ~1e-4 already at nc = 100
         * and better as nc grows (Johnson, Kotz & Balakrishnan 29.8). */
        double s1 = k + nc, s2 = k + 2.0 * nc, s3 = k + 3.0 * nc;
        double e = 1.0 - 2.0 / 3.0 * s1 * s3 / (s2 * s2), p = s2 / (s1 * s1);
        double m = (e - 1.0) * (1.0 - 3.0 * e);
        double z = (pow(x / s1, e) - (1.0 + e * p * (e - 1.0 - 0.5 * (2.0 - e) * m * p))) /
                   (e * sqrt(2.0 * p) * (1.0 + 0.5 * m * p));
        return gsl_cdf_ugaussian_P(z);
    }
    /* Outward from the Poisson mode j0 (docs/math.md §1.8): upward the weights and
     * the cdfs both fall, downward the weights fall and the cdfs are <= 1. */
    for (double j = j0; j < j0 + 100000.0; j += 1.0) {
        double w = exp(-h + j * log(h) - lgamma(j + 1.0));
        double t = w * gsl_cdf_chisq_P(x, k + 2.0 * j);
        sum += t;
        if (t < 1e-16 && j > j0)
            break;
    }
    for (double j = j0 - 1.0; j >= 0.0; j -= 1.0) {
        double w = exp(-h + j * log(h) - lgamma(j + 1.0));
        sum += w * gsl_cdf_chisq_P(x, k + 2.0 * j);
        if (w < 1e-16)
            break;
    }
    return fmin(sum, 1.0);
}

typedef struct imhof_ctx {
    const double *lam, *delta;
    size_t d;
    double x;
} imhof_ctx;

/* theta0(u) = theta(u) + x u/2 and log rho(u). */
static void
imhof_parts(const imhof_ctx *c, double u, double *theta0, double *logrho)
{
    double th = 0.0, lr = 0.0;
    for (size_t j = 0; j < c->d; j++) {
        double lu = c->lam[j] * u, l2 = lu * lu, d2 = c->delta[j] * c->delta[j];
        th += atan(lu) + d2 * lu / (1.0 + l2);
        lr += 0.5 * log1p(l2) + d2 * l2 / (1.0 + l2);
    }
    *theta0 = 0.5 * th;
    *logrho = 0.5 * lr;
}

static double
imhof_full(double u, void *p)
{
    const imhof_ctx *c = p;
    double t0, lr;
    imhof_parts(c, u, &t0, &lr);
    return sin(t0 - 0.5 * c->x * u) / (u * exp(lr));
}

static double
imhof_cos_amp(double u, void *p) /* multiplies cos(x u/2) */
{
    const imhof_ctx *c = p;
    double t0, lr;
    imhof_parts(c, u, &t0, &lr);
    return sin(t0) / (u * exp(lr));
}

static double
imhof_sin_amp(double u, void *p) /* multiplies -sin(x u/2) */
{
    const imhof_ctx *c = p;
    double t0, lr;
    imhof_parts(c, u, &t0, &lr);
    return cos(t0) / (u * exp(lr));
}

int
concentration_imhof_cdf(const double *lam, const double *delta, size_t d, double x, double *p,
                        const bl_cancel *cancel, bl_err *err)
{
    if (d == 0)
        return bl_fail(err, BL_EINVAL, "imhof: dimension 0");
    if (!isfinite(x))
        return bl_fail(err, BL_EINVAL, "imhof: x=%g must be finite", x);
    for (size_t j = 0; j < d; j++) {
        if (!(lam[j] > 0.0) || !isfinite(lam[j]))
            return bl_fail(err, BL_EINVAL, "imhof: lam[%zu]=%g must be > 0", j, lam[j]);
        if (!isfinite(delta[j]))
            return bl_fail(err, BL_EINVAL, "imhof: delta[%zu]=%g must be finite", j, delta[j]);
    }
    if (x <= 0.0) {
        *p = 0.0;
        return BL_OK;
    }
    imhof_ctx ctx = {lam, delta, d, x};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(IMHOF_LIMIT);
    gsl_integration_workspace *cw = gsl_integration_workspace_alloc(IMHOF_LIMIT);
    double omega = 0.5 * x, U = 2.0 * M_PI / omega;
    gsl_integration_qawo_table *tc =
        gsl_integration_qawo_table_alloc(omega, 1.0, GSL_INTEG_COSINE, 25);
    gsl_integration_qawo_table *ts =
        gsl_integration_qawo_table_alloc(omega, 1.0, GSL_INTEG_SINE, 25);
    int rc = BL_OK;
    if (w == NULL || cw == NULL || tc == NULL || ts == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "imhof: out of memory");
        goto done;
    }
    double head, tc_v, ts_v, e1, e2, e3;
    gsl_function f = {imhof_full, &ctx};
    int s = gsl_integration_qag(&f, 0.0, U, IMHOF_EPSABS, 1e-12, IMHOF_LIMIT, GSL_INTEG_GAUSS61, w,
                                &head, &e1);
    if (s != GSL_SUCCESS && s != GSL_EROUND && e1 > 1e-9) {
        rc = bl_fail(err, BL_ENUM, "imhof: quadrature failed on [0, U] (%s)", gsl_strerror(s));
        goto done;
    }
    if (bl_cancelled(cancel)) {
        rc = bl_fail(err, BL_ECANCEL, "imhof: cancelled");
        goto done;
    }
    gsl_function fc = {imhof_cos_amp, &ctx}, fs = {imhof_sin_amp, &ctx};
    int s1 = gsl_integration_qawf(&fc, U, IMHOF_EPSABS, IMHOF_LIMIT, w, cw, tc, &tc_v, &e2);
    int s2 = gsl_integration_qawf(&fs, U, IMHOF_EPSABS, IMHOF_LIMIT, w, cw, ts, &ts_v, &e3);
    if ((s1 != GSL_SUCCESS && e2 > 1e-9) || (s2 != GSL_SUCCESS && e3 > 1e-9)) {
        rc = bl_fail(err, BL_ENUM, "imhof: quadrature of the tail failed (%s)",
                     gsl_strerror(s1 != GSL_SUCCESS ? s1 : s2));
        goto done;
    }
    double P = 0.5 - (head + tc_v - ts_v) / M_PI;
    *p = fmin(fmax(P, 0.0), 1.0);
done:
    gsl_integration_qawo_table_free(ts);
    gsl_integration_qawo_table_free(tc);
    gsl_integration_workspace_free(cw);
    gsl_integration_workspace_free(w);
    return rc;
}

/* Chernoff bounds on the two tails of Q = sum_j lam_j (z_j + delta_j)^2:
 * log P(Q <= x) <= min_{t>0} t x + log E e^{-tQ}, and
 * log P(Q > x) <= min_{0<t<1/(2 lam_max)} -t x + log E e^{tQ}, with
 * log E e^{sQ} = sum_j [-(1/2) log(1 - 2 s lam_j) + delta_j^2 lam_j s / (1 - 2 s lam_j)].
 * Both objectives are convex in t; their minimum is where the derivative,
 * increasing in t, crosses 0 (bisection). 0 when x is on the tail's far
 * side of E Q (the bound says nothing). */
/* The derivative in t of the objective of chernoff_log, with s = sg t. */
static double
chernoff_slope(const double *lam, const double *delta, size_t d, double x, double sg, double t)
{
    double dv = -sg * x;
    for (size_t j = 0; j < d; j++) {
        double q = 1.0 - 2.0 * sg * t * lam[j];
        dv += sg * (lam[j] / q + delta[j] * delta[j] * lam[j] / (q * q));
    }
    return dv;
}

static double
chernoff_log(const double *lam, const double *delta, size_t d, double x, bool lower)
{
    double mean = 0.0, lmax = 0.0;
    for (size_t j = 0; j < d; j++) {
        mean += lam[j] * (1.0 + delta[j] * delta[j]);
        lmax = fmax(lmax, lam[j]);
    }
    if (lower ? x >= mean : x <= mean)
        return 0.0;
    double sg = lower ? -1.0 : 1.0; /* s = sg t */
    double lo = 0.0, hi = lower ? 1.0 / lmax : 0.5 / lmax;
    /* The lower tail's t is unbounded: grow until the derivative is >= 0. */
    for (int it = 0; lower && it < 2000 && chernoff_slope(lam, delta, d, x, sg, hi) < 0.0; it++)
        hi *= 2.0;
    for (int it = 0; it < 200; it++) {
        double t = 0.5 * (lo + hi);
        if (chernoff_slope(lam, delta, d, x, sg, t) < 0.0)
            lo = t;
        else
            hi = t;
    }
    double t = lo, f = -sg * t * x;
    for (size_t j = 0; j < d; j++) {
        double q = 1.0 - 2.0 * sg * t * lam[j];
        f += -0.5 * log(q) + delta[j] * delta[j] * lam[j] * sg * t / q;
    }
    return fmin(f, 0.0);
}

static int
check_vecs(const double *m, const double *S, const double *c, size_t d, bl_err *err)
{
    if (d == 0)
        return bl_fail(err, BL_EINVAL, "ball mass: dimension 0");
    for (size_t i = 0; i < d; i++) {
        if (!isfinite(m[i]) || !isfinite(c[i]))
            return bl_fail(err, BL_EINVAL, "ball mass: m[%zu] or c[%zu] not finite", i, i);
        for (size_t k = 0; k <= i; k++)
            if (!isfinite(S[i * d + k]))
                return bl_fail(err, BL_EINVAL, "ball mass: S[%zu][%zu] not finite", i, k);
    }
    return BL_OK;
}

int
concentration_ball_mass(const double *m, const double *S, const double *c, size_t d, double r,
                        double *p, const bl_cancel *cancel, bl_err *err)
{
    int rc = check_vecs(m, S, c, d, err);
    if (rc != BL_OK)
        return rc;
    if (!(r >= 0.0) || !isfinite(r))
        return bl_fail(err, BL_EINVAL, "radius=%g: must be >= 0", r);
    double *V = malloc((d * d + 3 * d) * sizeof *V);
    if (V == NULL)
        return bl_fail(err, BL_ENOMEM, "ball mass: out of memory for d=%zu", d);
    double *lam = V + d * d, *lr = lam + d, *delta = lr + d;
    for (size_t i = 0; i < d; i++)
        memcpy(V + i * d, S + i * d, (i + 1) * sizeof *V);
    rc = linalg_eigh(V, d, lam, true, err); /* S = V^T diag(lam) V, rows of V */
    if (rc != BL_OK)
        goto done;
    double lmax = fmax(lam[d - 1], 0.0);
    if (lam[0] < -1e-12 * lmax || !(lmax > 0.0)) {
        if (!(lmax > 0.0) && lam[0] >= 0.0) { /* S = 0: a point mass at m */
            double q = 0.0;
            for (size_t i = 0; i < d; i++)
                q += (m[i] - c[i]) * (m[i] - c[i]);
            *p = q <= r * r ? 1.0 : 0.0;
            goto done;
        }
        rc = bl_fail(err, BL_EINVAL, "ball mass: S not positive semi-definite (eigenvalue %g)",
                     lam[0]);
        goto done;
    }
    /* a = V (m - c); |w - c|^2 = sum_j (a_j + sqrt(lam_j) z_j)^2. */
    double x = r * r, nc = 0.0;
    size_t k = 0;
    bool iso = true;
    for (size_t j = 0; j < d; j++) {
        double a = 0.0;
        for (size_t i = 0; i < d; i++)
            a += V[j * d + i] * (m[i] - c[i]);
        if (lam[j] <= 1e-14 * lmax) {
            x -= a * a; /* a degenerate direction contributes exactly a_j^2 */
            continue;
        }
        lr[k] = lam[j];
        delta[k] = a / sqrt(lam[j]);
        nc += delta[k] * delta[k];
        if (fabs(lam[j] - lmax) > 1e-12 * lmax)
            iso = false;
        k++;
    }
    if (x <= 0.0)
        *p = 0.0;
    else if (iso)
        *p = concentration_ncx2_cdf(x / lmax, (double)k, nc);
    else if (chernoff_log(lr, delta, k, x, true) < log(IMHOF_EPSABS))
        *p = 0.0; /* below the quadrature's absolute accuracy, which in high
                   * dimension would miss the integrand's narrow peak at 0
                   * and give 0.5 (d = 1600, a ball of radius 0.1) */
    else if (chernoff_log(lr, delta, k, x, false) < log(IMHOF_EPSABS))
        *p = 1.0;
    else if ((rc = concentration_imhof_cdf(lr, delta, k, x, p, cancel, err)) == BL_OK &&
             (*p < IMHOF_EPSABS || *p > 1.0 - IMHOF_EPSABS))
        *p = *p < 0.5 ? 0.0 : 1.0; /* digits below the absolute accuracy are noise */
done:
    free(V);
    return rc;
}

int
concentration_ball_mass_mc(const double *m, const double *S, const double *c, size_t d, double r,
                           const double *z, size_t n, double *p, bl_err *err)
{
    int rc = check_vecs(m, S, c, d, err);
    if (rc != BL_OK)
        return rc;
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "ball mass: no Monte Carlo draws");
    double *L = malloc((d * d + d) * sizeof *L);
    if (L == NULL)
        return bl_fail(err, BL_ENOMEM, "ball mass: out of memory for d=%zu", d);
    double *diff = L + d * d;
    for (size_t i = 0; i < d; i++)
        memcpy(L + i * d, S + i * d, (i + 1) * sizeof *L);
    rc = linalg_cholesky(L, d, NULL, err);
    if (rc == BL_OK) {
        for (size_t i = 0; i < d; i++)
            diff[i] = m[i] - c[i];
        size_t hits = 0;
        for (size_t s = 0; s < n; s++) {
            const double *zs = z + s * d;
            double q = 0.0;
            for (size_t i = 0; i < d; i++) {
                double t = diff[i];
                for (size_t j = 0; j <= i; j++)
                    t += L[i * d + j] * zs[j];
                q += t * t;
            }
            hits += q <= r * r;
        }
        *p = (double)hits / (double)n;
    }
    free(L);
    return rc;
}

int
concentration_kl_gauss(size_t d, const double *m1, const double *S1, const double *m0,
                       const double *S0, double *kl, bl_err *err)
{
    if (d == 0)
        return bl_fail(err, BL_EINVAL, "kl: dimension 0");
    return diag_kl_gauss(d, m1, S1, m0, S0, kl, err); /* one implementation of the formula */
}

double
concentration_kl_iso_prior(size_t d, double alpha, double trS, double logdetS, double m2)
{
    double dd = (double)d;
    return 0.5 * (alpha * trS + alpha * m2 - dd - dd * log(alpha) - logdetS);
}
