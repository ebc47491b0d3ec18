/* ui/lineedit.c - GNU readline behind a small interface.
 *
 * We use readline's callback interface driven by poll(), not readline():
 * the same loop will later also wake for animation frames, and Ctrl-C can be
 * handled by us (readline's own signal handling is off): at the prompt it
 * discards the line, during a command it raises the cancel flag that long
 * computations poll. History lives in $XDG_STATE_HOME/bayeslens/history
 * (default ~/.local/state/bayeslens/history), capped at 2000 lines. */
#include "ui/lineedit.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "commands/cmd.h"
#include "ui/ending.h"

#define HISTORY_MAX 2000

static char history_path[PATH_MAX];
static char **matches; /* candidates for the current completion */
static size_t match_next;

static int
mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static char *
generator(const char *text, int state)
{
    (void)text;
    if (state == 0)
        match_next = 0;
    if (matches == NULL || matches[match_next] == NULL)
        return NULL;
    return strdup(matches[match_next++]);
}

static void
free_matches(void)
{
    for (size_t i = 0; matches != NULL && matches[i] != NULL; i++)
        free(matches[i]);
    free(matches);
    matches = NULL;
}

static bool
ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* `source FILE`: an example's recorded output (.out) and tolerances (.tol)
 * sit next to it and are never scripts; leave them out of the candidates
 * (readline's contract: matches[0] is the common prefix, the rest are
 * freed and dropped in place). */
static int
ignore_non_scripts(char **names)
{
    if (names[1] == NULL)
        return 0; /* a single match, already names[0] */
    size_t keep = 1;
    for (size_t i = 1; names[i] != NULL; i++) {
        if (ends_with(names[i], ".out") || ends_with(names[i], ".tol"))
            free(names[i]);
        else
            names[keep++] = names[i];
    }
    names[keep] = NULL;
    if (keep == 1) { /* none left: no completion at all */
        free(names[0]);
        names[0] = NULL;
    } else if (keep == 2) { /* one left: it is the completion */
        free(names[0]);
        names[0] = names[1];
        names[1] = NULL;
    }
    return 0;
}

static char **
complete(const char *text, int start, int end)
{
    (void)text;
    free_matches();
    matches = cmd_complete(rl_line_buffer, (size_t)start, (size_t)end);
    if (matches == NULL) {
        /* A file argument: let readline complete file names. */
        const char *line = rl_line_buffer + strspn(rl_line_buffer, " \t");
        rl_ignore_some_completions_function =
            strncmp(line, "source", 6) == 0 && (line[6] == ' ' || line[6] == '\t')
                ? ignore_non_scripts
                : NULL;
        rl_attempted_completion_over = 0;
        return NULL;
    }
    rl_attempted_completion_over = 1;
    /* "alpha=" and "kernel=rbf(" want no space after them. */
    size_t mlen = matches[0] != NULL ? strlen(matches[0]) : 0;
    if (mlen > 0 && matches[1] == NULL &&
        (matches[0][mlen - 1] == '=' || matches[0][mlen - 1] == '('))
        rl_completion_suppress_append = 1;
    return rl_completion_matches(text, generator);
}

/* Bytes of the prefix all candidates share, cut after its last separator. */
static size_t
shown_from(const char *const *cands, size_t n)
{
    if (n == 0)
        return 0;
    size_t common = strlen(cands[0]);
    for (size_t i = 1; i < n; i++) {
        size_t k = 0;
        while (k < common && cands[i][k] == cands[0][k])
            k++;
        common = k;
    }
    while (common > 0 && strchr("=(,+*", cands[0][common - 1]) == NULL)
        common--;
    /* A candidate that is all prefix would show as nothing: show it whole. */
    for (size_t i = 0; i < n; i++)
        if (cands[i][common] == '\0')
            return 0;
    return common;
}

char **
lineedit_columns(const char *const *cands, size_t n, int width)
{
    size_t skip = shown_from(cands, n), colw = 1;
    for (size_t i = 0; i < n; i++)
        if (strlen(cands[i] + skip) + 2 > colw)
            colw = strlen(cands[i] + skip) + 2;
    size_t ncols = width > 0 && (size_t)width >= colw ? (size_t)width / colw : 1;
    size_t nrows = n ? (n + ncols - 1) / ncols : 0;
    char **rows = calloc(nrows + 1, sizeof *rows);
    if (rows == NULL)
        return NULL;
    for (size_t r = 0; r < nrows; r++) {
        char *row = malloc(ncols * colw + 1);
        if (row == NULL) {
            for (size_t k = 0; k < r; k++)
                free(rows[k]);
            free(rows);
            return NULL;
        }
        size_t len = 0;
        for (size_t c = 0; c < ncols; c++) {
            size_t i = c * nrows + r;
            if (i >= n)
                break;
            bool last = c + 1 == ncols || (c + 1) * nrows + r >= n;
            /* No padding after the last column of a row. */
            len += (size_t)sprintf(row + len, "%-*s", last ? 0 : (int)colw, cands[i] + skip);
        }
        row[len] = '\0';
        rows[r] = row;
    }
    return rows;
}

/* The plain REPL's listing: readline's own columns of what lineedit_columns
 * would show (the part after the shared prefix). */
static void
display_matches(char **m, int n, int max_len)
{
    (void)max_len;
    size_t skip = shown_from((const char *const *)(m + 1), (size_t)n);
    char **shown = calloc((size_t)n + 2, sizeof *shown);
    if (shown == NULL)
        return;
    int widest = 0;
    shown[0] = m[0];
    for (int i = 1; i <= n; i++) {
        shown[i] = m[i] + skip;
        if ((int)strlen(shown[i]) > widest)
            widest = (int)strlen(shown[i]);
    }
    rl_display_match_list(shown, n, widest);
    free(shown);
    rl_forced_update_display();
}

static int
ignore_key(int count, int key)
{
    (void)count;
    (void)key;
    return 0;
}

/* Function keys readline has no binding for would type the tail of their
 * escape sequence ("~", "24~", "2P"). Bind the xterm/vt220/linux console
 * forms of F1-F12, plain and with Shift/Alt/Ctrl, to nothing unless
 * something (ours, inputrc) binds them. The live screen also drops any
 * other unbound sequence (ui/loop.c). */
static void
silence_fkeys(void)
{
    static const char ss3[] = "PQRS";                                     /* F1-F4 */
    static const int tilde[] = {11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24}; /* F1-F12 */
    char seq[16];
    for (int i = 0; i < 4; i++) {
        snprintf(seq, sizeof seq, "\033O%c", ss3[i]);
        rl_bind_keyseq_if_unbound(seq, ignore_key);
        snprintf(seq, sizeof seq, "\033[%c", ss3[i]); /* some terminals: CSI P */
        rl_bind_keyseq_if_unbound(seq, ignore_key);
        for (int mod = 2; mod <= 8; mod++) {
            snprintf(seq, sizeof seq, "\033[1;%d%c", mod, ss3[i]);
            rl_bind_keyseq_if_unbound(seq, ignore_key);
        }
    }
    for (size_t i = 0; i < sizeof tilde / sizeof tilde[0]; i++) {
        snprintf(seq, sizeof seq, "\033[%d~", tilde[i]);
        rl_bind_keyseq_if_unbound(seq, ignore_key);
        for (int mod = 2; mod <= 8; mod++) {
            snprintf(seq, sizeof seq, "\033[%d;%d~", tilde[i], mod);
            rl_bind_keyseq_if_unbound(seq, ignore_key);
        }
    }
    for (char c = 'A'; c <= 'E'; c++) { /* linux console F1-F5 */
        snprintf(seq, sizeof seq, "\033[[%c", c);
        rl_bind_keyseq_if_unbound(seq, ignore_key);
    }
}

void
lineedit_init(void)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (state != NULL && state[0] == '/')
        snprintf(history_path, sizeof history_path, "%s/bayeslens/history", state);
    else if (home != NULL && home[0] == '/')
        snprintf(history_path, sizeof history_path, "%s/.local/state/bayeslens/history", home);
    if (history_path[0] && mkdirs(history_path) != 0)
        history_path[0] = '\0';
    rl_readline_name = "bayeslens";
    rl_attempted_completion_function = complete;
    /* Words are separated by blanks and ';' only, so "alpha=" is one word. */
    rl_completer_word_break_characters = " \t\n;";
    rl_completion_display_matches_hook = display_matches;
    rl_catch_signals = 0;
    silence_fkeys();
    using_history();
    stifle_history(HISTORY_MAX);
    if (history_path[0])
        read_history(history_path);
}

void
lineedit_done(void)
{
    free_matches();
    if (history_path[0]) {
        write_history(history_path);
        history_truncate_file(history_path, HISTORY_MAX);
    }
}

void
lineedit_remember(const char *line)
{
    if (line[strspn(line, " \t")] == '\0')
        return;
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (last != NULL && strcmp(last->line, line) == 0)
        return;
    add_history(line);
    if (history_path[0])
        append_history(1, history_path); /* crash-safe: every line on disk at once */
}

static bool prompt_shown; /* the prompt is on screen (not while a line runs) */
static lineedit_fn line_fn;
static void *line_ctx;
static bool eof_seen;

static void
on_line(char *line)
{
    if (line == NULL) {
        eof_seen = true;
        rl_callback_handler_remove();
        return;
    }
    lineedit_remember(line);
    prompt_shown = false;
    line_fn(line, line_ctx);
    prompt_shown = true;
    free(line);
}

void
lineedit_print_begin(void)
{
    if (prompt_shown) {
        rl_clear_visible_line();
        fflush(rl_outstream ? rl_outstream : stdout);
    }
}

void
lineedit_print_end(void)
{
    fflush(stdout);
    if (prompt_shown)
        rl_forced_update_display();
}

void
lineedit_loop(const char *prompt, lineedit_fn fn, void *ctx, const bool *stop, bl_cancel *interrupt,
              const struct lineedit_hooks *hooks)
{
    line_fn = fn;
    line_ctx = ctx;
    eof_seen = false;
    rl_callback_handler_install(prompt, on_line);
    prompt_shown = true;
    int timeout = hooks && hooks->tick ? hooks->tick(ctx) : -1;
    while (!*stop && !eof_seen && !ending_signal()) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int r = poll(&pfd, 1, timeout);
        if (ending_signal())
            break; /* SIGTERM, SIGHUP: the handler is removed below */
        if (*interrupt && hooks && hooks->interrupt && hooks->interrupt(ctx)) {
            /* Ctrl-C stopped a job: the typed line stays. */
            *interrupt = 0;
        } else if (*interrupt) {
            /* Ctrl-C at the prompt: drop the line, fresh prompt. */
            *interrupt = 0;
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_replace_line("", 0);
            rl_crlf();
            rl_on_new_line();
            rl_redisplay();
            timeout = hooks && hooks->tick ? hooks->tick(ctx) : -1;
            continue;
        }
        if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            rl_callback_read_char();
            *interrupt = 0; /* a Ctrl-C during the command has done its job */
        }
        /* r < 0 is EINTR: a signal, handled above or harmless. */
        if (hooks && hooks->tick && !*stop && !eof_seen)
            timeout = hooks->tick(ctx);
    }
    prompt_shown = false;
    if (!eof_seen)
        rl_callback_handler_remove();
    else
        putchar('\n');
}
