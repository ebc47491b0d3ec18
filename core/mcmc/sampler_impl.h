/* core/mcmc/sampler_impl.h - private to core/mcmc: the chain a kind's step
 * works on, and the helpers every kind shares (sampler_impl.c). Callers use
 * core/mcmc/sampler.h only; kinds include this header and nothing of
 * sampler.c, which reaches them only through their table entries: the
 * dispatcher calls the kinds, the kinds call these helpers, never back.
 *
 * The step contract (docs/samplers.md). Between steps: w holds the state,
 * U = U(w) (NaN after sgld), and for kinds that keep it g = grad U(w); all
 * finite. On entry to a step the dispatcher has cleared the event, set
 * ev->from and ev->proposal to w and ev->U_from to U; the step fills the
 * fields its type declares (sampler_type.events), moves the state only on
 * acceptance, and returns BL_OK: steps allocate nothing and cannot fail (a
 * non-finite target sets ev->nonfinite). After it the dispatcher counts,
 * records U_to and adapts the scale when the type adapts. */
#ifndef BAYESLENS_CORE_SAMPLER_IMPL_H
#define BAYESLENS_CORE_SAMPLER_IMPL_H

#include "core/mcmc/sampler_type.h"

#define SAMPLER_WINDOW 100 /* accept-rate window (docs/math.md §9 "last 100 steps") */

struct sampler {
    const sampler_type *type;
    target *t; /* borrowed */
    size_t d;
    sampler_opts o;
    double *w, *g;        /* state, gradient at the state */
    double U;             /* U(w) */
    double aux;           /* nig gibbs s2 */
    double *wp, *gp;      /* proposal and its gradient */
    double *p;            /* momentum */
    double *z;            /* noise / scratch, d */
    void *ws;             /* the kind's workspace (type->ws_size bytes), owned */
    sampler_event *dummy; /* event with cap 0 used when the caller passes NULL */
    /* counters */
    size_t iter, acc, div, nonfin, ngrad;
    double sum_acc_prob;
    unsigned char win[SAMPLER_WINDOW];
    size_t t_adapt; /* adapted iterations done */
    /* The metric of the leapfrog kinds (Stan's inverse metric M^-1): unit
     * until Stan's warm-up adapts it. minv (d): the diagonal; minv_dense and
     * mchol (d x d, allocated when metric=dense): M^-1 and its Cholesky
     * factor L (momentum p = L^-T z). */
    int metric_in_use; /* SAMPLER_METRIC_*: what the helpers apply */
    double *minv, *minv_dense, *mchol;
    struct sampler_warmup *wu; /* Stan warm-up state (kinds with stan_warmup), owned */
};

/* Stan's warm-up (sampler_adapt.c), driven by the dispatcher. alloc: the
 * state for s (BL_ENOMEM); begin: before the first adapted step (sets mu =
 * log(10 eps), finds a first step by doubling/halving as Stan's
 * init_stepsize, and the windows); end: after every adapted step with its
 * acceptance statistic. begin does nothing once started (until reset).
 * dense_buffers: the d x d arrays metric=dense needs. */
int sampler_warmup_alloc(sampler *s, bl_err *err);
void sampler_warmup_free(sampler *s);
int sampler_metric_dense_buffers(sampler *s, bl_err *err);
void sampler_warmup_begin(sampler *s, gsl_rng *rng);
void sampler_warmup_end(sampler *s, double accept_stat, gsl_rng *rng);
/* Whether s is in Stan's warm-up now (adapt on, iterations left). */
bool sampler_warmup_active(const sampler *s);
/* A fresh warm-up at the next step (adapt set to 1 again). */
void sampler_warmup_reset(sampler *s);

/* The metric helpers (mass I, then bit for bit the unit-mass code, until
 * the metric is adapted): p ~ N(0, M); K(p) = p^T M^-1 p / 2; v = M^-1 p;
 * leapfrog with q += eps M^-1 p (as sampler_leapfrog otherwise). */
void sampler_momentum_draw(const sampler *s, gsl_rng *rng, double *p);
double sampler_kinetic(const sampler *s, const double *p);
void sampler_velocity(const sampler *s, const double *p, double *v);
int sampler_leapfrog_metric(sampler *s, double *q, double *p, double *g, double *U, double eps,
                            size_t L, double *traj, size_t cap, size_t *ntraj);

/* Tunables several kinds read (sampler_impl.c). sampler_tun_step is the
 * scale gradient kinds adapt; the three adaptation tunables are accepted by
 * every kind whose type adapts, without listing them. */
extern const sampler_tunable sampler_tun_step;
extern const sampler_tunable sampler_tun_adapt;
extern const sampler_tunable sampler_tun_warmup;
extern const sampler_tunable sampler_tun_target_accept;
extern const sampler_tunable sampler_tun_delta;
extern const sampler_tunable sampler_tun_metric;

/* The front-end hooks leapfrog kinds share (sampler_type.step_default,
 * step_limit): start at 0.3 sd_min; stable on a Gaussian iff
 * eps < 2/sqrt(lambda_max(P)) = 2 sqrt(var_min) (docs/math.md §9). */
double sampler_leapfrog_step_default(double sd_min, size_t d);
double sampler_leapfrog_step_limit(const sampler_opts *o, double var_min);
extern const char sampler_leapfrog_limit_name[], sampler_leapfrog_limit_effect[];
/* sampler_type.describe of a plain Metropolis decision: "proposal accepted
 * (acceptance prob 0.81)". */
void sampler_describe_metropolis(const sampler_event *ev, char *buf, size_t size);
/* The Metropolis decision on the symmetric proposal s->wp (docs/math.md §9),
 * rwm's and am's: one U; a proposal where U fails is rejected as nonfinite.
 * Draws a uniform only when U rises. */
void sampler_metropolis(sampler *s, gsl_rng *rng, sampler_event *ev);

/* Append point q to the event's trajectory (drops beyond cap, counts all). */
void sampler_event_push(sampler_event *ev, const double *q, int dir, int depth);
/* Append the segment a -> b of SAMPLER_SEG_* kind with its tag (drops
 * beyond seg_cap, counts all in nseg_total). */
void sampler_event_segment(sampler_event *ev, int kind, int tag, const double *a, const double *b);
/* One N(0, 1) draw, the generator every kind uses (ziggurat). */
double sampler_rng_normal(gsl_rng *rng);

/* rwm's proposal sd, also read by am (its start) and pt (the cold replica's). */
extern const sampler_tunable sampler_tun_sigma;

#endif
