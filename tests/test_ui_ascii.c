/* tests/test_ui_ascii.c - in ASCII mode without colour every series a legend
 * names is drawn with the characters its legend sample shows (README: no
 * series is told apart by colour alone). Renders sessions the way
 * `screenshot` does on an ASCII canvas (colour never reaches the canvas, so
 * this is what a NO_COLOR terminal shows) and checks, for every plot whose
 * legend names two or more series, each cell of dots a named series owns:
 * its character must be one of that series' legend sample. Sessions: the
 * data pane of a Bayesian linear regression at 80x24 (one pane and the
 * default layout), and tests/golden/screens.lens at every screenshot it
 * takes, at that size. Densities (a shade ramp of their own) and cells of
 * text (markers, labels) are not dots and are not checked. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/out.h"
#include "commands/session.h"
#include "harness.h"
#include "ui/canvas.h"
#include "ui/pane.h"
#include "ui/plot.h"
#include "ui/render.h"

static struct ui ui;
static const char *where;
static size_t checked; /* cells checked over the whole run */

/* Named series of one plot with a sample: how many share plot id. */
static int
named_in(const struct canvas *c, int plot)
{
    int n = 0;
    for (int k = 1; k <= c->nseries; k++)
        n += c->series[k - 1].legend && !c->series[k - 1].hidden && c->series[k - 1].plot == plot;
    return n;
}

/* The characters of sample that are not blank, letters or marker glyphs
 * (what a line of that series draws), as a set. */
static void
line_chars(const char *sample, bool *set)
{
    memset(set, 0, 128);
    for (const unsigned char *q = (const unsigned char *)sample; *q; q++)
        if (*q > ' ' && *q < 0x7F && !isalnum(*q) && strchr("@+*#%&$", *q) == NULL)
            set[*q] = true;
}

static bool
same_lines(const char *a, const char *b)
{
    bool sa[128], sb[128];
    line_chars(a, sa);
    line_chars(b, sb);
    return memcmp(sa, sb, sizeof sa) == 0;
}

static void
check_canvas(const struct canvas *c, int cols, int rows)
{
    size_t bad[CANVAS_MAX_SERIES + 1] = {0}, seen[CANVAS_MAX_SERIES + 1] = {0};
    uint32_t example[CANVAS_MAX_SERIES + 1] = {0};
    static bool drew[CANVAS_MAX_SERIES + 1][128]; /* the characters each series drew */
    memset(drew, 0, sizeof drew);
    for (int r = 0; r < c->rows; r++)
        for (int q = 0; q < c->cols; q++) {
            const struct cell *cl = &c->cells[(size_t)r * (size_t)c->cols + (size_t)q];
            int id = cl->series;
            if (cl->ch != 0 || cl->wide || cl->dots == 0 || id == 0 || id > c->nseries ||
                cl->layer == LAYER_DENSITY)
                continue;
            const struct canvas_series *sr = &c->series[id - 1];
            if (!sr->legend || sr->hidden || sr->sample[0] == '\0' || named_in(c, sr->plot) < 2)
                continue;
            uint32_t g = canvas_glyph(c, q, r);
            seen[id]++;
            checked++;
            drew[id][g & 0x7F] = true;
            if (g == ' ' || g > 0x7F || strchr(sr->sample, (int)g) == NULL) {
                bad[id]++;
                example[id] = g;
            }
        }
    for (int id = 1; id <= c->nseries; id++) {
        const struct canvas_series *sr = &c->series[id - 1];
        if (seen[id] == 0)
            continue;
        const char *pane = sr->pane >= 0 ? pane_at(sr->pane)->view.name : "?";
        CHECK(bad[id] == 0,
              "%s at %dx%d: the %s pane's '%s' (legend '%s') draws %zu of its %zu cells with "
              "other characters, e.g. '%c'",
              where, cols, rows, pane, sr->label, sr->sample, bad[id], seen[id], (char)example[id]);
    }
    /* Two series of one plot that drew the same set of characters could be
     * told apart by colour only. (A sampler's step, "@_", is a line like the
     * ellipse "__" with a marker at its end: its legend tells them apart by
     * the marker, which is text, not dots.) */
    for (int a = 1; a <= c->nseries; a++)
        for (int b = a + 1; b <= c->nseries; b++) {
            if (seen[a] == 0 || seen[b] == 0 || c->series[a - 1].plot != c->series[b - 1].plot ||
                same_lines(c->series[a - 1].sample, c->series[b - 1].sample))
                continue;
            CHECK(memcmp(drew[a], drew[b], sizeof drew[a]) != 0,
                  "%s at %dx%d: '%s' and '%s' are drawn with the same characters", where, cols,
                  rows, c->series[a - 1].label, c->series[b - 1].label);
        }
}

/* Render s on an ASCII canvas of cols x rows (the status line may name the
 * command running: no plot reads it) and check it. */
static void
measure(struct session *s, int cols, int rows)
{
    struct canvas c;
    bool ok = canvas_init(&c, cols, rows, true) == 0;
    CHECK(ok, "%s: no memory for %dx%d", where, cols, rows);
    if (ok) {
        ui_render(&ui, s, &c, NULL);
        check_canvas(&c, cols, rows);
    }
    canvas_free(&c);
}

static int
shot(struct session *s, const char *path, int cols, int rows, bl_err *err)
{
    (void)err;
    const char *base = strrchr(path, '/'), *was = where;
    where = base ? base + 1 : path;
    measure(s, cols, rows);
    where = was;
    return BL_OK;
}

/* A fresh session in ASCII mode; screenshots are measured, not written. */
static struct session *
open_session(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL, "session: %s", s ? "" : err.msg);
    if (s == NULL)
        return NULL;
    if (ui_init(&ui, true) != 0) {
        CHECK(false, "ui_init");
        session_free(s);
        return NULL;
    }
    ui_attach(&ui, s);
    s->render = shot;
    return s;
}

static void
close_session(struct session *s)
{
    ui_free(&ui);
    session_free(s);
}

/* The user's report: truth, mean, both bands and the draws of a data pane,
 * alone and in the default layout. */
static void
test_data_pane(void)
{
    struct session *s = open_session();
    if (s == NULL)
        return;
    struct out_buffer ob;
    out_buffer_init(&ob);
    bl_err err;
    where = "fourier, layout single";
    CHECK(cmd_run_line(s,
                       "seed 3; data fourier k=1 noise=0.3; model blr features=fourier m=1; "
                       "observe 8; layout single",
                       &ob.out, &err) == BL_OK,
          "setup: %s", err.msg);
    size_t before = checked;
    measure(s, 80, 24);
    CHECK(checked - before >= 50, "the data pane drew %zu cells of named series", checked - before);
    where = "fourier, layout default";
    CHECK(cmd_run_line(s, "layout default", &ob.out, &err) == BL_OK, "layout: %s", err.msg);
    measure(s, 80, 24);
    measure(s, 160, 48);
    out_buffer_free(&ob);
    close_session(s);
}

/* A plot of its own: two named lines of different styles, and a line no
 * legend names (it keeps the dot-mask characters). */
static void
test_plot(void)
{
    struct canvas c;
    CHECK(canvas_init(&c, 40, 12, true) == 0, "canvas");
    struct plot_range xr = {0}, yr = {0};
    plot_range_update(&xr, 0, 1);
    plot_range_update(&yr, 0, 1);
    struct plot p;
    plot_begin(&p, &c, 0, 0, 40, 12, &xr, &yr, NULL, NULL);
    double x[2] = {0, 1}, a[2] = {0.1, 0.9}, b[2] = {0.9, 0.1}, u[2] = {0.5, 0.52};
    plot_series(&p, "rising");
    plot_line(&p, x, a, 2, COL_S1, plot_styles[0].pattern);
    plot_series(&p, "falling");
    plot_line(&p, x, b, 2, COL_S2, plot_styles[3].pattern);
    plot_series(&p, "unnamed");
    plot_line(&p, x, u, 2, COL_S3, PAT_SOLID);
    plot_series(&p, NULL);
    const struct legend_entry le[] = {
        {plot_styles[0].sample, plot_styles[0].ascii_sample, "rising", COL_S1},
        {plot_styles[3].sample, plot_styles[3].ascii_sample, "falling", COL_S2},
    };
    plot_legend(&p, le, 2);
    where = "plot";
    size_t before = checked;
    check_canvas(&c, 40, 12);
    CHECK(checked - before >= 20, "the two lines own %zu cells", checked - before);
    /* The unnamed line: dot-mask characters ('-' for a flat run), not a sample's. */
    bool flat = false;
    for (int r = 0; r < c.rows; r++)
        for (int q = 0; q < c.cols; q++) {
            const struct cell *cl = &c.cells[(size_t)r * (size_t)c.cols + (size_t)q];
            if (cl->ch == 0 && cl->dots != 0 && cl->series == 3 && cl->layer != LAYER_NONE)
                flat |= canvas_glyph(&c, q, r) == '-' || canvas_glyph(&c, q, r) == '.' ||
                        canvas_glyph(&c, q, r) == '\'';
        }
    CHECK(flat, "a line no legend names keeps the dot-mask characters");
    canvas_free(&c);
}

/* Every screen of tests/golden/screens.lens, in ASCII. */
static void
test_screens(void)
{
    struct session *s = open_session();
    if (s == NULL)
        return;
    const char *path = test_path("golden/screens.lens");
    struct out_buffer ob;
    out_buffer_init(&ob);
    bl_err err;
    where = "screens.lens";
    CHECK(session_source(s, path, &ob.out, &err) == BL_OK, "%s: %s", path, err.msg);
    out_buffer_free(&ob);
    close_session(s);
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "panes: %s", err.msg);
    test_plot();
    test_data_pane();
    test_screens();
    printf("%zu cells of named series checked\n", checked);
    return TEST_REPORT();
}
