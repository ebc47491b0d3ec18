/* ui/loop.h - the interactive front end: ncurses panes with GNU readline's
 * command line inside, one thread, poll()-driven. */
#ifndef BAYESLENS_UI_LOOP_H
#define BAYESLENS_UI_LOOP_H

#include <stdbool.h>

#include "commands/session.h"

/* Run until quit. startup: commands to run first (NULL for none), e.g. the
 * demo. Returns the exit status; if curses cannot start, returns -1 and
 * changed nothing (the caller falls back to the plain REPL). */
int loop_run(struct session *s, bool ascii, bool color, const char *startup);

#endif
