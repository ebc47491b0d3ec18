/* ui/pane_log.c - the log strip: the newest command output, full width
 * between the panes and the status line, errors in the error colour.
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
    char more[32] = "";
    if (scroll > 0)
        snprintf(more, sizeof more, "[+%d]", scroll);
    int mlen = (int)strlen(more);
    for (int k = 0; k < h; k++) {
        bool err;
        const char *line = logbuf_get(p->log, (size_t)(scroll + h - 1 - k), &err);
        if (line == NULL)
            continue;
        /* The bottom row leaves room for the marker (and a blank before it):
         * the marker never covers text. */
        int room = k == h - 1 && mlen > 0 ? w - 1 - mlen - 1 : w - 1;
        canvas_text(c, col + 1, row + k, line, err ? COL_ERROR : COL_DEFAULT, ATTR_NONE,
                    room > 0 ? room : 0);
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
