/* commands/show_gp.c - see show_gp.h. */
#include "commands/show_gp.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spectrum/spectrum.h"
#include "commands/wfile.h"

/* Eigen-summary lines for one spectrum. */
void
show_spectrum_lines(struct out *out, const char *prefix, const double *lam, size_t n)
{
    char key[64];
    double rank = NAN;
    spectrum_fit fit = {.alpha = NAN};
    bl_err er = {0}, ea = {0};
    /* A fit that fails says why on its line (issue 10). */
    spectrum_rankme_psd(lam, n, &rank, &er);
    spectrum_alpha_req(lam, n, 0, 0, false, &fit, &ea);
    snprintf(key, sizeof key, "%seigenvalues", prefix);
    out_kv_vec(out, key, lam, n);
    snprintf(key, sizeof key, "%seffective_rank", prefix);
    out_kv_why(out, key, rank, er.msg[0] ? er.msg : "no positive eigenvalue");
    snprintf(key, sizeof key, "%salpha_req", prefix);
    out_kv_why(out, key, fit.alpha, ea.msg[0] ? ea.msg : "too few eigenvalues to fit a power law");
    if (!isnan(fit.alpha)) {
        double w[2] = {(double)fit.j_lo, (double)fit.j_hi};
        snprintf(key, sizeof key, "%salpha_req_window", prefix);
        out_kv_vec(out, key, w, 2);
    }
}

int
show_spectrum(struct session *s, struct out *out, bl_err *err)
{
    if (s->m == NULL)
        return bl_fail(err, BL_ESTATE, "no model yet: choose one (e.g. model blr)");
    if (s->mc->show.spectrum == NULL)
        return bl_fail(err, BL_ESTATE, "model %s has no spectrum to show", s->mc->subject.name);
    return s->mc->show.spectrum(s, out, err);
}

int
export_gram(struct session *s, const char *path, long layer, bl_err *err)
{
    if (s->m == NULL || s->mc->gram == NULL)
        return bl_fail(err, BL_ESTATE, "export gram needs a gp or tp model (or a network: model nn)");
    size_t n = s->n;
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "no points yet: the Gram matrix is empty");
    if (n > 20000)
        return bl_fail(err, BL_EINVAL, "%zu points: a Gram matrix that large is not exported", n);
    double *K = malloc(n * n * sizeof *K);
    if (K == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a %zu x %zu matrix", n, n);
    int rc = s->mc->gram(s->m, s->X, n, layer, K, s->cancel, err);
    if (rc == BL_OK) {
        struct wfile w;
        if ((rc = wfile_open(&w, path, err)) == BL_OK) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    fprintf(w.f, "%.17g%c", K[i * n + j], j + 1 < n ? ',' : '\n');
            rc = wfile_commit(&w, err);
        }
    }
    free(K);
    return rc;
}
