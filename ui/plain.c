/* ui/plain.c - see plain.h. */
#include "ui/plain.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands/clock.h"
#include "commands/cmd.h"
#include "commands/job.h"
#include "ui/ending.h"
#include "ui/lineedit.h"
#include "ui/pager.h"

#define TICK_S 0.05     /* a paced job advances 20 times a second */
#define BUDGET_S 0.02   /* compute per tick, so typing stays live */
#define PROGRESS_S 1.0  /* one progress line a second */

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

/* At the prompt a line wider than the terminal would break mid-word where
 * the terminal runs out, so it is wrapped as the live pager wraps it: at
 * blanks, within the terminal's width less one (a row of the full width
 * makes some terminals add an empty one), 80 columns when that is unknown.
 * Batch output is never wrapped: it is for files and pipes. */
static int
repl_width(void)
{
    struct winsize ws;
    int cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    return cols - 1;
}

static int
put_row(void *ctx, const char *piece)
{
    fputs(piece, ctx);
    fputc('\n', ctx);
    return 0;
}

static void
print_wrapped(void *ctx, enum out_kind kind, const char *text)
{
    (void)ctx;
    if (kind == OUT_ERROR)
        fflush(stdout);
    pager_wrap(text, repl_width(), put_row, kind == OUT_ERROR ? stderr : stdout);
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
    struct out out = {.line = print_wrapped, .ctx = NULL};
    bl_err err;
    bl_err_clear(&err);
    if (cmd_run_line(s, line, &out, &err) != BL_OK)
        out_failure(&out, &err);
    fflush(stdout);
}

/* Paced jobs in the plain REPL: stream, run and sample advance by wall time
 * between keys, as in the live screen, and say how far they are as one text
 * line a second; the prompt stays usable (pause, resume, step), Ctrl-C stops
 * them. Results depend only on the seed and the counts, as everywhere. */
struct plain_pace {
    struct session *s;
    double last, progress_at;
    bool running;
};

static void
print_async(void *ctx, enum out_kind kind, const char *text)
{
    lineedit_print_begin();
    print_wrapped(ctx, kind, text);
    lineedit_print_end();
}

static void
progress(const struct session *s, const struct job *j)
{
    char what[256] = "";
    j->cls->describe(j->self, what, sizeof what);
    char line[400];
    if (what[0] != '\0')
        snprintf(line, sizeof line, "%s: %s", j->cls->verb, what);
    else
        snprintf(line, sizeof line, "%s: n = %zu", j->cls->verb, s->n);
    print_async(NULL, OUT_TEXT, line);
}

static int
pace_tick(void *ctx)
{
    struct plain_pace *p = ctx;
    struct session *s = p->s;
    double t = clock_now();
    if (!job_set_running(&s->jobs)) {
        p->running = false;
        return -1; /* idle: wait for a key, no CPU */
    }
    if (!p->running) {
        /* Just started (or resumed): time counts from now. */
        p->running = true;
        p->last = p->progress_at = t;
        return (int)(TICK_S * 1000);
    }
    struct out out = {.line = print_async, .ctx = NULL};
    struct run_ctx rc = session_run_ctx(s);
    /* Ctrl-C is the interrupt hook's (it stops the job between ticks). */
    rc.cancel = NULL;
    for (size_t k = 0; k < s->jobs.n; k++) {
        struct job *j = &s->jobs.slot[k];
        size_t budget = j->cost > 0 ? (size_t)(BUDGET_S / j->cost) + 1 : j->cls->first_budget;
        double t0 = clock_now();
        size_t got = job_advance(j, t - p->last, budget, &rc, &out);
        if (got > 0) {
            double c = (clock_now() - t0) / (double)got;
            j->cost = j->cost > 0 ? 0.8 * j->cost + 0.2 * c : c;
            s->generation++;
        }
    }
    p->last = t;
    if (t - p->progress_at >= PROGRESS_S) {
        p->progress_at = t;
        struct job *j = job_set_current(&s->jobs);
        if (j != NULL && job_running(j))
            progress(s, j);
    }
    if (!job_set_running(&s->jobs)) {
        p->running = false;
        return -1;
    }
    return (int)(TICK_S * 1000);
}

static bool
pace_interrupt(void *ctx)
{
    struct plain_pace *p = ctx;
    struct out out = {.line = print_async, .ctx = NULL};
    bool stopped = false;
    for (size_t k = 0; k < p->s->jobs.n; k++) {
        struct job *j = &p->s->jobs.slot[k];
        if (j->pace.active) {
            job_stop(j, &out);
            stopped = true;
        }
    }
    if (stopped)
        p->s->generation++;
    p->running = false;
    return stopped;
}

static void
run_typed_paced(const char *line, void *ctx)
{
    run_typed(line, ((struct plain_pace *)ctx)->s);
}

int
plain_repl(struct session *s)
{
    printf("bayeslens %s - type 'help' for commands, Tab to complete, Ctrl-D to leave\n",
           BAYESLENS_VERSION);
    /* A person is at the prompt: stream and sample are paced, not refused. */
    s->interactive = true;
    struct plain_pace pace = {.s = s};
    static const struct lineedit_hooks hooks = {.tick = pace_tick, .interrupt = pace_interrupt};
    lineedit_init();
    lineedit_loop("bayeslens> ", run_typed_paced, &pace, &s->quit, (bl_cancel *)s->cancel, &hooks);
    lineedit_done();
    s->interactive = false;
    return 0;
}
