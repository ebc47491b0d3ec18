/* tests/test_nn.c - core/nn: forward pass and objective against a reference
 * written from the conventions of nn.h (explicit loops, independent activation
 * formulas), gradients against central finite differences of that reference for
 * every layer, parametrization and activation, parameters round trip, seeding,
 * the optimizers' steps against hand computations, SGLD's noise scale, the
 * empirical layer kernels and NTK against explicit computations. The
 * statistical limits (NNGP, NTK, kernel regression, SGLD posterior) are in
 * test_nn_limits.c; thread and kernel reproducibility in test_nn_repro.c. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/kernel/nngp.h"
#include "core/nn/nn.h"
#include "harness.h"

/* ---- reference: the conventions of nn.h, point by point ------------------------ */

static double
ref_phi(const nn_opts *o, double x)
{
    switch (o->act) {
    case NNGP_RELU: return fmax(x, 0.0);
    case NNGP_ERF: return erf(x);
    case NNGP_TANH: return tanh(x);
    case NNGP_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case NNGP_SILU: return x / (1.0 + exp(-x));
    case NNGP_SIN: return sin(x);
    case NNGP_LEAKY_RELU: return x >= 0 ? x : o->slope * x;
    case NNGP_ABS: return fabs(x);
    default: return NAN;
    }
}

/* The forward multiplier of W^l and b^l, and their prior variances (nn.h). */
static void
ref_scales(const nn_opts *o, size_t l, double *a, double *c, double *vw, double *vb)
{
    size_t L = o->depth, fi = l == 1 ? o->in_dim : o->width;
    double fin = (double)fi;
    switch (o->param) {
    case NN_PARAM_STANDARD:
        *a = *c = 1.0;
        *vw = o->sw2 / fin;
        *vb = o->sb2;
        break;
    case NN_PARAM_MUP:
        *a = l == L + 1 ? sqrt(o->sw2) / fin : sqrt(o->sw2 / fin);
        *c = sqrt(o->sb2);
        *vw = *vb = 1.0;
        break;
    default:
        *a = sqrt(o->sw2 / fin);
        *c = sqrt(o->sb2);
        *vw = *vb = 1.0;
    }
}

/* f(x); if hid != NULL, hid[(l-1) n + i] = phi(h^l_i), l = 1..L. */
static double
ref_f(const nn_opts *o, const double *th, const double *x, double *hid)
{
    size_t n = o->width, L = o->depth, p = 0;
    double in[64], out[64];
    size_t fi = o->in_dim;
    memcpy(in, x, fi * sizeof(double));
    for (size_t l = 1; l <= L + 1; l++) {
        size_t fo = l == L + 1 ? 1 : n;
        double a, c, vw, vb;
        ref_scales(o, l, &a, &c, &vw, &vb);
        for (size_t i = 0; i < fo; i++) {
            double s = 0;
            for (size_t j = 0; j < fi; j++)
                s += th[p + i * fi + j] * in[j];
            out[i] = a * s;
        }
        p += fo * fi;
        if (o->sb2 > 0) {
            for (size_t i = 0; i < fo; i++)
                out[i] += c * th[p + i];
            p += fo;
        }
        if (l == L + 1)
            return out[0];
        for (size_t i = 0; i < fo; i++) {
            in[i] = ref_phi(o, out[i]);
            if (hid != NULL)
                hid[(l - 1) * n + i] = in[i];
        }
        fi = fo;
    }
    return NAN;
}

static size_t
ref_nparams(const nn_opts *o)
{
    size_t n = o->width, L = o->depth, b = o->sb2 > 0;
    return o->in_dim * n + b * n + (L - 1) * (n * n + b * n) + n + b;
}

/* J of nn.h: (1/N) [ (N/B) sum r^2 / (2 s2) + (1/2) sum theta^2 / v ]. */
static double
ref_J(const nn_opts *o, const double *th, const double *X, const double *Y, size_t B, size_t N,
      double s2)
{
    double sse = 0;
    for (size_t i = 0; i < B; i++) {
        double r = ref_f(o, th, X + i * o->in_dim, NULL) - Y[i];
        sse += r * r;
    }
    double pr = 0;
    size_t p = 0, fi = o->in_dim;
    for (size_t l = 1; l <= o->depth + 1; l++) {
        size_t fo = l == o->depth + 1 ? 1 : o->width;
        double a, c, vw, vb;
        ref_scales(o, l, &a, &c, &vw, &vb);
        for (size_t i = 0; i < fo * fi; i++, p++)
            pr += th[p] * th[p] / vw;
        if (o->sb2 > 0)
            for (size_t i = 0; i < fo; i++, p++)
                pr += th[p] * th[p] / vb;
        fi = fo;
    }
    return ((double)N / (double)B * sse / (2 * s2) + 0.5 * pr) / (double)N;
}

static void
fill_uniform(gsl_rng *r, double *x, size_t m, double lo, double hi)
{
    for (size_t i = 0; i < m; i++)
        x[i] = lo + (hi - lo) * gsl_rng_uniform(r);
}

/* ---- tests ----------------------------------------------------------------------- */

static void
test_parse(void)
{
    bl_err err;
    nn_param p;
    nn_optimizer o;
    for (int i = 0; i < NN_NPARAM; i++)
        CHECK(nn_param_parse(nn_param_name((nn_param)i), &p, &err) == BL_OK && p == (nn_param)i,
              "param %d round trip", i);
    for (int i = 0; i < NN_NOPT; i++)
        CHECK(nn_optimizer_parse(nn_optimizer_name((nn_optimizer)i), &o, &err) == BL_OK &&
                  o == (nn_optimizer)i,
              "optimizer %d round trip", i);
    CHECK(nn_param_parse("ntkk", &p, &err) == BL_EINVAL && strstr(err.msg, "standard, ntk, mup"),
          "message: %s", err.msg);
    CHECK(nn_optimizer_parse("rmsprop", &o, &err) == BL_EINVAL && strstr(err.msg, "sgd, adam"),
          "message: %s", err.msg);
    nn_opts d = nn_opts_default();
    CHECK(d.in_dim == 1 && d.width == 256 && d.depth == 2 && d.act == NNGP_RELU &&
              d.param == NN_PARAM_NTK && d.sw2 == 2 && d.sb2 == 0.1 && d.slope == 0.1 && d.seed == 1,
          "defaults");
    nn_train_opts t = nn_train_opts_default();
    CHECK(t.opt == NN_OPT_SGD && t.lr == 1e-2 && t.batch == 0 && t.temperature == 1 &&
              t.noise_var == 0.01,
          "train defaults");
    /* Validation names the culprit. */
    struct { nn_opts o; const char *msg; } bad[6];
    for (int i = 0; i < 6; i++)
        bad[i].o = d;
    bad[0].o.in_dim = 0, bad[0].msg = "in_dim=0";
    bad[1].o.width = 0, bad[1].msg = "width=0";
    bad[2].o.depth = NN_MAX_DEPTH + 1, bad[2].msg = "depth=65";
    bad[3].o.sw2 = 0, bad[3].msg = "sw2=0";
    bad[4].o.sb2 = -1, bad[4].msg = "sb2=-1";
    bad[5].o.width = NN_MAX_WIDTH + 1, bad[5].msg = "width=65537";
    for (int i = 0; i < 6; i++) {
        nn *net = nn_alloc(&bad[i].o, &err);
        CHECK(net == NULL && err.code == BL_EINVAL && strstr(err.msg, bad[i].msg) != NULL,
              "bad opts %d: %s", i, err.msg);
        nn_free(net);
    }
    nn_free(NULL);
    nn_trainer_free(NULL);
    nn *net = nn_alloc(&d, &err);
    nn_train_opts to = t;
    to.lr = -1;
    CHECK(nn_trainer_alloc(net, &to, 1, &err) == NULL && strstr(err.msg, "lr=-1"), "%s", err.msg);
    to = t;
    to.noise_var = 0;
    CHECK(nn_trainer_alloc(net, &to, 1, &err) == NULL && strstr(err.msg, "noise=0"), "%s",
          err.msg);
    to = t;
    to.temperature = -1;
    CHECK(nn_trainer_alloc(net, &to, 1, &err) == NULL && strstr(err.msg, "temperature=-1"), "%s",
          err.msg);
    double x[2] = {0.5, NAN}, y[2] = {1, 2}, f[2], obj;
    CHECK(nn_predict(net, x, 2, f, &err) == BL_EINVAL && strstr(err.msg, "input 1"), "%s", err.msg);
    CHECK(nn_predict(net, x, 0, f, &err) == BL_EINVAL, "0 points accepted");
    x[1] = 0.1;
    CHECK(nn_objective_grad(net, x, y, 2, 1, 0.1, &obj, NULL, &err) == BL_EINVAL &&
              strstr(err.msg, "N=1"),
          "%s", err.msg);
    CHECK(nn_objective_grad(net, x, y, 2, 2, 0, &obj, NULL, &err) == BL_EINVAL, "s2=0 accepted");
    y[0] = INFINITY;
    CHECK(nn_objective_grad(net, x, y, 2, 2, 0.1, &obj, NULL, &err) == BL_EINVAL &&
              strstr(err.msg, "target 0"),
          "%s", err.msg);
    nn_free(net);
}

/* Forward and objective against the reference, and every gradient entry against
 * central differences of the reference J, for every parametrization x activation,
 * with and without biases. Per (case, layer, W or b), the largest error relative
 * to 1 + max |grad| of the case. Tolerance 1e-7: the central difference with h =
 * 1e-5 errs by h^2 |J'''| / 6 ~ 1e-11 and by rounding eps |J| / h ~ 1e-11; the
 * kinked activations (relu, leaky_relu, abs) would err by O(1) only if a
 * pre-activation sat within ~1e-5 of 0 (the seeds are fixed; none does). */
static void
test_gradients(void)
{
    bl_err err;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    enum { D = 3, W = 5, DEPTH = 3, B = 4, NTOT = 7 };
    double X[B * D], Y[B];
    fill_uniform(r, X, B * D, -1.5, 1.5);
    fill_uniform(r, Y, B, -1, 1);
    int cases = 0;
    double worst = 0;
    for (int par = 0; par < NN_NPARAM; par++)
        for (int act = 0; act < NNGP_NACT; act++)
            for (int bias = 0; bias < 2; bias++) {
                nn_opts o = nn_opts_default();
                o.in_dim = D;
                o.width = W;
                o.depth = DEPTH;
                o.act = (nngp_act)act;
                o.param = (nn_param)par;
                o.sw2 = 1.7;
                o.sb2 = bias ? 0.3 : 0.0;
                o.slope = 0.2;
                o.seed = 100 + (uint64_t)(par * 100 + act * 2 + bias);
                nn *net = nn_alloc(&o, &err);
                CHECK(net != NULL, "alloc: %s", err.msg);
                if (net == NULL)
                    continue;
                size_t P = nn_nparams(net);
                CHECK(P == ref_nparams(&o), "%s/%s/b%d: %zu params, want %zu",
                      nn_param_name(o.param), nngp_act_name(o.act), bias, P, ref_nparams(&o));
                double *th = malloc(P * sizeof(double)), *g = malloc(P * sizeof(double));
                nn_get_params(net, th);
                double f[B], maxf = 0;
                CHECK(nn_predict(net, X, B, f, &err) == BL_OK, "%s", err.msg);
                for (int i = 0; i < B; i++)
                    maxf = fmax(maxf, fabs(f[i] - ref_f(&o, th, X + i * D, NULL)));
                /* One dgemm order against another: a few ulps of O(1) values. */
                CHECK(maxf <= 1e-13, "%s/%s/b%d: forward off by %g", nn_param_name(o.param),
                      nngp_act_name(o.act), bias, maxf);
                double J, s2 = 0.2;
                CHECK(nn_objective_grad(net, X, Y, B, NTOT, s2, &J, g, &err) == BL_OK, "%s",
                      err.msg);
                CHECK_REL(J, ref_J(&o, th, X, Y, B, NTOT, s2), 1e-13);
                double gmax = 0;
                for (size_t p = 0; p < P; p++)
                    gmax = fmax(gmax, fabs(g[p]));
                /* Walk the layers in nn.h's order. */
                size_t p = 0, fi = D;
                for (size_t l = 1; l <= DEPTH + 1; l++) {
                    size_t fo = l == DEPTH + 1 ? 1 : W;
                    for (int part = 0; part < 1 + bias; part++) {
                        size_t m = part == 0 ? fo * fi : fo;
                        double e = 0;
                        for (size_t k = 0; k < m; k++, p++) {
                            double h = 1e-5, save = th[p];
                            th[p] = save + h;
                            double jp = ref_J(&o, th, X, Y, B, NTOT, s2);
                            th[p] = save - h;
                            double jm = ref_J(&o, th, X, Y, B, NTOT, s2);
                            th[p] = save;
                            e = fmax(e, fabs(g[p] - (jp - jm) / (2 * h)));
                        }
                        e /= 1 + gmax;
                        worst = fmax(worst, e);
                        CHECK(e <= 1e-7, "%s/%s/b%d: layer %zu %s gradient off by %g",
                              nn_param_name(o.param), nngp_act_name(o.act), bias, l,
                              part ? "b" : "W", e);
                    }
                    fi = fo;
                }
                cases++;
                free(th);
                free(g);
                nn_free(net);
            }
    CHECK(cases == 2 * NN_NPARAM * NNGP_NACT, "%d cases", cases);
    printf("gradients: %d cases, worst relative FD error %.2e\n", cases, worst);
    gsl_rng_free(r);
}

/* Parameters round trip, non-finite values refused (net unchanged), same seed
 * same network (bit for bit), another seed another, copies predict the same. */
static void
test_params_seed(void)
{
    bl_err err;
    nn_opts o = nn_opts_default();
    o.in_dim = 2;
    o.width = 16;
    o.depth = 2;
    o.seed = 42;
    nn *a = nn_alloc(&o, &err), *b = nn_alloc(&o, &err);
    size_t P = nn_nparams(a);
    double *ta = malloc(P * sizeof(double)), *tb = malloc(P * sizeof(double));
    nn_get_params(a, ta);
    nn_get_params(b, tb);
    CHECK(memcmp(ta, tb, P * sizeof(double)) == 0, "same seed, different networks");
    o.seed = 43;
    nn *c = nn_alloc(&o, &err);
    nn_get_params(c, tb);
    size_t same = 0;
    for (size_t p = 0; p < P; p++)
        same += ta[p] == tb[p];
    CHECK(same == 0, "seeds 42 and 43 share %zu parameters", same);
    for (size_t p = 0; p < P; p++)
        tb[p] = 0.01 * (double)p - 1;
    CHECK(nn_set_params(a, tb, &err) == BL_OK, "%s", err.msg);
    double *tc = malloc(P * sizeof(double));
    nn_get_params(a, tc);
    CHECK(memcmp(tb, tc, P * sizeof(double)) == 0, "set/get round trip");
    tb[3] = NAN;
    CHECK(nn_set_params(a, tb, &err) == BL_EINVAL && strstr(err.msg, "parameter 3"), "%s",
          err.msg);
    nn_get_params(a, ta);
    CHECK(memcmp(ta, tc, P * sizeof(double)) == 0, "a refused set changed the net");
    nn *d = nn_copy(a, &err);
    double x[6] = {0.1, -0.2, 0.3, 0.4, -1, 2}, f1[3], f2[3];
    CHECK(nn_predict(a, x, 3, f1, &err) == BL_OK && nn_predict(d, x, 3, f2, &err) == BL_OK,
          "%s", err.msg);
    CHECK(memcmp(f1, f2, sizeof f1) == 0, "copy predicts differently");
    CHECK(nn_get_opts(d)->seed == 42 && nn_get_opts(d)->width == 16, "copy's options");
    /* The prior draw: standard parametrization, W^1 ~ N(0, sw2/d) and b ~ N(0, sb2):
     * sample variances of m entries within 5 standard errors (sqrt(2/m) relative). */
    o.param = NN_PARAM_STANDARD;
    o.width = 2000;
    o.depth = 1;
    o.in_dim = 3;
    o.sw2 = 1.5;
    o.sb2 = 0.4;
    nn *e = nn_alloc(&o, &err);
    size_t Pe = nn_nparams(e);
    double *te = malloc(Pe * sizeof(double));
    nn_get_params(e, te);
    double s = 0, m = 3 * 2000.0;
    for (size_t p = 0; p < 6000; p++)
        s += te[p] * te[p];
    CHECK(fabs(s / m / (1.5 / 3) - 1) <= 5 * sqrt(2 / m), "W^1 variance %g, want %g", s / m,
          1.5 / 3);
    s = 0;
    for (size_t p = 6000; p < 8000; p++)
        s += te[p] * te[p];
    CHECK(fabs(s / 2000 / 0.4 - 1) <= 5 * sqrt(2 / 2000.0), "b^1 variance %g, want 0.4",
          s / 2000);
    s = 0;
    for (size_t p = 8000; p < 10000; p++)
        s += te[p] * te[p];
    CHECK(fabs(s / 2000 / (1.5 / 2000) - 1) <= 5 * sqrt(2 / 2000.0), "W^2 variance %g",
          s / 2000);
    CHECK(Pe == 10001, "standard d=3 n=2000 L=1 with biases: %zu params", Pe);
    free(te);
    nn_free(e);
    free(ta);
    free(tb);
    free(tc);
    nn_free(a);
    nn_free(b);
    nn_free(c);
    nn_free(d);
}

/* One SGD step, two Adam steps and one SGLD step at T = 0 on a width-1 depth-1
 * tanh net (4 parameters), against the gradient written out by hand:
 * f = a2 w2 tanh(u) + c2 b2, u = a1 w1 x + c1 b1 (ntk: a1 = sqrt(sw2/d), a2 = sqrt(sw2),
 * c = sqrt(sb2)), J = (1/N) [sum r^2/(2 s2) + |theta|^2/2]. */
static void
hand_grad(const double *th, const double *x, const double *y, size_t N, double sw2, double sb2,
          double s2, double *g)
{
    double a1 = sqrt(sw2), a2 = sqrt(sw2), c = sqrt(sb2);
    g[0] = g[1] = g[2] = g[3] = 0;
    for (size_t i = 0; i < N; i++) {
        double u = a1 * th[0] * x[i] + c * th[1], t = tanh(u);
        double f = a2 * th[2] * t + c * th[3], r = (f - y[i]) / (s2 * (double)N);
        double du = r * a2 * th[2] * (1 - t * t);
        g[0] += du * a1 * x[i];
        g[1] += du * c;
        g[2] += r * a2 * t;
        g[3] += r * c;
    }
    for (int p = 0; p < 4; p++)
        g[p] += th[p] / (double)N;
}

static void
test_steps(void)
{
    bl_err err;
    nn_opts o = nn_opts_default();
    o.width = 1;
    o.depth = 1;
    o.act = NNGP_TANH;
    o.sw2 = 1.3;
    o.sb2 = 0.5;
    o.seed = 5;
    const double x[3] = {-0.7, 0.2, 1.1}, y[3] = {0.3, -0.1, 0.8};
    double s2 = 0.05, lr = 0.03;
    nn *net = nn_alloc(&o, &err);
    CHECK(nn_nparams(net) == 4, "4 parameters");
    double th0[4], th[4], g[4], want[4];
    nn_get_params(net, th0);
    for (int opt = 0; opt < 3; opt++) {
        nn_set_params(net, th0, &err);
        nn_train_opts to = nn_train_opts_default();
        to.opt = (nn_optimizer)opt;
        to.lr = lr;
        to.noise_var = s2;
        to.temperature = 0;
        nn_trainer *t = nn_trainer_alloc(net, &to, 9, &err);
        size_t steps = opt == NN_OPT_ADAM ? 2 : 1, done = 0;
        double obj;
        CHECK(nn_train(t, net, x, y, 3, steps, &done, &obj, NULL, &err) == BL_OK, "%s", err.msg);
        CHECK(done == steps && nn_trainer_steps(t) == steps, "done %zu", done);
        nn_get_params(net, th);
        memcpy(want, th0, sizeof want);
        double m[4] = {0}, v[4] = {0};
        for (size_t k = 1; k <= steps; k++) {
            hand_grad(want, x, y, 3, o.sw2, o.sb2, s2, g);
            for (int p = 0; p < 4; p++) {
                if (opt == NN_OPT_ADAM) {
                    m[p] = 0.9 * m[p] + 0.1 * g[p];
                    v[p] = 0.999 * v[p] + 0.001 * g[p] * g[p];
                    double mh = m[p] / (1 - pow(0.9, (double)k)),
                           vh = v[p] / (1 - pow(0.999, (double)k));
                    want[p] -= lr * mh / (sqrt(vh) + 1e-8);
                } else {
                    want[p] -= lr * g[p];
                }
            }
        }
        for (int p = 0; p < 4; p++)
            CHECK_ABS(th[p], want[p], 1e-14);
        nn_trainer_free(t);
    }
    nn_free(net);
}

/* SGLD: theta' = theta - lr grad J + sqrt(2 lr T / N) xi. On a net of P ~ 4600
 * parameters, one step's residual theta' - theta + lr grad J has mean 0 and
 * variance 2 lr T / N: checked within 5 standard errors (mean: sd/sqrt(P);
 * variance: sqrt(2/P) relative, the residuals being independent normals), at
 * T = 1 and T = 0.25. Minibatches: the N/B scaling of the likelihood. */
static void
test_sgld_noise(void)
{
    bl_err err;
    nn_opts o = nn_opts_default();
    o.in_dim = 2;
    o.width = 64;
    o.depth = 2;
    nn *net = nn_alloc(&o, &err);
    size_t P = nn_nparams(net);
    enum { N = 20 };
    double X[2 * N], Y[N];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    fill_uniform(r, X, 2 * N, -1, 1);
    fill_uniform(r, Y, N, -1, 1);
    double *th0 = malloc(P * sizeof(double)), *th = malloc(P * sizeof(double)),
           *g = malloc(P * sizeof(double));
    nn_get_params(net, th0);
    const double T[2] = {1.0, 0.25};
    for (int k = 0; k < 2; k++) {
        nn_set_params(net, th0, &err);
        nn_train_opts to = nn_train_opts_default();
        to.opt = NN_OPT_SGLD;
        to.lr = 1e-3;
        to.temperature = T[k];
        nn_trainer *t = nn_trainer_alloc(net, &to, 11, &err);
        double J;
        CHECK(nn_objective_grad(net, X, Y, N, N, to.noise_var, &J, g, &err) == BL_OK, "%s",
              err.msg);
        CHECK(nn_train(t, net, X, Y, N, 1, NULL, NULL, NULL, &err) == BL_OK, "%s", err.msg);
        nn_get_params(net, th);
        double s = 0, ss = 0, var = 2 * to.lr * T[k] / N;
        for (size_t p = 0; p < P; p++) {
            double e = th[p] - th0[p] + to.lr * g[p];
            s += e;
            ss += e * e;
        }
        double mean = s / (double)P, v = ss / (double)P;
        CHECK(fabs(mean) <= 5 * sqrt(var / (double)P), "T=%g: noise mean %g", T[k], mean);
        CHECK(fabs(v / var - 1) <= 5 * sqrt(2.0 / (double)P), "T=%g: noise variance %g, want %g",
              T[k], v, var);
        nn_trainer_free(t);
    }
    /* A minibatch of B standing for N: J = (N/B) * its likelihood + prior, over N. */
    double J1, J2;
    nn_set_params(net, th0, &err);
    CHECK(nn_objective_grad(net, X, Y, 5, N, 0.1, &J1, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(nn_objective_grad(net, X, Y, 5, 5, 0.1, &J2, NULL, &err) == BL_OK, "%s", err.msg);
    double pr = 0;
    for (size_t p = 0; p < P; p++)
        pr += th0[p] * th0[p]; /* ntk: every v_p = 1 */
    /* J(B, N) - pr/(2N) = J(B, B) - pr/(2B): the likelihood part is a per-point mean. */
    CHECK_REL(J1 - pr / (2.0 * N), J2 - pr / 10.0, 1e-12);
    /* Full batch through the trainer equals batch = N. */
    nn_train_opts to = nn_train_opts_default();
    nn_trainer *t1 = nn_trainer_alloc(net, &to, 1, &err);
    to.batch = N;
    nn_trainer *t2 = nn_trainer_alloc(net, &to, 1, &err);
    nn *net2 = nn_copy(net, &err);
    nn_train(t1, net, X, Y, N, 3, NULL, NULL, NULL, &err);
    nn_train(t2, net2, X, Y, N, 3, NULL, NULL, NULL, &err);
    nn_get_params(net, th);
    nn_get_params(net2, g);
    CHECK(memcmp(th, g, P * sizeof(double)) == 0, "batch=N differs from full batch");
    /* A minibatch of 7 draws distinct points: its objective is that of 7 of the 20. */
    nn_trainer_free(t2);
    to.batch = 7;
    t2 = nn_trainer_alloc(net, &to, 1, &err);
    double obj;
    nn_set_params(net2, th0, &err);
    CHECK(nn_train(t2, net2, X, Y, N, 1, NULL, &obj, NULL, &err) == BL_OK, "%s", err.msg);
    CHECK(isfinite(obj) && obj > 0, "minibatch objective %g", obj);
    /* Cancel: no step taken. */
    bl_cancel stop = 1;
    size_t done = 9;
    CHECK(nn_train(t2, net2, X, Y, N, 5, &done, NULL, &stop, &err) == BL_ECANCEL && done == 0,
          "cancel: done %zu", done);
    nn_free(net2);
    nn_trainer_free(t1);
    nn_trainer_free(t2);
    free(th0);
    free(th);
    free(g);
    gsl_rng_free(r);
    nn_free(net);
}

/* Layer kernels against their definition on the reference's activations; layer 1
 * is the NNGP's to the bit (nngp_gram_layers); the NTK against the Jacobian product
 * sum_p df(x_i)/dtheta_p df(x_j)/dtheta_p, the Jacobian rows from nn_objective_grad
 * of one point with residual s2 (dJ/df = 1) and N = SIZE_MAX (prior term ~1e-19). */
static void
test_kernels(void)
{
    bl_err err;
    enum { D = 3, W = 7, DEPTH = 2, M = 6 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 21);
    double X[M * D];
    fill_uniform(r, X, M * D, -1, 1);
    for (int par = 0; par < NN_NPARAM; par++)
        for (int act = 0; act < NNGP_NACT; act += 3) {
            nn_opts o = nn_opts_default();
            o.in_dim = D;
            o.width = W;
            o.depth = DEPTH;
            o.act = (nngp_act)act;
            o.param = (nn_param)par;
            o.sw2 = 1.6;
            o.sb2 = 0.2;
            nn *net = nn_alloc(&o, &err);
            size_t P = nn_nparams(net);
            double K[DEPTH + 1][M * M], *Kp[DEPTH + 1], hid[M][DEPTH * W];
            for (int l = 0; l <= DEPTH; l++)
                Kp[l] = K[l];
            double *th = malloc(P * sizeof(double));
            nn_get_params(net, th);
            for (int i = 0; i < M; i++)
                ref_f(&o, th, X + i * D, hid[i]);
            CHECK(nn_layer_grams(net, X, M, Kp, &err) == BL_OK, "%s", err.msg);
            double e = 0;
            int sym = 1;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < M; j++) {
                    double k1 = 0;
                    for (int k = 0; k < D; k++)
                        k1 += X[i * D + k] * X[j * D + k];
                    e = fmax(e, fabs(K[0][i * M + j] - (o.sw2 * k1 / D + o.sb2)));
                    for (int l = 1; l <= DEPTH; l++) {
                        double s = 0;
                        for (int k = 0; k < W; k++)
                            s += hid[i][(l - 1) * W + k] * hid[j][(l - 1) * W + k];
                        e = fmax(e, fabs(K[l][i * M + j] - (o.sw2 * s / W + o.sb2)));
                        sym &= K[l][i * M + j] == K[l][j * M + i];
                    }
                }
            CHECK(e <= 1e-13, "%s/%s: layer kernels off by %g", nn_param_name(o.param),
                  nngp_act_name(o.act), e);
            CHECK(sym, "layer kernels not exactly symmetric");
            /* NULL entries skipped. */
            double *only[DEPTH + 1] = {NULL, NULL, K[0]};
            CHECK(nn_layer_grams(net, X, M, only, &err) == BL_OK && K[0][1] == K[2][1],
                  "NULL entries");
            /* Layer 1 is the NNGP's. */
            nngp_opts no = nngp_opts_default();
            no.act = o.act;
            no.depth = DEPTH;
            no.sw2 = o.sw2;
            no.sb2 = o.sb2;
            no.slope = o.slope;
            nngp *g = nngp_alloc(D, &no, &err);
            double KA[DEPTH + 1][M * M], *KAp[DEPTH + 1] = {KA[0], NULL, NULL};
            CHECK(nngp_gram_layers(g, X, M, KAp, NULL, NULL, &err) == BL_OK, "%s", err.msg);
            double e1 = 0;
            nn_layer_grams(net, X, M, Kp, &err);
            for (int i = 0; i < M * M; i++)
                e1 = fmax(e1, fabs(KA[0][i] - K[0][i]));
            CHECK(e1 == 0, "layer 1 differs from the NNGP's by %g", e1);
            nngp_free(g);
            /* NTK against the Jacobian. */
            double *Jac = malloc(M * P * sizeof(double)), Th[M * M], f[M];
            nn_predict(net, X, M, f, &err);
            for (int i = 0; i < M; i++) {
                double y = f[i] - 0.5, obj;
                CHECK(nn_objective_grad(net, X + i * D, &y, 1, SIZE_MAX, 0.5, &obj, Jac + i * P,
                                        &err) == BL_OK,
                      "%s", err.msg);
            }
            CHECK(nn_ntk_gram(net, X, M, Th, &err) == BL_OK, "%s", err.msg);
            double en = 0, tmax = 0;
            sym = 1;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < M; j++) {
                    double s = 0;
                    for (size_t p = 0; p < P; p++)
                        s += Jac[i * P + p] * Jac[j * P + p];
                    en = fmax(en, fabs(s - Th[i * M + j]));
                    tmax = fmax(tmax, fabs(s));
                    sym &= Th[i * M + j] == Th[j * M + i];
                }
            CHECK(en <= 1e-12 * tmax, "%s/%s: NTK off the Jacobian product by %g (max %g)",
                  nn_param_name(o.param), nngp_act_name(o.act), en, tmax);
            CHECK(sym, "NTK not exactly symmetric");
            free(Jac);
            free(th);
            nn_free(net);
        }
    gsl_rng_free(r);
}

/* Scratch grows: a batch larger than any before, then a smaller one, agree with predict. */
static void
test_scratch(void)
{
    bl_err err;
    nn_opts o = nn_opts_default();
    o.in_dim = 1;
    o.width = 8;
    nn *net = nn_alloc(&o, &err);
    double X[50], f[50], f2[50];
    for (int i = 0; i < 50; i++)
        X[i] = -2 + 0.08 * i;
    CHECK(nn_predict(net, X, 3, f, &err) == BL_OK, "%s", err.msg);
    CHECK(nn_predict(net, X, 50, f2, &err) == BL_OK, "%s", err.msg);
    /* dgemm may block a 3-row and a 50-row product differently: ulps. */
    double e = 0;
    for (int i = 0; i < 3; i++)
        e = fmax(e, fabs(f[i] - f2[i]));
    CHECK(e <= 1e-14, "batch size changes predictions by %g", e);
    CHECK(nn_predict(net, X, 2, f, &err) == BL_OK && fabs(f[1] - f2[1]) <= 1e-14, "shrunk batch");
    nn_free(net);
}

int
main(void)
{
    TEST_INIT();
    test_parse();
    test_gradients();
    test_params_seed();
    test_steps();
    test_sgld_noise();
    test_kernels();
    test_scratch();
    return TEST_REPORT();
}
