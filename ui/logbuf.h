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

#endif
