/* ui/pane_sweep.c - `sweep KEY=LO..HI` (commands/sweep.h): log evidence and
 * the training fit against the swept key, the evidence's maximum marked. The
 * Occam's razor figure: the fit keeps rising with complexity, the evidence
 * rises, peaks and falls (docs/compare.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/sweep.h"
#include "ui/pane.h"
#include "ui/plot.h"

struct sweep_pane {
    struct plot_range x, y;
    const void *last; /* the sweep the ranges belong to */
};

static void *
sweep_create(const struct pane_host *host)
{
    (void)host;
    return calloc(1, sizeof(struct sweep_pane));
}

static void
sweep_destroy(void *self)
{
    free(self);
}

static void
sweep_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    const struct sweep *sw = s->sweep;
    if (sw == NULL) {
        snprintf(buf, size, "sweep");
        return;
    }
    long b = sweep_best(sw);
    char v[32] = "";
    if (b >= 0)
        plot_format_number(sw->value[b], 4, v, sizeof v);
    snprintf(buf, size, "sweep %s: evidence vs fit  n=%zu  %zu/%zu%s%s%s", sw->key, sw->n,
             sw->done, sw->nv, b >= 0 ? "  best " : "", b >= 0 ? sw->key : "", b >= 0 ? "=" : "");
    if (b >= 0) {
        size_t len = strlen(buf);
        snprintf(buf + len, size > len ? size - len : 0, "%s", v);
    }
}

static void
sweep_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct sweep_pane *p = self;
    const struct sweep *sw = s->sweep;
    if (sw == NULL) {
        pane_message(c, col, row, w, h, "no sweep yet: sweep degree=0..9 (or sweep ls=0.1..10)");
        return;
    }
    if (p->last != (const void *)sw) {
        memset(&p->x, 0, sizeof p->x);
        memset(&p->y, 0, sizeof p->y);
        p->last = sw;
    }
    p->x.log = sw->log;
    p->x.integer = !sw->log && sw->nv > 1 && sw->value[1] - sw->value[0] == 1 &&
                   sw->value[0] == floor(sw->value[0]);
    pane_apply_ranges(s, "sweep", &p->x, &p->y);
    double ymn = NAN, ymx = NAN;
    plot_extent(sw->log_ev, sw->done, false, &ymn, &ymx);
    plot_extent(sw->fit_ll, sw->done, false, &ymn, &ymx);
    plot_range_update(&p->x, sw->value[0], sw->value[sw->nv - 1]);
    /* One very poor fit (degree 0: hundreds of nats down) would flatten
     * the rest into a line; the axis stops twice the upper half's span
     * below the median, and that value's line runs off the bottom (marked
     * below). Only for a few such values, a fifth at most: a floor under
     * the fits of degrees 1..5 cut off the whole evidence curve, 10 nats
     * below them. */
    double v[2 * SWEEP_MAX];
    size_t nv = 0;
    for (size_t i = 0; i < sw->done; i++) {
        if (isfinite(sw->log_ev[i]))
            v[nv++] = sw->log_ev[i];
        if (isfinite(sw->fit_ll[i]))
            v[nv++] = sw->fit_ll[i];
    }
    if (nv > 2) {
        for (size_t i = 1; i < nv; i++) /* insertion sort: at most 400 values */
            for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
                double t = v[j];
                v[j] = v[j - 1];
                v[j - 1] = t;
            }
        double med = v[nv / 2], floor_ = med - 2 * (ymx - med);
        size_t below = 0;
        while (below < nv && v[below] < floor_)
            below++;
        if (ymx > med && ymn < floor_ && 5 * below <= nv)
            ymn = floor_;
    }
    plot_range_update(&p->y, ymn, ymx);
    struct plot pl;
    char xl[48];
    snprintf(xl, sizeof xl, "%s", sw->key);
    plot_begin(&pl, c, col, row, w, h, &p->x, &p->y, xl, "nats");
    long b = sweep_best(sw);
    if (b >= 0) {
        plot_series(&pl, "max evidence");
        plot_vline(&pl, sw->value[b], COL_S3, PAT_DOTTED);
    }
    plot_series(&pl, "training fit");
    plot_line(&pl, sw->value, sw->fit_ll, sw->done, COL_S2, PAT_DASHED);
    for (size_t i = 0; i < sw->done; i++)
        plot_marker(&pl, sw->value[i], sw->fit_ll[i], 'x', COL_S2, ATTR_NONE);
    plot_series(&pl, "log evidence");
    plot_line(&pl, sw->value, sw->log_ev, sw->done, COL_S1, PAT_SOLID);
    for (size_t i = 0; i < sw->done; i++)
        plot_marker(&pl, sw->value[i], sw->log_ev[i], 0x25CF, COL_S1, ATTR_NONE);
    if (b >= 0) {
        plot_series(&pl, "max evidence");
        plot_layer(&pl, LAYER_NEW);
        plot_marker(&pl, sw->value[b], sw->log_ev[b], 0x25C6, COL_S3, ATTR_BOLD);
        plot_layer(&pl, -1);
    }
    /* A value past the axis (degree 0, below the floor above) gets a mark
     * at the edge in its curve's colour, the evidence's over the fit's. */
    plot_series(&pl, "off scale");
    plot_layer(&pl, LAYER_NEW);
    int marked = 0;
    for (size_t i = 0; i < sw->done; i++)
        marked |= plot_offscale(&pl, sw->value[i], sw->fit_ll[i], COL_S2);
    for (size_t i = 0; i < sw->done; i++)
        marked |= plot_offscale(&pl, sw->value[i], sw->log_ev[i], COL_S1);
    plot_layer(&pl, -1);
    plot_series(&pl, NULL);
    struct legend_entry e[4] = {
        {"─●", "_o", "log evidence", COL_S1},
        {"╌x", "-x", "training fit", COL_S2},
    };
    size_t ne = 2;
    if (b >= 0)
        e[ne++] = (struct legend_entry){"◆ ", "* ", "max evidence", COL_S3};
    if (marked)
        e[ne++] = plot_offscale_entry(marked, "off scale", COL_DEFAULT);
    plot_legend_checked(&pl, e, ne, NULL);
}

const struct pane_desc pane_sweep = {
    .view = {.name = "sweep",
             .help = "sweep: log evidence and training fit against the swept key",
             .shown = false,
             .ranges = true,
             .order = 7},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = sweep_create,
    .destroy = sweep_destroy,
    .title = sweep_title,
    .draw = sweep_draw,
};
