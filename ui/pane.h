/* ui/pane.h - panes are objects with hooks (htop Panel, tmux window modes).
 *
 * A pane draws the session's state into a rectangle of a canvas; it never
 * touches ncurses and never changes the session. State that must persist
 * between frames (axis ranges with hysteresis, cached eigenvalues) lives
 * behind `self`. Drawing reads; costly measures are cached by the session's
 * generation counter. */
#ifndef BAYESLENS_UI_PANE_H
#define BAYESLENS_UI_PANE_H

#include <stddef.h>

#include "commands/session.h"
#include "ui/canvas.h"

struct pane_class {
    const char *name;
    void *(*create)(void);       /* NULL on allocation failure */
    void (*destroy)(void *self); /* NULL self is a no-op */
    /* Title for the border, e.g. "data: linear d=1  n=137". */
    void (*title)(void *self, const struct session *s, char *buf, size_t size);
    /* Draw inside (col, row, w, h), the area within the border; any size, 0 included. */
    void (*draw)(void *self, const struct session *s, struct canvas *c, int col, int row, int w,
                 int h);
};

extern const struct pane_class pane_data_class;
extern const struct pane_class pane_posterior_class;
extern const struct pane_class pane_regret_class;
extern const struct pane_class pane_spectrum_class;
extern const struct pane_class pane_sampler_class;
extern const struct pane_class pane_theory_class;

/* Indexed by enum pane_id. */
extern const struct pane_class *const pane_classes[];

/* Shared helpers for panes (ui/pane_util.c). */
/* Apply the user's fixed ranges for pane id to the main plot's ranges. */
struct plot_range;
void pane_apply_ranges(const struct session *s, int id, struct plot_range *x,
                       struct plot_range *y);
/* Centre a one-line message in the area (e.g. "no model yet: model blr"). */
void pane_message(struct canvas *c, int col, int row, int w, int h, const char *msg);
/* Column i of the posterior covariance (d numbers) by two triangular solves
 * on the factor: O(d^2), no full inverse. */
void pane_cov_column(const struct session *s, size_t i, double *out);
/* Indices to plot for n arrivals with at most max points: all of them when
 * n <= max, else evenly (or log-) spaced ones, always including the last.
 * Returns the count written to idx (max entries). */
size_t pane_sample_indices(size_t n, size_t max, int logspaced, size_t *idx);

#endif
