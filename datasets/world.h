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

#include "core/err.h"
#include "core/features.h"
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

/* A synthetic world; draws its truth from rng. BL_EINVAL names the bad option. */
world *world_alloc(const world_opts *o, gsl_rng *rng, bl_err *err);
/* A world that replays rows of t: target column ycol, input columns xcols[0..nx-1].
 * Takes ownership of t (freed by world_free, also on failure). */
world *world_from_table(table *t, size_t ycol, const size_t *xcols, size_t nx, bl_err *err);
void world_free(world *w);

world_kind world_get_kind(const world *w);
size_t world_in_dim(const world *w);
/* Next point into x (in_dim numbers) and *y. Synthetic worlds never run out;
 * a table world returns BL_ESTATE ("data set exhausted after N rows") at the end. */
int world_next(world *w, gsl_rng *rng, double *x, double *y, bl_err *err);
/* Rows left in a table world (SIZE_MAX for synthetic worlds). */
size_t world_remaining(const world *w);
/* Rewind a table world to its first row (no-op for synthetic worlds). */
void world_rewind(world *w);

bool world_knows_truth(const world *w);
/* Noise-free mean f*(x). Only when world_knows_truth. */
double world_mean(const world *w, const double *x);
/* True conditional log density log p*(y | x). Only when world_knows_truth. */
double world_logpdf(const world *w, const double *x, double y);
/* Truth weights in the native feature map (borrowed) and their count. */
const double *world_truth(const world *w, size_t *len);
/* The native feature map whose weights world_truth gives. */
void world_native_features(const world *w, feat_opts *o);
/* Nominal input range per coordinate, for feature rescaling: [-1,1] for
 * uniform inputs, [-3,3] for Gaussian ones, column min/max for tables. */
void world_input_range(const world *w, double *lo, double *hi);
/* Noise sd and nu (0 Gaussian). */
double world_noise(const world *w);
double world_nu(const world *w);
/* One-line description: "linear d=3 noise=0.1 inputs=gaussian", "diabetes (442 rows)". */
const char *world_describe(const world *w);
/* Column names for a table world (input names then target), else "x0".."y". */
const char *world_input_name(const world *w, size_t i);
const char *world_target_name(const world *w);
/* Parse "linear", "sparse", "fourier"; -1 if unknown. */
int world_kind_parse(const char *name);

#endif
