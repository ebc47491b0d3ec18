/* ui/render.h - compose the whole screen on a canvas: the panes of the
 * layout (border, title, content), the log, the status line, the key hints
 * and the input line. The curses screen and `screenshot` both call this, so
 * a screenshot is exactly what the terminal shows. */
#ifndef BAYESLENS_UI_RENDER_H
#define BAYESLENS_UI_RENDER_H

#include <stdbool.h>

#include "commands/session.h"
#include "ui/canvas.h"
#include "ui/layout.h"
#include "ui/logbuf.h"

struct ui {
    void *pane_state[VIEW_MAX_PANES]; /* per registered pane, created by ui_init */
    struct logbuf log;            /* command output shown in the log area */
    bool ascii;                   /* ASCII glyphs instead of braille and box drawing */
    struct layout layout;         /* the last layout computed */
    /* The newest lines of the log that the strip grows over the bottom of
     * the pane area to show whole (until the next key; 0: none). Lines, not
     * rows: each frame wraps them at the strip's current width and height,
     * so a resize regrows (or shrinks) the strip to fit them. */
    size_t log_grow;
    /* A pane just asked for at the prompt (`pane NAME on`; -1 none): the
     * next frame says in the log when the layout has no room for it. */
    int asked;
    /* The panes on at the last frame (once one was drawn): when the last
     * one goes off, the log says how to bring one back. */
    bool was_on[VIEW_MAX_PANES];
    bool drawn;
};

/* 0, or -1 when out of memory. */
int ui_init(struct ui *u, bool ascii);
void ui_free(struct ui *u);
/* Draw everything into c at its current size. input is the input line as
 * shown (prompt and text, already scrolled to fit), or NULL for the bare
 * prompt. */
void ui_render(struct ui *u, const struct session *s, struct canvas *c, const char *input);
/* Rows the caption (s->caption, a lecture's `say`) takes at width cols: 0
 * without one, else 1, or 2 when it does not fit on one. */
int ui_caption_rows(const struct session *s, int cols);
/* An out whose lines go to u's log (and, when echo is set, to stdout too:
 * batch mode prints and still shows the log in screenshots). */
struct out ui_log_out(struct ui *u, bool echo);
/* The pane F2 focuses after v's focused one: the next tile in order that the
 * last layout shows (any tile when zoomed), or -1 when there is none. */
int ui_next_focus(const struct ui *u, const struct view *v);
/* Make u the renderer behind `screenshot` for s. */
void ui_attach(struct ui *u, struct session *s);

#endif
