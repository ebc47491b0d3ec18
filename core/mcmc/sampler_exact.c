/* core/mcmc/sampler_exact.c - iid draws from the target (target_draw:
 * Gaussian posteriors through their Cholesky factor, NIG, the teaching
 * densities that have exact draws): the baseline every chain is compared
 * with. Always "accepted"; O(d^2) per draw. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

static int
exact_fits(const target *t, const sampler_opts *o, bl_err *err)
{
    (void)o;
    if (!target_can_draw(t))
        return bl_fail(err, BL_EINVAL, "exact: target %s has no exact draws",
                       target_kind_name(target_get_kind(t)));
    return BL_OK;
}

static int
exact_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    double aux = NAN;
    if (target_draw(s->t, rng, s->wp, &aux, NULL) != BL_OK) {
        ev->nonfinite = true;
        return BL_OK;
    }
    memcpy(s->w, s->wp, s->d * sizeof *s->w);
    memcpy(ev->proposal, s->wp, s->d * sizeof *s->wp);
    double U;
    s->U = target_eval(s->t, s->w, &U, NULL, NULL) == BL_OK ? U : (double)NAN;
    s->aux = aux;
    ev->aux = aux;
    ev->accepted = true;
    ev->accept_prob = 1.0;
    ev->n_grad = 1;
    return BL_OK;
}

static void
exact_describe(const sampler_event *ev, char *buf, size_t size)
{
    (void)ev;
    snprintf(buf, size, "an exact draw");
}

const sampler_type sampler_type_exact = {
    .name = "exact",
    .help = "iid draws from the target itself (where it has them): the baseline",
    .step = exact_step,
    .events = SAMPLER_EV_AUX,
    .fits = exact_fits,
    .fits_needs = "a target with exact draws (a blr or nig posterior, most teaching densities)",
    .describe = exact_describe,
};
