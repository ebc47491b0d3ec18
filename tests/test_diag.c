/* tests/test_diag.c - core/diag against docs/math.md §11 H (AR(1) chains from the
 * docs/math.md §1.7 reference generator, Gaussian KL and W2) and against direct
 * computations (FFT vs direct autocovariance, Welford vs two-pass moments), and
 * the rank-normalized diagnostics against tests/diag_reference.py (an
 * independent numpy/scipy implementation; its values in data/diag_reference.txt).
 * Tolerances: docs/math.md §11 values are given to 10 significant digits: 1e-9
 * relative; FFT vs direct sums: 1e-10 relative to c_0 (rounding only). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- rank-normalized diagnostics: tests/diag_reference.py ---- */

#define RM     4
#define RN_MAX 1001

/* The script's datasets: M chains of AR(1) v = rho v + z from the §1.7
 * generator seeded seed0 + k, then the dataset's twist. */
static size_t
rank_dataset(const char *name, double *x)
{
    static const struct {
        const char *name;
        uint32_t seed0;
        size_t n;
        double rho;
    } sets[] = {
        {"iid", 101, 1000, 0.0},   {"ar1", 1, 1000, 0.9},    {"anti", 201, 1001, -0.5},
        {"stuck", 301, 1000, 0.0}, {"ties", 401, 1000, 0.0}, {"short", 501, 9, 0.5},
        {"ar95", 601, 1000, 0.95}, {"slow", 701, 1000, 0.995},
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        if (strcmp(sets[s].name, name) != 0)
            continue;
        size_t n = sets[s].n;
        for (size_t k = 0; k < RM; k++) {
            ref_rng r = {sets[s].seed0 + (uint32_t)k, 0.0, 0};
            double v = 0.0;
            for (size_t i = 0; i < n; i++) {
                v = sets[s].rho * v + ref_normal(&r);
                x[k * n + i] = v;
                if (strcmp(name, "stuck") == 0 && k == 3)
                    x[k * n + i] += 3.0;
                if (strcmp(name, "ties") == 0)
                    x[k * n + i] = floor(2.0 * v);
            }
        }
        return n;
    }
    return 0;
}

static double
summary_field(const diag_summary *s, double ebfmi0, const char *f)
{
    const struct {
        const char *name;
        double v;
    } fields[] = {
        {"rhat", s->rhat},          {"rhat_bulk", s->rhat_bulk}, {"rhat_tail", s->rhat_tail},
        {"ess_bulk", s->ess_bulk},  {"ess_tail", s->ess_tail},   {"ess_q05", s->ess_q[0]},
        {"ess_q50", s->ess_q[1]},   {"ess_q95", s->ess_q[2]},    {"mcse_q05", s->mcse_q[0]},
        {"mcse_q50", s->mcse_q[1]}, {"mcse_q95", s->mcse_q[2]},  {"ess_mean", s->ess_mean},
        {"ess_sd", s->ess_sd},      {"mcse_mean", s->mcse_mean}, {"mcse_sd", s->mcse_sd},
        {"ebfmi0", ebfmi0},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, f) == 0)
            return fields[i].v;
    return NAN;
}

/* Every value the independent script computed, to 1e-9 relative (our
 * direct sums and FFT against the script's direct sums differ in rounding
 * only). ar95 and slow mix slowly: their ESS needs more lags than the
 * direct sums take, so they cover the FFT fallback (at the lag budget, and
 * from the lag-15 correlation). */
static void
test_rank_reference(void)
{
    static double x[RM * RN_MAX];
    FILE *f = fopen(test_path("data/diag_reference.txt"), "r");
    CHECK(f != NULL, "cannot open %s", test_path("data/diag_reference.txt"));
    if (f == NULL)
        return;
    char line[256], name[32] = "", cur[32] = "", field[32];
    double want;
    diag_summary s = {0};
    double e0 = NAN;
    int lines = 0;
    bl_err err;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || sscanf(line, "%31s %31s %lf", name, field, &want) != 3 ||
            strcmp(name, "beta_ppf") == 0)
            continue;
        if (strcmp(name, cur) != 0) {
            size_t n = rank_dataset(name, x);
            CHECK(n > 0, "unknown dataset %s", name);
            CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s: %s", name, err.msg);
            CHECK(diag_ebfmi(x, n, 1, &e0, &err) == BL_OK, "%s: %s", name, err.msg);
            snprintf(cur, sizeof cur, "%s", name);
        }
        double got = summary_field(&s, e0, field);
        CHECK(fabs(got - want) <= 1e-9 * fabs(want) + 1e-14, "%s %s = %.15g, script %.15g", name,
              field, got, want);
        lines++;
    }
    fclose(f);
    CHECK(lines == 8 * 16, "read %d reference values, want 128", lines);
}

/* The Beta quantiles of the quantiles' MCSE against scipy's over the
 * script's grid of ESS: 1e-13 relative where the Newton iteration runs (GSL's
 * own inverse returned NaN at e = 868 and 7936, p = 0.05, and mcse_q
 * became half the range of the draws) and 1e-8 sd at large a + b (GSL's
 * cdf), 1e-3/(a + b) where the
 * Cornish-Fisher value is used. */
static void
test_beta_quantile(void)
{
    FILE *f = fopen(test_path("data/diag_reference.txt"), "r");
    CHECK(f != NULL, "cannot open %s", test_path("data/diag_reference.txt"));
    if (f == NULL)
        return;
    char line[256];
    double e, p, P, want;
    int lines = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "beta_ppf %lf %lf %lf %lf", &e, &p, &P, &want) != 4)
            continue;
        double a = e * p + 1.0, b = e * (1.0 - p) + 1.0;
        double got = diag_beta_quantile(P, a, b);
        /* GSL's cdf loses digits in its log-Beta for large a + b: 1e-8 sd
         * is still 10^-5 of a draw's index at S = 10^6 */
        double sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1.0)));
        double tol = a + b > 1e6 ? 1e-3 / (a + b) : 1e-13 * want + 1e-8 * sd;
        CHECK(fabs(got - want) <= tol, "Beta(%g, %g) quantile at %g = %.17g, scipy %.17g", a, b,
              P, got, want);
        lines++;
    }
    fclose(f);
    CHECK(lines == 18 * 3 * 2, "read %d Beta quantiles, want 108", lines);
}

/* W2 of commuting (diagonal) covariances is |m0 - m1|^2 + sum (sqrt a -
 * sqrt b)^2: at d = 80 the products go through dgemm, at 8 the direct sums. */
static void
test_w2_diagonal(void)
{
    enum { D = 80 };
    static double S0[D * D], S1[D * D], m0[D], m1[D];
    for (size_t d = 8; d <= D; d += D - 8) {
        double want = 0.0;
        memset(S0, 0, sizeof S0), memset(S1, 0, sizeof S1);
        for (size_t i = 0; i < d; i++) {
            double a = 0.5 + 0.1 * (double)i, b = 2.0 / (1.0 + (double)i);
            S0[i * d + i] = a, S1[i * d + i] = b;
            m0[i] = 0.01 * (double)i, m1[i] = -0.02 * (double)i;
            want += (sqrt(a) - sqrt(b)) * (sqrt(a) - sqrt(b)) + (m0[i] - m1[i]) * (m0[i] - m1[i]);
        }
        double w2;
        bl_err err;
        CHECK(diag_w2_gauss(d, m0, S0, m1, S1, &w2, &err) == BL_OK, "%s", err.msg);
        CHECK(fabs(w2 - want) <= 1e-10 * want, "d=%zu: W2^2 %.15g, want %.15g", d, w2, want);
    }
}

/* Chains that have not moved, each at its own point: R-hat was B/W with W
 * the rounding of the chain means (~1e14) and the ESS 4; now undefined. */
static void
test_unmoved_chains(void)
{
    static double x[RM * 100];
    const double at[RM] = {0.1, 0.7, 1.3, 2.9};
    for (size_t k = 0; k < RM; k++)
        for (size_t i = 0; i < 100; i++)
            x[k * 100 + i] = at[k];
    diag_summary s;
    bl_err err;
    CHECK(diag_summarize(x, RM, 100, 1, 100, &s, &err) == BL_ENUM, "unmoved chains summarized");
    x[150] = 0.75; /* one chain moves once: defined again */
    CHECK(diag_summarize(x, RM, 100, 1, 100, &s, &err) == BL_OK, "%s", err.msg);
    CHECK(s.rhat > 1.01, "one move: R-hat %g", s.rhat);
}

/* Known properties within Monte Carlo error: iid ESS about S (the ESS
 * estimate of S = 4000 iid draws has a spread of a few per cent), AR(1)
 * S (1 - rho)/(1 + rho), antithetic above S, a stuck chain R-hat far above
 * 1.01, and the iid R-hat within 1.01. */
static void
test_rank_properties(void)
{
    static double x[RM * RN_MAX];
    bl_err err;
    diag_summary s;
    size_t n = rank_dataset("iid", x);
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s", err.msg);
    CHECK(s.rhat < 1.01 && s.rhat >= 0.99, "iid rhat %g", s.rhat);
    CHECK(fabs(s.ess_bulk / 4000.0 - 1.0) < 0.15, "iid ess_bulk %g, want ~4000", s.ess_bulk);
    CHECK(fabs(s.ess_tail / 4000.0 - 1.0) < 0.25, "iid ess_tail %g, want ~4000", s.ess_tail);
    CHECK(fabs(s.mcse_mean / (1.0 / sqrt(4000.0)) - 1.0) < 0.1, "iid mcse_mean %g", s.mcse_mean);
    /* sd of a normal sd estimate: sd/sqrt(2 (S - 1)). */
    CHECK(fabs(s.mcse_sd / (s.sd / sqrt(2.0 * 3999.0)) - 1.0) < 0.15, "iid mcse_sd %g", s.mcse_sd);
    /* Median of a normal: sd sqrt(pi/2)/sqrt(S). */
    CHECK(fabs(s.mcse_q[1] / (sqrt(M_PI / 2.0) / sqrt(4000.0)) - 1.0) < 0.25, "iid mcse_q50 %g",
          s.mcse_q[1]);
    n = rank_dataset("ar1", x);
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s", err.msg);
    double want = 4000.0 * 0.1 / 1.9;
    CHECK(fabs(s.ess_bulk / want - 1.0) < 0.3, "ar1 ess_bulk %g, want ~%g", s.ess_bulk, want);
    n = rank_dataset("anti", x);
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s", err.msg);
    want = 4004.0 * 1.5 / 0.5;
    CHECK(s.ess_bulk > 4004.0, "antithetic ess_bulk %g, want > S", s.ess_bulk);
    CHECK(fabs(s.ess_bulk / want - 1.0) < 0.2, "antithetic ess_bulk %g, want ~%g", s.ess_bulk,
          want);
    CHECK(s.ess_bulk <= 4004.0 * log10(4004.0), "ESS capped at S log10 S");
    n = rank_dataset("stuck", x);
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s", err.msg);
    CHECK(s.rhat > 1.2, "stuck chain: rhat %g, want >> 1.01", s.rhat);
    CHECK(s.ess_bulk < 100, "stuck chain: ess_bulk %g", s.ess_bulk);
    /* The folded R-hat sees a chain with the right mean and the wrong scale. */
    n = rank_dataset("iid", x);
    for (size_t i = 0; i < n; i++)
        x[i] *= 3.0;
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s", err.msg);
    CHECK(s.rhat_tail > 1.05 && s.rhat_tail > s.rhat_bulk, "scale: tail %g, bulk %g", s.rhat_tail,
          s.rhat_bulk);
    /* Constant draws: undefined; an indicator of constant value: NaN. */
    for (size_t i = 0; i < RM * n; i++)
        x[i] = i % 2 == 0 ? 2.0 : 1.0;
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_OK, "%s", err.msg);
    CHECK(isnan(s.ess_q[2]) && isnan(s.ess_tail) && isfinite(s.ess_q[0]),
          "q95 indicator all ones: ess_q95 %g, ess_tail %g", s.ess_q[2], s.ess_tail);
    for (size_t i = 0; i < RM * n; i++)
        x[i] = 2.0;
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_ENUM, "constant draws");
    CHECK(diag_summarize(x, RM, 3, 1, 3, &s, &err) == BL_EINVAL, "n=3");
    x[5] = NAN;
    CHECK(diag_summarize(x, RM, n, 1, n, &s, &err) == BL_EINVAL, "NaN");
    double r[5], in[5] = {3, 1, 3, 2, 3};
    CHECK(diag_ranks(in, 5, r, &err) == BL_OK, "%s", err.msg);
    CHECK(r[0] == 4 && r[1] == 1 && r[2] == 4 && r[3] == 2 && r[4] == 4, "tied ranks averaged");
    double E[3] = {1, 1, 1}, b;
    CHECK(diag_ebfmi(E, 3, 1, &b, &err) == BL_ENUM, "constant energy");
}

/* diag_ranks (a radix sort of the values' bit patterns) against counting:
 * rank_i = #{x_j < x_i} + (#{x_j == x_i} + 1) / 2, on values that stress
 * the key map: both zeros (equal, so tied), negatives, subnormals, huge
 * magnitudes, and many exact repeats. */
static void
test_ranks_counting(void)
{
    enum { NR = 600 };
    static const double pool[] = {0.0,     -0.0,    1.0,     -1.0,    4.9e-324, -4.9e-324,
                                  1e300,   -1e300,  0.5,     -0.5,    3.0,      -2.75,
                                  1e-300,  -1e-300, 2.0,     7.0e10,  -7.0e10,  1.0 + 2.2e-16};
    const size_t np = sizeof pool / sizeof pool[0];
    double x[NR], r[NR];
    uint32_t h = 12345;
    for (size_t i = 0; i < NR; i++) {
        h = h * 1664525u + 1013904223u;
        x[i] = pool[(h >> 8) % np];
    }
    bl_err err;
    CHECK(diag_ranks(x, NR, r, &err) == BL_OK, "%s", err.msg);
    size_t bad = 0;
    for (size_t i = 0; i < NR; i++) {
        double lt = 0, eq = 0;
        for (size_t j = 0; j < NR; j++)
            lt += x[j] < x[i], eq += x[j] == x[i];
        if (r[i] != lt + (eq + 1.0) / 2.0)
            bad++;
    }
    CHECK(bad == 0, "ranks by sorting and by counting differ at %zu of %d values", bad, NR);
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    test_reference_chains();
    test_autocov_fft();
    test_gauss_distances();
    test_welford();
    test_bad_input();
    test_rank_reference();
    test_beta_quantile();
    test_unmoved_chains();
    test_w2_diagonal();
    test_rank_properties();
    test_ranks_counting();
    return TEST_REPORT();
}
