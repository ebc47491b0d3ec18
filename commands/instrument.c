/* commands/instrument.c - see instrument.h. */
#include "commands/instrument.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/kernel/gp.h"
#include "core/mcmc/sampler.h"
#include "core/mcmc/target.h"
#include "commands/wfile.h"
#include "core/base/rng.h"

#define FOURIER_L 5.0 /* half-period of the Fourier class (docs/math.md §8, Panwar et al.) */
#define GP_CLASS_KERNEL "rbf(var=1, ls=1)" /* the GP class's prior over functions */

/* The GP class as a custom BMA class: the one-step predictive of a GP with
 * the class kernel and the task noise, extended in O(t^2) per example. */
static int
gpc_predict(void *self, const double *x, double *mean, double *var, bl_err *err)
{
    return gp_predict(self, x, 1, mean, NULL, var, NULL, err);
}

static int
gpc_observe(void *self, const double *x, double y, bl_err *err)
{
    return gp_observe(self, x, y, NULL, err);
}

static gp *
new_class_gp(size_t d, double noise_var, bl_err *err)
{
    kernel *k = kernel_parse(GP_CLASS_KERNEL, d, err);
    return k ? gp_alloc(k, noise_var, err) : NULL;
}

void
instrument_free(struct instrument *in)
{
    if (in == NULL)
        return;
    lens_free(in->ls);
    lens_free(in->lc);
    free(in->sg_w);
    free(in->sg_G);
    free(in->sg_xty);
    free(in->x);
    for (int i = 0; i < LT_COUNT; i++)
        free(in->lt[i]);
    for (size_t r = 0; r < in->R && in->prompts != NULL; r++) {
        bma_free(in->prompts[r]);
        if (in->wtruth != NULL)
            free(in->wtruth[r]);
        if (in->gpc != NULL)
            gp_free(in->gpc[r]);
        if (in->gtruth != NULL)
            gp_free(in->gtruth[r]);
    }
    free(in->gpc);
    free(in->gtruth);
    free(in->prompts);
    free(in->wtruth);
    free(in->fcoef);
    free(in->truth_loss);
    free(in->oracle_loss);
    for (int i = 0; i < BT_COUNT; i++)
        free(in->bt[i]);
    free(in->post);
    judge_sim_free(in->js);
    if (in->rng != NULL)
        gsl_rng_free(in->rng);
    free(in);
}

static struct instrument *
new_instrument(enum inst_kind kind, unsigned long seed, bl_err *err)
{
    struct instrument *in = calloc(1, sizeof *in);
    if (in == NULL || (in->rng = gsl_rng_alloc(bl_rng_mt19937)) == NULL) {
        free(in);
        bl_fail(err, BL_ENOMEM, "out of memory");
        return NULL;
    }
    gsl_rng_set(in->rng, seed);
    in->kind = kind;
    return in;
}

const char *
instrument_name(const struct instrument *in)
{
    switch (in->kind) {
    case INST_LENS: return "lens";
    case INST_BMA: return "bma";
    case INST_JUDGE: return "judge";
    default: return "none";
    }
}

/* Grow per-arrival arrays to hold n + 1 entries. */
static int
grow(struct instrument *in, bl_err *err)
{
    if (in->n < in->cap)
        return BL_OK;
    size_t cap = in->cap ? 2 * in->cap : 256;
    int count = in->kind == INST_LENS ? LT_COUNT : BT_COUNT;
    for (int i = 0; i < count; i++) {
        double **a = in->kind == INST_LENS ? &in->lt[i] : &in->bt[i];
        double *p = realloc(*a, cap * sizeof *p);
        if (p == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory");
        *a = p;
    }
    if (in->kind == INST_BMA) {
        double *p = realloc(in->post, cap * in->C * sizeof *p);
        if (p == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory");
        in->post = p;
    }
    in->cap = cap;
    return BL_OK;
}

/* ---- lens ------------------------------------------------------------------ */

struct instrument *
instrument_lens(const struct lens_setup *o, bl_err *err)
{
    struct instrument *in = new_instrument(INST_LENS, o->seed, err);
    if (in == NULL)
        return NULL;
    lens_opts lo = {.kind = LENS_GAUSS, .M = o->M, .d = o->d, .alpha = o->alpha,
                    .beta = 1 / (o->noise * o->noise), .max_bytes = o->mem_limit / 2,
                    .cancel = o->cancel};
    double *ws = malloc(o->d * sizeof *ws), *wc = malloc(o->d * sizeof *wc);
    in->x = malloc(o->d * sizeof *in->x);
    if (ws == NULL || wc == NULL || in->x == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    if (lens_truth_simple_complex(&lo, o->r, ws, wc, err) != BL_OK)
        goto fail;
    /* The same seed draws the same class for both learners. */
    gsl_rng *r2 = gsl_rng_alloc(bl_rng_mt19937);
    if (r2 == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    gsl_rng_set(r2, o->seed ^ 0x5eedUL);
    gsl_rng *r3 = gsl_rng_clone(r2);
    if (r3 == NULL)
        bl_fail(err, BL_ENOMEM, "out of memory");
    in->ls = r3 ? lens_alloc(&lo, ws, r2, err) : NULL;
    in->lc = in->ls ? lens_alloc(&lo, wc, r3, err) : NULL;
    gsl_rng_free(r2);
    if (r3)
        gsl_rng_free(r3);
    if (in->lc == NULL)
        goto fail;
    in->log_m = log((double)o->M);
    in->sg_w = calloc(LENS_SGLD_CHAINS * o->d, sizeof *in->sg_w);
    in->sg_G = calloc(o->d * o->d, sizeof *in->sg_G);
    in->sg_xty = calloc(o->d, sizeof *in->sg_xty);
    if (in->sg_w == NULL || in->sg_G == NULL || in->sg_xty == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    in->sg_alpha = o->alpha;
    in->sg_beta = lo.beta;
    /* The chains start from the prior. */
    for (size_t i = 0; i < LENS_SGLD_CHAINS * o->d; i++)
        in->sg_w[i] = gsl_ran_gaussian(in->rng, 1 / sqrt(o->alpha));
    snprintf(in->desc, sizeof in->desc,
             "lens M=%zu d=%zu noise=%g, simple vs complex truth (r=%g), SGLD ensemble of %d",
             o->M, o->d, o->noise, o->r, LENS_SGLD_CHAINS);
    free(ws);
    free(wc);
    return in;
fail:
    free(ws);
    free(wc);
    instrument_free(in);
    return NULL;
}

/* The SGLD ensemble's view of an arrival: score its predictive
 * (1/K) sum_k N(y; w_k.x, 1/beta) (log-sum-exp), add the point to the
 * sufficient statistics, then run Langevin steps on the new posterior
 * (full gradient; step 0.2 / lambda_max bound, so it stays stable as the
 * posterior sharpens: the leftover bias is the point of the comparison). */
static int
sgld_arrival(struct instrument *in, const double *x, double y, bl_err *err)
{
    size_t d = lens_dim(in->ls), K = LENS_SGLD_CHAINS;
    double beta = in->sg_beta, lp[LENS_SGLD_CHAINS], mx = -INFINITY;
    for (size_t k = 0; k < K; k++) {
        double f = 0;
        for (size_t j = 0; j < d; j++)
            f += in->sg_w[k * d + j] * x[j];
        lp[k] = 0.5 * log(beta / (2 * M_PI)) - 0.5 * beta * (y - f) * (y - f);
        mx = fmax(mx, lp[k]);
    }
    double sum = 0;
    for (size_t k = 0; k < K; k++)
        sum += exp(lp[k] - mx);
    in->sg_loss -= mx + log(sum / (double)K);
    for (size_t i = 0; i < d; i++) {
        in->sg_xty[i] += x[i] * y;
        for (size_t j = 0; j < d; j++)
            in->sg_G[i * d + j] += x[i] * x[j];
    }
    in->sg_yty += y * y;
    double tr = 0;
    for (size_t i = 0; i < d; i++)
        tr += in->sg_G[i * d + i];
    sampler_opts o;
    sampler_opts_default(&o);
    o.step = 0.2 / (in->sg_alpha + beta * tr); /* tr >= lambda_max(G) */
    target *t = target_blr_alloc(d, in->sg_G, in->sg_xty, in->sg_yty, in->sg_alpha, beta, err);
    if (t == NULL)
        return err ? err->code : BL_ENOMEM;
    sampler_ens *e = sampler_ens_alloc(&sampler_type_sgld, t, &o, K, NULL, 0, in->rng, err);
    int rc = e ? BL_OK : (err ? err->code : BL_ENOMEM);
    for (size_t k = 0; rc == BL_OK && k < K; k++)
        rc = sampler_set_state(sampler_ens_chain(e, k), in->sg_w + k * d, err);
    if (rc == BL_OK)
        rc = sampler_ens_run(e, LENS_SGLD_STEPS, NULL, NULL, NULL, err);
    for (size_t k = 0; rc == BL_OK && k < K; k++)
        memcpy(in->sg_w + k * d, sampler_state(sampler_ens_chain(e, k)), d * sizeof(double));
    sampler_ens_free(e);
    target_free(t);
    return rc;
}

static int
lens_arrival(struct instrument *in, bl_err *err)
{
    size_t d = lens_dim(in->ls);
    for (size_t i = 0; i < d; i++)
        in->x[i] = gsl_ran_ugaussian(in->rng);
    /* The same input and the same noise for both truths. */
    double z = gsl_ran_gaussian(in->rng, 1 / sqrt(lens_beta(in->ls)));
    double ys = lens_truth_mean(in->ls, in->x) + z, yc = lens_truth_mean(in->lc, in->x) + z;
    lens_step a, b;
    int rc = grow(in, err);
    if (rc == BL_OK)
        rc = lens_observe(in->ls, in->x, ys, &a, err);
    if (rc == BL_OK)
        rc = lens_observe(in->lc, in->x, yc, &b, err);
    if (rc == BL_OK)
        rc = sgld_arrival(in, in->x, ys, err);
    if (rc != BL_OK)
        return rc;
    lens_bound ba, bb;
    lens_bound_at(in->ls, (double)(in->n + 1), &ba);
    lens_bound_at(in->lc, (double)(in->n + 1), &bb);
    in->lt[LT_REGRET_S][in->n] = a.regret;
    in->lt[LT_BOUND_S][in->n] = ba.bound;
    in->lt[LT_REGRET_C][in->n] = b.regret;
    in->lt[LT_BOUND_C][in->n] = bb.bound;
    in->lt[LT_POST_S][in->n] = a.post_best;
    in->lt[LT_POST_C][in->n] = b.post_best;
    in->lt[LT_REGRET_SGLD][in->n] = in->sg_loss - lens_cum_truth_loss(in->ls);
    in->n++;
    return BL_OK;
}

/* ---- bma ------------------------------------------------------------------- */

static double
fourier_eval(const double *c, size_t N, double x)
{
    double f = c[0];
    for (size_t k = 1; k <= N; k++)
        f += c[2 * k - 1] * cos(M_PI * (double)k * x / FOURIER_L) +
             c[2 * k] * sin(M_PI * (double)k * x / FOURIER_L);
    return f;
}

struct instrument *
instrument_bma(const struct bma_setup *o, bl_err *err)
{
    struct instrument *in = new_instrument(INST_BMA, o->seed, err);
    if (in == NULL)
        return NULL;
    bma_class_opts cls[BMA_MAX_CLASSES];
    size_t C = 0;
    int fourier = 0;
    in->truth_class = -1;
    char *list = strdup(o->classes), *save = NULL;
    if (list == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (C == BMA_MAX_CLASSES) {
            bl_fail(err, BL_EINVAL, "classes=: at most %d classes", BMA_MAX_CLASSES);
            free(list);
            goto fail;
        }
        bma_class_opts c = {.prior = 1};
        if (strcmp(t, "dense") == 0) {
            c.kind = BMA_DENSE;
        } else if (strcmp(t, "sparse") == 0) {
            c.kind = BMA_SPARSE;
            c.s = o->s;
        } else if (strcmp(t, "fourier") == 0) {
            c.kind = BMA_FOURIER;
            c.N = o->N;
            c.L = FOURIER_L;
            fourier = 1;
        } else if (strcmp(t, "gp") == 0) {
            c.kind = BMA_CUSTOM; /* hooks filled per prompt below */
            c.name = "gp";
        } else {
            bl_fail(err, BL_EINVAL,
                    "classes=%s: unknown class '%s' (choose dense, sparse, fourier, gp)",
                    o->classes, t);
            free(list);
            goto fail;
        }
        for (size_t k = 0; k < C; k++)
            if (cls[k].kind == c.kind) {
                bl_fail(err, BL_EINVAL, "classes=%s: '%s' given twice", o->classes, t);
                free(list);
                goto fail;
            }
        if (strcmp(t, o->truth) == 0)
            in->truth_class = (int)C;
        snprintf(in->class_names[C], sizeof in->class_names[C], "%s", t);
        cls[C++] = c;
    }
    free(list);
    if (C == 0) {
        bl_fail(err, BL_EINVAL, "classes=: name at least one class");
        goto fail;
    }
    if (in->truth_class < 0) {
        bl_fail(err, BL_EINVAL, "truth=%s: not among classes=%s", o->truth, o->classes);
        goto fail;
    }
    if (fourier && o->d != 1) {
        bl_fail(err, BL_EINVAL, "d=%zu: the fourier class has 1-D inputs, use d=1", o->d);
        goto fail;
    }
    in->R = o->R;
    in->d = o->d;
    in->C = C;
    in->sigma = o->sigma;
    in->fourier_n = o->N;
    in->bound = log((double)C); /* equal priors: log(1/pi_c*) */
    in->prompts = calloc(o->R, sizeof *in->prompts);
    in->wtruth = calloc(o->R, sizeof *in->wtruth);
    in->fcoef = calloc(o->R * (2 * o->N + 1), sizeof *in->fcoef);
    in->truth_loss = calloc(o->R, sizeof *in->truth_loss);
    in->oracle_loss = calloc(o->R, sizeof *in->oracle_loss);
    in->gpc = calloc(o->R, sizeof *in->gpc);
    in->gtruth = calloc(o->R, sizeof *in->gtruth);
    in->x = malloc(o->d * sizeof *in->x);
    if (!in->prompts || !in->wtruth || !in->fcoef || !in->truth_loss || !in->oracle_loss ||
        !in->x || !in->gpc || !in->gtruth) {
        bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    bma_opts bo = {.in_dim = o->d, .sigma = o->sigma};
    for (size_t r = 0; r < o->R; r++) {
        in->prompts[r] = bma_alloc(&bo, err);
        if (in->prompts[r] == NULL)
            goto fail;
        for (size_t c = 0; c < C; c++) {
            bma_class_opts co = cls[c];
            bma_custom hooks;
            if (co.kind == BMA_CUSTOM) {
                in->gpc[r] = new_class_gp(o->d, o->sigma * o->sigma, err);
                if (in->gpc[r] == NULL)
                    goto fail;
                hooks = (bma_custom){in->gpc[r], gpc_predict, gpc_observe};
                co.custom = &hooks;
            }
            if (bma_add_class(in->prompts[r], &co, err) != BL_OK)
                goto fail;
        }
        /* The prompt's truth, drawn from the truth class's prior. */
        in->wtruth[r] = calloc(o->d, sizeof(double));
        if (in->wtruth[r] == NULL) {
            bl_fail(err, BL_ENOMEM, "out of memory");
            goto fail;
        }
        const bma_class_opts *tc = &cls[in->truth_class];
        if (tc->kind == BMA_DENSE) {
            for (size_t j = 0; j < o->d; j++)
                in->wtruth[r][j] = gsl_ran_ugaussian(in->rng);
        } else if (tc->kind == BMA_SPARSE) {
            size_t idx[BMA_MAX_DIM];
            for (size_t j = 0; j < o->d; j++)
                idx[j] = j;
            gsl_ran_shuffle(in->rng, idx, o->d, sizeof idx[0]);
            for (size_t j = 0; j < o->s; j++)
                in->wtruth[r][idx[j]] = gsl_ran_ugaussian(in->rng);
        } else if (tc->kind == BMA_FOURIER) {
            for (size_t k = 0; k < 2 * o->N + 1; k++)
                in->fcoef[r * (2 * o->N + 1) + k] = gsl_ran_ugaussian(in->rng);
        } else {
            /* A GP truth is drawn as the examples arrive: each f(x_t) from the
             * noise-free GP conditioned on the truth's earlier values. */
            in->gtruth[r] = new_class_gp(o->d, 1e-8, err);
            if (in->gtruth[r] == NULL)
                goto fail;
        }
    }
    snprintf(in->desc, sizeof in->desc, "bma classes=%s truth=%s d=%zu prompts=%zu sigma=%g",
             o->classes, o->truth, o->d, o->R, o->sigma);
    return in;
fail:
    instrument_free(in);
    return NULL;
}

static int
bma_arrival(struct instrument *in, bl_err *err)
{
    int rc = grow(in, err);
    if (rc != BL_OK)
        return rc;
    double acc[BT_COUNT] = {0};
    double *post = in->post + in->n * in->C;
    memset(post, 0, in->C * sizeof *post);
    bool fourier = false;
    for (size_t c = 0; c < in->C; c++)
        fourier |= strcmp(in->class_names[c], "fourier") == 0;
    for (size_t r = 0; r < in->R; r++) {
        double f = 0;
        const char *tname = in->class_names[in->truth_class];
        if (fourier) {
            in->x[0] = gsl_ran_flat(in->rng, -FOURIER_L, FOURIER_L);
        } else {
            for (size_t j = 0; j < in->d; j++)
                in->x[j] = gsl_ran_ugaussian(in->rng);
        }
        if (strcmp(tname, "fourier") == 0) {
            f = fourier_eval(in->fcoef + r * (2 * in->fourier_n + 1), in->fourier_n, in->x[0]);
        } else if (strcmp(tname, "gp") == 0) {
            double m, v;
            if ((rc = gp_predict(in->gtruth[r], in->x, 1, &m, &v, NULL, NULL, err)) != BL_OK)
                return rc;
            f = m + sqrt(fmax(v, 0)) * gsl_ran_ugaussian(in->rng);
            if ((rc = gp_observe(in->gtruth[r], in->x, f, NULL, err)) != BL_OK)
                return rc;
        } else {
            for (size_t j = 0; j < in->d; j++)
                f += in->wtruth[r][j] * in->x[j];
        }
        double y = f + gsl_ran_gaussian(in->rng, in->sigma);
        bma_step st;
        if ((rc = bma_observe(in->prompts[r], in->x, y, &st, err)) != BL_OK)
            return rc;
        bma_class_info ci;
        if ((rc = bma_class_get(in->prompts[r], (size_t)in->truth_class, &ci, err)) != BL_OK)
            return rc;
        double e = (y - f) / in->sigma;
        in->truth_loss[r] += 0.5 * log(2 * M_PI * in->sigma * in->sigma) + 0.5 * e * e;
        in->oracle_loss[r] -= ci.logpred;
        acc[BT_BMA] += (st.mean - f) * (st.mean - f);
        acc[BT_ORACLE] += (ci.mean - f) * (ci.mean - f);
        acc[BT_LS] += (st.ls_pred - f) * (st.ls_pred - f);
        acc[BT_RIDGE] += (st.ridge_pred - f) * (st.ridge_pred - f);
        acc[BT_REGRET] += st.cum_logloss - in->truth_loss[r];
        acc[BT_ORACLE_REGRET] += in->oracle_loss[r] - in->truth_loss[r];
        double p[BMA_MAX_CLASSES];
        bma_posterior(in->prompts[r], p);
        for (size_t c = 0; c < in->C; c++)
            post[c] += p[c] / (double)in->R;
    }
    for (int i = 0; i < BT_COUNT; i++)
        in->bt[i][in->n] = acc[i] / (double)in->R;
    in->n++;
    return BL_OK;
}

/* ---- judge ----------------------------------------------------------------- */

struct instrument *
instrument_judge(const judge_sim_opts *o, unsigned long seed, const bl_cancel *cancel,
                 bl_err *err)
{
    struct instrument *in = new_instrument(INST_JUDGE, seed, err);
    if (in == NULL)
        return NULL;
    in->js = judge_sim_alloc(o, in->rng, cancel, err);
    if (in->js == NULL) {
        instrument_free(in);
        return NULL;
    }
    const judge_sim_opts *r = judge_sim_options(in->js);
    snprintf(in->desc, sizeof in->desc, "judge k<=%zu T=%g reward=%s d=%zu n=%zu inputs=%zu",
             r->k_max, r->T, r->c == 0 ? "teacher" : "misspecified", r->d, r->n, r->n_test);
    return in;
}

/* Error against temperature at k = k_max, once (common random numbers). */
static int
judge_temps(struct instrument *in, const bl_cancel *cancel, bl_err *err)
{
    if (in->temps_done)
        return BL_OK;
    double se[JUDGE_TEMPS]; /* the core computes them; nothing shows them */
    for (int i = 0; i < JUDGE_TEMPS; i++)
        in->temps[i] = i == 0 ? 0 : pow(10, -2 + 4.0 * (i - 1) / (JUDGE_TEMPS - 2));
    int rc = judge_sim_error_vs_T(in->js, judge_sim_kmax(in->js), in->temps, JUDGE_TEMPS, 100,
                                  in->rng, in->terr, se, cancel, err);
    if (rc == BL_OK)
        in->temps_done = true;
    return rc;
}

/* ---- common ---------------------------------------------------------------- */

int
instrument_advance(struct instrument *in, size_t n, const bl_cancel *cancel, bl_err *err)
{
    int rc = BL_OK;
    if (in->kind == INST_JUDGE) {
        /* Trials in batches so Ctrl-C is seen. */
        size_t done = 0;
        while (done < n && rc == BL_OK) {
            size_t b = n - done < 10 ? n - done : 10;
            rc = judge_sim_step(in->js, b, in->rng, cancel, err);
            if (rc == BL_OK) {
                done += b;
                in->n += b;
            }
            if (rc == BL_OK && bl_cancelled(cancel))
                rc = bl_fail(err, BL_ECANCEL, "interrupted after %zu trials", done);
        }
        if (rc == BL_OK)
            rc = judge_temps(in, cancel, err);
        return rc;
    }
    for (size_t i = 0; i < n && rc == BL_OK; i++) {
        if (bl_cancelled(cancel))
            return bl_fail(err, BL_ECANCEL, "interrupted after %zu of %zu arrivals", i, n);
        rc = in->kind == INST_LENS ? lens_arrival(in, err) : bma_arrival(in, err);
    }
    return rc;
}

int
instrument_show(struct instrument *in, struct out *out, bl_err *err)
{
    out_kv_str(out, "instrument", in->desc);
    if (in->kind == INST_LENS) {
        lens_bound bs, bc;
        double n = (double)in->n;
        lens_bound_at(in->ls, n, &bs);
        lens_bound_at(in->lc, n, &bc);
        out_kv_int(out, "n", (long long)in->n);
        out_kv_real(out, "regret", in->n ? in->lt[LT_REGRET_S][in->n - 1] : 0);
        out_kv_real(out, "bound", bs.bound);
        out_kv_real(out, "eps_star", bs.eps_star);
        out_kv_real(out, "log_weight", bs.logW);
        out_kv_real(out, "regret_complex", in->n ? in->lt[LT_REGRET_C][in->n - 1] : 0);
        out_kv_real(out, "bound_complex", bc.bound);
        out_kv_real(out, "eps_star_complex", bc.eps_star);
        out_kv_real(out, "log_weight_complex", bc.logW);
        out_kv_real(out, "log_m", in->log_m);
        out_kv_real(out, "regret_sgld_ensemble", in->n ? in->lt[LT_REGRET_SGLD][in->n - 1] : 0);
        return BL_OK;
    }
    if (in->kind == INST_BMA) {
        out_kv_int(out, "t", (long long)in->n);
        char names[BMA_MAX_CLASSES * 34] = "[";
        for (size_t c = 0; c < in->C; c++) {
            strcat(names, in->class_names[c]);
            strcat(names, c + 1 < in->C ? ", " : "]");
        }
        out_kv_str(out, "classes", names);
        if (in->n > 0) {
            out_kv_vec(out, "class_posterior", in->post + (in->n - 1) * in->C, in->C);
            out_kv_real(out, "regret", in->bt[BT_REGRET][in->n - 1]);
            out_kv_real(out, "oracle_regret", in->bt[BT_ORACLE_REGRET][in->n - 1]);
            out_kv_real(out, "error", in->bt[BT_BMA][in->n - 1]);
            out_kv_real(out, "oracle_error", in->bt[BT_ORACLE][in->n - 1]);
        }
        out_kv_real(out, "bound", in->bound);
        out_kv_int(out, "prompts", (long long)in->R);
        return BL_OK;
    }
    size_t K = judge_sim_kmax(in->js);
    double *e = malloc(2 * K * sizeof *e);
    if (e == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    int rc = judge_sim_curve(in->js, e, e + K, err);
    if (rc == BL_OK) {
        double slope = NAN, slope_se = NAN;
        size_t lo = K >= 8 ? K / 8 : 1;
        bl_err se = {0};
        if (K >= 4)
            judge_sim_slope(in->js, lo, K, &slope, &slope_se, &se);
        const char *why = K < 4 ? "the slope of log error against log k needs k >= 4"
                          : se.msg[0] ? se.msg
                                      : "too few trials for a fit";
        double *k = malloc(K * sizeof *k);
        if (k != NULL) {
            for (size_t i = 0; i < K; i++)
                k[i] = (double)(i + 1);
            out_kv_vec(out, "k", k, K);
            free(k);
        }
        out_kv_vec(out, "error", e, K);
        out_kv_vec(out, "error_se", e + K, K);
        out_kv_why(out, "slope", slope, why);
        out_kv_why(out, "slope_se", slope_se, why);
        out_kv_int(out, "slope_k_lo", (long long)lo);
        out_kv_int(out, "k_opt", (long long)judge_sim_kopt(in->js));
        out_kv_int(out, "trials", (long long)judge_sim_trials(in->js));
        if (in->temps_done) {
            out_kv_vec(out, "temperature", in->temps, JUDGE_TEMPS);
            out_kv_vec(out, "error_vs_temperature", in->terr, JUDGE_TEMPS);
        }
    }
    free(e);
    return rc;
}

int
instrument_export(const struct instrument *in, const char *path, bl_err *err)
{
    struct wfile w;
    int rc = wfile_open(&w, path, err);
    if (rc != BL_OK)
        return rc;
    FILE *f = w.f;
    if (in->kind == INST_LENS) {
        fprintf(f, "n,regret_simple,bound_simple,regret_complex,bound_complex,post_simple,"
                   "post_complex,regret_sgld\n");
        for (size_t t = 0; t < in->n; t++) {
            fprintf(f, "%zu", t + 1);
            for (int i = 0; i < LT_COUNT; i++)
                fprintf(f, ",%.17g", in->lt[i][t]);
            fputc('\n', f);
        }
    } else if (in->kind == INST_BMA) {
        fprintf(f, "t,error_bma,error_oracle,error_ls,error_ridge,regret_bma,regret_oracle");
        for (size_t c = 0; c < in->C; c++)
            fprintf(f, ",post_%s", in->class_names[c]);
        fputc('\n', f);
        for (size_t t = 0; t < in->n; t++) {
            fprintf(f, "%zu", t + 1);
            for (int i = 0; i < BT_COUNT; i++)
                fprintf(f, ",%.17g", in->bt[i][t]);
            for (size_t c = 0; c < in->C; c++)
                fprintf(f, ",%.17g", in->post[t * in->C + c]);
            fputc('\n', f);
        }
    } else {
        size_t K = judge_sim_kmax(in->js);
        double *e = malloc(2 * K * sizeof *e);
        if (e == NULL)
            rc = bl_fail(err, BL_ENOMEM, "out of memory");
        else if ((rc = judge_sim_curve(in->js, e, e + K, err)) == BL_OK) {
            fprintf(f, "k,error,error_se\n");
            for (size_t k = 0; k < K; k++)
                fprintf(f, "%zu,%.17g,%.17g\n", k + 1, e[k], e[K + k]);
        }
        free(e);
    }
    if (rc != BL_OK) {
        wfile_abort(&w);
        return rc;
    }
    return wfile_commit(&w, err);
}

/* ---- the `run` job --------------------------------------------------------- */

static size_t
run_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct instrument *in = self;
    size_t before = in->n;
    (void)out;
    instrument_advance(in, n, ctx->cancel, err);
    return in->n - before;
}

static void
run_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    const struct instrument *in = self;
    switch (how) {
    case JOB_DONE: out_printf(out, "%s: run done (%zu)", instrument_name(in), in->n); break;
    case JOB_FAILED: out_error(out, "run stopped: %s", err->msg); break;
    case JOB_STOPPED: out_printf(out, "run stopped"); break;
    }
}

static void
run_describe(const void *self, char *buf, size_t size)
{
    const struct instrument *in = self;
    snprintf(buf, size, "%s %zu", instrument_name(in), in->n);
}

static void
run_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    const struct instrument *in = self;
    (void)done;
    snprintf(buf, size, "%s: %zu", instrument_name(in), in->n);
}

const struct job_class instrument_job_class = {
    .name = "run",
    .verb = "running",
    .unit = "arrivals", /* trials for judge */
    .first_budget = 1,
    .advance = run_advance,
    .end = run_end,
    .describe = run_describe,
    .describe_step = run_describe_step,
};
