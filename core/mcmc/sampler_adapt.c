/* core/mcmc/sampler_adapt.c - Stan's warm-up for the leapfrog kinds
 * (sampler_type.stan_warmup; docs/math.md §9, "Warm-up"):
 *  - step size by dual averaging (Hoffman & Gelman 2014, Stan's constants
 *    gamma 0.05, t0 10, kappa 0.75, mu = log(10 eps)) towards the target
 *    acceptance delta; during warm-up the chain steps with exp(x_t), after
 *    it with exp(xbar);
 *  - the metric (diagonal or dense inverse mass = the draws' variances or
 *    covariance, shrunk towards 1e-3 I by (n/(n+5), 5/(n+5))) from windows:
 *    an initial buffer of 75 iterations, slow windows of 25, 50, 100, ...
 *    (the last stretched to the terminal buffer), a terminal buffer of 50;
 *    when 75 + 25 + 50 do not fit in the warm-up, 15% / 75% / 10% of it, and
 *    below 20 iterations the step size alone. After each window the step is
 *    re-initialised (Stan's init_stepsize: doubled or halved until one
 *    leapfrog step's acceptance crosses 0.8) and dual averaging restarts
 *    from mu = log(10 eps).
 * The warm-up allocates at sampler_alloc (or when metric=dense is set), never
 * in a step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/linalg.h"
#include "core/mcmc/sampler_impl.h"

#define DA_GAMMA    0.05
#define DA_T0       10.0
#define DA_KAPPA    0.75
#define INIT_BUFFER 75
#define TERM_BUFFER 50
#define BASE_WINDOW 25
#define STEP_MIN    1e-12
#define STEP_MAX    1e6

struct sampler_warmup {
    bool started;
    /* dual averaging */
    double mu, xbar, sbar;
    size_t counter;
    /* windows (Stan's windowed_adaptation) */
    bool windows;
    size_t n, init_buffer, term_buffer, window_size, next_window, wcounter;
    /* Welford over the current window: mean (d), m2 (d, or d x d dense) */
    size_t wn;
    double *wmean, *wm2, *wdx;
    double *wm2_dense; /* d x d, with the dense buffers */
};

int
sampler_warmup_alloc(sampler *s, bl_err *err)
{
    size_t d = s->d;
    s->wu = calloc(1, sizeof *s->wu);
    s->minv = malloc(d * sizeof *s->minv);
    if (s->wu != NULL) {
        s->wu->wmean = calloc(d, sizeof *s->wu->wmean);
        s->wu->wm2 = calloc(d, sizeof *s->wu->wm2);
        s->wu->wdx = calloc(d, sizeof *s->wu->wdx);
    }
    if (s->wu == NULL || s->minv == NULL || s->wu->wmean == NULL || s->wu->wm2 == NULL ||
        s->wu->wdx == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for the warm-up of a %s sampler",
                       s->type->name);
    for (size_t i = 0; i < d; i++)
        s->minv[i] = 1.0;
    s->metric_in_use = SAMPLER_METRIC_UNIT;
    if (s->o.metric == SAMPLER_METRIC_DENSE)
        return sampler_metric_dense_buffers(s, err);
    return BL_OK;
}

int
sampler_metric_dense_buffers(sampler *s, bl_err *err)
{
    if (s->wu == NULL || s->minv_dense != NULL)
        return BL_OK;
    size_t d = s->d;
    s->minv_dense = calloc(d * d, sizeof *s->minv_dense);
    s->mchol = calloc(d * d, sizeof *s->mchol);
    s->wu->wm2_dense = calloc(d * d, sizeof *s->wu->wm2_dense);
    if (s->minv_dense == NULL || s->mchol == NULL || s->wu->wm2_dense == NULL) {
        free(s->minv_dense);
        free(s->mchol);
        free(s->wu->wm2_dense);
        s->minv_dense = s->mchol = s->wu->wm2_dense = NULL;
        return bl_fail(err, BL_ENOMEM, "metric=dense: out of memory for %zu x %zu matrices", d, d);
    }
    return BL_OK;
}

void
sampler_warmup_free(sampler *s)
{
    if (s->wu != NULL) {
        free(s->wu->wmean);
        free(s->wu->wm2);
        free(s->wu->wdx);
        free(s->wu->wm2_dense);
        free(s->wu);
    }
    free(s->minv);
    free(s->minv_dense);
    free(s->mchol);
}

void
sampler_warmup_reset(sampler *s)
{
    if (s->wu != NULL)
        s->wu->started = false;
}

bool
sampler_warmup_active(const sampler *s)
{
    return s->wu != NULL && s->o.adapt && s->t_adapt < s->o.warmup;
}

static double
clamp_step(double e)
{
    return fmin(fmax(e, STEP_MIN), STEP_MAX);
}

/* H(z) - H(one leapfrog step from z) with a fresh momentum; -inf when the
 * step leaves the target's finite region. Uses the chain's scratch. */
static double
one_step_delta_H(sampler *s, gsl_rng *rng)
{
    size_t d = s->d;
    sampler_momentum_draw(s, rng, s->p);
    memcpy(s->wp, s->w, d * sizeof *s->wp);
    memcpy(s->gp, s->g, d * sizeof *s->gp);
    double U = s->U, H0 = s->U + sampler_kinetic(s, s->p);
    int rc = sampler_leapfrog_metric(s, s->wp, s->p, s->gp, &U, s->o.step, 1, NULL, 0, NULL);
    s->ngrad++;
    double H = rc == BL_OK ? U + sampler_kinetic(s, s->p) : (double)INFINITY;
    return isfinite(H) ? H0 - H : -(double)INFINITY;
}

/* Stan's init_stepsize: double or halve eps until the acceptance of one
 * leapfrog step crosses 0.8 (at most 60 times either way). */
static void
init_stepsize(sampler *s, gsl_rng *rng)
{
    const double l08 = log(0.8);
    int dir = one_step_delta_H(s, rng) > l08 ? 1 : -1;
    for (int it = 0; it < 60; it++) {
        double dH = one_step_delta_H(s, rng);
        if ((dir == 1 && !(dH > l08)) || (dir == -1 && !(dH < l08)))
            break;
        double e = dir == 1 ? 2.0 * s->o.step : 0.5 * s->o.step;
        if (e != clamp_step(e))
            break;
        s->o.step = e;
    }
}

static void
da_restart(struct sampler_warmup *w, double step)
{
    w->mu = log(10.0 * step);
    w->xbar = w->sbar = 0.0;
    w->counter = 0;
}

static void
window_restart(struct sampler_warmup *w, size_t d)
{
    w->wn = 0;
    memset(w->wmean, 0, d * sizeof *w->wmean);
    memset(w->wm2, 0, d * sizeof *w->wm2);
    if (w->wm2_dense != NULL)
        memset(w->wm2_dense, 0, d * d * sizeof *w->wm2_dense);
}

void
sampler_warmup_begin(sampler *s, gsl_rng *rng)
{
    struct sampler_warmup *w = s->wu;
    size_t N = s->o.warmup;
    if (w->started)
        return;
    w->started = true;
    da_restart(w, s->o.step); /* mu from the step given, before init_stepsize (as Stan) */
    init_stepsize(s, rng);
    w->n = N;
    w->windows = N >= 20 && s->o.metric != SAMPLER_METRIC_UNIT &&
                 (s->o.metric != SAMPLER_METRIC_DENSE || s->minv_dense != NULL);
    w->init_buffer = INIT_BUFFER;
    w->term_buffer = TERM_BUFFER;
    size_t base = BASE_WINDOW;
    if (INIT_BUFFER + TERM_BUFFER + BASE_WINDOW > N) {
        w->init_buffer = (size_t)(0.15 * (double)N);
        w->term_buffer = (size_t)(0.1 * (double)N);
        base = N - (w->init_buffer + w->term_buffer);
    }
    w->window_size = base;
    w->next_window = w->init_buffer + base - 1;
    w->wcounter = 0;
    window_restart(w, s->d);
}

static bool
in_window(const struct sampler_warmup *w)
{
    return w->wcounter >= w->init_buffer && w->wcounter < w->n - w->term_buffer &&
           w->wcounter != w->n;
}

static bool
window_ends(const struct sampler_warmup *w)
{
    return w->wcounter == w->next_window && w->wcounter != w->n;
}

/* Stan's compute_next_window: double the window; stretch the last one to
 * the terminal buffer when the next would not fit. */
static void
next_window(struct sampler_warmup *w)
{
    size_t last = w->n - w->term_buffer - 1;
    if (w->next_window == last)
        return;
    w->window_size *= 2;
    w->next_window = w->wcounter + w->window_size;
    if (w->next_window != last && w->next_window + 2 * w->window_size >= w->n - w->term_buffer)
        w->next_window = last;
}

static void
window_add(sampler *s, const double *q)
{
    struct sampler_warmup *w = s->wu;
    size_t d = s->d;
    w->wn++;
    for (size_t i = 0; i < d; i++) {
        w->wdx[i] = q[i] - w->wmean[i];
        w->wmean[i] += w->wdx[i] / (double)w->wn;
    }
    for (size_t i = 0; i < d; i++)
        w->wm2[i] += w->wdx[i] * (q[i] - w->wmean[i]);
    if (s->o.metric == SAMPLER_METRIC_DENSE && w->wm2_dense != NULL)
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++)
                w->wm2_dense[i * d + j] += w->wdx[i] * (q[j] - w->wmean[j]);
}

/* The window's metric, regularized as Stan: (n/(n+5)) S + 1e-3 (5/(n+5)) I. */
static void
window_metric(sampler *s)
{
    struct sampler_warmup *w = s->wu;
    size_t d = s->d;
    if (w->wn < 2)
        return;
    double n = (double)w->wn, a = n / (n + 5.0), b = 1e-3 * 5.0 / (n + 5.0);
    if (s->o.metric == SAMPLER_METRIC_DENSE && s->minv_dense != NULL) {
        for (size_t i = 0; i < d * d; i++)
            s->mchol[i] = a * w->wm2_dense[i] / (n - 1.0) + (i % (d + 1) == 0 ? b : 0.0);
        linalg_symmetrize(s->mchol, d);
        memcpy(s->minv_dense, s->mchol, d * d * sizeof *s->mchol);
        double jitter = 0.0;
        if (linalg_cholesky(s->mchol, d, &jitter, NULL) == BL_OK && jitter == 0.0) {
            s->metric_in_use = SAMPLER_METRIC_DENSE;
            return;
        }
        /* Not positive definite: fall back on the diagonal below. */
    }
    for (size_t i = 0; i < d; i++)
        s->minv[i] = a * w->wm2[i] / (n - 1.0) + b;
    s->metric_in_use = SAMPLER_METRIC_DIAG;
}

void
sampler_warmup_end(sampler *s, double accept_stat, gsl_rng *rng)
{
    struct sampler_warmup *w = s->wu;
    /* Dual averaging (Stan's stepsize_adaptation::learn_stepsize). */
    w->counter++;
    double a = isfinite(accept_stat) ? fmin(1.0, accept_stat) : 0.0;
    double c = (double)w->counter, eta = 1.0 / (c + DA_T0);
    w->sbar = (1.0 - eta) * w->sbar + eta * (s->o.delta - a);
    double x = w->mu - w->sbar * sqrt(c) / DA_GAMMA, xeta = pow(c, -DA_KAPPA);
    w->xbar = xeta * x + (1.0 - xeta) * w->xbar;
    s->o.step = clamp_step(exp(x));
    /* The metric windows (Stan's learn_variance). */
    if (w->windows) {
        if (in_window(w))
            window_add(s, s->w);
        if (window_ends(w)) {
            next_window(w);
            window_metric(s);
            window_restart(w, s->d);
            init_stepsize(s, rng);
            da_restart(w, s->o.step);
        }
        w->wcounter++;
    }
    s->t_adapt++;
    if (s->t_adapt == s->o.warmup)
        s->o.step = clamp_step(exp(w->xbar));
}
