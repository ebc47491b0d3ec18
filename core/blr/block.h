/* core/blr/block.h - the block form of the BLR filter, in covariance form,
 * shared by blr_observe_block and regret_rls_observe_block (docs/blocks.md).
 *
 * For a Gaussian posterior w ~ N(m, A^-1) and nb points
 * y = Phi w + noise of precision c, the sequential predictive of point j
 * given the points before it in the block is read off the Cholesky factor R
 * of the block's predictive covariance S = I/c + Phi A^-1 Phi^T:
 *   mean mu_j = (Phi m)_j + sum_{k<j} R_jk e_k,  variance R_jj^2,
 *   innovation e_j = (y_j - mu_j) / R_jj,
 * and the columns z_j of Z^T = A^-1 Phi^T R^-T move the state arrival by
 * arrival: m_j = m_{j-1} + e_j z_j, A_j^-1 = A_{j-1}^-1 - z_j z_j^T.
 * Internal to core/blr. */
#ifndef BAYESLENS_CORE_BLR_BLOCK_H
#define BAYESLENS_CORE_BLR_BLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* Largest prior gain c phi^T A^-1 phi a block accepts. A Cholesky pivot
 * R_jj^2 is computed as S_jj minus the squares of its row, so its relative
 * rounding grows with S_jj / R_jj^2 <= 1 + c phi^T A^-1 phi; beyond this
 * bound (the first ~d points of a weak prior, a rank-deficient ridge) the
 * caller takes the points one at a time, where the rotations lose nothing. */
#define BLK_MAX_GAIN 256.0

/* Below this dimension a point's rotations (O(d^2), no BLAS) cost less than
 * its share of a block's nb x nb work: the block paths go point by point. */
#define BLK_MIN_DIM 24

/* Smallest ratio of squared pivots of a factor (about lambda_min /
 * lambda_max of its matrix) for which the hindsight tracker switches to the
 * covariance form (and so takes blocks). */
#define BLK_MIN_PIVOT 1e-2

/* Points per block at dimension d (>= 16): the block's cost per point,
 * 1.5 d^2 + 1.5 d nb + nb^2 / 6 multiply-adds for a filter, falls with nb
 * while the level-3 calls keep their speed: d / 4 from d = 128 on (faster
 * than d / 2 and d / 8 at d = 256 in bench_blr), and d below it, where
 * short blocks waste more in call overhead than they save (docs/blocks.md). */
size_t blk_chunk(size_t d);

/* Scratch doubles blk_solve_cov needs for dimension d and nb points. */
size_t blk_scratch(size_t d, size_t nb);

/* Sig: column-major lower triangle of Sigma = A^-1 (d x d; only i >= k
 * read); m: the posterior mean; Phi: nb x d row-major; y: nb; c > 0
 * (docs/blocks.md, "Covariance form"). Returns p, the number of leading
 * points whose prior gain c phi^T Sigma phi is at most BLK_MAX_GAIN. When
 * p == nb (and the block's Cholesky succeeded) it has filled Z (d x nb,
 * column j = z_j contiguous) and, for each j, mu[j], s2[j] = R_jj^2 and
 * e[j]; otherwise the outputs are unspecified (a failed Cholesky returns
 * 0). Sigma itself is not changed (blk_downdate_cov does it).
 * ws: blk_scratch doubles. */
size_t blk_solve_cov(const double *Sig, size_t d, const double *m, const double *Phi,
                     const double *y, size_t nb, double c, double *Z, double *mu, double *s2,
                     double *e, double *ws);

/* Sigma -= Z^T Z (dsyrk on the lower triangle): Sigma after blk_solve_cov's
 * nb points. */
void blk_downdate_cov(double *Sig, size_t d, const double *Z, size_t nb);

#endif
