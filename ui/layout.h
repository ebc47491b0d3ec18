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

struct session;

struct rect {
    int col, row, w, h; /* w == 0 or h == 0: not shown */
};

struct layout {
    bool too_small; /* below LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS: show only a message */
    struct rect pane[VIEW_MAX_PANES]; /* by registered pane; a strip pane's stays 0 */
    struct rect log;                  /* the strip (command output), at least 1 row when shown */
    struct rect status, hint, input;  /* one row each, full width */
};

#define LAYOUT_MIN_COLS 40
#define LAYOUT_MIN_ROWS 12

/* How a preset arranges its panes (named in layout_preset.panes). */
enum layout_kind {
    LAYOUT_GRID,    /* those of panes[] that are on, as many as fit; every tile when panes[]
                       is empty */
    LAYOUT_SINGLE,  /* the focused pane alone */
    LAYOUT_SPLIT,   /* panes[0] on 2/3 of the width, panes[1] beside it when that leaves it 36
                       columns, else either alone */
    LAYOUT_COLUMNS, /* panes[1] beside panes[0] (which gets the full height), panes[2] under
                       panes[1] when the column is tall enough; too narrow: a grid of panes[] */
};

/* A layout preset, as data: `layout NAME` picks it. */
struct layout_preset {
    struct view_layout view; /* name and help: registered with commands/ */
    enum layout_kind kind;
    const char *panes[4]; /* by name, in priority order; unused slots NULL */
    /* Clears in on[] (by registered pane) the panes the session has nothing
     * for under this preset; NULL: none. */
    void (*adjust)(const struct session *s, bool *on);
};

/* The presets, terminated by {0}; preset i is the view's layout i, and
 * preset 0 is the default. pane_register registers them. */
extern const struct layout_preset layout_presets[];

/* Compute the layout of the registered panes (ui/pane.h) under preset i of
 * layout_presets. on[i]: pane i enabled by the user (NULL: all on); zoom:
 * the focused pane takes the whole pane area (like tmux's zoom); focus is a
 * registered pane.
 * Guarantees: rectangles lie inside cols x rows, never overlap, every shown
 * pane is at least its min_w x min_h (20 x 6 for every pane today), panes
 * that are off have w = h = 0, the input line is the last row (also when
 * too_small, if rows >= 1; every other rect is then zero). Status, hint and
 * input are the last three rows; the log sits right above the status line
 * (rows/6 rows, 1..8) and the shown panes tile the area above it exactly.
 * Presets: default is a grid of every tile that is on, in order (data,
 * posterior, regret, spectrum, ...), as many as fit at 36 x 9 or more each:
 * at 80x24 two side by side (data, posterior); from about 100x30 all four
 * in a 2x2 grid; at 200x24 four in a row; a model with nothing to draw in
 * the posterior pane (a GP: no weights, no scalar posterior) leaves it out
 * unless it is focused, so data and regret share 80x24. single and zoom: the focused
 * pane, or the first pane that is on when the focused one is off. data:
 * data on 2/3 of the width, posterior beside it when that leaves it 36
 * columns, else data alone. theory: theory, regret, spectrum, posterior as
 * the default arranges them (its adjust leaves the current instrument alone,
 * or the model's panes when a model came after it). A preset whose panes are all off falls back to
 * the default; with no pane on, the log takes the whole area above the
 * status line. Cost O(panes^2), no allocation. */
void layout_compute(struct layout *l, int cols, int rows, int preset, const bool *on, int focus,
                    bool zoom);

#endif
