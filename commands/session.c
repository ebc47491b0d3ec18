/* commands/session.c - the session: world, stream, model, traces.
 *
 * The model is a class of commands/model.h: the session only does what is
 * the same for every model (the stream, the traces against the truth, the
 * chain-rule evidence, replays with rollback) and asks the class for the
 * rest. Per arrival the work is the class's observe (O(d^2) for BLR, O(n^2)
 * for a GP) plus O(1) here. See docs/traces.md for what each trace means
 * and docs/models.md for the hooks. */
#include "commands/session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "commands/clock.h"
#include "commands/sweep.h"
#include "core/blr/regret.h"
#include "core/base/rng.h"

const char *const trace_names[TR_COUNT + 1] = {
    [TR_LOGLOSS] = "logloss",
    [TR_PRED_MEAN] = "pred_mean",
    [TR_PRED_SD] = "pred_sd",
    [TR_RISK] = "risk",
    [TR_CUM_LOGLOSS] = "cum_logloss",
    [TR_REGRET_TRUTH] = "regret_truth",
    [TR_REGRET_HINDSIGHT] = "regret_hindsight",
    [TR_REGRET_CLOSED] = "regret_closed_form",
    [TR_BOUND] = "bound",
    [TR_ASYMPTOTE] = "asymptote",
    [TR_TRACE_COV] = "trace_cov",
    [TR_LOGDET_COV] = "logdet_cov",
    [TR_DIST_TRUTH] = "dist_mean_truth",
    [TR_LOG_EVIDENCE] = "log_evidence",
    [TR_COUNT] = NULL,
};

const struct trace_info trace_info[TR_COUNT] = {
    [TR_LOGLOSS] = {"logloss", "-log q_t(y_t), the predictive scored before the update"},
    [TR_PRED_MEAN] = {"pred_mean", "predictive mean at x_t before the update"},
    [TR_PRED_SD] = {"pred_sd", "predictive sd at x_t before the update (with noise)"},
    [TR_RISK] = {"risk", "instantaneous risk KL(p*(.|x_t) || q_t), Gaussian noise only"},
    [TR_CUM_LOGLOSS] = {"cum_logloss", "cumulative log-loss = -log evidence"},
    [TR_REGRET_TRUTH] = {"regret_truth", "cumulative log-loss minus the true density's"},
    [TR_REGRET_HINDSIGHT] = {"regret_hindsight", "cumulative log-loss minus the best fixed w's"},
    [TR_REGRET_CLOSED] = {"regret_closed_form", "E_y R_n(w*) in closed form (docs/math.md 3.2)"},
    [TR_BOUND] = {"bound", "(1/2) log det(A/alpha) + (alpha/2)|w*|^2, bounds R_n(w*)"},
    [TR_ASYMPTOTE] = {"asymptote", "(d/2) log n + (d/2)(log(beta/alpha) - 1) + alpha|w*|^2/2"},
    [TR_TRACE_COV] = {"trace_cov", "trace of the posterior covariance"},
    [TR_LOGDET_COV] = {"logdet_cov", "log det of the posterior covariance"},
    [TR_DIST_TRUTH] = {"dist_mean_truth", "|posterior mean - w*|"},
    [TR_LOG_EVIDENCE] = {"log_evidence", "log p(y_1..n | x_1..n), closed form"},
};

int
trace_find(const char *name)
{
    int match = -1, count = 0;
    size_t n = strlen(name);
    for (int i = 0; i < TR_COUNT; i++) {
        if (strcmp(trace_info[i].name, name) == 0)
            return i;
        if (n > 0 && strncmp(trace_info[i].name, name, n) == 0) {
            match = i;
            count++;
        }
    }
    return count == 1 ? match : -1;
}

struct session *
session_alloc(bl_err *err)
{
    struct session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        return NULL;
    }
    s->rng = gsl_rng_alloc(bl_rng_mt19937);
    if (s->rng == NULL) {
        free(s);
        bl_fail(err, BL_ENOMEM, "out of memory");
        return NULL;
    }
    s->ball_radius = 0.1;
    job_set_add(&s->jobs, &stream_job_class, s);
    view_init(&s->view);
    session_seed(s, 1);
    return s;
}

/* A built model: the instance and the session's scratch for its weights,
 * made together so that a failure changes nothing. */
struct model_parts {
    void *m;
    double *phi;
};

static void
parts_free(const struct model_class *mc, struct model_parts *p)
{
    if (mc != NULL)
        mc->free(p->m);
    free(p->phi);
    memset(p, 0, sizeof *p);
}

static struct model_parts
parts_of(const struct session *s)
{
    return (struct model_parts){s->m, s->phi};
}

/* Install *p as the session's instance of class mc (and its weight view). */
static void
put_parts(struct session *s, const struct model_class *mc, const struct model_parts *p)
{
    struct model_weights w = {0};
    bool has = p->m != NULL && mc->weights != NULL && mc->weights(p->m, &w);
    if (p->m != s->m && s->side_of != NULL) /* side b's run is in side a's set */
        job_set_remove(&s->side_of->jobs, &side_b_train_class);
    if (p->m != s->m) /* a training run belongs to the instance it started on */
        job_set_remove(&s->jobs, &train_job_class);
    s->mc = mc;
    s->m = p->m;
    s->phi = p->phi;
    s->blr = has ? w.post : NULL;
    s->feat = has ? w.feat : NULL;
    s->dim = has ? w.dim : 0;
    s->wstar = has ? w.wstar : NULL;
    s->truth_in_model = has && w.wstar != NULL && w.truth_in_model;
}

static int
build_parts(const struct model_class *mc, const void *opts, const world *w,
            struct model_parts *p, bl_err *err)
{
    memset(p, 0, sizeof *p);
    p->m = mc->create(opts, w, err);
    if (p->m == NULL)
        return err && err->code ? err->code : BL_EINVAL;
    struct model_weights wv = {0};
    if (mc->weights != NULL && mc->weights(p->m, &wv) && wv.dim > 0) {
        p->phi = malloc(wv.dim * sizeof *p->phi);
        if (p->phi == NULL) {
            parts_free(mc, p);
            return bl_fail(err, BL_ENOMEM, "out of memory (feature dimension %zu)", wv.dim);
        }
    }
    return BL_OK;
}

/* Free the stream's storage (points and traces); grow() reallocates it. */
static void
stream_drop(struct session *s)
{
    free(s->X);
    free(s->Y);
    s->X = s->Y = NULL;
    for (int i = 0; i < TR_COUNT; i++) {
        free(s->trace[i]);
        s->trace[i] = NULL;
    }
    s->cap = 0;
}

void
session_free(struct session *s)
{
    if (s == NULL)
        return;
    struct model_parts p = parts_of(s);
    parts_free(s->mc, &p);
    free(s->mopts);
    session_compare_clear(s);
    sweep_free(s->sweep);
    free(s->model_words);
    if (s->side_of == NULL) /* side b borrows its world */
        world_free(s->world);
    instrument_free(s->inst);
    sampler_job_free(s->smp);
    session_script_stop(s, NULL);
    gsl_rng_free(s->rng);
    stream_drop(s);
    free(s);
}

/* The one place that knows everything a session holds beyond what
 * session_alloc sets: whatever is added to the session is cleared here. */
void
session_reset(struct session *s)
{
    /* compare's side b and the sweep first: they hold jobs and borrow the
     * world. Then the sampler and instrument: their jobs go with them. */
    session_compare_clear(s);
    job_set_remove(&s->jobs, &sweep_job_class);
    sweep_free(s->sweep);
    s->sweep = NULL;
    free(s->model_words);
    s->model_words = NULL;
    session_set_sampler(s, NULL);
    session_set_instrument(s, NULL);
    struct model_parts p = parts_of(s);
    parts_free(s->mc, &p);
    put_parts(s, NULL, &p);
    free(s->mopts);
    s->mopts = NULL;
    world_free(s->world);
    s->world = NULL;
    s->subject_gen++;
    stream_drop(s);
    s->n = s->in_dim = 0;
    s->true_loss = 0;
    s->ball_radius = 0.1;
    /* Every job idle at its class's defaults: the stream alone, as new. */
    s->jobs = (struct job_set){0};
    job_set_add(&s->jobs, &stream_job_class, s);
    view_init(&s->view);
    s->caption[0] = '\0';
    s->latest = LATEST_NONE;
    session_seed(s, s->seed);
}

void
session_seed(struct session *s, unsigned long seed)
{
    s->seed = seed;
    gsl_rng_set(s->rng, seed);
    s->generation++;
}

static int
grow(struct session *s, size_t need, bl_err *err)
{
    if (need <= s->cap)
        return BL_OK;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < need)
        cap *= 2;
    double *X = realloc(s->X, cap * (s->in_dim ? s->in_dim : 1) * sizeof *X);
    if (X == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory growing the stream to %zu points", need);
    s->X = X;
    double *Y = realloc(s->Y, cap * sizeof *Y);
    if (Y == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory growing the stream to %zu points", need);
    s->Y = Y;
    for (int i = 0; i < TR_COUNT; i++) {
        double *t = realloc(s->trace[i], cap * sizeof *t);
        if (t == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory growing traces to %zu points", need);
        s->trace[i] = t;
    }
    s->cap = cap;
    return BL_OK;
}

double
session_cov_scale(const struct session *s)
{
    struct model_weights w;
    if (s->m == NULL || s->mc->weights == NULL || !s->mc->weights(s->m, &w))
        return 1.0;
    return w.cov_scale;
}

/* The traces against the truth at arrival t (when the world knows it):
 * regret against the true density, and the instantaneous risk
 * KL(p*(.|x) || q_t) for a Gaussian truth and a Gaussian predictive (BLR,
 * GP: mean, var); NaN otherwise (docs/math.md §3.1). */
static void
record_truth(struct session *s, size_t t, const double *x, double y, double cum,
             const struct model_step *st)
{
    double **tr = s->trace, nan = (double)NAN;
    if (s->world == NULL || !world_knows_truth(s->world)) {
        tr[TR_REGRET_TRUTH][t] = tr[TR_RISK][t] = nan;
        return;
    }
    s->true_loss -= world_logpdf(s->world, x, y);
    tr[TR_REGRET_TRUTH][t] = cum - s->true_loss;
    double sd = world_noise(s->world);
    bool gaussian = world_nu(s->world) == 0 && st->gaussian;
    tr[TR_RISK][t] =
        gaussian ? regret_kl_gauss(world_mean(s->world, x), 1 / (sd * sd), st->mean, st->var) : nan;
}

bool
session_has_model(const struct session *s)
{
    return s->m != NULL;
}

int
session_predict(struct session *s, const double *x, double *mean, double *var, double *var_f,
                bl_err *err)
{
    if (s->m == NULL)
        return bl_fail(err, BL_ESTATE, "no model yet: choose one (e.g. model blr)");
    struct model_pred p;
    int rc = s->mc->predict(s->m, x, &p, err);
    if (rc == BL_OK) {
        *mean = p.mean;
        *var = p.var;
        *var_f = p.var_f;
    }
    return rc;
}

const char *
session_score_name(const struct session *s, bool key)
{
    const struct model_class *mc = s->mc;
    if (mc != NULL && mc->score_name != NULL)
        return key ? mc->score_key : mc->score_name;
    return key ? "log_evidence" : "log evidence";
}

double
session_log_evidence(const struct session *s)
{
    return s->m != NULL ? s->mc->log_evidence(s->m) : (double)NAN;
}

/* Store arrival t = s->n (the point is already in the stream): the
 * session's traces from the step, the class's from its row. */
static void
store_arrival(struct session *s, const double *x, double y, const struct model_step *st,
              const double *row)
{
    size_t t = s->n;
    double **tr = s->trace;
    double cum = (t ? tr[TR_CUM_LOGLOSS][t - 1] : 0) - st->logpred;
    for (int i = 0; i < TR_COUNT; i++)
        tr[i][t] = row[i];
    tr[TR_LOGLOSS][t] = -st->logpred;
    tr[TR_PRED_MEAN][t] = st->mean;
    tr[TR_PRED_SD][t] = sqrt(st->var);
    tr[TR_CUM_LOGLOSS][t] = cum;
    if (!(s->mc->traces & MODEL_TRACE(TR_LOG_EVIDENCE)))
        tr[TR_LOG_EVIDENCE][t] = -cum;
    record_truth(s, t, x, y, cum, st);
}

static void
row_clear(double *row)
{
    for (int i = 0; i < TR_COUNT; i++)
        row[i] = (double)NAN;
}

/* Record the model's view of arrival t = s->n (1-based) at x, y. */
static int
arrive(struct session *s, const double *x, double y, bl_err *err)
{
    struct model_step st;
    double row[TR_COUNT];
    int rc = s->mc->observe(s->m, x, y, &st, err);
    if (rc != BL_OK)
        return rc;
    row_clear(row);
    if (s->mc->record != NULL) {
        double cum = (s->n ? s->trace[TR_CUM_LOGLOSS][s->n - 1] : 0) - st.logpred;
        s->mc->record(s->m, cum, row);
    }
    store_arrival(s, x, y, &st, row);
    return BL_OK;
}

/* Feed the whole stream to a freshly built model (model change), in blocks
 * through the class's observe_block when it has one. */
#define LIVE_BLOCK_S 0.1 /* live: longest a block may keep the screen still */
#define REPLAY_BLOCK 256
#define LONG_BLOCK   4096

/* The block length of observe and replay, and where blocks end (multiples
 * of it in the stream). A weight-space model (it has a weight view) pays
 * O(B d^2) per block of B whatever B, and its hook's scratch grows with B:
 * 256. A kernel model's block extends its n x n factor, and every block
 * boundary costs a triangular solve against the factor so far and a pass of
 * the cross-kernel at BLAS-3 efficiency that grows with B, so in batch the
 * longest block is the fastest (docs/gp-blocks.md). Its scratch is B x
 * max(n, B) (none for a first block from empty): observe_blocks keeps B at
 * most 2n after the first, which keeps that below the growth of the factor
 * that `fits` allowed for. Live, a kernel model keeps 256, so the screen
 * redraws between blocks. */
static size_t
block_unit(const struct session *s)
{
    return s->mc->weights == NULL && !s->interactive ? LONG_BLOCK : REPLAY_BLOCK;
}

static int
replay(struct session *s, bl_err *err)
{
    size_t n = s->n, unit = block_unit(s);
    s->true_loss = 0;
    if (s->mc->observe_block == NULL) {
        for (size_t t = 0; t < n; t++) {
            s->n = t;
            int rc = arrive(s, s->X + t * s->in_dim, s->Y[t], err);
            if (rc != BL_OK) {
                s->n = n;
                return rc;
            }
            if (bl_cancelled(s->cancel)) {
                s->n = n;
                return bl_fail(err, BL_ECANCEL, "interrupted while refitting %zu points", n);
            }
            if ((t & 255) == 255)
                session_pump(s);
        }
        s->n = n;
        return BL_OK;
    }
    struct model_step *st = malloc(unit * sizeof *st);
    double *rows = malloc(unit * TR_COUNT * sizeof *rows);
    int rc = st && rows ? BL_OK : bl_fail(err, BL_ENOMEM, "out of memory");
    for (size_t t0 = 0; rc == BL_OK && t0 < n; t0 += unit) {
        size_t b = n - t0 < unit ? n - t0 : unit;
        double cum = t0 ? s->trace[TR_CUM_LOGLOSS][t0 - 1] : 0;
        for (size_t i = 0; i < b * TR_COUNT; i++)
            rows[i] = (double)NAN;
        rc = s->mc->observe_block(s->m, s->X + t0 * s->in_dim, s->in_dim, s->Y + t0, b, cum, st,
                                  rows, s->cancel, NULL, err);
        for (size_t i = 0; rc == BL_OK && i < b; i++) {
            s->n = t0 + i;
            store_arrival(s, s->X + (t0 + i) * s->in_dim, s->Y[t0 + i], &st[i],
                          rows + i * TR_COUNT);
        }
        if (rc == BL_OK && bl_cancelled(s->cancel))
            rc = bl_fail(err, BL_ECANCEL, "interrupted while refitting %zu points", n);
        session_pump(s);
    }
    s->n = n;
    free(st);
    free(rows);
    return rc;
}

int
session_set_world(struct session *s, world *w, gsl_rng *rng, bl_err *err)
{
    struct model_parts p = {0}, pb = {0};
    struct session *b = s->side_b;
    int rc;

    if (s->mc != NULL) {
        rc = build_parts(s->mc, s->mopts, w, &p, err);
        if (rc != BL_OK) {
            world_free(w);
            gsl_rng_free(rng);
            return rc;
        }
    }
    /* compare: side b's model is rebuilt for the new world too, first, so
     * that a failure changes nothing. */
    if (b != NULL && b->mc != NULL && (rc = build_parts(b->mc, b->mopts, w, &pb, err)) != BL_OK) {
        parts_free(s->mc, &p);
        world_free(w);
        gsl_rng_free(rng);
        return rc;
    }
    if (rng != NULL) {
        gsl_rng_free(s->rng);
        s->rng = rng;
    }
    /* The stream belongs to the old world. */
    stream_drop(s);
    size_t in_dim = world_in_dim(w);
    s->n = 0;
    s->in_dim = in_dim;
    world_free(s->world);
    s->world = w;
    s->subject_gen++;
    s->true_loss = 0;
    s->latest = LATEST_MODEL;
    if (s->mc != NULL) {
        struct model_parts old = parts_of(s);
        parts_free(s->mc, &old);
        put_parts(s, s->mc, &p);
    }
    if (b != NULL) {
        b->n = 0;
        b->in_dim = in_dim;
        b->world = w;
        b->true_loss = 0;
        if (b->mc != NULL) {
            struct model_parts old = parts_of(b);
            parts_free(b->mc, &old);
            put_parts(b, b->mc, &pb);
        }
        b->generation++;
    }
    s->generation++;
    return BL_OK;
}

int
session_set_model(struct session *s, const struct model_class *mc, const void *opts, bl_err *err)
{
    struct model_parts p = {0};
    int rc;

    void *nopts = malloc(mc->opts_size ? mc->opts_size : 1);
    if (nopts == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    memcpy(nopts, opts, mc->opts_size);
    if (s->world == NULL) {
        free(s->mopts);
        s->mopts = nopts;
        put_parts(s, mc, &p);
        s->latest = LATEST_MODEL;
        s->generation++;
        return BL_OK;
    }
    if ((mc->fits != NULL && (rc = mc->fits(nopts, s->n, err)) != BL_OK) ||
        (rc = build_parts(mc, nopts, s->world, &p, err)) != BL_OK) {
        free(nopts);
        return rc;
    }
    /* Swap in, replay; on failure swap the old model back. */
    struct model_parts old = parts_of(s);
    const struct model_class *old_mc = s->mc;
    double old_true = s->true_loss;
    double *saved[TR_COUNT] = {0};
    for (int i = 0; i < TR_COUNT && s->n > 0; i++) {
        saved[i] = malloc(s->n * sizeof(double));
        if (saved[i] == NULL) {
            for (int j = 0; j < i; j++)
                free(saved[j]);
            parts_free(mc, &p);
            free(nopts);
            return bl_fail(err, BL_ENOMEM, "out of memory");
        }
        memcpy(saved[i], s->trace[i], s->n * sizeof(double));
    }
    /* The replay pumps the front end, which draws the session: class,
     * options and instance must agree throughout. */
    void *old_opts = s->mopts;
    s->mopts = nopts;
    put_parts(s, mc, &p);
    rc = replay(s, err);
    if (rc != BL_OK) {
        parts_free(mc, &p);
        free(nopts);
        s->mopts = old_opts;
        put_parts(s, old_mc, &old);
        s->true_loss = old_true;
        for (int i = 0; i < TR_COUNT && s->n > 0; i++)
            memcpy(s->trace[i], saved[i], s->n * sizeof(double));
    } else {
        parts_free(old_mc, &old);
        free(old_opts);
        s->latest = LATEST_MODEL;
        s->generation++;
    }
    for (int i = 0; i < TR_COUNT; i++)
        free(saved[i]);
    return rc;
}

/* compare: the point at stream index t, from the world, or on side b from
 * the stream of the session it follows (the same numbers, never redrawn). */
static int
next_point(struct session *s, size_t t, double *x, double *y, bl_err *err)
{
    const struct session *a = s->side_of;
    if (a == NULL)
        return world_next(s->world, s->rng, x, y, err);
    if (t >= a->n)
        return bl_fail(err, BL_ESTATE, "side b is ahead of side a (%zu of %zu points)", t, a->n);
    memcpy(x, a->X + t * a->in_dim, a->in_dim * sizeof *x);
    *y = a->Y[t];
    return BL_OK;
}

/* Points one at a time: the live path, and a model without observe_block. */
static int
observe_points(struct session *s, size_t n, size_t *done, bl_err *err)
{
    double *x = malloc(s->in_dim * sizeof *x);
    if (x == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    int rc = BL_OK;
    for (; *done < n; ++*done) {
        if (bl_cancelled(s->cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "interrupted after %zu of %zu points (n = %zu)", *done, n,
                         s->n);
            break;
        }
        double y;
        if ((rc = grow(s, s->n + 1, err)) != BL_OK)
            break;
        if ((rc = next_point(s, s->n, x, &y, err)) != BL_OK)
            break;
        if ((*done & 63) == 63)
            session_pump(s);
        memcpy(s->X + s->n * s->in_dim, x, s->in_dim * sizeof *x);
        s->Y[s->n] = y;
        if (session_has_model(s) && (rc = arrive(s, x, y, err)) != BL_OK) {
            /* The model refused the point (not finite): drop it. */
            break;
        }
        s->n++;
    }
    free(x);
    return rc;
}

/* The next block's points, drawn while the model takes the current block:
 * the class runs this as its side work (struct model_side), on the thread
 * of its shorter filter. The world and its generator are touched by this
 * work alone meanwhile (the class's observe_block sees only the rows it is
 * given), so the points are the same numbers in the same order as drawn
 * inline. No pump here: the screen belongs to the main thread. */
struct prefetch {
    struct session *s;
    size_t t0, k, got;
    bool ran;
    int rc;
    bl_err err;
};

/* k points from the world into the stream at t0..t0+k-1 (room grown
 * already); *got: how many before an error. pump: tick the screen now and
 * then (the main thread only). */
static int
draw_points(struct session *s, size_t t0, size_t k, bool pump, size_t *got, bl_err *err)
{
    int rc = BL_OK;
    for (*got = 0; *got < k; ++*got) {
        size_t t = t0 + *got;
        if ((rc = next_point(s, t, s->X + t * s->in_dim, &s->Y[t], err)) != BL_OK)
            break;
        if (pump && (*got & 63) == 63)
            session_pump(s);
    }
    return rc;
}

static void *
prefetch_run(void *p)
{
    struct prefetch *f = p;
    f->ran = true;
    f->rc = draw_points(f->s, f->t0, f->k, false, &f->got, &f->err);
    return NULL;
}

/* Below this many input numbers a block's points are drawn inline: handing
 * them to the class costs more than the drawing it hides. */
#define PREFETCH_MIN 4096

/* The length of the block that starts at stream index t0 with `done` of n
 * points taken (blocks end on multiples of unit, as a replay's do). */
static size_t
block_len(size_t t0, size_t done, size_t n, size_t unit, size_t bmax)
{
    size_t k = unit - t0 % unit;
    if (k > n - done)
        k = n - done;
    if (k > bmax)
        k = bmax;
    if (t0 > 0 && k > REPLAY_BLOCK && k > 2 * t0) /* the scratch bound of block_unit */
        k = 2 * t0 > REPLAY_BLOCK ? 2 * t0 : REPLAY_BLOCK;
    return k;
}

/* Points in blocks through the class's observe_block (docs/blocks.md). A
 * block ends where a replay's would (a multiple of block_unit in the
 * stream), so observing and replaying cut the stream alike and give the same
 * traces bit for bit. Cancel is checked between blocks (and by a kernel
 * model inside its Gram), the pump ticked while points are drawn and after
 * each block (a block of 256 at d = 256 is a few milliseconds). While the
 * model takes a block, the next block's points are drawn beside it
 * (struct prefetch); points drawn that way always arrive, so an interrupt
 * takes effect after them and the stream skips nothing. */
#define PREGROW_MAX 65536 /* points observe_blocks reserves room for at once */

static int
observe_blocks(struct session *s, size_t n, size_t *done, bl_err *err)
{
    size_t unit = block_unit(s), bmax = unit;
    struct model_step *st = malloc(unit * sizeof *st);
    double *rows = malloc(unit * TR_COUNT * sizeof *rows);
    int rc = st && rows ? BL_OK : bl_fail(err, BL_ENOMEM, "out of memory");
    /* The stream at its final length at once (up to PREGROW_MAX points):
     * growing it by doubling block after block copied it and faulted its
     * pages in several times over. */
    size_t left = world_remaining(s->world), more = n < left ? n : left;
    if (rc == BL_OK && more > 0)
        rc = grow(s, s->n + (more < PREGROW_MAX ? more : PREGROW_MAX), err);
    struct prefetch pre = {.s = s}; /* pre.k > 0: the points at s->n are drawn already */
    while (rc == BL_OK && *done < n) {
        if (pre.k == 0 && bl_cancelled(s->cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "interrupted after %zu of %zu points (n = %zu)", *done, n,
                         s->n);
            break;
        }
        size_t t0 = s->n, k = pre.k > 0 ? pre.k : block_len(t0, *done, n, unit, bmax), got = 0;
        double b0 = clock_now();
        if ((rc = grow(s, t0 + k, err)) != BL_OK)
            break;
        if (pre.k > 0) {
            got = pre.got;
            if ((rc = pre.rc) != BL_OK && err != NULL)
                *err = pre.err;
            pre.k = 0;
        } else {
            rc = draw_points(s, t0, k, true, &got, err);
        }
        if (got == 0)
            break;
        /* The next block's points, beside this one (not after an error or
         * an interrupt: the block below is then the last). */
        struct model_side side = {prefetch_run, &pre};
        bool ahead = false;
        if (rc == BL_OK && *done + got < n && !bl_cancelled(s->cancel)) {
            size_t k2 = block_len(t0 + got, *done + got, n, unit, bmax);
            if (k2 * s->in_dim >= PREFETCH_MIN && grow(s, t0 + got + k2, err) == BL_OK) {
                pre = (struct prefetch){.s = s, .t0 = t0 + got, .k = k2};
                ahead = true;
            }
        }
        for (size_t i = 0; i < got * TR_COUNT; i++)
            rows[i] = (double)NAN;
        double cum = t0 ? s->trace[TR_CUM_LOGLOSS][t0 - 1] : 0;
        bl_err berr;
        int brc = s->mc->observe_block(s->m, s->X + t0 * s->in_dim, s->in_dim, s->Y + t0, got,
                                       cum, st, rows, s->cancel, ahead ? &side : NULL, &berr);
        if (ahead && !pre.ran)
            pre.k = 0; /* the class left the drawing to us: next time round */
        if (brc == BL_OK) {
            for (size_t i = 0; i < got; i++, s->n++, ++*done)
                store_arrival(s, s->X + s->n * s->in_dim, s->Y[s->n], &st[i], rows + i * TR_COUNT);
        } else if (brc == BL_ECANCEL) {
            /* The instance is as before the block; its points never arrived. */
            rc = bl_fail(err, BL_ECANCEL, "interrupted after %zu of %zu points (n = %zu)", *done, n,
                         s->n);
        } else {
            /* The block refused a point (not finite) or failed. Whatever the
             * class left behind, rebuild the instance from the stream so far
             * (a replay, which restores the old one if it fails), then take
             * the block one point at a time: that keeps the points before a
             * refused one and names it, as observe_points does. */
            int prc = session_set_model(s, s->mc, s->mopts, err);
            for (size_t i = 0; i < got && prc == BL_OK; i++) {
                prc = arrive(s, s->X + s->n * s->in_dim, s->Y[s->n], err);
                if (prc == BL_OK)
                    s->n++, ++*done;
            }
            if (prc != BL_OK)
                rc = prc;
        }
        /* Live, a block that kept the screen frozen for long (a slow
         * kernel's rows) is split for the next ones, so keys echo and the
         * status redraws at least a few times a second; blocks still end
         * where a replay's would. Batch keeps whole blocks (reproducible). */
        if (s->interactive && clock_now() - b0 > LIVE_BLOCK_S && bmax > 1)
            bmax = (got < bmax ? got : bmax) / 2 > 0 ? (got < bmax ? got : bmax) / 2 : 1;
        session_pump(s);
    }
    free(st);
    free(rows);
    return rc;
}

static int
observe_n(struct session *s, size_t n, bool live, struct out *out, bl_err *err)
{
    if (s->world == NULL)
        return bl_fail(err, BL_ESTATE, "no data yet: choose a world first (e.g. data linear d=3)");
    if (session_has_model(s) && s->mc->fits != NULL) {
        size_t left = world_remaining(s->world), more = n < left ? n : left;
        int rc = s->mc->fits(s->mopts, s->n + more, err);
        if (rc != BL_OK)
            return rc;
    }
    struct session *b = s->side_b; /* compare: refuse what side b cannot hold, before any work */
    if (b != NULL && session_has_model(b) && b->mc->fits != NULL) {
        size_t left = world_remaining(s->world), more = n < left ? n : left;
        int rc = b->mc->fits(b->mopts, s->n + more, err);
        if (rc != BL_OK)
            return rc;
    }
    size_t done = 0;
    bool blocks = !live && n > 1 && session_has_model(s) && s->mc->observe_block != NULL;
    int rc = blocks ? observe_blocks(s, n, &done, err) : observe_points(s, n, &done, err);
    if (done > 0)
        s->generation++;
    /* compare: side b gets the arrivals side a kept, by the same path
     * (observe N in blocks, the live stream point by point); it is not
     * interruptible (b->cancel is NULL), so both sides end with the same n. */
    if (b != NULL && b->n < s->n) {
        bl_err berr = {0};
        int brc = observe_n(b, s->n - b->n, live, out, &berr);
        if (brc != BL_OK) {
            out_printf(out, "side b dropped: %s", berr.msg);
            session_compare_clear(s);
        }
    }
    if (rc == BL_ESTATE && done > 0)
        out_printf(out, "observed %zu of %zu points (n = %zu)", done, n, s->n);
    return rc;
}

int
session_observe(struct session *s, size_t n, struct out *out, bl_err *err)
{
    return observe_n(s, n, false, out, err);
}

int
session_stream(struct session *s, size_t n, struct out *out, bl_err *err)
{
    return observe_n(s, n, true, out, err);
}

int
session_optimize(struct session *s, struct out *out, bl_err *err)
{
    if (s->mc == NULL)
        return bl_fail(err, BL_ESTATE, "no model to optimize: choose one first (model blr)");
    if (s->mc->optimize == NULL)
        return bl_fail(err, BL_ESTATE, "model %s has no hyperparameters to optimize",
                       s->mc->subject.name);
    return s->mc->optimize(s, out, err);
}

int
session_features(struct session *s, const double *x, size_t len, bl_err *err)
{
    if (s->feat == NULL)
        return bl_fail(err, BL_ESTATE, "no model yet: choose one first (model blr)");
    if (len != s->in_dim)
        return bl_fail(err, BL_EINVAL, "x has %zu number%s, the inputs have %zu", len,
                       len == 1 ? "" : "s", s->in_dim);
    features_map(s->feat, x, s->phi);
    return BL_OK;
}

void
session_describe_model(const struct session *s, char *buf, size_t size)
{
    if (s->mc == NULL)
        snprintf(buf, size, "none");
    else
        s->mc->describe(s->mopts, s->m, buf, size);
}

/* The posterior of the session's model, as of now. SGLD on a known-noise
 * model gets the data-backed form (the stream's feature rows), so that
 * minibatches exist; every other sampler the O(d^2) statistics form. */
target *
session_posterior_target(struct session *s, const struct sampler_setup *o, bl_err *err)
{
    if (s->mc == NULL)
        return bl_fail(err, BL_ESTATE, "no model: model blr, or target=banana"), NULL;
    if (s->m == NULL && s->world == NULL)
        return bl_fail(err, BL_ESTATE,
                       "no data yet: the posterior needs a world (data linear d=2), or target=banana"),
               NULL;
    if (s->m == NULL || s->mc->target == NULL)
        return bl_fail(err, BL_ESTATE,
                       "target=posterior needs a blr or nig model (model blr), or target=banana"),
               NULL;
    return s->mc->target(s->m, s, o->kind == &sampler_type_sgld, err);
}

struct sampler_job *
session_sampler_new(struct session *s, const struct sampler_setup *o, bl_err *err)
{
    if (o->tid != SMP_POSTERIOR)
        return sampler_job_new(o, NULL, NULL, s->seed, err);
    target *t = session_posterior_target(s, o, err);
    if (t == NULL)
        return NULL;
    char model[160] = "";
    session_describe_model(s, model, sizeof model);
    const struct smp_model m = {.desc = model, .n = s->n, .dim = s->dim, .mean = blr_mean(s->blr)};
    return sampler_job_new(o, t, &m, s->seed, err);
}

bool
session_sampler_current(const struct session *s)
{
    return s->smp != NULL && s->blr != NULL &&
           sampler_job_matches(s->smp, s->n, s->dim, blr_mean(s->blr));
}

void
session_set_instrument(struct session *s, struct instrument *in)
{
    instrument_free(s->inst);
    s->inst = in;
    if (in != NULL)
        job_set_add(&s->jobs, &instrument_job_class, in);
    else
        job_set_remove(&s->jobs, &instrument_job_class);
    if (in != NULL)
        s->latest = LATEST_INSTRUMENT;
    else if (s->latest == LATEST_INSTRUMENT)
        s->latest = s->smp != NULL ? LATEST_SAMPLER : s->mc != NULL ? LATEST_MODEL : LATEST_NONE;
    s->generation++;
}

void
session_set_sampler(struct session *s, struct sampler_job *j)
{
    sampler_job_free(s->smp);
    s->smp = j;
    if (j != NULL)
        job_set_add(&s->jobs, &sampler_job_class, j);
    else
        job_set_remove(&s->jobs, &sampler_job_class);
    if (j != NULL)
        s->latest = LATEST_SAMPLER;
    else if (s->latest == LATEST_SAMPLER)
        s->latest = s->inst != NULL ? LATEST_INSTRUMENT
                    : s->mc != NULL ? LATEST_MODEL
                                    : LATEST_NONE;
    s->generation++;
}

struct run_ctx
session_run_ctx(struct session *s)
{
    return (struct run_ctx){.cancel = s->cancel, .live = s->interactive, .pump = &s->pump};
}

/* compare (docs/compare.md) ------------------------------------------------ */

static void
quiet_line(void *ctx, enum out_kind kind, const char *text)
{
    (void)ctx;
    (void)kind;
    (void)text;
}

struct session *
session_follower_new(struct session *s, const struct model_class *mc, const void *opts,
                     bl_err *err)
{
    if (mc == NULL && (mc = s->mc) != NULL)
        opts = s->mopts;
    struct session *b = session_alloc(err);
    if (b == NULL)
        return NULL;
    b->side_of = s;
    b->world = s->world;
    b->in_dim = s->in_dim;
    b->interactive = s->interactive;
    b->fkeys = s->fkeys;
    b->pump = s->pump;
    b->term_cols = s->term_cols;
    b->term_rows = s->term_rows;
    session_seed(b, s->seed);
    /* Fed s's stream as `observe n` would feed a fresh session: blocks
     * ending on multiples of 256, the same numbers bit for bit. */
    /* Making side b (a replay of the whole stream) may be interrupted like
     * any replay; feeding it later is not (both sides keep the same n). */
    b->cancel = s->cancel;
    int rc = BL_OK;
    if (mc != NULL) {
        if (s->world != NULL && mc->fits != NULL)
            rc = mc->fits(opts, s->n, err);
        if (rc == BL_OK)
            rc = session_set_model(b, mc, opts, err);
    }
    struct out quiet = {quiet_line, NULL};
    if (rc == BL_OK && s->world != NULL && s->n > 0)
        rc = observe_n(b, s->n, false, &quiet, err);
    b->cancel = NULL;
    if (rc != BL_OK) {
        session_free(b);
        return NULL;
    }
    return b;
}

void
session_compare_clear(struct session *s)
{
    if (s->side_b == NULL)
        return;
    job_set_remove(&s->jobs, &side_b_sample_class);
    job_set_remove(&s->jobs, &side_b_train_class);
    session_free(s->side_b);
    s->side_b = NULL;
    s->subject_gen++;
    s->generation++;
}

/* Side b's sampler runs beside side a's in a's job set: the sampler's own
 * hooks on side b's sampler, under a class of its own (one job per class).
 * self is side a: side b never runs ahead of side a's iteration count (the
 * front end budgets each job by its own cost, so a cheap random walk would
 * otherwise outrun HMC), so pausing side a holds side b, and side b's job
 * ends once side a's has and side b has caught up. */
static size_t
side_b_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct session *s = self;
    struct job *a = job_set_find(&s->jobs, &sampler_job_class);
    struct job *me = job_set_find(&s->jobs, &side_b_sample_class);
    if (s->side_b == NULL || s->side_b->smp == NULL || s->smp == NULL)
        return 0;
    size_t ai = s->smp->iter, bi = s->side_b->smp->iter, k = ai > bi ? ai - bi : 0;
    if (k == 0 && (a == NULL || !a->pace.active) && me != NULL) {
        me->pace.remaining = 0; /* job_advance ends it */
        return 0;
    }
    return k == 0 ? 0 : sampler_job_class.advance(s->side_b->smp, k < n ? k : n, ctx, out, err);
}

static void
side_b_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    /* Side a's sampler reports its own run and a stop; a run side b
     * finished gets its own line, as in batch mode. */
    struct session *s = self;
    (void)err;
    if (how == JOB_DONE && s->side_b != NULL && s->side_b->smp != NULL) {
        sampler_job_refresh(s->side_b->smp, true);
        sampler_job_summary(s->side_b->smp, "side b ", out);
    }
}

static void
side_b_describe(const void *self, char *buf, size_t size)
{
    const struct session *s = self;
    if (s->side_b == NULL || s->side_b->smp == NULL)
        snprintf(buf, size, "%s", "");
    else
        sampler_job_class.describe(s->side_b->smp, buf, size);
}

static void
side_b_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    const struct session *s = self;
    if (s->side_b == NULL || s->side_b->smp == NULL)
        snprintf(buf, size, "%s", "");
    else
        sampler_job_class.describe_step(s->side_b->smp, done, buf, size);
}

const struct job_class side_b_sample_class = {
    .name = "sample b",
    .verb = "sampling b",
    .unit = "iterations",
    .first_budget = 1,
    .advance = side_b_advance,
    .end = side_b_end,
    .describe = side_b_describe,
    .describe_step = side_b_describe_step,
};
