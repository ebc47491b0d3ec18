/* core/nn.h - finite fully-connected networks trained on the stream (issue #14).
 *
 * The architecture is that of core/kernel/nngp.h, so that a finite net and its
 * infinite-width limits compare: input x in R^d (d = in_dim), L = depth hidden
 * layers of width n, activation phi (an nngp_act; `slope` for leaky_relu),
 * scalar output f. Layers are numbered 1..L+1 like the NNGP's (layer l holds
 * the pre-activations h^l; L+1 is the output). Parametrizations (docs/nn.md):
 *   ntk:      every weight and bias ~ N(0, 1);
 *             h^1 = sqrt(sw2/d) W^1 x + sqrt(sb2) b^1,
 *             h^{l+1} = sqrt(sw2/n) W^{l+1} phi(h^l) + sqrt(sb2) b^{l+1}, f = h^{L+1}.
 *   standard: W^1 ~ N(0, sw2/d), W^{l+1} ~ N(0, sw2/n), b ~ N(0, sb2); h = W phi + b.
 *             Same prior over functions as ntk (the NNGP); gradients scale differently.
 *   mup:      hidden layers as ntk, output f = (sqrt(sw2)/n) W^{L+1} phi(h^L) + sqrt(sb2) b^{L+1}
 *             (starts near 0, not the NNGP), and the trainer multiplies lr by n so that
 *             features move O(1) at every width (mean-field / muP for SGD).
 * Biases are parameters only when sb2 > 0. nn_alloc draws theta from its prior
 * with one gsl_rng stream seeded by opts.seed, in parameter order, so the same
 * seed gives the same network on every machine. Parameter order (get/set,
 * saved files): layer 1 .. L+1, each W^l row-major (out x in), then b^l.
 *
 * Empirical layer kernels (same formula for every parametrization):
 *   K_emp^1(x,x') = sw2 x.x'/d + sb2 (the NNGP's exactly),
 *   K_emp^{l+1}(x,x') = sw2 (1/n) sum_i phi(h^l_i(x)) phi(h^l_i(x')) + sb2, l = 1..L:
 * the covariance of h^{l+1} given layer l's activations; at initialization its
 * expectation is the NNGP's K^{l+1}. Empirical NTK: Theta(x,x') = sum_p
 * df(x)/dtheta_p df(x')/dtheta_p in the parametrization's own theta (ntk: tends
 * to nngp.h's Theta^{L+1} as n grows), computed layer by layer from the
 * backpropagated signals and activations, never through the Jacobian.
 *
 * Objective (per point, so a learning rate means the same for every optimizer
 * and data size):
 *   J(theta) = (1/N) [ sum_i (y_i - f(x_i))^2 / (2 s2) + (1/2) sum_p theta_p^2 / v_p ]
 * with v_p theta_p's prior variance; a minibatch of B of the N points scales its
 * likelihood sum by N/B. SGD: theta -= lr_eff grad J; Adam (0.9, 0.999, 1e-8)
 * on grad J; SGLD: theta -= lr_eff grad J + sqrt(2 lr_eff T / N) xi, xi ~ N(0, I),
 * which at T = 1 samples the posterior exp(-N J). lr_eff = lr (times n for mup).
 *
 * Forward and backward passes are BLAS-3 calls on the whole batch (points as
 * rows); scratch lives in the net and grows on demand, so a step allocates
 * nothing once warm. A net's scratch serves one caller at a time. */
#ifndef BAYESLENS_CORE_NN_H
#define BAYESLENS_CORE_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/kernel/nngp.h" /* nngp_act, nngp_act_parse: the activations the NNGP supports */

#define NN_MAX_WIDTH 65536
#define NN_MAX_DEPTH 64

typedef enum { NN_PARAM_STANDARD = 0, NN_PARAM_NTK, NN_PARAM_MUP, NN_NPARAM } nn_param;
typedef enum { NN_OPT_SGD = 0, NN_OPT_ADAM, NN_OPT_SGLD, NN_NOPT } nn_optimizer;

typedef struct nn_opts {
    size_t in_dim;   /* d >= 1 */
    size_t width;    /* n, 1..NN_MAX_WIDTH */
    size_t depth;    /* L hidden layers, 1..NN_MAX_DEPTH */
    nngp_act act;
    double slope;    /* leaky_relu */
    nn_param param;
    double sw2, sb2; /* > 0, >= 0 */
    uint64_t seed;   /* initialization */
} nn_opts;

typedef struct nn nn; /* opaque: options, parameters, scratch grown on demand */

nn_opts nn_opts_default(void); /* in_dim 1, width 256, depth 2, relu, ntk, sw2 2, sb2 0.1, slope 0.1, seed 1 */
int nn_param_parse(const char *name, nn_param *p, bl_err *err); /* "standard","ntk","mup" */
const char *nn_param_name(nn_param p);
int nn_optimizer_parse(const char *name, nn_optimizer *o, bl_err *err); /* "sgd","adam","sgld" */
const char *nn_optimizer_name(nn_optimizer o);

nn *nn_alloc(const nn_opts *o, bl_err *err); /* validates, draws theta from the prior */
void nn_free(nn *net);                        /* NULL: no-op */
nn *nn_copy(const nn *net, bl_err *err);
const nn_opts *nn_get_opts(const nn *net);
size_t nn_nparams(const nn *net);
void nn_get_params(const nn *net, double *theta);             /* nn_nparams doubles */
int nn_set_params(nn *net, const double *theta, bl_err *err); /* BL_EINVAL on a non-finite value */

/* Outputs f(x_i) for X (n x in_dim row-major). Uses the net's scratch: one caller at a time. */
int nn_predict(nn *net, const double *X, size_t n, double *f, bl_err *err);

/* J at theta on (X, Y) of B points standing for N (N >= B; N = B for full batch), and its
 * gradient (nn_nparams doubles; NULL: objective only). noise_var = s2 > 0. */
int nn_objective_grad(nn *net, const double *X, const double *Y, size_t B, size_t N,
                      double noise_var, double *obj, double *grad, bl_err *err);

typedef struct nn_train_opts {
    nn_optimizer opt;
    double lr;          /* > 0 */
    size_t batch;       /* 0: full batch */
    double temperature; /* SGLD, >= 0 */
    double noise_var;   /* s2 > 0 */
} nn_train_opts;
nn_train_opts nn_train_opts_default(void); /* sgd, lr 1e-2, full batch, T 1, s2 0.01 */

typedef struct nn_trainer nn_trainer; /* optimizer state (Adam moments), its gsl_rng, step count */
nn_trainer *nn_trainer_alloc(const nn *net, const nn_train_opts *o, uint64_t seed, bl_err *err);
void nn_trainer_free(nn_trainer *t);
size_t nn_trainer_steps(const nn_trainer *t);
/* `steps` steps on (X, Y) of N points (minibatches drawn by the trainer's rng). *obj: the
 * objective J of the last step's batch (NULL allowed). Polls cancel between steps; on
 * BL_ECANCEL the steps done stay done and *done says how many (done may be NULL). */
int nn_train(nn_trainer *t, nn *net, const double *X, const double *Y, size_t N, size_t steps,
             size_t *done, double *obj, const bl_cancel *cancel, bl_err *err);

/* Empirical layer kernels on X (n x in_dim): K[l-1] (n x n row-major) for l = 1..L+1; NULL
 * entries are skipped. Exactly symmetric. */
int nn_layer_grams(nn *net, const double *X, size_t n, double *const *K, bl_err *err);
/* Empirical NTK (n x n) on X. */
int nn_ntk_gram(nn *net, const double *X, size_t n, double *Theta, bl_err *err);

#endif
