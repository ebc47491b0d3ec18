/* core/mcmc/sampler_hmc.c - Hamiltonian Monte Carlo with a fixed number of
 * leapfrog steps, mass I (docs/math.md §9): H = U(q) + |p|^2/2, p0 ~ N(0, I),
 * leapfrog as in sampler_leapfrog, accept with min(1, exp(H0 - H_L)),
 * divergence when H_L - H0 > SAMPLER_DIVERGENCE or not finite (as in nuts:
 * an overflowing trajectory is the same event as a huge H error, only
 * further gone). L gradients per step.
 * For a Gaussian target the scheme is stable iff eps < 2/sqrt(lambda_max(P)). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

static int
hmc_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d, L = s->o.leapfrog, nt = 0;
    sampler_momentum_draw(s, rng, s->p);
    memcpy(ev->momentum, s->p, d * sizeof *s->p);
    memcpy(s->wp, s->w, d * sizeof *s->w);
    memcpy(s->gp, s->g, d * sizeof *s->g);
    double H0 = s->U + sampler_kinetic(s, s->p), Up = s->U;
    ev->energy = H0; /* until the proposal is accepted */
    int rc =
        sampler_leapfrog_metric(s, s->wp, s->p, s->gp, &Up, s->o.step, L, ev->traj, ev->cap, &nt);
    ev->ntraj = nt;
    ev->ntraj_total = L + 1;
    for (size_t i = 0; i < nt; i++) {
        ev->traj_dir[i] = i == 0 ? 0 : 1;
        ev->traj_depth[i] = 0;
    }
    ev->n_grad = L;
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    if (rc != BL_OK) {
        ev->nonfinite = ev->divergent = true;
        ev->energy_error = INFINITY;
        return BL_OK;
    }
    double dH = Up + sampler_kinetic(s, s->p) - H0;
    if (!isfinite(dH)) {
        ev->nonfinite = ev->divergent = true;
        ev->energy_error = INFINITY;
        return BL_OK;
    }
    ev->energy_error = dH;
    ev->divergent = dH > SAMPLER_DIVERGENCE;
    ev->accept_prob = dH <= 0.0 ? 1.0 : exp(-dH);
    if (dH <= 0.0 || log(gsl_rng_uniform_pos(rng)) < -dH) {
        memcpy(s->w, s->wp, d * sizeof *s->w);
        memcpy(s->g, s->gp, d * sizeof *s->g);
        s->U = Up;
        ev->accepted = true;
        ev->energy = H0 + dH;
    }
    return BL_OK;
}

static void
hmc_describe(const sampler_event *ev, char *buf, size_t size)
{
    snprintf(buf, size, "proposal %s (acceptance prob %.3g, energy error %.3g, %zu leapfrog steps)",
             ev->accepted ? "accepted" : "rejected", ev->accept_prob, ev->energy_error, ev->n_grad);
}

static const sampler_tunable hmc_leapfrog = {
    .name = "leapfrog",
    .min = 1.0,
    .max = SAMPLER_MAX_LEAPFROG,
    .integer = true,
    .def = 20.0,
    .store = SAMPLER_TUN_SIZE,
    .offset = offsetof(sampler_opts, leapfrog),
    .help = "hmc leapfrog steps L (default 20)",
};

static const sampler_tunable *const hmc_tunables[] = {&sampler_tun_step, &hmc_leapfrog, NULL};

const sampler_type sampler_type_hmc = {
    .name = "hmc",
    .help = "Hamiltonian Monte Carlo: L leapfrog steps of size eps, accepted with min(1, e^-dH)",
    .step = hmc_step,
    .needs_grad = true,
    .adapts = true,
    .stan_warmup = true,
    .scale = &sampler_tun_step,
    .accept_target = 0.65,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_MOMENTUM |
              SAMPLER_EV_ACCEPT | SAMPLER_EV_ENERGY | SAMPLER_EV_HAMILTON,
    .tunables = hmc_tunables,
    .step_default = sampler_leapfrog_step_default,
    .step_limit = sampler_leapfrog_step_limit,
    .step_limit_name = sampler_leapfrog_limit_name,
    .step_limit_effect = sampler_leapfrog_limit_effect,
    .describe = hmc_describe,
};
