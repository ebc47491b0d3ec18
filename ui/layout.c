/* ui/layout.c - see layout.h.
 *
 * Rows from the bottom: input, hint, status (one each), the log
 * (rows / 6, clamped to 1..LOG_MAX_ROWS: 4 rows at 24, 8 from 48 up), and
 * the pane area above it, which the panes tile exactly (no gaps: each pane
 * draws its own border).
 *
 * Panes are arranged as a few rows of equal height, each split into equal
 * columns; with m panes in r rows the later rows take the extra panes, so
 * the first pane in priority order gets the widest cell (data at the top
 * across the screen, the others below). Among these shapes we take the
 * largest m for which every pane is at least a readable PANE_PREF_W x
 * PANE_PREF_H; if not even one pane is that large (a short terminal) the
 * height is relaxed to the hard minimum, then the width. Among shapes with
 * the same m, the one whose worst pane is closest to the aspect ASPECT
 * (columns per row; a terminal cell is about twice as tall as wide, so 2.5
 * is a little wider than square) wins, ties to fewer rows. That gives 2 side
 * by side at 80x24, 2x2 at 100x30 and up, 4 in a row at 200x24; a model
 * with nothing to draw in the posterior pane (a GP) leaves it out. */
#include "ui/layout.h"

#include <math.h>
#include <string.h>

#include "commands/session.h"
#include "ui/pane.h"

#define PANE_PREF_W  36 /* a plot with axes and a legend is readable from here */
#define PANE_PREF_H  9
#define LOG_MAX_ROWS 8
#define DATA_SHARE   (2.0 / 3.0) /* LAYOUT_SPLIT: the first pane's share of the width */
#define ASPECT       2.5         /* preferred pane width / height in cells */

/* LAYOUT_COLUMNS: the left column's height that also holds its second pane,
 * and the first pane's share of that column (the sampler preset). */
#define SAMPLER_DATA_MIN_H 30
#define SAMPLER_POST_SHARE 0.6

static int
log_rows(int rows)
{
    int h = rows / 6;
    return h < 1 ? 1 : h > LOG_MAX_ROWS ? LOG_MAX_ROWS : h;
}

/* Place panes list[0..m-1] in r rows of area a, rows of equal height (the
 * remainder spread so the rects tile a exactly), row i holding
 * floor(m/r) panes plus one more for the last m % r rows. */
static void
place(struct rect a, const int *list, int m, int r, struct rect *out)
{
    int k = 0;
    for (int i = 0; i < r; i++) {
        int c = m / r + (i >= r - m % r);
        int y0 = a.row + a.h * i / r, y1 = a.row + a.h * (i + 1) / r;
        for (int j = 0; j < c; j++, k++) {
            int x0 = a.col + a.w * j / c, x1 = a.col + a.w * (j + 1) / c;
            out[list[k]] = (struct rect){x0, y0, x1 - x0, y1 - y0};
        }
    }
}

/* Worst distance of a shape's panes from the preferred aspect, or -1 when a
 * pane is below its size for threshold t: 0 the readable size, 1 that width
 * with the pane's minimum height, 2 the pane's minimum (never below it). */
static double
shape_score(const struct rect *pane, const int *list, int m, int t)
{
    double worst = 0.0;
    for (int k = 0; k < m; k++) {
        const struct rect *p = &pane[list[k]];
        const struct pane_desc *d = pane_at(list[k]);
        int min_w = t < 2 && d->min_w < PANE_PREF_W ? PANE_PREF_W : d->min_w;
        int min_h = t < 1 && d->min_h < PANE_PREF_H ? PANE_PREF_H : d->min_h;
        if (p->w < min_w || p->h < min_h)
            return -1.0;
        double dd = fabs(log((double)p->w / ((double)p->h * ASPECT)));
        if (dd > worst)
            worst = dd;
    }
    return worst;
}

/* Tile area a with as many of list[0..n-1] (priority order) as fit. */
static void
grid(struct rect a, const int *list, int n, struct rect *pane)
{
    for (int t = 0; t < 3; t++)
        for (int m = n; m >= 1; m--) {
            int best_r = 0;
            double best = 0.0;
            for (int r = 1; r <= m; r++) {
                struct rect trial[VIEW_MAX_PANES];
                place(a, list, m, r, trial);
                double sc = shape_score(trial, list, m, t);
                if (sc >= 0.0 && (best_r == 0 || sc < best)) {
                    best_r = r;
                    best = sc;
                }
            }
            if (best_r != 0) {
                place(a, list, m, best_r, pane);
                return;
            }
        }
    /* Unreachable above the minimum terminal size for panes of 20 x 6 (the
     * area is at least LAYOUT_MIN_COLS x 7); show nothing rather than a
     * pane below its minimum. */
}

/* Panes of order[0..n-1] that are on, into list; returns how many. */
static int
filter(const int *order, int n, const bool *on, int *list)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (order[i] >= 0 && on[order[i]])
            list[k++] = order[i];
    return k;
}

/* The registered tiles in priority order; returns how many. */
static int
tiles(int *order)
{
    int n = 0;
    for (int i = 0; i < pane_count(); i++) {
        const struct pane_desc *d = pane_at(i);
        if (d->place != PANE_TILE)
            continue;
        int j = n++;
        while (j > 0 && pane_at(order[j - 1])->view.order > d->view.order) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return n;
}

/* A preset's panes as registered indices (-1 for a name not registered). */
static int
named(const struct layout_preset *p, int *idx)
{
    int n = 0;
    for (; n < (int)(sizeof p->panes / sizeof p->panes[0]) && p->panes[n] != NULL; n++)
        idx[n] = view_pane_parse(p->panes[n]);
    return n;
}

static bool
is_on(const bool *on, int i)
{
    return i >= 0 && on[i];
}

/* LAYOUT_SPLIT: false when neither pane is on (the default then applies). */
static bool
split(struct layout *l, struct rect a, const int *idx, const bool *on)
{
    int main = idx[0], side = idx[1];
    if (!is_on(on, main) && !is_on(on, side))
        return false;
    if (is_on(on, main) && is_on(on, side)) {
        int wd = (int)lround(DATA_SHARE * a.w);
        if (a.w - wd >= PANE_PREF_W) {
            l->pane[main] = (struct rect){a.col, a.row, wd, a.h};
            l->pane[side] = (struct rect){a.col + wd, a.row, a.w - wd, a.h};
            return true;
        }
    }
    l->pane[is_on(on, main) ? main : side] = a;
    return true;
}

/* LAYOUT_COLUMNS: false when neither of the two columns' panes is on. */
static bool
columns(struct layout *l, struct rect a, const int *idx, int n, const bool *on)
{
    int right = idx[0], left = n > 1 ? idx[1] : -1, under = n > 2 ? idx[2] : -1;
    if (!is_on(on, right) && !is_on(on, left))
        return false;
    /* The right pane's stacked plots want height; the one under the left
     * pane only when the column is tall enough for both. Too narrow for
     * two: the grid. */
    int half = a.w / 2;
    if (is_on(on, right) && is_on(on, left) && half >= PANE_PREF_W) {
        int ph = a.h;
        if (is_on(on, under) && a.h >= SAMPLER_DATA_MIN_H) {
            ph = (int)lround(SAMPLER_POST_SHARE * a.h);
            l->pane[under] = (struct rect){a.col, a.row + ph, half, a.h - ph};
        }
        l->pane[left] = (struct rect){a.col, a.row, half, ph};
        l->pane[right] = (struct rect){a.col + half, a.row, a.w - half, a.h};
        return true;
    }
    int ls[VIEW_MAX_PANES];
    grid(a, ls, filter(idx, n, on, ls), l->pane);
    return true;
}

void
layout_compute(struct layout *l, int cols, int rows, int preset, const bool *on, int focus,
               bool zoom)
{
    bool all_on[VIEW_MAX_PANES];
    int order[VIEW_MAX_PANES];
    int ntiles = tiles(order);

    memset(l, 0, sizeof *l);
    if (on == NULL) {
        for (int i = 0; i < VIEW_MAX_PANES; i++)
            all_on[i] = true;
        on = all_on;
    }
    if (cols < 0)
        cols = 0;
    if (rows < 0)
        rows = 0;
    if (rows >= 1)
        l->input = (struct rect){0, rows - 1, cols, 1};
    if (cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS) {
        l->too_small = true;
        return;
    }
    l->hint = (struct rect){0, rows - 2, cols, 1};
    l->status = (struct rect){0, rows - 3, cols, 1};
    int lh = log_rows(rows);
    struct rect a = {0, 0, cols, rows - 3 - lh};
    l->log = (struct rect){0, a.h, cols, lh};

    int list[VIEW_MAX_PANES];
    int n = filter(order, ntiles, on, list);
    if (n == 0) {
        /* Nothing to plot: the log takes the whole area. */
        l->log = (struct rect){0, 0, cols, rows - 3};
        return;
    }

    int npresets = 0;
    while (layout_presets[npresets].view.name != NULL)
        npresets++;
    const struct layout_preset *p = &layout_presets[preset >= 0 && preset < npresets ? preset : 0];
    if (zoom || p->kind == LAYOUT_SINGLE) {
        /* The focused pane, or when it is off (or focus is not a tile) the
         * first pane that is on, in priority order. */
        bool tile = focus >= 0 && focus < pane_count() && pane_at(focus)->place == PANE_TILE;
        l->pane[tile && on[focus] ? focus : list[0]] = a;
        return;
    }
    int idx[4];
    int ni = named(p, idx);
    if (p->kind == LAYOUT_SPLIT && ni >= 2 && split(l, a, idx, on))
        return;
    if (p->kind == LAYOUT_COLUMNS && ni >= 1 && columns(l, a, idx, ni, on))
        return;
    if (p->kind == LAYOUT_GRID && ni > 0) {
        int lt[VIEW_MAX_PANES];
        int nt = filter(idx, ni, on, lt);
        if (nt > 0) {
            grid(a, lt, nt, l->pane);
            return;
        }
    }
    /* The default, and the presets whose panes are all off. */
    grid(a, list, n, l->pane);
}

/* Whether the instrument is what the user works with: chosen after the
 * model (or there is none). An instrument is separate from the session's
 * model, so the model's panes beside it would show an unrelated picture. */
static bool
instrument_current(const struct session *s)
{
    return s->inst != NULL && (s->latest == LATEST_INSTRUMENT || !session_has_model(s));
}

/* Under the theory layout the current instrument takes the whole area; a
 * model chosen after it (or no instrument) gets the preset's other panes,
 * which draw the model, and the stale instrument goes. */
static void
theory_adjust(const struct session *s, bool *on)
{
    int t = view_pane_parse("theory");
    if (instrument_current(s)) {
        for (int i = 0; i < pane_count(); i++)
            on[i] = on[i] && i == t;
    } else if (t >= 0 && s->inst != NULL) {
        on[t] = false;
    }
}

/* Under the sampler layout the data pane only belongs beside a sampler of
 * the model's posterior. */
static void
sampler_adjust(const struct session *s, bool *on)
{
    int d = view_pane_parse("data"), sp = view_pane_parse("sampler");
    /* A sampler of another target with a model chosen since: the model's
     * panes, not the stale sampler's traces. */
    if (s->smp != NULL && s->smp->tid != SMP_POSTERIOR && s->latest == LATEST_MODEL) {
        if (sp >= 0)
            on[sp] = false;
        return;
    }
    if (d >= 0 && s->smp != NULL && (s->smp->tid != SMP_POSTERIOR || s->blr == NULL))
        on[d] = false;
}

/* The nn layout shows the training pane without a `pane train` first. */
static void
nn_adjust(const struct session *s, bool *on)
{
    int t = view_pane_parse("train");
    if (t >= 0 && s->m != NULL && s->mc->pane.history != NULL)
        on[t] = true;
}

/* The default gives a model's room to its most informative panes: for a
 * model without weights and without a scalar posterior (a GP) those are
 * data and regret (f at two inputs, in the posterior pane, is a detail), so
 * at 80x24 they share the screen, unless the posterior pane is focused or
 * its inputs were chosen (`pane posterior x=a,b`), or a sampler draws in it. */
static void
default_adjust(const struct session *s, bool *on)
{
    int p = view_pane_parse("posterior"), t = view_pane_parse("theory");
    /* An instrument chosen before the model is not what the user looks at
     * now; neither is a sampler of another target (the banana): the
     * posterior pane then draws the model (ui/pane_posterior.c). */
    if (t >= 0 && s->inst != NULL && !instrument_current(s))
        on[t] = false;
    bool smp_shown = s->smp != NULL && (s->smp->tid == SMP_POSTERIOR || s->latest != LATEST_MODEL);
    const struct view_value *x = view_get(&s->view, "posterior", "x");
    if (p < 0 || s->m == NULL || s->blr != NULL || smp_shown || s->mc->pane.scalar != NULL ||
        view_has_focus(&s->view, "posterior") || (x != NULL && x->set))
        return;
    on[p] = false;
}

const struct layout_preset layout_presets[] = {
    {{"default", "what fits"}, LAYOUT_GRID, {NULL}, default_adjust},
    {{"single", "the focused pane"}, LAYOUT_SINGLE, {NULL}, NULL},
    {{"data", NULL}, LAYOUT_SPLIT, {"data", "posterior"}, NULL},
    {{"theory", "the instrument"}, LAYOUT_GRID, {"theory", "regret", "spectrum", "posterior"},
     theory_adjust},
    {{"sampler", "posterior and sampler"}, LAYOUT_COLUMNS, {"sampler", "posterior", "data"},
     sampler_adjust},
    {{"compare", "side a and side b of compare"}, LAYOUT_GRID, {"compare"}, NULL},
    {{"sweep", "a sweep's figure and the data"}, LAYOUT_SPLIT, {"sweep", "data"}, NULL},
    {{"nn", "a network: data, training, spectrum"}, LAYOUT_GRID, {"data", "train", "spectrum"}, nn_adjust},
    {{0}, 0, {NULL}, NULL},
};
