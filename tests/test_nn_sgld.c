/* tests/test_nn_sgld.c - SGLD at T = 1 samples the Bayesian posterior of a net
 * (issue #14): the stationary moments of a 2-parameter network's chain against
 * 2-D quadrature of exp(-N J), with the check's power against a temperature off
 * by 20%. Fixed seeds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/nn/nn.h"
#include "harness.h"

/* Width 1, depth 1, tanh, no biases, d = 1, ntk: f(x) = sqrt(sw2) w2 tanh(sqrt(sw2) w1 x),
 * theta = (w1, w2), N = 6 points, posterior exp(-N J) = exp(-sum r^2/(2 s2) - |theta|^2/2).
 * Moments of functions invariant under theta -> -theta (the posterior's symmetry,
 * whose two modes a chain need not visit equally): E w1^2, E w2^2, E w1 w2, E f(x*)
 * and Var f(x*), x* = 0.7, against a 2-D trapezoid rule on [-7, 7]^2 (801^2 nodes:
 * spectrally accurate for this smooth, Gaussian-tailed density; the tails beyond
 * |w| = 7 weigh exp(-24)). Two chains, h = lr/N = 1e-3 and 2e-3, each 4 10^6 steps
 * after 2 10^4 of burn-in, every 10th state kept, 50 batch means (batches of 8 10^4
 * steps, many autocorrelation times). SGLD's stationary law is off the posterior by
 * the Euler-Maruyama bias, linear in h (measured on Var f: +0.5%, +2.5%, +6.7% at h
 * = 0.5, 1, 2 10^-3), so the moments are Richardson-extrapolated to h = 0 (2 m(h) -
 * m(2h), batch by batch) and compared with 4 standard errors of the extrapolation
 * plus 0.5% for the O(h^2) remainder. Power: the tempered posterior exp(-N J / T) at
 * T = 0.8 and 1.2 (a noise variance off by 20%) moves Var f by 19%, more than 2
 * tolerances (checked; each moment's shift is printed). Three other seed pairs put
 * the extrapolated Var f at -1.5%, +0.2%, -0.6% of the quadrature (this one: -1.8%). */
#define SG_N 6
static const double sg_x[SG_N] = {-1.2, -0.6, -0.1, 0.4, 0.9, 1.5};
static const double sg_y[SG_N] = {-0.9, -0.45, -0.1, 0.35, 0.55, 0.75};
#define SG_S2 0.1
#define SG_SW2 1.5
#define SG_XSTAR 0.7
enum { NMOM = 5 };

/* The raw moments accumulated: w1^2, w2^2, w1 w2, f, f^2 (Var f from the last two). */
static void
sg_raw(double w1, double w2, double *m)
{
    double a = sqrt(SG_SW2), fx = a * w2 * tanh(a * w1 * SG_XSTAR);
    m[0] = w1 * w1;
    m[1] = w2 * w2;
    m[2] = w1 * w2;
    m[3] = fx;
    m[4] = fx * fx;
}

static void
sg_finish(double *m)
{
    m[4] -= m[3] * m[3];
}

static void
sg_quadrature(double T, double *mom)
{
    enum { G = 801 };
    double lo = -7, h = 14.0 / (G - 1), a = sqrt(SG_SW2);
    double z = 0, acc[NMOM] = {0}, lmax = -INFINITY;
    double *lp = malloc(G * G * sizeof(double));
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            double w1 = lo + i * h, w2 = lo + j * h, u = 0;
            for (int k = 0; k < SG_N; k++) {
                double r = a * w2 * tanh(a * w1 * sg_x[k]) - sg_y[k];
                u += r * r / (2 * SG_S2);
            }
            u += 0.5 * (w1 * w1 + w2 * w2);
            lp[i * G + j] = -u / T;
            lmax = fmax(lmax, lp[i * G + j]);
        }
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            double wt = exp(lp[i * G + j] - lmax), m[NMOM];
            wt *= (i == 0 || i == G - 1 ? 0.5 : 1) * (j == 0 || j == G - 1 ? 0.5 : 1);
            sg_raw(lo + i * h, lo + j * h, m);
            z += wt;
            for (int q = 0; q < NMOM; q++)
                acc[q] += wt * m[q];
        }
    for (int q = 0; q < NMOM; q++)
        mom[q] = acc[q] / z;
    sg_finish(mom);
    free(lp);
}

enum { NB = 50, KEEP = 8000, THIN = 10 };

/* One chain of step h = lr/N from the prior draw of seed 3: NB batch means of the moments. */
static int
sg_chain(double h, uint64_t seed, double bm[NB][NMOM], bl_err *err)
{
    nn_opts o = nn_opts_default();
    o.in_dim = 1;
    o.width = 1;
    o.depth = 1;
    o.act = NNGP_TANH;
    o.sw2 = SG_SW2;
    o.sb2 = 0;
    o.seed = 3;
    nn *net = nn_alloc(&o, err);
    CHECK(net != NULL && nn_nparams(net) == 2, "2 parameters");
    nn_train_opts to = nn_train_opts_default();
    to.opt = NN_OPT_SGLD;
    to.temperature = 1;
    to.noise_var = SG_S2;
    to.lr = h * SG_N;
    nn_trainer *t = nn_trainer_alloc(net, &to, seed, err);
    int rc = nn_train(t, net, sg_x, sg_y, SG_N, 20000, NULL, NULL, NULL, err);
    for (int b = 0; b < NB && rc == BL_OK; b++) {
        double acc[NMOM] = {0};
        for (int s = 0; s < KEEP && rc == BL_OK; s++) {
            rc = nn_train(t, net, sg_x, sg_y, SG_N, THIN, NULL, NULL, NULL, err);
            double th[2], m[NMOM];
            nn_get_params(net, th);
            sg_raw(th[0], th[1], m);
            for (int q = 0; q < NMOM; q++)
                acc[q] += m[q];
        }
        for (int q = 0; q < NMOM; q++)
            bm[b][q] = acc[q] / KEEP;
        sg_finish(bm[b]);
    }
    CHECK(rc != BL_OK || nn_trainer_steps(t) == 20000 + (size_t)NB * KEEP * THIN, "steps %zu",
          nn_trainer_steps(t));
    nn_trainer_free(t);
    nn_free(net);
    return rc;
}

static void
test_sgld_posterior(void)
{
    bl_err err;
    static double b1[NB][NMOM], b2[NB][NMOM];
    CHECK(sg_chain(1e-3, 17, b1, &err) == BL_OK, "%s", err.msg);
    CHECK(sg_chain(2e-3, 18, b2, &err) == BL_OK, "%s", err.msg);
    double ref[NMOM], hot[NMOM], cold[NMOM];
    sg_quadrature(1.0, ref);
    sg_quadrature(1.2, hot);
    sg_quadrature(0.8, cold);
    const char *name[NMOM] = {"E w1^2", "E w2^2", "E w1 w2", "E f(0.7)", "Var f(0.7)"};
    double power = 0;
    for (int q = 0; q < NMOM; q++) {
        double m = 0, v = 0, raw = 0;
        for (int b = 0; b < NB; b++) {
            m += (2 * b1[b][q] - b2[b][q]) / NB;
            raw += b1[b][q] / NB;
        }
        for (int b = 0; b < NB; b++) {
            double e = 2 * b1[b][q] - b2[b][q] - m;
            v += e * e / (NB - 1);
        }
        double se = sqrt(v / NB), tol = 4 * se + 0.005 * fabs(ref[q]);
        printf("SGLD T=1 %-10s h=1e-3 %+.2f%%, extrapolated %.5f (se %.5f) vs quadrature %.5f "
               "(%+.2f%%); T=1.2 %+.1f%%, T=0.8 %+.1f%%; tolerance %.1f%%\n",
               name[q], 100 * (raw / ref[q] - 1), m, se, ref[q], 100 * (m / ref[q] - 1),
               100 * (hot[q] / ref[q] - 1), 100 * (cold[q] / ref[q] - 1),
               100 * tol / fabs(ref[q]));
        CHECK(fabs(m - ref[q]) <= tol, "SGLD %s = %.5f, posterior %.5f (tol %.5f)", name[q], m,
              ref[q], tol);
        power = fmax(power, fmin(fabs(hot[q] - ref[q]), fabs(cold[q] - ref[q])) / tol);
    }
    printf("SGLD power: a 20%% temperature error moves a moment by %.2f tolerances\n", power);
    CHECK(power > 2, "SGLD check has no power against a 20%% temperature error (%.2f)", power);
}

int
main(void)
{
    TEST_INIT();
    test_sgld_posterior();
    return TEST_REPORT();
}
