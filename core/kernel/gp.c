/* core/gp.c - online GP / Student-t process regression, scale priors,
 * hyperparameter optimisation.
 *
 * See gp.h. Invariants between calls: L (ld = cap) holds the factor of
 * Ky + diag(jitter) in rows 0..n-1 (entries right of the diagonal are
 * never read), z = L^-1 y, q = |z|^2, logdet = 2 sum log L_ii, lml = the sum
 * of the one-step log predictives (or the batch value after gp_fit).
 * docs/math.md §1.1 (solves, never invert), 1.2 (jitter), 1.3 (lse), 5.1, 5.2. */
#include "core/kernel/gp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <lapacke.h>

#include "core/base/linalg.h"

#define LOG_2PI    1.8378770664093454836
#define PIVOT_RTOL 1e-13 /* pivots below this times k(x,x) are rounding noise [C] */
#define PRED_CHUNK 256   /* right-hand sides per triangular solve in gp_predict */

/* The mean function m(x) = h(x)^T beta, h = (), (1) or (1, x). */
typedef struct meanfn {
    gp_mean_kind kind;
    size_t np;                       /* hyperparameters: 0 (zero, data), 1, 1 + d */
    double beta[GP_MEAN_MAX_PARAMS]; /* data: beta[0] is the current data mean */
} meanfn;

struct gp {
    kernel *k;       /* owned */
    meanfn mf;       /* the prior mean; every y below enters as y - m(x) */
    double ysum;     /* sum of the targets (the data mean's numerator) */
    size_t d;        /* input dimension */
    double noise;    /* s2n */
    size_t n, cap;   /* points, capacity (rows of X, leading dimension of L) */
    double *X;       /* cap x d */
    double *y;       /* cap */
    double *L;       /* cap x cap, row-major lower factor of Ky */
    double *z;       /* cap, L^-1 y */
    double *work;    /* cap, scratch of gp_observe */
    double sum_diag; /* sum of diag Ky (for the jitter ladder's scale) */
    double q, logdet, lml, jitter;
};

static double
mean_at(const meanfn *m, size_t d, const double *x)
{
    switch (m->kind) {
    case GP_MEAN_CONST:
    case GP_MEAN_DATA: return m->beta[0];
    case GP_MEAN_LINEAR: {
        double v = m->beta[0];
        for (size_t i = 0; i < d; i++)
            v += m->beta[1 + i] * x[i];
        return v;
    }
    default: return 0.0;
    }
}

/* r = y - m(X), n rows (r may be y). */
static void
residuals(const meanfn *m, size_t d, const double *X, const double *y, size_t n, double *r)
{
    for (size_t i = 0; i < n; i++)
        r[i] = y[i] - mean_at(m, d, X + i * d);
}

const char *
gp_mean_name(gp_mean_kind kind)
{
    switch (kind) {
    case GP_MEAN_ZERO: return "zero";
    case GP_MEAN_CONST: return "const";
    case GP_MEAN_LINEAR: return "linear";
    case GP_MEAN_DATA: return "data";
    }
    return "?";
}

int
gp_set_mean(gp *g, gp_mean_kind kind, const double *beta, bl_err *err)
{
    if (g->n > 0)
        return bl_fail(err, BL_EINVAL, "gp: the mean is set before the first point (n=%zu)",
                       g->n);
    meanfn m = {.kind = kind};
    switch (kind) {
    case GP_MEAN_ZERO:
    case GP_MEAN_DATA: break;
    case GP_MEAN_CONST: m.np = 1; break;
    case GP_MEAN_LINEAR:
        if (g->d > GP_MEAN_MAX_DIM)
            return bl_fail(err, BL_EINVAL,
                           "gp: mean=linear on inputs of dimension %zu: at most %d (one slope "
                           "per input)",
                           g->d, GP_MEAN_MAX_DIM);
        m.np = 1 + g->d;
        break;
    default: return bl_fail(err, BL_EINVAL, "gp: unknown mean %d", (int)kind);
    }
    for (size_t i = 0; i < m.np; i++) {
        m.beta[i] = beta ? beta[i] : 0.0;
        if (!isfinite(m.beta[i]))
            return bl_fail(err, BL_EINVAL, "gp: mean=%s: parameter %zu is %g: must be finite",
                           gp_mean_name(kind), i + 1, m.beta[i]);
    }
    g->mf = m;
    return BL_OK;
}

gp_mean_kind
gp_mean(const gp *g)
{
    return g->mf.kind;
}

size_t
gp_mean_nparams(const gp *g)
{
    return g->mf.np;
}

const char *
gp_mean_param_name(const gp *g, size_t i)
{
    static const char *const bnames[GP_MEAN_MAX_DIM] = {
        "mean.b1", "mean.b2",  "mean.b3",  "mean.b4",  "mean.b5",  "mean.b6",
        "mean.b7", "mean.b8",  "mean.b9",  "mean.b10", "mean.b11", "mean.b12",
        "mean.b13", "mean.b14", "mean.b15", "mean.b16"};
    switch (g->mf.kind) {
    case GP_MEAN_CONST: return i == 0 ? "mean.c" : NULL;
    case GP_MEAN_LINEAR:
        if (i == 0)
            return "mean.a";
        if (i >= g->mf.np)
            return NULL;
        return g->d == 1 ? "mean.b" : bnames[i - 1];
    default: return NULL;
    }
}

double
gp_mean_param_value(const gp *g, size_t i)
{
    return i < g->mf.np ? g->mf.beta[i] : (double)NAN;
}

double
gp_mean_at(const gp *g, const double *x)
{
    return mean_at(&g->mf, g->d, x);
}

gp *
gp_alloc(kernel *k, double noise, bl_err *err)
{
    if (k == NULL) {
        bl_fail(err, BL_EINVAL, "gp: no kernel");
        return NULL;
    }
    if (!(noise >= 0.0) || !isfinite(noise)) {
        bl_fail(err, BL_EINVAL, "gp: noise=%g: must be >= 0 and finite", noise);
        kernel_free(k);
        return NULL;
    }
    gp *g = calloc(1, sizeof *g);
    if (g == NULL) {
        bl_fail(err, BL_ENOMEM, "gp: out of memory");
        kernel_free(k);
        return NULL;
    }
    g->k = k;
    g->d = kernel_in_dim(k);
    g->noise = noise;
    return g;
}

void
gp_free(gp *g)
{
    if (g == NULL)
        return;
    kernel_free(g->k);
    free(g->X);
    free(g->y);
    free(g->L);
    free(g->z);
    free(g->work);
    free(g);
}

/* Storage for cap points; rows 0..n-1 preserved. Nothing changes on failure. */
static int
reserve(gp *g, size_t cap, bl_err *err)
{
    if (cap <= g->cap)
        return BL_OK;
    if (cap > GP_MAX_N)
        return bl_fail(err, BL_EINVAL, "gp: n=%zu points: at most %d", cap, GP_MAX_N);
    double *X = malloc(cap * g->d * sizeof *X), *y = malloc(cap * sizeof *y);
    double *L = malloc(cap * cap * sizeof *L), *z = malloc(cap * sizeof *z);
    double *w = malloc(cap * sizeof *w);
    if (!X || !y || !L || !z || !w) {
        free(X);
        free(y);
        free(L);
        free(z);
        free(w);
        return bl_fail(err, BL_ENOMEM, "gp: out of memory for %zu points", cap);
    }
    if (g->n) {
        memcpy(X, g->X, g->n * g->d * sizeof *X);
        memcpy(y, g->y, g->n * sizeof *y);
        memcpy(z, g->z, g->n * sizeof *z);
        for (size_t i = 0; i < g->n; i++)
            memcpy(L + i * cap, g->L + i * g->cap, (i + 1) * sizeof *L);
    }
    free(g->X);
    free(g->y);
    free(g->L);
    free(g->z);
    free(g->work);
    g->X = X;
    g->y = y;
    g->L = L;
    g->z = z;
    g->work = w;
    g->cap = cap;
    return BL_OK;
}

gp *
gp_copy(const gp *g, bl_err *err)
{
    kernel *k = kernel_copy(g->k, err);
    if (k == NULL)
        return NULL;
    gp *c = gp_alloc(k, g->noise, err);
    if (c == NULL)
        return NULL;
    if (reserve(c, g->n > 0 ? g->n : 1, err) != BL_OK) {
        gp_free(c);
        return NULL;
    }
    memcpy(c->X, g->X, g->n * g->d * sizeof *c->X);
    memcpy(c->y, g->y, g->n * sizeof *c->y);
    memcpy(c->z, g->z, g->n * sizeof *c->z);
    for (size_t i = 0; i < g->n; i++)
        memcpy(c->L + i * c->cap, g->L + i * g->cap, (i + 1) * sizeof *c->L);
    c->n = g->n;
    c->mf = g->mf;
    c->ysum = g->ysum;
    c->sum_diag = g->sum_diag;
    c->q = g->q;
    c->logdet = g->logdet;
    c->lml = g->lml;
    c->jitter = g->jitter;
    return c;
}

size_t
gp_n(const gp *g)
{
    return g->n;
}
size_t
gp_in_dim(const gp *g)
{
    return g->d;
}
double
gp_noise(const gp *g)
{
    return g->noise;
}
const kernel *
gp_kernel(const gp *g)
{
    return g->k;
}
double
gp_jitter(const gp *g)
{
    return g->jitter;
}
double
gp_log_ml(const gp *g)
{
    return g->lml;
}
double
gp_quad(const gp *g)
{
    return g->q;
}
double
gp_logdet(const gp *g)
{
    return g->logdet;
}
void
gp_factor(const gp *g, double *out)
{
    size_t n = g->n;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + i * n, g->L + i * g->cap, (i + 1) * sizeof *out);
        memset(out + i * n + i + 1, 0, (n - i - 1) * sizeof *out);
    }
}

void
gp_alpha(const gp *g, double *out)
{
    memcpy(out, g->z, g->n * sizeof *out);
    linalg_solve_lower_t_ld(g->L, g->n, g->cap, out);
}

static int
check_finite(const double *v, size_t len, const char *what, bl_err *err)
{
    for (size_t i = 0; i < len; i++)
        if (!isfinite(v[i]))
            return bl_fail(err, BL_EINVAL, "gp: %s[%zu]=%g: must be finite", what, i + 1, v[i]);
    return BL_OK;
}

/* Capacity for n + m points: growth by 3/2, since the factor is cap^2
 * doubles and doubling would reserve up to 4x the memory in use; copies stay
 * amortised O(n). */
static int
grow(gp *g, size_t need, bl_err *err)
{
    if (need <= g->cap)
        return BL_OK;
    size_t cap = g->cap ? g->cap + g->cap / 2 + 64 : 64;
    if (cap > GP_MAX_N)
        cap = GP_MAX_N;
    return reserve(g, need > cap ? need : cap, err);
}

/* One arrival by the O(n^2) row extension; *a (may be NULL) receives the
 * one-step predictive it was scored under and the state after it. */
static int
observe_point(gp *g, const double *x, double y, gp_arrival *a, bl_err *err)
{
    int rc = check_finite(x, g->d, "x", err);
    if (rc != BL_OK)
        return rc;
    if (!isfinite(y))
        return bl_fail(err, BL_EINVAL, "gp: y=%g: must be finite", y);
    size_t n = g->n;
    if ((rc = grow(g, n + 1, err)) != BL_OK)
        return rc;
    double kxx;
    if ((rc = kernel_diag(g->k, x, 1, &kxx, err)) != BL_OK)
        return rc;
    kxx += g->noise;
    double *l = g->work;
    if (n > 0) {
        if ((rc = kernel_cross(g->k, g->X, n, x, 1, l, NULL, err)) != BL_OK)
            return rc;
        linalg_solve_lower_ld(g->L, n, g->cap, l);
    }
    double ll = 0.0, mean = mean_at(&g->mf, g->d, x);
    for (size_t i = 0; i < n; i++) {
        ll += l[i] * l[i];
        mean += l[i] * g->z[i];
    }
    double piv = kxx - ll, j = 0.0;
    /* Jitter ladder on the new pivot (docs/math.md §1.2), scaled by mean diag Ky. */
    if (!(piv > PIVOT_RTOL * kxx)) {
        double md = (g->sum_diag + kxx) / (double)(n + 1);
        int step;
        for (step = 0; step < 7; step++) {
            j = 1e-10 * pow(10.0, step) * md;
            if (piv + j > PIVOT_RTOL * kxx)
                break;
        }
        if (step == 7 || !isfinite(piv)) {
            /* Name the cause: a repeated input, or one the kernel (smooth,
             * long length scale) already predicts exactly from the others. */
            size_t dup = n;
            for (size_t i = 0; i < n && dup == n; i++)
                if (memcmp(g->X + i * g->d, x, g->d * sizeof *x) == 0)
                    dup = i;
            if (dup < n)
                return bl_fail(err, BL_ENUM,
                               "gp: point %zu repeats the input of point %zu, and without "
                               "noise Ky is singular (pivot %.3g, even with jitter "
                               "1e-4*mean(diag)); add noise (noise=)",
                               n + 1, dup + 1, piv);
            return bl_fail(err, BL_ENUM,
                           "gp: point %zu is determined by the points before it to working "
                           "precision (pivot %.3g of Ky, even with jitter 1e-4*mean(diag)): "
                           "the kernel is too smooth for this many points without noise; add "
                           "noise (noise=) or a white kernel",
                           n + 1, piv);
        }
    }
    double lnn = sqrt(piv + j);
    double *row = g->L + n * g->cap;
    memcpy(row, l, n * sizeof *row);
    row[n] = lnn;
    double zn = (y - mean) / lnn;
    double lp = -0.5 * LOG_2PI - log(lnn) - 0.5 * zn * zn;
    memcpy(g->X + n * g->d, x, g->d * sizeof *x);
    g->y[n] = y;
    g->z[n] = zn;
    g->sum_diag += kxx;
    g->q += zn * zn;
    g->logdet += 2.0 * log(lnn);
    g->lml += lp;
    g->ysum += y;
    if (j > g->jitter)
        g->jitter = j;
    g->n = n + 1;
    if (g->mf.kind == GP_MEAN_DATA) {
        /* The data mean moved: every residual with it. z = L^-1 (y - c) anew
         * (O(n^2), the order of the row extension) and the batch log ML at
         * the new c; the one-step predictive above used the mean before y. */
        double c = g->ysum / (double)g->n;
        g->mf.beta[0] = c;
        for (size_t i = 0; i < g->n; i++)
            g->z[i] = g->y[i] - c;
        linalg_solve_lower_ld(g->L, g->n, g->cap, g->z);
        g->q = 0.0;
        for (size_t i = 0; i < g->n; i++)
            g->q += g->z[i] * g->z[i];
        g->lml = -0.5 * ((double)g->n * LOG_2PI + g->logdet + g->q);
    }
    if (a)
        *a = (gp_arrival){.mean = mean, .var = piv + j, .resid = zn, .logpred = lp, .q = g->q,
                          .logdet = g->logdet, .lml = g->lml};
    return BL_OK;
}

int
gp_observe(gp *g, const double *x, double y, double *logpred, bl_err *err)
{
    gp_arrival a = {0};
    int rc = observe_point(g, x, y, &a, err);
    if (rc == BL_OK && logpred)
        *logpred = a.logpred;
    return rc;
}

/* The block's arrivals under the data mean, with the new rows [W, S] of the
 * factor in place (W = rows n.. of L, S their diagonal block): what the point
 * path computes, arrival by arrival. The mean moves with every target, so
 * the residuals are carried as two right-hand sides, zy = L^-1 y and
 * z1 = L^-1 1, z(c) = zy - c z1: arrival i is predicted under the mean of the
 * n + i targets before it, and the state after it (q, the batch log ML) is at
 * the mean of n + i + 1; q directly from the difference, O(n + i) per arrival,
 * never as |zy|^2 - 2c zy.z1 + c^2 |z1|^2, which cancels (y ~ 330 ppm against
 * residuals of 1). Commits z, q, lml, logdet, ysum and the mean; the caller
 * the rest. */
static int
block_data_mean(gp *g, const double *y, size_t m, const double *S, size_t ld, gp_arrival *out,
                bl_err *err)
{
    size_t n = g->n, N = n + m;
    double *zy = malloc(2 * N * sizeof *zy), *ab = malloc(2 * m * sizeof *ab);
    if (zy == NULL || ab == NULL) {
        free(zy);
        free(ab);
        return bl_fail(err, BL_ENOMEM, "gp: out of memory for a block of %zu points", m);
    }
    double *z1 = zy + N, *a = ab, *b = ab + m;
    memset(ab, 0, 2 * m * sizeof *ab);
    if (n > 0) {
        memcpy(zy, g->y, n * sizeof *zy);
        linalg_solve_lower_ld(g->L, n, g->cap, zy);
        for (size_t i = 0; i < n; i++)
            z1[i] = 1.0;
        linalg_solve_lower_ld(g->L, n, g->cap, z1);
        const double *W = g->L + n * ld;
        for (size_t i = 0; i < m; i++) {
            const double *Wi = W + i * ld;
            double sa = 0.0, sb = 0.0;
            for (size_t j = 0; j < n; j++) {
                sa += Wi[j] * zy[j];
                sb += Wi[j] * z1[j];
            }
            a[i] = sa;
            b[i] = sb;
        }
    }
    double ysum = g->ysum, q = g->q, logdet = g->logdet, lml = g->lml, c = g->mf.beta[0];
    for (size_t i = 0; i < m; i++) {
        const double *Si = S + i * ld;
        double ai = a[i], bi = b[i];
        for (size_t j = 0; j < i; j++) {
            ai += Si[j] * zy[n + j];
            bi += Si[j] * z1[n + j];
        }
        size_t k = n + i; /* targets before this one */
        double cprev = k > 0 ? ysum / (double)k : 0.0, lii = Si[i];
        double mu = cprev + (ai - cprev * bi), zi = (y[i] - mu) / lii;
        double lp = -0.5 * LOG_2PI - log(lii) - 0.5 * zi * zi;
        zy[k] = (y[i] - ai) / lii;
        z1[k] = (1.0 - bi) / lii;
        ysum += y[i];
        c = ysum / (double)(k + 1);
        q = 0.0;
        for (size_t t = 0; t <= k; t++) {
            double e = zy[t] - c * z1[t];
            q += e * e;
        }
        logdet += 2.0 * log(lii);
        lml = -0.5 * ((double)(k + 1) * LOG_2PI + logdet + q);
        if (out)
            out[i] = (gp_arrival){.mean = mu, .var = lii * lii, .resid = zi, .logpred = lp,
                                  .q = q, .logdet = logdet, .lml = lml};
    }
    for (size_t t = 0; t < N; t++)
        g->z[t] = zy[t] - c * z1[t];
    g->q = q;
    g->logdet = logdet;
    g->lml = lml;
    g->ysum = ysum;
    g->mf.beta[0] = c;
    free(zy);
    free(ab);
    return BL_OK;
}

/* Block extension (docs/gp-blocks.md). With W = K(X2, X) L^-T (m x n) the
 * factor of Ky grows by the rows [W, L22], L22 L22^T = S = K22 + noise I -
 * W W^T (the Schur complement): BLAS-3 dtrsm, dsyrk, dpotrf, all in place in
 * rows n..n+m-1 of L, which are not part of the state until the commit. Row
 * i of [W, L22] is exactly the row the point path would append for x_i after
 * x_0..x_{i-1} (the Cholesky factor is unique), so the pivots L22_ii^2 are
 * the sequential predictive variances and the forward substitution
 * z2 = L22^-1 (y2 - W z) yields the sequential means and residuals. */
static int
observe_block(gp *g, const double *X, const double *y, size_t m, gp_arrival *out,
              bool *need_jitter, const bl_cancel *cancel, bl_err *err)
{
    *need_jitter = false;
    if (m == 0)
        return BL_OK;
    int rc = check_finite(X, m * g->d, "x", err);
    if (rc == BL_OK)
        rc = check_finite(y, m, "y", err);
    if (rc != BL_OK)
        return rc;
    size_t n = g->n, ld;
    if (n + m > GP_MAX_N)
        return bl_fail(err, BL_EINVAL, "gp: n=%zu points: at most %d", n + m, GP_MAX_N);
    if ((rc = grow(g, n + m, err)) != BL_OK)
        return rc;
    ld = g->cap;
    double *W = g->L + n * ld, *S = W + n;
    double *kd = malloc(m * sizeof *kd), *mean = malloc(m * sizeof *mean);
    /* The new kernel rows go straight into the factor when the layout
     * allows (a first block filling the capacity), else through scratch. */
    bool direct = ld == m;
    double *T = direct ? NULL : malloc(m * (n > m ? n : m) * sizeof *T);
    if (kd == NULL || mean == NULL || (!direct && T == NULL)) {
        rc = bl_fail(err, BL_ENOMEM, "gp: out of memory for a block of %zu points", m);
        goto done;
    }
    if ((rc = kernel_diag(g->k, X, m, kd, err)) != BL_OK)
        goto done;
    if (n > 0) {
        if ((rc = kernel_cross(g->k, X, m, g->X, n, T, cancel, err)) != BL_OK)
            goto done;
        for (size_t i = 0; i < m; i++)
            memcpy(W + i * ld, T + i * n, n * sizeof *T);
        gsl_matrix_const_view Lv = gsl_matrix_const_view_array_with_tda(g->L, n, n, ld);
        gsl_matrix_view Wv = gsl_matrix_view_array_with_tda(W, m, n, ld);
        gsl_blas_dtrsm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, 1.0, &Lv.matrix,
                       &Wv.matrix);
    }
    if ((rc = kernel_gram(g->k, X, m, direct ? S : T, cancel, err)) != BL_OK)
        goto done;
    if (!direct)
        for (size_t i = 0; i < m; i++)
            memcpy(S + i * ld, T + i * m, (i + 1) * sizeof *T);
    for (size_t i = 0; i < m; i++) {
        kd[i] += g->noise;
        S[i * ld + i] = kd[i];
    }
    if (n > 0) {
        gsl_matrix_view Wv = gsl_matrix_view_array_with_tda(W, m, n, ld);
        gsl_matrix_view Sv = gsl_matrix_view_array_with_tda(S, m, m, ld);
        gsl_blas_dsyrk(CblasLower, CblasNoTrans, -1.0, &Wv.matrix, 1.0, &Sv.matrix);
    }
    /* Row-major lower = column-major upper: no transposition. The _work
     * variant skips LAPACKE's O(m^2) NaN scan (the inputs were checked). */
    lapack_int info =
        LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)m, S, (lapack_int)ld);
    if (info < 0) {
        rc = bl_fail(err, BL_ENUM, "gp: dpotrf argument %d invalid", (int)-info);
        goto done;
    }
    /* Any pivot the point path would reject sends the whole block there (it
     * owns the jitter ladder); the state is untouched so far. */
    for (size_t i = 0; i < m && info == 0; i++) {
        double p = S[i * ld + i];
        if (!(p * p > PIVOT_RTOL * kd[i]))
            info = (lapack_int)(i + 1);
    }
    if (info > 0) {
        *need_jitter = true;
        goto done;
    }
    if (g->mf.kind == GP_MEAN_DATA) {
        rc = block_data_mean(g, y, m, S, ld, out, err);
        if (rc != BL_OK)
            goto done;
    } else {
        if (n > 0) {
            gsl_vector_const_view zv = gsl_vector_const_view_array(g->z, n);
            gsl_vector_view mv = gsl_vector_view_array(mean, m);
            gsl_matrix_const_view Wv = gsl_matrix_const_view_array_with_tda(W, m, n, ld);
            gsl_blas_dgemv(CblasNoTrans, 1.0, &Wv.matrix, &zv.vector, 0.0, &mv.vector);
        } else {
            memset(mean, 0, m * sizeof *mean);
        }
        /* Forward substitution, one arrival at a time: the running sums are
         * the sequential state the point path would hold after each arrival;
         * z2 solves for the residuals y - m(x). */
        double *z2 = g->z + n;
        double q = g->q, logdet = g->logdet, lml = g->lml;
        for (size_t i = 0; i < m; i++) {
            const double *Si = S + i * ld;
            double mu = mean[i] + mean_at(&g->mf, g->d, X + i * g->d);
            for (size_t j = 0; j < i; j++)
                mu += Si[j] * z2[j];
            double lii = Si[i], zi = (y[i] - mu) / lii;
            double lp = -0.5 * LOG_2PI - log(lii) - 0.5 * zi * zi;
            z2[i] = zi;
            q += zi * zi;
            logdet += 2.0 * log(lii);
            lml += lp;
            if (out)
                out[i] = (gp_arrival){.mean = mu, .var = lii * lii, .resid = zi, .logpred = lp,
                                      .q = q, .logdet = logdet, .lml = lml};
        }
        g->q = q;
        g->logdet = logdet;
        g->lml = lml;
        for (size_t i = 0; i < m; i++)
            g->ysum += y[i];
    }
    memcpy(g->X + n * g->d, X, m * g->d * sizeof *X);
    memcpy(g->y + n, y, m * sizeof *y);
    for (size_t i = 0; i < m; i++)
        g->sum_diag += kd[i];
    g->n = n + m;
done:
    free(kd);
    free(mean);
    free(T);
    return rc;
}

/* On one OpenBLAS thread: the factor's last bits, and so every printed
 * figure after it, must not depend on OPENBLAS_NUM_THREADS. */
int
gp_observe_block(gp *g, const double *X, const double *y, size_t m, gp_arrival *out,
                 bool *need_jitter, const bl_cancel *cancel, bl_err *err)
{
    int threads = linalg_threads_one();
    int rc = observe_block(g, X, y, m, out, need_jitter, cancel, err);
    linalg_threads_restore(threads);
    return rc;
}

int
gp_cholesky(double *A, size_t n, size_t lda, double *jitter, bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "cholesky: dimension 0");
    double md = 0.0;
    for (size_t i = 0; i < n; i++)
        md += A[i * lda + i];
    md /= (double)n;
    double *dg = malloc(n * sizeof *dg);
    if (dg == NULL)
        return bl_fail(err, BL_ENOMEM, "cholesky: out of memory for n=%zu", n);
    for (size_t i = 0; i < n; i++)
        dg[i] = A[i * lda + i];
    for (int step = 0; step <= 7; step++) {
        double j = step == 0 ? 0.0 : 1e-10 * pow(10.0, step - 1) * md;
        if (step > 0) {
            /* Restore the lower triangle from the untouched upper one. */
            for (size_t i = 0; i < n; i++) {
                for (size_t c = 0; c < i; c++)
                    A[i * lda + c] = A[c * lda + i];
                A[i * lda + i] = dg[i] + j;
            }
        }
        /* Row-major lower = column-major upper: no transposition copy. */
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)n, A, (lapack_int)lda);
        if (info == 0) {
            for (size_t i = 0; i < n; i++)
                memset(A + i * lda + i + 1, 0, (n - i - 1) * sizeof *A);
            free(dg);
            if (jitter)
                *jitter = j;
            return BL_OK;
        }
        if (info < 0 || !(md > 0.0) || !isfinite(md))
            break;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < i; c++)
            A[i * lda + c] = A[c * lda + i];
        A[i * lda + i] = dg[i];
    }
    free(dg);
    return bl_fail(err, BL_ENUM,
                   "cholesky: Ky not positive definite even with jitter 1e-4*mean(diag)");
}

/* Batch state for (X, y, n) with kernel k and noise: factor L (ld = n),
 * z, q, logdet, lml, jitter, sum_diag. Caller owns L, z. */
typedef struct batch {
    double *L, *z;
    double q, logdet, lml, jitter, sum_diag, ysum;
    meanfn mf; /* the mean it was fitted with (data: at the mean of y) */
} batch;

static int
batch_fit(const kernel *k, const meanfn *mf, double noise, const double *X, const double *y,
          size_t n, batch *b, const bl_cancel *cancel, bl_err *err)
{
    b->L = malloc(n * n * sizeof *b->L);
    b->z = malloc(n * sizeof *b->z);
    if (b->L == NULL || b->z == NULL) {
        free(b->L);
        free(b->z);
        b->L = b->z = NULL;
        return bl_fail(err, BL_ENOMEM, "gp: out of memory for n=%zu", n);
    }
    int rc = kernel_gram(k, X, n, b->L, cancel, err);
    if (rc == BL_OK) {
        b->sum_diag = 0.0;
        for (size_t i = 0; i < n; i++) {
            b->L[i * n + i] += noise;
            b->sum_diag += b->L[i * n + i];
        }
        rc = gp_cholesky(b->L, n, n, &b->jitter, err);
    }
    if (rc != BL_OK) {
        free(b->L);
        free(b->z);
        b->L = b->z = NULL;
        return rc;
    }
    b->mf = *mf;
    b->ysum = 0.0;
    for (size_t i = 0; i < n; i++)
        b->ysum += y[i];
    if (mf->kind == GP_MEAN_DATA)
        b->mf.beta[0] = b->ysum / (double)n;
    residuals(&b->mf, kernel_in_dim(k), X, y, n, b->z);
    linalg_solve_lower_ld(b->L, n, n, b->z);
    b->q = 0.0;
    b->logdet = 0.0;
    for (size_t i = 0; i < n; i++) {
        b->q += b->z[i] * b->z[i];
        b->logdet += 2.0 * log(b->L[i * n + i]);
    }
    b->lml = -0.5 * ((double)n * LOG_2PI + b->logdet + b->q);
    return BL_OK;
}

/* Install a batch result for data (X, y, n) into g (which must hold n rows). */
static void
install(gp *g, const double *X, const double *y, size_t n, batch *b)
{
    if (X != g->X)
        memcpy(g->X, X, n * g->d * sizeof *X);
    if (y != g->y)
        memcpy(g->y, y, n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        memcpy(g->L + i * g->cap, b->L + i * n, (i + 1) * sizeof *g->L);
    memcpy(g->z, b->z, n * sizeof *g->z);
    g->n = n;
    g->q = b->q;
    g->logdet = b->logdet;
    g->lml = b->lml;
    g->jitter = b->jitter;
    g->sum_diag = b->sum_diag;
    g->ysum = b->ysum;
    g->mf = b->mf;
    free(b->L);
    free(b->z);
}

int
gp_fit(gp *g, const double *X, const double *y, size_t n, const bl_cancel *cancel, bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "gp: fit with n=0 points");
    int rc = check_finite(X, n * g->d, "X", err);
    if (rc == BL_OK)
        rc = check_finite(y, n, "y", err);
    if (rc != BL_OK)
        return rc;
    if (n > GP_MAX_N)
        return bl_fail(err, BL_EINVAL, "gp: n=%zu points: at most %d", n, GP_MAX_N);
    batch b;
    if ((rc = batch_fit(g->k, &g->mf, g->noise, X, y, n, &b, cancel, err)) != BL_OK)
        return rc;
    if ((rc = reserve(g, n, err)) != BL_OK) {
        free(b.L);
        free(b.z);
        return rc;
    }
    install(g, X, y, n, &b);
    return BL_OK;
}

int
gp_predict(const gp *g, const double *Xs, size_t m, double *mean, double *var_f, double *var_y,
           const bl_cancel *cancel, bl_err *err)
{
    if (m == 0)
        return bl_fail(err, BL_EINVAL, "gp: predict at m=0 inputs");
    int rc = check_finite(Xs, m * g->d, "x*", err);
    if (rc != BL_OK)
        return rc;
    size_t n = g->n, cm = m < PRED_CHUNK ? m : PRED_CHUNK;
    double *kd = malloc(m * sizeof *kd);
    double *V = n ? malloc(n * cm * sizeof *V) : NULL;
    if (kd == NULL || (n && V == NULL)) {
        free(kd);
        free(V);
        return bl_fail(err, BL_ENOMEM, "gp: out of memory for %zu x %zu", n, cm);
    }
    if ((rc = kernel_diag(g->k, Xs, m, kd, err)) != BL_OK)
        goto done;
    for (size_t c0 = 0; c0 < m; c0 += cm) {
        size_t c = m - c0 < cm ? m - c0 : cm;
        if (bl_cancelled(cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "gp: predict cancelled");
            goto done;
        }
        if (n > 0) {
            if ((rc = kernel_cross(g->k, g->X, n, Xs + c0 * g->d, c, V, cancel, err)) != BL_OK)
                goto done;
            /* V <- L^-1 K(X, Xs) (n x c): one BLAS triangular solve. */
            gsl_matrix_const_view Lv = gsl_matrix_const_view_array_with_tda(g->L, n, n, g->cap);
            gsl_matrix_view Vv = gsl_matrix_view_array(V, n, c);
            gsl_blas_dtrsm(CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, 1.0, &Lv.matrix,
                           &Vv.matrix);
        }
        for (size_t t = 0; t < c; t++) {
            double mu = mean_at(&g->mf, g->d, Xs + (c0 + t) * g->d), vv = 0.0;
            for (size_t i = 0; i < n; i++) {
                double v = V[i * c + t];
                mu += v * g->z[i];
                vv += v * v;
            }
            double vf = kd[c0 + t] - vv;
            vf = vf > 0.0 ? vf : 0.0; /* docs/math.md §1.1: clamp at >= 0 */
            if (mean)
                mean[c0 + t] = mu;
            if (var_f)
                var_f[c0 + t] = vf;
            if (var_y)
                var_y[c0 + t] = vf + g->noise;
        }
    }
done:
    free(kd);
    free(V);
    return rc;
}

#define GP_DRAW_FLOOR 1e-8

int
gp_draws(const gp *g, const double *Xs, size_t m, const double *Z, size_t ndraws, double *F,
         double *jitter, bl_err *err)
{
    if (m == 0 || ndraws == 0)
        return bl_fail(err, BL_EINVAL, "gp: draws need m >= 1 inputs and >= 1 draws");
    int rc = check_finite(Xs, m * g->d, "x*", err);
    if (rc != BL_OK)
        return rc;
    size_t n = g->n;
    double *C = malloc(m * m * sizeof *C), *mu = calloc(m, sizeof *mu);
    double *V = n ? malloc(n * m * sizeof *V) : NULL;
    if (C == NULL || mu == NULL || (n && V == NULL)) {
        rc = bl_fail(err, BL_ENOMEM, "gp: out of memory for %zu draw points", m);
        goto done;
    }
    if ((rc = kernel_gram(g->k, Xs, m, C, NULL, err)) != BL_OK)
        goto done;
    for (size_t i = 0; i < m; i++)
        mu[i] = mean_at(&g->mf, g->d, Xs + i * g->d);
    if (n > 0) {
        if ((rc = kernel_cross(g->k, g->X, n, Xs, m, V, NULL, err)) != BL_OK)
            goto done;
        gsl_matrix_const_view Lv = gsl_matrix_const_view_array_with_tda(g->L, n, n, g->cap);
        gsl_matrix_view Vv = gsl_matrix_view_array(V, n, m), Cv = gsl_matrix_view_array(C, m, m);
        gsl_blas_dtrsm(CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, 1.0, &Lv.matrix,
                       &Vv.matrix);
        /* cov_f = K** - V^T V (lower triangle), mean = V^T z */
        gsl_blas_dsyrk(CblasLower, CblasTrans, -1.0, &Vv.matrix, 1.0, &Cv.matrix);
        gsl_vector_const_view zv = gsl_vector_const_view_array(g->z, n);
        gsl_vector_view mv = gsl_vector_view_array(mu, m);
        gsl_blas_dgemv(CblasTrans, 1.0, &Vv.matrix, &zv.vector, 1.0, &mv.vector);
    }
    /* A floor of GP_DRAW_FLOOR mean(diag cov_f) on the diagonal before the
     * ladder: the posterior covariance on a fine grid is numerically singular,
     * and without a floor the ladder's rung (and with it every draw, by up to
     * 1e-6) depends on the rounding of the BLAS kernel (AVX2 and AVX-512
     * differ), which moved drawn pixels between machines. The floor bounds
     * the factor's condition number by 1/GP_DRAW_FLOOR, so the draws agree to
     * about 1e-12 across kernels; it adds 1e-4 of the mean sd to each draw's
     * spread, far below a pixel. */
    double floor_j = 0;
    for (size_t i = 0; i < m; i++)
        floor_j += fmax(C[i * m + i], 0);
    floor_j *= GP_DRAW_FLOOR / (double)m;
    for (size_t i = 0; i < m; i++)
        C[i * m + i] += floor_j;
    if ((rc = linalg_cholesky(C, m, jitter, err)) != BL_OK)
        goto done;
    if (jitter != NULL)
        *jitter += floor_j;
    for (size_t r = 0; r < ndraws; r++) {
        const double *zr = Z + r * m;
        double *fr = F + r * m;
        for (size_t i = 0; i < m; i++) {
            double s = mu[i];
            const double *ci = C + i * m;
            for (size_t t = 0; t <= i; t++)
                s += ci[t] * zr[t];
            fr[i] = s;
        }
    }
done:
    free(C);
    free(mu);
    free(V);
    return rc;
}

/* ---- Student-t process ---------------------------------------------- */

static int
check_ab(double a, double b, bl_err *err)
{
    if (!(a > 0.0) || !isfinite(a))
        return bl_fail(err, BL_EINVAL, "tp: a=%g: must be > 0 and finite", a);
    if (!(b > 0.0) || !isfinite(b))
        return bl_fail(err, BL_EINVAL, "tp: b=%g: must be > 0 and finite", b);
    return BL_OK;
}

int
gp_tp_log_ml(const gp *g, double a, double b, double *lml, bl_err *err)
{
    int rc = check_ab(a, b, err);
    if (rc != BL_OK)
        return rc;
    *lml = gp_tp_log_ml_at(a, b, (double)g->n, g->q, g->logdet);
    return BL_OK;
}

double
gp_tp_log_ml_at(double a, double b, double n, double q, double logdet)
{
    double nu = 2.0 * a;
    /* docs/math.md §5.1, with log(1 + q/(nu b/a)) = log1p(q/(2b)). */
    return lgamma(0.5 * (nu + n)) - lgamma(0.5 * nu) - 0.5 * n * log(nu * M_PI) -
           0.5 * (n * log(b / a) + logdet) - 0.5 * (nu + n) * log1p(q / (2.0 * b));
}

/* The predictive t from (n, q) before the arrival and the Gaussian
 * predictive (mu, var_f, var_y) at s = 1. */
static gp_tp_pred
tp_pred(double a, double b, double n, double q, double mu, double var_f, double var_y)
{
    double df = 2.0 * a + n, fac = (2.0 * b + q) / df;
    gp_tp_pred p = {.loc = mu, .scale2_f = fac * var_f, .scale2 = fac * var_y, .df = df};
    p.var = df > 2.0 ? p.scale2 * df / (df - 2.0) : (double)INFINITY;
    return p;
}

static double t_logpdf(double y, double df, double loc, double s2);

double
gp_tp_step(double a, double b, double n, double q, double mu, double var_y, double y,
           gp_tp_pred *p)
{
    gp_tp_pred t = tp_pred(a, b, n, q, mu, (double)NAN, var_y);
    if (p)
        *p = t;
    return t_logpdf(y, t.df, t.loc, t.scale2);
}

int
gp_tp_predict(const gp *g, double a, double b, const double *Xs, size_t m, gp_tp_pred *out,
              bl_err *err)
{
    int rc = check_ab(a, b, err);
    if (rc != BL_OK)
        return rc;
    double *buf = malloc(3 * m * sizeof *buf);
    if (buf == NULL)
        return bl_fail(err, BL_ENOMEM, "tp: out of memory");
    rc = gp_predict(g, Xs, m, buf, buf + m, buf + 2 * m, NULL, err);
    if (rc == BL_OK)
        for (size_t i = 0; i < m; i++)
            out[i] = tp_pred(a, b, (double)g->n, g->q, buf[i], buf[m + i], buf[2 * m + i]);
    free(buf);
    return rc;
}

/* log density of a Student t (df, loc, scale2) at y. */
static double
t_logpdf(double y, double df, double loc, double s2)
{
    double r = (y - loc) * (y - loc) / s2;
    return lgamma(0.5 * (df + 1.0)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI * s2) -
           0.5 * (df + 1.0) * log1p(r / df);
}

int
gp_tp_logpdf(const gp *g, double a, double b, const double *xs, double ys, double *lp, bl_err *err)
{
    gp_tp_pred p;
    int rc = gp_tp_predict(g, a, b, xs, 1, &p, err);
    if (rc != BL_OK)
        return rc;
    if (!isfinite(ys))
        return bl_fail(err, BL_EINVAL, "tp: y*=%g: must be finite", ys);
    *lp = t_logpdf(ys, p.df, p.loc, p.scale2);
    return BL_OK;
}

/* ---- Scale priors ---------------------------------------------------- */

static const char *const scale_names[] = {"point", "invgamma", "gamma", "burr12", "halfcauchy"};

int
gp_scale_prior_check(const gp_scale_prior *pr, bl_err *err)
{
    if ((int)pr->kind < 0 || pr->kind > GP_SCALE_HALFCAUCHY)
        return bl_fail(err, BL_EINVAL,
                       "scale prior: unknown kind %d (choose point, invgamma, gamma, burr12, "
                       "halfcauchy)",
                       (int)pr->kind);
    static const char *const p1n[] = {"s0", "a", "shape", "c", "scale"};
    static const char *const p2n[] = {NULL, "b", "scale", "d", NULL};
    const char *nm = scale_names[pr->kind];
    if (!(pr->p1 > 0.0) || !isfinite(pr->p1))
        return bl_fail(err, BL_EINVAL, "%s %s=%g: must be > 0", nm, p1n[pr->kind], pr->p1);
    if (p2n[pr->kind] && (!(pr->p2 > 0.0) || !isfinite(pr->p2)))
        return bl_fail(err, BL_EINVAL, "%s %s=%g: must be > 0", nm, p2n[pr->kind], pr->p2);
    return BL_OK;
}

double
gp_scale_prior_logpdf(const gp_scale_prior *pr, double s)
{
    if (pr->kind == GP_SCALE_POINT)
        return NAN;
    if (!(s > 0.0))
        return -INFINITY;
    double ls = log(s), a = pr->p1, b = pr->p2;
    switch (pr->kind) {
    case GP_SCALE_INVGAMMA: return a * log(b) - lgamma(a) - (a + 1.0) * ls - b / s;
    case GP_SCALE_GAMMA: return -lgamma(a) - a * log(b) + (a - 1.0) * ls - s / b;
    case GP_SCALE_BURR12: {
        double cl = a * ls; /* log(1 + s^c) without overflow */
        double l1 = cl > 30.0 ? cl + log1p(exp(-cl)) : log1p(exp(cl));
        return log(a) + log(b) + (a - 1.0) * ls - (b + 1.0) * l1;
    }
    case GP_SCALE_HALFCAUCHY:
        /* t = sqrt s ~ 2/(pi g (1 + t^2/g^2)); p(s) = p(t)/(2t). */
        return -log(M_PI * a) - 0.5 * ls - log1p(s / (a * a));
    default: return NAN;
    }
}

static double
scale_prior_sample(const gp_scale_prior *pr, gsl_rng *rng)
{
    double a = pr->p1, b = pr->p2;
    switch (pr->kind) {
    case GP_SCALE_POINT: return a;
    case GP_SCALE_INVGAMMA: return b / gsl_ran_gamma(rng, a, 1.0);
    case GP_SCALE_GAMMA: return gsl_ran_gamma(rng, a, b);
    case GP_SCALE_BURR12: {
        /* inverse cdf: F(s) = 1 - (1 + s^c)^-d */
        double u = gsl_rng_uniform_pos(rng);
        return pow(expm1(-log(u) / b), 1.0 / a);
    }
    case GP_SCALE_HALFCAUCHY: {
        double t = a * fabs(gsl_ran_cauchy(rng, 1.0));
        return t * t;
    }
    }
    return NAN;
}

/* log p(y | s) = -(n/2) log(2 pi s) - logdet/2 - q/(2s) (docs/math.md §5.2). */
static double
loglik_s(const gp *g, double s)
{
    return -0.5 * (double)g->n * (LOG_2PI + log(s)) - 0.5 * g->logdet - 0.5 * g->q / s;
}

static double
loglik_at(double n, double q, double logdet, double s)
{
    return -0.5 * n * (LOG_2PI + log(s)) - 0.5 * logdet - 0.5 * q / s;
}

static double
norm_logpdf(double y, double m, double v)
{
    return -0.5 * (LOG_2PI + log(v) + (y - m) * (y - m) / v);
}

/* mu*, Sig* + noise at one input (the Gaussian predictive at s = 1). */
static int
pred_one(const gp *g, const double *xs, double *mu, double *v, bl_err *err)
{
    return gp_predict(g, xs, 1, mu, NULL, v, NULL, err);
}

static void
nan_result(gp_scale_result *r)
{
    r->log_ml = r->mean_s = r->pred_mean = r->pred_var = r->logpdf = NAN;
    r->log_ml_se = r->mean_s_se = r->logpdf_se = r->ess = 0.0;
}

int
gp_scale_quad(const gp *g, const gp_scale_prior *pr, const double *xs, double ys,
              gp_scale_result *r, bl_err *err)
{
    int rc = gp_scale_prior_check(pr, err);
    if (rc != BL_OK)
        return rc;
    double mu = NAN, v = NAN;
    if (xs && (rc = pred_one(g, xs, &mu, &v, err)) != BL_OK)
        return rc;
    return gp_scale_quad_at(pr, (double)g->n, g->q, g->logdet, xs != NULL, mu, v, ys, r, err);
}

int
gp_scale_quad_at(const gp_scale_prior *pr, double n, double q, double logdet, bool pred,
                 double mu, double v, double ys, gp_scale_result *r, bl_err *err)
{
    int rc = gp_scale_prior_check(pr, err);
    if (rc != BL_OK)
        return rc;
    nan_result(r);
    if (pred) {
        r->pred_mean = mu;
        if (!isfinite(ys))
            return bl_fail(err, BL_EINVAL, "scale prior: y*=%g: must be finite", ys);
    }
    if (pr->kind == GP_SCALE_POINT) {
        double s = pr->p1;
        r->log_ml = loglik_at(n, q, logdet, s);
        r->mean_s = s;
        if (pred) {
            r->pred_var = s * v;
            r->logpdf = norm_logpdf(ys, mu, s * v);
        }
        return BL_OK;
    }
    /* Trapezoid on u = log s, [-30, 30], integrand p(s) p(y|s) s; three
     * running log-sum-exps (evidence, E[s], predictive) with a shared max. */
    double h = 0.01;
    if (n > 0 && sqrt(2.0 / n) / 20.0 < h)
        h = sqrt(2.0 / n) / 20.0;
    size_t N = (size_t)ceil(60.0 / h) + 1;
    h = 60.0 / (double)(N - 1);
    double M = -INFINITY;
    for (size_t i = 0; i < N; i++) {
        double u = -30.0 + h * (double)i, s = exp(u);
        double f = gp_scale_prior_logpdf(pr, s) + u + loglik_at(n, q, logdet, s);
        if (f > M)
            M = f;
    }
    if (!isfinite(M))
        return bl_fail(err, BL_ENUM, "scale prior: posterior vanishes on s in [e^-30, e^30]");
    double S0 = 0.0, S1 = 0.0, SP = 0.0;
    for (size_t i = 0; i < N; i++) {
        double u = -30.0 + h * (double)i, s = exp(u);
        double f = gp_scale_prior_logpdf(pr, s) + u + loglik_at(n, q, logdet, s) - M;
        double w = exp(f) * ((i == 0 || i == N - 1) ? 0.5 : 1.0);
        S0 += w;
        S1 += w * s;
        if (pred)
            SP += w * exp(norm_logpdf(ys, mu, s * v));
    }
    r->log_ml = M + log(S0 * h);
    r->mean_s = S1 / S0;
    if (pred) {
        r->pred_var = r->mean_s * v;
        r->logpdf = log(SP / S0);
    }
    return BL_OK;
}

int
gp_scale_is(const gp *g, const gp_scale_prior *pr, gp_is_proposal prop, size_t nsamp, gsl_rng *rng,
            const double *xs, double ys, gp_scale_result *r, bl_err *err)
{
    int rc = gp_scale_prior_check(pr, err);
    if (rc != BL_OK)
        return rc;
    if (nsamp < 2)
        return bl_fail(err, BL_EINVAL, "importance sampling: nsamp=%zu: must be >= 2", nsamp);
    if (prop != GP_IS_PRIOR && prop != GP_IS_IG)
        return bl_fail(err, BL_EINVAL,
                       "importance sampling: unknown proposal %d (choose prior, ig)", (int)prop);
    if (prop == GP_IS_IG && (g->n == 0 || !(g->q > 0.0)))
        return bl_fail(err, BL_EINVAL, "importance sampling: the IG(n/2, q/2) proposal needs data");
    if (prop == GP_IS_IG && pr->kind == GP_SCALE_POINT)
        return bl_fail(err, BL_EINVAL,
                       "importance sampling: a point mass needs the prior proposal");
    double mu = NAN, v = NAN;
    if (xs && (rc = pred_one(g, xs, &mu, &v, err)) != BL_OK)
        return rc;
    double *lw = malloc(2 * nsamp * sizeof *lw);
    if (lw == NULL)
        return bl_fail(err, BL_ENOMEM, "importance sampling: out of memory for %zu draws", nsamp);
    double *sv = lw + nsamp;
    gp_scale_prior q = {GP_SCALE_INVGAMMA, 0.5 * (double)g->n, 0.5 * g->q};
    double M = -INFINITY;
    for (size_t j = 0; j < nsamp; j++) {
        double s = prop == GP_IS_PRIOR ? scale_prior_sample(pr, rng) : scale_prior_sample(&q, rng);
        sv[j] = s;
        lw[j] = loglik_s(g, s);
        if (prop == GP_IS_IG)
            lw[j] += gp_scale_prior_logpdf(pr, s) - gp_scale_prior_logpdf(&q, s);
        if (lw[j] > M)
            M = lw[j];
    }
    nan_result(r);
    if (!isfinite(M)) {
        free(lw);
        return bl_fail(err, BL_ENUM, "importance sampling: all weights vanish");
    }
    /* w_j = exp(lw_j - M); estimates and delta-method standard errors. */
    double N = (double)nsamp, S0 = 0.0, S2 = 0.0, S1 = 0.0, SP = 0.0;
    for (size_t j = 0; j < nsamp; j++) {
        double w = exp(lw[j] - M);
        S0 += w;
        S2 += w * w;
        S1 += w * sv[j];
        if (xs)
            SP += w * exp(norm_logpdf(ys, mu, sv[j] * v));
    }
    double wbar = S0 / N, es = S1 / S0, ep = SP / S0;
    double vw = 0.0, vs = 0.0, vp = 0.0;
    for (size_t j = 0; j < nsamp; j++) {
        double w = exp(lw[j] - M), wn = w / S0;
        vw += (w - wbar) * (w - wbar);
        vs += wn * wn * (sv[j] - es) * (sv[j] - es);
        if (xs) {
            double pj = exp(norm_logpdf(ys, mu, sv[j] * v));
            vp += wn * wn * (pj - ep) * (pj - ep);
        }
    }
    vw /= N - 1.0;
    r->log_ml = M + log(wbar);
    r->log_ml_se = sqrt(vw / N) / wbar; /* se of log(mean w) */
    r->mean_s = es;
    r->mean_s_se = sqrt(vs);
    r->ess = S0 * S0 / S2;
    if (xs) {
        r->pred_mean = mu;
        r->pred_var = es * v;
        r->logpdf = log(ep);
        r->logpdf_se = sqrt(vp) / ep;
    }
    free(lw);
    return BL_OK;
}

/* ---- Hyperparameter optimisation ---------------------------------------- */

/* The optimizer runs OpenBLAS on one thread (linalg_threads_one): a
 * threaded dpotrf/dpotri sums in an order that depends on the count, and the
 * optimizer's path amplifies those last bits into a different optimum; at n
 * in the hundreds the threads only spin. */

typedef struct optctx {
    const gp *g;
    kernel *k; /* working copy */
    meanfn mf; /* working copy of the mean */
    size_t np; /* kernel parameters */
    size_t nm; /* mean parameters, x[np .. np + nm - 1] (untransformed) */
    size_t dim;
    bool fix_noise;
    double *K;     /* n x n: Ky, then its factor at the last evaluated point */
    double *W;     /* n x n: alpha alpha^T - Ky^-1 (lower triangle) */
    double *alpha; /* n: Ky^-1 y at the last evaluated point */
    /* Every pair's kernel derivatives (kernel_pairs_gram) when they fit the
     * cap, else NULL and opt_grad takes a second pass over the pairs;
     * pairs_ok: they belong to the point opt_value saw last. */
    kernel_pairs *pairs;
    bool pairs_ok;
    double noise;  /* at the last evaluated point */
    double jitter, sum_diag, q, logdet;
    /* strict: a point counts as infeasible (f = +inf) where the refit's
     * sequential factor would need jitter: a jittered optimum is not the
     * model the replay leaves (docs/optimize.md). dg: diag Ky for the test. */
    bool strict;
    double *dg;
    size_t nevals;
    const bl_cancel *cancel;
    int fail; /* first hard error (ENOMEM, ECANCEL) */
    bl_err err;
} optctx;

/* Set theta into the working kernel and the noise; false if invalid. */
static bool
opt_set(optctx *c, const double *x)
{
    c->noise = c->fix_noise ? c->g->noise : exp(x[c->np + c->nm]);
    if (!isfinite(c->noise) || !(c->noise >= 0.0))
        return false;
    for (size_t j = 0; j < c->nm; j++) {
        if (!isfinite(x[c->np + j]))
            return false;
        c->mf.beta[j] = x[c->np + j];
    }
    return kernel_set_theta(c->k, x, NULL) == BL_OK;
}

/* True when the factor in c->K took no jitter and every pivot L_ii^2 (the
 * variance of point i given the points before it) passes the point path's
 * test, so that the replay factors Ky the same way, without jitter. */
static bool
opt_factor_clean(const optctx *c)
{
    size_t n = c->g->n;
    if (c->jitter > 0.0)
        return false;
    for (size_t i = 0; i < n; i++) {
        double p = c->K[i * n + i];
        if (!(p * p > PIVOT_RTOL * c->dg[i]))
            return false;
    }
    return true;
}

/* Ctrl-C before any progress: say so, not the kernel's own "kernel:
 * cancelled" from inside an evaluation. */
static int
opt_cancelled(bl_err *err)
{
    return bl_fail(err, BL_ECANCEL,
                   "optimize interrupted before its first step: the hyperparameters are as they "
                   "were");
}

/* -log ML at x, +inf where Ky is not positive definite (even with the
 * jitter ladder) or x invalid; the factor and alpha stay for opt_grad. The
 * same operations as batch_fit, so the final refit reproduces the value. */
static double
opt_value(optctx *c, const double *x)
{
    if (c->fail)
        return HUGE_VAL;
    if (bl_cancelled(c->cancel)) {
        c->fail = bl_fail(&c->err, BL_ECANCEL, "gp: optimisation cancelled");
        return HUGE_VAL;
    }
    c->pairs_ok = false;
    if (!opt_set(c, x))
        return HUGE_VAL;
    size_t n = c->g->n;
    bl_err e;
    c->nevals++;
    /* The one pass also where the step then fails the Armijo test and
     * its derivatives are wasted: it costs less than kernel_gram alone
     * (docs/optimize.md). */
    int rc = c->pairs ? kernel_pairs_gram(c->pairs, c->k, c->g->X, c->K, c->cancel, &e)
                      : kernel_gram(c->k, c->g->X, n, c->K, c->cancel, &e);
    c->pairs_ok = c->pairs && rc == BL_OK;
    if (rc == BL_OK) {
        c->sum_diag = 0.0;
        for (size_t i = 0; i < n; i++) {
            c->K[i * n + i] += c->noise;
            c->sum_diag += c->K[i * n + i];
            c->dg[i] = c->K[i * n + i];
        }
        rc = gp_cholesky(c->K, n, n, &c->jitter, &e);
    }
    if (rc == BL_ENOMEM || rc == BL_ECANCEL) {
        c->fail = rc;
        c->err = e;
    }
    if (rc != BL_OK)
        return HUGE_VAL;
    if (c->strict && !opt_factor_clean(c))
        return HUGE_VAL;
    residuals(&c->mf, c->g->d, c->g->X, c->g->y, n, c->alpha);
    linalg_solve_lower_ld(c->K, n, n, c->alpha);
    c->q = 0.0;
    c->logdet = 0.0;
    for (size_t i = 0; i < n; i++) {
        c->q += c->alpha[i] * c->alpha[i];
        c->logdet += 2.0 * log(c->K[i * n + i]);
    }
    linalg_solve_lower_t_ld(c->K, n, n, c->alpha);
    double f = 0.5 * ((double)n * LOG_2PI + c->logdet + c->q);
    return isfinite(f) ? f : HUGE_VAL;
}

/* Gradient of -log ML at the point opt_value saw last (its factor):
 * -0.5 tr(W dKy/dtheta), W = alpha alpha^T - Ky^-1; false on failure. */
static bool
opt_grad(optctx *c, double *grad)
{
    size_t n = c->g->n;
    bl_err e;
    if (linalg_chol_inverse(c->K, n, c->W, &e) != BL_OK) {
        if (e.code == BL_ENOMEM) {
            c->fail = BL_ENOMEM;
            c->err = e;
        }
        return false;
    }
    double tr = 0.0;
    for (size_t i = 0; i < n; i++) {
        double *Wi = c->W + i * n, ai = c->alpha[i];
        for (size_t j = 0; j <= i; j++)
            Wi[j] = ai * c->alpha[j] - Wi[j];
        tr += Wi[i];
    }
    int rc = BL_OK;
    if (c->pairs_ok)
        kernel_pairs_dot(c->pairs, c->W, grad);
    else
        rc = kernel_gram_grad_dot(c->k, c->g->X, n, c->W, grad, c->cancel, &e);
    if (rc != BL_OK) {
        if (rc == BL_ECANCEL || rc == BL_ENOMEM) {
            c->fail = rc;
            c->err = e;
        }
        return false;
    }
    for (size_t p = 0; p < c->np; p++)
        grad[p] *= -0.5;
    /* d log ML / d beta = H^T alpha, H the mean's basis at the inputs
     * (docs/optimize.md): (1) for the constant, (1, x) for the linear mean. */
    for (size_t j = 0; j < c->nm; j++) {
        double gj = 0.0;
        for (size_t i = 0; i < n; i++)
            gj += (j == 0 ? 1.0 : c->g->X[i * c->g->d + j - 1]) * c->alpha[i];
        grad[c->np + j] = -gj;
    }
    if (!c->fix_noise)
        grad[c->np + c->nm] = -0.5 * c->noise * tr; /* dKy/dlog s2 = s2 I */
    for (size_t p = 0; p < c->dim; p++)
        if (!isfinite(grad[p]))
            return false;
    return true;
}

static void
opt_free(optctx *c)
{
    kernel_free(c->k);
    free(c->K);
    free(c->W);
    free(c->alpha);
    free(c->dg);
    kernel_pairs_free(c->pairs);
}

/* Working copy of g's kernel and the buffers, allocated once per call;
 * the derivative buffer when grad and it fits pairs_max bytes (0: the
 * default), without which the optimizer still works. */
static int
opt_init(optctx *c, const gp *g, bool fix_noise, bool grad, size_t pairs_max,
         const bl_cancel *cancel, bl_err *err)
{
    size_t n = g->n;
    *c = (optctx){.g = g, .np = kernel_nparams(g->k), .mf = g->mf, .nm = g->mf.np,
                  .fix_noise = fix_noise, .cancel = cancel};
    c->dim = c->np + c->nm + (fix_noise ? 0 : 1);
    c->k = kernel_copy(g->k, err);
    if (c->k == NULL)
        return BL_ENOMEM;
    c->K = malloc(n * n * sizeof *c->K);
    c->alpha = malloc(n * sizeof *c->alpha);
    c->dg = malloc(n * sizeof *c->dg);
    if (grad)
        c->W = malloc(n * n * sizeof *c->W);
    if (c->K == NULL || c->alpha == NULL || c->dg == NULL || (grad && c->W == NULL)) {
        opt_free(c);
        return bl_fail(err, BL_ENOMEM, "gp: out of memory for optimisation (n=%zu)", n);
    }
    size_t bytes = grad ? kernel_pairs_bytes(c->k, n) : 0;
    bl_err e;
    if (bytes != 0 && bytes <= (pairs_max ? pairs_max : GP_OPT_PAIRS_MAX))
        c->pairs = kernel_pairs_alloc(c->k, n, &e); /* NULL: two passes */
    return BL_OK;
}

/* The starting vector: theta and log noise. */
static void
opt_start(const optctx *c, double *x)
{
    kernel_get_theta(c->g->k, x);
    for (size_t j = 0; j < c->nm; j++)
        x[c->np + j] = c->g->mf.beta[j];
    if (!c->fix_noise)
        x[c->np + c->nm] = log(c->g->noise);
}

int
gp_log_ml_grad(const gp *g, double *grad, double *lml, bl_err *err)
{
    size_t n = g->n;
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "gp: gradient needs data (n=0)");
    if (!kernel_has_grad(g->k))
        return bl_fail(err, BL_EINVAL, "gp: the kernel has no analytic gradient (nngp)");
    optctx c;
    int rc = opt_init(&c, g, false, true, 0, NULL, err);
    if (rc != BL_OK)
        return rc;
    int threads = linalg_threads_one();
    double x[KERNEL_MAX_LEAVES * 3 + GP_MEAN_MAX_PARAMS + 1];
    opt_start(&c, x);
    double f = opt_value(&c, x);
    bool ok = isfinite(f) && opt_grad(&c, grad);
    linalg_threads_restore(threads);
    if (c.fail) {
        rc = c.fail;
        *err = c.err;
    } else if (!ok) {
        rc = bl_fail(err, BL_ENUM, "gp: Ky is not positive definite");
    } else {
        for (size_t i = 0; i < c.dim; i++)
            grad[i] = -grad[i];
        if (lml)
            *lml = -f;
    }
    opt_free(&c);
    return rc;
}

const char *
gp_opt_stop_name(gp_opt_stop s)
{
    switch (s) {
    case GP_OPT_MAXITER: return "max_iter";
    case GP_OPT_GRAD: return "gradient";
    case GP_OPT_RELCHANGE: return "relative change";
    case GP_OPT_SIMPLEX: return "simplex size";
    case GP_OPT_STALLED: return "stalled";
    case GP_OPT_INTERRUPTED: return "interrupted";
    }
    return "?";
}

/* ---- L-BFGS in the log box ---- */

#define OPT_DIM_MAX (KERNEL_MAX_LEAVES * 3 + GP_MEAN_MAX_PARAMS + 1)
#define LS_C1       1e-4 /* sufficient decrease */
#define LS_C2       0.9  /* curvature (strong Wolfe): the usual quasi-Newton value */
#define LS_MAX_EVAL 20   /* evaluations per line search */

/* One point of the line search phi(t) = f(x + t d). */
typedef struct lspt {
    double t, f, dphi; /* dphi = g.d, NAN when the gradient was not taken */
} lspt;

typedef struct lbfgs {
    optctx *c;
    size_t dim;
    double lo[OPT_DIM_MAX], hi[OPT_DIM_MAX];
    bool capped[OPT_DIM_MAX]; /* counted in the per-iteration step cap (not the mean's) */
    bool held[OPT_DIM_MAX];   /* fixed by the caller: gradient 0, box of width 0 */
    double x[OPT_DIM_MAX], g[OPT_DIM_MAX], f;    /* current point */
    double xt[OPT_DIM_MAX], gt[OPT_DIM_MAX];    /* trial point */
    double xa[OPT_DIM_MAX], ga[OPT_DIM_MAX], fa; /* best accepted trial */
    double d[OPT_DIM_MAX];
    double S[GP_OPT_MEMORY][OPT_DIM_MAX], Y[GP_OPT_MEMORY][OPT_DIM_MAX], rho[GP_OPT_MEMORY];
    size_t m, head; /* stored pairs, index of the oldest */
    double D[OPT_DIM_MAX]; /* diagonal Hessian estimate, H0 = D^-1 */
} lbfgs;

/* Evaluate phi at t (the trial clamped into the box against rounding); the
 * gradient only when want_grad (and f is finite). */
static lspt
ls_eval(lbfgs *B, double t, bool want_grad, const double *f_armijo)
{
    lspt p = {t, HUGE_VAL, (double)NAN};
    for (size_t i = 0; i < B->dim; i++) {
        double v = B->x[i] + t * B->d[i];
        B->xt[i] = v < B->lo[i] ? B->lo[i] : v > B->hi[i] ? B->hi[i] : v;
    }
    p.f = opt_value(B->c, B->xt);
    /* The gradient costs a dpotri: skip it where the step is rejected anyway. */
    if (!isfinite(p.f) || !want_grad || (f_armijo && p.f > *f_armijo))
        return p;
    if (!opt_grad(B->c, B->gt)) {
        p.f = HUGE_VAL;
        return p;
    }
    /* A held component's gradient would enter the curvature pairs and bend
     * the direction of the others. */
    for (size_t i = 0; i < B->dim; i++)
        if (B->held[i])
            B->gt[i] = 0.0;
    p.dphi = 0.0;
    for (size_t i = 0; i < B->dim; i++)
        p.dphi += B->gt[i] * B->d[i];
    return p;
}

static void
ls_keep(lbfgs *B, const lspt *p)
{
    memcpy(B->xa, B->xt, B->dim * sizeof *B->xa);
    memcpy(B->ga, B->gt, B->dim * sizeof *B->ga);
    B->fa = p->f;
}

/* Minimiser of the cubic through (a, fa, da), (b, fb, db), or NAN. */
static double
cubic_min(double a, double fa, double da, double b, double fb, double db)
{
    double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    if (!(disc >= 0.0))
        return (double)NAN;
    double d2 = copysign(sqrt(disc), b - a);
    return b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
}

/* Strong-Wolfe search along B->d from t0 <= tmax (Nocedal & Wright, Alg.
 * 3.5 and 3.6: bracket, then zoom by safeguarded cubic interpolation, by
 * bisection next to infeasible points). On success the accepted point is
 * in xa, ga, fa; a point at tmax (a bound) is accepted on sufficient
 * decrease alone. False when no point satisfying sufficient decrease was
 * found. */
static bool
line_search(lbfgs *B, double t0, double tmax, double dphi0)
{
    const double f0 = B->f;
    lspt lo = {0.0, f0, dphi0}, prev = lo, cur;
    double t = t0;
    bool found = false; /* a point with sufficient decrease is in xa */
    int evals = 0;
    lspt hi = {0};
    /* Bracketing. */
    for (;;) {
        double fa = f0 + LS_C1 * t * dphi0;
        cur = ls_eval(B, t, true, &fa);
        evals++;
        if (B->c->fail)
            return found;
        if (!isfinite(cur.f) || cur.f > fa || (evals > 1 && cur.f >= prev.f)) {
            lo = prev;
            hi = cur;
            break;
        }
        ls_keep(B, &cur);
        found = true;
        if (fabs(cur.dphi) <= -LS_C2 * dphi0 || t >= tmax)
            return true;
        if (cur.dphi >= 0.0) {
            lo = cur;
            hi = prev;
            break;
        }
        if (evals >= LS_MAX_EVAL)
            return true;
        /* Extrapolate: the cubic's step if it lies well beyond, else 4x. */
        double tn = cubic_min(prev.t, prev.f, prev.dphi, cur.t, cur.f, cur.dphi);
        if (!(tn > 1.1 * t) || !(tn < 4.0 * t))
            tn = 4.0 * t;
        prev = cur;
        t = tn < tmax ? tn : tmax;
    }
    /* Zoom: lo satisfies sufficient decrease (or is t = 0) with the lowest f. */
    double dmax = 0.0;
    for (size_t i = 0; i < B->dim; i++)
        dmax = fmax(dmax, fabs(B->d[i]));
    while (evals < LS_MAX_EVAL) {
        double a = lo.t, b = hi.t, w = fabs(b - a);
        /* A bracket narrower than 1e-12 in every log parameter: f cannot
         * tell its points apart. */
        if (w * dmax <= 1e-12)
            break;
        double tn = (double)NAN;
        if (isfinite(hi.f) && !isnan(hi.dphi) && !isnan(lo.dphi))
            tn = cubic_min(a, lo.f, lo.dphi, b, hi.f, hi.dphi);
        else if (isfinite(hi.f) && !isnan(lo.dphi)) {
            /* Quadratic through f(a), phi'(a), f(b). */
            double den = 2.0 * (hi.f - lo.f - lo.dphi * (b - a));
            if (den > 0.0)
                tn = a - lo.dphi * (b - a) * (b - a) / den;
        }
        /* Safeguards: at least 1% of the interval from either end (a huge f
         * at b pulls the quadratic's step towards a, as it should), bisection
         * next to an infeasible point or without a model. */
        double l = fmin(a, b) + 0.01 * w, r = fmax(a, b) - 0.01 * w;
        if (!isfinite(hi.f) || isnan(tn))
            tn = a + 0.5 * (b - a);
        else
            tn = tn < l ? l : tn > r ? r : tn;
        double fa = f0 + LS_C1 * tn * dphi0;
        cur = ls_eval(B, tn, true, &fa);
        evals++;
        if (B->c->fail)
            return found;
        if (!isfinite(cur.f) || cur.f > fa || cur.f >= lo.f) {
            hi = cur;
            continue;
        }
        ls_keep(B, &cur);
        found = true;
        if (fabs(cur.dphi) <= -LS_C2 * dphi0)
            return true;
        if (cur.dphi * (hi.t - lo.t) >= 0.0)
            hi = lo;
        lo = cur;
    }
    return found;
}

/* Projected gradient's largest entry: components held at a bound by a
 * gradient pointing out of the box do not count. */
static double
proj_grad_norm(const lbfgs *B, const double *x, const double *g)
{
    double m = 0.0;
    for (size_t i = 0; i < B->dim; i++) {
        if ((x[i] <= B->lo[i] && g[i] > 0.0) || (x[i] >= B->hi[i] && g[i] < 0.0))
            continue;
        m = fmax(m, fabs(g[i]));
    }
    return m;
}

/* d = -H g by the two-loop recursion (H0 = gamma I from the newest pair). */
static void
lbfgs_direction(lbfgs *B)
{
    size_t dim = B->dim;
    double a[GP_OPT_MEMORY];
    for (size_t i = 0; i < dim; i++)
        B->d[i] = -B->g[i];
    for (size_t k = B->m; k-- > 0;) {
        size_t j = (B->head + k) % GP_OPT_MEMORY;
        double s = 0.0;
        for (size_t i = 0; i < dim; i++)
            s += B->S[j][i] * B->d[i];
        a[k] = B->rho[j] * s;
        for (size_t i = 0; i < dim; i++)
            B->d[i] -= a[k] * B->Y[j][i];
    }
    if (B->m > 0)
        for (size_t i = 0; i < dim; i++)
            B->d[i] /= B->D[i];
    for (size_t k = 0; k < B->m; k++) {
        size_t j = (B->head + k) % GP_OPT_MEMORY;
        double s = 0.0;
        for (size_t i = 0; i < dim; i++)
            s += B->Y[j][i] * B->d[i];
        double beta = B->rho[j] * s;
        for (size_t i = 0; i < dim; i++)
            B->d[i] += (a[k] - beta) * B->S[j][i];
    }
}

/* Zero the components that would leave the box from a bound; returns g.d. */
static double
lbfgs_project(lbfgs *B)
{
    double gd = 0.0;
    for (size_t i = 0; i < B->dim; i++) {
        if ((B->x[i] <= B->lo[i] && B->d[i] < 0.0) || (B->x[i] >= B->hi[i] && B->d[i] > 0.0))
            B->d[i] = 0.0;
        gd += B->g[i] * B->d[i];
    }
    return gd;
}

typedef struct opt_run {
    size_t max_iter;
    double tol;
    void (*progress)(void *ctx, size_t iter, double log_ml, double grad_norm);
    void *progress_ctx;
} opt_run;

/* Minimise from B->x (f, g already set). Fills iterations, stop, |pg|. */
static void
lbfgs_run(lbfgs *B, const opt_run *o, size_t *iters, gp_opt_stop *stop, double *gnorm)
{
    size_t dim = B->dim, it = 0;
    bool restarted = false;
    *stop = GP_OPT_MAXITER;
    *gnorm = proj_grad_norm(B, B->x, B->g);
    if (*gnorm <= o->tol) {
        *stop = GP_OPT_GRAD;
        *iters = 0;
        return;
    }
    while (it < o->max_iter) {
        lbfgs_direction(B);
        double gd = lbfgs_project(B);
        if (!(gd < 0.0)) {
            /* Not a descent direction (the bounds cut it): steepest descent. */
            B->m = 0;
            for (size_t i = 0; i < dim; i++)
                B->d[i] = -B->g[i];
            gd = lbfgs_project(B);
        }
        /* Longest step inside the box; the first trial moves by at most one
         * unit in any log parameter (a factor e), later ones try t = 1. */
        double tmax = HUGE_VAL, dmax = 0.0, dall = 0.0;
        for (size_t i = 0; i < dim; i++) {
            if (B->d[i] > 0.0)
                tmax = fmin(tmax, (B->hi[i] - B->x[i]) / B->d[i]);
            else if (B->d[i] < 0.0)
                tmax = fmin(tmax, (B->lo[i] - B->x[i]) / B->d[i]);
            if (B->capped[i])
                dmax = fmax(dmax, fabs(B->d[i]));
            dall = fmax(dall, fabs(B->d[i]));
        }
        /* The mean's parameters are in the data's units and -log ML is
         * quadratic in them (one minimum): they take no part in the cap,
         * except in a direction along them alone. */
        if (!(dmax > 0.0))
            dmax = dall;
        /* At most GP_OPT_MAX_STEP in any log parameter per iteration, so
         * that a step stays where the curvature model was learnt: the
         * marginal likelihood can have several maxima (kernels.lens has
         * three along the trend's ls, docs/optimize.md). */
        tmax = fmin(tmax, GP_OPT_MAX_STEP / dmax);
        double t0 = B->m == 0 ? fmin(1.0, 1.0 / dmax) : 1.0;
        /* The quasi-Newton model predicts a decrease of -g.d / 2 for the
         * full step: below the relative tolerance there is nothing left to
         * gain that f could resolve (the Newton decrement test). */
        if (B->m > 0 && -0.5 * gd <= GP_OPT_FTOL * fmax(fabs(B->f), 1.0)) {
            *stop = GP_OPT_RELCHANGE;
            break;
        }
        if (!(tmax > 0.0) || !(gd < 0.0) || !(dmax > 0.0)) {
            *stop = GP_OPT_STALLED;
            break;
        }
        bool ok = line_search(B, fmin(t0, tmax), tmax, gd);
        if (B->c->fail)
            break;
        if (!ok) {
            if (B->m > 0 && !restarted) {
                B->m = 0; /* a stale curvature model: once more from steepest descent */
                restarted = true;
                continue;
            }
            *stop = GP_OPT_STALLED;
            break;
        }
        restarted = false;
        it++;
        /* Curvature pair; skipped when s.y is not safely positive. */
        size_t j = (B->head + B->m) % GP_OPT_MEMORY;
        double sy = 0.0, yy = 0.0;
        for (size_t i = 0; i < dim; i++) {
            B->S[j][i] = B->xa[i] - B->x[i];
            B->Y[j][i] = B->ga[i] - B->g[i];
            sy += B->S[j][i] * B->Y[j][i];
            yy += B->Y[j][i] * B->Y[j][i];
        }
        if (sy > 1e-12 * yy && yy > 0.0) {
            /* H0 = D^-1 with D the diagonal of a BFGS update of diag(D)
             * (Gilbert & Lemarechal 1989) instead of the usual scalar
             * s.y / y.y: the period's curvature is ~1e6 times the others'
             * (docs/optimize.md), and one scalar fits only one of them. */
            const double *sv = B->S[j], *yv = B->Y[j];
            if (B->m == 0)
                for (size_t i = 0; i < dim; i++)
                    B->D[i] = yy / sy;
            double sDs = 0.0;
            for (size_t i = 0; i < dim; i++)
                sDs += B->D[i] * sv[i] * sv[i];
            for (size_t i = 0; i < dim; i++) {
                double Ds = B->D[i] * sv[i], v = B->D[i] + yv[i] * yv[i] / sy - Ds * Ds / sDs;
                B->D[i] = fmax(v, 1e-10 * yy / sy);
            }
            B->rho[j] = 1.0 / sy;
            if (B->m < GP_OPT_MEMORY)
                B->m++;
            else
                B->head = (B->head + 1) % GP_OPT_MEMORY;
        }
        double fprev = B->f;
        memcpy(B->x, B->xa, dim * sizeof *B->x);
        memcpy(B->g, B->ga, dim * sizeof *B->g);
        B->f = B->fa;
        *gnorm = proj_grad_norm(B, B->x, B->g);
        if (o->progress)
            o->progress(o->progress_ctx, it, -B->f, *gnorm);
        if (*gnorm <= o->tol) {
            *stop = GP_OPT_GRAD;
            break;
        }
        if (fprev - B->f <= GP_OPT_FTOL * fmax(fmax(fabs(fprev), fabs(B->f)), 1.0)) {
            *stop = GP_OPT_RELCHANGE;
            break;
        }
    }
    *iters = it;
}

/* Nelder-Mead (GSL nmsimplex2) for kernels without gradients. */
static double
nm_f(const gsl_vector *v, void *p)
{
    optctx *c = p;
    double x[OPT_DIM_MAX];
    for (size_t i = 0; i < c->dim; i++)
        x[i] = gsl_vector_get(v, i);
    double f = opt_value(c, x);
    return isfinite(f) ? f : 1e300; /* rejected by the simplex moves */
}

/* From x; on return x is the best vertex and *fbest its value (also when
 * cancelled). */
static int
nm_run(optctx *c, double *x, const opt_run *o, size_t *iters, gp_opt_stop *stop, double *fbest,
       bl_err *err)
{
    size_t dim = c->dim;
    gsl_vector *v = gsl_vector_alloc(dim), *ss = gsl_vector_alloc(dim);
    gsl_multimin_fminimizer *ms = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, dim);
    int rc = BL_OK;
    *stop = GP_OPT_MAXITER;
    *iters = 0;
    *fbest = HUGE_VAL;
    if (v == NULL || ss == NULL || ms == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "gp: out of memory for the simplex");
        goto done;
    }
    for (size_t i = 0; i < dim; i++)
        gsl_vector_set(v, i, x[i]);
    gsl_vector_set_all(ss, 0.5);
    gsl_multimin_function F = {nm_f, dim, c};
    if (gsl_multimin_fminimizer_set(ms, &F, v, ss) != GSL_SUCCESS) {
        rc = c->fail ? BL_OK : bl_fail(err, BL_ENUM, "gp: minimiser setup failed");
        goto done;
    }
    size_t it = 0;
    while (it < o->max_iter && !c->fail) {
        if (gsl_multimin_fminimizer_iterate(ms) != GSL_SUCCESS) {
            *stop = GP_OPT_STALLED;
            break;
        }
        it++;
        if (o->progress)
            o->progress(o->progress_ctx, it, -ms->fval, (double)NAN);
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(ms), o->tol) == GSL_SUCCESS) {
            *stop = GP_OPT_SIMPLEX;
            break;
        }
    }
    *iters = it;
    for (size_t i = 0; i < dim; i++)
        x[i] = gsl_vector_get(ms->x, i);
    *fbest = ms->fval < 1e300 ? ms->fval : HUGE_VAL;
done:
    if (ms)
        gsl_multimin_fminimizer_free(ms);
    gsl_vector_free(v);
    gsl_vector_free(ss);
    return rc;
}

int
gp_optimize(gp *g, const gp_opt_opts *o, gp_opt_result *res, const bl_cancel *cancel, bl_err *err)
{
    gp_opt_opts oo = o ? *o : (gp_opt_opts){0};
    opt_run run = {oo.max_iter ? oo.max_iter : 200, oo.tol > 0 ? oo.tol : 1e-5, oo.progress,
                   oo.progress_ctx};
    size_t n = g->n;
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "gp: optimize needs data (n=0)");
    if (!oo.fix_noise && !(g->noise > 0.0))
        return bl_fail(err, BL_EINVAL,
                       "gp: noise=0 cannot be optimised on a log scale: set "
                       "noise > 0 or fix it");
    size_t np = kernel_nparams(g->k), nm = g->mf.np, dim = np + nm + (oo.fix_noise ? 0 : 1);
    if (dim == 0)
        return bl_fail(err, BL_EINVAL, "gp: nothing to optimise");
    bool use_grad = kernel_has_grad(g->k) && !oo.simplex;
    bool any_fix = false;
    for (size_t i = 0; oo.fix != NULL && i < np + nm; i++)
        any_fix |= oo.fix[i];
    if (any_fix && !use_grad)
        return bl_fail(err, BL_EINVAL,
                       "gp: fixed hyperparameters need the gradient optimizer (not nngp)");
    optctx c;
    int rc = opt_init(&c, g, oo.fix_noise, use_grad, oo.pairs_max, cancel, err);
    if (rc != BL_OK)
        return rc;
    lbfgs *B = use_grad ? calloc(1, sizeof *B) : NULL;
    if (use_grad && B == NULL) {
        opt_free(&c);
        return bl_fail(err, BL_ENOMEM, "gp: out of memory for optimisation");
    }
    int threads = linalg_threads_one();
    double x0[OPT_DIM_MAX], x[OPT_DIM_MAX];
    opt_start(&c, x0);
    memcpy(x, x0, dim * sizeof *x);
    /* Strict where the start allows: the optimizer then stays where the
     * replay needs no jitter. A start that already needs it keeps the
     * ladder's values (the replay's jitter is then reported by the caller). */
    c.strict = true;
    double f0 = opt_value(&c, x0), fbest = HUGE_VAL, gnorm = (double)NAN;
    if (!c.fail && !isfinite(f0)) {
        c.strict = false;
        f0 = opt_value(&c, x0);
    }
    size_t it = 0;
    gp_opt_stop stop = GP_OPT_MAXITER;
    if (c.fail == BL_ECANCEL) { /* Ctrl-C inside the start's evaluation */
        rc = opt_cancelled(err);
        goto done;
    }
    if (c.fail) {
        rc = c.fail;
        *err = c.err;
        goto done;
    }
    if (!isfinite(f0)) {
        rc = bl_fail(err, BL_ENUM, "gp: Ky is not positive definite at the starting parameters");
        goto done;
    }
    if (use_grad) {
        B->c = &c;
        B->dim = dim;
        for (size_t i = 0; i < dim; i++) {
            bool mean = i >= np && i < np + nm;
            bool lg = !mean && (i >= np || kernel_param_is_log(g->k, i));
            B->capped[i] = !mean;
            B->lo[i] = lg ? -GP_OPT_LOG_BOX : -HUGE_VAL;
            B->hi[i] = lg ? GP_OPT_LOG_BOX : HUGE_VAL;
            /* A start outside the box moves into it. */
            B->x[i] = x0[i] < B->lo[i] ? B->lo[i] : x0[i] > B->hi[i] ? B->hi[i] : x0[i];
            /* A held parameter: a box of width 0 (the projection keeps it). */
            B->held[i] = oo.fix != NULL && i < np + nm && oo.fix[i];
            if (B->held[i])
                B->lo[i] = B->hi[i] = B->x[i];
        }
        B->f = opt_value(&c, B->x);
        if (!c.fail && (!isfinite(B->f) || !opt_grad(&c, B->g)) && !c.fail) {
            rc = bl_fail(err, BL_ENUM, "gp: no gradient at the starting parameters");
            goto done;
        }
        for (size_t i = 0; i < dim; i++)
            if (B->held[i])
                B->g[i] = 0.0;
        if (!c.fail)
            lbfgs_run(B, &run, &it, &stop, &gnorm);
        /* The current point is the best accepted one, also when cancelled. */
        memcpy(x, B->x, dim * sizeof *x);
        fbest = isfinite(B->f) ? B->f : HUGE_VAL;
    } else if ((rc = nm_run(&c, x, &run, &it, &stop, &fbest, err)) != BL_OK) {
        goto done;
    }
    if (c.fail == BL_ECANCEL && fbest < f0) {
        /* Ctrl-C after progress: keep the best point so far. */
        stop = GP_OPT_INTERRUPTED;
        if (use_grad)
            gnorm = proj_grad_norm(B, B->x, B->g);
        c.fail = 0;
    }
    if (c.fail == BL_ECANCEL) {
        rc = opt_cancelled(err);
        goto done;
    }
    if (c.fail) {
        rc = c.fail;
        *err = c.err;
        goto done;
    }
    if (!opt_set(&c, x)) {
        rc = bl_fail(err, BL_ENUM, "gp: optimiser ended at invalid parameters");
        goto done;
    }
    /* The refit may not be cancelled: an interrupted run keeps its best point. */
    batch b;
    if ((rc = batch_fit(c.k, &c.mf, c.noise, g->X, g->y, n, &b, NULL, err)) != BL_OK)
        goto done;
    if (!(-b.lml <= f0)) {
        free(b.L);
        free(b.z);
        rc = bl_fail(err, BL_ENUM, "gp: optimisation did not improve the log ML (%.6g -> %.6g)",
                     -f0, b.lml);
        goto done;
    }
    if (res) {
        *res = (gp_opt_result){.log_ml_before = -f0,
                               .log_ml_after = b.lml,
                               .iterations = it,
                               .evaluations = c.nevals + 1,
                               .grad_norm = gnorm,
                               .stop = stop,
                               .used_grad = use_grad,
                               .converged = stop == GP_OPT_GRAD || stop == GP_OPT_RELCHANGE ||
                                            stop == GP_OPT_SIMPLEX};
    }
    /* Commit: swap kernels, install the batch factor (capacity suffices). */
    kernel *old = g->k;
    g->k = c.k;
    c.k = old;
    g->noise = c.noise;
    install(g, g->X, g->y, n, &b);
done:
    linalg_threads_restore(threads);
    free(B);
    opt_free(&c);
    return rc;
}
