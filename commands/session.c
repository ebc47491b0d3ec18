/* commands/session.c - the session: world, stream, model, traces.
 *
 * Per arrival (session_observe -> arrive) the work is O(d^2): one feature map,
 * one blr_observe (rank-1 Cholesky update), one hindsight update, one
 * triangular solve for w*^T A^-1 w*. Anything costlier (covariance, ball mass)
 * is computed in session_show, when asked. See docs/regret.md for what each
 * trace means exactly. */
#include "commands/session.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "commands/memlimit.h"
#include "core/stats/concentration.h"

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
    [TR_REGRET_CLOSED] = {"regret_closed_form", "E_y R_n(w*) in closed form (MATH.md 3.2)"},
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
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (s->rng == NULL) {
        free(s);
        bl_fail(err, BL_ENOMEM, "out of memory");
        return NULL;
    }
    s->ball_radius = 0.1;
    view_init(&s->view);
    session_seed(s, 1);
    s->bopts = (blr_opts){.kind = BLR_KNOWN, .alpha = 1, .beta = 1, .v0 = 1, .a0 = 1, .b0 = 1};
    s->fopts = (feat_opts){.kind = FEAT_IDENTITY};
    return s;
}

/* The model's objects, built together so that a failure changes nothing. */
struct model_parts {
    features *feat;
    blr_model *blr;
    gp *gp;
    regret_rls *hind;
    double *phi, *tmp, *wstar;
    size_t dim;
};

static void
parts_free(struct model_parts *p)
{
    features_free(p->feat);
    blr_free(p->blr);
    gp_free(p->gp);
    regret_rls_free(p->hind);
    free(p->phi);
    free(p->tmp);
    free(p->wstar);
    memset(p, 0, sizeof *p);
}

static struct model_parts
parts_of(const struct session *s)
{
    return (struct model_parts){s->feat, s->blr, s->gp, s->hind, s->phi, s->tmp, s->wstar, s->dim};
}

static void
put_parts(struct session *s, const struct model_parts *p)
{
    s->feat = p->feat;
    s->blr = p->blr;
    s->gp = p->gp;
    s->hind = p->hind;
    s->phi = p->phi;
    s->tmp = p->tmp;
    s->wstar = p->wstar;
    s->dim = p->dim;
}

/* Replace the session's model objects by *p (which is emptied). */
static void
take_parts(struct session *s, struct model_parts *p)
{
    struct model_parts old = parts_of(s);
    parts_free(&old);
    put_parts(s, p);
    memset(p, 0, sizeof *p);
}

void
session_free(struct session *s)
{
    if (s == NULL)
        return;
    struct model_parts p = parts_of(s);
    parts_free(&p);
    world_free(s->world);
    instrument_free(s->inst);
    sampler_job_free(s->smp);
    gsl_rng_free(s->rng);
    free(s->X);
    free(s->Y);
    for (int i = 0; i < TR_COUNT; i++)
        free(s->trace[i]);
    free(s);
}

void
session_seed(struct session *s, unsigned long seed)
{
    s->seed = seed;
    gsl_rng_set(s->rng, seed);
    s->generation++;
}

/* The truth in the model's feature coordinates, when the model's feature map
 * contains the world's native one: identity (+bias: a leading 0) for linear
 * worlds, the same Fourier basis (any K' >= K: zero padded) for fourier
 * worlds. Otherwise NULL: the truth is not a point of the model. */
static double *
truth_in_features(const world *w, const feat_opts *fo, size_t dim)
{
    if (w == NULL || !world_knows_truth(w))
        return NULL;
    feat_opts nat;
    size_t len;
    world_native_features(w, &nat);
    const double *t = world_truth(w, &len);
    double *ws = calloc(dim, sizeof *ws);
    if (ws == NULL || t == NULL)
        goto none;
    if (nat.kind == FEAT_IDENTITY && fo->kind == FEAT_IDENTITY) {
        size_t off = fo->bias ? 1 : 0;
        if (len + off != dim)
            goto none;
        memcpy(ws + off, t, len * sizeof *t);
        return ws;
    }
    if (nat.kind == FEAT_FOURIER && fo->kind == FEAT_FOURIER && fo->m >= nat.m && len <= dim) {
        memcpy(ws, t, len * sizeof *t);
        return ws;
    }
none:
    free(ws);
    return NULL;
}

static int
build_gp(const world *w, const struct gp_setup *gs, struct model_parts *p, bl_err *err)
{
    memset(p, 0, sizeof *p);
    kernel *k = kernel_parse(gs->kernel, world_in_dim(w), err);
    if (k == NULL)
        return err ? err->code : BL_EINVAL;
    p->gp = gp_alloc(k, gs->noise * gs->noise, err); /* takes k, also on failure */
    if (p->gp == NULL)
        return err ? err->code : BL_EINVAL;
    return BL_OK;
}

static int
build_parts(const struct session *s, const world *w, enum model_kind kind, const blr_opts *bo,
            const feat_opts *fo, const struct gp_setup *gs, struct model_parts *p, bl_err *err)
{
    if (kind == MODEL_GP || kind == MODEL_TP)
        return build_gp(w, gs, p, err);
    size_t in_dim = world_in_dim(w);
    double *lo = malloc(in_dim * sizeof *lo), *hi = malloc(in_dim * sizeof *hi);
    int rc = BL_OK;

    (void)s;
    memset(p, 0, sizeof *p);
    if (lo == NULL || hi == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    world_input_range(w, lo, hi);
    p->feat = features_alloc(in_dim, fo, lo, hi, err);
    if (p->feat == NULL) {
        rc = err ? err->code : BL_EINVAL;
        goto fail;
    }
    p->dim = features_dim(p->feat);
    blr_opts o = *bo;
    o.kind = kind == MODEL_NIG ? BLR_NIG : BLR_KNOWN;
    p->blr = blr_alloc(p->dim, &o, err);
    if (p->blr == NULL) {
        rc = err ? err->code : BL_EINVAL;
        goto fail;
    }
    p->hind = regret_rls_alloc(p->dim, err);
    p->phi = malloc(p->dim * sizeof *p->phi);
    p->tmp = malloc(p->dim * sizeof *p->tmp);
    if (p->hind == NULL || p->phi == NULL || p->tmp == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory (feature dimension %zu)", p->dim);
        goto fail;
    }
    p->wstar = truth_in_features(w, fo, p->dim);
    free(lo);
    free(hi);
    return BL_OK;
fail:
    free(lo);
    free(hi);
    parts_free(p);
    return rc;
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

static double
dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

double
session_cov_scale(const struct session *s)
{
    if (s->model != MODEL_NIG)
        return 1.0;
    double a = blr_nig_a(s->blr);
    return a > 1 ? blr_nig_b(s->blr) / (a - 1) : (double)INFINITY;
}

/* The traces against the truth at arrival t (when the world knows it):
 * regret against the true density, and the instantaneous risk
 * KL(p*(.|x) || q_t) for a Gaussian truth and a Gaussian predictive (BLR,
 * GP: mean, var); NaN otherwise (MATH.md 3.1). */
static void
record_truth(struct session *s, size_t t, const double *x, double y, double cum, double mean,
             double var)
{
    double **tr = s->trace, nan = (double)NAN;
    if (s->world == NULL || !world_knows_truth(s->world)) {
        tr[TR_REGRET_TRUTH][t] = tr[TR_RISK][t] = nan;
        return;
    }
    s->true_loss -= world_logpdf(s->world, x, y);
    tr[TR_REGRET_TRUTH][t] = cum - s->true_loss;
    double sd = world_noise(s->world);
    bool gaussian = world_nu(s->world) == 0 && (s->model == MODEL_BLR || s->model == MODEL_GP);
    tr[TR_RISK][t] =
        gaussian ? regret_kl_gauss(world_mean(s->world, x), 1 / (sd * sd), mean, var) : nan;
}

bool
session_has_model(const struct session *s)
{
    return s->blr != NULL || s->gp != NULL;
}

int
session_predict(struct session *s, const double *x, double *mean, double *var, double *var_f,
                bl_err *err)
{
    if (s->blr != NULL) {
        blr_pred pr;
        features_map(s->feat, x, s->phi);
        blr_predict(s->blr, s->phi, &pr);
        *mean = pr.mean;
        *var = pr.var;
        *var_f = pr.var_f;
        return BL_OK;
    }
    if (s->gp == NULL)
        return bl_fail(err, BL_ESTATE, "no model yet: choose one (e.g. model blr)");
    if (s->model == MODEL_GP)
        return gp_predict(s->gp, x, 1, mean, var_f, var, NULL, err);
    const gp_scale_prior *pr = &s->gps.prior;
    if (pr->kind == GP_SCALE_INVGAMMA) {
        gp_tp_pred tp;
        int rc = gp_tp_predict(s->gp, pr->p1, pr->p2, x, 1, &tp, err);
        if (rc == BL_OK) {
            double f = tp.df > 2 ? tp.df / (tp.df - 2) : (double)INFINITY;
            *mean = tp.loc;
            *var = tp.var;
            *var_f = tp.scale2_f * f;
        }
        return rc;
    }
    /* Other scale priors: the scale mixture by quadrature (MATH.md 5.2). */
    gp_scale_result r;
    int rc = gp_scale_quad(s->gp, pr, x, 0, &r, err);
    if (rc == BL_OK) {
        *mean = r.pred_mean;
        *var = r.pred_var;
        *var_f = fmax(r.pred_var - r.mean_s * gp_noise(s->gp), 0);
    }
    return rc;
}

/* The GP/TP view of an arrival: the one-step predictive (scored before the
 * update), then the O(n^2) extension of the factor. Traces that only BLR
 * defines (hindsight, closed forms, covariance) are NaN. */
static int
arrive_gp(struct session *s, const double *x, double y, bl_err *err)
{
    size_t t = s->n;
    double mean, var, var_f, lp = 0, nan = (double)NAN;
    int rc = session_predict(s, x, &mean, &var, &var_f, err);
    if (rc != BL_OK)
        return rc;
    const gp_scale_prior *pr = &s->gps.prior;
    if (s->model == MODEL_TP) {
        if (pr->kind == GP_SCALE_INVGAMMA) {
            rc = gp_tp_logpdf(s->gp, pr->p1, pr->p2, x, y, &lp, err);
        } else {
            gp_scale_result r;
            rc = gp_scale_quad(s->gp, pr, x, y, &r, err);
            lp = r.logpdf;
        }
        if (rc != BL_OK)
            return rc;
    }
    double lp_gp;
    if ((rc = gp_observe(s->gp, x, y, &lp_gp, err)) != BL_OK)
        return rc;
    if (s->model == MODEL_GP)
        lp = lp_gp;
    double **tr = s->trace;
    double cum = (t ? tr[TR_CUM_LOGLOSS][t - 1] : 0) - lp;
    tr[TR_LOGLOSS][t] = -lp;
    tr[TR_PRED_MEAN][t] = mean;
    tr[TR_PRED_SD][t] = sqrt(var);
    tr[TR_CUM_LOGLOSS][t] = cum;
    double lml = -cum; /* the chain rule; closed forms where they exist: */
    if (s->model == MODEL_GP)
        lml = gp_log_ml(s->gp);
    else if (pr->kind == GP_SCALE_INVGAMMA && gp_tp_log_ml(s->gp, pr->p1, pr->p2, &lml, NULL))
        lml = -cum;
    tr[TR_LOG_EVIDENCE][t] = lml;
    record_truth(s, t, x, y, cum, mean, var);
    tr[TR_REGRET_HINDSIGHT][t] = tr[TR_REGRET_CLOSED][t] = tr[TR_BOUND][t] = nan;
    tr[TR_ASYMPTOTE][t] = tr[TR_TRACE_COV][t] = tr[TR_LOGDET_COV][t] = nan;
    tr[TR_DIST_TRUTH][t] = nan;
    return BL_OK;
}

/* Record the model's view of arrival t = s->n (1-based) at x, y. */
static int
arrive(struct session *s, const double *x, double y, bl_err *err)
{
    size_t t = s->n; /* index into traces; the point is already in the stream */
    blr_pred pred;
    double logpred;
    int rc;

    if (s->gp != NULL)
        return arrive_gp(s, x, y, err);
    features_map(s->feat, x, s->phi);
    if ((rc = blr_observe(s->blr, s->phi, y, &pred, &logpred, err)) != BL_OK)
        return rc;
    if ((rc = regret_rls_observe(s->hind, s->phi, y, err)) != BL_OK)
        return rc;

    double **tr = s->trace;
    size_t d = s->dim;
    double nn = (double)(t + 1);
    double cum = (t ? tr[TR_CUM_LOGLOSS][t - 1] : 0) - logpred;
    tr[TR_LOGLOSS][t] = -logpred;
    tr[TR_PRED_MEAN][t] = pred.mean;
    tr[TR_PRED_SD][t] = sqrt(pred.var);
    tr[TR_CUM_LOGLOSS][t] = cum;
    tr[TR_LOG_EVIDENCE][t] = blr_log_evidence(s->blr);

    double nan = (double)NAN;
    record_truth(s, t, x, y, cum, pred.mean, pred.var);
    double best = s->model == MODEL_NIG ? regret_rls_min_loss_profile(s->hind)
                                        : regret_rls_min_loss(s->hind, s->bopts.beta);
    tr[TR_REGRET_HINDSIGHT][t] = cum - best;

    double scale = session_cov_scale(s);
    double logdet_a = blr_logdet_prec(s->blr);
    tr[TR_TRACE_COV][t] = scale * blr_trace_inv_prec(s->blr);
    tr[TR_LOGDET_COV][t] = (double)d * log(scale) - logdet_a;

    if (s->model == MODEL_BLR) {
        double alpha = s->bopts.alpha, beta = s->bopts.beta;
        const double *w = s->wstar;
        if (w == NULL) {
            regret_rls_w(s->hind, s->tmp);
            w = s->tmp;
        }
        double ww = dot(w, w, d);
        tr[TR_BOUND][t] = regret_bound(d, alpha, logdet_a, ww);
        if (s->wstar != NULL) {
            double wsw = blr_quad_inv_prec(s->blr, s->wstar);
            tr[TR_REGRET_CLOSED][t] =
                regret_expected(d, alpha, logdet_a, blr_trace_inv_prec(s->blr), ww, wsw);
            tr[TR_ASYMPTOTE][t] = regret_asymptote(d, nn, alpha, beta, ww);
        } else {
            tr[TR_REGRET_CLOSED][t] = nan;
            tr[TR_ASYMPTOTE][t] = regret_asymptote(d, nn, alpha, beta, 0);
        }
    } else {
        tr[TR_BOUND][t] = tr[TR_REGRET_CLOSED][t] = tr[TR_ASYMPTOTE][t] = nan;
    }
    if (s->wstar != NULL) {
        const double *m = blr_mean(s->blr);
        double dd = 0;
        for (size_t i = 0; i < d; i++)
            dd += (m[i] - s->wstar[i]) * (m[i] - s->wstar[i]);
        tr[TR_DIST_TRUTH][t] = sqrt(dd);
    } else {
        tr[TR_DIST_TRUTH][t] = nan;
    }
    return BL_OK;
}

/* Feed the whole stream to freshly built model parts (model change). */
static int
replay(struct session *s, bl_err *err)
{
    size_t n = s->n;
    s->true_loss = 0;
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

int
session_set_world(struct session *s, world *w, gsl_rng *rng, bl_err *err)
{
    struct model_parts p = {0};
    int rc;

    if (s->model != MODEL_NONE) {
        rc = build_parts(s, w, s->model, &s->bopts, &s->fopts, &s->gps, &p, err);
        if (rc != BL_OK) {
            world_free(w);
            gsl_rng_free(rng);
            return rc;
        }
    }
    if (rng != NULL) {
        gsl_rng_free(s->rng);
        s->rng = rng;
    }
    /* The stream belongs to the old world: drop it; grow() reallocates. */
    free(s->X);
    free(s->Y);
    s->X = s->Y = NULL;
    for (int i = 0; i < TR_COUNT; i++) {
        free(s->trace[i]);
        s->trace[i] = NULL;
    }
    s->cap = 0;
    size_t in_dim = world_in_dim(w);
    s->n = 0;
    s->in_dim = in_dim;
    world_free(s->world);
    s->world = w;
    s->true_loss = 0;
    if (s->model != MODEL_NONE)
        take_parts(s, &p);
    s->generation++;
    return BL_OK;
}

int
session_set_model(struct session *s, enum model_kind kind, const blr_opts *bo, const feat_opts *fo,
                  const struct gp_setup *gs, bl_err *err)
{
    struct model_parts p = {0};
    int rc;

    /* Options of the family not chosen stay as they were. */
    blr_opts nbo = bo != NULL ? *bo : s->bopts;
    feat_opts nfo = fo != NULL ? *fo : s->fopts;
    struct gp_setup ngs = gs != NULL ? *gs : s->gps;
    if (s->world == NULL) {
        s->model = kind;
        s->bopts = nbo;
        s->fopts = nfo;
        s->gps = ngs;
        s->generation++;
        return BL_OK;
    }
    if ((rc = mem_check_replay(s->n, kind == MODEL_GP || kind == MODEL_TP, err)) != BL_OK ||
        (rc = build_parts(s, s->world, kind, &nbo, &nfo, &ngs, &p, err)) != BL_OK)
        return rc;
    /* Swap in, replay; on failure swap the old model back. */
    struct model_parts old = parts_of(s);
    enum model_kind old_kind = s->model;
    blr_opts old_bo = s->bopts;
    feat_opts old_fo = s->fopts;
    struct gp_setup old_gs = s->gps;
    double old_true = s->true_loss;
    double *saved[TR_COUNT] = {0};
    for (int i = 0; i < TR_COUNT && s->n > 0; i++) {
        saved[i] = malloc(s->n * sizeof(double));
        if (saved[i] == NULL) {
            for (int j = 0; j < i; j++)
                free(saved[j]);
            parts_free(&p);
            return bl_fail(err, BL_ENOMEM, "out of memory");
        }
        memcpy(saved[i], s->trace[i], s->n * sizeof(double));
    }
    put_parts(s, &p);
    s->model = kind;
    s->bopts = nbo;
    s->fopts = nfo;
    s->gps = ngs;
    rc = replay(s, err);
    if (rc != BL_OK) {
        parts_free(&p);
        put_parts(s, &old);
        s->model = old_kind;
        s->bopts = old_bo;
        s->fopts = old_fo;
        s->gps = old_gs;
        s->true_loss = old_true;
        for (int i = 0; i < TR_COUNT && s->n > 0; i++)
            memcpy(s->trace[i], saved[i], s->n * sizeof(double));
    } else {
        parts_free(&old);
        s->generation++;
    }
    for (int i = 0; i < TR_COUNT; i++)
        free(saved[i]);
    return rc;
}

int
session_observe(struct session *s, size_t n, struct out *out, bl_err *err)
{
    if (s->world == NULL)
        return bl_fail(err, BL_ESTATE, "no data yet: choose a world first (e.g. data linear d=3)");
    double *x = malloc(s->in_dim * sizeof *x);
    if (x == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    int rc = BL_OK;
    size_t done = 0;
    for (; done < n; done++) {
        if (bl_cancelled(s->cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "interrupted after %zu of %zu points (n = %zu)", done, n,
                         s->n);
            break;
        }
        double y;
        if ((rc = grow(s, s->n + 1, err)) != BL_OK)
            break;
        if ((rc = world_next(s->world, s->rng, x, &y, err)) != BL_OK)
            break;
        if ((done & 63) == 63)
            session_pump(s);
        memcpy(s->X + s->n * s->in_dim, x, s->in_dim * sizeof *x);
        s->Y[s->n] = y;
        if (session_has_model(s) && (rc = arrive(s, x, y, err)) != BL_OK) {
            /* blr_observe refused the point (not finite): drop it. */
            break;
        }
        s->n++;
    }
    free(x);
    if (done > 0)
        s->generation++;
    if (rc == BL_ESTATE && done > 0)
        out_printf(out, "observed %zu of %zu points (n = %zu)", done, n, s->n);
    return rc;
}

int
session_optimize(struct session *s, blr_opt_result *res, bl_err *err)
{
    if (s->blr == NULL)
        return bl_fail(err, BL_ESTATE, "no model to optimize: choose one first (model blr)");
    if (s->model != MODEL_BLR)
        return bl_fail(err, BL_ESTATE,
                       "optimize works on model blr (the nig model integrates the noise out)");
    if (s->n == 0)
        return bl_fail(err, BL_ESTATE, "no data to optimize on: observe some points first");
    blr_model *trial = blr_copy(s->blr, err);
    if (trial == NULL)
        return err ? err->code : BL_ENOMEM;
    int rc = blr_optimize(trial, 1000, 1e-12, res, s->cancel, err);
    if (rc == BL_OK) {
        blr_opts o = s->bopts;
        o.alpha = blr_options(trial)->alpha;
        o.beta = blr_options(trial)->beta;
        rc = session_set_model(s, s->model, &o, &s->fopts, NULL, err);
    }
    blr_free(trial);
    return rc;
}

int
session_optimize_gp(struct session *s, gp_opt_result *res, bl_err *err)
{
    if (s->gp == NULL)
        return bl_fail(err, BL_ESTATE, "no gp model to optimize");
    if (s->n == 0)
        return bl_fail(err, BL_ESTATE, "no data to optimize on: observe some points first");
    gp *trial = gp_copy(s->gp, err);
    if (trial == NULL)
        return err ? err->code : BL_ENOMEM;
    int rc = gp_optimize(trial, NULL, res, s->cancel, err);
    if (rc == BL_OK) {
        /* The optimum as options, then a replay so every trace matches it. */
        struct gp_setup gs = s->gps;
        const kernel *k = gp_kernel(trial);
        kernel_format(k, gs.kernel, sizeof gs.kernel);
        gs.noise = sqrt(gp_noise(trial));
        for (size_t i = 0; i < kernel_nparams(k); i++) {
            const char *name = kernel_param_name(k, i);
            if (strstr(name, "sw2") != NULL)
                gs.nn.sw2 = kernel_param_value(k, i);
            else if (strstr(name, "sb2") != NULL)
                gs.nn.sb2 = kernel_param_value(k, i);
        }
        rc = session_set_model(s, s->model, NULL, NULL, &gs, err);
    }
    gp_free(trial);
    return rc;
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
    const char *feat = s->feat ? features_describe(s->feat) : features_kind_name(s->fopts.kind);
    switch (s->model) {
    case MODEL_NONE: snprintf(buf, size, "none"); break;
    case MODEL_BLR:
        snprintf(buf, size, "blr alpha=%.6g beta=%.6g features=%s", s->bopts.alpha, s->bopts.beta,
                 feat);
        break;
    case MODEL_NIG:
        snprintf(buf, size, "nig v0=%.6g a0=%.6g b0=%.6g features=%s", s->bopts.v0, s->bopts.a0,
                 s->bopts.b0, feat);
        break;
    case MODEL_GP:
        snprintf(buf, size, "gp kernel=%s noise=%.4g", s->gps.kernel, s->gps.noise);
        break;
    case MODEL_TP: {
        static const char *const names[] = {"point", "invgamma", "gamma", "burr12",
                                            "halfcauchy"};
        snprintf(buf, size, "tp %s(%.4g, %.4g) kernel=%s noise=%.4g", names[s->gps.prior.kind],
                 s->gps.prior.p1, s->gps.prior.p2, s->gps.kernel, s->gps.noise);
        break;
    }
    }
}

void
session_stream_stop(struct session *s)
{
    s->stream.active = false;
    s->stream.paused = false;
    s->stream.credit = 0;
    s->generation++;
}

size_t
stream_job_due(struct stream_job *j, double dt, size_t max_units)
{
    if (!j->active || j->paused || dt <= 0)
        return 0;
    j->credit += dt * j->rate;
    if (j->credit > j->rate + 1) /* a stalled frame does not cause a burst later */
        j->credit = j->rate + 1;
    size_t want = (size_t)j->credit;
    if (want > max_units)
        want = max_units;
    if (want > j->remaining)
        want = j->remaining;
    return want;
}

bool
stream_job_done(struct stream_job *j, size_t got)
{
    j->credit -= (double)got;
    if (j->remaining != SIZE_MAX)
        j->remaining -= got < j->remaining ? got : j->remaining;
    return j->remaining == 0;
}

size_t
session_stream_advance(struct session *s, double dt, size_t max_points, struct out *out)
{
    struct stream_job *j = &s->stream;
    size_t want = stream_job_due(j, dt, max_points);
    if (want == 0)
        return 0;
    size_t before = s->n;
    bl_err err;
    bl_err_clear(&err);
    int rc = session_observe(s, want, out, &err);
    size_t got = s->n - before;
    bool finished = stream_job_done(j, got);
    if (rc != BL_OK) {
        out_error(out, "stream stopped: %s", err.msg);
        session_stream_stop(s);
    } else if (finished) {
        out_printf(out, "stream done (n = %zu)", s->n);
        session_stream_stop(s);
    }
    return got;
}

double
session_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void
session_pump(struct session *s)
{
    static const double interval = 0.03; /* seconds between pumps */
    if (s->pump == NULL)
        return;
    double now = session_now();
    if (now - s->last_pump < interval)
        return;
    s->last_pump = now;
    s->pump(s->pump_ctx);
}

void
session_set_instrument(struct session *s, struct instrument *in)
{
    instrument_free(s->inst);
    s->inst = in;
    s->run = (struct stream_job){0};
    s->job = JOB_RUN;
    s->generation++;
}

struct stream_job *
session_job(struct session *s)
{
    if (s->job == JOB_RUN && s->inst != NULL)
        return &s->run;
    if (s->job == JOB_SAMPLE && s->smp != NULL)
        return &s->sample;
    return &s->stream;
}

size_t
session_run_advance(struct session *s, double dt, size_t max_units, struct out *out)
{
    struct stream_job *j = &s->run;
    size_t want = s->inst != NULL ? stream_job_due(j, dt, max_units) : 0;
    if (want == 0)
        return 0;
    size_t before = s->inst->n;
    bl_err err;
    bl_err_clear(&err);
    int rc = instrument_advance(s->inst, want, s->cancel, &err);
    size_t got = s->inst->n - before;
    bool finished = stream_job_done(j, got);
    s->generation++;
    if (rc != BL_OK) {
        out_error(out, "run stopped: %s", err.msg);
        *j = (struct stream_job){0};
    } else if (finished) {
        out_printf(out, "%s: run done (%zu)", instrument_name(s->inst), s->inst->n);
        *j = (struct stream_job){0};
    }
    return got;
}
