/* tests/test_concentration.c - core/concentration against docs/math.md §11 I and H
 * (ball masses, A1 information gain, Gaussian KL), against each other
 * (Imhof vs noncentral chi-square on isotropic cases) and against an
 * independent Monte Carlo with a fixed GSL seed.
 * Tolerances: docs/math.md §11 quadrature values 1e-8 absolute (nested quadrature and
 * Imhof agree to 1e-10 there); Imhof vs the Poisson series 1e-9; Monte Carlo
 * 4 standard errors sqrt(p(1-p)/N). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/blr/blr.h"
#include "core/stats/concentration.h"
#include "core/base/linalg.h"
#include "harness.h"

static const double S_gen[9] = {0.04, 0.01, 0, 0.01, 0.02, 0.005, 0, 0.005, 0.06};
static const double dm[3] = {0.1, -0.2, 0.05}; /* m - w* */
static const double zero3[3] = {0, 0, 0};

/* Independent Monte Carlo: w = m + chol(S) z by hand (3x3), N draws. */
static double
mc_mass(gsl_rng *rng, const double *S, double r, size_t N)
{
    double L[9] = {0};
    L[0] = sqrt(S[0]);
    L[3] = S[3] / L[0];
    L[4] = sqrt(S[4] - L[3] * L[3]);
    L[6] = S[6] / L[0];
    L[7] = (S[7] - L[6] * L[3]) / L[4];
    L[8] = sqrt(S[8] - L[6] * L[6] - L[7] * L[7]);
    size_t hit = 0;
    for (size_t s = 0; s < N; s++) {
        double z[3] = {gsl_ran_gaussian(rng, 1), gsl_ran_gaussian(rng, 1),
                       gsl_ran_gaussian(rng, 1)};
        double q = 0.0;
        for (int i = 0; i < 3; i++) {
            double t = dm[i];
            for (int j = 0; j <= i; j++)
                t += L[i * 3 + j] * z[j];
            q += t * t;
        }
        hit += q <= r * r;
    }
    return (double)hit / (double)N;
}

static void
test_ball(void)
{
    bl_err err;
    double p = -1, S_iso[9] = {0.04, 0, 0, 0, 0.04, 0, 0, 0, 0.04};
    /* docs/math.md §11 I, isotropic: F_ncx2(0.09/0.04; 3, |dm|^2/0.04) */
    CHECK(concentration_ball_mass(dm, S_iso, zero3, 3, 0.3, &p, NULL, &err) == BL_OK, "%s",
          err.msg);
    CHECK_ABS(p, 0.3178711456, 1e-8);
    CHECK_ABS(concentration_ncx2_cdf(2.25, 3, 0.0525 / 0.04), 0.3178711456, 1e-8);
    /* the same through Imhof, forced */
    double lam[3] = {0.04, 0.04, 0.04}, del[3] = {0.5, -1.0, 0.25}, pi;
    CHECK(concentration_imhof_cdf(lam, del, 3, 0.09, &pi, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK_ABS(pi, 0.3178711456, 1e-8);
    /* docs/math.md §11 I, general S */
    CHECK(concentration_ball_mass(dm, S_gen, zero3, 3, 0.3, &p, NULL, &err) == BL_OK, "%s",
          err.msg);
    CHECK_ABS(p, 0.2749933362, 1e-8);
    double V[9], w[3];
    memcpy(V, S_gen, sizeof V);
    linalg_eigh(V, 3, w, false, &err);
    CHECK_ABS(w[0], 0.01537828, 5e-9); /* printed with 8 decimals */
    CHECK_REL(w[1], 0.0439246702, 1e-9);
    CHECK_REL(w[2], 0.0606970498, 1e-9);
    /* shifting m and c together changes nothing */
    double m2[3], c2[3];
    for (int i = 0; i < 3; i++) {
        m2[i] = dm[i] + 3.0;
        c2[i] = 3.0;
    }
    double p2;
    concentration_ball_mass(m2, S_gen, c2, 3, 0.3, &p2, NULL, &err);
    CHECK_ABS(p2, p, 1e-12);

    /* Independent Monte Carlo, fixed seed: 4 standard errors. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4242);
    const size_t N = 400000;
    double pm = mc_mass(rng, S_gen, 0.3, N), se = sqrt(p * (1 - p) / (double)N);
    CHECK(fabs(pm - p) <= 4.0 * se, "MC %.5f vs Imhof %.5f (se %.5f)", pm, p, se);
    pm = mc_mass(rng, S_iso, 0.3, N);
    CHECK(fabs(pm - 0.3178711456) <= 4.0 * se, "MC iso %.5f", pm);
    /* The common-random-numbers estimator of the module, 4096 fixed draws. */
    const size_t n = 4096;
    double *z = malloc(n * 3 * sizeof *z);
    for (size_t i = 0; i < n * 3; i++)
        z[i] = gsl_ran_gaussian(rng, 1.0);
    CHECK(concentration_ball_mass_mc(dm, S_gen, zero3, 3, 0.3, z, n, &pm, &err) == BL_OK, "%s",
          err.msg);
    se = sqrt(p * (1 - p) / (double)n);
    CHECK(fabs(pm - p) <= 4.0 * se, "CRN MC %.5f vs %.5f (se %.5f)", pm, p, se);
    free(z);
    gsl_rng_free(rng);
}

static void
test_imhof_vs_ncx2(void)
{
    bl_err err;
    /* Isotropic cases of several sizes: Imhof must match the Poisson series. */
    const size_t ds[] = {2, 3, 5, 10};
    const double ncs[] = {0.0, 0.7, 12.0, 80.0};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++) {
            size_t d = ds[a];
            double lam[10], del[10], nc = ncs[b];
            for (size_t j = 0; j < d; j++) {
                lam[j] = 0.5;
                del[j] = sqrt(nc / (double)d);
            }
            double xs[3] = {0.3 * (double)d * 0.5, (double)d * 0.5 + 0.5 * nc,
                            2.0 * ((double)d + nc) * 0.5};
            for (int k = 0; k < 3; k++) {
                double p;
                int rc = concentration_imhof_cdf(lam, del, d, xs[k], &p, NULL, &err);
                CHECK(rc == BL_OK, "imhof d=%zu: %s", d, err.msg);
                double want = concentration_ncx2_cdf(xs[k] / 0.5, (double)d, nc);
                CHECK(fabs(p - want) < 1e-9, "imhof d=%zu nc=%g x=%g: %.12f vs ncx2 %.12f", d, nc,
                      xs[k], p, want);
            }
        }
    CHECK_REL(concentration_ncx2_cdf(3.0, 4.0, 0.0), gsl_cdf_chisq_P(3.0, 4.0), 1e-15);
    CHECK(concentration_ncx2_cdf(-1.0, 4.0, 2.0) == 0.0, "x < 0");
    CHECK(isnan(concentration_ncx2_cdf(1.0, 0.0, 2.0)), "k = 0");
}

static void
test_kl(void)
{
    bl_err err;
    /* A1 posterior (docs/math.md §11 I): tr S, log det S, KL(post || prior) */
    blr_opts o = {.kind = BLR_KNOWN, .alpha = 0.5, .beta = 4.0};
    blr_model *m = blr_alloc(3, &o, &err);
    for (int i = 0; i < 6; i++) {
        double t = -0.9 + 0.4 * i, phi[3] = {1.0, t, t * t};
        blr_observe(m, phi, sin(2.0 * t) + 0.1 * cos(7.0 * i), NULL, NULL, &err);
    }
    const double *mu = blr_mean(m);
    double m2 = mu[0] * mu[0] + mu[1] * mu[1] + mu[2] * mu[2];
    CHECK_REL(blr_trace_inv_prec(m), 0.4056337642, 1e-9);
    CHECK_REL(-blr_logdet_prec(m), -7.150361974, 1e-9);
    double kl = concentration_kl_iso_prior(3, 0.5, blr_trace_inv_prec(m), -blr_logdet_prec(m), m2);
    CHECK_REL(kl, 3.460478702, 1e-9);
    double S[9], S0[9] = {2, 0, 0, 0, 2, 0, 0, 0, 2}, klg;
    blr_cov(m, S, &err);
    CHECK(concentration_kl_gauss(3, mu, S, zero3, S0, &klg, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(klg, 3.460478702, 1e-9);
    blr_free(m);
    /* docs/math.md §11 H: KL(N((0,0), [[1,.3],[.3,.5]]) || N((.5,-.2), diag(2,1))) */
    double a[4] = {1, 0.3, 0.3, 0.5}, b[4] = {2, 0, 0, 1}, ma[2] = {0, 0}, mb[2] = {0.5, -0.2};
    CHECK(concentration_kl_gauss(2, ma, a, mb, b, &klg, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(klg, 0.3748726499, 1e-9);
}

static void
test_errors(void)
{
    bl_err err;
    double p = 0.5;
    CHECK(concentration_ball_mass(dm, S_gen, zero3, 3, -1.0, &p, NULL, &err) == BL_EINVAL &&
              strstr(err.msg, "radius"),
          "r < 0: %s", err.msg);
    CHECK(concentration_ball_mass(dm, S_gen, zero3, 0, 1.0, &p, NULL, &err) == BL_EINVAL, "d = 0");
    double Sbad[9] = {1, 2, 0, 2, 1, 0, 0, 0, 1};
    CHECK(concentration_ball_mass(dm, Sbad, zero3, 3, 1.0, &p, NULL, &err) == BL_EINVAL &&
              strstr(err.msg, "semi-definite"),
          "indefinite S: %s", err.msg);
    double lam[2] = {1.0, -1.0}, del[2] = {0, 0};
    CHECK(concentration_imhof_cdf(lam, del, 2, 1.0, &p, NULL, &err) == BL_EINVAL &&
              strstr(err.msg, "lam[1]"),
          "lam < 0: %s", err.msg);
    lam[1] = 2.0;
    bl_cancel flag = 1;
    CHECK(concentration_imhof_cdf(lam, del, 2, 1.0, &p, &flag, &err) == BL_ECANCEL, "cancel");
    /* a singular S: one deterministic direction */
    double Ssing[9] = {0.04, 0, 0, 0, 0.04, 0, 0, 0, 0};
    CHECK(concentration_ball_mass(dm, Ssing, zero3, 3, 0.3, &p, NULL, &err) == BL_OK, "%s",
          err.msg);
    /* w3 - c3 = 0.05 fixed: P(0.04 chi'^2_2(1.25) <= 0.09 - 0.0025) */
    CHECK_ABS(p, concentration_ncx2_cdf(0.0875 / 0.04, 2, 0.05 / 0.04), 1e-12);
}

/* High dimension (the posterior after 3 points at d = 1600: 1597
 * directions at the prior's variance, 3 tight ones): a small ball has mass
 * far below 1e-300, a huge one mass 1 (the quadrature alone gave 0.5 for
 * the first: its integrand is a narrow peak at 0 that the rule missed);
 * and a ball near the median radius against Monte Carlo with common random
 * numbers (4096 draws; 4 standard errors). */
static void
ball_high_dim(size_t D, bool mc)
{
    bl_err err;
    double *S = calloc(D * D, sizeof *S), *m = calloc(D, sizeof *m);
    double *c = calloc(D, sizeof *c), p;
    for (size_t i = 0; i < D; i++) {
        S[i * D + i] = i < 3 ? 1e-4 : 1.0;
        m[i] = 1.0; /* |m - c|^2 = D */
    }
    CHECK(concentration_ball_mass(m, S, c, D, 0.1, &p, NULL, &err) == BL_OK && p == 0.0,
          "d=%zu, r=0.1: mass %g, want 0 (%s)", D, p, err.msg);
    CHECK(concentration_ball_mass(m, S, c, D, 10.0 * sqrt((double)D), &p, NULL, &err) == BL_OK &&
              p == 1.0,
          "d=%zu, r=10 sqrt(d): mass %g, want 1", D, p);
    double r = sqrt(2.0 * (double)D); /* E|w - c|^2 = D - 3 + 3e-4 + D */
    CHECK(concentration_ball_mass(m, S, c, D, r, &p, NULL, &err) == BL_OK, "%s", err.msg);
    if (mc) {
        const size_t n = 4096;
        double *z = malloc(n * D * sizeof *z), pm;
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 77);
        for (size_t i = 0; i < n * D; i++)
            z[i] = gsl_ran_gaussian(rng, 1.0);
        CHECK(concentration_ball_mass_mc(m, S, c, D, r, z, n, &pm, &err) == BL_OK, "%s", err.msg);
        double se = sqrt(fmax(p * (1 - p), 1e-4) / (double)n);
        CHECK(p > 0.05 && p < 0.95 && fabs(pm - p) <= 4.0 * se, "d=%zu, r=%g: %g, MC %g (se %g)",
              D, r, p, pm, se);
        gsl_rng_free(rng);
        free(z);
    }
    free(S), free(m), free(c);
}

static void
test_ball_high_dim(void)
{
    ball_high_dim(1600, false);
    ball_high_dim(300, true);
}

int
main(void)
{
    TEST_INIT();
    test_ball();
    test_imhof_vs_ncx2();
    test_ball_high_dim();
    test_kl();
    test_errors();
    return TEST_REPORT();
}
