/* ui/pane_compare.c - `compare`: side a and side b (commands/compare.h) in
 * one pane, so that a class sees two models (or two samplers) on the same
 * data with the same axes (docs/compare.md).
 *
 * Top: one plot per side, side by side, sharing their x and y ranges (one
 * plot_range pair drawn twice): for models the points and each side's
 * predictive mean with its 2 sd band (1-D inputs; else the one-step
 * predictions against the observed targets), for samplers each side's draws
 * of the first two coordinates. Bottom: both sides as named series on one
 * plot each: log evidence against n and regret against the truth (or, with
 * no truth, the log Bayes factor of a over b); for samplers ESS and the
 * distance to the exact posterior against iterations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/clock.h"
#include "core/base/linalg.h"
#include "ui/pane.h"
#include "ui/plot.h"

#define CMP_GRID   200  /* grid points at most per predictive curve */
#define CMP_POINTS 2000 /* points or draws drawn at most per side */
#define CMP_REFRESH_S 0.2 /* live: the costly predictive's refresh period */

struct cmp_pane {
    struct plot_range x, y;   /* the sides' shared axes */
    struct plot_range ex, ey; /* log evidence (or ESS) against n */
    struct plot_range rx, ry; /* regret (or distance) against n */
    /* The predictive on the grid per side, cached by generation. */
    unsigned long gen;
    size_t grid;
    double glo, ghi;
    double gx[CMP_GRID], gm[2][CMP_GRID], glo2[2][CMP_GRID], ghi2[2][CMP_GRID];
    bool gok[2];
    double gtime, gcost; /* when the grid was computed, and what it cost (seconds) */
    double *buf;
    size_t cap;
    /* The session's subject_gen (world, side b) the ranges were grown for: a
     * new compare or a new world starts them again (they only shrink once
     * the data use less than half of them, so sunspots' -6..6 stayed for a
     * line's -3..3). subject_gen + 1, so that a fresh pane's 0 never matches. */
    unsigned long seen;
};

static void *
cmp_create(const struct pane_host *host)
{
    (void)host;
    struct cmp_pane *p = calloc(1, sizeof *p);
    if (p != NULL)
        p->ey.valid = false;
    return p;
}

static void
cmp_destroy(void *self)
{
    struct cmp_pane *p = self;
    if (p == NULL)
        return;
    free(p->buf);
    free(p);
}

static bool
samplers(const struct session *s)
{
    return s->side_b != NULL && s->smp != NULL && s->side_b->smp != NULL;
}

/* A side's one-line name: its model, or its sampler and target. */
static void
side_name(const struct session *t, bool smp, char *buf, size_t size)
{
    if (smp)
        snprintf(buf, size, "%s on %s", sampler_kind_name(t->smp->kind), t->smp->tname);
    else
        session_describe_model(t, buf, size);
}

/* What tells side `mine` from `other` when the whole spec does not fit: its
 * first word (the class) and the words the other spec does not have
 * ("blr features=poly(3)" against "blr features=poly(9, legendre)"). */
static void
side_diff(const char *mine, const char *other, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    const char *p = mine;
    for (int k = 0; *p != '\0'; k++) {
        size_t n = strcspn(p, " ");
        bool shared = false;
        for (const char *q = other; *q != '\0' && k > 0;) {
            size_t m = strcspn(q, " ");
            if (m == n && strncmp(p, q, n) == 0)
                shared = true;
            q += m;
            q += *q == ' ';
        }
        if (!shared && len + n + 2 < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%.*s", len ? " " : "", (int)n, p);
        p += n;
        p += *p == ' ';
    }
}

/* The short series name of a side in the bottom plots: "a gp", "b hmc". */
static void
side_tag(const struct session *t, char side, bool smp, char *buf, size_t size)
{
    const char *what = smp ? sampler_kind_name(t->smp->kind) : t->mc != NULL ? t->mc->subject.name
                                                                             : "none";
    snprintf(buf, size, "%c %s", side, what);
}

static void
cmp_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    if (s->side_b == NULL) {
        snprintf(buf, size, "compare");
        return;
    }
    char a[160], b[160];
    bool smp = samplers(s);
    side_name(s, smp, a, sizeof a);
    side_name(s->side_b, smp, b, sizeof b);
    if (smp)
        snprintf(buf, size, "compare  a: %s | b: %s", a, b);
    else
        snprintf(buf, size, "compare  a: %s | b: %s  n=%zu", a, b, s->n);
}

/* The predictive of both sides on the grid (1-D inputs), when stale. */
static void
fill_grid(struct cmp_pane *p, const struct session *const side[2], struct canvas *c, size_t grid)
{
    const struct session *s = side[0];
    if (p->gen == s->generation + side[1]->generation && p->grid == grid && p->glo == p->x.lo &&
        p->ghi == p->x.hi)
        return;
    /* Live, a costly predictive (a GP's O(n^2) per grid point, twice)
     * refreshes at most every CMP_REFRESH_S or five times its cost: the
     * curves drawn are at their own grid's inputs, so a stale one is only
     * late, never misplaced. Idle frames (maybe the last for a while),
     * screenshots and batch always refresh. */
    double every = fmax(CMP_REFRESH_S, 5 * p->gcost), age = clock_now() - p->gtime;
    if (pane_may_lag(s) && p->grid > 0 && age < every) {
        pane_want_redraw(c, every - age);
        return;
    }
    double t0 = clock_now();
    p->gen = s->generation + side[1]->generation;
    p->grid = grid;
    p->glo = p->x.lo;
    p->ghi = p->x.hi;
    for (size_t g = 0; g < grid; g++)
        p->gx[g] = p->x.lo + (p->x.hi - p->x.lo) * (double)g / (double)(grid > 1 ? grid - 1 : 1);
    for (int k = 0; k < 2; k++) {
        const struct session *t = side[k];
        p->gok[k] = t->m != NULL;
        for (size_t g = 0; g < grid && p->gok[k]; g++) {
            struct model_pred pr;
            bl_err e = {0};
            if (t->mc->predict(t->m, &p->gx[g], &pr, &e) != BL_OK || !(pr.var >= 0)) {
                p->gok[k] = false;
                break;
            }
            double sd = sqrt(pr.var);
            p->gm[k][g] = pr.mean;
            p->glo2[k][g] = pr.mean - 2 * sd;
            p->ghi2[k][g] = pr.mean + 2 * sd;
        }
    }
    p->gtime = clock_now();
    p->gcost = p->gtime - t0;
}

/* The sides' data plots (models). */
static void
draw_models(struct cmp_pane *p, const struct session *const side[2], struct canvas *c,
            const int *col, const int *row, int w, int h)
{
    const struct session *s = side[0];
    bool fn = s->in_dim == 1;
    size_t first = s->n > CMP_POINTS ? s->n - CMP_POINTS : 0, m = s->n - first;
    double *buf = pane_scratch(&p->buf, &p->cap, 2 * m + 2);
    if (buf == NULL)
        return;
    double *px = buf, *py = buf + m;
    double xmn = NAN, xmx = NAN, ymn = NAN, ymx = NAN;
    for (size_t i = 0; i < m; i++) {
        px[i] = fn ? s->X[first + i] : s->trace[TR_PRED_MEAN][first + i];
        py[i] = s->Y[first + i];
    }
    plot_extent(px, m, false, &xmn, &xmx);
    plot_extent(py, m, false, &ymn, &ymx);
    double seen_lo = xmn, seen_hi = xmx; /* NaN before the first point */
    size_t grid = (size_t)(w > 0 ? 2 * w : 0);
    grid = grid > CMP_GRID ? CMP_GRID : grid;
    if (fn) {
        double lo, hi;
        world_input_range(s->world, &lo, &hi);
        xmn = isnan(xmn) ? lo : fmin(xmn, lo);
        xmx = isnan(xmx) ? hi : fmax(xmx, hi);
    } else {
        /* predicted against observed: one square range for both axes */
        for (int k = 1; k < 2; k++)
            plot_extent(side[k]->trace[TR_PRED_MEAN] + first, m, false, &xmn, &xmx);
        xmn = ymn = fmin(xmn, ymn);
        xmx = ymx = fmax(xmx, ymx);
    }
    plot_range_update(&p->x, xmn, xmx);
    if (fn && grid > 1) {
        fill_grid(p, side, c, grid);
        grid = p->grid; /* a throttled refresh keeps the last grid (its own size) */
        /* As in the data pane: the bands set the y range where there are
         * data. Past the data a flexible side's band opens by orders of
         * magnitude (poly(9)'s made a +-10 axis for data within +-1, the
         * fits two flat lines); there it leaves the plot at its edge.
         * Without two points the whole grid counts. */
        bool all = !(seen_hi > seen_lo);
        for (int k = 0; k < 2; k++)
            for (size_t g = 0; p->gok[k] && g < grid; g++)
                if (all || (p->gx[g] >= seen_lo && p->gx[g] <= seen_hi)) {
                    plot_extent(&p->glo2[k][g], 1, false, &ymn, &ymx);
                    plot_extent(&p->ghi2[k][g], 1, false, &ymn, &ymx);
                }
    }
    plot_range_update(&p->y, ymn, ymx);
    if (!fn)
        p->y = p->x;
    for (int k = 0; k < 2; k++) {
        const struct session *t = side[k];
        struct plot pl;
        plot_begin(&pl, c, col[k], row[k], w, h, &p->x, &p->y,
                   fn ? world_input_name(s->world, 0) : "predicted", world_target_name(s->world));
        bool band = fn && grid > 1 && p->gok[k];
        if (band) {
            plot_series(&pl, "2 sd");
            plot_band(&pl, p->gx, p->glo2[k], p->ghi2[k], grid, COL_BAND);
        }
        if (!fn) {
            for (size_t i = 0; i < m; i++)
                px[i] = t->trace[TR_PRED_MEAN][first + i];
            double d[2] = {p->x.lo, p->x.hi};
            plot_series(&pl, "perfect");
            plot_line(&pl, d, d, 2, COL_DIM, PAT_DOTTED);
        }
        plot_series(&pl, "points");
        if (m > 400)
            plot_layer(&pl, LAYER_DENSITY);
        plot_points(&pl, px, py, m, COL_DEFAULT);
        plot_layer(&pl, -1);
        if (band) {
            plot_series(&pl, "mean");
            plot_line(&pl, p->gx, p->gm[k], grid, COL_S1 + k, k ? PAT_DASHED : PAT_SOLID);
        }
        plot_series(&pl, NULL);
        const struct legend_entry leg[] = {
            {"──", "__", "mean", COL_S1},
            {"░░", "::", "2 sd", COL_BAND},
            {"· ", ". ", "points", COL_DEFAULT},
            {"··", "..", "perfect", COL_DIM},
        };
        struct legend_entry e[4];
        size_t ne = 0;
        if (band) {
            e[ne] = leg[0];
            e[ne].sample = k ? "╌╌" : "──";
            e[ne].ascii_sample = k ? "--" : "__";
            e[ne++].color = COL_S1 + k;
            e[ne++] = leg[1];
        }
        e[ne++] = leg[2];
        if (!fn)
            e[ne++] = leg[3];
        static const char *const why[] = {"under the points", "under the mean", NULL, NULL};
        plot_legend_checked(&pl, e, ne, band ? why : NULL);
    }
}

/* The sides' draws of the first two coordinates (samplers). */
static void
draw_samplers(struct cmp_pane *p, const struct session *const side[2], struct canvas *c,
              const int *col, const int *row, int w, int h)
{
    double xmn = NAN, xmx = NAN, ymn = NAN, ymx = NAN;
    size_t need = 0;
    for (int k = 0; k < 2; k++) {
        const struct sampler_job *j = side[k]->smp;
        need += 2 * (CMP_POINTS + 1);
        (void)j;
    }
    double *buf = pane_scratch(&p->buf, &p->cap, need);
    if (buf == NULL)
        return;
    size_t cnt[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        const struct sampler_job *j = side[k]->smp;
        double *dx = buf + k * 2 * (CMP_POINTS + 1), *dy = dx + CMP_POINTS + 1;
        size_t tot = j->K * j->count, step = tot > CMP_POINTS ? tot / CMP_POINTS + 1 : 1;
        for (size_t q = 0; q < tot && cnt[k] < CMP_POINTS; q += step) {
            size_t ch = q / j->count, i = q % j->count;
            const double *v = j->draws + (ch * j->keep + i) * j->d;
            dx[cnt[k]] = v[0];
            dy[cnt[k]] = j->d > 1 ? v[1] : 0;
            cnt[k]++;
        }
        plot_extent(dx, cnt[k], false, &xmn, &xmx);
        plot_extent(dy, cnt[k], false, &ymn, &ymx);
    }
    plot_range_update(&p->x, xmn, xmx);
    plot_range_update(&p->y, ymn, ymx);
    for (int k = 0; k < 2; k++) {
        const struct sampler_job *j = side[k]->smp;
        double *dx = buf + k * 2 * (CMP_POINTS + 1), *dy = dx + CMP_POINTS + 1;
        struct plot pl;
        plot_begin(&pl, c, col[k], row[k], w, h, &p->x, &p->y, j->coord[0],
                   j->d > 1 ? j->coord[1] : NULL);
        plot_series(&pl, "draws");
        plot_layer(&pl, LAYER_DENSITY);
        plot_points(&pl, dx, dy, cnt[k], COL_S1 + k);
        plot_layer(&pl, -1);
        plot_series(&pl, NULL);
        if (j->ref != TARGET_MOMENTS_NONE && j->d > 1) {
            plot_series(&pl, "exact 2 sd");
            plot_ellipse(&pl, j->ref_mean[0], j->ref_mean[1], j->ref_cov[0], j->ref_cov[1],
                         j->ref_cov[j->d + 1], 2, COL_TRUTH, PAT_DASHED);
            plot_series(&pl, NULL);
        }
        char nd[48];
        snprintf(nd, sizeof nd, "draws (%zu)", j->iter);
        const struct legend_entry e[] = {
            {"⣿⣿", "##", "draws", COL_S1 + k},
            {"╌╌", "--", "exact 2 sd", COL_TRUTH},
        };
        plot_legend_checked(&pl, e, j->ref != TARGET_MOMENTS_NONE && j->d > 1 ? 2 : 1, NULL);
    }
}

/* One bottom plot: a series per side (and a zero line), named by tag. */
static void
draw_pair(struct canvas *c, int col, int row, int w, int h, struct plot_range *xr,
          struct plot_range *yr, const char *xl, const char *yl, const double *const x[2],
          const double *const y[2], const size_t n[2], const char *const tag[2], bool zero)
{
    double xmn = NAN, xmx = NAN, ymn = NAN, ymx = NAN;
    for (int k = 0; k < 2; k++)
        if (y[k] != NULL) {
            plot_extent(x[k], n[k], xr->log, &xmn, &xmx);
            plot_extent(y[k], n[k], yr->log, &ymn, &ymx);
        }
    if (zero && isfinite(ymn)) {
        ymn = fmin(ymn, 0);
        ymx = fmax(ymx, 0);
    }
    plot_range_update(xr, xmn, xmx);
    plot_range_update(yr, ymn, ymx);
    struct plot pl;
    plot_begin(&pl, c, col, row, w, h, xr, yr, xl, yl);
    if (zero) {
        plot_series(&pl, "0: a = b");
        plot_hline(&pl, 0, COL_DIM, PAT_DOTTED);
    }
    struct legend_entry e[3];
    size_t ne = 0;
    for (int k = 0; k < 2; k++) {
        if (y[k] == NULL)
            continue;
        plot_series(&pl, tag[k]);
        plot_line(&pl, x[k], y[k], n[k], COL_S1 + k, k ? PAT_DASHED : PAT_SOLID);
        e[ne++] = (struct legend_entry){k ? "╌╌" : "──", k ? "--" : "__", tag[k], COL_S1 + k};
    }
    if (zero)
        e[ne++] = (struct legend_entry){"··", "..", "0: a = b", COL_DIM};
    plot_series(&pl, NULL);
    plot_legend_checked(&pl, e, ne, NULL);
}

/* Bottom: log evidence and regret (models), ESS and distance (samplers). */
static void
draw_bottom(struct cmp_pane *p, const struct session *const side[2], bool smp, struct canvas *c,
            int col, int row, int w, int h)
{
    char ta[48], tb[48];
    side_tag(side[0], 'a', smp, ta, sizeof ta);
    side_tag(side[1], 'b', smp, tb, sizeof tb);
    const char *tag[2] = {ta, tb};
    int w1, col2, w2;
    plot_beside(col, w, &w1, &col2, &w2);
    if (smp) {
        const struct sampler_job *j[2] = {side[0]->smp, side[1]->smp};
        const double *x[2] = {j[0]->tr.iter, j[1]->tr.iter};
        const double *y[2] = {j[0]->tr.ess, j[1]->tr.ess};
        const size_t n[2] = {j[0]->tr.n, j[1]->tr.n};
        draw_pair(c, col, row, w1, h, &p->ex, &p->ey, "iterations", "ESS", x, y, n, tag, false);
        const double *d[2] = {j[0]->tr.w2, j[1]->tr.w2};
        bool has = linalg_any_finite(d[0], n[0]) || linalg_any_finite(d[1], n[1]);
        p->ry.log = true;
        if (has)
            draw_pair(c, col2, row, w2, h, &p->rx, &p->ry, "iterations", "W2 to exact", x, d, n,
                      tag, false);
        else {
            const double *acc[2] = {j[0]->tr.accept, j[1]->tr.accept};
            p->ry.log = false;
            draw_pair(c, col2, row, w2, h, &p->rx, &p->ry, "iterations", "acceptance", x, acc, n,
                      tag, false);
        }
        return;
    }
    const struct session *s = side[0];
    size_t n0 = side[1]->n < s->n ? side[1]->n : s->n, m = n0 > 1000 ? 1000 : n0;
    double *buf = pane_scratch(&p->buf, &p->cap, 5 * m + 5);
    if (buf == NULL || m == 0) {
        pane_message(c, col, row, w, h, "no points yet: observe 20");
        return;
    }
    size_t idx[1000];
    m = pane_sample_indices(n0, m, 0, idx);
    double *nx = buf, *e0 = nx + m, *e1 = e0 + m, *r0 = e1 + m, *r1 = r0 + m;
    for (size_t i = 0; i < m; i++) {
        nx[i] = (double)(idx[i] + 1);
        e0[i] = s->trace[TR_LOG_EVIDENCE][idx[i]];
        e1[i] = side[1]->trace[TR_LOG_EVIDENCE][idx[i]];
        r0[i] = s->trace[TR_REGRET_TRUTH][idx[i]];
        r1[i] = side[1]->trace[TR_REGRET_TRUTH][idx[i]];
    }
    const double *x[2] = {nx, nx}, *y[2] = {e0, e1};
    const size_t n[2] = {m, m};
    p->ex.integer = p->rx.integer = true;
    draw_pair(c, col, row, w1, h, &p->ex, &p->ey, "n", "log evidence", x, y, n, tag, false);
    if (linalg_any_finite(r0, m) || linalg_any_finite(r1, m)) {
        const double *r[2] = {r0, r1};
        draw_pair(c, col2, row, w2, h, &p->rx, &p->ry, "n", "regret vs truth", x, r, n, tag, false);
    } else {
        /* No truth: how much better a predicts than b so far, in nats. */
        for (size_t i = 0; i < m; i++)
            r0[i] = e0[i] - e1[i];
        const double *r[2] = {r0, NULL};
        char t[64];
        snprintf(t, sizeof t, "log BF a:b");
        const char *tg[2] = {t, NULL};
        draw_pair(c, col2, row, w2, h, &p->rx, &p->ry, "n", "log Bayes factor a:b", x, r, n, tg,
                  true);
    }
}

static void
cmp_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct cmp_pane *p = self;
    if (s->side_b == NULL) {
        pane_message(c, col, row, w, h,
                     "no side b: compare model blr features=poly degree=9 (or compare sampler rwm)");
        return;
    }
    if (p->seen != s->subject_gen + 1) {
        struct plot_range *r[] = {&p->x, &p->y, &p->ex, &p->ey, &p->rx, &p->ry};
        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
            *r[i] = (struct plot_range){.log = r[i]->log};
        p->seen = s->subject_gen + 1;
    }
    bool smp = samplers(s);
    if (!smp && (s->world == NULL || s->m == NULL || s->side_b->m == NULL)) {
        pane_message(c, col, row, w, h, "compare needs data and a model on each side: data ..., "
                                        "model ..., compare model ...");
        return;
    }
    const struct session *const side[2] = {s, s->side_b};
    /* Wide and short: a | b | evidence in a row; else a | b over the bottom. */
    bool row3 = w >= 6 * h;
    int top = row3 ? h : h - (h * 2) / 5, bw = row3 ? w / 3 : w / 2;
    int cols[2] = {col, col + bw}, rows[2];
    char name[2][200];
    for (int k = 0; k < 2; k++) {
        side_name(side[k], smp, name[k], sizeof name[k]);
    }
    for (int k = 0; k < 2; k++) {
        char line[8], shown_name[400];
        double le = session_log_evidence(side[k]);
        char num[48] = "";
        if (!smp && isfinite(le)) {
            char v[32];
            plot_format_number(le, 5, v, sizeof v);
            snprintf(num, sizeof num, " log ev %s", v);
        }
        snprintf(shown_name, sizeof shown_name, "%s", name[k]);
        if (3 + canvas_text_width(name[k]) + canvas_text_width(num) > bw - 1)
            side_diff(name[k], name[1 - k], shown_name, sizeof shown_name);
        /* The evidence is what the row compares: the side's name gives way
         * (cut with an ellipsis), the number is printed whole or not at all. */
        snprintf(line, sizeof line, "%c: ", k ? 'b' : 'a');
        int used = canvas_text(c, cols[k], row, line, COL_S1 + k, ATTR_BOLD, bw - 1);
        int room = bw - 1 - used - canvas_text_width(num);
        if (room < 4)
            num[0] = '\0', room = bw - 1 - used;
        used += canvas_text(c, cols[k] + used, row, shown_name, COL_S1 + k, ATTR_BOLD, room);
        canvas_text(c, cols[k] + used, row, num, COL_S1 + k, ATTR_BOLD, bw - 1 - used);
        rows[k] = row + 1;
    }
    if (smp)
        draw_samplers(p, side, c, cols, rows, bw - 1, top - 1);
    else
        draw_models(p, side, c, cols, rows, bw - 1, top - 1);
    if (row3)
        draw_bottom(p, side, smp, c, col + 2 * bw, row, w - 2 * bw, h);
    else
        draw_bottom(p, side, smp, c, col, row + top, w, h - top);
}

const struct pane_desc pane_compare = {
    .view = {.name = "compare",
             .help = "side a and side b of compare: same axes, evidence and regret together",
             .shown = false,
             .order = 6},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = cmp_create,
    .destroy = cmp_destroy,
    .title = cmp_title,
    .draw = cmp_draw,
};
