/* core/mcmc/sampler_mala.c - Metropolis-adjusted Langevin (docs/math.md §9):
 * w' = w - (h/2) grad U(w) + sqrt(h) z,
 * log alpha = U(w) - U(w') + log q(w|w') - log q(w'|w),
 * log q(a|b) = -|a - b + (h/2) grad U(b)|^2 / (2h).
 * One U + gradient per step (the current gradient is cached). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

/* log q(a|b) with gb = grad U(b), up to the constant that cancels. */
static double
log_q(const double *a, const double *b, const double *gb, double h, size_t d)
{
    double ss = 0.0;
    for (size_t i = 0; i < d; i++) {
        double e = a[i] - b[i] + 0.5 * h * gb[i];
        ss += e * e;
    }
    return -ss / (2.0 * h);
}

int
sampler_mala_log_alpha(target *t, const double *w, const double *wp, double h, double *log_alpha,
                       bl_err *err)
{
    size_t d = target_dim(t);
    if (!(h > 0.0) || !isfinite(h))
        return bl_fail(err, BL_EINVAL, "step=%g: must be > 0", h);
    double U, Up;
    double *g = malloc(2 * d * sizeof *g);
    if (g == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory (d=%zu)", d);
    double *gp = g + d;
    int rc = target_eval(t, w, &U, g, err);
    if (rc == BL_OK)
        rc = target_eval(t, wp, &Up, gp, err);
    if (rc == BL_OK)
        *log_alpha = U - Up + log_q(w, wp, gp, h, d) - log_q(wp, w, g, h, d);
    free(g);
    return rc;
}

static int
mala_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d;
    double h = s->o.step, sh = sqrt(h);
    for (size_t i = 0; i < d; i++)
        s->wp[i] = s->w[i] - 0.5 * h * s->g[i] + sh * gsl_ran_gaussian_ziggurat(rng, 1.0);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, s->w, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    ev->n_grad = 1;
    double Up;
    if (target_eval(s->t, s->wp, &Up, s->gp, NULL) != BL_OK) {
        ev->nonfinite = true;
        return BL_OK;
    }
    double la = s->U - Up + log_q(s->w, s->wp, s->gp, h, d) - log_q(s->wp, s->w, s->g, h, d);
    if (!isfinite(la)) {
        ev->nonfinite = true;
        return BL_OK;
    }
    ev->accept_prob = la >= 0.0 ? 1.0 : exp(la);
    if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
        memcpy(s->w, s->wp, d * sizeof *s->w);
        memcpy(s->g, s->gp, d * sizeof *s->g);
        s->U = Up;
        ev->accepted = true;
    }
    return BL_OK;
}

/* h is a variance: the proposal's spread is sqrt(h), hence the d^-1/3 of
 * optimal MALA scaling on sd_min^2 (Roberts & Rosenthal 1998). */
static double
mala_step_default(double sd_min, size_t d)
{
    return sd_min * sd_min * pow((double)d, -1.0 / 3);
}

static const sampler_tunable *const mala_tunables[] = {&sampler_tun_step, NULL};

const sampler_type sampler_type_mala = {
    .name = "mala",
    .help = "Metropolis-adjusted Langevin: w - (h/2) grad U + sqrt(h) z, Metropolis-Hastings",
    .step = mala_step,
    .needs_grad = true,
    .adapts = true,
    .scale = &sampler_tun_step,
    .accept_target = 0.574,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT,
    .tunables = mala_tunables,
    .step_default = mala_step_default,
    /* The warning compares h with the leapfrog bound, as it always has; the
     * proposal itself is ULA's move, stable for h < 4 lambda_min(cov). */
    .step_limit = sampler_leapfrog_step_limit,
    .step_limit_name = sampler_leapfrog_limit_name,
    .step_limit_effect = sampler_leapfrog_limit_effect,
    .describe = sampler_describe_metropolis,
};
