/* core/nngp.c - NNGP/NTK recursion, closed forms and Gauss-Hermite.
 *
 * See nngp.h. Invariants: the object holds validated options and, when any
 * expectation goes through quadrature, the GH rule z[], w[] (sum w = 1,
 * sum w z^2 = 1 to rounding). Gram builds compute every diagonal chain
 * K^l(x_i, x_i), Theta^l(x_i, x_i) first (O(n L)), then one pass per entry
 * of the lower triangle runs all layers with the state in registers. */
#include "core/kernel/nngp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>
#include <pthread.h>
#include <unistd.h>

#include "core/base/linalg.h"
#include "core/spectrum/spectrum.h"

struct nngp {
    nngp_opts o;   /* validated; gh_order resolved */
    size_t d;      /* input dimension */
    bool quad;     /* expectations by GH */
    double a, b;   /* ABReLU slopes: a*min(x,0) + b*max(x,0) */
    double *z, *w; /* GH rule (quad only), length o.gh_order */
};

static const char *const act_names[NNGP_NACT] = {
    "relu", "erf", "tanh", "gelu", "silu", "sin", "leaky_relu", "abs",
};
#define ACT_CHOICES "relu, erf, tanh, gelu, silu, sin, leaky_relu, abs"

nngp_opts
nngp_opts_default(void)
{
    nngp_opts o = {.act = NNGP_RELU,
                   .depth = 3,
                   .sw2 = 2.0,
                   .sb2 = 0.1,
                   .slope = 0.1,
                   .gh_order = NNGP_GH_DEFAULT,
                   .quadrature = false};
    return o;
}

int
nngp_act_parse(const char *name, nngp_act *act, bl_err *err)
{
    for (int i = 0; i < NNGP_NACT; i++)
        if (strcmp(name, act_names[i]) == 0) {
            *act = (nngp_act)i;
            return BL_OK;
        }
    if (strcmp(name, "swish") == 0) {
        *act = NNGP_SILU;
        return BL_OK;
    }
    return bl_fail(err, BL_EINVAL, "unknown activation '%s' (choose " ACT_CHOICES ")", name);
}

const char *
nngp_act_name(nngp_act act)
{
    return (int)act >= 0 && act < NNGP_NACT ? act_names[act] : "?";
}

bool
nngp_act_closed_form(nngp_act act)
{
    return act == NNGP_RELU || act == NNGP_ERF || act == NNGP_LEAKY_RELU || act == NNGP_ABS;
}

int
nngp_gh_rule(size_t n, double *z, double *w, bl_err *err)
{
    if (n < 1 || n > NNGP_GH_MAX)
        return bl_fail(err, BL_EINVAL, "gh_order=%zu: must be in 1..%d", n, NNGP_GH_MAX);
    /* Golub-Welsch (docs/math.md §1.5): Jacobi matrix of the probabilists' Hermite
     * polynomials, zero diagonal, off-diagonals sqrt(k). dstev (implicit QL)
     * is backward stable at any order; w_i = (first eigenvector entry)^2. */
    double *e = malloc(n * sizeof *e), *V = malloc(n * n * sizeof *V);
    if (e == NULL || V == NULL) {
        free(e);
        free(V);
        return bl_fail(err, BL_ENOMEM, "gauss-hermite: out of memory for order %zu", n);
    }
    for (size_t k = 0; k < n; k++)
        z[k] = 0.0;
    for (size_t k = 0; k + 1 < n; k++)
        e[k] = sqrt((double)(k + 1));
    lapack_int info = LAPACKE_dstev(LAPACK_COL_MAJOR, 'V', (lapack_int)n, z, e, V, (lapack_int)n);
    if (info != 0) {
        free(e);
        free(V);
        return bl_fail(err, BL_ENUM, "gauss-hermite: eigensolver failed (info=%d)", (int)info);
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        w[i] = V[i * n] * V[i * n]; /* column i, row 0 (column-major) */
        s += w[i];
    }
    for (size_t i = 0; i < n; i++)
        w[i] /= s; /* remove the rounding of the eigenvector norms */
    free(e);
    free(V);
    return BL_OK;
}

static int
check_opts(size_t in_dim, const nngp_opts *o, bl_err *err)
{
    if (in_dim < 1)
        return bl_fail(err, BL_EINVAL, "nngp: in_dim=0: must be >= 1");
    if ((int)o->act < 0 || o->act >= NNGP_NACT)
        return bl_fail(err, BL_EINVAL, "nngp: unknown activation %d (choose " ACT_CHOICES ")",
                       (int)o->act);
    if (o->depth < 1 || o->depth > NNGP_MAX_DEPTH)
        return bl_fail(err, BL_EINVAL, "depth=%zu: must be in 1..%d", o->depth, NNGP_MAX_DEPTH);
    if (!(o->sw2 > 0.0) || !isfinite(o->sw2))
        return bl_fail(err, BL_EINVAL, "sw2=%g: must be > 0 and finite", o->sw2);
    if (!(o->sb2 >= 0.0) || !isfinite(o->sb2))
        return bl_fail(err, BL_EINVAL, "sb2=%g: must be >= 0 and finite", o->sb2);
    if (o->act == NNGP_LEAKY_RELU && !isfinite(o->slope))
        return bl_fail(err, BL_EINVAL, "slope=%g: must be finite", o->slope);
    if (o->gh_order != 0 && (o->gh_order < 2 || o->gh_order > NNGP_GH_MAX))
        return bl_fail(err, BL_EINVAL, "gh_order=%zu: must be in 2..%d", o->gh_order, NNGP_GH_MAX);
    return BL_OK;
}

nngp *
nngp_alloc(size_t in_dim, const nngp_opts *o, bl_err *err)
{
    if (check_opts(in_dim, o, err) != BL_OK)
        return NULL;
    nngp *m = calloc(1, sizeof *m);
    if (m == NULL) {
        bl_fail(err, BL_ENOMEM, "nngp: out of memory");
        return NULL;
    }
    m->o = *o;
    if (m->o.gh_order == 0)
        m->o.gh_order = NNGP_GH_DEFAULT;
    m->d = in_dim;
    m->quad = o->quadrature || !nngp_act_closed_form(o->act);
    m->a = o->act == NNGP_LEAKY_RELU ? o->slope : o->act == NNGP_ABS ? -1.0 : 0.0;
    m->b = 1.0;
    if (m->quad) {
        size_t n = m->o.gh_order;
        m->z = malloc(n * sizeof *m->z);
        m->w = malloc(n * sizeof *m->w);
        if (m->z == NULL || m->w == NULL) {
            bl_fail(err, BL_ENOMEM, "nngp: out of memory for gh_order=%zu", n);
            nngp_free(m);
            return NULL;
        }
        if (nngp_gh_rule(n, m->z, m->w, err) != BL_OK) {
            nngp_free(m);
            return NULL;
        }
    }
    return m;
}

void
nngp_free(nngp *m)
{
    if (m == NULL)
        return;
    free(m->z);
    free(m->w);
    free(m);
}

nngp *
nngp_copy(const nngp *m, bl_err *err)
{
    nngp *c = nngp_alloc(m->d, &m->o, err);
    return c;
}

const nngp_opts *
nngp_get_opts(const nngp *m)
{
    return &m->o;
}

int
nngp_set_variances(nngp *m, double sw2, double sb2, bl_err *err)
{
    nngp_opts o = m->o;
    o.sw2 = sw2;
    o.sb2 = sb2;
    int rc = check_opts(m->d, &o, err);
    if (rc != BL_OK)
        return rc;
    m->o = o;
    return BL_OK;
}

/* phi and phi' of each activation (gelu = x Phi(x), silu = x sigmoid(x)). */
static inline void
act_eval(const nngp *m, double x, double *p, double *dp)
{
    switch (m->o.act) {
    case NNGP_RELU:
        *p = x > 0 ? x : 0.0;
        *dp = x > 0 ? 1.0 : 0.0;
        break;
    case NNGP_LEAKY_RELU:
    case NNGP_ABS:
        *p = x > 0 ? m->b * x : m->a * x;
        *dp = x > 0 ? m->b : m->a;
        break;
    case NNGP_ERF:
        *p = erf(x);
        *dp = M_2_SQRTPI * exp(-x * x);
        break;
    case NNGP_TANH: {
        double t = tanh(x);
        *p = t;
        *dp = 1.0 - t * t;
        break;
    }
    case NNGP_GELU: {
        double P = 0.5 * erfc(-x * M_SQRT1_2);
        *p = x * P;
        *dp = P + x * exp(-0.5 * x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
        break;
    }
    case NNGP_SILU: {
        double s = 1.0 / (1.0 + exp(-x));
        *p = x * s;
        *dp = s * (1.0 + x * (1.0 - s));
        break;
    }
    case NNGP_SIN:
        *p = sin(x);
        *dp = cos(x);
        break;
    default: *p = *dp = NAN;
    }
}

/* 2-D GH (docs/math.md §4.3): u = sqrt(k11) z1, v = (k12/sqrt(k11)) z1 + sqrt(k22 - k12^2/k11) z2. */
static void
expect_gh(const nngp *m, double k11, double k12, double k22, double *E, double *Ed)
{
    size_t n = m->o.gh_order;
    const double *z = m->z, *w = m->w;
    /* The rule below is not symmetric in (k11, k22) to rounding (to the
     * quadrature's error, in fact): a canonical order makes k(x, x') and
     * k(x', x) the same bits, so a Gram, a cross and a GP's block and point
     * paths agree. */
    if (k11 > k22) {
        double tmp = k11;
        k11 = k22;
        k22 = tmp;
    }
    double s1 = sqrt(fmax(k11, 0.0)), a, b;
    if (s1 > 0.0) {
        a = k12 / s1;
        b = sqrt(fmax(k22 - a * a, 0.0));
    } else {
        a = 0.0;
        b = sqrt(fmax(k22, 0.0));
    }
    double e = 0.0, ed = 0.0;
    for (size_t i = 0; i < n; i++) {
        double pu, du;
        act_eval(m, s1 * z[i], &pu, &du);
        double ip = 0.0, id = 0.0, az = a * z[i];
        if (b == 0.0) {
            double pv, dv;
            act_eval(m, az, &pv, &dv);
            ip = pv;
            id = dv;
        } else {
            for (size_t j = 0; j < n; j++) {
                double pv, dv;
                act_eval(m, az + b * z[j], &pv, &dv);
                ip += w[j] * pv;
                id += w[j] * dv;
            }
        }
        e += w[i] * pu * ip;
        ed += w[i] * du * id;
    }
    *E = e;
    *Ed = ed;
}

/* The angle th = atan2(s, c) in [0, pi] of a correlation c with
 * s = sqrt(1 - c^2), split into atan2's well-conditioned branches: asin(s)
 * where |c| > 1/sqrt2 (th near 0 or pi, where acos of c would amplify the
 * rounding of c), acos(c) in between. Same accuracy as atan2 (docs/math.md §1.4),
 * about 2.5x cheaper here (glibc atan2 ~34 ns, acos/asin ~13 ns). */
static inline double
angle(double c, double s)
{
    if (c > M_SQRT1_2)
        return asin(s);
    if (c < -M_SQRT1_2)
        return M_PI - asin(s);
    return acos(c);
}

/* ABReLU (docs/math.md §4.2) from the correlation c = k12/f, f = sqrt(k11) sqrt(k22):
 * E = f [ (a-b)^2/(2pi) sqrt(1-c^2) + Edot c ], Edot = (a^2+b^2)/2 - (a-b)^2/(2pi) th.
 * This is the degree-1 homogeneous form: no product k11 k22 is ever formed,
 * so nothing overflows before k itself does (neural-tangents' stabilisation). */
static inline void
abrelu_corr(double h, double ab2, double f, double k12, double *E, double *Ed)
{
    double c = k12 / f;
    c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
    double s = sqrt((1.0 - c) * (1.0 + c));
    double ed = h - ab2 * angle(c, s);
    *Ed = ed;
    *E = f * (ab2 * s + ed * c);
}

/* erf (docs/math.md §4.2) with sp = sqrt((1+2k11)(1+2k22)) given. */
static inline void
erf_sp(double sp, double k12, double *E, double *Ed)
{
    double r = 2.0 * k12 / sp;
    r = r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
    *E = M_2_PI * asin(r);
    *Ed = 2.0 * M_2_PI / (sp * sqrt((1.0 - r) * (1.0 + r)));
}

static inline void
expect_closed(const nngp *m, double k11, double k12, double k22, double *E, double *Ed)
{
    if (m->o.act == NNGP_ERF) {
        erf_sp(sqrt(1.0 + 2.0 * k11) * sqrt(1.0 + 2.0 * k22), k12, E, Ed);
        return;
    }
    double f = sqrt(k11) * sqrt(k22);
    double h = 0.5 * (m->a * m->a + m->b * m->b),
           ab2 = (m->a - m->b) * (m->a - m->b) / (2.0 * M_PI);
    if (!(f > 0.0)) {
        *E = 0.0;
        *Ed = h - ab2 * M_PI_2;
        return;
    }
    abrelu_corr(h, ab2, f, k12, E, Ed);
}

void
nngp_expect(const nngp *m, double k11, double k12, double k22, double *E, double *Ed)
{
    if (m->quad)
        expect_gh(m, k11, k12, k22, E, Ed);
    else
        expect_closed(m, k11, k12, k22, E, Ed);
}

/* Diagonal expectations E[phi(u)^2], E[phi'(u)^2], u ~ N(0, k). */
static inline void
expect_diag(const nngp *m, double k, double *E, double *Ed)
{
    if (m->quad) {
        double s = sqrt(fmax(k, 0.0)), e = 0.0, ed = 0.0;
        for (size_t i = 0; i < m->o.gh_order; i++) {
            double p, dp;
            act_eval(m, s * m->z[i], &p, &dp);
            e += m->w[i] * p * p;
            ed += m->w[i] * dp * dp;
        }
        *E = e;
        *Ed = ed;
    } else if (m->o.act == NNGP_ERF) {
        double P = 1.0 + 2.0 * k;
        *E = M_2_PI * asin(2.0 * k / P);
        *Ed = 2.0 * M_2_PI / sqrt(fmax(P * P - 4.0 * k * k, 0.0));
    } else {
        double h = 0.5 * (m->a * m->a + m->b * m->b);
        *E = h * k;
        *Ed = h;
    }
}

static inline double
dotd(const double *x, const double *y, size_t d)
{
    double s = 0.0;
    for (size_t k = 0; k < d; k++)
        s += x[k] * y[k];
    return s;
}

/* Chains of one point: Kd[l], Td[l] for layers 1..L+1 at index l-1. */
static void
diag_chain(const nngp *m, const double *x, double *Kd, double *Td)
{
    double sw2 = m->o.sw2, sb2 = m->o.sb2;
    double k = sw2 * dotd(x, x, m->d) / (double)m->d + sb2, t = k;
    Kd[0] = k;
    Td[0] = t;
    for (size_t l = 1; l <= m->o.depth; l++) {
        double E, Ed;
        expect_diag(m, k, &E, &Ed);
        k = sw2 * E + sb2;
        t = k + sw2 * Ed * t;
        Kd[l] = k;
        Td[l] = t;
    }
}

int
nngp_pair(const nngp *m, const double *x, const double *x2, double *K, double *T, bl_err *err)
{
    size_t L1 = m->o.depth + 1;
    double *D = malloc(4 * L1 * sizeof *D);
    if (D == NULL)
        return bl_fail(err, BL_ENOMEM, "nngp: out of memory");
    double *K1 = D, *T1 = D + L1, *K2 = D + 2 * L1, *T2 = D + 3 * L1;
    diag_chain(m, x, K1, T1);
    diag_chain(m, x2, K2, T2);
    double sw2 = m->o.sw2, sb2 = m->o.sb2;
    double k = sw2 * dotd(x, x2, m->d) / (double)m->d + sb2, t = k;
    int bad = !isfinite(k);
    if (K)
        K[0] = k;
    if (T)
        T[0] = t;
    for (size_t l = 1; l < L1; l++) {
        double E, Ed;
        nngp_expect(m, K1[l - 1], k, K2[l - 1], &E, &Ed);
        k = sw2 * E + sb2;
        t = k + sw2 * Ed * t;
        bad |= !isfinite(k) || !isfinite(t);
        if (K)
            K[l] = k;
        if (T)
            T[l] = t;
    }
    free(D);
    if (bad)
        return bl_fail(err, BL_ENUM, "nngp: kernel overflows the double range (sw2=%g, depth=%zu)",
                       m->o.sw2, m->o.depth);
    return BL_OK;
}

/* ---- Gram engine ---------------------------------------------------------
 * docs/gp-blocks.md, "The NNGP Gram". Every entry (a, b) runs all layers
 * with its state in registers; entries are taken NNGP_LANES at a time along
 * b, in fixed-width loops with no branches (selects instead), so the
 * compiler keeps the lanes in SIMD registers. The closed forms use the
 * branch-free arccos/arcsin below, never libm in the loop. Each entry is a
 * function of its two points alone: no sums across entries, no FMA (the
 * loops are written for -ffp-contract=off), so the result does not depend on
 * the lane an entry lands in, on the batch, or on which thread computes it.
 * Threads split the work into contiguous ranges fixed by (n, threads). */

#define NNGP_LANES 8

/* fdlibm's rational approximation R(z) of (asin(sqrt z) - sqrt z)/sqrt(z)^3
 * on z in [0, 1/4] (|error| < 2^-58.75), the core of its asin and acos. */
static inline double
asin_R(double z)
{
    const double pS0 = 1.66666666666666657415e-01, pS1 = -3.25565818622400915405e-01,
                 pS2 = 2.01212532134862925881e-01, pS3 = -4.00555345006794114027e-02,
                 pS4 = 7.91534994289814532176e-04, pS5 = 3.47933107596021167570e-05,
                 qS1 = -2.40339491173441421878e+00, qS2 = 2.02094576023350569471e+00,
                 qS3 = -6.88283971605453293030e-01, qS4 = 7.70381505559019352791e-02;
    double p = z * (pS0 + z * (pS1 + z * (pS2 + z * (pS3 + z * (pS4 + z * pS5)))));
    double q = 1.0 + z * (qS1 + z * (qS2 + z * (qS3 + z * qS4)));
    return p / q;
}

#define PIO2_HI 1.57079632679489655800e+00
#define PIO2_LO 6.12323399573676603587e-17

/* acos on [-1, 1] without branches: |x| <= 1/2 from asin(x) = x + x R(x^2);
 * beyond, the half-angle form 2 asin(sqrt((1-|x|)/2)), where 1-|x| is exact
 * (Sterbenz), so near x = +-1 the result is as accurate as the asin(s) of
 * the old angle() (docs/gp-blocks.md: max error against glibc). Both sides
 * are computed and one is selected, so a vector lane never branches. */
static inline double
acos_fast(double x)
{
    double ax = fabs(x), zb = 0.5 * (1.0 - ax);
    bool big = ax > 0.5;
    double z = big ? zb : x * x;
    double r = asin_R(z), s = sqrt(zb), w = r * s;
    double pos = 2.0 * (s + w), neg = M_PI - 2.0 * (s + (w - PIO2_LO));
    double small = PIO2_HI - (x - (PIO2_LO - x * r));
    return big ? (x > 0.0 ? pos : neg) : small;
}

/* asin on [-1, 1], the same way: pi/2 - 2 asin(sqrt((1-|x|)/2)) beyond 1/2. */
static inline double
asin_fast(double x)
{
    double ax = fabs(x), zb = 0.5 * (1.0 - ax);
    bool big = ax > 0.5;
    double z = big ? zb : x * x;
    double r = asin_R(z), s = sqrt(zb);
    double hi = PIO2_HI - (2.0 * (s + s * r) - PIO2_LO);
    double small = x + x * r;
    return big ? (x > 0.0 ? hi : -hi) : small;
}

double
nngp_acos(double x)
{
    return acos_fast(x);
}

double
nngp_asin(double x)
{
    return asin_fast(x);
}

/* One Gram/cross job. Side a is walked point by point, side b in lane
 * batches from its transposed data: XT (d x nb) and DS (L1 x nb), the roots
 * the closed forms need per layer (sqrt K^l(x,x) for ABReLU, sqrt(1 + 2K^l)
 * for erf). Entry (a, b) goes to out[l][a * sa + b * sb]. */
typedef struct gjob {
    const nngp *m;
    int mode; /* 1 ABReLU, 2 erf, 0 GH */
    size_t L1, lmax, d;
    bool wantT;
    double *const *Kout, *const *Tout;
    const double *XA, *DKA, *DSA; /* side a: rows (na x d), chains (na x L1) */
    const double *XT, *DST, *DKB; /* side b: transposed (d x nb, L1 x nb), chains (nb x L1) */
    size_t na, nb, sa, sb;
    bool sym;       /* b < a only, plus the diagonal from the chains */
    const double *DT; /* sym: Theta chains (na x L1) for the diagonal */
    const bl_cancel *cancel;
    bool avx2; /* the AVX2 build of the lane loops */
} gjob;

/* Lane-batch state of NNGP_LANES entries (a, b0 .. b0 + LANES - 1): the
 * inputs xb (d x LANES, stride xs) and roots dsb (L1 x LANES, stride xs). */
static inline __attribute__((always_inline)) void
batch_body(const gjob *J, size_t a, const double *xb, const double *dsb, size_t xs, size_t cnt,
           size_t o0)
{
    enum { W = NNGP_LANES };
    const nngp *m = J->m;
    const double sw2 = m->o.sw2, sb2 = m->o.sb2, dd = (double)J->d;
    const double h = 0.5 * (m->a * m->a + m->b * m->b),
                 ab2 = (m->a - m->b) * (m->a - m->b) / (2.0 * M_PI), edz = h - ab2 * M_PI_2;
    const double *xa = J->XA + a * J->d, *dsa = J->DSA + a * J->L1;
    double k[W], t[W];
    for (size_t u = 0; u < W; u++)
        k[u] = 0.0;
    for (size_t q = 0; q < J->d; q++) {
        const double xq = xa[q], *xr = xb + q * xs;
        for (size_t u = 0; u < W; u++)
            k[u] += xq * xr[u];
    }
    for (size_t u = 0; u < W; u++) {
        k[u] = sw2 * k[u] / dd + sb2;
        t[u] = k[u];
    }
    size_t sbs = J->sb;
    if (J->Kout && J->Kout[0])
        for (size_t u = 0; u < cnt; u++)
            J->Kout[0][o0 + u * sbs] = k[u];
    if (J->Tout && J->Tout[0])
        for (size_t u = 0; u < cnt; u++)
            J->Tout[0][o0 + u * sbs] = t[u];
    for (size_t l = 1; l < J->lmax; l++) {
        const double da = dsa[l - 1], *db = dsb + (l - 1) * xs;
        double ed[W];
        if (J->mode == 1) {
            for (size_t u = 0; u < W; u++) {
                double f = da * db[u], c = k[u] / f;
                c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
                double s = sqrt((1.0 - c) * (1.0 + c));
                double e1 = h - ab2 * acos_fast(c);
                double E = f * (ab2 * s + e1 * c);
                bool pos = f > 0.0;
                ed[u] = pos ? e1 : edz;
                k[u] = sw2 * (pos ? E : 0.0) + sb2;
            }
        } else {
            for (size_t u = 0; u < W; u++) {
                double sp = da * db[u], r = 2.0 * k[u] / sp;
                r = r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
                double E = M_2_PI * asin_fast(r);
                ed[u] = 2.0 * M_2_PI / (sp * sqrt((1.0 - r) * (1.0 + r)));
                k[u] = sw2 * E + sb2;
            }
        }
        if (J->wantT)
            for (size_t u = 0; u < W; u++)
                t[u] = k[u] + sw2 * ed[u] * t[u];
        if (J->Kout && J->Kout[l])
            for (size_t u = 0; u < cnt; u++)
                J->Kout[l][o0 + u * sbs] = k[u];
        if (J->Tout && J->Tout[l])
            for (size_t u = 0; u < cnt; u++)
                J->Tout[l][o0 + u * sbs] = t[u];
    }
}

/* The same body compiled twice: for the baseline ISA and for AVX2 (4 lanes
 * per instruction), chosen per machine at run time. AVX2 here does not mean
 * FMA (a separate target feature, never enabled), and every operation is a
 * correctly rounded IEEE one per lane, so both give the same bits. */
static void
batch_base(const gjob *J, size_t a, const double *xb, const double *dsb, size_t xs, size_t cnt,
           size_t o0)
{
    batch_body(J, a, xb, dsb, xs, cnt, o0);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define NNGP_HAVE_AVX2 1
__attribute__((target("avx2"))) static void
batch_avx2(const gjob *J, size_t a, const double *xb, const double *dsb, size_t xs, size_t cnt,
           size_t o0)
{
    batch_body(J, a, xb, dsb, xs, cnt, o0);
}
#endif

static inline void
batch_closed(const gjob *J, size_t a, const double *xb, const double *dsb, size_t xs,
             size_t cnt, size_t o0)
{
#ifdef NNGP_HAVE_AVX2
    if (J->avx2) {
        batch_avx2(J, a, xb, dsb, xs, cnt, o0);
        return;
    }
#endif
    batch_base(J, a, xb, dsb, xs, cnt, o0);
}

/* GH and anything else: one entry at a time (the quadrature dominates). */
static void
entry_gh(const gjob *J, size_t a, size_t b, size_t o)
{
    const nngp *m = J->m;
    const double sw2 = m->o.sw2, sb2 = m->o.sb2;
    const double *dka = J->DKA + a * J->L1, *dkb = J->DKB + b * J->L1;
    double s = 0.0;
    for (size_t q = 0; q < J->d; q++)
        s += J->XA[a * J->d + q] * J->XT[q * J->nb + b];
    double k = sw2 * s / (double)J->d + sb2, t = k;
    if (J->Kout && J->Kout[0])
        J->Kout[0][o] = k;
    if (J->Tout && J->Tout[0])
        J->Tout[0][o] = t;
    for (size_t l = 1; l < J->lmax; l++) {
        double E, Ed;
        nngp_expect(m, dka[l - 1], k, dkb[l - 1], &E, &Ed);
        k = sw2 * E + sb2;
        if (J->wantT)
            t = k + sw2 * Ed * t;
        if (J->Kout && J->Kout[l])
            J->Kout[l][o] = k;
        if (J->Tout && J->Tout[l])
            J->Tout[l][o] = t;
    }
}

/* Entries (a, b) for b in [b0, b1). Full batches read the transposed data
 * in place; a short tail is copied into the padded batch pad ((d + L1) x
 * LANES; padding lanes repeat the last point and are not stored). */
static void
run_range(const gjob *J, size_t a, size_t b0, size_t b1, double *pad)
{
    enum { W = NNGP_LANES };
    if (J->mode == 0) {
        for (size_t b = b0; b < b1; b++)
            entry_gh(J, a, b, a * J->sa + b * J->sb);
        return;
    }
    size_t b = b0;
    for (; b + W <= b1; b += W)
        batch_closed(J, a, J->XT + b, J->DST + b, J->nb, W, a * J->sa + b * J->sb);
    if (b == b1)
        return;
    size_t cnt = b1 - b;
    double *pd = pad + J->d * W;
    for (size_t u = 0; u < W; u++) {
        size_t src = b + (u < cnt ? u : cnt - 1);
        for (size_t q = 0; q < J->d; q++)
            pad[q * W + u] = J->XT[q * J->nb + src];
        for (size_t l = 0; l < J->L1; l++)
            pd[l * W + u] = J->DST[l * J->nb + src];
    }
    batch_closed(J, a, pad, pd, W, cnt, a * J->sa + b * J->sb);
}

/* One thread's share: rows a in [a0, a1) against b in [b0, b1) (sym: b < a). */
typedef struct gtask {
    const gjob *J;
    size_t a0, a1, b0, b1;
    int rc;   /* BL_OK, BL_ENOMEM, BL_ECANCEL */
    int bad;  /* a non-finite value was produced */
    pthread_t th;
} gtask;

static void *
gtask_run(void *arg)
{
    gtask *T = arg;
    const gjob *J = T->J;
    double *pad = malloc((J->d + J->L1) * NNGP_LANES * sizeof *pad);
    if (pad == NULL) {
        T->rc = BL_ENOMEM;
        return NULL;
    }
    for (size_t a = T->a0; a < T->a1; a++) {
        if (bl_cancelled(J->cancel)) {
            T->rc = BL_ECANCEL;
            break;
        }
        size_t b1 = J->sym ? a : T->b1;
        run_range(J, a, T->b0, b1, pad);
        if (J->sym) {
            size_t o = a * J->sa + a * J->sb;
            for (size_t l = 0; l < J->lmax; l++) {
                double kd = J->DKA[a * J->L1 + l], td = J->DT[a * J->L1 + l];
                if (J->Kout && J->Kout[l])
                    J->Kout[l][o] = kd;
                if (J->Tout && J->Tout[l])
                    J->Tout[l][o] = td;
            }
        }
        /* Overflow check on what was stored for this row (cheap next to
         * the layers; the stores are still in cache). */
        size_t lo = T->b0, hi = J->sym ? a + 1 : T->b1;
        for (size_t l = 0; l < J->lmax; l++)
            for (int w = 0; w < 2; w++) {
                double *A = w == 0 ? (J->Kout ? J->Kout[l] : NULL) : (J->Tout ? J->Tout[l] : NULL);
                if (A == NULL)
                    continue;
                for (size_t b = lo; b < hi; b++)
                    T->bad |= !isfinite(A[a * J->sa + b * J->sb]);
            }
    }
    free(pad);
    return NULL;
}

#define NNGP_MAX_THREADS 64
#define NNGP_MIN_WORK    200000 /* entry-layers per thread worth a thread start */

static size_t
thread_count(const nngp *m, double work)
{
    if (m->o.threads)
        return m->o.threads < NNGP_MAX_THREADS ? m->o.threads : NNGP_MAX_THREADS;
    long t = sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1)
        t = 1;
    if (t > NNGP_MAX_THREADS)
        t = NNGP_MAX_THREADS;
    double cap = work / NNGP_MIN_WORK;
    if ((double)t > cap)
        t = cap < 1.0 ? 1 : (long)cap;
    return (size_t)t;
}

/* Shared engine. Outputs: Kout[l-1] / Tout[l-1] for layer l (NULL skipped),
 * row-major n1 x n2. sym: X2 == X1 and only j <= i is computed, then
 * mirrored; diagonal entries come from the diagonal chains. */
static int
gram_core(const nngp *m, const double *X1, size_t n1, const double *X2, size_t n2, bool sym,
          double *const *Kout, double *const *Tout, const bl_cancel *cancel, bl_err *err)
{
    size_t L1 = m->o.depth + 1, d = m->d;
    if (n1 == 0 || n2 == 0)
        return bl_fail(err, BL_EINVAL, "nngp: no inputs (n=0)");
    bool wantT = false;
    size_t lmax = 0; /* highest layer anyone asked for */
    for (size_t l = 0; l < L1; l++) {
        if ((Kout && Kout[l]) || (Tout && Tout[l]))
            lmax = l + 1;
        if (Tout && Tout[l])
            wantT = true;
    }
    if (lmax == 0)
        return BL_OK;
    /* Side b is the longer one (a single new row walks its n old points in
     * lanes); for a cross with n1 > n2 the roles swap and the output is
     * written with strides (n2, 1) the other way round. */
    bool swap = !sym && n1 > n2;
    const double *XA = swap ? X2 : X1, *XB = swap ? X1 : X2;
    size_t na = swap ? n2 : n1, nb = swap ? n1 : n2;
    size_t nd = sym ? na : na + nb;
    double *DK = malloc(nd * L1 * sizeof *DK), *DT = malloc(nd * L1 * sizeof *DT);
    double *DSA = malloc(na * L1 * sizeof *DSA), *DST = malloc(nb * L1 * sizeof *DST);
    double *XT = malloc(nb * d * sizeof *XT);
    gtask *tasks = NULL;
    int rc = BL_OK;
    if (!DK || !DT || !DSA || !DST || !XT) {
        rc = bl_fail(err, BL_ENOMEM, "nngp: out of memory for %zu inputs", nd);
        goto done;
    }
    /* Per point and layer: K^l(x,x), Theta^l(x,x), and the root the closed
     * forms need (sqrt K for ABReLU, sqrt(1 + 2K) for erf). */
    for (size_t i = 0; i < nd; i++) {
        const double *x = i < na ? XA + i * d : XB + (i - na) * d;
        diag_chain(m, x, DK + i * L1, DT + i * L1);
    }
    const double *DKB = sym ? DK : DK + na * L1;
    for (size_t i = 0; i < na + nb; i++) {
        bool isa = i < na;
        if (sym && !isa)
            break;
        for (size_t l = 0; l < L1; l++) {
            double k = isa ? DK[i * L1 + l] : DKB[(i - na) * L1 + l];
            double r = m->o.act == NNGP_ERF ? sqrt(1.0 + 2.0 * k) : sqrt(k);
            if (isa)
                DSA[i * L1 + l] = r;
            else
                DST[l * nb + (i - na)] = r;
        }
    }
    if (sym)
        for (size_t i = 0; i < nb; i++)
            for (size_t l = 0; l < L1; l++)
                DST[l * nb + i] = DSA[i * L1 + l];
    for (size_t i = 0; i < nb; i++)
        for (size_t q = 0; q < d; q++)
            XT[q * nb + i] = XB[i * d + q];
    gjob J = {.m = m,
              .mode = m->quad ? 0 : m->o.act == NNGP_ERF ? 2 : 1,
              .L1 = L1,
              .lmax = lmax,
              .d = d,
              .wantT = wantT,
              .Kout = Kout,
              .Tout = Tout,
              .XA = XA,
              .DKA = DK,
              .DSA = DSA,
              .XT = XT,
              .DST = DST,
              .DKB = DKB,
              .na = na,
              .nb = nb,
              .sa = swap ? 1 : n2,
              .sb = swap ? n2 : 1,
              .sym = sym,
              .DT = DT,
              .cancel = cancel};
#ifdef NNGP_HAVE_AVX2
    J.avx2 = !m->o.portable && __builtin_cpu_supports("avx2");
#endif
    double entries = sym ? 0.5 * (double)na * (double)(na + 1) : (double)na * (double)nb;
    double cost = m->quad ? (double)m->o.gh_order * (double)m->o.gh_order : 1.0;
    size_t nt = thread_count(m, entries * (double)lmax * cost);
    tasks = calloc(nt, sizeof *tasks);
    if (tasks == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "nngp: out of memory");
        goto done;
    }
    /* Fixed contiguous shares: rows of equal triangle area for a Gram, equal
     * row counts for a cross, or equal slices of b when there are fewer
     * rows than threads (one new arrival's row). */
    bool split_b = !sym && na < nt;
    for (size_t t = 0; t < nt; t++) {
        gtask *T = &tasks[t];
        T->J = &J;
        T->a0 = 0, T->a1 = na, T->b0 = 0, T->b1 = nb;
        if (sym) {
            T->a0 = (size_t)((double)na * sqrt((double)t / (double)nt));
            T->a1 = t + 1 == nt ? na : (size_t)((double)na * sqrt((double)(t + 1) / (double)nt));
        } else if (split_b) {
            T->b0 = nb * t / nt;
            T->b1 = nb * (t + 1) / nt;
        } else {
            T->a0 = na * t / nt;
            T->a1 = na * (t + 1) / nt;
        }
    }
    size_t started = 1;
    for (size_t t = 1; t < nt; t++, started++)
        if (pthread_create(&tasks[t].th, NULL, gtask_run, &tasks[t]) != 0)
            break;
    /* Shares whose thread did not start run here, after this thread's own. */
    gtask_run(&tasks[0]);
    for (size_t t = started; t < nt; t++)
        gtask_run(&tasks[t]);
    for (size_t t = 1; t < started; t++)
        pthread_join(tasks[t].th, NULL);
    int bad = 0;
    for (size_t t = 0; t < nt; t++) {
        if (tasks[t].rc == BL_ENOMEM && rc == BL_OK)
            rc = bl_fail(err, BL_ENOMEM, "nngp: out of memory");
        else if (tasks[t].rc == BL_ECANCEL && rc == BL_OK)
            rc = bl_fail(err, BL_ECANCEL, "nngp: cancelled");
        bad |= tasks[t].bad;
    }
    if (rc == BL_OK && bad)
        rc = bl_fail(err, BL_ENUM, "nngp: kernel overflows the double range (sw2=%g, depth=%zu)",
                     m->o.sw2, m->o.depth);
    if (rc == BL_OK && sym)
        for (size_t l = 0; l < lmax; l++)
            for (int w = 0; w < 2; w++) {
                double *A = w == 0 ? (Kout ? Kout[l] : NULL) : (Tout ? Tout[l] : NULL);
                if (A != NULL)
                    linalg_mirror_lower(A, n1);
            }
done:
    free(DK);
    free(DT);
    free(DSA);
    free(DST);
    free(XT);
    free(tasks);
    return rc;
}

int
nngp_gram_layers(const nngp *m, const double *X, size_t n, double *const *K, double *const *T,
                 const bl_cancel *cancel, bl_err *err)
{
    return gram_core(m, X, n, X, n, true, K, T, cancel, err);
}

/* Pointer tables selecting one layer (1-based; 0 = output). */
static int
one_layer(const nngp *m, size_t layer, double *K, double *T, double ***pk, double ***pt,
          bl_err *err)
{
    size_t L1 = m->o.depth + 1;
    if (layer > L1)
        return bl_fail(err, BL_EINVAL, "layer=%zu: must be in 0..%zu (0 = output)", layer, L1);
    if (layer == 0)
        layer = L1;
    *pk = calloc(L1, sizeof **pk);
    *pt = calloc(L1, sizeof **pt);
    if (*pk == NULL || *pt == NULL) {
        free(*pk);
        free(*pt);
        return bl_fail(err, BL_ENOMEM, "nngp: out of memory");
    }
    (*pk)[layer - 1] = K;
    (*pt)[layer - 1] = T;
    return BL_OK;
}

int
nngp_gram(const nngp *m, const double *X, size_t n, double *K, double *Theta,
          const bl_cancel *cancel, bl_err *err)
{
    double **pk, **pt;
    int rc = one_layer(m, 0, K, Theta, &pk, &pt, err);
    if (rc != BL_OK)
        return rc;
    rc = gram_core(m, X, n, X, n, true, pk, pt, cancel, err);
    free(pk);
    free(pt);
    return rc;
}

int
nngp_cross(const nngp *m, const double *X1, size_t n1, const double *X2, size_t n2, size_t layer,
           double *K12, double *T12, const bl_cancel *cancel, bl_err *err)
{
    double **pk, **pt;
    int rc = one_layer(m, layer, K12, T12, &pk, &pt, err);
    if (rc != BL_OK)
        return rc;
    rc = gram_core(m, X1, n1, X2, n2, false, pk, pt, cancel, err);
    free(pk);
    free(pt);
    return rc;
}

int
nngp_diag(const nngp *m, const double *X, size_t n, double *Kd, double *Td, bl_err *err)
{
    size_t L1 = m->o.depth + 1;
    double *D = malloc(2 * L1 * sizeof *D);
    if (D == NULL)
        return bl_fail(err, BL_ENOMEM, "nngp: out of memory");
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        diag_chain(m, X + i * m->d, D, D + L1);
        if (Kd)
            Kd[i] = D[L1 - 1];
        if (Td)
            Td[i] = D[2 * L1 - 1];
        bad |= !isfinite(D[L1 - 1]) || !isfinite(D[2 * L1 - 1]);
    }
    free(D);
    if (bad)
        return bl_fail(err, BL_ENUM, "nngp: kernel overflows the double range (sw2=%g, depth=%zu)",
                       m->o.sw2, m->o.depth);
    return BL_OK;
}

double
nngp_corr_map(const nngp *m, double q, double c)
{
    double E, Ed, Eq, Edq;
    nngp_expect(m, q, c * q, q, &E, &Ed);
    expect_diag(m, q, &Eq, &Edq);
    double qn = m->o.sw2 * Eq + m->o.sb2;
    return (m->o.sw2 * E + m->o.sb2) / qn;
}

int
nngp_fixed_point(const nngp *m, double q0, double *qstar, double *chi1, double *cstar, bl_err *err)
{
    if (!(q0 > 0.0) || !isfinite(q0))
        return bl_fail(err, BL_EINVAL, "q0=%g: must be > 0 and finite", q0);
    double q = q0, E, Ed;
    int it;
    for (it = 0; it < 100000; it++) {
        expect_diag(m, q, &E, &Ed);
        double qn = m->o.sw2 * E + m->o.sb2;
        if (!isfinite(qn) || qn > 1e300)
            return bl_fail(err, BL_ENUM, "fixed point: q diverges (sw2=%g too large for %s)",
                           m->o.sw2, nngp_act_name(m->o.act));
        double dq = fabs(qn - q);
        q = qn;
        if (dq <= 1e-15 * q)
            break;
    }
    if (it == 100000)
        return bl_fail(err, BL_ENUM, "fixed point: q did not settle in 1e5 layers");
    expect_diag(m, q, &E, &Ed);
    if (qstar)
        *qstar = q;
    if (chi1)
        *chi1 = m->o.sw2 * Ed;
    if (cstar) {
        double c = 0.0;
        for (it = 0; it < 100000; it++) {
            double cn = nngp_corr_map(m, q, c);
            double dc = fabs(cn - c);
            c = cn;
            if (dc <= 1e-15)
                break;
        }
        *cstar = c;
    }
    return BL_OK;
}

#define SPECTRA_GROUP_BYTES (64u << 20)

int
nngp_layer_spectra(const nngp *m, const double *X, size_t n, double *lam, nngp_layer_spectrum *sp,
                   const bl_cancel *cancel, bl_err *err)
{
    size_t L1 = m->o.depth + 1;
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "spectra: no inputs (n=0)");
    /* Layers in groups of G, each group from one pass of the recursion:
     * one layer at a time cost O(L^2 n^2) expectations (an NNGP of depth
     * 50 took ~50 s for 20 points), all at once takes (L+1) n^2 memory.
     * G is as large as SPECTRA_GROUP_BYTES allows; the values are the same. */
    size_t G = SPECTRA_GROUP_BYTES / (n * n * sizeof(double));
    G = G < 1 ? 1 : G > L1 ? L1 : G;
    double *K = malloc(G * n * n * sizeof *K);
    double **pk = calloc(L1, sizeof *pk);
    if (K == NULL || pk == NULL) {
        free(K);
        free(pk);
        return bl_fail(err, BL_ENOMEM, "spectra: out of memory for n=%zu", n);
    }
    int rc = BL_OK;
    for (size_t l0 = 0; l0 < L1 && rc == BL_OK; l0 += G) {
        size_t l1 = l0 + G < L1 ? l0 + G : L1;
        for (size_t l = l0; l < l1; l++)
            pk[l] = K + (l - l0) * n * n;
        rc = gram_core(m, X, n, X, n, true, pk, NULL, cancel, err);
        for (size_t l = l0; l < l1; l++)
            pk[l] = NULL;
        for (size_t l = l0; l < l1 && rc == BL_OK; l++) {
            rc = spectrum_eig_desc(K + (l - l0) * n * n, n, lam + l * n, err);
            if (rc != BL_OK || sp == NULL)
                continue;
            const double *lv = lam + l * n;
            nngp_layer_spectrum *o = &sp[l];
            bl_err e2;
            if (spectrum_rankme_psd(lv, n, &o->rankme, &e2) != BL_OK)
                o->rankme = NAN;
            if (spectrum_erank_vn(lv, n, &o->erank_vn, &e2) != BL_OK)
                o->erank_vn = NAN;
            spectrum_fit fit;
            if (spectrum_alpha_req(lv, n, 0, 0, false, &fit, &e2) == BL_OK) {
                o->alpha = fit.alpha;
                o->j_lo = fit.j_lo;
                o->j_hi = fit.j_hi;
            } else {
                o->alpha = NAN;
                o->j_lo = fit.j_lo;
                o->j_hi = fit.j_hi;
            }
        }
    }
    free(K);
    free(pk);
    return rc;
}
