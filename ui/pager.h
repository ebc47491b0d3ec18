/* ui/pager.h - the full-screen pager of the live screen, for output that
 * does not fit the log strip (help, long show, many completions).
 *
 * It is a model and a drawing, no terminal: the loop decodes keys into
 * enum pager_key, feeds them here, and draws the pager instead of the panes
 * while it is open (q closes it and the panes are back). Keys are those of
 * less(1): q or Esc close; space, PgDn, f; b, PgUp; Up/Down, j/k, Enter;
 * Home/g, End/G; / searches (case-insensitive text), n and N go to the next
 * and previous match. The last row is the status line saying so. The lines
 * stay in the log as well: closing the pager loses nothing. */
#ifndef BAYESLENS_UI_PAGER_H
#define BAYESLENS_UI_PAGER_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/canvas.h"

enum pager_key {
    PK_NONE,
    PK_CHAR, /* a printable character (ch) */
    PK_ENTER,
    PK_BACKSPACE,
    PK_ESC,
    PK_UP,
    PK_DOWN,
    PK_PGUP,
    PK_PGDN,
    PK_HOME,
    PK_END,
    PK_CTRL_C,
};

struct pager {
    bool open;
    char title[80];
    char **line; /* owned: the rows shown */
    bool *error;
    size_t *origin; /* the source line of each row */
    size_t n, cap;
    /* The lines as added (owned), so that a resize can wrap them anew. */
    char **src;
    bool *src_error, *src_wrap; /* src_wrap: added by pager_add_wrapped */
    size_t nsrc, src_cap;
    int width; /* the width pager_add_wrapped last wrapped at */
    size_t top;        /* first line shown */
    int page;          /* text rows at the last draw (>= 1) */
    bool prompting;    /* typing a search after '/' */
    char input[128];   /* the search being typed */
    char pattern[128]; /* the last search */
    long match;        /* line of the current match, -1: none */
    char note[160];    /* one-off message on the status line ("not found") */
};

void pager_init(struct pager *p);
void pager_free(struct pager *p);
/* Start a new page of text titled title ("help", "completions"); lines
 * follow with pager_add; pager_show opens it. */
void pager_begin(struct pager *p, const char *title);
/* Append a copy of one line; -1 when out of memory (the pager then shows
 * what it has). */
int pager_add(struct pager *p, const char *text, bool error);
/* The same, wrapped at blanks to rows of at most width columns (continuation
 * rows indented by two): help's key lines fit an 80-column screen. */
int pager_add_wrapped(struct pager *p, const char *text, bool error, int width);
/* Wrap the lines pager_add_wrapped added anew at width (the terminal was
 * resized), the line at the top staying at the top; a no-op at the width
 * they have. -1 when out of memory (the pager then shows what it has). */
int pager_rewrap(struct pager *p, int width);
/* Split one line into the rows pager_add_wrapped makes of it, handing each
 * to row (a line that fits, or a width under 16, is one row); returns the
 * first nonzero row result, else 0. The plain REPL wraps its output so. */
int pager_wrap(const char *text, int width, int (*row)(void *ctx, const char *piece), void *ctx);
void pager_show(struct pager *p);
void pager_close(struct pager *p);
/* One key (ch: the character for PK_CHAR). Returns true when something
 * changed and the screen wants a redraw. */
bool pager_key(struct pager *p, enum pager_key key, int ch);
/* Draw the whole canvas: text rows, then the status line on the last row.
 * *cursor_col/row get where the terminal cursor goes (the search input). */
void pager_draw(struct pager *p, struct canvas *c, int *cursor_col, int *cursor_row);

#endif
