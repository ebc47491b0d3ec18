/* ui/blasinfo.h - which BLAS and LAPACK the process actually bound to. */
#ifndef BAYESLENS_UI_BLASINFO_H
#define BAYESLENS_UI_BLASINFO_H

#include <stdbool.h>
#include <stddef.h>

/* Describe the loaded BLAS/LAPACK into buf (several lines). Returns true when
 * both cblas_dgemm and dpotrf_ resolve inside an OpenBLAS library. */
bool blasinfo_describe(char *buf, size_t size);

#endif
