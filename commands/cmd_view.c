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
#include "commands/view.h"

/* Built from the registered layouts and panes (cmd_view_registered), so the
 * names, help and completion are the front end's. */
static const char *layout_names[VIEW_MAX_LAYOUTS + 1];
static char layout_usage[16 + VIEW_MAX_LAYOUTS * 24];
static char layout_help[VIEW_MAX_LAYOUTS * 64];
static struct arg_spec layout_args[] = {
    {.name = "name", .type = ARG_CHOICE, .positional = 1, .required = 1, .choices = layout_names,
     .help = layout_help},
    {0},
};

static int
layout_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)out;
    (void)err;
    s->view.preset = view_layout_parse(args_str(a, "name"));
    s->view.zoom = false;
    s->generation++;
    return BL_OK;
}

const struct cmd_entry cmd_layout_entry = {
    .name = "layout",
    .usage = layout_usage,
    .summary = "arrange the panes",
    .example = "layout theory",
    .args = layout_args,
    .exec = layout_exec,
};

static const char *const pane_states[] = {"on", "off", "focus", "zoom", NULL};
static const char *pane_names[VIEW_MAX_PANES + 1];

/* name, state, the keys of every listed pane (in registration order, each
 * name once), then xrange= and yrange= when a pane takes them. Before any
 * registration: name and state, with no pane to name. */
static struct arg_spec pane_args[2 + VIEW_MAX_PANES * VIEW_MAX_KEYS + 2 + 1] = {
    {.name = "name", .type = ARG_CHOICE, .positional = 1, .required = 1, .choices = pane_names,
     .help = "pane"},
    {.name = "state", .type = ARG_CHOICE, .positional = 1, .choices = pane_states,
     .help = "show, hide, give it the focus, or zoom it (zoom again to unzoom)"},
};
static const struct arg_spec pane_ranges[] = {
    {.name = "xrange", .type = ARG_STR,
     .help = "fix the x axis of the pane's main plot: lo,hi, or auto"},
    {.name = "yrange", .type = ARG_STR,
     .help = "fix the y axis of the pane's main plot: lo,hi, or auto"},
};

void
cmd_view_registered(void)
{
    size_t n, len;
    int order[VIEW_MAX_PANES], np = 0;
    bool ranges = false;
    /* Names in pane order (insertion sort: a handful of panes). */
    for (int i = 0; i < view_pane_count(); i++) {
        if (view_pane_at(i)->unlisted)
            continue;
        int j = np++;
        while (j > 0 && view_pane_at(order[j - 1])->order > view_pane_at(i)->order) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int j = 0; j < np; j++)
        pane_names[j] = view_pane_at(order[j])->name;
    pane_names[np] = NULL;

    n = 2; /* after name and state */
    memset(pane_args + n, 0, sizeof pane_args - n * sizeof *pane_args);
    for (int i = 0; i < view_pane_count(); i++) {
        const struct view_pane *p = view_pane_at(i);
        if (p->unlisted)
            continue;
        ranges |= p->ranges;
        for (const struct view_key *k = p->keys; k != NULL && k->arg.name != NULL; k++) {
            size_t j = 0;
            while (j < n && strcmp(pane_args[j].name, k->arg.name) != 0)
                j++;
            if (j == n)
                pane_args[n++] = k->arg;
        }
    }
    if (ranges) {
        pane_args[n++] = pane_ranges[0];
        pane_args[n++] = pane_ranges[1];
    }

    len = (size_t)snprintf(layout_usage, sizeof layout_usage, "layout ");
    size_t hlen = 0;
    layout_help[0] = '\0';
    for (int i = 0; i < view_layout_count(); i++) {
        const struct view_layout *l = view_layout_at(i);
        layout_names[i] = l->name;
        if (len < sizeof layout_usage)
            len += (size_t)snprintf(layout_usage + len, sizeof layout_usage - len, "%s%s",
                                    i ? "|" : "", l->name);
        if (hlen < sizeof layout_help)
            hlen += (size_t)snprintf(layout_help + hlen, sizeof layout_help - hlen, "%s%s%s%s",
                                     i ? "; " : "", l->name, l->help ? ": " : "",
                                     l->help ? l->help : "");
    }
    layout_names[view_layout_count()] = NULL;
}

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
    /* The pane's own keys, in the order help lists them. */
    for (size_t i = 0; i < a->n; i++) {
        const struct arg_value *x = &a->v[i];
        const char *key = x->spec->name;
        if (!x->given || x->spec == &pane_args[0] || x->spec == &pane_args[1] ||
            strcmp(key, "xrange") == 0 || strcmp(key, "yrange") == 0)
            continue;
        int rc = view_set(&v, s, p, x, err);
        if (rc != BL_OK)
            return rc;
    }
    const char *const range_keys[2] = {"xrange", "yrange"};
    for (int k = 0; k < 2; k++) {
        const struct arg_value *x = NULL;
        for (size_t i = 0; i < a->n; i++)
            if (a->v[i].given && strcmp(a->v[i].spec->name, range_keys[k]) == 0)
                x = &a->v[i];
        if (x == NULL)
            continue;
        if (!view_pane_at(p)->ranges)
            return bl_fail(err, BL_EINVAL, "%s= is not a key of the %s pane", range_keys[k],
                           view_pane_at(p)->name);
        double r[2] = {0, 0};
        int rc = parse_range(range_keys[k], x->str, r, err);
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
