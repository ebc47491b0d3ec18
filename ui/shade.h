/* ui/shade.h - density as shade: a 2-D histogram of points over a plot's
 * data area, drawn one cell at a time as a shade level, so that thousands
 * of draws read as a filled region rather than a few dots.
 *
 * Levels: braille cells with 1..8 dots in UTF-8, the ramp " .:-=+*#%@" in
 * ASCII; low levels in COL_DIM, high ones in COL_S2 (a two-step colour ramp
 * where colour is on). The level of a cell is ceil(L cbrt(count / max)):
 * the cube root keeps the tails visible beside the mode, and any cell
 * holding a draw shows at least the lowest level. */
#ifndef BAYESLENS_UI_SHADE_H
#define BAYESLENS_UI_SHADE_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/plot.h"

/* Cell counts over a plot's data area (pw x ph cells, row-major, row 0 at
 * the top), reused from frame to frame. */
struct shade_hist {
    int w, h;
    double *count; /* w * h, owned */
    double total;  /* weight added, inside or outside the area */
    double inside; /* weight that fell inside */
};

/* Size the histogram to the plot's data area and zero it: 0, or -1 when out
 * of memory (the histogram is then empty, 0 x 0). */
int shade_hist_reset(struct shade_hist *sh, const struct plot *pl);
void shade_hist_free(struct shade_hist *sh);
/* Add weight wt at data point (x, y) of pl (non-finite points only count
 * in total). */
void shade_hist_add(struct shade_hist *sh, const struct plot *pl, double x, double y, double wt);
/* The shade level (0 = empty .. SHADE_LEVELS) of a cell's count. */
#define SHADE_LEVELS 8
int shade_level(double count, double max);
/* Draw the histogram over pl's data area, into the cells nothing holds yet:
 * it is at the back. Lines meant to cross the shade are drawn on a canvas
 * of their own (a copy of the plot with .c pointing there) and composed
 * over it with shade_compose, so that each line owns its cells. */
void shade_draw(const struct shade_hist *sh, struct plot *pl);
/* Copy every non-blank cell of top inside pl's data area onto pl->c (top
 * has pl->c's size): the lines over the shade. */
void shade_compose(struct plot *pl, const struct canvas *top);
/* True when the glyph and colour of a canvas cell are those shade_draw
 * gives a non-empty level (for tests). */
bool shade_cell_is_shade(const struct canvas *c, int col, int row);

#endif
