/* ui/plot.c - plots on a canvas region: layout of axes and tick labels,
 * auto-ranging with hysteresis, and the series drawers. Ticks and labels
 * are in ui/axis.c; contracts in plot.h.
 *
 * Layout of a region (top to bottom): the ylabel row (only when there is a
 * ylabel), the data rows, the x axis row (└───┬───), the x tick label row,
 * and, when there is an xlabel and the region has 10 rows or more, a row for
 * the xlabel (else it shares the tick label row when it fits). Left to
 * right: y tick labels right-aligned in a margin as wide as the widest label,
 * a blank column, the y axis (│ with ┤ at ticks), then the data area.
 *
 * Coordinates: pixel centres are integers; the low end of a range maps to
 * the centre of the first pixel of the data area and the high end to the
 * centre of the last, so both extremes are drawn and nothing spills over.
 * Every drawer clips to the data area (canvas_clip, restored afterwards).
 *
 * Hysteresis (plot_range_update): a range grows at once when data leave it,
 * to nice bounds of the union of old range and data plus GROW_PAD of the span
 * on the side that overflowed (so a steadily growing series resets the axis
 * every ~40% of growth, not every frame), or to the data's fit (nice bounds
 * with an eighth of the span at each end) when they use less than half of
 * the grown range; it shrinks to the data's fit only when the data span
 * falls below half of the range and the fit is at most 3/4 of it. So the
 * same data never move a range twice (a shrink or a growth leaves it at
 * their fit or fuller), and data inside the range never move it (no
 * jitter). */
#include "ui/plot.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROW_PAD  0.25 /* fraction of the span added when growing */
#define MAX_TICKS 32
#define TWO_PI    6.283185307179586

const struct plot_style plot_styles[PLOT_STYLES] = {
    {PAT_SOLID, "──", "__"},    {PAT_DASHED, "╌╌", "--"},    {PAT_DOTTED, "··", ".."},
    {PAT_DASH_DOT, "─·", "-."}, {PAT_DASH_DOTS, "─:", "-:"},
};

/* Smallest {1,2,5} x 10^k >= raw. */
static double
nice_ceil(double raw)
{
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double e = floor(log10(raw));
    double p = pow(10, e);
    double m = raw / p;
    return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * p;
}

/* Nice bounds of [a, b] (log10 values on log axes) into *lo, *hi (data units). */
static void
nice_bounds(double a, double b, bool log, double *lo, double *hi)
{
    if (log) {
        if (b - a < 1e-9) {
            a -= 0.5;
            b += 0.5;
        }
        /* Bounds on the 1-2-5 ladder (1, 2, 5, 10, ...): a decade is too
         * coarse for data spanning only one or two. */
        static const double mant[] = {1, 2, 5, 10};
        a = fmax(a, DBL_MIN_10_EXP);
        b = fmin(b, DBL_MAX_10_EXP - 1);
        double ea = floor(a + 1e-9), eb = floor(b - 1e-9);
        double l = pow(10, ea), h = pow(10, eb + 1);
        for (int i = 2; i >= 0; i--)
            if (log10(mant[i]) + ea <= a + 1e-9) {
                l = mant[i] * pow(10, ea);
                break;
            }
        for (int i = 0; i < 4; i++)
            if (log10(mant[i]) + eb >= b - 1e-9) {
                h = mant[i] * pow(10, eb);
                break;
            }
        if (!(h > l))
            h = l * 10;
        *lo = l;
        *hi = h;
        return;
    }
    double mag = fmax(fabs(a), fabs(b));
    if (b - a <= mag * 1e-9) {
        double half = fmax(0.5, mag * 1e-9);
        a -= half;
        b += half;
    }
    double s = nice_ceil(b / 6 - a / 6);
    double l = floor(a / s + 1e-9) * s, h = ceil(b / s - 1e-9) * s;
    if (!isfinite(l) || !isfinite(h) || !(l < h)) {
        l = a;
        h = b;
    }
    *lo = l;
    *hi = h;
}

/* The range a shrink fits to data [a, b]: nice bounds with an eighth of the
 * span of room at each end (not across zero from the data's side), so data
 * drifting a little after a shrink do not grow it again at once. */
static void
fit_bounds(double a, double b, bool log, double *lo, double *hi)
{
    double pad = (b / 2 - a / 2) / 4, na = a - pad, nb = b + pad;
    if (!log && a >= 0 && na < 0)
        na = 0;
    if (!log && b <= 0 && nb > 0)
        nb = 0;
    nice_bounds(na, nb, log, lo, hi);
}

void
plot_range_update(struct plot_range *r, double dmin, double dmax)
{
    if (r->fixed)
        return;
    bool none = !isfinite(dmin) || !isfinite(dmax);
    if (!none && r->log && (dmin <= 0 || dmax <= 0))
        none = true;
    if (none) {
        if (!r->valid) {
            r->lo = r->log ? 1 : 0;
            r->hi = r->log ? 10 : 1;
            r->valid = true;
        }
        return;
    }
    if (dmin > dmax) {
        double t = dmin;
        dmin = dmax;
        dmax = t;
    }
    double a = r->log ? log10(dmin) : dmin, b = r->log ? log10(dmax) : dmax;
    bool cur =
        r->valid && isfinite(r->lo) && isfinite(r->hi) && r->lo < r->hi && (!r->log || r->lo > 0);
    if (!cur) {
        nice_bounds(a, b, r->log, &r->lo, &r->hi);
        r->valid = true;
        return;
    }
    double clo = r->log ? log10(r->lo) : r->lo, chi = r->log ? log10(r->hi) : r->hi;
    if (a < clo || b > chi) {
        double na = fmin(a, clo), nb = fmax(b, chi);
        if (!r->log) {
            double span = nb / 2 - na / 2; /* half the span, without overflow */
            if (b > chi)
                nb += 2 * GROW_PAD * span;
            if (a < clo)
                na -= 2 * GROW_PAD * span;
            /* The room to grow never crosses zero from the data's side: a
             * density, a count or a variance gets no negative axis. */
            if (a >= 0 && na < 0)
                na = 0;
            if (b <= 0 && nb > 0)
                nb = 0;
        }
        nice_bounds(na, nb, r->log, &r->lo, &r->hi);
        /* Grown around data that use less than half of it (they jumped, or
         * grew at both ends): fit the data now, or the next frame would. */
        clo = r->log ? log10(r->lo) : r->lo, chi = r->log ? log10(r->hi) : r->hi;
        if (b / 2 - a / 2 < chi / 4 - clo / 4)
            fit_bounds(a, b, r->log, &r->lo, &r->hi);
    } else if (b / 2 - a / 2 < chi / 4 - clo / 4) {
        /* The data use less than half of the range: fit them, when that is
         * a real shrink (to at most 3/4: the same data then never move the
         * range again, as their fit is the range). */
        double lo, hi;
        fit_bounds(a, b, r->log, &lo, &hi);
        double nlo = r->log ? log10(lo) : lo, nhi = r->log ? log10(hi) : hi;
        if (nhi / 4 - nlo / 4 < 0.75 * (chi / 4 - clo / 4))
            r->lo = lo, r->hi = hi;
    }
}

void
plot_extent(const double *v, size_t n, bool pos, double *mn, double *mx)
{
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x) || (pos && x <= 0))
            continue;
        if (!(x >= *mn))
            *mn = x; /* also replaces a NaN start value */
        if (!(x <= *mx))
            *mx = x;
    }
}

/* A usable copy of a range: invalid ones become [0, 1] ([1, 10] on log). */
static struct plot_range
sane_range(const struct plot_range *in)
{
    struct plot_range r = *in;
    bool ok = r.valid && isfinite(r.lo) && isfinite(r.hi) && (!r.log || r.lo > 0);
    if (ok && r.lo > r.hi) {
        double t = r.lo;
        r.lo = r.hi;
        r.hi = t;
    }
    if (ok && r.lo == r.hi) {
        if (r.log) {
            r.lo /= 10;
            r.hi *= 10;
        } else {
            double half = fmax(0.5, fabs(r.lo) * 1e-9);
            r.lo -= half;
            r.hi += half;
        }
        ok = r.lo < r.hi;
    }
    if (!ok) {
        r.lo = r.log ? 1 : 0;
        r.hi = r.log ? 10 : 1;
    }
    r.valid = true;
    return r;
}

/* Fraction of the way from lo to hi (log10 on log axes); NaN when out of the domain. */
static double
frac(const struct plot_range *r, double v)
{
    if (r->log) {
        if (!(v > 0))
            return NAN;
        return (log10(v) - log10(r->lo)) / (log10(r->hi) - log10(r->lo));
    }
    /* Halves: hi - lo overflows for [-1e308, 1e308]. */
    return (v / 2 - r->lo / 2) / (r->hi / 2 - r->lo / 2);
}

double
plot_px(const struct plot *p, double x)
{
    return 2.0 * p->pcol + frac(&p->x, x) * (2.0 * p->pw - 1);
}

double
plot_py(const struct plot *p, double y)
{
    return 4.0 * p->prow + (1 - frac(&p->y, y)) * (4.0 * p->ph - 1);
}

/* Pixel coordinates far outside any canvas (a range of 1e-9 with data
 * near 1 puts points 1e10 pixels away) are clamped before the conversion to
 * int, which is undefined beyond INT_MAX and made loops over them endless. */
#define PIXEL_FAR 1e6

static int
pixel(double v)
{
    if (!(v > -PIXEL_FAR))
        return (int)-PIXEL_FAR;
    if (v > PIXEL_FAR)
        return (int)PIXEL_FAR;
    return (int)floor(v + 0.5);
}

/* Choose y ticks for the data rows: at most about one per 2.5 rows, and
 * no two labels on adjacent rows. Returns the count; rows[i] the cell row. */
static size_t
y_ticks(const struct plot *p, double *ticks, double *step, int *rows)
{
    size_t max = (size_t)(p->ph * 2 / 5 + 1);
    if (max > MAX_TICKS)
        max = MAX_TICKS;
    for (; max >= 1; max--) {
        size_t n = (p->y.integer ? axis_ticks_int : axis_ticks)(p->y.lo, p->y.hi, p->y.log, max,
                                                                ticks, step);
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            rows[i] = pixel(plot_py(p, ticks[i])) >> 2;
            if (i > 0 && rows[i - 1] - rows[i] < 2)
                ok = false;
        }
        if (ok || max == 1)
            return n;
    }
    return 0;
}

/* Choose x ticks: labels centred on their tick column, clamped to
 * [lo_col, hi_col), at least two columns apart. starts[i] is the label column. */
static size_t
x_ticks(const struct plot *p, double *ticks, char (*labels)[AXIS_LABEL_SIZE], int *cols,
        int *starts, int lo_col, int hi_col)
{
    size_t max = (size_t)(p->pw / 8 + 2);
    if (max > MAX_TICKS)
        max = MAX_TICKS;
    /* Other units: ticks chosen and labelled in them, placed back in the data's. */
    double us = p->x.unit_scale, u0 = p->x.unit_shift;
    bool units = !p->x.log && us > 0 && isfinite(us) && isfinite(u0);
    double lo = units ? u0 + us * p->x.lo : p->x.lo, hi = units ? u0 + us * p->x.hi : p->x.hi;
    for (; max >= 1; max--) {
        double step;
        size_t n =
            (p->x.integer ? axis_ticks_int : axis_ticks)(lo, hi, p->x.log, max, ticks, &step);
        axis_format_ticks(ticks, n, step, p->x.log, labels);
        for (size_t i = 0; units && i < n; i++)
            ticks[i] = (ticks[i] - u0) / us;
        bool ok = true;
        int prev_end = INT_MIN / 2;
        for (size_t i = 0; i < n && ok; i++) {
            int len = canvas_text_width(labels[i]);
            cols[i] = pixel(plot_px(p, ticks[i])) >> 1;
            int s = cols[i] - (len - 1) / 2;
            if (s + len > hi_col)
                s = hi_col - len;
            if (s < lo_col)
                s = lo_col;
            starts[i] = s;
            if (s < prev_end + 2)
                ok = false;
            prev_end = s + len;
        }
        if (ok || max == 1)
            return n;
    }
    return 0;
}

void
plot_begin(struct plot *p, struct canvas *c, int col, int row, int w, int h,
           const struct plot_range *x, const struct plot_range *y, const char *xlabel,
           const char *ylabel)
{
    memset(p, 0, sizeof *p);
    p->c = c;
    p->layer = -1;
    p->first_series = c->nseries + 1;
    p->col = col;
    p->row = row;
    p->w = w < 0 ? 0 : w;
    p->h = h < 0 ? 0 : h;
    p->x = sane_range(x);
    p->y = sane_range(y);
    if (p->w == 0 || p->h == 0)
        return;
    bool has_xl = xlabel != NULL && *xlabel != '\0';
    bool has_yl = ylabel != NULL && *ylabel != '\0';
    int xl_row = has_xl && h >= 10; /* the xlabel gets its own row */
    int top = row + has_yl;
    int axis_row = row + h - 2 - xl_row;

    /* y ticks first: they fix the margin width. */
    p->prow = top;
    p->ph = axis_row - top;
    double yt[MAX_TICKS], xt[MAX_TICKS], ystep = 0;
    char yl[MAX_TICKS][AXIS_LABEL_SIZE], xl[MAX_TICKS][AXIS_LABEL_SIZE];
    int yrows[MAX_TICKS], xcols[MAX_TICKS], xstarts[MAX_TICKS];
    size_t ny = p->ph >= 1 ? y_ticks(p, yt, &ystep, yrows) : 0;
    axis_format_ticks(yt, ny, ystep, p->y.log, yl);
    int lw = 0;
    for (size_t i = 0; i < ny; i++) {
        int lwi = canvas_text_width(yl[i]);
        lw = lwi > lw ? lwi : lw;
    }
    int ax = col + lw + 1;
    p->pcol = ax + 1;
    p->pw = col + w - p->pcol;
    if (p->ph < 2 || p->pw < 4) {
        /* Too small for axes: the whole region is data. */
        p->pcol = col;
        p->prow = row;
        p->pw = p->w;
        p->ph = p->h;
        return;
    }

    for (int r = p->prow; r < axis_row; r++)
        canvas_put(c, ax, r, 0x2502, COL_DIM, ATTR_NONE);    /* │ */
    canvas_put(c, ax, axis_row, 0x2514, COL_DIM, ATTR_NONE); /* └ */
    for (int cc = p->pcol; cc < col + w; cc++)
        canvas_put(c, cc, axis_row, 0x2500, COL_DIM, ATTR_NONE); /* ─ */
    for (size_t i = 0; i < ny; i++) {
        canvas_put(c, ax, yrows[i], 0x2524, COL_DIM, ATTR_NONE); /* ┤ */
        int lwi = canvas_text_width(yl[i]);
        canvas_text(c, col + lw - lwi, yrows[i], yl[i], COL_DEFAULT, ATTR_NONE, lwi);
    }

    size_t nx = x_ticks(p, xt, xl, xcols, xstarts, col, col + w);
    int last_end = col;
    for (size_t i = 0; i < nx; i++) {
        canvas_put(c, xcols[i], axis_row, 0x252C, COL_DIM, ATTR_NONE); /* ┬ */
        last_end = xstarts[i] + canvas_text(c, xstarts[i], axis_row + 1, xl[i], COL_DEFAULT,
                                            ATTR_NONE, col + w - xstarts[i]);
    }
    if (has_xl) {
        int xw = canvas_text_width(xlabel);
        int xr = xl_row ? axis_row + 2 : axis_row + 1;
        int xs = col + w - xw;
        if (xs < col)
            xs = col;
        if (xl_row || xs >= last_end + 2)
            canvas_text(c, xs, xr, xlabel, COL_DEFAULT, ATTR_NONE, col + w - xs);
    }
    if (has_yl)
        canvas_text(c, col, row, ylabel, COL_DEFAULT, ATTR_NONE, w);
}

/* The widest legend entry as plot_legend will write it (without a hidden
 * series' reason, which plot_legend cuts with an ellipsis if it must). */
static int
legend_block_width(const struct canvas *c, const struct legend_entry *e, size_t n)
{
    int bw = 0;
    for (size_t i = 0; i < n; i++) {
        const char *smp = c->ascii && e[i].ascii_sample ? e[i].ascii_sample : e[i].sample;
        int ew =
            canvas_text_width(smp ? smp : "") + 1 + canvas_text_width(e[i].name ? e[i].name : "");
        bw = ew > bw ? ew : bw;
    }
    return bw;
}

/* Whether a legend block bw wide goes outside a region w wide: the data
 * area keeps PLOT_LEGEND_OUT_W columns after the room (the block and two
 * blank columns) and the y axis margin (about 8 columns), and two thirds of
 * the region. */
static bool
legend_out(int bw, int w)
{
    int room = bw > 0 ? bw + 2 : 0;
    return room > 0 && w - room - 8 >= PLOT_LEGEND_OUT_W && 3 * (w - room) >= 2 * w;
}

void
plot_begin_legend(struct plot *p, struct canvas *c, int col, int row, int w, int h,
                  const struct plot_range *x, const struct plot_range *y, const char *xlabel,
                  const char *ylabel, const struct legend_entry *e, size_t n)
{
    int bw = legend_block_width(c, e, n);
    /* Room for a hidden entry's reason on the row under its name, so that
     * no entry takes more than two rows ("(hidden: in 1 cell)" wrapped
     * over three under "tr cov"): PLOT_LEGEND_REASON_W columns, or as many
     * as the data area's share leaves. */
    for (int r = PLOT_LEGEND_REASON_W; bw > 0 && r > bw; r--)
        if (legend_out(r, w)) {
            bw = r;
            break;
        }
    int room = bw > 0 ? bw + 2 : 0;
    bool out = legend_out(bw, w);
    plot_begin(p, c, col, row, out ? w - room : w, h, x, y, xlabel, ylabel);
    if (out && p->pw > 0 && p->ph > 0) {
        p->leg_col = col + w - bw;
        p->leg_w = bw;
    }
}

void
plot_beside(int col, int w, int *w1, int *col2, int *w2)
{
    *w2 = w - w / 2;
    *w1 = w - *w2 - 1;
    *col2 = col + *w1 + 1;
}

/* Clip to the data area for the duration of one drawer. */
struct clip_save {
    bool on;
    int x0, y0, x1, y1;
};

/* The pen of one drawer: the plot's series, at the layer plot_layer set or
 * else the drawer's own (enum canvas_layer); lifted by clip_restore. */
static void
pen_on(struct plot *p, int layer)
{
    canvas_pen(p->c, p->series, p->layer >= 0 ? p->layer : layer);
}

static struct clip_save
clip_area(struct plot *p, int layer)
{
    struct canvas *c = p->c;
    struct clip_save s = {c->clip_on, c->clip_x0, c->clip_y0, c->clip_x1, c->clip_y1};
    canvas_clip(c, p->pcol, p->prow, p->pw, p->ph);
    pen_on(p, layer);
    return s;
}

/* Append a shape to the display list: n data points (x[i], y[i]) in pixels,
 * then, for a band, the n points (x[i], y2[i]) backwards. */
static void
record(struct plot *p, enum canvas_shape_kind kind, int color, uint32_t pattern, uint32_t glyph,
       const double *x, const double *y, const double *y2, size_t n)
{
    size_t m = y2 != NULL ? 2 * n : n;
    if (n > SIZE_MAX / 4 / sizeof(double)) {
        p->c->dl_failed = true;
        return;
    }
    double *xy = malloc(2 * (m ? m : 1) * sizeof *xy);
    if (xy == NULL) {
        p->c->dl_failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = plot_px(p, x[i]);
        xy[2 * i + 1] = plot_py(p, y[i]);
        if (y2 != NULL) {
            xy[2 * (m - 1 - i)] = xy[2 * i];
            xy[2 * (m - 1 - i) + 1] = plot_py(p, y2[i]);
        }
    }
    canvas_shape_add(p->c, kind, color, pattern, glyph, xy, m);
    free(xy);
}

static void
clip_restore(struct plot *p, struct clip_save s)
{
    struct canvas *c = p->c;
    canvas_pen(c, 0, LAYER_NONE);
    c->clip_on = s.on;
    c->clip_x0 = s.x0;
    c->clip_y0 = s.y0;
    c->clip_x1 = s.x1;
    c->clip_y1 = s.y1;
}

static bool
empty(const struct plot *p)
{
    return p->c == NULL || p->pw <= 0 || p->ph <= 0;
}

/* A pen for polylines: joins successive points, carries the dash phase,
 * and draws a lone point (a run of one) as a dot. */
struct pen {
    struct plot *p;
    int color;
    uint32_t pattern;
    size_t run; /* points in the current run */
    double x, y, phase;
};

static void
pen_end(struct pen *pn)
{
    if (pn->run == 1)
        canvas_dot(pn->p->c, pixel(pn->x), pixel(pn->y), pn->color);
    pn->run = 0;
}

static void
pen_to(struct pen *pn, double X, double Y)
{
    if (!isfinite(X) || !isfinite(Y)) {
        pen_end(pn);
        return;
    }
    if (pn->run == 0)
        pn->phase = 0;
    else
        canvas_line_phased(pn->p->c, pn->x, pn->y, X, Y, pn->color, pn->pattern, &pn->phase);
    pn->x = X;
    pn->y = Y;
    pn->run++;
}

void
plot_line(struct plot *p, const double *x, const double *y, size_t n, int color, uint32_t pattern)
{
    if (empty(p))
        return;
    struct clip_save s = clip_area(p, LAYER_LINE);
    record(p, SHAPE_POLYLINE, color, pattern, 0, x, y, NULL, n);
    struct pen pn = {.p = p, .color = color, .pattern = pattern};
    for (size_t i = 0; i < n; i++)
        pen_to(&pn, plot_px(p, x[i]), plot_py(p, y[i]));
    pen_end(&pn);
    clip_restore(p, s);
}

void
plot_points(struct plot *p, const double *x, const double *y, size_t n, int color)
{
    if (empty(p))
        return;
    struct clip_save s = clip_area(p, LAYER_MARKER);
    record(p, SHAPE_DOTS, color, 0, 0, x, y, NULL, n);
    for (size_t i = 0; i < n; i++) {
        double X = plot_px(p, x[i]), Y = plot_py(p, y[i]);
        /* The range test also keeps huge values away from the int conversion. */
        if (X > -1 && Y > -1 && X < 2.0 * (p->pcol + p->pw) && Y < 4.0 * (p->prow + p->ph))
            canvas_dot(p->c, pixel(X), pixel(Y), color);
    }
    clip_restore(p, s);
}

void
plot_marker(struct plot *p, double x, double y, uint32_t glyph, int color, int attr)
{
    if (empty(p))
        return;
    double X = plot_px(p, x), Y = plot_py(p, y);
    if (!(X > -1 && Y > -1 && X < 2.0 * (p->pcol + p->pw) && Y < 4.0 * (p->prow + p->ph)))
        return;
    int cc = pixel(X) >> 1, rr = pixel(Y) >> 2;
    int gw = canvas_cp_width(glyph);
    if (cc < p->pcol || rr < p->prow || rr >= p->prow + p->ph || gw == 0)
        return;
    if (cc + gw > p->pcol + p->pw)
        cc = p->pcol + p->pw - gw;
    if (cc < p->pcol)
        return;
    pen_on(p, LAYER_MARKER);
    record(p, SHAPE_GLYPH, color, 0, glyph, &x, &y, NULL, 1);
    canvas_put(p->c, cc, rr, glyph, color, attr);
    canvas_pen(p->c, 0, LAYER_NONE);
}

int
plot_offscale(struct plot *p, double x, double y, int color)
{
    if (empty(p) || isnan(y) || !(x >= fmin(p->x.lo, p->x.hi) && x <= fmax(p->x.lo, p->x.hi)))
        return 0;
    bool above = p->y.log ? y > 0 && y > p->y.hi : y > p->y.hi;
    bool below = p->y.log ? y <= 0 || y < p->y.lo : y < p->y.lo;
    if (!above && !below)
        return 0;
    bool a = p->c->ascii;
    plot_marker(p, x, above ? p->y.hi : p->y.lo, above ? (a ? '^' : 0x25B2) : (a ? 'v' : 0x25BC),
                color, ATTR_BOLD);
    return above ? PLOT_ABOVE : PLOT_BELOW;
}

struct legend_entry
plot_offscale_entry(int sides, const char *name, int color)
{
    bool up = (sides & PLOT_ABOVE) != 0, down = (sides & PLOT_BELOW) != 0;
    return (struct legend_entry){up && down ? "\u25B2\u25BC" : up ? "\u25B2 " : "\u25BC ",
                                 up && down ? "^v" : up ? "^ " : "v ", name, color};
}

void
plot_band(struct plot *p, const double *x, const double *lo, const double *hi, size_t n, int color)
{
    if (empty(p) || n == 0)
        return;
    struct clip_save s = clip_area(p, LAYER_BAND);
    record(p, SHAPE_BAND, color, 0, 0, x, hi, lo, n);
    int bx0 = 2 * p->pcol, bx1 = 2 * (p->pcol + p->pw) - 1;
    int by0 = 4 * p->prow, by1 = 4 * (p->prow + p->ph) - 1;
    bool ascii = p->c->ascii;
    for (size_t i = 0; i + 1 < n || (n == 1 && i == 0); i++) {
        size_t j = n == 1 ? i : i + 1;
        double a = plot_px(p, x[i]), b = plot_px(p, x[j]);
        double la = plot_py(p, lo[i]), ha = plot_py(p, hi[i]);
        double lb = plot_py(p, lo[j]), hb = plot_py(p, hi[j]);
        if (!isfinite(a) || !isfinite(b) || !isfinite(la) || !isfinite(ha) || !isfinite(lb) ||
            !isfinite(hb) || b < a)
            continue;
        /* Pixel columns whose centres lie in [a, b], cut to the area. */
        double k0 = fmax(ceil(a - 0.5), bx0), k1 = fmin(floor(b + 0.5 - 1e-9), bx1);
        if (b == a)
            k1 = k0 = floor(a + 0.5);
        if (k0 < bx0 || k1 > bx1 || k0 > k1)
            continue; /* also keeps (int)k defined */
        for (double k = k0; k <= k1; k++) {
            double t = b > a ? (k - a) / (b - a) : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double y0 = la + t * (lb - la), y1 = ha + t * (hb - ha);
            if (y0 > y1) {
                double tmp = y0;
                y0 = y1;
                y1 = tmp;
            }
            double ylo = fmax(ceil(y0 - 0.5), by0), yhi = fmin(floor(y1 + 0.5), by1);
            if (!(ylo <= yhi))
                continue; /* off the area: both ends are then inside it */
            int kx = (int)k;
            /* A sparse checkerboard, a quarter of the dots: even columns
             * take rows 0 mod 4, odd columns rows 2 mod 4 (braille ⠡ in
             * every cell), light enough for lines to read over it. ASCII
             * shows a whole cell as one character, so there the texture is
             * a checkerboard of cells, each ':' (dots 0 and 2 of the left
             * column), leaving every other cell free for the lines. */
            for (int yy = (int)ylo; yy <= (int)yhi; yy++) {
                bool on = ascii
                              ? (((kx >> 1) + (yy >> 2)) & 1) == 0 && (kx & 1) == 0 && (yy & 1) == 0
                              : (yy & 3) == ((kx & 1) << 1);
                if (on)
                    canvas_dot(p->c, kx, yy, color);
            }
        }
        if (n == 1)
            break;
    }
    clip_restore(p, s);
}

void
plot_ellipse(struct plot *p, double cx, double cy, double sxx, double sxy, double syy, double k,
             int color, uint32_t pattern)
{
    if (empty(p) || !isfinite(cx) || !isfinite(cy) || !isfinite(sxx) || !isfinite(sxy) ||
        !isfinite(syy) || !isfinite(k))
        return;
    /* Eigen-decomposition of the 2 x 2 covariance: principal half-axes
     * k sqrt(l1), k sqrt(l2) along angle th (negative eigenvalues from
     * rounding clamp to 0: a segment or a point). */
    double tr = 0.5 * (sxx + syy), r = hypot(0.5 * (sxx - syy), sxy);
    double l1 = fmax(tr + r, 0), l2 = fmax(tr - r, 0);
    double th = 0.5 * atan2(2 * sxy, sxx - syy);
    double a1 = fabs(k) * sqrt(l1), a2 = fabs(k) * sqrt(l2);
    double ux = cos(th), uy = sin(th);
    struct clip_save s = clip_area(p, LAYER_LINE);
    if (a1 == 0 && a2 == 0) {
        record(p, SHAPE_DOTS, color, 0, 0, &cx, &cy, NULL, 1);
        double X = plot_px(p, cx), Y = plot_py(p, cy);
        if (X > -1 && Y > -1 && X < 2.0 * (p->pcol + p->pw) && Y < 4.0 * (p->prow + p->ph))
            canvas_dot(p->c, pixel(X), pixel(Y), color);
        clip_restore(p, s);
        return;
    }
    /* About one vertex per pixel of circumference: measure it coarsely first. */
    const int coarse = 64;
    double per = 0, px0 = 0, py0 = 0;
    for (int i = 0; i <= coarse; i++) {
        double t = TWO_PI * i / coarse, ct = cos(t), st = sin(t);
        double X = plot_px(p, cx + a1 * ct * ux - a2 * st * uy);
        double Y = plot_py(p, cy + a1 * ct * uy + a2 * st * ux);
        if (i > 0 && isfinite(X) && isfinite(Y) && isfinite(px0) && isfinite(py0))
            per += hypot(X - px0, Y - py0);
        px0 = X;
        py0 = Y;
    }
    int m = isfinite(per) ? (int)fmin(fmax(ceil(per), 24), 20000) : 20000;
    double *ex = malloc(2 * ((size_t)m + 1) * sizeof *ex);
    if (ex != NULL) {
        for (int i = 0; i <= m; i++) {
            double t = TWO_PI * i / m, ct = cos(t), st = sin(t);
            ex[i] = cx + a1 * ct * ux - a2 * st * uy;
            ex[m + 1 + i] = cy + a1 * ct * uy + a2 * st * ux;
        }
        record(p, SHAPE_POLYLINE, color, pattern, 0, ex, ex + m + 1, NULL, (size_t)m + 1);
        free(ex);
    } else {
        p->c->dl_failed = true;
    }
    struct pen pn = {.p = p, .color = color, .pattern = pattern};
    for (int i = 0; i <= m; i++) {
        double t = TWO_PI * i / m, ct = cos(t), st = sin(t);
        pen_to(&pn, plot_px(p, cx + a1 * ct * ux - a2 * st * uy),
               plot_py(p, cy + a1 * ct * uy + a2 * st * ux));
    }
    pen_end(&pn);
    clip_restore(p, s);
}

void
plot_hline(struct plot *p, double y, int color, uint32_t pattern)
{
    if (empty(p))
        return;
    struct clip_save s = clip_area(p, LAYER_LINE);
    double hx[2] = {p->x.lo, p->x.hi}, hy[2] = {y, y};
    record(p, SHAPE_POLYLINE, color, pattern, 0, hx, hy, NULL, 2);
    double Y = plot_py(p, y);
    canvas_line(p->c, 2.0 * p->pcol, Y, 2.0 * (p->pcol + p->pw) - 1, Y, color, pattern);
    clip_restore(p, s);
}

void
plot_vline(struct plot *p, double x, int color, uint32_t pattern)
{
    if (empty(p))
        return;
    struct clip_save s = clip_area(p, LAYER_LINE);
    double vx[2] = {x, x}, vy[2] = {p->y.lo, p->y.hi};
    record(p, SHAPE_POLYLINE, color, pattern, 0, vx, vy, NULL, 2);
    double X = plot_px(p, x);
    canvas_line(p->c, X, 4.0 * p->prow, X, 4.0 * (p->prow + p->ph) - 1, color, pattern);
    clip_restore(p, s);
}

/* A series of the plot owning fewer cells than this (a marker, the truth's
 * one point) is scarce: the legend must not cover it. */
#define SCARCE_CELLS 8
#define SCARCE_COST  64

/* The cost of covering a rectangle: its cells with dots or text, and
 * SCARCE_COST more for each cell a scarce series owns (scarce[id]). */
static int
covered(const struct canvas *c, const bool *scarce, int col, int row, int w, int h)
{
    int n = 0;
    for (int r = row; r < row + h; r++)
        for (int k = col; k < col + w; k++)
            if (r >= 0 && k >= 0 && r < c->rows && k < c->cols) {
                const struct cell *cl = &c->cells[(size_t)r * (size_t)c->cols + (size_t)k];
                n += cl->dots != 0 || cl->ch != 0;
                if (scarce != NULL && cl->series != 0 && scarce[cl->series])
                    n += SCARCE_COST;
            }
    return n;
}

/* The series of this plot named label, or 0. */
static int
find_series(const struct plot *p, const char *label)
{
    const struct canvas *c = p->c;
    for (int id = c->nseries; id >= p->first_series && id >= 1; id--)
        if (strcmp(c->series[id - 1].label, label) == 0)
            return id;
    return 0;
}

/* A new series of this plot (tests find the plot a drawn series belongs to). */
static int
new_series(const struct plot *p, const char *label)
{
    int id = canvas_series_add(p->c, label);
    if (id != 0)
        p->c->series[id - 1].drawn_in = p->first_series;
    return id;
}

int
plot_series(struct plot *p, const char *label)
{
    if (p->c == NULL)
        return 0;
    if (label == NULL) {
        p->series = 0;
        return 0;
    }
    int id = find_series(p, label);
    p->series = id != 0 ? id : new_series(p, label);
    return p->series;
}

void
plot_layer(struct plot *p, int layer)
{
    p->layer = layer >= 0 && layer < LAYER_COUNT ? layer : -1;
}

void
plot_series_hidden(struct plot *p, const char *label, const char *why)
{
    if (p->c == NULL || label == NULL)
        return;
    int id = find_series(p, label);
    if (id == 0)
        id = new_series(p, label);
    if (id == 0)
        return;
    struct canvas_series *sr = &p->c->series[id - 1];
    sr->hidden = true;
    snprintf(sr->why, sizeof sr->why, "%s", why ? why : "");
}

void
plot_format_number(double v, int sig, char *buf, size_t size)
{
    if (size == 0)
        return;
    if (sig < 1)
        sig = 1;
    if (sig > 15)
        sig = 15;
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0) {
        snprintf(buf, size, "0");
        return;
    }
    /* The exponent after rounding to sig digits (9.996 -> 10.0). */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*e", sig - 1, v);
    const char *e = strchr(tmp, 'e');
    int ex = e ? atoi(e + 1) : 0;
    char plain[64], sci[64];
    snprintf(plain, sizeof plain, "%.*g", sig, v);
    if (strchr(plain, 'e') != NULL)
        plain[0] = '\0';
    /* Mantissa without trailing zeros, exponent without sign padding. */
    char mant[32];
    snprintf(mant, sizeof mant, "%.*g", sig, v / pow(10, ex));
    if (strchr(mant, 'e') != NULL || fabs(atof(mant)) >= 10) /* rounding crossed a power */
        snprintf(mant, sizeof mant, "%s1", v < 0 ? "-" : "");
    snprintf(sci, sizeof sci, "%se%d", mant, ex);
    const char *best = sci;
    if (plain[0] != '\0' && strlen(plain) <= strlen(best))
        best = plain;
    snprintf(buf, size, "%s", best);
}

/* Cut name (in a buffer of size bytes) to room columns at a word, ending in
 * an ellipsis: "posterior cov, alpha 0.32…" rather than an entry dropped
 * from a narrow legend (a bracketed detail goes whole). A first word wider
 * than room is left whole, for canvas_text to cut. */
static void
shorten(char *name, size_t size, int room)
{
    if (canvas_text_width(name) <= room)
        return;
    size_t cut = 0;
    int depth = 0; /* "[j 1..7]" and "(...)" go whole or not at all */
    for (size_t i = 1; name[i] != '\0'; i++) {
        depth +=
            (name[i - 1] == '[' || name[i - 1] == '(') - (name[i - 1] == ']' || name[i - 1] == ')');
        if (name[i] != ' ' || name[i - 1] == ' ' || depth > 0)
            continue;
        size_t k = i; /* the head without a trailing "," or ":" */
        while (k > 0 && strchr(",;:", name[k - 1]) != NULL)
            k--;
        char was = name[k];
        name[k] = '\0';
        bool fits = k > 0 && canvas_text_width(name) + 1 <= room;
        name[k] = was;
        if (!fits)
            break;
        cut = k;
    }
    if (cut > 0 && cut + sizeof "\u2026" <= size)
        memcpy(name + cut, "\u2026", sizeof "\u2026");
}

/* Columns of entry i: the sample, a blank, the name (and why it is hidden).
 * Inside the data area a name too wide for it is cut at a word, and when
 * the reason does not fit beside the name it goes in why_row as "(why)" (a
 * row of its own under the name, when why_row is given and it fits; else
 * the entry says only "(hidden)"); the width is then the wider row's. */
static int
entry_width(const struct plot *p, const struct legend_entry *e, char *name, size_t size,
            char *why_row, size_t why_size)
{
    if (why_row != NULL && why_size > 0)
        why_row[0] = '\0';
    const char *smp = p->c->ascii && e->ascii_sample ? e->ascii_sample : e->sample;
    int id = e->name ? find_series(p, e->name) : 0;
    const struct canvas_series *sr = id ? &p->c->series[id - 1] : NULL;
    int sw = canvas_text_width(smp ? smp : "") + 1;
    if (sr != NULL && sr->hidden) {
        snprintf(name, size, "%s (hidden: %s)", e->name, sr->why);
        if (p->leg_w == 0 && sw + canvas_text_width(name) > p->pw) {
            /* Inside, too wide (outside, plot_legend puts the reason on a row
             * of its own): "1, 2 sd (in 1 cell)" on one row; else the name
             * with "(under running mean)" on the row under it, when the
             * caller has a row for it ("hidden: " would only widen a block
             * over the data); else the name, cut, and "(hidden)". */
            snprintf(name, size, "%s (%s)", e->name, sr->why);
            if (sw + canvas_text_width(name) <= p->pw)
                return sw + canvas_text_width(name);
            if (why_row != NULL) {
                snprintf(why_row, why_size, "(%s)", sr->why);
                if (sw + canvas_text_width(why_row) <= p->pw) {
                    snprintf(name, size, "%s", e->name);
                    shorten(name, size, p->pw - sw);
                    int nw = canvas_text_width(name), ww = canvas_text_width(why_row);
                    return sw + (nw > ww ? nw : ww);
                }
                why_row[0] = '\0';
            }
            static const char tail[] = " (hidden)";
            snprintf(name, size - strlen(tail), "%s", e->name);
            shorten(name, size - strlen(tail), p->pw - sw - (int)strlen(tail));
            strcat(name, tail);
        }
    } else {
        snprintf(name, size, "%s", e->name ? e->name : "");
        if (p->leg_w == 0)
            shorten(name, size, p->pw - sw);
    }
    int ew = sw + canvas_text_width(name);
    /* A first word too wide: canvas_text cuts it at the data area's edge. */
    return ew > p->pw && sw + 2 <= p->pw ? p->pw : ew;
}

/* A legend shows series sr with sample smp (tests compare the samples of
 * one plot's entries). */
static void
legend_named(const struct plot *p, struct canvas_series *sr, const char *smp)
{
    sr->legend = true;
    sr->plot = p->first_series;
    snprintf(sr->sample, sizeof sr->sample, "%s", smp != NULL ? smp : "");
}

static void
legend_draw(struct plot *p, const struct legend_entry *e, size_t n)
{
    if (empty(p))
        return;
    struct canvas *c = p->c;
    char name[2 * CANVAS_LABEL_SIZE + 16];
    int bw = 0; /* block width: the widest entry that fits */
    char why_row[CANVAS_LABEL_SIZE + 16];
    int rows = 0;
    for (size_t i = 0; i < n; i++) {
        int ew = entry_width(p, &e[i], name, sizeof name, p->leg_w == 0 ? why_row : NULL,
                             sizeof why_row);
        if (ew <= p->pw) {
            rows += 1 + (p->leg_w == 0 && why_row[0] != '\0');
            if (ew > bw)
                bw = ew;
        }
    }
    if (p->leg_w > 0) {
        /* Outside the data, in the columns plot_begin_legend kept: down from
         * the data area's top to the region's bottom. */
        int end = p->row + p->h, row = p->prow;
        canvas_clear_rect(c, p->leg_col, row, p->leg_w, end - row);
        for (size_t i = 0; i < n; i++) {
            const char *smp = c->ascii && e[i].ascii_sample ? e[i].ascii_sample : e[i].sample;
            int sw = canvas_text_width(smp ? smp : "");
            entry_width(p, &e[i], name, sizeof name, NULL, 0);
            int id = e[i].name ? find_series(p, e[i].name) : 0;
            if (id == 0 && e[i].name != NULL)
                id = new_series(p, e[i].name); /* named but never drawn: owns nothing */
            if (row >= end) {
                if (id != 0 && !c->series[id - 1].hidden) {
                    c->series[id - 1].hidden = true;
                    snprintf(c->series[id - 1].why, sizeof c->series[id - 1].why, "no room");
                }
                continue;
            }
            if (id != 0)
                legend_named(p, &c->series[id - 1], smp);
            canvas_text(c, p->leg_col, row, smp ? smp : "", e[i].color, ATTR_NONE, sw);
            const struct canvas_series *sr = id != 0 ? &c->series[id - 1] : NULL;
            int room = p->leg_w - sw - 1;
            int tx = p->leg_col + sw + 1; /* where the text goes, and its columns */
            if (sr != NULL && sr->hidden && canvas_text_width(name) > room && row + 1 < end) {
                /* Too wide for one row: the name, then why it is hidden under
                 * it, from the sample's column when it is too wide for the
                 * name's (plot_begin_legend keeps the block wide enough for
                 * the short reasons: two rows). */
                char why[CANVAS_LABEL_SIZE + 16];
                snprintf(why, sizeof why, "(hidden: %s)", sr->why);
                canvas_text(c, tx, row++, e[i].name, COL_DEFAULT, ATTR_NONE, room);
                /* Too wide even so (a legend too narrow for the room
                 * plot_begin_legend would keep): the reason alone, the row
                 * above says whose it is. */
                if (canvas_text_width(why) > p->leg_w)
                    snprintf(why, sizeof why, "(%s)", sr->why);
                if (canvas_text_width(why) > room) {
                    tx = p->leg_col;
                    room = p->leg_w;
                }
                /* A longer reason ("under" a long name) wraps at blanks over the rows below. */
                char *w0 = why;
                while (canvas_text_width(w0) > room && row + 1 < end) {
                    char *cut = NULL;
                    for (char *q = w0; *q != '\0'; q++)
                        if (*q == ' ') {
                            *q = '\0';
                            bool fits = canvas_text_width(w0) <= room;
                            *q = ' ';
                            if (!fits)
                                break;
                            cut = q;
                        }
                    if (cut == NULL)
                        break;
                    *cut = '\0';
                    canvas_text(c, tx, row++, w0, COL_DEFAULT, ATTR_NONE, room);
                    w0 = cut + 1;
                }
                snprintf(name, sizeof name, "%s", w0);
            }
            canvas_text(c, tx, row, name, COL_DEFAULT, ATTR_NONE, room);
            row++;
        }
        return;
    }
    if (bw == 0)
        return;
    rows = rows < p->ph ? rows : p->ph;
    bool scarce[CANVAS_MAX_SERIES + 1] = {false};
    size_t owned[CANVAS_MAX_SERIES + 1] = {0};
    for (size_t k = 0; k < (size_t)c->rows * (size_t)c->cols; k++)
        owned[c->cells[k].series <= CANVAS_MAX_SERIES ? c->cells[k].series : 0]++;
    for (int id = p->first_series; id >= 1 && id <= c->nseries; id++)
        scarce[id] = owned[id] > 0 && owned[id] < SCARCE_CELLS;
    /* The corner where the block (and its blank column) hides the fewest
     * drawn cells: curves that rise to the right, like regret, end in the
     * top-right; the spectrum's largest eigenvalue runs along the top. When
     * every corner hides some, the emptiest place down the right or left edge. */
    int right = p->pcol + p->pw - bw;
    int bottom = p->prow + p->ph - rows;
    const int corner[4][2] = {
        {right, p->prow}, {p->pcol, p->prow}, {right, bottom}, {p->pcol, bottom}};
    int best = 0, best_cov = -1;
    for (int k = 0; k < 4; k++) {
        int x = corner[k][0] == right ? right - 1 : p->pcol;
        int cov = covered(c, scarce, x, corner[k][1], bw + 1, rows);
        if (best_cov < 0 || cov < best_cov) {
            best = k;
            best_cov = cov;
        }
    }
    int x0 = corner[best][0], row = corner[best][1];
    /* Every corner hides data: slide down either side for an emptier place. */
    for (int side = 0; side < 2 && best_cov > 0; side++) {
        int xs = side == 0 ? right : p->pcol;
        for (int r = p->prow + 1; r + rows < p->prow + p->ph; r++) {
            int cov = covered(c, scarce, side == 0 ? right - 1 : p->pcol, r, bw + 1, rows);
            if (cov < best_cov) {
                best_cov = cov;
                x0 = xs;
                row = r;
            }
        }
    }
    int end = row + rows;
    /* One blank column beside the block, when there is room, keeps lines off the text. */
    int c0 = x0 == right && x0 > p->pcol ? x0 - 1 : x0;
    int c1 = x0 == right || x0 + bw >= p->pcol + p->pw ? x0 + bw : x0 + bw + 1;
    for (size_t i = 0; i < n; i++) {
        const char *smp = c->ascii && e[i].ascii_sample ? e[i].ascii_sample : e[i].sample;
        int sw = canvas_text_width(smp ? smp : "");
        int ew = entry_width(p, &e[i], name, sizeof name, why_row, sizeof why_row);
        int id = e[i].name ? find_series(p, e[i].name) : 0;
        if (id == 0 && e[i].name != NULL)
            id = new_series(p, e[i].name); /* named but never drawn: owns nothing */
        if (why_row[0] != '\0' && row + 1 >= end) {
            /* No row left for the reason: the one-row form, "(hidden)". */
            ew = entry_width(p, &e[i], name, sizeof name, NULL, 0);
            why_row[0] = '\0';
        }
        if (ew > p->pw || row >= end) {
            if (id != 0 && !c->series[id - 1].hidden) {
                c->series[id - 1].hidden = true;
                snprintf(c->series[id - 1].why, sizeof c->series[id - 1].why, "no room");
            }
            continue;
        }
        if (id != 0)
            legend_named(p, &c->series[id - 1], smp);
        for (int cc = c0; cc < c1; cc++)
            canvas_put(c, cc, row, ' ', COL_DEFAULT, ATTR_NONE);
        canvas_text(c, x0, row, smp ? smp : "", e[i].color, ATTR_NONE, sw);
        canvas_text(c, x0 + sw + 1, row, name, COL_DEFAULT, ATTR_NONE, bw - sw - 1);
        row++;
        if (why_row[0] != '\0') {
            for (int cc = c0; cc < c1; cc++)
                canvas_put(c, cc, row, ' ', COL_DEFAULT, ATTR_NONE);
            canvas_text(c, x0 + sw + 1, row, why_row, COL_DEFAULT, ATTR_NONE, bw - sw - 1);
            row++;
        }
    }
}

void
plot_legend(struct plot *p, const struct legend_entry *e, size_t n)
{
    plot_legend_checked(p, e, n, NULL);
}

/* Cells a series must own to count as seen: one for a series with a glyph
 * marker (the newest point, a trajectory's end: a glyph reads in one cell),
 * else PLOT_MIN_VISIBLE; 0 for a series with no shape on the display list
 * (never drawn under its name: a plot that names no series, or a list out
 * of memory). */
static size_t
visible_need(const struct canvas *c, int id)
{
    bool glyphs = false, other = false;
    for (size_t k = 0; k < c->nshape; k++)
        if (c->shape[k].series == id) {
            glyphs |= c->shape[k].kind == SHAPE_GLYPH;
            other |= c->shape[k].kind != SHAPE_GLYPH;
        }
    if (c->dl_failed || (!glyphs && !other))
        return 0;
    return glyphs ? 1 : PLOT_MIN_VISIBLE;
}

/* Count the owner of the cell under canvas pixel (x, y) when it is inside
 * the data area of p. */
static void
tally(const struct plot *p, double x, double y, size_t *owner, size_t *inside)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    int col = pixel(x) >> 1, row = pixel(y) >> 2; /* as the rasterizer rounds */
    if (col < p->pcol || col >= p->pcol + p->pw || row < p->prow || row >= p->prow + p->ph)
        return;
    const struct canvas *c = p->c;
    if (col >= c->cols || row >= c->rows)
        return;
    const struct cell *cl = &c->cells[(size_t)row * (size_t)c->cols + (size_t)col];
    (*inside)++;
    owner[cl->series <= CANVAS_MAX_SERIES ? cl->series : 0]++;
}

/* Why series id (owning cells cells, drawn) cannot be seen, from its shapes
 * on the display list: what owns most of the cells they pass through
 * ("under measured vs truth"), or that they lie off the axes, under the
 * legend, or in a cell or two. */
static void
hidden_reason(const struct plot *p, int id, size_t cells, char *why, size_t size)
{
    const struct canvas *c = p->c;
    size_t owner[CANVAS_MAX_SERIES + 1] = {0}, inside = 0;
    for (size_t k = 0; k < c->nshape; k++) {
        const struct canvas_shape *sh = &c->shape[k];
        if (sh->series != id)
            continue;
        const double *xy = c->xy + 2 * sh->first;
        for (size_t i = 0; i < sh->n; i++) {
            tally(p, xy[2 * i], xy[2 * i + 1], owner, &inside);
            if (sh->kind != SHAPE_POLYLINE && sh->kind != SHAPE_BAND)
                continue;
            if (i + 1 >= sh->n)
                continue;
            /* Along the segment, a sample per pixel. */
            double dx = xy[2 * i + 2] - xy[2 * i], dy = xy[2 * i + 3] - xy[2 * i + 1];
            double len = fmax(fabs(dx), fabs(dy));
            if (!isfinite(len) || len > 4.0 * (c->cols + c->rows))
                continue;
            for (int t = 1; t < (int)len; t++)
                tally(p, xy[2 * i] + dx * t / len, xy[2 * i + 1] + dy * t / len, owner, &inside);
        }
    }
    int best = 0;
    for (int s = 1; s <= c->nseries && s <= CANVAS_MAX_SERIES; s++)
        if (s != id && c->series[s - 1].label[0] != '\0' && owner[s] > (best ? owner[best] : 0))
            best = s;
    if (best != 0 && owner[best] > 0)
        snprintf(why, size, "under %s", c->series[best - 1].label);
    else if (inside == 0)
        snprintf(why, size, "off the axes");
    else if (cells >= visible_need(c, id))
        snprintf(why, size, "under the legend");
    else
        snprintf(why, size, "%s",
                 cells == 0   ? "too small"
                 : cells == 1 ? "in 1 cell"
                              : "in 2 cells");
}

void
plot_legend_checked(struct plot *p, const struct legend_entry *e, size_t n,
                    const char *const *why_hidden)
{
    if (empty(p)) {
        legend_draw(p, e, n);
        return;
    }
    struct canvas *c = p->c;
    /* The data area as it was, to take the legend back off it. */
    size_t cells = (size_t)p->pw * (size_t)p->ph;
    bool inside =
        p->pcol >= 0 && p->prow >= 0 && p->pcol + p->pw <= c->cols && p->prow + p->ph <= c->rows;
    struct cell *save = inside ? malloc(cells * sizeof *save) : NULL;
    if (save != NULL)
        for (int r = 0; r < p->ph; r++)
            memcpy(save + (size_t)r * (size_t)p->pw,
                   &c->cells[(size_t)(p->prow + r) * (size_t)c->cols + (size_t)p->pcol],
                   (size_t)p->pw * sizeof *save);
    legend_draw(p, e, n);
    bool again = false, unseen[PLOT_LEGEND_MAX] = {false};
    for (size_t i = 0; i < n && i < PLOT_LEGEND_MAX && save != NULL; i++) {
        int id = e[i].name ? find_series(p, e[i].name) : 0;
        if (id == 0 || c->series[id - 1].hidden || !c->series[id - 1].legend)
            continue;
        size_t owned = canvas_series_cells(c, id);
        if (why_hidden != NULL && why_hidden[i] != NULL) {
            if (owned < PLOT_MIN_VISIBLE) {
                plot_series_hidden(p, e[i].name, why_hidden[i]);
                again = true;
            }
        } else if (owned < visible_need(c, id)) {
            /* No reason given: the legend still must not name as drawn a
             * series nobody can see (a closed form under the measured curve
             * at n = 1.5M); below, what covers it says why. */
            unseen[i] = again = true;
        }
    }
    if (again) {
        for (int r = 0; r < p->ph; r++)
            memcpy(&c->cells[(size_t)(p->prow + r) * (size_t)c->cols + (size_t)p->pcol],
                   save + (size_t)r * (size_t)p->pw, (size_t)p->pw * sizeof *save);
        for (size_t i = 0; i < n && i < PLOT_LEGEND_MAX; i++)
            if (unseen[i]) {
                int id = find_series(p, e[i].name);
                char why[CANVAS_LABEL_SIZE];
                hidden_reason(p, id, canvas_series_cells(c, id), why, sizeof why);
                plot_series_hidden(p, e[i].name, why);
            }
        legend_draw(p, e, n);
    }
    free(save);
}
