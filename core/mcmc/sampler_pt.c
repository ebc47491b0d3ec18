/* core/mcmc/sampler_pt.c - parallel tempering (replica exchange; Swendsen
 * and Wang 1986, Geyer 1991; docs/math.md §9). Each chain carries M = temps
 * replicas at the temperatures T_m = tmax^(m/(M-1)), m = 0..M-1 (a geometric
 * ladder, T_0 = 1), replica m targeting pi^(1/T_m). One step:
 *   every replica does one random-walk Metropolis move of sd sigma sqrt(T_m)
 *   on U/T_m; then one adjacent pair (m, m+1), m uniform, exchanges states
 *   with probability min(1, exp((1/T_m - 1/T_{m+1}) (U_m - U_{m+1}))).
 * Both moves leave the product of the tempered laws invariant, so replica 0,
 * the chain's state, samples pi; hot replicas cross between modes and pass
 * the crossings down by exchanges. M evaluations of U per step. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

#define PT_MAX 16 /* replicas */

typedef struct pt_ws {
    size_t temps;
    double tmax;
    double *X;    /* PT_MAX x d: replica states (row 0 mirrors the chain) */
    double *Ux;   /* PT_MAX */
    size_t ready; /* replicas holding a state */
    size_t swaps, tries;
} pt_ws;

static int
pt_init(sampler *s, bl_err *err)
{
    pt_ws *a = s->ws;
    a->X = calloc(PT_MAX * s->d, sizeof *a->X);
    a->Ux = calloc(PT_MAX, sizeof *a->Ux);
    if (a->X == NULL || a->Ux == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for pt's replicas (d=%zu)", s->d);
    return BL_OK;
}

static void
pt_free(void *ws)
{
    pt_ws *a = ws;
    free(a->X);
    free(a->Ux);
}

static double
temperature(const pt_ws *a, size_t m)
{
    return a->temps > 1 ? pow(a->tmax, (double)m / (double)(a->temps - 1)) : 1.0;
}

/* One RWM move of replica m on U/T; *Up the new energy. True if it moved. */
static bool
replica_move(sampler *s, pt_ws *a, size_t m, gsl_rng *rng, double *prob, bool *nonfinite)
{
    size_t d = s->d;
    double T = temperature(a, m), sd = s->o.sigma * sqrt(T), *x = a->X + m * d, Up;
    for (size_t i = 0; i < d; i++)
        s->wp[i] = x[i] + sd * sampler_rng_normal(rng);
    *prob = 0.0;
    if (target_eval(s->t, s->wp, &Up, NULL, NULL) != BL_OK) {
        *nonfinite = true;
        return false;
    }
    double la = (a->Ux[m] - Up) / T;
    *prob = la >= 0.0 ? 1.0 : exp(la);
    if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
        memcpy(x, s->wp, d * sizeof *x);
        a->Ux[m] = Up;
        return true;
    }
    return false;
}

static int
pt_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    pt_ws *a = s->ws;
    size_t d = s->d, M = a->temps;
    /* Row 0 is the chain (set_state may have moved it); new replicas start there. */
    memcpy(a->X, s->w, d * sizeof *s->w);
    a->Ux[0] = s->U;
    for (; a->ready < M; a->ready++) {
        memcpy(a->X + a->ready * d, s->w, d * sizeof *s->w);
        a->Ux[a->ready] = s->U;
    }
    if (a->ready < 1)
        a->ready = 1;
    sampler_event_push(ev, s->w, 0, 0);
    double prob;
    bool nonfin = false, moved = replica_move(s, a, 0, rng, &prob, &nonfin);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    ev->accept_prob = prob;
    ev->nonfinite = nonfin;
    sampler_event_push(ev, a->X, 1, 0);
    for (size_t m = 1; m < M; m++) {
        bool nf = false;
        replica_move(s, a, m, rng, &prob, &nf);
    }
    ev->n_grad = M;
    if (M >= 2) {
        size_t m = gsl_rng_uniform_int(rng, M - 1);
        double b0 = 1.0 / temperature(a, m), b1 = 1.0 / temperature(a, m + 1);
        double la = (b0 - b1) * (a->Ux[m] - a->Ux[m + 1]);
        a->tries++;
        if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
            double *x0 = a->X + m * d, *x1 = a->X + (m + 1) * d;
            for (size_t i = 0; i < d; i++) {
                double t = x0[i];
                x0[i] = x1[i];
                x1[i] = t;
            }
            double t = a->Ux[m];
            a->Ux[m] = a->Ux[m + 1];
            a->Ux[m + 1] = t;
            sampler_event_segment(ev, SAMPLER_SEG_SWAP, (int)m, x1, x0);
            a->swaps++;
            moved |= m == 0;
            if (m == 0)
                sampler_event_push(ev, a->X, 1, 0);
        }
    }
    for (size_t m = 0; m < M; m++)
        sampler_event_segment(ev, SAMPLER_SEG_REPLICA, (int)m, a->X + m * d, a->X + m * d);
    if (moved) {
        memcpy(s->w, a->X, d * sizeof *s->w);
        s->U = a->Ux[0];
    }
    ev->accepted = moved;
    return BL_OK;
}

static void
pt_describe(const sampler_event *ev, char *buf, size_t size)
{
    int sw = -1;
    for (size_t i = 0; i < ev->nseg; i++)
        if (ev->seg_kind[i] == SAMPLER_SEG_SWAP)
            sw = ev->seg_tag[i];
    char tail[64] = "no exchange";
    if (sw >= 0)
        snprintf(tail, sizeof tail, "replicas %d and %d exchanged", sw, sw + 1);
    snprintf(buf, size, "cold replica %s (acceptance prob %.3g); %s",
             ev->accepted ? "moved" : "stayed", ev->accept_prob, tail);
}

static const sampler_tunable pt_temps = {
    .name = "temps",
    .min = 1.0,
    .max = PT_MAX,
    .integer = true,
    .def = 4.0,
    .store = SAMPLER_TUN_SIZE,
    .in_ws = true,
    .offset = offsetof(pt_ws, temps),
    .help = "pt: replicas M on the ladder T_m = tmax^(m/(M-1))",
};

static const sampler_tunable pt_tmax = {
    .name = "tmax",
    .min = 1.0,
    .max = 1e6,
    .def = 10.0,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(pt_ws, tmax),
    .help = "pt: the hottest replica's temperature",
};

static const sampler_tunable *const pt_tunables[] = {&sampler_tun_sigma, &pt_temps, &pt_tmax, NULL};

const sampler_type sampler_type_pt = {
    .name = "pt",
    .help = "parallel tempering: M replicas on pi^(1/T), RWM moves, adjacent exchanges",
    .step = pt_step,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT | SAMPLER_EV_SEGMENTS,
    .tunables = pt_tunables,
    .ws_size = sizeof(pt_ws),
    .ws_init = pt_init,
    .ws_free = pt_free,
    .describe = pt_describe,
};
