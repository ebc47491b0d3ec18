/* core/regret.c - closed-form BLR regret (docs/math.md §3.1-3.2) and the hindsight
 * tracker regret_rls.
 *
 * The expected regret against the truth is the n x n formula of docs/math.md §3.2
 * rewritten with A = alpha I + beta X^T X (d x d), which the blr model keeps
 * factored: with K = beta X X^T / alpha, beta C = I + K, and
 *   log det(beta C) = log det(A/alpha)                 (Sylvester),
 *   tr((beta C)^-1) = n - d + alpha tr(A^-1)            (K and beta X^T X/alpha share
 *                                                        nonzero eigenvalues),
 *   w^T X^T C^-1 X w = alpha |w|^2 - alpha^2 w^T A^-1 w (push-through identity),
 * so E_y R_n(w*) = (1/2) log det(A/alpha) - d/2 + (alpha/2) tr A^-1
 *                  + (alpha/2)|w*|^2 - (alpha^2/2) w*^T A^-1 w*.
 * regret_rls invariant: J = min_w |y - Xw|^2 + eps |w|^2, accumulated from
 * the innovations; before the switch to the covariance form (cov_switch)
 * L L^T = G + eps I, h = L^-1 X^T y and J = |y|^2 - |h|^2, the innovations
 * those of linalg_givens_apply (see blr.c for the same step); after it
 * P = (G + eps I)^-1 and w = P X^T y (docs/blocks.md). */
#include "core/blr/regret.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/base/linalg.h"
#include "core/blr/block.h"

#define LOG_2PI 1.8378770664093454836

double
regret_bound(size_t d, double alpha, double logdet_A, double w2)
{
    return 0.5 * (logdet_A - (double)d * log(alpha)) + 0.5 * alpha * w2;
}

double
regret_at(size_t d, double alpha, double logdet_A, double w2, double quad)
{
    return regret_bound(d, alpha, logdet_A, w2) - 0.5 * quad;
}

double
regret_expected(size_t d, double alpha, double logdet_A, double tr_inv_A, double w2, double wAw)
{
    return 0.5 * (logdet_A - (double)d * log(alpha)) - 0.5 * (double)d + 0.5 * alpha * tr_inv_A +
           0.5 * alpha * w2 - 0.5 * alpha * alpha * wAw;
}

double
regret_orthogonal(size_t d, double n, double alpha, double beta, double w2)
{
    double r = n * beta / alpha, f = r / (1.0 + r);
    return 0.5 * (double)d * (log1p(r) - f) + 0.5 * alpha * w2 * f;
}

double
regret_asymptote(size_t d, double n, double alpha, double beta, double w2)
{
    double hd = 0.5 * (double)d;
    return hd * log(n) + hd * (log(beta / alpha) - 1.0) + 0.5 * alpha * w2;
}

double
regret_kl_gauss(double mu_star, double beta, double mu, double v)
{
    double r = mu_star - mu;
    return 0.5 * (log(v * beta) + (1.0 / beta + r * r) / v - 1.0);
}

struct regret_rls {
    size_t d;     /* dimension */
    size_t n;     /* points seen */
    double J;     /* min_w |y - Xw|^2 + eps |w|^2 */
    double *L;    /* d*d lower factor of G + eps I */
    double *h;    /* d, L^-1 X^T y */
    double *work; /* 3d scratch: v (d), rotations (2d) */
    double *bws;  /* regret_rls_observe_block's scratch (bws_len doubles), not copied */
    size_t bws_len;
    /* Covariance form, from the first point at which the design is well
     * conditioned on (docs/blocks.md): P = (G + eps I)^-1 (column-major
     * lower), w = P X^T y and u (scratch), in one allocation; L and h are
     * then no longer kept. NULL before. */
    double *P, *w, *u;
};

/* Switch to the covariance form once n >= d and the squared pivots of L
 * span less than 1/BLK_MIN_PIVOT: from there on G + eps I is far from
 * singular, the gains phi^T P phi are O(d/n), and the downdates of P lose
 * nothing to cancellation. Both paths check it after every point, so a
 * block call and point calls switch at the same arrival. */
static void
cov_switch(regret_rls *r)
{
    size_t d = r->d;
    if (r->P != NULL || r->n < d || d < BLK_MIN_DIM)
        return;
    double lo = HUGE_VAL, hi = 0.0;
    for (size_t i = 0; i < d; i++) {
        double l2 = r->L[i * d + i] * r->L[i * d + i];
        lo = fmin(lo, l2);
        hi = fmax(hi, l2);
    }
    if (!(lo > BLK_MIN_PIVOT * hi))
        return;
    double *P = malloc((d * d + 2 * d) * sizeof *P);
    if (P == NULL)
        return; /* stays in the factor form, which is as exact */
    int threads = linalg_threads_one(); /* the same bits at any thread count */
    int rc = linalg_chol_inverse(r->L, d, P, NULL);
    linalg_threads_restore(threads);
    if (rc != BL_OK) {
        free(P);
        return;
    }
    r->P = P;
    r->w = P + d * d;
    r->u = r->w + d;
    memcpy(r->w, r->h, d * sizeof *r->w);
    linalg_solve_lower_t(r->L, d, r->w);
}

regret_rls *
regret_rls_alloc(size_t d, bl_err *err)
{
    if (d == 0 || d > REGRET_RLS_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "d=%zu: must be 1..%d", d, REGRET_RLS_MAX_DIM);
        return NULL;
    }
    regret_rls *r = calloc(1, sizeof *r);
    double *block = calloc(d * d + 4 * d, sizeof *block);
    if (r == NULL || block == NULL) {
        free(r);
        free(block);
        bl_fail(err, BL_ENOMEM, "regret: out of memory for d=%zu", d);
        return NULL;
    }
    r->d = d;
    r->L = block;
    r->h = block + d * d;
    r->work = r->h + d;
    for (size_t i = 0; i < d; i++)
        r->L[i * d + i] = sqrt(REGRET_RLS_EPS);
    return r;
}

void
regret_rls_free(regret_rls *r)
{
    if (r == NULL)
        return;
    free(r->L);
    free(r->bws);
    free(r->P);
    free(r);
}

regret_rls *
regret_rls_copy(const regret_rls *r, bl_err *err)
{
    size_t d = r->d;
    regret_rls *c = malloc(sizeof *c);
    double *block = malloc((d * d + 4 * d) * sizeof *block);
    if (c == NULL || block == NULL) {
        free(c);
        free(block);
        bl_fail(err, BL_ENOMEM, "regret: out of memory for d=%zu", d);
        return NULL;
    }
    double *P = r->P != NULL ? malloc((d * d + 2 * d) * sizeof *P) : NULL;
    if (r->P != NULL && P == NULL) {
        free(c);
        free(block);
        bl_fail(err, BL_ENOMEM, "regret: out of memory for d=%zu", d);
        return NULL;
    }
    memcpy(block, r->L, (d * d + 4 * d) * sizeof *block);
    *c = *r;
    if (P != NULL) {
        memcpy(P, r->P, (d * d + 2 * d) * sizeof *P);
        c->P = P;
        c->w = P + d * d;
        c->u = c->w + d;
    }
    c->L = block;
    c->h = block + d * d;
    c->work = c->h + d;
    c->bws = NULL;
    c->bws_len = 0;
    return c;
}

/* One checked point; returns phi^T (G + eps I)^-1 phi before it. */
static double
observe_checked(regret_rls *r, const double *phi, double y)
{
    size_t d = r->d;
    if (r->P != NULL) {
        double res = y;
        for (size_t i = 0; i < d; i++)
            res -= phi[i] * r->w[i];
        double q = linalg_cov_update(r->P, d, phi, 1.0, r->u), g = res / (1.0 + q);
        for (size_t i = 0; i < d; i++)
            r->w[i] += g * r->u[i];
        r->J += res * g;
        r->n++;
        return q;
    }
    double *v = r->work, *rot = r->work + d;
    memcpy(v, phi, d * sizeof *v);
    double q = linalg_chol_update(r->L, d, v, rot);
    double e = y;
    linalg_givens_apply(rot, d, r->h, &e);
    r->J += e * e;
    r->n++;
    cov_switch(r);
    return q;
}

static int
check_point(size_t d, const double *phi, double y, bl_err *err)
{
    if (!isfinite(y))
        return bl_fail(err, BL_EINVAL, "y=%g: must be finite", y);
    for (size_t i = 0; i < d; i++)
        if (!isfinite(phi[i]))
            return bl_fail(err, BL_EINVAL, "phi[%zu]=%g: features must be finite", i, phi[i]);
    return BL_OK;
}

int
regret_rls_observe(regret_rls *r, const double *phi, double y, bl_err *err)
{
    int rc = check_point(r->d, phi, y, err);
    if (rc == BL_OK)
        observe_checked(r, phi, y);
    return rc;
}

double
regret_min_loss(size_t count, double rss, double beta)
{
    double n = (double)count;
    return 0.5 * n * (LOG_2PI - log(beta)) + 0.5 * beta * rss;
}

double
regret_min_loss_profile(size_t count, double rss)
{
    if (count == 0)
        return 0.0;
    double n = (double)count;
    return rss > 0.0 ? 0.5 * n * (LOG_2PI + log(rss / n) + 1.0) : -HUGE_VAL;
}

static double
norm2(const double *a, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * a[i];
    return s;
}

/* The nb points at Phi as one block in covariance form, or BL_ENUM when a
 * gain is too large for it (nothing changed). */
static int
block_try(regret_rls *r, const double *Phi, const double *y, size_t nb, double *rss, double *w2,
          double *ws)
{
    size_t d = r->d;
    double *Z = ws, *mu = Z + d * nb, *s2 = mu + nb, *e = s2 + nb, *bw = e + nb;
    if (blk_solve_cov(r->P, d, r->w, Phi, y, nb, 1.0, Z, mu, s2, e, bw) != nb)
        return BL_ENUM;
    double J = r->J, *w = r->w;
    for (size_t j = 0; j < nb; j++) {
        J += e[j] * e[j];
        cblas_daxpy((int)d, e[j], Z + j * d, 1, w, 1);
        w2[j] = norm2(w, d);
        rss[j] = fmax(J - REGRET_RLS_EPS * w2[j], 0.0);
    }
    blk_downdate_cov(r->P, d, Z, nb);
    r->J = J;
    r->n += nb;
    return BL_OK;
}

int
regret_rls_observe_block(regret_rls *r, const double *Phi, const double *y, size_t nb,
                         double *rss, double *w2, bl_err *err)
{
    size_t d = r->d;
    int rc = BL_OK;
    for (size_t j = 0; j < nb && rc == BL_OK; j++)
        rc = check_point(d, Phi + j * d, y[j], err);
    if (rc != BL_OK)
        return rc;
    size_t cb = blk_chunk(d), nc = nb < cb ? nb : cb;
    size_t need = blk_scratch(d, nc) + d * nc + 3 * nc + d;
    if (r->bws_len < need) {
        double *ws = realloc(r->bws, need * sizeof *ws);
        if (ws == NULL)
            return bl_fail(err, BL_ENOMEM, "regret: out of memory for a block of %zu at d=%zu", nb,
                           d);
        r->bws = ws;
        r->bws_len = need;
    }
    double *ws = r->bws;
    /* One OpenBLAS thread: results independent of the thread count, and a
     * second thread made these calls slower on two cores (docs/blocks.md). */
    int threads = linalg_threads_one();
    /* One at a time until the tracker is in covariance form (the design is
     * rank-deficient or ill-conditioned before) or while the gains are
     * large; then blocks of blk_chunk points. */
    size_t j = 0, backoff = 8, k = backoff;
    double q = 0; /* try a block at once; blk_solve_cov checks the gains */
    while (j < nb) {
        if (r->P != NULL && q <= 0.25 * BLK_MAX_GAIN && k >= backoff && nb - j >= 8) {
            size_t len = nb - j < cb ? nb - j : cb;
            if (block_try(r, Phi + j * d, y + j, len, rss + j, w2 + j, ws) == BL_OK) {
                j += len;
                continue;
            }
            /* Refused: more points one at a time before the next try. */
            backoff *= 2;
            k = 0;
        }
        q = observe_checked(r, Phi + j * d, y[j]);
        regret_rls_w(r, ws);
        w2[j] = norm2(ws, d);
        rss[j] = fmax(r->J - REGRET_RLS_EPS * w2[j], 0.0); /* regret_rls_rss without a solve */
        j++, k++;
    }
    linalg_threads_restore(threads);
    return rc;
}

size_t
regret_rls_count(const regret_rls *r)
{
    return r->n;
}

void
regret_rls_w(const regret_rls *r, double *w)
{
    if (r->P != NULL) {
        memcpy(w, r->w, r->d * sizeof *w);
        return;
    }
    memcpy(w, r->h, r->d * sizeof *w);
    linalg_solve_lower_t(r->L, r->d, w);
}

double
regret_rls_rss(const regret_rls *r)
{
    size_t d = r->d;
    double w[d]; /* d <= REGRET_RLS_MAX_DIM: at most 32 KiB of stack */
    regret_rls_w(r, w);
    double w2 = 0.0;
    for (size_t i = 0; i < d; i++)
        w2 += w[i] * w[i];
    return fmax(r->J - REGRET_RLS_EPS * w2, 0.0);
}

double
regret_rls_min_loss(const regret_rls *r, double beta)
{
    double n = (double)r->n;
    return 0.5 * n * (LOG_2PI - log(beta)) + 0.5 * beta * regret_rls_rss(r);
}

double
regret_rls_min_loss_profile(const regret_rls *r)
{
    if (r->n == 0)
        return 0.0;
    double n = (double)r->n, rss = regret_rls_rss(r);
    return rss > 0.0 ? 0.5 * n * (LOG_2PI + log(rss / n) + 1.0) : -HUGE_VAL;
}
