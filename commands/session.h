/* commands/session.h - everything a bayeslens session holds.
 *
 * world   where data comes from (synthetic with a truth, or a data set);
 * stream  the points observed so far, in arrival order (X: n x in_dim, Y: n);
 * model   a class of commands/model.h (BLR, NIG, GP, TP, ...) and its
 *         instance, updated per arrival, never refitted per point;
 * traces  per-arrival series (index t-1 for the t-th arrival) that `show`,
 *         `export trace` and the panes read.
 * Invariant: when a model exists it has seen exactly the n points of the
 * stream, and every trace has n entries. Changing the model or its
 * hyperparameters replays the stream (n arrivals); changing the world clears the
 * stream. Every function that fails leaves the session as it was, except
 * session_observe, which keeps the points that arrived before an interrupt
 * or the end of a data set (and says so). */
#ifndef BAYESLENS_COMMANDS_SESSION_H
#define BAYESLENS_COMMANDS_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "commands/clock.h"
#include "commands/instrument.h"
#include "commands/job.h"
#include "commands/model.h"
#include "commands/out.h"
#include "commands/sampler_job.h"
#include "commands/view.h"
#include "core/blr/blr.h"
#include "core/base/err.h"
#include "core/blr/features.h"
#include "datasets/world.h"

/* Per-arrival traces (docs/math.md §3.1, 3.2, 10). */
enum trace_id {
    TR_LOGLOSS,          /* -log q_t(y_t): predictive scored before the update */
    TR_PRED_MEAN,        /* predictive mean at x_t before the update */
    TR_PRED_SD,          /* predictive sd at x_t before the update (with noise) */
    TR_RISK,             /* instantaneous KL(p*(.|x_t) || q_t) (Gaussian truth and model) */
    TR_CUM_LOGLOSS,      /* sum of TR_LOGLOSS = -log evidence */
    TR_REGRET_TRUTH,     /* cumulative log-loss minus that of the true density */
    TR_REGRET_HINDSIGHT, /* cumulative log-loss minus the best fixed parameter's */
    TR_REGRET_CLOSED,    /* E_y R_n(w*) in closed form (known noise, truth in features) */
    TR_BOUND,            /* (1/2) log det(A/alpha) + (alpha/2)|w|^2, w = w* (else w_ML) */
    TR_ASYMPTOTE,        /* (d/2) log n + (d/2)(log(beta/alpha) - 1) + alpha|w*|^2/2 */
    TR_TRACE_COV,        /* tr Cov[w | D_t] */
    TR_LOGDET_COV,       /* log det Cov[w | D_t] */
    TR_DIST_TRUTH,       /* |m_t - w*| */
    TR_LOG_EVIDENCE,     /* log p(y_1..t | x_1..t) in closed form */
    TR_COUNT
};

struct trace_info {
    const char *name; /* as typed in `export trace NAME` */
    const char *help;
};
extern const struct trace_info trace_info[TR_COUNT];
/* The trace names alone, NULL-terminated (argument choices). */
extern const char *const trace_names[TR_COUNT + 1];
/* Index of a trace by name (unique prefix allowed), or -1. */
int trace_find(const char *name);

#define SESSION_CAPTION_MAX 512

struct session;
struct script_run;
/* Renders the current layout to a text file (set by the front end that owns
 * the panes; NULL where there is none). */
typedef int (*session_render_fn)(struct session *s, const char *path, int cols, int rows,
                                 bl_err *err);

struct session {
    unsigned long seed; /* last `seed N` (default 1) */
    gsl_rng *rng;       /* the world's stream: reseeded by `seed` and by a new world */
    world *world;       /* NULL until `data ...` */

    size_t n, cap; /* points observed, capacity of X, Y, traces */
    size_t in_dim; /* input dimension of the world */
    double *X, *Y; /* the stream, X row-major n x in_dim */

    const struct model_class *mc; /* the chosen model (commands/model.h), NULL: none */
    void *mopts;                  /* its options, mc->opts_size bytes (owned) */
    void *m;                      /* its instance (owned), NULL until there is a world */
    /* The weight view of m (struct model_weights), set whenever m changes;
     * NULL and 0 for a model without weights. Borrowed from m. */
    const blr_model *blr; /* Gaussian posterior over the weights */
    const features *feat; /* their feature map */
    size_t dim;           /* feature dimension */
    const double *wstar;  /* truth in feature space (dim) or NULL when not representable */
    bool truth_in_model;  /* the world's y | x is one of the model's (model_weights) */
    double *phi;          /* scratch, dim (session_features) */
    double true_loss;     /* sum of -log p*(y_t | x_t) */

    double *trace[TR_COUNT];

    double ball_radius;       /* radius of the ball for mass_ball (default 0.1) */
    /* What the user chose last: the layout presets show it and leave out
     * panes of an earlier, unrelated subject (a lens after a model, a
     * banana sampler after a new model). */
    enum session_latest {
        LATEST_NONE,
        LATEST_MODEL, /* a world or a model */
        LATEST_SAMPLER,
        LATEST_INSTRUMENT,
    } latest;
    struct instrument *inst;  /* the theory instrument (lens, bma, judge) or NULL */
    struct sampler_job *smp;  /* the sampler (commands/sampler_job.h) or NULL */
    /* The paced jobs (commands/job.h): the stream (always, slot 0), the
     * instrument's `run` and the sampler's `sample` while they exist. */
    struct job_set jobs;
    struct view view;
    bool interactive;         /* a front end paces jobs (else they run synchronously) */
    bool fkeys;               /* it has the live keys (F5 pause, F6 step): hints name them */
    const char *running;      /* the command executing (cmd_run_line), for the status line */
    int term_cols, term_rows; /* terminal size when interactive (screenshot default) */
    session_render_fn render; /* screenshot renderer, set by the front end (or NULL) */
    /* Ticked from long loops such as observe, so an interactive front end
     * can echo keys and redraw while a command runs (commands/clock.h). */
    struct clock_pump pump;
    const bl_cancel *cancel;  /* raised by the front end on Ctrl-C; may be NULL */
    unsigned long generation; /* bumped on every change (front ends redraw on it) */
    unsigned long subject_gen; /* bumped when the world or side b is replaced or dropped:
                                 panes start their axis ranges again */
    bool quit;                /* set by `quit` */
    int depth;                /* `source` nesting depth */
    /* Lecture mode (commands/script.c): a front end that sets stepwise runs
     * `source` one command at a time (session_script_step), redrawing in
     * between; `pause`, `wait` and the paced jobs a script starts hold it. */
    bool stepwise;
    struct script_run *script;         /* the scripts being stepped, NULL: none */
    char caption[SESSION_CAPTION_MAX]; /* the last `say` of a stepped script; "" none */
    /* `compare` (commands/compare.h, docs/compare.md). side_b: a second
     * session fed exactly this one's arrivals (same path: blocks or points),
     * or NULL. side_of: on side b, the session it follows; b borrows its
     * world and takes its points from its stream instead of drawing them. */
    struct session *side_b;
    struct session *side_of;
    char *model_words;   /* the words of the last `model` command (sweep re-binds them) */
    struct sweep *sweep; /* the last `sweep` (commands/sweep.h), or NULL */
};

struct session *session_alloc(bl_err *err);
void session_free(struct session *s);
/* `reset`: back to what session_alloc makes (no world, stream, model,
 * instrument or sampler; every job idle; the view's defaults: layout,
 * panes, focus, zoom, pane options; no caption), keeping the seed (the
 * world's generator restarts from it), the front end's hooks and the
 * scripts being run. Every example starts with it, so lectures can follow
 * one another in one session. */
void session_reset(struct session *s);

void session_seed(struct session *s, unsigned long seed);
/* Install a new world and, unless NULL, the generator its stream draws from
 * (takes ownership of both, also on failure): the stream is cleared, the model
 * (if any) rebuilt for the new inputs with its options. */
int session_set_world(struct session *s, world *w, gsl_rng *rng, bl_err *err);
/* Choose the model: the class and its options (mc->opts_size bytes,
 * copied). Built and fed the stream now if there is a world (O(n) arrivals);
 * on failure the old model stays. */
int session_set_model(struct session *s, const struct model_class *mc, const void *opts,
                      bl_err *err);
/* Whether a model is built and can predict. */
bool session_has_model(const struct session *s);
/* Predictive at input x (in_dim numbers) under the current posterior: mean,
 * var (with noise; Student-t variance for NIG and TP) and var_f (latent). */
int session_predict(struct session *s, const double *x, double *mean, double *var, double *var_f,
                    bl_err *err);
/* log evidence of the stream under the model (NaN without one). */
double session_log_evidence(const struct session *s);
/* What session_log_evidence is called in print ("log evidence", or the
 * class's score_name), and its key in `show evidence` (key true). */
const char *session_score_name(const struct session *s, bool key);
/* n more points from the world. On interrupt or exhaustion the points that
 * arrived stay (a message goes to out) and BL_ECANCEL / BL_ESTATE is returned.
 * Several points go to the model as blocks (observe_block, docs/blocks.md). */
int session_observe(struct session *s, size_t n, struct out *out, bl_err *err);
/* The same, one point at a time through observe: the live stream. */
int session_stream(struct session *s, size_t n, struct out *out, bl_err *err);
/* `optimize`: the model's empirical Bayes (its optimize hook), which
 * replays the stream with the optimum and prints one line. */
int session_optimize(struct session *s, struct out *out, bl_err *err);

/* Feature vector of an input x (in_dim numbers) into s->phi (models with
 * weights). */
int session_features(struct session *s, const double *x, size_t len, bl_err *err);
/* Name of the model for status lines: "blr alpha=1 beta=100 identity". */
void session_describe_model(const struct session *s, char *buf, size_t size);

/* Side b of `compare` (commands/compare.h): a new session following s (its
 * world borrowed, its points s's) with the model mc/opts (NULL: s's), fed
 * s's stream now; the caller installs it as s->side_b. NULL, err filled, on
 * failure. */
struct session *session_follower_new(struct session *s, const struct model_class *mc,
                                     const void *opts, bl_err *err);
/* Drop side b, its sampler and its sample job (no-op without one). */
void session_compare_clear(struct session *s);
/* Side b's `sample` job in side a's job set (self: side a, whose side b's
 * sampler it advances; held while side a's sampler is paused). */
extern const struct job_class side_b_sample_class;

/* Install a new instrument (takes ownership; NULL removes it); the old one
 * and its run go.
 * Its `run` job becomes current. */
void session_set_instrument(struct session *s, struct instrument *in);
/* Install a new sampler (takes ownership; NULL removes it); the old one and
 * its `sample` job go. A new sampler's job becomes current. */
void session_set_sampler(struct session *s, struct sampler_job *j);
/* The posterior of the session's model, as of now, as a sampler target
 * (the caller owns it). SGLD on a known-noise model gets the data-backed
 * form (the stream's feature rows), so that minibatches exist. */
target *session_posterior_target(struct session *s, const struct sampler_setup *o, bl_err *err);
/* A new sampler on the session's model posterior (target=posterior) or
 * another target, seeded from the session seed; the session is not changed
 * (the caller installs it with session_set_sampler). */
struct sampler_job *session_sampler_new(struct session *s, const struct sampler_setup *o,
                                        bl_err *err);
/* True when the sampler's target is the session model's posterior and the
 * model has not changed since the sampler was created (the posterior pane
 * overlays the draws on the model then). */
bool session_sampler_current(const struct session *s);
/* What the session hands its jobs for one advance (cancel flag, pump, live). */
struct run_ctx session_run_ctx(struct session *s);
/* The stream as a paced job (commands/cmd_stream.c); self is the session. */
extern const struct job_class stream_job_class;
/* `train` as a paced job (commands/cmd_train.c); self is the session, whose
 * instance's train hooks it steps. Removed whenever the instance changes. */
extern const struct job_class train_job_class;
extern const struct job_class side_b_train_class; /* compare train: side b's, in side a's set */

/* Scale of the weight posterior covariance relative to A^-1: 1 for known
 * noise, E[s2 | D] = b_n / (a_n - 1) for NIG (inf while a_n <= 1); 1 for a
 * model without weights. */
double session_cov_scale(const struct session *s);

/* Give the front end a chance to breathe (see pump); cheap when not due. */
static inline void
session_pump(struct session *s)
{
    clock_pump_tick(&s->pump);
}

/* Run the commands of a script file, line by line; errors are reported as
 * "FILE:LINE: message" and stop the script (returned code, err filled).
 * When s->stepwise the file is only opened and pushed on s->script (a nested
 * source runs before the rest of its parent): the front end then calls
 * session_script_step. Without it (batch, --plain) the script runs now;
 * interactive (--plain), each job a command starts is finished before the
 * next command, so `show` after `sample` sees the finished run. */
int session_source(struct session *s, const char *path, struct out *out, bl_err *err);

/* What a stepped script waits for before its next command. */
enum script_hold {
    SCRIPT_NONE,  /* no script */
    SCRIPT_READY, /* the next command can run */
    SCRIPT_KEY,   /* `pause`: space or Enter goes on, Esc or q stops */
    SCRIPT_TIME,  /* `wait S`: until *until (clock_now), or a key */
    SCRIPT_JOB,   /* a stream, sample or run it started: until it ends, or a key */
};
/* The hold of the stepped scripts now (a job hold that has ended and a
 * wait that has expired read SCRIPT_READY); *until (may be NULL) gets the
 * end of a wait. */
enum script_hold session_script_hold(const struct session *s, double *until);
/* Run the next command of the innermost stepped script (SCRIPT_READY
 * only; else nothing). At the end of a file it is closed and its parent
 * goes on. A failing command stops every stepped script: err says
 * "FILE:LINE: message". The command's line is echoed to out ("> line")
 * before its first command runs, except lines of say, pause and wait. */
int session_script_step(struct session *s, struct out *out, bl_err *err);
/* A key that goes on: ends a pause or a wait; a job hold finishes the
 * jobs it waits for at once (their remaining units; one started without
 * a count is stopped). */
void session_script_go(struct session *s, struct out *out);
/* Esc, q or Ctrl-C: every stepped script is closed (what it started keeps
 * its state; a job it waited for is stopped); says so on out. No-op
 * without one. */
void session_script_stop(struct session *s, struct out *out);
/* `pause` and `wait` inside a stepped script: hold it (else no-op). */
bool session_in_script(const struct session *s);
void session_script_pause(struct session *s);
void session_script_wait(struct session *s, double seconds);

#endif
