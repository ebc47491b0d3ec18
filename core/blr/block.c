/* core/blr/block.c - the block step of the BLR filters in covariance form
 * (docs/blocks.md has the derivation).
 *
 * Sigma = A^-1 is column-major lower, and a row-major nb x d Phi is the
 * column-major d x nb matrix F whose columns are the phi_j, so every BLAS
 * call below is column-major without copies or transposes:
 *   U = Sigma F         dsymm                             d^2 nb fma
 *   S = F^T U + I/c     dgemm                             d nb^2
 *   R = chol(S)         dpotrf (lower)                    nb^3 / 6
 *   e, mu               forward substitution with R       nb^2 / 2
 *   Z^T = U R^-T        dtrsm (right, nb x nb)            d nb^2 / 2
 *   Sigma -= Z^T Z      dsyrk (blk_downdate_cov)          d^2 nb / 2
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
    size_t c = d >= 128 ? d / 4 : d;
    return c < 16 ? 16 : c;
}

size_t
blk_scratch(size_t d, size_t nb)
{
    (void)d; /* U is built in Z itself */
    return nb * nb + nb;
}

size_t
blk_solve_cov(const double *Sig, size_t d, const double *m, const double *Phi, const double *y,
              size_t nb, double c, double *Z, double *mu, double *s2, double *e, double *ws)
{
    double *R = ws, *mu0 = R + nb * nb;
    int di = (int)d, bi = (int)nb;
    /* U = Sigma F (column j = Sigma phi_j), into Z; S = F^T U + I/c. */
    cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, di, bi, 1.0, Sig, di, Phi, di, 0.0, Z, di);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, bi, bi, di, 1.0, Phi, di, Z, di, 0.0, R,
                bi);
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
    /* Z^T = U R^-T: Sigma_j = Sigma - sum_{k<=j} z_k z_k^T (docs/blocks.md). */
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, di, bi, 1.0, R, bi,
                Z, di);
    return nb;
}

void
blk_downdate_cov(double *Sig, size_t d, const double *Z, size_t nb)
{
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)d, (int)nb, -1.0, Z, (int)d, 1.0, Sig,
                (int)d);
}
