/* ui/pane_util.c - helpers shared by the panes (see pane.h). */
#include "ui/pane.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/job.h"
#include "core/base/linalg.h"
#include "ui/plot.h"

bool
pane_may_lag(const struct session *s)
{
    return s->interactive && (s->running != NULL || job_set_running(&s->jobs));
}

void
pane_want_redraw(struct canvas *c, double in)
{
    in = fmax(in, 0.01);
    if (c->redraw_in <= 0 || in < c->redraw_in)
        c->redraw_in = in;
}

/* Bytes of msg + at that fill at most w columns, ending at a blank when the
 * rest does not fit (or mid-word when a word is wider than w); *cols out. */
static size_t
message_row(const char *msg, size_t at, int w, int *cols)
{
    size_t i = at, blank = 0, len = strlen(msg);
    int n = 0, at_blank = 0;
    while (i < len && n < w) {
        unsigned char ch = (unsigned char)msg[i];
        size_t step = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
        if (ch == ' ') {
            blank = i;
            at_blank = n;
        }
        n++;
        i += step;
    }
    if (i < len && msg[i] != ' ' && blank > at) {
        *cols = at_blank;
        return blank - at;
    }
    *cols = n;
    return i - at;
}

void
pane_message(struct canvas *c, int col, int row, int w, int h, const char *msg)
{
    if (w <= 0 || h <= 0)
        return;
    /* Wrapped at blanks into as many rows as it needs (the last row that
     * fits is cut with an ellipsis), each centred, the block centred. */
    size_t starts[16], nb[16], len = strlen(msg), at = 0;
    int widths[16], n = 0;
    while (at < len && n < 16 && n < h) {
        size_t k = message_row(msg, at, w, &widths[n]);
        if (k == 0)
            break;
        starts[n] = at;
        nb[n++] = k;
        at += k;
        while (at < len && msg[at] == ' ')
            at++;
    }
    if (n == 0)
        return;
    if (at < len) /* more than fits: the last row keeps the rest, cut */
        nb[n - 1] = len - starts[n - 1];
    int top = row + (h - n) / 2;
    for (int i = 0; i < n; i++) {
        char line[512];
        size_t k = nb[i] < sizeof line - 1 ? nb[i] : sizeof line - 1;
        memcpy(line, msg + starts[i], k);
        line[k] = '\0';
        int lw = canvas_text_width(line);
        int x = col + (lw < w ? (w - lw) / 2 : 0);
        canvas_text(c, x, top + i, line, COL_DIM, ATTR_NONE, w - (x - col));
    }
}

void
pane_cov_column(const struct session *s, size_t i, double *out)
{
    size_t d = s->dim;
    memset(out, 0, d * sizeof *out);
    out[i] = 1;
    /* A^-1 e_i = L^-T (L^-1 e_i). */
    linalg_solve_lower(blr_factor(s->blr), d, out);
    linalg_solve_lower_t(blr_factor(s->blr), d, out);
    double k = session_cov_scale(s);
    for (size_t j = 0; j < d; j++)
        out[j] *= k;
}

size_t
pane_sample_indices(size_t n, size_t max, int logspaced, size_t *idx)
{
    if (max == 0 || n == 0)
        return 0;
    if (n <= max) {
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        return n;
    }
    size_t k = 0;
    for (size_t j = 0; j < max; j++) {
        double f = max > 1 ? (double)j / (double)(max - 1) : 1.0;
        size_t i = logspaced ? (size_t)(exp(f * log((double)n)) - 1.0 + 0.5)
                             : (size_t)(f * (double)(n - 1) + 0.5);
        if (i >= n)
            i = n - 1;
        if (k == 0 || i > idx[k - 1])
            idx[k++] = i;
    }
    if (idx[k - 1] != n - 1)
        idx[k - 1] = n - 1;
    return k;
}

static void
apply(struct plot_range *r, const double lim[2])
{
    if (lim[0] < lim[1] && (!r->log || lim[0] > 0)) {
        r->fixed = true;
        r->valid = true;
        r->lo = lim[0];
        r->hi = lim[1];
    } else if (r->fixed) {
        r->fixed = false;
        r->valid = false; /* auto again: re-range from the data */
    }
}

void
pane_apply_ranges(const struct session *s, const char *name, struct plot_range *x,
                  struct plot_range *y)
{
    int id = view_pane_parse(name);
    if (id < 0)
        return;
    apply(x, s->view.xrange[id]);
    apply(y, s->view.yrange[id]);
}

double *
pane_scratch(double **buf, size_t *cap, size_t n)
{
    if (n > *cap) {
        double *b = realloc(*buf, n * sizeof *b);
        if (b == NULL)
            return NULL;
        *buf = b;
        *cap = n;
    }
    return *buf;
}
