/* tests/test_gp.c - core/gp: docs/math.md §11 D1 (Student-t process) and D2
 * (Burr XII scale prior), quadrature against the TP closed form, importance
 * sampling against quadrature, incremental against batch fits, the
 * sequential log-loss identities, the TP -> GP limit, draws, jitter,
 * hyperparameter optimisation, and error paths.
 * Tolerances: D1 closed forms printed to 10 digits: 1e-9 relative. D2 and
 * quadrature: 1e-7 relative (docs/math.md §11: quadrature-based values; log p(y) is
 * printed to 8 digits, so 1e-7 relative ~ 4e-7 absolute, within the
 * brief's ~1e-6). Incremental vs batch: 1e-10 relative (brief; both are
 * backward stable, cond(Ky) ~ 1e4 here). Sum of one-step log predictives vs
 * batch log ML: 1e-9 (brief). TP -> GP at a = 1e6: the t/normal gap is
 * O(1/a) = 1e-6, so 1e-5 (brief). IS: 4 reported standard errors (brief). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "harness.h"

static const double XTR[4] = {-1.5, -0.5, 0.3, 1.2}, YTR[4] = {-0.8, 0.1, 0.5, 0.9};
static const double XS[2] = {0, 2.5};
#define D1_SPEC "nngp(act=relu, depth=2, sw2=2, sb2=0.1)"

static gp *
d1_model(const char *spec, double noise)
{
    bl_err err;
    kernel *k = kernel_parse(spec, 1, &err);
    CHECK(k != NULL, "%s", err.msg);
    gp *g = gp_alloc(k, noise, &err);
    CHECK(g != NULL, "%s", err.msg);
    for (int i = 0; i < 4; i++)
        CHECK(gp_observe(g, XTR + i, YTR[i], NULL, &err) == BL_OK, "%s", err.msg);
    return g;
}

static void
test_d1(void)
{
    bl_err err;
    gp *g = d1_model(D1_SPEC, 0.01);
    const kernel *k = gp_kernel(g);
    double kd[4], k12;
    kernel_diag(k, XTR, 4, kd, &err);
    const double kd_ref[4] = {4.8, 0.8, 0.48, 3.18};
    for (int i = 0; i < 4; i++)
        CHECK_REL(kd[i], kd_ref[i], 1e-9);
    kernel_cross(k, XTR, 1, XTR + 1, 1, &k12, NULL, &err);
    CHECK_REL(k12, 1.8117295623, 1e-9);
    CHECK_REL(gp_quad(g), 1.612055929, 1e-9);
    CHECK_REL(gp_logdet(g), -1.90177401, 1e-8); /* printed to 9 digits */
    gp_tp_pred p[2];
    CHECK(gp_tp_predict(g, 2, 2, XS, 2, p, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(p[0].loc, 0.3848591646, 1e-9);
    CHECK_REL(p[1].loc, 1.4848878703, 1e-9);
    CHECK_REL(p[0].df, 8, 0);
    double var_y[2];
    gp_predict(g, XS, 2, NULL, NULL, var_y, NULL, &err);
    CHECK_REL(p[0].scale2 / var_y[0], 0.7015069911, 1e-9); /* factor (2b+q)/(2a+n) */
    CHECK_REL(p[0].scale2, 0.0285566815, 2e-9); /* printed to 9 digits: half-ulp 1.8e-9 */
    CHECK_REL(p[1].scale2, 0.1121381648, 1e-9);
    CHECK_REL(p[0].var, 0.0380755754, 1e-9);
    CHECK_REL(p[1].var, 0.149517553, 1e-9);
    CHECK_REL(2 * var_y[0], 0.0814152443, 1e-9); /* Gaussian NNGP at s = E[s] = 2 */
    CHECK_REL(2 * var_y[1], 0.3197064782, 1e-9);
    double lml, lp;
    CHECK(gp_tp_log_ml(g, 2, 2, &lml, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(lml, -3.673893087, 1e-9);
    CHECK(gp_tp_logpdf(g, 2, 2, XS, 0.5, &lp, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(lp, 0.5739796547, 1e-9);

    /* Quadrature with the IG(2,2) prior reproduces the closed forms; the
     * posterior is IG(a + n/2, b + q/2), E[s|y] = (b + q/2)/(a + n/2 - 1). */
    gp_scale_prior ig = {GP_SCALE_INVGAMMA, 2, 2};
    gp_scale_result r;
    CHECK(gp_scale_quad(g, &ig, XS, 0.5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r.log_ml, -3.673893087, 1e-9);
    CHECK_REL(r.mean_s, (2 + gp_quad(g) / 2) / (2 + 2 - 1), 1e-9);
    CHECK_REL(r.logpdf, 0.5739796547, 1e-9);
    CHECK_REL(r.pred_var, 0.0380755754, 1e-9); /* = t variance: E[s|y] (Sig* + s2n) */
    /* point mass: the Gaussian at s0 */
    gp_scale_prior pt = {GP_SCALE_POINT, 2, 0};
    CHECK(gp_scale_quad(g, &pt, XS, 0.5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r.pred_var, 0.0814152443, 1e-9);
    CHECK_REL(r.log_ml, -2.0 * log(2 * M_PI * 2) - 0.5 * gp_logdet(g) - gp_quad(g) / 4, 1e-14);

    /* D2: Burr XII(c=2, d=1). */
    gp_scale_prior burr = {GP_SCALE_BURR12, 2, 1};
    CHECK(gp_scale_quad(g, &burr, XS, 0.5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r.log_ml, -3.5827007, 1e-7);
    CHECK_REL(r.mean_s, 0.821255784, 1e-7);
    CHECK_REL(r.pred_var, 0.0334313702, 1e-7);
    CHECK_REL(r.logpdf, 0.6005434438, 1e-7);
    gp_scale_result r2;
    gp_scale_quad(g, &burr, XS + 1, 0.5, &r2, &err);
    CHECK_REL(r2.pred_var, 0.1312803972, 1e-7);

    /* Importance sampling against quadrature, both proposals, fixed seed:
     * within 4 reported standard errors. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    const gp_scale_prior pri[3] = {
        {GP_SCALE_BURR12, 2, 1}, {GP_SCALE_GAMMA, 2, 0.5}, {GP_SCALE_HALFCAUCHY, 1, 0}};
    for (int t = 0; t < 3; t++) {
        gp_scale_result q;
        CHECK(gp_scale_quad(g, &pri[t], XS, 0.5, &q, &err) == BL_OK, "%s", err.msg);
        for (int prop = 0; prop < 2; prop++) {
            gp_scale_result s;
            CHECK(gp_scale_is(g, &pri[t], (gp_is_proposal)prop, 20000, rng, XS, 0.5, &s, &err) ==
                      BL_OK,
                  "%s", err.msg);
            CHECK_ABS(s.log_ml, q.log_ml, 4 * s.log_ml_se);
            CHECK_ABS(s.mean_s, q.mean_s, 4 * s.mean_s_se);
            CHECK_ABS(s.logpdf, q.logpdf, 4 * s.logpdf_se);
            CHECK(s.ess > 100 && s.ess <= 20000, "ess %g", s.ess);
            CHECK(s.log_ml_se > 0 && s.log_ml_se < 0.05, "se %g", s.log_ml_se);
        }
    }
    gsl_rng_free(rng);
    gp_free(g);
}

/* TP -> GP as a grows with b = a s0: compare with a GP whose kernel and
 * noise are scaled by s0 = 2 (an independent route through the kernel). */
static void
test_tp_limit(void)
{
    bl_err err;
    gp *t = d1_model(D1_SPEC, 0.01);
    gp *g = d1_model(D1_SPEC " * constant(var=2)", 0.02);
    const double a = 1e6, b = 2e6;
    double lml, lp;
    gp_tp_log_ml(t, a, b, &lml, &err);
    CHECK_ABS(lml, gp_log_ml(g), 1e-5);
    gp_tp_pred p[2];
    gp_tp_predict(t, a, b, XS, 2, p, &err);
    double mean[2], vy[2];
    gp_predict(g, XS, 2, mean, NULL, vy, NULL, &err);
    for (int i = 0; i < 2; i++) {
        CHECK_REL(p[i].loc, mean[i], 1e-12); /* location is the same exactly */
        CHECK_REL(p[i].var, vy[i], 1e-5);
    }
    gp_tp_logpdf(t, a, b, XS, 0.5, &lp, &err);
    CHECK_ABS(lp, -0.5 * (log(2 * M_PI * vy[0]) + (0.5 - mean[0]) * (0.5 - mean[0]) / vy[0]), 1e-5);
    gp_free(t);
    gp_free(g);
}

/* 300 arrivals (RBF + white in 2-D): incremental == batch; sum of one-step
 * log predictives == log ML; the TP one-step t densities sum to the TP log
 * marginal. */
static void
test_incremental(void)
{
    bl_err err;
    const size_t n = 300, d = 2;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9);
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        X[i * d] = 4 * gsl_rng_uniform(rng);
        X[i * d + 1] = 4 * gsl_rng_uniform(rng);
        y[i] = sin(X[i * d]) * cos(X[i * d + 1]) + 0.1 * gsl_ran_gaussian(rng, 1);
    }
    const char *spec = "rbf(var=1.2, ls=0.8) + linear(var=0.1) + white(var=0.001)";
    gp *g = gp_alloc(kernel_parse(spec, d, &err), 0.01, &err);
    gp *b = gp_alloc(kernel_parse(spec, d, &err), 0.01, &err);
    double sum = 0, tsum = 0;
    for (size_t i = 0; i < n; i++) {
        double lp, tlp;
        gp_tp_logpdf(g, 3, 2, X + i * d, y[i], &tlp, &err);
        CHECK(gp_observe(g, X + i * d, y[i], &lp, &err) == BL_OK, "%s", err.msg);
        sum += lp;
        tsum += tlp;
    }
    CHECK(gp_fit(b, X, y, n, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(gp_n(g) == n && gp_n(b) == n, "n");
    double *L1 = malloc(n * n * sizeof *L1), *L2 = malloc(n * n * sizeof *L2);
    double *a1 = malloc(n * sizeof *a1), *a2 = malloc(n * sizeof *a2);
    gp_factor(g, L1);
    gp_factor(b, L2);
    gp_alpha(g, a1);
    gp_alpha(b, a2);
    double eL = 0, mL = 0, ea = 0, ma = 0;
    for (size_t i = 0; i < n * n; i++) {
        eL = fmax(eL, fabs(L1[i] - L2[i]));
        mL = fmax(mL, fabs(L2[i]));
    }
    for (size_t i = 0; i < n; i++) {
        ea = fmax(ea, fabs(a1[i] - a2[i]));
        ma = fmax(ma, fabs(a2[i]));
    }
    CHECK(eL <= 1e-10 * mL, "factor differs by %g (max %g)", eL, mL);
    CHECK(ea <= 1e-10 * ma, "alpha differs by %g (max %g)", ea, ma);
    CHECK_REL(gp_log_ml(g), gp_log_ml(b), 1e-10);
    CHECK_REL(sum, gp_log_ml(b), 1e-9);
    double tl;
    gp_tp_log_ml(g, 3, 2, &tl, &err);
    CHECK_REL(tsum, tl, 1e-9);
    CHECK(gp_jitter(g) == 0 && gp_jitter(b) == 0, "unexpected jitter");
    /* predictions agree */
    double m1[3], m2[3], v1[3], v2[3];
    gp_predict(g, X, 3, m1, v1, NULL, NULL, &err);
    gp_predict(b, X, 3, m2, v2, NULL, NULL, &err);
    for (int i = 0; i < 3; i++) {
        CHECK_REL(m1[i], m2[i], 1e-10);
        CHECK_ABS(v1[i], v2[i], 1e-10);
    }
    /* draws: Z = 0 gives the mean, Z = e_1 gives mean_1 + sqrt(var_f,1) */
    double Z[6] = {0, 0, 0, 1, 0, 0}, F[6], jit;
    CHECK(gp_draws(g, X, 3, Z, 2, F, &jit, &err) == BL_OK, "%s", err.msg);
    for (int i = 0; i < 3; i++)
        CHECK_REL(F[i], m1[i], 1e-12);
    CHECK_REL(F[3] - m1[0], sqrt(v1[0] + jit), 1e-6); /* cancellation in var_f ~1e-3 */
    /* copy carries the state */
    gp *c = gp_copy(g, &err);
    CHECK(c && gp_log_ml(c) == gp_log_ml(g) && gp_n(c) == n, "copy");
    gp_free(c);
    free(L1);
    free(L2);
    free(a1);
    free(a2);
    free(X);
    free(y);
    gp_free(g);
    gp_free(b);
    gsl_rng_free(rng);
}

static void
test_jitter(void)
{
    bl_err err;
    gp *g = gp_alloc(kernel_parse("rbf", 1, &err), 0.0, &err);
    const double x = 0.3;
    CHECK(gp_observe(g, &x, 1.0, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(gp_jitter(g) == 0, "jitter on the first point");
    /* a duplicate without noise: singular, the ladder adds 1e-10 mean diag */
    CHECK(gp_observe(g, &x, 1.0, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(gp_jitter(g) > 0 && gp_jitter(g) <= 1e-4, "jitter %g", gp_jitter(g));
    double m;
    gp_predict(g, &x, 1, &m, NULL, NULL, NULL, &err);
    CHECK_ABS(m, 1.0, 1e-6);
    gp_free(g);
    /* Dense inputs, a smooth kernel, no noise: some point is predicted
     * exactly from the others, past what the jitter ladder mends. The
     * message says so (it used to blame a duplicate there is none of). */
    g = gp_alloc(kernel_parse("rbf", 1, &err), 0.0, &err);
    int rc = BL_OK;
    for (size_t i = 0; i < 200 && rc == BL_OK; i++) {
        double xi = 0.01 * (double)i;
        rc = gp_observe(g, &xi, sin(xi), NULL, &err);
    }
    CHECK(rc == BL_ENUM && strstr(err.msg, "is determined by the points before it") != NULL &&
              strstr(err.msg, "duplicate") == NULL,
          "smooth kernel, no noise: %s", err.msg);
    gp_free(g);
}

/* Data from a known RBF GP (var 1, ls 0.5, noise 0.01) on [0, 6]. */
static void
test_optimize(void)
{
    bl_err err;
    const size_t n = 150;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2);
    double *X = malloc(n * sizeof *X), *Z = malloc(n * sizeof *Z), *F = malloc(n * sizeof *F);
    double *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        X[i] = 6 * gsl_rng_uniform(rng);
        Z[i] = gsl_ran_gaussian(rng, 1);
    }
    gp *prior = gp_alloc(kernel_parse("rbf(var=1, ls=0.5)", 1, &err), 0.01, &err);
    CHECK(gp_draws(prior, X, n, Z, 1, F, NULL, &err) == BL_OK, "%s", err.msg); /* a prior draw */
    for (size_t i = 0; i < n; i++)
        y[i] = F[i] + 0.1 * gsl_ran_gaussian(rng, 1);
    gp_free(prior);

    gp *g = gp_alloc(kernel_parse("rbf(var=0.5, ls=2)", 1, &err), 0.1, &err);
    for (size_t i = 0; i < n; i++)
        gp_observe(g, X + i, y[i], NULL, &err);
    double before = gp_log_ml(g);
    gp_opt_result res;
    CHECK(gp_optimize(g, NULL, &res, NULL, &err) == BL_OK, "%s", err.msg);
    double ls = kernel_param_value(gp_kernel(g), 1);
    printf("optimize: ls %.4g (true 0.5), var %.4g (1), noise %.4g (0.01), log ML %.6g -> %.6g, "
           "%zu iterations\n",
           ls, kernel_param_value(gp_kernel(g), 0), gp_noise(g), before, res.log_ml_after,
           res.iterations);
    /* Band: with 150 points on 12 lengthscales the ML lengthscale is within
     * about +-30% of the truth (a one-draw estimate); noise within 2x. */
    CHECK(ls > 0.35 && ls < 0.7, "lengthscale %g not in (0.35, 0.7)", ls);
    CHECK(gp_noise(g) > 0.005 && gp_noise(g) < 0.02, "noise %g not in (0.005, 0.02)", gp_noise(g));
    CHECK(res.used_grad && res.log_ml_after > before + 1.0, "log ML %g -> %g", before,
          res.log_ml_after);
    CHECK_REL(gp_log_ml(g), res.log_ml_after, 1e-12);
    CHECK_REL(res.log_ml_before, before, 1e-9); /* batch vs incremental */
    /* Nelder-Mead from the same start reaches the same optimum (flat top:
     * 1e-3 in log ML). */
    gp *s = gp_alloc(kernel_parse("rbf(var=0.5, ls=2)", 1, &err), 0.1, &err);
    gp_fit(s, X, y, n, NULL, &err);
    gp_opt_opts oo = {.simplex = true, .max_iter = 2000, .tol = 1e-6};
    gp_opt_result rs;
    CHECK(gp_optimize(s, &oo, &rs, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(!rs.used_grad, "simplex not used");
    CHECK_ABS(rs.log_ml_after, res.log_ml_after, 1e-3);
    /* cancel: error, model unchanged */
    bl_cancel stop = 1;
    double th0[2], th1[2], lml0 = gp_log_ml(s), nz0 = gp_noise(s);
    kernel_get_theta(gp_kernel(s), th0);
    CHECK(gp_optimize(s, NULL, NULL, &stop, &err) == BL_ECANCEL, "cancel: %s", err.msg);
    kernel_get_theta(gp_kernel(s), th1);
    CHECK(gp_log_ml(s) == lml0 && gp_noise(s) == nz0 && th0[0] == th1[0] && th0[1] == th1[1],
          "cancelled optimisation changed the model");
    gp_free(s);
    /* An NNGP kernel has no analytic gradient: Nelder-Mead on sw2, sb2. */
    gp *nn = gp_alloc(kernel_parse("nngp(depth=2)", 1, &err), 0.1, &err);
    gp_fit(nn, X, y, 60, NULL, &err);
    double b0 = gp_log_ml(nn);
    oo = (gp_opt_opts){.max_iter = 100};
    CHECK(gp_optimize(nn, &oo, &rs, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(!rs.used_grad && rs.log_ml_after >= b0, "nngp: %g -> %g", b0, rs.log_ml_after);
    gp_free(nn);
    gp_free(g);
    free(X);
    free(Z);
    free(F);
    free(y);
    gsl_rng_free(rng);
}

/* d log ML / d theta against central differences of batch fits (step 1e-5
 * in theta: truncation ~1e-10, rounding ~1e-13 |logML| / 1e-5 ~ 1e-7 abs;
 * 1e-6 relative to max(|g|, 1)). */
static void
check_lml_grad(const char *spec, size_t want_np)
{
    bl_err err;
    const size_t n = 40;
    double X[80], y[40];
    for (size_t i = 0; i < n; i++) {
        X[2 * i] = cos(1.7 * (double)i);
        X[2 * i + 1] = sin(0.9 * (double)i + 0.3);
        y[i] = X[2 * i] * X[2 * i + 1] + 0.1 * cos(5.0 * (double)i);
    }
    gp *g = gp_alloc(kernel_parse(spec, 2, &err), 0.05, &err);
    gp_fit(g, X, y, n, NULL, &err);
    double grad[16], lml;
    CHECK(gp_log_ml_grad(g, grad, &lml, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(lml, gp_log_ml(g), 1e-12);
    kernel *k = kernel_parse(spec, 2, &err);
    size_t np = kernel_nparams(k);
    CHECK(np == want_np, "np %zu", np);
    double th[16], tp[16];
    kernel_get_theta(k, th);
    const double h = 1e-5;
    for (size_t p = 0; p <= np; p++) {
        double f[2];
        for (int s = 0; s < 2; s++) {
            memcpy(tp, th, sizeof th);
            double noise = 0.05;
            if (p < np)
                tp[p] += s ? -h : h;
            else
                noise = exp(log(0.05) + (s ? -h : h));
            kernel *kk = kernel_copy(k, &err);
            kernel_set_theta(kk, tp, &err);
            gp *q = gp_alloc(kk, noise, &err);
            gp_fit(q, X, y, n, NULL, &err);
            f[s] = gp_log_ml(q);
            gp_free(q);
        }
        double fd = (f[0] - f[1]) / (2 * h);
        CHECK(fabs(fd - grad[p]) <= 1e-6 * fmax(fabs(grad[p]), 1.0),
              "%s: dlogML/dtheta[%zu]: analytic %.10g, central difference %.10g", spec, p,
              grad[p], fd);
    }
    kernel_free(k);
    gp_free(g);
}

static void
test_lml_grad(void)
{
    check_lml_grad("rbf(var=1.3, ls=0.7) * periodic(period=2.5) + matern52(ls=0.4) + "
                   "linear(var=0.2, c=0.1)",
                   9);
    /* every other leaf, a product of three and white noise in the kernel */
    check_lml_grad("matern12(var=0.8, ls=0.5) * constant(var=1.5) * periodic(var=0.7, ls=0.6, "
                   "period=1.3) + matern32(ls=0.9) + white(var=0.02)",
                   9);
}

/* kernel_gram_grad_dot against the sum of W o dK/dtheta_p built by
 * kernel_gram_grad, for a W with every entry distinct: the same sums in
 * another order, 1e-12 relative to sum |W_ij dK_ij|. */
static void
test_grad_dot(void)
{
    bl_err err;
    const size_t n = 30;
    const char *spec = "rbf(var=1.3, ls=0.7) * periodic(period=2.5, ls=0.8) + matern52(ls=0.4) + "
                       "linear(var=0.2, c=0.1) * matern12(ls=2) + matern32(var=0.5) + "
                       "constant(var=0.3) + white(var=0.1)";
    kernel *k = kernel_parse(spec, 2, &err);
    CHECK(k != NULL, "%s", err.msg);
    size_t np = kernel_nparams(k);
    double X[60], W[900], dK[900], g[32];
    for (size_t i = 0; i < n; i++) {
        X[2 * i] = cos(1.3 * (double)i);
        X[2 * i + 1] = sin(0.7 * (double)i);
    }
    X[2] = X[0]; /* a duplicate input: white counts only on the diagonal */
    X[3] = X[1];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            W[i * n + j] = W[j * n + i] = sin(0.37 * (double)(i * n + j)) + (i == j ? 2.0 : 0.0);
    CHECK(kernel_gram_grad_dot(k, X, n, W, g, NULL, &err) == BL_OK, "%s", err.msg);
    for (size_t p = 0; p < np; p++) {
        CHECK(kernel_gram_grad(k, X, n, p, dK, NULL, &err) == BL_OK, "%s", err.msg);
        double s = 0.0, a = 0.0;
        for (size_t t = 0; t < n * n; t++) {
            s += W[t] * dK[t];
            a += fabs(W[t] * dK[t]);
        }
        CHECK(fabs(g[p] - s) <= 1e-12 * a, "%s: tr(W dK) %.15g, by matrices %.15g",
              kernel_param_name(k, p), g[p], s);
    }
    kernel *nn = kernel_parse("nngp(depth=2)", 2, &err);
    CHECK(kernel_gram_grad_dot(nn, X, n, W, g, NULL, &err) == BL_EINVAL, "nngp accepted");
    kernel_free(nn);
    kernel_free(k);
}

/* A problem with a closed-form optimum: constant(var) + noise s2 makes
 * Ky = var 11^T + s2 I, with eigenvalue n var + s2 along 1 and s2 on the
 * rest, so log ML = -0.5 (n log 2pi + log(n var + s2) + (n-1) log s2
 * + n ybar^2 / (n var + s2) + S / s2), S = sum (y - ybar)^2, is maximal at
 * s2 = S / (n - 1), var = ybar^2 - s2 / n. Converged from a start far off
 * (var 100x, noise 1/50). Tolerances from the stopping rule: f = -log ML
 * stops changing by GP_OPT_FTOL |f| = 1e-9 |f|, so log ML is right to
 * ~1e-9 relative and the parameters to ~sqrt(2e-9 |f| / curvature) ~ 1e-4
 * (curvature ~ n/2 in log s2, ~1/2 in log var). */
static void
test_known_optimum(void)
{
    bl_err err;
    const size_t n = 60;
    double X[60], y[60], ybar = 0.0, S = 0.0;
    for (size_t i = 0; i < n; i++) {
        X[i] = 0.1 * (double)i;
        y[i] = 1.5 + 0.4 * sin(2.3 * (double)i) + 0.2 * cos(7.1 * (double)i);
        ybar += y[i] / (double)n;
    }
    for (size_t i = 0; i < n; i++)
        S += (y[i] - ybar) * (y[i] - ybar);
    double s2 = S / (double)(n - 1), var = ybar * ybar - s2 / (double)n;
    double lml = -0.5 * ((double)n * log(2 * M_PI) + log((double)n * var + s2) +
                         (double)(n - 1) * log(s2) + (double)n * ybar * ybar / ((double)n * var + s2) +
                         S / s2);
    gp *g = gp_alloc(kernel_parse("constant(var=200)", 1, &err), s2 / 50, &err);
    CHECK(gp_fit(g, X, y, n, NULL, &err) == BL_OK, "%s", err.msg);
    gp_opt_result r;
    CHECK(gp_optimize(g, NULL, &r, NULL, &err) == BL_OK, "%s", err.msg);
    printf("known optimum: %zu iterations, %zu factorisations, %s, |grad| %.2g\n", r.iterations,
           r.evaluations, gp_opt_stop_name(r.stop), r.grad_norm);
    CHECK(r.converged && r.iterations < 40, "%zu iterations, stop %s", r.iterations,
          gp_opt_stop_name(r.stop));
    CHECK_REL(kernel_param_value(gp_kernel(g), 0), var, 1e-4);
    CHECK_REL(gp_noise(g), s2, 1e-4);
    CHECK_REL(r.log_ml_after, lml, 1e-9);
    CHECK_REL(gp_log_ml(g), lml, 1e-9);
    gp_free(g);
}

/* Cancel raised from the progress callback after 3 iterations: the best
 * point so far is installed (BL_OK, stop = interrupted), and it is better
 * than the start. */
typedef struct stopper {
    bl_cancel flag;
    size_t calls;
    double last;
} stopper;

static void
stop_at_3(void *ctx, size_t iter, double log_ml, double gnorm)
{
    stopper *st = ctx;
    (void)gnorm;
    st->calls++;
    st->last = log_ml;
    if (iter == 3)
        st->flag = 1;
}

static void
test_interrupt(void)
{
    bl_err err;
    double X[50], y[50];
    for (size_t i = 0; i < 50; i++) {
        X[i] = 0.2 * (double)i;
        y[i] = sin(X[i]) + 0.1 * cos(13.0 * (double)i);
    }
    gp *g = gp_alloc(kernel_parse("rbf(var=5, ls=3)", 1, &err), 0.5, &err);
    gp_fit(g, X, y, 50, NULL, &err);
    double before = gp_log_ml(g);
    stopper st = {0};
    gp_opt_opts o = {.progress = stop_at_3, .progress_ctx = &st};
    gp_opt_result r;
    CHECK(gp_optimize(g, &o, &r, &st.flag, &err) == BL_OK, "%s", err.msg);
    CHECK(r.stop == GP_OPT_INTERRUPTED && !r.converged && r.iterations == 3 && st.calls == 3,
          "stop %s after %zu iterations, %zu calls", gp_opt_stop_name(r.stop), r.iterations,
          st.calls);
    CHECK(r.log_ml_after > before && r.log_ml_after == st.last, "kept %g (start %g, last %g)",
          r.log_ml_after, before, st.last);
    CHECK_REL(gp_log_ml(g), r.log_ml_after, 1e-12);
    gp_free(g);
}

static void
test_bad_input(void)
{
    bl_err err;
    CHECK(gp_alloc(kernel_parse("rbf", 1, &err), -1, &err) == NULL &&
              strcmp(err.msg, "gp: noise=-1: must be >= 0 and finite") == 0,
          "noise: %s", err.msg);
    gp *g = d1_model(D1_SPEC, 0.01);
    double lml = gp_log_ml(g), x = NAN;
    CHECK(gp_observe(g, &x, 1, NULL, &err) == BL_EINVAL && strstr(err.msg, "x[1]=nan"), "nan x: %s",
          err.msg);
    x = 0;
    CHECK(gp_observe(g, &x, INFINITY, NULL, &err) == BL_EINVAL && gp_n(g) == 4 &&
              gp_log_ml(g) == lml,
          "inf y: %s", err.msg);
    double v;
    CHECK(gp_tp_log_ml(g, 0, 1, &v, &err) == BL_EINVAL &&
              strcmp(err.msg, "tp: a=0: must be > 0 and finite") == 0,
          "a: %s", err.msg);
    CHECK(gp_tp_log_ml(g, 1, -1, &v, &err) == BL_EINVAL, "b<0 accepted");
    gp_scale_prior pr = {GP_SCALE_BURR12, -1, 1};
    gp_scale_result r;
    CHECK(gp_scale_quad(g, &pr, NULL, 0, &r, &err) == BL_EINVAL &&
              strcmp(err.msg, "burr12 c=-1: must be > 0") == 0,
          "burr: %s", err.msg);
    pr = (gp_scale_prior){GP_SCALE_GAMMA, 1, 0};
    CHECK(gp_scale_quad(g, &pr, NULL, 0, &r, &err) == BL_EINVAL && strstr(err.msg, "scale=0"),
          "gamma: %s", err.msg);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    pr = (gp_scale_prior){GP_SCALE_BURR12, 2, 1};
    CHECK(gp_scale_is(g, &pr, GP_IS_PRIOR, 1, rng, NULL, 0, &r, &err) == BL_EINVAL, "nsamp 1");
    gsl_rng_free(rng);
    CHECK(gp_predict(g, XS, 0, &v, NULL, NULL, NULL, &err) == BL_EINVAL, "m=0");
    CHECK(gp_fit(g, XS, YTR, 0, NULL, &err) == BL_EINVAL && gp_n(g) == 4, "fit n=0");
    gp_free(g);
    g = gp_alloc(kernel_parse("rbf", 1, &err), 0.1, &err);
    CHECK(gp_optimize(g, NULL, NULL, NULL, &err) == BL_EINVAL && strstr(err.msg, "n=0"),
          "optimize n=0: %s", err.msg);
    /* prior predictive when empty */
    double m, vf, vy;
    gp_predict(g, XS, 1, &m, &vf, &vy, NULL, &err);
    CHECK(m == 0 && vf == 1 && fabs(vy - 1.1) < 1e-15, "prior predictive");
    CHECK(gp_log_ml(g) == 0, "empty log ML");
    gp_free(g);
    gp_free(NULL);
}

/* Block arrivals against the point path: every per-arrival number to 1e-10
 * relative (the issue-12 brief; both are backward-stable factorizations of
 * the same Ky, cond ~ 1e3 here), the factor too. Blocks from empty, after
 * points, of size 1, and several in a row. */
static void
block_vs_points(const char *spec, size_t d, double noise, const size_t *blocks, size_t nb)
{
    bl_err err;
    size_t n = 0;
    for (size_t b = 0; b < nb; b++)
        n += blocks[b];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n * d; i++)
        X[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < n; i++)
        y[i] = sin(X[i * d]) + 0.3 * gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);
    gp *pt = gp_alloc(kernel_parse(spec, d, &err), noise, &err);
    gp *bk = gp_alloc(kernel_parse(spec, d, &err), noise, &err);
    CHECK(pt && bk, "%s: %s", spec, err.msg);
    gp_arrival *a = malloc(n * sizeof *a);
    size_t t0 = 0, bad = 0;
    double worst = 0;
    for (size_t b = 0; b < nb; b++) {
        bool nj = true;
        CHECK(gp_observe_block(bk, X + t0 * d, y + t0, blocks[b], a + t0, &nj, NULL, &err) ==
                      BL_OK && !nj,
              "%s block %zu: %s", spec, b, err.msg);
        t0 += blocks[b];
    }
    for (size_t i = 0; i < n; i++) {
        double mu, vy, lp;
        gp_predict(pt, X + i * d, 1, &mu, NULL, &vy, NULL, &err);
        CHECK(gp_observe(pt, X + i * d, y[i], &lp, &err) == BL_OK, "%s", err.msg);
        const double got[6] = {a[i].mean, a[i].var, a[i].logpred, a[i].lml, a[i].q, a[i].logdet};
        const double want[6] = {mu, vy, lp, gp_log_ml(pt), gp_quad(pt), gp_logdet(pt)};
        for (int c = 0; c < 6; c++) {
            double e = fabs(got[c] - want[c]) / fmax(fabs(want[c]), 1e-300);
            if (c == 0 || c == 2) /* a mean or log density near 0: absolute below 1 */
                e = fabs(got[c] - want[c]) / fmax(fabs(want[c]), 1.0);
            worst = e > worst ? e : worst;
            bad += !(e <= 1e-10);
        }
    }
    CHECK(bad == 0, "%s: %zu per-arrival numbers differ from the point path (worst %.3g)", spec,
          bad, worst);
    printf("block vs point, %s, n=%zu in %zu blocks: worst relative difference %.2g\n", spec, n,
           nb, worst);
    CHECK(gp_n(bk) == n && gp_jitter(bk) == 0, "%s: n", spec);
    CHECK_REL(gp_log_ml(bk), gp_log_ml(pt), 1e-10);
    double *F1 = malloc(n * n * sizeof *F1), *F2 = malloc(n * n * sizeof *F2);
    gp_factor(bk, F1);
    gp_factor(pt, F2);
    double fe = 0;
    for (size_t i = 0; i < n * n; i++)
        fe = fmax(fe, fabs(F1[i] - F2[i]));
    CHECK(fe <= 1e-10 * sqrt(F2[0] * F2[0]), "%s: factors differ by %.3g", spec, fe);
    /* Later arrivals see the same posterior. */
    double m1, m2, v1, v2, *xs = malloc(d * sizeof *xs);
    for (size_t q = 0; q < d; q++)
        xs[q] = 0.5 * X[q] - 0.3 * X[d + q];
    gp_predict(bk, xs, 1, &m1, &v1, NULL, NULL, &err);
    gp_predict(pt, xs, 1, &m2, &v2, NULL, NULL, &err);
    free(xs);
    CHECK_ABS(m1, m2, 1e-10 * fmax(fabs(m2), 1));
    CHECK_REL(v1, v2, 1e-8); /* a small posterior variance: cancellation in k - v.v */
    free(F1);
    free(F2);
    free(a);
    free(X);
    free(y);
    gp_free(pt);
    gp_free(bk);
}

static void
test_block(void)
{
    const size_t one[] = {300}, mixed[] = {5, 1, 64, 130, 2}, after[] = {1, 299};
    block_vs_points("rbf(ls=0.8)", 2, 0.05, one, 1);
    block_vs_points("rbf(ls=0.8) + white(var=0.01)", 2, 0.05, mixed, 5);
    block_vs_points("matern32(ls=1.5) * linear(var=0.3)", 3, 0.1, after, 2);
    block_vs_points("nngp(act=relu, depth=10, sw2=2, sb2=0.1)", 10, 0.01, mixed, 5);
    block_vs_points("nngp(act=erf, depth=3, ntk=1)", 4, 0.01, one, 1);
    const size_t gh[] = {30, 1, 9};
    block_vs_points("nngp(act=tanh, depth=2, order=16)", 2, 0.05, gh, 3);

    /* The TP's per-arrival t from the block state equals gp_tp_logpdf. */
    bl_err err;
    gp *g = d1_model(D1_SPEC, 0.01);
    double x = 0.7, yv = 0.2, lp0, mu, vy;
    gp_tp_logpdf(g, 2, 3, &x, yv, &lp0, &err);
    gp_predict(g, &x, 1, &mu, NULL, &vy, NULL, &err);
    gp_tp_pred p;
    double lp1 = gp_tp_step(2, 3, (double)gp_n(g), gp_quad(g), mu, vy, yv, &p);
    CHECK(lp1 == lp0 && p.df == 8, "tp step %.17g vs %.17g", lp1, lp0);
    double l0, l1 = gp_tp_log_ml_at(2, 3, 4, gp_quad(g), gp_logdet(g));
    gp_tp_log_ml(g, 2, 3, &l0, &err);
    CHECK(l0 == l1, "tp log ml at");
    gp_scale_prior pr = {GP_SCALE_BURR12, 2, 1};
    gp_scale_result q0, q1;
    gp_scale_quad(g, &pr, &x, yv, &q0, &err);
    gp_scale_quad_at(&pr, 4, gp_quad(g), gp_logdet(g), true, mu, vy, yv, &q1, &err);
    CHECK(q0.logpdf == q1.logpdf && q0.log_ml == q1.log_ml && q0.pred_var == q1.pred_var,
          "scale quad at");
    gp_free(g);

    /* A block that would need jitter changes nothing and says so; the point
     * path then takes it with the ladder. Duplicates at noise 0. */
    g = gp_alloc(kernel_parse("rbf", 1, &err), 0, &err);
    const double Xd[4] = {0.1, 0.5, 0.5, 0.9}, Yd[4] = {0.3, -0.2, -0.2, 0.4};
    bool nj = false;
    CHECK(gp_observe_block(g, Xd, Yd, 4, NULL, &nj, NULL, &err) == BL_OK && nj && gp_n(g) == 0 &&
              gp_log_ml(g) == 0,
          "jitter block: nj=%d n=%zu", nj, gp_n(g));
    for (int i = 0; i < 4; i++)
        CHECK(gp_observe(g, Xd + i, Yd[i], NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(gp_jitter(g) > 0, "point path jittered");
    /* Bad input: refused, nothing changes. */
    double lml = gp_log_ml(g), Xb[2] = {0.2, NAN}, Yb[2] = {0, 0};
    CHECK(gp_observe_block(g, Xb, Yb, 2, NULL, &nj, NULL, &err) == BL_EINVAL && gp_n(g) == 4 &&
              gp_log_ml(g) == lml && strstr(err.msg, "x[2]=nan"),
          "nan block: %s", err.msg);
    CHECK(gp_observe_block(g, Xb, Yb, 0, NULL, &nj, NULL, &err) == BL_OK && gp_n(g) == 4, "m=0");
    gp_free(g);
}

/* ---- mean functions (docs/math.md §5.4) ---------------------------------- */

#define MN 40
static void
mean_data(double *X, double *y)
{
    for (size_t i = 0; i < MN; i++) {
        X[i] = -2.0 + 4.0 * (double)i / (MN - 1);
        y[i] = 5.0 + 2.0 * X[i] + sin(3.0 * X[i]) + 0.1 * cos(17.0 * (double)i);
    }
}

static gp *
mean_gp(gp_mean_kind kind, const double *beta, bl_err *err)
{
    gp *g = gp_alloc(kernel_parse("rbf(var=1.5, ls=0.6)", 1, err), 0.05, err);
    if (g != NULL && gp_set_mean(g, kind, beta, err) != BL_OK) {
        gp_free(g);
        g = NULL;
    }
    return g;
}

static void
test_mean(void)
{
    bl_err err;
    double X[MN], y[MN], r[MN], xs[3] = {-2.5, 0.3, 2.7};
    mean_data(X, y);
    const double bc[1] = {4.2}, bl[2] = {4.5, 1.8};
    const gp_mean_kind kinds[3] = {GP_MEAN_CONST, GP_MEAN_LINEAR, GP_MEAN_DATA};
    const double *betas[3] = {bc, bl, NULL};
    for (int k = 0; k < 3; k++) {
        /* The same model three ways: points, one block, a batch fit. */
        gp *a = mean_gp(kinds[k], betas[k], &err), *b = mean_gp(kinds[k], betas[k], &err),
           *c = mean_gp(kinds[k], betas[k], &err);
        CHECK(a && b && c, "%s: %s", gp_mean_name(kinds[k]), err.msg);
        if (!a || !b || !c)
            return;
        gp_arrival arr[MN];
        double lp[MN];
        bool nj;
        for (size_t i = 0; i < MN; i++)
            CHECK(gp_observe(a, &X[i], y[i], &lp[i], &err) == BL_OK, "%s", err.msg);
        CHECK(gp_observe_block(b, X, y, MN, arr, &nj, NULL, &err) == BL_OK && !nj, "%s", err.msg);
        CHECK(gp_fit(c, X, y, MN, NULL, &err) == BL_OK, "%s", err.msg);
        double worst = 0;
        for (size_t i = 0; i < MN; i++)
            worst = fmax(worst, fabs(arr[i].logpred - lp[i]) / fmax(fabs(lp[i]), 1));
        CHECK(worst <= 1e-10, "%s: block vs point log predictives: %g", gp_mean_name(kinds[k]),
              worst);
        CHECK_REL(gp_log_ml(b), gp_log_ml(a), 1e-10);
        CHECK_REL(gp_log_ml(c), gp_log_ml(a), 1e-10);
        CHECK_REL(arr[MN - 1].lml, gp_log_ml(a), 1e-10);
        CHECK_REL(gp_quad(b), gp_quad(a), 1e-10);
        /* Independent: the zero-mean GP on the residuals y - m(x), its
         * predictions shifted back by m(x*). */
        double m0 = 0;
        if (kinds[k] == GP_MEAN_DATA) {
            for (size_t i = 0; i < MN; i++)
                m0 += y[i] / MN;
            double x0 = 0;
            CHECK_REL(gp_mean_at(a, &x0), m0, 1e-14);
        }
        for (size_t i = 0; i < MN; i++)
            r[i] = y[i] - (k == 0 ? bc[0] : k == 1 ? bl[0] + bl[1] * X[i] : m0);
        gp *z = mean_gp(GP_MEAN_ZERO, NULL, &err);
        CHECK(z && gp_fit(z, X, r, MN, NULL, &err) == BL_OK, "%s", err.msg);
        CHECK_REL(gp_log_ml(a), gp_log_ml(z), 1e-10);
        double ma[3], mz[3], va[3], vz[3], F[3], Fz[3], Z[3] = {0.3, -1.1, 0.8};
        gp_predict(a, xs, 3, ma, va, NULL, NULL, &err);
        gp_predict(z, xs, 3, mz, vz, NULL, NULL, &err);
        CHECK(gp_draws(a, xs, 3, Z, 1, F, NULL, &err) == BL_OK, "%s", err.msg);
        gp_draws(z, xs, 3, Z, 1, Fz, NULL, &err);
        for (size_t t = 0; t < 3; t++) {
            double mt = k == 0 ? bc[0] : k == 1 ? bl[0] + bl[1] * xs[t] : m0;
            CHECK_REL(ma[t], mz[t] + mt, 1e-10);
            CHECK_REL(va[t], vz[t], 1e-10);
            CHECK_REL(F[t], Fz[t] + mt, 1e-10);
        }
        /* The gradient w.r.t. the mean's parameters, (dm/dbeta)^T alpha,
         * against central differences of the batch log ML (exact for a
         * quadratic: step 1e-3, tolerance 1e-7 relative). */
        size_t np = kernel_nparams(gp_kernel(a)), nm = gp_mean_nparams(a);
        CHECK(nm == (size_t)(k == 0 ? 1 : k == 1 ? 2 : 0), "nparams %zu", nm);
        double g[8], lml;
        CHECK(gp_log_ml_grad(c, g, &lml, &err) == BL_OK, "%s", err.msg);
        for (size_t j = 0; j < nm; j++) {
            double bp[2] = {betas[k][0], k == 1 ? betas[k][1] : 0}, bm[2];
            memcpy(bm, bp, sizeof bm);
            const double h = 1e-3;
            bp[j] += h;
            bm[j] -= h;
            gp *p = mean_gp(kinds[k], bp, &err), *m = mean_gp(kinds[k], bm, &err);
            gp_fit(p, X, y, MN, NULL, &err);
            gp_fit(m, X, y, MN, NULL, &err);
            double fd = (gp_log_ml(p) - gp_log_ml(m)) / (2 * h);
            CHECK(fabs(g[np + j] - fd) <= 1e-7 * fmax(fabs(fd), 1), "%s: d/d%s %g vs %g",
                  gp_mean_name(kinds[k]), gp_mean_param_name(a, j), g[np + j], fd);
            gp_free(p);
            gp_free(m);
        }
        /* The noise's component sits after the mean's. */
        CHECK(isfinite(g[np + nm]), "noise gradient");
        gp_free(z);
        gp_free(a);
        gp_free(b);
        gp_free(c);
    }
    CHECK(strcmp(gp_mean_name(GP_MEAN_LINEAR), "linear") == 0, "names");

    /* optimize with the linear mean: at the end the mean's gradient is ~0
     * (its parameters are the generalised least squares fit under the final
     * kernel), and a held kernel parameter does not move. */
    gp *o = mean_gp(GP_MEAN_LINEAR, NULL, &err);
    CHECK(o && gp_fit(o, X, y, MN, NULL, &err) == BL_OK, "%s", err.msg);
    bool fix[4] = {false, true, false, false}; /* rbf.ls held; the mean free */
    gp_opt_opts oo = {.fix = fix};
    gp_opt_result res;
    CHECK(gp_optimize(o, &oo, &res, NULL, &err) == BL_OK && res.converged, "optimize: %s",
          err.msg);
    CHECK_REL(kernel_param_value(gp_kernel(o), 1), 0.6, 1e-15);
    double g[8];
    CHECK(gp_log_ml_grad(o, g, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(fabs(g[2]) < 1e-3 && fabs(g[3]) < 1e-3, "mean gradient at the optimum: %g %g", g[2],
          g[3]);
    CHECK(res.log_ml_after > res.log_ml_before, "no gain");
    CHECK(gp_mean_param_value(o, 1) > 1.0 && gp_mean_param_value(o, 1) < 3.0, "slope %g",
          gp_mean_param_value(o, 1));
    CHECK(strcmp(gp_mean_param_name(o, 0), "mean.a") == 0 &&
              strcmp(gp_mean_param_name(o, 1), "mean.b") == 0 && gp_mean_param_name(o, 2) == NULL,
          "linear names");
    /* refusals */
    CHECK(gp_set_mean(o, GP_MEAN_CONST, NULL, &err) == BL_EINVAL, "mean set after data");
    gp_free(o);
}

/* The optimizer's one pass per evaluation (kernel_pairs, with its memo of
 * the held period) and the two passes it falls back to above the memory cap
 * (pairs_max = 1 byte) follow the same path bit for bit. */
static void
test_pairs_cap(void)
{
    bl_err err;
    enum { PN = 80 };
    double X[PN], y[PN];
    for (size_t i = 0; i < PN; i++) {
        X[i] = 0.125 * (double)i;
        y[i] = sin(4.0 * X[i]) + 0.1 * X[i] + 0.2 * cos(17.0 * (double)i);
    }
    const char *spec = "rbf(var=1, ls=2) * periodic(ls=1, period=1.6) + rq(var=0.3, ls=0.5, "
                       "alpha=1)";
    bool fix[8] = {false, false, false, false, true}; /* periodic.period */
    gp_opt_result r[2];
    double th[2][8], nz[2];
    for (int pass = 0; pass < 2; pass++) {
        gp *g = gp_alloc(kernel_parse(spec, 1, &err), 0.1, &err);
        CHECK(g && gp_fit(g, X, y, PN, NULL, &err) == BL_OK, "%s", err.msg);
        if (g == NULL)
            return;
        gp_opt_opts o = {.fix = fix, .pairs_max = pass == 0 ? 0 : 1};
        CHECK(gp_optimize(g, &o, &r[pass], NULL, &err) == BL_OK, "%s", err.msg);
        kernel_get_theta(gp_kernel(g), th[pass]);
        nz[pass] = gp_noise(g);
        gp_free(g);
    }
    CHECK(r[0].converged && r[0].log_ml_after > r[0].log_ml_before + 1.0, "log ML %g -> %g",
          r[0].log_ml_before, r[0].log_ml_after);
    CHECK(r[0].log_ml_after == r[1].log_ml_after && r[0].iterations == r[1].iterations &&
              r[0].evaluations == r[1].evaluations && r[0].grad_norm == r[1].grad_norm &&
              memcmp(th[0], th[1], 8 * sizeof th[0][0]) == 0 && nz[0] == nz[1],
          "one pass: %.17g in %zu iterations, two passes: %.17g in %zu", r[0].log_ml_after,
          r[0].iterations, r[1].log_ml_after, r[1].iterations);
    CHECK(th[0][4] == log(1.6), "the held period moved: %g", exp(th[0][4]));
}

int
main(void)
{
    TEST_INIT();
    test_d1();
    test_tp_limit();
    test_incremental();
    test_jitter();
    test_optimize();
    test_lml_grad();
    test_grad_dot();
    test_known_optimum();
    test_interrupt();
    test_bad_input();
    test_block();
    test_mean();
    test_pairs_cap();
    return TEST_REPORT();
}
