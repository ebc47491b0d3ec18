/* core/mcmc/sampler.h - posterior samplers you can step through (docs/math.md §9).
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
 * Kinds: one const entry each in the table sampler_types() (sampler.c), the
 * entry and its step in sampler_<kind>.c (docs/samplers.md):
 *   exact  iid draws from the target (target_draw: Gaussian posteriors via
 *          their Cholesky factor, NIG, four teaching densities);
 *   rwm    w' = w + sigma z, Metropolis accept;
 *   mala   w' = w - (h/2) grad U(w) + sqrt(h) z, Metropolis-Hastings accept;
 *   hmc    leapfrog exactly as docs/math.md §9, mass I (or the metric the
 *          warm-up adapted), L steps of size eps;
 *          divergence when H_L - H0 > 1000 or not finite;
 *   nuts   efficient NUTS, multinomial variant: trajectory doubled in a
 *          random direction up to max_depth (<= 10) times; inside each new
 *          subtree the point is drawn with weights exp(-H) (uniform
 *          progressive sampling), the new subtree's point replaces the current
 *          one with probability min(1, W_new/W_old) (biased progressive
 *          sampling, Betancourt 2017 A.3.2); the no-U-turn test is Hoffman &
 *          Gelman's end-point criterion (q+ - q-).p- >= 0 and (q+ - q-).p+ >= 0
 *          applied to every subtree and to the whole tree; a leaf with
 *          H - H0 > 1000 (or not finite) is a divergence and ends the step (the diverging
 *          subtree is discarded). Step eps fixed, or adapted by Stan's
 *          warm-up below; with a metric, U-turns are tested on M^-1 p;
 *   sgld   w' = w - (h_t/2) g + sqrt(h_t) z, g = alpha w + (N/b) sum_B grad U_i
 *          with B drawn uniformly WITH replacement (unbiased); the full
 *          gradient when minibatch = 0 or the target has no data points
 *          (then it is ULA). h_t = a (b0 + t)^-gamma (schedule on, t = steps
 *          done) or the fixed step; no accept step. Each draw has weight h_t
 *          (event weight, sampler_run weights): with a decreasing schedule use
 *          weighted averages (docs/math.md §9);
 *   gibbs  NIG target: s2 | w, then w | s2 (docs/math.md §2.4); student_t target:
 *          lambda | w, then w | lambda (scale-mixture augmentation, docs/math.md §9).
 *          O(d^2) resp. O(n d^2 + d^3) per sweep.
 * Adaptation (adapt = 1, the kinds whose type adapts: rwm/mala/hmc/nuts):
 * during the first `warmup` iterations. rwm/mala: Robbins-Monro on the log
 * of the type's scale tunable (sigma or step):
 * log s += (a_t - target_accept) (t + 1)^-0.6 with a_t the step's acceptance
 * probability; frozen afterwards. Default targets: rwm 0.234 (0.44 when
 * d = 1), mala 0.574. hmc/nuts (sampler_type.stan_warmup): Stan's warm-up
 * (core/mcmc/sampler_adapt.c): dual averaging of the step towards delta
 * (default 0.8) and a diagonal (metric=diag, default) or dense inverse
 * metric from windowed variance estimates; metric=unit adapts the step
 * only. Draws made during warmup are not from the target: discard them.
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
#include "core/mcmc/sampler_type.h"
#include "core/mcmc/target.h"

/* A kind is a pointer to its const table entry (sampler_type.h). */
typedef const sampler_type *sampler_kind;

/* Counters since alloc. */
typedef struct sampler_stats {
    size_t iterations;       /* transitions done */
    size_t accepted;         /* steps that moved (always for exact, gibbs, sgld) */
    size_t divergent;        /* hmc/nuts: H error > SAMPLER_DIVERGENCE or not finite */
    size_t nonfinite;        /* steps rejected because the target gave NaN/inf */
    size_t grad_evals;       /* gradient (or U) evaluations */
    double accept_rate;      /* accepted / iterations (0 before the first step) */
    double accept_window;    /* acceptance over the last min(100, iterations) steps */
    double mean_accept_prob; /* mean of the events' accept_prob */
} sampler_stats;

/* The table: every kind, NULL-terminated, in the order `sampler` lists
 * them. Static storage. */
const sampler_type *const *sampler_types(void);
/* Kind from a name (exact match); NULL if unknown. */
sampler_kind sampler_type_find(const char *name);
/* The kind's name; "?" for NULL. */
const char *sampler_kind_name(sampler_kind kind);
/* The tunables of every kind, each once: those kept in sampler_opts in the
 * order of their fields, then those kept in a kind's workspace in table
 * order (the first of each name). The i-th, NULL past the last. Static
 * storage. */
const sampler_tunable *sampler_tunable_at(size_t i);
/* A tunable by name; NULL if no kind has it. */
const sampler_tunable *sampler_tunable_find(const char *name);
/* Whether the kind reads tu: it lists it, or tu is one of adapt, warmup,
 * target_accept and the kind adapts. */
bool sampler_type_accepts(sampler_kind kind, const sampler_tunable *tu);

/* Defaults: sigma 1, step 0.1 (sgld too), leapfrog 20, max_depth 10,
 * adapt off, warmup 500, target_accept 0 (kind default), delta 0.8, metric
 * diag, minibatch 0, schedule off, a 0.01, b0 1, gamma 0.55. */
void sampler_opts_default(sampler_opts *o);
/* BL_EINVAL naming the first field out of range ("step=0: must be > 0"). */
int sampler_opts_check(const sampler_opts *o, bl_err *err);

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
/* The diagonal of the inverse metric M^-1 the leapfrog kinds use (d
 * values into out: 1 until Stan's warm-up adapts it; with metric=dense the
 * diagonal of the dense one). Returns the SAMPLER_METRIC_* in use
 * (SAMPLER_METRIC_UNIT, out all 1, for kinds without one). */
int sampler_inv_metric(const sampler *s, double *out);
/* Current options (adapted sigma/step included), borrowed. */
const sampler_opts *sampler_options(const sampler *s);
/* Set a tunable by name (sampler_tunable_find). BL_EINVAL with the range
 * ("leapfrog=0: must be in 1..1024", "unknown parameter 'foo' (choose ...)");
 * s unchanged then. A tunable that does not apply to the kind is accepted and
 * stored (switching kinds keeps it), except one kept in another kind's
 * workspace: accepted, with nowhere to keep it (sampler_get gives its
 * default). */
int sampler_set(sampler *s, const char *name, double value, bl_err *err);
/* Get a tunable by name into *value; BL_EINVAL if unknown. */
int sampler_get(const sampler *s, const char *name, double *value, bl_err *err);

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
 * Kinds whose chains move together (sampler_type.step_all) step all chains
 * once per iteration instead, draws landing at the same places.
 * Polls cancel every step: BL_ECANCEL. */
int sampler_ens_run(sampler_ens *e, size_t n, double *draws, double *weights,
                    const bl_cancel *cancel, bl_err *err);
/* sampler_set on every chain (all or nothing). */
int sampler_ens_set(sampler_ens *e, const char *name, double value, bl_err *err);

#endif
