/* core/mcmc/sampler_type.h - what a sampler kind is: one const entry of the
 * kind table (as GSL's gsl_rng_type), the options its tunables live in, and
 * the event a step fills for the UI. docs/samplers.md describes the contract.
 *
 * Callers include core/mcmc/sampler.h, which includes this header; a kind
 * (core/mcmc/sampler_<kind>.c) includes core/mcmc/sampler_impl.h, which does
 * too. Neither sees the other: the table in sampler.c lists the kinds, the
 * kinds call only the helpers of sampler_impl.h. */
#ifndef BAYESLENS_CORE_SAMPLER_TYPE_H
#define BAYESLENS_CORE_SAMPLER_TYPE_H

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
/* H error beyond which a trajectory diverged (Stan); a non-finite H error is a
 * divergence too, in every kind that integrates a trajectory. */
#define SAMPLER_DIVERGENCE 1000.0
/* Segments an event can hold (slice brackets, tempering swaps, ...): the
 * first SAMPLER_SEG_MAX of a step are kept, the rest only counted. */
#define SAMPLER_SEG_MAX 16

/* The tunables' values. Each field is described by one sampler_tunable
 * (range, default, help) declared by the kinds that read it; the fields'
 * order is the order `sampler` help lists them in. A new kind keeps its own
 * tunables in its workspace instead (sampler_tunable.in_ws), so adding one
 * needs no field here. */
typedef struct sampler_opts {
    double sigma;         /* rwm proposal sd, > 0 */
    double step;          /* mala h, hmc/nuts eps, sgld fixed h; > 0 */
    size_t leapfrog;      /* hmc L, 1..SAMPLER_MAX_LEAPFROG */
    int max_depth;        /* nuts, 1..SAMPLER_MAX_DEPTH */
    bool adapt;           /* Robbins-Monro warmup of the kind's scale (sampler.h) */
    size_t warmup;        /* iterations adapted when adapt is on */
    double target_accept; /* in (0,1); 0 = the kind's default */
    double delta;         /* Stan warm-up (hmc/nuts): dual-averaging target acceptance, (0,1) */
    int metric;           /* Stan warm-up: SAMPLER_METRIC_UNIT, _DIAG or _DENSE */
    size_t minibatch;     /* sgld b, 0 = full gradient; <= N */
    bool schedule;        /* sgld: decreasing h_t = a (b0 + t)^-gamma instead of step */
    double sched_a;       /* > 0 */
    double sched_b0;      /* > 0 */
    double sched_gamma;   /* in (0.5, 1] (Welling & Teh) */
} sampler_opts;

/* The mass matrix Stan's warm-up adapts (sampler_opts.metric). */
enum { SAMPLER_METRIC_UNIT = 0, SAMPLER_METRIC_DIAG = 1, SAMPLER_METRIC_DENSE = 2 };

/* How a tunable's value is stored. */
typedef enum {
    SAMPLER_TUN_REAL, /* double */
    SAMPLER_TUN_SIZE, /* size_t */
    SAMPLER_TUN_INT,  /* int */
    SAMPLER_TUN_BOOL, /* bool, set as 0 or 1 */
} sampler_tun_store;

/* A tunable: name, valid range, default, meaning, and where its value lives.
 * `sampler` help, Tab completion and sampler_set read the same entry. */
typedef struct sampler_tunable {
    const char *name;
    double min, max; /* valid range */
    bool min_open;   /* min excluded (step > 0) */
    bool integer;    /* value must be a whole number */
    bool le_npoints; /* also at most the target's data points, when it has any */
    double def;      /* default */
    sampler_tun_store store;
    bool in_ws;       /* in the kind's workspace (set after alloc), not in sampler_opts */
    size_t offset;    /* offsetof(sampler_opts, field), or into the workspace when in_ws */
    const char *help; /* one line for `sampler` help */
    /* Names of the values 0, 1, ... of an integer tunable (NULL-ended), which
     * the command takes as words (metric=dense); NULL: a number. */
    const char *const *choices;
    /* The boolean tunable that must be on for this one to be read (warmup
     * and target_accept: adapt; sgld's a, b0, gamma: schedule); NULL:
     * always read. `show sampler` leaves out the tunables not read. */
    const struct sampler_tunable *only_with;
} sampler_tunable;

/* What one transition did: the record the UI draws. Allocated with
 * sampler_event_alloc; every array is owned by the event. Fields that do not
 * apply to a kind are 0 / false (arrays untouched); a kind says which it
 * fills in sampler_type.events (SAMPLER_EV_*). */
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
    bool divergent;            /* hmc/nuts: H error > SAMPLER_DIVERGENCE or not finite */
    bool nonfinite;            /* the target returned NaN/inf: step rejected (nuts: the subtree
                                  holding it is discarded like a divergence; the point drawn
                                  from the rest of the tree stands) */
    double energy_error;       /* hmc/nuts: H(proposal) - H0 (inf if non-finite) */
    double energy;             /* hmc/nuts: H = U + kinetic of the state after the step (Stan's
                                  energy__, for E-BFMI); NaN for kinds without one */
    double U_from, U_to;       /* U before and after the step (NaN for sgld: not computed) */
    int tree_depth;            /* nuts: doublings done */
    double weight;             /* sgld: h_t; 1 otherwise */
    double aux;                /* gibbs/exact on nig: the noise variance s2; NaN otherwise */
    size_t n_grad;             /* gradient evaluations in this step */
    /* Segments (SAMPLER_EV_SEGMENTS): seg_cap x 2 x d row-major, segment i
     * from seg[2 i d] to seg[(2 i + 1) d]; seg_kind[i] says what it is
     * (SAMPLER_SEG_*), seg_tag[i] a kind-specific index (the replica of a
     * tempering ladder). seg_cap is SAMPLER_SEG_MAX when the event has a
     * trajectory capacity, else 0. */
    double *seg;
    unsigned char *seg_kind;
    int *seg_tag;
    size_t seg_cap, nseg, nseg_total;
} sampler_event;

/* What a segment of an event is (the UI draws each its own way). */
enum {
    SAMPLER_SEG_BRACKET = 1, /* slice: the interval after stepping out */
    SAMPLER_SEG_SHRUNK,      /* slice: the interval the new point was drawn from */
    SAMPLER_SEG_ELLIPSE,     /* elliptical slice: from = w, to = nu; the ellipse is
                                w cos t + nu sin t (the prior mean is 0) */
    SAMPLER_SEG_REJECT,      /* a rejected candidate (from = to = the point) */
    SAMPLER_SEG_DIFF,        /* de-mcmc-z: the archive pair z_a -> z_b whose difference moves */
    SAMPLER_SEG_AXIS,        /* am: a proposal axis, w - L e_j to w + L e_j */
    SAMPLER_SEG_REPLICA,     /* pt: replica seg_tag's state (from = to), 0 is the cold one */
    SAMPLER_SEG_SWAP,        /* pt: replicas seg_tag and seg_tag + 1 exchanged their states */
    SAMPLER_SEG_SNOOKER,     /* demcz snooker: archive point z (from) -> w (to); the proposal
                                lies on the line through them */
};

/* The event fields a kind fills beyond from, U_from/U_to, accepted, nonfinite
 * and n_grad (which every step sets). The UI draws what a kind declares. */
enum {
    SAMPLER_EV_PROPOSAL = 1u << 0,   /* proposal differs from the new state when rejected */
    SAMPLER_EV_TRAJECTORY = 1u << 1, /* traj: the path from the state to the proposal */
    SAMPLER_EV_TREE = 1u << 2,       /* traj_dir/traj_depth and tree_depth: a doubling tree */
    SAMPLER_EV_MOMENTUM = 1u << 3,   /* momentum p0 */
    SAMPLER_EV_ACCEPT = 1u << 4,     /* accept_prob of a Metropolis decision */
    SAMPLER_EV_ENERGY = 1u << 5,     /* energy_error and divergent */
    SAMPLER_EV_WEIGHT = 1u << 6,     /* weight != 1 (the draw's importance) */
    SAMPLER_EV_AUX = 1u << 7,        /* aux: an auxiliary variable (nig's s2) */
    SAMPLER_EV_SEGMENTS = 1u << 8,   /* seg, seg_kind, seg_tag, nseg (SAMPLER_SEG_*) */
    SAMPLER_EV_PARTICLES = 1u << 9,  /* the chains move together: every chain's
                                        from -> new state is one particle's move */
    SAMPLER_EV_HAMILTON = 1u << 10,  /* energy: the new state's Hamiltonian, the momentum
                                        redrawn each transition (E-BFMI applies) */
};

typedef struct sampler sampler; /* one chain: opaque to callers, core/mcmc/sampler_impl.h */

/* A sampler kind. Every entry is const and lives at the bottom of its
 * sampler_<kind>.c; the table (sampler_types() in sampler.c) lists them.
 * No code outside a kind's file asks which kind it is: it reads these fields. */
typedef struct sampler_type {
    const char *name; /* the word `sampler NAME` takes */
    const char *help; /* one line: what a transition does */
    /* ONE transition of chain s (the contract of core/mcmc/sampler_impl.h):
     * fill ev, move the state only on acceptance. Returns BL_OK; a non-finite
     * target sets ev->nonfinite, it is not an error. */
    int (*step)(sampler *s, gsl_rng *rng, sampler_event *ev);
    /* Kinds whose K chains move together (particles, tempering ladders): one
     * call steps every chain of an ensemble, chains[k] with rngs[k] filling
     * evs[k]. NULL: the chains are independent and `step` runs each. */
    int (*step_all)(sampler *const *chains, size_t K, gsl_rng *const *rngs,
                    sampler_event *const *evs);
    bool needs_grad; /* the step uses grad U: it must be finite at the start, and
                        g = grad U(w) is loaded with every new state */
    /* Robbins-Monro warmup (sampler.h) of the tunable `scale`, towards
     * accept_target (accept_target_d1 when d = 1, if not 0). A kind that
     * adapts accepts adapt, warmup and target_accept besides its tunables. */
    bool adapts;
    /* adapt=1 runs Stan's warm-up instead (sampler_adapt.c): dual averaging
     * of `step` towards delta and a windowed metric; the kind reads its
     * momentum, kinetic energy and leapfrog through the sampler_impl.h
     * metric helpers. Accepts adapt, warmup, delta and metric. */
    bool stan_warmup;
    const sampler_tunable *scale;
    double accept_target, accept_target_d1;
    unsigned events;                        /* SAMPLER_EV_* fields the step fills */
    const sampler_tunable *const *tunables; /* its tunables (opts or workspace); NULL-ended */
    /* Workspace: ws_size bytes, zeroed, owned by the chain (s->ws); ws_init
     * (may be NULL) fills it once the chain's target and options are set
     * (BL_ENOMEM, or BL_ENUM if a factorization fails); ws_free (may be
     * NULL) frees what ws_init allocated inside, never the block itself. */
    size_t ws_size;
    int (*ws_init)(sampler *s, bl_err *err);
    void (*ws_free)(void *ws);
    /* BL_EINVAL naming the culprit when the kind cannot sample t with o
     * (exact needs exact draws, gibbs conditionals); NULL: any target. */
    int (*fits)(const target *t, const sampler_opts *o, bl_err *err);

    /* What the front end says and defaults to, so that it never asks which
     * kind it holds (docs/samplers.md, "What a kind tells the front end"). */
    /* When fits refuses: what the kind needs, in a user's words ("conditionals
     * to sample: the nig posterior (model nig)"), and the kinds to use on a
     * teaching density instead. NULL: fits' own message. */
    const char *fits_needs, *fits_instead;
    /* The step to start from on a target whose smallest standard deviation
     * is sd_min, in d dimensions. NULL: the default of `step` stays. */
    double (*step_default)(double sd_min, size_t d);
    /* The largest stable step with options o on a Gaussian target whose
     * covariance has smallest eigenvalue var_min (docs/math.md §9); NaN when o's
     * step is not the one used (sgld's schedule). step_limit_name names the
     * bound and step_limit_effect says what a larger step does, for the
     * warning. NULL: no bound known. */
    double (*step_limit)(const sampler_opts *o, double var_min);
    const char *step_limit_name;   /* "the leapfrog stability limit 2 sqrt(lambda_min(cov))" */
    const char *step_limit_effect; /* "expect divergences" */
    /* One phrase on what the step ev did, for `step` ("proposal accepted
     * (acceptance prob 0.81)"). A kind with SAMPLER_EV_ACCEPT is called only
     * for a finite, non-divergent step: the caller words those itself.
     * NULL: "a <name> step". */
    void (*describe)(const sampler_event *ev, char *buf, size_t size);
    /* A biased kind whose stationary law on a Gaussian target of precision
     * P (d x d) is known in closed form: its covariance into S (ULA at a
     * fixed step, docs/math.md §9). BL_EINVAL when o leaves it unknown (a
     * schedule, a minibatch, an unstable step). NULL: none known. */
    int (*stationary_cov)(const sampler_opts *o, size_t d, const double *P, double *S, bl_err *err);
} sampler_type;

/* The built-in kinds, for callers that name one in C (the command finds them
 * by name in the table). */
extern const sampler_type sampler_type_exact;
extern const sampler_type sampler_type_rwm;
extern const sampler_type sampler_type_mala;
extern const sampler_type sampler_type_hmc;
extern const sampler_type sampler_type_nuts;
extern const sampler_type sampler_type_sgld;
extern const sampler_type sampler_type_gibbs;
extern const sampler_type sampler_type_am;
extern const sampler_type sampler_type_slice;
extern const sampler_type sampler_type_ess;
extern const sampler_type sampler_type_demcz;
extern const sampler_type sampler_type_svgd;
extern const sampler_type sampler_type_mclmc;
extern const sampler_type sampler_type_pt;
extern const sampler_type sampler_type_h2mc;

/* Events: capacity cap points (1..SAMPLER_TRAJ_MAX; use SAMPLER_TRAJ_MAX to
 * never truncate), and SAMPLER_SEG_MAX segments when cap > 0. BL_EINVAL,
 * BL_ENOMEM. Memory: (3 + cap + 2 SAMPLER_SEG_MAX) d doubles. */
sampler_event *sampler_event_alloc(size_t d, size_t cap, bl_err *err);
void sampler_event_free(sampler_event *ev); /* NULL is a no-op */

/* Leapfrog, exactly docs/math.md §9 (mass I): p -= (eps/2) g; L times { q += eps p;
 * g = grad U(q); p -= eps g (eps/2 the last time) }. On entry g = grad U(q);
 * on exit q, p, g, *U are those of the end point. traj (may be NULL) receives
 * up to cap points q_0..q_L, *ntraj the number stored. BL_ENUM if U or the
 * gradient became non-finite (q, p, g then hold the failing point). Used by
 * hmc; exposed for tests and for drawing trajectories without a chain. */
int sampler_leapfrog(target *t, double *q, double *p, double *g, double *U, double eps, size_t L,
                     double *traj, size_t cap, size_t *ntraj, bl_err *err);
/* MALA log acceptance ratio for a move w -> wp at step h (docs/math.md §9):
 * U(w) - U(wp) + log q(w|wp) - log q(wp|w). BL_ENUM if non-finite. */
int sampler_mala_log_alpha(target *t, const double *w, const double *wp, double h,
                           double *log_alpha, bl_err *err);
/* Stationary covariance of ULA/SGLD at constant step h on a Gaussian target of
 * precision P (d x d) with gradient-noise covariance V (d x d, NULL = 0):
 * the solution of S = G S G^T + h I + (h^2/4) V, G = I - (h/2)P (docs/math.md §9),
 * in closed form in the eigenbasis of P:
 * S' _ij = (h delta_ij + (h^2/4) V'_ij) / (1 - g_i g_j), g_i = 1 - h lambda_i/2.
 * BL_EINVAL unless 0 < h < 4/lambda_max (the chain is unstable otherwise);
 * BL_ENUM, BL_ENOMEM. O(d^3). */
int sampler_ula_cov(size_t d, const double *P, double h, const double *V, double *S, bl_err *err);

#endif
