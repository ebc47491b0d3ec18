/* ui/canvas.h - a pure character-cell canvas (no ncurses).
 *
 * Panes draw here; ui/screen.c copies it to the terminal and `screenshot`
 * writes it as UTF-8 text, so what tests see is what users see. Each cell
 * holds either a text glyph (a Unicode code point) or a braille dot mask
 * (2 x 4 dots per cell), a colour index and attributes. In ASCII mode
 * (non-UTF-8 locale, --ascii) the same dot masks are shown with ASCII
 * characters and boxes with + - |; nothing else changes, so every plot works
 * in both. Pixel coordinates: x in [0, 2*cols), y in [0, 4*rows), y down. */
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
};

struct canvas {
    int cols, rows;
    struct cell *cells; /* rows * cols, row-major, owned */
    bool ascii;         /* render dots and boxes with ASCII */
    /* Set by canvas_clip (a zeroed struct has no clip): the pixel rectangle
     * [clip_x0, clip_x1] x [clip_y0, clip_y1], inclusive, already cut to the canvas. */
    bool clip_on;
    int clip_x0, clip_y0, clip_x1, clip_y1;
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
 * Returns the number of columns written. */
int canvas_text(struct canvas *c, int col, int row, const char *utf8, int color, int attr,
                int max_cols);
/* Display width of UTF-8 text in columns (wcwidth rules; control chars 0). */
int canvas_text_width(const char *utf8);
/* Columns one code point takes: 0 (controls, combining marks), 1, or 2 (East
 * Asian wide and fullwidth, most emoji). A built-in table: the same in any locale. */
int canvas_cp_width(uint32_t cp);
/* A border around the rectangle with a title in its top edge ("─ title ─");
 * box-drawing glyphs, or + - | in ASCII mode. */
void canvas_box(struct canvas *c, int col, int row, int w, int h, const char *title, int color,
                int title_color);

/* The glyph a cell shows (resolving dots to braille or ASCII), 0 for a
 * continuation cell of a wide glyph, ' ' for empty. */
uint32_t canvas_glyph(const struct canvas *c, int col, int row);
/* Write the canvas as UTF-8 text, one line per row, trailing blanks trimmed,
 * no colour (screenshots and golden tests). Returns 0, or -1 on write error. */
int canvas_write_text(const struct canvas *c, FILE *f);
/* One row as UTF-8 into buf (NUL-terminated, truncated to size). */
size_t canvas_row_utf8(const struct canvas *c, int row, char *buf, size_t size);

#endif
