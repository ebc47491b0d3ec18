/* core/linalg.c - dense kernels on row-major lower Cholesky factors.
 *
 * See linalg.h for the storage convention and contracts. Invariant of every
 * O(d^2) kernel here: the triangle is traversed row by row, each row
 * contiguously, and loops carry 4 independent chains (4 rows at once in the
 * rank-1 update, 4 partial sums in dot products) so that they run at the FMA
 * throughput instead of its latency. Results differ from the naive loops
 * only by rounding (tests/test_linalg.c compares them).
 * LAPACK calls are column-major with uplo = 'U': the row-major lower triangle
 * read column-major is the upper triangle of the transpose, which for a
 * symmetric matrix or an L/L^T pair is what we want, and LAPACKE does no copy. */
#include "core/base/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

/* From OpenBLAS (its <cblas.h> clashes with GSL's headers). */
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);

/* SIMD through GCC's generic vector extensions (no intrinsics, any target):
 * 4 doubles per vector, unaligned loads/stores (aligned(8)). On x86-64 the
 * two hot kernels are also compiled for x86-64-v3 (AVX2) and picked at load
 * time (target_clones); the default clone runs the same code on SSE2 pairs.
 * ISO C mode means no FMA contraction, so vector and scalar paths round
 * identically. Other compilers take the scalar paths. -DLINALG_NO_VEC and
 * -DLINALG_NO_CLONES force the scalar resp. baseline paths (for testing). */
#if defined(__GNUC__) && !defined(__clang__) && !defined(LINALG_NO_VEC)
#define LINALG_VEC 1
typedef double v4d __attribute__((vector_size(32), aligned(8)));
typedef long long v4i __attribute__((vector_size(32)));
#if defined(__x86_64__) && !defined(LINALG_NO_CLONES)
#define LINALG_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LINALG_CLONES
#endif
#else
#define LINALG_VEC 0
#define LINALG_CLONES
#endif

/* Rotation k (from diagonal entry *lkk and v_k) is applied to a row entry
 * l_ik and its v_i. Orthogonal form: docs/math.md §2.3 with cs = 1/c, sn = s/c. */
static inline void
rot_pair(double cs, double sn, double *l, double *v)
{
    double l0 = *l, v0 = *v;
    *l = cs * l0 + sn * v0;
    *v = cs * v0 - sn * l0;
}

/* Make rotation k from the diagonal of its row and the row's transformed v. */
static inline void
rot_make(double *lkk, double vk, double *cs, double *sn)
{
    /* r = hypot(L, v). This sits on the serial path of the update (each
     * rotation needs the previous ones applied to its row), so compute
     * sqrt(L^2 + v^2) directly, which is as accurate (< 1 ulp more) when
     * L^2 + v^2 neither overflows nor underflows, and fall back to libm's
     * hypot otherwise. The two divisions are independent. */
    double L = *lkk, r2 = L * L + vk * vk, r;
    if (r2 > 1e-290 && r2 < 1e290)
        r = sqrt(r2);
    else
        r = hypot(L, vk);
    *cs = L / r;
    *sn = vk / r;
    *lkk = r;
}

/* q = prod_k (1 + t_k^2) - 1 with t_k = v_k/L_kk = sn_k/cs_k, accumulated as
 * q += t^2 (1 + q) so no 1 - 1 cancellation occurs; kept off the serial path. */
static double
rot_quad(const double *rot, size_t d)
{
    const double *cs = rot, *sn = rot + d;
    double q = 0.0;
    for (size_t k = 0; k < d; k++) {
        double t = sn[k] / cs[k];
        q += t * t * (1.0 + q);
    }
    return q;
}

#if LINALG_VEC
/* 4x4 transpose of the rows a, b, c, d into columns (its own inverse). */
static inline void
transpose4(v4d *a, v4d *b, v4d *c, v4d *d)
{
    v4d t0 = __builtin_shuffle(*a, *b, (v4i){0, 4, 2, 6});
    v4d t1 = __builtin_shuffle(*a, *b, (v4i){1, 5, 3, 7});
    v4d t2 = __builtin_shuffle(*c, *d, (v4i){0, 4, 2, 6});
    v4d t3 = __builtin_shuffle(*c, *d, (v4i){1, 5, 3, 7});
    *a = __builtin_shuffle(t0, t2, (v4i){0, 1, 4, 5});
    *b = __builtin_shuffle(t1, t3, (v4i){0, 1, 4, 5});
    *c = __builtin_shuffle(t0, t2, (v4i){2, 3, 6, 7});
    *d = __builtin_shuffle(t1, t3, (v4i){2, 3, 6, 7});
}

/* Rows i..i+7 (i a multiple of 4), columns 0..i-1: the rotations found above
 * applied with the 8 rows in vector lanes (two vectors of 4 rows, whose v
 * recurrences are independent), 4 columns per tile, transposed in and out of
 * registers. v8 holds the 8 rows' v on entry and exit. */
LINALG_CLONES static void
update_rows8(double *L, size_t d, size_t i, const double *cs, const double *sn, double *v8)
{
    double *r = L + i * d;
    v4d VA = *(const v4d *)v8, VB = *(const v4d *)(v8 + 4);
    for (size_t k = 0; k < i; k += 4) {
        v4d a0 = *(v4d *)(r + k), a1 = *(v4d *)(r + d + k);
        v4d a2 = *(v4d *)(r + 2 * d + k), a3 = *(v4d *)(r + 3 * d + k);
        v4d b0 = *(v4d *)(r + 4 * d + k), b1 = *(v4d *)(r + 5 * d + k);
        v4d b2 = *(v4d *)(r + 6 * d + k), b3 = *(v4d *)(r + 7 * d + k);
        transpose4(&a0, &a1, &a2, &a3);
        transpose4(&b0, &b1, &b2, &b3);
#define ROT_COL(j, A, B)                     \
    do {                                     \
        double c = cs[k + j], s = sn[k + j]; \
        v4d la = A, lb = B;                  \
        A = c * la + s * VA;                 \
        B = c * lb + s * VB;                 \
        VA = c * VA - s * la;                \
        VB = c * VB - s * lb;                \
    } while (0)
        ROT_COL(0, a0, b0);
        ROT_COL(1, a1, b1);
        ROT_COL(2, a2, b2);
        ROT_COL(3, a3, b3);
#undef ROT_COL
        transpose4(&a0, &a1, &a2, &a3);
        transpose4(&b0, &b1, &b2, &b3);
        *(v4d *)(r + k) = a0;
        *(v4d *)(r + d + k) = a1;
        *(v4d *)(r + 2 * d + k) = a2;
        *(v4d *)(r + 3 * d + k) = a3;
        *(v4d *)(r + 4 * d + k) = b0;
        *(v4d *)(r + 5 * d + k) = b1;
        *(v4d *)(r + 6 * d + k) = b2;
        *(v4d *)(r + 7 * d + k) = b3;
    }
    *(v4d *)v8 = VA;
    *(v4d *)(v8 + 4) = VB;
}
#endif

double
linalg_chol_update(double *L, size_t d, double *v, double *rot)
{
    double *cs = rot, *sn = rot + d;
    size_t i = 0;
#if LINALG_VEC
    /* Blocks of 8 rows in vector lanes, then their 8x8 diagonal block. */
    for (; i + 8 <= d; i += 8) {
        double vb[8];
        memcpy(vb, v + i, sizeof vb);
        update_rows8(L, d, i, cs, sn, vb);
        /* The diagonal block is the serial path (rotation j needs rotations
         * < j applied to row j): keep c, s in registers and let the compiler
         * unroll the fixed-size loops. */
        for (size_t j = 0; j < 8; j++) {
            double c, s;
            rot_make(&L[(i + j) * d + i + j], vb[j], &c, &s);
            cs[i + j] = c;
            sn[i + j] = s;
            for (size_t t = j + 1; t < 8; t++)
                rot_pair(c, s, &L[(i + t) * d + i + j], &vb[t]);
        }
    }
#endif
    /* Blocks of 4 rows: the v_i recurrences of the 4 rows are independent,
     * which hides the multiply latency of each one. */
    for (; i + 4 <= d; i += 4) {
        double *r0 = L + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        double v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3];
        for (size_t k = 0; k < i; k++) {
            double c = cs[k], s = sn[k];
            double l0 = r0[k], l1 = r1[k], l2 = r2[k], l3 = r3[k];
            r0[k] = c * l0 + s * v0;
            r1[k] = c * l1 + s * v1;
            r2[k] = c * l2 + s * v2;
            r3[k] = c * l3 + s * v3;
            v0 = c * v0 - s * l0;
            v1 = c * v1 - s * l1;
            v2 = c * v2 - s * l2;
            v3 = c * v3 - s * l3;
        }
        /* The 4x4 diagonal block: rotation i+j comes from row j, then acts on
         * the rows below it in the block. */
        rot_make(&r0[i], v0, &cs[i], &sn[i]);
        rot_pair(cs[i], sn[i], &r1[i], &v1);
        rot_pair(cs[i], sn[i], &r2[i], &v2);
        rot_pair(cs[i], sn[i], &r3[i], &v3);
        rot_make(&r1[i + 1], v1, &cs[i + 1], &sn[i + 1]);
        rot_pair(cs[i + 1], sn[i + 1], &r2[i + 1], &v2);
        rot_pair(cs[i + 1], sn[i + 1], &r3[i + 1], &v3);
        rot_make(&r2[i + 2], v2, &cs[i + 2], &sn[i + 2]);
        rot_pair(cs[i + 2], sn[i + 2], &r3[i + 2], &v3);
        rot_make(&r3[i + 3], v3, &cs[i + 3], &sn[i + 3]);
    }
    for (; i < d; i++) {
        double *ri = L + i * d, vi = v[i];
        for (size_t k = 0; k < i; k++)
            rot_pair(cs[k], sn[k], &ri[k], &vi);
        rot_make(&ri[i], vi, &cs[i], &sn[i]);
    }
    return rot_quad(rot, d);
}

void
linalg_givens_apply(const double *rot, size_t d, double *row, double *eta)
{
    const double *cs = rot, *sn = rot + d;
    double e = *eta;
    for (size_t k = 0; k < d; k++)
        rot_pair(cs[k], sn[k], &row[k], &e);
    *eta = e;
}

/* sum_k a[k] b[k] with 4 partial sums (latency-bound otherwise at -O2). */
static inline double
dot4(const double *a, const double *b, size_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
    }
    for (; k < n; k++)
        s0 += a[k] * b[k];
    return (s0 + s1) + (s2 + s3);
}

void
linalg_solve_lower(const double *L, size_t d, double *x)
{
    linalg_solve_lower_ld(L, d, d, x);
}

void
linalg_solve_lower_ld(const double *L, size_t d, size_t ld, double *x)
{
    for (size_t i = 0; i < d; i++) {
        const double *ri = L + i * ld;
        x[i] = (x[i] - dot4(ri, x, i)) / ri[i];
    }
}

/* Back substitution L^T x = b, one or two right-hand sides, column-oriented
 * on rows of L (contiguous). Rows are taken 4 at a time from the bottom: the
 * 4x4 diagonal block is solved first, then x[j], j below the block, receives
 * the 4 rows' contributions in one load/store, which quarters the stores that
 * bound the plain axpy form. ny = 1 or 2 (y unused when 1). Row i starts at
 * L + i ld (ld >= d). */
LINALG_CLONES static void
solve_lower_t_n(const double *L, size_t d, size_t ld, double *x, double *y, int ny)
{
    size_t i = d;
    while (i >= 4) {
        size_t i0 = i - 4;
        const double *r0 = L + i0 * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
        /* diagonal block, bottom-up */
        double x3 = x[i0 + 3] / r3[i0 + 3];
        double x2 = (x[i0 + 2] - r3[i0 + 2] * x3) / r2[i0 + 2];
        double x1 = (x[i0 + 1] - r3[i0 + 1] * x3 - r2[i0 + 1] * x2) / r1[i0 + 1];
        double x0 = (x[i0] - r3[i0] * x3 - r2[i0] * x2 - r1[i0] * x1) / r0[i0];
        x[i0] = x0;
        x[i0 + 1] = x1;
        x[i0 + 2] = x2;
        x[i0 + 3] = x3;
        if (ny == 1) {
            size_t j = 0;
#if LINALG_VEC
            for (; j + 4 <= i0; j += 4)
                *(v4d *)(x + j) -= (*(const v4d *)(r0 + j) * x0 + *(const v4d *)(r1 + j) * x1) +
                                   (*(const v4d *)(r2 + j) * x2 + *(const v4d *)(r3 + j) * x3);
#endif
            for (; j < i0; j++)
                x[j] -= (r0[j] * x0 + r1[j] * x1) + (r2[j] * x2 + r3[j] * x3);
        } else {
            double y3 = y[i0 + 3] / r3[i0 + 3];
            double y2 = (y[i0 + 2] - r3[i0 + 2] * y3) / r2[i0 + 2];
            double y1 = (y[i0 + 1] - r3[i0 + 1] * y3 - r2[i0 + 1] * y2) / r1[i0 + 1];
            double y0 = (y[i0] - r3[i0] * y3 - r2[i0] * y2 - r1[i0] * y1) / r0[i0];
            y[i0] = y0;
            y[i0 + 1] = y1;
            y[i0 + 2] = y2;
            y[i0 + 3] = y3;
            size_t j = 0;
#if LINALG_VEC
            for (; j + 4 <= i0; j += 4) {
                v4d l0 = *(const v4d *)(r0 + j), l1 = *(const v4d *)(r1 + j);
                v4d l2 = *(const v4d *)(r2 + j), l3 = *(const v4d *)(r3 + j);
                *(v4d *)(x + j) -= (l0 * x0 + l1 * x1) + (l2 * x2 + l3 * x3);
                *(v4d *)(y + j) -= (l0 * y0 + l1 * y1) + (l2 * y2 + l3 * y3);
            }
#endif
            for (; j < i0; j++) {
                double l0 = r0[j], l1 = r1[j], l2 = r2[j], l3 = r3[j];
                x[j] -= (l0 * x0 + l1 * x1) + (l2 * x2 + l3 * x3);
                y[j] -= (l0 * y0 + l1 * y1) + (l2 * y2 + l3 * y3);
            }
        }
        i = i0;
    }
    while (i-- > 0) {
        const double *ri = L + i * ld;
        double xi = x[i] / ri[i];
        x[i] = xi;
        for (size_t j = 0; j < i; j++)
            x[j] -= ri[j] * xi;
        if (ny == 2) {
            double yi = y[i] / ri[i];
            y[i] = yi;
            for (size_t j = 0; j < i; j++)
                y[j] -= ri[j] * yi;
        }
    }
}

/* Column k of the column-major lower S holds S_ik, i >= k, at S + k d.
 * Pass 1 forms u = S phi from it (each column adds to u below the diagonal
 * and gives u_k its dot product with phi), pass 2 subtracts t_k u from each
 * column. The dot products sum in 4 lanes, then lane by lane, whatever the
 * clone, so the bits do not depend on the CPU. */
LINALG_CLONES double
linalg_cov_update(double *S, size_t d, const double *phi, double s0, double *u)
{
    memset(u, 0, d * sizeof *u);
    for (size_t k = 0; k < d; k++) {
        const double *col = S + k * d;
        double pk = phi[k], acc = 0.0;
        size_t i = k + 1;
#if LINALG_VEC
        v4d a4 = {0.0, 0.0, 0.0, 0.0};
        for (; i + 4 <= d; i += 4) {
            v4d c4 = *(const v4d *)(col + i);
            *(v4d *)(u + i) += c4 * pk;
            a4 += c4 * *(const v4d *)(phi + i);
        }
        acc = (a4[0] + a4[1]) + (a4[2] + a4[3]);
#endif
        for (; i < d; i++) {
            u[i] += col[i] * pk;
            acc += col[i] * phi[i];
        }
        u[k] += col[k] * pk + acc;
    }
    double q = 0.0;
    for (size_t i = 0; i < d; i++)
        q += phi[i] * u[i];
    double s = s0 + q;
    for (size_t k = 0; k < d; k++) {
        double *col = S + k * d, t = u[k] / s;
        size_t i = k;
#if LINALG_VEC
        for (; i + 4 <= d; i += 4)
            *(v4d *)(col + i) -= *(const v4d *)(u + i) * t;
#endif
        for (; i < d; i++)
            col[i] -= u[i] * t;
    }
    return q;
}

void
linalg_solve_lower_t(const double *L, size_t d, double *x)
{
    solve_lower_t_n(L, d, d, x, NULL, 1);
}

void
linalg_solve_lower_t_ld(const double *L, size_t d, size_t ld, double *x)
{
    solve_lower_t_n(L, d, ld, x, NULL, 1);
}

void
linalg_solve_lower_t2(const double *L, size_t d, double *x, double *y)
{
    solve_lower_t_n(L, d, d, x, y, 2);
}

LINALG_CLONES void
linalg_syrk_lower(double *G, size_t d, const double *P, size_t np)
{
    /* Row i of G gets sum_p P[p][i] P[p][0..i]: G's row is loaded and stored
     * once, the np rows of P stream alongside (np <= 16 keeps them in L1). */
    for (size_t i = 0; i < d; i++) {
        double *gi = G + i * d;
        size_t k = 0;
#if LINALG_VEC
        for (; k + 4 <= i + 1; k += 4) {
            v4d a0 = *(v4d *)(gi + k), a1 = {0, 0, 0, 0};
            size_t p = 0;
            for (; p + 2 <= np; p += 2) {
                a0 += P[p * d + i] * *(const v4d *)(P + p * d + k);
                a1 += P[(p + 1) * d + i] * *(const v4d *)(P + (p + 1) * d + k);
            }
            if (p < np)
                a0 += P[p * d + i] * *(const v4d *)(P + p * d + k);
            *(v4d *)(gi + k) = a0 + a1;
        }
#endif
        for (; k <= i; k++) {
            double a = gi[k];
            for (size_t p = 0; p < np; p++)
                a += P[p * d + i] * P[p * d + k];
            gi[k] = a;
        }
    }
}

double
linalg_chol_logdet(const double *L, size_t d)
{
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += log(L[i * d + i]);
    return 2.0 * s;
}

int
linalg_cholesky(double *A, size_t d, double *jitter, bl_err *err)
{
    if (d == 0)
        return bl_fail(err, BL_EINVAL, "cholesky: dimension 0");
    double *W = malloc(d * d * sizeof *W);
    if (W == NULL)
        return bl_fail(err, BL_ENOMEM, "cholesky: out of memory for d=%zu", d);
    double mean_diag = 0.0;
    for (size_t i = 0; i < d; i++)
        mean_diag += A[i * d + i];
    mean_diag /= (double)d;
    /* Jitter ladder (docs/math.md §1.2): 0, then 1e-10 .. 1e-4 times mean(diag A). */
    double j = 0.0;
    for (int step = 0; step <= 7; step++) {
        if (step > 0)
            j = 1e-10 * pow(10.0, step - 1) * mean_diag;
        memcpy(W, A, d * d * sizeof *W);
        for (size_t i = 0; i < d; i++)
            W[i * d + i] += j;
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)d, W, (lapack_int)d);
        if (info == 0) {
            for (size_t i = 0; i < d; i++) {
                memcpy(A + i * d, W + i * d, (i + 1) * sizeof *A);
                memset(A + i * d + i + 1, 0, (d - i - 1) * sizeof *A);
            }
            free(W);
            if (jitter != NULL)
                *jitter = j;
            return BL_OK;
        }
        if (info < 0 || !(mean_diag > 0.0) || !isfinite(mean_diag))
            break;
    }
    free(W);
    return bl_fail(err, BL_ENUM,
                   "cholesky: matrix not positive definite even with jitter 1e-4*mean(diag)");
}

int
linalg_chol_inverse(const double *L, size_t d, double *Ainv, bl_err *err)
{
    for (size_t i = 0; i < d; i++) {
        memcpy(Ainv + i * d, L + i * d, (i + 1) * sizeof *Ainv);
        memset(Ainv + i * d + i + 1, 0, (d - i - 1) * sizeof *Ainv);
    }
    lapack_int info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'U', (lapack_int)d, Ainv, (lapack_int)d);
    if (info != 0)
        return bl_fail(err, info == LAPACK_WORK_MEMORY_ERROR ? BL_ENOMEM : BL_ENUM,
                       "inverse: factor is singular (info=%d)", (int)info);
    linalg_mirror_lower(Ainv, d);
    return BL_OK;
}

int
linalg_eigh(double *A, size_t d, double *w, bool vectors, bl_err *err)
{
    /* Column-major 'U' reads our row-major lower triangle; eigenvectors come
     * back as columns of a column-major array, i.e. rows of ours. */
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'U', (lapack_int)d, A,
                                     (lapack_int)d, w);
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return bl_fail(err, BL_ENOMEM, "eigh: out of memory for d=%zu", d);
    if (info != 0)
        return bl_fail(err, BL_ENUM, "eigh: dsyevd did not converge (info=%d)", (int)info);
    return BL_OK;
}

void
linalg_symmetrize(double *A, size_t d)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++) {
            double s = 0.5 * (A[i * d + j] + A[j * d + i]);
            A[i * d + j] = s;
            A[j * d + i] = s;
        }
}

void
linalg_mirror_lower(double *A, size_t d)
{
    /* 64 x 64 tiles: a plain column sweep of a 4000 x 4000 Gram matrix misses
     * the cache on every store. */
    const size_t B = 64;
    for (size_t i0 = 0; i0 < d; i0 += B)
        for (size_t j0 = 0; j0 <= i0; j0 += B) {
            size_t i1 = i0 + B < d ? i0 + B : d, j1 = j0 + B < d ? j0 + B : d;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = j0; j < j1 && j < i; j++)
                    A[j * d + i] = A[i * d + j];
        }
}

int
linalg_threads_one(void)
{
    int before = openblas_get_num_threads();
    if (before != 1)
        openblas_set_num_threads(1);
    return before;
}

void
linalg_threads_restore(int count)
{
    if (count > 0 && openblas_get_num_threads() != count)
        openblas_set_num_threads(count);
}
