/* core/mcmc/sampler_demcz.c - differential evolution Markov chain from past
 * states, DE-MCz (ter Braak and Vrugt 2008; docs/math.md §9), the parallel
 * direction update without the snooker update. The chain keeps an archive Z
 * of its past states; a proposal is
 *   w' = w + gamma (z_a - z_b) + e,  z_a != z_b drawn uniformly from Z,
 *   gamma = jump (0: 2.38/sqrt(2 d)), and 1 every tenth step on average
 *   (the jump between modes), e ~ N(0, (1e-6 sigma)^2 I),
 * accepted with min(1, exp(U(w) - U(w'))); every `thin` iterations the state
 * joins Z. Z starts with M0 = min(10 d, cap/2) points w0 + sigma z (ter
 * Braak and Vrugt draw them from the prior; sigma stands in for its scale).
 * Each chain has its own archive, so the chains of an ensemble stay
 * independent and R-hat keeps its meaning. Z holds at most
 * min(100000, 1e6/d) points; once full the oldest are overwritten. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

typedef struct demcz_ws {
    double jump;
    size_t thin;
    double *Z;           /* cap x d */
    size_t cap, n, next; /* capacity, points held, next slot to write */
    size_t steps;
} demcz_ws;

static int
demcz_init(sampler *s, bl_err *err)
{
    demcz_ws *a = s->ws;
    size_t d = s->d;
    size_t cap = (size_t)(1e6 / (double)d);
    a->cap = cap > 100000 ? 100000 : cap < 40 ? 40 : cap;
    a->Z = calloc(a->cap * d, sizeof *a->Z);
    if (a->Z == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for demcz's archive (%zu x %zu)", a->cap, d);
    return BL_OK;
}

static void
demcz_free(void *ws)
{
    free(((demcz_ws *)ws)->Z);
}

static void
archive_add(demcz_ws *a, const double *x, size_t d)
{
    memcpy(a->Z + a->next * d, x, d * sizeof *x);
    a->next = (a->next + 1) % a->cap;
    if (a->n < a->cap)
        a->n++;
}

static int
demcz_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    demcz_ws *a = s->ws;
    size_t d = s->d;
    if (a->n == 0) {
        size_t m0 = 10 * d < a->cap / 2 ? 10 * d : a->cap / 2;
        for (size_t k = 0; k < m0; k++) {
            for (size_t i = 0; i < d; i++)
                s->wp[i] = s->w[i] + s->o.sigma * sampler_rng_normal(rng);
            archive_add(a, s->wp, d);
        }
    }
    size_t ia = gsl_rng_uniform_int(rng, a->n);
    size_t ib = gsl_rng_uniform_int(rng, a->n - 1);
    ib += ib >= ia;
    const double *za = a->Z + ia * d, *zb = a->Z + ib * d;
    double gamma = a->jump > 0.0 ? a->jump : 2.38 / sqrt(2.0 * (double)d);
    if (gsl_rng_uniform(rng) < 0.1)
        gamma = 1.0;
    double b = 1e-6 * s->o.sigma;
    for (size_t i = 0; i < d; i++)
        s->wp[i] = s->w[i] + gamma * (za[i] - zb[i]) + b * sampler_rng_normal(rng);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, s->w, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    sampler_event_segment(ev, SAMPLER_SEG_DIFF, 0, zb, za);
    ev->n_grad = 1;
    double Up;
    if (target_eval(s->t, s->wp, &Up, NULL, NULL) != BL_OK) {
        ev->nonfinite = true;
    } else {
        double la = s->U - Up;
        ev->accept_prob = la >= 0.0 ? 1.0 : exp(la);
        if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
            memcpy(s->w, s->wp, d * sizeof *s->w);
            s->U = Up;
            ev->accepted = true;
        }
    }
    if (++a->steps % a->thin == 0)
        archive_add(a, s->w, d);
    return BL_OK;
}

static const sampler_tunable demcz_jump = {
    .name = "jump",
    .min = 0.0,
    .max = 100.0,
    .def = 0.0,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(demcz_ws, jump),
    .help = "demcz: gamma of w + gamma (z_a - z_b) (0: 2.38/sqrt(2d); 1 every 10th step)",
};

static const sampler_tunable demcz_thin = {
    .name = "thin",
    .min = 1.0,
    .max = 1e6,
    .integer = true,
    .def = 10.0,
    .store = SAMPLER_TUN_SIZE,
    .in_ws = true,
    .offset = offsetof(demcz_ws, thin),
    .help = "demcz: the state joins the archive every thin iterations",
};

static const sampler_tunable *const demcz_tunables[] = {&sampler_tun_sigma, &demcz_jump,
                                                        &demcz_thin, NULL};

const sampler_type sampler_type_demcz = {
    .name = "demcz",
    .help = "DE-MCz (ter Braak 2008): w + gamma (z_a - z_b), z from the chain's past states",
    .step = demcz_step,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT | SAMPLER_EV_SEGMENTS,
    .tunables = demcz_tunables,
    .ws_size = sizeof(demcz_ws),
    .ws_init = demcz_init,
    .ws_free = demcz_free,
    .describe = sampler_describe_metropolis,
};
