/* core/kernel.h - covariance kernels, their sums and products, a spec parser.
 *
 * A kernel is a tree of sums and products over leaves on inputs of
 * dimension in_dim (rows of a row-major X, n x in_dim). r = |x - x'|.
 *   rbf(var, ls)              var exp(-r^2 / (2 ls^2))
 *   matern12(var, ls)         var exp(-r/ls)
 *   matern32(var, ls)         var (1 + sqrt3 r/ls) exp(-sqrt3 r/ls)
 *   matern52(var, ls)         var (1 + sqrt5 r/ls + 5 r^2/(3 ls^2)) exp(-sqrt5 r/ls)
 *   periodic(var, ls, period) var exp(-2 sin^2(pi r/period) / ls^2)   (sklearn ExpSineSquared,
 *                             the same parametrisation: also spelled expsinesquared or
 *                             exp_sine_squared; the canonical spec says periodic)
 *   rq(var, ls, alpha)        var (1 + r^2 / (2 alpha ls^2))^-alpha   (sklearn RationalQuadratic)
 *   dot(var, sigma0)          var (sigma0^2 + x.x')                     (sklearn DotProduct)
 *   matern(var, ls, nu=)      var 2^(1-nu)/Gamma(nu) s^nu K_nu(s), s = sqrt(2 nu) r/ls (sklearn
 *                             Matern); nu in (0, 100] is fixed (no gradient, not optimised),
 *                             default 1.5; closed forms at 1/2, 3/2, 5/2, GSL's Bessel K
 *                             otherwise
 *   linear(var, c)            var (x - c).(x' - c), c a scalar shift of every coordinate [C]
 *   constant(var)             var
 *   white(var)                var on identical indices of one Gram matrix (kernel_gram's
 *                             diagonal, kernel_diag); 0 in every cross-covariance, since
 *                             test points are distinct draws of the noise [C]
 *   nngp(act, depth, sw2, sb2, slope, order, ntk)   docs/math.md §4 (core/nngp.h): the NNGP
 *                             K^{L+1}, or the NTK when ntk=1
 * Defaults: var = 1, ls = 1, period = 1, alpha = 1, sigma0 = 1, c = 0; nngp: relu, depth 3, sw2 2,
 * sb2 0.1, slope 0.1, order 80, ntk 0.
 * Spec syntax: sum := prod ('+' prod)*, prod := atom ('*' atom)*,
 * atom := NAME ['(' [key '=' value (',' key '=' value)*] ')'] | '(' sum ')'.
 * Example: "rbf(ls=50, var=100) + periodic(period=1, ls=1.2) * rbf(ls=100) + white(var=0.1)".
 * Parameter vector: leaves in spec order, each leaf's parameters in the
 * order above. Names "rbf.ls"; when a type occurs more than once, its leaves
 * are numbered by occurrence: "rbf1.ls", "rbf2.ls". Transformed values
 * (theta) are log(value) for every parameter that must be > 0 (var, ls,
 * period, alpha, sigma0, nngp.sw2); linear.c and nngp.sb2 are untransformed. Analytic
 * gradients exist for every classic leaf; a kernel containing an nngp leaf
 * has none (kernel_has_grad false: optimise it with a derivative-free
 * method), its depth/activation are fixed, only sw2, sb2 are parameters. */
#ifndef BAYESLENS_CORE_KERNEL_H
#define BAYESLENS_CORE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"
#include "core/kernel/nngp.h"

#define KERNEL_MAX_LEAVES 64

typedef enum {
    KERNEL_RBF = 0,
    KERNEL_MATERN12,
    KERNEL_MATERN32,
    KERNEL_MATERN52,
    KERNEL_PERIODIC,
    KERNEL_LINEAR,
    KERNEL_CONSTANT,
    KERNEL_WHITE,
    KERNEL_RQ,
    KERNEL_DOT,
    KERNEL_MATERN,
    KERNEL_NNGP,
    KERNEL_NTYPES
} kernel_type;

typedef struct kernel kernel; /* opaque: tree of leaves */

/* Parse a spec for inputs of dimension in_dim (>= 1). NULL + BL_EINVAL with
 * a message giving the column (1-based), e.g.
 * "kernel: unknown kernel 'rbff' at column 1 (choose rbf, matern12, ...)",
 * "kernel: ls=-1: must be > 0", "kernel: expected ')' at column 12".
 * BL_ENOMEM. O(length of spec). */
kernel *kernel_parse(const char *spec, size_t in_dim, bl_err *err);
/* The NNGP/NTK of *o as a leaf (ntk: use Theta). */
kernel *kernel_alloc_nngp(size_t in_dim, const nngp_opts *o, bool ntk, bl_err *err);
kernel *kernel_copy(const kernel *k, bl_err *err);
void kernel_free(kernel *k); /* NULL is a no-op */

size_t kernel_in_dim(const kernel *k);
/* BL_EINVAL "kernel: inputs have dimension 3, the kernel expects in_dim=2"
 * unless dim == in_dim (for callers whose data carry their own width). */
int kernel_check_dim(const kernel *k, size_t dim, bl_err *err);
/* Canonical spec ("rbf(var=100, ls=50) + white(var=0.1)", %.10g values) into
 * buf (truncated to size, always terminated); returns the full length. */
size_t kernel_format(const kernel *k, char *buf, size_t size);

/* Parameters (see the header comment for order, names, transforms). */
size_t kernel_nparams(const kernel *k);
const char *kernel_param_name(const kernel *k, size_t i); /* borrowed; NULL if i out of range */
double kernel_param_value(const kernel *k, size_t i);     /* natural scale; NAN if out of range */
bool kernel_param_is_log(const kernel *k, size_t i);      /* theta_i = log(value)? */
void kernel_get_theta(const kernel *k, double *theta);    /* transformed vector */
/* Set the transformed vector; validates every value first (finite, > 0
 * where required), k unchanged on BL_EINVAL. O(nparams). */
int kernel_set_theta(kernel *k, const double *theta, bl_err *err);
/* Set one parameter by name on its natural scale ("rbf.ls", 2.0). */
int kernel_set_param(kernel *k, const char *name, double value, bl_err *err);
/* True when kernel_gram_grad is available (no nngp leaf). */
bool kernel_has_grad(const kernel *k);

/* Gram matrix K (n x n row-major) of X (n x in_dim): lower triangle computed
 * leaf by leaf into K and one scratch matrix, combined, then mirrored;
 * exactly symmetric. O(n^2 (in_dim + leaves)); n x n scratch: one per
 * right-nested level (a + b + c * d holds at most two). BL_EINVAL (n = 0), BL_ENOMEM, BL_ENUM, BL_ECANCEL (polled
 * per row). */
int kernel_gram(const kernel *k, const double *X, size_t n, double *K, const bl_cancel *cancel,
                bl_err *err);
/* K12 (n1 x n2 row-major) = k(X1_i, X2_j); white contributes 0. */
int kernel_cross(const kernel *k, const double *X1, size_t n1, const double *X2, size_t n2,
                 double *K12, const bl_cancel *cancel, bl_err *err);
/* kd[i] = k(x_i, x_i) including white noise. O(n (in_dim + leaves)). */
int kernel_diag(const kernel *k, const double *X, size_t n, double *kd, bl_err *err);
/* dK/dtheta_p (n x n, symmetric): derivative of the Gram matrix w.r.t. the
 * transformed parameter p. BL_EINVAL if p >= nparams or the kernel has no
 * gradient (nngp leaf). Cost as kernel_gram. */
int kernel_gram_grad(const kernel *k, const double *X, size_t n, size_t p, double *dK,
                     const bl_cancel *cancel, bl_err *err);

/* Names for completion: name t of the names the parser accepts ("rbf"; the
 * types in enum order, then the aliases expsinesquared, exp_sine_squared),
 * NULL past the last; key j of that name's argument list ("rbf(var=, ls=)";
 * nngp also act, depth, slope, order, ntk; matern also nu), NULL past the
 * last. */
const char *kernel_type_name(size_t t);
const char *kernel_type_key(size_t t, size_t j);
/* g[p] = sum_ij W_ij dK_ij/dtheta_p for every parameter p (g has nparams
 * entries): the contraction tr(W dK/dtheta_p) the log-ML gradient needs
 * (W symmetric n x n row-major; only its lower triangle and diagonal are
 * read). One pass over the pairs with all derivatives of a pair at once and
 * no n x n scratch: O(n^2 (in_dim + nparams)), against nparams Gram builds
 * for kernel_gram_grad. BL_EINVAL (nngp leaf, n = 0), BL_ECANCEL (polled
 * per row). */
int kernel_gram_grad_dot(const kernel *k, const double *X, size_t n, const double *W, double *g,
                         const bl_cancel *cancel, bl_err *err);

/* One pass over the pairs per evaluation, for a caller that contracts at
 * the points it builds Grams at (the optimizer). A kernel_pairs holds, for
 * n inputs, every pair's derivatives w.r.t. every transformed parameter and
 * a memo of the leaves' parts that do not depend on their variances (of a
 * periodic leaf, on its period only): kernel_pairs_bytes(k, n) bytes (0 when
 * that overflows size_t). kernel_pairs_gram fills K exactly as kernel_gram
 * does (the same bits) and the derivatives in the same pass, reusing the
 * memo of a leaf whose key parameters (length scale; period; rq's length
 * scale and alpha) kept their bits since the last call with the same X
 * pointer: X's contents must not change between calls. k: the kernel of
 * kernel_pairs_alloc or a copy of it, any parameters (other leaf types or
 * counts: BL_EINVAL). kernel_pairs_dot(W) (W's lower triangle and diagonal
 * read) then equals kernel_gram_grad_dot(k, X, n, W) at the
 * last kernel_pairs_gram's parameters bit for bit (the same sums in the same
 * order) in O(n^2 nparams) multiply-adds. kernel_pairs_alloc: NULL with
 * BL_EINVAL (nngp leaf, n = 0) or BL_ENOMEM; kernel_pairs_gram: BL_ECANCEL
 * (polled per row). */
typedef struct kernel_pairs kernel_pairs;
size_t kernel_pairs_bytes(const kernel *k, size_t n);
kernel_pairs *kernel_pairs_alloc(const kernel *k, size_t n, bl_err *err);
void kernel_pairs_free(kernel_pairs *P);
int kernel_pairs_gram(kernel_pairs *P, const kernel *k, const double *X, double *K,
                      const bl_cancel *cancel, bl_err *err);
void kernel_pairs_dot(const kernel_pairs *P, const double *W, double *g);

#endif
