/* commands/show_gp.c - see show_gp.h. */
#include "commands/show_gp.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"
#include "core/spectrum/spectrum.h"
#include "commands/wfile.h"

static const char *const prior_names[] = {"point", "invgamma", "gamma", "burr12", "halfcauchy"};

int
show_gp_kernel(struct session *s, struct out *out, bl_err *err)
{
    if (s->gp == NULL)
        return bl_fail(err, BL_ESTATE, "show kernel needs a gp or tp model (model gp kernel=rbf)");
    const kernel *k = gp_kernel(s->gp);
    char spec[1024];
    kernel_format(k, spec, sizeof spec);
    out_kv_str(out, "kernel", spec);
    for (size_t i = 0; i < kernel_nparams(k); i++)
        out_kv_real(out, kernel_param_name(k, i), kernel_param_value(k, i));
    out_kv_real(out, "noise", sqrt(gp_noise(s->gp)));
    out_kv_real(out, "jitter", gp_jitter(s->gp));
    out_kv_int(out, "n", (long long)gp_n(s->gp));
    out_kv_int(out, "in_dim", (long long)gp_in_dim(s->gp));
    if (s->gps.nngp) {
        /* The depth picture (MATH.md 4.4): fixed point and chi1. */
        nngp *m = nngp_alloc(s->in_dim, &s->gps.nn, err);
        double q, chi, c;
        if (m != NULL && nngp_fixed_point(m, 1.0, &q, &chi, &c, NULL) == BL_OK) {
            out_kv_real(out, "q_star", q);
            out_kv_real(out, "chi1", chi);
            out_kv_real(out, "c_star", c);
            out_kv_str(out, "phase", chi < 0.999 ? "ordered" : chi > 1.001 ? "chaotic"
                                                                          : "edge of chaos");
        }
        nngp_free(m);
    }
    return BL_OK;
}

int
show_gp_evidence(struct session *s, struct out *out, bl_err *err)
{
    if (s->gp == NULL)
        return bl_fail(err, BL_ESTATE, "no gp model");
    const kernel *k = gp_kernel(s->gp);
    double lml = gp_log_ml(s->gp);
    if (s->model == MODEL_TP) {
        const gp_scale_prior *pr = &s->gps.prior;
        out_kv_str(out, "prior", prior_names[pr->kind]);
        if (pr->kind == GP_SCALE_INVGAMMA) {
            int rc = gp_tp_log_ml(s->gp, pr->p1, pr->p2, &lml, err);
            if (rc != BL_OK)
                return rc;
            out_kv_real(out, "log_evidence", lml);
            out_kv_real(out, "a", pr->p1);
            out_kv_real(out, "b", pr->p2);
        } else {
            /* A non-conjugate scale prior: quadrature, and the paper's importance
             * sampling with its Monte Carlo error (MATH.md 5.2). */
            gp_scale_result q, is;
            int rc = gp_scale_quad(s->gp, pr, NULL, 0, &q, err);
            if (rc != BL_OK)
                return rc;
            gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
            if (r == NULL)
                return bl_fail(err, BL_ENOMEM, "out of memory");
            gsl_rng_set(r, s->seed);
            rc = gp_scale_is(s->gp, pr, GP_IS_IG, 4096, r, NULL, 0, &is, err);
            gsl_rng_free(r);
            if (rc != BL_OK)
                return rc;
            out_kv_real(out, "log_evidence", q.log_ml);
            out_kv_real(out, "mean_scale", q.mean_s);
            out_kv_real(out, "log_evidence_is", is.log_ml);
            out_kv_real(out, "log_evidence_is_se", is.log_ml_se);
            out_kv_real(out, "is_ess", is.ess);
            out_kv_real(out, "p1", pr->p1);
            out_kv_real(out, "p2", pr->p2);
        }
        out_kv_real(out, "log_evidence_gp", gp_log_ml(s->gp));
    } else {
        out_kv_real(out, "log_evidence", lml);
    }
    for (size_t i = 0; i < kernel_nparams(k); i++)
        out_kv_real(out, kernel_param_name(k, i), kernel_param_value(k, i));
    out_kv_real(out, "noise", sqrt(gp_noise(s->gp)));
    out_kv_real(out, "jitter", gp_jitter(s->gp));
    out_kv_int(out, "n", (long long)s->n);
    return BL_OK;
}

/* Eigen-summary lines for one spectrum. */
static void
print_spectrum(struct out *out, const char *prefix, const double *lam, size_t n)
{
    char key[64];
    double rank = NAN;
    spectrum_fit fit = {.alpha = NAN};
    spectrum_rankme_psd(lam, n, &rank, NULL);
    spectrum_alpha_req(lam, n, 0, 0, false, &fit, NULL);
    snprintf(key, sizeof key, "%seigenvalues", prefix);
    out_kv_vec(out, key, lam, n);
    snprintf(key, sizeof key, "%seffective_rank", prefix);
    out_kv_real(out, key, rank);
    snprintf(key, sizeof key, "%salpha_req", prefix);
    out_kv_real(out, key, fit.alpha);
    if (!isnan(fit.alpha)) {
        double w[2] = {(double)fit.j_lo, (double)fit.j_hi};
        snprintf(key, sizeof key, "%salpha_req_window", prefix);
        out_kv_vec(out, key, w, 2);
    }
}

int
show_spectrum(struct session *s, struct out *out, bl_err *err)
{
    if (s->blr != NULL) {
        size_t d = s->dim;
        double *cov = malloc(d * d * sizeof *cov), *lam = malloc(d * sizeof *lam);
        int rc = cov && lam ? blr_cov(s->blr, cov, err) : bl_fail(err, BL_ENOMEM, "out of memory");
        if (rc == BL_OK)
            rc = spectrum_eig_desc(cov, d, lam, err);
        if (rc == BL_OK) {
            out_kv_str(out, "matrix", "posterior covariance");
            print_spectrum(out, "", lam, d);
        }
        if (rc == BL_OK && s->n > 0 && spectrum_eig_desc(blr_gram(s->blr), d, lam, NULL) == BL_OK)
            print_spectrum(out, "gram_", lam, d);
        free(cov);
        free(lam);
        return rc;
    }
    if (s->gp == NULL)
        return bl_fail(err, BL_ESTATE, "no model yet: choose one (e.g. model blr)");
    size_t n = s->n < SHOW_GP_MAX_SPECTRUM ? s->n : SHOW_GP_MAX_SPECTRUM;
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "no points yet: the Gram matrix is empty");
    out_kv_str(out, "matrix", "kernel Gram of the observed inputs");
    out_kv_int(out, "points", (long long)n);
    if (s->gps.nngp) {
        nngp *m = nngp_alloc(s->in_dim, &s->gps.nn, err);
        size_t L = s->gps.nn.depth + 1;
        double *lam = malloc(L * n * sizeof *lam);
        nngp_layer_spectrum *sp = malloc(L * sizeof *sp);
        int rc = m && lam && sp ? nngp_layer_spectra(m, s->X, n, lam, sp, s->cancel, err)
                                : bl_fail(err, BL_ENOMEM, "out of memory");
        if (rc == BL_OK) {
            double *rank = malloc(L * sizeof *rank);
            if (rank != NULL) {
                for (size_t l = 0; l < L; l++)
                    rank[l] = sp[l].rankme;
                out_kv_vec(out, "effective_rank_by_layer", rank, L);
                free(rank);
            }
            print_spectrum(out, "", lam + (L - 1) * n, n);
        }
        nngp_free(m);
        free(lam);
        free(sp);
        return rc;
    }
    double *K = malloc(n * n * sizeof *K), *lam = malloc(n * sizeof *lam);
    int rc = K && lam ? kernel_gram(gp_kernel(s->gp), s->X, n, K, s->cancel, err)
                      : bl_fail(err, BL_ENOMEM, "out of memory");
    if (rc == BL_OK)
        rc = spectrum_eig_desc(K, n, lam, err);
    if (rc == BL_OK)
        print_spectrum(out, "", lam, n);
    free(K);
    free(lam);
    return rc;
}

int
export_gram(struct session *s, const char *path, long layer, bl_err *err)
{
    if (s->gp == NULL)
        return bl_fail(err, BL_ESTATE, "export gram needs a gp or tp model");
    size_t n = s->n;
    if (n == 0)
        return bl_fail(err, BL_ESTATE, "no points yet: the Gram matrix is empty");
    if (n > 20000)
        return bl_fail(err, BL_EINVAL, "%zu points: a Gram matrix that large is not exported", n);
    double *K = malloc(n * n * sizeof *K);
    if (K == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a %zu x %zu matrix", n, n);
    int rc;
    if (layer > 0) {
        if (!s->gps.nngp) {
            free(K);
            return bl_fail(err, BL_EINVAL, "layer=%ld: only an nngp kernel has layers", layer);
        }
        if ((size_t)layer > s->gps.nn.depth + 1) {
            free(K);
            return bl_fail(err, BL_EINVAL, "layer=%ld: the network has layers 1..%zu", layer,
                           s->gps.nn.depth + 1);
        }
        nngp *m = nngp_alloc(s->in_dim, &s->gps.nn, err);
        size_t L = s->gps.nn.depth + 1;
        double **Ks = calloc(L, sizeof *Ks);
        if (m == NULL || Ks == NULL) {
            nngp_free(m);
            free(Ks);
            free(K);
            return bl_fail(err, BL_ENOMEM, "out of memory");
        }
        Ks[layer - 1] = K;
        rc = nngp_gram_layers(m, s->X, n, Ks, NULL, s->cancel, err);
        nngp_free(m);
        free(Ks);
    } else {
        rc = kernel_gram(gp_kernel(s->gp), s->X, n, K, s->cancel, err);
    }
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
