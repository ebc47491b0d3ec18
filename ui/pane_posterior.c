/* ui/pane_posterior.c - the 2-D marginal of two chosen weights (`pane
 * posterior w=i,j`): the exact posterior's 1 and 2 sigma ellipses, its mean
 * and the truth; under it, the concentration traces against n (trace of the
 * covariance and distance of the mean to the truth, log scale).
 * The two covariance columns come from triangular solves (O(d^2) per
 * frame); nothing here factorizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ui/pane.h"
#include "ui/plot.h"

struct posterior_pane {
    struct plot_range x, y;   /* the ellipse plot */
    struct plot_range tn, ty; /* the concentration traces */
    double *col;              /* 2 x dim scratch */
    size_t cap;
    size_t *idx;
    double *tx, *t1, *t2;
    size_t tcap;
};

static void *
posterior_create(void)
{
    struct posterior_pane *p = calloc(1, sizeof *p);
    if (p != NULL)
        p->ty.log = true;
    return p;
}

static void
posterior_destroy(void *self)
{
    struct posterior_pane *p = self;
    if (p == NULL)
        return;
    free(p->col);
    free(p->idx);
    free(p->tx);
    free(p->t1);
    free(p->t2);
    free(p);
}

static void
posterior_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    snprintf(buf, size, "posterior  w%zu x w%zu  n=%zu", s->view.post_w[0], s->view.post_w[1],
             s->n);
}

static void
draw_traces(struct posterior_pane *p, const struct session *s, struct canvas *c, int col, int row,
            int w, int h)
{
    size_t max = (size_t)(w > 0 ? 2 * w : 0);
    if (max > p->tcap) {
        size_t *idx = realloc(p->idx, max * sizeof *idx);
        double *tx = realloc(p->tx, max * sizeof *tx), *t1 = realloc(p->t1, max * sizeof *t1),
               *t2 = realloc(p->t2, max * sizeof *t2);
        if (idx) p->idx = idx;
        if (tx) p->tx = tx;
        if (t1) p->t1 = t1;
        if (t2) p->t2 = t2;
        if (!idx || !tx || !t1 || !t2)
            return;
        p->tcap = max;
    }
    size_t k = pane_sample_indices(s->n, max, 0, p->idx);
    double mn = NAN, mx = NAN;
    for (size_t i = 0; i < k; i++) {
        p->tx[i] = (double)(p->idx[i] + 1);
        p->t1[i] = s->trace[TR_TRACE_COV][p->idx[i]];
        p->t2[i] = s->trace[TR_DIST_TRUTH][p->idx[i]];
    }
    plot_range_update(&p->tn, 1, s->n > 1 ? (double)s->n : 2);
    plot_extent(p->t1, k, true, &mn, &mx);
    plot_extent(p->t2, k, true, &mn, &mx);
    plot_range_update(&p->ty, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, h, &p->tn, &p->ty, "n", NULL);
    plot_line(&pl, p->tx, p->t1, k, COL_S1, PAT_SOLID);
    plot_line(&pl, p->tx, p->t2, k, COL_S2, PAT_DASHED);
    const struct legend_entry leg[] = {
        {"──", "__", "tr cov", COL_S1},
        {"╌╌", "--", "|mean - truth|", COL_S2},
    };
    plot_legend(&pl, leg, s->wstar != NULL ? 2 : 1);
}

static void
posterior_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w,
               int h)
{
    struct posterior_pane *p = self;
    if (s->blr == NULL) {
        pane_message(c, col, row, w, h,
                     s->model == MODEL_NONE ? "no model yet: try  model blr" : "no data yet");
        return;
    }
    size_t d = s->dim, i = s->view.post_w[0], j = s->view.post_w[1];
    if (d < 2) {
        /* One weight: show it against the second axis of nothing; use w0 twice. */
        i = j = 0;
    } else if (i >= d || j >= d) {
        char msg[96];
        snprintf(msg, sizeof msg, "w%zu,%zu out of range: the model has w0..w%zu", i, j, d - 1);
        pane_message(c, col, row, w, h, msg);
        return;
    }
    if (2 * d > p->cap) {
        double *b = realloc(p->col, 2 * d * sizeof *b);
        if (b == NULL)
            return;
        p->col = b;
        p->cap = 2 * d;
    }
    pane_cov_column(s, i, p->col);
    pane_cov_column(s, j, p->col + d);
    const double *m = blr_mean(s->blr);
    double sxx = p->col[i], sxy = p->col[j], syy = p->col[d + j];
    if (d < 2)
        sxy = 0, syy = sxx;
    double mx = m[i], my = d < 2 ? 0 : m[j];
    double rx = 2.6 * sqrt(sxx), ry = 2.6 * sqrt(syy);
    double xmn = mx - rx, xmx = mx + rx, ymn = my - ry, ymx = my + ry;
    bool truth = s->wstar != NULL;
    double tx = truth ? s->wstar[i] : (double)NAN, ty = truth ? (d < 2 ? 0 : s->wstar[j]) : (double)NAN;
    if (truth) {
        xmn = fmin(xmn, tx), xmx = fmax(xmx, tx);
        ymn = fmin(ymn, ty), ymx = fmax(ymx, ty);
    }
    if (!isfinite(sxx) || !isfinite(syy)) {
        pane_message(c, col, row, w, h, "posterior covariance not finite yet (nig: a_n <= 1)");
        return;
    }
    pane_apply_ranges(s, PANE_POSTERIOR, &p->x, &p->y);
    plot_range_update(&p->x, xmn, xmx);
    plot_range_update(&p->y, ymn, ymx);

    int top = h >= 18 ? h * 3 / 5 : h; /* too short for two plots: one good one */
    char xl[16], yl[16];
    snprintf(xl, sizeof xl, "w%zu", i);
    snprintf(yl, sizeof yl, "w%zu", j);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, top, &p->x, &p->y, xl, d < 2 ? NULL : yl);
    plot_ellipse(&pl, mx, my, sxx, sxy, syy, 2.0, COL_S1, PAT_DASHED);
    plot_ellipse(&pl, mx, my, sxx, sxy, syy, 1.0, COL_S1, PAT_SOLID);
    plot_marker(&pl, mx, my, c->ascii ? 'x' : 0x00D7, COL_S1, ATTR_BOLD);
    if (truth)
        plot_marker(&pl, tx, ty, '+', COL_TRUTH, ATTR_BOLD);
    const struct legend_entry leg[] = {
        {"──", "__", "1 sd", COL_S1},
        {"╌╌", "--", "2 sd", COL_S1},
        {"× ", "x ", "mean", COL_S1},
        {"+ ", "+ ", "truth", COL_TRUTH},
    };
    plot_legend(&pl, leg, truth ? 4 : 3);
    if (top < h && s->n > 0)
        draw_traces(p, s, c, col, row + top, w, h - top);
}

const struct pane_class pane_posterior_class = {
    .name = "posterior",
    .create = posterior_create,
    .destroy = posterior_destroy,
    .title = posterior_title,
    .draw = posterior_draw,
};
