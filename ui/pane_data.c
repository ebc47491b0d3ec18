/* ui/pane_data.c - the data pane: observed points (newest highlighted), the
 * truth where known, the posterior predictive mean with 1 and 2 sigma bands
 * and a few posterior function draws. For inputs with d > 1 it shows either
 * one input coordinate (points only: the function of one coordinate is not
 * defined) or predicted against true means, with the diagonal.
 *
 * The function draws use fixed standard normals (common random numbers), so
 * they move smoothly as data arrive instead of flickering every frame. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "commands/clock.h"
#include "core/base/linalg.h"
#include "ui/pane.h"
#include "ui/plot.h"
#include "core/base/rng.h"

#define DATA_MAX_POINTS 3000 /* newest points drawn; older ones only add ink */
#define DATA_DRAWS 3

/* What the pane shows for d > 1 inputs: `pane data view=coord|pred`; auto
 * until set (function of x for 1-D inputs, prediction against truth
 * otherwise). */
enum { DATA_VIEW_AUTO = 0, DATA_VIEW_COORD, DATA_VIEW_PRED };
static const char *const data_views[] = {"coord", "pred", NULL};

static int
data_view(const struct session *s)
{
    int c = view_choice(&s->view, "data", "view");
    return c < 0 ? DATA_VIEW_AUTO : c == 0 ? DATA_VIEW_COORD : DATA_VIEW_PRED;
}

/* `pane data coord=i`: the input coordinate on the x axis (d > 1). */
static size_t
data_coord(const struct session *s)
{
    return (size_t)view_num(&s->view, "data", "coord", 0);
}

struct data_pane {
    struct plot_range x, y;
    double *buf;      /* scratch for grids */
    size_t cap;
    double *z;        /* DATA_DRAWS x zdim fixed normals */
    size_t zdim;
    /* Models without weights: the predictive on the grid may be costly
     * (O(grid n^2) for a GP), so it is cached by generation. */
    double *gmean, *gsd, *gdraw; /* grid, grid, DATA_DRAWS x grid */
    double *gz;                   /* DATA_DRAWS x gzn fixed normals */
    size_t gzn;                   /* normals per draw (the model's band_normals) */
    int gdraws;                   /* draws in gdraw */
    size_t gcap;
    unsigned long ggen;
    double glo, ghi, gtime;
    size_t gn;
    double gcost;  /* seconds the last grid took (commands/gp_budget.h) */
    /* The model's reference curves on the grid (a network's NNGP and NTK
     * GP means), MODEL_REF_CURVES x gcap, cached with the band. */
    double *gref;
    struct model_ref_curves refs;
};

#define GP_REFRESH_S 0.2

static void *
data_create(const struct pane_host *host)
{
    (void)host;
    struct data_pane *p = calloc(1, sizeof *p);
    return p;
}

static void
data_destroy(void *self)
{
    struct data_pane *p = self;
    if (p == NULL)
        return;
    free(p->buf);
    free(p->z);
    free(p->gmean);
    free(p->gsd);
    free(p->gdraw);
    free(p->gref);
    free(p->gz);
    free(p);
}

static int
view_of(const struct session *s)
{
    if (data_view(s) != DATA_VIEW_AUTO)
        return data_view(s);
    return s->in_dim == 1 ? DATA_VIEW_COORD : DATA_VIEW_PRED;
}

static void
data_title(void *self, const struct session *s, char *buf, size_t size)
{
    (void)self;
    if (s->world == NULL) {
        snprintf(buf, size, "data");
        return;
    }
    if (s->in_dim > 1 && view_of(s) == DATA_VIEW_PRED)
        snprintf(buf, size, "data: predicted vs %s  n=%zu",
                 world_knows_truth(s->world) ? "true mean" : "observed", s->n);
    else if (s->in_dim > 1)
        snprintf(buf, size, "data: %s vs %s  n=%zu", world_target_name(s->world),
                 world_input_name(s->world,
                                  data_coord(s) < s->in_dim ? data_coord(s) : 0),
                 s->n);
    else
        snprintf(buf, size, "data: %s  n=%zu", world_describe(s->world), s->n);
}

/* Fixed normals for the function draws, redrawn only when d changes. */
static int
ensure_normals(struct data_pane *p, size_t d)
{
    if (p->zdim == d && p->z != NULL)
        return 0;
    free(p->z);
    p->z = malloc(DATA_DRAWS * d * sizeof *p->z);
    if (p->z == NULL) {
        p->zdim = 0;
        return -1;
    }
    gsl_rng *r = gsl_rng_alloc(bl_rng_mt19937);
    if (r == NULL)
        return -1;
    gsl_rng_set(r, 20240917);
    for (size_t i = 0; i < DATA_DRAWS * d; i++)
        p->z[i] = gsl_ran_ugaussian(r);
    gsl_rng_free(r);
    p->zdim = d;
    return 0;
}

/* Predictive means at n inputs: the model's batched hook, else point by point. */
static int
model_means(const struct session *s, const double *X, size_t n, double *mean, bl_err *err)
{
    if (s->mc->pane.mean != NULL)
        return s->mc->pane.mean(s->m, X, n, mean, err);
    for (size_t i = 0; i < n; i++) {
        double var, var_f;
        int rc = session_predict((struct session *)s, X + i * s->in_dim, &mean[i], &var, &var_f,
                                 err);
        if (rc != BL_OK)
            return rc;
    }
    return BL_OK;
}

/* Points as markers while few, as a density under the curves once they
 * would cover them: more than one point per 16 cells of the area is enough
 * for their dots to merge with a curve's in the same braille cells. */
static void
points_layer(struct plot *pl, size_t m)
{
    plot_layer(pl, 16 * m > (size_t)pl->pw * (size_t)pl->ph ? LAYER_DENSITY : LAYER_MARKER);
}

static void
draw_prediction_view(struct data_pane *p, const struct session *s, struct canvas *c, int col,
                     int row, int w, int h)
{
    size_t first = s->n > 1000 ? s->n - 1000 : 0, m = s->n - first;
    double *buf = pane_scratch(&p->buf, &p->cap, 2 * m + 2);
    if (buf == NULL)
        return;
    double *xt = buf, *yp = buf + m;
    bool truth = world_knows_truth(s->world);
    double mn = NAN, mx = NAN;
    for (size_t i = 0; i < m; i++) {
        const double *x = s->X + (first + i) * s->in_dim;
        xt[i] = truth ? world_mean(s->world, x) : s->Y[first + i];
        yp[i] = NAN;
        if (s->blr != NULL) {
            const double *mean = blr_mean(s->blr);
            features_map(s->feat, x, s->phi);
            double f = 0;
            for (size_t k = 0; k < s->dim; k++)
                f += s->phi[k] * mean[k];
            yp[i] = f;
        }
    }
    if (s->blr == NULL && m > 0) {
        /* A model without weights: one batched predictive for all shown points. */
        bl_err err;
        if (model_means(s, s->X + first * s->in_dim, m, yp, &err) != BL_OK)
            for (size_t i = 0; i < m; i++)
                yp[i] = NAN;
    }
    plot_extent(xt, m, false, &mn, &mx);
    plot_extent(yp, m, false, &mn, &mx);
    plot_range_update(&p->x, mn, mx);
    p->y = p->x;
    struct plot pl;
    plot_begin(&pl, c, col, row, w, h, &p->x, &p->y, truth ? "true mean" : "observed y",
               "predicted");
    double diag[2] = {p->x.lo, p->x.hi};
    plot_series(&pl, "perfect");
    plot_line(&pl, diag, diag, 2, COL_DIM, PAT_DASHED);
    plot_series(&pl, "points");
    points_layer(&pl, m);
    plot_points(&pl, xt, yp, m, COL_S2);
    plot_layer(&pl, LAYER_NEW);
    plot_series(&pl, NULL);
    if (m > 0)
        plot_marker(&pl, xt[m - 1], yp[m - 1], c->ascii ? 'O' : 0x25CF, COL_NEW, ATTR_BOLD);
    const struct legend_entry leg[] = {
        {"⠁⠂", ".:", "points", COL_S2},
        {"╌╌", "--", "perfect", COL_DIM},
    };
    plot_legend(&pl, leg, 2);
}

/* Predictive mean and sd of a model without weights on the grid, with up to
 * DATA_DRAWS posterior function draws from fixed normals (the model's band
 * hook; without one, the band from its predictive and no draws); cached by
 * generation, and at most GP_REFRESH_S apart while animating when the band
 * is costly. Returns 0 when p->gmean, p->gsd, p->gdraw hold the grid. */
static int
gp_grid(struct data_pane *p, const struct session *s, struct canvas *c, const double *gx,
        size_t grid)
{
    const struct model_pane *hook = &s->mc->pane;
    bool same = p->gn == grid && p->glo == gx[0] && p->ghi == gx[grid - 1] && p->gmean != NULL;
    if (same && p->ggen == s->generation)
        return 0;
    /* While animating, a costly band refreshes at most every GP_REFRESH_S and
     * never takes more than a fifth of the time (a slow kernel stays usable).
     * Not once idle: a frame drawn mid-command (observe's pump, before the
     * points arrive) would else leave the prior's band after the command. */
    double every = fmax(GP_REFRESH_S, 5 * p->gcost), age = clock_now() - p->gtime;
    if (same && hook->band_slow && pane_may_lag(s) && age < every) {
        pane_want_redraw(c, every - age);
        return 0;
    }
    if (grid > p->gcap) {
        free(p->gmean);
        free(p->gsd);
        free(p->gdraw);
        p->gmean = malloc(grid * sizeof *p->gmean);
        p->gsd = malloc(grid * sizeof *p->gsd);
        p->gdraw = malloc(DATA_DRAWS * grid * sizeof *p->gdraw);
        free(p->gref);
        p->gref = malloc(MODEL_REF_CURVES * grid * sizeof *p->gref);
        p->gcap = p->gmean && p->gsd && p->gdraw && p->gref ? grid : 0;
        if (p->gcap == 0)
            return -1;
    }
    size_t nz = hook->band != NULL && hook->band_normals != NULL ? hook->band_normals(s->m, grid)
                                                                 : 0;
    if (nz != p->gzn || p->gz == NULL) {
        /* The first DATA_DRAWS nz normals of a fixed stream: a prefix of the
         * same numbers whatever the size, so draws persist across resizes. */
        free(p->gz);
        p->gzn = 0;
        p->gz = malloc((nz > 0 ? DATA_DRAWS * nz : 1) * sizeof *p->gz);
        gsl_rng *r = gsl_rng_alloc(bl_rng_mt19937);
        if (p->gz == NULL || r == NULL) {
            gsl_rng_free(r);
            return -1;
        }
        gsl_rng_set(r, 20240917);
        for (size_t i = 0; i < DATA_DRAWS * nz; i++)
            p->gz[i] = gsl_ran_ugaussian(r);
        gsl_rng_free(r);
        p->gzn = nz;
    }
    bl_err err;
    double t0 = clock_now();
    if (hook->band != NULL) {
        p->gdraws = hook->band(s->m, gx, grid, p->gz, DATA_DRAWS, p->gmean, p->gsd, p->gdraw,
                               s->cancel, &err);
        if (p->gdraws < 0)
            return -1;
    } else {
        for (size_t g = 0; g < grid; g++) {
            double var, var_f;
            if (session_predict((struct session *)s, &gx[g], &p->gmean[g], &var, &var_f, &err) !=
                BL_OK)
                return -1;
            p->gsd[g] = sqrt(fmax(var, 0));
        }
        p->gdraws = 0;
    }
    p->refs.n = 0;
    if (hook->ref_curves != NULL &&
        hook->ref_curves(s->m, gx, grid, p->gref, &p->refs, s->cancel, &err) != BL_OK)
        p->refs.n = 0; /* the network's own curves still draw */
    p->ggen = s->generation;
    p->gtime = clock_now();
    p->gcost = p->gtime - t0;
    p->gn = grid;
    p->glo = gx[0];
    p->ghi = gx[grid - 1];
    return 0;
}

/* Past the data, where the 2 sd band [lo2, hi2] leaves the y range: the
 * bands are clipped there (data_draw). */
static bool
clipped(const struct plot *pl, double x, double lo2, double hi2, bool clip, double seen_lo,
        double seen_hi)
{
    return clip && !(x >= seen_lo && x <= seen_hi) && (lo2 < pl->y.lo || hi2 > pl->y.hi);
}

static void
data_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    struct data_pane *p = self;
    if (s->world == NULL) {
        pane_message(c, col, row, w, h, "no data yet: try  data linear d=1");
        return;
    }
    pane_apply_ranges(s, "data", &p->x, &p->y);
    int view = view_of(s);
    if (view == DATA_VIEW_PRED) {
        if (!session_has_model(s)) {
            pane_message(c, col, row, w, h, "predicted vs true needs a model: model blr");
            return;
        }
        draw_prediction_view(p, s, c, col, row, w, h);
        return;
    }
    size_t coord = data_coord(s) < s->in_dim ? data_coord(s) : 0;
    size_t first = s->n > DATA_MAX_POINTS ? s->n - DATA_MAX_POINTS : 0, m = s->n - first;
    bool fn = s->in_dim == 1; /* the truth and the predictive are functions of x */
    size_t grid = fn ? (size_t)(w > 0 ? 2 * w : 0) : 0;
    double *buf = pane_scratch(&p->buf, &p->cap, 2 * m + grid * (5 + DATA_DRAWS) + 8);
    if (buf == NULL)
        return;
    double *px = buf, *py = buf + m, *gx = py + m, *gm = gx + grid, *g1 = gm + grid,
           *g2 = g1 + grid, *gt = g2 + grid, *gd = gt + grid;
    double xmn = NAN, xmx = NAN, ymn = NAN, ymx = NAN;
    for (size_t i = 0; i < m; i++) {
        px[i] = s->X[(first + i) * s->in_dim + coord];
        py[i] = s->Y[first + i];
    }
    plot_extent(px, m, false, &xmn, &xmx);
    plot_extent(py, m, false, &ymn, &ymx);
    double seen_lo = xmn, seen_hi = xmx; /* where there are data */
    double in_lo = NAN, in_hi = NAN;     /* where the world has inputs */
    if (fn) {
        /* The world's input range is known: start from it, so the axis does
         * not creep outward as the first points arrive. */
        double lo, hi;
        world_input_range(s->world, &lo, &hi);
        in_lo = lo, in_hi = hi;
        xmn = isnan(xmn) ? lo : fmin(xmn, lo);
        xmx = isnan(xmx) ? hi : fmax(xmx, hi);
    }
    plot_range_update(&p->x, xmn, xmx);

    bool truth = fn && world_knows_truth(s->world);
    bool model = fn && session_has_model(s);
    bool kmodel = model && s->blr == NULL; /* no weights: the band comes from the model */
    if (model && !kmodel && ensure_normals(p, s->dim) != 0)
        model = false;
    double *wdraw = model && !kmodel ? malloc(s->dim * sizeof *wdraw) : NULL;
    if (model && !kmodel && wdraw == NULL)
        model = false;
    if (kmodel) {
        for (size_t g = 0; g < grid; g++)
            gx[g] = p->x.lo + (p->x.hi - p->x.lo) * (double)g / (double)(grid > 1 ? grid - 1 : 1);
        if (grid == 0 || gp_grid(p, s, c, gx, grid) != 0)
            model = kmodel = false;
    }
    for (size_t g = 0; g < grid; g++) {
        double x = p->x.lo + (p->x.hi - p->x.lo) * (double)g / (double)(grid > 1 ? grid - 1 : 1);
        gx[g] = x;
        gt[g] = truth ? world_mean(s->world, &x) : (double)NAN;
        if (model) {
            blr_pred pr;
            if (kmodel) {
                pr.mean = p->gmean[g];
                pr.var = p->gsd[g] * p->gsd[g];
            } else {
                features_map(s->feat, &x, s->phi);
                blr_predict(s->blr, s->phi, &pr);
            }
            double sd = sqrt(pr.var);
            gm[g] = pr.mean;
            g1[g] = pr.mean - sd;
            g2[g] = pr.mean + sd;
            /* 2 sigma edges, reusing the draw rows' first slots later */
            gd[g] = pr.mean - 2 * sd;
            gd[grid + g] = pr.mean + 2 * sd;
        }
    }
    if (truth)
        plot_extent(gt, grid, false, &ymn, &ymx);
    /* The y range follows the data, and the mean and bands where there are
     * data: a forecast opens far past the data (CO2's bands ran to -400 and
     * 1400 ppm) and would squash the seasonal cycle the lecture is about, so
     * there the curves are clipped at the edge, with a mark. Without two
     * points, the mean and bands set it. */
    bool clip_bands = m >= 2 && seen_hi > seen_lo;
    size_t nref = kmodel ? p->refs.n : 0;
    for (size_t g = 0; model && g < grid; g++)
        if (!clip_bands || (gx[g] >= seen_lo && gx[g] <= seen_hi)) {
            for (size_t r = 0; r < nref; r++)
                plot_extent(&p->gref[r * grid + g], 1, false, &ymn, &ymx);
            plot_extent(&gm[g], 1, false, &ymn, &ymx);
            plot_extent(&gd[g], 1, false, &ymn, &ymx);
            plot_extent(&gd[grid + g], 1, false, &ymn, &ymx);
        }
    /* When a quarter or more of the world's inputs lie past the data (a data
     * set observed in part: CO2's 1958-1978 of 1958-2001), the figure is a
     * forecast, and the forecast's mean over those inputs sets the range
     * too (the trend left the axis at 1978 and the right of the pane was
     * empty); its bands do not, and are clipped with the mark once they
     * leave it. A margin past the data of a synthetic world (its last
     * points short of its input range, the axis's rounding) keeps the
     * clipping, so that a mean that dives there (a network's, at the edge)
     * does not squash the fit. */
    size_t past = 0, inside = 0;
    for (size_t g = 0; model && clip_bands && g < grid; g++)
        if (gx[g] >= in_lo && gx[g] <= in_hi) {
            inside++;
            past += !(gx[g] >= seen_lo && gx[g] <= seen_hi);
        }
    for (size_t g = 0; past > 0 && 4 * past >= inside && g < grid; g++)
        if (gx[g] >= in_lo && gx[g] <= in_hi && !(gx[g] >= seen_lo && gx[g] <= seen_hi))
            plot_extent(&gm[g], 1, false, &ymn, &ymx);
    plot_range_update(&p->y, ymn, ymx);

    /* Standardized inputs are labelled in original units when the world
     * knows them (years for sunspots), else say they are standardized. */
    bool standardized = false;
    double umean = 0, uscale = 0;
    bool units = fn && world_input_units(s->world, coord, &standardized, &umean, &uscale);
    p->x.unit_shift = units ? umean : 0;
    p->x.unit_scale = units ? uscale : 0;
    char xl[64];
    snprintf(xl, sizeof xl, "%s%s", world_input_name(s->world, coord),
             standardized && !units ? " (standardized)" : "");
    struct plot pl;
    plot_begin(&pl, c, col, row, w, h, &p->x, &p->y, xl, world_target_name(s->world));
    /* Past the data, where the 2 sd band leaves the y range, the bands and
     * draws are not drawn: they would only cross the window steeply, in
     * digits a BLAS kernel changes. A mark at the edge (mark_x) over the
     * first such column above and below says they go on. */
    double mark_x[2] = {NAN, NAN};
    for (size_t g = 0; model && g < grid; g++)
        if (clipped(&pl, gx[g], gd[g], gd[grid + g], clip_bands, seen_lo, seen_hi)) {
            if (isnan(mark_x[0]) && gd[grid + g] > pl.y.hi)
                mark_x[0] = gx[g];
            if (isnan(mark_x[1]) && gd[g] < pl.y.lo)
                mark_x[1] = gx[g];
            g1[g] = g2[g] = gd[g] = gd[grid + g] = (double)NAN;
        }
    /* Layers keep every named series visible (enum canvas_layer): bands at
     * the back, then the draws, the mean over them, the truth over both with
     * its own dashes, the points as a density under the curves once they
     * would cover them, the newest point on top. */
    bool wide = w >= 60;
    if (model) {
        plot_series(&pl, wide ? "1 sd" : "1, 2 sd");
        plot_band(&pl, gx, g1, g2, grid, COL_BAND);
        plot_series(&pl, wide ? "2 sd" : "1, 2 sd");
        plot_layer(&pl, LAYER_BAND);
        plot_line(&pl, gx, gd, grid, COL_BAND, PAT_DOTTED);
        plot_line(&pl, gx, gd + grid, grid, COL_BAND, PAT_DOTTED);
        plot_layer(&pl, -1);
        plot_series(&pl, "draws");
        /* Posterior function draws: w = m + sqrt(k) L^-T z with fixed z. */
        double k = kmodel ? (double)NAN : sqrt(session_cov_scale(s));
        const double *mean = kmodel ? NULL : blr_mean(s->blr);
        double *gy = gd + 2 * grid;
        for (int j = 0; kmodel && j < p->gdraws; j++) {
            for (size_t g = 0; g < grid; g++)
                gy[g] = isnan(gd[g]) ? (double)NAN : p->gdraw[(size_t)j * grid + g];
            plot_line(&pl, gx, gy, grid, COL_S3, PAT_DASH_DOT);
        }
        for (int j = 0; j < DATA_DRAWS && isfinite(k); j++) {
            memcpy(wdraw, p->z + (size_t)j * s->dim, s->dim * sizeof *wdraw);
            linalg_solve_lower_t(blr_factor(s->blr), s->dim, wdraw);
            for (size_t i = 0; i < s->dim; i++)
                wdraw[i] = mean[i] + k * wdraw[i];
            /* gy: room for DATA_DRAWS rows, we use one at a time */
            for (size_t g = 0; g < grid; g++) {
                features_map(s->feat, &gx[g], s->phi);
                double f = 0;
                for (size_t i = 0; i < s->dim; i++)
                    f += s->phi[i] * wdraw[i];
                gy[g] = isnan(gd[g]) ? (double)NAN : f;
            }
            plot_line(&pl, gx, gy, grid, COL_S3, PAT_DASH_DOT);
        }
    }
    /* Reference curves (a network's NNGP and NTK GP means) under the mean. */
    static const uint32_t ref_pat[MODEL_REF_CURVES] = {0x0F0F0F0Fu, 0x33333333u};
    static const int ref_col[MODEL_REF_CURVES] = {COL_S4, COL_S5};
    for (size_t r = 0; model && r < nref; r++) {
        double *gy = gd + 2 * grid;
        for (size_t g = 0; g < grid; g++)
            gy[g] = clip_bands && !(gx[g] >= seen_lo && gx[g] <= seen_hi) &&
                            (p->gref[r * grid + g] < pl.y.lo || p->gref[r * grid + g] > pl.y.hi)
                        ? (double)NAN
                        : p->gref[r * grid + g];
        plot_series(&pl, p->refs.name[r]);
        plot_line(&pl, gx, gy, grid, ref_col[r], ref_pat[r]);
    }
    if (model) {
        plot_series(&pl, "mean");
        plot_line(&pl, gx, gm, grid, COL_S1, PAT_SOLID);
    }
    if (truth) {
        plot_series(&pl, "truth");
        plot_layer(&pl, LAYER_OVER);
        plot_line(&pl, gx, gt, grid, COL_TRUTH, PAT_DASHED);
    }
    int points = plot_series(&pl, "points");
    points_layer(&pl, m);
    plot_points(&pl, px, py, m, COL_S2);
    plot_series(&pl, "newest");
    plot_layer(&pl, LAYER_NEW);
    if (m > 0)
        plot_marker(&pl, px[m - 1], py[m - 1], c->ascii ? 'O' : 0x25CF, COL_NEW, ATTR_BOLD);
    free(wdraw);
    plot_series(&pl, "band off scale");
    plot_layer(&pl, LAYER_NEW);
    int marked = 0; /* the marks drawn: their legend entry, only then */
    marked |= plot_offscale(&pl, mark_x[0], INFINITY, COL_BAND);
    marked |= plot_offscale(&pl, mark_x[1], -INFINITY, COL_BAND);
    plot_layer(&pl, -1);
    plot_series(&pl, NULL);

    struct legend_entry leg[9 + MODEL_REF_CURVES];
    /* A band thinner than the curves drawn over it, or draws that all but
     * coincide with the mean (a sharp posterior), cannot be seen: say so. */
    const char *why[9 + MODEL_REF_CURVES] = {NULL};
    size_t nl = 0;
    leg[nl++] = (struct legend_entry){"● ", "O ", "newest", COL_NEW};
    /* The points, when they show (not all under the curves, or the one
     * point the newest's mark covers): an entry for a series nobody sees
     * would only widen the legend with "(hidden: ...)". Narrow panes (as
     * for the draws) have no row to spare: a sixth one in a 7-row plot
     * covered the newest point. */
    if (wide && points != 0 && canvas_series_cells(c, points) >= PLOT_MIN_VISIBLE)
        leg[nl++] = (struct legend_entry){"⠁⠂", ".:", "points", COL_S2};
    if (truth)
        leg[nl++] = (struct legend_entry){"╌╌", "--", "truth", COL_TRUTH};
    if (model) {
        leg[nl++] = (struct legend_entry){"──", "__", "mean", COL_S1};
        static const char *const ref_sample[MODEL_REF_CURVES] = {"┄┄", "┈┈"},
                                 *const ref_ascii[MODEL_REF_CURVES] = {"==", "~~"};
        for (size_t r = 0; r < nref; r++) {
            why[nl] = "on the mean";
            leg[nl++] = (struct legend_entry){ref_sample[r], ref_ascii[r], p->refs.name[r],
                                              ref_col[r]};
        }
        /* Narrow panes: one entry for both bands, none for the draws. */
        why[nl] = "under the curves";
        leg[nl++] = (struct legend_entry){"⢕⢕", "::", wide ? "1 sd" : "1, 2 sd", COL_BAND};
        if (wide) {
            leg[nl++] = (struct legend_entry){"··", "..", "2 sd", COL_BAND};
            if (kmodel && s->mc->pane.band != NULL && p->gdraws == 0)
                plot_series_hidden(&pl, "draws",
                                   s->mc->pane.no_draws ? s->mc->pane.no_draws : "slow kernel");
            why[nl] = "on the mean";
            leg[nl++] = (struct legend_entry){"─·", "-.", "draws", COL_S3};
        }
        if (marked)
            leg[nl++] = plot_offscale_entry(marked, "band off scale", COL_BAND);
    }
    plot_legend_checked(&pl, leg, nl, why);
}

static int
check_coord(const struct session *s, const struct arg_value *v, bl_err *err)
{
    size_t c = (size_t)v->num;
    if (s->world != NULL && c >= s->in_dim)
        return bl_fail(err, BL_EINVAL, "coord=%zu: the inputs have coordinates 0..%zu", c,
                       s->in_dim - 1);
    return BL_OK;
}

static const struct view_key data_keys[] = {
    {.arg = {.name = "coord", .type = ARG_INT, .min = 0, .max = 4095,
             .help = "data, d > 1: input coordinate on the x axis"},
     .also = "view=coord", .check = check_coord},
    {.arg = {.name = "view", .type = ARG_CHOICE, .choices = data_views,
             .help = "data, d > 1: one coordinate, or prediction against truth"}},
    {.arg = {.name = NULL}},
};

const struct pane_desc pane_data = {
    .view = {.name = "data",
             .help = "observed points, the truth and the posterior predictive",
             .keys = data_keys,
             .shown = true,
             .ranges = true,
             .order = 0},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = data_create,
    .destroy = data_destroy,
    .title = data_title,
    .draw = data_draw,
};
