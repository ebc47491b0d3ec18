/* commands/model_blr.c - the weight-space models: `model blr` (Bayesian
 * linear regression, known noise precision beta) and `model nig` (unknown
 * noise, Normal-Inverse-Gamma prior, Student-t predictive), both on a
 * feature map phi. Per arrival the work is O(d^2): one feature map, one
 * blr_observe (rank-1 Cholesky update), one hindsight update; w*^T A^-1 w*
 * is carried by the model in O(d) (blr_track). Several points at once (observe_block) go through
 * the block form of docs/blocks.md, with the same traces per arrival.
 * Anything costlier (covariance, ball mass, gamma) is computed by the show
 * hooks, when asked. See docs/traces.md for the traces. */
#include "commands/model.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/session.h"
#include "commands/show_gp.h"
#include "core/base/linalg.h"
#include "core/blr/regret.h"
#include "core/spectrum/spectrum.h"
#include "core/stats/concentration.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define FEAT_MAX_DIM_S STR(FEAT_MAX_DIM)

static const char *const feat_choices[] = {"identity", "poly", "rbf", "fourier", "relu", NULL};
static const char *const yesno[] = {"no", "yes", NULL};

#define FEATURE_ARGS                                                                       \
    {.name = "features", .type = ARG_CHOICE, .choices = feat_choices, .def = "identity",  \
     .help = "feature map phi(x)"},                                                       \
    {.name = "bias", .type = ARG_CHOICE, .choices = yesno, .def = "no",                   \
     .help = "identity/relu: prepend a constant feature"},                                \
    {.name = "degree", .type = ARG_INT, .min = 0, .max = 30, .def = "3",                  \
     .help = "poly: degree p (Legendre basis above 6)"},                                  \
    {.name = "m", .type = ARG_INT, .min = 1, .max = FEAT_MAX_DIM - 1, .def = "10",        \
     .help = "rbf: centres; fourier: frequencies K; relu: units (at most " FEAT_MAX_DIM_S    \
             " features: rbf 1 + d m, fourier 1 + 2 d m, relu m + bias)",                 \
     .why = "the feature dimension is at most " FEAT_MAX_DIM_S " and rbf adds a constant",   \
     .alias = "k"},                                                                       \
    {.name = "ls", .type = ARG_REAL, .min = 1e-100, .max = 1e100,                         \
     .help = "rbf: lengthscale on the [-1,1] scale (default 2/m)",                        \
     .why = "ls^2 under- or overflows beyond 1e+-100"}

static const struct arg_spec blr_keys[] = {
    FEATURE_ARGS,
    {.name = "alpha",
     .type = ARG_REAL,
     .min = 1e-50,
     .max = 1e50,
     .why = "beyond 1e+-50, beta y^2 or alpha |w|^2 overflows, or log det A cancels",
     .def = "1",
     .help = "prior precision of the weights, w ~ N(0, I/alpha)"},
    {.name = "beta",
     .type = ARG_REAL,
     .min = 1e-50,
     .max = 1e50,
     .why = "beyond 1e+-50, beta y^2 or alpha |w|^2 overflows, or log det A cancels",
     .help = "noise precision (default: the world's 1/noise^2 when known, else 1)"},
    {0},
};

static const struct arg_spec nig_keys[] = {
    FEATURE_ARGS,
    {.name = "v0",
     .type = ARG_REAL,
     .min = 1e-50,
     .max = 1e50,
     .why = "beyond 1e+-50, |w|^2 / v0 overflows, or log det A cancels",
     .def = "1",
     .help = "prior scale, w | s2 ~ N(0, s2 v0 I)"},
    {.name = "a0",
     .type = ARG_REAL,
     .min = 1e-50,
     .max = 1e8,
     .why = "above 1e8, lgamma(a0 + n/2) - lgamma(a0) keeps no digit of the evidence",
     .def = "1",
     .help = "noise variance prior s2 ~ IG(a0, b0): shape"},
    {.name = "b0",
     .type = ARG_REAL,
     .min = 1e-50,
     .max = 1e50,
     .why = "beyond 1e+-50, b0 + y^2 / 2 loses y or overflows",
     .def = "1",
     .help = "noise variance prior: scale"},
    {0},
};

/* Options of both classes; bo.kind says which. */
struct blr_setup {
    blr_opts bo;
    feat_opts fo;
};

struct blr_inst {
    struct blr_setup set;
    features *feat;
    blr_model *blr;
    regret_rls *hind; /* best fixed parameter in hindsight */
    size_t dim;       /* feature dimension */
    double *phi;      /* scratch, dim */
    double *wstar;    /* truth in feature space (dim) or NULL when not representable */
    bool truth_in_model; /* wstar and the world's noise Gaussian (model_weights) */
    double *tmp;      /* scratch, dim */
    /* observe_block's scratch for bcap points: features, figures, RSS and |w_ML|^2 */
    double *bphi;
    blr_arrival *barr;
    double *brw;
    size_t bcap;
};

static bool
is_nig(const struct blr_inst *b)
{
    return b->set.bo.kind == BLR_NIG;
}

static int
blr_configure(const struct session *s, const struct cmd_args *a, void *opts, bl_err *err)
{
    struct blr_setup *o = opts;
    bool nig = strcmp(a->subject->name, "nig") == 0;
    /* The prior fields of the other kind are unused: defaults. */
    o->bo = (blr_opts){.kind = BLR_KNOWN, .alpha = 1, .beta = 1, .v0 = 1, .a0 = 1, .b0 = 1};
    if (nig) {
        o->bo.kind = BLR_NIG;
        o->bo.v0 = args_real(a, "v0");
        o->bo.a0 = args_real(a, "a0");
        o->bo.b0 = args_real(a, "b0");
    } else {
        o->bo.alpha = args_real(a, "alpha");
        if (args_given(a, "beta")) {
            o->bo.beta = args_real(a, "beta");
        } else if (s->world != NULL && world_knows_truth(s->world) && world_noise(s->world) > 0 &&
                   world_nu(s->world) == 0) {
            double sd = world_noise(s->world);
            o->bo.beta = 1 / (sd * sd);
        } else {
            o->bo.beta = 1;
        }
    }
    o->fo = (feat_opts){0};
    o->fo.kind = (feat_kind)features_kind_parse(args_str(a, "features"));
    o->fo.bias = strcmp(args_str(a, "bias"), "yes") == 0;
    o->fo.degree = (size_t)args_int(a, "degree");
    o->fo.m = (size_t)args_int(a, "m");
    o->fo.lengthscale = args_has(a, "ls") ? args_real(a, "ls") : 0;
    o->fo.seed = s->seed;
    /* The feature dimension depends on the inputs: with a world, refuse here,
     * naming the key, rather than at the build. */
    size_t d = s->world ? s->in_dim : 1, m = o->fo.m, dim = 0;
    const char *key = "m";
    if (o->fo.kind == FEAT_POLY) {
        key = "degree";
        m = o->fo.degree;
        dim = 1 + d * m;
    } else if (o->fo.kind == FEAT_RBF)
        dim = 1 + d * m;
    else if (o->fo.kind == FEAT_FOURIER)
        dim = 1 + 2 * d * m;
    else if (o->fo.kind == FEAT_RELU)
        dim = m + o->fo.bias;
    if (dim > FEAT_MAX_DIM)
        return bl_fail(err, BL_EINVAL,
                       "%s=%zu: %s features of %zu input%s number %zu, at most " FEAT_MAX_DIM_S,
                       key, m, features_kind_name(o->fo.kind), d, d == 1 ? "" : "s", dim);
    return BL_OK;
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

static void
blr_inst_free(void *m)
{
    struct blr_inst *b = m;
    if (b == NULL)
        return;
    features_free(b->feat);
    blr_free(b->blr);
    regret_rls_free(b->hind);
    free(b->phi);
    free(b->tmp);
    free(b->wstar);
    free(b->bphi);
    free(b->barr);
    free(b->brw);
    free(b);
}

static void *
blr_create(const void *opts, const world *w, bl_err *err)
{
    const struct blr_setup *o = opts;
    size_t in_dim = world_in_dim(w);
    double *lo = malloc(in_dim * sizeof *lo), *hi = malloc(in_dim * sizeof *hi);
    struct blr_inst *b = calloc(1, sizeof *b);

    if (lo == NULL || hi == NULL || b == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    b->set = *o;
    world_input_range(w, lo, hi);
    b->feat = features_alloc(in_dim, &o->fo, lo, hi, err);
    if (b->feat == NULL)
        goto fail;
    b->dim = features_dim(b->feat);
    b->blr = blr_alloc(b->dim, &o->bo, err);
    if (b->blr == NULL)
        goto fail;
    b->hind = regret_rls_alloc(b->dim, err);
    b->phi = malloc(b->dim * sizeof *b->phi);
    b->tmp = malloc(b->dim * sizeof *b->tmp);
    if (b->hind == NULL || b->phi == NULL || b->tmp == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory (feature dimension %zu)", b->dim);
        goto fail;
    }
    b->wstar = truth_in_features(w, &o->fo, b->dim);
    /* w*^T A^-1 w* per arrival in O(d) instead of a forward substitution. */
    if (b->wstar != NULL && !is_nig(b) && blr_track(b->blr, b->wstar, err) != BL_OK)
        goto fail;
    /* Gaussian noise of the model's own precision: a blr with another beta
     * (given, or fitted by optimize) scores the truth's y | x with the
     * wrong variance, and the closed forms of docs/math.md §3.2 no longer
     * hold. nig learns the noise, so only its shape has to match. */
    double sd = world_noise(w);
    b->truth_in_model = b->wstar != NULL && !(world_nu(w) > 0) &&
                        (is_nig(b) || fabs(o->bo.beta * sd * sd - 1.0) <= 1e-12);
    free(lo);
    free(hi);
    return b;
fail:
    free(lo);
    free(hi);
    blr_inst_free(b);
    return NULL;
}

static int
blr_observe_one(void *m, const double *x, double y, struct model_step *st, bl_err *err)
{
    struct blr_inst *b = m;
    blr_pred pred;
    double logpred;
    int rc;
    features_map(b->feat, x, b->phi);
    if ((rc = blr_observe(b->blr, b->phi, y, &pred, &logpred, err)) != BL_OK)
        return rc;
    if ((rc = regret_rls_observe(b->hind, b->phi, y, err)) != BL_OK)
        return rc;
    *st = (struct model_step){.logpred = logpred, .mean = pred.mean, .var = pred.var,
                              .gaussian = !is_nig(b)};
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

static double cov_scale_of(const struct blr_inst *b, double a, double bn);

static double
blr_cov_scale(const struct blr_inst *b)
{
    return cov_scale_of(b, blr_nig_a(b->blr), blr_nig_b(b->blr));
}

/* What the weight-space traces of one arrival are made of: the state after
 * it, from the model (record) or from a block (observe_block). */
struct blr_figures {
    size_t n;            /* points seen */
    double log_evidence; /* blr_log_evidence */
    double best;         /* min cumulative log-loss in hindsight */
    double scale;        /* Cov[w | D] = scale A^-1 */
    double logdet_a;     /* log det A */
    double trinv;        /* tr A^-1 */
    double ww;           /* |w*|^2, or |w_ML|^2 without the truth */
    double wsw;          /* w*^T A^-1 w* (with the truth) */
    double dist;         /* |m - w*| (with the truth) */
};

static double
cov_scale_of(const struct blr_inst *b, double a, double bn)
{
    if (!is_nig(b))
        return 1.0;
    return a > 1 ? bn / (a - 1) : (double)INFINITY;
}

/* The weight-space traces (docs/math.md §3.2, 10) from the figures. */
static void
record_figures(const struct blr_inst *b, const struct blr_figures *f, double cum, double *row)
{
    size_t d = b->dim;
    row[TR_LOG_EVIDENCE] = f->log_evidence;
    row[TR_REGRET_HINDSIGHT] = cum - f->best;
    row[TR_TRACE_COV] = f->scale * f->trinv;
    row[TR_LOGDET_COV] = (double)d * log(f->scale) - f->logdet_a;
    if (!is_nig(b)) {
        double alpha = b->set.bo.alpha, beta = b->set.bo.beta;
        row[TR_BOUND] = regret_bound(d, alpha, f->logdet_a, f->ww);
        if (b->wstar != NULL) {
            /* The closed form assumes y | x is the model's own Gaussian. */
            if (b->truth_in_model)
                row[TR_REGRET_CLOSED] =
                    regret_expected(d, alpha, f->logdet_a, f->trinv, f->ww, f->wsw);
            row[TR_ASYMPTOTE] = regret_asymptote(d, (double)f->n, alpha, beta, f->ww);
        } else {
            row[TR_ASYMPTOTE] = regret_asymptote(d, (double)f->n, alpha, beta, 0);
        }
    }
    if (b->wstar != NULL)
        row[TR_DIST_TRUTH] = f->dist;
}

/* The weight-space traces after arrival n = blr_count. */
static void
blr_record(const void *m, double cum, double *row)
{
    const struct blr_inst *b = m;
    size_t d = b->dim;
    struct blr_figures f = {
        .n = blr_count(b->blr),
        .log_evidence = blr_log_evidence(b->blr),
        .best = is_nig(b) ? regret_rls_min_loss_profile(b->hind)
                          : regret_rls_min_loss(b->hind, b->set.bo.beta),
        .scale = blr_cov_scale(b),
        .logdet_a = blr_logdet_prec(b->blr),
        .trinv = blr_trace_inv_prec(b->blr),
    };
    if (b->wstar != NULL) {
        f.ww = dot(b->wstar, b->wstar, d);
        if (!is_nig(b))
            f.wsw = blr_tracked_quad(b->blr);
        const double *mean = blr_mean(b->blr);
        double dd = 0;
        for (size_t i = 0; i < d; i++)
            dd += (mean[i] - b->wstar[i]) * (mean[i] - b->wstar[i]);
        f.dist = sqrt(dd);
    } else if (!is_nig(b)) {
        regret_rls_w(b->hind, b->tmp);
        f.ww = dot(b->tmp, b->tmp, d);
    }
    record_figures(b, &f, cum, row);
}

/* Grow the instance's block scratch to n points. */
static int
block_room(struct blr_inst *b, size_t n, bl_err *err)
{
    if (n <= b->bcap)
        return BL_OK;
    double *phi = realloc(b->bphi, n * b->dim * sizeof *phi);
    if (phi != NULL)
        b->bphi = phi;
    blr_arrival *arr = realloc(b->barr, n * sizeof *arr);
    if (arr != NULL)
        b->barr = arr;
    double *rw = realloc(b->brw, 2 * n * sizeof *rw);
    if (rw != NULL)
        b->brw = rw;
    if (phi == NULL || arr == NULL || rw == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a block of %zu points (dimension %zu)", n,
                       b->dim);
    b->bcap = n;
    return BL_OK;
}

/* The hindsight tracker's share of a block, run beside the model's, then
 * the session's side work: the tracker is the shorter of the two filters,
 * so its thread has the time to draw the next block's points. */
struct hind_job {
    regret_rls *r;
    const double *Phi, *y;
    size_t n;
    double *rss, *w2;
    const struct model_side *side;
    int rc;
    bl_err err;
};

static void *
hind_run(void *p)
{
    struct hind_job *j = p;
    j->rc = regret_rls_observe_block(j->r, j->Phi, j->y, j->n, j->rss, j->w2, &j->err);
    if (j->side != NULL)
        j->side->run(j->side->arg);
    return NULL;
}

/* Below this much work (dim^2 n multiply-adds) a thread costs more than it
 * saves; the results are the same either way. */
#define PAR_MIN_WORK 2e6

/* n arrivals as one block (docs/blocks.md): blr_observe_block gives the
 * posterior and its per-arrival figures, regret_rls_observe_block the
 * hindsight ones; every trace equals observe + record's to rounding. The
 * two filters share nothing they write (the feature rows and y are read), so the
 * hindsight runs in a second thread while the model takes the block. Each
 * calls OpenBLAS on one thread (set here, before either starts), in the same
 * order on the same data whatever the scheduling: the output does not depend
 * on the thread count or on the cores. A block is O(B d^2), milliseconds:
 * cancel is left to the session, between blocks. */
static int
blr_observe_many(void *m, const double *X, size_t in_dim, const double *Y, size_t n, double cum,
                 struct model_step *st, double *rows, const bl_cancel *cancel,
                 const struct model_side *side, bl_err *err)
{
    (void)cancel;
    struct blr_inst *b = m;
    size_t d = b->dim;
    int rc = block_room(b, n, err);
    if (rc != BL_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        features_map(b->feat, X + i * in_dim, b->bphi + i * d);
    const double *w = b->wstar;
    double *rss = b->brw, *w2 = rss + n;
    struct hind_job job = {
        .r = b->hind, .Phi = b->bphi, .y = Y, .n = n, .rss = rss, .w2 = w2, .side = side};
    int threads = linalg_threads_one();
    pthread_t th;
    bool par = (double)d * (double)d * (double)n >= PAR_MIN_WORK &&
               pthread_create(&th, NULL, hind_run, &job) == 0;
    rc = blr_observe_block(b->blr, b->bphi, Y, n, w, b->barr, err);
    if (par)
        pthread_join(th, NULL);
    else if (rc == BL_OK)
        hind_run(&job);
    linalg_threads_restore(threads);
    if (rc != BL_OK)
        return rc;
    if (job.rc != BL_OK) {
        if (err != NULL)
            *err = job.err;
        return job.rc;
    }
    size_t n0 = blr_count(b->blr) - n;
    double ww = w != NULL ? dot(w, w, d) : 0;
    for (size_t i = 0; i < n; i++) {
        const blr_arrival *a = &b->barr[i];
        st[i] = (struct model_step){.logpred = a->logpred,
                                    .mean = a->pred.mean,
                                    .var = a->pred.var,
                                    .gaussian = !is_nig(b)};
        cum -= a->logpred;
        size_t count = n0 + i + 1;
        struct blr_figures f = {
            .n = count,
            .log_evidence = a->log_evidence,
            .best = is_nig(b) ? regret_min_loss_profile(count, rss[i])
                              : regret_min_loss(count, rss[i], b->set.bo.beta),
            .scale = cov_scale_of(b, a->nig_a, a->nig_b),
            .logdet_a = a->logdet,
            .trinv = a->trinv,
            .ww = w != NULL ? ww : w2[i],
            .wsw = a->wqw,
            .dist = a->dist,
        };
        record_figures(b, &f, cum, rows + i * TR_COUNT);
    }
    return BL_OK;
}

static int
blr_predict_one(const void *m, const double *x, struct model_pred *p, bl_err *err)
{
    const struct blr_inst *b = m;
    blr_pred pr;
    (void)err;
    features_map(b->feat, x, b->phi); /* scratch, not state */
    blr_predict(b->blr, b->phi, &pr);
    *p = (struct model_pred){.mean = pr.mean, .var = pr.var, .var_f = pr.var_f};
    return BL_OK;
}

static double
blr_evidence(const void *m)
{
    return blr_log_evidence(((const struct blr_inst *)m)->blr);
}

static int
blr_optimize_hook(struct session *s, struct out *out, bl_err *err)
{
    const struct blr_inst *b = s->m;
    if (b == NULL)
        return bl_fail(err, BL_ESTATE, "no model to optimize: choose one first (model blr)");
    if (is_nig(b))
        return bl_fail(err, BL_ESTATE,
                       "optimize works on model blr (the nig model integrates the noise out)");
    if (s->n == 0)
        return bl_fail(err, BL_ESTATE, "no data to optimize on: observe some points first");
    blr_model *trial = blr_copy(b->blr, err);
    if (trial == NULL)
        return err ? err->code : BL_ENOMEM;
    blr_opt_result r;
    int rc = blr_optimize(trial, 1000, 1e-12, &r, s->cancel, err);
    struct blr_setup o = *(const struct blr_setup *)s->mopts;
    if (rc == BL_OK) {
        o.bo.alpha = blr_options(trial)->alpha;
        o.bo.beta = blr_options(trial)->beta;
        rc = session_set_model(s, s->mc, &o, err);
    }
    blr_free(trial);
    if (rc == BL_OK)
        out_printf(out,
                   "alpha = %.10g, beta = %.10g after %d iteration%s; gamma = %.10g; "
                   "log evidence %.10g",
                   o.bo.alpha, o.bo.beta, r.iterations, r.iterations == 1 ? "" : "s", r.gamma,
                   r.log_evidence);
    return rc;
}

static void
blr_describe(const void *opts, const void *m, char *buf, size_t size)
{
    const struct blr_setup *o = opts;
    const struct blr_inst *b = m;
    const char *feat = b ? features_describe(b->feat) : features_kind_name(o->fo.kind);
    if (o->bo.kind == BLR_NIG)
        snprintf(buf, size, "nig v0=%.6g a0=%.6g b0=%.6g features=%s", o->bo.v0, o->bo.a0,
                 o->bo.b0, feat);
    else
        snprintf(buf, size, "blr alpha=%.6g beta=%.6g features=%s", o->bo.alpha, o->bo.beta,
                 feat);
}

static bool
blr_weights(const void *m, struct model_weights *w)
{
    const struct blr_inst *b = m;
    *w = (struct model_weights){.dim = b->dim, .post = b->blr, .feat = b->feat,
                                .wstar = b->wstar, .cov_scale = blr_cov_scale(b),
                                .truth_in_model = b->truth_in_model};
    return true;
}

/* The posterior as a sampler target. SGLD on a known-noise model gets the
 * data-backed form (the stream's feature rows), so that minibatches exist;
 * every other use the O(d^2) statistics form. */
static target *
blr_target(const void *m, const struct session *s, bool data_backed, bl_err *err)
{
    const struct blr_inst *b = m;
    target *t = target_from_blr(b->blr, err);
    if (t == NULL || !data_backed || is_nig(b) || s->n == 0)
        return t;
    target_info info;
    target_get_info(t, &info);
    size_t n = s->n, d = b->dim;
    double *X = malloc(n * d * sizeof *X);
    if (X == NULL) {
        target_free(t);
        return bl_fail(err, BL_ENOMEM, "out of memory for %zu x %zu features", n, d), NULL;
    }
    for (size_t i = 0; i < n; i++)
        features_map(b->feat, s->X + i * s->in_dim, X + i * d);
    target *td = target_blr_data_alloc(n, d, X, s->Y, info.alpha, info.beta, err);
    free(X);
    target_free(t);
    return td;
}

/* ---- show ---------------------------------------------------------------- */

static int
blr_show_posterior(struct session *s, struct out *out, bl_err *err)
{
    const struct blr_inst *b = s->m;
    size_t d = b->dim;
    double *cov = malloc(d * d * sizeof *cov);
    if (cov == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a %zu x %zu covariance", d, d);
    int rc = blr_cov(b->blr, cov, err);
    if (rc != BL_OK) {
        free(cov);
        return rc;
    }
    out_kv_int(out, "n", (long long)s->n);
    out_kv_int(out, "dim", (long long)d);
    out_kv_vec(out, "mean", blr_mean(b->blr), d);
    if (isfinite(blr_cov_scale(b)))
        out_kv_mat(out, "cov", cov, d, d);
    else /* the matrix would be inf on the diagonal, nan off it */
        out_kv_why(out, "cov", (double)INFINITY,
                   "the noise variance has no posterior mean yet (a <= 1): Cov[w] is infinite");
    if (is_nig(b)) {
        out_kv_real(out, "a", blr_nig_a(b->blr));
        out_kv_real(out, "b", blr_nig_b(b->blr));
    }
    free(cov);
    return BL_OK;
}

static int
nig_show_predictive(struct session *s, const double *x, struct out *out, bl_err *err)
{
    const struct blr_inst *b = s->m;
    blr_pred p = {0};
    (void)err;
    features_map(b->feat, x, b->phi);
    blr_predict(b->blr, b->phi, &p);
    out_kv_real(out, "df", p.df);
    out_kv_real(out, "scale2", p.scale2);
    return BL_OK;
}

/* gamma = sum_i beta l_i / (alpha + beta l_i), l_i the eigenvalues of X^T X:
 * MacKay's count of well-determined directions (docs/math.md §2.2). O(d^3). */
static int
effective_params(const struct blr_inst *b, double *gamma, bl_err *err)
{
    size_t d = b->dim;
    double *lam = malloc(d * sizeof *lam), *g = malloc(d * d * sizeof *g);
    if (lam == NULL || g == NULL) {
        free(lam);
        free(g);
        return bl_fail(err, BL_ENOMEM, "out of memory");
    }
    memcpy(g, blr_gram(b->blr), d * d * sizeof *g);
    int rc = linalg_eigh(g, d, lam, false, err);
    free(g);
    if (rc == BL_OK) {
        double a = is_nig(b) ? 1 / b->set.bo.v0 : b->set.bo.alpha;
        double c = is_nig(b) ? 1 : b->set.bo.beta;
        *gamma = 0;
        for (size_t i = 0; i < d; i++)
            *gamma += c * fmax(lam[i], 0) / (a + c * fmax(lam[i], 0));
    }
    free(lam);
    return rc;
}

static int
blr_show_evidence(struct session *s, struct out *out, bl_err *err)
{
    const struct blr_inst *b = s->m;
    double gamma = 0;
    int rc = effective_params(b, &gamma, err);
    if (rc != BL_OK)
        return rc;
    const blr_opts *o = &b->set.bo;
    out_kv_why(out, "log_evidence", blr_log_evidence(b->blr),
               "overflows: the model gives the points (almost) zero density");
    if (is_nig(b)) {
        out_kv_real(out, "v0", o->v0);
        out_kv_real(out, "a0", o->a0);
        out_kv_real(out, "b0", o->b0);
    } else {
        out_kv_real(out, "alpha", o->alpha);
        out_kv_real(out, "beta", o->beta);
    }
    out_kv_why(out, "gamma", gamma, "overflows: a precision times an eigenvalue of the Gram");
    out_kv_int(out, "n", (long long)s->n);
    return BL_OK;
}

static int
blr_show_spectrum(struct session *s, struct out *out, bl_err *err)
{
    const struct blr_inst *b = s->m;
    size_t d = b->dim;
    double *cov = malloc(d * d * sizeof *cov), *lam = malloc(d * sizeof *lam);
    int rc = cov && lam ? blr_cov(b->blr, cov, err) : bl_fail(err, BL_ENOMEM, "out of memory");
    if (rc == BL_OK)
        rc = spectrum_eig_desc(cov, d, lam, err);
    if (rc == BL_OK) {
        out_kv_str(out, "matrix", "posterior covariance");
        show_spectrum_lines(out, "", lam, d);
    }
    if (rc == BL_OK && s->n > 0 && spectrum_eig_desc(blr_gram(b->blr), d, lam, NULL) == BL_OK)
        show_spectrum_lines(out, "gram_", lam, d);
    free(cov);
    free(lam);
    return rc;
}

/* From the posterior as it is now, so that before any point it shows the
 * prior's (the same numbers the traces record after each arrival). */
static int
blr_show_concentration(struct session *s, struct out *out, bl_err *err)
{
    const struct blr_inst *b = s->m;
    size_t d = b->dim;
    double mass = (double)NAN, dist = (double)NAN;
    if (b->wstar != NULL) {
        double *cov = malloc(d * d * sizeof *cov);
        if (cov == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory");
        int rc = blr_cov(b->blr, cov, err);
        if (rc == BL_OK)
            rc = concentration_ball_mass(blr_mean(b->blr), cov, b->wstar, d, s->ball_radius,
                                         &mass, s->cancel, err);
        free(cov);
        if (rc != BL_OK)
            return rc;
        const double *mean = blr_mean(b->blr);
        double dd = 0;
        for (size_t i = 0; i < d; i++)
            dd += (mean[i] - b->wstar[i]) * (mean[i] - b->wstar[i]);
        dist = sqrt(dd);
    }
    double scale = blr_cov_scale(b);
    const char *no_truth = s->world != NULL && world_knows_truth(s->world)
                               ? "the truth is not a point of the model's features"
                               : "the world's truth is unknown (a data set)";
    const char *no_scale =
        is_nig(b) ? "the noise variance has no posterior mean yet (a <= 1): Cov[w] is infinite"
                  : "overflows double precision";
    out_kv_why(out, "trace_cov", scale * blr_trace_inv_prec(b->blr), no_scale);
    out_kv_why(out, "logdet_cov", (double)d * log(scale) - blr_logdet_prec(b->blr), no_scale);
    out_kv_why(out, "dist_mean_truth", dist, no_truth);
    out_kv_why(out, "mass_ball", mass, isfinite(scale) ? no_truth : no_scale);
    out_kv_real(out, "radius", s->ball_radius);
    out_kv_int(out, "n", (long long)s->n);
    return BL_OK;
}

#define BLR_COMMON                                                                           \
    .opts_size = sizeof(struct blr_setup), .configure = blr_configure, .create = blr_create, \
    .free = blr_inst_free, .observe = blr_observe_one, .observe_block = blr_observe_many,    \
    .record = blr_record, .predict = blr_predict_one, .log_evidence = blr_evidence,          \
    .describe = blr_describe, .weights = blr_weights, .target = blr_target

const struct model_class model_blr_class = {
    .subject = {"blr", "Bayesian linear regression, known noise precision beta", blr_keys,
                "model blr alpha=1 beta=100"},
    BLR_COMMON,
    .traces = MODEL_TRACE(TR_LOG_EVIDENCE) | MODEL_TRACE(TR_REGRET_HINDSIGHT) |
              MODEL_TRACE(TR_REGRET_CLOSED) | MODEL_TRACE(TR_BOUND) | MODEL_TRACE(TR_ASYMPTOTE) |
              MODEL_TRACE(TR_TRACE_COV) | MODEL_TRACE(TR_LOGDET_COV) |
              MODEL_TRACE(TR_DIST_TRUTH),
    .optimize = blr_optimize_hook,
    .show = {.posterior = blr_show_posterior, .evidence = blr_show_evidence,
             .spectrum = blr_show_spectrum, .concentration = blr_show_concentration},
};

const struct model_class model_nig_class = {
    .subject = {"nig", "BLR with unknown noise: Normal-Inverse-Gamma prior, Student-t predictive",
                nig_keys, "model nig v0=2 a0=2 b0=0.5 features=poly degree=2"},
    BLR_COMMON,
    .traces = MODEL_TRACE(TR_LOG_EVIDENCE) | MODEL_TRACE(TR_REGRET_HINDSIGHT) |
              MODEL_TRACE(TR_TRACE_COV) | MODEL_TRACE(TR_LOGDET_COV) |
              MODEL_TRACE(TR_DIST_TRUTH),
    .optimize = blr_optimize_hook,
    .show = {.posterior = blr_show_posterior, .evidence = blr_show_evidence,
             .predictive = nig_show_predictive, .spectrum = blr_show_spectrum,
             .concentration = blr_show_concentration},
};
