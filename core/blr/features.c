/* core/features.c - basis feature maps (docs/math.md §2.5); contracts in features.h.
 *
 * Layout of phi for in_dim = d coordinates (additive maps share one constant):
 *   [1, basis(t_0) .., basis(t_1) .., ..., basis(t_{d-1}) ..]
 * where basis() is the 1-D basis without its constant and t_i is coordinate i
 * rescaled from [lo_i, hi_i] to [-1, 1] as t = (x - centre) / half_width, which
 * is exact (t == x) for the default range [-1, 1]. The Fourier basis per
 * coordinate is [cos(pi t), sin(pi t), cos(2 pi t), sin(2 pi t), ...] so that
 * FEAT_FOURIER with m = K is the `fourier` world's native map bit for bit.
 *
 * Invariants: dim <= FEAT_MAX_DIM; the stored options are the resolved ones
 * (bias forced on for poly/rbf/fourier, the RBF default lengthscale 2/M filled
 * in); the ReLU weights are drawn once in features_alloc from a private
 * mt19937 seeded with opts->seed, so equal options give equal maps. */
#include "core/blr/features.h"
#include "core/base/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define FEAT_MAX_DEGREE     30
#define FEAT_LEGENDRE_ABOVE 6 /* docs/math.md §2.5: monomials up to p = 6, Legendre beyond */

static const double feat_pi = 3.14159265358979323846;

struct features {
    feat_opts o;    /* resolved options */
    size_t in_dim;  /* input coordinates */
    size_t dim;     /* output features */
    double *centre; /* in_dim: (lo + hi) / 2 per coordinate */
    double *half;   /* in_dim: (hi - lo) / 2 per coordinate, > 0 */
    double *rbf_c;  /* rbf: m centres on [-1, 1] */
    double *relu_w; /* relu: m rows of in_dim + 1 weights, row-major; last is the bias */
    char desc[64];  /* features_describe */
};

static const char *const feat_kind_names[] = {"identity", "poly", "rbf", "fourier", "relu"};
#define FEAT_NKINDS (sizeof feat_kind_names / sizeof feat_kind_names[0])

/* Output dimension, or 0 when it would exceed FEAT_MAX_DIM (sizes already
 * bounded by FEAT_MAX_DIM, so no product overflows). */
static size_t
feat_dim(const feat_opts *o, size_t in_dim)
{
    size_t per;

    switch (o->kind) {
    case FEAT_IDENTITY: return in_dim + (o->bias ? 1 : 0);
    case FEAT_POLY: per = o->degree; break;
    case FEAT_RBF: per = o->m; break;
    case FEAT_FOURIER: per = 2 * o->m; break;
    case FEAT_RELU: return o->m + (o->bias ? 1 : 0);
    default: return 0;
    }
    return 1 + in_dim * per;
}

static int
feat_validate(size_t in_dim, const feat_opts *o, const double *lo, const double *hi, bl_err *err)
{
    size_t dim;

    if (o == NULL)
        return bl_fail(err, BL_EINVAL, "no feature options");
    if ((unsigned)o->kind >= FEAT_NKINDS)
        return bl_fail(err, BL_EINVAL,
                       "feature kind %d: unknown (choose identity, poly, rbf, fourier, relu)",
                       (int)o->kind);
    if (in_dim < 1 || in_dim > FEAT_MAX_DIM)
        return bl_fail(err, BL_EINVAL, "input dimension %zu: must be in 1..%d", in_dim,
                       FEAT_MAX_DIM);
    switch (o->kind) {
    case FEAT_POLY:
        if (o->degree > FEAT_MAX_DEGREE)
            return bl_fail(err, BL_EINVAL, "degree=%zu: must be in 0..%d", o->degree,
                           FEAT_MAX_DEGREE);
        break;
    case FEAT_RBF:
        if (o->m < 1 || o->m > FEAT_MAX_DIM)
            return bl_fail(err, BL_EINVAL, "m=%zu: rbf centres must be in 1..%d", o->m,
                           FEAT_MAX_DIM);
        if (!(o->lengthscale >= 0) || !isfinite(o->lengthscale))
            return bl_fail(err, BL_EINVAL,
                           "lengthscale=%g: must be a finite number > 0 (0 for the default 2/m)",
                           o->lengthscale);
        break;
    case FEAT_FOURIER:
        if (o->m > FEAT_MAX_DIM)
            return bl_fail(err, BL_EINVAL, "m=%zu: fourier frequencies must be in 0..%d", o->m,
                           FEAT_MAX_DIM);
        break;
    case FEAT_RELU:
        if (o->m < 1 || o->m > FEAT_MAX_DIM)
            return bl_fail(err, BL_EINVAL, "m=%zu: relu units must be in 1..%d", o->m,
                           FEAT_MAX_DIM);
        break;
    default: break;
    }
    dim = feat_dim(o, in_dim);
    if (dim > FEAT_MAX_DIM)
        return bl_fail(err, BL_EINVAL, "%s features of %zu inputs: %zu features, at most %d",
                       feat_kind_names[o->kind], in_dim, dim, FEAT_MAX_DIM);
    if ((lo == NULL) != (hi == NULL))
        return bl_fail(err, BL_EINVAL, "input range: give both lo and hi, or neither");
    for (size_t i = 0; lo != NULL && i < in_dim; i++) {
        if (!isfinite(lo[i]) || !isfinite(hi[i]) || !(lo[i] < hi[i]))
            return bl_fail(err, BL_EINVAL, "lo[%zu]=%g, hi[%zu]=%g: need finite lo < hi", i, lo[i],
                           i, hi[i]);
    }
    return BL_OK;
}

static void
feat_set_describe(features *f)
{
    const feat_opts *o = &f->o;
    const char *plus = o->bias ? "+bias" : "";

    switch (o->kind) {
    case FEAT_IDENTITY: snprintf(f->desc, sizeof f->desc, "identity%s", plus); break;
    case FEAT_POLY:
        snprintf(f->desc, sizeof f->desc, "poly(%zu%s)", o->degree,
                 o->degree > FEAT_LEGENDRE_ABOVE ? ", legendre" : "");
        break;
    case FEAT_RBF:
        snprintf(f->desc, sizeof f->desc, "rbf(%zu, l=%.4g)", o->m, o->lengthscale);
        break;
    case FEAT_FOURIER: snprintf(f->desc, sizeof f->desc, "fourier(%zu)", o->m); break;
    case FEAT_RELU:
        snprintf(f->desc, sizeof f->desc, "relu(%zu, seed=%lu)%s", o->m, o->seed, plus);
        break;
    default: snprintf(f->desc, sizeof f->desc, "?"); break;
    }
}

features *
features_alloc(size_t in_dim, const feat_opts *o, const double *lo, const double *hi, bl_err *err)
{
    features *f = NULL;
    gsl_rng *rng = NULL;

    if (feat_validate(in_dim, o, lo, hi, err) != BL_OK)
        return NULL;
    f = calloc(1, sizeof *f);
    if (f == NULL)
        goto nomem;
    f->o = *o;
    f->in_dim = in_dim;
    if (o->kind == FEAT_POLY || o->kind == FEAT_RBF || o->kind == FEAT_FOURIER)
        f->o.bias = true;
    if (o->kind == FEAT_RBF && o->lengthscale == 0)
        f->o.lengthscale = 2.0 / (double)o->m; /* default 2/M: about one centre spacing, 2/(M-1) */
    f->dim = feat_dim(&f->o, in_dim);

    f->centre = malloc(in_dim * sizeof *f->centre);
    f->half = malloc(in_dim * sizeof *f->half);
    if (f->centre == NULL || f->half == NULL)
        goto nomem;
    for (size_t i = 0; i < in_dim; i++) {
        /* The midpoint and half-width form keeps the default [-1, 1] exact. */
        f->centre[i] = lo == NULL ? 0.0 : 0.5 * lo[i] + 0.5 * hi[i];
        f->half[i] = lo == NULL ? 1.0 : 0.5 * hi[i] - 0.5 * lo[i];
    }

    if (o->kind == FEAT_RBF) {
        f->rbf_c = malloc(o->m * sizeof *f->rbf_c);
        if (f->rbf_c == NULL)
            goto nomem;
        for (size_t j = 0; j < o->m; j++)
            f->rbf_c[j] = o->m == 1 ? 0.0 : -1.0 + 2.0 * (double)j / (double)(o->m - 1);
    }
    if (o->kind == FEAT_RELU) {
        size_t n = o->m * (in_dim + 1);
        f->relu_w = malloc(n * sizeof *f->relu_w);
        rng = gsl_rng_alloc(bl_rng_mt19937);
        if (f->relu_w == NULL || rng == NULL)
            goto nomem;
        gsl_rng_set(rng, o->seed);
        for (size_t j = 0; j < n; j++)
            f->relu_w[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        gsl_rng_free(rng);
        rng = NULL;
    }
    feat_set_describe(f);
    return f;

nomem:
    gsl_rng_free(rng);
    features_free(f);
    bl_fail(err, BL_ENOMEM, "%s features of %zu inputs: out of memory", feat_kind_names[o->kind],
            in_dim);
    return NULL;
}

void
features_free(features *f)
{
    if (f == NULL)
        return;
    free(f->centre);
    free(f->half);
    free(f->rbf_c);
    free(f->relu_w);
    free(f);
}

size_t
features_dim(const features *f)
{
    return f->dim;
}

size_t
features_in_dim(const features *f)
{
    return f->in_dim;
}

const feat_opts *
features_options(const features *f)
{
    return &f->o;
}

/* 1-D polynomial basis without the constant: t, .., t^p, or P_1(t) .. P_p(t)
 * for p > 6 by Bonnet's recurrence (k+1) P_{k+1} = (2k+1) t P_k - k P_{k-1}. */
static void
feat_poly_1d(size_t p, double t, double *out)
{
    if (p <= FEAT_LEGENDRE_ABOVE) {
        double v = 1.0;
        for (size_t k = 0; k < p; k++) {
            v *= t;
            out[k] = v;
        }
        return;
    }
    double pkm1 = 1.0, pk = t; /* P_0, P_1 */
    out[0] = t;
    for (size_t k = 1; k < p; k++) {
        double kk = (double)k;
        double pkp1 = ((2.0 * kk + 1.0) * t * pk - kk * pkm1) / (kk + 1.0);
        out[k] = pkp1;
        pkm1 = pk;
        pk = pkp1;
    }
}

void
features_map(const features *f, const double *x, double *phi)
{
    const feat_opts *o = &f->o;
    size_t d = f->in_dim, at = 0;

    if (o->kind == FEAT_IDENTITY) {
        if (o->bias)
            phi[at++] = 1.0;
        memcpy(phi + at, x, d * sizeof *x);
        return;
    }
    if (o->kind == FEAT_RELU) {
        double scale = sqrt(2.0 / (double)o->m);
        if (o->bias)
            phi[at++] = 1.0;
        for (size_t j = 0; j < o->m; j++) {
            const double *w = f->relu_w + j * (d + 1);
            double a = w[d]; /* the augmented input 1 times its weight */
            for (size_t i = 0; i < d; i++)
                a += w[i] * x[i];
            phi[at++] = a > 0 ? scale * a : 0.0;
        }
        return;
    }

    phi[at++] = 1.0;
    for (size_t i = 0; i < d; i++) {
        double t = (x[i] - f->centre[i]) / f->half[i];
        switch (o->kind) {
        case FEAT_POLY:
            feat_poly_1d(o->degree, t, phi + at);
            at += o->degree;
            break;
        case FEAT_RBF: {
            double inv2l2 = 1.0 / (2.0 * o->lengthscale * o->lengthscale);
            for (size_t j = 0; j < o->m; j++) {
                double r = t - f->rbf_c[j];
                phi[at++] = exp(-r * r * inv2l2);
            }
            break;
        }
        case FEAT_FOURIER:
            /* cos/sin evaluated directly (not by angle addition) so that the
             * world's truth, computed the same way, agrees to rounding. */
            for (size_t k = 1; k <= o->m; k++) {
                double a = feat_pi * (double)k * t;
                phi[at++] = cos(a);
                phi[at++] = sin(a);
            }
            break;
        default: break;
        }
    }
}

const char *
features_describe(const features *f)
{
    return f->desc;
}

int
features_kind_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t k = 0; k < FEAT_NKINDS; k++)
        if (strcmp(name, feat_kind_names[k]) == 0)
            return (int)k;
    return -1;
}

const char *
features_kind_name(feat_kind k)
{
    return (unsigned)k < FEAT_NKINDS ? feat_kind_names[k] : "?";
}
