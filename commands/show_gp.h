/* commands/show_gp.h - `show` and `export gram` for kernel models (GP, TP)
 * and `show spectrum` for every model. Kept apart from cmd_show.c so that
 * each file stays about one family. */
#ifndef BAYESLENS_COMMANDS_SHOW_GP_H
#define BAYESLENS_COMMANDS_SHOW_GP_H

#include "commands/out.h"
#include "commands/session.h"

/* Gram matrices and spectra are computed on at most this many inputs (the
 * first ones): O(n^3) eigendecompositions stay interactive. */
#define SHOW_GP_MAX_SPECTRUM 1000

int show_gp_evidence(struct session *s, struct out *out, bl_err *err);
int show_gp_kernel(struct session *s, struct out *out, bl_err *err);
/* eigenvalues, effective_rank, alpha_req (+ window) of the posterior
 * covariance (BLR, NIG) or of the kernel Gram of the observed inputs (GP,
 * TP; per layer for an NNGP kernel). */
int show_spectrum(struct session *s, struct out *out, bl_err *err);
/* The kernel matrix of the observed inputs (layer L of an NNGP, 0 = output). */
int export_gram(struct session *s, const char *path, long layer, bl_err *err);

#endif
