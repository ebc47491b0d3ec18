/* core/regret.c - closed-form BLR regret (MATH.md 3.1-3.2) and the hindsight
 * tracker regret_rls.
 *
 * The expected regret against the truth is the n x n formula of MATH.md 3.2
 * rewritten with A = alpha I + beta X^T X (d x d), which the blr model keeps
 * factored: with K = beta X X^T / alpha, beta C = I + K, and
 *   log det(beta C) = log det(A/alpha)                 (Sylvester),
 *   tr((beta C)^-1) = n - d + alpha tr(A^-1)            (K and beta X^T X/alpha share
 *                                                        nonzero eigenvalues),
 *   w^T X^T C^-1 X w = alpha |w|^2 - alpha^2 w^T A^-1 w (push-through identity),
 * so E_y R_n(w*) = (1/2) log det(A/alpha) - d/2 + (alpha/2) tr A^-1
 *                  + (alpha/2)|w*|^2 - (alpha^2/2) w*^T A^-1 w*.
 * regret_rls invariant: L L^T = G + eps I, h = L^-1 X^T y,
 * J = |y|^2 - |h|^2 = min_w |y - Xw|^2 + eps |w|^2, accumulated from the
 * innovations of linalg_givens_apply (see blr.c for the same step). */
#include "core/blr/regret.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/linalg.h"

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
};

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
    memcpy(block, r->L, (d * d + 4 * d) * sizeof *block);
    *c = *r;
    c->L = block;
    c->h = block + d * d;
    c->work = c->h + d;
    return c;
}

int
regret_rls_observe(regret_rls *r, const double *phi, double y, bl_err *err)
{
    size_t d = r->d;
    if (!isfinite(y))
        return bl_fail(err, BL_EINVAL, "y=%g: must be finite", y);
    for (size_t i = 0; i < d; i++)
        if (!isfinite(phi[i]))
            return bl_fail(err, BL_EINVAL, "phi[%zu]=%g: features must be finite", i, phi[i]);
    double *v = r->work, *rot = r->work + d;
    memcpy(v, phi, d * sizeof *v);
    linalg_chol_update(r->L, d, v, rot);
    double e = y;
    linalg_givens_apply(rot, d, r->h, &e);
    r->J += e * e;
    r->n++;
    return BL_OK;
}

size_t
regret_rls_count(const regret_rls *r)
{
    return r->n;
}

void
regret_rls_w(const regret_rls *r, double *w)
{
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
