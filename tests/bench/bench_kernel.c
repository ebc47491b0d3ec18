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
 *      LAPACKE_dsyevd ('N') on a copy;
 *  (d) issue 12: GP with the depth-10 ReLU NNGP, d = 10, n = 4000 through
 *      the command layer, `observe 4000` then `show evidence` (target: at
 *      most 1.3x the batch floor = building the kernel matrix and one
 *      dpotrf on it, measured in the same run; CPU times from getrusage
 *      too), the same replayed after a model change, and the class's
 *      observe_block with the whole stream as one block and in blocks of
 *      256 (the session's cut before); the NNGP Gram target is 5 ns per
 *      entry and layer on the half matrix (a). The numpy peer
 *      (tests/bench/nngp_peer.py: the same kernel built by numpy over the
 *      full matrix, numpy.linalg.cholesky) runs on the same X when
 *      /usr/bin/python3 has numpy.
 * Timings are medians of REPS runs; the machine is shared, so CPU time of
 * the Gram is printed too.
 * OpenBLAS on this machine runs older kernels (OPENBLAS_CORETYPE is set by
 * the machine; left alone). Never part of the test suite (docs/design.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "bench_util.h"
#include "commands/cmd.h"
#include "commands/model.h"
#include "commands/out.h"
#include "commands/session.h"
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

/* (d) GP with the NNGP kernel through the command layer. */
#define NGP  4000
#define GP_SETUP "seed 1; data linear d=10 noise=0.1"
#define GP_MODEL "model gp kernel=nngp depth=10"
#define GP_SPEC  "nngp(act=relu, depth=10, sw2=2, sb2=0.1)"

static struct out_buffer ob;

static int
run(struct session *s, const char *line)
{
    bl_err err;
    if (cmd_run_line(s, line, &ob.out, &err) != BL_OK) {
        fprintf(stderr, "%s: %s\n", line, err.msg);
        return 1;
    }
    return 0;
}

/* The numpy peer on X; its total time (gram + cholesky) or NAN. */
static double
numpy_peer(const double *X, double *logdet)
{
    if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0)
        return (double)NAN;
    const char *path = "bench_kernel_X.bin";
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(X, sizeof *X, (size_t)NGP * DIN, f) != (size_t)NGP * DIN) {
        if (f)
            fclose(f);
        return (double)NAN;
    }
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/bench/nngp_peer.py %s %d %d %d 2 0.1 0.01",
             BL_SOURCE_DIR, path, NGP, DIN, DEPTH);
    double best = (double)NAN, tt[REPS];
    int got = 0;
    for (int r = 0; r < REPS; r++) {
        FILE *p = popen(cmd, "r");
        double g, c, t;
        if (p != NULL && fscanf(p, "peer gram %lf chol %lf total %lf logdet %lf", &g, &c, &t,
                                logdet) == 4)
            tt[got++] = t;
        if (p)
            pclose(p);
    }
    remove(path);
    if (got > 0)
        best = median(tt, got);
    return best;
}

/* CPU seconds of the process so far, over all its threads. */
static double
cpu_now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

static void
bench_gp_observe(void)
{
    bl_err err;
    out_buffer_init(&ob);
    double t_obs[REPS], t_rep[REPS], t_one[REPS], t_256[REPS], t_floor[REPS], lml[4] = {0};
    double u_obs[REPS], u_floor[REPS], u_rep[REPS], u_one[REPS], u_256[REPS];
    double *A = malloc((size_t)NGP * NGP * sizeof *A), *X = malloc((size_t)NGP * DIN * sizeof *X);
    memset(A, 0, (size_t)NGP * NGP * sizeof *A);
    int reps_obs = REPS;
    for (int r = 0; r < REPS; r++) {
        /* observe 4000 with the model in place, then show evidence */
        struct session *s = session_alloc(&err);
        if (r < reps_obs) {
            if (run(s, GP_SETUP "; " GP_MODEL))
                return;
            double t0 = now(), c0 = cpu_now();
            if (run(s, "observe 4000; show evidence"))
                return;
            t_obs[r] = now() - t0;
            u_obs[r] = cpu_now() - c0;
            lml[0] = s->m ? s->mc->log_evidence(s->m) : (double)NAN;
            /* A session that hands `observe N` over one point at a time is
             * 20x slower: once is enough to show it. */
            if (t_obs[r] > 15.0)
                reps_obs = r + 1;
        }
        session_free(s);
        /* the same stream replayed into the model in blocks of 256 */
        s = session_alloc(&err);
        if (run(s, GP_SETUP "; model blr; observe 4000"))
            return;
        memcpy(X, s->X, (size_t)NGP * DIN * sizeof *X);
        double t0 = now(), c1 = cpu_now();
        if (run(s, GP_MODEL "; show evidence"))
            return;
        t_rep[r] = now() - t0;
        u_rep[r] = cpu_now() - c1;
        lml[1] = s->mc->log_evidence(s->m);
        /* the class's block hook with the whole stream as one block */
        void *m = s->mc->create(s->mopts, s->world, &err);
        struct model_step *st = malloc(NGP * sizeof *st);
        double *rows = malloc((size_t)NGP * TR_COUNT * sizeof *rows);
        t0 = now();
        c1 = cpu_now();
        if (m == NULL || s->mc->observe_block(m, s->X, DIN, s->Y, NGP, 0, st, rows, NULL, &err) != BL_OK) {
            fprintf(stderr, "observe_block: %s\n", err.msg);
            return;
        }
        t_one[r] = now() - t0;
        u_one[r] = cpu_now() - c1;
        lml[2] = s->mc->log_evidence(m);
        s->mc->free(m);
        /* the same in blocks of 256, as the session cut every stream before */
        m = s->mc->create(s->mopts, s->world, &err);
        t0 = now();
        c1 = cpu_now();
        for (size_t t = 0; m != NULL && t < NGP; t += 256) {
            size_t k = NGP - t < 256 ? NGP - t : 256;
            double cum = t > 0 ? -s->mc->log_evidence(m) : 0;
            if (s->mc->observe_block(m, s->X + t * DIN, DIN, s->Y + t, k, cum, st, rows, NULL,
                                     &err) != BL_OK) {
                fprintf(stderr, "observe_block: %s\n", err.msg);
                return;
            }
        }
        t_256[r] = now() - t0;
        u_256[r] = cpu_now() - c1;
        lml[3] = m != NULL ? s->mc->log_evidence(m) : (double)NAN;
        s->mc->free(m);
        free(st);
        free(rows);
        session_free(s);
        /* the batch floor: the kernel matrix and one dpotrf */
        kernel *k = kernel_parse(GP_SPEC, DIN, &err);
        t0 = now();
        double c0 = cpu_now();
        kernel_gram(k, X, NGP, A, NULL, &err);
        for (size_t i = 0; i < NGP; i++)
            A[i * NGP + i] += 0.01;
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', NGP, A, NGP);
        t_floor[r] = now() - t0;
        u_floor[r] = cpu_now() - c0;
        kernel_free(k);
        if (info != 0)
            fprintf(stderr, "floor dpotrf info=%d\n", (int)info);
    }
    double fl = median(t_floor, REPS), ob_t = median(t_obs, reps_obs);
    double rp = median(t_rep, REPS), one = median(t_one, REPS), b256 = median(t_256, REPS);
    double ufl = median(u_floor, REPS), uob = median(u_obs, reps_obs), urp = median(u_rep, REPS);
    double uone = median(u_one, REPS), u256 = median(u_256, REPS);
    printf("gp nngp relu depth=%d d=%d n=%d: batch floor (gram + dpotrf) %.3f s (CPU %.3f s); "
           "`observe %d; show evidence` %.3f s (CPU %.3f s; %d run%s), ratio %.2f (CPU %.2f; "
           "target 1.3); replay after a model change %.3f s, ratio %.2f (CPU %.2f); "
           "observe_block with one block of %d %.3f s, ratio %.2f (CPU %.2f); observe_block in "
           "blocks of 256 %.3f s, ratio %.2f (CPU %.2f); log evidence %.10g / %.10g / %.10g / "
           "%.10g\n",
           DEPTH, DIN, NGP, fl, ufl, NGP, ob_t, uob, reps_obs, reps_obs > 1 ? "s" : "", ob_t / fl,
           uob / ufl, rp, rp / fl, urp / ufl, NGP, one, one / fl, uone / ufl, b256, b256 / fl,
           u256 / ufl, lml[0], lml[1], lml[2], lml[3]);
    double peer_ld = NAN, peer = numpy_peer(X, &peer_ld);
    if (isnan(peer))
        printf("numpy peer: skipped (no numpy on /usr/bin/python3)\n");
    else
        printf("numpy peer (same X, kernel over the full matrix + numpy.linalg.cholesky): %.3f s "
               "(ratio to the batch floor %.2f); its log det %.10g\n",
               peer, peer / fl, peer_ld);
    free(A);
    free(X);
    out_buffer_free(&ob);
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
    double t_nn[REPS], t_nv[REPS], c_nn[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        clock_t c0 = clock();
        if (nngp_gram(m, X, NN, K, NULL, NULL, &err) != BL_OK) {
            fprintf(stderr, "nngp_gram: %s\n", err.msg);
            return 1;
        }
        t_nn[r] = now() - t0;
        c_nn[r] = (double)(clock() - c0) / CLOCKS_PER_SEC;
        sink += K[12345];
        t0 = now();
        for (size_t i = 0; i < NAIVE_ROWS; i++)
            for (size_t j = 0; j < NN; j++)
                K[i * NN + j] = naive_entry(X + i * DIN, X + j * DIN, DIN, DEPTH, 2.0, 0.1);
        t_nv[r] = (now() - t0) * (double)NN / NAIVE_ROWS;
        sink += K[777];
    }
    double a_ours = median(t_nn, REPS), a_naive = median(t_nv, REPS), a_cpu = median(c_nn, REPS);
    double a_ns = 1e9 * a_ours / (0.5 * NN * (NN + 1.0) * DEPTH);
    printf("nngp relu gram n=%d d=%d depth=%d: %.3f s (%.2f ns/entry-layer over the half "
           "matrix, target 5: ratio %.2f; CPU %.3f s over all threads = %.2f ns); naive "
           "per-entry full matrix %.3f s (scaled from %d rows); speedup %.2fx\n",
           NN, DIN, DEPTH, a_ours, a_ns, a_ns / 5.0, a_cpu,
           1e9 * a_cpu / (0.5 * NN * (NN + 1.0) * DEPTH), a_naive, NAIVE_ROWS, a_naive / a_ours);
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
    bench_gp_observe();
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
