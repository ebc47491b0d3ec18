/* core/bma.c - Bayesian model averaging over Gaussian-linear task classes
 * (docs/math.md §8): one online BLR (core/blr) per class or per sparse support,
 * class and support posteriors by log-sum-exp, a mixture-of-Gaussians
 * predictive, least-squares and ridge baselines.
 *
 * Mixtures are accumulated in one streaming pass with a running maximum
 * (online log-sum-exp, docs/math.md §1.3): the weights exp(logev_S - max) and the
 * moment sums are rescaled whenever the maximum moves, so C(d, s) supports
 * need no scratch arrays and bma_predict can stay const. */
#include "core/theory/bma.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "core/blr/blr.h"
#include "core/base/err.h"

typedef struct bma_cls {
    bma_kind kind;
    char name[32];
    double log_prior;                 /* log pi_c, normalised at the first arrival */
    double prior_raw;                 /* as given */
    size_t p;                         /* feature dimension of each BLR (sparse: s) */
    size_t nsup;                      /* sparse: C(d, s); dense/fourier: 1; custom: 0 */
    size_t *sup;                      /* sparse: nsup * s indices */
    blr_model **m;                    /* nsup models */
    double *logev;                    /* nsup log evidences (sparse) */
    size_t N;                         /* fourier: max frequency */
    double L;                         /* fourier: half-period */
    bma_custom cb;                    /* custom hooks */
    double log_ml;                    /* log p_c(y_1..t) */
    double mean, var, logpred, sqerr; /* last arrival */
} bma_cls;

struct bma {
    size_t in_dim;
    double sigma, ridge;
    size_t nc;
    bma_cls cls[BMA_MAX_CLASSES];
    size_t n;
    double cum_loss;
    double *phi; /* scratch, BMA_MAX_DIM */
    /* baselines */
    int base_ready;   /* baseline feature map chosen (at the first arrival) */
    int base_fourier; /* 1: Fourier features of base_N, base_L; 0: raw x */
    size_t base_N;
    double base_L;
    size_t bp;  /* baseline feature dimension */
    double *H;  /* n x bp stored features */
    double *hy; /* n targets */
    size_t cap; /* rows allocated in H, hy */
    blr_model *ridge_m;
};

/* Online weighted moments: sum_i exp(lw_i) {1, mu_i, v_i + mu_i^2} with a running max. */
typedef struct {
    double mx, s0, s1, s2;
} mom_acc;

static void
mom_init(mom_acc *a)
{
    a->mx = -HUGE_VAL;
    a->s0 = a->s1 = a->s2 = 0.0;
}

static void
mom_add(mom_acc *a, double lw, double mu, double v)
{
    if (lw == -HUGE_VAL)
        return;
    if (lw > a->mx) {
        double r = exp(a->mx - lw); /* 0 on the first add */
        a->s0 *= r, a->s1 *= r, a->s2 *= r;
        a->mx = lw;
    }
    double w = exp(lw - a->mx);
    a->s0 += w;
    a->s1 += w * mu;
    a->s2 += w * (v + mu * mu);
}

/* Online log-sum-exp. */
typedef struct {
    double mx, s;
} lse_acc;

static void
lse_init(lse_acc *a)
{
    a->mx = -HUGE_VAL;
    a->s = 0.0;
}

static void
lse_add(lse_acc *a, double v)
{
    if (v == -HUGE_VAL)
        return;
    if (v > a->mx) {
        a->s = a->s * exp(a->mx - v) + 1.0;
        a->mx = v;
    } else {
        a->s += exp(v - a->mx);
    }
}

static double
lse_val(const lse_acc *a)
{
    return a->s > 0 ? a->mx + log(a->s) : -HUGE_VAL;
}

static double
log_normal(double y, double mu, double v)
{
    double r = y - mu;
    return -0.5 * (log(2.0 * M_PI * v) + r * r / v);
}

/* Fourier features [1, cos(pi k x/L), sin(pi k x/L)] (docs/math.md §2.5, 8). */
static void
fourier_map(double x, size_t N, double L, double *phi)
{
    phi[0] = 1.0;
    for (size_t k = 1; k <= N; k++) {
        double a = M_PI * (double)k * x / L;
        phi[2 * k - 1] = cos(a);
        phi[2 * k] = sin(a);
    }
}

/* Features of class c (not sparse) at x. */
static void
cls_map(const bma *b, const bma_cls *c, const double *x, double *phi)
{
    if (c->kind == BMA_FOURIER)
        fourier_map(x[0], c->N, c->L, phi);
    else
        memcpy(phi, x, b->in_dim * sizeof *x);
}

static void
cls_clear(bma_cls *c)
{
    for (size_t i = 0; i < c->nsup; i++)
        blr_free(c->m[i]);
    free(c->m);
    free(c->sup);
    free(c->logev);
    memset(c, 0, sizeof *c);
}

bma *
bma_alloc(const bma_opts *o, bl_err *err)
{
    if (!o || o->in_dim < 1 || o->in_dim > BMA_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "in_dim=%zu: must be in 1..%d", o ? o->in_dim : 0, BMA_MAX_DIM);
        return NULL;
    }
    if (!(o->sigma > 0) || !isfinite(o->sigma)) {
        bl_fail(err, BL_EINVAL, "sigma=%g: must be finite and > 0", o->sigma);
        return NULL;
    }
    if (!(o->ridge >= 0) || !isfinite(o->ridge)) {
        bl_fail(err, BL_EINVAL, "ridge=%g: must be finite and >= 0", o->ridge);
        return NULL;
    }
    bma *b = calloc(1, sizeof *b);
    if (!b || !(b->phi = malloc(BMA_MAX_DIM * sizeof *b->phi))) {
        free(b);
        bl_fail(err, BL_ENOMEM, "bma: out of memory");
        return NULL;
    }
    b->in_dim = o->in_dim;
    b->sigma = o->sigma;
    b->ridge = o->ridge > 0 ? o->ridge : o->sigma * o->sigma;
    return b;
}

void
bma_free(bma *b)
{
    if (!b)
        return;
    for (size_t c = 0; c < b->nc; c++)
        cls_clear(&b->cls[c]);
    free(b->phi);
    free(b->H);
    free(b->hy);
    blr_free(b->ridge_m);
    free(b);
}

/* C(d, s) or SIZE_MAX past the limit. */
static size_t
n_choose(size_t d, size_t s)
{
    double r = 1.0;
    for (size_t i = 0; i < s; i++) {
        r = r * (double)(d - i) / (double)(i + 1);
        if (r > (double)BMA_MAX_SUPPORTS + 0.5)
            return (size_t)-1;
    }
    return (size_t)floor(r + 0.5);
}

int
bma_add_class(bma *b, const bma_class_opts *o, bl_err *err)
{
    if (b->n > 0)
        return bl_fail(err, BL_ESTATE, "bma: classes are fixed after the first arrival");
    if (b->nc >= BMA_MAX_CLASSES)
        return bl_fail(err, BL_ESTATE, "bma: at most %d classes", BMA_MAX_CLASSES);
    if (!(o->prior > 0) || !isfinite(o->prior))
        return bl_fail(err, BL_EINVAL, "prior=%g: must be finite and > 0", o->prior);
    bma_cls c;
    memset(&c, 0, sizeof c);
    c.kind = o->kind;
    c.prior_raw = o->prior;
    blr_opts bo = {.kind = BLR_KNOWN, .alpha = 1.0, .beta = 1.0 / (b->sigma * b->sigma)};
    switch (o->kind) {
    case BMA_DENSE:
        c.p = b->in_dim;
        c.nsup = 1;
        snprintf(c.name, sizeof c.name, "dense");
        break;
    case BMA_SPARSE:
        if (o->s < 1 || o->s > b->in_dim)
            return bl_fail(err, BL_EINVAL, "s=%zu: must be in 1..%zu (in_dim)", o->s, b->in_dim);
        c.nsup = n_choose(b->in_dim, o->s);
        if (c.nsup > BMA_MAX_SUPPORTS)
            return bl_fail(err, BL_EINVAL, "s=%zu: C(%zu, %zu) supports exceed %d", o->s, b->in_dim,
                           o->s, BMA_MAX_SUPPORTS);
        c.p = o->s;
        snprintf(c.name, sizeof c.name, "sparse(s=%zu)", o->s);
        break;
    case BMA_FOURIER:
        if (b->in_dim != 1)
            return bl_fail(err, BL_EINVAL, "fourier needs in_dim=1, have in_dim=%zu", b->in_dim);
        if (o->N > (BMA_MAX_DIM - 1) / 2)
            return bl_fail(err, BL_EINVAL, "N=%zu: must be in 0..%d", o->N, (BMA_MAX_DIM - 1) / 2);
        if (!(o->L >= 0) || !isfinite(o->L))
            return bl_fail(err, BL_EINVAL, "L=%g: must be finite and > 0 (0 selects 5)", o->L);
        c.N = o->N;
        c.L = o->L > 0 ? o->L : 5.0;
        c.p = 2 * o->N + 1;
        c.nsup = 1;
        snprintf(c.name, sizeof c.name, "fourier(N=%zu)", o->N);
        break;
    case BMA_CUSTOM:
        if (!o->custom || !o->custom->predict || !o->custom->observe)
            return bl_fail(err, BL_EINVAL, "custom: predict and observe hooks are required");
        c.cb = *o->custom;
        snprintf(c.name, sizeof c.name, "custom");
        break;
    default:
        return bl_fail(err, BL_EINVAL, "kind=%d: must be dense, sparse, fourier or custom",
                       (int)o->kind);
    }
    if (o->name) {
        snprintf(c.name, sizeof c.name, "%s", o->name);
    }
    if (c.nsup > 0) {
        c.m = calloc(c.nsup, sizeof *c.m);
        c.logev = calloc(c.nsup, sizeof *c.logev);
        if (!c.m || !c.logev)
            goto nomem;
        for (size_t i = 0; i < c.nsup; i++)
            if (!(c.m[i] = blr_alloc(c.p, &bo, err)))
                goto fail;
    }
    if (c.kind == BMA_SPARSE) {
        size_t s = c.p, d = b->in_dim;
        c.sup = malloc(c.nsup * s * sizeof *c.sup);
        if (!c.sup)
            goto nomem;
        size_t idx[BMA_MAX_DIM];
        for (size_t i = 0; i < s; i++)
            idx[i] = i;
        for (size_t k = 0; k < c.nsup; k++) {
            memcpy(c.sup + k * s, idx, s * sizeof *idx);
            /* next combination in lexicographic order */
            size_t i = s;
            while (i > 0 && idx[i - 1] == d - s + i - 1)
                i--;
            if (i == 0)
                break;
            idx[i - 1]++;
            for (size_t j = i; j < s; j++)
                idx[j] = idx[j - 1] + 1;
        }
    }
    b->cls[b->nc++] = c;
    return BL_OK;
nomem:
    bl_fail(err, BL_ENOMEM, "bma: out of memory for class %s", c.name);
fail:
    cls_clear(&c);
    return err ? err->code : BL_ENOMEM;
}

/* Predictive of a built-in class at x; with update, each BLR also observes y
 * (blr_observe predicts first) and the support evidences advance. */
static void
cls_predict(const bma *b, bma_cls *c, const double *x, double y, int update, double *mean,
            double *var, double *logpred)
{
    double *phi = b->phi;
    if (c->kind != BMA_SPARSE) {
        blr_pred pr;
        double lp;
        cls_map(b, c, x, phi);
        if (update) {
            blr_observe(c->m[0], phi, y, &pr, &lp, NULL);
        } else {
            blr_predict(c->m[0], phi, &pr);
            lp = log_normal(y, pr.mean, pr.var);
        }
        *mean = pr.mean, *var = pr.var, *logpred = lp;
        return;
    }
    /* Sparse: mixture over supports with weights P(S | D) = softmax(logev_S);
     * class log predictive = lse_S(logev_S + lp_S) - lse_S(logev_S). */
    mom_acc mo;
    lse_acc num, den;
    mom_init(&mo);
    lse_init(&num);
    lse_init(&den);
    size_t s = c->p;
    for (size_t k = 0; k < c->nsup; k++) {
        const size_t *S = c->sup + k * s;
        for (size_t i = 0; i < s; i++)
            phi[i] = x[S[i]];
        blr_pred pr;
        double lp;
        if (update) {
            blr_observe(c->m[k], phi, y, &pr, &lp, NULL);
        } else {
            blr_predict(c->m[k], phi, &pr);
            lp = log_normal(y, pr.mean, pr.var);
        }
        mom_add(&mo, c->logev[k], pr.mean, pr.var);
        lse_add(&num, c->logev[k] + lp);
        lse_add(&den, c->logev[k]);
        if (update)
            c->logev[k] += lp;
    }
    double m = mo.s1 / mo.s0;
    *mean = m;
    *var = mo.s2 / mo.s0 - m * m;
    *logpred = lse_val(&num) - lse_val(&den);
}

/* Normalise the class priors (once, at the first arrival or prediction). */
static void
norm_priors(bma *b)
{
    double t = 0.0;
    for (size_t c = 0; c < b->nc; c++)
        t += b->cls[c].prior_raw;
    for (size_t c = 0; c < b->nc; c++)
        b->cls[c].log_prior = log(b->cls[c].prior_raw / t);
}

/* log P(c | D) for all classes into lp. */
static void
log_post(const bma *b, double *lp)
{
    lse_acc a;
    lse_init(&a);
    double t = 0.0;
    for (size_t c = 0; c < b->nc; c++)
        t += b->cls[c].prior_raw;
    for (size_t c = 0; c < b->nc; c++) {
        lp[c] = log(b->cls[c].prior_raw / t) + b->cls[c].log_ml;
        lse_add(&a, lp[c]);
    }
    double z = lse_val(&a);
    for (size_t c = 0; c < b->nc; c++)
        lp[c] -= z;
}

static int
finite_vec(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Choose the baseline features: the richest built-in class. */
static int
base_setup(bma *b, bl_err *err)
{
    size_t best = 0;
    int four = 0;
    for (size_t c = 0; c < b->nc; c++) {
        const bma_cls *k = &b->cls[c];
        size_t p = k->kind == BMA_FOURIER ? k->p : k->kind == BMA_CUSTOM ? 0 : b->in_dim;
        if (p > best) {
            best = p;
            four = k->kind == BMA_FOURIER;
            if (four)
                b->base_N = k->N, b->base_L = k->L;
        }
    }
    b->base_fourier = four;
    b->bp = best > 0 ? best : b->in_dim;
    blr_opts ro = {.kind = BLR_KNOWN, .alpha = b->ridge, .beta = 1.0};
    b->ridge_m = blr_alloc(b->bp, &ro, err);
    if (!b->ridge_m)
        return err ? err->code : BL_ENOMEM;
    b->base_ready = 1;
    return BL_OK;
}

static void
base_map(const bma *b, const double *x, double *phi)
{
    if (b->base_fourier)
        fourier_map(x[0], b->base_N, b->base_L, phi);
    else
        memcpy(phi, x, b->in_dim * sizeof *x);
}

/* Min-norm least squares on the stored points, prediction at phi. */
static int
ls_predict(const bma *b, const double *phi, double *pred, bl_err *err)
{
    size_t n = b->n, p = b->bp;
    if (n == 0) {
        *pred = 0.0;
        return BL_OK;
    }
    size_t mr = n > p ? n : p;
    double *A = malloc(n * p * sizeof *A), *B = calloc(mr, sizeof *B);
    double *sv = malloc((n < p ? n : p) * sizeof *sv);
    if (!A || !B || !sv) {
        free(A), free(B), free(sv);
        return bl_fail(err, BL_ENOMEM, "bma: out of memory for least squares");
    }
    memcpy(A, b->H, n * p * sizeof *A);
    memcpy(B, b->hy, n * sizeof *B);
    lapack_int rank;
    lapack_int info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, (lapack_int)n, (lapack_int)p, 1, A,
                                     (lapack_int)p, B, 1, sv, 1e-10, &rank);
    double f = 0.0;
    for (size_t i = 0; i < p; i++)
        f += phi[i] * B[i];
    free(A), free(B), free(sv);
    if (info != 0)
        return bl_fail(err, BL_ENUM, "bma: least-squares SVD failed (info=%d)", (int)info);
    *pred = f;
    return BL_OK;
}

int
bma_observe(bma *b, const double *x, double y, bma_step *st, bl_err *err)
{
    if (b->nc == 0)
        return bl_fail(err, BL_ESTATE, "bma: add a class before the first arrival");
    if (!isfinite(y) || !finite_vec(x, b->in_dim))
        return bl_fail(err, BL_EINVAL, "bma: x and y must be finite");
    int rc;
    if (!b->base_ready && (rc = base_setup(b, err)) != BL_OK)
        return rc;
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 64;
        double *H = realloc(b->H, nc * b->bp * sizeof *H);
        if (!H)
            return bl_fail(err, BL_ENOMEM, "bma: out of memory for %zu points", nc);
        b->H = H;
        double *hy = realloc(b->hy, nc * sizeof *hy);
        if (!hy)
            return bl_fail(err, BL_ENOMEM, "bma: out of memory for %zu points", nc);
        b->hy = hy;
        b->cap = nc;
    }
    /* Baselines first (they may fail; nothing is changed yet). */
    double *hrow = b->H + b->n * b->bp;
    base_map(b, x, hrow);
    double ls_pred = 0.0;
    if ((rc = ls_predict(b, hrow, &ls_pred, err)) != BL_OK)
        return rc;
    blr_pred rp;
    blr_predict(b->ridge_m, hrow, &rp);
    /* Custom predictives next (they may fail too). */
    double cm[BMA_MAX_CLASSES], cv[BMA_MAX_CLASSES], cl[BMA_MAX_CLASSES];
    for (size_t c = 0; c < b->nc; c++) {
        bma_cls *k = &b->cls[c];
        if (k->kind != BMA_CUSTOM)
            continue;
        if ((rc = k->cb.predict(k->cb.self, x, &cm[c], &cv[c], err)) != BL_OK)
            return rc;
        if (!(cv[c] > 0) || !isfinite(cm[c]))
            return bl_fail(err, BL_ENUM, "class %s: predictive variance %g must be > 0", k->name,
                           cv[c]);
        cl[c] = log_normal(y, cm[c], cv[c]);
    }
    if (b->n == 0)
        norm_priors(b);
    double lpost[BMA_MAX_CLASSES];
    log_post(b, lpost); /* P(c | D_{t-1}) */
    for (size_t c = 0; c < b->nc; c++) {
        bma_cls *k = &b->cls[c];
        if (k->kind != BMA_CUSTOM)
            cls_predict(b, k, x, y, 1, &cm[c], &cv[c], &cl[c]);
    }
    for (size_t c = 0; c < b->nc; c++) {
        bma_cls *k = &b->cls[c];
        if (k->kind == BMA_CUSTOM && (rc = k->cb.observe(k->cb.self, x, y, err)) != BL_OK)
            return rc; /* the built-in classes have advanced: documented */
    }
    mom_acc mo;
    lse_acc la;
    mom_init(&mo);
    lse_init(&la);
    for (size_t c = 0; c < b->nc; c++) {
        bma_cls *k = &b->cls[c];
        mom_add(&mo, lpost[c], cm[c], cv[c]);
        lse_add(&la, lpost[c] + cl[c]);
        k->mean = cm[c], k->var = cv[c], k->logpred = cl[c];
        k->sqerr = (cm[c] - y) * (cm[c] - y);
        k->log_ml += cl[c];
    }
    double mean = mo.s1 / mo.s0, var = mo.s2 / mo.s0 - mean * mean;
    double logpred = lse_val(&la);
    b->hy[b->n] = y;
    blr_observe(b->ridge_m, hrow, y, NULL, NULL, NULL);
    b->n++;
    b->cum_loss += -logpred;
    if (st) {
        st->mean = mean;
        st->var = var;
        st->logpred = logpred;
        st->sqerr = (mean - y) * (mean - y);
        st->ls_pred = ls_pred;
        st->sqerr_ls = (ls_pred - y) * (ls_pred - y);
        st->ridge_pred = rp.mean;
        st->sqerr_ridge = (rp.mean - y) * (rp.mean - y);
        st->cum_logloss = b->cum_loss;
    }
    return BL_OK;
}

size_t
bma_count(const bma *b)
{
    return b->n;
}

double
bma_cum_logloss(const bma *b)
{
    return b->cum_loss;
}

void
bma_posterior(const bma *b, double *post)
{
    double lp[BMA_MAX_CLASSES];
    log_post(b, lp);
    for (size_t c = 0; c < b->nc; c++)
        post[c] = exp(lp[c]);
}

int
bma_class_get(const bma *b, size_t c, bma_class_info *out, bl_err *err)
{
    if (c >= b->nc)
        return bl_fail(err, BL_EINVAL, "class=%zu: must be < %zu", c, b->nc);
    const bma_cls *k = &b->cls[c];
    double lp[BMA_MAX_CLASSES], t = 0.0;
    log_post(b, lp);
    for (size_t i = 0; i < b->nc; i++)
        t += b->cls[i].prior_raw;
    out->name = k->name;
    out->kind = k->kind;
    out->dim = k->p;
    out->supports = k->kind == BMA_SPARSE ? k->nsup : 1;
    out->log_prior = log(k->prior_raw / t);
    out->log_ml = k->log_ml;
    out->post = exp(lp[c]);
    out->mean = k->mean;
    out->var = k->var;
    out->logpred = k->logpred;
    out->sqerr = k->sqerr;
    out->regret = b->cum_loss + k->log_ml;
    out->bound = -out->log_prior;
    return BL_OK;
}

int
bma_class_predict(const bma *b, size_t c, const double *x, double *mean, double *var, bl_err *err)
{
    if (c >= b->nc)
        return bl_fail(err, BL_EINVAL, "class=%zu: must be < %zu", c, b->nc);
    if (!finite_vec(x, b->in_dim))
        return bl_fail(err, BL_EINVAL, "bma: x must be finite");
    const bma_cls *k = &b->cls[c];
    if (k->kind == BMA_CUSTOM)
        return k->cb.predict(k->cb.self, x, mean, var, err);
    double lp;
    /* cls_predict without update does not modify the class; the cast only
     * shares the code path with bma_observe. */
    cls_predict(b, (bma_cls *)k, x, 0.0, 0, mean, var, &lp);
    return BL_OK;
}

int
bma_predict(const bma *b, const double *x, double y, double *mean, double *var, double *logpdf,
            bl_err *err)
{
    if (b->nc == 0)
        return bl_fail(err, BL_ESTATE, "bma: no class");
    if (!finite_vec(x, b->in_dim) || !isfinite(y))
        return bl_fail(err, BL_EINVAL, "bma: x and y must be finite");
    double lpost[BMA_MAX_CLASSES];
    log_post(b, lpost);
    mom_acc mo;
    lse_acc la;
    mom_init(&mo);
    lse_init(&la);
    for (size_t c = 0; c < b->nc; c++) {
        const bma_cls *k = &b->cls[c];
        double m, v, l;
        if (k->kind == BMA_CUSTOM) {
            int rc = k->cb.predict(k->cb.self, x, &m, &v, err);
            if (rc != BL_OK)
                return rc;
            l = log_normal(y, m, v);
        } else {
            cls_predict(b, (bma_cls *)k, x, y, 0, &m, &v, &l);
        }
        mom_add(&mo, lpost[c], m, v);
        lse_add(&la, lpost[c] + l);
    }
    *mean = mo.s1 / mo.s0;
    *var = mo.s2 / mo.s0 - *mean * *mean;
    if (logpdf)
        *logpdf = lse_val(&la);
    return BL_OK;
}

int
bma_support_posterior(const bma *b, size_t c, double *w, size_t *idx, bl_err *err)
{
    if (c >= b->nc || b->cls[c].kind != BMA_SPARSE)
        return bl_fail(err, BL_EINVAL, "class=%zu: not a sparse class", c);
    const bma_cls *k = &b->cls[c];
    lse_acc a;
    lse_init(&a);
    for (size_t i = 0; i < k->nsup; i++)
        lse_add(&a, k->logev[i]);
    double z = lse_val(&a);
    for (size_t i = 0; i < k->nsup; i++)
        w[i] = exp(k->logev[i] - z);
    if (idx)
        memcpy(idx, k->sup, k->nsup * k->p * sizeof *idx);
    return BL_OK;
}
