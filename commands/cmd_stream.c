/* commands/cmd_stream.c - live arrival: stream, and pause, resume, step
 * for whichever paced job is current (commands/job.h).
 * In interactive mode `stream` starts a job that the front end paces (rate
 * points per second, every pane updating); in batch mode it runs to
 * completion at once, so scripts stay deterministic: the points depend only
 * on the seed and their count, never on timing. */
#include "commands/cmd.h"

#include <stdint.h>
#include <stdio.h>

#include "commands/job.h"
#include "commands/session.h"

/* ---- the stream as a job (self: the session) ----------------------------- */

static size_t
stream_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct session *s = self;
    size_t before = s->n;
    (void)ctx; /* the session's own cancel flag and pump are the context's */
    session_stream(s, n, out, err);
    return s->n - before;
}

static void
stream_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    const struct session *s = self;
    switch (how) {
    case JOB_DONE: out_printf(out, "stream done (n = %zu)", s->n); break;
    case JOB_FAILED: out_error(out, "stream stopped: %s", err->msg); break;
    case JOB_STOPPED: out_printf(out, "stream stopped at n = %zu", s->n); break;
    }
}

static void
stream_describe(const void *self, char *buf, size_t size)
{
    (void)self;
    if (size > 0)
        buf[0] = '\0'; /* n is on the status line already */
}

static void
stream_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    const struct session *s = self;
    if (session_has_model(s) && s->n > 0)
        snprintf(buf, size, "n = %zu: y = %.4g, predicted %.4g +- %.3g, log-loss %.4g", s->n,
                 s->Y[s->n - 1], s->trace[TR_PRED_MEAN][s->n - 1], s->trace[TR_PRED_SD][s->n - 1],
                 s->trace[TR_LOGLOSS][s->n - 1]);
    else
        snprintf(buf, size, "n = %zu (+%zu)", s->n, done);
}

const struct job_class stream_job_class = {
    .name = "stream",
    .verb = "streaming",
    .unit = "points",
    .first_budget = 64,
    .advance = stream_advance,
    .end = stream_end,
    .describe = stream_describe,
    .describe_step = stream_describe_step,
};

/* ---- commands ------------------------------------------------------------ */

static const struct arg_spec stream_args[] = {
    {.name = "rate", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 100000, .def = "10",
     .help = "points per second"},
    {.name = "n", .type = ARG_INT, .min = 1, .max = 10000000,
     .help = "points in all (default: until paused; required in batch mode)"},
    {0},
};

static int
stream_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (s->world == NULL)
        return bl_fail(err, BL_ESTATE, "no data yet: choose a world first (e.g. data linear d=3)");
    if (!s->interactive) {
        if (!args_given(a, "n"))
            return bl_fail(err, BL_EINVAL,
                           "stream: give n= in batch mode (it runs at once, not paced)");
        size_t before = s->n;
        int rc = session_stream(s, (size_t)args_int(a, "n"), out, err);
        if (rc == BL_OK)
            out_printf(out, "streamed %zu points (n = %zu)", s->n - before, s->n);
        return rc;
    }
    struct job *j = job_set_use(&s->jobs, &stream_job_class);
    job_start(j, args_real(a, "rate"), args_given(a, "n") ? (size_t)args_int(a, "n") : SIZE_MAX);
    s->generation++;
    /* The plain REPL has no F-keys: its hint names what works there. */
    if (args_given(a, "n") && s->fkeys)
        out_printf(out, "streaming %zu points at %g/s (F5 or 'pause' to pause)", j->pace.remaining,
                   j->pace.rate);
    else if (args_given(a, "n"))
        out_printf(out, "streaming %zu points at %g/s ('pause' to pause, Ctrl-C to stop)",
                   j->pace.remaining, j->pace.rate);
    else
        out_printf(out, "streaming at %g/s (%s to pause, Ctrl-C to stop)", j->pace.rate,
                   s->fkeys ? "F5 or 'pause'" : "'pause'");
    return BL_OK;
}

const struct cmd_entry cmd_stream_entry = {
    .name = "stream",
    .usage = "stream [rate=R] [n=N]",
    .summary = "points arrive live at R per second, every pane updating",
    .detail = "Interactive: runs until paused, stopped (Ctrl-C) or n points have arrived. "
              "Batch: the n points arrive at once.",
    .example = "stream rate=20",
    .args = stream_args,
    .exec = stream_exec,
};

static int
pause_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    /* A script's pause is the lecturer's (commands/script.c): live it waits
     * for a key, in batch and --plain it does nothing. */
    if (session_in_script(s)) {
        session_script_pause(s);
        return BL_OK;
    }
    struct job *j = job_set_current(&s->jobs);
    if (!j->pace.active)
        return bl_fail(err, BL_ESTATE,
                       "nothing is running (start with: stream rate=10; run for "
                       "an instrument; sample for a sampler)");
    job_pause(j, true);
    s->generation++;
    out_printf(out, "paused (%s to go on, 'step' for one more)",
               s->fkeys ? "'resume' or F5" : "'resume'");
    return BL_OK;
}

const struct cmd_entry cmd_pause_entry = {
    .name = "pause",
    .usage = "pause",
    .summary = "pause the stream (F5 toggles); in a script: wait for a key",
    .detail = "Typed: pauses the current job (stream, run or sample). In a script run in the "
              "live screen: the lecture stops here until space or Enter (Esc or q ends the "
              "script); in batch and --plain a script's pause does nothing.",
    .example = "pause",
    .exec = pause_exec,
};

static int
resume_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    struct job *j = job_set_current(&s->jobs);
    if (!j->pace.active)
        return bl_fail(err, BL_ESTATE, "nothing to resume (start with: stream rate=10)");
    job_pause(j, false);
    s->generation++;
    out_printf(out, "running at %g/s", j->pace.rate);
    return BL_OK;
}

const struct cmd_entry cmd_resume_entry = {
    .name = "resume",
    .usage = "resume",
    .summary = "resume a paused stream (F5 toggles)",
    .example = "resume",
    .exec = resume_exec,
};

static const struct arg_spec step_args[] = {
    {.name = "n", .type = ARG_INT, .positional = 1, .min = 1, .max = 10000000, .def = "1",
     .help = "points"},
    {0},
};

static int
step_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    struct job *j = job_set_current(&s->jobs);
    if (job_running(j)) {
        job_pause(j, true);
        out_printf(out, "paused; stepping");
    }
    struct run_ctx ctx = session_run_ctx(s);
    bl_err e;
    bl_err_clear(&e);
    size_t done = j->cls->advance(j->self, (size_t)args_int(a, "n"), &ctx, out, &e);
    s->generation++;
    if (e.code != BL_OK) {
        if (err != NULL)
            *err = e;
        return e.code;
    }
    char line[512];
    j->cls->describe_step(j->self, done, line, sizeof line);
    out_printf(out, "%s", line);
    return BL_OK;
}

const struct cmd_entry cmd_step_entry = {
    .name = "step",
    .usage = "step [N]",
    .summary = "N more now (F6): points, instrument arrivals or sampler steps",
    .detail = "Prints the newest point, what the model predicted for it before seeing it, and "
              "its log-loss. When the sampler is the active job (after sampler or sample), one "
              "transition of every chain: the posterior pane shows its proposal and trajectory.",
    .example = "step",
    .args = step_args,
    .exec = step_exec,
};
