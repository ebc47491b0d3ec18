/* tests/test_ui_log.c - the log strip shows every line of output whole: a
 * line wider than the strip wraps between words (a number is never cut mid
 * digit, on any row at any width), and PgUp (view.log_scroll) reaches every
 * row of it, also when it wraps onto more rows than the strip has (a
 * lecture's list of 100 eigenvalues). The screen is drawn the way the live
 * screen and `screenshot` draw it (ui_render), at several sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/session.h"
#include "harness.h"
#include "ui/canvas.h"
#include "ui/logbuf.h"
#include "ui/pane.h"
#include "ui/render.h"

#define MAX_TOKENS 1024
#define TOKEN_LEN  64

/* The blank-separated words of the lines put in the log: every word a row
 * of the strip shows must be one of them. */
static char tokens[MAX_TOKENS][TOKEN_LEN];
static bool token_seen[MAX_TOKENS];
static int ntokens;

static void
add_line(struct ui *u, const char *line, bool error)
{
    logbuf_add(&u->log, line, error);
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", line);
    char *save = NULL;
    for (char *t = strtok_r(copy, " ", &save); t != NULL && ntokens < MAX_TOKENS;
         t = strtok_r(NULL, " ", &save))
        snprintf(tokens[ntokens++], TOKEN_LEN, "%s", t);
}

static int
token_index(const char *t)
{
    for (int i = 0; i < ntokens; i++)
        if (strcmp(tokens[i], t) == 0)
            return i;
    return -1;
}

/* The "[+N]" marker of a scrolled-back strip. */
static bool
is_marker(const char *t)
{
    size_t n = strlen(t);
    return n >= 4 && t[0] == '[' && t[1] == '+' && t[n - 1] == ']' &&
           strspn(t + 2, "0123456789") == n - 3;
}

/* Each word of the strip's rows (rows row..row+h-1 of c) is a whole word of
 * the log, "…" (a row continuing a line from above) and the marker aside;
 * false (and a message naming it) at the first that is not. */
static bool
strip_words_whole(const struct canvas *c, int row, int h, const char *where)
{
    for (int r = row; r < row + h; r++) {
        char text[2048];
        canvas_row_utf8(c, r, text, sizeof text);
        char *save = NULL;
        for (char *t = strtok_r(text, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
            if (strcmp(t, "\xE2\x80\xA6") == 0 || is_marker(t))
                continue;
            if (token_index(t) < 0) {
                CHECK(false, "%s: row %d shows '%s', not a whole word of the log", where, r, t);
                return false;
            }
            for (int i = 0; i < ntokens; i++)
                if (strcmp(tokens[i], t) == 0)
                    token_seen[i] = true;
        }
    }
    return true;
}

static void
test_strip(int cols, int rows)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    struct ui u;
    CHECK(s != NULL && ui_init(&u, false) == 0, "session and ui");
    if (s == NULL)
        return;
    ntokens = 0;
    memset(token_seen, 0, sizeof token_seen);
    /* As `show spectrum` prints them (commands/out.c: %.10g, ", " between):
     * a line of 100 numbers is several rows even at 200 columns. */
    char list[4096] = "eigenvalues = [";
    double v = 0.345351703;
    for (int j = 0; j < 100; j++, v *= 0.913) {
        char num[32];
        snprintf(num, sizeof num, "%.10g%s", v, j < 99 ? ", " : "]");
        strcat(list, num);
    }
    add_line(&u, "bayeslens> show spectrum", false);
    add_line(&u, "matrix = kernel Gram of the observed inputs", false);
    add_line(&u, list, false);
    add_line(&u,
             "error: kernel: unknown name 'foo': choose rbf, matern12, matern32, matern52, "
             "periodic, linear, poly or a sum of these",
             true);
    add_line(&u, "effective_rank = 36.18664375", false);
    add_line(&u, "alpha_req = 2.404821226", false);

    struct canvas c;
    CHECK(canvas_init(&c, cols, rows, false) == 0, "canvas");
    char where[64];
    /* Row by row up to well past the oldest row: a strip that stops
     * scrolling early leaves rows unread, which the words show. */
    bool ok = true;
    for (int k = 0; k <= 200 && ok; k++) {
        s->view.log_scroll = k;
        ui_render(&u, s, &c, NULL);
        const struct rect lr = u.layout.log;
        snprintf(where, sizeof where, "%dx%d, log_scroll %d", cols, rows, k);
        ok = strip_words_whole(&c, lr.row, lr.h, where);
    }
    int missing = 0;
    for (int i = 0; i < ntokens; i++)
        if (!token_seen[i]) {
            if (missing++ == 0)
                CHECK(false, "%dx%d: '%s' (word %d of %d) is never on the strip", cols, rows,
                      tokens[i], i + 1, ntokens);
        }
    CHECK(missing == 0, "%dx%d: every word of the log can be scrolled to (%d missing)", cols, rows,
          missing);
    canvas_free(&c);
    ui_free(&u);
    session_free(s);
}

/* The wrap keeps every byte, rows fit their room and end after a blank, or
 * split a word only when no blank fits (a word wider than the row). */
static void
test_wrap(void)
{
    const char *line = "eigenvalues = [0.345351703, 0.3218097851, 0.3001894288, "
                       "a_word_wider_than_most_rows_of_the_log_strip_at_any_width, 2.8e-14, 0]";
    size_t len = strlen(line);
    for (int w = 1; w <= 120; w++) {
        size_t at = 0, rows = 0;
        bool ok = true;
        while (at < len && ok) {
            size_t next = logbuf_wrap_next(line, at, w, at == 0);
            int room = at == 0 || w <= 2 ? w : w - 2;
            const char *blank = memchr(line + at + 1, ' ', next - at > 1 ? next - at - 1 : 0);
            ok = next > at && next <= len && ((int)(next - at) <= room || next - at == 1) &&
                 (next == len || line[next - 1] == ' ' || blank == NULL);
            at = next;
            rows++;
        }
        CHECK(ok && at == len && rows == logbuf_line_rows(line, w),
              "w=%d: the rows cover the line exactly, each within its room (%zu rows)", w, rows);
    }
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    bl_err err;
    CHECK(pane_register(pane_table, &err) == BL_OK, "panes: %s", err.msg);
    test_wrap();
    static const int sizes[][2] = {{80, 24}, {200, 60}, {40, 12}, {57, 19}, {123, 40}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        test_strip(sizes[i][0], sizes[i][1]);
    TEST_REPORT();
}
