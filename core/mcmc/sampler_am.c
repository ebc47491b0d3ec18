/* core/mcmc/sampler_am.c - adaptive Metropolis (Haario, Saksman and
 * Tamminen 2001; docs/math.md §9): a random walk w' = w + L z whose
 * covariance L L^T = s_d (C_t + eps I), s_d = 2.38^2/d, is the covariance
 * C_t of the chain's own past states x_0..x_t; for the first t0 iterations
 * the proposal is sigma z. Accepted with min(1, exp(U(w) - U(w'))).
 * The chain is not Markov, but with eps > 0 it is ergodic for a target of
 * bounded support (Haario et al., Theorem 1) and in practice on the teaching
 * densities. C_t is updated every step (Welford, O(d^2)); its factor is
 * refreshed every max(1, d/8) steps, which Haario et al. allow ("updated
 * only every n0 steps"), so a step costs O(d^2) plus O(d^2 / 3 * 8) amortized.
 * Never allocates in a step: the buffers are made by ws_init. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

typedef struct am_ws {
    size_t t0;                       /* iterations with the fixed proposal sigma z */
    double reg;                      /* eps of s_d (C + eps I) */
    size_t n;                        /* states accumulated */
    double *mean, *M2, *L, *C, *col; /* d, d x d, d x d, d x d, d */
    size_t since;                    /* steps since L was refreshed */
    bool have_L;
} am_ws;

static int
am_init(sampler *s, bl_err *err)
{
    am_ws *a = s->ws;
    size_t d = s->d;
    a->mean = calloc(d, sizeof *a->mean);
    a->M2 = calloc(d * d, sizeof *a->M2);
    a->L = calloc(d * d, sizeof *a->L);
    a->C = calloc(d * d, sizeof *a->C);
    a->col = calloc(d, sizeof *a->col);
    if (a->mean == NULL || a->M2 == NULL || a->L == NULL || a->C == NULL || a->col == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for am's covariance (d=%zu)", d);
    return BL_OK;
}

static void
am_free(void *ws)
{
    am_ws *a = ws;
    free(a->mean);
    free(a->M2);
    free(a->L);
    free(a->C);
    free(a->col);
}

/* In-place lower Cholesky of the d x d row-major A; false when A is not
 * positive definite (A is then garbage: the caller keeps its old factor). */
static bool
chol(double *A, size_t d)
{
    for (size_t j = 0; j < d; j++) {
        double s = A[j * d + j];
        for (size_t k = 0; k < j; k++)
            s -= A[j * d + k] * A[j * d + k];
        if (!(s > 0.0) || !isfinite(s))
            return false;
        double l = sqrt(s);
        A[j * d + j] = l;
        for (size_t i = j + 1; i < d; i++) {
            double t = A[i * d + j];
            for (size_t k = 0; k < j; k++)
                t -= A[i * d + k] * A[j * d + k];
            A[i * d + j] = t / l;
        }
        for (size_t k = j + 1; k < d; k++)
            A[j * d + k] = 0.0;
    }
    return true;
}

/* Welford: the state joins the mean and the scatter M2. */
static void
am_accumulate(am_ws *a, const double *x, size_t d)
{
    a->n++;
    double inv = 1.0 / (double)a->n;
    for (size_t i = 0; i < d; i++) {
        a->col[i] = x[i] - a->mean[i]; /* x - old mean */
        a->mean[i] += a->col[i] * inv;
    }
    for (size_t i = 0; i < d; i++) {
        double ei = x[i] - a->mean[i]; /* x - new mean */
        for (size_t j = 0; j <= i; j++)
            a->M2[i * d + j] += ei * a->col[j];
    }
}

/* L L^T = s_d (C_t + eps I) with C_t = M2 / (n - 1). */
static void
am_refresh(am_ws *a, size_t d)
{
    double sd = 2.38 * 2.38 / (double)d, inv = 1.0 / (double)(a->n - 1);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++)
            a->C[i * d + j] = sd * (a->M2[i * d + j] * inv + (i == j ? a->reg : 0.0));
    if (chol(a->C, d)) {
        memcpy(a->L, a->C, d * d * sizeof *a->L);
        a->have_L = true;
    }
    a->since = 0;
}

static int
am_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    am_ws *a = s->ws;
    size_t d = s->d;
    if (a->n == 0)
        am_accumulate(a, s->w, d); /* x_0 */
    size_t every = d / 8 > 1 ? d / 8 : 1;
    if (a->n > a->t0 && a->n >= 2 && (!a->have_L || a->since >= every))
        am_refresh(a, d);
    bool adapted = a->n > a->t0 && a->have_L;
    for (size_t i = 0; i < d; i++)
        s->z[i] = sampler_rng_normal(rng);
    for (size_t i = 0; i < d; i++) {
        double v = 0.0;
        if (adapted)
            for (size_t k = 0; k <= i; k++)
                v += a->L[i * d + k] * s->z[k];
        else
            v = s->o.sigma * s->z[i];
        s->wp[i] = s->w[i] + v;
    }
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, s->w, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    /* The proposal's axes, the columns of L (or sigma e_j), around w. */
    for (size_t j = 0; j < d && ev->seg_cap > 0 && j < ev->seg_cap; j++) {
        for (size_t i = 0; i < d; i++) {
            double lij = adapted ? (i >= j ? a->L[i * d + j] : 0.0) : (i == j ? s->o.sigma : 0.0);
            ev->from[i] = s->w[i] - lij; /* scratch: from is restored below */
            s->gp[i] = s->w[i] + lij;
        }
        sampler_event_segment(ev, SAMPLER_SEG_AXIS, (int)j, ev->from, s->gp);
    }
    memcpy(ev->from, s->w, d * sizeof *s->w);
    ev->n_grad = 1;
    a->since++;
    sampler_metropolis(s, rng, ev);
    am_accumulate(a, s->w, d);
    return BL_OK;
}

static const sampler_tunable am_t0 = {
    .name = "t0",
    .min = 1.0,
    .max = 1e9,
    .integer = true,
    .def = 100.0,
    .store = SAMPLER_TUN_SIZE,
    .in_ws = true,
    .offset = offsetof(am_ws, t0),
    .help = "am: iterations with the fixed proposal sigma z before the covariance is used",
};

static const sampler_tunable am_reg = {
    .name = "reg",
    .min = 0.0,
    .max = 1e6,
    .min_open = true,
    .def = 1e-6,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(am_ws, reg),
    .help = "am: eps of the proposal covariance 2.38^2/d (C + eps I)",
};

static const sampler_tunable *const am_tunables[] = {&sampler_tun_sigma, &am_t0, &am_reg, NULL};

const sampler_type sampler_type_am = {
    .name = "am",
    .help = "adaptive Metropolis (Haario 2001): w + L z, L L^T = 2.38^2/d (Cov(past) + eps I)",
    .step = am_step,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT | SAMPLER_EV_SEGMENTS,
    .tunables = am_tunables,
    .ws_size = sizeof(am_ws),
    .ws_init = am_init,
    .ws_free = am_free,
    .describe = sampler_describe_metropolis,
};
