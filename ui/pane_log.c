/* ui/pane_log.c - the log strip: the newest command output, full width
 * between the panes and the status line, errors in the error colour; a
 * line wider than the strip wraps onto further rows (indented by 2).
 * PgUp/PgDn scroll it back (the view's log_scroll); "[+N]" in the corner
 * says how far. The lines live in the front end's logbuf, which the pane
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

/* Split line into rows of at most w columns (rows after the first are
 * indented by 2): byte offsets of the rows' starts into starts (at most max;
 * the last row then keeps the rest, cut with an ellipsis when drawn). */
static int
wrap_line(const char *line, int w, int *starts, int max)
{
    int n = 0;
    size_t at = 0, len = strlen(line);
    starts[n++] = 0;
    while (n < max && w > 2) {
        int room = n == 1 ? w : w - 2, cols = 0;
        size_t i = at, blank = 0;
        /* Walk code points (continuation bytes take no column) up to the room. */
        while (i < len) {
            unsigned char ch = (unsigned char)line[i];
            size_t step = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
            if (cols + 1 > room)
                break;
            if (ch == ' ')
                blank = i;
            cols++;
            i += step;
        }
        if (i >= len)
            break;
        size_t next = blank > at ? blank + 1 : i;
        starts[n++] = (int)next;
        at = next;
    }
    return n;
}

static void
log_draw(void *self, const struct session *s, struct canvas *c, int col, int row, int w, int h)
{
    const struct log_pane *p = self;
    if (w <= 0 || h <= 0 || p->log == NULL)
        return;
    int scroll = s->view.log_scroll;
    if (scroll > (int)p->log->count - h)
        scroll = (int)p->log->count - h;
    if (scroll < 0)
        scroll = 0;
    /* Newest at the bottom; a line wider than the strip wraps onto further
     * rows (at a blank when there is one) instead of being cut. Scrolled
     * back, the bottom row holds the "[+N]" marker alone, so it never
     * covers text. */
    char more[32] = "";
    if (scroll > 0)
        snprintf(more, sizeof more, "[+%d]", scroll);
    int mlen = (int)strlen(more);
    int y = row + h - (mlen > 0 ? 1 : 0); /* the row above which the next (older) line ends */
    for (size_t back = (size_t)scroll; y > row; back++) {
        bool err;
        const char *line = logbuf_get(p->log, back, &err);
        if (line == NULL)
            break;
        int starts[64], n = wrap_line(line, w - 1, starts, 64);
        /* The oldest line shown starts at its beginning: when not all its
         * rows fit, its last row shown keeps the rest, cut with an ellipsis. */
        if (n > y - row)
            n = y - row;
        for (int k = n - 1; k >= 0 && y > row; k--) {
            char piece[1024];
            int end = k + 1 < n ? starts[k + 1] : (int)strlen(line);
            int len = end - starts[k];
            if (len > (int)sizeof piece - 1)
                len = (int)sizeof piece - 1;
            memcpy(piece, line + starts[k], (size_t)len);
            piece[len] = '\0';
            y--;
            canvas_text(c, col + 1 + (k > 0 ? 2 : 0), y, piece, err ? COL_ERROR : COL_DEFAULT,
                        ATTR_NONE, w - 1 - (k > 0 ? 2 : 0));
        }
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
