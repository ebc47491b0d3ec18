/* tests/bench/bench_blr.c - speed of the online BLR update at d = 256.
 *
 * Prints, all measured in the same run (median of repeats, CLOCK_MONOTONIC;
 * for (0) also the CPU time of the process from getrusage, summed over threads):
 *  (0) `observe 5000` through the command layer (session, model blr, every
 *      trace on: the block path of docs/blocks.md), the same points one
 *      `observe 1` at a time (the live path), the same `observe 5000`
 *      without a model (the world drawing the points: a floor no model can
 *      go below), and the peers: a C loop doing
 *      the covariance form of the update (one dsymv and one dsyr on the
 *      lower triangle per point) at one and at two OpenBLAS threads, and the
 *      numpy loop of bench_blr_numpy.py when /usr/bin/python3 has numpy;
 *      the ratio is the faster C peer's time over observe's (target >= 2);
 *  (a) blr_observe updates/s over 5000 arrivals;
 *  (b) the refit-per-point baseline (A = alpha I + beta G re-formed, dpotrf,
 *      two triangular solves, per arrival; 200 arrivals) and the speed ratio;
 *  (c) the bytes of the triangles the update touches per arrival (stated
 *      below) as a bandwidth, against a 256 MiB memcpy, and the ratio
 *      observe_time / plain_pass_time, where the plain pass is one forward
 *      substitution sweep over the same factor (target <= 3);
 *  plus a breakdown of one arrival into its kernels.
 * Never part of the test suite (docs/design.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_cblas.h> /* commands/ headers bring GSL's CBLAS; it binds to OpenBLAS */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "bench_util.h"
#include "commands/cmd.h"
#include "commands/out.h"
#include "commands/session.h"
#include "core/base/linalg.h"
#include "core/blr/blr.h"
#include "core/blr/regret.h"

#define D    256
#define NARR 5000
#define NREF 200
#define REPS 5

void openblas_set_num_threads(int n); /* OpenBLAS's, not in gsl_cblas.h */
int openblas_get_num_threads(void);

#define WORLD "seed 1; data linear d=256 noise=0.1"
#define SETUP WORLD "; model blr"

/* CPU seconds of the process so far, summed over its threads (less
 * sensitive to the other engineers' load than the wall clock). */
static double
cpu_now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* Seconds for `obs` (run `times` times) in a fresh session after setup;
 * the CPU seconds into *cpu. */
static double
time_command(const char *setup, const char *obs, int times, double *cpu)
{
    bl_err err;
    struct out_buffer ob;
    out_buffer_init(&ob);
    struct session *s = session_alloc(&err);
    double t = -1;
    if (s != NULL && cmd_run_line(s, setup, &ob.out, &err) == BL_OK) {
        double t0 = now(), c0 = cpu_now();
        int rc = BL_OK;
        for (int i = 0; i < times && rc == BL_OK; i++)
            rc = cmd_run_line(s, obs, &ob.out, &err);
        t = now() - t0;
        *cpu = cpu_now() - c0;
        if (rc != BL_OK || s->n != NARR)
            fprintf(stderr, "bench_blr: %s: %s (n = %zu)\n", obs, err.msg, s->n);
    }
    session_free(s);
    out_buffer_free(&ob);
    return t;
}

/* The covariance form, point by point: u = S phi (dsymv), s = 1/beta +
 * phi.u, m += u (y - phi.m)/s, S -= u u^T/s (dsyr), lower triangle. */
static double
time_cov_loop(const double *X, const double *y, double alpha, double beta, double *sink,
              double *cpu)
{
    const int d = D;
    double *S = calloc((size_t)d * d, sizeof *S), *u = malloc(d * sizeof *u);
    double *m = calloc(d, sizeof *m);
    for (int i = 0; i < d; i++)
        S[i * d + i] = 1 / alpha;
    double t0 = now(), c0 = cpu_now();
    for (size_t t = 0; t < NARR; t++) {
        const double *phi = X + t * d;
        cblas_dsymv(CblasColMajor, CblasLower, d, 1.0, S, d, phi, 1, 0.0, u, 1);
        double sv = 1 / beta + cblas_ddot(d, phi, 1, u, 1);
        double r = y[t] - cblas_ddot(d, phi, 1, m, 1);
        cblas_daxpy(d, r / sv, u, 1, m, 1);
        cblas_dsyr(CblasColMajor, CblasLower, d, -1 / sv, u, 1, S, d);
    }
    double el = now() - t0;
    *cpu = cpu_now() - c0;
    *sink += m[0] + S[d + 1];
    free(S);
    free(u);
    free(m);
    return el;
}

/* The numpy peer's median in seconds, or -1 when there is no numpy. */
static double
time_numpy(void)
{
    if (system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
        return -1;
    char dir[4096], cmd[4200];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        *slash = 0;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench_blr_numpy.py %d %d", dir, D, NARR);
    FILE *p = popen(cmd, "r");
    double ms = -1;
    if (p != NULL) {
        if (fscanf(p, "numpy_ms %lf", &ms) != 1)
            ms = -1;
        pclose(p);
    }
    return ms < 0 ? -1 : ms / 1e3;
}

/* CPU seconds of the calling thread (the kernels call OpenBLAS on one
 * thread, so this is all their work, and what the load leaves of the clock). */
static double
thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The block kernels alone on NARR points in calls of nb: blr_observe_block
 * and regret_rls_observe_block, CPU seconds per point each. In the class
 * hook they run side by side, so a point's wall time there is the larger. */
static void
time_kernels(const double *X, const double *y, size_t nb, double *t_blr, double *t_rls)
{
    bl_err err;
    const size_t d = D;
    blr_opts o = {.kind = BLR_KNOWN, .alpha = 1.0, .beta = 100.0};
    blr_model *m = blr_alloc(d, &o, &err);
    regret_rls *r = regret_rls_alloc(d, &err);
    blr_arrival *out = malloc(nb * sizeof *out);
    double *rss = malloc(2 * nb * sizeof *rss);
    *t_blr = *t_rls = 0;
    for (size_t t0 = 0; t0 < NARR; t0 += nb) {
        size_t k = NARR - t0 < nb ? NARR - t0 : nb;
        double a = thread_cpu();
        regret_rls_observe_block(r, X + t0 * d, y + t0, k, rss, rss + nb, &err);
        double b = thread_cpu();
        blr_observe_block(m, X + t0 * d, y + t0, k, NULL, out, &err);
        double c = thread_cpu();
        if (t0 >= 1024) { /* the steady state: after the first d points go one at a time */
            *t_blr += c - b;
            *t_rls += b - a;
        }
    }
    *t_blr /= NARR - 1024;
    *t_rls /= NARR - 1024;
    free(out);
    free(rss);
    blr_free(m);
    regret_rls_free(r);
}

static void
bench_command_layer(const double *X, const double *y)
{
    double t_blk[REPS], t_c1[REPS], t_c2[REPS], t_gen[REPS], sink = 0;
    double u_blk[REPS], u_c1[REPS], u_c2[REPS], u_gen[REPS];
    int threads = openblas_get_num_threads();
    /* Interleaved, so that the other engineers' load hits every figure alike. */
    for (int r = 0; r < REPS; r++) {
        t_blk[r] = time_command(SETUP, "observe 5000", 1, &u_blk[r]);
        t_gen[r] = time_command(WORLD, "observe 5000", 1, &u_gen[r]);
        openblas_set_num_threads(1);
        t_c1[r] = time_cov_loop(X, y, 1.0, 100.0, &sink, &u_c1[r]);
        openblas_set_num_threads(2);
        t_c2[r] = time_cov_loop(X, y, 1.0, 100.0, &sink, &u_c2[r]);
        openblas_set_num_threads(threads);
        /* OpenBLAS's second thread spins for a while after a call (its
         * THREAD_TIMEOUT) and would take a core from the next figures. */
        nanosleep(&(struct timespec){.tv_nsec = 300000000}, NULL);
    }
    double u_live, t_live = time_command(SETUP, "observe 1", NARR, &u_live);
    double t_np = time_numpy();
    double blk = median(t_blk, REPS), c1 = median(t_c1, REPS), c2 = median(t_c2, REPS);
    double gen = median(t_gen, REPS), peer = c1 < c2 ? c1 : c2;
    double ublk = median(u_blk, REPS), uc1 = median(u_c1, REPS), uc2 = median(u_c2, REPS);
    double ugen = median(u_gen, REPS);
    printf("observe 5000, model blr d=256, every trace, command layer: %.1f ms (%.2f us per "
           "point, %.0f arrivals/s), CPU %.1f ms over its threads; one point at a time "
           "(observe 1 x 5000): %.1f ms, CPU %.1f ms\n",
           1e3 * blk, 1e6 * blk / NARR, NARR / blk, 1e3 * ublk, 1e3 * t_live, 1e3 * u_live);
    printf("  the same observe 5000 without a model (drawing and storing the points): %.1f ms, "
           "CPU %.1f ms\n",
           1e3 * gen, 1e3 * ugen);
    printf("  C peer, covariance form (dsymv + dsyr per point): %.1f ms at 1 thread (CPU %.1f), "
           "%.1f ms at 2 threads (CPU %.1f) (%.2f us per point at best)\n",
           1e3 * c1, 1e3 * uc1, 1e3 * c2, 1e3 * uc2, 1e6 * peer / NARR);
    if (t_np >= 0)
        printf("  numpy peer (bench_blr_numpy.py, same run): %.1f ms\n", 1e3 * t_np);
    else
        printf("  numpy peer: skipped (no numpy in /usr/bin/python3)\n");
    printf("  ratio C peer / observe: %.2fx (target >= 2x); by CPU time, 1-thread peer / "
           "observe: %.2fx\n",
           peer / blk, uc1 / ublk);
    if (t_np >= 0)
        printf("  ratio numpy / observe: %.2fx\n", t_np / blk);
    const size_t sizes[] = {32, 64, 128, 256};
    printf("  block kernels (calls of nb points, blocks of %zu inside), steady state "
           "(n > 1024), CPU us per point:",
           (size_t)D / 4); /* blk_chunk(D) */
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        double tb[3], tr[3];
        for (int r = 0; r < 3; r++)
            time_kernels(X, y, sizes[i], &tb[r], &tr[r]);
        printf(" nb=%zu: blr %.2f + hindsight %.2f;", sizes[i], 1e6 * median(tb, 3),
               1e6 * median(tr, 3));
    }
    printf("\n");
    if (sink == 1.2345)
        printf("%g\n", sink);
}

int
main(void)
{
    gsl_set_error_handler_off();
    const size_t d = D;
    bl_err err;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    double *X = malloc((size_t)NARR * d * sizeof *X), *y = malloc(NARR * sizeof *y);
    for (size_t i = 0; i < (size_t)NARR * d; i++)
        X[i] = gsl_ran_gaussian(rng, 1.0) / sqrt((double)d);
    for (size_t i = 0; i < NARR; i++)
        y[i] = gsl_ran_gaussian(rng, 1.0);
    blr_opts o = {.kind = BLR_KNOWN, .alpha = 1.0, .beta = 25.0};
    bench_command_layer(X, y);

    /* (a) online */
    double t_obs[REPS];
    double sink = 0.0;
    for (int r = 0; r < REPS; r++) {
        blr_model *m = blr_alloc(d, &o, &err);
        double lp;
        double t0 = now();
        for (size_t i = 0; i < NARR; i++) {
            blr_observe(m, X + i * d, y[i], NULL, &lp, &err);
            sink += lp;
        }
        t_obs[r] = (now() - t0) / NARR;
        sink += blr_log_evidence(m);
        blr_free(m);
    }
    double obs = median(t_obs, REPS);

    /* (b) refit per point */
    double *G = calloc(d * d, sizeof *G), *A = malloc(d * d * sizeof *A);
    double *b = calloc(d, sizeof *b), *mean = malloc(d * sizeof *mean);
    double t_ref[3];
    for (int r = 0; r < 3; r++) {
        memset(G, 0, d * d * sizeof *G);
        memset(b, 0, d * sizeof *b);
        double t0 = now();
        for (size_t i = 0; i < NREF; i++) {
            const double *phi = X + i * d;
            for (size_t j = 0; j < d; j++) {
                for (size_t k = 0; k <= j; k++)
                    G[j * d + k] += phi[j] * phi[k];
                b[j] += o.beta * y[i] * phi[j];
            }
            for (size_t j = 0; j < d; j++) {
                for (size_t k = 0; k <= j; k++)
                    A[j * d + k] = o.beta * G[j * d + k];
                A[j * d + j] += o.alpha;
            }
            LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)d, A, (lapack_int)d);
            memcpy(mean, b, d * sizeof *mean);
            linalg_solve_lower(A, d, mean);
            linalg_solve_lower_t(A, d, mean);
            sink += mean[0];
        }
        t_ref[r] = (now() - t0) / NREF;
    }
    double ref = median(t_ref, 3);

    /* (c) plain pass and kernels on a realistic factor (after 5000 points) */
    blr_model *m = blr_alloc(d, &o, &err);
    for (size_t i = 0; i < NARR; i++)
        blr_observe(m, X + i * d, y[i], NULL, NULL, &err);
    double *L = malloc(d * d * sizeof *L), *v = malloc(d * sizeof *v);
    double *rot = malloc(2 * d * sizeof *rot), *w = malloc(d * sizeof *w);
    memcpy(L, blr_factor(m), d * d * sizeof *L);
    enum { K = 2000 };
    double t_plain[REPS], t_upd[REPS], t_back[REPS], t_gram[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        for (int k = 0; k < K; k++) {
            memcpy(v, X + (size_t)(k % NARR) * d, d * sizeof *v);
            linalg_solve_lower(L, d, v);
            sink += v[d - 1];
        }
        t_plain[r] = (now() - t0) / K;
        t0 = now();
        for (int k = 0; k < K; k++) {
            memcpy(v, X + (size_t)(k % NARR) * d, d * sizeof *v);
            memcpy(w, v, d * sizeof *w);
            linalg_solve_lower_t2(L, d, v, w);
            sink += v[0];
        }
        t_back[r] = (now() - t0) / K;
        t0 = now();
        for (int k = 0; k < K; k += 16)
            linalg_syrk_lower(G, d, X + (size_t)(k % NARR) * d, 16);
        t_gram[r] = (now() - t0) / K; /* per arrival: batches of 16 */
        sink += G[d];
        t0 = now();
        for (int k = 0; k < K; k++) {
            const double *phi = X + (size_t)(k % NARR) * d;
            for (size_t i = 0; i < d; i++)
                v[i] = 0.2 * phi[i];
            sink += linalg_chol_update(L, d, v, rot);
        }
        t_upd[r] = (now() - t0) / K;
    }
    double t_steady[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        for (int k = 0; k < K; k++)
            blr_observe(m, X + (size_t)(k % NARR) * d, y[k % NARR], NULL, NULL, &err);
        t_steady[r] = (now() - t0) / K;
    }
    double steady = median(t_steady, REPS);
    double plain = median(t_plain, REPS), upd = median(t_upd, REPS);
    double back = median(t_back, REPS), gram = median(t_gram, REPS);

    /* memcpy bandwidth, 256 MiB, pages touched first */
    size_t big = (size_t)256 << 20;
    char *src = malloc(big), *dst = malloc(big);
    double bw = 0.0;
    if (src != NULL && dst != NULL) {
        memset(src, 1, big);
        memset(dst, 2, big);
        double t_cp[3];
        for (int r = 0; r < 3; r++) {
            double t0 = now();
            memcpy(dst, src, big);
            t_cp[r] = now() - t0;
            sink += dst[r * 4096];
        }
        bw = 2.0 * (double)big / median(t_cp, 3); /* bytes read + written */
    }
    free(src);
    free(dst);

    /* Bytes of triangles touched per arrival: the rank-1 update reads and
     * writes L (2 passes), the two-RHS back substitution reads L (1 pass),
     * the batched G update reads and writes its lower triangle once per 16
     * arrivals (2/16 pass): 3.125 passes x d(d+1)/2 x 8 bytes. */
    const double passes = 3.0 + 2.0 / 16.0;
    double tri = (double)d * (double)(d + 1) / 2.0 * 8.0, bytes = passes * tri;
    printf("blr_observe d=%zu: %.0f updates/s (%.1f us each); refit baseline %.0f/s (%.1f us); "
           "speedup %.0fx\n",
           d, 1.0 / obs, 1e6 * obs, 1.0 / ref, 1e6 * ref, ref / obs);
    printf("  kernels per arrival: chol_update %.1f us, back-solve x2 %.1f us, gram update "
           "(batched /16) %.1f us,"
           " plain forward solve %.1f us\n",
           1e6 * upd, 1e6 * back, 1e6 * gram, 1e6 * plain);
    printf("  blr_observe on the trained model (n > 5000): %.1f us\n", 1e6 * steady);
    printf(
        "  bytes touched per update: %.0f KiB (%.3g passes over a %.0f KiB triangle) -> %.2f GB/s;"
        " memcpy 256 MiB: %.2f GB/s (read+write); ratio %.2f\n",
        bytes / 1024.0, passes, tri / 1024.0, bytes / obs / 1e9, bw / 1e9, bytes / obs / bw);
    /* The target compares bandwidths: the update's achieved bandwidth
     * within 3x of a plain O(d^2) pass's (one forward substitution over L). */
    printf("  update bandwidth %.2f GB/s vs plain O(d^2) pass %.2f GB/s: ratio %.2f (target: "
           "within 3x); time ratio observe / one pass = %.2f\n",
           bytes / obs / 1e9, tri / plain / 1e9, (tri / plain) / (bytes / obs), obs / plain);
    if (sink == 1.2345)
        printf("%g\n", sink);
    free(G);
    free(A);
    free(b);
    free(mean);
    free(L);
    free(v);
    free(rot);
    free(w);
    free(X);
    free(y);
    blr_free(m);
    gsl_rng_free(rng);
    return 0;
}
