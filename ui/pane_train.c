/* ui/pane_train.c - a trained model's losses against the optimizer step
 * (model nn, `train N`): the training loss on the stream and the held-out
 * loss on points drawn from the world, both per point, from the model's
 * history (struct model_history, recorded at fixed steps). The y axis is
 * logarithmic once the losses span more than a decade (training falls by
 * orders of magnitude), linear otherwise. From 16 rows a second plot below
 * shows how far training moved the kernels: the relative change of the
 * empirical NTK since initialization and the output layer's CKA to its NNGP
 * kernel (lazy training keeps them near 0 and 1, rich training moves both). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/pane.h"
#include "ui/plot.h"

struct train_pane {
    struct plot_range x, y;
    struct plot_range mx, my; /* the kernel-movement plot below */
    const void *model; /* the instance the ranges belong to */
};

static void *
train_create(const struct pane_host *host)
{
    (void)host;
    return calloc(1, sizeof(struct train_pane));
}

static void
train_destroy(void *self)
{
    free(self);
}

static bool
history_of(const struct session *s, struct model_history *h)
{
    return s->m != NULL && s->mc->pane.history != NULL && s->mc->pane.history(s->m, h);
}

static void
train_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    struct model_history h;
    if (!history_of(s, &h) || h.n == 0) {
        snprintf(buf, size, "training: loss vs step");
        return;
    }
    char a[24], b[24];
    plot_format_number(h.train[h.n - 1], 3, a, sizeof a);
    plot_format_number(h.heldout[h.n - 1], 3, b, sizeof b);
    if (isnan(h.heldout[h.n - 1]))
        snprintf(buf, size, "training: loss vs step  step %.0f  train %s", h.step[h.n - 1], a);
    else
        snprintf(buf, size, "training: loss vs step  step %.0f  train %s  held-out %s",
                 h.step[h.n - 1], a, b);
}

/* NTK change and the output layer's CKA to the NNGP against the step, on
 * one axis that always holds [0, 1]: both are fractions. */
static void
draw_movement(struct train_pane *p, const struct model_history *hi, struct canvas *c, int col,
              int row, int w, int h)
{
    double *cka = malloc(hi->n * sizeof *cka);
    if (cka == NULL)
        return;
    size_t out = hi->layers - 1;
    for (size_t r = 0; r < hi->n; r++)
        cka[r] = hi->cka[r * hi->layers + out];
    double mn = 0, mx = 1;
    plot_extent(hi->ntk_change, hi->n, false, &mn, &mx);
    plot_extent(cka, hi->n, false, &mn, &mx);
    p->mx.integer = true;
    plot_range_update(&p->mx, hi->step[0], hi->step[hi->n - 1]);
    plot_range_update(&p->my, mn, mx);
    char cname[48];
    snprintf(cname, sizeof cname, "CKA to NNGP, layer %zu", hi->layers);
    const struct legend_entry leg[] = {
        {"─●", "_o", "NTK change |dTheta|/|Theta0|", COL_S3},
        {"╌•", "-*", cname, COL_S4},
    };
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, &p->mx, &p->my, "step", "kernel movement", leg, 2);
    plot_series(&pl, leg[1].name);
    plot_line(&pl, hi->step, cka, hi->n, COL_S4, PAT_DASHED);
    plot_marker(&pl, hi->step[hi->n - 1], cka[hi->n - 1], c->ascii ? '*' : 0x2022, COL_S4,
                ATTR_NONE);
    plot_series(&pl, leg[0].name);
    plot_line(&pl, hi->step, hi->ntk_change, hi->n, COL_S3, PAT_SOLID);
    plot_marker(&pl, hi->step[hi->n - 1], hi->ntk_change[hi->n - 1], c->ascii ? 'o' : 0x25CF,
                COL_S3, ATTR_NONE);
    plot_series(&pl, NULL);
    static const char *const why[] = {"under the CKA", "under NTK change"};
    plot_legend_checked(&pl, leg, 2, why);
    free(cka);
}

static void
train_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct train_pane *p = self;
    struct model_history hi;
    if (!history_of(s, &hi)) {
        pane_message(c, col, row, w, h,
                     s->mc == NULL || s->mc->pane.history == NULL
                         ? "no trained model: model nn width=64, then train 200"
                         : "no data yet: observe 40, then train 200");
        return;
    }
    if (hi.n == 0) {
        pane_message(c, col, row, w, h, "not trained yet: train 200 (live: train rate=50)");
        return;
    }
    if (p->model != s->m) {
        p->x = p->y = p->mx = p->my = (struct plot_range){0};
        p->model = s->m;
    }
    double mn = NAN, mx = NAN;
    plot_extent(hi.train, hi.n, true, &mn, &mx);
    plot_extent(hi.heldout, hi.n, true, &mn, &mx);
    bool log = mn > 0 && mx > 10 * mn;
    if (log != p->y.log)
        p->y = (struct plot_range){.log = log};
    if (!log) {
        mn = mx = NAN;
        plot_extent(hi.train, hi.n, false, &mn, &mx);
        plot_extent(hi.heldout, hi.n, false, &mn, &mx);
        if (mn > 0)
            mn = 0;
    }
    p->x.integer = true;
    pane_apply_ranges(s, "train", &p->x, &p->y);
    plot_range_update(&p->x, hi.step[0], hi.step[hi.n - 1] > hi.step[0] ? hi.step[hi.n - 1]
                                                                         : hi.step[0] + 1);
    plot_range_update(&p->y, mn, mx);
    bool held = hi.no_heldout == NULL;
    const struct legend_entry leg[] = {
        {"─●", "_o", "train loss", COL_S1},
        {"╌x", "-x", held ? "held-out loss" : hi.no_heldout, COL_S2},
    };
    struct plot pl;
    /* The movement plot needs two records and room for its own axes. */
    bool moved = hi.n > 1 && h >= 16 && hi.ntk_change != NULL && hi.cka != NULL;
    int top = moved ? h * 11 / 20 : h;
    plot_begin_legend(&pl, c, col, row, w, top, &p->x, &p->y, "step", hi.loss_name, leg, 2);
    if (held) {
        plot_series(&pl, leg[1].name);
        if (hi.n > 1)
            plot_line(&pl, hi.step, hi.heldout, hi.n, COL_S2, PAT_DASHED);
        plot_marker(&pl, hi.step[hi.n - 1], hi.heldout[hi.n - 1], c->ascii ? 'x' : 0x00D7,
                    COL_S2, ATTR_NONE);
    }
    plot_series(&pl, leg[0].name);
    if (hi.n > 1)
        plot_line(&pl, hi.step, hi.train, hi.n, COL_S1, PAT_SOLID);
    plot_marker(&pl, hi.step[hi.n - 1], hi.train[hi.n - 1], c->ascii ? 'o' : 0x25CF, COL_S1,
                ATTR_NONE);
    plot_series(&pl, NULL);
    if (!held)
        plot_series_hidden(&pl, leg[1].name, "none");
    /* Held-out and train losses that agree share their cells: say so. */
    static const char *const why[] = {"under held-out loss", "under train loss"};
    plot_legend_checked(&pl, leg, held ? 2 : 1, why);
    if (moved)
        draw_movement(p, &hi, c, col, row + top, w, h - top);
}

const struct pane_desc pane_train = {
    .view = {.name = "train",
             .help = "training: train and held-out loss against the optimizer step (model nn)",
             .shown = false,
             .ranges = true,
             .order = 8},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = train_create,
    .destroy = train_destroy,
    .title = train_title,
    .draw = train_draw,
};
