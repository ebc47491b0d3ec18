/* tests/fuzz/fuzz_cmd.c - libFuzzer harness for the command layer with the
 * screen renderer: the input is a script (lines of commands) run in a fresh
 * session, then every pane is rendered to a canvas at two sizes, as a
 * screenshot would. Any crash, sanitizer report, hang or unbounded growth is
 * a finding; an error message is not.
 *
 * Bounds that keep one input cheap and the machine safe (`make fuzz` runs as
 * root): inputs with '/' are skipped and the process works in a scratch
 * directory, so files written or read (export, screenshot, source, data
 * load) stay in it; numbers longer than 4 digits are skipped (observe
 * 9999 is enough to reach every code path, observe 10^7 only costs time);
 * the session's memory limit is 256 MB (BAYESLENS_MEM_LIMIT); and a 0.5 s
 * timer raises the cancel flag, which long commands poll. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "ui/canvas.h"
#include "ui/render.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bl_cancel cancel_flag;

static void
on_alarm(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

static void
quiet(void *ctx, enum out_kind kind, const char *text)
{
    (void)ctx;
    (void)kind;
    (void)text;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "fuzz_scratch.XXXXXX";
    if (mkdtemp(dir) == NULL || chdir(dir) != 0) {
        perror("fuzz_cmd: scratch directory");
        exit(1);
    }
    setenv("BAYESLENS_MEM_LIMIT", "268435456", 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    return 0;
}

static bool
acceptable(const uint8_t *data, size_t size)
{
    size_t digits = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '/')
            return false;
        digits = data[i] >= '0' && data[i] <= '9' ? digits + 1 : 0;
        if (digits > 4)
            return false;
    }
    return size <= 4096;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!acceptable(data, size))
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    bl_err err;
    struct session *s = session_alloc(&err);
    struct ui ui;
    if (s == NULL || ui_init(&ui, size % 2 == 1) != 0) {
        session_free(s);
        free(text);
        return 0;
    }
    ui_attach(&ui, s);
    cancel_flag = 0;
    s->cancel = &cancel_flag;
    struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 500000}};
    setitimer(ITIMER_REAL, &it, NULL);

    struct out out = {.line = quiet, .ctx = NULL};
    /* Line by line, errors and all: later lines still run, as typed. */
    for (char *line = text, *next; line != NULL && !s->quit; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        bl_err_clear(&err);
        cmd_run_line(s, line, &out, &err);
    }
    static const int sizes[][2] = {{100, 30}, {41, 13}};
    for (size_t k = 0; k < 2; k++) {
        struct canvas c;
        if (canvas_init(&c, sizes[k][0], sizes[k][1], ui.ascii) == 0) {
            ui_render(&ui, s, &c, "bayeslens> ");
            canvas_free(&c);
        }
    }
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    ui_free(&ui);
    session_free(s);
    free(text);
    return 0;
}
