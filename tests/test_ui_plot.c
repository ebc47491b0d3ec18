/* tests/test_ui_plot.c - ticks, labels, auto-ranging and plots (ui/plot.c,
 * ui/axis.c), with golden renders.
 *
 * Tick checks are properties that hold for any correct tick set (1-2-5
 * multiples, inside the range, increasing, at most max, distinct labels of
 * at most 7 columns), plus a few exact sets worked out by hand. Golden
 * renders: three plots drawn in a 60x16 pane, braille and ASCII, compared
 * byte for byte with tests/golden/plot_*.txt (argv[1] names tests/);
 * BAYESLENS_UPDATE_GOLDEN=1 rewrites the files instead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <float.h>

#include "harness.h"
#include "ui/canvas.h"
#include "ui/plot.h"

#define TWO_PI 6.283185307179586

/* v is k * step for an integer k, to rounding (relative to the step). */
static bool
is_multiple(double v, double step)
{
    double k = v / step;
    return fabs(k - round(k)) < 1e-6;
}

static bool
on_ladder(double s)
{
    double e = floor(log10(s) + 1e-9), m = s / pow(10, e);
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

/* Properties of axis_ticks + axis_format_ticks on [lo, hi] for max 1..10. */
static void
check_ticks(double lo, double hi, bool log)
{
    for (size_t max = 1; max <= 10; max++) {
        double t[16], step = -1;
        char lab[16][AXIS_LABEL_SIZE];
        size_t n = axis_ticks(lo, hi, log, max, t, &step);
        CHECK(n >= 1 && n <= max, "[%g, %g]%s max %zu: %zu ticks", lo, hi, log ? " log" : "", max,
              n);
        if (lo < hi && max >= 3)
            CHECK(n >= 2, "[%g, %g]%s max %zu: only %zu tick", lo, hi, log ? " log" : "", max, n);
        for (size_t i = 0; i < n; i++) {
            CHECK(t[i] >= fmin(lo, hi) && t[i] <= fmax(lo, hi),
                  "[%g, %g] max %zu: tick %.17g outside", lo, hi, max, t[i]);
            if (i > 0)
                CHECK(t[i] > t[i - 1], "[%g, %g] max %zu: ticks not increasing at %zu", lo, hi, max,
                      i);
            if (lo == hi)
                continue;
            if (!log) {
                CHECK(step > 0 && on_ladder(step) && is_multiple(t[i], step),
                      "[%g, %g] max %zu: tick %.17g not a multiple of step %g", lo, hi, max, t[i],
                      step);
            } else {
                /* Decades (step = decades between ticks), 1-2-5 values
                 * (step 0), or linear ticks for ranges inside a decade. */
                double e = log10(t[i]);
                bool decade = fabs(e - round(e)) < 1e-9;
                bool lin = step > 0 && on_ladder(step) && is_multiple(t[i], step);
                CHECK(decade || on_ladder(t[i]) || lin,
                      "[%g, %g] log max %zu: tick %g is neither a decade, 1-2-5 nor a multiple "
                      "of %g",
                      lo, hi, max, t[i], step);
            }
        }
        /* Garbage first: every label must be written, also by the fallbacks. */
        memset(lab, 'X', sizeof lab);
        axis_format_ticks(t, n, step, log, lab);
        for (size_t i = 0; i < n; i++) {
            CHECK(strnlen(lab[i], AXIS_LABEL_SIZE) < AXIS_LABEL_SIZE,
                  "[%g, %g] max %zu: label %zu not written", lo, hi, max, i);
            lab[i][AXIS_LABEL_SIZE - 1] = '\0';
            CHECK(strlen(lab[i]) >= 1 && strlen(lab[i]) <= 7,
                  "[%g, %g] max %zu: label '%s' longer than 7", lo, hi, max, lab[i]);
            for (size_t j = 0; j < i; j++)
                CHECK(strcmp(lab[i], lab[j]) != 0, "[%g, %g] max %zu: labels %zu, %zu both '%s'",
                      lo, hi, max, j, i, lab[i]);
        }
    }
}

/* Exact ticks and labels. want: labels joined by spaces. */
static void
check_exact(double lo, double hi, bool log, size_t max, const char *want)
{
    double t[16], step;
    char lab[16][AXIS_LABEL_SIZE], got[256] = "";
    size_t n = axis_ticks(lo, hi, log, max, t, &step);
    axis_format_ticks(t, n, step, log, lab);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, lab[i]);
    }
    CHECK(strcmp(got, want) == 0, "[%g, %g]%s max %zu: '%s', want '%s'", lo, hi, log ? " log" : "",
          max, got, want);
}

static void
test_ticks(void)
{
    static const double lin[][2] = {
        {0, 1},      {-3, 7},         {0.001, 0.0042},     {-5, -1},         {-1e-6, -2e-7},
        {0, 1e300},  {-1e300, 1e300}, {-1.7e308, 1.7e308}, {1e-300, 3e-300}, {0.1, 0.11},
        {99, 101},   {0, 123456},     {1e5, 1.5e5},        {-0.5, 0.5},      {1e6, 1.0001e6},
        {-2e9, 3e9}, {0.31, 0.39},    {12345, 12346},      {0, 2e-5},        {7, 7.5},
        {123456.70, 123456.78}, {0.1, 0.1000001},
    };
    for (size_t i = 0; i < sizeof lin / sizeof lin[0]; i++)
        check_ticks(lin[i][0], lin[i][1], false);
    static const double lg[][2] = {
        {1, 1e6}, {1e-12, 1}, {0.5, 50}, {1, 5}, {2, 8}, {1e-300, 1e300}, {0.01, 10000}, {3, 3.5},
    };
    for (size_t i = 0; i < sizeof lg / sizeof lg[0]; i++)
        check_ticks(lg[i][0], lg[i][1], true);

    check_exact(0, 1, false, 6, "0 0.2 0.4 0.6 0.8 1");
    check_exact(0, 1.5, false, 4, "0 0.5 1 1.5");
    check_exact(-3, 7, false, 6, "-2 0 2 4 6");
    check_exact(0.001, 0.0042, false, 8, "0.001 0.0015 0.002 0.0025 0.003 0.0035 0.004");
    check_exact(0, 100000, false, 6, "0 20k 40k 60k 80k 100k");
    check_exact(0, 3e6, false, 4, "0 1M 2M 3M");
    check_exact(0, 5e-5, false, 6, "0 1e-05 2e-05 3e-05 4e-05 5e-05");
    check_exact(1, 1e6, true, 7, "1 1e1 1e2 1e3 1e4 1e5 1e6");
    check_exact(1e-12, 1, true, 5, "1e-12 1e-9 1e-6 1e-3 1");
    check_exact(0.01, 100, true, 5, "0.01 0.1 1 10 100");
    check_exact(1, 50, true, 8, "1 2 5 10 20 50");
    check_exact(3, 3, false, 5, "3");

    double t[4], step = 1;
    CHECK(axis_ticks(0, 1, false, 0, t, &step) == 0, "max 0: no ticks");
    CHECK(axis_ticks(NAN, 1, false, 4, t, &step) == 0, "NaN: no ticks");
    CHECK(axis_ticks(-1, 1, true, 4, t, &step) == 0, "log of a non-positive range: no ticks");
    CHECK(axis_ticks(7, 3, false, 4, t, &step) >= 2 && t[0] >= 3, "reversed range is sorted");

    char buf[AXIS_LABEL_SIZE];
    struct {
        double v, step;
        bool log;
        const char *want;
    } f[] = {
        {0.5, 0.5, false, "0.5"},     {1, 0.5, false, "1"},         {1.5, 0.5, false, "1.5"},
        {-0.0, 1, false, "0"},        {20000, 10000, false, "20k"}, {1500, 500, false, "1500"},
        {2e-5, 1e-5, false, "2e-05"}, {3e-16, 1, false, "0"},       {0.001, 1, true, "1e-3"},
        {100, 1, true, "100"},        {1e5, 1, true, "1e5"},        {0.05, 0, true, "0.05"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        axis_format(f[i].v, f[i].step, f[i].log, buf, sizeof buf);
        CHECK(strcmp(buf, f[i].want) == 0, "axis_format(%g, %g, %d) = '%s', want '%s'", f[i].v,
              f[i].step, f[i].log, buf, f[i].want);
    }
}

static void
test_range(void)
{
    /* Growth padding stops at zero: a density whose peak range started
     * above zero (0.2..0.4) and now includes 0 gets 0 as its floor, not
     * -0.005; likewise for all-negative data from above. */
    {
        struct plot_range d = {0};
        plot_range_update(&d, 0.2, 0.4);
        plot_range_update(&d, 0, 0.4);
        CHECK(d.lo == 0 && d.hi >= 0.4, "density range [%g, %g]: floor 0", d.lo, d.hi);
        struct plot_range n = {0};
        plot_range_update(&n, -0.4, -0.2);
        plot_range_update(&n, -0.4, 0);
        CHECK(n.hi == 0 && n.lo <= -0.4, "negative range [%g, %g]: ceiling 0", n.lo, n.hi);
    }
    /* A series growing by one per frame for 1000 frames. */
    struct plot_range r = {0};
    int changes = 0;
    double plo = NAN, phi = NAN;
    for (int i = 1; i <= 1000; i++) {
        plot_range_update(&r, 0, i);
        if (r.lo != plo || r.hi != phi)
            changes++;
        plo = r.lo;
        phi = r.hi;
        CHECK(r.lo <= 0 && r.hi >= i, "frame %d: range [%g, %g] misses data", i, r.lo, r.hi);
    }
    CHECK(changes <= 20, "linear growth: %d range changes in 1000 frames", changes);

    /* Slower growth (sqrt) and log growth, with the minimum moving down too. */
    struct plot_range q = {0};
    changes = 0;
    plo = phi = NAN;
    for (int i = 1; i <= 1000; i++) {
        plot_range_update(&q, -0.01 * sqrt(i), 3 * sqrt(i));
        changes += q.lo != plo || q.hi != phi;
        plo = q.lo;
        phi = q.hi;
    }
    CHECK(changes <= 15, "sqrt growth: %d range changes", changes);
    struct plot_range lg = {.log = true};
    changes = 0;
    plo = phi = NAN;
    for (int i = 1; i <= 1000; i++) {
        plot_range_update(&lg, 0.5, 0.5 * log(1.0 + i) + 0.01 * i);
        changes += lg.lo != plo || lg.hi != phi;
        plo = lg.lo;
        phi = lg.hi;
    }
    CHECK(changes <= 8, "log axis growth: %d range changes", changes);
    CHECK(lg.lo > 0 && lg.lo <= 0.5 && lg.hi >= 0.5 * log(1001.0) + 10, "log range [%g, %g]", lg.lo,
          lg.hi);

    /* Tiny jitter never moves the range. */
    struct plot_range j = {0};
    plot_range_update(&j, -0.93, 0.97);
    double lo0 = j.lo, hi0 = j.hi;
    unsigned seed = 1;
    for (int i = 0; i < 1000; i++) {
        seed = seed * 1103515245u + 12345u;
        double e = ((seed >> 16) & 0x7FFF) / 32768.0 * 1e-3;
        plot_range_update(&j, -0.93 + e, 0.97 - e);
        CHECK(j.lo == lo0 && j.hi == hi0, "jitter moved the range at frame %d", i);
    }
    CHECK(lo0 == -1 && hi0 == 1, "nice bounds of [-0.93, 0.97]: [%g, %g]", lo0, hi0);

    /* Shrinks once the data use under half; not before. */
    struct plot_range s = {0};
    plot_range_update(&s, 0, 100);
    plot_range_update(&s, 0, 60);
    CHECK(s.lo == 0 && s.hi == 100, "60%% of the range: kept [%g, %g]", s.lo, s.hi);
    plot_range_update(&s, 0, 40);
    CHECK(s.lo == 0 && s.hi < 100 && s.hi >= 40, "40%% of the range: shrunk to [%g, %g]", s.lo,
          s.hi);
    /* --demo: data within +-2 in a -5..5 range (40%) get their own axes. */
    struct plot_range dm = {.lo = -5, .hi = 5, .valid = true};
    plot_range_update(&dm, -1.9, 2.1);
    CHECK(dm.lo >= -3 && dm.hi <= 3, "+-2 in -5..5: [%g, %g]", dm.lo, dm.hi);
    /* No jitter: data wandering and changing span (10% to 90% of the
     * largest; away from zero, whose floor gives a shrink no room) never make
     * the range change back within a few frames, and the same data never
     * move it. */
    {
        struct plot_range w = {0};
        unsigned sd = 7;
        int moves = 0, flips = 0, last = 0, lastat = -10;
        for (int i = 0; i < 2000; i++) {
            sd = sd * 1103515245u + 12345u;
            double u = ((sd >> 16) & 0x7FFF) / 32768.0;
            double c = 3 + sin(i * 0.01), half = 0.5 + 0.4 * sin(i * 0.003) + 0.01 * u;
            double lo = w.lo, hi = w.hi;
            plot_range_update(&w, c - half, c + half);
            CHECK(w.lo <= c - half && w.hi >= c + half, "frame %d: data outside", i);
            double lo2 = w.lo, hi2 = w.hi;
            plot_range_update(&w, c - half, c + half);
            CHECK(w.lo == lo2 && w.hi == hi2, "frame %d: the same data moved the range", i);
            if (i > 0 && (w.lo != lo || w.hi != hi)) {
                int dir = w.hi - w.lo > hi - lo ? 1 : -1;
                moves++;
                flips += last != 0 && dir != last && i - lastat < 5;
                last = dir;
                lastat = i;
            }
        }
        CHECK(moves < 200, "wandering data: %d range changes in 2000 frames", moves);
        CHECK(flips == 0, "wandering data: %d of %d changes reverse one a few frames before",
              flips, moves);
    }
    /* Both ends growing at once: the grown range is not shrunk the next frame. */
    {
        struct plot_range b = {0};
        plot_range_update(&b, -1, 1);
        plot_range_update(&b, -3.1, 3.1);
        double lo = b.lo, hi = b.hi;
        plot_range_update(&b, -3.1, 3.1);
        CHECK(b.lo == lo && b.hi == hi && 6.2 >= (hi - lo) / 2, "both ends: [%g, %g] then [%g, %g]",
              lo, hi, b.lo, b.hi);
    }

    /* Degenerate, missing, fixed. */
    struct plot_range d = {0};
    plot_range_update(&d, 3, 3);
    CHECK(d.valid && d.lo < 3 && d.hi > 3 && d.hi - d.lo <= 2, "point: [%g, %g]", d.lo, d.hi);
    struct plot_range e = {0};
    plot_range_update(&e, NAN, NAN);
    CHECK(e.valid && e.lo == 0 && e.hi == 1, "no data: [%g, %g]", e.lo, e.hi);
    plot_range_update(&e, NAN, NAN);
    CHECK(e.lo == 0 && e.hi == 1, "still no data");
    struct plot_range fx = {.lo = 2, .hi = 5, .valid = true, .fixed = true};
    plot_range_update(&fx, -100, 100);
    CHECK(fx.lo == 2 && fx.hi == 5, "fixed range untouched");
    struct plot_range big = {0};
    plot_range_update(&big, -1e300, 1e300);
    CHECK(big.valid && big.lo <= -1e300 && big.hi >= 1e300 && isfinite(big.hi), "huge: [%g, %g]",
          big.lo, big.hi);
    struct plot_range lp = {.log = true};
    plot_range_update(&lp, 0.003, 470);
    CHECK(lp.lo == 2e-3 && lp.hi == 500, "log 1-2-5 bounds: [%g, %g]", lp.lo, lp.hi);
    double mn = NAN, mx = NAN;
    double v[] = {NAN, -2, 5, INFINITY, 0.5};
    plot_extent(v, 5, false, &mn, &mx);
    CHECK(mn == -2 && mx == 5, "extent [%g, %g]", mn, mx);
    mn = INFINITY;
    mx = -INFINITY;
    plot_extent(v, 5, true, &mn, &mx);
    CHECK(mn == 0.5 && mx == 5, "positive extent [%g, %g]", mn, mx);
}

/* Cells of the canvas outside rectangle (col, row, w, h) holding dots. */
static int
dots_outside(const struct canvas *c, int col, int row, int w, int h)
{
    int n = 0;
    for (int r = 0; r < c->rows; r++)
        for (int k = 0; k < c->cols; k++)
            if (c->cells[r * c->cols + k].dots &&
                !(k >= col && k < col + w && r >= row && r < row + h))
                n++;
    return n;
}

static void
test_plot_clip(void)
{
    struct canvas c;
    canvas_init(&c, 40, 12, false);
    struct plot_range xr = {.lo = 0, .hi = 1, .valid = true};
    struct plot_range yr = {.lo = 0, .hi = 1, .valid = true};
    struct plot p;
    plot_begin(&p, &c, 0, 0, 40, 12, &xr, &yr, "x", NULL);
    CHECK(p.pw > 20 && p.ph >= 8, "data area %dx%d", p.pw, p.ph);
    CHECK(p.pcol + p.pw == 40 && p.prow == 0, "area reaches the right edge and the top");
    /* From inside to far outside: cut at the right edge, not dropped. */
    double x[] = {0.5, 3.0}, y[] = {0.5, 0.5};
    plot_line(&p, x, y, 2, COL_S1, PAT_SOLID);
    int ymid = (int)floor(plot_py(&p, 0.5) + 0.5);
    int xr_edge = 2 * (p.pcol + p.pw) - 1;
    CHECK(c.cells[(ymid / 4) * 40 + xr_edge / 2].dots != 0, "line reaches the right edge");
    /* Both ends outside, crossing the area diagonally. */
    double x2[] = {-1, 2}, y2[] = {2, -1};
    plot_line(&p, x2, y2, 2, COL_S2, PAT_SOLID);
    double x3[] = {-5, 6}, y3[] = {-3, 9}; /* crosses (0.5, 3)? no: passes outside the area */
    plot_line(&p, x3, y3, 2, COL_S3, PAT_SOLID);
    CHECK(dots_outside(&c, p.pcol, p.prow, p.pw, p.ph) == 0, "plot_line stays in the area");
    int diag = 0;
    for (int k = p.pcol; k < p.pcol + p.pw; k++)
        for (int r = p.prow; r < p.prow + p.ph; r++)
            diag += c.cells[r * 40 + k].color == COL_S2 && c.cells[r * 40 + k].dots;
    CHECK(diag >= p.pw / 2, "diagonal through the area drawn (%d cells)", diag);
    /* Bands, ellipses, points, reference lines also stay inside. */
    double bx[] = {-1, 0.5, 2}, blo[] = {-1, 0.2, -1}, bhi[] = {2, 0.8, 2};
    plot_band(&p, bx, blo, bhi, 3, COL_BAND);
    plot_ellipse(&p, 0.9, 0.9, 0.2, 0.05, 0.1, 2, COL_S4, PAT_DASHED);
    double px[] = {-0.1, 0.3, 1.1, 1e300}, py[] = {0.5, 0.3, 0.5, 0.5};
    plot_points(&p, px, py, 4, COL_S5);
    plot_hline(&p, 0.25, COL_DIM, PAT_DOTTED);
    plot_vline(&p, 0.75, COL_DIM, PAT_DOTTED);
    plot_marker(&p, 1.5, 0.5, 'x', COL_TRUTH, 0);
    CHECK(dots_outside(&c, p.pcol, p.prow, p.pw, p.ph) == 0, "all drawers stay in the area");
    CHECK(!c.clip_on, "clip restored after drawing");
    /* A NaN breaks a line; a lone point between breaks is a dot. */
    canvas_clear(&c);
    plot_begin(&p, &c, 0, 0, 40, 12, &xr, &yr, NULL, NULL);
    double lx[] = {0.1, NAN, 0.5, 0.9}, ly[] = {0.1, 0.5, 0.5, 0.5};
    plot_line(&p, lx, ly, 4, COL_S1, PAT_SOLID);
    int X = (int)floor(plot_px(&p, 0.1) + 0.5), Y = (int)floor(plot_py(&p, 0.1) + 0.5);
    CHECK(c.cells[(Y / 4) * 40 + X / 2].dots != 0, "lone point drawn");
    canvas_free(&c);

    /* Tiny and empty regions: no crash, nothing outside the region. */
    for (int w = 0; w <= 12; w++)
        for (int h = 0; h <= 7; h++) {
            canvas_init(&c, 14, 9, w % 2 == 1);
            plot_begin(&p, &c, 1, 1, w, h, &xr, &yr, "xlabel", "ylabel");
            plot_line(&p, x2, y2, 2, COL_S1, PAT_SOLID);
            plot_band(&p, bx, blo, bhi, 3, COL_BAND);
            plot_ellipse(&p, 0.5, 0.5, 0.1, 0, 0.1, 1, COL_S1, PAT_SOLID);
            struct legend_entry le[] = {{"──", "--", "mean", COL_S1}};
            plot_legend(&p, le, 1);
            int bad = 0;
            for (int r = 0; r < 9; r++)
                for (int k = 0; k < 14; k++) {
                    bool in = k >= 1 && k < 1 + w && r >= 1 && r < 1 + h;
                    const struct cell *cl = &c.cells[r * 14 + k];
                    if (!in && (cl->dots || cl->ch))
                        bad++;
                }
            CHECK(bad == 0, "%dx%d region: %d cells drawn outside", w, h, bad);
            canvas_free(&c);
        }
}

/* Degenerate ranges (issue 10): a y range of 1e-9 with data near 1 puts
 * pixels 1e10 away, and a range narrower than an ulp of its ends; every
 * drawer must return promptly (alarm: a hang fails the test by SIGALRM)
 * and draw nothing outside the area. */
static void
test_plot_degenerate(void)
{
    static const double ranges[][2] = {
        {0, 1e-9}, {1e15, 1000000000000000.1}, {-1e308, 1e308}, {1, 1}, {0, DBL_MIN}};
    alarm(20);
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        struct canvas c;
        canvas_init(&c, 48, 12, r % 2 == 1);
        struct plot_range xr = {.lo = -1, .hi = 1, .valid = true};
        struct plot_range yr = {.lo = ranges[r][0], .hi = ranges[r][1], .valid = true};
        struct plot p;
        plot_begin(&p, &c, 0, 0, 48, 12, &xr, &yr, "x", "y");
        double x[] = {-1, -0.5, 0, 0.5, 1}, lo[] = {-3, -1, 0.5, 1, 3}, hi[] = {3, 1, 2, 4, 9};
        double y[] = {1, -1, 1e300, -1e300, 0.5};
        plot_band(&p, x, lo, hi, 5, COL_BAND);
        plot_band(&p, x, lo, hi, 1, COL_BAND);
        double xs[] = {0, 0}, los[] = {-1e300, 1e300}, his[] = {1e300, -1e300};
        plot_band(&p, xs, los, his, 2, COL_BAND);
        plot_line(&p, x, y, 5, COL_S1, PAT_SOLID);
        plot_points(&p, x, y, 5, COL_S2);
        plot_ellipse(&p, 0, 1, 1, 0, 1, 2, COL_S3, PAT_SOLID);
        plot_hline(&p, 1, COL_DIM, PAT_DOTTED);
        plot_marker(&p, 0, 1, 'x', COL_TRUTH, 0);
        CHECK(dots_outside(&c, p.pcol, p.prow, p.pw, p.ph) == 0, "range [%.17g, %.17g]: inside",
              ranges[r][0], ranges[r][1]);
        canvas_free(&c);
    }
    alarm(0);
}

/* Compare a render with tests/golden/NAME.txt, or rewrite it. */
static void
golden(const char *name, const struct canvas *c)
{
    char path[256];
    snprintf(path, sizeof path, "%s/golden/%s.txt", harness_src, name);
    char *got = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&got, &len);
    CHECK(m != NULL && canvas_write_text(c, m) == 0, "%s: render", name);
    if (m)
        fclose(m);
    bool ascii = true;
    for (size_t i = 0; i < len; i++)
        ascii = ascii && (unsigned char)got[i] < 0x80;
    CHECK(ascii == c->ascii || (ascii && !c->ascii), "%s: non-ASCII bytes in ASCII mode", name);
    const char *upd = getenv("BAYESLENS_UPDATE_GOLDEN");
    if (upd && strcmp(upd, "1") == 0) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL && fwrite(got, 1, len, f) == len, "%s: cannot write", path);
        if (f)
            fclose(f);
        free(got);
        return;
    }
    FILE *f = fopen(path, "rb");
    char *want = f ? malloc(len + 2) : NULL;
    size_t wl = want ? fread(want, 1, len + 1, f) : 0;
    if (f)
        fclose(f);
    bool same = want && wl == len && memcmp(want, got, len) == 0;
    CHECK(same, "%s differs from the render below (BAYESLENS_UPDATE_GOLDEN=1 rewrites it):\n%s",
          path, got ? got : "");
    free(want);
    free(got);
}

/* A pane-like frame: a box with a title and a plot inside. */
static void
frame(struct canvas *c, const char *title, struct plot *p, const struct plot_range *xr,
      const struct plot_range *yr, const char *xlabel, const char *ylabel)
{
    canvas_clear(c);
    canvas_box(c, 0, 0, c->cols, c->rows, title, COL_DIM, COL_TITLE);
    plot_begin(p, c, 1, 1, c->cols - 2, c->rows - 2, xr, yr, xlabel, ylabel);
}

#define NS 200

static void
draw_sine(struct canvas *c)
{
    double x[NS], m[NS], lo[NS], hi[NS], truth[NS];
    for (int i = 0; i < NS; i++) {
        x[i] = -3 + 6.0 * i / (NS - 1);
        m[i] = sin(1.1 * x[i]) * 0.9;
        truth[i] = sin(x[i]);
        double sd = 0.12 + 0.05 * x[i] * x[i];
        lo[i] = m[i] - 2 * sd;
        hi[i] = m[i] + 2 * sd;
    }
    struct plot_range xr = {0}, yr = {0};
    double mn = NAN, mx = NAN;
    plot_extent(x, NS, false, &mn, &mx);
    plot_range_update(&xr, mn, mx);
    mn = mx = NAN;
    plot_extent(lo, NS, false, &mn, &mx);
    plot_extent(hi, NS, false, &mn, &mx);
    plot_range_update(&yr, mn, mx);
    struct plot p;
    frame(c, "data: posterior predictive", &p, &xr, &yr, "x", "y");
    plot_band(&p, x, lo, hi, NS, COL_BAND);
    plot_line(&p, x, truth, NS, COL_TRUTH, PAT_DOTTED);
    plot_line(&p, x, m, NS, COL_S1, PAT_SOLID);
    struct legend_entry le[] = {
        {"──", "--", "mean", COL_S1},
        {"··", "..", "truth", COL_TRUTH},
        {"⠡⠡", ": ", "2 sd", COL_BAND},
    };
    plot_legend(&p, le, 3);
}

static void
draw_regret(struct canvas *c)
{
    double n[NS], bound[NS], meas[NS];
    for (int i = 0; i < NS; i++) {
        n[i] = pow(10, 3.0 * i / (NS - 1)); /* 1 .. 1000 */
        bound[i] = log(n[i]) + 1.5;
        meas[i] = 0.8 * log(1 + n[i]) + 0.6 * (1 - exp(-n[i] / 4)) + 0.05 * sin(3 * log(n[i]));
    }
    struct plot_range xr = {.log = true}, yr = {.log = true};
    double mn = NAN, mx = NAN;
    plot_extent(n, NS, true, &mn, &mx);
    plot_range_update(&xr, mn, mx);
    mn = mx = NAN;
    plot_extent(bound, NS, true, &mn, &mx);
    plot_extent(meas, NS, true, &mn, &mx);
    plot_range_update(&yr, mn, mx);
    struct plot p;
    frame(c, "regret (nats) vs n", &p, &xr, &yr, "n", NULL);
    plot_line(&p, n, bound, NS, COL_S2, PAT_DASHED);
    plot_line(&p, n, meas, NS, COL_S1, PAT_SOLID);
    struct legend_entry le[] = {
        {"──", "--", "measured", COL_S1},
        {"╌╌", "- ", "(d/2) log n", COL_S2},
    };
    plot_legend(&p, le, 2);
}

static void
draw_ellipses(struct canvas *c)
{
    const double cx = 0.8, cy = 0.4, sxx = 0.25, sxy = 0.08, syy = 0.12;
    struct plot_range xr = {0}, yr = {0};
    /* Extent of the 2-sigma ellipse (centre +- 2 sqrt(diagonal)), with room
     * for the legend above and right. */
    plot_range_update(&xr, cx - 2 * sqrt(sxx), cx + 3 * sqrt(sxx));
    plot_range_update(&yr, cy - 2 * sqrt(syy), cy + 4 * sqrt(syy));
    struct plot p;
    frame(c, "posterior  w0 x w1", &p, &xr, &yr, "w0", "w1");
    plot_ellipse(&p, cx, cy, sxx, sxy, syy, 2, COL_S1, PAT_DASHED);
    plot_ellipse(&p, cx, cy, sxx, sxy, syy, 1, COL_S1, PAT_SOLID);
    plot_marker(&p, cx, cy, 0x25CF, COL_S1, ATTR_BOLD);
    plot_marker(&p, 1.1, 0.55, '+', COL_TRUTH, ATTR_BOLD);
    struct legend_entry le[] = {
        {"──", "--", "1 sd", COL_S1},
        {"╌╌", "- ", "2 sd", COL_S1},
        {"● ", "o ", "mean", COL_S1},
        {"+ ", "+ ", "truth", COL_TRUTH},
    };
    plot_legend(&p, le, 4);
}

static void
test_golden(void)
{
    struct {
        const char *name;
        void (*draw)(struct canvas *);
    } g[] = {
        {"plot_sine", draw_sine},
        {"plot_regret", draw_regret},
        {"plot_ellipse", draw_ellipses},
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        for (int ascii = 0; ascii <= 1; ascii++) {
            struct canvas c;
            CHECK(canvas_init(&c, 60, 16, ascii) == 0, "canvas");
            g[i].draw(&c);
            char name[64];
            snprintf(name, sizeof name, "%s%s", g[i].name, ascii ? "_ascii" : "");
            golden(name, &c);
            canvas_free(&c);
        }
}

/* One rule for numbers shown in text: sig digits, plain or 1.77e4. */
static void
test_format_number(void)
{
    static const struct {
        double v;
        int sig;
        const char *want;
    } cases[] = {
        {17660.4, 3, "1.77e4"}, {17660.4, 4, "1.766e4"}, {4560, 4, "4560"}, {4560, 3, "4.56e3"},
        {0.0123, 3, "0.0123"},  {-2.59641, 4, "-2.596"}, {2e-5, 3, "2e-5"}, {0, 3, "0"},
        {9.996e5, 3, "1e6"},    {-123456, 2, "-1.2e5"},  {1, 3, "1"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plot_format_number(cases[i].v, cases[i].sig, buf, sizeof buf);
        CHECK(strcmp(buf, cases[i].want) == 0, "format %g (%d digits): '%s', want '%s'", cases[i].v,
              cases[i].sig, buf, cases[i].want);
    }
    plot_format_number(NAN, 3, buf, sizeof buf);
    CHECK(strcmp(buf, "nan") == 0, "format nan: %s", buf);
}

/* Shared cells: the higher layer owns them whatever the order; density
 * dots give way to lines; the legend finds the emptiest corner and names
 * its series. */
static void
test_layers(void)
{
    struct canvas c;
    CHECK(canvas_init(&c, 40, 12, false) == 0, "canvas");
    struct plot_range xr = {.lo = 0, .hi = 1, .valid = true, .fixed = true};
    struct plot_range yr = {.lo = 0, .hi = 1, .valid = true, .fixed = true};
    struct plot pl;
    plot_begin(&pl, &c, 0, 0, 40, 12, &xr, &yr, NULL, NULL);
    double x[2] = {0, 1}, y[2] = {0.5, 0.5};
    int truth = plot_series(&pl, "truth");
    plot_layer(&pl, LAYER_OVER);
    plot_line(&pl, x, y, 2, COL_TRUTH, PAT_DASHED);
    plot_layer(&pl, -1);
    int mean = plot_series(&pl, "mean");
    plot_line(&pl, x, y, 2, COL_S1, PAT_SOLID); /* drawn later, on the same cells */
    size_t nt = canvas_series_cells(&c, truth), nm = canvas_series_cells(&c, mean);
    CHECK(nt >= 3 && nm >= 3, "truth over the mean: both own cells (%zu, %zu)", nt, nm);
    /* Density points along the line: none lands in a line's cell. */
    double px[400], py[400];
    for (int i = 0; i < 400; i++) {
        px[i] = i / 399.0;
        py[i] = 0.5;
    }
    int pts = plot_series(&pl, "points");
    plot_layer(&pl, LAYER_DENSITY);
    plot_points(&pl, px, py, 400, COL_S2);
    CHECK(canvas_series_cells(&c, pts) == 0, "density gives way to lines (%zu cells)",
          canvas_series_cells(&c, pts));
    CHECK(canvas_series_cells(&c, truth) == nt && canvas_series_cells(&c, mean) == nm,
          "lines keep their cells under density dots");
    CHECK(c.nshape == 3 && c.shape[0].layer == LAYER_OVER && c.shape[1].series == mean &&
              c.shape[2].kind == SHAPE_DOTS && c.shape[2].n == 400,
          "display list: one shape per call with layer and series (%zu)", c.nshape);
    /* The top corners hold data: the legend goes to an empty one below. */
    double tx[2] = {0, 1}, ty[2] = {1, 1};
    plot_series(&pl, "top");
    plot_line(&pl, tx, ty, 2, COL_S3, PAT_SOLID);
    const struct legend_entry leg[] = {{"╌╌", "--", "truth", COL_TRUTH},
                                       {"──", "__", "mean", COL_S1}};
    plot_legend(&pl, leg, 2);
    int top_row = -1;
    for (int r = 0; r < c.rows && top_row < 0; r++) {
        char row[256];
        canvas_row_utf8(&c, r, row, sizeof row);
        if (strstr(row, "truth") != NULL)
            top_row = r;
    }
    CHECK(top_row > pl.prow, "legend not over the top line (row %d)", top_row);
    CHECK(c.series[truth - 1].legend && c.series[mean - 1].legend, "legend names its series");
    canvas_free(&c);
}

/* Integer quantities: integer ticks, one point included; short log index
 * axes list every index. */
static void
test_ticks_int(void)
{
    double t[64], step;
    size_t n = axis_ticks_int(199.5, 200.5, false, 8, t, &step);
    CHECK(n == 1 && t[0] == 200, "one point at 200: the tick 200 (%zu ticks, first %g)", n,
          n ? t[0] : (double)NAN);
    n = axis_ticks_int(200, 201, false, 8, t, &step);
    CHECK(n == 2 && t[0] == 200 && t[1] == 201, "200..201: 200 and 201 (%zu ticks)", n);
    n = axis_ticks_int(0, 5000, false, 6, t, &step);
    for (size_t i = 0; i < n; i++)
        CHECK(t[i] == floor(t[i]), "0..5000: tick %g is an integer", t[i]);
    n = axis_ticks_int(1, 3, true, 8, t, &step);
    CHECK(n == 3 && t[0] == 1 && t[1] == 2 && t[2] == 3, "log 1..3: 1, 2, 3 (%zu ticks)", n);
    n = axis_ticks_int(0.5, 12.5, false, 20, t, &step);
    CHECK(n >= 2 && t[0] >= 1 && t[n - 1] <= 12 && step >= 1, "layers 1..12: integer steps");
    CHECK(axis_ticks_int(200.2, 200.8, false, 8, t, &step) == 0, "no integer inside: no tick");
}

/* The glyph family of a dash pattern: its runs of drawn pixels over one
 * 32-pixel cycle (from a gap), each long (L, 3 or more) or short (S), reduced
 * to the shortest unit that repeats: solid "-", dashed "L", dotted "S",
 * dash-dot "LS", dash-dot-dot "LSS". A longer dash is still "L". */
static void
family(uint32_t pat, char *out, size_t size)
{
    if (pat == 0xFFFFFFFFu) {
        snprintf(out, size, "-");
        return;
    }
    int start = 0;
    while ((pat >> start) & 1u)
        start++;
    char runs[33];
    int n = 0, len = 0;
    for (int k = 1; k <= 32; k++) {
        bool on = (pat >> ((start + k) % 32)) & 1u;
        if (on)
            len++;
        if ((!on || k == 32) && len > 0) {
            runs[n++] = len >= 3 ? 'L' : 'S';
            len = 0;
        }
    }
    runs[n] = 0;
    for (int u = 1; u <= n; u++) {
        if (n % u != 0)
            continue;
        bool rep = true;
        for (int k = u; k < n && rep; k++)
            rep = runs[k] == runs[k % u];
        if (rep) {
            /* The unit starting at its longest run: "SL" and "LS" are one family. */
            char unit[33];
            int at = 0;
            for (int k = 0; k < u; k++)
                if (runs[k] == 'L') {
                    at = k;
                    break;
                }
            for (int k = 0; k < u; k++)
                unit[k] = runs[(at + k) % u];
            unit[u] = 0;
            snprintf(out, size, "%s", unit);
            return;
        }
    }
    snprintf(out, size, "%s", runs);
}

/* Two samples alike without colour: as many bytes, each equal or a blank
 * in one of them ("──" and "─ " differ only by a gap). */
static bool
alike(const char *a, const char *b)
{
    if (strlen(a) != strlen(b))
        return false;
    for (size_t i = 0; a[i] != 0; i++)
        if (a[i] != b[i] && a[i] != ' ' && b[i] != ' ')
            return false;
    return true;
}

/* Every two line styles differ in glyph family and in their legend samples
 * (UTF-8 and ASCII), so series of one plot read apart without colour. */
static void
test_styles(void)
{
    char fa[40], fb[40];
    family(0x00FF00FFu, fa, sizeof fa);
    family(PAT_DASHED, fb, sizeof fb);
    CHECK(strcmp(fa, fb) == 0, "a long dash is a dash: %s, %s", fa, fb);
    family(PAT_DOTTED, fa, sizeof fa);
    CHECK(strcmp(fa, "S") == 0, "dotted: %s", fa);
    family(PAT_DASH_DOT, fa, sizeof fa);
    CHECK(strcmp(fa, "LS") == 0, "dash-dot: %s", fa);
    family(PAT_DASH_DOTS, fa, sizeof fa);
    CHECK(strcmp(fa, "LSS") == 0, "dash-dot-dot: %s", fa);
    for (int i = 0; i < PLOT_STYLES; i++)
        for (int j = i + 1; j < PLOT_STYLES; j++) {
            const struct plot_style *a = &plot_styles[i], *b = &plot_styles[j];
            family(a->pattern, fa, sizeof fa);
            family(b->pattern, fb, sizeof fb);
            CHECK(strcmp(fa, fb) != 0, "styles %d and %d: one family (%s)", i, j, fa);
            CHECK(!alike(a->sample, b->sample), "styles %d and %d: samples %s and %s alike", i, j,
                  a->sample, b->sample);
            CHECK(!alike(a->ascii_sample, b->ascii_sample),
                  "styles %d and %d: ASCII samples %s and %s alike", i, j, a->ascii_sample,
                  b->ascii_sample);
        }
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    test_ticks();
    test_ticks_int();
    test_range();
    test_styles();
    test_plot_clip();
    test_plot_degenerate();
    test_golden();
    test_format_number();
    test_layers();
    return TEST_REPORT();
}
