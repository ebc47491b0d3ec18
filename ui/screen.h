/* ui/screen.h - the only file that draws with ncurses: start and stop
 * curses, colours from a small theme (NO_COLOR honoured), and the blit of a
 * canvas to the terminal. ncurses compares with what the terminal already
 * shows and sends only the changed cells. */
#ifndef BAYESLENS_UI_SCREEN_H
#define BAYESLENS_UI_SCREEN_H

#include <stdbool.h>
#include <stdio.h>

#include "ui/canvas.h"

/* Start curses on the terminal; false if it cannot (then nothing changed). */
bool screen_start(bool color);
/* Curses on given streams and terminal type (benchmarks measure the bytes
 * a frame sends this way). */
bool screen_start_file(FILE *out, FILE *in, const char *term, bool color);
/* Force the screen size (benchmarks; a real terminal reports its own). */
void screen_set_size(int cols, int rows);
/* Restore the terminal (idempotent). */
void screen_stop(void);
/* Current terminal size in cells. */
void screen_size(int *cols, int *rows);
/* After SIGWINCH: ask the terminal its size and resize curses. */
void screen_resize(void);
/* Copy the canvas to the screen, put the cursor at (cursor_col, cursor_row)
 * and update the terminal. */
void screen_blit(const struct canvas *c, int cursor_col, int cursor_row);
/* Forget what the terminal shows and repaint everything (Ctrl-L). */
void screen_redraw(void);

#endif
