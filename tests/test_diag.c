/* tests/test_diag.c - core/diag against docs/math.md §11 H (AR(1) chains from the
 * docs/math.md §1.7 reference generator, Gaussian KL and W2) and against direct
 * computations (FFT vs direct autocovariance, Welford vs two-pass moments).
 * Tolerances: docs/math.md §11 values are given to 10 significant digits: 1e-9
 * relative; FFT vs direct sums: 1e-10 relative to c_0 (rounding only). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats/diag.h"
#include "harness.h"

/* docs/math.md §1.7 reference RNG and Box-Muller. */
typedef struct ref_rng {
    uint32_t s;
    double spare;
    int have;
} ref_rng;

static double
ref_u(ref_rng *r)
{
    r->s = 1664525u * r->s + 1013904223u;
    return ((double)r->s + 0.5) / 4294967296.0;
}

static double
ref_normal(ref_rng *r)
{
    if (r->have) {
        r->have = 0;
        return r->spare;
    }
    double u1 = ref_u(r), u2 = ref_u(r), rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(2.0 * M_PI * u2);
    r->have = 1;
    return rad * cos(2.0 * M_PI * u2);
}

#define N 1000
#define M 4

static void
ar1_chains(double *x)
{
    for (int k = 0; k < M; k++) {
        ref_rng r = {(uint32_t)(k + 1), 0.0, 0};
        double v = 0.0;
        for (int i = 0; i < N; i++) {
            v = 0.9 * v + ref_normal(&r);
            x[k * N + i] = v;
        }
    }
}

static void
test_reference_chains(void)
{
    static double x[M * N];
    bl_err err;
    ar1_chains(x);
    CHECK_ABS(x[0], -1.1568343542, 1e-10);
    CHECK_ABS(x[1], 0.2021207978, 1e-10);
    CHECK_ABS(x[2], -0.1453943759, 1e-10);
    const double means[M] = {-0.1663883754, -0.4069670997, 0.223466796, -0.2637954492};
    for (int k = 0; k < M; k++) {
        double s = 0.0;
        for (int i = 0; i < N; i++)
            s += x[k * N + i];
        CHECK_REL(s / N, means[k], 1e-9);
    }
    double ess = 0, tau = 0;
    CHECK(diag_ess(x, N, 1, &ess, &tau, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(tau, 16.76426029, 1e-9);
    CHECK_REL(ess, 59.65070826, 1e-9);
    double essm = 0;
    CHECK(diag_ess_multi(x, M, N, 1, N, &essm, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(essm, 234.4923649, 1e-9);
    double rhat = 0;
    CHECK(diag_rhat(x, M, N, 1, N, &rhat, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(rhat, 1.010922328, 1e-9);
    for (int i = 0; i < N; i++)
        x[3 * N + i] += 3.0;
    CHECK(diag_rhat(x, M, N, 1, N, &rhat, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(rhat, 1.154751788, 1e-9);

    /* Strided layout (n x d draws, coordinate 1 of d = 3) gives the same. */
    double *y = calloc(3 * N, sizeof *y);
    for (int i = 0; i < N; i++)
        y[i * 3 + 1] = x[i];
    double ess2 = 0;
    diag_ess(y + 1, N, 3, &ess2, NULL, &err);
    CHECK_REL(ess2, ess, 1e-12);
    free(y);
    CHECK_REL(diag_mcse(4.0, 100.0), 0.2, 1e-15);
}

/* FFT path (n > 1000) against direct sums. */
static void
test_autocov_fft(void)
{
    size_t n = 3000;
    double *x = malloc(n * sizeof *x), *c = malloc(n * sizeof *c);
    ref_rng r = {7, 0.0, 0};
    double v = 0.0;
    for (size_t i = 0; i < n; i++)
        x[i] = v = 0.7 * v + ref_normal(&r);
    bl_err err;
    CHECK(diag_autocov(x, n, 1, c, 50, &err) == BL_OK, "%s", err.msg);
    double mu = 0.0;
    for (size_t i = 0; i < n; i++)
        mu += x[i] / (double)n;
    double worst = 0.0;
    for (size_t t = 0; t <= 50; t++) {
        double s = 0.0;
        for (size_t i = 0; i + t < n; i++)
            s += (x[i] - mu) * (x[i + t] - mu);
        worst = fmax(worst, fabs(s / (double)n - c[t]) / c[0]);
    }
    CHECK(worst < 1e-10, "fft autocov: max rel error %g", worst);
    /* AR(1) phi = 0.7: tau = (1 + phi)/(1 - phi) = 5.67; sanity at 5 sigma of
     * the estimator (sd of tau-hat ~ tau sqrt(2 (2M+1)/n) ~ 1.5 here). */
    double tau = 0;
    diag_ess(x, n, 1, NULL, &tau, &err);
    CHECK(fabs(tau - 17.0 / 3.0) < 1.5 * 5, "tau %g vs 5.67", tau);
    free(x);
    free(c);
}

static void
test_gauss_distances(void)
{
    const double m0[2] = {0, 0}, S0[4] = {1, 0.3, 0.3, 0.5};
    const double m1[2] = {0.5, -0.2}, S1[4] = {2, 0, 0, 1};
    bl_err err;
    double kl = 0, w2 = 0;
    CHECK(diag_kl_gauss(2, m0, S0, m1, S1, &kl, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(kl, 0.3748726499, 1e-9);
    CHECK(diag_w2_gauss(2, m0, S0, m1, S1, &w2, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(w2, 0.637373348, 1e-9);
    /* Identical Gaussians: 0 (rounding only). */
    CHECK(diag_kl_gauss(2, m0, S0, m0, S0, &kl, &err) == BL_OK && fabs(kl) < 1e-14, "kl %g", kl);
    CHECK(diag_w2_gauss(2, m0, S0, m0, S0, &w2, &err) == BL_OK && fabs(w2) < 1e-12, "w2 %g", w2);
    CHECK_REL(diag_kl_floor(10, 1000.0), 10.0 * 13.0 / 4000.0, 1e-15);
    const double bad[4] = {1, 2, 2, 1};
    CHECK(diag_kl_gauss(2, m0, bad, m1, S1, &kl, &err) == BL_ENUM, "indefinite S0 -> BL_ENUM");
}

static void
test_welford(void)
{
    bl_err err;
    diag_acc *a = diag_acc_alloc(3, &err);
    CHECK(a != NULL, "%s", err.msg);
    double x[50][3], w[50];
    ref_rng r = {11, 0.0, 0};
    for (int i = 0; i < 50; i++) {
        for (int j = 0; j < 3; j++)
            x[i][j] = ref_normal(&r) + j;
        w[i] = 0.5 + ref_u(&r);
        diag_acc_push(a, x[i], w[i], &err);
    }
    /* Two-pass weighted moments. */
    double W = 0, W2 = 0, mu[3] = {0}, cov[9] = {0}, got[9];
    for (int i = 0; i < 50; i++) {
        W += w[i];
        W2 += w[i] * w[i];
        for (int j = 0; j < 3; j++)
            mu[j] += w[i] * x[i][j];
    }
    for (int j = 0; j < 3; j++)
        mu[j] /= W;
    for (int i = 0; i < 50; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                cov[j * 3 + k] += w[i] * (x[i][j] - mu[j]) * (x[i][k] - mu[k]) / (W - W2 / W);
    for (int j = 0; j < 3; j++)
        CHECK_REL(diag_acc_mean(a)[j], mu[j], 1e-12);
    CHECK(diag_acc_cov(a, got, &err) == BL_OK, "%s", err.msg);
    for (int j = 0; j < 9; j++)
        CHECK_REL(got[j], cov[j], 1e-12);
    CHECK_REL(diag_acc_kish(a), W * W / W2, 1e-12);
    CHECK(diag_acc_push(a, x[0], 0.0, &err) == BL_EINVAL && strstr(err.msg, "weight=0"),
          "weight 0: %s", err.msg);
    CHECK(diag_acc_count(a) == 50, "count unchanged after a bad push");
    diag_acc_reset(a);
    CHECK(diag_acc_cov(a, got, &err) == BL_ESTATE, "empty accumulator");
    diag_acc_free(a);
}

static void
test_bad_input(void)
{
    bl_err err;
    double x[4] = {1, 1, 1, 1}, ess;
    CHECK(diag_ess(x, 3, 1, &ess, NULL, &err) == BL_EINVAL, "n=3");
    CHECK(diag_ess(x, 4, 1, &ess, NULL, &err) == BL_ENUM, "constant chain");
    x[2] = NAN;
    CHECK(diag_ess(x, 4, 1, &ess, NULL, &err) == BL_EINVAL, "NaN in chain");
}

int
main(void)
{
    TEST_INIT();
    test_reference_chains();
    test_autocov_fft();
    test_gauss_distances();
    test_welford();
    test_bad_input();
    return TEST_REPORT();
}
