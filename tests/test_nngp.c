/* tests/test_nngp.c - core/nngp against docs/math.md §11 C1, C2, E1 (ReLU L=3
 * spectrum), Gauss-Hermite against the closed forms, and Monte Carlo over
 * wide random networks built here (docs/math.md §4.5).
 * Tolerances: C1/C2/E1 values are printed to 10 significant digits: 1e-9
 * relative (closed forms, the fixed-point iteration stops at 1e-15).
 * tanh by GH at order 300 against the GH 300x300 reference: 1e-8 absolute
 * (docs/math.md §11 suggestion; docs/math.md §4.3 reports 1e-9 at that order). erf by GH at
 * order 80 against its closed form: 1e-8 (docs/math.md §4.3: 60 nodes give 1e-10).
 * Monte Carlo: 5 standard errors of the per-entry mean over nets plus a
 * finite-width bias allowance 4 sqrt(K_ii K_jj)/width (O(1/width), docs/math.md §4.5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/base/linalg.h"
#include "core/kernel/nngp.h"
#include "harness.h"

/* docs/math.md §11 C1 inputs. */
static const double X3[6] = {1, 0, 0.6, 0.8, -0.5, 1.5};

/* Gram of the C1 inputs; compare the upper triangle (11,12,13,22,23,33). */
static void
check_c1_slope(nngp_act act, double slope, size_t L, bool quad, size_t order, const double *want_k,
               const double *want_t, double tol, bool absolute)
{
    nngp_opts o = nngp_opts_default();
    o.act = act;
    o.slope = slope;
    o.depth = L;
    o.sw2 = 2;
    o.sb2 = 0.1;
    o.quadrature = quad;
    o.gh_order = order;
    bl_err err;
    nngp *m = nngp_alloc(2, &o, &err);
    CHECK(m != NULL, "%s", err.msg);
    if (m == NULL)
        return;
    double K[9], T[9];
    CHECK(nngp_gram(m, X3, 3, K, T, NULL, &err) == BL_OK, "%s", err.msg);
    static const int idx[6] = {0, 1, 2, 4, 5, 8};
    for (int i = 0; i < 6; i++) {
        if (absolute) {
            CHECK_ABS(K[idx[i]], want_k[i], tol);
            CHECK_ABS(T[idx[i]], want_t[i], tol);
        } else {
            CHECK_REL(K[idx[i]], want_k[i], tol);
            CHECK_REL(T[idx[i]], want_t[i], tol);
        }
    }
    nngp_free(m);
}

static void
check_c1(nngp_act act, size_t L, bool quad, size_t order, const double *want_k,
         const double *want_t, double tol, bool absolute)
{
    check_c1_slope(act, 0.1, L, quad, order, want_k, want_t, tol, absolute);
}

static void
test_c1(void)
{
    static const double relu_k[3][6] = {{1.2, 0.8737884362, 0.4534399168, 1.2, 1.2355067798, 2.7},
                                        {1.3, 1.0255571289, 0.917955494, 1.3, 1.4319446141, 2.8},
                                        {1.4, 1.1638133583, 1.2380287866, 1.4, 1.6042098576, 2.9}};
    static const double relu_t[3][6] = {{2.3, 1.3774819776, 0.2838433189, 2.3, 1.9368967532, 5.3},
                                        {3.6, 2.0719239152, 1.0828852216, 3.6, 2.8668109672, 8.1},
                                        {5.0, 2.7992739562, 1.9524914612, 5.0, 3.8122504174, 11.0}};
    for (size_t L = 1; L <= 3; L++)
        check_c1(NNGP_RELU, L, false, 0, relu_k[L - 1], relu_t[L - 1], 1e-9, false);
    static const double erf1_k[6] = {1.0651674791, 0.6765439949, -0.1299282359,
                                     1.0651674791, 0.6928976228, 1.3667581006};
    static const double erf1_t[6] = {2.2705806141, 1.2960178561, -0.3623889092,
                                     2.2705806141, 1.332724568,  3.3276833407};
    static const double erf3_k[6] = {1.0486960774, 0.6671437478, 0.1024892491,
                                     1.0486960774, 0.6169261715, 1.0805497625};
    static const double erf3_t[6] = {5.0350849351, 2.3371998403, -0.1106135209,
                                     5.0350849351, 2.1055867866, 5.9063920891};
    check_c1(NNGP_ERF, 1, false, 0, erf1_k, erf1_t, 1e-9, false);
    check_c1(NNGP_ERF, 3, false, 0, erf3_k, erf3_t, 1e-9, false);
    /* erf by GH (smooth) against the closed form: measured convergence at
     * depth 3 (max error NNGP / NTK) is 8e-9 / 3e-6 at order 80, 4e-12 /
     * 3e-9 at 120, 2e-14 / 1e-11 at 150 (geometric), so order 150 and the
     * brief's 1e-8 leaves a margin of 1000. */
    check_c1(NNGP_ERF, 3, true, 150, erf3_k, erf3_t, 1e-8, true);
    static const double tanh_k[6] = {0.8339074711, 0.5702308442, 0.1199222245,
                                     0.8339074711, 0.5371525141, 0.8754423997};
    static const double tanh_t[6] = {3.4755293768, 1.8777040658, -0.0312465829,
                                     3.4755293768, 1.7385258173, 4.0816654102};
    check_c1(NNGP_TANH, 3, true, 300, tanh_k, tanh_t, 1e-8, true);
    /* leaky_relu with slope 0 is relu: the ABReLU closed form with a = 0. */
    check_c1_slope(NNGP_LEAKY_RELU, 0.0, 3, false, 0, relu_k[2], relu_t[2], 1e-9, false);
}

/* Closed forms of every kinked activation against GH at a high order: the
 * kink limits GH to ~1e-3 (E) and ~1e-2 (Edot, a step function; abs has
 * a jump of 2) at 400 nodes (docs/math.md §4.3 reports 3e-4 E, 2.4e-3 Edot at 200
 * for relu); smooth ones (erf) agree to 1e-10. */
static void
test_closed_vs_gh(void)
{
    bl_err err;
    const nngp_act acts[4] = {NNGP_RELU, NNGP_LEAKY_RELU, NNGP_ABS, NNGP_ERF};
    const double tolE[4] = {2e-3, 2e-3, 2e-3, 1e-10}, tolD[4] = {2e-2, 2e-2, 3e-2, 1e-10};
    for (int a = 0; a < 4; a++) {
        nngp_opts o = nngp_opts_default();
        o.act = acts[a];
        o.slope = 0.2;
        nngp *c = nngp_alloc(2, &o, &err);
        o.quadrature = true;
        o.gh_order = 400;
        nngp *q = nngp_alloc(2, &o, &err);
        CHECK(c && q, "%s", err.msg);
        if (c && q) {
            const double cov[3][3] = {{1.1, 0.7, 1.1}, {1.3, -0.9, 2.0}, {0.5, 0.1, 2.6}};
            for (int t = 0; t < 3; t++) {
                double E1, D1, E2, D2;
                nngp_expect(c, cov[t][0], cov[t][1], cov[t][2], &E1, &D1);
                nngp_expect(q, cov[t][0], cov[t][1], cov[t][2], &E2, &D2);
                CHECK_ABS(E2, E1, tolE[a]);
                CHECK_ABS(D2, D1, tolD[a]);
            }
        }
        nngp_free(c);
        nngp_free(q);
    }
}

static void
test_gh_rule(void)
{
    bl_err err;
    const size_t orders[4] = {2, 80, 300, 1000};
    for (int t = 0; t < 4; t++) {
        size_t n = orders[t];
        double *z = malloc(n * sizeof *z), *w = malloc(n * sizeof *w);
        CHECK(nngp_gh_rule(n, z, w, &err) == BL_OK, "%s", err.msg);
        double s0 = 0, s2 = 0, s4 = 0;
        for (size_t i = 0; i < n; i++) {
            s0 += w[i];
            s2 += w[i] * z[i] * z[i];
            s4 += w[i] * z[i] * z[i] * z[i] * z[i];
        }
        /* Exact moments of N(0,1) (1, 1, 3) to rounding over n terms. */
        CHECK_ABS(s0, 1.0, 1e-13);
        CHECK_ABS(s2, 1.0, 1e-11);
        if (n > 2)
            CHECK_ABS(s4, 3.0, 1e-10);
        free(z);
        free(w);
    }
    double z1, w1;
    CHECK(nngp_gh_rule(0, &z1, &w1, &err) == BL_EINVAL, "order 0 accepted");
}

/* docs/math.md §11 C2 and the ReLU correlation after 50 layers. */
static void
test_c2(void)
{
    bl_err err;
    nngp_opts o = nngp_opts_default();
    o.act = NNGP_ERF;
    o.sw2 = 2;
    o.sb2 = 0.1;
    nngp *m = nngp_alloc(2, &o, &err);
    double q, chi, c;
    CHECK(nngp_fixed_point(m, 1.0, &q, &chi, &c, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(q, 1.04625536, 1e-8); /* printed to 9 digits */
    CHECK_REL(chi, 1.118316766, 1e-9);
    CHECK_REL(c, 0.6472293691, 1e-9);
    /* erf edge of chaos at sb2 = 0: chi1 = sw2 (4/pi)/sqrt(1 + 4 q*) = 1 at
     * q* = 0, sw2 = pi/4 (closed form, exact to rounding). */
    CHECK(nngp_set_variances(m, M_PI / 4, 0.0, &err) == BL_OK, "%s", err.msg);
    double E, Ed;
    nngp_expect(m, 0, 0, 0, &E, &Ed);
    CHECK_REL(M_PI / 4 * Ed, 1.0, 1e-15);
    nngp_free(m);

    /* ReLU sw2 = 2, sb2 = 0, orthogonal unit inputs: 50 layers. */
    o = nngp_opts_default();
    o.sw2 = 2;
    o.sb2 = 0;
    o.depth = 50;
    m = nngp_alloc(2, &o, &err);
    const double x[2] = {1, 0}, x2[2] = {0, 1};
    double K1[51], K2[51], K12[51];
    nngp_pair(m, x, x, K1, NULL, &err);
    nngp_pair(m, x2, x2, K2, NULL, &err);
    CHECK(nngp_pair(m, x, x2, K12, NULL, &err) == BL_OK, "%s", err.msg);
    /* Layer 51 = the output after 50 hidden layers. */
    CHECK_REL(K12[50] / sqrt(K1[50] * K2[50]), 0.9878619449, 1e-9);
    /* The diagonal stays constant at sw2 = 2, sb2 = 0 (docs/math.md §4.4). */
    CHECK_REL(K1[50], K1[0], 1e-13);
    /* chi1 = sw2/2 = 1 (edge of chaos), q* = q0. */
    CHECK(nngp_fixed_point(m, 0.7, &q, &chi, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(q, 0.7, 1e-15);
    CHECK_REL(chi, 1.0, 1e-15);
    nngp_free(m);
}

/* Arc-cosine random-feature limit (docs/math.md §11 C1): 2 E[relu(w.x) relu(w.x')]
 * = 0.6775475678 for w ~ N(0, I); closed form and a Monte Carlo mean. */
static void
test_random_features(void)
{
    bl_err err;
    nngp_opts o = nngp_opts_default();
    nngp *m = nngp_alloc(2, &o, &err);
    double E, Ed;
    nngp_expect(m, 1.0, 0.6, 1.0, &E, &Ed);
    CHECK_REL(2 * E, 0.6775475678, 1e-9);
    nngp_free(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const size_t N = 200000;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < N; i++) {
        double w0 = gsl_ran_gaussian_ziggurat(r, 1), w1 = gsl_ran_gaussian_ziggurat(r, 1);
        double a = w0, b = 0.6 * w0 + 0.8 * w1;
        double f = 2 * (a > 0 ? a : 0) * (b > 0 ? b : 0);
        s += f;
        s2 += f * f;
    }
    double mean = s / (double)N, se = sqrt((s2 / (double)N - mean * mean) / (double)N);
    CHECK_ABS(mean, 0.6775475678, 5 * se); /* 5 Monte Carlo standard errors */
    gsl_rng_free(r);
}

/* Wide random nets (docs/math.md §4.5): depth L = 2 (3 dense layers), width 2048,
 * 30 nets, on the C1 inputs; empirical NNGP (exact readout expectation) and
 * NTK by backprop against the recursion. */
static void
mc_nets(nngp_act act)
{
    const size_t W = 2048, S = 30, d = 2, L = 2, np = 3;
    const double sw2 = 2, sb2 = 0.1, sw = sqrt(sw2), sb = sqrt(sb2);
    bl_err err;
    nngp_opts o = nngp_opts_default();
    o.act = act;
    o.depth = L;
    nngp *m = nngp_alloc(d, &o, &err);
    double K[9], T[9];
    nngp_gram(m, X3, np, K, T, NULL, &err);
    nngp_free(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2026);
    double *W1 = malloc(W * d * sizeof *W1), *W2 = malloc(W * W * sizeof *W2);
    double *w3 = malloc(W * sizeof *w3), *b1 = malloc(W * sizeof *b1), *b2 = malloc(W * sizeof *b2);
    double *h1 = malloc(np * W * sizeof *h1), *h2 = malloc(np * W * sizeof *h2);
    double *a1 = malloc(np * W * sizeof *a1), *a2 = malloc(np * W * sizeof *a2);
    double *d1 = malloc(np * W * sizeof *d1), *d2 = malloc(np * W * sizeof *d2);
    double sK[9] = {0}, sK2[9] = {0}, sT[9] = {0}, sT2[9] = {0};
    for (size_t s = 0; s < S; s++) {
        for (size_t i = 0; i < W * d; i++)
            W1[i] = gsl_ran_gaussian_ziggurat(r, 1);
        for (size_t i = 0; i < W * W; i++)
            W2[i] = gsl_ran_gaussian_ziggurat(r, 1);
        for (size_t i = 0; i < W; i++) {
            w3[i] = gsl_ran_gaussian_ziggurat(r, 1);
            b1[i] = gsl_ran_gaussian_ziggurat(r, 1);
            b2[i] = gsl_ran_gaussian_ziggurat(r, 1);
        }
        for (size_t p = 0; p < np; p++) {
            const double *x = X3 + p * d;
            double *H1 = h1 + p * W, *A1 = a1 + p * W, *H2 = h2 + p * W, *A2 = a2 + p * W;
            for (size_t u = 0; u < W; u++) {
                H1[u] =
                    sw * (W1[u * d] * x[0] + W1[u * d + 1] * x[1]) / sqrt((double)d) + sb * b1[u];
                A1[u] = act == NNGP_RELU ? fmax(H1[u], 0) : erf(H1[u]);
            }
            for (size_t u = 0; u < W; u++) {
                double t = 0;
                const double *row = W2 + u * W;
                for (size_t v = 0; v < W; v++)
                    t += row[v] * A1[v];
                H2[u] = sw * t / sqrt((double)W) + sb * b2[u];
                A2[u] = act == NNGP_RELU ? fmax(H2[u], 0) : erf(H2[u]);
            }
            /* Backprop: delta_3 = 1, delta_2 = phi'(h2) sw/sqrt(W) w3,
             * delta_1 = phi'(h1) sw/sqrt(W) W2^T delta_2. */
            double *D1 = d1 + p * W, *D2 = d2 + p * W;
            for (size_t u = 0; u < W; u++) {
                double dp = act == NNGP_RELU ? (H2[u] > 0) : M_2_SQRTPI * exp(-H2[u] * H2[u]);
                D2[u] = dp * sw / sqrt((double)W) * w3[u];
                D1[u] = 0;
            }
            for (size_t u = 0; u < W; u++) {
                const double *row = W2 + u * W;
                for (size_t v = 0; v < W; v++)
                    D1[v] += row[v] * D2[u];
            }
            for (size_t v = 0; v < W; v++) {
                double dp = act == NNGP_RELU ? (H1[v] > 0) : M_2_SQRTPI * exp(-H1[v] * H1[v]);
                D1[v] *= dp * sw / sqrt((double)W);
            }
        }
        for (size_t p = 0; p < np; p++)
            for (size_t q = 0; q <= p; q++) {
                double aa = 0, a11 = 0, dd1 = 0, dd2 = 0;
                for (size_t u = 0; u < W; u++) {
                    aa += a2[p * W + u] * a2[q * W + u];
                    a11 += a1[p * W + u] * a1[q * W + u];
                    dd1 += d1[p * W + u] * d1[q * W + u];
                    dd2 += d2[p * W + u] * d2[q * W + u];
                }
                double k = sw2 * aa / (double)W + sb2;
                double x0 =
                    sw2 * (X3[p * d] * X3[q * d] + X3[p * d + 1] * X3[q * d + 1]) / (double)d + sb2;
                double t = x0 * dd1 + (sw2 * a11 / (double)W + sb2) * dd2 + k;
                sK[p * 3 + q] += k;
                sK2[p * 3 + q] += k * k;
                sT[p * 3 + q] += t;
                sT2[p * 3 + q] += t * t;
            }
    }
    for (size_t p = 0; p < np; p++)
        for (size_t q = 0; q <= p; q++) {
            size_t e = p * 3 + q;
            double mk = sK[e] / (double)S, mt = sT[e] / (double)S;
            double sek = sqrt(fmax(sK2[e] / (double)S - mk * mk, 0) / (double)(S - 1));
            double set = sqrt(fmax(sT2[e] / (double)S - mt * mt, 0) / (double)(S - 1));
            double bk = 4 * sqrt(K[p * 4] * K[q * 4]) / (double)W;
            double bt = 4 * sqrt(T[p * 4] * T[q * 4]) / (double)W;
            CHECK_ABS(mk, K[e], 5 * sek + bk);
            CHECK_ABS(mt, T[e], 5 * set + bt);
        }
    free(W1);
    free(W2);
    free(w3);
    free(b1);
    free(b2);
    free(h1);
    free(h2);
    free(a1);
    free(a2);
    free(d1);
    free(d2);
    gsl_rng_free(r);
}

/* Symmetry and PSD of Grams on 40 random inputs for several nets. */
static void
test_psd(void)
{
    bl_err err;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    const size_t n = 40, d = 5;
    double X[200], K[1600], T[1600], A[1600], lam[40];
    for (size_t i = 0; i < n * d; i++)
        X[i] = gsl_ran_gaussian(r, 1);
    const nngp_act acts[5] = {NNGP_RELU, NNGP_ERF, NNGP_TANH, NNGP_GELU, NNGP_ABS};
    const size_t depths[3] = {1, 5, 20};
    for (int a = 0; a < 5; a++)
        for (int t = 0; t < 3; t++) {
            nngp_opts o = nngp_opts_default();
            o.act = acts[a];
            o.depth = depths[t];
            o.gh_order = 30;
            nngp *m = nngp_alloc(d, &o, &err);
            CHECK(nngp_gram(m, X, n, K, T, NULL, &err) == BL_OK, "%s", err.msg);
            bool sym = true;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    sym &= K[i * n + j] == K[j * n + i] && T[i * n + j] == T[j * n + i];
            CHECK(sym, "%s depth %zu: Gram not exactly symmetric", nngp_act_name(acts[a]),
                  depths[t]);
            for (int w = 0; w < 2; w++) {
                memcpy(A, w ? T : K, sizeof A);
                linalg_eigh(A, n, lam, false, &err);
                /* PSD to rounding: min eig >= -1e-10 max eig (brief). */
                CHECK(lam[0] >= -1e-10 * lam[n - 1], "%s depth %zu %s: min eig %g, max %g",
                      nngp_act_name(acts[a]), depths[t], w ? "NTK" : "NNGP", lam[0], lam[n - 1]);
            }
            nngp_free(m);
        }
    gsl_rng_free(r);
}

/* Layers, pairs, cross blocks and diagonals agree with the Gram. */
static void
test_layers(void)
{
    bl_err err;
    nngp_opts o = nngp_opts_default();
    o.act = NNGP_ERF;
    o.depth = 4;
    nngp *m = nngp_alloc(2, &o, &err);
    double Kl[5][9], Tl[5][9];
    double *pk[5], *pt[5];
    for (int l = 0; l < 5; l++) {
        pk[l] = Kl[l];
        pt[l] = Tl[l];
    }
    CHECK(nngp_gram_layers(m, X3, 3, pk, pt, NULL, &err) == BL_OK, "%s", err.msg);
    double K[9], T[9], C[6], Kd[3], Td[3], P[5], PT[5];
    nngp_gram(m, X3, 3, K, T, NULL, &err);
    CHECK(memcmp(K, Kl[4], sizeof K) == 0 && memcmp(T, Tl[4], sizeof T) == 0,
          "output layer differs from nngp_gram");
    nngp_pair(m, X3 + 2, X3 + 4, P, PT, &err);
    for (int l = 0; l < 5; l++) {
        CHECK_REL(P[l], Kl[l][5], 1e-15);
        CHECK_REL(PT[l], Tl[l][5], 1e-15);
    }
    CHECK_REL(Kl[0][1], 2 * 0.6 / 2 + 0.1, 1e-15); /* K^1 = sw2 x.x'/d + sb2 */
    nngp_cross(m, X3, 3, X3 + 2, 2, 3, C, NULL, NULL, &err);
    CHECK_REL(C[0], Kl[2][1], 1e-15);
    CHECK_REL(C[5], Kl[2][8], 1e-14);
    nngp_diag(m, X3, 3, Kd, Td, &err);
    for (int i = 0; i < 3; i++) {
        CHECK_REL(Kd[i], K[i * 4], 1e-15);
        CHECK_REL(Td[i], T[i * 4], 1e-15);
    }
    CHECK(nngp_cross(m, X3, 3, X3, 3, 6, C, NULL, NULL, &err) == BL_EINVAL &&
              strstr(err.msg, "layer=6") != NULL,
          "bad layer: %s", err.msg);
    nngp_free(m);
}

/* Deep nets: homogeneity keeps relu finite; overflow is an error. */
static void
test_depth_stability(void)
{
    bl_err err;
    nngp_opts o = nngp_opts_default();
    o.depth = 1000;
    o.sb2 = 0;
    o.sw2 = 3;
    nngp *m3 = nngp_alloc(2, &o, &err);
    o.sw2 = 2;
    nngp *m2 = nngp_alloc(2, &o, &err);
    double K3[9], K2[9];
    CHECK(nngp_gram(m3, X3, 3, K3, NULL, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(nngp_gram(m2, X3, 3, K2, NULL, NULL, &err) == BL_OK, "%s", err.msg);
    /* sb2 = 0: K(sw2=3) = (3/2)^L K(sw2=2) * (3/2) (layer 1 scales too).
     * Rounding grows ~ L eps per chain: 1e-11 relative. */
    double f = pow(1.5, 1001);
    for (int i = 0; i < 9; i++)
        CHECK_REL(K3[i], f * K2[i], 1e-11);
    o.sw2 = 5;
    nngp *m5 = nngp_alloc(2, &o, &err);
    CHECK(nngp_gram(m5, X3, 3, K3, NULL, NULL, &err) == BL_ENUM && strstr(err.msg, "overflow"),
          "overflow not reported: %s", err.msg);
    nngp_free(m2);
    nngp_free(m3);
    nngp_free(m5);
}

static void
test_bad_input(void)
{
    bl_err err;
    nngp_opts o = nngp_opts_default();
    o.depth = 0;
    CHECK(nngp_alloc(2, &o, &err) == NULL && strcmp(err.msg, "depth=0: must be in 1..1000") == 0,
          "depth 0: %s", err.msg);
    o.depth = 1000000;
    CHECK(nngp_alloc(2, &o, &err) == NULL && strstr(err.msg, "depth=1000000") != NULL,
          "depth 1e6: %s", err.msg);
    o = nngp_opts_default();
    o.sw2 = -1;
    CHECK(nngp_alloc(2, &o, &err) == NULL && strstr(err.msg, "sw2=-1: must be > 0") != NULL,
          "sw2: %s", err.msg);
    o = nngp_opts_default();
    o.sb2 = -0.5;
    CHECK(nngp_alloc(2, &o, &err) == NULL && strstr(err.msg, "sb2=-0.5") != NULL, "sb2: %s",
          err.msg);
    o = nngp_opts_default();
    CHECK(nngp_alloc(0, &o, &err) == NULL && err.code == BL_EINVAL, "in_dim 0 accepted");
    nngp_act a = NNGP_RELU;
    CHECK(nngp_act_parse("foo", &a, &err) == BL_EINVAL &&
              strcmp(err.msg, "unknown activation 'foo' (choose relu, erf, tanh, gelu, silu, "
                              "sin, leaky_relu, abs)") == 0 &&
              a == NNGP_RELU,
          "act: %s", err.msg);
    CHECK(nngp_act_parse("swish", &a, &err) == BL_OK && a == NNGP_SILU, "swish");
    nngp *m = nngp_alloc(2, &o, &err);
    CHECK(nngp_set_variances(m, 0, 1, &err) == BL_EINVAL && nngp_get_opts(m)->sw2 == 2,
          "set_variances changed the object");
    double K[9];
    CHECK(nngp_gram(m, X3, 0, K, NULL, NULL, &err) == BL_EINVAL, "n=0 accepted");
    bl_cancel stop = 1;
    CHECK(nngp_gram(m, X3, 3, K, NULL, &stop, &err) == BL_ECANCEL, "cancel ignored");
    nngp_free(m);
    nngp_free(NULL);
}

/* docs/math.md §11 E1: eigenvalues of the ReLU L=3 NNGP Gram of C1 and RankMe. */
static void
test_spectra(void)
{
    bl_err err;
    nngp_opts o = nngp_opts_default();
    nngp *m = nngp_alloc(2, &o, &err);
    double lam[12];
    nngp_layer_spectrum sp[4];
    CHECK(nngp_layer_spectra(m, X3, 3, lam, sp, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(lam[9], 4.7567372586, 1e-9);
    CHECK_REL(lam[10], 0.7715567837, 1e-9);
    CHECK_REL(lam[11], 0.1717059577, 1e-9);
    CHECK_REL(sp[3].rankme, 2.443740002, 1e-9);
    CHECK_REL(sp[3].erank_vn, 1.694132194, 1e-9);
    CHECK(isnan(sp[3].alpha), "alpha-ReQ needs 5 points, got %g", sp[3].alpha);
    nngp_free(m);
}

/* The Gram engine's arccos/arcsin against glibc over [-1, 1]: a grid of
 * 2e6 points with their neighbours, plus the 1e5 doubles next to +-1 and
 * +-1/2 (where the branches meet). Bounds: the measured maxima (acos 1 ulp,
 * asin 2 ulp, docs/gp-blocks.md). */
static double
ulp_err(double got, double want)
{
    if (got == want)
        return 0;
    return fabs(got - want) / (nextafter(fabs(want), INFINITY) - fabs(want));
}

static void
test_fast_acos(void)
{
    double wa = 0, ws = 0;
    const long N = 2000000;
    for (long i = 0; i <= N; i++) {
        double x = -1 + 2.0 * (double)i / (double)N;
        for (int k = 0; k < 2; k++, x = nextafter(x, 2)) {
            wa = fmax(wa, ulp_err(nngp_acos(x), acos(x)));
            ws = fmax(ws, ulp_err(nngp_asin(x), asin(x)));
        }
    }
    const double ends[4] = {1, -1, 0.5, -0.5};
    for (int e = 0; e < 4; e++) {
        double lo = ends[e], hi = ends[e];
        for (int i = 0; i < 100000; i++) {
            lo = nextafter(lo, 0);
            hi = fabs(ends[e]) < 1 ? nextafter(hi, 2 * ends[e]) : lo;
            for (int k = 0; k < 2; k++) {
                double x = k ? hi : lo;
                wa = fmax(wa, ulp_err(nngp_acos(x), acos(x)));
                ws = fmax(ws, ulp_err(nngp_asin(x), asin(x)));
            }
        }
    }
    printf("fast arccos: max %.2f ulp from glibc on [-1, 1]; arcsin %.2f ulp\n", wa, ws);
    CHECK(wa <= 1.0, "acos: %.3g ulp", wa);
    CHECK(ws <= 2.0, "asin: %.3g ulp", ws);
    CHECK(nngp_acos(1) == 0 && nngp_acos(-1) == M_PI && nngp_acos(0) == M_PI_2 &&
              nngp_asin(1) == M_PI_2 && nngp_asin(-1) == -M_PI_2 && nngp_asin(0) == 0,
          "acos/asin at the ends");
}

/* The vectorized Gram against the scalar per-pair recursion with libm
 * (nngp_pair: today's arithmetic, angle() by asin/acos), per layer, K and
 * Theta: 1e-12 relative (the brief; the fast arccos is within 1 ulp per
 * layer and the recursion is well conditioned off the diagonal). Then the
 * same Gram for 1, 2, 3 and 7 threads and on the baseline ISA: bit for bit.
 * Then a cross-covariance (one new row, and a block) against the Gram of
 * the union: bit for bit. n = 203 leaves tails in every lane batch. */
static void
gram_engine_case(nngp_act act, size_t L, double sw2, double slope)
{
    enum { N = 203, D = 5 };
    bl_err err;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double *X = malloc(N * D * sizeof *X);
    for (size_t i = 0; i < N * D; i++)
        X[i] = gsl_ran_gaussian(r, 1.0);
    memcpy(X + 7 * D, X + 3 * D, D * sizeof *X); /* a duplicate: c = 1 exactly */
    for (size_t q = 0; q < D; q++)
        X[9 * D + q] = -X[4 * D + q]; /* an antipode: c near -1 */
    gsl_rng_free(r);
    nngp_opts o = nngp_opts_default();
    o.act = act;
    o.depth = L;
    o.sw2 = sw2;
    o.slope = slope;
    o.threads = 1;
    nngp *m = nngp_alloc(D, &o, &err);
    CHECK(m != NULL, "%s", err.msg);
    size_t L1 = L + 1;
    double **K = malloc(L1 * sizeof *K), **T = malloc(L1 * sizeof *T);
    for (size_t l = 0; l < L1; l++) {
        K[l] = malloc(N * N * sizeof **K);
        T[l] = malloc(N * N * sizeof **T);
    }
    CHECK(nngp_gram_layers(m, X, N, K, T, NULL, &err) == BL_OK, "%s", err.msg);
    double *pk = malloc(2 * L1 * sizeof *pk), *pt = pk + L1, worst = 0, wt = 0, wd = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j <= i; j++) {
            nngp_pair(m, X + i * D, X + j * D, pk, pt, &err);
            for (size_t l = 0; l < L1; l++) {
                double sc = sqrt(K[l][i * N + i] * K[l][j * N + j]); /* entry scale */
                double st = sqrt(T[l][i * N + i] * T[l][j * N + j]);
                double ek = fabs(K[l][i * N + j] - pk[l]) / fmax(fabs(pk[l]), 1e-3 * sc);
                double et = fabs(T[l][i * N + j] - pt[l]) / fmax(fabs(pt[l]), 1e-3 * st);
                if (i == j)
                    continue; /* both Grams take the diagonal from the chains */
                if (i == 7 && j == 3) {
                    worst = fmax(worst, ek);
                    wd = fmax(wd, et);
                } else {
                    worst = fmax(worst, ek);
                    wt = fmax(wt, et);
                }
            }
        }
    printf("nngp gram %s depth %zu: max relative difference from the scalar libm path: K %.2g, "
           "Theta %.2g, Theta at a duplicate pair %.2g\n",
           nngp_act_name(act), L, worst, wt, wd);
    CHECK(worst <= 1e-12 && wt <= 1e-12, "%s depth %zu: K %.3g Theta %.3g", nngp_act_name(act), L,
          worst, wt);
    /* At c = 1 to rounding, Theta's Edot = h - ab2 acos(c) moves by
     * sqrt(2 eps) for one ulp of c, in any implementation: 1e-6. */
    CHECK(wd <= 1e-6, "%s depth %zu: Theta at a duplicate %.3g", nngp_act_name(act), L, wd);

    double *K2 = malloc(N * N * sizeof *K2), *T2 = malloc(N * N * sizeof *T2);
    const size_t threads[] = {2, 3, 7, 1};
    for (size_t c = 0; c < 4; c++) {
        nngp_opts o2 = o;
        o2.threads = threads[c];
        o2.portable = c == 3;
        nngp *m2 = nngp_alloc(D, &o2, &err);
        CHECK(nngp_gram(m2, X, N, K2, T2, NULL, &err) == BL_OK, "%s", err.msg);
        CHECK(memcmp(K2, K[L], N * N * sizeof *K2) == 0 &&
                  memcmp(T2, T[L], N * N * sizeof *T2) == 0,
              "%s: %zu threads%s: not the same bits", nngp_act_name(act), threads[c],
              o2.portable ? " (baseline ISA)" : "");
        /* One new row (n1 = N-1 old points x 1 new) and a block the other
         * way round (5 new x N-5 old), as the GP asks for them. */
        double *row = malloc(N * sizeof *row), *rt = malloc(N * sizeof *rt);
        CHECK(nngp_cross(m2, X, N - 1, X + (N - 1) * D, 1, 0, row, rt, NULL, &err) == BL_OK,
              "%s", err.msg);
        size_t bad = 0;
        for (size_t i = 0; i + 1 < N; i++)
            bad += row[i] != K[L][(N - 1) * N + i] || rt[i] != T[L][(N - 1) * N + i];
        double *blk = malloc(5 * N * sizeof *blk);
        CHECK(nngp_cross(m2, X + (N - 5) * D, 5, X, N - 5, 0, blk, NULL, NULL, &err) == BL_OK,
              "%s", err.msg);
        for (size_t i = 0; i < 5; i++)
            for (size_t j = 0; j < N - 5; j++)
                bad += blk[i * (N - 5) + j] != K[L][(N - 5 + i) * N + j];
        CHECK(bad == 0, "%s: %zu cross entries differ from the Gram", nngp_act_name(act), bad);
        free(row);
        free(rt);
        free(blk);
        nngp_free(m2);
    }
    for (size_t l = 0; l < L1; l++) {
        free(K[l]);
        free(T[l]);
    }
    free(K);
    free(T);
    free(K2);
    free(T2);
    free(pk);
    free(X);
    nngp_free(m);
}

static void
test_gram_engine(void)
{
    gram_engine_case(NNGP_RELU, 10, 2.0, 0);
    gram_engine_case(NNGP_RELU, 3, 1.3, 0);
    gram_engine_case(NNGP_LEAKY_RELU, 6, 1.7, 0.2);
    gram_engine_case(NNGP_ABS, 4, 0.9, 0);
    gram_engine_case(NNGP_ERF, 10, 2.5, 0);
    /* GH: the per-entry scalar quadrature, threads too. */
    enum { N = 21, D = 2 };
    bl_err err;
    double X[N * D], K1[N * N], K2[N * N];
    for (size_t i = 0; i < N * D; i++)
        X[i] = sin(1.7 * (double)i);
    nngp_opts o = nngp_opts_default();
    o.act = NNGP_TANH;
    o.gh_order = 20;
    o.threads = 1;
    nngp *m = nngp_alloc(D, &o, &err);
    nngp_gram(m, X, N, K1, NULL, NULL, &err);
    nngp_free(m);
    o.threads = 3;
    m = nngp_alloc(D, &o, &err);
    nngp_gram(m, X, N, K2, NULL, NULL, &err);
    CHECK(memcmp(K1, K2, sizeof K1) == 0, "tanh: threads change the bits");
    double pk[4];
    nngp_pair(m, X + 5 * D, X + 2 * D, pk, NULL, &err);
    CHECK(pk[3] == K1[5 * N + 2], "tanh: gram entry is the pair's");
    nngp_free(m);
}

int
main(void)
{
    TEST_INIT();
    test_c1();
    test_closed_vs_gh();
    test_gh_rule();
    test_c2();
    test_random_features();
    mc_nets(NNGP_RELU);
    mc_nets(NNGP_ERF);
    test_psd();
    test_layers();
    test_depth_stability();
    test_bad_input();
    test_spectra();
    test_fast_acos();
    test_gram_engine();
    return TEST_REPORT();
}
