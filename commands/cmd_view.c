/* commands/cmd_view.c - what is shown: layout, pane, screenshot.
 * These change only the session's view state (commands/view.h); the front
 * end reads it each frame. screenshot goes through the renderer the front
 * end registered, i.e. the same canvas code that draws the screen. */
#include "commands/cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/session.h"

static const struct arg_spec layout_args[] = {
    {.name = "name", .type = ARG_CHOICE, .positional = 1, .required = 1, .choices = layout_names,
     .help = "default: what fits; single: the focused pane; data; theory: the instrument; "
             "sampler: posterior and sampler"},
    {0},
};

static int
layout_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)out;
    (void)err;
    s->view.preset = (enum layout_preset)view_layout_parse(args_str(a, "name"));
    s->view.zoom = false;
    s->generation++;
    return BL_OK;
}

const struct cmd_entry cmd_layout_entry = {
    .name = "layout",
    .usage = "layout default|single|data|theory|sampler",
    .summary = "arrange the panes",
    .example = "layout theory",
    .args = layout_args,
    .exec = layout_exec,
};

static const char *const pane_states[] = {"on", "off", "focus", "zoom", NULL};
static const char *const yesno[] = {"no", "yes", NULL};
static const char *const data_views[] = {"coord", "pred", NULL};

static const struct arg_spec pane_args[] = {
    {.name = "name", .type = ARG_CHOICE, .positional = 1, .required = 1, .choices = pane_names,
     .help = "pane"},
    {.name = "state", .type = ARG_CHOICE, .positional = 1, .choices = pane_states,
     .help = "show, hide, give it the focus, or zoom it (zoom again to unzoom)"},
    {.name = "w", .type = ARG_VEC, .help = "posterior: the two weights to show, e.g. w=0,1"},
    {.name = "coord", .type = ARG_INT, .min = 0, .max = 4095,
     .help = "data, d > 1: input coordinate on the x axis"},
    {.name = "view", .type = ARG_CHOICE, .choices = data_views,
     .help = "data, d > 1: one coordinate, or prediction against truth"},
    {.name = "logx", .type = ARG_CHOICE, .choices = yesno, .help = "regret: log-scaled n axis"},
    {.name = "xrange", .type = ARG_STR,
     .help = "fix the x axis of the pane's main plot: lo,hi, or auto"},
    {.name = "yrange", .type = ARG_STR,
     .help = "fix the y axis of the pane's main plot: lo,hi, or auto"},
    {0},
};

/* "auto" or "lo,hi" with finite lo < hi. */
static int
parse_range(const char *key, const char *text, double out[2], bl_err *err)
{
    if (strcmp(text, "auto") == 0) {
        out[0] = out[1] = 0;
        return BL_OK;
    }
    char *end;
    double lo = strtod(text, &end);
    if (*end != ',' || end == text)
        return bl_fail(err, BL_EINVAL, "%s=%s: give lo,hi (e.g. %s=-2,2) or auto", key, text,
                       key);
    const char *second = end + 1;
    double hi = strtod(second, &end);
    if (*end != '\0' || end == second || !isfinite(lo) || !isfinite(hi) || !(lo < hi))
        return bl_fail(err, BL_EINVAL, "%s=%s: need finite numbers lo < hi, or auto", key,
                       text);
    out[0] = lo;
    out[1] = hi;
    return BL_OK;
}

static int
pane_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    int p = view_pane_parse(args_str(a, "name"));
    struct view v = s->view;
    (void)out;
    if (args_given(a, "w")) {
        size_t len;
        const double *w = args_vec(a, "w", &len);
        if (p != PANE_POSTERIOR)
            return bl_fail(err, BL_EINVAL, "w= is a key of the posterior pane");
        if (len != 2 || w[0] < 0 || w[1] < 0 || w[0] != (size_t)w[0] || w[1] != (size_t)w[1] ||
            w[0] == w[1])
            return bl_fail(err, BL_EINVAL, "w= needs two different weight indices, e.g. w=0,1");
        if (s->blr != NULL && (w[0] >= (double)s->dim || w[1] >= (double)s->dim))
            return bl_fail(err, BL_EINVAL, "w=%g,%g: the model has weights 0..%zu", w[0], w[1],
                           s->dim - 1);
        v.post_w[0] = (size_t)w[0];
        v.post_w[1] = (size_t)w[1];
    }
    if (args_given(a, "coord") || args_given(a, "view")) {
        if (p != PANE_DATA)
            return bl_fail(err, BL_EINVAL, "coord= and view= are keys of the data pane");
        if (args_given(a, "coord")) {
            size_t c = (size_t)args_int(a, "coord");
            if (s->world != NULL && c >= s->in_dim)
                return bl_fail(err, BL_EINVAL, "coord=%zu: the inputs have coordinates 0..%zu",
                               c, s->in_dim - 1);
            v.data_coord = c;
            v.data_view = DATA_VIEW_COORD;
        }
        if (args_given(a, "view"))
            v.data_view =
                strcmp(args_str(a, "view"), "pred") == 0 ? DATA_VIEW_PRED : DATA_VIEW_COORD;
    }
    if (args_given(a, "logx")) {
        if (p != PANE_REGRET)
            return bl_fail(err, BL_EINVAL, "logx= is a key of the regret pane");
        v.regret_logx = strcmp(args_str(a, "logx"), "yes") == 0;
    }
    const char *const range_keys[2] = {"xrange", "yrange"};
    for (int k = 0; k < 2; k++) {
        if (!args_given(a, range_keys[k]))
            continue;
        double r[2] = {0, 0};
        int rc = parse_range(range_keys[k], args_str(a, range_keys[k]), r, err);
        if (rc != BL_OK)
            return rc;
        double *dst = k == 0 ? v.xrange[p] : v.yrange[p];
        dst[0] = r[0];
        dst[1] = r[1];
    }
    const char *st = args_str(a, "state");
    if (st != NULL) {
        if (strcmp(st, "on") == 0)
            v.on[p] = true;
        else if (strcmp(st, "off") == 0)
            v.on[p] = false;
        else if (strcmp(st, "focus") == 0)
            v.focus = p, v.on[p] = true;
        else {
            v.zoom = !(v.zoom && v.focus == p);
            v.focus = p;
            v.on[p] = true;
        }
    }
    s->view = v;
    s->generation++;
    return BL_OK;
}

const struct cmd_entry cmd_pane_entry = {
    .name = "pane",
    .usage = "pane NAME [on|off|focus|zoom] [key=value...]",
    .summary = "show, hide, focus or zoom a pane, and set its options",
    .example = "pane posterior w=0,1",
    .detail = "Axis ranges follow the data (with hysteresis, so they do not jitter) unless "
              "fixed with xrange= / yrange=; xrange=auto frees them again.",
    .args = pane_args,
    .exec = pane_exec,
};

static const struct arg_spec screenshot_args[] = {
    {.name = "file", .type = ARG_FILE, .positional = 1, .required = 1,
     .help = "text file to write (UTF-8)"},
    {.name = "cols", .type = ARG_INT, .min = 20, .max = 1000,
     .help = "width (default: the terminal's, 100 in batch mode)"},
    {.name = "rows", .type = ARG_INT, .min = 6, .max = 1000,
     .help = "height (default: the terminal's, 30 in batch mode)"},
    {0},
};

static int
screenshot_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (s->render == NULL)
        return bl_fail(err, BL_ESTATE, "screenshot: this front end has no panes to render");
    int cols = s->interactive && s->term_cols > 0 ? s->term_cols : 100;
    int rows = s->interactive && s->term_rows > 0 ? s->term_rows : 30;
    if (args_given(a, "cols"))
        cols = (int)args_int(a, "cols");
    if (args_given(a, "rows"))
        rows = (int)args_int(a, "rows");
    int rc = s->render(s, args_str(a, "file"), cols, rows, err);
    if (rc == BL_OK)
        out_printf(out, "wrote a %dx%d screenshot to %s", cols, rows, args_str(a, "file"));
    return rc;
}

const struct cmd_entry cmd_screenshot_entry = {
    .name = "screenshot",
    .usage = "screenshot FILE [cols=N] [rows=M]",
    .summary = "render the panes to a UTF-8 text file (works in batch mode too)",
    .example = "screenshot lecture.txt cols=160 rows=48",
    .args = screenshot_args,
    .exec = screenshot_exec,
};
