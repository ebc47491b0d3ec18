/* tests/bench/bench_nn.c - speed of a full-batch training step of core/nn against
 * the dgemm rate of the same matrix shapes, measured in the same run (issue #14):
 * a 2-hidden-layer width-512 ReLU network (ntk parametrization, biases), N = 1000
 * points, d = 10, full-batch SGD. One step is five dgemm calls (per layer forward
 * h = X W^T; backward dW = Delta^T A and Delta_{l-1} = Delta W) and two dgemv on
 * the output layer; the bench times exactly that sequence of BLAS calls on
 * matrices of those shapes and transposes (its FLOP rate), then nn_train, and
 * prints the step rate, the step's FLOP rate and their ratio (target: the step
 * runs at >= 50% of the BLAS calls' rate, i.e. everything around the BLAS calls,
 * the fused activation and backward passes and the update, costs at most as
 * much as they do). Both at the OpenBLAS thread count of the environment and at
 * one thread. Medians of REPS runs (the machine is shared).
 * A PyTorch peer (tests/bench/nn_torch_peer.py: the same network and step in
 * float64 with torch.autograd) runs when /usr/bin/python3 can import torch.
 * Never part of the test suite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "bench_util.h"
#include "core/nn/nn.h"

/* From OpenBLAS (its <cblas.h> clashes with GSL's headers). */
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

#define NPTS  1000
#define DIN   10
#define WIDTH 512
#define STEPS 10
#define REPS  5

static void
gemm(bool ta, bool tb, size_t rows, size_t cols, size_t inner, const double *A, const double *B,
     double *C)
{
    gsl_matrix_const_view Av = ta ? gsl_matrix_const_view_array(A, inner, rows)
                                  : gsl_matrix_const_view_array(A, rows, inner);
    gsl_matrix_const_view Bv = tb ? gsl_matrix_const_view_array(B, cols, inner)
                                  : gsl_matrix_const_view_array(B, inner, cols);
    gsl_matrix_view Cv = gsl_matrix_view_array(C, rows, cols);
    gsl_blas_dgemm(ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, 0.5,
                   &Av.matrix, &Bv.matrix, 0.0, &Cv.matrix);
}

static void
gemv(bool ta, size_t rows, size_t cols, const double *A, const double *x, double *y)
{
    gsl_matrix_const_view Av = gsl_matrix_const_view_array(A, rows, cols);
    gsl_vector_const_view xv = gsl_vector_const_view_array(x, ta ? rows : cols);
    gsl_vector_view yv = gsl_vector_view_array(y, ta ? cols : rows);
    gsl_blas_dgemv(ta ? CblasTrans : CblasNoTrans, 1.0, &Av.matrix, &xv.vector, 0.0, &yv.vector);
}

/* The BLAS calls of one step on matrices of the step's shapes. */
static void
blas_step(const double *X, const double *W1, const double *W2, const double *w3, double *A1,
          double *A2, double *D2, double *D1, double *G1, double *G2, double *f, double *g3)
{
    gemm(false, true, NPTS, WIDTH, DIN, X, W1, A1);     /* h1 = X W1^T */
    gemm(false, true, NPTS, WIDTH, WIDTH, A1, W2, A2);  /* h2 = A1 W2^T */
    gemv(false, NPTS, WIDTH, A2, w3, f);                /* f = A2 w3 */
    gemv(true, NPTS, WIDTH, A2, f, g3);                 /* dw3 = A2^T g */
    gemm(true, false, WIDTH, WIDTH, NPTS, D2, A1, G2);  /* dW2 = D2^T A1 */
    gemm(false, false, NPTS, WIDTH, WIDTH, D2, W2, D1); /* D1 = D2 W2 */
    gemm(true, false, WIDTH, DIN, NPTS, D1, X, G1);     /* dW1 = D1^T X */
}

static double
blas_flops(void)
{
    double n = NPTS, w = WIDTH, d = DIN;
    return 2 * (n * w * d + n * w * w + n * w + n * w + w * w * n + n * w * w + w * d * n);
}

static void
run(int threads, const double *X, const double *Y)
{
    openblas_set_num_threads(threads);
    bl_err err;
    double *buf = calloc(2 * NPTS * DIN + 8 * NPTS * WIDTH + 4 * WIDTH * WIDTH, sizeof(double));
    double *W1 = buf, *G1 = W1 + WIDTH * DIN, *W2 = G1 + WIDTH * DIN, *G2 = W2 + WIDTH * WIDTH,
           *A1 = G2 + WIDTH * WIDTH, *A2 = A1 + NPTS * WIDTH, *D2 = A2 + NPTS * WIDTH,
           *D1 = D2 + NPTS * WIDTH, *w3 = D1 + NPTS * WIDTH, *g3 = w3 + WIDTH, *f = g3 + WIDTH;
    for (size_t i = 0; i < WIDTH * DIN; i++)
        W1[i] = 0.01 * (double)(i % 17) - 0.08;
    for (size_t i = 0; i < WIDTH * WIDTH; i++)
        W2[i] = 0.01 * (double)(i % 13) - 0.06;
    for (size_t i = 0; i < NPTS * WIDTH; i++)
        D2[i] = 0.001 * (double)(i % 7) - 0.003;
    for (size_t i = 0; i < WIDTH; i++)
        w3[i] = 0.1;
    double tb[REPS], ts[REPS];
    blas_step(X, W1, W2, w3, A1, A2, D2, D1, G1, G2, f, g3);
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        for (int s = 0; s < STEPS; s++)
            blas_step(X, W1, W2, w3, A1, A2, D2, D1, G1, G2, f, g3);
        tb[r] = (now() - t0) / STEPS;
    }
    nn_opts o = nn_opts_default();
    o.in_dim = DIN;
    o.width = WIDTH;
    o.depth = 2;
    o.act = NNGP_RELU;
    o.param = NN_PARAM_NTK;
    nn *net = nn_alloc(&o, &err);
    nn_train_opts to = nn_train_opts_default();
    to.lr = 1e-4;
    nn_trainer *t = nn_trainer_alloc(net, &to, 1, &err);
    double obj;
    if (nn_train(t, net, X, Y, NPTS, 2, NULL, &obj, NULL, &err) != BL_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        exit(1);
    }
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        nn_train(t, net, X, Y, NPTS, STEPS, NULL, &obj, NULL, &err);
        ts[r] = (now() - t0) / STEPS;
    }
    double b = median(tb, REPS), s = median(ts, REPS), fl = blas_flops();
    printf("threads %d: BLAS calls of one step %.2f ms (%.1f GFLOP/s), nn_train step %.2f ms "
           "(%.1f steps/s, %.1f GFLOP/s): %.0f%% of the BLAS rate (target >= 50%%), J %.4g\n",
           threads, 1e3 * b, fl / b * 1e-9, 1e3 * s, 1 / s, fl / s * 1e-9, 100 * b / s, obj);
    nn_trainer_free(t);
    nn_free(net);
    free(buf);
}

int
main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *X = malloc(NPTS * DIN * sizeof(double)), *Y = malloc(NPTS * sizeof(double));
    for (size_t i = 0; i < NPTS * DIN; i++)
        X[i] = 2 * gsl_rng_uniform(r) - 1;
    for (size_t i = 0; i < NPTS; i++)
        Y[i] = sin(3 * X[i * DIN]) + X[i * DIN + 1] * X[i * DIN + 2];
    int threads = openblas_get_num_threads();
    printf("bench_nn: %d points, d=%d, 2 x %d relu, full-batch SGD; %.3g GFLOP per step in BLAS; "
           "OpenBLAS core %s\n",
           NPTS, DIN, WIDTH, blas_flops() * 1e-9, openblas_get_corename());
    run(threads, X, Y);
    if (threads != 1)
        run(1, X, Y);
    openblas_set_num_threads(threads);
    /* The PyTorch peer, if torch imports. */
    fflush(stdout);
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0) {
        FILE *fx = fopen("bench_nn_data.txt", "w");
        if (fx != NULL) {
            for (size_t i = 0; i < NPTS; i++) {
                for (size_t j = 0; j < DIN; j++)
                    fprintf(fx, "%.17g ", X[i * DIN + j]);
                fprintf(fx, "%.17g\n", Y[i]);
            }
            fclose(fx);
            char cmd[1024];
            snprintf(cmd, sizeof cmd,
                     "/usr/bin/python3 %s/tests/bench/nn_torch_peer.py bench_nn_data.txt %d %d",
                     BL_SOURCE_DIR, WIDTH, threads);
            if (system(cmd) != 0)
                printf("torch peer: failed\n");
            remove("bench_nn_data.txt");
        }
    } else {
        printf("torch peer: skipped (python3 cannot import torch)\n");
    }
    free(X);
    free(Y);
    gsl_rng_free(r);
    return 0;
}
