/* core/lens.c - the universality lens (docs/math.md §3.3): exact Bayes mixture over
 * M Gaussian linear hypotheses, W(eps) and the bound min_eps[-log W + n eps].
 *
 * Hot path (lens_observe): one gsl_blas_dgemv for the M predictions, then one
 * pass that forms a_j = log w_j + loglik_j (renormalising the previous step's
 * log weights on the fly) and tracks max a_j, then one pass of exp for the
 * log-sum-exp (docs/math.md §1.3). The new normaliser is stored, not subtracted:
 * the next arrival's first pass subtracts it, so the M-vector is streamed
 * twice per arrival besides the dgemv's read of W.
 * The Gaussian-prior bound uses its own Poisson-mixture ncx2 pdf and cdf with a
 * RELATIVE stopping rule, because W(eps) ~ eps^(d/2) is tiny at small eps and
 * an absolute 1e-16 cut-off (as in concentration_ncx2_cdf) would lose it. */
#include "core/theory/lens.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

#include "core/base/err.h"
#include "core/base/linalg.h"

struct lens {
    size_t M, d;       /* class size, dimension */
    double beta;       /* noise precision */
    double *W;         /* M x d row-major hypotheses */
    double *wstar;     /* truth, d */
    double *logw;      /* log posterior weights, normalised after subtracting lognorm */
    double lognorm;    /* pending normaliser of logw */
    double *pred;      /* M scratch: x.w_j */
    double *kl_sorted; /* M: KL_j ascending */
    size_t *order;     /* M: order[i] = j of the i-th smallest KL */
    double *hx, *hy;   /* lower hull of (KL, -log W) over distinct KL values */
    size_t nh;         /* hull vertices */
    size_t best;       /* argmin_j KL_j */
    size_t n;          /* arrivals */
    double cum_loss;   /* L_n(mixture), nats */
    double cum_truth;  /* L_n(w*), nats */
};

typedef struct {
    double kl;
    size_t j;
} kl_pair;

static int
cmp_pair(const void *a, const void *b)
{
    const kl_pair *p = a, *q = b;
    if (p->kl < q->kl)
        return -1;
    if (p->kl > q->kl)
        return 1;
    return (p->j > q->j) - (p->j < q->j);
}

/* exp(x) for x <= 0, within 2 ulp, 0 below -708: x = k ln2 + r with
 * |r| <= ln2/2 (k by the 1.5 * 2^52 rounding trick), exp(r) by its Taylor
 * polynomial of degree 13 (remainder < 4e-18 relative), 2^k assembled in the
 * exponent bits. Branch-free and integer-free apart from 64-bit adds and
 * shifts, so GCC vectorises the block loop below with plain SSE2; it is what
 * keeps the M exps of lens_observe near the cost of the dgemv (bench_lens.c). */
/* See lens_observe: skipped terms are below e^(LENS_EXP_CUT) each, so with
 * the largest term above e^(LENS_EXP_TRUST) they change the sum by less than
 * M e^(CUT - TRUST) relative <= 5e7 e^(-80) < 1e-27 for any allowed M. */
#define LENS_EXP_CUT   (-100.0)
#define LENS_EXP_TRUST (-20.0)

static inline double
exp_neg(double x)
{
    const double shift = 0x1.8p52, log2e = 1.4426950408889634;
    const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
    double xc = x < -708.0 ? -708.0 : x;
    double t = xc * log2e + shift;
    double kd = t - shift;
    double r = (xc - kd * ln2hi) - kd * ln2lo;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t tb, sb;
    memcpy(&tb, &t, sizeof tb);
    sb = (tb + 1023u) << 52; /* low bits of t hold k (two's complement) */
    double sc;
    memcpy(&sc, &sb, sizeof sc);
    double v = p * sc;
    return x < -708.0 ? 0.0 : v;
}

/* sum_j exp(a_j - mx) over n values, in blocks of 8 so the loop vectorises. */
static double
sum_exp(const double *a, size_t n, double mx)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += exp_neg(a[j + (size_t)l] - mx);
    double s = 0.0;
    for (; j < n; j++)
        s += exp_neg(a[j] - mx);
    for (int l = 0; l < 8; l++)
        s += acc[l];
    return s;
}

/* KL, sorted order and the lower hull of (KL, -log W) for the current truth.
 * All-or-nothing: on BL_ENOMEM L is unchanged. */
static int
lens_prepare(lens *L, const double *w_star, bl_err *err)
{
    size_t M = L->M, d = L->d;
    kl_pair *p = malloc(M * sizeof *p);
    double *hx = malloc(M * sizeof *hx), *hy = malloc(M * sizeof *hy);
    if (!p || !hx || !hy) {
        free(p), free(hx), free(hy);
        return bl_fail(err, BL_ENOMEM, "lens: out of memory for M=%zu", M);
    }
    for (size_t j = 0; j < M; j++) {
        const double *w = L->W + j * d;
        double q = 0.0;
        for (size_t i = 0; i < d; i++) {
            double e = w[i] - w_star[i];
            q += e * e;
        }
        p[j].kl = 0.5 * L->beta * q; /* docs/math.md §3.3, Sigma_x = I */
        p[j].j = j;
    }
    qsort(p, M, sizeof *p, cmp_pair);
    for (size_t i = 0; i < M; i++) {
        L->kl_sorted[i] = p[i].kl;
        L->order[i] = p[i].j;
    }
    L->best = p[0].j;
    free(p);
    /* Andrew's monotone chain over the distinct values (x ascending, y = -log W
     * descending): keep a vertex only while the turn is strictly convex. */
    size_t nh = 0;
    double logM = log((double)M);
    for (size_t i = 0; i < M; i++) {
        if (i + 1 < M && L->kl_sorted[i + 1] == L->kl_sorted[i])
            continue; /* take the last of a run of ties: count through it */
        double x = L->kl_sorted[i], y = logM - log((double)(i + 1));
        while (nh >= 2) {
            double x1 = hx[nh - 2], y1 = hy[nh - 2], x2 = hx[nh - 1], y2 = hy[nh - 1];
            /* drop vertex 2 unless it lies strictly below the chord 1-3 */
            if ((y2 - y1) * (x - x1) >= (y - y1) * (x2 - x1))
                nh--;
            else
                break;
        }
        hx[nh] = x;
        hy[nh] = y;
        nh++;
    }
    memcpy(L->wstar, w_star, d * sizeof *w_star);
    free(L->hx), free(L->hy);
    L->hx = hx;
    L->hy = hy;
    L->nh = nh;
    double logpi = -logM;
    for (size_t j = 0; j < M; j++)
        L->logw[j] = logpi;
    L->lognorm = 0.0;
    L->n = 0;
    L->cum_loss = L->cum_truth = 0.0;
    return BL_OK;
}

static lens *
lens_new(size_t M, size_t d, double beta, bl_err *err)
{
    if (M < 1 || M > LENS_MAX_M) {
        bl_fail(err, BL_EINVAL, "M=%zu: must be in 1..%d", M, LENS_MAX_M);
        return NULL;
    }
    if (d < 1 || d > LENS_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..%d", d, LENS_MAX_DIM);
        return NULL;
    }
    if (M > (size_t)-1 / sizeof(double) / d) {
        bl_fail(err, BL_ENOMEM, "M=%zu, d=%zu: class too large", M, d);
        return NULL;
    }
    if (!(beta > 0) || !isfinite(beta)) {
        bl_fail(err, BL_EINVAL, "beta=%g: must be finite and > 0", beta);
        return NULL;
    }
    lens *L = calloc(1, sizeof *L);
    if (!L)
        goto nomem;
    L->M = M;
    L->d = d;
    L->beta = beta;
    L->W = malloc(M * d * sizeof *L->W);
    L->wstar = malloc(d * sizeof *L->wstar);
    L->logw = malloc(M * sizeof *L->logw);
    L->pred = malloc(M * sizeof *L->pred);
    L->kl_sorted = malloc(M * sizeof *L->kl_sorted);
    L->order = malloc(M * sizeof *L->order);
    if (!L->W || !L->wstar || !L->logw || !L->pred || !L->kl_sorted || !L->order)
        goto nomem;
    return L;
nomem:
    lens_free(L);
    bl_fail(err, BL_ENOMEM, "lens: out of memory for M=%zu, d=%zu", M, d);
    return NULL;
}

double
lens_bytes(size_t M, size_t d)
{
    /* W (M d), logw, pred, kl_sorted, order (M each), and in lens_prepare
     * the (KL, j) pairs and the two hull arrays (4 M). */
    return (double)M * (double)sizeof(double) * ((double)d + 8) + 1024;
}

void
lens_free(lens *L)
{
    if (!L)
        return;
    free(L->W), free(L->wstar), free(L->logw), free(L->pred);
    free(L->kl_sorted), free(L->order), free(L->hx), free(L->hy);
    free(L);
}

lens *
lens_alloc(const lens_opts *o, const double *w_star, gsl_rng *rng, bl_err *err)
{
    if (!o || !w_star) {
        bl_fail(err, BL_EINVAL, "lens: options and truth are required");
        return NULL;
    }
    switch (o->kind) {
    case LENS_GAUSS:
        if (!(o->alpha > 0) || !isfinite(o->alpha)) {
            bl_fail(err, BL_EINVAL, "alpha=%g: must be finite and > 0", o->alpha);
            return NULL;
        }
        break;
    case LENS_BOX:
        if (!(o->box > 0) || !isfinite(o->box)) {
            bl_fail(err, BL_EINVAL, "box=%g: must be finite and > 0", o->box);
            return NULL;
        }
        break;
    case LENS_GRID:
        if (o->d != 1) {
            bl_fail(err, BL_EINVAL, "d=%zu: a grid class is 1-D, need d=1", o->d);
            return NULL;
        }
        if (o->M < 2) {
            bl_fail(err, BL_EINVAL, "M=%zu: a grid needs >= 2 points", o->M);
            return NULL;
        }
        if (!isfinite(o->lo) || !isfinite(o->hi) || !(o->lo < o->hi)) {
            bl_fail(err, BL_EINVAL, "lo=%g, hi=%g: need finite lo < hi", o->lo, o->hi);
            return NULL;
        }
        break;
    default:
        bl_fail(err, BL_EINVAL, "kind=%d: must be gauss, box or grid", (int)o->kind);
        return NULL;
    }
    if (o->kind != LENS_GRID && !rng) {
        bl_fail(err, BL_EINVAL, "lens: a random class needs a gsl_rng");
        return NULL;
    }
    if (o->d >= 1 && o->d <= LENS_MAX_DIM && !linalg_all_finite(w_star, o->d)) {
        bl_fail(err, BL_EINVAL, "truth: entries must be finite");
        return NULL;
    }
    if (o->max_bytes > 0 && o->M <= LENS_MAX_M && o->d <= LENS_MAX_DIM &&
        lens_bytes(o->M, o->d) > o->max_bytes) {
        bl_fail(err, BL_ENOMEM, "lens: M=%zu, d=%zu needs %.3g GB, more than the limit of %.3g GB",
                o->M, o->d, lens_bytes(o->M, o->d) / 1e9, o->max_bytes / 1e9);
        return NULL;
    }
    lens *L = lens_new(o->M, o->d, o->beta, err);
    if (!L)
        return NULL;
    size_t Md = o->M * o->d;
    if (o->kind == LENS_GAUSS || o->kind == LENS_BOX) {
        /* Same draws in the same order as one loop; the blocks only let a
         * class of 10^9 numbers be interrupted. */
        double sd = 1.0 / sqrt(o->alpha);
        for (size_t i0 = 0; i0 < Md; i0 += 1u << 16) {
            if (bl_cancelled(o->cancel)) {
                lens_free(L);
                bl_fail(err, BL_ECANCEL, "lens: interrupted while drawing %zu hypotheses", o->M);
                return NULL;
            }
            size_t i1 = Md - i0 > (1u << 16) ? i0 + (1u << 16) : Md;
            if (o->kind == LENS_GAUSS)
                for (size_t i = i0; i < i1; i++)
                    L->W[i] = gsl_ran_gaussian_ziggurat(rng, sd);
            else
                for (size_t i = i0; i < i1; i++)
                    L->W[i] = o->box * (2.0 * gsl_rng_uniform(rng) - 1.0);
        }
    } else {
        for (size_t j = 0; j < o->M; j++)
            L->W[j] = o->lo + (o->hi - o->lo) * (double)j / (double)(o->M - 1);
    }
    if (lens_prepare(L, w_star, err) != BL_OK) {
        lens_free(L);
        return NULL;
    }
    return L;
}

lens *
lens_alloc_class(size_t M, size_t d, const double *W, double beta, const double *w_star,
                 bl_err *err)
{
    if (!W || !w_star) {
        bl_fail(err, BL_EINVAL, "lens: class and truth are required");
        return NULL;
    }
    lens *L = lens_new(M, d, beta, err);
    if (!L)
        return NULL;
    if (!linalg_all_finite(W, M * d) || !linalg_all_finite(w_star, d)) {
        lens_free(L);
        bl_fail(err, BL_EINVAL, "class or truth: entries must be finite");
        return NULL;
    }
    memcpy(L->W, W, M * d * sizeof *W);
    if (lens_prepare(L, w_star, err) != BL_OK) {
        lens_free(L);
        return NULL;
    }
    return L;
}

int
lens_set_truth(lens *L, const double *w_star, bl_err *err)
{
    if (!w_star || !linalg_all_finite(w_star, L->d))
        return bl_fail(err, BL_EINVAL, "truth: entries must be finite");
    return lens_prepare(L, w_star, err);
}

int
lens_observe(lens *L, const double *x, double y, lens_step *st, bl_err *err)
{
    size_t M = L->M, d = L->d;
    if (!isfinite(y) || !linalg_all_finite(x, d))
        return bl_fail(err, BL_EINVAL, "lens: x and y must be finite");
    gsl_matrix_const_view Wv = gsl_matrix_const_view_array(L->W, M, d);
    gsl_vector_const_view xv = gsl_vector_const_view_array(x, d);
    gsl_vector_view pv = gsl_vector_view_array(L->pred, M);
    int rc = gsl_blas_dgemv(CblasNoTrans, 1.0, &Wv.matrix, &xv.vector, 0.0, &pv.vector);
    if (rc != GSL_SUCCESS)
        return bl_fail(err, BL_ENUM, "lens: dgemv failed (%s)", gsl_strerror(rc));
    /* a_j = log w_j(prior to this arrival, normalised) + log N(y; x.w_j, 1/beta)
     * without the constant -(1/2)log(2 pi/beta), added once below. */
    const double hb = 0.5 * L->beta, off = L->lognorm;
    double *lw = L->logw;
    const double *p = L->pred;
    /* a_j <= 0 always (a normalised log weight plus a non-positive log-lik
     * without its constant), so exp(a_j) cannot overflow and one fused pass
     * can form a_j, their max and sum exp(a_j). Only when every a_j is below
     * -600 (an outlier y) would that sum lose precision to underflow; then a
     * second pass shifts by the max (docs/math.md §1.3). Blocks of 8 vectorise. */
    double mxv[8], sv[8];
    for (int l = 0; l < 8; l++)
        mxv[l] = -HUGE_VAL, sv[l] = 0.0;
    size_t j = 0;
    /* Hypotheses far out of the running (a_j < LENS_EXP_CUT) add less than
     * M e^(cut) to the sum; exps are skipped for blocks of 8 that are all
     * below the cut. Whenever the largest a_j is below LENS_EXP_TRUST that
     * could matter, and the sum is redone exactly below. Early on nothing is
     * skipped; once the posterior concentrates, most blocks are. */
    for (; j + 8 <= M; j += 8) {
        double blockmax = -HUGE_VAL;
        for (int l = 0; l < 8; l++) {
            double r = y - p[j + (size_t)l];
            double a = lw[j + (size_t)l] - off - hb * r * r;
            lw[j + (size_t)l] = a;
            mxv[l] = a > mxv[l] ? a : mxv[l];
            blockmax = a > blockmax ? a : blockmax;
        }
        if (blockmax > LENS_EXP_CUT)
            for (int l = 0; l < 8; l++)
                sv[l] += exp_neg(lw[j + (size_t)l]);
    }
    for (; j < M; j++) {
        double r = y - p[j];
        double a = lw[j] - off - hb * r * r;
        lw[j] = a;
        mxv[0] = a > mxv[0] ? a : mxv[0];
        sv[0] += exp_neg(a);
    }
    double mx = mxv[0], s = 0.0;
    for (int l = 0; l < 8; l++) {
        mx = mxv[l] > mx ? mxv[l] : mx;
        s += sv[l];
    }
    double lse = mx >= LENS_EXP_TRUST ? log(s) : mx + log(sum_exp(lw, M, mx));
    double c = -0.5 * log(2.0 * M_PI / L->beta);
    double logq = lse + c; /* log q_t(y) = lse_j(log w_j + log p(y|x,w_j)) */
    L->lognorm = lse;
    double rt = y - lens_truth_mean(L, x);
    double truth_loss = hb * rt * rt - c;
    L->n++;
    L->cum_loss += -logq;
    L->cum_truth += truth_loss;
    if (st) {
        st->logloss = -logq;
        st->truth_loss = truth_loss;
        st->regret = L->cum_loss - L->cum_truth;
        st->post_best = exp(lw[L->best] - lse);
    }
    return BL_OK;
}

void
lens_predict(const lens *L, const double *x, double *mean, double *var)
{
    /* Two passes without scratch: max of log weights, then weighted moments. */
    double mx = -HUGE_VAL;
    for (size_t j = 0; j < L->M; j++)
        mx = L->logw[j] > mx ? L->logw[j] : mx;
    double s = 0.0, s1 = 0.0, s2 = 0.0;
    for (size_t j = 0; j < L->M; j++) {
        double w = exp(L->logw[j] - mx);
        const double *h = L->W + j * L->d;
        double f = 0.0;
        for (size_t i = 0; i < L->d; i++)
            f += h[i] * x[i];
        s += w;
        s1 += w * f;
        s2 += w * f * f;
    }
    double m = s1 / s, v = s2 / s - m * m;
    *mean = m;
    if (var)
        *var = 1.0 / L->beta + (v > 0 ? v : 0.0);
}

double
lens_truth_mean(const lens *L, const double *x)
{
    double f = 0.0;
    for (size_t i = 0; i < L->d; i++)
        f += L->wstar[i] * x[i];
    return f;
}

double
lens_draw_y(const lens *L, const double *x, gsl_rng *rng)
{
    return lens_truth_mean(L, x) + gsl_ran_gaussian(rng, 1.0 / sqrt(L->beta));
}

size_t
lens_count(const lens *L)
{
    return L->n;
}

size_t
lens_size(const lens *L)
{
    return L->M;
}

size_t
lens_dim(const lens *L)
{
    return L->d;
}

double
lens_beta(const lens *L)
{
    return L->beta;
}

const double *
lens_hypothesis(const lens *L, size_t j)
{
    return j < L->M ? L->W + j * L->d : NULL;
}

double
lens_cum_logloss(const lens *L)
{
    return L->cum_loss;
}

double
lens_cum_truth_loss(const lens *L)
{
    return L->cum_truth;
}

double
lens_regret(const lens *L)
{
    return L->cum_loss - L->cum_truth;
}

double
lens_log_post(const lens *L, size_t j)
{
    return L->logw[j] - L->lognorm;
}

double
lens_regret_vs(const lens *L, size_t j)
{
    /* L_n(mix) - L_n(w_j) = log w_j(post) - log pi_j (module comment). */
    return lens_log_post(L, j) + log((double)L->M);
}

double
lens_regret_best(const lens *L)
{
    double mx = -HUGE_VAL;
    for (size_t j = 0; j < L->M; j++)
        mx = L->logw[j] > mx ? L->logw[j] : mx;
    return mx - L->lognorm + log((double)L->M);
}

size_t
lens_best_index(const lens *L)
{
    return L->best;
}

/* Number of KL values <= eps (upper bound in the sorted array). */
static size_t
count_le(const lens *L, double eps)
{
    size_t lo = 0, hi = L->M;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->kl_sorted[mid] <= eps)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double
lens_post_ball(const lens *L, double eps)
{
    size_t c = count_le(L, eps);
    if (c == 0)
        return 0.0;
    double mx = -HUGE_VAL;
    for (size_t i = 0; i < c; i++) {
        double a = L->logw[L->order[i]];
        mx = a > mx ? a : mx;
    }
    double s = 0.0;
    for (size_t i = 0; i < c; i++)
        s += exp(L->logw[L->order[i]] - mx);
    double r = exp(mx - L->lognorm + log(s));
    return r > 1.0 ? 1.0 : r;
}

const double *
lens_kl_sorted(const lens *L)
{
    return L->kl_sorted;
}

double
lens_logW(const lens *L, double eps)
{
    size_t c = count_le(L, eps);
    return c == 0 ? -HUGE_VAL : log((double)c) - log((double)L->M);
}

void
lens_bound_at(const lens *L, double n, lens_bound *b)
{
    /* Edge slopes of the lower hull increase; the objective y + n x decreases
     * across edge i iff slope_i < -n. Binary search the first edge with
     * slope >= -n: its left vertex is the argmin (the smallest eps on ties). */
    size_t lo = 0, hi = L->nh - 1; /* edges 0..nh-2; answer in 0..nh-1 */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double slope = (L->hy[mid + 1] - L->hy[mid]) / (L->hx[mid + 1] - L->hx[mid]);
        if (slope < -n)
            lo = mid + 1;
        else
            hi = mid;
    }
    b->eps_star = L->hx[lo];
    b->logW = -L->hy[lo];
    b->bound = L->hy[lo] + n * L->hx[lo];
}

/* ---- Gaussian prior: noncentral chi-square with a relative stopping rule ---- */

/* Poisson(j; h) weight, log form (h = lam/2 > 0). */
static double
pois_log(size_t j, double h)
{
    return -h + (double)j * log(h) - gsl_sf_lngamma((double)j + 1.0);
}

/* F and f of chi'^2(k, lam) at x > 0, both by the Poisson mixture
 * (docs/math.md §1.8): all terms below the Poisson mode, then upward until a term is
 * below 1e-17 of the running sum (for both sums; past the mode the Poisson
 * weights and F_chisq(x; k + 2j) both decrease in j, the pdf terms
 * eventually too). */
static void
ncx2_cdf_pdf(double x, double k, double lam, double *F, double *f)
{
    double h = 0.5 * lam, sF = 0.0, sf = 0.0;
    if (h == 0.0) {
        *F = gsl_cdf_chisq_P(x, k);
        *f = gsl_ran_chisq_pdf(x, k);
        return;
    }
    size_t j0 = (size_t)floor(h);
    for (size_t j = 0;; j++) {
        double pw = exp(pois_log(j, h));
        double tF = pw * gsl_cdf_chisq_P(x, k + 2.0 * (double)j);
        double tf = pw * gsl_ran_chisq_pdf(x, k + 2.0 * (double)j);
        sF += tF;
        sf += tf;
        if (j > j0 && tF <= 1e-17 * sF && tf <= 1e-17 * sf)
            break;
        if (j > j0 + 100000)
            break;
    }
    *F = sF;
    *f = sf;
}

double
lens_gauss_logW(double eps, size_t d, double alpha, double beta, double w2)
{
    if (d == 0 || !(alpha > 0) || !(beta > 0) || !(w2 >= 0))
        return NAN;
    if (!(eps > 0))
        return -HUGE_VAL;
    double F, f;
    ncx2_cdf_pdf(2.0 * alpha * eps / beta, (double)d, alpha * w2, &F, &f);
    return log(F);
}

typedef struct {
    double n, d, alpha, beta, lam;
} gb_par;

/* g(le) = n - (d/deps) log W at eps = e^le; increasing in le where -log W is convex. */
static double
gb_deriv(double le, void *vp)
{
    const gb_par *p = vp;
    double eps = exp(le), F, f;
    double c = 2.0 * p->alpha / p->beta;
    ncx2_cdf_pdf(c * eps, p->d, p->lam, &F, &f);
    if (!(F > 0))
        return -HUGE_VAL; /* deep in the left tail: W' / W -> +inf */
    return p->n - c * f / F;
}

static double
gb_obj(double le, const gb_par *p)
{
    double eps = exp(le);
    double F, f;
    ncx2_cdf_pdf(2.0 * p->alpha * eps / p->beta, p->d, p->lam, &F, &f);
    return -log(F) + p->n * eps;
}

int
lens_gauss_bound(double n, size_t d, double alpha, double beta, double w2, lens_bound *b,
                 bl_err *err)
{
    if (!(n > 0) || !isfinite(n))
        return bl_fail(err, BL_EINVAL, "n=%g: must be finite and > 0", n);
    if (d == 0)
        return bl_fail(err, BL_EINVAL, "d=0: must be >= 1");
    if (!(alpha > 0) || !(beta > 0) || !isfinite(alpha) || !isfinite(beta))
        return bl_fail(err, BL_EINVAL, "alpha=%g, beta=%g: must be finite and > 0", alpha, beta);
    if (!(w2 >= 0) || !isfinite(w2))
        return bl_fail(err, BL_EINVAL, "|w*|^2=%g: must be finite and >= 0", w2);
    gb_par p = {n, (double)d, alpha, beta, alpha * w2};
    /* Scan log eps on a grid around 1/n for sign changes - -> + of g (local
     * minima of the objective), polish each by Brent, keep the best. */
    const double lmin = log(1e-6 / n), lmax = log(1e3 + 100.0 / n);
    const int ng = 400;
    double best = HUGE_VAL, best_le = NAN;
    double prev_le = lmin, prev_g = gb_deriv(lmin, &p);
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return bl_fail(err, BL_ENOMEM, "lens: out of memory for the root finder");
    for (int i = 1; i <= ng; i++) {
        double le = lmin + (lmax - lmin) * i / ng;
        double g = gb_deriv(le, &p);
        if (prev_g < 0 && g >= 0) {
            double root = le;
            if (g > 0 && isfinite(prev_g)) {
                gsl_function fn = {gb_deriv, &p};
                if (gsl_root_fsolver_set(s, &fn, prev_le, le) == GSL_SUCCESS) {
                    for (int it = 0; it < 200; it++) {
                        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
                            break;
                        double a = gsl_root_fsolver_x_lower(s), c = gsl_root_fsolver_x_upper(s);
                        root = gsl_root_fsolver_root(s);
                        if (gsl_root_test_interval(a, c, 0.0, 1e-15) == GSL_SUCCESS)
                            break;
                    }
                }
            }
            double v = gb_obj(root, &p);
            if (v < best) {
                best = v;
                best_le = root;
            }
        }
        prev_le = le;
        prev_g = g;
    }
    gsl_root_fsolver_free(s);
    if (!isfinite(best))
        return bl_fail(err, BL_ENUM, "lens: no minimum of the bound found for n=%g", n);
    b->eps_star = exp(best_le);
    b->bound = best;
    b->logW = n * b->eps_star - best;
    return BL_OK;
}

/* Probabilists' Gauss-Hermite nodes and weights summing to 1 (docs/math.md §1.5, 1.8). */
static int
gh_rule(size_t nq, double *z, double *w, bl_err *err)
{
    gsl_integration_fixed_workspace *ws =
        gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, nq, 0.0, 0.5, 0.0, 0.0);
    if (!ws)
        return bl_fail(err, BL_ENOMEM, "gh=%zu: cannot build the Gauss-Hermite rule", nq);
    const double *zn = gsl_integration_fixed_nodes(ws), *wn = gsl_integration_fixed_weights(ws);
    double sw = 0.0;
    for (size_t i = 0; i < nq; i++)
        sw += wn[i];
    for (size_t i = 0; i < nq; i++) {
        z[i] = zn[i];
        w[i] = wn[i] / sw;
    }
    gsl_integration_fixed_free(ws);
    return BL_OK;
}

int
lens_expected_regret_1d(const double *grid, size_t M, double w_star, double beta, double n,
                        size_t gh, double *out, bl_err *err)
{
    if (M == 0 || !grid)
        return bl_fail(err, BL_EINVAL, "M=%zu: need a non-empty grid", M);
    if (!(n >= 0) || !isfinite(n))
        return bl_fail(err, BL_EINVAL, "n=%g: must be finite and >= 0", n);
    if (!(beta > 0) || !isfinite(beta))
        return bl_fail(err, BL_EINVAL, "beta=%g: must be finite and > 0", beta);
    if (gh == 0 || gh > 100000)
        return bl_fail(err, BL_EINVAL, "gh=%zu: must be in 1..100000", gh);
    double *z = malloc(gh * sizeof *z), *w = malloc(gh * sizeof *w);
    if (!z || !w) {
        free(z), free(w);
        return bl_fail(err, BL_ENOMEM, "lens: out of memory for gh=%zu", gh);
    }
    int rc = gh_rule(gh, z, w, err);
    if (rc != BL_OK) {
        free(z), free(w);
        return rc;
    }
    double acc = 0.0, logM = log((double)M);
    for (size_t q = 0; q < gh; q++) {
        double s = n * w_star + sqrt(n / beta) * z[q]; /* s = sum x y ~ N(n w*, n/beta) */
        double mx = -HUGE_VAL;
        for (size_t j = 0; j < M; j++) {
            double a = beta * s * (grid[j] - w_star) -
                       0.5 * beta * n * (grid[j] * grid[j] - w_star * w_star);
            mx = a > mx ? a : mx;
        }
        double sum = 0.0;
        for (size_t j = 0; j < M; j++) {
            double a = beta * s * (grid[j] - w_star) -
                       0.5 * beta * n * (grid[j] * grid[j] - w_star * w_star);
            sum += exp(a - mx);
        }
        acc += w[q] * (mx + log(sum) - logM);
    }
    free(z), free(w);
    *out = -acc;
    return BL_OK;
}

int
lens_truth_simple_complex(const lens_opts *o, double r, double *w_simple, double *w_complex,
                          bl_err *err)
{
    if (!o || o->d < 1 || o->d > LENS_MAX_DIM)
        return bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..%d", o ? o->d : 0, LENS_MAX_DIM);
    if (!(r >= 0) || !isfinite(r))
        return bl_fail(err, BL_EINVAL, "r=%g: must be finite and >= 0", r);
    size_t d = o->d;
    double u = 1.0 / sqrt((double)d);
    switch (o->kind) {
    case LENS_GAUSS:
        if (!(o->alpha > 0))
            return bl_fail(err, BL_EINVAL, "alpha=%g: must be > 0", o->alpha);
        for (size_t i = 0; i < d; i++) {
            w_simple[i] = 0.0;
            w_complex[i] = r * sqrt((double)d / o->alpha) * u;
        }
        return BL_OK;
    case LENS_BOX:
        if (!(o->box > 0))
            return bl_fail(err, BL_EINVAL, "box=%g: must be > 0", o->box);
        for (size_t i = 0; i < d; i++) {
            double v = r * o->box * sqrt((double)d / 3.0) * u;
            w_simple[i] = 0.0;
            w_complex[i] = v > 0.95 * o->box ? 0.95 * o->box : v;
        }
        return BL_OK;
    case LENS_GRID:
        if (!(o->lo < o->hi))
            return bl_fail(err, BL_EINVAL, "lo=%g, hi=%g: need lo < hi", o->lo, o->hi);
        w_simple[0] = 0.5 * (o->lo + o->hi);
        w_complex[0] = o->lo + 0.02 * (o->hi - o->lo);
        return BL_OK;
    }
    return bl_fail(err, BL_EINVAL, "kind=%d: must be gauss, box or grid", (int)o->kind);
}
