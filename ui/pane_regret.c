/* ui/pane_regret.c - cumulative log-loss regret against n, with theory on
 * the same axes: the closed-form expectation and the (d/2) log n
 * asymptote when the truth is in the model, else regret against the best
 * parameter in hindsight with its bound. Series differ by line pattern, not
 * only colour. `pane regret logx=yes` puts n on a log axis, where the
 * asymptote is a straight line of slope d/2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/base/linalg.h"
#include "ui/pane.h"
#include "ui/plot.h"

struct regret_pane {
    struct plot_range x, y;
    size_t *idx;
    double *buf;
    size_t cap;
    /* The trace as last drawn: its length and its value at its last point,
     * to see a replay (optimize, a new model) rewrite it. */
    size_t seen_n;
    double seen_last;
};

static void *
regret_create(const struct pane_host *host)
{
    (void)host;
    return calloc(1, sizeof(struct regret_pane));
}

static void
regret_destroy(void *self)
{
    struct regret_pane *p = self;
    if (p == NULL)
        return;
    free(p->idx);
    free(p->buf);
    free(p);
}

static void
regret_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    if (s->blr != NULL)
        snprintf(buf, size, "regret (nats) vs n  d=%zu", s->dim);
    else if (s->m != NULL && !(s->mc->traces & MODEL_TRACE(TR_REGRET_HINDSIGHT)) &&
             (s->world == NULL || !world_knows_truth(s->world)))
        snprintf(buf, size, "sequential log-loss (nats) vs n");
    else
        snprintf(buf, size, "regret (nats) vs n");
}

static void
regret_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct regret_pane *p = self;
    if (!session_has_model(s)) {
        pane_message(c, col, row, w, h,
                     s->mc == NULL ? "no model yet: try  model blr" : "no data yet");
        return;
    }
    if (s->n == 0) {
        pane_message(c, col, row, w, h, "no points yet: observe 10, or stream");
        return;
    }
    size_t max = (size_t)(w > 0 ? 2 * w : 0);
    if (max > p->cap) {
        size_t *idx = realloc(p->idx, max * sizeof *idx);
        if (idx != NULL)
            p->idx = idx;
        double *b = realloc(p->buf, 4 * max * sizeof *b);
        if (b != NULL)
            p->buf = b;
        if (idx == NULL || b == NULL)
            return;
        p->cap = max;
    }
    bool logx = view_choice(&s->view, "regret", "logx") == 1;
    size_t k = pane_sample_indices(s->n, max, logx, p->idx);
    double *x = p->buf, *a = x + max, *b = a + max, *t = b + max;
    bool truth = s->world != NULL && world_knows_truth(s->world);
    /* With the truth: measured vs truth, closed form, asymptote. Without:
     * vs hindsight, its bound, asymptote. */
    /* Models without a best fixed parameter (kernel models) have nothing to
     * compare with: regret against the truth when it is known, else the
     * sequential log-loss itself. */
    bool kmodel = !(s->mc->traces & MODEL_TRACE(TR_REGRET_HINDSIGHT));
    enum trace_id ia = truth ? TR_REGRET_TRUTH : kmodel ? TR_CUM_LOGLOSS : TR_REGRET_HINDSIGHT;
    enum trace_id ib = s->truth_in_model ? TR_REGRET_CLOSED
                       : truth          ? TR_REGRET_HINDSIGHT
                                        : TR_BOUND;
    for (size_t i = 0; i < k; i++) {
        x[i] = (double)(p->idx[i] + 1);
        a[i] = s->trace[ia][p->idx[i]];
        b[i] = s->trace[ib][p->idx[i]];
        t[i] = s->trace[TR_ASYMPTOTE][p->idx[i]];
    }
    p->x.log = logx;
    /* A replayed trace (optimize refits and replays the stream) is a new
     * curve: the y axis follows it at once instead of keeping the old range
     * by hysteresis. */
    if (p->seen_n > 0 && !p->y.fixed) {
        double was = s->n >= p->seen_n ? s->trace[ia][p->seen_n - 1] : (double)NAN;
        if (!(was == p->seen_last || (isnan(was) && isnan(p->seen_last) && s->n >= p->seen_n)))
            p->y.valid = false;
    }
    p->seen_n = s->n;
    p->seen_last = s->trace[ia][s->n - 1];
    pane_apply_ranges(s, "regret", &p->x, &p->y);
    double mn = NAN, mx = NAN;
    plot_range_update(&p->x, 1, s->n > 1 ? (double)s->n : 2);
    plot_extent(a, k, false, &mn, &mx);
    plot_extent(b, k, false, &mn, &mx);
    plot_extent(t, k, false, &mn, &mx);
    plot_range_update(&p->y, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, h, &p->x, &p->y, "n", "nats");
    const char *na = truth    ? "measured vs truth"
                     : kmodel ? "cumulative log-loss"
                              : "vs best in hindsight";
    const char *nb = ib == TR_REGRET_CLOSED      ? "E[regret], closed form"
                     : ib == TR_REGRET_HINDSIGHT ? "vs best in hindsight"
                                                 : "bound";
    if (!kmodel) {
        plot_series(&pl, "(d/2) log n + c");
        plot_line(&pl, x, t, k, COL_S3, PAT_DOTTED);
        plot_series(&pl, nb);
        plot_line(&pl, x, b, k, COL_S2, PAT_DASHED);
    }
    plot_series(&pl, na);
    plot_line(&pl, x, a, k, COL_S1, PAT_SOLID);
    /* A reference this world does not define (no finite value) is named
     * hidden in the legend rather than listed as if drawn. */
    if (!kmodel && !linalg_any_finite(b, k))
        plot_series_hidden(&pl, nb, "undefined here");
    if (!kmodel && !linalg_any_finite(t, k))
        plot_series_hidden(&pl, "(d/2) log n + c", "undefined here");
    const struct legend_entry leg[] = {
        {"──", "__", na, COL_S1},
        {"╌╌", "--", nb, COL_S2},
        {"··", "..", "(d/2) log n + c", COL_S3},
    };
    plot_legend(&pl, leg, kmodel ? 1 : 3);
}

static const char *const yesno[] = {"no", "yes", NULL};

static const struct view_key regret_keys[] = {
    {.arg = {.name = "logx", .type = ARG_CHOICE, .choices = yesno,
             .help = "regret: log-scaled n axis"}},
    {.arg = {.name = NULL}},
};

const struct pane_desc pane_regret = {
    .view = {.name = "regret",
             .help = "cumulative log-loss regret against n, with its theory",
             .keys = regret_keys,
             .shown = true,
             .ranges = true,
             .order = 2},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = regret_create,
    .destroy = regret_destroy,
    .title = regret_title,
    .draw = regret_draw,
};
