/* ui/layout.c - see layout.h.
 *
 * Rows from the bottom: input, hint, status (one each), the log
 * (rows / 6, clamped to 1..LOG_MAX_ROWS: 4 rows at 24, 8 from 48 up), and
 * the pane area above it, which the panes tile exactly (no gaps: each pane
 * draws its own border).
 *
 * Panes are arranged as a few rows of equal height, each split into equal
 * columns; with m panes in r rows the later rows take the extra panes, so
 * the first pane in priority order gets the widest cell (data at the top
 * across the screen, the others below). Among these shapes we take the
 * largest m for which every pane is at least a readable PANE_PREF_W x
 * PANE_PREF_H; if not even one pane is that large (a short terminal) the
 * height is relaxed to the hard minimum, then the width. Among shapes with
 * the same m, the one whose worst pane is closest to the aspect ASPECT
 * (columns per row; a terminal cell is about twice as tall as wide, so 2.5
 * is a little wider than square) wins, ties to fewer rows. That gives 2 side
 * by side at 80x24, 2x2 at 100x30 and up, 4 in a row at 200x24. */
#include "ui/layout.h"

#include <math.h>
#include <string.h>

#define PANE_PREF_W  36 /* a plot with axes and a legend is readable from here */
#define PANE_PREF_H  9
#define PANE_MIN_W   20 /* never smaller (layout.h's guarantee) */
#define PANE_MIN_H   6
#define LOG_MAX_ROWS 8
#define DATA_SHARE   (2.0 / 3.0) /* LAYOUT_DATA: the data pane's share of the width */
#define ASPECT       2.5         /* preferred pane width / height in cells */

/* LAYOUT_SAMPLER: the column height that also holds the data pane, and the
 * posterior's share of that column. */
#define SAMPLER_DATA_MIN_H 30
#define SAMPLER_POST_SHARE 0.6

static int
log_rows(int rows)
{
    int h = rows / 6;
    return h < 1 ? 1 : h > LOG_MAX_ROWS ? LOG_MAX_ROWS : h;
}

/* Place panes list[0..m-1] in r rows of area a, rows of equal height (the
 * remainder spread so the rects tile a exactly), row i holding
 * floor(m/r) panes plus one more for the last m % r rows. */
static void
place(struct rect a, const int *list, int m, int r, struct rect *out)
{
    int k = 0;
    for (int i = 0; i < r; i++) {
        int c = m / r + (i >= r - m % r);
        int y0 = a.row + a.h * i / r, y1 = a.row + a.h * (i + 1) / r;
        for (int j = 0; j < c; j++, k++) {
            int x0 = a.col + a.w * j / c, x1 = a.col + a.w * (j + 1) / c;
            out[list[k]] = (struct rect){x0, y0, x1 - x0, y1 - y0};
        }
    }
}

/* Worst distance of a shape's panes from the preferred aspect, or -1 when a
 * pane is below min_w x min_h. */
static double
shape_score(const struct rect *pane, const int *list, int m, int min_w, int min_h)
{
    double worst = 0.0;
    for (int k = 0; k < m; k++) {
        const struct rect *p = &pane[list[k]];
        if (p->w < min_w || p->h < min_h)
            return -1.0;
        double d = fabs(log((double)p->w / ((double)p->h * ASPECT)));
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* Tile area a with as many of list[0..n-1] (priority order) as fit. */
static void
grid(struct rect a, const int *list, int n, struct rect *pane)
{
    static const int thresholds[][2] = {
        {PANE_PREF_W, PANE_PREF_H},
        {PANE_PREF_W, PANE_MIN_H},
        {PANE_MIN_W, PANE_MIN_H},
    };
    for (size_t t = 0; t < sizeof thresholds / sizeof thresholds[0]; t++)
        for (int m = n; m >= 1; m--) {
            int best_r = 0;
            double best = 0.0;
            for (int r = 1; r <= m; r++) {
                struct rect trial[PANE_COUNT];
                place(a, list, m, r, trial);
                double s = shape_score(trial, list, m, thresholds[t][0], thresholds[t][1]);
                if (s >= 0.0 && (best_r == 0 || s < best)) {
                    best_r = r;
                    best = s;
                }
            }
            if (best_r != 0) {
                place(a, list, m, best_r, pane);
                return;
            }
        }
    /* Unreachable above the minimum terminal size (the area is at least
     * LAYOUT_MIN_COLS x 7); show nothing rather than a pane below 20 x 6. */
}

/* Panes of order[0..n-1] that are on, into list; returns how many. */
static int
filter(const int *order, int n, const bool on[PANE_COUNT], int *list)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (on[order[i]])
            list[k++] = order[i];
    return k;
}

void
layout_compute(struct layout *l, int cols, int rows, enum layout_preset preset,
               const bool on[PANE_COUNT], int focus, bool zoom)
{
    static const int order_default[] = {PANE_DATA,     PANE_POSTERIOR, PANE_REGRET,
                                        PANE_SPECTRUM, PANE_SAMPLER,   PANE_THEORY};
    static const int order_theory[] = {PANE_THEORY, PANE_REGRET, PANE_SPECTRUM, PANE_POSTERIOR};
    static const int order_sampler[] = {PANE_SAMPLER, PANE_POSTERIOR, PANE_DATA};
    _Static_assert(sizeof order_default / sizeof order_default[0] == PANE_COUNT,
                   "a new pane needs a place in the priority order");
    bool all_on[PANE_COUNT];

    memset(l, 0, sizeof *l);
    if (on == NULL) {
        for (int i = 0; i < PANE_COUNT; i++)
            all_on[i] = true;
        on = all_on;
    }
    if (cols < 0)
        cols = 0;
    if (rows < 0)
        rows = 0;
    if (rows >= 1)
        l->input = (struct rect){0, rows - 1, cols, 1};
    if (cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS) {
        l->too_small = true;
        return;
    }
    l->hint = (struct rect){0, rows - 2, cols, 1};
    l->status = (struct rect){0, rows - 3, cols, 1};
    int lh = log_rows(rows);
    struct rect a = {0, 0, cols, rows - 3 - lh};
    l->log = (struct rect){0, a.h, cols, lh};

    int list[PANE_COUNT];
    int n = filter(order_default, PANE_COUNT, on, list);
    if (n == 0) {
        /* Nothing to plot: the log takes the whole area. */
        l->log = (struct rect){0, 0, cols, rows - 3};
        return;
    }

    if (zoom || preset == LAYOUT_SINGLE) {
        /* The focused pane, or when it is off (or focus is out of range)
         * the first pane that is on, in priority order. */
        int p = focus >= 0 && focus < PANE_COUNT && on[focus] ? focus : list[0];
        l->pane[p] = a;
        return;
    }
    if (preset == LAYOUT_DATA && (on[PANE_DATA] || on[PANE_POSTERIOR])) {
        if (on[PANE_DATA] && on[PANE_POSTERIOR]) {
            int wd = (int)lround(DATA_SHARE * a.w);
            if (a.w - wd >= PANE_PREF_W) {
                l->pane[PANE_DATA] = (struct rect){a.col, a.row, wd, a.h};
                l->pane[PANE_POSTERIOR] = (struct rect){a.col + wd, a.row, a.w - wd, a.h};
                return;
            }
        }
        l->pane[on[PANE_DATA] ? PANE_DATA : PANE_POSTERIOR] = a;
        return;
    }
    if (preset == LAYOUT_THEORY) {
        int lt[PANE_COUNT];
        int nt = filter(order_theory, (int)(sizeof order_theory / sizeof order_theory[0]), on, lt);
        if (nt > 0) {
            grid(a, lt, nt, l->pane);
            return;
        }
    }
    if (preset == LAYOUT_SAMPLER && (on[PANE_SAMPLER] || on[PANE_POSTERIOR])) {
        /* Posterior and sampler side by side (the sampler's stacked plots
         * want height); the data pane under the posterior when the column
         * is tall enough for both. Too narrow for two: the grid. */
        int half = a.w / 2;
        if (on[PANE_SAMPLER] && on[PANE_POSTERIOR] && half >= PANE_PREF_W) {
            int ph = a.h;
            if (on[PANE_DATA] && a.h >= SAMPLER_DATA_MIN_H) {
                ph = (int)lround(SAMPLER_POST_SHARE * a.h);
                l->pane[PANE_DATA] = (struct rect){a.col, a.row + ph, half, a.h - ph};
            }
            l->pane[PANE_POSTERIOR] = (struct rect){a.col, a.row, half, ph};
            l->pane[PANE_SAMPLER] = (struct rect){a.col + half, a.row, a.w - half, a.h};
            return;
        }
        int ls[PANE_COUNT];
        int ns =
            filter(order_sampler, (int)(sizeof order_sampler / sizeof order_sampler[0]), on, ls);
        grid(a, ls, ns, l->pane);
        return;
    }
    /* LAYOUT_DEFAULT, and the presets whose panes are all off. */
    grid(a, list, n, l->pane);
}
