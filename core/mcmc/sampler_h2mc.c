/* core/mcmc/sampler_h2mc.c - Hessian-Hamiltonian Monte Carlo (Li, Lehtinen,
 * Ramamoorthi, Jakob and Durand 2015, "Anisotropic Gaussian mutations for
 * Metropolis light transport through Hessian-Hamiltonian dynamics", §4;
 * docs/math.md §9). At x, log pi is replaced by its second-order Taylor
 * expansion (gradient g and Hessian H of log pi = -U); Hamiltonian dynamics
 * on it for a time T with p ~ N(0, I) is linear in p, so its end point is a
 * Gaussian proposal N(x + Q mu, Q diag(s^2) Q^T), H = Q diag(lambda) Q^T:
 *   lambda < 0, w = sqrt(-lambda): mu = (g'/(-lambda))(1 - cos wT), s = sin(wT)/w
 *   lambda > 0, w = sqrt(lambda):  mu = (g'/lambda)(cosh wT - 1),   s = sinh(wT)/w
 *   lambda = 0:                    mu = g' T^2/2,                    s = T
 * (g' = Q^T g), accepted by Metropolis-Hastings with the reverse proposal
 * built at x' the same way. T = T_scale (pi/2)/sqrt(max |lambda|) at each
 * point: a quarter period of the stiffest direction, so on a Gaussian the
 * proposal is the target itself (mu jumps to the mode, s is the sd) and every
 * proposal is accepted. H by central differences of the gradient (2d
 * gradients, step 1e-4 (1 + |x_j|)), symmetrised; its eigenvectors by cyclic
 * Jacobi. O(d^3) per step, so d <= 64. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/mcmc/sampler_impl.h"

#define H2MC_MAX_DIM 64

/* The proposal at one point. */
typedef struct h2mc_at {
    double *x, *Q, *lam, *mu, *s; /* d, d x d (columns are eigenvectors), d, d, d */
    double logdet;                /* sum log s */
    bool ok;                      /* finite Hessian and proposal */
} h2mc_at;

typedef struct h2mc_ws {
    double T_scale;
    h2mc_at cur, prop;
    double *H, *g1, *g2, *y; /* d x d, d, d, d */
} h2mc_ws;

static int
h2mc_fits(const target *t, const sampler_opts *o, bl_err *err)
{
    (void)o;
    if (target_dim(t) > H2MC_MAX_DIM)
        return bl_fail(err, BL_EINVAL,
                       "h2mc needs d <= %d (a finite-difference Hessian and its eigenvectors "
                       "every step), not d = %zu",
                       H2MC_MAX_DIM, target_dim(t));
    return BL_OK;
}

static bool
at_alloc(h2mc_at *a, size_t d)
{
    a->x = calloc(d, sizeof *a->x);
    a->Q = calloc(d * d, sizeof *a->Q);
    a->lam = calloc(d, sizeof *a->lam);
    a->mu = calloc(d, sizeof *a->mu);
    a->s = calloc(d, sizeof *a->s);
    return a->x != NULL && a->Q != NULL && a->lam != NULL && a->mu != NULL && a->s != NULL;
}

static void
at_free(h2mc_at *a)
{
    free(a->x);
    free(a->Q);
    free(a->lam);
    free(a->mu);
    free(a->s);
}

static int
h2mc_init(sampler *s, bl_err *err)
{
    h2mc_ws *a = s->ws;
    size_t d = s->d;
    a->H = calloc(d * d, sizeof *a->H);
    a->g1 = calloc(d, sizeof *a->g1);
    a->g2 = calloc(d, sizeof *a->g2);
    a->y = calloc(d, sizeof *a->y);
    if (!at_alloc(&a->cur, d) || !at_alloc(&a->prop, d) || a->H == NULL || a->g1 == NULL ||
        a->g2 == NULL || a->y == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for h2mc (d=%zu)", d);
    return BL_OK;
}

static void
h2mc_free(void *ws)
{
    h2mc_ws *a = ws;
    at_free(&a->cur);
    at_free(&a->prop);
    free(a->H);
    free(a->g1);
    free(a->g2);
    free(a->y);
}

/* Cyclic Jacobi on the symmetric A (destroyed): eigenvalues into lam,
 * eigenvectors into the columns of V. */
static void
jacobi(double *A, size_t d, double *lam, double *V)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            V[i * d + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, tot = 0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++)
                if (i == j)
                    tot += A[i * d + j] * A[i * d + j];
                else
                    off += A[i * d + j] * A[i * d + j];
        if (off <= 1e-30 * (tot + off) || off == 0.0)
            break;
        for (size_t p = 0; p < d; p++)
            for (size_t q = p + 1; q < d; q++) {
                double apq = A[p * d + q];
                if (apq == 0.0)
                    continue;
                double th = (A[q * d + q] - A[p * d + p]) / (2 * apq);
                double t = (th >= 0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), sn = t * c;
                for (size_t k = 0; k < d; k++) {
                    double akp = A[k * d + p], akq = A[k * d + q];
                    A[k * d + p] = c * akp - sn * akq;
                    A[k * d + q] = sn * akp + c * akq;
                }
                for (size_t k = 0; k < d; k++) {
                    double apk = A[p * d + k], aqk = A[q * d + k];
                    A[p * d + k] = c * apk - sn * aqk;
                    A[q * d + k] = sn * apk + c * aqk;
                }
                for (size_t k = 0; k < d; k++) {
                    double vkp = V[k * d + p], vkq = V[k * d + q];
                    V[k * d + p] = c * vkp - sn * vkq;
                    V[k * d + q] = sn * vkp + c * vkq;
                }
            }
    }
    for (size_t i = 0; i < d; i++)
        lam[i] = A[i * d + i];
}

/* The proposal at x, whose grad U is gU. Counts gradient evaluations. */
static void
build(sampler *s, h2mc_ws *a, h2mc_at *at, const double *x, const double *gU, size_t *ng)
{
    size_t d = s->d;
    memcpy(at->x, x, d * sizeof *x);
    at->ok = false;
    double *xe = s->z, U;
    memcpy(xe, x, d * sizeof *x);
    for (size_t j = 0; j < d; j++) {
        double h = 1e-4 * (1 + fabs(x[j]));
        xe[j] = x[j] + h;
        bool f1 = target_eval(s->t, xe, &U, a->g1, NULL) == BL_OK;
        xe[j] = x[j] - h;
        bool f2 = target_eval(s->t, xe, &U, a->g2, NULL) == BL_OK;
        xe[j] = x[j];
        *ng += 2;
        if (!f1 || !f2)
            return;
        for (size_t i = 0; i < d; i++) /* Hessian of log pi = -U */
            a->H[i * d + j] = -(a->g1[i] - a->g2[i]) / (2 * h);
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++)
            a->H[i * d + j] = a->H[j * d + i] = 0.5 * (a->H[i * d + j] + a->H[j * d + i]);
    jacobi(a->H, d, at->lam, at->Q);
    double lmax = 0;
    for (size_t i = 0; i < d; i++)
        lmax = fmax(lmax, fabs(at->lam[i]));
    double T = lmax > 0 ? a->T_scale * (M_PI / 2) / sqrt(lmax) : a->T_scale;
    at->logdet = 0;
    for (size_t i = 0; i < d; i++) {
        double gi = 0; /* Q^T grad log pi */
        for (size_t k = 0; k < d; k++)
            gi -= at->Q[k * d + i] * gU[k];
        double l = at->lam[i], w = sqrt(fabs(l)), wt = w * T;
        if (wt < 1e-4) {
            at->mu[i] = gi * T * T / 2;
            at->s[i] = T;
        } else if (l < 0) {
            at->mu[i] = gi / (-l) * (1 - cos(wt));
            at->s[i] = sin(wt) / w;
        } else {
            at->mu[i] = gi / l * (cosh(wt) - 1);
            at->s[i] = sinh(wt) / w;
        }
        if (!(at->s[i] > 0) || !isfinite(at->s[i]) || !isfinite(at->mu[i]))
            return;
        at->logdet += log(at->s[i]);
    }
    at->ok = true;
}

/* log q(to | from's proposal), up to the constant. */
static double
log_q(const h2mc_at *at, const double *to, double *y, size_t d)
{
    double lq = -at->logdet;
    for (size_t i = 0; i < d; i++) {
        double v = 0;
        for (size_t k = 0; k < d; k++)
            v += at->Q[k * d + i] * (to[k] - at->x[k]);
        y[i] = (v - at->mu[i]) / at->s[i];
        lq -= 0.5 * y[i] * y[i];
    }
    return lq;
}

static int
h2mc_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    h2mc_ws *a = s->ws;
    size_t d = s->d, ng = 0;
    if (!a->cur.ok || memcmp(a->cur.x, s->w, d * sizeof *s->w) != 0)
        build(s, a, &a->cur, s->w, s->g, &ng);
    ev->n_grad = ng;
    sampler_event_push(ev, s->w, 0, 0);
    if (!a->cur.ok) {
        ev->nonfinite = true;
        return BL_OK;
    }
    const h2mc_at *c = &a->cur;
    for (size_t i = 0; i < d; i++)
        a->y[i] = c->mu[i] + c->s[i] * sampler_rng_normal(rng);
    for (size_t k = 0; k < d; k++) {
        double v = 0;
        for (size_t i = 0; i < d; i++)
            v += c->Q[k * d + i] * a->y[i];
        s->wp[k] = s->w[k] + v;
    }
    /* The proposal's axes around its mean. */
    for (size_t i = 0; i < d && i < ev->seg_cap; i++) {
        for (size_t k = 0; k < d; k++) {
            double m = s->w[k], ax = c->Q[k * d + i] * c->s[i];
            for (size_t j = 0; j < d; j++)
                m += c->Q[k * d + j] * c->mu[j];
            ev->from[k] = m - ax; /* scratch: restored below */
            s->p[k] = m + ax;
        }
        sampler_event_segment(ev, SAMPLER_SEG_AXIS, (int)i, ev->from, s->p);
    }
    memcpy(ev->from, s->w, d * sizeof *s->w);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, s->wp, 1, 0);
    double Up;
    ng++;
    if (target_eval(s->t, s->wp, &Up, s->gp, NULL) != BL_OK) {
        ev->n_grad = ng;
        ev->nonfinite = true;
        return BL_OK;
    }
    build(s, a, &a->prop, s->wp, s->gp, &ng);
    ev->n_grad = ng;
    if (!a->prop.ok) {
        ev->nonfinite = true;
        return BL_OK;
    }
    double la = s->U - Up + log_q(&a->prop, s->w, a->y, d) - log_q(c, s->wp, a->y, d);
    ev->accept_prob = la >= 0.0 ? 1.0 : exp(la);
    if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
        memcpy(s->w, s->wp, d * sizeof *s->w);
        memcpy(s->g, s->gp, d * sizeof *s->g);
        s->U = Up;
        h2mc_at t = a->cur;
        a->cur = a->prop;
        a->prop = t;
        ev->accepted = true;
    }
    return BL_OK;
}

static const sampler_tunable h2mc_T = {
    .name = "T_scale",
    .min = 0.0,
    .max = 10.0,
    .min_open = true,
    .def = 1.0,
    .store = SAMPLER_TUN_REAL,
    .in_ws = true,
    .offset = offsetof(h2mc_ws, T_scale),
    .help = "h2mc: the time T in quarter periods of the stiffest direction at the point",
};

static const sampler_tunable *const h2mc_tunables[] = {&h2mc_T, NULL};

const sampler_type sampler_type_h2mc = {
    .name = "h2mc",
    .help = "Hessian-Hamiltonian MC (Li 2015): the Gaussian end point of dynamics on the local "
            "quadratic, MH accept",
    .step = h2mc_step,
    .needs_grad = true,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_ACCEPT | SAMPLER_EV_SEGMENTS,
    .tunables = h2mc_tunables,
    .ws_size = sizeof(h2mc_ws),
    .ws_init = h2mc_init,
    .ws_free = h2mc_free,
    .fits = h2mc_fits,
    .describe = sampler_describe_metropolis,
};
