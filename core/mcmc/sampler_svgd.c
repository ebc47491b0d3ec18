/* core/mcmc/sampler_svgd.c - Stein variational gradient descent (Liu and
 * Wang 2016; docs/math.md §9): the K chains of an ensemble are the n = K
 * particles x_1..x_n, moved together by
 *   x_i += eps phi(x_i),
 *   phi(x) = (1/n) sum_j [k(x_j, x) (-grad U(x_j)) + grad_{x_j} k(x_j, x)],
 *   k(x, y) = exp(-|x - y|^2 / h), h = med / log(n + 1),
 * med the median of the squared pairwise distances |x_i - x_j|^2 (i < j;
 * Liu and Wang's median rule, h = med^2/log(n + 1) on distances, as their
 * code has it); h = 1 when n = 1 (then phi is the gradient ascent on log pi,
 * the particle goes to the mode). A
 * fixed step eps (`step`) instead of their AdaGrad. A deterministic
 * transport, not a Markov chain: the particles' empirical law approximates
 * the target as the iterations converge. O(n^2 d) per step; every particle
 * evaluates U and its gradient once. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

static double
dist2(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

#define SVGD_MAX 1024 /* particles: the ensemble's most chains */

/* Each particle keeps its squared distances to the particles after it, so
 * the median rule needs no allocation in a step. */
typedef struct svgd_ws {
    double row[SVGD_MAX];
} svgd_ws;

/* The k-th smallest (0-based) of the m = n(n-1)/2 squared distances held in
 * the rows, by bisection on the value (counting needs no buffer), then the
 * smallest held value at or above the bracket: exact once the bracket is
 * below the spacing of the values. */
static double
kth_dist2(sampler *const *ch, size_t n, size_t k, double hi)
{
    double lo = -1.0; /* no distance is at or below it */
    for (int it = 0; it < 64; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        size_t c = 0;
        for (size_t i = 0; i < n; i++) {
            const double *r = ((const svgd_ws *)ch[i]->ws)->row;
            for (size_t j = i + 1; j < n; j++)
                c += r[j] <= mid;
        }
        if (c > k)
            hi = mid;
        else
            lo = mid;
    }
    /* lo has at most k values at or below it, hi more than k: the k-th
     * value is the smallest one above lo. */
    double best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        const double *r = ((const svgd_ws *)ch[i]->ws)->row;
        for (size_t j = i + 1; j < n; j++)
            if (r[j] > lo && r[j] < best)
                best = r[j];
    }
    return isfinite(best) ? best : hi;
}

static int
svgd_step_all(sampler *const *ch, size_t n, gsl_rng *const *rng, sampler_event *const *ev)
{
    (void)rng;
    size_t d = ch[0]->d;
    double h = 1.0;
    n = n < SVGD_MAX ? n : SVGD_MAX;
    if (n >= 2) {
        double top = 0.0;
        for (size_t i = 0; i < n; i++) {
            double *r = ((svgd_ws *)ch[i]->ws)->row;
            for (size_t j = i + 1; j < n; j++)
                top = fmax(top, r[j] = dist2(ch[i]->w, ch[j]->w, d));
        }
        size_t m = n * (n - 1) / 2;
        double med = m % 2
                         ? kth_dist2(ch, n, m / 2, top)
                         : 0.5 * (kth_dist2(ch, n, m / 2 - 1, top) + kth_dist2(ch, n, m / 2, top));
        h = med / log((double)n + 1.0);
        if (!(h > 0.0))
            h = 1.0; /* all particles at one point */
    }
    for (size_t i = 0; i < n; i++) {
        double *phi = ch[i]->p;
        memset(phi, 0, d * sizeof *phi);
        for (size_t j = 0; j < n; j++) {
            double kij = exp(-dist2(ch[j]->w, ch[i]->w, d) / h);
            for (size_t q = 0; q < d; q++)
                phi[q] += kij * (-ch[j]->g[q] - 2.0 / h * (ch[j]->w[q] - ch[i]->w[q]));
        }
        for (size_t q = 0; q < d; q++)
            phi[q] /= (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        sampler *s = ch[i];
        for (size_t q = 0; q < d; q++)
            s->wp[q] = s->w[q] + s->o.step * s->p[q];
        sampler_event_push(ev[i], s->w, 0, 0);
        sampler_event_push(ev[i], s->wp, 1, 0);
        memcpy(ev[i]->proposal, s->wp, d * sizeof *s->wp);
        ev[i]->n_grad = 1;
        ev[i]->accept_prob = 1.0;
        double Up;
        if (target_eval(s->t, s->wp, &Up, s->gp, NULL) != BL_OK) {
            ev[i]->nonfinite = true;
            continue;
        }
        memcpy(s->w, s->wp, d * sizeof *s->w);
        memcpy(s->g, s->gp, d * sizeof *s->g);
        s->U = Up;
        ev[i]->accepted = true;
    }
    return BL_OK;
}

static void
svgd_describe(const sampler_event *ev, char *buf, size_t size)
{
    double m = 0.0;
    for (size_t q = 0; q < ev->d; q++)
        m += (ev->proposal[q] - ev->from[q]) * (ev->proposal[q] - ev->from[q]);
    snprintf(buf, size, "particle %s by %.3g along the Stein direction",
             ev->accepted ? "moved" : "stayed (non-finite target)", sqrt(m));
}

/* eps phi ~ eps x / var near a Gaussian mode: a step of a tenth of the
 * smallest variance moves a particle a tenth of the way. */
static double
svgd_step_default(double sd_min, size_t d)
{
    (void)d;
    return 0.1 * sd_min * sd_min;
}

static const sampler_tunable *const svgd_tunables[] = {&sampler_tun_step, NULL};

const sampler_type sampler_type_svgd = {
    .name = "svgd",
    .help = "Stein variational gradient descent (Liu 2016): the chains are particles, RBF kernel, "
            "median rule",
    .step_all = svgd_step_all,
    .needs_grad = true,
    .events = SAMPLER_EV_TRAJECTORY | SAMPLER_EV_PARTICLES,
    .tunables = svgd_tunables,
    .ws_size = sizeof(svgd_ws),
    .step_default = svgd_step_default,
    .describe = svgd_describe,
};
