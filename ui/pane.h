/* ui/pane.h - panes are objects with hooks (htop Panel, tmux window modes),
 * each described by one const struct pane_desc (docs/panes.md).
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
#include "commands/view.h"
#include "ui/canvas.h"

struct logbuf;

/* What a pane may keep a pointer to from the front end. */
struct pane_host {
    const struct logbuf *log; /* command output (the log strip draws it) */
};

enum pane_place {
    PANE_TILE,  /* tiled in the pane area by the layout presets, in a border with its title */
    PANE_STRIP, /* the full-width strip between the tiles and the status line (the log) */
};

/* A pane: one const descriptor at the bottom of its ui/pane_NAME.c, listed
 * once in ui/panes.c. */
struct pane_desc {
    /* Name, one-line help, the keys `pane NAME key=value` takes (as data),
     * default visibility and order: what commands/ is told (view.h). */
    struct view_pane view;
    enum pane_place place;
    int min_w, min_h; /* the layout never shows it smaller (a tile's border included) */
    void *(*create)(const struct pane_host *host); /* NULL on allocation failure */
    void (*destroy)(void *self);                    /* NULL self is a no-op */
    /* Title for the border, e.g. "data: linear d=1  n=137"; NULL for a strip. */
    void (*title)(void *self, const struct session *s, char *buf, size_t size);
    /* Draw inside (col, row, w, h), the area within the border; any size, 0 included. */
    void (*draw)(void *self, const struct session *s, struct canvas *c, int col, int row, int w,
                 int h);
};

/* The front end's panes, NULL-terminated (ui/panes.c). */
extern const struct pane_desc *const pane_table[];

/* Register table (NULL-terminated, borrowed for the process) and the layout
 * presets with commands/ (view_register): call once before making a
 * session. Pane i of the table is the view's pane i. */
int pane_register(const struct pane_desc *const *table, bl_err *err);
/* The registered panes (NULL out of range) and how many. */
const struct pane_desc *pane_at(int i);
int pane_count(void);

/* Shared helpers for panes (ui/pane_util.c). */
/* Apply the user's fixed ranges for the pane named name to the main plot's ranges. */
struct plot_range;
void pane_apply_ranges(const struct session *s, const char *name, struct plot_range *x,
                       struct plot_range *y);
/* Centre a message in the area (e.g. "no model yet: model blr"), wrapped at
 * blanks onto as many rows as it needs; never cut without an ellipsis. */
void pane_message(struct canvas *c, int col, int row, int w, int h, const char *msg);
/* A pane's scratch of n doubles in *buf (capacity *cap, grown by realloc
 * and kept between frames); NULL when it cannot grow (the old one stays). */
double *pane_scratch(double **buf, size_t *cap, size_t n);
/* Column i of the posterior covariance (d numbers) by two triangular solves
 * on the factor: O(d^2), no full inverse. */
void pane_cov_column(const struct session *s, size_t i, double *out);
/* Indices to plot for n arrivals with at most max points: all of them when
 * n <= max, else evenly (or log-) spaced ones, always including the last.
 * Returns the count written to idx (max entries). */
size_t pane_sample_indices(size_t n, size_t max, int logspaced, size_t *idx);
/* Whether a costly figure (a kernel model's band) may be drawn older than
 * the session: live, while a command runs (its pump draws frames) or a paced
 * job animates, for then a newer frame follows. An idle frame may be the
 * last one until the next key: it must be current. */
bool pane_may_lag(const struct session *s);
/* A pane drew figures older than the session: ask the live loop for a frame
 * in `in` seconds, when their refresh is due (canvas.redraw_in); else they
 * would stay on the screen until the next key. */
void pane_want_redraw(struct canvas *c, double in);

#endif
