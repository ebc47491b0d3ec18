/* ui/pane_theory.c - the theory instrument's curves, each measured curve
 * beside the theory's prediction on the same axes:
 *  lens   regret of the simple- and complex-truth mixtures against n, with
 *         their bounds min_eps [-log W(eps) + n eps]; bars of P(best | D);
 *  bma    per-example squared error against T (log-log) of the BMA, the
 *         oracle that knows the class, least squares and ridge; under it the
 *         BMA's regret against the oracle per example with the log(1/pi)/T
 *         line; bars of the class posterior;
 *  judge  error against k (log-log) with 2-standard-error bars, the 1/k^2
 *         law (teacher) or the k -> inf limit (misspecified), the best k;
 *         under it, error against the judge's temperature at the largest k. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/pane.h"
#include "ui/plot.h"

struct theory_pane {
    struct plot_range x, y, x2, y2;
    size_t *idx;
    double *buf;
    size_t cap;
    const void *inst; /* ranges restart for a new instrument */
};

static void *
theory_create(const struct pane_host *host)
{
    (void)host;
    return calloc(1, sizeof(struct theory_pane));
}

static void
theory_destroy(void *self)
{
    struct theory_pane *p = self;
    if (p == NULL)
        return;
    free(p->idx);
    free(p->buf);
    free(p);
}

static void
theory_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    if (s->inst == NULL)
        snprintf(buf, size, "theory");
    else if (s->inst->kind == INST_JUDGE)
        snprintf(buf, size, "judge: error vs k  trials=%zu", s->inst->n);
    else if (s->inst->kind == INST_LENS)
        snprintf(buf, size, "lens: regret vs n  M=%zu  n=%zu", lens_size(s->inst->ls),
                 s->inst->n);
    else
        snprintf(buf, size, "bma: error vs examples T  t=%zu  prompts=%zu", s->inst->n,
                 s->inst->R);
}

static double *
scratch(struct theory_pane *p, size_t n, size_t rows)
{
    if (n * rows > p->cap) {
        double *b = realloc(p->buf, n * rows * sizeof *b);
        size_t *i = realloc(p->idx, n * sizeof *i);
        if (b) p->buf = b;
        if (i) p->idx = i;
        if (!b || !i)
            return NULL;
        p->cap = n * rows;
    }
    return p->buf;
}

/* A labelled horizontal bar: "label ████████░░░ 0.83". */
static void
bar(struct canvas *c, int col, int row, int w, const char *label, double v, int color)
{
    char num[16];
    snprintf(num, sizeof num, " %.3g", v);
    int lw = canvas_text(c, col, row, label, COL_DEFAULT, ATTR_NONE, w) + 1;
    int bw = w - lw - (int)strlen(num);
    if (bw < 3)
        return;
    int full = (int)lround(fmin(fmax(v, 0), 1) * bw);
    for (int i = 0; i < bw; i++)
        canvas_put(c, col + lw + i, row,
                   i < full ? (c->ascii ? '#' : 0x2588) : (c->ascii ? '.' : 0x2591),
                   i < full ? color : COL_DIM, ATTR_NONE);
    canvas_text(c, col + lw + bw, row, num, COL_DEFAULT, ATTR_NONE, -1);
}

static void
draw_lens(struct theory_pane *p, const struct instrument *in, struct canvas *c, int col, int row,
          int w, int h)
{
    int bars = h >= 12 ? 2 : 0, ph = h - bars;
    size_t max = (size_t)(w > 0 ? 2 * w : 0);
    double *b = scratch(p, max, 6);
    if (b == NULL || in->n == 0)
        return;
    size_t k;
    double *x = b, *y[5] = {b + max, b + 2 * max, b + 3 * max, b + 4 * max, b + 5 * max};
    const int src[5] = {LT_REGRET_S, LT_BOUND_S, LT_REGRET_C, LT_BOUND_C, LT_REGRET_SGLD};
    /* Log-log: the two truths' regrets differ by orders of magnitude. */
    k = pane_sample_indices(in->n, max, 1, p->idx);
    double mn = NAN, mx = NAN;
    for (size_t i = 0; i < k; i++) {
        x[i] = (double)(p->idx[i] + 1);
        for (int j = 0; j < 5; j++)
            y[j][i] = in->lt[src[j]][p->idx[i]];
    }
    for (int j = 0; j < 5; j++)
        plot_extent(y[j], k, true, &mn, &mx);
    p->x.log = p->y.log = true;
    plot_range_update(&p->x, 1, in->n > 1 ? (double)in->n : 2);
    plot_range_update(&p->y, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, ph, &p->x, &p->y, "n", "nats");
    plot_series(&pl, "simple: -log W(e) + n e");
    plot_line(&pl, x, y[1], k, COL_S1, PAT_DOTTED);
    plot_series(&pl, "complex: bound");
    plot_line(&pl, x, y[3], k, COL_S2, PAT_DASH_DOT);
    plot_series(&pl, "SGLD ensemble, simple truth");
    plot_points(&pl, x, y[4], k, COL_S3);
    plot_series(&pl, "simple truth: regret");
    plot_line(&pl, x, y[0], k, COL_S1, PAT_SOLID);
    plot_series(&pl, "complex truth: regret");
    plot_line(&pl, x, y[2], k, COL_S2, PAT_DASHED);
    const struct legend_entry leg[] = {
        {"──", "__", "simple truth: regret", COL_S1},
        {"··", "..", "simple: -log W(e) + n e", COL_S1},
        {"╌╌", "--", "complex truth: regret", COL_S2},
        {"─·", "-.", "complex: bound", COL_S2},
        {"⠂⠂", "''", "SGLD ensemble, simple truth", COL_S3},
    };
    plot_legend(&pl, leg, 5);
    if (bars) {
        bar(c, col + 1, row + ph, w - 2, "P(best|D) simple ", in->lt[LT_POST_S][in->n - 1],
            COL_S1);
        bar(c, col + 1, row + ph + 1, w - 2, "P(best|D) complex", in->lt[LT_POST_C][in->n - 1],
            COL_S2);
    }
}

static void
draw_bma(struct theory_pane *p, const struct instrument *in, struct canvas *c, int col, int row,
         int w, int h)
{
    int bars = h >= 14 ? (int)in->C : 0;
    int rest = h - bars;
    /* The regret per example is the lecture's second point: it keeps a
     * plot of its own down to 80x24 (12 rows: 7 and 5, three data rows). */
    int top = rest >= 12 ? rest * 3 / 5 : rest;
    size_t max = (size_t)(w > 0 ? 2 * w : 0);
    double *b = scratch(p, max, 8);
    if (b == NULL || in->n == 0)
        return;
    size_t k = pane_sample_indices(in->n, max, 1, p->idx);
    double *x = b, *e[4] = {b + max, b + 2 * max, b + 3 * max, b + 4 * max};
    double *rg = b + 5 * max, *line = b + 6 * max;
    const int src[4] = {BT_BMA, BT_ORACLE, BT_LS, BT_RIDGE};
    double mn = NAN, mx = NAN;
    for (size_t i = 0; i < k; i++) {
        size_t t = p->idx[i];
        x[i] = (double)(t + 1);
        for (int j = 0; j < 4; j++)
            e[j][i] = in->bt[src[j]][t];
        rg[i] = (in->bt[BT_REGRET][t] - in->bt[BT_ORACLE_REGRET][t]) / x[i];
        line[i] = in->bound / x[i];
    }
    for (int j = 0; j < 4; j++)
        plot_extent(e[j], k, true, &mn, &mx);
    p->x.log = p->y.log = true;
    plot_range_update(&p->x, 1, in->n > 1 ? (double)in->n : 2);
    plot_range_update(&p->y, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, top, &p->x, &p->y, "examples T", "sq. error");
    plot_series(&pl, "least squares");
    plot_line(&pl, x, e[2], k, COL_S3, PAT_DOTTED);
    plot_series(&pl, "ridge");
    plot_line(&pl, x, e[3], k, COL_S4, PAT_DASH_DOT);
    plot_series(&pl, "oracle (knows the class)");
    plot_layer(&pl,
               LAYER_OVER); /* dashed over BMA, which it equals once BMA has learnt the class */
    plot_line(&pl, x, e[1], k, COL_S2, PAT_DASHED);
    plot_series(&pl, "BMA");
    plot_layer(&pl, -1);
    plot_line(&pl, x, e[0], k, COL_S1, PAT_SOLID);
    const struct legend_entry leg[] = {
        {"──", "__", "BMA", COL_S1},
        {"╌╌", "--", "oracle (knows the class)", COL_S2},
        {"··", "..", "least squares", COL_S3},
        {"─·", "-.", "ridge", COL_S4},
    };
    plot_legend(&pl, leg, 4);
    if (top < rest) {
        double rmn = NAN, rmx = NAN;
        plot_extent(rg, k, true, &rmn, &rmx);
        plot_extent(line, k, true, &rmn, &rmx);
        p->x2 = p->x;
        p->y2.log = true;
        plot_range_update(&p->y2, rmn, rmx);
        plot_begin(&pl, c, col, row + top, w, rest - top, &p->x2, &p->y2, "T",
                   "regret/T vs oracle");
        plot_series(&pl, "log(1/pi) / T");
        plot_line(&pl, x, line, k, COL_S3, PAT_DOTTED);
        plot_series(&pl, "BMA - oracle, per example");
        plot_line(&pl, x, rg, k, COL_S1, PAT_SOLID);
        const struct legend_entry l2[] = {
            {"──", "__", "BMA - oracle, per example", COL_S1},
            {"··", "..", "log(1/pi) / T", COL_S3},
        };
        plot_legend(&pl, l2, 2);
    }
    const double *post = in->post + (in->n - 1) * in->C;
    for (int i = 0; i < bars; i++) {
        char label[48];
        /* The truth's class says so in words (a bare '*' was unexplained). */
        snprintf(label, sizeof label, "P(%-7.7s|D)%s", in->class_names[i],
                 i == in->truth_class ? " truth" : "      ");
        bar(c, col + 1, row + rest + i, w - 2, label, post[i], i == in->truth_class ? COL_S1
                                                                                    : COL_S2);
    }
}

static void
draw_judge(struct theory_pane *p, const struct instrument *in, struct canvas *c, int col, int row,
           int w, int h)
{
    size_t K = judge_sim_kmax(in->js);
    double *b = scratch(p, K, 6);
    if (b == NULL)
        return;
    double *kx = b, *e = b + K, *se = b + 2 * K, *law = b + 3 * K;
    if (judge_sim_curve(in->js, e, se, NULL) != BL_OK) {
        pane_message(c, col, row, w, h, "no trials yet: run 200");
        return;
    }
    const judge_input *inp = judge_sim_inputs(in->js);
    size_t nt = judge_sim_ntest(in->js);
    bool teacher = judge_sim_options(in->js)->c == 0;
    double limit = 0;
    for (size_t i = 0; i < nt; i++)
        limit += judge_misspec_limit(inp[i].muT, inp[i].muR) / (double)nt;
    double mn = NAN, mx = NAN;
    for (size_t k = 0; k < K; k++) {
        kx[k] = (double)(k + 1);
        double l = 0;
        for (size_t i = 0; i < nt; i++)
            l += judge_teacher_law(kx[k], inp[i].m, inp[i].s, inp[i].muT) / (double)nt;
        law[k] = teacher ? l : limit;
    }
    plot_extent(e, K, true, &mn, &mx);
    plot_extent(law, K, true, &mn, &mx); /* the law is in the legend: keep it on the plot */
    int top = h >= 18 && in->temps_done ? h * 3 / 5 : h;
    p->x.log = p->y.log = true;
    plot_range_update(&p->x, 1, K > 1 ? (double)K : 2);
    plot_range_update(&p->y, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, top, &p->x, &p->y, "k", "error");
    const char *lawname = teacher ? "pi s^2 e^(a^2/s^2) / k^2" : "k -> inf limit";
    plot_series(&pl, lawname);
    plot_line(&pl, kx, law, K, COL_S2, PAT_DASHED);
    plot_series(&pl, "measured (bars: 2 SE)");
    /* Error bars: 2 standard errors, at log-spaced k. */
    for (size_t k = 0; k < K; k = k < 4 ? k + 1 : (size_t)(k * 1.25) + 1) {
        double ex[2] = {kx[k], kx[k]}, ey[2] = {e[k] - 2 * se[k], e[k] + 2 * se[k]};
        if (ey[0] <= 0)
            ey[0] = e[k] * 0.5;
        plot_line(&pl, ex, ey, 2, COL_S1, PAT_SOLID);
    }
    plot_line(&pl, kx, e, K, COL_S1, PAT_SOLID);
    size_t kopt = judge_sim_kopt(in->js);
    char best[48];
    snprintf(best, sizeof best, "best k = %zu", kopt);
    plot_series(&pl, best);
    if (kopt >= 1 && kopt <= K)
        plot_marker(&pl, kx[kopt - 1], e[kopt - 1], c->ascii ? '*' : 0x2605, COL_NEW, ATTR_BOLD);
    const struct legend_entry leg[] = {
        {"──", "__", "measured (bars: 2 SE)", COL_S1},
        {"╌╌", "--", lawname, COL_S2},
        {"★ ", "* ", best, COL_NEW},
    };
    plot_legend(&pl, leg, 3);
    if (top < h) {
        double tx[JUDGE_TEMPS], ty[JUDGE_TEMPS];
        size_t m = 0;
        for (int i = 1; i < JUDGE_TEMPS; i++) {
            tx[m] = in->temps[i];
            ty[m++] = in->terr[i];
        }
        double a = NAN, z = NAN;
        plot_extent(ty, m, true, &a, &z);
        plot_extent(&in->terr[0], 1, true, &a, &z);
        p->x2.log = p->y2.log = true;
        plot_range_update(&p->x2, tx[0], tx[m - 1]);
        plot_range_update(&p->y2, a, z);
        plot_begin(&pl, c, col, row + top, w, h - top, &p->x2, &p->y2, "temperature T",
                   "error at k max");
        plot_series(&pl, "best-of-k (T = 0)");
        plot_hline(&pl, in->terr[0], COL_S2, PAT_DASHED);
        plot_series(&pl, "softmax judge");
        plot_line(&pl, tx, ty, m, COL_S1, PAT_SOLID);
        const struct legend_entry l2[] = {
            {"──", "__", "softmax judge", COL_S1},
            {"╌╌", "--", "best-of-k (T = 0)", COL_S2},
        };
        plot_legend(&pl, l2, 2);
    }
}

static void
theory_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct theory_pane *p = self;
    if (s->inst == NULL) {
        pane_message(c, col, row, w, h, "no instrument: lens, bma or judge");
        return;
    }
    if (p->inst != (const void *)s->inst) {
        memset(p, 0, offsetof(struct theory_pane, idx));
        p->inst = s->inst;
    }
    pane_apply_ranges(s, "theory", &p->x, &p->y);
    if (s->inst->kind != INST_JUDGE && s->inst->n == 0) {
        pane_message(c, col, row, w, h, "no arrivals yet: run 500 (or run rate=50)");
        return;
    }
    switch (s->inst->kind) {
    case INST_LENS: draw_lens(p, s->inst, c, col, row, w, h); break;
    case INST_BMA: draw_bma(p, s->inst, c, col, row, w, h); break;
    case INST_JUDGE: draw_judge(p, s->inst, c, col, row, w, h); break;
    default: break;
    }
}

const struct pane_desc pane_theory = {
    .view = {.name = "theory",
             .help = "the theory instrument's curves",
             .shown = false,
             .ranges = true,
             .order = 5},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = theory_create,
    .destroy = theory_destroy,
    .title = theory_title,
    .draw = theory_draw,
};
