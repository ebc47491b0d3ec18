/* commands/gp_budget.c - see gp_budget.h. */
#include "commands/gp_budget.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* The calling thread's CPU time: a probe of a few microseconds that the
 * scheduler preempts on a loaded machine would otherwise read as
 * milliseconds on the wall clock, and thin a grid that fits the budget by
 * orders of magnitude (a screen golden changed that way once, under load). */
static double
cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define PROBES 3 /* the fastest of these: a cache miss or an interrupt can slow any one */

/* k points spread over [gx[0], gx[grid - 1]]. */
static void
coarse_grid(const double *gx, size_t grid, double *xs, size_t k)
{
    for (size_t i = 0; i < k; i++)
        xs[i] = gx[0] + (gx[grid - 1] - gx[0]) * (double)i / (double)(k > 1 ? k - 1 : 1);
}

/* Linear interpolation of v (at xs, k points) onto out (at gx, grid points). */
static void
interp(const double *xs, const double *v, size_t k, const double *gx, size_t grid, double *out)
{
    size_t j = 0;
    for (size_t g = 0; g < grid; g++) {
        while (j + 2 < k && xs[j + 1] < gx[g])
            j++;
        double span = xs[j + 1] - xs[j];
        double t = span > 0 ? (gx[g] - xs[j]) / span : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        out[g] = v[j] + t * (v[j + 1] - v[j]);
    }
}

int
gpb_predict(const gp *g, const double *gx, size_t grid, double *mean, double *var_f,
            double *var_y, double budget_s, double *eval_s, bool *thinned,
            const bl_cancel *cancel, bl_err *err)
{
    *thinned = false;
    /* The probe: one point costs n + 1 kernel evaluations. A kernel whose
     * first probe already overshoots the budget fourfold is not probed again. */
    double per_point = HUGE_VAL;
    for (int r = 0; r < PROBES && (r == 0 || per_point * (double)grid <= 4 * budget_s); r++) {
        double t0 = cpu_s();
        int rc = gp_predict(g, gx, 1, mean, var_f, var_y, cancel, err);
        if (rc != BL_OK)
            return rc;
        per_point = fmin(per_point, cpu_s() - t0);
    }
    *eval_s = per_point / (double)(gp_n(g) + 1);
    size_t k = grid;
    if (per_point * (double)grid > budget_s && grid > 2) {
        double fit = floor(budget_s / fmax(per_point, 1e-12));
        k = fit < 2 ? 2 : fit < (double)grid ? (size_t)fit : grid;
    }
    if (k == grid)
        return gp_predict(g, gx, grid, mean, var_f, var_y, cancel, err);
    *thinned = true;
    double *buf = malloc(4 * k * sizeof *buf);
    if (buf == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    double *xs = buf, *m = xs + k, *vf = m + k, *vy = vf + k;
    coarse_grid(gx, grid, xs, k);
    int rc = gp_predict(g, xs, k, m, vf, vy, cancel, err);
    if (rc == BL_OK) {
        if (mean != NULL)
            interp(xs, m, k, gx, grid, mean);
        if (var_f != NULL)
            interp(xs, vf, k, gx, grid, var_f);
        if (var_y != NULL)
            interp(xs, vy, k, gx, grid, var_y);
    }
    free(buf);
    return rc;
}

int
gpb_draws(const gp *g, const double *gx, size_t grid, const double *Z, size_t ndraws,
          double *F, double eval_s, double budget_s, bool *done, bl_err *err)
{
    *done = false;
    /* k points cost about k (k + 1) / 2 + k n evaluations (the k x k and
     * k x n cross kernels), plus the k^3 / 3 factor at ~1 ns a flop. */
    double n = (double)gp_n(g);
    size_t k = grid;
    while (k >= GPB_MIN_DRAW_PTS) {
        double kk = (double)k;
        if (eval_s * (kk * (kk + 1) / 2 + kk * n) + 1e-9 * kk * kk * kk / 3 <= budget_s)
            break;
        k = k * 3 / 4;
    }
    if (k < GPB_MIN_DRAW_PTS)
        return BL_OK;
    if (k == grid) {
        int rc = gp_draws(g, gx, grid, Z, ndraws, F, NULL, err);
        *done = rc == BL_OK;
        return rc;
    }
    /* Thinned: the first k of each row of fixed normals, so the draws keep
     * their shape from frame to frame. */
    double *buf = malloc((k + 2 * ndraws * k) * sizeof *buf);
    if (buf == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    double *xs = buf, *zs = xs + k, *fs = zs + ndraws * k;
    coarse_grid(gx, grid, xs, k);
    for (size_t r = 0; r < ndraws; r++)
        for (size_t i = 0; i < k; i++)
            zs[r * k + i] = Z[r * grid + i];
    int rc = gp_draws(g, xs, k, zs, ndraws, fs, NULL, err);
    if (rc == BL_OK) {
        for (size_t r = 0; r < ndraws; r++)
            interp(xs, fs + r * k, k, gx, grid, F + r * grid);
        *done = true;
    }
    free(buf);
    return rc;
}
