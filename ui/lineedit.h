/* ui/lineedit.h - the only door to GNU readline: history file, Tab
 * completion from the command table, and the callback-driven prompt loop.
 * (lua.c wraps readline the same way: lua_readline / lua_saveline.) */
#ifndef BAYESLENS_UI_LINEEDIT_H
#define BAYESLENS_UI_LINEEDIT_H

#include <stdbool.h>

#include "core/base/err.h"

/* Called with each complete line (owned by lineedit; do not free). */
typedef void (*lineedit_fn)(const char *line, void *ctx);

/* Load history (XDG state dir) and set up completion. */
void lineedit_init(void);
/* Save history. */
void lineedit_done(void);
/* What a front end does between keys (all optional). */
struct lineedit_hooks {
    /* Called after every wake-up; returns how long to wait for the next key
     * in milliseconds (-1: until one comes). Paced jobs advance here. */
    int (*tick)(void *ctx);
    /* Ctrl-C at the prompt: returns true when it was spent (a running job
     * stopped), and then the typed line stays. */
    bool (*interrupt)(void *ctx);
};

/* Prompt until *stop becomes true or the user ends input (Ctrl-D). Ctrl-C at
 * the prompt discards the line (unless hooks->interrupt spends it); *interrupt
 * is the flag the SIGINT handler raises (it is cleared here after each line).
 * hooks may be NULL. */
void lineedit_loop(const char *prompt, lineedit_fn fn, void *ctx, const bool *stop,
                   bl_cancel *interrupt, const struct lineedit_hooks *hooks);
/* Print lines while the prompt is shown (output of a paced job): the prompt
 * and what was typed are cleared first and drawn again after. */
void lineedit_print_begin(void);
void lineedit_print_end(void);
/* Add a typed line to the history (not blank lines, not a repeat of the
 * last one) and append it to the history file. */
void lineedit_remember(const char *line);
/* Completion candidates laid out for a screen width: rows of columns, down
 * then across (readline's order), each column as wide as the widest shown
 * candidate plus two spaces. A candidate shows what follows the last '=',
 * '(', ',', '+' or '*' of the prefix all of them share ("kernel=rbf(" and
 * "kernel=white(" show "rbf(" and "white("), as readline shows file names
 * without their directory. Returns a malloc'd NULL-terminated array of
 * malloc'd rows (NULL when out of memory). */
char **lineedit_columns(const char *const *cands, size_t n, int width);

#endif
