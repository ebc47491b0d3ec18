/* tests/bench/bench_optimize.c - gp_optimize on the lecture problems, the
 * numbers docs/optimize.md quotes (median of REPS timed runs,
 * CLOCK_MONOTONIC, OpenBLAS left at its default thread count: the optimizer
 * pins it to one itself):
 *  (a) examples/kernels.lens: co2_monthly, the first 240 rows raw, the data
 *      mean, kernel and start KERNELS_SPEC (Rasmussen and Williams' Mauna Loa
 *      kernel, their values), noise=0.19, the trend's length scale held
 *      with the period and periodic.var (fix=). Targets: converged, under
 *      0.5 s, log ML at least scikit-learn's from the same start;
 *  (b) examples/sunspots.lens's GP: sunspots_yearly standardised, all 309
 *      rows, "rbf(var=0.5, ls=0.05)", noise=0.3;
 *  (c) scikit-learn's L-BFGS-B on (a) (tests/bench/co2_sklearn.py, box
 *      (1e-5, 1e7), the same held parameters) when /usr/bin/python3 can
 *      import sklearn, else skipped; (a) must reach at least its log ML
 *      (issue 12; it reaches -67.54198827 against -67.54199205, and
 *      tests/test_cmd_gp.c checks 1%).
 * The 0.5 s target is checked on CPU time (CLOCK_PROCESS_CPUTIME_ID), wall
 * time printed beside it.
 * BENCH_OPT_TRACE=1 prints every iteration of (a). Never part of the test
 * suite (docs/design.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "datasets/builtin.h"

#define REPS 5

static double
cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct problem {
    const char *name, *data, *spec;
    size_t n;
    bool standardize;
    double noise_sd;
    gp_mean_kind mean;
    const char *fix; /* kernel parameters held, comma-separated, or NULL */
} problem;

#define KERNELS_SPEC                                                                       \
    "rbf(var=4356, ls=67) + rbf(var=5.76, ls=90) * periodic(ls=1.3, period=1) + rq(var=0.4356, " \
    "ls=1.2, alpha=0.78) + rbf(var=0.0324, ls=0.134)"

static const problem problems[] = {
    {"kernels.lens (CO2)", "co2_monthly", KERNELS_SPEC, 240, false, 0.19, GP_MEAN_DATA,
     "rbf1.ls,periodic.var,periodic.period"},
    {"sunspots.lens", "sunspots_yearly", "rbf(var=0.5, ls=0.05)", 309, true, 0.3, GP_MEAN_ZERO,
     NULL},
};

static void
trace(void *ctx, size_t iter, double log_ml, double gnorm)
{
    (void)ctx;
    printf("    iteration %3zu  log ML %.12g  |grad| %.3g\n", iter, log_ml, gnorm);
}

/* A model of problem p fitted to its data, or NULL. */
static gp *
build(const problem *p)
{
    bl_err err;
    table *t = builtin_load(p->data, &err);
    if (t == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    if (p->standardize)
        table_standardize(t);
    double *X = malloc(p->n * sizeof *X), *y = malloc(p->n * sizeof *y);
    for (size_t i = 0; i < p->n; i++) {
        X[i] = t->data[i * t->cols];
        y[i] = t->data[i * t->cols + 1];
    }
    table_free(t);
    gp *g = gp_alloc(kernel_parse(p->spec, 1, &err), p->noise_sd * p->noise_sd, &err);
    if (g == NULL || gp_set_mean(g, p->mean, NULL, &err) != BL_OK ||
        gp_fit(g, X, y, p->n, NULL, &err) != BL_OK) {
        fprintf(stderr, "%s: %s\n", p->name, err.msg);
        gp_free(g);
        g = NULL;
    }
    free(X);
    free(y);
    return g;
}

static double co2_lml = NAN; /* (a)'s result, for (c) */

static int
bench(const problem *p, bool show_trace, int *bad)
{
    double times[REPS], cpu[REPS];
    gp_opt_result r = {0};
    char spec[1024] = "";
    for (int rep = 0; rep < REPS; rep++) {
        gp *g = build(p);
        if (g == NULL)
            return 1;
        bool fix[KERNEL_MAX_LEAVES * 3 + GP_MEAN_MAX_PARAMS] = {false};
        for (size_t i = 0; p->fix != NULL && i < kernel_nparams(gp_kernel(g)); i++) {
            const char *name = kernel_param_name(gp_kernel(g), i), *f = strstr(p->fix, name);
            size_t len = strlen(name);
            fix[i] = f != NULL && (f == p->fix || f[-1] == ',') && (f[len] == ',' || !f[len]);
        }
        gp_opt_opts o = {.fix = fix};
        if (show_trace && rep == 0) {
            o.progress = trace;
            printf("  %s, trace:\n", p->name);
        }
        bl_err err;
        double t0 = now(), c0 = cpu_now();
        int rc = gp_optimize(g, &o, &r, NULL, &err);
        times[rep] = now() - t0;
        cpu[rep] = cpu_now() - c0;
        if (rc != BL_OK) {
            fprintf(stderr, "%s: %s\n", p->name, err.msg);
            gp_free(g);
            return 1;
        }
        kernel_format(gp_kernel(g), spec, sizeof spec);
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), " noise=%.6g",
                 sqrt(gp_noise(g)));
        gp_free(g);
    }
    double t = median(times, REPS), tc = median(cpu, REPS);
    printf("  %-20s log ML %.10g -> %.10g, %zu iterations, %zu factorisations, %s "
           "(%s, |grad| %.2g), %.3f s (CPU %.3f s)\n    %s\n",
           p->name, r.log_ml_before, r.log_ml_after, r.iterations, r.evaluations,
           r.converged ? "converged" : "NOT converged", gp_opt_stop_name(r.stop), r.grad_norm, t,
           tc, spec);
    if (p == &problems[0])
        co2_lml = r.log_ml_after;
    if (!r.converged)
        (*bad)++;
    /* The target is on CPU time: this machine's two cores are shared, and
     * the wall clock then measures the neighbours (both are printed). */
    if (p == &problems[0] && tc > 0.5) {
        printf("  target missed: CPU %.3f s > 0.5 s\n", tc);
        (*bad)++;
    }
    return 0;
}

int
main(void)
{
    printf("bench_optimize: gp_optimize (L-BFGS, strong-Wolfe line search, log box), median "
           "of %d\n",
           REPS);
    const char *tr = getenv("BENCH_OPT_TRACE");
    int bad = 0;
    for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
        if (bench(&problems[i], i == 0 && tr && tr[0] == '1', &bad) != 0)
            return 1;
    /* scikit-learn from the same start, when installed: ours must reach at
     * least its log ML. */
    if (system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") == 0) {
        printf("  scikit-learn on kernels.lens (tests/bench/co2_sklearn.py):\n");
        fflush(stdout);
        FILE *py = popen("/usr/bin/python3 " BL_SOURCE_DIR "/tests/bench/co2_sklearn.py " BL_SOURCE_DIR
                         "/datasets/data/co2_monthly.csv",
                         "r");
        char line[1024];
        double after = NAN; /* the best of its runs */
        while (py && fgets(line, sizeof line, py)) {
            double b, a;
            printf("    %s", line);
            if (sscanf(line, "log marginal %lf -> %lf", &b, &a) == 2 && !(a <= after))
                after = a;
        }
        if (py == NULL || pclose(py) != 0 || isnan(after)) {
            printf("  scikit-learn: the script failed\n");
            bad++;
        } else if (co2_lml < after) {
            printf("  target missed: log ML %.10g below scikit-learn's %.10g\n", co2_lml, after);
            bad++;
        } else {
            printf("  log ML %.10g, scikit-learn's %.10g (%+.3g%%)\n", co2_lml, after,
                   100 * (co2_lml - after) / fabs(after));
        }
    } else {
        printf("  scikit-learn: skipped (/usr/bin/python3 cannot import sklearn)\n");
    }
    if (bad)
        printf("bench_optimize: %d target%s missed\n", bad, bad == 1 ? "" : "s");
    return 0;
}
