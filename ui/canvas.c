/* ui/canvas.c - the character-cell canvas: braille dots, lines, text, boxes,
 * and its UTF-8 text form. Contracts are in canvas.h.
 *
 * Invariants:
 *  - cells holds rows * cols cells (NULL when either is 0); a cell shows text
 *    when ch != 0, else its braille dot mask (blank when the mask is 0).
 *  - A double-width glyph is a lead cell (ch = the glyph) followed by a cell
 *    with wide = 1 and ch = 0. Every write that lands on half of such a pair
 *    blanks the other half, so no orphan halves remain.
 *  - Dots never land on text cells (the text stays readable); a dot sets the
 *    cell's colour, the last writer wins.
 *  - The clip rectangle is kept in pixels, already cut to the canvas.
 *
 * Lines are a DDA in pixel space after Liang-Barsky clipping to the clip
 * rectangle (widened by half a pixel, so endpoints round to the pixels a
 * reader expects): n = ceil(max(|dx|, |dy|)) steps move at most one pixel per
 * step on either axis, so the line has no gaps; both endpoints are hit.
 *
 * ASCII mode maps each 2 x 4 dot mask to one character chosen from which of
 * the four dot rows are used (L, R: the rows used by the left and right dot
 * columns; A = L | R):
 *   rows 1-2 only, both columns -> '-' (a run through the middle)
 *   else rows 0-1 only -> '\''   rows 2-3 only -> '.'   rows 1 and 2 -> '-'
 *   two rows with a gap (0+2, 1+3, 0+3) -> ':'
 *   three or four rows: one column only -> '|'; a column with a gap (band
 *   texture) -> ':'; left column lower than the right by a row or more -> '/',
 *   higher -> '\\'; else ':' (or '|' when a column has three dots).
 * So a shallow line reads as .-'-. steps, a steep one as / \ |, a band as ':'.
 * That mask glyph is only the fallback: a cell whose owner (struct
 * cell.series) is named by a legend shows the line characters of that
 * legend's sample instead ("__" solid, "--" dashed, "-." dash-dot), since
 * every series would otherwise draw the same few characters and, without
 * colour, could not be told apart (README: no series by colour alone).
 * Text glyphs outside ASCII fold to a look-alike (box drawing to + - |, a few
 * symbols and Greek letters, Latin-1 letters without accents) or '?'; a
 * double-width glyph shows as "??" so that columns stay aligned.
 *
 * Widths come from a built-in table (canvas_cp_width), not wcwidth(), so
 * layout and golden files do not depend on the process locale.
 * canvas_write_text ends every row, the last included, with '\n'. */
#include "ui/canvas.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CP_REPLACEMENT 0xFFFDu
#define CP_ELLIPSIS    0x2026u

/* Dot bit for pixel row (0..3) and column (0..1) inside a cell. */
static const uint8_t dot_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

struct cp_range {
    uint32_t lo, hi;
};

/* Zero-width code points beyond the C0/C1 controls (combining marks, joiners,
 * variation selectors). Sorted. */
static const struct cp_range zero_width[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5},   {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
    {0x20D0, 0x20FF},   {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0001, 0xE007F},
    {0xE0100, 0xE01EF},
};

/* Double-width code points: East Asian Wide and Fullwidth, common emoji. Sorted. */
static const struct cp_range double_width[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F5},   {0x26FA, 0x26FD},
    {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},   {0x274C, 0x274C},
    {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* ASCII look-alikes for single code points outside the ranges handled in
 * code (box drawing, braille, Latin-1 letters). Sorted by code point. */
static const struct {
    uint32_t cp;
    char ascii;
} ascii_table[] = {
    {0x00A0, ' '}, {0x00AB, '<'},  {0x00B0, 'o'},  {0x00B1, '+'}, {0x00B2, '2'}, {0x00B3, '3'},
    {0x00B7, '.'}, {0x00B9, '1'},  {0x00BB, '>'},  {0x0394, 'D'}, {0x03A3, 'S'}, {0x03A9, 'W'},
    {0x03B1, 'a'}, {0x03B2, 'b'},  {0x03B3, 'g'},  {0x03B4, 'd'}, {0x03B5, 'e'}, {0x03B7, 'n'},
    {0x03B8, 't'}, {0x03BA, 'k'},  {0x03BB, 'l'},  {0x03BC, 'u'}, {0x03BD, 'v'}, {0x03C0, 'p'},
    {0x03C1, 'r'}, {0x03C3, 's'},  {0x03C4, 't'},  {0x03C6, 'f'}, {0x03C7, 'x'}, {0x03C8, 'y'},
    {0x03C9, 'w'}, {0x2010, '-'},  {0x2011, '-'},  {0x2012, '-'}, {0x2013, '-'}, {0x2014, '-'},
    {0x2015, '-'}, {0x2018, '\''}, {0x2019, '\''}, {0x201C, '"'}, {0x201D, '"'}, {0x2022, '*'},
    {0x2026, '.'}, {0x2070, '0'},  {0x2074, '4'},  {0x2075, '5'}, {0x2076, '6'}, {0x2077, '7'},
    {0x2078, '8'}, {0x2079, '9'},  {0x207A, '+'},  {0x207B, '-'}, {0x2190, '<'}, {0x2191, '^'},
    {0x2192, '>'}, {0x2193, 'v'},  {0x2212, '-'},  {0x2217, '*'}, {0x2248, '~'}, {0x2264, '<'},
    {0x2265, '>'}, {0x2580, '"'},  {0x2581, '_'},  {0x2582, '_'}, {0x2583, '_'}, {0x2591, ':'},
    {0x2592, '%'}, {0x25A0, '#'},  {0x25A1, '#'},  {0x25AA, '#'}, {0x25AB, '#'}, {0x25B2, '^'},
    {0x25B3, '^'}, {0x25B6, '>'},  {0x25B7, '>'},  {0x25BC, 'v'}, {0x25BD, 'v'}, {0x25C0, '<'},
    {0x25C1, '<'}, {0x25C6, '*'},  {0x25C7, '*'},  {0x25CB, 'o'}, {0x25CF, 'o'}, {0x25E6, 'o'},
    {0x2605, '*'}, {0x2606, '*'},  {0x2715, 'x'},  {0x2716, 'x'}, {0x2717, 'x'}, {0x271A, '+'},
    {0xFFFD, '?'},
};

/* Latin-1 letters U+00C0..U+00FF without their accents. */
static const char latin1_fold[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTs"
                                  "aaaaaaaceeeeiiiidnooooo/ouuuuyty";

static bool
in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

int
canvas_cp_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;
    if (cp < 0x300)
        return 1;
    if (in_ranges(cp, zero_width, sizeof zero_width / sizeof zero_width[0]))
        return 0;
    if (in_ranges(cp, double_width, sizeof double_width / sizeof double_width[0]))
        return 2;
    return 1;
}

static int
popcount4(unsigned m)
{
    return (int)((m & 1u) + ((m >> 1) & 1u) + ((m >> 2) & 1u) + ((m >> 3) & 1u));
}

/* A row mask (bit r = dot row r used) has a gap when its rows are not contiguous. */
static bool
has_gap(unsigned m)
{
    if (m == 0)
        return false;
    while (!(m & 1u))
        m >>= 1;
    return (m & (m + 1u)) != 0; /* contiguous ones plus one is a power of two */
}

static double
mean_row(unsigned m)
{
    double s = 0;
    int n = 0;
    for (int r = 0; r < 4; r++)
        if (m & (1u << r)) {
            s += r;
            n++;
        }
    return n ? s / n : 0;
}

/* The ASCII character for a braille dot mask (the table in the file comment). */
static char
ascii_dots(uint8_t mask)
{
    unsigned L = 0, R = 0;
    for (int r = 0; r < 4; r++) {
        if (mask & dot_bit[r][0])
            L |= 1u << r;
        if (mask & dot_bit[r][1])
            R |= 1u << r;
    }
    unsigned A = L | R;
    if (A == 0)
        return ' ';
    int n = popcount4(A);
    if (n <= 2) {
        if ((A & ~0x6u) == 0 && L && R)
            return '-';
        if ((A & ~0x3u) == 0)
            return '\'';
        if ((A & ~0xCu) == 0)
            return '.';
        return A == 0x6u ? '-' : ':';
    }
    if (L == 0 || R == 0)
        return '|';
    if (has_gap(L) || has_gap(R))
        return ':';
    double d = mean_row(L) - mean_row(R);
    if (d >= 1)
        return '/';
    if (d <= -1)
        return '\\';
    return (popcount4(L) >= 3 || popcount4(R) >= 3) ? '|' : ':';
}

static char
ascii_box(uint32_t cp)
{
    static const uint16_t horiz[] = {0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D,
                                     0x2550, 0x2574, 0x2576, 0x2578, 0x257A, 0x257C, 0x257E};
    static const uint16_t vert[] = {0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F,
                                    0x2551, 0x2575, 0x2577, 0x2579, 0x257B, 0x257D, 0x257F};
    for (size_t i = 0; i < sizeof horiz / sizeof horiz[0]; i++)
        if (cp == horiz[i])
            return '-';
    for (size_t i = 0; i < sizeof vert / sizeof vert[0]; i++)
        if (cp == vert[i])
            return '|';
    if (cp == 0x2571)
        return '/';
    if (cp == 0x2572)
        return '\\';
    if (cp == 0x2573)
        return 'X';
    return '+';
}

static char
ascii_fold(uint32_t cp)
{
    if (cp < 0x80)
        return cp < 0x20 || cp == 0x7F ? '?' : (char)cp;
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1_fold[cp - 0xC0];
    if (cp >= 0x2500 && cp <= 0x257F)
        return ascii_box(cp);
    if (cp >= 0x2800 && cp <= 0x28FF)
        return ascii_dots((uint8_t)(cp - 0x2800));
    if (cp >= 0x2584 && cp <= 0x259F)
        return '#';
    size_t lo = 0, hi = sizeof ascii_table / sizeof ascii_table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < ascii_table[mid].cp)
            hi = mid;
        else if (cp > ascii_table[mid].cp)
            lo = mid + 1;
        else
            return ascii_table[mid].ascii;
    }
    return '?';
}

/* Decode one code point from *ps and advance; an invalid or truncated
 * sequence yields U+FFFD and consumes its longest valid prefix (at least one
 * byte), as Unicode's "maximal subpart" practice recommends. */
uint32_t
canvas_utf8_next(const unsigned char **ps)
{
    const unsigned char *s = *ps;
    unsigned c = s[0];
    int need;
    uint32_t cp;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        *ps = s + 1;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *ps = s + 1;
        return CP_REPLACEMENT;
    }
    for (int i = 1; i <= need; i++) {
        unsigned b = s[i];
        unsigned blo = i == 1 ? lo : 0x80, bhi = i == 1 ? hi : 0xBF;
        if (b < blo || b > bhi) {
            *ps = s + i;
            return CP_REPLACEMENT;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    *ps = s + need + 1;
    return cp;
}

static size_t
utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static struct cell *
cell_at(const struct canvas *c, int col, int row)
{
    return &c->cells[(size_t)row * (size_t)c->cols + (size_t)col];
}

static void
cell_blank(struct cell *cl)
{
    memset(cl, 0, sizeof *cl);
}

/* Allocate rows x cols cleared cells; NULL (and *ok false) when out of memory. */
static struct cell *
cells_alloc(int cols, int rows, bool *ok)
{
    *ok = true;
    if (cols <= 0 || rows <= 0)
        return NULL;
    if ((size_t)cols > SIZE_MAX / sizeof(struct cell) / (size_t)rows) {
        *ok = false;
        return NULL;
    }
    struct cell *p = calloc((size_t)cols * (size_t)rows, sizeof *p);
    if (p == NULL)
        *ok = false;
    return p;
}

int
canvas_init(struct canvas *c, int cols, int rows, bool ascii)
{
    memset(c, 0, sizeof *c);
    c->ascii = ascii;
    c->pane = -1;
    if (cols <= 0 || rows <= 0)
        return 0;
    bool ok;
    c->cells = cells_alloc(cols, rows, &ok);
    if (!ok)
        return -1;
    c->cols = cols;
    c->rows = rows;
    return 0;
}

int
canvas_resize(struct canvas *c, int cols, int rows)
{
    if (cols < 0)
        cols = 0;
    if (rows < 0)
        rows = 0;
    bool ok;
    struct cell *p = cells_alloc(cols, rows, &ok);
    if (!ok)
        return -1;
    free(c->cells);
    c->cells = p;
    c->cols = p ? cols : 0;
    c->rows = p ? rows : 0;
    c->clip_on = false;
    return 0;
}

void
canvas_free(struct canvas *c)
{
    if (c == NULL)
        return;
    free(c->cells);
    c->cells = NULL;
    c->cols = c->rows = 0;
    free(c->shape);
    free(c->xy);
    c->shape = NULL;
    c->xy = NULL;
    c->nshape = c->shape_cap = c->nxy = c->xy_cap = 0;
    c->clip_on = false;
}

void
canvas_clear(struct canvas *c)
{
    if (c->cells != NULL)
        memset(c->cells, 0, (size_t)c->cols * (size_t)c->rows * sizeof *c->cells);
    c->pen_series = c->pen_layer = 0;
    c->nseries = 0;
    c->nshape = c->nxy = 0;
    c->dl_failed = false;
    c->redraw_in = 0;
}

int
canvas_series_add(struct canvas *c, const char *label)
{
    if (c->nseries >= CANVAS_MAX_SERIES || c->nseries >= 255)
        return 0;
    struct canvas_series *sr = &c->series[c->nseries++];
    memset(sr, 0, sizeof *sr);
    snprintf(sr->label, sizeof sr->label, "%s", label ? label : "");
    sr->pane = c->pane;
    return c->nseries;
}

void
canvas_pen(struct canvas *c, int series, int layer)
{
    c->pen_series = series >= 0 && series <= c->nseries ? series : 0;
    c->pen_layer = layer >= 0 && layer < LAYER_COUNT ? layer : 0;
}

size_t
canvas_series_cells(const struct canvas *c, int series)
{
    size_t n = 0;
    if (series <= 0)
        return 0;
    for (size_t i = 0; i < (size_t)c->cols * (size_t)c->rows; i++)
        n += c->cells[i].series == series && (c->cells[i].dots != 0 || c->cells[i].ch != 0);
    return n;
}

/* Grow *p (of *cap elements of size sz) to hold need; false when out of memory. */
static bool
grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need) {
        if (n > SIZE_MAX / 2 / sz)
            return false;
        n *= 2;
    }
    void *q = realloc(*p, n * sz);
    if (q == NULL)
        return false;
    *p = q;
    *cap = n;
    return true;
}

int
canvas_shape_add(struct canvas *c, enum canvas_shape_kind kind, int color, uint32_t pattern,
                 uint32_t glyph, const double *pts, size_t n)
{
    void *sp = c->shape, *xp = c->xy;
    bool ok = grow(&sp, &c->shape_cap, c->nshape + 1, sizeof *c->shape);
    c->shape = sp;
    ok = ok && n <= SIZE_MAX / 4 && grow(&xp, &c->xy_cap, c->nxy + n, 2 * sizeof *c->xy);
    c->xy = xp;
    if (!ok) {
        c->dl_failed = true;
        return -1;
    }
    c->shape[c->nshape++] = (struct canvas_shape){.kind = (uint8_t)kind,
                                                  .layer = (uint8_t)c->pen_layer,
                                                  .series = (uint8_t)c->pen_series,
                                                  .color = (uint8_t)color,
                                                  .pattern = pattern,
                                                  .glyph = glyph,
                                                  .pane = c->pane,
                                                  .first = c->nxy,
                                                  .n = n};
    if (n > 0)
        memcpy(c->xy + 2 * c->nxy, pts, 2 * n * sizeof *pts);
    c->nxy += n;
    return 0;
}

/* Before (col, row) is overwritten: blank the other half of a wide pair it belongs to. */
static void
unpair(struct canvas *c, int col, int row)
{
    struct cell *cl = cell_at(c, col, row);
    if (cl->wide && col > 0) {
        struct cell *lead = cell_at(c, col - 1, row);
        cell_blank(lead);
    }
    if (!cl->wide && cl->ch != 0 && col + 1 < c->cols) {
        struct cell *next = cell_at(c, col + 1, row);
        if (next->wide)
            cell_blank(next);
    }
}

void
canvas_clear_rect(struct canvas *c, int col, int row, int w, int h)
{
    int c0 = col < 0 ? 0 : col, r0 = row < 0 ? 0 : row;
    int c1 = w > c->cols - col ? c->cols : col + w; /* exclusive; avoids col + w overflow */
    int r1 = h > c->rows - row ? c->rows : row + h;
    if (c0 >= c1 || r0 >= r1)
        return;
    for (int r = r0; r < r1; r++) {
        unpair(c, c0, r);
        unpair(c, c1 - 1, r);
        memset(cell_at(c, c0, r), 0, (size_t)(c1 - c0) * sizeof(struct cell));
    }
}

/* Clip bounds in pixels, inclusive; false when nothing can be drawn. */
static bool
clip_bounds(const struct canvas *c, int *x0, int *y0, int *x1, int *y1)
{
    if (c->cols <= 0 || c->rows <= 0)
        return false;
    if (c->clip_on) {
        *x0 = c->clip_x0;
        *y0 = c->clip_y0;
        *x1 = c->clip_x1;
        *y1 = c->clip_y1;
    } else {
        *x0 = 0;
        *y0 = 0;
        *x1 = 2 * c->cols - 1;
        *y1 = 4 * c->rows - 1;
    }
    return *x0 <= *x1 && *y0 <= *y1;
}

/* A dot already known to be inside the canvas. */
static void
dot_in(struct canvas *c, int x, int y, int color)
{
    struct cell *cl = cell_at(c, x >> 1, y >> 2);
    if (cl->ch != 0 || cl->wide)
        return;
    int layer = c->pen_layer;
    /* Density dots give way to anything above them (enum canvas_layer). */
    if (layer == LAYER_DENSITY && cl->layer > LAYER_DENSITY)
        return;
    if (layer > LAYER_DENSITY && cl->layer == LAYER_DENSITY)
        cl->dots = 0;
    cl->dots |= dot_bit[y & 3][x & 1];
    if (layer >= cl->layer) {
        cl->color = (uint8_t)color;
        cl->series = (uint8_t)c->pen_series;
        cl->layer = (uint8_t)layer;
    }
}

void
canvas_dot(struct canvas *c, int x, int y, int color)
{
    int x0, y0, x1, y1;
    if (!clip_bounds(c, &x0, &y0, &x1, &y1))
        return;
    if (x < x0 || x > x1 || y < y0 || y > y1)
        return;
    dot_in(c, x, y, color);
}

void
canvas_clip(struct canvas *c, int col, int row, int w, int h)
{
    if (w < 0 || h < 0) {
        c->clip_on = false;
        return;
    }
    /* Cut to the canvas in cell units first (no overflow for any int input). */
    int c0 = col < 0 ? 0 : col, r0 = row < 0 ? 0 : row;
    int c1 = w > c->cols - col ? c->cols : col + w;
    int r1 = h > c->rows - row ? c->rows : row + h;
    c->clip_on = true;
    c->clip_x0 = 2 * c0;
    c->clip_y0 = 4 * r0;
    c->clip_x1 = 2 * c1 - 1; /* below clip_x0 when empty: nothing is drawn */
    c->clip_y1 = 4 * r1 - 1;
}

/* Liang-Barsky: cut the parameter interval [*t0, *t1] by p * t <= q. */
static bool
clip_edge(double p, double q, double *t0, double *t1)
{
    if (p == 0)
        return q >= 0;
    double t = q / p;
    if (p < 0) {
        if (t > *t1)
            return false;
        if (t > *t0)
            *t0 = t;
    } else {
        if (t < *t0)
            return false;
        if (t < *t1)
            *t1 = t;
    }
    return true;
}

void
canvas_line_phased(struct canvas *c, double x0, double y0, double x1, double y1, int color,
                   uint32_t pattern, double *phase)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    double dx = x1 - x0, dy = y1 - y0;
    if (!isfinite(dx) || !isfinite(dy))
        return;
    double len = fmax(fabs(dx), fabs(dy));
    double s0 = phase ? *phase : 0;
    if (phase)
        *phase = fmod(s0 + len, 32.0);
    int bx0, by0, bx1, by1;
    if (!clip_bounds(c, &bx0, &by0, &bx1, &by1))
        return;
    /* Pixels are centred on integers; the half-open box [b0 - 0.5, b1 + 0.5)
     * holds exactly the points that round into the clip. */
    const double lo_edge = -0.5, hi_edge = 0.499999;
    double t0 = 0, t1 = 1;
    if (!clip_edge(-dx, x0 - (bx0 + lo_edge), &t0, &t1) ||
        !clip_edge(dx, (bx1 + hi_edge) - x0, &t0, &t1) ||
        !clip_edge(-dy, y0 - (by0 + lo_edge), &t0, &t1) ||
        !clip_edge(dy, (by1 + hi_edge) - y0, &t0, &t1) || t0 > t1)
        return;
    double cx = x0 + t0 * dx, cy = y0 + t0 * dy;
    double cdx = (t1 - t0) * dx, cdy = (t1 - t0) * dy;
    double clen = (t1 - t0) * len, s = s0 + t0 * len;
    int n = (int)ceil(clen);
    for (int i = 0; i <= n; i++) {
        double t = n ? (double)i / n : 0;
        int px = (int)floor(cx + t * cdx + 0.5), py = (int)floor(cy + t * cdy + 0.5);
        /* Rounding can still land a hair outside after the clip; keep it in. */
        if (px < bx0 || px > bx1 || py < by0 || py > by1)
            continue;
        unsigned bit = (unsigned)fmod(floor(s + t * clen), 32.0);
        if ((pattern >> bit) & 1u)
            dot_in(c, px, py, color);
    }
}

void
canvas_line(struct canvas *c, double x0, double y0, double x1, double y1, int color,
            uint32_t pattern)
{
    canvas_line_phased(c, x0, y0, x1, y1, color, pattern, NULL);
}

void
canvas_put(struct canvas *c, int col, int row, uint32_t ch, int color, int attr)
{
    if (col < 0 || row < 0 || col >= c->cols || row >= c->rows)
        return;
    if (ch > 0x10FFFF || (ch >= 0xD800 && ch <= 0xDFFF))
        ch = CP_REPLACEMENT;
    int w = canvas_cp_width(ch);
    if (w == 0)
        return; /* a cell cannot hold a combining mark or a control on its own */
    if (w == 2 && col + 1 >= c->cols)
        return;
    unpair(c, col, row);
    if (w == 2)
        unpair(c, col + 1, row);
    struct cell *cl = cell_at(c, col, row);
    cl->ch = ch;
    cl->dots = 0;
    cl->color = (uint8_t)color;
    cl->series = (uint8_t)c->pen_series;
    cl->layer = (uint8_t)c->pen_layer;
    cl->attr = (uint8_t)attr;
    cl->wide = 0;
    if (w == 2) {
        cl[1] = *cl;
        cl[1].ch = 0;
        cl[1].wide = 1;
    }
}

/* canvas_text; mark: end cut text with an ellipsis (canvas_box marks its own). */
static int
text_run(struct canvas *c, int col, int row, const char *utf8, int color, int attr, int max_cols,
         bool mark)
{
    if (utf8 == NULL || row < 0 || row >= c->rows || col >= c->cols)
        return 0;
    int end = (max_cols < 0 || max_cols > c->cols - col) ? c->cols : col + max_cols;
    const unsigned char *s = (const unsigned char *)utf8;
    int x = col;
    while (*s) {
        uint32_t cp = canvas_utf8_next(&s);
        int w = canvas_cp_width(cp);
        if (w == 0)
            continue;
        if (x + w > end) {
            /* Cut: the last column says so. */
            int at = end - 1;
            if (mark && at >= col && at >= 0) {
                if (at > 0 && cell_at(c, at, row)->wide)
                    canvas_put(c, at - 1, row, ' ', color, attr);
                canvas_put(c, at, row, CP_ELLIPSIS, color, attr);
                x = end;
            }
            break;
        }
        if (x >= 0)
            canvas_put(c, x, row, cp, color, attr);
        else if (x + w > 0)
            canvas_put(c, 0, row, ' ', color, attr); /* right half of a clipped wide glyph */
        x += w;
    }
    return x - col;
}

int
canvas_text(struct canvas *c, int col, int row, const char *utf8, int color, int attr, int max_cols)
{
    return text_run(c, col, row, utf8, color, attr, max_cols, true);
}

int
canvas_text_width(const char *utf8)
{
    if (utf8 == NULL)
        return 0;
    const unsigned char *s = (const unsigned char *)utf8;
    int w = 0;
    while (*s)
        w += canvas_cp_width(canvas_utf8_next(&s));
    return w;
}

void
canvas_box(struct canvas *c, int col, int row, int w, int h, const char *title, int color,
           int title_color)
{
    if (w < 2 || h < 2)
        return;
    int right = col + w - 1, bottom = row + h - 1;
    for (int x = col + 1; x < right; x++) {
        canvas_put(c, x, row, 0x2500, color, ATTR_NONE);
        canvas_put(c, x, bottom, 0x2500, color, ATTR_NONE);
    }
    for (int y = row + 1; y < bottom; y++) {
        canvas_put(c, col, y, 0x2502, color, ATTR_NONE);
        canvas_put(c, right, y, 0x2502, color, ATTR_NONE);
    }
    canvas_put(c, col, row, 0x250C, color, ATTR_NONE);
    canvas_put(c, right, row, 0x2510, color, ATTR_NONE);
    canvas_put(c, col, bottom, 0x2514, color, ATTR_NONE);
    canvas_put(c, right, bottom, 0x2518, color, ATTR_NONE);

    /* "┌─ title ─┐": the title needs the "─ " before and " ─" after it. */
    int avail = w - 6;
    if (title == NULL || *title == '\0' || avail < 1)
        return;
    int tw = canvas_text_width(title), x = col + 3;
    canvas_put(c, col + 2, row, ' ', color, ATTR_NONE);
    if (tw <= avail) {
        x += canvas_text(c, x, row, title, title_color, ATTR_BOLD, avail);
    } else {
        /* A number is not split ("n=1…" would read as another number): a
         * cut inside a word with a digit backs up to the blank before it. */
        int room = c->ascii ? (avail >= 4 ? avail - 3 : 0) : avail - 1;
        char head[256];
        size_t hb = 0, last_blank = 0;
        int cols = 0;
        bool digit = false; /* the word being cut has a digit */
        const unsigned char *t = (const unsigned char *)title;
        while (*t && hb + 4 < sizeof head) {
            const unsigned char *from = t;
            uint32_t cp = canvas_utf8_next(&t);
            int cw = canvas_cp_width(cp);
            if (cols + cw > room) {
                digit |= cp >= '0' && cp <= '9';
                if (cp == ' ')
                    digit = false;
                break;
            }
            if (cp == ' ') {
                last_blank = hb;
                digit = false;
            }
            digit |= cp >= '0' && cp <= '9';
            memcpy(head + hb, from, (size_t)(t - from));
            hb += (size_t)(t - from);
            cols += cw;
        }
        if (digit && last_blank > 0)
            hb = last_blank;
        head[hb] = '\0';
        if (room > 0)
            x += text_run(c, x, row, head, title_color, ATTR_BOLD, room, false);
        if (c->ascii)
            x += canvas_text(c, x, row, avail >= 3 ? "..." : "..", title_color, ATTR_BOLD, avail);
        else
            canvas_put(c, x++, row, CP_ELLIPSIS, title_color, ATTR_BOLD);
    }
    canvas_put(c, x, row, ' ', color, ATTR_NONE);
}

/* The character an ASCII cell of dots shows for the series owning it: the
 * line characters of its legend sample (blanks and marker glyphs such as
 * 'O', '@', '+' dropped), one per column in turn ("-." alternates), so that
 * without colour the plot draws each series as its legend does. 0 when the
 * owner has no such sample (unnamed, or a density: its own ramp). */
static char
ascii_series_glyph(const struct canvas *c, const struct cell *cl, int col)
{
    if (cl->series == 0 || cl->series > c->nseries || cl->layer == LAYER_DENSITY ||
        cl->layer == LAYER_NONE)
        return 0;
    const struct canvas_series *sr = &c->series[cl->series - 1];
    if (!sr->legend)
        return 0;
    char line[sizeof sr->sample];
    size_t n = 0;
    for (const char *q = sr->sample; *q; q++) {
        unsigned char u = (unsigned char)*q;
        if (u > ' ' && u < 0x7F && !isalnum(u) && strchr("@+*#%&$", u) == NULL)
            line[n++] = (char)u;
    }
    return n > 0 ? line[(size_t)col % n] : 0;
}

uint32_t
canvas_glyph(const struct canvas *c, int col, int row)
{
    if (col < 0 || row < 0 || col >= c->cols || row >= c->rows)
        return ' ';
    const struct cell *cl = cell_at(c, col, row);
    if (cl->wide)
        return 0;
    if (cl->ch != 0) {
        if (!c->ascii)
            return cl->ch;
        /* A wide glyph keeps its two columns in ASCII: '?' here, '?' for its tail. */
        return canvas_cp_width(cl->ch) == 2 ? '?' : (uint32_t)ascii_fold(cl->ch);
    }
    if (cl->dots == 0)
        return ' ';
    if (!c->ascii)
        return 0x2800u + cl->dots;
    char g = ascii_series_glyph(c, cl, col);
    return (uint32_t)(g != 0 ? g : ascii_dots(cl->dots));
}

/* Encode a row, trailing blanks trimmed, into out (room for 4 bytes per
 * column); returns the length. */
static size_t
encode_row(const struct canvas *c, int row, char *out)
{
    size_t n = 0, keep = 0;
    for (int col = 0; col < c->cols; col++) {
        uint32_t g = canvas_glyph(c, col, row);
        if (g == 0) {
            if (!c->ascii)
                continue;
            g = '?';
        }
        n += utf8_put(g, out + n);
        if (g != ' ')
            keep = n;
    }
    return keep;
}

int
canvas_write_text(const struct canvas *c, FILE *f)
{
    if (c->rows <= 0)
        return 0;
    char *buf = malloc((size_t)c->cols * 4 + 1);
    if (buf == NULL)
        return -1;
    int rc = 0;
    for (int r = 0; r < c->rows && rc == 0; r++) {
        size_t n = encode_row(c, r, buf);
        buf[n++] = '\n';
        if (fwrite(buf, 1, n, f) != n)
            rc = -1;
    }
    free(buf);
    return rc;
}

size_t
canvas_row_utf8(const struct canvas *c, int row, char *buf, size_t size)
{
    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (row < 0 || row >= c->rows)
        return 0;
    size_t n = 0, keep = 0;
    char tmp[4];
    for (int col = 0; col < c->cols; col++) {
        uint32_t g = canvas_glyph(c, col, row);
        if (g == 0) {
            if (!c->ascii)
                continue;
            g = '?';
        }
        size_t k = utf8_put(g, tmp);
        if (n + k >= size)
            break;
        memcpy(buf + n, tmp, k);
        n += k;
        if (g != ' ')
            keep = n;
    }
    buf[keep] = '\0';
    return keep;
}
