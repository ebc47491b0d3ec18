/* tests/bench/bench_sampler.c - speed of the sampler hot path.
 *
 * Prints, measured in the same run (CLOCK_MONOTONIC, median of 5 repeats):
 *  (a) gradient evaluations/s of the data-backed BLR posterior target
 *      (target_eval: U and grad U) at d = 100, n = 10000, against the same
 *      arithmetic as one plain gsl_blas_dgemv pair (r = Xw - y, then X^T r) on
 *      the same arrays, and their ratio (target: within 1.5x);
 *  (b) ESS per second of HMC against RWM on that target (minimum over the
 *      coordinates of the Geyer ESS, chains started at the exact mean so no
 *      burn-in is needed; HMC eps = 0.003 (eps sqrt(lambda) ~ 0.3 per step over
 *      lambda in ~[8100, 12100]),
 *      L = 6 (~ a quarter period, nearly antithetic draws); RWM sigma = 2.38 sd/sqrt(d));
 *  (c) ESS per second of dual-averaging NUTS (adapt=1: Stan's warm-up, 500
 *      iterations, delta 0.8, diagonal metric) against (b)'s HMC without
 *      adaptation, from a start 3 sd off the mean: the post-warm-up
 *      acceptance statistic against delta, and ESS/s over the sampling time
 *      alone and with the warm-up counted.
 * Never part of the test suite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/stats/diag.h"
#include "core/mcmc/sampler.h"
#include "core/mcmc/target.h"

#include "bench_util.h"

#define D    100
#define N    10000
#define REPS 5

static double
min_ess(const double *x, size_t n, size_t d)
{
    double m = INFINITY, e;
    bl_err err;
    for (size_t j = 0; j < d; j++)
        if (diag_ess(x + j, n, d, &e, NULL, &err) == BL_OK)
            m = fmin(m, e);
    return m;
}

int
main(void)
{
    gsl_set_error_handler_off();
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    double *X = malloc((size_t)N * D * sizeof *X), *y = malloc(N * sizeof *y);
    double *w = malloc(D * sizeof *w), *g = malloc(D * sizeof *g), *r = malloc(N * sizeof *r);
    for (size_t i = 0; i < (size_t)N; i++) {
        y[i] = 0.0;
        for (size_t j = 0; j < D; j++) {
            X[i * D + j] = gsl_ran_gaussian(rng, 1.0);
            y[i] += X[i * D + j] * sin((double)j);
        }
        y[i] += gsl_ran_gaussian(rng, 1.0);
    }
    target *t = target_blr_data_alloc(N, D, X, y, 1.0, 1.0, &err);
    if (t == NULL) {
        fprintf(stderr, "bench_sampler: %s\n", err.msg);
        return 1;
    }
    for (size_t j = 0; j < D; j++)
        w[j] = 0.01 * (double)j;

    /* (a) gradient throughput. */
    const int ng = 400;
    double tt[REPS], tb[REPS], U, sink = 0.0;
    gsl_matrix_const_view Xv = gsl_matrix_const_view_array(X, N, D);
    gsl_vector_const_view wv = gsl_vector_const_view_array(w, D);
    gsl_vector_view rv = gsl_vector_view_array(r, N), gv = gsl_vector_view_array(g, D);
    for (int k = 0; k < REPS; k++) {
        double t0 = now();
        for (int i = 0; i < ng; i++) {
            target_eval(t, w, &U, g, &err);
            sink += g[0];
        }
        tt[k] = (now() - t0) / ng;
        t0 = now();
        for (int i = 0; i < ng; i++) {
            memcpy(r, y, N * sizeof *r);
            gsl_blas_dgemv(CblasNoTrans, 1.0, &Xv.matrix, &wv.vector, -1.0, &rv.vector);
            gsl_blas_dgemv(CblasTrans, 1.0, &Xv.matrix, &rv.vector, 0.0, &gv.vector);
            sink += g[0];
        }
        tb[k] = (now() - t0) / ng;
    }
    double mt = median(tt, REPS), mb = median(tb, REPS);
    printf("blr_data grad d=%d n=%d: target %.0f evals/s, dgemv pair %.0f/s, ratio %.2fx "
           "(target <= 1.5x)\n",
           D, N, 1.0 / mt, 1.0 / mb, mt / mb);

    /* (b) ESS per second, HMC vs RWM. */
    double mean[D];
    target_moments(t, mean, NULL);
    double *cov = malloc(D * D * sizeof *cov);
    target_moments(t, NULL, cov);
    double sd = sqrt(cov[0]);
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0.003;
    o.leapfrog = 6;
    o.sigma = 2.38 * sd / sqrt((double)D);
    size_t nh = 1000, nr = 20000;
    double *xh = malloc(nh * D * sizeof *xh), *xr = malloc(nr * D * sizeof *xr);
    sampler *sh = sampler_alloc(&sampler_type_hmc, t, &o, mean, &err);
    sampler *sr = sampler_alloc(&sampler_type_rwm, t, &o, mean, &err);
    double t0 = now();
    sampler_run(sh, nh, rng, xh, NULL, NULL, &err);
    double th = now() - t0;
    t0 = now();
    sampler_run(sr, nr, rng, xr, NULL, NULL, &err);
    double trw = now() - t0;
    double eh = min_ess(xh, nh, D), er = min_ess(xr, nr, D);
    sampler_stats sth, str;
    sampler_get_stats(sh, &sth);
    sampler_get_stats(sr, &str);
    printf("hmc (eps %.3g, L %zu): %zu draws in %.2fs, accept %.2f, min ESS %.0f, %.1f ESS/s\n",
           o.step, o.leapfrog, nh, th, sth.accept_rate, eh, eh / th);
    printf("rwm (sigma %.2g): %zu draws in %.2fs, accept %.2f, min ESS %.1f, %.1f ESS/s\n", o.sigma,
           nr, trw, str.accept_rate, er, er / trw);
    printf("ESS/s ratio hmc/rwm: %.1fx\n", (eh / th) / (er / trw));

    /* (c) dual-averaging NUTS vs HMC without adaptation. */
    sampler_opts on;
    sampler_opts_default(&on);
    on.adapt = true;
    on.warmup = 500;
    on.step = 0.003;
    double start[D];
    for (size_t j = 0; j < D; j++)
        start[j] = mean[j] + 3.0 * sqrt(cov[j * D + j]);
    size_t nn = 1000;
    double *xn = malloc(nn * D * sizeof *xn);
    sampler *sn = sampler_alloc(&sampler_type_nuts, t, &on, start, &err);
    sampler_event *ev = sampler_event_alloc(D, 0, &err);
    if (sn == NULL || xn == NULL || ev == NULL) {
        fprintf(stderr, "bench_sampler: %s\n", err.msg);
        return 1;
    }
    t0 = now();
    sampler_run(sn, on.warmup, rng, NULL, NULL, NULL, &err);
    double tw = now() - t0, acc = 0;
    t0 = now();
    for (size_t i = 0; i < nn; i++) {
        sampler_step(sn, rng, ev, &err);
        acc += ev->accept_prob / (double)nn;
        memcpy(xn + i * D, sampler_state(sn), D * sizeof *xn);
    }
    double tn = now() - t0, en = min_ess(xn, nn, D);
    sampler_stats stn;
    sampler_get_stats(sn, &stn);
    printf("nuts adapt=1 (warmup %zu, delta %.2g, diag metric): step %.3g, accept stat %.3f "
           "(delta %+.3f), %zu draws in %.2fs (+%.2fs warm-up), min ESS %.0f, %.1f ESS/s "
           "(%.1f with warm-up), %zu grads\n",
           on.warmup, on.delta, sampler_options(sn)->step, acc, acc - on.delta, nn, tn, tw, en,
           en / tn, en / (tn + tw), stn.grad_evals);
    printf("ESS/s ratio nuts adapt=1 / hmc fixed: %.1fx (%.1fx with warm-up)\n",
           (en / tn) / (eh / th), (en / (tn + tw)) / (eh / th));
    sampler_event_free(ev);
    sampler_free(sn);
    free(xn);
    if (sink == 42.0)
        printf("%g\n", sink);
    sampler_free(sh);
    sampler_free(sr);
    target_free(t);
    free(X);
    free(y);
    free(w);
    free(g);
    free(r);
    free(cov);
    free(xh);
    free(xr);
    gsl_rng_free(rng);
    return 0;
}
