/* core/spectrum.h - effective rank and power-law decay of spectra.
 *
 * docs/math.md §6 and 11 E1. RankMe (Garrido et al. 2023) of a representation
 * matrix Z from its singular values s_k: p_k = s_k / sum_j s_j + eps,
 * RankMe = exp(-sum_k p_k log p_k), eps = SPECTRUM_EPS [C] (so
 * RankMe([1,1,1,1]) = 4.000000618, not 4). For a PSD matrix M (Gram, kernel,
 * covariance) the singular values are sigma_k = sqrt(max(lambda_k, 0)), so
 * RankMe(M) = RankMe(Z) for any Z with Z^T Z = M. The von Neumann effective
 * rank uses p_k = lambda_k / sum lambda + eps and is smaller; say which one is
 * shown. alpha-ReQ (Agrawal et al. 2022) is the least-squares slope of
 * log lambda_j = c - alpha log j over a window of 1-based indices j, which
 * must always be displayed beside alpha (the value depends on it).
 *
 * All functions are pure, allocate at most one scratch copy, and fill *err
 * on failure; none aborts on any input. */
#ifndef BAYESLENS_CORE_SPECTRUM_H
#define BAYESLENS_CORE_SPECTRUM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

#define SPECTRUM_EPS        1e-7  /* RankMe's additive eps [C, docs/math.md §6] */
#define SPECTRUM_REL_CUTOFF 1e-10 /* default alpha-ReQ window: lambda_j > this * lambda_1 */
#define SPECTRUM_MIN_POINTS 5     /* alpha-ReQ needs at least this many points in its window */

/* A power-law fit log lambda_j = log_c - alpha log j (docs/math.md §6). */
typedef struct spectrum_fit {
    double alpha;  /* decay exponent; NaN after a failure */
    double log_c;  /* intercept (natural log); NaN after a failure */
    size_t j_lo;   /* window used, 1-based, inclusive (the defaults resolved); */
    size_t j_hi;   /* after a failure: the window that was asked for, 0 if unknown */
    bool weighted; /* weights 1/j (Stringer et al.) rather than ordinary least squares */
} spectrum_fit;

/* RankMe from singular values s[0..n-1] (any order, all >= 0, finite, not
 * all 0). O(n). BL_EINVAL (n = 0, a negative or non-finite value, all zero);
 * *rank is NaN after a failure. */
int spectrum_rankme_sv(const double *s, size_t n, double *rank, bl_err *err);

/* RankMe of a PSD matrix from its eigenvalues lam[0..n-1] (any order):
 * sigma_k = sqrt(max(lam_k, 0)), so rounding negatives count as 0, and so
 * do values at or below spectrum_noise_floor (their digits are rounding
 * noise, and the sqrt would magnify them into the rank's sixth digit). O(n).
 * BL_EINVAL (n = 0, a non-finite value, no positive eigenvalue); *rank is
 * NaN after a failure. */
int spectrum_rankme_psd(const double *lam, size_t n, double *rank, bl_err *err);

/* von Neumann effective rank: p_k = max(lam_k, 0) / sum + eps, then as
 * RankMe (docs/math.md §6; same eps as the reference implementations), values at or below
 * the noise floor counted as 0. O(n). Errors as
 * spectrum_rankme_psd. */
int spectrum_erank_vn(const double *lam, size_t n, double *rank, bl_err *err);

/* alpha-ReQ: fit log lam_j = c - alpha log j over j = j_lo..j_hi (1-based,
 * inclusive) of lam_desc[0..n-1], sorted non-increasing. j_lo = 0 means 1;
 * j_hi = 0 means the default, the number of eigenvalues above
 * SPECTRUM_REL_CUTOFF * lam_1 (docs/math.md §6). weighted: weights 1/j, else
 * ordinary least squares. The fit is centred (two passes), so it is exact to
 * rounding for a pure power law. fit->j_lo, fit->j_hi receive the window
 * used. O(j_hi - j_lo).
 * BL_EINVAL, with fit->alpha = NaN: n = 0, lam_desc not sorted, a non-finite
 * value, j_hi > n, j_lo > j_hi, fewer than SPECTRUM_MIN_POINTS points in the
 * window, or a lam_j <= 0 inside it. */
int spectrum_alpha_req(const double *lam_desc, size_t n, size_t j_lo, size_t j_hi, bool weighted,
                       spectrum_fit *fit, bl_err *err);

/* Eigenvalues of the symmetric d x d row-major matrix A (lower triangle read,
 * A not modified) into lam[0..d-1], sorted non-increasing. Eigenvalues in
 * [-tol, 0), tol = 8 d DBL_EPSILON max|lam|, are rounding noise of a PSD
 * matrix and are set to 0; larger negative ones are kept (A may be
 * indefinite). One scratch copy of A, then linalg_eigh (LAPACK dsyevd),
 * O(d^3). BL_EINVAL (d = 0, non-finite entry), BL_ENOMEM, BL_ENUM (no
 * convergence); lam is unspecified after a failure. */
int spectrum_eig_desc(const double *A, size_t d, double *lam, bl_err *err);

/* The rounding floor of n eigenvalues from spectrum_eig_desc: n DBL_EPSILON
 * max|lam_k| (0 when n = 0 or every value is 0). dsyevd is backward stable, so
 * each computed eigenvalue is off by up to about this much: below it a value
 * carries no digits (OpenBLAS's AVX2 and AVX-512 kernels give different
 * ones), and a display must show "below precision", not the value. O(n). */
double spectrum_noise_floor(const double *lam, size_t n);

/* Singular values of the rows x cols row-major matrix Z into
 * s[0..min(rows, cols)-1], non-increasing (LAPACK dgesdd, no vectors, on a
 * scratch copy; Z not modified). centre: subtract each column's mean first
 * (RankMe itself does not centre, docs/math.md §6; centred s_k^2 / (rows - 1) are
 * the covariance eigenvalues alpha-ReQ uses). O(rows cols min(rows, cols)).
 * BL_EINVAL (rows or cols 0, non-finite entry), BL_ENOMEM, BL_ENUM. */
int spectrum_sv_desc(const double *Z, size_t rows, size_t cols, bool centre, double *s,
                     bl_err *err);

/* Centered kernel alignment of two n x n symmetric matrices (Cortes et al. 2012; Kornblith et al.
 * 2019): <HK1H, HK2H>_F / (|HK1H|_F |HK2H|_F), H = I - 11^T/n. BL_EINVAL if either centred
 * kernel is 0 or an entry is non-finite. O(n^2). "0" means at the rounding floor: |HKH|_F
 * <= 8 n DBL_EPSILON |K|_F (a constant kernel centres to rounding noise, whose alignment
 * would be noise). In [-1, 1]; 1 for K2 = c K1 (c > 0) or K2 = K1 + a 1 1^T. */
int spectrum_cka(const double *K1, const double *K2, size_t n, double *cka, bl_err *err);

#endif
