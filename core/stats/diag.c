/* core/diag.c - ESS, R-hat, MCSE, Gaussian KL and W2, running moments
 * (docs/math.md §9; formulas and costs in diag.h). The FFT autocovariance pads
 * to a power of two >= 2N so the circular correlation equals the linear one;
 * |X_k|^2 is formed in GSL's half-complex layout and transformed back. */
#include "core/stats/diag.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_sf_gamma.h>

#include "core/base/linalg.h"

#define FFT_MIN_N 1000

static double
chain_mean(const double *x, size_t n, size_t stride)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i * stride];
    return s / (double)n;
}

static bool
chain_finite(const double *x, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i * stride]))
            return false;
    return true;
}

/* diag_autocov with the direct sum up to fft_min draws, the FFT above. */
static int
autocov(const double *x, size_t n, size_t stride, double *c, size_t maxlag, size_t fft_min,
        bl_err *err)
{
    double mu = chain_mean(x, n, stride);
    if (n <= fft_min) {
        for (size_t t = 0; t <= maxlag; t++) {
            double s = 0.0;
            for (size_t i = 0; i + t < n; i++)
                s += (x[i * stride] - mu) * (x[(i + t) * stride] - mu);
            c[t] = s / (double)n;
        }
        return BL_OK;
    }
    size_t m = 1;
    while (m < 2 * n)
        m <<= 1;
    double *f = calloc(m, sizeof *f);
    if (f == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for the FFT (n=%zu)", n);
    for (size_t i = 0; i < n; i++)
        f[i] = x[i * stride] - mu;
    gsl_fft_real_radix2_transform(f, 1, m);
    /* Half-complex: f[0], f[m/2] real; f[k], f[m-k] = Re, Im for 0 < k < m/2. */
    f[0] *= f[0];
    f[m / 2] *= f[m / 2];
    for (size_t k = 1; k < m / 2; k++) {
        f[k] = f[k] * f[k] + f[m - k] * f[m - k];
        f[m - k] = 0.0;
    }
    gsl_fft_halfcomplex_radix2_inverse(f, 1, m);
    for (size_t t = 0; t <= maxlag; t++)
        c[t] = f[t] / (double)n;
    free(f);
    return BL_OK;
}

int
diag_autocov(const double *x, size_t n, size_t stride, double *c, size_t maxlag, bl_err *err)
{
    if (n < 2 || maxlag >= n)
        return bl_fail(err, BL_EINVAL, "autocovariance: n=%zu, maxlag=%zu: need n >= 2, maxlag < n",
                       n, maxlag);
    return autocov(x, n, stride, c, maxlag, FFT_MIN_N, err);
}

int
diag_ess(const double *x, size_t n, size_t stride, double *ess, double *tau, bl_err *err)
{
    if (n < 4)
        return bl_fail(err, BL_EINVAL, "ess: n=%zu: need at least 4 draws", n);
    if (!chain_finite(x, n, stride))
        return bl_fail(err, BL_EINVAL, "ess: chain has non-finite values");
    double *c = malloc(n * sizeof *c);
    if (c == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory (n=%zu)", n);
    int rc = diag_autocov(x, n, stride, c, n - 1, err);
    if (rc != BL_OK)
        goto done;
    if (!(c[0] > 0.0)) {
        rc = bl_fail(err, BL_ENUM, "ess: the chain is constant (ESS undefined)");
        goto done;
    }
    double sum = 0.0, prev = INFINITY;
    for (size_t m = 0; 2 * m + 1 < n; m++) {
        double G = (c[2 * m] + c[2 * m + 1]) / c[0];
        if (G <= 0.0)
            break;
        G = fmin(G, prev);
        sum += G;
        prev = G;
    }
    double t = -1.0 + 2.0 * sum;
    if (tau != NULL)
        *tau = t;
    if (ess != NULL)
        *ess = (double)n / t;
done:
    free(c);
    return rc;
}

static int
check_chains(const double *x, size_t m, size_t n, size_t stride, size_t cs, bl_err *err)
{
    if (m < 1 || n < 4)
        return bl_fail(err, BL_EINVAL, "chains=%zu, draws=%zu: need >= 1 chain of >= 4 draws", m,
                       n);
    for (size_t k = 0; k < m; k++)
        if (!chain_finite(x + k * cs, n, stride))
            return bl_fail(err, BL_EINVAL, "chain %zu has non-finite values", k);
    return BL_OK;
}

/* Sample variance (ddof 1). */
static double
chain_var(const double *x, size_t n, size_t stride, double mu)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = x[i * stride] - mu;
        s += e * e;
    }
    return s / (double)(n - 1);
}

int
diag_ess_multi(const double *x, size_t m, size_t n, size_t stride, size_t chain_stride, double *ess,
               bl_err *err)
{
    int rc = check_chains(x, m, n, stride, chain_stride, err);
    if (rc != BL_OK)
        return rc;
    double *c = malloc(n * sizeof *c), *acf = calloc(n, sizeof *acf);
    double *means = malloc(m * sizeof *means);
    if (c == NULL || acf == NULL || means == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory (n=%zu)", n);
        goto done;
    }
    double W = 0.0, N = (double)n;
    for (size_t k = 0; k < m; k++) {
        const double *xk = x + k * chain_stride;
        means[k] = chain_mean(xk, n, stride);
        W += chain_var(xk, n, stride, means[k]) / (double)m;
        if ((rc = diag_autocov(xk, n, stride, c, n - 1, err)) != BL_OK)
            goto done;
        for (size_t t = 0; t < n; t++)
            acf[t] += c[t] * N / (N - 1.0) / (double)m; /* [C] N/(N-1) at every lag */
    }
    double mm = 0.0, B = 0.0;
    for (size_t k = 0; k < m; k++)
        mm += means[k] / (double)m;
    for (size_t k = 0; k < m && m > 1; k++)
        B += (means[k] - mm) * (means[k] - mm) / (double)(m - 1);
    double varp = W * (N - 1.0) / N + B;
    if (!(varp > 0.0)) {
        rc = bl_fail(err, BL_ENUM, "ess: every chain is constant (ESS undefined)");
        goto done;
    }
    double sum = 0.0, prev = INFINITY;
    for (size_t j = 0; 2 * j + 1 < n; j++) {
        double r0 = 1.0 - (W - acf[2 * j]) / varp, r1 = 1.0 - (W - acf[2 * j + 1]) / varp;
        double P = r0 + r1;
        if (P < 0.0)
            break;
        P = fmin(P, prev);
        sum += P;
        prev = P;
    }
    *ess = (double)m * N / (-1.0 + 2.0 * sum);
done:
    free(c);
    free(acf);
    free(means);
    return rc;
}

int
diag_rhat(const double *x, size_t m, size_t n, size_t stride, size_t chain_stride, double *rhat,
          bl_err *err)
{
    int rc = check_chains(x, m, n, stride, chain_stride, err);
    if (rc != BL_OK)
        return rc;
    size_t h = n / 2, M = 2 * m;
    double W = 0.0, mm = 0.0, B = 0.0;
    double *means = malloc(M * sizeof *means);
    if (means == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    for (size_t k = 0; k < m; k++) {
        for (int half = 0; half < 2; half++) {
            const double *xs = x + k * chain_stride + (half ? (n - h) * stride : 0);
            double mu = chain_mean(xs, h, stride);
            means[2 * k + (size_t)half] = mu;
            W += chain_var(xs, h, stride, mu) / (double)M;
            mm += mu / (double)M;
        }
    }
    for (size_t k = 0; k < M; k++)
        B += (means[k] - mm) * (means[k] - mm) / (double)(M - 1);
    free(means);
    B *= (double)h;
    if (!(W > 0.0))
        return bl_fail(err, BL_ENUM, "rhat: within-chain variance is 0 (chains constant)");
    double hn = (double)h, varp = (hn - 1.0) / hn * W + B / hn;
    *rhat = sqrt(varp / W);
    return BL_OK;
}

double
diag_mcse(double var, double ess)
{
    return sqrt(var / ess);
}

/* ---- rank-normalized diagnostics (docs/math.md §9, "Rank-normalized diagnostics") ----
 * Everything works on the split chains copied into one contiguous block:
 * 2m rows of h = floor(n/2) draws (chain k's first h draws, then its last
 * h; the middle draw of an odd n is left out). */

/* The direct autocovariance costs h^2; past this the FFT is cheaper. */
#define RANK_FFT_MIN 128

/* Draw i of chain k, pooled index k n + i: the order quantiles and ranks use. */
static void
pool_copy(const double *x, size_t m, size_t n, size_t stride, size_t cs, double *out)
{
    for (size_t k = 0; k < m; k++)
        for (size_t i = 0; i < n; i++)
            out[k * n + i] = x[k * cs + i * stride];
}

/* Pooled draws (m rows of n) to 2m split rows of h. */
static void
split_rows(const double *pool, size_t m, size_t n, double *out)
{
    size_t h = n / 2;
    for (size_t k = 0; k < m; k++) {
        memcpy(out + 2 * k * h, pool + k * n, h * sizeof *out);
        memcpy(out + (2 * k + 1) * h, pool + k * n + (n - h), h * sizeof *out);
    }
}

static bool
rows_constant(const double *x, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if (x[i] != x[0])
            return false;
    return true;
}

/* The mean over M rows of n of their autocovariances (divisor n), acf[t]
 * for the lags t < have, computed on demand: Geyer's sequence below stops
 * at the first pair of lags whose sum is negative, a few lags for a chain
 * that mixes, so the FFT of every lag (two transforms of 2n per row) was
 * mostly spent on lags nobody read. The direct sums take ACF_BLOCK lags per
 * sweep of a row, each lag summed in index order (the bits of the textbook
 * loop, on every CPU); once the lags asked for would cost more than the
 * FFT (ACF_FFT_RATIO m log2 m against n per lag), the FFT gives all of
 * them at once. Either way the figures are those of docs/math.md §9. */
#define ACF_BLOCK     8
#define ACF_FFT_RATIO 4.0

typedef struct acf_rows {
    const double *x;
    size_t M, n, have, direct_max;
    const double *mu; /* the rows' means */
    double *acf;      /* n */
} acf_rows;

static void
acf_direct(acf_rows *a, size_t t0, size_t nl)
{
    size_t n = a->n;
    double inv_n = 1.0 / (double)n, inv_m = 1.0 / (double)a->M;
    for (size_t b = 0; b < nl; b++)
        a->acf[t0 + b] = 0.0;
    for (size_t k = 0; k < a->M; k++) {
        const double *x = a->x + k * n;
        double mu = a->mu[k], s[ACF_BLOCK] = {0};
        size_t last = t0 + nl - 1, i = 0;
        /* All nl lags together while every one has a partner (a fixed
         * count, so that the compiler keeps the sums in registers). */
        if (nl == ACF_BLOCK)
            for (; i + last < n; i++) {
                double di = x[i] - mu;
                const double *y = x + i + t0;
                for (size_t b = 0; b < ACF_BLOCK; b++)
                    s[b] += di * (y[b] - mu);
            }
        for (; i + last < n; i++) {
            double di = x[i] - mu;
            for (size_t b = 0; b < nl; b++)
                s[b] += di * (x[i + t0 + b] - mu);
        }
        /* The shorter lags' tails, each still in index order. */
        for (size_t b = 0; b < nl; b++)
            for (size_t j = i; j + t0 + b < n; j++)
                s[b] += (x[j] - mu) * (x[j + t0 + b] - mu);
        for (size_t b = 0; b < nl; b++)
            a->acf[t0 + b] += s[b] * inv_n * inv_m;
    }
}

/* acf[t] for every t < need (need <= n). */
static int
acf_need(acf_rows *a, size_t need, bl_err *err)
{
    if (need <= a->have)
        return BL_OK;
    size_t n = a->n;
    /* A chain that mixes slowly needs lags far past the direct sums' cost:
     * its correlation at lag 2 ACF_BLOCK - 1 says how far (rho_t ~ r^t
     * reaches the noise floor 1/sqrt(M n) near t = log(floor) / log r). */
    if (a->have == 2 * ACF_BLOCK && need > a->have && a->direct_max < n && a->acf[0] > 0.0) {
        double r = a->acf[a->have - 1] / a->acf[0];
        double lags = r >= 1.0 ? HUGE_VAL
                               : (double)(a->have - 1) * -0.5 * log((double)a->M * (double)n) /
                                     log(fmax(r, 1e-300));
        if (r > 0.0 && lags > (double)a->direct_max)
            need = a->direct_max + 1;
    }
    if (need > a->direct_max) {
        double *c = malloc(n * sizeof *c);
        if (c == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory for the autocovariance (n=%zu)", n);
        memset(a->acf, 0, n * sizeof *a->acf);
        for (size_t k = 0; k < a->M; k++) {
            int rc = autocov(a->x + k * n, n, 1, c, n - 1, 0, err);
            if (rc != BL_OK) {
                free(c);
                return rc;
            }
            for (size_t t = 0; t < n; t++)
                a->acf[t] += c[t] / (double)a->M;
        }
        free(c);
        a->have = n;
        return BL_OK;
    }
    while (a->have < need) {
        size_t nl = n - a->have < ACF_BLOCK ? n - a->have : ACF_BLOCK;
        acf_direct(a, a->have, nl);
        a->have += nl;
    }
    return BL_OK;
}

/* Multi-chain ESS of M rows of n (Geyer's initial positive then monotone
 * sequence, the antithetic correction rho_T, tau >= 1/log10(M n)). c is
 * scratch of n doubles, acf of n. Constant draws: NaN (as the posterior
 * package: nothing varies, so nothing is estimated). */
static int
ess_rows(const double *x, size_t M, size_t n, double *c, double *acf, double *ess, bl_err *err)
{
    double S = (double)M * (double)n, N = (double)n;
    if (rows_constant(x, M * n)) {
        *ess = NAN;
        return BL_OK;
    }
    double *mu = malloc(M * sizeof *mu);
    if (mu == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for the ESS of %zu chains", M);
    double mm = 0.0, vm = 0.0;
    for (size_t k = 0; k < M; k++) {
        mu[k] = chain_mean(x + k * n, n, 1);
        mm += mu[k] / (double)M;
    }
    for (size_t k = 0; k < M && M > 1; k++) {
        double e = mu[k] - mm;
        vm += e * e / (double)(M - 1);
    }
    size_t m = 1, lg = 0;
    while (m < 2 * n)
        m <<= 1, lg++;
    double fft_lags = ACF_FFT_RATIO * (double)m * (double)lg / N;
    acf_rows a = {x, M, n, 0, n <= RANK_FFT_MIN || fft_lags >= N ? n : (size_t)fft_lags, mu, acf};
    if (a.direct_max < 2 * ACF_BLOCK)
        a.direct_max = n < 2 * ACF_BLOCK ? n : 2 * ACF_BLOCK;
    int rc = acf_need(&a, n < 2 ? n : 2, err);
    if (rc != BL_OK)
        goto done;
    double mean_var = acf[0] * N / (N - 1.0);
    double var_plus = mean_var * (N - 1.0) / N + vm;
    /* rho[t] for t <= T; the rest stays 0, as in the paper's sum. */
    double *rho = c;
    memset(rho, 0, n * sizeof *rho);
    rho[0] = 1.0;
    double even = 1.0, odd = 1.0 - (mean_var - acf[1]) / var_plus;
    rho[1] = odd;
    size_t t = 0;
    while (t + 5 < n && isfinite(even + odd) && even + odd > 0.0) {
        t += 2;
        if ((rc = acf_need(&a, t + 2, err)) != BL_OK)
            goto done;
        even = 1.0 - (mean_var - acf[t]) / var_plus;
        odd = 1.0 - (mean_var - acf[t + 1]) / var_plus;
        if (even + odd >= 0.0) {
            rho[t] = even;
            rho[t + 1] = odd;
        }
    }
    size_t T = t;
    if (even > 0.0)
        rho[T] = even;
    for (t = 2; t + 2 <= T; t += 2)
        if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
            rho[t] = (rho[t - 2] + rho[t - 1]) / 2.0;
            rho[t + 1] = rho[t];
        }
    double sum = 0.0;
    for (t = 0; t < T; t++)
        sum += rho[t];
    double tau = fmax(-1.0 + 2.0 * sum + rho[T], 1.0 / log10(S));
    *ess = S / tau;
done:
    free(mu);
    return rc;
}

/* Split R-hat of M rows of n; NaN for constant draws. */
static double
rhat_rows(const double *x, size_t M, size_t n)
{
    if (rows_constant(x, M * n))
        return NAN;
    double W = 0.0, mm = 0.0, B = 0.0;
    for (size_t k = 0; k < M; k++) {
        double mu = chain_mean(x + k * n, n, 1);
        W += chain_var(x + k * n, n, 1, mu) / (double)M;
        mm += mu / (double)M;
    }
    for (size_t k = 0; k < M; k++) {
        double e = chain_mean(x + k * n, n, 1) - mm;
        B += e * e / (double)(M - 1);
    }
    B *= (double)n;
    return sqrt((B / W + (double)n - 1.0) / (double)n);
}

/* ---- stable sort of doubles --------------------------------------------
 * The ranks and quantiles sort every pooled draw three times per summary,
 * and a sampler refreshes its summary as it runs: a comparison sort of 10^5
 * draws was most of `sample`'s time. This is an LSD radix sort of the
 * draws' order-preserving keys, 11 bits a pass, skipping the passes whose
 * digit all keys share (the sign and the top of the exponent, mostly).
 * Stable, with -0 keyed as +0 (they compare equal): the permutation is
 * that of a stable comparison sort of the values, ties in index order. */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES ((64 + RADIX_BITS - 1) / RADIX_BITS)

static uint64_t
sort_key(double v)
{
    if (v == 0.0)
        v = 0.0; /* -0 as +0 */
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

/* ord[0..len) = the indices of x in ascending order (stable); finite x. */
static int
sort_order(const double *x, size_t len, size_t *ord, bl_err *err)
{
    uint64_t *key = malloc(2 * len * sizeof *key);
    size_t *tmp = malloc(len * sizeof *tmp);
    size_t(*count)[RADIX_SIZE] = calloc(RADIX_PASSES, sizeof *count);
    if (key == NULL || tmp == NULL || count == NULL) {
        free(key), free(tmp), free(count);
        return bl_fail(err, BL_ENOMEM, "out of memory to sort %zu draws", len);
    }
    uint64_t *k0 = key, *k1 = key + len;
    for (size_t i = 0; i < len; i++) {
        k0[i] = sort_key(x[i]);
        ord[i] = i;
        for (unsigned p = 0; p < RADIX_PASSES; p++)
            count[p][(k0[i] >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    }
    size_t *o0 = ord, *o1 = tmp;
    for (unsigned p = 0; p < RADIX_PASSES; p++) {
        size_t *c = count[p], sum = 0;
        if (len > 0 && c[(k0[0] >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)] == len)
            continue; /* one digit for all: the order stays */
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            size_t n = c[d];
            c[d] = sum;
            sum += n;
        }
        for (size_t i = 0; i < len; i++) {
            size_t at = c[(k0[i] >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
            k1[at] = k0[i];
            o1[at] = o0[i];
        }
        uint64_t *kt = k0;
        k0 = k1, k1 = kt;
        size_t *ot = o0;
        o0 = o1, o1 = ot;
    }
    if (o0 != ord)
        memcpy(ord, o0, len * sizeof *ord);
    free(key), free(tmp), free(count);
    return BL_OK;
}

/* Average ranks of x from its ascending order ord; sorted neighbours at
 * most tol apart are ties (chained). */
static void
ranks_of_order(const double *x, const size_t *ord, size_t len, double tol, double *r)
{
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j + 1 < len && x[ord[j + 1]] - x[ord[j]] <= tol)
            j++;
        double avg = ((double)i + (double)j) / 2.0 + 1.0; /* ties: the average rank */
        for (size_t k = i; k <= j; k++)
            r[ord[k]] = avg;
        i = j + 1;
    }
}

static int
ranks_tol(const double *x, size_t len, double tol, double *r, bl_err *err)
{
    size_t *ord = malloc(len * sizeof *ord);
    if (ord == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for the ranks of %zu draws", len);
    int rc = sort_order(x, len, ord, err);
    if (rc == BL_OK)
        ranks_of_order(x, ord, len, tol, r);
    free(ord);
    return rc;
}

int
diag_ranks(const double *x, size_t len, double *r, bl_err *err)
{
    return ranks_tol(x, len, 0.0, r, err);
}

/* Ranks of len draws to normal scores, in place. */
static void
scores_of_ranks(double *z, size_t len)
{
    double S = (double)len;
    for (size_t i = 0; i < len; i++)
        z[i] = gsl_cdf_ugaussian_Pinv((z[i] - 0.375) / (S + 0.25));
}

/* Normal scores of ranks_tol's ranks. */
static int
normal_scores(const double *x, size_t len, double tol, double *z, bl_err *err)
{
    int rc = ranks_tol(x, len, tol, z, err);
    if (rc == BL_OK)
        scores_of_ranks(z, len);
    return rc;
}

int
diag_rank_normalize(const double *x, size_t len, double *z, bl_err *err)
{
    return normal_scores(x, len, 0.0, z, err);
}

/* R's type-7 quantile of sorted s (len): linear between order statistics. */
static double
quantile7(const double *s, size_t len, double p)
{
    double h = (double)(len - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= len)
        return s[len - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

/* Scratch of one summary: pooled, sorted, split and transformed copies,
 * and the pool's ascending order (for both sorted and the bulk ranks). */
typedef struct rank_ws {
    double *pool, *sorted, *tmp, *split, *c, *acf;
    size_t *ord;
} rank_ws;

static const double tail_p[DIAG_NQ] = {0.05, 0.5, 0.95};

/* Above this a + b, gsl_cdf_beta_P's continued fraction stops converging
 * (from a = b ~ 7.7e5 it returns NaN), and the Cornish-Fisher value below
 * is within 1e-3/(a + b) of the quantile (tests/diag_reference.py's grid):
 * a thousandth of one draw's index when the ESS is of the order of S. */
#define BETA_CF_MIN 1e6

/* The P quantile of Beta(a, b), a, b >= 1. gsl_cdf_beta_Pinv returns NaN
 * where its own iteration does not converge (Beta(398, 7542) at P = Phi(1),
 * an ESS of 7936 at p = 0.05), so this brackets the root of
 * gsl_cdf_beta_P(x) - P in (0, 1) and takes Newton steps that stay inside
 * the bracket, bisecting otherwise; it starts from the normal value with
 * its skewness term (Cornish-Fisher), which is the answer above BETA_CF_MIN. */
double
diag_beta_quantile(double P, double a, double b)
{
    double s = a + b, mean = a / s, sd = sqrt(a * b / (s * s * (s + 1.0)));
    double skew = 2.0 * (b - a) * sqrt(s + 1.0) / ((s + 2.0) * sqrt(a * b));
    double z = gsl_cdf_ugaussian_Pinv(P);
    double x = mean + sd * (z + skew * (z * z - 1.0) / 6.0);
    if (s > BETA_CF_MIN)
        return x;
    double lo = 0.0, hi = 1.0, lnb = gsl_sf_lnbeta(a, b);
    if (!(x > lo && x < hi))
        x = mean;
    for (int it = 0; it < 200; it++) {
        double f = gsl_cdf_beta_P(x, a, b) - P;
        if (f == 0.0)
            return x;
        if (f < 0.0)
            lo = x;
        else
            hi = x;
        /* the density in logs: x^(a-1) alone underflows for an ESS of 10^4 */
        double dens = exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - lnb);
        double next = x - f / dens;
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        if (fabs(next - x) <= 2.0 * DBL_EPSILON * x || hi - lo <= 2.0 * DBL_EPSILON * hi)
            return next;
        x = next;
    }
    return x;
}

/* ESS of the indicator I[x <= q] (pooled draws, split). */
static int
ess_indicator(const rank_ws *w, size_t m, size_t n, double q, double *ess, bl_err *err)
{
    for (size_t i = 0; i < m * n; i++)
        w->tmp[i] = w->pool[i] <= q ? 1.0 : 0.0;
    split_rows(w->tmp, m, n, w->split);
    return ess_rows(w->split, 2 * m, n / 2, w->c, w->acf, ess, err);
}

int
diag_summarize(const double *x, size_t m, size_t n, size_t stride, size_t chain_stride,
               diag_summary *out, bl_err *err)
{
    int rc = check_chains(x, m, n, stride, chain_stride, err);
    if (rc != BL_OK)
        return rc;
    size_t S = m * n, h = n / 2, M = 2 * m;
    rank_ws w = {malloc(S * sizeof(double)), malloc(S * sizeof(double)),
                 malloc(S * sizeof(double)), malloc(M * h * sizeof(double)),
                 malloc(h * sizeof(double)), malloc(h * sizeof(double)),
                 malloc(S * sizeof(size_t))};
    if (w.pool == NULL || w.sorted == NULL || w.tmp == NULL || w.split == NULL || w.c == NULL ||
        w.acf == NULL || w.ord == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory for the diagnostics of %zu draws", S);
        goto done;
    }
    pool_copy(x, m, n, stride, chain_stride, w.pool);
    if (rows_constant(w.pool, S)) {
        rc = bl_fail(err, BL_ENUM, "constant draws: R-hat and ESS undefined");
        goto done;
    }
    /* Chains that have not moved, at different points: no within-chain
     * variance, so R-hat is B/W with W zero up to the rounding of the
     * chain means (1e14, not a measurement) and the ESS that of 1/M. */
    bool moved = false;
    for (size_t k = 0; k < m && !moved; k++)
        moved = !rows_constant(w.pool + k * n, n);
    if (!moved) {
        rc = bl_fail(err, BL_ENUM, "no chain has moved: R-hat and ESS undefined");
        goto done;
    }
    if ((rc = sort_order(w.pool, S, w.ord, err)) != BL_OK)
        goto done;
    for (size_t i = 0; i < S; i++)
        w.sorted[i] = w.pool[w.ord[i]];
    double med = quantile7(w.sorted, S, 0.5);
    double mu = chain_mean(w.pool, S, 1), sd = sqrt(chain_var(w.pool, S, 1, mu));
    /* Bulk: split R-hat and ESS of the normal scores (the order above). */
    ranks_of_order(w.pool, w.ord, S, 0.0, w.tmp);
    scores_of_ranks(w.tmp, S);
    split_rows(w.tmp, m, n, w.split);
    out->rhat_bulk = rhat_rows(w.split, M, h);
    if ((rc = ess_rows(w.split, M, h, w.c, w.acf, &out->ess_bulk, err)) != BL_OK)
        goto done;
    /* Folded: the normal scores of the distance to the median. */
    /* The two middle draws of an even S are equally far from their mean,
     * and so are their repeats (a chain that stayed): whether rounding
     * makes them equal depends on the last bit of the draws (another BLAS
     * kernel), and a tie of many draws moves R-hat in the third digit. So
     * distances within rounding of |x - median| count as equal. */
    double big = 0.0;
    for (size_t i = 0; i < S; i++) {
        w.tmp[i] = fabs(w.pool[i] - med);
        big = fmax(big, fabs(w.pool[i]));
    }
    double tol = 4.0 * DBL_EPSILON * big;
    double *zf = malloc(S * sizeof *zf);
    if (zf == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory for the diagnostics of %zu draws", S);
        goto done;
    }
    rc = normal_scores(w.tmp, S, tol, zf, err);
    if (rc == BL_OK) {
        split_rows(zf, m, n, w.split);
        out->rhat_tail = rhat_rows(w.split, M, h);
    }
    free(zf);
    if (rc != BL_OK)
        goto done;
    out->rhat = fmax(out->rhat_bulk, out->rhat_tail);
    /* Quantiles: the indicators' ESS, then the Beta interval of the paper. */
    for (int q = 0; q < DIAG_NQ; q++) {
        double p = tail_p[q], e;
        if ((rc = ess_indicator(&w, m, n, quantile7(w.sorted, S, p), &e, err)) != BL_OK)
            goto done;
        out->ess_q[q] = e;
        if (!isfinite(
                e)) { /* a constant indicator: no interval (and GSL's inverse would not end) */
            out->mcse_q[q] = NAN;
            continue;
        }
        /* +-1 sd of a normal: Phi(-1), Phi(1). */
        double a1 = diag_beta_quantile(0.1586553, e * p + 1.0, e * (1.0 - p) + 1.0);
        double a2 = diag_beta_quantile(0.8413447, e * p + 1.0, e * (1.0 - p) + 1.0);
        /* The posterior package's index rule (floor below, ceiling above:
         * the interval never shrinks under rounding; the paper rounded). */
        double i1 = fmax(floor(a1 * (double)S), 1.0), i2 = fmin(ceil(a2 * (double)S), (double)S);
        out->mcse_q[q] = (w.sorted[(size_t)i2 - 1] - w.sorted[(size_t)i1 - 1]) / 2.0;
    }
    out->ess_tail = isnan(out->ess_q[0]) || isnan(out->ess_q[2])
                        ? (double)NAN
                        : fmin(out->ess_q[0], out->ess_q[2]);
    /* Mean and sd: split ESS of x and of x^2, no ranks. */
    split_rows(w.pool, m, n, w.split);
    if ((rc = ess_rows(w.split, M, h, w.c, w.acf, &out->ess_mean, err)) != BL_OK)
        goto done;
    for (size_t i = 0; i < S; i++)
        w.tmp[i] = w.pool[i] * w.pool[i];
    split_rows(w.tmp, m, n, w.split);
    double ess_sq;
    if ((rc = ess_rows(w.split, M, h, w.c, w.acf, &ess_sq, err)) != BL_OK)
        goto done;
    out->ess_sd = fmin(out->ess_mean, ess_sq);
    out->mean = mu;
    out->sd = sd;
    out->mcse_mean = sd / sqrt(out->ess_mean);
    /* Stirling's approximation for a normal sd (the paper's appendix). */
    double es = out->ess_sd;
    out->mcse_sd = sd * sqrt(exp(1.0) * pow(1.0 - 1.0 / es, es - 1.0) - 1.0);
done:
    free(w.pool);
    free(w.sorted);
    free(w.tmp);
    free(w.split);
    free(w.c);
    free(w.acf);
    free(w.ord);
    return rc;
}

int
diag_ebfmi(const double *E, size_t n, size_t stride, double *bfmi, bl_err *err)
{
    if (n < 2)
        return bl_fail(err, BL_EINVAL, "e-bfmi: n=%zu: need at least 2 energies", n);
    if (!chain_finite(E, n, stride))
        return bl_fail(err, BL_EINVAL, "e-bfmi: the energies have non-finite values");
    double mu = chain_mean(E, n, stride), num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = E[i * stride] - mu;
        den += e * e;
        if (i > 0) {
            double dE = E[i * stride] - E[(i - 1) * stride];
            num += dE * dE;
        }
    }
    if (!(den > 0.0))
        return bl_fail(err, BL_ENUM, "e-bfmi: the energy is constant (undefined)");
    *bfmi = num / den;
    return BL_OK;
}

double
diag_kl_floor(size_t d, double n_eff)
{
    return (double)d * ((double)d + 3.0) / (4.0 * n_eff);
}

int
diag_kl_gauss(size_t d, const double *m0, const double *S0, const double *m1, const double *S1,
              double *kl, bl_err *err)
{
    int rc = BL_OK;
    double *L0 = malloc(d * d * sizeof *L0), *L1 = malloc(d * d * sizeof *L1);
    double *v = malloc(d * sizeof *v);
    if (L0 == NULL || L1 == NULL || v == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory (d=%zu)", d);
        goto done;
    }
    memcpy(L0, S0, d * d * sizeof *L0);
    memcpy(L1, S1, d * d * sizeof *L1);
    if (linalg_cholesky(L0, d, NULL, err) != BL_OK || linalg_cholesky(L1, d, NULL, err) != BL_OK) {
        rc = bl_fail(err, BL_ENUM, "kl: a covariance is not positive definite");
        goto done;
    }
    /* tr(S1^-1 S0) = |L1^-1 L0|_F^2, column by column of L0. */
    double tr = 0.0;
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < d; i++)
            v[i] = L0[i * d + j];
        linalg_solve_lower(L1, d, v);
        for (size_t i = 0; i < d; i++)
            tr += v[i] * v[i];
    }
    for (size_t i = 0; i < d; i++)
        v[i] = m1[i] - m0[i];
    linalg_solve_lower(L1, d, v);
    double q = 0.0;
    for (size_t i = 0; i < d; i++)
        q += v[i] * v[i];
    *kl = 0.5 * (tr + q - (double)d + linalg_chol_logdet(L1, d) - linalg_chol_logdet(L0, d));
done:
    free(L0);
    free(L1);
    free(v);
    return rc;
}

/* B = Q^T diag(f(lam)) Q with Q's rows the eigenvectors (linalg_eigh). */
static void
eig_apply(const double *Q, const double *lam, size_t d, double *B)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += Q[k * d + i] * lam[k] * Q[k * d + j];
            B[i * d + j] = s;
        }
}

/* C = A B (d x d, row-major) by direct sums in index order: the small-d
 * path, whose sums keep the order the outputs were made with. */
static void
square_product(const double *A, const double *B, size_t d, double *C)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += A[i * d + k] * B[k * d + j];
            C[i * d + j] = s;
        }
}

/* From this d the three d^3 products go to BLAS-3 (dgemm): the direct sums'
 * strided reads miss the cache, 3 s a W2 at d = 1000. Below it the direct
 * sums, so small-d outputs keep their digits. */
#define W2_BLAS_MIN 64

int
diag_w2_gauss(size_t d, const double *m0, const double *S0, const double *m1, const double *S1,
              double *w2sq, bl_err *err)
{
    int rc = BL_OK;
    double *Q = malloc(d * d * sizeof *Q), *R = malloc(d * d * sizeof *R);
    double *M = malloc(d * d * sizeof *M), *lam = malloc(d * sizeof *lam);
    if (Q == NULL || R == NULL || M == NULL || lam == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory (d=%zu)", d);
        goto done;
    }
    memcpy(Q, S1, d * d * sizeof *Q);
    if ((rc = linalg_eigh(Q, d, lam, true, err)) != BL_OK)
        goto done;
    for (size_t k = 0; k < d; k++)
        lam[k] = sqrt(fmax(lam[k], 0.0));
    if (d >= W2_BLAS_MIN) {
        int n = (int)d;
        for (size_t k = 0; k < d; k++)
            for (size_t j = 0; j < d; j++)
                M[k * d + j] = lam[k] * Q[k * d + j];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, n, 1.0, Q, n, M, n, 0.0, R,
                    n); /* R = S1^1/2 */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, S0, n, R, n, 0.0, Q,
                    n);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, R, n, Q, n, 0.0, M,
                    n); /* M = R S0 R */
    } else {
        eig_apply(Q, lam, d, R); /* R = S1^1/2 */
        square_product(S0, R, d, Q); /* M = R S0 R */
        square_product(R, Q, d, M);
    }
    linalg_symmetrize(M, d);
    if ((rc = linalg_eigh(M, d, lam, false, err)) != BL_OK)
        goto done;
    double tr = 0.0, dm = 0.0;
    for (size_t k = 0; k < d; k++) {
        tr += S0[k * d + k] + S1[k * d + k] - 2.0 * sqrt(fmax(lam[k], 0.0));
        dm += (m0[k] - m1[k]) * (m0[k] - m1[k]);
    }
    *w2sq = dm + tr;
done:
    free(Q);
    free(R);
    free(M);
    free(lam);
    return rc;
}

struct diag_acc {
    size_t d, n;
    double W, W2; /* sum of weights, of squared weights */
    double *mean; /* d */
    double *S;    /* d x d, sum of w (x - mean_old)(x - mean_new)^T */
    double *dx;   /* scratch d */
};

diag_acc *
diag_acc_alloc(size_t d, bl_err *err)
{
    if (d < 1 || d > 4096) {
        bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..4096", d);
        return NULL;
    }
    diag_acc *a = calloc(1, sizeof *a);
    if (a != NULL) {
        a->d = d;
        a->mean = calloc(d, sizeof *a->mean);
        a->S = calloc(d * d, sizeof *a->S);
        a->dx = calloc(d, sizeof *a->dx);
    }
    if (a == NULL || a->mean == NULL || a->S == NULL || a->dx == NULL) {
        diag_acc_free(a);
        bl_fail(err, BL_ENOMEM, "out of memory (d=%zu)", d);
        return NULL;
    }
    return a;
}

void
diag_acc_free(diag_acc *a)
{
    if (a == NULL)
        return;
    free(a->mean);
    free(a->S);
    free(a->dx);
    free(a);
}

void
diag_acc_reset(diag_acc *a)
{
    a->n = 0;
    a->W = a->W2 = 0.0;
    memset(a->mean, 0, a->d * sizeof *a->mean);
    memset(a->S, 0, a->d * a->d * sizeof *a->S);
}

int
diag_acc_push(diag_acc *a, const double *x, double w, bl_err *err)
{
    size_t d = a->d;
    if (!(w > 0.0) || !isfinite(w))
        return bl_fail(err, BL_EINVAL, "weight=%g: must be > 0", w);
    for (size_t i = 0; i < d; i++)
        if (!isfinite(x[i]))
            return bl_fail(err, BL_EINVAL, "draw coordinate %zu is not finite", i);
    a->n++;
    a->W += w;
    a->W2 += w * w;
    double r = w / a->W;
    for (size_t i = 0; i < d; i++) {
        a->dx[i] = x[i] - a->mean[i];
        a->mean[i] += r * a->dx[i];
    }
    /* S += w dx (x - mean_new)^T = w (1 - r) dx dx^T (West 1979). */
    double c = w * (1.0 - r);
    for (size_t i = 0; i < d; i++) {
        double ci = c * a->dx[i];
        double *Si = a->S + i * d;
        for (size_t j = 0; j < d; j++)
            Si[j] += ci * a->dx[j];
    }
    return BL_OK;
}

size_t
diag_acc_count(const diag_acc *a)
{
    return a->n;
}

double
diag_acc_kish(const diag_acc *a)
{
    return a->W2 > 0.0 ? a->W * a->W / a->W2 : 0.0;
}

const double *
diag_acc_mean(const diag_acc *a)
{
    return a->mean;
}

int
diag_acc_cov(const diag_acc *a, double *cov, bl_err *err)
{
    double den = a->W - a->W2 / (a->W > 0.0 ? a->W : 1.0);
    if (a->n < 2 || !(den > 0.0))
        return bl_fail(err, BL_ESTATE, "covariance needs at least 2 draws (have %zu)", a->n);
    for (size_t i = 0; i < a->d * a->d; i++)
        cov[i] = a->S[i] / den;
    return BL_OK;
}
