/* core/linalg.h - dense kernels on row-major lower Cholesky factors.
 *
 * Every matrix is a d x d row-major array of doubles with leading dimension d.
 * A "factor" L is lower triangular (L[i*d + k], k <= i) with a positive
 * diagonal; its strict upper triangle is never read and, where a function
 * says so, kept zero. A row-major lower triangle is a column-major upper one,
 * so LAPACK is called column-major with uplo = 'U' and never transposes.
 *
 * docs/math.md §1.1 (never invert; log det from the factor), 1.2 (jitter ladder),
 * 1.6 (symmetrise), 2.3 (rank-1 Cholesky update). The O(d^2) kernels walk the
 * triangle row by row (contiguous) and keep several independent dependency
 * chains in flight; they are the hot path of blr_observe (see bench_blr.c). */
#ifndef BAYESLENS_CORE_LINALG_H
#define BAYESLENS_CORE_LINALG_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

/* Rank-1 update in place: on exit L L^T = L_in L_in^T + v v^T (docs/math.md §2.3).
 * Row-oriented form of the textbook column algorithm: row i is swept once,
 * applying the rotations 0..i-1 found on the rows above, then it yields
 * rotation i from its diagonal, so the triangle is read and written once,
 * contiguously. The rotations are orthogonal Givens rotations
 * (cs_k = L_kk/r, sn_k = v_k/r, r = hypot(L_kk, v_k)); algebraically equal to
 * docs/math.md's (c, s) form with c = 1/cs_k, s = sn_k/cs_k.
 * v (length d) is destroyed. rot (length 2d, caller's scratch) receives
 * cs in rot[0..d-1] and sn in rot[d..2d-1] for linalg_givens_apply.
 * Returns q = v^T (L_in L_in^T)^-1 v, accumulated from the rotations as
 * prod_k (1 + (v_k/L_kk)^2) - 1 without cancellation (matrix determinant
 * lemma), so log det grows by log1p(q). O(d^2): one read+write sweep of the
 * triangle, 8 rows at a time in SIMD lanes where the compiler allows (the
 * result is the same to the last bit as the scalar path). Cannot fail for a
 * valid factor and finite v. */
double linalg_chol_update(double *L, size_t d, double *v, double *rot);

/* Apply the rotations saved by linalg_chol_update to one extra row: the
 * d-vector row[] with companion value *eta plays the part of a row of L below
 * the last one together with its entry of v. O(d).
 * Used to carry h = L^-1 b through an update (row = h, *eta = new entry of b's
 * increment, see blr.c) and, from row = 0, *eta = 1, to obtain L_new^-1 v. */
void linalg_givens_apply(const double *rot, size_t d, double *row, double *eta);

/* x <- L^-1 x (forward substitution, rows contiguous). O(d^2). */
void linalg_solve_lower(const double *L, size_t d, double *x);
/* The same on a factor stored with leading dimension ld >= d (row i at L + i ld). */
void linalg_solve_lower_ld(const double *L, size_t d, size_t ld, double *x);
/* x <- L^-T x (back substitution, column-oriented: for i = d-1..0,
 * x_i /= L_ii, then x_j -= L_ij x_i for j < i, contiguous in row i; rows are
 * taken 4 at a time so x is loaded and stored once per 4 rows). O(d^2). */
void linalg_solve_lower_t(const double *L, size_t d, double *x);
/* The same on a factor stored with leading dimension ld >= d. */
void linalg_solve_lower_t_ld(const double *L, size_t d, size_t ld, double *x);
/* Two right-hand sides in one pass over L: x <- L^-T x, y <- L^-T y. */
void linalg_solve_lower_t2(const double *L, size_t d, double *x, double *y);

/* Lower triangle of G (d x d) += P^T P, P np x d row-major: the rank-np
 * update that batches np rank-1 updates of a Gram matrix, one pass over G.
 * O(np d^2 / 2). np <= 16 or so keeps P in L1. */
void linalg_syrk_lower(double *G, size_t d, const double *P, size_t np);
/* One point of a covariance-form filter, without BLAS: u = S phi, then
 * S -= u u^T / (s0 + q) with q = phi^T S phi (returned, before). S is the
 * column-major lower triangle (row-major upper) of a d x d symmetric matrix;
 * u: d. O(d^2), two sweeps of the triangle. */
double linalg_cov_update(double *S, size_t d, const double *phi, double s0, double *u);

/* log det(L L^T) = 2 sum_i log L_ii. O(d). */
double linalg_chol_logdet(const double *L, size_t d);

/* Cholesky with the jitter ladder of docs/math.md §1.2. On entry the lower triangle
 * of A (row-major, symmetric matrix) is read; on success it holds L with
 * A + j I = L L^T, the strict upper triangle is zeroed, *jitter (may be NULL)
 * receives j (0 when none was needed). j runs 1e-10, 1e-9, ..., 1e-4 times
 * mean(diag A). On failure A is unchanged and BL_ENUM ("not positive
 * definite") or BL_ENOMEM is returned. O(d^3/3) (LAPACK dpotrf). */
int linalg_cholesky(double *A, size_t d, double *jitter, bl_err *err);

/* Full inverse of A = L L^T into Ainv (d*d row-major, symmetric, both
 * triangles filled); L is not modified. BL_ENUM if L is singular, BL_ENOMEM.
 * O(d^3) (LAPACK dpotri). Ainv may not alias L. */
int linalg_chol_inverse(const double *L, size_t d, double *Ainv, bl_err *err);

/* Symmetric eigendecomposition (LAPACK dsyevd). Reads the lower triangle of
 * A. w (length d) receives the eigenvalues in ascending order. If vectors,
 * row j of A (row-major) receives the unit eigenvector of w[j], i.e. A holds
 * V^T with A_in = V diag(w) V^T; otherwise A is destroyed. BL_ENUM if the
 * algorithm does not converge, BL_ENOMEM. O(d^3). */
int linalg_eigh(double *A, size_t d, double *w, bool vectors, bl_err *err);

/* A <- (A + A^T)/2 (docs/math.md §1.6). O(d^2). */
void linalg_symmetrize(double *A, size_t d);
/* Copy the lower triangle onto the upper one. O(d^2). */
void linalg_mirror_lower(double *A, size_t d);

/* Whether every one of v[0..n) is finite. Inline: targets check every
 * gradient with it. */
static inline bool
linalg_all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}
/* Whether at least one of v[0..n) is finite. */
static inline bool
linalg_any_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            return true;
    return false;
}

/* OpenBLAS on one thread around a computation whose result is kept or
 * printed: a threaded dtrsm, dsyrk or dpotrf sums in an order that depends
 * on the thread count, so the same script would print different last
 * digits with OPENBLAS_NUM_THREADS=1 and =2 (and an optimizer or a sampler
 * turns those into different results). Returns the count to restore. The
 * NNGP Gram, our own threaded code, partitions by entries and is
 * bit-identical for any count (core/kernel/nngp.c). */
int linalg_threads_one(void);
void linalg_threads_restore(int count);

#endif
