/* ui/logbuf.c - see logbuf.h. */
#include "ui/logbuf.h"

#include <stdlib.h>
#include <string.h>

#include "ui/canvas.h"

void
logbuf_init(struct logbuf *l)
{
    memset(l, 0, sizeof *l);
}

void
logbuf_free(struct logbuf *l)
{
    for (size_t i = 0; i < LOGBUF_LINES; i++)
        free(l->line[i]);
    memset(l, 0, sizeof *l);
}

void
logbuf_add(struct logbuf *l, const char *text, bool error)
{
    char *copy = strdup(text);
    if (copy == NULL)
        return;
    size_t slot;
    if (l->count < LOGBUF_LINES) {
        slot = (l->start + l->count) % LOGBUF_LINES;
        l->count++;
    } else {
        slot = l->start;
        l->start = (l->start + 1) % LOGBUF_LINES;
    }
    free(l->line[slot]);
    l->line[slot] = copy;
    l->error[slot] = error;
    l->generation++;
}

const char *
logbuf_get(const struct logbuf *l, size_t back, bool *error)
{
    if (back >= l->count)
        return NULL;
    size_t slot = (l->start + l->count - 1 - back) % LOGBUF_LINES;
    if (error != NULL)
        *error = l->error[slot];
    return l->line[slot];
}

size_t
logbuf_wrap_next(const char *line, size_t at, int w, bool first)
{
    size_t len = strlen(line);
    if (w < 1)
        return len; /* no room to show anything: one (empty) row */
    int room = first || w <= 2 ? w : w - 2, cols = 0;
    size_t i = at, blank = 0;
    while (i < len) {
        const unsigned char *u = (const unsigned char *)line + i;
        int cw = canvas_cp_width(canvas_utf8_next(&u)); /* as canvas_text measures it */
        size_t next = (size_t)((const char *)u - line);
        /* A row takes at least one character, however narrow the room. */
        if (cols + cw > room && i > at)
            break;
        if (line[i] == ' ')
            blank = i;
        cols += cw;
        i = next;
    }
    if (i >= len)
        return len;
    return blank > at ? blank + 1 : i;
}

size_t
logbuf_line_rows(const char *line, int w)
{
    size_t rows = 1, len = strlen(line);
    for (size_t at = logbuf_wrap_next(line, 0, w, true); at < len;
         at = logbuf_wrap_next(line, at, w, false))
        rows++;
    return rows;
}

size_t
logbuf_rows(const struct logbuf *l, size_t n, int w)
{
    size_t rows = 0;
    for (size_t k = 0; k < n && k < l->count; k++)
        rows += logbuf_line_rows(logbuf_get(l, k, NULL), w);
    return rows;
}

size_t
logbuf_scroll_max(const struct logbuf *l, int w, int h)
{
    size_t total = logbuf_rows(l, l->count, w);
    if (h < 1 || total <= (size_t)h)
        return 0;
    return total - (size_t)(h - 1);
}
