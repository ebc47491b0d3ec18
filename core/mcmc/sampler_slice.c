/* core/mcmc/sampler_slice.c - slice sampling (Neal 2003, §4; docs/math.md §9)
 * with stepping out and shrinkage, along each coordinate in turn (one step
 * is a sweep over the d coordinates) or along one uniformly random direction
 * (random_dir=1). Along a unit direction u from x:
 *   log y = -U(x) - E, E ~ Exp(1)               (the slice level)
 *   L = -width V, R = L + width, V ~ U(0,1)      (a randomly placed interval)
 *   J = floor(m V'), K = m - 1 - J; while J-- > 0 and -U(x + L u) > log y: L -= width;
 *                                   while K-- > 0 and -U(x + R u) > log y: R += width
 *   repeat: t ~ U(L, R); accept x + t u if -U(x + t u) > log y, else shrink
 *   (t < 0: L = t, else R = t).
 * This leaves the target invariant (Neal 2003, §4.3). m = max_steps (0: no
 * limit but SLICE_CAP widths each side). A non-finite U is density zero:
 * outside every slice, so such points are never accepted and the funnel's
 * neck does not stop the chain. The new point always lies in the shrunk
 * interval, which lies in the stepped-out one (tests/test_sampler_kinds.c). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

#define SLICE_CAP    1000 /* stepping-out widths per side without max_steps */
#define SLICE_SHRINK 200  /* shrinkage tries: the interval is then ~2^-200 of its size */

typedef struct slice_ws {
    double width;
    size_t max_steps;
    bool random_dir;
} slice_ws;

/* -U at x + t u into *lp (-inf when not finite); counts the evaluation. */
static double
logf_at(sampler *s, const double *x, const double *u, double t, double *buf, size_t *nev)
{
    for (size_t i = 0; i < s->d; i++)
        buf[i] = x[i] + t * u[i];
    double U;
    ++*nev;
    if (target_eval(s->t, buf, &U, NULL, NULL) != BL_OK)
        return -INFINITY;
    return -U;
}

/* One slice update of s->w along u (unit). Returns false when shrinkage gave
 * up (the state stays). */
static bool
slice_along(sampler *s, const slice_ws *a, gsl_rng *rng, const double *u, sampler_event *ev,
            size_t *nev)
{
    size_t d = s->d;
    double *x = s->w, *buf = s->wp, *pa = s->gp, *pb = s->p;
    double logy = -s->U - gsl_ran_exponential(rng, 1.0);
    double w = a->width, L = -w * gsl_rng_uniform(rng), R = L + w;
    size_t m = a->max_steps;
    size_t J = m > 0 ? (size_t)floor((double)m * gsl_rng_uniform(rng)) : SLICE_CAP;
    size_t K = m > 0 ? m - 1 - J : SLICE_CAP;
    while (J-- > 0 && logf_at(s, x, u, L, buf, nev) > logy)
        L -= w;
    while (K-- > 0 && logf_at(s, x, u, R, buf, nev) > logy)
        R += w;
    for (size_t i = 0; i < d; i++) {
        pa[i] = x[i] + L * u[i];
        pb[i] = x[i] + R * u[i];
    }
    sampler_event_segment(ev, SAMPLER_SEG_BRACKET, 0, pa, pb);
    for (int k = 0; k < SLICE_SHRINK; k++) {
        double t = L + (R - L) * gsl_rng_uniform(rng);
        double lp = logf_at(s, x, u, t, buf, nev);
        if (lp > logy) {
            for (size_t i = 0; i < d; i++) {
                pa[i] = x[i] + L * u[i];
                pb[i] = x[i] + R * u[i];
            }
            sampler_event_segment(ev, SAMPLER_SEG_SHRUNK, 0, pa, pb);
            memcpy(x, buf, d * sizeof *x);
            s->U = -lp;
            return true;
        }
        sampler_event_segment(ev, SAMPLER_SEG_REJECT, 0, buf, buf);
        if (t < 0.0)
            L = t;
        else
            R = t;
    }
    return false;
}

static int
slice_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    const slice_ws *a = s->ws;
    size_t d = s->d, nev = 0;
    double *u = s->z;
    bool moved = true;
    sampler_event_push(ev, s->w, 0, 0);
    if (a->random_dir) {
        double n2 = 0.0;
        for (size_t i = 0; i < d; i++) {
            u[i] = sampler_rng_normal(rng);
            n2 += u[i] * u[i];
        }
        double inv = 1.0 / sqrt(n2);
        for (size_t i = 0; i < d; i++)
            u[i] *= inv;
        moved = slice_along(s, a, rng, u, ev, &nev);
        sampler_event_push(ev, s->w, 1, 0);
    } else {
        memset(u, 0, d * sizeof *u);
        for (size_t j = 0; j < d; j++) {
            u[j] = 1.0;
            moved &= slice_along(s, a, rng, u, ev, &nev);
            u[j] = 0.0;
            sampler_event_push(ev, s->w, 1, 0);
        }
    }
    memcpy(ev->proposal, s->w, d * sizeof *s->w);
    ev->accepted = moved;
    ev->accept_prob = 1.0;
    ev->n_grad = nev;
    return BL_OK;
}

static void
slice_describe(const sampler_event *ev, char *buf, size_t size)
{
    size_t nb = 0;
    for (size_t i = 0; i < ev->nseg; i++)
        nb += ev->seg_kind[i] == SAMPLER_SEG_REJECT;
    snprintf(buf, size, "%s: %zu density evaluations, %zu point%s shrunk away",
             ev->accepted ? "moved along its slice" : "shrinkage gave up, stayed", ev->n_grad, nb,
             nb == 1 ? "" : "s");
}

static const sampler_tunable slice_width = {
    .name = "width",
    .min = 0.0,
    .max = 1e6,
    .min_open = true,
    .def = 1.0,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(slice_ws, width),
    .help = "slice: the stepping-out width w (about a posterior sd works best)",
};

static const sampler_tunable slice_max_steps = {
    .name = "max_steps",
    .min = 0.0,
    .max = 1e6,
    .integer = true,
    .def = 0.0,
    .store = SAMPLER_TUN_SIZE,
    .in_ws = true,
    .offset = offsetof(slice_ws, max_steps),
    .help = "slice: stepping out at most m widths in all (Neal's m; 0: no limit)",
};

static const sampler_tunable slice_random_dir = {
    .name = "random_dir",
    .min = 0.0,
    .max = 1.0,
    .integer = true,
    .def = 0.0,
    .store = SAMPLER_TUN_BOOL,
    .in_ws = true,
    .offset = offsetof(slice_ws, random_dir),
    .help = "slice: 1 along one random direction per step, 0 a sweep over the coordinates",
};

static const sampler_tunable *const slice_tunables[] = {&slice_width, &slice_max_steps,
                                                        &slice_random_dir, NULL};

const sampler_type sampler_type_slice = {
    .name = "slice",
    .help = "slice sampling (Neal 2003): stepping out and shrinkage, per coordinate or random "
            "direction",
    .step = slice_step,
    .events = SAMPLER_EV_TRAJECTORY | SAMPLER_EV_SEGMENTS,
    .tunables = slice_tunables,
    .ws_size = sizeof(slice_ws),
    .describe = slice_describe,
};
