/* ui/plain.h - the plain and batch front ends (no curses).
 * Batch: run -e strings and script files in order, synchronously; the first
 * failing command stops the run and makes the exit status 1; its message
 * names the source and line ("-e:1:", "lecture.lens:12:", "<stdin>:3:").
 * Plain interactive: the readline REPL printing text; stream, run and sample
 * are paced as live (a progress line a second, Ctrl-C stops them). */
#ifndef BAYESLENS_UI_PLAIN_H
#define BAYESLENS_UI_PLAIN_H

#include "commands/session.h"

struct batch_item {
    enum { BATCH_EXPR, BATCH_FILE } kind;
    const char *text; /* the -e string or the file name ("-" for stdin) */
};

/* Run the items, printing through out; returns the exit status (0 or 1). */
int plain_batch(struct session *s, const struct batch_item *items, int n, struct out *out);
/* The plain REPL on a terminal; returns the exit status. */
int plain_repl(struct session *s);
/* The out that prints text to stdout and errors to stderr. */
struct out plain_out(void);

#endif
