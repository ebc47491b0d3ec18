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
/* Prompt until *stop becomes true or the user ends input (Ctrl-D). Ctrl-C at
 * the prompt discards the line; *interrupt is the flag the SIGINT handler
 * raises (it is cleared here after each line). */
void lineedit_loop(const char *prompt, lineedit_fn fn, void *ctx, const bool *stop,
                   bl_cancel *interrupt);
/* Add a typed line to the history (not blank lines, not a repeat of the
 * last one) and append it to the history file. */
void lineedit_remember(const char *line);
/* Path of the history file, or NULL when no home/state directory exists. */

#endif
