/* tests/test_features.c - feature maps (docs/math.md §2.5, core/features.h).
 *
 * Closed forms: monomials at exactly representable t, Legendre P_2, P_3 and
 * GSL's gsl_sf_legendre_Pl (an independent implementation), Fourier and RBF
 * by their formulas. Random ReLU features: the Monte Carlo kernel estimate
 * against the arc-cosine limit on augmented inputs, with a 5 sigma tolerance
 * from the sample sd of the per-unit products. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_legendre.h>

#include "core/blr/features.h"
#include "harness.h"

static features *
make(size_t in_dim, feat_opts o, const double *lo, const double *hi)
{
    bl_err err = {0};
    features *f = features_alloc(in_dim, &o, lo, hi, &err);
    CHECK(f != NULL, "features_alloc(%s): %s", features_kind_name(o.kind), err.msg);
    return f;
}

static void
test_dims(void)
{
    struct {
        size_t in_dim;
        feat_opts o;
        size_t dim;
        const char *desc;
    } cases[] = {
        {3, {.kind = FEAT_IDENTITY, .bias = true}, 4, "identity+bias"},
        {3, {.kind = FEAT_IDENTITY}, 3, "identity"},
        {1, {.kind = FEAT_POLY, .degree = 3}, 4, "poly(3)"},
        {2, {.kind = FEAT_POLY, .degree = 3}, 7, "poly(3)"},
        {1, {.kind = FEAT_POLY, .degree = 0}, 1, "poly(0)"},
        {1, {.kind = FEAT_POLY, .degree = 8}, 9, "poly(8, legendre)"},
        {2, {.kind = FEAT_RBF, .m = 5, .lengthscale = 0.2}, 11, "rbf(5, l=0.2)"},
        {1, {.kind = FEAT_FOURIER, .m = 3}, 7, "fourier(3)"},
        {2, {.kind = FEAT_FOURIER, .m = 3}, 13, "fourier(3)"},
        {1, {.kind = FEAT_FOURIER, .m = 0}, 1, "fourier(0)"},
        {2, {.kind = FEAT_RELU, .m = 10, .seed = 7}, 10, "relu(10, seed=7)"},
        {2, {.kind = FEAT_RELU, .m = 10, .seed = 7, .bias = true}, 11, "relu(10, seed=7)+bias"},
        {4095, {.kind = FEAT_IDENTITY, .bias = true}, 4096, "identity+bias"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        features *f = make(cases[i].in_dim, cases[i].o, NULL, NULL);
        if (f == NULL)
            continue;
        CHECK(features_dim(f) == cases[i].dim, "case %zu: dim %zu, want %zu", i, features_dim(f),
              cases[i].dim);
        CHECK(features_in_dim(f) == cases[i].in_dim, "case %zu: in_dim", i);
        CHECK(strcmp(features_describe(f), cases[i].desc) == 0,
              "case %zu: describe '%s', want '%s'", i, features_describe(f), cases[i].desc);
        features_free(f);
    }
    features_free(NULL);
}

static void
test_poly(void)
{
    /* [lo, hi] = [-2, 4]: centre 1, half-width 3; x = 2.5 gives t = 0.5 exactly,
     * so every monomial is exact in binary. */
    double lo = -2, hi = 4, x = 2.5, phi[8];
    features *f = make(1, (feat_opts){.kind = FEAT_POLY, .degree = 6}, &lo, &hi);
    if (f != NULL) {
        features_map(f, &x, phi);
        double p = 1;
        for (int k = 0; k <= 6; k++, p *= 0.5)
            CHECK(phi[k] == p, "t^%d = %.17g, want %.17g", k, phi[k], p);
        CHECK(features_options(f)->bias, "poly forces bias on");
        features_free(f);
    }
    /* Additive layout for two inputs: [1, t0, t0^2, t1, t1^2]. */
    double lo2[2] = {-1, 0}, hi2[2] = {1, 4}, x2[2] = {0.25, 3}, q[5];
    f = make(2, (feat_opts){.kind = FEAT_POLY, .degree = 2}, lo2, hi2);
    if (f != NULL) {
        features_map(f, x2, q);
        CHECK(q[0] == 1 && q[1] == 0.25 && q[2] == 0.0625 && q[3] == 0.5 && q[4] == 0.25,
              "additive poly [%g %g %g %g %g]", q[0], q[1], q[2], q[3], q[4]);
        features_free(f);
    }
    /* Legendre for p = 8: P_1 = t, P_2 = (3t^2 - 1)/2, P_3 = (5t^3 - 3t)/2, and
     * every P_k against GSL's implementation; 1e-14 is rounding of the recurrence. */
    f = make(1, (feat_opts){.kind = FEAT_POLY, .degree = 8}, NULL, NULL);
    if (f != NULL) {
        for (double t = -1; t <= 1.0001; t += 0.125) {
            double ph[9];
            features_map(f, &t, ph);
            CHECK(ph[0] == 1, "P_0");
            CHECK_ABS(ph[1], t, 1e-15);
            CHECK_ABS(ph[2], (3 * t * t - 1) / 2, 1e-14);
            CHECK_ABS(ph[3], (5 * t * t * t - 3 * t) / 2, 1e-14);
            for (int k = 0; k <= 8; k++)
                CHECK_ABS(ph[k], gsl_sf_legendre_Pl(k, t), 1e-14);
        }
        features_free(f);
    }
    /* Degree 30 stays bounded on [-1, 1] (|P_k| <= 1), unlike t^30 conditioning. */
    f = make(1, (feat_opts){.kind = FEAT_POLY, .degree = 30}, NULL, NULL);
    if (f != NULL) {
        double ph[31], t = 1;
        features_map(f, &t, ph);
        CHECK_ABS(ph[30], 1.0, 1e-13);
        features_free(f);
    }
}

static void
test_fourier_rbf(void)
{
    double lo[2] = {-1, 10}, hi[2] = {1, 20}, x[2] = {0.3, 17}, phi[13];
    features *f = make(2, (feat_opts){.kind = FEAT_FOURIER, .m = 3}, lo, hi);
    if (f != NULL) {
        features_map(f, x, phi);
        CHECK(phi[0] == 1, "fourier constant");
        double t[2] = {0.3, (17.0 - 15.0) / 5.0};
        for (int i = 0; i < 2; i++) {
            for (int k = 1; k <= 3; k++) {
                /* closed form, 1e-14: rounding of the rescale and of pi k t */
                CHECK_ABS(phi[1 + 6 * i + 2 * (k - 1)], cos(M_PI * k * t[i]), 1e-14);
                CHECK_ABS(phi[1 + 6 * i + 2 * (k - 1) + 1], sin(M_PI * k * t[i]), 1e-14);
            }
        }
        features_free(f);
    }

    f = make(1, (feat_opts){.kind = FEAT_RBF, .m = 5}, NULL, NULL);
    if (f != NULL) {
        double l = features_options(f)->lengthscale, y = 0.3, ph[6];
        CHECK(l == 2.0 / 5.0, "rbf default lengthscale %g, want 2/M = 0.4", l);
        features_map(f, &y, ph);
        CHECK(ph[0] == 1, "rbf constant");
        for (int j = 0; j < 5; j++) {
            double c = -1 + 0.5 * j;
            CHECK_ABS(ph[1 + j], exp(-(y - c) * (y - c) / (2 * l * l)), 1e-15);
        }
        features_free(f);
    }
    f = make(1, (feat_opts){.kind = FEAT_RBF, .m = 1, .lengthscale = 0.5}, NULL, NULL);
    if (f != NULL) {
        double y = 0.5, ph[2];
        features_map(f, &y, ph);
        CHECK_ABS(ph[1], exp(-0.5), 1e-15); /* one centre at 0: exp(-0.25 / 0.5) */
        features_free(f);
    }
    /* identity copies x, after the bias, without rescaling */
    double xi[3] = {5, -7, 0.1}, pi4[4];
    f = make(3, (feat_opts){.kind = FEAT_IDENTITY, .bias = true}, NULL, NULL);
    if (f != NULL) {
        features_map(f, xi, pi4);
        CHECK(pi4[0] == 1 && pi4[1] == 5 && pi4[2] == -7 && pi4[3] == 0.1, "identity values");
        features_free(f);
    }
}

static void
test_relu(void)
{
    feat_opts o = {.kind = FEAT_RELU, .m = 50, .seed = 42, .bias = true};
    features *a = make(2, o, NULL, NULL), *b = make(2, o, NULL, NULL);
    o.seed = 43;
    features *c = make(2, o, NULL, NULL);
    if (a != NULL && b != NULL && c != NULL) {
        double x[2] = {0.4, -1.3}, pa[51], pb[51], pc[51];
        features_map(a, x, pa);
        features_map(b, x, pb);
        features_map(c, x, pc);
        CHECK(memcmp(pa, pb, sizeof pa) == 0, "same seed, same relu features");
        CHECK(memcmp(pa, pc, sizeof pa) != 0, "different seed, different relu features");
        size_t pos = 0;
        for (int j = 1; j < 51; j++) {
            CHECK(pa[j] >= 0, "relu feature %d negative", j);
            pos += pa[j] > 0;
        }
        CHECK(pa[0] == 1, "relu bias first");
        CHECK(pos > 10 && pos < 40, "%zu of 50 units active (about half expected)", pos);
    }
    features_free(a);
    features_free(b);
    features_free(c);

    /* Kernel limit. phi_j(x) phi_j(x') = (2/M) r_j(x) r_j(x') with r = max(0, w . [x, 1]);
     * u_j = 2 r_j(x) r_j(x') has mean k(a, b) = (|a||b|/pi)(sin th + (pi - th) cos th)
     * for a = [x, 1], b = [x', 1] (docs/math.md §2.5, the degree-1 arc-cosine kernel).
     * FEAT_MAX_DIM caps one map at 4096 units, so 20000 units are 5 maps of 4000
     * with seeds 1..5; the estimate is the mean of the 20000 u_j, the tolerance
     * 5 sample sds of that mean. */
    const double x[2] = {0.3, -0.5}, xp[2] = {0.8, 0.4};
    const size_t M = 4000, maps = 5, N = M * maps;
    double *pa = malloc(M * sizeof *pa), *pb = malloc(M * sizeof *pb);
    double sum = 0, sum2 = 0;
    CHECK(pa != NULL && pb != NULL, "malloc");
    for (size_t s = 1; s <= maps && pa != NULL && pb != NULL; s++) {
        features *f = make(2, (feat_opts){.kind = FEAT_RELU, .m = M, .seed = s}, NULL, NULL);
        if (f == NULL)
            continue;
        features_map(f, x, pa);
        features_map(f, xp, pb);
        for (size_t j = 0; j < M; j++) {
            double u = (double)M * pa[j] * pb[j]; /* = 2 r_j(x) r_j(x') */
            sum += u;
            sum2 += u * u;
        }
        features_free(f);
    }
    free(pa);
    free(pb);
    double mean = sum / (double)N;
    double sd = sqrt((sum2 - (double)N * mean * mean) / (double)(N - 1));
    double na = sqrt(x[0] * x[0] + x[1] * x[1] + 1), nb = sqrt(xp[0] * xp[0] + xp[1] * xp[1] + 1);
    double dot = x[0] * xp[0] + x[1] * xp[1] + 1;
    double th = atan2(sqrt(fmax(na * na * nb * nb - dot * dot, 0)), dot);
    double k = na * nb / M_PI * (sin(th) + (M_PI - th) * cos(th));
    CHECK_ABS(mean, k, 5 * sd / sqrt((double)N));
}

static void
expect_bad(size_t in_dim, feat_opts o, const double *lo, const double *hi, const char *msg)
{
    bl_err err = {0};
    features *f = features_alloc(in_dim, &o, lo, hi, &err);
    CHECK(f == NULL, "accepted, want '%s'", msg);
    features_free(f);
    CHECK(err.code == BL_EINVAL, "code %d for '%s'", err.code, msg);
    CHECK(strstr(err.msg, msg) != NULL, "message '%s' lacks '%s'", err.msg, msg);
}

static void
test_errors(void)
{
    double lo = 1, hi = 0, lo2[2] = {0, 0}, hi2[2] = {1, NAN};
    expect_bad(1, (feat_opts){.kind = FEAT_POLY, .degree = 40}, NULL, NULL,
               "degree=40: must be in 0..30");
    expect_bad(1, (feat_opts){.kind = FEAT_RBF, .m = 0}, NULL, NULL,
               "m=0: rbf centres must be in 1..4096");
    expect_bad(1, (feat_opts){.kind = FEAT_RBF, .m = 3, .lengthscale = -1}, NULL, NULL,
               "lengthscale=-1: must be a finite number > 0");
    expect_bad(1, (feat_opts){.kind = FEAT_RBF, .m = 3, .lengthscale = NAN}, NULL, NULL,
               "lengthscale=nan");
    expect_bad(1, (feat_opts){.kind = FEAT_RBF, .m = 3, .lengthscale = INFINITY}, NULL, NULL,
               "lengthscale=inf");
    expect_bad(1, (feat_opts){.kind = FEAT_RELU, .m = 0}, NULL, NULL,
               "m=0: relu units must be in 1..4096");
    expect_bad(1, (feat_opts){.kind = FEAT_RELU, .m = 4096, .bias = true}, NULL, NULL,
               "4097 features, at most 4096");
    expect_bad(1, (feat_opts){.kind = FEAT_FOURIER, .m = 5000}, NULL, NULL,
               "m=5000: fourier frequencies must be in 0..4096");
    expect_bad(200, (feat_opts){.kind = FEAT_POLY, .degree = 30}, NULL, NULL,
               "poly features of 200 inputs: 6001 features, at most 4096");
    expect_bad(0, (feat_opts){.kind = FEAT_IDENTITY}, NULL, NULL,
               "input dimension 0: must be in 1..4096");
    expect_bad(1, (feat_opts){.kind = (feat_kind)9}, NULL, NULL,
               "(choose identity, poly, rbf, fourier, relu)");
    expect_bad(1, (feat_opts){.kind = FEAT_POLY, .degree = 2}, &lo, &hi,
               "lo[0]=1, hi[0]=0: need finite lo < hi");
    expect_bad(2, (feat_opts){.kind = FEAT_POLY, .degree = 2}, lo2, hi2, "lo[1]=0, hi[1]=nan");
    expect_bad(1, (feat_opts){.kind = FEAT_POLY, .degree = 2}, &lo, NULL, "give both lo and hi");
    CHECK(features_alloc(1, NULL, NULL, NULL, NULL) == NULL, "NULL options, NULL err");

    CHECK(features_kind_parse("rbf") == FEAT_RBF, "parse rbf");
    CHECK(features_kind_parse("relu") == FEAT_RELU, "parse relu");
    CHECK(features_kind_parse("Poly") == -1, "parse is case-sensitive");
    CHECK(features_kind_parse(NULL) == -1, "parse NULL");
    CHECK(strcmp(features_kind_name(FEAT_FOURIER), "fourier") == 0, "kind name");
    CHECK(strcmp(features_kind_name((feat_kind)77), "?") == 0, "bad kind name");
}

int
main(void)
{
    TEST_INIT();
    test_dims();
    test_poly();
    test_fourier_rbf();
    test_relu();
    test_errors();
    return TEST_REPORT();
}
