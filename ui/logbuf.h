/* ui/logbuf.h - the scrollback of command output shown in the log pane:
 * a bounded ring of lines, each marked text or error. */
#ifndef BAYESLENS_UI_LOGBUF_H
#define BAYESLENS_UI_LOGBUF_H

#include <stdbool.h>
#include <stddef.h>

#define LOGBUF_LINES 2000

struct logbuf {
    char *line[LOGBUF_LINES]; /* owned, NULL when unused */
    bool error[LOGBUF_LINES];
    size_t start, count;      /* ring: oldest at start */
    unsigned long generation; /* bumped on every append (redraw hint) */
};

void logbuf_init(struct logbuf *l);
void logbuf_free(struct logbuf *l);
/* Append one line (copied; long lines are kept whole and wrapped when drawn). */
void logbuf_add(struct logbuf *l, const char *text, bool error);
/* Line i counted from the newest (0 = newest), or NULL. */
const char *logbuf_get(const struct logbuf *l, size_t back, bool *error);

/* How the log strip wraps a line for w columns of text: rows after the first
 * are indented by 2 (w - 2 columns; none when w <= 2) and break after the
 * last blank that fits, so a number or word goes whole onto the next row;
 * only a word wider than a row is split, and then between characters: no
 * text is ever dropped. Given the byte offset at where row first (true for
 * the line's first row) starts, the offset where the next row starts
 * (strlen(line) after the last row). */
size_t logbuf_wrap_next(const char *line, size_t at, int w, bool first);
/* Rows line takes at width w (at least 1). */
size_t logbuf_line_rows(const char *line, int w);
/* Rows the newest n lines take at width w. */
size_t logbuf_rows(const struct logbuf *l, size_t n, int w);
/* The largest scroll back, in rows, of a strip h rows tall and w columns of
 * text wide that still shows the oldest row: 0 when everything fits, else
 * the rows above the h - 1 that share the strip with the "[+N]" marker. */
size_t logbuf_scroll_max(const struct logbuf *l, int w, int h);

#endif
