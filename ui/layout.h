/* ui/layout.h - where the panes go: a pure function of the terminal size,
 * the layout preset, which panes are on, focus and zoom (no ncurses), so it
 * is tested over a sweep of sizes (nvtop's lesson).
 *
 * Screen rows, top to bottom: the pane area, the log (scrollback of command
 * output), one status line, one hint line, one input line. */
#ifndef BAYESLENS_UI_LAYOUT_H
#define BAYESLENS_UI_LAYOUT_H

#include <stdbool.h>

#include "commands/view.h"

struct rect {
    int col, row, w, h; /* w == 0 or h == 0: not shown */
};

struct layout {
    bool too_small;           /* below LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS: show only a message */
    struct rect pane[PANE_COUNT];
    struct rect log;          /* command output, at least 1 row when shown */
    struct rect status, hint, input; /* one row each, full width */
};

#define LAYOUT_MIN_COLS 40
#define LAYOUT_MIN_ROWS 12

/* Compute the layout. on[i]: pane i enabled by the user; zoom: the focused
 * pane takes the whole pane area (like tmux's zoom); focus in 0..PANE_COUNT-1.
 * Guarantees: rectangles lie inside cols x rows, never overlap, every shown
 * pane is at least 20 x 6 cells (borders included), the input line is the
 * last row. At 80x24 the default preset shows two panes side by side (data,
 * posterior); from about 120x34 all four in a 2x2 grid. */
void layout_compute(struct layout *l, int cols, int rows, enum layout_preset preset,
                    const bool on[PANE_COUNT], int focus, bool zoom);


#endif
