/* commands/show_gp.h - `show spectrum` and `export gram` for every model:
 * each asks the model's class (commands/model.h) for its matrices; the
 * eigen-summary lines are printed alike for all. */
#ifndef BAYESLENS_COMMANDS_SHOW_GP_H
#define BAYESLENS_COMMANDS_SHOW_GP_H

#include "commands/out.h"
#include "commands/session.h"

/* Gram matrices and spectra are computed on at most this many inputs (the
 * first ones): O(n^3) eigendecompositions stay interactive. */
#define SHOW_GP_MAX_SPECTRUM 1000

/* eigenvalues, effective_rank, alpha_req (+ window) of one spectrum lam[n]
 * (descending), each key prefixed by prefix. */
void show_spectrum_lines(struct out *out, const char *prefix, const double *lam, size_t n);
/* eigenvalues, effective_rank, alpha_req (+ window) of the posterior
 * covariance (BLR, NIG) or of the kernel Gram of the observed inputs (GP,
 * TP; per layer for an NNGP kernel). */
int show_spectrum(struct session *s, struct out *out, bl_err *err);
/* The kernel matrix of the observed inputs (layer L of an NNGP, 0 = output). */
int export_gram(struct session *s, const char *path, long layer, bl_err *err);

#endif
