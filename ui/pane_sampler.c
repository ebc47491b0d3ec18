/* ui/pane_sampler.c - the sampler's traces and diagnostics (issue "posterior
 * samplers you can step through, with honest diagnostics"):
 *  - a header line: acceptance, ESS, split R-hat, W2 to the reference;
 *  - the trace of one coordinate (the posterior pane's first weight) for
 *    every chain (line patterns differ by chain), the pooled running mean (a
 *    thick line) and the exact mean (dotted);
 *  - split R-hat - 1 on a log axis with the 1.01 line, falling as the
 *    chains forget their starts;
 *  - W2 and KL(exact || draws' Gaussian fit) to the reference moments (log
 *    axis) with the KL noise floor d(d+3)/(4 N_eff) dotted under them;
 *  - ESS against the number of draws (what independent draws would give);
 *  - the acceptance rate over the last 100 steps.
 * Plots are dropped from the end of that list when the pane is short.
 * Nothing is computed here but running means: ESS and R-hat come from the
 * job's checkpoints (commands/sampler_job.c throttles them live). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/pane.h"
#include "ui/plot.h"
#include "ui/rank_plot.h"

#define PAT_LONG    0x00FF00FFu
#define PAT_DASHDOT 0x27272727u
#define PAT_MEAN    0x7F7F7F7Fu /* the running mean: long dashes, short gaps */
#define PLOT_ROWS   6 /* a diagnostic plot needs this many rows to be read */

enum { SP_TRACE, SP_RHAT, SP_DIST, SP_ESS, SP_ACCEPT, SP_COUNT };

struct sampler_pane {
    struct plot_range x[SP_COUNT], y[SP_COUNT];
    const void *job; /* ranges restart for a new sampler */
    size_t ratio_iter;        /* the iteration the trace ratios below are of (+1; 0: none) */
    double ratio, ratio_pred; /* sampler_job_trace_ratio (kinds without an accept step) */
    double *bx, *by; /* scratch: trace points */
    size_t cap;
};

static const uint32_t chain_pat[4] = {PAT_SOLID, PAT_DASHED, PAT_LONG, PAT_DASHDOT};

static void *
sampler_create(const struct pane_host *host)
{
    (void)host;
    return calloc(1, sizeof(struct sampler_pane));
}

static void
sampler_destroy(void *self)
{
    struct sampler_pane *p = self;
    if (p == NULL)
        return;
    free(p->bx);
    free(p->by);
    free(p);
}

static void
sampler_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    const struct sampler_job *j = s->smp;
    if (j == NULL)
        snprintf(buf, size, "sampler");
    else
        snprintf(buf, size, "sampler: %s on %s  iter=%zu", sampler_kind_name(j->kind), j->tname,
                 j->iter);
}

static bool
scratch(struct sampler_pane *p, size_t n)
{
    if (n <= p->cap)
        return true;
    double *a = realloc(p->bx, n * sizeof *a);
    if (a != NULL)
        p->bx = a;
    double *b = realloc(p->by, n * sizeof *b);
    if (b != NULL)
        p->by = b;
    if (a == NULL || b == NULL)
        return false;
    p->cap = n;
    return true;
}

/* A kind with a Metropolis decision: acceptance means something. */
static bool
decides(const struct sampler_job *j)
{
    return (j->kind->events & SAMPLER_EV_ACCEPT) != 0;
}

/* One header field: name and a number in sig significant digits (the one
 * rule, plot_format_number; NaN shows as "-"). */
static void
field(char *buf, size_t size, const char *name, double v, int sig)
{
    char num[32];
    if (isnan(v))
        snprintf(num, sizeof num, "-");
    else
        plot_format_number(v, sig, num, sizeof num);
    snprintf(buf, size, "%s %s", name, num);
}

/* The header: whole fields, never a number cut. When the line is wider
 * than the pane the numbers lose digits (3 -> 2 significant), then fields
 * are dropped from the end and the line ends in an ellipsis. Kinds without
 * an accept step (SGLD) show no acceptance but the trace of the draws'
 * covariance over the exact one against the ratio predicted for the kind
 * (sampler_job_trace_ratio, the numbers `show sampler` prints). */
static void
header(struct sampler_pane *p, const struct sampler_job *j, const struct session *s,
       struct canvas *c, int col, int row, int w)
{
    if (!decides(j) && p->ratio_iter != j->iter + 1) {
        sampler_job_trace_ratio(j, &p->ratio, &p->ratio_pred, NULL, 0);
        p->ratio_iter = j->iter + 1;
    }
    size_t div = 0, nonfin = 0;
    for (size_t k = 0; k < j->K; k++) {
        sampler_stats st;
        sampler_get_stats(sampler_ens_chain(j->ens, k), &st);
        div += st.divergent;
        nonfin += st.nonfinite;
    }
    enum { NF = 8, FW = 64 };
    char line[NF * FW + 8];
    for (int sig = 4; sig >= 2; sig--) {
        char f[NF][FW];
        int nf = 0;
        if (decides(j))
            field(f[nf++], FW, "acc", j->acceptance, 2);
        if (!decides(j) && !isnan(p->ratio)) {
            char pr[32];
            field(f[nf++], FW, "tr cov/exact", p->ratio, 3);
            if (!isnan(p->ratio_pred)) {
                plot_format_number(p->ratio_pred, 3, pr, sizeof pr);
                size_t len = strlen(f[nf - 1]);
                snprintf(f[nf - 1] + len, FW - len, " (predicted %s)", pr);
            }
        }
        /* ESS is a count, whole below 10^4 at every try ("620" is shorter
         * than "6.2e2") and below 10^sig above; R-hat keeps its third
         * decimal: 1.01 is the line it is read against. */
        if (!isnan(j->ess) && j->ess < fmax(pow(10, sig), 1e4))
            snprintf(f[nf++], FW, "ESS %.0f", j->ess);
        else
            field(f[nf++], FW, "ESS", j->ess, sig);
        field(f[nf++], FW, "R-hat", j->rhat, 4);
        field(f[nf++], FW, j->ref == TARGET_MOMENTS_LAPLACE ? "W2(Laplace)" : "W2", j->w2, sig - 1);
        if (div > 0)
            snprintf(f[nf++], FW, "divergent %zu", div);
        if (nonfin > 0)
            snprintf(f[nf++], FW, "NaN %zu", nonfin);
        if (j->tid == SMP_POSTERIOR && !session_sampler_current(s))
            snprintf(f[nf++], FW, "(model changed since)");
        line[0] = '\0';
        int used = 0, k = 0;
        for (; k < nf; k++) {
            int fw = canvas_text_width(f[k]) + (k > 0 ? 2 : 0);
            /* On the last try, keep a column for the ellipsis if a field is left. */
            int room = w - 1 - (sig == 2 && k + 1 < nf ? 2 : 0);
            if (used + fw > room)
                break;
            strcat(line, k > 0 ? "  " : "");
            strcat(line, f[k]);
            used += fw;
        }
        if (k == nf || sig == 2) {
            if (k < nf)
                strcat(line, c->ascii ? (k > 0 ? " ." : ".") : (k > 0 ? " \u2026" : "\u2026"));
            break;
        }
    }
    canvas_text(c, col + 1, row, line, COL_DEFAULT, ATTR_BOLD, w - 1);
}

/* An iteration axis spans the data exactly (0..2002, not 0..3000), with
 * integer ticks; a user's fixed range is kept. */
static void
span(struct plot_range *r, double lo, double hi)
{
    r->integer = true;
    if (r->fixed)
        return;
    r->lo = lo;
    r->hi = hi > lo ? hi : lo + 1;
    r->valid = true;
}

/* Kept draws of coordinate ci, every chain, thinned to about max points per
 * chain; the pooled running mean as a thick line; the exact mean. */
static void
draw_trace(struct sampler_pane *p, const struct sampler_job *j, size_t ci, struct canvas *c,
           int col, int row, int w, int h)
{
    size_t n = j->count, K = j->K, d = j->d;
    size_t max = (size_t)(w > 0 ? 4 * w : 0);
    if (n == 0 || max == 0 || !scratch(p, max + 1))
        return;
    size_t stride = n > max ? (n + max - 1) / max : 1;
    double mn = NAN, mx = NAN;
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < n; i++) {
            double v = j->draws[(k * j->keep + i) * d + ci];
            if (isnan(mn) || v < mn)
                mn = v;
            if (isnan(mx) || v > mx)
                mx = v;
        }
    bool exact = j->ref != TARGET_MOMENTS_NONE, lap = j->ref == TARGET_MOMENTS_LAPLACE;
    double em = exact ? j->ref_mean[ci] : (double)NAN;
    if (exact) {
        mn = fmin(mn, em);
        mx = fmax(mx, em);
    }
    double x0 = (double)j->first, x1 = (double)(j->first + n - 1);
    span(&p->x[SP_TRACE], x0, x1);
    plot_range_update(&p->y[SP_TRACE], mn, mx);
    struct plot pl;
    char yl[48];
    snprintf(yl, sizeof yl, "%s", j->coord[ci]);
    const struct legend_entry leg[] = {
        {"━━", "==", "running mean", COL_DEFAULT},
        {"··", "..", lap ? "Laplace mean" : "exact mean", COL_TRUTH},
    };
    plot_begin_legend(&pl, c, col, row, w, h, &p->x[SP_TRACE], &p->y[SP_TRACE], "iteration", yl,
                      leg, exact ? 2 : 1);
    /* More draws than columns: the traces are a density (enum canvas_layer),
     * so the means drawn over them clear their cells and read without colour. */
    plot_layer(&pl, n > (size_t)pl.pw ? LAYER_DENSITY : LAYER_LINE);
    for (size_t k = K; k-- > 0;) {
        size_t m = 0;
        for (size_t i = 0; i < n; i += stride) {
            p->bx[m] = (double)(j->first + i);
            p->by[m++] = j->draws[(k * j->keep + i) * d + ci];
        }
        plot_line(&pl, p->bx, p->by, m, COL_S1 + (int)(k % 4), chain_pat[k % 4]);
    }
    /* Pooled running mean over the kept draws (weighted for SGLD). */
    size_t m = 0;
    double sw = 0, swx = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < K; k++) {
            double wt = j->wts[k * j->keep + i];
            sw += wt;
            swx += wt * j->draws[(k * j->keep + i) * d + ci];
        }
        if (i % stride == 0 || i + 1 == n) {
            p->bx[m] = (double)(j->first + i);
            p->by[m++] = swx / sw;
        }
    }
    /* Over the traces (a layer above them), thick: the same line a pixel
     * lower, in a pattern of its own (no chain's), so it reads through them. */
    /* The exact mean first: the running mean converges onto it, and where
     * they share cells the running mean (the same layer, later) owns them. */
    plot_layer(&pl, LAYER_OVER);
    plot_series(&pl, leg[1].name);
    if (exact)
        plot_hline(&pl, em, COL_TRUTH, PAT_DOTTED);
    double px = (pl.y.hi - pl.y.lo) / (4.0 * (pl.ph > 0 ? pl.ph : 1));
    plot_series(&pl, "running mean");
    plot_line(&pl, p->bx, p->by, m, COL_DEFAULT, PAT_MEAN);
    for (size_t i = 0; i < m; i++)
        p->by[i] -= px;
    plot_line(&pl, p->bx, p->by, m, COL_DEFAULT, PAT_MEAN);
    plot_series(&pl, NULL);
    plot_layer(&pl, -1);
    const char *const why[] = {NULL, "under running mean"};
    plot_legend_checked(&pl, leg, exact ? 2 : 1, why);
}

/* A diagnostic series named name: a line through its finite points; one
 * finite point is a marker (a line of one point is a dot nobody sees); none
 * is said hidden in the legend (R-hat needs two halves of a chain). */
static void
series_line(struct plot *pl, const double *x, const double *y, size_t n, int color,
            uint32_t pattern, const char *name)
{
    size_t finite = 0, at = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]) && (!pl->y.log || y[i] > 0))
            finite++, at = i;
    plot_series(pl, name);
    if (finite == 0)
        plot_series_hidden(pl, name, "no value yet");
    else if (finite == 1)
        plot_marker(pl, x[at], y[at], pl->c->ascii ? 'o' : 0x2022, color, ATTR_NONE);
    else
        plot_line(pl, x, y, n, color, pattern);
}

/* One diagnostic trace (and an optional second and reference line) against
 * iterations. */
static void
draw_diag(struct sampler_pane *p, int id, const struct sampler_job *j, struct canvas *c, int col,
          int row, int w, int h)
{
    const struct smp_trace *t = &j->tr;
    size_t n = t->n;
    bool lap = j->ref == TARGET_MOMENTS_LAPLACE;
    struct plot_range *xr = &p->x[id], *yr = &p->y[id];
    double mn = NAN, mx = NAN;
    if (!scratch(p, n + 2))
        return;
    const double *a = NULL, *b = NULL, *f = NULL;
    const char *yl = NULL;
    yr->log = id == SP_RHAT || id == SP_DIST;
    switch (id) {
    case SP_RHAT:
        for (size_t i = 0; i < n; i++)
            p->by[i] = t->rhat[i] - 1;
        a = p->by;
        yl = "R-hat - 1";
        plot_extent(a, n, true, &mn, &mx);
        mn = fmin(isnan(mn) ? 0.01 : mn, 0.005);
        mx = fmax(isnan(mx) ? 0.01 : mx, 0.02);
        break;
    case SP_DIST:
        a = t->w2, b = t->kl, f = t->kl_floor;
        yl = lap ? "W2, KL to Laplace" : "W2, KL to exact"; /* the legend names each */
        plot_extent(a, n, true, &mn, &mx);
        plot_extent(b, n, true, &mn, &mx);
        plot_extent(f, n, true, &mn, &mx);
        break;
    case SP_ESS:
        a = t->ess;
        for (size_t i = 0; i < n; i++) {
            double it = t->iter[i];
            p->by[i] = j->K * (it > (double)j->warmup ? it - (double)j->warmup : 0);
        }
        b = p->by;
        yl = "ESS";
        plot_extent(a, n, false, &mn, &mx);
        plot_extent(b, n, false, &mn, &mx);
        mn = 0;
        break;
    default:
        a = t->accept;
        yl = "acceptance";
        mn = 0, mx = 1;
        yr->fixed = yr->valid = true;
        yr->lo = 0, yr->hi = 1;
        break;
    }
    span(xr, 0, (double)j->iter);
    plot_range_update(yr, mn, mx);
    /* Legend entries in drawing order of a, b, f (the reference line of
     * R-hat takes b's place). */
    static const struct legend_entry l_rhat[] = {
        {"──", "__", "split R-hat - 1", COL_S1},
        {"╌╌", "--", "R-hat = 1.01", COL_S2},
    };
    const struct legend_entry l_dist[] = {
        {"──", "__", lap ? "W2 to Laplace" : "W2 to exact", COL_S1},
        {"╌╌", "--", lap ? "KL(Laplace || draws)" : "KL(exact || draws)", COL_S2},
        {"··", "..", "KL noise floor d(d+3)/4Neff", COL_S3},
    };
    static const struct legend_entry l_ess[] = {
        {"──", "__", "ESS (min over coords)", COL_S1},
        {"··", "..", "draws", COL_S3},
    };
    static const struct legend_entry l_acc[] = {{"──", "__", "last 100 steps", COL_S1}};
    const struct legend_entry *leg = id == SP_RHAT   ? l_rhat
                                     : id == SP_DIST ? l_dist
                                     : id == SP_ESS  ? l_ess
                                                     : l_acc;
    size_t nl = id == SP_RHAT ? 2 : id == SP_DIST ? 3 : id == SP_ESS ? 2 : 1;
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, xr, yr, "iteration", yl, leg, nl);
    if (id == SP_RHAT) {
        plot_series(&pl, leg[1].name);
        plot_hline(&pl, 0.01, COL_S2, PAT_DASHED);
    }
    if (f != NULL)
        series_line(&pl, t->iter, f, n, COL_S3, PAT_DOTTED, leg[2].name);
    if (b != NULL)
        series_line(&pl, t->iter, b, n, id == SP_ESS ? COL_S3 : COL_S2,
                    id == SP_ESS ? PAT_DOTTED : PAT_DASHED, leg[1].name);
    series_line(&pl, t->iter, a, n, COL_S1, PAT_SOLID, leg[0].name);
    if (n > 1 && isfinite(a[n - 1]))
        plot_marker(&pl, t->iter[n - 1], a[n - 1], c->ascii ? 'o' : 0x2022, COL_S1, ATTR_NONE);
    plot_series(&pl, NULL);
    /* Early on (a few dozen draws) the KL and W2 curves can coincide cell for
     * cell; the legend then says the KL is under the W2 line. */
    const char *const why_dist[] = {NULL, "on the W2 line", NULL};
    plot_legend_checked(&pl, leg, nl, id == SP_DIST ? why_dist : NULL);
}

static void
sampler_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct sampler_pane *p = self;
    const struct sampler_job *j = s->smp;
    if (j == NULL) {
        pane_message(c, col, row, w, h, SMP_NONE_MSG);
        return;
    }
    if (p->job != (const void *)j) {
        memset(p->x, 0, sizeof p->x);
        memset(p->y, 0, sizeof p->y);
        p->job = j;
        p->ratio_iter = 0;
    }
    if (w <= 0 || h <= 0)
        return;
    header(p, j, s, c, col, row, w);
    if (j->count == 0) {
        if (!rank_plot_warmup(j, c, col, row + 1, w, h - 1))
            pane_message(c, col, row + 1, w, h - 1,
                         j->iter > 0 ? "warming up (adapt=1): no draws kept yet"
                                     : "no draws yet: step (F6), or sample 2000");
        return;
    }
    size_t ci = (size_t)view_num(&s->view, "posterior", "w", 0) < j->d
                    ? (size_t)view_num(&s->view, "posterior", "w", 0)
                    : 0;
    pane_apply_ranges(s, "sampler", &p->x[SP_TRACE], &p->y[SP_TRACE]);
    if ((h -= rank_plot_draw(s, j, ci, c, col, row + 1, w, h - 1)) <= 1)
        return;
    int list[SP_COUNT], n = 0;
    list[n++] = SP_TRACE;
    list[n++] = SP_RHAT;
    if (j->ref != TARGET_MOMENTS_NONE)
        list[n++] = SP_DIST;
    list[n++] = SP_ESS;
    if (decides(j)) /* no acceptance to plot for a kind that always moves */
        list[n++] = SP_ACCEPT;
    int hh = h - 1, top = row + 1;
    /* The trace takes two shares of the height, every other plot one; plots
     * are dropped from the end of the list until each share has PLOT_ROWS.
     * Wide panes: the trace (and acceptance) left, the others right. */
    if (w >= 96 && n >= 3 && hh >= 2 * PLOT_ROWS) {
        int nl = hh >= 3 * PLOT_ROWS && decides(j) ? 2 : 1; /* left: trace (+ acceptance) */
        int left[2] = {SP_TRACE, SP_ACCEPT}, right[SP_COUNT], nr = 0;
        for (int k = 1; k < n; k++)
            if (list[k] != SP_ACCEPT || nl == 1)
                right[nr++] = list[k];
        while (nr > 1 && nr * PLOT_ROWS > hh)
            nr--;
        int w1, col2, w2, split = nl == 2 ? top + hh * 2 / 3 : top + hh;
        plot_beside(col, w, &w1, &col2, &w2);
        draw_trace(p, j, ci, c, col, top, w1, split - top);
        if (nl == 2)
            draw_diag(p, left[1], j, c, col, split, w1, top + hh - split);
        for (int r = 0; r < nr; r++) {
            int y0 = top + hh * r / nr, y1 = top + hh * (r + 1) / nr;
            draw_diag(p, right[r], j, c, col2, y0, w2, y1 - y0);
        }
        return;
    }
    while (n > 1 && (n + 1) * PLOT_ROWS > hh)
        n--;
    int shares = n + 1, k = 0;
    for (int r = 0; r < n; r++) {
        int s0 = r == 0 ? 0 : r + 1, s1 = r + 2;
        int y0 = top + hh * s0 / shares, y1 = top + hh * s1 / shares;
        if (n == 1)
            y0 = top, y1 = top + hh;
        if (list[k] == SP_TRACE)
            draw_trace(p, j, ci, c, col, y0, w, y1 - y0);
        else
            draw_diag(p, list[k], j, c, col, y0, w, y1 - y0);
        k++;
    }
}

const struct pane_desc pane_sampler = {
    .view = {.name = "sampler",
             .help = "the sampler's traces and diagnostics",
             .shown = false,
             .ranges = true,
             .keys = sampler_pane_keys,
             .order = 4},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = sampler_create,
    .destroy = sampler_destroy,
    .title = sampler_title,
    .draw = sampler_draw,
};
