/* tests/bench/bench_ui_canvas.c - cost of one frame of plots.
 *
 * A 200x60 canvas split into four 100x30 boxed panes; each gets a plot with
 * a 2000-point band and two 2000-point lines (solid and dashed) and a legend,
 * then the canvas is written as UTF-8 text into a memory buffer
 * (open_memstream), as `screenshot` would. Prints the median over 50 frames
 * (CLOCK_MONOTONIC). Never part of the test suite (docs/design.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "ui/canvas.h"
#include "ui/plot.h"

#define NPTS 2000
#define RUNS 50

int
main(void)
{
    static double x[NPTS], y[4][NPTS], y2[4][NPTS], lo[4][NPTS], hi[4][NPTS];
    for (int i = 0; i < NPTS; i++) {
        x[i] = 10.0 * i / (NPTS - 1);
        for (int k = 0; k < 4; k++) {
            y[k][i] = sin(x[i] * (1 + 0.3 * k)) + 0.1 * k;
            y2[k][i] = cos(x[i] * (1 + 0.2 * k));
            double sd = 0.1 + 0.02 * x[i];
            lo[k][i] = y[k][i] - 2 * sd;
            hi[k][i] = y[k][i] + 2 * sd;
        }
    }
    struct canvas c;
    if (canvas_init(&c, 200, 60, false) != 0)
        return 1;
    struct plot_range xr[4] = {{0}}, yr[4] = {{0}};
    double t[RUNS];
    size_t bytes = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        canvas_clear(&c);
        for (int k = 0; k < 4; k++) {
            int col = (k % 2) * 100, row = (k / 2) * 30;
            double mn = NAN, mx = NAN;
            plot_extent(x, NPTS, false, &mn, &mx);
            plot_range_update(&xr[k], mn, mx);
            mn = mx = NAN;
            plot_extent(lo[k], NPTS, false, &mn, &mx);
            plot_extent(hi[k], NPTS, false, &mn, &mx);
            plot_extent(y2[k], NPTS, false, &mn, &mx);
            plot_range_update(&yr[k], mn, mx);
            canvas_box(&c, col, row, 100, 30, "pane", COL_DIM, COL_TITLE);
            struct plot p;
            plot_begin(&p, &c, col + 1, row + 1, 98, 28, &xr[k], &yr[k], "x", "y");
            plot_band(&p, x, lo[k], hi[k], NPTS, COL_BAND);
            plot_line(&p, x, y2[k], NPTS, COL_S2, PAT_DASHED);
            plot_line(&p, x, y[k], NPTS, COL_S1, PAT_SOLID);
            struct legend_entry le[] = {{"──", "--", "mean", COL_S1},
                                        {"╌╌", "- ", "other", COL_S2},
                                        {"⠡⠡", ": ", "2 sd", COL_BAND}};
            plot_legend(&p, le, 3);
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f == NULL || canvas_write_text(&c, f) != 0)
            return 1;
        fclose(f);
        bytes = len;
        free(buf);
        t[r] = now() - t0;
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("canvas 200x60 4 plots: %.3f ms per frame (median)\n", 1e3 * t[RUNS / 2]);
    printf("  (%d frames; %zu bytes of text per frame; fastest %.3f ms)\n", RUNS, bytes,
           1e3 * t[0]);
    canvas_free(&c);
    return 0;
}
