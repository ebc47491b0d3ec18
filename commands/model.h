/* commands/model.h - the model interface: one const class per model family,
 * one table of them (tmux's cmd_entry, GSL's gsl_rng_type).
 *
 * A class is data plus hooks. The session holds a class pointer, the class's
 * options (opts_size bytes, plain data so that the session copies them) and
 * an instance built from those options once there is a world. The session
 * does everything that is the same for every model (the stream, the traces
 * against the truth, replays, rollback on failure); a class only says what
 * its own posterior does. A hook left NULL means the session's generic
 * behaviour, which each hook's comment names.
 *
 * Invariant kept by the session: an instance has seen exactly the stream, in
 * order. A hook that fails fills err and leaves its instance as it was,
 * except observe, after which the session throws the instance away.
 *
 * Adding a model: one file commands/model_NAME.c defining
 * `const struct model_class model_NAME_class`, plus one line in model.c's
 * table (docs/models.md walks through it). */
#ifndef BAYESLENS_COMMANDS_MODEL_H
#define BAYESLENS_COMMANDS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "commands/cmd.h"
#include "commands/out.h"
#include "core/base/err.h"
#include "core/blr/blr.h"
#include "core/blr/features.h"
#include "core/mcmc/target.h"
#include "datasets/world.h"

struct session;

/* Work the session hands a class's observe_block to overlap with the block
 * (see observe_block). */
struct model_side {
    void *(*run)(void *arg);
    void *arg;
};

/* One arrival as the model saw it: the one-step predictive at x_t, scored
 * before the update (docs/math.md §3.1). */
struct model_step {
    double logpred; /* log q_t(y_t) */
    double mean;    /* predictive mean at x_t */
    double var;     /* predictive variance at x_t, with noise */
    bool gaussian;  /* q_t is Gaussian: the risk against a Gaussian truth is defined */
};

/* The predictive at one input under the current posterior. */
struct model_pred {
    double mean;
    double var;   /* with noise (Student-t variance for heavy-tailed predictives) */
    double var_f; /* of the latent function, without noise */
};

/* A model whose posterior is Gaussian over the weights of a feature map
 * (BLR, NIG; a network's last layer) shows it through this view, and every
 * weight-space pane and command then works for it. All pointers borrowed
 * from the instance: valid until it observes or is freed. */
struct model_weights {
    size_t dim;            /* d, the number of weights */
    const blr_model *post; /* the posterior: mean, Cholesky factor of A, Gram */
    const features *feat;  /* phi: inputs -> R^d */
    const double *wstar;   /* the truth in these coordinates, or NULL */
    double cov_scale;      /* Cov[w | D] = cov_scale A^-1 (inf while undefined) */
    /* The world's y | x is one of the model's: wstar exists (the feature map
     * expresses the truth) and the noise family is the model's (Gaussian, not
     * Student-t); the closed-form E[regret] applies only then. */
    bool truth_in_model;
};

/* A scalar whose prior and posterior densities the posterior pane draws
 * (the output scale of a Student-t process). */
#define MODEL_SCALAR_GRID 200
struct model_scalar {
    const char *xlabel; /* axis name, e.g. "output scale s" */
    double lo, hi;      /* x range */
    double x[MODEL_SCALAR_GRID];
    double prior[MODEL_SCALAR_GRID]; /* densities at x */
    double post[MODEL_SCALAR_GRID];
    char post_label[64]; /* legend, e.g. "posterior IG(3, 4.5)" */
};

/* `show WHAT` for one model. Each gets the session (the stream, the seed, the
 * cancel flag) with a built instance s->m, and prints key = value lines. */
struct model_show {
    /* show posterior. NULL: fails, the model shows no posterior. */
    int (*posterior)(struct session *s, struct out *out, bl_err *err);
    /* show evidence. NULL: log_evidence and n. */
    int (*evidence)(struct session *s, struct out *out, bl_err *err);
    /* show predictive: keys after mean, var, var_f (x has in_dim numbers).
     * NULL: none. */
    int (*predictive)(struct session *s, const double *x, struct out *out, bl_err *err);
    /* show kernel. NULL: fails, asking for a kernel model. */
    int (*kernel)(struct session *s, struct out *out, bl_err *err);
    /* show spectrum. NULL: fails. */
    int (*spectrum)(struct session *s, struct out *out, bl_err *err);
    /* show concentration (the ball radius is s->ball_radius). NULL: fails,
     * the model has no weights to concentrate. */
    int (*concentration)(struct session *s, struct out *out, bl_err *err);
    /* show nn: a finite network's state (step, loss, width, depth, params,
     * ntk_change, per layer effective_rank, alpha_req, cka_nngp). NULL:
     * fails, the model is no network. */
    int (*nn)(struct session *s, struct out *out, bl_err *err);
};

/* A trained model's history against the optimizer step, for the training
 * and spectrum panes (model nn). Borrowed from the instance: valid until it
 * trains or is freed. Per-layer series are row-major records x layers
 * (layer l of record i at [i * layers + l - 1], layers numbered as the
 * NNGP's, 1..L+1). */
struct model_history {
    size_t n;               /* records, in increasing step */
    const double *step;     /* n */
    const double *train;    /* n: training loss (per point) */
    const double *heldout;  /* n: held-out loss (NaN: no held-out set) */
    const char *loss_name;  /* what the loss is, for the axis: "loss" */
    const char *no_heldout; /* why there is no held-out set (NULL: there is one) */
    size_t layers;          /* L + 1 */
    const double *rank;     /* n x layers: effective rank (RankMe) of the layer kernel */
    const double *alpha;    /* n x layers: alpha-ReQ over [alpha_lo, alpha_hi] */
    const double *cka;      /* n x layers: CKA to the NNGP layer kernel */
    const double *ntk_change; /* n: |Theta_t - Theta_0|_F / |Theta_0|_F */
    const double *ref_rank, *ref_alpha; /* layers: the analytic NNGP layer's */
    size_t alpha_lo, alpha_hi;          /* the alpha-ReQ window, 1-based */
    size_t probe;           /* points of the probe set the kernels are on (0: none yet) */
    const double *lam;      /* layers x probe: eigenvalues now (descending) */
    const double *rank_now, *alpha_now; /* layers: their RankMe and alpha-ReQ */
    const double *ref_lam;  /* layers x probe: the NNGP layer's */
};

/* Reference curves on the data pane's grid (a network's NNGP and NTK GP
 * posterior means on the same data). */
#define MODEL_REF_CURVES 2
struct model_ref_curves {
    size_t n;                            /* curves filled */
    const char *name[MODEL_REF_CURVES];  /* legend names (static strings) */
};

/* What the panes ask of a model that has no weight view (ui/ draws, these
 * return numbers). Each may be NULL. */
struct model_pane {
    /* Data pane, predicted-vs-true: predictive means at n inputs (X row-major
     * n x in_dim), batched. NULL: predict per point. */
    int (*mean)(const void *m, const double *X, size_t n, double *mean, bl_err *err);
    /* Data pane, 1-D inputs: the normals one posterior function draw on a grid
     * of `grid` inputs needs, then mean and sd at each grid input and up to
     * ndraws draws (row-major ndraws x grid) from the fixed normals z
     * (ndraws x normals), within a time budget (commands/gp_budget.h: a slow
     * kernel gets a thinned grid, and no draws when even those would take too
     * long); cancel is polled. Returns the draws made (0: the draws were left
     * out, the pane says so), or -1 and fills err. NULL: the band from
     * predict, no draws. */
    size_t (*band_normals)(const void *m, size_t grid);
    int (*band)(const void *m, const double *gx, size_t grid, const double *z, int ndraws,
                double *mean, double *sd, double *draws, const bl_cancel *cancel, bl_err *err);
    /* The band is costly (O(grid n^2)): the pane may show one up to a few
     * tenths of a second old while animating. */
    bool band_slow;
    /* Posterior pane: the title word (NULL: the class name) and a scalar
     * posterior to draw; false: nothing to draw (the pane says why). */
    const char *posterior_title;
    bool (*scalar)(const void *m, struct model_scalar *sc);
    /* Spectrum pane: how many Gram matrices the model has on its inputs (1
     * for a kernel, L+1 for a layered one, 0: none), then their eigenvalues,
     * descending (layers x n, row-major) and effective ranks (layers); cancel
     * is polled. */
    size_t (*gram_layers)(const void *m);
    int (*gram_spectra)(const void *m, const double *X, size_t n, double *lam, double *rank,
                        const bl_cancel *cancel, bl_err *err);
    /* Training and spectrum panes: the training history (false: none yet). */
    bool (*history)(const void *m, struct model_history *h);
    /* Data pane, 1-D inputs: up to MODEL_REF_CURVES curves on the grid into
     * curves (row-major MODEL_REF_CURVES x grid), named in rc; cancel is
     * polled. NULL: none. */
    int (*ref_curves)(const void *m, const double *gx, size_t grid, double *curves,
                      struct model_ref_curves *rc, const bl_cancel *cancel, bl_err *err);
    /* Why band gave no draws, for the legend (NULL: "slow kernel"). */
    const char *no_draws;
};

/* `train N [rate=R] [keys]` (commands/cmd_train.c) for a model that trains
 * (model nn; any class with steppable optimizer state). Training changes
 * the instance, never the stream, so the session's invariant (an instance
 * has seen exactly the stream) holds; a replay (a new model or world, a
 * failed observe) rebuilds the instance from its options, and the training
 * is lost. The command and its job are generic: a class joins by filling
 * this struct. */
struct model_train {
    /* The class's own keys of `train` (optimizer=, lr=, ...), {0}-terminated;
     * the verb accepts the union of every class's, and refuses a key the
     * current class does not have. */
    const struct arg_spec *keys;
    /* Before a run: apply the keys given (a key not given keeps the
     * instance's setting; the defaults before the first run). Fails naming
     * the key, with the instance unchanged. */
    int (*begin)(void *m, const struct cmd_args *a, bl_err *err);
    /* Up to n steps; *done gets the steps done, which stay done on an error
     * or an interrupt (cancel polled between steps). */
    int (*step)(void *m, size_t n, size_t *done, const bl_cancel *cancel, bl_err *err);
    /* A run ended (done, stopped or failed): record the state it ended in.
     * NULL: nothing to record. */
    void (*end)(void *m);
    /* Progress for the status line and the summary: "step 120, loss 0.31". */
    void (*describe)(const void *m, char *buf, size_t size);
    /* The step count so far. */
    size_t (*steps)(const void *m);
    /* `export weights FILE`: the trained parameters as text (a header naming
     * the architecture, then %.17g numbers) that `model NAME load=FILE`
     * reads back. NULL: the class saves none. */
    int (*save)(const void *m, FILE *f, bl_err *err);
};

/* A trace's bit in model_class.traces. */
#define MODEL_TRACE(id) (UINT32_C(1) << (id))

struct model_class {
    /* As `model NAME key=...` reads it: the command table, Tab completion
     * and help take name, summary, example and keys from here. */
    struct subject_spec subject;

    /* Options: plain data of opts_size bytes. configure fills them from the
     * parsed keys (already range-checked by the dispatcher; the world, if
     * any, supplies defaults such as the noise) or fails. */
    size_t opts_size;
    int (*configure)(const struct session *s, const struct cmd_args *a, void *opts, bl_err *err);

    /* An instance for the world w from opts, or NULL (err filled). O(model
     * size). free(NULL) is a no-op. */
    void *(*create)(const void *opts, const world *w, bl_err *err);
    void (*free)(void *m);
    /* Can the model hold n points? Asked before a replay or an `observe N`
     * does any work, so that a size the model cannot reach is refused at
     * once, naming n, the size and the limit (a GP's n x n factor against
     * the memory available). NULL: any n. */
    int (*fits)(const void *opts, size_t n, bl_err *err);

    /* One arrival: the predictive at x scored on y, then the update. Called
     * by session_observe and replays, in stream order. */
    int (*observe)(void *m, const double *x, double y, struct model_step *st, bl_err *err);
    /* n arrivals at once (X row-major n x in_dim): fills st[n] and, for each
     * arrival i, the class's traces into rows[i * TR_COUNT + id] as record
     * would (cum: the cumulative log-loss before the first), to rounding.
     * Replays and `observe N` use it, in blocks that end on multiples of 256
     * in the stream (4096 in batch for a class without weights: a kernel
     * model's block is cheapest long, docs/gp-blocks.md). After a failure the session rebuilds the instance from
     * the stream (a replay) and feeds that block point by point, so a class
     * may stop at a refused point with the points before it taken.
     * cancel is polled where the block is long (a slow kernel's rows); on
     * BL_ECANCEL the instance is as it was before the block.
     * side (may be NULL): the session's work to overlap with the block (the
     * next block's points, docs/blocks.md, Drawing ahead): a class runs
     * side->run(side->arg) at most once, on a thread it starts anyway or on
     * its own, and before it returns; it need not run it at all. (On
     * BL_ECANCEL the points it drew are dropped with the block's.)
     * NULL: observe and record, point by point. */
    int (*observe_block)(void *m, const double *X, size_t in_dim, const double *Y, size_t n,
                         double cum, struct model_step *st, double *rows, const bl_cancel *cancel,
                         const struct model_side *side, bl_err *err);
    /* After an arrival: the traces this class defines (the bits in traces)
     * into row[TR_*]; cum is the cumulative log-loss through it. The rest stay
     * NaN, except TR_LOG_EVIDENCE, which defaults to -cum (the chain rule). */
    void (*record)(const void *m, double cum, double *row);
    uint32_t traces;

    /* The predictive at x (in_dim numbers) under the current posterior. m is
     * const to callers, but a class may use scratch inside it (BLR maps
     * phi(x) there): one caller at a time. O(d^2) BLR, O(n^2) GP. */
    int (*predict)(const void *m, const double *x, struct model_pred *p, bl_err *err);
    /* log p(y_1..n | x_1..n) of what it has seen. */
    double (*log_evidence)(const void *m);
    /* What that sum is called where it is printed, and its key in `show
     * evidence`: NULL for a posterior's predictives, whose sum is the log
     * evidence (the chain rule); a network's one-step predictives come from
     * its weights of the moment, no posterior, so theirs is a log score;
     * dkm's is its objective (a log marginal plus KL terms). */
    const char *score_name, *score_key;

    /* `optimize`: empirical Bayes on the hyperparameters, then a replay with
     * the optimum (session_set_model), printing one line to out. Runs to
     * completion; a model that trains for long would start a paced job here
     * instead. NULL: the model has nothing to optimize. */
    int (*optimize)(struct session *s, struct out *out, bl_err *err);

    /* Status line, "blr alpha=1 beta=100 features=identity": from opts, and
     * from m when built (NULL before). */
    void (*describe)(const void *opts, const void *m, char *buf, size_t size);

    /* The Gaussian weight posterior, if the model has one (false: none).
     * NULL: no weights. */
    bool (*weights)(const void *m, struct model_weights *w);

    /* target=posterior for the sampler: a core/mcmc target of the current
     * posterior (owned by the caller). data_backed: the sampler wants the
     * data-backed form (SGLD's minibatches) where the model has one. NULL:
     * the model offers none (the caller says so). */
    target *(*target)(const void *m, const struct session *s, bool data_backed, bl_err *err);

    /* `export gram`: the n x n kernel matrix of the inputs X (layer of a
     * layered kernel, 1-based; 0: the model's own). O(n^2) kernel calls.
     * NULL: the model has no kernel. */
    int (*gram)(const void *m, const double *X, size_t n, long layer, double *K,
                const bl_cancel *cancel, bl_err *err);

    struct model_show show;
    struct model_pane pane;
    /* `train`: NULL, the model does not train. */
    const struct model_train *train;
};

/* The table: every class, NULL-terminated (commands/model.c). */
extern const struct model_class *const model_table[];

/* The class called name (exact), or NULL. */
const struct model_class *model_find(const char *name);

/* The subjects of `model`, one per class, {0}-terminated (built from the
 * table on first use; the command table points here). */
const struct subject_spec *model_subjects(void);

#endif
