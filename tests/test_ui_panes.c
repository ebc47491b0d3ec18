/* tests/test_ui_panes.c - panes are registered, not listed in commands/:
 * the real table gives the `pane` and `layout` commands their names, keys
 * and messages; a throwaway pane defined only here is then listed by help
 * and completion, takes its keys, is laid out and drawn, with no other file
 * edited; registration refuses what the view could not keep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/job.h"
#include "commands/session.h"
#include "harness.h"
#include "cmd_harness.h"
#include "ui/canvas.h"
#include "ui/layout.h"
#include "ui/pane.h"
#include "ui/render.h"

/* The throwaway pane: a level and a mode, drawn as one line of text. */
static const char *const probe_modes[] = {"dots", "bars", NULL};

static void *
probe_create(const struct pane_host *host)
{
    (void)host;
    return calloc(1, 1);
}

static void
probe_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    (void)s;
    snprintf(buf, size, "probe");
}

static void
probe_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    (void)self;
    char msg[64];
    int mode = view_choice(&s->view, "probe", "mode");
    snprintf(msg, sizeof msg, "probe level %g %s", view_num(&s->view, "probe", "level", 0),
             mode < 0 ? "auto" : probe_modes[mode]);
    pane_message(c, col, row, w, h, msg);
}

static const struct view_key probe_keys[] = {
    {.arg = {.name = "level", .type = ARG_INT, .min = 1, .max = 9, .help = "probe: a level"},
     .init = {3}},
    {.arg = {.name = "mode", .type = ARG_CHOICE, .choices = probe_modes, .help = "probe: a mode"}},
    {.arg = {.name = NULL}},
};

static const struct pane_desc probe = {
    .view = {.name = "probe", .help = "a pane only this test knows", .keys = probe_keys,
             .shown = false, .ranges = false, .order = 50},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = probe_create,
    .destroy = free,
    .title = probe_title,
    .draw = probe_draw,
};

/* The real panes: the messages the `pane` and `layout` commands gave
 * before panes were registered, word for word. */
static void
test_real_table(void)
{
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "register: %s", err.msg);
    struct session *s = session_alloc(&err);
    CHECK(run(s, "seed 7; data linear d=2 noise=0.5; model blr alpha=2 beta=4; observe 10",
              &err) == BL_OK,
          "setup: %s", err.msg);
    struct {
        const char *line, *msg;
    } bad[] = {
        {"pane data xrange=1", "xrange=1: give lo,hi (e.g. xrange=-2,2) or auto"},
        {"pane data yrange=2,1", "yrange=2,1: need finite numbers lo < hi, or auto"},
        {"pane data w=0,1", "w=, x= and frame= are keys of the posterior pane"},
        {"pane posterior w=0,9", "w=0,9: the model has weights 0..1"},
        {"pane posterior w=1,1", "w= needs two different weight indices, e.g. w=0,1"},
        {"pane regret coord=1", "coord= and view= are keys of the data pane"},
        {"pane regret view=pred", "coord= and view= are keys of the data pane"},
        {"pane data logx=yes", "logx= is a key of the regret pane"},
        {"pane data coord=2", "coord=2: the inputs have coordinates 0..1"},
        {"pane frob", "name=frob: unknown (choose data, posterior, regret, spectrum, sampler, "
                      "theory, compare, sweep, train)"},
        {"pane log", "name=log: unknown"},
        {"layout grid", "name=grid: unknown (choose default, single, data, theory, sampler, compare, sweep, nn)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct view before = s->view;
        CHECK(run(s, bad[i].line, &err) != BL_OK, "'%s' accepted", bad[i].line);
        CHECK(strcmp(err.msg, bad[i].msg) == 0 || strstr(err.msg, bad[i].msg) == err.msg,
              "'%s': message '%s', want '%s'", bad[i].line, err.msg, bad[i].msg);
        CHECK(memcmp(&before, &s->view, sizeof before) == 0, "'%s' changed the view",
              bad[i].line);
    }
    /* Defaults and keys by name. */
    CHECK(view_is_on(&s->view, "data") && !view_is_on(&s->view, "sampler") &&
              view_has_focus(&s->view, "data") && view_layout_is(&s->view, "default"),
          "defaults: data on and focused, sampler off, default layout");
    CHECK(view_num(&s->view, "posterior", "w", 1) == 1, "w starts at 0,1");
    CHECK(run(s, "pane posterior w=1,0; pane data coord=1; pane regret logx=yes", &err) == BL_OK,
          "%s", err.msg);
    CHECK(view_num(&s->view, "posterior", "w", 0) == 1 &&
              view_num(&s->view, "posterior", "w", 1) == 0,
          "w=1,0 stored");
    CHECK(view_num(&s->view, "data", "coord", 0) == 1 && view_choice(&s->view, "data", "view") == 0,
          "coord=1 also picks view=coord");
    CHECK(run(s, "pane data coord=0 view=pred", &err) == BL_OK &&
              view_choice(&s->view, "data", "view") == 1,
          "view= after coord= wins");
    CHECK(view_choice(&s->view, "regret", "logx") == 1, "logx=yes");
    CHECK(run(s, "layout theory", &err) == BL_OK && view_layout_is(&s->view, "theory"), "layout");
    session_free(s);
}

static bool
has(char **list, const char *word)
{
    bool found = false;
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        found |= strcmp(list[i], word) == 0;
    return found;
}

static void
free_list(char **list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

/* Render s at cols x rows; true when the text appears on the screen. */
static bool
screen_has(struct ui *u, const struct session *s, int cols, int rows, const char *text)
{
    struct canvas c;
    char row[4096];
    bool found = false;
    if (canvas_init(&c, cols, rows, false) != 0)
        return false;
    ui_render(u, s, &c, NULL);
    for (int r = 0; r < rows && !found; r++) {
        canvas_row_utf8(&c, r, row, sizeof row);
        found = strstr(row, text) != NULL;
    }
    canvas_free(&c);
    return found;
}

/* A pane defined in this file only, registered beside the real ones. */
static void
test_throwaway(void)
{
    bl_err err;
    const struct pane_desc *list[VIEW_MAX_PANES + 1];
    int n = 0;
    for (; pane_table[n] != NULL; n++)
        list[n] = pane_table[n];
    list[n++] = &probe;
    list[n] = NULL;
    CHECK(pane_register(list, &err) == BL_OK, "register with the probe: %s", err.msg);
    struct session *s = session_alloc(&err);
    struct ui u;
    CHECK(ui_init(&u, false) == 0, "ui_init");
    ui_attach(&u, s);

    /* Listed by help, with its keys, after the real ones. */
    out_buffer_free(&ob);
    out_buffer_init(&ob);
    CHECK(run(s, "help pane", &err) == BL_OK, "help pane: %s", err.msg);
    struct out log = ui_log_out(&u, false);
    CHECK(cmd_run_line(s, "help pane", &log, &err) == BL_OK, "help pane into the log");
    CHECK(strstr(ob.text, "data|posterior|regret|spectrum|sampler|theory|compare|sweep|train|probe") != NULL,
          "help lists the probe last (order 50): %s", ob.text);
    CHECK(strstr(ob.text, "level=INT") && strstr(ob.text, "probe: a level (optional; in 1..9)"),
          "help lists the probe's keys: %s", ob.text);
    /* Completion: the name, its keys, a key's choices. */
    char **c = cmd_complete("pane pr", 5, 7);
    CHECK(has(c, "probe"), "completes the probe's name");
    free_list(c);
    c = cmd_complete("pane probe mo", 11, 13);
    CHECK(has(c, "mode="), "completes the probe's keys");
    free_list(c);
    c = cmd_complete("pane probe mode=", 11, 16);
    CHECK(has(c, "mode=bars") && has(c, "mode=dots"), "completes the probe's choices");
    free_list(c);

    /* Off by default, keys validated by the spec, stored by name. */
    CHECK(!view_is_on(&s->view, "probe") && view_num(&s->view, "probe", "level", 0) == 3,
          "probe off, level 3");
    CHECK(run(s, "pane probe level=12", &err) != BL_OK &&
              strstr(err.msg, "level=12: must be in 1..9"),
          "range from the spec: %s", err.msg);
    CHECK(run(s, "pane data mode=bars", &err) != BL_OK &&
              strcmp(err.msg, "level= and mode= are keys of the probe pane") == 0,
          "another pane's key: %s", err.msg);
    CHECK(run(s, "pane probe xrange=0,1", &err) != BL_OK &&
              strcmp(err.msg, "xrange= is not a key of the probe pane") == 0,
          "no ranges: %s", err.msg);
    CHECK(!screen_has(&u, s, 120, 34, "probe level"), "not drawn while off");
    CHECK(run(s, "pane probe on level=7 mode=b", &err) == BL_OK, "%s", err.msg);
    CHECK(view_num(&s->view, "probe", "level", 0) == 7 &&
              view_choice(&s->view, "probe", "mode") == 1,
          "level=7 mode=bars stored");
    /* Laid out after the four default panes: alone when zoomed, or in the grid. */
    CHECK(screen_has(&u, s, 250, 60, "probe level 7 bars"), "drawn beside the others");
    CHECK(run(s, "pane probe zoom", &err) == BL_OK, "%s", err.msg);
    CHECK(screen_has(&u, s, 80, 24, "probe level 7 bars") &&
              u.layout.pane[view_pane_parse("probe")].w == 80,
          "zoomed");
    /* F2 follows the order, not the table: data, then posterior. */
    s->view.focus = view_pane_parse("data");
    CHECK(ui_next_focus(&u, &s->view) == view_pane_parse("posterior"), "data, then posterior");
    /* From the probe it wraps to data, the first pane in order. */
    s->view.focus = view_pane_parse("probe");
    s->view.zoom = false;
    CHECK(screen_has(&u, s, 250, 60, "probe"), "redrawn");
    CHECK(ui_next_focus(&u, &s->view) == view_pane_parse("data"), "focus wraps to data");
    s->view.focus = view_pane_parse("spectrum");
    CHECK(ui_next_focus(&u, &s->view) == view_pane_parse("probe"),
          "after spectrum comes the probe (sampler and theory are off)");
    /* The log strip is a pane too: command output shows under the panes. */
    CHECK(screen_has(&u, s, 120, 34, "example: pane posterior w=0,1"), "log strip drawn");
    ui_free(&u);
    session_free(s);
}

/* What registration refuses, leaving the earlier one in place. */
static void
test_refused(void)
{
    bl_err err;
    static const struct view_key str_key[] = {
        {.arg = {.name = "label", .type = ARG_STR, .help = "text"}},
        {.arg = {.name = NULL}},
    };
    static const struct view_key other_w[] = {
        {.arg = {.name = "w", .type = ARG_INT, .min = 0, .max = 3, .help = "not a vector"}},
        {.arg = {.name = NULL}},
    };
    struct pane_desc twin = probe, strkey = probe, clash = probe;
    twin.view.name = "data";
    strkey.view.keys = str_key;
    clash.view.keys = other_w;
    const struct {
        const struct pane_desc *extra;
        const char *msg;
    } cases[] = {
        {&twin, "pane data registered twice"},
        {&strkey, "pane probe: key label= has a type views do not keep"},
        {&clash, "key w= of panes posterior and probe differs"},
    };
    int before = pane_count();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pane_desc *list[VIEW_MAX_PANES + 1];
        int n = 0;
        for (; pane_table[n] != NULL; n++)
            list[n] = pane_table[n];
        list[n++] = cases[i].extra;
        list[n] = NULL;
        CHECK(pane_register(list, &err) != BL_OK && strcmp(err.msg, cases[i].msg) == 0,
              "refused: '%s', want '%s'", err.msg, cases[i].msg);
        CHECK(pane_count() == before && view_pane_count() == before, "registration kept");
    }
}

/* A lecture's caption (`say`, live): its own highlighted rows above the
 * panes, two when long; everything else lays out below it and the input
 * line stays the last row. */
static void
test_caption(void)
{
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "register: %s", err.msg);
    struct session *s = session_alloc(&err);
    struct ui u;
    CHECK(ui_init(&u, false) == 0, "ui_init");
    CHECK(run(s, "seed 1; data linear d=1; model blr; observe 20", &err) == BL_OK, "%s", err.msg);
    struct canvas c;
    char row[4096];
    CHECK(canvas_init(&c, 80, 24, false) == 0, "canvas");
    snprintf(s->caption, sizeof s->caption, "The posterior concentrates.");
    CHECK(ui_caption_rows(s, 80) == 1, "a short caption takes one row");
    ui_render(&u, s, &c, NULL);
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strstr(row, "The posterior concentrates.") != NULL, "row 0 is the caption: '%s'", row);
    const struct cell *cell = &c.cells[2];
    CHECK((cell->attr & ATTR_REVERSE) && (cell->attr & ATTR_BOLD), "highlighted: attr %d",
          cell->attr);
    canvas_row_utf8(&c, 1, row, sizeof row);
    CHECK(strncmp(row, "┌", strlen("┌")) == 0, "the panes start below it: '%s'", row);
    CHECK(u.layout.input.row == 23 && u.layout.status.row == 21,
          "input and status stay at the "
          "bottom (rows %d, %d)",
          u.layout.input.row, u.layout.status.row);
    snprintf(s->caption, sizeof s->caption,
             "A long caption that a lecturer writes to explain what the class sees on the "
             "screen right now, wrapping at a blank");
    CHECK(ui_caption_rows(s, 80) == 2, "a long caption takes two rows");
    ui_render(&u, s, &c, NULL);
    char row1[4096];
    canvas_row_utf8(&c, 0, row, sizeof row);
    canvas_row_utf8(&c, 1, row1, sizeof row1);
    CHECK(strstr(row, "A long caption") != NULL && strstr(row1, "wrapping at a blank") != NULL,
          "wrapped onto the second row: '%s' / '%s'", row, row1);
    canvas_row_utf8(&c, 2, row, sizeof row);
    CHECK(strncmp(row, "┌", strlen("┌")) == 0, "the panes start below both: '%s'", row);
    /* Too small with it: the caption goes, the size message stays whole. */
    canvas_free(&c);
    CHECK(canvas_init(&c, 40, 12, false) == 0, "canvas");
    ui_render(&u, s, &c, NULL);
    int d = view_pane_parse("data");
    CHECK(d >= 0 && !u.layout.too_small && u.layout.pane[d].w > 0 && u.layout.pane[d].row == 0,
          "no room at 40x12: no caption, the data pane on row 0");
    canvas_free(&c);
    ui_free(&u);
    session_free(s);
}

/* Presets show what the user chose last, never a stale earlier subject. */
static void
test_current_subject(void)
{
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "register: %s", err.msg);
    struct session *s = session_alloc(&err);
    struct ui u;
    CHECK(ui_init(&u, false) == 0, "ui_init");
    CHECK(run(s, "seed 1; data linear d=2 noise=0.3; model blr; observe 20; lens m=500 d=2; run 5",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(view_layout_is(&s->view, "theory"), "lens picks layout theory");
    CHECK(screen_has(&u, s, 120, 40, "lens: regret vs n") &&
              !screen_has(&u, s, 120, 40, "regret (nats)"),
          "the lens fills layout theory: no pane of the earlier model");
    CHECK(run(s, "model blr alpha=2", &err) == BL_OK, "%s", err.msg);
    CHECK(!screen_has(&u, s, 120, 40, "lens: regret vs n") &&
              screen_has(&u, s, 120, 40, "regret (nats)"),
          "a model chosen after the lens: its panes, not the lens");
    CHECK(run(s, "lens off; sampler nuts target=banana; sample 50", &err) == BL_OK, "%s", err.msg);
    CHECK(screen_has(&u, s, 120, 40, "banana"), "the banana sampler is drawn");
    CHECK(run(s, "model blr alpha=1", &err) == BL_OK, "%s", err.msg);
    CHECK(!screen_has(&u, s, 120, 40, "banana") && screen_has(&u, s, 120, 40, "posterior  w0"),
          "a model after the banana: the model's posterior, no banana");
    ui_free(&u);
    session_free(s);
}
/* The status line's rate: the one asked while the job keeps up, the one
 * achieved beside it when a slow unit leaves it well short (review: a GP
 * at n = 3000 streamed ~15/s under "streaming 1000/s"). */
static void
test_status_rate(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    struct ui u;
    CHECK(ui_init(&u, false) == 0, "ui_init");
    s->interactive = true;
    CHECK(run(s, "seed 1; data linear d=1; model blr; stream rate=1000", &err) == BL_OK, "%s",
          err.msg);
    struct job *j = job_set_current(&s->jobs);
    struct run_ctx ctx = session_run_ctx(s);
    CHECK(screen_has(&u, s, 120, 30, "streaming 1000/s"), "the rate asked at the start");
    for (int i = 0; i < 200; i++)
        job_advance(j, 0.01, 1000, &ctx, &ob.out);
    CHECK(screen_has(&u, s, 120, 30, "streaming 1000/s "), "keeping up: the rate asked");
    for (int i = 0; i < 4; i++)
        job_advance(j, 0.5, 1, &ctx, &ob.out); /* one unit a 0.5 s frame */
    CHECK(screen_has(&u, s, 120, 30, "streaming 2/s (asked 1000/s)"), "the rate achieved");
    ui_free(&u);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    test_real_table();
    test_throwaway();
    test_refused();
    test_caption();
    test_current_subject();
    test_status_rate();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
