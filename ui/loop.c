/* ui/loop.c - the interactive front end.
 *
 * One thread owns the terminal (docs/ui.md, "Why approach B"): poll() waits on
 * stdin and a self-pipe that signal handlers write to, with a timeout to the
 * next frame only while a stream animates (idle: no timeout, no CPU).
 * readline's callback interface reads the keys; its line is drawn by us into
 * the input row of the canvas (rl_redisplay_function), ncurses only outputs.
 * A running stream advances by wall time within a per-frame compute budget;
 * long synchronous commands call session_pump(), which reads keys (typed
 * lines are queued, not run) and redraws, so typing stays live and Ctrl-C
 * (the cancel flag) is seen. Results depend only on seed and counts. */
#include "ui/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include <ncurses.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <term.h>

#include "commands/clock.h"
#include "commands/cmd.h"
#include "commands/job.h"
#include "ui/canvas.h"
#include "ui/ending.h"
#include "ui/lineedit.h"
#include "ui/pager.h"
#include "ui/render.h"
#include "ui/screen.h"

#define PROMPT "bayeslens> "
#define FRAME_S 0.033  /* ~30 frames per second while animating */
#define BUDGET_S 0.015 /* compute per frame for a stream */
#define ESC_WAIT_MS 30 /* the rest of an escape sequence arrives within this */

static int sigpipe_fd[2] = {-1, -1};
static struct termios saved_termios;
static bool have_termios;

static struct {
    struct session *s;
    struct ui ui;
    struct canvas canvas;
    struct out out;
    bool dirty;           /* something to redraw */
    volatile bool in_command; /* a command is running: keys go to the typeahead */
    char *last_line;      /* for Enter-repeats-step */
    /* Keys typed while a command runs: kept raw, shown as typed, and fed to
     * readline (through getc) once the command is over. Feeding readline
     * inside its own line handler would lose them: it clears the line after
     * the handler returns. */
    unsigned char ta[4096];
    size_t ta_len, ta_pos;
    unsigned long consumed; /* bytes readline has taken through loop_getc */
    /* Output that does not fit the log opens here, over the panes. */
    struct pager pager;
    bool startup; /* running the startup commands (the demo): never paged */
} L;

static int
loop_getc(FILE *f)
{
    L.consumed++;
    if (L.ta_pos < L.ta_len) {
        int c = L.ta[L.ta_pos++];
        if (L.ta_pos == L.ta_len)
            L.ta_pos = L.ta_len = 0;
        return c;
    }
    return rl_getc(f);
}

/* Append what stdin has now to the key queue; -1 at end of input. */
static int
read_keys(int timeout_ms)
{
    if (L.ta_pos == L.ta_len)
        L.ta_pos = L.ta_len = 0;
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    if (L.ta_len >= sizeof L.ta || poll(&p, 1, timeout_ms) <= 0 || !(p.revents & POLLIN))
        return (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN) ? -1 : 0;
    ssize_t n = read(STDIN_FILENO, L.ta + L.ta_len, sizeof L.ta - L.ta_len);
    if (n <= 0)
        return n == 0 ? -1 : 0;
    L.ta_len += (size_t)n;
    return (int)n;
}

/* Length of the key at the front of b[0..n): an escape sequence (CSI
 * "ESC [ params final", SS3 "ESC O x") is one key; 0 when it is not complete
 * yet. Anything else is one byte (readline puts UTF-8 together itself). */
static size_t
key_len(const unsigned char *b, size_t n)
{
    if (n == 0)
        return 0;
    if (b[0] != 0x1b)
        return 1;
    if (n < 2)
        return 0;
    if (b[1] == 'O')
        return n >= 3 ? 3 : 0;
    if (b[1] != '[')
        return 1; /* ESC then a key: Meta, readline's */
    for (size_t i = 2; i < n && i < 32; i++)
        if (b[i] >= 0x40 && b[i] <= 0x7e)
            return i + 1;
    return n >= 32 ? n : 0;
}

/* Whether readline has something bound to the escape sequence: an unbound
 * one (F4, F9-F12, shifted F-keys, ...) would otherwise insert its tail as
 * text ("~", "24~"); it is dropped instead, so keys without a binding do
 * nothing. */
static bool
key_bound(const unsigned char *b, size_t n)
{
    if (n < 2 || b[0] != 0x1b || (b[1] != '[' && b[1] != 'O'))
        return true;
    int type = 0;
    rl_command_func_t *fn = rl_function_of_keyseq_len((const char *)b, n, NULL, &type);
    return fn != NULL && type != ISKMAP;
}

static bool
key_is(const unsigned char *b, size_t n, const char *seq)
{
    return n == strlen(seq) && memcmp(b, seq, n) == 0;
}

static bool
key_is_cap(const unsigned char *b, size_t n, const char *capname)
{
    char *seq = tigetstr(capname);
    return seq != NULL && seq != (char *)-1 && seq[0] != '\0' && key_is(b, n, seq);
}

/* A key for the pager, from its bytes. */
static enum pager_key
pager_decode(const unsigned char *b, size_t n, int *ch)
{
    *ch = 0;
    if (n == 1) {
        if (b[0] == 0x1b)
            return PK_ESC;
        if (b[0] == '\r' || b[0] == '\n')
            return PK_ENTER;
        if (b[0] == 0x7f || b[0] == 0x08)
            return PK_BACKSPACE;
        if (b[0] == 0x03)
            return PK_CTRL_C;
        if (b[0] >= 0x20 && b[0] < 0x7f) {
            *ch = b[0];
            return PK_CHAR;
        }
        return PK_NONE;
    }
    static const struct {
        enum pager_key key;
        const char *cap;
        const char *seq[4];
    } map[] = {
        {PK_UP, "kcuu1", {"\033[A", "\033OA", NULL}},
        {PK_DOWN, "kcud1", {"\033[B", "\033OB", NULL}},
        {PK_PGUP, "kpp", {"\033[5~", NULL}},
        {PK_PGDN, "knp", {"\033[6~", NULL}},
        {PK_HOME, "khome", {"\033[H", "\033OH", "\033[1~", "\033[7~"}},
        {PK_END, "kend", {"\033[F", "\033OF", "\033[4~", "\033[8~"}},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (key_is_cap(b, n, map[i].cap))
            return map[i].key;
        for (size_t k = 0; k < 4 && map[i].seq[k] != NULL; k++)
            if (key_is(b, n, map[i].seq[k]))
                return map[i].key;
    }
    return PK_NONE;
}

/* What the typeahead would look like on the input line: printable text,
 * with backspace applied and escape sequences skipped (readline does the
 * real editing when it gets the keys). */
static void
typeahead_view(char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = L.ta_pos; i < L.ta_len && n + 1 < size; i++) {
        unsigned char b = L.ta[i];
        if (b == 0x1b) {
            /* ESC [ ... final byte, or ESC O x, or ESC x */
            if (i + 1 < L.ta_len && (L.ta[i + 1] == '[' || L.ta[i + 1] == 'O')) {
                i += 2;
                while (i < L.ta_len && L.ta[i] < 0x40)
                    i++;
            } else {
                i++;
            }
        } else if (b == 0x7f || b == 0x08) {
            while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
                n--;
            if (n > 0)
                n--;
        } else if (b == '\r' || b == '\n') {
            n = 0; /* a finished line: it runs after the current command */
        } else if (b >= 0x20) {
            out[n++] = (char)b;
        }
    }
    out[n] = '\0';
}

static void
on_signal(int sig)
{
    int e = errno;
    unsigned char b = (unsigned char)sig;
    if (sig == SIGINT && L.s != NULL && L.s->cancel != NULL)
        *(bl_cancel *)L.s->cancel = 1;
    if (sig == SIGTERM || sig == SIGHUP)
        ending_note(sig); /* also raises the cancel flag */
    /* A Ctrl-C that interrupts a command is spent on it: byte 0 tells the
     * loop not to also clear the line typed meanwhile. */
    if (sig == SIGINT && L.in_command)
        b = 0;
    if (write(sigpipe_fd[1], &b, 1) < 0) {
        /* pipe full: the loop is behind anyway */
    }
    errno = e;
}

/* Fatal signals: restore the terminal with async-signal-safe calls, re-raise. */
static void
on_fatal(int sig)
{
    static const char restore[] = "\033[?2004l\033[?1049l\033[?25h\033[0m\r\n";
    if (write(STDOUT_FILENO, restore, sizeof restore - 1) < 0) {
        /* nothing more we can do */
    }
    if (have_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCONT, &sa, NULL);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
}

/* The input line as shown: prompt + buffer, scrolled so the cursor is
 * visible; *cursor gets the cursor column. */
static char *
input_view(int width, int *cursor)
{
    const char *prompt = rl_display_prompt ? rl_display_prompt : PROMPT;
    const char *buf = rl_line_buffer ? rl_line_buffer : "";
    char typed[sizeof L.ta + 1];
    size_t point = (size_t)rl_point;
    if (L.in_command) {
        typeahead_view(typed, sizeof typed);
        prompt = PROMPT;
        buf = typed;
        point = strlen(typed);
    }
    size_t plen = strlen(prompt), blen = strlen(buf);
    char *line = malloc(plen + blen + 1);
    if (line == NULL)
        return NULL;
    memcpy(line, prompt, plen);
    memcpy(line + plen, buf, blen + 1);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' '; /* a pasted newline shows as a space until Enter */
    /* Cursor column: width of prompt + buffer up to rl_point. */
    if (point > blen)
        point = blen;
    char save = line[plen + point];
    line[plen + point] = '\0';
    int col = canvas_text_width(line);
    line[plen + point] = save;
    int skip = 0;
    if (width > 1 && col >= width - 1)
        skip = col - (width - 1) + width / 4;
    /* Drop skip columns from the front (whole characters). */
    char *p = line;
    while (skip > 0 && *p) {
        char tmp[8] = {0};
        size_t n = 1;
        while (n < 4 && ((unsigned char)p[n] & 0xC0) == 0x80)
            n++;
        memcpy(tmp, p, n);
        skip -= canvas_text_width(tmp) > 0 ? canvas_text_width(tmp) : 1;
        col -= canvas_text_width(tmp) > 0 ? canvas_text_width(tmp) : 1;
        p += n;
    }
    memmove(line, p, strlen(p) + 1);
    *cursor = col;
    return line;
}

static void
render(void)
{
    int cols, rows, cursor = 0;
    screen_size(&cols, &rows);
    if (cols != L.canvas.cols || rows != L.canvas.rows)
        canvas_resize(&L.canvas, cols, rows);
    L.s->term_cols = cols;
    L.s->term_rows = rows;
    if (L.pager.open) {
        /* After a resize its rows wrap at the new width, as page_if_long
         * wrapped them (a no-op at the same width). */
        int ccol, crow;
        pager_rewrap(&L.pager, cols - 1);
        pager_draw(&L.pager, &L.canvas, &ccol, &crow);
        screen_blit(&L.canvas, ccol, crow);
        L.dirty = false;
        return;
    }
    char *input = input_view(cols, &cursor);
    ui_render(&L.ui, L.s, &L.canvas, input ? input : PROMPT);
    free(input);
    screen_blit(&L.canvas, cursor, rows - 1);
    L.dirty = false;
}

static void
redisplay(void)
{
    L.dirty = true;
}

/* The lines the log got since generation gen. When they do not fit the
 * log strip but do fit it grown over half the pane area, the strip grows
 * until the next key (a 7-line `show regret` at 80x24 reads whole); longer
 * output opens in the pager (it stays in the log too), unless may_page is
 * false (the demo at start-up, a lecture's steps: they must keep going). */
static void
page_if_long(unsigned long gen, const char *title, bool may_page)
{
    unsigned long added = L.ui.log.generation - gen;
    int h = L.ui.layout.log.h;
    /* No log strip (terminal too small): nothing to compare with, and the
     * screen says so already. */
    if (h <= 0 || added == 0)
        return;
    if (added > L.ui.log.count)
        added = L.ui.log.count;
    /* Rows as ui/pane_log.c wraps them: a few lines may take many. */
    size_t need = logbuf_rows(&L.ui.log, added, L.ui.layout.log.w - 1);
    int room = L.ui.layout.log.row / 2;
    if (need <= (size_t)h)
        return;
    if (need <= (size_t)(h + room) || !may_page || L.startup) {
        /* ui_render sizes the grown strip for these lines at every frame. */
        L.ui.log_grow = added;
        L.dirty = true;
        return;
    }
    pager_begin(&L.pager, title);
    for (unsigned long k = added; k-- > 0;) {
        bool err = false;
        const char *line = logbuf_get(&L.ui.log, (size_t)k, &err);
        if (line != NULL && pager_add_wrapped(&L.pager, line, err, L.canvas.cols - 1) != 0)
            break;
    }
    pager_show(&L.pager);
    L.dirty = true;
}

/* Tab twice: the candidates in columns, down then across like readline's
 * own listing (lineedit_columns lays them out), in the log when they fit,
 * else in the pager. */
static void
show_matches(char **matches, int n, int max_len)
{
    (void)max_len;
    /* Tab pressed again on the same line: the list is already the last
     * thing in the log; listing it again would only scroll the log. */
    static char *listed_line;
    static unsigned long listed_gen;
    if (listed_line != NULL && listed_gen == L.ui.log.generation &&
        strcmp(listed_line, rl_line_buffer) == 0)
        return;
    int width = L.ui.layout.log.w > 1 ? L.ui.layout.log.w - 1 : L.canvas.cols;
    unsigned long gen = L.ui.log.generation;
    char **rows = lineedit_columns((const char *const *)(matches + 1), (size_t)n, width);
    for (size_t r = 0; rows != NULL && rows[r] != NULL; r++) {
        logbuf_add(&L.ui.log, rows[r], false);
        free(rows[r]);
    }
    free(rows);
    char title[64];
    snprintf(title, sizeof title, "%d completions", n);
    page_if_long(gen, title, true);
    free(listed_line);
    listed_line = strdup(rl_line_buffer);
    listed_gen = L.ui.log.generation;
    L.dirty = true;
}

/* The pane a typed `pane NAME on` asks for (the next frame says when there
 * is no room for it), else -1. */
static int
asked_pane(const char *line)
{
    char w[3][32];
    if (sscanf(line, " %31s %31s %31s", w[0], w[1], w[2]) != 3 || strcmp(w[0], "pane") != 0 ||
        strcmp(w[2], "on") != 0)
        return -1;
    return view_pane_parse(w[1]);
}

static void
run_line(const char *line)
{
    bl_err err;
    bl_err_clear(&err);
    if (line[strspn(line, " \t")] == '\0') {
        /* Enter on an empty line repeats step (gdb style). */
        if (L.last_line == NULL || strncmp(L.last_line, "step", 4) != 0)
            return;
        line = L.last_line;
    } else {
        free(L.last_line);
        L.last_line = strdup(line);
    }
    char echo[512];
    snprintf(echo, sizeof echo, "%s%s", PROMPT, line);
    logbuf_add(&L.ui.log, echo, false);
    L.s->view.log_scroll = 0;
    L.ui.log_grow = 0;
    unsigned long gen = L.ui.log.generation;
    L.in_command = true;
    *(bl_cancel *)L.s->cancel = 0;
    int rc = cmd_run_line(L.s, line, &L.out, &err);
    if (rc != BL_OK)
        out_failure(&L.out, &err);
    else
        L.ui.asked = asked_pane(line);
    *(bl_cancel *)L.s->cancel = 0;
    L.in_command = false;
    /* After a Ctrl-C the user wants the screen back, not a pager of the
     * progress lines (optimize's): the strip shows the last of them. */
    page_if_long(gen, line, rc != BL_ECANCEL);
    L.dirty = true;
}

/* The next command of a lecture (a sourced script, commands/script.c),
 * when it may run: its output grows the log but never opens the pager, so
 * the lecture keeps going; Ctrl-C during it stops the script. */
static void
lecture_step(void)
{
    if (L.pager.open || session_script_hold(L.s, NULL) != SCRIPT_READY)
        return;
    bl_err err;
    bl_err_clear(&err);
    L.s->view.log_scroll = 0;
    unsigned long gen = L.ui.log.generation;
    L.in_command = true;
    *(bl_cancel *)L.s->cancel = 0;
    if (session_script_step(L.s, &L.out, &err) != BL_OK)
        out_failure(&L.out, &err);
    if (*L.s->cancel)
        session_script_stop(L.s, &L.out);
    *(bl_cancel *)L.s->cancel = 0;
    L.in_command = false;
    if (L.ui.log.generation != gen) {
        L.ui.log_grow = 0;
        page_if_long(gen, "", false);
    }
    L.dirty = true;
}

/* A key while a lecture runs: true when it was the lecture's. Space and
 * Enter go on at a pause; any printable key ends a wait or skips a job the
 * script waits for to its end; Esc and q stop the script. Escape sequences
 * (F5, PgUp) and control keys stay readline's. */
static bool
lecture_key(const unsigned char *k, size_t len)
{
    enum script_hold h = session_script_hold(L.s, NULL);
    if (h == SCRIPT_NONE || len != 1 ||
        (k[0] < 0x20 && k[0] != '\r' && k[0] != '\n' && k[0] != 0x1b))
        return false;
    if (k[0] == 0x1b || k[0] == 'q') {
        session_script_stop(L.s, &L.out);
    } else if (h == SCRIPT_TIME || h == SCRIPT_JOB ||
               (h == SCRIPT_KEY && (k[0] == ' ' || k[0] == '\r' || k[0] == '\n'))) {
        unsigned long gen = L.ui.log.generation;
        L.in_command = true;
        *(bl_cancel *)L.s->cancel = 0;
        session_script_go(L.s, &L.out); /* a job's rest runs now (pumped) */
        if (*L.s->cancel)
            session_script_stop(L.s, &L.out);
        *(bl_cancel *)L.s->cancel = 0;
        L.in_command = false;
        page_if_long(gen, "", false);
    }
    L.dirty = true;
    return true;
}

static void
on_line(char *line)
{
    if (line == NULL) { /* Ctrl-D on an empty line */
        L.s->quit = true;
        return;
    }
    lineedit_remember(line);
    /* A bracketed paste may hold several lines: run them in order. */
    char *save = NULL;
    for (char *part = strtok_r(line, "\n", &save); part && !L.s->quit;
         part = strtok_r(NULL, "\n", &save))
        run_line(part);
    if (line[0] == '\0')
        run_line(line); /* Enter on an empty line: repeats step */
    free(line);
}

static void
clear_input_line(void)
{
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_point = rl_mark = 0;
    rl_reset_line_state();
    L.dirty = true;
}

/* Returns false when the program should end (SIGTERM, SIGHUP). */
static bool
drain_signals(void)
{
    unsigned char b[64];
    ssize_t n;
    bool go_on = true;
    while ((n = read(sigpipe_fd[0], b, sizeof b)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            switch (b[i]) {
            case SIGWINCH:
                screen_resize();
                L.dirty = true;
                break;
            case SIGCONT:
                screen_redraw();
                L.dirty = true;
                break;
            case SIGINT: {
                /* Ctrl-C closes the pager, or stops every live job; with
                 * none, it clears the line. */
                if (L.pager.open) {
                    pager_close(&L.pager);
                    if (!L.in_command)
                        *(bl_cancel *)L.s->cancel = 0;
                    L.dirty = true;
                    break;
                }
                bool stopped = L.s->script != NULL;
                if (stopped && !L.in_command)
                    session_script_stop(L.s, &L.out);
                for (size_t k = 0; k < L.s->jobs.n; k++) {
                    struct job *j = &L.s->jobs.slot[k];
                    if (j->pace.active) {
                        job_stop(j, &L.out);
                        stopped = true;
                    }
                }
                if (stopped)
                    L.s->generation++;
                else if (!L.in_command)
                    clear_input_line();
                if (!L.in_command)
                    *(bl_cancel *)L.s->cancel = 0;
                L.dirty = true;
                break;
            }
            case 0: /* Ctrl-C spent on a command */
                L.dirty = true;
                break;
            case SIGTERM:
            case SIGHUP:
                go_on = false;
                break;
            default:
                break;
            }
        }
    }
    return go_on;
}

/* Called from long commands (session_pump): keys and redraws, no commands. */
static void
pump(void *ctx)
{
    (void)ctx;
    if (!drain_signals())
        *(bl_cancel *)L.s->cancel = 1;
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    while (L.ta_len < sizeof L.ta && poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
        ssize_t n = read(STDIN_FILENO, L.ta + L.ta_len, sizeof L.ta - L.ta_len);
        if (n <= 0)
            break;
        L.ta_len += (size_t)n;
    }
    render();
}

/* Key bindings: F-keys and paging call these readline commands. */
static int
kb_help(int count, int key)
{
    (void)count;
    (void)key;
    bl_err err;
    unsigned long gen = L.ui.log.generation;
    cmd_help_one("keys", &L.out, &err);
    page_if_long(gen, "help keys", true);
    L.dirty = true;
    return 0;
}

static int
kb_focus(int count, int key)
{
    (void)count;
    (void)key;
    struct view *v = &L.s->view;
    int p = ui_next_focus(&L.ui, v);
    if (p >= 0) {
        v->focus = p;
        if (v->zoom)
            v->on[p] = true;
    }
    L.dirty = true;
    return 0;
}

static int
kb_zoom(int count, int key)
{
    (void)count;
    (void)key;
    L.s->view.zoom = !L.s->view.zoom;
    L.dirty = true;
    return 0;
}

static int
kb_pause(int count, int key)
{
    (void)count;
    (void)key;
    struct job *j = job_set_current(&L.s->jobs);
    if (!j->pace.active) {
        out_printf(&L.out, "nothing is running: type  stream rate=10  (run for an instrument, "
                           "sample for a sampler)");
    } else {
        job_pause(j, !j->pace.paused);
        out_printf(&L.out, j->pace.paused ? "paused (F5 resumes, F6 steps)" : "resumed");
    }
    L.dirty = true;
    return 0;
}

static int
kb_step(int count, int key)
{
    (void)count;
    (void)key;
    run_line("step");
    return 0;
}

static int
kb_speed(int count, int key)
{
    (void)count;
    struct job *j = job_set_current(&L.s->jobs);
    bool faster = key == 'f';
    if (!j->pace.active) {
        out_printf(&L.out, "nothing is streaming: type  stream rate=10");
    } else {
        double *rate = &j->pace.rate;
        *rate = faster ? *rate * 2 : *rate / 2;
        if (*rate < 0.25)
            *rate = 0.25;
        if (*rate > 100000)
            *rate = 100000;
        out_printf(&L.out, "rate %g %s/s", *rate, j->cls->unit);
    }
    L.dirty = true;
    return 0;
}

static int
kb_slower(int count, int key)
{
    (void)key;
    return kb_speed(count, 's');
}

static int
kb_faster(int count, int key)
{
    (void)key;
    return kb_speed(count, 'f');
}

static int
kb_page(int count, int key)
{
    (void)count;
    /* A page of rows less one, the marker's (ui/pane_log.c scrolls by rows). */
    int h = L.ui.layout.log.h > 1 ? L.ui.layout.log.h - 1 : 1;
    struct view *v = &L.s->view;
    size_t max = logbuf_scroll_max(&L.ui.log, L.ui.layout.log.w - 1, L.ui.layout.log.h);
    v->log_scroll += key == 'u' ? h : -h;
    if (v->log_scroll < 0)
        v->log_scroll = 0;
    if ((size_t)v->log_scroll > max)
        v->log_scroll = (int)max;
    L.dirty = true;
    return 0;
}

static int
kb_pgup(int count, int key)
{
    (void)key;
    return kb_page(count, 'u');
}

static int
kb_pgdn(int count, int key)
{
    (void)key;
    return kb_page(count, 'd');
}

static int
kb_redraw(int count, int key)
{
    (void)count;
    (void)key;
    screen_redraw();
    L.dirty = true;
    return 0;
}

/* Bind a function key by the terminal's own sequence (terminfo) and the
 * common xterm/vt sequences, so it works in xterm, tmux, screen and the
 * Linux console alike. */
static void
bind_key(const char *capname, const char *const *common, rl_command_func_t *fn)
{
    /* In every keymap: someone with "set editing-mode vi" in ~/.inputrc
     * keeps the F-keys as well. */
    Keymap maps[] = {emacs_standard_keymap, vi_insertion_keymap, vi_movement_keymap};
    char *seq = tigetstr(capname);
    for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
        if (seq != NULL && seq != (char *)-1 && seq[0] != '\0')
            rl_bind_keyseq_in_map(seq, fn, maps[m]);
        for (size_t i = 0; common[i] != NULL; i++)
            rl_bind_keyseq_in_map(common[i], fn, maps[m]);
    }
}

static void
bind_keys(void)
{
    static const char *const f1[] = {"\033OP", "\033[11~", "\033[[A", NULL};
    static const char *const f2[] = {"\033OQ", "\033[12~", "\033[[B", NULL};
    static const char *const f3[] = {"\033OR", "\033[13~", "\033[[C", NULL};
    static const char *const f5[] = {"\033[15~", "\033[[E", NULL};
    static const char *const f6[] = {"\033[17~", NULL};
    static const char *const f7[] = {"\033[18~", NULL};
    static const char *const f8[] = {"\033[19~", NULL};
    static const char *const pgup[] = {"\033[5~", NULL};
    static const char *const pgdn[] = {"\033[6~", NULL};
    bind_key("kf1", f1, kb_help);
    bind_key("kf2", f2, kb_focus);
    bind_key("kf3", f3, kb_zoom);
    bind_key("kf5", f5, kb_pause);
    bind_key("kf6", f6, kb_step);
    bind_key("kf7", f7, kb_slower);
    bind_key("kf8", f8, kb_faster);
    bind_key("kpp", pgup, kb_pgup);
    bind_key("knp", pgdn, kb_pgdn);
    /* readline's default for Insert is quoted-insert, which makes the next
     * key's escape sequence text ("[3~" after Insert, Delete); Insert
     * toggles overwrite, as in other line editors. Keys with no binding at
     * all are dropped in dispatch_keys (key_bound). */
    static const char *const ins[] = {"\033[2~", NULL};
    bind_key("kich1", ins, rl_overwrite_mode);
    rl_bind_key('L' & 0x1f, kb_redraw);
    /* Esc then Enter is Meta-Ctrl-J/M to readline, which emacs mode binds to
     * vi-editing-mode: one stray Esc (closing a pager, leaving a pause) and
     * the session would silently change editing mode. Choosing vi mode stays
     * possible in ~/.inputrc. */
    rl_unbind_function_in_map(rl_vi_editing_mode, emacs_standard_keymap);
}

static void
dispatch_keys(void)
{
    while (L.ta_pos < L.ta_len && !L.s->quit && !L.in_command) {
        size_t len = key_len(L.ta + L.ta_pos, L.ta_len - L.ta_pos);
        if (len == 0) {
            /* Part of an escape sequence: the rest is on its way (or it was
             * a lone Esc). */
            size_t had = L.ta_len - L.ta_pos;
            if (read_keys(ESC_WAIT_MS) > 0)
                continue;
            len = had;
        }
        const unsigned char *k = L.ta + L.ta_pos;
        if (L.pager.open) {
            int ch;
            enum pager_key pk = pager_decode(k, len, &ch);
            L.ta_pos += len;
            if (L.ta_pos == L.ta_len)
                L.ta_pos = L.ta_len = 0;
            if (pager_key(&L.pager, pk, ch))
                L.dirty = true;
            continue;
        }
        /* Between a lecture's commands keys wait for its next hold (a
         * second space at a pause is for the next pause). */
        if (session_script_hold(L.s, NULL) == SCRIPT_READY && len == 1 && k[0] != 'q' &&
            (k[0] >= 0x20 || k[0] == '\r' || k[0] == '\n'))
            break;
        if (len > 0)
            L.ui.log_grow = 0;
        if (session_script_hold(L.s, NULL) != SCRIPT_NONE && lecture_key(k, len)) {
            L.ta_pos += len;
            if (L.ta_pos == L.ta_len)
                L.ta_pos = L.ta_len = 0;
            continue;
        }
        if (!key_bound(k, len)) {
            L.ta_pos += len;
            if (L.ta_pos == L.ta_len)
                L.ta_pos = L.ta_len = 0;
            continue;
        }
        /* readline takes the key byte by byte (a bracketed paste: all of it
         * at once); a command it runs may queue more keys behind these. */
        unsigned long want = L.consumed + len;
        while (L.consumed < want && L.ta_pos < L.ta_len && !L.s->quit && !L.in_command)
            rl_callback_read_char();
    }
}

/* Advance one paced job within the frame's compute budget. A unit costs from
 * microseconds (a BLR point, rwm on a banana) to milliseconds (a GP point at
 * large n, nuts on logistic regression), so the cost per unit is measured
 * (moving average) and the budget follows it; the class's first_budget is
 * the guess before any measurement. */
static void
advance(struct job *j, const struct run_ctx *ctx, double dt)
{
    double *cost = &j->cost;
    size_t budget = *cost > 0 ? (size_t)(BUDGET_S / *cost) + 1 : j->cls->first_budget;
    bool was_active = j->pace.active;
    double t0 = clock_now();
    size_t got = job_advance(j, dt, budget, ctx, &L.out);
    double t = (clock_now() - t0) / (double)(got ? got : 1);
    if (got > 0)
        *cost = *cost > 0 ? 0.8 * *cost + 0.2 * t : t;
    if (got > 0 || was_active != j->pace.active)
        L.s->generation++;
}

int
loop_run(struct session *s, bool ascii, bool color, const char *startup)
{
    if (pipe(sigpipe_fd) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(sigpipe_fd[i], F_SETFL, fcntl(sigpipe_fd[i], F_GETFL) | O_NONBLOCK);
    have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
    memset(&L, 0, sizeof L);
    L.s = s;
    install_signals(); /* before initscr: ncurses then leaves them alone */
    if (ui_init(&L.ui, ascii) != 0 || canvas_init(&L.canvas, 0, 0, ascii) != 0 ||
        !screen_start(color)) {
        ui_free(&L.ui);
        close(sigpipe_fd[0]);
        close(sigpipe_fd[1]);
        return -1;
    }
    L.out = ui_log_out(&L.ui, false);
    pager_init(&L.pager);
    ui_attach(&L.ui, s);
    s->interactive = true;
    s->fkeys = true;
    s->stepwise = true; /* `source` runs as a lecture (lecture_step) */
    s->pump = (struct clock_pump){.fn = pump};

    lineedit_init();
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_redisplay_function = redisplay;
    rl_getc_function = loop_getc;
    rl_completion_display_matches_hook = show_matches;
    rl_variable_bind("show-all-if-ambiguous", "on");
    rl_outstream = fopen("/dev/null", "w");
    /* inputrc is read by the first initialization: before our bindings, so
     * that the keys the live screen documents (F-keys, PgUp/PgDn, Insert;
     * Debian's /etc/inputrc makes Insert quoted-insert) are ours. */
    rl_initialize();
    bind_keys();
    int cols, rows;
    screen_size(&cols, &rows);
    rl_set_screen_size(1, cols);
    rl_callback_handler_install(PROMPT, on_line);
    /* Bracketed paste: a pasted block arrives as one line (split on Enter). */
    if (write(STDOUT_FILENO, "\033[?2004h", 8) < 0) {
        /* not fatal */
    }
    logbuf_add(&L.ui.log, "bayeslens " BAYESLENS_VERSION ": type help, or F1 for the keys", false);
    render(); /* the layout first: output that does not fit it is paged */
    if (startup != NULL) {
        /* The demo should start moving, not behind a pager on a short terminal. */
        L.startup = true;
        run_line(startup);
        L.startup = false;
    }
    render();

    double last = clock_now();
    while (!s->quit && !ending_signal()) {
        bool animating = job_set_running(&s->jobs);
        int timeout = -1;
        if (animating) {
            double wait = FRAME_S - (clock_now() - last);
            timeout = wait > 0 ? (int)(wait * 1000) + 1 : 0;
        }
        /* A pane that drew figures older than the session (a throttled
         * refresh) gets its frame once they are due: after a stream ends the
         * loop would otherwise sleep on them (the spectrum's stale title). */
        bool refresh = !animating && L.canvas.redraw_in > 0;
        if (refresh)
            timeout = (int)(L.canvas.redraw_in * 1000) + 1;
        /* A lecture's next command runs at once; a wait wakes up at its end. */
        double until;
        enum script_hold hold = session_script_hold(s, &until);
        if (hold == SCRIPT_READY && !L.pager.open) {
            timeout = 0;
        } else if (hold == SCRIPT_TIME) {
            double left = until - clock_now();
            int ms = left > 0 ? (int)(left * 1000) + 1 : 0;
            timeout = timeout < 0 || ms < timeout ? ms : timeout;
        }
        struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                              {.fd = sigpipe_fd[0], .events = POLLIN}};
        int r = poll(p, 2, timeout);
        if (r < 0 && errno != EINTR)
            break;
        if (!drain_signals())
            break;
        if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (read_keys(0) < 0)
                break; /* the terminal went away */
        }
        /* Keys (typed now, or while a command ran) go, in order, to the
         * pager when it is open, else to readline. */
        dispatch_keys();
        double t = clock_now();
        if (animating || job_set_running(&s->jobs)) {
            struct run_ctx ctx = session_run_ctx(s);
            for (size_t k = 0; k < s->jobs.n; k++)
                advance(&s->jobs.slot[k], &ctx, t - last);
            L.dirty = true;
        }
        last = t;
        lecture_step();
        if (refresh && r == 0)
            L.dirty = true;
        if (L.dirty)
            render();
    }

    rl_callback_handler_remove();
    if (write(STDOUT_FILENO, "\033[?2004l", 8) < 0) {
        /* not fatal */
    }
    screen_stop();
    lineedit_done();
    if (rl_outstream != NULL && rl_outstream != stdout)
        fclose(rl_outstream);
    rl_outstream = NULL;
    free(L.last_line);
    pager_free(&L.pager);
    canvas_free(&L.canvas);
    ui_free(&L.ui);
    s->pump.fn = NULL;
    s->render = NULL;
    session_script_stop(s, NULL);
    s->stepwise = false;
    close(sigpipe_fd[0]);
    close(sigpipe_fd[1]);
    return 0;
}
