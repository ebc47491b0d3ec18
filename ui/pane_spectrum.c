/* ui/pane_spectrum.c - eigenvalues of the posterior covariance and of the
 * feature Gram matrix X^T X on log-log axes, their effective rank (RankMe,
 * docs/math.md §6) and power-law decay exponent (alpha-ReQ, with its window), and
 * the effective ranks against n.
 *
 * Eigendecompositions are O(d^3), so they are never done per arrival: the
 * pane recomputes when the session changed and at most every
 * SPECTRUM_REFRESH_S seconds, and the rank traces are sampled at those
 * moments (they are drawn as points, honestly, not as a per-arrival line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/clock.h"
#include "core/spectrum/spectrum.h"
#include "ui/pane.h"
#include "ui/plot.h"

#define SPECTRUM_REFRESH_S 0.25
#define SPECTRUM_MAX_DIM 1024

struct spectrum_pane {
    struct plot_range ix, iy; /* eigenvalue plot */
    struct plot_range tn, ty; /* rank traces */
    struct plot_range an, ay; /* a network's alpha traces */
    unsigned long gen;        /* session generation of the cached figures */
    const void *model;        /* the model they belong to */
    double last;              /* monotonic time of the last computation */
    size_t d;
    double *lc, *lg, *idx;    /* eigenvalues (cov, gram) and 1..d */
    double rank_cov, rank_gram;
    spectrum_fit fit_cov, fit_gram;
    double *tn_v, *tc_v, *tg_v; /* rank trace samples */
    size_t nt, tcap;
    char err[256];
    /* Kernel models: per-layer Gram spectra on the first points. */
    double *kl;       /* layers x kn eigenvalues, descending */
    double *krank;    /* per layer RankMe */
    size_t klayers, kn, kcap;
    unsigned long kgen;
    double klast;
};

#define SPECTRUM_KERNEL_POINTS 300 /* first points whose Gram is decomposed live */

static void *
spectrum_create(const struct pane_host *host)
{
    (void)host;
    struct spectrum_pane *p = calloc(1, sizeof *p);
    if (p != NULL) {
        p->ix.log = p->iy.log = true;
    }
    return p;
}

static void
spectrum_destroy(void *self)
{
    struct spectrum_pane *p = self;
    if (p == NULL)
        return;
    free(p->lc);
    free(p->lg);
    free(p->idx);
    free(p->tn_v);
    free(p->tc_v);
    free(p->tg_v);
    free(p->kl);
    free(p->krank);
    free(p);
}

/* A model without weights whose Gram spectra the pane draws instead. */
static bool
gram_model(const struct session *s)
{
    return s->m != NULL && s->blr == NULL && s->mc->pane.gram_layers != NULL &&
           s->mc->pane.gram_spectra != NULL && s->mc->pane.gram_layers(s->m) > 0;
}

static bool nn_model(const struct session *s, struct model_history *hi);

static void
spectrum_title(void *self, const struct session *s, char *buf, size_t size)
{
    struct spectrum_pane *p = self;
    struct model_history hi;
    if (nn_model(s, &hi))
        snprintf(buf, size, "spectrum: layer kernels on %zu probe inputs, vs NNGP", hi.probe);
    else if (gram_model(s) && p->kn < s->n)
        snprintf(buf, size, "spectrum: kernel Gram of the first %zu of %zu points%s", p->kn, s->n,
                 s->mc->pane.gram_layers(s->m) > 1 ? ", per layer" : "");
    else if (gram_model(s))
        snprintf(buf, size, "spectrum: kernel Gram of the %zu points%s", p->kn,
                 s->mc->pane.gram_layers(s->m) > 1 ? ", per layer" : "");
    else if (s->blr == NULL || p->d == 0 || isnan(p->rank_cov))
        snprintf(buf, size, "spectrum: posterior cov and X^T X");
    else {
        char a[24], b[24];
        plot_format_number(p->rank_cov, 3, a, sizeof a);
        plot_format_number(p->rank_gram, 3, b, sizeof b);
        snprintf(buf, size, "spectrum  eff. rank cov %s, X^T X %s", a, b);
    }
}

static void
push_trace(struct spectrum_pane *p, double n, double rc, double rg)
{
    if (p->nt > 0 && p->tn_v[p->nt - 1] == n)
        return;
    if (p->nt == p->tcap) {
        size_t cap = p->tcap ? 2 * p->tcap : 64;
        double *a = realloc(p->tn_v, cap * sizeof *a);
        if (a) p->tn_v = a;
        double *b = realloc(p->tc_v, cap * sizeof *b);
        if (b) p->tc_v = b;
        double *c = realloc(p->tg_v, cap * sizeof *c);
        if (c) p->tg_v = c;
        if (!a || !b || !c)
            return;
        p->tcap = cap;
    }
    p->tn_v[p->nt] = n;
    p->tc_v[p->nt] = rc;
    p->tg_v[p->nt] = rg;
    p->nt++;
}

static int
compute(struct spectrum_pane *p, const struct session *s)
{
    size_t d = s->dim;
    bl_err err;
    if (d != p->d) {
        double *lc = realloc(p->lc, d * sizeof *lc), *lg = realloc(p->lg, d * sizeof *lg),
               *ix = realloc(p->idx, d * sizeof *ix);
        if (lc) p->lc = lc;
        if (lg) p->lg = lg;
        if (ix) p->idx = ix;
        if (!lc || !lg || !ix)
            return -1;
        p->d = d;
        for (size_t i = 0; i < d; i++)
            p->idx[i] = (double)(i + 1);
    }
    double *cov = malloc(d * d * sizeof *cov);
    if (cov == NULL)
        return -1;
    int rc = blr_cov(s->blr, cov, &err);
    if (rc == BL_OK)
        rc = spectrum_eig_desc(cov, d, p->lc, &err);
    if (rc == BL_OK)
        rc = spectrum_eig_desc(blr_gram(s->blr), d, p->lg, &err);
    free(cov);
    if (rc != BL_OK) {
        snprintf(p->err, sizeof p->err, "%s", err.msg);
        return -1;
    }
    p->err[0] = '\0';
    if (spectrum_rankme_psd(p->lc, d, &p->rank_cov, &err) != BL_OK)
        p->rank_cov = NAN;
    if (s->n == 0 || spectrum_rankme_psd(p->lg, d, &p->rank_gram, &err) != BL_OK)
        p->rank_gram = NAN;
    spectrum_alpha_req(p->lc, d, 0, 0, false, &p->fit_cov, &err);
    spectrum_alpha_req(p->lg, d, 0, 0, false, &p->fit_gram, &err);
    push_trace(p, (double)s->n, p->rank_cov, p->rank_gram);
    return 0;
}

static void
fit_text(char *buf, size_t size, const char *what, const spectrum_fit *f)
{
    char a[24];
    plot_format_number(f->alpha, 3, a, sizeof a);
    if (isnan(f->alpha))
        snprintf(buf, size, "%s (alpha needs %d+)", what, SPECTRUM_MIN_POINTS);
    else
        snprintf(buf, size, "%s, alpha %s [j %zu..%zu]", what, a, f->j_lo, f->j_hi);
}

/* Eigenvalues below their noise floor (spectrum_noise_floor) carry no
 * digits: two BLAS kernels give different ones. So a series is data only down
 * to a floor; the indices below it get a dim floor line labelled "below
 * precision", and a cliff in a spectrum reads as the end of what double
 * precision resolves, not as a measured decay. Returns how many values of
 * lam (descending) are above fl (a prefix) and widens the extent by them and,
 * when some are below, by fl. */
static size_t
floor_extent(const double *lam, size_t n, double fl, double *mn, double *mx)
{
    size_t k = 0;
    while (k < n && lam[k] > fl)
        k++;
    plot_extent(lam, k, true, mn, mx);
    if (k < n && fl > 0)
        plot_extent(&fl, 1, true, mn, mx);
    return k;
}

/* The floor line of a series whose values k..n-1 are below fl, and its label
 * at the right end of the data area, on the line's row. */
static void
draw_floor(struct plot *pl, const double *idx, size_t k, size_t n, double fl)
{
    if (k >= n || !(fl > 0))
        return;
    double xs[2] = {idx[k], idx[n - 1]}, ys[2] = {fl, fl};
    plot_line(pl, xs, ys, 2, COL_DIM, PAT_DASHED);
    static const char label[] = " below precision";
    int row = (int)floor(plot_py(pl, fl) + 0.5) >> 2;
    int col = pl->pcol + pl->pw - (int)(sizeof label - 1);
    if (row >= pl->prow && row < pl->prow + pl->ph && col >= pl->pcol)
        canvas_text(pl->c, col, row, label, COL_DIM, ATTR_NONE, pl->pw);
}

/* An index axis 1..n spans exactly the data (a log axis rounded to nice
 * bounds would run to 5 or 10 for d = 3 or 7), with integer ticks; a
 * user's fixed range is kept. */
static void
index_range(struct plot_range *r, size_t n)
{
    r->integer = true;
    if (r->fixed)
        return;
    r->lo = r->log ? 1 : 0.5;
    r->hi = n > 1 ? (double)n : 2;
    if (!r->log)
        r->hi += 0.5;
    r->valid = true;
}

/* The n axis of a rank trace: integer ticks; one sample gets the unit
 * around it (one tick, the point in the middle), more span the samples. */
static void
trace_range(struct plot_range *r, const double *n, size_t count)
{
    r->integer = true;
    if (count == 1 && !r->fixed) {
        r->lo = n[0] - 0.5;
        r->hi = n[0] + 0.5;
        r->valid = true;
        return;
    }
    plot_range_update(r, n[0], n[count - 1] > n[0] ? n[count - 1] : n[0] + 1);
}

/* Kernel models: the Gram of the first points, per layer for an NNGP. */
static int
compute_kernel(struct spectrum_pane *p, const struct session *s)
{
    bl_err err;
    size_t n = s->n < SPECTRUM_KERNEL_POINTS ? s->n : SPECTRUM_KERNEL_POINTS;
    size_t L = s->mc->pane.gram_layers(s->m);
    if (L * n > p->kcap) {
        double *a = realloc(p->kl, L * n * sizeof *a);
        if (a == NULL)
            return -1;
        p->kl = a;
        p->kcap = L * n;
    }
    double *r = realloc(p->krank, L * sizeof *r);
    if (r == NULL)
        return -1;
    p->krank = r;
    err.code = BL_OK;
    int rc = s->mc->pane.gram_spectra(s->m, s->X, n, p->kl, p->krank, s->cancel, &err);
    if (rc != BL_OK) {
        snprintf(p->err, sizeof p->err, "%s", rc == BL_ENOMEM ? "out of memory" : err.msg);
        return -1;
    }
    p->klayers = L;
    p->kn = n;
    if (L == 1)
        push_trace(p, (double)s->n, p->krank[0], NAN);
    return 0;
}

static void
draw_kernel(struct spectrum_pane *p, const struct session *s, struct canvas *c, int col, int row,
            int w, int h)
{
    if (s->n < 2) {
        pane_message(c, col, row, w, h, "the Gram spectrum needs 2 points: observe 20");
        return;
    }
    double t = clock_now();
    bool due = t - p->klast >= SPECTRUM_REFRESH_S || !s->interactive;
    if ((p->kgen != s->generation && due) || p->kn == 0) {
        if (compute_kernel(p, s) != 0) {
            pane_message(c, col, row, w, h, p->err);
            return;
        }
        p->kgen = s->generation;
        p->klast = t;
    } else if (p->kgen != s->generation) {
        /* else a stream's last arrivals stay off the pane, its title saying
         * "the first 40 of 300 points", until the next key */
        pane_want_redraw(c, SPECTRUM_REFRESH_S - (t - p->klast));
    }
    size_t n = p->kn, L = p->klayers;
    if (n == 0 || L == 0)
        return;
    double *idx = malloc(n * sizeof *idx);
    if (idx == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        idx[i] = (double)(i + 1);
    int top = h >= 18 ? h * 3 / 5 : h;
    /* At most 5 layers drawn: the first, the last and evenly between. */
    size_t show[5], ns = L < 5 ? L : 5, above[5];
    for (size_t i = 0; i < ns; i++)
        show[i] = ns > 1 ? i * (L - 1) / (ns - 1) : 0;
    /* The layers share one Gram scale, so one floor line: the highest of
     * their floors (the others differ from it by their lambda_1 ratio). */
    double mn = NAN, mx = NAN, fl = 0;
    size_t below = n;
    for (size_t i = 0; i < ns; i++)
        fl = fmax(fl, spectrum_noise_floor(p->kl + show[i] * n, n));
    for (size_t i = 0; i < ns; i++) {
        above[i] = floor_extent(p->kl + show[i] * n, n, fl, &mn, &mx);
        below = above[i] < below ? above[i] : below;
    }
    index_range(&p->ix, n);
    plot_range_update(&p->iy, mn, mx);
    /* Five layers, five line styles: no two told apart by colour alone. */
    static const int cols[] = {COL_S1, COL_S2, COL_S3, COL_S4, COL_S5};
    struct legend_entry leg[5];
    char names[5][32];
    for (size_t i = 0; i < ns; i++) {
        size_t l = show[i];
        char r[16];
        plot_format_number(p->krank[l], 3, r, sizeof r);
        if (L > 1)
            snprintf(names[i], sizeof names[i], "layer %zu: rank %s", l + 1, r);
        else
            snprintf(names[i], sizeof names[i], "Gram: eff. rank %s", r);
        const struct plot_style *st = &plot_styles[i % PLOT_STYLES];
        leg[i] = (struct legend_entry){st->sample, st->ascii_sample, names[i], cols[i % 5]};
    }
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, top, &p->ix, &p->iy, "index j", "eigenvalue", leg, ns);
    for (size_t i = 0; i < ns; i++) {
        plot_series(&pl, names[i]);
        plot_line(&pl, idx, p->kl + show[i] * n, above[i], cols[i % 5],
                  plot_styles[i % PLOT_STYLES].pattern);
    }
    plot_series(&pl, NULL);
    draw_floor(&pl, idx, below, n, fl);
    /* Deep layers converge on one spectrum: a curve under another's cells
     * says so. */
    const char *why[5] = {0};
    for (size_t i = 1; i < ns; i++)
        why[i] = "on other layers";
    plot_legend_checked(&pl, leg, ns, why);
    free(idx);
    if (top >= h)
        return;
    if (L > 1) {
        /* Effective rank against depth: the rank-collapse picture. */
        double *lx = malloc(L * sizeof *lx);
        if (lx == NULL)
            return;
        for (size_t l = 0; l < L; l++)
            lx[l] = (double)(l + 1);
        mn = 0, mx = NAN;
        plot_extent(p->krank, L, false, &mn, &mx);
        index_range(&p->tn, L);
        plot_range_update(&p->ty, mn, mx);
        plot_begin(&pl, c, col, row + top, w, h - top, &p->tn, &p->ty, "layer", "eff. rank");
        plot_series(&pl, "eff. rank");
        plot_line(&pl, lx, p->krank, L, COL_S1, PAT_SOLID);
        for (size_t l = 0; l < L && L <= 40; l++)
            plot_marker(&pl, lx[l], p->krank[l], c->ascii ? 'o' : 0x2022, COL_S1, ATTR_NONE);
        free(lx);
    } else if (p->nt > 0) {
        mn = 0, mx = NAN;
        trace_range(&p->tn, p->tn_v, p->nt);
        plot_extent(p->tc_v, p->nt, false, &mn, &mx);
        plot_range_update(&p->ty, mn, mx);
        plot_begin(&pl, c, col, row + top, w, h - top, &p->tn, &p->ty, "n", "eff. rank");
        plot_series(&pl, "eff. rank");
        if (p->nt > 1)
            plot_line(&pl, p->tn_v, p->tc_v, p->nt, COL_S1, PAT_SOLID);
        plot_marker(&pl, p->tn_v[p->nt - 1], p->tc_v[p->nt - 1], c->ascii ? 'o' : 0x2022, COL_S1,
                    ATTR_NONE);
    }
}

/* A network (model nn): its history of layer kernels on the probe set. */
static bool
nn_model(const struct session *s, struct model_history *hi)
{
    return s->m != NULL && s->mc->pane.history != NULL && s->mc->pane.history(s->m, hi);
}

/* Which hidden layers' kernels (2..L+1) to draw: at most 3, the first,
 * the last and the middle one. Returns the count; show[] 0-based layers. */
static size_t
nn_layers(size_t layers, size_t *show)
{
    size_t hid = layers - 1, ns = hid < 3 ? hid : 3;
    for (size_t i = 0; i < ns; i++)
        show[i] = 1 + (ns > 1 ? i * (hid - 1) / (ns - 1) : 0);
    return ns;
}

/* The NNGP's reference lines are dotted: the layers take the other families
 * (solid, dashed, dash-dot), so they read apart without colour. */
static const struct plot_style *const nn_styles[] = {&plot_styles[0], &plot_styles[1],
                                                     &plot_styles[3]};
static const int nn_cols[] = {COL_S1, COL_S2, COL_S3};

/* Per-layer series against the step (rank or alpha) with the NNGP's values
 * as dotted reference lines. */
static void
draw_nn_trace(struct plot_range *rx, struct plot_range *ry, const struct model_history *hi,
              const double *v, const double *ref, const size_t *show, size_t ns,
              const char *ylabel, struct canvas *c, int col, int row, int w, int h)
{
    double *x = malloc(hi->n * sizeof *x), *y = malloc(hi->n * sizeof *y);
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return;
    }
    double mn = NAN, mx = NAN;
    for (size_t i = 0; i < ns; i++) {
        for (size_t r = 0; r < hi->n; r++)
            y[r] = v[r * hi->layers + show[i]];
        plot_extent(y, hi->n, false, &mn, &mx);
        plot_extent(&ref[show[i]], 1, false, &mn, &mx);
    }
    trace_range(rx, hi->step, hi->n);
    plot_range_update(ry, mn, mx);
    struct legend_entry leg[4];
    char names[3][32];
    size_t nl = 0;
    for (size_t i = 0; i < ns; i++) {
        snprintf(names[i], sizeof names[i], "layer %zu", show[i] + 1);
        leg[nl++] = (struct legend_entry){nn_styles[i]->sample, nn_styles[i]->ascii_sample, names[i],
                                          nn_cols[i]};
    }
    leg[nl++] = (struct legend_entry){"··", "..", "NNGP", COL_DIM};
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, h, rx, ry, "step", ylabel, leg, nl);
    plot_series(&pl, "NNGP");
    for (size_t i = 0; i < ns; i++)
        if (isfinite(ref[show[i]]))
            plot_hline(&pl, ref[show[i]], COL_DIM, PAT_DOTTED);
    for (size_t i = 0; i < ns; i++) {
        for (size_t r = 0; r < hi->n; r++) {
            x[r] = hi->step[r];
            y[r] = v[r * hi->layers + show[i]];
        }
        plot_series(&pl, names[i]);
        if (hi->n > 1)
            plot_line(&pl, x, y, hi->n, nn_cols[i], nn_styles[i]->pattern);
        plot_marker(&pl, x[hi->n - 1], y[hi->n - 1], c->ascii ? 'o' : 0x2022, nn_cols[i],
                    ATTR_NONE);
    }
    plot_series(&pl, NULL);
    plot_legend(&pl, leg, nl);
    free(x);
    free(y);
}

static void
draw_nn(struct spectrum_pane *p, const struct session *s, const struct model_history *hi,
        struct canvas *c, int col, int row, int w, int h)
{
    size_t n = hi->probe;
    if (n == 0 || hi->lam == NULL) {
        pane_message(c, col, row, w, h,
                     "a data-set world: the probe set is the first points, fixed by train");
        return;
    }
    size_t show[3], ns = nn_layers(hi->layers, show);
    double *idx = malloc(n * sizeof *idx);
    if (idx == NULL || ns == 0) {
        free(idx);
        return;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (double)(i + 1);
    bool traces = hi->n > 0 && h >= 18;
    int top = traces ? h * 11 / 20 : h;
    double mn = NAN, mx = NAN, fl = 0;
    size_t above[3], rabove[3];
    for (size_t i = 0; i < ns; i++) {
        fl = fmax(fl, spectrum_noise_floor(hi->lam + show[i] * n, n));
        fl = fmax(fl, spectrum_noise_floor(hi->ref_lam + show[i] * n, n));
    }
    size_t below = n;
    for (size_t i = 0; i < ns; i++) {
        above[i] = floor_extent(hi->lam + show[i] * n, n, fl, &mn, &mx);
        rabove[i] = floor_extent(hi->ref_lam + show[i] * n, n, fl, &mn, &mx);
        below = above[i] < below ? above[i] : below;
    }
    index_range(&p->ix, n);
    pane_apply_ranges(s, "spectrum", &p->ix, &p->iy);
    plot_range_update(&p->iy, mn, mx);
    struct legend_entry leg[4];
    char names[3][64];
    size_t nl = 0;
    for (size_t i = 0; i < ns; i++) {
        size_t l = show[i];
        char r[16], al[16];
        plot_format_number(hi->rank_now[l], 3, r, sizeof r);
        plot_format_number(hi->alpha_now[l], 3, al, sizeof al);
        /* Narrow panes: the names alone, so the legend fits. */
        if (w >= 60)
            snprintf(names[i], sizeof names[i], "layer %zu: rank %s, alpha %s", l + 1, r, al);
        else
            snprintf(names[i], sizeof names[i], "layer %zu", l + 1);
        leg[nl++] = (struct legend_entry){nn_styles[i]->sample, nn_styles[i]->ascii_sample, names[i],
                                          nn_cols[i]};
    }
    char ref[64];
    if (w >= 60)
        snprintf(ref, sizeof ref, "NNGP, same layers [alpha j %zu..%zu]", hi->alpha_lo,
                 hi->alpha_hi);
    else
        snprintf(ref, sizeof ref, "NNGP");
    leg[nl++] = (struct legend_entry){"··", "..", ref, COL_DIM};
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, top, &p->ix, &p->iy, "index j", "eigenvalue", leg, nl);
    plot_series(&pl, ref);
    for (size_t i = 0; i < ns; i++)
        plot_line(&pl, idx, hi->ref_lam + show[i] * n, rabove[i], COL_DIM, PAT_DOTTED);
    for (size_t i = 0; i < ns; i++) {
        plot_series(&pl, names[i]);
        plot_line(&pl, idx, hi->lam + show[i] * n, above[i], nn_cols[i], nn_styles[i]->pattern);
    }
    plot_series(&pl, NULL);
    draw_floor(&pl, idx, below, n, fl);
    plot_legend(&pl, leg, nl);
    free(idx);
    if (!traces)
        return;
    if (w >= 70) {
        int w1, col2, w2;
        plot_beside(col, w, &w1, &col2, &w2);
        draw_nn_trace(&p->tn, &p->ty, hi, hi->rank, hi->ref_rank, show, ns, "eff. rank", c, col,
                      row + top, w1, h - top);
        draw_nn_trace(&p->an, &p->ay, hi, hi->alpha, hi->ref_alpha, show, ns, "alpha-ReQ", c, col2,
                      row + top, w2, h - top);
    } else {
        draw_nn_trace(&p->tn, &p->ty, hi, hi->rank, hi->ref_rank, show, ns, "eff. rank", c, col,
                      row + top, w, h - top);
    }
}

static void
spectrum_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w,
              int h)
{
    struct spectrum_pane *p = self;
    struct model_history hi;
    if (nn_model(s, &hi)) {
        if (p->model != s->m) {
            p->model = s->m;
            p->ix = p->iy = (struct plot_range){.log = true};
            p->tn = p->ty = p->an = p->ay = (struct plot_range){0};
        }
        draw_nn(p, s, &hi, c, col, row, w, h);
        return;
    }
    if (gram_model(s)) {
        if (p->model != s->m) {
            p->nt = 0;
            p->kn = 0;
            p->model = s->m;
            p->ix = p->iy = (struct plot_range){.log = true};
            p->tn = p->ty = (struct plot_range){0};
        }
        draw_kernel(p, s, c, col, row, w, h);
        return;
    }
    if (s->blr == NULL) {
        char msg[96];
        snprintf(msg, sizeof msg, "model %s has no spectrum to draw",
                 s->mc != NULL ? s->mc->subject.name : "");
        pane_message(c, col, row, w, h,
                     s->mc == NULL ? "no model yet: try  model blr"
                     : s->m == NULL ? "no data yet"
                                    : msg);
        return;
    }
    if (s->dim > SPECTRUM_MAX_DIM) {
        pane_message(c, col, row, w, h, "d > 1024: spectra are not drawn live");
        return;
    }
    if (p->model != (const void *)s->blr || s->n < (p->nt ? (size_t)p->tn_v[p->nt - 1] : 0)) {
        p->nt = 0; /* a new model or a new stream: the rank traces restart */
        p->model = s->blr;
        p->gen = 0;
        p->ix = p->iy = (struct plot_range){.log = true};
        p->tn = p->ty = (struct plot_range){0};
    }
    double t = clock_now();
    /* Throttled while animating; always fresh in batch mode (screenshots). */
    bool due = t - p->last >= SPECTRUM_REFRESH_S || !s->interactive;
    if ((p->gen != s->generation && due) || p->gen == 0) {
        if (compute(p, s) == 0) {
            p->gen = s->generation;
            p->last = t;
        } else if (p->err[0]) {
            pane_message(c, col, row, w, h, p->err);
            return;
        }
    } else if (p->gen != s->generation) {
        pane_want_redraw(c, SPECTRUM_REFRESH_S - (t - p->last));
    }
    if (p->d != s->dim)
        return;
    size_t d = p->d;
    pane_apply_ranges(s, "spectrum", &p->ix, &p->iy);
    int top = h >= 18 ? h * 3 / 5 : h; /* too short for two plots: one good one */
    double mn = NAN, mx = NAN, fc, fg = 0;
    size_t kc, kg = 0;
    index_range(&p->ix, d);
    /* Two scales (covariance, Gram), so each series has its own floor. */
    fc = spectrum_noise_floor(p->lc, d);
    kc = floor_extent(p->lc, d, fc, &mn, &mx);
    if (s->n > 0) {
        fg = spectrum_noise_floor(p->lg, d);
        kg = floor_extent(p->lg, d, fg, &mn, &mx);
    }
    plot_range_update(&p->iy, mn, mx);
    /* The decay exponents, with their windows, name the series. */
    char a1[80], a2[80];
    fit_text(a1, sizeof a1, "posterior cov", &p->fit_cov);
    fit_text(a2, sizeof a2, "X^T X", &p->fit_gram);
    const struct legend_entry leg[] = {
        {"──", "__", a1, COL_S1},
        {"╌╌", "--", a2, COL_S2},
    };
    struct plot pl;
    plot_begin_legend(&pl, c, col, row, w, top, &p->ix, &p->iy, "index j", "eigenvalue", leg,
                      s->n > 0 ? 2 : 1);
    plot_series(&pl, a1);
    plot_line(&pl, p->idx, p->lc, kc, COL_S1, PAT_SOLID);
    plot_series(&pl, NULL);
    draw_floor(&pl, p->idx, kc, d, fc);
    if (s->n > 0) {
        plot_series(&pl, a2);
        plot_line(&pl, p->idx, p->lg, kg, COL_S2, PAT_DASHED);
        plot_series(&pl, NULL);
        draw_floor(&pl, p->idx, kg, d, fg);
    }
    if (d <= 64) {
        plot_series(&pl, a1);
        plot_points(&pl, p->idx, p->lc, kc, COL_S1);
        for (size_t i = 0; i < kc && d <= 12; i++)
            plot_marker(&pl, p->idx[i], p->lc[i], c->ascii ? 'o' : 0x2022, COL_S1, ATTR_NONE);
    }
    plot_series(&pl, NULL);
    plot_legend(&pl, leg, s->n > 0 ? 2 : 1);
    if (top >= h || p->nt == 0)
        return;
    mn = mx = NAN;
    trace_range(&p->tn, p->tn_v, p->nt);
    plot_extent(p->tc_v, p->nt, false, &mn, &mx);
    plot_extent(p->tg_v, p->nt, false, &mn, &mx);
    if (mn > 0)
        mn = 0;
    plot_range_update(&p->ty, mn, mx);
    /* Two series: a legend of its own (the eigenvalue plot's names the fits). */
    const struct legend_entry tleg[] = {
        {"──", "__", "eff. rank cov", COL_S1},
        {"╌╌", "--", "eff. rank X^T X", COL_S2},
    };
    bool gram = s->n > 0;
    plot_begin_legend(&pl, c, col, row + top, w, h - top, &p->tn, &p->ty, "n", "eff. rank", tleg,
                      gram ? 2 : 1);
    /* One sample: markers only (a line of one point is a dot nobody sees). */
    if (gram) {
        plot_series(&pl, tleg[1].name);
        if (p->nt > 1)
            plot_line(&pl, p->tn_v, p->tg_v, p->nt, COL_S2, PAT_DASHED);
        plot_marker(&pl, p->tn_v[p->nt - 1], p->tg_v[p->nt - 1], c->ascii ? 'x' : 0x00D7, COL_S2,
                    ATTR_NONE);
    }
    plot_series(&pl, tleg[0].name);
    if (p->nt > 1)
        plot_line(&pl, p->tn_v, p->tc_v, p->nt, COL_S1, PAT_SOLID);
    plot_marker(&pl, p->tn_v[p->nt - 1], p->tc_v[p->nt - 1], c->ascii ? 'o' : 0x2022, COL_S1,
                ATTR_NONE);
    /* Equal ranks share the cell: say which marker is under the other. */
    if (gram && p->nt == 1 &&
        (int)floor(plot_py(&pl, p->tc_v[0]) / 4) == (int)floor(plot_py(&pl, p->tg_v[0]) / 4))
        plot_series_hidden(&pl, tleg[1].name, "same point");
    plot_series(&pl, NULL);
    plot_legend(&pl, tleg, gram ? 2 : 1);
}

const struct pane_desc pane_spectrum = {
    .view = {.name = "spectrum",
             .help = "eigenvalues of the posterior covariance and of X^T X, effective ranks",
             .shown = true,
             .ranges = true,
             .order = 3},
    .place = PANE_TILE,
    .min_w = 20,
    .min_h = 6,
    .create = spectrum_create,
    .destroy = spectrum_destroy,
    .title = spectrum_title,
    .draw = spectrum_draw,
};
