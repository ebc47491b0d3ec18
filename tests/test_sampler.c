/* tests/test_sampler.c - core/sampler against docs/math.md §11 H and Monte Carlo.
 * Tolerances and their origin:
 *  - leapfrog q_L, p_L, H0, H_L and MALA log alpha: closed-form arithmetic,
 *    1e-10 (docs/math.md §11 prints 10 digits); ULA stationary variances from
 *    sampler_ula_cov: 1e-9 relative.
 *  - Monte Carlo moments: |mean - exact| < 5 sd/sqrt(ESS) with the ESS
 *    measured on the chain itself (core/diag, Geyer); variances likewise with
 *    the sd and ESS of the squared centred draws. Fixed seeds, so a pass is
 *    reproducible; 5 standard errors make a false alarm ~1e-6 per check.
 *  - RWM acceptance: 5 binomial standard errors sqrt(p(1-p)/ESS) with the ESS
 *    of the accept indicators.
 *  - SBC: chi-square of the rank histogram (20 bins, 19 dof), fail above 43.82
 *    (the 0.999 quantile): at a fixed seed this is a pass/fail, not a p-value.
 *    Every kind of this file (exact, rwm, mala, hmc, nuts, sgld, gibbs, and
 *    hmc and nuts with Stan's warm-up, adapt=1) on closed-form posteriors.
 *    Power of 400 ranks of 19 draws (noncentral chi-square, draws from
 *    N(mu + delta sd, (r sd)^2) against the truth's N(mu, sd^2)): 50% at an
 *    sd ratio r <= 0.81 or >= 1.29 or a shift delta >= 0.27, 90% at r <=
 *    0.77 or >= 1.40 or delta >= 0.34. So it catches a wrong posterior
 *    (a missing likelihood term, a sign, a bad accept ratio), not a bias of
 *    a few percent: sgld's (ULA's) variance excess at its step is printed
 *    from sampler_ula_cov instead (+1.8%), and the moments tests carry the
 *    fine checks.
 *  - SGLD bias ratio: delta-method standard error of the ratio of the two
 *    measured variance biases, 5 sigma.
 *  - logistic: |mean - Laplace mean| < 5 MC SE + 0.1 posterior sd (the
 *    Laplace mean differs from the posterior mean by O(1/n) = O(sd/sqrt(n))). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/stats/diag.h"
#include "core/mcmc/sampler.h"
#include "core/mcmc/sampler_impl.h" /* the population kind below reads chains as a kind does */
#include "core/mcmc/target.h"
#include "harness.h"
#include "sampler_harness.h"

static const double P2[4] = {2.0, 0.5, 0.5, 1.0};
static bl_err err_sink;

static void
test_math_h(void)
{
    bl_err err;
    const double mu[2] = {0, 0};
    target *t = target_gauss_alloc(2, mu, P2, &err);
    double q[2] = {0.5, -0.3}, p[2] = {0.8, 0.1}, g[2], U;
    target_eval(t, q, &U, g, &err);
    double H0 = U + 0.5 * (p[0] * p[0] + p[1] * p[1]);
    CHECK_ABS(H0, 0.545, 1e-12);
    double traj[9 * 2];
    size_t nt = 0;
    CHECK(sampler_leapfrog(t, q, p, g, &U, 0.25, 8, traj, 9, &nt, &err) == BL_OK, "%s", err.msg);
    CHECK(nt == 9 && traj[0] == 0.5 && traj[16] == q[0], "trajectory q_0..q_8 (%zu)", nt);
    CHECK_ABS(q[0], -0.1896990406, 1e-10);
    CHECK_ABS(q[1], -0.2264934711, 1e-10);
    CHECK_ABS(p[0], -0.9535502817, 1e-10);
    CHECK_ABS(p[1], 0.0926446186, 1e-10);
    CHECK_ABS(U + 0.5 * (p[0] * p[0] + p[1] * p[1]), 0.5420387518, 1e-10);
    const double w[2] = {0.5, -0.3}, wp[2] = {0.2, 0.4};
    double la = 0;
    CHECK(sampler_mala_log_alpha(t, w, wp, 0.3, &la, &err) == BL_OK, "%s", err.msg);
    CHECK_ABS(la, 0.0043125, 1e-12);
    target_free(t);

    const double Pd[4] = {1, 0, 0, 4};
    double S[4];
    CHECK(sampler_ula_cov(2, Pd, 0.1, NULL, S, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(S[0], 1.0256410256, 1e-9);
    CHECK_REL(S[3], 0.2777777778, 1e-9);
    CHECK_ABS(S[1], 0.0, 1e-15);
    const double P1[1] = {1.0}, V1[1] = {2.0};
    CHECK(sampler_ula_cov(1, P1, 0.1, V1, S, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(S[0], 1.076923077, 1e-9);
    /* Correlated P: S solves S = G S G^T + h I (residual check, rounding). */
    double Sc[4];
    sampler_ula_cov(2, P2, 0.2, NULL, Sc, &err);
    double G[4] = {1 - 0.1 * P2[0], -0.1 * P2[1], -0.1 * P2[2], 1 - 0.1 * P2[3]}, res = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double v = 0;
            for (int k = 0; k < 2; k++)
                for (int l = 0; l < 2; l++)
                    v += G[i * 2 + k] * Sc[k * 2 + l] * G[j * 2 + l];
            res = fmax(res, fabs(v + (i == j ? 0.2 : 0) - Sc[i * 2 + j]));
        }
    CHECK(res < 1e-13, "lyapunov residual %g", res);
    CHECK(sampler_ula_cov(2, Pd, 1.0, NULL, S, &err) == BL_EINVAL, "h >= 4/lambda_max refused");
}

/* Acceptance indicator ESS-based check of (2/pi) atan(2/sigma). */
static void
test_rwm_acceptance(void)
{
    bl_err err;
    const double mu[1] = {0}, P[1] = {1};
    target *t = target_gauss_alloc(1, mu, P, &err);
    const double sig[4] = {0.5, 1.0, 2.4, 5.0};
    const double ref[4] = {0.8440417392, 0.7048327647, 0.4422841232, 0.2422378832};
    const size_t n = 200000;
    double *acc = malloc(n * sizeof *acc);
    sampler_event *ev = sampler_event_alloc(1, 2, &err);
    for (int k = 0; k < 4; k++) {
        CHECK_REL(2.0 / M_PI * atan(2.0 / sig[k]), ref[k], 1e-9);
        sampler_opts o;
        sampler_opts_default(&o);
        o.sigma = sig[k];
        gsl_rng *r = rng_new(100 + (unsigned long)k);
        sampler *s = sampler_alloc(&sampler_type_rwm, t, &o, mu, &err);
        sampler_run(s, 1000, r, NULL, NULL, NULL, &err); /* burn-in from the mode */
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            sampler_step(s, r, ev, &err);
            acc[i] = ev->accepted;
            sum += acc[i];
        }
        double pr = sum / (double)n, ess = 0;
        diag_ess(acc, n, 1, &ess, NULL, &err);
        double se = sqrt(ref[k] * (1 - ref[k]) / ess);
        CHECK(fabs(pr - ref[k]) < 5 * se, "rwm sigma=%g: accept %g vs %g (5 se = %g)", sig[k], pr,
              ref[k], 5 * se);
        sampler_stats st;
        sampler_get_stats(s, &st);
        CHECK(st.iterations == n + 1000, "iterations counted");
        sampler_free(s);
        gsl_rng_free(r);
    }
    sampler_event_free(ev);
    free(acc);
    /* Adaptation: 1-D target 0.44 is reached at sigma ~ 2.43. */
    sampler_opts o;
    sampler_opts_default(&o);
    o.adapt = true;
    o.warmup = 5000;
    o.sigma = 0.1;
    gsl_rng *r = rng_new(7);
    sampler *s = sampler_alloc(&sampler_type_rwm, t, &o, mu, &err);
    sampler_run(s, 6000, r, NULL, NULL, NULL, &err);
    double sa = sampler_options(s)->sigma, pa = 2.0 / M_PI * atan(2.0 / sa);
    CHECK(fabs(pa - 0.44) < 0.05, "adapted sigma %g gives accept %g (target 0.44)", sa, pa);
    sampler_free(s);
    gsl_rng_free(r);
    target_free(t);
}

/* Moments of n draws (after burn) against the target's exact moments, with
 * ESS-based Monte Carlo errors; returns the smallest ESS. */
static double
check_moments(target *t, sampler_kind kind, const sampler_opts *o, size_t burn, size_t n,
              unsigned long seed, const char *label)
{
    bl_err err;
    size_t d = target_dim(t);
    double *mean = malloc(d * sizeof *mean), *cov = malloc(d * d * sizeof *cov);
    double *x = malloc(n * d * sizeof *x), *sq = malloc(n * sizeof *sq);
    target_moments(t, mean, cov);
    gsl_rng *r = rng_new(seed);
    sampler *s = sampler_alloc(kind, t, o, mean, &err);
    CHECK(s != NULL, "%s: %s", label, err.msg);
    double min_ess = INFINITY;
    if (s == NULL)
        goto done;
    sampler_run(s, burn, r, NULL, NULL, NULL, &err);
    sampler_run(s, n, r, x, NULL, NULL, &err);
    for (size_t j = 0; j < d; j++) {
        double m = 0, ess = 0, ess2 = 0;
        for (size_t i = 0; i < n; i++)
            m += x[i * d + j] / (double)n;
        double v = 0, vv = 0;
        for (size_t i = 0; i < n; i++) {
            double e = x[i * d + j] - mean[j];
            sq[i] = e * e;
            v += sq[i] / (double)n;
        }
        for (size_t i = 0; i < n; i++)
            vv += (sq[i] - v) * (sq[i] - v) / (double)n;
        if (diag_ess(x + j, n, d, &ess, NULL, &err) != BL_OK ||
            diag_ess(sq, n, 1, &ess2, NULL, &err) != BL_OK) {
            CHECK(0, "%s: ess failed: %s", label, err.msg);
            continue;
        }
        min_ess = fmin(min_ess, ess);
        double sd = sqrt(cov[j * d + j]);
        CHECK(fabs(m - mean[j]) < 5 * sd / sqrt(ess), "%s: mean[%zu] %g vs %g (5 se %g, ess %g)",
              label, j, m, mean[j], 5 * sd / sqrt(ess), ess);
        CHECK(fabs(v - cov[j * d + j]) < 5 * sqrt(vv / ess2),
              "%s: var[%zu] %g vs %g (5 se %g, ess %g)", label, j, v, cov[j * d + j],
              5 * sqrt(vv / ess2), ess2);
    }
    sampler_stats st;
    sampler_get_stats(s, &st);
    CHECK(st.nonfinite == 0 && st.divergent == 0, "%s: %zu nonfinite, %zu divergent", label,
          st.nonfinite, st.divergent);
done:
    sampler_free(s);
    gsl_rng_free(r);
    free(mean);
    free(cov);
    free(x);
    free(sq);
    return min_ess;
}

static void
test_gaussian_targets(void)
{
    bl_err err;
    const double mu[2] = {1.0, -1.0};
    target *t2 = target_gauss_alloc(2, mu, P2, &err);
    target *t10 = blr_target(50, 10, 42);
    sampler_opts o;
    sampler_opts_default(&o);
    check_moments(t2, &sampler_type_exact, &o, 0, 20000, 1, "exact 2-D");
    o.sigma = 1.5;
    check_moments(t2, &sampler_type_rwm, &o, 1000, 100000, 2, "rwm 2-D");
    o.step = 0.5;
    check_moments(t2, &sampler_type_mala, &o, 1000, 50000, 3, "mala 2-D");
    o.step = 0.3;
    o.leapfrog = 10;
    check_moments(t2, &sampler_type_hmc, &o, 500, 20000, 4, "hmc 2-D");
    o.step = 0.3;
    check_moments(t2, &sampler_type_nuts, &o, 500, 20000, 5, "nuts 2-D");
    /* d = 10 BLR posterior (n = 50): the precision's largest eigenvalue is
     * ~ 100, so steps ~ 1/sqrt(100) for hmc/nuts, 0.02 for mala. */
    sampler_opts_default(&o);
    check_moments(t10, &sampler_type_exact, &o, 0, 20000, 6, "exact d=10");
    o.step = 0.004;
    check_moments(t10, &sampler_type_mala, &o, 2000, 100000, 7, "mala d=10");
    o.step = 0.08;
    o.leapfrog = 20;
    check_moments(t10, &sampler_type_hmc, &o, 500, 10000, 8, "hmc d=10");
    o.step = 0.08;
    check_moments(t10, &sampler_type_nuts, &o, 500, 10000, 9, "nuts d=10");
    o.sigma = 0.05;
    check_moments(t10, &sampler_type_rwm, &o, 5000, 400000, 10, "rwm d=10");
    target_free(t2);
    target_free(t10);
}

static void
nig_data(gsl_rng *r, size_t n, size_t d, double v0, double a0, double b0, double *X, double *y,
         double *w, double *s2)
{
    *s2 = b0 / gsl_ran_gamma(r, a0, 1.0);
    for (size_t j = 0; j < d; j++)
        w[j] = gsl_ran_gaussian(r, sqrt(*s2 * v0));
    for (size_t i = 0; i < n; i++) {
        y[i] = 0;
        for (size_t j = 0; j < d; j++) {
            X[i * d + j] = gsl_ran_gaussian(r, 1.0);
            y[i] += X[i * d + j] * w[j];
        }
        y[i] += gsl_ran_gaussian(r, sqrt(*s2));
    }
}

/* NIG target from raw data via the statistics. */
static target *
nig_target(size_t n, size_t d, const double *X, const double *y, double v0, double a0, double b0)
{
    double G[9] = {0}, xty[3] = {0}, yty = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            xty[j] += X[i * d + j] * y[i];
            for (size_t k = 0; k < d; k++)
                G[j * d + k] += X[i * d + j] * X[i * d + k];
        }
        yty += y[i] * y[i];
    }
    bl_err err;
    return target_nig_alloc(d, n, G, xty, yty, v0, a0, b0, &err);
}

static void
test_gibbs(void)
{
    bl_err err;
    gsl_rng *r = rng_new(77);
    double X[60], y[20], w[3], s2;
    nig_data(r, 20, 3, 2.0, 3.0, 2.0, X, y, w, &s2);
    target *t = nig_target(20, 3, X, y, 2.0, 3.0, 2.0);
    check_moments(t, &sampler_type_gibbs, NULL, 100, 20000, 11, "gibbs nig");
    check_moments(t, &sampler_type_exact, NULL, 0, 20000, 12, "exact nig");
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0.1;
    o.leapfrog = 10;
    check_moments(t, &sampler_type_hmc, &o, 200, 20000, 13, "hmc nig marginal t");
    sampler *s = sampler_alloc(&sampler_type_gibbs, t, NULL, NULL, &err);
    sampler_step(s, r, NULL, &err);
    CHECK(sampler_aux(s) > 0, "nig gibbs s2 = %g", sampler_aux(s));
    sampler_free(s);
    target_free(t);

    /* Student-t regression: Gibbs (exact conditionals) vs NUTS, two
     * independent exact samplers of one posterior: means agree within
     * 5 sqrt(se1^2 + se2^2). */
    size_t n = 100, d = 2;
    double *Xs = malloc(n * d * sizeof *Xs), *ys = malloc(n * sizeof *ys);
    for (size_t i = 0; i < n; i++) {
        Xs[i * d] = 1.0;
        Xs[i * d + 1] = gsl_ran_gaussian(r, 1.0);
        ys[i] = 0.5 - Xs[i * d + 1] + 0.5 * gsl_ran_tdist(r, 2.0);
    }
    target *ts = target_student_t_alloc(n, d, Xs, ys, 2.0, 0.5, 1.0, &err);
    size_t N = 20000;
    double *a = malloc(N * d * sizeof *a), *b = malloc(N * d * sizeof *b);
    sampler *sg = sampler_alloc(&sampler_type_gibbs, ts, NULL, NULL, &err);
    sampler_opts_default(&o);
    o.step = 0.1;
    sampler *sn = sampler_alloc(&sampler_type_nuts, ts, &o, NULL, &err);
    CHECK(sg != NULL && sn != NULL, "student_t samplers: %s", err.msg);
    sampler_run(sg, 200, r, NULL, NULL, NULL, &err);
    sampler_run(sg, N, r, a, NULL, NULL, &err);
    sampler_run(sn, 200, r, NULL, NULL, NULL, &err);
    sampler_run(sn, N, r, b, NULL, NULL, &err);
    for (size_t j = 0; j < d; j++) {
        double ma = 0, mb = 0, va = 0, vb = 0, ea, eb;
        for (size_t i = 0; i < N; i++) {
            ma += a[i * d + j] / (double)N;
            mb += b[i * d + j] / (double)N;
        }
        for (size_t i = 0; i < N; i++) {
            va += (a[i * d + j] - ma) * (a[i * d + j] - ma) / (double)(N - 1);
            vb += (b[i * d + j] - mb) * (b[i * d + j] - mb) / (double)(N - 1);
        }
        diag_ess(a + j, N, d, &ea, NULL, &err);
        diag_ess(b + j, N, d, &eb, NULL, &err);
        double se = sqrt(va / ea + vb / eb);
        CHECK(fabs(ma - mb) < 5 * se, "student_t w[%zu]: gibbs %g vs nuts %g (5 se %g)", j, ma, mb,
              5 * se);
    }
    sampler_free(sg);
    sampler_free(sn);
    target_free(ts);
    free(Xs);
    free(ys);
    free(a);
    free(b);
    gsl_rng_free(r);
}

/* One SBC run: the kind, its options over the defaults, the steps between
 * ranked draws and the steps before the first (the adapting warm-up when
 * adapt = 1, whose draws are discarded). */
typedef struct sbc_run {
    sampler_kind kind;
    double step, sigma;
    size_t leapfrog;
    bool adapt;
    int thin, burn;
} sbc_run;

/* Simulation-based calibration: S data sets from the prior, L = 19 thinned
 * draws each, rank of the true w_0 in 0..19; chi-square over 20 bins.
 * *ula_ratio (may be NULL) gets the mean over the data sets of the ULA
 * chain's exact stationary Var w_0 (sampler_ula_cov at o.step) over the
 * posterior's: sgld's known bias at this step. */
static double
sbc_chi2(const sbc_run *run, unsigned long seed, double *ula_ratio)
{
    const int S = 400, L = 19, B = 20;
    int hist[20] = {0};
    gsl_rng *r = rng_new(seed);
    bl_err err;
    double ratio = 0;
    for (int sim = 0; sim < S; sim++) {
        double X[30], y[10], w[3], s2, G[9] = {0};
        target *t;
        if (run->kind == &sampler_type_gibbs) {
            nig_data(r, 10, 3, 1.0, 3.0, 2.0, X, y, w, &s2);
            t = nig_target(10, 3, X, y, 1.0, 3.0, 2.0);
        } else {
            /* BLR prior w ~ N(0, I/alpha), alpha = 1, beta = 4. */
            for (int j = 0; j < 3; j++)
                w[j] = gsl_ran_gaussian(r, 1.0);
            double xty[3] = {0}, yty = 0;
            for (int i = 0; i < 10; i++) {
                double f = 0;
                for (int j = 0; j < 3; j++) {
                    X[i * 3 + j] = gsl_ran_gaussian(r, 1.0);
                    f += X[i * 3 + j] * w[j];
                }
                y[i] = f + gsl_ran_gaussian(r, 0.5);
                for (int j = 0; j < 3; j++) {
                    xty[j] += X[i * 3 + j] * y[i];
                    for (int k = 0; k < 3; k++)
                        G[j * 3 + k] += X[i * 3 + j] * X[i * 3 + k];
                }
                yty += y[i] * y[i];
            }
            t = target_blr_alloc(3, G, xty, yty, 1.0, 4.0, &err);
        }
        sampler_opts o;
        sampler_opts_default(&o);
        o.step = run->step > 0 ? run->step : 0.1;
        o.sigma = run->sigma > 0 ? run->sigma : 1.0;
        o.leapfrog = run->leapfrog > 0 ? run->leapfrog : 8;
        o.adapt = run->adapt;
        o.warmup = (size_t)run->burn;
        double mean[3], cov[9];
        target_moments(t, mean, cov);
        if (ula_ratio != NULL) {
            double P[9], Su[9];
            for (int j = 0; j < 9; j++)
                P[j] = 4.0 * G[j] + (j % 4 == 0 ? 1.0 : 0.0);
            sampler_ula_cov(3, P, o.step, NULL, Su, &err);
            ratio += Su[0] / cov[0] / S;
        }
        sampler *s = sampler_alloc(run->kind, t, &o, mean, &err);
        sampler_run(s, (size_t)run->burn, r, NULL, NULL, NULL, &err);
        int rank = 0;
        for (int l = 0; l < L; l++) {
            sampler_run(s, (size_t)run->thin, r, NULL, NULL, NULL, &err);
            rank += sampler_state(s)[0] < w[0];
        }
        hist[rank]++;
        sampler_free(s);
        target_free(t);
    }
    double e = (double)S / B, chi2 = 0;
    for (int b = 0; b < B; b++)
        chi2 += (hist[b] - e) * (hist[b] - e) / e;
    gsl_rng_free(r);
    if (ula_ratio != NULL)
        *ula_ratio = ratio;
    return chi2;
}

/* Thinning: enough steps between the ranked draws that they are nearly
 * independent (correlated draws pile the ranks up at the ends). sgld runs
 * with the full gradient (the BLR target keeps no data points): ULA, whose
 * stationary variance exceeds the posterior's by the factor printed (about
 * 1 + h lambda/4 per eigendirection), under what 400 ranks resolve at h =
 * 0.002. The adapting runs discard a 200-iteration Stan warm-up (75 + 25 +
 * 50 windows) before the ranked draws. */
static void
test_sbc(void)
{
    double crit = gsl_cdf_chisq_Pinv(0.999, 19);
    CHECK_ABS(crit, 43.82, 0.01);
    const sbc_run runs[] = {
        {&sampler_type_hmc, 0, 0, 0, false, 5, 50},
        {&sampler_type_gibbs, 0, 0, 0, false, 5, 50},
        {&sampler_type_exact, 0, 0, 0, false, 1, 0},
        {&sampler_type_rwm, 0, 0.1, 0, false, 20, 50},
        {&sampler_type_mala, 0.01, 0, 0, false, 10, 50},
        {&sampler_type_nuts, 0.1, 0, 0, false, 3, 50},
        {&sampler_type_sgld, 0.002, 0, 0, false, 100, 50},
        {&sampler_type_hmc, 0, 0, 0, true, 5, 200},
        {&sampler_type_nuts, 0, 0, 0, true, 3, 200},
    };
    printf("SBC chi2 (19 dof, fail >= %.2f):", crit);
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        const sbc_run *run = &runs[k];
        double ula = 0;
        double c = sbc_chi2(run, k < 2 ? 2024 + k : 2100 + k,
                            run->kind == &sampler_type_sgld ? &ula : NULL);
        CHECK(c < crit, "SBC %s%s: chi2 = %g >= %g", run->kind->name, run->adapt ? " adapt=1" : "",
              c, crit);
        printf(" %s%s %.2f", run->kind->name, run->adapt ? " adapt=1" : "", c);
        if (ula > 0)
            printf(" (ULA Var w0 / posterior %.4f)", ula);
        printf(k + 1 < sizeof runs / sizeof runs[0] ? "," : "\n");
    }
}

/* ULA variance bias at h and h/2 on N(0, I_20): bias(h) = 1/(1 - h/4) - 1. */
static void
test_sgld_bias(void)
{
    bl_err err;
    const size_t d = 20, n = 200000;
    double *mu = calloc(d, sizeof *mu), *P = calloc(d * d, sizeof *P);
    for (size_t j = 0; j < d; j++)
        P[j * d + j] = 1.0;
    target *t = target_gauss_alloc(d, mu, P, &err);
    double *x = malloc(n * d * sizeof *x), *sq = malloc(n * sizeof *sq);
    double bias[2], se[2];
    const double h[2] = {0.4, 0.2};
    for (int k = 0; k < 2; k++) {
        sampler_opts o;
        sampler_opts_default(&o);
        o.step = h[k];
        gsl_rng *r = rng_new(300 + (unsigned long)k);
        sampler *s = sampler_alloc(&sampler_type_sgld, t, &o, mu, &err);
        sampler_run(s, 1000, r, NULL, NULL, NULL, &err);
        sampler_run(s, n, r, x, NULL, NULL, &err);
        double v = 0, var_se2 = 0;
        for (size_t j = 0; j < d; j++) {
            double m = 0, vv = 0, ess;
            for (size_t i = 0; i < n; i++) {
                sq[i] = x[i * d + j] * x[i * d + j];
                m += sq[i] / (double)n;
            }
            for (size_t i = 0; i < n; i++)
                vv += (sq[i] - m) * (sq[i] - m) / (double)n;
            diag_ess(sq, n, 1, &ess, NULL, &err);
            v += m / (double)d;
            var_se2 += vv / ess / (double)(d * d);
        }
        bias[k] = v - 1.0;
        se[k] = sqrt(var_se2);
        double S = 0;
        sampler_ula_cov(1, P, h[k], NULL, &S, &err);
        CHECK(fabs(v - S) < 5 * se[k], "ULA h=%g: variance %g vs %g (5 se %g)", h[k], v, S,
              5 * se[k]);
        sampler_free(s);
        gsl_rng_free(r);
    }
    double ratio = bias[0] / bias[1];
    double rse = ratio * sqrt(pow(se[0] / bias[0], 2) + pow(se[1] / bias[1], 2));
    double want = (1 / (1 - 0.1) - 1) / (1 / (1 - 0.05) - 1); /* 2.111 */
    CHECK(fabs(ratio - want) < 5 * rse, "SGLD bias ratio %g vs %g (5 se %g)", ratio, want, 5 * rse);
    printf("ULA variance bias: h=0.4 %.4f, h=0.2 %.4f, ratio %.3f +- %.3f (theory %.3f)\n", bias[0],
           bias[1], ratio, rse, want);
    target_free(t);
    free(x);
    free(sq);
    free(mu);
    free(P);
}

static void
test_sgld_minibatch(void)
{
    bl_err err;
    target *t = blr_target(50, 10, 5);
    sampler_opts o;
    sampler_opts_default(&o);
    o.minibatch = 10;
    o.schedule = true;
    o.sched_a = 0.01;
    o.sched_b0 = 10;
    o.sched_gamma = 0.55;
    gsl_rng *r = rng_new(9);
    sampler *s = sampler_alloc(&sampler_type_sgld, t, &o, NULL, &err);
    CHECK(s != NULL, "sgld: %s", err.msg);
    double wts[5];
    sampler_run(s, 5, r, NULL, wts, NULL, &err);
    for (int i = 0; i < 5; i++)
        CHECK_REL(wts[i], 0.01 * pow(10.0 + i, -0.55), 1e-14);
    sampler_run(s, 5000, r, NULL, NULL, NULL, &err);
    for (size_t j = 0; j < 10; j++)
        CHECK(isfinite(sampler_state(s)[j]), "sgld state finite");
    o.minibatch = 51;
    CHECK(sampler_alloc(&sampler_type_sgld, t, &o, NULL, &err) == NULL &&
              strstr(err.msg, "minibatch=51") != NULL,
          "minibatch > N: %s", err.msg);
    CHECK(sampler_set(s, "minibatch", 60, &err) == BL_EINVAL, "set minibatch > N");
    sampler_free(s);
    gsl_rng_free(r);
    target_free(t);
}

static void
test_logistic(void)
{
    bl_err err;
    size_t n = 5000, d = 3;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    gsl_rng *r = rng_new(31);
    for (size_t i = 0; i < n; i++) {
        double f = 0;
        for (size_t j = 0; j < d; j++) {
            X[i * d + j] = gsl_ran_gaussian(r, 1.0);
            f += X[i * d + j] * (j == 0 ? 0.5 : -0.7);
        }
        y[i] = gsl_rng_uniform(r) < 1 / (1 + exp(-f)) ? 1.0 : -1.0;
    }
    target *t = target_logistic_alloc(n, d, X, y, 1.0, &err);
    double mode[3], cov[9];
    target_moments(t, mode, cov);
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0.02;
    o.leapfrog = 10;
    sampler *s = sampler_alloc(&sampler_type_hmc, t, &o, mode, &err);
    size_t N = 3000;
    double *x = malloc(N * d * sizeof *x);
    sampler_run(s, 200, r, NULL, NULL, NULL, &err);
    sampler_run(s, N, r, x, NULL, NULL, &err);
    for (size_t j = 0; j < d; j++) {
        double m = 0, ess;
        for (size_t i = 0; i < N; i++)
            m += x[i * d + j] / (double)N;
        diag_ess(x + j, N, d, &ess, NULL, &err);
        double sd = sqrt(cov[j * d + j]);
        CHECK(fabs(m - mode[j]) < 5 * sd / sqrt(ess) + 0.1 * sd,
              "logistic w[%zu]: mean %g vs Laplace %g (tol %g)", j, m, mode[j],
              5 * sd / sqrt(ess) + 0.1 * sd);
    }
    sampler_free(s);
    target_free(t);
    free(x);
    free(X);
    free(y);
    gsl_rng_free(r);
}

static void
test_events(void)
{
    bl_err err;
    const double mu[2] = {0, 0};
    target *t = target_gauss_alloc(2, mu, P2, &err);
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0.2;
    o.leapfrog = 12;
    gsl_rng *r = rng_new(3);
    sampler_event *ev = sampler_event_alloc(2, SAMPLER_TRAJ_MAX, &err);
    sampler *s = sampler_alloc(&sampler_type_hmc, t, &o, mu, &err);
    sampler_step(s, r, ev, &err);
    CHECK(ev->ntraj == 13 && ev->ntraj_total == 13, "hmc trajectory L+1 = %zu", ev->ntraj);
    CHECK(ev->traj[0] == ev->from[0] && ev->traj[24] == ev->proposal[0], "traj ends");
    CHECK(ev->n_grad == 12 && fabs(ev->energy_error) < 1, "hmc energy error %g", ev->energy_error);
    CHECK(ev->accepted == (sampler_state(s)[0] == ev->proposal[0]), "accept flag");
    sampler_free(s);
    /* Truncation at a small capacity. */
    sampler_event *small = sampler_event_alloc(2, 4, &err);
    s = sampler_alloc(&sampler_type_hmc, t, &o, mu, &err);
    sampler_step(s, r, small, &err);
    CHECK(small->ntraj == 4 && small->ntraj_total == 13, "truncated %zu/%zu", small->ntraj,
          small->ntraj_total);
    sampler_free(s);
    sampler_event_free(small);
    s = sampler_alloc(&sampler_type_nuts, t, &o, mu, &err);
    for (int k = 0; k < 20; k++) {
        sampler_step(s, r, ev, &err);
        int ok = ev->ntraj == ev->ntraj_total && ev->ntraj == ev->n_grad + 1 &&
                 ev->traj_dir[0] == 0 && ev->ntraj <= (1u << ev->tree_depth);
        for (size_t i = 1; i < ev->ntraj; i++)
            ok &= ev->traj_dir[i] == 1 || ev->traj_dir[i] == -1;
        CHECK(ok, "nuts event: ntraj %zu, grads %zu, depth %d", ev->ntraj, ev->n_grad,
              ev->tree_depth);
        CHECK(ev->accept_prob >= 0 && ev->accept_prob <= 1, "nuts accept stat %g", ev->accept_prob);
    }
    sampler_free(s);
    sampler_event *e3 = sampler_event_alloc(3, 2, &err);
    s = sampler_alloc(&sampler_type_rwm, t, &o, mu, &err);
    CHECK(sampler_step(s, r, e3, &err) == BL_EINVAL && strstr(err.msg, "dimension 3") != NULL,
          "event dims: %s", err.msg);
    sampler_stats st;
    sampler_get_stats(s, &st);
    CHECK(st.iterations == 0, "failed step not counted");
    sampler_free(s);
    sampler_event_free(e3);
    sampler_event_free(ev);
    gsl_rng_free(r);
    target_free(t);
}

/* A divergence means the same in HMC and NUTS (issue 10): a non-finite
 * energy or an H error beyond SAMPLER_DIVERGENCE. At step 1000 on a Gaussian
 * HMC's 100 leapfrog steps overflow to inf while NUTS's first leaf has a huge
 * but finite H error: every step of both is a divergence, and only the
 * overflowing ones are also counted as non-finite. */
static void
test_divergence_agrees(void)
{
    bl_err err;
    const double mu[2] = {0, 0};
    target *t = target_gauss_alloc(2, mu, P2, &err);
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 1000;
    o.leapfrog = 100;
    gsl_rng *r = rng_new(11);
    sampler_event *ev = sampler_event_alloc(2, SAMPLER_TRAJ_MAX, &err);
    const sampler_type *kinds[] = {&sampler_type_hmc, &sampler_type_nuts};
    for (size_t k = 0; k < 2; k++) {
        sampler *s = sampler_alloc(kinds[k], t, &o, mu, &err);
        bool all = true;
        for (int i = 0; i < 50; i++) {
            sampler_step(s, r, ev, &err);
            all &= ev->divergent && !ev->accepted;
        }
        sampler_stats st;
        sampler_get_stats(s, &st);
        CHECK(all && st.divergent == 50, "%s at step=1000: %zu of 50 divergent (%zu non-finite)",
              kinds[k]->name, st.divergent, st.nonfinite);
        CHECK(st.nonfinite == (k == 0 ? 50u : 0u), "%s: %zu non-finite", kinds[k]->name,
              st.nonfinite);
        sampler_free(s);
    }
    sampler_event_free(ev);
    gsl_rng_free(r);
    target_free(t);
}

static void
test_bad_input(void)
{
    bl_err err;
    const double mu[2] = {0, 0};
    target *t = target_gauss_alloc(2, mu, P2, &err);
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0;
    CHECK(sampler_alloc(&sampler_type_hmc, t, &o, NULL, &err) == NULL &&
              strcmp(err.msg, "step=0: must be > 0") == 0,
          "step 0: %s", err.msg);
    o.step = -0.1;
    CHECK(sampler_alloc(&sampler_type_mala, t, &o, NULL, &err) == NULL &&
              strstr(err.msg, "step=-0.1: must be > 0") != NULL,
          "step < 0: %s", err.msg);
    sampler_opts_default(&o);
    o.leapfrog = 0;
    CHECK(sampler_alloc(&sampler_type_hmc, t, &o, NULL, &err) == NULL &&
              strstr(err.msg, "leapfrog=0: must be in 1..1024") != NULL,
          "leapfrog 0: %s", err.msg);
    sampler *s = sampler_alloc(&sampler_type_hmc, t, NULL, NULL, &err);
    CHECK(sampler_set(s, "step", 0, &err) == BL_EINVAL, "set step 0");
    CHECK(sampler_set(s, "leapfrog", 2.5, &err) == BL_EINVAL &&
              strstr(err.msg, "whole number") != NULL,
          "leapfrog 2.5: %s", err.msg);
    CHECK(sampler_set(s, "stepp", 1, &err) == BL_EINVAL && strstr(err.msg, "choose sigma") != NULL,
          "unknown: %s", err.msg);
    double v = 0;
    CHECK(sampler_set(s, "step", 0.25, &err) == BL_OK &&
              sampler_get(s, "step", &v, &err) == BL_OK && v == 0.25,
          "set/get step");
    CHECK(sampler_set(s, "gamma", 0.5, &err) == BL_EINVAL, "gamma 0.5 excluded: %s", err.msg);
    const double bad[2] = {NAN, 0};
    CHECK(sampler_set_state(s, bad, &err) == BL_EINVAL, "NaN state");
    CHECK(sampler_state(s)[0] == 0, "state unchanged");
    sampler_free(s);
    target *ban = target_toy_alloc(TARGET_BANANA, &err),
           *don = target_toy_alloc(TARGET_DONUT, &err);
    CHECK(sampler_alloc(&sampler_type_gibbs, ban, NULL, NULL, &err) == NULL &&
              strstr(err.msg, "gibbs: target banana") != NULL,
          "gibbs on banana: %s", err.msg);
    CHECK(sampler_alloc(&sampler_type_exact, don, NULL, NULL, &err) == NULL, "exact on donut");
    CHECK(sampler_type_find("nuts") == &sampler_type_nuts && sampler_type_find("x") == NULL,
          "kind names");

    /* NaN/inf from the target: rwm with huge proposals on the funnel walks
     * into e^-v overflow; the steps are rejected and counted, the chain lives. */
    target *f = target_toy_alloc(TARGET_FUNNEL, &err);
    sampler_opts_default(&o);
    o.sigma = 1000;
    gsl_rng *r = rng_new(1);
    const double start[2] = {0.5, 0.0};
    s = sampler_alloc(&sampler_type_rwm, f, &o, start, &err);
    sampler_event *ev = sampler_event_alloc(2, 2, &err);
    size_t flagged = 0;
    for (int i = 0; i < 1000; i++) {
        sampler_step(s, r, ev, &err);
        flagged += ev->nonfinite;
        if (ev->nonfinite)
            CHECK(!ev->accepted, "non-finite step not accepted");
    }
    sampler_stats st;
    sampler_get_stats(s, &st);
    CHECK(st.nonfinite > 0 && st.nonfinite == flagged && st.iterations == 1000,
          "rwm funnel: %zu nonfinite of %zu", st.nonfinite, st.iterations);
    CHECK(isfinite(sampler_state(s)[0]) && isfinite(sampler_energy(s)), "chain alive");
    sampler_free(s);
    /* hmc with a huge step: divergences / non-finite counted, chain alive. */
    const double neck[2] = {0.01, -4.0};
    o.step = 3.0;
    o.leapfrog = 20;
    s = sampler_alloc(&sampler_type_hmc, f, &o, neck, &err);
    sampler_run(s, 200, r, NULL, NULL, NULL, &err);
    sampler_get_stats(s, &st);
    CHECK(st.divergent + st.nonfinite > 0 && isfinite(sampler_state(s)[1]),
          "hmc funnel: %zu divergent, %zu nonfinite", st.divergent, st.nonfinite);
    sampler_free(s);
    s = sampler_alloc(&sampler_type_nuts, f, &o, neck, &err);
    sampler_run(s, 100, r, NULL, NULL, NULL, &err);
    sampler_get_stats(s, &st);
    CHECK(st.divergent + st.nonfinite > 0 && isfinite(sampler_state(s)[1]),
          "nuts funnel: %zu divergent, %zu nonfinite", st.divergent, st.nonfinite);
    sampler_free(s);
    const double deep[2] = {1, -800};
    CHECK(sampler_alloc(&sampler_type_hmc, f, NULL, deep, &err) == NULL &&
              strstr(err.msg, "init") != NULL,
          "non-finite init: %s", err.msg);
    bl_cancel c = 1;
    s = sampler_alloc(&sampler_type_rwm, f, NULL, start, &err);
    CHECK(sampler_run(s, 10, r, NULL, NULL, &c, &err) == BL_ECANCEL, "cancel");
    sampler_free(s);
    sampler_event_free(ev);
    gsl_rng_free(r);
    target_free(f);
    target_free(ban);
    target_free(don);
    target_free(t);
}

static void
test_ensemble(void)
{
    bl_err err;
    const double mu[2] = {1, -1};
    target *t = target_gauss_alloc(2, mu, P2, &err);
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0.3;
    o.leapfrog = 10;
    size_t K = 4, n = 2000;
    double *a = malloc(K * n * 2 * sizeof *a), *b = malloc(K * n * 2 * sizeof *b);
    gsl_rng *r1 = rng_new(55), *r2 = rng_new(55);
    sampler_ens *e1 = sampler_ens_alloc(&sampler_type_hmc, t, &o, K, mu, 2.0, r1, &err);
    sampler_ens *e2 = sampler_ens_alloc(&sampler_type_hmc, t, &o, K, mu, 2.0, r2, &err);
    CHECK(e1 != NULL && e2 != NULL && sampler_ens_size(e1) == K, "ensemble: %s", err.msg);
    sampler_ens_run(e1, n, a, NULL, NULL, &err);
    sampler_ens_run(e2, n, b, NULL, NULL, &err);
    CHECK(memcmp(a, b, K * n * 2 * sizeof *a) == 0, "same seed, same ensemble");
    CHECK(sampler_ens_chain(e1, 0) != NULL && sampler_ens_chain(e1, K) == NULL, "chain access");
    double rhat, ess;
    diag_rhat(a, K, n, 2, n * 2, &rhat, &err);
    diag_ess_multi(a, K, n, 2, n * 2, &ess, &err);
    CHECK(rhat < 1.01, "hmc 4-chain split rhat %g", rhat);
    CHECK(ess > 1000, "hmc 4-chain ess %g", ess);
    CHECK(sampler_ens_set(e1, "step", -1, &err) == BL_EINVAL, "ens set bad");
    CHECK(sampler_ens_set(e1, "step", 0.2, &err) == BL_OK &&
              sampler_options(sampler_ens_chain(e1, 3))->step == 0.2,
          "ens set");
    sampler_event *evs[4] = {NULL, NULL, NULL, NULL};
    evs[1] = sampler_event_alloc(2, 16, &err);
    CHECK(sampler_ens_step(e1, evs, &err) == BL_OK && evs[1]->ntraj == 11, "ens step events");
    sampler_event_free(evs[1]);
    sampler_ens_free(e1);
    sampler_ens_free(e2);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    free(a);
    free(b);
    target_free(t);
}

/* The kind table: every entry complete, names unique, what a kind adapts is
 * a tunable it has; the tunables: each once, in sampler_opts' order, names
 * and storage unique, defaults inside their ranges. */
/* Stan's warm-up on hmc and nuts, on a Gaussian with sds 2 and 0.5 and on
 * the banana, delta 0.7, 0.8, 0.9: during the adaptation windows the mean
 * acceptance statistic is delta within 0.03 (dual averaging's fixed point;
 * Monte Carlo error about 0.01 over 725 correlated steps); after warm-up,
 * with the step exp(xbar), it is at least delta - 0.05 and lies above delta
 * (0.87-0.97 at delta 0.8: the geometric mean of the fluctuating warm-up
 * steps is smaller than the steps that averaged delta, as in Stan, where
 * the acceptance after warm-up exceeds adapt_delta too); the adapted diagonal
 * metric is the Gaussian's variances within 25% (the last window holds
 * about 500 draws of ESS a few hundred: 2 sqrt(2/300) = 16%, plus the
 * shrinkage n/(n+5)). */
static void
test_stan_warmup(void)
{
    bl_err err;
    const double mu[2] = {1, -1}, P[4] = {0.25, 0, 0, 4};
    target *gauss = target_gauss_alloc(2, mu, P, &err);
    target *ban = target_toy_alloc(TARGET_BANANA, &err);
    const sampler_type *kinds[2] = {&sampler_type_hmc, &sampler_type_nuts};
    target *targets[2] = {gauss, ban};
    const char *tnames[2] = {"gaussian", "banana"};
    sampler_event *ev = sampler_event_alloc(2, 0, &err);
    for (int k = 0; k < 2; k++)
        for (int ti = 0; ti < 2; ti++)
            for (int delta10 = 7; delta10 <= 9; delta10 += 1) {
                sampler_opts o;
                sampler_opts_default(&o);
                o.adapt = true;
                o.warmup = 1000;
                o.delta = delta10 / 10.0;
                o.leapfrog = 8;
                o.step = 0.05;
                gsl_rng *r = rng_new(40 + (unsigned long)(10 * k + 3 * ti + delta10));
                sampler *s = sampler_alloc(kinds[k], targets[ti], &o, mu, &err);
                CHECK(s != NULL, "%s", err.msg);
                if (s == NULL)
                    continue;
                /* The adaptation windows, after the first 200 iterations and
                 * before the terminal buffer's restart. */
                double wsum = 0;
                for (int i = 0; i < 1000; i++) {
                    sampler_step(s, r, ev, &err);
                    wsum += i >= 200 && i < 925 ? ev->accept_prob : 0.0;
                }
                CHECK(fabs(wsum / 725.0 - o.delta) < 0.03,
                      "%s on the %s: warm-up acceptance %g, delta %g", kinds[k]->name, tnames[ti],
                      wsum / 725.0, o.delta);
                double step = sampler_options(s)->step, sum = 0;
                for (int i = 0; i < 2000; i++) {
                    sampler_step(s, r, ev, &err);
                    sum += ev->accept_prob;
                }
                CHECK(sampler_options(s)->step == step, "step frozen after warm-up");
                double acc = sum / 2000.0;
                CHECK(acc > o.delta - 0.05 && acc < 1.0,
                      "%s on the %s, delta %g: acceptance %g (step %g)", kinds[k]->name, tnames[ti],
                      o.delta, acc, step);
                double minv[2];
                int m = sampler_inv_metric(s, minv);
                CHECK(m == SAMPLER_METRIC_DIAG, "%s: a diagonal metric in use", kinds[k]->name);
                if (ti == 0)
                    for (int j = 0; j < 2; j++)
                        CHECK(fabs(minv[j] * P[3 * j] - 1.0) < 0.25,
                              "%s: adapted variance %d = %g, target %g", kinds[k]->name, j, minv[j],
                              1.0 / P[3 * j]);
                sampler_free(s);
                gsl_rng_free(r);
            }
    /* Dense on a correlated Gaussian: the full covariance is found. */
    const double Pc[4] = {4.0 / 3.0, -2.0 / 3.0, -2.0 / 3.0,
                          4.0 / 3.0}; /* cov [[1, .5], [.5, 1]] */
    target *corr = target_gauss_alloc(2, mu, Pc, &err);
    sampler_opts o;
    sampler_opts_default(&o);
    o.adapt = true;
    o.warmup = 1000;
    o.metric = SAMPLER_METRIC_DENSE;
    gsl_rng *r = rng_new(77);
    sampler *s = sampler_alloc(&sampler_type_nuts, corr, &o, mu, &err);
    sampler_run(s, 1000, r, NULL, NULL, NULL, &err);
    double minv[2];
    CHECK(sampler_inv_metric(s, minv) == SAMPLER_METRIC_DENSE, "dense metric in use");
    CHECK(fabs(minv[0] - 1) < 0.25 && fabs(minv[1] - 1) < 0.25, "dense diag %g %g", minv[0],
          minv[1]);
    /* metric=unit: the step alone, the metric stays I. */
    sampler_free(s);
    o.metric = SAMPLER_METRIC_UNIT;
    s = sampler_alloc(&sampler_type_nuts, corr, &o, mu, &err);
    sampler_run(s, 300, r, NULL, NULL, NULL, &err);
    CHECK(sampler_inv_metric(s, minv) == SAMPLER_METRIC_UNIT && minv[0] == 1, "unit metric");
    /* A short warm-up (< 20): the step alone. */
    sampler_free(s);
    o.metric = SAMPLER_METRIC_DIAG;
    o.warmup = 15;
    s = sampler_alloc(&sampler_type_hmc, corr, &o, mu, &err);
    sampler_run(s, 30, r, NULL, NULL, NULL, &err);
    CHECK(sampler_inv_metric(s, minv) == SAMPLER_METRIC_UNIT, "warmup 15: no metric");
    CHECK(sampler_type_accepts(&sampler_type_nuts, sampler_tunable_find("delta")) &&
              !sampler_type_accepts(&sampler_type_nuts, sampler_tunable_find("target_accept")) &&
              sampler_type_accepts(&sampler_type_rwm, sampler_tunable_find("target_accept")) &&
              !sampler_type_accepts(&sampler_type_rwm, sampler_tunable_find("metric")),
          "hmc/nuts take delta and metric, rwm target_accept");
    sampler_free(s);
    gsl_rng_free(r);
    target_free(corr);
    sampler_event_free(ev);
    target_free(gauss);
    target_free(ban);
}

static void
test_table(void)
{
    const sampler_type *const *ty = sampler_types();
    size_t nk = 0;
    for (; ty[nk] != NULL; nk++) {
        const sampler_type *k = ty[nk];
        CHECK(k->name != NULL && k->help != NULL && (k->step != NULL || k->step_all != NULL),
              "kind %zu incomplete", nk);
        CHECK(sampler_type_find(k->name) == k, "%s: found by name", k->name);
        for (size_t j = 0; j < nk; j++)
            CHECK(strcmp(ty[j]->name, k->name) != 0, "%s twice", k->name);
        if (k->adapts) {
            CHECK(k->scale != NULL && k->scale->store == SAMPLER_TUN_REAL &&
                      sampler_type_accepts(k, k->scale),
                  "%s adapts a tunable it has", k->name);
            CHECK(k->accept_target > 0 && k->accept_target < 1, "%s accept target", k->name);
        }
        CHECK(sampler_type_accepts(k, sampler_tunable_find("adapt")) == k->adapts,
              "%s: adapt accepted iff the kind adapts", k->name);
        CHECK(k->ws_init == NULL || k->ws_size > 0, "%s: ws_init needs a workspace", k->name);
        for (size_t i = 0; k->tunables != NULL && k->tunables[i] != NULL; i++)
            CHECK(!k->tunables[i]->in_ws || k->tunables[i]->offset < k->ws_size,
                  "%s: %s outside the workspace", k->name, k->tunables[i]->name);
        /* What the front end reads instead of asking which kind it holds. */
        bool reads_step = sampler_type_accepts(k, sampler_tunable_find("step"));
        CHECK((k->step_default == NULL && k->step_limit == NULL) || reads_step,
              "%s: a step default or bound without a step", k->name);
        CHECK(k->step_limit == NULL || (k->step_limit_name != NULL && k->step_limit_effect != NULL),
              "%s: a stability bound says what it is", k->name);
        CHECK(k->fits_needs == NULL || k->fits != NULL, "%s: fits_needs without fits", k->name);
        CHECK(k->describe != NULL, "%s: describe", k->name);
        for (size_t i = 0; k->tunables != NULL && k->tunables[i] != NULL; i++) {
            const sampler_tunable *w = k->tunables[i]->only_with;
            CHECK(w == NULL || (w->store == SAMPLER_TUN_BOOL && sampler_type_accepts(k, w)),
                  "%s: %s is read only with a switch it has", k->name, k->tunables[i]->name);
        }
    }
    /* The bounds of docs/math.md §9 on a Gaussian of covariance eigenvalue 0.01:
     * leapfrog eps < 2 sqrt(0.01), ULA h < 4 x 0.01; none under a schedule. */
    sampler_opts so;
    sampler_opts_default(&so);
    CHECK_REL(sampler_type_hmc.step_limit(&so, 0.01), 0.2, 1e-15);
    CHECK_REL(sampler_type_nuts.step_limit(&so, 0.01), 0.2, 1e-15);
    CHECK_REL(sampler_type_sgld.step_limit(&so, 0.01), 0.04, 1e-15);
    so.schedule = true;
    CHECK(isnan(sampler_type_sgld.step_limit(&so, 0.01)), "sgld schedule: no fixed step");
    CHECK(nk == 15 && strcmp(ty[0]->name, "exact") == 0 && strcmp(ty[6]->name, "gibbs") == 0 &&
              strcmp(ty[14]->name, "h2mc") == 0,
          "%zu kinds", nk);
    static const char *const order[] = {
        "sigma",    "step",      "leapfrog",   "max_depth", "adapt",   "warmup",
        "target_accept", "delta", "metric",     "minibatch", "schedule", "a",
        "b0",       "gamma",     "t0",         "reg",       "width",   "max_steps",
        "random_dir", "jump",    "thin",       "L",         "temps",   "tmax",
        "T_scale",  NULL};
    sampler_opts o;
    sampler_opts_default(&o);
    CHECK(sampler_opts_check(&o, &err_sink) == BL_OK, "defaults in range: %s", err_sink.msg);
    const sampler_tunable *tu;
    size_t i = 0;
    for (; (tu = sampler_tunable_at(i)) != NULL; i++) {
        CHECK(order[i] != NULL && strcmp(tu->name, order[i]) == 0, "tunable %zu: %s", i, tu->name);
        CHECK(sampler_tunable_find(tu->name) == tu, "%s found by name", tu->name);
        CHECK(i == 0 || tu->in_ws || sampler_tunable_at(i - 1)->offset < tu->offset,
              "%s: in opts order", tu->name);
        CHECK(!tu->in_ws || i >= 12, "%s: the workspace tunables after the options'", tu->name);
        bool used = false;
        for (size_t k = 0; ty[k] != NULL; k++)
            used |= sampler_type_accepts(ty[k], tu);
        CHECK(used, "%s: some kind reads it", tu->name);
    }
    CHECK(i == 25, "%zu tunables", i);
    /* The defaults of sampler.h, now read from the tunables. */
    CHECK(o.sigma == 1 && o.step == 0.1 && o.leapfrog == 20 && o.max_depth == 10 && !o.adapt &&
              o.warmup == 500 && o.target_accept == 0 && o.delta == 0.8 &&
              o.metric == SAMPLER_METRIC_DIAG && o.minibatch == 0 && !o.schedule &&
              o.sched_a == 0.01 && o.sched_b0 == 1 && o.sched_gamma == 0.55,
          "defaults");
    CHECK(sampler_alloc(NULL, NULL, NULL, NULL, &err_sink) == NULL &&
              strstr(err_sink.msg, "exact, rwm, mala, hmc, nuts, sgld, gibbs") != NULL,
          "no kind: %s", err_sink.msg);
}

/* A kind outside the table whose chains move together (as SVGD particles or
 * a tempering ladder would): each chain goes the fraction `pull` of the way
 * to the chains' mean, plus N(0, 1) noise from its own generator. Not a
 * sampler of anything: it checks the dispatcher's joint step (every chain
 * counted, run and step give the same draws) and a tunable kept in the
 * kind's workspace. It reads the chain as a kind does (sampler_impl.h). */
typedef struct pull_ws {
    double pull;
} pull_ws;

static const sampler_tunable pull_tun = {
    .name = "pull",
    .min = 0.0,
    .max = 1.0,
    .min_open = true,
    .def = 0.5,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(pull_ws, pull),
    .help = "fraction of the way to the chains' mean",
};

static const sampler_tunable *const pull_tunables[] = {&pull_tun, NULL};

static int
pull_step_all(sampler *const *ch, size_t K, gsl_rng *const *rng, sampler_event *const *ev)
{
    size_t d = ch[0]->d;
    double mean[2] = {0, 0};
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < d; i++)
            mean[i] += ch[k]->w[i] / (double)K;
    for (size_t k = 0; k < K; k++) {
        double f = ((const pull_ws *)ch[k]->ws)->pull;
        for (size_t i = 0; i < d; i++)
            ch[k]->w[i] += f * (mean[i] - ch[k]->w[i]) + gsl_ran_gaussian(rng[k], 1.0);
        memcpy(ev[k]->proposal, ch[k]->w, d * sizeof *ch[k]->w);
        ev[k]->accepted = true;
    }
    return BL_OK;
}

static const sampler_type pull_type = {
    .name = "pull",
    .help = "test: chains pulled together",
    .step_all = pull_step_all,
    .events = SAMPLER_EV_PROPOSAL,
    .tunables = pull_tunables,
    .ws_size = sizeof(pull_ws),
};

static void
test_population_kind(void)
{
    bl_err err;
    const double mu[2] = {0, 0};
    target *t = target_gauss_alloc(2, mu, P2, &err);
    size_t K = 3, n = 50;
    gsl_rng *r1 = rng_new(9), *r2 = rng_new(9);
    sampler_ens *e1 = sampler_ens_alloc(&pull_type, t, NULL, K, NULL, 1.0, r1, &err);
    sampler_ens *e2 = sampler_ens_alloc(&pull_type, t, NULL, K, NULL, 1.0, r2, &err);
    CHECK(e1 != NULL && e2 != NULL, "population kind: %s", err.msg);
    double v = 0;
    CHECK(sampler_get(sampler_ens_chain(e1, 2), "pull", &v, &err) == BL_OK && v == 0.5,
          "workspace tunable default %g", v);
    CHECK(sampler_ens_set(e1, "pull", 2, &err) == BL_EINVAL && strstr(err.msg, "pull=2") != NULL,
          "workspace tunable range: %s", err.msg);
    CHECK(sampler_ens_set(e1, "pull", 0.25, &err) == BL_OK &&
              sampler_ens_set(e2, "pull", 0.25, &err) == BL_OK &&
              sampler_get(sampler_ens_chain(e1, 1), "pull", &v, &err) == BL_OK && v == 0.25,
          "workspace tunable set on every chain");
    CHECK(sampler_tunable_find("pull") == NULL, "a kind outside the table adds no key");
    double *a = malloc(K * n * 2 * sizeof *a), *b = malloc(K * n * 2 * sizeof *b);
    CHECK(sampler_ens_run(e1, n, a, NULL, NULL, &err) == BL_OK, "run: %s", err.msg);
    sampler_event *evs[3];
    for (size_t k = 0; k < K; k++)
        evs[k] = sampler_event_alloc(2, 4, &err);
    for (size_t i = 0; i < n; i++) {
        CHECK(sampler_ens_step(e2, evs, &err) == BL_OK, "step");
        for (size_t k = 0; k < K; k++)
            memcpy(b + (k * n + i) * 2, sampler_state(sampler_ens_chain(e2, k)), 2 * sizeof *b);
    }
    CHECK(memcmp(a, b, K * n * 2 * sizeof *a) == 0, "joint run = joint steps");
    for (size_t k = 0; k < K; k++) {
        sampler_stats st;
        sampler_get_stats(sampler_ens_chain(e1, k), &st);
        CHECK(st.iterations == n && st.accepted == n, "chain %zu counted %zu", k, st.iterations);
        CHECK(evs[k]->accepted && memcmp(evs[k]->proposal, evs[k]->from, 2 * sizeof(double)) != 0,
              "event %zu filled", k);
        sampler_event_free(evs[k]);
    }
    sampler *lone = sampler_alloc(&pull_type, t, NULL, NULL, &err);
    CHECK(lone != NULL && sampler_step(lone, r1, NULL, &err) == BL_OK, "a population of one");
    sampler_free(lone);
    sampler_ens_free(e1);
    sampler_ens_free(e2);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    free(a);
    free(b);
    target_free(t);
}

int
main(void)
{
    TEST_INIT();
    test_math_h();
    test_rwm_acceptance();
    test_gaussian_targets();
    test_gibbs();
    test_sbc();
    test_sgld_bias();
    test_sgld_minibatch();
    test_logistic();
    test_events();
    test_divergence_agrees();
    test_bad_input();
    test_ensemble();
    test_table();
    test_stan_warmup();
    test_population_kind();
    return TEST_REPORT();
}
