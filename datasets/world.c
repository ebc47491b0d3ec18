/* datasets/world.c - synthetic worlds and table replay; contracts in world.h.
 *
 * Truth. linear and sparse worlds hold weights w (length d) for the identity
 * map without bias: f*(x) = w . x. The fourier world holds 1 + 2K
 * coefficients in FEAT_FOURIER order [a0, a1, b1, a2, b2, ...] against
 * [1, cos(pi x), sin(pi x), cos(2 pi x), ...]; world_mean evaluates exactly
 * the sums features_map does, in the same order, so world_mean(x) equals
 * features_map(x) . truth to rounding (tests/test_world.c checks 1e-12).
 *
 * Noise. e = noise * z, z ~ N(0, 1) or z ~ t_nu (gsl_ran_tdist). For the
 * Student-t law noise is the scale, not the sd: Var e = noise^2 nu/(nu-2) for
 * nu > 2, infinite for 1 < nu <= 2, and for nu <= 1 even the mean is undefined
 * (allowed, for heavy-tail demonstrations).
 *
 * Random draws, in order: world_alloc draws the truth (sparse: the s support
 * positions, then s values; others: the weights in order) unless given.
 * world_next draws the inputs x_0..x_{d-1}, then one noise variate, always,
 * even when noise = 0, so worlds that differ only in noise level see the same
 * inputs from the same seed.
 *
 * A table world owns its table and a cursor; rows stream in file order. */
#include "datasets/world.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#define WORLD_MAX_K 200

static const double world_pi = 3.14159265358979323846;

struct world {
    world_kind kind;
    world_input input; /* linear, sparse */
    size_t d;          /* input dimension (1 for fourier) */
    size_t s;          /* sparse: support size */
    size_t k;          /* fourier: K */
    double noise;      /* noise scale (sd when Gaussian) */
    double nu;         /* 0: Gaussian; else Student-t dof */
    double *w;         /* truth in the native map, w_len numbers */
    size_t w_len;
    char (*xname)[24]; /* synthetic: "x0".."x{d-1}" */
    table *t;          /* table world: the data, owned */
    size_t ycol;       /* table: target column */
    size_t *xcols;     /* table: input columns, d of them */
    size_t pos;        /* table: next row */
    double *lo, *hi;   /* table: input column ranges */
    char desc[160];    /* world_describe */
};

static const char *const world_kind_names[] = {"linear", "sparse", "fourier"};

static world *
world_new(void)
{
    return calloc(1, sizeof(world));
}

void
world_free(world *w)
{
    if (w == NULL)
        return;
    free(w->w);
    free(w->xname);
    table_free(w->t);
    free(w->xcols);
    free(w->lo);
    free(w->hi);
    free(w);
}

static size_t
world_native_len(const world_opts *o)
{
    return o->kind == WORLD_FOURIER ? 1 + 2 * o->k : o->d;
}

static int
world_validate(const world_opts *o, bl_err *err)
{
    if (o == NULL)
        return bl_fail(err, BL_EINVAL, "no world options");
    if (o->kind != WORLD_LINEAR && o->kind != WORLD_SPARSE && o->kind != WORLD_FOURIER)
        return bl_fail(err, BL_EINVAL, "world kind %d: unknown (choose linear, sparse, fourier)",
                       (int)o->kind);
    if (o->kind != WORLD_FOURIER) {
        if (o->d < 1 || o->d > WORLD_MAX_DIM)
            return bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..%d", o->d, WORLD_MAX_DIM);
        if (o->input != WORLD_INPUT_GAUSSIAN && o->input != WORLD_INPUT_UNIFORM)
            return bl_fail(err, BL_EINVAL, "inputs=%d: unknown (choose gaussian, uniform)",
                           (int)o->input);
    }
    if (o->kind == WORLD_SPARSE && (o->s < 1 || o->s > o->d))
        return bl_fail(err, BL_EINVAL, "s=%zu: must be in 1..%zu (d)", o->s, o->d);
    if (o->kind == WORLD_FOURIER && o->k > WORLD_MAX_K)
        return bl_fail(err, BL_EINVAL, "k=%zu: must be in 0..%d", o->k, WORLD_MAX_K);
    if (!(o->noise >= 0) || !isfinite(o->noise))
        return bl_fail(err, BL_EINVAL, "noise=%g: must be >= 0", o->noise);
    if (!(o->nu >= 0) || !isfinite(o->nu))
        return bl_fail(err, BL_EINVAL, "nu=%g: must be >= 0 (0 for gaussian noise)", o->nu);
    if (o->w == NULL) {
        if (!(o->wscale > 0) || !isfinite(o->wscale))
            return bl_fail(err, BL_EINVAL, "wscale=%g: must be > 0", o->wscale);
    } else {
        size_t need = world_native_len(o), nz = 0;
        if (o->w_len != need)
            return bl_fail(err, BL_EINVAL, "%zu truth weights given, %s world needs %zu", o->w_len,
                           world_kind_names[o->kind], need);
        for (size_t i = 0; i < need; i++) {
            if (!isfinite(o->w[i]))
                return bl_fail(err, BL_EINVAL, "w[%zu]=%g: must be finite", i, o->w[i]);
            nz += o->w[i] != 0;
        }
        if (o->kind == WORLD_SPARSE && nz > o->s)
            return bl_fail(err, BL_EINVAL,
                           "%zu non-zero truth weights given, s=%zu allows at "
                           "most %zu",
                           nz, o->s, o->s);
    }
    return BL_OK;
}

static void
world_set_describe(world *w)
{
    int n = 0;
    size_t cap = sizeof w->desc;

    switch (w->kind) {
    case WORLD_LINEAR:
        n = snprintf(w->desc, cap, "linear d=%zu noise=%g inputs=%s", w->d, w->noise,
                     w->input == WORLD_INPUT_UNIFORM ? "uniform" : "gaussian");
        break;
    case WORLD_SPARSE:
        n = snprintf(w->desc, cap, "sparse d=%zu s=%zu noise=%g inputs=%s", w->d, w->s, w->noise,
                     w->input == WORLD_INPUT_UNIFORM ? "uniform" : "gaussian");
        break;
    case WORLD_FOURIER: n = snprintf(w->desc, cap, "fourier k=%zu noise=%g", w->k, w->noise); break;
    default: break;
    }
    if (w->nu > 0 && n > 0 && (size_t)n < cap)
        snprintf(w->desc + n, cap - (size_t)n, " student-t nu=%g", w->nu);
}

world *
world_alloc(const world_opts *o, gsl_rng *rng, bl_err *err)
{
    world *w;

    if (world_validate(o, err) != BL_OK)
        return NULL;
    if (o->w == NULL && rng == NULL) {
        bl_fail(err, BL_EINVAL, "no random generator to draw the truth from");
        return NULL;
    }
    w = world_new();
    if (w == NULL)
        goto nomem;
    w->kind = o->kind;
    w->input = o->kind == WORLD_FOURIER ? WORLD_INPUT_UNIFORM : o->input;
    w->d = o->kind == WORLD_FOURIER ? 1 : o->d;
    w->s = o->kind == WORLD_SPARSE ? o->s : 0;
    w->k = o->kind == WORLD_FOURIER ? o->k : 0;
    w->noise = o->noise;
    w->nu = o->nu;
    w->w_len = world_native_len(o);
    w->w = calloc(w->w_len, sizeof *w->w);
    w->xname = malloc(w->d * sizeof *w->xname);
    if (w->w == NULL || w->xname == NULL)
        goto nomem;
    for (size_t i = 0; i < w->d; i++)
        snprintf(w->xname[i], sizeof w->xname[i], "x%zu", i);

    if (o->w != NULL) {
        memcpy(w->w, o->w, w->w_len * sizeof *w->w);
    } else if (o->kind == WORLD_SPARSE) {
        size_t *all = malloc(o->d * sizeof *all), *pick = malloc(o->s * sizeof *pick);
        if (all == NULL || pick == NULL) {
            free(all);
            free(pick);
            goto nomem;
        }
        for (size_t i = 0; i < o->d; i++)
            all[i] = i;
        gsl_ran_choose(rng, pick, o->s, all, o->d, sizeof *all);
        for (size_t i = 0; i < o->s; i++) {
            double v;
            do /* exactly s non-zeros, even in the (measure-zero) event of a 0 draw */
                v = o->wscale * gsl_ran_gaussian_ziggurat(rng, 1.0);
            while (v == 0);
            w->w[pick[i]] = v;
        }
        free(all);
        free(pick);
    } else {
        for (size_t i = 0; i < w->w_len; i++)
            w->w[i] = o->wscale * gsl_ran_gaussian_ziggurat(rng, 1.0);
    }
    world_set_describe(w);
    return w;

nomem:
    world_free(w);
    bl_fail(err, BL_ENOMEM, "%s world: out of memory", world_kind_names[o->kind]);
    return NULL;
}

world *
world_from_table(table *t, size_t ycol, const size_t *xcols, size_t nx, bl_err *err)
{
    world *w = NULL;
    size_t m;

    if (t == NULL) {
        bl_fail(err, BL_EINVAL, "no table");
        return NULL;
    }
    m = t->cols;
    if (ycol >= m) {
        bl_fail(err, BL_EINVAL, "target column %zu: must be in 0..%zu", ycol, m - 1);
        goto fail;
    }
    if (xcols == NULL && nx == 0)
        nx = m - 1;
    if (nx < 1 || nx > WORLD_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "%zu input columns: need 1..%d (the table has %zu columns)", nx,
                WORLD_MAX_DIM, m);
        goto fail;
    }
    w = world_new();
    if (w == NULL)
        goto nomem;
    w->xcols = malloc(nx * sizeof *w->xcols);
    w->lo = malloc(nx * sizeof *w->lo);
    w->hi = malloc(nx * sizeof *w->hi);
    if (w->xcols == NULL || w->lo == NULL || w->hi == NULL)
        goto nomem;
    for (size_t i = 0, j = 0; i < nx; i++, j++) {
        if (xcols == NULL) {
            j += j == ycol; /* all columns but the target, in order */
            w->xcols[i] = j;
            continue;
        }
        if (xcols[i] >= m) {
            bl_fail(err, BL_EINVAL, "input column %zu: must be in 0..%zu", xcols[i], m - 1);
            goto fail;
        }
        if (xcols[i] == ycol) {
            bl_fail(err, BL_EINVAL, "column '%s' is the target; it cannot also be an input",
                    t->names[ycol]);
            goto fail;
        }
        for (size_t q = 0; q < i; q++) {
            if (xcols[q] == xcols[i]) {
                bl_fail(err, BL_EINVAL, "column '%s' is given twice as an input",
                        t->names[xcols[i]]);
                goto fail;
            }
        }
        w->xcols[i] = xcols[i];
    }
    for (size_t i = 0; i < nx; i++) {
        size_t c = w->xcols[i];
        double lo = t->data[c], hi = t->data[c];
        for (size_t r = 1; r < t->rows; r++) {
            double v = t->data[r * m + c];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (lo == hi) { /* a constant column still needs a proper range */
            lo -= 1;
            hi += 1;
        }
        w->lo[i] = lo;
        w->hi[i] = hi;
    }
    w->kind = WORLD_TABLE;
    w->d = nx;
    w->t = t;
    w->ycol = ycol;
    {
        const char *name = t->source != NULL ? t->source : "table";
        if (strncmp(name, "builtin:", 8) == 0)
            name += 8;
        snprintf(w->desc, sizeof w->desc, "%s (%zu rows, %zu input%s, y=%s)", name, t->rows, nx,
                 nx == 1 ? "" : "s", t->names[ycol]);
    }
    return w;

nomem:
    bl_fail(err, BL_ENOMEM, "table world: out of memory");
fail:
    world_free(w); /* w->t is still NULL here */
    table_free(t);
    return NULL;
}

world_kind
world_get_kind(const world *w)
{
    return w->kind;
}

size_t
world_in_dim(const world *w)
{
    return w->d;
}

int
world_next(world *w, gsl_rng *rng, double *x, double *y, bl_err *err)
{
    if (w->kind == WORLD_TABLE) {
        const double *row;
        if (w->pos >= w->t->rows)
            return bl_fail(err, BL_ESTATE, "data set exhausted after %zu rows", w->t->rows);
        row = w->t->data + w->pos * w->t->cols;
        for (size_t i = 0; i < w->d; i++)
            x[i] = row[w->xcols[i]];
        *y = row[w->ycol];
        w->pos++;
        return BL_OK;
    }
    if (rng == NULL)
        return bl_fail(err, BL_EINVAL, "no random generator for the %s world",
                       world_kind_names[w->kind]);
    for (size_t i = 0; i < w->d; i++)
        x[i] = w->input == WORLD_INPUT_UNIFORM ? gsl_ran_flat(rng, -1.0, 1.0)
                                               : gsl_ran_gaussian_ziggurat(rng, 1.0);
    double z = w->nu > 0 ? gsl_ran_tdist(rng, w->nu) : gsl_ran_gaussian_ziggurat(rng, 1.0);
    *y = world_mean(w, x) + w->noise * z;
    return BL_OK;
}

size_t
world_remaining(const world *w)
{
    return w->kind == WORLD_TABLE ? w->t->rows - w->pos : SIZE_MAX;
}

void
world_rewind(world *w)
{
    w->pos = 0;
}

bool
world_knows_truth(const world *w)
{
    return w->kind != WORLD_TABLE;
}

double
world_mean(const world *w, const double *x)
{
    double f;

    switch (w->kind) {
    case WORLD_LINEAR:
    case WORLD_SPARSE:
        f = 0;
        for (size_t i = 0; i < w->d; i++)
            f += w->w[i] * x[i];
        return f;
    case WORLD_FOURIER:
        /* Same terms, same order as features_map(FEAT_FOURIER) . truth. */
        f = w->w[0];
        for (size_t k = 1; k <= w->k; k++) {
            double a = world_pi * (double)k * x[0];
            f += w->w[2 * k - 1] * cos(a);
            f += w->w[2 * k] * sin(a);
        }
        return f;
    default: return (double)NAN;
    }
}

double
world_logpdf(const world *w, const double *x, double y)
{
    double r, s = w->noise;

    if (w->kind == WORLD_TABLE)
        return (double)NAN;
    r = y - world_mean(w, x);
    if (s == 0) /* a point mass at f*(x) */
        return r == 0 ? (double)INFINITY : -(double)INFINITY;
    if (w->nu == 0)
        return -0.5 * log(2 * world_pi) - log(s) - 0.5 * (r / s) * (r / s);
    /* Scaled Student-t: Gamma((nu+1)/2) / (Gamma(nu/2) sqrt(nu pi) s)
     * (1 + r^2/(nu s^2))^(-(nu+1)/2), in log space. */
    double nu = w->nu, u = r / s;
    return lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu) - 0.5 * log(nu * world_pi) - log(s) -
           0.5 * (nu + 1) * log1p(u * u / nu);
}

const double *
world_truth(const world *w, size_t *len)
{
    if (w->kind == WORLD_TABLE) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = w->w_len;
    return w->w;
}

void
world_native_features(const world *w, feat_opts *o)
{
    memset(o, 0, sizeof *o);
    switch (w->kind) {
    case WORLD_LINEAR:
    case WORLD_SPARSE:
        o->kind = FEAT_IDENTITY;
        o->bias = false;
        break;
    case WORLD_FOURIER:
        o->kind = FEAT_FOURIER;
        o->bias = true;
        o->m = w->k;
        break;
    default:
        o->kind = FEAT_IDENTITY;
        o->bias = true;
        break;
    }
}

void
world_input_range(const world *w, double *lo, double *hi)
{
    for (size_t i = 0; i < w->d; i++) {
        if (w->kind == WORLD_TABLE) {
            lo[i] = w->lo[i];
            hi[i] = w->hi[i];
        } else if (w->input == WORLD_INPUT_UNIFORM) {
            lo[i] = -1;
            hi[i] = 1;
        } else {
            lo[i] = -3;
            hi[i] = 3;
        }
    }
}

double
world_noise(const world *w)
{
    return w->kind == WORLD_TABLE ? (double)NAN : w->noise;
}

double
world_nu(const world *w)
{
    return w->kind == WORLD_TABLE ? 0 : w->nu;
}

const char *
world_describe(const world *w)
{
    return w->desc;
}

const char *
world_input_name(const world *w, size_t i)
{
    if (i >= w->d)
        return NULL;
    if (w->kind == WORLD_TABLE)
        return w->t->names[w->xcols[i]];
    return w->xname[i];
}

bool
world_input_units(const world *w, size_t i, bool *standardized, double *mean, double *scale)
{
    *standardized = w->kind == WORLD_TABLE && i < w->d && w->t->standardized;
    if (!*standardized || w->t->mean == NULL)
        return false;
    *mean = w->t->mean[w->xcols[i]];
    *scale = w->t->scale[w->xcols[i]];
    return isfinite(*mean) && isfinite(*scale) && *scale > 0;
}

const char *
world_target_name(const world *w)
{
    return w->kind == WORLD_TABLE ? w->t->names[w->ycol] : "y";
}

int
world_kind_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t k = 0; k < sizeof world_kind_names / sizeof world_kind_names[0]; k++)
        if (strcmp(name, world_kind_names[k]) == 0)
            return (int)k;
    return -1;
}
