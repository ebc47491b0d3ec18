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
#define PLOT_ROWS   6 /* a diagnostic plot needs this many rows to be read */

enum { SP_TRACE, SP_RHAT, SP_DIST, SP_ESS, SP_ACCEPT, SP_COUNT };

struct sampler_pane {
    struct plot_range x[SP_COUNT], y[SP_COUNT];
    const void *job; /* ranges restart for a new sampler */
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

static void
fmt(char *buf, size_t size, double v, const char *f)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, f, v);
}

static void
header(const struct sampler_job *j, const struct session *s, struct canvas *c, int col, int row,
       int w)
{
    char acc[16], ess[16], rh[16], w2[16], line[256];
    fmt(acc, sizeof acc, j->acceptance, "%.2f");
    fmt(ess, sizeof ess, j->ess, "%.0f");
    fmt(rh, sizeof rh, j->rhat, "%.3f");
    fmt(w2, sizeof w2, j->w2, "%.3g");
    size_t div = 0, nonfin = 0;
    for (size_t k = 0; k < j->K; k++) {
        sampler_stats st;
        sampler_get_stats(sampler_ens_chain(j->ens, k), &st);
        div += st.divergent;
        nonfin += st.nonfinite;
    }
    int len = snprintf(line, sizeof line, "acc %s  ESS %s  R-hat %s  W2%s %s", acc, ess, rh,
                       j->ref == TARGET_MOMENTS_LAPLACE ? "(Laplace)" : "", w2);
    if (div > 0 && len > 0 && (size_t)len < sizeof line)
        len += snprintf(line + len, sizeof line - (size_t)len, "  divergent %zu", div);
    if (nonfin > 0 && len > 0 && (size_t)len < sizeof line)
        len += snprintf(line + len, sizeof line - (size_t)len, "  NaN %zu", nonfin);
    if (j->tid == SMP_POSTERIOR && !session_sampler_current(s) && len > 0 &&
        (size_t)len < sizeof line)
        snprintf(line + len, sizeof line - (size_t)len, "  (model changed since)");
    canvas_text(c, col + 1, row, line, COL_DEFAULT, ATTR_BOLD, w - 1);
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
    p->x[SP_TRACE].integer = true;
    plot_range_update(&p->x[SP_TRACE], x0, x1 > x0 ? x1 : x0 + 1);
    plot_range_update(&p->y[SP_TRACE], mn, mx);
    struct plot pl;
    char yl[48];
    snprintf(yl, sizeof yl, "%s", j->coord[ci]);
    plot_begin(&pl, c, col, row, w, h, &p->x[SP_TRACE], &p->y[SP_TRACE], "iteration", yl);
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
    /* Thick: the same line a pixel lower. */
    double px = (pl.y.hi - pl.y.lo) / (4.0 * (pl.ph > 0 ? pl.ph : 1));
    plot_line(&pl, p->bx, p->by, m, COL_DEFAULT, PAT_SOLID);
    for (size_t i = 0; i < m; i++)
        p->by[i] -= px;
    plot_line(&pl, p->bx, p->by, m, COL_DEFAULT, PAT_SOLID);
    if (exact)
        plot_hline(&pl, em, COL_TRUTH, PAT_DOTTED);
    const struct legend_entry leg[] = {
        {"━━", "==", "running mean", COL_DEFAULT},
        {"··", "..", lap ? "Laplace mean" : "exact mean", COL_TRUTH},
    };
    plot_legend(&pl, leg, exact ? 2 : 1);
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
        yl = lap ? "to Laplace" : "to exact";
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
    xr->integer = true;
    plot_range_update(xr, 0, j->iter > 0 ? (double)j->iter : 1);
    plot_range_update(yr, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, h, xr, yr, "iteration", yl);
    if (id == SP_RHAT)
        plot_hline(&pl, 0.01, COL_S2, PAT_DASHED);
    if (f != NULL)
        plot_line(&pl, t->iter, f, n, COL_S3, PAT_DOTTED);
    if (b != NULL)
        plot_line(&pl, t->iter, b, n, id == SP_ESS ? COL_S3 : COL_S2,
                  id == SP_ESS ? PAT_DOTTED : PAT_DASHED);
    plot_line(&pl, t->iter, a, n, COL_S1, PAT_SOLID);
    if (n > 0 && isfinite(a[n - 1]))
        plot_marker(&pl, t->iter[n - 1], a[n - 1], c->ascii ? 'o' : 0x2022, COL_S1, ATTR_NONE);
    switch (id) {
    case SP_RHAT: {
        const struct legend_entry leg[] = {
            {"──", "__", "split R-hat - 1", COL_S1},
            {"╌╌", "--", "R-hat = 1.01", COL_S2},
        };
        plot_legend(&pl, leg, 2);
        break;
    }
    case SP_DIST: {
        const struct legend_entry leg[] = {
            {"──", "__", lap ? "W2 to Laplace" : "W2 to exact", COL_S1},
            {"╌╌", "--", lap ? "KL(Laplace || draws)" : "KL(exact || draws)", COL_S2},
            {"··", "..", "KL noise floor d(d+3)/4Neff", COL_S3},
        };
        plot_legend(&pl, leg, 3);
        break;
    }
    case SP_ESS: {
        const struct legend_entry leg[] = {
            {"──", "__", "ESS (min over coords)", COL_S1},
            {"··", "..", "draws", COL_S3},
        };
        plot_legend(&pl, leg, 2);
        break;
    }
    default: {
        const struct legend_entry leg[] = {{"──", "__", "last 100 steps", COL_S1}};
        plot_legend(&pl, leg, 1);
    }
    }
}

static void
sampler_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct sampler_pane *p = self;
    const struct sampler_job *j = s->smp;
    if (j == NULL) {
        pane_message(c, col, row, w, h, "no sampler: sampler hmc (or target=banana)");
        return;
    }
    if (p->job != (const void *)j) {
        memset(p->x, 0, sizeof p->x);
        memset(p->y, 0, sizeof p->y);
        p->job = j;
    }
    if (w <= 0 || h <= 0)
        return;
    header(j, s, c, col, row, w);
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
    list[n++] = SP_ACCEPT;
    int hh = h - 1, top = row + 1;
    /* The trace takes two shares of the height, every other plot one; plots
     * are dropped from the end of the list until each share has PLOT_ROWS.
     * Wide panes: the trace (and acceptance) left, the others right. */
    if (w >= 96 && n >= 3 && hh >= 2 * PLOT_ROWS) {
        int nl = hh >= 3 * PLOT_ROWS ? 2 : 1; /* left: trace (+ acceptance) */
        int left[2] = {SP_TRACE, SP_ACCEPT}, right[SP_COUNT], nr = 0;
        for (int k = 1; k < n; k++)
            if (list[k] != SP_ACCEPT || nl == 1)
                right[nr++] = list[k];
        while (nr > 1 && nr * PLOT_ROWS > hh)
            nr--;
        int half = w / 2, split = nl == 2 ? top + hh * 2 / 3 : top + hh;
        draw_trace(p, j, ci, c, col, top, half, split - top);
        if (nl == 2)
            draw_diag(p, left[1], j, c, col, split, half, top + hh - split);
        for (int r = 0; r < nr; r++) {
            int y0 = top + hh * r / nr, y1 = top + hh * (r + 1) / nr;
            draw_diag(p, right[r], j, c, col + half, y0, w - half, y1 - y0);
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
