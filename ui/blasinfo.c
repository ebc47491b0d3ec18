/* ui/blasinfo.c - ask the dynamic linker where cblas_dgemm (what gsl_blas_*
 * calls) and dpotrf_ (what LAPACKE calls) come from, and OpenBLAS itself for
 * its version and thread count. This file includes neither GSL nor <cblas.h>
 * (their CBLAS enums clash), so the few OpenBLAS entry points are declared
 * here by hand. */
#define _GNU_SOURCE
#include "ui/blasinfo.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_version.h>

char *openblas_get_config(void);
int openblas_get_num_threads(void);
void cblas_dgemm(void);
void dpotrf_(void);

static const char *
origin(void (*fn)(void))
{
    Dl_info info;
    void *p;
    memcpy(&p, &fn, sizeof p);
    if (dladdr(p, &info) == 0 || info.dli_fname == NULL)
        return "?";
    return info.dli_fname;
}

bool
blasinfo_describe(char *buf, size_t size)
{
    const char *blas = origin(cblas_dgemm), *lapack = origin(dpotrf_);
    bool ok = strstr(blas, "openblas") != NULL && strstr(lapack, "openblas") != NULL;
    snprintf(buf, size,
             "BLAS:   %s, %d thread%s (cblas_dgemm from %s)\n"
             "LAPACK: dpotrf_ from %s%s\n"
             "GSL:    %s",
             openblas_get_config(), openblas_get_num_threads(),
             openblas_get_num_threads() == 1 ? "" : "s", blas, lapack,
             ok ? "" : "  (warning: not OpenBLAS)", GSL_VERSION);
    return ok;
}
