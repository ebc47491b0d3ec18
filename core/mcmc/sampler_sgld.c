/* core/sampler_sgld.c - stochastic-gradient Langevin dynamics (Welling & Teh
 * 2011; MATH.md 9) and the stationary covariance of its constant-step limit.
 * w' = w - (h_t/2) g + sqrt(h_t) z with g the minibatch gradient
 * alpha w + (N/b) sum_{i in B} grad U_i(w), B drawn uniformly with
 * replacement (so E g = grad U exactly), or the full gradient (ULA) when
 * minibatch = 0 or the target has no data points. No accept step: the chain is
 * biased at any h > 0 (ULA on a Gaussian: N(mu, (P(I - hP/4))^-1)).
 * h_t = a (b0 + t)^-gamma with t the steps done, or the fixed step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/base/linalg.h"
#include "core/mcmc/sampler_impl.h"

int
sampler_sgld_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d, N = target_npoints(s->t), b = s->o.minibatch;
    double h = s->o.schedule
                   ? s->o.sched_a * pow(s->o.sched_b0 + (double)s->iter, -s->o.sched_gamma)
                   : s->o.step;
    ev->weight = h;
    ev->accept_prob = 1.0;
    ev->n_grad = 1;
    int rc;
    if (b > 0 && N > 0) {
        for (size_t k = 0; k < b; k++)
            s->idx[k] = gsl_rng_uniform_int(rng, N);
        rc = target_grad_minibatch(s->t, s->w, s->idx, b, s->gp, NULL);
    } else {
        double U;
        rc = target_eval(s->t, s->w, &U, s->gp, NULL);
    }
    if (rc != BL_OK) {
        ev->nonfinite = true;
        return BL_OK;
    }
    double sh = sqrt(h);
    for (size_t i = 0; i < d; i++)
        s->wp[i] = s->w[i] - 0.5 * h * s->gp[i] + sh * gsl_ran_gaussian_ziggurat(rng, 1.0);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, s->w, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    for (size_t i = 0; i < d; i++) {
        if (!isfinite(s->wp[i])) {
            ev->nonfinite = true;
            return BL_OK;
        }
    }
    memcpy(s->w, s->wp, d * sizeof *s->w);
    s->U = NAN;
    ev->accepted = true;
    return BL_OK;
}

int
sampler_ula_cov(size_t d, const double *P, double h, const double *V, double *S, bl_err *err)
{
    if (d < 1 || d > TARGET_MAX_DIM)
        return bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..%d", d, TARGET_MAX_DIM);
    if (!(h > 0.0) || !isfinite(h))
        return bl_fail(err, BL_EINVAL, "step=%g: must be > 0", h);
    int rc = BL_OK;
    double *Q = malloc(d * d * sizeof *Q), *lam = malloc(d * sizeof *lam);
    double *T = malloc(d * d * sizeof *T);
    if (Q == NULL || lam == NULL || T == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory (d=%zu)", d);
        goto done;
    }
    memcpy(Q, P, d * d * sizeof *Q);
    if ((rc = linalg_eigh(Q, d, lam, true, err)) != BL_OK)
        goto done;
    /* Rows of Q are the eigenvectors: P = Q^T diag(lam) Q. */
    if (!(lam[0] > 0.0) || !(h < 4.0 / lam[d - 1])) {
        rc = bl_fail(err, BL_EINVAL, "step=%g: must be in (0, %g) (4/lambda_max of P > 0)", h,
                     lam[d - 1] > 0.0 ? 4.0 / lam[d - 1] : 0.0);
        goto done;
    }
    /* V' = Q V Q^T into T (O(d^3), plain loops: d is small where this is used). */
    for (size_t i = 0; i < d; i++) {
        for (size_t j = 0; j < d; j++) {
            double acc = 0.0;
            if (V != NULL) {
                for (size_t k = 0; k < d; k++) {
                    double row = 0.0;
                    for (size_t l = 0; l < d; l++)
                        row += V[k * d + l] * Q[j * d + l];
                    acc += Q[i * d + k] * row;
                }
            }
            double gi = 1.0 - 0.5 * h * lam[i], gj = 1.0 - 0.5 * h * lam[j];
            T[i * d + j] = ((i == j ? h : 0.0) + 0.25 * h * h * acc) / (1.0 - gi * gj);
        }
    }
    /* S = Q^T S' Q. */
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < d; k++)
                for (size_t l = 0; l < d; l++)
                    acc += Q[k * d + i] * T[k * d + l] * Q[l * d + j];
            S[i * d + j] = acc;
        }
done:
    free(Q);
    free(lam);
    free(T);
    return rc;
}
