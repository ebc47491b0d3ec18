/* ui/rank_plot.h - the sampler pane's convergence pictures beyond the
 * traces (docs/panes.md, "sampler"): rank histograms per chain (Vehtari et
 * al. 2021) and the warm-up's step size and acceptance as they adapt. Drawn
 * by ui/pane_sampler.c through the hooks below. */
#ifndef BAYESLENS_UI_RANK_PLOT_H
#define BAYESLENS_UI_RANK_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/sampler_job.h"
#include "commands/view.h"
#include "ui/canvas.h"

struct session;

/* The sampler pane's keys: plot=auto|diag|ranks (auto: rank histograms
 * under the other plots when the pane has room for them). {0}-terminated. */
extern const struct view_key sampler_pane_keys[];

/* Rows at the bottom of the area (col, row, w, h) the rank histograms of
 * coordinate ci took, drawn there: all of h with plot=ranks, a strip of
 * the bottom with plot=auto on a large pane, 0 otherwise (nothing drawn). */
int rank_plot_draw(const struct session *s, const struct sampler_job *j, size_t ci,
                   struct canvas *c, int col, int row, int w, int h);

/* The warm-up so far (step size on a log axis, acceptance with the target
 * delta) into the area; false when there is none to draw (adapt=0). */
bool rank_plot_warmup(const struct sampler_job *j, struct canvas *c, int col, int row, int w,
                      int h);

#endif
