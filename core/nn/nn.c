/* core/nn.c - finite fully-connected networks: forward, backward, kernels, optimizers.
 *
 * See nn.h for the conventions. Layer l (1..L+1) maps fan_in[l] to fan_out[l]
 * features as h = a_l A_{l-1} W^T + c_l 1 b^T on the whole batch (points are
 * rows, A_0 = X), one dgemm per layer; a_l, c_l are the parametrization's
 * multipliers and v_w[l], v_b[l] the prior variances of W^l's and b^l's
 * entries. Backward runs on the same shapes: with Delta_l = dJ/dh^l (B x
 * fan_out), dJ/dW^l = a_l Delta_l^T A_{l-1} and Delta_{l-1} = a_l (Delta_l W^l)
 * .* phi'(h^{l-1}), two dgemms per hidden layer. The activation and its
 * derivative are computed in one pass over the pre-activations, and the
 * product with phi' and the bias gradient's column sums in one pass over
 * Delta, so every elementwise array is touched once per step.
 * Scratch (activations, derivatives, one dgemm output) grows with the batch
 * and is kept, so a step allocates nothing once warm.
 * Every reduction of ours runs in a fixed order; the BLAS-3 calls partition
 * their output among threads (not the inner sum), so a step gives the same
 * bits for any OpenBLAS thread count (tests/test_nn_repro.c checks it). */
#include "core/nn/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/base/linalg.h"
#include "core/base/rng.h"

struct nn {
    nn_opts o;
    size_t L;           /* hidden layers */
    size_t P;           /* parameters */
    double *theta;      /* all parameters, in the order of nn.h */
    size_t *fan_in;     /* [l], l = 1..L+1 (index 0 unused) */
    size_t *fan_out;
    size_t *woff, *boff; /* offsets of W^l and b^l in theta (boff meaningless without biases) */
    double *a, *c;      /* multipliers of W^l and b^l in the forward pass */
    double *v_w, *v_b;  /* prior variances of W^l's and b^l's entries */
    bool bias;
    /* Scratch: act[l] (cap x n, l = 1..L) and f (cap) for any pass; der[l] (l = 1..L) and
     * tmp (dcap x n) only for passes that backpropagate (a prediction on a large grid
     * needs no derivatives). */
    size_t cap, dcap;
    double **act, **der;
    double *tmp, *f;
    double *cb; /* width: c_l b^l of the layer being computed (zeros without biases) */
};

struct nn_trainer {
    nn_train_opts o;
    size_t P;
    double *m, *v;      /* Adam moments */
    double *g;          /* gradient */
    gsl_rng *rng;
    size_t steps;
    size_t *perm;       /* minibatch draws: partial Fisher-Yates on a kept permutation */
    size_t nperm;
    double *xb, *yb;    /* the gathered minibatch */
    size_t xb_cap;
};

static const char *const param_names[NN_NPARAM] = {"standard", "ntk", "mup"};
static const char *const opt_names[NN_NOPT] = {"sgd", "adam", "sgld"};

nn_opts
nn_opts_default(void)
{
    nn_opts o = {.in_dim = 1,
                 .width = 256,
                 .depth = 2,
                 .act = NNGP_RELU,
                 .slope = 0.1,
                 .param = NN_PARAM_NTK,
                 .sw2 = 2.0,
                 .sb2 = 0.1,
                 .seed = 1};
    return o;
}

/* Index of name in names[0..n), or BL_EINVAL naming the option and its choices. */
static int
parse_name(const char *name, const char *const *names, int n, const char *opt,
           const char *choices, int *index, bl_err *err)
{
    for (int i = 0; i < n; i++)
        if (name != NULL && strcmp(name, names[i]) == 0) {
            *index = i;
            return BL_OK;
        }
    return bl_fail(err, BL_EINVAL, "%s=%s: must be one of %s", opt, name != NULL ? name : "",
                   choices);
}

int
nn_param_parse(const char *name, nn_param *p, bl_err *err)
{
    int i = 0, rc = parse_name(name, param_names, NN_NPARAM, "param", "standard, ntk, mup", &i, err);
    if (rc == BL_OK)
        *p = (nn_param)i;
    return rc;
}

const char *
nn_param_name(nn_param p)
{
    return (unsigned)p < NN_NPARAM ? param_names[p] : "?";
}

int
nn_optimizer_parse(const char *name, nn_optimizer *o, bl_err *err)
{
    int i = 0, rc = parse_name(name, opt_names, NN_NOPT, "opt", "sgd, adam, sgld", &i, err);
    if (rc == BL_OK)
        *o = (nn_optimizer)i;
    return rc;
}

const char *
nn_optimizer_name(nn_optimizer o)
{
    return (unsigned)o < NN_NOPT ? opt_names[o] : "?";
}

static int
validate(const nn_opts *o, bl_err *err)
{
    if (o->in_dim < 1)
        return bl_fail(err, BL_EINVAL, "in_dim=%zu: must be >= 1", o->in_dim);
    if (o->width < 1 || o->width > NN_MAX_WIDTH)
        return bl_fail(err, BL_EINVAL, "width=%zu: must be in 1..%d", o->width, NN_MAX_WIDTH);
    if (o->depth < 1 || o->depth > NN_MAX_DEPTH)
        return bl_fail(err, BL_EINVAL, "depth=%zu: must be in 1..%d", o->depth, NN_MAX_DEPTH);
    if ((unsigned)o->act >= NNGP_NACT)
        return bl_fail(err, BL_EINVAL, "act=%d: unknown activation", (int)o->act);
    if ((unsigned)o->param >= NN_NPARAM)
        return bl_fail(err, BL_EINVAL, "param=%d: unknown parametrization", (int)o->param);
    if (!(o->sw2 > 0) || !isfinite(o->sw2))
        return bl_fail(err, BL_EINVAL, "sw2=%g: must be finite and > 0", o->sw2);
    if (!(o->sb2 >= 0) || !isfinite(o->sb2))
        return bl_fail(err, BL_EINVAL, "sb2=%g: must be finite and >= 0", o->sb2);
    if (o->act == NNGP_LEAKY_RELU && !isfinite(o->slope))
        return bl_fail(err, BL_EINVAL, "slope=%g: must be finite", o->slope);
    /* The in_dim x width first layer must be addressable. */
    if (o->in_dim > ((size_t)1 << 40) / o->width)
        return bl_fail(err, BL_EINVAL, "in_dim=%zu: too large for width=%zu", o->in_dim,
                       o->width);
    return BL_OK;
}

static void
free_scratch(nn *net)
{
    for (size_t l = 0; net->act != NULL && l <= net->L; l++) {
        free(net->act[l]);
        net->act[l] = NULL;
    }
    free(net->f);
    net->f = NULL;
    net->cap = 0;
}

static void
free_dscratch(nn *net)
{
    for (size_t l = 0; net->der != NULL && l <= net->L; l++) {
        free(net->der[l]);
        net->der[l] = NULL;
    }
    free(net->tmp);
    net->tmp = NULL;
    net->dcap = 0;
}

void
nn_free(nn *net)
{
    if (net == NULL)
        return;
    free_scratch(net);
    free_dscratch(net);
    free(net->act);
    free(net->der);
    free(net->theta);
    free(net->fan_in);
    free(net->fan_out);
    free(net->woff);
    free(net->boff);
    free(net->a);
    free(net->c);
    free(net->v_w);
    free(net->v_b);
    free(net->cb);
    free(net);
}

/* The shapes, offsets, multipliers and prior variances of o; theta allocated, not drawn. */
static nn *
build(const nn_opts *o, bl_err *err)
{
    if (validate(o, err) != BL_OK)
        return NULL;
    nn *net = calloc(1, sizeof *net);
    if (net == NULL) {
        bl_fail(err, BL_ENOMEM, "nn: out of memory");
        return NULL;
    }
    net->o = *o;
    size_t L = net->L = o->depth, n = o->width, d = o->in_dim;
    net->bias = o->sb2 > 0;
    size_t k = L + 2;
    net->fan_in = calloc(k, sizeof(size_t));
    net->fan_out = calloc(k, sizeof(size_t));
    net->woff = calloc(k, sizeof(size_t));
    net->boff = calloc(k, sizeof(size_t));
    net->a = calloc(k, sizeof(double));
    net->c = calloc(k, sizeof(double));
    net->v_w = calloc(k, sizeof(double));
    net->v_b = calloc(k, sizeof(double));
    net->act = calloc(L + 1, sizeof(double *));
    net->der = calloc(L + 1, sizeof(double *));
    net->cb = calloc(n, sizeof(double));
    if (!net->cb || !net->fan_in || !net->fan_out || !net->woff || !net->boff || !net->a || !net->c ||
        !net->v_w || !net->v_b || !net->act || !net->der)
        goto nomem;
    size_t P = 0;
    for (size_t l = 1; l <= L + 1; l++) {
        size_t fi = l == 1 ? d : n, fo = l == L + 1 ? 1 : n;
        net->fan_in[l] = fi;
        net->fan_out[l] = fo;
        net->woff[l] = P;
        P += fi * fo;
        net->boff[l] = P;
        if (net->bias)
            P += fo;
        double sc = sqrt(o->sw2 / (double)fi), sb = sqrt(o->sb2);
        switch (o->param) {
        case NN_PARAM_STANDARD:
            net->a[l] = 1.0;
            net->c[l] = 1.0;
            net->v_w[l] = o->sw2 / (double)fi;
            net->v_b[l] = o->sb2;
            break;
        case NN_PARAM_MUP:
            net->a[l] = l == L + 1 ? sqrt(o->sw2) / (double)fi : sc;
            net->c[l] = sb;
            net->v_w[l] = net->v_b[l] = 1.0;
            break;
        default:
            net->a[l] = sc;
            net->c[l] = sb;
            net->v_w[l] = net->v_b[l] = 1.0;
        }
        if (!net->bias)
            net->c[l] = 0.0;
    }
    net->P = P;
    net->theta = malloc(P * sizeof(double));
    if (net->theta == NULL)
        goto nomem;
    return net;
nomem:
    nn_free(net);
    bl_fail(err, BL_ENOMEM, "nn: out of memory for width=%zu, depth=%zu", o->width, o->depth);
    return NULL;
}

nn *
nn_alloc(const nn_opts *o, bl_err *err)
{
    nn *net = build(o, err);
    if (net == NULL)
        return NULL;
    gsl_rng *rng = gsl_rng_alloc(bl_rng_mt19937);
    if (rng == NULL) {
        nn_free(net);
        bl_fail(err, BL_ENOMEM, "nn: out of memory");
        return NULL;
    }
    gsl_rng_set(rng, (unsigned long)o->seed);
    for (size_t l = 1; l <= net->L + 1; l++) {
        double sw = sqrt(net->v_w[l]), sb = sqrt(net->v_b[l]);
        double *w = net->theta + net->woff[l];
        for (size_t i = 0; i < net->fan_in[l] * net->fan_out[l]; i++)
            w[i] = sw * gsl_ran_gaussian_ziggurat(rng, 1.0);
        if (net->bias) {
            double *b = net->theta + net->boff[l];
            for (size_t i = 0; i < net->fan_out[l]; i++)
                b[i] = sb * gsl_ran_gaussian_ziggurat(rng, 1.0);
        }
    }
    gsl_rng_free(rng);
    return net;
}

nn *
nn_copy(const nn *net, bl_err *err)
{
    nn *c = build(&net->o, err);
    if (c != NULL)
        memcpy(c->theta, net->theta, net->P * sizeof(double));
    return c;
}

const nn_opts *
nn_get_opts(const nn *net)
{
    return &net->o;
}

size_t
nn_nparams(const nn *net)
{
    return net->P;
}

void
nn_get_params(const nn *net, double *theta)
{
    memcpy(theta, net->theta, net->P * sizeof(double));
}

int
nn_set_params(nn *net, const double *theta, bl_err *err)
{
    double z0 = 0, z1 = 0, z2 = 0, z3 = 0; /* 0 * x is 0 unless x is inf or NaN */
    size_t p = 0, P = net->P;
    for (; p + 4 <= P; p += 4) {
        z0 += 0.0 * theta[p];
        z1 += 0.0 * theta[p + 1];
        z2 += 0.0 * theta[p + 2];
        z3 += 0.0 * theta[p + 3];
    }
    for (; p < P; p++)
        z0 += 0.0 * theta[p];
    if ((z0 + z1) + (z2 + z3) != 0.0)
        for (p = 0; p < P; p++)
            if (!isfinite(theta[p]))
                return bl_fail(err, BL_EINVAL, "nn parameter %zu = %g: must be finite", p,
                               theta[p]);
    memcpy(net->theta, theta, P * sizeof(double));
    return BL_OK;
}

/* Scratch for batches of B points (grown, never shrunk); with grad, also the
 * backward pass's. */
static int
reserve(nn *net, size_t B, bool grad, bl_err *err)
{
    size_t n = net->o.width;
    if (B > ((size_t)1 << 40) / n)
        return bl_fail(err, BL_EINVAL, "nn: %zu points too many for width=%zu", B, n);
    size_t sz = B * n * sizeof(double);
    if (B > net->cap) {
        free_scratch(net);
        for (size_t l = 1; l <= net->L; l++)
            if ((net->act[l] = malloc(sz)) == NULL)
                goto nomem;
        if ((net->f = malloc(B * sizeof(double))) == NULL)
            goto nomem;
        net->cap = B;
    }
    if (grad && B > net->dcap) {
        free_dscratch(net);
        for (size_t l = 1; l <= net->L; l++)
            if ((net->der[l] = malloc(sz)) == NULL)
                goto nomem;
        if ((net->tmp = malloc(sz)) == NULL)
            goto nomem;
        net->dcap = B;
    }
    return BL_OK;
nomem:
    free_scratch(net);
    free_dscratch(net);
    return bl_fail(err, BL_ENOMEM, "nn: out of memory for %zu points at width=%zu", B, n);
}

/* In place over the rows x n matrix h: x = h + cb (cb[j] added to column j: the
 * layer's scaled bias), h <- phi(x) and, if der, der <- phi'(x), in one pass.
 * phi and phi' as core/kernel/nngp.c's act_eval (gelu = x Phi(x), silu = x sigmoid(x)).
 * Each case is its own loop so the cheap ones vectorize. */
#define ACT_LOOP(BODY)                                                                   \
    for (size_t i = 0; i < rows; i++) {                                                  \
        double *restrict hi = h + i * n, *restrict di = der != NULL ? der + i * n : NULL; \
        if (di != NULL)                                                                  \
            for (size_t j = 0; j < n; j++) {                                             \
                double x = hi[j] + cb[j], p, dp;                                         \
                BODY;                                                                    \
                hi[j] = p;                                                               \
                di[j] = dp;                                                              \
            }                                                                            \
        else                                                                             \
            for (size_t j = 0; j < n; j++) {                                             \
                double x = hi[j] + cb[j], p, dp;                                         \
                BODY;                                                                    \
                hi[j] = p;                                                               \
                (void)dp;                                                                \
            }                                                                            \
    }

static void
activate(const nn_opts *o, double *restrict h, double *restrict der, size_t rows, size_t n,
         const double *restrict cb)
{
    switch (o->act) {
    case NNGP_RELU:
        ACT_LOOP(dp = x > 0 ? 1.0 : 0.0; p = x > 0 ? x : 0.0)
        break;
    case NNGP_LEAKY_RELU:
    case NNGP_ABS: {
        double s = o->act == NNGP_ABS ? -1.0 : o->slope;
        ACT_LOOP(dp = x > 0 ? 1.0 : s; p = dp * x)
        break;
    }
    case NNGP_ERF:
        ACT_LOOP(p = erf(x); dp = der != NULL ? M_2_SQRTPI * exp(-x * x) : 0.0)
        break;
    case NNGP_TANH:
        ACT_LOOP(p = tanh(x); dp = 1.0 - p * p)
        break;
    case NNGP_GELU:
        ACT_LOOP(double P = 0.5 * erfc(-x * M_SQRT1_2); p = x * P;
                 dp = der != NULL ? P + x * exp(-0.5 * x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2)
                                  : 0.0)
        break;
    case NNGP_SILU:
        ACT_LOOP(double e = 1.0 / (1.0 + exp(-x)); p = x * e; dp = e * (1.0 + x * (1.0 - e)))
        break;
    case NNGP_SIN:
        ACT_LOOP(p = sin(x); dp = der != NULL ? cos(x) : 0.0)
        break;
    default:
        ACT_LOOP((void)x; p = dp = NAN)
    }
}
#undef ACT_LOOP

/* C (rows x cols) = alpha op(A) op(B) + beta C, row-major, through GSL's CBLAS (OpenBLAS). */
static void
gemm(bool ta, bool tb, size_t rows, size_t cols, size_t inner, double alpha, const double *A,
     size_t lda, const double *B, size_t ldb, double beta, double *C, size_t ldc)
{
    gsl_matrix_const_view Av =
        ta ? gsl_matrix_const_view_array_with_tda(A, inner, rows, lda)
           : gsl_matrix_const_view_array_with_tda(A, rows, inner, lda);
    gsl_matrix_const_view Bv =
        tb ? gsl_matrix_const_view_array_with_tda(B, cols, inner, ldb)
           : gsl_matrix_const_view_array_with_tda(B, inner, cols, ldb);
    gsl_matrix_view Cv = gsl_matrix_view_array_with_tda(C, rows, cols, ldc);
    gsl_blas_dgemm(ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, alpha,
                   &Av.matrix, &Bv.matrix, beta, &Cv.matrix);
}

/* Forward pass of B points: act[l] = phi(h^l) (and der[l] = phi'(h^l) if want_der),
 * net->f = f. Scratch reserved by the caller. */
static void
forward(nn *net, const double *X, size_t B, bool want_der)
{
    size_t L = net->L, n = net->o.width;
    for (size_t l = 1; l <= L; l++) {
        const double *in = l == 1 ? X : net->act[l - 1];
        size_t fi = net->fan_in[l];
        double *h = net->act[l];
        gemm(false, true, B, n, fi, net->a[l], in, fi, net->theta + net->woff[l], fi, 0.0, h, n);
        /* The bias joins in the activation's pass (no broadcast pass of its own). */
        if (net->bias) {
            const double *b = net->theta + net->boff[l];
            for (size_t j = 0; j < n; j++)
                net->cb[j] = net->c[l] * b[j];
        }
        activate(&net->o, h, want_der ? net->der[l] : NULL, B, n, net->cb);
    }
    size_t o = L + 1;
    double b0 = net->bias ? net->c[o] * net->theta[net->boff[o]] : 0.0;
    for (size_t i = 0; i < B; i++)
        net->f[i] = b0;
    gsl_matrix_const_view Av = gsl_matrix_const_view_array(net->act[L], B, n);
    gsl_vector_const_view wv = gsl_vector_const_view_array(net->theta + net->woff[o], n);
    gsl_vector_view fv = gsl_vector_view_array(net->f, B);
    gsl_blas_dgemv(CblasNoTrans, net->a[o], &Av.matrix, &wv.vector, 1.0, &fv.vector);
}

static int
check_points(const nn *net, const double *X, size_t n, bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "nn: no points");
    size_t d = net->o.in_dim;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return bl_fail(err, BL_EINVAL, "nn: input %zu, coordinate %zu = %g: must be finite",
                           i / d, i % d, X[i]);
    return BL_OK;
}

int
nn_predict(nn *net, const double *X, size_t n, double *f, bl_err *err)
{
    int rc = check_points(net, X, n, err);
    if (rc == BL_OK)
        rc = reserve(net, n, false, err);
    if (rc != BL_OK)
        return rc;
    forward(net, X, n, false);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(net->f[i]))
            return bl_fail(err, BL_ENUM, "nn: output at point %zu is not finite", i);
    memcpy(f, net->f, n * sizeof(double));
    return BL_OK;
}

/* Backpropagation from g = dJ/df (B) already in net->f: dJ/dtheta of the data
 * term into grad (overwritten; prior added by the caller). Overwrites der[l]
 * with Delta_l = dJ/dh^l. */
static void
backward(nn *net, const double *X, size_t B, double *grad)
{
    size_t L = net->L, n = net->o.width, o = L + 1;
    const double *g = net->f;
    /* Output layer: dJ/dw = a A_L^T g, dJ/db = c sum g. */
    {
        gsl_matrix_const_view Av = gsl_matrix_const_view_array(net->act[L], B, n);
        gsl_vector_const_view gv = gsl_vector_const_view_array(g, B);
        gsl_vector_view wv = gsl_vector_view_array(grad + net->woff[o], n);
        gsl_blas_dgemv(CblasTrans, net->a[o], &Av.matrix, &gv.vector, 0.0, &wv.vector);
        if (net->bias) {
            double s = 0;
            for (size_t i = 0; i < B; i++)
                s += g[i];
            grad[net->boff[o]] = net->c[o] * s;
        }
    }
    /* Delta_L = g a w^T .* phi'(h^L), with its column sums. */
    {
        const double *w = net->theta + net->woff[o];
        double *D = net->der[L], *db = net->bias ? grad + net->boff[L] : NULL;
        if (db != NULL)
            memset(db, 0, n * sizeof(double));
        for (size_t i = 0; i < B; i++) {
            double gi = net->a[o] * g[i];
            double *Di = D + i * n;
            for (size_t j = 0; j < n; j++)
                Di[j] *= gi * w[j];
            if (db != NULL)
                for (size_t j = 0; j < n; j++)
                    db[j] += Di[j];
        }
        if (db != NULL)
            for (size_t j = 0; j < n; j++)
                db[j] *= net->c[L];
    }
    for (size_t l = L; l >= 1; l--) {
        const double *in = l == 1 ? X : net->act[l - 1];
        size_t fi = net->fan_in[l];
        const double *Dl = net->der[l];
        /* dJ/dW^l = a_l Delta_l^T A_{l-1} (n x fi). */
        gemm(true, false, n, fi, B, net->a[l], Dl, n, in, fi, 0.0, grad + net->woff[l], fi);
        if (l == 1)
            break;
        /* Delta_{l-1} = a_l (Delta_l W^l) .* phi'(h^{l-1}), and its column sums. */
        gemm(false, false, B, n, n, net->a[l], Dl, n, net->theta + net->woff[l], n, 0.0, net->tmp,
             n);
        double *D = net->der[l - 1], *db = net->bias ? grad + net->boff[l - 1] : NULL;
        if (db != NULL)
            memset(db, 0, n * sizeof(double));
        for (size_t i = 0; i < B; i++) {
            double *Di = D + i * n;
            const double *Ti = net->tmp + i * n;
            for (size_t j = 0; j < n; j++)
                Di[j] *= Ti[j];
            if (db != NULL)
                for (size_t j = 0; j < n; j++)
                    db[j] += Di[j];
        }
        if (db != NULL)
            for (size_t j = 0; j < n; j++)
                db[j] *= net->c[l - 1];
    }
}

/* sum x_i^2 in 4 interleaved partial sums (fixed order: the same bits on every
 * machine; 4 chains so that it runs at the adder's throughput, not its latency). */
static double
sumsq(const double *x, size_t m)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        s0 += x[i] * x[i];
        s1 += x[i + 1] * x[i + 1];
        s2 += x[i + 2] * x[i + 2];
        s3 += x[i + 3] * x[i + 3];
    }
    for (; i < m; i++)
        s0 += x[i] * x[i];
    return (s0 + s1) + (s2 + s3);
}

/* g += k w over m entries, and whether every g is finite (0 * g is 0 unless g is
 * inf or NaN; 4 chains as in sumsq). */
static bool
axpy_finite(double *restrict g, const double *restrict w, double k, size_t m)
{
    double z0 = 0, z1 = 0, z2 = 0, z3 = 0;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        g[i] += k * w[i];
        g[i + 1] += k * w[i + 1];
        g[i + 2] += k * w[i + 2];
        g[i + 3] += k * w[i + 3];
        z0 += 0.0 * g[i];
        z1 += 0.0 * g[i + 1];
        z2 += 0.0 * g[i + 2];
        z3 += 0.0 * g[i + 3];
    }
    for (; i < m; i++) {
        g[i] += k * w[i];
        z0 += 0.0 * g[i];
    }
    return (z0 + z1) + (z2 + z3) == 0.0;
}

/* Core of nn_objective_grad, inputs already checked. The prior's value (a pass
 * over theta) only when obj is wanted: the trainer asks for it on its last step. */
static int
objective_grad(nn *net, const double *X, const double *Y, size_t B, size_t N, double s2,
               double *obj, double *grad, bl_err *err)
{
    int rc = reserve(net, B, grad != NULL, err);
    if (rc != BL_OK)
        return rc;
    forward(net, X, B, grad != NULL);
    double sse = 0;
    for (size_t i = 0; i < B; i++) {
        double r = net->f[i] - Y[i];
        sse += r * r;
        net->f[i] = r / ((double)B * s2); /* dJ/df_i = (N/B) r_i / (N s2) */
    }
    if (!isfinite(sse))
        return bl_fail(err, BL_ENUM, "nn: the network's outputs are not finite (diverged?)");
    if (obj != NULL) {
        double prior = 0;
        for (size_t l = 1; l <= net->L + 1; l++) {
            prior += sumsq(net->theta + net->woff[l], net->fan_in[l] * net->fan_out[l]) /
                     net->v_w[l];
            if (net->bias)
                prior += sumsq(net->theta + net->boff[l], net->fan_out[l]) / net->v_b[l];
        }
        *obj = sse / (2.0 * s2 * (double)B) + prior / (2.0 * (double)N);
    }
    if (grad == NULL)
        return BL_OK;
    backward(net, X, B, grad);
    bool finite = true;
    for (size_t l = 1; l <= net->L + 1; l++) {
        size_t m = net->fan_in[l] * net->fan_out[l];
        finite &= axpy_finite(grad + net->woff[l], net->theta + net->woff[l],
                              1.0 / ((double)N * net->v_w[l]), m);
        if (net->bias)
            finite &= axpy_finite(grad + net->boff[l], net->theta + net->boff[l],
                                  1.0 / ((double)N * net->v_b[l]), net->fan_out[l]);
    }
    if (!finite)
        for (size_t p = 0; p < net->P; p++)
            if (!isfinite(grad[p]))
                return bl_fail(err, BL_ENUM, "nn: gradient entry %zu is not finite (diverged?)",
                               p);
    return BL_OK;
}

static int
check_data(const nn *net, const double *X, const double *Y, size_t B, size_t N, double s2,
           bl_err *err)
{
    if (B == 0)
        return bl_fail(err, BL_EINVAL, "nn: no points");
    if (N < B)
        return bl_fail(err, BL_EINVAL, "nn: N=%zu: must be >= the batch's %zu points", N, B);
    if (!(s2 > 0) || !isfinite(s2))
        return bl_fail(err, BL_EINVAL, "noise=%g: must be finite and > 0", s2);
    int rc = check_points(net, X, B, err);
    if (rc != BL_OK)
        return rc;
    for (size_t i = 0; i < B; i++)
        if (!isfinite(Y[i]))
            return bl_fail(err, BL_EINVAL, "nn: target %zu = %g: must be finite", i, Y[i]);
    return BL_OK;
}

int
nn_objective_grad(nn *net, const double *X, const double *Y, size_t B, size_t N, double noise_var,
                  double *obj, double *grad, bl_err *err)
{
    int rc = check_data(net, X, Y, B, N, noise_var, err);
    if (rc != BL_OK)
        return rc;
    return objective_grad(net, X, Y, B, N, noise_var, obj, grad, err);
}

nn_train_opts
nn_train_opts_default(void)
{
    nn_train_opts o = {.opt = NN_OPT_SGD, .lr = 1e-2, .batch = 0, .temperature = 1.0,
                       .noise_var = 0.01};
    return o;
}

void
nn_trainer_free(nn_trainer *t)
{
    if (t == NULL)
        return;
    free(t->m);
    free(t->v);
    free(t->g);
    free(t->perm);
    free(t->xb);
    free(t->yb);
    if (t->rng != NULL)
        gsl_rng_free(t->rng);
    free(t);
}

nn_trainer *
nn_trainer_alloc(const nn *net, const nn_train_opts *o, uint64_t seed, bl_err *err)
{
    if ((unsigned)o->opt >= NN_NOPT) {
        bl_fail(err, BL_EINVAL, "opt=%d: unknown optimizer", (int)o->opt);
        return NULL;
    }
    if (!(o->lr > 0) || !isfinite(o->lr)) {
        bl_fail(err, BL_EINVAL, "lr=%g: must be finite and > 0", o->lr);
        return NULL;
    }
    if (!(o->temperature >= 0) || !isfinite(o->temperature)) {
        bl_fail(err, BL_EINVAL, "temperature=%g: must be finite and >= 0", o->temperature);
        return NULL;
    }
    if (!(o->noise_var > 0) || !isfinite(o->noise_var)) {
        bl_fail(err, BL_EINVAL, "noise=%g: must be finite and > 0", o->noise_var);
        return NULL;
    }
    nn_trainer *t = calloc(1, sizeof *t);
    if (t == NULL)
        goto nomem;
    t->o = *o;
    t->P = net->P;
    if ((t->g = malloc(t->P * sizeof(double))) == NULL)
        goto nomem;
    if (o->opt == NN_OPT_ADAM &&
        ((t->m = calloc(t->P, sizeof(double))) == NULL ||
         (t->v = calloc(t->P, sizeof(double))) == NULL))
        goto nomem;
    if ((t->rng = gsl_rng_alloc(bl_rng_mt19937)) == NULL)
        goto nomem;
    gsl_rng_set(t->rng, (unsigned long)seed);
    return t;
nomem:
    nn_trainer_free(t);
    bl_fail(err, BL_ENOMEM, "nn: out of memory for the trainer");
    return NULL;
}

size_t
nn_trainer_steps(const nn_trainer *t)
{
    return t->steps;
}

/* B distinct indices of 0..N-1 into perm[0..B): the first B swaps of a
 * Fisher-Yates shuffle of the kept permutation (reset when N changes). */
static int
draw_batch(nn_trainer *t, size_t N, size_t B, bl_err *err)
{
    if (t->nperm != N) {
        size_t *p = realloc(t->perm, N * sizeof(size_t));
        if (p == NULL)
            return bl_fail(err, BL_ENOMEM, "nn: out of memory for %zu points", N);
        t->perm = p;
        for (size_t i = 0; i < N; i++)
            p[i] = i;
        t->nperm = N;
    }
    for (size_t i = 0; i < B; i++) {
        size_t j = i + (size_t)gsl_rng_uniform_int(t->rng, (unsigned long)(N - i));
        size_t s = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = s;
    }
    return BL_OK;
}

int
nn_train(nn_trainer *t, nn *net, const double *X, const double *Y, size_t N, size_t steps,
         size_t *done, double *obj, const bl_cancel *cancel, bl_err *err)
{
    if (done != NULL)
        *done = 0;
    if (t->P != net->P)
        return bl_fail(err, BL_EINVAL, "nn: trainer made for %zu parameters, net has %zu", t->P,
                       net->P);
    int rc = check_data(net, X, Y, N, N, t->o.noise_var, err);
    if (rc != BL_OK)
        return rc;
    size_t d = net->o.in_dim, B = t->o.batch == 0 || t->o.batch >= N ? N : t->o.batch;
    if (B < N && B > t->xb_cap) {
        double *xb = realloc(t->xb, B * d * sizeof(double));
        if (xb == NULL)
            return bl_fail(err, BL_ENOMEM, "nn: out of memory for a batch of %zu", B);
        t->xb = xb;
        double *yb = realloc(t->yb, B * sizeof(double));
        if (yb == NULL)
            return bl_fail(err, BL_ENOMEM, "nn: out of memory for a batch of %zu", B);
        t->yb = yb;
        t->xb_cap = B;
    }
    double lr = t->o.lr * (net->o.param == NN_PARAM_MUP ? (double)net->o.width : 1.0);
    double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double noise = sqrt(2.0 * lr * t->o.temperature / (double)N);
    for (size_t s = 0; s < steps; s++) {
        if (bl_cancelled(cancel))
            return bl_fail(err, BL_ECANCEL, "nn: training cancelled after %zu steps", s);
        const double *Xb = X, *Yb = Y;
        if (B < N) {
            if ((rc = draw_batch(t, N, B, err)) != BL_OK)
                return rc;
            for (size_t i = 0; i < B; i++) {
                memcpy(t->xb + i * d, X + t->perm[i] * d, d * sizeof(double));
                t->yb[i] = Y[t->perm[i]];
            }
            Xb = t->xb;
            Yb = t->yb;
        }
        double J;
        bool last = s + 1 == steps && obj != NULL;
        if ((rc = objective_grad(net, Xb, Yb, B, N, t->o.noise_var, last ? &J : NULL, t->g,
                                 err)) != BL_OK)
            return rc;
        double *th = net->theta;
        const double *g = t->g;
        switch (t->o.opt) {
        case NN_OPT_ADAM: {
            double k = (double)(t->steps + 1);
            double c1 = 1.0 / (1.0 - pow(b1, k)), c2 = 1.0 / (1.0 - pow(b2, k));
            for (size_t p = 0; p < t->P; p++) {
                t->m[p] = b1 * t->m[p] + (1.0 - b1) * g[p];
                t->v[p] = b2 * t->v[p] + (1.0 - b2) * g[p] * g[p];
                th[p] -= lr * (t->m[p] * c1) / (sqrt(t->v[p] * c2) + eps);
            }
            break;
        }
        case NN_OPT_SGLD:
            for (size_t p = 0; p < t->P; p++)
                th[p] += -lr * g[p] + noise * gsl_ran_gaussian_ziggurat(t->rng, 1.0);
            break;
        default:
            for (size_t p = 0; p < t->P; p++)
                th[p] -= lr * g[p];
        }
        t->steps++;
        if (done != NULL)
            *done = s + 1;
        if (last)
            *obj = J;
    }
    return BL_OK;
}

/* K (n x n) = alpha A A^T + beta for A (n x k), lower triangle by dsyrk, then mirrored.
 * On one OpenBLAS thread: a threaded dsyrk's sums depend on the count (core/base/linalg.h). */
static void
gram(const double *A, size_t n, size_t k, double alpha, double beta, double *K)
{
    for (size_t i = 0; i < n * n; i++)
        K[i] = beta;
    gsl_matrix_const_view Av = gsl_matrix_const_view_array(A, n, k);
    gsl_matrix_view Kv = gsl_matrix_view_array(K, n, n);
    int th = linalg_threads_one();
    gsl_blas_dsyrk(CblasLower, CblasNoTrans, alpha, &Av.matrix, 1.0, &Kv.matrix);
    linalg_threads_restore(th);
    linalg_mirror_lower(K, n);
}

int
nn_layer_grams(nn *net, const double *X, size_t n, double *const *K, bl_err *err)
{
    int rc = check_points(net, X, n, err);
    if (rc == BL_OK)
        rc = reserve(net, n, false, err);
    if (rc != BL_OK)
        return rc;
    forward(net, X, n, false);
    const nn_opts *o = &net->o;
    if (K[0] != NULL) {
        /* Layer 1 as nngp.c computes it (sequential dot, then sw2 s / d + sb2), so that it
         * is the NNGP's to the bit; O(n^2 d). */
        size_t d = o->in_dim;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++) {
                double s = 0.0;
                for (size_t q = 0; q < d; q++)
                    s += X[i * d + q] * X[j * d + q];
                K[0][i * n + j] = K[0][j * n + i] = o->sw2 * s / (double)d + o->sb2;
            }
    }
    for (size_t l = 1; l <= net->L; l++)
        if (K[l] != NULL)
            gram(net->act[l], n, o->width, o->sw2 / (double)o->width, o->sb2, K[l]);
    for (size_t l = 0; l <= net->L; l++)
        if (K[l] != NULL)
            for (size_t i = 0; i < n * n; i++)
                if (!isfinite(K[l][i]))
                    return bl_fail(err, BL_ENUM, "nn: layer %zu kernel is not finite", l + 1);
    return BL_OK;
}

int
nn_ntk_gram(nn *net, const double *X, size_t n, double *Theta, bl_err *err)
{
    int rc = check_points(net, X, n, err);
    if (rc == BL_OK)
        rc = reserve(net, n, true, err);
    if (rc != BL_OK)
        return rc;
    double *GA = malloc(n * n * sizeof(double)), *GD = malloc(n * n * sizeof(double));
    if (GA == NULL || GD == NULL) {
        free(GA);
        free(GD);
        return bl_fail(err, BL_ENOMEM, "nn: out of memory for an NTK of %zu points", n);
    }
    forward(net, X, n, true);
    size_t L = net->L, w = net->o.width, o = L + 1;
    /* Output layer (df/dh^{L+1} = 1): a^2 A_L A_L^T + c^2. */
    gram(net->act[L], n, w, net->a[o] * net->a[o], net->c[o] * net->c[o], Theta);
    /* Delta_L = df/dh^L = a w^T .* phi'(h^L) per point. */
    const double *wo = net->theta + net->woff[o];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < w; j++)
            net->der[L][i * w + j] *= net->a[o] * wo[j];
    for (size_t l = L; l >= 1; l--) {
        const double *in = l == 1 ? X : net->act[l - 1];
        size_t fi = net->fan_in[l];
        gram(net->der[l], n, w, 1.0, 0.0, GD);
        gram(in, n, fi, net->a[l] * net->a[l], net->c[l] * net->c[l], GA);
        for (size_t i = 0; i < n * n; i++)
            Theta[i] += GD[i] * GA[i];
        if (l == 1)
            break;
        gemm(false, false, n, w, w, net->a[l], net->der[l], w, net->theta + net->woff[l], w, 0.0,
             net->tmp, w);
        for (size_t i = 0; i < n * w; i++)
            net->der[l - 1][i] *= net->tmp[i];
    }
    free(GA);
    free(GD);
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(Theta[i]))
            return bl_fail(err, BL_ENUM, "nn: NTK is not finite");
    return BL_OK;
}
