/* core/mcmc/sampler_rwm.c - random-walk Metropolis (docs/math.md §9):
 * w' = w + sigma z, accepted with probability min(1, exp(U(w) - U(w'))).
 * For a 1-D standard normal the stationary acceptance rate is
 * (2/pi) atan(2/sigma) (tests/test_sampler.c checks it). One U per step. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

static int
rwm_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d;
    for (size_t i = 0; i < d; i++)
        s->wp[i] = s->w[i] + s->o.sigma * gsl_ran_gaussian_ziggurat(rng, 1.0);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, s->w, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    ev->n_grad = 1;
    sampler_metropolis(s, rng, ev);
    return BL_OK;
}

const sampler_tunable sampler_tun_sigma = {
    .name = "sigma",
    .min = 0.0,
    .max = 1e6,
    .min_open = true,
    .def = 1.0,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, sigma),
    .help = "rwm/am/pt proposal sd (default: 2.38/sqrt(d) x the posterior's smallest sd, or 1)",
};

static const sampler_tunable *const rwm_tunables[] = {&sampler_tun_sigma, NULL};

const sampler_type sampler_type_rwm = {
    .name = "rwm",
    .help = "random-walk Metropolis: w + sigma z, accepted with min(1, exp(U(w) - U(w')))",
    .step = rwm_step,
    .adapts = true,
    .scale = &sampler_tun_sigma,
    .accept_target = 0.234,
    .accept_target_d1 = 0.44,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT,
    .tunables = rwm_tunables,
    .describe = sampler_describe_metropolis,
};
