/* commands/sampler_job.c - see sampler_job.h.
 *
 * Every transition goes through sampler_ens_step with events, so a chain's
 * draws depend only on the seed and the iteration count: batch `sample N`,
 * N presses of `step` and a live paced `sample` give the same chains. Bulk
 * steps use events without trajectory storage; the last step of each call
 * uses full events, kept for the posterior pane. */
#include "commands/sampler_job.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "commands/clock.h"
#include "core/base/linalg.h"
#include "core/spectrum/spectrum.h"
#include "datasets/builtin.h"
#include "core/base/rng.h"

const char *const smp_target_names[SMP_NTARGETS + 1] = {
    "posterior", "banana", "donut",     "mixture", "funnel", "squiggle",
    "logistic",  "modes",  "funnel_nc", "normal",  NULL,
};

bool
smp_target_scaled(enum smp_target tid)
{
    return tid == SMP_POSTERIOR || tid == SMP_LOGISTIC || tid == SMP_NORMAL;
}

#define KEEP_DOUBLES   4000000.0 /* kept draws in all: 32 MB */
#define LIVE_REFRESH_S 0.25      /* live diagnostics at most 4 times a second */
/* The Gaussian fit's W2 and KL are O(d^3) (0.3 s at d = 1000, where a
 * checkpoint's other diagnostics take milliseconds): before the final
 * values, a batch run refreshes them at iterations that double (a rule of
 * the count alone, so the trace is the same on every machine), and the
 * live screen only while they have taken at most FIT_SHARE of the time
 * since their last refresh and one refresh blocks the screen at most
 * FIT_LIVE_S. Up to FIT_FREE_D they always are (microseconds). */
#define FIT_SHARE  0.1
#define FIT_LIVE_S 0.05
#define FIT_FREE_D 64

static void
trace_free(struct smp_trace *t)
{
    free(t->iter);
    free(t->accept);
    free(t->ess);
    free(t->rhat);
    free(t->w2);
    free(t->kl);
    free(t->kl_floor);
    memset(t, 0, sizeof *t);
}

void
sampler_job_free(struct sampler_job *j)
{
    if (j == NULL)
        return;
    for (size_t k = 0; k < j->K; k++) {
        if (j->ev != NULL)
            sampler_event_free(j->ev[k]);
        if (j->light != NULL)
            sampler_event_free(j->light[k]);
    }
    free(j->ev);
    free(j->light);
    sampler_ens_free(j->ens);
    target_free(j->t);
    if (j->rng != NULL)
        gsl_rng_free(j->rng);
    free(j->coord);
    free(j->model_mean);
    free(j->ref_mean);
    free(j->ref_cov);
    free(j->draws);
    free(j->wts);
    free(j->energy);
    free(j->wu_iter); /* the block of the three warm-up traces */
    free(j->rhat_v); /* the block of the five ndiag vectors */
    free(j->ebfmi);
    diag_acc_free(j->acc);
    trace_free(&j->tr);
    free(j);
}

/* ---- targets ------------------------------------------------------------- */

/* Bayesian logistic regression on breast_cancer: the first `features`
 * standardized features and an intercept (last coordinate); labels +1
 * (malignant) / -1. */
static target *
logistic_target(struct sampler_job *j, const struct sampler_setup *o, bl_err *err)
{
    table *tb = builtin_load("breast_cancer", err);
    if (tb == NULL)
        return NULL;
    size_t n = tb->rows, p = o->features, d = p + 1, ycol = tb->cols - 1;
    if (p + 1 > tb->cols) {
        bl_fail(err, BL_EINVAL, "features=%zu: breast_cancer has %zu features", p, tb->cols - 1);
        table_free(tb);
        return NULL;
    }
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    target *t = NULL;
    if (X == NULL || y == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = tb->data[i * tb->cols + ycol] > 0.5 ? 1.0 : -1.0;
    table_standardize(tb);
    for (size_t i = 0; i < n; i++) {
        memcpy(X + i * d, tb->data + i * tb->cols, p * sizeof *X);
        X[i * d + p] = 1.0;
    }
    t = target_logistic_alloc(n, d, X, y, o->alpha, err);
    if (t != NULL && (j->coord = calloc(d, sizeof *j->coord)) != NULL) {
        for (size_t i = 0; i < p; i++)
            snprintf(j->coord[i], sizeof j->coord[i], "%s", tb->names[i]);
        snprintf(j->coord[p], sizeof j->coord[p], "intercept");
    }
done:
    free(X);
    free(y);
    table_free(tb);
    return t;
}

/* ---- creation ------------------------------------------------------------ */

/* Smallest and largest standard deviation of the reference covariance
 * (square roots of its extreme eigenvalues); NaN when unknown. */
static void
ref_scales(const struct sampler_job *j, double *smin, double *smax)
{
    *smin = *smax = NAN;
    if (j->ref == TARGET_MOMENTS_NONE)
        return;
    size_t d = j->d;
    double *A = malloc(d * d * sizeof *A), *w = malloc(d * sizeof *w);
    bl_err err;
    if (A != NULL && w != NULL) {
        memcpy(A, j->ref_cov, d * d * sizeof *A);
        if (linalg_eigh(A, d, w, false, &err) == BL_OK && w[0] > 0 && isfinite(w[d - 1])) {
            *smin = sqrt(w[0]);
            *smax = sqrt(w[d - 1]);
        }
    }
    free(A);
    free(w);
}

/* The 2-D teaching density of tid (not posterior, logistic or normal). */
static target *
toy_target(enum smp_target tid, bl_err *err)
{
    static const target_kind toy[SMP_NTARGETS] = {
        [SMP_BANANA] = TARGET_BANANA,     [SMP_DONUT] = TARGET_DONUT,
        [SMP_MIXTURE] = TARGET_MIXTURE,   [SMP_FUNNEL] = TARGET_FUNNEL,
        [SMP_SQUIGGLE] = TARGET_SQUIGGLE, [SMP_MODES] = TARGET_MODES,
        [SMP_FUNNEL_NC] = TARGET_FUNNEL_NC,
    };
    return target_toy_alloc(toy[tid], err);
}

/* Into buf: the target= names (of smp_target_names) whose targets kind k
 * takes, ", "-separated, by building each; the posterior and logistic
 * depend on the data, so they are not listed. */
static void
targets_taken(const sampler_type *k, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int tid = 0; tid < SMP_NTARGETS; tid++) {
        if (tid == SMP_POSTERIOR || tid == SMP_LOGISTIC)
            continue;
        bl_err e;
        target *t = tid == SMP_NORMAL ? target_normal_alloc(2, &e) : toy_target(tid, &e);
        sampler_opts dflt;
        sampler_opts_default(&dflt);
        if (t != NULL && k->fits(t, &dflt, &e) == BL_OK && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                    smp_target_names[tid]);
        target_free(t);
    }
}

/* A kind whose target does not fit says what it needs in the session's
 * words (sampler_type.fits_needs) and the target= names it takes;
 * otherwise sampler_alloc's own message comes later. */
static bool
fits(const struct sampler_setup *o, const target *t, bl_err *err)
{
    const sampler_type *k = o->kind;
    if (k->fits == NULL || k->fits_needs == NULL)
        return true;
    sampler_opts dflt;
    sampler_opts_default(&dflt);
    bl_err why;
    if (k->fits(t, &dflt, &why) == BL_OK)
        return true;
    char taken[160];
    targets_taken(k, taken, sizeof taken);
    char what[96];
    target_kind tk = target_get_kind(t);
    if (o->tid != SMP_POSTERIOR)
        snprintf(what, sizeof what, "%s", smp_target_names[o->tid]);
    else if (tk == TARGET_BLR || tk == TARGET_BLR_DATA)
        snprintf(what, sizeof what, "a known-noise blr posterior");
    else
        snprintf(what, sizeof what, "the %s posterior", target_kind_name(tk));
    bool hint = o->tid != SMP_POSTERIOR && k->fits_instead != NULL;
    bool list = o->tid != SMP_POSTERIOR && taken[0] != '\0';
    bl_fail(err, BL_EINVAL, "%s needs %s, not %s%s%s%s%s%s%s", k->name, k->fits_needs, what,
            hint ? " (use " : "", hint ? k->fits_instead : "", hint ? ")" : "",
            list ? " (it takes target=" : "", list ? taken : "", list ? ")" : "");
    return false;
}

static bool
given(const struct sampler_setup *o, const char *name)
{
    for (size_t i = 0; i < o->nset; i++)
        if (strcmp(o->set_name[i], name) == 0)
            return true;
    return false;
}

struct sampler_job *
sampler_job_new(const struct sampler_setup *o, target *t, const struct smp_model *m,
                unsigned long seed, bl_err *err)
{
    assert((o->tid == SMP_POSTERIOR) == (t != NULL && m != NULL));
    struct sampler_job *j = calloc(1, sizeof *j);
    double *start = NULL, *sd = NULL, *w = NULL;
    if (j == NULL) {
        target_free(t);
        goto nomem;
    }
    j->kind = o->kind;
    j->tid = o->tid;
    j->K = o->K;
    j->w2 = j->kl = j->kl_floor = j->ess = j->rhat = j->n_eff = NAN;
    j->acceptance = j->accept_window = NAN;
    switch (o->tid) {
    case SMP_POSTERIOR: j->t = t; break;
    case SMP_LOGISTIC: j->t = logistic_target(j, o, err); break;
    case SMP_NORMAL: j->t = target_normal_alloc(o->dim > 0 ? o->dim : 100, err); break;
    default: j->t = toy_target(o->tid, err);
    }
    if (j->t == NULL)
        goto fail;
    size_t d = j->d = target_dim(j->t);
    if (o->init != NULL && o->ninit != d) {
        bl_fail(err, BL_EINVAL, "init has %zu value%s, the target has d = %zu", o->ninit,
                o->ninit == 1 ? "" : "s", d);
        goto fail;
    }
    if (!fits(o, j->t, err))
        goto fail;
    if (j->coord == NULL && (j->coord = calloc(d, sizeof *j->coord)) == NULL)
        goto nomem;
    for (size_t i = 0; i < d; i++)
        if (j->coord[i][0] == '\0')
            snprintf(j->coord[i], sizeof j->coord[i], "w%zu", i);

    j->ref_mean = malloc(d * sizeof *j->ref_mean);
    j->ref_cov = malloc(d * d * sizeof *j->ref_cov);
    start = calloc(d, sizeof *start);
    sd = malloc(d * sizeof *sd);
    w = malloc(d * sizeof *w);
    if (j->ref_mean == NULL || j->ref_cov == NULL || start == NULL || sd == NULL || w == NULL)
        goto nomem;
    j->ref = target_moments(j->t, j->ref_mean, j->ref_cov);
    if (j->ref == TARGET_MOMENTS_NONE)
        for (size_t i = 0; i < d * d; i++) {
            j->ref_cov[i] = (double)NAN;
            if (i < d)
                j->ref_mean[i] = (double)NAN;
        }
    if (o->tid == SMP_POSTERIOR) {
        j->model_n = m->n;
        j->model_dim = m->dim;
        if ((j->model_mean = malloc(d * sizeof *j->model_mean)) == NULL)
            goto nomem;
        memcpy(j->model_mean, m->mean, d * sizeof *j->model_mean);
        snprintf(j->tname, sizeof j->tname, "posterior n=%zu", m->n);
    } else if (o->tid == SMP_LOGISTIC) {
        snprintf(j->tname, sizeof j->tname, "logistic breast_cancer d=%zu", d);
    } else if (o->tid == SMP_NORMAL) {
        snprintf(j->tname, sizeof j->tname, "normal d=%zu", d);
    } else {
        snprintf(j->tname, sizeof j->tname, "%s", smp_target_names[o->tid]);
    }

    /* Start: the given point or the reference mean; each chain spread by
     * `spread` reference standard deviations per coordinate (overdispersed
     * starts, so split R-hat has something to detect). */
    for (size_t i = 0; i < d; i++) {
        start[i] = o->init ? o->init[i] : j->ref == TARGET_MOMENTS_NONE ? 0.0 : j->ref_mean[i];
        sd[i] = j->ref == TARGET_MOMENTS_NONE ? 1.0 : sqrt(j->ref_cov[i * d + i]);
        if (!isfinite(sd[i]) || sd[i] <= 0)
            sd[i] = 1.0;
    }
    if ((j->rng = gsl_rng_alloc(bl_rng_mt19937)) == NULL)
        goto nomem;
    gsl_rng_set(j->rng, seed ^ 0x5a3b1e5UL);

    /* Options: the core's defaults, then a scale-aware step for Gaussian-like
     * references (posterior, logistic) unless given, then the user's. */
    sampler_opts opts;
    sampler_opts_default(&opts);
    double smin, smax;
    ref_scales(j, &smin, &smax);
    if (smp_target_scaled(o->tid) && isfinite(smin)) {
        double dd = (double)d;
        if (!given(o, "step") && o->kind->step_default != NULL)
            opts.step = o->kind->step_default(smin, d);
        if (!given(o, "sigma"))
            opts.sigma = 2.38 / sqrt(dd) * smin;
    }
    j->ens = sampler_ens_alloc(o->kind, j->t, &opts, o->K, start, 0.0, j->rng, err);
    if (j->ens == NULL)
        goto fail;
    for (size_t i = 0; i < o->nset; i++)
        if (sampler_ens_set(j->ens, o->set_name[i], o->set_value[i], err) != BL_OK)
            goto fail;
    for (size_t k = 0; k < o->K; k++) {
        sampler *ch = sampler_ens_chain(j->ens, k);
        double f = o->spread;
        for (int tries = 0; tries < 30 && f > 0; tries++, f *= 0.5) {
            for (size_t i = 0; i < d; i++)
                w[i] = start[i] + f * sd[i] * gsl_ran_gaussian_ziggurat(j->rng, 1.0);
            bl_err e2;
            if (sampler_set_state(ch, w, &e2) == BL_OK)
                break;
        }
    }
    const sampler_opts *eo = sampler_options(sampler_ens_chain(j->ens, 0));
    j->warmup = eo->adapt ? eo->warmup : 0;

    double per = KEEP_DOUBLES / ((double)o->K * (double)d);
    j->keep = per > SMP_KEEP ? SMP_KEEP : per < 1000 ? 1000 : (size_t)per;
    j->draws = malloc(o->K * j->keep * d * sizeof *j->draws);
    j->wts = malloc(o->K * j->keep * sizeof *j->wts);
    j->energy = malloc(o->K * j->keep * sizeof *j->energy);
    if (j->warmup > 0) {
        size_t nw = j->warmup < SMP_WU_MAX ? j->warmup : SMP_WU_MAX;
        j->wu_every = (j->warmup + nw - 1) / nw;
        if ((j->wu_iter = malloc(3 * nw * sizeof *j->wu_iter)) == NULL)
            goto nomem;
        j->wu_step = j->wu_iter + nw;
        j->wu_acc = j->wu_iter + 2 * nw;
    }
    j->ndiag = d < SMP_DIAG_COORDS ? d : SMP_DIAG_COORDS;
    j->ebfmi = malloc(o->K * sizeof *j->ebfmi);
    if ((j->rhat_v = malloc(8 * j->ndiag * sizeof *j->rhat_v)) != NULL) {
        j->ess_bulk_v = j->rhat_v + j->ndiag;
        j->ess_tail_v = j->rhat_v + 2 * j->ndiag;
        j->mcse_mean_v = j->rhat_v + 3 * j->ndiag;
        j->mcse_sd_v = j->rhat_v + 4 * j->ndiag;
        j->mcse_q5_v = j->rhat_v + 5 * j->ndiag;
        j->mcse_q50_v = j->rhat_v + 6 * j->ndiag;
        j->mcse_q95_v = j->rhat_v + 7 * j->ndiag;
    }
    j->ev = calloc(o->K, sizeof *j->ev);
    j->light = calloc(o->K, sizeof *j->light);
    if (j->draws == NULL || j->wts == NULL || j->energy == NULL || j->rhat_v == NULL ||
        j->ebfmi == NULL || j->ev == NULL || j->light == NULL)
        goto nomem;
    for (size_t k = 0; k < o->K; k++) {
        j->ev[k] = sampler_event_alloc(d, SAMPLER_TRAJ_MAX, err);
        j->light[k] = sampler_event_alloc(d, 0, err);
        if (j->ev[k] == NULL || j->light[k] == NULL)
            goto fail;
    }
    if ((j->acc = diag_acc_alloc(d, err)) == NULL)
        goto fail;
    j->first = j->warmup + 1;
    j->next_ckpt = 10;
    if (o->tid == SMP_POSTERIOR)
        snprintf(j->desc, sizeof j->desc,
                 "%s on the posterior of %s (n = %zu, d = %zu), %zu chain%s",
                 sampler_kind_name(o->kind), m->desc, m->n, d, o->K, o->K == 1 ? "" : "s");
    else if (o->tid == SMP_LOGISTIC)
        snprintf(j->desc, sizeof j->desc,
                 "%s on logistic regression, breast_cancer (n = %zu, %zu feature%s + intercept), "
                 "%zu chain%s",
                 sampler_kind_name(o->kind), target_npoints(j->t), d - 1, d == 2 ? "" : "s", o->K,
                 o->K == 1 ? "" : "s");
    else if (o->tid == SMP_NORMAL)
        snprintf(j->desc, sizeof j->desc, "%s on the standard normal (d = %zu), %zu chain%s",
                 sampler_kind_name(o->kind), d, o->K, o->K == 1 ? "" : "s");
    else
        snprintf(j->desc, sizeof j->desc, "%s on the %s density (d = 2), %zu chain%s",
                 sampler_kind_name(o->kind), smp_target_names[o->tid], o->K, o->K == 1 ? "" : "s");
    free(start);
    free(sd);
    free(w);
    return j;
nomem:
    bl_fail(err, BL_ENOMEM, "out of memory for the sampler");
fail:
    free(start);
    free(sd);
    free(w);
    sampler_job_free(j);
    return NULL;
}

bool
sampler_job_matches(const struct sampler_job *j, size_t n, size_t dim, const double *mean)
{
    if (j == NULL || j->tid != SMP_POSTERIOR || mean == NULL || n != j->model_n ||
        dim != j->model_dim || j->d != dim)
        return false;
    const double *m = mean;
    for (size_t i = 0; i < j->d; i++)
        if (!(fabs(m[i] - j->model_mean[i]) <= 1e-12 * (1 + fabs(m[i]))))
            return false;
    return true;
}

/* ---- diagnostics --------------------------------------------------------- */

static void
trace_push(struct smp_trace *t, const struct sampler_job *j)
{
    if (t->n > 0 && t->iter[t->n - 1] == (double)j->iter)
        t->n--; /* a fresher value for the same iteration */
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        double **f[] = {&t->iter, &t->accept, &t->ess, &t->rhat, &t->w2, &t->kl, &t->kl_floor};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
            double *p = realloc(*f[i], cap * sizeof *p);
            if (p == NULL)
                return;
            *f[i] = p;
        }
        t->cap = cap;
    }
    t->iter[t->n] = (double)j->iter;
    t->accept[t->n] = j->accept_window;
    t->ess[t->n] = j->ess;
    t->rhat[t->n] = j->rhat;
    t->w2[t->n] = j->w2;
    t->kl[t->n] = j->kl;
    t->kl_floor[t->n] = j->kl_floor;
    t->n++;
}

/* Whether this refresh recomputes w2 and kl (final: the values to print). */
static bool
fit_due(const struct sampler_job *j, bool final, bool live)
{
    if (final || j->d <= FIT_FREE_D || j->fit_iter == 0)
        return true; /* the first one measures the cost */
    /* Batch: at iterations that double, a rule of the iteration count
     * alone, so that the same script and seed give the same trace (export
     * trace) on any machine; O(log N) fits in all. Live: by the time the
     * fits took, which only paces what the panes show. */
    if (!live)
        return j->iter >= 2 * j->fit_iter;
    if (j->fit_cost > FIT_LIVE_S)
        return false;
    return j->fit_cost <= FIT_SHARE * (clock_now() - j->fit_end);
}

static void
compute(struct sampler_job *j, bool fit)
{
    size_t K = j->K, d = j->d;
    double acc = 0, win = 0;
    for (size_t k = 0; k < K; k++) {
        sampler_stats st;
        sampler_get_stats(sampler_ens_chain(j->ens, k), &st);
        acc += st.accept_rate / (double)K;
        win += st.accept_window / (double)K;
    }
    j->acceptance = j->iter > 0 ? acc : (double)NAN;
    j->accept_window = j->iter > 0 ? win : (double)NAN;
    j->ess = j->rhat = j->ess_tail = j->n_eff = NAN;
    if (fit)
        j->w2 = j->kl = j->kl_floor = NAN;
    for (size_t i = 0; i < 8 * j->ndiag; i++) /* the 8 per-coordinate vectors */
        j->rhat_v[i] = NAN;
    for (size_t k = 0; k < K; k++)
        j->ebfmi[k] = NAN;
    bl_err err;
    if (j->count >= 4) {
        /* The summaries are NaN when any coordinate's is (a stuck chain
         * must not hide behind the others). The ESS is capped at
         * M N log10(M N) inside (antithetic chains). */
        double ess = INFINITY, tail = INFINITY, rhat = 0;
        for (size_t i = 0; i < j->ndiag; i++) {
            diag_summary s;
            if (diag_summarize(j->draws + i, K, j->count, d, j->keep * d, &s, &err) != BL_OK) {
                ess = tail = rhat = NAN;
                continue;
            }
            j->rhat_v[i] = s.rhat;
            j->ess_bulk_v[i] = s.ess_bulk;
            j->ess_tail_v[i] = s.ess_tail;
            j->mcse_mean_v[i] = s.mcse_mean;
            j->mcse_sd_v[i] = s.mcse_sd;
            j->mcse_q5_v[i] = s.mcse_q[0];
            j->mcse_q50_v[i] = s.mcse_q[1];
            j->mcse_q95_v[i] = s.mcse_q[2];
            ess = isnan(ess) || isnan(s.ess_bulk) ? (double)NAN : fmin(ess, s.ess_bulk);
            tail = isnan(tail) || isnan(s.ess_tail) ? (double)NAN : fmin(tail, s.ess_tail);
            rhat = isnan(rhat) || isnan(s.rhat) ? (double)NAN : fmax(rhat, s.rhat);
        }
        j->ess = isfinite(ess) ? ess : (double)NAN;
        j->ess_tail = isfinite(tail) ? tail : (double)NAN;
        j->rhat = rhat > 0 && isfinite(rhat) ? rhat : (double)NAN;
        for (size_t k = 0; k < K && (j->kind->events & SAMPLER_EV_HAMILTON); k++)
            if (diag_ebfmi(j->energy + k * j->keep, j->count, 1, &j->ebfmi[k], &err) != BL_OK)
                j->ebfmi[k] = NAN;
        if (isfinite(j->ess))
            j->n_eff = j->ess * (double)diag_acc_count(j->acc) / ((double)K * (double)j->count);
    }
    if (fit && j->ref != TARGET_MOMENTS_NONE && diag_acc_count(j->acc) > d) {
        double t0 = clock_now();
        double *cov = malloc(d * d * sizeof *cov);
        double w2sq, kl;
        if (cov != NULL && diag_acc_cov(j->acc, cov, &err) == BL_OK) {
            const double *m = diag_acc_mean(j->acc);
            if (diag_w2_gauss(d, m, cov, j->ref_mean, j->ref_cov, &w2sq, &err) == BL_OK)
                j->w2 = sqrt(fmax(w2sq, 0));
            if (diag_kl_gauss(d, j->ref_mean, j->ref_cov, m, cov, &kl, &err) == BL_OK)
                j->kl = kl;
            if (isfinite(j->n_eff) && j->n_eff > 0)
                j->kl_floor = diag_kl_floor(d, j->n_eff);
        }
        free(cov);
        j->fit_end = clock_now();
        j->fit_cost = j->fit_end - t0;
        j->fit_iter = j->iter;
    }
    j->diag_iter = j->iter;
    trace_push(&j->tr, j);
}

/* force: now (else at most every LIVE_REFRESH_S); final: the fit too. */
static void
refresh(struct sampler_job *j, bool force, bool final)
{
    double t0 = clock_now();
    if (!force) {
        double wait = fmax(LIVE_REFRESH_S, 5 * j->diag_cost);
        if (t0 - j->last_diag < wait)
            return;
    }
    bool fit_stale = j->ref != TARGET_MOMENTS_NONE && j->fit_iter != j->iter;
    if (j->diag_iter == j->iter && j->tr.n > 0 && !(final && fit_stale))
        return;
    compute(j, fit_due(j, final, !force));
    double t1 = clock_now();
    j->diag_cost = t1 - t0 - (j->fit_iter == j->iter ? j->fit_cost : 0.0);
    j->last_diag = t1;
}

void
sampler_job_refresh(struct sampler_job *j, bool force)
{
    if (j != NULL)
        refresh(j, force, force);
}

/* ---- stepping ------------------------------------------------------------ */

/* Record the chains' states after one step of every chain. */
static void
record(struct sampler_job *j, sampler_event *const *evs)
{
    size_t K = j->K, d = j->d;
    j->iter++;
    if (j->iter <= j->warmup) {
        if ((j->iter - 1) % j->wu_every == 0 && j->wu_n < SMP_WU_MAX) {
            double a = 0;
            for (size_t k = 0; k < K; k++)
                a += evs[k]->accept_prob / (double)K;
            j->wu_iter[j->wu_n] = (double)j->iter;
            j->wu_step[j->wu_n] = sampler_options(sampler_ens_chain(j->ens, 0))->step;
            j->wu_acc[j->wu_n++] = a;
        }
        return;
    }
    if (j->count == j->keep) {
        /* Full: drop the older half of every chain's kept draws. */
        size_t half = j->keep / 2;
        for (size_t k = 0; k < K; k++) {
            double *c = j->draws + k * j->keep * d;
            memmove(c, c + half * d, (j->keep - half) * d * sizeof *c);
            double *wk = j->wts + k * j->keep;
            memmove(wk, wk + half, (j->keep - half) * sizeof *wk);
            double *ek = j->energy + k * j->keep;
            memmove(ek, ek + half, (j->keep - half) * sizeof *ek);
        }
        j->count -= half;
        j->first += half;
    }
    for (size_t k = 0; k < K; k++) {
        const double *x = sampler_state(sampler_ens_chain(j->ens, k));
        double wt = evs[k]->weight > 0 && isfinite(evs[k]->weight) ? evs[k]->weight : 1.0;
        memcpy(j->draws + (k * j->keep + j->count) * d, x, d * sizeof *x);
        j->wts[k * j->keep + j->count] = wt;
        j->energy[k * j->keep + j->count] = evs[k]->energy;
        if ((j->kind->events & SAMPLER_EV_TREE) &&
            evs[k]->tree_depth >= sampler_options(sampler_ens_chain(j->ens, k))->max_depth)
            j->treedepth_sat++;
        bl_err err;
        diag_acc_push(j->acc, x, wt, &err); /* a non-finite state cannot occur: steps reject */
    }
    j->count++;
}

/* n iterations; the last with full events. Checkpoints in batch mode. */
static int
run_iters(struct sampler_job *j, size_t n, const struct run_ctx *ctx, bl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (bl_cancelled(ctx->cancel))
            return bl_fail(err, BL_ECANCEL, "interrupted after %zu of %zu iterations", i, n);
        bool last = i + 1 == n;
        sampler_event *const *evs = last ? j->ev : j->light;
        int rc = sampler_ens_step(j->ens, evs, err);
        if (rc != BL_OK)
            return rc;
        record(j, evs);
        if (last) {
            j->have_ev = true;
            j->ev_iter = j->iter;
        }
        if (!ctx->live && j->iter >= j->next_ckpt) {
            refresh(j, true, false);
            size_t next = j->iter < 200 ? j->iter + 10 : (size_t)ceil((double)j->iter * 1.05);
            j->next_ckpt = next;
        }
        if ((i & 63) == 63)
            clock_pump_tick(ctx->pump);
    }
    return BL_OK;
}

int
sampler_job_run(struct sampler_job *j, size_t n, const struct run_ctx *ctx, bl_err *err)
{
    int rc = run_iters(j, n, ctx, err);
    sampler_job_refresh(j, !ctx->live);
    return rc;
}

void
sampler_job_describe_step(const struct sampler_job *j, char *buf, size_t size)
{
    const sampler_event *e = j->ev[0];
    size_t moved = 0;
    for (size_t k = 0; k < j->K; k++)
        moved += j->ev[k]->accepted;
    char what[160];
    bool decides = j->kind->events & SAMPLER_EV_ACCEPT;
    if (decides && e->nonfinite)
        snprintf(what, sizeof what, "the target gave NaN/inf: proposal rejected (counted)");
    else if (decides && e->divergent)
        snprintf(what, sizeof what, "DIVERGENT trajectory (energy error %.3g): rejected",
                 e->energy_error);
    else if (j->kind->describe != NULL)
        j->kind->describe(e, what, sizeof what);
    else
        snprintf(what, sizeof what, "a %s step", sampler_kind_name(j->kind));
    char at[96] = "";
    if (j->d <= 4) {
        size_t len = (size_t)snprintf(at, sizeof at, ", now at (");
        const double *x = e->accepted ? e->proposal : e->from;
        for (size_t i = 0; i < j->d && len < sizeof at; i++)
            len += (size_t)snprintf(at + len, sizeof at - len, "%s%.4g", i ? ", " : "", x[i]);
        if (len < sizeof at)
            snprintf(at + len, sizeof at - len, ")");
    }
    snprintf(buf, size, "iteration %zu, chain 0: %s%s; %zu of %zu chains moved", j->iter, what, at,
             moved, j->K);
}

/* ---- show and export ----------------------------------------------------- */

double
sampler_job_step_limit(const struct sampler_job *j)
{
    if (j->ref != TARGET_MOMENTS_EXACT || j->kind->step_limit == NULL)
        return (double)NAN;
    double limit = (double)NAN;
    double *lam = malloc(j->d * sizeof *lam);
    if (lam != NULL && spectrum_eig_desc(j->ref_cov, j->d, lam, NULL) == BL_OK && lam[j->d - 1] > 0)
        limit = j->kind->step_limit(sampler_options(sampler_ens_chain(j->ens, 0)), lam[j->d - 1]);
    free(lam);
    return limit;
}

/* What `show sampler` needs to say why a value is not finite. */
struct show_ctx {
    const struct sampler_job *j;
    bool diverged;    /* the draws' moments overflowed */
    size_t nonfinite; /* steps rejected for NaN/inf, all chains */
    struct out *to;   /* where lines go */
    const char *why;  /* the comment of the line being written */
};

/* Forwards a line with "  # why" appended. */
static void
commented_line(void *ctx, enum out_kind kind, const char *text)
{
    struct show_ctx *c = ctx;
    char *line = malloc(strlen(text) + strlen(c->why) + 5);
    if (line == NULL) {
        c->to->line(c->to->ctx, kind, text);
        return;
    }
    sprintf(line, "%s  # %s", text, c->why);
    c->to->line(c->to->ctx, kind, line);
    free(line);
}

/* Why the value of key is not finite: one phrase for the "# ..." after it. */
static const char *
why_not_finite(const struct show_ctx *c, const char *key, char *buf, size_t size)
{
    const struct sampler_job *j = c->j;
    size_t len = strlen(key);
    if (j->iter == 0)
        return "no iterations yet: sample N";
    if (c->diverged) {
        double step = sampler_options(sampler_ens_chain(j->ens, 0))->step;
        double limit = sampler_job_step_limit(j);
        if (step >= limit)
            snprintf(buf, size,
                     "chains diverged: the draws overflowed (step=%g is above the stability "
                     "limit %.3g)",
                     step, limit);
        else if (c->nonfinite > 0)
            snprintf(buf, size, "chains diverged: the draws overflowed (%zu steps hit NaN/inf)",
                     c->nonfinite);
        else
            snprintf(buf, size, "chains diverged: the draws overflowed");
        return buf;
    }
    if (j->ref == TARGET_MOMENTS_LAPLACE && len > 6 && strcmp(key + len - 6, "_exact") == 0)
        return "no exact moments: the reference is the Laplace approximation (the *_laplace keys)";
    if (j->ref == TARGET_MOMENTS_NONE && (strncmp(key, "w2", 2) == 0 || strncmp(key, "kl", 2) == 0))
        return "no reference moments for this target";
    if (strncmp(key, "ess", 3) == 0 || strncmp(key, "rhat", 4) == 0 ||
        strncmp(key, "mcse", 4) == 0 || strcmp(key, "kl_floor") == 0) {
        if (j->count < 4) {
            snprintf(buf, size, "needs 4 kept draws per chain, has %zu", j->count);
            return buf;
        }
        if (j->acceptance == 0)
            return "no chain has moved: every proposal was rejected";
        if (strncmp(key, "kl", 2) != 0)
            return "undefined: a coordinate's kept draws are constant within the chains";
    }
    if (strcmp(key, "ebfmi") == 0) {
        if (j->count < 2)
            return "needs 2 kept draws per chain";
        return "undefined: a chain's energy is constant (it has not moved)";
    }
    if (diag_acc_count(j->acc) <= j->d) {
        snprintf(buf, size, "needs more than d = %zu draws, has %zu", j->d, diag_acc_count(j->acc));
        return buf;
    }
    return "undefined for these draws (no spread within the chains)";
}

/* The out a value's line goes to: the show's own when all n values are
 * finite, else one that appends why they are not. */
static struct out *
value_out(struct show_ctx *c, struct out *commented, const char *key, const double *v, size_t n,
          char *buf, size_t size)
{
    if (linalg_all_finite(v, n))
        return c->to;
    c->why = why_not_finite(c, key, buf, size);
    return commented;
}

static void
show_real(struct show_ctx *c, struct out *cm, const char *key, double v)
{
    char why[192];
    out_kv_real(value_out(c, cm, key, &v, 1, why, sizeof why), key, v);
}

int
sampler_job_show(struct sampler_job *j, bool current, struct out *out, bl_err *err)
{
    if (j == NULL)
        return bl_fail(err, BL_ESTATE, SMP_NONE_MSG);
    sampler_job_refresh(j, true);
    size_t d = j->d;
    sampler_stats tot = {0};
    for (size_t k = 0; k < j->K; k++) {
        sampler_stats st;
        sampler_get_stats(sampler_ens_chain(j->ens, k), &st);
        tot.divergent += st.divergent;
        tot.nonfinite += st.nonfinite;
        tot.grad_evals += st.grad_evals;
    }
    double *cov = malloc(d * d * sizeof *cov);
    if (cov == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    bool have = diag_acc_count(j->acc) >= 2 && diag_acc_cov(j->acc, cov, err) == BL_OK;
    bl_err_clear(err);
    if (!have)
        for (size_t i = 0; i < d * d; i++)
            cov[i] = NAN;
    struct show_ctx c = {
        .j = j,
        .diverged =
            have && !(linalg_all_finite(cov, d * d) && linalg_all_finite(diag_acc_mean(j->acc), d)),
        .nonfinite = tot.nonfinite,
        .to = out,
    };
    struct out cm = {.line = commented_line, .ctx = &c};
    char why[192];
    bool laplace = j->ref == TARGET_MOMENTS_LAPLACE;
    out_kv_str(out, "name", sampler_kind_name(j->kind));
    out_kv_int(out, "iterations", (long long)j->iter);
    show_real(&c, &cm, "acceptance", j->acceptance);
    show_real(&c, &cm, "ess_bulk_min", j->ess);
    show_real(&c, &cm, "ess_tail_min", j->ess_tail);
    show_real(&c, &cm, "rhat_max", j->rhat);
    show_real(&c, &cm, "w2_exact", laplace ? (double)NAN : j->w2);
    show_real(&c, &cm, "kl_exact", laplace ? (double)NAN : j->kl);
    if (laplace) {
        show_real(&c, &cm, "w2_laplace", j->w2);
        show_real(&c, &cm, "kl_laplace", j->kl);
    }
    show_real(&c, &cm, "kl_floor", j->kl_floor);
    if (tot.divergent > 0) {
        c.why = "energy error above 1000 or not finite (hmc and nuts alike)";
        out_kv_int(&cm, "divergences", (long long)tot.divergent);
    } else {
        out_kv_int(out, "divergences", 0);
    }
    if (j->kind->events & SAMPLER_EV_TREE) {
        int md = sampler_options(sampler_ens_chain(j->ens, 0))->max_depth;
        char wt[160];
        snprintf(wt, sizeof wt,
                 "kept transitions whose tree reached max_depth=%d: cut short, raise max_depth "
                 "or the step",
                 md);
        c.why = wt;
        out_kv_int(j->treedepth_sat > 0 ? &cm : out, "treedepth_saturated",
                   (long long)j->treedepth_sat);
    }
    if (j->kind->events & SAMPLER_EV_HAMILTON) {
        bool low = false;
        for (size_t k = 0; k < j->K; k++)
            low |= j->ebfmi[k] < 0.3;
        struct out *eo = value_out(&c, &cm, "ebfmi", j->ebfmi, j->K, why, sizeof why);
        if (low && eo == out) {
            c.why = "below 0.3: momentum resampling explores the energy poorly (heavy tails, a "
                    "funnel)";
            eo = &cm;
        }
        out_kv_vec(eo, "ebfmi", j->ebfmi, j->K);
    }
    if (tot.nonfinite > 0) {
        c.why = j->kind->events & SAMPLER_EV_ENERGY
                    ? "steps rejected because the target gave NaN/inf; divergences too"
                    : "steps rejected because the target gave NaN/inf";
        out_kv_int(&cm, "nonfinite", (long long)tot.nonfinite);
    } else {
        out_kv_int(out, "nonfinite", 0);
    }
    out_kv_str(out, "target", smp_target_names[j->tid]);
    if (j->tid == SMP_POSTERIOR) {
        out_kv_int(out, "target_n", (long long)j->model_n);
        out_kv_str(out, "target_current", current ? "yes" : "no");
    }
    out_kv_int(out, "dim", (long long)d);
    out_kv_int(out, "chains", (long long)j->K);
    out_kv_int(out, "warmup", (long long)j->warmup);
    out_kv_int(out, "draws", (long long)diag_acc_count(j->acc));
    out_kv_int(out, "kept", (long long)j->count);
    show_real(&c, &cm, "accept_window", j->accept_window);
    out_kv_int(out, "grad_evals", (long long)tot.grad_evals);
    out_kv_str(out, "reference",
               j->ref == TARGET_MOMENTS_EXACT ? "exact"
               : laplace                      ? "laplace"
                                              : "none");
    /* The tunables the chains read, as they use them now (adaptation
     * included): a tunable only read when another is on is left out when
     * that one is off. */
    sampler *ch0 = sampler_ens_chain(j->ens, 0);
    const sampler_tunable *p;
    for (size_t i = 0; (p = sampler_tunable_at(i)) != NULL; i++) {
        double v, on;
        if (!sampler_type_accepts(j->kind, p))
            continue;
        if (p->only_with != NULL &&
            (sampler_get(ch0, p->only_with->name, &on, err) != BL_OK || on == 0))
            continue;
        if (strcmp(p->name, "warmup") == 0)
            continue; /* printed above */
        if (sampler_get(ch0, p->name, &v, err) != BL_OK)
            continue;
        if (p->choices != NULL && v >= 0 && v <= p->max)
            out_kv_str(out, p->name, p->choices[(size_t)v]);
        else
            out_kv_real(out, p->name, v);
    }
    bl_err_clear(err);
    if (j->tid == SMP_LOGISTIC) {
        char names[1024] = "[";
        size_t len = 1;
        for (size_t i = 0; i < d && len < sizeof names; i++)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                    j->coord[i]);
        if (len < sizeof names)
            snprintf(names + len, sizeof names - len, "]");
        out_kv_str(out, "coords", names);
    }
    if (have) {
        const double *m = diag_acc_mean(j->acc);
        out_kv_vec(value_out(&c, &cm, "mean", m, d, why, sizeof why), "mean", m, d);
    } else {
        out_kv_vec(value_out(&c, &cm, "mean", cov, d, why, sizeof why), "mean", cov, d);
    }
    /* Per coordinate (the first ndiag), next to the mean they qualify. */
    const struct {
        const char *key;
        const double *v;
    } per[] = {
        {"rhat", j->rhat_v},           {"ess_bulk", j->ess_bulk_v}, {"ess_tail", j->ess_tail_v},
        {"mcse_mean", j->mcse_mean_v}, {"mcse_sd", j->mcse_sd_v},
        {"mcse_q5", j->mcse_q5_v},     {"mcse_q50", j->mcse_q50_v}, {"mcse_q95", j->mcse_q95_v},
    };
    for (size_t i = 0; i < sizeof per / sizeof per[0]; i++)
        out_kv_vec(value_out(&c, &cm, per[i].key, per[i].v, j->ndiag, why, sizeof why), per[i].key,
                   per[i].v, j->ndiag);
    if (d <= 8)
        out_kv_mat(value_out(&c, &cm, "cov", cov, d * d, why, sizeof why), "cov", cov, d, d);
    if (j->ref != TARGET_MOMENTS_NONE) {
        out_kv_vec(out, laplace ? "mean_laplace" : "mean_exact", j->ref_mean, d);
        if (d <= 8)
            out_kv_mat(out, laplace ? "cov_laplace" : "cov_exact", j->ref_cov, d, d);
    }
    double ratio, predicted;
    sampler_job_trace_ratio(j, &ratio, &predicted, why, sizeof why);
    if (j->ref != TARGET_MOMENTS_NONE && have)
        show_real(&c, &cm, "trace_ratio", ratio);
    if (!isnan(predicted))
        out_kv_real(out, "trace_ratio_predicted", predicted);
    free(cov);
    return BL_OK;
}

void
sampler_job_trace_ratio(const struct sampler_job *j, double *measured, double *predicted, char *why,
                        size_t why_size)
{
    size_t d = j->d;
    *measured = *predicted = (double)NAN;
    if (why_size > 0)
        why[0] = '\0';
    double *cov = malloc(d * d * sizeof *cov);
    bl_err err;
    if (cov != NULL && j->ref != TARGET_MOMENTS_NONE && diag_acc_count(j->acc) >= 2 &&
        diag_acc_cov(j->acc, cov, &err) == BL_OK) {
        double a = 0, b = 0;
        for (size_t i = 0; i < d; i++)
            a += cov[i * d + i], b += j->ref_cov[i * d + i];
        *measured = a / b;
    }
    free(cov);
    /* A biased kind on a Gaussian posterior: the covariance it converges to
     * (ULA at a fixed step, docs/math.md §9), from the posterior's precision. */
    target_kind tk = target_get_kind(j->t);
    if (j->kind->stationary_cov == NULL || !(tk == TARGET_BLR || tk == TARGET_BLR_DATA) ||
        j->ref != TARGET_MOMENTS_EXACT)
        return;
    const sampler_opts *o = sampler_options(sampler_ens_chain(j->ens, 0));
    double *P = malloc(d * d * sizeof *P), *S = malloc(d * d * sizeof *S);
    target_info info;
    target_get_info(j->t, &info);
    if (P != NULL && S != NULL && info.G != NULL) {
        for (size_t i = 0; i < d * d; i++)
            P[i] = info.beta * info.G[i] + (i % (d + 1) == 0 ? info.alpha : 0.0);
        if (j->kind->stationary_cov(o, d, P, S, &err) == BL_OK) {
            double a = 0, b = 0;
            for (size_t i = 0; i < d; i++)
                a += S[i * d + i], b += j->ref_cov[i * d + i];
            *predicted = a / b;
        } else if (why_size > 0) {
            snprintf(why, why_size, "%s", err.msg);
        }
    }
    free(P);
    free(S);
}

int
sampler_job_export(const struct sampler_job *j, const char *path, bl_err *err)
{
    if (j == NULL)
        return bl_fail(err, BL_ESTATE, SMP_NONE_MSG);
    if (j->count == 0)
        return bl_fail(err, BL_ESTATE, "no draws yet: sample 1000");
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return bl_fail(err, BL_EIO, "%s: cannot write (%s)", path, strerror(errno));
    fprintf(f, "chain,iteration");
    for (size_t i = 0; i < j->d; i++)
        fprintf(f, ",w%zu", i);
    fprintf(f, ",weight\n");
    for (size_t k = 0; k < j->K; k++)
        for (size_t i = 0; i < j->count; i++) {
            const double *x = j->draws + (k * j->keep + i) * j->d;
            fprintf(f, "%zu,%zu", k, j->first + i);
            for (size_t c = 0; c < j->d; c++)
                fprintf(f, ",%.17g", x[c]);
            fprintf(f, ",%.17g\n", j->wts[k * j->keep + i]);
        }
    if (ferror(f) | (fclose(f) != 0))
        return bl_fail(err, BL_EIO, "%s: write failed", path);
    return BL_OK;
}

/* ---- the `sample` job ---------------------------------------------------- */

static size_t
sample_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct sampler_job *j = self;
    size_t before = j->iter;
    (void)out;
    sampler_job_run(j, n, ctx, err);
    return j->iter - before;
}

void
sampler_job_summary(const struct sampler_job *j, const char *head, struct out *out)
{
    char e[32], r[32], acc[32], why[96] = "";
    /* ESS and R-hat need kept draws (warm-up draws are not kept). */
    if (!isfinite(j->ess) || !isfinite(j->rhat)) {
        if (j->count < 4)
            snprintf(why, sizeof why, "  # ESS, R-hat need 4 kept draws per chain, has %zu",
                     j->count);
        else if (j->acceptance == 0)
            snprintf(why, sizeof why,
                     "  # ESS, R-hat undefined: no chain has moved (every proposal was rejected)");
        else
            snprintf(why, sizeof why, "  # ESS, R-hat undefined: show sampler says why");
    }
    out_printf(out, "%s%s: %zu iterations, acceptance %s, ESS %s, R-hat %s%s", head,
               sampler_kind_name(j->kind), j->iter, out_num(acc, sizeof acc, j->acceptance),
               out_num(e, sizeof e, round(j->ess)), out_num(r, sizeof r, j->rhat), why);
}

static void
sample_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    struct sampler_job *j = self;
    /* Ctrl-C answers at once: the O(d^3) fit waits for show sampler */
    refresh(j, true, how != JOB_STOPPED);
    switch (how) {
    case JOB_DONE: sampler_job_summary(j, "", out); break;
    case JOB_FAILED: out_error(out, "sampling stopped: %s", err->msg); break;
    case JOB_STOPPED: out_printf(out, "sampling stopped at iteration %zu", j->iter); break;
    }
}

static void
sample_describe(const void *self, char *buf, size_t size)
{
    const struct sampler_job *j = self;
    snprintf(buf, size, "%s iteration %zu", sampler_kind_name(j->kind), j->iter);
}

static void
sample_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    (void)done;
    sampler_job_describe_step(self, buf, size);
}

const struct job_class sampler_job_class = {
    .name = "sample",
    .verb = "sampling",
    .unit = "iterations",
    .first_budget = 1,
    .advance = sample_advance,
    .end = sample_end,
    .describe = sample_describe,
    .describe_step = sample_describe_step,
};
