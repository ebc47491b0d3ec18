/* ui/plot.h - plots on a canvas region: axes with readable ticks, series,
 * bands, ellipses, markers, legends.
 *
 * A plot is set up per frame with plot_begin, which lays out tick labels and
 * draws the axes; then series are drawn in data coordinates. Ranges come
 * from struct plot_range, which auto-ranges with hysteresis so that axes do
 * not jitter from frame to frame (grow at once to a nice bound, shrink only
 * when the data use less than half of the range), or stays fixed. */
#ifndef BAYESLENS_UI_PLOT_H
#define BAYESLENS_UI_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/canvas.h"

/* Line patterns (see canvas_line). */
#define PAT_SOLID  0xFFFFFFFFu
#define PAT_DASHED 0x0F0F0F0Fu
#define PAT_DOTTED 0x55555555u
/* A long dash and a dot (two) per 16 pixels: what a fourth and fifth series
 * of one plot use (a longer dash than PAT_DASHED is the same family, told
 * apart only by colour). */
#define PAT_DASH_DOT  0x0C7F0C7Fu
#define PAT_DASH_DOTS 0x123F123Fu

/* The line styles, one glyph family each (solid, dashed, dotted, dash-dot,
 * dash-dot-dot), with the legend samples that draw them: the series of one
 * plot take different ones, so they read apart without colour (NO_COLOR,
 * monochrome terminals). tests/test_ui_plot.c checks that the families and
 * the samples differ. */
struct plot_style {
    uint32_t pattern;
    const char *sample, *ascii_sample;
};
#define PLOT_STYLES 5
extern const struct plot_style plot_styles[PLOT_STYLES];

/* An axis range that persists across frames (keep it in the pane's state). */
struct plot_range {
    double lo, hi; /* current range */
    bool valid;    /* false until the first update */
    bool fixed;    /* set by the user: never auto-ranged */
    bool log;      /* log10 axis: lo, hi > 0 */
    bool integer;  /* an integer quantity (n, a layer, an index): ticks on integers only */
    /* Ticks in other units (x axes, linear): labels and 1-2-5 steps in
     * u = unit_shift + unit_scale * v, e.g. years for standardized inputs;
     * unit_scale 0 (or not finite): the data's own units. */
    double unit_shift, unit_scale;
};

/* Feed this frame's data extent (min, max over what will be drawn; NaN and,
 * for log axes, non-positive values must have been skipped by the caller, or
 * pass NaN to mean "no data"). Grows immediately to nice bounds (multiples
 * of a 1-2-5 step, plus a quarter of the span on the side that grew; on log
 * axes 1-2-5 values: 0.5, 1, 2, 5, 10, ...), shrinks only when the data span
 * falls below half of the range (to nice bounds of the data, at most 3/4 of
 * it; on log axes in decades); a degenerate extent gets a unit-wide
 * range around it (a decade each way on log axes). Fixed ranges are left
 * alone. */
void plot_range_update(struct plot_range *r, double dmin, double dmax);
/* Extent helpers: widen [*mn, *mx] by the finite values of v (positive only if pos). */
void plot_extent(const double *v, size_t n, bool pos, double *mn, double *mx);

struct plot {
    struct canvas *c;
    int col, row, w, h;       /* the whole region given to plot_begin, in cells */
    int pcol, prow, pw, ph;   /* the data area inside the axes, in cells */
    struct plot_range x, y;   /* the ranges used for this frame (copies) */
    /* The series and layer the next drawers use (plot_series, plot_layer);
     * plot_begin resets them: no series, each drawer's own layer. */
    int series, layer;
    int first_series; /* the first canvas series id registered by this plot */
    /* Columns kept outside the data area, at the right, for the legend
     * (plot_begin_legend); leg_w 0: the legend goes inside. */
    int leg_col, leg_w;
};

/* Name the series the following drawers draw (until the next call; NULL for
 * none): the cells they take are owned by it on the canvas, and a legend
 * entry with the same name is matched to it (tests count its cells). Returns
 * its id. Layers by drawer: bands LAYER_BAND, lines, ellipses and reference
 * lines LAYER_LINE, points and markers LAYER_MARKER. */
int plot_series(struct plot *p, const char *label);
/* Draw the following shapes at this layer (enum canvas_layer), or -1 for each
 * drawer's own: e.g. LAYER_OVER for the truth over the mean, LAYER_DENSITY
 * for many points under the lines, LAYER_NEW for the newest point. */
void plot_layer(struct plot *p, int layer);
/* Say that the legend entry named label is hidden, and why (e.g. "behind the
 * mean"): the legend shows the reason instead of a sample. */
void plot_series_hidden(struct plot *p, const char *label, const char *why);

/* A number in at most sig significant digits, in the shorter of plain
 * (0.0123; 4560 with 4 digits) and exponent form without padding (1.77e4,
 * 2e-5; plain never pads with zeros the digits do not carry): the one rule
 * for numbers in titles, status and legends. */
void plot_format_number(double v, int sig, char *buf, size_t size);

/* Lay out and draw axes, ticks and tick labels (never overlapping; 1-2-5
 * steps; decades on log axes; labels like 0.5, 20, 1.5k, 2e-05, 1e3) and the
 * axis labels xlabel (under the x ticks, right-aligned) and ylabel (above
 * the y axis), either may be NULL. Regions too small for axes get no axes but
 * still a data area (possibly 0 x 0: then every draw call is a no-op). */
void plot_begin(struct plot *p, struct canvas *c, int col, int row, int w, int h,
                const struct plot_range *x, const struct plot_range *y, const char *xlabel,
                const char *ylabel);
/* plot_begin, keeping room at the right of the region for the legend of
 * entries e (the entries plot_legend will get, or the widest of them) when
 * the data area keeps at least PLOT_LEGEND_OUT_W columns and two thirds of
 * the region beside it: plot_legend then writes there, outside the data,
 * from the top of the data area down. Else the same as plot_begin (the
 * legend goes in the emptiest corner). */
#define PLOT_LEGEND_OUT_W 40
/* The least width of a legend outside (or as much of it as keeps the data
 * area's share): a hidden entry's reason fits on the row under its name,
 * "(hidden: off the axes)" (the reasons plot_legend_checked gives, and the
 * panes' own, are kept this short), so an entry takes two rows at most. In
 * a narrower block the reason goes without "hidden: ", "(in 1 cell)". */
#define PLOT_LEGEND_REASON_W 22
struct legend_entry;
void plot_begin_legend(struct plot *p, struct canvas *c, int col, int row, int w, int h,
                       const struct plot_range *x, const struct plot_range *y, const char *xlabel,
                       const char *ylabel, const struct legend_entry *e, size_t n);
/* Two plots side by side in the columns [col, col + w): the left one gets
 * *w1 columns from col, the right one *w2 from *col2, with a blank column
 * between them: else the left one's curves and legend run into the right
 * one's tick labels ("⠤0.1 ┤", "running mean2e-2 ┤"). */
void plot_beside(int col, int w, int *w1, int *col2, int *w2);
/* Data to pixel coordinates (fractional, in canvas pixels). */
double plot_px(const struct plot *p, double x);
double plot_py(const struct plot *p, double y);

/* A polyline through (x[i], y[i]); NaN (or non-positive on a log axis) breaks it. */
void plot_line(struct plot *p, const double *x, const double *y, size_t n, int color,
               uint32_t pattern);
/* Single-dot points. */
void plot_points(struct plot *p, const double *x, const double *y, size_t n, int color);
/* A text glyph centred on a data point (e.g. U+25CF, '+', 'x'); clipped to the area. */
void plot_marker(struct plot *p, double x, double y, uint32_t glyph, int color, int attr);
/* An off-scale mark: a value y above the y range is marked by a bold ▲ at
 * the top edge over x, one below by a ▼ at the bottom ('^', 'v' in ASCII),
 * so the viewer knows it is there; a value in range, NaN or an x off the
 * axes gets none. Returns what it marked, PLOT_ABOVE, PLOT_BELOW or 0: OR
 * them into plot_offscale_entry's sides, for the legend entry that explains
 * the marks (only when some are drawn). */
#define PLOT_ABOVE 1
#define PLOT_BELOW 2
int plot_offscale(struct plot *p, double x, double y, int color);
struct legend_entry;
/* The legend entry of the marks drawn (sides != 0): sample ▲, ▼ or ▲▼. */
struct legend_entry plot_offscale_entry(int sides, const char *name, int color);
/* A filled band between lo[i] and hi[i] over x[i] (x sorted): a sparse dot
 * texture (every other dot) so lines drawn over it stay visible. */
void plot_band(struct plot *p, const double *x, const double *lo, const double *hi, size_t n,
               int color);
/* The k-sigma ellipse of a 2-D Gaussian with mean (cx, cy) and covariance
 * [[sxx, sxy], [sxy, syy]] (degenerate covariances draw a segment or a point). */
void plot_ellipse(struct plot *p, double cx, double cy, double sxx, double sxy, double syy,
                  double k, int color, uint32_t pattern);
/* Horizontal / vertical reference lines across the data area. */
void plot_hline(struct plot *p, double y, int color, uint32_t pattern);
void plot_vline(struct plot *p, double x, int color, uint32_t pattern);

/* A legend in a corner of the data area, one entry per line: a sample glyph
 * (e.g. "──", "··", "● ", "░░") in the entry's colour, then its name, so
 * that series are told apart without colour. A name wider than the data area
 * is cut at a word with an ellipsis; an entry with no row left (or not even
 * room for its sample) is marked hidden, "no room". Draw it last: it goes in the corner where it hides the fewest
 * drawn cells (top-right, top-left, bottom-right, bottom-left on ties), or,
 * when every corner hides some, the emptiest place down the right or left edge.
 * Each entry is matched by name to a series of this plot (plot_series) and
 * marked as named by a legend on the canvas. */
struct legend_entry {
    const char *sample; /* UTF-8; ASCII mode falls back to ascii_sample */
    const char *ascii_sample;
    const char *name;
    int color;
};
void plot_legend(struct plot *p, const struct legend_entry *e, size_t n);
/* plot_legend, then: an entry i with why_hidden[i] != NULL whose series owns
 * fewer than PLOT_MIN_VISIBLE cells once the legend is drawn (a band thinner
 * than the curves over it, draws on the mean) is marked hidden with that
 * reason and the legend drawn again, saying so. why_hidden may be NULL. An
 * entry without a reason whose series owns fewer cells than that (one, for
 * a series drawn only as glyph markers) is marked hidden too, with what
 * owns the cells its shapes pass through ("under measured vs truth"), "off
 * the axes" or "in 1 cell". plot_legend checks the same way. */
#define PLOT_MIN_VISIBLE 3
#define PLOT_LEGEND_MAX  16 /* entries of one legend that are checked */
void plot_legend_checked(struct plot *p, const struct legend_entry *e, size_t n,
                         const char *const *why_hidden);

/* Tick positions and labels (pure; exposed for tests). axis_ticks fills up
 * to max ticks inside [lo, hi] on a 1-2-5 ladder (log: decades, or 1-2-5
 * within a decade when the range spans less than two) and returns the count
 * and the step. axis_format writes a label of at most 7 columns in a style
 * shared by all ticks of the axis (step tells the precision needed).
 * *step out: the 1-2-5 step; on log axes the decades between ticks, 0 for
 * 1-2-5 values, or the linear step when fewer than two of those fit. Ranges
 * whose 1-2-5 steps give a single tick get every other multiple of the finer
 * step. axis_format sees one value only, so its style comes from v and step;
 * axis_format_ticks shares it over an axis. */
size_t axis_ticks(double lo, double hi, bool log, size_t max, double *ticks, double *step);
void axis_format(double v, double step, bool log, char *buf, size_t size);
/* axis_ticks for an integer quantity: only integers, steps of at least 1
 * (1, 2, 5, 10, ...), so one point at n = 200 gets the single tick 200, not
 * 200.1 .. 201; a range holding no integer gets no tick. */
size_t axis_ticks_int(double lo, double hi, bool log, size_t max, double *ticks, double *step);
/* Labels for all n ticks of one axis in one style chosen from all of them
 * (what plot_begin uses): decimals with the digits the step needs, k/M
 * suffixes, or scientific; on log axes 0.01 .. 10000 as decimals when every
 * tick is in that range, else 1e-5 style. Each label <= 7 columns; n <= 64
 * (more are ignored). */
#define AXIS_LABEL_SIZE 16
void axis_format_ticks(const double *ticks, size_t n, double step, bool log,
                       char (*labels)[AXIS_LABEL_SIZE]);

#endif
