/* tests/test_dkm.c - core/dkm (docs/dkm.md).
 * Gradient: central differences of F at a point off the NNGP Grams, step
 * 1e-5 (truncation O(h^2 F''') ~ 1e-10, rounding eps |F| / h ~ 1e-10): 1e-6
 * relative to max |grad| for every closed-form activation.
 * nu -> infinity: at nu = 1e8 the optimum is within O(1/nu) of the NNGP
 * Grams; 1e-6 relative (max entry). The start (the NNGP Grams) has F =
 * the nngp GP's log marginal likelihood: 1e-9 relative (two Cholesky
 * factorisations of the same matrix).
 * Stationary point: L-BFGS to max |grad| <= 1e-5 at nu = 1 (n = 12; the
 * optimiser's default), and max |dF/dV| <= 1e-3 in the unpreconditioned
 * parameters (dF/dV = P^-T dF/dU, P the NNGP Gram's Cholesky factor, whose
 * inverse has entries of order 30 here: 2.8e-4 measured for erf).
 * Predictive: at nu = infinity the NNGP GP's (1e-9); after optimising, at a
 * training input it reduces to the Gaussian conditional on G_L's row
 * (1e-8); an arrival leaves the KL terms as they were (chain rule of the
 * KL), so F after it equals a fresh evaluation (1e-8). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/dkm/dkm.h"
#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"
#include "harness.h"

#define D 2

static void
data(size_t n, unsigned long seed, double *X, double *y)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t q = 0; q < D; q++)
            X[i * D + q] = gsl_ran_gaussian(r, 1.0);
        y[i] = sin(2.0 * X[i * D]) + 0.5 * X[i * D + 1] + gsl_ran_gaussian(r, 0.1);
    }
    gsl_rng_free(r);
}

static dkm_opts
opts(nngp_act act, size_t L, double nu)
{
    dkm_opts o = {.act = act, .depth = L, .sw2 = 2.0, .sb2 = 0.1, .slope = 0.2, .noise = 0.3};
    if (act == NNGP_ERF)
        o.sw2 = 1.5;
    for (size_t l = 0; l < L; l++)
        o.nu[l] = nu * (1.0 + 0.3 * (double)l);
    return o;
}

static dkm *
make(const dkm_opts *o, size_t n, unsigned long seed)
{
    double *X = malloc(n * D * sizeof *X), *y = malloc(n * sizeof *y);
    data(n, seed, X, y);
    bl_err err;
    dkm *m = dkm_alloc(D, o, &err);
    CHECK(m != NULL, "dkm_alloc: %s", err.msg);
    if (m && dkm_set_data(m, X, y, n, &err) != BL_OK) {
        CHECK(0, "dkm_set_data: %s", err.msg);
        dkm_free(m);
        m = NULL;
    }
    free(X);
    free(y);
    return m;
}

static void
test_gradient(nngp_act act)
{
    dkm_opts o = opts(act, 3, 0.7);
    size_t n = 7;
    dkm *m = make(&o, n, 3);
    if (!m)
        return;
    size_t dim = dkm_dim(m);
    double *th = malloc(dim * sizeof *th), *g = malloc(dim * sizeof *g);
    dkm_get_params(m, th);
    /* Off the NNGP Grams, where every term of the gradient is non-zero. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < dim; i++)
        th[i] += gsl_ran_gaussian(r, 0.05);
    gsl_rng_free(r);
    double F;
    bl_err err;
    int rc = dkm_eval(m, th, &F, g, NULL, &err);
    CHECK(rc == BL_OK, "eval: %s", err.msg);
    double gmax = 0.0, emax = 0.0, h = 1e-5;
    for (size_t i = 0; i < dim; i++)
        gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < dim; i++) {
        double t0 = th[i], fp, fm;
        th[i] = t0 + h;
        dkm_eval(m, th, &fp, NULL, NULL, &err);
        th[i] = t0 - h;
        dkm_eval(m, th, &fm, NULL, NULL, &err);
        th[i] = t0;
        emax = fmax(emax, fabs((fp - fm) / (2 * h) - g[i]));
    }
    CHECK(emax <= 1e-6 * gmax, "%s: gradient vs central differences: max err %.3g, max |g| %.3g",
          nngp_act_name(act), emax, gmax);
    free(th);
    free(g);
    dkm_free(m);
}

/* The nngp GP on the same data: log ML and predictive. */
static gp *
nngp_gp(const dkm_opts *o, const double *X, const double *y, size_t n)
{
    nngp_opts no = nngp_opts_default();
    no.act = o->act;
    no.depth = o->depth;
    no.sw2 = o->sw2;
    no.sb2 = o->sb2;
    no.slope = o->slope;
    bl_err err;
    kernel *k = kernel_alloc_nngp(D, &no, false, &err);
    gp *g = k ? gp_alloc(k, o->noise * o->noise, &err) : NULL;
    CHECK(g != NULL, "gp: %s", err.msg);
    if (g && gp_fit(g, X, y, n, NULL, &err) != BL_OK)
        CHECK(0, "gp_fit: %s", err.msg);
    return g;
}

static void
test_nngp_limit(void)
{
    size_t n = 25, L = 2, ns = 5;
    dkm_opts o = opts(NNGP_RELU, L, 1e8);
    double X[25 * D], y[25], Xs[5 * D], ys[5];
    data(n, 11, X, y);
    data(ns, 12, Xs, ys);
    bl_err err;
    dkm *batch = dkm_alloc(D, &o, &err), *live = dkm_alloc(D, &o, &err);
    CHECK(batch && live, "alloc: %s", err.msg);
    if (!batch || !live)
        return;
    CHECK(dkm_set_data(batch, X, y, n, &err) == BL_OK, "set_data: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        CHECK(dkm_observe(live, X + i * D, y[i], NULL, NULL, NULL, &err) == BL_OK, "observe: %s",
              err.msg);
    gp *g = nngp_gp(&o, X, y, n);
    dkm_terms tb, tl;
    dkm_get_terms(batch, &tb);
    dkm_get_terms(live, &tl);
    CHECK_REL(tb.objective, gp_log_ml(g), 1e-9);
    CHECK_REL(tl.objective, gp_log_ml(g), 1e-9);
    /* A fresh evaluation at the start: KLs are rounding (tr K^-1 K - n). */
    double *th = malloc(dkm_dim(batch) * sizeof *th), F;
    dkm_get_params(batch, th);
    dkm_terms te;
    CHECK(dkm_eval(batch, th, &F, NULL, &te, &err) == BL_OK, "eval: %s", err.msg);
    CHECK_REL(te.loglik, gp_log_ml(g), 1e-9);
    CHECK_ABS(te.kl[0], 0.0, 1e-9);
    CHECK_ABS(te.kl[1], 0.0, 1e-9);
    free(th);
    /* Predictive at nu = infinity: the NNGP GP's. */
    double mb[5], vb[5], ml[5], vl[5], mg[5], vg[5];
    dkm_predict(batch, Xs, ns, mb, NULL, vb, &err);
    dkm_predict(live, Xs, ns, ml, NULL, vl, &err);
    gp_predict(g, Xs, ns, mg, NULL, vg, NULL, &err);
    for (size_t s = 0; s < ns; s++) {
        CHECK_ABS(mb[s], mg[s], 1e-9);
        CHECK_ABS(ml[s], mg[s], 1e-9);
        CHECK_REL(vb[s], vg[s], 1e-9);
        CHECK_REL(vl[s], vg[s], 1e-9);
    }
    /* Optimised at nu = 1e8: the Grams stay at the NNGP's to 1e-6. */
    dkm_iter_info info;
    int rc = dkm_iterate(batch, 500, 1e-7, NULL, NULL, &info, NULL, &err);
    CHECK(rc == BL_OK, "iterate: %s", err.msg);
    CHECK(info.total > 0 && info.stop != DKM_STALLED, "nu=1e8: %zu iterations, %s", info.total,
          dkm_stop_name(info.stop));
    nngp_opts no = nngp_opts_default();
    no.act = o.act, no.depth = L, no.sw2 = o.sw2, no.sb2 = o.sb2;
    nngp *nm = nngp_alloc(D, &no, &err);
    double *K[3], *G = malloc(n * n * sizeof *G);
    for (size_t l = 0; l <= L; l++)
        K[l] = malloc(n * n * sizeof *K[l]);
    nngp_gram_layers(nm, X, n, K, NULL, NULL, &err);
    for (size_t l = 0; l <= L; l++) {
        dkm_gram(batch, l, G, &err);
        double e = 0.0, s = 0.0;
        for (size_t i = 0; i < n * n; i++) {
            e = fmax(e, fabs(G[i] - K[l][i]));
            s = fmax(s, fabs(K[l][i]));
        }
        CHECK(e <= 1e-6 * s, "nu=1e8: layer %zu max |G - K_nngp| = %.3g (max |K| %.3g)", l + 1, e,
              s);
        if (l > 0) {
            double dist;
            dkm_nngp_distance(batch, l, &dist, &err);
            CHECK(dist <= 1e-6, "nngp_distance of layer %zu = %.3g", l, dist);
        }
        free(K[l]);
    }
    dkm_get_terms(batch, &tb);
    CHECK(tb.objective >= gp_log_ml(g) - 1e-9 * fabs(gp_log_ml(g)),
          "optimised objective %.12g below the start %.12g", tb.objective, gp_log_ml(g));
    CHECK_ABS(tb.objective, gp_log_ml(g), 1e-3); /* O(1/nu) above */
    free(G);
    nngp_free(nm);
    gp_free(g);
    dkm_free(batch);
    dkm_free(live);
}

static void
test_stationary(nngp_act act)
{
    size_t n = 12, L = 2;
    dkm_opts o = opts(act, L, 1.0);
    dkm *m = make(&o, n, 5);
    if (!m)
        return;
    dkm_terms t0, t1;
    dkm_get_terms(m, &t0);
    dkm_iter_info info = {0};
    bl_err err;
    int rc = BL_OK;
    /* Steps of 7, as a paced job would drive it. */
    for (int k = 0; k < 300 && rc == BL_OK; k++) {
        rc = dkm_iterate(m, 7, 1e-5, NULL, NULL, &info, NULL, &err);
        if (info.stop != DKM_RUNNING)
            break;
    }
    CHECK(rc == BL_OK, "iterate: %s", err.msg);
    CHECK(info.stop == DKM_GRADIENT, "%s: stopped by %s after %zu iterations, |grad| %.3g",
          nngp_act_name(act), dkm_stop_name(info.stop), info.total, info.grad_norm);
    CHECK(info.grad_norm <= 1e-5, "|grad| = %.3g", info.grad_norm);
    dkm_get_terms(m, &t1);
    CHECK(t1.objective > t0.objective + 1e-3, "%s: objective %.10g not above the NNGP's %.10g",
          nngp_act_name(act), t1.objective, t0.objective);
    double dist;
    dkm_nngp_distance(m, L, &dist, &err);
    CHECK(dist > 1e-3, "%s: G_L did not move (distance %.3g)", nngp_act_name(act), dist);
    /* Fresh evaluation at the optimum: the state's terms, and the gradient
     * in the V parameters (not the optimiser's preconditioned ones) small. */
    double *th = malloc(dkm_dim(m) * sizeof *th), F;
    double *gv = malloc(dkm_dim(m) * sizeof *gv), gvmax = 0.0;
    dkm_get_params(m, th);
    dkm_eval(m, th, &F, gv, NULL, &err);
    for (size_t i = 0; i < dkm_dim(m); i++)
        gvmax = fmax(gvmax, fabs(gv[i]));
    CHECK_REL(F, t1.objective, 1e-12);
    CHECK(gvmax <= 1e-3, "%s: max |dF/dV| = %.3g at the optimum", nngp_act_name(act), gvmax);
    free(gv);
    free(th);

    /* Predictive at a training input: the Gaussian conditional on G_L's row. */
    double X[12 * D], y[12];
    data(n, 5, X, y);
    double *G = malloc(n * n * sizeof *G), *A = malloc(n * n * sizeof *A);
    dkm_gram(m, L, G, &err);
    memcpy(A, G, n * n * sizeof *A);
    for (size_t i = 0; i < n; i++)
        A[i * n + i] += o.noise * o.noise;
    gsl_matrix_view Av = gsl_matrix_view_array(A, n, n);
    gsl_linalg_cholesky_decomp1(&Av.matrix);
    for (size_t i = 0; i < n; i += 5) {
        double a[12], b[12];
        for (size_t j = 0; j < n; j++)
            a[j] = b[j] = G[i * n + j];
        gsl_vector_view av = gsl_vector_view_array(a, n);
        gsl_linalg_cholesky_svx(&Av.matrix, &av.vector);
        double mean = 0.0, var = G[i * n + i];
        for (size_t j = 0; j < n; j++) {
            mean += a[j] * y[j];
            var -= a[j] * b[j];
        }
        double mu, vf;
        dkm_predict(m, X + i * D, 1, &mu, &vf, NULL, &err);
        CHECK_ABS(mu, mean, 1e-8);
        CHECK_ABS(vf, var, 1e-8);
    }
    free(G);
    free(A);
    /* An arrival keeps the KLs; F then equals a fresh evaluation. */
    double xn[D] = {0.3, -0.7}, lp;
    CHECK(dkm_observe(m, xn, 0.25, &lp, NULL, NULL, &err) == BL_OK, "observe: %s", err.msg);
    dkm_terms t2;
    dkm_get_terms(m, &t2);
    CHECK_REL(t2.objective, t1.objective + lp, 1e-12);
    th = malloc(dkm_dim(m) * sizeof *th);
    dkm_get_params(m, th);
    dkm_terms te;
    dkm_eval(m, th, &F, NULL, &te, &err);
    CHECK_REL(F, t2.objective, 1e-8);
    for (size_t l = 0; l < L; l++)
        CHECK_ABS(te.kl[l], t1.kl[l], 1e-8 * fmax(1.0, t1.kl[l]));
    free(th);
    dkm_free(m);
}

static void
test_refusals(void)
{
    dkm_opts o = opts(NNGP_TANH, 2, 1.0);
    bl_err err;
    CHECK(dkm_alloc(D, &o, &err) == NULL && err.code == BL_EINVAL, "tanh refused");
    CHECK(strstr(err.msg, "relu, erf, leaky_relu, abs") != NULL, "message lists the choices: %s",
          err.msg);
    o = opts(NNGP_RELU, 2, 1.0);
    o.nu[1] = 0;
    CHECK(dkm_alloc(D, &o, &err) == NULL && strstr(err.msg, "nu=0") != NULL, "nu=0: %s", err.msg);
    o = opts(NNGP_RELU, 2, 1.0);
    dkm *m = dkm_alloc(D, &o, &err);
    dkm_iter_info info;
    CHECK(dkm_iterate(m, 5, 0, NULL, NULL, &info, NULL, &err) == BL_ESTATE, "no data");
    dkm_free(m);
}

int
main(void)
{
    TEST_INIT();
    test_gradient(NNGP_RELU);
    test_gradient(NNGP_ERF);
    test_gradient(NNGP_LEAKY_RELU);
    test_gradient(NNGP_ABS);
    test_nngp_limit();
    test_stationary(NNGP_RELU);
    test_stationary(NNGP_ERF);
    test_refusals();
    return TEST_REPORT();
}
