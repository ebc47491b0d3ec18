/* core/mcmc/sampler_demcz.c - differential evolution Markov chain from past
 * states, DE-MCz (ter Braak and Vrugt 2008; docs/math.md §9), the parallel
 * direction update and, with probability 0.1, the snooker update. The chain
 * keeps an archive Z of its past states. Parallel direction:
 *   w' = w + gamma (z_a - z_b) + e,  z_a != z_b drawn uniformly from Z,
 *   gamma = jump (0: 2.38/sqrt(2 d)), and 1 every tenth step on average
 *   (the jump between modes), e ~ N(0, (1e-6 sigma)^2 I),
 * accepted with min(1, exp(U(w) - U(w'))). Snooker: z, z_1, z_2 distinct
 * from Z, u = (w - z)/|w - z|,
 *   w' = w + gamma_s ((z_1 - z_2).u) u,  gamma_s ~ U(1.2, 2.2),
 * a move along the line through z and w by the projected difference,
 * accepted with min(1, exp(U(w) - U(w')) |w' - z|^(d-1) / |w - z|^(d-1)):
 * the Jacobian of the move in the polar coordinates around z (ter Braak
 * and Vrugt's eq. 4), without which the chain would concentrate towards
 * z in d > 1. Every `thin` iterations the state joins Z. Z starts with M0 =
 * min(10 d, cap/2) points w0 + sigma z (ter Braak and Vrugt draw them from
 * the prior; sigma stands in for its scale). Each chain has its own
 * archive, so the chains of an ensemble stay independent and R-hat keeps
 * its meaning. Z holds at most min(100000, 1e6/d) points; once full the
 * oldest are overwritten. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

/* Probability of a snooker update (ter Braak and Vrugt 2008: 0.1). */
#define DEMCZ_SNOOKER 0.1

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
    double log_jac = 0.0; /* log of the snooker's Jacobian ratio */
    bool snooker = gsl_rng_uniform(rng) < DEMCZ_SNOOKER;
    if (snooker) {
        /* z: a third archive point, distinct from the pair. */
        size_t iz = gsl_rng_uniform_int(rng, a->n - 2);
        iz += iz >= (ia < ib ? ia : ib);
        iz += iz >= (ia < ib ? ib : ia);
        const double *z = a->Z + iz * d;
        double r2 = 0.0, proj = 0.0;
        for (size_t i = 0; i < d; i++) {
            double u = s->w[i] - z[i];
            r2 += u * u;
            proj += u * (za[i] - zb[i]);
        }
        if (!(r2 > 0.0)) {
            /* w is the archive point: no line. The chain stays (a
             * rejection), which keeps the kernel reversible. */
            memcpy(ev->proposal, s->w, d * sizeof *s->w);
            sampler_event_push(ev, s->w, 0, 0);
            sampler_event_segment(ev, SAMPLER_SEG_SNOOKER, 0, z, s->w);
            ev->accept_prob = 0.0;
            goto archive;
        }
        double gs = 1.2 + gsl_rng_uniform(rng), c = gs * proj / r2, r2p = 0.0;
        for (size_t i = 0; i < d; i++) {
            s->wp[i] = s->w[i] + c * (s->w[i] - z[i]);
            r2p += (s->wp[i] - z[i]) * (s->wp[i] - z[i]);
        }
        log_jac = 0.5 * (double)(d - 1) * log(r2p / r2);
        memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
        sampler_event_push(ev, s->w, 0, 0);
        sampler_event_push(ev, s->wp, 1, 0);
        sampler_event_segment(ev, SAMPLER_SEG_SNOOKER, 0, z, s->w);
        sampler_event_segment(ev, SAMPLER_SEG_DIFF, 0, zb, za);
    } else {
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
    }
    ev->n_grad = 1;
    double Up;
    if (target_eval(s->t, s->wp, &Up, NULL, NULL) != BL_OK || !isfinite(log_jac)) {
        ev->nonfinite = true;
    } else {
        double la = s->U - Up + log_jac;
        ev->accept_prob = la >= 0.0 ? 1.0 : exp(la);
        if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
            memcpy(s->w, s->wp, d * sizeof *s->w);
            s->U = Up;
            ev->accepted = true;
        }
    }
archive:
    if (++a->steps % a->thin == 0)
        archive_add(a, s->w, d);
    return BL_OK;
}

static void
demcz_describe(const sampler_event *ev, char *buf, size_t size)
{
    bool snooker = false;
    for (size_t q = 0; q < ev->nseg && q < ev->seg_cap; q++)
        snooker |= ev->seg_kind[q] == SAMPLER_SEG_SNOOKER;
    if (!snooker) {
        sampler_describe_metropolis(ev, buf, size);
        return;
    }
    snprintf(buf, size, "snooker proposal along the line through an archive point %s (acceptance "
             "prob %.3g)",
             ev->accepted ? "accepted" : "rejected", ev->accept_prob);
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
    .help = "DE-MCz (ter Braak 2008): w + gamma (z_a - z_b), z from the chain's past states; "
            "snooker update 1 step in 10",
    .step = demcz_step,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT | SAMPLER_EV_SEGMENTS,
    .tunables = demcz_tunables,
    .ws_size = sizeof(demcz_ws),
    .ws_init = demcz_init,
    .ws_free = demcz_free,
    .describe = demcz_describe,
};
