/* core/sampler_impl.h - private to core/sampler*.c: the sampler object and the
 * per-kind kernels. Callers use core/sampler.h only.
 *
 * Invariants between steps: w holds the state, U = U(w) (NaN after sgld),
 * g = grad U(w) when has_grad (gradient kinds), all finite. A kernel fills
 * the event fields that apply to it (sampler_step has already cleared the
 * event and copied `from`), moves the state only on acceptance and returns
 * BL_OK (kernels allocate nothing and cannot fail); a non-finite target sets
 * ev->nonfinite. */
#ifndef BAYESLENS_CORE_SAMPLER_IMPL_H
#define BAYESLENS_CORE_SAMPLER_IMPL_H

#include "core/mcmc/sampler.h"

#define SAMPLER_WINDOW 100 /* accept-rate window (MATH.md 9 "last 100 steps") */

/* NUTS workspace, one level per tree depth: the subtree's inner edge (q, p)
 * and its drawn point (q, grad, U) with the log sum of its weights. */
typedef struct nuts_level {
    double *q_in, *p_in;
    double *q_s, *g_s;
    double U_s;
    double dH_s; /* H - H0 of the drawn point */
    double lsw;
} nuts_level;

typedef struct nuts_ws {
    nuts_level lv[SAMPLER_MAX_DEPTH + 1];
    double *qm, *pm, *gm; /* minus end of the tree */
    double *qp, *pp, *gp; /* plus end */
    double Um, Up;
    double *qc, *pc, *gc; /* the end being extended */
    double Uc;
    double H0;
    bool stop, divergent, nonfinite;
    double acc_sum; /* sum over leaves of min(1, exp(H0 - H)) */
    size_t nleaf;
} nuts_ws;

/* Gibbs workspace. nig: chol of V_n^-1 and m_n; student_t: lambda, scaled rows. */
typedef struct gibbs_ws {
    double *L;      /* d x d */
    double *mn;     /* d */
    double *A;      /* d x d (student_t precision) */
    double *lambda; /* n */
    double *Xs;     /* n x d (student_t: sqrt(lambda_i)/sigma x_i) */
    double *b;      /* d */
} gibbs_ws;

struct sampler {
    sampler_kind kind;
    target *t; /* borrowed */
    size_t d;
    sampler_opts o;
    double *w, *g;   /* state, gradient at the state */
    double U;        /* U(w) */
    double aux;      /* nig gibbs s2 */
    bool has_grad;   /* g is maintained (mala, hmc, nuts, sgld) */
    double *wp, *gp; /* proposal and its gradient */
    double *p;       /* momentum */
    double *z;       /* noise / scratch, d */
    size_t *idx;     /* sgld minibatch indices */
    nuts_ws *nuts;
    gibbs_ws *gibbs;
    sampler_event *dummy; /* event with cap 0 used when the caller passes NULL */
    /* counters */
    size_t iter, acc, div, nonfin, ngrad;
    double sum_acc_prob;
    unsigned char win[SAMPLER_WINDOW];
    size_t t_adapt; /* adapted iterations done */
};

/* Append point q to the event's trajectory (drops beyond cap, counts all). */
void sampler_event_push(sampler_event *ev, const double *q, int dir, int depth);

int sampler_rwm_step(sampler *s, gsl_rng *rng, sampler_event *ev);
int sampler_mala_step(sampler *s, gsl_rng *rng, sampler_event *ev);
int sampler_hmc_step(sampler *s, gsl_rng *rng, sampler_event *ev);
int sampler_nuts_step(sampler *s, gsl_rng *rng, sampler_event *ev);
int sampler_sgld_step(sampler *s, gsl_rng *rng, sampler_event *ev);
int sampler_gibbs_step(sampler *s, gsl_rng *rng, sampler_event *ev);

/* Workspaces of nuts and gibbs (NULL-safe frees). */
nuts_ws *sampler_nuts_ws_alloc(size_t d);
void sampler_nuts_ws_free(nuts_ws *ws);
int sampler_gibbs_init(sampler *s, bl_err *err);
void sampler_gibbs_ws_free(gibbs_ws *ws);

#endif
