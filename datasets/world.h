/* datasets/world.h - where data comes from: synthetic worlds and data sets.
 *
 * A world streams (x, y) points one at a time. A synthetic world draws them
 * from a gsl_rng the caller owns and seeds, and knows its truth: the noise-free
 * mean f*(x), the noise law, and the true weights in its native feature map.
 * A data-set world replays the rows of a table in order and knows no truth.
 *  linear:  x ~ N(0, I_d) or U[-1,1]^d, y = w . x + e             native: identity, no bias
 *  sparse:  as linear with s non-zero weights at random positions  native: identity, no bias
 *  fourier: x ~ U[-1,1], y = a0 + sum_k a_k cos(pi k x) + b_k sin(pi k x) + e
 *           coefficients iid N(0, wscale^2)                        native: fourier(K)
 * Noise e is N(0, noise^2), or Student-t with nu degrees of freedom scaled so
 * that its scale is noise (nu > 0). Truth weights are drawn N(0, wscale^2) at
 * world creation unless given. */
#ifndef BAYESLENS_DATASETS_WORLD_H
#define BAYESLENS_DATASETS_WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "core/base/err.h"
#include "core/blr/features.h"
#include "datasets/csv.h"

#define WORLD_MAX_DIM 4096

typedef enum { WORLD_LINEAR = 0, WORLD_SPARSE, WORLD_FOURIER, WORLD_TABLE } world_kind;
typedef enum { WORLD_INPUT_GAUSSIAN = 0, WORLD_INPUT_UNIFORM } world_input;

typedef struct world_opts {
    world_kind kind;
    size_t d;          /* linear, sparse: input dimension (1..WORLD_MAX_DIM) */
    size_t s;          /* sparse: non-zero weights (1..d) */
    size_t k;          /* fourier: highest frequency K (0..200) */
    double noise;      /* noise scale (sd for Gaussian), >= 0 */
    double nu;         /* 0: Gaussian noise; > 0: Student-t noise with nu dof */
    double wscale;     /* sd of the drawn truth weights, > 0 (default 1) */
    world_input input; /* linear, sparse */
    const double *w;   /* given truth weights (length native dim) or NULL to draw */
    size_t w_len;      /* length of w */
} world_opts;

typedef struct world world;

/* A synthetic world (kind linear, sparse or fourier); draws its truth from rng
 * unless o->w is given (then rng may be NULL). Limits: d in 1..WORLD_MAX_DIM,
 * s in 1..d, k in 0..200, noise finite >= 0, nu finite >= 0 (0 < nu <= 2 is
 * allowed but the noise variance is infinite, and for nu <= 1 its mean too),
 * wscale finite > 0 when weights are drawn. Given weights must have the native
 * length (d, or 1 + 2k for fourier), be finite, and for sparse have at most s
 * non-zeros. Returns a world the caller frees with world_free, or NULL with
 * BL_EINVAL naming the bad option ("noise=-1: must be >= 0") or BL_ENOMEM. */
world *world_alloc(const world_opts *o, gsl_rng *rng, bl_err *err);
/* A world that replays rows of t in file order: target column ycol, input
 * columns xcols[0..nx-1] (distinct, not ycol). xcols == NULL with nx == 0 means
 * every column but ycol, in order. Takes ownership of t (freed by world_free,
 * and on failure). BL_EINVAL names the bad column, BL_ENOMEM. */
world *world_from_table(table *t, size_t ycol, const size_t *xcols, size_t nx, bl_err *err);
void world_free(world *w); /* NULL is a no-op */

world_kind world_get_kind(const world *w);
size_t world_in_dim(const world *w);
/* Next point into x (in_dim numbers) and *y. Synthetic worlds draw the inputs,
 * then one noise variate, from rng (BL_EINVAL if NULL) and never run out; a
 * table world ignores rng and returns BL_ESTATE ("data set exhausted after N
 * rows") at the end, leaving x, y and the world unchanged. */
int world_next(world *w, gsl_rng *rng, double *x, double *y, bl_err *err);
/* Rows left in a table world (SIZE_MAX for synthetic worlds). */
size_t world_remaining(const world *w);
/* Rewind a table world to its first row (no-op for synthetic worlds). */
void world_rewind(world *w);

bool world_knows_truth(const world *w);
/* Noise-free mean f*(x). Only when world_knows_truth (NaN otherwise). */
double world_mean(const world *w, const double *x);
/* True conditional log density log p*(y | x): Gaussian, or the scaled
 * Student-t; with noise = 0, +inf at y = f*(x) and -inf elsewhere. Only when
 * world_knows_truth (NaN otherwise). */
double world_logpdf(const world *w, const double *x, double y);
/* Truth weights in the native feature map (borrowed, valid until world_free)
 * and their count; NULL and 0 for a table world. len may be NULL. */
const double *world_truth(const world *w, size_t *len);
/* The native feature map whose weights world_truth gives: identity without
 * bias (linear, sparse), fourier(K) (fourier); identity with bias for tables. */
void world_native_features(const world *w, feat_opts *o);
/* Nominal input range per coordinate, for feature rescaling: [-1,1] for
 * uniform inputs, [-3,3] for Gaussian ones, column min/max for tables. */
void world_input_range(const world *w, double *lo, double *hi);
/* Noise scale (sd when Gaussian; NaN for tables) and nu (0 Gaussian). */
double world_noise(const world *w);
double world_nu(const world *w);
/* One-line description (borrowed): "linear d=3 noise=0.1 inputs=gaussian",
 * "fourier k=3 noise=0.2 student-t nu=3", "diabetes (442 rows, 10 inputs, y=progression)". */
const char *world_describe(const world *w);
/* Column names for a table world, else "x0".."x{d-1}" and "y" (borrowed).
 * world_input_name returns NULL when i >= in_dim. */
const char *world_input_name(const world *w, size_t i);
/* Whether input i was standardized (a table loaded with standardize=yes)
 * into *standardized; true when the world also knows the original units:
 * the original value is *mean + *scale * x. False for synthetic worlds and
 * unstandardized tables. */
bool world_input_units(const world *w, size_t i, bool *standardized, double *mean, double *scale);
const char *world_target_name(const world *w);
/* Parse "linear", "sparse", "fourier"; -1 if unknown. */
int world_kind_parse(const char *name);

#endif
