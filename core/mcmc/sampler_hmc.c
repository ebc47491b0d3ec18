/* core/sampler_hmc.c - Hamiltonian Monte Carlo with a fixed number of
 * leapfrog steps, mass I (MATH.md 9): H = U(q) + |p|^2/2, p0 ~ N(0, I),
 * leapfrog as in sampler_leapfrog, accept with min(1, exp(H0 - H_L)),
 * divergence when H_L - H0 > SAMPLER_DIVERGENCE. L gradients per step.
 * For a Gaussian target the scheme is stable iff eps < 2/sqrt(lambda_max(P)). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

int
sampler_leapfrog(target *t, double *q, double *p, double *g, double *U, double eps, size_t L,
                 double *traj, size_t cap, size_t *ntraj, bl_err *err)
{
    size_t d = target_dim(t), nt = 0;
    if (traj != NULL && cap > 0)
        memcpy(traj + d * nt++, q, d * sizeof *q);
    for (size_t j = 0; j < d; j++)
        p[j] -= 0.5 * eps * g[j];
    int rc = BL_OK;
    for (size_t i = 1; i <= L; i++) {
        for (size_t j = 0; j < d; j++)
            q[j] += eps * p[j];
        if ((rc = target_eval(t, q, U, g, err)) != BL_OK)
            break;
        double e = i < L ? eps : 0.5 * eps;
        for (size_t j = 0; j < d; j++)
            p[j] -= e * g[j];
        if (traj != NULL && nt < cap)
            memcpy(traj + d * nt++, q, d * sizeof *q);
    }
    if (ntraj != NULL)
        *ntraj = nt;
    return rc;
}

static double
half_sq(const double *p, size_t d)
{
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += p[i] * p[i];
    return 0.5 * s;
}

int
sampler_hmc_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d, L = s->o.leapfrog, nt = 0;
    for (size_t i = 0; i < d; i++)
        s->p[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    memcpy(ev->momentum, s->p, d * sizeof *s->p);
    memcpy(s->wp, s->w, d * sizeof *s->w);
    memcpy(s->gp, s->g, d * sizeof *s->g);
    double H0 = s->U + half_sq(s->p, d), Up = s->U;
    int rc =
        sampler_leapfrog(s->t, s->wp, s->p, s->gp, &Up, s->o.step, L, ev->traj, ev->cap, &nt, NULL);
    ev->ntraj = nt;
    ev->ntraj_total = L + 1;
    for (size_t i = 0; i < nt; i++) {
        ev->traj_dir[i] = i == 0 ? 0 : 1;
        ev->traj_depth[i] = 0;
    }
    ev->n_grad = L;
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    if (rc != BL_OK) {
        ev->nonfinite = true;
        ev->energy_error = INFINITY;
        return BL_OK;
    }
    double dH = Up + half_sq(s->p, d) - H0;
    if (!isfinite(dH)) {
        ev->nonfinite = true;
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
    }
    return BL_OK;
}
