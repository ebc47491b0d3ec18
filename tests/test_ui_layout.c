/* tests/test_ui_layout.c - ui/layout: the invariants of layout.h over every
 * size from 0x0 to 250x80, every preset, zoom on and off, the on[] masks of
 * sweep_masks (every mask on a grid of sizes) with a pseudo-random focus
 * (out-of-range values included), then the
 * specific arrangements docs/design.md and layout.h promise (nvtop's lesson:
 * test the pure layout function, not the screen). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"
#include "ui/canvas.h"
#include "ui/layout.h"
#include "ui/pane.h"
#include "ui/render.h"

/* Registered indices of the panes and layouts (the table's order is not
 * the priority order), the tiles in priority order, and how many. */
static int ix_data, ix_post, ix_regret, ix_spectrum, ix_sampler, ix_theory;
static int lay_default, lay_single, lay_data, lay_theory, lay_sampler;
static int tile[VIEW_MAX_PANES], ntiles, npanes, nlayouts;
static bool all_on[VIEW_MAX_PANES]; /* the four shown by default */

/* on[] from flags in priority order (data, posterior, regret, spectrum,
 * sampler, theory), the order the layout tests were written in. */
static void
from_old(bool *on, const bool *old, int n)
{
    memset(on, 0, VIEW_MAX_PANES * sizeof *on);
    for (int i = 0; i < n && i < ntiles; i++)
        on[tile[i]] = old[i];
}

static void
setup(void)
{
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "register: %s", err.msg);
    npanes = pane_count();
    nlayouts = view_layout_count();
    for (int i = 0; i < npanes; i++)
        if (pane_at(i)->place == PANE_TILE) {
            int j = ntiles++;
            while (j > 0 && pane_at(tile[j - 1])->view.order > pane_at(i)->view.order) {
                tile[j] = tile[j - 1];
                j--;
            }
            tile[j] = i;
        }
    ix_data = view_pane_parse("data");
    ix_post = view_pane_parse("posterior");
    ix_regret = view_pane_parse("regret");
    ix_spectrum = view_pane_parse("spectrum");
    ix_sampler = view_pane_parse("sampler");
    ix_theory = view_pane_parse("theory");
    lay_default = view_layout_parse("default");
    lay_single = view_layout_parse("single");
    lay_data = view_layout_parse("data");
    lay_theory = view_layout_parse("theory");
    lay_sampler = view_layout_parse("sampler");
    from_old(all_on, (const bool[]){true, true, true, true}, 4);
}

static bool
shown(const struct rect *r)
{
    return r->w > 0 && r->h > 0;
}

static bool
is_zero(const struct rect *r)
{
    return r->col == 0 && r->row == 0 && r->w == 0 && r->h == 0;
}

static bool
overlap(const struct rect *a, const struct rect *b)
{
    return a->col < b->col + b->w && b->col < a->col + a->w && a->row < b->row + b->h &&
           b->row < a->row + a->h;
}

static bool
full_row(const struct rect *r, int row, int cols)
{
    return r->col == 0 && r->row == row && r->w == cols && r->h == 1;
}

/* NULL when l satisfies every guarantee of layout.h, else why not. */
static const char *
check_layout(const struct layout *l, int cols, int rows, int preset, const bool *on, int focus,
             bool zoom)
{
    (void)preset;
    if (rows >= 1 ? !full_row(&l->input, rows - 1, cols) : !is_zero(&l->input))
        return "input is not the last row";
    bool small = cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS;
    if (l->too_small != small)
        return "too_small wrong";
    if (small) {
        for (int i = 0; i < VIEW_MAX_PANES; i++)
            if (!is_zero(&l->pane[i]))
                return "pane set although too small";
        if (!is_zero(&l->log) || !is_zero(&l->status) || !is_zero(&l->hint))
            return "log/status/hint set although too small";
        return NULL;
    }
    if (!full_row(&l->status, rows - 3, cols) || !full_row(&l->hint, rows - 2, cols))
        return "status/hint not the two rows above the input";
    if (l->log.col != 0 || l->log.w != cols || l->log.h < 1 || l->log.row + l->log.h != rows - 3)
        return "log not right above the status line";

    const struct rect *all[VIEW_MAX_PANES + 4];
    int n = 0, nshown = 0, non = 0;
    long area = 0;
    for (int i = 0; i < VIEW_MAX_PANES; i++) {
        const struct rect *p = &l->pane[i];
        non += on[i];
        if (p->w < 0 || p->h < 0)
            return "negative size";
        if (!shown(p)) {
            if (p->w != 0 || p->h != 0)
                return "hidden pane with w or h != 0";
            continue;
        }
        if (!on[i])
            return "a pane that is off is shown";
        if (p->w < 20 || p->h < 6)
            return "shown pane below 20x6";
        /* Readable size whenever the pane area is tall enough for it. */
        if (l->log.row >= 9 && (p->w < 36 || p->h < 9))
            return "shown pane below 36x9 in a pane area >= 9 rows";
        if (p->row + p->h > l->log.row)
            return "pane not above the log";
        all[n++] = p;
        nshown++;
        area += (long)p->w * p->h;
    }
    all[n++] = &l->log;
    all[n++] = &l->status;
    all[n++] = &l->hint;
    all[n++] = &l->input;
    for (int i = 0; i < n; i++) {
        const struct rect *r = all[i];
        if (r->col < 0 || r->row < 0 || r->col + r->w > cols || r->row + r->h > rows)
            return "rect outside the screen";
        for (int j = 0; j < i; j++)
            if (overlap(r, all[j]))
                return "overlap";
    }
    if (non == 0) {
        if (l->log.row != 0)
            return "no pane on but the log does not fill the area";
        return NULL;
    }
    if (nshown == 0)
        return "panes on but none shown";
    if (area != (long)cols * l->log.row)
        return "shown panes do not tile the pane area";
    if (zoom || preset == lay_single) {
        int first = 0;
        while (!on[tile[first]])
            first++;
        bool is_tile = focus >= 0 && focus < npanes && pane_at(focus)->place == PANE_TILE;
        int want = is_tile && on[focus] ? focus : tile[first];
        if (nshown != 1 || !shown(&l->pane[want]))
            return "single/zoom: not exactly the focused (or first on) pane";
    }
    return NULL;
}



/* Fixed-seed LCG (Knuth MMIX constants): the focus for each configuration. */
static uint64_t lcg = 12345;
static int
next_focus(void)
{
    lcg = lcg * 6364136223846793005u + 1442695040888963407u;
    return (int)(lcg >> 33) % (npanes + 2) - 1; /* -1..npanes */
}

/* The masks a size is checked with. Every mask at every size was 50
 * million layouts (400 s under AddressSanitizer on CI); the
 * thresholds of layout_compute are in the sizes, so every size keeps the
 * masks that change which panes compete (none, all, each pane alone, each
 * left out) plus two pseudo-random ones, and every mask is still checked at
 * one size in 10 x 6. */
static int
sweep_masks(int cols, int rows)
{
    return cols % 10 == 0 && rows % 6 == 0 ? 1 << ntiles : 4 + 2 * ntiles;
}

static int
sweep_mask(int cols, int rows, int k)
{
    int all = (1 << ntiles) - 1;
    if (cols % 10 == 0 && rows % 6 == 0)
        return k;
    if (k < 2)
        return k == 0 ? 0 : all;
    if (k < 2 + ntiles)
        return 1 << (k - 2);
    if (k < 2 + 2 * ntiles)
        return all & ~(1 << (k - 2 - ntiles));
    uint32_t h = (uint32_t)(cols * 131 + rows * 7919 + k * 104729) * 2654435761u;
    return (int)(h >> 16) & all;
}

static void
test_sweep(void)
{
    for (int preset = 0; preset < nlayouts; preset++)
        for (int zoom = 0; zoom <= 1; zoom++) {
            long count = 0, bad = 0;
            char first[256] = "";
            for (int cols = 0; cols <= 250; cols++)
                for (int rows = 0; rows <= 80; rows++)
                    for (int k = 0, nm = sweep_masks(cols, rows); k < nm; k++) {
                        int mask = sweep_mask(cols, rows, k);
                        bool on[VIEW_MAX_PANES] = {false};
                        for (int i = 0; i < ntiles; i++)
                            on[tile[i]] = mask >> i & 1;
                        int focus = next_focus();
                        struct layout l;
                        memset(&l, 0x5a, sizeof l); /* every field must be written */
                        layout_compute(&l, cols, rows, preset, on, focus, zoom);
                        const char *e = check_layout(&l, cols, rows, preset, on,
                                                     focus, zoom);
                        count++;
                        if (e != NULL && bad++ == 0)
                            snprintf(first, sizeof first, "%dx%d mask=%d focus=%d: %s", cols, rows,
                                     mask, focus, e);
                    }
            CHECK(bad == 0, "preset %s zoom=%d: %ld of %ld layouts broken, first %s",
                  view_layout_at(preset)->name, zoom, bad, count, first);
        }
    /* Growing wider never loses a pane (DEFAULT, all on, each height). */
    int worse = 0;
    for (int rows = 0; rows <= 80; rows++)
        for (int cols = 1, prev = 0; cols <= 250; cols++) {
            struct layout l;
            layout_compute(&l, cols, rows, lay_default, all_on, ix_data, false);
            int k = 0;
            for (int i = 0; i < VIEW_MAX_PANES; i++)
                k += shown(&l.pane[i]);
            if (k < prev && worse++ == 0)
                fprintf(stderr, "%dx%d shows %d panes, %dx%d showed %d\n", cols, rows, k, cols - 1,
                        rows, prev);
            prev = k;
        }
    CHECK(worse == 0, "%d sizes show fewer panes than one column narrower", worse);
    /* Negative sizes are treated as 0. */
    struct layout l;
    layout_compute(&l, -5, -3, lay_default, NULL, 0, false);
    CHECK(l.too_small && is_zero(&l.input), "negative size");
}

static bool
rect_eq(struct rect r, int col, int row, int w, int h)
{
    return r.col == col && r.row == row && r.w == w && r.h == h;
}

static int
count_shown(const struct layout *l)
{
    int k = 0;
    for (int i = 0; i < VIEW_MAX_PANES; i++)
        k += shown(&l->pane[i]);
    return k;
}

#define EXPECT_RECT(r, c0, r0, w0, h0)                                                         \
    CHECK(rect_eq((r), c0, r0, w0, h0), "%s = {%d,%d,%d,%d}, want {%d,%d,%d,%d}", #r, (r).col, \
          (r).row, (r).w, (r).h, c0, r0, w0, h0)

static void
test_default(void)
{
    struct layout l;
    /* 80x24: log 4 rows (20..23 minus the 3 bottom lines), panes 80x17. */
    layout_compute(&l, 80, 24, lay_default, all_on, ix_data, false);
    CHECK(!l.too_small, "80x24 too small");
    EXPECT_RECT(l.pane[ix_data], 0, 0, 40, 17);
    EXPECT_RECT(l.pane[ix_post], 40, 0, 40, 17);
    EXPECT_RECT(l.pane[ix_regret], 0, 0, 0, 0);
    EXPECT_RECT(l.pane[ix_spectrum], 0, 0, 0, 0);
    EXPECT_RECT(l.log, 0, 17, 80, 4);
    EXPECT_RECT(l.status, 0, 21, 80, 1);
    EXPECT_RECT(l.hint, 0, 22, 80, 1);
    EXPECT_RECT(l.input, 0, 23, 80, 1);
    /* The docs/design.md sketch: 100x30, 2x2. */
    layout_compute(&l, 100, 30, lay_default, all_on, ix_data, false);
    CHECK(count_shown(&l) == 4, "100x30 shows %d panes", count_shown(&l));
    EXPECT_RECT(l.pane[ix_data], 0, 0, 50, 11);
    EXPECT_RECT(l.pane[ix_spectrum], 50, 11, 50, 11);
    /* 120x34: 2x2 in priority order, reading order. */
    layout_compute(&l, 120, 34, lay_default, all_on, ix_data, false);
    CHECK(count_shown(&l) == 4, "120x34 shows %d panes", count_shown(&l));
    EXPECT_RECT(l.pane[ix_data], 0, 0, 60, 13);
    EXPECT_RECT(l.pane[ix_post], 60, 0, 60, 13);
    EXPECT_RECT(l.pane[ix_regret], 0, 13, 60, 13);
    EXPECT_RECT(l.pane[ix_spectrum], 60, 13, 60, 13);
    EXPECT_RECT(l.log, 0, 26, 120, 5);
    /* 200x60: still 2x2 (4 in a row would be 50x49, too tall for its width). */
    layout_compute(&l, 200, 60, lay_default, all_on, ix_data, false);
    CHECK(count_shown(&l) == 4, "200x60 shows %d panes", count_shown(&l));
    EXPECT_RECT(l.pane[ix_data], 0, 0, 100, 24);
    EXPECT_RECT(l.pane[ix_spectrum], 100, 24, 100, 25);
    EXPECT_RECT(l.log, 0, 49, 200, 8);
    /* Wide and short: 4 in a row, each 50 wide. */
    layout_compute(&l, 200, 24, lay_default, all_on, ix_data, false);
    CHECK(count_shown(&l) == 4, "200x24 shows %d panes", count_shown(&l));
    EXPECT_RECT(l.pane[ix_data], 0, 0, 50, 17);
    EXPECT_RECT(l.pane[ix_spectrum], 150, 0, 50, 17);
    /* Priority: data off at 80x24 gives posterior and regret. */
    bool nodata[VIEW_MAX_PANES];
    from_old(nodata, (const bool[]){false, true, true, true}, 4);
    layout_compute(&l, 80, 24, lay_default, nodata, ix_data, false);
    EXPECT_RECT(l.pane[ix_post], 0, 0, 40, 17);
    EXPECT_RECT(l.pane[ix_regret], 40, 0, 40, 17);
    /* Three panes at 120x34: the first one gets a full row. */
    bool three[VIEW_MAX_PANES];
    from_old(three, (const bool[]){true, true, true, false}, 4);
    layout_compute(&l, 120, 34, lay_default, three, ix_data, false);
    CHECK(count_shown(&l) == 3, "120x34, 3 on: %d shown", count_shown(&l));
    /* One pane on fills the area. */
    bool spec[VIEW_MAX_PANES];
    from_old(spec, (const bool[]){false, false, false, true}, 4);
    layout_compute(&l, 80, 24, lay_default, spec, ix_data, false);
    EXPECT_RECT(l.pane[ix_spectrum], 0, 0, 80, 17);
    /* Short terminal: pane area below 9 rows, panes relax to 6 rows. */
    layout_compute(&l, 200, 13, lay_default, all_on, ix_data, false);
    CHECK(count_shown(&l) == 4, "200x13 shows %d panes", count_shown(&l));
    layout_compute(&l, 40, 12, lay_default, all_on, ix_data, false);
    CHECK(count_shown(&l) == 1 && shown(&l.pane[ix_data]), "40x12: data alone");
    EXPECT_RECT(l.log, 0, 7, 40, 2);
}

static void
test_small(void)
{
    struct layout l;
    layout_compute(&l, 20, 6, lay_default, all_on, ix_data, false);
    CHECK(l.too_small, "20x6 not too small");
    EXPECT_RECT(l.input, 0, 5, 20, 1);
    EXPECT_RECT(l.pane[ix_data], 0, 0, 0, 0);
    layout_compute(&l, 39, 80, lay_default, all_on, ix_data, false);
    CHECK(l.too_small, "39x80 not too small");
    layout_compute(&l, 250, 11, lay_default, all_on, ix_data, false);
    CHECK(l.too_small, "250x11 not too small");
    layout_compute(&l, 40, 12, lay_default, all_on, ix_data, false);
    CHECK(!l.too_small, "40x12 too small");
    layout_compute(&l, 0, 0, lay_default, all_on, ix_data, false);
    CHECK(l.too_small && is_zero(&l.input), "0x0");
    layout_compute(&l, 0, 1, lay_default, all_on, ix_data, false);
    CHECK(l.too_small && l.input.row == 0 && l.input.w == 0, "0x1");
}

static void
test_presets(void)
{
    struct layout l;
    /* SINGLE: the focused pane fills the pane area. */
    layout_compute(&l, 80, 24, lay_single, all_on, ix_regret, false);
    CHECK(count_shown(&l) == 1, "single shows %d", count_shown(&l));
    EXPECT_RECT(l.pane[ix_regret], 0, 0, 80, 17);
    /* SINGLE with the focused pane off: the first pane that is on. */
    bool nopost[VIEW_MAX_PANES];
    from_old(nopost, (const bool[]){false, false, true, true}, 4);
    layout_compute(&l, 80, 24, lay_single, nopost, ix_post, false);
    CHECK(count_shown(&l) == 1, "single, focus off: shows %d", count_shown(&l));
    EXPECT_RECT(l.pane[ix_regret], 0, 0, 80, 17);
    EXPECT_RECT(l.pane[ix_post], 0, 0, 0, 0);
    /* Focus out of range behaves the same. */
    layout_compute(&l, 80, 24, lay_single, all_on, 17, false);
    EXPECT_RECT(l.pane[ix_data], 0, 0, 80, 17);
    /* Zoom overrides every preset. */
    for (int p = 0; p < nlayouts; p++) {
        layout_compute(&l, 200, 60, p, all_on, ix_spectrum, true);
        CHECK(count_shown(&l) == 1 && rect_eq(l.pane[ix_spectrum], 0, 0, 200, 49),
              "zoom under %s", view_layout_at(p)->name);
    }
    /* DATA: 2/3 and 1/3 when the third is >= 36 wide, data alone otherwise. */
    layout_compute(&l, 120, 34, lay_data, all_on, ix_data, false);
    EXPECT_RECT(l.pane[ix_data], 0, 0, 80, 26);
    EXPECT_RECT(l.pane[ix_post], 80, 0, 40, 26);
    CHECK(count_shown(&l) == 2, "data preset at 120x34 shows %d", count_shown(&l));
    layout_compute(&l, 80, 24, lay_data, all_on, ix_data, false);
    CHECK(count_shown(&l) == 1, "data preset at 80x24 shows %d", count_shown(&l));
    EXPECT_RECT(l.pane[ix_data], 0, 0, 80, 17);
    bool postonly[VIEW_MAX_PANES];
    from_old(postonly, (const bool[]){false, true, true, true}, 4);
    layout_compute(&l, 120, 34, lay_data, postonly, ix_data, false);
    CHECK(count_shown(&l) == 1, "data preset, data off: shows %d", count_shown(&l));
    EXPECT_RECT(l.pane[ix_post], 0, 0, 120, 26);
    /* THEORY: regret, spectrum, posterior; never data. */
    layout_compute(&l, 120, 34, lay_theory, all_on, ix_data, false);
    CHECK(count_shown(&l) == 3 && !shown(&l.pane[ix_data]), "theory at 120x34");
    layout_compute(&l, 80, 24, lay_theory, all_on, ix_data, false);
    EXPECT_RECT(l.pane[ix_regret], 0, 0, 40, 17);
    EXPECT_RECT(l.pane[ix_spectrum], 40, 0, 40, 17);
    /* THEORY with its panes off falls back to DEFAULT. */
    bool dataonly[VIEW_MAX_PANES];
    from_old(dataonly, (const bool[]){true, false, false, false}, 4);
    layout_compute(&l, 120, 34, lay_theory, dataonly, ix_data, false);
    EXPECT_RECT(l.pane[ix_data], 0, 0, 120, 26);
    /* SAMPLER: posterior and sampler side by side; data under the posterior
     * once the column has 30 rows (posterior 60%). */
    bool smp_on[VIEW_MAX_PANES];
    from_old(smp_on, (const bool[]){true, true, true, true, true, false}, 6);
    layout_compute(&l, 160, 48, lay_sampler, smp_on, ix_sampler, false);
    CHECK(count_shown(&l) == 3, "sampler at 160x48 shows %d", count_shown(&l));
    EXPECT_RECT(l.pane[ix_post], 0, 0, 80, 22);
    EXPECT_RECT(l.pane[ix_data], 0, 22, 80, 15);
    EXPECT_RECT(l.pane[ix_sampler], 80, 0, 80, 37);
    layout_compute(&l, 80, 24, lay_sampler, smp_on, ix_sampler, false);
    CHECK(count_shown(&l) == 2, "sampler at 80x24 shows %d", count_shown(&l));
    EXPECT_RECT(l.pane[ix_post], 0, 0, 40, 17);
    EXPECT_RECT(l.pane[ix_sampler], 40, 0, 40, 17);
    /* Too narrow for two columns: the sampler first. */
    layout_compute(&l, 60, 24, lay_sampler, smp_on, ix_sampler, false);
    CHECK(shown(&l.pane[ix_sampler]) && !shown(&l.pane[ix_regret]), "sampler at 60x24");
    /* The sampler pane is off by default elsewhere: DEFAULT keeps its four. */
    layout_compute(&l, 120, 34, lay_default, all_on, ix_data, false);
    CHECK(!shown(&l.pane[ix_sampler]) && count_shown(&l) == 4, "default unchanged");
    /* SAMPLER with its panes off falls back to DEFAULT. */
    layout_compute(&l, 120, 34, lay_sampler, dataonly, ix_data, false);
    EXPECT_RECT(l.pane[ix_data], 0, 0, 120, 26);
    /* No pane on: the log takes the area above the status line. */
    bool none[VIEW_MAX_PANES];
    from_old(none, (const bool[]){false, false, false, false}, 4);
    layout_compute(&l, 80, 24, lay_default, none, ix_data, true);
    CHECK(count_shown(&l) == 0, "no pane on, %d shown", count_shown(&l));
    EXPECT_RECT(l.log, 0, 0, 80, 21);
    /* on = NULL means all on. */
    layout_compute(&l, 200, 60, lay_default, NULL, ix_data, false);
    CHECK(count_shown(&l) == ntiles, "NULL on[]: %d shown", count_shown(&l));
}

static void
test_log_rows(void)
{
    const int rows[] = {12, 17, 18, 24, 30, 34, 47, 48, 80, 200};
    const int want[] = {2, 2, 3, 4, 5, 5, 7, 8, 8, 8};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct layout l;
        layout_compute(&l, 100, rows[i], lay_default, all_on, ix_data, false);
        CHECK(l.log.h == want[i], "log rows at %d = %d, want %d", rows[i], l.log.h, want[i]);
    }
}

/* The default at 80x24 shows a model's two most informative panes: a GP
 * (no weights, no scalar posterior) data and regret, not the posterior
 * pane's sentence; a focused posterior pane comes back; blr keeps it. */
static void
test_model_panes(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    struct ui u;
    struct canvas c;
    struct out_buffer ob;
    out_buffer_init(&ob);
    CHECK(s != NULL && ui_init(&u, false) == 0 && canvas_init(&c, 80, 24, false) == 0,
          "session, ui, canvas");
    CHECK(cmd_run_line(s, "seed 1; data linear d=1; model gp; observe 20", &ob.out, &err) == BL_OK,
          "gp: %s", err.msg);
    ui_render(&u, s, &c, NULL);
    CHECK(u.layout.pane[ix_data].w > 0 && u.layout.pane[ix_regret].w > 0 &&
              u.layout.pane[ix_post].w == 0,
          "gp at 80x24: data and regret, no posterior sentence");
    CHECK(cmd_run_line(s, "pane posterior on", &ob.out, &err) == BL_OK, "%s", err.msg);
    view_focus(&s->view, "posterior");
    ui_render(&u, s, &c, NULL);
    CHECK(u.layout.pane[ix_post].w > 0, "a focused posterior pane is shown");
    view_focus(&s->view, "data");
    CHECK(cmd_run_line(s, "model blr; observe 5", &ob.out, &err) == BL_OK, "blr: %s", err.msg);
    ui_render(&u, s, &c, NULL);
    CHECK(u.layout.pane[ix_data].w > 0 && u.layout.pane[ix_post].w > 0,
          "blr at 80x24: data and posterior");
    canvas_free(&c);
    ui_free(&u);
    out_buffer_free(&ob);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    setup();
    test_sweep();
    test_default();
    test_small();
    test_presets();
    test_log_rows();
    test_model_panes();
    return TEST_REPORT();
}
