/* core/target.c - log densities U(w) = -log pi(w) + const and their gradients.
 *
 * Formulas: target.h and docs/math.md §2.1, 2.4, 9. Storage by kind:
 *  gauss, blr, blr_data: A = precision (full), L = chol(A) (lower), m = mean,
 *    cov = A^-1; U is evaluated as (1/2)(w-m)^T A (w-m) for gauss/blr (O(d^2))
 *    and from the data for blr_data (two dgemv passes, O(nd)).
 *  nig: A = V_n^-1 = I/v0 + G, L = chol(A), m = m_n, a_n, b_n.
 *  logistic: X, y, m = w_MAP, L = chol(X^T D X + alpha I), cov its inverse.
 *  student_t: X, y only.
 * Data kinds write grad U_i = c_i x_i with a scalar c_i (point_coef), so the
 * full gradient is X^T c + alpha w and a minibatch one (N/b) sum c_i x_i +
 * alpha w. BLAS goes through gsl_blas_* on views of the row-major arrays (never
 * <cblas.h>, docs/style.md). */
#include "core/mcmc/target.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "core/base/linalg.h"

/* Teaching densities: parameters stated in target.h. */
#define BANANA_A  1.5
#define BANANA_B  0.5
#define BANANA_S  0.5
#define DONUT_R   2.5
#define DONUT_S   0.3
#define MIX_K     3
#define MIX_SD    0.6
#define FUNNEL_SV 3.0
#define SQ_S11    2.0
#define SQ_S12    0.25
#define SQ_S22    0.5
#define SQ_FREQ   5.0
#define MODES_SEP 4.0 /* the means are (-MODES_SEP, 0) and (MODES_SEP, 0) */
#define MODES_SD  0.5

static const double mix_mu[MIX_K][2] = {{-1.5, -1.0}, {1.5, -1.0}, {0.0, 1.6}};

struct target {
    target_kind kind;
    size_t d, n;
    double *X, *y;   /* data (n x d, n), owned; NULL for statistic kinds */
    double *G, *xty; /* X^T X (full), X^T y; owned */
    double yty;      /* y^T y */
    double *A;       /* precision (gauss, blr*, logistic Laplace) or V_n^-1 (nig), full */
    double *L;       /* lower Cholesky factor of A, strict upper zero */
    double *m;       /* mean, mode (logistic) or m_n (nig) */
    double *cov;     /* reference covariance (full) when mom != NONE */
    target_moments_kind mom;
    double alpha, beta; /* prior precision, noise precision */
    double nu, sigma;   /* student_t */
    double v0, a0, b0;  /* nig prior */
    double an, bn;      /* nig posterior */
    double *r;          /* scratch, n (residuals, coefficients) */
    double *s;          /* scratch, d */
};

static const char *const kind_names[TARGET_NKINDS] = {
    "gauss",  "blr",   "blr_data", "nig",    "logistic", "student_t",
    "banana", "donut", "mixture",  "funnel", "squiggle",  "modes",
    "funnel_nc", "normal",
};

const char *
target_kind_name(target_kind kind)
{
    return (int)kind >= 0 && kind < TARGET_NKINDS ? kind_names[kind] : "?";
}

int
target_kind_from_name(const char *name)
{
    for (int k = 0; name != NULL && k < TARGET_NKINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

void
target_free(target *t)
{
    if (t == NULL)
        return;
    free(t->X);
    free(t->y);
    free(t->G);
    free(t->xty);
    free(t->A);
    free(t->L);
    free(t->m);
    free(t->cov);
    free(t->r);
    free(t->s);
    free(t);
}

/* A new target with m, cov, s (and A, L when want_prec; X, y, r when n > 0
 * and data is requested) allocated. */
static target *
target_new(target_kind kind, size_t d, size_t n, bool want_prec, bool want_data, bl_err *err)
{
    if (d < 1 || d > TARGET_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..%d", d, TARGET_MAX_DIM);
        return NULL;
    }
    if (want_data && n < 1) {
        bl_fail(err, BL_EINVAL, "n=0: a %s target needs at least 1 data point",
                target_kind_name(kind));
        return NULL;
    }
    target *t = calloc(1, sizeof *t);
    if (t == NULL)
        goto nomem;
    t->kind = kind;
    t->d = d;
    t->n = n;
    t->m = calloc(d, sizeof *t->m);
    t->cov = calloc(d * d, sizeof *t->cov);
    t->s = calloc(d, sizeof *t->s);
    if (t->m == NULL || t->cov == NULL || t->s == NULL)
        goto nomem;
    if (want_prec) {
        t->A = calloc(d * d, sizeof *t->A);
        t->L = calloc(d * d, sizeof *t->L);
        if (t->A == NULL || t->L == NULL)
            goto nomem;
    }
    if (want_data) {
        t->X = malloc(n * d * sizeof *t->X);
        t->y = malloc(n * sizeof *t->y);
        t->r = malloc(n * sizeof *t->r);
        if (t->X == NULL || t->y == NULL || t->r == NULL)
            goto nomem;
    }
    return t;
nomem:
    target_free(t);
    bl_fail(err, BL_ENOMEM, "out of memory for a %s target (d=%zu, n=%zu)", target_kind_name(kind),
            d, n);
    return NULL;
}

/* L = chol(A), cov = A^-1 (when want_cov); m = A^-1 b when b != NULL. */
static int
factor_precision(target *t, const double *b, bool want_cov, bl_err *err)
{
    size_t d = t->d;
    memcpy(t->L, t->A, d * d * sizeof *t->L);
    double jitter = 0.0;
    if (linalg_cholesky(t->L, d, &jitter, err) != BL_OK)
        return bl_fail(err, BL_ENUM, "%s target: precision matrix is not positive definite",
                       target_kind_name(t->kind));
    if (b != NULL) {
        memcpy(t->m, b, d * sizeof *t->m);
        linalg_solve_lower(t->L, d, t->m);
        linalg_solve_lower_t(t->L, d, t->m);
    }
    if (want_cov && linalg_chol_inverse(t->L, d, t->cov, err) != BL_OK)
        return err != NULL ? err->code : BL_ENUM;
    return BL_OK;
}

static int
copy_data(target *t, const double *X, const double *y, bl_err *err)
{
    size_t n = t->n, d = t->d;
    if (X == NULL || y == NULL)
        return bl_fail(err, BL_EINVAL, "%s target: X and y are required",
                       target_kind_name(t->kind));
    for (size_t i = 0; i < n; i++) {
        if (!linalg_all_finite(X + i * d, d) || !isfinite(y[i]))
            return bl_fail(err, BL_EINVAL, "row %zu: non-finite value in X or y", i);
    }
    memcpy(t->X, X, n * d * sizeof *X);
    memcpy(t->y, y, n * sizeof *y);
    return BL_OK;
}

/* target_new of a target with data, holding a copy of X (n x d) and y. */
static target *
target_data_new(target_kind kind, size_t n, size_t d, const double *X, const double *y,
                bool want_prec, bl_err *err)
{
    target *t = target_new(kind, d, n, want_prec, true, err);
    if (t != NULL && copy_data(t, X, y, err) != BL_OK) {
        target_free(t);
        return NULL;
    }
    return t;
}

target *
target_gauss_alloc(size_t d, const double *mu, const double *P, bl_err *err)
{
    target *t = target_new(TARGET_GAUSS, d, 0, true, false, err);
    if (t == NULL)
        return NULL;
    if (mu == NULL || P == NULL || !linalg_all_finite(mu, d) || !linalg_all_finite(P, d * d)) {
        bl_fail(err, BL_EINVAL, "gauss target: mean and precision must be given and finite");
        goto fail;
    }
    memcpy(t->A, P, d * d * sizeof *P);
    linalg_mirror_lower(t->A, d);
    memcpy(t->m, mu, d * sizeof *mu);
    if (factor_precision(t, NULL, true, err) != BL_OK)
        goto fail;
    t->mom = TARGET_MOMENTS_EXACT;
    return t;
fail:
    target_free(t);
    return NULL;
}

static int
check_pos(const char *name, double v, bl_err *err)
{
    if (!(v > 0.0) || !isfinite(v))
        return bl_fail(err, BL_EINVAL, "%s=%g: must be > 0 and finite", name, v);
    return BL_OK;
}

/* Copy the sufficient statistics G = X^T X (d x d), X^T y and y^T y into t
 * (the BLR and NIG targets keep their own). BL_ENOMEM, BL_EINVAL naming the
 * target kind `what`. */
static int
copy_stats(target *t, const char *what, const double *G, const double *xty, double yty,
           bl_err *err)
{
    size_t d = t->d;
    t->G = malloc(d * d * sizeof *t->G);
    t->xty = malloc(d * sizeof *t->xty);
    if (t->G == NULL || t->xty == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a %s target (d=%zu)", what, d);
    if (G == NULL || xty == NULL || !linalg_all_finite(G, d * d) || !linalg_all_finite(xty, d) ||
        !isfinite(yty))
        return bl_fail(err, BL_EINVAL, "%s target: G, X^T y, y^T y must be given and finite",
                       what);
    memcpy(t->G, G, d * d * sizeof *G);
    memcpy(t->xty, xty, d * sizeof *xty);
    t->yty = yty;
    return BL_OK;
}

/* The exact BLR posterior from t's statistics and hyperparameters:
 * precision A = alpha I + beta G, its factor and the mean from b = beta X^T y
 * (docs/math.md §2.1). O(d^3). */
static int
blr_posterior(target *t, bl_err *err)
{
    size_t d = t->d;
    for (size_t i = 0; i < d * d; i++)
        t->A[i] = t->beta * t->G[i];
    for (size_t i = 0; i < d; i++) {
        t->A[i * d + i] += t->alpha;
        t->s[i] = t->beta * t->xty[i];
    }
    int rc = factor_precision(t, t->s, true, err);
    if (rc == BL_OK)
        t->mom = TARGET_MOMENTS_EXACT;
    return rc;
}

target *
target_blr_alloc(size_t d, const double *G, const double *xty, double yty, double alpha,
                 double beta, bl_err *err)
{
    if (check_pos("alpha", alpha, err) || check_pos("beta", beta, err))
        return NULL;
    target *t = target_new(TARGET_BLR, d, 0, true, false, err);
    if (t == NULL)
        return NULL;
    if (copy_stats(t, "blr", G, xty, yty, err) != BL_OK)
        goto fail;
    t->alpha = alpha;
    t->beta = beta;
    if (blr_posterior(t, err) != BL_OK)
        goto fail;
    return t;
fail:
    target_free(t);
    return NULL;
}

target *
target_blr_data_alloc(size_t n, size_t d, const double *X, const double *y, double alpha,
                      double beta, bl_err *err)
{
    if (check_pos("alpha", alpha, err) || check_pos("beta", beta, err))
        return NULL;
    target *t = target_data_new(TARGET_BLR_DATA, n, d, X, y, true, err);
    if (t == NULL)
        return NULL;
    t->G = calloc(d * d, sizeof *t->G);
    t->xty = malloc(d * sizeof *t->xty);
    if (t->G == NULL || t->xty == NULL) {
        bl_fail(err, BL_ENOMEM, "out of memory for a blr_data target (d=%zu)", d);
        goto fail;
    }
    t->alpha = alpha;
    t->beta = beta;
    gsl_matrix_const_view Xv = gsl_matrix_const_view_array(t->X, n, d);
    gsl_vector_const_view yv = gsl_vector_const_view_array(t->y, n);
    gsl_matrix_view Gv = gsl_matrix_view_array(t->G, d, d);
    gsl_vector_view xv = gsl_vector_view_array(t->xty, d);
    gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &Xv.matrix, 0.0, &Gv.matrix);
    linalg_mirror_lower(t->G, d);
    gsl_blas_dgemv(CblasTrans, 1.0, &Xv.matrix, &yv.vector, 0.0, &xv.vector);
    gsl_blas_ddot(&yv.vector, &yv.vector, &t->yty);
    if (blr_posterior(t, err) != BL_OK)
        goto fail;
    return t;
fail:
    target_free(t);
    return NULL;
}

target *
target_nig_alloc(size_t d, size_t n, const double *G, const double *xty, double yty, double v0,
                 double a0, double b0, bl_err *err)
{
    if (check_pos("v0", v0, err) || check_pos("a0", a0, err) || check_pos("b0", b0, err))
        return NULL;
    target *t = target_new(TARGET_NIG, d, n, true, false, err);
    if (t == NULL)
        return NULL;
    if (copy_stats(t, "nig", G, xty, yty, err) != BL_OK)
        goto fail;
    t->v0 = v0;
    t->a0 = a0;
    t->b0 = b0;
    memcpy(t->A, G, d * d * sizeof *G);
    for (size_t i = 0; i < d; i++)
        t->A[i * d + i] += 1.0 / v0;
    linalg_mirror_lower(t->A, d);
    if (factor_precision(t, xty, true, err) != BL_OK)
        goto fail;
    /* docs/math.md §2.4 with m0 = 0: b_n = b0 + (y^T y - m_n^T V_n^-1 m_n)/2 and
     * V_n^-1 m_n = X^T y. The bracket is |y - X m_n|^2 + |m_n|^2/v0 >= 0:
     * clamp the rounding. */
    double q = 0.0;
    for (size_t i = 0; i < d; i++)
        q += xty[i] * t->m[i];
    t->an = a0 + 0.5 * (double)n;
    t->bn = b0 + 0.5 * fmax(yty - q, 0.0);
    if (t->an > 1.0) {
        double c = t->bn / (t->an - 1.0);
        for (size_t i = 0; i < d * d; i++)
            t->cov[i] *= c;
        t->mom = TARGET_MOMENTS_EXACT;
    }
    return t;
fail:
    target_free(t);
    return NULL;
}

target *
target_from_blr(const blr_model *bm, bl_err *err)
{
    if (bm == NULL) {
        bl_fail(err, BL_EINVAL, "no model");
        return NULL;
    }
    const blr_opts *o = blr_options(bm);
    size_t d = blr_dim(bm);
    const double *G = blr_gram(bm);
    if (o->kind == BLR_KNOWN)
        return target_blr_alloc(d, G, blr_xty(bm), blr_yty(bm), o->alpha, o->beta, err);
    target *t =
        target_nig_alloc(d, blr_count(bm), G, blr_xty(bm), blr_yty(bm), o->v0, o->a0, o->b0, err);
    if (t != NULL && blr_count(bm) > 0) {
        /* The model keeps b_n free of cancellation (blr.h): prefer it. */
        double bn = blr_nig_b(bm);
        for (size_t i = 0; i < d * d; i++)
            t->cov[i] *= bn / t->bn;
        t->bn = bn;
    }
    return t;
}

/* Softplus and logistic sigmoid, stable for every z (docs/math.md §9). */
static double
softplus(double z)
{
    return fmax(z, 0.0) + log1p(exp(-fabs(z)));
}

static double
sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* U of a data kind from f = Xw already in t->r; overwrites t->r with the
 * coefficients c_i (grad U_i = c_i x_i). Prior term not included. */
static double
data_terms(target *t)
{
    double U = 0.0;
    size_t n = t->n;
    double *r = t->r;
    const double *y = t->y;
    switch (t->kind) {
    case TARGET_BLR_DATA:
        for (size_t i = 0; i < n; i++) {
            double e = r[i] - y[i];
            U += e * e;
            r[i] = t->beta * e;
        }
        return 0.5 * t->beta * U;
    case TARGET_LOGISTIC:
        for (size_t i = 0; i < n; i++) {
            double z = -y[i] * r[i];
            U += softplus(z);
            r[i] = -y[i] * sigmoid(z);
        }
        return U;
    case TARGET_STUDENT_T: {
        double ns2 = t->nu * t->sigma * t->sigma, h = 0.5 * (t->nu + 1.0);
        for (size_t i = 0; i < n; i++) {
            double e = y[i] - r[i];
            U += log1p(e * e / ns2);
            r[i] = -(t->nu + 1.0) * e / (ns2 + e * e);
        }
        return h * U;
    }
    default: return 0.0;
    }
}

static double
point_coef(const target *t, const double *w, size_t i)
{
    const double *x = t->X + i * t->d;
    double f = 0.0;
    for (size_t j = 0; j < t->d; j++)
        f += x[j] * w[j];
    double y = t->y[i];
    switch (t->kind) {
    case TARGET_BLR_DATA: return t->beta * (f - y);
    case TARGET_LOGISTIC: return -y * sigmoid(-y * f);
    case TARGET_STUDENT_T: {
        double e = y - f, ns2 = t->nu * t->sigma * t->sigma;
        return -(t->nu + 1.0) * e / (ns2 + e * e);
    }
    default: return 0.0;
    }
}

/* U and gradient of the data kinds: f = Xw, then grad = X^T c + alpha w. */
static double
eval_data(target *t, const double *w, double *grad)
{
    size_t n = t->n, d = t->d;
    gsl_matrix_const_view Xv = gsl_matrix_const_view_array(t->X, n, d);
    gsl_vector_const_view wv = gsl_vector_const_view_array(w, d);
    gsl_vector_view rv = gsl_vector_view_array(t->r, n);
    gsl_blas_dgemv(CblasNoTrans, 1.0, &Xv.matrix, &wv.vector, 0.0, &rv.vector);
    double U = data_terms(t), ww = 0.0;
    for (size_t j = 0; j < d; j++)
        ww += w[j] * w[j];
    U += 0.5 * t->alpha * ww;
    if (grad != NULL) {
        memcpy(grad, w, d * sizeof *grad);
        gsl_vector_view gv = gsl_vector_view_array(grad, d);
        gsl_blas_dgemv(CblasTrans, 1.0, &Xv.matrix, &rv.vector, t->alpha, &gv.vector);
    }
    return U;
}

/* (1/2) delta^T A delta with delta = w - m; grad = A delta. */
static double
eval_quad(target *t, const double *w, double *grad, double *q)
{
    size_t d = t->d;
    double *g = grad != NULL ? grad : t->s;
    double U = 0.0;
    for (size_t i = 0; i < d; i++) {
        const double *Ai = t->A + i * d;
        double acc = 0.0;
        for (size_t j = 0; j < d; j++)
            acc += Ai[j] * (w[j] - t->m[j]);
        g[i] = acc;
        U += (w[i] - t->m[i]) * acc;
    }
    *q = U;
    return 0.5 * U;
}

static double
eval_toy(const target *t, const double *w, double *g)
{
    double x1 = w[0], x2 = w[1];
    switch (t->kind) {
    case TARGET_BANANA: {
        const double a2 = BANANA_A * BANANA_A, s2 = BANANA_S * BANANA_S;
        double e = x2 - BANANA_B * (x1 * x1 - a2);
        g[0] = x1 / a2 - 2.0 * BANANA_B * x1 * e / s2;
        g[1] = e / s2;
        return 0.5 * x1 * x1 / a2 + 0.5 * e * e / s2;
    }
    case TARGET_DONUT: {
        const double s2 = DONUT_S * DONUT_S;
        double rho = hypot(x1, x2), e = rho - DONUT_R;
        g[0] = rho > 0.0 ? e / s2 * x1 / rho : 0.0;
        g[1] = rho > 0.0 ? e / s2 * x2 / rho : 0.0;
        return 0.5 * e * e / s2;
    }
    case TARGET_MIXTURE: {
        const double s2 = MIX_SD * MIX_SD;
        double lc[MIX_K], M = -(double)INFINITY;
        for (int k = 0; k < MIX_K; k++) {
            double a = x1 - mix_mu[k][0], b = x2 - mix_mu[k][1];
            lc[k] = -0.5 * (a * a + b * b) / s2;
            M = fmax(M, lc[k]);
        }
        double sum = 0.0;
        g[0] = g[1] = 0.0;
        for (int k = 0; k < MIX_K; k++) {
            double e = exp(lc[k] - M);
            sum += e;
            g[0] += e * (x1 - mix_mu[k][0]) / s2;
            g[1] += e * (x2 - mix_mu[k][1]) / s2;
        }
        g[0] /= sum;
        g[1] /= sum;
        return -(M + log(sum / MIX_K));
    }
    case TARGET_FUNNEL: {
        const double sv2 = FUNNEL_SV * FUNNEL_SV;
        double ev = exp(-x2);
        g[0] = x1 * ev;
        g[1] = x2 / sv2 - 0.5 * x1 * x1 * ev + 0.5;
        return 0.5 * x2 * x2 / sv2 + 0.5 * x1 * x1 * ev + 0.5 * x2;
    }
    case TARGET_SQUIGGLE: {
        const double det = SQ_S11 * SQ_S22 - SQ_S12 * SQ_S12;
        double z1 = x1, z2 = x2 + sin(SQ_FREQ * x1);
        double g1 = (SQ_S22 * z1 - SQ_S12 * z2) / det, g2 = (SQ_S11 * z2 - SQ_S12 * z1) / det;
        g[0] = g1 + g2 * SQ_FREQ * cos(SQ_FREQ * x1);
        g[1] = g2;
        return 0.5 * (z1 * g1 + z2 * g2);
    }
    case TARGET_MODES: {
        const double s2 = MODES_SD * MODES_SD;
        double a = x1 + MODES_SEP, b = x1 - MODES_SEP;
        double la = -0.5 * (a * a + x2 * x2) / s2, lb = -0.5 * (b * b + x2 * x2) / s2;
        double M = fmax(la, lb), ea = exp(la - M), eb = exp(lb - M);
        g[0] = (ea * a + eb * b) / ((ea + eb) * s2);
        g[1] = x2 / s2;
        return -(M + log(0.5 * (ea + eb)));
    }
    case TARGET_FUNNEL_NC: {
        const double sv2 = FUNNEL_SV * FUNNEL_SV;
        g[0] = x1;
        g[1] = x2 / sv2;
        return 0.5 * x1 * x1 + 0.5 * x2 * x2 / sv2;
    }
    default: return NAN;
    }
}

int
target_eval(target *t, const double *w, double *U, double *grad, bl_err *err)
{
    size_t d = t->d;
    double u, q;
    switch (t->kind) {
    case TARGET_GAUSS:
    case TARGET_BLR: u = eval_quad(t, w, grad, &q); break;
    case TARGET_NIG: {
        /* docs/math.md §2.4 marginal t: see target.h. */
        double *g = grad != NULL ? grad : t->s;
        eval_quad(t, w, g, &q);
        double c = t->an + 0.5 * (double)d;
        u = c * log1p(q / (2.0 * t->bn));
        double f = c / (t->bn + 0.5 * q);
        for (size_t i = 0; i < d; i++)
            g[i] *= f;
        break;
    }
    case TARGET_BLR_DATA:
    case TARGET_LOGISTIC:
    case TARGET_STUDENT_T: u = eval_data(t, w, grad); break;
    case TARGET_NORMAL: {
        u = 0.0;
        for (size_t i = 0; i < d; i++)
            u += 0.5 * w[i] * w[i];
        if (grad != NULL)
            memcpy(grad, w, d * sizeof *w);
        break;
    }
    default: {
        double g[2];
        u = eval_toy(t, w, g);
        if (grad != NULL)
            memcpy(grad, g, sizeof g);
    }
    }
    *U = u;
    if (!isfinite(u))
        return bl_fail(err, BL_ENUM, "%s target: U = %g is not finite", target_kind_name(t->kind),
                       u);
    if (grad != NULL && !linalg_all_finite(grad, d))
        return bl_fail(err, BL_ENUM, "%s target: gradient is not finite",
                       target_kind_name(t->kind));
    return BL_OK;
}

size_t
target_npoints(const target *t)
{
    return t->X != NULL ? t->n : 0;
}

int
target_grad_point(target *t, const double *w, size_t i, double *g, bl_err *err)
{
    if (t->X == NULL)
        return bl_fail(err, BL_EINVAL, "%s target has no data points", target_kind_name(t->kind));
    if (i >= t->n)
        return bl_fail(err, BL_EINVAL, "point %zu: must be < %zu", i, t->n);
    double c = point_coef(t, w, i);
    for (size_t j = 0; j < t->d; j++)
        g[j] = c * t->X[i * t->d + j];
    if (!linalg_all_finite(g, t->d))
        return bl_fail(err, BL_ENUM, "%s target: gradient of point %zu is not finite",
                       target_kind_name(t->kind), i);
    return BL_OK;
}

int
target_grad_minibatch(target *t, const double *w, const size_t *idx, size_t b, double *g,
                      bl_err *err)
{
    size_t d = t->d;
    if (t->X == NULL)
        return bl_fail(err, BL_EINVAL, "%s target has no data points", target_kind_name(t->kind));
    if (b == 0 || idx == NULL)
        return bl_fail(err, BL_EINVAL, "minibatch=0: must be >= 1");
    for (size_t j = 0; j < d; j++)
        g[j] = t->alpha * w[j];
    double scale = (double)t->n / (double)b;
    for (size_t k = 0; k < b; k++) {
        if (idx[k] >= t->n)
            return bl_fail(err, BL_EINVAL, "point %zu: must be < %zu", idx[k], t->n);
        double c = scale * point_coef(t, w, idx[k]);
        const double *x = t->X + idx[k] * d;
        for (size_t j = 0; j < d; j++)
            g[j] += c * x[j];
    }
    if (!linalg_all_finite(g, d))
        return bl_fail(err, BL_ENUM, "%s target: minibatch gradient is not finite",
                       target_kind_name(t->kind));
    return BL_OK;
}

/* Laplace approximation of the logistic posterior: damped Newton from 0
 * (Armijo backtracking; U is strictly convex for alpha > 0, so it converges),
 * then A = X^T D X + alpha I at w_MAP (docs/math.md §9). */

/* The logistic posterior's Hessian at t->m into t->A (full):
 * X^T D X + alpha I with D_i = s(f_i)(1 - s(f_i)), f = X w (docs/math.md §9). Xs is
 * n x d scratch for D^(1/2) X. One dsyrk. */
static void
laplace_precision(target *t, double *Xs)
{
    size_t n = t->n, d = t->d;
    for (size_t i = 0; i < n; i++) {
        double f = 0.0;
        for (size_t j = 0; j < d; j++)
            f += t->X[i * d + j] * t->m[j];
        double p = sigmoid(f), sq = sqrt(p * (1.0 - p));
        for (size_t j = 0; j < d; j++)
            Xs[i * d + j] = sq * t->X[i * d + j];
    }
    gsl_matrix_const_view Xv = gsl_matrix_const_view_array(Xs, n, d);
    gsl_matrix_view Av = gsl_matrix_view_array(t->A, d, d);
    gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &Xv.matrix, 0.0, &Av.matrix);
    for (size_t j = 0; j < d; j++)
        t->A[j * d + j] += t->alpha;
    linalg_mirror_lower(t->A, d);
}

static int
logistic_laplace(target *t, bl_err *err)
{
    size_t n = t->n, d = t->d;
    int rc = BL_OK;
    double *g = malloc(d * sizeof *g), *step = malloc(d * sizeof *step);
    double *wn = malloc(d * sizeof *wn), *Xs = malloc(n * d * sizeof *Xs);
    if (g == NULL || step == NULL || wn == NULL || Xs == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory for the Laplace fit (n=%zu, d=%zu)", n, d);
        goto done;
    }
    memset(t->m, 0, d * sizeof *t->m);
    double U;
    bool converged = false;
    for (int it = 0; it < 100 && !converged; it++) {
        eval_data(t, t->m, g);
        /* Hessian: D_i = s(f)(1 - s(f)) with f = x_i.w_MAP. */
        laplace_precision(t, Xs);
        if ((rc = factor_precision(t, NULL, false, err)) != BL_OK)
            goto done;
        memcpy(step, g, d * sizeof *g);
        linalg_solve_lower(t->L, d, step);
        double dec = 0.0; /* Newton decrement^2 = g^T A^-1 g */
        for (size_t j = 0; j < d; j++)
            dec += step[j] * step[j];
        linalg_solve_lower_t(t->L, d, step);
        if (dec < 1e-24) {
            converged = true;
            break;
        }
        U = eval_data(t, t->m, NULL);
        double tau = 1.0;
        for (int ls = 0; ls < 60; ls++, tau *= 0.5) {
            for (size_t j = 0; j < d; j++)
                wn[j] = t->m[j] - tau * step[j];
            if (eval_data(t, wn, NULL) <= U - 1e-4 * tau * dec)
                break;
        }
        memcpy(t->m, wn, d * sizeof *wn);
        if (dec < 1e-20)
            converged = true;
    }
    if (!converged) {
        rc = bl_fail(err, BL_ENUM, "logistic target: Newton did not converge in 100 steps");
        goto done;
    }
    /* A and L are those at the last iterate (step below 1e-10): refresh at the
     * final w_MAP for the covariance. */
    laplace_precision(t, Xs);
    if ((rc = factor_precision(t, NULL, true, err)) != BL_OK)
        goto done;
    t->mom = TARGET_MOMENTS_LAPLACE;
done:
    free(g);
    free(step);
    free(wn);
    free(Xs);
    return rc;
}

target *
target_logistic_alloc(size_t n, size_t d, const double *X, const double *y, double alpha,
                      bl_err *err)
{
    if (check_pos("alpha", alpha, err))
        return NULL;
    target *t = target_data_new(TARGET_LOGISTIC, n, d, X, y, true, err);
    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 1.0 && y[i] != -1.0) {
            bl_fail(err, BL_EINVAL, "label %g in row %zu: must be -1 or +1", y[i], i);
            goto fail;
        }
    }
    t->alpha = alpha;
    if (logistic_laplace(t, err) != BL_OK)
        goto fail;
    return t;
fail:
    target_free(t);
    return NULL;
}

target *
target_student_t_alloc(size_t n, size_t d, const double *X, const double *y, double nu,
                       double sigma, double alpha, bl_err *err)
{
    if (check_pos("nu", nu, err) || check_pos("sigma", sigma, err) ||
        check_pos("alpha", alpha, err))
        return NULL;
    target *t = target_data_new(TARGET_STUDENT_T, n, d, X, y, false, err);
    if (t == NULL)
        return NULL;
    t->nu = nu;
    t->sigma = sigma;
    t->alpha = alpha;
    t->mom = TARGET_MOMENTS_NONE;
    return t;
}

/* E|x|^2 under the donut: radial density p(rho) ~ rho exp(-(rho-r)^2/(2s^2))
 * on rho > 0; composite Simpson on [max(0, r-12s), r+12s], 4000 panels
 * (integrand smooth, error far below 1e-12 relative). */
static double
donut_second_moment(void)
{
    const int np = 4000;
    double lo = fmax(0.0, DONUT_R - 12.0 * DONUT_S), hi = DONUT_R + 12.0 * DONUT_S;
    double h = (hi - lo) / np, num = 0.0, den = 0.0;
    for (int k = 0; k <= np; k++) {
        double rho = lo + h * k, e = (rho - DONUT_R) / DONUT_S;
        double wgt = (k == 0 || k == np) ? 1.0 : (k % 2 ? 4.0 : 2.0);
        double f = rho * exp(-0.5 * e * e);
        den += wgt * f;
        num += wgt * f * rho * rho;
    }
    return num / den;
}

target *
target_toy_alloc(target_kind kind, bl_err *err)
{
    if (kind < TARGET_BANANA || kind > TARGET_FUNNEL_NC) {
        bl_fail(err, BL_EINVAL,
                "target %s: not a 2-D teaching density (choose banana, donut, mixture, funnel, "
                "squiggle, modes, funnel_nc)",
                target_kind_name(kind));
        return NULL;
    }
    target *t = target_new(kind, 2, 0, false, false, err);
    if (t == NULL)
        return NULL;
    double *c = t->cov;
    t->mom = TARGET_MOMENTS_EXACT;
    switch (kind) {
    case TARGET_BANANA: {
        const double a2 = BANANA_A * BANANA_A;
        c[0] = a2;
        c[3] = BANANA_S * BANANA_S + 2.0 * BANANA_B * BANANA_B * a2 * a2;
        break;
    }
    case TARGET_DONUT: c[0] = c[3] = 0.5 * donut_second_moment(); break;
    case TARGET_MIXTURE: {
        for (int k = 0; k < MIX_K; k++) {
            t->m[0] += mix_mu[k][0] / MIX_K;
            t->m[1] += mix_mu[k][1] / MIX_K;
        }
        for (int k = 0; k < MIX_K; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    c[i * 2 + j] += (mix_mu[k][i] - t->m[i]) * (mix_mu[k][j] - t->m[j]) / MIX_K;
        c[0] += MIX_SD * MIX_SD;
        c[3] += MIX_SD * MIX_SD;
        break;
    }
    case TARGET_FUNNEL:
        c[0] = exp(0.5 * FUNNEL_SV * FUNNEL_SV);
        c[3] = FUNNEL_SV * FUNNEL_SV;
        break;
    case TARGET_MODES:
        c[0] = MODES_SEP * MODES_SEP + MODES_SD * MODES_SD;
        c[3] = MODES_SD * MODES_SD;
        break;
    case TARGET_FUNNEL_NC:
        c[0] = 1.0;
        c[3] = FUNNEL_SV * FUNNEL_SV;
        break;
    default: {
        /* squiggle: x1 = z1, x2 = z2 - sin(f z1); for z ~ N(0, s^2):
         * E sin^2(f z) = (1 - exp(-2 f^2 s^2))/2, E z sin(f z) = f s^2 exp(-f^2 s^2/2),
         * and E[z2 | z1] = (S12/S11) z1. */
        const double f = SQ_FREQ, s11 = SQ_S11;
        double esin2 = 0.5 * (1.0 - exp(-2.0 * f * f * s11));
        double ez1sin = f * s11 * exp(-0.5 * f * f * s11);
        c[0] = s11;
        c[1] = c[2] = SQ_S12 - ez1sin;
        c[3] = SQ_S22 - 2.0 * (SQ_S12 / s11) * ez1sin + esin2;
    }
    }
    return t;
}

target *
target_normal_alloc(size_t d, bl_err *err)
{
    target *t = target_new(TARGET_NORMAL, d, 0, false, false, err);
    if (t == NULL)
        return NULL;
    t->mom = TARGET_MOMENTS_EXACT;
    for (size_t i = 0; i < d; i++)
        t->cov[i * d + i] = 1.0;
    return t;
}

size_t
target_dim(const target *t)
{
    return t->d;
}

target_kind
target_get_kind(const target *t)
{
    return t->kind;
}

void
target_get_info(const target *t, target_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = t->kind;
    info->d = t->d;
    info->n = t->n;
    info->X = t->X;
    info->y = t->y;
    info->G = t->G;
    info->xty = t->xty;
    info->yty = t->yty;
    info->alpha = t->alpha;
    info->beta = t->beta;
    info->nu = t->nu;
    info->sigma = t->sigma;
    info->v0 = t->v0;
    info->a0 = t->a0;
    info->b0 = t->b0;
    info->an = t->an;
    info->bn = t->bn;
}

target_moments_kind
target_moments(const target *t, double *mean, double *cov)
{
    if (t->mom == TARGET_MOMENTS_NONE)
        return TARGET_MOMENTS_NONE;
    if (mean != NULL)
        memcpy(mean, t->m, t->d * sizeof *mean);
    if (cov != NULL)
        memcpy(cov, t->cov, t->d * t->d * sizeof *cov);
    return t->mom;
}

bool
target_can_draw(const target *t)
{
    switch (t->kind) {
    case TARGET_GAUSS:
    case TARGET_BLR:
    case TARGET_BLR_DATA:
    case TARGET_NIG:
    case TARGET_BANANA:
    case TARGET_MIXTURE:
    case TARGET_FUNNEL:
    case TARGET_SQUIGGLE:
    case TARGET_MODES:
    case TARGET_FUNNEL_NC:
    case TARGET_NORMAL: return true;
    default: return false;
    }
}

int
target_draw(const target *t, gsl_rng *rng, double *w, double *aux, bl_err *err)
{
    size_t d = t->d;
    double z1, z2;
    switch (t->kind) {
    case TARGET_GAUSS:
    case TARGET_BLR:
    case TARGET_BLR_DATA:
    case TARGET_NIG: {
        /* w = m + c L^-T z has covariance c^2 (L L^T)^-1 = c^2 A^-1; for nig
         * c^2 = s2 ~ IG(a_n, b_n) (docs/math.md §2.4). O(d^2). */
        double c = 1.0;
        if (t->kind == TARGET_NIG) {
            double s2 = t->bn / gsl_ran_gamma(rng, t->an, 1.0);
            c = sqrt(s2);
            if (aux != NULL)
                *aux = s2;
        }
        for (size_t i = 0; i < d; i++)
            w[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        linalg_solve_lower_t(t->L, d, w);
        for (size_t i = 0; i < d; i++)
            w[i] = t->m[i] + c * w[i];
        return BL_OK;
    }
    case TARGET_BANANA:
        w[0] = BANANA_A * gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[1] = BANANA_B * (w[0] * w[0] - BANANA_A * BANANA_A) +
               BANANA_S * gsl_ran_gaussian_ziggurat(rng, 1.0);
        return BL_OK;
    case TARGET_MIXTURE: {
        size_t k = gsl_rng_uniform_int(rng, MIX_K);
        w[0] = mix_mu[k][0] + MIX_SD * gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[1] = mix_mu[k][1] + MIX_SD * gsl_ran_gaussian_ziggurat(rng, 1.0);
        return BL_OK;
    }
    case TARGET_FUNNEL:
        w[1] = FUNNEL_SV * gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[0] = exp(0.5 * w[1]) * gsl_ran_gaussian_ziggurat(rng, 1.0);
        return BL_OK;
    case TARGET_MODES:
        w[0] = (gsl_rng_uniform(rng) < 0.5 ? -MODES_SEP : MODES_SEP) +
               MODES_SD * gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[1] = MODES_SD * gsl_ran_gaussian_ziggurat(rng, 1.0);
        return BL_OK;
    case TARGET_FUNNEL_NC:
        w[0] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[1] = FUNNEL_SV * gsl_ran_gaussian_ziggurat(rng, 1.0);
        return BL_OK;
    case TARGET_NORMAL:
        for (size_t i = 0; i < d; i++)
            w[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        return BL_OK;
    case TARGET_SQUIGGLE: {
        double l11 = sqrt(SQ_S11), l21 = SQ_S12 / l11, l22 = sqrt(SQ_S22 - l21 * l21);
        z1 = gsl_ran_gaussian_ziggurat(rng, 1.0);
        z2 = gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[0] = l11 * z1;
        w[1] = l21 * z1 + l22 * z2 - sin(SQ_FREQ * w[0]);
        return BL_OK;
    }
    default:
        return bl_fail(err, BL_EINVAL, "%s target: no exact draws (use a sampler)",
                       target_kind_name(t->kind));
    }
}
