/* tests/test_world.c - synthetic worlds and table replay (datasets/world.h).
 *
 * Statistical checks use fixed seeds and tolerances of 4 standard errors:
 *  - noise mean: sd/sqrt(n) with sd the law's sd;
 *  - noise variance: the sample variance s2 has sd sqrt((mu4 - sigma^4)/n).
 *    Gaussian: mu4 = 3 sigma^4. Student-t, nu = 5, scale c: sigma^2 = c^2 nu/(nu-2)
 *    = 5/3 c^2 and mu4 = c^4 3 nu^2/((nu-2)(nu-4)) = 25 c^4.
 * The log density must integrate to 1 (gsl_integration_qagi) and agree with
 * GSL's own Gaussian and t densities. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "datasets/world.h"
#include "harness.h"

static world *
make(world_opts o, unsigned long seed)
{
    bl_err err = {0};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    world *w = world_alloc(&o, rng, &err);
    CHECK(w != NULL, "world_alloc: %s", err.msg);
    gsl_rng_free(rng);
    return w;
}

static void
test_reproducible(void)
{
    world_opts o = {.kind = WORLD_LINEAR, .d = 3, .noise = 0.1, .wscale = 1};
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
    bl_err err = {0};
    double x1[3], x2[3], y1, y2;
    int same = 1, differ = 0;

    gsl_rng_set(r1, 7);
    gsl_rng_set(r2, 7);
    world *a = world_alloc(&o, r1, &err), *b = world_alloc(&o, r2, &err);
    CHECK(a != NULL && b != NULL, "alloc: %s", err.msg);
    if (a == NULL || b == NULL)
        goto out;
    CHECK(memcmp(world_truth(a, NULL), world_truth(b, NULL), 3 * sizeof(double)) == 0,
          "same seed, same truth");
    for (int i = 0; i < 100; i++) {
        world_next(a, r1, x1, &y1, &err);
        world_next(b, r2, x2, &y2, &err);
        same &= memcmp(x1, x2, sizeof x1) == 0 && y1 == y2;
    }
    CHECK(same, "same seed, same points");
    world_free(b);
    gsl_rng_set(r2, 8);
    b = world_alloc(&o, r2, &err);
    for (int i = 0; i < 10 && b != NULL; i++) {
        world_next(a, r1, x1, &y1, &err);
        world_next(b, r2, x2, &y2, &err);
        differ |= memcmp(x1, x2, sizeof x1) != 0;
    }
    CHECK(differ, "different seeds, different points");
    CHECK(world_remaining(a) == SIZE_MAX, "synthetic worlds never run out");
    CHECK(world_knows_truth(a), "synthetic world knows its truth");
    CHECK(world_next(a, NULL, x1, &y1, &err) == BL_EINVAL, "NULL rng refused");
out:
    world_free(a);
    world_free(b);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

/* Mean and variance of the noise residual over n draws, checked against the
 * law's variance var and fourth central moment mu4 (4 standard errors). */
static void
check_noise(world *w, double var, double mu4, const char *what)
{
    const size_t n = 20000;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    bl_err err = {0};
    double x[4], y, s = 0, s2 = 0;

    int ok = 1;

    gsl_rng_set(rng, 11);
    for (size_t i = 0; i < n; i++) {
        ok &= world_next(w, rng, x, &y, &err) == BL_OK;
        double r = y - world_mean(w, x);
        s += r;
        s2 += r * r;
    }
    CHECK(ok, "%s: world_next failed: %s", what, err.msg);
    double mean = s / (double)n;
    double svar = (s2 - (double)n * mean * mean) / (double)(n - 1);
    CHECK(fabs(mean) <= 4 * sqrt(var / (double)n), "%s: residual mean %g, 4 se %g", what, mean,
          4 * sqrt(var / (double)n));
    double se = sqrt((mu4 - var * var) / (double)n);
    CHECK(fabs(svar - var) <= 4 * se, "%s: residual variance %g, want %g +- %g", what, svar, var,
          4 * se);
    gsl_rng_free(rng);
}

static void
test_noise(void)
{
    double c = 0.5;
    world *w = make((world_opts){.kind = WORLD_LINEAR, .d = 2, .noise = c, .wscale = 1}, 3);
    if (w != NULL)
        check_noise(w, c * c, 3 * pow(c, 4), "gaussian");
    world_free(w);
    w = make((world_opts){.kind = WORLD_FOURIER, .k = 3, .noise = c, .nu = 5, .wscale = 1}, 4);
    if (w != NULL) {
        CHECK(world_nu(w) == 5 && world_noise(w) == c, "noise accessors");
        check_noise(w, c * c * 5.0 / 3.0, 25 * pow(c, 4), "student-t nu=5");
    }
    world_free(w);
}

static void
test_inputs_sparse(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    bl_err err = {0};
    double x[5], y, lo[20], hi[20];
    int inside = 1;

    world *w = make(
        (world_opts){
            .kind = WORLD_LINEAR, .d = 5, .input = WORLD_INPUT_UNIFORM, .noise = 0.1, .wscale = 1},
        5);
    world *f = make((world_opts){.kind = WORLD_FOURIER, .k = 2, .noise = 0.1, .wscale = 1}, 5);
    if (w != NULL && f != NULL) {
        for (int i = 0; i < 5000; i++) {
            world_next(w, rng, x, &y, &err);
            for (int j = 0; j < 5; j++)
                inside &= x[j] >= -1 && x[j] <= 1;
            world_next(f, rng, x, &y, &err);
            inside &= x[0] >= -1 && x[0] <= 1;
        }
        CHECK(inside, "uniform inputs within [-1, 1]");
        world_input_range(w, lo, hi);
        CHECK(lo[0] == -1 && hi[4] == 1, "uniform input range");
        world_input_range(f, lo, hi);
        CHECK(lo[0] == -1 && hi[0] == 1, "fourier input range");
        CHECK(world_in_dim(f) == 1, "fourier in_dim");
    }
    world_free(w);
    world_free(f);

    for (unsigned long seed = 1; seed <= 20; seed++) {
        w = make((world_opts){.kind = WORLD_SPARSE, .d = 20, .s = 5, .noise = 0.1, .wscale = 1},
                 seed);
        if (w == NULL)
            continue;
        size_t len, nz = 0;
        const double *t = world_truth(w, &len);
        for (size_t i = 0; i < len; i++)
            nz += t[i] != 0;
        CHECK(len == 20 && nz == 5, "seed %lu: %zu non-zeros of %zu, want 5 of 20", seed, nz, len);
        if (seed == 1) {
            world_input_range(w, lo, hi);
            CHECK(lo[0] == -3 && hi[0] == 3, "gaussian input range");
            CHECK(strcmp(world_describe(w), "sparse d=20 s=5 noise=0.1 inputs=gaussian") == 0,
                  "describe '%s'", world_describe(w));
        }
        world_free(w);
    }
    gsl_rng_free(rng);
}

static void
test_fourier_truth(void)
{
    world *w = make((world_opts){.kind = WORLD_FOURIER, .k = 7, .noise = 0.2, .wscale = 1}, 9);
    feat_opts fo;
    bl_err err = {0};

    if (w == NULL)
        return;
    world_native_features(w, &fo);
    CHECK(fo.kind == FEAT_FOURIER && fo.m == 7, "native features fourier(7)");
    features *f = features_alloc(1, &fo, NULL, NULL, &err);
    CHECK(f != NULL, "features: %s", err.msg);
    size_t len;
    const double *t = world_truth(w, &len);
    CHECK(len == 15, "truth length %zu, want 1 + 2K = 15", len);
    if (f != NULL && len == features_dim(f)) {
        double phi[15];
        for (double x = -1; x <= 1.0001; x += 0.0625) {
            double dot = 0;
            features_map(f, &x, phi);
            for (size_t i = 0; i < len; i++)
                dot += phi[i] * t[i];
            CHECK_ABS(world_mean(w, &x), dot, 1e-12); /* same sums: rounding only */
        }
        /* Order [a0, a1, b1, a2, ...]: a0 + a1 cos(pi x) + b1 sin(pi x) + ... */
        double x = 0.37, direct = t[0];
        for (int k = 1; k <= 7; k++)
            direct += t[2 * k - 1] * cos(M_PI * k * x) + t[2 * k] * sin(M_PI * k * x);
        CHECK_ABS(world_mean(w, &x), direct, 1e-12);
    }
    features_free(f);
    CHECK(strcmp(world_describe(w), "fourier k=7 noise=0.2") == 0, "describe '%s'",
          world_describe(w));
    world_free(w);

    /* Given weights: linear mean is w . x, native map identity without bias. */
    const double wt[3] = {1, -2, 0.5}, x3[3] = {0.5, 0.25, 4};
    w = make((world_opts){.kind = WORLD_LINEAR, .d = 3, .noise = 0.1, .nu = 3, .w = wt, .w_len = 3},
             1);
    if (w != NULL) {
        CHECK(world_mean(w, x3) == 0.5 - 0.5 + 2, "linear mean w . x");
        world_native_features(w, &fo);
        CHECK(fo.kind == FEAT_IDENTITY && !fo.bias, "linear native map");
        CHECK(strcmp(world_describe(w), "linear d=3 noise=0.1 inputs=gaussian student-t nu=3") == 0,
              "describe '%s'", world_describe(w));
        CHECK(strcmp(world_input_name(w, 2), "x2") == 0 && world_input_name(w, 3) == NULL,
              "input names");
        CHECK(strcmp(world_target_name(w), "y") == 0, "target name");
    }
    world_free(w);
}

struct dens {
    const world *w;
    double x;
};

static double
dens_f(double y, void *p)
{
    const struct dens *d = p;
    return exp(world_logpdf(d->w, &d->x, y));
}

static void
check_density(world *w, const char *what)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    struct dens d = {w, 0.3};
    gsl_function fn = {dens_f, &d};
    double res = 0, abserr = 0;
    int rc = gsl_integration_qagi(&fn, 1e-12, 1e-10, 1000, ws, &res, &abserr);
    CHECK(rc == 0, "%s: qagi status %d", what, rc);
    /* the quadrature's own error estimate, at least 1e-9 */
    CHECK_ABS(res, 1.0, fmax(1e-9, 10 * abserr));
    gsl_integration_workspace_free(ws);
}

static void
test_logpdf(void)
{
    const double wt[1] = {2};
    world *w =
        make((world_opts){.kind = WORLD_LINEAR, .d = 1, .noise = 0.7, .w = wt, .w_len = 1}, 1);
    double x = 0.3, m = 0.6;
    if (w != NULL) {
        check_density(w, "gaussian");
        CHECK_REL(world_logpdf(w, &x, 1.5), log(gsl_ran_gaussian_pdf(0.9, 0.7)), 1e-13);
    }
    world_free(w);
    const double nus[] = {1, 3, 5};
    for (int i = 0; i < 3; i++) {
        w = make(
            (world_opts){
                .kind = WORLD_LINEAR, .d = 1, .noise = 0.5, .nu = nus[i], .w = wt, .w_len = 1},
            1);
        if (w == NULL)
            continue;
        char what[32];
        snprintf(what, sizeof what, "student-t nu=%g", nus[i]);
        if (nus[i] > 1) /* Cauchy tails make qagi's error estimate slow to converge */
            check_density(w, what);
        /* scaled t: p(y) = t_nu((y - m)/c) / c */
        for (double y = -5; y <= 5; y += 0.5)
            CHECK_REL(world_logpdf(w, &x, y), log(gsl_ran_tdist_pdf((y - m) / 0.5, nus[i]) / 0.5),
                      1e-12);
        world_free(w);
    }
    w = make((world_opts){.kind = WORLD_LINEAR, .d = 1, .noise = 0, .w = wt, .w_len = 1}, 1);
    if (w != NULL) {
        CHECK(world_logpdf(w, &x, m) > 0 && isinf(world_logpdf(w, &x, m)) &&
                  world_logpdf(w, &x, m + 1) < 0 && isinf(world_logpdf(w, &x, m + 1)),
              "noise=0: point mass");
    }
    world_free(w);
}

static void
test_table(void)
{
    const char csv[] = "a,b,y\n1,2,3\n4,5,6\n7,5,9\n";
    bl_err err = {0};
    table *t = csv_parse(csv, sizeof csv - 1, "t.csv", &err);
    const size_t xc[2] = {1, 0};
    double x[2], y, lo[2], hi[2];

    CHECK(t != NULL, "parse: %s", err.msg);
    if (t == NULL)
        return;
    world *w = world_from_table(t, 2, xc, 2, &err);
    CHECK(w != NULL, "from_table: %s", err.msg);
    if (w == NULL)
        return;
    CHECK(world_get_kind(w) == WORLD_TABLE && !world_knows_truth(w), "table kind");
    CHECK(world_in_dim(w) == 2 && world_remaining(w) == 3, "dims");
    CHECK(strcmp(world_input_name(w, 0), "b") == 0 && strcmp(world_input_name(w, 1), "a") == 0,
          "input names");
    CHECK(strcmp(world_target_name(w), "y") == 0, "target name");
    CHECK(strcmp(world_describe(w), "t.csv (3 rows, 2 inputs, y=y)") == 0, "describe '%s'",
          world_describe(w));
    world_input_range(w, lo, hi);
    CHECK(lo[0] == 2 && hi[0] == 5 && lo[1] == 1 && hi[1] == 7, "ranges [%g %g] [%g %g]", lo[0],
          hi[0], lo[1], hi[1]);
    const double want[3][3] = {{2, 1, 3}, {5, 4, 6}, {5, 7, 9}};
    for (int i = 0; i < 3; i++) {
        CHECK(world_next(w, NULL, x, &y, &err) == BL_OK, "row %d: %s", i, err.msg);
        CHECK(x[0] == want[i][0] && x[1] == want[i][1] && y == want[i][2], "row %d in order", i);
    }
    x[0] = 42;
    CHECK(world_next(w, NULL, x, &y, &err) == BL_ESTATE, "exhausted code %d", err.code);
    CHECK(strcmp(err.msg, "data set exhausted after 3 rows") == 0, "message '%s'", err.msg);
    CHECK(x[0] == 42 && world_remaining(w) == 0, "x untouched at the end");
    world_rewind(w);
    CHECK(world_remaining(w) == 3, "rewind");
    CHECK(world_next(w, NULL, x, &y, &err) == BL_OK && y == 3, "first row after rewind");
    CHECK(world_truth(w, NULL) == NULL && isnan(world_mean(w, x)), "no truth");
    world_free(w);

    /* All columns but the target; a constant column is widened by 1. */
    const char cst[] = "c,y,z\n2,1,0\n2,3,1\n";
    t = csv_parse(cst, sizeof cst - 1, "builtin:cst", &err);
    w = t != NULL ? world_from_table(t, 1, NULL, 0, &err) : NULL;
    CHECK(w != NULL, "from_table all: %s", err.msg);
    if (w != NULL) {
        CHECK(world_in_dim(w) == 2 && strcmp(world_input_name(w, 1), "z") == 0, "all but y");
        world_input_range(w, lo, hi);
        CHECK(lo[0] == 1 && hi[0] == 3 && lo[1] == 0 && hi[1] == 1, "constant column widened");
        CHECK(strncmp(world_describe(w), "cst (2 rows", 11) == 0, "describe '%s'",
              world_describe(w));
        world_free(w);
    }

    /* Failures free the table (ASan build: no leak). */
    const size_t bad1[1] = {2}, bad2[2] = {0, 0}, bad3[1] = {9};
    struct {
        size_t ycol;
        const size_t *xc;
        size_t nx;
        const char *msg;
    } cases[] = {
        {5, bad1, 1, "target column 5: must be in 0..2"},
        {2, bad1, 1, "column 'y' is the target; it cannot also be an input"},
        {2, bad2, 2, "column 'a' is given twice as an input"},
        {2, bad3, 1, "input column 9: must be in 0..2"},
        {2, bad1, 0, "0 input columns: need 1..4096"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t = csv_parse(csv, sizeof csv - 1, "t.csv", &err);
        w = world_from_table(t, cases[i].ycol, cases[i].xc, cases[i].nx, &err);
        CHECK(w == NULL && err.code == BL_EINVAL, "case %zu accepted", i);
        CHECK(strstr(err.msg, cases[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i, err.msg,
              cases[i].msg);
        world_free(w);
    }
    CHECK(world_from_table(NULL, 0, NULL, 0, &err) == NULL, "NULL table");
}

static void
expect_bad(world_opts o, const char *msg)
{
    bl_err err = {0};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    world *w = world_alloc(&o, rng, &err);
    CHECK(w == NULL && err.code == BL_EINVAL, "accepted, want '%s'", msg);
    CHECK(strstr(err.msg, msg) != NULL, "message '%s' lacks '%s'", err.msg, msg);
    world_free(w);
    gsl_rng_free(rng);
}

static void
test_errors(void)
{
    const double w2[2] = {1, 2}, w3[3] = {1, 0, 2};
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 0, .wscale = 1}, "d=0: must be in 1..4096");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 5000, .wscale = 1},
               "d=5000: must be in 1..4096");
    expect_bad((world_opts){.kind = WORLD_SPARSE, .d = 3, .s = 4, .wscale = 1},
               "s=4: must be in 1..3 (d)");
    expect_bad((world_opts){.kind = WORLD_SPARSE, .d = 3, .s = 0, .wscale = 1},
               "s=0: must be in 1..3");
    expect_bad((world_opts){.kind = WORLD_FOURIER, .k = 201, .wscale = 1},
               "k=201: must be in 0..200");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 1, .noise = -1, .wscale = 1},
               "noise=-1: must be >= 0");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 1, .noise = NAN, .wscale = 1},
               "noise=nan: must be >= 0");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 1, .nu = -2, .wscale = 1},
               "nu=-2: must be >= 0 (0 for gaussian noise)");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 1, .wscale = 0}, "wscale=0: must be > 0");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 3, .w = w2, .w_len = 2},
               "2 truth weights given, linear world needs 3");
    expect_bad((world_opts){.kind = WORLD_FOURIER, .k = 1, .w = w2, .w_len = 2},
               "2 truth weights given, fourier world needs 3");
    expect_bad((world_opts){.kind = WORLD_SPARSE, .d = 3, .s = 1, .w = w3, .w_len = 3},
               "2 non-zero truth weights given, s=1 allows at most 1");
    expect_bad((world_opts){.kind = WORLD_TABLE, .d = 1, .wscale = 1},
               "(choose linear, sparse, fourier)");
    expect_bad((world_opts){.kind = WORLD_LINEAR, .d = 1, .wscale = 1, .input = (world_input)3},
               "(choose gaussian, uniform)");

    bl_err err = {0};
    world_opts o = {.kind = WORLD_LINEAR, .d = 1, .wscale = 1};
    CHECK(world_alloc(&o, NULL, &err) == NULL && err.code == BL_EINVAL, "NULL rng to draw from");
    o.w = w2;
    o.w_len = 1;
    world *w = world_alloc(&o, NULL, &err);
    CHECK(w != NULL, "given weights need no rng: %s", err.msg);
    world_free(w);
    /* nu in (0, 1] is allowed (infinite variance, documented) */
    w = make((world_opts){.kind = WORLD_LINEAR, .d = 1, .nu = 0.5, .noise = 1, .wscale = 1}, 1);
    world_free(w);

    CHECK(world_kind_parse("sparse") == WORLD_SPARSE, "parse sparse");
    CHECK(world_kind_parse("table") == -1 && world_kind_parse(NULL) == -1, "parse unknown");
}

int
main(void)
{
    TEST_INIT();
    test_reproducible();
    test_noise();
    test_inputs_sparse();
    test_fourier_truth();
    test_logpdf();
    test_table();
    test_errors();
    return TEST_REPORT();
}
