/* commands/sampler_job.h - the session's sampler: a chain (or an ensemble)
 * on a target (the current model's posterior or a teaching density), its
 * draws, the last step's event for the posterior pane, and running
 * diagnostics for the sampler pane. Built by `sampler`, advanced by
 * `sample N [rate=R]` and `step`.
 *
 * The job owns its target: a posterior target is the model's posterior AS OF
 * CREATION (statistics copied), so later `observe` or `model` commands never
 * pull the target from under the chains; `show sampler` says whether the
 * model has moved on since (target_current = no) and the posterior pane then
 * shows the model again, without the stale draws.
 *
 * Draws: the last SMP_KEEP draws per chain are kept in order (when the store
 * is full the older half is dropped); the moments (mean, covariance) are
 * accumulated over every draw after warmup. Diagnostics (ESS, split R-hat,
 * W2/KL of the draws' Gaussian fit to the reference moments) are computed on
 * the kept draws at checkpoints: in batch mode at fixed iteration counts
 * (every 10 iterations up to 200, then every 5%), so scripts and screenshots
 * are reproducible; live, at most a few times a second (and never more than
 * a fifth of the time). Panes read these fields; only this module writes
 * them. */
#ifndef BAYESLENS_COMMANDS_SAMPLER_JOB_H
#define BAYESLENS_COMMANDS_SAMPLER_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "commands/job.h"
#include "commands/out.h"
#include "core/stats/diag.h"
#include "core/base/err.h"
#include "core/mcmc/sampler.h"
#include "core/mcmc/target.h"

/* Targets `sampler target=...` accepts. */
enum smp_target {
    SMP_POSTERIOR = 0, /* the model's posterior (blr: Gaussian, nig: multivariate t) */
    SMP_BANANA,
    SMP_DONUT,
    SMP_MIXTURE,
    SMP_FUNNEL,
    SMP_SQUIGGLE,
    SMP_LOGISTIC, /* Bayesian logistic regression on breast_cancer */
    SMP_MODES,     /* two isolated modes */
    SMP_FUNNEL_NC, /* the funnel non-centred */
    SMP_NORMAL,    /* the standard normal in `dim` dimensions */
    SMP_NTARGETS
};
extern const char *const smp_target_names[SMP_NTARGETS + 1]; /* NULL-terminated */
/* Targets whose reference is Gaussian-like with a known scale (posterior,
 * logistic, normal): `sampler` starts step and sigma from their smallest sd. */
bool smp_target_scaled(enum smp_target tid);

/* What every command and pane says when there is no sampler: one wording. */
#define SMP_NONE_MSG "no sampler: start one with  sampler hmc  (or sampler nuts target=banana)"
#define SMP_KEEP        100000 /* draws kept per chain (at most ~32 MB in all) */
#define SMP_DIAG_COORDS 32     /* ESS, R-hat and MCSE of the first 32 coordinates */
#define SMP_WU_MAX      4096   /* warm-up points kept for the pane */

/* Diagnostics recorded at checkpoints, against the iteration count. */
struct smp_trace {
    double *iter, *accept, *ess, *rhat, *w2, *kl, *kl_floor;
    size_t n, cap;
};

struct sampler_job {
    sampler_kind kind;
    enum smp_target tid;
    char desc[192];   /* one line: "hmc on the posterior of blr ... (n = 50), 4 chains" */
    char tname[96];   /* short target name for titles: "posterior n=50", "banana" */
    target *t;        /* owned: independent of later model changes */
    sampler_ens *ens; /* owned */
    gsl_rng *rng;     /* owned: seeded from the session seed; seeds chains and starts */
    size_t K, d;
    char (*coord)[32]; /* d coordinate names ("w0", or the logistic feature names) */

    /* posterior targets: the model as of creation (to tell when it moved on) */
    size_t model_n, model_dim;
    double *model_mean; /* d */

    target_moments_kind ref;    /* NONE, EXACT or LAPLACE */
    double *ref_mean, *ref_cov; /* d, d x d (NaN when ref is NONE) */

    size_t iter;        /* transitions done by each chain */
    size_t warmup;      /* leading iterations left out of draws and moments (adapt) */
    double *draws;      /* K x keep x d, chain-major: chain k, kept draw i at (k keep + i) d */
    double *wts;        /* K x keep: weights (sgld h_t, else 1) */
    double *energy;     /* K x keep: the Hamiltonian of each kept draw (NaN: the kind has none) */
    /* The warm-up as it adapts (adapt=1), for the sampler pane: at warm-up
     * iteration wu_iter[i], chain 0's step and the chains' mean acceptance
     * statistic; every wu_every-th iteration, at most SMP_WU_MAX points. */
    double *wu_iter, *wu_step, *wu_acc;
    size_t wu_n, wu_every;
    size_t keep, count; /* capacity and number of kept draws per chain */
    size_t first;       /* iteration number (1-based) of kept draw 0 */
    diag_acc *acc;      /* moments of every post-warmup draw of every chain */

    sampler_event **ev;    /* K full events of the last visible step (have_ev) */
    sampler_event **light; /* K events without trajectory storage, for bulk steps */
    bool have_ev;
    size_t ev_iter; /* the iteration ev belongs to */

    /* latest diagnostics (NaN when undefined) */
    size_t diag_iter;        /* iterations when computed */
    double acceptance;       /* mean over chains of accepted / iterations */
    double accept_window;    /* mean over chains of the last-100-steps rate */
    /* Rank-normalized diagnostics (core/stats/diag.h diag_summarize) of
     * the first ndiag = min(d, SMP_DIAG_COORDS) coordinates. */
    double ess, rhat; /* min bulk-ESS, max R-hat (bulk and folded) over them */
    double ess_tail;  /* min tail-ESS over them */
    size_t ndiag;
    double *rhat_v, *ess_bulk_v, *ess_tail_v; /* ndiag each */
    double *mcse_mean_v, *mcse_sd_v;          /* ndiag each */
    double *mcse_q5_v, *mcse_q50_v, *mcse_q95_v; /* ndiag each: MCSE of the 5/50/95% quantiles */
    double *ebfmi;                            /* K: E-BFMI of each chain's kept energies */
    size_t treedepth_sat;                     /* kept transitions whose tree hit max_depth */
    double w2, kl, kl_floor; /* draws' Gaussian fit vs the reference; floor d(d+3)/(4 n_eff) */
    double n_eff;            /* ESS scaled to all accumulated draws */
    size_t next_ckpt;        /* batch checkpoints */
    double last_diag;        /* monotonic seconds of the last live computation */
    double diag_cost;        /* seconds the last computation took */
    size_t fit_iter;         /* iterations when w2, kl were computed (they may lag) */
    double fit_cost, fit_end; /* seconds they took; monotonic seconds they ended */
    struct smp_trace tr;
};

struct smp_preset;

/* What `sampler` asks for. */
struct sampler_setup {
    sampler_kind kind;
    enum smp_target tid;
    size_t K;           /* chains */
    double spread;      /* start spread in reference standard deviations */
    const double *init; /* start (d values) or NULL: the reference mean */
    size_t ninit;
    size_t features; /* logistic: the first features used (plus an intercept) */
    double alpha;    /* logistic: prior precision */
    size_t dim;      /* normal: the dimension (0: 100) */
    const struct smp_preset *preset; /* `preset=` (commands/sampler_preset.h) or NULL */
    size_t nset;                     /* tunables given by name: the user's, then the preset's */
    size_t nset_user;                /* the first nset_user are the user's */
    const char *set_name[24];
    double set_value[24];
};

/* The model a posterior target was built from, as of creation (copied). */
struct smp_model {
    const char *desc;   /* "blr alpha=1 beta=100 features=identity" */
    size_t n, dim;      /* points seen, feature dimension (= the target's) */
    const double *mean; /* dim: the model's posterior mean */
};

void sampler_job_free(struct sampler_job *j); /* NULL is a no-op */
/* `show sampler`: name, iterations, acceptance, ess, rhat, w2_exact, ...;
 * current: whether the posterior target is still the model's (see
 * sampler_job_matches). j NULL: a message saying how to start one. */
int sampler_job_show(struct sampler_job *j, bool current, struct out *out, bl_err *err);
/* `export draws FILE`: the draws as CSV (chain, iteration, w0..w{d-1}, weight). */
int sampler_job_export(const struct sampler_job *j, const char *path, bl_err *err);

/* A new sampler. target=posterior: t is the model's posterior (takes
 * ownership, also on failure) and m the model it came from; other targets
 * are built here (t and m NULL). Chains and starts are seeded from seed.
 * NULL with a one-line message naming the problem. */
struct sampler_job *sampler_job_new(const struct sampler_setup *o, target *t,
                                    const struct smp_model *m, unsigned long seed, bl_err *err);
/* n transitions of every chain at once (batch `sample`, `step N`, a live
 * advance): draws and moments recorded, checkpoints computed (batch mode),
 * the last step's events kept for drawing. Polls ctx->cancel every
 * iteration and ticks ctx->pump: BL_ECANCEL keeps the iterations done. */
int sampler_job_run(struct sampler_job *j, size_t n, const struct run_ctx *ctx, bl_err *err);
/* Recompute the diagnostics now (force) or when due (live throttle), and
 * record them in the traces. */
void sampler_job_refresh(struct sampler_job *j, bool force);
/* True when the job's target is a posterior built from a model with n
 * points, dimension dim and posterior mean `mean` (dim values): the model
 * has not moved on since. */
bool sampler_job_matches(const struct sampler_job *j, size_t n, size_t dim, const double *mean);
/* The largest stable step of the job's kind on its reference Gaussian
 * (sampler_type.step_limit with the covariance's smallest eigenvalue); NaN
 * when the reference is not exact or the kind knows no bound. */
double sampler_job_step_limit(const struct sampler_job *j);
/* The draws' covariance against the reference's, as `show sampler` prints
 * them: *measured = tr(cov of the draws) / tr(reference cov) (NaN without an
 * exact or Laplace reference or two draws), *predicted = the same ratio for
 * the covariance the kind converges to on a Gaussian posterior (ULA at a
 * fixed step, docs/math.md §9; NaN when the kind or its options have none:
 * why then says so, in why_size bytes, else ""). O(d^3). */
void sampler_job_trace_ratio(const struct sampler_job *j, double *measured, double *predicted,
                             char *why, size_t why_size);
/* One line about the last step of chain 0 for `step` ("iteration 12: ..."). */
void sampler_job_describe_step(const struct sampler_job *j, char *buf, size_t size);
/* `sample N rate=R` as a paced job (self: the sampler; units: iterations
 * of every chain). A live advance steps its last iteration with full events
 * so the trajectory shows while it runs. */
extern const struct job_class sampler_job_class;
/* The line a finished `sample N` prints, batch or live: "HEADhmc: 300
 * iterations, acceptance 0.97, ESS 1161, R-hat 1.003", with the reason when
 * ESS or R-hat is undefined. */
void sampler_job_summary(const struct sampler_job *j, const char *head, struct out *out);

#endif
