/* tests/test_bma.c - core/bma against docs/math.md §11 G1 (dense vs 1-sparse) and a
 * brute-force enumeration: batch marginal likelihoods N(y; 0, X_S X_S^T + sigma^2 I)
 * by Cholesky for every support, combined by log-sum-exp, must equal the online
 * chain-rule evidences. Also: the regret bound on every sequence, the
 * least-squares and ridge baselines against closed forms, a Fourier task, the
 * custom-class hook, error paths. Tolerances: G1 values 1e-9 relative
 * (10 printed digits); identities 1e-10. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/blr/blr.h"
#include "core/theory/bma.h"
#include "harness.h"

#define CHECK_REF(got, want) CHECK_ABS(got, want, 1e-9 * fabs(want) + 6e-11)

static void
g1_data(double X[8][4], double y[8])
{
    for (int t = 0; t < 8; t++) {
        for (int j = 0; j < 4; j++)
            X[t][j] = cos(1.3 * t + 0.7 * j + 0.2 * t * j);
        y[t] = 1.5 * X[t][2] + 0.1 * cos(5.0 * t);
    }
}

static bma *
g1_bma(bl_err *err)
{
    bma_opts o = {.in_dim = 4, .sigma = 0.1};
    bma *b = bma_alloc(&o, err);
    bma_class_opts dense = {.kind = BMA_DENSE, .prior = 0.5};
    bma_class_opts sparse = {.kind = BMA_SPARSE, .prior = 0.5, .s = 1};
    if (!b || bma_add_class(b, &dense, err) || bma_add_class(b, &sparse, err)) {
        bma_free(b);
        return NULL;
    }
    return b;
}

static void
test_g1(void)
{
    const double ps[9] = {0.5,         0.6216347443, 0.6232797184, 0.8358646326, 0.9538883312,
                          0.985094086, 0.9916393324, 0.9956405431, 0.996654406};
    double X[8][4], y[8];
    g1_data(X, y);
    bl_err err;
    bma *b = g1_bma(&err);
    CHECK(b != NULL, "%s", err.msg);
    if (!b)
        return;
    double post[2];
    bma_posterior(b, post);
    CHECK_REF(post[1], ps[0]);
    double cum = 0;
    for (int t = 0; t < 8; t++) {
        bma_step st;
        int rc = bma_observe(b, X[t], y[t], &st, &err);
        CHECK(rc == BL_OK, "%s", err.msg);
        cum += -st.logpred;
        bma_posterior(b, post);
        CHECK_REF(post[1], ps[t + 1]);
        CHECK_ABS(post[0] + post[1], 1.0, 1e-15);
    }
    bma_class_info ci[2];
    bma_class_get(b, 0, &ci[0], &err);
    bma_class_get(b, 1, &ci[1], &err);
    CHECK_REF(ci[0].log_ml, -1.329897087);
    CHECK_REF(ci[1].log_ml, 4.3668627231);
    CHECK_REF(bma_cum_logloss(b), -3.677066746);
    CHECK_ABS(cum, bma_cum_logloss(b), 1e-12);
    CHECK_REF(ci[1].regret, 0.6897959775);
    CHECK_REF(ci[1].bound, log(2.0));
    CHECK(ci[1].regret <= ci[1].bound && ci[0].regret <= ci[0].bound, "regret <= log(1/pi)");
    double xs[4] = {0.2, -0.1, 0.5, 0.3}, m, v, lp;
    CHECK(bma_predict(b, xs, 0.7, &m, &v, &lp, &err) == BL_OK, "%s", err.msg);
    CHECK_REF(m, 0.7146908991);
    CHECK_REF(v, 0.01067721485);
    /* the log density of a two-component mixture by hand */
    double m0, v0, m1, v1;
    bma_class_predict(b, 0, xs, &m0, &v0, &err);
    bma_class_predict(b, 1, xs, &m1, &v1, &err);
    CHECK_REL(ci[0].post * m0 + ci[1].post * m1, m, 1e-12);
    double w[4];
    size_t idx[4];
    CHECK(bma_support_posterior(b, 1, w, idx, &err) == BL_OK, "%s", err.msg);
    CHECK(w[2] > 0.99 && idx[2] == 2, "support 2 dominates: %g", w[2]);
    bma_free(b);
}

/* log N(y; 0, X_S X_S^T + sigma^2 I) for the first n rows, columns S. */
static double
batch_logml(const double *X, size_t d, const double *y, size_t n, const size_t *S, size_t s,
            double sigma)
{
    if (n == 0)
        return 0.0;
    gsl_matrix *C = gsl_matrix_alloc(n, n);
    gsl_vector *yv = gsl_vector_alloc(n);
    for (size_t i = 0; i < n; i++) {
        gsl_vector_set(yv, i, y[i]);
        for (size_t j = 0; j < n; j++) {
            double c = i == j ? sigma * sigma : 0.0;
            for (size_t k = 0; k < s; k++)
                c += X[i * d + S[k]] * X[j * d + S[k]];
            gsl_matrix_set(C, i, j, c);
        }
    }
    gsl_linalg_cholesky_decomp1(C);
    double ld = 0;
    for (size_t i = 0; i < n; i++)
        ld += 2 * log(gsl_matrix_get(C, i, i));
    gsl_vector *z = gsl_vector_alloc(n);
    gsl_linalg_cholesky_solve(C, yv, z);
    double q;
    gsl_blas_ddot(yv, z, &q);
    gsl_matrix_free(C);
    gsl_vector_free(yv);
    gsl_vector_free(z);
    return -0.5 * (q + ld + (double)n * log(2 * M_PI));
}

static void
test_brute_force(void)
{
    enum { D = 4, T = 7 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 21);
    double X[T * D], y[T], sigma = 0.3;
    for (int i = 0; i < T * D; i++)
        X[i] = gsl_ran_gaussian(rng, 1);
    for (int t = 0; t < T; t++)
        y[t] = 0.8 * X[t * D + 1] - 1.1 * X[t * D + 3] + gsl_ran_gaussian(rng, sigma);
    bl_err err;
    bma_opts o = {.in_dim = D, .sigma = sigma};
    bma *b = bma_alloc(&o, &err);
    bma_class_opts c0 = {.kind = BMA_DENSE, .prior = 1};
    bma_class_opts c1 = {.kind = BMA_SPARSE, .prior = 2, .s = 1};
    bma_class_opts c2 = {.kind = BMA_SPARSE, .prior = 3, .s = 2};
    CHECK(!bma_add_class(b, &c0, &err) && !bma_add_class(b, &c1, &err) &&
              !bma_add_class(b, &c2, &err),
          "%s", err.msg);
    const double lpi[3] = {log(1 / 6.0), log(2 / 6.0), log(3 / 6.0)};
    for (size_t t = 0; t <= T; t++) {
        /* brute force over classes and supports on the first t points */
        double L[3];
        size_t all[D] = {0, 1, 2, 3};
        L[0] = batch_logml(X, D, y, t, all, D, sigma);
        for (size_t s = 1; s <= 2; s++) {
            double mx = -HUGE_VAL, v[6];
            size_t ns = 0;
            for (size_t i = 0; i < D; i++)
                for (size_t j = i + 1; j <= D; j++) {
                    size_t S[2] = {i, j};
                    if (s == 1 && j > i + 1)
                        continue;
                    if (s == 2 && j == D)
                        continue;
                    v[ns] = batch_logml(X, D, y, t, S, s, sigma);
                    mx = fmax(mx, v[ns]);
                    ns++;
                }
            double sum = 0;
            for (size_t k = 0; k < ns; k++)
                sum += exp(v[k] - mx);
            L[s] = mx + log(sum) - log((double)ns);
        }
        double z = -HUGE_VAL;
        for (int c = 0; c < 3; c++)
            z = fmax(z, lpi[c] + L[c]);
        double zs = 0;
        for (int c = 0; c < 3; c++)
            zs += exp(lpi[c] + L[c] - z);
        z += log(zs);
        double post[3];
        bma_posterior(b, post);
        for (int c = 0; c < 3; c++) {
            bma_class_info ci;
            bma_class_get(b, (size_t)c, &ci, &err);
            CHECK_ABS(ci.log_ml, L[c], 1e-10);
            CHECK_ABS(post[c], exp(lpi[c] + L[c] - z), 1e-12);
            CHECK(ci.regret <= ci.bound + 1e-12, "t=%zu class %d: regret %g > %g", t, c, ci.regret,
                  ci.bound);
        }
        CHECK_ABS(bma_cum_logloss(b), -z, 1e-10);
        if (t < T) {
            bma_step st;
            bma_observe(b, X + t * D, y[t], &st, &err);
            if (t == 0) {
                CHECK(st.ls_pred == 0 && st.ridge_pred == 0, "baselines predict 0 at first");
            }
            if (t == 1) {
                /* min-norm LS from one point x1: w = x1 y1 / |x1|^2 */
                double dot = 0, nn = 0;
                for (int i = 0; i < D; i++)
                    dot += X[i] * X[D + i], nn += X[i] * X[i];
                CHECK_REL(st.ls_pred, dot * y[0] / nn, 1e-10);
                /* ridge with lambda = sigma^2 is the dense posterior mean */
                bma_class_info ci;
                bma_class_get(b, 0, &ci, &err);
                CHECK_REL(st.ridge_pred, ci.mean, 1e-10);
            }
        }
    }
    bma_free(b);
    gsl_rng_free(rng);
}

/* A Fourier task with frequency 2: the N=2 class wins over N=0 and N=6
 * (Occam), and over many points the BMA error falls to the noise level. */
static void
test_fourier(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 8);
    bl_err err;
    bma_opts o = {.in_dim = 1, .sigma = 0.1};
    bma *b = bma_alloc(&o, &err);
    for (size_t N = 0; N <= 6; N += 2) {
        bma_class_opts c = {.kind = BMA_FOURIER, .prior = 1, .N = N};
        CHECK(bma_add_class(b, &c, &err) == BL_OK, "%s", err.msg);
    }
    double a[5];
    for (int i = 0; i < 5; i++)
        a[i] = gsl_ran_gaussian(rng, 1);
    double late = 0;
    for (int t = 0; t < 60; t++) {
        double x = -5 + 10 * gsl_rng_uniform(rng);
        double f = a[0] + a[1] * cos(M_PI * x / 5) + a[2] * sin(M_PI * x / 5) +
                   a[3] * cos(2 * M_PI * x / 5) + a[4] * sin(2 * M_PI * x / 5);
        bma_step st;
        bma_observe(b, &x, f + gsl_ran_gaussian(rng, 0.1), &st, &err);
        if (t >= 40)
            late += st.sqerr / 20;
    }
    double post[4];
    bma_posterior(b, post);
    CHECK(post[1] > 0.9, "P(fourier N=2 | D) = %g", post[1]);
    CHECK(late < 4 * 0.01, "late BMA squared error %g ~ sigma^2", late);
    bma_class_opts bad = {.kind = BMA_FOURIER, .prior = 1, .N = 1};
    CHECK(bma_add_class(b, &bad, &err) == BL_ESTATE, "classes fixed after data");
    bma_free(b);
    gsl_rng_free(rng);
}

/* Custom hook wrapping a dense BLR reproduces the dense class exactly. */
static int
hook_predict(void *self, const double *x, double *mean, double *var, bl_err *err)
{
    (void)err;
    blr_pred p;
    blr_predict(self, x, &p);
    *mean = p.mean;
    *var = p.var;
    return BL_OK;
}

static int
hook_observe(void *self, const double *x, double y, bl_err *err)
{
    return blr_observe(self, x, y, NULL, NULL, err);
}

static void
test_custom(void)
{
    double X[8][4], y[8];
    g1_data(X, y);
    bl_err err;
    blr_opts bo = {.kind = BLR_KNOWN, .alpha = 1, .beta = 100};
    blr_model *m = blr_alloc(4, &bo, &err);
    bma_custom cb = {.self = m, .predict = hook_predict, .observe = hook_observe};
    bma *b = g1_bma(&err);
    bma_class_opts cc = {.kind = BMA_CUSTOM, .prior = 1, .custom = &cb, .name = "gp"};
    CHECK(bma_add_class(b, &cc, &err) == BL_OK, "%s", err.msg);
    for (int t = 0; t < 8; t++)
        bma_observe(b, X[t], y[t], NULL, &err);
    bma_class_info c0, c2;
    bma_class_get(b, 0, &c0, &err);
    bma_class_get(b, 2, &c2, &err);
    CHECK_REL(c2.log_ml, -1.329897087, 1e-9);
    CHECK_ABS(c2.log_ml, c0.log_ml, 1e-12);
    CHECK(strcmp(c2.name, "gp") == 0, "name %s", c2.name);
    bma_free(b);
    blr_free(m);
}

static void
test_errors(void)
{
    bl_err err;
    bma_opts o = {.in_dim = 3, .sigma = 0};
    CHECK(bma_alloc(&o, &err) == NULL && strstr(err.msg, "sigma=0"), "%s", err.msg);
    o.sigma = 0.1;
    bma *b = bma_alloc(&o, &err);
    double x[3] = {1, 2, 3};
    CHECK(bma_observe(b, x, 1, NULL, &err) == BL_ESTATE, "no class: %s", err.msg);
    bma_class_opts c = {.kind = BMA_SPARSE, .prior = 1, .s = 4};
    CHECK(bma_add_class(b, &c, &err) == BL_EINVAL && strstr(err.msg, "s=4"), "%s", err.msg);
    c.kind = BMA_FOURIER;
    CHECK(bma_add_class(b, &c, &err) == BL_EINVAL && strstr(err.msg, "in_dim=1"), "%s", err.msg);
    c.kind = BMA_DENSE;
    c.prior = 0;
    CHECK(bma_add_class(b, &c, &err) == BL_EINVAL && strstr(err.msg, "prior=0"), "%s", err.msg);
    c.prior = 1;
    CHECK(bma_add_class(b, &c, &err) == BL_OK, "%s", err.msg);
    x[1] = NAN;
    CHECK(bma_observe(b, x, 1, NULL, &err) == BL_EINVAL && bma_count(b) == 0, "NaN rejected");
    bma_opts big = {.in_dim = 30, .sigma = 0.1};
    bma *b2 = bma_alloc(&big, &err);
    bma_class_opts s15 = {.kind = BMA_SPARSE, .prior = 1, .s = 15};
    CHECK(bma_add_class(b2, &s15, &err) == BL_EINVAL && strstr(err.msg, "supports"), "%s", err.msg);
    bma_free(b2);
    bma_free(b);
    bma_free(NULL);
}

int
main(void)
{
    TEST_INIT();
    test_g1();
    test_brute_force();
    test_fourier();
    test_custom();
    test_errors();
    return TEST_REPORT();
}
