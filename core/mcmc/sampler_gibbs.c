/* core/mcmc/sampler_gibbs.c - Gibbs samplers with exact conditionals.
 *  nig (docs/math.md §2.4, m0 = 0, V0 = v0 I), one sweep:
 *    s2 | w ~ IG(a0 + (n+d)/2, b0 + |y - Xw|^2/2 + |w|^2/(2 v0)),
 *    w | s2 ~ N(m_n, s2 V_n);
 *    |y - Xw|^2 = y^T y - 2 w.X^T y + w^T G w from the statistics, O(d^2);
 *    V_n^-1 = G + I/v0 is factored once at setup.
 *  student_t (docs/math.md §9, scale mixture lambda_i ~ Gamma(nu/2, rate nu/2)):
 *    lambda_i | w ~ Gamma((nu+1)/2, rate (nu + r_i^2/sigma^2)/2), r = y - Xw;
 *    w | lambda ~ N(A^-1 b, A^-1), A = alpha I + X^T diag(lambda/sigma^2) X,
 *    b = X^T (lambda y)/sigma^2: O(n d^2 + d^3) per sweep.
 * The state exposed is w (the marginal chain on w); nig's s2 is sampler_aux. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "core/base/linalg.h"
#include "core/mcmc/sampler_impl.h"

/* nig: chol of V_n^-1 and m_n; student_t: lambda, scaled rows. */
typedef struct gibbs_ws {
    double *L;      /* d x d */
    double *mn;     /* d */
    double *A;      /* d x d (student_t precision) */
    double *lambda; /* n */
    double *Xs;     /* n x d (student_t: sqrt(lambda_i)/sigma x_i) */
    double *b;      /* d */
} gibbs_ws;

static void
gibbs_ws_free(void *p)
{
    gibbs_ws *ws = p;
    free(ws->L);
    free(ws->mn);
    free(ws->A);
    free(ws->lambda);
    free(ws->Xs);
    free(ws->b);
}

static int
gibbs_fits(const target *t, const sampler_opts *o, bl_err *err)
{
    (void)o;
    target_kind tk = target_get_kind(t);
    if (tk != TARGET_NIG && tk != TARGET_STUDENT_T)
        return bl_fail(err, BL_EINVAL,
                       "gibbs: target %s has no conditionals to sample (choose nig or student_t)",
                       target_kind_name(tk));
    return BL_OK;
}

static int
gibbs_ws_init(sampler *s, bl_err *err)
{
    target_info ti;
    target_get_info(s->t, &ti);
    size_t d = ti.d, n = ti.n;
    gibbs_ws *ws = s->ws;
    ws->L = calloc(d * d, sizeof *ws->L);
    ws->mn = calloc(d, sizeof *ws->mn);
    ws->b = calloc(d, sizeof *ws->b);
    if (ws->L == NULL || ws->mn == NULL || ws->b == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for gibbs (d=%zu)", d);
    if (ti.kind == TARGET_NIG) {
        memcpy(ws->L, ti.G, d * d * sizeof *ws->L);
        for (size_t i = 0; i < d; i++)
            ws->L[i * d + i] += 1.0 / ti.v0;
        if (linalg_cholesky(ws->L, d, NULL, err) != BL_OK)
            return BL_ENUM;
        memcpy(ws->mn, ti.xty, d * sizeof *ws->mn);
        linalg_solve_lower(ws->L, d, ws->mn);
        linalg_solve_lower_t(ws->L, d, ws->mn);
        return BL_OK;
    }
    ws->A = calloc(d * d, sizeof *ws->A);
    ws->lambda = calloc(n, sizeof *ws->lambda);
    ws->Xs = calloc(n * d, sizeof *ws->Xs);
    if (ws->A == NULL || ws->lambda == NULL || ws->Xs == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for gibbs (n=%zu, d=%zu)", n, d);
    return BL_OK;
}

static void
nig_sweep(sampler *s, gsl_rng *rng, const target_info *ti)
{
    gibbs_ws *ws = s->ws;
    size_t d = ti->d;
    double q = ti->yty, ww = 0.0;
    for (size_t i = 0; i < d; i++) {
        double gw = 0.0;
        for (size_t j = 0; j < d; j++)
            gw += ti->G[i * d + j] * s->w[j];
        q += s->w[i] * (gw - 2.0 * ti->xty[i]);
        ww += s->w[i] * s->w[i];
    }
    double shape = ti->a0 + 0.5 * (double)(ti->n + d);
    double scale = ti->b0 + 0.5 * fmax(q, 0.0) + 0.5 * ww / ti->v0;
    double s2 = scale / gsl_ran_gamma(rng, shape, 1.0);
    for (size_t i = 0; i < d; i++)
        s->z[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    linalg_solve_lower_t(ws->L, d, s->z);
    double sd = sqrt(s2);
    for (size_t i = 0; i < d; i++)
        s->wp[i] = ws->mn[i] + sd * s->z[i];
    s->aux = s2;
}

static int
student_sweep(sampler *s, gsl_rng *rng, const target_info *ti)
{
    gibbs_ws *ws = s->ws;
    size_t d = ti->d, n = ti->n;
    double s2 = ti->sigma * ti->sigma, shape = 0.5 * (ti->nu + 1.0);
    memset(ws->b, 0, d * sizeof *ws->b);
    for (size_t i = 0; i < n; i++) {
        const double *x = ti->X + i * d;
        double f = 0.0;
        for (size_t j = 0; j < d; j++)
            f += x[j] * s->w[j];
        double r = ti->y[i] - f, rate = 0.5 * (ti->nu + r * r / s2);
        double lam = gsl_ran_gamma(rng, shape, 1.0 / rate);
        ws->lambda[i] = lam;
        double c = sqrt(lam / s2), cb = lam * ti->y[i] / s2;
        for (size_t j = 0; j < d; j++) {
            ws->Xs[i * d + j] = c * x[j];
            ws->b[j] += cb * x[j];
        }
    }
    gsl_matrix_const_view Xv = gsl_matrix_const_view_array(ws->Xs, n, d);
    gsl_matrix_view Av = gsl_matrix_view_array(ws->A, d, d);
    gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &Xv.matrix, 0.0, &Av.matrix);
    for (size_t j = 0; j < d; j++)
        ws->A[j * d + j] += ti->alpha;
    if (linalg_cholesky(ws->A, d, NULL, NULL) != BL_OK)
        return BL_ENUM;
    linalg_solve_lower(ws->A, d, ws->b);
    for (size_t i = 0; i < d; i++)
        ws->b[i] += gsl_ran_gaussian_ziggurat(rng, 1.0);
    /* w = L^-T (L^-1 b + z): mean A^-1 b plus L^-T z ~ N(0, A^-1). */
    linalg_solve_lower_t(ws->A, d, ws->b);
    memcpy(s->wp, ws->b, d * sizeof *s->wp);
    return BL_OK;
}

static int
gibbs_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    target_info ti;
    target_get_info(s->t, &ti);
    size_t d = s->d;
    ev->n_grad = 1;
    if (ti.kind == TARGET_NIG) {
        nig_sweep(s, rng, &ti);
    } else if (student_sweep(s, rng, &ti) != BL_OK) {
        ev->nonfinite = true;
        return BL_OK;
    }
    for (size_t i = 0; i < d; i++) {
        if (!isfinite(s->wp[i])) {
            ev->nonfinite = true;
            return BL_OK;
        }
    }
    memcpy(s->w, s->wp, d * sizeof *s->w);
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    sampler_event_push(ev, ev->from, 0, 0);
    sampler_event_push(ev, s->wp, 1, 0);
    double U;
    s->U = target_eval(s->t, s->w, &U, NULL, NULL) == BL_OK ? U : (double)NAN;
    ev->aux = s->aux;
    ev->accepted = true;
    ev->accept_prob = 1.0;
    return BL_OK;
}

static void
gibbs_describe(const sampler_event *ev, char *buf, size_t size)
{
    (void)ev;
    snprintf(buf, size, "a Gibbs sweep");
}

const sampler_type sampler_type_gibbs = {
    .name = "gibbs",
    .help =
        "Gibbs sweep of exact conditionals: nig s2 | w, w | s2; student_t lambda | w, w | lambda",
    .step = gibbs_step,
    .events = SAMPLER_EV_TRAJECTORY | SAMPLER_EV_AUX,
    .ws_size = sizeof(gibbs_ws),
    .ws_init = gibbs_ws_init,
    .ws_free = gibbs_ws_free,
    .fits = gibbs_fits,
    .fits_needs = "conditionals to sample: the nig posterior (model nig)",
    .fits_instead = "hmc, nuts, mala or rwm",
    .describe = gibbs_describe,
};
