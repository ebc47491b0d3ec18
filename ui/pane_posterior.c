/* ui/pane_posterior.c - the 2-D marginal of two chosen weights (`pane
 * posterior w=i,j`): the exact posterior's 1 and 2 sigma ellipses, its mean
 * and the truth; under it, the concentration traces against n (trace of the
 * covariance and distance of the mean to the truth, log scale).
 * The two covariance columns come from triangular solves (O(d^2) per
 * frame); nothing here factorizes.
 *
 * With a sampler (commands/sampler_job.h) whose target is the model's
 * current posterior, or a teaching density / logistic regression, the pane
 * shows the sampler's target instead, full height: the reference ellipses
 * (exact, or Laplace for logistic) or, for 2-D non-Gaussian targets, density
 * contours by marching squares on a grid of U (cached per axis range); behind
 * them every kept draw as a 2-D histogram in shade levels (ui/shade.h), so
 * thousands of draws fill the target visibly; then chain 0's last step: the
 * trajectory (HMC: q_0..q_L; NUTS: the tree's leaves in order along the
 * trajectory; others: from -> proposal), solid when accepted and dotted when
 * rejected, ending in a filled dot (accepted) or a ring (rejected).
 * The view of a target is its own: the box of its 99% region (a teaching
 * density: from U on a wide grid around its exact moments, computed once per
 * target; a Gaussian reference: 3.03 sd, the 99% ellipse's box), so it
 * stays put while chains wander; contour levels come from that wide grid
 * too, so they hold 39/86/99% of the whole mass, not of the window's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ui/pane.h"
#include "ui/pane_posterior.h"
#include "ui/plot.h"
#include "ui/sampler_events.h"
#include "ui/shade.h"
#include "core/base/rng.h"

struct posterior_pane {
    struct plot_range x, y;   /* the ellipse plot */
    struct plot_range tn, ty; /* the concentration traces */
    double *col;              /* 2 x dim scratch */
    size_t cap;
    size_t *idx;
    double *tx, *t1, *t2;
    size_t tcap;
    /* sampler view */
    struct plot_range sx, sy; /* its ranges (restart for a new sampler) */
    const void *job;
    double *px, *py; /* scratch: draws and trajectory points */
    size_t pcap;
    double *grid; /* U on the contour grid, gx x gy */
    int gx, gy;
    double glo[2], ghi[2]; /* the ranges the grid was computed for */
    double glevel[3];      /* U at the contours holding 39%, 86%, 99% of the mass */
    /* the target's own frame (computed once per job and pair of weights) */
    const void *fjob;
    size_t fi, fk;
    bool framed;           /* lo, hi hold the frame */
    double flo[2], fhi[2]; /* the box of the 99% region */
    double flevel[3];      /* contour levels over the whole mass (NaN: none) */
    struct shade_hist hist;
    struct canvas top; /* the lines of the sampler view, composed over the shade */
    /* a model without weights: f at two inputs (`pane posterior x=a,b`) */
    unsigned long fgen;         /* session generation the numbers below belong to */
    double fx[2];               /* the inputs */
    double fm[2], fsd[2], frho; /* posterior mean, sd, correlation of f(a), f(b) */
    struct plot_range jx, jy;   /* its plot's ranges */
    double fK[3];               /* prior covariance k(a,a), k(a,b), k(b,b) (NaN: unknown) */
    double *fz, *fd;            /* normals, draws (FDRAWS x 2) */
    size_t fzn;
    int fdraws;
    bool fok;
    struct plot last; /* the sampler plot of the last frame */
    bool have_last;
    int kdrew; /* a model without weights, last frame: DREW_JOINT | DREW_SCALE (the title says so) */
};

enum { DREW_JOINT = 1, DREW_SCALE = 2 };

#define GRID_MAX_X  160 /* contour grid: at most this many columns */
#define GRID_MAX_Y  100
#define FRAME_GRID  240    /* the wide grid a teaching density's frame and levels come from */
#define FRAME_SD    8.0    /* its half-width in reference sd */
#define GAUSS_R99   3.0349 /* sqrt(-2 ln 0.01): the 99% ellipse of a 2-D Gaussian */

/* The prior's variance of each weight (the prior is isotropic: N(0, I/alpha),
 * or s2 v0 I with E[s2] = b0 / (a0 - 1)); NaN when it has none (a0 <= 1). */
static double
prior_var(const struct session *s)
{
    const blr_opts *o = blr_options(s->blr);
    if (o->kind == BLR_KNOWN)
        return o->alpha > 0 ? 1 / o->alpha : (double)NAN;
    return o->a0 > 1 ? o->v0 * o->b0 / (o->a0 - 1) : (double)NAN;
}

/* `pane posterior frame=prior` (the default): the axes keep the prior's 2 sd
 * region in view, drawn, so the posterior visibly shrinks inside it as n
 * grows (axes zoomed to the posterior draw it the same size at every n);
 * frame=posterior zooms to the posterior. */
static bool
prior_frame(const struct session *s)
{
    return view_choice(&s->view, "posterior", "frame") != 1 && isfinite(prior_var(s)) &&
           prior_var(s) > 0;
}

/* `pane posterior w=i,j`: weight k of the two shown (0, 1 until set). */
static size_t
post_w(const struct session *s, int k)
{
    return (size_t)view_num(&s->view, "posterior", "w", (size_t)k);
}

static void *
posterior_create(const struct pane_host *host)
{
    (void)host;
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
    free(p->px);
    free(p->py);
    free(p->grid);
    shade_hist_free(&p->hist);
    free(p->fz);
    free(p->fd);
    canvas_free(&p->top);
    free(p);
}

/* One coordinate to show: a model with one weight, or `pane posterior w=j`. */
static bool
one_weight(const struct session *s)
{
    const struct view_value *v = view_get(&s->view, "posterior", "w");
    return s->dim < 2 || (v != NULL && v->len == 1);
}

/* The sampler view is shown when a sampler exists and its target is not the
 * model's posterior (unless a model was chosen after it: the model is what
 * the user looks at now), or is the model's current posterior. */
static bool
sampler_view(const struct session *s)
{
    return s->smp != NULL && ((s->smp->tid != SMP_POSTERIOR && s->latest != LATEST_MODEL) ||
                              session_sampler_current(s));
}

/* The two inputs: `x=a,b`, else the quartiles of the inputs seen. */
static void
f_inputs(const struct session *s, double x[2])
{
    const struct view_value *v = view_get(&s->view, "posterior", "x");
    if (v != NULL && v->set && v->len == 2) {
        x[0] = v->num[0], x[1] = v->num[1];
        return;
    }
    x[0] = -1, x[1] = 1;
    if (s->n < 2)
        return;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t t = 0; t < s->n; t++)
        lo = fmin(lo, s->X[t]), hi = fmax(hi, s->X[t]);
    x[0] = lo + 0.25 * (hi - lo), x[1] = lo + 0.75 * (hi - lo);
}

static void
posterior_title(void *self, const struct session *s, char *buf, size_t size)
{
    const struct posterior_pane *p = self;
    if (s->m != NULL && s->blr == NULL && !sampler_view(s)) {
        /* What the body drew last frame (titles are made after drawing). */
        const char *what = s->mc->pane.posterior_title;
        double x[2];
        char a[24], b[24];
        f_inputs(s, x);
        plot_format_number(x[0], 3, a, sizeof a);
        plot_format_number(x[1], 3, b, sizeof b);
        bool joint = p != NULL && (p->kdrew & DREW_JOINT),
             scale = p != NULL && (p->kdrew & DREW_SCALE);
        if (joint || scale)
            snprintf(buf, size, "posterior  %s%sf(%s), f(%s)  n=%zu", scale ? what : "",
                     scale && joint ? ", " : "", joint ? a : "", joint ? b : "", s->n);
        else
            snprintf(buf, size, "posterior  %s", what != NULL ? what : s->mc->subject.name);
        if (scale && !joint) /* no f(a), f(b): cut them off */
            snprintf(buf, size, "posterior  %s  n=%zu", what, s->n);
        return;
    }
    const struct sampler_job *j = s->smp;
    const struct view_value *wv = view_get(&s->view, "posterior", "w");
    if (sampler_view(s) && (j->d < 2 || (wv != NULL && wv->len == 1)))
        snprintf(buf, size, "%s  w%zu  %s draws", j->tid != SMP_POSTERIOR ? j->tname : "posterior",
                 j->d < 2 ? 0 : post_w(s, 0), sampler_kind_name(j->kind));
    else if (sampler_view(s) && j->tid != SMP_POSTERIOR)
        snprintf(buf, size, "%s  w%zu x w%zu  %s draws", j->tname, post_w(s, 0),
                 post_w(s, 1), sampler_kind_name(j->kind));
    else if (sampler_view(s))
        snprintf(buf, size, "posterior  w%zu x w%zu  n=%zu  %s draws", post_w(s, 0),
                 post_w(s, 1), s->n, sampler_kind_name(j->kind));
    else if (one_weight(s))
        snprintf(buf, size, "posterior  w%zu  n=%zu", s->dim < 2 ? 0 : post_w(s, 0), s->n);
    else
        snprintf(buf, size, "posterior  w%zu x w%zu  n=%zu", post_w(s, 0), post_w(s, 1),
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
    p->tn.integer = true;
    plot_range_update(&p->tn, 1, s->n > 1 ? (double)s->n : 2);
    plot_extent(p->t1, k, true, &mn, &mx);
    plot_extent(p->t2, k, true, &mn, &mx);
    plot_range_update(&p->ty, mn, mx);
    struct plot pl;
    const struct legend_entry leg[] = {
        {"──", "__", "tr cov", COL_S1},
        {"╌╌", "--", "|mean - truth|", COL_S2},
    };
    size_t nl = s->wstar != NULL ? 2 : 1;
    plot_begin_legend(&pl, c, col, row, w, h, &p->tn, &p->ty, "n", NULL, leg, nl);
    plot_series(&pl, "tr cov");
    plot_line(&pl, p->tx, p->t1, k, COL_S1, PAT_SOLID);
    plot_series(&pl, "|mean - truth|");
    plot_line(&pl, p->tx, p->t2, k, COL_S2, PAT_DASHED);
    plot_legend(&pl, leg, nl);
}

/* ---- the sampler view ----------------------------------------------------- */

static bool
pbuf(struct posterior_pane *p, size_t n)
{
    if (n <= p->pcap)
        return true;
    double *a = realloc(p->px, n * sizeof *a);
    if (a != NULL)
        p->px = a;
    double *b = realloc(p->py, n * sizeof *b);
    if (b != NULL)
        p->py = b;
    if (a == NULL || b == NULL)
        return false;
    p->pcap = n;
    return true;
}

static int
cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Contour levels by mass, as a Gaussian's 1, 2 and 3 sd ellipses hold 39%,
 * 86% and 99% of it: the highest-density regions of the grid (the window's
 * mass) holding those fractions. Levels by density alone would miss where
 * the mass is, e.g. in the funnel's mouth. */
static void
mass_levels(const double *grid, size_t n, double level[3])
{
    static const double frac[3] = {0.3935, 0.8647, 0.9889};
    double umin = INFINITY, tot = 0;
    for (int q = 0; q < 3; q++)
        level[q] = (double)NAN;
    for (size_t i = 0; i < n; i++)
        umin = fmin(umin, grid[i]);
    double *v = malloc(n * sizeof *v);
    if (v == NULL || !isfinite(umin)) {
        free(v);
        return;
    }
    for (size_t i = 0; i < n; i++)
        tot += v[i] = exp(-(grid[i] - umin));
    qsort(v, n, sizeof *v, cmp_desc);
    double cum = 0;
    int q = 0;
    for (size_t i = 0; i < n && q < 3; i++) {
        cum += v[i];
        while (q < 3 && cum >= frac[q] * tot)
            level[q++] = umin - log(v[i]);
    }
    free(v);
}

/* The target's own frame for weights (i, k): a teaching density's 99%
 * region's box and its contour levels from U on a wide grid (FRAME_SD
 * reference sd around the mean); a Gaussian reference's 99% ellipse's box.
 * Computed once per job and pair: the view never follows the chains. */
static void
target_frame(struct posterior_pane *p, const struct sampler_job *j, size_t i, size_t k,
             bool contours)
{
    if (p->fjob == (const void *)j && p->fi == i && p->fk == k)
        return;
    p->fjob = j, p->fi = i, p->fk = k;
    p->framed = false;
    for (int q = 0; q < 3; q++)
        p->flevel[q] = (double)NAN;
    if (j->ref == TARGET_MOMENTS_NONE)
        return;
    size_t d = j->d;
    double m[2] = {j->ref_mean[i], j->ref_mean[k]};
    double sd[2] = {sqrt(j->ref_cov[i * d + i]), sqrt(j->ref_cov[k * d + k])};
    if (!(sd[0] > 0 && sd[1] > 0 && isfinite(sd[0]) && isfinite(sd[1])))
        return;
    if (!contours) {
        for (int a = 0; a < 2; a++) {
            p->flo[a] = m[a] - GAUSS_R99 * sd[a];
            p->fhi[a] = m[a] + GAUSS_R99 * sd[a];
        }
        p->framed = true;
        return;
    }
    enum { G = FRAME_GRID };
    double *g = malloc((size_t)G * G * sizeof *g);
    if (g == NULL)
        return;
    double lo[2], step[2];
    for (int a = 0; a < 2; a++) {
        lo[a] = m[a] - FRAME_SD * sd[a];
        step[a] = 2 * FRAME_SD * sd[a] / (G - 1);
    }
    for (int b = 0; b < G; b++)
        for (int a = 0; a < G; a++) {
            double w[2] = {lo[0] + step[0] * a, lo[1] + step[1] * b}, U;
            bl_err err;
            g[b * G + a] =
                target_eval(j->t, w, &U, NULL, &err) == BL_OK && isfinite(U) ? U : (double)INFINITY;
        }
    mass_levels(g, (size_t)G * G, p->flevel);
    int a0 = G, a1 = -1, b0 = G, b1 = -1;
    if (isfinite(p->flevel[2]))
        for (int b = 0; b < G; b++)
            for (int a = 0; a < G; a++)
                if (g[b * G + a] <= p->flevel[2]) {
                    a0 = a < a0 ? a : a0, a1 = a > a1 ? a : a1;
                    b0 = b < b0 ? b : b0, b1 = b > b1 ? b : b1;
                }
    free(g);
    if (a1 < 0)
        return;
    /* One grid step beyond the last cell inside, so the contour closes. */
    p->flo[0] = lo[0] + step[0] * (a0 - 1), p->fhi[0] = lo[0] + step[0] * (a1 + 1);
    p->flo[1] = lo[1] + step[1] * (b0 - 1), p->fhi[1] = lo[1] + step[1] * (b1 + 1);
    p->framed = true;
}

/* U on a gx x gy grid over the plot's ranges (2-D targets), cached while the
 * ranges stay the same. Non-finite values are stored as +inf. */
static bool
contour_grid(struct posterior_pane *p, const struct sampler_job *j, const struct plot *pl)
{
    int gx = 2 * pl->pw, gy = 4 * pl->ph;
    gx = gx > GRID_MAX_X ? GRID_MAX_X : gx;
    gy = gy > GRID_MAX_Y ? GRID_MAX_Y : gy;
    if (gx < 4 || gy < 4)
        return false;
    if (p->grid != NULL && p->gx == gx && p->gy == gy && p->glo[0] == pl->x.lo &&
        p->ghi[0] == pl->x.hi && p->glo[1] == pl->y.lo && p->ghi[1] == pl->y.hi &&
        p->job == (const void *)j)
        return true;
    double *g = realloc(p->grid, (size_t)gx * (size_t)gy * sizeof *g);
    if (g == NULL)
        return false;
    p->grid = g;
    p->gx = gx;
    p->gy = gy;
    p->glo[0] = pl->x.lo, p->ghi[0] = pl->x.hi, p->glo[1] = pl->y.lo, p->ghi[1] = pl->y.hi;
    for (int b = 0; b < gy; b++)
        for (int a = 0; a < gx; a++) {
            double w[2] = {pl->x.lo + (pl->x.hi - pl->x.lo) * a / (gx - 1),
                           pl->y.lo + (pl->y.hi - pl->y.lo) * b / (gy - 1)};
            double U;
            bl_err err;
            g[b * gx + a] =
                target_eval(j->t, w, &U, NULL, &err) == BL_OK && isfinite(U) ? U : (double)INFINITY;
        }
    if (isfinite(p->flevel[0]))
        memcpy(p->glevel, p->flevel, sizeof p->glevel);
    else
        mass_levels(g, (size_t)gx * (size_t)gy, p->glevel);
    return true;
}

/* Marching squares: the level set U = level as segments (saddles split by
 * the cell's mean). */
static void
contour_level(struct posterior_pane *p, struct plot *pl, double level, int color)
{
    int gx = p->gx, gy = p->gy;
    const double *g = p->grid;
    double dx = (pl->x.hi - pl->x.lo) / (gx - 1), dy = (pl->y.hi - pl->y.lo) / (gy - 1);
    for (int b = 0; b + 1 < gy; b++)
        for (int a = 0; a + 1 < gx; a++) {
            /* corners counter-clockwise from (a, b) */
            double v[4] = {g[b * gx + a], g[b * gx + a + 1], g[(b + 1) * gx + a + 1],
                           g[(b + 1) * gx + a]};
            double cx[4] = {a, a + 1, a + 1, a}, cy[4] = {b, b, b + 1, b + 1};
            int in[4], cnt = 0;
            for (int k = 0; k < 4; k++)
                cnt += in[k] = v[k] < level;
            if (cnt == 0 || cnt == 4)
                continue;
            double ex[4], ey[4];
            int ne = 0;
            for (int k = 0; k < 4; k++) {
                int m = (k + 1) % 4;
                if (in[k] == in[m])
                    continue;
                double t;
                if (isinf(v[k]) || isinf(v[m]))
                    t = isinf(v[k]) ? 1.0 : 0.0;
                else
                    t = (level - v[k]) / (v[m] - v[k]);
                ex[ne] = pl->x.lo + dx * (cx[k] + t * (cx[m] - cx[k]));
                ey[ne] = pl->y.lo + dy * (cy[k] + t * (cy[m] - cy[k]));
                ne++;
            }
            if (ne == 2) {
                plot_line(pl, ex, ey, 2, color, PAT_SOLID);
            } else if (ne == 4) {
                double mean = 0.25 * (v[0] + v[1] + v[2] + v[3]);
                /* Edges were found in order 0-1, 1-2, 2-3, 3-0: pair them so
                 * the inside region joins through the centre or not. */
                bool join = (mean < level) == (bool)in[0];
                double sx[2], sy[2];
                int pr[2][2] = {{0, join ? 1 : 3}, {2, join ? 3 : 1}};
                for (int q = 0; q < 2; q++) {
                    sx[0] = ex[pr[q][0]], sy[0] = ey[pr[q][0]];
                    sx[1] = ex[pr[q][1]], sy[1] = ey[pr[q][1]];
                    plot_line(pl, sx, sy, 2, color, PAT_SOLID);
                }
            }
        }
}

static void
widen(double *mn, double *mx, double v)
{
    if (!isfinite(v))
        return;
    if (isnan(*mn) || v < *mn)
        *mn = v;
    if (isnan(*mx) || v > *mx)
        *mx = v;
}

/* p->top cleared at c's size and mode; false when out of memory. */
static bool
top_canvas(struct posterior_pane *p, const struct canvas *c)
{
    if (p->top.cells == NULL || p->top.cols != c->cols || p->top.rows != c->rows) {
        canvas_free(&p->top);
        if (canvas_init(&p->top, c->cols, c->rows, c->ascii) != 0)
            return false;
    }
    p->top.ascii = c->ascii;
    canvas_clear(&p->top);
    canvas_clip(&p->top, 0, 0, -1, -1);
    return p->top.cells != NULL;
}

/* Every kept draw of every chain (weighted: SGLD) into the histogram. */
static void
bin_draws(struct posterior_pane *p, const struct sampler_job *j, const struct plot *pl, size_t i,
          size_t k2, bool one, double ry)
{
    if (shade_hist_reset(&p->hist, pl) != 0)
        return;
    size_t d = j->d;
    for (size_t k = 0; k < j->K; k++)
        for (size_t q = 0; q < j->count; q++) {
            const double *x = j->draws + (k * j->keep + q) * d;
            /* One coordinate: spread the draws vertically (a strip plot). */
            double y =
                one ? ry * (((double)((q * 7919 + k * 104729) % 1000)) / 500.0 - 1.0) : x[k2];
            shade_hist_add(&p->hist, pl, x[i], y, j->wts[k * j->keep + q]);
        }
}

#define MARG_MIN_W 70 /* marginals along the axes from this pane size */
#define MARG_MIN_H 24

/* The marginal of coordinate ci along one axis of pl (axis 0: x, in the
 * rows [lo, hi) above the plot; axis 1: y, in the columns [lo, hi) at its
 * right): the draws' histogram per cell of the plot as bars, the exact
 * marginal over them as a line (a Gaussian reference's N(m, sd^2), or a 2-D
 * density's from its grid over the view), both as expected counts per cell. */
static void
marginal(struct posterior_pane *p, const struct sampler_job *j, const struct plot *pl, size_t ci,
         bool contours, bool ref, double m, double sd, int axis, int lo, int hi)
{
    int nb = axis == 0 ? pl->pw : pl->ph, depth = (hi - lo) * (axis == 0 ? 4 : 2);
    if (nb <= 0 || depth < 4)
        return;
    double *cnt = calloc((size_t)nb * 2, sizeof *cnt), *ex = cnt + nb;
    if (cnt == NULL)
        return;
    double tot = 0;
    for (size_t k = 0; k < j->K; k++)
        for (size_t q = 0; q < j->count; q++) {
            double v = j->draws[(k * j->keep + q) * j->d + ci], wt = j->wts[k * j->keep + q];
            tot += wt;
            double P = floor((axis == 0 ? plot_px(pl, v) : plot_py(pl, v)) + 0.5);
            double b = axis == 0 ? floor(P / 2) - pl->pcol : floor(P / 4) - pl->prow;
            if (isfinite(P) && b >= 0 && b < nb)
                cnt[(int)b] += wt;
        }
    /* Bin edges in data coordinates: a cell spans 2 (x) or 4 (y) pixels. */
    const struct plot_range *r = axis == 0 ? &pl->x : &pl->y;
    double width = (r->hi - r->lo) / nb;
    bool have = false;
    if (contours && p->grid != NULL) {
        /* Sum exp(-U) over the other axis of the view grid, per grid line. */
        int ga = axis == 0 ? p->gx : p->gy, gb = axis == 0 ? p->gy : p->gx;
        double umin = INFINITY, all = 0, *line = calloc((size_t)ga, sizeof *line);
        if (line != NULL) {
            for (int a = 0; a < p->gx * p->gy; a++)
                umin = fmin(umin, p->grid[a]);
            for (int a = 0; a < ga && isfinite(umin); a++)
                for (int b = 0; b < gb; b++) {
                    double U = axis == 0 ? p->grid[b * p->gx + a] : p->grid[a * p->gx + b];
                    line[a] += exp(-(U - umin));
                }
            for (int a = 0; a < ga; a++)
                all += line[a];
            /* Grid line a sits at lo + a (hi - lo)/(ga - 1); y bins run top down. */
            for (int b = 0; b < nb && all > 0; b++) {
                double v = axis == 0 ? r->lo + width * (b + 0.5) : r->hi - width * (b + 0.5);
                double g = (v - r->lo) / (r->hi - r->lo) * (ga - 1);
                int g0 = (int)floor(g);
                g0 = g0 < 0 ? 0 : g0 >= ga - 1 ? ga - 2 : g0;
                double f = g - g0, dens = (1 - f) * line[g0] + f * line[g0 + 1];
                ex[b] = tot * dens / all * (ga - 1) * width / (r->hi - r->lo);
            }
            have = all > 0;
            free(line);
        }
    } else if (ref && sd > 0) {
        for (int b = 0; b < nb; b++) {
            double v = axis == 0 ? r->lo + width * (b + 0.5) : r->hi - width * (b + 0.5);
            double z = (v - m) / sd;
            ex[b] = tot * width * exp(-0.5 * z * z) / (sd * sqrt(2 * M_PI));
        }
        have = true;
    }
    double top = 0;
    for (int b = 0; b < nb; b++)
        top = fmax(top, fmax(cnt[b], have ? ex[b] : 0));
    if (top > 0) {
        struct canvas *c = pl->c;
        for (int b = 0; b < nb; b++) {
            /* Thin bars (one dot column, two dot rows per cell) so the
             * exact curve stays visible across them. */
            int len = (int)floor(cnt[b] / top * depth + 0.5);
            for (int t = 0; t < len; t++)
                for (int e = 1; e < (axis == 0 ? 2 : 3); e++) {
                    if (axis == 0)
                        canvas_dot(c, 2 * (pl->pcol + b), 4 * hi - 1 - t, COL_S2);
                    else
                        canvas_dot(c, 2 * lo + t, 4 * (pl->prow + b) + e, COL_S2);
                }
        }
        double ph = 0;
        for (int b = 0; have && b + 1 < nb; b++) {
            double a0 = ex[b] / top * depth, a1 = ex[b + 1] / top * depth;
            if (axis == 0)
                canvas_line_phased(c, 2.0 * (pl->pcol + b) + 0.5, 4.0 * hi - 1 - a0,
                                   2.0 * (pl->pcol + b + 1) + 0.5, 4.0 * hi - 1 - a1, COL_S1,
                                   PAT_SOLID, &ph);
            else
                canvas_line_phased(c, 2.0 * lo + a0, 4.0 * (pl->prow + b) + 1.5, 2.0 * lo + a1,
                                   4.0 * (pl->prow + b + 1) + 1.5, COL_S1, PAT_SOLID, &ph);
        }
    }
    free(cnt);
}

/* One coordinate of a sampler's target: the draws' histogram (density per
 * cell column, as thin bars), the exact or Laplace density over it, the
 * truth and chain 0's last proposal on the axis; no second axis. */
static void
draw_sampler_1d(struct posterior_pane *p, const struct session *s, const struct sampler_job *j,
                size_t i, struct canvas *c, int col, int row, int w, int h)
{
    size_t d = j->d;
    bool ref = j->ref != TARGET_MOMENTS_NONE;
    double m = ref ? j->ref_mean[i] : (double)NAN, sd = ref ? sqrt(j->ref_cov[i * d + i]) : (double)NAN;
    double xmn = NAN, xmx = NAN;
    if (ref && sd > 0) {
        widen(&xmn, &xmx, m - 3.5 * sd);
        widen(&xmn, &xmx, m + 3.5 * sd);
    } else {
        for (size_t k = 0; k < j->K; k++)
            for (size_t q = 0; q < j->count; q++)
                widen(&xmn, &xmx, j->draws[(k * j->keep + q) * d + i]);
    }
    bool truth = j->tid == SMP_POSTERIOR && s->wstar != NULL && i < s->dim;
    if (truth)
        widen(&xmn, &xmx, s->wstar[i]);
    pane_apply_ranges(s, "posterior", &p->sx, &p->sy);
    plot_range_update(&p->sx, xmn, xmx);
    /* Bins: one per cell column of the data area, known after plot_begin;
     * the density's peak sets the y range first. */
    double peak = ref && sd > 0 ? 1 / (sd * sqrt(2 * M_PI)) : (double)NAN;
    int nb = w > 8 ? w - 8 : 1;
    double *cnt = calloc((size_t)nb, sizeof *cnt), tot = 0;
    if (cnt == NULL)
        return;
    double lo = p->sx.lo, bw = (p->sx.hi - p->sx.lo) / nb;
    for (size_t k = 0; k < j->K; k++)
        for (size_t q = 0; q < j->count; q++) {
            double v = j->draws[(k * j->keep + q) * d + i], wt = j->wts[k * j->keep + q];
            tot += wt;
            double b = floor((v - lo) / bw);
            if (b >= 0 && b < nb)
                cnt[(int)b] += wt;
        }
    double top = isfinite(peak) ? peak : 0;
    for (int b = 0; b < nb && tot > 0; b++)
        top = fmax(top, cnt[b] / (tot * bw));
    plot_range_update(&p->sy, 0, top > 0 ? top : 1);
    char xl[48];
    snprintf(xl, sizeof xl, "w%zu%s%s%s", i, j->tid == SMP_LOGISTIC ? " (" : "",
             j->tid == SMP_LOGISTIC ? j->coord[i] : "", j->tid == SMP_LOGISTIC ? ")" : "");
    const sampler_event *ev = j->have_ev ? j->ev[0] : NULL;
    bool decides = j->kind->events & SAMPLER_EV_ACCEPT;
    struct legend_entry leg[4];
    size_t nl = 0;
    if (ref)
        leg[nl++] = (struct legend_entry){
            "──", "__", j->ref == TARGET_MOMENTS_LAPLACE ? "Laplace density" : "exact density",
            COL_S1};
    leg[nl++] = (struct legend_entry){"│ ", "| ", "draws (histogram)", COL_S2};
    if (ev != NULL)
        leg[nl++] = !decides       ? (struct legend_entry){"● ", "@ ", "last step", COL_NEW}
                    : ev->accepted ? (struct legend_entry){"● ", "@ ", "accepted", COL_NEW}
                                   : (struct legend_entry){"○ ", "o ", "rejected", COL_NEW};
    if (truth)
        leg[nl++] = (struct legend_entry){"+·", "+.", "truth", COL_TRUTH};
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, &p->sx, &p->sy, xl, "density", leg, nl);
    /* Thin bars at the bins' centres, behind the density. */
    canvas_pen(c, plot_series(&pl, "draws (histogram)"), LAYER_BAND);
    for (int b = 0; b < nb && tot > 0; b++) {
        double x = lo + bw * (b + 0.5), y = cnt[b] / (tot * bw);
        double X = plot_px(&pl, x), Y0 = plot_py(&pl, 0), Y1 = plot_py(&pl, y);
        if (y > 0)
            canvas_line(c, X, Y0, X, Y1, COL_S2, PAT_SOLID);
    }
    canvas_pen(c, 0, LAYER_NONE);
    free(cnt);
    if (ref && sd > 0) {
        enum { G = 161 };
        double gx[G], gy[G];
        for (int g = 0; g < G; g++) {
            gx[g] = pl.x.lo + (pl.x.hi - pl.x.lo) * g / (G - 1);
            double z = (gx[g] - m) / sd;
            gy[g] = peak * exp(-0.5 * z * z);
        }
        plot_series(&pl, leg[0].name);
        plot_line(&pl, gx, gy, G, COL_S1, PAT_SOLID);
    }
    if (truth) {
        plot_series(&pl, "truth");
        plot_layer(&pl, LAYER_OVER);
        plot_vline(&pl, s->wstar[i], COL_TRUTH, PAT_DOTTED);
        plot_layer(&pl, -1);
        plot_marker(&pl, s->wstar[i], 0, '+', COL_TRUTH, ATTR_BOLD);
    }
    if (ev != NULL) {
        plot_series(&pl, leg[nl - 1 - truth].name);
        plot_layer(&pl, LAYER_NEW);
        plot_marker(&pl, ev->proposal[i], 0,
                    ev->accepted ? (c->ascii ? '@' : 0x25CF) : (c->ascii ? 'o' : 0x25CB), COL_NEW,
                    ATTR_BOLD);
        plot_layer(&pl, -1);
    }
    plot_series(&pl, NULL);
    plot_legend(&pl, leg, nl);
}

static void
draw_sampler(struct posterior_pane *p, const struct session *s, const struct sampler_job *j,
             struct canvas *c, int col, int row, int w, int h)
{
    size_t d = j->d, i = post_w(s, 0), k2 = post_w(s, 1);
    p->have_last = false;
    if (d < 2) {
        i = k2 = 0;
    } else if (i >= d || k2 >= d) {
        char msg[96];
        snprintf(msg, sizeof msg, "w%zu,%zu out of range: the target has w0..w%zu", i, k2, d - 1);
        pane_message(c, col, row, w, h, msg);
        return;
    }
    if (p->job != (const void *)j) {
        p->sx = (struct plot_range){0};
        p->sy = (struct plot_range){0};
        free(p->grid);
        p->grid = NULL;
        p->fjob = NULL;
    }
    bool ref = j->ref != TARGET_MOMENTS_NONE, lap = j->ref == TARGET_MOMENTS_LAPLACE;
    const struct view_value *wv = view_get(&s->view, "posterior", "w");
    bool one = d < 2 || (wv != NULL && wv->len == 1);
    if (one) {
        draw_sampler_1d(p, s, j, i, c, col, row, w, h);
        p->job = j;
        return;
    }
    double mx = ref ? j->ref_mean[i] : 0, my = ref && !one ? j->ref_mean[k2] : 0;
    double sxx = ref ? j->ref_cov[i * d + i] : 1, syy = ref ? j->ref_cov[k2 * d + k2] : 1;
    double sxy = ref && !one ? j->ref_cov[i * d + k2] : 0;
    if (one)
        syy = sxx;
    bool contours = d == 2 && j->tid != SMP_POSTERIOR && i != k2;
    double xmn = NAN, xmx = NAN, ymn = NAN, ymx = NAN;
    double ry = sqrt(syy);
    target_frame(p, j, i, k2, contours);
    bool framed = p->framed && !one;
    if (framed) {
        widen(&xmn, &xmx, p->flo[0]), widen(&xmn, &xmx, p->fhi[0]);
        widen(&ymn, &ymx, p->flo[1]), widen(&ymn, &ymx, p->fhi[1]);
    }
    const sampler_event *ev = j->have_ev ? j->ev[0] : NULL;
    size_t nt = ev != NULL ? (ev->ntraj > 0 ? ev->ntraj : 0) + 2 : 0;
    if (!pbuf(p, nt + 1))
        return;
    /* Without the target's own frame (no reference moments, or one
     * coordinate), the draws set the range. */
    if (!framed)
        for (size_t k = 0; k < j->K; k++)
            for (size_t q = 0; q < j->count; q++) {
                const double *x = j->draws + (k * j->keep + q) * d;
                widen(&xmn, &xmx, x[i]);
                widen(&ymn, &ymx,
                      one ? ry * (((double)((q * 7919 + k * 104729) % 1000)) / 500.0 - 1.0)
                          : x[k2]);
            }
    /* Chain 0's last step, as a polyline in trajectory order. */
    double *tx = p->px, *ty = p->py;
    size_t ntr = 0;
    if (ev != NULL) {
        if (ev->ntraj >= 2 && (j->kind->events & SAMPLER_EV_TREE)) {
            for (size_t q = ev->ntraj; q-- > 0;)
                if (ev->traj_dir[q] < 0)
                    tx[ntr] = ev->traj[q * d + i], ty[ntr++] = ev->traj[q * d + k2];
            for (size_t q = 0; q < ev->ntraj; q++)
                if (ev->traj_dir[q] >= 0)
                    tx[ntr] = ev->traj[q * d + i], ty[ntr++] = ev->traj[q * d + k2];
        } else if (ev->ntraj >= 2) {
            for (size_t q = 0; q < ev->ntraj; q++)
                tx[ntr] = ev->traj[q * d + i], ty[ntr++] = ev->traj[q * d + k2];
        } else {
            tx[0] = ev->from[i], ty[0] = ev->from[k2];
            tx[1] = ev->proposal[i], ty[1] = ev->proposal[k2];
            ntr = 2;
        }
        if (one)
            for (size_t q = 0; q < ntr; q++)
                ty[q] = 0;
        if (!framed)
            for (size_t q = 0; q < ntr; q++) {
                widen(&xmn, &xmx, tx[q]);
                widen(&ymn, &ymx, ty[q]);
            }
    }
    bool truth = j->tid == SMP_POSTERIOR && s->wstar != NULL && !one;
    if (truth) {
        widen(&xmn, &xmx, s->wstar[i]);
        widen(&ymn, &ymx, s->wstar[k2]);
    }
    pane_apply_ranges(s, "posterior", &p->sx, &p->sy);
    plot_range_update(&p->sx, xmn, xmx);
    plot_range_update(&p->sy, ymn, ymx);
    char xl[48], yl[48];
    snprintf(xl, sizeof xl, "w%zu%s%s%s", i, j->tid == SMP_LOGISTIC ? " (" : "",
             j->tid == SMP_LOGISTIC ? j->coord[i] : "", j->tid == SMP_LOGISTIC ? ")" : "");
    snprintf(yl, sizeof yl, "w%zu%s%s%s", k2, j->tid == SMP_LOGISTIC ? " (" : "",
             j->tid == SMP_LOGISTIC ? j->coord[k2] : "", j->tid == SMP_LOGISTIC ? ")" : "");
    /* Marginals along the axes where the pane is large enough: a strip
     * above for the first coordinate, a column at the right for the second. */
    int mh = !one && w >= MARG_MIN_W && h >= MARG_MIN_H ? h / 6 : 0;
    int mw = mh > 0 ? w / 8 : 0;
    struct plot pl;
    plot_begin(&pl, c, col, row + mh, w - mw, h - mh, &p->sx, &p->sy, xl, one ? NULL : yl);
    bin_draws(p, j, &pl, i, k2, one, ry);
    /* Lines and markers go on a canvas of their own, then over the shade:
     * each owns its cells, so an ellipse or a contour reads as a clean line
     * through the densest shade, without colour too. */
    struct plot lp = pl;
    bool layered = top_canvas(p, c);
    if (layered) {
        lp.c = &p->top;
        lp.first_series = 1; /* series on top are renamed to pl's by shade_compose */
    }
    /* A kind without an accept step (SGLD) always moves: its last step is
     * neither accepted nor rejected. */
    bool decides = j->kind->events & SAMPLER_EV_ACCEPT;
    bool acc = ev != NULL && (ev->accepted || !decides);
    const char *step_name = !decides ? "last step" : acc ? "accepted" : "rejected";
    if (contours && contour_grid(p, j, &lp)) {
        plot_series(&lp, "density 39,86,99%");
        for (int q = 0; q < 3; q++)
            if (isfinite(p->glevel[q]))
                contour_level(p, &lp, p->glevel[q], COL_S1);
        plot_series(&lp, "moments 2 sd");
        if (ref)
            plot_ellipse(&lp, mx, my, sxx, sxy, syy, 2.0, COL_S3, PAT_DOTTED);
    } else if (ref) {
        plot_series(&lp, "2 sd");
        plot_ellipse(&lp, mx, my, sxx, sxy, syy, 2.0, COL_S1, PAT_DASHED);
        plot_series(&lp, lap ? "Laplace 1 sd" : "exact 1 sd");
        plot_ellipse(&lp, mx, my, sxx, sxy, syy, 1.0, COL_S1, PAT_SOLID);
    }
    p->job = j;
    plot_series(&lp, NULL);
    if (ref)
        plot_marker(&lp, mx, my, c->ascii ? 'x' : 0x00D7, COL_S1, ATTR_BOLD);
    if (truth) {
        plot_series(&lp, "truth");
        plot_marker(&lp, s->wstar[i], s->wstar[k2], '+', COL_TRUTH, ATTR_BOLD);
    }
    plot_series(&lp, step_name);
    if (ev != NULL)
        plot_line(&lp, tx, ty, ntr, COL_NEW, acc ? PAT_SOLID : PAT_DOTTED);
    /* The leapfrog points of a short trajectory, so each step shows. */
    if (ev != NULL && ntr > 2 && ntr <= 64)
        for (size_t q = 1; q + 1 < ntr; q++)
            plot_marker(&lp, tx[q], ty[q], c->ascii ? '.' : 0x2022, COL_NEW, ATTR_NONE);
    if (ev != NULL && !one)
        sampler_events_draw(&lp, j, i, k2, c->ascii); /* brackets, replicas, particles */
    if (ev != NULL) {
        double ex = ev->proposal[i], ey = one ? 0 : ev->proposal[k2];
        if (ev->ntraj >= 2 &&
            (j->kind->events & (SAMPLER_EV_TRAJECTORY | SAMPLER_EV_TREE)) == SAMPLER_EV_TRAJECTORY)
            ex = tx[ntr - 1], ey = ty[ntr - 1];
        plot_layer(&lp, LAYER_NEW);
        plot_marker(&lp, ex, ey, acc ? (c->ascii ? '@' : 0x25CF) : (c->ascii ? 'o' : 0x25CB),
                    COL_NEW, ATTR_BOLD);
        plot_layer(&lp, -1);
    }
    plot_series(&lp, NULL);
    plot_series(&pl, "draws (density)");
    shade_draw(&p->hist, &pl);
    plot_series(&pl, NULL);
    if (layered)
        shade_compose(&pl, &p->top);
    if (mh > 0 && pl.pw > 0 && pl.ph > 0) {
        marginal(p, j, &pl, i, contours, ref, mx, sqrt(sxx), 0, row + 1, pl.prow - 1);
        marginal(p, j, &pl, k2, contours, ref, my, sqrt(syy), 1, pl.pcol + pl.pw + 1, col + w - 1);
    }
    p->last = pl;
    p->have_last = true;
    struct legend_entry leg[6];
    size_t nl = 0;
    if (contours) {
        leg[nl++] = (struct legend_entry){"──", "__", "density 39,86,99%", COL_S1};
        if (ref)
            leg[nl++] = (struct legend_entry){"··", "..", "moments 2 sd", COL_S3};
    } else if (ref) {
        leg[nl++] = (struct legend_entry){"──", "__", lap ? "Laplace 1 sd" : "exact 1 sd", COL_S1};
        leg[nl++] = (struct legend_entry){"╌╌", "--", "2 sd", COL_S1};
    }
    leg[nl++] = (struct legend_entry){"⢕⣿", "=@", "draws (density)", COL_S2};
    if (ev != NULL)
        leg[nl++] = acc ? (struct legend_entry){"●─", "@_", step_name, COL_NEW}
                        : (struct legend_entry){"○·", "o.", step_name, COL_NEW};
    if (truth)
        leg[nl++] = (struct legend_entry){"+ ", "+ ", "truth", COL_TRUTH};
    if (truth && !(s->wstar[i] >= pl.x.lo && s->wstar[i] <= pl.x.hi && s->wstar[k2] >= pl.y.lo &&
                   s->wstar[k2] <= pl.y.hi))
        plot_series_hidden(&pl, "truth", "out of view");
    plot_legend(&pl, leg, nl);
}

bool
pane_posterior_sampler_plot(const void *self, struct plot *pl, double level[3],
                            const struct shade_hist **hist)
{
    const struct posterior_pane *p = self;
    if (p == NULL || !p->have_last)
        return false;
    *pl = p->last;
    for (int q = 0; q < 3; q++)
        level[q] = p->glevel[q];
    if (hist != NULL)
        *hist = &p->hist;
    return true;
}

#define JOINT_BESIDE_W 120 /* a TP's pane this wide shows f at two inputs beside the scale */
#define FDRAWS 400 /* posterior draws of (f(a), f(b)): their correlation, and a few shown */
#define FSHOWN 24

/* Mean, sd and correlation of (f(a), f(b)) from the model's band hook (sd
 * exact, correlation from FDRAWS draws), the prior covariance from its gram
 * hook; cached by the session's generation. */
static bool
f_joint(struct posterior_pane *p, const struct session *s)
{
    double x[2];
    f_inputs(s, x);
    if (p->fgen == s->generation && p->fx[0] == x[0] && p->fx[1] == x[1] && p->fd != NULL)
        return p->fok;
    p->fgen = s->generation, p->fx[0] = x[0], p->fx[1] = x[1];
    p->fok = false;
    const struct model_pane *hk = &s->mc->pane;
    if (hk->band == NULL || hk->band_normals == NULL || s->in_dim != 1)
        return false;
    size_t nz = hk->band_normals(s->m, 2);
    if (p->fz == NULL || p->fzn != nz) {
        free(p->fz);
        p->fz = malloc((nz > 0 ? FDRAWS * nz : 1) * sizeof *p->fz);
        gsl_rng *r = gsl_rng_alloc(bl_rng_mt19937);
        if (p->fz == NULL || r == NULL) {
            gsl_rng_free(r);
            free(p->fz);
            p->fz = NULL;
            return false;
        }
        gsl_rng_set(r, 20240918);
        for (size_t i = 0; i < FDRAWS * nz; i++)
            p->fz[i] = gsl_ran_ugaussian(r);
        gsl_rng_free(r);
        p->fzn = nz;
    }
    if (p->fd == NULL && (p->fd = malloc(2 * FDRAWS * sizeof *p->fd)) == NULL)
        return false;
    bl_err err;
    p->fdraws = hk->band(s->m, x, 2, p->fz, FDRAWS, p->fm, p->fsd, p->fd, s->cancel, &err);
    if (p->fdraws < 0)
        return false;
    p->frho = 0;
    if (p->fdraws >= 10) {
        double m0 = 0, m1 = 0, s00 = 0, s01 = 0, s11 = 0, n = p->fdraws;
        for (int q = 0; q < p->fdraws; q++)
            m0 += p->fd[q * 2], m1 += p->fd[q * 2 + 1];
        m0 /= n, m1 /= n;
        for (int q = 0; q < p->fdraws; q++) {
            double a = p->fd[q * 2] - m0, b = p->fd[q * 2 + 1] - m1;
            s00 += a * a, s01 += a * b, s11 += b * b;
        }
        p->frho = s00 > 0 && s11 > 0 ? s01 / sqrt(s00 * s11) : 0;
    }
    double K[4];
    p->fK[0] = p->fK[1] = p->fK[2] = (double)NAN;
    if (s->mc->gram != NULL && s->mc->gram(s->m, x, 2, 0, K, s->cancel, &err) == BL_OK)
        p->fK[0] = K[0], p->fK[1] = K[1], p->fK[2] = K[3];
    p->fok = isfinite(p->fm[0]) && isfinite(p->fm[1]) && p->fsd[0] > 0 && p->fsd[1] > 0;
    return p->fok;
}

/* The joint posterior of f at two inputs: its 1 and 2 sd ellipses, a few
 * draws, the truth's values when the world knows them, and the prior's
 * ellipse (the kernel at the two inputs) around 0. */
static bool
draw_joint_f(struct posterior_pane *p, const struct session *s, struct canvas *c, int col, int row,
             int w, int h)
{
    if (!f_joint(p, s))
        return false;
    double sxx = p->fsd[0] * p->fsd[0], syy = p->fsd[1] * p->fsd[1];
    double sxy = p->frho * p->fsd[0] * p->fsd[1];
    bool prior = isfinite(p->fK[0]) && isfinite(p->fK[2]) && p->fK[0] > 0 && p->fK[2] > 0;
    bool truth = s->world != NULL && world_knows_truth(s->world);
    double t0 = truth ? world_mean(s->world, &p->fx[0]) : (double)NAN;
    double t1 = truth ? world_mean(s->world, &p->fx[1]) : (double)NAN;
    double xmn = p->fm[0] - 2.5 * p->fsd[0], xmx = p->fm[0] + 2.5 * p->fsd[0];
    double ymn = p->fm[1] - 2.5 * p->fsd[1], ymx = p->fm[1] + 2.5 * p->fsd[1];
    if (prior) {
        xmn = fmin(xmn, -2.2 * sqrt(p->fK[0])), xmx = fmax(xmx, 2.2 * sqrt(p->fK[0]));
        ymn = fmin(ymn, -2.2 * sqrt(p->fK[2])), ymx = fmax(ymx, 2.2 * sqrt(p->fK[2]));
    }
    if (isfinite(t0) && isfinite(t1))
        xmn = fmin(xmn, t0), xmx = fmax(xmx, t0), ymn = fmin(ymn, t1), ymx = fmax(ymx, t1);
    pane_apply_ranges(s, "posterior", &p->jx, &p->jy);
    plot_range_update(&p->jx, xmn, xmx);
    plot_range_update(&p->jy, ymn, ymx);
    char xl[32], yl[32];
    char a[24], b[24];
    plot_format_number(p->fx[0], 3, a, sizeof a);
    plot_format_number(p->fx[1], 3, b, sizeof b);
    snprintf(xl, sizeof xl, "f(%s)", a);
    snprintf(yl, sizeof yl, "f(%s)", b);
    int shown = p->fdraws < FSHOWN ? p->fdraws : FSHOWN;
    struct legend_entry leg[5];
    size_t nl = 0;
    leg[nl++] = (struct legend_entry){"──", "__", "posterior 1 sd", COL_S1};
    leg[nl++] = (struct legend_entry){"╌╌", "--", "2 sd", COL_S1};
    if (prior)
        leg[nl++] = (struct legend_entry){"··", "..", "prior 2 sd", COL_S3};
    if (shown > 0)
        leg[nl++] = (struct legend_entry){"· ", ". ", "draws", COL_S2};
    if (isfinite(t0) && isfinite(t1))
        leg[nl++] = (struct legend_entry){"+ ", "+ ", "truth", COL_TRUTH};
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, &p->jx, &p->jy, xl, yl, leg, nl);
    plot_series(&pl, "prior 2 sd");
    if (prior)
        plot_ellipse(&pl, 0, 0, p->fK[0], p->fK[1], p->fK[2], 2.0, COL_S3, PAT_DOTTED);
    plot_series(&pl, "2 sd");
    plot_ellipse(&pl, p->fm[0], p->fm[1], sxx, sxy, syy, 2.0, COL_S1, PAT_DASHED);
    plot_series(&pl, "posterior 1 sd");
    plot_ellipse(&pl, p->fm[0], p->fm[1], sxx, sxy, syy, 1.0, COL_S1, PAT_SOLID);
    plot_series(&pl, "draws");
    for (int q = 0; q < shown; q++)
        plot_marker(&pl, p->fd[q * 2], p->fd[q * 2 + 1], c->ascii ? '.' : 0x00B7, COL_S2,
                    ATTR_NONE);
    plot_series(&pl, NULL);
    plot_marker(&pl, p->fm[0], p->fm[1], c->ascii ? 'x' : 0x00D7, COL_S1, ATTR_BOLD);
    plot_series(&pl, "truth");
    plot_layer(&pl, LAYER_NEW);
    if (isfinite(t0) && isfinite(t1))
        plot_marker(&pl, t0, t1, '+', COL_TRUTH, ATTR_BOLD);
    plot_series(&pl, NULL);
    plot_legend(&pl, leg, nl);
    return true;
}

/* A model without weights: a scalar posterior when the model has one to
 * show (the output scale of a Student-t process), else a word on why not. */
static void
draw_scale(struct posterior_pane *p, const struct session *s, struct canvas *c, int col, int row,
           int w, int h)
{
    struct model_scalar sc;
    p->kdrew = 0;
    if (s->mc->pane.scalar == NULL) {
        if (draw_joint_f(p, s, c, col, row, w, h)) {
            p->kdrew = DREW_JOINT;
            return;
        }
        /* Short, so it fits a half-width pane at 80x24. */
        char msg[96];
        snprintf(msg, sizeof msg, "a %s: posterior over functions (data pane)",
                 s->mc->subject.name);
        pane_message(c, col, row, w, h, msg);
        return;
    }
    if (!s->mc->pane.scalar(s->m, &sc)) {
        pane_message(c, col, row, w, h, "no posterior scale to draw yet: observe");
        return;
    }
    /* A TP: f at two inputs beside the scale when the pane is wide enough
     * for both (the scale is what a TP adds; it comes first). */
    if (w >= JOINT_BESIDE_W && draw_joint_f(p, s, c, col, row, w / 2, h)) {
        p->kdrew = DREW_JOINT;
        col += w / 2;
        w -= w / 2;
    }
    p->kdrew |= DREW_SCALE;
    enum { G = MODEL_SCALAR_GRID };
    double mx = 0;
    for (int g = 0; g < G; g++)
        mx = fmax(mx, fmax(sc.prior[g], sc.post[g]));
    plot_range_update(&p->x, sc.lo, sc.hi);
    plot_range_update(&p->y, 0, mx);
    const struct legend_entry leg[] = {
        {"╌╌", "--", "prior", COL_S2},
        {"──", "__", sc.post_label, COL_S1},
    };
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, &p->x, &p->y, sc.xlabel, "density", leg, 2);
    plot_series(&pl, "prior");
    plot_line(&pl, sc.x, sc.prior, G, COL_S2, PAT_DASHED);
    plot_series(&pl, sc.post_label);
    plot_line(&pl, sc.x, sc.post, G, COL_S1, PAT_SOLID);
    plot_series(&pl, NULL);
    plot_legend(&pl, leg, 2);
}

/* One weight's marginal: its density (Gaussian with the model's covariance
 * scale), the 1 and 2 sd regions under it as bands, the mean and the truth;
 * no second axis. */
static void
draw_marginal(struct posterior_pane *p, const struct session *s, size_t i, struct canvas *c,
              int col, int row, int w, int h)
{
    enum { G = 161 };
    pane_cov_column(s, i, p->col);
    double m = blr_mean(s->blr)[i], v = p->col[i], sd = sqrt(v);
    if (!(sd > 0) || !isfinite(sd)) {
        pane_message(c, col, row, w, h, "posterior variance not finite yet (nig: a_n <= 1)");
        return;
    }
    bool truth = s->wstar != NULL && i < s->dim;
    double t = truth ? s->wstar[i] : (double)NAN;
    double lo = m - 3.5 * sd, hi = m + 3.5 * sd;
    if (truth)
        lo = fmin(lo, t), hi = fmax(hi, t);
    bool prior = prior_frame(s);
    double psd = prior ? sqrt(prior_var(s)) : (double)NAN;
    if (prior)
        lo = fmin(lo, -2.2 * psd), hi = fmax(hi, 2.2 * psd);
    double x[G], y[G], zero[G], pk = 1 / (sd * sqrt(2 * M_PI));
    pane_apply_ranges(s, "posterior", &p->x, &p->y);
    plot_range_update(&p->x, lo, hi);
    plot_range_update(&p->y, 0, prior ? fmax(pk, 1 / (psd * sqrt(2 * M_PI))) : pk);
    char xl[16];
    snprintf(xl, sizeof xl, "w%zu", i);
    struct legend_entry leg[5];
    size_t nl = 0;
    leg[nl++] = (struct legend_entry){"──", "__", "posterior density", COL_S1};
    leg[nl++] = (struct legend_entry){"░░", "::", "1 sd region", COL_BAND};
    leg[nl++] = (struct legend_entry){"╎ ", ": ", "2 sd bounds", COL_S1};
    if (prior)
        leg[nl++] = (struct legend_entry){"··", "..", "prior", COL_S3};
    if (truth)
        leg[nl++] = (struct legend_entry){"+·", "+.", "truth", COL_TRUTH};
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, &p->x, &p->y, xl, "density", leg, nl);
    /* The 1 sd region as a band under the curve, the 2 sd bounds and the
     * mean as segments up to it, the truth across the whole height. */
    for (int g = 0; g < G; g++) {
        x[g] = m - sd + 2.0 * sd * g / (G - 1);
        double z = (x[g] - m) / sd;
        y[g] = pk * exp(-0.5 * z * z);
        zero[g] = 0;
    }
    plot_series(&pl, "1 sd region");
    plot_band(&pl, x, zero, y, G, COL_BAND);
    for (int g = 0; g < G; g++) {
        x[g] = pl.x.lo + (pl.x.hi - pl.x.lo) * g / (G - 1);
        double z = (x[g] - m) / sd;
        y[g] = pk * exp(-0.5 * z * z);
    }
    plot_series(&pl, "posterior density");
    plot_line(&pl, x, y, G, COL_S1, PAT_SOLID);
    if (prior) {
        double py[G];
        for (int g = 0; g < G; g++)
            py[g] = exp(-0.5 * x[g] * x[g] / (psd * psd)) / (psd * sqrt(2 * M_PI));
        plot_series(&pl, "prior");
        plot_line(&pl, x, py, G, COL_S3, PAT_DOTTED);
    }
    const double at[3] = {m - 2 * sd, m, m + 2 * sd};
    for (int k = 0; k < 3; k++) {
        double z = (at[k] - m) / sd, sx[2] = {at[k], at[k]}, sy[2] = {0, pk * exp(-0.5 * z * z)};
        plot_series(&pl, k == 1 ? "posterior density" : "2 sd bounds");
        plot_line(&pl, sx, sy, 2, COL_S1, k == 1 ? PAT_SOLID : PAT_DASHED);
    }
    if (truth) {
        plot_series(&pl, "truth");
        plot_layer(&pl, LAYER_OVER);
        plot_vline(&pl, t, COL_TRUTH, PAT_DOTTED);
        plot_layer(&pl, -1);
        plot_marker(&pl, t, 0, '+', COL_TRUTH, ATTR_BOLD);
    }
    plot_series(&pl, NULL);
    /* A concentrated posterior in the prior's frame is a spike: its 1 sd
     * region and 2 sd bounds are inside the curve's cells. */
    const char *why[5] = {0};
    for (size_t k = 0; k < nl; k++)
        if (strcmp(leg[k].name, "1 sd region") == 0 || strcmp(leg[k].name, "2 sd bounds") == 0)
            why[k] = "in the peak";
    plot_legend_checked(&pl, leg, nl, why);
}

static void
posterior_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w,
               int h)
{
    struct posterior_pane *p = self;
    if (sampler_view(s)) {
        draw_sampler(p, s, s->smp, c, col, row, w, h);
        return;
    }
    if (s->m != NULL && s->blr == NULL) {
        draw_scale(p, s, c, col, row, w, h);
        return;
    }
    if (s->blr == NULL) {
        pane_message(c, col, row, w, h,
                     s->mc == NULL ? "no model yet: try  model blr" : "no data yet");
        return;
    }
    size_t d = s->dim, i = post_w(s, 0), j = post_w(s, 1);
    bool one = one_weight(s);
    if (d < 2)
        i = j = 0;
    if (one)
        j = i;
    if (i >= d || j >= d) {
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
    int top = h >= 18 ? h * 3 / 5 : h; /* too short for two plots: one good one */
    if (one) {
        draw_marginal(p, s, i, c, col, row, w, top);
        if (top < h && s->n > 0)
            draw_traces(p, s, c, col, row + top, w, h - top);
        return;
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
    bool prior = prior_frame(s);
    double pv = prior ? prior_var(s) : (double)NAN, pr = 2.2 * sqrt(pv);
    if (prior) {
        xmn = fmin(xmn, -pr), xmx = fmax(xmx, pr);
        ymn = fmin(ymn, -pr), ymx = fmax(ymx, pr);
    }
    pane_apply_ranges(s, "posterior", &p->x, &p->y);
    plot_range_update(&p->x, xmn, xmx);
    plot_range_update(&p->y, ymn, ymx);

    char xl[16], yl[16];
    snprintf(xl, sizeof xl, "w%zu", i);
    snprintf(yl, sizeof yl, "w%zu", j);
    struct legend_entry leg[5];
    size_t nl = 0;
    leg[nl++] = (struct legend_entry){"──", "__", "1 sd", COL_S1};
    leg[nl++] = (struct legend_entry){"╌╌", "--", "2 sd", COL_S1};
    if (prior)
        leg[nl++] = (struct legend_entry){"··", "..", "prior 2 sd", COL_S3};
    leg[nl++] = (struct legend_entry){"× ", "x ", "mean", COL_S1};
    if (truth)
        leg[nl++] = (struct legend_entry){"+ ", "+ ", "truth", COL_TRUTH};
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, top, &p->x, &p->y, xl, d < 2 ? NULL : yl, leg, nl);
    plot_series(&pl, "prior 2 sd");
    if (prior)
        plot_ellipse(&pl, 0, 0, pv, 0, pv, 2.0, COL_S3, PAT_DOTTED);
    plot_series(&pl, "2 sd");
    plot_ellipse(&pl, mx, my, sxx, sxy, syy, 2.0, COL_S1, PAT_DASHED);
    plot_series(&pl, "1 sd");
    plot_ellipse(&pl, mx, my, sxx, sxy, syy, 1.0, COL_S1, PAT_SOLID);
    plot_series(&pl, "mean");
    plot_marker(&pl, mx, my, c->ascii ? 'x' : 0x00D7, COL_S1, ATTR_BOLD);
    int mean_id = pl.series;
    plot_series(&pl, "truth");
    plot_layer(&pl, LAYER_NEW);
    if (truth)
        plot_marker(&pl, tx, ty, '+', COL_TRUTH, ATTR_BOLD);
    plot_series(&pl, NULL);
    /* In the prior's frame a concentrated posterior is smaller than a cell,
     * its mean on the truth's: the legend says so rather than naming marks
     * nobody can find. */
    if (truth && mean_id != 0 && canvas_series_cells(c, mean_id) == 0)
        plot_series_hidden(&pl, "mean", "on the truth");
    const char *why[5] = {0};
    for (size_t k = 0; k < nl; k++)
        if (strcmp(leg[k].name, "1 sd") == 0 || strcmp(leg[k].name, "2 sd") == 0)
            why[k] = "in 1 cell";
    plot_legend_checked(&pl, leg, nl, why);
    if (top < h && s->n > 0)
        draw_traces(p, s, c, col, row + top, w, h - top);
}

static int
check_w(const struct session *s, const struct arg_value *v, bl_err *err)
{
    const double *w = v->vec;
    if (v->vlen == 1 && w[0] >= 0 && w[0] == (size_t)w[0]) {
        if (s->blr != NULL && w[0] >= (double)s->dim)
            return bl_fail(err, BL_EINVAL, "w=%g: the model has weights 0..%zu", w[0], s->dim - 1);
        return BL_OK;
    }
    if (v->vlen != 2 || w[0] < 0 || w[1] < 0 || w[0] != (size_t)w[0] || w[1] != (size_t)w[1] ||
        w[0] == w[1])
        return bl_fail(err, BL_EINVAL,
                       "w= needs two different weight indices, e.g. w=0,1 (or one: w=0)");
    if (s->blr != NULL && (w[0] >= (double)s->dim || w[1] >= (double)s->dim))
        return bl_fail(err, BL_EINVAL, "w=%g,%g: the model has weights 0..%zu", w[0], w[1],
                       s->dim - 1);
    return BL_OK;
}

static int
check_x(const struct session *s, const struct arg_value *v, bl_err *err)
{
    (void)s;
    if (v->vlen != 2 || !isfinite(v->vec[0]) || !isfinite(v->vec[1]) || v->vec[0] == v->vec[1])
        return bl_fail(err, BL_EINVAL, "x= needs two different finite inputs, e.g. x=0.2,0.8");
    return BL_OK;
}

static const char *const frames[] = {"prior", "posterior", NULL};

static const struct view_key posterior_keys[] = {
    {.arg = {.name = "w",
             .type = ARG_VEC,
             .help = "posterior: the two weights to show, e.g. w=0,1, or one's marginal: w=2"},
     .init = {0, 1},
     .init_len = 2,
     .check = check_w},
    {.arg = {.name = "x",
             .type = ARG_VEC,
             .help =
                 "posterior: a gp or tp's two inputs for the joint posterior of f, e.g. x=0.2,0.8"},
     .init = {0, 0},
     .init_len = 2,
     .check = check_x},
    {.arg = {.name = "frame",
             .type = ARG_CHOICE,
             .choices = frames,
             .help = "posterior: axes keep the prior's 2 sd region (the posterior shrinks in it), "
                     "or zoom to the posterior"}},
    {.arg = {.name = NULL}},
};

const struct pane_desc pane_posterior = {
    .view = {.name = "posterior",
             .help = "the joint posterior of two weights, or the sampler's target",
             .keys = posterior_keys,
             .shown = true,
             .ranges = true,
             .order = 1},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = posterior_create,
    .destroy = posterior_destroy,
    .title = posterior_title,
    .draw = posterior_draw,
};
