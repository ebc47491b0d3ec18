/* ui/screen.c - see screen.h. Terminal settings follow docs/ui.md "Init sequence":
 * cbreak, noecho, nonl, no IXON (so Ctrl-S reaches readline instead of
 * freezing output), keypad off (readline parses keys), typeahead off. */
#include "ui/screen.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <ncurses.h>

static bool started;
static bool colors;

/* Theme: colour roles to terminal colours (256-colour Okabe-Ito-like
 * palette, 8-colour fallback). Foreground only, on the terminal's own
 * background, so light and dark themes both work. */
static const short fg256[COL_COUNT] = {
    [COL_DEFAULT] = -1, [COL_DIM] = 245,   [COL_TITLE] = 74, [COL_FOCUS] = 214,
    [COL_S1] = 33,      [COL_S2] = 208,    [COL_S3] = 35,    [COL_S4] = 170,
    [COL_S5] = 178,     [COL_TRUTH] = 197, [COL_BAND] = 74,  [COL_NEW] = 196,
    [COL_ERROR] = 196,
};
static const short fg8[COL_COUNT] = {
    [COL_DEFAULT] = -1,       [COL_DIM] = -1,         [COL_TITLE] = COLOR_CYAN,
    [COL_FOCUS] = COLOR_YELLOW, [COL_S1] = COLOR_BLUE,  [COL_S2] = COLOR_YELLOW,
    [COL_S3] = COLOR_GREEN,   [COL_S4] = COLOR_MAGENTA, [COL_S5] = COLOR_YELLOW,
    [COL_TRUTH] = COLOR_RED,  [COL_BAND] = COLOR_CYAN, [COL_NEW] = COLOR_RED,
    [COL_ERROR] = COLOR_RED,
};

static SCREEN *own_screen; /* from screen_start_file (benchmarks) */

static void setup(bool color);

bool
screen_start(bool color)
{
    if (started)
        return true;
    if (initscr() == NULL)
        return false;
    setup(color);
    return true;
}

bool
screen_start_file(FILE *out, FILE *in, const char *term, bool color)
{
    if (started)
        return true;
    own_screen = newterm(term, out, in);
    if (own_screen == NULL)
        return false;
    set_term(own_screen);
    setup(color);
    return true;
}

static void
setup(bool color)
{
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, FALSE);
    meta(stdscr, TRUE);
    typeahead(-1);
    leaveok(stdscr, FALSE);
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) == 0) {
        t.c_iflag &= ~(tcflag_t)IXON;
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    def_prog_mode();
    colors = color && has_colors();
    if (colors) {
        start_color();
        use_default_colors();
        const short *fg = COLORS >= 256 ? fg256 : fg8;
        for (short i = 1; i < COL_COUNT; i++)
            init_pair(i, fg[i], -1);
    }
    started = true;
}

void
screen_stop(void)
{
    if (!started)
        return;
    started = false;
    endwin();
    if (own_screen != NULL) {
        delscreen(own_screen);
        own_screen = NULL;
    }
}

void
screen_size(int *cols, int *rows)
{
    *cols = COLS;
    *rows = LINES;
}

void
screen_resize(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
}

void
screen_redraw(void)
{
    clearok(curscr, TRUE);
}

void
screen_blit(const struct canvas *c, int cursor_col, int cursor_row)
{
    int rows = c->rows < LINES ? c->rows : LINES, cols = c->cols < COLS ? c->cols : COLS;
    for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
            const struct cell *cl = &c->cells[y * c->cols + x];
            if (cl->wide)
                continue;
            wchar_t wc[2] = {(wchar_t)canvas_glyph(c, x, y), 0};
            if (wc[0] == 0)
                wc[0] = ' ';
            attr_t a = A_NORMAL;
            if (cl->attr & ATTR_BOLD)
                a |= A_BOLD;
            if (cl->attr & ATTR_REVERSE)
                a |= A_REVERSE;
            if (cl->attr & ATTR_UNDERLINE)
                a |= A_UNDERLINE;
            if (!colors && cl->color == COL_DIM)
                a |= A_DIM;
            cchar_t cc;
            setcchar(&cc, wc, a, colors ? (short)cl->color : 0, NULL);
            mvadd_wch(y, x, &cc);
        }
    }
    if (cursor_row >= 0 && cursor_row < LINES && cursor_col >= 0 && cursor_col < COLS)
        move(cursor_row, cursor_col);
    refresh();
}

void
screen_set_size(int cols, int rows)
{
    resizeterm(rows, cols);
}
