/* tests/test_ui_shade.c - sampler draws fill the target: after 20,000 HMC
 * draws on the banana (4 chains x 5000) the posterior pane at 120 x 40
 * shades at least half of the cells inside its 86% contour that a line or
 * marker has not taken, and the draws inside the 39/86/99% contours (U
 * below the pane's contour levels) are within 3 points of 39/86/99%. Also
 * the shade primitive's levels and the fixed view (a step does not move it),
 * and a GP's posterior pane: f at two inputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"
#include "cmd_harness.h"
#include "ui/canvas.h"
#include "ui/pane.h"
#include "ui/pane_posterior.h"
#include "ui/plot.h"
#include "ui/shade.h"

extern const struct pane_desc pane_posterior;

static void
test_levels(void)
{
    CHECK(shade_level(0, 10) == 0, "empty cell: level 0");
    CHECK(shade_level(10, 10) == SHADE_LEVELS, "the fullest cell: the top level");
    CHECK(shade_level(1e-9, 10) == 1, "any weight shows");
    for (double c = 1; c < 10; c++)
        CHECK(shade_level(c, 10) <= shade_level(c + 1, 10), "levels rise with the count");
}

/* Data coordinates of a canvas pixel (inverse of plot_px/plot_py). */
static double
inv(double (*f)(const struct plot *, double), const struct plot *pl, double pix)
{
    double a = f(pl, 0), b = f(pl, 1) - a;
    return (pix - a) / b;
}

static void
draw(void *st, const struct session *s, struct canvas *c)
{
    canvas_clear(c);
    pane_posterior.draw(st, s, c, 0, 0, c->cols, c->rows);
}

static void
test_banana(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL, "session: %s", err.msg);
    if (s == NULL)
        return;
    CHECK(run(s, "seed 1; sampler hmc target=banana step=0.1 leapfrog=20; step", &err) == BL_OK,
          "setup: %s", err.msg);
    void *st = pane_posterior.create(NULL);
    struct canvas c;
    CHECK(st != NULL && canvas_init(&c, 120, 40, false) == 0, "pane and canvas");
    struct plot first, pl;
    double level[3];
    draw(st, s, &c);
    CHECK(pane_posterior_sampler_plot(st, &first, level, NULL), "a sampler view after one step");
    CHECK(run(s, "step 3; sample 5000", &err) == BL_OK, "sample: %s", err.msg);
    draw(st, s, &c);
    const struct shade_hist *hist = NULL;
    CHECK(pane_posterior_sampler_plot(st, &pl, level, &hist), "a sampler view after 5000");
    CHECK(pl.x.lo == first.x.lo && pl.x.hi == first.x.hi && pl.y.lo == first.y.lo &&
              pl.y.hi == first.y.hi,
          "the view stays put: x %g..%g y %g..%g after one step, x %g..%g y %g..%g after 5000",
          first.x.lo, first.x.hi, first.y.lo, first.y.hi, pl.x.lo, pl.x.hi, pl.y.lo, pl.y.hi);
    const struct sampler_job *j = s->smp;
    CHECK(j->K * j->count >= 20000, "20,000 draws kept (%zu)", j->K * j->count);
    for (int q = 0; q < 3; q++)
        CHECK(isfinite(level[q]), "contour level %d", q);

    /* Cells inside the 86% contour (U at the cell's centre below the level):
     * shaded when the histogram gives them a level (drawn in UTF-8 under
     * any line through the cell), and of the cells no line or marker took,
     * those that show the shade on the canvas. */
    size_t inside = 0, shaded = 0, free_cells = 0, free_shaded = 0;
    for (int r = pl.prow; r < pl.prow + pl.ph; r++)
        for (int k = pl.pcol; k < pl.pcol + pl.pw; k++) {
            double w[2] = {inv(plot_px, &pl, 2.0 * k + 0.5), inv(plot_py, &pl, 4.0 * r + 1.5)}, U;
            if (target_eval(j->t, w, &U, NULL, &err) != BL_OK || !(U < level[1]))
                continue;
            inside++;
            size_t at = (size_t)(r - pl.prow) * (size_t)hist->w + (size_t)(k - pl.pcol);
            shaded += hist->count[at] > 0;
            bool shade = shade_cell_is_shade(&c, k, r);
            if (shade || canvas_glyph(&c, k, r) == ' ')
                free_cells++, free_shaded += shade;
        }
    double cover = inside > 0 ? (double)shaded / (double)inside : 0;
    double fcover = free_cells > 0 ? (double)free_shaded / (double)free_cells : 0;
    printf("# banana 120x40: %zu cells inside the 86%% contour, %zu shaded (%.3f); "
           "%zu free of lines, %zu of them showing the shade (%.3f)\n",
           inside, shaded, cover, free_cells, free_shaded, fcover);
    CHECK(hist != NULL && hist->w == pl.pw && hist->h == pl.ph, "the histogram covers the plot");
    CHECK(cover >= 0.5, "shaded cover of the 86%% region %.3f < 0.5", cover);
    CHECK(fcover >= 0.5, "shade shown in the free cells of the 86%% region %.3f < 0.5", fcover);

    /* Draws inside each contour. */
    static const double want[3] = {0.3935, 0.8647, 0.9889};
    size_t in[3] = {0}, n = 0;
    for (size_t k = 0; k < j->K; k++)
        for (size_t q = 0; q < j->count; q++) {
            double U;
            if (target_eval(j->t, j->draws + (k * j->keep + q) * j->d, &U, NULL, &err) != BL_OK)
                continue;
            n++;
            for (int l = 0; l < 3; l++)
                in[l] += U < level[l];
        }
    for (int l = 0; l < 3; l++) {
        double f = (double)in[l] / (double)n;
        printf("# draws inside the %.0f%% contour: %.4f\n", 100 * want[l], f);
        CHECK(fabs(f - want[l]) <= 0.03, "draws inside the %.0f%% contour: %.4f", 100 * want[l], f);
    }
    /* ASCII: the ramp in the free cells, the lines still drawn. */
    struct canvas a;
    CHECK(canvas_init(&a, 120, 40, true) == 0, "ASCII canvas");
    draw(st, s, &a);
    CHECK(pane_posterior_sampler_plot(st, &pl, level, &hist), "an ASCII sampler view");
    size_t afree = 0, ashade = 0, alines = 0;
    for (int r = pl.prow; r < pl.prow + pl.ph; r++)
        for (int k = pl.pcol; k < pl.pcol + pl.pw; k++) {
            double w[2] = {inv(plot_px, &pl, 2.0 * k + 0.5), inv(plot_py, &pl, 4.0 * r + 1.5)}, U;
            if (target_eval(j->t, w, &U, NULL, &err) != BL_OK || !(U < level[1]))
                continue;
            bool shade = shade_cell_is_shade(&a, k, r);
            if (shade || canvas_glyph(&a, k, r) == ' ')
                afree++, ashade += shade;
            else
                alines++;
        }
    printf("# ASCII: %zu free cells in the 86%% region, %zu show the ramp; %zu hold lines\n", afree,
           ashade, alines);
    CHECK(afree > 0 && ashade * 2 >= afree, "ASCII ramp in the free cells: %zu of %zu", ashade,
          afree);
    CHECK(alines > 0, "ASCII: the contours are drawn over the ramp");
    canvas_free(&a);
    canvas_free(&c);
    pane_posterior.destroy(st);
    session_free(s);
}

/* A GP's posterior pane: the joint posterior of f at two inputs with the
 * prior's ellipse, not a sentence; x= chooses the inputs. */
static void
test_gp_joint(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL, "session");
    if (s == NULL)
        return;
    CHECK(run(s, "seed 1; data linear d=1; model gp; observe 20; pane posterior x=-1,0.5", &err) ==
              BL_OK,
          "gp: %s", err.msg);
    void *st = pane_posterior.create(NULL);
    struct canvas c;
    CHECK(st != NULL && canvas_init(&c, 80, 22, false) == 0, "pane and canvas");
    draw(st, s, &c);
    char row[1024], title[128];
    bool post = false, prior = false, xl = false;
    for (int r = 0; r < c.rows; r++) {
        canvas_row_utf8(&c, r, row, sizeof row);
        post |= strstr(row, "posterior 1 sd") != NULL;
        prior |= strstr(row, "prior 2 sd") != NULL;
        xl |= strstr(row, "f(-1)") != NULL;
    }
    CHECK(post && prior, "gp: posterior and prior ellipses named in the legend");
    CHECK(xl, "gp: the axis names the chosen input f(-1)");
    pane_posterior.title(st, s, title, sizeof title);
    CHECK(strstr(title, "f(-1), f(0.5)") != NULL, "gp title: %s", title);
    canvas_free(&c);
    pane_posterior.destroy(st);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "register: %s", err.msg);
    test_levels();
    test_banana();
    test_gp_joint();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
