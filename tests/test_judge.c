/* tests/test_judge.c - core/judge against docs/math.md §11 F1 (one input: best-of-k
 * table, 1/k^2 law, regimes, softmax limits, the 2-D Gauss-Hermite value, the
 * high-T expansion) and F2 (deterministic equivalent), and the Monte Carlo
 * simulation against the exact per-input integrals over the same inputs.
 * Tolerances: F1 quadrature values 1e-9 relative (the table has 10 digits; our
 * QAGP runs at 1e-11); closed forms 1e-12; the softmax quadrature 1e-8
 * (its GH reference is 120x120 nodes); Monte Carlo 4 standard errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "core/theory/judge.h"
#include "harness.h"

#define CHECK_REF(got, want) CHECK_ABS(got, want, 1e-9 * fabs(want) + 1e-15)

static void
test_f1(void)
{
    const double m = 0.3, s = 0.5, muT = 0.0;
    const size_t ks[9] = {1, 2, 3, 5, 10, 20, 50, 100, 1000};
    const double teacher[9] = {0.34,           0.126754569,    0.06792962555,
                               0.0295122747,   0.008824890709, 0.002462931477,
                               4.253455447e-4, 1.093322759e-4, 1.122371374e-6};
    const double law[9] = {1.1257342897,   0.2814335724,   0.1250815878,
                           0.04502937159,  0.0112573429,   0.002814335724,
                           4.502937159e-4, 1.125734290e-4, 1.125734290e-6};
    const double rows[3][9] = {{0.34, 0.2247795558, 0.1942635395, 0.1747307735, 0.1643741745,
                                0.1612175965, 0.1602100748, 0.1600539895, 0.1600005542},
                               {0.34, 0.1564008825, 0.1215094221, 0.115508259, 0.1324447208,
                                0.1485793273, 0.1575549037, 0.1593409897, 0.1599931081},
                               {0.34, 0.4240830713, 0.4877940213, 0.5545727798, 0.6083888499,
                                0.6302545815, 0.6382440231, 0.639545135, 0.6399953173}};
    const double muRs[3] = {0.4, -0.4, 0.8};
    bl_err err;
    CHECK_REF(judge_delta1(m, s, muT), 0.34);
    for (int i = 0; i < 9; i++) {
        double v;
        CHECK(judge_bestofk(ks[i], m, s, muT, muT, &v, &err) == BL_OK, "%s", err.msg);
        CHECK_REF(v, teacher[i]);
        CHECK_REL(judge_teacher_law((double)ks[i], m, s, muT), law[i], 1e-9);
        for (int r = 0; r < 3; r++) {
            CHECK(judge_bestofk(ks[i], m, s, muT, muRs[r], &v, &err) == BL_OK, "%s", err.msg);
            CHECK_REF(v, rows[r][i]);
        }
    }
    /* argmin over k = 1..60 for muR = -0.4 */
    size_t kb = 0;
    double vb = HUGE_VAL;
    for (size_t k = 1; k <= 60; k++) {
        double v;
        judge_bestofk(k, m, s, muT, -0.4, &v, &err);
        if (v < vb)
            vb = v, kb = k;
    }
    CHECK(kb == 4, "argmin k = %zu, want 4", kb);
    CHECK_REF(vb, 0.1146339056);
    /* regimes and limits */
    double crit;
    CHECK(judge_regime_of(m, s, muT, 0.0, NULL) == JUDGE_TEACHER, "teacher");
    CHECK(judge_regime_of(m, s, muT, 0.4, &crit) == JUDGE_DECREASING, "0.4 decreasing");
    CHECK_ABS(crit, 0.4 * 0.1 - 0.125, 1e-15);
    CHECK(judge_regime_of(m, s, muT, -0.4, NULL) == JUDGE_USHAPE, "-0.4 U-shape");
    CHECK(judge_regime_of(m, s, muT, 0.8, NULL) == JUDGE_INCREASING, "0.8 increasing");
    CHECK_ABS(judge_misspec_limit(muT, -0.4), 0.16, 1e-15);
    CHECK_REL(judge_tilted_limit(m, s, muT, 0.4, 0.5), 0.2475, 1e-12);
    CHECK_REL(judge_tilted_limit(m, s, muT, 0.4, 0.1), 0.1886111111, 1e-9);
    CHECK_REL(judge_highT(10, m, s, muT, 0.4, 20), 0.335725, 1e-12);
    /* exact softmax quadrature: the 2-D GH value, k = 1, the high-T and large-k limits */
    double v;
    CHECK(judge_softmax(2, 0.5, m, s, muT, 0.4, &v, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(v, 0.2747916055, 1e-8);
    CHECK(judge_softmax(1, 0.5, m, s, muT, 0.4, &v, &err) == BL_OK, "k=1");
    CHECK_REL(v, 0.34, 1e-15);
    CHECK(judge_softmax(10, 20, m, s, muT, 0.4, &v, &err) == BL_OK, "%s", err.msg);
    /* O(T^-2) remainder: (2 s^2/T)^2 = 6.25e-4 sets the scale */
    CHECK_ABS(v, 0.335725, 1e-3);
    CHECK(judge_softmax(2000, 0.5, m, s, muT, 0.4, &v, &err) == BL_OK, "%s", err.msg);
    CHECK_ABS(v, 0.2475, 2e-3); /* k -> inf limit; approach O(1/k) */
    CHECK(judge_bestofk(0, m, s, muT, 0, &v, &err) == BL_EINVAL && strstr(err.msg, "k=0"), "%s",
          err.msg);
    CHECK(judge_bestofk(3, m, -1, muT, 0, &v, &err) == BL_EINVAL && strstr(err.msg, "s=-1"), "%s",
          err.msg);
    CHECK(judge_softmax(3, 0, m, s, muT, 0, &v, &err) == BL_EINVAL, "T=0 rejected");
}

static void
test_f2(void)
{
    judge_de de;
    bl_err err;
    CHECK(judge_det_equiv(200, 400, 1, 0.5, 1, &de, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(de.R, 0.2126952648, 1e-9);
    CHECK_REL(de.shrink, 0.8246094703, 1e-9);
    CHECK_REL(de.var_factor, 0.1753905297, 1e-9);
    CHECK(judge_det_equiv(200, 0, 1, 0.5, 1, &de, &err) == BL_EINVAL, "n=0 rejected");
}

/* Teacher reward: slope of log error vs log k over k in [32, 256] near -2.
 * The exact per-input average gives the finite-k slope (the 1/k^2 law is
 * approached from below: F1 shows -1.97 over [20, 1000]); the Monte Carlo slope
 * must agree with it within 4 conservative SE, and both within 0.1 of -2. */
static void
test_sim_teacher(void)
{
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    judge_sim_opts o = {.d = 20,
                        .n = 40,
                        .n_test = 40,
                        .k_max = 256,
                        .S = 1,
                        .sigma = 0.5,
                        .gamma = 1,
                        .T = 0,
                        .c = 0};
    judge_sim *s = judge_sim_alloc(&o, rng, NULL, &err);
    CHECK(s != NULL, "%s", err.msg);
    if (!s)
        return;
    CHECK(judge_sim_curve(s, NULL, NULL, &err) == BL_ESTATE, "no trials yet");
    CHECK(judge_sim_step(s, 400, rng, NULL, &err) == BL_OK, "%s", err.msg);
    double slope, sse;
    CHECK(judge_sim_slope(s, 32, 256, &slope, &sse, &err) == BL_OK, "%s", err.msg);
    /* exact slope by the same OLS on the exact averaged curve */
    size_t ks[24], nk = 0;
    for (int i = 0; i < 24; i++) {
        size_t k = (size_t)floor(exp(log(32.0) + (log(256.0) - log(32.0)) * i / 23.0) + 0.5);
        if (nk == 0 || k > ks[nk - 1])
            ks[nk++] = k;
    }
    double xm = 0, ym = 0, lx[24], ly[24];
    for (size_t i = 0; i < nk; i++) {
        double v;
        judge_sim_exact(s, ks[i], &v, &err);
        lx[i] = log((double)ks[i]), ly[i] = log(v);
        xm += lx[i] / nk, ym += ly[i] / nk;
    }
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < nk; i++)
        sxx += (lx[i] - xm) * (lx[i] - xm), sxy += (lx[i] - xm) * (ly[i] - ym);
    double exact_slope = sxy / sxx;
    CHECK_ABS(slope, exact_slope, 4 * sse);
    CHECK_ABS(exact_slope, -2.0, 0.1);
    CHECK_ABS(slope, -2.0, 0.1 + 4 * sse);
    CHECK(sse < 0.05, "slope SE %g small enough to be informative", sse);
    /* error curve within MC error of the exact per-input average */
    double err_k[256], se_k[256];
    judge_sim_curve(s, err_k, se_k, &err);
    const size_t kc[6] = {1, 2, 5, 20, 100, 256};
    for (int i = 0; i < 6; i++) {
        double v;
        CHECK(judge_sim_exact(s, kc[i], &v, &err) == BL_OK, "%s", err.msg);
        CHECK_ABS(err_k[kc[i] - 1], v, 4 * se_k[kc[i] - 1]);
    }
    CHECK(judge_sim_kopt(s) > 100, "teacher: no finite optimum (k_opt = %zu)", judge_sim_kopt(s));
    judge_sim_free(s);
    gsl_rng_free(rng);
}

/* Misspecified reward (shift family c = 1 at T = 0): finite optimal k > 1 with
 * a fixed seed, confirmed by the exact averaged curve. */
static void
test_sim_misspec(void)
{
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    judge_sim_opts o = {.d = 20,
                        .n = 10,
                        .n_test = 40,
                        .k_max = 64,
                        .S = 1,
                        .sigma = 0.1,
                        .gamma = 1,
                        .T = 0,
                        .c = 1,
                        .reward = JUDGE_REWARD_SHIFT};
    judge_sim *s = judge_sim_alloc(&o, rng, NULL, &err);
    CHECK(s != NULL, "%s", err.msg);
    if (!s)
        return;
    judge_sim_step(s, 2000, rng, NULL, &err);
    size_t ko = judge_sim_kopt(s);
    double e[64], se[64];
    judge_sim_curve(s, e, se, &err);
    CHECK(ko > 1 && ko < 64, "misspecified: k_opt = %zu, want 1 < k_opt < 64", ko);
    CHECK(e[ko - 1] + 4 * se[ko - 1] < e[0] && e[ko - 1] + 4 * se[ko - 1] < e[63],
          "U-shape beyond MC error: e(1)=%g e(kopt)=%g e(64)=%g", e[0], e[ko - 1], e[63]);
    size_t kx = 1;
    double vx = HUGE_VAL;
    for (size_t k = 1; k <= 64; k++) {
        double v;
        CHECK(judge_sim_exact(s, k, &v, &err) == BL_OK, "k=%zu: %s", k, err.msg);
        if (v < vx)
            vx = v, kx = k;
        CHECK_ABS(e[k - 1], v, 4 * se[k - 1] + 1e-15);
    }
    CHECK(kx > 1 && kx < 64, "exact averaged curve has its optimum at k = %zu", kx);
    /* error vs temperature at k = 8 (common random numbers): T = 0 is best-of-k */
    const double T[4] = {0, 0.05, 1, 1e6};
    double out[4], ose[4];
    CHECK(judge_sim_error_vs_T(s, 8, T, 4, 2000, rng, out, ose, NULL, &err) == BL_OK, "%s",
          err.msg);
    double ex;
    judge_sim_exact(s, 8, &ex, &err);
    CHECK_ABS(out[0], ex, 4 * ose[0]);
    double d1 = 0;
    for (size_t i = 0; i < o.n_test; i++) {
        const judge_input *q = &judge_sim_inputs(s)[i];
        d1 += judge_delta1(q->m, q->s, q->muT) / (double)o.n_test;
    }
    CHECK_ABS(out[3], d1, 4 * ose[3] + 1e-4); /* T -> inf: uniform selection */
    judge_sim_free(s);
    gsl_rng_free(rng);
}

/* Finite T: Monte Carlo against the exact softmax quadrature over the same inputs. */
static void
test_sim_softmax(void)
{
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9);
    judge_sim_opts o = {.d = 10,
                        .n = 20,
                        .n_test = 10,
                        .k_max = 16,
                        .S = 1,
                        .sigma = 0.5,
                        .gamma = 1,
                        .T = 0.3,
                        .c = 0.5};
    judge_sim *s = judge_sim_alloc(&o, rng, NULL, &err);
    CHECK(s != NULL, "%s", err.msg);
    if (!s)
        return;
    judge_sim_step(s, 3000, rng, NULL, &err);
    double e[16], se[16];
    judge_sim_curve(s, e, se, &err);
    const size_t kc[3] = {2, 4, 16};
    for (int i = 0; i < 3; i++) {
        double v;
        CHECK(judge_sim_exact(s, kc[i], &v, &err) == BL_OK, "%s", err.msg);
        CHECK_ABS(e[kc[i] - 1], v, 4 * se[kc[i] - 1]);
    }
    /* shift family: muR = muT - c (m - muT) */
    const judge_input *q = judge_sim_inputs(s);
    CHECK_ABS(q[3].muR, q[3].muT - 0.5 * (q[3].m - q[3].muT), 1e-15);
    volatile bl_cancel flag = 1;
    CHECK(judge_sim_step(s, 5, rng, (const bl_cancel *)&flag, &err) == BL_ECANCEL, "cancel");
    judge_sim_free(s);
    judge_sim_free(NULL);
    judge_sim_opts bad = o;
    bad.k_max = 0;
    CHECK(judge_sim_alloc(&bad, rng, NULL, &err) == NULL && strstr(err.msg, "k_max=0"), "%s",
          err.msg);
    gsl_rng_free(rng);
}

int
main(void)
{
    TEST_INIT();
    test_f1();
    test_f2();
    test_sim_teacher();
    test_sim_misspec();
    test_sim_softmax();
    return TEST_REPORT();
}
