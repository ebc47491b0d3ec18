/* core/mcmc/sampler_ess.c - elliptical slice sampling (Murray, Adams and
 * MacKay 2010; docs/math.md §9) for a posterior of the form
 * N(w; 0, I/alpha) L(w): the targets whose U is (alpha/2)|w|^2 - log L(w)
 * up to a constant, i.e. blr (the model's posterior, known noise), blr_data,
 * logistic and student_t. One step:
 *   nu ~ N(0, I/alpha); log y = log L(w) + log u, u ~ U(0,1);
 *   theta ~ U(0, 2 pi), [theta_min, theta_max] = [theta - 2 pi, theta];
 *   repeat: w' = w cos theta + nu sin theta; accept if log L(w') > log y,
 *   else shrink the bracket towards 0 (theta < 0: theta_min = theta, else
 *   theta_max = theta) and draw theta ~ U(theta_min, theta_max).
 * No tuning parameter, no rejection: the chain always moves (the bracket
 * shrinks towards the current state, theta = 0). log L = (alpha/2)|w|^2 - U,
 * which differs from the log likelihood by a constant for blr (U is written
 * around the posterior mean), harmless since only differences are compared. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

#define ESS_SHRINK 200 /* bracket halvings before giving up (then the state stays) */

static bool
gaussian_prior(const target *t, double *alpha)
{
    target_info in;
    target_get_info(t, &in);
    *alpha = in.alpha;
    switch (in.kind) {
    case TARGET_BLR:
    case TARGET_BLR_DATA:
    case TARGET_LOGISTIC:
    case TARGET_STUDENT_T: return in.alpha > 0.0;
    default: return false;
    }
}

static int
ess_fits(const target *t, const sampler_opts *o, bl_err *err)
{
    (void)o;
    double alpha;
    if (!gaussian_prior(t, &alpha))
        return bl_fail(err, BL_EINVAL,
                       "ess needs a Gaussian prior N(0, I/alpha) times a likelihood (blr, "
                       "logistic, student_t), not %s",
                       target_kind_name(target_get_kind(t)));
    return BL_OK;
}

static double
sq(const double *w, size_t d)
{
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += w[i] * w[i];
    return s;
}

static int
ess_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d, nev = 0;
    double alpha;
    gaussian_prior(s->t, &alpha);
    double *nu = s->z, sd = 1.0 / sqrt(alpha);
    for (size_t i = 0; i < d; i++)
        nu[i] = sd * sampler_rng_normal(rng);
    sampler_event_segment(ev, SAMPLER_SEG_ELLIPSE, 0, s->w, nu);
    double logL = 0.5 * alpha * sq(s->w, d) - s->U;
    double logy = logL + log(gsl_rng_uniform_pos(rng));
    double th = 2 * M_PI * gsl_rng_uniform(rng), lo = th - 2 * M_PI, hi = th;
    sampler_event_push(ev, s->w, 0, 0);
    for (int k = 0; k < ESS_SHRINK; k++) {
        double c = cos(th), sn = sin(th), Up;
        for (size_t i = 0; i < d; i++)
            s->wp[i] = s->w[i] * c + nu[i] * sn;
        nev++;
        if (target_eval(s->t, s->wp, &Up, NULL, NULL) == BL_OK &&
            0.5 * alpha * sq(s->wp, d) - Up > logy) {
            memcpy(s->w, s->wp, d * sizeof *s->w);
            s->U = Up;
            ev->accepted = true;
            break;
        }
        sampler_event_segment(ev, SAMPLER_SEG_REJECT, 0, s->wp, s->wp);
        if (th < 0.0)
            lo = th;
        else
            hi = th;
        th = lo + (hi - lo) * gsl_rng_uniform(rng);
    }
    sampler_event_push(ev, s->w, 1, 0);
    memcpy(ev->proposal, s->w, d * sizeof *s->w);
    ev->accept_prob = 1.0;
    ev->n_grad = nev;
    return BL_OK;
}

static void
ess_describe(const sampler_event *ev, char *buf, size_t size)
{
    snprintf(buf, size, "%s on its ellipse after %zu density evaluations (%zu shrinks)",
             ev->accepted ? "moved" : "stayed", ev->n_grad, ev->n_grad > 0 ? ev->n_grad - 1 : 0);
}

const sampler_type sampler_type_ess = {
    .name = "ess",
    .help = "elliptical slice sampling (Murray 2010): w cos t + nu sin t, nu from the Gaussian "
            "prior",
    .step = ess_step,
    .events = SAMPLER_EV_TRAJECTORY | SAMPLER_EV_SEGMENTS,
    .fits = ess_fits,
    .fits_needs = "a Gaussian prior times a likelihood: the blr posterior (model blr) or logistic",
    .fits_instead = "slice, rwm or nuts",
    .describe = ess_describe,
};
