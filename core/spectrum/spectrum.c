/* core/spectrum.c - RankMe, von Neumann effective rank, alpha-ReQ and the
 * eigen/singular values they are computed from (docs/math.md §6, 11 E1).
 *
 * The entropy uses p_k = x_k / sum x + eps exactly as the reference
 * implementations do (the p_k then sum to 1 + n eps, not 1; docs/math.md §6 [C]).
 * The alpha-ReQ regression is done in centred form, slope =
 * sum w (x - xbar)(y - ybar) / sum w (x - xbar)^2 with x = log j,
 * y = log lambda_j: the normal equations in raw sums lose digits to
 * cancellation when the window sits at large j (x nearly constant). */
#include "core/spectrum/spectrum.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "core/base/linalg.h"

/* exp(-sum p log p), p_k = x_k / sum + eps; x_k >= 0, sum > 0. */
static double
entropy_rank(const double *x, size_t n, double sum)
{
    double h = 0.0;
    for (size_t k = 0; k < n; k++) {
        double p = x[k] / sum + SPECTRUM_EPS;
        h -= p * log(p);
    }
    return exp(h);
}

int
spectrum_rankme_sv(const double *s, size_t n, double *rank, bl_err *err)
{
    *rank = NAN;
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "rankme: no singular values");
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(s[k]))
            return bl_fail(err, BL_EINVAL, "rankme: singular value %zu is not finite", k + 1);
        if (s[k] < 0.0)
            return bl_fail(err, BL_EINVAL, "rankme: singular value %zu = %g: must be >= 0", k + 1,
                           s[k]);
        sum += s[k];
    }
    if (!(sum > 0.0))
        return bl_fail(err, BL_EINVAL, "rankme: all %zu singular values are 0: rank undefined", n);
    *rank = entropy_rank(s, n, sum);
    return BL_OK;
}

/* Shared by the PSD variants: n > 0, every lam finite, at least one > 0. */
static int
check_psd(const char *what, const double *lam, size_t n, bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "%s: no eigenvalues", what);
    bool pos = false;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(lam[k]))
            return bl_fail(err, BL_EINVAL, "%s: eigenvalue %zu is not finite", what, k + 1);
        pos |= lam[k] > 0.0;
    }
    if (!pos)
        return bl_fail(err, BL_EINVAL, "%s: no positive eigenvalue among %zu: rank undefined", what,
                       n);
    return BL_OK;
}

/* lam, or sqrt(lam) when root, and 0 inside the rounding floor fl. */
static double
psd_weight(double lam, double fl, bool root)
{
    return lam > fl ? (root ? sqrt(lam) : lam) : 0.0;
}

/* entropy_rank of the psd_weight of each lam. Two passes avoid a scratch
 * array. */
static double
entropy_rank_psd(const double *lam, size_t n, bool root)
{
    double fl = spectrum_noise_floor(lam, n), sum = 0.0, h = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += psd_weight(lam[k], fl, root);
    for (size_t k = 0; k < n; k++) {
        double p = psd_weight(lam[k], fl, root) / sum + SPECTRUM_EPS;
        h -= p * log(p);
    }
    return exp(h);
}

int
spectrum_rankme_psd(const double *lam, size_t n, double *rank, bl_err *err)
{
    *rank = NAN;
    int rc = check_psd("rankme", lam, n, err);
    if (rc != BL_OK)
        return rc;
    /* sigma_k = sqrt(max(lam_k, 0)) (docs/math.md §6 [C]), with values inside
     * the rounding floor counted as the zeros they are: through the sqrt a
     * floor-sized eigenvalue would weigh sqrt(n eps) ~ 1e-7 relative, the
     * size of RankMe's eps, and its noise digits (BLAS-kernel dependent)
     * would show in the rank's sixth digit. */
    *rank = entropy_rank_psd(lam, n, true);
    return BL_OK;
}

int
spectrum_erank_vn(const double *lam, size_t n, double *rank, bl_err *err)
{
    *rank = NAN;
    int rc = check_psd("von neumann rank", lam, n, err);
    if (rc != BL_OK)
        return rc;
    /* As RankMe: values inside the rounding floor count as 0. */
    *rank = entropy_rank_psd(lam, n, false);
    return BL_OK;
}

int
spectrum_alpha_req(const double *lam, size_t n, size_t j_lo, size_t j_hi, bool weighted,
                   spectrum_fit *fit, bl_err *err)
{
    fit->alpha = NAN;
    fit->log_c = NAN;
    fit->j_lo = j_lo;
    fit->j_hi = j_hi;
    fit->weighted = weighted;
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "alpha-req: no eigenvalues");
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(lam[k]))
            return bl_fail(err, BL_EINVAL, "alpha-req: eigenvalue %zu is not finite", k + 1);
        if (k > 0 && lam[k] > lam[k - 1])
            return bl_fail(err, BL_EINVAL,
                           "alpha-req: eigenvalues not sorted: lambda_%zu = %g > lambda_%zu = %g",
                           k + 1, lam[k], k, lam[k - 1]);
    }
    if (j_lo == 0)
        j_lo = 1;
    if (j_hi == 0) {
        /* Default window end (docs/math.md §6 [C]): the eigenvalues above
         * 1e-10 lambda_1; sorted, so they form a prefix. */
        double cut = SPECTRUM_REL_CUTOFF * lam[0];
        while (j_hi < n && lam[j_hi] > cut && lam[j_hi] > 0.0)
            j_hi++;
    }
    fit->j_lo = j_lo;
    fit->j_hi = j_hi;
    if (j_hi > n)
        return bl_fail(err, BL_EINVAL, "alpha-req: j_hi=%zu: only %zu eigenvalues", j_hi, n);
    if (j_lo > j_hi || j_hi - j_lo + 1 < SPECTRUM_MIN_POINTS)
        return bl_fail(err, BL_EINVAL,
                       "alpha-req: window j=%zu..%zu has %zu points: need at least %d", j_lo, j_hi,
                       j_lo > j_hi ? (size_t)0 : j_hi - j_lo + 1, SPECTRUM_MIN_POINTS);
    if (!(lam[j_hi - 1] > 0.0))
        return bl_fail(err, BL_EINVAL,
                       "alpha-req: lambda_%zu = %g inside window j=%zu..%zu: must be > 0", j_hi,
                       lam[j_hi - 1], j_lo, j_hi);

    double sw = 0.0, sx = 0.0, sy = 0.0;
    for (size_t j = j_lo; j <= j_hi; j++) {
        double w = weighted ? 1.0 / (double)j : 1.0;
        sw += w;
        sx += w * log((double)j);
        sy += w * log(lam[j - 1]);
    }
    double xbar = sx / sw, ybar = sy / sw, sxx = 0.0, sxy = 0.0;
    for (size_t j = j_lo; j <= j_hi; j++) {
        double w = weighted ? 1.0 / (double)j : 1.0;
        double dx = log((double)j) - xbar;
        sxx += w * dx * dx;
        sxy += w * dx * (log(lam[j - 1]) - ybar);
    }
    double slope = sxy / sxx; /* sxx > 0: at least 5 distinct j */
    fit->alpha = -slope;
    fit->log_c = ybar - slope * xbar;
    return BL_OK;
}

int
spectrum_eig_desc(const double *A, size_t d, double *lam, bl_err *err)
{
    if (d == 0)
        return bl_fail(err, BL_EINVAL, "eigenvalues: empty matrix (d=0)");
    if (d > SIZE_MAX / sizeof(double) / d)
        return bl_fail(err, BL_ENOMEM, "eigenvalues: d=%zu is too large", d);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++)
            if (!isfinite(A[i * d + j]))
                return bl_fail(err, BL_EINVAL, "eigenvalues: entry (%zu,%zu) is not finite", i + 1,
                               j + 1);
    double *W = malloc(d * d * sizeof *W);
    if (W == NULL)
        return bl_fail(err, BL_ENOMEM, "eigenvalues: out of memory for d=%zu", d);
    memcpy(W, A, d * d * sizeof *W);
    /* dsyevd returns ascending order into lam; reversed below in place. */
    int rc = linalg_eigh(W, d, lam, false, err);
    free(W);
    if (rc != BL_OK)
        return rc;
    for (size_t i = 0, k = d - 1; i < k; i++, k--) {
        double t = lam[i];
        lam[i] = lam[k];
        lam[k] = t;
    }
    /* dsyevd is backward stable: each eigenvalue is off by O(d eps |A|_2),
     * so a PSD matrix may show negatives of that size. */
    double big = fmax(fabs(lam[0]), fabs(lam[d - 1]));
    double tol = 8.0 * (double)d * DBL_EPSILON * big;
    for (size_t i = 0; i < d; i++)
        if (lam[i] < 0.0 && lam[i] >= -tol)
            lam[i] = 0.0;
    return BL_OK;
}

double
spectrum_noise_floor(const double *lam, size_t n)
{
    double big = 0.0;
    for (size_t k = 0; k < n; k++)
        big = fmax(big, fabs(lam[k]));
    return (double)n * DBL_EPSILON * big;
}

int
spectrum_sv_desc(const double *Z, size_t rows, size_t cols, bool centre, double *s, bl_err *err)
{
    if (rows == 0 || cols == 0)
        return bl_fail(err, BL_EINVAL, "singular values: empty matrix (%zu x %zu)", rows, cols);
    if (rows > SIZE_MAX / sizeof(double) / cols || rows > (size_t)INT32_MAX ||
        cols > (size_t)INT32_MAX)
        return bl_fail(err, BL_ENOMEM, "singular values: %zu x %zu is too large", rows, cols);
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(Z[i]))
            return bl_fail(err, BL_EINVAL, "singular values: entry (%zu,%zu) is not finite",
                           i / cols + 1, i % cols + 1);
    double *W = malloc(rows * cols * sizeof *W);
    if (W == NULL)
        return bl_fail(err, BL_ENOMEM, "singular values: out of memory for %zu x %zu", rows, cols);
    memcpy(W, Z, rows * cols * sizeof *W);
    if (centre)
        for (size_t j = 0; j < cols; j++) {
            double m = 0.0;
            for (size_t i = 0; i < rows; i++)
                m += W[i * cols + j];
            m /= (double)rows;
            for (size_t i = 0; i < rows; i++)
                W[i * cols + j] -= m;
        }
    /* Row-major Z is the column-major cols x rows matrix Z^T, which has the
     * same singular values: no transposition copy (docs/design.md Numerics).
     * jobz = 'N': U and VT are not referenced, ldu = ldvt = 1 is allowed. */
    double u = 0.0, vt = 0.0;
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)cols, (lapack_int)rows, W,
                                     (lapack_int)cols, s, &u, 1, &vt, 1);
    free(W);
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return bl_fail(err, BL_ENOMEM, "singular values: out of memory for %zu x %zu", rows, cols);
    if (info != 0)
        return bl_fail(err, BL_ENUM, "singular values: dgesdd did not converge (info=%d)",
                       (int)info);
    return BL_OK;
}

/* Row and column means of K and the grand mean, in fixed order; BL_EINVAL on a non-finite entry. */
static int
cka_means(const double *K, size_t n, const char *name, double *row, double *col, double *mean,
          double *fro, bl_err *err)
{
    memset(col, 0, n * sizeof(double));
    double all = 0.0, f = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *Ki = K + i * n;
        double s = 0.0;
        for (size_t j = 0; j < n; j++) {
            if (!isfinite(Ki[j]))
                return bl_fail(err, BL_EINVAL, "cka: %s entry (%zu,%zu) is not finite", name,
                               i + 1, j + 1);
            s += Ki[j];
            col[j] += Ki[j];
            f += Ki[j] * Ki[j];
        }
        row[i] = s / (double)n;
        all += s;
    }
    for (size_t j = 0; j < n; j++)
        col[j] /= (double)n;
    *mean = all / ((double)n * (double)n);
    *fro = sqrt(f);
    return BL_OK;
}

/* Centring on the fly, (HKH)_ij = K_ij - row_i - col_j + mean (exact for any square K; no
 * n x n copy), so one pass accumulates <HK1H, HK2H> and both norms. */
int
spectrum_cka(const double *K1, const double *K2, size_t n, double *cka, bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "cka: n=0: need at least 2 points");
    double *buf = malloc(4 * n * sizeof(double));
    if (buf == NULL)
        return bl_fail(err, BL_ENOMEM, "cka: out of memory for n=%zu", n);
    double *r1 = buf, *c1 = buf + n, *r2 = buf + 2 * n, *c2 = buf + 3 * n, m1, m2, f1, f2;
    int rc = cka_means(K1, n, "K1", r1, c1, &m1, &f1, err);
    if (rc == BL_OK)
        rc = cka_means(K2, n, "K2", r2, c2, &m2, &f2, err);
    if (rc != BL_OK) {
        free(buf);
        return rc;
    }
    double s12 = 0.0, s11 = 0.0, s22 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *A = K1 + i * n, *B = K2 + i * n;
        for (size_t j = 0; j < n; j++) {
            double a = A[j] - r1[i] - c1[j] + m1, b = B[j] - r2[i] - c2[j] + m2;
            s12 += a * b;
            s11 += a * a;
            s22 += b * b;
        }
    }
    free(buf);
    double n1 = sqrt(s11), n2 = sqrt(s22), floor = 8.0 * (double)n * DBL_EPSILON;
    if (!(n1 > floor * f1))
        return bl_fail(err, BL_EINVAL, "cka: K1 is constant after centring (|HK1H| = %.3g)", n1);
    if (!(n2 > floor * f2))
        return bl_fail(err, BL_EINVAL, "cka: K2 is constant after centring (|HK2H| = %.3g)", n2);
    double v = s12 / (n1 * n2);
    *cka = v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v;
    return BL_OK;
}
