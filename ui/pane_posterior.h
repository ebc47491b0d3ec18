/* ui/pane_posterior.h - what the posterior pane's sampler view drew last,
 * for tests that check the picture against the target. */
#ifndef BAYESLENS_UI_PANE_POSTERIOR_H
#define BAYESLENS_UI_PANE_POSTERIOR_H

#include <stdbool.h>

#include "ui/plot.h"
#include "ui/shade.h"

/* The plot (geometry and ranges) of the last sampler view self drew, its
 * contour levels (U at the 39/86/99% contours, NaN when none) and the
 * histogram of the draws it shaded (borrowed; hist may be NULL); false when
 * the last frame showed no sampler view. */
bool pane_posterior_sampler_plot(const void *self, struct plot *pl, double level[3],
                                 const struct shade_hist **hist);

#endif
