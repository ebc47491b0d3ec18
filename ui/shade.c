/* ui/shade.c - see shade.h. */
#include "ui/shade.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Dots added level by level (pixel column, row within the cell), spread
 * so that a cell of any level looks like an even texture. */
static const int fill_order[SHADE_LEVELS][2] = {
    {0, 1}, {1, 3}, {1, 0}, {0, 2}, {1, 2}, {0, 3}, {0, 0}, {1, 1},
};
static const char ascii_ramp[SHADE_LEVELS + 1] = " .:-=+*#@";

#define LOW_LEVELS 3 /* levels drawn in COL_DIM */

int
shade_hist_reset(struct shade_hist *sh, const struct plot *pl)
{
    int w = pl->pw > 0 ? pl->pw : 0, h = pl->ph > 0 ? pl->ph : 0;
    size_t n = (size_t)w * (size_t)h;
    if (sh->w != w || sh->h != h || (sh->count == NULL && n > 0)) {
        double *a = n > 0 ? realloc(sh->count, n * sizeof *a) : NULL;
        if (n > 0 && a == NULL) {
            shade_hist_free(sh);
            return -1;
        }
        if (n == 0)
            free(sh->count);
        sh->count = a;
        sh->w = w;
        sh->h = h;
    }
    for (size_t i = 0; i < n; i++)
        sh->count[i] = 0;
    sh->total = sh->inside = 0;
    return 0;
}

void
shade_hist_free(struct shade_hist *sh)
{
    free(sh->count);
    sh->count = NULL;
    sh->w = sh->h = 0;
    sh->total = sh->inside = 0;
}

void
shade_hist_add(struct shade_hist *sh, const struct plot *pl, double x, double y, double wt)
{
    sh->total += wt;
    if (sh->count == NULL || !isfinite(x) || !isfinite(y))
        return;
    /* Pixel coordinates round to the pixel a dot there would light. */
    double X = floor(plot_px(pl, x) + 0.5), Y = floor(plot_py(pl, y) + 0.5);
    double a = floor(X / 2) - pl->pcol, b = floor(Y / 4) - pl->prow;
    if (!(a >= 0 && b >= 0 && a < sh->w && b < sh->h))
        return;
    sh->count[(size_t)b * (size_t)sh->w + (size_t)a] += wt;
    sh->inside += wt;
}

int
shade_level(double count, double max)
{
    if (!(count > 0) || !(max > 0))
        return 0;
    int l = (int)ceil(SHADE_LEVELS * cbrt(fmin(count / max, 1.0)));
    return l < 1 ? 1 : l;
}

void
shade_draw(const struct shade_hist *sh, struct plot *pl)
{
    if (sh->count == NULL || sh->w != pl->pw || sh->h != pl->ph)
        return;
    double max = 0;
    for (size_t i = 0; i < (size_t)sh->w * (size_t)sh->h; i++)
        max = fmax(max, sh->count[i]);
    struct canvas *c = pl->c;
    /* The shade belongs to the plot's series (plot_series), at the back. */
    canvas_pen(c, pl->series, pl->layer >= 0 ? pl->layer : LAYER_DENSITY);
    for (int b = 0; b < sh->h; b++)
        for (int a = 0; a < sh->w; a++) {
            int l = shade_level(sh->count[(size_t)b * (size_t)sh->w + (size_t)a], max);
            int col = pl->pcol + a, row = pl->prow + b;
            if (l == 0 || canvas_glyph(c, col, row) != ' ')
                continue;
            int color = l <= LOW_LEVELS ? COL_DIM : COL_S2;
            if (c->ascii) {
                canvas_put(c, col, row, (uint32_t)ascii_ramp[l], color, ATTR_NONE);
                continue;
            }
            for (int k = 0; k < l; k++)
                canvas_dot(c, 2 * col + fill_order[k][0], 4 * row + fill_order[k][1], color);
        }
    canvas_pen(c, 0, LAYER_NONE);
}

/* The id on c of top's series id (by label: the plot's own first, else
 * registered on c), 0 for none. */
static int
series_on(struct canvas *c, const struct plot *pl, const struct canvas *top, int id)
{
    if (id <= 0 || id > top->nseries)
        return 0;
    const char *label = top->series[id - 1].label;
    for (int k = c->nseries; k >= pl->first_series && k >= 1; k--)
        if (strcmp(c->series[k - 1].label, label) == 0)
            return k;
    return canvas_series_add(c, label);
}

void
shade_compose(struct plot *pl, const struct canvas *top)
{
    struct canvas *c = pl->c;
    if (top->cols != c->cols || top->rows != c->rows || top->cells == NULL)
        return;
    for (int r = pl->prow; r < pl->prow + pl->ph; r++)
        for (int k = pl->pcol; k < pl->pcol + pl->pw; k++) {
            if (k < 0 || r < 0 || k >= c->cols || r >= c->rows)
                continue;
            size_t at = (size_t)r * (size_t)c->cols + (size_t)k;
            const struct cell *t = &top->cells[at];
            if (t->ch != 0 || t->dots != 0 || t->wide) {
                c->cells[at] = *t;
                c->cells[at].series = (uint8_t)series_on(c, pl, top, t->series);
            }
        }
    /* top's display list joins c's, its series renamed to c's ids. */
    int pen = c->pen_series, layer = c->pen_layer;
    for (size_t k = 0; k < top->nshape; k++) {
        const struct canvas_shape *sp = &top->shape[k];
        canvas_pen(c, series_on(c, pl, top, sp->series), sp->layer);
        canvas_shape_add(c, (enum canvas_shape_kind)sp->kind, sp->color, sp->pattern, sp->glyph,
                         top->xy + 2 * sp->first, sp->n);
    }
    canvas_pen(c, pen, layer);
}

bool
shade_cell_is_shade(const struct canvas *c, int col, int row)
{
    if (col < 0 || row < 0 || col >= c->cols || row >= c->rows)
        return false;
    const struct cell *cl = &c->cells[(size_t)row * (size_t)c->cols + (size_t)col];
    if (cl->color != COL_DIM && cl->color != COL_S2)
        return false;
    if (c->ascii) {
        for (int l = 1; l <= SHADE_LEVELS; l++)
            if (cl->ch == (uint32_t)ascii_ramp[l])
                return true;
        return false;
    }
    return cl->ch == 0 && cl->dots != 0;
}
