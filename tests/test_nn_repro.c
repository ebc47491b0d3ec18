/* tests/test_nn_repro.c - trained weights do not depend on the OpenBLAS thread
 * count (bit for bit), and how far they drift across dgemm kernels (issue #14).
 *  1. In process: the same seed trained with openblas_set_num_threads(1) and (2)
 *     gives the same bits, for 1000 full-batch SGD steps and 300 minibatch Adam
 *     steps on shapes OpenBLAS does thread (200 x 64 x 64 products and up). The
 *     step's BLAS-3 calls split their output among threads, never an inner sum,
 *     and our own reductions run in a fixed order (core/nn/nn.c).
 *  2. Across kernels: the test runs itself (argv[0] --train FILE) under
 *     OPENBLAS_CORETYPE=Haswell (AVX2), SkylakeX (AVX-512) and Sandybridge (AVX),
 *     each child writing its trained parameters and predictions; they are
 *     compared with this process's. AVX2 and AVX-512 kernels order the sums of a
 *     product differently, so the bits differ; the drift after 1000 SGD steps is
 *     printed and checked against a stated bound (relative to the largest |theta|
 *     and |f|): 1e-10. Measured on this machine: see docs/nn.md
 *     "Reproducibility" (it decides the digits a command may print).
 * A child whose kernel this CPU cannot run (it reports another core name) is
 * skipped with a note. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "core/nn/nn.h"
#include "harness.h"

/* From OpenBLAS (its <cblas.h> clashes with GSL's headers). */
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

enum { N = 200, D = 5, W = 64, NT = 50, SGD_STEPS = 1000, ADAM_STEPS = 300 };

static void
data(double *X, double *Y, double *Xt)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    for (int i = 0; i < N * D; i++)
        X[i] = 2 * gsl_rng_uniform(r) - 1;
    for (int i = 0; i < N; i++)
        Y[i] = sin(2 * X[i * D]) + X[i * D + 1] * X[i * D + 2] + 0.1 * gsl_rng_uniform(r);
    for (int i = 0; i < NT * D; i++)
        Xt[i] = 2 * gsl_rng_uniform(r) - 1;
    gsl_rng_free(r);
}

/* Trains a fresh net of seed 9 with opt; theta (nparams) and f on Xt out. */
static nn *
train(nn_optimizer opt, size_t batch, size_t steps, double lr, double *f, bl_err *err)
{
    static double X[N * D], Y[N], Xt[NT * D];
    data(X, Y, Xt);
    nn_opts o = nn_opts_default();
    o.in_dim = D;
    o.width = W;
    o.depth = 2;
    o.act = NNGP_TANH;
    o.seed = 9;
    nn *net = nn_alloc(&o, err);
    nn_train_opts to = nn_train_opts_default();
    to.opt = opt;
    to.lr = lr;
    to.batch = batch;
    nn_trainer *t = nn_trainer_alloc(net, &to, 4, err);
    int rc = nn_train(t, net, X, Y, N, steps, NULL, NULL, NULL, err);
    if (rc == BL_OK)
        rc = nn_predict(net, Xt, NT, f, err);
    nn_trainer_free(t);
    if (rc != BL_OK) {
        nn_free(net);
        return NULL;
    }
    return net;
}

static int
child(const char *path)
{
    bl_err err;
    double f[NT];
    nn *net = train(NN_OPT_SGD, 0, SGD_STEPS, 2e-4, f, &err);
    if (net == NULL) {
        fprintf(stderr, "train: %s\n", err.msg);
        return 1;
    }
    size_t P = nn_nparams(net);
    double *th = malloc(P * sizeof(double));
    nn_get_params(net, th);
    FILE *fp = fopen(path, "wb");
    const char *core = openblas_get_corename();
    char name[32] = {0};
    snprintf(name, sizeof name, "%s", core != NULL ? core : "?");
    int ok = fp != NULL && fwrite(name, 1, sizeof name, fp) == sizeof name &&
             fwrite(th, sizeof(double), P, fp) == P && fwrite(f, sizeof(double), NT, fp) == NT;
    if (fp != NULL)
        ok &= fclose(fp) == 0;
    free(th);
    nn_free(net);
    return ok ? 0 : 1;
}

static double
max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

static double
max_diff(const double *x, const double *y, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i] - y[i]));
    return m;
}

static void
test_threads(void)
{
    bl_err err;
    int before = openblas_get_num_threads();
    const struct { nn_optimizer opt; size_t batch, steps; double lr; } runs[2] = {
        {NN_OPT_SGD, 0, SGD_STEPS, 2e-4}, {NN_OPT_ADAM, 64, ADAM_STEPS, 1e-3}};
    for (int k = 0; k < 2; k++) {
        double f1[NT], f2[NT];
        openblas_set_num_threads(1);
        nn *a = train(runs[k].opt, runs[k].batch, runs[k].steps, runs[k].lr, f1, &err);
        openblas_set_num_threads(2);
        int two = openblas_get_num_threads();
        nn *b = train(runs[k].opt, runs[k].batch, runs[k].steps, runs[k].lr, f2, &err);
        CHECK(a != NULL && b != NULL, "train: %s", err.msg);
        CHECK(two == 2, "openblas_set_num_threads(2) gave %d threads", two);
        if (a == NULL || b == NULL) {
            nn_free(a);
            nn_free(b);
            continue;
        }
        size_t P = nn_nparams(a);
        double *ta = malloc(P * sizeof(double)), *tb = malloc(P * sizeof(double));
        nn_get_params(a, ta);
        nn_get_params(b, tb);
        size_t diff = 0;
        for (size_t p = 0; p < P; p++)
            diff += memcmp(&ta[p], &tb[p], sizeof(double)) != 0;
        CHECK(diff == 0, "%s: %zu of %zu parameters differ between 1 and 2 threads (max %g)",
              nn_optimizer_name(runs[k].opt), diff, P, max_diff(ta, tb, P));
        CHECK(memcmp(f1, f2, sizeof f1) == 0, "%s: predictions differ between 1 and 2 threads",
              nn_optimizer_name(runs[k].opt));
        free(ta);
        free(tb);
        nn_free(a);
        nn_free(b);
    }
    openblas_set_num_threads(before);
}

static void
test_kernels(const char *self)
{
    bl_err err;
    double f[NT];
    nn *net = train(NN_OPT_SGD, 0, SGD_STEPS, 2e-4, f, &err);
    CHECK(net != NULL, "train: %s", err.msg);
    if (net == NULL)
        return;
    size_t P = nn_nparams(net);
    double *th = malloc(P * sizeof(double)), *tc = malloc(P * sizeof(double)), fc[NT];
    nn_get_params(net, th);
    /* Initial parameters: how far training moved them, for scale. */
    nn_opts o = *nn_get_opts(net);
    nn *init = nn_alloc(&o, &err);
    double *t0 = malloc(P * sizeof(double));
    nn_get_params(init, t0);
    printf("training moved theta by %.3g (max |theta| %.3g)\n", max_diff(th, t0, P),
           max_abs(th, P));
    const char *cores[3] = {"Haswell", "SkylakeX", "Sandybridge"};
    int compared = 0;
    for (int k = 0; k < 3; k++) {
        char path[64];
        snprintf(path, sizeof path, "nn_repro_%s.bin", cores[k]);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("OPENBLAS_CORETYPE", cores[k], 1);
            setenv("OPENBLAS_NUM_THREADS", "1", 1);
            execl(self, self, "--train", path, (char *)NULL);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %s failed (status %d)",
              cores[k], status);
        FILE *fp = fopen(path, "rb");
        char name[32] = {0};
        int ok = fp != NULL && fread(name, 1, sizeof name, fp) == sizeof name &&
                 fread(tc, sizeof(double), P, fp) == P && fread(fc, sizeof(double), NT, fp) == NT;
        if (fp != NULL)
            fclose(fp);
        remove(path);
        CHECK(ok, "child %s wrote no parameters", cores[k]);
        if (!ok)
            continue;
        name[sizeof name - 1] = 0;
        if (strcmp(name, cores[k]) != 0) {
            printf("OPENBLAS_CORETYPE=%s: the child ran %s (this CPU or build lacks it): "
                   "skipped\n",
                   cores[k], name);
            continue;
        }
        double dt = max_diff(th, tc, P) / max_abs(th, P), df = max_diff(f, fc, NT) / max_abs(f, NT);
        printf("%s (this process %s) after %d SGD steps: theta drift %.2e, prediction drift "
               "%.2e (relative to max |.|)\n",
               cores[k], openblas_get_corename(), SGD_STEPS, dt, df);
        /* Bound: the rounding of one product (1e-16) grown by the steps; a chaotic
         * trainer would exceed it by orders of magnitude. */
        CHECK(dt <= 1e-10 && df <= 1e-10, "%s: drift %.2e / %.2e above 1e-10", cores[k], dt, df);
        compared++;
    }
    CHECK(compared >= 1, "no kernel comparison ran");
    free(th);
    free(tc);
    free(t0);
    nn_free(init);
    nn_free(net);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--train") == 0) {
        gsl_set_error_handler_off();
        return child(argv[2]);
    }
    TEST_INIT();
    test_threads();
    test_kernels(argv[0]);
    return TEST_REPORT();
}
