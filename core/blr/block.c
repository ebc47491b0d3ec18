/* core/blr/block.c - the block step of the square-root information filter
 * (docs/blocks.md has the derivation).
 *
 * Row-major lower L is column-major upper U = L^T, and a row-major nb x d
 * Phi is the column-major d x nb matrix F whose columns are the phi_j, so
 * every BLAS call below is column-major without copies or transposes:
 *   W = L^-1 F          dtrsm (left, upper, trans)       d^2 nb / 2 fma
 *   S = W^T W + I/c     dsyrk (lower)                    d nb^2 / 2
 *   R = chol(S)         dpotrf (lower)                   nb^3 / 6
 *   e, mu               forward substitution with R      nb^2 / 2
 *   Z^T = L^-T W R^-T   two dtrsm                        d nb^2 / 2 + d^2 nb / 2
 * The diagonal of R gives the sequential predictive variances, the forward
 * substitution the means and innovations. */
#include "core/blr/block.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>


size_t
blk_chunk(size_t d)
{
    size_t c = d >= 128 ? d / 2 : d;
    return c < 16 ? 16 : c;
}

size_t
blk_scratch(size_t d, size_t nb)
{
    (void)d; /* W is built in Z itself */
    return nb * nb + nb;
}

size_t
blk_solve(const double *L, size_t d, const double *m, const double *Phi, const double *y, size_t nb,
          double c, double *Z, double *mu, double *s2, double *e, double *ws)
{
    double *W = Z, *R = ws, *mu0 = R + nb * nb;
    int di = (int)d, bi = (int)nb;
    memcpy(W, Phi, d * nb * sizeof *W);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, di, bi, 1.0, L, di,
                W, di);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, bi, di, 1.0, W, di, 0.0, R, bi);
    for (size_t j = 0; j < nb; j++)
        if (!(c * R[j * nb + j] <= BLK_MAX_GAIN))
            return j;
    for (size_t j = 0; j < nb; j++)
        R[j * nb + j] += 1.0 / c;
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', bi, R, bi) != 0)
        return 0;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, bi, di, 1.0, Phi, di, m, 1, 0.0, mu0, 1);
    for (size_t j = 0; j < nb; j++) {
        double acc = 0.0;
        for (size_t k = 0; k < j; k++)
            acc += R[k * nb + j] * e[k];
        double rjj = R[j * nb + j];
        mu[j] = mu0[j] + acc;
        s2[j] = rjj * rjj;
        e[j] = (y[j] - mu[j]) / rjj;
    }
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, di, bi, 1.0, R, bi,
                W, di);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, di, bi, 1.0, L,
                di, W, di);
    return nb;
}
