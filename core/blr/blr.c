/* core/blr.c - online Bayesian linear regression in information form.
 *
 * docs/math.md §2.1-2.4. Both variants keep A = p0 I + c X^T X with
 *   known noise: p0 = alpha, c = beta;     NIG: p0 = 1/v0, c = 1
 * and b = c X^T y. Invariants after every public call:
 *   L L^T = A (row-major lower factor, strict upper triangle zero) and
 *   h = L^-1 b, except that after blocks both wait until they are read
 *   (l_stale, factor_current);
 *   m = A^-1 b (posterior mean: L^-T h after a point, the block recursion's
 *   after blocks);
 *   E = c y^T y - b^T A^-1 b = c |y - X m|^2 + p0 |m|^2   (>= 0);
 *   logdet = log det A, trinv = tr A^-1;
 *   G + P^T P = X^T X, P the up to GRAM_BATCH latest feature rows not yet
 *   added (lower triangle of G; the upper one is mirrored on demand).
 * One arrival (phi, y) is the square-root information filter step: the
 * rotations that add sqrt(c) phi to L (linalg_chol_update) also carry h and
 * yield the innovation e with e^2 = c (y - mu)^2 / (1 + c q), q = phi^T A^-1 phi,
 * so E grows by e^2 (the prediction-error decomposition). Applying them to a
 * zero row with companion 1 gives g = L_new^-1 sqrt(c) phi; one back
 * substitution with two right-hand sides then yields m = L^-T h and
 * L^-T g = sqrt(c) A_new^-1 phi, whence Sherman-Morrison for the trace:
 *   tr A_new^-1 = tr A^-1 - c |A^-1 phi|^2 / (1 + c q)
 *               = tr A^-1 - (1 + c q) |L_new^-T g|^2      (A^-1 phi = (1 + c q) A_new^-1 phi).
 * log det grows by log1p(c q) (matrix determinant lemma). So an arrival costs
 * one read+write sweep of L, one read sweep of L (two right-hand sides) and,
 * every GRAM_BATCH arrivals, one read+write sweep of the lower G:
 * O(d^2), no factorization.
 * Log evidence from the state in O(1): known noise (Bishop 3.86)
 *   (d/2) log alpha + (n/2) log beta - E/2 - logdet/2 - (n/2) log 2pi,
 * since beta |y - Xm|^2 + alpha |m|^2 = E; NIG (2.4) with b_n = b0 + E/2. */
#include "core/blr/blr.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/base/linalg.h"
#include "core/blr/block.h"

#define LOG_2PI    1.8378770664093454836
#define GRAM_BATCH 16 /* arrivals buffered before G += P^T P (one sweep of G) */

struct blr_model {
    size_t d;      /* dimension of phi */
    size_t n;      /* points observed */
    blr_opts o;    /* hyperparameters */
    double c;      /* weight of a point in A: beta (known) or 1 (NIG) */
    double *L;     /* d*d lower factor of A */
    double *G;     /* d*d X^T X; lower triangle current, upper iff g_full */
    double *h;     /* d, L^-1 b */
    double *m;     /* d, posterior mean A^-1 b */
    double *xty;   /* d, X^T y */
    double *work;  /* 4d scratch: v (d), rotations (2d), g (d) */
    double *P;     /* GRAM_BATCH*d: features not yet added to G, np rows */
    size_t np;     /* rows pending in P; G + P[0..np)^T P[0..np) = X^T X */
    double yty;    /* y^T y */
    double E;      /* c y^T y - b^T A^-1 b, see the top comment */
    double logdet; /* log det A */
    double trinv;  /* tr A^-1 */
    double jitter; /* jitter the last refit needed (docs/math.md §1.2), 0 normally */
    bool g_full;   /* upper triangle of G mirrors the lower one */
    double *block; /* the one allocation all arrays above live in */
    double *ut;    /* 2d: u = L^-1 w, then the tracked w (blr_track), or NULL */
    double *bws;   /* blr_observe_block's scratch (bws_len doubles), not copied */
    size_t bws_len;
    /* A^-1 (column-major lower), the block path's state between block calls
     * (docs/blocks.md, "Covariance form"): valid iff s_ok; any other change
     * of the state clears s_ok, and the next block call recomputes it from L.
     * Not copied. */
    double *S;
    bool s_ok;
    /* L and h behind G and X^T y by the blocks taken since they were last
     * refitted (m, E, log det and tr A^-1 are current): factor_current
     * brings them up when something reads them. Copied. */
    bool l_stale;
};

static double evidence_of(const blr_model *m, size_t count, double E, double logdet);
static void track_refresh(blr_model *m);
static int factor_current(const blr_model *cm, bl_err *err);

static size_t
block_len(size_t d)
{
    return 2 * d * d + 7 * d + GRAM_BATCH * d;
}

static void
set_pointers(blr_model *m)
{
    size_t d = m->d;
    m->L = m->block;
    m->G = m->L + d * d;
    m->h = m->G + d * d;
    m->m = m->h + d;
    m->xty = m->m + d;
    m->work = m->xty + d;
    m->P = m->work + 4 * d;
}

/* G += P^T P on the lower triangle (the rank-1 G update of each arrival,
 * batched, so G is loaded and stored once per GRAM_BATCH arrivals).
 * Logically const: the pending rows are part of the state, G a cache. */
static void
gram_flush(const blr_model *cm)
{
    blr_model *m = (blr_model *)cm;
    if (m->np == 0)
        return;
    linalg_syrk_lower(m->G, m->d, m->P, m->np);
    m->np = 0;
    m->g_full = false;
}

static int
check_opts(const blr_opts *o, bl_err *err)
{
    if (o == NULL)
        return bl_fail(err, BL_EINVAL, "blr: no options given");
    if (o->kind == BLR_KNOWN) {
        if (!(o->alpha > 0.0) || !isfinite(o->alpha))
            return bl_fail(err, BL_EINVAL, "alpha=%g: must be > 0 and finite", o->alpha);
        if (!(o->beta > 0.0) || !isfinite(o->beta))
            return bl_fail(err, BL_EINVAL, "beta=%g: must be > 0 and finite", o->beta);
    } else if (o->kind == BLR_NIG) {
        if (!(o->v0 > 0.0) || !isfinite(o->v0))
            return bl_fail(err, BL_EINVAL, "v0=%g: must be > 0 and finite", o->v0);
        if (!(o->a0 > 0.0) || !isfinite(o->a0))
            return bl_fail(err, BL_EINVAL, "a0=%g: must be > 0 and finite", o->a0);
        if (!(o->b0 > 0.0) || !isfinite(o->b0))
            return bl_fail(err, BL_EINVAL, "b0=%g: must be > 0 and finite", o->b0);
    } else {
        return bl_fail(err, BL_EINVAL, "kind=%d: must be known or nig", (int)o->kind);
    }
    return BL_OK;
}

static double
prior_prec(const blr_opts *o)
{
    return o->kind == BLR_KNOWN ? o->alpha : 1.0 / o->v0;
}

static double
obs_weight(const blr_opts *o)
{
    return o->kind == BLR_KNOWN ? o->beta : 1.0;
}

blr_model *
blr_alloc(size_t d, const blr_opts *o, bl_err *err)
{
    if (d == 0 || d > BLR_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "d=%zu: must be 1..%d", d, BLR_MAX_DIM);
        return NULL;
    }
    if (check_opts(o, err) != BL_OK)
        return NULL;
    blr_model *m = calloc(1, sizeof *m);
    double *block = calloc(block_len(d), sizeof *block);
    if (m == NULL || block == NULL) {
        free(m);
        free(block);
        bl_fail(err, BL_ENOMEM, "blr: out of memory for d=%zu", d);
        return NULL;
    }
    m->d = d;
    m->o = *o;
    m->c = obs_weight(o);
    m->block = block;
    set_pointers(m);
    /* Prior state: A = p0 I, b = 0 (calloc'ed G, h, m, X^T y are zero). */
    double p0 = prior_prec(o);
    for (size_t i = 0; i < d; i++)
        m->L[i * d + i] = sqrt(p0);
    m->logdet = (double)d * log(p0);
    m->trinv = (double)d / p0;
    m->g_full = true;
    return m;
}

void
blr_free(blr_model *m)
{
    if (m == NULL)
        return;
    free(m->block);
    free(m->ut);
    free(m->bws);
    free(m->S);
    free(m);
}

blr_model *
blr_copy(const blr_model *m, bl_err *err)
{
    blr_model *c = malloc(sizeof *c);
    double *block = malloc(block_len(m->d) * sizeof *block);
    if (c == NULL || block == NULL) {
        free(c);
        free(block);
        bl_fail(err, BL_ENOMEM, "blr: out of memory copying a model of d=%zu", m->d);
        return NULL;
    }
    double *ut = m->ut != NULL ? malloc(2 * m->d * sizeof *ut) : NULL;
    if (m->ut != NULL && ut == NULL) {
        free(c);
        free(block);
        bl_fail(err, BL_ENOMEM, "blr: out of memory copying a model of d=%zu", m->d);
        return NULL;
    }
    *c = *m;
    memcpy(block, m->block, block_len(m->d) * sizeof *block);
    if (ut != NULL)
        memcpy(ut, m->ut, 2 * m->d * sizeof *ut);
    c->ut = ut;
    c->block = block;
    c->bws = NULL;
    c->bws_len = 0;
    c->S = NULL;
    c->s_ok = false;
    set_pointers(c);
    return c;
}

size_t
blr_dim(const blr_model *m)
{
    return m->d;
}

size_t
blr_count(const blr_model *m)
{
    return m->n;
}

const blr_opts *
blr_options(const blr_model *m)
{
    return &m->o;
}

double
blr_nig_a(const blr_model *m)
{
    return m->o.kind == BLR_NIG ? m->o.a0 + 0.5 * (double)m->n : 0.0;
}

double
blr_nig_b(const blr_model *m)
{
    return m->o.kind == BLR_NIG ? m->o.b0 + 0.5 * m->E : 0.0;
}

static double
dot(const double *a, const double *b, size_t n)
{
    double s0 = 0.0, s1 = 0.0;
    size_t k = 0;
    for (; k + 2 <= n; k += 2) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
    }
    if (k < n)
        s0 += a[k] * b[k];
    return s0 + s1;
}

/* Predictive from mu = phi.m and q = phi^T A^-1 phi (docs/math.md §2.1, 2.4).
 * NIG: Student-t, df = 2 a_n, scale^2 = (b_n/a_n)(1 + q); var = scale^2 df/(df-2)
 * and var_f = (b_n/a_n) q df/(df-2) (the variance of phi.w under the marginal
 * Student-t posterior of w), both +inf while df <= 2. */
static void
pred_make_at(const blr_model *m, size_t count, double E, double mu, double q, blr_pred *p)
{
    p->mean = mu;
    if (m->o.kind == BLR_KNOWN) {
        p->var_f = q;
        p->var = 1.0 / m->o.beta + q;
        p->scale2 = p->var;
        p->df = 0.0;
    } else {
        double a = m->o.a0 + 0.5 * (double)count, b = m->o.b0 + 0.5 * E, s2 = b / a, nu = 2.0 * a;
        p->df = nu;
        p->scale2 = s2 * (1.0 + q);
        p->var = nu > 2.0 ? p->scale2 * nu / (nu - 2.0) : HUGE_VAL;
        p->var_f = nu > 2.0 ? s2 * q * nu / (nu - 2.0) : HUGE_VAL;
    }
}

static void
pred_make(const blr_model *m, double mu, double q, blr_pred *p)
{
    pred_make_at(m, m->n, m->E, mu, q, p);
}

static double
pred_logpdf(const blr_pred *p, double y)
{
    double r = y - p->mean;
    if (p->df == 0.0)
        return -0.5 * (LOG_2PI + log(p->var)) - 0.5 * r * r / p->var;
    double nu = p->df, c2 = p->scale2;
    return lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu) - 0.5 * log(nu * M_PI * c2) -
           0.5 * (nu + 1.0) * log1p(r * r / (nu * c2));
}

/* blr_observe on checked input; returns c phi^T A^-1 phi (the prior gain). */
static double
observe_checked(blr_model *m, const double *phi, double y, blr_pred *pred, double *logpred)
{
    size_t d = m->d;
    double c = m->c, sc = sqrt(c);
    double *v = m->work, *rot = m->work + d, *g = m->work + 3 * d;
    (void)factor_current(m, NULL);
    double mu = dot(phi, m->m, d);
    m->s_ok = false;
    for (size_t i = 0; i < d; i++)
        v[i] = sc * phi[i];
    double cq = linalg_chol_update(m->L, d, v, rot); /* L L^T += c phi phi^T */

    blr_pred p;
    pred_make(m, mu, cq / c, &p); /* predict first: state before this point */
    if (pred != NULL)
        *pred = p;
    if (logpred != NULL)
        *logpred = pred_logpdf(&p, y);

    double e = sc * y; /* h row with companion sqrt(c) y -> h_new, innovation e */
    linalg_givens_apply(rot, d, m->h, &e);
    double one = 1.0; /* zero row with companion 1 -> g = L_new^-1 sqrt(c) phi */
    memset(g, 0, d * sizeof *g);
    linalg_givens_apply(rot, d, g, &one);
    memcpy(m->m, m->h, d * sizeof *m->m);
    linalg_solve_lower_t2(m->L, d, m->m, g); /* m = A^-1 b, g = sqrt(c) A_new^-1 phi */
    if (m->ut != NULL) {
        double zero = 0.0; /* L_new u_new = w = [L, sqrt(c) phi] [u; 0] */
        linalg_givens_apply(rot, d, m->ut, &zero);
    }

    m->E += e * e;
    m->trinv -= (1.0 + cq) * dot(g, g, d);
    m->logdet += log1p(cq);
    for (size_t i = 0; i < d; i++)
        m->xty[i] += y * phi[i];
    memcpy(m->P + m->np * d, phi, d * sizeof *phi);
    if (++m->np == GRAM_BATCH)
        gram_flush(m);
    m->yty += y * y;
    m->n++;
    return cq;
}

int
blr_observe(blr_model *m, const double *phi, double y, blr_pred *pred, double *logpred, bl_err *err)
{
    size_t d = m->d;
    if (!isfinite(y))
        return bl_fail(err, BL_EINVAL, "y=%g: must be finite", y);
    for (size_t i = 0; i < d; i++)
        if (!isfinite(phi[i]))
            return bl_fail(err, BL_EINVAL, "phi[%zu]=%g: features must be finite", i, phi[i]);
    observe_checked(m, phi, y, pred, logpred);
    return BL_OK;
}

/* The figures of one arrival from the model's own state (after it). */
static void
arrival_from_state(const blr_model *m, const double *w, blr_arrival *a)
{
    size_t d = m->d;
    a->logdet = m->logdet;
    a->trinv = m->trinv;
    a->log_evidence = blr_log_evidence(m);
    a->nig_a = blr_nig_a(m);
    a->nig_b = blr_nig_b(m);
    a->dist = a->wqw = NAN;
    if (w != NULL) {
        double dd = 0.0;
        for (size_t i = 0; i < d; i++)
            dd += (m->m[i] - w[i]) * (m->m[i] - w[i]);
        a->dist = sqrt(dd);
        a->wqw = blr_quad_inv_prec(m, w);
    }
}

/* Arrivals from blk_solve_cov's output into out[], then the state moved
 * past the nb points: A^-1 by the dsyrk downdate, m by the per-arrival
 * steps, G, X^T y, y^T y and n from the block, E, log det and tr A^-1 from
 * the per-arrival recursion. L and h are left stale: factor_current brings
 * them up to date when they are read (one dpotrf instead of nb rank-1
 * updates). */
static void
block_commit(blr_model *m, const double *Phi, const double *y, size_t nb, const double *w,
             const double *Z, const double *mu, const double *s2, const double *e, blr_arrival *out,
             double *ws)
{
    size_t d = m->d;
    double c = m->c, E = m->E, logdet = m->logdet, trinv = m->trinv, wqw = NAN;
    double *mcur = m->m, *dv = ws;
    if (w != NULL) {
        /* w^T A^-1 w and m - w from here on, each updated per arrival. */
        cblas_dsymv(CblasColMajor, CblasLower, (int)d, 1.0, m->S, (int)d, w, 1, 0.0, dv, 1);
        wqw = dot(w, dv, d);
        for (size_t i = 0; i < d; i++)
            dv[i] = mcur[i] - w[i];
    }
    for (size_t j = 0; j < nb; j++) {
        const double *z = Z + j * d;
        blr_arrival *a = &out[j];
        /* q = phi^T A_{j-1}^-1 phi = R_jj phi.z_j: s2 - 1/c would cancel
         * once q << 1/c. */
        double q = sqrt(s2[j]) * dot(Phi + j * d, z, d);
        pred_make_at(m, m->n + j, E, mu[j], q, &a->pred);
        if (m->o.kind == BLR_KNOWN)
            a->pred.var = a->pred.scale2 = s2[j]; /* 1/beta + q, without the rounding of q */
        a->logpred = pred_logpdf(&a->pred, y[j]);
        E += e[j] * e[j];
        logdet += log(c * s2[j]);
        trinv -= dot(z, z, d);
        a->logdet = logdet;
        a->trinv = trinv;
        a->log_evidence = evidence_of(m, m->n + j + 1, E, logdet);
        a->nig_a = m->o.kind == BLR_NIG ? m->o.a0 + 0.5 * (double)(m->n + j + 1) : 0.0;
        a->nig_b = m->o.kind == BLR_NIG ? m->o.b0 + 0.5 * E : 0.0;
        a->dist = NAN;
        a->wqw = NAN;
        for (size_t i = 0; i < d; i++)
            mcur[i] += e[j] * z[i];
        if (w != NULL) {
            double zw = dot(z, w, d), dd = 0.0;
            wqw -= zw * zw;
            for (size_t i = 0; i < d; i++) {
                dv[i] += e[j] * z[i];
                dd += dv[i] * dv[i];
            }
            a->dist = sqrt(dd);
            a->wqw = wqw;
        }
    }
    blk_downdate_cov(m->S, d, Z, nb);
    gram_flush(m);
    int di = (int)d, bi = (int)nb;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, di, bi, 1.0, Phi, di, 1.0, m->G, di);
    m->g_full = false;
    cblas_dgemv(CblasRowMajor, CblasTrans, bi, di, 1.0, Phi, di, y, 1, 1.0, m->xty, 1);
    for (size_t j = 0; j < nb; j++)
        m->yty += y[j] * y[j];
    m->E = E;
    m->logdet = logdet;
    m->trinv = trinv;
    m->n += nb;
}

/* L and h from G and X^T y after blocks (L L^T = p0 I + c G), when
 * something reads them: a refit per call of blr_observe_block was d^3/6
 * multiply-adds that nothing used while blocks kept coming. m is not
 * touched (the blocks keep it), so a refit's timing cannot change any later
 * number: L is a function of G alone, whenever it is formed. Logically
 * const, like gram_flush. Cannot fail after blr_observe_block's check that
 * G is finite: p0 I + c G is positive definite, and linalg_cholesky's jitter
 * ladder covers the rounding. */
static int
factor_current(const blr_model *cm, bl_err *err)
{
    blr_model *m = (blr_model *)cm;
    if (!m->l_stale)
        return BL_OK;
    size_t d = m->d;
    double c = m->c, p0 = prior_prec(&m->o), *L = m->L;
    gram_flush(m);
    for (size_t i = 0; i < d; i++) {
        for (size_t k = 0; k <= i; k++)
            L[i * d + k] = c * m->G[i * d + k];
        L[i * d + i] += p0;
    }
    double jitter = 0.0;
    int rc = linalg_cholesky(L, d, &jitter, err);
    if (rc != BL_OK)
        return rc;
    for (size_t i = 0; i < d; i++)
        m->h[i] = c * m->xty[i];
    linalg_solve_lower(m->L, d, m->h);
    m->l_stale = false;
    track_refresh(m);
    return BL_OK;
}

/* Shortest run worth a block: below it the per-point path is as fast. */
#define BLOCK_MIN 8

int
blr_observe_block(blr_model *m, const double *Phi, const double *y, size_t nb, const double *w,
                  blr_arrival *out, bl_err *err)
{
    size_t d = m->d;
    for (size_t j = 0; j < nb; j++) {
        if (!isfinite(y[j]))
            return bl_fail(err, BL_EINVAL, "point %zu of %zu: y=%g: must be finite", j + 1, nb,
                           y[j]);
        for (size_t i = 0; i < d; i++)
            if (!isfinite(Phi[j * d + i]))
                return bl_fail(err, BL_EINVAL,
                               "point %zu of %zu: phi[%zu]=%g: features must be finite", j + 1, nb,
                               i, Phi[j * d + i]);
    }
    size_t chunk = d < BLK_MIN_DIM ? 0 : blk_chunk(d), nc = nb < chunk ? nb : chunk;
    size_t need = blk_scratch(d, nc) + d * nc + 3 * nc + d;
    if (m->bws_len < need) {
        double *ws = realloc(m->bws, need * sizeof *ws);
        if (ws == NULL)
            return bl_fail(err, BL_ENOMEM, "blr: out of memory for a block of %zu at d=%zu", nb, d);
        m->bws = ws;
        m->bws_len = need;
    }
    if (chunk > 0 && m->S == NULL && (m->S = malloc(d * d * sizeof *m->S)) == NULL)
        return bl_fail(err, BL_ENOMEM, "blr: out of memory for a block at d=%zu", d);
    double *Z = m->bws, *mu = Z + d * nc, *s2 = mu + nc, *e = s2 + nc, *cw = e + nc;
    double *bw = cw + d; /* cw: block_commit's d doubles */
    /* One OpenBLAS thread: results independent of the thread count, and a
     * second thread made these calls slower on two cores (docs/blocks.md). */
    int threads = linalg_threads_one();
    int rc = BL_OK;
    /* Blocks of blk_chunk points: the nb x nb work (1.5 d nb^2 + nb^3/6)
     * then stays below the 1.5 d^2 per point of dsymm and the downdate.
     * Below BLK_MIN_DIM the rotations are cheaper than any block. */
    size_t j = 0, backoff = BLOCK_MIN;
    while (rc == BL_OK && j < nb) {
        size_t len = nb - j < chunk ? nb - j : chunk, p = 0;
        if (len >= BLOCK_MIN && !m->s_ok) {
            /* From the factor: once per run of blocks, d^3/2 multiply-adds. */
            if ((rc = factor_current(m, err)) != BL_OK ||
                (rc = linalg_chol_inverse(m->L, d, m->S, err)) != BL_OK)
                break;
            m->s_ok = true;
        }
        if (len >= BLOCK_MIN)
            p = blk_solve_cov(m->S, d, m->m, Phi + j * d, y + j, len, m->c, Z, mu, s2, e, bw);
        if (p < len && p >= BLOCK_MIN) {
            len = p; /* the leading points that pass, as a block of their own */
            p = blk_solve_cov(m->S, d, m->m, Phi + j * d, y + j, len, m->c, Z, mu, s2, e, bw);
        }
        if (p == len && len >= BLOCK_MIN) {
            block_commit(m, Phi + j * d, y + j, len, w, Z, mu, s2, e, out + j, cw);
            m->l_stale = true;
            j += len;
            continue;
        }
        if ((rc = factor_current(m, err)) != BL_OK)
            break;
        /* A weak prior: one point at a time until the gains are small, and
         * at least `backoff` points, doubled after each refused attempt, so
         * that fluctuating gains cost O(log nb) wasted attempts. */
        double cq = HUGE_VAL;
        size_t k = 0;
        while (j < nb &&
               (chunk == 0 || cq > 0.25 * BLK_MAX_GAIN || k < backoff || nb - j < BLOCK_MIN)) {
            cq = observe_checked(m, Phi + j * d, y[j], &out[j].pred, &out[j].logpred);
            arrival_from_state(m, w, &out[j]);
            j++, k++;
        }
        if (len >= BLOCK_MIN)
            backoff *= 2;
    }
    /* Huge finite features can overflow G: then refit now, so that the
     * failure is this call's (the session replays the points one by one). */
    for (size_t i = 0; rc == BL_OK && m->l_stale && i < d; i++)
        if (!isfinite(m->G[i * d + i]))
            rc = factor_current(m, err);
    linalg_threads_restore(threads);
    return rc;
}

/* u = L^-1 w afresh, after L was refitted. */
static void
track_refresh(blr_model *m)
{
    if (m->ut == NULL)
        return;
    memcpy(m->ut, m->ut + m->d, m->d * sizeof *m->ut);
    linalg_solve_lower(m->L, m->d, m->ut);
}

int
blr_track(blr_model *m, const double *w, bl_err *err)
{
    if (w == NULL) {
        free(m->ut);
        m->ut = NULL;
        return BL_OK;
    }
    if (m->ut == NULL && (m->ut = malloc(2 * m->d * sizeof *m->ut)) == NULL)
        return bl_fail(err, BL_ENOMEM, "blr: out of memory for d=%zu", m->d);
    memcpy(m->ut + m->d, w, m->d * sizeof *w);
    if (m->l_stale)
        return factor_current(m, err); /* refreshes u */
    track_refresh(m);
    return BL_OK;
}

double
blr_tracked_quad(const blr_model *m)
{
    (void)factor_current(m, NULL);
    return m->ut != NULL ? dot(m->ut, m->ut, m->d) : (double)NAN;
}

double
blr_quad_inv_prec(const blr_model *m, const double *v)
{
    size_t d = m->d;
    double u[d]; /* d <= BLR_MAX_DIM: at most 32 KiB of stack */
    (void)factor_current(m, NULL);
    memcpy(u, v, d * sizeof *u);
    linalg_solve_lower(m->L, d, u);
    return dot(u, u, d);
}

void
blr_predict(const blr_model *m, const double *phi, blr_pred *pred)
{
    pred_make(m, dot(phi, m->m, m->d), blr_quad_inv_prec(m, phi), pred);
}

double
blr_logpdf(const blr_model *m, const double *phi, double y)
{
    blr_pred p;
    blr_predict(m, phi, &p);
    return pred_logpdf(&p, y);
}

const double *
blr_mean(const blr_model *m)
{
    return m->m;
}

int
blr_cov(const blr_model *m, double *cov, bl_err *err)
{
    int rc = factor_current(m, err);
    if (rc == BL_OK)
        rc = linalg_chol_inverse(m->L, m->d, cov, err);
    if (rc != BL_OK || m->o.kind != BLR_NIG)
        return rc;
    double a = blr_nig_a(m), s = a > 1.0 ? blr_nig_b(m) / (a - 1.0) : HUGE_VAL;
    for (size_t i = 0; i < m->d * m->d; i++)
        cov[i] *= s;
    return BL_OK;
}

double
blr_logdet_prec(const blr_model *m)
{
    return m->logdet;
}

double
blr_trace_inv_prec(const blr_model *m)
{
    return m->trinv;
}

const double *
blr_factor(const blr_model *m)
{
    (void)factor_current(m, NULL);
    return m->L;
}

/* The log evidence of a state with n points, E and logdet (see the top). */
static double
evidence_of(const blr_model *m, size_t count, double E, double logdet)
{
    double n = (double)count, d = (double)m->d;
    if (m->o.kind == BLR_KNOWN)
        return 0.5 * d * log(m->o.alpha) + 0.5 * n * log(m->o.beta) - 0.5 * E - 0.5 * logdet -
               0.5 * n * LOG_2PI;
    double a0 = m->o.a0, b0 = m->o.b0, an = a0 + 0.5 * n, bn = b0 + 0.5 * E;
    /* log det V_n - log det V0 = -log det A - d log v0 */
    return lgamma(an) - lgamma(a0) + a0 * log(b0) - an * log(bn) +
           0.5 * (-logdet - d * log(m->o.v0)) - 0.5 * n * LOG_2PI;
}

double
blr_log_evidence(const blr_model *m)
{
    return evidence_of(m, m->n, m->E, m->logdet);
}

const double *
blr_gram(const blr_model *m)
{
    gram_flush(m);
    if (!m->g_full) {
        /* Logically const: the upper triangle is a cache of the lower one. */
        blr_model *mm = (blr_model *)m;
        linalg_mirror_lower(mm->G, mm->d);
        mm->g_full = true;
    }
    return m->G;
}

const double *
blr_gram_lower(const blr_model *m)
{
    gram_flush(m);
    return m->G;
}

const double *
blr_xty(const blr_model *m)
{
    return m->xty;
}

double
blr_yty(const blr_model *m)
{
    return m->yty;
}

/* Refit under *o from the sufficient statistics into fresh arrays L, h, mean
 * (each owned by the caller) and scalars; m itself is not touched. O(d^3). */
static int
refit(const blr_model *m, const blr_opts *o, double *L, double *h, double *mean, double *E,
      double *logdet, double *trinv, double *jitter, bl_err *err)
{
    size_t d = m->d;
    double p0 = prior_prec(o), c = obs_weight(o);
    gram_flush(m);
    for (size_t i = 0; i < d; i++) {
        for (size_t k = 0; k <= i; k++)
            L[i * d + k] = c * m->G[i * d + k];
        L[i * d + i] += p0;
    }
    int rc = linalg_cholesky(L, d, jitter, err);
    if (rc != BL_OK)
        return rc;
    double *inv = malloc(d * d * sizeof *inv);
    if (inv == NULL)
        return bl_fail(err, BL_ENOMEM, "blr: out of memory refitting d=%zu", d);
    rc = linalg_chol_inverse(L, d, inv, err);
    if (rc == BL_OK) {
        double t = 0.0;
        for (size_t i = 0; i < d; i++)
            t += inv[i * d + i];
        *trinv = t;
        for (size_t i = 0; i < d; i++)
            h[i] = c * m->xty[i];
        linalg_solve_lower(L, d, h);
        memcpy(mean, h, d * sizeof *mean);
        linalg_solve_lower_t(L, d, mean);
        *E = fmax(c * m->yty - dot(h, h, d), 0.0);
        *logdet = linalg_chol_logdet(L, d);
    }
    free(inv);
    return rc;
}

int
blr_set_opts(blr_model *m, const blr_opts *o, bl_err *err)
{
    int rc = check_opts(o, err);
    if (rc != BL_OK)
        return rc;
    size_t d = m->d;
    double *L = malloc((d * d + 2 * d) * sizeof *L);
    if (L == NULL)
        return bl_fail(err, BL_ENOMEM, "blr: out of memory refitting d=%zu", d);
    double *h = L + d * d, *mean = h + d, E = 0.0, logdet = 0.0, trinv = 0.0, jitter = 0.0;
    rc = refit(m, o, L, h, mean, &E, &logdet, &trinv, &jitter, err);
    if (rc == BL_OK) {
        memcpy(m->L, L, d * d * sizeof *L);
        memcpy(m->h, h, d * sizeof *h);
        memcpy(m->m, mean, d * sizeof *mean);
        m->E = E;
        m->logdet = logdet;
        m->trinv = trinv;
        m->jitter = jitter;
        m->o = *o;
        m->c = obs_weight(o);
        m->s_ok = false;
        m->l_stale = false;
        track_refresh(m);
    }
    free(L);
    return rc;
}

int
blr_optimize(blr_model *m, int max_iter, double tol, blr_opt_result *res, const bl_cancel *cancel,
             bl_err *err)
{
    size_t d = m->d;
    if (m->o.kind != BLR_KNOWN)
        return bl_fail(err, BL_EINVAL, "optimize: needs a known-noise model, this one is nig");
    if (m->n == 0)
        return bl_fail(err, BL_ESTATE, "optimize: no data yet, observe at least 1 point");
    if (max_iter < 1)
        return bl_fail(err, BL_EINVAL, "max_iter=%d: must be >= 1", max_iter);
    if (!(tol > 0.0))
        return bl_fail(err, BL_EINVAL, "tol=%g: must be > 0", tol);

    double *V = malloc((d * d + 2 * d) * sizeof *V);
    if (V == NULL)
        return bl_fail(err, BL_ENOMEM, "optimize: out of memory for d=%zu", d);
    double *lam = V + d * d, *p = lam + d;
    gram_flush(m);
    for (size_t i = 0; i < d; i++)
        memcpy(V + i * d, m->G + i * d, (i + 1) * sizeof *V);
    int rc = linalg_eigh(V, d, lam, true, err); /* G = V diag(lam) V^T, rows of V */
    if (rc != BL_OK)
        goto done;
    for (size_t j = 0; j < d; j++) {
        lam[j] = fmax(lam[j], 0.0);       /* G is PSD; drop rounding below 0 */
        p[j] = dot(V + j * d, m->xty, d); /* coordinates of X^T y in the eigenbasis */
    }
    /* MacKay's fixed point (docs/math.md §2.2) in the eigenbasis of G:
     * m_j = beta p_j / (alpha + beta lam_j), gamma = sum beta lam_j/(alpha + beta lam_j),
     * |y - X m|^2 = y^T y - 2 m.X^T y + m^T G m = yty - sum_j (2 m_j p_j - lam_j m_j^2). */
    double alpha = m->o.alpha, beta = m->o.beta, n = (double)m->n;
    int it = 0;
    bool conv = false;
    while (!conv && it < max_iter) {
        if (bl_cancelled(cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "optimize: cancelled after %d iterations", it);
            goto done;
        }
        double gamma = 0.0, m2 = 0.0, fit = 0.0;
        for (size_t j = 0; j < d; j++) {
            double den = alpha + beta * lam[j], mj = beta * p[j] / den;
            gamma += beta * lam[j] / den;
            m2 += mj * mj;
            fit += mj * (2.0 * p[j] - lam[j] * mj);
        }
        double rss = m->yty - fit;
        if (!(m2 > 0.0) || !(rss > 0.0) || !(n - gamma > 0.0)) {
            rc =
                bl_fail(err, BL_ENUM, "optimize: evidence unbounded (|m|^2=%g, rss=%g, n-gamma=%g)",
                        m2, rss, n - gamma);
            goto done;
        }
        double a1 = gamma / m2, b1 = (n - gamma) / rss;
        conv = fabs(a1 - alpha) <= tol * a1 && fabs(b1 - beta) <= tol * b1;
        alpha = a1;
        beta = b1;
        it++;
    }
    if (!conv) {
        rc = bl_fail(err, BL_ENUM, "optimize: no convergence in %d iterations (tol=%g)", max_iter,
                     tol);
        goto done;
    }
    blr_opts o = m->o;
    o.alpha = alpha;
    o.beta = beta;
    rc = blr_set_opts(m, &o, err);
    if (rc == BL_OK && res != NULL) {
        double gamma = 0.0;
        for (size_t j = 0; j < d; j++)
            gamma += beta * lam[j] / (alpha + beta * lam[j]);
        res->iterations = it;
        res->gamma = gamma;
        res->log_evidence = blr_log_evidence(m);
    }
done:
    free(V);
    return rc;
}

double
blr_loss_at(const blr_model *m, const double *w)
{
    if (m->o.kind != BLR_KNOWN)
        return NAN;
    size_t d = m->d;
    gram_flush(m);
    double wgw = 0.0; /* w^T G w from the lower triangle */
    for (size_t i = 0; i < d; i++) {
        const double *gi = m->G + i * d;
        wgw += w[i] * (2.0 * dot(gi, w, i) + gi[i] * w[i]);
    }
    double rss = m->yty - 2.0 * dot(w, m->xty, d) + wgw, beta = m->o.beta, n = (double)m->n;
    return 0.5 * n * (LOG_2PI - log(beta)) + 0.5 * beta * rss;
}
