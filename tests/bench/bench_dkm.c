/* tests/bench/bench_dkm.c - one DKM evaluation (objective and gradient,
 * dkm_eval) at n = 300, L = 2, relu, d = 5, against one LAPACKE_dpotrf of
 * a 300 x 300 SPD matrix in the same run (medians of REPS, CLOCK_MONOTONIC,
 * one OpenBLAS thread as the optimiser runs). One L-BFGS iteration costs
 * one such evaluation when the unit step is accepted (the usual case), plus
 * O(memory x dim) for the two-loop recursion, timed here as dkm_iterate(1).
 * The evaluation's dense work is about 12 n^3 flops (per layer a dsyrk,
 * dpotrf, dpotri, dtrsm of the whitened KL, two dtrmm, one dsyrk; the
 * output's dpotrf and dpotri) against dpotrf's n^3 / 3, plus n^2 / 2 kernel
 * map entries with their derivatives. Never part of the test suite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "bench_util.h"
#include "core/base/linalg.h"
#include "core/dkm/dkm.h"

#define N    300
#define DIN  5
#define REPS 9

int
main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *X = malloc(N * DIN * sizeof *X), *y = malloc(N * sizeof *y);
    for (size_t i = 0; i < N; i++) {
        for (size_t q = 0; q < DIN; q++)
            X[i * DIN + q] = gsl_ran_gaussian(r, 1.0);
        y[i] = sin(X[i * DIN]) + gsl_ran_gaussian(r, 0.1);
    }
    dkm_opts o = {.act = NNGP_RELU, .depth = 2, .sw2 = 2, .sb2 = 0.1, .slope = 0.1, .noise = 0.1,
                  .nu = {1, 1}};
    bl_err err;
    dkm *m = dkm_alloc(DIN, &o, &err);
    if (m == NULL || dkm_set_data(m, X, y, N, &err) != BL_OK) {
        fprintf(stderr, "bench_dkm: %s\n", err.msg);
        return 1;
    }
    int threads = linalg_threads_one();
    size_t dim = dkm_dim(m);
    double *th = malloc(dim * sizeof *th), *g = malloc(dim * sizeof *g);
    dkm_get_params(m, th);
    /* Off the start, where every term of the gradient is non-zero. */
    for (size_t i = 0; i < dim; i++)
        th[i] *= 1.0 + 0.01 * gsl_ran_gaussian(r, 1.0);
    double *K = malloc(N * N * sizeof *K), *A = malloc(N * N * sizeof *A);
    dkm_gram(m, 2, K, &err);
    for (size_t i = 0; i < N; i++)
        K[i * N + i] += 0.01;
    double te[REPS], tp[REPS], ti[REPS], F;
    for (int k = 0; k < REPS; k++) {
        double t0 = now();
        if (dkm_eval(m, th, &F, g, NULL, &err) != BL_OK) {
            fprintf(stderr, "bench_dkm: %s\n", err.msg);
            return 1;
        }
        te[k] = now() - t0;
        memcpy(A, K, N * N * sizeof *A);
        t0 = now();
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', N, A, N);
        tp[k] = now() - t0;
        if (info != 0) {
            fprintf(stderr, "bench_dkm: dpotrf info=%d\n", (int)info);
            return 1;
        }
    }
    dkm_iter_info it;
    for (int k = 0; k < REPS; k++) {
        double t0 = now();
        dkm_iterate(m, 1, 1e-12, NULL, NULL, &it, NULL, &err);
        ti[k] = now() - t0;
    }
    double me = median(te, REPS), mp = median(tp, REPS), mi = median(ti, REPS);
    printf("bench_dkm: n=%d L=2 relu d=%d (%zu parameters), medians of %d, one OpenBLAS thread\n",
           N, DIN, dim, REPS);
    printf("  DKM objective+gradient (dkm_eval)   %8.3f ms\n", 1e3 * me);
    printf("  DKM L-BFGS iteration (dkm_iterate 1) %7.3f ms\n", 1e3 * mi);
    printf("  dpotrf %dx%d                        %8.3f ms\n", N, N, 1e3 * mp);
    printf("  ratio eval / dpotrf                 %8.1f\n", me / mp);
    printf("  ratio iteration / dpotrf            %8.1f\n", mi / mp);
    linalg_threads_restore(threads);
    free(th), free(g), free(K), free(A), free(X), free(y);
    dkm_free(m);
    gsl_rng_free(r);
    return 0;
}
