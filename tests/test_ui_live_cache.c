/* tests/test_ui_live_cache.c - the live screen's cached figures (a kernel
 * model's band on the data pane, both sides' predictives on the compare
 * pane) are current once a command is done. A line like `model gp ...;
 * observe 100` draws frames while it runs (observe's pump), the first before
 * the points arrive: the band cached there is the prior's. The frame after
 * the line must not keep it for being only milliseconds old, or the prior's
 * band stays on the screen until the next key. Each check compares a pane of
 * the live ui with a reference ui's, cell for cell: the reference drew the
 * same frames (so its axes kept the same ranges: they shrink only with
 * hysteresis), the last one as batch mode does, where nothing lags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"
#include "cmd_harness.h"
#include "ui/canvas.h"
#include "ui/layout.h"
#include "ui/pane.h"
#include "ui/render.h"

#define COLS 200
#define ROWS 60

/* The live front end and the reference: the pump draws a frame on both,
 * as ui/loop.c's does. */
struct live {
    struct ui u, ref;
    struct canvas c, rc;
    struct session *s;
    int frames;
};

static void
frame(struct live *l)
{
    ui_render(&l->u, l->s, &l->c, NULL);
    ui_render(&l->ref, l->s, &l->rc, NULL);
}

static void
live_pump(void *ctx)
{
    struct live *l = ctx;
    frame(l);
    l->frames++;
}

/* Whether pane `name` of the live frame shows the same cells as the
 * reference's frame of the session now, drawn as in batch; the first
 * differing row of the live frame to diff. */
static bool
pane_current(struct live *l, const char *name, char *diff, size_t size)
{
    l->s->interactive = false;
    ui_render(&l->ref, l->s, &l->rc, NULL);
    l->s->interactive = true;
    int p = view_pane_parse(name);
    if (p < 0)
        return false;
    const struct rect *a = &l->u.layout.pane[p], *b = &l->ref.layout.pane[p];
    bool same = a->w > 0 && a->col == b->col && a->row == b->row && a->w == b->w && a->h == b->h;
    for (int r = a->row; same && r < a->row + a->h; r++)
        for (int k = a->col; same && k < a->col + a->w; k++) {
            const struct cell *x = &l->c.cells[r * COLS + k], *y = &l->rc.cells[r * COLS + k];
            if (x->ch != y->ch || x->dots != y->dots || x->color != y->color) {
                same = false;
                canvas_row_utf8(&l->c, r, diff, size);
            }
        }
    return same;
}

static void
live_open(struct live *l, bl_err *err)
{
    memset(l, 0, sizeof *l);
    l->s = session_alloc(err);
    CHECK(l->s != NULL && ui_init(&l->u, false) == 0 && ui_init(&l->ref, false) == 0 &&
              canvas_init(&l->c, COLS, ROWS, false) == 0 &&
              canvas_init(&l->rc, COLS, ROWS, false) == 0,
          "setup");
    l->s->interactive = true;
    l->s->pump = (struct clock_pump){.fn = live_pump, .ctx = l};
}

static void
live_close(struct live *l)
{
    canvas_free(&l->c);
    canvas_free(&l->rc);
    ui_free(&l->u);
    ui_free(&l->ref);
    session_free(l->s);
}

/* One line: model and points; the frame after it, idle, is current. */
static void
test_one_line(const char *model, const char *pane)
{
    bl_err err;
    struct live l;
    live_open(&l, &err);
    char line[256], diff[4096] = "";
    snprintf(line, sizeof line, "seed 1; data fourier k=2 noise=0.1; %s; observe 100", model);
    CHECK(run(l.s, line, &err) == BL_OK, "%s: %s", line, err.msg);
    CHECK(l.frames > 0, "%s: no frame drawn while the line ran", model);
    frame(&l);
    CHECK(pane_current(&l, pane, diff, sizeof diff), "%s: the %s pane kept a stale figure: '%s'",
          model, pane, diff);
    live_close(&l);
}

/* While a paced job animates, a costly band may lag a refresh period behind
 * the session, but then the pane asks for the frame that brings it up to
 * date; once the job is paused, the next frame is current. */
static void
test_animating(void)
{
    bl_err err;
    struct live l;
    live_open(&l, &err);
    char diff[4096] = "";
    CHECK(run(l.s,
              "seed 1; data fourier k=2 noise=0.1; model gp kernel=rbf(ls=0.2) noise=0.1; "
              "observe 50; stream rate=1",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(job_set_running(&l.s->jobs), "the stream runs");
    frame(&l);
    CHECK(run(l.s, "observe 50", &err) == BL_OK, "%s", err.msg);
    frame(&l);
    CHECK(pane_current(&l, "data", diff, sizeof diff) || l.c.redraw_in > 0,
          "a lagging band asks for a frame: '%s'", diff);
    CHECK(run(l.s, "pause", &err) == BL_OK, "%s", err.msg);
    frame(&l);
    CHECK(pane_current(&l, "data", diff, sizeof diff), "paused: the band is current: '%s'", diff);
    live_close(&l);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "register: %s", err.msg);
    test_one_line("model gp kernel=rbf(ls=0.2) noise=0.1", "data");
    test_one_line("model tp kernel=rbf(ls=0.2) noise=0.1", "data");
    test_one_line("model gp kernel=rbf(ls=0.2) noise=0.1; "
                  "compare model tp kernel=rbf(ls=0.2) noise=0.1",
                  "compare");
    test_animating();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
