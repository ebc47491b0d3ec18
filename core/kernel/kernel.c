/* core/kernel.c - kernel trees, Gram builds, gradients, spec parser.
 *
 * See kernel.h. Invariants: nodes[] holds the tree (root last), leaves[] the
 * leaves in spec order with their offset into the flat parameter vector;
 * every stored parameter is valid (checked on parse and set). Gram builds
 * recurse over the tree with one n1 x n2 scratch per level; symmetric builds
 * touch only the lower triangle until the final mirror. Derivatives follow
 * the sum and product rules, pruning subtrees without the parameter.
 * kernel_pairs fuses the Gram and every pair's derivatives into one pass,
 * row by row, with a per-pair memo of the leaves' variance-free parts; it
 * reproduces kernel_gram and kernel_gram_grad_dot bit for bit. */
#include "core/kernel/kernel.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_sf_result.h>

#include "core/base/linalg.h"

#define NAME_LEN 40

typedef struct leaf {
    kernel_type t;
    double p[3];             /* natural-scale parameters */
    size_t np;               /* number of vector parameters */
    size_t off;              /* offset in the flat vector */
    char names[3][NAME_LEN]; /* "rbf.ls" or "rbf2.ls" */
    double nu;               /* KERNEL_MATERN: smoothness (fixed, not a hyperparameter) */
    nngp *net;               /* KERNEL_NNGP only: owned */
    bool ntk;                /* KERNEL_NNGP: Theta instead of K */
} leaf;

typedef struct node {
    char op;  /* 'L' leaf, '+' sum, '*' product */
    int a, b; /* children (node indices) */
    int leaf; /* leaf index when op == 'L' */
} node;

struct kernel {
    size_t d;                /* input dimension */
    size_t nleaf, nnode, np; /* counts; np = vector length */
    leaf leaves[KERNEL_MAX_LEAVES];
    node nodes[2 * KERNEL_MAX_LEAVES]; /* root is nodes[nnode - 1] */
};

static const struct {
    const char *name;
    size_t np;
    const char *pn[3];
    double def[3];
    bool pos[3]; /* must be > 0 (log-transformed) */
} ktab[KERNEL_NTYPES] = {
    {"rbf", 2, {"var", "ls"}, {1, 1}, {true, true}},
    {"matern12", 2, {"var", "ls"}, {1, 1}, {true, true}},
    {"matern32", 2, {"var", "ls"}, {1, 1}, {true, true}},
    {"matern52", 2, {"var", "ls"}, {1, 1}, {true, true}},
    {"periodic", 3, {"var", "ls", "period"}, {1, 1, 1}, {true, true, true}},
    {"linear", 2, {"var", "c"}, {1, 0}, {true, false}},
    {"constant", 1, {"var"}, {1}, {true}},
    {"white", 1, {"var"}, {1}, {true}},
    {"rq", 3, {"var", "ls", "alpha"}, {1, 1, 1}, {true, true, true}},
    {"dot", 2, {"var", "sigma0"}, {1, 1}, {true, true}},
    {"matern", 2, {"var", "ls"}, {1, 1}, {true, true}},
    {"nngp", 2, {"sw2", "sb2"}, {2, 0.1}, {true, false}},
};

/* Names the parser accepts, in completion order: every type's own name, then
 * the aliases scikit-learn users type (ExpSineSquared is our periodic, the
 * same parametrisation, docs/math.md §5.3). */
static const struct {
    const char *name;
    kernel_type t;
} knames[] = {
    {"rbf", KERNEL_RBF},           {"matern12", KERNEL_MATERN12},
    {"matern32", KERNEL_MATERN32}, {"matern52", KERNEL_MATERN52},
    {"periodic", KERNEL_PERIODIC}, {"linear", KERNEL_LINEAR},
    {"constant", KERNEL_CONSTANT}, {"white", KERNEL_WHITE},
    {"rq", KERNEL_RQ},             {"dot", KERNEL_DOT},
    {"matern", KERNEL_MATERN},     {"nngp", KERNEL_NNGP},
    {"expsinesquared", KERNEL_PERIODIC}, {"exp_sine_squared", KERNEL_PERIODIC},
};
#define KERNEL_NNAMES (sizeof knames / sizeof knames[0])
#define KERNEL_CHOICES                                                                     \
    "rbf, matern12, matern32, matern52, periodic, linear, constant, white, rq, dot, matern, " \
    "nngp, expsinesquared"

#define MATERN_NU_DEFAULT 1.5 /* scikit-learn's default */
#define MATERN_NU_MAX     100.0 /* beyond, K_nu's series are slow and rbf is the limit */

/* ---- object management ---------------------------------------------- */

void
kernel_free(kernel *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->nleaf; i++)
        nngp_free(k->leaves[i].net);
    free(k);
}

static void
finish(kernel *k)
{
    size_t count[KERNEL_NTYPES] = {0}, seen[KERNEL_NTYPES] = {0}, off = 0;
    for (size_t i = 0; i < k->nleaf; i++)
        count[k->leaves[i].t]++;
    for (size_t i = 0; i < k->nleaf; i++) {
        leaf *f = &k->leaves[i];
        f->off = off;
        off += f->np;
        seen[f->t]++;
        for (size_t j = 0; j < f->np; j++) {
            if (count[f->t] > 1)
                snprintf(f->names[j], NAME_LEN, "%s%zu.%s", ktab[f->t].name, seen[f->t],
                         ktab[f->t].pn[j]);
            else
                snprintf(f->names[j], NAME_LEN, "%s.%s", ktab[f->t].name, ktab[f->t].pn[j]);
        }
    }
    k->np = off;
}

kernel *
kernel_copy(const kernel *k, bl_err *err)
{
    kernel *c = malloc(sizeof *c);
    if (c == NULL) {
        bl_fail(err, BL_ENOMEM, "kernel: out of memory");
        return NULL;
    }
    memcpy(c, k, sizeof *c);
    for (size_t i = 0; i < c->nleaf; i++)
        c->leaves[i].net = NULL;
    for (size_t i = 0; i < c->nleaf; i++)
        if (k->leaves[i].net != NULL) {
            c->leaves[i].net = nngp_copy(k->leaves[i].net, err);
            if (c->leaves[i].net == NULL) {
                kernel_free(c);
                return NULL;
            }
        }
    return c;
}

size_t
kernel_in_dim(const kernel *k)
{
    return k->d;
}

int
kernel_check_dim(const kernel *k, size_t dim, bl_err *err)
{
    if (dim != k->d)
        return bl_fail(err, BL_EINVAL,
                       "kernel: inputs have dimension %zu, the kernel expects "
                       "in_dim=%zu",
                       dim, k->d);
    return BL_OK;
}

static kernel *
new_kernel(size_t in_dim, bl_err *err)
{
    if (in_dim < 1) {
        bl_fail(err, BL_EINVAL, "kernel: in_dim=0: must be >= 1");
        return NULL;
    }
    kernel *k = calloc(1, sizeof *k);
    if (k == NULL)
        bl_fail(err, BL_ENOMEM, "kernel: out of memory");
    else
        k->d = in_dim;
    return k;
}

static int
add_leaf(kernel *k, kernel_type t)
{
    if (k->nleaf >= KERNEL_MAX_LEAVES)
        return -1;
    leaf *f = &k->leaves[k->nleaf];
    memset(f, 0, sizeof *f);
    f->t = t;
    f->np = ktab[t].np;
    for (size_t j = 0; j < f->np; j++)
        f->p[j] = ktab[t].def[j];
    f->nu = MATERN_NU_DEFAULT;
    node *nd = &k->nodes[k->nnode];
    nd->op = 'L';
    nd->a = nd->b = -1;
    nd->leaf = (int)k->nleaf++;
    return (int)k->nnode++;
}

kernel *
kernel_alloc_nngp(size_t in_dim, const nngp_opts *o, bool ntk, bl_err *err)
{
    kernel *k = new_kernel(in_dim, err);
    if (k == NULL)
        return NULL;
    add_leaf(k, KERNEL_NNGP);
    leaf *f = &k->leaves[0];
    f->net = nngp_alloc(in_dim, o, err);
    if (f->net == NULL) {
        kernel_free(k);
        return NULL;
    }
    f->ntk = ntk;
    f->p[0] = o->sw2;
    f->p[1] = o->sb2;
    finish(k);
    return k;
}

/* ---- parameters ----------------------------------------------------- */

size_t
kernel_nparams(const kernel *k)
{
    return k->np;
}

static const leaf *
find_param(const kernel *k, size_t i, size_t *j)
{
    for (size_t l = 0; l < k->nleaf; l++) {
        const leaf *f = &k->leaves[l];
        if (i >= f->off && i < f->off + f->np) {
            *j = i - f->off;
            return f;
        }
    }
    return NULL;
}

const char *
kernel_param_name(const kernel *k, size_t i)
{
    size_t j;
    const leaf *f = find_param(k, i, &j);
    return f ? f->names[j] : NULL;
}

double
kernel_param_value(const kernel *k, size_t i)
{
    size_t j;
    const leaf *f = find_param(k, i, &j);
    return f ? f->p[j] : (double)NAN;
}

bool
kernel_param_is_log(const kernel *k, size_t i)
{
    size_t j;
    const leaf *f = find_param(k, i, &j);
    return f ? ktab[f->t].pos[j] : false;
}

void
kernel_get_theta(const kernel *k, double *theta)
{
    for (size_t l = 0; l < k->nleaf; l++) {
        const leaf *f = &k->leaves[l];
        for (size_t j = 0; j < f->np; j++)
            theta[f->off + j] = ktab[f->t].pos[j] ? log(f->p[j]) : f->p[j];
    }
}

/* Validity of a natural-scale value for parameter j of type t. */
static int
check_value(kernel_type t, size_t j, double v, const char *name, bl_err *err)
{
    if (!isfinite(v))
        return bl_fail(err, BL_EINVAL, "kernel: %s=%g: must be finite", name, v);
    if (ktab[t].pos[j] && !(v > 0.0))
        return bl_fail(err, BL_EINVAL, "kernel: %s=%g: must be > 0", name, v);
    if (t == KERNEL_NNGP && j == 1 && v < 0.0)
        return bl_fail(err, BL_EINVAL, "kernel: %s=%g: must be >= 0", name, v);
    return BL_OK;
}

static int
apply_nngp(leaf *f, bl_err *err)
{
    return f->net ? nngp_set_variances(f->net, f->p[0], f->p[1], err) : BL_OK;
}

int
kernel_set_theta(kernel *k, const double *theta, bl_err *err)
{
    for (size_t l = 0; l < k->nleaf; l++) {
        const leaf *f = &k->leaves[l];
        for (size_t j = 0; j < f->np; j++) {
            double th = theta[f->off + j], v = ktab[f->t].pos[j] ? exp(th) : th;
            if (!isfinite(th) || check_value(f->t, j, v, f->names[j], err) != BL_OK)
                return bl_fail(err, BL_EINVAL, "kernel: %s: theta=%g gives an invalid value %g",
                               f->names[j], th, v);
        }
    }
    for (size_t l = 0; l < k->nleaf; l++) {
        leaf *f = &k->leaves[l];
        for (size_t j = 0; j < f->np; j++) {
            double th = theta[f->off + j];
            f->p[j] = ktab[f->t].pos[j] ? exp(th) : th;
        }
        apply_nngp(f, NULL);
    }
    return BL_OK;
}

int
kernel_set_param(kernel *k, const char *name, double value, bl_err *err)
{
    for (size_t l = 0; l < k->nleaf; l++) {
        leaf *f = &k->leaves[l];
        for (size_t j = 0; j < f->np; j++)
            if (strcmp(f->names[j], name) == 0) {
                int rc = check_value(f->t, j, value, name, err);
                if (rc != BL_OK)
                    return rc;
                double old = f->p[j];
                f->p[j] = value;
                if (apply_nngp(f, err) != BL_OK) {
                    f->p[j] = old;
                    return BL_EINVAL;
                }
                return BL_OK;
            }
    }
    return bl_fail(err, BL_EINVAL, "kernel: no parameter '%s'%s%s", name,
                   k->np ? " (first is " : "", k->np ? k->leaves[0].names[0] : "");
}

bool
kernel_has_grad(const kernel *k)
{
    for (size_t l = 0; l < k->nleaf; l++)
        if (k->leaves[l].t == KERNEL_NNGP)
            return false;
    return true;
}

/* ---- evaluation ------------------------------------------------------ */

/* exp(-a) for a >= 0, without calling exp where it underflows to +0 anyway
 * (a > 745.14): libm's underflow path (errno, the xflow handler) cost a
 * tenth of `optimize` on kernels.lens, whose short rbf (ls 0.12 years) is
 * 0 for every pair more than 4.6 years apart. Bit-identical results. */
static inline double
exp_neg(double a)
{
    return a < 746.0 ? exp(-a) : 0.0;
}

/* Matern correlation at s = sqrt(2 nu) r / ls >= 0,
 * c(s) = 2^(1-nu)/Gamma(nu) s^nu K_nu(s), and *dls = dc/dlog ls =
 * 2^(1-nu)/Gamma(nu) s^(nu+1) K_(nu-1)(s) (from d/ds s^nu K_nu = -s^nu K_(nu-1)
 * and ds/dlog ls = -s; K_-m = K_m). Closed forms at nu = 1/2, 3/2, 5/2 (the
 * matern12/32/52 leaves), the Bessel form in logs otherwise, so that neither
 * s^nu nor K_nu(s) overflows (docs/math.md §5.3). The arguments are in GSL's
 * domain (nu in (0, 100], s > 0): its error handler is never called. */
static double
matern_corr(double nu, double s, double *dls)
{
    if (nu == 0.5 || nu == 1.5 || nu == 2.5) {
        double e = exp(-s), c, d;
        if (nu == 0.5) {
            c = e;
            d = s * e;
        } else if (nu == 1.5) {
            c = e * (1.0 + s);
            d = e * s * s;
        } else {
            c = e * (1.0 + s + s * s / 3.0);
            d = e * s * s * (1.0 + s) / 3.0;
        }
        *dls = d;
        return c;
    }
    if (!(s > 0.0)) {
        *dls = 0.0;
        return 1.0;
    }
    gsl_sf_result kn, km;
    double mu = fabs(nu - 1.0), ls = log(s), pre = (1.0 - nu) * M_LN2 - lgamma(nu);
    if (gsl_sf_bessel_lnKnu_e(nu, s, &kn) != GSL_SUCCESS) {
        *dls = (double)NAN;
        return (double)NAN;
    }
    if (mu > 0.0) {
        if (gsl_sf_bessel_lnKnu_e(mu, s, &km) != GSL_SUCCESS)
            km.val = (double)NAN;
    } else {
        /* K_0: lnKnu wants an order > 0 */
        gsl_sf_result k0;
        km.val = gsl_sf_bessel_K0_scaled_e(s, &k0) == GSL_SUCCESS ? log(k0.val) - s : (double)NAN;
    }
    *dls = exp(pre + (nu + 1.0) * ls + km.val);
    return exp(pre + nu * ls + kn.val);
}

/* Rational quadratic correlation (1 + u)^-alpha, u = r^2/(2 alpha ls^2), and
 * its derivatives w.r.t. log ls and log alpha. */
static inline double
rq_corr(double r2, double ls, double alpha, double *dls, double *dal)
{
    double t = r2 / (ls * ls), u = t / (2.0 * alpha), lu = log1p(u), c = exp_neg(alpha * lu);
    *dls = c * t / (1.0 + u);
    *dal = c * alpha * (u / (1.0 + u) - lu);
    return c;
}

/* One classic leaf at (x, x2); same: identical indices of one Gram matrix.
 * q >= 0: also *dv = derivative w.r.t. transformed parameter q of the leaf. */
static inline double
leaf_val(const leaf *f, const double *x, const double *x2, size_t d, bool same, int q, double *dv)
{
    const double *p = f->p;
    double v = p[0], r2 = 0.0, k, g = 0.0;
    switch (f->t) {
    case KERNEL_RBF:
    case KERNEL_MATERN12:
    case KERNEL_MATERN32:
    case KERNEL_MATERN52:
    case KERNEL_PERIODIC:
    case KERNEL_RQ:
    case KERNEL_MATERN:
        for (size_t i = 0; i < d; i++) {
            double t = x[i] - x2[i];
            r2 += t * t;
        }
        break;
    default: break;
    }
    switch (f->t) {
    case KERNEL_RBF: {
        double t = r2 / (p[1] * p[1]);
        k = v * exp_neg(0.5 * t);
        if (q == 1)
            g = k * t;
        break;
    }
    case KERNEL_MATERN12: {
        double s = sqrt(r2) / p[1], e = v * exp(-s);
        k = e;
        if (q == 1)
            g = e * s;
        break;
    }
    case KERNEL_MATERN32: {
        double s = sqrt(3.0 * r2) / p[1], e = v * exp(-s);
        k = e * (1.0 + s);
        if (q == 1)
            g = e * s * s;
        break;
    }
    case KERNEL_MATERN52: {
        double s = sqrt(5.0 * r2) / p[1], e = v * exp(-s);
        k = e * (1.0 + s + s * s / 3.0);
        if (q == 1)
            g = e * s * s * (1.0 + s) / 3.0;
        break;
    }
    case KERNEL_PERIODIC: {
        double a = M_PI * sqrt(r2) / p[2], sn = sin(a), il2 = 1.0 / (p[1] * p[1]);
        k = v * exp(-2.0 * sn * sn * il2);
        if (q == 1)
            g = k * 4.0 * sn * sn * il2;
        else if (q == 2)
            g = k * 2.0 * a * sin(2.0 * a) * il2;
        break;
    }
    case KERNEL_LINEAR: {
        double c = p[1], s = 0.0, sd = 0.0;
        for (size_t i = 0; i < d; i++) {
            s += (x[i] - c) * (x2[i] - c);
            sd += (x[i] - c) + (x2[i] - c);
        }
        k = v * s;
        if (q == 1)
            g = -v * sd;
        break;
    }
    case KERNEL_RQ: {
        double dls, dal;
        k = v * rq_corr(r2, p[1], p[2], &dls, &dal);
        g = q == 1 ? v * dls : q == 2 ? v * dal : 0.0;
        break;
    }
    case KERNEL_DOT: {
        double s = 0.0;
        for (size_t i = 0; i < d; i++)
            s += x[i] * x2[i];
        k = v * (p[1] * p[1] + s);
        if (q == 1)
            g = 2.0 * v * p[1] * p[1];
        break;
    }
    case KERNEL_MATERN: {
        double dls;
        k = v * matern_corr(f->nu, sqrt(2.0 * f->nu * r2) / p[1], &dls);
        if (q == 1)
            g = v * dls;
        break;
    }
    case KERNEL_CONSTANT: k = v; break;
    case KERNEL_WHITE: k = same ? v : 0.0; break;
    default: k = NAN;
    }
    if (q == 0)
        g = k; /* every var is log-transformed: dk/dlog var = k */
    if (dv)
        *dv = g;
    return k;
}

static bool
contains(const kernel *k, int ni, size_t p)
{
    const node *nd = &k->nodes[ni];
    if (nd->op == 'L') {
        const leaf *f = &k->leaves[nd->leaf];
        return p >= f->off && p < f->off + f->np;
    }
    return contains(k, nd->a, p) || contains(k, nd->b, p);
}

typedef struct evalctx {
    const kernel *k;
    const double *X1, *X2;
    size_t n1, n2;
    bool sym;  /* lower triangle only (X2 == X1) */
    bool diag; /* only the n1 diagonal pairs (x_i, x_i), stored in V[i] */
    size_t p;  /* derivative parameter (when D != NULL) */
    const bl_cancel *cancel;
    bl_err *err;
} evalctx;

static size_t
ctx_size(const evalctx *c)
{
    return c->diag ? c->n1 : c->n1 * c->n2;
}

/* Apply fn over the active index set: in diag mode, i == j stored at i. */
#define FOR_ENTRIES(c, body)                              \
    do {                                                  \
        if ((c)->diag) {                                  \
            for (size_t i = 0; i < (c)->n1; i++) {        \
                size_t o = i, j = i;                      \
                (void)j;                                  \
                body;                                     \
            }                                             \
        } else {                                          \
            for (size_t i = 0; i < (c)->n1; i++) {        \
                size_t jend = (c)->sym ? i + 1 : (c)->n2; \
                for (size_t j = 0; j < jend; j++) {       \
                    size_t o = i * (c)->n2 + j;           \
                    body;                                 \
                }                                         \
            }                                             \
        }                                                 \
    } while (0)

static int
eval_leaf(const evalctx *c, const leaf *f, double *V, double *D)
{
    size_t d = c->k->d;
    if (f->t == KERNEL_NNGP) {
        if (D != NULL)
            return bl_fail(c->err, BL_EINVAL, "kernel: nngp has no analytic gradient");
        double *K = f->ntk ? NULL : V, *T = f->ntk ? V : NULL;
        if (c->diag)
            return nngp_diag(f->net, c->X1, c->n1, K, T, c->err);
        if (c->sym)
            return nngp_gram(f->net, c->X1, c->n1, K, T, c->cancel, c->err);
        return nngp_cross(f->net, c->X1, c->n1, c->X2, c->n2, 0, K, T, c->cancel, c->err);
    }
    int q = D != NULL ? (int)(c->p - f->off) : -1;
    bool cross = !c->sym && !c->diag;
    for (size_t i = 0; i < c->n1; i++) {
        if ((i & 63) == 0 && bl_cancelled(c->cancel))
            return bl_fail(c->err, BL_ECANCEL, "kernel: cancelled");
        const double *xi = c->X1 + i * d;
        if (c->diag) {
            V[i] = leaf_val(f, xi, xi, d, true, q, D ? &D[i] : NULL);
            continue;
        }
        size_t jend = c->sym ? i + 1 : c->n2;
        double *Vi = V + i * c->n2, *Di = D ? D + i * c->n2 : NULL;
        for (size_t j = 0; j < jend; j++)
            Vi[j] = leaf_val(f, xi, c->X2 + j * d, d, !cross && i == j, q, Di ? &Di[j] : NULL);
    }
    return BL_OK;
}

/* V <- value of subtree ni; D (NULL: not wanted, or subtree lacks p) <- d/dtheta_p. */
static int
eval_node(const evalctx *c, int ni, double *V, double *D)
{
    const node *nd = &c->k->nodes[ni];
    if (nd->op == 'L')
        return eval_leaf(c, &c->k->leaves[nd->leaf], V, D);
    bool da = D && contains(c->k, nd->a, c->p), db = D && contains(c->k, nd->b, c->p);
    int first = db && !da ? nd->b : nd->a, second = first == nd->a ? nd->b : nd->a;
    bool dfirst = da || db;
    size_t sz = ctx_size(c);
    /* The first child is evaluated before this level's scratch exists, so
     * a left-leaning chain a + b + c + ... holds one scratch at a time. */
    int rc = eval_node(c, first, V, dfirst ? D : NULL);
    if (rc != BL_OK)
        return rc;
    double *W = malloc(sz * sizeof *W);
    if (W == NULL)
        return bl_fail(c->err, BL_ENOMEM, "kernel: out of memory for %zu entries", sz);
    if (rc == BL_OK) {
        if (da && db) {
            /* p occurs in both subtrees only through duplicates of one node
             * index, which the parser never creates; handled for safety. */
            double *W2 = malloc(sz * sizeof *W2);
            if (W2 == NULL) {
                free(W);
                return bl_fail(c->err, BL_ENOMEM, "kernel: out of memory");
            }
            rc = eval_node(c, second, W, W2);
            if (rc == BL_OK) {
                if (nd->op == '+')
                    FOR_ENTRIES(c, {
                        V[o] += W[o];
                        D[o] += W2[o];
                    });
                else
                    FOR_ENTRIES(c, {
                        D[o] = D[o] * W[o] + V[o] * W2[o];
                        V[o] *= W[o];
                    });
            }
            free(W2);
        } else {
            rc = eval_node(c, second, W, NULL);
            if (rc == BL_OK) {
                if (nd->op == '+')
                    FOR_ENTRIES(c, { V[o] += W[o]; });
                else if (dfirst)
                    FOR_ENTRIES(c, {
                        V[o] *= W[o];
                        D[o] *= W[o];
                    });
                else
                    FOR_ENTRIES(c, { V[o] *= W[o]; });
            }
        }
    }
    free(W);
    return rc;
}

int
kernel_gram(const kernel *k, const double *X, size_t n, double *K, const bl_cancel *cancel,
            bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "kernel: no inputs (n=0)");
    evalctx c = {k, X, X, n, n, true, false, 0, cancel, err};
    int rc = eval_node(&c, (int)k->nnode - 1, K, NULL);
    if (rc == BL_OK)
        linalg_mirror_lower(K, n);
    return rc;
}

int
kernel_cross(const kernel *k, const double *X1, size_t n1, const double *X2, size_t n2, double *K12,
             const bl_cancel *cancel, bl_err *err)
{
    if (n1 == 0 || n2 == 0)
        return bl_fail(err, BL_EINVAL, "kernel: no inputs (n=0)");
    evalctx c = {k, X1, X2, n1, n2, false, false, 0, cancel, err};
    return eval_node(&c, (int)k->nnode - 1, K12, NULL);
}

int
kernel_diag(const kernel *k, const double *X, size_t n, double *kd, bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "kernel: no inputs (n=0)");
    evalctx c = {k, X, X, n, n, false, true, 0, NULL, err};
    return eval_node(&c, (int)k->nnode - 1, kd, NULL);
}

int
kernel_gram_grad(const kernel *k, const double *X, size_t n, size_t p, double *dK,
                 const bl_cancel *cancel, bl_err *err)
{
    if (p >= k->np)
        return bl_fail(err, BL_EINVAL, "kernel: parameter index %zu: must be < %zu", p, k->np);
    if (!kernel_has_grad(k))
        return bl_fail(err, BL_EINVAL, "kernel: nngp kernels have no analytic gradient");
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "kernel: no inputs (n=0)");
    double *V = malloc(n * n * sizeof *V);
    if (V == NULL)
        return bl_fail(err, BL_ENOMEM, "kernel: out of memory for n=%zu", n);
    evalctx c = {k, X, X, n, n, true, false, p, cancel, err};
    int rc = eval_node(&c, (int)k->nnode - 1, V, dK);
    free(V);
    if (rc == BL_OK)
        linalg_mirror_lower(dK, n);
    return rc;
}

/* ---- contracted gradients ------------------------------------------- */

/* The per-pair memo of kernel_pairs: for each stationary leaf, the parts of
 * its value and derivatives that depend on the pair and on its "key"
 * parameters only, never on its variance (periodic: on its period only, not
 * its length scale). Where an optimisation holds the key (fix=
 * rbf1.ls,periodic.period on kernels.lens), each pair's exp or sincos is
 * computed once instead of at every evaluation; reading them back gives the
 * same bits as computing them. memo_width: stored doubles per pair. */
static const size_t memo_width[KERNEL_NTYPES] = {
    [KERNEL_RBF] = 2,      [KERNEL_MATERN12] = 2, [KERNEL_MATERN32] = 2,
    [KERNEL_MATERN52] = 2, [KERNEL_PERIODIC] = 3, [KERNEL_RQ] = 3,
    [KERNEL_MATERN] = 2,
};

/* The key parameters of a memoised leaf (unused entries 0). */
static void
memo_key(const leaf *f, double key[2])
{
    key[0] = key[1] = 0.0;
    switch (f->t) {
    case KERNEL_PERIODIC: key[0] = f->p[2]; break;
    case KERNEL_RQ:
        key[0] = f->p[1];
        key[1] = f->p[2];
        break;
    case KERNEL_MATERN:
        key[0] = f->p[1];
        key[1] = f->nu;
        break;
    default: key[0] = f->p[1]; break;
    }
}

/* A leaf's memo at one pair: read r (valid), or compute and write w; both
 * NULL: compute only. */
typedef struct memo {
    const double *r;
    double *w;
} memo;

/* One classic leaf at (x, x2) with its derivatives w.r.t. every transformed
 * parameter of the leaf in dv[0..np-1]: the formulas of leaf_val, each
 * exponential once. */
static inline __attribute__((always_inline)) double
leaf_grads_t(kernel_type type, const leaf *f, const double *x, const double *x2, size_t d, bool same,
             memo m, double *dv)
{
    const double *p = f->p, *r = m.r;
    double r2 = 0.0, k;
    if (r == NULL && type != KERNEL_LINEAR && type != KERNEL_DOT)
        for (size_t i = 0; i < d; i++) {
            double t = x[i] - x2[i];
            r2 += t * t;
        }
    double tmp[3];
    double *w = r != NULL ? tmp : m.w != NULL ? m.w : tmp;
    switch (type) {
    case KERNEL_RBF: {
        if (r == NULL) {
            w[0] = r2 / (p[1] * p[1]);
            w[1] = exp_neg(0.5 * w[0]);
            r = w;
        }
        k = p[0] * r[1];
        dv[1] = k * r[0];
        break;
    }
    case KERNEL_MATERN12:
    case KERNEL_MATERN32:
    case KERNEL_MATERN52: {
        if (r == NULL) {
            double c = type == KERNEL_MATERN12 ? 1.0 : type == KERNEL_MATERN32 ? 3.0 : 5.0;
            w[0] = sqrt(type == KERNEL_MATERN12 ? r2 : c * r2) / p[1];
            w[1] = exp(-w[0]);
            r = w;
        }
        double s = r[0], e = p[0] * r[1];
        if (type == KERNEL_MATERN12) {
            k = e;
            dv[1] = k * s;
        } else if (type == KERNEL_MATERN32) {
            k = e * (1.0 + s);
            dv[1] = e * s * s;
        } else {
            k = e * (1.0 + s + s * s / 3.0);
            dv[1] = e * s * s * (1.0 + s) / 3.0;
        }
        break;
    }
    case KERNEL_PERIODIC: {
        if (r == NULL) {
            w[0] = M_PI * sqrt(r2) / p[2];
            w[1] = sin(w[0]);
            w[2] = cos(w[0]);
            r = w;
        }
        double a = r[0], sn = r[1], il2 = 1.0 / (p[1] * p[1]);
        k = p[0] * exp(-2.0 * sn * sn * il2);
        dv[1] = k * 4.0 * sn * sn * il2;
        dv[2] = k * 4.0 * a * sn * r[2] * il2; /* = 2 a sin(2a) / ls^2 */
        break;
    }
    case KERNEL_LINEAR: {
        double c = p[1], s = 0.0, sd = 0.0;
        for (size_t i = 0; i < d; i++) {
            s += (x[i] - c) * (x2[i] - c);
            sd += (x[i] - c) + (x2[i] - c);
        }
        k = p[0] * s;
        dv[1] = -p[0] * sd;
        break;
    }
    case KERNEL_RQ:
        if (r == NULL) {
            w[0] = rq_corr(r2, p[1], p[2], &w[1], &w[2]);
            r = w;
        }
        k = p[0] * r[0];
        dv[1] = r[1] * p[0];
        dv[2] = r[2] * p[0];
        break;
    case KERNEL_DOT: {
        double s = 0.0;
        for (size_t i = 0; i < d; i++)
            s += x[i] * x2[i];
        k = p[0] * (p[1] * p[1] + s);
        dv[1] = 2.0 * p[0] * p[1] * p[1];
        break;
    }
    case KERNEL_MATERN:
        if (r == NULL) {
            w[0] = matern_corr(f->nu, sqrt(2.0 * f->nu * r2) / p[1], &w[1]);
            r = w;
        }
        k = p[0] * r[0];
        dv[1] = r[1] * p[0];
        break;
    case KERNEL_CONSTANT: k = p[0]; break;
    case KERNEL_WHITE: k = same ? p[0] : 0.0; break;
    default: k = NAN;
    }
    dv[0] = k; /* every var is log-transformed: dk/dlog var = k */
    return k;
}

static inline double
leaf_grads(const leaf *f, const double *x, const double *x2, size_t d, bool same, double *dv)
{
    return leaf_grads_t(f->t, f, x, x2, d, same, (memo){NULL, NULL}, dv);
}

/* Value of subtree ni at one pair; dv[p] for the parameters p in [lo, hi)
 * of the subtree (contiguous: the parser appends leaves in spec order and a
 * subtree is a substring of the spec). */
static double
pair_grads(const kernel *k, int ni, const size_t *lo, const size_t *hi, const double *x,
           const double *x2, bool same, double *dv)
{
    const node *nd = &k->nodes[ni];
    if (nd->op == 'L') {
        const leaf *f = &k->leaves[nd->leaf];
        return leaf_grads(f, x, x2, k->d, same, dv + f->off);
    }
    double va = pair_grads(k, nd->a, lo, hi, x, x2, same, dv);
    double vb = pair_grads(k, nd->b, lo, hi, x, x2, same, dv);
    if (nd->op == '+')
        return va + vb;
    for (size_t p = lo[nd->a]; p < hi[nd->a]; p++)
        dv[p] *= vb;
    for (size_t p = lo[nd->b]; p < hi[nd->b]; p++)
        dv[p] *= va;
    return va * vb;
}

/* Parameter range [lo, hi) of every node: children precede their parents. */
static void
param_ranges(const kernel *k, size_t *lo, size_t *hi)
{
    for (size_t i = 0; i < k->nnode; i++) {
        const node *nd = &k->nodes[i];
        if (nd->op == 'L') {
            lo[i] = k->leaves[nd->leaf].off;
            hi[i] = lo[i] + k->leaves[nd->leaf].np;
        } else {
            lo[i] = lo[nd->a] < lo[nd->b] ? lo[nd->a] : lo[nd->b];
            hi[i] = hi[nd->a] > hi[nd->b] ? hi[nd->a] : hi[nd->b];
        }
    }
}

int
kernel_gram_grad_dot(const kernel *k, const double *X, size_t n, const double *W, double *g,
                     const bl_cancel *cancel, bl_err *err)
{
    if (!kernel_has_grad(k))
        return bl_fail(err, BL_EINVAL, "kernel: nngp kernels have no analytic gradient");
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "kernel: no inputs (n=0)");
    size_t lo[2 * KERNEL_MAX_LEAVES], hi[2 * KERNEL_MAX_LEAVES];
    param_ranges(k, lo, hi);
    size_t np = k->np, d = k->d;
    int root = (int)k->nnode - 1;
    double dv[KERNEL_MAX_LEAVES * 3], acc[KERNEL_MAX_LEAVES * 3], row[KERNEL_MAX_LEAVES * 3];
    for (size_t p = 0; p < np; p++)
        acc[p] = 0.0;
    for (size_t i = 0; i < n; i++) {
        if ((i & 63) == 0 && bl_cancelled(cancel))
            return bl_fail(err, BL_ECANCEL, "kernel: cancelled");
        /* Row sums first: the lower triangle counts twice off the diagonal. */
        for (size_t p = 0; p < np; p++)
            row[p] = 0.0;
        const double *xi = X + i * d, *Wi = W + i * n;
        for (size_t j = 0; j < i; j++) {
            pair_grads(k, root, lo, hi, xi, X + j * d, false, dv);
            for (size_t p = 0; p < np; p++)
                row[p] += Wi[j] * dv[p];
        }
        pair_grads(k, root, lo, hi, xi, xi, true, dv);
        for (size_t p = 0; p < np; p++)
            acc[p] += 2.0 * row[p] + Wi[i] * dv[p];
    }
    for (size_t p = 0; p < np; p++)
        g[p] = acc[p];
    return BL_OK;
}

/* ---- one pass per evaluation ---------------------------------------- */

struct kernel_pairs {
    size_t n, np, nleaf, nnode;
    kernel_type type[KERNEL_MAX_LEAVES]; /* the leaves at allocation */
    const double *X;                     /* the inputs the memo is for */
    double *dK;                          /* pairs x np */
    double *rows;                        /* nnode x n: each node's values along a row */
    double *memo[KERNEL_MAX_LEAVES];     /* pairs x memo_width, NULL: none */
    double key[KERNEL_MAX_LEAVES][2];    /* the key parameters memo[l] holds */
    bool valid[KERNEL_MAX_LEAVES];
};

/* Doubles per pair: the derivatives and the memo. */
static size_t
pair_doubles(const kernel *k)
{
    size_t w = k->np;
    for (size_t l = 0; l < k->nleaf; l++)
        w += memo_width[k->leaves[l].t];
    return w;
}

size_t
kernel_pairs_bytes(const kernel *k, size_t n)
{
    /* n < 2^(half the bits of size_t): n (n + 1) cannot wrap. */
    if (n >= (size_t)1 << (sizeof(size_t) * 4))
        return 0;
    size_t pairs = n * (n + 1) / 2, w = pair_doubles(k);
    if (w != 0 && pairs > SIZE_MAX / sizeof(double) / w)
        return 0;
    return pairs * w * sizeof(double);
}

void
kernel_pairs_free(kernel_pairs *P)
{
    if (P == NULL)
        return;
    for (size_t l = 0; l < P->nleaf; l++)
        free(P->memo[l]);
    free(P->rows);
    free(P->dK);
    free(P);
}

kernel_pairs *
kernel_pairs_alloc(const kernel *k, size_t n, bl_err *err)
{
    if (!kernel_has_grad(k)) {
        bl_fail(err, BL_EINVAL, "kernel: nngp kernels have no analytic gradient");
        return NULL;
    }
    if (n == 0) {
        bl_fail(err, BL_EINVAL, "kernel: no inputs (n=0)");
        return NULL;
    }
    if (kernel_pairs_bytes(k, n) == 0) {
        bl_fail(err, BL_ENOMEM, "kernel: pair buffer for n=%zu overflows", n);
        return NULL;
    }
    kernel_pairs *P = calloc(1, sizeof *P);
    if (P == NULL) {
        bl_fail(err, BL_ENOMEM, "kernel: out of memory for the pairs of n=%zu", n);
        return NULL;
    }
    size_t pairs = n * (n + 1) / 2;
    P->n = n;
    P->np = k->np;
    P->nleaf = k->nleaf;
    P->nnode = k->nnode;
    P->dK = malloc(pairs * k->np * sizeof *P->dK);
    P->rows = malloc(k->nnode * n * sizeof *P->rows);
    bool ok = P->dK != NULL && P->rows != NULL;
    for (size_t l = 0; l < k->nleaf; l++) {
        P->type[l] = k->leaves[l].t;
        size_t w = memo_width[P->type[l]];
        if (w != 0 && (P->memo[l] = malloc(pairs * w * sizeof *P->memo[l])) == NULL)
            ok = false;
    }
    if (!ok) {
        kernel_pairs_free(P);
        bl_fail(err, BL_ENOMEM, "kernel: out of memory for the pairs of n=%zu", n);
        return NULL;
    }
    return P;
}

/* Leaf f at the pairs (x_i, x_j), j < m = i + 1 (the row's lower triangle):
 * values v[j], derivatives at D + j np. The type is a constant in each loop
 * so that the switch of leaf_grads_t folds away; memo: the leaf's at pair
 * (i, 0), read or written, or NULL. */
static void
leaf_row(const leaf *f, const double *X, size_t d, size_t i, double *memo_at, bool read,
         size_t np, double *v, double *D)
{
    const double *xi = X + i * d;
    size_t m = i + 1, w = memo_width[f->t];
#define LEAF_ROW(T)                                                                      \
    for (size_t j = 0; j < m; j++) {                                                  \
        memo mj = {NULL, NULL};                                                       \
        if (memo_at != NULL) {                                                        \
            if (read)                                                                 \
                mj.r = memo_at + j * w;                                               \
            else                                                                      \
                mj.w = memo_at + j * w;                                               \
        }                                                                             \
        v[j] = leaf_grads_t(T, f, xi, X + j * d, d, j == i, mj, D + j * np);           \
    }                                                                                 \
    break
    switch (f->t) {
    case KERNEL_RBF: LEAF_ROW(KERNEL_RBF);
    case KERNEL_MATERN12: LEAF_ROW(KERNEL_MATERN12);
    case KERNEL_MATERN32: LEAF_ROW(KERNEL_MATERN32);
    case KERNEL_MATERN52: LEAF_ROW(KERNEL_MATERN52);
    case KERNEL_PERIODIC: LEAF_ROW(KERNEL_PERIODIC);
    case KERNEL_LINEAR: LEAF_ROW(KERNEL_LINEAR);
    case KERNEL_RQ: LEAF_ROW(KERNEL_RQ);
    case KERNEL_DOT: LEAF_ROW(KERNEL_DOT);
    case KERNEL_MATERN: LEAF_ROW(KERNEL_MATERN);
    default: LEAF_ROW(f->t); /* constant, white */
    }
#undef LEAF_ROW
}

/* kernel_gram_grad_dot's pair_grads, row by row: the leaves over the whole
 * row first, then the nodes in order (children precede parents), so every
 * pair's value and derivatives see the operations of pair_grads in the
 * same order: K is kernel_gram's bits (the same leaf formulas, a + b and
 * a * b in the same operand order) and the derivatives
 * kernel_gram_grad_dot's. */
int
kernel_pairs_gram(kernel_pairs *P, const kernel *k, const double *X, double *K,
                  const bl_cancel *cancel, bl_err *err)
{
    bool same = k->np == P->np && k->nleaf == P->nleaf && k->nnode == P->nnode;
    for (size_t l = 0; same && l < k->nleaf; l++)
        same = k->leaves[l].t == P->type[l];
    if (!same)
        return bl_fail(err, BL_EINVAL, "kernel: not the kernel the pair buffer was made for");
    size_t lo[2 * KERNEL_MAX_LEAVES], hi[2 * KERNEL_MAX_LEAVES];
    param_ranges(k, lo, hi);
    bool read[KERNEL_MAX_LEAVES];
    double key[KERNEL_MAX_LEAVES][2];
    for (size_t l = 0; l < k->nleaf; l++) {
        if (P->memo[l] == NULL)
            continue;
        memo_key(&k->leaves[l], key[l]);
        read[l] = P->valid[l] && X == P->X && memcmp(key[l], P->key[l], sizeof key[l]) == 0;
        /* A cancelled pass leaves the memo half written. */
        P->valid[l] = read[l];
    }
    size_t n = P->n, np = P->np, d = k->d, nnode = k->nnode;
    for (size_t i = 0; i < n; i++) {
        if ((i & 63) == 0 && bl_cancelled(cancel))
            return bl_fail(err, BL_ECANCEL, "kernel: cancelled");
        size_t pi = i * (i + 1) / 2, m = i + 1;
        double *D = P->dK + pi * np;
        for (size_t ni = 0; ni < nnode; ni++) {
            const node *nd = &k->nodes[ni];
            double *v = P->rows + ni * n;
            if (nd->op == 'L') {
                const leaf *f = &k->leaves[nd->leaf];
                double *mem = P->memo[nd->leaf];
                leaf_row(f, X, d, i, mem ? mem + pi * memo_width[f->t] : NULL,
                         mem && read[nd->leaf], np, v, D + f->off);
                continue;
            }
            const double *va = P->rows + (size_t)nd->a * n, *vb = P->rows + (size_t)nd->b * n;
            if (nd->op == '+') {
                for (size_t j = 0; j < m; j++)
                    v[j] = va[j] + vb[j];
                continue;
            }
            for (size_t j = 0; j < m; j++) {
                double *dv = D + j * np;
                for (size_t p = lo[nd->a]; p < hi[nd->a]; p++)
                    dv[p] *= vb[j];
                for (size_t p = lo[nd->b]; p < hi[nd->b]; p++)
                    dv[p] *= va[j];
                v[j] = va[j] * vb[j];
            }
        }
        memcpy(K + i * n, P->rows + (nnode - 1) * n, m * sizeof *K);
    }
    linalg_mirror_lower(K, n);
    P->X = X;
    for (size_t l = 0; l < k->nleaf; l++)
        if (P->memo[l] != NULL && !P->valid[l]) {
            memcpy(P->key[l], key[l], sizeof key[l]);
            P->valid[l] = true;
        }
    return BL_OK;
}

/* The sums of kernel_gram_grad_dot in its order: the same bits. */
void
kernel_pairs_dot(const kernel_pairs *P, const double *W, double *g)
{
    size_t n = P->n, np = P->np;
    double acc[KERNEL_MAX_LEAVES * 3], row[KERNEL_MAX_LEAVES * 3];
    for (size_t p = 0; p < np; p++)
        acc[p] = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < np; p++)
            row[p] = 0.0;
        const double *Wi = W + i * n, *Di = P->dK + i * (i + 1) / 2 * np;
        for (size_t j = 0; j < i; j++) {
            const double *dv = Di + j * np;
            for (size_t p = 0; p < np; p++)
                row[p] += Wi[j] * dv[p];
        }
        const double *dv = Di + i * np;
        for (size_t p = 0; p < np; p++)
            acc[p] += 2.0 * row[p] + Wi[i] * dv[p];
    }
    for (size_t p = 0; p < np; p++)
        g[p] = acc[p];
}

/* ---- formatting ------------------------------------------------------ */

typedef struct sbuf {
    char *buf;
    size_t size, len;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(sbuf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->size ? s->size - s->len : 0;
    int w = vsnprintf(room ? s->buf + s->len : NULL, room, fmt, ap);
    va_end(ap);
    if (w > 0)
        s->len += (size_t)w;
}

static void
fmt_node(const kernel *k, int ni, sbuf *s, char parent)
{
    const node *nd = &k->nodes[ni];
    if (nd->op == 'L') {
        const leaf *f = &k->leaves[nd->leaf];
        sb_printf(s, "%s(", ktab[f->t].name);
        if (f->t == KERNEL_NNGP) {
            const nngp_opts *o = nngp_get_opts(f->net);
            sb_printf(s, "act=%s, depth=%zu, sw2=%.10g, sb2=%.10g", nngp_act_name(o->act), o->depth,
                      f->p[0], f->p[1]);
            if (o->act == NNGP_LEAKY_RELU)
                sb_printf(s, ", slope=%.10g", o->slope);
            if (!nngp_act_closed_form(o->act) || o->quadrature)
                sb_printf(s, ", order=%zu", o->gh_order);
            if (f->ntk)
                sb_printf(s, ", ntk=1");
        } else {
            for (size_t j = 0; j < f->np; j++)
                sb_printf(s, "%s%s=%.10g", j ? ", " : "", ktab[f->t].pn[j], f->p[j]);
            if (f->t == KERNEL_MATERN)
                sb_printf(s, ", nu=%.10g", f->nu);
        }
        sb_printf(s, ")");
        return;
    }
    bool paren = parent == '*' && nd->op == '+';
    if (paren)
        sb_printf(s, "(");
    fmt_node(k, nd->a, s, nd->op);
    sb_printf(s, nd->op == '+' ? " + " : " * ");
    fmt_node(k, nd->b, s, nd->op);
    if (paren)
        sb_printf(s, ")");
}

size_t
kernel_format(const kernel *k, char *buf, size_t size)
{
    sbuf s = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    fmt_node(k, (int)k->nnode - 1, &s, 0);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return s.len;
}

/* ---- parser ---------------------------------------------------------- */

typedef struct parser {
    const char *s; /* whole spec */
    size_t i;      /* cursor */
    kernel *k;
    bl_err *err;
} parser;

static void
skip_ws(parser *P)
{
    while (isspace((unsigned char)P->s[P->i]))
        P->i++;
}

static size_t
read_name(parser *P, char *out, size_t cap)
{
    size_t n = 0;
    while (isalnum((unsigned char)P->s[P->i]) || P->s[P->i] == '_') {
        if (n + 1 < cap)
            out[n++] = P->s[P->i];
        P->i++;
    }
    out[n] = '\0';
    return n;
}

static int parse_sum(parser *P, int *out);

static int
tok_err(parser *P, const char *what)
{
    skip_ws(P);
    if (P->s[P->i] == '\0')
        return bl_fail(P->err, BL_EINVAL, "kernel: %s at column %zu (end of spec)", what, P->i + 1);
    return bl_fail(P->err, BL_EINVAL, "kernel: %s at column %zu, found '%c'", what, P->i + 1,
                   P->s[P->i]);
}

/* key=value list of one leaf; the opening '(' is consumed. */
static int
parse_args(parser *P, leaf *f, nngp_opts *no)
{
    skip_ws(P);
    if (P->s[P->i] == ')') {
        P->i++;
        return BL_OK;
    }
    for (;;) {
        skip_ws(P);
        size_t col = P->i + 1;
        char key[32];
        if (read_name(P, key, sizeof key) == 0)
            return tok_err(P, "expected a parameter name");
        skip_ws(P);
        if (P->s[P->i] != '=')
            return tok_err(P, "expected '='");
        P->i++;
        skip_ws(P);
        size_t vcol = P->i + 1;
        if (f->t == KERNEL_NNGP && strcmp(key, "act") == 0) {
            char an[32];
            if (read_name(P, an, sizeof an) == 0)
                return tok_err(P, "expected an activation name");
            bl_err e2;
            if (nngp_act_parse(an, &no->act, &e2) != BL_OK)
                return bl_fail(P->err, BL_EINVAL, "kernel: %s at column %zu", e2.msg, vcol);
        } else {
            /* Decimal only, as every other argument: no hex (0x10), no
             * inf or nan. */
            const char *num = P->s + P->i;
            size_t span = strspn(num, "0123456789+-.eE");
            char buf[64], *end;
            if (span == 0)
                return tok_err(P, "expected a number");
            if (span >= sizeof buf || isalnum((unsigned char)num[span]) ||
                num[span] == '_')
                return tok_err(P, "expected a decimal number");
            memcpy(buf, num, span);
            buf[span] = '\0';
            double v = strtod(buf, &end);
            if (*end != '\0' || !isfinite(v))
                return tok_err(P, "expected a decimal number");
            P->i += span;
            size_t j = 0;
            while (j < f->np && strcmp(ktab[f->t].pn[j], key) != 0)
                j++;
            if (j < f->np) {
                int rc = check_value(f->t, j, v, key, P->err);
                if (rc != BL_OK)
                    return rc;
                f->p[j] = v;
            } else if (f->t == KERNEL_NNGP &&
                       (strcmp(key, "depth") == 0 || strcmp(key, "order") == 0)) {
                size_t lim = strcmp(key, "depth") == 0 ? NNGP_MAX_DEPTH : NNGP_GH_MAX;
                size_t lo = strcmp(key, "depth") == 0 ? 1 : 2;
                if (!(v >= (double)lo && v <= (double)lim) || v != floor(v))
                    return bl_fail(P->err, BL_EINVAL,
                                   "kernel: %s=%g: must be an integer in %zu..%zu", key, v, lo,
                                   lim);
                if (key[0] == 'd')
                    no->depth = (size_t)v;
                else
                    no->gh_order = (size_t)v;
            } else if (f->t == KERNEL_NNGP && strcmp(key, "slope") == 0) {
                if (!isfinite(v))
                    return bl_fail(P->err, BL_EINVAL, "kernel: slope=%g: must be finite", v);
                no->slope = v;
            } else if (f->t == KERNEL_NNGP && strcmp(key, "ntk") == 0) {
                f->ntk = v != 0.0;
            } else if (f->t == KERNEL_MATERN && strcmp(key, "nu") == 0) {
                if (!(v > 0.0 && v <= MATERN_NU_MAX))
                    return bl_fail(P->err, BL_EINVAL,
                                   "kernel: nu=%g: must be in (0, %g] (rbf is the limit nu -> "
                                   "inf)",
                                   v, MATERN_NU_MAX);
                f->nu = v;
            } else {
                char choices[128] = "";
                for (size_t t = 0; t < f->np; t++) {
                    strcat(choices, t ? ", " : "");
                    strcat(choices, ktab[f->t].pn[t]);
                }
                if (f->t == KERNEL_NNGP)
                    strcat(choices, ", act, depth, slope, order, ntk");
                if (f->t == KERNEL_MATERN)
                    strcat(choices, ", nu");
                return bl_fail(P->err, BL_EINVAL,
                               "kernel: unknown parameter '%s' of %s at column %zu (choose %s)",
                               key, ktab[f->t].name, col, choices);
            }
        }
        skip_ws(P);
        if (P->s[P->i] == ',') {
            P->i++;
            continue;
        }
        if (P->s[P->i] == ')') {
            P->i++;
            return BL_OK;
        }
        return tok_err(P, "expected ',' or ')'");
    }
}

static int
parse_atom(parser *P, int *out)
{
    skip_ws(P);
    if (P->s[P->i] == '(') {
        P->i++;
        int rc = parse_sum(P, out);
        if (rc != BL_OK)
            return rc;
        skip_ws(P);
        if (P->s[P->i] != ')')
            return tok_err(P, "expected ')'");
        P->i++;
        return BL_OK;
    }
    size_t col = P->i + 1;
    char name[32];
    if (read_name(P, name, sizeof name) == 0)
        return tok_err(P, "expected a kernel name");
    size_t ai = 0;
    while (ai < KERNEL_NNAMES && strcmp(knames[ai].name, name) != 0)
        ai++;
    int t = ai < KERNEL_NNAMES ? (int)knames[ai].t : KERNEL_NTYPES;
    if (t == KERNEL_NTYPES)
        return bl_fail(P->err, BL_EINVAL,
                       "kernel: unknown kernel '%s' at column %zu (choose " KERNEL_CHOICES ")",
                       name, col);
    int ni = add_leaf(P->k, (kernel_type)t);
    if (ni < 0)
        return bl_fail(P->err, BL_EINVAL, "kernel: more than %d kernels at column %zu",
                       KERNEL_MAX_LEAVES, col);
    leaf *f = &P->k->leaves[P->k->nodes[ni].leaf];
    nngp_opts no = nngp_opts_default();
    skip_ws(P);
    if (P->s[P->i] == '(') {
        P->i++;
        int rc = parse_args(P, f, &no);
        if (rc != BL_OK)
            return rc;
    }
    if (t == KERNEL_NNGP) {
        no.sw2 = f->p[0];
        no.sb2 = f->p[1];
        f->net = nngp_alloc(P->k->d, &no, P->err);
        if (f->net == NULL)
            return P->err ? P->err->code : BL_EINVAL;
    }
    *out = ni;
    return BL_OK;
}

static int
parse_binary(parser *P, int *out, char op)
{
    int lhs;
    int rc = op == '+' ? parse_binary(P, &lhs, '*') : parse_atom(P, &lhs);
    if (rc != BL_OK)
        return rc;
    for (;;) {
        skip_ws(P);
        if (P->s[P->i] != op)
            break;
        P->i++;
        int rhs;
        rc = op == '+' ? parse_binary(P, &rhs, '*') : parse_atom(P, &rhs);
        if (rc != BL_OK)
            return rc;
        if (P->k->nnode >= 2 * KERNEL_MAX_LEAVES)
            return bl_fail(P->err, BL_EINVAL, "kernel: expression too long");
        node *nd = &P->k->nodes[P->k->nnode];
        nd->op = op;
        nd->a = lhs;
        nd->b = rhs;
        nd->leaf = -1;
        lhs = (int)P->k->nnode++;
    }
    *out = lhs;
    return BL_OK;
}

static int
parse_sum(parser *P, int *out)
{
    return parse_binary(P, out, '+');
}

kernel *
kernel_parse(const char *spec, size_t in_dim, bl_err *err)
{
    kernel *k = new_kernel(in_dim, err);
    if (k == NULL)
        return NULL;
    parser P = {spec, 0, k, err};
    int root;
    int rc = parse_sum(&P, &root);
    if (rc == BL_OK) {
        skip_ws(&P);
        if (spec[P.i] != '\0')
            rc = tok_err(&P, "expected '+', '*' or end of spec");
    }
    if (rc != BL_OK) {
        kernel_free(k);
        return NULL;
    }
    /* The root must be the last node: parse_binary appends parents after
     * children, and a parenthesised atom at the top returns its own root. */
    if (root != (int)k->nnode - 1) {
        kernel_free(k);
        bl_fail(err, BL_EINVAL, "kernel: internal parse error");
        return NULL;
    }
    finish(k);
    return k;
}

/* ---- names for completion and suggestions ---------------------------- */

const char *
kernel_type_name(size_t t)
{
    return t < KERNEL_NNAMES ? knames[t].name : NULL;
}

const char *
kernel_type_key(size_t t, size_t j)
{
    /* The keys parse_args accepts beyond the hyperparameters. */
    static const char *const nngp_extra[] = {"act", "depth", "slope", "order", "ntk"};
    if (t >= KERNEL_NNAMES)
        return NULL;
    t = knames[t].t;
    if (j < ktab[t].np)
        return ktab[t].pn[j];
    j -= ktab[t].np;
    if (t == KERNEL_NNGP && j < sizeof nngp_extra / sizeof nngp_extra[0])
        return nngp_extra[j];
    if (t == KERNEL_MATERN && j == 0)
        return "nu";
    return NULL;
}
