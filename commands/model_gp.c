/* commands/model_gp.c - the kernel models: `model gp` (Gaussian process
 * regression with any kernel: classic, sums, products, NNGP/NTK) and
 * `model tp` (a scale mixture of a GP: the Student-t process for an
 * inverse-gamma scale prior, quadrature for the others, docs/math.md §5). They
 * have no weights: the posterior lives in function space. Per arrival the
 * one-step predictive is scored before the O(n^2) extension of the factor;
 * the weight-space traces (hindsight, closed forms, covariance) are NaN. */
#include "commands/gp_budget.h"
#include "commands/memlimit.h"
#include "commands/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "commands/memlimit.h"
#include "commands/session.h"
#include "commands/show_gp.h"
#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"
#include "core/spectrum/spectrum.h"
#include "core/base/rng.h"

static const char *const yesno[] = {"no", "yes", NULL};
static const char *const mean_choices[] = {"zero", "const", "linear", "data", NULL};
static const char *const act_choices[] = {"relu", "erf", "tanh", "gelu", "silu", "sin",
                                          "leaky_relu", "abs", NULL};

#define KERNEL_ARGS                                                                        \
    {.name = "kernel", .type = ARG_STR, .def = "rbf",                                      \
     .help = "kernel spec: rbf, matern12/32/52, matern(nu=), rq, dot, periodic (also "      \
             "expsinesquared), linear, constant, white, with + and *, e.g. "              \
             "\"rbf(ls=0.5) + periodic(period=11)\"; or nngp"},                              \
    {.name = "noise", .type = ARG_REAL, .min = 0, .max = 1e6,                              \
     .help = "noise sd (default: the world's when known, else 0.1)"},                      \
    {.name = "act", .type = ARG_CHOICE, .choices = act_choices, .def = "relu",             \
     .help = "kernel=nngp: activation"},                                                  \
    {.name = "depth", .type = ARG_INT, .min = 1, .max = NNGP_MAX_DEPTH, .def = "3",       \
     .help = "kernel=nngp: hidden layers L"},                                             \
    {.name = "sw2", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "2",    \
     .help = "kernel=nngp: weight variance"},                                             \
    {.name = "sb2", .type = ARG_REAL, .min = 0, .max = 1e6, .def = "0.1",                 \
     .help = "kernel=nngp: bias variance"},                                               \
    {.name = "ntk", .type = ARG_CHOICE, .choices = yesno, .def = "no",                    \
     .help = "kernel=nngp: the neural tangent kernel instead"},                           \
    {.name = "order", .type = ARG_INT, .min = 2, .max = NNGP_GH_MAX, .def = "80",         \
     .help = "kernel=nngp: Gauss-Hermite nodes per axis (tanh, gelu, silu, sin)"},        \
    {.name = "mean", .type = ARG_CHOICE, .choices = mean_choices, .def = "zero",          \
     .help = "prior mean: zero, const (c), linear (a + b.x) or data (the mean of the "     \
             "observed targets, fixed); optimize fits c, a, b with the kernel"},          \
    {.name = "mean_c", .type = ARG_REAL, .min = -1e12, .max = 1e12, .def = "0",          \
     .help = "mean=const: the constant (optimize's start)"},                              \
    {.name = "mean_a", .type = ARG_REAL, .min = -1e12, .max = 1e12, .def = "0",          \
     .help = "mean=linear: the intercept a"},                                             \
    {.name = "mean_b", .type = ARG_REAL, .min = -1e12, .max = 1e12, .def = "0",          \
     .help = "mean=linear: the slope b (of every input)"},                                \
    {.name = "fix", .type = ARG_STR,                                                      \
     .help = "hyperparameters optimize holds, comma-separated (\"rbf1.ls,mean.c\")"}

static const struct arg_spec gp_keys[] = {
    KERNEL_ARGS,
    {0},
};

static const char *const prior_choices[] = {"invgamma", "gamma", "burr12", "halfcauchy", NULL};

static const struct arg_spec tp_keys[] = {
    KERNEL_ARGS,
    {.name = "prior", .type = ARG_CHOICE, .choices = prior_choices, .def = "invgamma",
     .help = "prior of the output scale s (invgamma: the Student-t process)"},
    {.name = "a", .type = ARG_REAL, .min = 1e-50, .max = 1e8, .def = "2",
     .help = "invgamma / gamma: shape",
     .why = "above 1e8, lgamma(a + n/2) - lgamma(a) keeps no digit of the evidence"},
    {.name = "b", .type = ARG_REAL, .min = 1e-50, .max = 1e50, .def = "2",
     .help = "invgamma: scale b (E s = b/(a-1)); gamma: scale",
     .why = "beyond 1e+-50, b + q / 2 loses q or overflows"},
    {.name = "c", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "2",
     .help = "burr12: c"},
    {.name = "d", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "1",
     .help = "burr12: d"},
    {.name = "scale", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "1",
     .help = "halfcauchy: scale of sqrt(s)"},
    {0},
};

static const char *const prior_names[] = {"point", "invgamma", "gamma", "burr12", "halfcauchy"};

/* Options of both classes. */
struct gp_setup {
    bool tp;              /* the scale mixture (prior), else the plain GP */
    char kernel[512];     /* kernel spec (core/kernel.h syntax) */
    double noise;         /* noise sd; Ky = K + noise^2 I */
    gp_scale_prior prior; /* TP: the scale prior (INVGAMMA: the Student-t process) */
    bool nngp;            /* the kernel is an NNGP built from nn (layer spectra) */
    nngp_opts nn;
    gp_mean_kind mean;               /* prior mean */
    double beta[GP_MEAN_MAX_PARAMS]; /* its parameters: (c) or (a, b_1..b_d) */
    char fix[256];                   /* held by optimize: names, comma-separated */
};

struct gp_inst {
    struct gp_setup set;
    gp *gp;
    size_t in_dim;
};

/* Every kernel parameter within 1e+-100: a variance of 1e308 sums to inf on
 * the diagonal (the jitter becomes inf, var_f 0), a lengthscale of 1e-200
 * squares to 0 (every pair of points looks like a duplicate). Products of a
 * few such factors stay finite. */
#define KERNEL_PARAM_MAX 1e100
static int
kernel_params_check(const kernel *k, bl_err *err)
{
    for (size_t i = 0; i < kernel_nparams(k); i++) {
        double v = kernel_param_value(k, i), a = fabs(v);
        bool pos = kernel_param_is_log(k, i);
        if (a > KERNEL_PARAM_MAX || (pos && a < 1 / KERNEL_PARAM_MAX))
            return bl_fail(err, BL_EINVAL,
                           "kernel: %s=%.10g: must be in %s%g..%g: beyond that its square "
                           "under- or overflows in the Gram matrix",
                           kernel_param_name(k, i), v, pos ? "" : "-",
                           pos ? 1 / KERNEL_PARAM_MAX : KERNEL_PARAM_MAX, KERNEL_PARAM_MAX);
    }
    return BL_OK;
}

/* fix[] of gp_opt_opts from the names in list (kernel parameters, then the
 * mean's); mask may be NULL (only check the names). */
static int
fix_mask(const gp *g, const char *list, bool *mask, bl_err *err)
{
    const kernel *k = gp_kernel(g);
    size_t np = kernel_nparams(k), nm = gp_mean_nparams(g);
    for (size_t i = 0; mask != NULL && i < np + nm; i++)
        mask[i] = false;
    const char *p = list;
    for (;;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == 0)
            break;
        size_t i = 0;
        for (; i < np + nm; i++) {
            const char *name = i < np ? kernel_param_name(k, i) : gp_mean_param_name(g, i - np);
            if (strlen(name) == len && strncmp(name, p, len) == 0)
                break;
        }
        if (i == np + nm)
            return bl_fail(err, BL_EINVAL, "fix: no hyperparameter '%.*s' (the model has %s%s%s)",
                           (int)len, p, np ? kernel_param_name(k, 0) : "none",
                           np + nm > 1 ? " .. " : "",
                           np + nm > 1 ? (nm ? gp_mean_param_name(g, nm - 1)
                                             : kernel_param_name(k, np - 1))
                                       : "");
        if (mask != NULL)
            mask[i] = true;
        p += len;
    }
    return BL_OK;
}

/* The kernel spec (or the nngp shortcut keys), the noise and the scale prior. */
static int
gp_configure(const struct session *s, const struct cmd_args *a, void *opts, bl_err *err)
{
    struct gp_setup *gs = opts;
    memset(gs, 0, sizeof *gs);
    gs->tp = strcmp(a->subject->name, "tp") == 0;
    const char *spec = args_str(a, "kernel");
    if (strcmp(spec, "nngp") == 0 || strcmp(spec, "ntk") == 0) {
        gs->nngp = true;
        gs->nn = nngp_opts_default();
        if (nngp_act_parse(args_str(a, "act"), &gs->nn.act, err) != BL_OK)
            return BL_EINVAL;
        gs->nn.depth = (size_t)args_int(a, "depth");
        gs->nn.sw2 = args_real(a, "sw2");
        gs->nn.sb2 = args_real(a, "sb2");
        gs->nn.gh_order = (size_t)args_int(a, "order");
        bool ntk = strcmp(spec, "ntk") == 0 || strcmp(args_str(a, "ntk"), "yes") == 0;
        snprintf(gs->kernel, sizeof gs->kernel, "nngp(act=%s, depth=%zu, sw2=%.10g, sb2=%.10g, "
                 "order=%zu, ntk=%d)",
                 args_str(a, "act"), gs->nn.depth, gs->nn.sw2, gs->nn.sb2, gs->nn.gh_order, ntk);
    } else {
        if (strlen(spec) >= sizeof gs->kernel)
            return bl_fail(err, BL_EINVAL, "kernel: spec longer than %zu characters",
                           sizeof gs->kernel - 1);
        snprintf(gs->kernel, sizeof gs->kernel, "%s", spec);
    }
    if (args_given(a, "noise"))
        gs->noise = args_real(a, "noise");
    else if (s->world != NULL && world_knows_truth(s->world) && world_noise(s->world) > 0)
        gs->noise = world_noise(s->world);
    else
        gs->noise = 0.1;
    if (gs->tp) {
        const char *p = args_str(a, "prior");
        if (strcmp(p, "invgamma") == 0)
            gs->prior = (gp_scale_prior){GP_SCALE_INVGAMMA, args_real(a, "a"), args_real(a, "b")};
        else if (strcmp(p, "gamma") == 0)
            gs->prior = (gp_scale_prior){GP_SCALE_GAMMA, args_real(a, "a"), args_real(a, "b")};
        else if (strcmp(p, "burr12") == 0)
            gs->prior = (gp_scale_prior){GP_SCALE_BURR12, args_real(a, "c"), args_real(a, "d")};
        else
            gs->prior = (gp_scale_prior){GP_SCALE_HALFCAUCHY, args_real(a, "scale"), 0};
        if (gp_scale_prior_check(&gs->prior, err) != BL_OK)
            return BL_EINVAL;
    }
    const char *mn = args_str(a, "mean");
    size_t d = s->world ? s->in_dim : 1;
    gs->mean = strcmp(mn, "const") == 0    ? GP_MEAN_CONST
               : strcmp(mn, "linear") == 0 ? GP_MEAN_LINEAR
               : strcmp(mn, "data") == 0   ? GP_MEAN_DATA
                                           : GP_MEAN_ZERO;
    if (gs->mean == GP_MEAN_CONST) {
        gs->beta[0] = args_real(a, "mean_c");
    } else if (gs->mean == GP_MEAN_LINEAR && d <= GP_MEAN_MAX_DIM) {
        gs->beta[0] = args_real(a, "mean_a");
        for (size_t i = 0; i < d; i++)
            gs->beta[1 + i] = args_real(a, "mean_b");
    }
    const char *fx = args_given(a, "fix") ? args_str(a, "fix") : "";
    if (strlen(fx) >= sizeof gs->fix)
        return bl_fail(err, BL_EINVAL, "fix: longer than %zu characters", sizeof gs->fix - 1);
    snprintf(gs->fix, sizeof gs->fix, "%s", fx);
    /* Parse the kernel now, so a bad spec is refused even before data exist;
     * the mean and the held names against it. */
    kernel *k = kernel_parse(gs->kernel, d, err);
    if (k == NULL)
        return err ? err->code : BL_EINVAL;
    int rc = kernel_params_check(k, err);
    if (rc != BL_OK) {
        kernel_free(k);
        return rc;
    }
    gp *probe = gp_alloc(k, 1.0, err); /* takes k */
    rc = probe == NULL ? BL_ENOMEM : gp_set_mean(probe, gs->mean, gs->beta, err);
    if (rc == BL_OK)
        rc = fix_mask(probe, gs->fix, NULL, err);
    gp_free(probe);
    return rc;
}

static void
gp_inst_free(void *m)
{
    struct gp_inst *g = m;
    if (g == NULL)
        return;
    gp_free(g->gp);
    free(g);
}

static void *
gp_create(const void *opts, const world *w, bl_err *err)
{
    const struct gp_setup *gs = opts;
    struct gp_inst *g = calloc(1, sizeof *g);
    if (g == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory"), NULL;
    g->set = *gs;
    g->in_dim = world_in_dim(w);
    kernel *k = kernel_parse(gs->kernel, g->in_dim, err);
    if (k != NULL)
        g->gp = gp_alloc(k, gs->noise * gs->noise, err); /* takes k, also on failure */
    if (g->gp != NULL && gp_set_mean(g->gp, gs->mean, gs->beta, err) != BL_OK) {
        gp_free(g->gp);
        g->gp = NULL;
    }
    if (g->gp == NULL) {
        free(g);
        return NULL;
    }
    return g;
}

/* The factor L (n x n doubles) and, while it grows by 3/2, its copy. */
static int
gp_fits(const void *opts, size_t n, bl_err *err)
{
    const struct gp_setup *gs = opts;
    const char *name = gs->tp ? "tp" : "gp";
    double bytes = 8.0 * (double)n * (double)n;
    if (n > GP_MAX_N)
        return bl_fail(err, BL_EINVAL,
                       "model %s: %zu points, at most %d (the n x n factor alone would take "
                       "%.1f GB); start a new stream (data ...) or use model blr",
                       name, n, GP_MAX_N, bytes / 1e9);
    char what[96];
    snprintf(what, sizeof what, "model %s with %zu points (an n x n factor, at most %d points)",
             name, n, GP_MAX_N);
    return mem_check(bytes * (1 + 1 / 2.25), what, err);
}

static int
gp_predict_one(const void *m, const double *x, struct model_pred *p, bl_err *err)
{
    const struct gp_inst *g = m;
    if (!g->set.tp)
        return gp_predict(g->gp, x, 1, &p->mean, &p->var_f, &p->var, NULL, err);
    const gp_scale_prior *pr = &g->set.prior;
    if (pr->kind == GP_SCALE_INVGAMMA) {
        gp_tp_pred tp;
        int rc = gp_tp_predict(g->gp, pr->p1, pr->p2, x, 1, &tp, err);
        if (rc == BL_OK) {
            double f = tp.df > 2 ? tp.df / (tp.df - 2) : (double)INFINITY;
            p->mean = tp.loc;
            p->var = tp.var;
            p->var_f = tp.scale2_f * f;
        }
        return rc;
    }
    /* Other scale priors: the scale mixture by quadrature (docs/math.md §5.2). */
    gp_scale_result r;
    int rc = gp_scale_quad(g->gp, pr, x, 0, &r, err);
    if (rc == BL_OK) {
        p->mean = r.pred_mean;
        p->var = r.pred_var;
        p->var_f = fmax(r.pred_var - r.mean_s * gp_noise(g->gp), 0);
    }
    return rc;
}

static int
gp_observe_one(void *m, const double *x, double y, struct model_step *st, bl_err *err)
{
    struct gp_inst *g = m;
    struct model_pred p;
    double lp = 0;
    int rc = gp_predict_one(g, x, &p, err);
    if (rc != BL_OK)
        return rc;
    const gp_scale_prior *pr = &g->set.prior;
    if (g->set.tp) {
        if (pr->kind == GP_SCALE_INVGAMMA) {
            rc = gp_tp_logpdf(g->gp, pr->p1, pr->p2, x, y, &lp, err);
        } else {
            gp_scale_result r;
            rc = gp_scale_quad(g->gp, pr, x, y, &r, err);
            lp = r.logpdf;
        }
        if (rc != BL_OK)
            return rc;
    }
    double lp_gp;
    if ((rc = gp_observe(g->gp, x, y, &lp_gp, err)) != BL_OK)
        return rc;
    if (!g->set.tp)
        lp = lp_gp;
    *st = (struct model_step){.logpred = lp, .mean = p.mean, .var = p.var, .gaussian = !g->set.tp};
    return BL_OK;
}

/* The evidence in closed form where it exists, else the chain rule. */
static void
gp_record(const void *m, double cum, double *row)
{
    const struct gp_inst *g = m;
    const gp_scale_prior *pr = &g->set.prior;
    double lml = -cum;
    if (!g->set.tp)
        lml = gp_log_ml(g->gp);
    else if (pr->kind == GP_SCALE_INVGAMMA && gp_tp_log_ml(g->gp, pr->p1, pr->p2, &lml, NULL))
        lml = -cum;
    row[TR_LOG_EVIDENCE] = lml;
}

/* The old path: one arrival at a time (also the jitter fallback). */
static int
gp_block_points(void *m, const double *X, size_t in_dim, const double *Y, size_t n, double cum,
                struct model_step *st, double *rows, bl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = gp_observe_one(m, X + i * in_dim, Y[i], &st[i], err);
        if (rc != BL_OK)
            return rc;
        cum -= st[i].logpred;
        gp_record(m, cum, rows + i * TR_COUNT);
    }
    return BL_OK;
}

/* All n arrivals extend the factor by one block (gp_observe_block); each
 * arrival's predictive, log-loss and evidence come from the block's
 * sequential state, so the traces equal the point path's to rounding
 * (docs/gp-blocks.md). A block that would need jitter goes point by point. */
static int
gp_block(void *m, const double *X, size_t in_dim, const double *Y, size_t n, double cum,
         struct model_step *st, double *rows, const bl_cancel *cancel,
         const struct model_side *side, bl_err *err)
{
    (void)side; /* its blocks cost far more than the drawing of the next one */
    struct gp_inst *g = m;
    if (n < 2 || in_dim != g->in_dim)
        return gp_block_points(m, X, in_dim, Y, n, cum, st, rows, err);
    gp_arrival *a = malloc(n * sizeof *a);
    if (a == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a block of %zu points", n);
    double nb = (double)gp_n(g->gp), qb = gp_quad(g->gp), ldb = gp_logdet(g->gp);
    bool need_jitter;
    int rc = gp_observe_block(g->gp, X, Y, n, a, &need_jitter, cancel, err);
    if (rc != BL_OK || need_jitter) {
        free(a);
        return rc != BL_OK ? rc : gp_block_points(m, X, in_dim, Y, n, cum, st, rows, err);
    }
    const gp_scale_prior *pr = &g->set.prior;
    for (size_t i = 0; i < n && rc == BL_OK; i++) {
        double *row = rows + i * TR_COUNT;
        if (!g->set.tp) {
            st[i] = (struct model_step){.logpred = a[i].logpred, .mean = a[i].mean,
                                        .var = a[i].var, .gaussian = true};
            row[TR_LOG_EVIDENCE] = a[i].lml;
        } else if (pr->kind == GP_SCALE_INVGAMMA) {
            gp_tp_pred p;
            double lp = gp_tp_step(pr->p1, pr->p2, nb, qb, a[i].mean, a[i].var, Y[i], &p);
            st[i] = (struct model_step){.logpred = lp, .mean = p.loc, .var = p.var};
            row[TR_LOG_EVIDENCE] = gp_tp_log_ml_at(pr->p1, pr->p2, nb + 1, a[i].q, a[i].logdet);
        } else {
            gp_scale_result r;
            rc = gp_scale_quad_at(pr, nb, qb, ldb, true, a[i].mean, a[i].var, Y[i], &r, err);
            st[i] = (struct model_step){.logpred = r.logpdf, .mean = r.pred_mean,
                                        .var = r.pred_var};
        }
        cum -= st[i].logpred;
        if (g->set.tp && pr->kind != GP_SCALE_INVGAMMA)
            row[TR_LOG_EVIDENCE] = -cum;
        nb += 1;
        qb = a[i].q;
        ldb = a[i].logdet;
    }
    free(a);
    return rc;
}

static double
gp_evidence(const void *m)
{
    const struct gp_inst *g = m;
    const gp_scale_prior *pr = &g->set.prior;
    double lml = (double)NAN;
    if (!g->set.tp)
        return gp_log_ml(g->gp);
    if (pr->kind == GP_SCALE_INVGAMMA) {
        if (gp_tp_log_ml(g->gp, pr->p1, pr->p2, &lml, NULL) != BL_OK)
            lml = (double)NAN;
        return lml;
    }
    gp_scale_result q;
    return gp_scale_quad(g->gp, pr, NULL, 0, &q, NULL) == BL_OK ? q.log_ml : (double)NAN;
}

/* Live progress of `optimize`: the pump on every iteration (Ctrl-C, redraw)
 * and, on the live screen only, a log line every OPT_LIVE_EVERY iterations;
 * batch output stays the one summary line, so scripts stay reproducible. */
#define OPT_LIVE_EVERY 5
/* A jitter above this fraction of the noise variance changes the model
 * visibly (it is extra noise on some points): worth a line. */
#define JITTER_NOTE_RATIO 0.01
struct opt_live {
    struct session *s;
    struct out *out;
};

static void
gp_opt_progress(void *ctx, size_t iter, double log_ml, double grad_norm)
{
    struct opt_live *l = ctx;
    if (l->s->interactive && iter % OPT_LIVE_EVERY == 0) {
        if (isnan(grad_norm))
            out_printf(l->out, "optimize: iteration %zu, log marginal %.10g", iter, log_ml);
        else
            out_printf(l->out, "optimize: iteration %zu, log marginal %.10g, |grad| %.2g", iter,
                       log_ml, grad_norm);
    }
    session_pump(l->s);
}

/* Empirical Bayes: the kernel's hyperparameters and the noise by maximizing
 * the GP marginal likelihood; then a replay. Ctrl-C keeps the best point so
 * far (replayed, then reported as an interruption). */
static int
gp_optimize_hook(struct session *s, struct out *out, bl_err *err)
{
    const struct gp_inst *g = s->m;
    if (g == NULL)
        return bl_fail(err, BL_ESTATE, "no gp model to optimize");
    if (s->n == 0)
        return bl_fail(err, BL_ESTATE, "no data to optimize on: observe some points first");
    gp *trial = gp_copy(g->gp, err);
    if (trial == NULL)
        return err ? err->code : BL_ENOMEM;
    gp_opt_result res;
    struct opt_live live = {s, out};
    bool fix[KERNEL_MAX_LEAVES * 3 + GP_MEAN_MAX_PARAMS];
    int rc = fix_mask(trial, g->set.fix, fix, err);
    gp_opt_opts oo = {.progress = gp_opt_progress, .progress_ctx = &live, .fix = fix};
    if (rc == BL_OK)
        rc = gp_optimize(trial, &oo, &res, s->cancel, err);
    if (rc == BL_OK) {
        /* The optimum as options, then a replay so every trace matches it. */
        struct gp_setup gs = g->set;
        const kernel *k = gp_kernel(trial);
        kernel_format(k, gs.kernel, sizeof gs.kernel);
        gs.noise = sqrt(gp_noise(trial));
        for (size_t j = 0; j < gp_mean_nparams(trial); j++)
            gs.beta[j] = gp_mean_param_value(trial, j);
        for (size_t i = 0; i < kernel_nparams(k); i++) {
            const char *name = kernel_param_name(k, i);
            if (strstr(name, "sw2") != NULL)
                gs.nn.sw2 = kernel_param_value(k, i);
            else if (strstr(name, "sb2") != NULL)
                gs.nn.sb2 = kernel_param_value(k, i);
        }
        /* After Ctrl-C the flag is still up: the replay of the kept point
         * must not see it (it is O(n^2) per point, short next to the run). */
        const bl_cancel *cancel = s->cancel;
        if (res.stop == GP_OPT_INTERRUPTED)
            s->cancel = NULL;
        rc = session_set_model(s, s->mc, &gs, err);
        s->cancel = cancel;
    }
    gp_free(trial);
    if (rc != BL_OK)
        return rc;
    char how[160], buf[700];
    if (!res.used_grad)
        snprintf(how, sizeof how, "Nelder-Mead; %s%s", res.converged ? "converged: " : "",
                 gp_opt_stop_name(res.stop));
    else
        snprintf(how, sizeof how, "L-BFGS, analytic gradients; %s%s, |grad| %.2g",
                 res.converged ? "converged: " : "", gp_opt_stop_name(res.stop), res.grad_norm);
    /* The value reported is the replayed model's own (its factor, its
     * jitter), not the optimizer's last evaluation: they agree to rounding
     * unless the replay's point path had to add jitter. */
    const struct gp_inst *fit = s->m;
    res.log_ml_after = gp_log_ml(fit->gp);
    double jit = gp_jitter(fit->gp), nv = gp_noise(fit->gp);
    if (jit > JITTER_NOTE_RATIO * nv)
        out_printf(out,
                   "note: the refit needed jitter %.4g on Ky's diagonal (noise variance %.4g): "
                   "the kernel matrix is near singular at these hyperparameters; the log "
                   "marginal below is that jittered model's",
                   jit, nv);
    session_describe_model(s, buf, sizeof buf);
    if (res.stop == GP_OPT_INTERRUPTED)
        return bl_fail(err, BL_ECANCEL,
                       "optimize interrupted after %zu iterations: kept the best point, log "
                       "marginal %.10g -> %.10g; %s",
                       res.iterations, res.log_ml_before, res.log_ml_after, buf);
    out_printf(out, "log marginal %.10g -> %.10g after %zu iteration%s (%s); %s",
               res.log_ml_before, res.log_ml_after, res.iterations,
               res.iterations == 1 ? "" : "s", how, buf);
    return BL_OK;
}

static void
gp_describe(const void *opts, const void *m, char *buf, size_t size)
{
    const struct gp_setup *gs = opts;
    const struct gp_inst *g = m;
    /* The mean after the kernel and noise: a zero mean adds nothing, so
     * every existing description reads as before. */
    char mean[96] = "";
    if (gs->mean == GP_MEAN_CONST)
        snprintf(mean, sizeof mean, " mean=const mean_c=%.10g", gs->beta[0]);
    else if (gs->mean == GP_MEAN_LINEAR)
        snprintf(mean, sizeof mean, " mean=linear mean_a=%.10g mean_b=%.10g%s", gs->beta[0],
                 gs->beta[1], g != NULL && g->in_dim > 1 ? ",.." : "");
    else if (gs->mean == GP_MEAN_DATA)
        snprintf(mean, sizeof mean, " mean=data");
    if (gs->tp)
        snprintf(buf, size, "tp %s(%.4g, %.4g) kernel=%s noise=%.4g%s",
                 prior_names[gs->prior.kind], gs->prior.p1, gs->prior.p2, gs->kernel, gs->noise,
                 mean);
    else
        snprintf(buf, size, "gp kernel=%s noise=%.4g%s", gs->kernel, gs->noise, mean);
}

/* ---- show ---------------------------------------------------------------- */

/* The hyperparameters: the kernel's, then the mean's (nothing for the zero
 * mean), noise and jitter. */
static void
show_hypers(struct out *out, const gp *g)
{
    const kernel *k = gp_kernel(g);
    for (size_t i = 0; i < kernel_nparams(k); i++)
        out_kv_real(out, kernel_param_name(k, i), kernel_param_value(k, i));
    for (size_t j = 0; j < gp_mean_nparams(g); j++)
        out_kv_real(out, gp_mean_param_name(g, j), gp_mean_param_value(g, j));
    if (gp_mean(g) == GP_MEAN_DATA) {
        double x0 = 0;
        out_kv_real(out, "mean.data", gp_mean_at(g, &x0));
    }
    out_kv_real(out, "noise", sqrt(gp_noise(g)));
    out_kv_real(out, "jitter", gp_jitter(g));
}

static int
gp_show_kernel(struct session *s, struct out *out, bl_err *err)
{
    const struct gp_inst *g = s->m;
    const kernel *k = gp_kernel(g->gp);
    char spec[1024];
    kernel_format(k, spec, sizeof spec);
    out_kv_str(out, "kernel", spec);
    show_hypers(out, g->gp);
    out_kv_int(out, "n", (long long)gp_n(g->gp));
    out_kv_int(out, "in_dim", (long long)gp_in_dim(g->gp));
    if (g->set.nngp) {
        /* The depth picture (docs/math.md §4.4): fixed point and chi1. */
        nngp *nm = nngp_alloc(s->in_dim, &g->set.nn, err);
        double q, chi, c;
        if (nm != NULL && nngp_fixed_point(nm, 1.0, &q, &chi, &c, NULL) == BL_OK) {
            out_kv_real(out, "q_star", q);
            out_kv_real(out, "chi1", chi);
            out_kv_real(out, "c_star", c);
            out_kv_str(out, "phase", chi < 0.999 ? "ordered" : chi > 1.001 ? "chaotic"
                                                                          : "edge of chaos");
        }
        nngp_free(nm);
    }
    return BL_OK;
}

static int
gp_show_evidence(struct session *s, struct out *out, bl_err *err)
{
    const struct gp_inst *g = s->m;
    double lml = gp_log_ml(g->gp);
    if (g->set.tp) {
        const gp_scale_prior *pr = &g->set.prior;
        out_kv_str(out, "prior", prior_names[pr->kind]);
        if (pr->kind == GP_SCALE_INVGAMMA) {
            int rc = gp_tp_log_ml(g->gp, pr->p1, pr->p2, &lml, err);
            if (rc != BL_OK)
                return rc;
            out_kv_real(out, "log_evidence", lml);
            out_kv_real(out, "a", pr->p1);
            out_kv_real(out, "b", pr->p2);
        } else {
            /* A non-conjugate scale prior: quadrature, and the paper's importance
             * sampling with its Monte Carlo error (docs/math.md §5.2). */
            gp_scale_result q, is;
            int rc = gp_scale_quad(g->gp, pr, NULL, 0, &q, err);
            if (rc != BL_OK)
                return rc;
            gsl_rng *r = gsl_rng_alloc(bl_rng_mt19937);
            if (r == NULL)
                return bl_fail(err, BL_ENOMEM, "out of memory");
            gsl_rng_set(r, s->seed);
            rc = gp_scale_is(g->gp, pr, GP_IS_IG, 4096, r, NULL, 0, &is, err);
            gsl_rng_free(r);
            if (rc != BL_OK)
                return rc;
            out_kv_real(out, "log_evidence", q.log_ml);
            out_kv_real(out, "mean_scale", q.mean_s);
            out_kv_real(out, "log_evidence_is", is.log_ml);
            out_kv_real(out, "log_evidence_is_se", is.log_ml_se);
            out_kv_real(out, "is_ess", is.ess);
            out_kv_real(out, "p1", pr->p1);
            out_kv_real(out, "p2", pr->p2);
        }
        out_kv_real(out, "log_evidence_gp", gp_log_ml(g->gp));
    } else {
        out_kv_real(out, "log_evidence", lml);
    }
    show_hypers(out, g->gp);
    out_kv_int(out, "n", (long long)s->n);
    return BL_OK;
}

/* The kernel Gram of the first inputs (per layer for an NNGP kernel). */
static int
gp_show_spectrum(struct session *s, struct out *out, bl_err *err)
{
    const struct gp_inst *g = s->m;
    size_t n = s->n < SHOW_GP_MAX_SPECTRUM ? s->n : SHOW_GP_MAX_SPECTRUM;
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "no points yet: the Gram matrix is empty");
    out_kv_str(out, "matrix", "kernel Gram of the observed inputs");
    out_kv_int(out, "points", (long long)n);
    if (g->set.nngp) {
        nngp *m = nngp_alloc(s->in_dim, &g->set.nn, err);
        size_t L = g->set.nn.depth + 1;
        double *lam = malloc(L * n * sizeof *lam);
        nngp_layer_spectrum *sp = malloc(L * sizeof *sp);
        int rc = m && lam && sp ? nngp_layer_spectra(m, s->X, n, lam, sp, s->cancel, err)
                                : bl_fail(err, BL_ENOMEM, "out of memory");
        if (rc == BL_OK) {
            double *rank = malloc(L * sizeof *rank);
            if (rank != NULL) {
                for (size_t l = 0; l < L; l++)
                    rank[l] = sp[l].rankme;
                out_kv_vec(out, "effective_rank_by_layer", rank, L);
                free(rank);
            }
            show_spectrum_lines(out, "", lam + (L - 1) * n, n);
        }
        nngp_free(m);
        free(lam);
        free(sp);
        return rc;
    }
    double *K = malloc(n * n * sizeof *K), *lam = malloc(n * sizeof *lam);
    int rc = K && lam ? kernel_gram(gp_kernel(g->gp), s->X, n, K, s->cancel, err)
                      : bl_fail(err, BL_ENOMEM, "out of memory");
    if (rc == BL_OK)
        rc = spectrum_eig_desc(K, n, lam, err);
    if (rc == BL_OK)
        show_spectrum_lines(out, "", lam, n);
    free(K);
    free(lam);
    return rc;
}

/* The n x n kernel matrix (layer of an NNGP; 0: the model's kernel). */
static int
gp_gram(const void *m, const double *X, size_t n, long layer, double *K, const bl_cancel *cancel,
        bl_err *err)
{
    const struct gp_inst *g = m;
    if (layer <= 0)
        return kernel_gram(gp_kernel(g->gp), X, n, K, cancel, err);
    if (!g->set.nngp)
        return bl_fail(err, BL_EINVAL, "layer=%ld: only an nngp kernel has layers", layer);
    if ((size_t)layer > g->set.nn.depth + 1)
        return bl_fail(err, BL_EINVAL, "layer=%ld: the network has layers 1..%zu", layer,
                       g->set.nn.depth + 1);
    nngp *nm = nngp_alloc(g->in_dim, &g->set.nn, err);
    size_t L = g->set.nn.depth + 1;
    double **Ks = calloc(L, sizeof *Ks);
    if (nm == NULL || Ks == NULL) {
        nngp_free(nm);
        free(Ks);
        return bl_fail(err, BL_ENOMEM, "out of memory");
    }
    Ks[layer - 1] = K;
    int rc = nngp_gram_layers(nm, X, n, Ks, NULL, cancel, err);
    nngp_free(nm);
    free(Ks);
    return rc;
}

/* ---- panes --------------------------------------------------------------- */

static int
gp_pane_mean(const void *m, const double *X, size_t n, double *mean, bl_err *err)
{
    const struct gp_inst *g = m;
    return gp_predict(g->gp, X, n, mean, NULL, NULL, NULL, err);
}

static size_t
gp_band_normals(const void *m, size_t grid)
{
    (void)m;
    return grid; /* a draw is one correlated normal vector over the grid */
}

/* The GP's band and draws within the data pane's time budget; a Student-t
 * process widens both by its spread relative to the GP's. */
static int
gp_band(const void *m, const double *gx, size_t grid, const double *z, int ndraws, double *mean,
        double *sd, double *draws, const bl_cancel *cancel, bl_err *err)
{
    const struct gp_inst *g = m;
    double *vf = draws; /* scratch before the draws overwrite it */
    double eval_s;
    bool thinned;
    if (gpb_predict(g->gp, gx, grid, mean, vf, sd, GPB_BUDGET_S, &eval_s, &thinned, cancel, err) !=
        BL_OK)
        return -1;
    double factor = 1;
    if (g->set.tp) {
        for (size_t i = 0; i < grid; i++) {
            struct model_pred p;
            if (gp_predict_one(g, &gx[i], &p, err) != BL_OK)
                return -1;
            sd[i] = p.var;
            if (i == 0 && vf[0] > 0)
                factor = p.var_f / vf[0];
        }
    }
    for (size_t i = 0; i < grid; i++)
        sd[i] = sqrt(fmax(sd[i], 0));
    bool drawn;
    if (gpb_draws(g->gp, gx, grid, z, (size_t)ndraws, draws, eval_s, GPB_BUDGET_S, &drawn, err) !=
        BL_OK)
        return -1;
    if (!drawn)
        return 0;
    if (factor != 1 && isfinite(factor))
        for (int j = 0; j < ndraws; j++)
            for (size_t i = 0; i < grid; i++) {
                double *f = &draws[(size_t)j * grid + i];
                *f = mean[i] + sqrt(factor) * (*f - mean[i]);
            }
    return ndraws;
}

/* log density of IG(a, b) at x > 0. */
static double
ig_logpdf(double x, double a, double b)
{
    return a * log(b) - lgamma(a) - (a + 1) * log(x) - b / x;
}

/* A Student-t process (inverse-gamma scale) has one scalar to learn, the
 * output scale s: its prior and posterior IG(a + n/2, b + q/2) (docs/math.md §5.1)
 * show the scale mixture at work. */
/* Other scale priors (docs/math.md §5.2): the posterior of s is the prior
 * times the likelihood's kernel s^(-n/2) exp(-q / 2s), normalized on the
 * grid (trapezoid; the posterior's width ~ s sqrt(2/n) spans many steps for
 * the n a pane shows). The range holds the prior's bulk (its median) and
 * the likelihood's mode q/n. */
static bool
tp_scalar_grid(const struct gp_inst *g, struct model_scalar *sc)
{
    const gp_scale_prior *pr = &g->set.prior;
    double n = (double)gp_n(g->gp), q = gp_quad(g->gp);
    double med = pr->kind == GP_SCALE_GAMMA    ? pr->p1 * pr->p2
                 : pr->kind == GP_SCALE_BURR12 ? pow(pow(2, 1 / pr->p2) - 1, 1 / pr->p1)
                                               : pr->p1 * pr->p1; /* half-Cauchy on sqrt(s) */
    double hi = 4 * fmax(med, n > 0 ? q / n : 0);
    if (!(hi > 0) || !isfinite(hi))
        return false;
    enum { G = MODEL_SCALAR_GRID };
    double lp[G], top = -INFINITY;
    sc->xlabel = "output scale s";
    sc->lo = 0;
    sc->hi = hi;
    for (int i = 0; i < G; i++) {
        double s = hi * (i + 1) / G;
        sc->x[i] = s;
        sc->prior[i] = exp(gp_scale_prior_logpdf(pr, s));
        lp[i] = gp_scale_prior_logpdf(pr, s) - 0.5 * n * log(s) - 0.5 * q / s;
        top = fmax(top, lp[i]);
    }
    if (!isfinite(top))
        return false;
    double area = 0, h = hi / G;
    for (int i = 0; i < G; i++) {
        sc->post[i] = exp(lp[i] - top);
        area += h * (i == 0 ? 0.5 * sc->post[i] : 0.5 * (sc->post[i] + sc->post[i - 1]));
    }
    for (int i = 0; i < G; i++)
        sc->post[i] /= area;
    static const char *const names[] = {"", "inverse gamma", "gamma", "burr12", "half-cauchy"};
    snprintf(sc->post_label, sizeof sc->post_label, "posterior (%s prior)", names[pr->kind]);
    return true;
}

static bool
tp_scalar(const void *m, struct model_scalar *sc)
{
    const struct gp_inst *g = m;
    if (g->set.prior.kind == GP_SCALE_POINT)
        return false; /* a point mass: no density to draw */
    if (g->set.prior.kind != GP_SCALE_INVGAMMA)
        return tp_scalar_grid(g, sc);
    double a = g->set.prior.p1, b = g->set.prior.p2, n = (double)gp_n(g->gp);
    double an = a + n / 2, bn = b + gp_quad(g->gp) / 2;
    /* Range: both modes and their spread. */
    double m0 = b / (a + 1), m1 = bn / (an + 1);
    double hi = 4 * fmax(m0, m1), lo = 0;
    enum { G = MODEL_SCALAR_GRID };
    sc->xlabel = "output scale s";
    sc->lo = lo;
    sc->hi = hi;
    for (int i = 0; i < G; i++) {
        sc->x[i] = lo + (hi - lo) * (i + 1) / G;
        sc->prior[i] = exp(ig_logpdf(sc->x[i], a, b));
        sc->post[i] = exp(ig_logpdf(sc->x[i], an, bn));
    }
    snprintf(sc->post_label, sizeof sc->post_label, "posterior IG(%.4g, %.4g)", an, bn);
    return true;
}

static size_t
gp_gram_layers(const void *m)
{
    const struct gp_inst *g = m;
    return g->set.nngp ? g->set.nn.depth + 1 : 1;
}

static int
gp_gram_spectra(const void *m, const double *X, size_t n, double *lam, double *rank,
                const bl_cancel *cancel, bl_err *err)
{
    const struct gp_inst *g = m;
    int rc;
    if (g->set.nngp) {
        size_t L = g->set.nn.depth + 1;
        nngp *nm = nngp_alloc(g->in_dim, &g->set.nn, err);
        nngp_layer_spectrum *sp = malloc(L * sizeof *sp);
        rc = nm && sp ? nngp_layer_spectra(nm, X, n, lam, sp, cancel, err)
                      : bl_fail(err, BL_ENOMEM, "out of memory");
        for (size_t l = 0; rc == BL_OK && l < L; l++)
            rank[l] = sp[l].rankme;
        nngp_free(nm);
        free(sp);
        return rc;
    }
    double *K = malloc(n * n * sizeof *K);
    rc = K ? kernel_gram(gp_kernel(g->gp), X, n, K, cancel, err)
           : bl_fail(err, BL_ENOMEM, "out of memory");
    if (rc == BL_OK)
        rc = spectrum_eig_desc(K, n, lam, err);
    if (rc == BL_OK && spectrum_rankme_psd(lam, n, &rank[0], NULL) != BL_OK)
        rank[0] = NAN;
    free(K);
    return rc;
}

#define GP_COMMON                                                                          \
    .opts_size = sizeof(struct gp_setup), .configure = gp_configure, .create = gp_create,  \
    .free = gp_inst_free, .fits = gp_fits, .observe = gp_observe_one,                      \
    .observe_block = gp_block,                                                             \
    .record = gp_record, .traces = MODEL_TRACE(TR_LOG_EVIDENCE), .predict = gp_predict_one, \
    .log_evidence = gp_evidence, .optimize = gp_optimize_hook, .describe = gp_describe,    \
    .gram = gp_gram,                                                                       \
    .show = {.evidence = gp_show_evidence, .kernel = gp_show_kernel,                       \
             .spectrum = gp_show_spectrum}

#define GP_PANE                                                                            \
    .mean = gp_pane_mean, .band_normals = gp_band_normals, .band = gp_band,                \
    .band_slow = true, .gram_layers = gp_gram_layers, .gram_spectra = gp_gram_spectra

const struct model_class model_gp_class = {
    .subject = {"gp",
                "Gaussian process regression with any kernel (classic, sums, products, NNGP/NTK)",
                gp_keys, "model gp kernel=nngp act=relu depth=5"},
    GP_COMMON,
    .pane = {GP_PANE, .posterior_title = "gp"},
};

const struct model_class model_tp_class = {
    .subject = {"tp", "scale mixture of a GP: Student-t process (invgamma) or another scale prior",
                tp_keys, "model tp kernel=\"rbf(ls=0.2)\" a=2 b=2"},
    GP_COMMON,
    .pane = {GP_PANE, .posterior_title = "output scale s", .scalar = tp_scalar},
};
