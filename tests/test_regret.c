/* tests/test_regret.c - core/regret against docs/math.md §11 (A1 regret rows, B1)
 * and against independent formulas: the n x n expected-regret formula of
 * docs/math.md §3.2, a Monte Carlo average of R_n(w*), and batch least squares for
 * the hindsight tracker. Tolerances: docs/math.md §11 values 1e-9 relative (10
 * printed digits); identities between closed forms 1e-12; Monte Carlo
 * 4 standard errors of the estimate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "core/blr/blr.h"
#include "core/blr/regret.h"
#include "harness.h"

#define CHECK_REF(got, want) CHECK_ABS(got, want, 1e-9 * fabs(want) + 6e-11)

static void
a1_design(double X[6][3], double y[6])
{
    for (int i = 0; i < 6; i++) {
        double t = -0.9 + 0.4 * i;
        X[i][0] = 1.0;
        X[i][1] = t;
        X[i][2] = t * t;
        y[i] = sin(2.0 * t) + 0.1 * cos(7.0 * i);
    }
}

/* (w - m)^T A (w - m) = |L^T (w - m)|^2 from blr's factor. */
static double
quad_A(const blr_model *m, const double *w)
{
    size_t d = blr_dim(m);
    const double *L = blr_factor(m), *mu = blr_mean(m);
    double q = 0.0;
    for (size_t k = 0; k < d; k++) {
        double s = 0.0;
        for (size_t i = k; i < d; i++)
            s += L[i * d + k] * (w[i] - mu[i]);
        q += s * s;
    }
    return q;
}

static void
test_a1(void)
{
    bl_err err;
    double X[6][3], y[6];
    a1_design(X, y);
    const double alpha = 0.5, beta = 4.0;
    blr_opts o = {.kind = BLR_KNOWN, .alpha = alpha, .beta = beta};
    blr_model *m = blr_alloc(3, &o, &err);
    regret_rls *r = regret_rls_alloc(3, &err);
    for (int i = 0; i < 6; i++) {
        blr_observe(m, X[i], y[i], NULL, NULL, &err);
        CHECK(regret_rls_observe(r, X[i], y[i], &err) == BL_OK, "rls: %s", err.msg);
    }
    double lossB = -blr_log_evidence(m), ld = blr_logdet_prec(m);
    /* theta_ML and the regret against it (docs/math.md §11 A1) */
    double w[3];
    regret_rls_w(r, w);
    const double ww[3] = {0.0636101391, 1.0220304234, -0.2456703544};
    for (int j = 0; j < 3; j++)
        CHECK_REF(w[j], ww[j]);
    CHECK_REL(lossB - regret_rls_min_loss(r, beta), 4.874838108, 1e-9);
    double w2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
    CHECK_REL(regret_at(3, alpha, ld, w2, quad_A(m, w)), 4.874838108, 1e-9);
    CHECK_REL(blr_loss_at(m, w), regret_rls_min_loss(r, beta), 1e-12); /* same minimum */
    /* the bound (1/2) log det(I + beta/alpha X^T X), and R_n(w) <= bound + alpha|w|^2/2 */
    CHECK_REL(regret_bound(3, alpha, ld, 0.0), 4.614901758, 1e-9);
    CHECK(regret_bound(3, alpha, ld, w2) >= 4.874838108, "bound holds at w_ML");
    /* R_n(w) at w = (0, 1.8, 0) via blr_loss_at and in closed form */
    const double wt[3] = {0.0, 1.8, 0.0};
    CHECK_REL(lossB - blr_loss_at(m, wt), 0.7216673268, 1e-9);
    CHECK_REL(regret_at(3, alpha, ld, 3.24, quad_A(m, wt)), 0.7216673268, 1e-9);

    /* E_y R_n(w*) in d x d form (regret.c) ... */
    double wAw = blr_quad_inv_prec(m, wt);
    double er = regret_expected(3, alpha, ld, blr_trace_inv_prec(m), 3.24, wAw);
    CHECK_REL(er, 3.988302136, 1e-9);
    /* ... against the n x n formula of docs/math.md §3.2, computed here with GSL:
     * (1/2) log det(beta C) + (1/2) tr((beta C)^-1) - n/2 + (1/2) w*^T X^T C^-1 X w*. */
    gsl_matrix *C = gsl_matrix_alloc(6, 6);
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 6; k++) {
            double s = 0.0;
            for (int j = 0; j < 3; j++)
                s += X[i][j] * X[k][j];
            gsl_matrix_set(C, i, k, beta * (s / alpha + (i == k ? 1.0 / beta : 0.0))); /* beta C */
        }
    gsl_linalg_cholesky_decomp1(C);
    double ldbC = 0.0;
    for (int i = 0; i < 6; i++)
        ldbC += 2.0 * log(gsl_matrix_get(C, i, i));
    gsl_vector *f = gsl_vector_alloc(6), *u = gsl_vector_alloc(6);
    for (int i = 0; i < 6; i++)
        gsl_vector_set(f, i, X[i][1] * 1.8);
    gsl_linalg_cholesky_solve(C, f, u); /* (beta C)^-1 X w* */
    double qf = 0.0;
    for (int i = 0; i < 6; i++)
        qf += gsl_vector_get(f, i) * gsl_vector_get(u, i);
    gsl_linalg_cholesky_invert(C);
    double trc = 0.0;
    for (int i = 0; i < 6; i++)
        trc += gsl_matrix_get(C, i, i);
    double er_nn = 0.5 * ldbC + 0.5 * trc - 3.0 + 0.5 * beta * qf; /* w^T X^T C^-1 X w = beta qf */
    CHECK_REL(er, er_nn, 1e-12);
    gsl_matrix_free(C);
    gsl_vector_free(f);
    gsl_vector_free(u);

    /* Monte Carlo: y ~ N(X w*, 1/beta), R_n(w*) = L_n(Bayes) - loss at w*
     * (docs/math.md §11 quotes 3.9922 +- 0.0026). 4 standard errors. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31337);
    enum { NMC = 20000 };
    double *rs = malloc(NMC * sizeof *rs);
    for (int s = 0; s < NMC; s++) {
        blr_model *mm = blr_alloc(3, &o, &err);
        for (int i = 0; i < 6; i++)
            blr_observe(mm, X[i], 1.8 * X[i][1] + gsl_ran_gaussian(rng, 1.0 / sqrt(beta)), NULL,
                        NULL, &err);
        rs[s] = -blr_log_evidence(mm) - blr_loss_at(mm, wt);
        blr_free(mm);
    }
    double mean = gsl_stats_mean(rs, 1, NMC), se = gsl_stats_sd(rs, 1, NMC) / sqrt(NMC);
    CHECK(fabs(mean - er) <= 4.0 * se, "MC E R_n = %.5f +- %.5f vs %.5f", mean, se, er);
    free(rs);
    gsl_rng_free(rng);
    regret_rls_free(r);
    blr_free(m);
}

static void
test_b1(void)
{
    /* docs/math.md §11 B1: d = 2, alpha = beta = 1, w* = (1, -0.5), |w*|^2 = 1.25 */
    const double n[5] = {1, 10, 100, 1000, 10000};
    const double ex[5] = {0.5056471806, 2.0569861819, 4.2438333881, 6.5341294047, 8.8354778632};
    const double as[5] = {-0.375, 1.927585093, 4.230170186, 6.532755279, 8.835340372};
    for (int i = 0; i < 5; i++) {
        CHECK_REL(regret_orthogonal(2, n[i], 1.0, 1.0, 1.25), ex[i], 1e-9);
        CHECK_REL(regret_asymptote(2, n[i], 1.0, 1.0, 1.25), as[i], 1e-9);
        /* the general d x d form on X^T X = n I: A = (alpha + beta n) I */
        double a = 1.0 + n[i];
        CHECK_REL(regret_expected(2, 1.0, 2.0 * log(a), 2.0 / a, 1.25, 1.25 / a),
                  regret_orthogonal(2, n[i], 1.0, 1.0, 1.25), 1e-12);
    }
    /* "within 1.4e-4 at n = 1e4" (docs/math.md §3.2) */
    CHECK(fabs(regret_orthogonal(2, 1e4, 1, 1, 1.25) - regret_asymptote(2, 1e4, 1, 1, 1.25)) <
              1.4e-4,
          "asymptote gap at n=1e4");
}

static void
test_kl(void)
{
    CHECK_ABS(regret_kl_gauss(0.3, 2.0, 0.3, 0.5), 0.0, 1e-15); /* identical densities */
    /* KL(N(1,1) || N(0,2)) = (log 2 + (1 + 1)/2 - 1)/2 = log(2)/2 */
    CHECK_REL(regret_kl_gauss(1.0, 1.0, 0.0, 2.0), 0.5 * log(2.0), 1e-15);
}

static void
test_rls_batch(void)
{
    const size_t n = 500, d = 20;
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    gsl_matrix *X = gsl_matrix_alloc(n, d);
    gsl_vector *y = gsl_vector_alloc(n), *w = gsl_vector_alloc(d), *res = gsl_vector_alloc(n);
    gsl_vector *tau = gsl_vector_alloc(d);
    regret_rls *r = regret_rls_alloc(d, &err);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) {
            gsl_matrix_set(X, i, j, gsl_ran_gaussian(rng, 1.0));
            s += gsl_matrix_get(X, i, j) * (double)j / 10.0;
        }
        gsl_vector_set(y, i, s + gsl_ran_gaussian(rng, 0.5));
        regret_rls_observe(r, X->data + i * d, gsl_vector_get(y, i), &err);
    }
    /* batch least squares by Householder QR (independent of Cholesky) */
    gsl_linalg_QR_decomp(X, tau);
    gsl_linalg_QR_lssolve(X, tau, y, w, res);
    double rss = 0.0;
    for (size_t i = 0; i < n; i++)
        rss += gsl_vector_get(res, i) * gsl_vector_get(res, i);
    double wr[20], num = 0.0, den = 0.0;
    regret_rls_w(r, wr);
    for (size_t j = 0; j < d; j++) {
        num += (wr[j] - gsl_vector_get(w, j)) * (wr[j] - gsl_vector_get(w, j));
        den += gsl_vector_get(w, j) * gsl_vector_get(w, j);
    }
    /* eps = 1e-10 ridge bias ~ eps |w| / lambda_min(G) ~ 1e-12 relative */
    CHECK(sqrt(num / den) < 1e-9, "w_ML vs QR: %.3g", sqrt(num / den));
    CHECK_REL(regret_rls_rss(r), rss, 1e-9);
    CHECK_REL(regret_rls_min_loss(r, 4.0), 250.0 * log(2.0 * M_PI / 4.0) + 2.0 * rss, 1e-9);
    CHECK_REL(regret_rls_min_loss_profile(r), 250.0 * (log(2.0 * M_PI * rss / 500.0) + 1.0), 1e-9);
    CHECK(regret_rls_count(r) == n, "count");
    /* error path: r unchanged */
    double bad[20] = {0};
    bad[3] = NAN;
    regret_rls *c = regret_rls_copy(r, &err);
    CHECK(regret_rls_observe(r, bad, 1.0, &err) == BL_EINVAL && strstr(err.msg, "phi[3]"),
          "nan: %s", err.msg);
    CHECK(regret_rls_count(r) == n && regret_rls_rss(r) == regret_rls_rss(c), "unchanged");
    CHECK(regret_rls_alloc(0, &err) == NULL && err.code == BL_EINVAL, "d=0");
    regret_rls_free(c);
    regret_rls_free(r);
    regret_rls_free(NULL);
    gsl_matrix_free(X);
    gsl_vector_free(y);
    gsl_vector_free(w);
    gsl_vector_free(res);
    gsl_vector_free(tau);
    gsl_rng_free(rng);
}

int
main(void)
{
    TEST_INIT();
    test_a1();
    test_b1();
    test_kl();
    test_rls_batch();
    return TEST_REPORT();
}
