/* ui/pane_log.c - the log strip: the newest command output, full width
 * between the panes and the status line, errors in the error colour; a
 * line wider than the strip wraps onto further rows (indented by 2).
 * PgUp/PgDn scroll it back row by row (the view's log_scroll); "[+N]" in
 * the corner says how many rows. The lines live in the front end's logbuf, which the pane
 * only reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/logbuf.h"
#include "ui/pane.h"

struct log_pane {
    const struct logbuf *log; /* borrowed from the host */
};

static void *
log_create(const struct pane_host *host)
{
    struct log_pane *p = calloc(1, sizeof *p);
    if (p != NULL)
        p->log = host->log;
    return p;
}

static void
log_destroy(void *self)
{
    free(self);
}

static void
log_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    const struct log_pane *p = self;
    if (w <= 0 || h <= 0 || p->log == NULL)
        return;
    /* The log is a column of rows, each line wrapped onto as many as it
     * needs (logbuf_wrap_next: breaks between words, never inside a number)
     * and the newest at the bottom; log_scroll counts rows, so PgUp reaches
     * every row of every line. Scrolled back, the bottom row holds the
     * "[+N]" marker alone, so it never covers text. */
    int tw = w - 1;
    int scroll = s->view.log_scroll;
    if (scroll > 0) {
        size_t max = logbuf_scroll_max(p->log, tw, h);
        if ((size_t)scroll > max)
            scroll = (int)max;
    }
    if (scroll < 0)
        scroll = 0;
    char more[32] = "";
    if (scroll > 0)
        snprintf(more, sizeof more, "[+%d]", scroll);
    int mlen = (int)strlen(more);
    int y = row + h - (mlen > 0 ? 1 : 0); /* the row above which the next (older) line ends */
    size_t skip = (size_t)scroll;         /* rows still to scroll past, newest first */
    for (size_t back = 0; y > row; back++) {
        bool err;
        const char *line = logbuf_get(p->log, back, &err);
        if (line == NULL)
            break;
        size_t n = logbuf_line_rows(line, tw);
        if (skip >= n) {
            skip -= n;
            continue;
        }
        /* Rows first..last of the line are visible, last on row y - 1. */
        size_t last = n - 1 - skip, fit = (size_t)(y - row);
        size_t first = last + 1 > fit ? last + 1 - fit : 0;
        skip = 0;
        char *text = strdup(line);
        if (text == NULL)
            break;
        int top = y - (int)(last - first + 1);
        size_t at = 0;
        for (size_t k = 0; k <= last; k++) {
            size_t next = logbuf_wrap_next(text, at, tw, k == 0);
            if (k >= first) {
                int indent = k > 0 && tw > 2 ? 2 : 0, yk = top + (int)(k - first);
                char save = text[next];
                text[next] = '\0';
                canvas_text(c, col + 1 + indent, yk, text + at, err ? COL_ERROR : COL_DEFAULT,
                            ATTR_NONE, tw - indent);
                text[next] = save;
                /* The top row continues a line whose start is above the
                 * strip: its indent says so. */
                if (k == first && indent > 0)
                    canvas_put(c, col + 1, yk, 0x2026, COL_DIM, ATTR_NONE);
            }
            at = next;
        }
        free(text);
        y = top;
    }
    if (mlen > 0)
        canvas_text(c, col + w - mlen, row + h - 1, more, COL_DIM, ATTR_REVERSE, mlen);
}

const struct pane_desc pane_log = {
    .view = {.name = "log",
             .help = "command output (PgUp/PgDn scroll it back)",
             .shown = true,
             .unlisted = true,
             .order = 100},
    .place = PANE_STRIP,
    .min_w = 1,
    .min_h = 1,
    .create = log_create,
    .destroy = log_destroy,
    .title = NULL,
    .draw = log_draw,
};
