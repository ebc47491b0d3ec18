/* ui/render.c - see render.h. */
#include "ui/render.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/job.h"
#include "commands/wfile.h"
#include "ui/pane.h"
#include "ui/plain.h"
#include "ui/plot.h"

#define PROMPT "bayeslens> "

int
ui_init(struct ui *u, bool ascii)
{
    memset(u, 0, sizeof *u);
    u->ascii = ascii;
    u->asked = -1;
    logbuf_init(&u->log);
    const struct pane_host host = {.log = &u->log};
    for (int i = 0; i < pane_count(); i++) {
        u->pane_state[i] = pane_at(i)->create(&host);
        if (u->pane_state[i] == NULL) {
            ui_free(u);
            return -1;
        }
    }
    return 0;
}

void
ui_free(struct ui *u)
{
    for (int i = 0; i < VIEW_MAX_PANES; i++) {
        if (u->pane_state[i] != NULL)
            pane_at(i)->destroy(u->pane_state[i]);
        u->pane_state[i] = NULL;
    }
    logbuf_free(&u->log);
}

/* The status line's model description with every number in 4 significant
 * digits (plot_format_number): a fitted hyperparameter's tenth digit is
 * below what the optimizer resolves and would only push the line past the
 * screen's edge. Digits that are part of a name (matern52, w0) stay. */
static void
short_numbers(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = in; *p != '\0' && o + 1 < size;) {
        bool starts = (isdigit((unsigned char)*p) ||
                       ((*p == '-' || *p == '.') && isdigit((unsigned char)p[1]))) &&
                      (p == in || !(isalnum((unsigned char)p[-1]) || p[-1] == '.' || p[-1] == '_'));
        if (starts) {
            char *end;
            double v = strtod(p, &end);
            if (end > p) {
                char num[32];
                plot_format_number(v, 4, num, sizeof num);
                int n = snprintf(out + o, size - o, "%s", num);
                o += n > 0 ? (size_t)n : 0;
                if (o >= size)
                    o = size - 1;
                p = end;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

static void
draw_status(const struct session *s, struct canvas *c, const struct rect *r)
{
    char model[160], buf[512];
    const struct job *j = job_set_const_current(&s->jobs);
    /* A command that pumps frames (observe 100000) is not idle. */
    char cmd[48] = "";
    if (s->running != NULL && !j->pace.active)
        snprintf(cmd, sizeof cmd, "running %s", s->running);
    const char *job = cmd[0]            ? cmd
                      : !j->pace.active ? "idle"
                      : j->pace.paused  ? "paused"
                                        : j->cls->verb;
    char full[1024];
    session_describe_model(s, full, sizeof full);
    short_numbers(full, model, sizeof model);
    char rate[96] = "", what[80];
    /* The rate achieved when a slow unit leaves well short of the one asked. */
    double got = job_achieved_rate(j);
    if (j->pace.active && got > 0 && got < 0.5 * j->pace.rate)
        snprintf(rate, sizeof rate, got >= 10 ? " %.0f/s (asked %g/s)" : " %.2g/s (asked %g/s)",
                 got, j->pace.rate);
    else if (j->pace.active)
        snprintf(rate, sizeof rate, " %g/s", j->pace.rate);
    j->cls->describe(j->self, what, sizeof what);
    if (what[0] != '\0')
        snprintf(rate + strlen(rate), sizeof rate - strlen(rate), " (%s)", what);
    char ev[48] = "", num[32];
    if (session_has_model(s) && s->n > 0) {
        /* Whole in any width: a number cut mid-digit reads as another number. */
        plot_format_number(s->trace[TR_LOG_EVIDENCE][s->n - 1], 4, num, sizeof num);
        snprintf(ev, sizeof ev, "  %s %s", session_score_name(s, false), num);
    }
    const struct session *b = s->side_b;
    if (b != NULL) { /* compare: both sides, a's then b's (docs/compare.md) */
        char fb[1024], mb[160], nb[32] = "-";
        session_describe_model(b, fb, sizeof fb);
        short_numbers(fb, mb, sizeof mb);
        if (b->mc == NULL && b->smp != NULL) /* two samplers: name them */
            snprintf(mb, sizeof mb, "%s", sampler_kind_name(b->smp->kind));
        if (s->mc == NULL && s->smp != NULL)
            snprintf(model, sizeof model, "%s", sampler_kind_name(s->smp->kind));
        if (session_has_model(b) && b->n > 0)
            plot_format_number(b->trace[TR_LOG_EVIDENCE][b->n - 1], 4, nb, sizeof nb);
        if (ev[0] != '\0')
            snprintf(ev, sizeof ev, "  log ev a %s b %s", num, nb);
        char both[sizeof model];
        snprintf(both, sizeof both, "a: %.70s | b: %.70s", model, mb);
        memcpy(model, both, sizeof model);
    }
    snprintf(buf, sizeof buf, " %s%s  n=%zu  seed %lu  %s%s", job, rate, s->n, s->seed, model, ev);
    /* Too wide: the evidence moves before the model's description, which is
     * then cut with an ellipsis (canvas_text), so the number stays whole. */
    if (canvas_text_width(buf) > r->w && ev[0] != '\0') {
        char head[400];
        snprintf(head, sizeof head, " %s%s  n=%zu  seed %lu%s  %s", job, rate, s->n, s->seed, ev,
                 model);
        snprintf(buf, sizeof buf, "%s", head);
    }
    for (int x = 0; x < r->w; x++)
        canvas_put(c, r->col + x, r->row, ' ', COL_TITLE, ATTR_REVERSE);
    canvas_text(c, r->col, r->row, buf, COL_TITLE, ATTR_REVERSE, r->w);
}

/* During a lecture the hint line says what the keys do now. */
static bool
draw_lecture_hint(const struct session *s, struct canvas *c, const struct rect *r)
{
    static const char *const what[][2] = {
        [SCRIPT_READY] = {"lecture", "running"},
        [SCRIPT_KEY] = {"space/Enter", "go on"},
        [SCRIPT_TIME] = {"any key", "go on"},
        [SCRIPT_JOB] = {"any key", "skip to its end"},
    };
    enum script_hold h = session_script_hold(s, NULL);
    if (h == SCRIPT_NONE)
        return false;
    const char *const keys[][2] = {
        {what[h][0], what[h][1]}, {"Esc/q", "stop the script"},
        {"Ctrl-C", "stop all"},   {"F5", h == SCRIPT_JOB ? "pause" : ""},
        {"PgUp", "log"},
    };
    int x = r->col + 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (keys[i][1][0] == '\0')
            continue;
        int need = canvas_text_width(keys[i][0]) + 1 + canvas_text_width(keys[i][1]);
        if (x + need > r->col + r->w)
            break;
        x += canvas_text(c, x, r->row, keys[i][0], i == 0 ? COL_FOCUS : COL_TITLE, ATTR_BOLD, -1);
        x += canvas_text(c, x, r->row, " ", COL_DIM, ATTR_NONE, -1);
        x += canvas_text(c, x, r->row, keys[i][1], COL_DIM, ATTR_NONE, -1);
        x += 2;
    }
    return true;
}

/* Where the caption breaks into its two rows (at a blank when one is near
 * the width): the byte offset of the second row, or 0 when it fits on one. */
static size_t
caption_break(const char *text, int width)
{
    if (width <= 0 || canvas_text_width(text) <= width)
        return 0;
    size_t at = 0, blank = 0;
    int cols = 0;
    while (text[at] != '\0' && cols < width) {
        unsigned char ch = (unsigned char)text[at];
        size_t step = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
        if (ch == ' ')
            blank = at;
        cols++;
        at += step;
    }
    return blank > 0 ? blank + 1 : at;
}

#define CAPTION_PAD 2 /* columns left free at each side */

int
ui_caption_rows(const struct session *s, int cols)
{
    if (s->caption[0] == '\0')
        return 0;
    return caption_break(s->caption, cols - 2 * CAPTION_PAD) > 0 ? 2 : 1;
}

/* The caption: its own highlighted rows above the panes, bold on the
 * title colour reversed, so it reads from the back of a lecture hall. */
static void
draw_caption(const struct session *s, struct canvas *c, int rows)
{
    int w = c->cols - 2 * CAPTION_PAD;
    size_t cut = caption_break(s->caption, w);
    char line[2][SESSION_CAPTION_MAX];
    snprintf(line[0], sizeof line[0], "%.*s", cut > 0 ? (int)cut : (int)sizeof line[0], s->caption);
    snprintf(line[1], sizeof line[1], "%s", cut > 0 ? s->caption + cut : "");
    for (int y = 0; y < rows; y++) {
        for (int x = 0; x < c->cols; x++)
            canvas_put(c, x, y, ' ', COL_TITLE, ATTR_REVERSE);
        canvas_text(c, CAPTION_PAD, y, line[y], COL_TITLE, ATTR_REVERSE | ATTR_BOLD, w);
    }
}

static void
shift_rect(struct rect *r, int dy)
{
    if (r->w > 0 && r->h > 0)
        r->row += dy;
}

static void
draw_hint(struct canvas *c, const struct rect *r)
{
    static const char *const keys[][2] = {
        {"F1", "keys"}, {"F2", "focus"}, {"F3", "zoom"},       {"F5", "pause"},
        {"F6", "step"}, {"F7/F8", "speed"}, {"PgUp", "log"}, {"help", ""},
    };
    int x = r->col + 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int need = (int)strlen(keys[i][0]) + (keys[i][1][0] ? 1 + (int)strlen(keys[i][1]) : 0);
        if (x + need > r->col + r->w)
            break;
        x += canvas_text(c, x, r->row, keys[i][0], COL_TITLE, ATTR_BOLD, -1);
        if (keys[i][1][0]) {
            x += canvas_text(c, x, r->row, " ", COL_DIM, ATTR_NONE, -1);
            x += canvas_text(c, x, r->row, keys[i][1], COL_DIM, ATTR_NONE, -1);
        }
        x += 2;
    }
}

/* `pane NAME on` under a layout with no room for NAME (80x24 holds two
 * tiles) would change nothing on screen: say why, in one log line; likewise
 * when the last tile goes off. */
static void
say_unplaced(struct ui *u, const struct session *s, const struct canvas *c)
{
    bool any = false, was = false;
    int preset = s->view.preset;
    bool grid = !s->view.zoom && preset >= 0 && preset < view_layout_count() &&
                layout_presets[preset].kind == LAYOUT_GRID;
    for (int i = 0; i < pane_count(); i++) {
        if (pane_at(i)->place != PANE_TILE)
            continue;
        bool here = u->layout.pane[i].w > 0 && u->layout.pane[i].h > 0;
        any |= s->view.on[i];
        was |= u->was_on[i];
        if (i == u->asked && s->view.on[i] && !here && grid) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "%s is on but has no room at %dx%d: pane %s zoom, or turn a pane off",
                     pane_at(i)->view.name, c->cols, c->rows, pane_at(i)->view.name);
            logbuf_add(&u->log, msg, false);
        }
    }
    if (u->drawn && was && !any)
        logbuf_add(&u->log, "every pane is off: pane NAME on brings one back (help pane)", false);
    memcpy(u->was_on, s->view.on, sizeof u->was_on);
    u->drawn = true;
    u->asked = -1;
}

void
ui_render(struct ui *u, const struct session *s, struct canvas *c, const char *input)
{
    struct layout *l = &u->layout;
    c->ascii = u->ascii;
    canvas_clear(c);
    bool on[VIEW_MAX_PANES];
    memcpy(on, s->view.on, sizeof on);
    int preset = s->view.preset;
    if (preset >= 0 && preset < view_layout_count() && layout_presets[preset].adjust != NULL)
        layout_presets[preset].adjust(s, on);
    /* The caption's rows come off the top; everything else lays out below. */
    int cap = ui_caption_rows(s, c->cols);
    if (cap > 0) {
        layout_compute(l, c->cols, c->rows - cap, preset, on, s->view.focus, s->view.zoom);
        if (l->too_small) {
            cap = 0;
        } else {
            for (int i = 0; i < VIEW_MAX_PANES; i++)
                shift_rect(&l->pane[i], cap);
            shift_rect(&l->log, cap);
            shift_rect(&l->status, cap);
            shift_rect(&l->hint, cap);
            shift_rect(&l->input, cap);
        }
    }
    if (cap == 0)
        layout_compute(l, c->cols, c->rows, preset, on, s->view.focus, s->view.zoom);
    if (l->too_small) {
        /* The longest form that fits: the size needed is never cut off. */
        char msg[4][96];
        snprintf(msg[0], sizeof msg[0], "terminal too small (%dx%d): need at least %dx%d", c->cols,
                 c->rows, LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
        snprintf(msg[1], sizeof msg[1], "too small (%dx%d): need %dx%d", c->cols, c->rows,
                 LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
        snprintf(msg[2], sizeof msg[2], "too small: need %dx%d", LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
        snprintf(msg[3], sizeof msg[3], "need %dx%d", LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
        int k = 0;
        while (k < 3 && canvas_text_width(msg[k]) > c->cols)
            k++;
        int rows = c->rows > 1 ? c->rows - 1 : c->rows;
        pane_message(c, 0, 0, c->cols, rows, msg[k]);
    } else {
        say_unplaced(u, s, c);
        for (int i = 0; i < pane_count(); i++) {
            const struct pane_desc *d = pane_at(i);
            const struct rect *r = &l->pane[i];
            if (d->place != PANE_TILE || r->w <= 0 || r->h <= 0)
                continue;
            bool focused = s->view.focus == i;
            canvas_clip(c, r->col + 1, r->row + 1, r->w - 2, r->h - 2);
            c->pane = i; /* series and shapes drawn now belong to this pane */
            d->draw(u->pane_state[i], s, c, r->col + 1, r->row + 1, r->w - 2, r->h - 2);
            canvas_pen(c, 0, LAYER_NONE);
            c->pane = -1;
            canvas_clip(c, 0, 0, -1, -1);
            /* The title after the content: it may report what drawing computed. */
            char title[160];
            d->title(u->pane_state[i], s, title, sizeof title);
            canvas_box(c, r->col, r->row, r->w, r->h, title, focused ? COL_FOCUS : COL_DIM,
                       focused ? COL_FOCUS : COL_TITLE);
        }
        /* The strip (the log) has no border; grown, it covers the bottom
         * of the pane area, a rule marking its top. */
        struct rect lr = l->log;
        int grow = 0;
        if (u->log_grow > 0 && lr.h > 0) {
            /* Just the rows the lines need (one more for the rule), at most
             * half the pane area. */
            size_t need = logbuf_rows(&u->log, u->log_grow, lr.w - 1);
            if (need > (size_t)lr.h) {
                size_t want = need - (size_t)lr.h + 1, room = (size_t)(lr.row / 2);
                grow = (int)(want < room ? want : room);
            }
        }
        if (grow > lr.row - cap - 1)
            grow = lr.row - cap - 1;
        if (grow > 0 && lr.h > 0) {
            lr.row -= grow;
            lr.h += grow;
            for (int y = lr.row; y < lr.row + grow; y++)
                for (int x = lr.col; x < lr.col + lr.w; x++)
                    canvas_put(c, x, y, y == lr.row ? (c->ascii ? '-' : 0x2500) : ' ', COL_DIM,
                               ATTR_NONE);
            lr.row++;
            lr.h--;
        }
        for (int i = 0; i < pane_count(); i++) {
            const struct rect *r = &lr;
            if (pane_at(i)->place != PANE_STRIP || r->w <= 0 || r->h <= 0)
                continue;
            canvas_clip(c, r->col, r->row, r->w, r->h);
            pane_at(i)->draw(u->pane_state[i], s, c, r->col, r->row, r->w, r->h);
            canvas_clip(c, 0, 0, -1, -1);
        }
        draw_status(s, c, &l->status);
        if (!draw_lecture_hint(s, c, &l->hint))
            draw_hint(c, &l->hint);
        if (cap > 0)
            draw_caption(s, c, cap);
    }
    if (l->input.w > 0)
        canvas_text(c, l->input.col, l->input.row, input ? input : PROMPT, COL_DEFAULT,
                    ATTR_NONE, l->input.w);
}

int
ui_next_focus(const struct ui *u, const struct view *v)
{
    /* Tiles in priority order, starting after the focused one. */
    int order[VIEW_MAX_PANES], n = 0, at = -1;
    for (int i = 0; i < pane_count(); i++) {
        if (pane_at(i)->place != PANE_TILE)
            continue;
        int j = n++;
        while (j > 0 && pane_at(order[j - 1])->view.order > pane_at(i)->view.order) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int j = 0; j < n; j++)
        if (order[j] == v->focus)
            at = j;
    for (int k = 1; k <= n; k++) {
        int p = order[((at < 0 ? n - 1 : at) + k) % n];
        if (u->layout.pane[p].w > 0 || v->zoom)
            return p;
    }
    return -1;
}

static void
log_line(void *ctx, enum out_kind kind, const char *text)
{
    struct ui *u = ctx;
    logbuf_add(&u->log, text, kind == OUT_ERROR);
}

static void
log_echo_line(void *ctx, enum out_kind kind, const char *text)
{
    struct ui *u = ctx;
    logbuf_add(&u->log, text, kind == OUT_ERROR);
    struct out plain = plain_out(); /* stdout, errors on stderr */
    plain.line(plain.ctx, kind, text);
}

struct out
ui_log_out(struct ui *u, bool echo)
{
    return (struct out){.line = echo ? log_echo_line : log_line, .ctx = u};
}

static struct ui *attached; /* the ui behind the session's screenshot hook */

static int
screenshot(struct session *s, const char *path, int cols, int rows, bl_err *err)
{
    struct canvas c;
    if (attached == NULL)
        return bl_fail(err, BL_ESTATE, "screenshot: no renderer");
    if (canvas_init(&c, cols, rows, attached->ascii) != 0)
        return bl_fail(err, BL_ENOMEM, "screenshot: out of memory for %dx%d", cols, rows);
    /* The picture of the session, not of the screenshot command. */
    const char *running = s->running;
    s->running = NULL;
    ui_render(attached, s, &c, NULL);
    s->running = running;
    struct wfile w;
    int rc = wfile_open(&w, path, err);
    if (rc == BL_OK) {
        if (canvas_write_text(&c, w.f) != 0 && !ferror(w.f)) {
            wfile_abort(&w);
            rc = bl_fail(err, BL_EIO, "%s: write failed", path);
        } else {
            rc = wfile_commit(&w, err); /* names the system's reason */
        }
    }
    canvas_free(&c);
    return rc;
}

void
ui_attach(struct ui *u, struct session *s)
{
    attached = u;
    s->render = screenshot;
}
