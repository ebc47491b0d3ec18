/* ui/rank_plot.c - see rank_plot.h.
 *
 * Rank histograms: the kept draws of one coordinate of every chain are
 * ranked together (ties averaged, core/stats/diag.h diag_ranks); chain k's
 * histogram counts its draws' ranks in B equal bins of 1..S. Chains that
 * sample the same distribution give flat histograms, each bin about
 * n_k / B; a chain stuck in one region piles up at one end, a chain with
 * the wrong spread makes a U or a hump. Each chain is a named series
 * ("chain 0", ...) drawn as a step line over the dotted uniform level.
 * The ranks are cached per (job, iteration, coordinate): a frame of a
 * paused chain sorts nothing. */
#include "ui/rank_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats/diag.h"
#include "ui/pane.h"
#include "ui/plot.h"

#define RANK_BINS_MAX 20
#define RANK_ROWS     8 /* the strip plot=auto adds on a large pane */
#define AUTO_MIN_W    100
#define AUTO_MIN_H    48

static const char *const plot_choices[] = {"auto", "diag", "ranks", NULL};
enum { PLOT_AUTO, PLOT_DIAG, PLOT_RANKS };

const struct view_key sampler_pane_keys[] = {
    {.arg = {.name = "plot",
             .type = ARG_CHOICE,
             .choices = plot_choices,
             .def = "auto",
             .help = "ranks: rank histograms per chain instead of the diagnostics; diag: never; "
                     "auto: under them when the pane is large"}},
    {.arg = {.name = NULL}},
};

/* The front end draws one frame at a time on one thread: one cache. */
static struct {
    const void *job;
    size_t iter, count, ci;
    double *ranks; /* K x count, chain-major */
    size_t cap;
} cache;

static const double *
ranks_of(const struct sampler_job *j, size_t ci)
{
    size_t n = j->count, S = j->K * n;
    if (cache.ranks != NULL && cache.job == (const void *)j && cache.iter == j->iter &&
        cache.count == n && cache.ci == ci)
        return cache.ranks;
    if (S > cache.cap) {
        double *r = realloc(cache.ranks, 2 * S * sizeof *r);
        if (r == NULL)
            return NULL;
        cache.ranks = r;
        cache.cap = S;
    }
    double *x = cache.ranks + S; /* the second half: the values */
    for (size_t k = 0; k < j->K; k++)
        for (size_t i = 0; i < n; i++)
            x[k * n + i] = j->draws[(k * j->keep + i) * j->d + ci];
    bl_err err;
    if (diag_ranks(x, S, cache.ranks, &err) != BL_OK) {
        cache.job = NULL;
        return NULL;
    }
    cache.job = j;
    cache.iter = j->iter;
    cache.count = n;
    cache.ci = ci;
    return cache.ranks;
}

static const uint32_t chain_pat[4] = {PAT_SOLID, PAT_DASHED, 0x00FF00FFu, 0x27272727u};

int
rank_plot_draw(const struct session *s, const struct sampler_job *j, size_t ci, struct canvas *c,
               int col, int row, int w, int h)
{
    int mode = view_choice(&s->view, "sampler", "plot");
    if (mode < 0)
        mode = PLOT_AUTO;
    int rows = 0;
    if (mode == PLOT_RANKS)
        rows = h;
    else if (mode == PLOT_AUTO && w >= AUTO_MIN_W && h >= AUTO_MIN_H)
        rows = RANK_ROWS + h / 8;
    if (rows < 4 || j->count < 4)
        return mode == PLOT_RANKS ? h : 0;
    const double *r = ranks_of(j, ci);
    if (r == NULL)
        return 0;
    size_t n = j->count, K = j->K, S = K * n;
    size_t B = n / 10 < RANK_BINS_MAX ? (n / 10 > 4 ? n / 10 : 4) : RANK_BINS_MAX;
    /* Step outline: two points per bin. */
    double bx[2 * RANK_BINS_MAX + 2], by[2 * RANK_BINS_MAX + 2], cnt[RANK_BINS_MAX];
    double top = (double)n / (double)B;
    struct plot_range xr = {.lo = 0, .hi = (double)S, .valid = true, .fixed = true};
    struct plot_range yr = {.lo = 0, .valid = true, .fixed = true};
    double ymax = 2.0 * top;
    for (size_t k = 0; k < K; k++) {
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++) {
            size_t b = (size_t)((r[k * n + i] - 1.0) / (double)S * (double)B);
            cnt[b < B ? b : B - 1]++;
        }
        for (size_t b = 0; b < B; b++)
            ymax = fmax(ymax, cnt[b]);
    }
    yr.hi = ymax * 1.1;
    char ylab[64];
    snprintf(ylab, sizeof ylab, "ranks of %s per chain", j->coord[ci]);
    struct plot pl;
    int top_row = row + h - rows;
    plot_begin(&pl, c, col, top_row, w, rows, &xr, &yr, "rank (all chains pooled)", ylab);
    plot_series(&pl, "uniform");
    plot_hline(&pl, top, COL_TRUTH, PAT_DOTTED);
    char names[4][32];
    for (size_t k = K; k-- > 0;) {
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++) {
            size_t b = (size_t)((r[k * n + i] - 1.0) / (double)S * (double)B);
            cnt[b < B ? b : B - 1]++;
        }
        size_t m = 0;
        for (size_t b = 0; b < B; b++) {
            bx[m] = (double)S * (double)b / (double)B;
            by[m++] = cnt[b];
            bx[m] = (double)S * (double)(b + 1) / (double)B;
            by[m++] = cnt[b];
        }
        char name[32];
        snprintf(name, sizeof name, "chain %zu", k);
        if (k < 4)
            memcpy(names[k], name, sizeof name);
        plot_series(&pl, name);
        plot_line(&pl, bx, by, m, COL_S1 + (int)(k % 4), chain_pat[k % 4]);
    }
    plot_series(&pl, NULL);
    struct legend_entry leg[5];
    size_t nl = 0;
    static const char *const samples[4] = {"──", "╌╌", "━ ", "─·"};
    static const char *const ascii[4] = {"__", "--", "= ", "_."};
    for (size_t k = 0; k < K && k < 4; k++)
        leg[nl++] = (struct legend_entry){samples[k], ascii[k], names[k], COL_S1 + (int)k};
    leg[nl++] = (struct legend_entry){"··", "..", "uniform", COL_TRUTH};
    plot_legend(&pl, leg, nl);
    return rows;
}

bool
rank_plot_warmup(const struct sampler_job *j, struct canvas *c, int col, int row, int w, int h)
{
    size_t n = j->wu_n;
    if (n == 0 || w <= 0 || h < 3)
        return false;
    const sampler_opts *o = sampler_options(sampler_ens_chain(j->ens, 0));
    bool stan = j->kind->stan_warmup;
    double tgt = stan ? o->delta : o->target_accept;
    char line[160];
    snprintf(line, sizeof line, "warm-up %zu/%zu: step %.3g, acceptance %.2f%s", j->iter, j->warmup,
             j->wu_step[n - 1], j->wu_acc[n - 1], stan ? "" : " (Robbins-Monro)");
    canvas_text(c, col + 1, row, line, COL_DEFAULT, ATTR_NONE, w - 1);
    int h1 = (h - 1) / 2, h2 = h - 1 - h1;
    struct plot_range xr = {
        .lo = 0, .hi = (double)j->warmup, .valid = true, .fixed = true, .integer = true};
    struct plot_range sr = {.log = true};
    double mn = NAN, mx = NAN;
    plot_extent(j->wu_step, n, true, &mn, &mx);
    plot_range_update(&sr, mn, mx);
    struct plot pl;
    plot_begin(&pl, c, col, row + 1, w, h1, &xr, &sr, "warm-up iteration", "step");
    plot_series(&pl, "step (chain 0)");
    plot_line(&pl, j->wu_iter, j->wu_step, n, COL_S1, PAT_SOLID);
    plot_series(&pl, NULL);
    const struct legend_entry l1[] = {{"──", "__", "step (chain 0)", COL_S1}};
    plot_legend(&pl, l1, 1);
    struct plot_range ar = {.lo = 0, .hi = 1, .valid = true, .fixed = true};
    plot_begin(&pl, c, col, row + 1 + h1, w, h2, &xr, &ar, "warm-up iteration", "acceptance");
    plot_series(&pl, "acceptance (mean of chains)");
    plot_points(&pl, j->wu_iter, j->wu_acc, n, COL_S1);
    const char *tname = stan ? "target delta" : "target";
    plot_series(&pl, tname);
    if (tgt > 0)
        plot_hline(&pl, tgt, COL_S2, PAT_DASHED);
    plot_series(&pl, NULL);
    const struct legend_entry l2[] = {
        {"··", "..", "acceptance (mean of chains)", COL_S1},
        {"╌╌", "--", tname, COL_S2},
    };
    plot_legend(&pl, l2, tgt > 0 ? 2 : 1);
    return true;
}
