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

/* Compute the layout. on[i]: pane i enabled by the user (NULL: all on);
 * zoom: the focused pane takes the whole pane area (like tmux's zoom); focus
 * in 0..PANE_COUNT-1.
 * Guarantees: rectangles lie inside cols x rows, never overlap, every shown
 * pane is at least 20 x 6 cells (borders included), panes that are off have
 * w = h = 0, the input line is the last row (also when too_small, if
 * rows >= 1; every other rect is then zero). Status, hint and input are the
 * last three rows; the log sits right above the status line (rows/6 rows,
 * 1..8) and the shown panes tile the area above it exactly.
 * Presets: DEFAULT shows data, posterior, regret, spectrum (those on, in
 * that order) as many as fit at 36 x 9 or more each: at 80x24 two side by
 * side (data, posterior); from about 100x30 all four in a 2x2 grid; at
 * 200x24 four in a row. SINGLE and zoom: the focused pane, or the first pane
 * that is on when the focused one is off. DATA: data on 2/3 of the width,
 * posterior beside it when that leaves it 36 columns, else data alone.
 * THEORY: regret, spectrum, posterior as DEFAULT arranges them. A preset
 * whose panes are all off falls back to DEFAULT; with no pane on, the log
 * takes the whole area above the status line. Cost O(1), no allocation. */
void layout_compute(struct layout *l, int cols, int rows, enum layout_preset preset,
                    const bool on[PANE_COUNT], int focus, bool zoom);

#endif
