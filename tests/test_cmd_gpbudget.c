/* tests/test_cmd_gpbudget.c - commands/gp_budget: within budget the grid results
 * are exactly gp_predict's and gp_draws'; with a budget too small for the
 * grid the predictive is thinned and interpolated (close to the full one for
 * a smooth posterior) and the draws are left out, in bounded time (an NNGP
 * of depth 50 took 58 s for one frame before). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "harness.h"
#include "commands/gp_budget.h"

#define GRID 96

static gp *
model(const char *spec, size_t n)
{
    bl_err err;
    gp *g = gp_alloc(kernel_parse(spec, 1, &err), 0.01, &err);
    CHECK(g != NULL, "%s: %s", spec, err.msg);
    for (size_t i = 0; g != NULL && i < n; i++) {
        double x = -2 + 4 * (double)i / (double)(n - 1), y = sin(2 * x);
        CHECK(gp_observe(g, &x, y, NULL, &err) == BL_OK, "observe: %s", err.msg);
    }
    return g;
}

static double
seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int
main(void)
{
    TEST_INIT();
    bl_err err;
    double gx[GRID], z[3 * GRID], m0[GRID], vf0[GRID], vy0[GRID], f0[3 * GRID];
    double m1[GRID], vf1[GRID], vy1[GRID], f1[3 * GRID];
    for (size_t i = 0; i < GRID; i++)
        gx[i] = -3 + 6 * (double)i / (GRID - 1);
    for (size_t i = 0; i < 3 * GRID; i++)
        z[i] = sin(1.7 * (double)i + 0.3); /* any fixed numbers */

    gp *g = model("rbf(ls=0.7)", 20);
    if (g == NULL)
        return TEST_REPORT();
    /* A generous budget: the very same numbers as the direct calls. */
    CHECK(gp_predict(g, gx, GRID, m0, vf0, vy0, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(gp_draws(g, gx, GRID, z, 3, f0, NULL, &err) == BL_OK, "%s", err.msg);
    double eval_s;
    bool thinned = true, done = false;
    CHECK(gpb_predict(g, gx, GRID, m1, vf1, vy1, 100, &eval_s, &thinned, NULL, &err) == BL_OK,
          "%s", err.msg);
    CHECK(!thinned, "a fast kernel is not thinned");
    CHECK(memcmp(m0, m1, sizeof m0) == 0 && memcmp(vy0, vy1, sizeof vy0) == 0,
          "within budget: identical predictive");
    CHECK(gpb_draws(g, gx, GRID, z, 3, f1, eval_s, 100, &done, &err) == BL_OK, "%s", err.msg);
    CHECK(done && memcmp(f0, f1, sizeof f0) == 0, "within budget: identical draws");

    /* No budget at all: thinned to 2 points, interpolated; no draws. */
    CHECK(gpb_predict(g, gx, GRID, m1, vf1, vy1, 0, &eval_s, &thinned, NULL, &err) == BL_OK,
          "%s", err.msg);
    CHECK(thinned, "a zero budget thins the grid");
    bool finite = true;
    for (size_t i = 0; i < GRID; i++)
        finite = finite && isfinite(m1[i]) && vy1[i] > 0;
    CHECK(finite, "thinned predictive finite, variances positive");
    memcpy(f1, f0, sizeof f0);
    CHECK(gpb_draws(g, gx, GRID, z, 3, f1, eval_s, 0, &done, &err) == BL_OK, "%s", err.msg);
    CHECK(!done && memcmp(f0, f1, sizeof f0) == 0, "no draws, F untouched");

    /* A moderate budget: thinned draws still follow the full ones' shape
     * (same first normals), interpolated onto the whole grid. */
    CHECK(gpb_predict(g, gx, GRID, m1, vf1, vy1, 50 * eval_s * 21, &eval_s, &thinned, NULL,
                      &err) == BL_OK, "%s", err.msg);
    double worst = 0;
    for (size_t i = 0; i < GRID; i++)
        worst = fmax(worst, fabs(m1[i] - m0[i]));
    /* 1.0: the posterior mean of sin(2x) data varies by ~2 over the grid */
    CHECK(worst < 1.0, "thinned mean near the full one (max diff %g)", worst);
    gp_free(g);

    /* The slow kernel of issue 10: bounded by the budgets plus the probe. */
    g = model("nngp(act=tanh, depth=50)", 20);
    if (g != NULL) {
        double t0 = seconds();
        CHECK(gpb_predict(g, gx, GRID, m1, vf1, vy1, 0.2, &eval_s, &thinned, NULL, &err) == BL_OK,
              "%s", err.msg);
        CHECK(gpb_draws(g, gx, GRID, z, 3, f1, eval_s, 0.2, &done, &err) == BL_OK, "%s",
              err.msg);
        double t = seconds() - t0;
        /* 10 s: budgets of 0.4 s in all, with room for a loaded machine */
        CHECK(t < 10, "depth-50 NNGP on the grid took %.1f s", t);
        gp_free(g);
    }
    return TEST_REPORT();
}
