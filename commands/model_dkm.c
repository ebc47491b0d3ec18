/* commands/model_dkm.c - `model dkm`: the deep kernel machine (core/dkm,
 * docs/dkm.md). No weights: learned Gram matrices G_1..G_L on the observed
 * inputs. Per arrival the one-step predictive under the current Grams is
 * scored, then every Gram is extended to the new input by the layer's
 * Gaussian conditional (O(L n^2); no refit). `optimize` runs the DKM's
 * L-BFGS on the instance itself to convergence: the learned Grams are the
 * state, not options, so there is no replay, and the traces of past
 * arrivals keep the scores they had when they arrived. A new model, world or
 * `model dkm ...` starts again from the NNGP's Grams. */
#include "commands/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/memlimit.h"
#include "commands/session.h"
#include "commands/show_gp.h"
#include "core/dkm/dkm.h"
#include "core/kernel/nngp.h"

#define DKM_MAX_N        1000 /* the optimiser holds ~20 L n^2 doubles */
#define DKM_OPT_MAX_ITER 2000
#define DKM_OPT_TOL      1e-5
#define DKM_LIVE_EVERY   5

static const char *const act_choices[] = {"relu", "erf", "leaky_relu", "abs", NULL};

static const struct arg_spec dkm_keys[] = {
    {.name = "depth", .type = ARG_INT, .min = 1, .max = DKM_MAX_DEPTH, .def = "2",
     .help = "learned layers L (Grams G_1..G_L; G_l in the place of NNGP layer l+1)"},
    {.name = "nu", .type = ARG_VEC,
     .help = "KL weight: one value for every layer or one per layer (default 1; large: the "
             "NNGP)"},
    {.name = "act", .type = ARG_CHOICE, .choices = act_choices, .def = "relu",
     .help = "activation (closed-form kernel maps only)"},
    {.name = "sw2", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "2",
     .help = "weight variance"},
    {.name = "sb2", .type = ARG_REAL, .min = 0, .max = 1e6, .def = "0.1",
     .help = "bias variance"},
    {.name = "noise", .type = ARG_REAL, .min = 0, .max = 1e6,
     .help = "noise sd (default: the world's when known, else 0.1)"},
    {0},
};

struct dkm_inst {
    dkm_opts o;
    dkm *m;
};

static int
dkm_configure(const struct session *s, const struct cmd_args *a, void *opts, bl_err *err)
{
    dkm_opts *o = opts;
    memset(o, 0, sizeof *o);
    if (nngp_act_parse(args_str(a, "act"), &o->act, err) != BL_OK)
        return BL_EINVAL;
    o->depth = (size_t)args_int(a, "depth");
    o->sw2 = args_real(a, "sw2");
    o->sb2 = args_real(a, "sb2");
    o->slope = nngp_opts_default().slope;
    if (args_given(a, "noise"))
        o->noise = args_real(a, "noise");
    else if (s->world != NULL && world_knows_truth(s->world) && world_noise(s->world) > 0)
        o->noise = world_noise(s->world);
    else
        o->noise = 0.1;
    for (size_t l = 0; l < o->depth; l++)
        o->nu[l] = 1.0;
    if (args_given(a, "nu")) {
        size_t len;
        const double *v = args_vec(a, "nu", &len);
        if (len != 1 && len != o->depth)
            return bl_fail(err, BL_EINVAL, "nu: %zu values for depth=%zu: give one or %zu", len,
                           o->depth, o->depth);
        for (size_t l = 0; l < o->depth; l++) {
            double nu = v[len == 1 ? 0 : l];
            if (!(nu > 0.0) || nu > 1e12)
                return bl_fail(err, BL_EINVAL, "nu=%g: must be in (0, 1e12]", nu);
            o->nu[l] = nu;
        }
    }
    return dkm_check(o, err);
}

static void *
dkm_create(const void *opts, const world *w, bl_err *err)
{
    struct dkm_inst *d = calloc(1, sizeof *d);
    if (d == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory"), NULL;
    d->o = *(const dkm_opts *)opts;
    if ((d->m = dkm_alloc(world_in_dim(w), &d->o, err)) == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

static void
dkm_inst_free(void *m)
{
    struct dkm_inst *d = m;
    if (d == NULL)
        return;
    dkm_free(d->m);
    free(d);
}

/* The state and the optimiser: about (8 + 20 L) n^2 doubles. */
static int
dkm_fits(const void *opts, size_t n, bl_err *err)
{
    const dkm_opts *o = opts;
    if (n > DKM_MAX_N)
        return bl_fail(err, BL_EINVAL,
                       "model dkm: %zu points, at most %d (the optimiser holds about %zu n x n "
                       "matrices); start a new stream (data ...) or use model gp kernel=nngp",
                       n, DKM_MAX_N, 8 + 20 * o->depth);
    char what[96];
    snprintf(what, sizeof what, "model dkm with %zu points (at most %d points)", n, DKM_MAX_N);
    return mem_check(8.0 * (double)n * (double)n * (double)(8 + 20 * o->depth), what, err);
}

static int
dkm_observe_one(void *m, const double *x, double y, struct model_step *st, bl_err *err)
{
    struct dkm_inst *d = m;
    double lp, mean, var;
    int rc = dkm_observe(d->m, x, y, &lp, &mean, &var, err);
    if (rc == BL_OK)
        *st = (struct model_step){.logpred = lp, .mean = mean, .var = var, .gaussian = true};
    return rc;
}

static double
dkm_evidence(const void *m)
{
    const struct dkm_inst *d = m;
    dkm_terms t;
    dkm_get_terms(d->m, &t);
    return t.objective;
}

/* The objective in place of the evidence: the GP's log marginal at the
 * NNGP's Grams, the chain rule of the arrivals after an optimisation. */
static void
dkm_record(const void *m, double cum, double *row)
{
    (void)cum;
    row[TR_LOG_EVIDENCE] = dkm_evidence(m);
}

static int
dkm_predict_one(const void *m, const double *x, struct model_pred *p, bl_err *err)
{
    const struct dkm_inst *d = m;
    return dkm_predict(d->m, x, 1, &p->mean, &p->var_f, &p->var, err);
}

static int
dkm_pane_mean(const void *m, const double *X, size_t n, double *mean, bl_err *err)
{
    const struct dkm_inst *d = m;
    return dkm_predict(d->m, X, n, mean, NULL, NULL, err);
}

/* Live progress: the pump every iteration (Ctrl-C, redraw: the spectrum
 * pane shows the Grams as they move) and, on the live screen only, a log
 * line every DKM_LIVE_EVERY iterations at first, sparser later. */
struct opt_live {
    struct session *s;
    struct out *out;
};

static void
dkm_opt_progress(void *ctx, size_t iter, double objective, double grad_norm)
{
    struct opt_live *l = ctx;
    /* The status line shows the trace's last point: the objective reached,
     * now, not the one from before the run. */
    if (l->s->n > 0)
        l->s->trace[TR_LOG_EVIDENCE][l->s->n - 1] = objective;
    l->s->generation++;
    /* Every DKM_LIVE_EVERY iterations, then sparser by tens (every 50 past
     * 50, every 500 past 500): a run of 1100 iterations wrote 220 lines and
     * opened the pager over the figure; the status line follows every one. */
    size_t every = DKM_LIVE_EVERY;
    while (iter > 10 * every)
        every *= 10;
    if (l->s->interactive && iter % every == 0)
        out_printf(l->out, "optimize: iteration %zu, objective %.10g, |grad| %.2g", iter,
                   objective, grad_norm);
    session_pump(l->s);
}

/* Up to k optimiser iterations on the session's instance, from where the
 * last call stopped (core/dkm keeps the L-BFGS state): the one entry point
 * for `optimize` and for a paced job that would call it with a few
 * iterations per tick (info->stop != DKM_RUNNING: done). The status line's
 * log evidence is the trace's last point: it takes the objective at the
 * Grams reached (the earlier points keep theirs). */
static int
dkm_steps(struct session *s, struct out *out, size_t k, dkm_iter_info *info, bl_err *err)
{
    struct dkm_inst *d = s->m;
    struct opt_live live = {s, out};
    int rc = dkm_iterate(d->m, k, DKM_OPT_TOL, dkm_opt_progress, &live, info, s->cancel, err);
    if (s->n > 0)
        s->trace[TR_LOG_EVIDENCE][s->n - 1] = info->objective;
    s->generation++;
    return rc;
}

static int
dkm_optimize_hook(struct session *s, struct out *out, bl_err *err)
{
    struct dkm_inst *d = s->m;
    if (d == NULL)
        return bl_fail(err, BL_ESTATE, "no dkm model to optimize");
    if (s->n == 0)
        return bl_fail(err, BL_ESTATE, "no data to optimize on: observe some points first");
    dkm_terms t0;
    dkm_get_terms(d->m, &t0);
    dkm_iter_info info = {0};
    int rc = dkm_steps(s, out, DKM_OPT_MAX_ITER, &info, err);
    char buf[300];
    session_describe_model(s, buf, sizeof buf);
    if (rc == BL_ECANCEL)
        return bl_fail(err, BL_ECANCEL,
                       "optimize interrupted after %zu iterations: kept the point reached, "
                       "objective %.6f -> %.6f; %s",
                       info.iterations, t0.objective, info.objective, buf);
    if (rc != BL_OK)
        return rc;
    /* Converged by the gradient or by the relative change: which one fires
     * first at a flat optimum depends on the last bits of the BLAS, so the
     * line says only whether. */
    bool conv = info.stop == DKM_GRADIENT || info.stop == DKM_RELCHANGE;
    out_printf(out, "objective %.6f -> %.6f (L-BFGS on the Grams; %s); %s", t0.objective,
               info.objective, conv ? "converged" : info.stop == DKM_RUNNING ? "max_iter" :
               dkm_stop_name(info.stop), buf);
    return BL_OK;
}

static void
dkm_describe(const void *opts, const void *m, char *buf, size_t size)
{
    (void)m;
    const dkm_opts *o = opts;
    char nu[160];
    bool same = true;
    for (size_t l = 1; l < o->depth; l++)
        same &= o->nu[l] == o->nu[0];
    size_t k = (size_t)snprintf(nu, sizeof nu, "%.4g", o->nu[0]);
    for (size_t l = 1; !same && l < o->depth && k < sizeof nu; l++)
        k += (size_t)snprintf(nu + k, sizeof nu - k, ",%.4g", o->nu[l]);
    snprintf(buf, size, "dkm depth=%zu nu=%s act=%s sw2=%.4g sb2=%.4g noise=%.4g", o->depth, nu,
             nngp_act_name(o->act), o->sw2, o->sb2, o->noise);
}

/* Layer l of the NNGP numbering (1: K^1, l+1: G_l; 0: the output G_L) on the
 * first n inputs of the stream (X is the session's). */
static int
dkm_gram_hook(const void *m, const double *X, size_t n, long layer, double *K,
              const bl_cancel *cancel, bl_err *err)
{
    (void)X, (void)cancel;
    const struct dkm_inst *d = m;
    size_t L = d->o.depth, N = dkm_n(d->m);
    if (layer < 0 || (size_t)layer > L + 1)
        return bl_fail(err, BL_EINVAL, "layer=%ld: the dkm has layers 1..%zu", layer, L + 1);
    if (n > N)
        return bl_fail(err, BL_EINVAL, "dkm: %zu points asked for, the Grams hold %zu", n, N);
    size_t l = layer == 0 ? L : (size_t)layer - 1;
    double *G = malloc((N ? N * N : 1) * sizeof *G);
    if (G == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a %zu x %zu matrix", N, N);
    int rc = dkm_gram(d->m, l, G, err);
    for (size_t i = 0; rc == BL_OK && i < n; i++)
        memcpy(K + i * n, G + i * N, n * sizeof *K);
    free(G);
    return rc;
}

static size_t
dkm_gram_layers(const void *m)
{
    const struct dkm_inst *d = m;
    return d->o.depth + 1;
}

static int
dkm_gram_spectra(const void *m, const double *X, size_t n, double *lam, double *rank,
                 const bl_cancel *cancel, bl_err *err)
{
    (void)X;
    const struct dkm_inst *d = m;
    return dkm_layer_spectra(d->m, n, lam, rank, cancel, err);
}

/* show evidence: the objective and its terms, and how far each learned Gram
 * is from the NNGP's (relative Frobenius distance) with its effective rank. */
static int
dkm_show_evidence(struct session *s, struct out *out, bl_err *err)
{
    const struct dkm_inst *d = s->m;
    size_t L = d->o.depth, n = dkm_n(d->m);
    dkm_terms t;
    dkm_get_terms(d->m, &t);
    out_kv_real(out, "objective", t.objective);
    out_kv_real(out, "log_likelihood", t.loglik);
    char key[32];
    for (size_t l = 0; l < L; l++) {
        snprintf(key, sizeof key, "kl_%zu", l + 1);
        out_kv_real(out, key, t.kl[l]);
    }
    if (n > 0) {
        double dist[DKM_MAX_DEPTH], rank[DKM_MAX_DEPTH + 1];
        double *lam = malloc((L + 1) * n * sizeof *lam);
        int rc = lam ? dkm_layer_spectra(d->m, n, lam, rank, s->cancel, err)
                     : bl_fail(err, BL_ENOMEM, "out of memory");
        free(lam);
        for (size_t l = 0; rc == BL_OK && l < L; l++)
            rc = dkm_nngp_distance(d->m, l + 1, &dist[l], err);
        if (rc != BL_OK)
            return rc;
        out_kv_vec(out, "nngp_distance", dist, L);
        out_kv_vec(out, "effective_rank_by_layer", rank, L + 1);
    }
    out_kv_vec(out, "nu", d->o.nu, L);
    out_kv_int(out, "n", (long long)s->n);
    return BL_OK;
}

/* show spectrum: the learned Grams of the first inputs, as gp does for an
 * NNGP kernel: effective rank per layer, the output layer's spectrum. */
static int
dkm_show_spectrum(struct session *s, struct out *out, bl_err *err)
{
    const struct dkm_inst *d = s->m;
    size_t L1 = d->o.depth + 1, n = s->n < SHOW_GP_MAX_SPECTRUM ? s->n : SHOW_GP_MAX_SPECTRUM;
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "no points yet: the Gram matrix is empty");
    out_kv_str(out, "matrix", "learned Grams of the observed inputs (layer 1: K^1)");
    out_kv_int(out, "points", (long long)n);
    double *lam = malloc(L1 * n * sizeof *lam), rank[DKM_MAX_DEPTH + 1];
    int rc = lam ? dkm_layer_spectra(d->m, n, lam, rank, s->cancel, err)
                 : bl_fail(err, BL_ENOMEM, "out of memory");
    if (rc == BL_OK) {
        out_kv_vec(out, "effective_rank_by_layer", rank, L1);
        show_spectrum_lines(out, "", lam + (L1 - 1) * n, n);
    }
    free(lam);
    return rc;
}

const struct model_class model_dkm_class = {
    .subject = {"dkm",
                "deep kernel machine: learned per-layer Grams, NNGP prior KL-weighted by nu",
                dkm_keys, "model dkm depth=2 nu=1 act=relu"},
    .opts_size = sizeof(dkm_opts),
    .configure = dkm_configure,
    .create = dkm_create,
    .free = dkm_inst_free,
    .fits = dkm_fits,
    .observe = dkm_observe_one,
    .record = dkm_record,
    .traces = MODEL_TRACE(TR_LOG_EVIDENCE),
    .predict = dkm_predict_one,
    .log_evidence = dkm_evidence,
    .score_name = "objective", .score_key = "objective", /* not an evidence (docs/dkm.md) */
    .optimize = dkm_optimize_hook,
    .describe = dkm_describe,
    .gram = dkm_gram_hook,
    .show = {.evidence = dkm_show_evidence, .spectrum = dkm_show_spectrum},
    .pane = {.mean = dkm_pane_mean, .posterior_title = "dkm", .gram_layers = dkm_gram_layers,
             .gram_spectra = dkm_gram_spectra},
};
