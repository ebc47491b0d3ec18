/* core/dkm/dkm.c - deep kernel machine: objective, gradient, L-BFGS,
 * arrivals and prediction (see dkm.h, docs/dkm.md).
 *
 * Storage: every n x n matrix is column-major with leading dimension n
 * (LAPACK's native order, 'L' triangles). The state is V_l (lower factors
 * of G_l, strict upper zero), C_l (lower factors of K_l = K(G_{l-1})), Ac
 * (lower factor of G_L + noise^2 I), z = Ac^-1 y, the diagonals of G_l and
 * the fixed G_0 = K^1 and K_1 = K(G_0); arrivals extend each by a row. An
 * evaluation at trial parameters works in its own buffers (struct work) and
 * the state adopts them only when the optimiser accepts the point, so
 * `show evidence` or a rejected trial leaves the digits of later
 * predictions alone. */
#include "core/dkm/dkm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "core/base/linalg.h"
#include "core/kernel/nngp.h"
#include "core/spectrum/spectrum.h"

#define DKM_FTOL     1e-13 /* relative decrease that ends the run */
#define DKM_TOL      1e-6  /* default max |grad| */
#define DKM_LS_MAX   40    /* evaluations per line search */
#define DKM_LS_C1    1e-4
#define DKM_DUP_JIT  1e-10 /* relative floor of a new point's conditional variance */

struct work {
    size_t n; /* size the buffers were made for (0: none) */
    double *V[DKM_MAX_DEPTH], *G[DKM_MAX_DEPTH], *C[DKM_MAX_DEPTH], *Ki[DKM_MAX_DEPTH];
    double *D1[DKM_MAX_DEPTH], *D12[DKM_MAX_DEPTH];
    double *A, *M, *P, *W, *z, *alpha;
    dkm_terms t;
};

struct dkm {
    dkm_opts o;
    nngp *k; /* the expectations */
    size_t d, n, L;
    double *X, *y;
    double *G0, *K1, *K1i; /* K1i = K_1^-1, valid when k1i_ok */
    bool k1i_ok;
    double *V[DKM_MAX_DEPTH], *C[DKM_MAX_DEPTH], *gd[DKM_MAX_DEPTH];
    double *Ac, *z;
    dkm_terms t;
    bool nngp;
    struct work w;
    /* L-BFGS state (valid when ready) */
    bool ready;
    size_t dim, mcount, head, total;
    double f, *theta, *g, *tt, *tg, *dir, *S, *Y, rho[DKM_LBFGS_MEMORY];
    double *P0[DKM_MAX_DEPTH]; /* the preconditioner: V_l = P0_l U_l, U = I at the start */
    double *vt, *vg, *U;       /* V-space parameters and gradient, one n x n scratch */
    dkm_stop stop;
};

const char *
dkm_stop_name(dkm_stop s)
{
    switch (s) {
    case DKM_RUNNING: return "running";
    case DKM_GRADIENT: return "gradient";
    case DKM_RELCHANGE: return "relative change";
    case DKM_STALLED: return "stalled";
    }
    return "?";
}

bool
dkm_act_ok(nngp_act act)
{
    return act == NNGP_RELU || act == NNGP_ERF || act == NNGP_LEAKY_RELU || act == NNGP_ABS;
}

int
dkm_check(const dkm_opts *o, bl_err *err)
{
    if (!dkm_act_ok(o->act))
        return bl_fail(err, BL_EINVAL, "act=%s: the dkm needs the kernel map's derivatives, "
                       "closed forms only (choose " DKM_ACTS ")", nngp_act_name(o->act));
    if (o->depth < 1 || o->depth > DKM_MAX_DEPTH)
        return bl_fail(err, BL_EINVAL, "depth=%zu: must be in 1..%d", o->depth, DKM_MAX_DEPTH);
    if (!(o->noise >= 0.0) || !isfinite(o->noise))
        return bl_fail(err, BL_EINVAL, "noise=%g: must be >= 0 and finite", o->noise);
    for (size_t l = 0; l < o->depth; l++)
        if (!(o->nu[l] > 0.0) || !isfinite(o->nu[l]))
            return bl_fail(err, BL_EINVAL, "nu=%g (layer %zu): must be > 0 and finite", o->nu[l],
                           l + 1);
    return BL_OK;
}

static double *
nalloc(size_t count)
{
    return malloc((count ? count : 1) * sizeof(double));
}

static void
work_free(struct work *w)
{
    for (size_t l = 0; l < DKM_MAX_DEPTH; l++) {
        free(w->V[l]), free(w->G[l]), free(w->C[l]), free(w->Ki[l]);
        free(w->D1[l]), free(w->D12[l]);
    }
    free(w->A), free(w->M), free(w->P), free(w->W), free(w->z), free(w->alpha);
    memset(w, 0, sizeof *w);
}

static int
work_ensure(dkm *m, bl_err *err)
{
    size_t n = m->n, nn = n * n;
    if (m->w.n == n)
        return BL_OK;
    work_free(&m->w);
    struct work *w = &m->w;
    bool ok = true;
    for (size_t l = 0; l < m->L; l++) {
        ok &= (w->V[l] = nalloc(nn)) && (w->G[l] = nalloc(nn)) && (w->C[l] = nalloc(nn)) &&
              (w->Ki[l] = nalloc(nn)) && (w->D1[l] = nalloc(nn)) && (w->D12[l] = nalloc(nn));
    }
    ok &= (w->A = nalloc(nn)) && (w->M = nalloc(nn)) && (w->P = nalloc(nn)) &&
          (w->W = nalloc(nn)) && (w->z = nalloc(n)) && (w->alpha = nalloc(n));
    if (!ok) {
        work_free(w);
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory for n=%zu", n);
    }
    w->n = n;
    return BL_OK;
}

static void
opt_free(dkm *m)
{
    free(m->theta), free(m->g), free(m->tt), free(m->tg), free(m->dir), free(m->S), free(m->Y);
    m->theta = m->g = m->tt = m->tg = m->dir = m->S = m->Y = NULL;
    free(m->vt), free(m->vg), free(m->U);
    m->vt = m->vg = m->U = NULL;
    for (size_t l = 0; l < DKM_MAX_DEPTH; l++) {
        free(m->P0[l]);
        m->P0[l] = NULL;
    }
    m->ready = false;
    m->mcount = m->head = m->total = 0;
    m->stop = DKM_RUNNING;
}

static void
state_free(dkm *m)
{
    free(m->X), free(m->y), free(m->G0), free(m->K1), free(m->K1i), free(m->Ac), free(m->z);
    m->X = m->y = m->G0 = m->K1 = m->K1i = m->Ac = m->z = NULL;
    for (size_t l = 0; l < DKM_MAX_DEPTH; l++) {
        free(m->V[l]), free(m->C[l]), free(m->gd[l]);
        m->V[l] = m->C[l] = m->gd[l] = NULL;
    }
    m->k1i_ok = false;
}

dkm *
dkm_alloc(size_t in_dim, const dkm_opts *o, bl_err *err)
{
    if (dkm_check(o, err) != BL_OK)
        return NULL;
    if (in_dim < 1) {
        bl_fail(err, BL_EINVAL, "dkm: in_dim=0: must be >= 1");
        return NULL;
    }
    nngp_opts no = nngp_opts_default();
    no.act = o->act;
    no.depth = o->depth;
    no.sw2 = o->sw2;
    no.sb2 = o->sb2;
    no.slope = o->slope;
    no.threads = 1;
    dkm *m = calloc(1, sizeof *m);
    if (m == NULL) {
        bl_fail(err, BL_ENOMEM, "dkm: out of memory");
        return NULL;
    }
    m->o = *o;
    m->d = in_dim;
    m->L = o->depth;
    m->nngp = true;
    if ((m->k = nngp_alloc(in_dim, &no, err)) == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void
dkm_free(dkm *m)
{
    if (m == NULL)
        return;
    state_free(m);
    work_free(&m->w);
    opt_free(m);
    nngp_free(m->k);
    free(m);
}

size_t
dkm_n(const dkm *m)
{
    return m->n;
}

const dkm_opts *
dkm_get_opts(const dkm *m)
{
    return &m->o;
}

bool
dkm_at_nngp(const dkm *m)
{
    return m->nngp;
}

void
dkm_get_terms(const dkm *m, dkm_terms *t)
{
    *t = m->t;
}

size_t
dkm_dim(const dkm *m)
{
    return m->L * (m->n * (m->n + 1) / 2);
}

/* ---- the kernel map and its partial derivatives ---------------------------- */

/* E = E[phi phi], Ed = E[phi' phi'] = dE/dk12 (Price), e11 = dE/dk11,
 * e22 = dE/dk22 for the closed forms: ABReLU is degree-1 homogeneous, E =
 * f g(c) with f = sqrt(k11 k22), c = k12/f, so dE/dk11 = (E - k12 Ed)/(2 k11);
 * erf: E = (2/pi) asin(2 k12 / sqrt((1+2k11)(1+2k22))), dE/dk11 =
 * -Ed k12 / (1 + 2 k11). */
static void
expect_d(const dkm *m, double k11, double k12, double k22, double *E, double *Ed, double *e11,
         double *e22)
{
    nngp_expect(m->k, k11, k12, k22, E, Ed);
    if (m->o.act == NNGP_ERF) {
        *e11 = -*Ed * k12 / (1.0 + 2.0 * k11);
        *e22 = -*Ed * k12 / (1.0 + 2.0 * k22);
    } else {
        double q = *E - k12 * *Ed;
        *e11 = k11 > 0.0 ? q / (2.0 * k11) : 0.0;
        *e22 = k22 > 0.0 ? q / (2.0 * k22) : 0.0;
    }
}

static double
kentry(const dkm *m, double k11, double k12, double k22)
{
    double E, Ed;
    nngp_expect(m->k, k11, k12, k22, &E, &Ed);
    return m->o.sw2 * E + m->o.sb2;
}

/* K = K(G) (full) from G's lower triangle; D12[i + j n] = dK_ij/dG_ij
 * (i > j); D1[i + j n] = dK_ij/dG_ii and D1[j + i n] = dK_ij/dG_jj (i > j);
 * D1[i + i n] = dK_ii/dG_ii. */
static void
kmap(const dkm *m, const double *G, size_t n, double *K, double *D1, double *D12)
{
    double sw2 = m->o.sw2, sb2 = m->o.sb2;
    for (size_t j = 0; j < n; j++)
        for (size_t i = j; i < n; i++) {
            double k11 = G[i + i * n], k22 = G[j + j * n], k12 = G[i + j * n];
            double E, Ed, e11, e22;
            expect_d(m, k11, k12, k22, &E, &Ed, &e11, &e22);
            double v = sw2 * E + sb2;
            K[i + j * n] = K[j + i * n] = v;
            if (i == j) {
                D1[i + i * n] = sw2 * (Ed + e11 + e22);
                D12[i + i * n] = 0.0;
            } else {
                D12[i + j * n] = D12[j + i * n] = sw2 * Ed;
                D1[i + j * n] = sw2 * e11;
                D1[j + i * n] = sw2 * e22;
            }
        }
}

/* ---- small dense helpers (column-major, ld = n) ----------------------------- */

static void
mirror(double *A, size_t n)
{
    for (size_t j = 0; j < n; j++)
        for (size_t i = j + 1; i < n; i++)
            A[j + i * n] = A[i + j * n];
}

static void
zero_upper(double *A, size_t n)
{
    for (size_t j = 1; j < n; j++)
        memset(A + j * n, 0, j * sizeof *A);
}

/* Lower Cholesky in place; the strict upper triangle zeroed. */
static bool
chol(double *A, size_t n)
{
    if (n == 0)
        return true;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n) != 0)
        return false;
    zero_upper(A, n);
    return true;
}

/* Full inverse of C C^T into Ki. */
static bool
chol_inv(const double *C, size_t n, double *Ki)
{
    memcpy(Ki, C, n * n * sizeof *Ki);
    if (n > 0 && LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, Ki, (lapack_int)n) != 0)
        return false;
    mirror(Ki, n);
    return true;
}

static double
logdet_chol(const double *C, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += log(fabs(C[i + i * n]));
    return 2.0 * s;
}

/* G = V V^T, both triangles. */
static void
gram_of(const double *V, size_t n, double *G)
{
    if (n == 0)
        return;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)n, (int)n, 1.0, V, (int)n, 0.0, G,
                (int)n);
    mirror(G, n);
}

static void
pack(const double *V, size_t n, double *p)
{
    for (size_t j = 0; j < n; j++) {
        memcpy(p, V + j + j * n, (n - j) * sizeof *p);
        p += n - j;
    }
}

static void
unpack(const double *p, size_t n, double *V)
{
    for (size_t j = 0; j < n; j++) {
        memset(V + j * n, 0, j * sizeof *V);
        memcpy(V + j + j * n, p, (n - j) * sizeof *p);
        p += n - j;
    }
}

static double
dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static int
k1i_ensure(dkm *m, bl_err *err)
{
    if (m->k1i_ok)
        return BL_OK;
    free(m->K1i);
    m->K1i = nalloc(m->n * m->n);
    if (m->K1i == NULL)
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory for n=%zu", m->n);
    if (!chol_inv(m->C[0], m->n, m->K1i))
        return bl_fail(err, BL_ENUM, "dkm: the layer-1 kernel K(G_0) is singular");
    m->k1i_ok = true;
    return BL_OK;
}

/* ---- objective and gradient ------------------------------------------------- */

/* d - log(1 + d) without the cancellation near d = 0 (series below 1e-2,
 * error < d^7/7). */
static double
dmlog1p(double d)
{
    if (fabs(d) < 1e-2)
        return d * d * (0.5 - d * (1.0 / 3 - d * (0.25 - d * (0.2 - d / 6))));
    return d - log1p(d);
}

/* KL(N(0, V V^T) || N(0, C C^T)) through the whitened factor B = C^-1 V
 * (lower): 0.5 [sum_{i>j} B_ij^2 + sum_i (B_ii^2 - 1 - log B_ii^2)]. The
 * textbook form tr(K^-1 G) - n + log det K - log det G cancels terms of
 * size n to a difference of size KL, with an error of eps cond(K) n: at
 * nu = 1000 that noise (1e-3 in F) stopped L-BFGS at |grad| 0.6 on
 * examples/dkm.lens; B has only eps sqrt(cond K). B goes to scratch W. */
static double
kl_whitened(const double *C, const double *V, size_t n, double *W)
{
    memcpy(W, V, n * n * sizeof *W);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)n,
                1.0, C, (int)n, W, (int)n);
    double off = 0.0, dg = 0.0;
    for (size_t j = 0; j < n; j++) {
        double b = W[j + j * n];
        dg += dmlog1p((b - 1.0) * (b + 1.0));
        for (size_t i = j + 1; i < n; i++)
            off += W[i + j * n] * W[i + j * n];
    }
    return 0.5 * (off + dg);
}

int
dkm_eval(dkm *m, const double *theta, double *F, double *grad, dkm_terms *t, bl_err *err)
{
    size_t n = m->n, L = m->L, nn = n * n, blk = n * (n + 1) / 2;
    int rc;
    *F = -HUGE_VAL;
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "dkm: no data (n=0)");
    if ((rc = work_ensure(m, err)) != BL_OK || (rc = k1i_ensure(m, err)) != BL_OK)
        return rc;
    struct work *w = &m->w;
    int threads = linalg_threads_one();
    double obj = 0.0;
    rc = BL_OK;
    for (size_t l = 0; l < L; l++) {
        unpack(theta + l * blk, n, w->V[l]);
        gram_of(w->V[l], n, w->G[l]);
        for (size_t i = 0; i < n; i++)
            if (!(w->V[l][i + i * n] != 0.0) || !isfinite(w->G[l][i + i * n])) {
                rc = bl_fail(err, BL_ENUM, "dkm: G_%zu is singular", l + 1);
                goto done;
            }
        if (l > 0) {
            kmap(m, w->G[l - 1], n, w->P, w->D1[l], w->D12[l]);
            memcpy(w->C[l], w->P, nn * sizeof *w->P);
            if (!chol(w->C[l], n) || !chol_inv(w->C[l], n, w->Ki[l])) {
                rc = bl_fail(err, BL_ENUM, "dkm: K(G_%zu) is not positive definite", l);
                goto done;
            }
        }
        w->t.kl[l] = kl_whitened(l == 0 ? m->C[0] : w->C[l], w->V[l], n, w->W);
        obj -= m->o.nu[l] * w->t.kl[l];
    }
    memcpy(w->A, w->G[L - 1], nn * sizeof *w->A);
    for (size_t i = 0; i < n; i++)
        w->A[i + i * n] += m->o.noise * m->o.noise;
    if (!chol(w->A, n)) {
        rc = bl_fail(err, BL_ENUM, "dkm: G_%zu + noise^2 I is not positive definite", L);
        goto done;
    }
    memcpy(w->z, m->y, n * sizeof *w->z);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, w->A, (int)n, w->z,
                1);
    w->t.loglik = -0.5 * dot(w->z, w->z, n) - 0.5 * logdet_chol(w->A, n) -
                  0.5 * (double)n * log(2.0 * M_PI);
    obj += w->t.loglik;
    w->t.objective = obj;
    *F = obj;
    if (t)
        *t = w->t;
    if (grad == NULL)
        goto done;
    /* Backward: M is dF/dG_l as a symmetric matrix without the G_l^-1 term
     * (that one's share of dF/dV_l is nu_l diag(1/V_ii)). */
    if (!chol_inv(w->A, n, w->M)) {
        rc = bl_fail(err, BL_ENUM, "dkm: G_%zu + noise^2 I is singular", L);
        goto done;
    }
    memcpy(w->alpha, w->z, n * sizeof *w->alpha);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, w->A, (int)n,
                w->alpha, 1);
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++)
            w->M[i + j * n] = 0.5 * (w->alpha[i] * w->alpha[j] - w->M[i + j * n]);
    for (size_t l = L; l-- > 0;) {
        const double *Ki = l == 0 ? m->K1i : w->Ki[l];
        double nu = m->o.nu[l];
        for (size_t i = 0; i < nn; i++)
            w->M[i] -= 0.5 * nu * Ki[i];
        memcpy(w->P, w->M, nn * sizeof *w->P);
        cblas_dtrmm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                    (int)n, 2.0, w->V[l], (int)n, w->P, (int)n);
        for (size_t i = 0; i < n; i++)
            w->P[i + i * n] += nu / w->V[l][i + i * n];
        pack(w->P, n, grad + l * blk);
        if (l == 0)
            break;
        /* dF/dK_l = -nu_l/2 (K^-1 - K^-1 G K^-1), K^-1 G K^-1 = W W^T with
         * W = K^-1 V, then through the kernel map onto G_{l-1}. */
        memcpy(w->W, Ki, nn * sizeof *w->W);
        cblas_dtrmm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                    (int)n, 1.0, w->V[l], (int)n, w->W, (int)n);
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)n, (int)n, 1.0, w->W, (int)n,
                    0.0, w->P, (int)n);
        const double *D1 = w->D1[l], *D12 = w->D12[l];
        for (size_t j = 0; j < n; j++)
            for (size_t i = j; i < n; i++)
                w->P[i + j * n] = -0.5 * nu * (Ki[i + j * n] - w->P[i + j * n]); /* B, lower */
        for (size_t i = 0; i < n; i++)
            w->M[i + i * n] = w->P[i + i * n] * D1[i + i * n];
        for (size_t j = 0; j < n; j++)
            for (size_t i = j + 1; i < n; i++) {
                double b = w->P[i + j * n];
                w->M[i + j * n] = w->M[j + i * n] = b * D12[i + j * n];
                w->M[i + i * n] += 2.0 * b * D1[i + j * n];
                w->M[j + j * n] += 2.0 * b * D1[j + i * n];
            }
    }
done:
    linalg_threads_restore(threads);
    return rc;
}

/* The state takes the evaluation's buffers (the last dkm_eval was at theta). */
static void
adopt(dkm *m, const double *theta)
{
    size_t n = m->n, nn = n * n;
    struct work *w = &m->w;
    for (size_t l = 0; l < m->L; l++) {
        unpack(theta + l * (n * (n + 1) / 2), n, m->V[l]);
        if (l > 0)
            memcpy(m->C[l], w->C[l], nn * sizeof *w->C[l]);
        for (size_t i = 0; i < n; i++)
            m->gd[l][i] = w->G[l][i + i * n];
    }
    memcpy(m->Ac, w->A, nn * sizeof *w->A);
    memcpy(m->z, w->z, n * sizeof *w->z);
    m->t = w->t;
    m->nngp = false;
}

/* ---- data ------------------------------------------------------------------ */

static int
alloc_state(dkm *m, size_t n, bl_err *err)
{
    size_t nn = n * n;
    bool ok = (m->X = nalloc(n * m->d)) && (m->y = nalloc(n)) && (m->G0 = nalloc(nn)) &&
              (m->K1 = nalloc(nn)) && (m->Ac = nalloc(nn)) && (m->z = nalloc(n));
    for (size_t l = 0; l < m->L; l++)
        ok = ok && (m->V[l] = nalloc(nn)) && (m->C[l] = nalloc(nn)) && (m->gd[l] = nalloc(n));
    if (!ok)
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory for n=%zu", n);
    return BL_OK;
}

int
dkm_set_data(dkm *m, const double *X, const double *y, size_t n, bl_err *err)
{
    size_t L = m->L, nn = n * n;
    state_free(m);
    opt_free(m);
    m->n = 0;
    m->nngp = true;
    memset(&m->t, 0, sizeof m->t);
    int rc = alloc_state(m, n, err);
    double **Ks = calloc(L + 1, sizeof *Ks);
    if (rc == BL_OK && Ks == NULL)
        rc = bl_fail(err, BL_ENOMEM, "dkm: out of memory");
    if (rc != BL_OK) {
        free(Ks);
        state_free(m);
        return rc;
    }
    int threads = linalg_threads_one();
    memcpy(m->X, X, n * m->d * sizeof *X);
    memcpy(m->y, y, n * sizeof *y);
    /* K^1 -> G0, K^{l+1} -> V_l (factored below). */
    Ks[0] = m->G0;
    for (size_t l = 0; l < L; l++)
        Ks[l + 1] = m->V[l];
    if (n > 0)
        rc = nngp_gram_layers(m->k, X, n, Ks, NULL, NULL, err);
    if (rc == BL_OK)
        memcpy(m->K1, m->V[0], nn * sizeof *m->K1);
    for (size_t l = 0; rc == BL_OK && l < L; l++) {
        for (size_t i = 0; i < n; i++)
            m->gd[l][i] = m->V[l][i + i * n];
        if (l == L - 1) {
            memcpy(m->Ac, m->V[l], nn * sizeof *m->Ac);
            for (size_t i = 0; i < n; i++)
                m->Ac[i + i * n] += m->o.noise * m->o.noise;
        }
        if (!chol(m->V[l], n))
            rc = bl_fail(err, BL_ENUM, "dkm: the NNGP Gram of layer %zu is not positive definite "
                         "(duplicate inputs?)", l + 2);
        else
            memcpy(m->C[l], m->V[l], nn * sizeof *m->C[l]);
    }
    if (rc == BL_OK && !chol(m->Ac, n))
        rc = bl_fail(err, BL_ENUM, "dkm: G_%zu + noise^2 I is not positive definite", L);
    if (rc == BL_OK) {
        memcpy(m->z, y, n * sizeof *y);
        if (n > 0)
            cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, m->Ac,
                        (int)n, m->z, 1);
        m->t.loglik = -0.5 * dot(m->z, m->z, n) - 0.5 * logdet_chol(m->Ac, n) -
                      0.5 * (double)n * log(2.0 * M_PI);
        m->t.objective = m->t.loglik;
        m->n = n;
    }
    linalg_threads_restore(threads);
    free(Ks);
    if (rc != BL_OK)
        state_free(m);
    return rc;
}

/* The rows of every layer at one new input: gx[l][i] = G_l(x, x_i) for
 * l = 0..L with gs[l] = G_l(x, x); for l >= 1 also the kernel row k, its
 * C_l^-1 image c[l] and the new factor row r[l] with diagonal del[l]
 * (c and r may be NULL: prediction only). Scratch u of n. */
static void
layer_rows(const dkm *m, const double *x, double **gx, double *gs, double **c, double **r,
           double *del, double *u)
{
    size_t n = m->n, d = m->d;
    double sw2 = m->o.sw2, sb2 = m->o.sb2;
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t q = 0; q < d; q++)
            s += x[q] * m->X[i * d + q];
        gx[0][i] = sw2 * s / (double)d + sb2;
    }
    gs[0] = sw2 * dot(x, x, d) / (double)d + sb2;
    for (size_t l = 1; l <= m->L; l++) {
        const double *gp = gx[l - 1], *dg = l == 1 ? NULL : m->gd[l - 2];
        double *k = gx[l];
        for (size_t i = 0; i < n; i++)
            k[i] = kentry(m, gs[l - 1], gp[i], dg ? dg[i] : m->G0[i + i * n]);
        double kss = kentry(m, gs[l - 1], gs[l - 1], gs[l - 1]);
        const double *C = m->C[l - 1], *V = m->V[l - 1];
        double *cl = c ? c[l - 1] : u;
        memcpy(cl, k, n * sizeof *cl);
        if (n > 0)
            cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, C, (int)n,
                        cl, 1);
        double cc = dot(cl, cl, n), s2 = kss - cc;
        if (!(s2 > DKM_DUP_JIT * kss))
            s2 = DKM_DUP_JIT * kss;
        if (del)
            del[l - 1] = sqrt(s2);
        if (m->nngp) {
            /* G_l = K_l and V_l = C_l: the row is k itself. */
            gs[l] = kss;
            if (r)
                memcpy(r[l - 1], cl, n * sizeof *cl);
            continue;
        }
        /* r = V^T K^-1 k, G_l(x, .) = V r, G_l(x, x) = kss - |c|^2 + |r|^2. */
        double *rl = r ? r[l - 1] : u;
        if (cl != rl)
            memcpy(rl, cl, n * sizeof *rl);
        if (n > 0) {
            cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, C, (int)n, rl,
                        1);
            cblas_dtrmv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, V, (int)n, rl,
                        1);
        }
        gs[l] = s2 + dot(rl, rl, n);
        memcpy(k, rl, n * sizeof *k);
        if (n > 0)
            cblas_dtrmv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, V, (int)n,
                        k, 1);
    }
}

/* Output layer at one input from its row g (n) and G_L(x,x) = gs: a =
 * Ac^-1 g into a, mean, var_f. */
static void
output(const dkm *m, double *g, double gs, double *mean, double *var_f)
{
    size_t n = m->n;
    if (n > 0)
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, m->Ac, (int)n,
                    g, 1);
    *mean = dot(g, m->z, n);
    double v = gs - dot(g, g, n);
    *var_f = v > 0.0 ? v : 0.0;
}

/* Scratch of L+1 rows of n plus u. */
static double *
rows_alloc(size_t n, size_t L, double **gx)
{
    double *buf = nalloc((L + 2) * (n + 1));
    if (buf)
        for (size_t l = 0; l <= L; l++)
            gx[l] = buf + l * (n + 1);
    return buf;
}

int
dkm_predict(const dkm *m, const double *Xs, size_t ns, double *mean, double *var_f, double *var_y,
            bl_err *err)
{
    double *gx[DKM_MAX_DEPTH + 1], gs[DKM_MAX_DEPTH + 1];
    double *buf = rows_alloc(m->n, m->L, gx);
    if (buf == NULL)
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory");
    double *u = buf + (m->L + 1) * (m->n + 1);
    int threads = linalg_threads_one();
    for (size_t s = 0; s < ns; s++) {
        layer_rows(m, Xs + s * m->d, gx, gs, NULL, NULL, NULL, u);
        double mu, vf;
        output(m, gx[m->L], gs[m->L], &mu, &vf);
        if (mean)
            mean[s] = mu;
        if (var_f)
            var_f[s] = vf;
        if (var_y)
            var_y[s] = vf + m->o.noise * m->o.noise;
    }
    linalg_threads_restore(threads);
    free(buf);
    return BL_OK;
}

/* A (n+1) x (n+1) copy of the n x n A with row n = row (n entries), the
 * diagonal diag; sym: column n mirrors the row, else it is zero. */
static double *
grow(const double *A, size_t n, const double *row, double diag, bool sym)
{
    size_t n1 = n + 1;
    double *B = nalloc(n1 * n1);
    if (B == NULL)
        return NULL;
    for (size_t j = 0; j < n; j++) {
        memcpy(B + j * n1, A + j * n, n * sizeof *B);
        B[n + j * n1] = row[j];
        B[j + n * n1] = sym ? row[j] : 0.0;
    }
    B[n + n * n1] = diag;
    return B;
}

static bool
grow_into(double **A, size_t n, const double *row, double diag, bool sym)
{
    double *B = grow(*A, n, row, diag, sym);
    if (B == NULL)
        return false;
    free(*A);
    *A = B;
    return true;
}

static bool
push(double **v, size_t n, const double *src, size_t len)
{
    double *b = realloc(*v, (n + 1) * len * sizeof *b);
    if (b == NULL)
        return false;
    memcpy(b + n * len, src, len * sizeof *b);
    *v = b;
    return true;
}

int
dkm_observe(dkm *m, const double *x, double y, double *logpred, double *mean, double *var,
            bl_err *err)
{
    size_t n = m->n, L = m->L;
    for (size_t q = 0; q < m->d; q++)
        if (!isfinite(x[q]))
            return bl_fail(err, BL_EINVAL, "dkm: x[%zu] is not finite", q);
    if (!isfinite(y))
        return bl_fail(err, BL_EINVAL, "dkm: y is not finite");
    if (n == 0 && m->X == NULL && alloc_state(m, 0, err) != BL_OK) {
        state_free(m);
        return BL_ENOMEM;
    }
    double *gx[DKM_MAX_DEPTH + 1], gs[DKM_MAX_DEPTH + 1], del[DKM_MAX_DEPTH];
    double *c[DKM_MAX_DEPTH], *r[DKM_MAX_DEPTH];
    double *buf = rows_alloc(n, L, gx), *cr = nalloc(2 * L * (n + 1));
    if (buf == NULL || cr == NULL) {
        free(buf), free(cr);
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory");
    }
    for (size_t l = 0; l < L; l++) {
        c[l] = cr + 2 * l * (n + 1);
        r[l] = c[l] + n + 1;
    }
    double *u = buf + (L + 1) * (n + 1);
    int threads = linalg_threads_one();
    layer_rows(m, x, gx, gs, c, r, del, u);
    /* K_1's row before the output solve overwrites nothing of it (gx[1] is
     * G_1's row, K_1's is recomputed here from G_0). */
    double *k1 = nalloc(n);
    int rc = k1 ? BL_OK : bl_fail(err, BL_ENOMEM, "dkm: out of memory");
    double k1s = 0.0;
    if (rc == BL_OK) {
        for (size_t i = 0; i < n; i++)
            k1[i] = kentry(m, gs[0], gx[0][i], m->G0[i + i * n]);
        k1s = kentry(m, gs[0], gs[0], gs[0]);
    }
    double mu = 0.0, vf = 0.0, vy = 0.0;
    if (rc == BL_OK) {
        double gL = gs[L];
        memcpy(u, gx[L], n * sizeof *u);
        output(m, u, gL, &mu, &vf);
        vy = vf + m->o.noise * m->o.noise;
        if (!(vy > 0.0))
            rc = bl_fail(err, BL_ENUM, "dkm: predictive variance 0 at a repeated input with "
                         "noise=0");
    }
    if (rc == BL_OK) {
        double ay = sqrt(vy), zn = (y - mu) / ay;
        double lp = -0.5 * zn * zn - log(ay) - 0.5 * log(2.0 * M_PI);
        bool ok = grow_into(&m->G0, n, gx[0], gs[0], true) && grow_into(&m->K1, n, k1, k1s, true) &&
                  grow_into(&m->Ac, n, u, ay, false) && push(&m->z, n, &zn, 1) &&
                  push(&m->y, n, &y, 1) && push(&m->X, n, x, m->d);
        for (size_t l = 0; ok && l < L; l++)
            ok = grow_into(&m->V[l], n, r[l], del[l], false) &&
                 grow_into(&m->C[l], n, c[l], del[l], false) && push(&m->gd[l], n, &gs[l + 1], 1);
        if (!ok) {
            /* Partly grown: the session discards an instance after a failed observe. */
            rc = bl_fail(err, BL_ENOMEM, "dkm: out of memory for n=%zu", n + 1);
        } else {
            m->n = n + 1;
            m->t.loglik += lp;
            m->t.objective += lp;
            m->k1i_ok = false;
            opt_free(m);
            if (logpred)
                *logpred = lp;
            if (mean)
                *mean = mu;
            if (var)
                *var = vy;
        }
    }
    linalg_threads_restore(threads);
    free(k1);
    free(buf);
    free(cr);
    return rc;
}

/* ---- grams and spectra -------------------------------------------------------- */

int
dkm_gram(const dkm *m, size_t l, double *G, bl_err *err)
{
    if (l > m->L)
        return bl_fail(err, BL_EINVAL, "layer %zu: must be in 0..%zu", l, m->L);
    if (l == 0) {
        memcpy(G, m->G0, m->n * m->n * sizeof *G);
        return BL_OK;
    }
    int threads = linalg_threads_one();
    gram_of(m->V[l - 1], m->n, G);
    linalg_threads_restore(threads);
    return BL_OK;
}

int
dkm_nngp_distance(const dkm *m, size_t l, double *dist, bl_err *err)
{
    size_t n = m->n, nn = n * n;
    if (l < 1 || l > m->L)
        return bl_fail(err, BL_EINVAL, "layer %zu: must be in 1..%zu", l, m->L);
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "dkm: no data (n=0)");
    double *G = nalloc(nn), *K = nalloc(nn);
    int rc = G && K ? BL_OK : bl_fail(err, BL_ENOMEM, "dkm: out of memory for n=%zu", n);
    if (rc == BL_OK)
        rc = nngp_cross(m->k, m->X, n, m->X, n, l + 1, K, NULL, NULL, err);
    if (rc == BL_OK)
        rc = dkm_gram(m, l, G, err);
    if (rc == BL_OK) {
        double num = 0.0, den = 0.0;
        for (size_t i = 0; i < nn; i++) {
            num += (G[i] - K[i]) * (G[i] - K[i]);
            den += K[i] * K[i];
        }
        *dist = den > 0.0 ? sqrt(num / den) : (double)NAN;
    }
    free(G), free(K);
    return rc;
}

int
dkm_layer_spectra(const dkm *m, size_t k, double *lam, double *rank, const bl_cancel *cancel,
                  bl_err *err)
{
    size_t n = m->n;
    if (n == 0 || k == 0)
        return bl_fail(err, BL_ESTATE, "dkm: no data (n=0)");
    if (k > n)
        return bl_fail(err, BL_EINVAL, "dkm: %zu points asked for, %zu seen", k, n);
    double *G = nalloc(n * n);
    if (G == NULL)
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory for n=%zu", n);
    int rc = BL_OK;
    for (size_t l = 0; rc == BL_OK && l <= m->L; l++) {
        if (bl_cancelled(cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "dkm: cancelled");
            break;
        }
        if ((rc = dkm_gram(m, l, G, err)) != BL_OK)
            break;
        for (size_t j = 1; j < k; j++) /* the leading block, packed to ld = k */
            memmove(G + j * k, G + j * n, k * sizeof *G);
        rc = spectrum_eig_desc(G, k, lam + l * k, err);
        if (rc == BL_OK && rank && spectrum_rankme_psd(lam + l * k, k, &rank[l], NULL) != BL_OK)
            rank[l] = NAN;
    }
    free(G);
    return rc;
}

/* ---- L-BFGS (minimises f = -F) ---------------------------------------------- */

void
dkm_get_params(const dkm *m, double *theta)
{
    size_t blk = m->n * (m->n + 1) / 2;
    for (size_t l = 0; l < m->L; l++)
        pack(m->V[l], m->n, theta + l * blk);
}

/* The optimiser works on U_l with V_l = P0_l U_l, P0_l the factor at the
 * start of the run (U = I there): the KL terms are then close to
 * KL(N(0, U U^T) || N(0, I)), whose curvature is O(nu) in every direction,
 * instead of O(nu / lambda_min(K)) in V (an NNGP Gram's small eigenvalues
 * made L-BFGS on V take thousands of iterations at n = 12). */
static int
u_eval(dkm *m, const double *theta, double *f, double *grad, bl_err *err)
{
    size_t n = m->n, blk = n * (n + 1) / 2;
    int threads = linalg_threads_one();
    for (size_t l = 0; l < m->L; l++) {
        unpack(theta + l * blk, n, m->U);
        cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                    (int)n, 1.0, m->P0[l], (int)n, m->U, (int)n);
        pack(m->U, n, m->vt + l * blk);
    }
    linalg_threads_restore(threads);
    double F;
    int rc = dkm_eval(m, m->vt, &F, m->vg, NULL, err);
    if (rc != BL_OK)
        return rc;
    threads = linalg_threads_one();
    for (size_t l = 0; l < m->L; l++) {
        unpack(m->vg + l * blk, n, m->U);
        cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)n,
                    (int)n, -1.0, m->P0[l], (int)n, m->U, (int)n);
        pack(m->U, n, grad + l * blk);
    }
    linalg_threads_restore(threads);
    *f = -F;
    return BL_OK;
}

static int
opt_ensure(dkm *m, bl_err *err)
{
    if (m->ready)
        return BL_OK;
    size_t dim = dkm_dim(m), n = m->n;
    opt_free(m);
    m->dim = dim;
    bool ok = (m->theta = nalloc(dim)) && (m->g = nalloc(dim)) && (m->tt = nalloc(dim)) &&
              (m->tg = nalloc(dim)) && (m->dir = nalloc(dim)) &&
              (m->S = nalloc(DKM_LBFGS_MEMORY * dim)) && (m->Y = nalloc(DKM_LBFGS_MEMORY * dim)) &&
              (m->vt = nalloc(dim)) && (m->vg = nalloc(dim)) && (m->U = nalloc(n * n));
    for (size_t l = 0; ok && l < m->L; l++)
        if ((ok = (m->P0[l] = nalloc(n * n)) != NULL))
            memcpy(m->P0[l], m->V[l], n * n * sizeof *m->V[l]);
    if (!ok) {
        opt_free(m);
        return bl_fail(err, BL_ENOMEM, "dkm: out of memory for %zu parameters", dim);
    }
    for (size_t l = 0; l < m->L; l++) {
        memset(m->U, 0, n * n * sizeof *m->U);
        for (size_t i = 0; i < n; i++)
            m->U[i + i * n] = 1.0;
        pack(m->U, n, m->theta + l * (n * (n + 1) / 2));
    }
    int rc = u_eval(m, m->theta, &m->f, m->g, err);
    if (rc != BL_OK) {
        opt_free(m);
        return rc;
    }
    m->ready = true;
    return BL_OK;
}

static double
amax(const double *v, size_t n)
{
    double a = 0.0;
    for (size_t i = 0; i < n; i++)
        a = fmax(a, fabs(v[i]));
    return a;
}

/* y += a x in plain C: OpenBLAS's daxpy fuses the multiply-add in its SIMD
 * body but not in its tails, whose place moves with the thread split and
 * the CPU's kernel, so the optimiser's path would depend on both. */
static void
axpy(size_t n, double a, const double *x, double *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* dir = -H g by the two-loop recursion, H0 = (s.y / y.y) I of the newest pair. */
static void
direction(dkm *m)
{
    size_t dim = m->dim;
    double a[DKM_LBFGS_MEMORY];
    for (size_t i = 0; i < dim; i++)
        m->dir[i] = -m->g[i];
    for (size_t k = m->mcount; k-- > 0;) {
        size_t j = (m->head + k) % DKM_LBFGS_MEMORY;
        a[k] = m->rho[j] * dot(m->S + j * dim, m->dir, dim);
        axpy(dim, -a[k], m->Y + j * dim, m->dir);
    }
    if (m->mcount > 0) {
        size_t j = (m->head + m->mcount - 1) % DKM_LBFGS_MEMORY;
        const double *yv = m->Y + j * dim;
        double gam = 1.0 / (m->rho[j] * dot(yv, yv, dim));
        for (size_t i = 0; i < dim; i++)
            m->dir[i] *= gam;
    }
    for (size_t k = 0; k < m->mcount; k++) {
        size_t j = (m->head + k) % DKM_LBFGS_MEMORY;
        double b = m->rho[j] * dot(m->Y + j * dim, m->dir, dim);
        axpy(dim, a[k] - b, m->S + j * dim, m->dir);
    }
}

/* f and g at theta + t dir into tt, tg (vt: the V it maps to); HUGE_VAL
 * where infeasible. */
static double
trial(dkm *m, double t, int *hard, bl_err *err)
{
    size_t dim = m->dim;
    for (size_t i = 0; i < dim; i++)
        m->tt[i] = m->theta[i] + t * m->dir[i];
    double f;
    bl_err e2;
    int rc = u_eval(m, m->tt, &f, m->tg, &e2);
    if (rc == BL_ENOMEM) {
        *hard = rc;
        *err = e2;
    }
    return rc == BL_OK && isfinite(f) ? f : HUGE_VAL;
}

/* Backtracking Armijo search; true with the accepted point in tt, tg, *ft
 * (the last evaluation, so the work buffers hold it). */
static bool
search(dkm *m, double gd, double t, double *ft, int *hard, bl_err *err)
{
    for (int e = 0; e < DKM_LS_MAX; e++) {
        double f = trial(m, t, hard, err);
        if (*hard)
            return false;
        if (f <= m->f + DKM_LS_C1 * t * gd) {
            *ft = f;
            return true;
        }
        double tn = 0.25 * t;
        if (isfinite(f)) {
            double den = 2.0 * (f - m->f - gd * t);
            if (den > 0.0)
                tn = -gd * t * t / den;
            tn = fmin(fmax(tn, 0.1 * t), 0.5 * t);
        }
        t = tn;
    }
    return false;
}

int
dkm_iterate(dkm *m, size_t k, double tol, dkm_progress progress, void *ctx, dkm_iter_info *info,
            const bl_cancel *cancel, bl_err *err)
{
    if (m->n == 0)
        return bl_fail(err, BL_ESTATE, "dkm: no data to optimize on (n=0)");
    if (tol <= 0.0)
        tol = DKM_TOL;
    int threads = linalg_threads_one();
    int rc = opt_ensure(m, err);
    if (rc != BL_OK) {
        linalg_threads_restore(threads);
        return rc;
    }
    size_t dim = m->dim, it = 0;
    bool restarted = false;
    m->stop = DKM_RUNNING;
    while (it < k) {
        if (amax(m->g, dim) <= tol) {
            m->stop = DKM_GRADIENT;
            break;
        }
        if (bl_cancelled(cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "dkm: cancelled");
            break;
        }
        direction(m);
        double gd = dot(m->g, m->dir, dim);
        if (!(gd < 0.0)) {
            m->mcount = 0;
            direction(m);
            gd = dot(m->g, m->dir, dim);
        }
        /* Without curvature pairs the first step moves no entry of a factor
         * by more than 0.1 (the Grams are O(1) at the start). */
        double t = m->mcount == 0 ? fmin(1.0, 0.1 / amax(m->dir, dim)) : 1.0, ft = 0.0;
        int hard = 0;
        if (!search(m, gd, t, &ft, &hard, err)) {
            if (hard) {
                rc = hard;
                break;
            }
            if (m->mcount > 0 && !restarted) {
                m->mcount = 0;
                restarted = true;
                continue;
            }
            m->stop = DKM_STALLED;
            break;
        }
        size_t j = (m->head + m->mcount) % DKM_LBFGS_MEMORY;
        double *s = m->S + j * dim, *yv = m->Y + j * dim, sy = 0.0, yy = 0.0;
        for (size_t i = 0; i < dim; i++) {
            s[i] = m->tt[i] - m->theta[i];
            yv[i] = m->tg[i] - m->g[i];
            sy += s[i] * yv[i];
            yy += yv[i] * yv[i];
        }
        if (sy > 1e-12 * yy && yy > 0.0) {
            m->rho[j] = 1.0 / sy;
            if (m->mcount < DKM_LBFGS_MEMORY)
                m->mcount++;
            else
                m->head = (m->head + 1) % DKM_LBFGS_MEMORY;
        }
        double fprev = m->f;
        memcpy(m->theta, m->tt, dim * sizeof *m->theta);
        memcpy(m->g, m->tg, dim * sizeof *m->g);
        m->f = ft;
        adopt(m, m->vt);
        it++;
        m->total++;
        if (progress)
            progress(ctx, m->total, -m->f, amax(m->g, dim));
        if (amax(m->g, dim) <= tol) {
            m->stop = DKM_GRADIENT;
            break;
        }
        if (fprev - m->f <= DKM_FTOL * fmax(fabs(m->f), 1.0)) {
            /* A stale curvature model gives short steps long before the
             * optimum (the nu = 1000 run of examples/dkm.lens stopped at
             * |grad| 0.6): once more from steepest descent first. */
            if (m->mcount > 0 && !restarted) {
                m->mcount = 0;
                restarted = true;
                continue;
            }
            m->stop = DKM_RELCHANGE;
            break;
        }
        restarted = false;
    }
    if (info) {
        info->iterations = it;
        info->total = m->total;
        info->objective = -m->f;
        info->grad_norm = amax(m->g, dim);
        info->stop = m->stop;
    }
    linalg_threads_restore(threads);
    return rc;
}
