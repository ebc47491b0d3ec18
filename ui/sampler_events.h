/* ui/sampler_events.h - the step events of the gallery's sampler kinds in
 * the posterior pane (docs/samplers.md, the SAMPLER_SEG_* table): slice
 * brackets, the elliptical slice's ellipse, DE-MCz's archive pair, adaptive
 * Metropolis's proposal axes, tempering replicas and swaps, and every
 * particle's move for kinds whose chains move together. The pane draws the
 * common part (the path, the proposal's dot or ring) itself and calls this
 * for the rest. */
#ifndef BAYESLENS_UI_SAMPLER_EVENTS_H
#define BAYESLENS_UI_SAMPLER_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/sampler_job.h"
#include "ui/plot.h"

/* Chain 0's segments and, for SAMPLER_EV_PARTICLES kinds, the other chains'
 * moves, on the axes (coordinate i, coordinate k2) of p. Nothing when the
 * job has no event. ascii: ASCII glyphs only. */
void sampler_events_draw(struct plot *p, const struct sampler_job *j, size_t i, size_t k2,
                         bool ascii);

#endif
