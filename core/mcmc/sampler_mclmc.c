/* core/mcmc/sampler_mclmc.c - microcanonical Langevin Monte Carlo, MCLMC
 * (Robnik and Seljak 2023, "Microcanonical Langevin Monte Carlo"; Robnik,
 * De Luca, Silverstein and Seljak 2023, "Microcanonical Hamiltonian Monte
 * Carlo", JMLR 24; docs/math.md §9), the unadjusted variant with the
 * isokinetic leapfrog integrator and a partial velocity refresh after every
 * step, as BlackJAX's `mclmc` kernel does it. The state is (x, u), |u| = 1:
 *   u <- B(u, grad U(x), eps/2); x <- x + eps u; u <- B(u, grad U(x), eps/2);
 *   u <- (c1 u + c2 z/sqrt(d)) / |.|, c1 = exp(-eps/L), c2 = sqrt(1 - c1^2),
 * with the ESH velocity update B: e = -grad U/|grad U|, delta = s |grad U|/(d-1),
 * zeta = exp(-delta), u' ~ e (1 - zeta)(1 + zeta + u.e (1 - zeta)) + 2 zeta u
 * (normalised), kinetic energy change (d-1)(delta - log 2 + log(1 + u.e +
 * (1 - u.e) zeta^2)). There is no Metropolis step, so the draws carry an
 * O(eps^2) bias; the energy error dE = dK + U(x') - U(x) of a step is the
 * accuracy gauge (Robnik et al. tune eps to Var(dE)/d ~ 5e-4) and a step
 * with |dE| > 1000 or not finite is a divergence (the state stays, u is
 * redrawn). Needs d >= 2 (the update divides by d - 1). One gradient per
 * step (the one at x is kept). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

typedef struct mclmc_ws {
    double L;  /* momentum decoherence length; 0: from the target at start */
    double L0; /* the L used when L = 0 */
    double *u; /* d: the unit velocity */
    bool have_u;
} mclmc_ws;

static int
mclmc_fits(const target *t, const sampler_opts *o, bl_err *err)
{
    (void)o;
    if (target_dim(t) < 2)
        return bl_fail(err, BL_EINVAL, "mclmc needs d >= 2 (its velocity update divides by d - 1)");
    return BL_OK;
}

static int
mclmc_init(sampler *s, bl_err *err)
{
    mclmc_ws *a = s->ws;
    size_t d = s->d;
    if ((a->u = calloc(d, sizeof *a->u)) == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for mclmc (d=%zu)", d);
    /* Robnik et al.'s L ~ sqrt(sum of the variances), or sqrt(d) unknown. */
    a->L0 = sqrt((double)d);
    double *cov = malloc(d * d * sizeof *cov);
    if (cov != NULL && target_moments(s->t, NULL, cov) != TARGET_MOMENTS_NONE) {
        double tr = 0.0;
        for (size_t i = 0; i < d; i++)
            tr += cov[i * d + i];
        if (tr > 0.0 && isfinite(tr))
            a->L0 = sqrt(tr);
    }
    free(cov);
    return BL_OK;
}

static void
mclmc_free(void *ws)
{
    free(((mclmc_ws *)ws)->u);
}

static void
normalize(double *v, size_t d)
{
    double n = 0.0;
    for (size_t i = 0; i < d; i++)
        n += v[i] * v[i];
    n = 1.0 / sqrt(n);
    for (size_t i = 0; i < d; i++)
        v[i] *= n;
}

static void
draw_direction(double *u, size_t d, gsl_rng *rng)
{
    for (size_t i = 0; i < d; i++)
        u[i] = sampler_rng_normal(rng);
    normalize(u, d);
}

/* B(u, g, step) in place; returns the kinetic energy change. */
static double
esh_velocity(double *u, const double *g, double step, size_t d)
{
    double gn = 0.0;
    for (size_t i = 0; i < d; i++)
        gn += g[i] * g[i];
    gn = sqrt(gn);
    if (!(gn > 0.0))
        return 0.0;
    double ue = 0.0;
    for (size_t i = 0; i < d; i++)
        ue += -u[i] * g[i] / gn;
    double dm1 = (double)(d - 1), delta = step * gn / dm1, zeta = exp(-delta);
    double ce = (1 - zeta) * (1 + zeta + ue * (1 - zeta));
    for (size_t i = 0; i < d; i++)
        u[i] = ce * (-g[i] / gn) + 2 * zeta * u[i];
    normalize(u, d);
    return dm1 * (delta - log(2.0) + log(1 + ue + (1 - ue) * zeta * zeta));
}

static int
mclmc_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    mclmc_ws *a = s->ws;
    size_t d = s->d;
    double eps = s->o.step, L = a->L > 0.0 ? a->L : a->L0;
    if (!a->have_u) {
        draw_direction(a->u, d, rng);
        a->have_u = true;
    }
    memcpy(ev->momentum, a->u, d * sizeof *a->u);
    double *u = s->p;
    memcpy(u, a->u, d * sizeof *u);
    double dK = esh_velocity(u, s->g, 0.5 * eps, d);
    for (size_t i = 0; i < d; i++)
        s->wp[i] = s->w[i] + eps * u[i];
    sampler_event_push(ev, s->w, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    ev->n_grad = 1;
    double Up;
    if (target_eval(s->t, s->wp, &Up, s->gp, NULL) != BL_OK) {
        ev->nonfinite = ev->divergent = true;
        ev->energy_error = INFINITY;
        draw_direction(a->u, d, rng);
        return BL_OK;
    }
    dK += esh_velocity(u, s->gp, 0.5 * eps, d);
    double dE = dK + Up - s->U;
    ev->energy_error = dE;
    if (!isfinite(dE) || fabs(dE) > SAMPLER_DIVERGENCE) {
        if (!isfinite(dE))
            ev->energy_error = INFINITY;
        ev->divergent = true;
        draw_direction(a->u, d, rng);
        return BL_OK;
    }
    double c1 = exp(-eps / L), c2 = sqrt(1 - c1 * c1), sd = 1.0 / sqrt((double)d);
    for (size_t i = 0; i < d; i++)
        a->u[i] = c1 * u[i] + c2 * sd * sampler_rng_normal(rng);
    normalize(a->u, d);
    memcpy(s->w, s->wp, d * sizeof *s->w);
    memcpy(s->g, s->gp, d * sizeof *s->g);
    s->U = Up;
    ev->accepted = true;
    ev->accept_prob = 1.0;
    return BL_OK;
}

static void
mclmc_describe(const sampler_event *ev, char *buf, size_t size)
{
    if (ev->divergent)
        snprintf(buf, size, "diverged (energy error %.3g): stayed, velocity redrawn",
                 ev->energy_error);
    else
        snprintf(buf, size, "moved along the unit velocity (energy error %.3g, no accept step)",
                 ev->energy_error);
}

/* Robnik et al. start at eps = 0.25 sqrt(d) for a standardized target; a
 * smaller start keeps the unadjusted bias small before any tuning. */
static double
mclmc_step_default(double sd_min, size_t d)
{
    return 0.1 * sqrt((double)d) * sd_min;
}

static const sampler_tunable mclmc_L = {
    .name = "L",
    .min = 0.0,
    .max = 1e6,
    .def = 0.0,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(mclmc_ws, L),
    .help = "mclmc: momentum decoherence length (0: sqrt(tr Cov) of the reference, or sqrt(d))",
};

static const sampler_tunable *const mclmc_tunables[] = {&sampler_tun_step, &mclmc_L, NULL};

const sampler_type sampler_type_mclmc = {
    .name = "mclmc",
    .help = "microcanonical Langevin MC (Robnik 2023): unit-speed ESH leapfrog, partial velocity "
            "refresh, no accept step",
    .step = mclmc_step,
    .needs_grad = true,
    .events = SAMPLER_EV_TRAJECTORY | SAMPLER_EV_MOMENTUM | SAMPLER_EV_ENERGY,
    .tunables = mclmc_tunables,
    .ws_size = sizeof(mclmc_ws),
    .ws_init = mclmc_init,
    .ws_free = mclmc_free,
    .fits = mclmc_fits,
    .step_default = mclmc_step_default,
    .describe = mclmc_describe,
};
