/* core/sampler.h - posterior samplers you can step through (MATH.md 9).
 *
 * A sampler is a Markov chain on the target of core/target.h. One interface
 * for every kind:
 *   INITIALIZE  sampler_alloc(kind, target, opts, init, err)
 *   ITERATE     sampler_step(s, rng, ev, err): ONE transition; when ev is not
 *               NULL it is filled with what the step did, for the UI to draw
 *               (after chi-feng/mcmc-demo: proposal, trajectory, accept/reject
 *               are visual events);
 *               sampler_run(s, n, rng, draws, weights, cancel, err): n steps,
 *               no events, draws recorded, cancel polled every step;
 *   TEST        sampler_get_stats, the diagnostics of core/diag.h.
 * Kinds (kernels in sampler_<kind>.c):
 *   exact  iid draws from the target (target_draw: Gaussian posteriors via
 *          their Cholesky factor, NIG, four teaching densities);
 *   rwm    w' = w + sigma z, Metropolis accept;
 *   mala   w' = w - (h/2) grad U(w) + sqrt(h) z, Metropolis-Hastings accept;
 *   hmc    leapfrog exactly as MATH.md 9, mass I, L steps of size eps;
 *          divergence when H_L - H0 > 1000;
 *   nuts   efficient NUTS, multinomial variant: trajectory doubled in a
 *          random direction up to max_depth (<= 10) times; inside each new
 *          subtree the point is drawn with weights exp(-H) (uniform
 *          progressive sampling), the new subtree's point replaces the current
 *          one with probability min(1, W_new/W_old) (biased progressive
 *          sampling, Betancourt 2017 A.3.2); the no-U-turn test is Hoffman &
 *          Gelman's end-point criterion (q+ - q-).p- >= 0 and (q+ - q-).p+ >= 0
 *          applied to every subtree and to the whole tree; a leaf with
 *          H - H0 > 1000 is a divergence and ends the step (the diverging
 *          subtree is discarded). Fixed step eps (no dual averaging; the
 *          optional Robbins-Monro warmup below adapts eps towards 0.8);
 *   sgld   w' = w - (h_t/2) g + sqrt(h_t) z, g = alpha w + (N/b) sum_B grad U_i
 *          with B drawn uniformly WITH replacement (unbiased); the full
 *          gradient when minibatch = 0 or the target has no data points
 *          (then it is ULA). h_t = a (b0 + t)^-gamma (schedule on, t = steps
 *          done) or the fixed step; no accept step. Each draw has weight h_t
 *          (event weight, sampler_run weights): with a decreasing schedule use
 *          weighted averages (MATH.md 9);
 *   gibbs  NIG target: s2 | w, then w | s2 (MATH.md 2.4); student_t target:
 *          lambda | w, then w | lambda (scale-mixture augmentation, MATH.md 9).
 *          O(d^2) resp. O(n d^2 + d^3) per sweep.
 * Adaptation (adapt = 1, rwm/mala/hmc/nuts): during the first `warmup`
 * iterations, Robbins-Monro on the log of the scale (sigma or step):
 * log s += (a_t - target_accept) (t + 1)^-0.6 with a_t the step's acceptance
 * probability; frozen afterwards. Default targets: rwm 0.234 (0.44 when d = 1),
 * mala 0.574, hmc 0.65, nuts 0.8. Draws made during warmup are not from the
 * target: discard them.
 * Failure of the target (NaN or inf in U or its gradient, at the proposal or
 * anywhere in a trajectory) rejects the step, is counted in nonfinite and
 * flagged in the event; the chain stays where it was and carries on.
 * Randomness comes only from the gsl_rng passed in: same seed, same chain.
 * A sampler borrows its target (which must outlive it) and uses the target's
 * scratch: do not step two samplers of one target concurrently. */
#ifndef BAYESLENS_CORE_SAMPLER_H
#define BAYESLENS_CORE_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "core/base/err.h"
#include "core/mcmc/target.h"

#define SAMPLER_MAX_LEAPFROG 1024 /* HMC L */
#define SAMPLER_MAX_DEPTH    10   /* NUTS tree depth: at most 2^10 - 1 leapfrog steps */
/* Trajectory points a step can produce: HMC q_0..q_L (L + 1 <= 1025), NUTS the
 * start plus 2^max_depth - 1 leaves (<= 1024). */
#define SAMPLER_TRAJ_MAX   1025
#define SAMPLER_DIVERGENCE 1000.0 /* H error beyond which a trajectory diverged (Stan) */

typedef enum {
    SAMPLER_EXACT = 0,
    SAMPLER_RWM,
    SAMPLER_MALA,
    SAMPLER_HMC,
    SAMPLER_NUTS,
    SAMPLER_SGLD,
    SAMPLER_GIBBS,
    SAMPLER_NKINDS
} sampler_kind;

typedef struct sampler_opts {
    double sigma;         /* rwm proposal sd, > 0 */
    double step;          /* mala h, hmc/nuts eps, sgld fixed h; > 0 */
    size_t leapfrog;      /* hmc L, 1..SAMPLER_MAX_LEAPFROG */
    int max_depth;        /* nuts, 1..SAMPLER_MAX_DEPTH */
    bool adapt;           /* Robbins-Monro warmup of sigma/step (see above) */
    size_t warmup;        /* iterations adapted when adapt is on */
    double target_accept; /* in (0,1); 0 = the kind's default */
    size_t minibatch;     /* sgld b, 0 = full gradient; <= N */
    bool schedule;        /* sgld: decreasing h_t = a (b0 + t)^-gamma instead of step */
    double sched_a;       /* > 0 */
    double sched_b0;      /* > 0 */
    double sched_gamma;   /* in (0.5, 1] (Welling & Teh) */
} sampler_opts;

/* What one transition did: the record the UI draws. Allocated with
 * sampler_event_alloc; every array is owned by the event. Fields that do not
 * apply to a kind are 0 / false (arrays untouched). */
typedef struct sampler_event {
    size_t d;                  /* dimension of every point */
    size_t cap;                /* trajectory capacity in points */
    double *from;              /* d: the state before the step */
    double *proposal;          /* d: rwm/mala: the proposed point; hmc: q_L; nuts: the point
                                  drawn from the tree; sgld/gibbs/exact: the new state */
    double *momentum;          /* d: hmc/nuts initial momentum p0 (draw as an arrow) */
    double *traj;              /* cap x d row-major: hmc q_0..q_L; nuts q_0 then the leaves in
                                  the order computed; rwm/mala: from, proposal */
    signed char *traj_dir;     /* cap: nuts -1 (backward) / +1 (forward) / 0 (start);
                                  others +1, 0 for the first point */
    unsigned char *traj_depth; /* cap: nuts doubling (0-based) that added the point */
    size_t ntraj;              /* points stored, <= cap */
    size_t ntraj_total;        /* points computed (> ntraj when the capacity truncated) */
    double accept_prob;        /* min(1, exp(log alpha)); nuts: mean of min(1, exp(H0 - H))
                                  over the leaves (Stan's accept_stat); 1 for exact, gibbs,
                                  sgld; 0 when non-finite */
    bool accepted;             /* the chain moved to proposal (nuts: to a point != start) */
    bool divergent;            /* hmc/nuts: H error > SAMPLER_DIVERGENCE */
    bool nonfinite;            /* the target returned NaN/inf: step rejected (nuts: the subtree
                                  holding it is discarded like a divergence; the point drawn
                                  from the rest of the tree stands) */
    double energy_error;       /* hmc/nuts: H(proposal) - H0 (inf if non-finite) */
    double U_from, U_to;       /* U before and after the step (NaN for sgld: not computed) */
    int tree_depth;            /* nuts: doublings done */
    double weight;             /* sgld: h_t; 1 otherwise */
    double aux;                /* gibbs/exact on nig: the noise variance s2; NaN otherwise */
    size_t n_grad;             /* gradient evaluations in this step */
} sampler_event;

/* Counters since alloc. */
typedef struct sampler_stats {
    size_t iterations;       /* transitions done */
    size_t accepted;         /* steps that moved (always for exact, gibbs, sgld) */
    size_t divergent;        /* hmc/nuts divergences */
    size_t nonfinite;        /* steps rejected because the target gave NaN/inf */
    size_t grad_evals;       /* gradient (or U) evaluations */
    double accept_rate;      /* accepted / iterations (0 before the first step) */
    double accept_window;    /* acceptance over the last min(100, iterations) steps */
    double mean_accept_prob; /* mean of the events' accept_prob */
} sampler_stats;

/* A tunable: name, valid range, meaning (the `set` command's table). */
typedef struct sampler_param {
    const char *name;
    double min, max; /* valid range */
    bool min_open;   /* min excluded (step > 0) */
    bool integer;    /* value must be a whole number */
    unsigned kinds;  /* bit (1u << kind) set for the kinds it applies to */
    const char *help;
} sampler_param;

typedef struct sampler sampler;

/* Kind names "exact", "rwm", "mala", "hmc", "nuts", "sgld", "gibbs"; "?" if out of range. */
const char *sampler_kind_name(sampler_kind kind);
/* Kind from a name (exact match); -1 if unknown. */
int sampler_kind_from_name(const char *name);

/* Defaults: sigma 1, step 0.1 (sgld too), leapfrog 20, max_depth 10,
 * adapt off, warmup 500, target_accept 0 (kind default), minibatch 0,
 * schedule off, a 0.01, b0 1, gamma 0.55. */
void sampler_opts_default(sampler_opts *o);
/* BL_EINVAL naming the first field out of range ("step=0: must be > 0"). */
int sampler_opts_check(const sampler_opts *o, bl_err *err);
/* The tunables, terminated by an entry with name NULL. Static storage. */
const sampler_param *sampler_params(void);

/* New chain of `kind` on t (borrowed, must outlive s), options o (NULL:
 * defaults), starting at init (d values; NULL: the origin). BL_EINVAL when the
 * options are out of range, the kind does not fit the target (exact needs
 * target_can_draw; gibbs a nig or student_t target; sgld minibatch <= N), or
 * U (or its gradient, for gradient kinds) is not finite at init; BL_ENUM if
 * gibbs setup fails; BL_ENOMEM. Cost: one evaluation of U; gibbs on nig
 * O(d^3) once. */
sampler *sampler_alloc(sampler_kind kind, target *t, const sampler_opts *o, const double *init,
                       bl_err *err);
void sampler_free(sampler *s); /* NULL is a no-op */

/* One transition (see the file comment). ev (may be NULL) must have ev->d
 * equal to the target's dimension; its trajectory is truncated at ev->cap.
 * Returns BL_OK, also when the step was rejected for non-finite values
 * (counted, flagged in ev); BL_EINVAL only if ev's dimension does not match
 * (s unchanged). Cost per step: rwm one U; mala one U+grad; hmc L; nuts up to
 * 2^max_depth - 1; sgld one (minibatch) gradient; gibbs one sweep; exact
 * O(d^2). */
int sampler_step(sampler *s, gsl_rng *rng, sampler_event *ev, bl_err *err);
/* n transitions. draws (n x d, may be NULL) receives the state after each;
 * weights (n, may be NULL) the event weights (sgld h_t, else 1). Polls cancel
 * before every step: BL_ECANCEL after k < n steps (rows >= k untouched). */
int sampler_run(sampler *s, size_t n, gsl_rng *rng, double *draws, double *weights,
                const bl_cancel *cancel, bl_err *err);

/* Current state (d values), borrowed until the next step or set_state. */
const double *sampler_state(const sampler *s);
/* U at the current state (NaN after an sgld step: not computed). */
double sampler_energy(const sampler *s);
/* Auxiliary state: nig gibbs s2 (NaN for other kinds). */
double sampler_aux(const sampler *s);
size_t sampler_dim(const sampler *s);
/* Move the chain to w (counts kept). BL_EINVAL if w is not finite or U (or
 * the gradient, for gradient kinds) is not finite there; s unchanged then. */
int sampler_set_state(sampler *s, const double *w, bl_err *err);
void sampler_get_stats(const sampler *s, sampler_stats *st);
/* Current options (adapted sigma/step included), borrowed. */
const sampler_opts *sampler_options(const sampler *s);
/* Set a tunable by name (table of sampler_params). BL_EINVAL with the range
 * ("leapfrog=0: must be in 1..1024", "unknown parameter 'foo' (choose ...)");
 * s unchanged then. A tunable that does not apply to the kind is accepted and
 * stored (switching kinds keeps it). */
int sampler_set(sampler *s, const char *name, double value, bl_err *err);
/* Get a tunable by name into *value; BL_EINVAL if unknown. */
int sampler_get(const sampler *s, const char *name, double *value, bl_err *err);

/* Events: capacity cap points (1..SAMPLER_TRAJ_MAX; use SAMPLER_TRAJ_MAX to
 * never truncate). BL_EINVAL, BL_ENOMEM. Memory: (3 + cap) d doubles. */
sampler_event *sampler_event_alloc(size_t d, size_t cap, bl_err *err);
void sampler_event_free(sampler_event *ev); /* NULL is a no-op */

/* Leapfrog, exactly MATH.md 9 (mass I): p -= (eps/2) g; L times { q += eps p;
 * g = grad U(q); p -= eps g (eps/2 the last time) }. On entry g = grad U(q);
 * on exit q, p, g, *U are those of the end point. traj (may be NULL) receives
 * up to cap points q_0..q_L, *ntraj the number stored. BL_ENUM if U or the
 * gradient became non-finite (q, p, g then hold the failing point). Used by
 * hmc; exposed for tests and for drawing trajectories without a chain. */
int sampler_leapfrog(target *t, double *q, double *p, double *g, double *U, double eps, size_t L,
                     double *traj, size_t cap, size_t *ntraj, bl_err *err);
/* MALA log acceptance ratio for a move w -> wp at step h (MATH.md 9):
 * U(w) - U(wp) + log q(w|wp) - log q(wp|w). BL_ENUM if non-finite. */
int sampler_mala_log_alpha(target *t, const double *w, const double *wp, double h,
                           double *log_alpha, bl_err *err);
/* Stationary covariance of ULA/SGLD at constant step h on a Gaussian target of
 * precision P (d x d) with gradient-noise covariance V (d x d, NULL = 0):
 * the solution of S = G S G^T + h I + (h^2/4) V, G = I - (h/2)P (MATH.md 9),
 * in closed form in the eigenbasis of P:
 * S' _ij = (h delta_ij + (h^2/4) V'_ij) / (1 - g_i g_j), g_i = 1 - h lambda_i/2.
 * BL_EINVAL unless 0 < h < 4/lambda_max (the chain is unstable otherwise);
 * BL_ENUM, BL_ENOMEM. O(d^3). */
int sampler_ula_cov(size_t d, const double *P, double h, const double *V, double *S, bl_err *err);

/* Ensembles: K chains of one kind on one target, stepping together (for
 * split R-hat, multi-chain ESS and SGLD ensembles). Each chain owns a gsl_rng
 * (mt19937) seeded from gsl_rng_get(rng) in chain order, and starts at
 * init + spread z_k (z_k ~ N(0, I) from rng; init NULL = origin; spread >= 0),
 * so one seed reproduces the whole ensemble. */
typedef struct sampler_ens sampler_ens;
sampler_ens *sampler_ens_alloc(sampler_kind kind, target *t, const sampler_opts *o, size_t K,
                               const double *init, double spread, gsl_rng *rng, bl_err *err);
void sampler_ens_free(sampler_ens *e); /* NULL is a no-op */
size_t sampler_ens_size(const sampler_ens *e);
/* Chain k (< K), borrowed; NULL if out of range. */
sampler *sampler_ens_chain(sampler_ens *e, size_t k);
/* One step of every chain; evs (may be NULL) is an array of K events (entries may be NULL). */
int sampler_ens_step(sampler_ens *e, sampler_event *const *evs, bl_err *err);
/* n steps of every chain (chain 0 first, n steps, then chain 1, ...: the
 * result does not depend on the order since each chain owns its rng).
 * draws (K x n x d, chain-major, may be NULL), weights (K x n, may be NULL).
 * Polls cancel every step: BL_ECANCEL. */
int sampler_ens_run(sampler_ens *e, size_t n, double *draws, double *weights,
                    const bl_cancel *cancel, bl_err *err);
/* sampler_set on every chain (all or nothing). */
int sampler_ens_set(sampler_ens *e, const char *name, double value, bl_err *err);

#endif
