/* tests/bench/bench_kernel.c - speed of the NNGP Gram build, the GP's
 * Cholesky and the spectrum eigensolve, each against a plain baseline in
 * the same run (median of repeats, CLOCK_MONOTONIC):
 *  (a) NNGP ReLU Gram, n = 4000, d = 10, depth 10 (nngp_gram: diagonals
 *      first, lower triangle with all layers in registers, mirrored) against
 *      a plain loop per entry over the full matrix that recomputes both
 *      diagonal chains per entry and uses acos of the clipped ratio. The
 *      baseline is timed on its first NAIVE_ROWS rows and scaled to n rows
 *      (its cost per row is constant: every row does n entries);
 *  (b) GP fit n = 4000 (RBF): gp_cholesky (in place, jitter ladder ready)
 *      against a bare LAPACKE_dpotrf on a copy of the same matrix (target
 *      ratio < 1.1), plus the Gram build and one O(n^2) gp_observe at n;
 *  (c) dsyevd n = 2000 through spectrum_eig_desc against a bare
 *      LAPACKE_dsyevd ('N') on a copy.
 * OpenBLAS on this machine runs older kernels (OPENBLAS_CORETYPE is set by
 * the machine; left alone). Never part of the test suite (DESIGN.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "bench_util.h"
#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"
#include "core/spectrum/spectrum.h"

#define NN         4000
#define DIN        10
#define DEPTH      10
#define NAIVE_ROWS 250
#define NG         4000
#define NE         2000
#define REPS       3

/* The textbook per-entry recursion: both diagonal chains redone for every
 * entry, theta by acos of the clipped correlation, products K11*K22 formed. */
static double
naive_entry(const double *x, const double *x2, size_t d, size_t L, double sw2, double sb2)
{
    double k11 = 0, k22 = 0, k12 = 0;
    for (size_t i = 0; i < d; i++) {
        k11 += x[i] * x[i];
        k22 += x2[i] * x2[i];
        k12 += x[i] * x2[i];
    }
    k11 = sw2 * k11 / (double)d + sb2;
    k22 = sw2 * k22 / (double)d + sb2;
    k12 = sw2 * k12 / (double)d + sb2;
    for (size_t l = 0; l < L; l++) {
        double c = k12 / sqrt(k11 * k22);
        c = c > 1 ? 1 : c < -1 ? -1 : c;
        double th = acos(c);
        double e = sqrt(k11 * k22) / (2 * M_PI) * (sin(th) + (M_PI - th) * cos(th));
        k12 = sw2 * e + sb2;
        k11 = sw2 * k11 / 2 + sb2;
        k22 = sw2 * k22 / 2 + sb2;
    }
    return k12;
}

int
main(void)
{
    gsl_set_error_handler_off();
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    double sink = 0;

    /* (a) NNGP Gram */
    double *X = malloc((size_t)NN * DIN * sizeof *X);
    for (size_t i = 0; i < (size_t)NN * DIN; i++)
        X[i] = gsl_ran_gaussian(rng, 1.0);
    double *K = malloc((size_t)NN * NN * sizeof *K);
    memset(K, 0, (size_t)NN * NN * sizeof *K); /* first touch outside the timing */
    nngp_opts o = nngp_opts_default();
    o.depth = DEPTH;
    nngp *m = nngp_alloc(DIN, &o, &err);
    double t_nn[REPS], t_nv[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        if (nngp_gram(m, X, NN, K, NULL, NULL, &err) != BL_OK) {
            fprintf(stderr, "nngp_gram: %s\n", err.msg);
            return 1;
        }
        t_nn[r] = now() - t0;
        sink += K[12345];
        t0 = now();
        for (size_t i = 0; i < NAIVE_ROWS; i++)
            for (size_t j = 0; j < NN; j++)
                K[i * NN + j] = naive_entry(X + i * DIN, X + j * DIN, DIN, DEPTH, 2.0, 0.1);
        t_nv[r] = (now() - t0) * (double)NN / NAIVE_ROWS;
        sink += K[777];
    }
    double a_ours = median(t_nn, REPS), a_naive = median(t_nv, REPS);
    printf("nngp relu gram n=%d d=%d depth=%d: %.3f s (%.1f ns/entry-layer over the half "
           "matrix); naive per-entry full matrix %.3f s (scaled from %d rows); speedup %.2fx\n",
           NN, DIN, DEPTH, a_ours, 1e9 * a_ours / (0.5 * NN * (NN + 1.0) * DEPTH), a_naive,
           NAIVE_ROWS, a_naive / a_ours);
    nngp_free(m);
    free(X);

    /* (b) GP fit with RBF at n = 4000 */
    double *Xg = malloc((size_t)NG * 2 * sizeof *Xg), *yg = malloc(NG * sizeof *yg);
    for (size_t i = 0; i < NG; i++) {
        Xg[2 * i] = 10 * gsl_rng_uniform(rng);
        Xg[2 * i + 1] = 10 * gsl_rng_uniform(rng);
        yg[i] = sin(Xg[2 * i]) + 0.1 * gsl_ran_gaussian(rng, 1);
    }
    kernel *k = kernel_parse("rbf(var=1, ls=1.5)", 2, &err);
    double *A = K; /* reuse the touched n^2 buffer (NG == NN) */
    double *B = malloc((size_t)NG * NG * sizeof *B);
    memset(B, 0, (size_t)NG * NG * sizeof *B);
    double t_gram[REPS], t_gc[REPS], t_lp[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        kernel_gram(k, Xg, NG, A, NULL, &err);
        t_gram[r] = now() - t0;
        for (size_t i = 0; i < NG; i++)
            A[i * NG + i] += 0.01;
        memcpy(B, A, (size_t)NG * NG * sizeof *B);
        double jit;
        t0 = now();
        if (gp_cholesky(A, NG, NG, &jit, &err) != BL_OK) {
            fprintf(stderr, "gp_cholesky: %s\n", err.msg);
            return 1;
        }
        t_gc[r] = now() - t0;
        t0 = now();
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', NG, B, NG);
        t_lp[r] = now() - t0;
        if (info != 0) {
            fprintf(stderr, "dpotrf info=%d\n", (int)info);
            return 1;
        }
        sink += A[5] + B[5];
    }
    double gc = median(t_gc, REPS), lp = median(t_lp, REPS);
    printf("gp cholesky n=%d (rbf): gp_cholesky %.3f s, bare LAPACKE_dpotrf %.3f s, ratio %.3f "
           "(target < 1.1); rbf gram build %.3f s\n",
           NG, gc, lp, gc / lp, median(t_gram, REPS));
    free(B);
    gp *g = gp_alloc(k, 0.01, &err);
    double t0 = now();
    if (gp_fit(g, Xg, yg, NG - 2, NULL, &err) != BL_OK) {
        fprintf(stderr, "gp_fit: %s\n", err.msg);
        return 1;
    }
    double t_fit = now() - t0, lpred;
    /* The first arrival after a fit grows the storage (copy of the factor);
     * the second is the steady-state O(n^2) row extension. */
    t0 = now();
    gp_observe(g, Xg + 2 * (NG - 2), yg[NG - 2], &lpred, &err);
    double t_grow = now() - t0;
    t0 = now();
    gp_observe(g, Xg + 2 * (NG - 1), yg[NG - 1], &lpred, &err);
    double t_obs = now() - t0;
    printf("gp_fit n=%d (gram + cholesky + solve) %.3f s; gp_observe at n=%d %.2f ms "
           "(first after the fit, with storage growth: %.1f ms); a refit costs %.0fx an arrival\n",
           NG - 2, t_fit, NG, 1e3 * t_obs, 1e3 * t_grow, t_fit / t_obs);
    sink += lpred;
    gp_free(g);

    /* (c) eigenvalues at n = 2000 */
    double *E = malloc((size_t)NE * NE * sizeof *E), *C = malloc((size_t)NE * NE * sizeof *C);
    double *lam = malloc(NE * sizeof *lam), *lam2 = malloc(NE * sizeof *lam2);
    kernel *ke = kernel_parse("matern32(ls=2)", 2, &err);
    kernel_gram(ke, Xg, NE, E, NULL, &err);
    memset(C, 0, (size_t)NE * NE * sizeof *C);
    double t_sp[REPS], t_ev[REPS];
    for (int r = 0; r < REPS; r++) {
        t0 = now();
        spectrum_eig_desc(E, NE, lam, &err);
        t_sp[r] = now() - t0;
        memcpy(C, E, (size_t)NE * NE * sizeof *C);
        t0 = now();
        LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', NE, C, NE, lam2);
        t_ev[r] = now() - t0;
        sink += lam[0] + lam2[0];
    }
    double sp = median(t_sp, REPS), ev = median(t_ev, REPS);
    printf("eigenvalues n=%d: spectrum_eig_desc %.3f s, bare LAPACKE_dsyevd %.3f s, ratio %.3f\n",
           NE, sp, ev, sp / ev);
    kernel_free(ke);
    free(E);
    free(C);
    free(lam);
    free(lam2);
    free(K);
    free(Xg);
    free(yg);
    gsl_rng_free(rng);
    fprintf(stderr, "(sink %g)\n", sink);
    return 0;
}
