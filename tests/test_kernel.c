/* tests/test_kernel.c - core/kernel: leaf values at hand-computed points,
 * sums/products and precedence, white-noise convention, the NNGP leaf,
 * parameter names/get/set, analytic gradients against central finite
 * differences, the one-pass Grams and derivatives of kernel_pairs against
 * the separate passes, the spec parser and its error messages.
 * Tolerances: closed-form values (computed by hand with Python's math at
 * double precision) 1e-14 relative; the RBF value of docs/math.md §11 C1 is printed
 * to 10 digits: 1e-9. Gradients: central differences with step 1e-5 in
 * theta have truncation error ~1e-10 and rounding ~1e-11 relative to the
 * largest entry, so 1e-6 relative to max(|g|, max|K|) (brief). Monte Carlo:
 * 5 standard errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"
#include "harness.h"

static const double P2[4] = {1, 0, 0.6, 0.8}; /* x, x' of docs/math.md §11 C1: r^2 = 0.8 */

static double
cross1(const char *spec, const double *x, const double *x2, size_t d)
{
    bl_err err;
    kernel *k = kernel_parse(spec, d, &err);
    CHECK(k != NULL, "%s: %s", spec, err.msg);
    double v = NAN;
    if (k)
        CHECK(kernel_cross(k, x, 1, x2, 1, &v, NULL, &err) == BL_OK, "%s", err.msg);
    kernel_free(k);
    return v;
}

static void
test_values(void)
{
    CHECK_REL(cross1("rbf(ls=0.7)", P2, P2 + 2, 2), 0.442052542, 1e-9); /* docs/math.md §11 C1 */
    CHECK_REL(cross1("rbf(var=2, ls=0.7)", P2, P2 + 2, 2), 0.8841050840476513, 1e-14);
    CHECK_REL(cross1("matern12(var=1.5, ls=0.5)", P2, P2 + 2, 2), 0.25072732777083934, 1e-14);
    CHECK_REL(cross1("matern32(var=1.5, ls=0.5)", P2, P2 + 2, 2), 0.27739073640722894, 1e-14);
    CHECK_REL(cross1("matern52(var=1.5, ls=0.5)", P2, P2 + 2, 2), 0.28389240277537975, 1e-14);
    CHECK_REL(cross1("periodic(var=1.3, ls=1.2, period=2)", P2, P2 + 2, 2), 0.3366612502913376,
              1e-14);
    CHECK_REL(cross1("linear(var=0.7, c=0.2)", P2, P2 + 2, 2), 0.14, 1e-14);
    CHECK_REL(cross1("constant(var=3)", P2, P2 + 2, 2), 3.0, 0);
    /* white: 0 in every cross-covariance, even at the same input */
    CHECK_REL(cross1("white(var=3)", P2, P2, 2), 0.0, 0);
    /* precedence: * binds tighter than +; parentheses override */
    CHECK_REL(cross1("constant(var=2) + constant(var=3) * constant(var=4)", P2, P2, 2), 14, 0);
    CHECK_REL(cross1("(constant(var=2) + constant(var=3)) * constant(var=4)", P2, P2, 2), 20, 0);
    CHECK_REL(cross1("constant(var=2)*rbf(ls=0.7)+linear(var=0.7,c=0.2)", P2, P2 + 2, 2),
              0.8841050840476513 + 0.14, 1e-14);
    /* The scikit-learn kernels, against scikit-learn 1.2.1 / scipy 1.10.1 at
     * the same points (C(var) * RationalQuadratic(ls, alpha), C * DotProduct,
     * C * Matern(ls, nu) with scipy's kv, C * ExpSineSquared(ls, periodicity)). */
    CHECK_REL(cross1("rq(var=1.5, ls=0.5, alpha=0.7)", P2, P2 + 2, 2), 0.6523045409869697, 1e-14);
    CHECK_REL(cross1("dot(var=0.7, sigma0=0.3)", P2, P2 + 2, 2), 0.483, 1e-14);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=0.7)", P2, P2 + 2, 2), 0.26153050845782433,
              1e-12);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=1)", P2, P2 + 2, 2), 0.2701991360571663, 1e-12);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=3.7)", P2, P2 + 2, 2), 0.2877937924363383, 1e-12);
    /* nu = 1/2, 3/2, 5/2 are the closed forms; the Bessel form next to them
     * agrees to the distance in nu (the derivative in nu is O(1)). */
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=1.5)", P2, P2 + 2, 2), 0.27739073640722894, 1e-14);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=2.5)", P2, P2 + 2, 2), 0.28389240277537975, 1e-14);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=0.5)", P2, P2 + 2, 2), 0.25072732777083934, 1e-14);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=2.4999999)", P2, P2 + 2, 2), 0.28389240277537975,
              1e-6);
    CHECK_REL(cross1("matern(var=1.5, ls=0.5, nu=0.5000001)", P2, P2 + 2, 2), 0.25072732777083934,
              1e-6);
    CHECK_REL(cross1("matern(nu=0.7)", P2, P2, 2), 1.0, 0); /* r = 0 */
    CHECK_REL(cross1("expsinesquared(var=1.3, ls=1.2, period=2)", P2, P2 + 2, 2),
              0.3366612502913376, 1e-14);
    CHECK_REL(cross1("exp_sine_squared(var=1.3, ls=1.2, period=2)", P2, P2 + 2, 2),
              0.3366612502913376, 1e-14);
    /* defaults: var = 1, ls = 1 */
    CHECK_REL(cross1("rbf", P2, P2 + 2, 2), exp(-0.4), 1e-15);
    CHECK_REL(cross1("rbf()", P2, P2 + 2, 2), exp(-0.4), 1e-15);

    /* Gram, diagonal and white noise on the Gram's diagonal only. */
    bl_err err;
    kernel *k = kernel_parse("constant(var=2) * rbf(ls=0.7) + white(var=0.1)", 2, &err);
    double K[4], d[2], C[4];
    CHECK(kernel_gram(k, P2, 2, K, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(K[0], 2.1, 1e-15);
    CHECK_REL(K[3], 2.1, 1e-15);
    CHECK_REL(K[1], 0.8841050840476513, 1e-14);
    CHECK(K[1] == K[2], "not symmetric");
    kernel_diag(k, P2, 2, d, &err);
    CHECK_REL(d[0], 2.1, 1e-15);
    kernel_cross(k, P2, 2, P2, 2, C, NULL, &err);
    CHECK_REL(C[0], 2.0, 1e-15); /* cross: no white noise */
    CHECK(kernel_check_dim(k, 3, &err) == BL_EINVAL &&
              strcmp(err.msg, "kernel: inputs have dimension 3, the kernel expects in_dim=2") == 0,
          "dim: %s", err.msg);
    kernel_free(k);
}

/* Random Fourier features: 2 E[cos(w.x + b) cos(w.x' + b)] with
 * w ~ N(0, I/ls^2), b ~ U(0, 2pi) is the RBF (docs/math.md §11 C1 limit). */
static void
test_rff(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const size_t N = 200000;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < N; i++) {
        double w0 = gsl_ran_gaussian_ziggurat(r, 1 / 0.7),
               w1 = gsl_ran_gaussian_ziggurat(r, 1 / 0.7);
        double b = 2 * M_PI * gsl_rng_uniform(r);
        double f = 2 * cos(w0 * 1 + b) * cos(w0 * 0.6 + w1 * 0.8 + b);
        s += f;
        s2 += f * f;
    }
    double m = s / (double)N, se = sqrt((s2 / (double)N - m * m) / (double)N);
    CHECK_ABS(m, 0.442052542, 5 * se);
    gsl_rng_free(r);
}

static void
test_nngp_leaf(void)
{
    bl_err err;
    const double X3[6] = {1, 0, 0.6, 0.8, -0.5, 1.5};
    kernel *k = kernel_parse("nngp(act=relu, depth=3, sw2=2, sb2=0.1)", 2, &err);
    kernel *t = kernel_parse("nngp(depth=3, ntk=1)", 2, &err);
    CHECK(k && t, "%s", err.msg);
    double K[9], T[9];
    kernel_gram(k, X3, 3, K, NULL, &err);
    kernel_gram(t, X3, 3, T, NULL, &err);
    CHECK_REL(K[1], 1.1638133583, 1e-9); /* docs/math.md §11 C1 ReLU L=3 */
    CHECK_REL(T[8], 11.0, 1e-9);
    CHECK(!kernel_has_grad(k), "nngp claims a gradient");
    CHECK(kernel_gram_grad(k, X3, 3, 0, K, NULL, &err) == BL_EINVAL, "nngp gradient");
    CHECK(kernel_nparams(k) == 2 && strcmp(kernel_param_name(k, 0), "nngp.sw2") == 0 &&
              !kernel_param_is_log(k, 1),
          "nngp params");
    /* sw2 through the parameter vector changes the kernel (sb2 = 0: linear in sw2^(L+1)). */
    CHECK(kernel_set_param(k, "nngp.sb2", 0, &err) == BL_OK, "%s", err.msg);
    double a, b;
    kernel_cross(k, X3, 1, X3 + 2, 1, &a, NULL, &err);
    kernel_set_param(k, "nngp.sw2", 4, &err);
    kernel_cross(k, X3, 1, X3 + 2, 1, &b, NULL, &err);
    CHECK_REL(b, 16 * a, 1e-14);
    CHECK(kernel_set_param(k, "nngp.sb2", -1, &err) == BL_EINVAL, "sb2 < 0 accepted");
    char buf[200];
    kernel_format(t, buf, sizeof buf);
    CHECK(strcmp(buf, "nngp(act=relu, depth=3, sw2=2, sb2=0.1, ntk=1)") == 0, "format: %s", buf);
    kernel_free(k);
    kernel_free(t);
    nngp_opts o = nngp_opts_default();
    o.act = NNGP_TANH;
    o.gh_order = 40;
    k = kernel_alloc_nngp(2, &o, false, &err);
    kernel_format(k, buf, sizeof buf);
    CHECK(strcmp(buf, "nngp(act=tanh, depth=3, sw2=2, sb2=0.1, order=40)") == 0, "format: %s", buf);
    kernel_free(k);
}

static const char *const GSPEC =
    "rbf(var=1.5, ls=0.8) * periodic(ls=1.2, period=2) + matern32(ls=0.5) + "
    "matern52(var=0.7, ls=1.3) * linear(var=0.3, c=0.2) + matern12(ls=2) + constant(var=0.4) + "
    "white(var=0.1) + rbf(ls=3)";

static void
test_params_and_grad(void)
{
    bl_err err;
    kernel *k = kernel_parse(GSPEC, 2, &err);
    CHECK(k != NULL, "%s", err.msg);
    if (k == NULL)
        return;
    static const char *const names[] = {
        "rbf1.var",     "rbf1.ls",      "periodic.var", "periodic.ls",  "periodic.period",
        "matern32.var", "matern32.ls",  "matern52.var", "matern52.ls",  "linear.var",
        "linear.c",     "matern12.var", "matern12.ls",  "constant.var", "white.var",
        "rbf2.var",     "rbf2.ls"};
    CHECK(kernel_nparams(k) == 17, "nparams %zu", kernel_nparams(k));
    for (size_t i = 0; i < 17; i++)
        CHECK(strcmp(kernel_param_name(k, i), names[i]) == 0, "name %zu: %s", i,
              kernel_param_name(k, i));
    CHECK(kernel_param_name(k, 17) == NULL, "name out of range");
    CHECK(kernel_param_is_log(k, 0) && !kernel_param_is_log(k, 10), "transforms");
    double th[17], th2[17];
    kernel_get_theta(k, th);
    CHECK_REL(th[4], log(2.0), 1e-15);
    CHECK_REL(th[10], 0.2, 0);
    /* invalid vector: rejected, kernel unchanged */
    memcpy(th2, th, sizeof th);
    th2[3] = NAN;
    CHECK(kernel_set_theta(k, th2, &err) == BL_EINVAL && strstr(err.msg, "periodic.ls"),
          "nan theta: %s", err.msg);
    kernel_get_theta(k, th2);
    CHECK(memcmp(th, th2, sizeof th) == 0, "kernel changed by a failed set");
    CHECK(kernel_set_param(k, "rbf1.ls", -2, &err) == BL_EINVAL &&
              strstr(err.msg, "rbf1.ls=-2: must be > 0"),
          "neg ls: %s", err.msg);
    CHECK(kernel_set_param(k, "nope", 1, &err) == BL_EINVAL, "unknown name accepted");

    /* gradients vs central differences on 7 random points */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    const size_t n = 7;
    double X[14], K[49], dK[49], Kp[49], Km[49];
    for (size_t i = 0; i < 14; i++)
        X[i] = 2 * gsl_rng_uniform(r) - 1;
    kernel_gram(k, X, n, K, NULL, &err);
    double kmax = 0;
    for (size_t i = 0; i < n * n; i++)
        kmax = fmax(kmax, fabs(K[i]));
    const double h = 1e-5;
    for (size_t p = 0; p < 17; p++) {
        CHECK(kernel_gram_grad(k, X, n, p, dK, NULL, &err) == BL_OK, "%s", err.msg);
        memcpy(th2, th, sizeof th);
        th2[p] = th[p] + h;
        kernel_set_theta(k, th2, &err);
        kernel_gram(k, X, n, Kp, NULL, &err);
        th2[p] = th[p] - h;
        kernel_set_theta(k, th2, &err);
        kernel_gram(k, X, n, Km, NULL, &err);
        kernel_set_theta(k, th, &err);
        double worst = 0;
        for (size_t i = 0; i < n * n; i++) {
            double fd = (Kp[i] - Km[i]) / (2 * h);
            worst = fmax(worst, fabs(fd - dK[i]) / fmax(fabs(dK[i]), kmax));
        }
        CHECK(worst <= 1e-6, "gradient of %s: rel err %g", names[p], worst);
    }
    CHECK(kernel_gram_grad(k, X, n, 17, dK, NULL, &err) == BL_EINVAL, "p out of range");
    gsl_rng_free(r);

    /* format -> parse round trip gives the same Gram */
    char buf[1024];
    kernel_format(k, buf, sizeof buf);
    kernel *k2 = kernel_parse(buf, 2, &err);
    CHECK(k2 != NULL, "reparse '%s': %s", buf, err.msg);
    if (k2) {
        kernel_gram(k2, X, n, Kp, NULL, &err);
        bool same = true;
        for (size_t i = 0; i < n * n; i++)
            same &= fabs(Kp[i] - K[i]) <= 1e-9 * kmax; /* %.10g printing */
        CHECK(same, "round trip differs: %s", buf);
    }
    /* the copy is independent */
    kernel *k3 = kernel_copy(k, &err);
    kernel_set_param(k3, "rbf2.ls", 9, &err);
    CHECK_REL(kernel_param_value(k, 16), 3.0, 1e-15); /* exp(log 3) */
    kernel_free(k3);
    kernel_free(k2);
    kernel_free(k);
    k = kernel_parse("(rbf + linear) * white", 1, &err);
    kernel_format(k, buf, sizeof buf);
    CHECK(strcmp(buf, "(rbf(var=1, ls=1) + linear(var=1, c=0)) * white(var=1)") == 0, "fmt %s",
          buf);
    kernel_free(k);
}

/* The scikit-learn kernels: analytic gradients (kernel_gram_grad and the
 * contraction kernel_gram_grad_dot) against central differences, Grams
 * positive semi-definite, names and the canonical spec. */
#define SKSPEC                                                                              \
    "rq(var=1.3, ls=0.8, alpha=0.6) * dot(var=0.5, sigma0=0.4) + matern(var=1.2, ls=0.7, " \
    "nu=0.8) + matern(var=0.9, ls=0.6, nu=1) + matern(ls=0.5, nu=3.2) + "                  \
    "expsinesquared(ls=1.1, period=1.7)"
static void
test_sklearn_kernels(void)
{
    bl_err err;
    kernel *k = kernel_parse(SKSPEC, 2, &err);
    CHECK(k != NULL, "%s", err.msg);
    if (k == NULL)
        return;
    static const char *const names[] = {
        "rq.var",      "rq.ls",       "rq.alpha",    "dot.var",      "dot.sigma0",
        "matern1.var", "matern1.ls",  "matern2.var", "matern2.ls",   "matern3.var",
        "matern3.ls",  "periodic.var", "periodic.ls", "periodic.period"};
    enum { NP = 14 };
    CHECK(kernel_nparams(k) == NP, "nparams %zu", kernel_nparams(k));
    for (size_t i = 0; i < NP && i < kernel_nparams(k); i++)
        CHECK(strcmp(kernel_param_name(k, i), names[i]) == 0, "name %zu: %s", i,
              kernel_param_name(k, i));
    for (size_t i = 0; i < NP; i++)
        CHECK(kernel_param_is_log(k, i), "%s not on the log scale", names[i]);
    char buf[1024];
    kernel_format(k, buf, sizeof buf);
    CHECK(strcmp(buf, "rq(var=1.3, ls=0.8, alpha=0.6) * dot(var=0.5, sigma0=0.4) + matern(var=1.2, "
                      "ls=0.7, nu=0.8) + matern(var=0.9, ls=0.6, nu=1) + matern(var=1, ls=0.5, "
                      "nu=3.2) + periodic(var=1, ls=1.1, period=1.7)") == 0,
          "format: %s", buf);

    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    enum { N = 7 };
    double X[2 * N], K[N * N], dK[N * N], Kp[N * N], Km[N * N], W[N * N], th[NP], th2[NP],
        g[NP];
    for (size_t i = 0; i < 2 * N; i++)
        X[i] = 2 * gsl_rng_uniform(r) - 1;
    for (size_t i = 0; i < N * N; i++)
        W[i] = gsl_rng_uniform(r) - 0.5;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < i; j++)
            W[j * N + i] = W[i * N + j];
    kernel_get_theta(k, th);
    kernel_gram(k, X, N, K, NULL, &err);
    double kmax = 0;
    for (size_t i = 0; i < N * N; i++)
        kmax = fmax(kmax, fabs(K[i]));
    CHECK(kernel_gram_grad_dot(k, X, N, W, g, NULL, &err) == BL_OK, "%s", err.msg);
    const double h = 1e-5;
    for (size_t p = 0; p < NP; p++) {
        CHECK(kernel_gram_grad(k, X, N, p, dK, NULL, &err) == BL_OK, "%s", err.msg);
        memcpy(th2, th, sizeof th);
        th2[p] = th[p] + h;
        kernel_set_theta(k, th2, &err);
        kernel_gram(k, X, N, Kp, NULL, &err);
        th2[p] = th[p] - h;
        kernel_set_theta(k, th2, &err);
        kernel_gram(k, X, N, Km, NULL, &err);
        kernel_set_theta(k, th, &err);
        double worst = 0, dot = 0, dmax = 0;
        for (size_t i = 0; i < N * N; i++) {
            double fd = (Kp[i] - Km[i]) / (2 * h);
            worst = fmax(worst, fabs(fd - dK[i]) / fmax(fabs(dK[i]), kmax));
            dot += W[i] * dK[i];
            dmax = fmax(dmax, fabs(dK[i]));
        }
        CHECK(worst <= 1e-6, "gradient of %s: rel err %g", names[p], worst);
        /* the one-pass contraction equals sum_ij W_ij dK_ij (same terms) */
        CHECK(fabs(g[p] - dot) <= 1e-12 * N * N * fmax(dmax, 1), "contraction of %s: %g vs %g",
              names[p], g[p], dot);
    }
    kernel_free(k);

    /* Every new leaf gives a positive semi-definite Gram: on 40 random points
     * in 3-D its smallest eigenvalue is >= -1e-12 of its largest (rounding).
     * The periodic kernel on 1-D inputs (the first coordinates): of the
     * Euclidean distance in 3-D it is not positive definite (smallest
     * eigenvalue -3.2 of 20 here), as scikit-learn's ExpSineSquared. */
    static const char *const psd[] = {"rq(ls=0.3, alpha=0.5)", "dot(sigma0=0.2)",
                                      "matern(ls=0.4, nu=0.3)", "matern(ls=0.4, nu=1)",
                                      "matern(ls=0.4, nu=7.5)", "exp_sine_squared(period=0.8)"};
    enum { M = 40 };
    double Xm[3 * M], G[M * M], ev[M];
    for (size_t i = 0; i < 3 * M; i++)
        Xm[i] = 2 * gsl_rng_uniform(r) - 1;
    for (size_t s = 0; s < sizeof psd / sizeof psd[0]; s++) {
        bool per = strstr(psd[s], "sine") != NULL;
        double X1[M];
        for (size_t i = 0; i < M; i++)
            X1[i] = 3 * Xm[3 * i];
        k = kernel_parse(psd[s], per ? 1 : 3, &err);
        CHECK(k != NULL && kernel_gram(k, per ? X1 : Xm, M, G, NULL, &err) == BL_OK, "%s: %s",
              psd[s], err.msg);
        CHECK(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'L', M, G, M, ev) == 0, "dsyev %s", psd[s]);
        CHECK(ev[0] >= -1e-12 * ev[M - 1], "%s: eigenvalue %g of %g", psd[s], ev[0], ev[M - 1]);
        kernel_free(k);
    }
    gsl_rng_free(r);
    /* completion sees the new names and keys, aliases included */
    bool rq = false, alias = false;
    for (size_t t = 0; kernel_type_name(t) != NULL; t++) {
        rq |= strcmp(kernel_type_name(t), "rq") == 0 && strcmp(kernel_type_key(t, 2), "alpha") == 0;
        if (strcmp(kernel_type_name(t), "exp_sine_squared") == 0)
            alias = strcmp(kernel_type_key(t, 2), "period") == 0;
        if (strcmp(kernel_type_name(t), "matern") == 0)
            CHECK(strcmp(kernel_type_key(t, 2), "nu") == 0 && kernel_type_key(t, 3) == NULL,
                  "matern keys");
    }
    CHECK(rq && alias, "completion names: rq %d alias %d", rq, alias);
}

/* kernel_pairs (the optimizer's one pass per evaluation) against the
 * separate passes, on a kernel with every classic leaf type under + and *
 * (a product of a sum too), 2-D points with a duplicate (white is 0 there
 * off the diagonal): K bit for bit kernel_gram's, every pair's derivatives
 * kernel_gram_grad's to 1e-14 relative (the same formulas but periodic's
 * d/dlog period, 4 a sin cos against 2 a sin(2a)), the contraction bit for
 * bit kernel_gram_grad_dot's; again after the memo is reused (variances
 * moved, keys kept), refilled (keys moved) and after a cancelled pass. */
#define ALLSPEC                                                                              \
    "rbf(var=1.3, ls=0.7) * periodic(ls=0.9, period=1.4) + matern12(ls=0.8) * linear(var=0.4, " \
    "c=0.2) + (matern32(var=0.7, ls=1.1) + matern52(ls=0.6)) * dot(var=0.3, sigma0=0.5) + "    \
    "rq(var=0.8, ls=0.9, alpha=1.7) + matern(ls=0.7, nu=0.8) + matern(var=0.6, ls=1.2) + "     \
    "constant(var=0.2) + white(var=0.1)"
static void
check_pairs(kernel_pairs *P, const kernel *k, const double *X, size_t n, const double *W,
            const char *when)
{
    bl_err err;
    size_t np = kernel_nparams(k);
    double *K = malloc(n * n * sizeof *K), *R = malloc(n * n * sizeof *R);
    double *D = malloc(n * n * sizeof *D), g[64], gr[64];
    CHECK(kernel_pairs_gram(P, k, X, K, NULL, &err) == BL_OK, "%s: %s", when, err.msg);
    CHECK(kernel_gram(k, X, n, R, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(memcmp(K, R, n * n * sizeof *K) == 0, "%s: K differs from kernel_gram's", when);
    kernel_pairs_dot(P, W, g);
    CHECK(kernel_gram_grad_dot(k, X, n, W, gr, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(memcmp(g, gr, np * sizeof *g) == 0, "%s: contraction differs", when);
    /* The derivatives through the contraction with unit W_ij + W_ji. */
    double *E = calloc(n * n, sizeof *E);
    for (size_t p = 0; p < np; p++) {
        CHECK(kernel_gram_grad(k, X, n, p, D, NULL, &err) == BL_OK, "%s", err.msg);
        double worst = 0;
        for (size_t i = 0; i < n; i += 7)
            for (size_t j = 0; j <= i; j += 3) {
                E[i * n + j] = E[j * n + i] = i == j ? 1.0 : 0.5;
                kernel_pairs_dot(P, E, g);
                E[i * n + j] = E[j * n + i] = 0.0;
                double ref = D[i * n + j];
                worst = fmax(worst, fabs(g[p] - ref) / fmax(fabs(ref), 1e-300));
            }
        CHECK(worst <= 1e-14, "%s: d/d%s: rel err %g", when, kernel_param_name(k, p), worst);
    }
    free(E);
    free(K);
    free(R);
    free(D);
}

static void
test_pairs(void)
{
    bl_err err;
    kernel *k = kernel_parse(ALLSPEC, 2, &err);
    CHECK(k != NULL, "%s", err.msg);
    if (k == NULL)
        return;
    enum { N = 41 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    double X[2 * N], W[N * N], th[64];
    for (size_t i = 0; i < 2 * N; i++)
        X[i] = 3 * gsl_rng_uniform(r) - 1.5;
    X[2 * 17] = X[2 * 4];
    X[2 * 17 + 1] = X[2 * 4 + 1];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j <= i; j++)
            W[i * N + j] = W[j * N + i] = gsl_rng_uniform(r) - 0.5;
    size_t np = kernel_nparams(k);
    CHECK(np == 24, "nparams %zu", np);
    CHECK(kernel_pairs_bytes(k, N) == N * (N + 1) / 2 * (np + 18) * sizeof(double), "bytes %zu",
          kernel_pairs_bytes(k, N));
    kernel_pairs *P = kernel_pairs_alloc(k, N, &err);
    CHECK(P != NULL, "%s", err.msg);
    if (P == NULL)
        goto done;
    check_pairs(P, k, X, N, W, "first pass");
    check_pairs(P, k, X, N, W, "memo read");
    kernel_get_theta(k, th);
    for (size_t p = 0; p < np; p++)
        if (strstr(kernel_param_name(k, p), ".var") != NULL)
            th[p] += 0.3;
    kernel_set_theta(k, th, &err);
    check_pairs(P, k, X, N, W, "variances moved");
    kernel *c = kernel_copy(k, &err);
    kernel_get_theta(c, th);
    for (size_t p = 0; p < np; p++)
        th[p] -= 0.2;
    kernel_set_theta(c, th, &err);
    check_pairs(P, c, X, N, W, "every parameter moved (a copy)");
    bl_cancel stop = 1;
    double K[N * N];
    CHECK(kernel_pairs_gram(P, k, X, K, &stop, &err) == BL_ECANCEL, "not cancelled");
    check_pairs(P, k, X, N, W, "after a cancelled pass");
    kernel_free(c);
    c = kernel_parse("rbf + rbf", 2, &err);
    CHECK(kernel_pairs_gram(P, c, X, K, NULL, &err) == BL_EINVAL, "another kernel accepted");
    kernel_free(c);
    c = kernel_parse("nngp", 2, &err);
    CHECK(kernel_pairs_alloc(c, N, &err) == NULL && err.code == BL_EINVAL, "nngp accepted");
    kernel_free(c);
    CHECK(kernel_pairs_alloc(k, 0, &err) == NULL && err.code == BL_EINVAL, "n=0 accepted");
    CHECK(kernel_pairs_bytes(k, (size_t)1 << 40) == 0, "overflow not reported");
done:
    kernel_pairs_free(P);
    kernel_free(k);
    gsl_rng_free(r);
}

static void
expect_err(const char *spec, const char *msg)
{
    bl_err err = {0};
    kernel *k = kernel_parse(spec, 2, &err);
    CHECK(k == NULL && err.code == BL_EINVAL && strncmp(err.msg, msg, strlen(msg)) == 0,
          "'%s': got '%s', want '%s...'", spec, err.msg, msg);
    kernel_free(k);
}

static void
test_parse_errors(void)
{
    expect_err("rbff",
               "kernel: unknown kernel 'rbff' at column 1 (choose rbf, matern12, matern32,");
    expect_err("rbf + mattern(ls=1)", "kernel: unknown kernel 'mattern' at column 7");
    expect_err("rbf(ls=-1)", "kernel: ls=-1: must be > 0");
    expect_err("rbf(var=-2)", "kernel: var=-2: must be > 0");
    expect_err("periodic(period=0)", "kernel: period=0: must be > 0");
    expect_err("rbf(ls=1", "kernel: expected ',' or ')' at column 9 (end of spec)");
    expect_err("rbf(lss=1)", "kernel: unknown parameter 'lss' of rbf at column 5 (choose var, ls)");
    expect_err("rbf(ls=)", "kernel: expected a number at column 8, found ')'");
    /* Decimal only, like every other argument (issue 10). */
    expect_err("rbf(ls=0x10)", "kernel: expected a decimal number at column 8, found '0'");
    expect_err("rbf(ls=inf)", "kernel: expected a number at column 8, found 'i'");
    expect_err("rbf(ls=1e999)", "kernel: expected a decimal number at column 8, found '1'");
    expect_err("rbf(ls 1)", "kernel: expected '=' at column 8, found '1'");
    expect_err("rbf +", "kernel: expected a kernel name at column 6 (end of spec)");
    expect_err("", "kernel: expected a kernel name at column 1 (end of spec)");
    expect_err("rbf rbf", "kernel: expected '+', '*' or end of spec at column 5, found 'r'");
    expect_err("(rbf + linear", "kernel: expected ')' at column 14 (end of spec)");
    expect_err("rbf * $", "kernel: expected a kernel name at column 7, found '$'");
    expect_err("nngp(act=foo)", "kernel: unknown activation 'foo' (choose relu, erf, tanh, gelu, "
                                "silu, sin, leaky_relu, abs) at column 10");
    expect_err("nngp(depth=0)", "kernel: depth=0: must be an integer in 1..1000");
    expect_err("nngp(depth=1000000)", "kernel: depth=1e+06: must be an integer in 1..1000");
    expect_err("nngp(sw2=-1)", "kernel: sw2=-1: must be > 0");
    expect_err("nngp(sb2=-1)", "kernel: sb2=-1: must be >= 0");
    expect_err("matern(nu=0)", "kernel: nu=0: must be in (0, 100]");
    expect_err("matern(nu=101)", "kernel: nu=101: must be in (0, 100]");
    expect_err("rq(alpha=-1)", "kernel: alpha=-1: must be > 0");
    expect_err("dot(sigma0=0)", "kernel: sigma0=0: must be > 0");
    expect_err("rbf(nu=1)", "kernel: unknown parameter 'nu' of rbf at column 5 (choose var, ls)");
    expect_err("matern(period=1)",
               "kernel: unknown parameter 'period' of matern at column 8 (choose var, ls, nu)");
    bl_err err;
    CHECK(kernel_parse("rbf", 0, &err) == NULL && strstr(err.msg, "in_dim=0"), "in_dim 0: %s",
          err.msg);
    /* parentheses optional; whitespace anywhere */
    kernel *k = kernel_parse(
        " rbf ( ls = 50 , var = 100 ) + periodic(period=1, ls=1.2) * rbf(ls=100) + white(var=0.1) ",
        1, &err);
    CHECK(k != NULL, "%s", err.msg);
    char buf[300];
    kernel_format(k, buf, sizeof buf);
    CHECK(strcmp(buf, "rbf(var=100, ls=50) + periodic(var=1, ls=1.2, period=1) * rbf(var=1, "
                      "ls=100) + white(var=0.1)") == 0,
          "format: %s", buf);
    CHECK(strcmp(kernel_param_name(k, 0), "rbf1.var") == 0, "dup names");
    kernel_free(k);
    kernel_free(NULL);
}

int
main(void)
{
    TEST_INIT();
    test_values();
    test_rff();
    test_nngp_leaf();
    test_params_and_grad();
    test_sklearn_kernels();
    test_pairs();
    test_parse_errors();
    return TEST_REPORT();
}
