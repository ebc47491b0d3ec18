/* commands/session.h - everything a bayeslens session holds.
 *
 * world   where data comes from (synthetic with a truth, or a data set);
 * stream  the points observed so far, in arrival order (X: n x in_dim, Y: n);
 * model   BLR (known noise) or NIG (unknown noise) on a feature map, updated
 *         in O(d^2) per arrival, never refitted per point;
 * traces  per-arrival series (index t-1 for the t-th arrival) that `show`,
 *         `export trace` and the panes read.
 * Invariant: when a model exists it has seen exactly the n points of the
 * stream, and every trace has n entries. Changing the model or its
 * hyperparameters replays the stream (O(n d^2)); changing the world clears the
 * stream. Every function that fails leaves the session as it was, except
 * session_observe, which keeps the points that arrived before an interrupt
 * or the end of a data set (and says so). */
#ifndef BAYESLENS_COMMANDS_SESSION_H
#define BAYESLENS_COMMANDS_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "commands/instrument.h"
#include "commands/out.h"
#include "commands/sampler_job.h"
#include "commands/view.h"
#include "core/blr/blr.h"
#include "core/base/err.h"
#include "core/blr/features.h"
#include "core/kernel/gp.h"
#include "core/kernel/nngp.h"
#include "core/blr/regret.h"
#include "datasets/world.h"

enum model_kind {
    MODEL_NONE = 0,
    MODEL_BLR, /* Bayesian linear regression, known noise */
    MODEL_NIG, /* BLR with unknown noise (Normal-Inverse-Gamma) */
    MODEL_GP,  /* Gaussian process with any kernel */
    MODEL_TP   /* scale mixture of a GP: Student-t process (inverse-gamma) or another prior */
};

/* Options of the GP and TP models. */
struct gp_setup {
    char kernel[512];         /* kernel spec (core/kernel.h syntax) */
    double noise;             /* noise sd; Ky = K + noise^2 I */
    gp_scale_prior prior;     /* TP: the scale prior (INVGAMMA: the Student-t process) */
    bool nngp;                /* the kernel is an NNGP built from nn (layer spectra) */
    nngp_opts nn;
};

/* Per-arrival traces (MATH.md 3.1, 3.2, 10). */
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

/* Live arrival of points (`stream`): paced by the interactive front end, run
 * to completion at once in batch mode. */
struct stream_job {
    bool active;      /* a stream is running (maybe paused) */
    bool paused;
    double rate;      /* points per second */
    size_t remaining; /* points still to come; SIZE_MAX: until stopped */
    double credit;    /* fractional points owed by elapsed time */
};

struct session;
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

    enum model_kind model;
    blr_opts bopts;  /* prior / noise options of the model */
    feat_opts fopts; /* feature map options */
    features *feat;  /* NULL when no model or no world */
    blr_model *blr;
    gp *gp;                   /* MODEL_GP, MODEL_TP (then blr and feat are NULL) */
    struct gp_setup gps;      /* their options */
    regret_rls *hind; /* best fixed parameter in hindsight */
    size_t dim;       /* feature dimension */
    double *phi;      /* scratch, dim */
    double *wstar;    /* truth in feature space (dim) or NULL when not representable */
    double *tmp;      /* scratch, dim */
    double true_loss; /* sum of -log p*(y_t | x_t) */

    double *trace[TR_COUNT];

    double ball_radius;       /* radius of the ball for mass_ball (default 0.1) */
    struct stream_job stream;
    struct instrument *inst;  /* the theory instrument (lens, bma, judge) or NULL */
    struct sampler_job *smp;  /* the sampler (commands/sampler_job.h) or NULL */
    struct stream_job sample; /* `sample N rate=R`: draws, paced like a stream */
    struct stream_job run;    /* `run`: the instrument's arrivals, paced like a stream */
    enum { JOB_STREAM = 0, JOB_RUN, JOB_SAMPLE } job; /* what pause/resume/step act on */
    struct view view;
    bool interactive;         /* a front end paces jobs (else they run synchronously) */
    const char *running;      /* the command executing (cmd_run_line), for the status line */
    int term_cols, term_rows; /* terminal size when interactive (screenshot default) */
    session_render_fn render; /* screenshot renderer, set by the front end (or NULL) */
    /* Called now and then (at most every ~30 ms) from long loops such as
     * observe, so an interactive front end can echo keys and redraw while a
     * command runs. It must not run commands (it may queue typed lines). */
    void (*pump)(void *ctx);
    void *pump_ctx;
    double last_pump; /* monotonic seconds of the last pump */
    const bl_cancel *cancel;  /* raised by the front end on Ctrl-C; may be NULL */
    unsigned long generation; /* bumped on every change (front ends redraw on it) */
    bool quit;                /* set by `quit` */
    int depth;                /* `source` nesting depth */
};

struct session *session_alloc(bl_err *err);
void session_free(struct session *s);

void session_seed(struct session *s, unsigned long seed);
/* Install a new world and, unless NULL, the generator its stream draws from
 * (takes ownership of both, also on failure): the stream is cleared, the model
 * (if any) rebuilt for the new inputs with its options. */
int session_set_world(struct session *s, world *w, gsl_rng *rng, bl_err *err);
/* Choose the model; built and fed the stream now if there is a world. For
 * GP and TP models pass gs (bo, fo unused); for BLR and NIG pass bo, fo. */
int session_set_model(struct session *s, enum model_kind kind, const blr_opts *bo,
                      const feat_opts *fo, const struct gp_setup *gs, bl_err *err);
/* Whether a model is built and can predict (BLR, NIG, GP, TP). */
bool session_has_model(const struct session *s);
/* Predictive at input x (in_dim numbers) under the current posterior: mean,
 * var (with noise; Student-t variance for NIG and TP) and var_f (latent). */
int session_predict(struct session *s, const double *x, double *mean, double *var, double *var_f,
                    bl_err *err);
/* n more points from the world. On interrupt or exhaustion the points that
 * arrived stay (a message goes to out) and BL_ECANCEL / BL_ESTATE is returned. */
int session_observe(struct session *s, size_t n, struct out *out, bl_err *err);
/* Empirical Bayes on the model's hyperparameters (MacKay, known noise). */
int session_optimize(struct session *s, blr_opt_result *res, bl_err *err);

/* Empirical Bayes for a GP or TP: the kernel's hyperparameters and the
 * noise by maximizing the GP marginal likelihood; then a replay. */
int session_optimize_gp(struct session *s, gp_opt_result *res, bl_err *err);

/* Feature vector of an input x (in_dim numbers) into s->phi. */
int session_features(struct session *s, const double *x, size_t len, bl_err *err);
/* Name of the model for status lines: "blr alpha=1 beta=100 identity". */
void session_describe_model(const struct session *s, char *buf, size_t size);

/* Pacing shared by every paced job (stream, run, sample): the units owed
 * after dt more seconds at j->rate, at most max_units and the units left (0
 * when the job is not running); then, once got units were done, account for
 * them and say whether the job has done all it was asked for. */
size_t stream_job_due(struct stream_job *j, double dt, size_t max_units);
bool stream_job_done(struct stream_job *j, size_t got);

/* Advance a running stream by dt seconds of wall time: rate * dt points are
 * owed, at most max_points of them arrive now (the rest stay owed, bounded
 * to one second's worth). Returns the points observed; on an error (world
 * exhausted, interrupt) the stream stops and the message goes to out. */
size_t session_stream_advance(struct session *s, double dt, size_t max_points, struct out *out);
/* Stop a stream (keeps the points). */
void session_stream_stop(struct session *s);
/* The same pacing for the instrument (`run`): arrivals (lens, bma) or trials
 * (judge). Returns the units done. */
size_t session_run_advance(struct session *s, double dt, size_t max_units, struct out *out);
/* Install a new instrument (takes ownership); the old one and its run go. */
void session_set_instrument(struct session *s, struct instrument *in);
/* The job pause/resume/step act on: the most recent one that exists. */
struct stream_job *session_job(struct session *s);

/* Monotonic clock in seconds (pacing, throttling; never part of a result). */
double session_now(void);
/* Scale of the BLR posterior covariance relative to A^-1: 1 for known noise,
 * E[s2 | D] = b_n / (a_n - 1) for NIG (inf while a_n <= 1). */
double session_cov_scale(const struct session *s);

/* Give the front end a chance to breathe (see pump); cheap when not due. */
void session_pump(struct session *s);

/* Run the commands of a script file, line by line; errors are reported as
 * "FILE:LINE: message" and stop the script (returned code, err filled). */
int session_source(struct session *s, const char *path, struct out *out, bl_err *err);

#endif
