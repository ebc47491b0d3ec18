/* core/mcmc/sampler_sgld.c - stochastic-gradient Langevin dynamics (Welling & Teh
 * 2011; docs/math.md §9) and the stationary covariance of its constant-step limit.
 * w' = w - (h_t/2) g + sqrt(h_t) z with g the minibatch gradient
 * alpha w + (N/b) sum_{i in B} grad U_i(w), B drawn uniformly with
 * replacement (so E g = grad U exactly), or the full gradient (ULA) when
 * minibatch = 0 or the target has no data points. No accept step: the chain is
 * biased at any h > 0 (ULA on a Gaussian: N(mu, (P(I - hP/4))^-1)).
 * h_t = a (b0 + t)^-gamma with t the steps done, or the fixed step. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/base/linalg.h"
#include "core/mcmc/sampler_impl.h"

/* The minibatch indices (b <= N of them), when the target has data points. */
typedef struct sgld_ws {
    size_t *idx; /* N */
} sgld_ws;

static int
sgld_ws_init(sampler *s, bl_err *err)
{
    sgld_ws *ws = s->ws;
    size_t N = target_npoints(s->t);
    if (N > 0 && (ws->idx = malloc(N * sizeof *ws->idx)) == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a sgld sampler");
    return BL_OK;
}

static void
sgld_ws_free(void *p)
{
    sgld_ws *ws = p;
    free(ws->idx);
}

static int
sgld_fits(const target *t, const sampler_opts *o, bl_err *err)
{
    if (o->minibatch > target_npoints(t) && target_npoints(t) > 0)
        return bl_fail(err, BL_EINVAL, "minibatch=%zu: must be <= %zu (data points)", o->minibatch,
                       target_npoints(t));
    return BL_OK;
}

static int
sgld_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t *idx = ((sgld_ws *)s->ws)->idx;
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
            idx[k] = gsl_rng_uniform_int(rng, N);
        rc = target_grad_minibatch(s->t, s->w, idx, b, s->gp, NULL);
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

static const sampler_tunable sgld_minibatch = {
    .name = "minibatch",
    .min = 0.0,
    .max = 1e9,
    .integer = true,
    .le_npoints = true,
    .def = 0.0,
    .store = SAMPLER_TUN_SIZE,
    .offset = offsetof(sampler_opts, minibatch),
    .help = "sgld batch b, 0 = full gradient",
};

static const sampler_tunable sgld_schedule = {
    .name = "schedule",
    .min = 0.0,
    .max = 1.0,
    .integer = true,
    .def = 0.0,
    .store = SAMPLER_TUN_BOOL,
    .offset = offsetof(sampler_opts, schedule),
    .help = "sgld: 1 for h_t = a (b0 + t)^-gamma instead of step",
};

static const sampler_tunable sgld_a = {
    .name = "a",
    .min = 0.0,
    .max = 1e6,
    .min_open = true,
    .def = 0.01,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, sched_a),
    .only_with = &sgld_schedule,
    .help = "sgld schedule scale (default 0.01)",
};

static const sampler_tunable sgld_b0 = {
    .name = "b0",
    .min = 0.0,
    .max = 1e12,
    .min_open = true,
    .def = 1.0,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, sched_b0),
    .only_with = &sgld_schedule,
    .help = "sgld schedule offset (default 1)",
};

static const sampler_tunable sgld_gamma = {
    .name = "gamma",
    .min = 0.5,
    .max = 1.0,
    .min_open = true,
    .def = 0.55,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, sched_gamma),
    .only_with = &sgld_schedule,
    .help = "sgld schedule decay (default 0.55)",
};

static const sampler_tunable *const sgld_tunables[] = {
    &sampler_tun_step, &sgld_minibatch, &sgld_schedule, &sgld_a, &sgld_b0, &sgld_gamma, NULL,
};

/* 0.1 sd_min^2: well inside the ULA bound 4 lambda_min(cov), where the
 * variance bias (P(I - hP/4))^-1 is a few percent. */
static double
sgld_step_default(double sd_min, size_t d)
{
    (void)d;
    return 0.1 * sd_min * sd_min;
}

/* w' = (I - (h/2) P) w + noise contracts iff h < 4/lambda_max(P) (docs/math.md §9). */
static double
sgld_step_limit(const sampler_opts *o, double var_min)
{
    return o->schedule ? (double)NAN : 4 * var_min;
}

static void
sgld_describe(const sampler_event *ev, char *buf, size_t size)
{
    snprintf(buf, size, "a Langevin move with h = %.3g (no accept step)", ev->weight);
}

static int
sgld_stationary_cov(const sampler_opts *o, size_t d, const double *P, double *S, bl_err *err)
{
    if (o->schedule || o->minibatch > 0)
        return bl_fail(err, BL_EINVAL, "sgld: no closed-form stationary law with a %s",
                       o->schedule ? "step schedule" : "minibatch");
    return sampler_ula_cov(d, P, o->step, NULL, S, err);
}

const sampler_type sampler_type_sgld = {
    .name = "sgld",
    .help = "stochastic-gradient Langevin: w - (h_t/2) g + sqrt(h_t) z, no accept step",
    .step = sgld_step,
    .needs_grad = true,
    .events = SAMPLER_EV_TRAJECTORY | SAMPLER_EV_WEIGHT,
    .tunables = sgld_tunables,
    .ws_size = sizeof(sgld_ws),
    .ws_init = sgld_ws_init,
    .ws_free = sgld_ws_free,
    .fits = sgld_fits,
    .step_default = sgld_step_default,
    .step_limit = sgld_step_limit,
    .step_limit_name = "the Langevin stability limit 4 lambda_min(cov)",
    .step_limit_effect = "the chains diverge",
    .describe = sgld_describe,
    .stationary_cov = sgld_stationary_cov,
};

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
