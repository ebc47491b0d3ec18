/* tests/test_linalg.c - core/linalg: rank-1 update against the textbook
 * column algorithm of docs/math.md §2.3 and against a fresh Cholesky, solves,
 * log det, jitter ladder, inverse, eigendecomposition.
 * Tolerances: operations on well-conditioned random SPD matrices (condition
 * number below ~1e3) agree to ~1e-15 * cond; we allow 1e-12 norm-wise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/base/linalg.h"
#include "harness.h"

/* Random SPD A = B B^T / d + I (lower triangle used), d x d. */
static void
rand_spd(gsl_rng *rng, size_t d, double *A)
{
    double *B = malloc(d * d * sizeof *B);
    for (size_t i = 0; i < d * d; i++)
        B[i] = gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += B[i * d + k] * B[j * d + k];
            A[i * d + j] = s / (double)d + (i == j);
        }
    free(B);
}

/* The docs/math.md §2.3 algorithm verbatim (column by column, strided). */
static void
update_textbook(double *L, size_t d, double *v)
{
    for (size_t k = 0; k < d; k++) {
        double r = hypot(L[k * d + k], v[k]), c = r / L[k * d + k], s = v[k] / L[k * d + k];
        L[k * d + k] = r;
        for (size_t i = k + 1; i < d; i++) {
            L[i * d + k] = (L[i * d + k] + s * v[i]) / c;
            v[i] = c * v[i] - s * L[i * d + k];
        }
    }
}

static void
test_update(gsl_rng *rng, size_t d)
{
    double *A = malloc(d * d * sizeof *A), *L1 = malloc(d * d * sizeof *L1);
    double *L2 = malloc(d * d * sizeof *L2), *v = malloc(d * sizeof *v);
    double *v2 = malloc(d * sizeof *v2), *rot = malloc(2 * d * sizeof *rot);
    double *u = malloc(d * sizeof *u), *h = malloc(d * sizeof *h), *b = malloc(d * sizeof *b);
    bl_err err;
    rand_spd(rng, d, A);
    CHECK(linalg_cholesky(A, d, NULL, &err) == BL_OK, "cholesky d=%zu: %s", d, err.msg);
    memcpy(L1, A, d * d * sizeof *L1);
    memcpy(L2, A, d * d * sizeof *L2);
    for (size_t i = 0; i < d; i++) {
        v[i] = gsl_ran_gaussian(rng, 1.0);
        b[i] = gsl_ran_gaussian(rng, 1.0);
    }
    memcpy(v2, v, d * sizeof *v);
    memcpy(u, v, d * sizeof *u);
    linalg_solve_lower(A, d, u);
    double q_want = 0.0;
    for (size_t i = 0; i < d; i++)
        q_want += u[i] * u[i];
    /* h = L^-1 b before; the rotations must carry it to L_new^-1 (b + y v). */
    memcpy(h, b, d * sizeof *h);
    linalg_solve_lower(A, d, h);

    double q = linalg_chol_update(L1, d, v, rot);
    update_textbook(L2, d, v2);
    /* Same rotations in another order of independent work, orthogonal vs
     * (c, s) form: rounding only. */
    CHECK(rel_diff(L1, L2, d * d) < 1e-13, "d=%zu: row-oriented vs textbook %.3g", d,
          rel_diff(L1, L2, d * d));
    CHECK_REL(q, q_want, 1e-12); /* determinant-lemma accumulation vs |L^-1 v|^2 */

    double y = 0.7, eta = y;
    linalg_givens_apply(rot, d, h, &eta);
    /* want: L_new^-1 (b + y v_orig); we recover v_orig from u = L^-1 v: v = L u. */
    double *vo = malloc(d * sizeof *vo), *want = malloc(d * sizeof *want);
    for (size_t i = 0; i < d; i++) {
        double s = 0.0;
        for (size_t k = 0; k <= i; k++)
            s += A[i * d + k] * u[k];
        vo[i] = s;
        want[i] = b[i] + y * s;
    }
    linalg_solve_lower(L1, d, want);
    CHECK(rel_diff(h, want, d) < 1e-12, "d=%zu: carried h vs fresh solve %.3g", d,
          rel_diff(h, want, d));

    /* L1 vs a fresh Cholesky of A_old + vo vo^T. */
    double *F = malloc(d * d * sizeof *F);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k <= (i < j ? i : j); k++)
                s += A[i * d + k] * A[j * d + k];
            F[i * d + j] = s + vo[i] * vo[j];
        }
    CHECK(linalg_cholesky(F, d, NULL, &err) == BL_OK, "fresh cholesky: %s", err.msg);
    CHECK(rel_diff(L1, F, d * d) < 1e-12, "d=%zu: update vs fresh factor %.3g", d,
          rel_diff(L1, F, d * d));
    /* The rotations are orthogonal: |h_old|^2 + y^2 = |h_new|^2 + eta^2. */
    double hb = 0.0, hn = 0.0;
    memcpy(want, b, d * sizeof *want);
    linalg_solve_lower(A, d, want);
    for (size_t i = 0; i < d; i++) {
        hb += want[i] * want[i];
        hn += h[i] * h[i];
    }
    CHECK_REL(hn + eta * eta, hb + y * y, 1e-12);

    free(F);
    free(vo);
    free(want);
    free(A);
    free(L1);
    free(L2);
    free(v);
    free(v2);
    free(rot);
    free(u);
    free(h);
    free(b);
}

static void
test_solves(gsl_rng *rng, size_t d)
{
    double *A = malloc(d * d * sizeof *A), *x = malloc(d * sizeof *x), *b = malloc(d * sizeof *b);
    double *y = malloc(d * sizeof *y), *x2 = malloc(d * sizeof *x2);
    bl_err err;
    rand_spd(rng, d, A);
    double *Afull = malloc(d * d * sizeof *Afull), *Ainv = malloc(d * d * sizeof *Ainv);
    memcpy(Afull, A, d * d * sizeof *A);
    CHECK(linalg_cholesky(A, d, NULL, &err) == BL_OK, "cholesky: %s", err.msg);
    for (size_t i = 0; i < d; i++)
        b[i] = gsl_ran_gaussian(rng, 1.0);
    /* L x = b */
    memcpy(x, b, d * sizeof *x);
    linalg_solve_lower(A, d, x);
    double res = 0.0;
    for (size_t i = 0; i < d; i++) {
        double s = 0.0;
        for (size_t k = 0; k <= i; k++)
            s += A[i * d + k] * x[k];
        res = fmax(res, fabs(s - b[i]));
    }
    CHECK(res < 1e-12, "L x = b residual %.3g", res);
    /* L^T x = b, and the two-RHS version */
    memcpy(x, b, d * sizeof *x);
    linalg_solve_lower_t(A, d, x);
    for (size_t i = 0; i < d; i++)
        y[i] = 2.0 * b[i];
    memcpy(x2, b, d * sizeof *x2);
    linalg_solve_lower_t2(A, d, x2, y);
    res = 0.0;
    double res2 = 0.0;
    for (size_t i = 0; i < d; i++) {
        double s = 0.0;
        for (size_t k = i; k < d; k++)
            s += A[k * d + i] * x[k];
        res = fmax(res, fabs(s - b[i]));
        res2 = fmax(res2, fabs(x2[i] - x[i]) + fabs(y[i] - 2.0 * x[i]));
    }
    CHECK(res < 1e-12, "L^T x = b residual %.3g", res);
    CHECK(res2 < 1e-12, "two-RHS solve differs by %.3g", res2);
    /* inverse: A Ainv = I */
    CHECK(linalg_chol_inverse(A, d, Ainv, &err) == BL_OK, "inverse: %s", err.msg);
    res = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += Afull[i * d + k] * Ainv[k * d + j];
            res = fmax(res, fabs(s - (i == j)));
        }
    CHECK(res < 1e-11, "A A^-1 - I max %.3g", res);
    /* eigendecomposition: log det from eigenvalues vs from the factor, and
     * reconstruction V^T diag(w) V */
    double *V = malloc(d * d * sizeof *V), *w = malloc(d * sizeof *w);
    memcpy(V, Afull, d * d * sizeof *V);
    CHECK(linalg_eigh(V, d, w, true, &err) == BL_OK, "eigh: %s", err.msg);
    double ld = 0.0;
    for (size_t j = 0; j < d; j++)
        ld += log(w[j]);
    CHECK_REL(linalg_chol_logdet(A, d), ld, 1e-12);
    res = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += V[k * d + i] * w[k] * V[k * d + j];
            res = fmax(res, fabs(s - Afull[i * d + j]));
        }
    CHECK(res < 1e-12, "V^T diag(w) V - A max %.3g", res);
    free(V);
    free(w);
    free(Afull);
    free(Ainv);
    free(A);
    free(x);
    free(x2);
    free(y);
    free(b);
}

static void
test_jitter(void)
{
    /* Rank-1 PSD [[1,1],[1,1]]: plain dpotrf fails, the ladder's first step
     * 1e-10 * mean(diag) = 1e-10 succeeds. */
    double A[4] = {1, 1, 1, 1}, j = -1;
    bl_err err;
    CHECK(linalg_cholesky(A, 2, &j, &err) == BL_OK, "jitter: %s", err.msg);
    CHECK(j > 0.0 && j <= 1e-9, "jitter used %g, want 1e-10 or 1e-9", j);
    CHECK(A[1] == 0.0, "strict upper triangle zeroed");
    /* Indefinite: fails loudly, A unchanged. */
    double B[4] = {1, 2, 2, 1}, B0[4];
    memcpy(B0, B, sizeof B);
    CHECK(linalg_cholesky(B, 2, &j, &err) == BL_ENUM, "indefinite must fail");
    CHECK(memcmp(B, B0, sizeof B) == 0, "failed cholesky left A unchanged");
    CHECK(strstr(err.msg, "positive definite") != NULL, "message: %s", err.msg);
    /* symmetrize */
    double S[4] = {1, 2, 4, 3};
    linalg_symmetrize(S, 2);
    CHECK(S[1] == 3.0 && S[2] == 3.0, "symmetrize");
}

static void
test_syrk(gsl_rng *rng)
{
    const size_t d = 23, np = 7;
    double G[23 * 23], W[23 * 23], P[7 * 23];
    for (size_t i = 0; i < d * d; i++)
        G[i] = W[i] = gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < np * d; i++)
        P[i] = gsl_ran_gaussian(rng, 1.0);
    linalg_syrk_lower(G, d, P, np);
    double err = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t k = 0; k < d; k++) {
            double want = W[i * d + k];
            if (k <= i)
                for (size_t p = 0; p < np; p++)
                    want += P[p * d + i] * P[p * d + k];
            err = fmax(err, fabs(G[i * d + k] - want));
        }
    CHECK(err < 1e-13, "syrk lower vs naive: %.3g (upper must be untouched)", err);
}

int
main(void)
{
    TEST_INIT();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 12345);
    size_t dims[] = {1, 2, 3, 5, 8, 37, 64};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        gsl_rng_set(rng, 100 + i);
        test_update(rng, dims[i]);
        test_solves(rng, dims[i]);
    }
    test_jitter();
    test_syrk(rng);
    gsl_rng_free(rng);
    return TEST_REPORT();
}
