/* ui/canvas.h - a pure character-cell canvas (no ncurses).
 *
 * Panes draw here; ui/screen.c copies it to the terminal and `screenshot`
 * writes it as UTF-8 text, so what tests see is what users see. Each cell
 * holds either a text glyph (a Unicode code point) or a braille dot mask
 * (2 x 4 dots per cell), a colour index and attributes. In ASCII mode
 * (non-UTF-8 locale, --ascii) the same dot masks are shown with ASCII
 * characters and boxes with + - |; nothing else changes, so every plot works
 * in both. There a series named by a legend is drawn with its legend
 * sample's characters (canvas_glyph), so it reads apart without colour. Pixel coordinates: x in [0, 2*cols), y in [0, 4*rows), y down. */
#ifndef BAYESLENS_UI_CANVAS_H
#define BAYESLENS_UI_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Colour roles; ui/theme.c maps them to terminal colours (or none). */
enum canvas_color {
    COL_DEFAULT = 0, /* terminal default */
    COL_DIM,         /* axes, ticks, borders */
    COL_TITLE,       /* pane titles */
    COL_FOCUS,       /* border of the focused pane */
    COL_S1,          /* series palette (Okabe-Ito order: blue, orange, green, ...) */
    COL_S2,
    COL_S3,
    COL_S4,
    COL_S5,
    COL_TRUTH,       /* the truth */
    COL_BAND,        /* uncertainty bands */
    COL_NEW,         /* the newest point */
    COL_ERROR,       /* error messages */
    COL_COUNT
};

enum canvas_attr { ATTR_NONE = 0, ATTR_BOLD = 1, ATTR_REVERSE = 2, ATTR_UNDERLINE = 4 };

struct cell {
    uint32_t ch;   /* code point; 0 means "dots" (or empty when dots == 0) */
    uint8_t dots;  /* braille mask: bit 0..2,6 left column top-down; 3..5,7 right */
    uint8_t color; /* enum canvas_color */
    uint8_t attr;  /* enum canvas_attr bits */
    uint8_t wide;  /* 1 on the cell after a double-width glyph (skipped when written) */
    uint8_t series; /* the series that owns the cell (canvas_series_add), 0 for none */
    uint8_t layer;  /* the layer of that owner (enum canvas_layer) */
};

/* Drawing layers, back to front. Where two series want one cell the higher
 * layer owns it (its colour, its series id); equal layers: the later one.
 * Braille dots are OR-ed, so drawing at once under this rule gives the same
 * cells as rendering the display list sorted by layer. Density dots are
 * knocked out of cells a line or marker owns (and a line clears density dots
 * from its cells), so many points never hide a curve. */
enum canvas_layer {
    LAYER_NONE = 0, /* text, axes, anything drawn outside a plot */
    LAYER_BAND,     /* uncertainty bands, shaded areas */
    LAYER_DENSITY,  /* many points drawn as a density under the lines */
    LAYER_LINE,     /* curves */
    LAYER_OVER,     /* curves that must stay visible over others (the truth) */
    LAYER_MARKER,   /* points and glyph markers */
    LAYER_NEW,      /* the newest point */
    LAYER_COUNT
};

/* A series registered on the canvas this frame: its legend label and whether
 * a legend shows it (or says it is hidden, and why). */
#define CANVAS_MAX_SERIES 128
#define CANVAS_LABEL_SIZE 40
struct canvas_series {
    char label[CANVAS_LABEL_SIZE];
    int pane;    /* canvas->pane when it was registered (-1: none) */
    bool legend; /* a legend names it */
    bool hidden; /* its legend says it is hidden: why */
    char why[CANVAS_LABEL_SIZE];
    int plot;        /* the plot whose legend names it (its first series id), 0: none */
    int drawn_in;    /* the plot that registered it (its first series id), 0: not a plot */
    char sample[16]; /* the legend's sample of it, as shown (UTF-8 or ASCII) */
};

/* The display list: one shape per plot call, in the order drawn, with its
 * layer and series; coordinates are canvas pixels (x right, y down, 2 x 4
 * per cell), kept in canvas.xy as (x, y) pairs. The braille/ASCII back end
 * rasterizes each shape as it is appended (see enum canvas_layer); a vector
 * back end renders the same list, sorted stably by layer (docs/panes.md). */
enum canvas_shape_kind {
    SHAPE_POLYLINE, /* n points joined; a NaN pair breaks it */
    SHAPE_DOTS,     /* n single points */
    SHAPE_BAND,     /* n/2 upper points left to right, then n/2 lower ones right to left */
    SHAPE_GLYPH     /* one glyph centred on its single point */
};
struct canvas_shape {
    uint8_t kind, layer, series, color;
    uint32_t pattern; /* line dash mask (canvas_line) */
    uint32_t glyph;   /* SHAPE_GLYPH */
    int pane;         /* canvas->pane when appended */
    size_t first, n;  /* points xy[2*first ..] */
};

struct canvas {
    int cols, rows;
    struct cell *cells; /* rows * cols, row-major, owned */
    bool ascii;         /* render dots and boxes with ASCII */
    /* Set by canvas_clip (a zeroed struct has no clip): the pixel rectangle
     * [clip_x0, clip_x1] x [clip_y0, clip_y1], inclusive, already cut to the canvas. */
    bool clip_on;
    int clip_x0, clip_y0, clip_x1, clip_y1;
    /* The pen: series id and layer given to every cell drawn (canvas_pen). */
    int pen_series, pen_layer;
    int pane; /* the pane being drawn (set by the renderer), -1 outside panes */
    /* Seconds after which a pane wants the frame drawn again (it drew cached
     * figures older than the session: a refresh was not yet due); 0: none.
     * Cleared by canvas_clear; the live loop wakes up for it. */
    double redraw_in;
    int nseries;
    struct canvas_series series[CANVAS_MAX_SERIES]; /* id i at series[i - 1] */
    /* The display list of this frame (cleared by canvas_clear); owned. */
    struct canvas_shape *shape;
    size_t nshape, shape_cap;
    double *xy;
    size_t nxy, xy_cap; /* in points */
    bool dl_failed;     /* out of memory: the list is incomplete (the cells are not) */
};

/* 0 on success, -1 when out of memory (c is then empty, 0 x 0). Any size >= 0. */
int canvas_init(struct canvas *c, int cols, int rows, bool ascii);
/* New size, contents cleared, clip lifted; on failure (-1) c is unchanged. */
int canvas_resize(struct canvas *c, int cols, int rows);
void canvas_free(struct canvas *c);
void canvas_clear(struct canvas *c);
/* Clear a rectangle of cells. */
void canvas_clear_rect(struct canvas *c, int col, int row, int w, int h);

/* Sub-cell dots; out-of-range coordinates are clipped silently. A dot sets
 * the cell's colour (last writer wins) unless the cell holds text. */
void canvas_dot(struct canvas *c, int x, int y, int color);
/* A line between pixel coordinates (doubles, clipped to the canvas). pattern
 * is a bit mask over the pixels stepped (0xFFFFFFFF solid, 0x33333333
 * dashed, 0x55555555 dotted), so series differ in more than colour. */
void canvas_line(struct canvas *c, double x0, double y0, double x1, double y1, int color,
                 uint32_t pattern);
/* canvas_line for polylines: the pattern bit of a pixel is indexed by the
 * distance stepped (max(|dx|, |dy|), in pixels) since the polyline began;
 * *phase holds that distance in and out (start it at 0), so dashes run on
 * across vertices however densely the line is sampled. Cost O(pixels
 * stepped inside the clip). Non-finite coordinates draw nothing. */
void canvas_line_phased(struct canvas *c, double x0, double y0, double x1, double y1, int color,
                        uint32_t pattern, double *phase);
/* Restrict dots and lines to a rectangle of cells (a plot area); w or h < 0 lifts it. */
void canvas_clip(struct canvas *c, int col, int row, int w, int h);

/* One glyph; double-width glyphs take two cells. */
void canvas_put(struct canvas *c, int col, int row, uint32_t ch, int color, int attr);
/* UTF-8 text from (col, row), clipped at max_cols columns (or the canvas
 * edge when max_cols < 0); invalid UTF-8 shows as U+FFFD ('?' in ASCII).
 * Text is never cut silently: when it does not fit, its last column shows
 * an ellipsis (U+2026, '.' in ASCII). Returns the number of columns written. */
int canvas_text(struct canvas *c, int col, int row, const char *utf8, int color, int attr,
                int max_cols);
/* Decode one code point from *ps and advance past it; an invalid or
 * truncated sequence yields U+FFFD and consumes its longest valid prefix (at
 * least one byte): the decoding canvas_text draws with. */
uint32_t canvas_utf8_next(const unsigned char **ps);
/* Display width of UTF-8 text in columns (wcwidth rules; control chars 0). */
int canvas_text_width(const char *utf8);
/* Columns one code point takes: 0 (controls, combining marks), 1, or 2 (East
 * Asian wide and fullwidth, most emoji). A built-in table: the same in any locale. */
int canvas_cp_width(uint32_t cp);
/* A border around the rectangle with a title in its top edge ("─ title ─");
 * box-drawing glyphs, or + - | in ASCII mode. */
void canvas_box(struct canvas *c, int col, int row, int w, int h, const char *title, int color,
                int title_color);

/* Register a series labelled label (copied, cut to fit) in the current pane;
 * returns its id (1 ..), or 0 when the table is full (cells then stay unowned). */
int canvas_series_add(struct canvas *c, const char *label);
/* Set the pen: cells drawn from now on are owned by series (0 none) at layer. */
void canvas_pen(struct canvas *c, int series, int layer);
/* Cells series id owns. */
size_t canvas_series_cells(const struct canvas *c, int series);
/* Append a shape to the display list (pts: n (x, y) pixel pairs, copied).
 * Returns 0, or -1 when out of memory (dl_failed is then set). */
int canvas_shape_add(struct canvas *c, enum canvas_shape_kind kind, int color, uint32_t pattern,
                     uint32_t glyph, const double *pts, size_t n);

/* The glyph a cell shows (resolving dots to braille or ASCII: in ASCII the
 * line characters of its owner's legend sample, one per column in turn,
 * when a legend names it and it is not a density), 0 for a
 * continuation cell of a wide glyph, ' ' for empty. */
uint32_t canvas_glyph(const struct canvas *c, int col, int row);
/* Write the canvas as UTF-8 text, one line per row, trailing blanks trimmed,
 * no colour (screenshots and golden tests). Returns 0, or -1 on write error. */
int canvas_write_text(const struct canvas *c, FILE *f);
/* One row as UTF-8 into buf (NUL-terminated, truncated to size). */
size_t canvas_row_utf8(const struct canvas *c, int row, char *buf, size_t size);

#endif
