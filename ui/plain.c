/* ui/plain.c - see plain.h. */
#include "ui/plain.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands/cmd.h"
#include "ui/ending.h"
#include "ui/lineedit.h"

static void
print_line(void *ctx, enum out_kind kind, const char *text)
{
    (void)ctx;
    if (kind == OUT_ERROR) {
        fflush(stdout);
        fprintf(stderr, "%s\n", text);
    } else {
        fputs(text, stdout);
        fputc('\n', stdout);
    }
}

struct out
plain_out(void)
{
    return (struct out){.line = print_line, .ctx = NULL};
}

int
plain_batch(struct session *s, const struct batch_item *items, int n, struct out *out)
{
    bl_err err;
    for (int i = 0; i < n && !s->quit; i++) {
        bl_err_clear(&err);
        int rc;
        if (ending_signal())
            break;
        if (items[i].kind == BATCH_EXPR) {
            rc = cmd_run_line(s, items[i].text, out, &err);
            if (rc != BL_OK && !ending_signal()) {
                fflush(stdout);
                fprintf(stderr, "bayeslens: -e:%d: %s\n", i + 1, err.msg);
                return 1;
            }
        } else {
            rc = session_source(s, items[i].text, out, &err);
            if (rc != BL_OK && !ending_signal()) {
                fflush(stdout);
                fprintf(stderr, "bayeslens: %s\n", err.msg);
                return 1;
            }
        }
    }
    fflush(stdout);
    if (ending_signal()) {
        fprintf(stderr, "bayeslens: ended by signal %d (%s)\n", ending_signal(),
                ending_signal() == SIGTERM ? "SIGTERM" : "SIGHUP");
        return 128 + ending_signal();
    }
    return 0;
}

static void
run_typed(const char *line, void *ctx)
{
    struct session *s = ctx;
    struct out out = plain_out();
    bl_err err;
    bl_err_clear(&err);
    if (cmd_run_line(s, line, &out, &err) != BL_OK)
        fprintf(stderr, "error: %s\n", err.msg);
    fflush(stdout);
}

int
plain_repl(struct session *s)
{
    printf("bayeslens %s - type 'help' for commands, Tab to complete, Ctrl-D to leave\n",
           BAYESLENS_VERSION);
    lineedit_init();
    lineedit_loop("bayeslens> ", run_typed, s, &s->quit, (bl_cancel *)s->cancel);
    lineedit_done();
    return 0;
}
