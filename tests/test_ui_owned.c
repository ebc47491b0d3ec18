/* tests/test_ui_owned.c - every series a legend names is visible: renders a
 * session's screen the way `screenshot` does and counts, per legend entry,
 * the cells its series owns on the canvas (struct cell.series). Each entry
 * must own at least MIN_CELLS cells (one, for a series drawn only as glyph
 * markers), or the legend must say it is hidden and why. Sessions: tests/golden/screens.lens at every screenshot it takes (at
 * that size), and every examples/NAME.lens at its end, at 80x24 and 200x60.
 * The other way round, a series drawn in a plot with a legend is named in
 * it or said hidden. The table of counts is printed (ctest -V shows it).
 * Also: a long error wraps in the log strip, the too-small screen names the
 * size needed, and plots side by side keep a blank column between them. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/out.h"
#include "commands/session.h"
#include "harness.h"
#include "ui/canvas.h"
#include "ui/logbuf.h"
#include "ui/pane.h"
#include "ui/plot.h"
#include "ui/render.h"

#define MIN_CELLS 3

/* Panes another change is redrawing (their series are not yet named with
 * plot_series, so their legend entries own no cells): a failure there is
 * reported as expected-to-be-fixed, not counted. Remove a pane from this list
 * when it names its series. */
static const char *const expected_to_be_fixed[] = {NULL};

static bool
expected(const char *pane)
{
    for (size_t i = 0; expected_to_be_fixed[i] != NULL; i++)
        if (strcmp(pane, expected_to_be_fixed[i]) == 0)
            return true;
    return false;
}

static struct ui ui;
static const char *where; /* the session being measured, for messages */
static int expected_failures;

/* Two legend samples a reader without colour could take for each other:
 * as many cells, each the same glyph or a blank in one of them ("──" and
 * "─ " differ only by a gap). */
static uint32_t
next_cp(const char **q)
{
    const unsigned char *u = (const unsigned char *)*q;
    int len = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? u[0] : u[0] & (0x3F >> (len - 1));
    for (int i = 1; i < len && u[i] != 0; i++)
        cp = cp << 6 | (u[i] & 0x3F);
    for (int i = 0; i < len && **q; i++)
        (*q)++;
    return cp;
}

static bool
confusable(const char *a, const char *b)
{
    uint32_t ca[8], cb[8];
    size_t na = 0, nb = 0;
    for (const char *q = a; *q && na < 8;)
        ca[na++] = next_cp(&q);
    for (const char *q = b; *q && nb < 8;)
        cb[nb++] = next_cp(&q);
    if (na != nb || na == 0)
        return false;
    for (size_t i = 0; i < na; i++)
        if (ca[i] != cb[i] && ca[i] != ' ' && cb[i] != ' ')
            return false;
    return true;
}

/* Every two entries of one legend are told apart without colour (NO_COLOR,
 * monochrome terminals): their samples differ in a cell where both draw. */
static void
check_samples(const struct canvas *c, int cols, int rows)
{
    for (int a = 1; a <= c->nseries; a++)
        for (int b = a + 1; b <= c->nseries; b++) {
            const struct canvas_series *x = &c->series[a - 1], *y = &c->series[b - 1];
            if (!x->legend || !y->legend || x->plot == 0 || x->plot != y->plot)
                continue;
            CHECK(!confusable(x->sample, y->sample),
                  "%s at %dx%d: legend entries '%s' (%s) and '%s' (%s) look alike without colour",
                  where, cols, rows, x->label, x->sample, y->label, y->sample);
        }
}

/* Series a legend leaves out by design: in a narrow data pane, the points
 * and the draws (one entry for both bands, none for the points and draws:
 * ui/pane_data.c; test_offscale checks a wide one lists its points). */
static const char *const unlisted[][2] = {{"data", "points"}, {"data", "draws"}};

static bool on_row(const struct canvas *c, int r, const char *t);

/* Every off-scale mark (▲ ▼, plot_offscale) is explained: drawn under a
 * series a legend names (or says hidden), while a ▲ or ▼ of no series is a
 * legend's sample, on a row that says "off scale". */
static void
check_marks(const struct canvas *c, int cols, int rows)
{
    for (int r = 0; r < c->rows; r++)
        for (int q = 0; q < c->cols; q++) {
            const struct cell *cl = &c->cells[(size_t)r * (size_t)c->cols + (size_t)q];
            if (cl->ch != 0x25B2 && cl->ch != 0x25BC)
                continue;
            const struct canvas_series *sr =
                cl->series != 0 && cl->series <= c->nseries ? &c->series[cl->series - 1] : NULL;
            if (sr != NULL)
                CHECK(sr->legend || sr->hidden,
                      "%s at %dx%d: the mark at %d,%d ('%s') has no legend entry", where, cols,
                      rows, q, r, sr->label);
            else
                CHECK(on_row(c, r, "off scale"),
                      "%s at %dx%d: a mark at %d,%d of no series, not a legend's sample", where,
                      cols, rows, q, r);
        }
}

/* The other way round: a series drawn in a plot that has a legend is named
 * in that legend, or the legend says it is hidden (a 40-column spectrum
 * tile dropped the posterior covariance's entry, too wide, while drawing
 * its line). */
static void
check_unnamed(const struct canvas *c, int cols, int rows)
{
    for (int id = 1; id <= c->nseries; id++) {
        const struct canvas_series *sr = &c->series[id - 1];
        if (sr->drawn_in == 0 || sr->legend || sr->hidden || sr->label[0] == '\0' ||
            canvas_series_cells(c, id) < MIN_CELLS)
            continue;
        bool by_design = false;
        for (size_t k = 0; k < sizeof unlisted / sizeof unlisted[0]; k++)
            by_design |= sr->pane >= 0 &&
                         strcmp(pane_at(sr->pane)->view.name, unlisted[k][0]) == 0 &&
                         strcmp(sr->label, unlisted[k][1]) == 0;
        if (by_design)
            continue;
        bool legend = false;
        for (int k = 1; k <= c->nseries && !legend; k++)
            legend = c->series[k - 1].legend && c->series[k - 1].plot == sr->drawn_in;
        const char *pane = sr->pane >= 0 ? pane_at(sr->pane)->view.name : "?";
        CHECK(!legend,
              "%s at %dx%d: the %s pane draws '%s' (%zu cells) but its legend does not "
              "name it",
              where, cols, rows, pane, sr->label, canvas_series_cells(c, id));
    }
}

/* Render s at cols x rows and check every legend entry's cells. */
static void
measure(struct session *s, int cols, int rows)
{
    struct canvas c;
    if (canvas_init(&c, cols, rows, false) != 0) {
        CHECK(false, "%s: no memory for %dx%d", where, cols, rows);
        return;
    }
    const char *running = s->running;
    s->running = NULL;
    ui_render(&ui, s, &c, NULL);
    s->running = running;
    check_samples(&c, cols, rows);
    for (int id = 1; id <= c.nseries; id++) {
        const struct canvas_series *sr = &c.series[id - 1];
        if (!sr->legend && !sr->hidden)
            continue;
        const char *pane = sr->pane >= 0 ? pane_at(sr->pane)->view.name : "?";
        size_t n = canvas_series_cells(&c, id);
        /* A series drawn only as glyph markers (the newest point, a best k)
         * shows in one cell per marker: one is enough. */
        bool glyphs = false, other = false;
        for (size_t k = 0; k < c.nshape; k++)
            if (c.shape[k].series == id) {
                glyphs |= c.shape[k].kind == SHAPE_GLYPH;
                other |= c.shape[k].kind != SHAPE_GLYPH;
            }
        size_t need = glyphs && !other ? 1 : MIN_CELLS;
        printf("%-22s %3dx%-3d %-10s %-32s %5zu%s%s\n", where, cols, rows, pane, sr->label, n,
               sr->hidden ? "  hidden: " : "", sr->hidden ? sr->why : "");
        if (sr->hidden && sr->legend && sr->why[0] != '\0') {
            /* Whole, or in the narrower "(why)" (under the name of an
             * outside legend too narrow for "(hidden: why)"), or the
             * "(hidden)" of an inside legend too narrow for the reason. */
            char t[CANVAS_LABEL_SIZE + 16], t2[CANVAS_LABEL_SIZE + 16];
            snprintf(t, sizeof t, "(hidden: %s)", sr->why);
            snprintf(t2, sizeof t2, "(%s)", sr->why);
            bool whole = false;
            for (int r = 0; r < rows && !whole; r++)
                whole = on_row(&c, r, t) || on_row(&c, r, t2) || on_row(&c, r, "(hidden)");
            CHECK(whole, "%s at %dx%d: the %s pane's '%s (hidden: %s)' is not whole on a row",
                  where, cols, rows, pane, sr->label, sr->why);
        }
        if (sr->hidden || n >= need)
            continue;
        if (expected(pane)) {
            printf("  expected-to-be-fixed: %s pane, '%s' owns %zu cells\n", pane, sr->label, n);
            expected_failures++;
            continue;
        }
        CHECK(false, "%s at %dx%d: the %s pane's legend entry '%s' owns %zu cells (< %zu)", where,
              cols, rows, pane, sr->label, n, need);
    }
    check_unnamed(&c, cols, rows);
    check_marks(&c, cols, rows);
    canvas_free(&c);
}

/* The screenshot hook: measure at the size asked for instead of writing. */
static int
count_shot(struct session *s, const char *path, int cols, int rows, bl_err *err)
{
    (void)err;
    char name[96];
    const char *base = strrchr(path, '/');
    snprintf(name, sizeof name, "%s", base ? base + 1 : path);
    const char *was = where;
    where = name;
    measure(s, cols, rows);
    where = was;
    return BL_OK;
}

/* A fresh session the ui shows (attached), its output going to ob; NULL
 * (a failed check) when there is none. */
static struct session *
attached_session(struct out_buffer *ob)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL && ui_init(&ui, false) == 0, "session and ui");
    if (s == NULL)
        return NULL;
    ui_attach(&ui, s);
    out_buffer_init(ob);
    return s;
}

static void
close_session(struct session *s, struct out_buffer *ob)
{
    out_buffer_free(ob);
    ui_free(&ui);
    session_free(s);
}

/* Run script in a fresh session; measure at each screenshot, then at the end
 * at 80x24 and 200x60 when at_end. */
static void
run_script(const char *path, const char *name, bool at_end)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL, "session: %s", err.msg);
    if (s == NULL)
        return;
    if (ui_init(&ui, false) != 0) {
        CHECK(false, "ui_init");
        session_free(s);
        return;
    }
    ui_attach(&ui, s);
    s->render = count_shot;
    struct out_buffer ob;
    out_buffer_init(&ob);
    where = name;
    int rc = session_source(s, path, &ob.out, &err);
    CHECK(rc == BL_OK, "%s: %s", name, err.msg);
    if (rc == BL_OK && at_end) {
        measure(s, 80, 24);
        measure(s, 200, 60);
    }
    close_session(s, &ob);
}

/* The box (width times height, in cells) of the cells that series a or b
 * own in the posterior pane of s at cols x rows (0: none). */
static int
extent(struct session *s, const char *a, const char *b, int cols, int rows)
{
    struct canvas c;
    if (canvas_init(&c, cols, rows, false) != 0)
        return -1;
    ui_render(&ui, s, &c, NULL);
    bool mine[CANVAS_MAX_SERIES + 1] = {false};
    for (int k = 1; k <= c.nseries; k++) {
        const struct canvas_series *sr = &c.series[k - 1];
        mine[k] = sr->pane >= 0 && strcmp(pane_at(sr->pane)->view.name, "posterior") == 0 &&
                  (strcmp(sr->label, a) == 0 || (b != NULL && strcmp(sr->label, b) == 0));
    }
    int c0 = cols, c1 = -1, r0 = rows, r1 = -1;
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < cols; q++) {
            int id = c.cells[(size_t)r * (size_t)cols + (size_t)q].series;
            if (id > 0 && id <= CANVAS_MAX_SERIES && mine[id]) {
                c0 = q < c0 ? q : c0, c1 = q > c1 ? q : c1;
                r0 = r < r0 ? r : r0, r1 = r > r1 ? r : r1;
            }
        }
    canvas_free(&c);
    return c1 < 0 ? 0 : (c1 - c0 + 1) * (r1 - r0 + 1);
}

/* The posterior concentrates, visibly: in the prior's frame (the default)
 * the box of the 1 and 2 sd ellipses shrinks from n=1 to 10 to 1000 points,
 * at 80x24 and 200x60, inside the prior's 2 sd ellipse, which stays put
 * (at 80x24 the n=1000 one is in one cell, under the truth: the legend says so);
 * frame=posterior zooms to the posterior (and draws no prior). */
static void
test_concentration(void)
{
    static const int size[2][2] = {{80, 24}, {200, 60}};
    bl_err err;
    struct out_buffer ob;
    struct session *s = attached_session(&ob);
    if (s == NULL)
        return;
    CHECK(cmd_run_line(s, "seed 1; data linear d=1 noise=0.2 w=0.8; model blr alpha=2 bias=yes",
                       &ob.out, &err) == BL_OK, "setup: %s", err.msg);
    static const char *const steps[3] = {"observe 1", "observe 9", "observe 990"};
    int e[3][2], pr[3][2];
    for (int k = 0; k < 3; k++) {
        CHECK(cmd_run_line(s, steps[k], &ob.out, &err) == BL_OK, "%s: %s", steps[k], err.msg);
        for (int z = 0; z < 2; z++) {
            e[k][z] = extent(s, "1 sd", "2 sd", size[z][0], size[z][1]);
            pr[k][z] = extent(s, "prior 2 sd", NULL, size[z][0], size[z][1]);
        }
    }
    for (int z = 0; z < 2; z++) {
        printf("%dx%d: ellipses' box %d, %d, %d cells at n=1, 10, 1000; prior's %d, %d, %d\n",
               size[z][0], size[z][1], e[0][z], e[1][z], e[2][z], pr[0][z], pr[1][z], pr[2][z]);
        CHECK(e[0][z] >= 4 * e[1][z] && e[1][z] >= 4 * e[2][z] && e[1][z] > 0,
              "%dx%d: the ellipses' box %d, %d, %d at n=1, 10, 1000", size[z][0], size[z][1],
              e[0][z], e[1][z], e[2][z]);
        /* (The posterior's cells over the prior's take a few of them, and
         * the legend, as wide as what it says at each n, a few more.) */
        CHECK(pr[0][z] >= 100 && pr[1][z] * 10 >= pr[0][z] * 9 &&
                  pr[1][z] * 10 >= pr[2][z] * 9 && pr[2][z] * 10 >= pr[1][z] * 9,
              "%dx%d: the prior's box moved: %d, %d, %d", size[z][0], size[z][1], pr[0][z],
              pr[1][z], pr[2][z]);
    }
    CHECK(cmd_run_line(s, "pane posterior frame=posterior", &ob.out, &err) == BL_OK, "frame: %s",
          err.msg);
    int zoom = extent(s, "1 sd", "2 sd", 80, 24);
    CHECK(zoom >= e[0][0] / 2 && extent(s, "prior 2 sd", NULL, 80, 24) == 0,
          "frame=posterior: the ellipses' box at n=1000 is %d (n=1: %d), no prior", zoom, e[0][0]);
    close_session(s, &ob);
}

/* Text is not cut silently: a long error wraps in the log strip, and the
 * too-small screen names the size it needs in the space it has. */
static void
test_text(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL && ui_init(&ui, false) == 0, "session and ui");
    if (s == NULL)
        return;
    logbuf_add(&ui.log,
               "kernel: unknown name 'foo': choose rbf, matern12, matern32, matern52, periodic, "
               "linear, poly or a sum of these",
               true);
    struct canvas c;
    CHECK(canvas_init(&c, 60, 24, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    char text[24 * 256] = "";
    for (int r = 0; r < c.rows; r++) {
        char row[256];
        canvas_row_utf8(&c, r, row, sizeof row);
        strcat(text, row);
        strcat(text, "\n");
    }
    CHECK(strstr(text, "matern32") != NULL && strstr(text, "   these") != NULL,
          "a long error wraps whole onto the log strip:\n%s", text);
    static const struct {
        int cols, rows;
        const char *want;
    } small[] = {{30, 10, "too small (30x10): need 40x12"},
                 {22, 5, "too small: need 40x12"},
                 {12, 4, "need 40x12"}};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        canvas_resize(&c, small[i].cols, small[i].rows);
        ui_render(&ui, s, &c, NULL);
        bool found = false;
        for (int r = 0; r < c.rows && !found; r++) {
            char row[256];
            canvas_row_utf8(&c, r, row, sizeof row);
            found = strstr(row, small[i].want) != NULL;
        }
        CHECK(found, "%dx%d says '%s'", small[i].cols, small[i].rows, small[i].want);
    }
    canvas_free(&c);
    ui_free(&ui);
    session_free(s);
}

/* Cells owned by the series labelled label on c (0 if none). */
static size_t
cells_of(const struct canvas *c, const char *label)
{
    for (int id = 1; id <= c->nseries; id++)
        if (strcmp(c->series[id - 1].label, label) == 0)
            return canvas_series_cells(c, id);
    return 0;
}

/* The sampler pane's warm-up picture (step and acceptance as they adapt)
 * and its rank histograms, one named series per chain (ui/rank_plot.c). */
static void
test_sampler_pictures(void)
{
    bl_err err;
    struct out_buffer ob;
    struct session *s = attached_session(&ob);
    if (s == NULL)
        return;
    struct canvas c;
    CHECK(canvas_init(&c, 120, 40, false) == 0, "canvas");
    const char *warm = "seed 1; sampler nuts target=banana adapt=1 warmup=200; sample 100";
    CHECK(cmd_run_line(s, warm, &ob.out, &err) == BL_OK, "%s", err.msg);
    ui_render(&ui, s, &c, NULL);
    CHECK(cells_of(&c, "step (chain 0)") >= MIN_CELLS && cells_of(&c, "target delta") >= MIN_CELLS,
          "warm-up: step %zu cells, target %zu", cells_of(&c, "step (chain 0)"),
          cells_of(&c, "target delta"));
    CHECK(cmd_run_line(s, "sample 400; pane sampler plot=ranks", &ob.out, &err) == BL_OK, "%s",
          err.msg);
    ui_render(&ui, s, &c, NULL);
    for (int k = 0; k < 4; k++) {
        char name[16];
        snprintf(name, sizeof name, "chain %d", k);
        CHECK(cells_of(&c, name) >= MIN_CELLS, "ranks: %s owns %zu cells", name,
              cells_of(&c, name));
    }
    CHECK(cells_of(&c, "step (chain 0)") == 0, "no warm-up picture once draws are kept");
    CHECK(cmd_run_line(s, "pane sampler plot=diag", &ob.out, &err) == BL_OK, "%s", err.msg);
    ui_render(&ui, s, &c, NULL);
    CHECK(cells_of(&c, "chain 0") == 0, "plot=diag: no rank histograms");
    canvas_free(&c);
    close_session(s, &ob);
}

/* The codepoints of row r of c, one per column (0 for a wide glyph's tail). */
static void
glyph_row(const struct canvas *c, int r, uint32_t *out)
{
    for (int q = 0; q < c->cols; q++)
        out[q] = canvas_glyph(c, q, r);
}

/* Whether the text t (ASCII) is on row r of c. */
static bool
on_row(const struct canvas *c, int r, const char *t)
{
    char row[2048];
    canvas_row_utf8(c, r, row, sizeof row);
    return strstr(row, t) != NULL;
}

/* Plots side by side keep their own columns: in the sampler pane at 200x60
 * and 160x48 a column between the trace (left) and the diagnostics (right)
 * is blank from under the header to the bottom border, so no trace, legend
 * or axis of one plot touches the other's tick labels or title ("⣈⡇0.01 ┤",
 * "running mean2e-2 ┤", "⢸⠇to exact"); the distance plot's title is whole. */
static void
test_side_by_side(void)
{
    static const int size[][2] = {{200, 60}, {240, 60}}; /* narrower: plots stacked */
    static const char *const runs[] = {
        "seed 1; sampler hmc target=banana step=0.1 leapfrog=20; sample 500",
        "seed 1; sampler sgld target=banana step=0.01; sample 2000",
        "seed 1; sampler nuts target=logistic features=1; sample 300",
    };
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        bl_err err;
        struct out_buffer ob;
        struct session *s = attached_session(&ob);
        if (s == NULL)
            return;
        CHECK(cmd_run_line(s, runs[r], &ob.out, &err) == BL_OK, "%s: %s", runs[r], err.msg);
        for (size_t z = 0; z < sizeof size / sizeof size[0]; z++) {
            int cols = size[z][0], rows = size[z][1];
            struct canvas c;
            if (canvas_init(&c, cols, rows, false) != 0)
                break;
            ui_render(&ui, s, &c, NULL);
            uint32_t top[2048];
            glyph_row(&c, 0, top);
            /* The sampler tile: its box's left corner before "─ sampler". */
            int x0 = -1, x1 = -1, y1 = -1;
            for (int q = 0; q + 10 < cols && x0 < 0; q++)
                if (top[q] == 0x250C && top[q + 3] == 's' && top[q + 4] == 'a' &&
                    top[q + 5] == 'm' && top[q + 6] == 'p')
                    x0 = q;
            for (int q = x0 + 1; x0 >= 0 && q < cols && x1 < 0; q++)
                if (top[q] == 0x2510)
                    x1 = q;
            for (int y = 1; x0 >= 0 && y < rows && y1 < 0; y++)
                if (canvas_glyph(&c, x0, y) == 0x2514)
                    y1 = y;
            CHECK(x0 >= 0 && x1 > x0 + 40 && y1 > 10, "%s at %dx%d: no sampler tile", runs[r], cols,
                  rows);
            if (x0 < 0 || x1 <= x0 + 40 || y1 <= 10) {
                canvas_free(&c);
                continue;
            }
            int w = x1 - x0 - 1, gutter = -1;
            for (int q = x0 + 1 + w / 3; q < x0 + 1 + 2 * w / 3 && gutter < 0; q++) {
                bool blank = true;
                for (int y = 2; y < y1 && blank; y++)
                    blank = canvas_glyph(&c, q, y) == ' ';
                if (blank)
                    gutter = q;
            }
            char shot[8192] = "";
            for (int y = 0; y <= y1; y++) {
                char line[2048];
                canvas_row_utf8(&c, y, line, sizeof line);
                if (strlen(shot) + strlen(line) + 2 < sizeof shot)
                    strcat(strcat(shot, line), "\n");
            }
            CHECK(gutter >= 0, "%s at %dx%d: no blank column between the sampler's plots:\n%s",
                  runs[r], cols, rows, shot);
            bool lap = strstr(runs[r], "logistic") != NULL, title = false;
            for (int y = 1; y < y1 && !title; y++)
                title = on_row(&c, y, lap ? "W2, KL to Laplace" : "W2, KL to exact");
            CHECK(title, "%s at %dx%d: the distance plot's title is not whole:\n%s", runs[r], cols,
                  rows, shot);
            canvas_free(&c);
        }
        close_session(s, &ob);
    }
}

/* A session attached to ui, after running setup (ob: its output). NULL
 * (checked) without memory. */
static struct session *
ui_session(const char *setup, struct out_buffer *ob)
{
    bl_err err;
    struct session *s = attached_session(ob);
    if (s != NULL)
        CHECK(cmd_run_line(s, setup, &ob->out, &err) == BL_OK, "setup: %s", err.msg);
    return s;
}

/* Every drawn series is named, every named one is seen: a 40-column
 * spectrum tile (layout theory at 80x24) names the posterior covariance
 * (cut at a word) beside X^T X; at n = 1.5M the regret pane's closed form,
 * under the measured curve, is marked hidden rather than listed as drawn.
 * measure() checks both ways at 80x24 and 200x60. */
static void
test_named_and_seen(void)
{
    bl_err err;
    struct out_buffer ob;
    struct session *s = ui_session("seed 1; data fourier k=3 noise=0.2; model blr alpha=1 "
                                   "features=fourier m=3; observe 300; layout theory",
                                   &ob);
    if (s == NULL)
        return;
    where = "theory fourier n=300";
    measure(s, 80, 24);
    measure(s, 200, 60);
    struct canvas c;
    CHECK(canvas_init(&c, 80, 24, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    bool cov = false;
    for (int y = 0; y < c.rows && !cov; y++)
        cov = on_row(&c, y, "posterior cov");
    CHECK(cov, "80x24, layout theory: the spectrum's legend names the posterior covariance");
    canvas_free(&c);
    CHECK(cmd_run_line(s, "observe 1500000", &ob.out, &err) == BL_OK, "observe: %s", err.msg);
    where = "theory fourier n=1.5M";
    measure(s, 80, 24);
    measure(s, 200, 60);
    close_session(s, &ob);
}

/* The compare pane at 80x24: each side's log evidence, the number the row
 * compares, is printed whole after the side's name (it was cut to "-9.14…"
 * and "lo…"), and the fits' y axis follows the data and the bands over them
 * (poly(9)'s band past the data made it +-10 for data within +-2). */
static void
test_compare_header(void)
{
    bl_err err;
    struct out_buffer ob;
    struct session *s = ui_session("seed 1; data linear d=1 noise=0.3; model blr features=poly "
                                   "degree=3; compare model blr features=poly degree=9; observe 30",
                                   &ob);
    if (s == NULL)
        return;
    struct canvas c;
    CHECK(canvas_init(&c, 80, 24, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    const struct session *side[2] = {s, s->side_b};
    int header = -1;
    for (int y = 0; y < c.rows && header < 0; y++)
        if (on_row(&c, y, "│a: "))
            header = y;
    CHECK(header >= 0, "80x24 compare: a header row names side a");
    for (int k = 0; k < 2 && header >= 0 && side[k] != NULL; k++) {
        char v[32], want[48];
        plot_format_number(session_log_evidence(side[k]), 5, v, sizeof v);
        snprintf(want, sizeof want, "log ev %s ", v);
        char row[2048];
        canvas_row_utf8(&c, header, row, sizeof row);
        CHECK(on_row(&c, header, want), "80x24 compare: side %c's '%s' whole: %s", "ab"[k], want,
              row);
    }
    bool ten = false;
    for (int y = header + 1; header >= 0 && y < header + 10; y++)
        ten = ten || on_row(&c, y, "10 ┤");
    CHECK(!ten, "80x24 compare: the fits' y axis does not reach 10 for data within +-2");
    canvas_free(&c);
    /* A new world and compare start the axes again: uniform inputs on
     * [-1, 1] get ticks -1, -0.5, .., 1, not the wider range the gaussian
     * inputs grew (the axes only shrink when the data use under half). */
    CHECK(cmd_run_line(s,
                       "reset; seed 1; data linear d=1 noise=0.3 inputs=uniform; model blr; "
                       "compare model blr features=poly degree=3; observe 30",
                       &ob.out, &err) == BL_OK,
          "second compare: %s", err.msg);
    CHECK(canvas_init(&c, 80, 24, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    bool half = false;
    for (int y = 0; y < c.rows / 2 && !half; y++)
        half = on_row(&c, y, "-1     -0.5      0      0.5      1");
    CHECK(half, "80x24 compare after a new world: the x axis fits [-1, 1] again");
    canvas_free(&c);
    close_session(s, &ob);
}

/* Cells of c owning a glyph cp under a series labelled label, in pane. */
static int
marks(const struct canvas *c, const char *pane, const char *label, uint32_t cp)
{
    int n = 0;
    for (size_t k = 0; k < (size_t)c->rows * (size_t)c->cols; k++) {
        const struct cell *cl = &c->cells[k];
        if (cl->ch != cp || cl->series == 0 || cl->series > c->nseries)
            continue;
        const struct canvas_series *sr = &c->series[cl->series - 1];
        n += sr->pane >= 0 && strcmp(pane_at(sr->pane)->view.name, pane) == 0 &&
             strcmp(sr->label, label) == 0;
    }
    return n;
}

/* Rows of c that say t. */
static int
rows_with(const struct canvas *c, const char *t)
{
    int n = 0;
    for (int r = 0; r < c->rows; r++)
        n += on_row(c, r, t);
    return n;
}

/* s after 10 points of the default line (its band leaves the y range at
 * both ends, its posterior density is a peak), rendered at 200x60 into c. */
static void
linear_n10(struct session *s, struct out_buffer *ob, struct canvas *c)
{
    bl_err err;
    CHECK(cmd_run_line(s, "reset; seed 1; data linear; model blr; observe 10", &ob->out, &err) ==
              BL_OK,
          "setup: %s", err.msg);
    where = "linear n=10";
    CHECK(canvas_init(c, 200, 60, false) == 0, "canvas");
    ui_render(&ui, s, c, NULL);
}

/* Off-scale values are marked and the marks explained, only when drawn:
 * the occam sweep's degree 0 (hundreds of nats below the axis) gets a ▼
 * with a legend entry; a sweep with every value on the axes gets neither.
 * The data pane's band gets a mark and the entry "band off scale" only when
 * it leaves the y range (not after 10 points of a line, whose forecast mean
 * sets the range; at the top before 60 months of CO2 under a quadratic);
 * and the points have their entry. */
static void
test_offscale(void)
{
    bl_err err;
    struct out_buffer ob;
    struct session *s = ui_session("seed 4; data linear d=1 noise=0.3 inputs=uniform; model blr "
                                   "alpha=1 beta=11.1 features=poly degree=1; observe 30; sweep "
                                   "degree=0..9; pane sweep zoom",
                                   &ob);
    if (s == NULL)
        return;
    struct canvas c;
    where = "occam sweep";
    for (int big = 0; big < 2; big++) {
        int cols = big ? 200 : 80, rows = big ? 60 : 24;
        CHECK(canvas_init(&c, cols, rows, false) == 0, "canvas");
        ui_render(&ui, s, &c, NULL);
        CHECK(marks(&c, "sweep", "off scale", 0x25BC) >= 1,
              "%dx%d: degree 0, below the axis, is marked", cols, rows);
        CHECK(rows_with(&c, "\u25BC  off scale") == 1, "%dx%d: the legend explains the mark",
              cols, rows);
        check_marks(&c, cols, rows);
        canvas_free(&c);
    }
    CHECK(cmd_run_line(s, "sweep degree=1..5", &ob.out, &err) == BL_OK, "sweep: %s", err.msg);
    CHECK(canvas_init(&c, 200, 60, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    CHECK(marks(&c, "sweep", "off scale", 0x25BC) + marks(&c, "sweep", "off scale", 0x25B2) == 0 &&
              rows_with(&c, "off scale") == 0,
          "degree 1..5 on the axes: no mark, no entry");
    canvas_free(&c);
    linear_n10(s, &ob, &c);
    /* Ten points of a line: the forecast's mean past them sets the y range
     * (the world's inputs reach far past the data), and the bands stay on
     * it: no mark, no entry. */
    CHECK(marks(&c, "data", "band off scale", 0x25B2) == 0 &&
              marks(&c, "data", "band off scale", 0x25BC) == 0 &&
              rows_with(&c, "band off scale") == 0,
          "ten points of a line: the bands are on the axes, unmarked");
    canvas_free(&c);
    /* Sixty of CO2's 521 months under a quadratic: the band leaves the top
     * before the data (a mark at 1950) and the entry says so. */
    CHECK(cmd_run_line(s, "reset; seed 1; data builtin co2_monthly; model blr features=poly "
                          "degree=2; observe 60",
                       &ob.out, &err) == BL_OK,
          "co2: %s", err.msg);
    CHECK(canvas_init(&c, 200, 60, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    CHECK(marks(&c, "data", "band off scale", 0x25B2) == 1 &&
              marks(&c, "data", "band off scale", 0x25BC) == 0,
          "co2 under a quadratic: the band's one mark, at the top");
    CHECK(rows_with(&c, "\u25B2  band off scale") == 1, "the legend explains the mark");
    CHECK(rows_with(&c, "\u2801\u2802 points") == 1, "the points have a legend entry");
    check_marks(&c, 200, 60);
    canvas_free(&c);
    close_session(s, &ob);
}

/* The first row of c that says t, or -1. */
static int
row_of(const struct canvas *c, const char *t)
{
    for (int r = 0; r < c->rows; r++)
        if (on_row(c, r, t))
            return r;
    return -1;
}

/* A legend entry takes one row or two at 200 columns: a hidden entry's
 * reason goes whole on the row under its name (it wrapped over three rows,
 * "(hidden: in" and "one cell)" under "tr cov"), and the next entry follows.
 * Each screen and lecture measure() sees has every hidden entry's reason
 * whole on one row, or the short "(hidden)" of a narrow legend. */
static void
test_legend_rows(void)
{
    struct out_buffer ob;
    struct session *s = ui_session("seed 1; data linear d=1 noise=0.2 w=0.8; model blr alpha=2 "
                                   "bias=yes; observe 1",
                                   &ob);
    if (s == NULL)
        return;
    where = "sequential n=1";
    struct canvas c;
    CHECK(canvas_init(&c, 200, 60, false) == 0, "canvas");
    ui_render(&ui, s, &c, NULL);
    int r = row_of(&c, "\u2500\u2500 tr cov");
    CHECK(r >= 0 && on_row(&c, r + 1, "(hidden: in 1 cell)") &&
              on_row(&c, r + 2, "|mean - truth|") && on_row(&c, r + 3, "(hidden: in 1 cell)"),
          "tr cov and |mean - truth| take two rows each (row %d)", r);
    canvas_free(&c);
    measure(s, 200, 60);
    linear_n10(s, &ob, &c);
    r = row_of(&c, "1 sd region");
    CHECK(r >= 0 && on_row(&c, r + 1, "(hidden: in the peak)") &&
              on_row(&c, r + 2, "2 sd bounds") && on_row(&c, r + 3, "(hidden: in the peak)") &&
              on_row(&c, r + 4, "prior"),
          "the density's hidden bounds take two rows each (row %d)", r);
    canvas_free(&c);
    close_session(s, &ob);
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "panes: %s", err.msg);
    test_text();
    test_concentration();
    test_sampler_pictures();
    test_side_by_side();
    test_named_and_seen();
    test_compare_header();
    test_offscale();
    test_legend_rows();
    run_script(test_path("golden/screens.lens"), "screens.lens", false);

    /* The lectures, in name order. */
    const char *dir = test_path("../examples");
    DIR *d = opendir(dir);
    CHECK(d != NULL, "%s: cannot list", dir);
    char *names[64];
    size_t n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL && n < 64;) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".lens") == 0)
            names[n++] = strdup(e->d_name);
    }
    if (d != NULL)
        closedir(d);
    qsort(names, n, sizeof *names, by_name);
    CHECK(n > 0, "no examples/*.lens");
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        run_script(path, names[i], true);
        free(names[i]);
    }
    printf("%d legend entries expected to be fixed (panes:", expected_failures);
    for (size_t i = 0; expected_to_be_fixed[i] != NULL; i++)
        printf(" %s", expected_to_be_fixed[i]);
    printf(")\n");
    return TEST_REPORT();
}
