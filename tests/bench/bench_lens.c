/* tests/bench/bench_lens.c - speed of the universality-lens mixture update.
 *
 * M = 10^5 hypotheses of dimension d = 20 (a Gaussian class). Measured in the
 * same run (median of repeats, CLOCK_MONOTONIC): lens_observe arrivals/s, and a
 * bare gsl_blas_dgemv of the same M x d matrix times a d-vector, which is the
 * floor of any update that must predict with every hypothesis. Target: the
 * update within 2x of the dgemv. Never part of the test suite (docs/design.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bench_util.h"
#include "core/theory/lens.h"

#define NHYP 100000
#define DIM  20
#define NARR 200
#define REPS 7

int
main(void)
{
    gsl_set_error_handler_off();
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    lens_opts o = {.kind = LENS_GAUSS, .M = NHYP, .d = DIM, .alpha = 1, .beta = 1};
    double ws[DIM];
    for (int i = 0; i < DIM; i++)
        ws[i] = gsl_ran_gaussian(rng, 1);
    lens *L = lens_alloc(&o, ws, rng, &err);
    if (!L) {
        fprintf(stderr, "bench_lens: %s\n", err.msg);
        return 1;
    }
    double *X = malloc(NARR * DIM * sizeof *X), *Y = malloc(NARR * sizeof *Y);
    double *W = malloc((size_t)NHYP * DIM * sizeof *W), *out = malloc(NHYP * sizeof *out);
    for (size_t j = 0; j < NHYP; j++)
        for (int i = 0; i < DIM; i++)
            W[j * DIM + i] = lens_hypothesis(L, j)[i];
    for (int t = 0; t < NARR; t++) {
        for (int i = 0; i < DIM; i++)
            X[t * DIM + i] = gsl_ran_gaussian(rng, 1);
        Y[t] = lens_draw_y(L, X + t * DIM, rng);
    }
    double tu[REPS], tg[REPS], sink = 0;
    for (int r = 0; r < REPS; r++) {
        lens_set_truth(L, ws, &err);
        double t0 = now();
        for (int t = 0; t < NARR; t++)
            lens_observe(L, X + t * DIM, Y[t], NULL, &err);
        tu[r] = (now() - t0) / NARR;
        gsl_matrix_const_view Wv = gsl_matrix_const_view_array(W, NHYP, DIM);
        gsl_vector_view ov = gsl_vector_view_array(out, NHYP);
        t0 = now();
        for (int t = 0; t < NARR; t++) {
            gsl_vector_const_view xv = gsl_vector_const_view_array(X + t * DIM, DIM);
            gsl_blas_dgemv(CblasNoTrans, 1.0, &Wv.matrix, &xv.vector, 0.0, &ov.vector);
            sink += out[t];
        }
        tg[r] = (now() - t0) / NARR;
    }
    qsort(tu, REPS, sizeof *tu, cmp_double);
    qsort(tg, REPS, sizeof *tg, cmp_double);
    double u = tu[REPS / 2], g = tg[REPS / 2];
    printf("lens M=%d d=%d: %.0f arrivals/s (%.3f ms), dgemv alone %.3f ms, ratio %.2f "
           "(target <= 2)%s\n",
           NHYP, DIM, 1.0 / u, 1e3 * u, 1e3 * g, u / g, sink == 12345.678 ? " " : "");
    free(X), free(Y), free(W), free(out);
    lens_free(L);
    gsl_rng_free(rng);
    return 0;
}
