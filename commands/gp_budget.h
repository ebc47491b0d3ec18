/* commands/gp_budget.h - a kernel model's predictive and function draws on the
 * data pane's grid, within a time budget per computation. A kernel can cost
 * milliseconds an evaluation (an NNGP of depth 50: 58 s for one frame's
 * draws), so the cost of one grid point is measured first and the grid
 * thinned to what the budget allows (linear interpolation back onto the
 * full grid); draws that would still take too long are left out, and the
 * pane says so. Deterministic whenever the full grid fits the budget, which
 * every classic kernel does by orders of magnitude. */
#ifndef BAYESLENS_COMMANDS_GP_BUDGET_H
#define BAYESLENS_COMMANDS_GP_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"
#include "core/kernel/gp.h"

#define GPB_BUDGET_S    0.4 /* seconds for the predictive, and again for the draws */
#define GPB_MIN_DRAW_PTS 12 /* fewer grid points make draws too coarse to show */

/* gp_predict at the grid points gx (ascending, in_dim 1), in the budget.
 * *eval_s receives the measured seconds per kernel evaluation, for
 * gpb_draws; *thinned whether the grid was thinned. */
int gpb_predict(const gp *g, const double *gx, size_t grid, double *mean, double *var_f,
                double *var_y, double budget_s, double *eval_s, bool *thinned,
                const bl_cancel *cancel, bl_err *err);
/* gp_draws on the grid from the fixed normals Z (ndraws x grid), in the
 * budget given eval_s; *done false when even GPB_MIN_DRAW_PTS points would
 * exceed it (then F is untouched). */
int gpb_draws(const gp *g, const double *gx, size_t grid, const double *Z, size_t ndraws,
              double *F, double eval_s, double budget_s, bool *done, bl_err *err);

#endif
