/* tests/test_target.c - core/target: gradients against central finite
 * differences (tolerance 1e-6 relative: O(h^2) truncation with h = 1e-5 on
 * smooth U, well above rounding ~1e-10), the three BLR constructions against
 * each other and docs/math.md §11 A1/A3 (1e-9 relative), the minibatch gradient with
 * the whole data as the batch (1e-12), the logistic Laplace mode (gradient
 * < 1e-8), the teaching densities' stated moments against 2e5 exact draws
 * (5 Monte Carlo standard errors), and the error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/blr/blr.h"
#include "core/mcmc/target.h"
#include "harness.h"

/* docs/math.md §11 prints small entries to 10 decimals: 1e-9 relative or 6e-11 absolute. */
#define CHECK_REF(got, want) CHECK_ABS(got, want, 1e-9 * fabs(want) + 6e-11)

static void
check_grad(target *t, const double *w, const char *what)
{
    size_t d = target_dim(t);
    double U, g[16], wp[16], Up, Um;
    bl_err err;
    CHECK(target_eval(t, w, &U, g, &err) == BL_OK, "%s: %s", what, err.msg);
    double worst = 0.0, scale = 0.0;
    for (size_t j = 0; j < d; j++)
        scale = fmax(scale, fabs(g[j]));
    for (size_t j = 0; j < d; j++) {
        memcpy(wp, w, d * sizeof *w);
        double h = 1e-5 * fmax(1.0, fabs(w[j]));
        wp[j] = w[j] + h;
        target_eval(t, wp, &Up, NULL, NULL);
        wp[j] = w[j] - h;
        target_eval(t, wp, &Um, NULL, NULL);
        worst = fmax(worst, fabs((Up - Um) / (2 * h) - g[j]));
    }
    CHECK(worst <= 1e-6 * fmax(scale, 1.0), "%s: gradient vs finite differences: %g", what, worst);
}

/* docs/math.md §11 A1 data. */
static void
a1_data(double *X, double *y)
{
    for (int i = 0; i < 6; i++) {
        double t = -0.9 + 0.4 * i;
        X[i * 3] = 1.0;
        X[i * 3 + 1] = t;
        X[i * 3 + 2] = t * t;
        y[i] = sin(2 * t) + 0.1 * cos(7.0 * i);
    }
}

static void
test_blr(void)
{
    double X[18], y[6];
    a1_data(X, y);
    bl_err err;
    blr_opts o = {.kind = BLR_KNOWN, .alpha = 0.5, .beta = 4.0};
    blr_model *m = blr_alloc(3, &o, &err);
    for (int i = 0; i < 6; i++)
        blr_observe(m, X + 3 * i, y[i], NULL, NULL, &err);
    target *ts = target_from_blr(m, &err);
    CHECK(ts != NULL && target_get_kind(ts) == TARGET_BLR, "from blr: %s", err.msg);
    target *td = target_blr_data_alloc(6, 3, X, y, 0.5, 4.0, &err);
    CHECK(td != NULL, "blr_data: %s", err.msg);
    double mean[3], cov[9], mean2[3], cov2[9];
    CHECK(target_moments(ts, mean, cov) == TARGET_MOMENTS_EXACT, "blr moments exact");
    target_moments(td, mean2, cov2);
    const double mN[3] = {0.0427849677, 0.968375284, -0.1925948332};
    const double SN[3] = {0.0867926785, 0.0938470698, 0.2249940159};
    for (int j = 0; j < 3; j++) {
        CHECK_REF(mean[j], mN[j]);
        CHECK_REF(mean2[j], mN[j]);
        CHECK_REL(cov[j * 4], SN[j], 1e-9);
        CHECK_REL(cov2[j * 4], SN[j], 1e-9);
    }
    /* Same U up to a constant, same gradient. */
    double w1[3] = {0.3, -0.2, 0.5}, w2[3] = {-1, 0.4, 0.1}, U1s, U2s, U1d, U2d, gs[3], gd[3];
    target_eval(ts, w1, &U1s, gs, &err);
    target_eval(td, w1, &U1d, gd, &err);
    target_eval(ts, w2, &U2s, NULL, &err);
    target_eval(td, w2, &U2d, NULL, &err);
    CHECK_REL(U1s - U2s, U1d - U2d, 1e-10);
    for (int j = 0; j < 3; j++)
        CHECK_REL(gs[j], gd[j], 1e-10);
    check_grad(ts, w1, "blr");
    check_grad(td, w1, "blr_data");
    /* Minibatch = all points, each once: the full gradient. */
    size_t idx[6] = {0, 1, 2, 3, 4, 5};
    double gm[3], gp[3], gsum[3] = {0, 0, 0};
    CHECK(target_npoints(td) == 6 && target_npoints(ts) == 0, "npoints");
    CHECK(target_grad_minibatch(td, w1, idx, 6, gm, &err) == BL_OK, "%s", err.msg);
    for (int j = 0; j < 3; j++)
        CHECK_REL(gm[j], gd[j], 1e-12);
    for (size_t i = 0; i < 6; i++) {
        target_grad_point(td, w1, i, gp, &err);
        for (int j = 0; j < 3; j++)
            gsum[j] += gp[j];
    }
    for (int j = 0; j < 3; j++)
        CHECK_REL(gsum[j] + 0.5 * w1[j], gd[j], 1e-12);
    CHECK(target_grad_minibatch(ts, w1, idx, 6, gm, &err) == BL_EINVAL, "no points: EINVAL");
    idx[0] = 6;
    CHECK(target_grad_minibatch(td, w1, idx, 1, gm, &err) == BL_EINVAL &&
              strstr(err.msg, "point 6") != NULL,
          "index out of range: %s", err.msg);
    CHECK(target_can_draw(td), "blr_data draws");
    target_free(ts);
    target_free(td);
    blr_free(m);
}

static void
test_nig(void)
{
    double X[18], y[6];
    a1_data(X, y);
    bl_err err;
    blr_opts o = {.kind = BLR_NIG, .v0 = 2.0, .a0 = 2.0, .b0 = 0.5};
    blr_model *m = blr_alloc(3, &o, &err);
    for (int i = 0; i < 6; i++)
        blr_observe(m, X + 3 * i, y[i], NULL, NULL, &err);
    target *t = target_from_blr(m, &err);
    CHECK(t != NULL && target_get_kind(t) == TARGET_NIG, "nig: %s", err.msg);
    target_info ti;
    target_get_info(t, &ti);
    CHECK_REL(ti.an, 5.0, 1e-12);
    CHECK_REL(ti.bn, 0.836214992, 1e-9);
    double mean[3], cov[9];
    CHECK(target_moments(t, mean, cov) == TARGET_MOMENTS_EXACT, "nig moments");
    const double mn[3] = {0.0118317552, 0.8428968217, -0.1015323872};
    const double Vn[3] = {0.270785562, 0.3223620699, 0.6369022215};
    for (int j = 0; j < 3; j++) {
        CHECK_REF(mean[j], mn[j]);
        CHECK_REL(cov[j * 4], 0.836214992 / 4.0 * Vn[j], 1e-9);
    }
    /* The statistics-only constructor agrees (b_n to rounding). */
    target *t2 = target_nig_alloc(3, 6, ti.G, ti.xty, ti.yty, 2.0, 2.0, 0.5, &err);
    target_info t2i;
    target_get_info(t2, &t2i);
    CHECK_REL(t2i.bn, 0.836214992, 1e-9);
    double w[3] = {0.1, 0.7, 0.2};
    check_grad(t, w, "nig");
    target_free(t2);
    target_free(t);
    blr_free(m);
}

static void
test_logistic_student(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    size_t n = 200, d = 3;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        double f = 0.0;
        for (size_t j = 0; j < d; j++) {
            X[i * d + j] = gsl_ran_gaussian(rng, 1.0);
            f += X[i * d + j] * (j == 0 ? 1.0 : -0.5);
        }
        y[i] = gsl_rng_uniform(rng) < 1.0 / (1.0 + exp(-f)) ? 1.0 : -1.0;
    }
    bl_err err;
    target *t = target_logistic_alloc(n, d, X, y, 1.0, &err);
    CHECK(t != NULL, "logistic: %s", err.msg);
    double mode[3], cov[9], U, g[3];
    CHECK(target_moments(t, mode, cov) == TARGET_MOMENTS_LAPLACE, "laplace");
    target_eval(t, mode, &U, g, &err);
    CHECK(fabs(g[0]) + fabs(g[1]) + fabs(g[2]) < 1e-8, "gradient at w_MAP %g %g %g", g[0], g[1],
          g[2]);
    double w[3] = {0.4, -1.0, 2.0};
    check_grad(t, w, "logistic");
    /* Softplus stays finite far out. */
    double far[3] = {800, -800, 800};
    CHECK(target_eval(t, far, &U, g, &err) == BL_OK && isfinite(U), "logistic far: U=%g", U);
    target_free(t);
    y[5] = 0.5;
    CHECK(target_logistic_alloc(n, d, X, y, 1.0, &err) == NULL && err.code == BL_EINVAL &&
              strstr(err.msg, "row 5") != NULL,
          "bad label: %s", err.msg);
    CHECK(target_logistic_alloc(n, d, X, y, 0.0, &err) == NULL &&
              strstr(err.msg, "alpha=0") != NULL,
          "alpha 0: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        y[i] = X[i * d] - 0.5 * X[i * d + 1] + 0.3 * gsl_ran_tdist(rng, 3.0);
    t = target_student_t_alloc(n, d, X, y, 3.0, 0.3, 1.0, &err);
    CHECK(t != NULL, "student_t: %s", err.msg);
    check_grad(t, w, "student_t");
    CHECK(target_moments(t, NULL, NULL) == TARGET_MOMENTS_NONE, "student_t no moments");
    size_t idx[3] = {0, 1, 2};
    CHECK(target_grad_minibatch(t, w, idx, 3, g, &err) == BL_OK, "%s", err.msg);
    target_free(t);
    CHECK(target_student_t_alloc(n, d, X, y, -1.0, 0.3, 1.0, &err) == NULL &&
              strstr(err.msg, "nu=-1") != NULL,
          "nu<0: %s", err.msg);
    free(X);
    free(y);
    gsl_rng_free(rng);
}

static void
test_toys(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    bl_err err;
    const double pts[3][2] = {{0.3, -0.4}, {1.2, 0.8}, {-0.7, 1.5}};
    for (int k = TARGET_BANANA; k <= TARGET_FUNNEL_NC; k++) {
        target *t = target_toy_alloc((target_kind)k, &err);
        CHECK(t != NULL && target_dim(t) == 2, "%s: %s", target_kind_name((target_kind)k), err.msg);
        for (int p = 0; p < 3; p++)
            check_grad(t, pts[p], target_kind_name((target_kind)k));
        CHECK(target_kind_from_name(target_kind_name((target_kind)k)) == k, "name round trip");
        double mean[2], cov[4];
        CHECK(target_moments(t, mean, cov) == TARGET_MOMENTS_EXACT, "toy moments");
        if (target_can_draw(t) && k != TARGET_FUNNEL) {
            /* Monte Carlo: 2e5 draws; |mean - exact| < 5 sd/sqrt(n). For the
             * variance, Var(x^2) <= E x^4 is estimated from the draws too. */
            const int n = 200000;
            double s[2] = {0, 0}, s2[2] = {0, 0}, s4[2] = {0, 0}, w[2];
            for (int i = 0; i < n; i++) {
                target_draw(t, rng, w, NULL, &err);
                for (int j = 0; j < 2; j++) {
                    double e = w[j] - mean[j];
                    s[j] += w[j];
                    s2[j] += e * e;
                    s4[j] += e * e * e * e;
                }
            }
            for (int j = 0; j < 2; j++) {
                double mu = s[j] / n, v = s2[j] / n, v4 = s4[j] / n;
                CHECK(fabs(mu - mean[j]) < 5 * sqrt(cov[j * 3] / n), "%s mean[%d] %g vs %g",
                      target_kind_name((target_kind)k), j, mu, mean[j]);
                CHECK(fabs(v - cov[j * 3]) < 5 * sqrt((v4 - v * v) / n), "%s var[%d] %g vs %g",
                      target_kind_name((target_kind)k), j, v, cov[j * 3]);
            }
        }
        target_free(t);
    }
    /* Non-finite: deep in the funnel's neck e^-v overflows. */
    target *f = target_toy_alloc(TARGET_FUNNEL, &err);
    double w[2] = {1.0, -800.0}, U, g[2];
    CHECK(target_eval(f, w, &U, g, &err) == BL_ENUM && strstr(err.msg, "not finite") != NULL,
          "funnel neck: %s", err.msg);
    target_free(f);
    CHECK(target_toy_alloc(TARGET_BLR, &err) == NULL && err.code == BL_EINVAL, "toy of blr");
    gsl_rng_free(rng);
}

static void
test_gauss_bad(void)
{
    bl_err err;
    const double mu[2] = {0, 0}, P[4] = {1, 2, 2, 1};
    CHECK(target_gauss_alloc(2, mu, P, &err) == NULL && err.code == BL_ENUM, "indefinite P");
    CHECK(target_gauss_alloc(0, mu, P, &err) == NULL && strstr(err.msg, "d=0") != NULL, "d=0: %s",
          err.msg);
    const double Pn[4] = {1, NAN, NAN, 1};
    CHECK(target_gauss_alloc(2, mu, Pn, &err) == NULL && err.code == BL_EINVAL, "NaN in P");
}

int
main(void)
{
    TEST_INIT();
    test_blr();
    test_nig();
    test_logistic_student();
    test_toys();
    test_gauss_bad();
    return TEST_REPORT();
}
